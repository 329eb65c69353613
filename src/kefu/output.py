"""The one way kefu writes a file: a checked target, a temporary file beside it, fsync, rename.

Every file kefu writes (KPI csv/xlsx, reports, pay workbooks, payslips, the demo shop) goes
through `open_for_write` or its shorthands, so a write either completes or leaves the old
file exactly as it was, and never lands on something it must not replace:

- the target is refused when it is a database (a DuckDB or SQLite file, recognised by its
  header, or a DuckDB write-ahead log), a file a `Store` has open, a directory, or anything
  that is not a regular file (a fifo, a device, a symlink to one); a symlink to a regular file
  is followed, so the link stays and the file it points to is replaced;
- a folder that does not exist is named, never created behind the user's back;
- the bytes go to a temporary file in the target's folder, are flushed and fsynced, and only
  then renamed over the target (`os.replace`, atomic on one file system); a full disk or any
  other failure removes the temporary file and leaves the old target intact.

A refusal is an `OutputError`: a catalogue key (output.po) with its values, which the CLI
prints as one sentence and a non-zero exit. This module imports nothing from kefu but the
catalogue, so every layer (store, pay, report, cli, demo) can use it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload

from kefu.i18n import Refusal

DUCKDB_MAGIC = b"DUCK"  # at offset 8 of every DuckDB database file
SQLITE_MAGIC = b"SQLite format 3\x00"
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}

# Real paths of database files open in this process (a Store registers its file while open).
_OPEN_DATABASES: dict[str, int] = {}


class OutputError(Refusal):
    """A file kefu will not write, or could not write: one sentence from the catalogue.

    Its key is short (`disk_full`); the sentence is `output.<key>` in output.po.
    """

    area = "output."

    def message(self, lang: str | None = None) -> str:
        return self.text(lang)


def register_open(path: str | os.PathLike[str]) -> None:
    """Mark a database file as open: no output may be written over it until it is closed."""
    key = os.path.realpath(path)
    _OPEN_DATABASES[key] = _OPEN_DATABASES.get(key, 0) + 1


def forget_open(path: str | os.PathLike[str]) -> None:
    key = os.path.realpath(path)
    n = _OPEN_DATABASES.get(key, 0) - 1
    if n > 0:
        _OPEN_DATABASES[key] = n
    else:
        _OPEN_DATABASES.pop(key, None)


def _is_open_database(real: str) -> bool:
    if real in _OPEN_DATABASES:
        return True
    for other in _OPEN_DATABASES:  # the same file under another name (a hard link)
        with contextlib.suppress(OSError):
            if os.path.samefile(real, other):
                return True
    return False


def is_database(path: str | os.PathLike[str]) -> bool:
    """A DuckDB or SQLite database file, told by its first bytes (whatever its name)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return head[8:12] == DUCKDB_MAGIC or head == SQLITE_MAGIC


def check_target(path: str | os.PathLike[str]) -> Path:
    """The real path to write `path` to, or an OutputError saying why it must not be written."""
    given = Path(path)
    shown = str(given)
    if shown in ("", ".") or given.name in ("", ".", ".."):
        raise OutputError("is_directory", path=shown)
    folder = given.parent if str(given.parent) else Path(".")
    if not folder.exists():
        raise OutputError("folder_missing", path=shown, folder=str(folder))
    if not folder.is_dir():
        raise OutputError("folder_not_folder", path=shown, folder=str(folder))
    real = Path(os.path.realpath(given))
    if os.path.lexists(given):
        try:
            st = os.stat(given)  # follows a symlink: what would really be written
        except OSError:
            raise OutputError("not_regular", path=shown) from None  # a dangling symlink
        if stat.S_ISDIR(st.st_mode):
            raise OutputError("is_directory", path=shown)
        if not stat.S_ISREG(st.st_mode):
            raise OutputError("not_regular", path=shown)
        if _is_open_database(str(real)) or is_database(real):
            raise OutputError("is_database", path=shown)
    elif _is_open_database(str(real)):
        raise OutputError("is_database", path=shown)
    if real.name.lower().endswith(".wal") and is_database(real.with_name(real.name[:-4])):
        raise OutputError("is_database", path=shown)
    return real


def _new_file_mode(existing: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(existing).st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a folder for fsync; NTFS journals the rename itself
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _failed(e: OSError, shown: str) -> OutputError:
    if e.errno in _FULL:
        return OutputError("disk_full", path=shown)
    return OutputError("cannot_write", path=shown, reason=e.strerror or type(e).__name__)


@overload
def open_for_write(
    path: str | os.PathLike[str], *, binary: Literal[True], bom: bool = False
) -> contextlib.AbstractContextManager[IO[bytes]]: ...
@overload
def open_for_write(
    path: str | os.PathLike[str], *, binary: Literal[False] = False, bom: bool = False
) -> contextlib.AbstractContextManager[IO[str]]: ...
def open_for_write(
    path: str | os.PathLike[str], *, binary: bool = False, bom: bool = False
) -> contextlib.AbstractContextManager[IO[Any]]:
    """A file to write `path` through: UTF-8 text (newlines as written), or bytes.

    The target appears, complete, only when the block ends without an exception; `bom` starts
    a text file with the UTF-8 byte-order mark (Excel and WPS then read it as UTF-8).
    """
    return _writing(path, binary=binary, bom=bom)


@contextlib.contextmanager
def _writing(path: str | os.PathLike[str], *, binary: bool, bom: bool) -> Iterator[IO[Any]]:
    shown = str(path)
    target = check_target(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        raise _failed(e, shown) from None
    done = False
    try:
        try:
            if binary:
                f: IO[Any] = os.fdopen(fd, "wb")
            else:
                f = os.fdopen(fd, "w", encoding="utf-8-sig" if bom else "utf-8", newline="")
            with f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, _new_file_mode(target))
            check_target(path)  # nothing changed the target into something else meanwhile
            os.replace(tmp, target)
            done = True
        except OSError as e:
            raise _failed(e, shown) from None
        _fsync_folder(target.parent)
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def write_text(path: str | os.PathLike[str], text: str, *, bom: bool = False) -> Path:
    """Write `text` as UTF-8 (with a byte-order mark when `bom`); returns the path given."""
    with open_for_write(path, bom=bom) as f:
        f.write(text)
    return Path(path)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    with open_for_write(path, binary=True) as f:
        f.write(data)
    return Path(path)


def save_workbook(workbook: Any, path: str | os.PathLike[str]) -> Path:
    """Save an openpyxl workbook through the writer (openpyxl writes to any binary file)."""
    with open_for_write(path, binary=True) as f:
        workbook.save(f)
    return Path(path)
