"""拼多多 订单明细 exports: one line per order, 已取消 and 退款成功 statuses, partial refunds."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from kefu.io import ImportFileError, read_file
from kefu.store import open_store
from kefu.store.ingest import import_files
from platformorders import PDD_HEADER, Sale, build, sales_strategy, write
from test_io_support import snapshot

SHOP = "拼多多店"
T0 = datetime(2024, 9, 3, 10, 0, 0)

SALES = [
    Sale("240903-123456789012345", T0, T0, [(2, 3990)], "paid"),
    Sale("240903-123456789012346", T0, T0, [(1, 1990)], "cancelled"),
    Sale("240903-123456789012347", T0, T0, [(1, 2990)], "refunded", style=1),
    Sale("240903-123456789012348", T0, T0, [(4, 10000)], "partial", style=2),
]


@pytest.mark.parametrize(
    ("container", "encoding"), [("xlsx", ""), ("csv", "gbk"), ("csv", "utf-8")]
)
def test_pdd_export_maps_onto_orders(tmp_path: Path, container: str, encoding: str) -> None:
    rows, expected = build("pdd", SALES)
    p = write(
        tmp_path / f"订单明细-pdd.{container}",
        "pdd",
        rows,
        container=container,
        encoding=encoding or "utf-8",
    )
    pf = read_file(p, shop=SHOP)
    assert pf.format == f"pdd-orders-{container}"
    assert pf.table.to_pylist() == [e.row(SHOP) for e in expected]
    got = {r["order_id"]: r for r in pf.table.to_pylist()}
    assert got["240903-123456789012345"]["items"] == 2
    cancelled = got["240903-123456789012346"]  # 已取消: never paid
    assert (cancelled["paid_at"], cancelled["amount_fen"], cancelled["refund_fen"]) == (None, 0, 0)
    refunded = got["240903-123456789012347"]  # 未发货，退款成功: refunded in full
    assert (refunded["amount_fen"], refunded["refund_fen"]) == (2990, 2990)
    partial = got["240903-123456789012348"]  # 退款成功 with 退款金额(元) 50.00 of 100.00
    assert (partial["amount_fen"], partial["refund_fen"]) == (10000, 5000)
    assert pf.quarantine == []


def test_full_width_brackets_in_the_header(tmp_path: Path) -> None:
    rows, expected = build("pdd", SALES[:1])
    header = [h.replace("(", "（").replace(")", "）") for h in PDD_HEADER]
    rows = [{k.replace("(", "（").replace(")", "）"): v for k, v in r.items()} for r in rows]
    pf = read_file(write(tmp_path / "p.csv", "pdd", rows, header=header), shop=SHOP)
    assert pf.table.to_pylist() == [expected[0].row(SHOP)]


def test_pdd_without_the_paid_amount_is_refused(tmp_path: Path) -> None:
    rows, _ = build("pdd", SALES[:1])
    header = [h for h in PDD_HEADER if h != "用户实付金额(元)"]
    with pytest.raises(ImportFileError, match=r"p\.csv.*用户实付金额"):
        read_file(write(tmp_path / "p.csv", "pdd", rows, header=header), shop=SHOP)


def test_a_payment_time_column_decides_whether_a_cancelled_order_was_paid(tmp_path: Path) -> None:
    rows, _ = build("pdd", SALES[:2])
    rows[0]["支付时间"] = "2024-09-03 10:00:05"
    rows[1]["支付时间"] = "2024-09-03 10:00:09"  # cancelled after payment: refunded in full
    pf = read_file(write(tmp_path / "p.csv", "pdd", rows), shop=SHOP)
    got = {r["order_id"]: r for r in pf.table.to_pylist()}
    assert got["240903-123456789012345"]["paid_at"] == datetime(2024, 9, 3, 10, 0, 5)
    cancelled = got["240903-123456789012346"]
    assert (cancelled["amount_fen"], cancelled["refund_fen"]) == (1990, 1990)


def test_bad_rows_are_quarantined_with_file_row_column(tmp_path: Path) -> None:
    rows, expected = build("pdd", SALES)
    rows[0]["用户实付金额(元)"] = "-3.00"
    rows[1]["订单号"] = "2.40903E+21"
    rows[3]["退款金额(元)"] = "200.00"  # more than was paid
    pf = read_file(write(tmp_path / "p.csv", "pdd", [*rows, rows[2]]), shop=SHOP)
    assert pf.table.to_pylist() == [expected[2].row(SHOP)]
    assert [(q["file"], q["row_no"], q["column"]) for q in pf.quarantine] == [
        ("p.csv", 2, "用户实付金额(元)"),
        ("p.csv", 3, "订单号"),
        ("p.csv", 6, "订单号"),
        ("p.csv", 5, "退款金额(元)"),
    ]


def test_an_empty_amount_on_a_paid_order_is_a_warning(tmp_path: Path) -> None:
    rows, _ = build("pdd", SALES[:2])
    rows[0]["用户实付金额(元)"] = ""
    rows[1]["用户实付金额(元)"] = ""  # cancelled: nothing was paid, no warning
    pf = read_file(write(tmp_path / "p.csv", "pdd", rows), shop=SHOP)
    assert [r["amount_fen"] for r in pf.table.to_pylist()] == [0, 0]
    assert len(pf.warnings) == 1 and "p.csv" in pf.warnings[0] and "2" in pf.warnings[0]


def test_pdd_import_twice_changes_nothing(tmp_path: Path) -> None:
    rows, _ = build("pdd", SALES)
    p = write(tmp_path / "订单明细-pdd.xlsx", "pdd", rows, container="xlsx")
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


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sales=sales_strategy("pdd"))
def test_any_pdd_export_reads_back_exactly(tmp_path: Path, sales: list[Sale]) -> None:
    rows, expected = build("pdd", sales)
    for container, encoding in (("csv", "gbk"), ("csv", "utf-8"), ("xlsx", "utf-8")):
        p = write(tmp_path / f"p.{container}", "pdd", rows, container=container, encoding=encoding)
        pf = read_file(p, shop=SHOP)
        assert pf.quarantine == []
        assert pf.table.to_pylist() == [e.row(SHOP) for e in expected]
