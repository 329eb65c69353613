"""Canonical CSV and Parquet files of all four kinds, and the io package's place in the layering."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kefu.io import ImportFileError, quarantine_line, read_file
from kefu.io.records import ARROW_TYPES
from kefu.store.schema import COLUMNS


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding=encoding)
    return p


def test_arrow_types_match_the_store_schema() -> None:
    assert {k: list(v) for k, v in ARROW_TYPES.items()} == {k: list(v) for k, v in COLUMNS.items()}


def test_io_does_not_import_the_store_or_engines() -> None:
    code = (
        "import sys, kefu.io; "
        "bad = [m for m in sys.modules if m.startswith(('kefu.store', 'kefu.metrics', 'kefu.cli'))]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_orders(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "orders.csv",
        "\ufefforder_id,shop_id,buyer_id,created_at,paid_at,amount_fen,items,refund_fen,refunded_at,status,phone\n"
        "100000000000000001,s1,b1,2024-09-04 21:00:00,2024-09-04 21:01:00,19900,2,0,,paid,13900000000\n"
        "100000000000000002,s1,b2,2024-09-04 22:00:00,,0,1,,,,13900000001\n"
        "100000000000000003,s1,b3,2024-09-04 22:00:00,,12.50,1,,,,\n",
    )
    pf = read_file(p)
    assert (pf.kind, pf.format, pf.encoding) == ("orders", "canonical-csv", "utf-8-sig")
    rows = pf.table.to_pylist()
    assert rows[0] == {
        "shop_id": "s1",
        "order_id": "100000000000000001",
        "buyer_id": "b1",
        "created_at": datetime(2024, 9, 4, 21),
        "paid_at": datetime(2024, 9, 4, 21, 1),
        "amount_fen": 19900,
        "items": 2,
        "refund_fen": 0,
        "refunded_at": None,
        "status": "paid",
    }
    assert rows[1]["refund_fen"] == 0 and rows[1]["paid_at"] is None
    assert [quarantine_line(q) for q in pf.quarantine] == [
        "orders.csv row 4, amount_fen: '12.50' is not a whole number of fen "
        "(canonical amounts are integer fen: 201.12 yuan = 20112)"
    ]
    assert "phone" not in repr(pf.quarantine[0]["record"])
    assert any("were not read: phone" in n for n in pf.notes)


def test_orders_without_optional_columns(tmp_path: Path) -> None:
    p = write(tmp_path, "o.csv", "order_id,created_at,amount_fen\nA1,2024-09-04 21:00:00,100\n")
    with pytest.raises(
        ImportFileError, match=r"o.csv has no shop_id column: name the shop with --shop"
    ):
        read_file(p)
    pf = read_file(p, shop="s")
    assert pf.table.to_pylist()[0]["items"] == 1
    assert set(pf.columns) == {
        "shop_id",
        "order_id",
        "created_at",
        "amount_fen",
    }  # items, refund defaulted
    assert any("no buyer_id column" in n for n in pf.notes)


def test_agents_with_chinese_roles(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "agents.csv",
        "agent_id,name,role,team,hired_on,left_on\n"
        "小美旗舰店:小美,小美,售前,A,2024-01-02,\n"
        "小美旗舰店:小丽,小丽,aftersale,,2024/3/1,2024-08-31\n"
        "小美旗舰店:老板,老板,boss,,,\n"
        "无店铺账号,x,presale,,,\n",
    )
    pf = read_file(p)
    assert pf.table.to_pylist()[:2] == [
        {"shop_id": "小美旗舰店", "agent_id": "小美旗舰店:小美", "name": "小美", "role": "presale", "team": "A",
         "hired_on": date(2024, 1, 2), "left_on": None},
        {"shop_id": "小美旗舰店", "agent_id": "小美旗舰店:小丽", "name": "小丽", "role": "aftersale", "team": None,
         "hired_on": date(2024, 3, 1), "left_on": date(2024, 8, 31)},
    ]  # fmt: skip
    assert [quarantine_line(q) for q in pf.quarantine] == [
        "agents.csv row 4, role: 'boss' is not one of presale | aftersale",
        "agents.csv row 5, shop_id: shop_id is empty and no --shop was given",
    ]


def test_messages_chars_and_duplicates(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "m.csv",
        "shop_id,buyer_id,agent_id,sent_at,sender,text,chars\n"
        "s,b,s:a,2024-09-03 10:00:00,买家,你好呀,\n"
        "s,b,s:a,2024-09-03 10:00:40,agent,在的 👍,\n"
        "s,b,s:a,2024-09-03 10:00:41,auto,,\n"
        "s,b,s:a,2024-09-03 10:00:42,agent,图片,0\n"
        "s,b,s:a,2024-09-03 10:00:42,agent,图片,0\n"
        "s,b,s:a,2024-09-03 10:00:43,boss,x,\n",
    )
    pf = read_file(p)
    assert [(r["sender"], r["text"], r["chars"]) for r in pf.table.to_pylist()] == [
        ("buyer", "你好呀", 3),
        ("agent", "在的 👍", 4),
        ("auto", "", 0),
        ("agent", "图片", 0),
    ]
    assert pf.duplicates == 1
    assert len(pf.quarantine) == 1 and pf.quarantine[0]["column"] == "sender"


def test_reviews_without_shop(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "r.csv",
        "order_id,rated_at,rating\n1,2024-09-10,好评\n2,2024-09-10 12:00:00,差评\n3,,中评\n1,,good\n",
    )
    pf = read_file(p, kind="reviews")
    assert pf.table.column_names == ["order_id", "rated_at", "rating"]
    assert pf.table["rating"].to_pylist() == ["good", "bad", "neutral"]
    assert pf.quarantine[0]["reason"] == "duplicate review of order, first seen at row 2"
    with_shop = read_file(p, shop="s")
    assert with_shop.table["shop_id"].to_pylist() == ["s", "s", "s"]


def test_missing_required_canonical_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_LANG", "zh")
    p = write(
        tmp_path, "m.csv", "shop_id,agent_id,sent_at,sender\ns,s:a,2024-09-03 10:00:00,agent\n"
    )
    # the refusal names the missing column and what it means (in the reader's language)
    with pytest.raises(ImportFileError) as e:
        read_file(p, kind="messages")
    assert e.value.text().startswith("m.csv 缺少这些列: buyer_id (买家: 买家会员名")
    assert str(e.value).startswith("m.csv lacks these columns: buyer_id")  # logs: English


def test_parquet_all_kinds(tmp_path: Path) -> None:
    tz = UTC
    orders = pa.table(
        {
            "shop_id": ["s"],
            "order_id": ["123456789012345678"],
            "buyer_id": ["b"],
            # 13:00 UTC is 21:00 in the shop
            "created_at": pa.array(
                [datetime(2024, 9, 4, 13, 0, tzinfo=tz)], type=pa.timestamp("us", tz="UTC")
            ),
            "paid_at": pa.array([datetime(2024, 9, 4, 21, 1)], type=pa.timestamp("us")),
            "amount_fen": pa.array([19900], type=pa.int64()),
        }
    )
    pq.write_table(orders, tmp_path / "orders.parquet")
    pf = read_file(tmp_path / "orders.parquet")
    assert pf.format == "canonical-parquet"
    row = pf.table.to_pylist()[0]
    assert row["created_at"] == datetime(2024, 9, 4, 21, 0)
    assert row["order_id"] == "123456789012345678" and row["amount_fen"] == 19900
    assert pf.source_rows == [2]

    messages = pa.table(
        {
            "buyer_id": ["b"],
            "agent_id": ["s:a"],
            "sent_at": [datetime(2024, 9, 3, 10)],
            "sender": ["buyer"],
        }
    )
    pq.write_table(messages, tmp_path / "m.parquet")
    assert read_file(tmp_path / "m.parquet").table.to_pylist() == [
        {"shop_id": "s", "buyer_id": "b", "agent_id": "s:a", "sent_at": datetime(2024, 9, 3, 10), "sender": "buyer",
         "text": "", "chars": 0}
    ]  # fmt: skip

    agents = pa.table({"agent_id": ["s:a"], "role": ["presale"], "hired_on": [date(2024, 1, 1)]})
    pq.write_table(agents, tmp_path / "a.parquet")
    assert read_file(tmp_path / "a.parquet").table.to_pylist()[0]["hired_on"] == date(2024, 1, 1)

    reviews = pa.table({"order_id": ["1"], "rating": ["bad"]})
    pq.write_table(reviews, tmp_path / "r.parquet")
    assert read_file(tmp_path / "r.parquet").kind == "reviews"


def test_damaged_parquet(tmp_path: Path) -> None:
    (tmp_path / "x.parquet").write_bytes(b"PAR1garbage")
    with pytest.raises(ImportFileError, match=r"x.parquet cannot be read as Parquet"):
        read_file(tmp_path / "x.parquet")


def test_tab_separated_canonical(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "o.tsv",
        "order_id\tshop_id\tcreated_at\tamount_fen\n1\ts\t2024-09-03 10:00:00\t5\n",
        "utf-16",
    )
    pf = read_file(p)
    assert pf.encoding == "utf-16" and pf.table.num_rows == 1


def test_a_two_column_table_with_times_is_not_chat(tmp_path: Path) -> None:
    p = write(tmp_path, "r.csv", "order_id,rated_at\n1,2024-1-5 10:00:00\n")
    with pytest.raises(ImportFileError, match="no recognisable header"):
        read_file(p)
