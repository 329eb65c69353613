"""The xlsx report: the HTML report's content as a workbook, one sheet per part.

Numbers stay numbers (money in yuan, rates as percentages formatted by Excel), so the sheets
can be sorted and summed; the quadrant and team-trend charts are drawn as native charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference, ScatterChart, Series
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kefu.diagnosis.shop import ShopDiagnosis
from kefu.inert import inert_workbook, sheet_row
from kefu.output import save_workbook
from kefu.report.content import COLOURS, Cell, Report, Section, build

FORMATS = {
    "int": "#,##0",
    "pct": "0.0%",
    "yuan": "#,##0.00",
    "num0": "0",
    "num1": "0.0",
    "num2": "0.00",
}
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="EEF2F6")


def write_xlsx(
    d: ShopDiagnosis, path: str | Path, lang: str = "zh", extra: Sequence[Section] = ()
) -> Path:
    """Write the workbook through kefu's one writer (kefu.output): whole or not at all."""
    report = build(d, lang)
    report.sections.extend(extra)
    return save_workbook(workbook(report), path)


def workbook(report: Report) -> Workbook:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for sec in report.sections:
        ws = wb.create_sheet(_sheet_name(sec.sheet, wb.sheetnames))
        _write_section(ws, sec, report)
    inert_workbook(wb)  # text from data stays text: a name starting with = is no formula
    return wb


def _sheet_name(name: str, taken: list[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31]
    out, n = clean, 2
    while out in taken:
        out = f"{clean[:28]}_{n}"
        n += 1
    return out


def _write_section(ws: Worksheet, sec: Section, report: Report) -> None:
    ws.append(sheet_row([sec.title]))
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    if sec.key == "summary":
        ws.append(sheet_row([report.subtitle]))
        for note in report.notes:
            ws.append(sheet_row([note]))
    for p in sec.paragraphs:
        ws.append(sheet_row([p]))
        ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=False)
    widths: dict[int, int] = {}
    for t in sec.tables:
        ws.append([])
        if t.title:
            ws.append(sheet_row([t.title]))
            ws.cell(row=ws.max_row, column=1).font = BOLD
        ws.append(sheet_row(t.headers))
        head_row = ws.max_row
        for col in range(1, len(t.headers) + 1):
            c = ws.cell(row=head_row, column=col)
            c.font, c.fill = BOLD, HEAD_FILL
            widths[col] = max(widths.get(col, 0), _width(t.headers[col - 1]))
        for row in t.rows:
            ws.append(sheet_row([_value(c, report.lang) for c in row]))
            r = ws.max_row
            for col, cell in enumerate(row, start=1):
                target = ws.cell(row=r, column=col)
                if cell.fmt in FORMATS and cell.value is not None:
                    target.number_format = FORMATS[cell.fmt]
                if cell.tone:
                    target.font = Font(bold=True, color=COLOURS[cell.tone].lstrip("#"))
                widths[col] = max(widths.get(col, 0), min(60, _width(cell.text(report.lang))))
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(8, width + 2)
    if sec.key == "quadrant":
        _quadrant_chart(ws, sec)
    if sec.key == "summary":
        _trend_chart(ws, sec)


def _value(c: Cell, lang: str) -> object:
    if c.value is None:
        return None
    if c.fmt == "yuan":
        return round(float(c.value) / 100, 2)
    if c.fmt in ("pct", "num0", "num1", "num2"):
        return float(c.value)
    if c.fmt == "int":
        return int(c.value)
    return c.text(lang)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _find_table_rows(ws: Worksheet, headers: list[object]) -> tuple[int, int]:
    """First and last data row of the table whose header row is `headers`."""
    for r in range(1, ws.max_row + 1):
        if [ws.cell(row=r, column=c + 1).value for c in range(len(headers))] == headers:
            last = r
            while last + 1 <= ws.max_row and ws.cell(row=last + 1, column=1).value is not None:
                last += 1
            return r + 1, last
    return 0, -1


def _quadrant_chart(ws: Worksheet, sec: Section) -> None:
    table = sec.tables[0]
    first, last = _find_table_rows(ws, sheet_row(table.headers))
    if last < first:
        return
    conv_col, spend_col = 6, 9  # the verdict table's conversion and spend columns
    chart = ScatterChart()
    chart.title = sec.title
    chart.style = 13
    chart.x_axis.title = table.headers[8]
    chart.y_axis.title = table.headers[5]
    chart.y_axis.number_format = "0%"
    for i, r in enumerate(range(first, last + 1)):
        if i < len(table.rows) and table.rows[i][1].tone is None:
            continue  # insufficient data: not placed among the quadrants
        x = Reference(ws, min_col=spend_col, min_row=r)
        y = Reference(ws, min_col=conv_col, min_row=r)
        s = Series(y, x, title=str(ws.cell(row=r, column=1).value))
        s.marker.symbol = "circle"
        s.marker.size = 9
        s.graphicalProperties.line.noFill = True
        chart.series.append(s)
    chart.width, chart.height = 18, 11
    ws.add_chart(chart, f"{get_column_letter(len(table.headers) + 2)}3")


def _trend_chart(ws: Worksheet, sec: Section) -> None:
    table = sec.tables[-1]  # the month-by-month team table
    first, last = _find_table_rows(ws, sheet_row(table.headers))
    if last < first:
        return
    chart = LineChart()
    chart.title = sec.charts[0].title if sec.charts else sec.title
    chart.y_axis.number_format = "0%"
    for col in (4, 8):  # conversion, silent share
        data = Reference(ws, min_col=col, min_row=first - 1, max_row=last)
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.width, chart.height = 18, 9
    ws.add_chart(chart, "K3")
