"""The lake's small files through the Hadoop file system of a Spark session (local, hdfs://,
s3a://, abfss://: whatever connectors the session's Spark has): list, read, write, delete.

Used by the Spark job (its state and run reports) and by landing (its state, the lake's
marker); the driver touches only these small files, never a data row.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("kefu.lake")


@dataclass(frozen=True)
class FileInfo:
    rel: str  # path relative to the lake
    size: int
    mtime: int


class HadoopFiles:
    """List, read and write small files with the Hadoop file system of the session."""

    def __init__(self, spark: Any, root: str) -> None:
        jvm = spark.sparkContext._jvm
        self._jvm = jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()
        path = jvm.org.apache.hadoop.fs.Path(root)
        self.fs = path.getFileSystem(self._conf)
        self.root = self.fs.makeQualified(path).toString().rstrip("/")

    def _path(self, rel: str) -> Any:
        return self._jvm.org.apache.hadoop.fs.Path(f"{self.root}/{rel}" if rel else self.root)

    def glob(self, pattern: str) -> list[FileInfo]:
        found = self.fs.globStatus(self._path(pattern))
        out = []
        for st in found or []:
            full = st.getPath().toString()
            rel = full[len(self.root) + 1 :] if full.startswith(self.root) else full
            name = rel.rsplit("/", 1)[-1]
            if st.isFile() and not name.startswith(("_", ".")):
                out.append(FileInfo(rel, int(st.getLen()), int(st.getModificationTime())))
        return out

    def walk(self) -> list[FileInfo]:
        """Every file below the root, at any depth; names starting with `_` or `.` (and
        everything inside folders so named) are not data and are left out."""
        if not self.fs.exists(self._path("")):
            return []
        found = self.fs.listFiles(self._path(""), True)
        out = []
        while found.hasNext():
            st = found.next()
            full = st.getPath().toString()
            rel = full[len(self.root) + 1 :] if full.startswith(self.root + "/") else full
            if any(part.startswith(("_", ".")) for part in rel.split("/")):
                continue
            out.append(FileInfo(rel, int(st.getLen()), int(st.getModificationTime())))
        return sorted(out, key=lambda f: f.rel)

    def names(self) -> list[str]:
        """The names directly inside the root (none when it does not exist)."""
        if not self.fs.exists(self._path("")):
            return []
        return sorted(str(st.getPath().getName()) for st in self.fs.listStatus(self._path("")))

    def is_dir(self) -> bool:
        return bool(self.fs.exists(self._path(""))) and bool(
            self.fs.getFileStatus(self._path("")).isDirectory()
        )

    def url(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def exists(self, rel: str) -> bool:
        return bool(self.fs.exists(self._path(rel)))

    def read_utf8(self, rel: str) -> str | None:
        if not self.exists(rel):
            return None
        stream = self.fs.open(self._path(rel))  # bytes, decoded with the UTF-8 encoding below
        try:
            reader = self._jvm.java.io.BufferedReader(
                self._jvm.java.io.InputStreamReader(stream, "UTF-8")
            )
            lines = []
            while True:
                line = reader.readLine()
                if line is None:
                    break
                lines.append(line)
            return "\n".join(lines)
        finally:
            stream.close()

    def read_state(self, rel: str, version: str, key: str) -> dict[str, Any]:
        """The `key` part of the JSON state file `rel` written by `version`; empty when the
        file is missing, of another version, or unreadable (then its work is done again)."""
        text = self.read_utf8(rel)
        if not text:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            log.warning("%s is unreadable: its work is done again", rel)
            return {}
        return dict(data.get(key, {})) if data.get("version") == version else {}

    def write_utf8(self, rel: str, text: str) -> None:
        """Write beside the target, then rename over it (a crash leaves the old or the new)."""
        tmp = self._path(rel + ".tmp")
        out = self.fs.create(tmp, True)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()
        target = self._path(rel)
        if self.fs.exists(target):
            self.fs.delete(target, False)
        if not self.fs.rename(tmp, target):
            raise OSError(f"could not rename {rel}.tmp")

    def delete(self, rel: str) -> None:
        self.fs.delete(self._path(rel), True)
