"""A summary as a coordinator reads it: `synth summarize --format text` and `--format md`.

Both views show the same things in the same order, from the summary document alone (summary.py): the
scope and period (and, when the period was chosen by default, which and why), the counts (meetings only when
the data has meetings, residents reached only when they carry attendance counts), the narrative, then
**worries** and **praise** apart, each theme with its records, share, change stated with its significance
("up 9 points, within normal variation"), its records' sentiment and up to `QUOTES_SHOWN` resident quotes in
quotation marks; the city-wide view adds each district's leading theme. Every number is formatted by synth/readout.py.
"""

from __future__ import annotations

from synth import readout
from synth.synthesis.display import change_verdict, theme_points
from synth.synthesis.summary import Summary, ThemeSummary

_NONE = {"Worries": "no theme was raised.", "Praise": "no theme had mostly positive records."}
QUOTES_SHOWN = 2
WORRIES_SHOWN = 10
PRAISE_SHOWN = 5


def table_change(t: ThemeSummary, records: int) -> str:
    """The change cell of a theme's table row: "-4 pts, a significant fall", the points the narrative states."""
    points = theme_points(t.mentions, records, t.change)
    if points is None or t.change is None:
        return ""
    return f"{readout.table_change(points)}, {change_verdict(t.change)}"


def _sentiment(t: ThemeSummary) -> str:
    n = readout.count
    return (f"{n(t.sentiment.get('positive', 0))} positive, {n(t.sentiment.get('neutral', 0))} neutral, "
            f"{n(t.sentiment.get('negative', 0))} negative")


def _quoted(t: ThemeSummary) -> list[str]:
    return [f'"{q.text}"' for q in t.quotes[:QUOTES_SHOWN]]


def _sections(s: Summary) -> list[tuple[str, list[ThemeSummary]]]:
    worries = [t for t in s.themes if t.tone != "praise"][:WORRIES_SHOWN]
    praise = [t for t in s.themes if t.tone == "praise"][:PRAISE_SHOWN]
    return [("Worries", worries), ("Praise", praise)]


def _counts(s: Summary) -> str:
    c, n = s.counts, readout.count
    text = n(c.records, "record")
    if c.meetings:  # no meetings (a survey, a Polis conversation): no meeting counts at all
        text += f" from {n(c.meetings, 'meeting')}"
        if c.residents_reached:  # meetings without attendance counts reach no one we can count
            text += f" ({n(c.residents_reached, 'resident')} reached)"
    return text


def _leading(s: Summary) -> list[tuple[str, str]]:
    labels = {t.id: t.label for t in s.themes}
    return [(d, labels.get(tid, tid)) for d, tid in s.leading_theme_by_district.items()]


def _theme_line(t: ThemeSummary, records: int) -> str:
    n = readout.count
    line = f"{t.label}: {n(t.mentions, 'record')} ({readout.percent(t.mentions, records)})"
    if t.change_words:
        line += f", {t.change_words}"
    if t.status == "new":
        line += ", new this period"
    return f"{line}; {_sentiment(t)}"


def to_text(s: Summary) -> str:
    out = [f"{s.district}, {readout.period_label(s.period)}: {_counts(s)}"]
    if s.period_basis:
        out.append(f"  Period: {s.period_basis}")
    out.append(f"  {s.narrative}")
    for title, themes in _sections(s):
        out.append(f"  {title}:" if themes else f"  {title}: {_NONE[title]}")
        for t in themes:
            out.append(f"  - {_theme_line(t, s.counts.records)}")
            out += [f"      {q}" for q in _quoted(t)]
    if leading := _leading(s):
        out.append("  Leading theme by district: " + "; ".join(f"{d}: {label}" for d, label in leading))
    return "\n".join(out) + "\n"


def to_markdown(s: Summary) -> str:
    n, records = readout.count, s.counts.records
    lines = [f"## {s.district}, {readout.period_label(s.period)}", "", f"{_counts(s)}."]
    if s.period_basis:
        lines += ["", f"Period: {s.period_basis}."]
    lines += ["", s.narrative]
    for title, themes in _sections(s):
        lines += ["", f"### {title}", ""]
        if not themes:
            lines.append(_NONE[title].capitalize())
            continue
        lines += ["| theme | records | share | change | sentiment (+/=/-) |", "|---|---:|---:|---|---|"]
        for t in themes:
            lines.append(f"| {t.label} | {n(t.mentions)} | {readout.percent(t.mentions, records)} | "
                         f"{table_change(t, records)} | {n(t.sentiment.get('positive', 0))}/"
                         f"{n(t.sentiment.get('neutral', 0))}/{n(t.sentiment.get('negative', 0))} |")
        quoted = [(t.label, _quoted(t)) for t in themes if t.quotes]
        if quoted:
            lines += ["", "What residents said:", ""]
            lines += [f"- **{label}**: " + " / ".join(qs) for label, qs in quoted]
    if leading := _leading(s):
        lines += ["", "### Leading theme by district", "", "| district | theme |", "|---|---|"]
        lines += [f"| {d} | {label} |" for d, label in leading]
    return "\n".join(lines) + "\n"
