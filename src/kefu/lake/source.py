"""A lake read by DuckDB as a store: the canonical tables as views over the lake's Parquet files.

`LakeStore(path)` answers what the metrics engine asks a store (its `con` with tables named
as the store's, `settings`, `shops`, `data_end`), so `kefu kpi --lake PATH` computes on one
machine with DuckDB from the same files a Spark job reads. It is read-only: the views
cannot be written. A local lake is read by DuckDB's own Parquet reader; a lake at a URI
(s3://, gs://, …: kefu.lake.files) through pyarrow datasets on that file system, which
DuckDB scans (pushing its column and partition filters down), so no DuckDB extension is
needed.
"""

from __future__ import annotations

import glob as globbing
from datetime import datetime
from pathlib import Path

import duckdb

from kefu.lake.errors import LakeError
from kefu.lake.files import LakeFiles, first_line, open_lake_files
from kefu.lake.layout import MARKER, TABLES, LakeTable, glob
from kefu.store import Store, memory
from kefu.store.database import sql_text

# tables small enough to read once into memory (one row per agent, setting or report line),
# so that asking for one shop's does not open every shop's file again
SMALL = ("agents", "shop_settings", "reported_figures", "seat_holders", "persons")


ARROW_TYPES = {
    "VARCHAR": "string",
    "TIMESTAMP": "timestamp[us]",
    "DATE": "date32",
    "BIGINT": "int64",
    "INTEGER": "int32",
    "BOOLEAN": "bool",
}


def data_files(lake: LakeFiles, folder: str, depth: int) -> list[str]:
    """The data files of a table folder of a remote lake, as the local glob finds them:
    `depth` partition folders down, named *.parquet, nothing hidden ('_' or '.') on the way."""
    return sorted(
        f"{folder}/{rel}"
        for rel in (f[len(folder) + 1 :] for f in lake.listing(folder))
        if rel.count("/") == depth
        and rel.endswith(".parquet")
        and not any(p.startswith(("_", ".")) for p in rel.split("/"))
    )


def arrow_view(
    con: duckdb.DuckDBPyConnection,
    name: str,
    lake: LakeFiles,
    folder: str,
    files: list[str],
    partitions: tuple[str, ...],
    columns: tuple[tuple[str, str], ...] | None = None,
) -> str:
    """Register the Parquet `files` (relative to the lake) under `folder` as a pyarrow dataset
    on the lake's file system, Hive partition columns `partitions` as text, and give the name
    DuckDB scans it by. `columns` (name, DuckDB type) fixes the schema (a file lacking a column
    reads it as NULL); None takes the first file's."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    names = sorted(partitions)  # after the files' columns, by name, as DuckDB's Hive reader
    part = ds.partitioning(pa.schema([(p, pa.string()) for p in names]), flavor="hive")
    schema = None
    if columns is not None:
        schema = pa.schema(
            [(c, pa.type_for_alias(ARROW_TYPES[k])) for c, k in columns]
            + [(p, pa.string()) for p in names]
        )
    try:
        dataset = ds.dataset(
            [lake.path(f) for f in files],
            schema=schema,
            format="parquet",
            filesystem=lake.fs,
            partitioning=part,
            partition_base_dir=lake.path(folder),
        )
    except OSError as e:
        raise LakeError("lake.remote_failed", uri=lake.uri, error=first_line(e)) from e
    arrow = f"_arrow_{name}"
    con.register(arrow, dataset)
    return arrow


def lake_view(con: duckdb.DuckDBPyConnection, root: Path | LakeFiles, table: LakeTable) -> None:
    """Create the view `table.name` (shop_id, [month,] columns) over the lake's files
    (a table in memory for the small tables)."""
    lake = root if isinstance(root, LakeFiles) else open_lake_files(root)
    month = ", month" if table.month else ""
    cols = ", ".join(c for c, _ in table.columns)
    pattern = glob(lake.root, table)
    files = [] if lake.local else data_files(lake, table.name, 2 if table.month else 1)
    if lake.local and globbing.glob(pattern):
        types = "{'shop_id': 'VARCHAR'" + (", 'month': 'VARCHAR'" if table.month else "") + "}"
        body = (
            f"SELECT shop_id{month}, {cols} FROM read_parquet({sql_text(pattern)},"
            f" hive_partitioning = true, hive_types = {types}, union_by_name = true)"
        )
    elif files:
        parts = ("shop_id", "month") if table.month else ("shop_id",)
        arrow = arrow_view(con, table.name, lake, table.name, files, parts, table.columns)
        body = f"SELECT shop_id{month}, {cols} FROM {arrow}"
    else:  # a table with no partition yet: empty, with its columns
        typed = ", ".join(f"CAST(NULL AS {k}) AS {c}" for c, k in table.columns)
        body = (
            f"SELECT CAST(NULL AS VARCHAR) AS shop_id"
            f"{', CAST(NULL AS VARCHAR) AS month' if table.month else ''}, {typed} WHERE false"
        )
    kind = "TABLE" if table.name in SMALL else "VIEW"
    con.execute(f"CREATE OR REPLACE {kind} {table.name} AS {body}")


class LakeStore(Store):
    """The store's read side over a lake (no file is opened or written)."""

    def __init__(self, root: str | Path) -> None:  # no super().__init__: no store file
        lake = open_lake_files(root)
        try:
            marked = lake.is_file(MARKER)
        except OSError as e:
            raise LakeError("lake.remote_failed", uri=lake.uri, error=first_line(e)) from e
        if not marked:
            raise LakeError("lake.no_lake", path=str(root), marker=MARKER)
        self.path = lake.local_path() if lake.local else Path(lake.root)
        self.lake = lake
        self._registered = False
        self.con = duckdb.connect()
        limit = memory.memory_limit()  # kefu's default: half the memory (docs/store.md)
        if limit is not None:
            self.con.execute(f"SET memory_limit = {sql_text(limit)}")
        for table in TABLES:
            lake_view(self.con, lake, table)
        # the store's persons table has one row a person: a person is in the partition of
        # every shop whose seat they hold (the facts of the first shop by id, should two
        # stores exported into one lake disagree)
        self.con.execute("ALTER TABLE persons RENAME TO _lake_persons")
        self.con.execute(
            "CREATE TABLE persons AS SELECT person_id, name, hired_on, left_on FROM _lake_persons"
            " QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY shop_id) = 1"
        )
        self.con.execute("DROP TABLE _lake_persons")

        self._ends: dict[str, datetime] | None = None
        self._settings: dict[str, dict[str, str]] | None = None

    def settings(self, shop_id: str) -> dict[str, str]:
        if self._settings is None:
            self._settings = {}
            for shop, name, value in self.con.execute(
                "SELECT shop_id, name, value FROM shop_settings"
            ).fetchall():
                self._settings.setdefault(shop, {})[name] = value
        return dict(self._settings.get(shop_id, {}))

    def data_end(self, shop_id: str) -> datetime | None:
        """As the store's, for every shop in one pass over the lake (read once)."""
        if self._ends is None:
            rows = self.con.execute(
                "SELECT shop_id, max(t) FROM (SELECT shop_id, max(sent_at) AS t FROM messages"
                " GROUP BY shop_id UNION ALL SELECT shop_id, max(greatest(created_at,"
                " coalesce(paid_at, created_at))) FROM orders GROUP BY shop_id) GROUP BY shop_id"
            ).fetchall()
            self._ends = {shop: t for shop, t in rows}
        return self._ends.get(shop_id)

    def close(self) -> None:
        self.con.close()
