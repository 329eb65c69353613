"""Opening the store: the memory limit and spill folder, a second writer, the audit log."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.store import memory, open_store
from kefu.store.database import StoreError
from kefu.store.schema import SCHEMA_VERSION
from storefiles import held, released, snapshot

MiB = 1024 * 1024


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_sentence(err: str) -> str:
    text = " ".join(err.split())
    assert text.startswith("kefu: ") and text.count("kefu: ") == 1, err
    assert "Traceback" not in err, err
    return text


def duckdb_shows(limit: str) -> str:
    """How DuckDB prints a memory_limit set to `limit` (the same rounding as kefu's store)."""
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{limit}'")
        row = con.execute("SELECT current_setting('memory_limit')").fetchone()
        assert row is not None
        return str(row[0])
    finally:
        con.close()


def settings_of(path: Path) -> tuple[str, str]:
    with open_store(path) as store:
        row = store.con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
        assert row is not None
        return str(row[0]), str(row[1])


def test_the_default_is_half_the_memory_at_most_the_cap_and_spills_beside_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEFU_MEMORY_LIMIT", raising=False)
    total = memory.machine_memory()
    assert total is not None and total > 0  # Linux: /proc/meminfo
    limit, spill = settings_of(tmp_path / "kefu.duckdb")
    assert limit == duckdb_shows(f"{min(total // 2, memory.DEFAULT_CAP)}B")
    assert limit != duckdb_shows(f"{total * 8 // 10}B")  # not DuckDB's own 80 %
    assert spill == str((tmp_path / "kefu.duckdb.tmp").resolve())


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1GB", "1GB"), ("1.5GB", "1.5GB"), ("800MiB", "800MiB"), (" 2 GiB ", "2GiB")],
)
def test_kefu_memory_limit_overrides_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("KEFU_MEMORY_LIMIT", given)
    assert settings_of(tmp_path / "kefu.duckdb")[0] == duckdb_shows(expected)


def test_kefu_memory_limit_as_a_share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_MEMORY_LIMIT", "25%")
    total = memory.machine_memory()
    assert total is not None
    assert settings_of(tmp_path / "kefu.duckdb")[0] == duckdb_shows(f"{total // 4}B")


@pytest.mark.parametrize(
    "bad", ["lots", "1.5", "1.5XB", "-1GB", "0GB", "10MB", "0%", "150%", "1GB'; DROP TABLE orders"]
)
def test_a_bad_kefu_memory_limit_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    path = released(SCHEMA_VERSION, tmp_path)
    before = snapshot(path)
    monkeypatch.setenv("KEFU_MEMORY_LIMIT", bad)
    with pytest.raises(StoreError) as e:
        open_store(path)
    assert e.value.key == "store.memory_limit_invalid"
    code, _, err = run("kpi", "--month", "2024-05", "--db", str(path))
    assert code == 1
    assert "KEFU_MEMORY_LIMIT" in one_sentence(err)
    code, _, err = run("backup", "--db", str(path), "--output", str(tmp_path / "b.duckdb"))
    assert code == 1
    assert "KEFU_MEMORY_LIMIT" in one_sentence(err)
    assert snapshot(path) == before


def test_parse_limit() -> None:
    assert memory.parse_limit("1GB", None) == 1000**3
    assert memory.parse_limit("1gib", None) == 1024**3
    assert memory.parse_limit("50%", 8 * 1024**3) == 4 * 1024**3
    assert memory.parse_limit("50%", None) == "50%"  # memory unknown: DuckDB takes the share
    assert memory.memory_limit({"KEFU_MEMORY_LIMIT": "3GiB"}) == f"{3 * 1024**3}B"


def test_the_default_limit_is_half_the_memory_at_most_1_5_gb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEFU_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(memory, "machine_memory", lambda: 2 * 1000**3)
    assert memory.memory_limit({}) == f"{1000**3}B"  # half of a small machine's memory
    monkeypatch.setattr(memory, "machine_memory", lambda: 24 * 1000**3)
    assert memory.memory_limit({}) == f"{memory.DEFAULT_CAP}B"  # a big machine: the cap
    assert memory.memory_limit({"KEFU_MEMORY_LIMIT": "40%"}) == f"{int(9.6 * 1000**3)}B"
    with open_store(tmp_path / "k.duckdb") as store:  # the store applies it
        (got,) = store.con.execute("SELECT current_setting('memory_limit')").fetchone() or ("",)
    assert got == "1.3 GiB"  # 1.5e9 bytes as DuckDB shows them
    monkeypatch.setattr(memory, "machine_memory", lambda: None)
    assert memory.memory_limit({}) is None  # unknown memory: DuckDB's own default


def test_a_second_writer_is_refused_in_one_sentence(tmp_path: Path) -> None:
    path = released(SCHEMA_VERSION, tmp_path)
    before = snapshot(path)
    with held(path) as pid:
        for args in (
            ["import", str(tmp_path / "x.csv")],
            ["settings", "attribution_days", "3"],
            ["kpi", "--month", "2024-05"],
        ):
            code, _, err = run(*args, "--db", str(path))
            assert code == 1
            text = one_sentence(err)
            assert f"PID {pid}" in text and str(path) in text
    with held(path, read_only=True):  # a reader keeps writers out too
        code, _, err = run("settings", "attribution_days", "3", "--db", str(path))
        assert code == 1
        one_sentence(err)
    assert snapshot(path) == before


def audit(path: Path) -> list[dict[str, object]]:
    with open_store(path, read_only=True) as store:
        return store.audit_entries()


def test_every_change_a_person_makes_is_in_the_audit_log(tmp_path: Path) -> None:
    path = released(SCHEMA_VERSION, tmp_path)
    start = len(audit(path))
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("shop_id,order_id,rating\n样例店,4000000001,good\n", encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x00\x01 not an export")
    steps = [
        ["import", str(reviews)],
        ["settings", "attribution_days", "5"],
        ["settings", "attribution_days", "--unset"],
        ["payroll", "run", "--month", "2024-04", "--plan", "seed"],
        ["payroll", "approve", "2"],
    ]
    for args in steps:
        code, _, err = run(*args, "--db", str(path))
        assert code == 0, (args, err)
    code, _, _ = run("import", str(broken), "--db", str(path))
    assert code == 1  # a refused file leaves no entry: its transaction rolled back
    entries = audit(path)[start:]
    assert [e["action"] for e in entries] == [
        "import",
        "settings.set",
        "settings.unset",
        "payroll.run",
        "payroll.approve",
    ]
    assert {e["actor"] for e in entries} == {getpass.getuser()}
    assert entries[0]["object"] == str(reviews) or str(entries[0]["object"]).endswith("reviews.csv")
    assert json.loads(str(entries[1]["details"]))["old"] == "2"
    assert json.loads(str(entries[1]["details"]))["new"] == "5"
    assert entries[4]["object"] == "2"
    ids = [e["entry_id"] for e in audit(path)]
    assert ids == list(range(1, len(ids) + 1))
