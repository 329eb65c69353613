"""The lake benchmark: 1,000 synthetic shops, one month, the Spark job against DuckDB on one lake.

    .venv/bin/python bench/lake.py --messages 1M            # generate, export, DuckDB, job
    .venv/bin/python bench/lake.py --messages 10M --shops 1000 --out bench/out/lake

Steps, each in its own process (wall seconds; CPU seconds from getrusage of the waited
children; peak memory sampled from /proc every 0.2 s over the step's whole process tree,
each process's resident high-water mark VmHWM, so the JVM that pyspark's launcher starts is
seen: the job's figures are given for the Python driver and the JVM apart, the JVM being
driver and executors at once in local mode):

- generate: a store of `--shops` shops, December 2025 plus three days either side, with
  sessions of 8 alternating buyer/agent messages 20-50 s apart, five agents a shop, 30 % of
  sessions followed by a paid order an hour later (vectorised DuckDB SQL, not timed);
- export:   `kefu lake export` of that store;
- duckdb:   StoreKpis(LakeStore(lake)).compute(every shop, ["2025-12"]): DuckDB on the lake;
- job:      `python -m kefu.lake.job --lake … --shops all --months 2025-12` on local[2]
            (a fresh output folder each run); its run report gives the time of each step.

Results go to OUT/results.json; docs/performance.md quotes them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable


def size(text: str) -> int:
    text = text.upper()
    mult = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * mult)


def generate(db: Path, messages: int, shops: int) -> None:
    from kefu.store import open_store

    sessions = messages // 8
    with open_store(db) as store:
        con = store.con
        con.execute(
            f"""CREATE TEMP TABLE g AS SELECT i AS sid, i % {shops} AS shop_no,
                hash(i) % 5 AS agent_no, hash(i * 7 + 1) % 3000 AS buyer_no,
                TIMESTAMP '2025-11-28' + to_seconds(CAST(hash(i * 13 + 2) % (37 * 86400) AS BIGINT)) AS t0
              FROM range({sessions}) t(i)"""
        )
        con.execute(
            f"""INSERT INTO agents SELECT 'shop' || lpad(CAST(s AS VARCHAR), 4, '0'),
                'shop' || lpad(CAST(s AS VARCHAR), 4, '0') || ':a' || a, 'a' || a,
                CASE WHEN a = 4 THEN 'aftersale' ELSE 'presale' END, NULL, DATE '2025-01-01', NULL
              FROM range({shops}) x(s), range(5) y(a)"""
        )
        con.execute(
            """INSERT INTO messages SELECT 'shop' || lpad(CAST(shop_no AS VARCHAR), 4, '0'),
                'b' || buyer_no, 'shop' || lpad(CAST(shop_no AS VARCHAR), 4, '0') || ':a' || agent_no,
                t0 + to_seconds(CAST(k * 35 + hash(sid * 8 + k) % 15 AS BIGINT)),
                CASE WHEN k % 2 = 0 THEN 'buyer' ELSE 'agent' END,
                CASE WHEN k % 2 = 0 THEN '在吗，有货吗' ELSE '亲，有的' END,
                CASE WHEN k % 2 = 0 THEN 6 ELSE 4 END
              FROM g, range(8) r(k)"""
        )
        con.execute(
            """INSERT INTO orders SELECT 'shop' || lpad(CAST(shop_no AS VARCHAR), 4, '0'),
                'o' || sid, 'b' || buyer_no, t0 + INTERVAL 1 HOUR, t0 + INTERVAL 65 MINUTE,
                1000 + hash(sid) % 20000, 1, 0, NULL, NULL
              FROM g WHERE hash(sid * 3) % 10 < 3"""
        )
        con.execute("CHECKPOINT")


def _status(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except OSError:
        return {}


def _tree(root: int) -> list[int]:
    """`root` and every process descending from it (from /proc/*/stat's parent ids)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


class TreePeaks:
    """Each process's peak resident memory (VmHWM, kB), sampled over a process tree."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_kb: dict[int, int] = {}
        self.name: dict[int, str] = {}
        self.total_kb = 0  # the largest sum of resident memory (VmRSS) seen at one time
        self.cpu_ticks: dict[int, int] = {}  # utime + stime, last seen (a JVM is not waited for)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = 0
            for pid in _tree(self.root):
                st = _status(pid)
                if "VmHWM" not in st:
                    continue
                hwm = int(st["VmHWM"].split()[0])
                now += int(st.get("VmRSS", "0 kB").split()[0])
                self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), hwm)
                self.name[pid] = st.get("Name", "?")
                try:
                    with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    self.cpu_ticks[pid] = int(fields[11]) + int(fields[12])
                except (OSError, IndexError, ValueError):
                    pass
            self.total_kb = max(self.total_kb, now)
            self._stop.wait(0.2)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        gb = 1024 * 1024

        def peak(names: tuple[str, ...]) -> float:
            kb = [v for p, v in self.peak_kb.items() if self.name[p].startswith(names)]
            return round(max(kb, default=0) / gb, 2)

        tick = os.sysconf("SC_CLK_TCK")
        jvm_cpu = sum(v for p, v in self.cpu_ticks.items() if self.name[p].startswith("java"))
        return {
            "cpu_jvm_s": round(jvm_cpu / tick, 1),
            "peak_python_gb": peak(("python", "kefu")),
            "peak_jvm_gb": peak(("java",)),
            "peak_tree_gb": round(self.total_kb / gb, 2),
        }


def measured(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peaks = TreePeaks(proc.pid)
    stdout, stderr = proc.communicate()
    wall = time.monotonic() - t0
    memory = peaks.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{stderr[-3000:]}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2),
        **memory,
        "load_avg": [round(x, 1) for x in os.getloadavg()],
        "stdout": stdout,
    }


DUCKDB = """
import sys, time
from pathlib import Path
from kefu.lake.source import LakeStore
from kefu.metrics.engine import StoreKpis
lake = LakeStore(Path(sys.argv[1]))
t = time.monotonic()
out = StoreKpis(lake).compute(lake.shops(), ["2025-12"])
print(round(time.monotonic() - t, 2), sum(len(m["2025-12"].agents) for m in out.values()))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", default="1M")
    ap.add_argument("--shops", type=int, default=1000)
    ap.add_argument("--out", default=str(HERE / "out" / "lake"))
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    n = size(args.messages)
    out = Path(args.out) / args.messages
    out.mkdir(parents=True, exist_ok=True)
    db, lake = out / "store.duckdb", out / "lake"
    if not db.exists():
        generate(db, n, args.shops)
    results: dict[str, Any] = {"messages": n, "shops": args.shops, "runs": []}
    kefu = str(Path(PY).parent / "kefu")
    shutil.rmtree(lake, ignore_errors=True)
    results["export"] = measured([kefu, "lake", "export", "--store", str(db), "--to", str(lake)])
    for _ in range(args.runs):
        duck = measured([PY, "-c", DUCKDB, str(lake)])
        duck["compute_s"], duck["agent_months"] = (
            duck.pop("stdout").strip().splitlines()[-1].split()
        )
        target = out / "job-out"
        shutil.rmtree(target, ignore_errors=True)
        job = measured(
            [
                PY,
                "-m",
                "kefu.lake.job",
                "--lake",
                str(lake),
                "--shops",
                "all",
                "--months",
                "2025-12",
                "--output",
                str(target),
            ],
            env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
        )
        job.pop("stdout")
        (report,) = (target / "_kefu_job" / "runs").glob("*.json")
        job["report"] = json.loads(report.read_text(encoding="utf-8"))
        (
            job["report"].pop("computed"),
            job["report"].pop("unchanged"),
            job["report"].pop("messages_read"),
        )
        results["runs"].append({"duckdb": duck, "job": job})
        print(json.dumps(results["runs"][-1], indent=1), flush=True)
    results["export"].pop("stdout")
    results["load_avg"] = os.getloadavg()
    (out / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(json.dumps(results["export"]))


if __name__ == "__main__":
    main()
