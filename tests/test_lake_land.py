"""Landing raw exports into a lake with Spark (kefu.lake.land): the lake holds what a store
holds after `kefu import` of the same files then `kefu lake export`; landing again changes
no file; a copy changes nothing; a newer export updates only its partitions; rows that
cannot be read are in the lake's quarantine dataset with file, row, column and reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from kefu.lake.export import export
from kefu.lake.source import LakeStore
from kefu.store import open_store
from kefu.store.ingest import import_files
from test_io_support import fixtures_dir

pytestmark = pytest.mark.spark
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

TAOBAO = fixtures_dir() / "taobao-order-export" / "ExportOrderList201707080100_masked.gbk.csv"
SHOP = "勤驿达海外生活"  # the Taobao export's shop

# (path below the landing folder, content); landed and imported in this order, each file
# newer than the one before
FILES: list[tuple[str, str | Path]] = [
    (
        "canonical/agents.csv",
        "shop_id,agent_id,name,role\ns1,s1:A,甲,售前\ns1,s1:B,乙,售前\ns2,s2:C,丙,售后\n",
    ),
    (
        "canonical/messages.csv",
        "shop_id,buyer_id,agent_id,sent_at,sender,text\n"
        "s1,b1,s1:A,2024-07-01 10:00:00,buyer,在吗\n"
        "s1,b1,s1:A,2024-07-01 10:00:30,agent,在的\n"
        "s1,b2,s1:B,2024-07-02 25:00:00,buyer,坏时间\n"
        "s1,b3,s1:B,2024-08-03 09:00:00,buyer,有货吗\n"
        "s2,b4,s2:C,2024-08-04 09:00:00,buyer,退货\n",
    ),
    (
        "canonical/orders-1.csv",
        "shop_id,order_id,buyer_id,created_at,paid_at,amount_fen,refund_fen\n"
        "s1,o1,b1,2024-07-01 11:00:00,2024-07-01 11:05:00,1000,100\n"
        "s1,o2,b3,2024-08-03 10:00:00,,2000,0\n",
    ),
    (f"shop_id={SHOP}/{TAOBAO.name}", TAOBAO),
    (  # a newer export: o1's amount changes (its refund, not in this file, stays); o3 is new
        "later/orders-2.csv",
        "shop_id,order_id,buyer_id,created_at,paid_at,amount_fen\n"
        "s1,o1,b1,2024-07-01 11:00:00,2024-07-01 11:05:00,1500\n"
        "s2,o3,b4,2024-08-04 10:00:00,2024-08-04 10:01:00,3000\n",
    ),
    (  # no shop: each review takes its order's; o9 is in no shop
        "later/reviews.csv",
        "order_id,rating,rated_at\no1,good,2024-07-05 12:00:00\no9,bad,2024-07-06 12:00:00\n",
    ),
    ("notes.txt", "not an export\n"),
]
TABLES = ("agents", "messages", "orders", "reviews")


def lay(landing: Path, files: list[tuple[str, str | Path]], start: int) -> list[Path]:
    paths = []
    for i, (rel, content) in enumerate(files):
        path = landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, path)
        else:
            path.write_text(content, encoding="utf-8")
        os.utime(path, (start + i * 60, start + i * 60))
        paths.append(path)
    return paths


def rows(lake: Path, table: str) -> list[tuple[Any, ...]]:
    s = LakeStore(lake)
    try:
        return s.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
    finally:
        s.close()


def data_files(lake: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(lake)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in lake.rglob("*.parquet")
        if not any(part.startswith("_") for part in p.relative_to(lake).parts)
    }


def quarantine(lake: Path) -> list[tuple[Any, ...]]:
    return duckdb.sql(
        f'SELECT file, kind, row_no, "column", value, reason FROM read_parquet('
        f"'{lake}/quarantine/*/*.parquet', hive_partitioning = true,"
        " hive_types = {'file': 'VARCHAR'}) ORDER BY ALL"
    ).fetchall()


def stored(tmp: Path, paths: list[Path], name: str) -> Path:
    """The same files through `kefu import` (one call, in order), exported to a lake."""
    store = open_store(tmp / f"{name}.duckdb")
    reports = import_files(store, paths)
    assert all(r.error is None or r.file == "notes.txt" for r in reports), [
        (r.file, r.error) for r in reports
    ]
    export(store, tmp / name)
    store.close()
    return tmp / name


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from kefu.lake.land import Land
    from kefu.metrics.spark import spark_session

    tmp = tmp_path_factory.mktemp("land")
    landing, lake = tmp / "landing", tmp / "lake"
    paths = lay(landing, FILES, 1_700_000_000)
    spark = spark_session()
    first = Land(spark, str(landing), str(lake)).run()
    return {"tmp": tmp, "landing": landing, "lake": lake, "paths": paths, "first": first}


def test_the_landed_lake_holds_what_the_store_holds_after_importing_the_same_files(
    landed: dict[str, Any],
) -> None:
    want = stored(landed["tmp"], landed["paths"], "want")
    for table in TABLES:
        assert rows(landed["lake"], table) == rows(want, table), table
    (o1,) = [r for r in rows(landed["lake"], "orders") if r[2] == "o1"]
    assert o1[0] == "s1" and o1[1] == "2024-07" and 1500 in o1 and 100 in o1  # amount, refund
    report = landed["first"]
    assert report["tables"]["orders"]["updated"] == 0  # o1 twice in one landing: one record
    assert report["tables"]["orders"]["new"] == 3 + 5
    assert report["files"]["notes.txt"]["kind"] is None


def test_rows_that_cannot_be_read_are_in_the_quarantine_dataset(landed: dict[str, Any]) -> None:
    q = quarantine(landed["lake"])
    bad = {(f, kind, row, col) for f, kind, row, col, _, _ in q}
    assert ("canonical/messages.csv", "messages", 4, "sent_at") in bad
    assert ("later/reviews.csv", "reviews", 3, "order_id") in bad
    assert ("notes.txt", None, None, None) in bad
    (o9,) = [r for r in q if r[4] == "o9"]
    assert "o9" in o9[5]
    assert landed["first"]["quarantined"] == len(q) == 3


def test_landing_again_a_copy_and_a_newer_export(landed: dict[str, Any]) -> None:
    landing, lake, tmp = landed["landing"], landed["lake"], landed["tmp"]
    before = data_files(lake)
    # again, through the installed command: nothing new, nothing written
    kefu = str(Path(sys.executable).parent / "kefu")
    done = subprocess.run(
        [kefu, "lake", "land", "--from", str(landing), "--lake", str(lake), "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    again = json.loads(done.stdout)
    assert again["files"] == {} and again["files_seen"] == len(FILES)
    assert data_files(lake) == before

    from kefu.lake.land import Land
    from kefu.metrics.spark import spark_session

    spark = spark_session()
    # a copy of a file landed before, under another name (with a glob character in it)
    copy = [("later/orders-2 [copy].csv", FILES[4][1])]
    lay(landing, copy, 1_700_100_000)
    report = Land(spark, str(landing), str(lake)).run()
    assert list(report["files"]) == ["later/orders-2 [copy].csv"]
    assert report["tables"]["orders"]["unchanged"] == 2
    assert report["tables"]["orders"]["partitions_written"] == 0
    assert data_files(lake) == before

    # a newer export of o2: only its month's partition of orders is written again
    newer = [
        (
            "later/orders-3.csv",
            "shop_id,order_id,buyer_id,created_at,paid_at,amount_fen\n"
            "s1,o2,b3,2024-08-03 10:00:00,2024-08-03 10:30:00,2000\n",
        )
    ]
    paths = lay(landing, newer, 1_700_200_000)
    report = Land(spark, str(landing), str(lake)).run()
    assert report["tables"]["orders"]["updated"] == 1
    after = data_files(lake)
    changed = {p for p in after.keys() | before.keys() if after.get(p) != before.get(p)}
    assert changed and all(p.startswith("orders/shop_id=s1/month=2024-08/") for p in changed)
    want = stored(tmp, [*landed["paths"], *paths], "want-newer")
    for table in TABLES:
        assert rows(lake, table) == rows(want, table), table
