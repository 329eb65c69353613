"""抖店 (抖音小店) 订单导出: one line per 子订单 under its 主订单, mapped onto canonical orders."""

from __future__ import annotations

from kefu.io.platform_orders import Line, OrderSpec, Outcome

REFUNDED = "退款成功"


def line_refunded(line: Line) -> bool:
    """A 子订单 whose 售后状态 is 退款成功 was refunded in full (its 订单应付金额)."""
    return REFUNDED in line.aftersale


def outcome(lines: list[Line]) -> Outcome:
    """已关闭 after payment (or with refunded lines) → refunded; before payment → cancelled."""
    head = lines[0]
    if "待支付" in head.status or "待付款" in head.status:
        return "unpaid"
    if all(line_refunded(ln) for ln in lines):
        return "refunded"
    if "关闭" in head.status or "取消" in head.status:
        paid = any(line_refunded(ln) for ln in lines) or (
            head.paid_given and head.paid_at is not None
        )
        return "refunded" if paid else "cancelled"
    if head.paid_given and head.paid_at is None:
        return "unpaid"
    return "paid"


SPEC = OrderSpec(
    platform="抖店 (Douyin)",
    fmt="douyin-orders",
    order_id="主订单编号",
    created="订单提交时间",
    amounts=("订单应付金额",),
    status="订单状态",
    lines="sum",
    outcome=outcome,
    line_refunded=line_refunded,
    line_id=("子订单编号",),
    paid=("支付完成时间",),
    items="商品数量",
    aftersale="售后状态",
    product_id=("商品ID",),
    title=("选购商品",),
    sku=("商家编码",),
    unit_price=("商品金额",),
)
