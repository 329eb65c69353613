"""`kefu import` as a user runs it: the installed command, in a subprocess, on a real DuckDB file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kefu.store import open_store
from test_io_support import export_csv, fixtures_dir, order_row

KEFU = Path(sys.executable).parent / "kefu"


def kefu(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("KEFU_DB", None)
    return subprocess.run(
        [str(KEFU), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


@pytest.fixture(autouse=True)
def _installed() -> None:
    if not KEFU.exists():
        pytest.skip(f"the kefu command is not installed next to {sys.executable}")


def test_import_a_fixture(tmp_path: Path) -> None:
    d = fixtures_dir() / "taobao-order-export"
    export = d / "ExportOrderList201707080100_masked.gbk.csv"
    out = kefu(
        "import",
        export,
        d / "ExportOrderDetailList201707080100_masked.gbk.csv",
        "--db",
        "k.duckdb",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "ExportOrderList201707080100_masked.gbk.csv" in out.stdout
    assert "新增" in out.stdout and "读取的行" in out.stdout
    # the detail list's rows are not lost: they gave the order list its item counts
    detail = out.stdout.split("ExportOrderDetailList201707080100_masked.gbk.csv", 1)[1]
    assert re.search(r"用于同时导入的订单表 \(件数\) *│ *5 │", detail), detail
    with open_store(tmp_path / "k.duckdb") as s:
        assert s.count("orders") == 5
    again = kefu("import", export, "--db", "k.duckdb", cwd=tmp_path)
    assert again.returncode == 0
    assert "重复且未变" in again.stdout


def test_import_chat_and_report_drops(tmp_path: Path) -> None:
    chat = fixtures_dir() / "qianniu-chat" / "qianniu_clipboard_copy.txt"
    out = kefu("import", chat, "--db", "k.duckdb", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "status lines (已读/未读/发送中)" in out.stdout
    assert "not in the agents table" in out.stdout


def test_a_bad_file_exits_1_and_the_good_one_still_imports(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"x,y\n1,\x80\x80\n")
    good = tmp_path / "orders.csv"
    good.write_bytes(export_csv([order_row("1"), order_row("2", paid_at="2024-13-01 10:00:00")]))
    out = kefu("import", bad, good, "--db", "k.duckdb", cwd=tmp_path)
    assert out.returncode == 1
    assert "bad.csv 不是 UTF-8 或 GBK 文本" in out.stderr
    assert "该文件没有导入任何内容" in out.stderr
    assert "1/2 个文件无法读取" in out.stderr
    assert "orders.csv 第 3 行, 订单付款时间: '2024-13-01 10:00:00' 不是有效日期" in out.stdout
    with open_store(tmp_path / "k.duckdb") as s:
        assert s.count("orders") == 1

    listed = kefu("import", "--quarantine", "--db", "k.duckdb", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert (
        "订单付款时间" in listed.stdout
        and "不是有效日期" in listed.stdout
        and "orders.csv" in listed.stdout
    )
    # the stored reason (its key and values) speaks the reader's language
    listed = kefu("import", "--quarantine", "--db", "k.duckdb", "--lang", "en", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "is not a date" in listed.stdout and "不是有效日期" not in listed.stdout


def test_a_single_unreadable_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    out = kefu("import", empty, "--db", "k.duckdb", cwd=tmp_path)
    assert out.returncode == 1
    assert "empty.csv 是空的: 没有可导入的内容" in out.stderr
    assert "Traceback" not in out.stderr
    out = kefu("import", empty, "--db", "k.duckdb", "--lang", "en", cwd=tmp_path)
    assert "empty.csv is empty: there is nothing to import" in out.stderr


def test_many_quarantined_rows_are_summarised(tmp_path: Path) -> None:
    p = tmp_path / "orders.csv"
    p.write_bytes(export_csv([order_row(str(i), created="bad") for i in range(1, 26)]))
    out = kefu("import", p, "--db", "k.duckdb", cwd=tmp_path)
    assert out.returncode == 0
    assert "orders.csv 第 21 行," in out.stdout and "orders.csv 第 22 行," not in out.stdout
    assert "… 还有 5 行: kefu import --quarantine" in out.stdout


def test_usage_errors(tmp_path: Path) -> None:
    out = kefu("import", "--db", "k.duckdb", cwd=tmp_path)
    assert out.returncode == 1 and "请给出要导入的文件" in out.stderr
    out = kefu("import", "x.csv", "--kind", "refunds", cwd=tmp_path)
    assert out.returncode == 1 and "--kind 只能是" in out.stderr
    out = kefu("import", "--quarantine", "--db", "none.duckdb", cwd=tmp_path)
    assert out.returncode == 1 and "没有 kefu 数据库" in out.stderr
