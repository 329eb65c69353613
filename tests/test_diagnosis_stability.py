"""Question 2: steady or erratic, each class checked on hand-made monthly sales."""

from __future__ import annotations

import math

import pytest

from kefu.diagnosis import diagnose_months
from kefu.diagnosis.narrative import stability_text
from kefu.diagnosis.settings import DiagnosisSettings, from_mapping
from kefu.diagnosis.stability import classify, stability
from kefu.metrics.table import month_range
from test_diagnosis_shops import SHOP, agent, shop, story

S = DiagnosisSettings()
MONTHS = month_range("2024-01", "2024-06")
SHOP_SALES = [100_000, 120_000, 90_000, 150_000, 110_000, 130_000]


def rows(agent_sales: list[int], shop_sales: list[int] = SHOP_SALES) -> list[tuple[str, int, int]]:
    return list(zip(MONTHS, agent_sales, shop_sales, strict=True))


def test_moving_with_the_shop_is_steady() -> None:
    s = classify("甲", "甲", rows([x // 5 for x in SHOP_SALES]), S)
    assert (s.cls, s.reason) == ("steady", "moves_with_shop")
    assert s.correlation == pytest.approx(1) and s.beta == pytest.approx(1)
    assert s.unexplained_cv == pytest.approx(0) and s.share_cv == pytest.approx(0)
    assert s.share_median == pytest.approx(0.2)
    assert not any(m.breaks for m in s.months)
    assert "挑战目标" in stability_text(s, "zh", 6)


def test_flat_sales_in_a_moving_shop_are_steady_on_their_own() -> None:
    s = classify("乙", "乙", rows([20_000] * 6), S)
    assert (s.cls, s.reason) == ("steady", "steady_on_own")
    assert s.correlation is None and s.beta == pytest.approx(0)
    assert s.share_cv is not None and s.share_cv > 0.15  # the share moves, the agent does not
    assert "旺季多排班" in stability_text(s, "zh", 6)


def test_swings_the_shop_does_not_explain_are_erratic() -> None:
    swing = [1.6, 0.5, 1.5, 0.5, 1.6, 0.5]
    s = classify(
        "丙", "丙", rows([round(x * k / 5) for x, k in zip(SHOP_SALES, swing, strict=True)]), S
    )
    assert (s.cls, s.reason) == ("erratic", "unexplained_swings")
    assert s.unexplained_cv is not None and s.unexplained_cv > 0.25
    breaking = [m.month for m in s.months if m.breaks]
    assert breaking and breaking == [m.month for m in s.months if abs(m.residual) > 0.3]
    text = stability_text(s, "zh", 6)
    assert "忽高忽低" in text and breaking[0] in text and "排班" in text


def test_the_figures_against_a_hand_computation() -> None:
    # shop alternates 80/120 (u = ∓20 %); the agent 8,12,8,12,12,8 (v = ∓20 %, last two flipped)
    shop_sales = [80, 120, 80, 120, 80, 120]
    s = classify("丁", "丁", rows([8, 12, 8, 12, 12, 8], shop_sales), S)
    # beta = Σuv / Σu² = (4 × 0.04 − 2 × 0.04) / (6 × 0.04) = 1/3
    assert s.beta == pytest.approx(1 / 3)
    # residuals v − u/3: ±0.1333 four times, ±0.2667 twice; sd with n − 2 = 4 degrees of freedom
    e2 = 4 * (0.2 - 0.2 / 3) ** 2 + 2 * (0.2 + 0.2 / 3) ** 2
    assert s.unexplained_cv == pytest.approx(math.sqrt(e2 / 4))  # 0.2309
    assert s.correlation == pytest.approx(1 / 3)
    assert (s.cls, s.reason) == ("steady", "steady_on_own")
    assert [round(m.residual, 4) for m in s.months] == [
        -0.1333,
        0.1333,
        -0.1333,
        0.1333,
        0.2667,
        -0.2667,
    ]
    assert not any(m.breaks for m in s.months)
    strict = from_mapping({"steady_max_unexplained_cv": "0.2", "break_deviation": "0.25"})
    s2 = classify("丁", "丁", rows([8, 12, 8, 12, 12, 8], shop_sales), strict)
    assert s2.cls == "erratic"
    assert [m.month for m in s2.months if m.breaks] == ["2024-05", "2024-06"]


def test_too_few_months_are_not_classified() -> None:
    s = classify("戊", "戊", rows([20_000] * 6)[:5], S)
    assert (s.cls, s.reason) == ("insufficient_data", "too_few_months")
    assert "只有 5 个" in stability_text(s, "zh", 6)


def test_thin_months_and_months_without_the_agent_are_left_out() -> None:
    data = {}
    for i, m in enumerate(month_range("2023-10", "2024-09")):
        agents = [agent("甲", 300, 120, 20000), agent("乙", 300, 100 + 5 * i, 20000)]
        if i % 4 == 0:
            agents[1] = agent("乙", 20, 10, 20000)  # thin: not used
        data[m] = shop(agents, m)
    del data["2024-02"]  # a month with no data at all
    out = {s.agent_id: s for s in stability(data, "2024-09", S)}
    assert len(out["甲"].months) == 11
    assert len(out["乙"].months) == 9  # 12 months less 2024-02 and the thin 2023-10, 2024-06
    assert all(m.month != "2024-02" for m in out["甲"].months)


def test_the_story_shop_has_one_of_each() -> None:
    d = diagnose_months(SHOP, "2024-09", story())
    classes = {s.agent_id: s.cls for s in d.stability}
    assert classes["甲"] == "steady" and classes["乙"] == "erratic"
    assert classes["己"] == "insufficient_data"
