"""Reconciliation: kefu's figures beside a platform report's, the difference, and its likely cause.

The likely cause is found by computing the month again under each definition preset (the
platforms' documented rules, metrics.settings.PRESETS) and naming the one that comes closest
to the report's figure; with order-level data, the orders credited differently under that
preset are listed. docs/reports.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from kefu.metrics.engine import DuckDBRunner, StoreKpis
from kefu.metrics.fields import EVAL_LEVELS, RATE_BY_NAME, value
from kefu.metrics.reported import Month, reported_month
from kefu.metrics.settings import PRESETS, MetricSettings, from_mapping, parse_value
from kefu.metrics.table import ShopMonth, month_bounds
from kefu.store import Store

# Taobao 服务评价 counts (赤兔 服务满意度评价很满意 … 很不满, 参与量; 客户满意率): compared only
# when kefu has evaluations of the shop-month (imported 服务评价), else kefu's 0 means nothing.
EVAL_FIELDS = ("evaluations", *EVAL_LEVELS, "satisfaction_rate")
# The figures both sides can carry, in the order they are shown.
COMPARED = (
    "consulted_buyers",
    "served_buyers",
    "reply_rate",
    "inquiring_buyers",
    "paying_buyers",
    "conversion_rate",
    "orders",
    "items",
    "sales_fen",
    "refund_fen",
    "net_sales_fen",
    "avg_spend_fen",
    "items_per_buyer",
    "first_response_s",
    "avg_response_s",
    "answer_ratio",
    *EVAL_FIELDS,
)
DEFAULT_TOLERANCE = Fraction(1, 100)


@dataclass(frozen=True)
class Difference:
    """One agent's figure on both sides."""

    agent_id: str
    field: str
    kefu: Fraction | None
    report: Fraction
    agrees: bool
    preset: str | None = None  # the preset whose figure comes closest to the report's
    preset_value: Fraction | None = None
    preset_agrees: bool = False
    orders_gained: tuple[str, ...] = ()  # credited to the agent under the preset, not now
    orders_lost: tuple[str, ...] = ()

    @property
    def difference(self) -> Fraction | None:
        return None if self.kefu is None else self.kefu - self.report

    def to_json(self) -> dict[str, Any]:
        d = self.difference
        return {
            "agent_id": self.agent_id,
            "field": self.field,
            "kefu": None if self.kefu is None else float(self.kefu),
            "report": float(self.report),
            "difference": None if d is None else float(d),
            "agrees": self.agrees,
            "likely_preset": self.preset,
            "preset_value": None if self.preset_value is None else float(self.preset_value),
            "preset_agrees": self.preset_agrees,
            "orders_gained": list(self.orders_gained),
            "orders_lost": list(self.orders_lost),
        }


@dataclass
class Reconciliation:
    shop_id: str
    month: str
    source: dict[str, Any]
    settings: dict[str, Any]
    tolerance: Fraction
    rows: list[Difference] = field(default_factory=list)
    report_only_agents: list[str] = field(default_factory=list)
    kefu_only_agents: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "shop_id": self.shop_id,
            "month": self.month,
            "source": self.source,
            "settings": self.settings,
            "tolerance": float(self.tolerance),
            "figures": [r.to_json() for r in self.rows],
            "report_only_agents": self.report_only_agents,
            "kefu_only_agents": self.kefu_only_agents,
        }


def report_value(m: Month, name: str) -> Fraction | None:
    """The report's own figure: a rate as the report wrote it, else from its counts."""
    if name in m.rates:
        n, d = m.rates[name]
        return Fraction(n, d)
    if name in RATE_BY_NAME:
        r = RATE_BY_NAME[name]
        num, den = m.count(r.numerator), m.count(r.denominator)
        if name == "avg_spend_fen" and m.count("sales_buyers") is not None:
            den = m.count("sales_buyers")
        if num is None or not den:
            return None
        return Fraction(num * r.scale, den)
    c = m.count(name)
    return None if c is None else Fraction(c)


def agrees(name: str, a: Fraction | None, b: Fraction, tolerance: Fraction) -> bool:
    """Within tolerance: rates (fractions) by absolute difference, other figures relatively."""
    if a is None:
        return False
    if name in RATE_BY_NAME and RATE_BY_NAME[name].kind == "fraction":
        return abs(a - b) <= tolerance
    return abs(a - b) <= tolerance * abs(b)


class _Settled(StoreKpis):
    """The engine under given settings instead of the shop's stored ones."""

    def __init__(self, store: Store, settings: MetricSettings) -> None:
        super().__init__(store, runner=DuckDBRunner())
        self._settings = settings

    def settings(self, shop_id: str) -> MetricSettings:
        return self._settings


def _run(
    store: Store, shop: str, month: str, s: MetricSettings
) -> tuple[ShopMonth, dict[str, str]]:
    sm = _Settled(store, s).shop_months(shop, [month])[month]
    credited = {
        r[0]: r[1]
        for r in store.con.execute(
            "SELECT order_id, agent_id FROM attribution WHERE shop_id = ? AND agent_id IS NOT NULL "
            "AND inquiry_month = ?",
            [shop, month],
        ).fetchall()
    }
    return sm, credited


def _kefu(sm: ShopMonth, agent_id: str, name: str) -> Fraction | None:
    a = sm.agent(agent_id)
    if a is None:
        return None
    v = value(a.parts, name)
    if name == "avg_spend_fen" and a is not None:
        from kefu.metrics.fields import exact

        v = exact(a.parts, name)  # unrounded, to compare exactly
    return None if v is None else Fraction(v)


def reconcile(
    store: Store, shop: str, month: str, tolerance: Fraction = DEFAULT_TOLERANCE
) -> Reconciliation | None:
    """Every figure present on both sides for each agent of the month; None without a report."""
    got = reported_month(store, shop, month)
    if got is None:
        return None
    rows, info = got
    base = from_mapping(store.settings(shop))
    now, credited_now = _run(store, shop, month, base)
    tried: list[tuple[str, ShopMonth, dict[str, str]]] = []
    seen: set[MetricSettings] = {base}
    for p in PRESETS:
        s = replace(base, **{k: parse_value(k, v) for k, v in p.values.items()})
        if s in seen:
            continue
        seen.add(s)
        tried.append((p.name, *_run(store, shop, month, s)))
    out = Reconciliation(shop, month, info, base.to_json(), tolerance)
    kefu_agents = {a.agent_id for a in now.agents if a.parts["sessions"] or a.parts["orders"]}
    out.report_only_agents = sorted(set(rows) - {a.agent_id for a in now.agents})
    out.kefu_only_agents = sorted(kefu_agents - set(rows))
    rated = _has_evals(store, shop, month)
    for agent_id in sorted(rows):
        if now.agent(agent_id) is None:
            continue
        m = rows[agent_id]
        for name in COMPARED:
            if name in EVAL_FIELDS and not rated:
                continue
            rep = report_value(m, name)
            if rep is None:
                continue
            mine = _kefu(now, agent_id, name)
            ok = agrees(name, mine, rep, tolerance)
            diff = Difference(agent_id, name, mine, rep, ok)
            if not ok:
                diff = _cause(diff, tried, credited_now, tolerance)
            out.rows.append(diff)
    return out


def _has_evals(store: Store, shop: str, month: str) -> bool:
    """Whether the shop has Taobao 服务评价 given in the month (kefu's side of the evaluations)."""
    first, last = month_bounds(month)
    row = store.con.execute(
        "SELECT count(*) FROM service_evals WHERE shop_id = ? AND CAST(evaluated_at AS DATE)"
        " BETWEEN ? AND ?",
        [shop, first, last],
    ).fetchone()
    return bool(row and row[0])


def _cause(
    d: Difference,
    tried: list[tuple[str, ShopMonth, dict[str, str]]],
    credited_now: dict[str, str],
    tolerance: Fraction,
) -> Difference:
    """The preset whose figure comes closest to the report's, when it comes closer than now."""
    best: tuple[Fraction, str, Fraction, dict[str, str]] | None = None
    for name, sm, credited in tried:
        v = _kefu(sm, d.agent_id, d.field)
        if v is None:
            continue
        gap = abs(v - d.report)
        if best is None or gap < best[0]:
            best = (gap, name, v, credited)
    if best is None or d.kefu is None or best[0] >= abs(d.kefu - d.report):
        return d
    gap, name, v, credited = best
    gained = sorted(o for o, a in credited.items() if a == d.agent_id and credited_now.get(o) != a)
    lost = sorted(o for o, a in credited_now.items() if a == d.agent_id and credited.get(o) != a)
    return replace(
        d,
        preset=name,
        preset_value=v,
        preset_agrees=agrees(d.field, v, d.report, tolerance),
        orders_gained=tuple(gained[:10]),
        orders_lost=tuple(lost[:10]),
    )
