"""Evaluation datasets: what to ingest, and the labels to score the pipeline's output against.

| name | truth | what |
|---|---|---|
| ``sample`` | exact | a synthetic city (``samplecity.generate_city``, 600 records unless ``limit``) |
| ``bowling-green`` | silver | 607 Polis statements with Sensemaker's LLM topic labels, and Sensemaker's report |
| ``nhs`` | human | the held-out slice of NHS patient feedback (human category and criticality labels) |
| ``police-notes`` | human | 160 police–community notes and comments written and labelled by hand (test set) |
| ``police-notes-dev`` | human | 240 more, the development set the starter taxonomy was tuned on |
| ``civic-sentiment`` | human | Polis statements of five conversations (one district each), sentiment labelled by hand |
| ``PATH.csv`` | as labelled | a CSV in the import format; optional ``themes`` (``a;b``), ``sentiment`` |

Every dataset is written into a work folder in the import format and ingested from there, so record ids in
the store equal the ids the labels use. ``limit`` takes a deterministic slice: the first N records in file
order (for ``sample``: a city of N records).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from evals.civic_sentiment import load_civic_statements
from evals.nhs_sentiment import nhs_test_slice
from evals.paths import shared_file
from samplecity import CityTruth, generate_city
from synth.columns import ALIASES, normalize_header
from synth.csv_out import write_dicts
from synth.errors import DatasetError
from synth.period import month_of
from synth.synthesis.models import SentimentLabel

TruthKind = Literal["exact", "silver", "human", "labelled"]
NAMED = ("police-notes", "police-notes-dev", "sample", "bowling-green", "nhs", "civic-sentiment")
# Hand-written, hand-labelled police–community notes and comments (evals/data/police_notes/GUIDE.md): the
# starter taxonomy's parameters were chosen on the dev set; the test set is the figure we report.
POLICE_NOTES = {"police-notes": "test.csv", "police-notes-dev": "dev.csv"}
SAMPLE_RECORDS = 600
BOWLING_GREEN = ("polis", "bowling_green_comments_topics.csv")
BOWLING_GREEN_REPORT = ("polis", "bowling_green_sensemaker_report.csv")
NHS = ("nhs_phase1", "text_data.csv")
SENTIMENT_MAP: dict[str, SentimentLabel] = {"positive": "positive", "neutral": "neutral", "negative": "negative",
                                            "mixed": "neutral"}  # three classes: truth "mixed" counts as neutral
_IMPORT_COLUMNS = ("id", "kind", "text", "district", "date")


@dataclass(frozen=True)
class Labels:
    """What is known about one record. ``themes`` in order (the first is the record's main theme)."""

    district: str | None
    month: str | None
    themes: tuple[str, ...] = ()
    sentiment: SentimentLabel | None = None


@dataclass(frozen=True)
class PeerSection:
    """One section of a peer's report: its title path, its text and the record ids it cites."""

    titles: tuple[str, ...]
    text: str
    cited: tuple[str, ...]
    theme: str | None  # the topic or subtopic the section is about, when its titles name one


@dataclass
class PeerReport:
    name: str
    sections: list[PeerSection]
    record_texts: dict[str, str]  # every statement the report may cite
    record_themes: dict[str, set[str]]  # statement -> its topics and subtopics


@dataclass
class Dataset:
    name: str
    truth: TruthKind
    inputs: list[Path]
    labels: dict[str, Labels]
    description: str
    city: CityTruth | None = None  # the sample city's exact truth
    city_dir: Path | None = None
    seeds_file: Path | None = None  # a seed taxonomy shipped with the dataset (theme ids = truth ids)
    peer: PeerReport | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def has_themes(self) -> bool:
        return any(lab.themes for lab in self.labels.values())

    @property
    def has_sentiment(self) -> bool:
        return any(lab.sentiment for lab in self.labels.values())


def load_dataset(spec: str, work: Path, limit: int | None = None) -> Dataset:
    """The dataset named `spec` (see NAMED) or the CSV at path `spec`, written under `work` for ingest."""
    if limit is not None and limit < 1:
        raise DatasetError(f"--limit must be at least 1, not {limit}")
    work.mkdir(parents=True, exist_ok=True)
    if spec == "sample":
        return _sample(work, limit)
    if spec == "bowling-green":
        return _bowling_green(work, limit)
    if spec == "nhs":
        return _nhs(work, limit)
    if spec in POLICE_NOTES:
        ds = _csv(Path(__file__).parent / "data" / "police_notes" / POLICE_NOTES[spec], work, limit)
        return dataclasses.replace(ds, name=spec, truth="human")
    if spec == "civic-sentiment":
        return _civic_sentiment(work, limit)
    path = Path(spec)
    if path.suffix.lower() != ".csv" or not path.is_file():
        raise DatasetError(f"unknown dataset {spec!r}: use one of {', '.join(NAMED)} or the path of a .csv file")
    return _csv(path, work, limit)


def _write_import_csv(path: Path, rows: Iterable[dict[str, str]], columns: Iterable[str] = _IMPORT_COLUMNS) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        write_dicts(f, list(columns), rows)


# ---------------------------------------------------------------------------------------------- sample


def _sample(work: Path, limit: int | None) -> Dataset:
    city_dir = work / "city"
    truth = generate_city(city_dir, records=limit or SAMPLE_RECORDS)
    labels = {rid: Labels(district=r.district, month=r.month, themes=tuple(r.themes),
                          sentiment=SENTIMENT_MAP[r.sentiment.value]) for rid, r in truth.records.items()}
    seeds = city_dir / "taxonomy.yaml"
    return Dataset(name="sample", truth="exact", inputs=[city_dir / "notes", city_dir / "comments"], labels=labels,
                   description=f"synthetic city, {truth.records_total} records, seed {truth.seed} (exact truth)",
                   city=truth, city_dir=city_dir, seeds_file=seeds if seeds.is_file() else None)


# --------------------------------------------------------------------------------------- bowling green


def _topics(raw: str) -> tuple[list[str], set[str]]:
    """`Topic:Subtopic;Topic:Other` -> (topics in order, distinct), all topic and subtopic names."""
    topics: dict[str, None] = {}
    names: set[str] = set()
    for part in raw.split(";"):
        topic, _, sub = part.strip().partition(":")
        if topic.strip():
            topics.setdefault(topic.strip(), None)
            names.add(topic.strip())
        if sub.strip():
            names.add(sub.strip())
    return list(topics), names


_COUNT_SUFFIX = re.compile(r"\s*\(\d+ statements?\)\s*$")


def _title_name(title: str) -> str:
    """'#### Traffic Flow (37 statements)' -> 'Traffic Flow'; '### 1. Traffic Flow' -> 'Traffic Flow'."""
    name = _COUNT_SUFFIX.sub("", title.lstrip("#").strip())
    return re.sub(r"^\d+\.\s*", "", name).strip()


def _sensemaker_report(path: Path, texts: dict[str, str], themes: dict[str, set[str]]) -> PeerReport:
    known = set().union(*themes.values()) if themes else set()
    sections: list[PeerSection] = []
    stack: list[str] = []
    with path.open(encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=1):
            try:
                depth = int(row["depth"])
            except (KeyError, TypeError, ValueError) as e:
                raise DatasetError(f"{path}: row {n}: field 'depth': expected an integer") from e
            stack = stack[:depth] + [row.get("title") or ""]
            cited = tuple(f"bg-{c.strip()}" for c in (row.get("citation_comment_ids") or "").split(";") if c.strip())
            names = [_title_name(t) for t in reversed(stack)]
            theme = next((nm for nm in names if nm in known), None)
            sections.append(PeerSection(titles=tuple(stack), text=(row.get("text") or "").strip(), cited=cited,
                                        theme=theme))
    return PeerReport(name="Sensemaker", sections=sections, record_texts=texts, record_themes=themes)


def _bowling_green(work: Path, limit: int | None) -> Dataset:
    src = shared_file(*BOWLING_GREEN)
    labels: dict[str, Labels] = {}
    rows: list[dict[str, str]] = []
    texts: dict[str, str] = {}
    all_names: dict[str, set[str]] = {}
    with src.open(encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), start=1):
            rid = f"bg-{(row.get('comment_id') or '').strip()}"
            text = (row.get("text") or "").strip()
            if rid == "bg-" or not text:
                raise DatasetError(f"{src}: row {n}: field 'comment_id'/'text': empty")
            try:
                date = dt.datetime.fromtimestamp(int(row["timestamp"]) / 1000, dt.UTC).date()
            except (KeyError, TypeError, ValueError) as e:
                raise DatasetError(f"{src}: row {n}: field 'timestamp': expected epoch milliseconds") from e
            topics, names = _topics(row.get("topics") or "")
            primary = (row.get("primary_topic") or "").strip()
            if primary in topics:  # the primary topic first: it is the record's main theme
                topics = [primary] + [t for t in topics if t != primary]
            texts[rid] = text
            all_names[rid] = names
            if limit is None or len(rows) < limit:
                rows.append({"id": rid, "kind": "comment", "text": text, "district": "Bowling Green",
                             "date": date.isoformat()})
                labels[rid] = Labels(district="Bowling Green", month=month_of(date), themes=tuple(topics))
    path = work / "bowling_green.csv"
    _write_import_csv(path, rows)
    peer = _sensemaker_report(shared_file(*BOWLING_GREEN_REPORT), texts, all_names)
    return Dataset(name="bowling-green", truth="silver", inputs=[path], labels=labels, peer=peer,
                   description=f"Bowling Green Polis statements ({len(rows)} of {len(texts)}), Sensemaker topics "
                               "(silver: LLM labels)")


# ------------------------------------------------------------------------------------------------- nhs


def _nhs(work: Path, limit: int | None) -> Dataset:
    """The NHS test bucket that the shipped sentiment model never saw (evals.nhs_sentiment.nhs_test_slice: stray
    criticality values rejected, labels mapped, duplicates resolved). Theme = the human category."""
    examples = nhs_test_slice(shared_file(*NHS))
    if limit is not None:
        examples = examples[:limit]
    rows, labels = [], {}
    for ex in examples:
        rid = "nhs-" + hashlib.sha256(ex.key.encode("utf-8")).hexdigest()[:12]
        rows.append({"id": rid, "kind": "comment", "text": ex.text, "district": "", "date": ""})
        labels[rid] = Labels(district=None, month=None, themes=(ex.group,), sentiment=ex.label)
    path = work / "nhs.csv"
    _write_import_csv(path, rows)
    return Dataset(name="nhs", truth="human", inputs=[path], labels=labels,
                   description=f"NHS patient feedback, held-out test bucket ({len(rows)} answers; human labels)",
                   notes=["no dates: summaries, citations and counts per month are not scored"])


# ------------------------------------------------------------------------------------- civic sentiment


def _civic_sentiment(work: Path, limit: int | None) -> Dataset:
    """Polis statements labelled by hand (evals/civic_sentiment.py, GUIDE.md beside the labels); the
    conversation is the district. Sentiment only: no theme labels."""
    statements = load_civic_statements()
    if limit is not None:
        statements = statements[:limit]
    rows, labels = [], {}
    for st in statements:
        rows.append({"id": st.record_id, "kind": "comment", "text": st.text, "district": st.conversation,
                     "date": st.date.isoformat()})
        labels[st.record_id] = Labels(district=st.conversation, month=month_of(st.date), sentiment=st.label)
    path = work / "civic_sentiment.csv"
    _write_import_csv(path, rows)
    return Dataset(name="civic-sentiment", truth="human", inputs=[path], labels=labels,
                   description=f"Polis statements with hand-labelled sentiment ({len(rows)} statements, "
                               f"{len({st.conversation for st in statements})} conversations)")


# ------------------------------------------------------------------------------------------------- csv


def _csv(src: Path, work: Path, limit: int | None) -> Dataset:
    """A CSV in the import format; `themes` and `sentiment` columns are labels and are not ingested."""
    try:
        with src.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            headers = list(reader.fieldnames or [])
            raw_rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DatasetError(f"{src}: cannot read the CSV: {e}") from e
    by_field = {ALIASES.get(normalize_header(h), normalize_header(h)): h for h in headers}
    theme_col, sent_col = (next((h for h in headers if normalize_header(h) == name), None)
                           for name in ("themes", "sentiment"))
    if "text" not in by_field:
        raise DatasetError(f"{src}: no text column (headers: {', '.join(headers) or 'none'})")
    id_col = by_field.get("id")
    keep = [h for h in headers if h not in (theme_col, sent_col)]
    columns = keep if id_col else ["id", *keep]
    rows: list[dict[str, str]] = []
    labels: dict[str, Labels] = {}
    for n, row in enumerate(raw_rows, start=1):
        if limit is not None and len(rows) >= limit:
            break
        rid = (row.get(id_col) or "").strip() if id_col else f"row-{n}"
        if not rid:
            raise DatasetError(f"{src}: row {n}: field {id_col!r}: empty id")
        sentiment = None
        if sent_col and (raw := (row.get(sent_col) or "").strip()):
            if raw.lower() not in SENTIMENT_MAP:
                raise DatasetError(f"{src}: row {n}: field {sent_col!r}: unknown sentiment {raw!r}; expected one of "
                                   f"{', '.join(SENTIMENT_MAP)} (or empty)")
            sentiment = SENTIMENT_MAP[raw.lower()]
        themes = tuple(t.strip() for t in (row.get(theme_col) or "").split(";") if t.strip()) if theme_col else ()
        district = (row.get(by_field["district"]) or "").strip() or None if "district" in by_field else None
        month = None
        if "date" in by_field and (d := (row.get(by_field["date"]) or "").strip()):
            month = d[:7] if re.match(r"\d{4}-\d{2}", d) else None
        out = {h: row.get(h) or "" for h in keep}
        if not id_col:
            out["id"] = rid
        rows.append(out)
        labels[rid] = Labels(district=district, month=month, themes=themes, sentiment=sentiment)
    if not rows:
        raise DatasetError(f"{src}: no data rows")
    path = work / src.name
    _write_import_csv(path, rows, columns)
    return Dataset(name=src.stem, truth="labelled", inputs=[path], labels=labels,
                   description=f"{src} ({len(rows)} records)")
