"""95 % intervals: Wilson for a conversion, Student-t for a spend per buyer, and the pair test.

Every verdict states how sure it is; these are the only places where that is computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

CONFIDENCE = 0.95
Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile

# Two-sided 95 % quantiles of Student's t by degrees of freedom; between rows the row below
# (fewer degrees of freedom, a wider interval) is used, so an interval is never too narrow.
_T95: tuple[tuple[int, float], ...] = (
    (1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (6, 2.447), (7, 2.365),
    (8, 2.306), (9, 2.262), (10, 2.228), (11, 2.201), (12, 2.179), (13, 2.160), (14, 2.145),
    (15, 2.131), (16, 2.120), (17, 2.110), (18, 2.101), (19, 2.093), (20, 2.086), (21, 2.080),
    (22, 2.074), (23, 2.069), (24, 2.064), (25, 2.060), (26, 2.056), (27, 2.052), (28, 2.048),
    (29, 2.045), (30, 2.042), (40, 2.021), (60, 2.000), (120, 1.980), (1000, 1.962),
)  # fmt: skip


def t95(df: int) -> float:
    """Two-sided 95 % Student-t quantile, rounded towards the wider interval."""
    if df < 1:
        raise ValueError("a t interval needs at least one degree of freedom")
    best = _T95[0][1]
    for d, q in _T95:
        if d <= df:
            best = q
    return best


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, x: float | Fraction) -> bool:
        return self.low <= x <= self.high

    def side(self, reference: float | Fraction) -> Literal["high", "low", "borderline"]:
        """Where the whole interval lies against a reference; borderline when it contains it."""
        if self.low > reference:
            return "high"
        if self.high < reference:
            return "low"
        return "borderline"

    def as_list(self) -> list[float]:
        return [self.low, self.high]


def wilson(successes: int, trials: int, z: float = Z95) -> Interval | None:
    """Wilson score interval of successes / trials; None without trials."""
    if trials <= 0:
        return None
    n = trials
    p = min(max(successes / n, 0.0), 1.0)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


SpendMethod = Literal["sales_sq", "assumed_cv"]


@dataclass(frozen=True)
class SpendInterval(Interval):
    method: SpendMethod
    sd_fen: float  # standard deviation of spend per buyer used (measured or assumed)


def spend_interval(
    sales_fen: int, paying_buyers: int, sales_sq_fen: int | None, assumed_cv: Fraction
) -> SpendInterval | None:
    """95 % interval of the mean spend per paying buyer (avg_spend_fen), in fen.

    With `sales_sq_fen` (Σ over paying buyers of their credited spend squared) the sample
    standard deviation is measured; without it the shop's assumed coefficient of variation
    stands in (sd = cv × mean). Student-t with n − 1 degrees of freedom; None below 2 buyers.
    """
    n = paying_buyers
    if n < 2:
        return None
    mean = sales_fen / n
    if sales_sq_fen is not None:
        var = max(0.0, (sales_sq_fen - n * mean * mean) / (n - 1))
        sd = math.sqrt(var)
        method: SpendMethod = "sales_sq"
    else:
        sd = float(assumed_cv) * abs(mean)
        method = "assumed_cv"
    half = t95(n - 1) * sd / math.sqrt(n)
    return SpendInterval(max(0.0, mean - half), mean + half, method, sd)


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """z statistic of x1/n1 − x2/n2 with the pooled proportion; None when undefined."""
    if n1 <= 0 or n2 <= 0:
        return None
    p = (x1 + x2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    return (x1 / n1 - x2 / n2) / se
