"""End to end, as a user would: the installed `kefu` command on real export files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_io_support import fixtures_dir

KEFU = shutil.which("kefu", path=str(Path(sys.executable).parent)) or "kefu"
SHOP = "勤驿达海外生活"


def kefu(*args: str, db: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KEFU_DB": str(db), "COLUMNS": "200"}
    proc = subprocess.run([KEFU, *args], capture_output=True, text=True, env=env, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"kefu {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


@pytest.fixture
def shop_files(tmp_path: Path) -> list[Path]:
    agents = tmp_path / "agents.csv"
    agents.write_text(
        "agent_id,name,shop_id,role,team,hired_on,left_on\n"
        f"{SHOP}:小王,小王,{SHOP},presale,,2017-01-01,\n"
        f"{SHOP}:小李,小李,{SHOP},presale,,2017-03-01,\n",
        encoding="utf-8",
    )
    messages = tmp_path / "messages.csv"
    rows = [
        # tb_buyer01 asks 小王 late on the 7th and orders just after midnight: credited (next day)
        ("tb_buyer01", "小王", "2017-07-07 23:50:00", "buyer", "雪平锅有现货吗"),
        ("tb_buyer01", "小王", "2017-07-07 23:50:30", "agent", "亲，有现货的，今天下单明天发"),
        # tb_buyer02 talked to 小李 on the 5th and ordered on the 7th: silent
        ("tb_buyer02", "小李", "2017-07-05 10:00:00", "buyer", "包邮吗"),
        ("tb_buyer02", "小李", "2017-07-05 10:01:00", "agent", "顺丰包邮哦"),
        # tb_buyer04 asks 小李 an hour before ordering: credited
        ("tb_buyer04", "小李", "2017-07-07 18:40:00", "buyer", "牛刀是SG2钢吗"),
        ("tb_buyer04", "小李", "2017-07-07 18:41:10", "agent", "是的，粉末钢，很锋利"),
    ]
    messages.write_text(
        "shop_id,buyer_id,agent_id,sent_at,sender,text,chars\n"
        + "".join(f"{SHOP},{b},{SHOP}:{a},{t},{s},{x},\n" for b, a, t, s, x in rows),
        encoding="utf-8",
    )
    export = fixtures_dir() / "taobao-order-export" / "ExportOrderList201707080100_masked.gbk.csv"
    return [agents, export, messages]


def test_import_kpi_explain(tmp_path: Path, shop_files: list[Path]) -> None:
    db = tmp_path / "shop.duckdb"
    out = kefu("import", *map(str, shop_files), db=db).stdout
    assert "ExportOrderList201707080100_masked.gbk.csv" in out

    again = kefu("import", *map(str, shop_files), db=db)
    assert again.returncode == 0

    res = json.loads(kefu("kpi", "--month", "2017-07", "--format", "json", db=db).stdout)
    assert list(res) == [
        "shop_id",
        "month",
        "provisional",
        "settings",
        "agents",
        "team",
        "silent_orders",
        "silent_sales_fen",
        "silent_share",
        "unattributable_orders",
        "unattributable_sales_fen",
    ]
    agents = {a["agent_id"]: a for a in res["agents"]}
    wang, li = agents[f"{SHOP}:小王"], agents[f"{SHOP}:小李"]
    assert (wang["orders"], wang["sales_fen"], wang["conversion_rate"]) == (1, 20112, 1.0)
    assert (li["inquiring_buyers"], li["paying_buyers"], li["sales_fen"]) == (2, 1, 98900)
    assert li["first_response_s"] == (60 + 70) / 2
    assert res["team"]["sales_fen"] == 20112 + 98900
    # the three other paid orders of the export had no chat in time: silent
    assert res["silent_orders"] == 3
    assert res["silent_sales_fen"] == 18615 + 33155 + 23655
    assert res["unattributable_orders"] == 0

    why = kefu("explain", "order", "35082869905648884", "--lang", "en", db=db).stdout
    assert "silent" in why and "小李" in why
    why = kefu("explain", "order", "35153131473293579", db=db).stdout
    assert "落实给" in why and "小王" in why

    table = kefu("kpi", "--month", "2017-07", db=db).stdout
    assert "询单人数" in table and "小王" in table
    xlsx = tmp_path / "kpi.xlsx"
    kefu("kpi", "--month", "2017-07", "--format", "xlsx", "--output", str(xlsx), db=db)
    assert xlsx.stat().st_size > 0


def test_clear_errors(tmp_path: Path) -> None:
    db = tmp_path / "none.duckdb"
    proc = kefu("kpi", "--month", "2017-07", db=db, check=False)
    assert proc.returncode != 0 and "import" in proc.stderr
    proc = kefu("kpi", "--month", "2017-13", db=db, check=False)
    assert proc.returncode != 0 and "2024-09" in proc.stderr
