"""Schema versions: every released store opens and upgrades whole, or not at all, losing nothing."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.metrics.engine import StoreKpis
from kefu.store import Store, migrations, open_store
from kefu.store.database import StoreError
from kefu.store.payroll import PayrollRuns
from kefu.store.schema import SCHEMA_VERSION
from storefiles import STORES, definitions, released, released_versions, snapshot

OLD = [v for v in released_versions() if v < SCHEMA_VERSION]
SHOP = "样例店"


def fresh_definitions(tmp_path: Path, up_to: int) -> dict[str, str]:
    """The tables migrations 1…up_to make in a new file."""
    con = duckdb.connect(str(tmp_path / f"fresh-{up_to}.duckdb"))
    try:
        con.execute("BEGIN")
        migrations.apply(con, 0, "2026-01-01", migrations.MIGRATIONS[:up_to])
        con.execute("COMMIT")
        return definitions(con)
    finally:
        con.close()


def kpis_of(path: Path, *, raw: bool) -> dict[str, Any]:
    """Today's KPI engine on the file: `raw` reads it as it is, without the version check."""
    if raw:
        store = Store.__new__(Store)  # the old file exactly as it is, read-only
        store.path = path
        store.con = duckdb.connect(str(path), read_only=True)
    else:
        store = open_store(path, read_only=True)
    try:
        months = StoreKpis(store).shop_months(SHOP, ["2024-04", "2024-05"])
        return {m: sm.to_json() for m, sm in months.items()}
    finally:
        store.con.close()


def payroll_digest(path: Path) -> str:
    """SHA-256 over every payroll run and line, byte for byte (the approved pay never changes)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        h = hashlib.sha256()
        for table in ("payroll_runs", "payroll_lines"):
            for row in con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall():
                h.update(repr(row).encode("utf-8"))
        return h.hexdigest()
    finally:
        con.close()


def test_a_store_file_is_kept_for_every_released_schema() -> None:
    assert released_versions() == list(range(1, SCHEMA_VERSION + 1))
    for path in STORES.glob("schema-*.duckdb.gz"):
        assert path.stat().st_size < 300_000, f"{path.name}: keep the released stores small"


@pytest.mark.parametrize("version", released_versions())
def test_migrations_make_exactly_the_released_schema(tmp_path: Path, version: int) -> None:
    """A released schema is frozen: a table added to its statements must be a new migration."""
    con = duckdb.connect(str(released(version, tmp_path)), read_only=True)
    try:
        shipped = definitions(con)
    finally:
        con.close()
    made = fresh_definitions(tmp_path, version)
    assert made == shipped, (
        f"migrations 1..{version} no longer make the schema {version} that was released: a new"
        " table or column goes into a new migration (docs/store.md, Changing the schema), never"
        " into kefu.store.schema.DDL or an earlier migration"
    )


@pytest.mark.parametrize("version", OLD)
def test_an_old_store_upgrades_and_keeps_every_row_pay_line_and_figure(
    tmp_path: Path, version: int
) -> None:
    path = released(version, tmp_path)
    before = snapshot(path)
    pay_before = payroll_digest(path)
    kpis_before = kpis_of(path, raw=True)
    assert before["payroll_runs"] and before["payroll_lines"] and before["quarantine"]

    with open_store(path) as store:
        assert store.version() == SCHEMA_VERSION
        runs = PayrollRuns(store).all()
        assert runs and all(r.intact() for r in runs) and all(r.approved for r in runs)
        entries = store.audit_entries()

    after = snapshot(path)
    for table, rows in before.items():
        if table == "schema_version":
            # history kept (version, applied_at), the versions applied appended
            assert [r[:2] for r in after[table][: len(rows)]] == [r[:2] for r in rows]
            assert [r[0] for r in after[table]] == list(range(1, SCHEMA_VERSION + 1))
        elif table == "audit_log":
            # every entry kept as it was; the upgrade's own entry appended after them
            assert after[table][: len(rows)] == rows, "audit_log changed in the upgrade"
            assert [r[3] for r in after[table][len(rows) :]] == ["store.upgrade"]
        else:
            assert after[table] == rows, f"{table} changed in the upgrade"
    assert payroll_digest(path) == pay_before
    assert kpis_of(path, raw=False) == kpis_before
    upgrade = [e for e in entries if e["action"] == "store.upgrade"]
    assert len(upgrade) == 1 and f'"from_version": {version}' in upgrade[-1]["details"]
    # an upgraded store has exactly the tables of a new one
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert definitions(con) == fresh_definitions(tmp_path, SCHEMA_VERSION)
    finally:
        con.close()
    # and opening it again changes nothing
    with open_store(path):
        pass
    assert snapshot(path) == after


def _failing(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SELECT * FROM no_such_table_so_the_upgrade_fails")


@pytest.mark.parametrize("version", OLD)
def test_a_failed_upgrade_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: int
) -> None:
    path = released(version, tmp_path)
    before = snapshot(path)
    last = migrations.MIGRATIONS[-1]
    broken = replace(last, steps=(*last.steps, _failing))  # fails after the real steps ran
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS[:-1], broken))
    with pytest.raises(StoreError) as e:
        open_store(path)
    assert e.value.key == "store.upgrade_failed"
    assert f"schema {version}" in str(e.value) or f"schema {version}" in e.value.text("en")
    assert snapshot(path) == before
    monkeypatch.undo()
    with open_store(path) as store:
        assert store.version() == SCHEMA_VERSION


def test_an_upgrade_that_would_change_approved_pay_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = released(OLD[0], tmp_path)
    before = snapshot(path)
    last = migrations.MIGRATIONS[-1]
    for sneaky in (
        "UPDATE payroll_lines SET amount_fen = amount_fen + 1",
        "DELETE FROM payroll_runs",
        "INSERT INTO payroll_lines SELECT run_id, agent_id, seq + 100, component, amount_fen,"
        " for_month, explanation_zh, explanation_en, inputs_json FROM payroll_lines",
    ):
        bad = replace(last, steps=(*last.steps, sneaky))
        monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS[:-1], bad))
        with pytest.raises(StoreError) as e:
            open_store(path)
        assert "must not change the rows of payroll_" in e.value.text("en")
        assert snapshot(path) == before


KILLED = """
import os, sys
from dataclasses import replace
from kefu.store import migrations, open_store
last = migrations.MIGRATIONS[-1]
def die(con):
    os._exit(9)  # killed mid-upgrade: after this migration's steps ran, before the commit
migrations.MIGRATIONS = (*migrations.MIGRATIONS[:-1], replace(last, steps=(*last.steps, die)))
open_store(sys.argv[1])
"""


@pytest.mark.parametrize("version", OLD)
def test_a_process_killed_mid_upgrade_leaves_the_store_as_it_was(
    tmp_path: Path, version: int
) -> None:
    path = released(version, tmp_path)
    before = snapshot(path)
    done = subprocess.run([sys.executable, "-c", KILLED, str(path)], capture_output=True)
    assert done.returncode == 9, done.stderr
    assert snapshot(path) == before  # the upgrade's transaction was never committed
    with open_store(path) as store:
        assert store.version() == SCHEMA_VERSION


def test_a_new_store_is_made_at_the_latest_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with open_store(path) as store:
        assert store.version() == SCHEMA_VERSION
        [entry] = store.audit_entries()
        assert entry["action"] == "store.create"
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert definitions(con) == fresh_definitions(tmp_path, SCHEMA_VERSION)
        versions = con.execute("SELECT version, kefu_version FROM schema_version").fetchall()
        assert [v for v, _ in versions] == list(range(1, SCHEMA_VERSION + 1))
    finally:
        con.close()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_sentence(err: str) -> str:
    """The refusal as one line (the console folds long ones at its width)."""
    text = " ".join(err.split())
    assert text.startswith("kefu: ") and text.count("kefu: ") == 1, err
    assert "Traceback" not in err, err
    return text


def test_a_store_from_a_newer_kefu_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "kefu.duckdb"
    open_store(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version (version, applied_at) VALUES (99, now()::TIMESTAMP)")
    con.close()
    before = snapshot(path)
    for read_only in (False, True):
        with pytest.raises(StoreError) as e:
            open_store(path, read_only=read_only)
        assert e.value.key == "store.newer"
    code, _, err = run("kpi", "--month", "2024-05", "--db", str(path), "--lang", "en")
    assert code == 1
    assert "newer kefu (schema 99" in one_sentence(err) or "更新版本" in err
    assert snapshot(path) == before


@pytest.mark.parametrize("version", OLD)
def test_a_read_only_open_of_an_old_store_is_refused_and_changes_nothing(
    tmp_path: Path, version: int
) -> None:
    path = released(version, tmp_path)
    data = path.read_bytes()
    with pytest.raises(StoreError) as e:
        open_store(path, read_only=True)
    assert e.value.key == "store.old_read_only"
    assert "read-only open never upgrades" in e.value.text("en")
    assert path.read_bytes() == data


def test_files_that_are_not_kefu_stores_are_refused_in_one_sentence(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE accounts (id INTEGER)")
    con.close()
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database at all, just some words in a file " * 20, encoding="utf-8")
    csv = tmp_path / "orders.csv"  # DuckDB would open this name as an in-memory database
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    cases = [(other, "store.not_kefu"), (text, "store.not_duckdb"), (csv, "store.not_duckdb")]
    for path, key in cases:
        data = path.read_bytes()
        with pytest.raises(StoreError) as e:
            open_store(path)
        assert e.value.key == key
        code, _, err = run("import", "--quarantine", "--db", str(path))
        assert code == 1
        one_sentence(err)
        assert path.read_bytes() == data


def test_migrations_must_be_numbered_without_gaps() -> None:
    migrations.check()
    m = migrations.MIGRATIONS
    with pytest.raises(RuntimeError, match="numbered"):
        migrations.check((m[0], replace(m[-1], version=SCHEMA_VERSION + 1)))
    with pytest.raises(RuntimeError, match="numbered"):
        migrations.check(m[:-1])


def test_a_schema_1_store_that_made_reported_figures_on_open_upgrades(tmp_path: Path) -> None:
    """kefu builds of schema 1 after issue #10 created reported_figures on every open."""
    from kefu.store.schema import REPORTED_FIGURES

    path = released(1, tmp_path)
    con = duckdb.connect(str(path))
    con.execute(REPORTED_FIGURES)
    con.execute(
        "INSERT INTO reported_figures VALUES ('样例店', '小美', '2024-05-01', '2024-05-31',"
        " 'month', 'chitu', '', 'inquiries', 'count', 12, 1, '12', '咨询人数', true, NULL,"
        " NULL, 'chitu.xlsx', 5)"
    )
    con.close()
    before = snapshot(path)
    with open_store(path) as store:
        assert store.version() == SCHEMA_VERSION
    assert snapshot(path)["reported_figures"] == before["reported_figures"]
