"""Importers inside Spark: a landing folder's raw files parsed on the executors by kefu.io's
parsers (binaryFile + mapInArrow) give the rows the same parsers give on one machine."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from kefu.io import read_file
from kefu.io.records import ARROW_TYPES
from test_io_support import fixtures_dir

pytestmark = pytest.mark.spark
# the executors' Python must be this one, with kefu installed (set before any session starts)
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

CANONICAL = {
    "messages.csv": "shop_id,buyer_id,agent_id,sent_at,sender,text\n"
    "s1,b1,A,2024-07-01 10:00:00,buyer,在吗\n"
    "s1,b1,A,2024-07-01 10:00:30,agent,在的\n"
    "s1,b2,A,2024-07-02 25:00:00,buyer,坏时间\n",
    "orders.csv": "shop_id,order_id,buyer_id,created_at,paid_at,amount_fen\n"
    "s1,o1,b1,2024-07-01 11:00:00,2024-07-01 11:05:00,1000\n",
}


def rows(df: Any, kind: str) -> list[tuple[Any, ...]]:
    cols = list(ARROW_TYPES[kind])
    return sorted(tuple(r[c] for c in cols) for r in df.collect())


def test_a_landing_folder_parsed_in_spark_equals_the_parsers(tmp_path: Path) -> None:
    from kefu.lake.landing import canonical, parse_landing
    from kefu.metrics.spark import spark_session

    landing = tmp_path / "landing"
    (landing / "canonical").mkdir(parents=True)
    for name, text in CANONICAL.items():
        (landing / "canonical" / name).write_text(text, encoding="utf-8")
    export = fixtures_dir() / "taobao-order-export" / "ExportOrderList201707080100_masked.gbk.csv"
    (landing / "taobao").mkdir()
    shutil.copy(export, landing / "taobao" / export.name)
    (landing / "taobao" / "notes.txt").write_text("not an export\n", encoding="utf-8")

    spark = spark_session()
    got = parse_landing(spark, str(landing))
    want_msgs = read_file(landing / "canonical" / "messages.csv")
    want_orders = [
        read_file(landing / "canonical" / "orders.csv"),
        read_file(landing / "taobao" / export.name),
    ]
    assert rows(got.tables["messages"], "messages") == sorted(
        tuple(r.values()) for r in canonical("messages", want_msgs.table).to_pylist()
    )
    assert rows(got.tables["orders"], "orders") == sorted(
        tuple(r.values()) for pf in want_orders for r in canonical("orders", pf.table).to_pylist()
    )
    assert got.tables["orders"].count() > 1 and got.tables["reviews"].count() == 0
    # the bad row is quarantined with its file, row and column; the unknown file as a whole
    bad = {(q["file"], q["row_no"], q["column"]) for q in got.quarantine.collect()}
    (q,) = want_msgs.quarantine
    assert ("canonical/" + q["file"], q["row_no"], q["column"]) in bad
    assert ("taobao/notes.txt", None, None) in bad
    kinds = {r["file"]: r["kind"] for r in got.files.collect()}
    assert kinds["canonical/messages.csv"] == "messages"
    assert kinds[f"taobao/{export.name}"] == "orders"
    assert kinds["taobao/notes.txt"] is None
