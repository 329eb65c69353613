"""Streaks of both-low months: thin months neither count nor break; the screening review."""

from __future__ import annotations

from kefu.diagnosis import diagnose, diagnose_months
from kefu.diagnosis.settings import from_mapping
from kefu.metrics.table import ShopMonth
from test_diagnosis_shops import SHOP, MemoryKpis, agent, shop

GOOD = [agent("甲", 400, 200, 30000), agent("乙", 400, 200, 30000)]
CASES = {
    "both_low": agent("丁", 300, 30, 5000),
    "thin": agent("丁", 20, 2, 5000),
    "borderline": agent("丁", 300, 150, 5000),  # 50 %: conversion near the team's
    "both_high": agent("丁", 300, 150, 40000),
}


def months(story: list[str | None], start: int = 1) -> dict[str, ShopMonth]:
    """One month per entry from 2024-01: 丁's case that month, or None for no row at all."""
    out = {}
    for i, case in enumerate(story):
        m = f"2024-{start + i:02d}"
        out[m] = shop([*GOOD, *([CASES[case]] if case else [])], m)
    return out


def flags_for(story: list[str | None]) -> list:  # type: ignore[type-arg]
    data = months(story)
    return list(diagnose_months(SHOP, max(data), data).flags)


def test_three_both_low_months_across_a_thin_month_raise_a_screening_review() -> None:
    story = ["both_high", "both_low", "thin", "both_low", "both_low"]
    data = months(story)
    d = diagnose_months(SHOP, "2024-05", data)
    (flag,) = d.flags
    assert flag.agent_id == "丁" and flag.kind == "screening_review"
    assert flag.streak.months == ("2024-02", "2024-04", "2024-05")
    assert not flag.streak.open_ended
    j = flag.to_json()
    assert j["months"] == 3 and j["since"] == "2024-02"
    assert [(h["month"], h["verdict"], h["counted"]) for h in j["history"]] == [
        ("2024-02", "both_low", True),
        ("2024-03", "insufficient_data", False),
        ("2024-04", "both_low", True),
        ("2024-05", "both_low", True),
    ]
    v = next(v for v in d.verdicts if v.agent_id == "丁")
    assert d.remedy(v, "zh")[0] == "screen"
    text = d.to_json()["flags"][0]["text"]
    assert "筛选" in text and "2024-02, 2024-04, 2024-05" in text


def test_the_thin_month_does_not_count() -> None:
    assert flags_for(["both_high", "both_low", "thin", "both_low"]) == []
    d = diagnose_months(SHOP, "2024-04", months(["both_high", "both_low", "thin", "both_low"]))
    v = next(v for v in d.verdicts if v.agent_id == "丁")
    code, text = d.remedy(v, "zh")
    assert code == "monitor" and "已连续 2 个月" in text


def test_a_borderline_month_breaks_the_streak() -> None:
    assert flags_for(["both_low", "borderline", "both_low", "both_low"]) == []
    assert flags_for(["both_low", "both_low", "borderline", "both_low", "both_low"]) == []


def test_a_month_without_a_row_neither_counts_nor_breaks() -> None:
    (flag,) = flags_for(["both_low", None, "both_low", "both_low"])
    assert flag.streak.months == ("2024-01", "2024-03", "2024-04")
    assert flag.streak.open_ended  # it reaches the first month read


def test_no_flag_for_an_agent_gone_in_the_month_diagnosed() -> None:
    assert flags_for(["both_low", "both_low", "both_low", None]) == []


def test_screen_months_is_the_shops() -> None:
    data = months(["both_high", "both_low", "both_low"])
    assert diagnose_months(SHOP, "2024-03", data).flags == ()
    two = from_mapping({"screen_months": "2"})
    assert len(diagnose_months(SHOP, "2024-03", data, two).flags) == 1


def test_diagnose_reads_the_months_it_needs_from_the_source() -> None:
    src = MemoryKpis(months(["both_low", "thin", "both_low", "both_low"]))
    d = diagnose(src, SHOP, "2024-04")
    assert len(d.flags) == 1
    (asked,) = src.asked
    assert asked[-1] == "2024-04" and len(asked) == 15  # 3 + 12 baseline months
