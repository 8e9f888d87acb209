"""Real public feedback in, the way UK public-service exports arrive: day-first dates, ids with spaces, no
dates at all. The comments are NHS England's patient feedback (pxtextmining, MIT; ../shared/data/nhs_phase1),
used as they are; the export around them (ids, day-first dates) is written here, since the public file has no
dates."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from synth.ingest import IngestOptions
from synth.synthesis.annotate import OfflineAnnotator
from synth.synthesis.pipeline import Synthesizer
from synth.synthesis.themes import DiscoveryConfig
from vectorstore.embeddings import HashingEmbedder

from .paths import SHARED_DATA
from .test_synthesis import KeywordSentiment

NHS = SHARED_DATA / "nhs_phase1" / "text_data.csv"
pytestmark = [pytest.mark.skipif(not NHS.exists(), reason="needs ../shared/data/nhs_phase1"),
              pytest.mark.parametrize("store_backend", ["embedded"])]


def nhs_rows(every: int) -> list[dict[str, str]]:
    with NHS.open(encoding="utf-8", newline="") as f:
        return [r for i, r in enumerate(csv.DictReader(f)) if i % every == 0]


def day_first(n: int) -> dt.date:
    """A spread of 2021 dates, about half of them readable both ways (day <= 12)."""
    return dt.date(2021, n % 12 + 1, n % 28 + 1)


def test_a_day_first_export_with_spaced_ids_is_accepted_with_the_right_dates(services: Any, tmp_path: Path) -> None:
    rows = nhs_rows(every=20)
    path = tmp_path / "uk_export.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Comment ID", "Organisation", "Date", "Comment"])
        for r in rows:  # ids like "Trust A - Q1 - 17": spaces, as a trust's export has them
            w.writerow([f"{r['question']} - {r['row_index']}", r["organization"],
                        day_first(int(r["row_index"])).strftime("%d/%m/%Y"), r["feedback"]])
    report = services.ingestor.ingest([path], IngestOptions(mapping={"Organisation": "district"}))
    with_text = [r for r in rows if r["feedback"].strip()]
    both_ways = [r for r in with_text if (d := day_first(int(r["row_index"]))).day <= 12 and d.day != d.month]
    assert (report.read, report.accepted, report.conflicts) == (len(rows), len(with_text), 0)
    assert report.rejected == len(rows) - len(with_text)
    assert report.ambiguous_dates == len(both_ways) > 100 and "day-first" in report.notices[0]
    stored = {r.id: r.date for r in services.records.iter_records()}
    assert stored == {f"{r['question']} - {r['row_index']}": day_first(int(r["row_index"])) for r in with_text}


def test_an_undated_export_is_summarised_for_all_dates(services: Any, tmp_path: Path) -> None:
    rows = [r for r in nhs_rows(every=40) if r["feedback"].strip()]
    path = tmp_path / "nhs_undated.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row_index", "organization", "feedback"])
        w.writerows([r["row_index"], r["organization"], r["feedback"]] for r in rows)
    options = IngestOptions(mapping={"row_index": "id", "organization": "district"})
    assert services.ingestor.ingest([path], options).accepted == len(rows)
    synth = Synthesizer(services.records, OfflineAnnotator(HashingEmbedder(), KeywordSentiment()),
                        config=DiscoveryConfig(merge_distance=0.6, assign_threshold=0.3, min_theme_spans=3))
    synth.refresh()
    summaries = {s.district: s for s in synth.summarize()}
    assert {s.period for s in summaries.values()} == {"all"}
    assert summaries["City-wide"].counts.records == len(rows)
    assert {d: summaries[d].counts.records for d in ("Trust A", "Trust B", "Trust C")} == \
        {t: sum(r["organization"] == t for r in rows) for t in ("Trust A", "Trust B", "Trust C")}
