"""`synth summarize` on real Polis conversations standing in for districts (../shared/data; skipped when absent):
each district is summarised for its own consultation, not as "0 records" for another's month, with quotes that
are complete statements from its own records, sentiment counted in records, worries and praise apart, no
meeting counts (Polis has no meetings), and the city as a whole.

Data gathered using the Polis software (compdemocracy.org/polis), sub-licensed under CC BY 4.0 with attribution
to The Computational Democracy Project.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synth.cli import app
from synth.synthesis.quote_quality import is_quotable
from tests.paths import SHARED_DATA

pytestmark = pytest.mark.slow

POLIS = SHARED_DATA / "polis"
TOWNS = {"Seattle": POLIS / "15-per-hour-seattle" / "comments.csv",  # June 2014, stragglers until 2018
         "London": POLIS / "london.youth.policing" / "comments.csv"}  # July 2022


@pytest.fixture
def store(cli_env: Path) -> CliRunner:
    if not all(p.is_file() for p in TOWNS.values()):
        pytest.skip("../shared/data is not beside the repository")
    runner = CliRunner()
    for district, path in TOWNS.items():
        result = runner.invoke(app, ["ingest", str(path), "--profile", "polis", "--district", district])
        assert result.exit_code == 0, result.stderr or result.stdout
    return runner


def run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, ["summarize", *args])
    assert result.exit_code == 0, result.stderr or result.stdout
    return result.stdout


def test_real_polis_conversations_summarised_as_districts(store: CliRunner) -> None:
    summaries = json.loads(run(store, "--format", "json"))
    by_district = {s["district"]: s for s in summaries}
    assert list(by_district) == ["London", "Seattle", "City-wide"]
    for name, path in TOWNS.items():
        s = by_district[name]
        assert s["period"] == "all" and "one-off consultation" in s["period_basis"], s["period_basis"]
        assert s["counts"]["records"] > 20 and s["counts"]["meetings"] == 0
        assert s["themes"] and set(s["worries"]) | set(s["highlights"]) == {t["id"] for t in s["themes"]}
        assert not set(s["worries"]) & set(s["highlights"])
        for t in s["themes"]:
            assert sum(t["sentiment"].values()) == t["mentions"]  # records, not sentences
            assert all(is_quotable(q["text"]) for q in t["quotes"])
            own = f"polis-{path.parent.name}-"  # record ids name their conversation: quotes are its own
            assert all(q["record_id"].startswith(own) for q in t["quotes"])
    city = by_district["City-wide"]
    assert city["counts"]["records"] == sum(by_district[n]["counts"]["records"] for n in TOWNS)
    assert set(city["leading_theme_by_district"]) == set(TOWNS)

    text = run(store, "--format", "text", "--district", "Seattle")
    assert text.startswith("Seattle, all dates: ") and "meeting" not in text.split("\n")[0]
    assert "  Worries:" in text and "  Praise:" in text
    assert any(line.startswith('      "') and line.endswith('"') for line in text.splitlines())  # quoted
    md = run(store, "--format", "md", "--city")
    assert md.startswith("## City-wide, all dates") and "### Leading theme by district" in md
    unknown = store.invoke(app, ["summarize", "--district", "Atlantis"])
    assert unknown.exit_code == 1 and "districts: London, Seattle" in unknown.stderr
