"""What a parsed file is: its canonical table, its quarantined rows, and why a file is refused."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict

import pyarrow as pa

from kefu.i18n import Refusal, render, t
from kefu.inert import visible
from kefu.io.masking import mask
from kefu.io.rules import broken
from kefu.io.shop_settings import ShopZones

KINDS = ("agents", "messages", "orders", "reviews")

# The canonical tables of metrics.md §1 as Arrow types. Same names and order as
# kefu.store.schema.COLUMNS (a test checks it); io may not import the store.
ARROW_TYPES: dict[str, dict[str, pa.DataType]] = {
    "agents": {
        "shop_id": pa.string(),
        "agent_id": pa.string(),
        "name": pa.string(),
        "role": pa.string(),
        "team": pa.string(),
        "hired_on": pa.date32(),
        "left_on": pa.date32(),
    },
    "messages": {
        "shop_id": pa.string(),
        "buyer_id": pa.string(),
        "agent_id": pa.string(),
        "sent_at": pa.timestamp("us"),
        "sender": pa.string(),
        "text": pa.string(),
        "chars": pa.int32(),
    },
    "orders": {
        "shop_id": pa.string(),
        "order_id": pa.string(),
        "buyer_id": pa.string(),
        "created_at": pa.timestamp("us"),
        "paid_at": pa.timestamp("us"),
        "amount_fen": pa.int64(),
        "items": pa.int32(),
        "refund_fen": pa.int64(),
        "refunded_at": pa.timestamp("us"),
        "status": pa.string(),
    },
    "reviews": {
        "shop_id": pa.string(),
        "order_id": pa.string(),
        "rated_at": pa.timestamp("us"),
        "rating": pa.string(),
    },
}


# Order lines (schema 3, store table order_items): what each order sold. Same names and
# order as the store's ORDER_ITEMS statement (a test checks it).
ITEM_TYPES: dict[str, pa.DataType] = {
    "shop_id": pa.string(),
    "order_id": pa.string(),
    "line_id": pa.string(),
    "product_id": pa.string(),
    "title": pa.string(),
    "sku": pa.string(),
    "unit_price_fen": pa.int64(),
    "quantity": pa.int32(),
    "line_fen": pa.int64(),
    "category": pa.string(),
}


def items_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Order lines as an Arrow table of ITEM_TYPES (a missing key is NULL)."""
    return pa.table(
        {c: pa.array([r.get(c) for r in rows], type=ty) for c, ty in ITEM_TYPES.items()},
        schema=pa.schema(list(ITEM_TYPES.items())),
    )


# Columns a file of a kind may carry beyond its canonical table: the agents file's person and
# the interval during which that person holds the seat (docs/importers.md, "People behind
# seats"). The store keeps them in its own tables (persons, seat_holders), not in `agents`.
FILE_EXTRA_TYPES: dict[str, dict[str, pa.DataType]] = {
    "agents": {"person_id": pa.string(), "held_from": pa.date32(), "held_until": pa.date32()},
}


def file_types(kind: str) -> dict[str, pa.DataType]:
    """Every column a file of `kind` may carry: its canonical table's, then the extra ones."""
    return {**ARROW_TYPES[kind], **FILE_EXTRA_TYPES.get(kind, {})}


class ImportFileError(Refusal):
    """A file that cannot be read at all: one sentence naming the file (a catalogue key)."""


class Quarantined(TypedDict):
    """One rejected row: where it is, why, and its cells that are not personal data.

    `reason` is the English sentence; `why`, when the reason came from the catalogue, its
    key and values (`Refusal.as_json()`), so it can be shown in the reader's language.
    """

    file: str
    row_no: int | None
    column: str | None
    value: str | None
    reason: str
    record: dict[str, str] | None
    why: NotRequired[dict[str, Any] | None]


def quarantined(
    file: str,
    row_no: int | None,
    column: str | None,
    value: str | None,
    reason: str | Refusal,
    record: dict[str, str] | None,
) -> Quarantined:
    """A rejected row; a catalogue refusal keeps its key and values too (`why`)."""
    return Quarantined(
        file=file,
        row_no=row_no,
        column=column,
        value=value,
        reason=str(reason),
        record=record,
        why=reason.as_json() if isinstance(reason, Refusal) else None,
    )


def reason_text(reason: str, why: dict[str, Any] | None, lang: str | None = "en") -> str:
    """A quarantined row's reason in `lang`: from its key and values when it has them."""
    return visible(render(why, lang)) if why else reason


def quarantine_line(q: Quarantined, lang: str | None = "en") -> str:
    """`orders.csv row 1207, 订单付款时间: '2024-13-01' is not a date` — the form users see."""
    where = (
        q["file"]
        if q["row_no"] is None
        else t("io.quarantine.row", lang, file=q["file"], row=q["row_no"])
    )
    reason = reason_text(q["reason"], q.get("why"), lang)
    return f"{where}, {q['column']}: {reason}" if q["column"] else f"{where}: {reason}"


@dataclass
class ParsedFile:
    """A file read into one canonical table, with everything that did not make it in.

    `table` holds the canonical columns this reader produces, including values it had to
    default (items = 1, refund_fen = 0) so that new records can be inserted. `columns`
    lists only the columns the file really provides: an existing record is updated on
    those alone, so a newer file never overwrites a value with a default.
    `partial` names columns the file provides on some rows only (True where it does): an
    order closed after payment tells its refund even when the export has no 退款金额.
    `source_rows[i]` is the row number (as a person sees it) of `table` row i.
    `updates_only` marks a file whose rows may only change records already in the store
    (an order detail list, which carries item counts but no orders).
    `items` holds the order lines the file carries (product, unit price, quantity; ITEM_TYPES),
    None when it carries none; `shop_id` may be NULL there (the shop of the order in the store).
    """

    file: str
    kind: str
    format: str
    encoding: str | None
    table: pa.Table
    columns: list[str]
    rows_read: int
    source_rows: list[int] = field(default_factory=list)
    quarantine: list[Quarantined] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    partial: dict[str, list[bool]] = field(default_factory=dict)
    duplicates: int = 0
    updates_only: bool = False
    items: pa.Table | None = None


class Collector:
    """Accumulates the good rows of one file column by column, and its rejected rows.

    `check` is where every importer's records meet the shared rules (kefu.io.rules) and
    where times that carry a zone become the shop's wall-clock time (`zones`).
    `labels` names canonical columns as the file does, `money` shows amounts in the
    file's unit, so a rejected row's column and reason read like the file.
    """

    def __init__(
        self,
        kind: str,
        file: str,
        columns: list[str],
        *,
        zones: ShopZones | None = None,
        labels: Mapping[str, str] | None = None,
        money: Callable[[int], str] = str,
    ) -> None:
        self.kind = kind
        self.file = file
        types = file_types(kind)
        self.types = {c: types[c] for c in types if c in columns}
        self.values: dict[str, list[Any]] = {c: [] for c in self.types}
        self.source_rows: list[int] = []
        self.quarantine: list[Quarantined] = []
        self.rows_read = 0
        self.zones = zones or ShopZones()
        self.labels = dict(labels or {})
        self.money = money

    def label(self, column: str) -> str:
        return self.labels.get(column, column)

    def check(
        self, row_no: int | None, row: dict[str, Any], record: dict[str, str] | None = None
    ) -> dict[str, Any] | None:
        """`row` in shop time when it meets every rule; else None, and the row is quarantined."""
        for c, v in row.items():
            if isinstance(v, datetime) and v.tzinfo is not None:
                row[c] = self.zones.local(v, row.get("shop_id"))
        problem = broken(self.kind, row, label=self.label, money=self.money)
        if problem is None:
            return row
        self.reject(row_no, self.label(problem.column), problem.value, problem.reason, record)
        return None

    def add(self, row_no: int, row: dict[str, Any]) -> None:
        for c, vals in self.values.items():
            vals.append(row.get(c))
        self.source_rows.append(row_no)

    def reject(
        self,
        row_no: int | None,
        column: str | None,
        value: str | None,
        reason: str | Refusal,
        record: dict[str, str] | None = None,
    ) -> None:
        """Quarantine a row; a `Refusal` reason is kept as its key and values too."""
        why = reason.as_json() if isinstance(reason, Refusal) else None
        if self.kind == "messages":  # the quarantine is stored too: chat text only masked
            if why is not None:
                values = why["values"]
                why["values"] = {k: mask(v) if isinstance(v, str) else v for k, v in values.items()}
            value = None if value is None else mask(value)
            record = None if record is None else {k: mask(v) for k, v in record.items()}
        # a cell's control characters are written as escapes: never stored or shown raw
        self.quarantine.append(
            Quarantined(
                file=self.file,
                row_no=row_no,
                column=None if column is None else visible(column),
                value=None if value is None else visible(value),
                reason=visible(str(reason)),
                record=None if record is None else {k: visible(v) for k, v in record.items()},
                why=why,
            )
        )

    def table(self) -> pa.Table:
        return pa.table(
            {c: pa.array(v, type=self.types[c]) for c, v in self.values.items()},
            schema=pa.schema([(c, t) for c, t in self.types.items()]),
        )


def summarise(lines: list[str], limit: int = 20, what: str = "rows like this") -> list[str]:
    """The first `limit` lines, then one line saying how many more there were."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"… and {len(lines) - limit} more {what}"]
