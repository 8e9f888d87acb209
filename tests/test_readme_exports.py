"""The README's "Real exports, as they come" commands, run as written: a real Polis export with vote and topic
columns, a UK-style day-first export with spaced ids and an Excel survey (both built from the real NHS comments
in ../shared/data), and the undated NHS survey each ingest and summarise, each into a fresh store."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synth.cli import app
from tests.paths import REPO, SHARED_DATA

pytestmark = pytest.mark.slow

NHS = SHARED_DATA / "nhs_phase1" / "text_data.csv"


def readme_commands() -> list[list[str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Real exports, as they come", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the README's real-exports section has no command block"
    lines = [line.split("  #")[0].strip() for line in block[1].splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("synth ")]


def nhs_rows(step: int = 25) -> list[dict[str, str]]:
    with NHS.open(encoding="utf-8") as f:
        return [row for i, row in enumerate(csv.DictReader(f)) if i % step == 0 and row["feedback"].strip()]


def write_uk_export(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id", "feedback", "organization", "date", "question"])
        for i, row in enumerate(rows):
            day = dt.date(2021, 5, 1) + dt.timedelta(days=i % 150)  # five months: a series, not a one-off
            out.writerow([f"{row['question']} - {i}", row["feedback"], row["organization"],
                          day.strftime("%d/%m/%Y"), row["question"]])


def write_workbook(path: Path, rows: list[dict[str, str]]) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Submitted", "Ward", "Your comments", "Email Address"])
    for i, row in enumerate(rows):
        sheet.append([dt.datetime(2026, 10, 1) + dt.timedelta(days=i % 50), row["organization"], row["feedback"],
                      f"resident{i}@example.com"])
    book.save(path)


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder beside a `shared` folder, as the repository sits beside ../shared."""
    if not NHS.is_file():
        pytest.skip("../shared/data is not beside the repository")
    (tmp_path / "shared").symlink_to(SHARED_DATA.parent, target_is_directory=True)
    work = tmp_path / "work"
    work.mkdir()
    rows = nhs_rows()
    write_uk_export(work / "uk_feedback.csv", rows)
    write_workbook(work / "survey.xlsx", rows)
    monkeypatch.chdir(work)
    monkeypatch.setenv("SYNTH_EMBEDDER", "hashing")
    monkeypatch.setenv("SYNTH_REDACTOR", "regex")
    return work


def _summaries(runner: CliRunner, *args: str) -> list[dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["summarize", "--format", "json", *args])
    assert result.exit_code == 0, result.stderr or result.stdout
    return json.loads(result.stdout)


def test_every_readme_export_ingests_and_summarises(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = readme_commands()
    ingests = [c for c in commands if c[0] == "ingest"]
    assert len(ingests) == 4 and [c for c in commands if c[0] == "summarize"]
    runner = CliRunner()
    # the Polis conversation (11 days) and the survey (50 days) are one-off consultations: all their records
    expected = {"bowling_green_comments_topics.csv": "all", "uk_feedback.csv": "month", "survey.xlsx": "all",
                "text_data.csv": "all"}
    for n, command in enumerate(ingests):
        monkeypatch.setenv("SYNTH_DATA_DIR", str(place / f"store{n}"))
        result = runner.invoke(app, command)
        assert result.exit_code == 0, (command, result.stdout, result.stderr)
        accepted = int(re.search(r"accepted (\d+)", result.stdout)[1])  # type: ignore[index]
        assert accepted >= 100 and "rejected 0," in result.stdout, result.stdout
        latest = _summaries(runner)
        everything = _summaries(runner, "--period", "all")
        city = next(s for s in everything if s["district"] == "City-wide")
        assert city["period"] == "all" and city["counts"]["records"] == accepted, command
        kind = expected[Path(command[1]).name]
        assert all(s["period_basis"] for s in latest) and not any(s["period_basis"] for s in everything)
        if kind == "all":
            assert {s["period"] for s in latest} == {"all"}
        else:
            assert all(re.fullmatch(r"\d{4}-\d{2}", s["period"]) for s in latest), [
                (s["district"], s["period"], s["period_basis"]) for s in latest]
        assert "example.com" not in result.stdout + json.dumps(everything)
