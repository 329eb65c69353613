"""One set of record rules for every importer: Taobao, 千牛 chat, canonical CSV/xlsx/Parquet and the bulk path."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.inert import visible
from kefu.io import quarantine_line, read_file
from kefu.io.records import ARROW_TYPES
from kefu.io.rules import broken, sql_predicate
from kefu.store import open_store
from kefu.store.ingest import import_files
from test_io_support import export_csv, order_row

HEADER = "order_id,shop_id,created_at,paid_at,amount_fen,refund_fen\n"


def canonical(tmp_path: Path, rows: str, name: str = "orders.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + rows, encoding="utf-8")
    return p


def lines(p: Path) -> list[str]:
    return [quarantine_line(q) for q in read_file(p).quarantine]


def test_refund_above_payment_is_quarantined_in_a_canonical_file(tmp_path: Path) -> None:
    p = canonical(
        tmp_path,
        "1,s,2024-09-03 10:00:00,2024-09-03 10:01:00,3003,900000\n"
        "2,s,2024-09-03 10:00:00,2024-09-03 10:01:00,3003,3003\n",
    )
    pf = read_file(p)
    assert pf.table["order_id"].to_pylist() == ["2"]
    assert lines(p) == [
        "orders.csv row 2, refund_fen: refund_fen 900000 is more than amount_fen 3003: "
        "a refund cannot exceed what the buyer paid"
    ]


def test_refund_above_total_is_quarantined_in_a_taobao_export(tmp_path: Path) -> None:
    p = tmp_path / "ExportOrderList.csv"
    p.write_bytes(
        export_csv([order_row("1", total="30.03", paid="30.03", refund="9000.00"), order_row("2")])
    )
    pf = read_file(p)
    assert pf.table["order_id"].to_pylist() == ["2"]
    assert lines(p)[0] == (
        "ExportOrderList.csv row 2, 退款金额: 退款金额 9000.00 is more than 总金额 30.03: "
        "a refund cannot exceed what the buyer paid"
    )


def test_paid_before_created_is_quarantined_everywhere(tmp_path: Path) -> None:
    p = canonical(tmp_path, "1,s,2024-09-03 10:00:00,2024-09-03 09:00:00,100,0\n")
    assert lines(p) == [
        "orders.csv row 2, paid_at: paid_at 2024-09-03 09:00:00 is before created_at 2024-09-03 10:00:00"
    ]
    t = tmp_path / "ExportOrderList.csv"
    t.write_bytes(export_csv([order_row("1", paid_at="2024-09-03 09:00:00")]))
    assert "订单付款时间: 订单付款时间 2024-09-03 09:00:00 is before 订单创建时间" in lines(t)[0]


@pytest.mark.parametrize(
    ("cell", "code"),
    [("1\x1b[2J", "U+001B"), ("1\r2", "U+000D"), ("a\u202eb", "U+202E"), ("a\x85b", "U+0085")],
)
def test_control_characters_in_ids_are_quarantined(tmp_path: Path, cell: str, code: str) -> None:
    p = tmp_path / "agents.csv"
    p.write_text(f'agent_id,shop_id,role\n"{cell}",s,presale\nok,s,presale\n', encoding="utf-8")
    pf = read_file(p)
    assert pf.table["agent_id"].to_pylist() == ["ok"]
    (q,) = pf.quarantine
    assert code in q["reason"] and q["column"] == "agent_id"
    assert q["value"] == visible(cell) and "\x1b" not in (q["value"] or "")


def test_control_characters_in_chat_speakers(tmp_path: Path) -> None:
    p = tmp_path / "chat.txt"
    p.write_text(
        "店:客服 2024-1-5 10:00:21\n您好\ntb\x1b]0;pwned\x07 2024-1-5 10:00:30\n在吗\n"
        "tb1 2024-1-5 10:00:40\n好\n",
        encoding="utf-8",
    )
    pf = read_file(p)
    assert "tb1" in pf.table["buyer_id"].to_pylist()
    assert all("\x1b" not in b for b in pf.table["buyer_id"].to_pylist())
    assert any("control character" in q["reason"] for q in pf.quarantine)


def test_xlsx_and_parquet_cells_meet_the_same_rules(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["order_id", "shop_id", "created_at", "amount_fen", "refund_fen"])
    ws.append(["1", "s", "2024-09-03 10:00:00", 100, 500])
    ws.append(["2", "s", "2024-09-03 10:00:00", 100, 0])
    wb.save(tmp_path / "o.xlsx")
    pf = read_file(tmp_path / "o.xlsx")
    assert pf.table["order_id"].to_pylist() == ["2"]
    assert "a refund cannot exceed" in pf.quarantine[0]["reason"]

    t = pa.table({"order_id": ["1\x00", "2"], "shop_id": ["s", "s"],
                  "created_at": pa.array([datetime(2024, 9, 3)] * 2, type=pa.timestamp("us")),
                  "amount_fen": [100, 100], "items": pa.array([1, 1], pa.int32()), "refund_fen": [0, 0]})  # fmt: skip
    pq.write_table(t, tmp_path / "o.parquet")
    pf = read_file(tmp_path / "o.parquet")
    assert pf.table["order_id"].to_pylist() == ["2"]
    assert "NUL byte" in pf.quarantine[0]["reason"]


def test_the_bulk_path_hands_a_rule_breaking_file_to_the_row_reader(tmp_path: Path) -> None:
    t = pa.table({"order_id": ["1", "2"], "shop_id": ["s", "s"],
                  "created_at": pa.array([datetime(2024, 9, 3)] * 2, type=pa.timestamp("us")),
                  "amount_fen": [3003, 100], "items": pa.array([1, 1], pa.int32()),
                  "refund_fen": [900000, 0]})  # fmt: skip
    pq.write_table(t, tmp_path / "o.parquet")
    with open_store(tmp_path / "k.duckdb") as store:
        (r,) = import_files(store, [tmp_path / "o.parquet"])
        assert (r.imported, r.quarantined) == (1, 1)
        assert r.quarantine[0]["row_no"] == 2 and r.quarantine[0]["column"] == "refund_fen"
        assert store.con.execute("SELECT order_id FROM orders").fetchall() == [("2",)]


# -- the Python rules and the bulk path's SQL are the same rules -------------------------------

TEXTS = st.sampled_from(["a", "店:客服", " ", "x\x1by", "a\x00b", "\u202e", "tab\tin", "好\x85"])
TIMES = st.integers(0, 4).map(lambda h: datetime(2024, 9, 3) + timedelta(hours=h))


@st.composite
def order_rows(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "shop_id": draw(TEXTS),
        "order_id": draw(TEXTS),
        "buyer_id": draw(st.none() | TEXTS),
        "created_at": draw(TIMES),
        "paid_at": draw(st.none() | TIMES),
        "amount_fen": draw(st.integers(-2, 3)),
        "items": draw(st.integers(-1, 2**31)),
        "refund_fen": draw(st.integers(-1, 4)),
        "refunded_at": draw(st.none() | TIMES),
        "status": draw(st.none() | TEXTS),
    }


@st.composite
def message_rows(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "shop_id": draw(TEXTS),
        "buyer_id": draw(TEXTS),
        "agent_id": draw(TEXTS),
        "sent_at": draw(TIMES),
        "sender": draw(st.sampled_from(["buyer", "agent", "auto", "robot"])),
        "text": draw(TEXTS),
        "chars": draw(st.integers(-1, 3)),
    }


def _sql_accepts(kind: str, rows: list[dict[str, Any]]) -> list[bool]:
    types = {c: t for c, t in ARROW_TYPES[kind].items() if c in rows[0]}
    if "items" in types:
        types["items"] = pa.int64()  # room for a value above int32 (the bulk path casts)
    table = pa.table({c: pa.array([r[c] for r in rows], type=t) for c, t in types.items()})
    con = duckdb.connect()
    con.register("t", table)
    where = " AND ".join(sql_predicate(kind, {c: c for c in types}))
    return [bool(r[0]) for r in con.execute(f"SELECT coalesce({where}, FALSE) FROM t").fetchall()]


@settings(max_examples=40, deadline=None)
@given(st.lists(order_rows(), min_size=1, max_size=20))
def test_sql_and_python_rules_agree_on_orders(rows: list[dict[str, Any]]) -> None:
    assert _sql_accepts("orders", rows) == [broken("orders", r) is None for r in rows]


@settings(max_examples=40, deadline=None)
@given(st.lists(message_rows(), min_size=1, max_size=20))
def test_sql_and_python_rules_agree_on_messages(rows: list[dict[str, Any]]) -> None:
    assert _sql_accepts("messages", rows) == [broken("messages", r) is None for r in rows]
