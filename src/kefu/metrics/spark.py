"""The distributed path: the same kpi.sql steps, transpiled by sqlglot, on a Spark session.

Locally this starts `local[2]`; on a cluster, set KEFU_SPARK_MASTER, or run under
spark-submit, whose master and settings are then kept as they are. The inputs are the same
prepared views the DuckDB runner reads, handed to Spark as Parquet files. `run_steps` is
the one place the steps run on Spark, for this runner and for the lake job (kefu.lake.job).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import duckdb

from kefu.metrics.steps import spark_sql, steps

INPUTS = (
    "in_agents",
    "in_messages",
    "in_orders",
    "in_reviews",
    "in_order_items",
    "in_service_evals",
    "cfg",
    "ignored",
    "req_months",
)


def under_spark_submit() -> bool:
    """True when this Python process was started by spark-submit (or pyspark's own launcher
    was given a master): the master and resources are then the submitter's to choose."""
    return "PYSPARK_GATEWAY_PORT" in os.environ or "--master" in os.environ.get(
        "PYSPARK_SUBMIT_ARGS", ""
    )


@cache
def spark_session() -> Any:
    """One Spark session per process (the test suite shares it).

    Under spark-submit nothing the submitter set is overridden: no master, memory or
    partition count is chosen here, only the SQL settings kefu's results depend on.
    """
    from pyspark.sql import SparkSession

    if under_spark_submit():
        session = SparkSession.builder.appName("kefu").getOrCreate()
        semantic_settings(session)
        return session
    master = os.environ.get("KEFU_SPARK_MASTER", "local[2]")
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    builder = (
        SparkSession.builder.appName("kefu")
        .master(master)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("KEFU_SPARK_PARTITIONS", "2"))
        .config("spark.driver.memory", os.environ.get("KEFU_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
        .config("spark.driver.extraJavaOptions", "-Dderby.system.home=" + tempfile.gettempdir())
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def semantic_settings(session: Any) -> None:
    """The SQL settings kefu's figures depend on (times are naive local times, read as such)."""
    session.conf.set("spark.sql.session.timeZone", "UTC")
    session.conf.set("spark.sql.parquet.inferTimestampNTZ.enabled", "true")


def run_steps(spark: Any, keep: Callable[[Any], Any]) -> dict[str, Any]:
    """Run every kpi.sql step, transpiled, on the temp views the inputs were registered as.

    `keep` materialises a step (the local runner: `localCheckpoint`; the lake job: a cache
    that Spark can recompute from the lake when an executor is lost); each step becomes a
    temp view named after it, so later steps plan against it, not against the whole chain.
    """
    frames: dict[str, Any] = {}
    for step in steps():
        df = keep(spark.sql(step.for_engine("spark")))
        df.createOrReplaceTempView(step.name)
        frames[step.name] = df
    return frames


class SparkRunner:
    """Runs every step as a cached Spark temp view."""

    engine = "spark"

    def __init__(self) -> None:
        self._frames: dict[str, Any] = {}
        self._dir: str | None = None

    def run(self, con: duckdb.DuckDBPyConnection, shops: Sequence[str]) -> None:
        spark = spark_session()
        self.close()
        self._dir = tempfile.mkdtemp(prefix="kefu-spark-")
        for name in INPUTS:
            path = os.path.join(self._dir, f"{name}.parquet")
            con.execute(f"COPY (SELECT * FROM {name}) TO '{path}' (FORMAT parquet)")
            spark.read.parquet(path).createOrReplaceTempView(name)
        # the inputs are copies in a local folder: checkpointing on the executors is safe
        self._frames = run_steps(spark, lambda df: df.localCheckpoint(eager=True))

    def rows(self, name: str) -> list[dict[str, Any]]:
        return [r.asDict() for r in self._frames[name].collect()]

    def query(self, sql: str) -> list[dict[str, Any]]:
        return [r.asDict() for r in spark_session().sql(spark_sql(sql)).collect()]

    def close(self) -> None:
        for df in self._frames.values():
            df.unpersist()
        self._frames.clear()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
