"""The ask's warm start (synth/ask/cache.py): a cached answer equals a cold one, and adding, deleting or
re-theming records makes the next question rebuild."""

from __future__ import annotations

import json
from typing import Any

import pytest

from synth.ask.cache import AskCache, AskCacheRow
from synth.ask.service import Asker
from synth.forget import Forgetter
from synth.synthesis.pipeline import Synthesizer
from tests.test_records import SEED
from tests.test_synthesis import PLAN, make_records

QUESTIONS = ["How many comments mentioned street lighting, by district?",
             "Which district raised speeding most?",
             "What share of comments in District A were about parks in November 2026?",
             "How did street lighting change in District A from October to November 2026?",
             "What did residents say about the park?"]


def _answers(asker: Asker) -> list[dict[str, Any]]:
    return [asker.ask(q).model_dump(mode="json", exclude={"conversation_id"}) for q in QUESTIONS]


def _cold(services: Any) -> list[dict[str, Any]]:
    """Answers built from the store's corpus directly, with no cache involved."""
    return _answers(Asker.from_corpus(services.synthesizer.corpus(), services.embedder.embed, index=services.index))


def _cached_rows(services: Any, keys: tuple[str, ...] = (AskCache.KEY,)) -> int:
    from sqlalchemy import func, select

    with services.records.session() as s:
        return int(s.scalar(select(func.count()).select_from(AskCacheRow).where(AskCacheRow.key.in_(keys))) or 0)


@pytest.fixture
def seeded(services: Any, write: Any) -> Any:
    path = write("city.jsonl", "\n".join(json.dumps(r) for r in make_records(PLAN)) + "\n")
    services.ingestor.ingest([path])
    from synth.synthesis.taxonomy_file import load_seed_file

    services.synthesizer.refresh(seeds=load_seed_file(write("seed.yaml", SEED)))
    return services


def _no_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: Any, **__: Any) -> None:
        raise AssertionError("the cache should have answered")

    monkeypatch.setattr(Synthesizer, "corpus", fail)
    monkeypatch.setattr(Synthesizer, "refresh", fail)


def test_a_warm_cached_answer_equals_a_cold_one(seeded: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _answers(Asker.from_services(seeded, refresh=True))  # builds and stores the cache
    assert _cached_rows(seeded) == 1
    cold = _cold(seeded)
    with monkeypatch.context() as m:
        _no_rebuild(m)
        warm = _answers(Asker.from_services(seeded, refresh=True))  # neither refresh nor corpus runs
    assert warm == cold == first
    assert any(a["citations"] for a in warm) and any(a["figures"] for a in warm)


def test_adding_a_record_rebuilds_the_cache(seeded: Any, write: Any) -> None:
    question = "How many comments mentioned street lighting in District B?"
    before = Asker.from_services(seeded, refresh=True).ask(question)
    new = make_records({("District B", "2026-11"): {"lighting": 3}}, start=1000)
    seeded.ingestor.ingest([write("more.jsonl", "\n".join(json.dumps(r) for r in new) + "\n")])
    after = Asker.from_services(seeded, refresh=True).ask(question)  # annotates the new records first
    assert after.figures[0].value == before.figures[0].value + 3
    assert after.model_dump(exclude={"conversation_id"}) == \
        Asker.from_services(seeded, refresh=True).ask(question).model_dump(exclude={"conversation_id"})
    assert _answers(Asker.from_services(seeded)) == _cold(seeded)


def test_a_deleted_record_leaves_the_cache_and_every_answer(seeded: Any) -> None:
    question = "How many comments mentioned street lighting in District A?"
    before = Asker.from_services(seeded, refresh=True).ask(question)
    gone = next(c.record_id for c in Asker.from_services(seeded).ask("What did residents say about street "
                                                                     "lighting in District A?").citations)
    assert _cached_rows(seeded, AskCache.RECORD_DATA) == 2  # the corpus and the quotes shown, redacted again
    Forgetter(seeded.records, seeded.index).delete([gone])
    assert _cached_rows(seeded, AskCache.RECORD_DATA) == 0  # they held the record's text: deleted with it
    after = Asker.from_services(seeded, refresh=True).ask(question)
    assert after.figures[0].value == before.figures[0].value - 1
    assert gone not in {r.record_id for r in Asker.from_services(seeded).facts.rows}


def test_a_stale_or_damaged_cache_is_not_used(seeded: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from synth.ask.cache import settings_key, store_fingerprint

    Asker.from_services(seeded, refresh=True)
    cache = AskCache(seeded.records)
    fingerprint = store_fingerprint(seeded.records, settings_key(seeded.settings))
    assert cache.load(fingerprint, need_refreshed=True) is not None
    state = seeded.synthesizer.taxonomy()  # a coordinator's edit changes the fingerprint
    from synth.synthesis.theme_editor import TaxonomyEditor

    TaxonomyEditor(seeded.synthesizer).rename(next(iter(state.themes)), "Renamed theme")
    assert store_fingerprint(seeded.records, settings_key(seeded.settings)) != fingerprint
    assert cache.load(store_fingerprint(seeded.records, settings_key(seeded.settings)), need_refreshed=False) is None
    with seeded.records.write_session() as s:
        s.get(AskCacheRow, AskCache.KEY).data = b"not a pickle"
    assert cache.load(fingerprint, need_refreshed=False) is None


def test_the_stored_name_lists_are_the_redactors_and_still_decline_names(seeded: Any, tmp_path: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import synth.ask.names as names
    from synth.redact.gazetteer import fold as redactor_fold

    words = ["Szczepański's", "Álvarez.", "O’Brien", "Łukasz", "JORGE", "street,", "Zoë"]
    assert [names.fold(w) for w in words] == [redactor_fold(w) for w in words]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    stored = names.cached_name_lists()  # built and stored
    assert list((tmp_path / "cache" / "synth").glob("ask-names-*.pickle"))
    assert stored == names.build_name_lists()
    monkeypatch.setattr(names, "build_name_lists", lambda: pytest.fail("the stored lists should be read"))
    asker = Asker.from_services(seeded)
    assert asker.context.names == stored
    assert asker.ask("is jorge alvarado upset about the lighting").status == "out_of_scope"
    assert asker.ask("How many comments mentioned street lighting?").status == "answered"
