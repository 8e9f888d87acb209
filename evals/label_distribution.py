"""The label distribution of a labelled import-format CSV: records per theme and the sentiment shares.

    python -m evals.label_distribution evals/data/police_notes/dev.csv evals/data/police_notes/test.csv

Reads the raw `themes` and `sentiment` columns (the four-valued sentiment, `mixed` kept apart; the dataset
loader folds it into `neutral` for scoring).
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Distribution:
    records: int
    themes: Counter[str]  # records labelled with each theme
    sentiments: Counter[str]  # records per sentiment label ("" when unlabelled)
    unthemed: int  # records with no theme


def label_distribution(path: Path) -> Distribution:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    themes: Counter[str] = Counter()
    for row in rows:
        themes.update({t.strip() for t in (row.get("themes") or "").split(";") if t.strip()})
    sentiments = Counter((row.get("sentiment") or "").strip().lower() for row in rows)
    unthemed = sum(1 for row in rows if not (row.get("themes") or "").strip())
    return Distribution(records=len(rows), themes=themes, sentiments=sentiments, unthemed=unthemed)


def render(path: Path, dist: Distribution) -> str:
    lines = [f"{path}: {dist.records} records, {dist.unthemed} without a theme", "records per theme:"]
    lines += [f"  {name:<28}{count:>5}  {count / dist.records:6.1%}" for name, count in dist.themes.most_common()]
    lines.append("sentiment shares:")
    lines += [f"  {name or '(none)':<28}{count:>5}  {count / dist.records:6.1%}"
              for name, count in dist.sentiments.most_common()]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    print("\n\n".join(render(Path(p), label_distribution(Path(p))) for p in argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
