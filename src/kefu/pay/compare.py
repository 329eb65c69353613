"""What-if: what several plans would have paid each agent over a span of months, and the cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from kefu.metrics.table import KpiSource, month_range
from kefu.pay.compute import months_needed, pay_month
from kefu.pay.plan import Plan


@dataclass(frozen=True)
class AgentRow:
    agent_id: str
    name: str
    totals: tuple[int, ...]  # per plan, in fen

    @property
    def deltas(self) -> tuple[int, ...]:
        """Each plan's total less the first plan's."""
        return tuple(x - self.totals[0] for x in self.totals)


@dataclass(frozen=True)
class Comparison:
    shop_id: str
    months: tuple[str, ...]
    plans: tuple[str, ...]
    agents: tuple[AgentRow, ...]
    totals: tuple[int, ...]
    net_sales_fen: int

    def shares(self) -> tuple[Fraction | None, ...]:
        if self.net_sales_fen <= 0:
            return tuple(None for _ in self.plans)
        return tuple(Fraction(x, self.net_sales_fen) for x in self.totals)

    def to_json(self) -> dict[str, Any]:
        return {
            "shop_id": self.shop_id,
            "from": self.months[0],
            "to": self.months[-1],
            "plans": list(self.plans),
            "agents": [
                {
                    "agent_id": a.agent_id,
                    "name": a.name,
                    "total_fen": dict(zip(self.plans, a.totals, strict=True)),
                    "difference_fen": dict(zip(self.plans[1:], a.deltas[1:], strict=True)),
                }
                for a in self.agents
            ],
            "total_fen": dict(zip(self.plans, self.totals, strict=True)),
            "difference_fen": dict(
                zip(self.plans[1:], (x - self.totals[0] for x in self.totals[1:]), strict=True)
            ),
            "net_sales_fen": self.net_sales_fen,
            "payroll_share_of_net_sales": {
                p: None if s is None else float(s)
                for p, s in zip(self.plans, self.shares(), strict=True)
            },
        }


def compare(
    plans: Sequence[Plan], shop_id: str, start: str, end: str, source: KpiSource
) -> Comparison:
    """Pay every month from start to end under each plan (no clawback: no run is involved)."""
    months = month_range(start, end)
    need = sorted({m for p in plans for month in months for m in months_needed(p, month)})
    data = source.shop_months(shop_id, need)
    totals: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    plan_totals = [0] * len(plans)
    for i, plan in enumerate(plans):
        for month in months:
            pay = pay_month(plan, shop_id, month, data)
            plan_totals[i] += pay.total_fen
            for a in pay.agents:
                names.setdefault(a.agent_id, a.name)
                totals.setdefault(a.agent_id, [0] * len(plans))[i] += a.total_fen
    net = sum(data[m].paid_net_sales_fen for m in months if m in data)
    labels = _labels(plans)
    return Comparison(
        shop_id,
        tuple(months),
        labels,
        tuple(AgentRow(a, names[a], tuple(totals[a])) for a in sorted(totals)),
        tuple(plan_totals),
        net,
    )


def _labels(plans: Sequence[Plan]) -> tuple[str, ...]:
    """Plan names, made distinct when two plans share one (two versions of a file)."""
    out: list[str] = []
    for p in plans:
        label = p.name
        if label in out:
            label = f"{p.name} ({p.source})"
        while label in out:
            label += "'"
        out.append(label)
    return tuple(out)
