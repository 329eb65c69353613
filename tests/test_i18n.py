"""The message catalogue: both languages hold the same keys with the same placeholders."""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from kefu import i18n


def test_both_languages_have_the_same_keys() -> None:
    zh, en = i18n.catalogue("zh"), i18n.catalogue("en")
    assert sorted(set(zh) - set(en)) == [], "keys missing from the English catalogue"
    assert sorted(set(en) - set(zh)) == [], "keys missing from the Chinese catalogue"


def test_placeholders_agree() -> None:
    zh, en = i18n.catalogue("zh"), i18n.catalogue("en")
    differ = {k for k in zh if i18n.placeholders(zh[k]) != i18n.placeholders(en[k])}
    assert differ == set()


def test_no_message_is_its_own_key() -> None:
    for lang in i18n.LANGS:
        same = [k for k, v in i18n.catalogue(lang).items() if v == k]
        assert same == [], f"{lang}: messages that read as their key"


def test_missing_key_is_an_error_not_the_key() -> None:
    with pytest.raises(i18n.CatalogueError):
        i18n.t("no.such.key", "zh")


def test_lookup_and_fill() -> None:
    assert i18n.t("common.lang_invalid", "en", value="fr") == "--lang must be zh or en, not 'fr'"
    assert i18n.both("common.yes") == {"zh": "是", "en": "yes"}


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({}, "zh"),
        ({"KEFU_LANG": "en"}, "en"),
        ({"KEFU_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "C.UTF-8"}, "zh"),
        ({"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ],
)
def test_language_from_the_environment(env: dict[str, str], lang: str) -> None:
    assert i18n.lang_from_env(env) == lang


# -- no words outside the catalogue ---------------------------------------------------------------
SRC = Path(i18n.__file__).resolve().parent
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# Where Chinese in code is data, not words for people: the demo shop's simulated chats and
# names, the platforms' own column headers and values (io/), and these few values below.
DATA_FOLDERS = ("locale", "demo", "io")
DATA_LITERALS = {
    # the default auto-reply prefixes, matched against chat text (a setting's value)
    ("metrics/settings.py", "[自动回复]"),
    ("metrics/settings.py", "自动回复"),
    # platform column names quoted in a record's message: the export's own header
    ("store/ingest.py", "宝贝总数量"),
    ("store/ingest.py", "订单编号"),
}


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                lines.update(range(value.lineno, (value.end_lineno or value.lineno) + 1))
    return lines


def chinese_literals() -> list[str]:
    """Every string literal with CJK characters in src/kefu, outside docstrings, comments,
    the data folders and the declared data literals."""
    found: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.split("/")[0] in DATA_FOLDERS:
            continue
        text = path.read_text(encoding="utf-8")
        docs = _docstring_lines(ast.parse(text))
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type not in (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1)):
                continue
            if tok.start[0] in docs or not CJK.search(_strip(tok.string, rel)):
                continue
            found.append(f"{rel}:{tok.start[0]}: {tok.string[:60]}")
    return found


def _strip(literal: str, rel: str) -> str:
    for f, lit in DATA_LITERALS:
        if f == rel:
            literal = literal.replace(lit, "")
    return literal


def test_no_chinese_words_in_code() -> None:
    """Words people read live in the catalogue; code passes keys and values."""
    assert chinese_literals() == []


def test_the_check_finds_a_chinese_literal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "kefu"
    (fake / "cli").mkdir(parents=True)
    (fake / "cli" / "x.py").write_text(
        '"""模块说明 (a docstring may quote Chinese)."""\n# 注释也可以\nMSG = "已写入"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake)
    assert chinese_literals() == ['cli/x.py:3: "已写入"']


def test_every_key_reads_in_both_languages_with_its_placeholders() -> None:
    """Each message formats in each language with its own placeholders filled (no KeyError,
    no leftover braces) and never comes back as its key."""
    for key, template in i18n.catalogue("zh").items():
        names = i18n.placeholders(template)
        values = {n: f"<{n}>" for n in names}
        for lang in i18n.LANGS:
            text = i18n.t(key, lang, **values)
            assert text != key
            assert all(f"<{n}>" in text for n in names), (lang, key)


HELP_SCRIPT = """
import typer.main
from typer.testing import CliRunner
from kefu.cli.main import app

def walk(cmd, path):
    yield path
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from walk(sub, [*path, name])

runner = CliRunner()
for path in walk(typer.main.get_command(app), []):
    print(runner.invoke(app, [*path, "--help"], terminal_width=200).output)
"""


@pytest.mark.parametrize(
    ("lang", "words"),
    [("zh", ["显示此帮助并退出", "月份, 形如 2024-09", "选项"]), ("en", ["month, as 2024-09"])],
)
def test_help_speaks_the_environments_language_without_spec_references(
    lang: str, words: list[str]
) -> None:
    """Help is fixed at import, in KEFU_LANG's language; it never cites the spec or shows a
    Python type name as a placeholder."""
    env = {**os.environ, "KEFU_LANG": lang}
    out = subprocess.run(
        [sys.executable, "-c", HELP_SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for word in words:
        assert word in text
    for bad in ("§", "metrics.md", "<bool>", "<str>", "<int>", "<path>"):
        assert bad not in text, bad
