"""The contact log, `/contacts/new`: an officer records a community contact from a phone in seconds (kind as
big buttons, district from the known ones or typed, today's date, minutes, residents, one line), saved in one
POST and answered with a 303 to its confirmation, `/contacts/{id}`, which offers "log another". The form starts
with the district the officer logged last. The line is redacted before it is stored (synth/contacts.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.web.session import PageError, page_caller, render
from synth.contacts import (
    CONTACT_KINDS,
    LATEST_DAY,
    MAX_TEXT_CHARS,
    ContactInvalid,
    ContactStore,
    check_contact,
)
from synth.period import Period, month_of
from synth.users import Caller, Role

router = APIRouter(include_in_schema=False)
CONTACT_LOGGERS = (Role.note_taker, Role.coordinator, Role.admin)
RECENT_CONTACTS = 5


def known_districts(svc: Any) -> list[str]:
    """Districts of the records and of contacts logged before."""
    found = {d.district for d in svc.records.district_stats() if d.district}
    return sorted(found | set(ContactStore(svc.records).districts()))


def recent_contacts(svc: Any, user_id: int) -> list[dict[str, Any]]:
    """The user's latest contacts, their lines redacted again on the way out."""
    mine = ContactStore(svc.records).find(logged_by=user_id, limit=RECENT_CONTACTS)
    lines = svc.outbound([c.text for c in mine], remember=False) if any(c.text for c in mine) else [""] * len(mine)
    return [{"contact": c, "text": t} for c, t in zip(mine, lines, strict=True)]


def _form_page(request: Request, caller: Caller, values: dict[str, Any], errors: dict[str, str],
               *, status: int = 200) -> Response:
    svc = request.app.state.services
    return render(request, "contacts_new.html", {
        "active": "contacts", "values": values, "errors": errors, "kinds": CONTACT_KINDS,
        "districts": known_districts(svc), "max_text": MAX_TEXT_CHARS,
        "latest_date": (dt.date.today() + LATEST_DAY).isoformat(),
        "recent": recent_contacts(svc, caller.user_id)}, status=status)


@router.get("/contacts/new")
def contact_form(request: Request, caller: Annotated[Caller, Depends(page_caller(*CONTACT_LOGGERS))]) -> Response:
    last = ContactStore(request.app.state.services.records).last_district(caller.user_id)
    return _form_page(request, caller, {"district": last or "", "date": dt.date.today().isoformat(),
                                        "kind": "", "minutes": "", "residents": "", "text": ""}, {})


@router.post("/contacts/new")
def save_contact(request: Request, caller: Annotated[Caller, Depends(page_caller(*CONTACT_LOGGERS))],
                 kind: Annotated[str, Form(max_length=32)] = "",
                 district: Annotated[str, Form(max_length=200)] = "",
                 date: Annotated[str, Form(max_length=10)] = "",
                 minutes: Annotated[str, Form(max_length=8)] = "",
                 residents: Annotated[str, Form(max_length=8)] = "",
                 text: Annotated[str, Form(max_length=MAX_TEXT_CHARS * 4)] = "") -> Response:
    svc = request.app.state.services
    values = {"kind": kind, "district": district, "date": date, "minutes": minutes, "residents": residents,
              "text": text}
    try:
        new = check_contact(kind, district, date, minutes, residents, text)
    except ContactInvalid as e:
        return _form_page(request, caller, values, e.errors, status=422)
    contact, removed = ContactStore(svc.records).add(new, svc.redactor, caller.user_id)
    svc.audit.record(caller.name, "contacts.log", contact.district,
                     {"contact": contact.id, "kind": contact.kind, "redactions": removed})
    return RedirectResponse(f"/contacts/{contact.id}?removed={removed}", status_code=303)


@router.get("/contacts/{contact_id}")
def contact_saved(request: Request, caller: Annotated[Caller, Depends(page_caller(*CONTACT_LOGGERS))],
                  contact_id: int, removed: int = 0) -> Response:
    """A logged contact's confirmation (a note-taker sees only their own)."""
    svc = request.app.state.services
    store = ContactStore(svc.records)
    contact = store.get(contact_id)
    if contact is None or (caller.role == Role.note_taker and contact.logged_by != caller.user_id):
        raise PageError(404, "There is no such contact among yours.")
    month = Period.month(month_of(contact.day))
    month_total = len(store.find(district=contact.district, period=month, limit=100_000))
    return render(request, "contacts_saved.html", {
        "active": "contacts", "contact": contact, "removed": max(removed, 0), "month_total": month_total,
        "month_label": month.label,
        "recent": recent_contacts(svc, caller.user_id)})

