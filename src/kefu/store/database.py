"""Opening the DuckDB file (upgrading its schema), writing records idempotently, the logs."""

from __future__ import annotations

import getpass
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from kefu import i18n
from kefu.output import forget_open, register_open
from kefu.store import memory, migrations
from kefu.store.schema import COLUMNS, KEYS, SCHEMA_VERSION

DEFAULT_DB = "kefu.duckdb"
# What the audit log keeps of an import (the import log keeps the rest)
_AUDITED_IMPORT = (
    "import_id",
    "sha256",
    "kind",
    "format",
    "shop_id",
    "imported",
    "updated",
    "quarantined",
)


class StoreError(i18n.Refusal, RuntimeError):
    """A refusal about the store, in one sentence: `StoreError.of("store.locked", path=…)`.

    `text(lang)` is the sentence in the reader's language, `str()` the English one.
    """

    @classmethod
    def of(cls, key: str, /, **values: Any) -> StoreError:
        return cls(key, **values)


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


def os_user() -> str:
    """Who is acting, as the operating system knows them (the audit log's `actor`)."""
    try:
        return getpass.getuser()
    except Exception:  # no login name in the environment nor the password database
        return "unknown"


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to the file at `path`, with kefu's memory limit and spill folder.

    Refuses in one sentence (StoreError) a bad KEFU_MEMORY_LIMIT, a file another process
    holds, and a file that is not a DuckDB database.
    """
    try:
        limit = memory.memory_limit()
    except memory.MemoryLimitError as e:
        raise StoreError.of("store.memory_limit_invalid", **e.values) from None
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as e:
        raise open_error(path, e) from None
    try:
        # DuckDB opens some names (a .csv, say) as an in-memory database: nothing would be kept
        row = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        if not row or not row[0]:
            raise StoreError.of("store.not_duckdb", path=str(path))
        spill = memory.temp_directory(path)
        con.execute(f"SET temp_directory = {sql_text(str(spill))}")
        if limit is not None:
            con.execute(f"SET memory_limit = {sql_text(limit)}")
    except BaseException:
        con.close()
        raise
    return con


def open_error(path: Path, error: duckdb.Error) -> StoreError:
    text = str(error)
    if "lock" in text.lower():
        pid = re.search(r"PID (\d+)", text)
        return StoreError.of("store.locked", path=str(path), pid=pid.group(1) if pid else "?")
    if "not a valid DuckDB database file" in text:
        return StoreError.of("store.not_duckdb", path=str(path))
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return StoreError.of("store.cannot_open", path=str(path), error=first)


class Store:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        if read_only and not path.exists():
            raise StoreError.of("store.not_found", path=str(path))
        self.con = connect(path, read_only=read_only)
        register_open(path)  # no output may be written over the open store (kefu.output)
        self._registered = True
        try:
            if read_only:
                self._check_version()
            else:
                self._migrate()
        except BaseException:
            self.close()
            raise

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
    def _found_version(self) -> int:
        """The file's schema version; 0 for a new, empty file; refuses a newer or foreign one."""
        found = migrations.stored_version(self.con)
        if found is None:
            if migrations.table_names(self.con):
                raise StoreError.of("store.not_kefu", path=str(self.path))
            return 0
        if found > SCHEMA_VERSION:
            raise StoreError.of(
                "store.newer", path=str(self.path), found=found, known=SCHEMA_VERSION
            )
        return found

    def _check_version(self) -> None:
        """A read-only open never upgrades: an older store is refused (it must be opened read-write)."""
        found = self._found_version()
        if found == 0:
            raise StoreError.of("store.not_kefu", path=str(self.path))
        if found < SCHEMA_VERSION:
            raise StoreError.of(
                "store.old_read_only", path=str(self.path), found=found, known=SCHEMA_VERSION
            )

    def _migrate(self) -> None:
        """Bring the file to SCHEMA_VERSION in one transaction (a new file: every migration)."""
        with self.transaction():
            found = self._found_version()
            if found == SCHEMA_VERSION:
                return
            now = datetime.now()
            try:
                applied = migrations.apply(self.con, found, now, migrations.MIGRATIONS)
            except (duckdb.Error, migrations.MigrationError) as e:
                raise StoreError.of(
                    "store.upgrade_failed",
                    path=str(self.path),
                    found=found,
                    known=SCHEMA_VERSION,
                    error=str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__,
                ) from e
            self.audit(
                "store.create" if found == 0 else "store.upgrade",
                str(self.path.name),
                {"from_version": found, "to_version": SCHEMA_VERSION, "applied": applied},
            )

    def version(self) -> int:
        return migrations.stored_version(self.con) or 0

    # -- the audit log --------------------------------------------------------------------
    def audit(
        self,
        action: str,
        object_name: str | None,
        details: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
    ) -> None:
        """Append one entry to the audit log; call inside the transaction of the change itself.

        `actor` is who did it: the OS user by default, a workplace user's name from kefu serve.
        """
        self.con.execute(
            "INSERT INTO audit_log (entry_id, at_utc, actor, action, object, details)"
            " SELECT coalesce(max(entry_id), 0) + 1, ?, ?, ?, ?, ? FROM audit_log",
            [
                datetime.now(UTC).replace(tzinfo=None),
                actor or os_user(),
                action,
                object_name,
                json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
            ],
        )

    def audit_entries(self) -> list[dict[str, Any]]:
        return _dicts(self.con.execute("SELECT * FROM audit_log ORDER BY entry_id"))

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
            raise StoreError.of("store.records_lack_keys", table=table, columns=missing_keys)
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
        """Record an import in the import log and the audit log (inside the import's transaction)."""
        cols = list(entry)
        self.con.execute(
            f"INSERT INTO import_log ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [entry[c] for c in cols],
        )
        self.audit(
            "import",
            str(entry.get("file")),
            {k: entry.get(k) for k in _AUDITED_IMPORT},
        )

    def replace_quarantine_of(self, sha256: str, file: str) -> None:
        """Forget the quarantine of earlier imports of this file (name and content): the
        same file imported again replaces its quarantine, never repeats it; a copy under
        another name keeps its own."""
        self.con.execute(
            "DELETE FROM quarantine WHERE import_id IN "
            "(SELECT import_id FROM import_log WHERE sha256 = ? AND file = ?)",
            [sha256, file],
        )

    def add_quarantine(
        self, import_id: int, kind: str, records: Sequence[Mapping[str, Any]]
    ) -> None:
        if not records:
            return
        self.con.executemany(
            "INSERT INTO quarantine (import_id, file, row_no, column_name, value, reason, kind,"
            " record, why) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    json.dumps(r["why"], ensure_ascii=False) if r.get("why") else None,
                ]
                for r in records
            ],
        )

    def quarantined(self, file: str | None = None, lang: str | None = None) -> list[dict[str, Any]]:
        """The quarantined rows; with `lang`, each `reason` in that language (from `why`)."""
        sql = (
            "SELECT import_id, file, row_no, column_name, value, reason, kind, record, why"
            " FROM quarantine"
        )
        args: list[Any] = []
        if file:
            sql += " WHERE file = ?"
            args.append(file)
        sql += " ORDER BY import_id, row_no"
        rows = _dicts(self.con.execute(sql, args))
        if lang is not None:
            for r in rows:
                if r.get("why"):
                    r["reason"] = i18n.render(json.loads(r["why"]), lang)
        return rows

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
            old = self.settings(shop_id).get(name)
            self.con.execute(
                "DELETE FROM shop_settings WHERE shop_id = ? AND name = ?", [shop_id, name]
            )
            if value is not None:
                self.con.execute(
                    "INSERT INTO shop_settings VALUES (?, ?, ?)", [shop_id, name, value]
                )
            self.audit(
                "settings.set" if value is not None else "settings.unset",
                f"{shop_id}:{name}",
                {"shop_id": shop_id, "name": name, "old": old, "new": value},
            )

    def shops(self) -> list[str]:
        evals = _scalar(
            self.con,
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'service_evals'"
            " AND schema_name = 'main' AND database_name = current_database()",
        )
        rows = self.con.execute(
            "SELECT shop_id FROM agents UNION SELECT shop_id FROM messages "
            "UNION SELECT shop_id FROM orders UNION SELECT shop_id FROM reported_figures "
            + ("UNION SELECT shop_id FROM service_evals " if evals else "")
            + "ORDER BY 1"
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
