"""The pay commands end to end on a hand-built KPI source (the store holds the runs)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import kefu.cli.pay as cli_pay
from kefu.cli.main import app
from kefu.metrics.table import ShopMonth
from kefu.pay.compute import pay_month
from kefu.pay.plan import load_plan
from kefu.report.payslip import pay_json
from kefu.store import open_store
from test_pay_support import SHOP, good_month, source

DATA: dict[str, ShopMonth] = {}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "kefu.duckdb"
    with open_store(path) as store:
        store.con.execute(
            "INSERT INTO agents VALUES (?, 'a', 'A', 'presale', NULL, '2023-01-01', NULL)", [SHOP]
        )
    DATA.clear()
    for m in ("2024-04", "2024-05", "2024-06"):
        DATA[m] = good_month(m)
    monkeypatch.setattr(cli_pay, "kpi_source", lambda store: source(DATA))
    monkeypatch.setattr(cli_pay, "today", lambda: date(2024, 12, 1))
    return str(path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_pay_json_is_the_contract(db: str) -> None:
    code, out, _ = run(
        "pay", "--month", "2024-05", "--plan", "seed", "--format", "json", "--db", db
    )
    assert code == 0, out
    doc = json.loads(out)
    assert list(doc) == [
        "shop_id",
        "month",
        "plan",
        "agents",
        "total_fen",
        "payroll_share_of_net_sales",
    ]
    assert (doc["shop_id"], doc["month"], doc["plan"]) == (SHOP, "2024-05", "seed")
    agent = doc["agents"][0]
    assert list(agent) == ["agent_id", "name", "total_fen", "lines"]
    assert list(agent["lines"][0]) == ["component", "amount_fen", "explanation", "inputs"]
    assert [x["component"] for x in agent["lines"]] == ["base", "rank_bonus", "commission"]
    expected = pay_json(pay_month(load_plan("seed"), SHOP, "2024-05", DATA), "zh")
    assert doc == json.loads(json.dumps(expected, ensure_ascii=False))
    assert doc["total_fen"] == 566000 + 350000 + 350000
    assert doc["payroll_share_of_net_sales"] == pytest.approx(1266000 / 7000000)
    assert "底薪" in agent["lines"][0]["explanation"]
    code, out, _ = run("pay", "--month", "2024-05", "--format", "json", "--lang", "en", "--db", db)
    assert json.loads(out)["agents"][0]["lines"][0]["explanation"].startswith("base 3,000.00")


def test_pay_table_and_xlsx(db: str, tmp_path: Path) -> None:
    code, out, _ = run("pay", "--month", "2024-06", "--db", db)
    assert code == 0 and "季度奖" in out and "工资占本月净销售额" in out
    xlsx = tmp_path / "pay.xlsx"
    code, out, _ = run(
        "pay", "--month", "2024-05", "--format", "xlsx", "--out", str(xlsx), "--db", db
    )
    assert code == 0 and xlsx.exists()
    wb = load_workbook(xlsx)
    sheet = wb["工资(试算)"]
    assert [c.value for c in sheet[1]] == ["客服", "姓名", "基本工资", "排名奖", "提成", "合计"]
    assert sheet["F2"].value == 5660
    assert wb["明细"].max_row == 1 + 3 + 3 + 1  # header, a, b, c (aftersale: base only)


def test_pay_rejects_bad_options_in_one_sentence(db: str, tmp_path: Path) -> None:
    code, _, err = run("pay", "--month", "2024-5", "--db", db)
    assert code == 1 and "2024-09" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("plan: x\nsections: {presale: {base: {amount: 3000}}}\n")
    code, _, err = run("pay", "--month", "2024-05", "--plan", str(bad), "--db", db)
    assert code == 1 and "[undated]" in err and str(bad) in err
    assert "\\[undated]" not in err  # the code shows as written, not markup-escaped twice
    code, _, err = run("pay", "--month", "2024-05", "--format", "pdf", "--db", db)
    assert code == 1 and "--format" in err


def test_payslip_text_html_and_languages(db: str) -> None:
    code, out, _ = run("payslip", "--month", "2024-05", "--agent", "a", "--db", db)
    assert code == 0, out
    # without a payroll run the payslip is a trial: nothing on it says paid
    assert "工资单(试算) 2024-05" in out and "[应发(试算)]" in out and "已发放" not in out
    # every rate shows what was counted, never a reduced fraction
    assert "询单→最终付款转化率 40.00% (40/100 人) ≥ 团队 30.00% (60/200 人)" in out
    assert "团队 1,166.67 元 (7,000,000 分 / 60 人)" in out
    assert "档位: [0.00, 50,000.00) 50,000.00 × 3% = 1,500.00" in out
    assert "合计(试算): 5,660.00" in out
    code, out, _ = run("payslip", "--month", "2024-05", "--agent", "b", "--lang", "en", "--db", db)
    assert "Payslip (trial) 2024-05" in out and "[due (trial)]" in out
    assert "✗ gate: net sales 10,000.00 ≥ threshold 30,000.00: fail" in out
    assert "20.00% (20 of 100 buyers) ≥ team 30.00% (60 of 200 buyers): fail" in out
    code, out, _ = run(
        "payslip", "--month", "2024-05", "--agent", "a", "--format", "html", "--db", db
    )
    assert out.startswith("<!doctype html>") and "提成" in out
    code, _, err = run("payslip", "--month", "2024-05", "--agent", "zzz", "--db", db)
    assert code == 1 and "zzz" in err


def test_payroll_run_approve_diff_list_and_clawback(db: str) -> None:
    code, out, _ = run("payroll", "run", "--month", "2024-05", "--plan", "seed", "--db", db)
    assert code == 0 and "1" in out
    code, out, _ = run("payroll", "approve", "1", "--db", db)
    assert code == 0 and "12,660.00" in out
    code, _, err = run("payroll", "run", "--month", "2024-05", "--db", db)
    assert code == 1 and "已有审批过的第 1 次核算" in err
    code, _, err = run("payroll", "approve", "1", "--db", db)
    assert code == 1 and "第 1 次核算已于" in err and "审批" in err
    code, _, err = run("payroll", "approve", "1", "--lang", "en", "--db", db)
    assert code == 1 and "run 1 was approved on" in err
    # a refund arrives for May
    DATA["2024-05"] = good_month("2024-05", refund_a=100000)
    code, out, _ = run("payroll", "diff", "1", "--lang", "en", "--db", db)
    assert code == 0 and "2,060.00" in out and "2,012.00" in out and "-48.00" in out
    assert "clawback" in out
    # the payslip of May is still the approved run's
    code, out, _ = run("payslip", "--month", "2024-05", "--agent", "a", "--db", db)
    assert "2,060.00" in out and "已审批" in out and "[已发放]" in out and "试算" not in out
    code, out, _ = run("pay", "--month", "2024-06", "--format", "json", "--db", db)
    lines = json.loads(out)["agents"][0]["lines"]
    assert [(x["component"], x["amount_fen"]) for x in lines if x["component"] == "clawback"] == [
        ("clawback", -4800)
    ]
    code, out, _ = run("payroll", "run", "--month", "2024-06", "--db", db)
    assert code == 0
    code, out, _ = run("payroll", "list", "--lang", "en", "--db", db)
    assert code == 0 and "2024-05" in out and "2024-06" in out


def test_payroll_run_warns_before_settle_days(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_pay, "today", lambda: date(2024, 6, 10))
    code, _, err = run("payroll", "run", "--month", "2024-05", "--lang", "en", "--db", db)
    assert code == 0 and "less than 15 days" in err


def test_pay_compare(db: str) -> None:
    code, out, _ = run(
        "pay",
        "compare",
        "--plan",
        "seed",
        "--plan",
        "seed",
        "--from",
        "2024-04",
        "--to",
        "2024-06",
        "--format",
        "json",
        "--db",
        db,
    )
    assert code == 0, out
    doc = json.loads(out)
    assert doc["plans"][0] == "seed" and doc["plans"][1].startswith("seed (")
    assert list(doc["difference_fen"].values()) == [0]
    total = doc["total_fen"]["seed"]
    expect = sum(pay_month(load_plan("seed"), SHOP, m, DATA).total_fen for m in DATA)
    assert total == expect
    growth_vs_seed = run(
        "pay",
        "compare",
        "--plan",
        "seed",
        "--plan",
        "midyear",
        "--from",
        "2025-01",
        "--to",
        "2025-02",
        "--db",
        db,
    )
    assert growth_vs_seed[0] == 0
    code, out, _ = run(
        "pay",
        "compare",
        "--plan",
        "seed",
        "--plan",
        "seed",
        "--from",
        "2024-04",
        "--to",
        "2024-06",
        "--db",
        db,
    )
    assert code == 0 and "工资占净销售额" in out


def test_plan_check(tmp_path: Path) -> None:
    code, out, _ = run("plan", "check", "seed", "growth", "midyear")
    assert code == 0 and "2025-07-01" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(load_plan("seed").text.replace("3%", "3", 1))
    code, _, err = run("plan", "check", str(bad))
    assert code == 1 and "[rate]" in err


def test_names_reach_the_terminal_inert(db: str) -> None:
    from dataclasses import replace

    for m, sm in DATA.items():
        first = replace(sm.agents[0], name="\x1b[2J\x1b]0;pwned\x07[red]x\u202e")
        DATA[m] = replace(sm, agents=[first, *sm.agents[1:]])
    code, out, err = run("pay", "--month", "2024-05", "--db", db)
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "␛[2J␛]0;pwned␇[red]x<U+202E>" in out.replace("\n", "")
