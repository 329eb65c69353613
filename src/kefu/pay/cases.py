"""Payslip cases: a plan, a period, input metrics and the expected lines, in YAML.

Run by pytest (tests/test_pay_cases.py) and by `kefu plan test FILE…`, so that a shop can pin
its own plan's behaviour. The format is in docs/pay.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kefu.i18n import Refusal
from kefu.metrics.fields import PARTS, empty_parts
from kefu.metrics.table import AgentMonth, ShopMonth
from kefu.month import Month
from kefu.pay.components import Explain, Line
from kefu.pay.compute import ORDER, MonthPay, Settled, months_needed, pay_month
from kefu.pay.plan import SHIPPED, Plan, PlanError, load_plan, parse_yaml


class CaseError(ValueError):
    """A case file that cannot be used: which file, case and key, and why (a catalogue refusal)."""

    def __init__(self, file: str, case: str, key: str, why: Refusal) -> None:
        self.file, self.case, self.key, self.why = file, case, key, why
        self.reason = str(why)
        super().__init__(self.text("en"))

    def text(self, lang: str | None = None) -> str:
        return f"{self.file}: case {self.case!r}: {self.key}: {self.why.text(lang)}"


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    plan_ref: str
    period: str
    input: dict[str, Any]
    output: dict[str, Any]


@dataclass
class CaseResult:
    case: Case
    problems: list[str] = field(default_factory=list)
    pay: MonthPay | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def load_cases(path: str | Path) -> list[Case]:
    p = Path(path)
    try:
        tree = parse_yaml(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise CaseError(str(p), "", "", Refusal("case.err.read", error=str(e))) from None
    except Exception as e:
        raise CaseError(str(p), "", "", Refusal("case.err.yaml", error=str(e))) from None
    if isinstance(tree, dict) and "cases" in tree:
        tree = tree["cases"]
    if not isinstance(tree, list):
        raise CaseError(str(p), "", "", Refusal("case.err.list"))
    out = []
    for i, raw in enumerate(tree):
        name = str(raw.get("name", f"#{i + 1}")) if isinstance(raw, dict) else f"#{i + 1}"
        if not isinstance(raw, dict):
            raise CaseError(str(p), name, "", Refusal("case.err.mapping"))
        extra = set(raw) - {"name", "plan", "period", "input", "output", "approved"}
        if extra:
            raise CaseError(str(p), name, ", ".join(sorted(extra)), Refusal("case.err.unknown_key"))
        period = str(raw.get("period", ""))
        if not Month.valid(period):
            raise CaseError(str(p), name, "period", Refusal("case.err.month", value=repr(period)))
        for key in ("plan", "input", "output"):
            if key not in raw:
                raise CaseError(str(p), name, key, Refusal("case.err.missing"))
        inp = dict(raw["input"] or {})
        if "approved" in raw:
            inp["approved"] = raw["approved"]
        out.append(Case(str(p), name, str(raw["plan"]), period, inp, dict(raw["output"] or {})))
    return out


def _plan(case: Case) -> Plan:
    ref = case.plan_ref
    if ref in SHIPPED:
        return load_plan(ref)
    return load_plan(str(Path(case.file).parent / ref))


def _day(case: Case, key: str, v: Any) -> date | None:
    if v in (None, ""):
        return None
    try:
        return date.fromisoformat(str(v))
    except ValueError:
        raise CaseError(case.file, case.name, key, Refusal("case.err.day", value=repr(v))) from None


def case_data(case: Case, months: list[str]) -> dict[str, ShopMonth]:
    """The case's input metrics as KPI months: every agent employed in a month has a row."""
    shop = str(case.input.get("shop_id", "case-shop"))
    agents = case.input.get("agents") or []
    if not isinstance(agents, list):
        raise CaseError(case.file, case.name, "input.agents", Refusal("case.err.agents"))
    net = case.input.get("paid_net_sales_fen") or {}
    given = {str(m) for a in agents for m in (a.get("months") or {})}
    out: dict[str, ShopMonth] = {}
    for month in sorted(set(months) | given):
        rows: list[AgentMonth] = []
        for i, a in enumerate(agents):
            key = f"input.agents[{i}]"
            if "agent_id" not in a:
                raise CaseError(case.file, case.name, key, Refusal("case.err.agent_id"))
            extra = set(a) - {
                "agent_id",
                "name",
                "role",
                "team",
                "hired_on",
                "left_on",
                "known",
                "months",
            }
            if extra:
                raise CaseError(
                    case.file,
                    case.name,
                    f"{key}.{sorted(extra)[0]}",
                    Refusal("case.err.unknown_key"),
                )
            monthly = (a.get("months") or {}).get(month)
            parts = empty_parts()
            for k, v in (monthly or {}).items():
                if k not in PARTS:
                    raise CaseError(
                        case.file,
                        case.name,
                        f"{key}.months.{month}.{k}",
                        Refusal("case.err.not_part"),
                    )
                if isinstance(v, bool) or not isinstance(v, int):
                    raise CaseError(
                        case.file,
                        case.name,
                        f"{key}.months.{month}.{k}",
                        Refusal("case.err.integer"),
                    )
                parts[k] = v
            if monthly is not None and "net_sales_fen" not in monthly:
                parts["net_sales_fen"] = parts["sales_fen"] - parts["refund_fen"]
            row = AgentMonth(
                shop,
                month,
                str(a["agent_id"]),
                str(a.get("name") or a["agent_id"]),
                str(a.get("role") or "presale"),
                a.get("team"),
                _day(case, f"{key}.hired_on", a.get("hired_on")),
                _day(case, f"{key}.left_on", a.get("left_on")),
                bool(a.get("known", True)),
                parts,
            )
            if monthly is not None or row.employed:
                rows.append(row)
        paid_net = net.get(month, sum(r.parts["net_sales_fen"] for r in rows))
        out[month] = ShopMonth(
            shop, month, False, False, rows, 0, 0, 0, paid_net, int(paid_net), 0, 0
        )
    return out


def _settled(case: Case, plan: Plan) -> list[Settled]:
    out = []
    for i, s in enumerate(case.input.get("approved") or []):
        month = str(s.get("month", ""))
        if not Month.valid(month):
            raise CaseError(
                case.file, case.name, f"approved[{i}].month", Refusal("case.err.month_form")
            )
        out.append(
            Settled(
                month,
                int(s.get("run_id", i + 1)),
                plan,
                {
                    a: {c: int(v) for c, v in comps.items()}
                    for a, comps in (s.get("lines") or {}).items()
                },
                {a: int(v) for a, v in (s.get("carried") or {}).items()},
            )
        )
    return out


def run_case(case: Case, explain: Explain) -> CaseResult:
    """Run one case; `explain` renders lines for `explanation_contains` (kefu.report.payslip)."""
    result = CaseResult(case)
    try:
        plan = _plan(case)
        settled = _settled(case, plan)
        data = case_data(case, months_needed(plan, case.period, settled))
        pay = pay_month(
            plan, str(case.input.get("shop_id", "case-shop")), case.period, data, settled
        )
    except (PlanError, CaseError) as e:
        result.problems.append(str(e))
        return result
    result.pay = pay
    expected = case.output
    agents = expected.get("agents", {}) or {}
    for agent_id, want in agents.items():
        got = pay.agent(str(agent_id))
        if want is None:
            if got is not None:
                result.problems.append(f"{agent_id}: expected not paid, got {got.total_fen} fen")
            continue
        if got is None:
            result.problems.append(f"{agent_id}: expected to be paid, but is not")
            continue
        _check_agent(result, str(agent_id), want, got.lines, got.total_fen, explain)
    if "total_fen" in expected and int(expected["total_fen"]) != pay.total_fen:
        result.problems.append(f"total_fen: expected {expected['total_fen']}, got {pay.total_fen}")
    return result


def _check_agent(
    result: CaseResult,
    agent_id: str,
    want: Mapping[str, Any],
    lines: tuple[Line, ...],
    total: int,
    explain: Explain,
) -> None:
    by: dict[str, list[Line]] = {}
    for line in lines:
        by.setdefault(line.component, []).append(line)
    for key, exp in want.items():
        if key == "total":
            if int(exp) != total:
                result.problems.append(f"{agent_id}.total: expected {exp}, got {total}")
            continue
        if key not in ORDER:
            result.problems.append(f"{agent_id}.{key}: not a component ({', '.join(ORDER)}, total)")
            continue
        got = by.get(key, [])
        if exp == "absent":
            if got:
                result.problems.append(f"{agent_id}.{key}: expected no line, got {len(got)}")
            continue
        if not got:
            result.problems.append(f"{agent_id}.{key}: expected a line, got none")
            continue
        amount = sum(x.amount_fen for x in got)
        spec = exp if isinstance(exp, dict) else {"amount_fen": exp}
        if "amount_fen" in spec and int(spec["amount_fen"]) != amount:
            result.problems.append(
                f"{agent_id}.{key}: expected {spec['amount_fen']} fen, got {amount}"
                f" ({explain(got[0])['en']})"
            )
        if "status" in spec and spec["status"] != got[0].status:
            result.problems.append(
                f"{agent_id}.{key}: expected status {spec['status']}, got {got[0].status}"
            )
        contains = spec.get("explanation_contains", [])
        for text in [contains] if isinstance(contains, str) else contains:
            said = [explain(x) for x in got]
            if not any(text in x["zh"] or text in x["en"] for x in said):
                result.problems.append(
                    f"{agent_id}.{key}: explanation lacks {text!r}: {said[0]['en']}"
                )
        for metric, verdict in (spec.get("gates") or {}).items():
            gates = got[0].inputs.get("gates") or got[0].inputs.get("target") or []
            found = [g["result"] for g in gates if g["metric"] == metric]
            for a in got[0].inputs.get("awards") or []:
                if a.get("gate") and a["gate"]["metric"] == metric:
                    found.append(a["gate"]["result"])
            if verdict not in found:
                result.problems.append(
                    f"{agent_id}.{key}: gate {metric} expected {verdict}, got {found or 'none'}"
                )


def run_file(path: str | Path, explain: Explain) -> list[CaseResult]:
    try:
        cases = load_cases(path)
    except CaseError as e:
        dummy = Case(str(path), e.case or "(file)", "", "", {}, {})
        return [CaseResult(dummy, [str(e)])]
    return [run_case(c, explain) for c in cases]
