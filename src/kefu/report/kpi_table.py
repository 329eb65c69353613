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
from rich.text import Text

from kefu import i18n
from kefu.i18n import t
from kefu.inert import csv_cell, inert_workbook, sheet_row, visible
from kefu.metrics.fields import JSON_ORDER, RATE_BY_NAME, value
from kefu.metrics.labels import label, yuan
from kefu.metrics.table import ShopMonth
from kefu.output import save_workbook
from kefu.report.fit import Col, Grid, print_grid
from kefu.report.fit import rich_table as fit_table

TEXT_WIDTH = 100  # lines of prose under a table wrap here even on a wider (or piped) console

# The columns of the on-screen table: the article's KPIs and what explains them.
SCREEN = (
    "inquiring_buyers",
    "paying_buyers",
    "conversion_rate",
    "sales_fen",  # what 客单价 divides (before refunds), beside net sales: the reader can redo it
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
    "satisfaction_rate",  # Taobao 服务评价: (非常满意 + 满意) / evaluations
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


# The order columns are kept in when the terminal is narrow: the article's two KPIs first.
PRIORITY = (
    "conversion_rate",
    "avg_spend_fen",
    "net_sales_fen",
    "paying_buyers",
    "inquiring_buyers",
    "role",
    "good_review_rate",
    "bad_review_rate",
    "repurchase_rate",
    "first_response_s",
    "avg_response_s",
    "items_per_buyer",
    "answer_ratio",
    "typing_cpm",
    "satisfaction_rate",  # Taobao 服务评价: (非常满意 + 满意) / evaluations
)


def team_label(sm: ShopMonth, lang: str = "zh") -> str:
    """The team row's label: it pools every presale agent of the month, whatever is shown."""
    return t("kpi.team_row", lang, n=len(sm.presale))


def grid(sm: ShopMonth, lang: str = "zh", *, team: ShopMonth | None = None) -> Grid:
    """The on-screen KPI table as a Grid; `team` is the unfiltered month the team row pools."""
    whole = team or sm
    key = "kpi.title_provisional" if sm.provisional else "kpi.title"
    title = t(key, lang, shop=sm.shop_id, month=sm.month)
    g = Grid(columns=grid_columns(lang).columns, title=title, priority=list(PRIORITY))
    for a in sm.agents:
        g.add_row(
            [
                a.name or a.agent_id,
                label(a.role, lang),
                *(show(f, value(a.parts, f)) for f in SCREEN),
            ]
        )
    g.add_row(
        [
            team_label(whole, lang),
            label("presale", lang),
            *(show(f, value(whole.team, f)) for f in SCREEN),
        ],
        style="bold",
    )
    return g


def grid_columns(lang: str = "zh") -> Grid:
    """The table's columns without rows (to check --columns before computing anything)."""
    cols = [Col("agent", label("agent_id", lang), identity=True), Col("role", label("role", lang))]
    return Grid(columns=cols + [Col(f, label(f, lang), numeric=True) for f in SCREEN])


def rich_table(sm: ShopMonth, lang: str = "zh") -> Table:
    """Every column of the on-screen table as one rich Table (for a wide console)."""
    g = grid(sm, lang)
    return fit_table(g, g.keys())


def summary_lines(sm: ShopMonth, lang: str = "zh") -> list[str]:
    """The lines under the table: what 客单价 divides, silent and unattributable sales."""
    if sm.source is not None:  # a month read from a platform's agent report (docs/reports.md)
        from kefu.metrics.reported import source_lines

        return source_lines(sm, lang)
    share = sm.silent_share
    pct = "—" if share is None else f"{float(share) * 100:.1f}%"
    lines = [
        i18n.t("kpi.avg_spend_note", lang),
        i18n.t(
            "kpi.silent_line",
            lang,
            orders=sm.silent_orders,
            sales=yuan(sm.silent_sales_fen),
            share=pct,
        ),
    ]
    if sm.unattributable_orders:
        lines.append(
            i18n.t(
                "kpi.unattributable_line",
                lang,
                orders=sm.unattributable_orders,
                sales=yuan(sm.unattributable_sales_fen),
            )
        )
    if sm.repurchase_provisional:
        lines.append(i18n.t("kpi.repurchase_provisional", lang))
    return lines


def print_to(
    console: Console,
    sm: ShopMonth,
    lang: str = "zh",
    *,
    columns: list[str] | None = None,
    wide: bool = False,
    team: ShopMonth | None = None,
) -> None:
    """The on-screen table, fitted to the console, with the silent and unattributable lines."""
    print_grid(console, grid(sm, lang, team=team), lang, wanted=columns, wide=wide)
    for line in summary_lines(team or sm, lang):
        console.print(Text(visible(line)), width=min(console.width, TEXT_WIDTH))


def csv_rows(sm: ShopMonth, lang: str = "zh", raw: bool = False) -> list[list[Any]]:
    """The KPI table as CSV rows, header first.

    By default for people (Excel, WPS): headers in `lang`, money in yuan with two decimals,
    fraction rates as percentages. `raw` is for scripts: field keys as headers, money in
    integer fen, rates as exact decimals. Text cells are made inert either way.
    """
    if raw:
        head = ["shop_id", "month", "row", "agent_id", "name", "role", *JSON_ORDER]
    else:
        head = [
            i18n.t("output.csv.shop", lang),
            i18n.t("output.csv.month", lang),
            label("agent_id", lang),
        ]
        head += [label("name", lang), label("role", lang)]
        head += [_head(f, lang) for f in JSON_ORDER]
    rows: list[list[Any]] = [head]
    for agent_id, name, role, parts in _rows(sm):
        team = agent_id == "TEAM"
        figures = [_csv_figure(f, value(parts, f), raw) for f in JSON_ORDER]
        if raw:
            text = [sm.shop_id, sm.month, "team" if team else "agent", "" if team else agent_id]
            text += [name, role]
        else:
            who = label("team", lang) if team else agent_id
            text = [sm.shop_id, sm.month, who, name, label(role, lang)]
        # text from data is guarded; figures are numbers, a negative one stays a number
        rows.append([*(csv_cell(c) for c in text), *figures])
    return rows


def _head(field: str, lang: str) -> str:
    """A column heading for people: the field's label, money marked as yuan."""
    if field.endswith("_fen"):
        return i18n.t("kpi.in_yuan", lang, label=label(field, lang))
    return label(field, lang)


def _csv_figure(name: str, v: int | Fraction | None, raw: bool) -> str:
    if v is None:
        return ""
    if raw:
        return str(v) if isinstance(v, int) else repr(float(v))
    if name.endswith("_fen"):
        return plain_yuan(int(v))
    rate = RATE_BY_NAME.get(name)
    if rate is None:
        return str(int(v))
    if rate.kind == "fraction":
        return f"{float(v) * 100:.2f}%"
    return f"{float(v):.2f}"


def plain_yuan(fen: int) -> str:
    """Fen as yuan with two decimals and no thousands separator (a spreadsheet reads it)."""
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(fen), 100)
    return f"{sign}{q}.{r:02d}"


def to_csv(sm: ShopMonth, lang: str = "zh", raw: bool = False) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n" if not raw else "\n").writerows(csv_rows(sm, lang, raw))
    return buf.getvalue()


# xlsx number formats: money in yuan with two decimals, fraction rates as percentages
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"


def workbook(sm: ShopMonth, lang: str = "zh") -> Any:
    """The KPI table as an openpyxl workbook: numbers stay exact numbers, formatted for people."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "KPI"
    head = [label("agent_id", lang), label("name", lang), label("role", lang)]
    head += [_head(f, lang) for f in JSON_ORDER]
    ws.append(head)
    for c in ws[1]:
        c.font = Font(bold=True)
    formats: list[str | None] = [None, None, None]
    for f in JSON_ORDER:
        rate = RATE_BY_NAME.get(f)
        if f.endswith("_fen"):
            formats.append(MONEY_FORMAT)
        elif rate is not None and rate.kind == "fraction":
            formats.append(PERCENT_FORMAT)
        elif rate is not None:
            formats.append("0.00")
        else:
            formats.append("#,##0")
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
        ws.append(sheet_row(out))
        for col, fmt in enumerate(formats, start=1):
            if fmt is not None:
                ws.cell(ws.max_row, col).number_format = fmt
    notes = wb.create_sheet(i18n.t("kpi.notes_sheet", lang))
    state = i18n.t("kpi.state_provisional" if sm.provisional else "kpi.state_final", lang)
    notes.append(sheet_row([sm.shop_id, sm.month, state]))
    for line in summary_lines(sm, lang):
        notes.append(sheet_row([line]))
    return inert_workbook(wb)


def to_xlsx(sm: ShopMonth, path: Path, lang: str = "zh") -> Path:
    return save_workbook(workbook(sm, lang), path)
