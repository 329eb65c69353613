"""A shop-month from a platform's report through kpi → diagnose → pay, on a real DuckDB file."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.metrics.fields import available, exact, pool, value
from kefu.metrics.reported import ChosenKpis, ReportedKpis
from kefu.store import open_store
from kefu.store.ingest import import_files
from reportdata import CHITU_HEADER, chitu_days, chitu_month, chitu_row, sycm_month, write_csv

SHOP = "小美旗舰店"
AGENTS = (
    "agent_id,name,shop_id,role,hired_on\n"
    f"{SHOP}:小美,小美,{SHOP},presale,2023-01-01\n"
    f"{SHOP}:阿强,阿强,{SHOP},presale,2024-05-01\n"
    f"{SHOP}:小丽,小丽,{SHOP},presale,2024-08-15\n"
)


def run(db: Path, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, [*args, "--db", str(db)])
    return r.exit_code, r.output


def shop_with(tmp_path: Path, *files: Path) -> Path:
    db = tmp_path / "kefu.duckdb"
    agents = tmp_path / "agents.csv"
    agents.write_text(AGENTS, encoding="utf-8")
    with open_store(db) as store:
        reports = import_files(store, [agents, *files])
    assert all(r.ok for r in reports), [r.error for r in reports]
    return db


def test_importing_a_report_twice_changes_nothing(tmp_path: Path) -> None:
    f = chitu_month(tmp_path)
    db = shop_with(tmp_path, f)
    with open_store(db) as store:
        before = store.con.execute("SELECT * FROM reported_figures ORDER BY ALL").fetchall()
        (again,) = import_files(store, [f])
        after = store.con.execute("SELECT * FROM reported_figures ORDER BY ALL").fetchall()
    assert (again.kind, again.imported, again.updated, again.duplicates) == ("report", 0, 0, 3)
    assert again.dropped == {"summary rows": 2}
    assert before == after


def test_chitu_month_kpis_mark_what_the_report_cannot_give(tmp_path: Path) -> None:
    db = shop_with(tmp_path, chitu_month(tmp_path))
    with open_store(db) as store:
        sm = ChosenKpis(store).shop_months(SHOP, ["2024-09"])["2024-09"]
    assert sm.source is not None and sm.source["credit_rule"] == "order_first"
    xm = sm.agent(f"{SHOP}:小美")
    assert xm is not None and xm.known and xm.hired_on is not None
    assert value(xm.parts, "conversion_rate") == Fraction(165, 300)
    # 客单价 as the platform divides it: 销售额 / 销售人数
    assert exact(xm.parts, "avg_spend_fen") == Fraction(4125000, 160)
    for missing in (
        "repurchase_rate",
        "net_sales_fen",
        "bad_review_rate",
        "new_buyer_net_sales_fen",
    ):
        assert not available(xm.parts, missing)
        assert value(xm.parts, missing) is None  # never a silent zero
    # a rate given without its counts: the agent's own, never pooled into the team
    assert value(xm.parts, "avg_response_s") == Fraction(65, 2)
    assert not available(sm.team, "avg_response_s")
    assert sm.team["inquiring_buyers"] == 730
    assert exact(sm.team, "conversion_rate") == Fraction(345, 730)  # pooled from counts
    assert sm.provisional  # 延迟统计 in a figure
    j = sm.to_json()
    assert j["source"]["source"] == "chitu"
    assert "repurchase_rate" in j["agents"][0]["not_available"]
    assert j["agents"][0]["repurchase_rate"] is None


def test_staff_without_a_report_row_are_listed_and_paid_their_base(tmp_path: Path) -> None:
    db = shop_with(tmp_path, sycm_month(tmp_path))  # 小丽 and the after-sale 阿红 have no row
    with open_store(db) as store:
        store.con.execute(
            "INSERT INTO agents VALUES (?, ?, '阿红', 'aftersale', NULL, '2024-01-01', NULL)",
            [SHOP, f"{SHOP}:阿红"],
        )
        sm = ChosenKpis(store).shop_months(SHOP, ["2024-09"])["2024-09"]
    xl = sm.agent(f"{SHOP}:小丽")
    assert xl is not None and xl.parts["inquiring_buyers"] == 0
    assert not available(xl.parts, "repurchase_rate")  # what the report lacks for anyone
    assert value(xl.parts, "net_sales_fen") == 0  # the report gives net sales: none for her
    assert exact(sm.team, "conversion_rate") == Fraction(285, 580)  # unchanged by her zeros
    code, out = run(db, "pay", "--month", "2024-09", "--plan", "seed")
    assert code == 0, out
    assert "阿红" in out and "小丽" in out


def test_daily_reports_sum_to_the_month_from_counts(tmp_path: Path) -> None:
    rows = {1: (10, 6, "600.00"), 2: (2, 0, "0.00")}  # (inquiring, paying, sales) of one agent
    files = []
    for d, (inq, pay, sales) in rows.items():
        day = f"2024-09-0{d}"
        row = chitu_row(f"{SHOP}:小美", inq, inq, inq, pay, sales, pay, pay)
        files.append(
            write_csv(
                tmp_path / f"自定义报表_日报_下单优先判定_{day}至{day}.csv", [CHITU_HEADER, row]
            )
        )
    db = shop_with(tmp_path, *files)
    with open_store(db) as store:
        sm = ReportedKpis(store).shop_months(SHOP, ["2024-09"])["2024-09"]
    xm = sm.agent(f"{SHOP}:小美")
    assert xm is not None and xm.parts["inquiring_buyers"] == 12 and xm.parts["paying_buyers"] == 6
    assert xm.parts["sales_fen"] == 60000
    # Σ paying / Σ inquiring = 1/2, not the mean of the daily rates (0.6 and 0 → 0.3)
    assert exact(xm.parts, "conversion_rate") == Fraction(1, 2)
    # the daily 平均响应 is a mean without its count: not summed, not averaged
    assert not available(xm.parts, "avg_response_s")
    assert sm.source is not None and sm.source["days_covered"] == 2 and sm.provisional


def test_three_daily_files_and_their_summary_rows(tmp_path: Path) -> None:
    db = shop_with(tmp_path, *chitu_days(tmp_path))
    with open_store(db) as store:
        sm = ReportedKpis(store).shop_months(SHOP, ["2024-09"])["2024-09"]
    xm = sm.agent(f"{SHOP}:小美")
    assert xm is not None and xm.parts["paying_buyers"] == 6 + 5 + 6
    assert xm.parts["sales_fen"] == (1010 + 1020 + 1030) * 100


def test_rate_only_figures_are_never_pooled() -> None:
    a = {
        **dict.fromkeys(pool([]), 0),
        "avg_response_s:num": 30,
        "avg_response_s:den": 1,
        "avg_response_s:only": 1,
        "response_total_s:na": 1,
        "answered_turns:na": 1,
    }
    b = dict(a, **{"avg_response_s:num": 10})
    assert exact(a, "avg_response_s") == 30
    assert exact(pool([a]), "avg_response_s") == 30  # a team of one is that agent
    assert exact(pool([a, b]), "avg_response_s") is None  # never the mean 20
    assert not available(pool([a, b]), "avg_response_s")


def test_kpi_diagnose_and_pay_from_sycm_alone(tmp_path: Path) -> None:
    db = shop_with(tmp_path, sycm_month(tmp_path))
    code, out = run(db, "kpi", "--month", "2024-09")
    assert code == 0, out
    assert "生意参谋" in out and "报表未提供" in out and "复购率" in out
    code, out = run(db, "kpi", "--month", "2024-09", "--format", "json")
    j = json.loads(out)
    assert j["source"]["credit_rule"] == "paid"
    xm = next(a for a in j["agents"] if a["agent_id"].endswith("小美"))
    assert (xm["net_sales_fen"], xm["refund_fen"], xm["repurchase_rate"]) == (4000000, 125000, None)
    code, out = run(db, "diagnose", "--month", "2024-09", "--format", "json")
    assert code == 0, out
    d = json.loads(out)
    assert d["source"]["source"] == "sycm" and "repurchase_rate" in d["team_not_available"]
    code, out = run(db, "diagnose", "--month", "2024-09")
    assert code == 0 and "数据来源: 生意参谋" in out
    code, out = run(
        db,
        "payslip",
        "--month",
        "2024-09",
        "--agent",
        f"{SHOP}:小美",
        "--plan",
        "seed",
        "--lang",
        "en",
    )
    assert code == 0, out
    # the seed plan's gates are judged from the report's figures alone …
    assert "✓ gate: net sales 40,000.00 ≥ threshold 30,000.00: pass" in out
    assert (
        "✓ gate: inquiry conversion 55.00% (165 of 300 buyers) ≥ team 49.14% (285 of 580 buyers): pass"
        in out
    )
    assert (
        "✓ gate: spend per buyer (before refunds) 257.81 yuan (4,125,000 fen / 165 buyers)" in out
    )
    assert "bad-review rate n/a ≤ team n/a: pass (not given by the report: as the plan says" in out
    # … the rank bonus goes to the highest net sales; the commission needs the new/returning split
    assert "net sales 40,000.00 is the highest: +100.00" in out
    assert (
        "withheld: the report does not give new-buyer net sales, returning-buyer net sales" in out
    )


def test_diagnosis_from_chitu_shows_missing_net_sales_as_unknown(tmp_path: Path) -> None:
    db = shop_with(tmp_path, chitu_month(tmp_path))
    code, out = run(db, "diagnose", "--month", "2024-09", "--format", "json")
    assert code == 0, out
    d = json.loads(out)
    assert "net_sales_fen" in d["team_not_available"]
    assert d["summary"]["net_sales_fen"] is None and d["summary"]["paid_net_sales_fen"] is None
    assert all(v["evidence"]["net_sales_fen"] is None for v in d["verdicts"])
    code, out = run(db, "diagnose", "--month", "2024-09")
    assert code == 0 and "报表未提供" in out and "净销售额" in out


def test_the_report_of_a_report_month_says_where_its_figures_come_from(tmp_path: Path) -> None:
    db = shop_with(tmp_path, chitu_month(tmp_path))
    out = tmp_path / "r.html"
    code, text = run(db, "report", "--month", "2024-09", "--output", str(out), "--lang", "en")
    assert code == 0, text
    html = out.read_text(encoding="utf-8")
    assert 'id="source"' in html and "not given by the report" in html


def test_pay_from_chitu_says_net_sales_is_missing(tmp_path: Path) -> None:
    db = shop_with(tmp_path, chitu_month(tmp_path))
    code, out = run(
        db,
        "payslip",
        "--month",
        "2024-09",
        "--agent",
        f"{SHOP}:小美",
        "--plan",
        "seed",
        "--lang",
        "en",
    )
    assert code == 0, out
    assert "the report does not give net sales: the rank bonus is not judged" in out
    assert "not given by the report: not judged" in out  # the net-sales gate


@pytest.mark.parametrize(
    "args",
    [
        ("--month", "2024-13"),
        ("--day", "2024-09-31"),
        ("--month", "2024-09", "--day", "2024-09-01"),
    ],
)
def test_import_period_options_are_checked(tmp_path: Path, args: tuple[str, ...]) -> None:
    f = write_csv(
        tmp_path / "自定义报表.csv", [CHITU_HEADER, chitu_row("S:a", 1, 1, 1, 1, "1", 1, 1)]
    )
    code, out = run(tmp_path / "k.duckdb", "import", str(f), *args)
    assert code != 0 and "Traceback" not in out


def test_import_month_option_gives_the_period(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "自定义报表.csv", [CHITU_HEADER, chitu_row("S:a", 1, 1, 1, 1, "1", 1, 1)]
    )
    db = tmp_path / "k.duckdb"
    code, out = run(db, "import", str(f))
    assert code == 1 and "--month YYYY-MM" in out
    code, out = run(db, "import", str(f), "--month", "2024-09")
    assert code == 0, out
    code, out = run(db, "import", str(f), "--day", "2024-09-03")
    assert code == 0, out
    with open_store(db) as store:
        grains = store.con.execute(
            "SELECT DISTINCT grain FROM reported_figures ORDER BY 1"
        ).fetchall()
    assert grains == [("day",), ("month",)]
