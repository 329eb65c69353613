"""The `kefu` command: each area of the product registers its own commands here."""

from __future__ import annotations

import typer

from kefu import __version__
from kefu.cli import (
    demo,
    diagnose,
    importing,
    kpi,
    lake,
    pay,
    products,
    reconcile,
    store,
    template,
    voice,
    web,
)
from kefu.cli.common import h, reset_lang

app = typer.Typer(
    name="kefu",
    help=h("cli.app.help"),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    # each command starts in the environment's language, until its --lang is checked
    reset_lang()


for module in (
    importing,
    kpi,
    diagnose,
    pay,
    reconcile,
    voice,
    template,
    demo,
    store,
    products,
    web,
    lake,
):
    module.register(app)


@app.command("version", help=h("cli.version.help"))
def version() -> None:
    typer.echo(__version__)


def main() -> None:
    from kefu.cli.common import safe_streams

    safe_streams()
    app()


if __name__ == "__main__":
    main()
