"""The team rule: when every agent converts poorly for months, look at operations and the owner.

The article: "假如你店里所有的客服，连续几个月都是第三种和第四种情况，那么问题很可能出在运营和老板身上".
Against the team's own pooled value someone is always above, so this rule judges agents
against an absolute reference: the shop's targets where set, else the presale team pooled
over the `baseline_months` months before the months judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from kefu.diagnosis.quadrant import Reference, Verdict, judge_month, pooled_reference
from kefu.diagnosis.settings import DiagnosisSettings
from kefu.metrics.fields import exact, pool, round_half_up, value
from kefu.metrics.table import ShopMonth, shift_month

TeamStatus = Literal["operations", "agents", "no_reference"]


@dataclass(frozen=True)
class TeamMonth:
    """One month judged by the team rule: each presale agent against the absolute reference."""

    month: str
    verdicts: tuple[Verdict, ...]
    team_low_share: Fraction

    @property
    def with_verdict(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.verdict != "insufficient_data"]

    @property
    def low(self) -> list[Verdict]:
        return [v for v in self.with_verdict if v.conversion_low]

    @property
    def share(self) -> Fraction | None:
        n = len(self.with_verdict)
        return Fraction(len(self.low), n) if n else None

    @property
    def met(self) -> bool:
        return self.share is not None and self.share >= self.team_low_share

    def to_json(self) -> dict[str, object]:
        return {
            "month": self.month,
            "agents_with_verdict": len(self.with_verdict),
            "agents_low_conversion": len(self.low),
            "low_share": None if self.share is None else float(self.share),
            "low_agents": [v.agent_id for v in self.low],
            "met": self.met,
            "agents": [
                {
                    "agent_id": v.agent_id,
                    "verdict": v.verdict,
                    "conversion_rate": None if v.conversion is None else float(v.conversion),
                    "conversion_interval": (
                        None if v.conversion_interval is None else v.conversion_interval.as_list()
                    ),
                    "conversion_side": v.conversion_side,
                    "inquiring_buyers": v.inquiring_buyers,
                }
                for v in self.verdicts
            ],
        }


@dataclass(frozen=True)
class TrendPoint:
    month: str
    presale_agents: int
    inquiring_buyers: int
    conversion: Fraction | None
    avg_spend: Fraction | None
    net_sales_fen: int | None  # the presale team's credited net sales (None: not in the report)
    paid_net_sales_fen: int | None  # the shop's (None: a report month without orders)
    silent_share: Fraction | None

    def to_json(self) -> dict[str, object]:
        return {
            "month": self.month,
            "presale_agents": self.presale_agents,
            "inquiring_buyers": self.inquiring_buyers,
            "conversion_rate": None if self.conversion is None else float(self.conversion),
            "avg_spend_fen": None if self.avg_spend is None else round_half_up(self.avg_spend),
            "net_sales_fen": self.net_sales_fen,
            "paid_net_sales_fen": self.paid_net_sales_fen,
            "silent_share": None if self.silent_share is None else float(self.silent_share),
        }


@dataclass(frozen=True)
class TeamDiagnosis:
    status: TeamStatus  # operations: the rule holds; agents: it does not; no_reference
    reference: Reference | None
    window: tuple[TeamMonth, ...]
    trend: tuple[TrendPoint, ...]
    team_low_share: Fraction

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "reference": None if self.reference is None else self.reference.to_json(),
            "team_low_share": float(self.team_low_share),
            "window": [m.to_json() for m in self.window],
            "trend": [p.to_json() for p in self.trend],
        }


def trend_point(shop: ShopMonth) -> TrendPoint:
    team = shop.team
    return TrendPoint(
        month=shop.month,
        presale_agents=len(shop.presale),
        inquiring_buyers=team["inquiring_buyers"],
        conversion=exact(team, "conversion_rate"),
        avg_spend=exact(team, "avg_spend_fen"),
        net_sales_fen=None if value(team, "net_sales_fen") is None else team["net_sales_fen"],
        paid_net_sales_fen=(
            None if shop.source is not None and shop.paid_orders == 0 else shop.paid_net_sales_fen
        ),
        silent_share=shop.silent_share,
    )


def absolute_reference(
    months: Mapping[str, ShopMonth], month: str, settings: DiagnosisSettings
) -> Reference:
    """Targets where set, else the team pooled over the baseline months before the window."""
    first = shift_month(month, -(settings.screen_months - 1))
    baseline = [shift_month(first, -k) for k in range(settings.baseline_months, 0, -1)]
    used = tuple(m for m in baseline if m in months and months[m].team["inquiring_buyers"] > 0)
    team = pool(months[m].team for m in used)
    return pooled_reference(team, settings, used, source="baseline")


def diagnose_team(
    months: Mapping[str, ShopMonth], month: str, settings: DiagnosisSettings
) -> TeamDiagnosis:
    """The team rule for the `screen_months` months ending at `month`."""
    ref = absolute_reference(months, month, settings)
    # the trend starts at the first month with an inquiry (agents are listed before data starts)
    active = [m for m in sorted(months) if m <= month and months[m].team["inquiring_buyers"] > 0]
    trend = tuple(
        trend_point(months[m]) for m in sorted(months) if active and active[0] <= m <= month
    )
    if ref.conversion is None:
        return TeamDiagnosis("no_reference", None, (), trend, settings.team_low_share)
    window_months = [shift_month(month, -k) for k in range(settings.screen_months - 1, -1, -1)]
    window = tuple(
        TeamMonth(
            m,
            tuple(judge_month(months[m], settings, ref)) if m in months else (),
            settings.team_low_share,
        )
        for m in window_months
    )
    status: TeamStatus = "operations" if all(w.met for w in window) else "agents"
    return TeamDiagnosis(status, ref, window, trend, settings.team_low_share)
