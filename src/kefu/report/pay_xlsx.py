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

from kefu import i18n
from kefu.inert import inert_workbook, sheet_row
from kefu.output import save_workbook
from kefu.pay.compute import ORDER, MonthPay
from kefu.report.payslip import explain

_MONEY = "#,##0.00"


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100  # exact: a Decimal, never a float


def write_xlsx(pay: MonthPay, path: str | Path, lang: str = "zh") -> Path:
    """Write the pay workbook through kefu's one writer."""
    return save_workbook(workbook(pay, lang), path)


def workbook(pay: MonthPay, lang: str = "zh") -> Workbook:
    """A trial's workbook (kefu pay): its sheet says so; each line's sentence shows its counts."""

    def w(key: str) -> str:
        return i18n.t(key, lang)

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = w("payxlsx.sheet.pay")
    comps = [c for c in ORDER if any(x.component == c for a in pay.agents for x in a.lines)]
    ws.append(
        [w("payxlsx.agent"), w("payxlsx.name")]
        + [w(f"pay.component.{c}") for c in comps]
        + [w("payxlsx.total")]
    )
    for a in pay.agents:
        sums = {c: sum(x.amount_fen for x in a.lines if x.component == c) for c in comps}
        ws.append(
            sheet_row([a.agent_id, a.name, *[_yuan(sums[c]) for c in comps], _yuan(a.total_fen)])
        )
    ws.append([w("payxlsx.total"), "", *["" for _ in comps], _yuan(pay.total_fen)])
    share = pay.share
    ws.append(
        [
            w("payxlsx.share"),
            "",
            *["" for _ in comps],
            None if share is None else Decimal(share.numerator) / Decimal(share.denominator),
        ]
    )
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row - 1, min_col=3):
        for cell in row:
            cell.number_format = _MONEY
    ws.cell(ws.max_row, ws.max_column).number_format = "0.00%"
    lines = wb.create_sheet(w("payxlsx.sheet.lines"))
    heads = ("agent", "name", "component", "amount", "explanation", "inputs")
    lines.append([w(f"payxlsx.{h}") for h in heads])
    for a in pay.agents:
        for x in a.lines:
            lines.append(
                sheet_row(
                    [
                        a.agent_id,
                        a.name,
                        w(f"pay.component.{x.component}"),
                        _yuan(x.amount_fen),
                        explain(x, lang),
                        json.dumps(x.inputs, ensure_ascii=False, sort_keys=True),
                    ]
                )
            )
            lines.cell(lines.max_row, 4).number_format = _MONEY
    inert_workbook(wb)  # a name starting with = stays a name, never a formula
    return wb
