"""Every writer with hostile names (Hypothesis): what comes out parses back and never acts.

Names start with formula characters, carry control characters, NUL, escape sequences, bidi
overrides, `<script>`, quotes, CJK, or are very long. Allowed outcomes: the CSV parses with
the csv module and no cell would start a formula; the xlsx opens in openpyxl with no formula
cell and no control character; the HTML parses to exactly the elements of a clean report (no
element or attribute from a name) and its JSON block to the same chart data; the terminal
gets no control character. Never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from rich.console import Console

from kefu.diagnosis import diagnose_months
from kefu.inert import FORMULA_START, csv_cell, sheet_text, visible
from kefu.metrics.table import ShopMonth
from kefu.pay.compute import pay_month
from kefu.pay.plan import load_plan
from kefu.report import kpi_table
from kefu.report.html import render_html
from kefu.report.pay_xlsx import write_xlsx as write_pay_xlsx
from kefu.report.payslip import payslip_html
from kefu.report.terminal import print_report
from kefu.report.xlsx import write_xlsx as write_report_xlsx
from test_diagnosis_shops import SHOP, story
from test_pay_support import SHOP as PAY_SHOP
from test_pay_support import good_month

HOSTILE_STARTS = [
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    '=HYPERLINK("http://x","y")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\x00",
    "\x1b[2J\x1b]0;pwned\x07",
    "\x9b31m",
    "\u202eevil",
    "\u2066x\u2069",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(1)</script>",
    "<!--",
    "'\"`",
    "小美旗舰店:小美",
    "\x7f",
    "\u2028\u2029",
]
NAMES = st.one_of(
    st.builds(
        lambda start, rest: start + rest,
        st.sampled_from(HOSTILE_STARTS),
        st.text(st.characters(codec="utf-8"), max_size=30),
    ),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=60),
    st.sampled_from(["x" * 40_000, "名" * 33_000, "=" + "a" * 40_000]),
)
# What must never reach a file or a terminal raw: C0 (but line feed), DEL, C1, bidi controls.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hostile_month(name: str) -> ShopMonth:
    sm = story()["2024-09"]
    first = replace(sm.agents[0], name=name, agent_id=name)
    return replace(sm, shop_id=name, agents=[first, *sm.agents[1:]])


def assert_inert_text(cell: object) -> None:
    if isinstance(cell, str):
        assert not RAW_CONTROL.search(cell), repr(cell)


# -- the helpers ---------------------------------------------------------------------------
@FAST
@given(NAMES)
def test_helpers(name: str) -> None:
    shown = visible(name)
    assert not RAW_CONTROL.search(shown)
    cell = csv_cell(name)
    assert isinstance(cell, str) and not cell.startswith(FORMULA_START)
    assert len(sheet_text(name)) <= 32_767
    assert csv_cell(-12.5) == -12.5 and csv_cell(-3) == -3  # numbers stay numbers


# -- CSV -------------------------------------------------------------------------------------
@FAST
@given(NAMES, st.booleans())
def test_kpi_csv(name: str, raw: bool) -> None:
    text = kpi_table.to_csv(hostile_month(name), "zh", raw)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + len(story()["2024-09"].agents) + 1  # header, agents, team
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
            assert_inert_text(cell)
    assert visible(name) in rows[1][3] or rows[1][3] == "'" + visible(name)


def test_negative_numbers_stay_numbers_in_csv() -> None:
    sm = story()["2024-09"]
    a = sm.agents[0]
    parts = {**a.parts, "refund_fen": a.parts["sales_fen"] + 12345}
    parts["net_sales_fen"] = a.parts["sales_fen"] - parts["refund_fen"]
    text = kpi_table.to_csv(replace(sm, agents=[replace(a, parts=parts)]), "zh")
    rows = list(csv.reader(io.StringIO(text)))
    net = rows[1][rows[0].index("净销售额(元)")]
    assert net == "-123.45"  # a figure, not text: no apostrophe


# -- xlsx ------------------------------------------------------------------------------------
def assert_workbook_inert(path: Path) -> list[object]:
    wb = load_workbook(path)
    values = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                assert_inert_text(c.value)
                values.append(c.value)
    return values


@SLOW
@given(NAMES)
def test_kpi_xlsx(tmp_path_factory, name: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("kpi") / "kpi.xlsx"
    kpi_table.to_xlsx(hostile_month(name), path)
    assert sheet_text(name) in assert_workbook_inert(path)


def test_negative_numbers_stay_numbers_in_xlsx(tmp_path: Path) -> None:
    sm = story()["2024-09"]
    a = sm.agents[0]
    parts = {**a.parts, "refund_fen": a.parts["sales_fen"] + 12345}
    parts["net_sales_fen"] = -12345
    kpi_table.to_xlsx(replace(sm, agents=[replace(a, parts=parts)]), tmp_path / "k.xlsx")
    ws = load_workbook(tmp_path / "k.xlsx")["KPI"]
    head = [c.value for c in ws[1]]
    cell = ws.cell(2, head.index("净销售额(元)") + 1)
    assert cell.data_type == "n" and float(cell.value) == -123.45


def diagnosis_with(name: str):  # type: ignore[no-untyped-def]
    months = story()
    for m, sm in months.items():  # the same agent, hostile in every month (trends, pairs)
        months[m] = replace(sm, agents=[replace(sm.agents[0], name=name), *sm.agents[1:]])
    return diagnose_months(SHOP, "2024-09", months)


@SLOW
@given(NAMES)
def test_report_xlsx(tmp_path_factory, name: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("report") / "r.xlsx"
    write_report_xlsx(diagnosis_with(name), path)
    assert sheet_text(name) in assert_workbook_inert(path)


@SLOW
@given(NAMES)
def test_pay_xlsx(tmp_path_factory, name: str) -> None:  # type: ignore[no-untyped-def]
    pay = hostile_pay(name)
    path = tmp_path_factory.mktemp("pay") / "pay.xlsx"
    write_pay_xlsx(pay, path)
    assert sheet_text(name) in assert_workbook_inert(path)


# -- HTML ------------------------------------------------------------------------------------
class Shape(HTMLParser):
    """The elements and attribute names of a page, and the text of its script blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(sorted(k for k, _ in attrs))))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def shape(html: str) -> Shape:
    s = Shape()
    s.feed(html)
    s.close()
    return s


CLEAN = shape(render_html(diagnosis_with("甲")))


@SLOW
@given(NAMES)
def test_report_html(name: str) -> None:
    html = render_html(diagnosis_with(name))
    page = shape(html)
    assert [t for t, _ in page.tags] == [t for t, _ in CLEAN.tags]  # no element from a name
    assert {a for _, a in page.tags} == {a for _, a in CLEAN.tags}  # no attribute either
    assert len(page.scripts) == 3
    charts = json.loads(page.scripts[1])
    tips = [
        d["tip"]
        for s in charts["chart-quadrant"]["series"]
        if s["type"] == "scatter"
        for d in s["data"]
    ]
    assert any(t.startswith(name + ":") for t in tips)  # the name is data, intact
    if name.strip():
        assert any(name.strip() in t for t in page.text) or "\r" in name or "\x00" in name
    assert "Content-Security-Policy" in html


# -- terminal --------------------------------------------------------------------------------
def printed(draw) -> str:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    console = Console(file=buf, width=120, color_system=None, force_terminal=False)
    draw(console)
    return buf.getvalue()


@SLOW
@given(NAMES)
def test_terminal(name: str) -> None:
    out = printed(lambda c: kpi_table.print_to(c, hostile_month(name)))
    assert not RAW_CONTROL.search(out.replace("\n", "")), repr(out[:200])
    out = printed(lambda c: print_report(diagnosis_with(name), c))
    assert not RAW_CONTROL.search(out.replace("\n", ""))


def test_terminal_shows_escape_sequences_and_markup_as_text() -> None:
    out = printed(lambda c: kpi_table.print_to(c, hostile_month("[red]x\x1b[2J")))
    assert "\x1b" not in out and "␛[2J" in out and "[red]x" in out


def hostile_pay(name: str):  # type: ignore[no-untyped-def]
    data = {}
    for m in ("2024-04", "2024-05", "2024-06"):
        sm = good_month(m)
        data[m] = replace(sm, agents=[replace(sm.agents[0], name=name), *sm.agents[1:]])
    return pay_month(load_plan("seed"), PAY_SHOP, "2024-05", data)


CLEAN_SLIP = shape(
    payslip_html(hostile_pay("甲"), hostile_pay("甲").agents[0], "zh", "seed", "trial", "试算")
)


@FAST
@given(NAMES)
def test_payslip_html(name: str) -> None:
    pay = hostile_pay(name)
    page = shape(payslip_html(pay, pay.agents[0], "zh", "seed", "trial", "试算"))
    assert [t for t, _ in page.tags] == [t for t, _ in CLEAN_SLIP.tags]
    assert {a for _, a in page.tags} == {a for _, a in CLEAN_SLIP.tags}
    assert page.scripts == []
