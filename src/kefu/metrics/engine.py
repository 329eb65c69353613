"""The metrics engine: runs the kpi.sql steps on DuckDB (or Spark) and builds the KPI table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import duckdb

from kefu.metrics.fields import EXTRA_PARTS, PARTS, empty_parts
from kefu.metrics.mix import Stratum
from kefu.metrics.product_sales import ProductFact, ProductSales
from kefu.metrics.settings import MetricSettings, from_mapping
from kefu.metrics.steps import steps
from kefu.metrics.table import Activity, AgentMonth, ShopMonth, month_bounds
from kefu.month import Month
from kefu.store import Store
from kefu.store.database import sql_text
from kefu.store.memory import MemoryLimitError, parse_limit
from kefu.store.seats import Holding

# What the steps read, prepared from the store. Epoch seconds of the naive shop-local times
# make every duration and calendar-day comparison integer arithmetic on both engines.
INPUT_VIEWS: dict[str, str] = {
    "in_agents": "SELECT shop_id, agent_id, name, role, team, hired_on, left_on FROM agents",
    "in_messages": "SELECT shop_id, buyer_id, agent_id, sent_at, CAST(epoch(sent_at) AS BIGINT) AS sent_s,"
    " sender, text, chars FROM messages",
    "in_orders": "SELECT shop_id, order_id, buyer_id, created_at, CAST(epoch(created_at) AS BIGINT) AS created_s,"
    " CAST(epoch(paid_at) AS BIGINT) AS paid_s, amount_fen, items, refund_fen FROM orders",
    "in_reviews": "SELECT shop_id, order_id, rating FROM reviews",
    "in_order_items": "SELECT shop_id, order_id, product_id, sku, line_fen FROM order_items",
    "in_service_evals": "SELECT shop_id, agent_id, buyer_id, evaluated_at, eval_code, eval_source"
    " FROM service_evals",
}
# a store older than schema 3 read as it is (kefu.store.backup checks, upgrade tests) has no
# order lines: the steps read none
NO_ORDER_ITEMS = (
    "SELECT CAST(NULL AS VARCHAR) AS shop_id, CAST(NULL AS VARCHAR) AS order_id,"
    " CAST(NULL AS VARCHAR) AS product_id, CAST(NULL AS VARCHAR) AS sku,"
    " CAST(NULL AS BIGINT) AS line_fen FROM (SELECT 1) WHERE FALSE"
)

# a store older than schema 9, or a lake (which carries no service evaluations yet): none
NO_SERVICE_EVALS = (
    "SELECT CAST(NULL AS VARCHAR) AS shop_id, CAST(NULL AS VARCHAR) AS agent_id,"
    " CAST(NULL AS VARCHAR) AS buyer_id, CAST(NULL AS TIMESTAMP) AS evaluated_at,"
    " CAST(NULL AS INTEGER) AS eval_code, CAST(NULL AS INTEGER) AS eval_source"
    " FROM (SELECT 1) WHERE FALSE"
)


def _has_relation(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """A table or a view of that name in the current database (a lake store has views)."""
    row = con.execute(
        "SELECT count(*) FROM (SELECT table_name AS n, schema_name AS s, database_name AS d"
        " FROM duckdb_tables() UNION ALL SELECT view_name, schema_name, database_name"
        " FROM duckdb_views()) WHERE n = ? AND s = 'main' AND d = current_database()",
        [name],
    ).fetchone()
    return bool(row and row[0])


# A seat split between its holders (people behind seats): the agent ids of the split run are
# `seat` + SPLIT_MARK + `person` (a unit separator: never in an id, kefu.io.rules).
SPLIT_MARK = "\x1f"
# Peak memory per message a run of the steps reads (measured at 10M and 50M with DuckDB:
# 250-300 bytes, docs/performance.md), with a margin: many months asked at once are computed
# in runs of consecutive months whose messages fit the store's memory limit, so they do not
# spill (a spilled twelve-month run at 10M took a third more CPU than three runs that fit).
MESSAGE_BYTES = 400
SPLIT_VIEWS: dict[str, str] = {
    "in_messages": "SELECT m.shop_id, m.buyer_id,"
    " COALESCE(h.agent_id || chr(31) || h.person_id, m.agent_id) AS agent_id, m.sent_at,"
    " m.sent_s, m.sender, m.text, m.chars"
    " FROM (" + INPUT_VIEWS["in_messages"] + " WHERE {where}) m"
    " LEFT JOIN split_holds h ON h.shop_id = m.shop_id AND h.agent_id = m.agent_id"
    " AND (h.from_day IS NULL OR m.sent_at >= h.from_day)"
    " AND (h.until_day IS NULL OR m.sent_at < h.until_day + INTERVAL 1 DAY)",
    "in_agents": "SELECT * FROM (SELECT a.shop_id, a.agent_id, a.name, a.role, a.team,"
    " a.hired_on, a.left_on FROM agents a"
    " ANTI JOIN split_holds h ON h.shop_id = a.shop_id AND h.agent_id = a.agent_id"
    " UNION ALL SELECT a.shop_id, h.agent_id || chr(31) || h.person_id, p.name, a.role, a.team,"
    " h.from_day, h.until_day FROM split_holds h"
    " JOIN agents a ON a.shop_id = h.shop_id AND a.agent_id = h.agent_id"
    " LEFT JOIN persons p ON p.person_id = h.person_id) x",
    # an evaluation belongs to whoever held the seat on the day it was given
    "in_service_evals": "SELECT * FROM (SELECT e.shop_id,"
    " COALESCE(h.agent_id || chr(31) || h.person_id, e.agent_id) AS agent_id, e.buyer_id,"
    " e.evaluated_at, e.eval_code, e.eval_source FROM service_evals e"
    " LEFT JOIN split_holds h ON h.shop_id = e.shop_id AND h.agent_id = e.agent_id"
    " AND (h.from_day IS NULL OR e.evaluated_at >= h.from_day)"
    " AND (h.until_day IS NULL OR e.evaluated_at < h.until_day + INTERVAL 1 DAY)) x",
}


def _split_holds(con: duckdb.DuckDBPyConnection, split: Sequence[Holding]) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE split_holds (shop_id VARCHAR, agent_id VARCHAR,"
        " person_id VARCHAR, from_day DATE, until_day DATE)"
    )
    if split:
        con.executemany(
            "INSERT INTO split_holds VALUES (?, ?, ?, ?, ?)",
            [(h.shop_id, h.agent_id, h.person_id, h.start, h.end) for h in split],
        )


# The steps read back per (shop, agent, month), besides `agent_months` (who is listed) and
# `shop_orders` (per shop and month); the rest are intermediate.
PART_STEPS = (
    "agent_sessions",
    "agent_sales",
    "repurchase",
    "agent_spread",
    "agent_assists",
    "agent_evals",
)
ACTIVITY_STEPS = ("agent_activity", "agent_hours", "agent_peak")


class Runner(Protocol):
    engine: str

    def run(self, con: duckdb.DuckDBPyConnection, shops: Sequence[str]) -> None: ...

    def rows(self, name: str) -> list[dict[str, Any]]: ...

    def query(self, sql: str) -> list[dict[str, Any]]: ...


def _config_rows(settings: dict[str, MetricSettings]) -> list[tuple[Any, ...]]:
    return [
        (
            shop,
            s.session_gap_minutes * 60,
            s.aftersale_lookback_days * 86400,
            s.attribution_rule,
            s.attribution_days,
            s.repurchase_days * 86400,
            s.slow_response_s,
            None if s.off_hours is None else s.off_hours[0],
            None if s.off_hours is None else s.off_hours[1],
        )
        for shop, s in settings.items()
    ]


CFG_COLUMNS = (
    "shop_id VARCHAR, gap_s BIGINT, lookback_s BIGINT, rule VARCHAR, attribution_days BIGINT,"
    " repurchase_s BIGINT, slow_s BIGINT, off_start BIGINT, off_end BIGINT,"
    " w_start_s BIGINT, w_end_s BIGINT"
)

ALL_TIME = (-(2**62), 2**62)
DAY = 86400


def prepare_inputs(
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, MetricSettings],
    months: Sequence[str],
    window: tuple[int, int] = ALL_TIME,
    split: Sequence[Holding] | None = None,
) -> None:
    """Temp views and tables the steps read, restricted to the shops computed.

    `split` (holdings of seats that changed hands) makes each of those seats one agent per
    holder, `seat` + SPLIT_MARK + `person`: a message belongs to whoever held its seat on
    the day it was sent (kefu.metrics.people).

    `window` (epoch seconds, end excluded) limits the messages read; orders are read whole,
    since after-sale, returning and repurchase look back and forward without a bound.
    """
    shops = list(settings)
    shop_list = ", ".join(map(sql_text, shops)) or "NULL"
    for name, sql in INPUT_VIEWS.items():
        if name == "in_order_items" and not _has_relation(con, "order_items"):
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {NO_ORDER_ITEMS}")
            continue
        if name == "in_service_evals" and not _has_relation(con, "service_evals"):
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {NO_SERVICE_EVALS}")
            continue
        where = f"shop_id IN ({shop_list})"
        if name == "in_messages" and window != ALL_TIME:
            where += f" AND sent_at >= {_ts(window[0])} AND sent_at < {_ts(window[1])}"
        if split is not None and name in SPLIT_VIEWS:
            _split_holds(con, split)
            if name == "in_messages":  # the window applies to the messages as read
                sql, where = SPLIT_VIEWS[name].format(where=where), "TRUE"
            else:
                sql = SPLIT_VIEWS[name]
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql} WHERE {where}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE cfg ({CFG_COLUMNS})")
    rows = [(*r, *window) for r in _config_rows(settings)]
    if rows:
        con.executemany("INSERT INTO cfg VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE ignored (shop_id VARCHAR, account VARCHAR)")
    ign = [(shop, a) for shop, s in settings.items() for a in s.ignored_accounts]
    if ign:
        con.executemany("INSERT INTO ignored VALUES (?, ?)", ign)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE req_months"
        " (month VARCHAR, first_day DATE, last_day DATE, first_s BIGINT, end_s BIGINT)"
    )
    if months:
        bounds = [(m, *month_bounds(m)) for m in sorted(set(months))]
        con.executemany(
            "INSERT INTO req_months VALUES (?, ?, ?, ?, ?)",
            [(m, a, b, _epoch(a), _epoch(b) + DAY) for m, a, b in bounds],
        )


def _ts(epoch_s: int) -> str:
    return f"TIMESTAMP '{datetime(1970, 1, 1) + timedelta(seconds=epoch_s):%Y-%m-%d %H:%M:%S}'"


def _epoch(d: date) -> int:
    return (d - date(1970, 1, 1)).days * DAY


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    return row[0] if row else None


def message_window(
    con: duckdb.DuckDBPyConnection, settings: dict[str, MetricSettings], months: Sequence[str]
) -> tuple[int, int]:
    """The span of messages that decides every figure of `months` exactly.

    Figures of a month depend on messages a few days around it: sessions begun in it, the
    contacts that orders created in it (or credited to its inquiries) rest on, and the
    contacts that could supersede those. The window starts `attribution_days` + 2 days before
    the first month and ends `attribution_days` + 2 days after the last (for the `paid`
    rules: after the last payment of an order created in the months). `StoreKpis.compute`
    then checks that no session that matters runs across an edge, and widens the window when
    one does. docs/engines.md explains why this is exact.
    """
    if not months:
        return ALL_TIME
    first, _ = month_bounds(min(months))
    _, last = month_bounds(max(months))
    days = max(s.attribution_days for s in settings.values()) + 2
    # an assist may come attribution_days after the reference time of an order credited to
    # an inquiry of the months, itself up to attribution_days after that inquiry
    after = days + max(s.attribution_days for s in settings.values())
    start, end = _epoch(first) - days * DAY, _epoch(last) + DAY + after * DAY
    if any(s.attribution_rule != "order" for s in settings.values()):
        last_paid = _scalar(
            con,
            "SELECT CAST(epoch(max(paid_at)) AS BIGINT) FROM in_orders_all "
            f"WHERE created_at >= {_ts(_epoch(first))} AND created_at < {_ts(_epoch(last) + DAY)}",
        )
        if last_paid is not None:
            end = max(end, (int(last_paid) // DAY + days) * DAY)
    return (start, end)


class DuckDBRunner:
    """Runs every step as a temp table on the store's own DuckDB connection."""

    engine = "duckdb"

    def __init__(self) -> None:
        self._con: duckdb.DuckDBPyConnection | None = None

    def run(self, con: duckdb.DuckDBPyConnection, shops: Sequence[str]) -> None:
        self._con = con
        for step in steps():
            con.execute(f"CREATE OR REPLACE TEMP TABLE {step.name} AS {step.sql}")

    def rows(self, name: str) -> list[dict[str, Any]]:
        return self.query(f"SELECT * FROM {name}")

    def query(self, sql: str) -> list[dict[str, Any]]:
        assert self._con is not None
        cur = self._con.execute(sql)
        cols = [d[0] for d in cur.description or []]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


@dataclass(frozen=True)
class Computation:
    """What one run of the steps gives, keyed for assembly."""

    agent_months: list[tuple[str, str, str]]
    by_step: dict[str, dict[tuple[str, str, str], dict[str, Any]]]
    shop_orders: dict[tuple[str, str], dict[str, Any]]
    strata: dict[tuple[str, str], list[Stratum]]
    product_sales: dict[tuple[str, str], list[ProductSales]]


def _collect(runner: Runner) -> Computation:
    by_step: dict[str, dict[tuple[str, str, str], dict[str, Any]]] = {}
    for name in PART_STEPS + ACTIVITY_STEPS:
        by_step[name] = {(r["shop_id"], r["agent_id"], r["month"]): r for r in runner.rows(name)}
    am = sorted((r["shop_id"], r["agent_id"], r["month"]) for r in runner.rows("agent_months"))
    so = {(r["shop_id"], r["month"]): r for r in runner.rows("shop_orders")}
    strata: dict[tuple[str, str], list[Stratum]] = defaultdict(list)
    for r in sorted(
        runner.rows("agent_strata"),
        key=lambda r: (
            r["shop_id"],
            r["month"],
            r["agent_id"],
            r["measure"],
            r["product"],
            r["band"],
        ),
    ):
        strata[(r["shop_id"], r["month"])].append(
            Stratum(r["agent_id"], r["measure"], r["product"], r["band"], int(r["n"]), int(r["k"]))
        )
    sales: dict[tuple[str, str], list[ProductSales]] = defaultdict(list)
    for r in sorted(
        runner.rows("agent_product_sales"),
        key=lambda r: (
            r["shop_id"],
            r["month"],
            r["agent_id"],
            r["product"],
            bool(r["is_returning"]),
        ),
    ):
        sales[(r["shop_id"], r["month"])].append(ProductSales.of_row(r))
    return Computation(am, by_step, so, dict(strata), dict(sales))


def _parts(comp: Computation, key: tuple[str, str, str]) -> dict[str, int]:
    parts = empty_parts()
    for name in PART_STEPS:
        row = comp.by_step[name].get(key)
        if row:
            for f in PARTS + EXTRA_PARTS:
                if f in row and row[f] is not None:
                    parts[f] = int(row[f])
    parts["net_sales_fen"] = parts["sales_fen"] - parts["refund_fen"]
    return parts


def _activity(comp: Computation, key: tuple[str, str, str]) -> Activity:
    act = comp.by_step["agent_activity"].get(key) or {}
    hrs = comp.by_step["agent_hours"].get(key) or {}
    peak = comp.by_step["agent_peak"].get(key) or {}
    return Activity(
        active_hours=int(hrs.get("active_hours") or 0),
        active_days=int(hrs.get("active_days") or 0),
        peak_day_inquiries=int(peak.get("peak_day_inquiries") or 0),
        hour_sessions=tuple(int(act.get(f"h{h:02d}") or 0) for h in range(24)),
    )


def _reaches(data_end: datetime | None, last_day: date, days: int) -> bool:
    """True when the shop's data reaches `days` past the month's last day."""
    return data_end is not None and data_end.date() >= last_day + timedelta(days=days)


class StoreKpis:
    """The KpiSource kefu normally reads: the store's records through the metric steps."""

    def __init__(
        self,
        store: Store,
        engine: str = "duckdb",
        runner: Runner | None = None,
        split: Sequence[Holding] | None = None,
    ) -> None:
        self.store = store
        self.split = split
        if runner is None:
            if engine == "duckdb":
                runner = DuckDBRunner()
            elif engine == "spark":
                from kefu.metrics.spark import SparkRunner

                runner = SparkRunner()
            else:
                raise ValueError(f"unknown engine '{engine}' (duckdb or spark)")
        self.runner = runner

    def _window_holds(
        self, months: Sequence[str], settings: dict[str, MetricSettings], window: tuple[int, int]
    ) -> tuple[bool, bool]:
        """(start edge holds, end edge holds) for the figures of `months`.

        Start: a session cut by the window's start (its first message within the session gap
        after it) must end before any contact that an order of the months could rest on, one
        day after the start. End: the months' own sessions must end early enough that every
        order they could be credited, and every contact that could supersede theirs, is
        inside the window.
        """
        first, _ = month_bounds(min(months))
        _, last = month_bounds(max(months))
        days = max(s.attribution_days for s in settings.values()) + 1
        gap = max(s.session_gap_minutes for s in settings.values()) * 60
        (row,) = self.runner.query(
            "SELECT max(CASE WHEN start_s >= "
            f"{_epoch(first)} AND start_s < {_epoch(last) + DAY} THEN end_s END) AS latest, "
            f"count(CASE WHEN start_s < {window[0] + gap} AND end_s >= {window[0] + DAY} "
            "THEN 1 END) AS cut FROM sess"
        )
        latest = row["latest"]
        # assists: contacts up to attribution_days after a reference time that is itself
        # up to attribution_days after the months' last session (kpi.sql, agent_assists)
        ahead = max(days, 2 * (days - 1))
        end_ok = latest is None or (int(latest) // DAY + ahead + 1) * DAY <= window[1]
        return (not row["cut"], end_ok)

    def settings(self, shop_id: str) -> MetricSettings:
        return from_mapping(self.store.settings(shop_id))

    def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]:
        return self.compute([shop_id], months)[shop_id]

    def compute(
        self, shops: Sequence[str], months: Sequence[str]
    ) -> dict[str, dict[str, ShopMonth]]:
        """Every requested month of every shop: one run of the steps, or on DuckDB one run per
        batch of consecutive months whose messages fit the memory limit (`month_batches`).

        Each month's figures depend only on its own window of messages, so the batches give
        exactly what one run gives (tests/test_engine_batches.py). After the call the steps'
        tables hold the last batch (one month asked: that month).
        """
        con = self.store.con
        shop_list = ", ".join(map(sql_text, shops)) or "NULL"
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW in_messages_all AS SELECT * FROM messages WHERE shop_id IN ({shop_list})"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW in_orders_all AS SELECT * FROM orders WHERE shop_id IN ({shop_list})"
        )
        out: dict[str, dict[str, ShopMonth]] = {shop: {} for shop in shops}
        batches = self.month_batches(months) if self.runner.engine == "duckdb" else [list(months)]
        for batch in batches:
            for shop, got in self._compute_run(shops, batch).items():
                out[shop].update(got)
        return {shop: {m: out[shop][m] for m in months} for shop in shops}

    def month_batches(self, months: Sequence[str]) -> list[list[str]]:
        """`months` sorted, cut into runs of consecutive calendar spans whose messages (those of
        every month from a batch's first to its last) stay within `message_budget()`; a month
        over the budget alone is a batch of its own. Needs the `in_messages_all` view."""
        asked = sorted(set(months))
        budget = self.message_budget()
        if len(asked) <= 1 or budget is None:
            return [asked]
        first, last = Month.parse(asked[0]), Month.parse(asked[-1])
        counts = {
            str(Month.of(m)): int(n)
            for m, n in self.store.con.execute(
                "SELECT date_trunc('month', sent_at) AS m, count(*) FROM in_messages_all "
                "WHERE sent_at >= ? AND sent_at < ? GROUP BY m",
                [first.first_day, last.shift(1).first_day],
            ).fetchall()
        }
        batches: list[list[str]] = []
        span = 0  # messages from the current batch's first month to the month before `m`
        previous: Month | None = None
        for text in asked:
            m = Month.parse(text)
            between = (
                0
                if previous is None
                else sum(counts.get(str(x), 0) for x in previous.shift(1).through(m.shift(-1)))
            )
            if batches and span + between + counts.get(text, 0) <= budget:
                batches[-1].append(text)
                span += between + counts.get(text, 0)
            else:
                batches.append([text])
                span = counts.get(text, 0)
            previous = m
        return batches

    def message_budget(self) -> int | None:
        """How many messages one run may read without spilling: the memory limit the store
        runs under ÷ MESSAGE_BYTES; None (one run) when the limit cannot be read."""
        row = self.store.con.execute("SELECT current_setting('memory_limit')").fetchone()
        try:
            limit = parse_limit(str(row[0]) if row else "", None)
        except MemoryLimitError:
            return None
        return limit // MESSAGE_BYTES if isinstance(limit, int) else None

    def _compute_run(
        self, shops: Sequence[str], months: Sequence[str]
    ) -> dict[str, dict[str, ShopMonth]]:
        """`months` of every shop in one run of the steps (the views of `compute` in place)."""
        con = self.store.con
        settings = {shop: self.settings(shop) for shop in shops}
        window = message_window(con, settings, list(months))
        while True:
            prepare_inputs(con, settings, list(months), window, self.split)
            self.runner.run(con, list(shops))
            if window == ALL_TIME:
                break
            start_ok, end_ok = self._window_holds(months, settings, window)
            if start_ok and end_ok:
                break
            # a conversation ran on for days across an edge: read a week more and run again
            window = (
                window[0] - (0 if start_ok else 7 * DAY),
                window[1] + (0 if end_ok else 7 * DAY),
            )
        comp = _collect(self.runner)
        agents = {
            (r[0], r[1]): r
            for r in con.execute(
                "SELECT shop_id, agent_id, name, role, team, hired_on, left_on FROM in_agents"
            ).fetchall()
        }
        rows: dict[tuple[str, str], list[AgentMonth]] = defaultdict(list)
        for key in comp.agent_months:
            shop, agent_id, month = key
            info = agents.get((shop, agent_id))
            rows[(shop, month)].append(
                AgentMonth(
                    shop_id=shop,
                    month=month,
                    agent_id=agent_id,
                    name=(info[2] or agent_id) if info else agent_id,
                    role=info[3] if info else "presale",
                    team=info[4] if info else None,
                    hired_on=info[5] if info else None,
                    left_on=info[6] if info else None,
                    known=info is not None,
                    parts=_parts(comp, key),
                    activity=_activity(comp, key),
                )
            )
        presale = {k: {a.agent_id for a in v if a.role == "presale"} for k, v in rows.items()}
        out: dict[str, dict[str, ShopMonth]] = {}
        for shop in shops:
            s = settings[shop]
            end = self.store.data_end(shop)
            facts = self._product_facts(shop)
            out[shop] = {}
            for month in months:
                so = comp.shop_orders.get((shop, month)) or {}
                _, last = month_bounds(month)
                out[shop][month] = ShopMonth(
                    shop_id=shop,
                    month=month,
                    provisional=not _reaches(end, last, s.attribution_days),
                    repurchase_provisional=not _reaches(end, last, s.repurchase_days),
                    agents=rows.get((shop, month), []),
                    silent_orders=int(so.get("silent_orders") or 0),
                    silent_sales_fen=int(so.get("silent_sales_fen") or 0),
                    paid_orders=int(so.get("paid_orders") or 0),
                    paid_sales_fen=int(so.get("paid_sales_fen") or 0),
                    paid_net_sales_fen=int(so.get("paid_net_sales_fen") or 0),
                    unattributable_orders=int(so.get("unattributable_orders") or 0),
                    unattributable_sales_fen=int(so.get("unattributable_sales_fen") or 0),
                    settings=s.to_json(),
                    strata=tuple(
                        x
                        for x in comp.strata.get((shop, month), [])
                        if x.agent_id in presale.get((shop, month), set())
                    ),
                    product_sales=tuple(comp.product_sales.get((shop, month), [])),
                    products=facts,
                )
        return out

    def _product_facts(self, shop: str) -> tuple[ProductFact, ...]:
        """The shop's products with what decides their stage (kefu.store.products)."""
        from kefu.store.products import products

        if not _has_relation(self.store.con, "products"):
            return ()
        return tuple(
            ProductFact(p.product_id, p.first_sale, p.launched_on, p.stage_set)
            for p in products(self.store, shop)
        )
