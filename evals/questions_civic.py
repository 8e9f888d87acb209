"""The civic question eval: realistic leadership questions over real municipal feedback.

Five Polis conversations (../shared/data/polis, CC BY 4.0, The Computational Democracy Project) are ingested as
five districts; the questions of evals/questions_civic.yaml are asked through `synth ask` (rules parser, no
conversation) and each answer is checked against expectations computed from the stored records (see the YAML's
header for what each `expect` checks).

    synth eval --dataset civic-questions                      # builds a fresh store (about 2 minutes)
    python -m evals.questions_civic --store /tmp/civic        # reuses (or builds) the store in that folder
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from evals.paths import shared_file
from synth.ask.models import Answer
from synth.models import Record
from synth.period import Period, month_of

QUESTIONS_FILE = Path(__file__).with_name("questions_civic.yaml")
# (folder or file under polis/, district)
CONVERSATIONS = (
    ("bowling_green_comments_topics.csv", "Bowling Green"),
    ("bg2050-volunteers/comments.csv", "Bowling Green 2050"),
    ("ssis.land-bank-farmland/comments.csv", "San Juan Islands"),
    ("london.youth.policing/comments.csv", "London"),
    ("15-per-hour-seattle/comments.csv", "Seattle"),
)
# A quote reads as praise: a cue of approval and none of complaint or demand (judged on the snippet).
PRAISE = re.compile(r"\b(?:love[sd]?|lovely|great|enjoy\w*|good|best|beautiful|proud|wonderful|thank\w*|"
                    r"appreciat\w*|excellent|nice|amazing|like[sd]?|fantastic|asset|gem|well[- ]kept|clean)\b", re.I)
COMPLAINT = re.compile(r"\b(?:not|no|never|lack\w*|worse|worst|bad|poor\w*|problem\w*|too\s+(?:many|much|few)|"
                       r"need\w*|should|must|stop|dangerous|unsafe|dirty|terrible|awful|fix|broken)\b", re.I)
Expect = Literal["records", "mentions", "top_district", "top_theme", "quotes", "insufficient", "declined"]


class CivicQuestion(BaseModel):
    id: str
    question: str
    expect: Expect
    districts: list[str] = Field(default_factory=list)
    period: str | None = None  # "latest", "YYYY-MM" or None
    pattern: str | None = None
    labels: list[str] = Field(default_factory=list)
    praise: bool = False
    or_insufficient: bool = False


class CivicOutcome(BaseModel):
    id: str
    question: str
    passed: bool
    status: str
    reasons: list[str] = Field(default_factory=list)
    expected: str = ""
    answer: str = ""


def load_civic_questions(path: Path | None = None) -> list[CivicQuestion]:
    import yaml

    doc = yaml.safe_load((path or QUESTIONS_FILE).read_text(encoding="utf-8"))
    return [CivicQuestion.model_validate(q) for q in doc["questions"]]


class CivicScorer:
    """Expected answers computed from the stored records (their redacted text, district and date)."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.records = list(records)
        self.by_id = {r.id: r for r in self.records}
        self.districts = sorted({r.district for r in self.records if r.district})

    def period_of(self, spec: CivicQuestion) -> str | None:
        if spec.period != "latest":
            return spec.period
        months = [month_of(r.date) for r in self.scoped(spec.districts, None) if r.date]
        return max(months) if months else None

    def scoped(self, districts: Sequence[str], period: str | None) -> list[Record]:
        span = Period.parse(period) if period else None
        return [r for r in self.records if (not districts or r.district in districts)
                and (span is None or span.contains(r.date, r.date_precision))]

    def matching(self, records: Sequence[Record], pattern: str | None) -> list[Record]:
        if pattern is None:
            return list(records)
        found = re.compile(pattern, re.IGNORECASE)
        return [r for r in records if found.search(r.text)]

    def score(self, spec: CivicQuestion, answer: Answer) -> CivicOutcome:
        expected, reasons = getattr(self, f"_{spec.expect}")(spec, answer)
        return CivicOutcome(id=spec.id, question=spec.question, passed=not reasons, status=answer.status,
                            reasons=reasons, expected=expected, answer=answer.text[:400])

    @staticmethod
    def _answered(answer: Answer) -> list[str]:
        return [] if answer.status == "answered" else [f"status {answer.status}: {answer.text[:100]}"]

    def _records(self, spec: CivicQuestion, answer: Answer) -> tuple[str, list[str]]:
        period = self.period_of(spec)
        want = len(self.scoped(spec.districts, period))
        values = [f.value for f in answer.figures if f.theme is None and f.measure == "records"]
        reasons = self._answered(answer) or ([] if want in values else [f"figures {values} lack {want}"])
        if answer.query and spec.period == "latest" and answer.query.period != period:
            reasons.append(f"period {answer.query.period} != the district's latest month {period}")
        return f"{want} records ({period or 'all dates'})", reasons

    def _mentions(self, spec: CivicQuestion, answer: Answer) -> tuple[str, list[str]]:
        scope = self.scoped(spec.districts, self.period_of(spec))
        ref = len(self.matching(scope, spec.pattern))
        expected = f"{ref} records match /{spec.pattern}/ of {len(scope)} in scope"
        if spec.or_insufficient and answer.status == "insufficient_evidence":
            return expected, []
        reasons = self._answered(answer)
        if reasons:
            return expected, reasons
        values = [f.value for f in answer.figures if f.measure == "records"]
        if not values:
            return expected, ["no figure"]
        value = values[0]
        if value == len(scope) and ref != len(scope):
            return expected, [f"answered the scope's total ({value})"]
        if not ref / 2 <= value <= 2 * ref + 3:
            return expected, [f"figure {value} far from {ref}"]
        return expected, []

    def _top_district(self, spec: CivicQuestion, answer: Answer) -> tuple[str, list[str]]:
        among = spec.districts or self.districts
        counts = {d: len(self.matching(self.scoped([d], None), spec.pattern)) for d in among}
        top = {d for d, n in counts.items() if n == max(counts.values())}
        expected = f"{sorted(top)} ({counts})"
        reasons = self._answered(answer)
        if reasons:
            return expected, reasons
        figures = [f for f in answer.figures if f.district in among and f.measure == "records"]
        if not figures:
            return expected, ["no per-district figures"]
        got = max(figures, key=lambda f: f.value).district
        return expected, [] if got in top else [f"leader {got}"]

    def _top_theme(self, spec: CivicQuestion, answer: Answer) -> tuple[str, list[str]]:
        expected = f"a theme labelled with one of {spec.labels}"
        reasons = self._answered(answer)
        ranked = [f for f in answer.figures if f.theme]
        if reasons or not ranked:
            return expected, reasons or ["no ranked theme"]
        first = ranked[0].name.lower()
        return expected, [] if any(w in first for w in spec.labels) else [f"top theme: {ranked[0].name}"]

    def _quotes(self, spec: CivicQuestion, answer: Answer) -> tuple[str, list[str]]:
        period = self.period_of(spec)
        expected = f"quotes matching /{spec.pattern}/" + (" that praise" if spec.praise else "")
        reasons = self._answered(answer)
        if reasons or not answer.citations:
            return expected, reasons or ["no citations"]
        in_scope = {r.id for r in self.scoped(spec.districts, period)}
        found = re.compile(spec.pattern or ".", re.IGNORECASE)
        for c in answer.citations:
            record = self.by_id.get(c.record_id)
            if record is None or c.record_id not in in_scope:
                reasons.append(f"{c.record_id}: outside the scope")
            elif not found.search(record.text):
                reasons.append(f"{c.record_id}: off topic: {c.snippet[:60]!r}")
            elif spec.praise and (not PRAISE.search(c.snippet) or COMPLAINT.search(c.snippet)):
                reasons.append(f"{c.record_id}: not praise: {c.snippet[:60]!r}")
        return expected, reasons

    def _insufficient(self, spec: CivicQuestion, answer: Answer) -> tuple[str, list[str]]:
        empty = answer.status == "answered" and not answer.citations and all(f.value == 0 for f in answer.figures)
        ok = answer.status == "insufficient_evidence" or empty
        return "insufficient evidence", [] if ok else [f"status {answer.status}: {answer.text[:100]}"]

    def _declined(self, spec: CivicQuestion, answer: Answer) -> tuple[str, list[str]]:
        return "declined", [] if answer.status == "out_of_scope" else [f"status {answer.status}"]


def score_civic(ask: Callable[[str], Answer], records: Sequence[Record],
                questions: Sequence[CivicQuestion] | None = None) -> list[CivicOutcome]:
    scorer = CivicScorer(records)
    return [scorer.score(spec, ask(spec.question)) for spec in (questions or load_civic_questions())]


def build_civic_store(data_dir: Path, progress: Callable[[str], None] = print) -> None:
    """Ingest the five conversations into `data_dir` (a store already holding them adds nothing)."""
    from synth.ingest import IngestOptions
    from synth.services import Services
    from synth.settings import Settings

    svc = Services(Settings(data_dir=data_dir, _env_file=None))
    try:
        for name, district in CONVERSATIONS:
            path = shared_file("polis", *name.split("/"))
            report = svc.ingestor.ingest([path], IngestOptions(profile="polis", defaults={"district": district}))
            progress(f"{district}: {report.accepted} records ingested")
        svc.synthesizer.refresh()
    finally:
        svc.close()


def run_civic(data_dir: Path, progress: Callable[[str], None] = print) -> list[CivicOutcome]:
    from synth.ask.service import Asker
    from synth.services import Services
    from synth.settings import Settings

    build_civic_store(data_dir, progress)
    svc = Services(Settings(data_dir=data_dir, _env_file=None))
    try:
        asker = Asker.from_services(svc)
        return score_civic(asker.ask, list(svc.records.iter_records()))
    finally:
        svc.close()


def summary(outcomes: Sequence[CivicOutcome]) -> str:
    passed = sum(o.passed for o in outcomes)
    lines = [f"{'PASS' if o.passed else 'FAIL'} {o.id} {o.question}  [expected {o.expected}]"
             + ("" if o.passed else f"\n     {'; '.join(o.reasons)[:300]}") for o in outcomes]
    return "\n".join([*lines, f"civic questions: {passed} of {len(outcomes)} right"])


def civic_eval(report: Path, progress: Callable[[str], None], show: Callable[[str], object]) -> None:
    """`synth eval --dataset civic-questions`: a fresh store, the questions scored, report.json in `report`."""
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = run_civic(Path(tmp) / "data", progress)
    report.mkdir(parents=True, exist_ok=True)
    path = report / "civic_questions.json"
    path.write_text(json.dumps([o.model_dump() for o in outcomes], indent=1), encoding="utf-8")
    show(summary(outcomes))
    show(f"report: {path}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, help="data dir to reuse (built there when empty)")
    ap.add_argument("--json", type=Path, help="also write the outcomes to this file")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        log = lambda m: print(m, file=sys.stderr)  # noqa: E731
        outcomes = run_civic(args.store or Path(tmp) / "data", log)
    print(summary(outcomes))
    if args.json:
        args.json.write_text(json.dumps([o.model_dump() for o in outcomes], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
