"""The xlsx report: the HTML report's content, one sheet per part, numbers kept as numbers."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from kefu.diagnosis import diagnose_months
from kefu.report import write_report
from kefu.report.content import build
from test_diagnosis_shops import SHOP, story


def test_one_sheet_per_part_with_the_same_rows(tmp_path: Path) -> None:
    d = diagnose_months(SHOP, "2024-09", story())
    path = write_report(d, tmp_path / "report.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "团队概况",
        "四象限",
        "原因",
        "筛选",
        "走势",
        "问题1",
        "问题2",
        "诊断设置",
    ]
    for sec in build(d).sections:
        ws = wb[sec.sheet]
        cells = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
        assert sec.title in cells
        for p in sec.paragraphs:
            assert p in cells
        for t in sec.tables:
            assert set(t.headers) <= cells
            for row in t.rows:
                assert row[0].text("zh") in cells or row[0].value is None


def test_numbers_stay_numbers(tmp_path: Path) -> None:
    d = diagnose_months(SHOP, "2024-09", story())
    ws = load_workbook(write_report(d, tmp_path / "r.xlsx"))["四象限"]
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "客服")
    row = next(r for r in ws.iter_rows() if r[0].value == "甲")
    conv = row[header.index("转化率")]
    spend = row[header.index("客单价(元, 退款前)")]
    assert isinstance(conv.value, float) and conv.number_format == "0.0%"
    assert abs(conv.value - 148 / 330) < 1e-12
    assert spend.value == 300.0 and spend.number_format == "#,##0.00"
    assert row[header.index("判断")].value == "最好：转化率高、客单价高"
    assert ws._charts  # the quadrant scatter


def test_english_sheets(tmp_path: Path) -> None:
    d = diagnose_months(SHOP, "2024-09", story())
    wb = load_workbook(write_report(d, tmp_path / "r.xlsx", lang="en"))
    assert wb.sheetnames[:3] == ["Summary", "Quadrants", "Causes"]


def test_only_html_or_xlsx(tmp_path: Path) -> None:
    import pytest

    d = diagnose_months(SHOP, "2024-09", story())
    with pytest.raises(ValueError, match=r"html or \.xlsx"):
        write_report(d, tmp_path / "r.pdf")
