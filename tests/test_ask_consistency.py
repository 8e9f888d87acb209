"""synth ask consistency: a question is answered in the scope it asks. A sentiment without a theme quotes only
records the count counts; every theme a question names is answered (grouped counts, shares, trends, rankings,
open questions, several districts); a trend by district is one series per district."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chromadb
import numpy as np

from synth.ask.models import StructuredQuery
from synth.ask.query import Scope
from synth.synthesis.facts import FactRow
from synth.synthesis.models import Annotation, Concern, SentimentScore
from tests.test_ask import ROWS, make_asker
from vectorstore.embeddings import HashingEmbedder
from vectorstore.store import ChromaIndex

# -- 1. a sentiment without a theme: quotes follow the count's rule (the record's overall sentiment) ---------


def felt(rid: str, district: str, overall: str, concerns: list[tuple[str, str, str]]) -> FactRow:
    """A comment whose overall sentiment is `overall` and whose concerns are (text, theme, sentiment)."""

    def score(label: str) -> SentimentScore:
        value = {"positive": 0.7, "negative": -0.7}.get(label, 0.0)
        return SentimentScore(label=label, score=value)  # type: ignore[arg-type]

    parts = [Concern(index=i, text=text, theme_id=theme, sentiment=score(label))
             for i, (text, theme, label) in enumerate(concerns)]
    text = " ".join(text for text, _, _ in concerns)
    return FactRow(record_id=rid, district=district, date=dt.date(2026, 11, 3), kind="comment", meeting_id=None,
                   note_taker=None, attendee_count=None, text=text,
                   annotation=Annotation(record_id=rid, concerns=parts, annotator="test", sentiment=score(overall)))


FELT = [
    felt("neg1", "District 4", "negative", [("The new bus stop on Elm is filthy and unsafe.", "speeding", "negative")]),
    felt("neg2", "District 4", "negative", [("Nobody cleans the new bus stop shelter.", "lighting", "negative")]),
    # positive as a whole, with one negative concern: the count of negative records leaves it out
    felt("mixed", "District 4", "positive", [("Love the new bus stop shelter, thank you!", "lighting", "positive"),
                                             ("The bus stop bench is a little wobbly.", "speeding", "negative")]),
    felt("pos", "District 4", "positive", [("The new bus stop is great.", "lighting", "positive")]),
    felt("other", "District 5", "negative", [("The new bus stop on Oak is dirty.", "speeding", "negative")]),
]


def indexed(rows: list[FactRow], path: Path) -> ChromaIndex:
    """A real Chroma index over the rows (one chunk per record, the ingest's metadata)."""
    embedder = HashingEmbedder()
    index = ChromaIndex(chromadb.PersistentClient(path=str(path)), "consistency", embedder, fresh=True)
    index.upsert([f"{r.record_id}:0" for r in rows], embedder.embed([r.text for r in rows]), [r.text for r in rows],
                 [{"record_id": r.record_id, "chunk": 0, "kind": r.kind, "district": r.district,
                   "date": int(r.date.strftime("%Y%m%d"))} for r in rows if r.date])
    return index


def test_sentiment_without_a_theme_quotes_only_records_the_count_counts(tmp_path: Path) -> None:
    asker = make_asker(FELT, index=indexed(FELT, tmp_path / "chroma"))
    count = asker.ask("How many complaints are there in District 4?")
    assert count.query is not None and (count.query.sentiment, count.query.themes) == ("negative", [])
    facts = asker.facts
    mask = facts.mask(Scope(districts=("District 4",))) & facts.felt_mask("negative")
    counted = {facts.rows[int(i)].record_id for i in np.flatnonzero(mask)}
    assert count.figures[0].value == len(counted) == 2

    quoted = asker.ask("What do residents complain about with the new bus stop in District 4?")
    assert quoted.query is not None and (quoted.query.sentiment, quoted.query.themes) == ("negative", [])
    assert quoted.route == "retrieval" and quoted.citations
    assert {c.record_id for c in quoted.citations} <= counted  # "mixed" has a negative concern, not record


# -- 2. every theme named is answered ---------------------------------------------------------------------


def test_a_grouped_count_of_two_themes_keeps_the_grouping() -> None:
    asker = make_asker()
    answer = asker.ask("How many meetings mentioned lighting and speeding, by district?")
    assert answer.query is not None and answer.query.group_by == "district"
    facts = asker.facts
    expected = {(t, d): facts.count(facts.district_mask(d), t, "meetings")
                for t in ("lighting", "speeding") for d in facts.districts}
    assert {(f.theme, f.district): f.value for f in answer.figures} == expected
    assert all(f.measure == "meetings" for f in answer.figures)
    assert "Street lighting" in answer.text and "Speeding and traffic" in answer.text


def test_a_grouped_comparison_of_two_themes_from_the_llm_keeps_the_grouping() -> None:
    asker = make_asker()
    query = StructuredQuery(intent="compare", themes=["lighting", "speeding"], group_by="district")
    answer = asker.answer("lighting vs speeding by district", query)
    assert {(f.theme, f.district) for f in answer.figures} == {
        (t, d) for t in ("lighting", "speeding") for d in asker.facts.districts}


def test_a_count_of_two_themes_from_the_llm_answers_both() -> None:
    answer = make_asker().answer("lighting and speeding?", StructuredQuery(intent="count",
                                                                           themes=["lighting", "speeding"]))
    assert {f.theme: f.value for f in answer.figures} == {"lighting": 5, "speeding": 4}


def test_a_share_of_two_themes_answers_both() -> None:
    asker = make_asker()
    answer = asker.ask("What share of records in District 4 mention lighting and speeding?")
    assert answer.query is not None and answer.query.themes == ["lighting", "speeding"]
    facts = asker.facts
    d4 = facts.mask(Scope(districts=("District 4",)))
    shares = {f.theme: f.value for f in answer.figures if f.measure == "share"}
    assert shares == {t: round(facts.count(d4, t) / facts.records(d4), 4) for t in ("lighting", "speeding")}
    assert "Street lighting" in answer.text and "Speeding and traffic" in answer.text


def test_a_trend_of_two_themes_answers_both() -> None:
    asker = make_asker()
    answer = asker.ask("How have lighting and speeding changed in District 4?")
    assert answer.status == "answered" and answer.query is not None
    assert answer.query.themes == ["lighting", "speeding"]
    facts = asker.facts
    d4 = facts.mask(Scope(districts=("District 4",)))
    for theme in ("lighting", "speeding"):
        series = {f.month: f.value for f in answer.figures if f.measure == "share" and f.theme == theme}
        assert len(series) >= 2, theme
        for month, value in series.items():
            m = d4 & facts.month_mask(month or "")
            assert value == round(facts.count(m, theme) / facts.records(m), 4)
    assert "From August 2026 to November 2026" in answer.text and answer.text.count("month by month") == 2


# -- 4. other questions answered in a narrower scope than asked --------------------------------------------


def test_two_themes_in_several_districts_answers_both() -> None:
    asker = make_asker()
    for question in ("Compare lighting and speeding in District 4 and District 5",
                     "How many records mention lighting and speeding in District 4 and District 5?"):
        answer = asker.ask(question)
        assert answer.query is not None and answer.query.themes == ["lighting", "speeding"], question
        assert {f.theme: f.value for f in answer.figures} == {"lighting": 5, "speeding": 3}, question


def test_a_trend_by_district_is_a_series_per_district() -> None:
    asker = make_asker()
    answer = asker.ask("How has speeding changed in each district?")
    assert answer.status == "answered" and answer.query is not None and answer.query.group_by == "district"
    facts = asker.facts
    by_district = {f.district for f in answer.figures if f.measure == "share"}
    assert by_district == {"District 4", "District 5"}  # District 1 has one month: no series, said so
    assert "at least two months with records in District 1" in answer.text
    for f in answer.figures:
        if f.measure == "share":
            m = facts.district_mask(f.district or "") & facts.month_mask(f.month or "")
            assert f.value == round(facts.count(m, "speeding") / facts.records(m), 4)


def test_a_ranking_of_two_themes_ranks_districts_for_both() -> None:
    asker = make_asker()
    answer = asker.ask("Which district talks most about lighting and speeding?")
    assert answer.query is not None and answer.query.themes == ["lighting", "speeding"]
    facts = asker.facts
    assert {(f.theme, f.district): f.value for f in answer.figures} == {
        (t, d): facts.count(facts.district_mask(d), t) for t in ("lighting", "speeding") for d in facts.districts}


def test_a_ranking_in_a_district_keeps_the_theme_it_names() -> None:
    rows = [*ROWS, *[felt(f"x{i}", "District 4", "negative", [("The new bus stop is filthy.", "speeding",
                                                                "negative")]) for i in range(6)]]
    query = StructuredQuery(intent="ranking", themes=["lighting"], districts=["District 4"], top_n=1)
    answer = make_asker(rows).answer("Is lighting the biggest concern in District 4?", query)
    assert [(f.theme, f.value) for f in answer.figures] == [("speeding", 7), ("lighting", 5)]
    assert "2. Street lighting: 5 records" in answer.text


def test_an_open_question_about_two_themes_quotes_and_counts_both() -> None:
    asker = make_asker()
    answer = asker.ask("What do residents say about lighting and speeding in District 4?")
    assert answer.route == "retrieval" and answer.query is not None
    assert answer.query.themes == ["lighting", "speeding"]
    facts = asker.facts
    quoted = {t for c in answer.citations for t in facts.rows[facts.row_of[c.record_id]].annotation.themes}
    assert {"lighting", "speeding"} <= quoted
    d4 = facts.mask(Scope(districts=("District 4",)))
    assert {f.theme: f.value for f in answer.figures} == {t: facts.count(d4, t) for t in ("lighting", "speeding")}

