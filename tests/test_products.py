"""Order lines and products (issue #11 item 1): imported from every export that has them, idempotently."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.io.records import ITEM_TYPES
from kefu.store import Store, open_store
from kefu.store.ingest import import_files
from kefu.store.products import product_stage, products
from kefu.store.schema import ORDER_ITEMS, SCHEMA_VERSION
from test_io_support import fixtures_dir

SHOP = "测试店"
ORDER_LIST = (
    "订单编号,买家会员名,店铺名称,订单创建时间,订单付款时间,总金额,退款金额,订单状态\n"
    '="11",buyer1,测试店,2024-05-01 10:00:00,2024-05-01 10:05:00,69.00,0,交易成功\n'
    '="12",buyer2,测试店,2024-05-02 21:00:00,2024-05-02 21:01:00,800.00,0,交易成功\n'
    '="13",buyer3,测试店,2024-06-03 09:00:00,,0,0,等待买家付款\n'
)
DETAIL = (
    "订单编号,标题,价格,购买数量,商家编码\n"
    '="11",便宜的配件,30.00,2,CHEAP\n'
    '="11",清洁布,9.00,1,\n'
    '="12",贵的套装,800.00,1,DEAR\n'
    '="13",便宜的配件,30.00,1,CHEAP\n'
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(tmp_path / "kefu.duckdb")
    yield s  # type: ignore[misc]
    s.close()


def lines(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute(
        "SELECT order_id, line_id, product_id, title, sku, unit_price_fen, quantity, line_fen "
        "FROM order_items ORDER BY ALL"
    ).fetchall()


def files(tmp_path: Path, detail: str = DETAIL) -> tuple[Path, Path]:
    o = tmp_path / "ExportOrderList.csv"
    o.write_text(ORDER_LIST, encoding="utf-8")
    d = tmp_path / "ExportOrderDetailList.csv"
    d.write_text(detail, encoding="utf-8")
    return o, d


def test_the_item_columns_are_the_stores() -> None:
    names = [ln.split()[0] for ln in ORDER_ITEMS.splitlines()[1:] if ln.strip()[:1].islower()]
    assert names[: len(ITEM_TYPES)] == list(ITEM_TYPES)
    assert SCHEMA_VERSION >= 3


def test_a_detail_list_gives_order_lines_and_a_second_import_changes_nothing(
    store: Store, tmp_path: Path
) -> None:
    o, d = files(tmp_path)
    reports = import_files(store, [d, o])
    assert [r.error for r in reports] == [None, None]
    assert lines(store) == [
        ("11", "1", "CHEAP", "便宜的配件", "CHEAP", 3000, 2, 6000),
        ("11", "2", "清洁布", "清洁布", None, 900, 1, 900),
        ("12", "1", "DEAR", "贵的套装", "DEAR", 80000, 1, 80000),
        ("13", "1", "CHEAP", "便宜的配件", "CHEAP", 3000, 1, 3000),
    ]
    assert any("order lines: 4 new" in n for n in reports[0].notes)
    before = lines(store)
    again = import_files(store, [d])[0]
    assert again.error is None and lines(store) == before
    assert any("0 new, 0 changed, 4 unchanged" in n for n in again.notes)
    # a newer list of order 11 replaces its lines: one was dropped, one changed
    newer = tmp_path / "newer" / "ExportOrderDetailList.csv"
    newer.parent.mkdir()
    newer.write_text(
        '订单编号,标题,价格,购买数量,商家编码\n="11",便宜的配件,30.00,3,CHEAP\n', "utf-8"
    )
    r = import_files(store, [newer])[0]
    assert any("0 new, 1 changed, 0 unchanged, 1 no longer" in n for n in r.notes)
    assert [x for x in lines(store) if x[0] == "11"] == [
        ("11", "1", "CHEAP", "便宜的配件", "CHEAP", 3000, 3, 9000)
    ]


def test_a_bad_line_is_quarantined_and_costs_its_order_its_lines_only(
    store: Store, tmp_path: Path
) -> None:
    bad = DETAIL.replace('="11",清洁布,9.00,1,', '="11",清洁布,九元,1,')
    o, d = files(tmp_path, bad)
    detail = import_files(store, [d, o])[0]
    assert detail.error is None
    (q,) = detail.quarantine
    assert (q["row_no"], q["column"]) == (3, "价格")
    assert "no line of order 11 is imported" in q["reason"]
    assert {x[0] for x in lines(store)} == {"12", "13"}
    # the item count still came through
    items = store.con.execute("SELECT items FROM orders WHERE order_id = '11'").fetchone()
    assert items == (3,)


def test_a_detail_list_of_unknown_orders_writes_no_line(store: Store, tmp_path: Path) -> None:
    _, d = files(tmp_path)
    r = import_files(store, [d])[0]
    assert r.quarantined == 3 and lines(store) == []


def test_the_real_detail_fixture_gives_lines(store: Store) -> None:
    folder = fixtures_dir() / "taobao-order-export"
    import_files(
        store,
        [
            folder / "ExportOrderDetailList201707080100_masked.gbk.csv",
            folder / "ExportOrderList201707080100_masked.gbk.csv",
        ],
    )
    got = {g[0]: g for g in lines(store)}
    assert len(got) == 5
    assert got["35153131473293579"][2:] == (
        "YO-PAN-20-WITHGLASS",
        "【顺丰包邮】原厂授权日本制吉川COOK-PAL雪平锅不锈钢",
        "YO-PAN-20-WITHGLASS",
        23900,
        1,
        23900,
    )


def test_jd_and_pdd_exports_give_lines(store: Store, tmp_path: Path) -> None:
    jd = tmp_path / "jd.csv"
    jd.write_text(
        "订单号,商品ID,商品名称,订购数量,下单时间,京东价,应付金额,订单状态,下单帐号,付款确认时间,店铺名称\n"
        "501,9001,电池,2,2024-05-01 10:00:00,15.00,830.00,完成,jd_a,2024-05-01 10:01:00,京东店\n"
        "501,9002,相机,1,2024-05-01 10:00:00,800.00,830.00,完成,jd_a,2024-05-01 10:01:00,京东店\n",
        encoding="utf-8",
    )
    pdd = tmp_path / "pdd.csv"
    pdd.write_text(
        "订单成交时间,商品,订单号,订单状态,商品总价(元),用户实付金额(元),商品数量(件),商品id,"
        "商家编码-商品维度,售后状态,支付时间\n"
        "2024-05-02 10:00:00,袜子,240502-1,已收货,10.00,10.00,3,777,SOCK,无售后或售后取消,"
        "2024-05-02 10:00:05\n",
        encoding="utf-8",
    )
    reports = import_files(store, [jd, pdd], shop="京东店")
    assert [r.error for r in reports] == [None, None]
    assert lines(store) == [
        ("240502-1", "1", "777", "袜子", "SOCK", 333, 3, 1000),  # 10.00 / 3 rounded half-up
        ("501", "9001", "9001", "电池", None, 1500, 2, 3000),
        ("501", "9002", "9002", "相机", None, 80000, 1, 80000),
    ]


def run(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--lang", "en"])
    assert result.exit_code == 0, result.output
    return result.output


def test_products_import_and_list(tmp_path: Path) -> None:
    db = tmp_path / "kefu.duckdb"
    o, d = files(tmp_path)
    run("import", str(o), str(d), "--db", str(db))
    pf = tmp_path / "products.csv"
    pf.write_text(
        "商品编码,类目,上新日期,阶段\n"
        "CHEAP,配件,2024-05-20,\n"
        "DEAR,套装,,老品\n"
        "NEW,套装,2024-06-01,新\n"
        ",套装,,\n",
        encoding="utf-8",
    )
    out = run("products", "import", str(pf), "--db", str(db))
    assert "2 new products, 0 updated, 0 unchanged, 2 set aside" in out
    assert "'新' is not a stage" in out and "product id is empty" in out
    again = run("products", "import", str(pf), "--db", str(db))
    assert "0 new products, 0 updated, 2 unchanged" in again
    got = json.loads(
        run("products", "list", "--db", str(db), "--on", "2024-12-01", "--format", "json")
    )
    by_id = {p["product_id"]: p for p in got}
    assert set(by_id) == {"CHEAP", "DEAR", "清洁布"}
    assert by_id["CHEAP"]["first_sale"] == "2024-05-01"
    assert by_id["CHEAP"]["launched_on"] == "2024-05-20"
    assert by_id["CHEAP"]["stage"] == "established"  # launched 2024-05-20: new until 2024-11-20
    assert by_id["CHEAP"]["sales_fen"] == 6000 and by_id["CHEAP"]["orders"] == 1
    assert by_id["DEAR"]["stage"] == "established" and by_id["DEAR"]["stage_set"] == "established"
    assert by_id["清洁布"]["stage"] == "established"  # first sale 2024-05-01, 6 months on
    early = json.loads(
        run("products", "list", "--db", str(db), "--on", "2024-11-19", "--format", "json")
    )
    assert {p["product_id"]: p["stage"] for p in early}["CHEAP"] == "new"
    table = run("products", "list", "--db", str(db), "--on", "2024-06-01")
    assert "set by the shop" in table and "800.00" in table


def test_a_product_file_with_no_id_column_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "kefu.duckdb"
    o, _ = files(tmp_path)
    run("import", str(o), "--db", str(db))
    pf = tmp_path / "p.csv"
    pf.write_text("名字,类目\na,b\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["products", "import", str(pf), "--db", str(db)])
    assert result.exit_code == 1 and "p.csv" in result.output


@given(
    st.dates(date(2000, 1, 1), date(2040, 1, 1)),
    st.integers(0, 400),
    st.integers(1, 36),
)
def test_a_product_is_new_for_exactly_its_first_months(start: date, days: int, months: int) -> None:
    from datetime import timedelta

    on = start + timedelta(days=days)
    stage = product_stage(None, start, None, on, months)
    # new exactly while fewer than `months` whole calendar months have passed
    whole = (on.year - start.year) * 12 + on.month - start.month - (on.day < start.day)
    assert stage == ("new" if whole < months else "established")
    assert product_stage(None, None, start, on, months) == stage  # first sale stands in
    assert product_stage("established", start, None, on, months) == "established"
    assert product_stage(None, None, None, on, months) is None


def test_products_list_reads_the_store(store: Store, tmp_path: Path) -> None:
    o, d = files(tmp_path)
    import_files(store, [o, d])
    assert [p.product_id for p in products(store, SHOP)] == ["CHEAP", "DEAR", "清洁布"]
