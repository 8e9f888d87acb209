"""Readers and validation: every format, column mapping, and each kind of bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from synth.columns import PROFILES, resolve_columns
from synth.errors import InputError, RowError
from synth.models import Channel, RecordKind, Rejection, Sentiment, content_id
from synth.readers import RawRow, ReadOptions, read_file
from synth.validate import parse_date, pseudonymize, validate_row

from .paths import SHARED_DATA


def rows_and_rejections(path: Path, options: ReadOptions | None = None) -> tuple[list[RawRow], list[Rejection]]:
    items = list(read_file(path, options))
    return [i for i in items if isinstance(i, RawRow)], [i for i in items if isinstance(i, Rejection)]


def valid(raw: RawRow, **kw: object):  # type: ignore[no-untyped-def]
    return validate_row(raw, max_chars=50_000, salt="s", **kw)  # type: ignore[arg-type]


# -- formats ---------------------------------------------------------------------------------------------------
def test_csv_with_quoted_commas_and_newlines(write) -> None:  # type: ignore[no-untyped-def]
    p = write("c.csv", 'id,text,district,date\nc1,"Lights out, again\non Elm",District 1,2026-09-01\n'
                       'c2,"He said ""slow down""",District 2,2026-09-02\n')
    rows, rej = rows_and_rejections(p)
    assert rej == []
    assert [r.values["text"] for r in rows] == ["Lights out, again\non Elm", 'He said "slow down"']
    assert [r.row for r in rows] == [1, 2]


def test_jsonl_and_json_array_and_records_object(write) -> None:  # type: ignore[no-untyped-def]
    objs = [{"id": "j1", "text": "Speeding on 5th", "district": "District 5"}, {"id": "j2", "text": "Thanks!"}]
    for p in (write("a.jsonl", "\n".join(json.dumps(o) for o in objs) + "\n\n"),
              write("b.json", json.dumps(objs)), write("c.json", json.dumps({"records": objs}))):
        rows, rej = rows_and_rejections(p)
        assert rej == [] and [r.values["id"] for r in rows] == ["j1", "j2"], p.name


def test_meeting_note_header_and_standard_form(write) -> None:  # type: ignore[no-untyped-def]
    body = "Seven neighbors came. Lighting on Birch is out.\n\nCoffee was good."
    p = write("kt.md", "District: District 3\nDate: 2026-09-14\nMeeting: KT-3-9\nNote-taker: Officer Dana Reyes\n"
                       "Attendees: 7\nLocation: Lincoln Library\nTop concerns: lighting; speeding\n"
                       f"Overall sentiment: mixed\n\n{body}\n")
    [raw], rej = rows_and_rejections(p)
    assert rej == []
    v = valid(raw)
    assert v.text == body
    assert v.fields["kind"] is RecordKind.meeting_note and v.fields["channel"] is Channel.meeting
    assert v.fields["district"] == "District 3" and v.fields["date"] == dt.date(2026, 9, 14)
    assert v.fields["attendee_count"] == 7 and v.fields["top_concerns"] == ["lighting", "speeding"]
    assert v.fields["overall_sentiment"] is Sentiment.mixed
    assert v.fields["note_taker"].startswith("nt_") and "Reyes" not in v.fields["note_taker"]
    assert v.id == content_id("meeting_note", "District 3", dt.date(2026, 9, 14), "KT-3-9", body)


def test_note_with_front_matter_and_note_without_header(write) -> None:  # type: ignore[no-untyped-def]
    [fm], _ = rows_and_rejections(write("a.md", "---\nDistrict: District 2\nDate: 2026-10-01\n---\nBody here.\n"))
    assert fm.values["district"] == "District 2" and fm.values["text"] == "Body here."
    [plain], _ = rows_and_rejections(write("b.txt", "Residents: worried about noise.\nMore prose.\n"))
    assert plain.values["text"].startswith("Residents: worried") and "district" not in plain.values


def test_note_header_typo_is_rejected_with_the_key(write) -> None:  # type: ignore[no-untyped-def]
    [], [rej] = rows_and_rejections(write("a.md", "District: District 2\nAtendees: 5\n\nBody.\n"))
    assert rej.field == "Atendees" and "unknown header" in rej.reason


def test_polis_profile_on_real_export() -> None:
    path = SHARED_DATA / "polis" / "london.youth.policing" / "comments.csv"
    rows, rej = rows_and_rejections(path, ReadOptions(profile=PROFILES["polis"]))
    assert rej == [] and len(rows) == 39
    v = valid(rows[0], defaults=PROFILES["polis"].defaults, id_prefix="polis-london-")
    assert v.id.startswith("polis-london-") and v.fields["channel"] is Channel.polis
    assert v.fields["date"] == dt.date(2022, 7, 27)


def test_explicit_mapping_and_ignore() -> None:
    cols = resolve_columns("f.csv", ["Ward", "Your thoughts", "Email Address"], mapping={"Your thoughts": "text"},
                           ignore=["Email Address"])
    assert cols.fields == {"Ward": "district", "Your thoughts": "text"} and cols.ignored == ("Email Address",)


# -- bad input -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["", "   \n\n", b""])
def test_empty_file(write, content) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="file is empty"):
        read_file(write("e.csv", content))


def test_wrong_encoding_names_line_and_fix(write) -> None:  # type: ignore[no-untyped-def]
    p = write("w.csv", "id,text\nc1,ok\nc2,caf\xe9 on Main\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte 0xe9 on line 3\).*iconv") as e:
        read_file(p)
    assert e.value.file == str(p)


def test_unknown_column_is_a_clear_file_error_naming_it_by_position(write) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=r"unknown column: column 3 .*--map.*--ignore.*--ignore-unknown.*--profile "
                                         r"polis") as e:
        list(read_file(write("u.csv", "id,text,favourite_color\nc1,hello,blue\n")))
    assert "favourite" not in e.value.reason and "'favourite_color'" in e.value.detail  # the name: terminal only


def test_missing_text_column(write) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="no text column"):
        list(read_file(write("m.csv", "id,district\nc1,District 1\n")))


def test_missing_text_value_is_a_row_error(write) -> None:  # type: ignore[no-untyped-def]
    rows, _ = rows_and_rejections(write("m.csv", "id,text\nc1,\nc2,fine\n"))
    with pytest.raises(RowError) as e:
        valid(rows[0])
    assert (e.value.row, e.value.field, e.value.reason) == (1, "text", "text is missing or empty")
    assert valid(rows[1]).text == "fine"


def test_malformed_json_line_keeps_the_others(write) -> None:  # type: ignore[no-untyped-def]
    p = write("m.jsonl", '{"id": "a", "text": "one"}\n{"id": "b", "text": "two",,}\n{"id": "c", "text": "three"}\n')
    rows, [rej] = rows_and_rejections(p)
    assert [r.values["id"] for r in rows] == ["a", "c"]
    assert rej.row == 2 and rej.reason.startswith("malformed JSON")


def test_malformed_json_file_is_a_file_error(write) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="malformed JSON: .* line 1"):
        list(read_file(write("m.json", '[{"text": "a"},')))


def test_unbalanced_quote_rejects_one_row_and_recovers_the_rest(write) -> None:  # type: ignore[no-untyped-def]
    lines = ["id,text,district"] + [f'c{i},"Comment {i}, with a comma",District 1' for i in range(1, 4)]
    lines += ['c4,"Broken quote never closed,District 1']
    lines += [f'c{i},"Comment {i}, with ""quotes""",District 2' for i in range(5, 9)]
    rows, rej = rows_and_rejections(write("q.csv", "\n".join(lines) + "\n"))
    assert [r.values["id"] for r in rows] == ["c1", "c2", "c3", "c5", "c6", "c7", "c8"]
    assert len(rej) == 1 and rej[0].row == 4 and "quote" in rej[0].reason


def test_wrong_field_count(write) -> None:  # type: ignore[no-untyped-def]
    rows, [rej] = rows_and_rejections(write("f.csv", "id,text\nc1,a,extra\nc2,b\n"))
    assert [r.values["id"] for r in rows] == ["c2"] and rej.row == 1 and "3 fields" in rej.reason


def test_five_megabyte_row_is_rejected_and_neighbours_kept(write) -> None:  # type: ignore[no-untyped-def]
    big = "x" * (5 * 1024 * 1024)
    rows, rej = rows_and_rejections(write("b.csv", f"id,text\nc1,small\nc2,{big}\nc3,also small\n"))
    assert rej == [] and len(rows) == 3
    with pytest.raises(RowError, match="5,242,880 characters; the limit is 50,000") as e:
        valid(rows[1])
    assert e.value.field == "text" and e.value.row == 2
    assert [valid(r).text for r in (rows[0], rows[2])] == ["small", "also small"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("date", "14th Sept", "cannot read date"),
    ("attendee_count", "seven", "whole number"),
    ("kind", "tweet", "unknown kind"),
    ("overall_sentiment", "angry", "unknown overall sentiment"),
    ("id", "bad id/with slash", "must be letters"),
])
def test_bad_field_values_name_the_field(field: str, value: str, message: str) -> None:
    with pytest.raises(RowError, match=message) as e:
        valid(RawRow("f.csv", 9, {"text": "hello", field: value}))
    assert e.value.field == field and e.value.row == 9 and str(e.value).startswith(f"f.csv, row 9, field '{field}'")


def test_dates_and_pseudonyms() -> None:
    assert parse_date("2026-09-14") == parse_date("9/14/2026") == parse_date("2026-09-14T23:00:00Z")
    assert parse_date("1658934589213") == dt.date(2022, 7, 27)
    assert pseudonymize("Dana  Reyes", "s") == pseudonymize("dana reyes", "s") != pseudonymize("Dana Reyes", "t")


def test_content_ids_are_stable_and_whitespace_insensitive() -> None:
    a = valid(RawRow("a.csv", 1, {"text": "Lights  out on Elm", "district": "District 1"}))
    b = valid(RawRow("b.csv", 7, {"text": "Lights out on Elm ", "district": "District 1"}))
    c = valid(RawRow("b.csv", 8, {"text": "Lights out on Elm", "district": "District 2"}))
    assert a.id == b.id != c.id
