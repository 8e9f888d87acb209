"""Questions that must hold on real feedback: the police as a topic, topics no theme covers (counted in the
text, never the grand total), districts ranked for "which district", praise quoting praise, "last month" of the
district asked about, and district names that are no person's; one test over a real Polis conversation."""

from __future__ import annotations

import csv
import re
from dataclasses import replace

import numpy as np

from evals.paths import shared_file
from synth.ask.themes import ThemeMatcher
from synth.synthesis.facts import FactRow
from synth.synthesis.models import SentimentScore, Theme
from tests.test_ask import ROWS, THEMES, make_asker, row
from vectorstore.embeddings import HashingEmbedder
from vectorstore.store import Hit

POLICE = dict(THEMES, police=Theme(id="police", label="Police and policing", keywords=["police", "officers"]))
CIVIC_ROWS = [
    *ROWS,
    row("p1", "San Juan Islands", "2021-08-02", ["police"], kind="comment",
        text="Police officers should walk the harbour."),
    row("p2", "San Juan Islands", "2021-07-02", [], kind="comment", text="The library needs longer hours."),
    row("p3", "Bowling Green 2050", "2024-10-01", ["police"], kind="comment", text="More police at night."),
    row("p4", "Bowling Green", "2018-02-01", [], kind="comment", text="Libraries are great. Keep them open."),
]


def civic_asker():  # type: ignore[no-untyped-def]
    embedder = HashingEmbedder()
    centroids = {tid: embedder.embed([f"{t.label} {' '.join(t.keywords)}"])[0] for tid, t in POLICE.items()}
    from synth.ask.query import FactIndex
    from synth.ask.service import Asker

    return Asker(FactIndex(CIVIC_ROWS, POLICE), ThemeMatcher(POLICE, centroids, embedder.embed))


def test_the_police_are_a_topic() -> None:
    answer = civic_asker().ask("How many comments mention the police?")
    assert answer.status == "answered"
    assert answer.query is not None and answer.query.themes == ["police"]
    assert [f.value for f in answer.figures] == [2]


def test_police_words_beside_another_topic_leave_it_the_topic() -> None:
    query = civic_asker().ask("How many police records mention street lights?").query
    assert query is not None and query.themes == ["lighting"]


def test_a_named_officer_is_still_declined() -> None:
    assert civic_asker().ask("What did Officer Kowalski say about the police?").status == "out_of_scope"


def test_a_topic_no_theme_covers_is_counted_in_the_text() -> None:
    answer = civic_asker().ask("How many comments mention the library?")
    assert answer.status == "answered"
    assert [f.value for f in answer.figures] == [2]  # "library", "Libraries"; not the 12 records in all
    assert "in their text" in answer.text and "no theme covers it" in answer.text
    assert {c.record_id for c in answer.citations} == {"p2", "p4"}
    assert all("ibrar" in c.snippet for c in answer.citations)


def test_a_topic_nobody_mentions_is_insufficient_not_the_total() -> None:
    answer = civic_asker().ask("How many comments mention the oxygen supply on the Mars colony?")
    assert answer.status == "insufficient_evidence"
    assert str(len(CIVIC_ROWS)) not in answer.text.split("(")[0]


def test_an_unrelated_topic_does_not_match_a_theme_by_loose_similarity() -> None:
    asker = civic_asker()
    assert asker.matcher.match("oxygen supply mars colony") is None
    assert asker.matcher.min_similarity >= 0.55


def test_which_district_ranks_districts() -> None:
    answer = civic_asker().ask("Which district has the most records?")
    assert answer.status == "answered"
    ranked = [(f.district, f.value) for f in answer.figures]
    assert ranked[0] == ("District 4", 5)
    assert sorted(d for d, _ in ranked) == sorted({r.district for r in CIVIC_ROWS if r.district})
    assert all(f.theme is None for f in answer.figures)


def test_which_district_for_an_uncovered_topic_ranks_districts_by_text() -> None:
    answer = civic_asker().ask("Which district mentions the library most?")
    assert answer.status == "answered"
    assert {(f.district, f.value) for f in answer.figures if f.value} == {("San Juan Islands", 1),
                                                                          ("Bowling Green", 1)}


def test_last_month_is_the_latest_month_of_the_district_asked_about() -> None:
    answer = civic_asker().ask("How many comments came in from San Juan Islands last month?")
    assert answer.query is not None and answer.query.period == "2021-08"
    assert answer.status == "answered" and [f.value for f in answer.figures] == [1]


def test_district_names_are_matched_whole_and_longest_first() -> None:
    query = civic_asker().ask("How many comments were there in Bowling Green 2050?").query
    assert query is not None and query.districts == ["Bowling Green 2050"]


def test_praise_questions_ask_for_positive_quotes() -> None:
    query = make_asker().ask("What do residents like about the street lights?").query
    assert query is not None and query.sentiment == "positive"


class _Index:
    """A vector index returning fixed hits, closest first."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits

    def query(self, text: str, k: int = 10, where: object = None) -> list[Hit]:
        return self.hits[:k]


def _felt_row(rid: str, text: str, label: str, score: float) -> FactRow:
    r = row(rid, "District 4", "2026-11-01", ["lighting"], kind="comment", text=text)
    concern = r.annotation.concerns[0].model_copy(update={"text": text, "sentiment": SentimentScore(
        label=label, score=score)})
    return replace(r, annotation=r.annotation.model_copy(update={"concerns": [concern]}))


def test_praise_quotes_the_surest_praise_first_and_never_a_complaint() -> None:
    rows = [_felt_row("a", "The lights are out again.", "negative", -0.9),
            _felt_row("b", "The new lamps are fine I guess.", "positive", 0.3),
            _felt_row("c", "We love the bright new street lights.", "positive", 0.95)]
    hits = [Hit(chunk_id=f"{r.record_id}#0", record_id=r.record_id, text=r.text, distance=0.2, metadata={})
            for r in rows]
    asker = make_asker(rows, index=_Index(hits))
    answer = asker.ask("What do residents like about the street lights?")
    assert answer.status == "answered"
    assert [c.record_id for c in answer.citations] == ["c"]  # not the complaint, not the lukewarm one


def test_a_real_polis_conversation_answers_police_questions() -> None:
    """London youth policing statements (Polis, CC BY 4.0): the police are what residents talk about there."""
    path = shared_file("polis", "london.youth.policing", "comments.csv")
    with path.open(encoding="utf-8", newline="") as f:
        statements = [r for r in csv.DictReader(f) if r["moderated"] != "-1" and int(r["comment-id"]) >= 15]
    rows = [row(f"l{r['comment-id']}", "London", "2022-07-27", [], kind="comment", text=r["comment-body"])
            for r in statements]
    asker = make_asker(rows)
    answer = asker.ask("How many comments in London mention the police?")
    police = re.compile(r"\b(?:polic|officer|cops|constab|pcso)", re.I)  # police, policemen, officers
    expected = sum(bool(police.search(r.text)) for r in rows)
    assert 0 < expected < len(rows)
    assert answer.status == "answered" and [f.value for f in answer.figures] == [expected]
    assert all(police.search(c.snippet) for c in answer.citations)
    last = asker.ask("How many comments came in from London last month?")
    assert last.query is not None and last.query.period == "2022-07"


def test_the_police_across_several_police_themes_are_counted_in_the_text() -> None:
    starter_like = dict(THEMES, **{tid: Theme(id=tid, label=label, source="seeded") for tid, label in [
        ("police_presence", "Police presence and patrols"), ("police_response", "Police response times"),
        ("police_conduct", "Police conduct and trust")]})
    embedder = HashingEmbedder()
    centroids = {tid: embedder.embed([t.label])[0] for tid, t in starter_like.items()}
    matcher = ThemeMatcher(starter_like, centroids, embedder.embed)
    assert matcher.match("police") is None and matcher.match("officers") is None
    assert matcher.match("police response times") is not None


def test_an_embedding_match_to_a_seeded_theme_needs_one_of_its_cues() -> None:
    economy = Theme(id="economy", label="Local businesses and the economy", source="seeded",
                    cues=["business", "shops?\\b", "owners?\\b"])
    centre = np.ones(8, dtype=np.float32) / np.sqrt(8)
    matcher = ThemeMatcher({"economy": economy}, {"economy": centre}, lambda texts: np.stack([centre] * len(texts)))
    assert matcher.match("minimum wage") is None  # as close as can be by meaning, but no cue
    match = matcher.match("shop owners")
    assert match is not None and match.theme_id == "economy" and match.how == "embedding"
