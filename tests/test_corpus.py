"""One corpus: summaries, `ask` and the evals read taxonomy, spans, annotations, fact rows and quote scores
from `Synthesizer.corpus()`, so they see the same rows and the same quotes."""

from __future__ import annotations

from typing import Any

from synth.ask.service import Asker
from synth.synthesis.facts import build_city_sheet, build_fact_sheet
from synth.synthesis.pipeline import Synthesizer
from tests.test_synthesis import synth  # noqa: F401  (the hand-made city's fixture)


def test_the_corpus_reads_every_step_of_the_annotation_sequence(synth: Synthesizer) -> None:  # noqa: F811
    synth.refresh()
    corpus = synth.corpus()
    assert corpus.taxonomy.themes == synth.taxonomy().themes
    assert len(corpus.spans) == len(synth.spans())
    assert corpus.annotations == synth.annotations()
    assert corpus.rows == synth.fact_rows(corpus.annotations)
    assert corpus.scores == synth.quote_scores(corpus.taxonomy, corpus.annotations)
    assert corpus.scores  # the offline annotator's spans are scored for quotes
    assert set(corpus.themes) == {tid for tid, t in corpus.taxonomy.themes.items() if t.is_concern}
    assert corpus.periods == ["2026-10", "2026-11"] and corpus.latest_period == "2026-11"
    assert corpus.districts == ["District A", "District B"]
    assert corpus.index["c0"] == ("District A", set(corpus.annotations["c0"].themes))


def test_summaries_show_the_corpus_sheets_with_its_quote_scores(synth: Synthesizer) -> None:  # noqa: F811
    synth.refresh()
    corpus = synth.corpus()
    sheets = corpus.sheets("2026-11")
    assert [s.district for s in sheets] == ["District A", "District B", "City-wide"]
    assert sheets[0] == build_fact_sheet(corpus.rows, corpus.themes, district="District A", period="2026-11",
                                         scores=corpus.scores)
    assert sheets[-1] == build_city_sheet(corpus.rows, corpus.themes, period="2026-11", scores=corpus.scores)
    assert [s.district for s in corpus.sheets("2026-11", include_city=False)] == ["District A", "District B"]
    assert [s.district for s in corpus.sheets("2026-11", district="District B")] == ["District B"]
    for summaries in (synth.summarize(), synth.summarize(corpus=corpus)):  # its own corpus, then the one given
        assert [s.district for s in summaries] == [s.district for s in sheets]
        for summary, sheet in zip(summaries, sheets, strict=True):
            assert summary.period == sheet.period == "2026-11"
            assert [(t.id, t.mentions, t.quotes) for t in summary.themes] == \
                [(t.id, t.mentions, t.quotes) for t in sheet.themes]


def test_ask_sees_the_fact_rows_and_quote_scores_the_summaries_use(synth: Synthesizer, services: Any) -> None:  # noqa: F811
    synth.refresh()
    services.__dict__["synthesizer"] = synth  # the hand-made city's synthesizer serves `ask`
    corpus = synth.corpus()
    for asker in (Asker.from_services(services), Asker.from_corpus(corpus)):
        assert asker.facts.rows == corpus.rows
        assert asker.facts.clarity == corpus.scores
        assert set(asker.facts.themes) == set(corpus.themes)
