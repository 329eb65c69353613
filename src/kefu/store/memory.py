"""How much memory DuckDB may use, and where it spills the rest: a share of the machine's memory.

DuckDB's own default is 80 % of the machine's memory. A kefu process holds more than
DuckDB's buffer pool (Python, Arrow batches, allocations outside the pool: ~0.35 GB more at
50M messages, docs/performance.md), and the machine runs other programs, so at 80 % a big
month can push the machine into the kernel's OOM killer. kefu sets `memory_limit` to half
the memory the process may use (the machine's, or its container's limit when smaller), at
most 1.5 GB, and `temp_directory` to `<store>.tmp` beside the store, so past the limit
DuckDB spills to disk and finishes, slower, instead of being killed: a whole process then
stays under about 2 GB even for a 50M-message shop (docs/performance.md), which leaves a
shop's PC its memory for everything else. `KEFU_MEMORY_LIMIT` overrides the share: a
size (`1.5GB`, `800MiB`) or a share of the memory (`40%`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from kefu.i18n import Refusal

DEFAULT_SHARE = 50  # per cent of the memory the process may use ...
DEFAULT_CAP = 1_500_000_000  # ... and never more than 1.5 GB (docs/store.md, Memory)
MIN_BYTES = 64 * 1024 * 1024  # below this DuckDB cannot run kefu's queries at all
_UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)", re.IGNORECASE)
_SHARE = re.compile(r"(\d+(?:\.\d+)?)\s*%")


class MemoryLimitError(Refusal, ValueError):
    """KEFU_MEMORY_LIMIT does not read as a size or a share."""


def machine_memory() -> int | None:
    """Bytes of memory this process may use: the machine's, or its cgroup's limit if lower.

    Linux: /proc/meminfo's MemTotal and the cgroup (v2 `memory.max`, v1
    `memory.limit_in_bytes`); other POSIX systems (macOS): `os.sysconf`; None when neither
    answers (Windows), and then DuckDB's own default stands.
    """
    total: int | None = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemTotal:"):
                total = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        total = None
    if total is None:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            return None
        if total <= 0:
            return None
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text(encoding="ascii").strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total


def parse_limit(text: str, memory: int | None) -> int | str:
    """KEFU_MEMORY_LIMIT's bytes; a share when the machine's memory is unknown stays DuckDB's `N%`."""
    value = text.strip()
    size = _SIZE.fullmatch(value)
    share = _SHARE.fullmatch(value)
    if size:
        n = int(float(size.group(1)) * _UNITS[size.group(2).lower()])
    elif share and 0 < float(share.group(1)) <= 100:
        if memory is None:
            return f"{float(share.group(1)):g}%"
        n = int(memory * float(share.group(1)) / 100)
    else:
        raise MemoryLimitError("store.memory_limit_invalid", value=value)
    if n < MIN_BYTES:
        raise MemoryLimitError("store.memory_limit_invalid", value=value)
    return n


def memory_limit(environ: dict[str, str] | None = None) -> str | None:
    """The `memory_limit` kefu sets (DuckDB's syntax), or None to leave DuckDB's default.

    Raises MemoryLimitError for a KEFU_MEMORY_LIMIT that is not a size or a share.
    """
    env = os.environ if environ is None else environ
    memory = machine_memory()
    given = env.get("KEFU_MEMORY_LIMIT", "").strip()
    if given:
        limit = parse_limit(given, memory)
    elif memory is not None:
        limit = max(MIN_BYTES, min(DEFAULT_CAP, memory * DEFAULT_SHARE // 100))
    else:
        return None
    if isinstance(limit, str):
        return limit
    return f"{limit}B"


def temp_directory(store: Path) -> Path:
    """Where DuckDB spills what does not fit: `<store>.tmp` beside the store (removed on close)."""
    return store.resolve().with_name(store.name + ".tmp")
