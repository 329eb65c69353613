"""Taobao/Tmall buyers' ratings of orders (评价管理) saved with the TOP API's field names, as reviews."""

from __future__ import annotations

from kefu.i18n import Refusal, t
from kefu.io.canonical import RATINGS
from kefu.io.cells import CellError, clean, parse_timestamp
from kefu.io.detect import header_names
from kefu.io.records import Collector, ImportFileError, ParsedFile
from kefu.io.tabular import Sheet, data_rows

TID, RESULT, CREATED, ROLE = "tid", "result", "created", "role"
COLUMNS = (TID, RESULT, CREATED, ROLE)
SIGNATURE = frozenset({TID, RESULT, CREATED})  # taobao.traderates.get's fields


def parse(
    sheet: Sheet,
    header_index: int,
    *,
    file: str,
    fmt: str,
    encoding: str | None,
    shop: str | None,
) -> ParsedFile:
    """Reviews from a file of `taobao.traderates.get` rows: tid → order_id, result → rating,
    created → rated_at; the seller's ratings of buyers (role = seller) are not reviews."""
    _, header_cells = sheet.rows[header_index]
    pos: dict[str, int] = {}
    for i, name in enumerate(header_names(header_cells)):
        if name.lower() in COLUMNS and name.lower() not in pos:
            pos[name.lower()] = i
    if not set(pos) >= SIGNATURE:
        raise ImportFileError("orders.reviews.missing", file=file)
    cols = ["order_id", "rated_at", "rating"] + (["shop_id"] if shop else [])
    labels = {"order_id": TID, "rating": RESULT, "rated_at": CREATED, "shop_id": "--shop"}
    col = Collector("reviews", file, cols, labels=labels)
    seen: dict[str, int] = {}
    sellers = 0

    def cell(cells: list[str], name: str) -> str:
        i = pos.get(name)
        return clean(cells[i]) if i is not None and i < len(cells) else ""

    for row_no, cells, record in data_rows(sheet, header_index, len(header_cells), pos, col):
        if cell(cells, ROLE).lower() == "seller":
            sellers += 1
            continue
        tid = cell(cells, TID)
        if not tid.isdigit() or not tid.isascii():
            col.reject(row_no, TID, tid, Refusal("orders.platform.not_id", id=tid), record)
            continue
        rating = RATINGS.get(cell(cells, RESULT).lower())
        if rating is None:
            reason = Refusal("orders.reviews.bad_result", value=cell(cells, RESULT))
            col.reject(row_no, RESULT, cell(cells, RESULT), reason, record)
            continue
        try:
            rated_at = parse_timestamp(cell(cells, CREATED), date_only_ok=True)
        except CellError as e:
            col.reject(row_no, CREATED, cell(cells, CREATED), e, record)
            continue
        if tid in seen:
            reason = Refusal("orders.reviews.twice", id=tid, row=seen[tid])
            col.reject(row_no, TID, tid, reason, record)
            continue
        row = col.check(
            row_no,
            {"shop_id": shop, "order_id": tid, "rated_at": rated_at, "rating": rating},
            record,
        )
        if row is None:  # the shared rules of kefu.io.rules
            continue
        seen[tid] = row_no
        col.add(row_no, row)
    return ParsedFile(
        file=file,
        kind="reviews",
        format=fmt,
        encoding=encoding,
        table=col.table(),
        columns=cols,
        rows_read=col.rows_read,
        source_rows=col.source_rows,
        quarantine=col.quarantine,
        dropped={t("orders.reviews.seller_rows"): sellers} if sellers else {},
    )
