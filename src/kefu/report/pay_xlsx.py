"""A month's pay as an Excel workbook: one sheet of totals per component, one of every line.

Money is an exact number of yuan shown with two decimals, the payroll share a percentage;
names and explanations are inert text (kefu.inert), and the file is written whole or not at
all (kefu.output).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from kefu.inert import inert_workbook, sheet_row
from kefu.output import save_workbook
from kefu.pay.compute import ORDER, MonthPay
from kefu.pay.text import component_label

_MONEY = "#,##0.00"


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100  # exact: a Decimal, never a float


def write_xlsx(pay: MonthPay, path: str | Path, lang: str = "zh") -> Path:
    """Write the pay workbook through kefu's one writer."""
    return save_workbook(workbook(pay, lang), path)


def workbook(pay: MonthPay, lang: str = "zh") -> Workbook:
    zh = lang == "zh"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "工资" if zh else "pay"
    comps = [c for c in ORDER if any(x.component == c for a in pay.agents for x in a.lines)]
    ws.append(
        ["客服" if zh else "agent", "姓名" if zh else "name"]
        + [component_label(c, lang) for c in comps]
        + ["合计" if zh else "total"]
    )
    for a in pay.agents:
        sums = {c: sum(x.amount_fen for x in a.lines if x.component == c) for c in comps}
        ws.append(
            sheet_row([a.agent_id, a.name, *[_yuan(sums[c]) for c in comps], _yuan(a.total_fen)])
        )
    ws.append(["合计" if zh else "total", "", *["" for _ in comps], _yuan(pay.total_fen)])
    share = pay.share
    ws.append(
        [
            "工资占净销售额" if zh else "payroll share of net sales",
            "",
            *["" for _ in comps],
            None if share is None else Decimal(share.numerator) / Decimal(share.denominator),
        ]
    )
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row - 1, min_col=3):
        for cell in row:
            cell.number_format = _MONEY
    ws.cell(ws.max_row, ws.max_column).number_format = "0.00%"
    lines = wb.create_sheet("明细" if zh else "lines")
    lines.append(
        ["客服", "姓名", "项目", "金额", "说明", "输入"]
        if zh
        else ["agent", "name", "component", "amount", "explanation", "inputs"]
    )
    for a in pay.agents:
        for x in a.lines:
            lines.append(
                sheet_row(
                    [
                        a.agent_id,
                        a.name,
                        component_label(x.component, lang),
                        _yuan(x.amount_fen),
                        x.explanation[lang],
                        json.dumps(x.inputs, ensure_ascii=False, sort_keys=True),
                    ]
                )
            )
            lines.cell(lines.max_row, 4).number_format = _MONEY
    inert_workbook(wb)  # a name starting with = stays a name, never a formula
    return wb
