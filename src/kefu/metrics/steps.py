"""The metric steps of kpi.sql: parsed once, with the DuckDB text and its Spark transpilation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import sqlglot

_STEP = re.compile(r"^-- step: (\w+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Step:
    name: str
    sql: str  # DuckDB dialect, the text reviewers read

    def for_engine(self, engine: str) -> str:
        if engine == "duckdb":
            return self.sql
        return spark_sql(self.sql)


def _hour_columns() -> str:
    return ",\n       ".join(
        f"SUM(CASE WHEN (s.start_s % 86400) // 3600 = {h} THEN 1 ELSE 0 END) AS h{h:02d}"
        for h in range(24)
    )


@cache
def steps() -> tuple[Step, ...]:
    text = resources.files("kefu.metrics").joinpath("sql/kpi.sql").read_text(encoding="utf-8")
    text = text.replace("{hour_columns}", _hour_columns())
    marks = list(_STEP.finditer(text))
    out = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out.append(Step(m.group(1), text[m.end() : end].strip()))
    return tuple(out)


@cache
def spark_sql(sql: str) -> str:
    """DuckDB SQL as Spark SQL; one statement in, one out (a failure here is a bug of ours)."""
    (out,) = sqlglot.transpile(sql, read="duckdb", write="spark")
    return out
