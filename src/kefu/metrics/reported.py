"""The second KpiSource: agent months from the platforms' reported figures, each field marked.

A shop-month without chats in the store, but with an agent report, is read from the report:
the counts and amounts it gives become the AgentMonth parts; what it cannot give is marked
not available (never a zero); a rate given without its counts is kept for the one agent and
never pooled. Daily reports add up to the month from their counts only. docs/reports.md.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from kefu.io.reports import SPEC_BY_SOURCE, SPECS
from kefu.io.reports.quirks import ADDITIVE_KINDS
from kefu.metrics.fields import (
    EVAL_LEVELS,
    EVAL_PARTS,
    EXTRA_PARTS,
    NOT_AVAILABLE,
    PARTS,
    RATE_BY_NAME,
    Parts,
)
from kefu.metrics.settings import from_mapping
from kefu.metrics.table import AgentMonth, KpiSource, ShopMonth, month_bounds
from kefu.store import Store
from kefu.store.reported import StoredFigure, figures
from kefu.store.seats import Holding

# Report fields that are kefu's parts, with the same meaning (docs/reports.md says where the
# platform's definition differs: window, credit rule, distinct per day).
PART_FIELDS = (
    "consulted_buyers",
    "served_buyers",
    "inquiring_buyers",
    "paying_buyers",
    "orders",
    "items",
    "sales_fen",
    "refund_fen",
    "net_sales_fen",
    # 服务满意度评价 (赤兔: 参与量 and 很满意 … 很不满; 飞鸽: 有效评价数), as Taobao 服务评价 counts them
    *EVAL_PARTS,
)
SOURCE_ORDER = tuple(s.source for s in SPECS)


def _value(f: StoredFigure) -> tuple[int, int] | None:
    if not f.available or f.numerator is None or f.denominator is None:
        return None
    return f.numerator, f.denominator


class Month:
    """One agent's reported figures for one month: summed from days, or as the month's report gave them."""

    def __init__(self) -> None:
        self.sums: dict[str, tuple[int, int]] = {}  # additive: exact sum num/den
        self.rates: dict[str, tuple[int, int]] = {}  # rate-only figures of a month-grain record
        self.missing: set[str] = set()  # fields with a placeholder (延迟统计) on some day
        self.days: set[date] = set()
        self.texts: dict[str, str] = {}
        self.name: str | None = None
        self.team: str | None = None

    def add(self, f: StoredFigure, whole_month: bool) -> None:
        self.name = self.name or f.agent_name
        self.team = self.team or f.team
        v = _value(f)
        if v is None:
            self.missing.add(f.field)
            return
        if f.kind in ADDITIVE_KINDS:
            n, d = self.sums.get(f.field, (0, 1))
            self.sums[f.field] = (n * v[1] + v[0] * d, d * v[1])
        elif whole_month:
            self.rates[f.field] = v
            self.texts[f.field] = f.value_text

    def count(self, name: str) -> int | None:
        if name == "satisfied_evaluations" and name not in self.sums:
            # 很满意 + 满意: the satisfaction rate's numerator, when the report gives both
            a, b = self.count("evaluations_very_satisfied"), self.count("evaluations_satisfied")
            return None if a is None or b is None else a + b
        if name == "evaluations" and name not in self.sums and name not in self.missing:
            levels = [self.count(f) for f in EVAL_LEVELS]  # no 参与量 column: the five levels
            return None if any(v is None for v in levels) else sum(v or 0 for v in levels)
        if name in self.missing or name not in self.sums:
            return None
        n, d = self.sums[name]
        return n // d if n % d == 0 else None


def parts_of(m: Month) -> Parts:
    """AgentMonth parts from reported figures: what the report cannot give is marked, never zero."""
    parts: Parts = dict.fromkeys(PARTS + EXTRA_PARTS, 0)
    got: dict[str, int] = {}
    for name in PART_FIELDS:
        v = m.count(name)
        if v is not None:
            got[name] = v
    sales, net, refund = got.get("sales_fen"), got.get("net_sales_fen"), got.get("refund_fen")
    if sales is not None and net is not None and refund is None:
        got["refund_fen"] = sales - net
    elif sales is not None and refund is not None and net is None:
        got["net_sales_fen"] = sales - refund
    elif sales is None and net is not None and refund is not None:
        got["sales_fen"] = net + refund
    for name in PARTS + EXTRA_PARTS:
        if name in got:
            parts[name] = got[name]
        else:
            parts[f"{name}{NOT_AVAILABLE}"] = 1
    # 客单价 as the platforms divide it: sales by the buyers of those sales (销售人数)
    buyers = m.count("sales_buyers")
    if "sales_fen" in got and buyers is not None:
        parts["avg_spend_fen:num"], parts["avg_spend_fen:den"] = got["sales_fen"], buyers
    # a rate the report gives without its counts: for this agent and month only
    for rate in RATE_BY_NAME.values():
        has_parts = rate.numerator in got and rate.denominator in got
        if has_parts or f"{rate.name}:num" in parts or rate.name not in m.rates:
            continue
        num, den = m.rates[rate.name]
        if rate.kind == "cpm":
            continue
        parts[f"{rate.name}:num"], parts[f"{rate.name}:den"] = num, den * rate.scale
        parts[f"{rate.name}:only"] = 1
    return parts


def _choose(figs: list[StoredFigure], rule: str | None) -> tuple[str, str] | None:
    """The (source, credit rule) a month is read from: the shop's credit rule when a report
    has it, then the report covering the most agents, then the order of SPECS."""
    agents: dict[tuple[str, str], set[str]] = defaultdict(set)
    for f in figs:
        agents[(f.source, f.credit_rule)].add(f.agent_id)
    if not agents:
        return None
    return min(
        agents,
        key=lambda k: (
            k[1] != (rule or ""),
            -len(agents[k]),
            SOURCE_ORDER.index(k[0]) if k[0] in SOURCE_ORDER else 99,
            k[1],
        ),
    )


def reported_month(
    store: Store, shop_id: str, month: str
) -> tuple[dict[str, Month], dict[str, Any]] | None:
    """Each agent's reported figures for the month, and what they come from; None without any."""
    got = chosen_figures(store, shop_id, month)
    if got is None:
        return None
    use, info = got
    whole_month = info["grain"] == "month"
    rows: dict[str, Month] = defaultdict(Month)
    for f in use:
        rows[f.agent_id].add(f, whole_month)
        rows[f.agent_id].days.add(f.period_start)
    return dict(rows), info


def held_parts(
    store: Store, shop_id: str, month: str, seat: str, holds: Sequence[Holding]
) -> tuple[list[tuple[Holding, Parts | None]], Parts | None] | None:
    """A seat's reported month split by day between its holders (people behind seats).

    Each holder gets the parts of the days they held the seat, summed from the daily figures'
    counts only (a rate of one day is never averaged into a month: as for any month built
    from days, kefu.metrics.reported); None for a holder without a reported day. The days
    nobody held come back apart (None when there are none). None when the month is read from a monthly report: it has no days to
    split by.
    """
    got = chosen_figures(store, shop_id, month)
    if got is None or got[1]["grain"] != "day":
        return None
    mine = [f for f in got[0] if f.agent_id == seat]
    out: list[tuple[Holding, Parts | None]] = []
    taken: set[int] = set()
    for h in holds:
        m = Month()
        for i, f in enumerate(mine):
            if h.holds(f.period_start):
                m.add(f, False)
                m.days.add(f.period_start)
                taken.add(i)
        out.append((h, parts_of(m) if m.days else None))
    rest = Month()
    for i, f in enumerate(mine):
        if i not in taken:
            rest.add(f, False)
            rest.days.add(f.period_start)
    return out, (parts_of(rest) if rest.days else None)


def chosen_figures(
    store: Store, shop_id: str, month: str
) -> tuple[list[StoredFigure], dict[str, Any]] | None:
    """The figures a month is read from (one report: a monthly one, else its days) and what
    they come from; None without any."""
    first, last = month_bounds(month)
    figs = figures(store, shop_id, first, last)
    if not figs:
        return None
    rule = from_mapping({}).attribution_rule
    with contextlib.suppress(ValueError):
        rule = from_mapping(store.settings(shop_id)).attribution_rule
    chosen = _choose(figs, rule)
    assert chosen is not None
    mine = [f for f in figs if (f.source, f.credit_rule) == chosen]
    whole = [f for f in mine if f.grain == "month"]
    days = [f for f in mine if f.grain == "day"]
    use, whole_month = (whole, True) if whole else (days, False)
    if not use:
        return None
    covered = len({f.period_start for f in use}) if not whole_month else last.day
    spec = SPEC_BY_SOURCE.get(chosen[0])
    info: dict[str, Any] = {
        "source": chosen[0],
        "label_zh": spec.label_zh if spec else chosen[0],
        "label_en": spec.label_en if spec else chosen[0],
        "credit_rule": chosen[1] or None,
        "grain": "month" if whole_month else "day",
        "days_covered": covered,
        "days_in_month": last.day,
        "files": sorted({f.file for f in use}),
    }
    return use, info


class ReportedKpis:
    """Shop months read from reported figures; months without any report are left out."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]:
        out: dict[str, ShopMonth] = {}
        staff = {
            r[0]: r
            for r in self.store.con.execute(
                "SELECT agent_id, name, role, team, hired_on, left_on FROM agents WHERE shop_id = ?",
                [shop_id],
            ).fetchall()
        }
        for month in months:
            got = reported_month(self.store, shop_id, month)
            if got is None:
                continue
            rows, info = got
            agents = []
            for agent_id in sorted(rows):
                m = rows[agent_id]
                s = staff.get(agent_id)
                agents.append(
                    AgentMonth(
                        shop_id=shop_id,
                        month=month,
                        agent_id=agent_id,
                        name=(s[1] or agent_id) if s else (m.name or agent_id),
                        role=s[2] if s else "presale",
                        team=(s[3] if s else None) or m.team,
                        hired_on=s[4] if s else None,
                        left_on=s[5] if s else None,
                        known=s is not None,
                        parts=parts_of(m),
                    )
                )
            agents += _absent_staff(shop_id, month, staff, rows, agents)
            agents = _with_evals(self.store, shop_id, month, agents)
            paid = self._paid(shop_id, month)
            out[month] = ShopMonth(
                shop_id=shop_id,
                month=month,
                provisional=info["days_covered"] < info["days_in_month"]
                or any(m.missing for m in rows.values()),
                repurchase_provisional=True,
                agents=agents,
                silent_orders=0,
                silent_sales_fen=0,
                paid_orders=paid[0],
                paid_sales_fen=0,  # silent sales are not known from a report: share undefined
                paid_net_sales_fen=paid[2],
                unattributable_orders=0,
                unattributable_sales_fen=0,
                settings={"credit_rule": info["credit_rule"]},
                source=info,
            )
        return out

    def _paid(self, shop_id: str, month: str) -> tuple[int, int, int]:
        """Paid orders created in the month, when the shop's orders are imported (else zeros)."""
        first, last = month_bounds(month)
        row = self.store.con.execute(
            "SELECT count(*), coalesce(sum(amount_fen), 0), coalesce(sum(amount_fen - refund_fen), 0) "
            "FROM orders WHERE shop_id = ? AND paid_at IS NOT NULL AND CAST(created_at AS DATE) "
            "BETWEEN ? AND ?",
            [shop_id, first, last],
        ).fetchone()
        return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)


def _absent_staff(
    shop_id: str,
    month: str,
    staff: dict[str, Any],
    rows: dict[str, Month],
    present: list[AgentMonth],
) -> list[AgentMonth]:
    """Agents on the staff list, employed in the month, without a row in the report.

    A report lists the agents who worked; one it leaves out had no activity it counts, as an
    employed agent without chats has none in a chat month (and is still paid the base). What
    the report cannot give for anybody stays marked not available for them too.
    """
    marks: set[str] | None = None
    for a in present:
        own = {k for k in a.parts if k.endswith(NOT_AVAILABLE)}
        marks = own if marks is None else marks & own
    out = []
    for agent_id, s in sorted(staff.items()):
        if agent_id in rows:
            continue
        parts: Parts = dict.fromkeys(PARTS + EXTRA_PARTS, 0)
        parts.update(dict.fromkeys(marks or (), 1))
        a = AgentMonth(
            shop_id=shop_id,
            month=month,
            agent_id=agent_id,
            name=s[1] or agent_id,
            role=s[2],
            team=s[3],
            hired_on=s[4],
            left_on=s[5],
            known=True,
            parts=parts,
        )
        if a.employed:
            out.append(a)
    return out


def _with_evals(
    store: Store, shop_id: str, month: str, agents: list[AgentMonth]
) -> list[AgentMonth]:
    """kefu's own Taobao 服务评价 of the month, when imported, instead of the report's
    evaluation figures (the same counts as a chat month's, kpi.sql agent_evals)."""
    from dataclasses import replace

    first = month_bounds(month)[0]
    ignored: tuple[str, ...] = ()
    with contextlib.suppress(ValueError):
        ignored = from_mapping(store.settings(shop_id)).ignored_accounts
    got = store.con.execute(
        "SELECT agent_id, count(*), count(*) FILTER (eval_code = 0),"
        " count(*) FILTER (eval_code = 1), count(*) FILTER (eval_code = 2),"
        " count(*) FILTER (eval_code = 3), count(*) FILTER (eval_code = 4),"
        " count(*) FILTER (eval_code <= 1) FROM service_evals"
        " WHERE shop_id = ? AND evaluated_at >= ? AND evaluated_at < ?"
        " AND NOT list_contains(?, agent_id) AND NOT list_contains(?, buyer_id) GROUP BY 1",
        [shop_id, first, _after(month), list(ignored), list(ignored)],
    ).fetchall()
    if not got:
        return agents
    counts = {r[0]: dict(zip(EVAL_PARTS, map(int, r[1:]), strict=True)) for r in got}
    out = []
    for a in agents:
        parts = {
            k: v
            for k, v in a.parts.items()
            if not (
                k.startswith("satisfaction_rate:")
                or (k.endswith(NOT_AVAILABLE) and k.removesuffix(NOT_AVAILABLE) in EVAL_PARTS)
            )
        }
        parts.update(counts.get(a.agent_id, dict.fromkeys(EVAL_PARTS, 0)))
        out.append(replace(a, parts=parts))
    return out


def chat_months(store: Store, shop_id: str, months: Sequence[str]) -> set[str]:
    """The months among `months` in which the shop has chat messages in the store."""
    if not months:
        return set()
    rows = store.con.execute(
        "SELECT DISTINCT strftime(sent_at, '%Y-%m') FROM messages WHERE shop_id = ? "
        "AND sent_at >= ? AND sent_at < ?",
        [shop_id, month_bounds(min(months))[0], _after(max(months))],
    ).fetchall()
    return {r[0] for r in rows} & set(months)


def _after(month: str) -> date:
    from datetime import timedelta

    return month_bounds(month)[1] + timedelta(days=1)


class ChosenKpis:
    """kefu's KpiSource: chats and orders through the engine; a month without chats but with an
    agent report comes from the report (ReportedKpis)."""

    def __init__(self, store: Store, engine: str = "duckdb") -> None:
        from kefu.metrics.engine import StoreKpis

        self.store = store
        self.engine: KpiSource = StoreKpis(store, engine=engine)
        self.reported = ReportedKpis(store)

    def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]:
        has_reports = self.store.con.execute(
            "SELECT count(*) FROM reported_figures WHERE shop_id = ?", [shop_id]
        ).fetchone()
        if not has_reports or not has_reports[0]:
            return self.engine.shop_months(shop_id, months)
        chats = chat_months(self.store, shop_id, months)
        from_reports = self.reported.shop_months(shop_id, [m for m in months if m not in chats])
        rest = [m for m in months if m not in from_reports]
        out = self.engine.shop_months(shop_id, rest) if rest else {}
        out.update(from_reports)
        return {m: out[m] for m in months}

    def reported_month(self, shop_id: str, month: str) -> ShopMonth | None:
        """The month as read from an agent report, when that is where its figures come from."""
        if chat_months(self.store, shop_id, [month]):
            return None
        return self.reported.shop_months(shop_id, [month]).get(month)


RULE_KEYS = {
    "order": "reports.rule.order",
    "paid": "reports.rule.paid",
    "order_first": "reports.rule.order_first",
}


def field_label(name: str, lang: str) -> str:
    """A field's name for people: kefu's own label, else the report field's from the catalogue."""
    from kefu import i18n
    from kefu.metrics.labels import label

    if i18n.has(f"kpi.field.{name}"):
        return label(name, lang)
    key = f"reports.field.{name}"
    return i18n.t(key, lang) if i18n.has(key) else name


def source_lines(sm: ShopMonth, lang: str) -> list[str]:
    """Where the month's figures come from, and which ones the report cannot give."""
    from kefu import i18n
    from kefu.metrics.fields import SPEC_ORDER, not_available

    info = sm.source or {}
    rule = info.get("credit_rule")
    lines = [
        i18n.t(
            "reports.source",
            lang,
            label=info.get("label_zh" if lang == "zh" else "label_en", ""),
            rule=i18n.t(RULE_KEYS[rule], lang)
            if rule in RULE_KEYS
            else i18n.t("reports.rule.unknown", lang),
            files=", ".join(info.get("files", [])),
        )
    ]
    if info.get("days_covered", 0) < info.get("days_in_month", 0):
        lines.append(
            i18n.t(
                "reports.days_partial",
                lang,
                covered=info["days_covered"],
                days=info["days_in_month"],
            )
        )
    missing = sorted(
        {f for a in sm.agents for f in not_available(a.parts) if f in SPEC_ORDER},
        key=SPEC_ORDER.index,
    )
    lines.append(i18n.t("reports.no_silent", lang))
    if missing:
        lines.append(
            i18n.t(
                "reports.not_available",
                lang,
                fields=", ".join(field_label(f, lang) for f in missing),
            )
        )
    for h in info.get("handovers", ()):
        lines.append(i18n.t("people.handover.reported", lang, month=sm.month, **h))
    only = sorted(
        {k.removesuffix(":only") for a in sm.agents for k in a.parts if k.endswith(":only")},
        key=lambda f: SPEC_ORDER.index(f) if f in SPEC_ORDER else 99,
    )
    if only:
        lines.append(
            i18n.t("reports.rate_only", lang, fields=", ".join(field_label(f, lang) for f in only))
        )
    return lines
