"""CLI commands: `kefu backup` and `kefu restore` (docs/store.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kefu.cli.common import DbOption, LangOption, check_lang, console, fail, h
from kefu.i18n import t
from kefu.store.database import StoreError, default_path

ForceOption = Annotated[bool, typer.Option("--force", help=h("store.help.force"))]


def _size(n: int) -> str:
    """A file size as people read it: 5.3 MB."""
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1000:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def register(app: typer.Typer) -> None:
    """Add backup and restore to the kefu app."""

    @app.command("backup", help=h("store.help.backup"))
    def backup_cmd(
        output: Annotated[Path, typer.Option("--output", help=h("store.help.output"))],
        db: DbOption = None,
        force: ForceOption = False,
        lang: LangOption = None,
    ) -> None:
        from kefu.store.backup import backup

        which = check_lang(lang)
        store = Path(db or default_path())
        try:
            done = backup(store, output, force=force)
        except StoreError as e:
            fail(e.text(which))
        console.print(
            t(
                "store.backup_done",
                which,
                db=str(store),
                version=done.copied.version,
                tables=len(done.copied.tables),
                rows=done.copied.rows,
                size=_size(done.size),
                output=str(output),
            ),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    @app.command("restore", help=h("store.help.restore"))
    def restore_cmd(
        file: Annotated[Path, typer.Argument(help=h("store.help.file"))],
        db: DbOption = None,
        force: ForceOption = False,
        lang: LangOption = None,
    ) -> None:
        from kefu.store.backup import restore

        which = check_lang(lang)
        store = Path(db or default_path())
        try:
            done = restore(file, store, force=force)
        except StoreError as e:
            fail(e.text(which))
        say = [
            t(
                "store.restore_done",
                which,
                source=str(file),
                found=done.copied.version,
                rows=done.copied.rows,
                db=str(store),
                version=done.version,
            )
        ]
        if done.moved_aside is not None:
            say.append(t("store.restore_moved", which, db=str(store), bak=str(done.moved_aside)))
        if done.wal_moved_aside is not None:
            say.append(t("store.restore_wal_moved", which, bak=str(done.wal_moved_aside)))
        for line in say:
            console.print(line, highlight=False, markup=False, soft_wrap=True)
