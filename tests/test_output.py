"""The one writer (kefu.output): outputs land whole or not at all, and never on the wrong thing.

Each bad target is refused with one sentence and the old file is byte for byte what it was;
a full disk (a real 64 KiB tmpfs) leaves the old file and no temporary file behind.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from kefu.output import OutputError, check_target, open_for_write, write_bytes, write_text
from kefu.store import open_store

OLD = b"old contents, must survive\n"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def one_sentence(e: OutputError) -> None:
    for lang in ("zh", "en"):
        text = e.message(lang)
        assert "\n" not in text and text.strip() == text and len(text) < 300, text


def test_writes_whole_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(OLD)
    os.chmod(target, 0o640)
    write_text(target, "a,b\n1,2\n", bom=True)
    assert target.read_bytes() == b"\xef\xbb\xbfa,b\n1,2\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)  # the old file's mode is kept
    write_bytes(target, b"x")
    assert target.read_bytes() == b"x"
    assert leftovers(tmp_path) == []


def test_a_failing_writer_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.html"
    target.write_bytes(OLD)
    with pytest.raises(RuntimeError), open_for_write(target) as f:
        f.write("half a report")
        raise RuntimeError("the renderer broke")
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == []


def test_a_new_file_gets_the_usual_mode(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        write_text(tmp_path / "new.txt", "x")
    finally:
        os.umask(mask)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o644


@pytest.fixture
def store_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "kefu.duckdb"
    with open_store(path):
        pass
    yield path


def refused(target: Path, key: str) -> OutputError:
    before = target.read_bytes() if target.is_file() else None
    with pytest.raises(OutputError) as info:
        write_text(target, "a report")
    assert info.value.key == key, info.value.key
    one_sentence(info.value)
    if before is not None:
        assert target.read_bytes() == before
    assert leftovers(target.parent if target.parent.exists() else Path(".")) == []
    return info.value


def test_the_store_is_refused_closed_and_open(store_file: Path) -> None:
    refused(store_file, "is_database")
    with open_store(store_file):
        refused(store_file, "is_database")


def test_an_open_store_is_refused_even_before_it_has_bytes(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with open_store(path) as store:
        assert store.path == path
        refused(path, "is_database")
    # once closed, the same path is a closed DuckDB file: still refused by its header
    refused(path, "is_database")


def test_any_duckdb_or_sqlite_file_whatever_its_name(tmp_path: Path) -> None:
    other = tmp_path / "notes.xlsx"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    refused(other, "is_database")
    lite = tmp_path / "app.csv"
    sqlite3.connect(lite).execute("CREATE TABLE t (x)").connection.close()
    refused(lite, "is_database")


def test_a_duckdb_write_ahead_log_is_refused(store_file: Path) -> None:
    wal = store_file.with_name(store_file.name + ".wal")
    wal.write_bytes(OLD)
    refused(wal, "is_database")


def test_a_hard_link_to_the_open_store_is_refused(store_file: Path) -> None:
    link = store_file.with_name("report.html")
    os.link(store_file, link)
    with open_store(store_file):
        refused(link, "is_database")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "keep.txt").write_bytes(OLD)
    e = refused(folder, "is_directory")
    assert str(folder) in e.message("en")
    assert (folder / "keep.txt").read_bytes() == OLD


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "kpi.csv"
    with pytest.raises(OutputError) as info:
        write_text(target, "x")
    assert info.value.key == "folder_missing"
    assert str(tmp_path / "no" / "such") in info.value.message("zh")
    one_sentence(info.value)
    assert not (tmp_path / "no").exists()  # never created behind the user's back


def test_a_file_used_as_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").write_bytes(OLD)
    with pytest.raises(OutputError) as info:
        write_text(tmp_path / "plain" / "kpi.csv", "x")
    assert info.value.key == "folder_not_folder"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no fifos on this system")
def test_a_fifo_and_a_link_to_one_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    refused(fifo, "not_regular")  # opening it for writing would block forever
    link = tmp_path / "link.csv"
    link.symlink_to(fifo)
    refused(link, "not_regular")
    assert link.is_symlink()


def test_a_device_and_a_broken_link_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as info:
        check_target("/dev/null")
    assert info.value.key == "not_regular"
    broken = tmp_path / "broken.csv"
    broken.symlink_to(tmp_path / "nowhere")
    refused(broken, "not_regular")


def test_a_link_to_a_regular_file_is_followed(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_bytes(OLD)
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_link_to_the_store_is_refused(store_file: Path) -> None:
    link = store_file.with_name("kpi.csv")
    link.symlink_to(store_file)
    refused(link, "is_database")


def test_a_read_only_folder_is_one_sentence(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "kpi.csv").write_bytes(OLD)
    folder.chmod(0o555)
    try:
        e = refused(folder / "kpi.csv", "cannot_write")
        assert "kpi.csv" in e.message("en")
    finally:
        folder.chmod(0o755)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs: writing more than that fails with ENOSPC."""
    mount = shutil.which("mount")
    folder = tmp_path / "disk"
    folder.mkdir()
    if mount is None:
        pytest.skip("no mount command")
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_leaves_the_old_file(small_disk: Path) -> None:
    target = small_disk / "kpi.xlsx"
    target.write_bytes(OLD)
    with pytest.raises(OutputError) as info:
        write_bytes(target, b"x" * 200_000)
    assert info.value.key == "disk_full"
    one_sentence(info.value)
    assert target.read_bytes() == OLD
    assert leftovers(small_disk) == []
    write_bytes(target, b"fits")  # and the disk is usable again: the temp file is gone
    assert target.read_bytes() == b"fits"
