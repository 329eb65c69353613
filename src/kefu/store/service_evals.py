"""Writing Taobao 服务评价 (the service_evals table) idempotently, one transaction per file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kefu.io.service_evals import ParsedEvals
from kefu.store.database import Store, UpsertCounts
from kefu.store.upsert_import import upsert_logged


def write_evals(store: Store, pe: ParsedEvals, import_id: int) -> UpsertCounts:
    """Store the file's evaluations; call inside a transaction.

    An evaluation is identified by (shop, agent, buyer, time): one already stored with the same
    code and source is unchanged, one with another code or source is updated (a buyer who
    changed their rating), never duplicated.
    """
    inserted = updated = unchanged = 0
    for e in pe.rows:
        got = store.con.execute(
            "SELECT eval_code, eval_source FROM service_evals WHERE shop_id = ? AND agent_id = ?"
            " AND buyer_id = ? AND evaluated_at = ?",
            [e.shop_id, e.agent_id, e.buyer_id, e.evaluated_at],
        ).fetchone()
        if got is not None and (got[0], got[1]) == (e.code, e.source):
            unchanged += 1
            continue
        if got is None:
            inserted += 1
            store.con.execute(
                "INSERT INTO service_evals VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    e.shop_id,
                    e.agent_id,
                    e.buyer_id,
                    e.evaluated_at,
                    e.code,
                    e.source,
                    pe.file,
                    import_id,
                ],
            )
        else:
            updated += 1
            store.con.execute(
                "UPDATE service_evals SET eval_code = ?, eval_source = ?, file = ?, import_id = ?"
                " WHERE shop_id = ? AND agent_id = ? AND buyer_id = ? AND evaluated_at = ?",
                [
                    e.code,
                    e.source,
                    pe.file,
                    import_id,
                    e.shop_id,
                    e.agent_id,
                    e.buyer_id,
                    e.evaluated_at,
                ],
            )
    return UpsertCounts(inserted, updated, unchanged)


def import_evals(store: Store, path: Path, pe: ParsedEvals, report: Any) -> None:
    """Write one file of evaluations in one transaction, logged like any import; fills `report`."""
    report.kind, report.format, report.encoding = "service_evals", pe.format, pe.encoding
    report.rows_read = pe.rows_read
    report.notes.extend(pe.notes)
    upsert_logged(
        store,
        path,
        report,
        kind="service_evals",
        shops=(e.shop_id for e in pe.rows),
        quarantine=pe.quarantine,
        write=lambda import_id: write_evals(store, pe, import_id),
        dropped=0,
    )
