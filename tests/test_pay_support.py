"""Helpers for the pay tests: hand-built KPI months and an in-memory KpiSource (no tests here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from kefu.metrics.fields import empty_parts
from kefu.metrics.table import AgentMonth, ShopMonth
from kefu.pay.frozen import FrozenKpis

SHOP = "测试店"


def agent(
    agent_id: str,
    month: str,
    *,
    role: str = "presale",
    hired_on: date | None = date(2023, 1, 1),
    left_on: date | None = None,
    known: bool = True,
    **parts: int,
) -> AgentMonth:
    p = empty_parts()
    p.update(parts)
    if "net_sales_fen" not in parts:
        p["net_sales_fen"] = p["sales_fen"] - p["refund_fen"]
    return AgentMonth(
        SHOP, month, agent_id, agent_id.upper(), role, None, hired_on, left_on, known, p
    )


def shop_month(
    month: str, agents: Iterable[AgentMonth], paid_net_sales_fen: int | None = None
) -> ShopMonth:
    rows = list(agents)
    net = (
        sum(a.parts["net_sales_fen"] for a in rows)
        if paid_net_sales_fen is None
        else paid_net_sales_fen
    )
    return ShopMonth(SHOP, month, False, False, rows, 0, 0, len(rows), net, net, 0, 0)


def source(months: Mapping[str, ShopMonth]) -> FrozenKpis:
    """A KpiSource over hand-built months (a real implementation of the protocol)."""
    return FrozenKpis({SHOP: dict(months)})


def good_month(month: str, *, refund_a: int = 0) -> ShopMonth:
    """Two presale agents; a earns commission (see seed_commission.yaml, 'all gates hold')."""
    return shop_month(
        month,
        [
            agent(
                "a",
                month,
                inquiring_buyers=100,
                paying_buyers=40,
                sales_fen=6000000,
                refund_fen=refund_a,
                new_buyer_net_sales_fen=2000000,
                returning_buyer_net_sales_fen=4000000 - refund_a,
                reviews=20,
            ),
            agent(
                "b",
                month,
                inquiring_buyers=100,
                paying_buyers=20,
                sales_fen=1000000,
                new_buyer_net_sales_fen=1000000,
                reviews=10,
                bad_reviews=1,
            ),
            agent("c", month, role="aftersale", receptions=40),
        ],
    )
