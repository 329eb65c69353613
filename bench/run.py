"""kefu's benchmark: `make bench` (or `.venv/bin/python bench/run.py --sizes 1M,10M,50M`).

For each size it generates a synthetic shop (bench/gen.py, cached in OUT/data/<size>/), then
measures, each in a fresh process (bench/child.py) so that peak memory is the step's own,
every step of kefu next to the floor of the same work (issue #14: like with like):

  import      the Parquet files into a fresh store through kefu.store.ingest.import_files
  bulk        its floor: DuckDB's own INSERT … SELECT FROM read_parquet of the same files
  kpi         StoreKpis(store).shop_months(shop, [latest full month])
  floor       its floor: scan-and-sort of the messages that month's step reads (its window)
  pandas      the pandas reference on the same window of messages (1M and 10M only)
  kpi_all     the twelve months in one call
  floor_all   its floor: scan-and-sort of every message
  pandas_all  the pandas reference on every message (1M and 10M only)
  profile     the KPI step again with every SQL statement timed (one month; profile_all:
              the twelve months), one run each

Median of 3 runs at 1M and 10M, one run at 50M. Nothing sets a memory limit unless
--memory-limit is given (then at 50M only, as KEFU_MEMORY_LIMIT). Results go to
OUT/results.json (merged with earlier sizes), a table is printed, and the figures section
of docs/performance.md (between its bench markers) is rewritten.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import child  # noqa: E402
import gen  # noqa: E402
import report  # noqa: E402

PANDAS_SIZES = {"100k", "1M", "10M"}
SINGLE_RUN_SIZES = {"50M"}
SPILL_SIZES = {"50M"}
RSS_GUARD = 0  # bytes: a child growing past this is stopped (--rss-guard)
WAIT_QUIET = 0.0  # seconds to wait for a quiet machine before each step (--wait-quiet)


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", flush=True)


# -- machine ----------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> dict[str, Any]:
    import duckdb
    import numpy
    import pandas
    import pyarrow

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "memory_bytes": mem_kb * 1024,
        "cpu_model": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "numpy": numpy.__version__,
    }


def code_versions() -> dict[str, str | None]:
    """What exactly was measured: hashes of the files under test (others edit them too)."""
    out: dict[str, str | None] = {}
    for rel in child.CODE_FILES:
        p = ROOT / rel
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()[:12] if p.exists() else None
    try:  # a worktree's .git is a file: ask git
        got = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        out["git_head"] = got.stdout.strip()[:12] or None
    except (OSError, subprocess.CalledProcessError):
        out["git_head"] = None
    return out


# -- running one step in a fresh process -------------------------------------------------


def _vm(pid: int, key: str) -> int:
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    parts = _read("/proc/stat").splitlines()[0].split()[1:]
    vals = [int(x) for x in parts[:8]]
    idle = vals[3] + vals[4]
    return sum(vals) - idle, sum(vals)


def busy_share(seconds: float = 1.0) -> float:
    """Share of all CPUs busy over the next `seconds` (what others run on the machine)."""
    b0, t0 = _cpu_jiffies()
    time.sleep(seconds)
    b1, t1 = _cpu_jiffies()
    return (b1 - b0) / max(1, t1 - t0)


def wait_quiet(max_wait: float, threshold: float = 0.3) -> float:
    """Wait (up to max_wait seconds) until the machine is mostly idle; the busy share seen."""
    start = time.perf_counter()
    share = busy_share()
    while share > threshold and time.perf_counter() - start < max_wait:
        time.sleep(4)
        share = busy_share()
    return share


def run_child(step: str, args: dict[str, Any], log_file: Path) -> dict[str, Any]:
    """Run bench/child.py STEP in a fresh interpreter; its result, or how it failed.

    The parent polls the child's VmHWM too, so that a child killed for memory still has a
    peak to report.
    """
    cmd = [sys.executable, str(HERE / "child.py"), step, json.dumps(args, ensure_ascii=False)]
    load = os.getloadavg()[0]
    quiet = wait_quiet(WAIT_QUIET)
    jb0, jt0 = _cpu_jiffies()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with log_file.open("a") as err:
        err.write(f"\n== {datetime.now().isoformat(timespec='seconds')} {step} {args}\n")
        err.flush()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT)
        peak, guarded = 0, False
        while proc.poll() is None:
            peak = max(peak, _vm(proc.pid, "VmHWM"))
            if RSS_GUARD and _vm(proc.pid, "VmRSS") > RSS_GUARD:
                proc.kill()  # the machine is shared: never let the OOM killer choose
                guarded = True
            time.sleep(0.2)
        out = proc.stdout.read() if proc.stdout else ""
    elapsed = time.perf_counter() - t0
    jb1, jt1 = _cpu_jiffies()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    hz = os.sysconf("SC_CLK_TCK")
    ncpu = len(os.sched_getaffinity(0))
    # CPU the rest of the machine used while the step ran, as a share of all its CPUs
    others = max(0.0, ((jb1 - jb0) / hz - child_cpu) / max(1e-9, elapsed * ncpu))
    contention = {
        "loadavg_before": load,
        "busy_before": round(quiet, 3),
        "others_busy_share": round(others, 3),
        "child_maxrss_rusage": ru1.ru_maxrss * 1024,
    }
    del jt0, jt1
    line = next((x for x in reversed(out.splitlines()) if x.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        why = (
            f"killed by the bench at {RSS_GUARD / 1e9:.0f} GB resident (--rss-guard)"
            if guarded
            else f"exit {proc.returncode}"
        )
        return {
            "ok": False,
            "returncode": proc.returncode,
            "killed_by_guard": guarded,
            "error": f"{why} after {elapsed:.1f} s (see {log_file})",
            "peak_rss_polled": peak,
            **contention,
        }
    result = json.loads(line[len("RESULT ") :])
    result.update(ok=True, process_s=elapsed, peak_rss_polled=peak, **contention)
    return result


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    good = [r for r in runs if r.get("ok")]
    out: dict[str, Any] = {"runs": runs, "n_runs": len(runs), "ok": len(good) == len(runs)}
    if good:
        out["wall_s"] = statistics.median(r["wall_s"] for r in good)
        out["cpu_s"] = statistics.median(r.get("cpu_s", 0) for r in good)
        out["peak_rss"] = max(r.get("peak_rss", 0) for r in good)
    else:
        out["peak_rss"] = max((r.get("peak_rss_polled", 0) for r in runs), default=0)
    out["others_busy_share_max"] = max((r.get("others_busy_share", 0) for r in runs), default=0)
    codes = {json.dumps(r.get("code"), sort_keys=True) for r in runs if r.get("code")}
    out["code_changed_between_runs"] = len(codes) > 1
    return out


# -- one size ---------------------------------------------------------------------------


STEP_NAMES = (
    "import",
    "bulk",
    "kpi",
    "floor",
    "pandas",
    "kpi_all",
    "floor_all",
    "pandas_all",
    "profile",
    "profile_all",
)


def bench_size(
    size: str, out: Path, opts: argparse.Namespace, save: Any, earlier: dict[str, Any]
) -> dict[str, Any]:
    folder = gen.generate(size, out, log=log)
    info = gen.manifest(folder)
    runs = 1 if (size in SINGLE_RUN_SIZES or opts.quick) else opts.runs
    spill = size in SPILL_SIZES
    db = out / "stores" / f"{size}.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    log_file = out / "logs" / f"{size}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {
        "messages": info["messages"],
        "orders": info["orders"],
        "agents": info["agents"],
        "month": info["month"],
        "shop": info["shop"],
        "runs": runs,
        "data": {"folder": str(folder), "manifest": info},
        "when": datetime.now().isoformat(timespec="seconds"),
        "code": code_versions(),
    }
    # steps not measured this time keep their figures of the last run that measured them
    # (--steps), each with its own run count and code hashes
    kept = [n for n in STEP_NAMES if n in earlier and n not in opts.steps.split(",")]
    for name in kept:
        res[name] = {
            **earlier[name],
            "kept_from": earlier[name].get("kept_from") or earlier.get("when"),
        }
    common = {"shop": info["shop"], "month": info["month"], "db": str(db), "data": str(folder)}
    kpi_settings: dict[str, Any] = {}
    if spill and opts.memory_limit:
        kpi_settings = {
            "memory_limit": opts.memory_limit,
            "temp_directory": str(out / "tmp" / size),
        }
    res["kpi_settings"] = kpi_settings
    # KEFU_MEMORY_LIMIT caps the import too (open_store applies it): same limit at 50M
    import_settings = {"memory_limit": opts.memory_limit} if spill and opts.memory_limit else {}
    res["import_settings"] = import_settings

    def one(
        step: str, i: int, n: int, extra: dict[str, Any], label: str | None = None
    ) -> dict[str, Any]:
        step_label = label or step
        log(f"{size} {step_label} run {i + 1}/{n} …")
        r = run_child(step, {**common, **extra}, log_file)
        shown = (
            f"{r['wall_s']:.2f} s (cpu {r.get('cpu_s', 0):.2f} s), peak {r['peak_rss'] / 1e9:.2f} GB"
            if r.get("ok")
            else r["error"]
        )
        log(f"{size} {step_label} run {i + 1}/{n}: {shown}")
        return r

    def measure(step: str, n: int, extra: dict[str, Any]) -> dict[str, Any]:
        rs: list[dict[str, Any]] = []
        for i in range(n):
            rs.append(one(step, i, n, extra))
            if not rs[-1].get("ok"):
                break
        return summarise(rs)

    stamp = db.with_suffix(".imported.json")
    stored = db.exists() and stamp.exists()
    stored = stored and json.loads(stamp.read_text()).get("gen_version") == gen.GEN_VERSION
    import_wanted = "import" in opts.steps.split(",")
    if "import" in kept and stored:
        log(f"{size} import: keeping the store and figures of an earlier run (--steps)")
    elif stored and (opts.reuse_store or not import_wanted):
        res["import"] = json.loads(stamp.read_text())["import"]
        res["import"]["reused"] = True
        log(f"{size} import: reusing {db} (measured before)")
    else:
        stamp.unlink(missing_ok=True)
        res["import"] = measure("import", runs, import_settings)
        if res["import"]["ok"]:
            stamp.write_text(
                json.dumps({"gen_version": gen.GEN_VERSION, "import": res["import"]}, default=str)
            )
    save(size, res)
    if not res["import"]["ok"]:
        log(f"{size}: the import failed; no store to compute on")
        return res
    wanted = [x for x in opts.steps.split(",") if x]
    months = {"months": list(gen.MONTHS)}
    # Like with like (issue #14): each timed step with the floor of the same work.
    plan: dict[str, tuple[str, dict[str, Any]]] = {
        "bulk": ("bulk", import_settings),
        "kpi": ("kpi", kpi_settings),
        "floor": ("floor", {**kpi_settings, "scope": "window"}),
        "pandas": ("pandas", {"scope": "window"}),
        "kpi_all": ("kpi", {**kpi_settings, **months}),
        "floor_all": ("floor", {**kpi_settings, "scope": "all"}),
        "pandas_all": ("pandas", {"scope": "all", **months}),
    }
    timed = [x for x in plan if x in wanted]
    if size not in PANDAS_SIZES:
        timed = [x for x in timed if not x.startswith("pandas")]
    # runs interleaved (kpi, floor, pandas, kpi, …) so that a busy spell of the machine
    # falls on every step alike
    collected: dict[str, list[dict[str, Any]]] = {x: [] for x in timed}
    for i in range(runs):
        for name in timed:
            if collected[name] and not collected[name][-1].get("ok"):
                continue
            step, extra = plan[name]
            collected[name].append(one(step, i, runs, extra, label=name))
            res[name] = summarise(collected[name])
            save(size, res)
    for name, extra in (("profile", {}), ("profile_all", months)):
        if name in wanted:
            res[name] = summarise([one("profile", 0, 1, {**kpi_settings, **extra}, label=name)])
            save(size, res)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="1M,10M,50M", help="comma-separated: 1M,10M,50M (100k too)")
    ap.add_argument("--out", default=str(HERE / "out"), help="data, stores and results.json")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="one run of each step, docs untouched (100k unless --sizes is given)",
    )
    ap.add_argument("--runs", type=int, default=3, help="runs a timed step at 1M and 10M (median)")
    ap.add_argument(
        "--memory-limit",
        default="",
        help="KEFU_MEMORY_LIMIT of the 50M steps (default: none, DuckDB's own default)",
    )
    ap.add_argument(
        "--steps",
        default=",".join(STEP_NAMES),
        help="which steps to measure (the others keep the figures of the last run that "
        "measured them, if any)",
    )
    ap.add_argument(
        "--reuse-store",
        action="store_true",
        help="keep a store imported by an earlier run (its import figures are kept too)",
    )
    ap.add_argument("--docs", default=str(ROOT / "docs" / "performance.md"))
    ap.add_argument("--no-docs", action="store_true", help="do not touch docs/performance.md")
    ap.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="before each step, wait up to this many seconds for the other processes "
        "of the machine to use < 30 %% of its CPUs (the share is recorded either way)",
    )
    ap.add_argument(
        "--rss-guard",
        type=float,
        default=16.0,
        help="GB: stop a step whose process grows past this (0: never); default 16",
    )
    opts = ap.parse_args(argv)
    global WAIT_QUIET, RSS_GUARD
    WAIT_QUIET = opts.wait_quiet
    RSS_GUARD = int(opts.rss_guard * 1e9)
    sizes = [s.strip() for s in opts.sizes.split(",") if s.strip()]
    if opts.quick and "--sizes" not in " ".join(argv if argv is not None else sys.argv[1:]):
        sizes = ["100k"]
    unknown = [s for s in sizes if s not in gen.SIZES]
    if unknown:
        ap.error(f"unknown size(s) {unknown}; known: {', '.join(gen.SIZES)}")
    out = Path(opts.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.json"
    results: dict[str, Any] = {}
    if results_path.exists():
        try:
            results = json.loads(results_path.read_text())
        except ValueError:
            results = {}
    results.setdefault("sizes", {})
    results["machine"] = machine()
    command = " ".join([".venv/bin/python", "bench/run.py", *(argv or sys.argv[1:])])
    results.setdefault("commands", {})

    def save(size: str, res: dict[str, Any]) -> None:
        results["sizes"][size] = res
        results["commands"][size] = command
        results["targets"] = report.targets(results)
        results_path.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))

    log(f"kefu bench: sizes {', '.join(sizes)} → {out}")
    for size in sizes:
        bench_size(size, out, opts, save, results["sizes"].get(size) or {})
    print()
    print(report.table(results))
    print()
    print(report.targets_text(results))
    if not opts.no_docs and not opts.quick:
        report.update_docs(Path(opts.docs), results)
        log(f"updated {opts.docs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
