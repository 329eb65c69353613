"""拼多多 订单明细 export: one line per order, mapped onto canonical orders (docs/importers.md)."""

from __future__ import annotations

import re

from kefu.io.platform_orders import Line, OrderSpec, Outcome

REFUNDED = "退款成功"


def line_refunded(line: Line) -> bool:
    """退款成功 in 订单状态 or 售后状态: refunded in full unless a 退款金额 column says how much."""
    return REFUNDED in line.status or REFUNDED in line.aftersale


def outcome(lines: list[Line]) -> Outcome:
    """已取消 before payment → cancelled; 退款成功 → refunded (in full unless 退款金额(元) is less)."""
    head = lines[0]
    if line_refunded(head) and (head.refund is None or head.refund >= head.amount):
        return "refunded"
    if "取消" in head.status or "待支付" in head.status or "未支付" in head.status:
        return "refunded" if head.paid_given and head.paid_at is not None else "cancelled"
    if head.paid_given and head.paid_at is None:
        return "unpaid"
    return "paid"


SPEC = OrderSpec(
    platform="拼多多 (Pinduoduo)",
    fmt="pdd-orders",
    order_id="订单号",
    created="订单成交时间",
    amounts=("用户实付金额(元)",),
    status="订单状态",
    lines="unique",
    outcome=outcome,
    line_refunded=line_refunded,
    paid=("支付时间",),
    items="商品数量(件)",
    aftersale="售后状态",
    refund="退款金额(元)",
    id_pattern=re.compile(r"\d{6}-\d+|\d+"),  # 订单号 like 240903-123456789012345
    product_id=("商品id",),
    title=("商品",),
    sku=("商家编码-商品维度", "商家编码-SKU维度", "商家编码-规格维度"),
    line_total=("商品总价(元)",),
)
