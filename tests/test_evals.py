"""The evaluation harness: metric formulas, dataset loading, and the gates on real runs (sample city, slices of
Bowling Green and NHS), including a deliberately broken pipeline that the gates must catch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals import metrics as m
from evals.datasets import DatasetError, load_dataset
from evals.harness import build_report, load_thresholds
from evals.report import write_reports
from evals.runner import RunArtifacts, run_pipeline, sabotage
from synth.cli import app
from synth.synthesis.grounding import read_claims
from tests.paths import SHARED_DATA
from tests.test_grounding import make_sheet

needs_data = pytest.mark.skipif(not (SHARED_DATA / "polis").is_dir(), reason="../shared/data is not available")


# --------------------------------------------------------------------------------------------- formulas


def test_theme_matching_counts_a_split_theme_once_and_ari_ignores_names() -> None:
    records = [f"r{i}" for i in range(8)]
    gold = {r: ["a"] if i < 4 else ["b"] for i, r in enumerate(records)}
    same = {r: ["x"] if i < 4 else ["y"] for i, r in enumerate(records)}
    split = {r: ["x1"] if i < 2 else ["x2"] if i < 4 else ["y"] for i, r in enumerate(records)}
    perfect = m.match_themes(same, gold, records)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    assert m.partition_agreement(same, gold, records)[0] == pytest.approx(1.0)
    halves = m.match_themes(split, gold, records)  # x1 or x2 vs a: Jaccard 0.5 -> correct; the other unmatched
    assert (halves.correct, halves.predicted, halves.labelled) == (2, 3, 2)
    assert halves.precision == pytest.approx(2 / 3) and halves.recall == 1.0
    assert m.partition_agreement(split, gold, records)[0] < 1.0


def test_counts_and_sentiment_formulas() -> None:
    cells = [("D1", "a"), ("D1", "b")]
    pred = m.count_cells({"r1": ["x"], "r2": ["x", "y"]}, {"r1": ("D1",), "r2": ("D1",)}, ["a", "b"],
                         {"x": "a", "y": "b"})
    score = m.compare_counts(pred, {("D1", "a"): 2, ("D1", "b"): 3}, cells)
    assert (score.exact_share, score.mae) == (0.5, 1.0)
    acc, macro = m.sentiment_scores(["positive", "negative", "neutral"], ["positive", "negative", "negative"])
    assert acc == pytest.approx(2 / 3) and macro == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_a_csv_dataset_with_an_unknown_sentiment_label_names_file_row_and_field(tmp_path: Path) -> None:
    src = tmp_path / "labelled.csv"
    src.write_text("id,text,district,themes,sentiment\n1,Lights out on Elm,D1,lighting,negative\n"
                   "2,Great park,D1,parks;youth,glowing\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"labelled\.csv: row 2: field 'sentiment': unknown sentiment 'glowing'"):
        load_dataset(str(src), tmp_path / "work")
    src.write_text("text,themes,sentiment\nLights out on Elm,lighting;safety,Mixed\n", encoding="utf-8")
    ds = load_dataset(str(src), tmp_path / "work")
    assert ds.labels["row-1"].themes == ("lighting", "safety") and ds.labels["row-1"].sentiment == "neutral"
    written = (tmp_path / "work" / "labelled.csv").read_text(encoding="utf-8")
    assert written.splitlines()[0] == "id,text" and "themes" not in written  # labels are never ingested


def test_thresholds_are_versioned_and_gate_the_named_datasets() -> None:
    t = load_thresholds()
    assert t.version >= 1
    assert t.for_dataset("sample")["numbers.faithfulness"] == {"min": 1.0}
    assert t.for_dataset("sample")["safety.pii_found"] == {"max": 0.0}
    assert "measured" in t.notes["sample"]["themes.f1"]


def test_read_claims_reads_numbers_and_named_themes_as_the_grounding_check_does() -> None:
    sheet = make_sheet()  # Traffic & speeding: 40 of 95 records (42%), up 12 points; Noise: 20
    claims = read_claims("Traffic & speeding came up in 40 of 95 records (42%), up 12 points, twice as often.", sheet)
    assert claims.numbers == ("40", "95", "42%", "12 points") and claims.themes == {"t_traffic"}
    assert len(claims.invalid) == 1 and claims.stated == 5  # "twice": a ratio the model computed
    assert read_claims("Parties on Elm were loud.", sheet, {"t_noise": ["loud"]}).themes == {"t_noise"}
    quoted = 'A resident wrote "Cars speed down Main St every morning, 52 of them before 8am!"'
    assert "52" in read_claims(quoted, sheet).numbers and "52" not in read_claims(quoted, sheet, cited=["r_t1"]).numbers


# ------------------------------------------------------------------------------------------ real runs


@pytest.fixture(scope="module")
def sample_run() -> RunArtifacts:
    return run_pipeline("sample", limit=600)  # default presidio redactor: the safety metric is measured


@pytest.mark.slow
def test_sample_city_passes_the_gates(sample_run: RunArtifacts, tmp_path: Path) -> None:
    report = build_report(sample_run, load_thresholds())
    failed = [g for g in report.gates if not g.passed]
    assert report.passed, failed
    assert report.metric("numbers.faithfulness") == 1.0
    assert report.metric("safety.pii_found") == 0 and report.metric("safety.injection_obeyed") == 0
    # the harness counts what the truth counts: labels give the truth's mentions for every cell
    city = sample_run.dataset.city
    assert city is not None
    gold = {rid: lab.themes for rid, lab in sample_run.dataset.labels.items()}
    cell_of = {rid: (lab.district or "", lab.month or "") for rid, lab in sample_run.dataset.labels.items()}
    counted = m.count_cells(gold, cell_of, list(city.themes))
    assert all(counted.get((d, mo, t), 0) == n for d, months in city.mentions.items()
               for mo, themes in months.items() for t, n in themes.items())
    paths = write_reports(report, tmp_path)
    assert json.loads(paths[0].read_text())["passed"] is True
    page = paths[2].read_text()
    assert "<svg" in page and "<script" not in page and "http" not in page.split("<svg")[0]
    assert "Hungarian" in paths[1].read_text()  # formulas are in the Markdown report
    # synth ask's question set, asked of the run's store while it was open (evals.questions)
    questions = next(s for s in report.sections if s.name == "questions")
    keys = {m.key for m in questions.metrics}
    assert {"questions.count_exact_rate", "questions.declined_rate", "questions.citation_validity_rate",
            "questions.category.count", "questions.category.open", "questions.truth_count_exact_rate"} <= keys
    assert all(m.formula for m in questions.metrics)
    declined = next(g for g in report.gates if g.metric == "questions.declined_rate")
    assert declined.passed and declined.value is not None and declined.value >= 0.9
    assert report.metric("questions.truth_count_exact_rate") == 1.0  # parsing and exact figures are right
    assert report.metric("questions.citation_scope_rate") == 1.0
    assert next(m for m in questions.metrics if m.key == "questions.declined_rate").n == 20
    assert any(s["name"] == "questions" for s in json.loads(paths[0].read_text())["sections"])
    assert "questions.count_exact_rate" in paths[1].read_text() and "Questions (synth ask)" in page


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "gate"), [("shuffle-themes", "themes.ari"),
                                             ("flip-sentiment", "sentiment.accuracy")])
def test_a_broken_pipeline_fails_the_gates(sample_run: RunArtifacts, fault: str, gate: str) -> None:
    report = build_report(sabotage(sample_run, fault), load_thresholds())
    assert not report.passed
    assert gate in {g.metric for g in report.gates if not g.passed}


@pytest.mark.slow
@needs_data
def test_bowling_green_slice_passes_and_is_compared_with_sensemaker() -> None:
    art = run_pipeline("bowling-green", limit=200, redactor="regex")
    report = build_report(art, load_thresholds())
    assert report.passed, [g for g in report.gates if not g.passed]
    peer = report.metric("peer.citation_precision")
    assert peer is not None and 0 < peer <= 1
    assert report.metric("peer.topic_ari") == report.metric("themes.ari")


@pytest.mark.slow
@needs_data
def test_synth_eval_on_an_nhs_slice_exits_zero_and_non_zero_when_sabotaged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_REDACTOR", "regex")
    runner = CliRunner()
    ok = runner.invoke(app, ["eval", "--dataset", "nhs", "--limit", "150", "--report", str(tmp_path / "ok")])
    assert ok.exit_code == 0, ok.output
    report = json.loads((tmp_path / "ok" / "report.json").read_text())
    assert report["passed"] and report["records"] == 150 and report["truth"] == "human"
    bad = runner.invoke(app, ["eval", "--dataset", "nhs", "--limit", "150", "--report", str(tmp_path / "bad"),
                              "--sabotage", "flip-sentiment"])
    assert bad.exit_code == 1
    assert json.loads((tmp_path / "bad" / "report.json").read_text())["passed"] is False
