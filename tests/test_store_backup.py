"""kefu backup and kefu restore: checked copies, atomic installs, and nothing ever lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.store import open_store
from kefu.store.backup import backup, restore
from kefu.store.database import StoreError
from kefu.store.payroll import PayrollRuns
from kefu.store.schema import SCHEMA_VERSION
from storefiles import held, released, snapshot


def run(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout (its lines as printed: a path is never folded) and stderr."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_sentence(err: str) -> str:
    """The refusal as one line (the console folds long ones at its width)."""
    text = " ".join(err.split())
    assert text.startswith("kefu: ") and text.count("kefu: ") == 1, err
    assert "Traceback" not in err and "Error:" not in text, err
    return text


def leftovers(folder: Path) -> list[str]:
    """Temporary files a command must not leave behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".wal")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """The current schema's released store, opened once so it is as kefu left it."""
    path = released(SCHEMA_VERSION, tmp_path)
    open_store(path).close()
    return path


def test_backup_is_a_checked_copy_of_every_row(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy.duckdb"
    code, stdout, err = run("backup", "--db", str(store), "--output", str(out), "--lang", "en")
    assert code == 0, err
    assert "checked: the copy opens and every table has the same rows" in stdout
    assert snapshot(out) == snapshot(store)
    assert not Path(str(out) + ".wal").exists()
    assert leftovers(tmp_path) == []
    with open_store(out, read_only=True) as copy:
        assert copy.version() == SCHEMA_VERSION


def test_backup_keeps_what_only_the_write_ahead_log_holds(store: Path, tmp_path: Path) -> None:
    # a writer that died after committing leaves its last changes in <db>.wal only
    code = (
        "import os, sys, duckdb; c = duckdb.connect(sys.argv[1]);"
        " c.execute(\"SET checkpoint_threshold = '1TB'\");"
        " c.execute(\"INSERT INTO shop_settings VALUES ('样例店', 'wal_only', 'yes')\");"
        " os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, str(store)], check=True)
    assert Path(str(store) + ".wal").exists()
    out = tmp_path / "copy.duckdb"
    done = backup(store, out)
    assert done.copied.tables["shop_settings"].rows == 2
    assert ("样例店", "wal_only", "yes") in snapshot(out)["shop_settings"]
    assert not Path(str(out) + ".wal").exists()


def test_backup_refusals_are_one_sentence_and_change_nothing(store: Path, tmp_path: Path) -> None:
    existing = tmp_path / "old-backup.duckdb"
    existing.write_bytes(b"an earlier backup")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    cases = [
        (["--output", str(store)], "is the store itself"),
        (["--output", str(folder)], "is a folder"),
        (["--output", str(tmp_path / "missing" / "b.duckdb")], "does not exist"),
        (["--output", str(existing)], "add --force to replace it"),
        (["--output", "/dev/null", "--force"], "not a regular file"),
    ]
    before = snapshot(store)
    for args, words in cases:
        code, _, err = run("backup", "--db", str(store), *args, "--lang", "en")
        assert code == 1
        assert words in one_sentence(err), err
    assert existing.read_bytes() == b"an earlier backup"
    assert snapshot(store) == before
    assert leftovers(tmp_path) == []
    # --force replaces the old file, only once the new copy is checked
    code, _, err = run("backup", "--db", str(store), "--output", str(existing), "--force")
    assert code == 0, err
    assert snapshot(existing) == before


def test_backup_refuses_sources_that_are_not_current_kefu_stores(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE accounts (id INTEGER)")
    con.close()
    newer = tmp_path / "newer.duckdb"
    open_store(newer).close()
    con = duckdb.connect(str(newer))
    con.execute("INSERT INTO schema_version (version, applied_at) VALUES (99, now()::TIMESTAMP)")
    con.close()
    cases = [
        (other, "not a kefu store"),
        (newer, "newer kefu"),
        (tmp_path / "none.duckdb", "no kefu database"),
    ]
    for source, words in cases:
        out = tmp_path / "b.duckdb"
        code, _, err = run("backup", "--db", str(source), "--output", str(out), "--lang", "en")
        assert code == 1
        assert words in one_sentence(err)
        assert not out.exists()


def test_backup_of_an_old_store_copies_it_as_it_is(tmp_path: Path) -> None:
    old = released(1, tmp_path)  # e.g. before upgrading kefu: the old store, untouched
    out = tmp_path / "before-upgrade.duckdb"
    done = backup(old, out)
    assert done.copied.version == 1
    assert snapshot(out) == snapshot(old)


def test_a_store_in_use_by_another_writer_is_refused(store: Path, tmp_path: Path) -> None:
    before = snapshot(store)
    out = tmp_path / "b.duckdb"
    with held(store) as pid:
        code, _, err = run("backup", "--db", str(store), "--output", str(out), "--lang", "en")
        assert code == 1
        assert f"in use by another process (PID {pid})" in one_sentence(err)
        code, _, err = run("restore", str(store), "--db", str(tmp_path / "new.duckdb"))
        assert code == 1
        one_sentence(err)
    assert not out.exists() and not (tmp_path / "new.duckdb").exists()
    assert snapshot(store) == before
    assert leftovers(tmp_path) == []


FULL_DISK = """
import resource, signal, sys
from kefu.cli.main import app
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
sys.argv = ["kefu", *sys.argv[1:]]
app()
"""


def test_a_full_disk_during_backup_is_one_sentence_and_keeps_the_old_backup(
    store: Path, tmp_path: Path
) -> None:
    out = tmp_path / "backup.duckdb"
    out.write_bytes(b"last week's backup")
    args = ["backup", "--db", str(store), "--output", str(out), "--force", "--lang", "en"]
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "nothing was changed" in one_sentence(done.stderr)
    assert out.read_bytes() == b"last week's backup"
    assert leftovers(tmp_path) == []


def test_restore_into_an_empty_place(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "backup.duckdb"
    backup(store, out)
    target = tmp_path / "restored" / "kefu.duckdb"
    target.parent.mkdir()
    code, stdout, err = run("restore", str(out), "--db", str(target), "--lang", "en")
    assert code == 0, err
    assert "restored" in stdout and "kept as" not in stdout
    restored, original = snapshot(target), snapshot(store)
    # the restore's own entry aside (rows are sorted by repr: entry 10 sorts before entry 2)
    audit = [r for r in restored.pop("audit_log") if r[3] != "store.restore"]
    assert audit == original.pop("audit_log")
    assert restored == original
    with open_store(target) as s:
        last = s.audit_entries()[-1]
        assert last["action"] == "store.restore" and str(out.resolve()) in last["details"]
    assert leftovers(target.parent) == []


def test_restore_never_destroys_the_store_it_replaces(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "backup.duckdb"
    backup(store, out)
    with open_store(store) as s:  # the store moves on after the backup
        s.set_setting("样例店", "attribution_days", "3")
    current = snapshot(store)

    code, _, err = run("restore", str(out), "--db", str(store), "--lang", "en")
    assert code == 1
    assert "--force moves it aside" in one_sentence(err)
    assert snapshot(store) == current

    code, stdout, err = run("restore", str(out), "--db", str(store), "--force", "--lang", "en")
    assert code == 0, err
    [bak] = [p for p in tmp_path.iterdir() if p.name.endswith(".bak")]
    assert bak.name.startswith("kefu.duckdb.") and f"kept as {bak}" in stdout
    assert snapshot(bak) == current  # the replaced store, whole
    assert ("样例店", "attribution_days", "2") in snapshot(store)["shop_settings"]
    assert leftovers(tmp_path) == []

    # and back again, from the .bak, as the command said
    code, _, err = run("restore", str(bak), "--db", str(store), "--force")
    assert code == 0, err
    assert ("样例店", "attribution_days", "3") in snapshot(store)["shop_settings"]
    assert len([p for p in tmp_path.iterdir() if p.name.endswith(".bak")]) == 2


def test_restore_never_leaves_a_stale_write_ahead_log_beside_the_restored_store(
    store: Path, tmp_path: Path
) -> None:
    out = tmp_path / "backup.duckdb"
    backup(store, out)
    target = tmp_path / "kefu2.duckdb"
    stale = Path(str(target) + ".wal")
    stale.write_bytes(b"a log whose store was deleted")
    done = restore(out, target)
    assert done.wal_moved_aside is not None
    assert done.wal_moved_aside.read_bytes() == b"a log whose store was deleted"
    assert not stale.exists()
    with open_store(target, read_only=True) as s:
        assert s.count("orders") == snapshot(store)["orders"].__len__()


def test_restoring_an_old_backup_upgrades_it_and_keeps_the_pay(tmp_path: Path) -> None:
    old = released(1, tmp_path, "old-backup.duckdb")
    before = snapshot(old)
    target = tmp_path / "kefu.duckdb"
    done = restore(old, target)
    assert done.copied.version == 1 and done.version == SCHEMA_VERSION
    after = snapshot(target)
    for table in ("payroll_runs", "payroll_lines", "orders", "messages", "quarantine"):
        width = len(before[table][0])  # later schemas may add columns, at the end
        assert [r[:width] for r in after[table]] == before[table]
    with open_store(target) as s:
        assert all(r.intact() and r.approved for r in PayrollRuns(s).all())
        actions = [e["action"] for e in s.audit_entries()]
        assert actions == ["store.upgrade", "store.restore"]
    assert snapshot(old) == before  # the backup itself is never changed


def test_restore_refusals_change_nothing(store: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE accounts (id INTEGER)")
    con.close()
    notes = tmp_path / "notes.txt"
    notes.write_text("not a store " * 50, encoding="utf-8")
    before = snapshot(store)
    cases = [
        ([str(store), "--db", str(store), "--force"], "is the store itself"),
        ([str(tmp_path / "none.duckdb"), "--db", str(store)], "no backup file"),
        ([str(other), "--db", str(tmp_path / "n.duckdb")], "not a kefu store"),
        ([str(notes), "--db", str(tmp_path / "n.duckdb")], "not a DuckDB database file"),
        ([str(store), "--db", str(other), "--force"], "kefu will not move it aside"),
        ([str(store), "--db", str(tmp_path / "no" / "k.duckdb")], "does not exist"),
    ]
    for args, words in cases:
        code, _, err = run("restore", *args, "--lang", "en")
        assert code == 1
        assert words in one_sentence(err), (args, err)
    assert snapshot(store) == before
    assert not (tmp_path / "n.duckdb").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".bak")] == []
    assert leftovers(tmp_path) == []


def test_restore_refuses_to_move_a_store_another_process_uses(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "backup.duckdb"
    backup(store, out)
    before = snapshot(store)
    with held(store) as pid:
        with pytest.raises(StoreError) as e:
            restore(out, store, force=True)
        assert e.value.key == "store.locked" and e.value.values["pid"] == str(pid)
    assert snapshot(store) == before
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".bak")] == []
    assert leftovers(tmp_path) == []
