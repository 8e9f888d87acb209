"""TaxonomyEditor (synth/synthesis/theme_editor.py) on a small seeded store: example phrases move assignments, a
merge under a seeded taxonomy keeps the folded theme's records, a renamed theme keeps the forms that name it by
its old label, a dry run saves nothing and previews exactly what applying gives, and the live corpus follows."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from synth.synthesis.models import Theme
from synth.synthesis.taxonomy_file import load_seed_file
from synth.synthesis.theme_editor import TaxonomyChange, TaxonomyEditor, mentions, preview
from synth.synthesis.themes import normalize_rows

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)

SEED = ("themes:\n"
        "  - id: lighting\n    label: Street lighting\n    examples:\n"
        "      - the street lights are dark\n      - the lamp posts are out at night\n"
        "  - id: speeding\n    label: Speeding\n    examples:\n"
        "      - drivers are speeding\n      - cars race past the school too fast\n"
        "  - id: noise\n    label: Noise\n    examples:\n"
        "      - loud music from parties\n      - the bar is loud at closing time\n")
TEXTS = {"lighting": "The street lights are dark on {s} again.", "speeding": "Drivers are speeding on {s} daily.",
         "dogs": "The dogs on {s} bark and howl all night long."}
STREETS = ["Elm", "Oak", "Birch", "Pine"]


@pytest.fixture
def seeded(services: Any, write: Any) -> Any:
    lines = [{"id": f"{kind}{i}", "district": f"District {1 + i % 2}", "date": "2026-10-01",
              "text": text.format(s=STREETS[i % 4])} for kind, text in TEXTS.items()
             for i in range(12 if kind == "dogs" else 4)]
    lines += [{"id": f"form{i}", "district": "District 1", "date": "2026-10-02", "kind": "meeting_note",
               "text": "Residents talked about it at length at the meeting.", "top_concerns": ["Street lighting"]}
              for i in range(2)]
    services.ingestor.ingest([write("r.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")])
    services.synthesizer.refresh(seeds=load_seed_file(write("taxonomy.yaml", SEED)))
    return services


def raised(svc: Any, theme_id: str) -> set[str]:
    """Records whose annotation raises `theme_id` now."""
    return {rid for rid, a in svc.synthesizer.annotations().items() if theme_id in a.themes}


def test_example_phrases_teach_a_theme_the_sentences_like_them(seeded: Any) -> None:
    dogs = {f"dogs{i}" for i in range(12)}
    assert not raised(seeded, "noise") & dogs
    added = TaxonomyEditor(seeded.synthesizer, actor="cora").add_examples(
        "noise", ["the dogs bark and howl all night", "the dogs bark all night long"])
    assert len(added) == 2
    assert raised(seeded, "noise") >= dogs
    assert raised(seeded, "lighting") >= {f"lighting{i}" for i in range(4)}  # the others stay where they were
    [*_, (_, action, payload)] = seeded.synthesizer.store.theme_edits()
    assert (action, payload) == ("examples", {"id": "noise", "added": 2})
    assert seeded.synthesizer.store.edit_log(limit=1)[0].actor == "cora"


def test_a_merge_keeps_the_records_of_the_folded_theme(seeded: Any) -> None:
    either = raised(seeded, "lighting") | raised(seeded, "speeding")
    assert raised(seeded, "lighting") and raised(seeded, "speeding")
    TaxonomyEditor(seeded.synthesizer).merge(["lighting"], "speeding")
    themes = seeded.synthesizer.taxonomy().themes
    assert "lighting" not in themes and "Street lighting" in themes["speeding"].aliases
    assert "the street lights are dark" in themes["speeding"].examples
    assert raised(seeded, "speeding") >= either


def test_a_renamed_theme_still_counts_the_forms_that_name_it_by_its_old_label(seeded: Any) -> None:
    forms = {"form0", "form1"}
    assert raised(seeded, "lighting") >= forms
    TaxonomyEditor(seeded.synthesizer).rename("lighting", "Dark streets")
    assert seeded.synthesizer.taxonomy().themes["lighting"].label == "Dark streets"
    assert raised(seeded, "lighting") >= forms | {f"lighting{i}" for i in range(4)}


def test_a_renamed_emerging_theme_keeps_its_records(seeded: Any) -> None:
    """An emerging (discovered) theme beside a seeded taxonomy is decided by its centre; renamed, it is an
    edited theme without examples, still decided by its centre."""
    synth = seeded.synthesizer
    state = synth.taxonomy()
    dogs = [s.vector for s in synth.spans() if s.record_id.startswith("dogs")]
    state.themes["t_dogs"] = Theme(id="t_dogs", label="dogs", source="discovered")
    state.centroids["t_dogs"] = normalize_rows(np.mean(dogs, axis=0, keepdims=True))[0]
    synth.store.save_taxonomy(state)
    before = raised(seeded, "t_dogs")
    assert before >= {f"dogs{i}" for i in range(12)}
    TaxonomyEditor(synth).rename("t_dogs", "Barking dogs")
    assert synth.taxonomy().themes["t_dogs"].source == "edited"
    assert raised(seeded, "t_dogs") == before


@pytest.mark.parametrize("change", [
    TaxonomyChange("merge", ("lighting", "speeding"), into="speeding"),
    TaxonomyChange("examples", ("noise",), phrases=("the dogs bark and howl all night",
                                                    "the dogs bark all night long")),
    TaxonomyChange("chatter", ("speeding",)),
], ids=lambda c: c.action)
def test_a_dry_run_saves_nothing_and_previews_what_applying_gives(seeded: Any, change: TaxonomyChange) -> None:
    synth = seeded.synthesizer
    stored, edits = synth.taxonomy().themes, len(synth.store.theme_edits())
    live = seeded.live.corpus()
    city_before, _ = mentions(row.annotation for row in live.rows)
    found = preview(synth, change, [row.annotation for row in live.rows],
                    {row.record_id: row.district for row in live.rows})
    assert synth.taxonomy().themes == stored and len(synth.store.theme_edits()) == edits
    assert {c.theme_id: c.before for c in found.themes} == {c.theme_id: city_before[c.theme_id]
                                                            for c in found.themes}
    assert any(c.delta for c in found.themes)
    TaxonomyEditor(synth).apply(change)
    city_after, districts_after = mentions((row.annotation for row in seeded.live.corpus().rows),
                                           {row.record_id: row.district for row in live.rows})
    assert {c.theme_id: c.after for c in found.themes} == {c.theme_id: city_after[c.theme_id] for c in found.themes}
    assert all(districts_after[(c.district, c.theme_id)] == c.after for c in found.districts)
    assert all(city_after[t] == n for t, n in city_before.items() if t not in {c.theme_id for c in found.themes})


def test_with_the_llm_annotator_the_preview_is_an_offline_estimate_that_asks_no_model(seeded: Any) -> None:
    from synth.synthesis.llm_annotate import LLMAnnotator
    from tests.test_llm_annotate import FakeModel

    model = FakeModel(respond=lambda messages: '{"records": []}')
    synth = seeded.synthesizer
    synth.llm_annotator = LLMAnnotator(model, max_splits=0, max_retries=0)
    found = preview(synth, TaxonomyChange("chatter", ("speeding",)), [], {})
    assert found.estimate and model.received == []
    [speeding] = [c for c in found.themes if c.theme_id == "speeding"]
    assert speeding.before >= 4 and speeding.after == 0
