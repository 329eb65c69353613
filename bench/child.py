"""One measured step of the benchmark, run in a fresh process by bench/run.py.

    python bench/child.py STEP '{"json": "arguments"}'

Prints one line `RESULT {json}` with the step's wall time and the process's peak resident
memory (VmHWM of /proc/self/status: this process's own high-water mark, interpreter and
imports included). Steps:

- import:     kefu's import path (kefu.store.ingest.import_files) of the generated Parquet
              files into a fresh store, in one call, as `kefu import DIR/*.parquet` does;
- bulk:       the import's floor: DuckDB's own bulk insert of the same files into the same
              tables (kefu's DDL, keys included) of a fresh file, `INSERT INTO t SELECT …
              FROM read_parquet(…)` per file, then CHECKPOINT;
- kpi:        StoreKpis(store).shop_months(shop, months) on that store (`months`: the
              latest full month, or all twelve in one call);
- floor:      DuckDB's bare scan-and-sort into a temp table, on a connection with the same
              settings as the KPI step, of the messages the month step reads (`scope`
              "window": month ± attribution_days + 2 days, kefu's message_window) or of
              every message (`scope` "all", the floor of the twelve months);
- pandas:     the independent pandas reference (reference/kefu_reference.py): load the
              Parquet files with pandas, then compute(); only compute() is timed. `scope`
              "window": the messages of the month's window (the rows the engine reads) and
              every order; "all": every message and order;
- profile:    the KPI step with every statement on the store's connection timed (each
              CREATE TEMP TABLE of a kefu.metrics.steps step, the rest grouped).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import gen  # noqa: E402  (bench/ is not a package)


def peak_rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _configure(con: Any, args: dict[str, Any]) -> dict[str, str]:
    """The connection settings of the KPI step, applied before anything runs."""
    if args.get("temp_directory"):
        Path(args["temp_directory"]).mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{args['temp_directory']}'")
    if args.get("memory_limit"):
        con.execute(f"SET memory_limit = '{args['memory_limit']}'")
    got = con.execute(
        "SELECT name, value FROM duckdb_settings() "
        "WHERE name IN ('memory_limit', 'threads', 'temp_directory')"
    ).fetchall()
    return {n: v for n, v in got}


def _ordered_files(folder: Path) -> list[Path]:
    files = gen.files_of(folder)
    return files["agents"] + files["orders"] + files["reviews"] + files["messages"]


def step_import(args: dict[str, Any]) -> dict[str, Any]:
    from kefu.store import ingest, open_store
    from kefu.store.ingest import import_files

    # count the files that took the bulk (DuckDB) path rather than the row reader
    bulk = {"tried": 0, "taken": 0}
    if hasattr(ingest, "try_bulk"):
        real = ingest.try_bulk

        def counted(*a: Any, **kw: Any) -> Any:
            out = real(*a, **kw)
            bulk["tried"] += 1
            bulk["taken"] += out is not None
            return out

        ingest.try_bulk = counted
    db = Path(args["db"])
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    paths = _ordered_files(Path(args["data"]))
    ticks: list[tuple[float, str, int]] = []

    def progress(name: str, done: int, total: int) -> None:
        ticks.append((time.perf_counter(), name, peak_rss_bytes()))

    if args.get("memory_limit"):  # kefu's own knob: open_store applies it (imports included)
        os.environ["KEFU_MEMORY_LIMIT"] = args["memory_limit"]
    t0, c0 = time.perf_counter(), time.process_time()
    store = open_store(db)
    reports = import_files(store, paths, progress=progress)
    store.con.execute("CHECKPOINT")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    errors = [r.error for r in reports if r.error]
    # seconds by table, from the progress calls (each interval is given to the file named
    # at its end), and which reader took each file
    kind_of = {p.name: p.name.split("-")[0].split(".")[0] for p in paths}
    by_kind: dict[str, float] = {}
    # the process's high-water mark when each table was done: where the peak was reached
    hwm_after: dict[str, int] = {}
    prev = t0
    for t, name, hwm in ticks:
        k = kind_of.get(name, "other")
        by_kind[k] = by_kind.get(k, 0.0) + (t - prev)
        hwm_after[k] = max(hwm_after.get(k, 0), hwm)
        prev = t
    by_kind["checkpoint and rest"] = t0 + wall - prev
    formats: dict[str, int] = {}
    for r in reports:
        formats[str(r.format)] = formats.get(str(r.format), 0) + 1
    counts = {t: store.count(t) for t in ("agents", "messages", "orders", "reviews")}
    settings = _configure(store.con, {})
    store.close()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "settings": settings,
        "seconds_by_table": by_kind,
        "peak_rss_after_table": hwm_after,
        "formats": formats,
        "bulk_files": bulk["taken"],
        "peak_rss": peak_rss_bytes(),
        "rows": counts,
        "files": len(paths),
        "errors": errors,
        "quarantined": sum(r.quarantined for r in reports),
        "duplicates": sum(r.duplicates for r in reports),
        "db_bytes": db.stat().st_size,
    }


def _team_digest(sm: Any) -> dict[str, Any]:
    team = dict(sm.team)
    return {
        "agents_listed": len(sm.agents),
        "team": {k: int(v) for k, v in team.items()},
        "silent_orders": sm.silent_orders,
        "silent_sales_fen": sm.silent_sales_fen,
        "unattributable_orders": sm.unattributable_orders,
    }


def step_kpi(args: dict[str, Any]) -> dict[str, Any]:
    if args.get("memory_limit"):
        os.environ["KEFU_MEMORY_LIMIT"] = args["memory_limit"]
    from kefu.metrics.engine import StoreKpis
    from kefu.store import open_store

    store = open_store(args["db"])
    settings = _configure(store.con, {"temp_directory": args.get("temp_directory")})
    months = args.get("months") or [args["month"]]
    t0, c0 = time.perf_counter(), time.process_time()
    out = StoreKpis(store).shop_months(args["shop"], months)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    (read,) = store.con.execute("SELECT sum(n) FROM msg").fetchone() or (0,)
    settings = _configure(store.con, {})
    spilled = _temp_bytes(args.get("temp_directory"))
    digests = {m: _team_digest(out[m]) for m in months}
    store.close()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss": peak_rss_bytes(),
        "settings": settings,
        "months": months,
        "messages_read": read,
        "digest": digests.get(args["month"]),
        "digests": digests,
        "temp_dir_bytes_after": spilled,
    }


def _temp_bytes(folder: str | None) -> int | None:
    if not folder or not Path(folder).exists():
        return None
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def step_floor(args: dict[str, Any]) -> dict[str, Any]:
    from kefu.store import open_store

    store = open_store(args["db"])
    con = store.con
    settings = _configure(con, args)
    where = "TRUE"
    if args.get("scope") == "window":
        lo, hi = month_window(store, args["shop"], args["month"])
        where = f"sent_at >= {lo} AND sent_at < {hi}"
    n = con.execute(f"SELECT count(*) FROM messages WHERE {where}").fetchone()
    t0, c0 = time.perf_counter(), time.process_time()
    con.execute(
        f"CREATE TEMP TABLE s AS SELECT * FROM messages WHERE {where} "
        "ORDER BY shop_id, buyer_id, agent_id, sent_at"
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    store.close()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss": peak_rss_bytes(),
        "settings": settings,
        "scope": args.get("scope", "all"),
        "where": where,
        "rows": n[0] if n else 0,
    }


def month_window(store: Any, shop: str, month: str) -> tuple[str, str]:
    """The messages the engine reads for `month` (its first window), as SQL timestamps."""
    from kefu.metrics.engine import StoreKpis, _ts, message_window
    from kefu.store.database import sql_text

    store.con.execute(
        "CREATE OR REPLACE TEMP VIEW in_orders_all AS SELECT * FROM orders "
        f"WHERE shop_id = {sql_text(shop)}"
    )
    settings = {shop: StoreKpis(store).settings(shop)}
    lo, hi = message_window(store.con, settings, [month])
    return _ts(lo), _ts(hi)


def step_bulk(args: dict[str, Any]) -> dict[str, Any]:
    """DuckDB's own bulk insert of the same files into the same tables: the import's floor."""
    import duckdb

    from kefu.store.schema import COLUMNS, DDL

    db = Path(str(args["db"]).replace(".duckdb", ".bulk.duckdb"))
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    paths = _ordered_files(Path(args["data"]))
    t0, c0 = time.perf_counter(), time.process_time()
    con = duckdb.connect(str(db))
    if args.get("memory_limit"):
        con.execute(f"SET memory_limit = '{args['memory_limit']}'")
    for stmt in DDL:
        con.execute(stmt)
    for path in paths:
        kind = path.name.split("-")[0].split(".")[0]
        src = f"read_parquet('{path}')"
        have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        cols = [c for c in COLUMNS[kind] if c in have]
        con.execute(f"INSERT INTO {kind} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM {src}")
    con.execute("CHECKPOINT")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COLUMNS}  # type: ignore[index]
    con.close()
    size = db.stat().st_size
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss": peak_rss_bytes(),
        "rows": rows,
        "files": len(paths),
        "db_bytes": size,
    }


def step_pandas(args: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    sys.path.insert(0, str(ROOT / "reference"))
    import kefu_reference  # type: ignore[import-not-found]

    files = gen.files_of(Path(args["data"]))
    window = None
    if args.get("scope") == "window" and args.get("window"):  # given: the store may be busy
        window = (pd.Timestamp(args["window"][0]), pd.Timestamp(args["window"][1]))
    elif args.get("scope") == "window":
        from kefu.store import open_store

        store = open_store(args["db"], read_only=True)
        lo, hi = month_window(store, args["shop"], args["month"])
        store.close()
        window = (pd.Timestamp(lo.split("'")[1]), pd.Timestamp(hi.split("'")[1]))
    t0 = time.perf_counter()
    frames = {
        k: pd.concat([pd.read_parquet(p) for p in ps], ignore_index=True) for k, ps in files.items()
    }
    if window:
        sent = frames["messages"]["sent_at"]
        frames["messages"] = frames["messages"][(sent >= window[0]) & (sent < window[1])]
        frames["messages"] = frames["messages"].reset_index(drop=True)
    load = time.perf_counter() - t0
    t1, c1 = time.perf_counter(), time.process_time()
    result = kefu_reference.compute(
        frames["agents"], frames["messages"], frames["orders"], frames["reviews"]
    )
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1

    def digest(m: str) -> dict[str, Any]:
        month = result.get((args["shop"], m), {})
        team = month.get("team", {})
        return {
            "agents_listed": len(month.get("agents", {})),
            "team": {k: int(team[k]) for k in kefu_reference.PART_FIELDS if k in team},
            "silent_orders": month.get("silent_orders"),
            "silent_sales_fen": month.get("silent_sales_fen"),
            "unattributable_orders": month.get("unattributable_orders"),
        }

    months = [args["month"]] if window else (args.get("months") or [args["month"]])
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "load_s": load,
        "peak_rss": peak_rss_bytes(),
        "scope": args.get("scope", "all"),
        "messages": len(frames["messages"]),
        "digest": digest(args["month"]),
        "digests": {m: digest(m) for m in months},
        "months_computed": len(result),
    }


class _TimedConnection:
    """The store's connection, timing every statement the engine executes on it."""

    _CREATE = re.compile(
        r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+(TABLE|VIEW)\s+(\w+)", re.I
    )

    def __init__(self, con: Any) -> None:
        self._con = con
        self.log: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, sql: str, *args: Any, **kw: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        out = self._con.execute(sql, *args, **kw)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        m = self._CREATE.match(sql)
        entry: dict[str, Any] = {"s": dt, "cpu_s": dc, "rss": _rss()}
        if m and m.group(1).upper() == "TABLE":
            name = m.group(2)
            row = self._con.execute(f"SELECT count(*) FROM {name}").fetchone()
            entry.update(step=name, rows=row[0] if row else 0)
        else:
            entry.update(step=None, sql=" ".join(sql.split())[:90], rows=None)
        self.log.append(entry)
        return out

    def executemany(self, sql: str, *args: Any, **kw: Any) -> Any:
        return self._con.executemany(sql, *args, **kw)


def step_profile(args: dict[str, Any]) -> dict[str, Any]:
    """The KPI step as the engine runs it, with every statement on its connection timed.

    The store's connection is wrapped, so whatever the engine does (its time window, its
    retries, reading the results) is what is timed; each `CREATE TEMP TABLE <step>` is one
    step of kefu.metrics.steps.
    """
    if args.get("memory_limit"):
        os.environ["KEFU_MEMORY_LIMIT"] = args["memory_limit"]
    from kefu.metrics.engine import StoreKpis
    from kefu.metrics.steps import steps
    from kefu.store import open_store

    store = open_store(args["db"])
    settings = _configure(store.con, {"temp_directory": args.get("temp_directory")})
    timed = _TimedConnection(store.con)
    store.con = timed  # type: ignore[assignment]
    t0, c0 = time.perf_counter(), time.process_time()
    StoreKpis(store).shop_months(args["shop"], args.get("months") or [args["month"]])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    store.con = timed._con
    settings = _configure(store.con, {})
    names = {st.name for st in steps()}
    by_step: dict[str, dict[str, Any]] = {}
    for e in timed.log:
        key = e["step"] if e["step"] in names else "other statements"
        agg = by_step.setdefault(key, {"step": key, "s": 0.0, "cpu_s": 0.0, "rows": None, "n": 0})
        agg["s"] += e["s"]
        agg["cpu_s"] += e["cpu_s"]
        agg["n"] += 1
        if e["rows"] is not None:
            agg["rows"] = e["rows"]
    sql_total = sum(e["s"] for e in timed.log)
    by_step["python (outside SQL)"] = {
        "step": "python (outside SQL)",
        "s": max(0.0, wall - sql_total),
        "cpu_s": None,
        "rows": None,
        "n": 0,
    }
    others = sorted((e for e in timed.log if e["step"] not in names), key=lambda e: -e["s"])[:8]
    store.close()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "steps": list(by_step.values()),
        "passes": sum(1 for e in timed.log if e["step"] == "msg"),
        "slowest_other_statements": others,
        "peak_rss": peak_rss_bytes(),
        "settings": settings,
    }


STEPS = {
    "import": step_import,
    "bulk": step_bulk,
    "kpi": step_kpi,
    "floor": step_floor,
    "pandas": step_pandas,
    "profile": step_profile,
}


def code_hashes() -> dict[str, str | None]:
    """Hashes of the files under test as this process started (others edit them too)."""
    out: dict[str, str | None] = {}
    for rel in CODE_FILES:
        p = ROOT / rel
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()[:12] if p.exists() else None
    return out


CODE_FILES = (
    "src/kefu/metrics/sql/kpi.sql",
    "src/kefu/metrics/engine.py",
    "src/kefu/metrics/steps.py",
    "src/kefu/store/ingest.py",
    "src/kefu/store/database.py",
    "src/kefu/io/canonical.py",
    "src/kefu/io/reader.py",
    "src/kefu/io/tabular.py",
    "reference/kefu_reference.py",
)


def main() -> None:
    name, raw = sys.argv[1], sys.argv[2]
    code = code_hashes()
    result = STEPS[name](json.loads(raw))
    result["code"] = code
    print("RESULT " + json.dumps(result, ensure_ascii=False, default=str), flush=True)


if __name__ == "__main__":
    main()
