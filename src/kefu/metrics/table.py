"""The agent-month KPI table: one row per agent and month, with the shop's month totals.

This is the single interface diagnosis, pay and reports read. Today the metrics engine
fills it from chat logs and orders; a later importer of the platforms' own agent reports
(赤兔, 生意参谋, …) can fill the same records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, Protocol

from kefu.metrics.fields import Parts, as_json, not_available, pool, value
from kefu.metrics.mix import Stratum
from kefu.metrics.product_sales import ProductFact, ProductSales
from kefu.month import Month, month_texts


@dataclass(frozen=True)
class Activity:
    """When and how much an agent worked in a month: what explains load and coverage.

    Not part of the KPI JSON contract; diagnosis reads it (load = sessions per active hour).
    """

    active_hours: int  # distinct clock hours (date + hour) with at least one `agent` message
    active_days: int  # distinct dates with at least one `agent` message
    peak_day_inquiries: int  # the most pre-sale inquiries started on one day
    hour_sessions: tuple[int, ...]  # sessions started in each hour of the day, 0..23


@dataclass(frozen=True)
class AgentMonth:
    """One agent's KPI parts for one month, with what pay and diagnosis need to know of them."""

    shop_id: str
    month: str  # YYYY-MM
    agent_id: str
    name: str
    role: str  # presale | aftersale
    team: str | None
    hired_on: date | None
    left_on: date | None
    known: bool  # listed in the agents table (else a sub-account seen only in messages)
    parts: Parts
    activity: Activity | None = None
    # a person's row (kefu.metrics.people): the seats held in the month, (agent_id, first
    # day, last day); empty for a seat's own row and for a person who is their one seat
    seats: tuple[tuple[str, str | None, str | None], ...] = ()
    # a person's base is paid once, in the shop where they held seats on most days: that
    # shop's id when it is another one
    base_elsewhere: str | None = None

    def value(self, name: str) -> int | Fraction | None:
        return value(self.parts, name)

    @property
    def employed(self) -> bool:
        """Employed on at least one day of the month (hired_on and left_on are days employed)."""
        first, last = month_bounds(self.month)
        if self.hired_on is None:
            return True  # a sub-account seen only in messages: employed as far as we know
        return self.hired_on <= last and (self.left_on is None or self.left_on >= first)

    @property
    def not_available(self) -> list[str]:
        """Fields the month's source cannot give (none for figures computed from chats)."""
        return not_available(self.parts)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "agent_id": self.agent_id,
            "name": self.name,
            "role": self.role,
            **as_json(self.parts),
        }
        if self.seats:  # a person's row (kpi --by person): the seats summed in it
            out["seats"] = [{"agent_id": s, "from": f, "until": u} for s, f, u in self.seats]
        missing = self.not_available
        if missing:  # only months read from a platform's report (docs/reports.md)
            out["not_available"] = missing
        return out


@dataclass(frozen=True)
class ShopMonth:
    """A shop's month: every agent's row, the pooled presale team, and silent/unattributable sales."""

    shop_id: str
    month: str
    provisional: bool
    repurchase_provisional: bool
    agents: list[AgentMonth]
    silent_orders: int
    silent_sales_fen: int
    paid_orders: int  # paid orders created in the month whose buyer is known
    paid_sales_fen: int  # their amounts (silent_share's denominator)
    paid_net_sales_fen: int  # their amounts less refunds
    unattributable_orders: int
    unattributable_sales_fen: int
    settings: dict[str, Any] = field(default_factory=dict)
    # None: computed by kefu from chats and orders; else the platform report the figures come
    # from, e.g. {"source": "chitu", "label": "赤兔 自定义报表", "credit_rule": "order_first", …}
    source: dict[str, Any] | None = None
    # the presale agents' strata for like-with-like references (kefu.metrics.mix); empty when
    # the source cannot give them (a platform's report, a pay case)
    strata: tuple[Stratum, ...] = ()
    # credited sales by product and buyer kind, and the products' facts (kefu.metrics.product_sales)
    product_sales: tuple[ProductSales, ...] = ()
    products: tuple[ProductFact, ...] = ()

    @property
    def presale(self) -> list[AgentMonth]:
        return [a for a in self.agents if a.role == "presale"]

    @property
    def team(self) -> Parts:
        """metrics.md §3 team row: presale agents with data in the month, pooled."""
        return pool(a.parts for a in self.presale)

    @property
    def silent_share(self) -> Fraction | None:
        if self.paid_sales_fen == 0:
            return None
        return Fraction(self.silent_sales_fen, self.paid_sales_fen)

    def agent(self, agent_id: str) -> AgentMonth | None:
        return next((a for a in self.agents if a.agent_id == agent_id), None)

    def to_json(self) -> dict[str, Any]:
        """The `kefu kpi --format json` contract (issue #2): keys and their order are fixed."""
        share = self.silent_share
        out: dict[str, Any] = {
            "shop_id": self.shop_id,
            "month": self.month,
            "provisional": self.provisional,
            "settings": self.settings,
            "agents": [a.to_json() for a in self.agents],
            "team": as_json(self.team),
            "silent_orders": self.silent_orders,
            "silent_sales_fen": self.silent_sales_fen,
            "silent_share": None if share is None else float(share),
            "unattributable_orders": self.unattributable_orders,
            "unattributable_sales_fen": self.unattributable_sales_fen,
        }
        if self.source is not None:
            out["source"] = self.source
            out["team_not_available"] = not_available(self.team)
        return out


class KpiSource(Protocol):
    """Anything that yields a shop's KPI months (the metrics engine, or imported agent reports)."""

    def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]: ...


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a YYYY-MM month (ValueError on a bad month)."""
    m = Month.parse(month)
    return m.first_day, m.last_day


def month_range(start: str, end: str) -> list[str]:
    """Every YYYY-MM from start to end, both included."""
    return month_texts(start, end)


def shift_month(month: str, delta: int) -> str:
    """The YYYY-MM `delta` months after `month` (before when negative)."""
    return str(Month.parse(month).shift(delta))
