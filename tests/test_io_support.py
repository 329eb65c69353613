"""Builders the importer tests share: Taobao-shaped export files, fixture paths, store snapshots.

(No tests here; the name only keeps it among the importer's test files.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

import pytest

from kefu.store import Store

REPO = Path(__file__).resolve().parents[1]


def fixtures_dir() -> Path:
    """The shared real-sample fixtures (platform-formats.md): $KEFU_FIXTURES, tests/fixtures, or ../shared."""
    candidates = [
        os.environ.get("KEFU_FIXTURES"),
        REPO / "tests" / "fixtures",
        REPO.parent / "shared" / "fixtures",
        "/work/shared/fixtures",
    ]
    for c in candidates:
        if c and (Path(c) / "taobao-order-export").is_dir():
            return Path(c)
    absent("the real sample exports are not here (set KEFU_FIXTURES to their folder)")


def absent(reason: str) -> NoReturn:
    """Skip a test whose real sample files are missing, with a one-line reason; in CI
    (CI=true) their absence is a failure, so a broken checkout never passes by skipping."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


# The 2017 ExportOrderList header, verbatim (trailing spaces included).
HEADER_2017 = [
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分",
    "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ",
    "联系手机", "订单创建时间", "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注", "宝贝总数量",
    "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息",
    "特权订金订单id", "是否上传合同照片", "是否上传小票", "是否代付", "定金排名", "修改后的sku", "修改后的收货地址",
    "异常信息", "天猫卡券抵扣", "集分宝抵扣", "是否是O2O交易", "退款金额", "预约门店",
]  # fmt: skip

# Personal values planted in generated exports: none may reach the store.
PHONE = "13912345678"
ADDRESS = "浙江省 杭州市 西湖区 文三路999号"
ALIPAY = "secret.buyer@alipay.example"
RECEIVER = "张三丰"
BUYER_NOTE = "请周末送货"


def order_row(
    order_id: str,
    *,
    buyer: str = "tb_buyer",
    total: str = "100.00",
    paid: str = "100.00",
    refund: str = "0.00",
    created: str = "2024-09-03 10:00:00",
    paid_at: str = "2024-09-03 10:01:00",
    status: str = "买家已付款，等待卖家发货",
    items: str = "1",
    shop: str = "测试旗舰店",
) -> dict[str, str]:
    """One ExportOrderList row, with personal columns filled so tests can look for leaks."""
    return {
        "订单编号": f'="{order_id}"',
        "买家会员名": buyer,
        "买家支付宝账号": ALIPAY,
        "买家应付货款": total,
        "买家应付邮费": "0.00",
        "总金额": total,
        "买家实际支付金额": paid,
        "订单状态": status,
        "买家留言": BUYER_NOTE,
        "收货人姓名": RECEIVER,
        "收货地址 ": ADDRESS,
        "联系手机": f"'{PHONE}",
        "联系电话 ": PHONE,
        "订单创建时间": created,
        "订单付款时间 ": paid_at,
        "宝贝总数量": items,
        "店铺名称": shop,
        "买家服务费": "0元",
        "特权订金订单id": '=""',
        "退款金额": refund,
    }


def _quote(v: str) -> str:
    # the export writes ="…" cells bare and every other cell quoted
    return v if v.startswith("=") else '"' + v.replace('"', '""') + '"'


def export_csv(
    rows: list[dict[str, str]],
    header: list[str] = HEADER_2017,
    *,
    encoding: str = "gbk",
    newline: str = "\r\n",
    final_newline: bool = True,
) -> bytes:
    """An ExportOrderList CSV as Taobao writes it: GBK, CRLF, quoted cells."""
    lines = [",".join(_quote(h) for h in header)]
    # rows are keyed by the 2017 names; other eras drop the trailing spaces
    trimmed = [{k.strip(): v for k, v in r.items()} for r in rows]
    lines += [",".join(_quote(r.get(h.strip(), "")) for h in header) for r in trimmed]
    text = newline.join(lines) + (newline if final_newline else "")
    return text.encode(encoding)


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every canonical table and the quarantine, sorted, for comparing stores."""
    out = {}
    for table in ("agents", "messages", "orders", "reviews"):
        out[table] = sorted(store.con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    out["quarantine"] = sorted(
        store.con.execute(
            "SELECT file, row_no, column_name, value, reason, kind, record FROM quarantine"
        ).fetchall(),
        key=repr,
    )
    return out
