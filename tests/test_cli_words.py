"""Typer's and click's own words (Usage:, Options, errors) in Chinese by default, English on request."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kefu.cli.click_words import argv_lang, translate


def kefu(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KEFU_LANG", "LC_ALL", "LANG")}
    env |= {"COLUMNS": "100", "PYTHONIOENCODING": "utf-8"}
    if lang:
        env["KEFU_LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "kefu.cli.main", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize("args", [["--help"], ["kpi", "--help"]])
def test_help_is_chinese_by_default_and_english_on_request(args: list[str]) -> None:
    zh = kefu(*args)
    assert zh.returncode == 0, zh.stderr
    assert "用法:" in zh.stdout and "选项" in zh.stdout
    assert "Usage:" not in zh.stdout and "Options" not in zh.stdout
    asked = [kefu(*args, lang="en")] + ([kefu(*args, "--lang", "en")] if args[0] == "kpi" else [])
    for en in asked:
        assert en.returncode == 0, en.stderr
        assert "Usage:" in en.stdout and "Options" in en.stdout
        assert "用法" not in en.stdout


def test_a_usage_error_is_chinese_by_default_and_english_on_request() -> None:
    zh = kefu("kpi", "--month", "2024-09", "--bogus")
    assert zh.returncode == 2
    assert "没有这个选项: --bogus" in zh.stderr and "错误" in zh.stderr
    assert "用法:" in zh.stderr and "查看帮助" in zh.stderr
    assert "No such option" not in zh.stderr and "Usage:" not in zh.stderr
    missing = kefu("kpi")
    assert "缺少选项 '--month'" in missing.stderr, missing.stderr
    for en in (kefu("kpi", "--bogus", lang="en"), kefu("kpi", "--bogus", "--lang=en")):
        assert en.returncode == 2
        assert "No such option: --bogus" in en.stderr and "Error" in en.stderr
        assert "Usage:" in en.stderr and "for help" in en.stderr


def test_the_patterns() -> None:
    assert translate("Missing argument 'FILES...'.", "zh") == "缺少参数 'FILES...'。"
    assert (
        translate("Option '--month' requires an argument.", "zh") == "选项 '--month' 需要一个值。"
    )
    assert translate("Got unexpected extra argument(s) (a b)", "en") == (
        "Got unexpected extra argument(s) (a b)"
    )
    assert translate("something click says that kefu does not know", "zh").startswith("something")
    assert argv_lang(["kpi", "--lang", "en"]) == "en"
    assert argv_lang(["kpi", "--lang=zh"]) == "zh"
    assert argv_lang(["kpi", "--", "--lang", "en"]) is None
