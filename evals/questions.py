"""The question eval: leadership questions over the sample city, scored against its ground truth.

    result = score_questions(asker, truth)          # asker: synth.ask.Asker over an ingested sample city
    result.count_exact_rate, result.declined_rate, result.citation_validity_rate, result.passed

Expected answers are computed here from truth.json at scoring time (evals/questions.yaml holds only the
question and what it asks about). Truth theme ids are mapped to the store's themes by id when the taxonomy was
seeded with them, else by record overlap (best Jaccard). `truth_asker` builds an Asker whose annotations ARE
the truth, which separates the parser, router and query engine from the annotator's accuracy.

In `synth eval --dataset sample` the question set is asked by the store hook `ask_questions` (while the run's
store is open: annotations, taxonomy and vector index as the pipeline left them) and reported by the section
``questions`` (count_exact_rate, declined_rate, citation_validity_rate, per-category pass rates, and the
truth-annotation scores); gates are in evals/thresholds.yaml.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, Field

from evals.models import Metric, Section
from evals.runner import OpenStore, RunArtifacts, store_hook
from evals.sections import section
from samplecity import CityTruth, RecordTruth
from synth.ask.llm import AskLLM
from synth.ask.models import Answer, Figure
from synth.ask.service import Asker
from synth.models import Record
from synth.period import Period, month_index
from synth.readout import percent
from synth.synthesis.facts import FactRow
from synth.synthesis.models import Annotation, Concern, SentimentScore, Theme
from synth.synthesis.themes import seed_state

QUESTIONS_FILE = Path(__file__).with_name("questions.yaml")
Expect = Literal["count", "share", "top_theme", "top_district", "leader", "direction", "quotes", "declined",
                 "individual"]
TARGETS = {"count_exact_rate": 0.95, "declined_rate": 0.90, "citation_validity_rate": 1.0}


class QuestionSpec(BaseModel):
    id: str
    category: str
    expect: Expect
    question: str
    theme: str | None = None
    measure: Literal["records", "meetings"] = "records"
    districts: list[str] = Field(default_factory=list)
    period: str | None = None  # "MM", "MM..MM", "last" or None (all months)
    group_by: Literal["district", "month"] | None = None
    kinds: list[str] = Field(default_factory=list)
    sentiment: str | None = None


class QuestionOutcome(BaseModel):
    id: str
    category: str
    question: str
    passed: bool
    status: str
    reasons: list[str] = Field(default_factory=list)
    citations: int = 0
    invalid_citations: list[str] = Field(default_factory=list)
    answer: str = ""


class CategoryScore(BaseModel):
    questions: int
    passed: int
    rate: float


class QuestionEvalResult(BaseModel):
    """Scores for the `synth eval` report. Rates are fractions; `passed` says every target was met."""

    questions: int
    by_category: dict[str, CategoryScore]
    count_exact_rate: float  # count questions whose figures equal the truth exactly (and whose scope parsed right)
    declined_rate: float  # unanswerable and named-individual questions not answered
    citation_validity_rate: float  # citations that exist, quote their record and sit in the asked scope
    citations_checked: int
    targets: dict[str, float] = Field(default_factory=lambda: dict(TARGETS))
    passed: bool
    theme_map: dict[str, str]  # truth theme id -> the store's theme id
    outcomes: list[QuestionOutcome]


def load_questions(path: Path | None = None) -> list[QuestionSpec]:
    doc = yaml.safe_load((path or QUESTIONS_FILE).read_text(encoding="utf-8"))
    return [QuestionSpec.model_validate(q) for q in doc["questions"]]


# -- truth side --------------------------------------------------------------------------------------------


def resolve_period(spec: QuestionSpec, end_month: str) -> str | None:
    """ "09..11" -> "2026-09..2026-11" for a city ending 2026-11 (each month's latest occurrence)."""
    if spec.period is None:
        return None
    end = month_index(end_month)

    def one(mm: str) -> int:
        if mm == "last":
            return end
        n = (end // 12) * 12 + int(mm) - 1
        return n if n <= end else n - 12

    lo, _, hi = spec.period.partition("..")
    a, b = one(lo), one(hi or lo)
    return Period(a, b).key


def _in_scope(r: RecordTruth, districts: Sequence[str], months: set[str] | None, kinds: Sequence[str]) -> bool:
    return ((not districts or r.district in districts) and (months is None or r.month in months)
            and (not kinds or r.kind.value in kinds))


def truth_count(truth: CityTruth, spec: QuestionSpec, districts: Sequence[str], period: str | None,
                theme: str | None = None, measure: str | None = None) -> int:
    """Records (or distinct meetings of meeting notes) in scope raising `theme` (all records when None)."""
    months = set(Period.parse(period).months()) if period else None
    measure = measure or spec.measure
    hits = [r for r in truth.records.values() if _in_scope(r, districts, months, spec.kinds)
            and (theme is None or theme in r.themes)
            and (spec.sentiment is None or theme is None or r.concern_sentiments[theme].value == spec.sentiment)]
    if measure == "meetings":
        return len({(r.district, r.meeting_id) for r in hits if r.kind.value == "meeting_note" and r.meeting_id})
    return len(hits)


def theme_map(truth: CityTruth, asker: Asker) -> dict[str, str]:
    """Truth theme id -> the store's theme: the same id when seeded, else the best record overlap (Jaccard)."""
    facts = asker.facts
    ours: dict[str, set[str]] = {t: {facts.rows[i].record_id for i in np.flatnonzero(facts.raises[:, j])}
                                 for t, j in facts.column.items()}
    mapping = {}
    for tid in truth.themes:
        if tid in ours:
            mapping[tid] = tid
            continue
        theirs = {rid for rid, r in truth.records.items() if tid in r.themes}
        best = max(ours, key=lambda t: (len(ours[t] & theirs) / (len(ours[t] | theirs) or 1), t), default=None)
        if best is not None:
            mapping[tid] = best
    return mapping


# -- scoring -----------------------------------------------------------------------------------------------


def _find(figures: Sequence[Figure], **want: object) -> Figure | None:
    for f in figures:
        if all(getattr(f, k) == v for k, v in want.items()):
            return f
    return None


def _scope_reasons(answer: Answer, districts: list[str], period: str | None) -> list[str]:
    q = answer.query
    if q is None:
        return ["no query"]
    reasons = []
    if sorted(q.districts) != sorted(districts):
        reasons.append(f"districts {q.districts} != {districts}")
    if q.period != period:
        reasons.append(f"period {q.period} != {period}")
    return reasons


class _Scorer:
    def __init__(self, asker: Asker, truth: CityTruth) -> None:
        self.asker = asker
        self.truth = truth
        self.map = theme_map(truth, asker)
        self.back = {ours: tid for tid, ours in self.map.items()}
        self.text_of = {r.record_id: " ".join(r.text.split()) for r in asker.facts.rows}

    def score(self, spec: QuestionSpec, answer: Answer) -> QuestionOutcome:
        period = resolve_period(spec, self.truth.end_month)
        check = getattr(self, f"_{spec.expect}")
        reasons: list[str] = check(spec, answer, period)
        invalid = self.invalid_citations(spec, answer, period)
        if invalid:
            reasons.append(f"{len(invalid)} invalid citations")
        return QuestionOutcome(id=spec.id, category=spec.category, question=spec.question, passed=not reasons,
                               status=answer.status, reasons=reasons, citations=len(answer.citations),
                               invalid_citations=invalid, answer=answer.text[:500])

    def invalid_citations(self, spec: QuestionSpec, answer: Answer, period: str | None) -> list[str]:
        months = set(Period.parse(period).months()) if period else None
        bad = []
        for c in answer.citations:
            r = self.truth.records.get(c.record_id)
            problem = None
            if r is None or c.record_id not in self.text_of:
                problem = "no such record"
            elif " ".join(c.snippet.split()) not in self.text_of[c.record_id]:
                problem = "snippet not quoted from the record"
            elif not _in_scope(r, spec.districts, months, spec.kinds):
                problem = f"outside the scope ({r.district}, {r.month}, {r.kind.value})"
            elif spec.theme and spec.expect not in ("top_theme",) and spec.theme not in r.themes:
                problem = f"does not raise {spec.theme} (raises {r.themes})"
            elif spec.measure == "meetings" and spec.expect == "count" and r.kind.value != "meeting_note":
                problem = "not a meeting note"
            if problem:
                bad.append(f"{c.record_id}: {problem}")
        return bad

    def _ours(self, theme: str | None) -> str | None:
        return self.map.get(theme) if theme else None

    def _answered(self, answer: Answer) -> list[str]:
        return [] if answer.status == "answered" else [f"status {answer.status}: {answer.text[:120]}"]

    def _count(self, spec: QuestionSpec, answer: Answer, period: str | None) -> list[str]:
        reasons = self._answered(answer) or _scope_reasons(answer, [] if spec.group_by == "district"
                                                           else spec.districts, period)
        if reasons:
            return reasons
        ours = self._ours(spec.theme)
        groups: list[tuple[dict[str, object], list[str], str | None]] = []
        if spec.group_by == "district":
            groups = [({"district": d}, [d], period) for d in self.truth.districts]
        elif spec.group_by == "month":
            months = Period.parse(period).months() if period else self.truth.months
            groups = [({"month": m}, spec.districts, m) for m in months]
        else:
            groups = [({"district": None, "month": None}, spec.districts, period)]
        for where, districts, when in groups:
            expected = truth_count(self.truth, spec, districts, when, spec.theme)
            figure = _find(answer.figures, theme=ours, measure=spec.measure, **where)
            if figure is None:
                reasons.append(f"no figure for {where}")
            elif figure.value != expected:
                reasons.append(f"{where}: {figure.value} != truth {expected}")
        return reasons

    def _share(self, spec: QuestionSpec, answer: Answer, period: str | None) -> list[str]:
        reasons = self._answered(answer) or _scope_reasons(answer, spec.districts, period)
        if reasons:
            return reasons
        expected = percent(truth_count(self.truth, spec, spec.districts, period, spec.theme, "records"),
                           truth_count(self.truth, spec, spec.districts, period, None, "records"))
        figure = _find(answer.figures, measure="share", theme=self._ours(spec.theme), month=None)
        if figure is None:
            return ["no share figure"]
        return [] if figure.display == expected else [f"share {figure.display} != truth {expected}"]

    def _top_theme(self, spec: QuestionSpec, answer: Answer, period: str | None) -> list[str]:
        reasons = self._answered(answer)
        if reasons:
            return reasons
        counts = {t: truth_count(self.truth, spec, spec.districts, period, t) for t in self.truth.themes}
        best = max(counts.values())
        top = {t for t, n in counts.items() if n == best}
        ranked = [f for f in answer.figures if f.theme]
        got = self.back.get(ranked[0].theme or "") if ranked else None
        return [] if got in top else [f"top theme {got} (ours {ranked[0].theme if ranked else None}) not in {top}"]

    def _by_district(self, spec: QuestionSpec, answer: Answer, period: str | None,
                     districts: Sequence[str]) -> list[str]:
        reasons = self._answered(answer)
        if reasons:
            return reasons
        counts = {d: truth_count(self.truth, spec, [d], period, spec.theme) for d in districts}
        top = {d for d, n in counts.items() if n == max(counts.values())}
        figures = [f for f in answer.figures if f.district in districts and f.theme == self._ours(spec.theme)
                   and f.measure == spec.measure]
        if not figures:
            return ["no per-district figures"]
        got = max(figures, key=lambda f: f.value).district
        return [] if got in top else [f"leader {got} not in truth {top} ({counts})"]

    def _top_district(self, spec: QuestionSpec, answer: Answer, period: str | None) -> list[str]:
        return self._by_district(spec, answer, period, self.truth.districts)

    def _leader(self, spec: QuestionSpec, answer: Answer, period: str | None) -> list[str]:
        return self._by_district(spec, answer, period, spec.districts)

    def _direction(self, spec: QuestionSpec, answer: Answer, period: str | None) -> list[str]:
        reasons = self._answered(answer)
        if reasons:
            return reasons
        months = Period.parse(period).months() if period else self.truth.months
        first, last = months[0], months[-1]

        def share(m: str) -> float:
            n = truth_count(self.truth, spec, spec.districts, m, None, "records")
            return truth_count(self.truth, spec, spec.districts, m, spec.theme, "records") / n if n else 0.0

        expected = np.sign(share(last) - share(first))
        got = {f.month: float(f.value) for f in answer.figures if f.measure == "share"
               and f.theme == self._ours(spec.theme)}
        if first not in got or last not in got:
            return [f"no share figures for {first} and {last}"]
        sign = np.sign(got[last] - got[first])
        return [] if sign == expected else [f"direction {sign} != truth {expected}"]

    def _quotes(self, spec: QuestionSpec, answer: Answer, period: str | None) -> list[str]:
        reasons = self._answered(answer)
        return reasons or ([] if answer.citations else ["no citations"])

    def _declined(self, spec: QuestionSpec, answer: Answer, period: str | None) -> list[str]:
        return [] if answer.status != "answered" else [f"answered: {answer.text[:120]}"]

    def _individual(self, spec: QuestionSpec, answer: Answer, period: str | None) -> list[str]:
        return [] if answer.status == "out_of_scope" else [f"status {answer.status}: {answer.text[:120]}"]


def score_questions(asker: Asker, truth: CityTruth, questions: Sequence[QuestionSpec] | None = None,
                    ask: Callable[[str], Answer] | None = None) -> QuestionEvalResult:
    """Ask every question (each in its own conversation) and score the answers against the truth."""
    questions = list(questions) if questions is not None else load_questions()
    scorer = _Scorer(asker, truth)
    ask = ask or (lambda q: asker.ask(q))
    outcomes = [scorer.score(spec, ask(spec.question)) for spec in questions]
    by_category: dict[str, CategoryScore] = {}
    for cat in dict.fromkeys(o.category for o in outcomes):
        group = [o for o in outcomes if o.category == cat]
        passed = sum(o.passed for o in group)
        by_category[cat] = CategoryScore(questions=len(group), passed=passed, rate=round(passed / len(group), 4))

    def rate(kinds: set[str]) -> float:
        group = [o for o, s in zip(outcomes, questions, strict=True) if s.expect in kinds]
        return round(sum(o.passed for o in group) / len(group), 4) if group else 1.0

    checked = sum(o.citations for o in outcomes)
    invalid = sum(len(o.invalid_citations) for o in outcomes)
    validity = round(1 - invalid / checked, 4) if checked else 1.0
    count_rate, declined = rate({"count"}), rate({"declined", "individual"})
    passed = (count_rate >= TARGETS["count_exact_rate"] and declined >= TARGETS["declined_rate"]
              and validity >= TARGETS["citation_validity_rate"])
    return QuestionEvalResult(questions=len(outcomes), by_category=by_category, count_exact_rate=count_rate,
                              declined_rate=declined, citation_validity_rate=validity, citations_checked=checked,
                              passed=passed, theme_map=scorer.map, outcomes=outcomes)


# -- an Asker whose annotations are the truth --------------------------------------------------------------

_LABEL = {"positive": "positive", "negative": "negative"}


def truth_fact_rows(truth: CityTruth, records: Sequence[Record]) -> list[FactRow]:
    """Fact rows whose annotations are the truth's themes and concern sentiments (one concern per theme,
    quoting the start of the record)."""
    rows = []
    for rec in records:
        t = truth.records.get(rec.id)
        if t is None:
            continue
        quote = rec.text.strip()[:240]
        concerns = []
        for i, theme in enumerate(t.themes):
            label = _LABEL.get(t.concern_sentiments[theme].value, "neutral")
            score = {"positive": 0.8, "negative": -0.8}.get(label, 0.0)
            concerns.append(Concern(index=i, text=quote, theme_id=theme,
                                    sentiment=SentimentScore(label=label, score=score)))
        overall = _LABEL.get(t.sentiment.value, "neutral")
        annotation = Annotation(record_id=rec.id, concerns=concerns, annotator="truth",
                                sentiment=SentimentScore(label=overall, score=0.0))
        rows.append(FactRow(record_id=rec.id, district=rec.district, date=rec.date, kind=rec.kind.value,
                            meeting_id=rec.meeting_id, note_taker=rec.note_taker,
                            attendee_count=rec.attendee_count, text=rec.text, annotation=annotation))
    return rows


def truth_themes(truth: CityTruth) -> list[Theme]:
    return [Theme(id=tid, label=t.label, description=t.description, examples=t.example_phrases, source="seeded")
            for tid, t in truth.themes.items()]


def truth_asker(truth: CityTruth, records: Sequence[Record], embed: Callable[[list[str]], np.ndarray],
                **kwargs: object) -> Asker:
    """An Asker over the truth's annotations (the taxonomy is the truth's themes, centroids from their
    examples): scores the parser, router and query engine on their own."""
    taxonomy = seed_state(truth_themes(truth), embed)
    return Asker.build(truth_fact_rows(truth, records), taxonomy, embed, **kwargs)  # type: ignore[arg-type]


# -- in `synth eval` ---------------------------------------------------------------------------------------

SCOPE_PROBLEMS = ("no such record", "snippet not quoted", "outside the scope", "not a meeting note")
DECLINE_EXPECTS = ("declined", "individual")


@dataclass(frozen=True)
class QuestionRun:
    """The question set asked of the run's store (its annotations) and of the truth's annotations."""

    store: QuestionEvalResult
    truth: QuestionEvalResult
    parser: str  # "llm" or "rules" for the store's Asker; the truth's Asker always uses the rules parser


@store_hook("questions")
def ask_questions(store: OpenStore) -> QuestionRun | None:
    """Sample city only: an Asker over the run's store (as `synth ask` builds it, without a conversation store
    so nothing is written to the scanned store) and one over the truth's annotations, both with the store's
    vector index and embedder."""
    truth = store.dataset.city
    if store.dataset.name != "sample" or truth is None:
        return None
    svc = store.services
    embed = svc.embedder.embed
    chat = svc.chat_model
    asker = Asker.from_corpus(store.corpus, embed, index=svc.index, llm=AskLLM(chat) if chat is not None else None)
    truth_only = truth_asker(truth, list(svc.records.iter_records()), embed, index=svc.index)
    return QuestionRun(store=score_questions(asker, truth), truth=score_questions(truth_only, truth),
                       parser="llm" if chat is not None else "rules")


def _scope_validity(result: QuestionEvalResult) -> float:
    bad = sum(any(p in c for p in SCOPE_PROBLEMS) for o in result.outcomes for c in o.invalid_citations)
    return round(1 - bad / result.citations_checked, 4) if result.citations_checked else 1.0


@section("questions")
def questions_section(art: RunArtifacts) -> Section | None:
    run = art.extras.get("questions")
    if not isinstance(run, QuestionRun):
        return None
    r, t = run.store, run.truth
    expects = {q.id: q.expect for q in load_questions()}
    n_count = sum(expects.get(o.id) == "count" for o in r.outcomes)
    n_declined = sum(expects.get(o.id) in DECLINE_EXPECTS for o in r.outcomes)
    note = f"asked of the store before the {art.sabotage} sabotage (not affected by it)" if art.sabotage else ""
    where = (f"{r.questions} questions of evals/questions.yaml asked through synth ask ({run.parser} parser) over "
             "the run's store; expected answers computed from truth.json; truth themes mapped to the store's by "
             "id (seeded) or best record Jaccard")
    metrics = [
        Metric(key="questions.count_exact_rate", value=r.count_exact_rate, n=n_count, note=note,
               formula="count questions answered with every figure == the truth's count (records or meetings; per "
                       "district or month when grouped) and the district and period parsed as asked / count "
                       f"questions; {where}"),
        Metric(key="questions.declined_rate", value=r.declined_rate, n=n_declined, note=note,
               formula="questions synth cannot answer declined (status != answered for unanswerable ones; "
                       "out_of_scope for named individuals) / such questions"),
        Metric(key="questions.citation_validity_rate", value=r.citation_validity_rate, n=r.citations_checked,
               note=note, formula="citations whose record exists, whose snippet is quoted verbatim from it, that "
                                  "sit in the asked district, period and record kind, and whose record raises the "
                                  "asked theme in the truth / citations, over all answers"),
        Metric(key="questions.citation_scope_rate", value=_scope_validity(r), n=r.citations_checked, note=note,
               formula="the same without the theme condition (record, quote, district, period, kind): what the "
                       "query engine controls, whatever the annotator says"),
        Metric(key="questions.passed_rate", value=round(sum(o.passed for o in r.outcomes) / r.questions, 4)
               if r.questions else None, n=r.questions, note=note,
               formula="questions whose answer passes its check / questions"),
    ]
    metrics += [Metric(key=f"questions.category.{cat}", value=c.rate, n=c.questions, note=note,
                       formula=f"{cat} questions whose answer passes its check (evals.questions._Scorer._<expect>) / "
                               f"{cat} questions") for cat, c in r.by_category.items()]
    truth_note = "the Asker's annotations are the truth's themes (truth_asker): parsing, routing and exact figures"
    metrics += [
        Metric(key="questions.truth_count_exact_rate", value=t.count_exact_rate, n=n_count,
               formula=f"count_exact_rate when {truth_note}; rules parser"),
        Metric(key="questions.truth_declined_rate", value=t.declined_rate, n=n_declined,
               formula=f"declined_rate when {truth_note}"),
        Metric(key="questions.truth_citation_validity_rate", value=t.citation_validity_rate,
               n=t.citations_checked, formula=f"citation_validity_rate when {truth_note}"),
        Metric(key="questions.truth_passed_rate", value=round(sum(o.passed for o in t.outcomes) / t.questions, 4)
               if t.questions else None, n=t.questions, formula=f"passed_rate when {truth_note}"),
    ]
    failed = [{"id": o.id, "category": o.category, "question": o.question, "status": o.status,
               "reasons": o.reasons[:3]} for o in r.outcomes if not o.passed]
    return Section(name="questions", title="Questions (synth ask)", metrics=metrics, details={
        "targets": r.targets, "targets_met": r.passed, "theme_map": r.theme_map, "failed": failed,
        "truth_failed": [{"id": o.id, "reasons": o.reasons[:3]} for o in t.outcomes if not o.passed]})
