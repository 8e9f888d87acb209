"""Counts of a topic no theme covers, from the records' text: "How many comments mention the library?".

The answer says that it counts words, not meaning ("N records mention 'library' in their text; no theme covers
it"), and quotes the sentence of each cited record that names the topic. A topic that no record names is
insufficient evidence, never the scope's total.
"""

from __future__ import annotations

import numpy as np

from synth.ask.figures import EXAMPLES, Result, scope_of, where_label
from synth.ask.models import Citation, Figure, StructuredQuery
from synth.ask.query import FactIndex
from synth.ask.retrieve import best_sentence
from synth.ask.themes import SELF_WORDS, distinctive_stems, stem
from synth.readout import count as count_text
from synth.readout import period_label

SELF_STEMS = frozenset(stem(w) for w in SELF_WORDS)
POLICE_WORDS = ("polic", "officer", "cops", "constab", "pcso")  # word starts that name the police


class MentionWriter:
    def __init__(self, index: FactIndex) -> None:
        self.index = index

    def answer(self, query: StructuredQuery) -> Result:
        topic = (query.topic or "").strip()
        stems = frozenset(distinctive_stems(topic))
        when = period_label(query.period)
        if not stems:
            return Result(f"The question names no topic to look for ({where_label(query.districts)}, {when}).",
                          insufficient=True)
        base = self.index.mask(scope_of(query))
        if stems <= SELF_STEMS:  # "officers", "the police": any word for the police counts
            hits = base & np.logical_or.reduce([self.index.mention_mask(frozenset({s})) for s in POLICE_WORDS])
        else:
            hits = base & self.index.mention_mask(stems)
        what = f"records mentioning {topic!r} in their text"
        if not hits.any():
            return Result(f"No record in {where_label(query.districts)}, {when} mentions {topic!r}, and no theme "
                          f"covers it.", insufficient=True)
        by_district = query.group_by == "district" or len(query.districts) >= 2 or query.intent == "compare"
        if by_district:
            names = query.districts or self.index.districts
            counts = sorted(((self.index.records(hits & self.index.district_mask(d)), d) for d in names),
                            key=lambda x: (-x[0], x[1]))
            figures = [Figure(name=f"{what} in {d}, {when}", value=n, display=count_text(n), measure="records",
                              district=d, period=query.period) for n, d in counts]
            text = (f"Records mentioning {topic!r} in their text by district, {when}, most first: "
                    + "; ".join(f"{d} {n}" for n, d in counts) + ". No theme covers it, so these count words, "
                    "not meaning.")
        else:
            n = self.index.records(hits)
            figures = [Figure(name=f"{what} in {where_label(query.districts)}, {when}", value=n, display=count_text(n),
                              measure="records", period=query.period)]
            text = (f"{n} records mention {topic!r} in their text in {where_label(query.districts)}, {when}; no "
                    f"theme covers it, so this counts words, not meaning.")
        return Result(text, figures, self._quotes(hits, topic))

    def _quotes(self, hits: np.ndarray, topic: str) -> list[Citation]:
        """The newest records that name the topic, each by its sentence that names it."""
        idx = np.flatnonzero(hits)
        order = idx[np.lexsort((idx, -self.index.month[idx]))]
        return [Citation.quoting(self.index.rows[int(i)], best_sentence(self.index.rows[int(i)].text, topic))
                for i in order[:EXAMPLES]]
