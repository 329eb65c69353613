"""The `kefu` command: each area of the product registers its own commands here."""

from __future__ import annotations

import typer

from kefu import __version__
from kefu.cli import demo, diagnose, importing, kpi, pay, template

app = typer.Typer(
    name="kefu",
    help="kefu 客服绩效: how good each customer-service agent is, why, what to do, and what to pay.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """kefu 客服绩效."""


for module in (importing, kpi, diagnose, pay, demo, template):
    module.register(app)


@app.command("version")
def version() -> None:
    """Print kefu's version."""
    typer.echo(__version__)


def main() -> None:
    from kefu.cli.common import safe_streams

    safe_streams()
    app()


if __name__ == "__main__":
    main()
