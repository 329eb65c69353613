"""JD POP (京东) order exports: one line per SKU, statuses, cancelled and refunded orders, quirks."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from kefu.io import ImportFileError, read_file
from kefu.store import open_store
from kefu.store.ingest import import_files
from platformorders import (
    ADDRESS,
    JD_HEADER,
    PHONE,
    RECEIVER,
    Sale,
    build,
    sales_strategy,
    write,
)
from test_io_support import snapshot

SHOP = "京东旗舰店"
T0 = datetime(2024, 9, 3, 10, 0, 0)
T1 = datetime(2024, 9, 3, 10, 5, 0)

SALES = [
    Sale("312345678901234567", T0, T1, [(2, 12990), (1, 0)], "paid", "jd_buyer01"),  # two SKUs
    Sale("312345678901234568", T0, T1, [(1, 5000)], "cancelled", "jd_buyer02"),
    Sale("312345678901234569", T0, T1, [(1, 8800)], "refunded", "jd_buyer03", style=1),
    Sale("312345678901234570", T0, T1, [(3, 129900)], "deleted", "jd_buyer04", style=3),
]


def rows_of(pf):  # type: ignore[no-untyped-def]
    return pf.table.to_pylist()


@pytest.mark.parametrize(
    ("container", "encoding"), [("csv", "gbk"), ("csv", "utf-8"), ("xlsx", "")]
)
def test_jd_export_maps_onto_orders(tmp_path: Path, container: str, encoding: str) -> None:
    rows, expected = build("jd", SALES)
    p = write(
        tmp_path / f"jd.{container}", "jd", rows, container=container, encoding=encoding or "utf-8"
    )
    pf = read_file(p, shop=SHOP)
    assert pf.format == f"jd-orders-{container}"
    assert rows_of(pf) == [e.row(SHOP) for e in expected]
    got = {r["order_id"]: r for r in rows_of(pf)}
    assert got["312345678901234567"]["items"] == 3  # SKU lines summed, amount counted once
    assert got["312345678901234567"]["amount_fen"] == 12990
    cancelled = got["312345678901234568"]  # 已取消 before payment
    assert (cancelled["paid_at"], cancelled["amount_fen"], cancelled["refund_fen"]) == (None, 0, 0)
    refunded = got["312345678901234569"]  # 已取消 after payment: refunded in full
    assert (refunded["paid_at"], refunded["amount_fen"], refunded["refund_fen"]) == (T1, 8800, 8800)
    assert got["312345678901234570"]["amount_fen"] == 129900  # (删除) prefix, "1,299.00"
    assert pf.quarantine == []


def test_jd_needs_a_shop(tmp_path: Path) -> None:
    rows, _ = build("jd", SALES[:1])
    p = write(tmp_path / "jd.csv", "jd", rows, encoding="gbk")
    with pytest.raises(ImportFileError, match=r"jd\.csv.*--shop"):
        read_file(p)


def test_jd_without_its_amount_columns_is_refused(tmp_path: Path) -> None:
    rows, _ = build("jd", SALES[:1])
    header = [h for h in JD_HEADER if h not in ("应付金额", "订单金额")]
    p = write(tmp_path / "jd.csv", "jd", rows, header=header)
    with pytest.raises(ImportFileError, match=r"jd\.csv.*应付金额"):
        read_file(p, shop=SHOP)


def test_a_bad_sku_line_sets_the_whole_order_aside(tmp_path: Path) -> None:
    rows, expected = build("jd", SALES)
    rows[1]["订购数量"] = "两件"  # the second SKU line of the first order
    rows[2]["下单时间"] = "2024-13-01 10:00:00"
    p = write(tmp_path / "jd.csv", "jd", rows, encoding="gbk")
    pf = read_file(p, shop=SHOP)
    assert [r["order_id"] for r in rows_of(pf)] == [e.order_id for e in expected[2:]]
    where = sorted((q["row_no"], q["column"]) for q in pf.quarantine)
    assert where == [(2, "订单号"), (3, "订购数量"), (4, "下单时间")]
    assert all(q["reason"] for q in pf.quarantine)


def test_lines_of_one_order_that_disagree_are_set_aside(tmp_path: Path) -> None:
    rows, _ = build("jd", SALES[:1])
    rows[1]["应付金额"] = "1.00"
    pf = read_file(write(tmp_path / "jd.csv", "jd", rows), shop=SHOP)
    assert pf.table.num_rows == 0
    assert [q["row_no"] for q in pf.quarantine] == [3, 2]


def test_a_repeated_sku_line_is_a_duplicate(tmp_path: Path) -> None:
    rows, expected = build("jd", SALES[:1])
    pf = read_file(write(tmp_path / "jd.csv", "jd", [*rows, rows[0]]), shop=SHOP)
    assert rows_of(pf) == [expected[0].row(SHOP)]
    assert [(q["row_no"], q["column"]) for q in pf.quarantine] == [(4, "订单号")]


def test_sku_lines_without_a_sku_column_still_add_up(tmp_path: Path) -> None:
    rows, expected = build("jd", SALES[:1])
    header = [h for h in JD_HEADER if h != "商品ID"]
    pf = read_file(write(tmp_path / "jd.csv", "jd", rows, header=header), shop=SHOP)
    assert pf.table.to_pylist() == [expected[0].row(SHOP)]


def test_jd_import_twice_changes_nothing_and_keeps_no_personal_data(tmp_path: Path) -> None:
    rows, _ = build("jd", SALES)
    rows[0]["订购数量"] = "x"
    p = write(tmp_path / "jd.csv", "jd", rows, encoding="gbk")
    store = open_store(tmp_path / "kefu.duckdb")
    try:
        first = import_files(store, [p], shop=SHOP)[0]
        before = snapshot(store)
        again = import_files(store, [p], shop=SHOP)[0]
        assert (first.imported, first.quarantined) == (3, 2)
        assert (again.imported, again.updated, again.duplicates) == (0, 0, 3)
        assert snapshot(store) == before
        assert [e["format"] for e in store.imports()] == ["jd-orders-csv"] * 2
    finally:
        store.close()
    data = (tmp_path / "kefu.duckdb").read_bytes()
    for secret in (PHONE, ADDRESS, RECEIVER):
        assert secret.encode() not in data and secret.encode("utf-16-le") not in data


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sales=sales_strategy("jd"))
def test_any_jd_export_reads_back_exactly(tmp_path: Path, sales: list[Sale]) -> None:
    rows, expected = build("jd", sales)
    for container, encoding in (("csv", "gbk"), ("csv", "utf-8"), ("xlsx", "utf-8")):
        p = write(tmp_path / f"jd.{container}", "jd", rows, container=container, encoding=encoding)
        pf = read_file(p, shop=SHOP)
        assert pf.quarantine == []
        assert rows_of(pf) == [e.row(SHOP) for e in expected]
