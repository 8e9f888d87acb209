"""Readers through the whole ingest pipeline and the `synth ingest` command: the real Polis exports, workbooks,
UTF-16, deep JSON, exit codes, and what is stored about a bad file (never its values or column names)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from synth.cli import app
from synth.db import IngestRunRow
from synth.ingest import IngestOptions

from .paths import SHARED_DATA
from .test_readers import POLIS_EXPORTS, _xlsx

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"])  # the readers do not depend on the store


def _runs(services: Any) -> list[IngestRunRow]:
    with services.records.session() as s:
        return list(s.scalars(select(IngestRunRow).order_by(IngestRunRow.id)))


def test_every_real_polis_export_ingests_with_the_polis_profile(services: Any) -> None:
    paths = [SHARED_DATA / "polis" / name for name in POLIS_EXPORTS]
    report = services.ingestor.ingest(paths, IngestOptions(profile="polis"))
    total, out = (sum(c[i] for c in POLIS_EXPORTS.values()) for i in (0, 1))
    assert (report.read, report.accepted, report.rejected, report.duplicates) == (total, total - out, out, 0)
    assert report.failed_files == [] and services.records.count_records() == total - out
    assert services.records.get_record("polis-15-per-hour-seattle-13") is None  # moderated = -1
    rec = services.records.get_record("polis-bowling_green_comments_topics-0")
    assert rec is not None and rec.channel.value == "polis" and rec.kind.value == "comment"


def test_bad_rows_keep_good_rows_and_the_run_is_done(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    deep = '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    jl = write("d.jsonl", '{"id": "a", "text": "one"}\n' + deep + '\n{"id": "c", "text": 12345}\n'
                          '{"id": "d", "text": "four", "district": {"name": "District 1"}}\n{"id": "e", "text": "5"}\n')
    arr = write("d.json", json.dumps([{"id": "f", "text": "six"}, {"id": "g", "text": "seven"}])[:-1]
                + ", " + deep.replace("{", '{"id": "h", ', 1) + "]")
    report = services.ingestor.ingest([jl, arr])
    assert (report.read, report.accepted, report.rejected) == (8, 4, 4)
    assert {r.id for r in services.records.iter_records()} == {"a", "e", "f", "g"}
    reasons = sorted(f"{r.row}:{r.field}:{r.reason}" for r in services.records.rejections())
    assert reasons == [
        "2:None:nested deeper than 32 levels (SYNTH_MAX_JSON_DEPTH); a record is a flat object",
        "3:None:nested deeper than 32 levels (SYNTH_MAX_JSON_DEPTH); a record is a flat object",
        "3:text:text must be a string, got a number",
        "4:district:district must be a string or a number, got an object",
    ]
    assert _runs(services)[-1].status == "done"


def test_a_file_that_cannot_be_read_is_named_and_the_run_recorded_as_failed(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    deep = write("deep.json", '{"records": [' + "[" * 100_000 + "]" * 100_000 + "]}")
    good = write("good.csv", "text\nhello\n")
    report = services.ingestor.ingest([deep, good])
    assert report.accepted == 1 and report.status == "failed"
    [failed] = report.failed_files
    assert failed.file == str(deep) and "nested deeper than 32 levels (SYNTH_MAX_JSON_DEPTH)" in failed.reason
    run = _runs(services)[-1]
    assert run.status == "failed" and "SYNTH_MAX_JSON_DEPTH" in run.counts["failed_files"][0]


def test_a_crash_is_recorded_as_failed_not_done(services: Any, write, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import synth.ingest

    def boom(*a: Any, **k: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(synth.ingest, "validate_lenient", boom)
    with pytest.raises(RecursionError):
        services.ingestor.ingest([write("a.csv", "text\nhello\n")])
    assert _runs(services)[-1].status == "failed"


def test_workbook_utf16_and_note_through_the_pipeline(services: Any, write, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    xlsx = _xlsx(tmp_path / "in" / "survey.xlsx", [["Response ID", "Comment", "Ward"],
                                                   ["s1", "Lights out on Elm", "District 1"]])
    u16 = write("u16.csv", "id,text,district\nu1,Café noise after midnight,District 2\n".encode("utf-16"))
    note = write("kt.md", "District: District 3\nAttendees: 6.\nOverall sentiment: grumpy\n\nLighting on Birch.\n")
    report = services.ingestor.ingest([xlsx, u16, note])
    assert (report.accepted, report.rejected, report.failed_files) == (3, 0, [])
    assert [str(w) for w in report.warnings] == [
        f"{note}, row 1: overall sentiment could not be read and was left out; the rest of the note was kept"]
    assert "warnings 1" in report.line()
    stats = {d.district: d for d in services.records.district_stats()}
    assert set(stats) == {"District 1", "District 2", "District 3"}
    [kt] = [r for r in services.records.iter_records() if r.district == "District 3"]
    assert kt.attendee_count == 6 and kt.overall_sentiment is None and kt.text == "Lighting on Birch."


# -- the command -------------------------------------------------------------------------------------------
@pytest.mark.sqlite_only  # reads the SQLite file
def test_exit_codes_for_failed_files(cli_env: Path, tmp_path: Path, store_backend: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,Jo Smith's phone\nhello,555\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("text\nfine\n", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", str(bad)])
    assert res.exit_code == 1 and "read 0, accepted 0, rejected 0, duplicates 0" in res.stdout
    assert "unknown column: column 2" in res.stderr and "Jo Smith's phone" in res.stderr  # the terminal only
    assert "--allow-failed-files" in res.stderr
    res = runner.invoke(app, ["ingest", str(bad), str(good), "--allow-failed-files"])
    assert res.exit_code == 0 and "accepted 1" in res.stdout and "files failed 1" in res.stdout
    res = runner.invoke(app, ["ingest", str(bad), "--strict"])
    assert res.exit_code == 2
    stored = (cli_env / "synth.db").read_bytes()
    assert b"Jo Smith" not in stored and b"unknown column: column 2" in stored
    res = runner.invoke(app, ["ingest", str(bad), "--ignore-unknown"])
    assert res.exit_code == 0 and "accepted 1" in res.stdout
    assert "dropped unknown column(s) (--ignore-unknown)" in res.stderr and "Jo Smith's phone" in res.stderr


def test_polis_exports_from_the_command(cli_env: Path, store_backend: str) -> None:
    res = CliRunner().invoke(app, ["ingest", str(SHARED_DATA / "polis"), "--profile", "polis", "--json"])
    # Every Polis export is read; the Sensemaker report beside them is not a Polis export and fails alone.
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    total, out = (sum(c[i] for c in POLIS_EXPORTS.values()) for i in (0, 1))
    assert (report["read"], report["accepted"], report["rejected"]) == (total, total - out, out)
    [failed] = report["failed_files"]
    assert "bowling_green_sensemaker_report.csv" in failed and "check that this is a polis export" in failed
    assert "--profile polis" not in failed
    assert "'citation_comment_ids'" in res.stderr  # the failed file's column names, on the terminal only
