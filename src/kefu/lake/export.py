"""Writing a store's canonical tables into a lake: one Parquet file per partition, swapped in whole.

The lake may be a local folder or a URI (s3://, s3a://, gs://, abfss://, hdfs://; kefu.lake.files).
DuckDB writes every partition of the shops in the store to a staging folder (inside the lake
when it is local, a local temporary folder otherwise); each file then replaces the
partition's `data.parquet` whole (a rename on a local disk, one upload on an object store: a
reader, or a crash, sees the old file or the new one, never half of one). A partition whose
new bytes equal the old is left untouched, so exporting an unchanged store changes nothing
in the lake (not even a file's time, which the Spark job reads to tell what changed): on a
local disk the old file is read and compared; on a remote lake kefu compares with the
checksums it recorded when it wrote the files (`_kefu_sums/`), reading an old file back
only when its record is missing or the file's size or time are not the recorded ones.
Partitions of the store's shops that the store no longer has are removed; other shops'
partitions are left alone, so several stores may export into one lake.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from kefu.lake.errors import LakeError
from kefu.lake.files import TMP, Entry, LakeFiles, open_lake_files
from kefu.lake.layout import (
    DATA_FILE,
    MARKER,
    TABLES,
    LakeTable,
    escape,
    marker_text,
    partition,
)
from kefu.store import Store
from kefu.store.database import sql_text

__all__ = ["LakeError", "check_lake_target", "export"]

STAGING = "_staging-"
# per table and shop, the size, time and sha256 of each partition's file as kefu wrote it
# (remote lakes only: there reading every old file back to compare would download the lake)
SUMS = "_kefu_sums"


@dataclass
class TableCounts:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    rows: int = 0


@dataclass
class ExportSummary:
    lake: str
    shops: list[str]
    tables: dict[str, TableCounts] = field(default_factory=dict)


def check_lake_target(to: str | Path | LakeFiles) -> LakeFiles:
    """Refuse a target that is not a lake kefu may write: a file, a missing parent or bucket,
    a folder or prefix of something else. Gives the lake's files."""
    lake = to if isinstance(to, LakeFiles) else open_lake_files(to)
    try:
        return _check(lake)
    except OSError as e:
        raise remote_error(lake, e) from e


def remote_error(lake: LakeFiles, error: OSError) -> LakeError:
    from kefu.lake.files import first_line

    return LakeError("lake.remote_failed", uri=lake.uri, error=first_line(error))


def _check(lake: LakeFiles) -> LakeFiles:
    import pyarrow.fs as pafs

    here = lake.info().type
    if here == pafs.FileType.File:
        raise LakeError("lake.not_a_folder", path=lake.uri)
    if here == pafs.FileType.NotFound:
        if lake.object_store:  # no folders to make, but the bucket must exist
            bucket = lake.root.split("/", 1)[0]
            if lake.fs.get_file_info(bucket).type == pafs.FileType.NotFound:
                raise LakeError("lake.bucket_missing", path=lake.uri, bucket=bucket)
            return lake
        parent = lake.root.rsplit("/", 1)[0] or "/"
        if lake.fs.get_file_info(parent).type != pafs.FileType.Directory:
            shown = str(Path(lake.uri).parent) if lake.local else parent  # as the user wrote it
            raise LakeError("lake.parent_missing", path=lake.uri, folder=shown)
        return lake
    if lake.children() and not lake.is_file(MARKER):
        raise LakeError("lake.not_a_lake", path=lake.uri, marker=MARKER)
    return lake


def export(
    store: Store, to: str | Path | LakeFiles, tables: tuple[LakeTable, ...] = TABLES
) -> ExportSummary:
    """Write every table of `tables` for every shop of the store into the lake at `to`."""
    lake = check_lake_target(to)
    try:
        return _export(store, lake, tables)
    except OSError as e:
        if lake.local:
            raise
        raise remote_error(lake, e) from e


def _export(store: Store, lake: LakeFiles, tables: tuple[LakeTable, ...]) -> ExportSummary:
    lake.make_root()
    if lake.local:
        for old in lake.local_path().glob(STAGING + "*"):  # what an interrupted export left
            shutil.rmtree(old, ignore_errors=True)
        for old in lake.local_path().glob(TMP + "*"):
            old.unlink(missing_ok=True)
    shops = store.shops()
    if any(s == "" for s in shops):
        raise LakeError("lake.empty_shop_id")
    summary = ExportSummary(lake.uri, shops)
    if lake.local:  # beside the partitions, so that a file is renamed into place
        staging = lake.local_path(f"{STAGING}{uuid.uuid4().hex}")
        staging.mkdir()
    else:
        staging = Path(tempfile.mkdtemp(prefix="kefu-lake-export-"))
    try:
        _write_marker(lake, tables)
        for table in tables:
            summary.tables[table.name] = _export_table(store, lake, staging, table, shops)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


@dataclass
class _Part:
    rel: str  # the partition's folder
    file: Path  # its new file, in staging
    size: int
    sha256: str


def _export_table(
    store: Store, lake: LakeFiles, staging: Path, table: LakeTable, shops: list[str]
) -> TableCounts:
    con = store.con
    counts = TableCounts()
    select = table.select()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _lake_parts AS SELECT shop_id, month,"
        " CAST(row_number() OVER (ORDER BY shop_id, month) AS BIGINT) AS part_no,"
        " count AS n FROM (SELECT shop_id, month, count(*) AS count FROM"
        f" ({select}) GROUP BY ALL)"
    )
    parts = con.execute("SELECT part_no, shop_id, month, n FROM _lake_parts").fetchall()
    new: dict[str, list[_Part]] = {s: [] for s in shops}
    if parts:
        out = staging / table.name
        cols = ", ".join(f"x.{c}" for c, _ in table.columns)
        order = ", ".join(f"x.{c}" for c in table.order)
        con.execute(
            f"COPY (SELECT p.part_no, {cols} FROM ({select}) x"
            " JOIN _lake_parts p ON p.shop_id = x.shop_id"
            " AND p.month IS NOT DISTINCT FROM x.month"
            f" ORDER BY p.part_no, {order}) TO {sql_text(str(out))}"
            " (FORMAT parquet, PARTITION_BY (part_no), COMPRESSION zstd)"
        )
        for part_no, shop, mon, n in parts:
            files = sorted((out / f"part_no={part_no}").glob("*.parquet"))
            if len(files) != 1:  # kefu's contract is one file a partition
                raise LakeError("lake.export_files", table=table.name, count=len(files))
            new.setdefault(shop, []).append(
                _Part(
                    partition(table, shop, mon),
                    files[0],
                    files[0].stat().st_size,
                    _sha256(files[0]),
                )
            )
            counts.rows += int(n)
    con.execute("DROP TABLE IF EXISTS _lake_parts")
    for shop, shop_parts in new.items():
        _export_shop(lake, table, shop, shop_parts, counts)
    return counts


def _export_shop(
    lake: LakeFiles, table: LakeTable, shop: str, parts: list[_Part], counts: TableCounts
) -> None:
    """Swap in the shop's new partitions of the table, leave equal ones alone, remove the
    ones the store no longer has (and any other file inside its partitions)."""
    base = f"{table.name}/shop_id={escape(shop)}"
    found = lake.listing(base)
    if not (parts or found):  # the shop has none of this table, here or in the lake
        return
    sums_rel = f"{SUMS}/{base}.json"
    sums = _read_sums(lake, sums_rel) if not lake.local else {}
    changed: list[_Part] = []
    for part in parts:
        rel = f"{part.rel}/{DATA_FILE}"
        if _equal(lake, rel, part, found, sums):
            part.file.unlink()
            counts.unchanged += 1
        else:
            changed.append(part)
    keep = {p.rel for p in parts}
    vanished = sorted({f.rsplit("/", 1)[0] for f in found if f.endswith(".parquet")} - keep)
    # anything else inside a partition kept: the partition holds one file, kefu's
    strays = sorted(
        {
            _top(f, k)
            for f in found
            for k in keep
            if f.startswith(k + "/") and f != f"{k}/{DATA_FILE}"
        }
    )
    if not (changed or vanished or strays):
        if not lake.local and _sums_of(parts, found) != sums:
            _write_sums(lake, sums_rel, _sums_of(parts, found))
        return
    if sums:  # forget what is about to change first: a crash then costs a re-read, never a
        stale = {p.rel for p in changed} | set(vanished)  # wrong "unchanged"
        kept = {r: v for r, v in sums.items() if r not in stale}
        if kept != sums:
            _write_sums(lake, sums_rel, kept)
    for part in changed:
        lake.put(part.file, f"{part.rel}/{DATA_FILE}")
        counts.written += 1
    for rel, is_dir in strays:
        if is_dir:
            lake.delete_dir(rel)
        else:
            lake.delete_file(rel)
    for rel in vanished:
        lake.delete_dir(rel)
        counts.removed += 1
    if not lake.local:
        now = lake.listing(base) if changed else found
        _write_sums(lake, sums_rel, _sums_of(parts, now))


def _top(rel: str, folder: str) -> tuple[str, bool]:
    """The entry directly inside `folder` that holds the file `rel`, and whether it is a folder."""
    name, sep, _ = rel[len(folder) + 1 :].partition("/")
    return f"{folder}/{name}", bool(sep)


def _equal(
    lake: LakeFiles,
    rel: str,
    part: _Part,
    found: dict[str, Entry],
    sums: dict[str, dict[str, object]],
) -> bool:
    """Whether the lake's file `rel` holds the bytes of `part.file`."""
    old = found.get(rel)
    if old is None or old.size != part.size:
        return False
    record = sums.get(part.rel)
    if record == {"size": old.size, "mtime_ns": old.mtime_ns, "sha256": part.sha256}:
        return True
    if (
        record is not None
        and record.get("size") == old.size
        and record.get("mtime_ns") == old.mtime_ns
    ):  # the recorded file, unchanged since: its bytes are the recorded ones
        return False
    return lake.sha256(rel) == part.sha256  # no record (or the file changed since): read it


def _sums_of(parts: list[_Part], found: dict[str, Entry]) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for p in parts:
        e = found.get(f"{p.rel}/{DATA_FILE}")
        if e is not None and e.size == p.size:
            out[p.rel] = {"size": e.size, "mtime_ns": e.mtime_ns, "sha256": p.sha256}
    return out


def _read_sums(lake: LakeFiles, rel: str) -> dict[str, dict[str, object]]:
    raw = lake.read_bytes(rel)
    if raw is None:
        return {}
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}  # unreadable: as if missing (every file is then read back once)
    if not isinstance(body, dict) or not isinstance(body.get("partitions"), dict):
        return {}
    return {k: v for k, v in body["partitions"].items() if isinstance(v, dict)}


def _write_sums(lake: LakeFiles, rel: str, sums: dict[str, dict[str, object]]) -> None:
    if not sums:
        if lake.is_file(rel):
            lake.delete_file(rel)
        return
    body = {"partitions": sums}
    lake.write_bytes(rel, (json.dumps(body, sort_keys=True, indent=1) + "\n").encode("utf-8"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_marker(lake: LakeFiles, tables: tuple[LakeTable, ...]) -> None:
    text = marker_text(tables)
    if lake.read_bytes(MARKER) == text.encode("utf-8"):
        return
    lake.write_bytes(MARKER, text.encode("utf-8"))
