"""Question 1: equal sales, double conversion — the decomposition and the re-routing estimate."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from kefu.diagnosis.narrative import pair_text
from kefu.diagnosis.pairs import find_pairs
from kefu.diagnosis.quadrant import judge_month
from kefu.diagnosis.settings import DiagnosisSettings, from_mapping
from kefu.metrics.table import AgentMonth, ShopMonth
from test_diagnosis_shops import agent, shop

S = DiagnosisSettings()


PREV = "2024-08"


def pairs_of(
    *agents: AgentMonth,
    settings: DiagnosisSettings = S,
    before: list[AgentMonth] | None = None,  # the same agents a month earlier
) -> list:  # type: ignore[type-arg]
    m: ShopMonth = shop(list(agents))
    history = {PREV: shop(before, PREV)} if before else None
    return find_pairs(m, judge_month(m, settings), settings, history)


STRONG = agent("强", 100, 40, 20000, active_days=20, peak_day_inquiries=9)
WEAK = agent("弱", 200, 40, 20000, active_days=20, refund_fen=40000)
# a month earlier the strong agent carried 8 a day (160 over 20 days) at the same 40 %
STRONG_BUSY_BEFORE = agent("强", 160, 64, 20000, active_days=20)


def test_rerouting_estimate_against_a_hand_computation() -> None:
    (p,) = pairs_of(STRONG, WEAK, before=[STRONG_BUSY_BEFORE, WEAK])
    assert p.strong.agent_id == "强" and p.weak.agent_id == "弱"
    # sales = inquiries × conversion × spend: 100 × 40 % × 200 = 200 × 20 % × 200 = 8,000 yuan
    for side in (p.strong, p.weak):
        assert side.inquiring_buyers * side.conversion * side.avg_spend == side.sales_fen
    assert p.sales_gap == Fraction(40000, 800000)  # net 8,000 vs 7,600 yuan: 5 % apart
    assert p.conversion_ratio == 2
    assert p.weak_handles_more
    # strong: 5 a day now, 8 a day for a whole month before at 40 % (held) → 3 a day of
    # headroom; weak: 10 a day, at most half of it moves (5). Move 3 a day for 20 days;
    # each moved inquiry sells 80 − 40 yuan more gross; refunds at the higher share of the
    # two (weak: 400 / 8,000 = 5 %) make it 38 net.
    r = p.rerouting
    assert r is not None and r.decision == "reroute"
    assert r.held_load_per_day == 8 and r.held_months == (PREV,)
    assert r.headroom_per_day == 3 and r.move_cap_per_day == 5
    assert r.k_per_day == 3 and r.days == 20
    assert r.gain_per_inquiry_fen == 4000 and r.refund_share == Fraction(1, 20)
    assert r.net_gain_per_inquiry_fen == 3800
    assert r.added_sales_fen == 3 * 20 * 4000 == 240000
    assert r.added_net_sales_fen == 3 * 20 * 3800 == 228000
    # spread of sales per inquiry with the assumed CV 1: E[spend²] = 2 × 200² per buyer
    var_s = (40 * 2 * 20000**2 - 100 * 8000**2) / 99
    var_w = (40 * 2 * 20000**2 - 200 * 4000**2) / 199
    se = math.sqrt(var_s / 100 + var_w / 200)
    assert r.gain_se_fen == pytest.approx(se)
    lo, hi = r.added_sales_interval_fen
    assert lo == round(60 * (4000 - 1.959963984540054 * se))
    assert hi == round(60 * (4000 + 1.959963984540054 * se))
    assert 0 < lo < r.added_sales_fen < hi
    assert r.weights_now == (33, 67) and r.weights_after == (53, 47)
    pooled = 80 / 300
    z = (0.4 - 0.2) / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 200))
    assert p.z == pytest.approx(z) and p.clear
    text = pair_text(p, "zh")
    assert "每天把 3 个询单从 弱 转给 强" in text
    assert "强 53% / 弱 47%" in text and "每月多 2,400.00 元销售额" in text
    assert (
        "净 2,280.00 元" in text and f"（{PREV}）转化率都没有下降" in text and "日均 8.0 人" in text
    )
    assert "弱 接待的询单更多（200 对 100）" in text
    assert "8,000.00 对 7,600.00" in text
    j = p.to_json()
    assert j["rerouting"]["added_sales_fen"] == 240000
    assert j["rerouting"]["decision"] == "reroute"
    assert j["evidence"]["weak_handles_more_inquiries"] is True
    assert [pt["month"] for pt in j["strong"]["load_curve"]] == [PREV, "2024-09"]


def test_the_weak_side_keeps_at_least_half_of_its_inquiries() -> None:
    held_far = agent("强", 400, 160, 20000, active_days=20)  # 20 a day at 40 % before
    (p,) = pairs_of(STRONG, WEAK, before=[held_far, WEAK])
    r = p.rerouting
    assert r is not None and r.decision == "reroute"
    assert r.headroom_per_day == 15 and r.k_per_day == 5  # half of weak's 10 a day
    assert r.weights_after == (67, 33)


def test_the_busiest_single_day_is_no_evidence() -> None:
    busy_day = agent("强", 100, 40, 20000, active_days=20, peak_day_inquiries=50)
    (p,) = pairs_of(busy_day, WEAK)
    r = p.rerouting
    assert r is not None and r.decision == "no_headroom" and r.k_per_day == 0
    assert r.added_sales_fen == 0 == r.added_net_sales_fen
    assert r.weights_after == r.weights_now
    text = pair_text(p, "zh")
    assert "没有依据" in text and "建议分流" not in text


def test_a_heavier_month_where_conversion_fell_stops_the_bound() -> None:
    # 8 a day at 30 %: below the 95 % interval of this month's 40 % (lower end ≈ 30.9 %)
    fell = agent("强", 160, 48, 20000, active_days=20)
    (p,) = pairs_of(STRONG, WEAK, before=[fell, WEAK])
    assert p.rerouting is not None and p.rerouting.decision == "no_headroom"
    assert [pt.held for pt in p.strong.load_curve] == [False, True]


def test_no_pair_when_sales_differ_by_more_than_the_tolerance() -> None:
    assert pairs_of(STRONG, agent("弱", 200, 35, 20000)) == []  # 7,000 vs 8,000: 12.5 %
    assert len(pairs_of(STRONG, agent("弱", 200, 36, 20000))) == 1  # 7,200 vs 8,000: 10 %
    loose = from_mapping({"pair_sales_tolerance": "0.15"})
    assert len(pairs_of(STRONG, agent("弱", 200, 35, 20000), settings=loose)) == 1


def test_no_pair_when_conversions_are_less_than_the_ratio_apart() -> None:
    assert len(pairs_of(STRONG, agent("弱", 150, 40, 20000))) == 1  # exactly 1.5 ×
    assert pairs_of(STRONG, agent("弱", 140, 40, 20000)) == []  # 1.4 ×


def test_no_pair_on_insufficient_data() -> None:
    assert pairs_of(agent("强", 29, 20, 20000), agent("弱", 200, 20, 20000)) == []


def test_a_gap_that_may_be_chance_is_said_to_be() -> None:
    (p,) = pairs_of(agent("强", 40, 12, 20000), agent("弱", 60, 12, 20000))
    assert not p.clear and p.z is not None and abs(p.z) < 1.96
    assert "可能是偶然" in pair_text(p, "zh")


def test_no_activity() -> None:
    (p,) = pairs_of(agent("强", 100, 40, 20000, activity=False), WEAK)
    assert p.rerouting is None and "无法估算分流" in pair_text(p, "zh")


def test_a_gain_whose_interval_contains_zero_moves_nobody() -> None:
    # 45 % vs 30 % on 40 and 60 inquiries: sales per inquiry 90 vs 60 yuan, but too few
    # buyers to tell (interval of the difference includes 0)
    strong = agent("强", 40, 18, 20000, active_days=20)
    weak = agent("弱", 60, 18, 20000, active_days=20)
    (p,) = pairs_of(strong, weak, before=[agent("强", 200, 90, 20000, active_days=20), weak])
    r = p.rerouting
    assert r is not None and r.decision == "gain_unclear" and r.k_per_day == 0
    lo, hi = r.gain_interval_fen
    assert lo < 0 < hi
    text = pair_text(p, "zh")
    assert "包含 0" in text and "建议分流" not in text


def test_when_spend_makes_up_for_conversion_rerouting_adds_nothing() -> None:
    (p,) = pairs_of(agent("强", 100, 40, 10000), agent("弱", 100, 20, 20000))
    assert not p.weak_handles_more
    assert p.rerouting is not None and p.rerouting.gain_per_inquiry_fen == 0
    assert p.rerouting.decision == "no_gain" and p.rerouting.k_per_day == 0
    text = pair_text(p, "zh")
    assert "并不更多" in text and "不会多卖" in text
