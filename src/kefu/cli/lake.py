"""CLI commands: `kefu lake export` (the store's tables into a lake; docs/lake.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kefu.cli.common import LangOption, check_lang, console, fail, h, open_db
from kefu.i18n import t


def export_cmd(
    to: Annotated[Path, typer.Option("--to", help=h("lake.help.to"))],
    db: Annotated[
        str | None, typer.Option("--store", "--db", help=h("cli.opt.db"), show_default=False)
    ] = None,
    lang: LangOption = None,
) -> None:
    from kefu.lake.export import LakeError, check_lake_target, export

    which = check_lang(lang)
    try:  # refuse a bad target before the store is read
        check_lake_target(to)
    except LakeError as e:
        fail(e.text(which))
    store = open_db(db, must_exist=True)
    try:
        done = export(store, to)
    except LakeError as e:
        fail(e.text(which))
    finally:
        store.close()
    for name, c in done.tables.items():
        console.print(
            t(
                "lake.exported_table",
                which,
                table=name,
                written=c.written,
                unchanged=c.unchanged,
                removed=c.removed,
                rows=c.rows,
            ),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    console.print(
        t("lake.exported", which, shops=len(done.shops), lake=str(to)),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add `kefu lake` (export) to the kefu app."""
    lake = typer.Typer(help=h("lake.help.lake"), no_args_is_help=True)
    lake.command("export", help=h("lake.help.export"))(export_cmd)
    app.add_typer(lake, name="lake")
