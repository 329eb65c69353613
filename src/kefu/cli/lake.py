"""CLI commands: `kefu lake export` (the store's tables into a lake) and `kefu lake land`
(raw exports into a lake, by Spark); docs/lake.md."""

from __future__ import annotations

from typing import Annotated

import typer

from kefu.cli.common import LangOption, check_choice, check_lang, console, fail, h, open_db
from kefu.i18n import t


def export_cmd(
    to: Annotated[str, typer.Option("--to", help=h("lake.help.to"))],
    db: Annotated[
        str | None, typer.Option("--store", "--db", help=h("cli.opt.db"), show_default=False)
    ] = None,
    lang: LangOption = None,
) -> None:
    from kefu.lake.export import LakeError, check_lake_target, export

    which = check_lang(lang)
    try:  # refuse a bad target before the store is read
        lake = check_lake_target(to)
    except LakeError as e:
        fail(e.text(which))
    store = open_db(db, must_exist=True)
    try:
        done = export(store, lake)
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


def land_cmd(
    landing: Annotated[str, typer.Option("--from", help=h("landing.help.from"))],
    lake: Annotated[str, typer.Option("--lake", help=h("landing.help.lake"))],
    fmt: Annotated[str, typer.Option("--format", help=h("landing.help.format"))] = "text",
    lang: LangOption = None,
) -> None:
    import json

    from kefu.lake.export import LakeError

    which = check_lang(lang)
    check_choice("--format", fmt, ("text", "json"))
    from kefu.lake.job import session
    from kefu.lake.land import Land

    spark = session("kefu lake land")
    try:
        report = Land(spark, landing, lake).run()
    except LakeError as e:
        fail(e.text(which))
    if fmt == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    say = lambda key, **v: console.print(  # noqa: E731
        t(key, which, **v), highlight=False, markup=False, soft_wrap=True
    )
    landed = len(report["files"])
    say(
        "landing.files",
        seen=report["files_seen"],
        landed=landed,
        skipped=report["files_seen"] - landed,
    )
    for name, c in report["tables"].items():
        if c["rows"] or c["partitions_written"] or c["partitions_removed"]:
            say("landing.table", table=name, **c)
    say("landing.quarantined", count=report["quarantined"], lake=report["lake"])


def register(app: typer.Typer) -> None:
    """Add `kefu lake` (export, land) to the kefu app."""
    lake = typer.Typer(help=h("lake.help.lake"), no_args_is_help=True)
    lake.command("export", help=h("lake.help.export"))(export_cmd)
    lake.command("land", help=h("landing.help.land"))(land_cmd)
    app.add_typer(lake, name="lake")
