"""The message catalogue: every word a person reads, looked up by key, in Chinese or English.

The words live in gettext `.po` files under `kefu/locale/<lang>/LC_MESSAGES/`, one file per
area of the product (`cli.po`, `report.po`, …); a message's `msgid` is its key (`kpi.field.
sales_fen`), its `msgstr` the text, with `{name}` placeholders filled by `str.format`. Code
computes and passes keys and values; only the catalogue speaks. A key missing from either
language is an error, never a silent fallback to the key (tests/test_i18n.py checks both
catalogues hold the same keys and the same placeholders).

The language a person reads: `--lang` where a command has it, else `KEFU_LANG`, else the
locale (`LC_ALL`, `LC_MESSAGES`, `LANG` starting with `en` → English), else Chinese.
"""

from __future__ import annotations

import os
import string
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"


class CatalogueError(KeyError):
    """A key that is not in the catalogue, or a catalogue file that does not read."""


class Refusal(Exception):
    """A refusal people read: a catalogue key and its values, spoken in the reader's language.

    Every user-facing error class derives from it (`class PlanError(Refusal, ValueError)`)
    and is raised as `PlanError("pay.err.key", name=value)`. Where it is shown the caller
    renders it with `text(lang)`; `str()` is the English sentence, for logs and tracebacks
    (tests/test_i18n.py checks that no such raise carries a bare sentence).
    """

    # prefixed to `key` to find the sentence (OutputError("disk_full") → output.disk_full)
    area: str = ""

    def __init__(self, key: str, /, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def text(self, lang: str | None = None) -> str:
        """The sentence in `lang` (default: the environment's); nested refusals rendered too."""
        values = {k: _render(v, lang) for k, v in self.values.items()}
        return t(self.area + self.key, lang, **values)

    def __str__(self) -> str:
        return self.text("en")

    def __reduce__(self) -> tuple[Any, ...]:  # pickled (a worker process) with its values
        return (_rebuild, (type(self), self.key, self.values))

    def as_json(self) -> dict[str, Any]:
        """{"key": …, "values": {…}} with nested refusals as their own key and values."""
        return {
            "key": self.area + self.key,
            "values": {k: _jsonable(v) for k, v in self.values.items()},
        }


def _rebuild(cls: type[Refusal], key: str, values: dict[str, Any]) -> Refusal:
    return cls(key, **values)


def _render(value: Any, lang: str | None) -> Any:
    if isinstance(value, Refusal):
        return value.text(lang)
    if isinstance(value, dict) and set(value) == {"key", "values"}:
        return render(value, lang)
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Refusal):
        return value.as_json()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict) and set(value) == {"key", "values"}:
        return value
    return str(value)


def render(stored: dict[str, Any], lang: str | None = None) -> str:
    """A refusal stored as `Refusal.as_json()` (the quarantine keeps them), in `lang`."""
    values = {k: _render(v, lang) for k, v in dict(stored.get("values") or {}).items()}
    return t(str(stored["key"]), lang, **values)


def lang_from_env(environ: dict[str, str] | None = None) -> Lang:
    """The reader's language from KEFU_LANG, then the locale; Chinese when nothing says."""
    env = os.environ if environ is None else environ
    explicit = (env.get("KEFU_LANG") or "").strip().lower()
    if explicit:
        return "en" if explicit.startswith("en") else "zh"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(name) or "").strip().lower()
        if value and value not in ("c", "posix") and not value.startswith("c."):
            return "en" if value.startswith("en") else "zh"
    return DEFAULT_LANG


def resolve_lang(lang: str | None) -> Lang:
    """`lang` when given (zh or en), else the environment's language."""
    if lang is None or lang == "":
        return lang_from_env()
    if lang not in LANGS:
        raise CatalogueError(f"language must be zh or en, not {lang!r}")
    return cast(Lang, lang)


@cache
def catalogue(lang: Lang) -> dict[str, str]:
    """Every message of one language, read once from the package's .po files."""
    from babel.messages.pofile import read_po

    folder = resources.files("kefu") / "locale" / lang / "LC_MESSAGES"
    messages: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as fh:
            po = read_po(fh, locale=None, domain=entry.name[:-3])
        for message in po:
            key = message.id
            if not key or not isinstance(key, str):
                continue
            if key in messages:
                raise CatalogueError(f"{lang}/{entry.name}: key {key!r} is defined twice")
            text = message.string
            if not isinstance(text, str) or text == "":
                raise CatalogueError(f"{lang}/{entry.name}: key {key!r} has no text")
            messages[key] = text
    return messages


def has(key: str) -> bool:
    return all(key in catalogue(lang) for lang in LANGS)


def t(key: str, lang: str | None = None, /, **values: Any) -> str:
    """The message `key` in `lang` (default: the environment's), its placeholders filled."""
    which = resolve_lang(lang)
    try:
        template = catalogue(which)[key]
    except KeyError:
        raise CatalogueError(f"message {key!r} is not in the {which} catalogue") from None
    if not values:
        return template.format() if "{" in template else template
    # a value that is itself a refusal speaks the same language
    shown = {k: v.text(which) if isinstance(v, Refusal) else v for k, v in values.items()}
    return template.format(**shown)


def both(key: str, /, **values: Any) -> dict[str, str]:
    """The message in every language, as {"zh": …, "en": …} (payroll lines store both)."""
    return {lang: t(key, lang, **values) for lang in LANGS}


def placeholders(template: str) -> set[str]:
    """The names a template fills (`{n}` → n), for the catalogue's consistency test."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
