"""Taobao order exports of every era in platform-formats.md Part 2, and the mapping rules of Part 1."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from kefu.io import read_file
from test_io_support import HEADER_2017, PHONE, export_csv, order_row


def names(header: str) -> list[str]:
    """A header as platform-formats.md writes it: comma-separated names."""
    return header.split(",")


HEADER_2018 = [
    *HEADER_2017[: HEADER_2017.index("是否是O2O交易") + 1],
    *names("新零售交易类型,新零售导购门店名称,新零售导购门店id,新零售发货门店名称,新零售发货门店id,退款金额,预约门店,"
           "确认收货时间,打款商家金额,含应开票给个人的个人红包"),
]  # fmt: skip

HEADER_2020 = names(
    "订单编号,买家会员名,买家支付宝账号,支付单号,支付详情,买家应付货款,买家应付邮费,买家支付积分,总金额,返点积分,"
    "买家实际支付金额,买家实际支付积分,订单状态,买家留言,收货人姓名,收货地址,运送方式,联系电话,联系手机,订单创建时间,"
    "订单付款时间,宝贝标题,宝贝种类,物流单号,物流公司,订单备注,宝贝总数量,店铺Id,店铺名称,订单关闭原因,卖家服务费,"
    "买家服务费,发票抬头,是否手机订单,分阶段订单信息,特权订金订单id,是否上传合同照片,是否上传小票,是否代付,定金排名,"
    "修改后的sku,修改后的收货地址,异常信息,天猫卡券抵扣,集分宝抵扣,是否是O2O交易,满返红包金额,新零售交易类型,"
    "新零售导购门店名称,新零售导购门店id,新零售发货门店名称,新零售发货门店id,退款金额,预约门店,确认收货时间,打款商家金额,"
    "含应开票给个人的个人红包,是否信用购,体验期结束时间,前N有礼,配送类型,直播返现状态,返现金额,新零售成交门店昵称,"
    "新零售成交门店id,新零售成交经销商id,主订单编号"
)

HEADER_2025 = names(
    "订单编号,支付单号,支付详情,买家实付金额,订单状态,订单创建时间,订单付款时间,宝贝种类,店铺名称,卖家服务费,退款金额,发货时间,确认收货时间,确认收货打款金额"
)


@pytest.mark.parametrize(
    ("era", "header"),
    [("2017", HEADER_2017), ("2018", HEADER_2018), ("2020", HEADER_2020), ("2025", HEADER_2025)],
)
def test_every_era(tmp_path: Path, era: str, header: list[str]) -> None:
    row = order_row("1234567890123456789", total="88.00", paid="80.00", refund="8.00")
    row |= {
        "支付详情": f"支付方式：支付宝，支付单号：2020，金额：80.00；{PHONE}",
        "买家实付金额": "80.00",
        "主订单编号": "1",
    }
    p = tmp_path / f"ExportOrderList{era}.csv"
    p.write_bytes(export_csv([row], header))
    pf = read_file(p)
    got = pf.table.to_pylist()[0]
    assert got["order_id"] == "1234567890123456789"
    assert (got["amount_fen"], got["refund_fen"]) == (8800, 800)
    assert got["shop_id"] == "测试旗舰店"
    assert got["created_at"] == datetime(2024, 9, 3, 10, 0)
    assert pf.warnings == []
    assert PHONE not in repr(pf.table.to_pylist()) + repr(pf.quarantine)
    assert ("buyer_id" in pf.table.column_names) == (era != "2025")


def test_unpaid_orders_pay_nothing(tmp_path: Path) -> None:
    p = tmp_path / "o.csv"
    p.write_bytes(export_csv([order_row("1", paid_at="", paid="0.00", status="等待买家付款")]))
    row = read_file(p).table.to_pylist()[0]
    assert (row["paid_at"], row["amount_fen"], row["refund_fen"]) == (None, 0, 0)


def test_closed_after_payment_without_a_refund_column(tmp_path: Path) -> None:
    header = [h for h in HEADER_2017 if h != "退款金额"]
    rows = [
        order_row("1", status="交易关闭"),
        order_row("2"),
        order_row("3", status="交易关闭", paid_at=""),
    ]
    p = tmp_path / "o.csv"
    p.write_bytes(export_csv(rows, header))
    pf = read_file(p)
    assert pf.table["refund_fen"].to_pylist() == [10000, 0, 0]
    assert "refund_fen" not in pf.columns
    assert pf.partial == {"refund_fen": [True, False, False]}
    assert any("no 退款金额 column" in n for n in pf.notes)


def test_excel_resaved_times_and_shop_option(tmp_path: Path) -> None:
    p = tmp_path / "o.csv"
    p.write_bytes(
        export_csv(
            [order_row("1", created="2016/5/23 22:02", paid_at="2016/5/23 22:03")], encoding="utf-8"
        )
    )
    pf = read_file(p, shop="别的店")
    row = pf.table.to_pylist()[0]
    assert (row["created_at"], row["paid_at"]) == (
        datetime(2016, 5, 23, 22, 2),
        datetime(2016, 5, 23, 22, 3),
    )
    assert row["shop_id"] == "测试旗舰店"
    assert pf.warnings == ["--shop 别的店 was not used: the file names its shop 测试旗舰店"]


def test_empty_item_count_is_one_with_a_warning(tmp_path: Path) -> None:
    p = tmp_path / "o.csv"
    p.write_bytes(export_csv([order_row("1", items=""), order_row("2", items="4")]))
    pf = read_file(p)
    assert pf.table["items"].to_pylist() == [1, 4]
    assert pf.warnings == ["1 rows have an empty 宝贝总数量: counted as 1 item each"]


def test_many_mismatches_are_summarised(tmp_path: Path) -> None:
    p = tmp_path / "o.csv"
    p.write_bytes(export_csv([order_row(str(i), paid="1.00") for i in range(1, 31)]))
    pf = read_file(p)
    assert len(pf.warnings) == 21
    assert pf.warnings[-1] == "… and 10 more rows whose amounts do not add up"
