"""The diagnosis settings registry: defaults, parsing, the shop's overrides, and the docs."""

from __future__ import annotations

from dataclasses import fields
from fractions import Fraction
from pathlib import Path

import pytest

from kefu.diagnosis.settings import (
    REGISTRY,
    DiagnosisSettings,
    SettingError,
    from_mapping,
    from_shop_settings,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "diagnosis.md"


def test_registry_and_settings_agree() -> None:
    names = [f.name for f in fields(DiagnosisSettings)]
    assert [s.name for s in REGISTRY] == names
    defaults = DiagnosisSettings()
    for s in REGISTRY:
        assert getattr(defaults, s.name) == s.default, s.name
        assert s.help("zh") and s.help("en")
    assert defaults.min_inquiries == 30 and defaults.screen_months == 3
    assert defaults.team_low_share == 1
    assert defaults.months_needed == 15


def test_overrides_come_from_the_shops_diagnosis_keys() -> None:
    s = from_shop_settings(
        {
            "diagnosis.min_inquiries": "50",
            "diagnosis.target_conversion": "0.35",
            "diagnosis.target_avg_spend_fen": "19900",
            "diagnosis.team_low_share": "0.8",
            "attribution_days": "3",  # a metric setting: not diagnosis's business
        }
    )
    assert s.min_inquiries == 50
    assert s.target_conversion == Fraction(7, 20)
    assert s.target_avg_spend_fen == 19900
    assert s.team_low_share == Fraction(4, 5)
    assert from_shop_settings({"diagnosis.target_conversion": ""}).target_conversion is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("min_inquiries", "many", "must be a whole number"),
        ("min_inquiries", "0", "must be 1 or more"),
        ("team_low_share", "1.5", "must be 0.01 and 1"),
        ("target_conversion", "abc", "must be a number"),
        ("screen_months", "", "cannot be empty"),
        ("nonsense", "1", "unknown diagnosis setting 'diagnosis.nonsense'"),
    ],
)
def test_bad_values_say_what_is_expected(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        from_mapping({name: value})


def test_stability_months_must_cover_the_minimum() -> None:
    with pytest.raises(SettingError, match="cannot exceed"):
        from_mapping({"stability_months": "4", "stability_min_months": "6"})


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [s.name for s in REGISTRY if f"`diagnosis.{s.name}`" not in text]
    assert not missing, f"docs/diagnosis.md does not document {missing}"
