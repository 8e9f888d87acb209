"""Conversations: follow-up questions keep the district and period (and, for fragments such as "and in
District 5?" or "what about speeding?", the whole question) of the previous turn. The context is one small
table in the system of record, so it survives restarts and is shared by the CLI and the API."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from synth.ask.models import StructuredQuery
from synth.db import Base, RecordStore

_FRAGMENT = re.compile(r"^\s*(?:and|what\s+about|how\s+about|same\s+(?:for|in)|also|now|then|in|for|only)\b",
                       re.IGNORECASE)
_ALL = re.compile(r"\b(?:all|every|each|whole|entire|city[- ]?wide|across)\b", re.IGNORECASE)
# Words that make a question ask something of its own (a count, a ranking, quotes), not only change the scope.
_OWN_INTENT = re.compile(r"\b(?:how\s+many|number\s+of|count|how\s+often|share|percent\w*|proportion|trend\w*|"
                         r"over\s+time|chang\w*|compare\w*|versus|vs|most|top|biggest|main|worr\w*|concerns?|"
                         r"issues|problems|say|said|saying|think|feel|tell\s+me|describe|summari[sz]e|quotes?|"
                         r"examples?)\b", re.IGNORECASE)
_QUESTION = re.compile(r"^\s*(?:what|which|who|how|why|when|where|is|are|do|does|did|has|have|can|could|"
                       r"would|should|will|give|show|list|tell)\b", re.IGNORECASE)
_NEEDS_THEME = frozenset({"share", "trend", "compare"})
_SHORT = 5  # words: "District 5?", "speeding in District 4 since May?"


class ConversationRow(Base):
    __tablename__ = "ask_conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    context: Mapped[dict[str, Any]] = mapped_column(JSON)  # the last StructuredQuery
    turns: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))


class ConversationStore:
    def __init__(self, records: RecordStore) -> None:
        self.records = records

    @staticmethod
    def new_id() -> str:
        return "c_" + uuid.uuid4().hex[:12]

    def load(self, conversation_id: str) -> StructuredQuery | None:
        with self.records.session() as s:
            row = s.get(ConversationRow, conversation_id)
            return StructuredQuery.model_validate(row.context) if row and row.context else None

    def save(self, conversation_id: str, query: StructuredQuery) -> None:
        with self.records.session() as s:
            row = s.get(ConversationRow, conversation_id)
            if row is None:
                row = ConversationRow(id=conversation_id, context={}, turns=0)
                s.add(row)
            row.context = query.model_dump(mode="json")
            row.turns = (row.turns or 0) + 1
            row.updated_at = dt.datetime.now(dt.UTC)


def is_fragment(question: str, query: StructuredQuery) -> bool:
    """ "and in District 5?", "what about September?", "what about speeding?", "District 5?": a question
    that only changes the scope or the theme of the previous one. A question with intent words of its own
    ("What are residents in District 5 most worried about?") is not one."""
    if query.intent == "out_of_scope" or _OWN_INTENT.search(question):
        return False
    short = len(question.split()) <= _SHORT and not _QUESTION.match(question)
    return bool(_FRAGMENT.match(question)) or short


def with_context(question: str, query: StructuredQuery, previous: StructuredQuery | None) -> StructuredQuery:
    """The query with what the conversation already established filled in."""
    if previous is None or query.intent == "out_of_scope" or previous.intent == "out_of_scope":
        return query
    if is_fragment(question, query):
        update: dict[str, Any] = {}
        if query.themes or (query.topic or "").strip():  # "what about speeding?": the same question for it
            update |= {"themes": query.themes, "topic": query.topic}
        if query.sentiment:
            update["sentiment"] = query.sentiment
        if query.districts or query.unknown_districts:
            update |= {"districts": query.districts, "unknown_districts": query.unknown_districts}
        if query.period:
            update |= {"period": query.period, "period_text": query.period_text}
        if query.kinds:
            update["kinds"] = query.kinds
        if query.group_by:
            update["group_by"] = query.group_by
        if update.get("group_by") == "district":
            update |= {"districts": [], "unknown_districts": []}
        return previous.model_copy(update=update)
    update = {}
    wants_all = bool(_ALL.search(question)) or query.group_by == "district"
    if not query.districts and not query.unknown_districts and not wants_all and previous.districts:
        update["districts"] = previous.districts
    if not query.period and previous.period:
        update |= {"period": previous.period, "period_text": previous.period_text}
    if not query.themes and not query.topic and previous.themes and query.intent in _NEEDS_THEME:
        update["themes"] = previous.themes  # "how has it changed?"; a count or ranking without one is its own
    return query.model_copy(update=update)
