"""Options and helpers every `kefu` command shares: the database, the shop, the language."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated, NoReturn, TextIO

import typer
from rich.console import Console

from kefu.store import Store, open_store
from kefu.store.database import StoreError, default_path

# Piped output (a file, a test) is not folded to an imagined terminal: tables print every
# column at their natural width (kefu.report.fit) and prose is not hard-wrapped, unless
# COLUMNS says how wide the reader is.
PIPED_WIDTH = 1000


def _width(stream: TextIO) -> int | None:
    if stream.isatty():
        return None  # rich asks the terminal
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else PIPED_WIDTH


def piped(c: Console) -> bool:
    """Whether `c` writes to a pipe or file with no width given (COLUMNS unset)."""
    return c.width >= PIPED_WIDTH


def safe_streams() -> None:
    """Let stdout/stderr replace what their encoding cannot show (a GBK console and `≥`, `✓`).

    A Windows console in code page 936, or PYTHONIOENCODING=gbk, cannot encode every
    character kefu prints; a `?` is better than a crash.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if reconfigure is not None and encoding not in ("utf8", "utf8sig"):
            with contextlib.suppress(ValueError, OSError):  # a detached or closed stream
                reconfigure(errors="replace")


console = Console(width=_width(sys.stdout))
err_console = Console(stderr=True, width=_width(sys.stderr))

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
ColumnsOption = Annotated[
    str | None,
    typer.Option("--columns", help="only these columns, e.g. conversion_rate,avg_spend_fen"),
]
WideOption = Annotated[bool, typer.Option("--wide", help="every column, however wide the terminal")]
AgentOption = Annotated[
    str | None, typer.Option("--agent", help="only this agent: sub-account or name")
]


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


def resolve_agent(agents: Sequence[tuple[str, str]], query: str, lang: str) -> str:
    """The sub-account `query` names: a sub-account, or a name (the part after `shop:` too).

    `agents` is (sub-account, name) pairs. An unknown or ambiguous name stops with the
    candidates listed.
    """
    from kefu.i18n import t

    ids = [a for a, _ in agents]
    if query in ids:
        return query
    q = query.strip()
    matches = [a for a, name in agents if q in (name, a.split(":", 1)[-1])]
    matches = list(dict.fromkeys(matches))
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(f"{a} ({n})" for a, n in agents if a in matches)
        fail(t("agent.ambiguous", lang, query=query, matches=listed))
    known = ", ".join(f"{a} ({n})" if n else a for a, n in agents) or "—"
    fail(t("agent.unknown", lang, query=query, known=known))


def data_months(store: Store, shop_id: str) -> list[str]:
    """The months (YYYY-MM) in which the shop has chats or orders."""
    rows = store.con.execute(
        "SELECT DISTINCT strftime(sent_at, '%Y-%m') FROM messages WHERE shop_id = $1 "
        "UNION SELECT DISTINCT strftime(created_at, '%Y-%m') FROM orders WHERE shop_id = $1 "
        "ORDER BY 1",
        [shop_id],
    ).fetchall()
    return [r[0] for r in rows if r[0]]


def no_data(store: Store, shop_id: str, month: str, lang: str) -> str:
    """The sentence for a month without data: which months the shop does have."""
    from kefu.i18n import t

    months = data_months(store, shop_id)
    if not months:
        return t("month.no_data_at_all", lang, shop=shop_id, month=month)
    return t("month.no_data", lang, shop=shop_id, month=month, first=months[0], last=months[-1])
