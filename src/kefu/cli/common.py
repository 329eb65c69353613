"""Options and helpers every `kefu` command shares: the database, the shop, the language."""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from kefu.store import Store, open_store
from kefu.store.database import StoreError, default_path

# Piped output (a file, a test) gets a wide console so tables are not folded to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="DuckDB file (default: $KEFU_DB or ./kefu.duckdb)", show_default=False
    ),
]
ShopOption = Annotated[
    str | None, typer.Option("--shop", help="shop id (default: the only shop in the database)")
]
LangOption = Annotated[str, typer.Option("--lang", help="zh (default) or en")]
MonthOption = Annotated[str, typer.Option("--month", help="YYYY-MM")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Stop with one clear sentence on stderr and a non-zero exit."""
    from rich.markup import escape

    from kefu.inert import visible

    # the message is plain text: brackets in it (a file's cell, an error code) must show as
    # they are, and control characters from data are shown, never sent to the terminal
    err_console.print(
        f"[bold red]kefu:[/] {escape(visible(message))}", highlight=False, soft_wrap=True
    )
    raise typer.Exit(code)


def open_db(db: str | None, *, must_exist: bool = False) -> Store:
    from pathlib import Path

    path = db or default_path()
    if must_exist and not Path(path).exists():
        fail(f"no kefu database at {path} — import files first (kefu import FILE…) or pass --db")
    try:
        return open_store(path)
    except StoreError as e:
        fail(str(e))
    except Exception as e:  # a locked or corrupt file: one sentence, not a traceback
        fail(f"cannot open the database {path}: {e}")


def resolve_shop(store: Store, shop: str | None) -> str:
    shops = store.shops()
    if shop:
        if shop not in shops:
            fail(
                f"shop '{shop}' has no data in {store.path}; shops there: {', '.join(shops) or 'none'}"
            )
        return shop
    if len(shops) == 1:
        return shops[0]
    if not shops:
        fail(f"{store.path} holds no data yet — run kefu import FILE… first")
    fail(f"{store.path} holds several shops ({', '.join(shops)}); choose one with --shop")


def check_month(month: str) -> str:
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        fail(f"--month must look like 2024-09, not '{month}'")
    return month


def check_lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        fail(f"--lang must be zh or en, not '{lang}'")
    return lang
