"""CLI commands: `kefu import FILE…` and `kefu import --quarantine`."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from kefu.cli.common import (
    DbOption,
    LangOption,
    check_choice,
    check_lang,
    check_month,
    console,
    current_lang,
    err_console,
    fail,
    h,
    open_db,
    say,
)
from kefu.i18n import t
from kefu.inert import shown
from kefu.io import KINDS, quarantine_line
from kefu.month import Month
from kefu.store import Store
from kefu.store.ingest import ImportReport, import_files

SHOWN_QUARANTINE = 20
lang = current_lang  # the command's language: its --lang once checked, else the environment's
PROGRESS_BYTES = 5 * 1024 * 1024  # show a progress bar above this much input…
PROGRESS_FILES = 5  # …or for more files than this

KindOption = Annotated[str | None, typer.Option("--kind", help=h("cli.opt.kind"))]
# common.ShopOption's help speaks of choosing among shops in the database; here it names one
ImportShopOption = Annotated[str | None, typer.Option("--shop", help=h("cli.opt.import_shop"))]
QuarantineOption = Annotated[bool, typer.Option("--quarantine", help=h("cli.opt.quarantine"))]
MonthImportOption = Annotated[str | None, typer.Option("--month", help=h("cli.opt.import_month"))]
DayImportOption = Annotated[str | None, typer.Option("--day", help=h("cli.opt.import_day"))]
FilesArgument = Annotated[list[Path] | None, typer.Argument(help=h("cli.arg.files"))]


def register(app: typer.Typer) -> None:
    """Add this area's commands to the kefu app."""

    @app.command("import", help=h("cli.import.help"))
    def import_command(
        files: FilesArgument = None,
        db: DbOption = None,
        kind: KindOption = None,
        shop: ImportShopOption = None,
        quarantine: QuarantineOption = False,
        month: MonthImportOption = None,
        day: DayImportOption = None,
        lang: LangOption = None,
    ) -> None:
        chosen = check_lang(lang)
        if quarantine:
            if files:
                say("cli.err.quarantine_with_files")
            show_quarantine(db)
            return
        if not files:
            say("cli.err.no_files")
        if kind is not None:
            check_choice("--kind", kind, tuple(KINDS))
        period = _period(month, day)
        store = open_db(db)
        before = os.environ.get("KEFU_LANG")
        os.environ["KEFU_LANG"] = chosen  # the readers' refusals speak the summary's language
        try:
            reports = _run(store, files, kind, shop, period)
        finally:
            store.close()
            if before is None:
                os.environ.pop("KEFU_LANG", None)
            else:
                os.environ["KEFU_LANG"] = before
        for report in reports:
            print_report(report, chosen)
        failed = [r for r in reports if not r.ok]
        if failed:
            if len(reports) > 1:
                some = t("cli.import.some_failed", chosen, failed=len(failed), total=len(reports))
                err_console.print(f"[bold red]kefu:[/] {some}", highlight=False)
            raise typer.Exit(1)


def _period(month: str | None, day: str | None) -> tuple[date, date] | None:
    """The period --month or --day gives an agent report that does not carry its own."""
    from kefu.i18n import t
    from kefu.io.reports.quirks import month_of

    if month and day:
        fail(t("reports.import.month_and_day"))
    if month:
        check_month(month)
        return month_of(Month.parse(month).first_day)
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
        task = bar.add_task(t("cli.import.progress", lang()), total=max(2 * size, 1))

        def advance(name: str, done: int, total: int) -> None:
            what = t("cli.import.progress_file", lang(), name=name)
            bar.update(task, description=what, completed=done, total=max(total, 1))

        return import_files(store, files, kind=kind, shop=shop, progress=advance, period=period)


def summary_rows(report: ImportReport, lang: str) -> list[tuple[str, int]]:
    """The counts of one file, labelled, so that every row read is accounted for."""
    rows = [(t("import.row.read", lang), report.rows_read)]
    if report.records and report.records != report.rows_read:
        # a detail list: many item lines per order, summed into one record per order
        rows.append((t("import.row.records", lang), report.records))
    rows += [
        (t("import.row.imported", lang), report.imported),
        (t("import.row.updated", lang), report.updated),
        (t("import.row.unchanged", lang), report.duplicates),
    ]
    if report.merged:
        rows.append((t("import.row.merged", lang), report.merged))
    rows.append((t("import.row.quarantined", lang), report.quarantined))
    if report.dropped_total:
        rows.append((t("import.row.dropped", lang), report.dropped_total))
    return rows


def print_report(report: ImportReport, lang: str = "zh") -> None:
    """One file's outcome: its counts, then its quarantined rows, warnings and notes."""
    if not report.ok:
        what = t("cli.import.not_imported", lang, error=report.error_text(lang))
        err_console.print(shown("kefu: ", style="bold red") + shown(what))
        return
    encoding = f", {report.encoding}" if report.encoding else ""
    heading = shown(report.file, style="bold") + shown(
        f"  ({report.kind}, {report.format}{encoding})"
    )
    console.print(heading, soft_wrap=True)
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("rows", justify="right", no_wrap=True)
    for what, n in summary_rows(report, lang):
        table.add_row(what, f"{n:,}")
    for what, n in report.dropped.items():
        table.add_row(shown(f"  {what}"), f"{n:,}")
    console.print(table)
    for q in report.quarantine[:SHOWN_QUARANTINE]:
        console.print(shown(quarantine_line(q, lang)), soft_wrap=True)
    if len(report.quarantine) > SHOWN_QUARANTINE:
        more = len(report.quarantine) - SHOWN_QUARANTINE
        console.print(shown(t("cli.import.more", lang, n=more)), soft_wrap=True)
    warning, note_word = t("cli.warning", lang), t("cli.note", lang)
    for w in report.warnings:
        console.print(shown(f"{warning}: ", style="yellow") + shown(w), soft_wrap=True)
    for note in report.notes:
        console.print(shown(f"{note_word}: ", style="cyan") + shown(note), soft_wrap=True)


def show_quarantine(db: str | None) -> None:
    """Every quarantined row in the database: file, row, column, value and reason."""
    store = open_db(db, must_exist=True)
    try:
        rows = store.quarantined(lang=lang())
    finally:
        store.close()
    if not rows:
        console.print(t("cli.import.no_quarantine", lang()))
        return
    title = t("cli.import.quarantine_title", lang(), n=len(rows))
    table = Table(title=title, title_justify="left")
    for name in ("file", "row", "column", "cell", "reason"):
        table.add_column(t(f"cli.col.{name}", lang()), overflow="fold")
    for r in rows:
        table.add_row(
            shown(r["file"]),
            "" if r["row_no"] is None else str(r["row_no"]),
            shown(r["column_name"] or ""),
            shown(r["value"] or ""),
            shown(r["reason"]),
        )
    console.print(table)
