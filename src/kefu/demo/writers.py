"""The demo shop's files, each in the exact shape a real shop downloads or copies it."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from kefu.demo import texts as tx
from kefu.demo.chat import Message
from kefu.demo.simulate import DAY, Order, World
from kefu.demo.story import CAST, SHOP_ID, agent_id, employment
from kefu.output import open_for_write, write_bytes, write_text

# 卖家中心「已卖出的宝贝」导出订单, 2017 shape, verbatim with its trailing spaces (spec/platform-formats.md).
EXPORT_HEADER: tuple[str, ...] = (
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额",
    "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ",
    "运送方式", "联系电话 ", "联系手机", "订单创建时间", "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ",
    "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费",
    "发票抬头", "是否手机订单", "分阶段订单信息", "特权订金订单id", "是否上传合同照片", "是否上传小票", "是否代付",
    "定金排名", "修改后的sku", "修改后的收货地址", "异常信息", "天猫卡券抵扣", "集分宝抵扣", "是否是O2O交易",
    "退款金额", "预约门店",
)  # fmt: skip
DETAIL_HEADER: tuple[str, ...] = (
    "订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注", "订单状态", "商家编码",
)  # fmt: skip
UNPAID_OPEN_DAYS = 3  # an unpaid order closes itself after three days


class Clock:
    """Formats story seconds as shop-local timestamps."""

    def __init__(self, start: dt.date, days: int) -> None:
        self.start = start
        self.dates = [f"{start + dt.timedelta(days=n)} " for n in range(days + 80)]
        self.times = [
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        ]

    def __call__(self, ts: int) -> str:
        day, sec = divmod(ts, DAY)
        return self.dates[day] + self.times[sec]

    def date(self, ts: int) -> dt.date:
        return self.start + dt.timedelta(days=ts // DAY)


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _status(order: Order, as_of: int) -> tuple[str, str, int]:
    """订单状态, 订单关闭原因 and the refund known at `as_of`."""
    if order.paid is None or order.paid > as_of:
        if as_of - order.created < UNPAID_OPEN_DAYS * DAY:
            return "等待买家付款", "订单未关闭", 0
        return "交易关闭", "买家未付款", 0
    refund = order.refund_as_of(as_of)
    if refund and refund >= order.amount_fen:
        return "交易关闭", "退款", refund
    if as_of < order.shipped:
        return "买家已付款，等待卖家发货", "订单未关闭", refund
    if as_of < order.confirmed:
        return "卖家已发货，等待买家确认", "订单未关闭", refund
    return "交易成功", "订单未关闭", refund


def _quoted(cells: Sequence[str]) -> str:
    """Every cell in double quotes (no cell of ours holds one)."""
    return '"' + '","'.join(cells) + '"'


def write_order_export(
    folder: Path, stamp: dt.datetime, orders: Sequence[Order], world: World, clock: Clock
) -> tuple[Path, Path]:
    """ExportOrderList<yyyyMMddHHmm>.csv and its ExportOrderDetailList, GBK, CRLF, as of `stamp`.

    Ids are written as Excel formulas (="…") so that 18 digits survive, as real exports do; so is
    the empty 特权订金订单id.
    """
    as_of = (stamp.date() - world.start).days * DAY + stamp.hour * 3600 + stamp.minute * 60
    name = stamp.strftime("%Y%m%d%H%M")
    rows, details = [_quoted(EXPORT_HEADER)], [_quoted(DETAIL_HEADER)]
    for order in sorted(orders, key=lambda o: o.created, reverse=True):
        status, reason, refund = _status(order, as_of)
        paid = order.paid is not None and order.paid <= as_of
        who = world.receivers[order.buyer]
        courier, prefix = tx.COURIERS[int(order.order_id) % len(tx.COURIERS)]
        shipped = paid and as_of >= order.shipped and reason != "退款"
        goods = order.amount_fen - order.postage_fen
        oid = f'="{order.order_id}",'
        rows.append(oid + _quoted((
            order.buyer, who.alipay, yuan(goods), yuan(order.postage_fen), "0",
            yuan(order.amount_fen), "0", yuan(order.amount_fen - refund) if paid else "0.00", "0",
            status, order.note, who.name, who.address, "快递", "", who.phone, clock(order.created),
            clock(order.paid) if paid and order.paid is not None else "",
            "，".join(p.title for p, _ in order.lines), str(len(order.lines)),
            prefix + order.order_id[-12:][::-1] if shipped else "", courier if shipped else "", "",
            str(order.items), "0", SHOP_ID, reason, "0", "0元", "", "手机订单" if order.mobile else "",
            "",
        )) + ',="",' + _quoted((
            "否", "否", "否", "", "", "", "", "", "", "", yuan(refund), "",
        )))  # fmt: skip
        for product, qty in order.lines:
            details.append(oid + _quoted((
                product.title, yuan(product.price_fen), str(qty), product.code, product.spec,
                "", "", status, product.code,
            )) + ",")  # fmt: skip
    listing = folder / f"ExportOrderList{name}.csv"
    detail = folder / f"ExportOrderDetailList{name}.csv"
    write_bytes(listing, ("\r\n".join(rows) + "\r\n").encode("gbk"))
    write_bytes(detail, ("\r\n".join(details) + "\r\n").encode("gbk"))
    return listing, detail


def write_products(path: Path, months: list[str]) -> None:
    """products.csv: the shop's category of each product; the newest two launched in the
    story's last months (new products), the sample kit set 老品 by the shop."""
    launch = f"{months[-3] if len(months) >= 3 else months[0]}-01"
    lines = ["商品编码,类目,上新日期,阶段"]
    for i, p in enumerate(tx.PRODUCTS):
        category = "彩妆" if p.nick in ("口红", "隔离霜") else "护肤"
        newest = i >= len(tx.PRODUCTS) - 2
        stage = "老品" if p.code == "XM-XY-5" else ""
        lines.append(f"{p.code},{category},{launch if newest else ''},{stage}")
    write_bytes(path, ("\n".join(lines) + "\n").encode("utf-8"))


def write_agents(path: Path, months: list[str]) -> None:
    with open_for_write(path) as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(("agent_id", "name", "shop_id", "role", "team", "hired_on", "left_on"))
        for spec in CAST:
            hired, left = employment(spec, months)
            out.writerow((agent_id(spec), spec.name, SHOP_ID, spec.role, spec.team,
                          hired.isoformat(), left.isoformat() if left else ""))  # fmt: skip


def write_messages(path: Path, messages: Sequence[Message], clock: Clock) -> None:
    with open_for_write(path) as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(("shop_id", "buyer_id", "agent_id", "sent_at", "sender", "text", "chars"))
        out.writerows(
            (SHOP_ID, buyer, agent, clock(ts), sender, text, len(text))
            for ts, buyer, agent, sender, text in messages
        )


def write_reviews(path: Path, reviews: Sequence[tuple[str, int, str]], clock: Clock) -> None:
    with open_for_write(path) as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(("shop_id", "order_id", "rated_at", "rating"))
        out.writerows((SHOP_ID, oid, clock(ts), rating) for oid, ts, rating in reviews)


def _clipboard_time(clock: Clock, ts: int) -> str:
    day, sec = clock.date(ts), ts % DAY
    return f"{day.year}-{day.month}-{day.day} {sec // 3600}:{sec // 60 % 60:02d}:{sec % 60:02d}"


def write_qianniu_clipboard(path: Path, messages: Sequence[Message], clock: Clock) -> None:
    """A PC 千牛 chat window copied with Ctrl+A: CRLF, 已读/未读 lines, one recall notice."""
    lines: list[str] = []
    recalled = False
    last_agent = max(n for n, m in enumerate(messages) if m[3] != "buyer")
    for n, (ts, buyer, agent, sender, text) in enumerate(messages):
        if sender == "buyer":
            lines += [f"{buyer} {_clipboard_time(clock, ts)}", text]
            if not recalled and n + 1 < len(messages) and messages[n + 1][3] == "buyer":
                lines.append(f"{buyer} 撤回了一条消息")  # the recalled message is gone for good
                recalled = True
        else:
            arrow = f" --> {buyer}" if n % 3 == 2 else ""
            lines += [f"{agent}{arrow} {_clipboard_time(clock, ts)}", text]
            lines.append("未读" if n == last_agent else "已读")
    if not recalled:
        lines.append(f"{messages[0][1]} 撤回了一条消息")
    write_bytes(path, ("\r\n".join(lines) + "\r\n").encode("utf-8"))


def write_qianniu_web(path: Path, messages: Sequence[Message], clock: Clock) -> None:
    """The text of a 千牛 聊天记录查询 page: a date line, then time / content / speaker blocks."""
    lines = [clock.date(messages[0][0]).isoformat()]
    for ts, buyer, agent, sender, text in messages:
        lines += [clock(ts)[11:], text, buyer if sender == "buyer" else agent, ""]
    write_text(path, "\n".join(lines[:-1]) + "\n")
