"""Taobao/Tmall order exports — ExportOrderList (CSV, 千牛 xlsx), the Tianchi tmall_order_report, and
ExportOrderDetailList item lines — mapped onto canonical orders (platform-formats.md Part 1).

Only the columns named here are ever read (an allow-list): receiver names, phones,
addresses, Alipay accounts, buyer notes and payment details never leave the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kefu.i18n import Refusal
from kefu.io.cells import CellError, clean, parse_count, parse_fen, parse_timestamp
from kefu.io.detect import header_names
from kefu.io.records import Collector, ImportFileError, ParsedFile, items_table, summarise
from kefu.io.shop_settings import ShopZones
from kefu.io.tabular import Sheet, data_rows

ORDER_ID = "订单编号"
BUYER = "买家会员名"
SHOP = "店铺名称"
CREATED = "订单创建时间"
PAID = "订单付款时间"
TOTAL = "总金额"
ACTUAL = ("买家实际支付金额", "买家实付金额")
REFUND = "退款金额"
ITEMS = "宝贝总数量"
STATUS = "订单状态"
ORDER_COLUMNS = (ORDER_ID, BUYER, SHOP, CREATED, PAID, TOTAL, *ACTUAL, REFUND, ITEMS, STATUS)

MAIN_ORDER_ID = "主订单编号"
QUANTITY = "购买数量"
SUB_ORDER_ID = "子订单编号"
TITLES = ("标题", "商品标题")
PRICE = "价格"
MERCHANT_CODE = "商家编码"
DETAIL_COLUMNS = (MAIN_ORDER_ID, ORDER_ID, QUANTITY, SUB_ORDER_ID, *TITLES, PRICE, MERCHANT_CODE)

CLOSED = "交易关闭"
_DIGITS = re.compile(r"\d+")


class _Reject(Exception):
    def __init__(self, column: str, value: str, reason: Refusal) -> None:
        super().__init__(str(reason))
        self.column, self.value, self.reason = column, value, reason


def _positions(header_cells: list[str], allowed: tuple[str, ...]) -> dict[str, int]:
    pos: dict[str, int] = {}
    for i, name in enumerate(header_names(header_cells)):
        if name in allowed and name not in pos:
            pos[name] = i
    return pos


def _order_id(raw: str, column: str) -> str:
    v = clean(raw)
    if not v:
        raise _Reject(column, raw, Refusal("io.row.empty", column=column))
    if not _DIGITS.fullmatch(v):
        lost = re.search(r"[eE][+-]?\d|\.", v)
        key = "io.row.order_number_lost" if lost else "io.row.not_order_number"
        raise _Reject(column, raw, Refusal(key, value=v))
    return v


def _cell(cells: list[str], pos: dict[str, int], column: str) -> str:
    i = pos.get(column)
    return cells[i] if i is not None and i < len(cells) else ""


def _parse(column: str, raw: str, fn: Callable[[str], Any]) -> Any:
    try:
        return fn(clean(raw))
    except CellError as e:
        raise _Reject(column, raw, e) from None


def parse_orders(
    sheet: Sheet,
    header_index: int,
    *,
    file: str,
    fmt: str,
    encoding: str | None,
    shop: str | None,
    zones: ShopZones | None = None,
) -> ParsedFile:
    """Canonical orders from an ExportOrderList-shaped sheet whose header is `sheet.rows[header_index]`."""
    _, header_cells = sheet.rows[header_index]
    pos = _positions(header_cells, ORDER_COLUMNS)
    actual = next((a for a in ACTUAL if a in pos), None)
    needed = [ORDER_ID, CREATED, PAID]
    missing = [c for c in needed if c not in pos]
    if TOTAL not in pos and actual is None:
        missing.append(f"{TOTAL} (or {ACTUAL[0]})")
    if missing:
        raise ImportFileError(
            "io.file.order_columns",
            file=file,
            missing=", ".join(missing),
            order_id=ORDER_ID,
            created=CREATED,
            paid=PAID,
            total=TOTAL,
            actual=ACTUAL[0],
        )
    if SHOP not in pos and not shop:
        raise ImportFileError("io.file.no_shop_column", file=file, column=SHOP)

    cols = ["shop_id", "order_id", "created_at", "paid_at", "amount_fen", "items", "refund_fen"]
    if BUYER in pos:
        cols.append("buyer_id")
    if STATUS in pos:
        cols.append("status")
    labels = {
        "order_id": ORDER_ID,
        "buyer_id": BUYER,
        "shop_id": SHOP,
        "created_at": CREATED,
        "paid_at": PAID,
        "amount_fen": TOTAL if TOTAL in pos else str(actual),
        "refund_fen": REFUND,
        "items": ITEMS,
        "status": STATUS,
    }
    col = Collector("orders", file, cols, zones=zones, labels=labels, money=_yuan)
    width = len(header_cells)
    seen: dict[tuple[str, str], int] = {}
    mismatches: list[str] = []
    other_shop: set[str] = set()
    no_items = 0
    closed_rows: list[bool] = []
    closed_filled = 0

    for row_no, cells, record in data_rows(sheet, header_index, width, pos, col):
        try:
            order_id = _order_id(_cell(cells, pos, ORDER_ID), ORDER_ID)
            shop_id = clean(_cell(cells, pos, SHOP)) or shop
            if not shop_id:
                raise _Reject(SHOP, "", Refusal("io.row.no_shop", column=SHOP))
            if shop and shop_id != shop:
                other_shop.add(shop_id)
            raw_created = _cell(cells, pos, CREATED)
            if not clean(raw_created):
                raise _Reject(CREATED, raw_created, Refusal("io.row.empty", column=CREATED))
            created_at = _parse(CREATED, raw_created, parse_timestamp)
            raw_paid = _cell(cells, pos, PAID)
            paid_at = _parse(PAID, raw_paid, parse_timestamp) if clean(raw_paid) else None
            raw_refund = _cell(cells, pos, REFUND)
            refund = _parse(REFUND, raw_refund, parse_fen) if clean(raw_refund) else 0
            amount = 0
            if paid_at is not None:
                amount, mismatch = _paid_amount(cells, pos, actual, refund)
                if mismatch:
                    mismatches.append(f"{file} row {row_no}: {mismatch}")
            items = 1
            if ITEMS in pos:
                raw_items = _cell(cells, pos, ITEMS)
                if clean(raw_items):
                    items = _parse(ITEMS, raw_items, parse_count)
                else:
                    no_items += 1
            status = clean(_cell(cells, pos, STATUS)) or None
        except _Reject as e:
            col.reject(row_no, e.column, e.value, e.reason, record)
            continue
        row = col.check(
            row_no,
            {
                "shop_id": shop_id,
                "order_id": order_id,
                "buyer_id": clean(_cell(cells, pos, BUYER)) or None,
                "created_at": created_at,
                "paid_at": paid_at,
                "amount_fen": amount,
                "items": items,
                "refund_fen": refund,
                "status": status,
            },
            record,
        )
        if row is None:
            continue
        key = (shop_id, order_id)
        if key in seen:
            col.reject(
                row_no,
                ORDER_ID,
                order_id,
                Refusal("io.row.duplicate_orders", row=seen[key]),
                record,
            )
            continue
        seen[key] = row_no
        # A trade closed after payment was refunded in full (platform-formats.md Part 1).
        closed = bool(
            status
            and status.startswith(CLOSED)
            and paid_at is not None
            and refund == 0
            and amount > 0
        )
        if closed:
            row["refund_fen"] = amount
            closed_filled += 1
        closed_rows.append(closed)
        col.add(row_no, row)

    given = ["shop_id", "order_id", "created_at", "paid_at", "amount_fen"]
    given += [
        c
        for c, h in (
            ("buyer_id", BUYER),
            ("refund_fen", REFUND),
            ("items", ITEMS),
            ("status", STATUS),
        )
        if h in pos
    ]
    partial = {}
    if REFUND not in pos and closed_filled:
        partial["refund_fen"] = closed_rows
    notes: list[str] = []
    warnings = summarise(mismatches, what="rows whose amounts do not add up")
    if BUYER not in pos:
        notes.append(
            f"this export has no {BUYER} column: its orders import but cannot be credited to agents "
            "(the KPI counts them as unattributable, not silent)"
        )
    if ITEMS not in pos:
        notes.append(
            f"this export has no {ITEMS} column: each order counts 1 item unless its "
            "ExportOrderDetailList is imported with it"
        )
    elif no_items:
        warnings.append(f"{no_items} rows have an empty {ITEMS}: counted as 1 item each")
    if REFUND not in pos:
        notes.append(
            f"this export has no {REFUND} column: refunds are unknown (0) except for orders "
            f"closed after payment ({CLOSED}), counted as fully refunded"
        )
    if closed_filled and REFUND in pos:
        notes.append(
            f"{closed_filled} orders closed after payment ({CLOSED}) show no refund: counted as fully refunded"
        )
    if other_shop:
        warnings.append(
            f"--shop {shop} was not used: the file names its shop {', '.join(sorted(other_shop))}"
        )
    return ParsedFile(
        file=file,
        kind="orders",
        format=fmt,
        encoding=encoding,
        table=col.table(),
        columns=given,
        rows_read=col.rows_read,
        source_rows=col.source_rows,
        quarantine=col.quarantine,
        warnings=warnings,
        notes=notes,
        partial=partial,
    )


def _paid_amount(
    cells: list[str], pos: dict[str, int], actual: str | None, refund: int
) -> tuple[int, str | None]:
    """What the buyer paid for a paid order, and a warning when the export's amounts disagree."""
    actual_raw = _cell(cells, pos, actual) if actual else ""
    if TOTAL in pos:
        raw_total = _cell(cells, pos, TOTAL)
        if not clean(raw_total):
            raise _Reject(TOTAL, raw_total, Refusal("io.row.empty_paid", column=TOTAL))
        total = _parse(TOTAL, raw_total, parse_fen)
        if actual and clean(actual_raw):
            try:
                paid = parse_fen(clean(actual_raw))
            except CellError as e:
                return total, f"{actual} {e}: not checked against {TOTAL}"
            if paid != total - refund:
                return total, (
                    f"{actual} {_yuan(paid)} ≠ {TOTAL} − {REFUND} ({_yuan(total)} − {_yuan(refund)}); "
                    f"imported with {TOTAL}"
                )
        return total, None
    assert actual is not None
    if not clean(actual_raw):
        raise _Reject(actual, actual_raw, Refusal("io.row.empty_paid", column=actual))
    return _parse(actual, actual_raw, parse_fen) + refund, None


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def parse_detail(
    sheet: Sheet,
    header_index: int,
    *,
    file: str,
    fmt: str,
    encoding: str | None,
    shop: str | None,
) -> ParsedFile:
    """Item counts per order (the sum of 购买数量) from an ExportOrderDetailList-shaped sheet,
    and its order lines (product, unit price 价格, quantity) when it has a 价格 column.

    The result only updates orders: imported with its order list it gives their `items`;
    alone it updates the `items` of orders already in the store. An order whose lines cannot
    all be read gets none of them (each bad row quarantined with why).
    """
    _, header_cells = sheet.rows[header_index]
    pos = _positions(header_cells, DETAIL_COLUMNS)
    id_col = MAIN_ORDER_ID if MAIN_ORDER_ID in pos else ORDER_ID
    if QUANTITY not in pos or id_col not in pos:
        raise ImportFileError(
            "io.file.detail_columns", file=file, quantity=QUANTITY, order_id=ORDER_ID
        )
    width = len(header_cells)
    sums: dict[str, int] = {}
    first_row: dict[str, int] = {}
    bad: dict[str, int] = {}
    title_col = next((c for c in TITLES if c in pos), None)
    with_lines = PRICE in pos and (title_col is not None or MERCHANT_CODE in pos)
    lines: dict[str, list[dict[str, Any]]] = {}
    bad_lines: set[str] = set()
    col = Collector(
        "orders",
        file,
        ["shop_id", "order_id", "items"] if shop else ["order_id", "items"],
        labels={"order_id": id_col, "items": QUANTITY, "shop_id": "--shop"},
    )
    for row_no, cells, record in data_rows(sheet, header_index, width, pos, col):
        try:
            order_id = _order_id(_cell(cells, pos, id_col), id_col)
        except _Reject as e:
            col.reject(row_no, e.column, e.value, e.reason, record)
            continue
        try:
            qty = _parse(QUANTITY, _cell(cells, pos, QUANTITY), parse_count)
        except _Reject as e:
            col.reject(
                row_no,
                e.column,
                e.value,
                Refusal("io.row.items_unchanged", reason=e.reason, order=order_id),
                record,
            )
            bad[order_id] = row_no
            continue
        sums[order_id] = sums.get(order_id, 0) + qty
        first_row.setdefault(order_id, row_no)
        if with_lines:
            try:
                line = _line(cells, pos, title_col, order_id, qty, len(lines.get(order_id, ())))
            except _Reject as e:
                col.reject(
                    row_no,
                    e.column,
                    e.value,
                    f"{e.reason}; no line of order {order_id} is imported (its item count is)",
                    record,
                )
                bad_lines.add(order_id)
                continue
            if any(other["line_id"] == line["line_id"] for other in lines.get(order_id, ())):
                col.reject(
                    row_no,
                    SUB_ORDER_ID,
                    line["line_id"],
                    f"duplicate {SUB_ORDER_ID} {line['line_id']} in order {order_id}: "
                    "no line of the order is imported",
                    record,
                )
                bad_lines.add(order_id)
                continue
            lines.setdefault(order_id, []).append(line)
    for order_id, total in sums.items():
        if order_id in bad:
            continue
        row = col.check(
            first_row[order_id], {"shop_id": shop, "order_id": order_id, "items": total}
        )
        if row is not None:
            col.add(first_row[order_id], row)
    return ParsedFile(
        file=file,
        kind="orders",
        format=fmt,
        encoding=encoding,
        table=col.table(),
        columns=col.table().column_names,
        rows_read=col.rows_read,
        source_rows=col.source_rows,
        quarantine=col.quarantine,
        updates_only=True,
        items=_lines_table(lines, bad, bad_lines, shop) if with_lines else None,
        notes=[]
        if with_lines
        else [f"this detail list has no {PRICE} column: it gives item counts, not order lines"],
    )


def _line(
    cells: list[str],
    pos: dict[str, int],
    title_col: str | None,
    order_id: str,
    qty: int,
    before: int,
) -> dict[str, Any]:
    """One order line: product = 商家编码, else the title; price 价格 is the unit price."""
    title = clean(_cell(cells, pos, title_col)) if title_col else ""
    code = clean(_cell(cells, pos, MERCHANT_CODE))
    product = code or title
    if not product:
        raise _Reject(
            title_col or MERCHANT_CODE,
            "",
            Refusal("products.no_product", column=title_col or MERCHANT_CODE),
        )
    raw_price = _cell(cells, pos, PRICE)
    if not clean(raw_price):
        raise _Reject(PRICE, raw_price, Refusal("orders.platform.empty", column=PRICE))
    price = _parse(PRICE, raw_price, parse_fen)
    sub = clean(_cell(cells, pos, SUB_ORDER_ID))
    return {
        "order_id": order_id,
        "line_id": sub or str(before + 1),
        "product_id": product,
        "title": title or None,
        "sku": code or None,
        "unit_price_fen": price,
        "quantity": qty,
        "line_fen": price * qty,
    }


def _lines_table(
    lines: dict[str, list[dict[str, Any]]],
    bad: dict[str, int],
    bad_lines: set[str],
    shop: str | None,
) -> Any:
    rows = [
        {**line, "shop_id": shop}
        for order_id, ls in lines.items()
        if order_id not in bad and order_id not in bad_lines
        for line in ls
    ]
    return items_table(rows)
