"""Large canonical Parquet files straight into the store, read and checked by DuckDB itself.

A canonical messages, orders or reviews Parquet file whose columns already have the canonical types
(text ids, timestamps, integer fen) is imported without passing its rows through Python:
DuckDB scans it, checks every row with the same rules as the row-by-row reader, and writes
it in one transaction, spilling to disk when it is larger than memory. When any row breaks a
rule (or the file has duplicate order ids, unknown columns, other types), the bulk path
declines and the row-by-row reader (kefu.io) imports the file with an exact reason for every
rejected row. Both paths give the same records.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import duckdb

from kefu.io.masking import MAY_HOLD_RE2, mask
from kefu.io.rules import sql_predicate
from kefu.io.shop_settings import ShopZones, now_in
from kefu.store.database import Store, sql_text
from kefu.store.schema import COLUMNS

TEXT = ("VARCHAR",)
# a time with a zone ("TIMESTAMP WITH TIME ZONE") is converted to the shop's zone explicitly,
# never by a CAST, which would use the session's (the machine's) zone
TIME = ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP WITH TIME ZONE")


def _zoned(duckdb_type: str) -> bool:
    """A timestamp type that carries a zone: TIMESTAMP WITH TIME ZONE, TIMESTAMPTZ_NS, …"""
    return "TIME ZONE" in duckdb_type or duckdb_type.startswith("TIMESTAMPTZ")


INT = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")

# The canonical columns a bulk file may have, with the types accepted for each.
TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "messages": {
        "shop_id": TEXT,
        "buyer_id": TEXT,
        "agent_id": TEXT,
        "sent_at": TIME,
        "sender": TEXT,
        "text": TEXT,
        "chars": INT,
    },
    "orders": {
        "shop_id": TEXT,
        "order_id": TEXT,
        "buyer_id": TEXT,
        "created_at": TIME,
        "paid_at": TIME,
        "amount_fen": INT,
        "items": INT,
        "refund_fen": INT,
        "refunded_at": TIME,
        "status": TEXT,
    },
    "reviews": {"shop_id": TEXT, "order_id": TEXT, "rated_at": TIME, "rating": TEXT},
}
REQUIRED = {
    "messages": ("buyer_id", "agent_id", "sent_at", "sender"),
    "orders": ("order_id", "created_at", "amount_fen"),
    "reviews": ("order_id", "rating"),
}


def _id_ok(col: str) -> str:
    """A text cell the row reader keeps as it is: present, not blank, no surrounding spaces."""
    return f"({col} IS NOT NULL AND {col} <> '' AND trim({col}) = {col})"


def _time(col: str, types: dict[str, str], shop_expr: str, zones: ShopZones) -> str:
    """`col` as a shop-local TIMESTAMP: a zoned value is converted to its shop's zone."""
    if not _zoned(types.get(col, "")):
        return f"CAST({col} AS TIMESTAMP)"
    if not zones.by_shop:
        zone = sql_text(zones.default)
    else:
        cases = " ".join(
            f"WHEN {sql_text(s)} THEN {sql_text(z)}" for s, z in sorted(zones.by_shop.items())
        )
        zone = f"CASE {shop_expr} {cases} ELSE {sql_text(zones.default)} END"
    return f"timezone({zone}, {col})"


def _plan(
    kind: str, types: dict[str, str], shop: str | None, zones: ShopZones
) -> tuple[str, str] | None:
    """(SELECT of canonical columns, the predicate every row must meet), or None to decline.

    The predicate is over the SELECT's output; it includes the shared record rules
    (kefu.io.rules), so a row the row reader would quarantine makes the bulk path decline.
    """
    cols = set(types)
    if kind == "messages":
        shop_expr = "shop_id" if "shop_id" in cols else (sql_text(shop) if shop else None)
        if shop_expr is None:  # the row reader takes the shop from `店铺:子账号`
            shop_expr = "split_part(agent_id, ':', 1)"
            shop_ok = "position(':' IN agent_id) > 1"
        else:
            shop_ok = _id_ok(shop_expr) if "shop_id" in cols else "TRUE"
        text = "coalesce(text, '')" if "text" in cols else "''"
        chars = (
            f"coalesce(CAST(chars AS INTEGER), length({text}))"
            if "chars" in cols
            else f"length({text})"
        )
        # personal details are masked before storing (kefu.io.masking), the few rows that may
        # hold one by the Python function; chars counts what was typed
        masked = f"CASE WHEN regexp_matches({text}, {sql_text(MAY_HOLD_RE2)}) THEN {MASK_FUNCTION}({text}) ELSE {text} END"
        select = (
            f"{shop_expr} AS shop_id, buyer_id, agent_id, "
            f"{_time('sent_at', types, shop_expr, zones)} AS sent_at, "
            f"sender, {masked} AS text, {chars} AS chars"
        )
        ok = " AND ".join(
            [
                shop_ok,
                _id_ok("buyer_id"),
                _id_ok("agent_id"),
                "sent_at IS NOT NULL",
                "sender IN ('buyer', 'agent', 'auto')",
                "(chars IS NULL OR chars >= 0)" if "chars" in cols else "TRUE",
                *_rules(kind),
            ]
        )
        return select, ok
    if "shop_id" not in cols and not shop:
        return None  # orders need a shop; reviews then take their order's (the row reader)
    shop_expr = "shop_id" if "shop_id" in cols else sql_text(shop or "")
    if kind == "reviews":
        rated = _time("rated_at", types, shop_expr, zones) if "rated_at" in cols else "NULL"
        select = f"{shop_expr} AS shop_id, order_id, {rated} AS rated_at, rating"
        ok = " AND ".join(
            [
                _id_ok("shop_id") if "shop_id" in cols else "TRUE",
                _id_ok("order_id"),
                "rating IN ('good', 'neutral', 'bad')",
                *_rules(kind),
            ]
        )
        return select, ok

    def opt(c: str, default: str = "NULL", cast: str = "") -> str:
        if c not in cols:
            return f"{default} AS {c}"
        if cast == "TIMESTAMP":
            return f"{_time(c, types, shop_expr, zones)} AS {c}"
        return f"CAST({c} AS {cast}) AS {c}" if cast else c

    select = ", ".join(
        [
            f"{shop_expr} AS shop_id",
            "order_id",
            opt("buyer_id"),
            opt("created_at", cast="TIMESTAMP"),
            opt("paid_at", cast="TIMESTAMP"),
            "CAST(amount_fen AS BIGINT) AS amount_fen",
            f"CAST(coalesce({'items' if 'items' in cols else 'NULL'}, 1) AS INTEGER) AS items",
            f"CAST(coalesce({'refund_fen' if 'refund_fen' in cols else 'NULL'}, 0) AS BIGINT) AS refund_fen",
            opt("refunded_at", cast="TIMESTAMP"),
            opt("status"),
        ]
    )
    checks = [
        _id_ok(shop_expr) if "shop_id" in cols else "TRUE",
        _id_ok("order_id"),
        "(buyer_id IS NULL OR (buyer_id <> '' AND trim(buyer_id) = buyer_id))"
        if "buyer_id" in cols
        else "TRUE",
        "created_at IS NOT NULL",
        "amount_fen IS NOT NULL AND amount_fen >= 0",
        "(items IS NULL OR items >= 0)" if "items" in cols else "TRUE",
        "(refund_fen IS NULL OR refund_fen >= 0)" if "refund_fen" in cols else "TRUE",
        *_rules(kind),
    ]
    return select, " AND ".join(checks)


def _rules(kind: str) -> list[str]:
    """The shared record rules over the SELECT's canonical output columns."""
    return sql_predicate(kind, {c: c for c in COLUMNS[kind]})


MASK_FUNCTION = "kefu_mask"


def _register_mask(con: duckdb.DuckDBPyConnection) -> None:
    """kefu.io.masking.mask as a DuckDB function on this connection (once)."""
    with contextlib.suppress(duckdb.Error):  # already registered on this connection
        con.create_function(MASK_FUNCTION, mask, ["VARCHAR"], "VARCHAR", side_effects=False)


def try_import(
    store: Store,
    path: Path,
    kind: str | None,
    shop: str | None,
    zones: ShopZones | None = None,
) -> dict[str, Any] | None:
    """Import a clean canonical Parquet file in bulk; None when the row reader must do it."""
    zones = zones or ShopZones()
    if path.suffix.lower() != ".parquet" or kind not in (None, *TYPES) or not path.is_file():
        return None
    con = store.con
    src = f"read_parquet({sql_text(str(path))})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
    except Exception:  # not readable here: the row reader gives the sentence
        return None
    types = {str(r[0]).lower(): str(r[1]).upper() for r in described}
    if kind is None:
        kind = next((k for k, req in REQUIRED.items() if set(req) <= set(types)), None)
        if kind is None:
            return None
    allowed = TYPES[kind]
    if set(types) - set(allowed) or not set(REQUIRED[kind]) <= set(types):
        return None  # unknown columns or a missing one: the row reader explains
    if any(not t.startswith(allowed[c]) for c, t in types.items()):
        return None
    if len({str(r[0]).lower() for r in described}) != len(described):
        return None
    if kind == "orders" and not {"items", "refund_fen"} <= set(types):
        return None  # defaults for new orders only: the row reader's partial updates do that
    plan = _plan(kind, types, shop, zones)
    if plan is None:
        return None
    select, ok = plan
    if kind == "messages":
        _register_mask(con)
    source = f"SELECT {select} FROM {src}"
    try:
        rows, bad = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE NOT coalesce({ok}, FALSE)) FROM ({source})"
        ).fetchone() or (0, 0)
        if bad or not rows:
            return None
        if kind in ("orders", "reviews"):
            keys = "shop_id, order_id"
            distinct = con.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM ({source}))"
            ).fetchone()
            if distinct is None or distinct[0] != rows:
                return None  # duplicate order ids: the row reader quarantines the later ones
    except duckdb.Error:  # a value DuckDB cannot convert: the row reader names its row
        return None
    with store.transaction():
        given = [c for c in COLUMNS[kind] if c in types or c == "shop_id"]
        if kind == "messages":
            given = [c for c in COLUMNS[kind]]  # text and chars are part of every message
        counts = store.upsert(kind, source, given)
        shops = sorted(
            r[0] for r in con.execute(f"SELECT DISTINCT shop_id FROM ({source})").fetchall()
        )
        import_id = store.next_import_id()
        entry = {
            "import_id": import_id,
            "imported_at": now_in(zones.name(shops[0] if len(shops) == 1 else None)),
            "file": path.name,
            "sha256": sha256_of(path),
            "kind": kind,
            "format": "canonical-parquet",
            "encoding": None,
            "shop_id": shops[0] if len(shops) == 1 else None,
            "rows_read": int(rows),
            "imported": counts.inserted,
            "updated": counts.updated,
            "duplicates": int(rows) - counts.inserted - counts.updated,
            "quarantined": 0,
            "dropped": 0,
            "warnings": None,
        }
        store.log_import(entry)
    return {**entry, "shops": shops}


def sha256_of(path: Path) -> str:
    """The file's content hash, as the import log keeps it."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
