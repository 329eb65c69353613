"""Tables that fit the terminal: kpi, diagnose, pay and payroll at 80 and 120 columns.

Rendered by the installed command on the demo shop with COLUMNS set, as a user's terminal
would; every line is measured in cells (a CJK character is two), and every figure of the
full table must appear whole in the fitted one.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console

from kefu.report.fit import Col, Grid, layout, print_grid, table_width

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?%?")


def run(demo: dict[str, Any], *args: str, columns: int | None = None) -> str:
    env = {**os.environ, "KEFU_DB": str(demo["db"]), "NO_COLOR": "1"}
    env.pop("COLUMNS", None)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    proc = subprocess.run(
        [str(demo["kefu"]), *args], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def widest(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


def figures(text: str) -> set[str]:
    """Every number printed inside a table cell (between │ rules, or after a block's label)."""
    found = set()
    for line in text.splitlines():
        for cell in re.split(r"[│┃|]", line):
            cell = cell.strip()
            if NUMBER.fullmatch(cell):
                found.add(cell)
    return found


def test_cells_are_measured_in_terminal_cells() -> None:
    assert cell_len("询单人数") == 8 and cell_len("abc") == 3


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_a_grid_fits_and_keeps_every_number_whole(width: int) -> None:
    cols = [Col("who", "客服", identity=True)] + [
        Col(f"c{i}", f"询单→最终付款转化率{i}", numeric=True) for i in range(12)
    ]
    g = Grid(columns=cols, title="小美旗舰店 2026-10 客服绩效")
    values = [["团队(9 名售前)", *[f"{(i + 1) * 12345.67:,.2f}" for i in range(12)]]]
    values.append(["小美", *[f"{i * 3.3:.1f}%" for i in range(12)]])
    for row in values:
        g.add_row(row)
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None)
    print_grid(console, g, "zh")
    out = buf.getvalue()
    assert widest(out) <= width, out
    assert "…" not in out
    shown = out
    for row in values:
        for v in row[1:]:
            assert v in shown or v not in figures(shown)  # a number is whole or absent
    # the number of a chosen column is never split across lines
    assert all(len(n) <= width for n in figures(out))


def test_layout_refuses_what_cannot_fit() -> None:
    g = Grid(columns=[Col("a", "a", identity=True), Col("b", "b", numeric=True)])
    g.add_row(["x" * 10, "1" * 30])
    assert layout(g, ["a", "b"], table_width([10, 30]) - 1) is None
    assert layout(g, ["a", "b"], table_width([10, 30])) == {"a": 10, "b": 30}


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_kpi_fits_and_never_cuts_a_number(
    demo_store: dict[str, Any], width: int, lang: str
) -> None:
    month = demo_store["month"]
    full = run(demo_store, "kpi", "--month", month, "--lang", lang)  # piped: every column
    fitted = run(demo_store, "kpi", "--month", month, "--lang", lang, columns=width)
    assert widest(fitted) <= width, fitted
    assert "…" not in fitted
    # every figure shown at this width is one of the full table's, whole
    assert figures(fitted) and figures(fitted) <= figures(full)
    # the article's two KPIs are always kept
    data = json.loads(run(demo_store, "kpi", "--month", month, "--format", "json"))
    team = data["team"]
    assert f"{team['conversion_rate'] * 100:.1f}%" in fitted
    assert "wide" in fitted  # the note saying how to see the hidden columns


def test_piped_output_is_as_wide_as_the_table(demo_store: dict[str, Any]) -> None:
    out = run(demo_store, "kpi", "--month", demo_store["month"])
    lines = out.splitlines()
    table = [line for line in lines if line.startswith(("┏", "│", "└"))]
    assert widest(out) == cell_len(table[0])  # nothing padded to an imagined 200 columns
    assert cell_len(table[0]) > 120  # and nothing folded: every column is there


def test_narrow_terminal_gets_one_block_per_agent(demo_store: dict[str, Any]) -> None:
    out = run(demo_store, "kpi", "--month", demo_store["month"], columns=36)
    assert widest(out) <= 36, out
    assert "┃" not in out  # no table
    assert "询单→最终付款转化率" in out and "团队(" in out


def test_columns_and_wide(demo_store: dict[str, Any]) -> None:
    month = demo_store["month"]
    only = run(
        demo_store,
        "kpi",
        "--month",
        month,
        "--columns",
        "conversion_rate,avg_spend_fen",
        columns=80,
    )
    table = "\n".join(line for line in only.splitlines() if line[:1] in "┏┃┡│└")
    assert "客单价" in table and "净销售额" not in table  # the note under it may name it
    wide = run(demo_store, "kpi", "--month", month, "--wide", columns=80)
    assert widest(wide) > 80 and "打字速度" in wide
    env = {**os.environ, "KEFU_DB": str(demo_store["db"])}
    bad = subprocess.run(
        [str(demo_store["kefu"]), "kpi", "--month", month, "--columns", "nope"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad.returncode == 1 and "nope" in bad.stderr and "conversion_rate" in bad.stderr


@pytest.mark.parametrize("width", [80, 120])
def test_diagnose_fits_and_has_no_empty_section(demo_store: dict[str, Any], width: int) -> None:
    month = demo_store["complete"]
    fitted = run(demo_store, "diagnose", "--month", month, columns=width)
    full = run(demo_store, "diagnose", "--month", month)
    assert widest(fitted) <= width, fitted
    assert "…" not in fitted
    assert figures(fitted) <= figures(full)
    lines = fitted.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("─")]
    for a, b in zip(rules, [*rules[1:], len(lines)], strict=True):
        assert any(line.strip() for line in lines[a + 1 : b]), f"empty section: {lines[a]}"


@pytest.mark.parametrize("width", [80, 120])
def test_pay_and_payroll_fit(demo_store: dict[str, Any], width: int, tmp_path: Path) -> None:
    month = demo_store["complete"]
    fitted = run(demo_store, "pay", "--month", month, "--plan", "seed", columns=width)
    full = run(demo_store, "pay", "--month", month, "--plan", "seed")
    assert widest(fitted) <= width, fitted
    assert "…" not in fitted
    assert figures(fitted) <= figures(full)
    total = json.loads(run(demo_store, "pay", "--month", month, "--format", "json"))
    assert f"{total['total_fen'] // 100:,}.{total['total_fen'] % 100:02d}" in fitted
    listed = run(demo_store, "payroll", "list", columns=width)
    assert widest(listed) <= width


def test_an_agent_by_name_and_the_team_row_label(demo_store: dict[str, Any]) -> None:
    month = demo_store["month"]
    by_name = json.loads(
        run(demo_store, "kpi", "--month", month, "--agent", "小美", "--format", "json")
    )
    whole = json.loads(run(demo_store, "kpi", "--month", month, "--format", "json"))
    assert [a["agent_id"] for a in by_name["agents"]] == [f"{demo_store['shop']}:小美"]
    assert by_name["team"] == whole["team"]  # the team row is the team, filtered or not
    table = run(demo_store, "kpi", "--month", month, "--agent", "小美")
    presale = sum(1 for a in whole["agents"] if a["role"] == "presale")
    assert f"团队({presale} 名售前)" in table
    slip = run(demo_store, "payslip", "--month", demo_store["complete"], "--agent", "小美")
    assert "小美" in slip


def test_an_unknown_agent_lists_the_agents(demo_store: dict[str, Any]) -> None:
    env = {**os.environ, "KEFU_DB": str(demo_store["db"])}
    proc = subprocess.run(
        [str(demo_store["kefu"]), "kpi", "--month", demo_store["month"], "--agent", "无此人"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1
    assert "无此人" in proc.stderr and "小美" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["kpi", "--month", "2019-01"],
        ["pay", "--month", "2019-01"],
        ["payslip", "--month", "2019-01", "--agent", "小美"],
        ["diagnose", "--month", "2019-01"],
    ],
    ids=["kpi", "pay", "payslip", "diagnose"],
)
def test_a_month_without_data_says_so(demo_store: dict[str, Any], args: list[str]) -> None:
    env = {**os.environ, "KEFU_DB": str(demo_store["db"]), "COLUMNS": "200"}
    proc = subprocess.run([str(demo_store["kefu"]), *args], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert "2019-01" in proc.stderr and "没有数据" in proc.stderr
    assert demo_store["month"] in proc.stderr  # the months the shop does have
    assert "┃" not in proc.stdout  # no empty table


def test_an_ambiguous_name_lists_the_sub_accounts(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from kefu.cli.common import resolve_agent

    agents = [("店A:小美", "小美"), ("店A:小美2", "小美"), ("店A:小兰", "小兰")]
    assert resolve_agent(agents, "小兰", "zh") == "店A:小兰"
    assert resolve_agent(agents, "店A:小美2", "zh") == "店A:小美2"
    with pytest.raises(typer.Exit):
        resolve_agent(agents, "小美", "en")
    err = capsys.readouterr().err
    assert "店A:小美" in err and "店A:小美2" in err and "小兰" not in err
