"""Opening the DuckDB file, writing records idempotently, and the import log and quarantine."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from kefu.output import forget_open, register_open
from kefu.store.schema import COLUMNS, DDL, KEYS, SCHEMA_VERSION

DEFAULT_DB = "kefu.duckdb"


class StoreError(RuntimeError):
    pass


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    unchanged: int


def default_path() -> str:
    return os.environ.get("KEFU_DB") or DEFAULT_DB


def open_store(path: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> Store:
    """Open (creating if needed) the store at `path`, `$KEFU_DB`, or ./kefu.duckdb."""
    return Store(Path(path) if path is not None else Path(default_path()), read_only=read_only)


class Store:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        if read_only and not path.exists():
            raise StoreError(
                f"no kefu database at {path} (import some files first: kefu import FILE)"
            )
        self.con = duckdb.connect(str(path), read_only=read_only)
        register_open(path)  # no output may be written over the open store (kefu.output)
        self._registered = True
        # KEFU_MEMORY_LIMIT (e.g. 1.5GB) caps DuckDB for imports and KPIs alike; past it,
        # DuckDB spills to <db>.tmp instead of growing (docs/performance.md)
        limit = os.environ.get("KEFU_MEMORY_LIMIT")
        if limit:
            self.con.execute(f"SET memory_limit = '{limit}'")
        if not read_only:
            self._migrate()

    def close(self) -> None:
        self.con.close()
        if self._registered:
            self._registered = False
            forget_open(self.path)

    def cursor(self) -> Store:
        """Another connection to the same open database, for another thread (kefu serve).

        DuckDB connections are not shared between threads; a cursor sees every committed
        write and can read while another cursor writes.
        """
        other = Store.__new__(Store)
        other.path = self.path
        other.con = self.con.cursor()
        other._registered = False  # the opening Store holds the registration
        return other

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self.transaction():
            for stmt in DDL:
                self.con.execute(stmt)
            row = self.con.execute("SELECT max(version) FROM schema_version").fetchone()
            current = row[0] if row else None
            if current is None:
                self.con.execute(
                    "INSERT INTO schema_version VALUES (?, ?)", [SCHEMA_VERSION, datetime.now()]
                )
            elif current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer kefu (schema {current}, this one knows {SCHEMA_VERSION})"
                )

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # -- records --------------------------------------------------------------------------
    def upsert(
        self, table: str, rows: pa.Table | str, columns: Sequence[str] | None = None
    ) -> UpsertCounts:
        """Insert new records, update changed ones, count the unchanged; call inside a transaction.

        `rows` is an Arrow table or a SQL query (kefu.store.bulk reads Parquet files that way,
        without passing their rows through Python). `columns` are the columns the source file
        really provides: an update never blanks a column that the newer file does not carry
        (a 千牛 export without buyer names, say).
        """
        keys = KEYS[table]
        cols = list(COLUMNS[table])
        names = columns or (rows.column_names if isinstance(rows, pa.Table) else cols)
        given = [c for c in names if c in cols]
        missing_keys = [k for k in keys if k not in given]
        if missing_keys:
            raise StoreError(f"{table}: records lack their identity columns {missing_keys}")
        collist = ", ".join(given)
        if isinstance(rows, pa.Table):
            self.con.register("_kefu_stage", rows.select(given))
        else:
            self.con.execute(
                f"CREATE OR REPLACE TEMP VIEW _kefu_stage AS SELECT {collist} FROM ({rows})"
            )
        try:
            on = " AND ".join(f"s.{k} = t.{k}" for k in keys)
            if table == "messages":
                # a message's identity is all of it but `chars`, which is derived from its text
                extra = [c for c in given if c not in keys]
                agg = ", ".join(f"max({c}) AS {c}" for c in extra)
                self.con.execute(
                    "CREATE OR REPLACE TEMP TABLE _kefu_batch AS SELECT "
                    f"{', '.join(keys)}{', ' + agg if agg else ''} FROM _kefu_stage GROUP BY ALL"
                )
                total = _scalar(self.con, "SELECT count(*) FROM _kefu_batch")
                inserted = _scalar(
                    self.con,
                    f"INSERT INTO messages ({collist}) SELECT {collist} FROM _kefu_batch s "
                    f"ANTI JOIN messages t ON {on}",
                )
                self.con.execute("DROP TABLE _kefu_batch")
                return UpsertCounts(inserted, 0, total - inserted)
            # one record per identity within the batch: the last one wins
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE _kefu_batch AS SELECT * EXCLUDE (_n) FROM ("
                f"SELECT *, row_number() OVER (PARTITION BY {', '.join(keys)}) AS _n FROM _kefu_stage) "
                "QUALIFY _n = count(*) OVER (PARTITION BY " + ", ".join(keys) + ")"
            )
            inserted = _scalar(
                self.con, f"SELECT count(*) FROM _kefu_batch s ANTI JOIN {table} t ON {on}"
            )
            values = [c for c in given if c not in keys]
            if values:
                differs = " OR ".join(f"s.{c} IS DISTINCT FROM t.{c}" for c in values)
                updated = _scalar(
                    self.con,
                    f"SELECT count(*) FROM _kefu_batch s JOIN {table} t ON {on} WHERE {differs}",
                )
            else:
                updated = 0
            unchanged = _scalar(self.con, "SELECT count(*) FROM _kefu_batch") - inserted - updated
            if inserted or updated:
                sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in values)
                conflict = f"DO UPDATE SET {sets}" if values else "DO NOTHING"
                self.con.execute(
                    f"INSERT INTO {table} ({collist}) SELECT {collist} FROM _kefu_batch "
                    f"ON CONFLICT ({', '.join(keys)}) {conflict}"
                )
            self.con.execute("DROP TABLE _kefu_batch")
        finally:
            if isinstance(rows, pa.Table):
                self.con.unregister("_kefu_stage")
            else:
                self.con.execute("DROP VIEW IF EXISTS _kefu_stage")
        return UpsertCounts(inserted, updated, unchanged)

    def next_import_id(self) -> int:
        return _scalar(self.con, "SELECT coalesce(max(import_id), 0) + 1 FROM import_log")

    def log_import(self, entry: Mapping[str, Any]) -> None:
        cols = list(entry)
        self.con.execute(
            f"INSERT INTO import_log ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [entry[c] for c in cols],
        )

    def add_quarantine(
        self, import_id: int, kind: str, records: Sequence[Mapping[str, Any]]
    ) -> None:
        if not records:
            return
        self.con.executemany(
            "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    import_id,
                    r["file"],
                    r.get("row_no"),
                    r.get("column"),
                    r.get("value"),
                    r["reason"],
                    kind,
                    json.dumps(r.get("record"), ensure_ascii=False)
                    if r.get("record") is not None
                    else None,
                ]
                for r in records
            ],
        )

    def quarantined(self, file: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT import_id, file, row_no, column_name, value, reason, kind, record FROM quarantine"
        args: list[Any] = []
        if file:
            sql += " WHERE file = ?"
            args.append(file)
        sql += " ORDER BY import_id, row_no"
        return _dicts(self.con.execute(sql, args))

    def imports(self) -> list[dict[str, Any]]:
        return _dicts(self.con.execute("SELECT * FROM import_log ORDER BY import_id"))

    # -- settings and shops ---------------------------------------------------------------
    def settings(self, shop_id: str) -> dict[str, str]:
        rows = self.con.execute(
            "SELECT name, value FROM shop_settings WHERE shop_id = ?", [shop_id]
        ).fetchall()
        return {n: v for n, v in rows}

    def set_setting(self, shop_id: str, name: str, value: str | None) -> None:
        with self.transaction():
            self.con.execute(
                "DELETE FROM shop_settings WHERE shop_id = ? AND name = ?", [shop_id, name]
            )
            if value is not None:
                self.con.execute(
                    "INSERT INTO shop_settings VALUES (?, ?, ?)", [shop_id, name, value]
                )

    def shops(self) -> list[str]:
        rows = self.con.execute(
            "SELECT shop_id FROM agents UNION SELECT shop_id FROM messages "
            "UNION SELECT shop_id FROM orders UNION SELECT shop_id FROM reported_figures ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    def data_end(self, shop_id: str) -> datetime | None:
        """The shop's latest sent_at, created_at or paid_at (metrics.md §3, provisional months)."""
        row = self.con.execute(
            "SELECT greatest((SELECT max(sent_at) FROM messages WHERE shop_id = $1),"
            " (SELECT max(greatest(created_at, coalesce(paid_at, created_at))) FROM orders WHERE shop_id = $1))",
            [shop_id],
        ).fetchone()
        return row[0] if row else None

    def count(self, table: str, shop_id: str | None = None) -> int:
        if shop_id is None:
            return _scalar(self.con, f"SELECT count(*) FROM {table}")
        return _scalar(self.con, f"SELECT count(*) FROM {table} WHERE shop_id = ?", [shop_id])


def sql_text(value: str) -> str:
    """A text value as a SQL string literal (for the few statements that cannot bind it)."""
    return "'" + value.replace("'", "''") + "'"


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, args: list[Any] | None = None) -> int:
    row = con.execute(sql, args or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
