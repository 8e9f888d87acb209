"""The officer's note form, `/notes/new`: the standard kitchen-table form on a phone.

A saved note is one record in the JSON import format, ingested by the same `Ingestor` as `POST /records`
(validation, redaction before anything is stored, de-duplication, indexing) and kept as the signed-in user's
(`submitted_by`); the note-taker is stored as a pseudonym like any other. "Top concerns" are the taxonomy's
labels (checkboxes) plus free text, exactly what the form's `Top concerns:` line carries in a file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from api.web.session import page_caller, render
from synth.users import Caller, Role

router = APIRouter(include_in_schema=False)
NOTE_TAKERS = (Role.note_taker, Role.coordinator, Role.admin)
SENTIMENTS = ("positive", "neutral", "negative", "mixed")
RECENT_NOTES = 10
MAX_TEXT_CHARS = 20_000
LATEST_DAY = dt.timedelta(days=1)  # "today" where the officer is may be tomorrow on the server's clock


def _concern_labels(svc: Any) -> list[str]:
    """The department's concern themes (seeded or edited by a coordinator), by label, for the checkboxes;
    emerging themes are named by code and change as notes arrive, so they are left to the free text. A
    taxonomy that is all discovered offers its concern themes."""
    concerns = [t for t in svc.synthesizer.taxonomy().themes.values() if t.is_concern and t.label]
    chosen = [t for t in concerns if t.source != "discovered" or t.pinned] or concerns
    return sorted({t.label for t in chosen})


def _district_names(svc: Any) -> list[str]:
    return sorted(d.district for d in svc.records.district_stats() if d.district)


def _recent_notes(svc: Any, caller: Caller) -> list[dict[str, Any]]:
    """The caller's own latest records (newest first), redacted again on the way out."""
    from synth.record_filter import RecordFilter, find_records

    mine = find_records(svc.records, RecordFilter(submitted_by=caller.user_id, kind="meeting_note"), limit=10_000)
    mine.sort(key=lambda r: (r.date or dt.date.min, r.id), reverse=True)
    mine = mine[:RECENT_NOTES]
    texts = svc.outbound([r.text[:160] for r in mine], remember=False) if mine else []
    return [{"id": r.id, "district": r.district, "date": r.date, "text": t} for r, t in zip(mine, texts, strict=True)]


def _form_page(request: Request, caller: Caller, values: dict[str, Any], errors: list[str],
               *, status: int = 200) -> Response:
    svc = request.app.state.services
    return render(request, "notes_new.html", {
        "active": "notes", "values": values, "errors": errors, "districts": _district_names(svc),
        "concerns": _concern_labels(svc), "sentiments": SENTIMENTS, "recent": _recent_notes(svc, caller),
        "latest_date": (dt.date.today() + LATEST_DAY).isoformat(), "max_text": MAX_TEXT_CHARS}, status=status)


@router.get("/notes/new")
def note_form(request: Request, caller: Annotated[Caller, Depends(page_caller(*NOTE_TAKERS))]) -> Response:
    return _form_page(request, caller, {"date": dt.date.today().isoformat(), "top_concerns": []}, [])


def _check(values: dict[str, Any]) -> list[str]:
    """What a person must fix before the note can be saved (the ingest checks the rest)."""
    errors = []
    if not values["district"]:
        errors.append("Choose or type the district.")
    try:
        day = dt.date.fromisoformat(values["date"])
    except ValueError:
        errors.append("Give the meeting's date as YYYY-MM-DD.")
    else:
        if day > dt.date.today() + LATEST_DAY:
            errors.append("The meeting's date is in the future.")
    if values["attendees"] and not re.fullmatch(r"\d{1,5}", values["attendees"]):
        errors.append("Attendees: a whole number of people.")
    if values["overall_sentiment"] and values["overall_sentiment"] not in SENTIMENTS:
        errors.append("Overall sentiment: positive, neutral, negative or mixed.")
    if not values["text"]:
        errors.append("Write the notes.")
    elif len(values["text"]) > MAX_TEXT_CHARS:
        errors.append(f"The notes are longer than {MAX_TEXT_CHARS:,} characters: split them into two notes.")
    return errors


def note_record(values: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """The form as one record of the JSON import format (README "Input formats")."""
    record: dict[str, Any] = {"kind": "meeting_note", "channel": "meeting", "text": values["text"],
                              "district": values["district"], "date": values["date"], "note_taker": caller.name}
    if values["location"]:
        record["location"] = values["location"]
    if values["meeting"]:
        record["meeting_id"] = values["meeting"]
    if values["attendees"]:
        record["attendee_count"] = int(values["attendees"])
    if values["top_concerns"]:
        record["top_concerns"] = values["top_concerns"]
    if values["overall_sentiment"]:
        record["overall_sentiment"] = values["overall_sentiment"]
    return record


def _concerns(picked: list[str], typed: str) -> list[str]:
    """Checked labels, then the typed ones (separated by ; or ,), each once."""
    extra = [w.strip() for w in re.split(r"[;,\n]", typed) if w.strip()]
    return list(dict.fromkeys([p.strip() for p in picked if p.strip()] + extra))[:20]


@router.post("/notes/new")
def save_note(request: Request, caller: Annotated[Caller, Depends(page_caller(*NOTE_TAKERS))],
              district: Annotated[str, Form(max_length=100)] = "",
              date: Annotated[str, Form(max_length=10)] = "",
              location: Annotated[str, Form(max_length=500)] = "",
              meeting: Annotated[str, Form(max_length=128)] = "",
              attendees: Annotated[str, Form(max_length=6)] = "",
              top_concerns: Annotated[list[str] | None, Form(max_length=50)] = None,
              other_concerns: Annotated[str, Form(max_length=500)] = "",
              overall_sentiment: Annotated[str, Form(max_length=10)] = "",
              text: Annotated[str, Form(max_length=MAX_TEXT_CHARS + 1)] = "") -> Response:
    from synth.record_filter import mark_submitter

    svc = request.app.state.services
    values = {"district": district.strip(), "date": date.strip(), "location": location.strip(),
              "meeting": meeting.strip(), "attendees": attendees.strip(), "text": text.strip(),
              "top_concerns": _concerns(top_concerns or [], other_concerns),
              "overall_sentiment": overall_sentiment.strip(), "other_concerns": other_concerns}
    if errors := _check(values):
        return _form_page(request, caller, values, errors, status=422)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "note-form.json"
        path.write_text(json.dumps([note_record(values, caller)]), encoding="utf-8")
        report = svc.ingestor.ingest([path])
    if report.run_id is not None:
        mark_submitter(svc.records, report.run_id, caller.user_id)
    svc.audit.record(caller.name, "notes.submit", values["district"],
                     {"accepted": report.accepted, "rejected": report.rejected, "duplicates": report.duplicates})
    if report.rejected:
        reasons = [str(r).replace(str(path), "the form") for r in report.rejections]
        return _form_page(request, caller, values, reasons, status=422)
    counts = next((d for d in svc.records.district_stats() if d.district == values["district"]), None)
    return render(request, "notes_saved.html", {
        "active": "notes", "district": values["district"], "duplicate": report.accepted == 0,
        "records": counts.records if counts else 0, "notes": counts.notes if counts else 0,
        "redactions": sum(report.redactions.values()), "recent": _recent_notes(svc, caller)})
