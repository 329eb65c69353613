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


def pairs_of(*agents: AgentMonth, settings: DiagnosisSettings = S) -> list:  # type: ignore[type-arg]
    m: ShopMonth = shop(list(agents))
    return find_pairs(m, judge_month(m, settings), settings)


STRONG = agent("强", 100, 40, 20000, active_days=20, peak_day_inquiries=9)
WEAK = agent("弱", 200, 40, 20000, active_days=20, refund_fen=40000)


def test_rerouting_estimate_against_a_hand_computation() -> None:
    (p,) = pairs_of(STRONG, WEAK)
    assert p.strong.agent_id == "强" and p.weak.agent_id == "弱"
    # sales = inquiries × conversion × spend: 100 × 40 % × 200 = 200 × 20 % × 200 = 8,000 yuan
    for side in (p.strong, p.weak):
        assert side.inquiring_buyers * side.conversion * side.avg_spend == side.sales_fen
    assert p.sales_gap == Fraction(40000, 800000)  # net 8,000 vs 7,600 yuan: 5 % apart
    assert p.conversion_ratio == 2
    assert p.weak_handles_more
    # strong: 5 inquiries a day on 20 days, busiest day 9 → 4 a day of headroom;
    # weak: 10 a day. Move 4 a day for 20 days; each moved inquiry sells 80 − 40 yuan more
    # gross, 80 − 38 yuan more net (weak's refunds: 400 yuan over 200 inquiries).
    r = p.rerouting
    assert r is not None
    assert r.headroom_per_day == 4 and r.k_per_day == 4 and r.days == 20
    assert r.gain_per_inquiry_fen == 4000 and r.net_gain_per_inquiry_fen == 4200
    assert r.added_sales_fen == 4 * 20 * 4000 == 320000
    assert r.added_net_sales_fen == 4 * 20 * 4200 == 336000
    assert r.weights_now == (33, 67) and r.weights_after == (60, 40)
    pooled = 80 / 300
    z = (0.4 - 0.2) / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 200))
    assert p.z == pytest.approx(z) and p.clear
    text = pair_text(p, "zh")
    assert "每天把 4 个询单从 弱 转给 强" in text
    assert "强 60% / 弱 40%" in text and "3,200.00 元销售额（净 3,360.00 元）" in text
    assert "弱 接待的询单更多（200 对 100）" in text
    assert "8,000.00 对 7,600.00" in text
    j = p.to_json()
    assert j["rerouting"]["added_sales_fen"] == 320000
    assert j["evidence"]["weak_handles_more_inquiries"] is True


def test_the_weak_side_cannot_give_more_than_it_has() -> None:
    busy_strong = agent("强", 100, 40, 20000, active_days=20, peak_day_inquiries=50)
    (p,) = pairs_of(busy_strong, WEAK)
    assert p.rerouting is not None and p.rerouting.k_per_day == 10  # all of weak's 10 a day


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


def test_no_headroom_and_no_activity() -> None:
    full = agent("强", 100, 40, 20000, active_days=20, peak_day_inquiries=5)
    (p,) = pairs_of(full, WEAK)
    assert p.rerouting is not None and p.rerouting.k_per_day == 0
    assert "没有分流余量" in pair_text(p, "zh")
    (p,) = pairs_of(agent("强", 100, 40, 20000, activity=False), WEAK)
    assert p.rerouting is None and "无法估算分流" in pair_text(p, "zh")


def test_when_spend_makes_up_for_conversion_rerouting_adds_nothing() -> None:
    (p,) = pairs_of(agent("强", 100, 40, 10000), agent("弱", 100, 20, 20000))
    assert not p.weak_handles_more
    assert p.rerouting is not None and p.rerouting.gain_per_inquiry_fen == 0
    text = pair_text(p, "zh")
    assert "并不更多" in text and "不会多卖" in text
