"""Built JD / 抖店 / 拼多多 order exports (no real sample exists): headers from the public
sources docs/importers.md names, each platform's quirks, and the canonical rows expected."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl

PHONE = "13912345678"
ADDRESS = "浙江省杭州市西湖区文三路100号"
RECEIVER = "张小三"


def names(header: str) -> list[str]:
    """A header as the sources write it: comma-separated names."""
    return header.split(",")


JD_HEADER = names(
    "订单号,商品ID,商品名称,订购数量,支付方式,下单时间,京东价,订单金额,结算金额,余额支付,应付金额,订单状态,订单类型,"
    "下单帐号,客户姓名,客户地址,联系电话,订单备注,发票类型,发票抬头,发票内容,商家备注,商家备注等级（等级1-5为由高到低）,"
    "运费金额,付款确认时间,增值税发票,货号,订单完成时间,订单来源,订单渠道"
)

DOUYIN_HEADER = names(
    "主订单编号,子订单编号,选购商品,商品规格,商品数量,商家编码,订单应付金额,运费,收件人,收件人手机号,详细地址,订单提交时间,"
    "支付完成时间,商家备注,订单完成时间,订单状态,售后状态,取消原因,发货时间,平台实际承担优惠金额,商家实际承担优惠金额,"
    "达人实际承担优惠金额"
)

PDD_HEADER = names(
    "订单成交时间,商品,订单号,订单状态,商品总价(元),邮费(元),店铺优惠折扣(元),平台优惠折扣(元),多多支付立减金额(元),"
    "用户实付金额(元),商家实收金额(元),商品数量(件),发货时间,确认收货时间,商品id,商品规格,样式ID,商家编码-规格维度,"
    "商家编码-商品维度,商家备注,售后状态,快递单号,快递公司"
)

HEADERS = {"jd": JD_HEADER, "douyin": DOUYIN_HEADER, "pdd": PDD_HEADER}


def yuan(fen: int, style: int = 0) -> str:
    """An amount as exports write it: 12.30, ￥12.30, 12.30元, 1,299.00."""
    text = f"{fen // 100}.{fen % 100:02d}"
    if style == 1:
        return "￥" + text  # full-width: the half-width ¥ is not in GBK
    if style == 2:
        return text + "元"
    if style == 3 and fen >= 100_000:
        return f"{fen // 100:,}.{fen % 100:02d}"
    return text


def stamp(t: datetime | None, slash: bool = False) -> str:
    if t is None:
        return ""
    return t.strftime("%Y/%m/%d %H:%M:%S" if slash else "%Y-%m-%d %H:%M:%S")


@dataclass
class Sale:
    """One order as a platform holds it; `outcome` is paid | cancelled | refunded | partial."""

    order_id: str
    created: datetime
    paid: datetime | None
    lines: list[tuple[int, int]]  # (quantity, amount in fen) per line / SKU / 子订单
    outcome: str = "paid"
    buyer: str = "jd_buyer"
    style: int = 0  # how amounts are written

    @property
    def amount(self) -> int:
        return sum(a for _, a in self.lines)


@dataclass
class Expected:
    order_id: str
    created_at: datetime
    paid_at: datetime | None
    amount_fen: int
    refund_fen: int
    items: int
    status: str
    buyer_id: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def row(self, shop: str) -> dict[str, object]:
        """The canonical row read back (抖店 and 拼多多 exports have no buyer column)."""
        row = {
            "shop_id": shop,
            "order_id": self.order_id,
            "buyer_id": self.buyer_id,
            "created_at": self.created_at,
            "paid_at": self.paid_at,
            "amount_fen": self.amount_fen,
            "items": self.items,
            "refund_fen": self.refund_fen,
            "status": self.status,
        }
        if self.buyer_id is None:
            del row["buyer_id"]
        return row


# -- JD: one line per SKU; order fields repeat on every line ---------------------------------

JD_STATUS = {
    "paid": "完成",
    "cancelled": "已取消",
    "refunded": "已取消",
    "deleted": "(删除)等待出库",
}


def jd_rows(s: Sale) -> tuple[list[dict[str, str]], Expected]:
    status = JD_STATUS[s.outcome]
    paid = None if s.outcome == "cancelled" else s.paid
    rows = []
    for i, (qty, _) in enumerate(s.lines):
        rows.append(
            {
                "订单号": s.order_id,
                "商品ID": str(100012345 + i),
                "商品名称": f"商品{i}",
                "订购数量": str(qty),
                "支付方式": "在线支付",
                "下单时间": stamp(s.created),
                "京东价": "9.90",
                "订单金额": yuan(s.amount, s.style),
                "应付金额": yuan(s.amount, s.style),
                "订单状态": status,
                "下单帐号": s.buyer,
                "客户姓名": RECEIVER,
                "客户地址": ADDRESS,
                "联系电话": PHONE,
                "付款确认时间": stamp(paid),
                "订单来源": "移动端订单",
            }
        )
    paid_at = paid
    amount = s.amount if paid_at else 0
    refund = amount if s.outcome == "refunded" else 0
    exp = Expected(
        s.order_id, s.created, paid_at, amount, refund, sum(q for q, _ in s.lines), status, s.buyer
    )
    return rows, exp


# -- 抖店: one line per 子订单, amounts per line, "\t" before every text cell, "-" empty ------

DOUYIN_STATUS = {"paid": "已完成", "cancelled": "已关闭", "refunded": "已关闭", "partial": "已完成"}


def douyin_rows(s: Sale) -> tuple[list[dict[str, str]], Expected]:
    status = DOUYIN_STATUS[s.outcome]
    paid = None if s.outcome == "cancelled" else s.paid
    rows = []
    refund = 0
    for i, (qty, amount) in enumerate(s.lines):
        refunded = s.outcome == "refunded" or (s.outcome == "partial" and i == 0)
        refund += amount if refunded and paid else 0
        rows.append(
            {
                "主订单编号": s.order_id,
                "子订单编号": f"{s.order_id}{i:02d}",
                "选购商品": f"商品{i}",
                "商品数量": str(qty),
                "订单应付金额": yuan(amount, s.style),
                "运费": "0",
                "收件人": "张**##3f9a8b",
                "收件人手机号": "$$a1b2c3$$",
                "详细地址": "##密文##",
                "订单提交时间": stamp(s.created, slash=True),
                "支付完成时间": stamp(paid, slash=True) or "-",
                "订单状态": status,
                "售后状态": "退款成功" if refunded else "-",
                "取消原因": "买家取消" if s.outcome == "cancelled" else "-",
            }
        )
    amount = s.amount if paid else 0
    exp = Expected(s.order_id, s.created, paid, amount, refund, sum(q for q, _ in s.lines), status)
    return rows, exp


# -- 拼多多: one line per order -------------------------------------------------------------

PDD_STATUS = {
    "paid": ("已收货", "无售后或售后取消"),
    "cancelled": ("已取消", ""),
    "refunded": ("未发货，退款成功", "退款成功"),
    "partial": ("已收货", "退款成功"),
}


def pdd_rows(s: Sale) -> tuple[list[dict[str, str]], Expected]:
    status, after = PDD_STATUS[s.outcome]
    qty = sum(q for q, _ in s.lines)
    row = {
        "订单成交时间": stamp(s.created),
        "商品": "商品",
        "订单号": s.order_id,
        "订单状态": status,
        "商品总价(元)": yuan(s.amount),
        "邮费(元)": "0.00",
        "用户实付金额(元)": yuan(s.amount, s.style),
        "商家实收金额(元)": yuan(s.amount),
        "商品数量(件)": str(qty),
        "售后状态": after,
    }
    paid = None if s.outcome == "cancelled" else s.created
    amount = s.amount if paid else 0
    refund = {"refunded": amount, "partial": amount // 2}.get(s.outcome, 0)
    if s.outcome == "partial":
        row["退款金额(元)"] = yuan(refund)
    exp = Expected(s.order_id, s.created, paid, amount, refund, qty, status)
    return [row], exp


BUILDERS = {"jd": jd_rows, "douyin": douyin_rows, "pdd": pdd_rows}


def build(platform: str, sales: list[Sale]) -> tuple[list[dict[str, str]], list[Expected]]:
    rows: list[dict[str, str]] = []
    expected = []
    for s in sales:
        r, e = BUILDERS[platform](s)
        rows += r
        expected.append(e)
    return rows, expected


def header_for(platform: str, rows: list[dict[str, str]]) -> list[str]:
    header = list(HEADERS[platform])
    header += sorted({k for r in rows for k in r} - set(header))
    return header


def write(
    path: Path,
    platform: str,
    rows: list[dict[str, str]],
    *,
    container: str = "csv",
    encoding: str = "utf-8",
    header: list[str] | None = None,
) -> Path:
    """The export as the platform writes it: JD GBK CSV with ="…" ids, 抖店 UTF-8 BOM with a tab
    before every cell, 拼多多 xlsx or CSV."""
    header = header or header_for(platform, rows)
    if container == "xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Sheet0"
        ws.append(header)
        for r in rows:
            ws.append([r.get(h, "") for h in header])
        wb.save(path)
        return path

    def cell(h: str, v: str) -> str:
        if platform == "douyin" and v:
            return "\t" + v
        if platform == "jd" and h in ("订单号", "商品ID") and v:
            return f'="{v}"'
        return v

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([cell(h, r.get(h, "")) for h in header])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


# -- generated exports (Hypothesis) -------------------------------------------------------

OUTCOMES = {
    "jd": ("paid", "cancelled", "refunded", "deleted"),
    "douyin": ("paid", "cancelled", "refunded", "partial"),
    "pdd": ("paid", "cancelled", "refunded", "partial"),
}


def sales_strategy(platform: str):  # type: ignore[no-untyped-def]
    from hypothesis import strategies as st

    line = st.tuples(st.integers(1, 50), st.integers(0, 10**9))
    n_lines = 1 if platform == "pdd" else 3

    @st.composite
    def sale(draw, i: int):  # type: ignore[no-untyped-def]
        created = draw(st.datetimes(datetime(2015, 1, 1), datetime(2030, 12, 31))).replace(
            microsecond=0
        )
        lines = draw(st.lists(line, min_size=1, max_size=n_lines))
        if platform == "jd":  # one amount for the order, repeated on each SKU line
            lines = [(q, 0) for q, _ in lines]
            lines[0] = (lines[0][0], draw(st.integers(0, 10**9)))
        return Sale(
            order_id=(created.strftime("%y%m%d-") if platform == "pdd" else "")
            + str(draw(st.integers(10**11, 10**19 - 1)))
            + str(i),
            created=created,
            paid=created + timedelta(seconds=7),
            lines=lines,
            outcome=draw(st.sampled_from(OUTCOMES[platform])),
            buyer=draw(st.text("abcxyz_0123456789京东买家", min_size=1, max_size=12)),
            style=draw(st.integers(0, 3)),
        )

    return st.integers(1, 6).flatmap(lambda n: st.tuples(*(sale(i) for i in range(n))).map(list))
