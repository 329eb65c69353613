"""JD POP (京东) 订单导出: one line per SKU, mapped onto canonical orders (docs/importers.md)."""

from __future__ import annotations

from kefu.io.platform_orders import Line, OrderSpec, Outcome

DELETED = "(删除)"  # a status prefix for orders the shop deleted from its list


def status_of(line: Line) -> str:
    """The status without the (删除) prefix: deleting an order from the list changes nothing."""
    return line.status.replace("（删除）", DELETED).removeprefix(DELETED).strip()


def outcome(lines: list[Line]) -> Outcome:
    """已取消 before payment → cancelled; after payment (付款确认时间 set) → refunded in full."""
    head = lines[0]
    status = status_of(head)
    if "取消" in status:
        return "refunded" if head.paid_at is not None else "cancelled"
    if head.paid_at is None or "等待付款" in status:
        return "unpaid"
    return "paid"


SPEC = OrderSpec(
    platform="JD (京东)",
    fmt="jd-orders",
    order_id="订单号",
    created="下单时间",
    amounts=("应付金额", "订单金额"),
    status="订单状态",
    lines="repeat",
    outcome=outcome,
    line_id=("商品ID",),
    buyer="下单帐号",
    paid=("付款确认时间",),
    items="订购数量",
    product_id=("商品ID",),
    title=("商品名称",),
    sku=("商家SKUID", "货号"),
    unit_price=("京东价",),
)
