"""The positive-activity log: community contacts officers record (a foot-patrol conversation, a school visit, ...),
and engagement activity per district and month, combining them with the meetings in the records.

- `ContactStore.add(new, redactor, user_id)` stores one contact; its line of text is resident-adjacent, so it is
  redacted before it is written (the store takes no text any other way).
- `activity(records, district=..., period=...)` is the one function for "engagement activity" (the home page
  and the monthly district report): per district and month, meetings held, residents reached and meeting notes
  logged (counted from the stored records as the overview counts them: each meeting once, at its largest
  attendee count; records dated only by year are in no month), plus contacts logged by kind, contact minutes
  and residents met.

Contacts are not residents' records: `synth records delete` and retention do not touch them (a contact's
line is redacted when stored, and holds no resident's feedback).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from synth.db import Base, RecordRow, RecordStore
from synth.period import Period, month_of
from synth.redact.redactors import Redactor

# kind -> what a person reads; the order is the form's
CONTACT_KINDS: dict[str, str] = {
    "foot_patrol": "Foot patrol conversation",
    "school_visit": "School visit",
    "business_check": "Business check",
    "community_event": "Community event",
    "youth_activity": "Youth activity",
    "phone_call": "Phone call or follow-up",
    "other": "Other",
}
MAX_TEXT_CHARS = 280
MAX_MINUTES = 24 * 60
MAX_RESIDENTS = 10_000
MAX_DISTRICT_CHARS = 100
LATEST_DAY = dt.timedelta(days=1)  # "today" where the officer is may be tomorrow on the server's clock


class ContactRow(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    district: Mapped[str] = mapped_column(String(MAX_DISTRICT_CHARS), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    residents: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")  # redacted before it is stored
    logged_by: Mapped[int | None] = mapped_column(Integer, index=True)  # the user's id
    logged_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class Contact:
    id: int
    kind: str
    district: str
    day: dt.date
    minutes: int
    residents: int
    text: str
    logged_by: int | None
    logged_at: dt.datetime

    @property
    def kind_label(self) -> str:
        return CONTACT_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class NewContact:
    """A contact as typed, checked by `check_contact` (text not yet redacted)."""

    kind: str
    district: str
    day: dt.date
    minutes: int
    residents: int
    text: str = ""


class ContactInvalid(ValueError):
    """What is wrong with a contact, by field (`errors`: field -> message a person can act on)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _whole(value: Any, name: str, upper: int, errors: dict[str, str], what: str) -> int:
    text = str(value).strip() if value is not None else ""
    if not re.fullmatch(r"\d{1,6}", text) or int(text) > upper:
        errors[name] = f"{what}: a whole number from 0 to {upper:,}."
        return 0
    return int(text)


def check_contact(kind: Any, district: Any, day: Any, minutes: Any, residents: Any, text: Any = "",
                  *, today: dt.date | None = None) -> NewContact:
    """A NewContact from what was typed or sent, or ContactInvalid naming every field to fix."""
    errors: dict[str, str] = {}
    today = today or dt.date.today()
    kind = str(kind or "").strip()
    if kind not in CONTACT_KINDS:
        errors["kind"] = "Kind: choose one of " + ", ".join(CONTACT_KINDS.values()).lower() + "."
    district = " ".join(str(district or "").split())
    if not district:
        errors["district"] = "District: choose or type the district."
    elif len(district) > MAX_DISTRICT_CHARS:
        errors["district"] = f"District: at most {MAX_DISTRICT_CHARS} characters."
    parsed = today
    if isinstance(day, dt.date):
        parsed = day
    elif str(day or "").strip():
        try:
            parsed = dt.date.fromisoformat(str(day).strip())
        except ValueError:
            errors["date"] = "Date: give it as YYYY-MM-DD."
    if parsed > today + LATEST_DAY:
        errors["date"] = "Date: the contact's date is in the future."
    spent = _whole(minutes, "minutes", MAX_MINUTES, errors, "Minutes")
    met = _whole(residents, "residents", MAX_RESIDENTS, errors, "Residents")
    line = str(text or "").strip()
    if len(line) > MAX_TEXT_CHARS:
        errors["text"] = f"What happened: at most {MAX_TEXT_CHARS} characters (this is {len(line)})."
    if errors:
        raise ContactInvalid(errors)
    return NewContact(kind, district, parsed, spent, met, line)


def _contact(row: ContactRow) -> Contact:
    at = row.logged_at if row.logged_at.tzinfo else row.logged_at.replace(tzinfo=dt.UTC)
    return Contact(row.id, row.kind, row.district, row.day, row.minutes, row.residents, row.text, row.logged_by, at)


class ContactStore:
    def __init__(self, records: RecordStore) -> None:
        self.records = records  # its table made by the migrations when the store was opened

    def add(self, new: NewContact, redactor: Redactor, logged_by: int | None) -> tuple[Contact, int]:
        """Store `new` with its text redacted; the contact and the number of pieces of personal data removed."""
        redacted = redactor.redact_batch([new.text])[0] if new.text else None
        text = redacted.text if redacted else ""
        with self.records.write_session() as s:
            row = ContactRow(kind=new.kind, district=new.district, day=new.day, minutes=new.minutes,
                             residents=new.residents, text=text[:MAX_TEXT_CHARS * 2], logged_by=logged_by,
                             logged_at=dt.datetime.now(dt.UTC))
            s.add(row)
            s.flush()
            contact = _contact(row)
        return contact, sum(redacted.counts.values()) if redacted else 0

    def get(self, contact_id: int) -> Contact | None:
        with self.records.session() as s:
            row = s.get(ContactRow, contact_id)
            return _contact(row) if row is not None else None

    def find(self, *, logged_by: int | None = None, district: str | None = None, period: Period | None = None,
             limit: int = 100) -> list[Contact]:
        """Contacts, newest first (by date, then by when they were logged)."""
        q = select(ContactRow).order_by(ContactRow.day.desc(), ContactRow.id.desc()).limit(limit)
        if logged_by is not None:
            q = q.where(ContactRow.logged_by == logged_by)
        if district is not None:
            q = q.where(ContactRow.district == district)
        if period is not None and not period.is_all:
            q = q.where(ContactRow.day >= period.start, ContactRow.day <= period.end)
        with self.records.session() as s:
            return [_contact(r) for r in s.scalars(q)]

    def last_district(self, logged_by: int) -> str | None:
        """The district this user logged a contact for most recently (the form starts with it)."""
        with self.records.session() as s:
            return s.scalar(select(ContactRow.district).where(ContactRow.logged_by == logged_by)
                            .order_by(ContactRow.logged_at.desc(), ContactRow.id.desc()).limit(1))

    def months(self) -> list[str]:
        """The months ("2026-11") that have a contact, oldest first."""
        with self.records.session() as s:
            return sorted({month_of(day) for day in s.scalars(select(ContactRow.day).distinct())})

    def districts(self) -> list[str]:
        with self.records.session() as s:
            return sorted(s.scalars(select(ContactRow.district).distinct()))


@dataclass
class ActivityRow:
    """Engagement activity of one district in one month."""

    district: str
    month: str  # "2026-11"
    meetings: int = 0  # meetings held (distinct meeting ids in the records)
    residents_reached: int = 0  # each meeting's largest attendee count, summed
    notes: int = 0  # meeting notes logged
    contacts_by_kind: dict[str, int] = field(default_factory=dict)  # kind -> contacts logged
    contact_minutes: int = 0
    residents_met: int = 0  # residents the contacts met

    @property
    def contacts(self) -> int:
        return sum(self.contacts_by_kind.values())


def _count_contact(row: ActivityRow, kind: str, minutes: int, residents: int) -> None:
    row.contacts_by_kind[kind] = row.contacts_by_kind.get(kind, 0) + 1
    row.contact_minutes += minutes
    row.residents_met += residents


def _in_period(period: Period, day: dt.date) -> bool:
    return period.is_all or period.start <= day <= period.end


def activity(records: RecordStore, *, district: str | None = None, period: Period = Period.ALL
             ) -> list[ActivityRow]:
    """Engagement activity per district and month (sorted by district, then month): for one district or every
    district with records or contacts, over `period`'s months (each of them, active or not), or, for "all",
    the months that have any dated record or contact."""
    rows_q = select(RecordRow.district, RecordRow.date, RecordRow.kind, RecordRow.meeting_id,
                    RecordRow.attendee_count).where(RecordRow.date.is_not(None), RecordRow.district.is_not(None),
                                                    RecordRow.date_precision != "year")
    contacts_q = select(ContactRow.district, ContactRow.day, ContactRow.kind, ContactRow.minutes,
                        ContactRow.residents)
    if district is not None:
        rows_q = rows_q.where(RecordRow.district == district)
        contacts_q = contacts_q.where(ContactRow.district == district)
    if not period.is_all:
        rows_q = rows_q.where(RecordRow.date >= period.start, RecordRow.date <= period.end)
        contacts_q = contacts_q.where(ContactRow.day >= period.start, ContactRow.day <= period.end)
    out: dict[tuple[str, str], ActivityRow] = {}

    def row_for(where: str, month: str) -> ActivityRow:
        return out.setdefault((where, month), ActivityRow(where, month))

    attendees: dict[tuple[str, str, str], int] = defaultdict(int)
    with records.session() as s:
        for where, day, kind, meeting_id, count in s.execute(rows_q):
            if where is None or day is None or not _in_period(period, day):  # (the query leaves these out)
                continue
            month = month_of(day)
            row = row_for(where, month)
            if kind == "meeting_note":
                row.notes += 1
            if meeting_id:
                key = (where, month, meeting_id)
                attendees[key] = max(attendees[key], count or 0)
        for where, day, kind, minutes, residents in s.execute(contacts_q):
            _count_contact(row_for(where, month_of(day)), kind, minutes, residents)
    for (where, month, _), n in attendees.items():
        row = out[(where, month)]
        row.meetings += 1
        row.residents_reached += n
    if not period.is_all:  # every month of the period, for every district seen (or asked for)
        for where in {district} if district is not None else {d for d, _ in out}:
            for month in period.months():
                row_for(where, month)
    return sorted(out.values(), key=lambda r: (r.district, r.month))


def contact_totals(records: RecordStore, months: list[str]) -> dict[tuple[str, str], ActivityRow]:
    """(district, month) -> contacts logged, minutes and residents met in `months` (the overview's columns)."""
    if not months:
        return {}
    span = Period.months_from(Period.month(months[0]).bounds()[0], Period.month(months[-1]).bounds()[0])
    wanted = set(months)
    out: dict[tuple[str, str], ActivityRow] = {}
    q = select(ContactRow.district, ContactRow.day, ContactRow.kind, ContactRow.minutes, ContactRow.residents
               ).where(ContactRow.day >= span.start, ContactRow.day <= span.end)
    with records.session() as s:
        for where, day, kind, minutes, residents in s.execute(q):
            month = month_of(day)
            if month not in wanted:
                continue
            _count_contact(out.setdefault((where, month), ActivityRow(where, month)), kind, minutes, residents)
    return out
