"""Click's and Typer's own words (Usage:, Missing argument, No such option, …) in the reader's language.

Typer carries its own copy of click, whose sentences are English f-strings; kefu translates
them where they are shown: an error's message goes through `translate` (a pattern for each
sentence, `click.re.*` in cli_click.po), the usage line's prefix and Typer's panel titles
come from the catalogue, and the few sentences Typer asks `gettext` for (`click.*` entries
whose English text is Typer's msgid) are answered from it too. A sentence kefu does not know
stays English.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from kefu import i18n

# (catalogue key, the English sentence as a pattern): `translate` rewrites each match.
PATTERNS: tuple[tuple[str, str], ...] = (
    ("click.re.no_such_option", r"No such option: (?P<name>\S+)"),
    ("click.re.possible_options", r"\(Possible options: (?P<options>[^)]*)\)"),
    ("click.re.missing_argument", r"Missing argument(?P<hint>(?: '[^']*'(?: / '[^']*')*)?)\."),
    ("click.re.missing_option", r"Missing option(?P<hint>(?: '[^']*'(?: / '[^']*')*)?)\."),
    ("click.re.missing_parameter", r"Missing parameter(?P<hint>(?: '[^']*'(?: / '[^']*')*)?)\."),
    ("click.re.extra_args", r"Got unexpected extra argument\(s\) \((?P<args>[^)]*)\)"),
    ("click.re.requires_argument", r"Option (?P<name>'[^']*') requires an argument\."),
    (
        "click.re.requires_arguments",
        r"Option (?P<name>'[^']*') requires (?P<nargs>\d+) arguments\.",
    ),
    ("click.re.no_value", r"Option (?P<name>'[^']*') does not take a value\."),
    ("click.re.invalid_value_for", r"^Invalid value for (?P<hint>[^:]+): "),
    ("click.re.invalid_value", r"^Invalid value: "),
    ("click.re.not_valid", r"Value (?P<value>'[^']*'|\S+) is not a valid (?P<label>[^.]+)\."),
    ("click.re.not_one_of", r"(?P<value>'[^']*') is not one of (?P<choices>.+?)\.$"),
    ("click.re.did_you_mean", r"\.? Did you mean (?P<name>'[^']*')\?"),
    ("click.re.path_missing", r"(?P<label>\w+) (?P<filename>'[^']*') does not exist\."),
)


def argv_lang(argv: Sequence[str] | None = None) -> i18n.Lang | None:
    """The language `--lang zh|en` (or `--lang=…`) asks for on the command line, if any."""
    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = args[i + 1] if arg == "--lang" and i + 1 < len(args) else None
        if arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        if value == "zh":
            return "zh"
        if value == "en":
            return "en"
    return None


def _lang() -> i18n.Lang:
    from kefu.cli.common import current_lang

    return argv_lang() or current_lang()


def translate(message: str, lang: i18n.Lang | None = None) -> str:
    """click's English error `message` in `lang` (default: the command's)."""
    which = lang or _lang()
    if which == "en":
        return message
    for key, pattern in PATTERNS:

        def said(m: re.Match[str], key: str = key) -> str:
            return i18n.t(key, which, **m.groupdict())

        message = re.sub(pattern, said, message, count=1)
    return message


@cache
def _keys() -> dict[str, str]:
    """Typer's English gettext msgid → its catalogue key."""
    en = i18n.catalogue("en")
    return {text: key for key, text in en.items() if key.startswith("click.")}


def words(message: str, lang: i18n.Lang | None = None) -> str:
    """A gettext msgid of Typer's in `lang` (default: the command's), placeholders kept."""
    key = _keys().get(message)
    return message if key is None else i18n.catalogue(lang or _lang())[key]


def _translated(method: Callable[[Any], str]) -> Callable[[Any], str]:
    def format_message(self: Any) -> str:
        return translate(method(self))

    return format_message


def install(help_lang: i18n.Lang) -> None:
    """Route Typer's and its click's words through the catalogue; panel titles in `help_lang`."""
    import typer._click.exceptions as exceptions
    import typer._click.formatting as formatting
    import typer.core
    import typer.rich_utils as rich

    typer.core._ = words
    for cls in vars(exceptions).values():
        if isinstance(cls, type) and "format_message" in vars(cls):
            setattr(cls, "format_message", _translated(vars(cls)["format_message"]))  # noqa: B010
    write_usage = formatting.HelpFormatter.write_usage

    def usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, words("Usage: ") if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = usage  # type: ignore[method-assign]
    rich.ERRORS_PANEL_TITLE = words("Error", help_lang)
    rich.ABORTED_TEXT = words("Aborted.", help_lang)
    rich.RICH_HELP = words("Try [blue]'{command_path} {help_option}'[/] for help.", help_lang)
