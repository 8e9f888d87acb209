"""POST /contacts: log a community contact (as the `/contacts/new` form does); GET /contacts: list them, newest
first (a note-taker lists only their own). A contact's line is redacted before it is stored and again on the
way out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from api.corpus import PERIOD_PATTERN, period_key
from api.deps import ServicesDep
from api.responses import errors
from api.routes.themes import VISIBLE
from api.security import Caller, Role, allow
from synth.contacts import (
    CONTACT_KINDS,
    MAX_DISTRICT_CHARS,
    MAX_MINUTES,
    MAX_RESIDENTS,
    MAX_TEXT_CHARS,
    Contact,
    ContactInvalid,
    ContactStore,
    check_contact,
)
from synth.period import Period

router = APIRouter(tags=["contacts"])
LOGGERS = (Role.admin, Role.coordinator, Role.note_taker)
LISTERS = (Role.admin, Role.coordinator, Role.leadership, Role.note_taker)


Kind = Literal[tuple(CONTACT_KINDS)]  # type: ignore[valid-type]


class ContactIn(BaseModel):
    kind: Kind = Field(description="one of: " + ", ".join(CONTACT_KINDS))  # type: ignore[valid-type]
    district: str = Field(max_length=MAX_DISTRICT_CHARS, pattern=VISIBLE)
    date: dt.date | None = Field(None, description="the contact's day (default: today; not after tomorrow)")
    minutes: int = Field(ge=0, le=MAX_MINUTES)
    residents: int = Field(ge=0, le=MAX_RESIDENTS, description="residents met")
    text: str = Field("", max_length=MAX_TEXT_CHARS, description="one line; personal data is removed")


class ContactView(BaseModel):
    id: int
    kind: str
    kind_label: str
    district: str
    date: dt.date
    minutes: int
    residents: int
    text: str
    logged_by: int | None
    logged_at: dt.datetime


class ContactList(BaseModel):
    contacts: list[ContactView]


def _views(svc: ServicesDep, contacts: list[Contact]) -> list[ContactView]:
    lines = svc.outbound([c.text for c in contacts], remember=False) if any(c.text for c in contacts) \
        else [c.text for c in contacts]
    return [ContactView(id=c.id, kind=c.kind, kind_label=c.kind_label, district=c.district, date=c.day,
                        minutes=c.minutes, residents=c.residents, text=line, logged_by=c.logged_by,
                        logged_at=c.logged_at) for c, line in zip(contacts, lines, strict=True)]


@router.post("/contacts", response_model=ContactView, status_code=201, responses=errors(422))
def log_contact(body: ContactIn, svc: ServicesDep, caller: Annotated[Caller, Depends(allow(*LOGGERS))]
                ) -> ContactView:
    """Log one community contact; 422 names every field to fix."""
    try:
        new = check_contact(body.kind, body.district, body.date, str(body.minutes), str(body.residents), body.text)
    except ContactInvalid as e:
        raise HTTPException(422, e.errors) from None
    contact, removed = ContactStore(svc.records).add(new, svc.redactor, caller.user_id)
    svc.audit.record(caller.name, "contacts.log", contact.district,
                     {"contact": contact.id, "kind": contact.kind, "redactions": removed, "api": True})
    return _views(svc, [contact])[0]


@router.get("/contacts", response_model=ContactList, responses=errors(422))
def list_contacts(svc: ServicesDep, caller: Annotated[Caller, Depends(allow(*LISTERS))],
                  district: Annotated[str | None, Query(max_length=200)] = None,
                  period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> ContactList:
    """Contacts, newest first, by district and period (YYYY-MM, YYYY-MM..YYYY-MM, YYYY or all)."""
    mine = caller.user_id if caller.role == Role.note_taker else None
    found = ContactStore(svc.records).find(logged_by=mine, district=district,
                                           period=Period.parse(period_key(period)) if period else None, limit=limit)
    svc.audit.record(caller.name, "contacts.read", district or "", {"period": period, "listed": len(found)})
    return ContactList(contacts=_views(svc, found))
