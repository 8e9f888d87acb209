"""What a reader sees: the one place that turns a number into text.

Tables, narratives, the grounding check and ask answers all format through these functions, so two views
of one number never disagree.

* a **count** is a whole number as is: ``count(40) == "40"``, ``count(1, "record") == "1 record"``;
* a **share** is a whole percentage rounded half up from the exact value: ``share(Fraction(2, 3)) == "67%"``,
  ``percent(5, 8) == "63%"``; a stored share (a 4-decimal float) is read as the decimal it prints as;
* a **change** is in percentage points, the difference of the two *displayed* percentages
  (`change_points`), so "from 34% to 30%, down 4 points" always adds up: the table's "-4 pts" and the
  narrative's "down 4 points" come from the same call;
* a **score** (net sentiment) has two decimals and a sign: ``signed(0.345) == "+0.35"``;
* a **period** is its `Period.label`: "November 2026", "September–November 2026", "all dates".
"""

from __future__ import annotations

import math
from fractions import Fraction

from synth.period import Period

Share = Fraction | float | int  # a fraction of a whole, 0..1


def round_half_up(x: Fraction, places: int = 0) -> Fraction:
    """Round half away from zero, exactly."""
    scale = Fraction(10) ** places
    n = math.floor(abs(x) * scale + Fraction(1, 2))
    return Fraction(n if x >= 0 else -n) / scale


def ratio(numerator: int, denominator: int) -> Fraction:
    """numerator / denominator exactly, 0 when the denominator is 0."""
    return Fraction(numerator, denominator) if denominator else Fraction(0)


def _exact(value: Share) -> Fraction:
    """A share as an exact fraction; a float is read as the decimal it prints as (0.1235 is 1235/10000)."""
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


# --- counts --------------------------------------------------------------------------------------------


def count(n: int, noun: str | None = None, plural: str | None = None) -> str:
    """ "40", or with a noun "1 record" / "40 records" (`plural` defaults to noun + "s")."""
    if noun is None:
        return str(n)
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


# --- shares --------------------------------------------------------------------------------------------


def percent_value(value: Share) -> int:
    """A share as a whole percentage, rounded half up: 0.125 -> 13."""
    return int(round_half_up(_exact(value) * 100))


def share(value: Share) -> str:
    """ "42%": a share as a whole percentage, rounded half up."""
    return f"{percent_value(value)}%"


def percent(numerator: int, denominator: int) -> str:
    """ "42%": numerator / denominator as a whole percentage, rounded half up ("0%" when empty)."""
    return share(ratio(numerator, denominator))


# --- changes -------------------------------------------------------------------------------------------


def change_points(current: Share, previous: Share) -> int:
    """The change between two shares in whole percentage points, as every view states it: the difference of
    the displayed percentages (never the rounded exact difference, which can be one point off)."""
    return percent_value(current) - percent_value(previous)


def signed_points(points: int) -> str:
    """ "+12", "-4", "+0": a change in points with its sign."""
    return f"{points:+d}"


def points(n: int) -> str:
    """ "12 points", unsigned: how a sentence states a change's size."""
    return f"{abs(n)} points"


def table_change(points_: int) -> str:
    """ "-4 pts": a change in a table cell."""
    return f"{signed_points(points_)} pts"


def change_words(points_: int) -> str:
    """ "up 12 points", "down 4 points", or "level": the change as a sentence says it."""
    if points_ == 0:
        return "level"
    return f"{'up' if points_ > 0 else 'down'} {points(points_)}"


def direction(points_: int) -> str:
    """ "up", "down" or "none"."""
    return "none" if points_ == 0 else "up" if points_ > 0 else "down"


# --- scores --------------------------------------------------------------------------------------------


def signed(value: float, places: int = 2) -> str:
    """ "+0.35": a score with its sign, rounded half up to `places` decimals."""
    return f"{float(round_half_up(_exact(value), places)):+.{places}f}"


# --- periods -------------------------------------------------------------------------------------------


def period_label(period: Period | str | None) -> str:
    """A period as a reader sees it; None is every record ("all dates")."""
    if period is None:
        return Period.ALL.label
    return (period if isinstance(period, Period) else Period.parse(period)).label
