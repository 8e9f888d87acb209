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
    assert len(rows) == 36 and len(rej) == 3  # 3 statements the conversation's moderators rejected
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
    ("date", "14th Sept", "not a date"),
    ("attendee_count", "seven", "whole number"),
    ("kind", "tweet", "unknown kind"),
    ("overall_sentiment", "angry", "unknown overall sentiment"),
    ("id", "bad\tid", "printable characters"),
])
def test_bad_field_values_name_the_field(field: str, value: str, message: str) -> None:
    with pytest.raises(RowError, match=message) as e:
        valid(RawRow("f.csv", 9, {"text": "hello", field: value}))
    assert e.value.field == field and e.value.row == 9 and str(e.value).startswith(f"f.csv, row 9, field '{field}'")
    if field in ("date", "id"):  # the value may be personal data: the reason describes, never repeats it
        assert value not in str(e.value)


def test_dates_and_pseudonyms() -> None:
    assert parse_date("2026-09-14") == parse_date("9/14/2026") == parse_date("2026-09-14T23:00:00Z")
    assert parse_date("1658934589213") == dt.date(2022, 7, 27)
    assert pseudonymize("Dana  Reyes", "s") == pseudonymize("dana reyes", "s") != pseudonymize("Dana Reyes", "t")


def test_content_ids_are_stable_and_whitespace_insensitive() -> None:
    a = valid(RawRow("a.csv", 1, {"text": "Lights  out on Elm", "district": "District 1"}))
    b = valid(RawRow("b.csv", 7, {"text": "Lights out on Elm ", "district": "District 1"}))
    c = valid(RawRow("b.csv", 8, {"text": "Lights out on Elm", "district": "District 2"}))
    assert a.id == b.id != c.id


# -- real exports: every Polis export in ../shared/data --------------------------------------------------------
POLIS_EXPORTS = {  # file -> (statements, rejected by the conversation's moderators); columns differ between them
    "bowling_green_comments_topics.csv": (607, 0),  # accepted statements only, with topic labels and vote rates
    "london.youth.policing/comments.csv": (39, 3),
    "bg2050-volunteers/comments.csv": (371, 55),
    "15-per-hour-seattle/comments.csv": (54, 23),
    "ssis.land-bank-farmland/comments.csv": (297, 105),
}


@pytest.mark.parametrize(("name", "counts"), POLIS_EXPORTS.items())
def test_polis_profile_reads_every_real_polis_export(name: str, counts: tuple[int, int]) -> None:
    statements, moderated_out = counts
    options = ReadOptions(profile=PROFILES["polis"])
    rows, rej = rows_and_rejections(SHARED_DATA / "polis" / name, options)
    assert len(rows) + len(rej) == statements and len(rej) == moderated_out and options.notices == []
    assert all(r.field is None and "moderators rejected this statement (moderated = -1)" in r.reason for r in rej)
    assert all(set(r.values) <= {"id", "text", "date"} and r.values["text"] for r in rows)
    v = valid(rows[0], defaults=PROFILES["polis"].defaults, id_prefix="polis-x-")
    assert v.fields["channel"] is Channel.polis and v.fields["date"].year >= 2014


def test_a_report_is_not_a_polis_export_and_the_message_says_so() -> None:
    path = SHARED_DATA / "polis" / "bowling_green_sensemaker_report.csv"
    with pytest.raises(InputError) as e:
        list(read_file(path, ReadOptions(profile=PROFILES["polis"])))
    reason = e.value.reason
    assert "4 unknown columns: columns 1, 2, 3, 5" in reason and "check that this is a polis export" in reason
    assert "--profile" not in reason and "title" not in reason and "'citation_comment_ids'" in e.value.detail


def test_ignore_unknown_drops_every_unknown_column_and_names_them_for_the_terminal(write) -> None:  # type: ignore[no-untyped-def]
    options = ReadOptions(ignore_unknown=True)
    rows, rej = rows_and_rejections(write("u.csv", "id,text,shoe_size,Email Address\nc1,hello,9,a@b.org\n"), options)
    assert rej == [] and rows[0].values == {"id": "c1", "text": "hello"}
    [notice] = options.notices
    assert "dropped unknown column(s)" in str(notice) and "'shoe_size', 'Email Address'" in str(notice)
    options = ReadOptions(ignore_unknown=True)
    rows, _ = rows_and_rejections(write("u.jsonl", '{"text": "a", "x": 1}\n{"text": "b", "y": 2}\n'), options)
    assert [r.values for r in rows] == [{"text": "a"}, {"text": "b"}] and "'x', 'y'" in str(options.notices[0])


def test_unknown_json_key_rejects_the_object_without_quoting_the_key(write) -> None:  # type: ignore[no-untyped-def]
    _, [rej] = rows_and_rejections(write("k.jsonl", '{"text": "a", "Dana Reyes": "x"}\n'))
    assert "unknown key: key 2" in rej.reason and "Dana" not in rej.reason and "Dana Reyes" in (rej.detail or "")
    assert "detail" not in rej.model_dump()  # never stored


# -- meeting notes: header keys --------------------------------------------------------------------------------
def test_header_typo_on_the_first_line_is_an_error_naming_the_key(write) -> None:  # type: ignore[no-untyped-def]
    [], [rej] = rows_and_rejections(write("t.md", "Distrcit: District 2\nDate: 2026-10-01\n\nBody.\n"))
    assert rej.field == "Distrcit" and "did you mean 'District:'" in rej.reason and "line 1" in rej.reason
    assert "District 2" not in rej.reason


def test_unknown_header_line_does_not_quote_its_value(write) -> None:  # type: ignore[no-untyped-def]
    [], [rej] = rows_and_rejections(write("t.md", "District: District 2\nCaller: Jo Smith 555-0100\n\nBody.\n"))
    assert "line 2 of the header" in rej.reason and "Jo Smith" not in str(rej) and "Caller" not in str(rej)


def test_id_header_key_is_read(write) -> None:  # type: ignore[no-untyped-def]
    [raw], _ = rows_and_rejections(write("i.md", "Id: kt-2026-10-01\nDistrict: District 2\n\nBody.\n"))
    assert valid(raw).id == "kt-2026-10-01"


@pytest.mark.parametrize(("written", "count"), [("6.", 6), ("about 12", 12), ("7 residents", 7), ("9", 9)])
def test_attendees_are_read_leniently(write, written: str, count: int) -> None:  # type: ignore[no-untyped-def]
    [raw], _ = rows_and_rejections(write("a.md", f"District: District 2\nAttendees: {written}\n\nBody.\n"))
    assert valid(raw).fields["attendee_count"] == count


def test_a_bad_optional_value_in_a_note_is_left_out_with_a_warning_never_losing_the_note(write) -> None:  # type: ignore[no-untyped-def]
    from synth.ingest import validate_lenient
    from synth.readers import Notice

    [raw], _ = rows_and_rejections(write("a.md", "District: District 2\nAttendees: a dozen or so\nKind: meetin\n"
                                                 "Overall sentiment: grumpy\nDate: 2026-10-01\n\nBody.\n"))
    warnings: list[Notice] = []
    v = validate_lenient(raw, warnings, max_chars=50_000, salt="s")
    assert v.text == "Body." and v.fields["district"] == "District 2" and v.fields["date"] == dt.date(2026, 10, 1)
    assert "attendee_count" not in v.fields and "overall_sentiment" not in v.fields
    assert v.fields["kind"] is RecordKind.meeting_note
    assert sorted(w.message.split(" could")[0] for w in warnings) == ["attendee count", "kind", "overall sentiment"]
    assert not any("dozen" in str(w) or "grumpy" in str(w) for w in warnings)
    with pytest.raises(RowError):  # a CSV row is not lenient: a bad value rejects the row, naming the field
        validate_lenient(RawRow("f.csv", 1, {"text": "x", "attendee_count": "a dozen"}), [], max_chars=99, salt="s")


# -- Excel workbooks, UTF-16 -----------------------------------------------------------------------------------
def _xlsx(path: Path, rows: list[list[object]], extra_sheet: bool = False) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    if extra_sheet:
        wb.create_sheet("Notes").append(["whatever"])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def test_xlsx_workbook_is_read_like_a_csv(tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "survey.xlsx", [
        ["Response ID", "Comment", "Ward", "Submitted", "Attendance"],
        [101, "Lights out on Elm", "District 1", dt.datetime(2026, 9, 1, 0, 0), 7.0],
        [None, None, None, None, None],
        [102, "Speeding near the school", "District 2", dt.date(2026, 9, 2), None],
        [103, "Too many columns", "District 2", None, None, "stray"],
    ], extra_sheet=True)
    options = ReadOptions()
    rows, [rej] = rows_and_rejections(p, options)
    assert [r.row for r in rows] == [1, 3] and rej.row == 4 and "beyond the header's 5 columns" in rej.reason
    assert rows[0].values == {"id": "101", "text": "Lights out on Elm", "district": "District 1",
                              "date": "2026-09-01", "attendee_count": "7"}
    v = valid(rows[1])
    assert v.id == "102" and v.fields["date"] == dt.date(2026, 9, 2)
    assert [str(n) for n in options.notices] == [f"{p}: read the first of 2 worksheets only"]


def test_xlsx_unknown_column_and_damaged_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown column: column 2"):
        list(read_file(_xlsx(tmp_path / "u.xlsx", [["text", "shoe size"], ["hi", 9]])))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match=r"not a readable Excel workbook"):
        list(read_file(bad))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le", "utf-8-sig", "utf-32"])
def test_utf16_and_bom_text_is_read(write, encoding: str) -> None:  # type: ignore[no-untyped-def]
    content = "id,text,district\nc1,Café on Main — too loud,District 1\n"
    data = content.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # with a BOM; "utf-16-le" stays without one
    rows, rej = rows_and_rejections(write("u.csv", data))
    assert rej == [] and rows[0].values["text"] == "Café on Main — too loud"


def test_binary_file_is_not_called_cp1252(write) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="binary data") as e:
        read_file(write("b.csv", b"\x00\x01\x02\x03\xff\x00\x10\x00\x00\x00" * 50))
    assert "cp1252" not in e.value.reason


# -- JSON types and bounded parsing ----------------------------------------------------------------------------
@pytest.mark.parametrize(("obj", "field", "message"), [
    ({"text": 12345}, "text", "text must be a string, got a number"),
    ({"text": "hi", "district": {"name": "District 1"}}, "district", "district must be a string or a number, got "
                                                                     "an object"),
    ({"text": ["a", "b"]}, "text", "text must be a string, got an array"),
    ({"text": "hi", "kind": True}, "kind", "kind must be a string, got true/false"),
    ({"text": "hi", "top_concerns": [1, 2]}, "top_concerns",
     "top_concerns must be a string or an array of strings, got an array holding something other than strings"),
])
def test_wrong_json_types_get_the_right_message(write, obj: dict, field: str, message: str) -> None:  # type: ignore[no-untyped-def, type-arg]
    _, [rej] = rows_and_rejections(write("t.jsonl", json.dumps(obj) + "\n"))
    assert (rej.row, rej.field, rej.reason) == (1, field, message)


def test_json_numbers_where_natural_and_lists_of_concerns() -> None:
    raw = RawRow("f.json", 1, {"text": "hi", "id": 17, "district": 3, "top_concerns": ["a", "b"]})
    v = valid(raw)
    assert v.id == "17" and v.fields["district"] == "3" and v.fields["top_concerns"] == ["a", "b"]


def test_deep_jsonl_line_is_rejected_and_the_others_kept(write) -> None:  # type: ignore[no-untyped-def]
    deep = '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    p = write("d.jsonl", '{"id": "a", "text": "one"}\n' + deep + '\n{"id": "c", "text": "three"}\n')
    rows, [rej] = rows_and_rejections(p)
    assert [r.values["id"] for r in rows] == ["a", "c"]
    assert rej.row == 2 and "nested deeper than 32 levels (SYNTH_MAX_JSON_DEPTH)" in rej.reason


def test_deep_json_array_element_is_rejected_and_the_others_kept(write) -> None:  # type: ignore[no-untyped-def]
    deep = '{"text": "x", "district": ' + "[" * 100_000 + "]" * 100_000 + "}"
    tricky = {"id": "c", "text": 'brackets [[{ and , commas in "strings" are text'}
    p = write("d.json", f'[{{"id": "a", "text": "one"}}, {deep},\n {json.dumps(tricky)}]')
    rows, [rej] = rows_and_rejections(p)
    assert [r.values["id"] for r in rows] == ["a", "c"] and rows[1].values["text"] == tricky["text"]
    assert rej.row == 2 and "SYNTH_MAX_JSON_DEPTH" in rej.reason


def test_deep_json_object_is_a_clear_file_error(write) -> None:  # type: ignore[no-untyped-def]
    p = write("d.json", '{"records": [' + "[" * 100_000 + "]" * 100_000 + "]}")
    with pytest.raises(InputError, match="nested deeper than .* levels .*No row of this file was ingested"):
        list(read_file(p))


def test_file_size_limit(write, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = write("big.csv", "id,text\n" + "c1,hello\n" * 500)
    with pytest.raises(InputError, match=r"file is 4,508 bytes; the limit is 1,000 bytes \(SYNTH_MAX_FILE_BYTES\)"):
        read_file(p, ReadOptions(max_file_bytes=1000))
    x = _xlsx(tmp_path / "big.xlsx", [["text"]] + [["hello " * 20]] * 200)
    with pytest.raises(InputError, match=r"(file is|workbook unpacks to) .* \(SYNTH_MAX_FILE_BYTES\)"):
        list(read_file(x, ReadOptions(max_file_bytes=5000)))


@pytest.mark.parametrize(("field", "value"), [("kind", "SECRET-Jo"), ("overall_sentiment", "SECRET-Jo"),
                                              ("attendee_count", "SECRET-Jo"), ("channel", "SECRET-Jo")])
def test_rejections_never_quote_the_value(field: str, value: str) -> None:
    with pytest.raises(RowError) as e:
        valid(RawRow("f.csv", 3, {"text": "hello", field: value}))
    assert "SECRET" not in str(e.value) and e.value.field == field
