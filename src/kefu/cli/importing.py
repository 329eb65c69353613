"""CLI commands: `kefu import FILE…` and `kefu import --quarantine`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from kefu.cli.common import DbOption, LangOption, check_lang, console, err_console, fail, open_db
from kefu.i18n import t
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
FilesArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help="export files: Taobao/Tmall order CSV/xlsx, 千牛 chat text, canonical CSV/Parquet"
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
        lang: LangOption = "zh",
    ) -> None:
        """Import export files into the kefu database (each file whole or not at all; safe to repeat).

        Exit status 0 when every file was read (even with quarantined rows); 1 when a file could not be read at all (nothing of it is imported; the other files are). See docs/importers.md.
        """
        check_lang(lang)
        if quarantine:
            if files:
                fail("--quarantine lists earlier imports' rejected rows: give it without files")
            show_quarantine(db)
            return
        if not files:
            fail("give the files to import: kefu import FILE… (see docs/importers.md)")
        if kind is not None and kind not in KINDS:
            fail(f"--kind must be one of {', '.join(KINDS)}, not '{kind}'")
        store = open_db(db)
        before = os.environ.get("KEFU_LANG")
        os.environ["KEFU_LANG"] = lang  # the readers' refusals speak the summary's language
        try:
            reports = _run(store, files, kind, shop)
        finally:
            store.close()
            if before is None:
                os.environ.pop("KEFU_LANG", None)
            else:
                os.environ["KEFU_LANG"] = before
        for report in reports:
            print_report(report, lang)
        failed = [r for r in reports if not r.ok]
        if failed:
            if len(reports) > 1:
                err_console.print(
                    f"[bold red]kefu:[/] {len(failed)} of {len(reports)} files could not be read; "
                    "the others were imported",
                    highlight=False,
                )
            raise typer.Exit(1)


def _run(store: Store, files: list[Path], kind: str | None, shop: str | None) -> list[ImportReport]:
    size = sum(p.stat().st_size for p in files if p.is_file())
    if size <= PROGRESS_BYTES and len(files) <= PROGRESS_FILES:
        return import_files(store, files, kind=kind, shop=shop)
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

        return import_files(store, files, kind=kind, shop=shop, progress=advance)


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
        err_console.print(
            shown("kefu: ", style="bold red")
            + shown(f"{report.error} — {t('import.nothing_imported', lang)}")
        )
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
        console.print(shown(quarantine_line(q)), soft_wrap=True)
    if len(report.quarantine) > SHOWN_QUARANTINE:
        more = len(report.quarantine) - SHOWN_QUARANTINE
        console.print(shown(t("import.more_quarantined", lang, n=more)), soft_wrap=True)
    for w in report.warnings:
        console.print(shown(t("import.warning", lang), style="yellow") + shown(w), soft_wrap=True)
    for note in report.notes:
        console.print(shown(t("import.note", lang), style="cyan") + shown(note), soft_wrap=True)


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
