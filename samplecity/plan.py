"""Planning: what each record will be (kind, district, date, id, planted extras) before its text exists.

Every record is planned first, then the plan is sorted by date so comment ids and meeting numbers run
chronologically. The channel shares and text sizes live here too.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from samplecity.vocabulary import DISTRICT_VOLUME, DISTRICTS
from synth.models import Channel, RecordKind

KIND_SHARES: tuple[tuple[RecordKind, float], ...] = (
    (RecordKind.meeting_note, 0.40),
    (RecordKind.comment, 0.30),
    (RecordKind.survey_response, 0.18),
    (RecordKind.email, 0.12),
)
KIND_CHANNEL = {RecordKind.meeting_note: Channel.meeting, RecordKind.comment: Channel.web_form,
                RecordKind.survey_response: Channel.survey, RecordKind.email: Channel.email}
KIND_FILE = {RecordKind.comment: "comments/web_form.csv", RecordKind.survey_response: "comments/survey.jsonl",
             RecordKind.email: "comments/email.json"}
KIND_ID_PREFIX = {RecordKind.comment: "wf", RecordKind.survey_response: "sv", RecordKind.email: "em"}
WEB_FORM_COLUMNS = ("id", "kind", "text", "district", "location", "date", "channel")
NOTE_CONCERN_COUNTS = ((1, 0.2), (2, 0.35), (3, 0.3), (4, 0.15))
COMMENT_CONCERN_COUNTS = ((1, 0.6), (2, 0.32), (3, 0.08))
NOTE_WORDS = (60, 180)
FORM_NOTE_WORDS = (40, 120)
COMMENT_WORDS = (15, 60)
STANDARD_FORM_SHARE = 0.30
NOTE_TYPOS = (1, 2, 2, 3, 3, 4)  # typos per note, drawn uniformly
COMMENT_TYPO_SHARE = 0.2  # comments with one typo
ATTENDEES = (3, 14)


@dataclass
class Plan:
    """What a record will be before its text exists."""

    index: int
    kind: RecordKind
    district: int
    month: int
    date: dt.date
    ident: str = ""  # comment id or meeting id
    pii: bool = False
    injection: bool = False



def month_list(end_month: str, months: int) -> list[str]:
    """The `months` calendar months ending at end_month ('YYYY-MM'), oldest first."""
    if months < 1:
        raise ValueError("months must be at least 1")
    try:
        year, mon = (int(x) for x in end_month.split("-"))
        dt.date(year, mon, 1)
    except ValueError as exc:
        raise ValueError(f"end_month must look like YYYY-MM, got {end_month!r}") from exc
    out = []
    for back in range(months - 1, -1, -1):
        total = year * 12 + (mon - 1) - back
        out.append(f"{total // 12:04d}-{total % 12 + 1:02d}")
    return out


def plan_records(rng: random.Random, records: int, months: list[str]) -> list[Plan]:
    """Draw kind, district and date of every record; sort chronologically; number comments and meetings."""
    n = len(months)
    kinds = rng.choices([k for k, _ in KIND_SHARES], weights=[w for _, w in KIND_SHARES], k=records)
    districts = rng.choices(range(len(DISTRICTS)), weights=DISTRICT_VOLUME, k=records)
    month_weights = [1.0 + 0.05 * m for m in range(n)]  # volume grows a little over the period
    month_idx = rng.choices(range(n), weights=month_weights, k=records)
    firsts = [dt.date.fromisoformat(f"{name}-01") for name in months]
    days = [calendar.monthrange(d.year, d.month)[1] for d in firsts]
    plans = []
    for i, m in enumerate(month_idx):
        date = firsts[m].replace(day=rng.randint(1, days[m]))
        plans.append(Plan(i, kinds[i], districts[i], m, date))
    plans.sort(key=lambda p: (p.date, p.index))
    _assign_ids(plans)
    return plans


def _assign_ids(plans: list[Plan]) -> None:
    counters: dict[Any, int] = {}
    meetings: dict[tuple[int, int], int] = {}
    for p in plans:
        if p.kind is RecordKind.meeting_note:
            meetings[(p.district, p.month)] = meetings.get((p.district, p.month), 0) + 1
    width = max(2, len(str(max(meetings.values(), default=1))))
    comment_width = max(6, len(str(len(plans))))
    for p in plans:
        if p.kind is RecordKind.meeting_note:
            key: Any = (p.district, p.month)
            counters[key] = counters.get(key, 0) + 1
            ym = p.date.strftime("%Y-%m")
            p.ident = f"KT-D{p.district + 1}-{ym}-{counters[key]:0{width}d}"
        else:
            counters[p.kind] = counters.get(p.kind, 0) + 1
            p.ident = f"{KIND_ID_PREFIX[p.kind]}-{counters[p.kind]:0{comment_width}d}"


def mark_specials(rng: random.Random, plans: list[Plan], pii_records: int, injection_records: int) -> None:
    """Choose which records carry personal data and which comments carry a prompt injection (disjoint)."""
    if not 0 <= pii_records <= len(plans):
        raise ValueError(f"pii_records must be between 0 and records ({len(plans)})")
    for i in rng.sample(range(len(plans)), pii_records):
        plans[i].pii = True
    candidates = [i for i, p in enumerate(plans) if p.kind is not RecordKind.meeting_note and not p.pii]
    if not 0 <= injection_records <= len(candidates):
        raise ValueError(f"injection_records must be between 0 and {len(candidates)} (comments without PII)")
    for i in rng.sample(candidates, injection_records):
        plans[i].injection = True
