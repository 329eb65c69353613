"""The Spark job: the agent-month and shop-month KPI tables of many shops, from a lake to a lake.

    python -m kefu.lake.job --lake PATH --shops all --months 2024-07..2024-09 --output PATH
    spark-submit --master spark://host:7077 <kefu>/lake/job.py --lake PATH ... (the same)

The metric steps are kpi.sql's, run by kefu.metrics.spark.run_steps: nothing is rewritten
here. What the job adds (docs/lake.md, "The Spark job"):

- inputs read straight from the lake's partitions (no copy on the driver's disk): for each
  shop only the month partitions its own message window touches, then rows outside the
  window dropped by a join with the per-shop `cfg` table (each shop's window in it);
- per-shop windows: a shop whose conversation runs across its window's edge is run again
  with a wider window alone, without widening any other shop's read;
- results written as long tables partitioned by month and shop, with dynamic partition
  overwrite; only the (shop, month) pairs whose inputs changed since the last run are
  computed (a fingerprint of the input files each pair rests on, kept beside the output);
- whatever spark-submit set is kept (master, memory, partitions); adaptive query execution
  sizes the shuffles; logs go to stderr; each step is written once as Parquet in a scratch
  folder beside the output (a lost executor loses nothing), never `localCheckpoint`ed.

What the driver collects is metadata only: the file listing, the shops' settings, one row
of dates per shop and month, the shops whose window must widen.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kefu.lake.hadoop import FileInfo, HadoopFiles
from kefu.lake.layout import BY_NAME, LakeTable, spark_schema, unescape
from kefu.metrics.engine import ACTIVITY_STEPS, DAY, PART_STEPS, _config_rows, _epoch
from kefu.metrics.fields import EXTRA_PARTS, PARTS
from kefu.metrics.people import held_days
from kefu.metrics.settings import MetricSettings, from_mapping
from kefu.metrics.spark import run_steps, spark_sql
from kefu.metrics.steps import steps
from kefu.metrics.table import month_bounds
from kefu.month import month_texts
from kefu.store.seats import Holding

log = logging.getLogger("kefu.lake.job")

STATE = "_kefu_job/state.json"
RUNS = "_kefu_job/runs"
SCRATCH = "_kefu_job/scratch"
SPLIT = "split_agent_months"  # the months of seats that changed hands, one row per holder
# credited sales by product and buyer kind, with the products' facts (pay by product stage)
PRODUCTS = "agent_products"
# 2: agent_strata, split_agent_months; order lines, seats in the fingerprint
# 3: agent_products; shop_months' job_version and seats_held (pay from the output)
JOB_VERSION = "3"


# -- arguments ---------------------------------------------------------------------------
def parse_months(text: str) -> list[str]:
    """`2024-07..2024-09`, `2024-07,2024-09` or `2024-07` as a sorted list of months."""
    out: set[str] = set()
    for part in text.split(","):
        part = part.strip()
        if ".." in part:
            a, b = part.split("..", 1)
            out.update(month_texts(a, b))  # raises on a bad month
        elif part:
            month_bounds(part)
            out.add(part)
    if not out:
        raise ValueError(f"no month in {text!r}")
    return sorted(out)


def _month_of(epoch_s: int) -> str:
    d = date(1970, 1, 1) + timedelta(days=epoch_s // DAY)
    return f"{d.year:04d}-{d.month:02d}"


def _months_between(first: str, last: str) -> list[str]:
    return parse_months(f"{first}..{last}") if first <= last else []


def read_partitions(spark: Any, lake: HadoopFiles, table: str, files: list[FileInfo]) -> Any:
    """The rows of the partitions holding `files` of a lake table (partition columns as
    text, never inferred), read by Spark from the lake."""
    schema = spark_schema(BY_NAME[table])
    if not files:
        return spark.createDataFrame([], schema)
    dirs = sorted({lake.url(f.rel.rsplit("/", 1)[0]) for f in files})
    return spark.read.schema(schema).option("basePath", lake.url(table)).parquet(*dirs)


def read_settings(
    spark: Any, lake: HadoopFiles, files: list[FileInfo]
) -> dict[str, dict[str, str]]:
    """The settings (name → value) of each shop whose `shop_settings` files are given."""
    values: dict[str, dict[str, str]] = {}
    df = read_partitions(spark, lake, "shop_settings", files)
    for row in df.select("shop_id", "name", "value").collect():
        values.setdefault(row["shop_id"], {})[row["name"]] = row["value"]
    return values


@dataclass
class Listing:
    """The lake's data files by table, shop and month (None for tables by shop only)."""

    files: dict[str, dict[str, dict[str | None, list[FileInfo]]]] = field(default_factory=dict)

    @classmethod
    def of(cls, fs: HadoopFiles, tables: Iterable[LakeTable]) -> Listing:
        out = cls()
        for t in tables:
            pattern = (
                f"{t.name}/shop_id=*/month=*/*.parquet"
                if t.month
                else f"{t.name}/shop_id=*/*.parquet"
            )
            by_shop: dict[str, dict[str | None, list[FileInfo]]] = {}
            for f in fs.glob(pattern):
                parts = f.rel.split("/")
                shop = unescape(parts[1].removeprefix("shop_id="))
                month = unescape(parts[2].removeprefix("month=")) if t.month else None
                by_shop.setdefault(shop, {}).setdefault(month, []).append(f)
            out.files[t.name] = by_shop
        return out

    def shops(self) -> list[str]:
        return sorted({s for t in ("agents", "messages", "orders") for s in self.files[t]})

    def months(self, table: str, shop: str) -> list[str]:
        return sorted(m for m in self.files[table].get(shop, {}) if m is not None)

    def of_shop(
        self, table: str, shop: str, months: Iterable[str | None] | None = None
    ) -> list[FileInfo]:
        parts = self.files[table].get(shop, {})
        wanted = parts.keys() if months is None else [m for m in months if m in parts]
        return [f for m in sorted(wanted, key=str) for f in parts[m]]


# -- fingerprints --------------------------------------------------------------------------
@dataclass(frozen=True)
class Reach:
    """The months of input a (shop, month) rests on: messages from..upto, orders up to upto."""

    msg_from: str
    upto: str


def code_hash() -> str:
    text = "\n".join(f"{s.name}\n{s.sql}" for s in steps()) + JOB_VERSION
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint(
    listing: Listing, shop: str, reach: Reach, flags: tuple[bool, bool], code: str
) -> str:
    msgs = _months_between(reach.msg_from, reach.upto)
    order_months = [m for m in listing.months("orders", shop) if m <= reach.upto]
    review_months = [m for m in listing.months("reviews", shop) if m <= reach.upto]
    item_months = [m for m in listing.months("order_items", shop) if m <= reach.upto]
    eval_months = [m for m in listing.months("service_evals", shop) if m <= reach.upto]
    files = (
        listing.of_shop("messages", shop, msgs)
        + listing.of_shop("orders", shop, order_months)
        + listing.of_shop("reviews", shop, review_months)
        + listing.of_shop("order_items", shop, item_months)
        + listing.of_shop("service_evals", shop, eval_months)
        + listing.of_shop("agents", shop)
        + listing.of_shop("shop_settings", shop)
        + listing.of_shop("seat_holders", shop)
        + listing.of_shop("persons", shop)
        + listing.of_shop("products", shop)
    )
    body = json.dumps(
        [code, list(flags), reach.msg_from, reach.upto, [(f.rel, f.size, f.mtime) for f in files]]
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# -- the job -------------------------------------------------------------------------------
def _epoch_expr(col: str) -> str:
    """Epoch seconds of a naive timestamp, whatever the session's time zone (Spark SQL)."""
    return (
        f"CAST(datediff(CAST({col} AS DATE), DATE'1970-01-01') AS BIGINT) * 86400"
        f" + hour({col}) * 3600 + minute({col}) * 60"
        f" + CAST(round(date_part('SECOND', {col})) AS BIGINT)"
    )


@dataclass
class Plan:
    shops: list[str]
    months: list[str]
    settings: dict[str, MetricSettings]
    data_end: dict[str, int | None]
    todo: dict[str, list[str]]  # shop -> months to compute
    skipped: list[tuple[str, str]]
    raw_settings: dict[str, dict[str, str]]  # every setting of the shop, as stored
    # shops with a seat held by a person (kefu.store.seats): their pay is per person, so
    # pay from the output needs the lake's persons and seat holders (kefu.cli.pay)
    held: set[str] = field(default_factory=set)


def flags(s: MetricSettings, data_end: int | None, month: str) -> tuple[bool, bool]:
    """(provisional, repurchase_provisional), as StoreKpis decides them."""
    _, last = month_bounds(month)
    if data_end is None:
        return (True, True)
    day = data_end // DAY
    return (
        day < _epoch(last) // DAY + s.attribution_days,
        day < _epoch(last) // DAY + s.repurchase_days,
    )


class Job:
    def __init__(self, spark: Any, lake: str, output: str) -> None:
        self.spark = spark
        self.lake = HadoopFiles(spark, lake)
        self.out = HadoopFiles(spark, output)
        self.listing = Listing.of(
            self.lake,
            [
                BY_NAME[n]
                for n in (
                    "agents",
                    "messages",
                    "orders",
                    "reviews",
                    "order_items",
                    "service_evals",
                    "shop_settings",
                    "seat_holders",
                    "persons",
                    "products",
                )
            ],
        )
        self.step_times: dict[str, float] = {}
        self._kept = 0
        self._scratch = SCRATCH
        self.report: dict[str, Any] = {}

    # reading -------------------------------------------------------------------------------
    def read(self, table: str, files: list[FileInfo]) -> Any:
        return read_partitions(self.spark, self.lake, table, files)

    def settings(self, shops: list[str]) -> dict[str, dict[str, str]]:
        files = [f for s in shops for f in self.listing.of_shop("shop_settings", s)]
        return {s: {} for s in shops} | read_settings(self.spark, self.lake, files)

    def data_end(self, shops: list[str]) -> dict[str, int | None]:
        """Each shop's latest message, order or payment (epoch seconds): the provisional flags."""
        orders = self.read("orders", [f for s in shops for f in self.listing.of_shop("orders", s)])
        last_msgs = [
            f
            for s in shops
            for f in self.listing.of_shop("messages", s, self.listing.months("messages", s)[-1:])
        ]
        msgs = self.read("messages", last_msgs)
        orders.createOrReplaceTempView("_kefu_orders_all")
        msgs.createOrReplaceTempView("_kefu_last_messages")
        created, paid, sent = (
            _epoch_expr("created_at"),
            _epoch_expr("paid_at"),
            _epoch_expr("sent_at"),
        )
        rows = self.spark.sql(
            f"SELECT shop_id, max(t) AS t FROM (SELECT shop_id, max(greatest({created},"
            f" coalesce({paid}, {created}))) AS t FROM _kefu_orders_all GROUP BY shop_id"
            f" UNION ALL SELECT shop_id, max({sent}) FROM _kefu_last_messages GROUP BY shop_id)"
            " GROUP BY shop_id"
        ).collect()
        out: dict[str, int | None] = dict.fromkeys(shops)
        for r in rows:
            out[r["shop_id"]] = None if r["t"] is None else int(r["t"])
        return out

    def last_paid(self, shops: list[str], todo: dict[str, list[str]]) -> dict[str, int]:
        """For shops under the `paid` rules: the last payment of an order created in their months."""
        if not shops:
            return {}
        files = [f for s in shops for f in self.listing.of_shop("orders", s, todo[s])]
        self.read("orders", files).createOrReplaceTempView("_kefu_orders_months")
        rows = self.spark.sql(
            f"SELECT shop_id, max({_epoch_expr('paid_at')}) AS t FROM _kefu_orders_months GROUP BY shop_id"
        ).collect()
        return {r["shop_id"]: int(r["t"]) for r in rows if r["t"] is not None}

    # planning ------------------------------------------------------------------------------
    def plan(self, shops: Sequence[str] | None, months: list[str], force: bool) -> Plan:
        chosen = self.listing.shops() if shops is None else sorted(set(shops))
        raw = self.settings(chosen)
        settings = {s: from_mapping(v) for s, v in raw.items()}
        ends = self.data_end(chosen)
        state = self.load_state()
        code = code_hash()
        todo: dict[str, list[str]] = {}
        skipped = []
        for shop in chosen:
            for month in months:
                key = f"{shop}\t{month}"
                old = state.get(key)
                f = flags(settings[shop], ends[shop], month)
                if not force and old is not None:
                    reach = Reach(old["msg_from"], old["upto"])
                    if fingerprint(self.listing, shop, reach, f, code) == old["fp"]:
                        skipped.append((shop, month))
                        continue
                todo.setdefault(shop, []).append(month)
        return Plan(chosen, months, settings, ends, todo, skipped, raw)

    def load_state(self) -> dict[str, dict[str, str]]:
        return self.out.read_state(STATE, JOB_VERSION, "pairs")

    # running -------------------------------------------------------------------------------
    def run(
        self, shops: Sequence[str] | None, months: list[str], force: bool = False
    ) -> dict[str, Any]:
        started = time.monotonic()
        run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{int(time.time() * 1000) % 1000:03d}"
        self._scratch = f"{SCRATCH}/{run_id}"
        try:
            return self._run(shops, months, force, run_id, started)
        finally:
            self.out.delete(self._scratch)

    def _run(
        self,
        shops: Sequence[str] | None,
        months: list[str],
        force: bool,
        run_id: str,
        started: float,
    ) -> dict[str, Any]:
        plan = self.plan(shops, months, force)
        planned = time.monotonic()
        log.info(
            "shops %d, months %s: %d shop-months to compute, %d unchanged",
            len(plan.shops),
            ",".join(months),
            sum(len(v) for v in plan.todo.values()),
            len(plan.skipped),
        )
        state = self.load_state()
        code = code_hash()
        plan.held = {h.shop_id for h in self.holdings(sorted(plan.todo))}
        widen: dict[str, tuple[int, int]] = {s: (0, 0) for s in plan.todo}
        paid_rules = [s for s in plan.todo if plan.settings[s].attribution_rule != "order"]
        last_paid = self.last_paid(paid_rules, plan.todo)
        pending = sorted(plan.todo)
        rows_read: dict[str, int] = {}
        rounds = 0
        while pending:
            rounds += 1
            windows = {s: self.window(plan, s, widen[s], last_paid.get(s)) for s in pending}
            self.inputs(plan, pending, windows)
            frames = run_steps(self.spark, self.keep)
            failing = self.edges(plan, pending)
            done = [s for s in pending if s not in failing]
            if done:
                self.write(plan, done, frames)
                for s, n in self.messages_read(done).items():
                    rows_read[s] = n
                for (shop, month), reach in self.reaches(plan, done, windows).items():
                    f = flags(plan.settings[shop], plan.data_end[shop], month)
                    state[f"{shop}\t{month}"] = {
                        "fp": fingerprint(self.listing, shop, reach, f, code),
                        "msg_from": reach.msg_from,
                        "upto": reach.upto,
                    }
            for s, (start_ok, end_ok) in failing.items():
                a, b = widen[s]
                widen[s] = (a + (0 if start_ok else 7), b + (0 if end_ok else 7))
            if failing:
                log.info(
                    "a conversation crosses the window's edge in %d shops: reading a week more for them",
                    len(failing),
                )
            pending = sorted(failing)
        windows = {s: self.window(plan, s, widen[s], last_paid.get(s)) for s in plan.todo}
        split_pairs = self.split_pass(plan, windows)
        self.out.write_utf8(
            STATE, json.dumps({"version": JOB_VERSION, "pairs": state}, sort_keys=True)
        )
        report = {
            "computed": sorted([s, m] for s, ms in plan.todo.items() for m in ms),
            "unchanged": sorted([s, m] for s, m in plan.skipped),
            "messages_read": rows_read,
            "rounds": rounds,
            "split": sorted([s, m] for s, m in split_pairs),
            "seconds": {
                "plan": round(planned - started, 3),
                "total": round(time.monotonic() - started, 3),
                "steps": {k: round(v, 3) for k, v in self.step_times.items()},
            },
        }
        self.out.write_utf8(
            f"{RUNS}/{run_id}.json", json.dumps(report, ensure_ascii=False, indent=1)
        )
        return report

    def holdings(self, shops: list[str]) -> list[Holding]:
        """The holdings of the shops' seats, open ends filled from the person's dates, as
        kefu.store.seats.holdings gives them (one row a holding: metadata)."""
        files = [f for s in shops for f in self.listing.of_shop("seat_holders", s)]
        if not files:
            return []
        people = [f for s in shops for f in self.listing.of_shop("persons", s)]
        self.read("seat_holders", files).createOrReplaceTempView("_kefu_seat_holders")
        self.read("persons", people).createOrReplaceTempView("_kefu_persons")
        rows = self.spark.sql(
            "SELECT h.shop_id, h.agent_id, h.person_id, coalesce(h.held_from, p.hired_on) AS a,"
            " coalesce(h.held_until, p.left_on) AS b FROM _kefu_seat_holders h"
            " LEFT JOIN _kefu_persons p ON p.shop_id = h.shop_id AND p.person_id = h.person_id"
        ).collect()
        return sorted(
            (Holding(r[0], r[1], r[2], r[3], r[4]) for r in rows),
            key=lambda h: (h.shop_id, h.agent_id, h.start or date.min, h.person_id),
        )

    def split_pass(self, plan: Plan, windows: dict[str, tuple[int, int]]) -> list[tuple[str, str]]:
        """People behind seats: the computed months in which a seat changed hands, computed
        again with each of its holders as an agent of their own (kefu.metrics.people), into
        `split_agent_months`; kefu.lake.output gives per-person figures from it."""
        from pyspark.sql.functions import col

        for shop in plan.todo:  # a month computed again may no longer be split
            for month in plan.todo[shop]:
                self.out.delete(f"{SPLIT}/month={month}/shop_id={_spark_escape(shop)}")
        every = self.holdings(sorted(plan.todo))
        mine: dict[tuple[str, str], list[Holding]] = {}
        for h in every:
            mine.setdefault((h.shop_id, h.agent_id), []).append(h)
        pairs: list[tuple[str, str]] = []
        seats: dict[str, set[str]] = {}
        for shop in sorted(plan.todo):
            for month in plan.todo[shop]:
                shared = {
                    a
                    for (s, a), hs in mine.items()
                    if s == shop and sum(held_days(h, month) is not None for h in hs) > 1
                }
                if shared:
                    pairs.append((shop, month))
                    seats.setdefault(shop, set()).update(shared)
        if not pairs:
            return []
        shops = sorted(seats)
        log.info("seats changed hands in %d shop-months: computing them per holder", len(pairs))
        self.inputs(plan, shops, {s: windows[s] for s in shops})
        names = {
            (r["shop_id"], r["person_id"]): r["name"]
            for r in self.spark.table("_kefu_persons")
            .select("shop_id", "person_id", "name")
            .collect()
            if r["shop_id"] in seats
        }
        rows = [
            (
                h.shop_id,
                h.agent_id,
                h.person_id,
                names.get((h.shop_id, h.person_id)),
                h.start,
                h.end,
                None if h.start is None else _epoch(h.start),
                None if h.end is None else _epoch(h.end) + DAY,
            )
            for s in shops
            for a in sorted(seats[s])
            for h in mine[(s, a)]
        ]
        spark = self.spark
        spark.createDataFrame(
            rows,
            "shop_id STRING, agent_id STRING, person_id STRING, name STRING, from_day DATE,"
            " until_day DATE, from_s BIGINT, until_s BIGINT",
        ).createOrReplaceTempView("split_holds")
        spark.table("in_messages").createOrReplaceTempView("_kefu_seat_messages")
        spark.table("in_agents").createOrReplaceTempView("_kefu_seat_agents")
        # as engine.SPLIT_VIEWS: a message is its seat's holder's on the day it was sent
        spark.sql(
            "SELECT m.shop_id, m.buyer_id,"
            " COALESCE(concat(h.agent_id, char(31), h.person_id), m.agent_id) AS agent_id,"
            " m.sent_at, m.sent_s, m.sender, m.text, m.chars FROM _kefu_seat_messages m"
            " LEFT JOIN split_holds h ON h.shop_id = m.shop_id AND h.agent_id = m.agent_id"
            " AND (h.from_s IS NULL OR m.sent_s >= h.from_s)"
            " AND (h.until_s IS NULL OR m.sent_s < h.until_s)"
        ).createOrReplaceTempView("in_messages")
        spark.sql(
            "SELECT a.* FROM _kefu_seat_agents a LEFT ANTI JOIN split_holds h"
            " ON h.shop_id = a.shop_id AND h.agent_id = a.agent_id"
            " UNION ALL SELECT a.shop_id, concat(h.agent_id, char(31), h.person_id) AS agent_id,"
            " h.name, a.role, a.team, h.from_day AS hired_on, h.until_day AS left_on"
            " FROM split_holds h JOIN _kefu_seat_agents a"
            " ON a.shop_id = h.shop_id AND a.agent_id = h.agent_id"
        ).createOrReplaceTempView("in_agents")
        frames = run_steps(spark, self.keep)
        wanted = spark.createDataFrame(pairs, "shop_id STRING, month STRING")
        spark.table("_kefu_todo").join(wanted, ["shop_id", "month"]).createOrReplaceTempView(
            "_kefu_done"
        )
        agents = spark.sql(
            output_agent_sql({n: frames[n].columns for n in PART_STEPS + ACTIVITY_STEPS})
        )
        (
            agents.where(col("shop_id").isin(shops))
            .repartition("month", "shop_id")
            .write.mode("overwrite")
            .option("partitionOverwriteMode", "dynamic")
            .partitionBy("month", "shop_id")
            .parquet(self.out.url(SPLIT))
        )
        return pairs

    def keep(self, df: Any) -> Any:
        """Compute a step once, as Parquet files in the run's scratch folder beside the output.

        Not `localCheckpoint`: the step's rows are files on the output's file system, so a
        lost executor loses nothing, and later steps plan against those files instead of the
        whole chain (whose plans grow without bound: an in-memory cache keeps the chain).
        """
        names = [s.name for s in steps()]
        name = names[self._kept % len(names)]
        self._kept += 1
        t0 = time.monotonic()
        log.info("step %d: %s", self._kept, name)
        where = self.out.url(f"{self._scratch}/{self._kept:04d}-{name}")
        df.write.mode("overwrite").parquet(where)
        kept = self.spark.read.schema(df.schema).parquet(where)
        self.step_times[name] = self.step_times.get(name, 0.0) + time.monotonic() - t0
        if self._kept == 1:
            _test_hold()
        return kept

    def window(
        self, plan: Plan, shop: str, widen: tuple[int, int], last_paid: int | None
    ) -> tuple[int, int]:
        """The shop's message window, as engine.message_window computes it for one shop."""
        s = plan.settings[shop]
        months = plan.todo[shop]
        first, _ = month_bounds(min(months))
        _, last = month_bounds(max(months))
        days = s.attribution_days + 2
        # an assist may come attribution_days after the reference time of an order credited
        # to an inquiry of the months (engine.message_window)
        after = days + s.attribution_days
        start, end = _epoch(first) - days * DAY, _epoch(last) + DAY + after * DAY
        if s.attribution_rule != "order" and last_paid is not None:
            end = max(end, (last_paid // DAY + days) * DAY)
        return (start - widen[0] * DAY, end + widen[1] * DAY)

    def inputs(self, plan: Plan, shops: list[str], windows: dict[str, tuple[int, int]]) -> None:
        from pyspark.sql.types import (
            DateType,
            LongType,
            StringType,
            StructField,
            StructType,
        )

        spark = self.spark
        cfg_rows = [
            (*r, *windows[r[0]]) for r in _config_rows({s: plan.settings[s] for s in shops})
        ]
        spark.createDataFrame(
            cfg_rows,
            "shop_id STRING, gap_s BIGINT, lookback_s BIGINT, rule STRING, attribution_days BIGINT,"
            " repurchase_s BIGINT, slow_s BIGINT, off_start BIGINT, off_end BIGINT,"
            " w_start_s BIGINT, w_end_s BIGINT",
        ).createOrReplaceTempView("cfg")
        ignored = [(s, a) for s in shops for a in plan.settings[s].ignored_accounts]
        spark.createDataFrame(ignored, "shop_id STRING, account STRING").createOrReplaceTempView(
            "ignored"
        )
        months = sorted({m for s in shops for m in plan.todo[s]})
        bounds = [(m, *month_bounds(m)) for m in months]
        spark.createDataFrame(
            [(m, a, b, _epoch(a), _epoch(b) + DAY) for m, a, b in bounds],
            StructType(
                [
                    StructField("month", StringType()),
                    StructField("first_day", DateType()),
                    StructField("last_day", DateType()),
                    StructField("first_s", LongType()),
                    StructField("end_s", LongType()),
                ]
            ),
        ).createOrReplaceTempView("req_months")
        todo = [
            (
                s,
                m,
                *flags(plan.settings[s], plan.data_end[s], m),
                json.dumps(plan.settings[s].to_json(), ensure_ascii=False, sort_keys=True),
                json.dumps(plan.raw_settings[s], ensure_ascii=False, sort_keys=True),
                s in plan.held,
            )
            for s in shops
            for m in plan.todo[s]
        ]
        spark.createDataFrame(
            todo,
            "shop_id STRING, month STRING, provisional BOOLEAN, repurchase_provisional BOOLEAN, settings STRING,"
            " shop_settings STRING, seats_held BOOLEAN",
        ).createOrReplaceTempView("_kefu_todo")
        # messages: the month partitions each shop's own window touches, then the window's rows
        msg_files = []
        for s in shops:
            lo, hi = windows[s]
            msg_files += self.listing.of_shop(
                "messages", s, _months_between(_month_of(lo), _month_of(hi - 1))
            )
        self.read("messages", msg_files).createOrReplaceTempView("_kefu_messages")
        spark.sql(
            "SELECT m.shop_id, m.buyer_id, m.agent_id, m.sent_at, m.sent_s, m.sender, m.text, m.chars"
            f" FROM (SELECT *, {_epoch_expr('sent_at')} AS sent_s FROM _kefu_messages) m"
            " JOIN cfg c ON c.shop_id = m.shop_id WHERE m.sent_s >= c.w_start_s AND m.sent_s < c.w_end_s"
        ).createOrReplaceTempView("in_messages")
        # orders and reviews: read whole, as the engine reads them (docs/engines.md)
        self.read(
            "orders", [f for s in shops for f in self.listing.of_shop("orders", s)]
        ).createOrReplaceTempView("_kefu_orders")
        spark.sql(
            "SELECT shop_id, order_id, buyer_id, created_at,"
            f" {_epoch_expr('created_at')} AS created_s, {_epoch_expr('paid_at')} AS paid_s,"
            " amount_fen, items, refund_fen FROM _kefu_orders"
        ).createOrReplaceTempView("in_orders")
        self.read("reviews", [f for s in shops for f in self.listing.of_shop("reviews", s)]).select(
            "shop_id", "order_id", "rating"
        ).createOrReplaceTempView("in_reviews")
        self.read(
            "order_items", [f for s in shops for f in self.listing.of_shop("order_items", s)]
        ).select("shop_id", "order_id", "product_id", "sku", "line_fen").createOrReplaceTempView(
            "in_order_items"
        )
        # Taobao 服务评价: read whole, as the engine reads them
        self.read(
            "service_evals", [f for s in shops for f in self.listing.of_shop("service_evals", s)]
        ).select(
            "shop_id", "agent_id", "buyer_id", "evaluated_at", "eval_code", "eval_source"
        ).createOrReplaceTempView("in_service_evals")
        self.read("agents", [f for s in shops for f in self.listing.of_shop("agents", s)]).select(
            "shop_id", "agent_id", "name", "role", "team", "hired_on", "left_on"
        ).createOrReplaceTempView("in_agents")

    def first_sales(self, shops: list[str]) -> None:
        """The views PRODUCTS_SQL reads: each product's first sale (from the orders and order
        lines read for the pairs, whole as the engine reads them) and the shop's products."""
        self.read(
            "products", [f for s in shops for f in self.listing.of_shop("products", s)]
        ).select("shop_id", "product_id", "launched_on", "stage").createOrReplaceTempView(
            "_kefu_products"
        )
        self.spark.sql(
            "SELECT i.shop_id, i.product_id, CAST(min(o.paid_at) AS DATE) AS first_sale"
            " FROM in_order_items i JOIN _kefu_orders o"
            " ON o.shop_id = i.shop_id AND o.order_id = i.order_id"
            " GROUP BY i.shop_id, i.product_id"
        ).createOrReplaceTempView("_kefu_first_sales")

    def edges(self, plan: Plan, shops: list[str]) -> dict[str, tuple[bool, bool]]:
        """Shops whose window does not hold (StoreKpis._window_holds, per shop): (start ok, end ok)."""
        rows = self.spark.sql(
            spark_sql(
                "SELECT s.shop_id,"
                " max(CASE WHEN s.month = t.month THEN s.end_s END) AS latest,"
                " count(CASE WHEN s.start_s < c.w_start_s + c.gap_s AND s.end_s >= c.w_start_s + 86400"
                " THEN 1 END) AS cut, min(c.attribution_days) AS days, min(c.w_end_s) AS w_end"
                " FROM sess s JOIN cfg c ON c.shop_id = s.shop_id"
                " LEFT JOIN (SELECT DISTINCT shop_id, month FROM _kefu_todo) t"
                "   ON t.shop_id = s.shop_id AND t.month = s.month"
                " GROUP BY s.shop_id"
            )
        ).collect()
        out = {}
        for r in rows:
            latest = r["latest"]
            # as StoreKpis._window_holds: an assist's contact up to attribution_days after a
            # reference time itself up to attribution_days after the months' last session
            days = int(r["days"]) + 1
            ahead = max(days, 2 * (days - 1))
            end_ok = latest is None or (int(latest) // DAY + ahead + 1) * DAY <= int(r["w_end"])
            start_ok = not r["cut"]
            if not (start_ok and end_ok):
                out[r["shop_id"]] = (start_ok, end_ok)
        return out

    def messages_read(self, shops: list[str]) -> dict[str, int]:
        rows = self.spark.sql(
            "SELECT p.shop_id, sum(m.n) AS n FROM msg m JOIN pairs p ON p.pair = m.pair GROUP BY p.shop_id"
        ).collect()
        return {r["shop_id"]: int(r["n"]) for r in rows if r["shop_id"] in set(shops)}

    def reaches(
        self, plan: Plan, shops: list[str], windows: dict[str, tuple[int, int]]
    ) -> dict[tuple[str, str], Reach]:
        """For each pair computed: the months of messages and orders its figures rest on."""
        rows = self.spark.sql(
            spark_sql(
                "SELECT x.shop_id, x.month, max(x.t) AS t FROM ("
                " SELECT s.shop_id, s.month, s.end_s + (2 * c.attribution_days + 2) * 86400 AS t"
                "   FROM sess s JOIN cfg c ON c.shop_id = s.shop_id"
                " UNION ALL SELECT k.shop_id, k.month, k.paid_s + c.repurchase_s + 86400"
                "   FROM credited k JOIN cfg c ON c.shop_id = k.shop_id"
                " UNION ALL SELECT o.shop_id, r.month, o.paid_s + (c.attribution_days + 2) * 86400"
                "   FROM paid_orders o JOIN cfg c ON c.shop_id = o.shop_id"
                "   JOIN req_months r ON o.created_s >= r.first_s AND o.created_s < r.end_s"
                "   WHERE c.rule <> 'order'"
                ") x GROUP BY x.shop_id, x.month"
            )
        ).collect()
        reach_t = {(r["shop_id"], r["month"]): r["t"] for r in rows}
        out = {}
        for shop in shops:
            s = plan.settings[shop]
            days = s.attribution_days + 2
            after = days + s.attribution_days
            lo, hi = windows[shop]
            w0 = plan.todo[shop]
            base_lo, base_hi = self.window(plan, shop, (0, 0), None)
            extra_lo, extra_hi = base_lo - lo, max(0, hi - base_hi)
            for month in w0:
                first, last = month_bounds(month)
                t = _epoch(last) + DAY + after * DAY + extra_hi
                seen = reach_t.get((shop, month))
                if seen is not None:
                    t = max(t, int(seen))
                out[(shop, month)] = Reach(
                    _month_of(_epoch(first) - days * DAY - extra_lo), _month_of(t)
                )
        return out

    def write(self, plan: Plan, shops: list[str], frames: dict[str, Any]) -> None:
        """The computed pairs of `shops` into the output tables (dynamic partition overwrite)."""
        spark = self.spark
        from pyspark.sql.functions import col

        todo = spark.table("_kefu_todo")
        todo.where(col("shop_id").isin(shops)).createOrReplaceTempView("_kefu_done")
        agents = spark.sql(
            output_agent_sql({n: frames[n].columns for n in PART_STEPS + ACTIVITY_STEPS})
        )
        shop_months = spark.sql(SHOP_MONTH_SQL)
        strata = spark.sql(STRATA_SQL)
        self.first_sales([s for s in shops if plan.todo.get(s)])
        products = spark.sql(PRODUCTS_SQL)
        for name, df in (
            ("agent_months", agents),
            ("shop_months", shop_months),
            ("agent_strata", strata),
            (PRODUCTS, products),
        ):
            # a pair computed again with no agent left must not keep its old rows
            for shop in shops:
                for month in plan.todo[shop]:
                    self.out.delete(f"{name}/month={month}/shop_id={_spark_escape(shop)}")
            (
                df.repartition("month", "shop_id")
                .write.mode("overwrite")
                .option("partitionOverwriteMode", "dynamic")
                .partitionBy("month", "shop_id")
                .parquet(self.out.url(name))
            )


# Test only (tests/test_lake_cluster.py): a local folder; after its first step the driver
# writes `held` there and waits (at most ten minutes) for `go`, so that the test can kill an
# executor while the job runs, at a known point, whatever the machine's speed.
TEST_HOLD = "KEFU_LAKE_JOB_TEST_HOLD"


def _test_hold() -> None:
    import os
    from pathlib import Path

    folder = os.environ.get(TEST_HOLD)
    if not folder:
        return
    (Path(folder) / "held").write_text("", encoding="utf-8")
    deadline = time.monotonic() + 600
    while not (Path(folder) / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def _spark_escape(value: str) -> str:
    from kefu.lake.layout import escape

    return escape(value)


def output_agent_sql(columns: dict[str, list[str]]) -> str:
    """The long agent-month table: engine._parts and engine._activity, as one Spark query."""
    alias = {n: f"j{i}" for i, n in enumerate(PART_STEPS + ACTIVITY_STEPS)}
    parts = []
    for f in (*PARTS, *EXTRA_PARTS):
        if f == "net_sales_fen":
            continue
        src = [n for n in PART_STEPS if f in columns[n]]
        parts.append(
            f"COALESCE({alias[src[-1]]}.{f}, 0) AS {f}" if src else f"CAST(0 AS BIGINT) AS {f}"
        )
    sales = [n for n in PART_STEPS if "sales_fen" in columns[n]][-1]
    refund = [n for n in PART_STEPS if "refund_fen" in columns[n]][-1]
    parts.append(
        f"COALESCE({alias[sales]}.sales_fen, 0) - COALESCE({alias[refund]}.refund_fen, 0) AS net_sales_fen"
    )
    act = [
        f"COALESCE({alias['agent_hours']}.active_hours, 0) AS active_hours",
        f"COALESCE({alias['agent_hours']}.active_days, 0) AS active_days",
        f"COALESCE({alias['agent_peak']}.peak_day_inquiries, 0) AS peak_day_inquiries",
        *(f"COALESCE({alias['agent_activity']}.h{h:02d}, 0) AS h{h:02d}" for h in range(24)),
    ]
    joins = "".join(
        f" LEFT JOIN {n} {a} ON {a}.shop_id = am.shop_id AND {a}.agent_id = am.agent_id AND {a}.month = am.month"
        for n, a in alias.items()
    )
    return (
        "SELECT am.shop_id, am.month, am.agent_id,"
        " CASE WHEN g.name IS NULL OR g.name = '' THEN am.agent_id ELSE g.name END AS name,"
        " COALESCE(g.role, 'presale') AS role, g.team, g.hired_on, g.left_on,"
        " g.agent_id IS NOT NULL AS known, "
        + ", ".join(parts + act)
        + " FROM agent_months am JOIN _kefu_done d ON d.shop_id = am.shop_id AND d.month = am.month"
        " LEFT JOIN in_agents g ON g.shop_id = am.shop_id AND g.agent_id = am.agent_id" + joins
    )


SHOP_MONTH_FIELDS = (
    "silent_orders",
    "silent_sales_fen",
    "paid_orders",
    "paid_sales_fen",
    "paid_net_sales_fen",
    "unattributable_orders",
    "unattributable_sales_fen",
)

SHOP_MONTH_SQL = (
    "SELECT d.shop_id, d.month, d.provisional, d.repurchase_provisional, "
    + ", ".join(f"CAST(COALESCE(o.{f}, 0) AS BIGINT) AS {f}" for f in SHOP_MONTH_FIELDS)
    + ", d.settings, d.shop_settings, d.seats_held,"
    f" '{JOB_VERSION}' AS job_version FROM _kefu_done d LEFT JOIN shop_orders o"
    " ON o.shop_id = d.shop_id AND o.month = d.month"
)


# the like-with-like strata of every agent of a computed pair (kefu.metrics.mix): OutputKpis
# keeps the presale agents' rows, as StoreKpis does
STRATA_SQL = (
    "SELECT s.shop_id, s.month, s.agent_id, s.measure, s.product, s.band,"
    " CAST(s.n AS BIGINT) AS n, CAST(s.k AS BIGINT) AS k"
    " FROM agent_strata s JOIN _kefu_done d ON d.shop_id = s.shop_id AND d.month = s.month"
)


# credited sales by product and buyer kind of every computed pair (the metric step
# agent_product_sales, as StoreKpis gives them to pay), each product with what decides its
# stage as kefu.store.products reads it: the shop's launch date and stage, and its first sale
# (the earliest payment of an order with a line of it). '' is the product of orders without
# order lines (no facts). The facts of a product sold in a pair rest on orders up to the
# pair's reach and on the shop's products file, both in its fingerprint.
PRODUCTS_SQL = (
    "SELECT s.shop_id, s.month, s.agent_id, s.product, s.is_returning,"
    " CAST(s.sales_fen AS BIGINT) AS sales_fen, CAST(s.net_sales_fen AS BIGINT) AS net_sales_fen,"
    " f.first_sale, p.launched_on, p.stage AS stage_set"
    " FROM agent_product_sales s JOIN _kefu_done d ON d.shop_id = s.shop_id AND d.month = s.month"
    " LEFT JOIN _kefu_first_sales f ON f.shop_id = s.shop_id AND f.product_id = s.product"
    " LEFT JOIN _kefu_products p ON p.shop_id = s.shop_id AND p.product_id = s.product"
)


# -- the entry point -----------------------------------------------------------------------
# Planner settings the job chooses unless the submitter did. The steps the job keeps as
# Parquet compress far better than the rows they hold (a 10M-message month: a few MB on disk,
# hundreds in memory), so a broadcast chosen from file sizes overflowed the driver (measured
# at 10M messages, docs/performance.md): no broadcast from file sizes, only adaptive query
# execution's, which sees the rows' real size after a shuffle.
PLANNER_DEFAULTS = {
    "spark.sql.autoBroadcastJoinThreshold": "-1",
    "spark.sql.adaptive.autoBroadcastJoinThreshold": "10MB",
}


def session(app: str = "kefu lake job") -> Any:
    """The job's Spark session: spark-submit's settings kept; alone, a local one."""
    from pyspark.sql import SparkSession

    from kefu.metrics.spark import semantic_settings, under_spark_submit

    builder = SparkSession.builder.appName(app)
    if not under_spark_submit():
        import os

        builder = (
            builder.master(os.environ.get("KEFU_SPARK_MASTER", "local[2]"))
            .config("spark.driver.memory", os.environ.get("KEFU_SPARK_DRIVER_MEMORY", "2g"))
            .config("spark.ui.showConsoleProgress", "false")
        )
        # the Python of executors that run kefu's parsers (landing): this one, with kefu
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = builder.getOrCreate()
    semantic_settings(spark)
    submitted = spark.sparkContext.getConf()
    for key, value in PLANNER_DEFAULTS.items():
        if not submitted.contains(key):  # the submitter's choice, when made, stands
            spark.conf.set(key, value)
    if spark.conf.get("spark.sql.adaptive.enabled", "true") != "true":
        log.warning(
            "adaptive query execution is off in this session's settings; kefu sizes no shuffle itself"
        )
    return spark


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kefu.lake.job", description="kefu's KPI tables from a lake (docs/lake.md)"
    )
    parser.add_argument(
        "--lake", required=True, help="the lake written by kefu lake export (any Hadoop path)"
    )
    parser.add_argument("--shops", default="all", help="all, or shop ids separated by commas")
    parser.add_argument(
        "--months", required=True, help="2024-07..2024-09, or months separated by commas"
    )
    parser.add_argument(
        "--output", required=True, help="where the KPI tables are written (any Hadoop path)"
    )
    parser.add_argument(
        "--force", action="store_true", help="compute every month again, changed or not"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s kefu.lake.job %(message)s"
    )
    try:
        months = parse_months(args.months)
    except ValueError as e:
        parser.error(str(e))
    shops = None if args.shops == "all" else [s for s in args.shops.split(",") if s]
    spark = session()
    report = Job(spark, args.lake, args.output).run(shops, months, force=args.force)
    log.info(
        "computed %d shop-months, %d unchanged, in %.1f s",
        len(report["computed"]),
        len(report["unchanged"]),
        report["seconds"]["total"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
