"""One file of keyed records (agent reports, service evaluations) upserted and logged as an import.

The frame every such import shares: one transaction; the same file imported again replaces
its earlier quarantine rather than repeating it; the records written by the caller's
`write` (inserted, updated, unchanged); the import log, the audit log and the quarantine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from kefu.store.bulk import sha256_of
from kefu.store.database import Store, UpsertCounts


def upsert_logged(
    store: Store,
    path: Path,
    report: Any,
    *,
    kind: str,
    shops: Iterable[str],
    quarantine: Sequence[Mapping[str, Any]],
    write: Callable[[int], UpsertCounts],
    dropped: int = 0,
) -> None:
    """Run `write(import_id)` in one logged transaction and fill `report` (an ImportReport
    whose kind, format, encoding, rows read, notes and warnings the caller has set)."""
    sha = sha256_of(path)
    with store.transaction():
        import_id = store.next_import_id()
        store.replace_quarantine_of(sha, path.name)
        counts = write(import_id)
        report.imported, report.updated, report.duplicates = (
            counts.inserted,
            counts.updated,
            counts.unchanged,
        )
        report.quarantined = len(quarantine)
        report.quarantine = list(quarantine)
        shop_ids = sorted(set(shops))
        store.log_import(
            {
                "import_id": import_id,
                "imported_at": datetime.now(),
                "file": path.name,
                "sha256": sha,
                "kind": kind,
                "format": report.format,
                "encoding": report.encoding,
                "shop_id": shop_ids[0] if len(shop_ids) == 1 else None,
                "rows_read": report.rows_read,
                "imported": report.imported,
                "updated": report.updated,
                "duplicates": report.duplicates,
                "quarantined": report.quarantined,
                "dropped": dropped,
                "warnings": "\n".join(report.warnings + report.notes) or None,
            }
        )
        store.add_quarantine(import_id, kind, quarantine)
        report.import_id = import_id
