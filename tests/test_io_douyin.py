"""抖店 order exports: 子订单 lines under a 主订单, tab-prefixed cells, '-' for empty, refunds per line."""

from __future__ import annotations

import codecs
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from kefu.io import ImportFileError, read_file
from kefu.store import open_store
from kefu.store.ingest import import_files
from platformorders import DOUYIN_HEADER, Sale, build, sales_strategy, write
from test_io_support import snapshot

SHOP = "抖音小店"
T0 = datetime(2024, 9, 3, 10, 0, 0)
T1 = datetime(2024, 9, 3, 10, 1, 30)

SALES = [
    Sale("6912345678901234567", T0, T1, [(1, 9900), (2, 3000)], "paid"),
    Sale("6912345678901234568", T0, T1, [(1, 5000)], "cancelled"),
    Sale("6912345678901234569", T0, T1, [(1, 8800), (1, 1200)], "refunded", style=2),
    Sale("6912345678901234570", T0, T1, [(1, 4000), (3, 6000)], "partial", style=1),
]


def bom_utf8(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    write(path, "douyin", rows, header=header)
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
    return path


@pytest.mark.parametrize("container", ["csv", "xlsx"])
def test_douyin_export_maps_onto_orders(tmp_path: Path, container: str) -> None:
    rows, expected = build("douyin", SALES)
    p = tmp_path / f"douyin.{container}"
    if container == "csv":
        bom_utf8(p, rows)
    else:
        write(p, "douyin", rows, container="xlsx")
    pf = read_file(p, shop=SHOP)
    assert pf.format == f"douyin-orders-{container}"
    assert pf.table.to_pylist() == [e.row(SHOP) for e in expected]
    got = {r["order_id"]: r for r in pf.table.to_pylist()}
    paid = got["6912345678901234567"]
    assert (paid["amount_fen"], paid["items"], paid["refund_fen"]) == (12900, 3, 0)
    cancelled = got["6912345678901234568"]  # 已关闭 with no payment
    assert (cancelled["paid_at"], cancelled["amount_fen"], cancelled["refund_fen"]) == (None, 0, 0)
    refunded = got["6912345678901234569"]  # every 子订单 退款成功
    assert (refunded["amount_fen"], refunded["refund_fen"]) == (10000, 10000)
    partial = got["6912345678901234570"]  # one of two 子订单 refunded
    assert (partial["amount_fen"], partial["refund_fen"]) == (10000, 4000)
    assert any("buyer" in n or "买家" in n for n in pf.notes)


def test_without_payment_times_a_closed_order_with_a_refund_was_paid(tmp_path: Path) -> None:
    rows, _ = build("douyin", SALES)
    header = [h for h in DOUYIN_HEADER if h != "支付完成时间"]
    pf = read_file(bom_utf8(tmp_path / "d.csv", rows, header), shop=SHOP)
    got = {r["order_id"]: r for r in pf.table.to_pylist()}
    assert got["6912345678901234568"]["paid_at"] is None  # closed, nothing refunded: cancelled
    assert got["6912345678901234569"]["paid_at"] == T0  # closed and refunded: paid
    assert got["6912345678901234569"]["refund_fen"] == 10000
    assert got["6912345678901234567"]["paid_at"] == T0  # paid at submission, a note says so
    assert any("支付完成时间" in n for n in pf.notes)


def test_a_bad_sub_order_sets_the_main_order_aside(tmp_path: Path) -> None:
    rows, expected = build("douyin", SALES)
    rows[1]["订单应付金额"] = "12.345"
    rows[4]["订单提交时间"] = "昨天"
    pf = read_file(bom_utf8(tmp_path / "d.csv", rows), shop=SHOP)
    assert [r["order_id"] for r in pf.table.to_pylist()] == [
        expected[1].order_id,
        expected[3].order_id,
    ]
    assert sorted((q["row_no"], q["column"]) for q in pf.quarantine) == [
        (2, "主订单编号"),
        (3, "订单应付金额"),
        (5, "主订单编号"),
        (6, "订单提交时间"),
    ]


def test_a_repeated_sub_order_is_a_duplicate(tmp_path: Path) -> None:
    rows, expected = build("douyin", SALES[:1])
    pf = read_file(bom_utf8(tmp_path / "d.csv", [*rows, rows[1]]), shop=SHOP)
    assert pf.table.to_pylist() == [expected[0].row(SHOP)]
    assert [q["row_no"] for q in pf.quarantine] == [4]


def test_douyin_needs_a_shop(tmp_path: Path) -> None:
    rows, _ = build("douyin", SALES[:1])
    with pytest.raises(ImportFileError, match=r"d\.csv.*--shop"):
        read_file(bom_utf8(tmp_path / "d.csv", rows))


def test_douyin_import_twice_changes_nothing(tmp_path: Path) -> None:
    rows, _ = build("douyin", SALES)
    p = bom_utf8(tmp_path / "d.csv", rows)
    store = open_store(tmp_path / "kefu.duckdb")
    try:
        first = import_files(store, [p], shop=SHOP)[0]
        before = snapshot(store)
        again = import_files(store, [p], shop=SHOP)[0]
        assert first.error is None and first.imported == 4
        assert (again.imported, again.updated, again.duplicates) == (0, 0, 4)
        assert snapshot(store) == before
    finally:
        store.close()
    data = (tmp_path / "kefu.duckdb").read_bytes()
    assert b"$$a1b2c3$$" not in data and "##密文##".encode() not in data


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sales=sales_strategy("douyin"))
def test_any_douyin_export_reads_back_exactly(tmp_path: Path, sales: list[Sale]) -> None:
    rows, expected = build("douyin", sales)
    for container, encoding in (("csv", "gbk"), ("csv", "utf-8"), ("xlsx", "utf-8")):
        p = write(
            tmp_path / f"d.{container}", "douyin", rows, container=container, encoding=encoding
        )
        pf = read_file(p, shop=SHOP)
        assert pf.quarantine == []
        assert pf.table.to_pylist() == [e.row(SHOP) for e in expected]
