"""Importing into a real DuckDB store: counts, idempotency, updates, detail lists, reviews, personal data."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from kefu.store import Store, open_store
from kefu.store.ingest import ImportReport, import_files
from test_io_support import (
    ADDRESS,
    ALIPAY,
    BUYER_NOTE,
    PHONE,
    RECEIVER,
    export_csv,
    fixtures_dir,
    order_row,
    snapshot,
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(tmp_path / "kefu.duckdb")
    yield s  # type: ignore[misc]
    s.close()


def counts(r: ImportReport) -> tuple[int, int, int, int, int]:
    return (r.rows_read, r.imported, r.updated, r.duplicates, r.quarantined)


def orders(store: Store) -> dict[str, dict[str, object]]:
    cur = store.con.execute("SELECT * FROM orders ORDER BY order_id")
    names = [d[0] for d in cur.description]
    return {r[1]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def taobao(name: str) -> Path:
    return fixtures_dir() / "taobao-order-export" / name


GBK = "ExportOrderList201707080100_masked.gbk.csv"
UTF8 = "ExportOrderList201707080100_masked.utf8.csv"
DETAIL = "ExportOrderDetailList201707080100_masked.gbk.csv"


def test_fixture_export_and_detail(store: Store) -> None:
    reports = import_files(store, [taobao(DETAIL), taobao(GBK)])
    assert [r.error for r in reports] == [None, None]
    detail, export = reports
    assert counts(export) == (5, 5, 0, 0, 0)
    assert (detail.imported, detail.updated, detail.quarantined) == (0, 0, 0)
    assert any("5 of its orders are in" in n for n in detail.notes)
    got = orders(store)
    assert got["35153131473293579"]["amount_fen"] == 20112
    assert got["35153131473293579"]["buyer_id"] == "tb_buyer01"
    assert {o["items"] for o in got.values()} == {1}
    log = store.imports()
    assert [(e["file"], e["kind"], e["format"], e["imported"]) for e in log] == [
        (GBK, "orders", "taobao-export-csv", 5),
        (DETAIL, "orders", "taobao-detail-csv", 0),
    ]
    assert all(len(e["sha256"]) == 64 for e in log)


def test_importing_twice_changes_nothing(store: Store) -> None:
    first = import_files(store, [taobao(GBK)])[0]
    before = snapshot(store)
    again = import_files(store, [taobao(GBK), taobao(UTF8)])
    assert counts(first) == (5, 5, 0, 0, 0)
    assert [counts(r) for r in again] == [(5, 0, 0, 5, 0), (5, 0, 0, 5, 0)]
    assert snapshot(store) == before


def test_a_newer_export_with_a_refund_updates(store: Store, tmp_path: Path) -> None:
    old = tmp_path / "ExportOrderList202409030000.csv"
    new = tmp_path / "ExportOrderList202409100000.csv"
    old.write_bytes(export_csv([order_row("1"), order_row("2")]))
    new.write_bytes(
        export_csv(
            [order_row("1"), order_row("2", paid="60.00", refund="40.00", status="交易成功")]
        )
    )
    import_files(store, [old])
    r = import_files(store, [new])[0]
    assert counts(r) == (2, 0, 1, 1, 0)
    o = orders(store)["2"]
    assert (o["amount_fen"], o["refund_fen"], o["status"]) == (10000, 4000, "交易成功")


def test_closed_after_payment_is_refunded(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "o.csv"
    p.write_bytes(
        export_csv(
            [
                order_row("1", status="交易关闭", paid="0.00", refund="0.00"),
                order_row("2", status="交易关闭", paid_at="", paid="0.00"),
            ]
        )
    )
    r = import_files(store, [p])[0]
    o = orders(store)
    assert (o["1"]["amount_fen"], o["1"]["refund_fen"]) == (10000, 10000)
    assert (o["2"]["amount_fen"], o["2"]["refund_fen"], o["2"]["paid_at"]) == (0, 0, None)
    assert any("closed after payment" in n for n in r.notes)


def xlsx_export(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A 千牛 xlsx export without 买家会员名, 宝贝总数量 or 总金额: (order id, paid, refund)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        [
            "订单编号",
            "买家实付金额",
            "订单状态",
            "订单创建时间",
            "订单付款时间",
            "店铺名称",
            "退款金额",
        ]
    )
    for oid, paid, refund in rows:
        ws.append(
            [
                oid,
                paid,
                "交易成功",
                "2024-09-03 10:00:00",
                "2024-09-03 10:01:00",
                "测试旗舰店",
                refund,
            ]
        )
    wb.save(path)
    return path


def test_a_file_without_a_column_never_blanks_it(store: Store, tmp_path: Path) -> None:
    full = tmp_path / "full.csv"
    full.write_bytes(
        export_csv(
            [order_row("1", buyer="tb_x", items="3"), order_row("2", buyer="tb_y", items="2")]
        )
    )
    import_files(store, [full])
    x = xlsx_export(
        tmp_path / "later.xlsx",
        [("1", "100.00", "0.00"), ("2", "70.00", "30.00"), ("3", "5.00", "0")],
    )
    r = import_files(store, [x])[0]
    assert counts(r) == (3, 1, 2, 0, 0)  # both known orders change status
    o = orders(store)
    assert (o["1"]["buyer_id"], o["1"]["items"]) == ("tb_x", 3)
    assert (o["2"]["buyer_id"], o["2"]["items"], o["2"]["refund_fen"], o["2"]["amount_fen"]) == (
        "tb_y",
        2,
        3000,
        10000,
    )
    assert (o["3"]["buyer_id"], o["3"]["items"], o["3"]["amount_fen"]) == (None, 1, 500)


def test_detail_with_an_order_list_that_lacks_item_counts(store: Store, tmp_path: Path) -> None:
    x = xlsx_export(tmp_path / "o.xlsx", [("11", "10.00", "0"), ("12", "10.00", "0")])
    d = tmp_path / "ExportOrderDetailList.csv"
    d.write_text('订单编号,标题,购买数量\n="11",锅,2,\n="11",盖,1,\n', encoding="utf-8")
    reports = import_files(store, [d, x])
    assert [r.error for r in reports] == [None, None]
    o = orders(store)
    assert (o["11"]["items"], o["12"]["items"]) == (3, 1)
    assert any("item counts of 1 orders come from the detail list" in n for n in reports[1].notes)
    # the order list again, alone: its default of 1 item never overwrites the known count
    r = import_files(store, [x])[0]
    assert counts(r) == (2, 0, 0, 2, 0)
    assert orders(store)["11"]["items"] == 3


def test_detail_alone(store: Store, tmp_path: Path) -> None:
    d = tmp_path / "detail.csv"
    d.write_text('订单编号,购买数量\n="11",2\n="99",1\n', encoding="utf-8")
    x = xlsx_export(tmp_path / "o.xlsx", [("11", "10.00", "0")])
    early = import_files(store, [d])[0]
    assert counts(early) == (2, 0, 0, 0, 2)
    assert (
        "import its order list (ExportOrderList) first or with it" in early.quarantine[0]["reason"]
    )
    import_files(store, [x])
    late = import_files(store, [d])[0]
    assert counts(late) == (2, 0, 1, 0, 1)
    assert orders(store)["11"]["items"] == 2
    # the same detail file's earlier quarantine is replaced, not repeated
    assert [q["value"] for q in store.quarantined()] == ["99"]


def test_reviews_find_their_shop(store: Store, tmp_path: Path) -> None:
    o = tmp_path / "o.csv"
    o.write_bytes(export_csv([order_row("1"), order_row("2", shop="另一家店")]))
    r = tmp_path / "reviews.csv"
    r.write_text(
        "order_id,rated_at,rating\n1,2024-09-10,好评\n2,2024-09-11 08:00:00,差评\n3,2024-09-11,中评\n",
        encoding="utf-8",
    )
    import_files(store, [o])
    rep = import_files(store, [r])[0]
    assert counts(rep) == (3, 2, 0, 0, 1)
    got = store.con.execute(
        "SELECT shop_id, order_id, rating FROM reviews ORDER BY order_id"
    ).fetchall()
    assert got == [("测试旗舰店", "1", "good"), ("另一家店", "2", "bad")]
    assert rep.quarantine[0]["row_no"] == 4
    assert "order 3 is not in the store" in rep.quarantine[0]["reason"]
    # with --shop, the shop is given and the review is kept
    rep = import_files(store, [r], shop="测试旗舰店")[0]
    assert rep.quarantined == 0


def test_unknown_sub_accounts_are_reported_once(store: Store, tmp_path: Path) -> None:
    a = tmp_path / "agents.csv"
    a.write_text("agent_id,name,role\n店:甲,甲,售前\n", encoding="utf-8")
    c1 = tmp_path / "c1.txt"
    c1.write_text("店:甲 2024-1-5 10:00:00\n在\ntb 2024-1-5 10:00:05\n?\n", encoding="utf-8")
    c2 = tmp_path / "c2.txt"
    c2.write_text("店:乙 2024-1-5 11:00:00\n在\ntb 2024-1-5 11:00:05\n?\n", encoding="utf-8")
    reports = import_files(store, [a, c1, c2])
    notes = [n for r in reports for n in r.notes if "not in the agents table" in n]
    assert notes == [
        "1 sub-accounts chat in messages but are not in the agents table; they count as presale agents "
        "named after their sub-account until you import agents: 店:乙"
    ]
    assert store.count("messages") == 4 and store.count("agents") == 1


def test_shop_settings_mark_bot_messages(store: Store, tmp_path: Path) -> None:
    store.set_setting("店", "bot_accounts", "机器人")
    store.set_setting("店", "auto_reply_prefixes", "【自动】")
    c = tmp_path / "c.txt"
    c.write_text(
        "tb 2024-1-5 10:00:00\n在吗\n店:机器人 2024-1-5 10:00:01\n您好\n店:甲 2024-1-5 10:00:02\n【自动】稍等\n"
        "店:甲 2024-1-5 10:00:03\n[自动回复]不是本店的前缀\n",
        encoding="utf-8",
    )
    import_files(store, [c])
    got = store.con.execute("SELECT sender, agent_id FROM messages ORDER BY sent_at").fetchall()
    assert got == [("buyer", "店:甲"), ("auto", "店:甲"), ("auto", "店:甲"), ("agent", "店:甲")]


def test_an_unreadable_file_imports_nothing_and_the_others_still_import(
    store: Store, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n" + b"\x80\x81\n")
    good = tmp_path / "good.csv"
    good.write_bytes(export_csv([order_row("1")]))
    reports = import_files(store, [bad, good])
    assert reports[0].error is not None and "bad.csv is not UTF-8 or GBK text" in reports[0].error
    assert reports[1].ok and reports[1].imported == 1
    assert [e["file"] for e in store.imports()] == ["good.csv"]


def test_a_file_is_written_whole_or_not_at_all(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "o.csv"
    p.write_bytes(export_csv([order_row("1"), order_row("2", paid_at="bad")]))

    def boom(entry: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "log_import", boom)
    r = import_files(store, [p])[0]
    assert r.error is not None and "nothing of it was kept" in r.error and "disk full" in r.error
    assert store.count("orders") == 0
    assert store.quarantined() == []


def test_quarantine_and_log_are_stored(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "orders.csv"
    p.write_bytes(export_csv([order_row("1"), order_row("2", paid_at="2024-13-01 10:00:00")]))
    r = import_files(store, [p])[0]
    q = store.quarantined()
    assert [(x["file"], x["row_no"], x["column_name"], x["value"], x["kind"]) for x in q] == [
        ("orders.csv", 3, "订单付款时间", "2024-13-01 10:00:00", "orders")
    ]
    assert q[0]["reason"] == "'2024-13-01 10:00:00' is not a date"
    entry = store.imports()[0]
    assert (entry["rows_read"], entry["imported"], entry["quarantined"], entry["shop_id"]) == (
        2,
        1,
        1,
        "测试旗舰店",
    )
    assert entry["import_id"] == r.import_id
    import_files(store, [p])
    assert len(store.quarantined()) == 1  # the same file again: its quarantine is not repeated


def test_tmall_report(store: Store) -> None:
    path = fixtures_dir() / "tmall-order-report" / "tmall_order_report.csv"
    no_shop = import_files(store, [path])[0]
    assert no_shop.error is not None and "--shop" in no_shop.error
    r = import_files(store, [path], shop="tmall-shop")[0]
    assert counts(r) == (28010, 28010, 0, 0, 0)
    assert store.count("orders", "tmall-shop") == 28010
    assert store.con.execute(
        "SELECT count(*) FROM orders WHERE buyer_id IS NOT NULL"
    ).fetchone() == (0,)
    assert any("no 买家会员名 column" in n for n in r.notes)


def test_progress_reaches_the_end(store: Store) -> None:
    seen: list[tuple[str, int, int]] = []
    import_files(
        store, [taobao(GBK), taobao(DETAIL)], progress=lambda n, d, t: seen.append((n, d, t))
    )
    assert seen[-1][1] == seen[-1][2] > 0
    assert [d for _, d, _ in seen] == sorted(d for _, d, _ in seen)


def test_fixture_messages(store: Store) -> None:
    chat = fixtures_dir() / "qianniu-chat"
    reports = import_files(store, sorted(chat.glob("qianniu_*.txt")))
    assert [r.ok for r in reports] == [True, True]
    assert reports[0].dropped_total == 2
    assert store.count("messages") == 5
    assert store.con.execute("SELECT min(sent_at) FROM messages").fetchone() == (
        datetime(2024, 1, 5, 10, 0),
    )


def test_personal_data_is_stored_nowhere(tmp_path: Path) -> None:
    db = tmp_path / "kefu.duckdb"
    gen = tmp_path / "ExportOrderList.csv"
    # good rows, a bad date, a duplicate, a cut-off last line: personal cells everywhere
    gen.write_bytes(
        export_csv([order_row("1"), order_row("2", paid_at="2024-13-01"), order_row("1")])
        + export_csv([order_row("3")]).split(b"\r\n")[1][:150]
    )
    d = fixtures_dir() / "taobao-order-export"
    with open_store(db) as s:
        reports = import_files(s, [gen, *sorted(d.glob("*.csv"))])
        assert all(r.ok for r in reports)
        assert reports[0].quarantined == 3
        texts = []
        for (table,) in s.con.execute(
            "SELECT table_name FROM information_schema.tables"
        ).fetchall():
            for row in s.con.execute(f"SELECT * FROM {table}").fetchall():
                texts.append(repr(row))
        for r in reports:
            texts.append(repr(r))
    blob = "\n".join(texts)
    fixture_secrets = ["buyer01@example.com", "13900000001", "某街道某路1号", "收货人01", "越秀区"]
    for secret in [PHONE, ADDRESS, ALIPAY, RECEIVER, BUYER_NOTE, *fixture_secrets]:
        assert secret not in blob, secret
    raw = db.read_bytes()
    for secret in [PHONE, ALIPAY, "buyer01@example.com", "13900000001"]:
        assert secret.encode() not in raw
        assert secret.encode("utf-16-le") not in raw
