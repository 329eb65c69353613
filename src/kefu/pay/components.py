"""The pay components: each a small pure function from named metrics and parameters to one line.

Every amount is computed exactly (int fen, Fraction) and rounded half-up to a whole fen once,
at the line. Gates compare exact values. A line always says why it holds its amount.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, Literal

from kefu import i18n
from kefu.i18n import both
from kefu.metrics.fields import RATE_BY_NAME, Parts, available, exact, round_half_up
from kefu.metrics.table import month_bounds
from kefu.pay.plan import (
    BaseSpec,
    CommissionSpec,
    Gate,
    MixBand,
    PeriodSpec,
    RankSpec,
    Tier,
)
from kefu.pay.text import (
    OP_TEXT,
    Text,
    component_label,
    exact_json,
    join,
    metric_label,
    money,
    parse_exact,
    rate_text,
    show,
    t,
)

Status = Literal["paid", "not_paid", "withheld", "adjustment"]
TargetOf = Callable[[str, str], int | Fraction | None]
Verdict = Literal["pass", "fail", "insufficient_data", "no_target", "not_available"]


@dataclass(frozen=True)
class Line:
    """One payslip line: its amount in whole fen, why, and every input it used (JSON-ready)."""

    component: str
    amount_fen: int
    status: Status
    explanation: Text
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_json(self, lang: str) -> dict[str, Any]:
        return {
            "component": self.component,
            "amount_fen": self.amount_fen,
            "explanation": self.explanation[lang],
            "inputs": self.inputs,
        }

    def to_record(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "amount_fen": self.amount_fen,
            "status": self.status,
            "explanation": dict(self.explanation),
            "inputs": self.inputs,
        }

    @staticmethod
    def from_record(r: Mapping[str, Any]) -> Line:
        return Line(
            r["component"], int(r["amount_fen"]), r["status"], dict(r["explanation"]), r["inputs"]
        )


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
    if metric in RATE_BY_NAME:
        return exact(parts, metric)
    if not available(parts, metric):
        return None
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
) -> dict[str, Any]:
    """One gate's verdict with the two numbers compared (JSON-ready)."""
    agent = metric_value(parts, gate.metric)
    if gate.reference == "team":
        against = metric_value(team, gate.metric)
    elif gate.reference == "target":
        against = target
    else:
        against = gate.number
    inquiries = int(parts["inquiring_buyers"])
    verdict: Verdict
    note = ""
    if not available(parts, gate.metric) or (
        gate.reference == "team" and not available(team, gate.metric)
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


def gate_text(g: Mapping[str, Any]) -> Text:
    """A gate's verdict in words, with both numbers."""
    m = g["metric"]
    a, b = parse_exact(g["agent"]), parse_exact(g["against"])
    ref_zh = {"team": "团队", "target": "目标", "number": "标准"}[g["reference"]]
    ref_en = {"team": "team", "target": "target", "number": "threshold"}[g["reference"]]
    op_zh, op_en = OP_TEXT[g["op"]]
    verdict_zh = {
        "pass": "通过",
        "fail": "未通过",
        "insufficient_data": f"数据不足(询单人数 {g['note']})",
        "no_target": "未设定目标",
        "not_available": both("reports.pay.gate_not_available")["zh"],
    }[g["result"]]
    verdict_en = {
        "pass": "pass",
        "fail": "fail",
        "insufficient_data": f"insufficient data ({g['note']} inquiring buyers)",
        "no_target": "no target set",
        "not_available": both("reports.pay.gate_not_available")["en"],
    }[g["result"]]
    if g["note"] == "not_available" and g["result"] == "pass":
        extra = both("reports.pay.gate_not_available_pass")
        verdict_zh += extra["zh"]
        verdict_en += extra["en"]
    if g["note"] == "undefined" and g["result"] in ("pass", "fail"):
        verdict_zh += "(无数据时按规则判定)"
        verdict_en += " (no data: as the plan says)"
    return t(
        f"{metric_label(m, 'zh')} {show(m, a, 'zh')} {op_zh} {ref_zh} {show(m, b, 'zh')}: {verdict_zh}",
        f"{metric_label(m, 'en')} {show(m, a, 'en')} {op_en} {ref_en} {show(m, b, 'en')}: {verdict_en}",
    )


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


def tier_text(b: Mapping[str, Any], mode: str) -> Text:
    lo = money(b["from_fen"])
    hi = "∞" if b["to_fen"] is None else money(b["to_fen"])
    rate = rate_text(Fraction(parse_exact(b["rate"]) or 0))
    base = money(Fraction(parse_exact(b["base_fen"]) or 0))
    amt = money(Fraction(parse_exact(b["amount_fen"]) or 0))
    return t(f"[{lo}, {hi}) {base} × {rate} = {amt}", f"[{lo}, {hi}) {base} × {rate} = {amt}")


# -- base ladder ------------------------------------------------------------------------------
def base_line(spec: BaseSpec, hired_on: date | None, left_on: date | None, month: str) -> Line:
    """Base amount plus tenure steps (capped), prorated in the months of hiring and leaving."""
    tenure = tenure_months(hired_on, month)
    steps = min((tenure or 0) // spec.step_months, spec.max_steps)
    monthly = spec.amount_fen + steps * spec.step_fen
    days, dim = days_employed(hired_on, left_on, month) if spec.prorate else (1, 1)
    exact_amount = Fraction(monthly * days, dim)
    amount = round_half_up(exact_amount)
    capped = (tenure or 0) // spec.step_months > spec.max_steps
    zh = (
        f"底薪 {money(spec.amount_fen)} + 工龄 {steps} 级 × {money(spec.step_fen)}"
        f"(工龄 {tenure if tenure is not None else '未知, 按 0'} 个月, 每 {spec.step_months} 个月一级,"
        f" 最多 {spec.max_steps} 级{', 已封顶' if capped else ''}) = {money(monthly)}"
    )
    en = (
        f"base {money(spec.amount_fen)} + {steps} tenure step(s) × {money(spec.step_fen)}"
        f" (tenure {tenure if tenure is not None else 'unknown, taken as 0'} months, one step per"
        f" {spec.step_months} months, at most {spec.max_steps}{', capped' if capped else ''})"
        f" = {money(monthly)}"
    )
    if days != dim:
        zh += f"; 本月在职 {days}/{dim} 天, 折算为 {money(amount)}"
        en += f"; employed {days}/{dim} days this month, prorated to {money(amount)}"
    return Line(
        "base",
        amount,
        "paid",
        t(zh, en),
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
) -> Line:
    """+amount to the agent(s) with the highest value of the metric among those paid (ties all)."""
    best, winners = leaders(values)
    mine = values.get(agent_id)
    won = agent_id in winners
    m = spec.metric
    label_zh, label_en = metric_label(m, "zh"), metric_label(m, "en")
    if won:
        tie_zh = f", 与 {len(winners) - 1} 人并列" if len(winners) > 1 else ""
        tie_en = f", tied with {len(winners) - 1} other(s)" if len(winners) > 1 else ""
        text = t(
            f"{label_zh} {show(m, mine, 'zh')} 为第一{tie_zh}: +{money(spec.amount_fen)}",
            f"{label_en} {show(m, mine, 'en')} is the highest{tie_en}: +{money(spec.amount_fen)}",
        )
    elif best is None or best <= 0:
        text = t(
            f"无人{label_zh}高于 0, 不发排名奖",
            f"nobody's {label_en} is above 0: no rank bonus",
        )
    else:
        text = t(
            f"{label_zh} {show(m, mine, 'zh')}, 第一名为 {show(m, best, 'zh')}: 不发",
            f"{label_en} {show(m, mine, 'en')}; the highest is {show(m, best, 'en')}: not paid",
        )
    return Line(
        component,
        spec.amount_fen if won else 0,
        "paid" if won else "not_paid",
        text,
        {
            "metric": m,
            "value": exact_json(mine),
            "highest": exact_json(best),
            "leaders": winners,
            "amount_fen": spec.amount_fen,
        },
    )


# -- commission -------------------------------------------------------------------------------
def mix_weights(mix: Sequence[MixBand], tenure: int) -> MixBand:
    return next(b for b in mix if b.lower <= tenure and (b.upper is None or tenure < b.upper))


def commission_base(
    spec: CommissionSpec, parts: Mapping[str, int], tenure: int | None
) -> tuple[Fraction, dict[str, Any], Text]:
    """The amount the tiers apply to: one money part, or new/returning sales weighted by tenure."""
    if spec.base_metric is not None:
        v = Fraction(int(parts[spec.base_metric]))
        m = spec.base_metric
        return (
            v,
            {"metric": m, "base_fen": exact_json(v)},
            t(
                f"提成基数 = {metric_label(m, 'zh')} {money(v)}",
                f"commission base = {metric_label(m, 'en')} {money(v)}",
            ),
        )
    band = mix_weights(spec.mix, tenure or 0)
    new, ret = int(parts[spec.new_metric]), int(parts[spec.returning_metric])
    v = new * band.new + ret * band.returning
    hi = "∞" if band.upper is None else str(band.upper)
    info = {
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
    text = t(
        f"提成基数 = 新客 {money(new)} × {exact_json(band.new)} + 老客 {money(ret)} ×"
        f" {exact_json(band.returning)} = {money(v)}(工龄 {tenure if tenure is not None else 0}"
        f" 个月, 属 [{band.lower}, {hi}) 档)",
        f"commission base = new buyers {money(new)} × {exact_json(band.new)} + returning"
        f" {money(ret)} × {exact_json(band.returning)} = {money(v)} (tenure"
        f" {tenure if tenure is not None else 0} months, band [{band.lower}, {hi}))",
    )
    return v, info, text


def commission_line(
    spec: CommissionSpec,
    agent_id: str,
    parts: Mapping[str, int],
    team: Mapping[str, int],
    tenure: int | None,
    target: TargetOf,
) -> Line:
    """Tiered commission on the commission base, paid only when every gate holds.

    `target(agent_id, name)` gives the agent's own target for gates with reference: target.
    """
    gates = [
        judge(g, parts, team, target(agent_id, g.target) if g.target else None, spec.min_inquiries)
        for g in spec.gates
    ]
    base_metrics = (
        [spec.base_metric]
        if spec.base_metric is not None
        else [spec.new_metric, spec.returning_metric]
    )
    no_base = [m for m in base_metrics if m is not None and not available(parts, m)]
    base, base_info, base_text = commission_base(spec, parts, tenure)
    bands = tier_amounts(base, spec.tiers, spec.mode)
    would = tiered(base, spec.tiers, spec.mode)
    would_fen = round_half_up(would)
    verdict = _overall(gates)
    mode_zh = "超额累进" if spec.mode == "marginal" else "全额累进"
    mode_en = "marginal tiers" if spec.mode == "marginal" else "whole-amount tiers"
    used = [b for b in bands if b["base_fen"] not in (0, "0")]
    tiers_text = (
        join([tier_text(b, spec.mode) for b in used], (" + ", " + ")) if used else t("0", "0")
    )
    calc = join(
        [
            base_text,
            t(
                f"{mode_zh}: {tiers_text['zh']} = {money(would)}",
                f"{mode_en}: {tiers_text['en']} = {money(would)}",
            ),
        ]
    )
    gates_text = join([gate_text(g) for g in gates]) if gates else t("无门槛", "no gates")
    if no_base and verdict != "fail":
        missing = {
            lang: i18n.t(
                "reports.pay.base_not_available",
                lang,
                fields=", ".join(metric_label(m, lang) for m in no_base),
            )
            for lang in ("zh", "en")
        }
        return Line(
            "commission",
            0,
            "withheld",
            join([missing, t(f"({gates_text['zh']})", f"({gates_text['en']})")]),
            {
                "gates": gates,
                "result": "not_available",
                "not_available": no_base,
                "mode": spec.mode,
                "min_inquiries": spec.min_inquiries,
            },
        )
    if verdict == "pass":
        status: Status = "paid"
        amount = would_fen
        head = t(f"门槛全部通过({gates_text['zh']})", f"all gates hold ({gates_text['en']})")
    elif verdict == "fail":
        status, amount = "not_paid", 0
        head = t(
            f"门槛未全部通过, 不发提成({gates_text['zh']})",
            f"a gate fails: no commission ({gates_text['en']})",
        )
    elif verdict == "insufficient_data":
        status, amount = "withheld", 0
        n, need = int(parts["inquiring_buyers"]), spec.min_inquiries
        head = t(
            f"数据不足, 暂不发放: 询单人数 {n} 少于 {need}, 比率门槛不予判定({gates_text['zh']})",
            f"withheld for insufficient data: {n} inquiring buyers, fewer than {need}, so the"
            f" rate gates are not judged ({gates_text['en']})",
        )
    elif verdict == "not_available":
        status, amount = "withheld", 0
        w = both("reports.pay.gates_not_available")
        head = t(f"{w['zh']}({gates_text['zh']})", f"{w['en']} ({gates_text['en']})")
    else:
        status, amount = "withheld", 0
        head = t(
            f"未设定目标, 暂不发放({gates_text['zh']})",
            f"withheld: no target set for this agent ({gates_text['en']})",
        )
    if status != "paid":
        calc = t(
            f"若通过应为 {money(would)}: {calc['zh']}",
            f"would have been {money(would)}: {calc['en']}",
        )
    return Line(
        "commission",
        amount,
        status,
        join([head, calc]),
        {
            "gates": gates,
            "result": verdict,
            "commission_base": base_info,
            "mode": spec.mode,
            "tiers": bands,
            "would_pay_fen": would_fen,
            "min_inquiries": spec.min_inquiries,
        },
    )


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
) -> Line:
    """A period bonus on pooled figures: a target, then awards per metric and a rank award.

    `peers` are the pooled figures of the section's agents paid in the paying month (the
    rank award's field). Paid in the period's last month.
    """
    period_zh = "本季度" if spec.period == "quarter" else "本年度"
    period_en = "the quarter" if spec.period == "quarter" else "the year"
    goal = [
        judge(g, parts, team, target(agent_id, g.target) if g.target else None, spec.min_inquiries)
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
    goal_text = join([gate_text(g) for g in goal]) if goal else t("无", "none")
    pieces: list[Text] = [
        t(
            f"{period_zh}({months[0]}–{months[-1]}) 目标: {goal_text['zh']}",
            f"{period_en} ({months[0]}–{months[-1]}) target: {goal_text['en']}",
        )
    ]
    any_withheld = reached in ("insufficient_data", "no_target", "not_available")
    if reached != "pass":
        pieces.append(
            t("目标未达成, 本期奖金不发", "target not reached: no bonus for the period")
            if reached == "fail"
            else t("目标数据不足或未设定, 暂不发放", "withheld: the target cannot be judged")
        )
    for item in awards:
        g = item["gate"]
        gain = money(item["amount_fen"])
        if g:
            gt = gate_text(g)
            if g["result"] in ("insufficient_data", "not_available"):
                any_withheld = True
            pieces.append(t(f"奖项 {gt['zh']} → +{gain}", f"award: {gt['en']} → +{gain}"))
        else:
            pieces.append(
                t(
                    f"奖项 {item['name']}: 达成目标 → +{gain}",
                    f"award {item['name']}: target reached → +{gain}",
                )
            )
    if rank:
        m = rank["metric"]
        best_v = parse_exact(rank["highest"])
        mine_v = parse_exact(rank["value"])
        pieces.append(
            t(
                f"排名奖: {metric_label(m, 'zh')} {show(m, mine_v, 'zh')}, 最高 {show(m, best_v, 'zh')} → +{money(rank['amount_fen'])}",
                f"rank award: {metric_label(m, 'en')} {show(m, mine_v, 'en')}, highest {show(m, best_v, 'en')} → +{money(rank['amount_fen'])}",
            )
        )
    if any_withheld:
        pieces.append(
            t(
                f"询单人数 {parts['inquiring_buyers']} 少于 {spec.min_inquiries} 的比率项数据不足, 暂不发放",
                f"rate items with {parts['inquiring_buyers']} inquiring buyers (fewer than"
                f" {spec.min_inquiries}) are withheld for insufficient data",
            )
            if any(
                g["result"] == "insufficient_data"
                for g in goal + [a["gate"] for a in awards if a["gate"]]
            )
            else t("未设定目标的项暂不发放", "items without a target are withheld")
        )
    status: Status = "paid" if amount > 0 else ("withheld" if any_withheld else "not_paid")
    return Line(
        component,
        amount,
        status,
        join(pieces),
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
    )


def _component_order(name: str) -> tuple[int, str]:
    """Payslip order, whatever order a stored record's keys came back in."""
    order = ("base", "rank_bonus", "commission", "quarterly_bonus", "annual_bonus")
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
    comp_zh = ", ".join(
        f"{component_label(c['component'], 'zh')} {money(c['approved_fen'])} → {money(c['recomputed_fen'])}"
        for c in changes
    )
    comp_en = ", ".join(
        f"{component_label(c['component'], 'en')} {money(c['approved_fen'])} → {money(c['recomputed_fen'])}"
        for c in changes
    )
    why_zh = ", ".join(
        f"{metric_label(p['metric'], 'zh')} {show(p['metric'], p['then'], 'zh')} → {show(p['metric'], p['now'], 'zh')}"
        for p in changed_parts
    )
    why_en = ", ".join(
        f"{metric_label(p['metric'], 'en')} {show(p['metric'], p['then'], 'en')} → {show(p['metric'], p['now'], 'en')}"
        for p in changed_parts
    )
    zh = (
        f"{month} 工资已审批(第 {run_id} 次核算)并发放 {money(paid)}"
        f"{f'(含此后已调整 {money(carried_fen)})' if carried_fen else ''}; 按现有数据重算为 {money(now)}"
        f"{f'({comp_zh})' if comp_zh else ''}"
        f"{f', 原因: 数据变化 {why_zh}' if why_zh else ''}: {'追回' if diff < 0 else '补发'} {money(abs(diff))}"
    )
    en = (
        f"{month} was approved (run {run_id}) and paid {money(paid)}"
        f"{f' (including {money(carried_fen)} adjusted since)' if carried_fen else ''}; recomputed with the"
        f" data now it is {money(now)}{f' ({comp_en})' if comp_en else ''}"
        f"{f', because {why_en}' if why_en else ''}: {'taken back' if diff < 0 else 'topped up'} {money(abs(diff))}"
    )
    return Line(
        "clawback",
        diff,
        "adjustment",
        t(zh, en),
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
