"""The pay components: each a small pure function from named metrics and parameters to one line.

Every amount is computed exactly (int fen, Fraction) and rounded half-up to a whole fen once,
at the line. Gates compare exact values. A line is a typed value: its amount, its status, every
input it used and the counts behind each rate it compared; the sentence that explains it is
rendered from those by kefu.report.payslip, never here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, Literal

from kefu.metrics.fields import RATE_BY_NAME, Parts, available, exact, round_half_up
from kefu.metrics.table import month_bounds
from kefu.pay.plan import (
    COMPONENTS,
    BaseSpec,
    CommissionSpec,
    Gate,
    MixBand,
    PeriodSpec,
    RankSpec,
    Tier,
)
from kefu.pay.text import Text, exact_json, parse_exact

Status = Literal["paid", "not_paid", "withheld", "adjustment"]
TargetOf = Callable[[str, str], int | Fraction | None]
Verdict = Literal["pass", "fail", "insufficient_data", "no_target", "not_available"]
Counted = dict[str, dict[str, list[int]]]  # whose ("agent", "team", "highest") -> rate -> [n, d]


@dataclass(frozen=True)
class Line:
    """One payslip line as a typed value: its amount in whole fen, its status, every input it
    used (JSON-ready) and, for each rate it compared, the numerator and denominator counted."""

    component: str
    amount_fen: int
    status: Status
    inputs: dict[str, Any] = field(default_factory=dict)
    counted: Counted = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "amount_fen": self.amount_fen,
            "status": self.status,
            "inputs": self.inputs,
            "counted": self.counted,
        }

    @staticmethod
    def from_record(r: Mapping[str, Any]) -> Line:
        """A stored line; runs stored before lines carried their counts have none."""
        return Line(
            r["component"],
            int(r["amount_fen"]),
            r["status"],
            r["inputs"],
            {k: dict(v) for k, v in (r.get("counted") or {}).items()},
        )


Explain = Callable[[Line], Text]  # a line's sentence in every language (kefu.report.payslip)


def counts(parts: Mapping[str, int], metrics: Sequence[str]) -> dict[str, list[int]]:
    """The numerator and denominator of each rate among `metrics`, as counted (never reduced)."""
    out: dict[str, list[int]] = {}
    for m in metrics:
        rate = RATE_BY_NAME.get(m)
        if rate is not None and available(parts, m):
            out[m] = [int(parts.get(rate.numerator, 0)), int(parts.get(rate.denominator, 0))]
    return out


# -- facts about an agent ----------------------------------------------------------------------
def tenure_months(hired_on: date | None, month: str) -> int | None:
    """Full months from hired_on to the first day of the month after `month` (pay.md, base)."""
    if hired_on is None:
        return None
    _, last = month_bounds(month)
    y, m = (last.year + 1, 1) if last.month == 12 else (last.year, last.month + 1)
    months = (y - hired_on.year) * 12 + (m - hired_on.month) - (1 if hired_on.day > 1 else 0)
    return max(months, 0)


def days_employed(hired_on: date | None, left_on: date | None, month: str) -> tuple[int, int]:
    """(calendar days employed in the month, days in the month); both ends are days employed."""
    first, last = month_bounds(month)
    start = max(first, hired_on) if hired_on else first
    end = min(last, left_on) if left_on else last
    return max((end - start).days + 1, 0), last.day


def metric_value(parts: Mapping[str, int], metric: str) -> int | Fraction | None:
    """The exact value a gate or a ranking compares: a part, or a rate never rounded; None when
    the source (a platform's report) cannot give it."""
    if not available(parts, metric):
        return None
    if metric in RATE_BY_NAME:
        return exact(parts, metric)
    return int(parts[metric])


# -- gates ------------------------------------------------------------------------------------
def _compare(a: int | Fraction, op: str, b: int | Fraction) -> bool:
    if op == ">=":
        return a >= b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    return a < b


def judge(
    gate: Gate,
    parts: Mapping[str, int],
    team: Mapping[str, int],
    target: int | Fraction | None,
    min_inquiries: int,
    mix: Mapping[str, Fraction | None] | None = None,
) -> dict[str, Any]:
    """One gate's verdict with the two numbers compared (JSON-ready).

    `mix` holds the team's rate on the agent's own mix (kefu.metrics.mix) per metric, for
    gates with reference: team_mix; where it has none (no strata, or every stratum thin)
    such a gate compares with the team's pooled value, and says so.
    """
    agent = metric_value(parts, gate.metric)
    mixed = None if mix is None else mix.get(gate.metric)
    if gate.reference == "team" or (gate.reference == "team_mix" and mixed is None):
        against = metric_value(team, gate.metric)
    elif gate.reference == "team_mix":
        against = mixed
    elif gate.reference == "target":
        against = target
    else:
        against = gate.number
    inquiries = int(parts["inquiring_buyers"])
    verdict: Verdict
    note = ""
    if not available(parts, gate.metric) or (
        gate.reference in ("team", "team_mix") and not available(team, gate.metric)
    ):
        # a figure the month's report cannot give: the plan's rule for "no data" when it says
        # pass, else not judged (withheld), never a silent zero
        verdict = "pass" if gate.if_undefined == "pass" else "not_available"
        note = "not_available"
    elif gate.metric in RATE_BY_NAME and inquiries < min_inquiries:
        verdict, note = "insufficient_data", f"{inquiries} < {min_inquiries}"
    elif gate.reference == "target" and target is None:
        verdict = "no_target"
    elif agent is None or against is None:
        verdict = gate.if_undefined
        note = "undefined"
    else:
        verdict = "pass" if _compare(agent, gate.op, against) else "fail"
    if gate.reference == "team_mix" and mixed is None and not note:
        note = "no_mix"  # no strata finer than the whole team: compared with the team pooled
    return {
        "metric": gate.metric,
        "op": gate.op,
        "reference": gate.reference,
        "agent": exact_json(agent),
        "against": exact_json(against),
        "result": verdict,
        "note": note,
        "inquiring_buyers": inquiries,
        "min_inquiries": min_inquiries if gate.metric in RATE_BY_NAME else None,
    }


def _overall(gates: Sequence[Mapping[str, Any]]) -> Verdict:
    results = [g["result"] for g in gates]
    if "fail" in results:
        return "fail"
    if "not_available" in results:
        return "not_available"
    if "insufficient_data" in results:
        return "insufficient_data"
    if "no_target" in results:
        return "no_target"
    return "pass"


# -- tiers ------------------------------------------------------------------------------------
def tier_amounts(base: Fraction, tiers: Sequence[Tier], mode: str) -> list[dict[str, Any]]:
    """Each band's share of `base` and its amount (exact). Marginal: each band's rate on the part
    of base inside it (超额累进). Whole: the rate of the band base falls in, on all of base
    (全额累进). Bands are half-open [lower, upper)."""
    out: list[dict[str, Any]] = []
    for tier in tiers:
        if mode == "marginal":
            top = base if tier.upper is None else min(base, Fraction(tier.upper))
            inside = max(top - tier.lower, Fraction(0))
        else:
            reached = base >= tier.lower and (tier.upper is None or base < tier.upper)
            inside = base if reached else Fraction(0)
        out.append(
            {
                "from_fen": tier.lower,
                "to_fen": tier.upper,
                "rate": exact_json(tier.rate),
                "base_fen": exact_json(inside),
                "amount_fen": exact_json(inside * tier.rate),
            }
        )
    return out


def tiered(base: Fraction, tiers: Sequence[Tier], mode: str) -> Fraction:
    return sum(
        (Fraction(parse_exact(b["amount_fen"]) or 0) for b in tier_amounts(base, tiers, mode)),
        Fraction(0),
    )


# -- base ladder ------------------------------------------------------------------------------
def base_line(spec: BaseSpec, hired_on: date | None, left_on: date | None, month: str) -> Line:
    """Base amount plus tenure steps (capped), prorated in the months of hiring and leaving."""
    tenure = tenure_months(hired_on, month)
    steps = min((tenure or 0) // spec.step_months, spec.max_steps)
    monthly = spec.amount_fen + steps * spec.step_fen
    days, dim = days_employed(hired_on, left_on, month) if spec.prorate else (1, 1)
    exact_amount = Fraction(monthly * days, dim)
    amount = round_half_up(exact_amount)
    return Line(
        "base",
        amount,
        "paid",
        {
            "base_fen": spec.amount_fen,
            "hired_on": hired_on.isoformat() if hired_on else None,
            "left_on": left_on.isoformat() if left_on else None,
            "tenure_months": tenure,
            "step_months": spec.step_months,
            "steps": steps,
            "max_steps": spec.max_steps,
            "step_fen": spec.step_fen,
            "monthly_fen": monthly,
            "days_employed": days,
            "days_in_month": dim,
        },
    )


# -- rank bonus -------------------------------------------------------------------------------
def leaders(values: Mapping[str, int | Fraction | None]) -> tuple[int | Fraction | None, list[str]]:
    """The highest value above 0 and every agent holding it (ties all lead)."""
    known = [v for v in values.values() if v is not None]
    best = max(known) if known else None
    if best is None or best <= 0:
        return best, []
    return best, sorted(a for a, v in values.items() if v == best)


def rank_line(
    spec: RankSpec,
    agent_id: str,
    values: Mapping[str, int | Fraction | None],
    component: str = "rank_bonus",
    parts_of: Mapping[str, Mapping[str, int]] | None = None,
) -> Line:
    """+amount to the agent(s) with the highest value of the metric among those paid (ties all)."""
    best, winners = leaders(values)
    mine = values.get(agent_id)
    won = agent_id in winners
    parts_of = parts_of or {}
    m = spec.metric
    return Line(
        component,
        spec.amount_fen if won else 0,
        "paid" if won else "not_paid",
        {
            "metric": m,
            "value": exact_json(mine),
            "highest": exact_json(best),
            "leaders": winners,
            "amount_fen": spec.amount_fen,
        },
        rank_counted(m, agent_id, winners, parts_of),
    )


def rank_counted(
    metric: str, agent_id: str, winners: Sequence[str], parts_of: Mapping[str, Mapping[str, int]]
) -> Counted:
    """The counts behind the agent's value and the highest one, when the metric is a rate."""
    out: Counted = {}
    if metric not in RATE_BY_NAME:
        return out
    if agent_id in parts_of:
        out["agent"] = counts(parts_of[agent_id], [metric])
    if winners and winners[0] in parts_of:
        out["highest"] = counts(parts_of[winners[0]], [metric])
    return out


# -- commission -------------------------------------------------------------------------------
def mix_weights(mix: Sequence[MixBand], tenure: int) -> MixBand:
    return next(b for b in mix if b.lower <= tenure and (b.upper is None or tenure < b.upper))


StageSplit = Mapping[tuple[str, str], int]  # (buyer kind, product stage) -> fen
BUYER_KINDS = ("new", "returning")
STAGES = ("new", "established")


def stage_weight(spec: CommissionSpec, kind: str, stage: str, tenure: int | None) -> Fraction:
    """The weight of one (buyer kind × product stage): the tenure band's weight for the buyer
    kind times the product stage's factor for it (docs/pay.md)."""
    band = mix_weights(spec.mix, tenure or 0)
    w = band.new if kind == "new" else band.returning
    if spec.stages is None:
        return w
    pair = spec.stages.new_product if stage == "new" else spec.stages.established
    return w * (pair[0] if kind == "new" else pair[1])


def commission_base(
    spec: CommissionSpec,
    parts: Mapping[str, int],
    tenure: int | None,
    split: StageSplit | None = None,
) -> tuple[Fraction, dict[str, Any]]:
    """The amount the tiers apply to: one money part, or new/returning sales weighted by tenure
    (and, when the plan says so, by product stage: `split` gives the agent's sales per buyer
    kind and product stage; what it does not place counts as established)."""
    if spec.base_metric is not None:
        v = Fraction(int(parts[spec.base_metric]))
        m = spec.base_metric
        return v, {"metric": m, "base_fen": exact_json(v)}
    band = mix_weights(spec.mix, tenure or 0)
    new, ret = int(parts[spec.new_metric]), int(parts[spec.returning_metric])
    v = new * band.new + ret * band.returning
    info: dict[str, Any] = {
        "new_metric": spec.new_metric,
        "new_fen": new,
        "new_weight": exact_json(band.new),
        "returning_metric": spec.returning_metric,
        "returning_fen": ret,
        "returning_weight": exact_json(band.returning),
        "tenure_months": tenure,
        "tenure_band": [band.lower, band.upper],
        "base_fen": exact_json(v),
    }
    if spec.stages is None:
        return v, info
    cells = []
    v = Fraction(0)
    for kind, total in (("new", new), ("returning", ret)):
        placed = {st: int((split or {}).get((kind, st), 0)) for st in STAGES}
        # sales the split cannot place (no product sales: a platform's report) are established
        placed["established"] += total - sum(placed.values())
        for st in STAGES:
            w = stage_weight(spec, kind, st, tenure)
            v += placed[st] * w
            cells.append(
                {
                    "buyer": kind,
                    "stage": st,
                    "sales_fen": placed[st],
                    "weight": exact_json(w),
                }
            )
    info["new_product_months"] = spec.stages.new_months
    info["by_product_stage"] = cells
    info["base_fen"] = exact_json(v)
    return v, info


def commission_line(
    spec: CommissionSpec,
    agent_id: str,
    parts: Mapping[str, int],
    team: Mapping[str, int],
    tenure: int | None,
    target: TargetOf,
    mix: Mapping[str, Fraction | None] | None = None,
    split: StageSplit | None = None,
    component: str = "commission",
) -> Line:
    """Tiered commission on the commission base, paid only when every gate holds.

    `component` names the line: `commission`, or `assist_commission` (the same rule on what
    the agent helped colleagues sell).

    `target(agent_id, name)` gives the agent's own target for gates with reference: target;
    `mix` the team's rates on the agent's own mix for gates with reference: team_mix.
    """
    gates = [
        judge(
            g,
            parts,
            team,
            target(agent_id, g.target) if g.target else None,
            spec.min_inquiries,
            mix,
        )
        for g in spec.gates
    ]
    verdict = _overall(gates)
    counted = gate_counted(spec.gates, parts, team)
    base_metrics = (
        [spec.base_metric]
        if spec.base_metric is not None
        else [spec.new_metric, spec.returning_metric]
    )
    no_base = [m for m in base_metrics if m is not None and not available(parts, m)]
    if no_base and verdict != "fail":  # a report without the base's figure: not judged
        return Line(
            component,
            0,
            "withheld",
            {
                "gates": gates,
                "result": "not_available",
                "not_available": no_base,
                "mode": spec.mode,
                "min_inquiries": spec.min_inquiries,
            },
            counted,
        )
    base, base_info = commission_base(spec, parts, tenure, split)
    bands = tier_amounts(base, spec.tiers, spec.mode)
    would = tiered(base, spec.tiers, spec.mode)
    would_fen = round_half_up(would)
    status: Status
    if verdict == "pass":
        status, amount = "paid", would_fen
    elif verdict == "fail":
        status, amount = "not_paid", 0
    else:
        status, amount = "withheld", 0
    return Line(
        component,
        amount,
        status,
        {
            "gates": gates,
            "result": verdict,
            "commission_base": base_info,
            "mode": spec.mode,
            "tiers": bands,
            "would_pay_fen": would_fen,
            "min_inquiries": spec.min_inquiries,
        },
        counted,
    )


def gate_counted(
    gates: Sequence[Gate], parts: Mapping[str, int], team: Mapping[str, int]
) -> Counted:
    """The counts behind each rate the gates compare: the agent's, and the team's where a gate
    compares with the team."""
    metrics = [g.metric for g in gates]
    out: Counted = {"agent": counts(parts, metrics)}
    team_metrics = [g.metric for g in gates if g.reference == "team"]
    if team_metrics:
        out["team"] = counts(team, team_metrics)
    return {k: v for k, v in out.items() if v}


# -- quarterly and annual bonuses ---------------------------------------------------------------
def period_line(
    spec: PeriodSpec,
    component: str,
    agent_id: str,
    months: Sequence[str],
    parts: Mapping[str, int],
    team: Mapping[str, int],
    peers: Mapping[str, Parts],
    target: TargetOf,
    mix: Mapping[str, Fraction | None] | None = None,
) -> Line:
    """A period bonus on pooled figures: a target, then awards per metric and a rank award.

    `peers` are the pooled figures of the section's agents paid in the paying month (the
    rank award's field). Paid in the period's last month.
    """
    goal = [
        judge(
            g,
            parts,
            team,
            target(agent_id, g.target) if g.target else None,
            spec.min_inquiries,
            mix,
        )
        for g in spec.target
    ]
    reached = _overall(goal)
    awards: list[dict[str, Any]] = []
    for award in spec.awards:
        g = (
            judge(
                award.gate,
                parts,
                team,
                target(agent_id, award.gate.target) if award.gate.target else None,
                spec.min_inquiries,
                mix,
            )
            if award.gate
            else None
        )
        result = g["result"] if g else "pass"
        paid = reached == "pass" and result == "pass"
        awards.append(
            {
                "name": award.name,
                "gate": g,
                "amount_fen": award.amount_fen if paid else 0,
                "offered_fen": award.amount_fen,
                "result": result,
            }
        )
    rank: dict[str, Any] | None = None
    if spec.rank_metric is not None:
        values = {p: metric_value(pp, spec.rank_metric) for p, pp in peers.items()}
        best, winners = leaders(values)
        won = agent_id in winners and reached == "pass"
        rank = {
            "metric": spec.rank_metric,
            "value": exact_json(values.get(agent_id)),
            "highest": exact_json(best),
            "leaders": winners,
            "amount_fen": spec.rank_fen if won else 0,
            "offered_fen": spec.rank_fen,
        }
    amount = sum(a["amount_fen"] for a in awards) + (rank["amount_fen"] if rank else 0)
    any_withheld = reached in ("insufficient_data", "no_target", "not_available") or any(
        a["gate"] and a["gate"]["result"] in ("insufficient_data", "not_available") for a in awards
    )
    status: Status = "paid" if amount > 0 else ("withheld" if any_withheld else "not_paid")
    return Line(
        component,
        amount,
        status,
        {
            "period": spec.period,
            "months": list(months),
            "target": goal,
            "target_result": reached,
            "awards": awards,
            "rank_award": rank,
            "min_inquiries": spec.min_inquiries,
            "net_sales_fen": metric_value(parts, "net_sales_fen"),
            "inquiring_buyers": int(parts["inquiring_buyers"]),
        },
        _period_counted(spec, agent_id, parts, team, peers, rank),
    )


def _period_counted(
    spec: PeriodSpec,
    agent_id: str,
    parts: Mapping[str, int],
    team: Mapping[str, int],
    peers: Mapping[str, Parts],
    rank: Mapping[str, Any] | None,
) -> Counted:
    gates = [*spec.target, *(a.gate for a in spec.awards if a.gate)]
    out = gate_counted(gates, parts, team)
    if rank is not None and spec.rank_metric in RATE_BY_NAME:
        out.setdefault("agent", {}).update(counts(parts, [spec.rank_metric]))
        if rank["leaders"] and rank["leaders"][0] in peers:
            out["highest"] = counts(peers[rank["leaders"][0]], [spec.rank_metric])
    return out


def _component_order(name: str) -> tuple[int, str]:
    """Payslip order, whatever order a stored record's keys came back in."""
    order = COMPONENTS
    return (order.index(name) if name in order else len(order), name)


# -- clawback ---------------------------------------------------------------------------------
def clawback_line(
    month: str,
    run_id: int,
    approved: Mapping[str, int],
    carried_fen: int,
    recomputed: Mapping[str, int],
    parts_then: Mapping[str, int] | None,
    parts_now: Mapping[str, int] | None,
) -> Line | None:
    """The difference between a month's approved pay (plus what later runs already adjusted) and
    its recomputation with the data now; None when nothing changed."""
    paid = sum(approved.values()) + carried_fen
    now = sum(recomputed.values())
    diff = now - paid
    if diff == 0:
        return None
    changes: list[dict[str, Any]] = [
        {"component": c, "approved_fen": approved.get(c, 0), "recomputed_fen": recomputed.get(c, 0)}
        for c in sorted({*approved, *recomputed}, key=_component_order)
        if approved.get(c, 0) != recomputed.get(c, 0)
    ]
    changed_parts: list[dict[str, Any]] = []
    if parts_then is not None or parts_now is not None:
        for k in (
            "net_sales_fen",
            "refund_fen",
            "sales_fen",
            "paying_buyers",
            "reviews",
            "bad_reviews",
            "inquiring_buyers",
        ):
            a = int((parts_then or {}).get(k, 0))
            b = int((parts_now or {}).get(k, 0))
            if a != b:
                changed_parts.append({"metric": k, "then": a, "now": b})
    return Line(
        "clawback",
        diff,
        "adjustment",
        {
            "month": month,
            "run_id": run_id,
            "approved_fen": paid - carried_fen,
            "carried_fen": carried_fen,
            "recomputed_fen": now,
            "changes": changes,
            "changed_metrics": changed_parts,
        },
    )
