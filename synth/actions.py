"""'You said, we did': actions (micro-projects) a department takes on a district's theme, with an owner, a due
date, a status and, once done, a completion note. Table `actions`; the API is api/routes/actions.py, the board
and the district page show them (api/web/).

Decisions:
- **Text is redacted before it is stored**: the title and the completion note may repeat what residents said,
  so they pass the redactor like any free text. The owner names who is responsible: a synth user name (kept as
  typed: staff accounts are not residents' data) or a role or unit such as "Traffic unit"; anything else is
  redacted like the title, so a resident's name typed there is never stored.
- **An action follows its theme**: it keeps the theme's id and its label at creation. When a coordinator merges
  the theme into another, the action is shown under the surviving theme (the taxonomy's edit log says where
  each merged id went); when its theme is split or gone, it keeps the label it was created with.
- **Overdue**: a due date before today while the action is still planned or in progress.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Date, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from synth.db import Base, RecordStore

Status = Literal["planned", "in_progress", "done", "dropped"]
STATUSES: tuple[Status, ...] = ("planned", "in_progress", "done", "dropped")
STATUS_LABELS = {"planned": "Planned", "in_progress": "In progress", "done": "Done", "dropped": "Dropped"}
OPEN_STATUSES = ("planned", "in_progress")
TITLE_CHARS, OWNER_CHARS, NOTE_CHARS, LABEL_CHARS = 200, 100, 2000, 80
MAX_ID = 2**31 - 1
EDITABLE = ("title", "owner", "due", "status", "note")


class ActionRow(Base):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district: Mapped[str] = mapped_column(String(100), index=True)
    theme_id: Mapped[str] = mapped_column(String(64), index=True)
    theme_label: Mapped[str] = mapped_column(String(LABEL_CHARS))  # the theme's label when the action was made
    title: Mapped[str] = mapped_column(String(TITLE_CHARS))
    owner: Mapped[str] = mapped_column(String(OWNER_CHARS), default="")
    due: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True, default="planned")
    note: Mapped[str] = mapped_column(Text, default="")  # the completion note ("we did")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Action(BaseModel):
    """An action as readers see it: `theme_id`/`theme_label` are its theme now (after merges);
    `theme_retired` is true when that theme no longer exists (split or removed)."""

    id: int
    district: str
    theme_id: str
    theme_label: str
    theme_retired: bool = False
    title: str
    owner: str
    due: dt.date | None
    status: Status
    note: str
    overdue: bool
    created_by: str
    created_at: dt.datetime
    updated_by: str
    updated_at: dt.datetime
    completed_at: dt.datetime | None


def parse_action_id(text: str) -> int | None:
    """An action id from a URL ("12"), or None (not ASCII digits, or beyond the column's range)."""
    if not re.fullmatch(r"[1-9][0-9]{0,9}", text) or int(text) > MAX_ID:
        return None
    return int(text)


def is_overdue(due: dt.date | None, status: str, today: dt.date) -> bool:
    return due is not None and due < today and status in OPEN_STATUSES


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time in UTC (SQLite gives it back without its zone)."""
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


@dataclass(frozen=True)
class ThemeMap:
    """Where each theme id an action may hold is now: the taxonomy's labels and its merges (old id -> into)."""

    labels: Mapping[str, str]
    merged_into: Mapping[str, str]

    @classmethod
    def of(cls, labels: Mapping[str, str], edits: Iterable[tuple[Any, str, dict[str, Any]]]) -> ThemeMap:
        merged: dict[str, str] = {}
        for _, action, payload in edits:
            if action == "merge":
                for old in payload.get("from", []):
                    if old != payload.get("into"):
                        merged[old] = payload["into"]
        return cls(dict(labels), merged)

    def current(self, theme_id: str) -> str | None:
        """The theme an action on `theme_id` belongs to now, following merges; None if it no longer exists."""
        seen = set()
        while theme_id not in self.labels and theme_id in self.merged_into and theme_id not in seen:
            seen.add(theme_id)
            theme_id = self.merged_into[theme_id]
        return theme_id if theme_id in self.labels else None


class ActionStore:
    """The `actions` table (made by the migrations when the record store was opened). `redact` redacts a batch
    of texts; `staff` gives the synth user names an owner may be kept as."""

    def __init__(self, records: RecordStore, redact: Callable[[list[str]], list[str]],
                 staff: Callable[[], set[str]] = set) -> None:
        self.records = records
        self.redact = redact
        self.staff = staff

    def _clean(self, values: dict[str, Any]) -> dict[str, Any]:
        """Title, note and (unless a staff name) owner redacted, in one batch."""
        fields = [f for f in ("title", "note", "owner") if values.get(f)]
        if values.get("owner") and values["owner"] in self.staff():
            fields.remove("owner")
        if fields:
            for name, text in zip(fields, self.redact([values[f] for f in fields]), strict=True):
                values[name] = text
        return values

    def create(self, *, district: str, theme_id: str, theme_label: str, title: str, owner: str = "",
               due: dt.date | None = None, status: Status = "planned", note: str = "", actor: str) -> Action:
        values = self._clean({"title": title.strip(), "owner": owner.strip(), "note": note.strip()})
        now = dt.datetime.now(dt.UTC)
        row = ActionRow(district=district, theme_id=theme_id, theme_label=theme_label[:LABEL_CHARS],
                        title=values["title"][:TITLE_CHARS], owner=values["owner"][:OWNER_CHARS], due=due,
                        status=status, note=values["note"], created_by=actor, created_at=now, updated_by=actor,
                        updated_at=now, completed_at=now if status == "done" else None)
        with self.records.write_session() as s:
            s.add(row)
            s.flush()
            return self._view(row)

    def update(self, action_id: int, changes: dict[str, Any], *, actor: str) -> Action | None:
        """Apply `changes` (any of EDITABLE); None when there is no such action. Done stamps `completed_at`;
        leaving done clears it."""
        changes = self._clean({k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()
                               if k in EDITABLE})
        with self.records.write_session() as s:
            row = s.get(ActionRow, action_id)
            if row is None:
                return None
            for name, value in changes.items():
                setattr(row, name, value)
            now = dt.datetime.now(dt.UTC)
            if "status" in changes:
                if changes["status"] == "done" and row.completed_at is None:
                    row.completed_at = now
                elif changes["status"] != "done":
                    row.completed_at = None
            row.updated_by, row.updated_at = actor, now
            return self._view(row)

    def get(self, action_id: int) -> Action | None:
        with self.records.session() as s:
            row = s.get(ActionRow, action_id)
            return self._view(row) if row is not None else None

    def list(self, *, district: str | None = None, districts: Sequence[str] | None = None,
             statuses: Sequence[str] | None = None, limit: int = 1000) -> list[Action]:
        """Actions by due date (none last), then newest first."""
        q = select(ActionRow).order_by(ActionRow.due.is_(None), ActionRow.due, ActionRow.id.desc()).limit(limit)
        if district is not None:
            q = q.where(ActionRow.district == district)
        if districts is not None:
            q = q.where(ActionRow.district.in_(list(districts)))
        if statuses:
            q = q.where(ActionRow.status.in_(list(statuses)))
        with self.records.session() as s:
            return [self._view(r) for r in s.scalars(q)]

    @staticmethod
    def _view(row: ActionRow, today: dt.date | None = None) -> Action:
        return Action(id=row.id, district=row.district, theme_id=row.theme_id, theme_label=row.theme_label,
                      title=row.title, owner=row.owner, due=row.due, status=row.status,
                      note=row.note or "", overdue=is_overdue(row.due, row.status, today or dt.date.today()),
                      created_by=row.created_by, created_at=_utc(row.created_at),
                      updated_by=row.updated_by, updated_at=_utc(row.updated_at),
                      completed_at=_utc(row.completed_at))


def under_current_themes(actions: Iterable[Action], themes: ThemeMap) -> list[Action]:
    """Each action under the theme it belongs to now (merged themes followed; a vanished one keeps its label)."""
    out = []
    for a in actions:
        now = themes.current(a.theme_id)
        if now is None:
            out.append(a.model_copy(update={"theme_retired": True}))
        else:
            out.append(a.model_copy(update={"theme_id": now, "theme_label": themes.labels[now] or a.theme_label}))
    return out


def select_actions(actions: Iterable[Action], *, theme: str | None = None, status: str | None = None,
                   overdue: bool | None = None) -> list[Action]:
    return [a for a in actions if (theme is None or a.theme_id == theme) and (status is None or a.status == status)
            and (overdue is None or a.overdue == overdue)]


def completed_in(actions: Iterable[Action], months: Sequence[str] | None, *, and_since: bool = False
                 ) -> list[Action]:
    """Actions done within `months` ("YYYY-MM"; None: at any time), or, `and_since`, from the first of them
    until now (a report on the latest month also lists what was done since), most recent first."""
    def wanted(month: str) -> bool:
        if months is None:
            return True
        return month in months or (and_since and month >= min(months))

    done = [a for a in actions if a.status == "done" and a.completed_at is not None
            and wanted(a.completed_at.strftime("%Y-%m"))]
    return sorted(done, key=lambda a: a.completed_at or dt.datetime.min, reverse=True)
