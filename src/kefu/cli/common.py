"""Options and helpers every `kefu` command shares: the database, the shop, the language."""

from __future__ import annotations

import sys
from typing import Annotated, Any, NoReturn

import typer
import typer.core
import typer.rich_utils
from rich.console import Console

from kefu import i18n
from kefu.store import Store, open_store
from kefu.store.database import StoreError, default_path

# Piped output (a file, a test) gets a wide console so tables are not folded to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

# Help texts are fixed when the command is built: they speak the environment's language
# (KEFU_LANG, then the locale); `--lang` changes what a command prints, not its --help.
HELP_LANG = i18n.lang_from_env()


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


def resolve_shop(store: Store, shop: str | None) -> str:
    shops = store.shops()
    if shop:
        if shop not in shops:
            none = i18n.t("pay.none", current_lang())
            say("cli.err.shop_unknown", shop=shop, path=store.path, shops=", ".join(shops) or none)
        return shop
    if len(shops) == 1:
        return shops[0]
    if not shops:
        say("cli.err.no_shops", path=store.path)
    say("cli.err.several_shops", path=store.path, shops=", ".join(shops))


def check_month(month: str) -> str:
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
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
