"""Order exports of JD POP, 抖店 and 拼多多: one reader, driven by each platform's OrderSpec.

Columns are matched by header name (full-width brackets read as ASCII ones), never by
position, and only the columns a spec names are ever read: receiver names, phones,
addresses and notes never leave the file. An order may span several lines (JD writes one
line per SKU, 抖店 one per 子订单); its lines are gathered, and when one of them cannot be
read the whole order is set aside with that reason, never imported half.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from kefu.i18n import Refusal, t
from kefu.io.cells import CellError, clean, parse_count, parse_fen, parse_timestamp
from kefu.io.detect import header_names
from kefu.io.records import Collector, ImportFileError, ParsedFile, items_table, summarise
from kefu.io.shop_settings import ShopZones
from kefu.io.tabular import Sheet, data_rows

Outcome = Literal["unpaid", "paid", "cancelled", "refunded"]
EMPTY_MARKS = frozenset({"-", "--", "—", "/"})  # 抖店 writes "-" for an empty cell


def header_key(name: str) -> str:
    """A header name as matched: trimmed, full-width brackets as ASCII ones (（元） = (元))."""
    return name.strip().replace("（", "(").replace("）", ")")


def value(raw: str) -> str:
    """A cell's text: un-quoted (="…", a leading ' or tab), '-' read as empty."""
    v = clean(raw)
    return "" if v in EMPTY_MARKS else v


@dataclass(frozen=True)
class Line:
    """One line of an export as a spec reads it (cells already un-quoted; '' = empty)."""

    row_no: int
    status: str
    aftersale: str
    paid_at: datetime | None
    amount: int
    refund: int | None  # a refund amount column's value, when the export has one
    paid_given: bool  # the export has a payment-time column (else paid_at is the creation time)
    amount_given: bool = True  # False when the amount cell is empty (counted 0)


@dataclass(frozen=True)
class OrderSpec:
    """How one platform's order export maps onto canonical orders (docs/importers.md)."""

    platform: str  # the name in messages: "JD (京东)"
    fmt: str  # format prefix: "jd-orders" → jd-orders-csv / jd-orders-xlsx
    order_id: str
    created: str
    amounts: tuple[str, ...]  # the first present is the amount column
    status: str
    lines: Literal["unique", "repeat", "sum"]  # one line per order / order fields repeated / summed
    # outcome of an order from its lines: unpaid / paid / cancelled / refunded (full refund)
    outcome: Callable[[list[Line]], Outcome]
    # per line: its amount is refunded in full (抖店 售后状态 退款成功 on one 子订单)
    line_refunded: Callable[[Line], bool] = lambda line: False
    line_id: tuple[str, ...] = ()  # columns that tell two lines of one order apart
    buyer: str | None = None
    paid: tuple[str, ...] = ()  # the first present is the payment time; none → paid at creation
    items: str | None = None
    aftersale: str | None = None
    refund: str | None = None
    shop: tuple[str, ...] = ("店铺名称",)
    # order lines (docs/products.md): the first present column of each is read
    product_id: tuple[str, ...] = ()
    title: tuple[str, ...] = ()
    sku: tuple[str, ...] = ()
    unit_price: tuple[str, ...] = ()  # price of one item
    line_total: tuple[str, ...] = ()  # price of the line (read when no unit price column)
    id_pattern: re.Pattern[str] = re.compile(r"\d+")  # 拼多多 writes 240903-123456789012345

    def columns(self) -> tuple[str, ...]:
        return tuple(
            c
            for c in (
                self.order_id,
                self.created,
                *self.amounts,
                self.status,
                *self.line_id,
                self.buyer,
                *self.paid,
                self.items,
                self.aftersale,
                self.refund,
                *self.shop,
                *self.product_id,
                *self.title,
                *self.sku,
                *self.unit_price,
                *self.line_total,
            )
            if c
        )


class _Reject(Exception):
    def __init__(self, column: str, raw: str, reason: Refusal) -> None:
        super().__init__(str(reason))
        self.column, self.raw, self.reason = column, raw, reason


@dataclass
class _Order:
    first_row: int
    shop_id: str
    buyer: str | None
    created_at: datetime
    items: int
    lines: list[Line]
    line_keys: dict[tuple[str, ...], int]
    records: list[tuple[int, dict[str, str]]]
    item_lines: list[dict[str, Any]]
    items_bad: bool = False


def parse(
    spec: OrderSpec,
    sheet: Sheet,
    header_index: int,
    *,
    file: str,
    container: str,
    encoding: str | None,
    shop: str | None,
    zones: ShopZones | None = None,
) -> ParsedFile:
    """Canonical orders from a platform export whose header is `sheet.rows[header_index]`."""
    _, header_cells = sheet.rows[header_index]
    wanted = set(spec.columns())
    pos: dict[str, int] = {}
    for i, name in enumerate(header_names(header_cells)):
        hk = header_key(name)
        if hk in wanted and hk not in pos:
            pos[hk] = i
    amount_col = next((a for a in spec.amounts if a in pos), None)
    missing = [c for c in (spec.order_id, spec.created, spec.status) if c not in pos]
    if amount_col is None:
        missing.append(spec.amounts[0])
    if missing:
        raise ImportFileError(
            "orders.platform.missing",
            file=file,
            columns=", ".join(missing),
            platform=spec.platform,
            needed=", ".join((spec.order_id, spec.created, spec.amounts[0], spec.status)),
        )
    shop_col = next((s for s in spec.shop if s in pos), None)
    if shop_col is None and not shop:
        raise ImportFileError("orders.platform.no_shop", file=file, platform=spec.platform)
    paid_col = next((p for p in spec.paid if p in pos), None)
    has_buyer = spec.buyer is not None and spec.buyer in pos
    has_items = spec.items is not None and spec.items in pos
    has_aftersale = spec.aftersale is not None and spec.aftersale in pos
    has_refund = spec.refund is not None and spec.refund in pos
    line_cols = [c for c in spec.line_id if c in pos]

    def first_of(columns: tuple[str, ...]) -> str | None:
        return next((c for c in columns if c in pos), None)

    product_col, title_col, sku_col = (
        first_of(spec.product_id),
        first_of(spec.title),
        first_of(spec.sku),
    )
    price_col = first_of(spec.unit_price) or first_of(spec.line_total)
    price_is_unit = first_of(spec.unit_price) is not None
    with_lines = price_col is not None and any((product_col, title_col, sku_col))

    def item_of(cells: list[str], quantity: int) -> dict[str, Any]:
        """One order line: product = the product id, else the merchant code, else the title."""
        title = value(cell(cells, title_col)) if title_col else ""
        sku = value(cell(cells, sku_col)) if sku_col else ""
        product = (value(cell(cells, product_col)) if product_col else "") or sku or title
        if not product:
            column = str(product_col or sku_col or title_col)
            raise _Reject(column, "", Refusal("products.no_product", column=column))
        raw = cell(cells, price_col)
        if not value(raw):
            raise _Reject(
                str(price_col), raw, Refusal("orders.platform.empty", column=str(price_col))
            )
        price = parsed(str(price_col), raw, parse_fen)
        if price_is_unit:
            unit, total = price, price * quantity
        else:  # a line total: the unit price is rounded half-up to a whole fen
            unit, total = (2 * price + quantity) // (2 * quantity) if quantity else price, price
        return {
            "product_id": product,
            "title": title or None,
            "sku": sku or None,
            "unit_price_fen": unit,
            "quantity": quantity,
            "line_fen": total,
        }

    def cell(cells: list[str], column: str | None) -> str:
        i = pos.get(column) if column else None
        return cells[i] if i is not None and i < len(cells) else ""

    def parsed(column: str, raw: str, fn: Callable[[str], Any]) -> Any:
        try:
            return fn(value(raw))
        except CellError as e:
            raise _Reject(column, raw, e) from None

    cols = ["shop_id", "order_id", "created_at", "paid_at", "amount_fen", "items", "refund_fen"]
    cols += ["status"] + (["buyer_id"] if has_buyer else [])
    labels = {
        "order_id": spec.order_id,
        "buyer_id": str(spec.buyer),
        "shop_id": str(shop_col or "--shop"),
        "created_at": spec.created,
        "paid_at": str(paid_col or spec.created),
        "amount_fen": str(amount_col),
        "refund_fen": str(spec.refund if has_refund else spec.aftersale or spec.status),
        "items": str(spec.items),
        "status": spec.status,
    }
    col = Collector("orders", file, cols, zones=zones, labels=labels, money=_yuan)
    width = len(header_cells)
    orders: dict[tuple[str, str], _Order] = {}
    bad: dict[tuple[str, str], tuple[int, Refusal]] = {}  # order → (row, reason) of its bad line
    other_shop: set[str] = set()

    for row_no, cells, record in data_rows(sheet, header_index, width, pos, col):
        key: tuple[str, str] | None = None
        try:
            raw_id = cell(cells, spec.order_id)
            order_id = value(raw_id)
            if not order_id:
                raise _Reject(
                    spec.order_id, raw_id, Refusal("orders.platform.empty", column=spec.order_id)
                )
            if not spec.id_pattern.fullmatch(order_id):
                raise _Reject(spec.order_id, raw_id, Refusal("orders.platform.not_id", id=order_id))
            shop_id = value(cell(cells, shop_col)) or shop or ""
            if not shop_id:
                raise _Reject(
                    str(shop_col), "", Refusal("orders.platform.empty_shop", column=str(shop_col))
                )
            if shop and shop_id != shop:
                other_shop.add(shop_id)
            key = (shop_id, order_id)
            if key in bad:
                raise _Reject(
                    spec.order_id,
                    raw_id,
                    Refusal("orders.platform.order_left_out", id=order_id, row=bad[key][0]),
                )
            raw_created = cell(cells, spec.created)
            if not value(raw_created):
                raise _Reject(
                    spec.created, raw_created, Refusal("orders.platform.empty", column=spec.created)
                )
            created_at = parsed(spec.created, raw_created, parse_timestamp)
            paid_at: datetime | None = created_at
            if paid_col is not None:
                raw_paid = cell(cells, paid_col)
                paid_at = parsed(paid_col, raw_paid, parse_timestamp) if value(raw_paid) else None
            raw_amount = cell(cells, amount_col)
            amount = parsed(str(amount_col), raw_amount, parse_fen) if value(raw_amount) else 0
            refund: int | None = None
            if has_refund:
                raw_refund = cell(cells, spec.refund)
                if value(raw_refund):  # empty: the status alone says whether it was refunded
                    refund = parsed(str(spec.refund), raw_refund, parse_fen)
            items = 1
            if has_items:
                raw_items = cell(cells, spec.items)
                items = parsed(str(spec.items), raw_items, parse_count) if value(raw_items) else 1
            line = Line(
                row_no,
                value(cell(cells, spec.status)),
                value(cell(cells, spec.aftersale)) if has_aftersale else "",
                paid_at,
                amount,
                refund,
                paid_col is not None,
                bool(value(raw_amount)),
            )
            line_key = tuple(value(cell(cells, c)) for c in line_cols)
            item: dict[str, Any] | _Reject | None = None
            if with_lines:
                try:
                    item = item_of(cells, items)
                except _Reject as e:
                    item = e
            order = orders.get(key)
            if order is None:
                orders[key] = _Order(
                    row_no,
                    shop_id,
                    value(cell(cells, spec.buyer)) or None if has_buyer else None,
                    created_at,
                    items,
                    [line],
                    {line_key: row_no},
                    [(row_no, record)],
                    [],
                )
                _add_item(orders[key], item, line_key, col, row_no, record, order_id)
                continue
            if spec.lines == "unique" or (line_cols and line_key in order.line_keys):
                first = order.line_keys.get(line_key, order.first_row)
                col.reject(
                    row_no,
                    spec.order_id,
                    raw_id,
                    Refusal("orders.platform.duplicate", row=first),
                    record,
                )
                continue
            if spec.lines == "repeat":
                head = order.lines[0]
                if (created_at, amount, line.status) != (
                    order.created_at,
                    head.amount,
                    head.status,
                ):
                    raise _Reject(
                        spec.order_id,
                        raw_id,
                        Refusal("orders.platform.lines_disagree", id=order_id, row=order.first_row),
                    )
            order.items += items
            order.lines.append(line)
            order.line_keys[line_key] = row_no
            order.records.append((row_no, record))
            _add_item(order, item, line_key, col, row_no, record, order_id)
        except _Reject as e:
            col.reject(row_no, e.column, e.raw, e.reason, record)
            if key is not None and key not in bad:
                bad[key] = (row_no, e.reason)
                done = orders.pop(key, None)
                for other_row, other_record in done.records if done else []:
                    col.reject(
                        other_row,
                        spec.order_id,
                        key[1],
                        Refusal("orders.platform.order_left_out", id=key[1], row=row_no),
                        other_record,
                    )

    counts = {"cancelled": 0, "refunded": 0, "partial": 0}
    no_amount: list[str] = []
    item_rows: list[dict[str, Any]] = []
    for key, order in sorted(orders.items(), key=lambda kv: kv[1].first_row):
        head = order.lines[0]
        outcome = spec.outcome(order.lines)
        paid_at = head.paid_at if outcome in ("paid", "refunded") else None
        if outcome == "refunded" and paid_at is None:
            paid_at = order.created_at  # a refunded order was paid; its time is not given
        amount = sum(ln.amount for ln in order.lines) if spec.lines == "sum" else head.amount
        if paid_at is None:
            amount = 0
        lines = order.lines if spec.lines == "sum" else [head]
        refund = sum(
            ln.refund if ln.refund is not None else ln.amount if spec.line_refunded(ln) else 0
            for ln in lines
        )
        if paid_at is not None and refund > amount:
            col.reject(
                order.first_row,
                spec.refund or spec.amounts[0],
                _yuan(refund),
                Refusal("orders.platform.refund_over", refund=_yuan(refund), amount=_yuan(amount)),
                order.records[0][1],
            )
            continue
        if outcome == "refunded":
            refund = amount
        elif paid_at is None:
            refund = 0
        if paid_at is not None and not all(ln.amount_given for ln in lines):
            bad_row = next(ln.row_no for ln in lines if not ln.amount_given)
            no_amount.append(
                t("orders.platform.no_amount", file=file, row=bad_row, column=str(amount_col))
            )
        row = col.check(
            order.first_row,
            {
                "shop_id": order.shop_id,
                "order_id": key[1],
                "buyer_id": order.buyer,
                "created_at": order.created_at,
                "paid_at": paid_at,
                "amount_fen": amount,
                "items": order.items,
                "refund_fen": refund,
                "status": head.status or None,
            },
            order.records[0][1],
        )
        if row is None:  # the shared rules of kefu.io.rules (e.g. paid before created)
            continue
        col.add(order.first_row, row)
        if not order.items_bad:
            item_rows += [
                {**it, "shop_id": order.shop_id, "order_id": key[1]} for it in order.item_lines
            ]
        counts["cancelled"] += outcome == "cancelled"
        counts["refunded"] += outcome == "refunded" or 0 < refund == amount
        counts["partial"] += 0 < refund < amount

    given = ["shop_id", "order_id", "created_at", "paid_at", "amount_fen", "status", "refund_fen"]
    given += ["buyer_id"] if has_buyer else []
    given += ["items"] if has_items else []
    notes: list[str] = []
    warnings: list[str] = []
    if not has_buyer:
        notes.append(t("orders.platform.no_buyer", platform=spec.platform))
    if paid_col is None and spec.paid:
        notes.append(
            t("orders.platform.paid_at_created", column=spec.paid[0], created=spec.created)
        )
    if not has_items and spec.items:
        notes.append(t("orders.platform.no_items", column=spec.items))
    if not has_refund and not has_aftersale:
        notes.append(t("orders.platform.no_refunds", platform=spec.platform))
    if any(counts.values()):
        notes.append(t("orders.platform.outcomes", **counts))
    warnings += summarise(no_amount)
    if other_shop:
        warnings.append(
            t("orders.platform.shop_unused", shop=shop, shops=", ".join(sorted(other_shop)))
        )
    return ParsedFile(
        file=file,
        kind="orders",
        format=f"{spec.fmt}-{container}",
        encoding=encoding,
        table=col.table(),
        columns=given,
        rows_read=col.rows_read,
        source_rows=col.source_rows,
        quarantine=col.quarantine,
        warnings=warnings,
        notes=notes,
        items=items_table(item_rows) if with_lines else None,
    )


def _add_item(
    order: _Order,
    item: dict[str, Any] | _Reject | None,
    line_key: tuple[str, ...],
    col: Collector,
    row_no: int,
    record: dict[str, str],
    order_id: str,
) -> None:
    """Keep a line's item on its order; a line that cannot be read costs the order its lines."""
    if item is None or order.items_bad:
        return
    if isinstance(item, _Reject):
        col.reject(
            row_no,
            item.column,
            item.raw,
            t("products.line_left_out", reason=item.reason, id=order_id),
            record,
        )
        order.items_bad = True
        order.item_lines.clear()
        return
    item["line_id"] = "|".join(line_key) if any(line_key) else str(len(order.item_lines) + 1)
    if any(it["line_id"] == item["line_id"] for it in order.item_lines):
        item["line_id"] = f"{item['line_id']}#{len(order.item_lines) + 1}"
    order.item_lines.append(item)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
