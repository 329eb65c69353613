"""docs/store.md's commands run as shown, and the released-store script makes today's schema."""

from __future__ import annotations

import gzip
import re
import shlex
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import ROOT
from kefu.cli.main import app
from kefu.store.schema import SCHEMA_VERSION
from storefiles import STORES, definitions, released

DOC = ROOT / "docs" / "store.md"


def shown_commands() -> list[str]:
    """Every line of docs/store.md's plain code blocks that runs kefu (comments cut)."""
    blocks = re.findall(r"```\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if re.match(r"(\w+=\S+ )*kefu ", line)]


def test_the_docs_show_backup_restore_and_the_memory_limit() -> None:
    shown = " ".join(shown_commands())
    assert "kefu backup" in shown and "kefu restore" in shown and "KEFU_MEMORY_LIMIT" in shown


def test_every_command_in_the_store_docs_runs_as_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    released(SCHEMA_VERSION, tmp_path)  # ./kefu.duckdb, the store the docs speak of
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KEFU_DB", raising=False)
    for line in shown_commands():
        words = shlex.split(line)
        env = {}
        while "=" in words[0]:
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        assert words[0] == "kefu"
        result = CliRunner().invoke(app, words[1:], env=env)
        assert result.exit_code == 0, (line, result.output)
    assert [p.name for p in tmp_path.glob("kefu.duckdb.*.bak")]  # the restore moved it aside


def test_make_store_makes_the_current_schema(tmp_path: Path) -> None:
    """tests/stores/make_store.py, as docs/store.md tells to run it for the next release."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_store", STORES / "make_store.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    target = tmp_path / f"schema-{SCHEMA_VERSION}.duckdb.gz"
    module.make(target)
    plain = tmp_path / "made.duckdb"
    with gzip.open(target, "rb") as src, plain.open("wb") as out:
        shutil.copyfileobj(src, out)
    made, shipped = duckdb.connect(str(plain), read_only=True), None
    try:
        shipped_path = released(SCHEMA_VERSION, tmp_path, "shipped.duckdb")
        shipped = duckdb.connect(str(shipped_path), read_only=True)
        assert definitions(made) == definitions(shipped)
        for table in ("agents", "orders", "payroll_lines", "quarantine", "shop_settings"):
            count = f"SELECT count(*) FROM {table}"
            assert made.execute(count).fetchone() == shipped.execute(count).fetchone()
    finally:
        made.close()
        if shipped is not None:
            shipped.close()
    assert target.stat().st_size < 300_000
