"""Writing a store's canonical tables into a lake: one Parquet file per partition, swapped in whole.

Every partition of the shops in the store is written to a staging folder inside the lake,
then renamed over the partition's `data.parquet` (one rename: a reader, or a crash, sees
the old file or the new one, never half of one). A partition whose new bytes equal the old
is left untouched, so exporting an unchanged store changes nothing in the lake (not even a
file's time, which the Spark job reads to tell what changed). Partitions of the store's
shops that the store no longer has are removed; other shops' partitions are left alone, so
several stores may export into one lake.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

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

STAGING = "_staging-"


class LakeError(RuntimeError):
    """A lake that cannot be written or read, with its catalogue key (lake.po)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, lang: str | None = None) -> str:
        from kefu.i18n import t

        return t(self.key, lang, **self.values)


@dataclass
class TableCounts:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    rows: int = 0


@dataclass
class ExportSummary:
    lake: Path
    shops: list[str]
    tables: dict[str, TableCounts] = field(default_factory=dict)


def check_lake_target(to: Path) -> None:
    """Refuse a target that is not a lake kefu may write: a file, a missing parent, a folder of something else."""
    if to.exists() and not to.is_dir():
        raise LakeError("lake.not_a_folder", path=str(to))
    if not to.exists():
        if not to.parent.is_dir():
            raise LakeError("lake.parent_missing", path=str(to), folder=str(to.parent))
        return
    if any(to.iterdir()) and not (to / MARKER).is_file():
        raise LakeError("lake.not_a_lake", path=str(to), marker=MARKER)


def export(store: Store, to: Path, tables: tuple[LakeTable, ...] = TABLES) -> ExportSummary:
    """Write every table of `tables` for every shop of the store into the lake at `to`."""
    check_lake_target(to)
    to.mkdir(exist_ok=True)
    for old in to.glob(STAGING + "*"):  # what an interrupted export left behind
        shutil.rmtree(old, ignore_errors=True)
    shops = store.shops()
    if any(s == "" for s in shops):
        raise LakeError("lake.empty_shop_id")
    summary = ExportSummary(to, shops)
    staging = to / f"{STAGING}{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        _write_marker(to, tables)
        for table in tables:
            summary.tables[table.name] = _export_table(store, to, staging, table, shops)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def _export_table(
    store: Store, to: Path, staging: Path, table: LakeTable, shops: list[str]
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
    keep: dict[str, set[str]] = {s: set() for s in shops}
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
            rel = partition(table, shop, mon)
            keep.setdefault(shop, set()).add(rel)
            if _swap_in(files[0], to / rel):
                counts.written += 1
            else:
                counts.unchanged += 1
            counts.rows += int(n)
    con.execute("DROP TABLE IF EXISTS _lake_parts")
    # partitions of the store's shops that the store no longer has
    for shop, rels in keep.items():
        base = to / table.name / f"shop_id={escape(shop)}"
        if not base.is_dir():
            continue
        found = {str(p.parent.relative_to(to)) for p in base.glob("**/*.parquet") if p.is_file()}
        for rel in sorted(found - rels):
            shutil.rmtree(to / rel)
            counts.removed += 1
    return counts


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _swap_in(new: Path, folder: Path) -> bool:
    """Put `new` in place as the partition's one file; False when the old bytes were equal."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / DATA_FILE
    if (
        target.is_file()
        and target.stat().st_size == new.stat().st_size
        and _sha256(target) == _sha256(new)
    ):
        new.unlink()
        changed = False
    else:
        with new.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(new, target)
        changed = True
    for other in folder.iterdir():  # the partition holds one file, kefu's
        if other.name != DATA_FILE:
            if other.is_dir():
                shutil.rmtree(other)
            else:
                other.unlink()
    return changed


def _write_marker(to: Path, tables: tuple[LakeTable, ...]) -> None:
    text = marker_text(tables)
    marker = to / MARKER
    if marker.is_file() and marker.read_text(encoding="utf-8") == text:
        return
    tmp = to / f"{MARKER}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, marker)
