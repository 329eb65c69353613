"""CLI commands: `kefu import FILE…` and `kefu import --quarantine`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from kefu.cli.common import DbOption, check_month, console, err_console, fail, open_db
from kefu.inert import shown
from kefu.io import KINDS, quarantine_line
from kefu.store import Store
from kefu.store.ingest import ImportReport, import_files

SHOWN_QUARANTINE = 20
PROGRESS_BYTES = 5 * 1024 * 1024  # show a progress bar above this much input…
PROGRESS_FILES = 5  # …or for more files than this

KindOption = Annotated[
    str | None,
    typer.Option(
        "--kind", help="agents | messages | orders | reviews (default: detected from the file)"
    ),
]
# common.ShopOption's help speaks of choosing among shops in the database; here it names one
ImportShopOption = Annotated[
    str | None,
    typer.Option(
        "--shop",
        help="the shop of files that do not name it (e.g. the Tianchi report, detail lists)",
    ),
]
QuarantineOption = Annotated[
    bool, typer.Option("--quarantine", help="list the rows earlier imports set aside, and why")
]
MonthImportOption = Annotated[
    str | None,
    typer.Option(
        "--month", help="YYYY-MM: the period of an agent report that does not say (docs/reports.md)"
    ),
]
DayImportOption = Annotated[
    str | None,
    typer.Option("--day", help="YYYY-MM-DD: the day of a daily agent report that does not say"),
]
FilesArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help="export files: Taobao/Tmall order CSV/xlsx, 千牛 chat text, canonical CSV/Parquet,"
        " platform agent reports (赤兔, 生意参谋, 飞鸽, 拼多多, 京东)"
    ),
]


def register(app: typer.Typer) -> None:
    """Add this area's commands to the kefu app."""

    @app.command("import")
    def import_command(
        files: FilesArgument = None,
        db: DbOption = None,
        kind: KindOption = None,
        shop: ImportShopOption = None,
        quarantine: QuarantineOption = False,
        month: MonthImportOption = None,
        day: DayImportOption = None,
    ) -> None:
        """Import export files into the kefu database (each file whole or not at all; safe to repeat).

        Exit status 0 when every file was read (even with quarantined rows); 1 when a file could not be read at all (nothing of it is imported; the other files are). See docs/importers.md.
        """
        if quarantine:
            if files:
                fail("--quarantine lists earlier imports' rejected rows: give it without files")
            show_quarantine(db)
            return
        if not files:
            fail("give the files to import: kefu import FILE… (see docs/importers.md)")
        if kind is not None and kind not in KINDS:
            fail(f"--kind must be one of {', '.join(KINDS)}, not '{kind}'")
        period = _period(month, day)
        store = open_db(db)
        try:
            reports = _run(store, files, kind, shop, period)
        finally:
            store.close()
        for report in reports:
            print_report(report)
        failed = [r for r in reports if not r.ok]
        if failed:
            if len(reports) > 1:
                err_console.print(
                    f"[bold red]kefu:[/] {len(failed)} of {len(reports)} files could not be read; "
                    "the others were imported",
                    highlight=False,
                )
            raise typer.Exit(1)


def _period(month: str | None, day: str | None) -> tuple[date, date] | None:
    """The period --month or --day gives an agent report that does not carry its own."""
    from kefu.i18n import t
    from kefu.io.reports.quirks import month_of

    if month and day:
        fail(t("reports.import.month_and_day"))
    if month:
        check_month(month)
        return month_of(date(int(month[:4]), int(month[5:7]), 1))
    if day:
        try:
            d = date.fromisoformat(day)
        except ValueError:
            fail(t("reports.import.bad_day", value=day))
        return d, d
    return None


def _run(
    store: Store,
    files: list[Path],
    kind: str | None,
    shop: str | None,
    period: tuple[date, date] | None = None,
) -> list[ImportReport]:
    size = sum(p.stat().st_size for p in files if p.is_file())
    if size <= PROGRESS_BYTES and len(files) <= PROGRESS_FILES:
        return import_files(store, files, kind=kind, shop=shop, period=period)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("importing", total=max(2 * size, 1))

        def advance(name: str, done: int, total: int) -> None:
            bar.update(task, description=f"importing {name}", completed=done, total=max(total, 1))

        return import_files(store, files, kind=kind, shop=shop, progress=advance, period=period)


def print_report(report: ImportReport) -> None:
    """One file's outcome: its counts, then its quarantined rows, warnings and notes."""
    if not report.ok:
        err_console.print(
            shown("kefu: ", style="bold red")
            + shown(f"{report.error} — nothing of it was imported")
        )
        return
    encoding = f", {report.encoding}" if report.encoding else ""
    heading = shown(report.file, style="bold") + shown(
        f"  ({report.kind}, {report.format}{encoding})"
    )
    console.print(heading, soft_wrap=True)
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("rows", justify="right")
    table.add_row("rows read · 读取", str(report.rows_read))
    table.add_row("imported · 新增", str(report.imported))
    table.add_row("updated · 更新", str(report.updated))
    table.add_row("skipped as duplicates · 重复", str(report.duplicates))
    table.add_row("quarantined · 隔离", str(report.quarantined))
    table.add_row("dropped · 丢弃", str(report.dropped_total))
    for what, n in report.dropped.items():
        table.add_row(shown(f"  {what}"), str(n))
    console.print(table)
    for q in report.quarantine[:SHOWN_QUARANTINE]:
        console.print(shown(quarantine_line(q)), soft_wrap=True)
    if len(report.quarantine) > SHOWN_QUARANTINE:
        more = len(report.quarantine) - SHOWN_QUARANTINE
        console.print(shown(f"… and {more} more: kefu import --quarantine"), soft_wrap=True)
    for w in report.warnings:
        console.print(shown("warning: ", style="yellow") + shown(w), soft_wrap=True)
    for note in report.notes:
        console.print(shown("note: ", style="cyan") + shown(note), soft_wrap=True)


def show_quarantine(db: str | None) -> None:
    """Every quarantined row in the database: file, row, column, value and reason."""
    store = open_db(db, must_exist=True)
    try:
        rows = store.quarantined()
    finally:
        store.close()
    if not rows:
        console.print("no quarantined rows")
        return
    table = Table(title=f"{len(rows)} quarantined rows · 隔离行", title_justify="left")
    for name in ("file", "row", "column", "value", "reason"):
        table.add_column(name, overflow="fold")
    for r in rows:
        table.add_row(
            shown(r["file"]),
            "" if r["row_no"] is None else str(r["row_no"]),
            shown(r["column_name"] or ""),
            shown(r["value"] or ""),
            shown(r["reason"]),
        )
    console.print(table)
