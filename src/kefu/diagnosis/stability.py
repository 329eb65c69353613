"""Question 2: steady agents, who move with the shop, and erratic ones, who swing on their own.

The article: two agents with similar yearly results, one "相对稳定 … 更符合公司整体成绩波动",
the other "总是暴涨暴跌，忽高忽低". Over the latest `stability_months` months each presale
agent's monthly net sales are set against the shop's: the correlation, the beta (how many %
the agent moves when the shop moves 1 %), the variation of their share of shop sales, and —
what classifies — the swings the shop does not explain: the residual of the agent's relative
deviation from their mean regressed on the shop's.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from kefu.diagnosis.settings import DiagnosisSettings
from kefu.metrics.fields import available
from kefu.metrics.table import ShopMonth, shift_month

StabilityClass = Literal["steady", "erratic", "insufficient_data"]
Reason = Literal[
    "moves_with_shop",  # steady, and correlated with the shop
    "steady_on_own",  # steady, but the shop's swings do not show in their sales
    "unexplained_swings",  # erratic
    "too_few_months",
]


@dataclass(frozen=True)
class StabilityMonth:
    month: str
    agent_net_sales_fen: int
    shop_net_sales_fen: int
    residual: float  # the agent's deviation from what the shop's month predicts, of their mean
    breaks: bool  # |residual| above break_deviation

    @property
    def share(self) -> float:
        return self.agent_net_sales_fen / self.shop_net_sales_fen

    def to_json(self) -> dict[str, object]:
        return {
            "month": self.month,
            "net_sales_fen": self.agent_net_sales_fen,
            "shop_net_sales_fen": self.shop_net_sales_fen,
            "share": self.share,
            "residual": self.residual,
            "breaks_pattern": self.breaks,
        }


@dataclass(frozen=True)
class Stability:
    agent_id: str
    name: str
    cls: StabilityClass
    reason: Reason
    months: tuple[StabilityMonth, ...]
    correlation: float | None
    beta: float | None
    share_median: float | None
    share_cv: float | None
    unexplained_cv: float | None
    shop_cv: float | None

    def to_json(self) -> dict[str, object]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "class": self.cls,
            "reason": self.reason,
            "evidence": {
                "months_used": len(self.months),
                "correlation": self.correlation,
                "beta": self.beta,
                "share_median": self.share_median,
                "share_cv": self.share_cv,
                "unexplained_cv": self.unexplained_cv,
                "shop_cv": self.shop_cv,
                "breaking_months": [m.month for m in self.months if m.breaks],
                "months": [m.to_json() for m in self.months],
            },
        }


def _cv(xs: list[float]) -> float | None:
    """Coefficient of variation (sample standard deviation / mean)."""
    mean = statistics.fmean(xs)
    if len(xs) < 2 or mean == 0:
        return None
    return statistics.stdev(xs) / abs(mean)


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def _deviations(xs: list[float]) -> list[float] | None:
    """Each value's relative deviation from the mean; None when the mean is not positive."""
    if not xs:
        return None
    mean = statistics.fmean(xs)
    if mean <= 0:
        return None
    return [x / mean - 1 for x in xs]


def classify(
    agent_id: str, name: str, months: list[tuple[str, int, int]], settings: DiagnosisSettings
) -> Stability:
    """months: (month, the agent's net sales, the shop's net sales), oldest first."""
    usable = [(m, a, s) for m, a, s in months if s > 0]
    shop = [float(s) for _, _, s in usable]
    agent = [float(a) for _, a, _ in usable]
    u, v = _deviations(shop), _deviations(agent)
    if len(usable) < settings.stability_min_months or u is None or v is None:
        rows = tuple(StabilityMonth(m, a, s, 0.0, False) for m, a, s in usable)
        return Stability(agent_id, name, "insufficient_data", "too_few_months", rows,
                         None, None, None, None, None, None)  # fmt: skip
    suu = sum(x * x for x in u)
    beta = sum(x * y for x, y in zip(u, v, strict=True)) / suu if suu else 0.0
    residuals = [y - beta * x for x, y in zip(u, v, strict=True)]
    unexplained = math.sqrt(sum(e * e for e in residuals) / (len(residuals) - 2))
    dev = float(settings.break_deviation)
    rows = tuple(
        StabilityMonth(m, a, s, e, abs(e) > dev)
        for (m, a, s), e in zip(usable, residuals, strict=True)
    )
    shares = [a / s for a, s in zip(agent, shop, strict=True)]
    corr = _correlation(shop, agent)
    reason: Reason
    if unexplained > float(settings.steady_max_unexplained_cv):
        cls: StabilityClass = "erratic"
        reason = "unexplained_swings"
    elif corr is not None and corr >= float(settings.moves_with_shop_correlation):
        cls, reason = "steady", "moves_with_shop"
    else:
        cls, reason = "steady", "steady_on_own"
    return Stability(
        agent_id, name, cls, reason, rows, corr, beta if suu else None,
        statistics.median(shares), _cv(shares), unexplained, _cv(shop),
    )  # fmt: skip


def stability(
    months: Mapping[str, ShopMonth], month: str, settings: DiagnosisSettings
) -> list[Stability]:
    """Every presale agent of `month`, over the latest `stability_months` months.

    A month counts for an agent when they had at least `min_inquiries` inquiring buyers in
    it (a thin month's share says more about the days worked than about the agent).
    """
    window = [shift_month(month, -k) for k in range(settings.stability_months - 1, -1, -1)]
    current = months.get(month)
    if current is None:
        return []
    out = []
    for agent in sorted(current.presale, key=lambda a: a.agent_id):
        rows: list[tuple[str, int, int]] = []
        for m in window:
            shop = months.get(m)
            a = shop.agent(agent.agent_id) if shop is not None else None
            if shop is None or a is None or a.parts["inquiring_buyers"] < settings.min_inquiries:
                continue
            if not available(a.parts, "net_sales_fen"):  # a report without net sales
                continue
            rows.append((m, a.parts["net_sales_fen"], shop.paid_net_sales_fen))
        out.append(classify(agent.agent_id, agent.name, rows, settings))
    return out
