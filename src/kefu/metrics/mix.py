"""Like-with-like references: indirect standardisation of conversion and 客单价 over strata.

An agent's **expected** figure is what the team would achieve on the agent's own mix: the
sum, over the strata the agent's buyers fall in (product × hour band), of the agent's
buyers in the stratum times the team's rate in that stratum. A stratum where the team has
fewer than `min_stratum` buyers is too thin to give a rate: its buyers take the team's rate
of the coarser stratum (the product over all hours, then the hour band over all products,
then the whole team), the first that has `min_stratum` buyers. observed ÷ expected above 1
means better than the team on the same mix. The team includes the agent (as in
standardised mortality ratios): with one agent, expected = observed.

Strata come from the metric step `agent_strata` (kpi.sql): for conversion the product
asked about (from the buyers' own words, never from the outcome) × the hour band of the
first inquiry, counting inquiring buyers (n) and paying buyers (k); for 客单价 the product
the credited orders led to × hour band, counting paying buyers (n) and sales in fen (k).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Measure = Literal["conversion", "spend"]
MEASURES: tuple[Measure, ...] = ("conversion", "spend")
BANDS = ("night", "day", "evening")  # 00–08, 08–18, 18–24 (the hour of the first inquiry)
ANY = "*"  # a level pooled over products or bands
MIN_STRATUM = 20  # the default thin-stratum threshold (diagnosis.min_stratum; pay uses it as is)
Level = Literal["stratum", "product", "band", "pooled"]


@dataclass(frozen=True)
class Stratum:
    """One agent-month's buyers in one stratum: n buyers, k the count or fen they gave."""

    agent_id: str
    measure: Measure
    product: str  # '' = not known (no product asked about / no order lines): a stratum too
    band: str
    n: int
    k: int


@dataclass(frozen=True)
class Cell:
    """One stratum of an agent's mix: their buyers, the team's rate used and where it came from."""

    product: str
    band: str
    n: int  # the agent's buyers in the stratum
    k: int  # what they gave (paying buyers, or fen)
    team_n: int  # the team's buyers at the level used
    team_k: int
    level: Level  # the level whose rate was used (stratum, or a coarser one)

    @property
    def expected(self) -> Fraction:
        return Fraction(self.n * self.team_k, self.team_n) if self.team_n else Fraction(0)


@dataclass(frozen=True)
class Expected:
    """An agent's observed and expected total for one measure, with the cells behind it."""

    measure: Measure
    n: int  # the agent's buyers (inquiring, or paying)
    observed: int  # paying buyers, or sales in fen
    expected: Fraction
    cells: tuple[Cell, ...]

    @property
    def ratio(self) -> Fraction | None:
        """observed ÷ expected; None when nothing was expected."""
        return Fraction(self.observed) / self.expected if self.expected else None

    @property
    def expected_rate(self) -> Fraction | None:
        """The team's rate on the agent's mix: expected ÷ n (the mix-adjusted reference)."""
        return self.expected / self.n if self.n else None

    @property
    def informative(self) -> bool:
        """Whether any stratum finer than the pooled team was used: else the mix changes nothing."""
        return any(c.level != "pooled" for c in self.cells)


def expected(
    strata: Sequence[Stratum], agent_id: str, measure: Measure, min_stratum: int
) -> Expected:
    """The agent's expected total on their own mix of strata, falling back where thin."""
    team = [s for s in strata if s.measure == measure]
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for s in team:
        for key in ((s.product, s.band), (s.product, ANY), (ANY, s.band), (ANY, ANY)):
            sums[key][0] += s.n
            sums[key][1] += s.k
    mine: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for s in team:
        if s.agent_id == agent_id:
            mine[(s.product, s.band)][0] += s.n
            mine[(s.product, s.band)][1] += s.k
    cells = []
    for (product, band), (n, k) in sorted(mine.items()):
        for level, key in _levels(product, band):
            tn, tk = sums.get(key, (0, 0))
            if tn >= min_stratum or level == "pooled":
                cells.append(Cell(product, band, n, k, tn, tk, level))
                break
    total = sum((c.expected for c in cells), Fraction(0))
    return Expected(measure, sum(c.n for c in cells), sum(c.k for c in cells), total, tuple(cells))


def _levels(product: str, band: str) -> Iterable[tuple[Level, tuple[str, str]]]:
    # an unknown product ('') is a value like any other: buyers who named no product are
    # compared with the team's buyers who named none (they may be less decided)
    yield "stratum", (product, band)
    yield "product", (product, ANY)
    yield "band", (ANY, band)
    yield "pooled", (ANY, ANY)
