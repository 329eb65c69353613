"""The four cases, borderline and insufficient data: hand-built agent-months, checked by hand."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from kefu.diagnosis.intervals import spend_interval, t95, two_proportion_z, wilson
from kefu.diagnosis.narrative import remedy
from kefu.diagnosis.quadrant import judge_month, month_reference
from kefu.diagnosis.settings import DiagnosisSettings, from_mapping
from test_diagnosis_shops import agent, four_cases, shop

S = DiagnosisSettings()


def by_agent(verdicts: list) -> dict:
    return {v.agent_id: v for v in verdicts}


def test_the_four_cases_each_get_the_articles_verdict_and_remedy() -> None:
    vs = by_agent(judge_month(four_cases(), S))
    expected = {
        "甲": ("both_high", "keep_and_share"),
        "乙": ("high_conv_low_spend", "product_training"),
        "丙": ("low_conv_high_spend", "find_cause"),
        "丁": ("both_low", "monitor"),
    }
    for agent_id, (verdict, code) in expected.items():
        v = vs[agent_id]
        assert v.verdict == verdict, agent_id
        assert v.leaning == verdict
        assert remedy(v, "zh", None, 1, 3)[0] == code
    # the remedy for high conversion, low spend shows items per buyer against the team's
    code, text = remedy(vs["乙"], "zh", None, 0, 3)
    assert "客件数 1.00" in text and "团队 1.00" in text
    assert "关联销售" in text
    code, text = remedy(vs["乙"], "en", None, 0, 3)
    assert "items per buyer" in text


def test_a_verdict_carries_its_numbers() -> None:
    m = four_cases()
    ref = month_reference(m, S)
    assert ref.conversion == Fraction(480, 1600)
    assert ref.avg_spend_fen == Fraction(200 * 30000 + 200 * 10000 + 40 * 35000 + 40 * 5000, 480)
    d = by_agent(judge_month(m, S))["丁"]
    ev = d.evidence()
    assert ev["inquiring_buyers"] == 400 and ev["paying_buyers"] == 40
    assert ev["conversion_rate"] == 0.1
    assert ev["conversion_reference"] == 0.3
    lo, hi = ev["conversion_interval"]
    assert (lo, hi) == pytest.approx((0.07430, 0.13331), abs=1e-5)  # Wilson 40 of 400
    assert ev["avg_spend_fen"] == 5000
    assert ev["avg_spend_reference_fen"] == 20000
    # assumed CV 1: 5000 ± t(39) × 5000 / √40, t(39) taken from the 30-df row (2.042)
    half = 2.042 * 5000 / math.sqrt(40)
    assert ev["avg_spend_interval_fen"] == [round(5000 - half), round(5000 + half)]
    assert ev["avg_spend_interval_method"] == "assumed_cv"
    assert ev["conversion_side"] == "low" and ev["avg_spend_side"] == "low"
    assert ev["min_inquiries"] == 30 and ev["confidence"] == 0.95


def test_wilson_interval_matches_published_values() -> None:
    iv = wilson(5, 10)
    assert iv is not None and (iv.low, iv.high) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    iv = wilson(0, 10)
    assert iv is not None and iv.low == 0 and iv.high == pytest.approx(0.2775, abs=1e-4)
    iv = wilson(81, 263)  # Newcombe (1998) example 1: 0.2553–0.3662
    assert iv is not None and (iv.low, iv.high) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson(0, 0) is None


def test_t_quantiles_round_towards_the_wider_interval() -> None:
    assert t95(1) == 12.706 and t95(30) == 2.042
    assert t95(35) == 2.042  # between 30 and 40: the 30 row
    assert t95(10_000) == 1.962
    with pytest.raises(ValueError):
        t95(0)


def test_spend_interval_from_the_sum_of_squares_by_hand() -> None:
    # three buyers spent 100, 200 and 300 fen: mean 200, sample sd 100, t(2) = 4.303
    iv = spend_interval(600, 3, 100**2 + 200**2 + 300**2, Fraction(1))
    assert iv is not None and iv.method == "sales_sq"
    half = 4.303 * 100 / math.sqrt(3)
    assert iv.sd_fen == pytest.approx(100)
    assert iv.low == 0.0  # 200 − 248.5 clamps at 0
    assert iv.high == pytest.approx(200 + half)
    assert spend_interval(100, 1, 10000, Fraction(1)) is None  # one buyer: no spread


def test_the_sum_of_squares_turns_a_borderline_spend_into_a_verdict() -> None:
    # 50 buyers averaging 240 yuan against a team at 200: with the assumed CV of 1 the
    # interval (240 ± 69) contains 200; the measured sd of 48 yuan gives 240 ± 14.
    n, mean, sd = 50, 24000, 4800
    sq = (n - 1) * sd * sd + n * mean * mean
    team = [agent("x", 400, 120, 20000), agent("y", 400, 120, 20000)]
    loose = shop([agent("甲", 100, 50, mean), *team])
    tight = shop([agent("甲", 100, 50, mean, sales_sq_fen=sq), *team])
    v_loose = by_agent(judge_month(loose, S))["甲"]
    v_tight = by_agent(judge_month(tight, S))["甲"]
    assert v_loose.spend_side == "borderline" and v_loose.verdict == "borderline"
    assert v_tight.spend_side == "high" and v_tight.verdict == "both_high"
    assert v_tight.spend_interval is not None and v_tight.spend_interval.method == "sales_sq"
    assert v_tight.spend_interval.sd_fen == pytest.approx(sd)


def test_borderline_when_an_interval_contains_the_reference() -> None:
    # 33 % of 100 inquiries against a team at 30 %: Wilson 24.6 %–42.7 % contains 30 %
    m = shop([agent("甲", 100, 33, 30000), agent("x", 900, 267, 10000)])
    v = by_agent(judge_month(m, S))["甲"]
    assert v.reference.conversion == Fraction(300, 1000)
    assert v.conversion_interval is not None and v.conversion_interval.contains(Fraction(3, 10))
    assert v.verdict == "borderline"
    assert v.conversion_side == "borderline" and v.spend_side == "high"
    assert v.leaning == "both_high"  # what the bare numbers would have said
    code, text = remedy(v, "zh", None, 0, 3)
    assert code == "wait" and "转化率" in text and "客单价" not in text


def test_insufficient_data_below_min_inquiries_but_the_numbers_are_shown() -> None:
    m = shop([agent("甲", 29, 20, 90000), agent("乙", 30, 20, 90000), agent("x", 900, 200, 10000)])
    vs = by_agent(judge_month(m, S))
    assert vs["甲"].verdict == "insufficient_data"
    assert vs["甲"].conversion_side is None and vs["甲"].spend_side is None
    assert vs["甲"].evidence()["conversion_rate"] == pytest.approx(20 / 29)
    code, text = remedy(vs["甲"], "zh", None, 0, 3)
    assert code == "withhold" and "29" in text and "30" in text
    assert vs["乙"].verdict == "both_high"  # exactly min_inquiries: judged
    stricter = from_mapping({"min_inquiries": "31"})
    assert by_agent(judge_month(m, stricter))["乙"].verdict == "insufficient_data"


def test_targets_replace_the_team_per_axis() -> None:
    m = four_cases()
    target = from_mapping({"target_conversion": "0.6"})
    vs = by_agent(judge_month(m, target))
    assert vs["甲"].reference.conversion == Fraction(3, 5)
    assert vs["甲"].reference.conversion_source == "target"
    assert vs["甲"].reference.avg_spend_source == "team"
    assert vs["甲"].verdict == "low_conv_high_spend"  # 50 % is low against a 60 % target
    both = from_mapping({"target_conversion": "0.05", "target_avg_spend_fen": "3000"})
    assert all(v.verdict == "both_high" for v in judge_month(m, both))


def test_no_paying_buyer_leaves_spend_undecided() -> None:
    m = shop([agent("甲", 60, 0), agent("x", 400, 160, 20000)])
    v = by_agent(judge_month(m, S))["甲"]
    assert v.conversion_side == "low"
    assert v.spend_side == "borderline" and v.avg_spend is None
    assert v.verdict == "borderline" and v.leaning is None


def test_aftersale_agents_get_no_verdict() -> None:
    m = shop([*four_cases().agents, agent("售后", 0, 0, role="aftersale")])
    assert "售后" not in by_agent(judge_month(m, S))


def test_two_proportion_z() -> None:
    z = two_proportion_z(50, 100, 25, 100)
    p = 75 / 200
    assert z == pytest.approx(0.25 / math.sqrt(p * (1 - p) * 0.02))
    assert two_proportion_z(0, 10, 0, 10) is None
    assert two_proportion_z(1, 0, 1, 10) is None
