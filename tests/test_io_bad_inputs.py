"""The bad-input corpus, generated in tmp_path: each gives its documented error and keeps every good row."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from kefu.io import ImportFileError, ParsedFile, quarantine_line, read_file
from kefu.io.taobao_orders import ORDER_COLUMNS
from test_io_support import (
    ADDRESS,
    ALIPAY,
    BUYER_NOTE,
    HEADER_2017,
    PHONE,
    RECEIVER,
    export_csv,
    order_row,
)


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def lines(pf: ParsedFile) -> list[str]:
    return [quarantine_line(q) for q in pf.quarantine]


def ids(pf: ParsedFile) -> list[str]:
    return pf.table["order_id"].to_pylist()


# -- files that cannot be read at all -----------------------------------------------------------


def test_wrong_encoding(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "orders.csv",
        export_csv([order_row("1")], encoding="utf-8")[:-2] + "café\n".encode("latin-1"),
    )
    with pytest.raises(
        ImportFileError, match=r"orders.csv is not UTF-8 or GBK text: byte \d+ \(line 2"
    ):
        read_file(p)


def test_gbk_export_is_read_as_gbk(tmp_path: Path) -> None:
    p = write(
        tmp_path, "orders.csv", export_csv([order_row("1", buyer="小美的店")], encoding="gbk")
    )
    pf = read_file(p)
    assert pf.encoding == "gb18030"
    assert pf.table["buyer_id"].to_pylist() == ["小美的店"]


def test_empty_files(tmp_path: Path) -> None:
    for name, data in [
        ("empty.csv", b""),
        ("blank.csv", b"  \r\n\r\n"),
        ("bom.csv", b"\xef\xbb\xbf\n"),
    ]:
        with pytest.raises(ImportFileError, match=f"{name} is empty: there is nothing to import"):
            read_file(write(tmp_path, name, data))


def test_header_only_file_reads_zero_rows(tmp_path: Path) -> None:
    pf = read_file(write(tmp_path, "orders.csv", export_csv([])))
    assert pf.rows_read == 0 and pf.table.num_rows == 0 and pf.quarantine == []


def test_unknown_header(tmp_path: Path) -> None:
    p = write(tmp_path, "stuff.csv", "名称,数量\n苹果,3\n")
    with pytest.raises(
        ImportFileError,
        match=r"stuff.csv is not a file kefu knows: no recognisable header .*名称, 数量",
    ):
        read_file(p)


@pytest.mark.parametrize("missing", ["订单编号", "订单创建时间", "订单付款时间 "])
def test_missing_required_column(tmp_path: Path, missing: str) -> None:
    header = [h for h in HEADER_2017 if h != missing]
    p = write(tmp_path, "orders.csv", export_csv([order_row("1")], header))
    with pytest.raises(ImportFileError, match=f"orders.csv has no {missing.strip()}.* column"):
        read_file(p)


def test_missing_amount_columns(tmp_path: Path) -> None:
    header = [h for h in HEADER_2017 if h not in ("总金额", "买家实际支付金额")]
    with pytest.raises(ImportFileError, match="has no 总金额 \\(or 买家实际支付金额\\) column"):
        read_file(write(tmp_path, "orders.csv", export_csv([order_row("1")], header)))


def test_no_shop(tmp_path: Path) -> None:
    header = [h for h in HEADER_2017 if h != "店铺名称"]
    p = write(tmp_path, "orders.csv", export_csv([order_row("1")], header))
    with pytest.raises(
        ImportFileError, match=r"orders.csv has no 店铺名称 column: name the shop with --shop"
    ):
        read_file(p)
    assert read_file(p, shop="我的店").table["shop_id"].to_pylist() == ["我的店"]


def test_old_xls_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"old Excel .xls workbook"):
        read_file(write(tmp_path, "a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100))
    with pytest.raises(ImportFileError, match="no such file"):
        read_file(tmp_path / "nope.csv")
    with pytest.raises(ImportFileError, match="is a folder"):
        read_file(tmp_path)


def test_kind_contradiction(tmp_path: Path) -> None:
    p = write(tmp_path, "orders.csv", export_csv([order_row("1")]))
    with pytest.raises(
        ImportFileError, match=r"is a Taobao/Tmall order export \(orders\), not messages"
    ):
        read_file(p, kind="messages")
    with pytest.raises(ImportFileError, match="--kind must be one of"):
        read_file(p, kind="refunds")


# -- files whose bad rows are quarantined -------------------------------------------------------


def test_malformed_date(tmp_path: Path) -> None:
    rows = [order_row("1"), order_row("2", paid_at="2024-13-01 10:00:00"), order_row("3")]
    pf = read_file(write(tmp_path, "orders.csv", export_csv(rows)))
    assert ids(pf) == ["1", "3"]
    assert lines(pf) == ["orders.csv row 3, 订单付款时间: '2024-13-01 10:00:00' is not a date"]
    q = pf.quarantine[0]
    assert (q["row_no"], q["column"], q["value"]) == (3, "订单付款时间", "2024-13-01 10:00:00")


def test_malformed_created_time_and_empty(tmp_path: Path) -> None:
    rows = [order_row("1", created="soon"), order_row("2", created=""), order_row("3")]
    pf = read_file(write(tmp_path, "orders.csv", export_csv(rows)))
    assert ids(pf) == ["3"]
    assert lines(pf) == [
        "orders.csv row 2, 订单创建时间: 'soon' is not a date and time like 2024-09-03 10:00:00",
        "orders.csv row 3, 订单创建时间: 订单创建时间 is empty",
    ]


def test_negative_amount(tmp_path: Path) -> None:
    rows = [
        order_row("1", total="-5.00", paid="-5.00"),
        order_row("2", refund="-1.00"),
        order_row("3"),
    ]
    pf = read_file(write(tmp_path, "orders.csv", export_csv(rows)))
    assert ids(pf) == ["3"]
    assert lines(pf) == [
        "orders.csv row 2, 总金额: '-5.00' is negative",
        "orders.csv row 3, 退款金额: '-1.00' is negative",
    ]


def test_too_many_decimals(tmp_path: Path) -> None:
    pf = read_file(
        write(tmp_path, "orders.csv", export_csv([order_row("1", total="1.005"), order_row("2")]))
    )
    assert ids(pf) == ["2"]
    assert "has more than 2 decimal places" in lines(pf)[0]


def test_duplicate_order_id(tmp_path: Path) -> None:
    rows = [
        order_row("7", total="10.00", paid="10.00"),
        order_row("8"),
        order_row("7", total="99.00", paid="99.00"),
    ]
    pf = read_file(write(tmp_path, "orders.csv", export_csv(rows)))
    assert ids(pf) == ["7", "8"]
    assert pf.table["amount_fen"].to_pylist() == [1000, 10000]  # the first row is kept
    assert lines(pf) == ["orders.csv row 4, 订单编号: duplicate order id, first seen at row 2"]


def test_truncated_last_line(tmp_path: Path) -> None:
    data = export_csv([order_row("1"), order_row("2")], final_newline=True)
    cut = (
        data + export_csv([order_row("3")]).split(b"\r\n")[1][:60]
    )  # the 3rd row, cut off, no newline
    pf = read_file(write(tmp_path, "orders.csv", cut))
    assert ids(pf) == ["1", "2"]
    assert pf.rows_read == 3
    assert len(pf.quarantine) == 1
    assert pf.quarantine[0]["row_no"] == 4
    assert "the last line is cut off" in pf.quarantine[0]["reason"]
    assert "no newline at the end of the file" in pf.quarantine[0]["reason"]


def test_short_and_long_rows_in_the_middle(tmp_path: Path) -> None:
    good = export_csv([order_row("1")]).decode("gbk").split("\r\n")
    text = "\r\n".join(
        [good[0], good[1], '"x","y"', good[1].replace('="1"', '="2"') + ',"surplus"', ""]
    )
    pf = read_file(write(tmp_path, "orders.csv", text.encode("gbk")))
    assert ids(pf) == ["1"]
    assert lines(pf) == [
        "orders.csv row 3: has 2 fields, the header has 46",
        "orders.csv row 4: has 47 fields, the header has 46",
    ]


def test_trailing_empty_field_is_tolerated(tmp_path: Path) -> None:
    text = '订单编号,标题,购买数量\r\n="11",锅,2,\r\n="11",盖,1,\r\n="12",刀,1,\r\n'
    pf = read_file(write(tmp_path, "ExportOrderDetailList.csv", text))
    assert pf.format == "taobao-detail-csv"
    assert dict(zip(ids(pf), pf.table["items"].to_pylist(), strict=True)) == {"11": 3, "12": 1}


def test_bad_quantity_leaves_the_order_out(tmp_path: Path) -> None:
    text = '订单编号,购买数量\n="11",2\n="11",x\n="12",1\n'
    pf = read_file(write(tmp_path, "detail.csv", text))
    assert ids(pf) == ["12"]
    assert lines(pf) == [
        "detail.csv row 3, 购买数量: 'x' is not a whole number; the items of order 11 are left unchanged"
    ]


def test_bad_order_ids(tmp_path: Path) -> None:
    rows = [order_row(""), order_row("3.5153131473293579E+16"), order_row("abc"), order_row("4")]
    pf = read_file(write(tmp_path, "orders.csv", export_csv(rows)))
    assert ids(pf) == ["4"]
    out = lines(pf)
    assert out[0] == "orders.csv row 2, 订单编号: 订单编号 is empty"
    assert "is not an order number (a spreadsheet stored it as a number" in out[1]
    assert out[2] == "orders.csv row 4, 订单编号: 'abc' is not an order number"


def test_empty_total_on_paid_order(tmp_path: Path) -> None:
    pf = read_file(
        write(tmp_path, "orders.csv", export_csv([order_row("1", total=""), order_row("2")]))
    )
    assert ids(pf) == ["2"]
    assert lines(pf) == ["orders.csv row 2, 总金额: 总金额 is empty on a paid order"]


def test_amounts_that_do_not_add_up_are_imported_with_a_warning(tmp_path: Path) -> None:
    rows = [order_row("1", total="100.00", paid="90.00", refund="0.00"), order_row("2")]
    pf = read_file(write(tmp_path, "orders.csv", export_csv(rows)))
    assert ids(pf) == ["1", "2"]
    assert pf.table["amount_fen"].to_pylist() == [10000, 10000]
    assert pf.warnings == [
        "orders.csv row 2: 买家实际支付金额 90.00 ≠ 总金额 − 退款金额 (100.00 − 0.00); imported with 总金额"
    ]


def test_quarantine_records_hold_no_personal_data(tmp_path: Path) -> None:
    rows = [order_row("1", paid_at="bad"), order_row("1"), order_row("2", total="-1")]
    cut = export_csv(rows) + export_csv([order_row("3")]).split(b"\r\n")[1][:300]
    pf = read_file(write(tmp_path, "orders.csv", cut))
    assert len(pf.quarantine) == 3
    for q in pf.quarantine:
        assert q["record"] is not None
        assert set(q["record"]) <= set(ORDER_COLUMNS)
        blob = repr(q) + repr(pf.warnings) + repr(pf.notes)
        for secret in (PHONE, ADDRESS, ALIPAY, RECEIVER, BUYER_NOTE):
            assert secret not in blob


# -- xlsx -----------------------------------------------------------------------------------


def xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


XLSX_HEADER = [
    "订单编号",
    "支付单号",
    "支付详情",
    "买家实付金额",
    "订单状态",
    "订单创建时间",
    "订单付款时间",
    "店铺名称",
    "退款金额",
]


def xlsx_row(
    order_id: object,
    paid: object = "100.00",
    refund: object = "0.00",
    paid_at: object = "2024-09-03 10:01:00",
) -> list[object]:
    return [order_id, "2024090322001", "支付方式：支付宝，支付单号：2024090322001，金额：100.00；", paid, "交易成功",
            "2024-09-03 10:00:00", paid_at, "千牛店", refund]  # fmt: skip


def test_xlsx_with_a_title_row(tmp_path: Path) -> None:
    p = xlsx(
        tmp_path / "ExportOrderList20250101123.xlsx",
        {"Sheet1": [["订单报表 2025-01-01 至 2025-01-31"], XLSX_HEADER, xlsx_row("3515313147329357901"), xlsx_row("bad id"),
                    xlsx_row("3515313147329357902", paid=90.5, refund=9.5)]},
    )  # fmt: skip
    pf = read_file(p)
    assert pf.format == "taobao-export-xlsx" and pf.encoding is None
    assert ids(pf) == ["3515313147329357901", "3515313147329357902"]
    # no 总金额: what the buyer paid is 买家实付金额 + 退款金额
    assert pf.table["amount_fen"].to_pylist() == [10000, 10000]
    assert pf.table["refund_fen"].to_pylist() == [0, 950]
    assert pf.source_rows == [3, 5]
    assert lines(pf) == [f"{p.name} row 4, 订单编号: 'bad id' is not an order number"]
    assert any("no 买家会员名 column" in n for n in pf.notes)
    assert "buyer_id" not in pf.table.column_names
    assert "支付" not in repr(pf.quarantine)


def test_xlsx_multi_sheet_reads_the_order_sheet(tmp_path: Path) -> None:
    p = xlsx(
        tmp_path / "report.xlsx",
        {
            "销售明细": [["商品", "数量"], ["锅", 1]],
            "订单报表": [XLSX_HEADER, xlsx_row("11"), xlsx_row("12")],
            "发货报表": [["订单编号", "物流单号"], ["11", "SF1"]],
        },
    )
    pf = read_file(p)
    assert ids(pf) == ["11", "12"]
    assert any("read the sheet '订单报表' of 3 sheets" in n for n in pf.notes)


def test_xlsx_numeric_id_that_lost_digits(tmp_path: Path) -> None:
    p = xlsx(
        tmp_path / "o.xlsx",
        {"订单报表": [XLSX_HEADER, xlsx_row(3.5153131473293579e18), xlsx_row(123456)]},
    )
    pf = read_file(p)
    assert ids(pf) == ["123456"]
    assert "a spreadsheet stored it as a number" in pf.quarantine[0]["reason"]


def test_xlsx_without_any_header(tmp_path: Path) -> None:
    p = xlsx(tmp_path / "x.xlsx", {"Sheet": [["a", "b"], [1, 2]]})
    with pytest.raises(ImportFileError, match=r"x.xlsx is not a file kefu knows"):
        read_file(p)


@pytest.mark.parametrize(
    ("header", "what"),
    [
        (
            "子订单编号,主订单编号,商家编码,外部系统编号,商品标题",
            "a Taobao item list without 购买数量",
        ),
        ("客服,接待人数,询单人数,客单价", "a 赤兔 agent performance report"),
    ],
)
def test_known_exports_kefu_does_not_read_yet(tmp_path: Path, header: str, what: str) -> None:
    p = write(tmp_path, "x.csv", header + "\n" + ",".join("1" for _ in header.split(",")) + "\n")
    with pytest.raises(
        ImportFileError, match=f"x.csv looks like {re.escape(what)}, which kefu does not import yet"
    ):
        read_file(p)
