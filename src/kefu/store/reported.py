"""Writing and reading the platforms' reported figures (the reported_figures table), idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from kefu.io.reports import ParsedReport, ReportRow
from kefu.io.reports.quirks import grain_of
from kefu.store.database import Store, UpsertCounts
from kefu.store.upsert_import import upsert_logged

COLUMNS = (
    "shop_id",
    "agent_id",
    "period_start",
    "period_end",
    "grain",
    "source",
    "credit_rule",
    "field",
    "kind",
    "numerator",
    "denominator",
    "value_text",
    "column_name",
    "available",
    "agent_name",
    "team",
    "file",
    "import_id",
)


@dataclass(frozen=True)
class StoredFigure:
    """One reported figure as stored."""

    shop_id: str
    agent_id: str
    period_start: date
    period_end: date
    grain: str
    source: str
    credit_rule: str
    field: str
    kind: str
    numerator: int | None
    denominator: int | None
    value_text: str
    column_name: str
    available: bool
    agent_name: str | None
    team: str | None
    file: str
    import_id: int


def _values(row: ReportRow, pr: ParsedReport, import_id: int) -> list[tuple[Any, ...]]:
    rule = pr.credit_rule or ""
    return [
        (
            row.shop_id,
            row.agent_id,
            row.period_start,
            row.period_end,
            grain_of(row.period_start, row.period_end),
            pr.source,
            rule,
            f.field,
            f.kind,
            f.numerator if f.available else None,
            f.denominator if f.available else None,
            f.text,
            f.column,
            f.available,
            row.agent_name,
            row.team,
            pr.file,
            import_id,
        )
        for f in row.figures
    ]


def write_report(store: Store, pr: ParsedReport, import_id: int) -> UpsertCounts:
    """Store every row's figures; call inside a transaction. Counts are agent-period rows.

    A row whose figures are all stored already, with the same values, is unchanged (the
    same file imported twice changes nothing); a figure the file does not carry is kept.
    """
    inserted = updated = unchanged = 0
    rule = pr.credit_rule or ""
    for row in pr.rows:
        existing = {
            r[0]: r[1:]
            for r in store.con.execute(
                "SELECT field, numerator, denominator, value_text, available FROM reported_figures "
                "WHERE shop_id = ? AND agent_id = ? AND period_start = ? AND period_end = ? "
                "AND source = ? AND credit_rule = ?",
                [row.shop_id, row.agent_id, row.period_start, row.period_end, pr.source, rule],
            ).fetchall()
        }
        new = _values(row, pr, import_id)
        changed = [v for v in new if existing.get(v[7]) != (v[9], v[10], v[11], v[13])]
        if not existing:
            inserted += 1
        elif changed:
            updated += 1
        else:
            unchanged += 1
        for v in changed:
            store.con.execute(
                "DELETE FROM reported_figures WHERE shop_id = ? AND agent_id = ? AND period_start = ? "
                "AND period_end = ? AND source = ? AND credit_rule = ? AND field = ?",
                [v[0], v[1], v[2], v[3], v[5], v[6], v[7]],
            )
        if changed:
            store.con.executemany(
                f"INSERT INTO reported_figures ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in COLUMNS)})",
                changed,
            )
    return UpsertCounts(inserted, updated, unchanged)


def figures(
    store: Store,
    shop_id: str,
    first: date | None = None,
    last: date | None = None,
    sources: Sequence[str] | None = None,
) -> list[StoredFigure]:
    """The shop's stored figures whose period lies within [first, last] (all when not given)."""
    sql = f"SELECT {', '.join(COLUMNS)} FROM reported_figures WHERE shop_id = ?"
    args: list[Any] = [shop_id]
    if first is not None:
        sql += " AND period_start >= ?"
        args.append(first)
    if last is not None:
        sql += " AND period_end <= ?"
        args.append(last)
    if sources:
        sql += f" AND source IN ({', '.join('?' for _ in sources)})"
        args.extend(sources)
    sql += " ORDER BY agent_id, period_start, period_end, source, credit_rule, field"
    return [StoredFigure(*r) for r in store.con.execute(sql, args).fetchall()]


def shops_with_reports(store: Store) -> list[str]:
    return [
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT shop_id FROM reported_figures ORDER BY 1"
        ).fetchall()
    ]


def import_report(store: Store, path: Path, pr: ParsedReport, report: Any) -> None:
    """Write one parsed report in one transaction, logged like any import; fills `report`."""
    report.kind, report.format, report.encoding = "report", pr.format, pr.encoding
    report.rows_read = pr.rows_read
    if pr.summary_rows:
        report.dropped = {"summary rows": pr.summary_rows}
    report.notes.extend(pr.notes)
    report.warnings.extend(pr.warnings)
    upsert_logged(
        store,
        path,
        report,
        kind="report",
        shops=(r.shop_id for r in pr.rows),
        quarantine=pr.quarantine,
        write=lambda import_id: write_report(store, pr, import_id),
        dropped=pr.summary_rows,
    )
