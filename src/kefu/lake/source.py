"""A lake read by DuckDB as a store: the canonical tables as views over the lake's Parquet files.

`LakeStore(path)` answers what the metrics engine asks a store (its `con` with tables named
as the store's, `settings`, `shops`, `data_end`), so `kefu kpi --lake PATH` computes on one
machine with DuckDB from the same files a Spark job reads. It is read-only: the views
cannot be written.
"""

from __future__ import annotations

import glob as globbing
from pathlib import Path

import duckdb

from kefu.lake.export import LakeError
from kefu.lake.layout import MARKER, TABLES, LakeTable, glob
from kefu.store import Store, memory
from kefu.store.database import sql_text


def lake_view(con: duckdb.DuckDBPyConnection, root: Path, table: LakeTable) -> None:
    """Create the view `table.name` (shop_id, [month,] columns) over the lake's files."""
    pattern = glob(root, table)
    month = ", month" if table.month else ""
    cols = ", ".join(c for c, _ in table.columns)
    if globbing.glob(pattern):
        types = "{'shop_id': 'VARCHAR'" + (", 'month': 'VARCHAR'" if table.month else "") + "}"
        body = (
            f"SELECT shop_id{month}, {cols} FROM read_parquet({sql_text(pattern)},"
            f" hive_partitioning = true, hive_types = {types}, union_by_name = true)"
        )
    else:  # a table with no partition yet: empty, with its columns
        typed = ", ".join(f"CAST(NULL AS {k}) AS {c}" for c, k in table.columns)
        body = (
            f"SELECT CAST(NULL AS VARCHAR) AS shop_id"
            f"{', CAST(NULL AS VARCHAR) AS month' if table.month else ''}, {typed} WHERE false"
        )
    con.execute(f"CREATE OR REPLACE VIEW {table.name} AS {body}")


class LakeStore(Store):
    """The store's read side over a lake (no file is opened or written)."""

    def __init__(self, root: Path) -> None:  # no super().__init__: there is no store file
        if not (root / MARKER).is_file():
            raise LakeError("lake.no_lake", path=str(root), marker=MARKER)
        self.path = root
        self._registered = False
        self.con = duckdb.connect()
        limit = memory.memory_limit()  # kefu's default: half the memory (docs/store.md)
        if limit is not None:
            self.con.execute(f"SET memory_limit = {sql_text(limit)}")
        for table in TABLES:
            lake_view(self.con, root, table)

    def close(self) -> None:
        self.con.close()
