"""Pay lines in words: each line's sentence rendered from its typed value, the payslip (text or
HTML) and the `kefu pay --format json` document.

Components (kefu.pay.components) compute; this module only speaks, through the message
catalogue (pay.po). Every figure shows what was counted: a rate with its numerator and
denominator (`56.14% (128/228 人)`), never a reduced fraction. A payslip says whether it is a
trial (试算: computed without a payroll run), a run waiting for approval, or an approved run: only the
last says 已发放 / paid.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Literal

from kefu import i18n
from kefu.metrics.fields import RATE_BY_NAME
from kefu.metrics.labels import label
from kefu.pay.components import Line
from kefu.pay.compute import AgentPay, MonthPay
from kefu.pay.text import Text, money, parse_exact, percent, rate_text, two_decimals
from kefu.store.payroll import RunLine, RunRecord

State = Literal["trial", "pending", "approved"]  # what a payslip shows: see module docstring
OP_SIGN = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}
Counts = Mapping[str, Sequence[int]]


# -- figures ------------------------------------------------------------------------------------
def component_label(name: str, lang: str | None) -> str:
    return i18n.t(f"pay.component.{name}", lang)


def show(
    metric: str, v: int | Fraction | None, lang: str | None, counted: Counts | None = None
) -> str:
    """A metric's value for people: money in yuan, rates in %, each rate with the counts it
    divides when they are known."""
    if v is None:
        return i18n.t("pay.no_data", lang)
    rate = RATE_BY_NAME.get(metric)
    if rate is None:
        return money(int(v)) if metric.endswith("_fen") else f"{int(v):,}"
    f = Fraction(v)
    if rate.kind == "fraction":
        text = percent(f)
    elif metric.endswith("_fen"):
        text = money(f)
    else:
        text = two_decimals(f)
    parts = (counted or {}).get(metric)
    if parts is None:
        return text
    num, den = parts
    return i18n.t(f"pay.counted.{metric}", lang, value=text, num=f"{num:,}", den=f"{den:,}")


def _join(texts: Sequence[str], lang: str | None, key: str = "pay.sep") -> str:
    return i18n.t(key, lang).join(texts)


def gate_text(g: Mapping[str, Any], lang: str | None, counted: Mapping[str, Counts]) -> str:
    """A gate's verdict in words, with both numbers compared and the counts behind them."""
    m = g["metric"]
    a, b = parse_exact(g["agent"]), parse_exact(g["against"])
    if g["result"] == "insufficient_data":
        n = g.get("inquiring_buyers")
        need = g.get("min_inquiries")
        if n is None or need is None:  # a run stored before gates carried both numbers
            n, _, need = str(g.get("note", "? < ?")).partition(" < ")
        verdict = i18n.t("pay.gate.insufficient_data", lang, n=n, min=need)
    elif g["result"] == "not_available":
        verdict = i18n.t("reports.pay.gate_not_available", lang)
    else:
        verdict = i18n.t(f"pay.gate.{g['result']}", lang)
    if g.get("note") == "not_available" and g["result"] == "pass":
        verdict += i18n.t("reports.pay.gate_not_available_pass", lang)
    if g.get("note") == "undefined" and g["result"] in ("pass", "fail"):
        verdict = i18n.t("pay.gate.undefined", lang, verdict=verdict)
    if g.get("note") == "no_mix":
        verdict += i18n.t("mix.pay.no_mix", lang)
    against_counts = counted.get("team") if g["reference"] == "team" else None
    return i18n.t(
        "pay.gate.line",
        lang,
        metric=label(m, lang),
        agent=show(m, a, lang, counted.get("agent")),
        op=OP_SIGN[g["op"]],
        ref=i18n.t(f"pay.ref.{g['reference']}", lang),
        against=show(m, b, lang, against_counts),
        verdict=verdict,
    )


def tier_text(b: Mapping[str, Any], lang: str | None) -> str:
    return i18n.t(
        "pay.tier",
        lang,
        lo=money(b["from_fen"]),
        hi="∞" if b["to_fen"] is None else money(b["to_fen"]),
        rate=rate_text(Fraction(parse_exact(b["rate"]) or 0)),
        base=money(Fraction(parse_exact(b["base_fen"]) or 0)),
        amount=money(Fraction(parse_exact(b["amount_fen"]) or 0)),
    )


# -- each component's sentence ------------------------------------------------------------------
def _base(line: Line, lang: str | None) -> str:
    x = line.inputs
    seats = ""
    if x.get("seats"):  # a person on several seats, or on a seat that changed hands
        listed = [
            i18n.t("people.pay.seat", lang, seat=s["agent_id"], start=s["from"], end=s["until"])
            for s in x["seats"]
        ]
        seats = " " + i18n.t("people.pay.seats", lang, seats=_join(listed, lang))
    if x.get("paid_in_shop"):
        return i18n.t("people.pay.base_elsewhere", lang, shop=x["paid_in_shop"]) + seats
    return _base_calc(line, lang) + seats


def _base_calc(line: Line, lang: str | None) -> str:
    x = line.inputs
    tenure = x["tenure_months"]
    capped = tenure is not None and tenure // x["step_months"] > x["max_steps"]
    text = i18n.t(
        "pay.base.calc",
        lang,
        base=money(x["base_fen"]),
        steps=x["steps"],
        step=money(x["step_fen"]),
        tenure=tenure if tenure is not None else i18n.t("pay.base.tenure_unknown", lang),
        step_months=x["step_months"],
        max_steps=x["max_steps"],
        capped=i18n.t("pay.base.capped", lang) if capped else "",
        monthly=money(x["monthly_fen"]),
    )
    if x["days_employed"] != x["days_in_month"]:
        text += i18n.t(
            "pay.base.prorated",
            lang,
            days=x["days_employed"],
            dim=x["days_in_month"],
            monthly=money(x["monthly_fen"]),
            amount=money(line.amount_fen),
        )
    return text


def _rank(line: Line, lang: str | None) -> str:
    x = line.inputs
    m = x["metric"]
    if x.get("not_available"):  # a month read from a report without the ranked figure
        return i18n.t("reports.pay.rank_not_available", lang, field=label(m, lang))
    mine, best = parse_exact(x["value"]), parse_exact(x["highest"])
    value = show(m, mine, lang, line.counted.get("agent"))
    if line.status == "paid":
        others = len(x["leaders"]) - 1
        tie = i18n.t("pay.rank.tie", lang, n=others) if others > 0 else ""
        amount = money(x["amount_fen"])
        return i18n.t(
            "pay.rank.won", lang, metric=label(m, lang), value=value, tie=tie, amount=amount
        )
    if best is None or best <= 0:
        return i18n.t("pay.rank.nobody", lang, metric=label(m, lang))
    highest = show(m, best, lang, line.counted.get("highest"))
    return i18n.t("pay.rank.lost", lang, metric=label(m, lang), value=value, best=highest)


def _commission_base(info: Mapping[str, Any], lang: str | None) -> str:
    base = money(Fraction(parse_exact(info["base_fen"]) or 0))
    if "metric" in info:
        return i18n.t(
            "pay.commission.base_metric", lang, metric=label(info["metric"], lang), base=base
        )
    lower, upper = info["tenure_band"]
    if "by_product_stage" in info:  # weighted by buyer kind × product stage (docs/pay.md)
        cells = [
            i18n.t(
                "pay.stage.cell",
                lang,
                buyer=i18n.t(f"pay.stage.buyer.{c['buyer']}", lang),
                stage=i18n.t(f"pay.stage.{c['stage']}", lang),
                sales=money(c["sales_fen"]),
                weight=c["weight"],
            )
            for c in info["by_product_stage"]
        ]
        return i18n.t(
            "pay.commission.base_stage",
            lang,
            cells=" + ".join(cells),
            base=base,
            tenure=info["tenure_months"] if info["tenure_months"] is not None else 0,
            lower=lower,
            upper="∞" if upper is None else upper,
            months=info["new_product_months"],
        )
    return i18n.t(
        "pay.commission.base_mix",
        lang,
        new=money(info["new_fen"]),
        new_weight=info["new_weight"],
        ret=money(info["returning_fen"]),
        ret_weight=info["returning_weight"],
        base=base,
        tenure=info["tenure_months"] if info["tenure_months"] is not None else 0,
        lower=lower,
        upper="∞" if upper is None else upper,
    )


def _commission(line: Line, lang: str | None) -> str:
    x = line.inputs
    gates = [gate_text(g, lang, line.counted) for g in x["gates"]]
    gates_text = _join(gates, lang) if gates else i18n.t("pay.no_gates", lang)
    if x["result"] == "not_available":  # a report without a gate's or the base's figures
        missing = (
            i18n.t(
                "reports.pay.base_not_available",
                lang,
                fields=", ".join(label(m, lang) for m in x["not_available"]),
            )
            if x.get("not_available")
            else i18n.t("reports.pay.gates_not_available", lang)
        )
        return i18n.t("pay.commission.not_available", lang, missing=missing, gates=gates_text)
    used = [b for b in x["tiers"] if b["base_fen"] not in (0, "0")]
    tiers = " + ".join(tier_text(b, lang) for b in used) if used else "0"
    would = sum((Fraction(parse_exact(b["amount_fen"]) or 0) for b in x["tiers"]), Fraction(0))
    calc = _join(
        [
            _commission_base(x["commission_base"], lang),
            i18n.t(
                "pay.commission.tiers",
                lang,
                mode=i18n.t(
                    "pay.mode.marginal" if x["mode"] == "marginal" else "pay.mode.whole", lang
                ),
                tiers=tiers,
                total=money(would),
            ),
        ],
        lang,
    )
    result = x["result"]
    values: dict[str, Any] = {"gates": gates_text}
    if result == "insufficient_data":
        values["n"] = next((g.get("inquiring_buyers") for g in x["gates"]), None)
        values["min"] = x["min_inquiries"]
    head = i18n.t(f"pay.commission.{result}", lang, **values)
    if line.status != "paid":
        calc = i18n.t("pay.commission.would", lang, amount=money(would), calc=calc)
    return _join([head, calc], lang)


def _period(line: Line, lang: str | None) -> str:
    x = line.inputs
    months = x["months"]
    goal = [gate_text(g, lang, line.counted) for g in x["target"]]
    pieces = [
        i18n.t(
            "pay.period.target",
            lang,
            period=i18n.t(f"pay.period.{x['period']}", lang),
            first=months[0],
            last=months[-1],
            gates=_join(goal, lang) if goal else i18n.t("pay.none", lang),
        )
    ]
    reached = x["target_result"]
    if reached == "fail":
        pieces.append(i18n.t("pay.period.not_reached", lang))
    elif reached != "pass":
        pieces.append(i18n.t("pay.period.cannot_judge", lang))
    withheld = reached in ("insufficient_data", "no_target")
    for award in x["awards"]:
        gain = money(award["amount_fen"])
        g = award["gate"]
        if g:
            withheld = withheld or g["result"] == "insufficient_data"
            text = gate_text(g, lang, line.counted)
            pieces.append(i18n.t("pay.period.award_gate", lang, gate=text, amount=gain))
        else:
            pieces.append(i18n.t("pay.period.award_plain", lang, name=award["name"], amount=gain))
    rank = x["rank_award"]
    if rank:
        m = rank["metric"]
        pieces.append(
            i18n.t(
                "pay.period.rank",
                lang,
                metric=label(m, lang),
                value=show(m, parse_exact(rank["value"]), lang, line.counted.get("agent")),
                best=show(m, parse_exact(rank["highest"]), lang, line.counted.get("highest")),
                amount=money(rank["amount_fen"]),
            )
        )
    if withheld:
        judged = [*x["target"], *(a["gate"] for a in x["awards"] if a["gate"])]
        if any(g["result"] == "insufficient_data" for g in judged):
            pieces.append(
                i18n.t(
                    "pay.period.withheld_data",
                    lang,
                    n=x["inquiring_buyers"],
                    min=x["min_inquiries"],
                )
            )
        else:
            pieces.append(i18n.t("pay.period.withheld_target", lang))
    return _join(pieces, lang)


def _clawback(line: Line, lang: str | None) -> str:
    x = line.inputs
    carried = int(x["carried_fen"])
    paid = int(x["approved_fen"]) + carried
    changes = _join(
        [
            i18n.t(
                "pay.change",
                lang,
                name=component_label(c["component"], lang),
                then=money(c["approved_fen"]),
                now=money(c["recomputed_fen"]),
            )
            for c in x["changes"]
        ],
        lang,
        "pay.list_sep",
    )
    why = _join(
        [
            i18n.t(
                "pay.change",
                lang,
                name=label(p["metric"], lang),
                then=show(p["metric"], p["then"], lang),
                now=show(p["metric"], p["now"], lang),
            )
            for p in x["changed_metrics"]
        ],
        lang,
        "pay.list_sep",
    )
    diff = line.amount_fen
    return i18n.t(
        "pay.clawback",
        lang,
        month=x["month"],
        run=x["run_id"],
        paid=money(paid),
        carried=i18n.t("pay.clawback.carried", lang, amount=money(carried)) if carried else "",
        now=money(int(x["recomputed_fen"])),
        changes=i18n.t("pay.clawback.changes", lang, list=changes) if changes else "",
        why=i18n.t("pay.clawback.why", lang, list=why) if why else "",
        action=i18n.t("pay.clawback.take_back" if diff < 0 else "pay.clawback.top_up", lang),
        diff=money(abs(diff)),
    )


def explain(line: Line, lang: str | None = None) -> str:
    """The sentence that says why a line holds its amount, with every figure it used."""
    if line.component == "base":
        return _base(line, lang)
    if line.component in ("commission", "assist_commission"):
        return _commission(line, lang)
    if line.component in ("quarterly_bonus", "annual_bonus"):
        return _period(line, lang)
    if line.component == "clawback":
        return _clawback(line, lang)
    return _rank(line, lang)


def explain_both(line: Line) -> Text:
    """The sentence in every language: what a payroll run stores beside the line."""
    return {lang: explain(line, lang) for lang in i18n.LANGS}


# -- the JSON document ---------------------------------------------------------------------------
def pay_json(pay: MonthPay, lang: str | None = "zh") -> dict[str, Any]:
    """The `kefu pay --format json` contract (issue #3): keys and their order are fixed."""
    share = pay.share
    return {
        "shop_id": pay.shop_id,
        "month": pay.month,
        "plan": pay.plan,
        "agents": [
            {
                "agent_id": a.agent_id,
                "name": a.name,
                "total_fen": a.total_fen,
                "lines": [
                    {
                        "component": x.component,
                        "amount_fen": x.amount_fen,
                        "explanation": explain(x, lang),
                        "inputs": x.inputs,
                    }
                    for x in a.lines
                ],
            }
            for a in pay.agents
        ],
        "total_fen": pay.total_fen,
        "payroll_share_of_net_sales": None if share is None else float(share),
    }


# -- the payslip ----------------------------------------------------------------------------------
def status_text(line: Line, state: State, lang: str | None) -> str:
    """Paid lines say 已发放 only on an approved run; elsewhere they are due, as a trial."""
    if line.status == "paid":
        return i18n.t(f"payslip.status.paid.{state}", lang)
    return i18n.t(f"payslip.status.{line.status}", lang)


def source_text(state: State, lang: str | None, run_id: int | None = None, at: str = "") -> str:
    if state == "trial":
        return i18n.t("payslip.source.trial", lang)
    return i18n.t(f"payslip.source.{state}", lang, run=run_id, at=at)


def from_run(
    record: RunRecord, run_lines: Sequence[RunLine], agent_id: str, lang: str
) -> tuple[MonthPay, str, State, str, dict[int, Text]]:
    """What a stored payroll run's payslip shows: (pay, plan label, state, source, the
    sentences the run stored for the agent's lines) — for `kefu payslip` and the workplace."""
    from kefu.pay.plan import parse_plan

    state: State = "approved" if record.approved else "pending"
    stored: dict[int, Text] = {
        x.seq: {"zh": x.explanation_zh, "en": x.explanation_en}
        for x in run_lines
        if x.agent_id == agent_id
    }
    return (
        MonthPay.from_record(record.results),
        parse_plan(record.plan_text, record.plan_source).label(lang),
        state,
        source_text(state, lang, record.run_id, f"{record.created_at:%Y-%m-%d %H:%M}"),
        stored,
    )


def _details(line: Line, lang: str | None) -> list[str]:
    """The sub-lines under a line: gates, awards, the rank award, tiers."""
    out: list[str] = []
    x: dict[str, Any] = line.inputs
    gate = i18n.t("payslip.gate", lang)
    for g in list(x.get("gates") or []) + list(x.get("target") or []):
        mark = {"pass": "✓", "fail": "✗"}.get(g["result"], "?")
        out.append(f"{mark} {gate}: {gate_text(g, lang, line.counted)}")
    award_word = i18n.t("payslip.award", lang)
    for a in x.get("awards") or []:
        if a.get("gate"):
            mark = {"pass": "✓", "fail": "✗"}.get(a["gate"]["result"], "?")
            text = gate_text(a["gate"], lang, line.counted)
        else:
            mark = "✓" if a["amount_fen"] else "✗"
            text = i18n.t("payslip.target_reached", lang, name=a["name"])
        out.append(f"{mark} {award_word}: {text} → +{money(a['amount_fen'])}")
    rank = x.get("rank_award")
    if rank:
        m = rank["metric"]
        mark = "✓" if rank["amount_fen"] else "✗"
        text = i18n.t(
            "payslip.rank_award",
            lang,
            metric=label(m, lang),
            value=show(m, parse_exact(rank["value"]), lang, line.counted.get("agent")),
            best=show(m, parse_exact(rank["highest"]), lang, line.counted.get("highest")),
        )
        out.append(f"{mark} {text} → +{money(rank['amount_fen'])}")
    tier = i18n.t("payslip.tier", lang)
    for b in x.get("tiers") or []:
        if b["base_fen"] not in (0, "0"):
            out.append(f"{tier}: {tier_text(b, lang)}")
    return out


def _title(line: Line, lang: str | None) -> str:
    name = component_label(line.component, lang)
    if line.component == "clawback":
        return i18n.t(
            "payslip.clawback_title", lang, component=name, month=line.inputs.get("month")
        )
    return name


def _texts(line: Line, lang: str, stored: Mapping[int, Text] | None, i: int) -> str:
    """A stored run shows the sentence it stored; anything else is rendered now."""
    if stored is not None and i in stored:
        return stored[i][lang]
    return explain(line, lang)


def payslip_text(
    pay: MonthPay,
    agent: AgentPay,
    lang: str,
    plan_label: str,
    state: State,
    source: str,
    stored: Mapping[int, Text] | None = None,
) -> str:
    """The payslip as text; `stored` maps a line's position to the sentences a run stored."""
    trial = state != "approved"
    key = "payslip.title_trial" if trial else "payslip.title"
    rows = [
        i18n.t(key, lang, month=pay.month, name=agent.name, agent=agent.agent_id),
        i18n.t("payslip.head", lang, shop=pay.shop_id, plan=plan_label),
        source,
        "",
    ]
    for i, line in enumerate(agent.lines):
        status = status_text(line, state, lang)
        rows.append(f"{_title(line, lang):<12} {money(line.amount_fen):>14}   [{status}]")
        rows.append(f"    {_texts(line, lang, stored, i)}")
        rows.extend(f"      {d}" for d in _details(line, lang))
    total = i18n.t(
        "payslip.total_trial" if trial else "payslip.total", lang, amount=money(agent.total_fen)
    )
    rows += ["", total]
    return "\n".join(rows) + "\n"


# No script, no network: the page's one style block is all it may use (docs/security.md).
_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def payslip_html(
    pay: MonthPay,
    agent: AgentPay,
    lang: str,
    plan_label: str,
    state: State,
    source: str,
    stored: Mapping[int, Text] | None = None,
) -> str:
    e = html.escape
    trial = state != "approved"
    key = "payslip.title_trial" if trial else "payslip.title"
    title = i18n.t(key, lang, month=pay.month, name=agent.name, agent=agent.agent_id)
    body = []
    for i, line in enumerate(agent.lines):
        details = "".join(f"<li>{e(d)}</li>" for d in _details(line, lang))
        body.append(
            f"<tr class='{e(line.status)}'><th>{e(_title(line, lang))}</th>"
            f"<td class='amt'>{e(money(line.amount_fen))}</td>"
            f"<td>{e(status_text(line, state, lang))}</td><td>{e(_texts(line, lang, stored, i))}"
            f"{f'<ul>{details}</ul>' if details else ''}</td></tr>"
        )
    head = "".join(
        f"<th>{e(i18n.t(f'payslip.col.{h}', lang))}</th>"
        for h in ("item", "amount", "status", "explanation")
    )
    total_word = i18n.t("payslip.total_word", lang)
    return (
        f"<!doctype html><html lang='{'en' if lang == 'en' else 'zh-CN'}'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        f"<title>{e(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;"
        "text-align:left}.amt{text-align:right;white-space:nowrap}.withheld{background:#fff6e0}"
        ".not_paid{color:#666}.trial{color:#a05a00}</style></head><body>"
        f"<h1>{e(title)}</h1><p>{e(agent.agent_id)} · {e(pay.shop_id)} · {e(plan_label)}</p>"
        f"<p class='{'trial' if trial else 'source'}'>{e(source)}</p><table><tr>{head}</tr>"
        + "".join(body)
        + f"<tr><th>{e(total_word)}</th><td class='amt'><b>{e(money(agent.total_fen))}</b></td>"
        "<td></td><td></td></tr></table></body></html>\n"
    )
