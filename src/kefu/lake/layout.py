"""The lake's layout, the contract every writer and reader of a kefu lake follows (docs/lake.md).

A lake is a folder holding one folder per table; each table is Hive-partitioned by
`shop_id` (and, for the tables that grow with time, by `month`, YYYY-MM), one Parquet file
`data.parquet` per partition:

    <lake>/_kefu_lake.json
    <lake>/messages/shop_id=<shop>/month=2024-07/data.parquet
    <lake>/agents/shop_id=<shop>/data.parquet

Adding a table is one entry in TABLES.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kefu.store.schema import COLUMNS

LAYOUT_VERSION = 1
MARKER = "_kefu_lake.json"
DATA_FILE = "data.parquet"
# Where the month of a record is unknown (a review of an order the lake does not hold).
NO_MONTH = "none"


def _cols(table: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, kind.replace(" NOT NULL", ""))
        for name, kind in COLUMNS[table].items()
        if name != "shop_id"
    )


@dataclass(frozen=True)
class LakeTable:
    """One table of the lake: its columns (partition columns excluded) and partitioning."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type), as written in the files
    source: str  # FROM clause over the store (the store's table is `t`)
    month: str | None  # DuckDB expression of the month partition; None: by shop only
    order: tuple[str, ...]  # row order inside a file (so a re-export writes the same bytes)

    def select(self) -> str:
        """The store query giving the table's rows with their partition columns (month NULL
        for a table partitioned by shop only)."""
        cols = ", ".join(f"t.{c}" for c, _ in self.columns)
        month = self.month or "CAST(NULL AS VARCHAR)"
        return f"SELECT t.shop_id, {month} AS month, {cols} FROM {self.source}"


TABLES: tuple[LakeTable, ...] = (
    LakeTable("agents", _cols("agents"), "agents t", None, ("agent_id",)),
    LakeTable(
        "messages",
        _cols("messages"),
        "messages t",
        "strftime(t.sent_at, '%Y-%m')",
        ("buyer_id", "agent_id", "sent_at", "sender", "text", "chars"),
    ),
    LakeTable(
        "orders", _cols("orders"), "orders t", "strftime(t.created_at, '%Y-%m')", ("order_id",)
    ),
    # a review sits beside its order (the month the order was created), so the orders and
    # reviews a month's figures rest on are the same partitions
    LakeTable(
        "reviews",
        _cols("reviews"),
        "reviews t LEFT JOIN orders o ON o.shop_id = t.shop_id AND o.order_id = t.order_id",
        f"coalesce(strftime(o.created_at, '%Y-%m'), '{NO_MONTH}')",
        ("order_id",),
    ),
    # an order line sits beside its order, as a review does
    LakeTable(
        "order_items",
        (
            ("order_id", "VARCHAR"),
            ("line_id", "VARCHAR"),
            ("product_id", "VARCHAR"),
            ("title", "VARCHAR"),
            ("sku", "VARCHAR"),
            ("unit_price_fen", "BIGINT"),
            ("quantity", "INTEGER"),
            ("line_fen", "BIGINT"),
            ("category", "VARCHAR"),
        ),
        "order_items t LEFT JOIN orders o ON o.shop_id = t.shop_id AND o.order_id = t.order_id",
        f"coalesce(strftime(o.created_at, '%Y-%m'), '{NO_MONTH}')",
        ("order_id", "line_id"),
    ),
    LakeTable(
        "products",
        (
            ("product_id", "VARCHAR"),
            ("title", "VARCHAR"),
            ("category", "VARCHAR"),
            ("launched_on", "DATE"),
            ("stage", "VARCHAR"),
        ),
        "products t",
        None,
        ("product_id",),
    ),
    LakeTable(
        "reported_figures",
        (
            ("agent_id", "VARCHAR"),
            ("period_start", "DATE"),
            ("period_end", "DATE"),
            ("grain", "VARCHAR"),
            ("source", "VARCHAR"),
            ("credit_rule", "VARCHAR"),
            ("field", "VARCHAR"),
            ("kind", "VARCHAR"),
            ("numerator", "BIGINT"),
            ("denominator", "BIGINT"),
            ("value_text", "VARCHAR"),
            ("column_name", "VARCHAR"),
            ("available", "BOOLEAN"),
            ("agent_name", "VARCHAR"),
            ("team", "VARCHAR"),
            ("file", "VARCHAR"),
            ("import_id", "INTEGER"),
        ),
        "reported_figures t",
        "strftime(t.period_start, '%Y-%m')",
        ("agent_id", "period_start", "period_end", "source", "credit_rule", "field"),
    ),
    # people behind seats (kefu.store.seats): a seat's holdings sit with the seat's shop; a
    # person sits with every shop whose seat they hold (the same row in each)
    LakeTable(
        "seat_holders",
        (
            ("agent_id", "VARCHAR"),
            ("person_id", "VARCHAR"),
            ("held_from", "DATE"),
            ("held_until", "DATE"),
        ),
        "seat_holders t",
        None,
        ("agent_id", "held_from", "person_id", "held_until"),
    ),
    LakeTable(
        "persons",
        (("person_id", "VARCHAR"), ("name", "VARCHAR"), ("hired_on", "DATE"), ("left_on", "DATE")),
        "(SELECT DISTINCT h.shop_id, p.person_id, p.name, p.hired_on, p.left_on FROM persons p"
        " JOIN seat_holders h ON h.person_id = p.person_id) t",
        None,
        ("person_id",),
    ),
    # Taobao 服务评价 (schema 9), by the month they were given
    LakeTable(
        "service_evals",
        (
            ("agent_id", "VARCHAR"),
            ("buyer_id", "VARCHAR"),
            ("evaluated_at", "TIMESTAMP"),
            ("eval_code", "INTEGER"),
            ("eval_source", "INTEGER"),
            ("file", "VARCHAR"),
            ("import_id", "INTEGER"),
        ),
        "service_evals t",
        "strftime(t.evaluated_at, '%Y-%m')",
        ("agent_id", "buyer_id", "evaluated_at"),
    ),
    LakeTable(
        "shop_settings",
        (("name", "VARCHAR"), ("value", "VARCHAR")),
        "shop_settings t",
        None,
        ("name",),
    ),
)
BY_NAME = {t.name: t for t in TABLES}

# Characters Hive and Spark escape in a partition value (as %XX); everything else, CJK
# included, is written as it is, which is what both Spark and DuckDB read back.
_ESCAPED = set("\"#%'*/:=?\\{[]^") | {chr(c) for c in range(1, 32)} | {"\x7f"}


def escape(value: str) -> str:
    """A partition value as a directory name (Hive's escaping)."""
    return "".join(f"%{ord(c):02X}" if c in _ESCAPED else c for c in value)


def unescape(name: str) -> str:
    """A directory name's partition value (the inverse of `escape`, as Spark reads it)."""
    out, i = [], 0
    while i < len(name):
        if name[i] == "%" and _is_hex(name[i + 1 : i + 3]):
            out.append(chr(int(name[i + 1 : i + 3], 16)))
            i += 3
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def _is_hex(s: str) -> bool:
    return len(s) == 2 and all(c in "0123456789abcdefABCDEF" for c in s)


def partition(table: LakeTable, shop_id: str, month: str | None) -> str:
    """The partition's folder, relative to the lake."""
    if table.month is None:
        return f"{table.name}/shop_id={escape(shop_id)}"
    return f"{table.name}/shop_id={escape(shop_id)}/month={escape(month or NO_MONTH)}"


def glob(root: str | Path, table: LakeTable) -> str:
    """Every data file of the table."""
    depth = "*/*" if table.month else "*"
    return f"{str(root).rstrip('/')}/{table.name}/{depth}/*.parquet"


SPARK_TYPES = {
    "VARCHAR": "STRING",
    "TIMESTAMP": "TIMESTAMP_NTZ",
    "DATE": "DATE",
    "BIGINT": "BIGINT",
    "INTEGER": "INT",
    "BOOLEAN": "BOOLEAN",
}


def spark_schema(table: LakeTable) -> str:
    """The table's schema for Spark's reader, partition columns as text (never inferred)."""
    cols = [f"`{c}` {SPARK_TYPES[k]}" for c, k in table.columns]
    parts = ["`shop_id` STRING"] + (["`month` STRING"] if table.month else [])
    return ", ".join(cols + parts)


def marker_text(tables: tuple[LakeTable, ...] = TABLES) -> str:
    """The lake's marker file `_kefu_lake.json`: the layout version, each table's partition
    columns and columns."""
    import json

    body = {
        "layout_version": LAYOUT_VERSION,
        "tables": {
            t.name: {
                "partitioned_by": ["shop_id", "month"] if t.month else ["shop_id"],
                "columns": dict(t.columns),
            }
            for t in tables
        },
    }
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
