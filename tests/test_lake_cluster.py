"""The lake job on a real standalone Spark cluster: a master and two workers started from the
pyspark installation, each worker in its own working folder, only the lake (and the output
beside it) shared; the job submitted with spark-submit; one executor killed while the job
runs; its output equal to DuckDB's."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import kefu.lake.job
from kefu.lake.export import export
from kefu.lake.job import TEST_HOLD
from kefu.lake.output import OutputKpis
from kefu.lake.source import LakeStore
from kefu.metrics.engine import StoreKpis

import lakedata

pytestmark = pytest.mark.spark
# two of the three shops (the third's window widens twice, which test_lake_job covers):
# the cluster run stays short
SHOPS = ["s1", "店:2"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def master_json(ui: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5) as r:
        return dict(json.loads(r.read().decode("utf-8")))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("cluster")
    home = spark_home()
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_NO_DAEMONIZE": "1",
        "PYSPARK_PYTHON": sys.executable,
    }
    port, ui = free_port(), free_port()
    procs: list[subprocess.Popen[bytes]] = []
    logs = []

    def start(name: str, args: list[str], folder: Path) -> None:
        folder.mkdir(parents=True)
        log = (base / f"{name}.log").open("wb")
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [str(home / "bin" / "spark-class"), *args],
                cwd=folder,
                env={**env, "SPARK_LOG_DIR": str(folder), "SPARK_LOCAL_DIRS": str(folder / "tmp")},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    start(
        "master",
        [
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            str(ui),
        ],
        base / "master",
    )
    for i in (1, 2):
        work = base / f"worker{i}"
        start(
            f"worker{i}",
            [
                "org.apache.spark.deploy.worker.Worker",
                f"spark://127.0.0.1:{port}",
                "--host",
                "127.0.0.1",
                "--cores",
                "1",
                "--memory",
                "1g",
                "--work-dir",
                str(work / "work"),
                "--webui-port",
                str(free_port()),
            ],
            work,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                state = master_json(ui)
                if sum(w.get("state") == "ALIVE" for w in state.get("workers", [])) == 2:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    "the standalone cluster did not start: "
                    + (base / "master.log").read_text()[-2000:]
                )
            time.sleep(1)
        yield {"base": base, "master": f"spark://127.0.0.1:{port}", "ui": ui, "env": env}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()


def executors(base: Path) -> dict[int, Path]:
    """The executor JVMs of the test's workers: pid → their working folder
    (<worker>/work/<app>/<executor id>)."""
    out = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes()
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:
            continue
        if b"CoarseGrainedExecutorBackend" in cmd and cwd.is_relative_to(base):
            out[int(proc.name)] = cwd
    return out


def kill_an_executor(job: subprocess.Popen[str], hold: Path, base: Path) -> Path:
    """Wait until the job holds after its first step, kill one executor: its folder."""
    deadline = time.monotonic() + 900
    while not (hold / "held").exists():
        assert job.poll() is None, "the job ended before its first step was written"
        assert time.monotonic() < deadline, "the job did not reach its first step"
        time.sleep(0.5)
    while not (found := executors(base)):  # the application's executors, one a worker
        assert time.monotonic() < deadline, "the job has no executor"
        time.sleep(0.5)
    pid, folder = sorted(found.items())[0]
    os.kill(pid, signal.SIGKILL)
    return folder


def wait_for_replacement(killed: Path, base: Path) -> None:
    """The master starts a new executor for the application on the worker that lost one."""
    deadline = time.monotonic() + 300
    while True:
        others = [f for f in executors(base).values() if f.parent == killed.parent and f != killed]
        if others:
            return
        assert time.monotonic() < deadline, "no executor replaced the killed one"
        time.sleep(0.5)


def test_the_job_on_a_standalone_cluster_equals_duckdb(cluster: dict[str, Any]) -> None:
    base: Path = cluster["base"]
    shared = base / "shared"
    shared.mkdir()
    store = lakedata.build(base / "k.duckdb")
    lake, out = shared / "lake", shared / "out"
    export(store, lake)
    driver = base / "driver"
    (driver / "tmp").mkdir(parents=True)
    job = Path(kefu.lake.job.__file__)
    hold = base / "hold"
    hold.mkdir()
    log = (base / "job.log").open("w+", encoding="utf-8")
    proc = subprocess.Popen(
        [
            str(spark_home() / "bin" / "spark-submit"),
            "--master",
            cluster["master"],
            "--conf",
            "spark.executor.memory=512m",
            "--conf",
            "spark.executor.cores=1",
            "--conf",
            "spark.cores.max=2",
            "--conf",
            f"spark.local.dir={driver / 'tmp'}",
            "--driver-memory",
            "1g",
            str(job),
            "--lake",
            str(lake),
            "--shops",
            ",".join(SHOPS),
            "--months",
            "2024-07..2024-09",
            "--output",
            str(out),
        ],
        cwd=driver,
        env={**cluster["env"], "TMPDIR": str(driver / "tmp"), TEST_HOLD: str(hold)},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # a lost executor: once the first step is written, the job waits (a test-only hold);
        # one executor is killed, the master starts another, and the job goes on
        killed = kill_an_executor(proc, hold, base)
        wait_for_replacement(killed, base)
        (hold / "go").write_text("", encoding="utf-8")
        returncode = proc.wait(timeout=1200)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log.seek(0)
    output = log.read()
    log.close()
    assert returncode == 0, output[-4000:]
    # the job logs to its stderr, which spark-submit's Python runner merges into its own
    # output; what the run did is in its report beside the output
    assert "kefu.lake.job" in output
    (report,) = (out / "_kefu_job" / "runs").glob("*.json")
    assert len(json.loads(report.read_text(encoding="utf-8"))["computed"]) == 6
    # the master ran it: the application is in its list, with the workers' executors
    state = master_json(cluster["ui"])
    apps = state.get("completedapps", []) + state.get("activeapps", [])
    assert any(a.get("name") == "kefu lake job" for a in apps), apps
    # executors ran in the workers' own folders
    assert any((base / f"worker{i}" / "work").glob("app-*") for i in (1, 2))
    # nothing was staged on the driver's disk
    assert not list((driver / "tmp").rglob("*.parquet"))
    want = StoreKpis(LakeStore(lake)).compute(SHOPS, lakedata.MONTHS)
    got = OutputKpis(out)
    assert got.shops() == sorted(SHOPS)
    for shop in SHOPS:
        have = got.shop_months(shop, lakedata.MONTHS)
        for m in lakedata.MONTHS:
            assert have[m].to_json() == want[shop][m].to_json(), (shop, m)
