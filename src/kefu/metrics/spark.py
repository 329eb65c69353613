"""The distributed path: the same kpi.sql steps, transpiled by sqlglot, on a Spark session.

Locally this starts `local[2]`; on a cluster, set KEFU_SPARK_MASTER (or run under
spark-submit, which sets the master). The inputs are the same prepared views the DuckDB
runner reads, handed to Spark as Parquet files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
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
    "cfg",
    "ignored",
    "req_months",
)


@cache
def spark_session() -> Any:
    """One Spark session per process (the test suite shares it)."""
    from pyspark.sql import SparkSession

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
        for step in steps():
            # materialise each step and cut its lineage: later steps plan against a table, not
            # against the whole chain (which made Spark's plans explode in size)
            df = spark.sql(step.for_engine("spark")).localCheckpoint(eager=True)
            df.createOrReplaceTempView(step.name)
            self._frames[step.name] = df

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
