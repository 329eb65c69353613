"""Backup and restore of the store: a checked copy of the whole DuckDB file; nothing is lost.

A copy is made by DuckDB itself (`COPY FROM DATABASE` from the store attached read-only
into a new file), so it is consistent: the read-only attach holds the file's lock, no
other process can write meanwhile, and whatever the store's write-ahead log (`<db>.wal`)
holds is in the copy. The copy is written beside its target under a temporary name,
checked (it opens, is a kefu store, and every table has the same rows as the source: row
count and the sum of the rows' hashes), flushed to disk, and only then renamed into place.
A restore never destroys the store it replaces: it refuses when there is one, unless
forced, and then moves it (and any write-ahead log) aside to `<db>.<time>.bak` first.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from kefu.store import memory, migrations
from kefu.store.database import Store, StoreError, open_error, sql_text
from kefu.store.schema import SCHEMA_VERSION

# Tables an upgrade adds rows to (its version, its audit entry): compared by content only
# between a backup and its copy, not between a backup and the store restored from it.
_UPGRADE_WRITES = ("schema_version", "audit_log")


@dataclass(frozen=True)
class Fingerprint:
    """A table's rows: how many, and the sum of their hashes (equal sums: the same rows)."""

    rows: int
    digest: int


@dataclass(frozen=True)
class Copied:
    """What a copy holds: the schema version and every table's fingerprint."""

    version: int
    tables: dict[str, Fingerprint]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.tables.values())


@dataclass(frozen=True)
class BackupDone:
    source: Path
    output: Path
    copied: Copied
    size: int


@dataclass(frozen=True)
class RestoreDone:
    source: Path
    db: Path
    copied: Copied  # the backup as it was read
    version: int  # the restored store's schema version (upgraded if the backup was older)
    moved_aside: Path | None  # where the store that was at `db` went
    wal_moved_aside: Path | None  # a write-ahead log left without its store, moved aside


def backup(db: Path, output: Path, *, force: bool = False) -> BackupDone:
    """Copy the store at `db` to `output`, checked, atomically; refuses in one sentence (StoreError)."""
    if not db.is_file():
        raise StoreError.of("store.not_found", path=str(db))
    _check_output(output, db, force=force)
    temp = _temp_beside(output, "backup")
    try:
        copied = _copy(db, temp, output)
        _fsync(temp)
        os.replace(temp, output)
    except OSError as e:
        raise StoreError.of("store.copy_failed", output=str(output), error=_reason(e)) from None
    finally:
        _remove(temp)
    _fsync_dir(output.parent)
    return BackupDone(db, output, copied, output.stat().st_size)


def restore(
    source: Path, db: Path, *, force: bool = False, now: datetime | None = None
) -> RestoreDone:
    """Install the backup `source` as the store at `db`; the store there is moved aside, never lost.

    The backup is copied beside `db` and checked, upgraded to this kefu's schema (with an
    audit entry), and renamed over `db` only once the store that was there is moved to
    `<db>.<time>.bak`. Refuses in one sentence (StoreError) before anything is changed.
    """
    if not source.is_file():
        raise StoreError.of("store.restore_source_missing", source=str(source))
    wal = _wal(db)
    if _same(source, db):
        raise StoreError.of("store.restore_same", source=str(source))
    if db.exists() and not force:
        raise StoreError.of("store.restore_exists", db=str(db), source=str(source))
    if db.exists() and not db.is_file():
        raise StoreError.of("store.output_not_file", output=str(db))
    if not db.parent.is_dir():
        raise StoreError.of("store.output_folder_missing", output=str(db))
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    aside = _free_name(db, f".{stamp}.bak") if db.exists() else None
    wal_aside = _free_name(wal, f".{stamp}.bak") if wal.exists() and aside is None else None
    if aside is not None:
        _release(db)  # refuse early (in use, not a kefu store) before the long copy
    temp = _temp_beside(db, "restore")
    try:
        copied = _copy(source, temp, db)
        with Store(temp) as store:  # upgrades an older backup, in one transaction
            with store.transaction():
                store.audit(
                    "store.restore",
                    str(db.name),
                    {
                        "backup": str(source.resolve()),
                        "backup_sha256": _sha256(source),
                        "backup_version": copied.version,
                        "moved_aside": str(aside) if aside else None,
                    },
                )
            store.con.execute("CHECKPOINT")
            version = store.version()
        prepared = _fingerprints_of(temp)
        for table, fp in copied.tables.items():
            if table not in _UPGRADE_WRITES and prepared.tables.get(table, fp).rows != fp.rows:
                raise StoreError.of("store.copy_mismatch", path=str(source), table=table)
        _fsync(temp)
        if aside is not None:
            _release(db)  # another process using it is refused here, before anything moves
            os.rename(db, aside)
            if wal.exists():
                os.rename(wal, _wal(aside))
        elif wal_aside is not None:
            os.rename(wal, wal_aside)
        try:
            os.replace(temp, db)
        except OSError:
            if aside is not None:  # put the old store back where it was
                os.rename(aside, db)
                if _wal(aside).exists():
                    os.rename(_wal(aside), wal)
            raise
        _fsync_dir(db.parent)
    except OSError as e:
        raise StoreError.of("store.copy_failed", output=str(db), error=_reason(e)) from None
    finally:
        _remove(temp)
    with Store(db, read_only=True) as installed:  # it opens, a kefu store at this kefu's schema
        version = installed.version()
    return RestoreDone(source, db, copied, version, aside, wal_aside)


# -- the copy ------------------------------------------------------------------------------
@contextmanager
def _session(spill_beside: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with kefu's memory limit, spilling beside `spill_beside`."""
    try:
        limit = memory.memory_limit()
    except memory.MemoryLimitError as e:
        raise StoreError.of("store.memory_limit_invalid", **e.values) from None
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # a backup's sentence is its only output
        con.execute(f"SET temp_directory = {sql_text(str(memory.temp_directory(spill_beside)))}")
        if limit is not None:
            con.execute(f"SET memory_limit = {sql_text(limit)}")
        yield con
    finally:
        con.close()


def _attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str, *, read_only: bool) -> None:
    mode = " (READ_ONLY)" if read_only else ""
    try:
        con.execute(f"ATTACH {sql_text(str(path))} AS {alias}{mode}")
    except duckdb.Error as e:
        raise open_error(path, e) from None
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = ?", [alias]
    ).fetchone()
    if not row or not row[0]:
        con.execute(f"DETACH {alias}")
        raise StoreError.of("store.not_duckdb", path=str(path))


def _kefu_version(con: duckdb.DuckDBPyConnection, alias: str, path: Path) -> int:
    """The attached store's schema version; refuses a file that is not a kefu store or is newer."""
    found = migrations.stored_version(con, alias)
    if found is None or found == 0:
        raise StoreError.of("store.not_kefu", path=str(path))
    if found > SCHEMA_VERSION:
        raise StoreError.of("store.newer", path=str(path), found=found, known=SCHEMA_VERSION)
    return found


def _fingerprints(con: duckdb.DuckDBPyConnection, alias: str) -> dict[str, Fingerprint]:
    tables: dict[str, Fingerprint] = {}
    for table in migrations.table_names(con, alias):
        row = con.execute(
            "SELECT count(*), coalesce(sum(hash(kefu_row)::HUGEINT), 0)"
            f' FROM {alias}.main."{table}" kefu_row'
        ).fetchone()
        assert row is not None
        tables[table] = Fingerprint(int(row[0]), int(row[1]))
    return tables


def _definitions(con: duckdb.DuckDBPyConnection, alias: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT table_name, sql FROM duckdb_tables() WHERE database_name = ?", [alias]
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def _copy(source: Path, target: Path, shown: Path) -> Copied:
    """Copy the kefu store `source` into the new file `target` and check the copy, table by table.

    `shown` is the path a refusal names (the file the person asked for, not the temporary one).
    """
    with _session(target) as con:
        _attach(con, source, "kefu_source", read_only=True)
        version = _kefu_version(con, "kefu_source", source)
        expected = _fingerprints(con, "kefu_source")
        definitions = _definitions(con, "kefu_source")
        try:
            _attach(con, target, "kefu_copy", read_only=False)
            con.execute("COPY FROM DATABASE kefu_source TO kefu_copy")
            con.execute("CHECKPOINT kefu_copy")
            con.execute("DETACH kefu_copy")
        except duckdb.Error as e:
            raise StoreError.of("store.copy_failed", output=str(shown), error=_reason(e)) from None
        _attach(con, target, "kefu_check", read_only=True)
        got = _fingerprints(con, "kefu_check")
        got_definitions = _definitions(con, "kefu_check")
        con.execute("DETACH kefu_check")
    for table in sorted(set(expected) | set(got)):
        if expected.get(table) != got.get(table) or definitions.get(table) != got_definitions.get(
            table
        ):
            raise StoreError.of("store.copy_mismatch", path=str(source), table=table)
    if _wal(target).exists():  # the copy was checkpointed: its file must be the whole store
        raise StoreError.of("store.copy_mismatch", path=str(source), table="(wal)")
    return Copied(version, expected)


def _fingerprints_of(path: Path) -> Copied:
    with _session(path) as con:
        _attach(con, path, "kefu_check", read_only=True)
        version = _kefu_version(con, "kefu_check", path)
        return Copied(version, _fingerprints(con, "kefu_check"))


def _release(db: Path) -> None:
    """Check that no other process holds the store at `db`, and fold its write-ahead log in."""
    with _session(db) as con:
        try:
            _attach(con, db, "kefu_old", read_only=False)
        except StoreError as e:
            if e.key == "store.not_duckdb":
                raise StoreError.of("store.restore_target_not_kefu", db=str(db)) from None
            raise
        try:
            if migrations.stored_version(con, "kefu_old") is None:
                raise StoreError.of("store.restore_target_not_kefu", db=str(db))
            con.execute("CHECKPOINT kefu_old")
        finally:
            con.execute("DETACH kefu_old")


# -- paths ---------------------------------------------------------------------------------
def _check_output(output: Path, db: Path, *, force: bool) -> None:
    if output.is_dir():
        raise StoreError.of("store.output_is_dir", output=str(output))
    if _same(output, db) or _same(output, _wal(db)):
        raise StoreError.of("store.output_is_store", output=str(output))
    if not output.parent.is_dir():
        raise StoreError.of("store.output_folder_missing", output=str(output))
    if output.exists() or output.is_symlink():
        if not output.is_file() or output.is_symlink():
            raise StoreError.of("store.output_not_file", output=str(output))
        if not force:
            raise StoreError.of("store.backup_exists", output=str(output))
        _not_in_use(output)


def _not_in_use(path: Path) -> None:
    """Refuse to replace a DuckDB file another process has open for writing."""
    with _session(path) as con:
        try:
            con.execute(f"ATTACH {sql_text(str(path))} AS kefu_probe (READ_ONLY)")
        except duckdb.Error as e:
            if "lock" in str(e).lower():
                raise open_error(path, e) from None
            return  # not a DuckDB file: nobody holds it as one
        con.execute("DETACH kefu_probe")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _temp_beside(target: Path, tag: str) -> Path:
    while True:
        temp = target.with_name(f".{target.name}.{tag}-{os.getpid()}-{secrets.token_hex(4)}")
        if not temp.exists() and not _wal(temp).exists():
            return temp


def _free_name(path: Path, suffix: str) -> Path:
    candidate = path.with_name(path.name + suffix)
    n = 2
    while candidate.exists() or _wal(candidate).exists():
        candidate = path.with_name(f"{path.name}{suffix.removesuffix('.bak')}-{n}.bak")
        n += 1
    return candidate


def _remove(path: Path) -> None:
    for p in (path, _wal(path)):
        with suppress(FileNotFoundError):
            p.unlink()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows cannot open a folder, and needs no such step."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _reason(error: BaseException) -> str:
    """The operating system's reason (`No space left on device`), not DuckDB's whole story."""
    text = (getattr(error, "strerror", None) or str(error)).strip()
    text = text.rsplit("Original error:", 1)[-1].strip()
    os_reason = re.search(r'Could not (?:write|open|create) file "[^"]*": ([^\n]+)', text)
    if os_reason:
        text = os_reason.group(1)
    text = text.splitlines()[0] if text else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "…"
