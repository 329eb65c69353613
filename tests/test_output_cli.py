"""The commands that write files, run in-process on a real store imported from real exports.

Every --output that must not be written (the store, another database, a folder, a fifo, a
missing folder) is refused with one sentence and a non-zero exit, before any work, and the
target is unchanged; the KPI CSV is for Excel/WPS by default and for scripts with --raw.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from kefu.cli.main import app
from test_cli_e2e import SHOP, shop_files

__all__ = ["shop_files"]  # the fixture, shared with the end-to-end test

MONTH = "2017-07"
BOM = b"\xef\xbb\xbf"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path, shop_files: list[Path]) -> Path:
    path = tmp_path / "kefu.duckdb"
    code, out, err = run("import", *map(str, shop_files), "--db", str(path))
    assert code == 0, out + err
    return path


def test_kpi_csv_for_people_and_for_scripts(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "kpi.csv"
    code, _, err = run(
        "kpi", "--month", MONTH, "--format", "csv", "--output", str(out), "--db", str(db)
    )
    assert code == 0, err
    data = out.read_bytes()
    assert data.startswith(BOM)  # Excel and WPS read UTF-8 only with the mark
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    head = rows[0]
    assert head[:5] == ["店铺", "月份", "客服", "姓名", "岗位"]
    assert "净销售额(元)" in head and "询单→最终付款转化率" in head
    agent = next(r for r in rows[1:] if r[2] == f"{SHOP}:小王")
    net = agent[head.index("净销售额(元)")]
    assert net.count(".") == 1 and len(net.split(".")[1]) == 2 and "," not in net
    assert agent[head.index("询单→最终付款转化率")].endswith("%")
    assert rows[-1][2] == "团队"

    code, text, _ = run("kpi", "--month", MONTH, "--format", "csv", "--raw", "--db", str(db))
    assert code == 0 and not text.startswith("\ufeff")
    raw = list(csv.DictReader(io.StringIO(text)))
    assert list(raw[0])[:6] == ["shop_id", "month", "row", "agent_id", "name", "role"]
    doc = json.loads(run("kpi", "--month", MONTH, "--format", "json", "--db", str(db))[1])
    by_id = {a["agent_id"]: a for a in doc["agents"]}
    for r in raw:
        if r["row"] == "agent":  # integer fen, the same figures as the JSON contract
            assert int(r["net_sales_fen"]) == by_id[r["agent_id"]]["net_sales_fen"]
            assert yuan_text(by_id[r["agent_id"]]["net_sales_fen"]) in {
                row[head.index("净销售额(元)")] for row in rows
            }

    en = tmp_path / "kpi-en.csv"
    run(
        "kpi",
        "--month",
        MONTH,
        "--format",
        "csv",
        "--lang",
        "en",
        "--output",
        str(en),
        "--db",
        str(db),
    )
    assert next(csv.reader(io.StringIO(en.read_bytes()[3:].decode())))[:3] == [
        "shop",
        "month",
        "agent",
    ]


def yuan_text(fen: int) -> str:
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def test_kpi_xlsx_shows_rates_as_percentages_and_money_as_yuan(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "kpi.xlsx"
    code, _, err = run(
        "kpi", "--month", MONTH, "--format", "xlsx", "--output", str(out), "--db", str(db)
    )
    assert code == 0, err
    ws = load_workbook(out)["KPI"]
    head = [c.value for c in ws[1]]
    row = next(iter(ws.iter_rows(min_row=2, max_row=2)))
    conv = row[head.index("询单→最终付款转化率")]
    net = row[head.index("净销售额(元)")]
    assert conv.number_format == "0.00%" and isinstance(conv.value, float)
    assert net.number_format == "#,##0.00"


# -- refusals -----------------------------------------------------------------------------
Target = Callable[[Path, Path], Path]


def the_store(db: Path, tmp: Path) -> Path:
    return db


def other_duckdb(db: Path, tmp: Path) -> Path:
    path = tmp / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT 42 AS answer")
    con.close()
    return path


def a_folder(db: Path, tmp: Path) -> Path:
    folder = tmp / "out"
    folder.mkdir(exist_ok=True)
    return folder


def a_fifo(db: Path, tmp: Path) -> Path:
    path = tmp / "pipe.csv"
    if not path.exists():
        os.mkfifo(path)
    return path


def missing_folder(db: Path, tmp: Path) -> Path:
    return tmp / "no-such-folder" / "out.xlsx"


COMMANDS: dict[str, list[str]] = {
    "kpi csv": ["kpi", "--month", MONTH, "--format", "csv"],
    "kpi xlsx": ["kpi", "--month", MONTH, "--format", "xlsx"],
    "kpi json": ["kpi", "--month", MONTH, "--format", "json"],
    "report": ["report", "--month", MONTH],
    "pay": ["pay", "--month", MONTH, "--format", "xlsx"],
    "payslip": ["payslip", "--month", MONTH, "--agent", f"{SHOP}:小王"],
}


def state(path: Path) -> bytes | str:
    if path.is_dir():
        return "dir:" + ",".join(sorted(p.name for p in path.iterdir()))
    if path.exists() and path.is_file():
        return path.read_bytes()
    return "absent" if not os.path.lexists(path) else "special"


@pytest.mark.parametrize("make", [the_store, other_duckdb, a_folder, a_fifo, missing_folder])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_outputs_are_refused_in_one_sentence(
    db: Path, tmp_path: Path, command: str, make: Target
) -> None:
    target = make(db, tmp_path)  # (report refuses a name not ending .html/.xlsx at once)
    before, store_before = state(target), db.read_bytes()
    code, out, err = run(*COMMANDS[command], "--output", str(target), "--db", str(db))
    assert code != 0, out
    message = err.strip()
    assert message.startswith("kefu:") and "\n" not in message, err
    assert "Traceback" not in err + out
    assert state(target) == before
    if make is the_store:
        assert db.read_bytes() == store_before  # refused before the store was even opened
    with duckdb.connect(str(db), read_only=True) as con:  # and it is still the store
        assert con.execute("SELECT count(*) FROM agents").fetchone() == (2,)


def test_the_old_out_option_still_works(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pay.xlsx"
    code, _, err = run(
        "pay", "--month", MONTH, "--format", "xlsx", "--out", str(out), "--db", str(db)
    )
    assert code == 0, err
    assert load_workbook(out).sheetnames == ["工资(试算)", "明细"]


def test_payslip_output_file(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "slip.html"
    code, _, err = run(
        "payslip", "--month", MONTH, "--agent", f"{SHOP}:小王", "--format", "html",
        "--output", str(out), "--db", str(db),
    )  # fmt: skip
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "Content-Security-Policy" in page


def test_demo_never_deletes_a_folder_it_did_not_make(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.docx").write_bytes(b"years of work")
    code, _, err = run("demo", "--workspace", str(home))
    assert code != 0 and "--workspace" in err
    assert (home / "thesis.docx").read_bytes() == b"years of work"


def test_refusals_show_control_characters(db: Path) -> None:
    code, out, err = run("explain", "order", "\x1b[2J\x1b]0;pwned\x07", "--db", str(db))
    assert code != 0
    assert "\x1b" not in err + out and "\x07" not in err + out
    assert "␛[2J" in err
