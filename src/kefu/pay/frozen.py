"""KPI months held in memory: a KpiSource over frozen inputs (payroll runs, payslip cases)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from typing import Any

from kefu.metrics.fields import PARTS, empty_parts
from kefu.metrics.mix import Stratum
from kefu.metrics.product_sales import ProductFact, ProductSales
from kefu.metrics.table import AgentMonth, ShopMonth


class FrozenKpis:
    """A KpiSource over ShopMonth records already computed (implements the protocol)."""

    def __init__(self, months: Mapping[str, Mapping[str, ShopMonth]]) -> None:
        self.months = months  # shop_id -> month -> ShopMonth

    def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]:
        have = self.months.get(shop_id, {})
        return {m: have[m] for m in months if m in have}


def agent_to_json(a: AgentMonth) -> dict[str, Any]:
    out = _agent_json(a)
    # a person's row: their seats and where their base is paid (absent for a seat's own row,
    # so the inputs of runs before people behind seats read and hash the same)
    if a.seats:
        out["seats"] = [list(s) for s in a.seats]
    if a.base_elsewhere is not None:
        out["base_elsewhere"] = a.base_elsewhere
    return out


def _agent_json(a: AgentMonth) -> dict[str, Any]:
    return {
        "agent_id": a.agent_id,
        "name": a.name,
        "role": a.role,
        "team": a.team,
        "hired_on": a.hired_on.isoformat() if a.hired_on else None,
        "left_on": a.left_on.isoformat() if a.left_on else None,
        "known": a.known,
        # with the availability marks of a month read from a report (none for chat months)
        "parts": {k: int(a.parts[k]) for k in PARTS}
        | {k: int(v) for k, v in a.parts.items() if ":" in k},
    }


def shop_month_to_json(
    sm: ShopMonth, *, strata: bool = False, products: bool = False
) -> dict[str, Any]:
    """Everything pay reads of a ShopMonth, as JSON (activity figures are not pay inputs);
    the strata only when the plan compares with the team on the agent's mix (`strata`), the
    sales by product and the products' facts only when it weights by product stage."""
    out = {
        "shop_id": sm.shop_id,
        "month": sm.month,
        "provisional": sm.provisional,
        "repurchase_provisional": sm.repurchase_provisional,
        "agents": [agent_to_json(a) for a in sorted(sm.agents, key=lambda a: a.agent_id)],
        "silent_orders": sm.silent_orders,
        "silent_sales_fen": sm.silent_sales_fen,
        "paid_orders": sm.paid_orders,
        "paid_sales_fen": sm.paid_sales_fen,
        "paid_net_sales_fen": sm.paid_net_sales_fen,
        "unattributable_orders": sm.unattributable_orders,
        "unattributable_sales_fen": sm.unattributable_sales_fen,
    }
    if strata and sm.strata:
        out["strata"] = [asdict(x) for x in sm.strata]
    if products and (sm.product_sales or sm.products):
        out["product_sales"] = [asdict(x) for x in sm.product_sales]
        out["products"] = [
            {
                "product_id": f.product_id,
                "first_sale": f.first_sale.isoformat() if f.first_sale else None,
                "launched_on": f.launched_on.isoformat() if f.launched_on else None,
                "stage_set": f.stage_set,
            }
            for f in sm.products
        ]
    return out


def _day(v: Any) -> date | None:
    return None if v in (None, "") else date.fromisoformat(str(v))


def agent_from_json(shop_id: str, month: str, a: Mapping[str, Any]) -> AgentMonth:
    parts = empty_parts()
    for k, v in (a.get("parts") or {}).items():
        parts[k] = int(v)
    return AgentMonth(
        shop_id=shop_id,
        month=month,
        agent_id=str(a["agent_id"]),
        name=str(a.get("name") or a["agent_id"]),
        role=str(a.get("role") or "presale"),
        team=a.get("team"),
        hired_on=_day(a.get("hired_on")),
        left_on=_day(a.get("left_on")),
        known=bool(a.get("known", True)),
        parts=parts,
        seats=tuple((str(s[0]), s[1], s[2]) for s in a.get("seats") or ()),
        base_elsewhere=a.get("base_elsewhere"),
    )


def shop_month_from_json(r: Mapping[str, Any]) -> ShopMonth:
    return ShopMonth(
        shop_id=r["shop_id"],
        month=r["month"],
        provisional=bool(r.get("provisional", False)),
        repurchase_provisional=bool(r.get("repurchase_provisional", False)),
        agents=[agent_from_json(r["shop_id"], r["month"], a) for a in r["agents"]],
        silent_orders=int(r.get("silent_orders", 0)),
        silent_sales_fen=int(r.get("silent_sales_fen", 0)),
        paid_orders=int(r.get("paid_orders", 0)),
        paid_sales_fen=int(r.get("paid_sales_fen", 0)),
        paid_net_sales_fen=int(r.get("paid_net_sales_fen", 0)),
        unattributable_orders=int(r.get("unattributable_orders", 0)),
        unattributable_sales_fen=int(r.get("unattributable_sales_fen", 0)),
        strata=tuple(Stratum(**x) for x in r.get("strata", ())),
        product_sales=tuple(ProductSales(**x) for x in r.get("product_sales", ())),
        products=tuple(
            ProductFact(
                str(x["product_id"]),
                _day(x.get("first_sale")),
                _day(x.get("launched_on")),
                x.get("stage_set"),
            )
            for x in r.get("products", ())
        ),
    )
