"""Options and helpers every `kefu` command shares: the database, the shop, the language."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn, TextIO

import typer
import typer.core
import typer.rich_utils
from rich.console import Console

from kefu import i18n
from kefu.cli.click_words import argv_lang, install
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

# Help texts are fixed when the command is built: they speak the language `--lang` names on
# the command line, else the environment's (KEFU_LANG, then the locale).
HELP_LANG = argv_lang() or i18n.lang_from_env()


def h(key: str, **values: Any) -> str:
    """A help text from the catalogue, in the environment's language."""
    return i18n.t(key, HELP_LANG, **values)


_HINTS = {"str": "cli.metavar.text", "int": "cli.metavar.number", "path": "cli.metavar.path"}


def _value_hint(param: Any, ctx: Any) -> str | None:
    """What an option takes, in words: nothing for a flag, never a `<bool>`-style type name."""
    if param.metavar is not None:
        return str(param.metavar)
    if getattr(param, "is_flag", False):
        return None
    shown = str(param.display_type(ctx)).strip("<>")
    many = "list[" in shown or param.nargs != 1
    base = shown.removeprefix("list[").removesuffix("]").lower()
    text = h(_HINTS[base]) if base in _HINTS else base.upper()
    return text + ("…" if many else "")


install(HELP_LANG)  # click's and Typer's own words (Usage:, Missing argument, …)

# Typer's help shows each option's Python type as `<str>`, `<bool>`: people read words instead.
typer.core.TyperOption.display_type_rich = _value_hint  # type: ignore[method-assign,assignment]
typer.core.TyperArgument.display_type_rich = _value_hint  # type: ignore[method-assign,assignment]
typer.rich_utils.ARGUMENTS_PANEL_TITLE = h("cli.panel.arguments")
typer.rich_utils.OPTIONS_PANEL_TITLE = h("cli.panel.options")
typer.rich_utils.COMMANDS_PANEL_TITLE = h("cli.panel.commands")
typer.rich_utils.DEFAULT_STRING = h("cli.help.default", value="{}")
typer.rich_utils.REQUIRED_LONG_STRING = h("cli.help.required")
_help_option = typer.core.TyperCommand.get_help_option


def _help_option_in_words(self: Any, ctx: Any) -> Any:
    option = _help_option(self, ctx)
    if option is not None:
        option.help = h("cli.help_option")
    return option


typer.core.TyperCommand.get_help_option = _help_option_in_words  # type: ignore[method-assign]
typer.core.TyperGroup.get_help_option = _help_option_in_words  # type: ignore[method-assign]


DbOption = Annotated[str | None, typer.Option("--db", help=h("cli.opt.db"), show_default=False)]
ShopOption = Annotated[str | None, typer.Option("--shop", help=h("cli.opt.shop"))]
LangOption = Annotated[
    str | None, typer.Option("--lang", help=h("cli.opt.lang"), show_default=False)
]
MonthOption = Annotated[str, typer.Option("--month", help=h("cli.opt.month"))]
ColumnsOption = Annotated[str | None, typer.Option("--columns", help=h("cli.opt.columns"))]
WideOption = Annotated[bool, typer.Option("--wide", help=h("cli.opt.wide"))]
AgentOption = Annotated[str | None, typer.Option("--agent", help=h("cli.opt.agent_any"))]


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


class _Current:
    """The language of the running command: its --lang once checked, else the environment's."""

    lang: i18n.Lang | None = None


def current_lang() -> i18n.Lang:
    return _Current.lang or i18n.lang_from_env()


def reset_lang() -> None:
    _Current.lang = None


def say(key: str, **values: Any) -> NoReturn:
    """Stop with the catalogue's sentence `key`, in the command's language."""
    fail(i18n.t(key, current_lang(), **values))


def open_db(db: str | None, *, must_exist: bool = False) -> Store:
    from pathlib import Path

    path = db or default_path()
    if must_exist and not Path(path).exists():
        say("cli.err.no_db", path=path)
    try:
        return open_store(path)
    except StoreError as e:
        fail(e.text(current_lang()))
    except Exception as e:  # a locked or corrupt file: one sentence, not a traceback
        say("cli.err.open_db", path=path, error=e)


def resolve_shop(store: Store, shop: str | None, *, new_ok: bool = False) -> str:
    """The shop a command is about: --shop, else the store's only shop. With new_ok (settings),
    a shop that has no data yet is accepted, so its settings can be made before its imports."""
    shops = store.shops()
    if shop:
        if shop not in shops and new_ok:
            from kefu.inert import shown

            note = i18n.t("cli.settings.new_shop", current_lang(), shop=shop)
            err_console.print(shown(note), highlight=False, soft_wrap=True)
        elif shop not in shops:
            none = i18n.t("pay.none", current_lang())
            say("cli.err.shop_unknown", shop=shop, path=store.path, shops=", ".join(shops) or none)
        return shop
    if len(shops) == 1:
        return shops[0]
    if not shops:
        say("cli.err.no_shops", path=store.path)
    say("cli.err.several_shops", path=store.path, shops=", ".join(shops))


def check_month(month: str) -> str:
    """`month` when it is a YYYY-MM month; else the one-sentence refusal."""
    from kefu.month import Month

    if not Month.valid(month):
        say("cli.err.month", value=month)
    return month


def check_choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        say("cli.err.choice", option=option, choices=", ".join(choices), value=value)
    return value


def check_lang(lang: str | None) -> i18n.Lang:
    """`--lang` as given, else the environment's language (KEFU_LANG, the locale, Chinese)."""
    if lang is not None and lang not in i18n.LANGS:
        fail(i18n.t("common.lang_invalid", None, value=lang))
    _Current.lang = i18n.resolve_lang(lang)
    return _Current.lang


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
