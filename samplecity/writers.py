"""Writers: the city's files in the formats the ingest readers accept.

``notes/<meeting_id>.md`` one meeting per file; ``comments/web_form.csv``, ``comments/survey.jsonl`` and
``comments/email.json`` streamed row by row. Files are written with ``\n`` line ends on every platform.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from samplecity.plan import KIND_CHANNEL, KIND_FILE, WEB_FORM_COLUMNS, Plan
from synth.csv_out import SafeWriter
from synth.models import RecordKind


class Writers:
    """Streaming writers for the three comment files; notes are written one file each."""

    def __init__(self, out_dir: Path, stack: ExitStack) -> None:
        self.out_dir = out_dir
        (out_dir / "notes").mkdir(parents=True, exist_ok=True)
        (out_dir / "comments").mkdir(parents=True, exist_ok=True)
        for old in (out_dir / "notes").glob("KT-*.md"):
            old.unlink()

        def open_(name: str) -> IO[str]:
            return stack.enter_context(open(out_dir / name, "w", encoding="utf-8", newline=""))

        self.csv = SafeWriter(open_(KIND_FILE[RecordKind.comment]), lineterminator="\n")
        self.csv.writerow(WEB_FORM_COLUMNS)
        self.jsonl = open_(KIND_FILE[RecordKind.survey_response])
        self.email = open_(KIND_FILE[RecordKind.email])
        self.email.write("[")
        self.rows = {kind: 0 for kind in KIND_FILE}
        stack.callback(self._close_email)

    def _close_email(self) -> None:
        self.email.write("\n]\n" if self.rows[RecordKind.email] else "]\n")

    def next_row(self, kind: RecordKind) -> int:
        self.rows[kind] += 1
        return self.rows[kind]

    def comment(self, plan: Plan, text: str, district: str, location: str) -> None:
        channel, date = KIND_CHANNEL[plan.kind].value, plan.date.isoformat()
        if plan.kind is RecordKind.comment:
            self.csv.writerow([plan.ident, plan.kind.value, text, district, location, date, channel])
            return
        obj = {"id": plan.ident, "kind": plan.kind.value, "text": text, "district": district, "date": date,
               "channel": channel}
        line = json.dumps(obj, ensure_ascii=False)
        if plan.kind is RecordKind.survey_response:
            self.jsonl.write(line + "\n")
        else:
            self.email.write(("\n  " if self.rows[RecordKind.email] == 1 else ",\n  ") + line)

    def note(self, meeting_id: str, header: list[tuple[str, str]], body: str) -> str:
        name = f"notes/{meeting_id}.md"
        head = "".join(f"{k}: {v}\n" for k, v in header)
        (self.out_dir / name).write_text(f"{head}\n{body}\n", encoding="utf-8", newline="")
        return name
