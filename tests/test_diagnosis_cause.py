"""Why conversion is low: time, typing speed or load, each shown against the peers."""

from __future__ import annotations

import pytest

from kefu.diagnosis.cause import explain
from kefu.diagnosis.narrative import cause_text
from kefu.diagnosis.quadrant import judge_month
from kefu.diagnosis.settings import DiagnosisSettings, from_mapping
from kefu.metrics.table import AgentMonth
from test_diagnosis_shops import agent, shop

S = DiagnosisSettings()
PEERS = [agent("甲", 300, 120, 20000), agent("乙", 300, 120, 20000)]


def cause_of(low: AgentMonth, settings: DiagnosisSettings = S):  # type: ignore[no-untyped-def]
    m = shop([low, *PEERS])
    v = next(v for v in judge_month(m, settings) if v.agent_id == low.agent_id)
    assert v.conversion_side == "low"
    c = explain(v, m, settings)
    assert c is not None
    return c


def test_slow_replies_alone_point_at_time() -> None:
    c = cause_of(
        agent("慢", 300, 30, 30000, first_response_s=90, avg_response_s=80, slow_share=0.4)
    )
    assert c.main == "time" and c.factors == ("time",)
    fr = c.indicator("first_response_s")
    assert (fr.agent, fr.peers, fr.ratio, fr.worse) == (90, 20, 4.5, True)
    assert c.indicator("slow_share").worse and c.indicator("avg_response_s").worse
    assert c.indicator("typing_cpm").worse is False
    assert c.peers == 2 and float(c.peers_conversion or 0) == 0.4
    text = cause_text(c, "zh")
    assert text.startswith("主要是时间原因") and "首次响应 90 秒，同事 20 秒" in text


def test_slow_typing_comes_before_the_slow_replies_it_causes() -> None:
    c = cause_of(agent("慢打字", 300, 30, 30000, cpm=30, avg_response_s=70))
    assert c.factors == ("typing", "time") and c.main == "typing"
    assert c.indicator("typing_cpm").agent == 30 and c.indicator("typing_cpm").peers == 60
    text = cause_text(c, "en")
    assert text.startswith("Mainly typing speed: typing 30 chars/min, peers 60")
    assert "Also: average response 70 s, peers 30 s" in text


def test_load_comes_first() -> None:
    c = cause_of(agent("忙", 300, 30, 30000, load=6.0, first_response_s=40, cpm=40))
    assert c.factors == ("load", "typing", "time")
    load = c.indicator("sessions_per_active_hour")
    assert load.agent == 6.0 and load.peers == 3.0 and load.worse
    assert "先分流减负" in cause_text(c, "zh")


def test_nothing_worse_than_the_peers_says_so_with_the_figures() -> None:
    c = cause_of(agent("话术", 300, 30, 30000))
    assert c.factors == () and c.main is None
    text = cause_text(c, "zh")
    assert "都不比同事差" in text and "首次响应 20 秒，同事 20 秒" in text


def test_thresholds_are_the_shops() -> None:
    mild = agent("稍慢", 300, 30, 30000, first_response_s=24)  # 1.2 × the peers
    assert cause_of(mild).main is None
    assert cause_of(mild, from_mapping({"cause_ratio": "1.1"})).main == "time"


def test_unanswered_sessions_and_shift_hours_count_as_time() -> None:
    night = {h: 1 for h in (0, 1, 2, 3, 4, 5, 22, 23)}
    c = cause_of(agent("夜班", 300, 30, 30000, unanswered=60, hours=night))
    ua = c.indicator("unanswered_share")
    assert ua.agent == 60 / 360 and ua.peers == 0 and ua.worse
    shift = c.indicator("hours_shift")
    assert shift.agent == pytest.approx(1.0) and shift.worse  # no hour in common with the peers
    assert c.extra_hours and set(c.extra_hours) <= set(night)
    assert c.hour_share is not None and abs(sum(c.hour_share) - 1) < 1e-9
    assert "接待时段与同事不同" in cause_text(c, "zh")


def test_without_activity_load_and_hours_cannot_be_compared() -> None:
    low = agent("无活动", 300, 30, 30000, activity=False)
    m = shop([low, *(agent(a.agent_id, 300, 120, 20000, activity=False) for a in PEERS)])
    v = next(v for v in judge_month(m, S) if v.agent_id == "无活动")
    c = explain(v, m, S)
    assert c is not None
    assert c.indicator("sessions_per_active_hour").worse is None
    assert c.indicator("hours_shift").worse is None
    assert c.hour_share is None


def test_a_lone_agent_has_no_peers() -> None:
    m = shop([agent("独", 300, 30, 30000)])
    v = judge_month(m, from_mapping({"target_conversion": "0.5"}))[0]
    c = explain(v, m, S)
    assert c is not None and c.peers == 0 and c.main is None
    assert "没有其他售前客服可比" in cause_text(c, "zh")
