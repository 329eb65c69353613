"""One agent's payslip, in Chinese (default) or English, as text or HTML: every line, every
gate with the two numbers compared, and the tier breakdown."""

from __future__ import annotations

import html
from typing import Any

from kefu.pay.components import Line, gate_text, tier_text
from kefu.pay.compute import AgentPay, MonthPay
from kefu.pay.text import component_label, metric_label, money, parse_exact, show, t

_STATUS = {
    "paid": ("已发放", "paid"),
    "not_paid": ("未达条件", "not earned"),
    "withheld": ("暂不发放", "withheld"),
    "adjustment": ("调整", "adjustment"),
}


def _details(line: Line, lang: str) -> list[str]:
    """The sub-lines under a line: gates, tiers, awards."""
    out: list[str] = []
    inputs: dict[str, Any] = line.inputs
    gates = list(inputs.get("gates") or []) + list(inputs.get("target") or [])
    head_gate = "门槛" if lang == "zh" else "gate"
    head_tier = "档位" if lang == "zh" else "tier"
    for g in gates:
        mark = {"pass": "✓", "fail": "✗"}.get(g["result"], "?")
        out.append(f"{mark} {head_gate}: {gate_text(g)[lang]}")
    head_award = "奖项" if lang == "zh" else "award"
    for a in inputs.get("awards") or []:
        if a.get("gate"):
            mark = {"pass": "✓", "fail": "✗"}.get(a["gate"]["result"], "?")
            text = gate_text(a["gate"])[lang]
        else:
            mark = "✓" if a["amount_fen"] else "✗"
            text = f"{a['name']}: " + ("达成目标" if lang == "zh" else "target reached")
        out.append(f"{mark} {head_award}: {text} → +{money(a['amount_fen'])}")
    rank = inputs.get("rank_award")
    if rank:
        m = rank["metric"]
        mine, best = parse_exact(rank["value"]), parse_exact(rank["highest"])
        mark = "✓" if rank["amount_fen"] else "✗"
        out.append(
            f"{mark} {'排名奖' if lang == 'zh' else 'rank award'}: {metric_label(m, lang)}"
            f" {show(m, mine, lang)}, {'最高' if lang == 'zh' else 'highest'} {show(m, best, lang)}"
            f" → +{money(rank['amount_fen'])}"
        )
    for b in inputs.get("tiers") or []:
        if b["base_fen"] in (0, "0"):
            continue
        out.append(f"{head_tier}: {tier_text(b, inputs.get('mode', 'marginal'))[lang]}")
    return out


def payslip_text(pay: MonthPay, agent: AgentPay, lang: str, plan_label: str, source: str) -> str:
    zh = lang == "zh"
    rows = [
        f"{'工资单' if zh else 'Payslip'} {pay.month} — {agent.name} ({agent.agent_id})",
        f"{'店铺' if zh else 'shop'}: {pay.shop_id}    {'方案' if zh else 'plan'}: {plan_label}",
        source,
        "",
    ]
    for line in agent.lines:
        status = _STATUS[line.status][0 if zh else 1]
        title = component_label(line.component, lang)
        if line.component == "clawback":
            title += f" ({line.inputs.get('month')})"
        rows.append(f"{title:<12} {money(line.amount_fen):>14}   [{status}]")
        rows.append(f"    {line.explanation[lang]}")
        rows.extend(f"      {d}" for d in _details(line, lang))
    rows += ["", f"{'合计' if zh else 'Total'}: {money(agent.total_fen)}"]
    return "\n".join(rows) + "\n"


# No script, no network: the page's one style block is all it may use (docs/security.md).
_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def payslip_html(pay: MonthPay, agent: AgentPay, lang: str, plan_label: str, source: str) -> str:
    zh = lang == "zh"
    e = html.escape
    title = f"{'工资单' if zh else 'Payslip'} {pay.month} — {agent.name}"
    body = []
    for line in agent.lines:
        status = _STATUS[line.status][0 if zh else 1]
        name = component_label(line.component, lang)
        if line.component == "clawback":
            name += f" ({line.inputs.get('month')})"
        details = "".join(f"<li>{e(d)}</li>" for d in _details(line, lang))
        body.append(
            f"<tr class='{e(line.status)}'><th>{e(name)}</th><td class='amt'>{e(money(line.amount_fen))}</td>"
            f"<td>{e(status)}</td><td>{e(line.explanation[lang])}"
            f"{f'<ul>{details}</ul>' if details else ''}</td></tr>"
        )
    head = (
        t("项目", "item"),
        t("金额(元)", "amount (yuan)"),
        t("状态", "status"),
        t("说明", "explanation"),
    )
    return (
        f"<!doctype html><html lang='{'zh-CN' if zh else 'en'}'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        f"<title>{e(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4em;vertical-align:top;"
        "text-align:left}.amt{text-align:right;white-space:nowrap}.withheld{background:#fff6e0}"
        ".not_paid{color:#666}</style></head><body>"
        f"<h1>{e(title)}</h1><p>{e(agent.agent_id)} · {e(pay.shop_id)} · {e(plan_label)}</p>"
        f"<p>{e(source)}</p><table><tr>{''.join(f'<th>{e(h[lang])}</th>' for h in head)}</tr>"
        + "".join(body)
        + f"<tr><th>{'合计' if zh else 'Total'}</th><td class='amt'><b>{e(money(agent.total_fen))}</b></td>"
        "<td></td><td></td></tr></table></body></html>\n"
    )
