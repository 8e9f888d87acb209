"""What one ingest is asked to do (`IngestOptions`) and what it did (`IngestReport`: the counts of the final line
`read N, accepted N, rejected N, duplicates N, …`, the rejections and the terminal's warnings), and the lenient
validation of meeting notes (a bad optional field is dropped with a warning, never the note)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from synth.dates import DateOrder
from synth.errors import RowError
from synth.models import Rejection
from synth.readers import Notice, RawRow
from synth.validate import ValidRow, validate_row


@dataclass
class IngestOptions:
    mapping: dict[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    profile: str | None = None
    defaults: dict[str, str] = field(default_factory=dict)  # field values for rows that lack them
    id_prefix: str = ""
    date_order: DateOrder | None = None  # for ambiguous dates in a file with no unambiguous one
    ignore_unknown: bool = False  # drop unknown columns (named on the terminal) instead of failing the file


@dataclass
class IngestReport:
    files: int = 0
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    forgotten: int = 0  # rows whose record was deleted on request (`synth records delete`): not stored again
    redactions: Counter[str] = field(default_factory=Counter)
    resumed: int = 0  # records of an earlier, interrupted run indexed by this one
    indexed: int = 0
    seconds: float = 0.0
    status: str = "done"  # done | interrupted | failed (a file could not be read at all, or the run crashed)
    failed_files: list[Rejection] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    conflicts: int = 0  # rows whose id already holds a different text (kept in `rejections`, not stored)
    ambiguous_dates: int = 0  # rows read by their file's majority day/month order (or --date-order)
    notices: list[str] = field(default_factory=list)  # per file: how its ambiguous dates were read
    warnings: list[Notice] = field(default_factory=list)  # for the terminal only (they may name a column)
    run_id: int | None = None  # the run's row in ingest_runs (its records carry it)

    def line(self) -> str:
        s = (f"read {self.read}, accepted {self.accepted}, rejected {self.rejected}, duplicates {self.duplicates}, "
             f"redactions {sum(self.redactions.values())}, {self.seconds:.1f} s")
        if self.forgotten:
            s += f", skipped {self.forgotten} deleted on request"
        if self.failed_files:
            s += f", files failed {len(self.failed_files)}"
        if self.warnings:
            s += f", warnings {len(self.warnings)}"
        if self.resumed:
            s += f", finished {self.resumed} from an earlier run"
        s += f", conflicts {self.conflicts}"
        if self.ambiguous_dates:
            s += f", ambiguous dates {self.ambiguous_dates}"
        return s

    def as_dict(self) -> dict[str, Any]:
        return {"files": self.files, "read": self.read, "accepted": self.accepted, "rejected": self.rejected,
                "forgotten": self.forgotten,
                "duplicates": self.duplicates, "redactions": dict(self.redactions), "resumed": self.resumed,
                "seconds": round(self.seconds, 3), "status": self.status,
                "failed_files": [str(r) for r in self.failed_files], "conflicts": self.conflicts,
                "ambiguous_dates": self.ambiguous_dates, "notices": list(self.notices), "warnings": len(self.warnings)}



def validate_lenient(raw: RawRow, warnings: list[Notice], **kw: Any) -> ValidRow:
    """validate_row; for a lenient row (a meeting note) a bad optional field is left out (or set to its
    fallback) with a warning, so the note is kept. The text and the id are never optional."""
    for _ in range(len(raw.values) + 1):
        try:
            return validate_row(raw, **kw)
        except RowError as e:
            if not raw.lenient or e.field in (None, "text", "id") or e.field not in raw.values:
                raise
            warnings.append(Notice(raw.file, raw.row, f"{e.field.replace('_', ' ')} could not be read and was "
                                                      "left out; the rest of the note was kept"))
            values = dict(raw.values)
            values.pop(e.field)
            if e.field in raw.fallbacks:
                values[e.field] = raw.fallbacks[e.field]
            raw = RawRow(raw.file, raw.row, values, raw.lenient, {})
    return validate_row(raw, **kw)
