"""One corpus: the annotated data of a store, as every consumer reads it.

    taxonomy (stored) ─► spans (cached in SQL) ─► annotations (offline or LLM; learner decisions stored)
      ─► fact rows (one per annotated record) ─► quote scores (how plainly each span is about its theme)

`Synthesizer.corpus()` runs that sequence once and returns a `Corpus`; summaries (`Synthesizer.summarize`),
`ask` (`Asker.from_corpus`), the API and the evals all take theirs from it, so the fact sheets the evals score
are the sheets the summaries show (same rows, same quote scores, built by `Corpus.sheets`).

    corpus = services.synthesizer.corpus()
    corpus.sheets(corpus.latest_period)        # every district's sheet, then the city's
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from synth.outbound import Scrub
from synth.synthesis.default_period import PeriodChoice, city_period, default_period
from synth.synthesis.facts import CITY_WIDE, FactRow, build_city_sheet, build_fact_sheet, periods_in
from synth.synthesis.models import Annotation, FactSheet, Theme, ThemeFacts
from synth.synthesis.store import StoredSpan
from synth.synthesis.themes import TaxonomyState

QuoteScores = Mapping[tuple[str, int], float]
CitationIndex = dict[str, tuple[str | None, set[str]]]


@dataclass(frozen=True)
class Corpus:
    """The taxonomy, spans, annotations, fact rows and quote scores of one store, read together.

    `scores` is None with the LLM annotator (its concerns are not the stored spans, so quotes keep the
    sheet's default order)."""

    taxonomy: TaxonomyState
    spans: Sequence[StoredSpan]
    annotations: dict[str, Annotation]
    rows: list[FactRow]
    scores: QuoteScores | None
    outbound: Scrub | None = None  # the last redaction pass over every quote a sheet shows (synth/outbound.py)

    @cached_property
    def themes(self) -> dict[str, Theme]:
        """The concern themes (chatter is not counted)."""
        return {tid: t for tid, t in self.taxonomy.themes.items() if t.is_concern}

    @cached_property
    def keywords(self) -> dict[str, list[str]]:
        return {tid: t.keywords for tid, t in self.themes.items()}

    @cached_property
    def periods(self) -> list[str]:
        """The months ("YYYY-MM", ascending) that hold at least one dated record."""
        return periods_in(self.rows)

    @property
    def latest_period(self) -> str | None:
        return self.periods[-1] if self.periods else None

    @cached_property
    def districts(self) -> list[str]:
        return sorted({r.district for r in self.rows if r.district})

    @cached_property
    def index(self) -> CitationIndex:
        """Record id -> (district, themes): what the grounding check needs to judge a citation."""
        return {row.record_id: (row.district, set(row.annotation.themes)) for row in self.rows}

    def default_period(self, district: str) -> PeriodChoice:
        """The period `district`'s summary covers when none is asked for (synth/synthesis/default_period.py);
        for CITY_WIDE, the period the districts agree on, else every record."""
        if district == CITY_WIDE:
            if not self.districts:
                return default_period(self.rows, "the city")
            return city_period([self.default_period(d) for d in self.districts])
        return default_period([r for r in self.rows if r.district == district], district)

    def sheet(self, district: str | None, period: str) -> FactSheet:
        """One district's fact sheet for `period`, quotes ranked by the corpus's scores."""
        return self._scrubbed(build_fact_sheet(self.rows, self.themes, district=district, period=period,
                                               scores=self.scores))

    def city_sheet(self, period: str) -> FactSheet:
        return self._scrubbed(build_city_sheet(self.rows, self.themes, period=period, scores=self.scores))

    def _scrubbed(self, sheet: FactSheet) -> FactSheet:
        if self.outbound is None:
            return sheet
        groups = (sheet.themes, sheet.highlights)
        texts = self.outbound([q.text for group in groups for t in group for q in t.quotes])
        clean = iter(texts)

        def theme(t: ThemeFacts) -> ThemeFacts:
            return t.model_copy(update={"quotes": [q.model_copy(update={"text": next(clean)}) for q in t.quotes]})

        themes, highlights = [theme(t) for t in sheet.themes], [theme(t) for t in sheet.highlights]
        return sheet.model_copy(update={"themes": themes, "highlights": highlights})

    def sheets(self, period: str, *, district: str | None = None, include_city: bool = True) -> list[FactSheet]:
        """The sheets a summary run shows: `district`'s alone (CITY_WIDE: the city's), or every district's and
        then (with `include_city`) the city's."""
        if district == CITY_WIDE:
            return [self.city_sheet(period)]
        if district:
            return [self.sheet(district, period)]
        sheets = [self.sheet(d, period) for d in self.districts]
        return sheets + [self.city_sheet(period)] if include_city else sheets
