"""Which resident words a fact sheet quotes for a theme.

Up to ``quotes_per_theme`` per theme. Candidates are the theme's concerns in scope whose text is a quotable
statement (synth/synthesis/quote_quality.py: long enough, complete, with a verb, not a bare reference); a
record flagged as addressing a model rather than residents' concerns (``Annotation.flagged``, set by
synth/synthesis/injection.py) is never quoted. A quote is the concern's text (already redacted), stripped of
surrounding whitespace, never the whole record and never altered.
Candidates are ranked by: sentiment agreeing with the theme's majority concern label first (ties: positive,
neutral, negative), so a theme listed among worries quotes a worry and one among praise quotes praise; then
representativeness ``scores[(record_id, concern.index)]`` descending when ``scores`` is given (unscored
candidates after scored ones); then length within
``quote_min_chars..quote_max_chars`` (30..240) before lengths outside it (nearest to the range first); then
shorter first; then record id and concern index. Picking in that order, a quote must come from a record and
a meeting not yet quoted and have a text (compared case- and whitespace-insensitively) not yet quoted; if
that leaves free slots, a second pass fills them from already quoted meetings (still distinct records and
texts). Both passes take only candidates agreeing with the majority; only then do two more passes admit the
others, so a quoted meeting's second worry goes before another meeting's praise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from synth.synthesis.models import DECLARED_INDEX, Concern, Quote, SentimentLabel
from synth.synthesis.quote_quality import is_quotable

if TYPE_CHECKING:
    from synth.synthesis.facts import FactConfig, FactRow

QuoteScores = Mapping[tuple[str, int], float]  # (record_id, Concern.index) -> representativeness


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def pick_quotes(candidates: Sequence[tuple[FactRow, Concern]], majority: SentimentLabel,
                scores: QuoteScores | None, cfg: FactConfig) -> list[Quote]:
    """The quotes of one theme from its concerns in scope, by the rules of the module docstring."""
    lo, hi = cfg.quote_min_chars, cfg.quote_max_chars

    def rank(item: tuple[FactRow, Concern, str]) -> tuple[object, ...]:
        row, concern, text = item
        score = scores.get((row.record_id, concern.index)) if scores is not None else None
        n = len(text)
        outside = max(lo - n, n - hi, 0)
        return (concern.sentiment.label != majority, score is None, -(score or 0.0), outside > 0, outside, n,
                row.record_id, concern.index)

    items = sorted(((r, c, c.text.strip()) for r, c in candidates
                    if c.index < DECLARED_INDEX and is_quotable(c.text) and not r.annotation.flagged), key=rank)
    picked: list[Quote] = []
    records: set[str] = set()
    meetings: set[object] = set()
    texts: set[str] = set()
    for agreeing_only, distinct_meetings in ((True, True), (True, False), (False, True), (False, False)):
        for row, concern, text in items:
            if len(picked) >= cfg.quotes_per_theme:
                return picked
            meeting = row.meeting
            if row.record_id in records or _normal(text) in texts or (
                    agreeing_only and concern.sentiment.label != majority) or (
                    distinct_meetings and meeting is not None and meeting in meetings):
                continue
            picked.append(Quote(record_id=row.record_id, text=text))
            records.add(row.record_id)
            texts.add(_normal(text))
            meetings.add(meeting)
    return picked
