"""Payroll runs: freeze a month's inputs with its plan, recompute them bit for bit, settle
approved months (clawback), and show what a recomputation with today's data would change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kefu.metrics.table import KpiSource, ShopMonth
from kefu.pay.components import Explain
from kefu.pay.compute import MonthPay, Note, Settled, months_needed, pay_month, settle_date
from kefu.pay.frozen import shop_month_from_json, shop_month_to_json
from kefu.pay.plan import Plan, parse_plan
from kefu.store.payroll import PayrollRuns, RunLine, RunRecord, canonical_json, sha256


@dataclass(frozen=True)
class Prepared:
    """A run before it is stored: its inputs (frozen data and settled months) and its pay."""

    plan: Plan
    inputs: dict[str, Any]
    pay: MonthPay
    warnings: tuple[Note, ...]


def settled_from_runs(runs: Sequence[RunRecord], shop_id: str, month: str) -> list[Settled]:
    """Approved months before `month`, with what each agent was paid then and adjusted since."""
    approved = [r for r in runs if r.approved and r.shop_id == shop_id]
    out = []
    for run in approved:
        if run.month >= month:
            continue
        res = run.results
        paid: dict[str, dict[str, int]] = {}
        names: dict[str, str] = {}
        for a in res["agents"]:
            names[a["agent_id"]] = a["name"]
            comp = paid.setdefault(a["agent_id"], {})
            for line in a["lines"]:
                if line["component"] != "clawback":
                    comp[line["component"]] = comp.get(line["component"], 0) + int(
                        line["amount_fen"]
                    )
        carried: dict[str, int] = {}
        for other in approved:
            for a in other.results["agents"]:
                for line in a["lines"]:
                    if line["component"] == "clawback" and line["inputs"].get("month") == run.month:
                        carried[a["agent_id"]] = carried.get(a["agent_id"], 0) + int(
                            line["amount_fen"]
                        )
        then = run.inputs["shop_months"].get(run.month)
        parts = {a["agent_id"]: a["parts"] for a in then["agents"]} if then else {}
        out.append(
            Settled(
                run.month,
                run.run_id,
                parse_plan(run.plan_text, run.plan_source),
                paid,
                carried,
                parts,
                names,
            )
        )
    return sorted(out, key=lambda s: s.month)


def _settled_json(s: Settled) -> dict[str, Any]:
    return {
        "month": s.month,
        "run_id": s.run_id,
        "plan_source": s.plan.source,
        "plan_text": s.plan.text,
        "approved": s.approved,
        "carried": s.carried,
        "parts": s.parts,
        "names": s.names,
    }


def _settled_from_json(r: Mapping[str, Any]) -> Settled:
    return Settled(
        r["month"],
        int(r["run_id"]),
        parse_plan(r["plan_text"], r["plan_source"]),
        {a: {c: int(v) for c, v in comps.items()} for a, comps in r["approved"].items()},
        {a: int(v) for a, v in r["carried"].items()},
        {a: {k: int(v) for k, v in p.items()} for a, p in r["parts"].items()},
        dict(r["names"]),
    )


def prepare(
    plan: Plan,
    shop_id: str,
    month: str,
    source: KpiSource,
    runs: Sequence[RunRecord] = (),
    today: date | None = None,
) -> Prepared:
    """Fetch, freeze and pay a month, with the clawback lines its settled months call for."""
    settled = settled_from_runs(runs, shop_id, month)
    data = source.shop_months(shop_id, months_needed(plan, month, settled))
    inputs = {
        "shop_id": shop_id,
        "month": month,
        "shop_months": {
            m: shop_month_to_json(sm, strata=plan.needs_strata, products=plan.needs_products)
            for m, sm in sorted(data.items())
        },
        "settled": [_settled_json(s) for s in settled],
    }
    pay = pay_from_inputs(plan, inputs)
    warnings = list(pay.warnings)
    settle_days = plan.at(month).settle_days
    ready = settle_date(month, settle_days)
    if today is not None and today < ready:
        warnings.insert(
            0,
            Note(
                "pay.warn.not_settled",
                {"month": month, "days": settle_days, "ready": ready.isoformat()},
            ),
        )
    return Prepared(plan, inputs, pay, tuple(warnings))


def pay_from_inputs(plan: Plan, inputs: Mapping[str, Any]) -> MonthPay:
    """Pay from frozen inputs only: what makes a stored run reproducible without the data."""
    data: dict[str, ShopMonth] = {
        m: shop_month_from_json(r) for m, r in inputs["shop_months"].items()
    }
    settled = [_settled_from_json(s) for s in inputs["settled"]]
    return pay_month(plan, inputs["shop_id"], inputs["month"], data, settled)


def store_run(
    runs: PayrollRuns, prepared: Prepared, created_at: datetime, explain: Explain
) -> RunRecord:
    """Store a run; each line's explanation is rendered now, in both languages, by `explain`."""
    pay = prepared.pay
    lines = []
    for a in pay.agents:
        for i, line in enumerate(a.lines):
            text = explain(line)
            lines.append(
                RunLine(
                    a.agent_id,
                    i,
                    line.component,
                    line.amount_fen,
                    line.inputs.get("month") if line.component == "clawback" else pay.month,
                    text["zh"],
                    text["en"],
                    line.inputs,
                )
            )
    return runs.add(
        shop_id=pay.shop_id,
        month=pay.month,
        plan_name=prepared.plan.name,
        plan_version=prepared.plan.version,
        plan_source=prepared.plan.source,
        plan_text=prepared.plan.text,
        inputs=prepared.inputs,
        results=pay.to_record(),
        total_fen=pay.total_fen,
        warnings=[w.both() for w in prepared.warnings],
        lines=lines,
        created_at=created_at,
    )


def reproduce(run: RunRecord) -> tuple[bool, MonthPay]:
    """Recompute a stored run from its stored plan and inputs; True when bit for bit equal.

    Runs stored before lines were typed values hold sentences in their results: those are
    compared on everything but the words (agents, components, amounts, statuses, inputs)."""
    plan = parse_plan(run.plan_text, run.plan_source)
    pay = pay_from_inputs(plan, run.inputs)
    now = pay.to_record()
    if sha256(canonical_json(now)) == run.results_sha256:
        return True, pay
    same = run.intact() and canonical_json(_pay_only(now)) == canonical_json(_pay_only(run.results))
    return same, pay


def _pay_only(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stored result without its words: what was paid, to whom, why (as values)."""
    keys = ("component", "amount_fen", "status", "inputs")
    return {
        **{k: record[k] for k in ("shop_id", "month", "plan", "plan_since", "total_fen")},
        "paid_net_sales_fen": record["paid_net_sales_fen"],
        "agents": [
            {
                **{k: a[k] for k in ("agent_id", "name", "role", "total_fen")},
                "lines": [{k: x[k] for k in keys} for x in a["lines"]],
            }
            for a in record["agents"]
        ],
    }


@dataclass(frozen=True)
class Change:
    agent_id: str
    name: str
    component: str
    stored_fen: int
    now_fen: int

    @property
    def delta_fen(self) -> int:
        return self.now_fen - self.stored_fen


def diff(
    run: RunRecord, source: KpiSource, runs: Sequence[RunRecord]
) -> tuple[MonthPay, list[Change]]:
    """What recomputing the run's month with its plan and today's data would change."""
    plan = parse_plan(run.plan_text, run.plan_source)
    others = [r for r in runs if r.run_id != run.run_id]
    now = prepare(plan, run.shop_id, run.month, source, others).pay
    then = MonthPay.from_record(run.results)
    changes: list[Change] = []
    agents = sorted({a.agent_id for a in then.agents} | {a.agent_id for a in now.agents})
    for agent_id in agents:
        a0, a1 = then.agent(agent_id), now.agent(agent_id)
        known = a1 or a0
        name = known.name if known is not None else agent_id
        c0 = _sums(a0.lines if a0 else ())
        c1 = _sums(a1.lines if a1 else ())
        for comp in dict.fromkeys([*c0, *c1]):
            if c0.get(comp, 0) != c1.get(comp, 0):
                changes.append(Change(agent_id, name, comp, c0.get(comp, 0), c1.get(comp, 0)))
    return now, changes


def _sums(lines: Sequence[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in lines:
        out[line.component] = out.get(line.component, 0) + line.amount_fen
    return out
