"""Taobao buyers' ratings saved with taobao.traderates.get's field names, imported as reviews."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from kefu.io import ImportFileError, read_file
from kefu.store import open_store
from kefu.store.ingest import import_files
from test_io_support import snapshot

HEADER = "tid,oid,role,nick,result,created,rated_nick,item_title,item_price,content,reply,num_iid,valid_score"
ROWS = [
    "35153131473293579,35153131473293579,buyer,tb_buyer01,good,2024-09-05 12:00:00,店铺,宝贝,9.90,很好,,1,true",
    "35153131473293580,1,buyer,tb_buyer02,bad,2024-09-06 08:30:00,店铺,宝贝,9.90,差,,1,true",
    "35153131473293580,2,buyer,tb_buyer02,good,2024-09-06 08:31:00,店铺,宝贝,9.90,,,1,true",
    "35153131473293581,3,seller,店铺,good,2024-09-06 09:00:00,tb_buyer03,宝贝,9.90,,,1,true",
    "35153131473293582,4,buyer,tb_buyer04,非常好,2024-09-06 09:00:00,店铺,宝贝,9.90,,,1,true",
    "3.5153E+16,5,buyer,tb_buyer05,neutral,2024-09-06 09:00:00,店铺,宝贝,9.90,,,1,true",
]


def write(path: Path, rows: list[str] = ROWS, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_ratings_become_reviews(tmp_path: Path, encoding: str) -> None:
    pf = read_file(write(tmp_path / "traderates.csv", encoding=encoding), shop="测试店")
    assert pf.format == "taobao-traderates-csv" and pf.kind == "reviews"
    assert pf.table.to_pylist() == [
        {"shop_id": "测试店", "order_id": "35153131473293579", "rated_at": datetime(2024, 9, 5, 12), "rating": "good"},
        {"shop_id": "测试店", "order_id": "35153131473293580", "rated_at": datetime(2024, 9, 6, 8, 30), "rating": "bad"},
    ]  # fmt: skip
    assert [(q["row_no"], q["column"]) for q in pf.quarantine] == [
        (4, "tid"),
        (6, "result"),
        (7, "tid"),
    ]
    assert sum(pf.dropped.values()) == 1  # the seller's rating of a buyer is not a review


def test_an_xlsx_of_ratings(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    ws.append(ROWS[0].split(","))
    wb.save(tmp_path / "r.xlsx")
    pf = read_file(tmp_path / "r.xlsx", shop="测试店")
    assert pf.format == "taobao-traderates-xlsx"
    assert pf.table.column("order_id").to_pylist() == ["35153131473293579"]


def test_ratings_are_not_orders(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="reviews"):
        read_file(write(tmp_path / "r.csv"), kind="orders")


def test_reviews_find_their_order_shop_and_import_once(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "shop_id,order_id,created_at,amount_fen\n测试店,35153131473293579,2024-09-03 10:00:00,100\n"
        "测试店,35153131473293580,2024-09-03 10:00:00,100\n",
        encoding="utf-8",
    )
    store = open_store(tmp_path / "kefu.duckdb")
    try:
        import_files(store, [orders])
        first = import_files(store, [write(tmp_path / "traderates.csv")])[0]
        before = snapshot(store)
        again = import_files(store, [tmp_path / "traderates.csv"])[0]
        assert (first.imported, first.quarantined) == (2, 3)
        assert (again.imported, again.updated, again.duplicates) == (0, 0, 2)
        assert snapshot(store) == before
        got = store.con.execute(
            "SELECT shop_id, order_id, rating FROM reviews ORDER BY 2"
        ).fetchall()
        assert got == [
            ("测试店", "35153131473293579", "good"),
            ("测试店", "35153131473293580", "bad"),
        ]
    finally:
        store.close()
