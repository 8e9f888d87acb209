"""synth ask: the context of a question — reversed and ISO period ranges, month words that are names,
follow-ups that are full questions, and sentiment filters on counts without a theme."""

from __future__ import annotations

import datetime as dt

import pytest

from synth.ask.conversation import ConversationStore
from synth.ask.models import Answer, StructuredQuery
from synth.ask.periods import parse_period
from synth.ask.service import Asker
from synth.synthesis.facts import FactRow
from synth.synthesis.models import Annotation, Concern, SentimentScore
from tests.test_ask import ROWS, make_asker, row


class MemoryConversations(ConversationStore):
    """The conversation store without a database."""

    def __init__(self) -> None:
        self.saved: dict[str, StructuredQuery] = {}

    def load(self, conversation_id: str) -> StructuredQuery | None:
        return self.saved.get(conversation_id)

    def save(self, conversation_id: str, query: StructuredQuery) -> None:
        self.saved[conversation_id] = query


# -- periods ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "latest", "period"), [
    ("between November and February 2027", "2027-02", "2026-11..2027-02"),  # the start is the November before
    ("from Nov 2026 to Sep 2026", "2027-02", "2026-09..2026-11"),  # both years given: the ends are ordered
    ("between November and February", "2027-02", "2026-11..2027-02"),
])
def test_a_range_never_ends_before_it_starts(text: str, latest: str, period: str) -> None:
    match = parse_period(text, latest, "2026-06")
    assert match is not None and match.period == period


def test_a_reversed_range_is_answered_not_a_crash() -> None:
    rows = [*ROWS, row("late", "District 4", "2027-02-10", ["lighting"], kind="comment")]
    asker = make_asker(rows)
    for question in ("How many records mention lighting between November and February 2027?",
                     "How many records mention lighting from Nov 2026 to Sep 2026?"):
        answer = asker.ask(question)
        assert answer.status == "answered" and answer.query is not None
    assert asker.ask("How many records mention lighting from Nov 2026 to Sep 2026?").figures[0].value == 4


@pytest.mark.parametrize(("text", "period"), [
    ("between 2026-09 and 2026-11", "2026-09..2026-11"),
    ("from 2026-09 through 2026-11", "2026-09..2026-11"),
    ("from 2026-09 thru 2026-11", "2026-09..2026-11"),
    ("2026-09..2026-11", "2026-09..2026-11"),
    ("since may", "2026-05..2026-11"),
    ("since May", "2026-05..2026-11"),
    ("until may", "2026-05"),  # the first month of the data is 2026-06; the range starts no later than its end
    ("in may", "2026-05"),
    ("What do residents say about the Mar Vista park?", None),  # a name, not March
    ("What do residents say about Mar Vista?", None),
    ("in Oct", "2026-10"),
    ("Oct 2026", "2026-10"),
    ("since Sep", "2026-09..2026-11"),
    ("lighting in Mar Vista since October", "2026-10..2026-11"),
    ("what may residents want", None),
])
def test_period_connectors_and_month_words_that_are_names(text: str, period: str | None) -> None:
    match = parse_period(text, "2026-11", "2026-06")
    assert (match.period if match else None) == period


# -- conversations: only a fragment inherits the previous question ---------------------------------------------


def follow_up(first: str, then: str) -> tuple[Asker, Answer]:
    """Ask `first`, then `then` in the same conversation: the asker and the follow-up's answer."""
    asker = make_asker(conversations=MemoryConversations())
    return asker, asker.ask(then, asker.ask(first).conversation_id)


@pytest.mark.parametrize(("follow", "intent", "measure"), [
    ("What are residents in District 5 most worried about?", "ranking", "records"),
    ("How many meetings were held in District 5?", "count", "meetings"),
    ("What do residents in District 5 say?", "ranking", "records"),
])
def test_a_full_follow_up_question_keeps_its_own_intent(follow: str, intent: str, measure: str) -> None:
    _, answer = follow_up("How many meetings mentioned lighting in District 4?", follow)
    fresh = make_asker().ask(follow)
    assert answer.query is not None and fresh.query is not None
    assert (answer.query.intent, answer.query.measure, answer.query.themes, answer.query.districts) == (
        intent, measure, [], ["District 5"])
    assert answer.text == fresh.text and "Street lighting" not in answer.text


def test_a_follow_up_without_scope_inherits_district_and_period_only() -> None:
    _, answer = follow_up("How many records mention lighting in District 4 since October?",
                          "How many meetings were held?")
    assert answer.query is not None
    assert (answer.query.intent, answer.query.themes, answer.query.districts, answer.query.period) == (
        "count", [], ["District 4"], "2026-10..2026-11")
    assert answer.figures[0].value == 1 and answer.figures[0].theme is None


def test_a_fragment_naming_a_theme_asks_the_same_question_for_it() -> None:
    asker, answer = follow_up("How many meetings mentioned lighting in District 4?", "What about speeding?")
    assert answer.query is not None
    assert (answer.query.intent, answer.query.measure, answer.query.themes, answer.query.districts) == (
        "count", "meetings", ["speeding"], ["District 4"])
    assert answer.figures[0].value == 1 and answer.route == "figures"
    scoped = asker.ask("and in District 5?", answer.conversation_id)  # fragments still carry the whole query
    assert scoped.query is not None
    assert (scoped.query.intent, scoped.query.themes, scoped.query.districts) == (
        "count", ["speeding"], ["District 5"])
    short = asker.ask("District 4?", scoped.conversation_id)  # a very short question is a fragment too
    assert short.query is not None and (short.query.themes, short.query.districts) == (["speeding"], ["District 4"])


# -- figures: a sentiment filter without a theme ---------------------------------------------------------------


def _felt(rid: str, label: str) -> FactRow:
    sentiment = SentimentScore(label=label, score=0.7 if label == "positive" else -0.7)  # type: ignore[arg-type]
    concern = Concern(index=0, text="The lights on Elm.", theme_id="lighting", sentiment=sentiment)
    return FactRow(record_id=rid, district="District 4", date=dt.date(2026, 11, 3), kind="comment",
                   meeting_id=None, note_taker=None, attendee_count=None, text=concern.text,
                   annotation=Annotation(record_id=rid, concerns=[concern], annotator="t", sentiment=sentiment))


def test_a_count_without_a_theme_applies_the_sentiment_filter() -> None:
    rows = [_felt("p1", "positive"), _felt("p2", "positive"), _felt("p3", "positive"), _felt("n1", "negative")]
    answer = make_asker(rows).ask("How many residents complained in District 4?")
    assert answer.query is not None and (answer.query.sentiment, answer.query.themes) == ("negative", [])
    [figure] = answer.figures
    assert figure.value == 1 and "negative" in figure.name
    assert answer.text.startswith("1 records with a negative overall sentiment in District 4")
    assert [c.record_id for c in answer.citations] == ["n1"]
    praised = make_asker(rows).ask("How many records praised anything in District 4?")
    assert praised.figures[0].value == 3
    assert make_asker(rows).ask("How many records are there in District 4?").figures[0].value == 4
