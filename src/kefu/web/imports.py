"""Import progress: what an import running in the workplace has done, for its page to poll.

The import runs in the request that uploaded the files (one import per store at a time: the
workplace's write lock); the page names the upload with a random job id and asks
`/shops/SHOP/import/progress/JOB` while it waits. The record is fed by `import_files`' own
callbacks (bytes read and written per file, the rows of each file once it is read), so what
it shows is the import's progress, not the upload's. Records live in memory only, under the
user who uploaded and the shop; another user asking for the same job id is told nothing.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kefu.i18n import t

JOB = re.compile(r"[0-9a-f]{32}")  # a job id: 128 random bits, in hex, made by the page
KEPT = 64  # records kept (the oldest go first); an import's record outlives it a little


@dataclass
class ImportProgress:
    """One import's progress: which file, which step, how much of the work is done."""

    files: list[str]
    sizes: list[int]
    state: str = "checking"  # checking (whose shops the files hold) | importing | done | failed
    current: str | None = None
    worked: dict[str, int] = field(default_factory=dict)  # bytes read + written, per file
    rows: dict[str, int] = field(default_factory=dict)  # rows read, per file read so far
    done_bytes: int = 0
    total_bytes: int = 0
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def of(cls, paths: list[Path]) -> ImportProgress:
        sizes = [p.stat().st_size if p.is_file() else 0 for p in paths]
        return cls([p.name for p in paths], sizes, total_bytes=2 * sum(sizes))

    def advance(self, name: str, done: int, total: int) -> None:
        """`import_files`' progress: `done` of `total` units, the last ones of file `name`."""
        with self.lock:
            self.state = "importing"
            self.worked[name] = self.worked.get(name, 0) + max(0, done - self.done_bytes)
            self.done_bytes, self.total_bytes = done, total
            self.current = name if done < total else None  # all read and written: finishing

    def read(self, name: str, rows: int) -> None:
        with self.lock:
            self.rows[name] = rows

    def finish(self, error: str | None = None) -> None:
        with self.lock:
            self.state, self.error, self.current = ("failed" if error else "done"), error, None
            if error is None:
                self.done_bytes = self.total_bytes

    def to_json(self, lang: str) -> dict[str, Any]:
        with self.lock:
            size = dict(zip(self.files, self.sizes, strict=True))
            done = sum(1 for f in self.files if f in self.worked and self.worked[f] >= 2 * size[f])
            if self.state == "done":
                done = len(self.files)
            step = None
            if self.current is not None:
                step = (
                    "reading"
                    if self.worked.get(self.current, 0) < size[self.current]
                    else "writing"
                )
            percent = 100 * self.done_bytes // self.total_bytes if self.total_bytes else 0
            body: dict[str, Any] = {
                "state": self.state,
                "files_total": len(self.files),
                "files_done": done,
                "file": self.current,
                "step": step,
                "percent": percent,
                "rows": {f: self.rows[f] for f in self.files if f in self.rows},
            }
            text = [self._line(lang, body)]
            text += [
                t("web.import.progress_file", lang, file=f, rows=f"{n:,}")
                for f, n in body["rows"].items()
            ]
        body["text"] = text
        return body

    def _line(self, lang: str, body: dict[str, Any]) -> str:
        if self.state == "checking":
            return t("web.import.checking", lang, total=body["files_total"])
        if self.state == "done":
            return t("web.import.progress_done", lang, total=body["files_total"])
        if self.state == "failed":
            return t("web.import.failed", lang, error=self.error or "")
        if body["file"] is None:
            return t("web.import.finishing", lang, total=body["files_total"])
        return t(
            "web.import.progress",
            lang,
            done=body["files_done"],
            total=body["files_total"],
            step=t(f"web.import.step.{body['step'] or 'reading'}", lang),
            file=body["file"] or "",
            percent=body["percent"],
        )


def waiting(lang: str) -> dict[str, Any]:
    """What the page is told before its import has started (or for a job it does not own)."""
    return {"state": "waiting", "text": [t("web.import.waiting", lang)]}


class ImportJobs:
    """The workplace's import progress records, by (user id, shop, job id)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[tuple[int, str, str], tuple[float, ImportProgress]] = OrderedDict()

    def start(self, key: tuple[int, str, str], paths: list[Path]) -> ImportProgress:
        progress = ImportProgress.of(paths)
        with self._lock:
            self._jobs[key] = (time.monotonic(), progress)
            while len(self._jobs) > KEPT:
                self._jobs.popitem(last=False)
        return progress

    def get(self, key: tuple[int, str, str]) -> ImportProgress | None:
        with self._lock:
            found = self._jobs.get(key)
        return None if found is None else found[1]
