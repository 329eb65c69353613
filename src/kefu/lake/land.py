"""Raw exports landed into a lake by Spark: a landing folder's new files parsed on the
executors and merged into the lake's partitions with the store's rules (docs/lake.md,
"Landing raw exports").

    python -m kefu.lake.land --landing PATH --lake PATH      (or through spark-submit)
    kefu lake land --from PATH --lake PATH

What it does, in order:

1. Lists the landing folder (names starting with `_` or `.` skipped) and keeps the files it
   has not landed in that version (size and time, in the lake's `_kefu_landing/state.json`).
2. Parses them on the executors with `kefu import`'s parsers (kefu.lake.landing), each with
   its shop's settings from the lake (time zone, bot accounts, auto-reply prefixes). A file
   that does not name its shop takes it from the nearest `shop_id=<shop>` folder above it.
3. Merges them into agents, orders, messages and reviews with the store's rules: a record is
   known by its key (kefu.store.schema.KEYS); a newer file (by its time, then its path)
   updates the columns it really gives and leaves the others as they were; a new record takes
   the parser's defaults. A review without a shop takes the shop of its order (in the lake or
   landed with it) and is quarantined when no shop, or several, have that order.
4. Writes only the partitions whose rows changed (a count and a hash of the rows before and
   after), each step first as Parquet in a scratch folder (a lost executor loses nothing),
   then into the lake with dynamic partition overwrite: the same file landed twice, or a
   copy of it, rewrites nothing, so the Spark job's fingerprints stay as they were.
5. Writes the rows that could not be read to the lake's quarantine dataset
   (`quarantine/file=<path>/`: kind, row, column, value, reason; a file landed again
   replaces its earlier rows), then the state and a run report (`_kefu_landing/runs/`).

The driver collects metadata only: the file listing, the shops' settings, the shops and
months touched, and one row per changed partition.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from kefu.lake.export import LakeError
from kefu.lake.hadoop import FileInfo, HadoopFiles
from kefu.lake.job import Listing, read_partitions, read_settings, session
from kefu.lake.landing import parse_landing
from kefu.lake.layout import BY_NAME, MARKER, NO_MONTH, escape, marker_text
from kefu.store.schema import KEYS

log = logging.getLogger("kefu.lake.land")

# orders before reviews: a review's partition is the month of its order
KINDS = ("agents", "orders", "messages", "reviews")
STATE = "_kefu_landing/state.json"
RUNS = "_kefu_landing/runs"
SCRATCH = "_kefu_landing/scratch"
QUARANTINE = "quarantine"
LAND_VERSION = "1"
QUARANTINE_SCHEMA = (
    "file STRING, kind STRING, row_no INT, column STRING, value STRING, reason STRING,"
    " landed_at TIMESTAMP_NTZ"
)
# the month partition of a record (reviews: their order's, joined in `_months`)
MONTH_OF = {
    "messages": "date_format(sent_at, 'yyyy-MM')",
    "orders": "date_format(created_at, 'yyyy-MM')",
}


def _glob_escaped(url: str) -> str:
    """A path Hadoop must not read as a glob pattern (a file named `订单[1].csv`)."""
    return "".join("\\" + c if c in "{}[]*?\\" else c for c in url)


def _ident(name: str) -> str:
    return f"`{name}`"


class Land:
    """One landing run from `landing` into the lake at `lake` (any Hadoop paths)."""

    def __init__(self, spark: Any, landing: str, lake: str) -> None:
        self.spark = spark
        self.landing = HadoopFiles(spark, landing)
        self.lake = HadoopFiles(spark, lake)
        self.run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{int(time.time() * 1000) % 1000:03d}"
        self.scratch = f"{SCRATCH}/{self.run_id}"
        self.landed_at = time.strftime("%Y-%m-%d %H:%M:%S")
        # the merged orders (shop, order, created_at) of the shops that landed orders: what a
        # review's month is read from
        self.orders_merged: Any = None

    # the lake and the state ---------------------------------------------------------------
    def check_lake(self) -> None:
        """A lake kefu may write: one with its marker, or an empty or new folder (which
        becomes one); anything else is refused, as `kefu lake export` refuses it."""
        if not self.landing.is_dir():
            raise LakeError("lake.land.no_landing", path=self.landing.root)
        if self.lake.exists(MARKER):
            return
        if [n for n in self.lake.names() if not n.startswith(("_", "."))]:
            raise LakeError("lake.not_a_lake", path=self.lake.root, marker=MARKER)
        self.lake.write_utf8(MARKER, marker_text())

    def load_state(self) -> dict[str, list[int]]:
        return self.lake.read_state(STATE, LAND_VERSION, "files")

    def settings(self, listing: Listing) -> dict[str, dict[str, str]]:
        by_shop = listing.files["shop_settings"].values()
        return read_settings(self.spark, self.lake, [f for by in by_shop for f in by[None]])

    # the run -------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        self.check_lake()
        state = self.load_state()
        seen = self.landing.walk()
        todo = [f for f in seen if state.get(f.rel) != [f.size, f.mtime]]
        report: dict[str, Any] = {
            "run": self.run_id,
            "landing": self.landing.root,
            "lake": self.lake.root,
            "files_seen": len(seen),
            "files": {},
            "tables": {},
            "quarantined": 0,
        }
        try:
            if todo:
                self._land(todo, report)
                for f in todo:
                    state[f.rel] = [f.size, f.mtime]
                self.lake.write_utf8(
                    STATE,
                    json.dumps({"version": LAND_VERSION, "files": state}, ensure_ascii=False)
                    + "\n",
                )
        finally:
            self.lake.delete(self.scratch)
        report["seconds"] = round(time.monotonic() - started, 2)
        self.lake.write_utf8(
            f"{RUNS}/{self.run_id}.json", json.dumps(report, ensure_ascii=False, indent=1) + "\n"
        )
        return report

    def _land(self, todo: list[FileInfo], report: dict[str, Any]) -> None:
        from pyspark.sql import functions as f

        spark = self.spark
        listing = Listing.of(self.lake, [BY_NAME[k] for k in (*KINDS, "shop_settings")])
        parsed = parse_landing(
            spark,
            self.landing.root,
            paths=[_glob_escaped(self.landing.url(x.rel)) for x in todo],
            settings=self.settings(listing),
            extra=True,
        )
        for row in parsed.files.collect():  # one row a file
            report["files"][row["file"]] = {"kind": row["kind"], "quarantined": row["quarantined"]}
        for kind in KINDS:
            parsed.tables[kind].createOrReplaceTempView(f"_land_{kind}")
        problems = self._review_shops(listing)
        merged: dict[str, Any] = {}
        for kind in KINDS:
            report["tables"][kind], merged[kind] = self._merge(kind, listing)
        quarantine = parsed.quarantine.join(
            parsed.files.select("file", "kind"), "file", "left"
        ).select("file", "kind", "row_no", "column", "value", "reason")
        if problems is not None:
            quarantine = quarantine.unionByName(problems)
        quarantine = quarantine.withColumn(
            "landed_at", f.lit(self.landed_at).cast("timestamp_ntz")
        ).persist()
        report["quarantined"] = quarantine.count()
        for kind in KINDS:  # every merge kept as files: now into the lake
            if merged[kind] is not None:
                self._write(kind, merged[kind])
        self._write_quarantine(quarantine, [x.rel for x in todo])

    # reviews without a shop -------------------------------------------------------------
    def _review_shops(self, listing: Listing) -> Any:
        """Give landed reviews without a shop their order's shop; those whose order is in
        no shop, or in several, become quarantine rows (returned)."""
        spark = self.spark
        if not spark.sql("SELECT 1 FROM _land_reviews WHERE shop_id IS NULL LIMIT 1").count():
            return None
        files = [x for by in listing.files["orders"].values() for fs in by.values() for x in fs]
        read_partitions(spark, self.lake, "orders", files).select(
            "shop_id", "order_id"
        ).createOrReplaceTempView("_land_lake_order_ids")
        owners = self._keep(
            spark.sql(
                "SELECT order_id, count(DISTINCT shop_id) AS n,"
                " array_join(array_sort(collect_set(shop_id)), ', ') AS shops"
                " FROM (SELECT shop_id, order_id FROM _land_lake_order_ids"
                " UNION ALL SELECT shop_id, order_id FROM _land_orders)"
                " WHERE order_id IN (SELECT order_id FROM _land_reviews WHERE shop_id IS NULL)"
                " GROUP BY order_id"
            ),
            "review_owners",
        )
        owners.createOrReplaceTempView("_land_review_owners")
        reviews = self._keep(
            spark.sql(
                "SELECT r.*, o.n AS _owners, o.shops AS _shops FROM _land_reviews r"
                " LEFT JOIN _land_review_owners o ON r.shop_id IS NULL AND o.order_id = r.order_id"
            ),
            "reviews_owned",
        )
        reviews.createOrReplaceTempView("_land_reviews_owned")
        spark.sql(
            "SELECT * EXCEPT (shop_id, _owners, _shops),"
            " coalesce(shop_id, CASE WHEN _owners = 1 THEN _shops END) AS shop_id"
            " FROM _land_reviews_owned WHERE shop_id IS NOT NULL OR _owners = 1"
        ).createOrReplaceTempView("_land_reviews")
        return spark.sql(
            "SELECT _file AS file, _row AS row_no, order_id AS value, _shops AS shops"
            " FROM _land_reviews_owned WHERE shop_id IS NULL AND coalesce(_owners, 0) <> 1"
        ).mapInArrow(
            _review_reasons,
            "file STRING, kind STRING, row_no INT, column STRING, value STRING, reason STRING",
        )

    # merging ------------------------------------------------------------------------------
    def _existing(self, kind: str, listing: Listing) -> Any:
        """The lake's partitions a landing of `kind` may change, whole."""
        spark = self.spark
        by_shop = listing.files[kind]
        if kind == "messages":
            touched = spark.sql(
                f"SELECT DISTINCT shop_id, {MONTH_OF['messages']} AS month FROM _land_messages"
            ).collect()
            files = [x for r in touched for x in by_shop.get(r["shop_id"], {}).get(r["month"], [])]
        else:
            shops = {
                r["shop_id"]
                for r in spark.sql(f"SELECT DISTINCT shop_id FROM _land_{kind}").collect()
            }
            if kind == "reviews" and self.orders_merged is not None:
                shops |= {
                    r["shop_id"] for r in self.orders_merged.select("shop_id").distinct().collect()
                }
            files = [x for s in sorted(shops) for fs in by_shop.get(s, {}).values() for x in fs]
        return read_partitions(spark, self.lake, kind, files)

    def _merge(self, kind: str, listing: Listing) -> tuple[dict[str, int], Any]:
        """The new rows of every partition that changes, kept as files (None when none
        does), and the counts of the landed records: new, updated, unchanged."""
        spark = self.spark
        table = BY_NAME[kind]
        keys = list(KEYS[kind])
        values = [c for c, _ in table.columns if c not in keys]
        has_month = table.month is not None
        existing = self._existing(kind, listing)
        if not has_month:
            existing = existing.selectExpr("*", "CAST(NULL AS STRING) AS month")
        existing.createOrReplaceTempView("_land_existing")
        seq = "named_struct('m', _mtime, 'f', _file, 'r', _row)"
        given = ", ".join(
            f"max(CASE WHEN array_contains(split(_given, ','), '{v}')"
            f" THEN named_struct('s', {seq}, 'v', {_ident(v)}) END).v AS `g_{v}`,"
            f" max(named_struct('s', {seq}, 'v', {_ident(v)})).v AS `a_{v}`,"
            f" max(array_contains(split(_given, ','), '{v}')) AS `h_{v}`"
            for v in values
        )
        key_cols = ", ".join(_ident(k) for k in keys)
        landed = spark.sql(
            f"SELECT {key_cols}, {given}, count(*) AS _rows FROM _land_{kind} GROUP BY {key_cols}"
        )
        landed.createOrReplaceTempView("_land_agg")
        on = " AND ".join(f"e.{_ident(k)} = a.{_ident(k)}" for k in keys)
        first = _ident(keys[0])
        cols = [
            *(f"coalesce(e.{_ident(k)}, a.{_ident(k)}) AS {_ident(k)}" for k in keys),
            *(
                f"CASE WHEN a.{first} IS NULL THEN e.{_ident(v)}"
                f" WHEN a.`h_{v}` THEN a.`g_{v}`"
                f" WHEN e.{first} IS NOT NULL THEN e.{_ident(v)}"
                f" ELSE a.`a_{v}` END AS {_ident(v)}"
                for v in values
            ),
        ]
        same = " AND ".join(
            f"(NOT coalesce(a.`h_{v}`, false) OR e.{_ident(v)} <=> a.`g_{v}`)" for v in values
        )
        rows = spark.sql(
            f"SELECT {', '.join(cols)},"
            f" CASE WHEN a.{first} IS NULL THEN 'kept' WHEN e.{first} IS NULL THEN 'new'"
            f" WHEN {same or 'true'} THEN 'unchanged' ELSE 'updated' END AS _status,"
            f" coalesce(a._rows, 0) AS _rows"
            f" FROM _land_existing e FULL OUTER JOIN _land_agg a ON {on}"
        )
        rows = self._keep(rows, f"{kind}-merged")
        rows.createOrReplaceTempView("_land_rows")
        if kind == "orders":
            self.orders_merged = rows.select("shop_id", "order_id", "created_at")
        by_status = spark.sql(
            "SELECT _status, count(*) AS n, sum(_rows) AS landed FROM _land_rows GROUP BY _status"
        ).collect()
        counts = {r["_status"]: int(r["n"]) for r in by_status}
        summary = {
            "rows": sum(int(r["landed"]) for r in by_status),
            "new": counts.get("new", 0),
            "updated": counts.get("updated", 0),
            "unchanged": counts.get("unchanged", 0),
        }
        self._months(kind, listing)
        names = [c for c, _ in table.columns]
        hashed = ", ".join(_ident(c) for c in names)
        fingerprint = (
            "SELECT shop_id, coalesce(month, '') AS month, count(*) AS n,"
            f" sum(CAST(xxhash64({hashed}) AS DECIMAL(38, 0))) AS h,"
            f" sum(CAST(hash({hashed}) AS DECIMAL(38, 0))) AS h2 FROM {{}} GROUP BY 1, 2"
        )
        changed = spark.sql(
            f"SELECT coalesce(n.shop_id, o.shop_id) AS shop_id,"
            f" coalesce(n.month, o.month) AS month, coalesce(n.n, 0) AS rows"
            f" FROM ({fingerprint.format('_land_new')}) n"
            f" FULL OUTER JOIN ({fingerprint.format('_land_existing')}) o"
            f" ON n.shop_id = o.shop_id AND n.month = o.month"
            f" WHERE NOT (n.n <=> o.n AND n.h <=> o.h AND n.h2 <=> o.h2)"
        ).collect()
        summary["partitions_written"] = sum(1 for r in changed if r["rows"])
        summary["partitions_removed"] = 0
        for r in changed:
            if not r["rows"]:  # every row moved to another month: the partition goes
                self.lake.delete(
                    f"{kind}/shop_id={escape(r['shop_id'])}"
                    + (f"/month={escape(r['month'])}" if has_month else "")
                )
                summary["partitions_removed"] += 1
        parts = [(r["shop_id"], r["month"]) for r in changed if r["rows"]]
        if not parts:
            return summary, None
        spark.createDataFrame(parts, "shop_id STRING, month STRING").createOrReplaceTempView(
            "_land_changed"
        )
        out = spark.sql(
            f"SELECT n.shop_id, {'n.month, ' if has_month else ''}"
            f"{', '.join('n.' + _ident(c) for c in names)}"
            " FROM _land_new n JOIN _land_changed c"
            " ON c.shop_id = n.shop_id AND c.month = coalesce(n.month, '')"
        )
        return summary, self._keep(out, f"{kind}-changed")

    def _months(self, kind: str, listing: Listing) -> None:
        """`_land_new`: the merged rows with the month partition they belong in."""
        spark = self.spark
        if kind == "agents":
            spark.sql(
                "SELECT *, CAST(NULL AS STRING) AS month FROM _land_rows"
            ).createOrReplaceTempView("_land_new")
        elif kind in MONTH_OF:
            spark.sql(
                f"SELECT *, {MONTH_OF[kind]} AS month FROM _land_rows"
            ).createOrReplaceTempView("_land_new")
        else:  # reviews: the month of their order, as it now stands in the lake
            self._orders_now(listing).createOrReplaceTempView("_land_orders_now")
            spark.sql(
                "SELECT r.*, coalesce(date_format(o.created_at, 'yyyy-MM'), "
                f"'{NO_MONTH}') AS month FROM _land_rows r LEFT JOIN _land_orders_now o"
                " ON o.shop_id = r.shop_id AND o.order_id = r.order_id"
            ).createOrReplaceTempView("_land_new")

    def _orders_now(self, listing: Listing) -> Any:
        """The orders of the shops whose reviews are merged: the lake's (nothing is written
        before every merge is done, so the run's listing holds), with the merged orders in
        place of those of the shops that landed orders."""
        spark = self.spark
        shops = [
            r["shop_id"] for r in spark.sql("SELECT DISTINCT shop_id FROM _land_rows").collect()
        ]
        files = [x for s in shops for fs in listing.files["orders"].get(s, {}).values() for x in fs]
        lake = read_partitions(spark, self.lake, "orders", files).select(
            "shop_id", "order_id", "created_at"
        )
        if self.orders_merged is None:
            return lake
        now = self.orders_merged
        return lake.join(now.select("shop_id").distinct(), "shop_id", "left_anti").unionByName(now)

    # keeping and writing ------------------------------------------------------------------
    def _keep(self, df: Any, name: str) -> Any:
        """Computed once, as Parquet in the run's scratch folder (never a localCheckpoint)."""
        where = self.lake.url(f"{self.scratch}/{name}")
        df.write.mode("overwrite").parquet(where)
        return self.spark.read.schema(df.schema).parquet(where)

    def _write(self, kind: str, df: Any) -> None:
        table = BY_NAME[kind]
        parts = ["shop_id", "month"] if table.month else ["shop_id"]
        (
            df.repartition(*parts)
            .sortWithinPartitions(*parts, *table.order)
            .write.mode("overwrite")
            .option("partitionOverwriteMode", "dynamic")
            .partitionBy(*parts)
            .parquet(self.lake.url(kind))
        )

    def _write_quarantine(self, quarantine: Any, files: list[str]) -> None:
        """Each landed file's quarantine rows replace its earlier ones; a file landed again
        without any clears them."""
        with_rows = {r["file"] for r in quarantine.select("file").distinct().collect()}
        for rel in files:
            if rel not in with_rows:
                self.lake.delete(f"{QUARANTINE}/file={escape(rel)}")
        if with_rows:
            (
                quarantine.repartition("file")
                .sortWithinPartitions("file", "row_no")
                .write.mode("overwrite")
                .option("partitionOverwriteMode", "dynamic")
                .partitionBy("file")
                .parquet(self.lake.url(QUARANTINE))
            )


def _review_reasons(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """On an executor: the reason of each review whose order is in no shop, or in several."""
    from kefu.i18n import Refusal

    for batch in batches:
        rows = batch.to_pylist()
        reasons = [
            str(
                Refusal("io.review.order_in_shops", order=r["value"], shops=r["shops"])
                if r["shops"]
                else Refusal("io.review.order_unknown", order=r["value"])
            )
            for r in rows
        ]
        yield pa.RecordBatch.from_pydict(
            {
                "file": [r["file"] for r in rows],
                "kind": ["reviews"] * len(rows),
                "row_no": [r["row_no"] for r in rows],
                "column": ["order_id"] * len(rows),
                "value": [r["value"] for r in rows],
                "reason": reasons,
            },
            schema=pa.schema(
                [
                    ("file", pa.string()),
                    ("kind", pa.string()),
                    ("row_no", pa.int32()),
                    ("column", pa.string()),
                    ("value", pa.string()),
                    ("reason", pa.string()),
                ]
            ),
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kefu.lake.land",
        description="land raw platform exports into a kefu lake (docs/lake.md)",
    )
    parser.add_argument(
        "--landing", required=True, help="the folder of raw exports (any Hadoop path)"
    )
    parser.add_argument("--lake", required=True, help="the lake to land them in (any Hadoop path)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s kefu.lake.land %(message)s"
    )
    spark = session("kefu lake land")
    try:
        report = Land(spark, args.landing, args.lake).run()
    except LakeError as e:
        print(e.text(), file=sys.stderr)
        return 2
    log.info("%s", json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
