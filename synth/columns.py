"""Column mapping: how the headers of an export map onto synth's record fields.

Exports come from many tools (web forms, survey platforms, Polis, spreadsheets kept by officers). Known
aliases map automatically; anything else is an error naming the column and the flags that fix it, because
silently dropping a column (or reading the wrong one as the text) is how feedback gets lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from synth.errors import InputError

FIELDS = (
    "id", "kind", "text", "district", "location", "date", "meeting_id", "note_taker", "attendee_count",
    "channel", "language", "top_concerns", "overall_sentiment",
)

# Normalised header -> field. Headers are compared lower-cased with runs of space, '-' and '_' as one '_'.
ALIASES: dict[str, str] = {
    **{f: f for f in FIELDS},
    "record_id": "id", "comment_id": "id", "response_id": "id", "uid": "id",
    "type": "kind", "record_type": "kind",
    "comment_body": "text", "comment": "text", "comments": "text", "body": "text", "message": "text",
    "feedback": "text", "response": "text", "note": "text", "notes": "text", "content": "text",
    "ward": "district", "precinct": "district", "police_district": "district", "beat": "district",
    "place": "location", "neighborhood": "location", "neighbourhood": "location",
    "created": "date", "created_at": "date", "submitted": "date", "submitted_at": "date",
    "meeting_date": "date", "timestamp": "date",
    "meeting": "meeting_id", "meeting_ref": "meeting_id",
    "notetaker": "note_taker", "host": "note_taker", "facilitator": "note_taker", "recorder": "note_taker",
    "attendees": "attendee_count", "attendance": "attendee_count",
    "source": "channel", "lang": "language",
    "concerns": "top_concerns", "top_concern": "top_concerns",
    "sentiment": "overall_sentiment",
}

_SEP_RE = re.compile(r"[\s\-_]+")


def normalize_header(name: str) -> str:
    return _SEP_RE.sub("_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class ColumnProfile:
    """A named mapping for a known export format."""

    mapping: Mapping[str, str] = field(default_factory=dict)  # source header -> field
    ignore: frozenset[str] = frozenset()  # source headers to drop on purpose
    defaults: Mapping[str, str] = field(default_factory=dict)  # field values when the source has none
    id_prefix: str = ""
    ignore_patterns: tuple[str, ...] = ()  # regexes over normalised headers, for numbered column families
    name: str = ""
    # normalised header -> (values, reason): a row with one of these values in that (ignored) column is
    # rejected with the reason, e.g. statements the source's own moderators rejected.
    reject_rows: Mapping[str, tuple[frozenset[str], str]] = field(default_factory=dict)

    def ignores(self, key: str) -> bool:
        """Whether the normalised header `key` is one this profile drops on purpose."""
        return key in {normalize_header(c) for c in self.ignore} or any(
            re.fullmatch(p, key) for p in self.ignore_patterns)


PROFILES: dict[str, ColumnProfile] = {
    # Polis exports (comments.csv, and the per-statement tables built from them, e.g. with topic labels):
    # - read: the statement ("comment-body", or "text"), its id ("comment-id"/"comment_id") and the exact
    #   epoch-millisecond "timestamp" ("datetime" is a locale string);
    # - dropped on purpose: author ids (pseudonymous voter ids, not feedback), vote counts and rates (agrees,
    #   disagrees, passes, per-group g1_agree ..., *_rate, alignment flags, group-informed-consensus), moderation
    #   and seed flags, and topic labels (topics, primary_topic, primary_subtopic, n_topics). Topic labels in
    #   these exports are a model's guesses, not the department's "Top concerns", which train synth's classifier.
    # Statement ids repeat across conversations, hence a prefix naming the conversation ({stem}: see
    # source_stem; Polis names every export comments.csv, so its folder names the conversation).
    "polis": ColumnProfile(
        name="polis",
        mapping={"comment-body": "text", "comment-id": "id", "timestamp": "date"},
        ignore=frozenset({
            "datetime", "author-id", "agrees", "disagrees", "passes", "moderated", "is-meta", "is-seed",
            "group-informed-consensus", "agrees_total", "disagrees_total", "passes_total",
            "topics", "primary_topic", "primary_subtopic", "n_topics",
        }),
        ignore_patterns=(r"g\d+_(agree|disagree|pass)", r"(agree|disagree|pass)_rate",
                         r"is_(high|low)_(alignment|uncertainty)"),
        # moderated: 1 accepted, 0 not yet moderated (kept), -1 rejected by the conversation's moderators (spam,
        # off-topic, duplicates): not taken as feedback, reported as a rejection.
        reject_rows={"moderated": (frozenset({"-1"}), "the source's moderators rejected this statement "
                                                      "(moderated = -1)")},
        defaults={"kind": "comment", "channel": "polis"},
        id_prefix="polis-{stem}-",
    ),
}


_GENERIC_STEMS = frozenset({"comments", "export", "data", "responses", "records"})
_ID_UNSAFE_RE = re.compile(r"[^A-Za-z0-9._-]+")


def source_stem(path: Path) -> str:
    """What `{stem}` in an id prefix stands for: the file's stem, or, when the stem is a generic export name
    (`comments.csv` from every Polis conversation), the folder's name; made safe for ids."""
    stem = path.stem
    if stem.lower() in _GENERIC_STEMS and path.resolve().parent.name:
        stem = path.resolve().parent.name
    return _ID_UNSAFE_RE.sub("-", stem).strip("-.") or "file"


@dataclass(frozen=True)
class ColumnMap:
    """The resolved header -> field mapping for one file."""

    fields: dict[str, str]  # source header -> field
    ignored: tuple[str, ...]
    unknown: tuple[str, ...] = ()  # unknown headers dropped by ignore_unknown (name them on the terminal only)
    reject_rows: dict[str, tuple[frozenset[str], str]] = field(default_factory=dict)  # header -> profile's rule


def resolve_columns(
    file: str,
    headers: Iterable[str],
    *,
    mapping: Mapping[str, str] | None = None,
    ignore: Iterable[str] = (),
    profile: ColumnProfile | None = None,
    ignore_unknown: bool = False,
    noun: str = "column",
) -> ColumnMap:
    """Map a file's headers to fields, or raise InputError naming (by position) every column that cannot be placed.

    Column names come from the input and may hold personal data, so the error's reason (which is stored) gives
    positions; its `detail` (printed on the terminal only) gives the names."""
    explicit = {normalize_header(k): v for k, v in {**(profile.mapping if profile else {}), **(mapping or {})}.items()}
    for target in explicit.values():
        if target and target not in FIELDS:
            raise InputError(file, f"--map target '{target}' is not a field; fields are: {', '.join(FIELDS)}")
    dropped = {normalize_header(c) for c in ignore} | {normalize_header(c) for c in (profile.ignore if profile else ())}

    fields: dict[str, str] = {}
    ignored: list[str] = []
    unknown: list[str] = []
    positions: list[int] = []
    for position, header in enumerate(headers, start=1):
        key = normalize_header(header)
        if key in dropped or explicit.get(key) == "" or (profile and key not in explicit and profile.ignores(key)):
            ignored.append(header)
        elif key in explicit:
            fields[header] = explicit[key]
        elif key in ALIASES:
            fields[header] = ALIASES[key]
        else:
            unknown.append(header if key else "(empty header)")
            positions.append(position)
    if unknown and not ignore_unknown:
        raise _unknown_error(file, unknown, positions, profile, noun)
    targets = list(fields.values())
    dupes = sorted({t for t in targets if targets.count(t) > 1})
    if dupes:
        cols = "; ".join(f"{t} <- " + ", ".join(h for h, f in fields.items() if f == t) for t in dupes)
        raise InputError(file, f"several columns map to the same field ({cols}); --ignore all but one")
    if "text" not in targets:
        raise InputError(
            file, "no text column (looked for 'text', 'comment', 'comment-body', 'body', 'message', "
            "'feedback', ...). Name it with --map COLUMN=text. No row of this file was ingested.")
    rules = profile.reject_rows if profile else {}
    reject = {h: rules[normalize_header(h)] for h in ignored if normalize_header(h) in rules}
    return ColumnMap(fields=fields, ignored=tuple(ignored), unknown=tuple(unknown) if ignore_unknown else (),
                     reject_rows=reject)


def _unknown_error(file: str, unknown: list[str], positions: list[int], profile: ColumnProfile | None,
                   noun: str) -> InputError:
    where = ", ".join(str(p) for p in positions)
    if len(positions) == 1:
        what = f"unknown {noun}: {noun} {where} (counting from 1; its name is shown on the terminal only)"
    else:
        what = (f"{len(positions)} unknown {noun}s: {noun}s {where} (counting from 1; their names are shown on the "
                "terminal only)")
    if profile:
        hint = (f"check that this is a {profile.name} export (the '{profile.name}' profile does not know "
                f"{'it' if len(positions) == 1 else 'them'})")
    else:
        hint = f"if this is a known export, use its profile (--profile {'|'.join(PROFILES)})"
    return InputError(
        file,
        f"{what}. Map each to a field with --map "
        f"COLUMN=FIELD (fields: {', '.join(FIELDS)}), drop it with --ignore COLUMN, drop every unknown {noun} with "
        f"--ignore-unknown, or {hint}. No row of this file was ingested.",
        detail=f"unknown {noun}(s): " + ", ".join(repr(u[:80]) for u in unknown),
    )
