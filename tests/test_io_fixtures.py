"""Every real sample in the shared fixtures reads with its documented result (docs/importers.md)."""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kefu.io import ImportFileError, read_file
from test_io_support import fixtures_dir

# file → (kind, format, rows); a new fixture must be added here (and to docs/importers.md)
EXPECTED = {
    "taobao-order-export/ExportOrderList201707080100_masked.gbk.csv": (
        "orders",
        "taobao-export-csv",
        5,
    ),
    "taobao-order-export/ExportOrderList201707080100_masked.utf8.csv": (
        "orders",
        "taobao-export-csv",
        5,
    ),
    "taobao-order-export/ExportOrderDetailList201707080100_masked.gbk.csv": (
        "orders",
        "taobao-detail-csv",
        5,
    ),
    "taobao-order-export/ExportOrderDetailList201707080100_masked.utf8.csv": (
        "orders",
        "taobao-detail-csv",
        5,
    ),
    "tmall-order-report/tmall_order_report.csv": ("orders", "tmall-order-report", 28010),
    "qianniu-chat/qianniu_clipboard_copy.txt": ("messages", "qianniu-clipboard", 3),
    "qianniu-chat/qianniu_web_history_page_text.txt": ("messages", "qianniu-web", 2),
}


def test_every_fixture_is_documented() -> None:
    root = fixtures_dir()
    found = {
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name != "ORIGIN.txt"
    }
    assert found == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_reads(name: str) -> None:
    kind, fmt, rows = EXPECTED[name]
    pf = read_file(fixtures_dir() / name, shop="tmall-shop" if "tmall" in name else None)
    assert (pf.kind, pf.format, pf.table.num_rows, pf.rows_read) == (kind, fmt, rows, rows)
    assert pf.quarantine == []
    assert pf.warnings == []


def test_origin_notes_are_not_imports() -> None:
    with pytest.raises(ImportFileError, match=r"ORIGIN.txt is not a file kefu knows"):
        read_file(fixtures_dir() / "qianniu-chat" / "ORIGIN.txt")


def test_taobao_export_gbk_and_utf8_give_the_same_table() -> None:
    d = fixtures_dir() / "taobao-order-export"
    gbk = read_file(d / "ExportOrderList201707080100_masked.gbk.csv")
    utf8 = read_file(d / "ExportOrderList201707080100_masked.utf8.csv")
    assert gbk.encoding == "gb18030" and utf8.encoding == "utf-8"
    assert gbk.table.equals(utf8.table)
    assert gbk.columns == utf8.columns
    detail_gbk = read_file(d / "ExportOrderDetailList201707080100_masked.gbk.csv")
    detail_utf8 = read_file(d / "ExportOrderDetailList201707080100_masked.utf8.csv")
    assert detail_gbk.table.equals(detail_utf8.table)


def test_taobao_export_values() -> None:
    pf = read_file(
        fixtures_dir() / "taobao-order-export" / "ExportOrderList201707080100_masked.gbk.csv"
    )
    rows = pf.table.to_pylist()
    assert [r["order_id"] for r in rows] == [
        "35153131473293579",
        "35082869905648884",
        "13293638796527443",
        "13230536893603030",
        "29911142123210814",
    ]
    assert [r["amount_fen"] for r in rows] == [20112, 18615, 33155, 98900, 23655]
    assert [r["buyer_id"] for r in rows] == [f"tb_buyer0{i}" for i in range(1, 6)]
    assert {r["shop_id"] for r in rows} == {"勤驿达海外生活"}
    assert {r["refund_fen"] for r in rows} == {0}
    assert {r["items"] for r in rows} == {1}
    assert rows[0]["created_at"] == datetime(2017, 7, 8, 0, 42, 32)
    assert rows[0]["paid_at"] == datetime(2017, 7, 8, 0, 42, 39)
    assert rows[0]["status"] == "买家已付款，等待卖家发货"
    assert pf.source_rows == [2, 3, 4, 5, 6]
    assert set(pf.table.column_names) == {
        "shop_id", "order_id", "buyer_id", "created_at", "paid_at", "amount_fen", "items", "refund_fen", "status",
    }  # fmt: skip
    assert set(pf.columns) == set(pf.table.column_names)


def test_detail_list_counts_items() -> None:
    pf = read_file(
        fixtures_dir() / "taobao-order-export" / "ExportOrderDetailList201707080100_masked.gbk.csv"
    )
    assert pf.updates_only
    assert pf.table.column_names == ["order_id", "items"]
    assert dict(
        zip(pf.table["order_id"].to_pylist(), pf.table["items"].to_pylist(), strict=True)
    ) == {
        "35153131473293579": 1,
        "35082869905648884": 1,
        "13293638796527443": 1,
        "13230536893603030": 1,
        "29911142123210814": 1,
    }


def test_tmall_report() -> None:
    path = fixtures_dir() / "tmall-order-report" / "tmall_order_report.csv"
    with pytest.raises(ImportFileError, match="no 店铺名称 column: name the shop with --shop"):
        read_file(path)
    pf = read_file(path, shop="tmall-shop")
    assert "buyer_id" not in pf.table.column_names
    assert any("no 买家会员名 column" in n and "cannot be credited" in n for n in pf.notes)
    t = pf.table.to_pylist()
    assert len(t) == 28010 == len({r["order_id"] for r in t})
    # an independent reading with Decimal: paid orders pay 总金额, unpaid ones nothing
    with path.open(encoding="utf-8", newline="") as f:
        raw = list(csv.DictReader(f))
    want_amount = sum(int(Decimal(r["总金额"]) * 100) for r in raw if r["订单付款时间 "].strip())
    want_refund = sum(int(Decimal(r["退款金额"]) * 100) for r in raw)
    assert sum(r["amount_fen"] for r in t) == want_amount
    assert sum(r["refund_fen"] for r in t) == want_refund
    assert sum(r["paid_at"] is not None for r in t) == 18441 + 5132 + 514
    assert all(r["amount_fen"] == 0 for r in t if r["paid_at"] is None)
    assert {r["items"] for r in t} == {1}
    assert "items" not in pf.columns  # defaulted, not given by the file


def test_qianniu_clipboard() -> None:
    pf = read_file(fixtures_dir() / "qianniu-chat" / "qianniu_clipboard_copy.txt")
    assert pf.table.to_pylist() == [
        {
            "shop_id": "店铺名",
            "buyer_id": "tb00000000",
            "agent_id": "店铺名:客服A",
            "sent_at": datetime(2024, 1, 5, 10, 0, 0),
            "sender": "agent",
            "text": "亲，在的，请问有什么可以帮您？",
            "chars": 15,
        },
        {
            "shop_id": "店铺名",
            "buyer_id": "tb00000000",
            "agent_id": "店铺名:客服A",
            "sent_at": datetime(2024, 1, 5, 10, 0, 21),
            "sender": "buyer",
            "text": "这个有现货吗",
            "chars": 6,
        },
        {
            "shop_id": "店铺名",
            "buyer_id": "tb00000000",
            "agent_id": "店铺名:客服A",
            "sent_at": datetime(2024, 1, 5, 10, 1, 2),
            "sender": "agent",
            "text": "有的亲，今天下单今天发",
            "chars": 11,
        },
    ]
    assert pf.dropped == {
        "status lines (已读/未读/发送中)": 1,
        "recall notices (撤回了一条消息)": 1,
    }
    assert pf.source_rows == [1, 4, 6]


def test_qianniu_web_page() -> None:
    pf = read_file(fixtures_dir() / "qianniu-chat" / "qianniu_web_history_page_text.txt")
    assert pf.table.to_pylist() == [
        {
            "shop_id": "得力广州专卖店",
            "buyer_id": "tb00000000",
            "agent_id": "得力广州专卖店:小迪",
            "sent_at": datetime(2026, 5, 9, 20, 57, 11),
            "sender": "agent",
            "text": "",
            "chars": 0,
        },
        {
            "shop_id": "得力广州专卖店",
            "buyer_id": "tb00000000",
            "agent_id": "得力广州专卖店:小迪",
            "sent_at": datetime(2026, 5, 9, 20, 57, 13),
            "sender": "buyer",
            "text": "http://item.taobao.com/item.htm?id=1011758423155",
            "chars": 48,
        },
    ]
    assert pf.dropped == {}
    assert any("网页版无法展示" in n for n in pf.notes)
    assert pf.source_rows == [2, 6]


def test_fixture_path_helper_points_at_real_files() -> None:
    assert isinstance(fixtures_dir(), Path)
