"""The retrieval route: open questions ("what do residents say about the new park?") answered with quoted
records from the vector index, filtered by the district, period and kind the question implies, by its
theme when one was recognised (so every citation raises the theme it is quoted for) and by its sentiment
when it asks for one, by the rule the counts use (FigureWriter): with a theme, a concern of that theme with the
sentiment; without one, the record's overall sentiment (so every record quoted is one the count counts)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from synth.ask.figures import EXAMPLES, period_label, where_label
from synth.ask.models import Citation, StructuredQuery
from synth.ask.query import FactIndex, theme_concern
from synth.ask.themes import content_words, distinctive_stems, stem
from synth.period import Period
from synth.synthesis.facts import FactRow

if TYPE_CHECKING:
    from vectorstore.search import SearchFilter, VectorSearch

MAX_SNIPPET = 240
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class RetrievalConfig:
    k: int = 40  # chunks asked of the index
    # Chunk-level distances are noisy (a chunk holds several concerns), so a chunk without a theme match must
    # either contain every distinctive topic word or be very close (MiniLM cosine distance).
    strong_distance: float = 0.40
    quotes: int = 4
    # A question about praise (or complaints) quotes concerns the sentiment model is fairly sure of, surest first:
    # a concern barely over the line reads as neither ("We already have a lot of parks.").
    min_felt: float = 0.5


def search_filter(query: StructuredQuery) -> SearchFilter:
    from vectorstore.search import SearchFilter

    span = Period.parse(query.period) if query.period else Period.ALL
    start, end = (None, None) if span.is_all else (span.start, span.end)
    return SearchFilter(districts=query.districts or None, date_from=start, date_to=end, kinds=query.kinds or None)


def mentions_all(text: str, topic: str) -> bool:
    """Whether `text` contains every distinctive word of the topic (stemmed)."""
    wanted = distinctive_stems(topic)
    return bool(wanted) and wanted <= {stem(w) for w in content_words(text)}


def best_sentence(text: str, topic: str) -> str:
    """The sentence of `text` sharing most words with the topic (the first one on a tie), verbatim."""
    wanted = distinctive_stems(topic) or {stem(w) for w in content_words(topic)}
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()] or [text.strip()]
    best = max(sentences, key=lambda s: (len(wanted & {stem(w) for w in content_words(s)}), -sentences.index(s)))
    return best[:MAX_SNIPPET]


class Retriever:
    def __init__(self, index: VectorSearch | Callable[[], VectorSearch] | None, facts: FactIndex,
                 config: RetrievalConfig | None = None) -> None:
        self._index = index  # a callable opens the index when an open question first needs it
        self.facts = facts
        self.config = config or RetrievalConfig()

    @property
    def index(self) -> VectorSearch | None:
        if callable(self._index):
            self._index = self._index()
        return self._index

    def _in_scope(self, row: FactRow, query: StructuredQuery) -> bool:
        if query.districts and row.district not in query.districts:
            return False
        if query.kinds and row.kind not in query.kinds:
            return False
        if query.period and not Period.parse(query.period).contains(row.date, row.date_precision):
            return False
        if query.sentiment and not query.themes:  # as counted: the record as a whole (FactIndex.felt_mask)
            return row.annotation.sentiment.label == query.sentiment
        if query.sentiment and not any(c.sentiment.label == query.sentiment for c in row.annotation.concerns
                                       if c.theme_id in query.themes):
            return False
        return not query.themes or any(t in row.annotation.themes for t in query.themes)

    def _felt(self, record_id: str, query: StructuredQuery) -> float:
        """How strongly the record (with themes: its concerns of them) has the question's sentiment, 0..1."""
        i = self.facts.row_of.get(record_id)
        if i is None or query.sentiment is None:
            return 0.0
        a = self.facts.rows[i].annotation
        if not query.themes:
            return abs(a.sentiment.score) if a.sentiment.label == query.sentiment else 0.0
        return max((abs(c.sentiment.score) for c in a.concerns
                    if c.theme_id in query.themes and c.sentiment.label == query.sentiment), default=0.0)

    def search(self, query: StructuredQuery, text: str) -> list[Citation]:
        """Quotes about `text` within the query's scope, most relevant first; [] when nothing is close. With
        several themes each gets an equal part of the quotes (a record counts for the first one it raises)."""
        picked: list[Citation] = []
        themes = query.themes
        per_theme = -(-self.config.quotes // len(themes)) if themes else self.config.quotes
        quoted: Counter[str | None] = Counter()  # quotes taken per theme
        if self.index is not None:
            hits = self.index.query(text, k=self.config.k, where=search_filter(query))
            if query.sentiment:  # the surest first (sorted is stable: then the closest)
                hits = sorted(hits, key=lambda h: -self._felt(h.record_id, query))
            for hit in hits:
                if not themes and hit.distance > self.config.strong_distance and not mentions_all(hit.text, text):
                    continue
                i = self.facts.row_of.get(hit.record_id)
                if i is None or any(c.record_id == hit.record_id for c in picked):
                    continue
                row = self.facts.rows[i]
                if not self._in_scope(row, query) or (query.sentiment and
                                                      self._felt(row.record_id, query) < self.config.min_felt):
                    continue
                theme = next((t for t in themes if t in row.annotation.themes), None)
                if quoted[theme] >= per_theme:
                    continue
                quoted[theme] += 1
                snippet = _theme_concern(row, theme, query.sentiment) or best_sentence(hit.text, text)
                picked.append(Citation.quoting(row, snippet))
                if len(picked) >= self.config.quotes:
                    return picked
        if themes:  # fill from each theme's own records when the index had too few
            from synth.ask.figures import scope_of

            mask = self.facts.mask(scope_of(query))
            for theme in themes:
                for row, snippet in self.facts.examples(mask, theme, self.config.quotes, query.sentiment):
                    if len(picked) >= self.config.quotes or quoted[theme] >= per_theme:
                        break
                    if query.sentiment and self._felt(row.record_id, query) < self.config.min_felt:
                        continue
                    if all(c.record_id != row.record_id for c in picked):
                        quoted[theme] += 1
                        picked.append(Citation.quoting(row, snippet))
        return picked


def _theme_concern(row: FactRow, theme: str | None, sentiment: str | None = None) -> str | None:
    text = theme_concern(row, theme, sentiment) if theme is not None else None
    return text[:MAX_SNIPPET] if text else None


def open_answer_text(query: StructuredQuery, citations: list[Citation], topic_label: str) -> str:
    """The offline answer: what was found, then the quotes (as data, in quotation marks)."""
    where = f"{where_label(query.districts)}, {period_label(query.period)}"
    quotes = "; ".join(f"“{c.snippet}” [{c.record_id}]" for c in citations[:EXAMPLES + 1])
    return f"What residents said about {topic_label} ({where}): {quotes}."
