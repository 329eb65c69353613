"""The KPI table as people read it: Rich table, CSV and xlsx, Chinese by default."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from kefu.metrics.fields import JSON_ORDER, RATE_BY_NAME, value
from kefu.metrics.labels import label, yuan
from kefu.metrics.table import ShopMonth

# The columns of the on-screen table: the article's KPIs and what explains them.
SCREEN = (
    "inquiring_buyers",
    "paying_buyers",
    "conversion_rate",
    "net_sales_fen",
    "avg_spend_fen",
    "items_per_buyer",
    "good_review_rate",
    "bad_review_rate",
    "repurchase_rate",
    "first_response_s",
    "avg_response_s",
    "answer_ratio",
    "typing_cpm",
)


def show(name: str, v: int | Fraction | None) -> str:
    """One figure as text: fen as yuan, fractions as percentages, others to one decimal."""
    if v is None:
        return "—"
    if name.endswith("_fen"):
        return yuan(int(v))
    rate = RATE_BY_NAME.get(name)
    if rate is None:
        return f"{int(v):,}"
    if rate.kind == "fraction":
        return f"{float(v) * 100:.1f}%"
    return f"{float(v):.1f}" if rate.kind in ("seconds", "cpm") else f"{float(v):.2f}"


def _rows(sm: ShopMonth) -> list[tuple[str, str, str, dict[str, Any]]]:
    rows = [(a.agent_id, a.name, a.role, a.parts) for a in sm.agents]
    rows.append(("TEAM", "", "presale", sm.team))
    return rows


def rich_table(sm: ShopMonth, lang: str = "zh") -> Table:
    zh = lang != "en"
    flag = ("(未定稿)" if zh else " (provisional)") if sm.provisional else ""
    title = f"{sm.shop_id} {sm.month} " + ("客服绩效" if zh else "agent KPIs") + flag
    t = Table(title=title, header_style="bold", show_lines=False)
    t.add_column(label("agent_id", lang))
    t.add_column(label("role", lang))
    for f in SCREEN:
        t.add_column(label(f, lang), justify="right")
    for agent_id, name, role, parts in _rows(sm):
        who = (label("team", lang) if agent_id == "TEAM" else f"{name}") or agent_id
        style = "bold" if agent_id == "TEAM" else None
        t.add_row(who, label(role, lang), *(show(f, value(parts, f)) for f in SCREEN), style=style)
    return t


def summary_lines(sm: ShopMonth, lang: str = "zh") -> list[str]:
    share = sm.silent_share
    pct = "—" if share is None else f"{float(share) * 100:.1f}%"
    if lang == "en":
        lines = [
            f"silent orders: {sm.silent_orders}, silent sales {yuan(sm.silent_sales_fen)} yuan ({pct} of paid sales)"
        ]
        if sm.unattributable_orders:
            lines.append(
                f"orders without a buyer id (cannot be credited): {sm.unattributable_orders}, "
                f"{yuan(sm.unattributable_sales_fen)} yuan"
            )
        if sm.repurchase_provisional:
            lines.append(
                "repurchase rate is provisional until the data reaches 90 days past the month"
            )
        return lines
    lines = [
        f"静默下单 {sm.silent_orders} 单, 静默销售额 {yuan(sm.silent_sales_fen)} 元 (占付款销售额 {pct})"
    ]
    if sm.unattributable_orders:
        lines.append(
            f"无买家会员名的订单(无法落实到客服) {sm.unattributable_orders} 单, "
            f"{yuan(sm.unattributable_sales_fen)} 元"
        )
    if sm.repurchase_provisional:
        lines.append("复购率为暂定值: 数据尚未覆盖月末后 90 天")
    return lines


def print_to(console: Console, sm: ShopMonth, lang: str = "zh") -> None:
    """The on-screen table with the shop's silent and unattributable lines under it."""
    console.print(rich_table(sm, lang))
    for line in summary_lines(sm, lang):
        console.print(line)


def to_csv(sm: ShopMonth) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["shop_id", "month", "row", "agent_id", "name", "role", *JSON_ORDER])
    for agent_id, name, role, parts in _rows(sm):
        row_type = "team" if agent_id == "TEAM" else "agent"
        vals = []
        for f in JSON_ORDER:
            v = value(parts, f)
            vals.append("" if v is None else (str(v) if isinstance(v, int) else repr(float(v))))
        w.writerow(
            [
                sm.shop_id,
                sm.month,
                row_type,
                "" if row_type == "team" else agent_id,
                name,
                role,
                *vals,
            ]
        )
    return buf.getvalue()


def to_xlsx(sm: ShopMonth, path: Path, lang: str = "zh") -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "KPI"
    head = [label("agent_id", lang), label("name", lang), label("role", lang)]
    head += [
        label(f, lang)
        + (
            " (元)"
            if f.endswith("_fen") and lang != "en"
            else " (yuan)"
            if f.endswith("_fen")
            else ""
        )
        for f in JSON_ORDER
    ]
    ws.append(head)
    for c in ws[1]:
        c.font = Font(bold=True)
    for agent_id, name, role, parts in _rows(sm):
        out: list[Any] = [
            label("team", lang) if agent_id == "TEAM" else agent_id,
            name,
            label(role, lang),
        ]
        for f in JSON_ORDER:
            v = value(parts, f)
            if v is None:
                out.append(None)
            elif f.endswith("_fen"):
                out.append(Decimal(int(v)) / 100)  # exact yuan; Excel shows it with 2 decimals
            elif isinstance(v, Fraction):
                out.append(float(v))
            else:
                out.append(v)
        ws.append(out)
    for col in ws.iter_cols(min_row=2):
        for c in col:
            if isinstance(c.value, Decimal):
                c.number_format = "#,##0.00"
            elif isinstance(c.value, float):
                c.number_format = "0.000"
    notes = wb.create_sheet("说明" if lang != "en" else "notes")
    notes.append([sm.shop_id, sm.month, "provisional" if sm.provisional else "final"])
    for line in summary_lines(sm, lang):
        notes.append([line])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
