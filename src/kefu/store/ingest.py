"""Importing files into the store: each file whole or not at all, idempotently, logged and reported."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from kefu.i18n import Refusal, t
from kefu.io import ImportFileError, ParsedFile, Quarantined
from kefu.io.reader import read_for_shop
from kefu.io.shop_settings import SettingError, ShopZones, now_in, parse_timezone
from kefu.store import seats
from kefu.store.bulk import sha256_of
from kefu.store.bulk import try_import as try_bulk
from kefu.store.database import Store, UpsertCounts
from kefu.store.schema import KEYS

P = TypeVar("P")  # what a keyed-record reader parses a file into

Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    """What importing one file did. `error` is set when the file could not be read at all."""

    file: str
    path: str
    kind: str | None = None
    format: str | None = None
    encoding: str | None = None
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: int = 0
    # a detail list's rows become one record per order (`records`); `merged` of those gave
    # their item counts to an order list imported in the same call instead of being written
    records: int = 0
    merged: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    quarantine: list[Quarantined] = field(default_factory=list)
    error: str | None = None  # the refusal in English (the audit log's words)
    refusal: Refusal | None = None  # the same, to be shown in the reader's language
    import_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def refused(self, e: Refusal) -> None:
        self.error, self.refusal = str(e), e

    def error_text(self, lang: str | None = None) -> str | None:
        """Why the file was not imported, in `lang`."""
        return self.refusal.text(lang) if self.refusal is not None else self.error

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


def import_files(
    store: Store,
    paths: Sequence[Path],
    *,
    kind: str | None = None,
    shop: str | None = None,
    progress: Progress | None = None,
    period: tuple[date, date] | None = None,
    rows: Callable[[str, int], None] | None = None,
) -> list[ImportReport]:
    """Import `paths` into `store`, one transaction per file; one report per path, in order.

    A file that cannot be read gets a report with `error` and changes nothing; the others
    still import. Order lists are written before detail lists, so a detail list given in
    the same call gives its item counts to the orders whatever the order of `paths`.
    A platform's agent report (docs/reports.md) goes to the reported figures; `period` is
    its period when neither its content nor its name says.
    `progress(file name, done, total)` is called as the work advances (units: bytes read
    plus bytes written). `rows(file name, rows read)` is called once each file has been read.
    """
    paths = [Path(p) for p in paths]
    reports = [ImportReport(file=p.name, path=str(p)) for p in paths]
    sizes = [p.stat().st_size if p.is_file() else 0 for p in paths]
    total, done = 2 * sum(sizes), 0

    def tick(name: str, n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(name, done, total)

    parsed: dict[int, ParsedFile] = {}
    bulk_message_shops: dict[int, list[str]] = {}
    zones = shop_zones(store, reports)
    for i, path in enumerate(paths):
        if progress is not None:
            progress(path.name, done, total)
        bulk_entry = try_bulk(store, path, kind, shop, zones)
        if bulk_entry is not None:  # a clean canonical Parquet file, written by DuckDB directly
            r = reports[i]
            r.kind, r.format, r.import_id = (
                bulk_entry["kind"],
                bulk_entry["format"],
                bulk_entry["import_id"],
            )
            r.rows_read, r.imported = bulk_entry["rows_read"], bulk_entry["imported"]
            r.updated, r.duplicates = bulk_entry["updated"], bulk_entry["duplicates"]
            if r.kind == "messages":
                bulk_message_shops[i] = bulk_entry["shops"]
            if rows is not None:
                rows(path.name, r.rows_read)
            tick(path.name, 2 * sizes[i])
            continue
        if kind is None and _import_evals(store, path, shop, zones, reports[i]):
            tick(path.name, 2 * sizes[i])
            continue
        if kind is None and _import_report(store, path, shop, period, reports[i]):
            if rows is not None:
                rows(path.name, reports[i].rows_read)
            tick(path.name, 2 * sizes[i])
            continue
        try:
            parsed[i] = _read(store, path, kind, shop, reports[i], zones)
        except ImportFileError as e:
            reports[i].refused(e)
            tick(path.name, 2 * sizes[i])
            continue
        if rows is not None:
            rows(path.name, parsed[i].rows_read)
        tick(path.name, sizes[i])

    details = [i for i, pf in parsed.items() if pf.updates_only]
    claimed = _merge_details(parsed, details)
    for i in [i for i in parsed if i not in details] + details:
        pf = parsed[i]
        try:
            _write_file(store, paths[i], pf, reports[i], shop, claimed.get(i, {}), zones)
        except ImportFileError as e:
            reports[i].refused(e)
        except Exception as e:  # the transaction rolled back: nothing of this file is stored
            detail = " ".join(str(e).split())[:300]  # DuckDB's messages span lines: one sentence
            failed = ImportFileError(
                "io.file.write_failed", file=pf.file, path=str(store.path), error=detail
            )
            reports[i].refused(failed)
        tick(paths[i].name, sizes[i])

    _report_unknown_agents(store, parsed, reports, bulk_message_shops)
    return reports


# -- reading --------------------------------------------------------------------------------


def shop_zones(store: Store, reports: Sequence[ImportReport] = ()) -> ShopZones:
    """Every shop's `timezone` setting; a value that is not a zone is reported and not used."""
    rows = store.con.execute(
        "SELECT shop_id, value FROM shop_settings WHERE name = 'timezone' ORDER BY 1"
    ).fetchall()
    zones: dict[str, str] = {}
    for shop_id, value in rows:
        try:
            zones[shop_id] = parse_timezone(value)
        except SettingError as e:
            for r in reports:
                r.warnings.append(
                    t(
                        "io.warn.timezone_ignored",
                        None,
                        shop=shop_id,
                        error=e,
                        zone=ShopZones().default,
                    )
                )
    return ShopZones(zones)


def _import_evals(
    store: Store, path: Path, shop: str | None, zones: ShopZones, report: ImportReport
) -> bool:
    """Import `path` when it is a file of Taobao 服务评价 (True); False when it is not one."""
    from kefu.io.service_evals import read_evals
    from kefu.store.service_evals import import_evals

    return _import_keyed(
        store,
        path,
        report,
        lambda: read_evals(path, shop=shop, zones=zones),
        lambda parsed: import_evals(store, path, parsed, report),
    )


def _import_report(
    store: Store,
    path: Path,
    shop: str | None,
    period: tuple[date, date] | None,
    report: ImportReport,
) -> bool:
    """Import `path` when it is an agent report (True); False when it is not one."""
    from kefu.io.reports import read_report
    from kefu.store.reported import import_report

    return _import_keyed(
        store,
        path,
        report,
        lambda: read_report(path, shop=shop, period=period),
        lambda parsed: import_report(store, path, parsed, report),
    )


def _import_keyed(
    store: Store,
    path: Path,
    report: ImportReport,
    read: Callable[[], P | None],
    write: Callable[[P], None],
) -> bool:
    """Read `path` with its own reader (None: not that kind of file, False) and write it
    (True); a refusal or a failed write is said in `report`, and nothing of the file is kept."""
    try:
        parsed = read()
    except ImportFileError as e:
        report.refused(e)
        return True
    if parsed is None:
        return False
    try:
        write(parsed)
    except Exception as e:  # the transaction rolled back: nothing of this file is stored
        report.refused(
            ImportFileError(
                "io.file.write_failed", file=path.name, path=str(store.path), error=str(e)
            )
        )
    return True


def _read(
    store: Store,
    path: Path,
    kind: str | None,
    shop: str | None,
    report: ImportReport,
    zones: ShopZones,
) -> ParsedFile:
    return read_for_shop(
        path, kind=kind, shop=shop, settings=store.settings, zones=zones, warnings=report.warnings
    )


def _merge_details(parsed: dict[int, ParsedFile], details: list[int]) -> dict[int, dict[str, str]]:
    """Give detail lists' item counts to the order lists imported with them that lack 宝贝总数量.

    Returns, per detail file, the order ids an order list of this call took care of (and
    the name of that order list): the detail file does not write those itself.
    """
    claimed: dict[int, dict[str, str]] = {}
    counts: dict[
        str, tuple[int, int]
    ] = {}  # order id → (items, detail file index); first file wins
    for d in details:
        t = parsed[d].table
        for oid, n in zip(
            t.column("order_id").to_pylist(), t.column("items").to_pylist(), strict=True
        ):
            counts.setdefault(oid, (n, d))
    if not counts:
        return claimed
    for pf in parsed.values():
        if pf.kind != "orders" or pf.updates_only or not pf.table.num_rows:
            continue
        ids = pf.table.column("order_id").to_pylist()
        items = pf.table.column("items").to_pylist()
        has_items = "items" in pf.columns
        mask = [False] * len(ids)
        differ = []
        for r, oid in enumerate(ids):
            if oid not in counts:
                continue
            n, d = counts[oid]
            claimed.setdefault(d, {})[oid] = pf.file
            if has_items:
                if items[r] != n:
                    differ.append(
                        f"{pf.file} row {pf.source_rows[r]}: 宝贝总数量 {items[r]} but {parsed[d].file} "
                        f"counts {n} items; kept 宝贝总数量"
                    )
            else:
                items[r] = n
                mask[r] = True
        pf.warnings.extend(differ[:20])
        if len(differ) > 20:
            pf.warnings.append(f"… and {len(differ) - 20} more orders whose item counts differ")
        if any(mask):
            pos = pf.table.column_names.index("items")
            pf.table = pf.table.set_column(pos, "items", pa.array(items, type=pa.int32()))
            pf.partial["items"] = mask
            pf.notes.append(
                f"item counts of {sum(mask)} orders come from the detail list imported with it"
            )
    return claimed


# -- writing --------------------------------------------------------------------------------


def _write_file(
    store: Store,
    path: Path,
    pf: ParsedFile,
    report: ImportReport,
    shop: str | None,
    claimed: dict[str, str],
    zones: ShopZones,
) -> None:
    report.kind, report.format, report.encoding = pf.kind, pf.format, pf.encoding
    report.rows_read = pf.rows_read
    report.dropped = dict(pf.dropped)
    report.warnings.extend(pf.warnings)
    report.notes.extend(pf.notes)
    quarantine: list[Quarantined] = list(pf.quarantine)
    sha = sha256_of(path)
    with store.transaction():
        import_id = store.next_import_id()
        store.replace_quarantine_of(sha, path.name)
        if pf.updates_only:
            counts = _write_detail(store, pf, shop, claimed, quarantine, report)
        else:
            table, keep = pf.table, list(range(pf.table.num_rows))
            if pf.kind == "reviews":
                table, keep = _review_shops(store, pf, quarantine)
            partial = {c: [m[r] for r in keep] for c, m in pf.partial.items()}
            if pf.kind == "agents" and seats.held_mode(pf.columns):
                # several rows of one seat (its holders): one agents row per seat
                cols = [c for c in pf.columns if c not in seats.PERSON_COLUMNS]
                cols += [c for c in seats.FACTS if c not in cols]
                counts = _write(store, "agents", seats.seat_rows(table), cols, {})
            else:
                counts = _write(store, pf.kind, table, pf.columns, partial)
            if pf.kind == "agents":
                seats.write_holdings(store, table, pf.columns)
        report.imported, report.updated = counts.inserted, counts.updated
        report.duplicates = counts.unchanged + pf.duplicates
        if pf.items is not None:
            _write_items(store, pf.items, shop, report)
        report.quarantined = len(quarantine)
        report.quarantine = quarantine
        shops = _shops(pf.table) or ([shop] if shop else [])
        store.log_import(
            {
                "import_id": import_id,
                "imported_at": now_in(zones.name(shops[0] if len(shops) == 1 else None)),
                "file": path.name,
                "sha256": sha,
                "kind": pf.kind,
                "format": pf.format,
                "encoding": pf.encoding,
                "shop_id": shops[0] if len(shops) == 1 else None,
                "rows_read": report.rows_read,
                "imported": report.imported,
                "updated": report.updated,
                "duplicates": report.duplicates,
                "quarantined": report.quarantined,
                "dropped": report.dropped_total,
                "warnings": "\n".join(report.warnings + report.notes) or None,
            }
        )
        store.add_quarantine(import_id, pf.kind, quarantine)
        report.import_id = import_id


def _shops(table: pa.Table) -> list[str]:
    if "shop_id" not in table.column_names:
        return []
    return sorted({s for s in table.column("shop_id").to_pylist() if s is not None})


def _write(
    store: Store, kind: str, table: pa.Table, columns: list[str], partial: dict[str, list[bool]]
) -> UpsertCounts:
    """Upsert `table`, updating existing records only on the columns each row really provides."""
    if table.num_rows == 0:
        return UpsertCounts(0, 0, 0)
    groups: dict[tuple[bool, ...], list[int]] = {}
    names = list(partial)
    for r in range(table.num_rows):
        groups.setdefault(tuple(partial[c][r] for c in names), []).append(r)
    total = UpsertCounts(0, 0, 0)
    for flags, rows in groups.items():
        given = columns + [c for c, on in zip(names, flags, strict=True) if on and c not in columns]
        part = table if len(groups) == 1 else table.take(pa.array(rows, type=pa.int64()))
        total = _add(total, _write_group(store, kind, part, given))
    return total


def _write_group(store: Store, kind: str, table: pa.Table, given: list[str]) -> UpsertCounts:
    # Defaulted columns (items = 1, say) are written for new records only.
    if set(table.column_names) <= set(given):
        return store.upsert(kind, table, given)
    exists = _existing(store, kind, table)
    new = table.filter(pc.invert(exists))
    old = table.filter(exists)
    counts = UpsertCounts(0, 0, 0)
    if new.num_rows:
        counts = _add(counts, store.upsert(kind, new, new.column_names))
    if old.num_rows:
        counts = _add(counts, store.upsert(kind, old, given))
    return counts


def _existing(store: Store, kind: str, table: pa.Table) -> pa.Array:
    """For each row of `table`, whether a record with its identity is already stored."""
    keys = list(KEYS[kind])
    stage = table.select(keys).append_column(
        "_kefu_row", pa.array(range(table.num_rows), type=pa.int64())
    )
    store.con.register("_kefu_keys", stage)
    try:
        on = " AND ".join(f"s.{k} = t.{k}" for k in keys)
        found = {
            r[0]
            for r in store.con.execute(
                f"SELECT s._kefu_row FROM _kefu_keys s SEMI JOIN {kind} t ON {on}"
            ).fetchall()
        }
    finally:
        store.con.unregister("_kefu_keys")
    return pa.array([r in found for r in range(table.num_rows)], type=pa.bool_())


def _add(a: UpsertCounts, b: UpsertCounts) -> UpsertCounts:
    return UpsertCounts(a.inserted + b.inserted, a.updated + b.updated, a.unchanged + b.unchanged)


def _record(pf: ParsedFile, r: int) -> dict[str, str]:
    return {c: str(v) for c, v in pf.table.slice(r, 1).to_pylist()[0].items() if v is not None}


def _orders_by_id(store: Store, order_ids: list[str], shop: str | None) -> dict[str, list[str]]:
    """The shops holding each of `order_ids` in the store."""
    if not order_ids:
        return {}
    stage = pa.table({"order_id": pa.array(sorted(set(order_ids)), type=pa.string())})
    store.con.register("_kefu_ids", stage)
    try:
        sql = "SELECT o.order_id, o.shop_id FROM orders o SEMI JOIN _kefu_ids s ON o.order_id = s.order_id"
        args: list[Any] = []
        if shop:
            sql += " WHERE o.shop_id = ?"
            args.append(shop)
        rows = store.con.execute(sql + " ORDER BY 2", args).fetchall()
    finally:
        store.con.unregister("_kefu_ids")
    out: dict[str, list[str]] = {}
    for oid, s in rows:
        out.setdefault(oid, []).append(s)
    return out


def _review_shops(
    store: Store, pf: ParsedFile, quarantine: list[Quarantined]
) -> tuple[pa.Table, list[int]]:
    """Reviews with their shop: given by the file or --shop, else the shop of their order."""
    t = pf.table
    shops = t.column("shop_id").to_pylist() if "shop_id" in t.column_names else [None] * t.num_rows
    ids = t.column("order_id").to_pylist()
    unknown = [oid for oid, s in zip(ids, shops, strict=True) if s is None]
    found = _orders_by_id(store, unknown, None)
    keep: list[int] = []
    for r, (oid, s) in enumerate(zip(ids, shops, strict=True)):
        if s is not None:
            keep.append(r)
            continue
        owners = found.get(oid, [])
        if len(owners) == 1:
            shops[r] = owners[0]
            keep.append(r)
            continue
        why = (
            Refusal("io.review.order_unknown", order=oid)
            if not owners
            else Refusal("io.review.order_in_shops", order=oid, shops=", ".join(owners))
        )
        quarantine.append(
            Quarantined(
                file=pf.file,
                row_no=pf.source_rows[r],
                column="order_id",
                value=oid,
                reason=str(why),
                record=_record(pf, r),
                why=why.as_json(),
            )
        )
    shop_col = pa.array(shops, type=pa.string())
    t = (
        t.set_column(t.column_names.index("shop_id"), "shop_id", shop_col)
        if "shop_id" in t.column_names
        else t.append_column("shop_id", shop_col)
    )
    if "shop_id" not in pf.columns:
        pf.columns = ["shop_id", *pf.columns]
    return t.take(pa.array(keep, type=pa.int64())), keep


def _write_detail(
    store: Store,
    pf: ParsedFile,
    shop: str | None,
    claimed: dict[str, str],
    quarantine: list[Quarantined],
    report: ImportReport,
) -> UpsertCounts:
    """Item counts of a detail list: for orders of this call's order lists those were merged
    already; the others update orders in the store, and rows of unknown orders are quarantined."""
    t = pf.table
    ids = t.column("order_id").to_pylist()
    items = t.column("items").to_pylist()
    rest = [r for r, oid in enumerate(ids) if oid not in claimed]
    report.records, report.merged = len(ids), len(ids) - len(rest)
    if claimed:
        lists = ", ".join(sorted(set(claimed.values())))
        report.notes.append(
            f"{len(ids) - len(rest)} of its orders are in {lists}, imported with it: their items come from "
            "宝贝总数量 when that list has it, else from this list"
        )
    found = _orders_by_id(store, [ids[r] for r in rest], shop)
    out_shop: list[str] = []
    out_id: list[str] = []
    out_items: list[int] = []
    for r in rest:
        owners = found.get(ids[r], [])
        if not owners:
            why = (
                Refusal("io.detail.order_not_in_shop", order=ids[r], shop=shop)
                if shop
                else Refusal("io.detail.order_unknown", order=ids[r])
            )
            quarantine.append(
                Quarantined(
                    file=pf.file,
                    row_no=pf.source_rows[r],
                    column="订单编号",
                    value=ids[r],
                    reason=str(why),
                    record={"order_id": ids[r], "items": str(items[r])},
                    why=why.as_json(),
                )
            )
            continue
        for s in owners:
            out_shop.append(s)
            out_id.append(ids[r])
            out_items.append(items[r])
    update = pa.table(
        {
            "shop_id": pa.array(out_shop, type=pa.string()),
            "order_id": pa.array(out_id, type=pa.string()),
            "items": pa.array(out_items, type=pa.int32()),
        }
    )
    if not update.num_rows:
        return UpsertCounts(0, 0, 0)
    return store.upsert("orders", update, ["shop_id", "order_id", "items"])


def _write_items(store: Store, items: pa.Table, shop: str | None, report: ImportReport) -> None:
    """Order lines: each order in `items` gets exactly these lines (its earlier ones replaced).

    Lines without a shop take the shop of their order in the store; lines of an order the
    store does not hold are not written, and a note says how many (their rows are in the
    quarantine already when no order list of this import had them).
    """
    if not items.num_rows:
        return
    shops = items.column("shop_id").to_pylist()
    ids = items.column("order_id").to_pylist()
    found = _orders_by_id(store, ids, shop)
    keep: list[int] = []
    owners: list[str] = []
    missing: set[str] = set()
    for r, (s, oid) in enumerate(zip(shops, ids, strict=True)):
        if s is not None:
            if s in found.get(oid, [s]):
                keep.append(r)
                owners.append(s)
            continue
        held = found.get(oid, [])
        if len(held) != 1:
            missing.add(oid)
            continue
        keep.append(r)
        owners.append(held[0])
    table = items.take(pa.array(keep, type=pa.int64()))
    table = table.set_column(0, "shop_id", pa.array(owners, type=pa.string()))
    cols = table.column_names
    store.con.register("_kefu_items", table)
    try:
        before = {
            tuple(r)
            for r in store.con.execute(
                f"SELECT {', '.join('t.' + c for c in cols)} FROM order_items t SEMI JOIN "
                "(SELECT DISTINCT shop_id, order_id FROM _kefu_items) k "
                "ON t.shop_id = k.shop_id AND t.order_id = k.order_id"
            ).fetchall()
        }
        store.con.execute(
            "DELETE FROM order_items t USING (SELECT DISTINCT shop_id, order_id FROM _kefu_items) k "
            "WHERE t.shop_id = k.shop_id AND t.order_id = k.order_id"
        )
        store.con.execute(f"INSERT INTO order_items ({', '.join(cols)}) SELECT * FROM _kefu_items")
    finally:
        store.con.unregister("_kefu_items")
    after = {tuple(row.values()) for row in table.to_pylist()}
    old_keys, new_keys = {r[:3] for r in before}, {r[:3] for r in after}
    same = len(after & before)
    new = len(new_keys - old_keys)
    changed = len(after) - new - same
    removed = len(old_keys - new_keys)
    report.notes.append(
        f"order lines: {new} new, {changed} changed, {same} unchanged"
        + (f", {removed} no longer in the export removed" if removed else "")
    )
    if missing:
        report.notes.append(
            f"the lines of {len(missing)} orders were not imported: their order is not in the store "
            "(or in several shops: give --shop)"
        )


# -- after the files ------------------------------------------------------------------------


def _report_unknown_agents(
    store: Store,
    parsed: dict[int, ParsedFile],
    reports: list[ImportReport],
    bulk_shops: dict[int, list[str]],
) -> None:
    """Once per import: sub-accounts chatting in messages that the agents table does not list."""
    messages = [i for i, pf in parsed.items() if pf.kind == "messages" and reports[i].ok]
    messages = sorted([*messages, *bulk_shops])
    if not messages:
        return
    shops = sorted(
        {
            s
            for i in messages
            for s in (bulk_shops[i] if i in bulk_shops else _shops(parsed[i].table))
        }
    )
    if not shops:
        return
    rows = store.con.execute(
        "SELECT DISTINCT m.agent_id FROM messages m ANTI JOIN agents a "
        "ON m.shop_id = a.shop_id AND m.agent_id = a.agent_id "
        f"WHERE m.shop_id IN ({', '.join('?' for _ in shops)}) ORDER BY 1",
        shops,
    ).fetchall()
    if not rows:
        return
    names = [r[0] for r in rows]
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    reports[messages[-1]].notes.append(
        f"{len(names)} sub-accounts chat in messages but are not in the agents table; they count as "
        f"presale agents named after their sub-account until you import agents: {shown}"
    )
