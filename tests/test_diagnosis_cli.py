"""`kefu diagnose` and `kefu report` on a small real store, through the metrics engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.store import open_store

from shopdata import SHOP, Shop

runner = CliRunner()


def chats(s: Shop, agent: str, prefix: str, buyers: int, paying: int, amount_fen: int) -> None:
    for i in range(buyers):
        buyer, day = f"{prefix}{i}", f"2024-09-{1 + i % 25:02d}"
        s.chat(
            buyer,
            agent,
            (f"{day} 10:00:00", "buyer", "在吗"),
            (f"{day} 10:00:20", "agent", "在的亲"),
        )
        if i < paying:
            s.order(
                f"o-{buyer}", buyer, f"{day} 11:00:00", f"{day} 11:05:00", amount_fen=amount_fen
            )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three presale agents in 2024-09, 120 inquiring buyers each: 甲 80 pay 300 yuan,
    乙 24 pay 50 yuan, 丙 60 pay 150 yuan; one silent order."""
    s = Shop().agent("店:甲", name="甲").agent("店:乙", name="乙").agent("店:丙", name="丙")
    chats(s, "店:甲", "a", 120, 80, 30000)
    chats(s, "店:乙", "b", 120, 24, 5000)
    chats(s, "店:丙", "c", 120, 60, 15000)
    s.order("silent", "nobody", "2024-09-20 12:00:00", "2024-09-20 12:01:00", amount_fen=5000)
    path = tmp_path_factory.mktemp("cli") / "kefu.duckdb"
    s.store(path).close()
    return path


def kefu(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_diagnose_json_is_the_contract(db: Path) -> None:
    code, out = kefu("diagnose", "--month", "2024-09", "--db", str(db), "--format", "json")
    assert code == 0, out
    j = json.loads(out)
    assert j["shop_id"] == SHOP and j["month"] == "2024-09" and j["lang"] == "zh"
    verdicts = {v["name"]: v for v in j["verdicts"]}
    assert verdicts["甲"]["quadrant"] == "both_high"
    assert verdicts["乙"]["quadrant"] == "both_low"
    assert verdicts["丙"]["quadrant"] == "borderline"
    e = verdicts["甲"]["evidence"]
    assert e["inquiring_buyers"] == 120 and e["paying_buyers"] == 80
    assert e["avg_spend_fen"] == 30000 and e["conversion_reference"] == pytest.approx(164 / 360)
    assert e["avg_spend_reference_fen"] == round((80 * 30000 + 24 * 5000 + 60 * 15000) / 164)
    assert j["team"]["status"] == "no_reference"  # one month of data and no target
    paid = 80 * 30000 + 24 * 5000 + 60 * 15000 + 5000
    assert j["summary"]["silent_share"] == pytest.approx(5000 / paid)


def test_diagnose_table_in_chinese_and_english(db: Path) -> None:
    code, out = kefu("diagnose", "--month", "2024-09", "--db", str(db))
    assert code == 0, out
    assert "四象限" in out and "转化率低、客单价低" in out and "最好" in out
    code, out = kefu("diagnose", "--month", "2024-09", "--db", str(db), "--lang", "en")
    assert code == 0, out
    assert "Quadrants" in out and "low conversion, low spend" in out


def test_the_shops_settings_are_used(db: Path) -> None:
    with open_store(db) as st:
        st.set_setting(SHOP, "diagnosis.min_inquiries", "121")
    try:
        code, out = kefu("diagnose", "--month", "2024-09", "--db", str(db), "--format", "json")
        assert code == 0, out
        j = json.loads(out)
        assert j["settings"]["min_inquiries"] == 121
        assert {v["quadrant"] for v in j["verdicts"]} == {"insufficient_data"}
        with open_store(db) as st:
            st.set_setting(SHOP, "diagnosis.min_inquiries", "lots")
        code, out = kefu("diagnose", "--month", "2024-09", "--db", str(db))
        assert code == 1 and "diagnosis.min_inquiries 必须是整数" in out
        code, out = kefu("diagnose", "--month", "2024-09", "--db", str(db), "--lang", "en")
        assert code == 1 and "diagnosis.min_inquiries must be a whole number" in out
    finally:
        with open_store(db) as st:
            st.set_setting(SHOP, "diagnosis.min_inquiries", None)


def test_report_html_and_xlsx(db: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    code, out = kefu("report", "--month", "2024-09", "--db", str(db), "--output", str(html))
    assert code == 0, out
    text = html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "客服诊断报告" in text and "echarts" in text
    xlsx = tmp_path / "report.xlsx"
    code, out = kefu("report", "--month", "2024-09", "--db", str(db), "--output", str(xlsx))
    assert code == 0, out
    assert "四象限" in load_workbook(xlsx).sheetnames


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diagnose", "--month", "2024-9"], "--month must look like 2024-09"),
        (
            ["diagnose", "--month", "2024-09", "--format", "csv"],
            "--format must be one of table, json",
        ),
        (
            ["diagnose", "--month", "2024-08"],
            "店 has no data for 2024-08 (the imported data runs from 2024-09 to 2024-09)",
        ),
        (["diagnose", "--month", "2024-09", "--shop", "别家"], "shop '别家' has no data"),
        (
            ["report", "--month", "2024-09", "--output", "r.pdf"],
            "--output must end in .html or .xlsx",
        ),
        (
            ["report", "--month", "2024-09", "--output", "/no/such/dir/r.html"],
            "the folder /no/such/dir does not exist",
        ),
    ],
)
def test_errors_are_one_clear_sentence(db: Path, args: list[str], message: str) -> None:
    code, out = kefu(*args, "--lang", "en", "--db", str(db))
    assert code == 1
    assert message in out.replace("\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diagnose", "--month", "2024-9"], "--month 应形如 2024-09"),
        (
            ["diagnose", "--month", "2024-08"],
            "店 在 2024-08 没有数据 (已导入的数据从 2024-09 到 2024-09)",
        ),
        (["diagnose", "--month", "2024-09", "--shop", "别家"], "店铺 “别家” 在"),
        (
            ["report", "--month", "2024-09", "--output", "/no/such/dir/r.html"],
            "文件夹 /no/such/dir 不存在",
        ),
    ],
)
def test_errors_are_chinese_by_default(db: Path, args: list[str], message: str) -> None:
    code, out = kefu(*args, "--db", str(db))
    assert code == 1
    assert message in out.replace("\n", "")


def test_a_missing_database_is_named(tmp_path: Path) -> None:
    code, out = kefu("diagnose", "--month", "2024-09", "--db", str(tmp_path / "none.duckdb"))
    assert code == 1 and "没有 kefu 数据库" in out


def test_every_option_is_documented() -> None:
    import typer.main

    docs = (Path(__file__).resolve().parents[1] / "docs" / "diagnosis.md").read_text(
        encoding="utf-8"
    )
    group = typer.main.get_command(app)
    for name in ("diagnose", "report"):
        command = group.commands[name]  # type: ignore[attr-defined]
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--"):
                    assert opt in docs, f"{name} {opt} is not in docs/diagnosis.md"
