"""Where a lake lives: a local folder or a URI of an object store or remote file system, through pyarrow.fs.

`open_lake_files("lake")`, `open_lake_files("s3://bucket/lake")` (Hadoop's `s3a://` is read
as `s3://`, so one lake URI serves kefu and the Spark job), `gs://`, `abfs://`/`abfss://`,
`hdfs://`: pyarrow's own file systems, with their usual credentials from the environment
(docs/lake.md "Where a lake may live"). Writes replace a file whole: on a local disk by a
rename, on an object store by one upload (S3, GCS and Azure publish an object only once it
is complete, so a reader sees the old object or the new one), elsewhere by a rename of a
hidden temporary file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from kefu.lake.errors import LakeError

# URI schemes read as another (Hadoop's names for S3)
_ALIASES = {"s3a": "s3", "s3n": "s3"}
# pyarrow file systems whose uploads are published whole (no rename needed, nor possible)
OBJECT_STORES = {"s3", "gcs", "abfs"}
_CHUNK = 8 << 20
# the name a file is written under before it is renamed into place ('_': no reader sees it)
TMP = "_tmp-"


def is_uri(location: str | Path) -> bool:
    """True for `scheme://…` other than `file://` (a lake not on a local disk)."""
    text = str(location)
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.isalnum() and scheme.lower() != "file" and len(scheme) > 1


@dataclass(frozen=True)
class Entry:
    """A file of the lake: its size and modification time (ns), as the file system lists them."""

    size: int
    mtime_ns: int


@dataclass(frozen=True)
class LakeFiles:
    """The lake's root on a file system, with the few operations export and readers need
    (paths are relative to the root, '/'-separated)."""

    fs: pafs.FileSystem
    root: str  # the root's path on `fs`, without a trailing '/'
    uri: str  # as the user gave it (for messages)

    @property
    def kind(self) -> str:
        """pyarrow's name of the file system: local, s3, gcs, abfs, hdfs, …"""
        return str(self.fs.type_name)

    @property
    def local(self) -> bool:
        return self.kind == "local"

    @property
    def object_store(self) -> bool:
        return self.kind in OBJECT_STORES

    def path(self, rel: str = "") -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def local_path(self, rel: str = "") -> Path:
        """The path on the local disk (only for a local lake)."""
        return Path(self.path(rel))

    def info(self, rel: str = "") -> pafs.FileInfo:
        return self.fs.get_file_info(self.path(rel))

    def is_file(self, rel: str) -> bool:
        return bool(self.info(rel).type == pafs.FileType.File)

    def listing(self, rel: str = "") -> dict[str, Entry]:
        """Every file under `rel`, at any depth (relative to the root); empty if none."""
        base = self.path(rel)
        out = {}
        for i in self.fs.get_file_info(
            pafs.FileSelector(base, allow_not_found=True, recursive=True)
        ):
            if i.type == pafs.FileType.File:
                out[i.path[len(self.root) + 1 :]] = Entry(int(i.size or 0), int(i.mtime_ns or 0))
        return out

    def children(self, rel: str = "") -> list[str]:
        """The names directly under `rel` (one listing request on an object store)."""
        found = self.fs.get_file_info(pafs.FileSelector(self.path(rel), allow_not_found=True))
        return [i.base_name for i in found]

    def read_bytes(self, rel: str) -> bytes | None:
        """The file's bytes, or None if there is no such file."""
        try:
            with self.fs.open_input_stream(self.path(rel)) as f:
                return bytes(f.read())
        except FileNotFoundError:
            return None

    def sha256(self, rel: str) -> str:
        import hashlib

        h = hashlib.sha256()
        with self.fs.open_input_stream(self.path(rel)) as f:
            while block := f.read(_CHUNK):
                h.update(block)
        return h.hexdigest()

    def make_root(self) -> None:
        if not self.object_store:  # an object store has no folders to make
            self.fs.create_dir(self.root, recursive=False)

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Replace the file whole with `data` (see the module's docstring)."""
        self._replace(rel, lambda out: out.write(data))

    def put(self, source: Path, rel: str) -> None:
        """Replace the file whole with the local file `source` (which is consumed)."""
        if self.local:  # same disk: flushed, then one rename
            with source.open("rb") as f:
                os.fsync(f.fileno())
            self.local_path(rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, self.local_path(rel))
            return

        def copy(out: pa.NativeFile) -> None:
            with source.open("rb") as f:
                while block := f.read(_CHUNK):
                    out.write(block)

        self._replace(rel, copy)
        source.unlink()

    def _replace(self, rel: str, write: Callable[[pa.NativeFile], object]) -> None:
        target = self.path(rel)
        parent = target.rsplit("/", 1)[0]
        if self.object_store:  # one upload, published when complete
            with self.fs.open_output_stream(target) as out:
                write(out)
            return
        self.fs.create_dir(parent, recursive=True)
        tmp = f"{parent}/{TMP}{uuid.uuid4().hex}-{target.rsplit('/', 1)[1]}"
        with self.fs.open_output_stream(tmp) as out:
            write(out)
        if self.local:
            os.replace(tmp, target)
        else:  # a remote file system whose rename may not replace a file
            if self.fs.get_file_info(target).type == pafs.FileType.File:
                self.fs.delete_file(target)
            self.fs.move(tmp, target)

    def delete_file(self, rel: str) -> None:
        self.fs.delete_file(self.path(rel))

    def delete_dir(self, rel: str) -> None:
        """Remove a folder (on an object store: every object under the prefix)."""
        if self.fs.get_file_info(self.path(rel)).type != pafs.FileType.NotFound:
            self.fs.delete_dir(self.path(rel))


def open_lake_files(location: str | Path) -> LakeFiles:
    """The lake at `location`: a local path, `file://…`, or a URI pyarrow knows (s3://, s3a://,
    gs://, abfs(s)://, hdfs://); a URI pyarrow cannot open is refused with one sentence."""
    text = str(location)
    if not is_uri(text):
        if text.startswith("file://"):
            text = text[len("file://") :]
        path = Path(text).expanduser().absolute()
        root = path.as_posix().rstrip("/") or "/"  # pyarrow's paths use '/', on Windows too
        return LakeFiles(pafs.LocalFileSystem(), root, str(location))
    scheme, _, rest = text.partition("://")
    uri = f"{_ALIASES.get(scheme.lower(), scheme.lower())}://{rest}"
    try:
        fs, path = pafs.FileSystem.from_uri(uri)
    except (ValueError, OSError, pa.ArrowException) as e:
        raise LakeError("lake.bad_uri", uri=text, error=first_line(e)) from e
    return LakeFiles(fs, path.rstrip("/"), text)


def first_line(error: BaseException) -> str:
    """The first line of an error's text (pyarrow's carry the SDK's details on the next ones)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
