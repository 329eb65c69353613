"""What-if measurements behind the optimisation suggestions of docs/performance.md.

    .venv/bin/python bench/experiments.py --size 10M [--runs 3]

Runs on the store that bench/run.py imported (OUT/stores/<size>.duckdb), each variant in a
fresh process, and writes OUT/experiments-<size>.json. Nothing here changes kefu: the
variants patch the engine in their own process only, or time plain SQL.

- kpi_as_is:        StoreKpis(...).shop_months(shop, [month]), as bench/run.py measures it
                    (without a memory limit)
- kpi_limited:      the same with KEFU_MEMORY_LIMIT (--memory-limit) and a temp_directory
- import_limited:   the import with DuckDB's memory_limit set on the store's connection
                    first (kefu applies KEFU_MEMORY_LIMIT to the KPI step only), into a
                    scratch store that is deleted afterwards
- first_paid_semijoin: the first_paid step as is, and restricted to the buyers of credited
                    orders (the only rows `credited` reads), timed on the same connection
- shop_orders_months: the shop_orders step as is (every month) and for the requested
                    months only, timed on the same connection
- kpi_fixed_window: the same, with the engine's message window held at its starting span
                    (the month ± attribution_days + 2 days) instead of widening while any
                    buyer–agent pair has messages within the session gap on both sides of
                    an edge; its figures are compared with kpi_as_is
- window_growth:    how far that widening goes: the engine's window against the starting one
- msg_*:            the engine's first step (session split) alone on all messages, as is, and
                    without the `text` tie-break in its ORDER BY, and on integer-coded
                    buyer/agent ids, to show what the sort keys cost
- floor_*:          the bare scan-and-sort, as is and without the text column
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import child  # noqa: E402
import gen  # noqa: E402

DAY = 86400


def _fixed_window(engine: Any) -> None:
    """Patch engine.message_window in this process: no widening at the edges."""
    from kefu.metrics.table import month_bounds

    def window(con: Any, settings: dict[str, Any], months: list[str]) -> tuple[int, int]:
        first, _ = month_bounds(min(months))
        _, last = month_bounds(max(months))
        days = max(s.attribution_days for s in settings.values()) + 2
        epoch = engine._epoch
        return (epoch(first) - days * DAY, epoch(last) + DAY + days * DAY)

    engine.message_window = window


def _kpi(args: dict[str, Any], fixed: bool) -> dict[str, Any]:
    from kefu.metrics import engine
    from kefu.metrics.engine import StoreKpis
    from kefu.store import open_store

    if fixed:
        _fixed_window(engine)
    store = open_store(args["db"])
    t0, c0 = time.perf_counter(), time.process_time()
    out = StoreKpis(store).shop_months(args["shop"], [args["month"]])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    msgs = store.con.execute("SELECT count(*) FROM msg").fetchone()
    digest = child._team_digest(out[args["month"]])
    store.close()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss": child.peak_rss_bytes(),
        "messages_in_msg_step": msgs[0] if msgs else None,
        "digest": digest,
    }


def _window_growth(args: dict[str, Any]) -> dict[str, Any]:
    from datetime import datetime, timedelta

    from kefu.metrics import engine
    from kefu.metrics.settings import from_mapping
    from kefu.store import open_store

    store = open_store(args["db"])
    con = store.con
    shop = args["shop"]
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW in_messages_all AS SELECT * FROM messages WHERE shop_id = '{shop}'"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW in_orders_all AS SELECT * FROM orders WHERE shop_id = '{shop}'"
    )
    settings = {shop: from_mapping(store.settings(shop))}
    t0 = time.perf_counter()
    grown = engine.message_window(con, settings, [args["month"]])
    wall = time.perf_counter() - t0
    _fixed_window(engine)
    start = engine.message_window(con, settings, [args["month"]])

    def iso(s: int) -> str:
        return (datetime(1970, 1, 1) + timedelta(seconds=s)).strftime("%Y-%m-%d")

    def count(w: tuple[int, int]) -> int:
        row = con.execute(
            "SELECT count(*) FROM in_messages_all WHERE sent_at >= make_timestamp(?::BIGINT * 1000000) "
            "AND sent_at < make_timestamp(?::BIGINT * 1000000)",
            [w[0], w[1]],
        ).fetchone()
        return row[0] if row else 0

    out = {
        "wall_s": wall,
        "starting_window": [iso(start[0]), iso(start[1])],
        "engine_window": [iso(grown[0]), iso(grown[1])],
        "messages_starting_window": count(start),
        "messages_engine_window": count(grown),
        "messages_all": con.execute("SELECT count(*) FROM in_messages_all").fetchone()[0],  # type: ignore[index]
        "peak_rss": child.peak_rss_bytes(),
    }
    # how many pairs cross each edge of the starting window (what makes it widen)
    gap = 30 * 60
    for name, b in (("start", start[0]), ("end", start[1])):
        row = con.execute(
            "SELECT count(*) FROM (SELECT buyer_id, agent_id FROM in_messages_all "
            "WHERE sent_at >= make_timestamp(?::BIGINT * 1000000) AND sent_at < make_timestamp(?::BIGINT * 1000000) "
            "INTERSECT SELECT buyer_id, agent_id FROM in_messages_all "
            "WHERE sent_at >= make_timestamp(?::BIGINT * 1000000) AND sent_at <= make_timestamp(?::BIGINT * 1000000))",
            [b - gap, b, b, b + gap],
        ).fetchone()
        out[f"pairs_crossing_{name}"] = row[0] if row else 0
    store.close()
    return out


MSG_SQL = """
SELECT g.shop_id, g.buyer_id, g.agent_id, g.sent_s, g.sender, g.chars, g.seq,
       SUM(g.is_start) OVER wp AS session_no,
       SUM(CASE WHEN g.sender = 'agent' THEN 1 ELSE 0 END) OVER wp AS agent_idx
FROM (
    SELECT m.shop_id, m.buyer_id, m.agent_id, m.sent_s, m.sender, m.chars,
           ROW_NUMBER() OVER w AS seq,
           CASE WHEN LAG(m.sent_s) OVER w IS NULL OR m.sent_s - LAG(m.sent_s) OVER w > 1800
                THEN 1 ELSE 0 END AS is_start
    FROM {src} m
    WINDOW w AS (
        PARTITION BY m.shop_id, m.buyer_id, m.agent_id
        ORDER BY m.sent_s, CASE m.sender WHEN 'buyer' THEN 0 WHEN 'auto' THEN 1 ELSE 2 END{text}
    )
) g
WINDOW wp AS (
    PARTITION BY g.shop_id, g.buyer_id, g.agent_id ORDER BY g.seq
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
)
"""


def _sql_variant(args: dict[str, Any], variant: str) -> dict[str, Any]:
    from kefu.store import open_store

    store = open_store(args["db"])
    con = store.con
    con.execute(
        "CREATE TEMP VIEW m_all AS SELECT shop_id, buyer_id, agent_id, sent_at, "
        "CAST(epoch(sent_at) AS BIGINT) AS sent_s, sender, text, chars FROM messages"
    )
    prep = 0.0
    if variant == "msg_int_ids":
        t = time.perf_counter()
        con.execute(
            "CREATE TEMP TABLE m_int AS SELECT 0 AS shop_id, "
            "dense_rank() OVER (ORDER BY buyer_id) AS buyer_id, "
            "dense_rank() OVER (ORDER BY agent_id) AS agent_id, sent_s, "
            "CAST(CASE sender WHEN 'buyer' THEN 0 WHEN 'auto' THEN 1 ELSE 2 END AS TINYINT) AS sender, "
            "text, chars FROM m_all"
        )
        prep = time.perf_counter() - t
    sql = {
        "msg_as_is": f"CREATE TEMP TABLE x AS {MSG_SQL.format(src='m_all', text=', m.text')}",
        "msg_no_text": f"CREATE TEMP TABLE x AS {MSG_SQL.format(src='m_all', text='')}",
        "msg_int_ids": "CREATE TEMP TABLE x AS "
        + MSG_SQL.format(src="m_int", text=", m.text")
        .replace("CASE m.sender WHEN 'buyer' THEN 0 WHEN 'auto' THEN 1 ELSE 2 END", "m.sender")
        .replace("g.sender = 'agent'", "g.sender = 2"),
        "floor_as_is": "CREATE TEMP TABLE x AS SELECT * FROM messages "
        "ORDER BY shop_id, buyer_id, agent_id, sent_at",
        "floor_no_text": "CREATE TEMP TABLE x AS SELECT * EXCLUDE (text) FROM messages "
        "ORDER BY shop_id, buyer_id, agent_id, sent_at",
    }[variant]
    t0, c0 = time.perf_counter(), time.process_time()
    con.execute(sql)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    store.close()
    return {"wall_s": wall, "cpu_s": cpu, "prep_s": prep, "peak_rss": child.peak_rss_bytes()}


FIRST_PAID_SEMI = """
SELECT shop_id, buyer_id,
       MAX(CASE WHEN k = 1 THEN order_id END) AS first_order_id,
       MAX(CASE WHEN k = 1 THEN paid_s END) AS first_paid_s,
       MAX(CASE WHEN k = 2 THEN paid_s END) AS second_paid_s
FROM (
    SELECT o.shop_id, o.buyer_id, o.order_id, o.paid_s,
           ROW_NUMBER() OVER (PARTITION BY o.shop_id, o.buyer_id ORDER BY o.paid_s, o.order_id) AS k
    FROM in_orders o
    SEMI JOIN (SELECT DISTINCT shop_id, buyer_id FROM attribution WHERE agent_id IS NOT NULL) b
      ON o.shop_id = b.shop_id AND o.buyer_id = b.buyer_id
    WHERE o.paid_s IS NOT NULL AND o.buyer_id IS NOT NULL
) x
WHERE k <= 2
GROUP BY shop_id, buyer_id
"""


def _first_paid(args: dict[str, Any]) -> dict[str, Any]:
    """The first_paid step as is, and restricted to the buyers of credited orders."""
    from kefu.metrics.engine import StoreKpis
    from kefu.metrics.steps import steps
    from kefu.store import open_store

    store = open_store(args["db"])
    StoreKpis(store).shop_months(args["shop"], [args["month"]])
    con = store.con
    orig = next(st.sql for st in steps() if st.name == "first_paid")

    def timed(sql: str, name: str) -> float:
        times = []
        for _ in range(3):
            t = time.perf_counter()
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    a = timed(orig, "fp_orig")
    b = timed(FIRST_PAID_SEMI, "fp_semi")
    differ = con.execute(
        "SELECT count(*) FROM fp_semi s LEFT JOIN fp_orig o USING (shop_id, buyer_id) "
        "WHERE o.buyer_id IS NULL OR s.first_order_id IS DISTINCT FROM o.first_order_id "
        "OR s.first_paid_s IS DISTINCT FROM o.first_paid_s "
        "OR s.second_paid_s IS DISTINCT FROM o.second_paid_s"
    ).fetchone()
    missing = con.execute(
        "SELECT count(*) FROM credited c ANTI JOIN fp_semi s USING (shop_id, buyer_id)"
    ).fetchone()
    rows = [con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in ("fp_orig", "fp_semi")]
    store.close()
    return {
        "wall_s": b,
        "first_paid_as_is_s": a,
        "first_paid_semijoin_s": b,
        "rows_as_is": rows[0][0] if rows[0] else None,
        "rows_semijoin": rows[1][0] if rows[1] else None,
        "rows_that_differ": differ[0] if differ else None,
        "credited_buyers_missing": missing[0] if missing else None,
        "peak_rss": child.peak_rss_bytes(),
    }


def _shop_orders_months(args: dict[str, Any]) -> dict[str, Any]:
    """The shop_orders step as is (every month of the shop) and for the requested months only."""
    from kefu.metrics.engine import StoreKpis
    from kefu.metrics.steps import steps
    from kefu.store import open_store

    store = open_store(args["db"])
    StoreKpis(store).shop_months(args["shop"], [args["month"]])
    con = store.con
    orig = next(st.sql for st in steps() if st.name == "shop_orders")
    marker = "WHERE o.paid_s IS NOT NULL"
    if marker not in orig:
        store.close()
        return {"wall_s": 0.0, "skipped": "shop_orders changed; variant not applicable"}
    restricted = orig.replace(
        marker,
        "JOIN req_months r ON o.created_at >= r.first_day "
        "AND o.created_at < r.last_day + INTERVAL 1 DAY\n" + marker,
    )

    def timed(sql: str, name: str) -> float:
        times = []
        for _ in range(3):
            t = time.perf_counter()
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    a = timed(orig, "so_orig")
    b = timed(restricted, "so_months")
    same = con.execute(
        "SELECT count(*) FROM (SELECT * FROM so_orig WHERE month IN (SELECT month FROM req_months) "
        "EXCEPT SELECT * FROM so_months)"
    ).fetchone()
    store.close()
    return {
        "wall_s": b,
        "shop_orders_as_is_s": a,
        "shop_orders_months_s": b,
        "rows_of_the_month_that_differ": same[0] if same else None,
        "peak_rss": child.peak_rss_bytes(),
    }


def _import_limited(args: dict[str, Any]) -> dict[str, Any]:
    """The import with DuckDB's memory_limit set on the store's connection first."""
    db = Path(args["db"]).with_name(Path(args["db"]).stem + "-limited.duckdb")
    try:
        return child.step_import(
            {"db": str(db), "data": args["data"], "memory_limit": args["memory_limit"]}
        )
    finally:
        db.unlink(missing_ok=True)
        Path(str(db) + ".wal").unlink(missing_ok=True)


def _kpi_limited(args: dict[str, Any]) -> dict[str, Any]:
    return child.step_kpi(
        {
            **args,
            "memory_limit": args["memory_limit"],
            "temp_directory": str(Path(args["db"]).parent.parent / "tmp" / "experiments"),
        }
    )


VARIANTS = {
    "kpi_limited": _kpi_limited,
    "import_limited": _import_limited,
    "first_paid_semijoin": _first_paid,
    "shop_orders_months": _shop_orders_months,
    "kpi_as_is": lambda a: _kpi(a, fixed=False),
    "kpi_fixed_window": lambda a: _kpi(a, fixed=True),
    "window_growth": _window_growth,
    "msg_as_is": lambda a: _sql_variant(a, "msg_as_is"),
    "msg_no_text": lambda a: _sql_variant(a, "msg_no_text"),
    "msg_int_ids": lambda a: _sql_variant(a, "msg_int_ids"),
    "floor_as_is": lambda a: _sql_variant(a, "floor_as_is"),
    "floor_no_text": lambda a: _sql_variant(a, "floor_no_text"),
}


def _run(variant: str, args: dict[str, Any]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", variant, json.dumps(args, ensure_ascii=False)]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
    line = next((x for x in reversed(p.stdout.splitlines()) if x.startswith("RESULT ")), None)
    if p.returncode or line is None:
        return {"ok": False, "error": p.stderr[-2000:]}
    return {"ok": True, **json.loads(line[7:])}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        res = VARIANTS[sys.argv[2]](json.loads(sys.argv[3]))
        print("RESULT " + json.dumps(res, ensure_ascii=False, default=str), flush=True)
        return 0
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", default="10M")
    ap.add_argument("--out", default=str(HERE / "out"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default=",".join(VARIANTS))
    ap.add_argument("--memory-limit", default="1.5GB", help="for kpi_limited and import_limited")
    opts = ap.parse_args()
    out = Path(opts.out).resolve()
    folder = out / "data" / opts.size
    info = gen.manifest(folder)
    args = {
        "db": str(out / "stores" / f"{opts.size}.duckdb"),
        "data": str(folder),
        "shop": info["shop"],
        "month": info["month"],
        "memory_limit": opts.memory_limit,
    }
    path = out / f"experiments-{opts.size}.json"
    results: dict[str, Any] = {"size": opts.size, "variants": {}}
    if path.exists():  # earlier variants are kept, re-measured ones replaced
        results = json.loads(path.read_text())
    results["code"] = child.code_hashes()
    for variant in opts.only.split(","):
        n = 1 if variant == "window_growth" else opts.runs
        runs = []
        for _ in range(n):
            r = _run(variant, args)
            runs.append(r)
            if not r["ok"]:
                break
        good = [r for r in runs if r["ok"]]
        summary: dict[str, Any] = {"runs": runs, "code": child.code_hashes()}
        if good:
            summary["wall_s"] = statistics.median(r["wall_s"] for r in good)
            summary["cpu_s"] = statistics.median(r.get("cpu_s", 0) for r in good)
            summary["peak_rss"] = max(r.get("peak_rss", 0) for r in good)
        results["variants"][variant] = summary
        shown = (
            f"{summary['wall_s']:.2f} s (cpu {summary['cpu_s']:.2f} s), "
            f"peak {summary['peak_rss'] / 1e9:.2f} GB"
            if good
            else runs[-1]["error"][-300:]
        )
        print(f"{opts.size} {variant}: {shown}", flush=True)
        path.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    v = results["variants"]
    if "kpi_as_is" in v and "kpi_fixed_window" in v:
        a = v["kpi_as_is"]["runs"][0].get("digest")
        b = v["kpi_fixed_window"]["runs"][0].get("digest")
        print(f"fixed window gives the same figures: {a == b}")
    if "window_growth" in v:
        print(json.dumps(v["window_growth"]["runs"][0], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
