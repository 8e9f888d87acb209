"""Source ids and source dates as real exports give them: ids verbatim (spaces and all), conflicts counted,
day-first and month-first dates settled row by row and by the file's majority, year-only dates kept at their
precision, future dates rejected."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from synth.dates import Ambiguous, DateError, SourceDate, read_date
from synth.db import RecordStore
from synth.ingest import IngestOptions
from synth.period import Period

TODAY = dt.date(2026, 12, 7)
pytestmark = pytest.mark.parametrize("store_backend", ["embedded"])  # the store is not what is tested here


# -- reading one date ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    ("31/05/2022", SourceDate(dt.date(2022, 5, 31), "day", "dmy")),
    ("5/31/2022", SourceDate(dt.date(2022, 5, 31), "day", "mdy")),
    ("30.09.2021", SourceDate(dt.date(2021, 9, 30), "day", "dmy")),
    ("30/09/2021 14:05", SourceDate(dt.date(2021, 9, 30), "day", "dmy")),
    ("07/07/2022", SourceDate(dt.date(2022, 7, 7))),  # reads the same both ways
    ("2021-09-30", SourceDate(dt.date(2021, 9, 30))),
    ("2021-09-30T23:10:00Z", SourceDate(dt.date(2021, 9, 30))),
    ("1658934589213", SourceDate(dt.date(2022, 7, 27))),
    ("2021", SourceDate(dt.date(2021, 1, 1), "year")),
    ("2021-09", SourceDate(dt.date(2021, 9, 1), "month")),
    ("2026-12-09", SourceDate(dt.date(2026, 12, 9))),  # inside the tolerance for clocks and time zones
])
def test_unambiguous_dates_decide_themselves(value: str, expected: SourceDate, store_backend: str) -> None:
    assert read_date(value, TODAY) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("30/09/21", SourceDate(dt.date(2021, 9, 30), "day", "dmy")),
    ("9/30/21 14:05", SourceDate(dt.date(2021, 9, 30), "day", "mdy")),
    ("30.09.99", SourceDate(dt.date(1999, 9, 30), "day", "dmy")),
    ("31-12-76", SourceDate(dt.date(1976, 12, 31), "day", "dmy")),  # 50 years either way: the earlier
    ("22/01/02", SourceDate(dt.date(2002, 1, 22), "day", "dmy")),  # the year is always last
    ("25/11/26", SourceDate(dt.date(2026, 11, 25), "day", "dmy")),
])
def test_two_digit_years_are_the_nearest_such_year(value: str, expected: SourceDate, store_backend: str) -> None:
    assert read_date(value, TODAY) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("30 Sep 2021", SourceDate(dt.date(2021, 9, 30))),
    ("30-Sep-2021", SourceDate(dt.date(2021, 9, 30))),
    ("30-SEP-21", SourceDate(dt.date(2021, 9, 30))),
    ("Sep 30, 2021", SourceDate(dt.date(2021, 9, 30))),
    ("sept. 30 2021 2:05 pm", SourceDate(dt.date(2021, 9, 30))),
    ("Thu, 30th of September 2021", SourceDate(dt.date(2021, 9, 30))),
    ("1 March 2022 09:15", SourceDate(dt.date(2022, 3, 1))),
    ("September 2021", SourceDate(dt.date(2021, 9, 1), "month")),
    ("Sep-2021", SourceDate(dt.date(2021, 9, 1), "month")),
    ("may 2021", SourceDate(dt.date(2021, 5, 1), "month")),
])
def test_month_names_decide_the_order_and_cast_no_vote(value: str, expected: SourceDate, store_backend: str) -> None:
    assert read_date(value, TODAY) == expected


@pytest.mark.parametrize(("value", "dmy", "mdy"), [
    ("01/02/2022", dt.date(2022, 2, 1), dt.date(2022, 1, 2)),
    ("01/02/22", dt.date(2022, 2, 1), dt.date(2022, 1, 2)),  # a two-digit year never decides the order
    ("03-04-13", dt.date(2013, 4, 3), dt.date(2013, 3, 4)),  # not even one above 12
])
def test_a_date_that_reads_both_ways_is_ambiguous(value: str, dmy: dt.date, mdy: dt.date, store_backend: str) -> None:
    assert read_date(value, TODAY) == Ambiguous(dmy=dmy, mdy=mdy)


@pytest.mark.parametrize("value", ["9999-12-31", "9999999999999", "2027", "2026-12-31", "31/12/2026", "31/12/26",
                                   "1/1/30", "Jan 2027", "30 Dec 2026"])
def test_future_dates_are_rejected(value: str, store_backend: str) -> None:
    with pytest.raises(DateError, match="in the future"):
        read_date(value, TODAY)


@pytest.mark.parametrize("value", ["14th Sept", "31/31/2022", "2021-13", "30/02/2021", "Jane Doe 07700 900123",
                                   "Sep 21", "Sep 31, 2021", "30 Sepember 2021", "31/31/22", "1/2/021", "Mayday 2021"])
def test_unreadable_dates_say_what_is_expected_without_the_value(value: str, store_backend: str) -> None:
    with pytest.raises(DateError, match="expected YYYY-MM-DD") as e:
        read_date(value, TODAY)
    assert value not in str(e.value)


# -- ids ------------------------------------------------------------------------------------------------------
def test_ids_are_kept_verbatim_with_spaces(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    p = write("neas.csv", "id,text,date\nNEAS PTS 693 - Q1,The crew was kind,2021-09-30\n")
    report = services.ingestor.ingest([p])
    assert (report.accepted, report.rejected) == (1, 0)
    assert services.records.get_record("NEAS PTS 693 - Q1").text == "The crew was kind"


def test_same_text_under_different_ids_is_two_records(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    p = write("a.csv", "id,text\nr1,Please fix the lights\nr2,Please fix the lights\n")
    report = services.ingestor.ingest([p])
    assert (report.accepted, report.duplicates, report.conflicts) == (2, 0, 0)


def test_same_id_with_different_text_is_a_conflict(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    first = write("first.csv", "id,text\nQ1,Speeding on Elm\nQ2,Dark streets\n")
    second = write("second.csv", "id,text\nQ1,Noise after midnight\nQ2,Dark  streets\nQ1,Noise again\n")
    services.ingestor.ingest([first])
    report = services.ingestor.ingest([second])
    assert (report.read, report.accepted, report.duplicates, report.conflicts, report.rejected) == (3, 0, 1, 2, 0)
    assert report.line().startswith("read 3, accepted 0, rejected 0, duplicates 1, ")
    assert report.line().endswith(", conflicts 2")
    conflicts = [r for r in report.rejections if r.field == "id"]
    assert [r.row for r in conflicts] == [1, 3] and all("conflict" in r.reason for r in conflicts)
    assert all("Noise" not in r.reason and "Q1" not in r.reason for r in conflicts)
    assert services.records.get_record("Q1").text == "Speeding on Elm"  # the first text stays
    assert len(services.records.rejections()) == 2  # kept in the run's record, not silently dropped


def test_rows_without_an_id_are_deduplicated_by_content(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    p = write("n.csv", "text,date\nLights out,2021-09-30\nLights  out ,2021-09-30\nLights out,2021-10-01\n")
    report = services.ingestor.ingest([p])
    assert (report.accepted, report.duplicates, report.conflicts) == (2, 1, 0)


def test_a_store_from_before_text_digests_gets_the_new_columns(tmp_path: Path, store_backend: str) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE records (id VARCHAR(128) PRIMARY KEY, text TEXT)")
    RecordStore(f"sqlite:///{db}").close()
    with sqlite3.connect(db) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(records)")}
    assert {"date_precision", "text_hash"} <= columns


# -- dates in a file -------------------------------------------------------------------------------------------
def _dates(services: Any) -> dict[str, tuple[dt.date | None, str]]:
    return {r.id: (r.date, r.date_precision) for r in services.records.iter_records()}


def test_ambiguous_rows_follow_the_files_majority_and_are_reported(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    p = write("uk.csv", "id,text,date\na,One,30/09/2021\nb,Two,13/10/2021\nc,Three,01/02/2022\nd,Four,5/31/2022\n")
    report = services.ingestor.ingest([p])
    assert (report.accepted, report.rejected, report.ambiguous_dates) == (4, 0, 1)
    assert _dates(services) == {"a": (dt.date(2021, 9, 30), "day"), "b": (dt.date(2021, 10, 13), "day"),
                                "c": (dt.date(2022, 2, 1), "day"), "d": (dt.date(2022, 5, 31), "day")}
    assert report.line().endswith(", ambiguous dates 1")
    assert len(report.notices) == 1 and "day-first" in report.notices[0] and "2 day-first, 1 month-first" in \
        report.notices[0]


def test_two_digit_years_follow_the_majority_and_month_names_do_not_vote(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    """Month names are day-first here but cast no vote: the file's one numeric vote (month-first) settles 01/02/22."""
    p = write("mixed.csv", "id,text,date\na,One,30 Sep 2021\nb,Two,\"Oct 13, 2021\"\nc,Three,01/02/22\n"
                           "d,Four,5/31/22\ne,Five,November 2021\nf,Six,14-Nov-21\n")
    report = services.ingestor.ingest([p])
    assert (report.accepted, report.rejected, report.ambiguous_dates) == (6, 0, 1)
    assert _dates(services) == {"a": (dt.date(2021, 9, 30), "day"), "b": (dt.date(2021, 10, 13), "day"),
                                "c": (dt.date(2022, 1, 2), "day"), "d": (dt.date(2022, 5, 31), "day"),
                                "e": (dt.date(2021, 11, 1), "month"), "f": (dt.date(2021, 11, 14), "day")}
    assert "0 day-first, 1 month-first" in report.notices[0]


def test_a_file_with_no_unambiguous_row_needs_date_order(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    p = write("amb.csv", "text,date\nOne,01/02/2022\nTwo,03/04/2022\nThree,2022-05-06\n")
    report = services.ingestor.ingest([p])
    assert (report.accepted, report.rejected) == (1, 2)  # the file is not rejected, only the rows it cannot read
    assert all("--date-order dmy|mdy" in r.reason and r.field == "date" for r in report.rejections)
    again = services.ingestor.ingest([p], IngestOptions(date_order="mdy"))
    assert (again.accepted, again.duplicates, again.rejected) == (2, 1, 0)
    assert sorted(d for d, _ in _dates(services).values()) == [dt.date(2022, 1, 2), dt.date(2022, 3, 4),
                                                              dt.date(2022, 5, 6)]


def test_future_dates_are_rejected_with_that_reason(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    p = write("f.csv", "text,date\nOne,9999-12-31\nTwo,9999999999999\nThree,2021-09-30\n")
    report = services.ingestor.ingest([p])
    assert (report.accepted, report.rejected) == (1, 2)
    assert all("in the future" in r.reason for r in report.rejections)


def test_year_only_records_keep_their_precision(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    p = write("survey.csv", "text,date\nMore patrols,2021\nBetter lights,2021-03\nFaster replies,2021-01-15\n")
    assert services.ingestor.ingest([p]).accepted == 3
    records = list(services.records.iter_records())
    precision = {r.text: r.date_precision for r in records}
    assert precision == {"More patrols": "year", "Better lights": "month", "Faster replies": "day"}
    january = [r.text for r in records if Period.parse("2021-01").contains(r.date, r.date_precision)]
    year = [r.text for r in records if Period.parse("2021").contains(r.date, r.date_precision)]
    assert january == ["Faster replies"] and len(year) == 3
    assert all(Period.ALL.contains(r.date, r.date_precision) for r in records)


# -- questions about undated and year-only records ------------------------------------------------------------
def test_undated_and_year_only_records_are_answered_about(store_backend: str) -> None:
    import dataclasses

    from .test_ask import ROWS, make_asker

    undated = make_asker([dataclasses.replace(r, date=None) for r in ROWS])
    assert undated.ask("How many records mention lighting?").status == "answered"
    named = undated.ask("How many records mention lighting in January 2025?")
    assert named.status == "insufficient_evidence" and "undated" in named.text  # not answered for all dates
    year_only = make_asker([dataclasses.replace(r, date=dt.date(2025, 1, 1), date_precision="year") for r in ROWS])
    assert year_only.ask("How many records mention lighting in 2025?").text.startswith("5 records")
    assert year_only.ask("How many records mention lighting in January 2025?").status == "insufficient_evidence"
