"""Generation: plan the records, draw their concerns, write their text and keep the exact truth."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from samplecity.grammar import Lexicon
from samplecity.notes import note_body, note_style
from samplecity.plan import (
    ATTENDEES,
    COMMENT_CONCERN_COUNTS,
    KIND_CHANNEL,
    KIND_FILE,
    NOTE_CONCERN_COUNTS,
    STANDARD_FORM_SHARE,
    Plan,
    mark_specials,
    month_list,
    plan_records,
)
from samplecity.stories import ThemeModel
from samplecity.text import Draft, Pen, comment_location, comment_text, pii_values
from samplecity.truth import CityTruth, RecordTruth, form_sentiment, overall_sentiment, summarise
from samplecity.vocabulary import DISTRICT_NAMES, DISTRICTS, INJECTIONS, NEG, DistrictGeo, data_text
from samplecity.writers import Writers
from synth.models import RecordKind, content_id


def _weighted(rng: random.Random, options: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _draft(rng: random.Random, model: ThemeModel, plan: Plan, geo: DistrictGeo) -> Draft:
    counts = NOTE_CONCERN_COUNTS if plan.kind is RecordKind.meeting_note else COMMENT_CONCERN_COUNTS
    draft = Draft(model.draw(rng, plan.district, plan.month, _weighted(rng, counts)))
    if plan.pii:
        draft.pii = pii_values(rng, geo)
    if plan.injection:
        draft.concerns[0].sentiment = NEG  # the injection hides inside a real complaint
        draft.injection_text = rng.choice(INJECTIONS).format(district=rng.choice(DISTRICT_NAMES))
    return draft


def _generate_note(rng: random.Random, pen: Pen, plan: Plan, geo: DistrictGeo, draft: Draft,
                   writers: Writers) -> tuple[str, str, dict[str, Any]]:
    attendees = rng.randint(*ATTENDEES)
    standard_form = rng.random() < STANDARD_FORM_SHARE
    venue = pen.rng.choice(geo.venues)
    note_taker = pen.rng.choice(geo.note_takers)
    header = [("District", geo.name), ("Date", plan.date.isoformat()), ("Meeting", plan.ident),
              ("Note-taker", note_taker), ("Attendees", str(attendees)), ("Location", venue)]
    labels = [c.sentiment for c in draft.concerns]
    extra: dict[str, Any] = {"meeting_id": plan.ident, "attendees": attendees, "standard_form": standard_form}
    if standard_form:
        extra["form_sentiment"] = form_sentiment(labels)
        top = "; ".join(pen.rng.choice(c.theme.form_labels) for c in draft.concerns)
        header += [("Top concerns", top), ("Overall sentiment", extra["form_sentiment"].value)]
    body = note_body(pen, geo, draft, attendees, venue, standard_form, note_style(pen, note_taker))
    name = writers.note(plan.ident, header, body)
    rid = content_id(RecordKind.meeting_note.value, geo.name, plan.date, plan.ident, body)
    return rid, name, extra


def _record_truth(plan: Plan, geo: DistrictGeo, draft: Draft, months: list[str], file: str, row: int,
                  extra: dict[str, Any]) -> RecordTruth:
    labels = [c.sentiment for c in draft.concerns]
    return RecordTruth(
        file=file, row=row, kind=plan.kind, channel=KIND_CHANNEL[plan.kind], district=geo.name,
        date=plan.date, month=months[plan.month], themes=[c.theme.id for c in draft.concerns],
        concern_sentiments={c.theme.id: c.sentiment for c in draft.concerns},
        sentiment=overall_sentiment(labels),
        pii=[v for _, v in draft.pii], pii_types=[t for t, _ in draft.pii],
        injection=draft.injection_text is not None, injection_text=draft.injection_text, **extra)


def _generate(rng: random.Random, pen: Pen, plans: list[Plan], months: list[str], writers: Writers) -> Iterator[
        tuple[str, RecordTruth]]:
    model = ThemeModel(len(months))
    for plan in plans:
        geo = DISTRICTS[plan.district]
        draft = _draft(rng, model, plan, geo)
        if plan.kind is RecordKind.meeting_note:
            rid, file, extra = _generate_note(rng, pen, plan, geo, draft, writers)
            row = 1
        else:
            row = writers.next_row(plan.kind)
            text = comment_text(pen, plan, geo, draft, row)
            location = comment_location(pen.rng, geo) if plan.kind is RecordKind.comment else ""
            writers.comment(plan, text, geo.name, location)
            rid, file, extra = plan.ident, KIND_FILE[plan.kind], {}
        yield rid, _record_truth(plan, geo, draft, months, file, row, extra)


def generate_city(out_dir: Path, *, records: int = 1500, seed: int = 7, months: int = 6,
                  end_month: str = "2026-11", pii_records: int = 50, injection_records: int = 3) -> CityTruth:
    """Write a synthetic city under out_dir (notes/, comments/, truth.json, taxonomy.yaml) and return its
    exact truth. taxonomy.yaml is the coordinator's starting taxonomy (`synth themes seed`): the truth's theme
    ids and labels with example phrases written for it, not drawn from the generator's phrase banks.

    Existing ``notes/KT-*.md`` files in out_dir are removed first so the directory holds exactly one city.
    """
    if records < 1:
        raise ValueError("records must be at least 1")
    out_dir = Path(out_dir)
    month_names = month_list(end_month, months)
    rng = random.Random(seed)  # the plan and the truth
    # The wording has its own generator, so rewording the city never changes what it says.
    pen = Pen(random.Random(f"samplecity-text|{seed}"), Lexicon(seed))
    plans = plan_records(rng, records, month_names)
    mark_specials(rng, plans, pii_records, injection_records)
    truth_records: dict[str, RecordTruth] = {}
    with ExitStack() as stack:
        writers = Writers(out_dir, stack)
        for rid, rec in _generate(rng, pen, plans, month_names, writers):
            if rid in truth_records:
                raise RuntimeError(f"duplicate record id {rid}")  # ids embed meeting or comment ids
            truth_records[rid] = rec
    truth = summarise(seed, end_month, month_names, truth_records)
    (out_dir / "truth.json").write_text(truth.model_dump_json(indent=1) + "\n", encoding="utf-8", newline="")
    taxonomy = data_text("taxonomy.yaml")
    (out_dir / "taxonomy.yaml").write_text(taxonomy, encoding="utf-8", newline="")
    return truth
