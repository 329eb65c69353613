"""Canonical tables given directly: CSV, xlsx or Parquet files with the column names of metrics.md §1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kefu.i18n import Refusal
from kefu.io import seats
from kefu.io.cells import CellError, clean, parse_count, parse_date, parse_timestamp
from kefu.io.detect import header_names
from kefu.io.masking import mask
from kefu.io.records import Collector, ImportFileError, ParsedFile, file_types
from kefu.io.shop_settings import ShopZones
from kefu.io.tabular import Sheet, data_rows

REQUIRED: dict[str, tuple[str, ...]] = {
    "agents": ("agent_id", "role"),
    "messages": ("buyer_id", "agent_id", "sent_at", "sender"),
    "orders": ("order_id", "created_at", "amount_fen"),
    "reviews": ("order_id", "rating"),
}

# Headers a shop may write in Chinese for its agents file (made by hand, in Excel or WPS);
# the canonical column on the right. Matched after trimming spaces; English names are
# matched case-insensitively as before.
AGENT_HEADERS: dict[str, str] = {
    "店铺": "shop_id",
    "店铺名": "shop_id",
    "店铺名称": "shop_id",
    "子账号": "agent_id",
    "客服账号": "agent_id",
    "客服子账号": "agent_id",
    "旺旺子账号": "agent_id",
    "账号": "agent_id",
    "姓名": "name",
    "客服姓名": "name",
    "名字": "name",
    "岗位": "role",
    "角色": "role",
    "职位": "role",
    "班组": "team",
    "组别": "team",
    "小组": "team",
    "入职日期": "hired_on",
    "入职时间": "hired_on",
    "离职日期": "left_on",
    "离职时间": "left_on",
    # people behind seats (kefu.io.seats): the person holding the seat, and from when to when
    "工号": "person_id",
    "人员": "person_id",
    "人员编号": "person_id",
    "员工编号": "person_id",
    "使用开始": "held_from",
    "使用开始日期": "held_from",
    "使用结束": "held_until",
    "使用结束日期": "held_until",
}


def canonical_header(name: str) -> str:
    """A header cell as the canonical column it names (Chinese agents headers mapped)."""
    n = name.strip()
    return AGENT_HEADERS.get(n) or n.lower()


def describe_columns(
    kind: str, columns: list[str] | tuple[str, ...], lang: str | None = None
) -> str:
    """Columns with what each means, for a refusal: `agent_id (子账号: …)`, `; `-separated."""
    from kefu.i18n import has, t

    parts = []
    for c in columns:
        key = f"columns.{kind}.{c}"
        parts.append(f"{c} ({t(key, lang)})" if has(key) else c)
    return "; ".join(parts)


# Values a shop may write in Chinese; the canonical value on the right.
ROLES = {"presale": "presale", "aftersale": "aftersale", "售前": "presale", "售后": "aftersale"}
SENDERS = {
    "buyer": "buyer",
    "agent": "agent",
    "auto": "auto",
    "买家": "buyer",
    "客户": "buyer",
    "客服": "agent",
    "自动回复": "auto",
    "自动": "auto",
    "机器人": "auto",
}
RATINGS = {
    "good": "good",
    "neutral": "neutral",
    "bad": "bad",
    "好评": "good",
    "中评": "neutral",
    "差评": "bad",
}
ENUMS = {"role": ROLES, "sender": SENDERS, "rating": RATINGS}
# The values a hand-filled template offers in a list, in each language (all of them read above).
CHOICES: dict[str, dict[str, list[str]]] = {
    "role": {"zh": ["售前", "售后"], "en": ["presale", "aftersale"]},
    "sender": {"zh": ["买家", "客服", "自动回复"], "en": ["buyer", "agent", "auto"]},
    "rating": {"zh": ["好评", "中评", "差评"], "en": ["good", "neutral", "bad"]},
}

# Columns with a default when the file lacks them: present in the table so that new
# records can be inserted, but not "provided", so existing records keep their value.
DEFAULTED = {"orders": ("items", "refund_fen")}

# Part of a record's identity, so always written (its default is part of the key).
ALWAYS_GIVEN = {"messages": ("text", "chars")}

KEY_COLUMNS = {
    "agents": ("shop_id", "agent_id"),
    "orders": ("shop_id", "order_id"),
    "reviews": ("shop_id", "order_id"),
}


def parse(
    sheet: Sheet,
    header_index: int,
    *,
    kind: str,
    file: str,
    fmt: str,
    encoding: str | None,
    shop: str | None,
    zones: ShopZones | None = None,
) -> ParsedFile:
    """The canonical table of `kind` in `sheet`, whose header is at `sheet.rows[header_index]`."""
    _, header_cells = sheet.rows[header_index]
    names = [canonical_header(n) for n in header_names(header_cells)]
    schema = file_types(kind)
    position: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in schema and n not in position:
            position[n] = i
    missing = [c for c in REQUIRED[kind] if c not in position]
    if missing:
        raise missing_columns(file, kind, missing)
    if kind == "orders" and "shop_id" not in position and not shop:
        raise ImportFileError("io.file.no_shop_column", file=file, column="shop_id")
    ignored = [h.strip() for h, n in zip(header_cells, names, strict=True) if n and n not in schema]

    out_cols = [c for c in schema if c in position or c in _filled(kind, shop)]
    col = Collector(kind, file, out_cols, zones=zones)
    width = len(header_cells)
    seen: dict[tuple[Any, ...], int] = {}
    duplicates = 0

    plan = [(c, position[c], _converter(c, str(t))) for c, t in schema.items() if c in position]
    message_key = ("shop_id", "buyer_id", "agent_id", "sent_at", "sender", "text")
    # an agents file naming persons or seat intervals: a seat may have several rows (one per
    # holder), checked together once read (kefu.io.seats)
    held = kind == "agents" and any(c in position for c in seats.PERSON_COLUMNS)
    buffered: list[tuple[int, dict[str, Any], dict[str, str]]] = []

    for row_no, cells, record in data_rows(sheet, header_index, width, position, col):
        try:
            row = _row(kind, plan, cells, shop)
        except _RowError as e:
            col.reject(row_no, e.column, e.value, e.reason, record)
            continue
        checked = col.check(row_no, row, record)
        if checked is None:
            continue
        row = checked
        if kind == "messages":
            key: tuple[Any, ...] = tuple(row.get(c) for c in message_key)
            if key in seen:
                duplicates += 1
                continue
            seen[key] = row_no
        elif held:
            buffered.append((row_no, row, record))
            continue
        else:
            key = tuple(row.get(c) or "" for c in KEY_COLUMNS[kind])
            if key in seen:
                name = "agent_id" if kind == "agents" else "order_id"
                twice = Refusal(DUPLICATE[kind], row=seen[key])
                col.reject(row_no, name, str(row[name]), twice, record)
                continue
            seen[key] = row_no
        col.add(row_no, row)
    if buffered:
        refused = {r.row_no: r for r in seats.check((n, row) for n, row, _ in buffered)}
        for row_no, row, record in buffered:
            r = refused.get(row_no)
            if r is None:
                col.add(row_no, row)
            else:
                col.reject(row_no, r.column, r.value, r.reason, record)

    given = [
        c for c in out_cols if c in position or c in ALWAYS_GIVEN.get(kind, ()) or c == "shop_id"
    ]
    notes = []
    if ignored:
        notes.append(f"columns kefu does not use were not read: {', '.join(ignored)}")
    if kind == "orders" and "buyer_id" not in position:
        notes.append(
            "this file has no buyer_id column: its orders import but cannot be credited to agents "
            "(the KPI counts them as unattributable)"
        )
    return ParsedFile(
        file=file,
        kind=kind,
        format=fmt,
        encoding=encoding,
        table=col.table(),
        columns=given,
        rows_read=col.rows_read,
        source_rows=col.source_rows,
        quarantine=col.quarantine,
        notes=notes,
        duplicates=duplicates,
    )


def missing_columns(file: str, kind: str, missing: list[str]) -> ImportFileError:
    """The refusal of a header without some required columns: which, and what each means."""
    return ImportFileError(
        "columns.missing",
        file=file,
        kind=kind,
        missing=describe_columns(kind, missing),
        needed=", ".join(REQUIRED[kind]),
    )


def looks_like(names: set[str]) -> str | None:
    """The kind a header that is no known table resembles: an agents file missing 岗位, say."""
    canonical = {canonical_header(n) for n in names}
    if any(n.strip() in AGENT_HEADERS for n in names):
        return "agents"
    if "agent_id" in canonical and not canonical & {"sent_at", "sender", "buyer_id", "order_id"}:
        return "agents"
    return None


def _filled(kind: str, shop: str | None) -> tuple[str, ...]:
    """Columns this reader writes even when the file lacks them.

    A review's shop may be unknown here: the store finds it from the order (kefu.store.ingest).
    """
    base: tuple[str, ...] = ("shop_id",) if kind != "reviews" or shop else ()
    return base + DEFAULTED.get(kind, ()) + ALWAYS_GIVEN.get(kind, ())


DUPLICATE = {
    "agents": "io.row.duplicate_agents",
    "orders": "io.row.duplicate_orders",
    "reviews": "io.row.duplicate_reviews",
}


class _RowError(Exception):
    def __init__(self, column: str, value: str | None, reason: Refusal) -> None:
        super().__init__(str(reason))
        self.column, self.value, self.reason = column, value, reason


Plan = list[tuple[str, int, "Callable[[str], Any] | None"]]


def _row(kind: str, plan: Plan, cells: list[str], shop: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for c, i, convert in plan:
        raw = cells[i] if i < len(cells) else ""
        value = raw if c == "text" else clean(raw)
        if value == "":
            row[c] = None
            continue
        if convert is None:
            row[c] = value
            continue
        try:
            row[c] = convert(value)
        except CellError as e:
            raise _RowError(c, raw, e) from None
    if kind in REQUIRED:
        for c in REQUIRED[kind]:
            if row.get(c) is None:
                raise _RowError(c, "", Refusal("io.row.empty", column=c))
    if row.get("shop_id") is None:
        if shop:
            row["shop_id"] = shop
        elif kind in ("agents", "messages") and ":" in row["agent_id"]:
            row["shop_id"] = row["agent_id"].split(":", 1)[0]
        elif kind != "reviews":
            raise _RowError("shop_id", "", Refusal("io.row.no_shop", column="shop_id"))
    if kind == "messages":
        text = row.get("text") or ""
        row["text"] = mask(text)  # personal details never reach the store
        if row.get("chars") is None:
            row["chars"] = len(text)  # what was typed, before masking
    if kind == "orders":
        if row.get("items") is None:
            row["items"] = 1
        if row.get("refund_fen") is None:
            row["refund_fen"] = 0
    return row


def _converter(column: str, arrow_type: str) -> Callable[[str], Any] | None:
    """How a cleaned, non-empty cell of `column` becomes its value (None: kept as text)."""
    if column in ENUMS:
        return _enum(column)
    if column == "rated_at":
        return lambda v: parse_timestamp(v, date_only_ok=True)
    if arrow_type == "timestamp[us]":
        return parse_timestamp
    if arrow_type == "date32[day]":
        return parse_date
    if column.endswith("_fen"):
        return _fen
    if arrow_type == "int32":
        return parse_count
    return None


def _enum(column: str) -> Callable[[str], str]:
    values = ENUMS[column]
    allowed = " | ".join(dict.fromkeys(values.values()))

    def convert(value: str) -> str:
        got = values.get(value) or values.get(value.lower())
        if got is None:
            raise CellError("io.cell.not_one_of", value=value, allowed=allowed)
        return got

    return convert


def _fen(value: str) -> int:
    try:
        return parse_count(value, big=True)
    except CellError as e:
        if e.key != "io.cell.not_whole":
            raise
        raise CellError("io.cell.not_fen", value=value) from None
