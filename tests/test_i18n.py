"""The message catalogue: both languages hold the same keys with the same placeholders."""

from __future__ import annotations

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
