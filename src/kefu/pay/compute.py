"""A shop's pay for one month under a plan: which agents are paid, and each one's lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from kefu import i18n
from kefu.metrics.fields import Parts, available, empty_parts, pool
from kefu.metrics.mix import MIN_STRATUM, expected
from kefu.metrics.table import AgentMonth, KpiSource, ShopMonth, month_bounds
from kefu.month import Month
from kefu.pay.components import (
    Line,
    base_line,
    clawback_line,
    commission_line,
    metric_value,
    period_line,
    rank_line,
    tenure_months,
)
from kefu.pay.plan import COMPONENTS, STAGE_SPLIT, BaseSpec, CommissionSpec, Plan, PlanVersion
from kefu.pay.text import Text
from kefu.store.products import product_stage

# Payslip order: the plan's components (one list, kefu.pay.plan.COMPONENTS), then clawbacks.
ORDER = (*COMPONENTS, "clawback")


@dataclass(frozen=True)
class Note:
    """A warning about a computation: a catalogue key and the values its sentence shows.

    `stored` holds the texts of a run written before warnings were keyed (shown as they were)."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)
    stored: dict[str, str] | None = None

    def text(self, lang: str | None = None) -> str:
        if self.stored is not None:
            return self.stored[i18n.resolve_lang(lang)]
        return i18n.t(self.key, lang, **self.values)

    def both(self) -> Text:
        return {lang: self.text(lang) for lang in i18n.LANGS}

    def to_record(self) -> dict[str, Any]:
        if self.stored is not None:
            return dict(self.stored)
        return {"key": self.key, "values": dict(self.values)}

    @staticmethod
    def from_record(r: Mapping[str, Any]) -> Note:
        if "key" in r:
            return Note(str(r["key"]), dict(r.get("values") or {}))
        return Note("", {}, {str(k): str(v) for k, v in r.items()})


@dataclass(frozen=True)
class AgentPay:
    agent_id: str
    name: str
    role: str
    lines: tuple[Line, ...]

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    def to_record(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "role": self.role,
            "total_fen": self.total_fen,
            "lines": [line.to_record() for line in self.lines],
        }


@dataclass(frozen=True)
class MonthPay:
    shop_id: str
    month: str
    plan: str
    plan_since: str
    agents: tuple[AgentPay, ...]
    paid_net_sales_fen: int
    warnings: tuple[Note, ...] = ()

    @property
    def total_fen(self) -> int:
        return sum(a.total_fen for a in self.agents)

    @property
    def share(self) -> Fraction | None:
        """Total pay / net sales of the month's paid orders (credited or silent)."""
        if self.paid_net_sales_fen <= 0:
            return None
        return Fraction(self.total_fen, self.paid_net_sales_fen)

    def agent(self, agent_id: str) -> AgentPay | None:
        return next((a for a in self.agents if a.agent_id == agent_id), None)

    def to_record(self) -> dict[str, Any]:
        """Every typed value, exact: what a payroll run stores (the words are rendered apart)."""
        return {
            "shop_id": self.shop_id,
            "month": self.month,
            "plan": self.plan,
            "plan_since": self.plan_since,
            "agents": [a.to_record() for a in self.agents],
            "total_fen": self.total_fen,
            "paid_net_sales_fen": self.paid_net_sales_fen,
            "warnings": [w.to_record() for w in self.warnings],
        }

    @staticmethod
    def from_record(r: Mapping[str, Any]) -> MonthPay:
        return MonthPay(
            r["shop_id"],
            r["month"],
            r["plan"],
            r["plan_since"],
            tuple(
                AgentPay(
                    a["agent_id"],
                    a["name"],
                    a["role"],
                    tuple(Line.from_record(x) for x in a["lines"]),
                )
                for a in r["agents"]
            ),
            int(r["paid_net_sales_fen"]),
            tuple(Note.from_record(w) for w in r.get("warnings", [])),
        )


@dataclass(frozen=True)
class Settled:
    """An approved month: what was paid per agent and component, and what later runs adjusted."""

    month: str
    run_id: int
    plan: Plan
    approved: dict[str, dict[str, int]]  # agent -> component -> fen (clawback lines excluded)
    carried: dict[str, int] = field(default_factory=dict)  # agent -> fen already adjusted
    parts: dict[str, Parts] = field(default_factory=dict)  # agent -> the month's parts then
    names: dict[str, str] = field(default_factory=dict)


# -- which months a computation needs ------------------------------------------------------------
def period_months(month: str, period: str) -> list[str]:
    m = Month.parse(month)
    start = m.quarter_start() if period == "quarter" else m.year_start()
    return [str(x) for x in start.through(m)]


def pays_period(month: str, period: str) -> bool:
    m = Month.parse(month).month
    return m % 3 == 0 if period == "quarter" else m == 12


def months_needed(plan: Plan, month: str, settled: Iterable[Settled] = ()) -> list[str]:
    """The month, the months its period bonuses pool, and those of each settled month."""
    need = {month}
    version = plan.at(month)
    for section in version.sections.values():
        for spec in (section.quarterly_bonus, section.annual_bonus):
            if spec and pays_period(month, spec.period):
                need.update(period_months(month, spec.period))
    for s in settled:
        need.update(months_needed(s.plan, s.month))
    return sorted(need)


# -- the month ------------------------------------------------------------------------------------
def _role_pool(sm: ShopMonth | None, role: str) -> Parts:
    """The team a gate compares with: the role's agents with data in the month, pooled.

    For presale this is metrics.md's team row (ShopMonth.team)."""
    if sm is None:
        return empty_parts()
    return sm.team if role == "presale" else pool(a.parts for a in sm.agents if a.role == role)


def _pooled(data: Mapping[str, ShopMonth], months: Sequence[str], agent_id: str) -> Parts:
    rows = []
    for m in months:
        sm = data.get(m)
        row = sm.agent(agent_id) if sm else None
        if row is not None:
            rows.append(row.parts)
    return pool(rows)


def paid_agents(sm: ShopMonth | None, version: PlanVersion) -> list[AgentMonth]:
    """Agents paid for the month: on the staff list, employed on a day of it, with a section."""
    if sm is None:
        return []
    return sorted(
        (a for a in sm.agents if a.known and a.employed and a.role in version.sections),
        key=lambda a: a.agent_id,
    )


def _warnings(sm: ShopMonth | None, version: PlanVersion, month: str) -> list[Note]:
    out: list[Note] = []
    if sm is None:
        return [Note("pay.warn.no_data", {"month": month})]
    unknown = sorted(a.agent_id for a in sm.agents if not a.known)
    if unknown:
        out.append(Note("pay.warn.unknown_agents", {"agents": ", ".join(unknown)}))
    roles = sorted({a.role for a in sm.agents if a.known and a.employed} - set(version.sections))
    if roles:
        out.append(Note("pay.warn.no_section", {"roles": ", ".join(roles)}))
    if sm.provisional:
        out.append(Note("pay.warn.provisional", {"month": month}))
    if sm.unattributable_orders:
        out.append(Note("pay.warn.unattributable", {"orders": sm.unattributable_orders}))
    return out


def pay_month(
    plan: Plan,
    shop_id: str,
    month: str,
    data: Mapping[str, ShopMonth],
    settled: Sequence[Settled] = (),
) -> MonthPay:
    """Every paid agent's lines for `month` (a pure function of the plan and the data)."""
    version = plan.at(month)
    sm = data.get(month)
    paid = paid_agents(sm, version)
    lines: dict[str, list[Line]] = {a.agent_id: [] for a in paid}
    for role, section in version.sections.items():
        members = [a for a in paid if a.role == role]
        team = _role_pool(sm, role)
        ranking = (
            {a.agent_id: _value(a.parts, section.rank_bonus.metric) for a in members}
            if section.rank_bonus
            else {}
        )
        for a in members:
            out = lines[a.agent_id]
            tenure = tenure_months(a.hired_on, month)
            if section.base:
                out.append(_person_base(section.base, a, month))
            if section.rank_bonus and any(
                not available(m.parts, section.rank_bonus.metric) for m in members
            ):
                # a report that cannot give the ranked figure for someone: not judged
                m = section.rank_bonus.metric
                out.append(Line("rank_bonus", 0, "withheld", {"metric": m, "not_available": True}))
            elif section.rank_bonus:
                out.append(
                    rank_line(
                        section.rank_bonus,
                        a.agent_id,
                        ranking,
                        parts_of={m.agent_id: m.parts for m in members},
                    )
                )
            if section.commission:
                out.append(
                    commission_line(
                        section.commission,
                        a.agent_id,
                        a.parts,
                        team,
                        tenure,
                        version.target,
                        mix_rates(data, [month], a.agent_id),
                        stage_split(sm, a.agent_id, month, section.commission),
                    )
                )
            if section.assist_commission:
                out.append(
                    commission_line(
                        section.assist_commission,
                        a.agent_id,
                        a.parts,
                        team,
                        tenure,
                        version.target,
                        component="assist_commission",
                    )
                )
            for name, spec in (
                ("quarterly_bonus", section.quarterly_bonus),
                ("annual_bonus", section.annual_bonus),
            ):
                if spec is None or not pays_period(month, spec.period):
                    continue
                months = period_months(month, spec.period)
                team_p = pool(_role_pool(data.get(m), role) for m in months)
                peers = {p.agent_id: _pooled(data, months, p.agent_id) for p in members}
                out.append(
                    period_line(
                        spec,
                        name,
                        a.agent_id,
                        months,
                        peers[a.agent_id],
                        team_p,
                        peers,
                        version.target,
                        mix_rates(data, months, a.agent_id),
                    )
                )
    names = {a.agent_id: a.name for a in paid}
    roles = {a.agent_id: a.role for a in paid}
    for s in sorted(settled, key=lambda s: s.month):
        if s.month >= month:
            continue
        again = pay_month(s.plan, shop_id, s.month, data)
        now = {a.agent_id: _by_component(a.lines) for a in again.agents}
        sm_then = data.get(s.month)
        for agent_id in sorted(set(s.approved) | set(now)):
            row = sm_then.agent(agent_id) if sm_then else None
            line = clawback_line(
                s.month,
                s.run_id,
                s.approved.get(agent_id, {}),
                s.carried.get(agent_id, 0),
                now.get(agent_id, {}),
                s.parts.get(agent_id),
                row.parts if row else None,
            )
            if line is None:
                continue
            if agent_id not in lines:
                lines[agent_id] = []
                names[agent_id] = s.names.get(agent_id) or (row.name if row else agent_id)
                roles[agent_id] = row.role if row else "presale"
            lines[agent_id].append(line)
    agents = tuple(
        AgentPay(agent_id, names[agent_id], roles[agent_id], tuple(lines[agent_id]))
        for agent_id in sorted(lines)
    )
    return MonthPay(
        shop_id,
        month,
        plan.name,
        version.since.isoformat(),
        agents,
        sm.paid_net_sales_fen if sm else 0,
        tuple(_warnings(sm, version, month)),
    )


def stage_split(
    sm: ShopMonth | None, agent_id: str, month: str, spec: CommissionSpec
) -> dict[tuple[str, str], int] | None:
    """The agent's credited sales of the month per (buyer kind × product stage), for a buyer
    mix weighted by product stage; None when the plan does not weight by stage.

    An order counts under the stage of its main product on the month's first day (docs/pay.md);
    orders without order lines, and products without a stage, count as established.
    """
    if spec.stages is None or sm is None:
        return None
    net = STAGE_SPLIT[spec.new_metric][1] == "net"
    first = Month.parse(month).first_day
    facts = {f.product_id: f for f in sm.products}
    out: dict[tuple[str, str], int] = {}
    for ps in sm.product_sales:
        if ps.agent_id != agent_id:
            continue
        f = facts.get(ps.product)
        stage = (
            product_stage(f.stage_set, f.launched_on, f.first_sale, first, spec.stages.new_months)
            if f is not None
            else None
        )
        key = ("returning" if ps.returning else "new", stage or "established")
        out[key] = out.get(key, 0) + (ps.net_sales_fen if net else ps.sales_fen)
    return out


def mix_rates(
    data: Mapping[str, ShopMonth], months: Sequence[str], agent_id: str
) -> dict[str, Fraction | None]:
    """The team's conversion and 客单价 on the agent's own mix over `months` (reference:
    team_mix): Σ expected ÷ Σ buyers over the months; None where no month has strata finer
    than the whole team (docs/pay.md)."""
    out: dict[str, Fraction | None] = {}
    for metric, measure in (("conversion_rate", "conversion"), ("avg_spend_fen", "spend")):
        total, n, informative = Fraction(0), 0, False
        for m in months:
            sm = data.get(m)
            if sm is None or not sm.strata:
                continue
            e = expected(sm.strata, agent_id, measure, MIN_STRATUM)  # type: ignore[arg-type]
            total, n = total + e.expected, n + e.n
            informative = informative or e.informative
        out[metric] = total / n if informative and n else None
    return out


def _person_base(spec: BaseSpec, a: AgentMonth, month: str) -> Line:
    """The base ladder of an agent or person; a person's seats are listed on it, and a person
    paid their base in another shop gets a line of 0 saying which."""
    line = base_line(spec, a.hired_on, a.left_on, month)
    extra: dict[str, Any] = {}
    if a.seats:
        extra["seats"] = [{"agent_id": s, "from": f, "until": u} for s, f, u in a.seats]
    if a.base_elsewhere is not None:
        extra["paid_in_shop"] = a.base_elsewhere
        return Line("base", 0, "not_paid", {**line.inputs, **extra})
    return (
        Line(line.component, line.amount_fen, line.status, {**line.inputs, **extra})
        if extra
        else line
    )


def _value(parts: Mapping[str, int], metric: str) -> int | Fraction | None:
    return metric_value(parts, metric)


def _by_component(lines: Iterable[Line]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in lines:
        if line.component != "clawback":
            out[line.component] = out.get(line.component, 0) + line.amount_fen
    return out


def compute(
    plan: Plan,
    shop_id: str,
    month: str,
    source: KpiSource,
    settled: Sequence[Settled] = (),
) -> tuple[MonthPay, dict[str, ShopMonth]]:
    """Fetch what the month needs from `source` and pay it; also return the data used."""
    data = source.shop_months(shop_id, months_needed(plan, month, settled))
    return pay_month(plan, shop_id, month, data, settled), data


def settle_date(month: str, settle_days: int) -> date:
    """The first day a month's run is no longer warned about (settle_days after its end)."""
    return month_bounds(month)[1] + timedelta(days=settle_days + 1)
