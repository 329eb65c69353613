"""Store files for tests: the released stores of tests/stores/, snapshots, a second process."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from conftest import ROOT

STORES = ROOT / "tests" / "stores"


def released(version: int, folder: Path, name: str = "kefu.duckdb") -> Path:
    """A fresh copy of the store schema `version` wrote (tests/stores/schema-N.duckdb.gz)."""
    target = folder / name
    with gzip.open(STORES / f"schema-{version}.duckdb.gz", "rb") as src, target.open("wb") as out:
        shutil.copyfileobj(src, out)
    return target


def released_versions() -> list[int]:
    return sorted(
        int(p.name.split("-")[1].split(".")[0]) for p in STORES.glob("schema-*.duckdb.gz")
    )


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the DuckDB file at `path`, sorted (opened read-only, raw)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        ]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def definitions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each table's CREATE statement as DuckDB prints it (the schema, compared across files)."""
    rows = con.execute(
        "SELECT table_name, sql FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()
    return {r[0]: r[1] for r in rows}


@contextmanager
def held(path: Path, *, read_only: bool = False) -> Iterator[int]:
    """Another process with the DuckDB file at `path` open (writing, unless read_only) meanwhile."""
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'ro');"
        " print('ready', flush=True); sys.stdin.read()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(path), "ro" if read_only else "rw"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc.pid
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(30)
