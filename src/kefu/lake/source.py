"""A lake read by DuckDB as a store: the canonical tables as views over the lake's Parquet files.

`LakeStore(path)` answers what the metrics engine asks a store (its `con` with tables named
as the store's, `settings`, `shops`, `data_end`), so `kefu kpi --lake PATH` computes on one
machine with DuckDB from the same files a Spark job reads. It is read-only: the views
cannot be written.
"""

from __future__ import annotations

import glob as globbing
from datetime import datetime
from pathlib import Path

import duckdb

from kefu.lake.export import LakeError
from kefu.lake.layout import MARKER, TABLES, LakeTable, glob
from kefu.store import Store, memory
from kefu.store.database import sql_text

# tables small enough to read once into memory (one row per agent, setting or report line),
# so that asking for one shop's does not open every shop's file again
SMALL = ("agents", "shop_settings", "reported_figures", "seat_holders", "persons")


def lake_view(con: duckdb.DuckDBPyConnection, root: Path, table: LakeTable) -> None:
    """Create the view `table.name` (shop_id, [month,] columns) over the lake's files
    (a table in memory for the small tables)."""
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
    kind = "TABLE" if table.name in SMALL else "VIEW"
    con.execute(f"CREATE OR REPLACE {kind} {table.name} AS {body}")


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
