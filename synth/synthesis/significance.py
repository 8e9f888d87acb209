"""Whether a theme's share of records changed: a two-sided test on two proportions.

The pooled two-proportion z-test when all four expected cell counts under the null are at least
``min_expected``, Fisher's exact test (scipy, two-sided) when any is smaller. Used by the fact sheets
(synth/synthesis/facts.py) and by the trend answers of `synth ask`, so both call a change significant alike.
"""

from __future__ import annotations

import math
from fractions import Fraction


def two_proportion_p_value(m1: int, n1: int, m0: int, n0: int, *, min_expected: int = 5) -> float:
    """Two-sided p-value for "m1 of n1" vs "m0 of n0": pooled z-test, or Fisher's exact test when an
    expected cell count under the null is below ``min_expected``."""
    from scipy import stats  # imported here: it costs a second, and most callers never test a change

    if not (0 <= m1 <= n1 and 0 <= m0 <= n0 and n1 > 0 and n0 > 0):
        raise ValueError("need 0 <= m <= n and n > 0 for both samples")
    pooled = Fraction(m1 + m0, n1 + n0)
    expected = (n1 * pooled, n1 * (1 - pooled), n0 * pooled, n0 * (1 - pooled))
    if min(expected) < min_expected:
        _, p = stats.fisher_exact([[m1, n1 - m1], [m0, n0 - m0]], alternative="two-sided")
        return min(1.0, float(p))
    p_pool = float(pooled)
    se = math.sqrt(p_pool * (1 - p_pool) * (1 / n1 + 1 / n0))
    z = float(Fraction(m1, n1) - Fraction(m0, n0)) / se
    return min(1.0, float(2 * stats.norm.sf(abs(z))))
