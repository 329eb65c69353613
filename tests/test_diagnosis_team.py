"""The team rule: everyone low against an absolute reference for months → operations and owner."""

from __future__ import annotations

from fractions import Fraction

from kefu.diagnosis import diagnose_months
from kefu.diagnosis.narrative import team_text
from kefu.diagnosis.settings import from_mapping
from kefu.diagnosis.team import diagnose_team
from kefu.metrics.table import ShopMonth, month_range
from test_diagnosis_shops import SHOP, agent, shop

NORMAL = ("2023-01", "2024-06")  # 18 normal months, team at 30 %
SLUMP = ("2024-07", "2024-09")


def normal(m: str) -> ShopMonth:
    return shop(
        [agent("甲", 300, 120, 20000), agent("乙", 300, 60, 20000)], m, silent_sales_fen=10**5
    )


def slump(m: str, second: tuple[int, int] = (300, 30)) -> ShopMonth:
    return shop(
        [agent("甲", 300, 45, 20000), agent("乙", *second, 20000), agent("新", 10, 1, 20000)],
        m,
        silent_sales_fen=10**6,
    )


def history(**override: ShopMonth) -> dict[str, ShopMonth]:
    data = {m: normal(m) for m in month_range(*NORMAL)}
    data.update({m: slump(m) for m in month_range(*SLUMP)})
    data.update({k.replace("_", "-"): v for k, v in override.items()})
    return data


def test_everyone_low_for_three_months_points_at_operations_and_the_owner() -> None:
    t = diagnose_team(history(), "2024-09", from_mapping({}))
    assert t.status == "operations"
    ref = t.reference
    assert ref is not None and ref.conversion_source == "baseline"
    assert ref.conversion == Fraction(180, 600)  # the 12 months before the window, pooled
    assert ref.months == tuple(month_range("2023-07", "2024-06"))
    assert [m.month for m in t.window] == ["2024-07", "2024-08", "2024-09"]
    for m in t.window:
        assert len(m.with_verdict) == 2  # 新 has too little data: no verdict, not counted
        assert m.share == 1 and m.met
    # the trend shows the team's conversion falling and silent sales rising
    points = {p.month: p for p in t.trend}
    assert points["2024-06"].conversion == Fraction(180, 600)
    assert points["2024-09"].conversion == Fraction(76, 610)
    assert points["2024-09"].silent_share > points["2024-06"].silent_share  # type: ignore[operator]
    text = team_text(t, "zh")
    assert "问题很可能出在运营和老板身上" in text and "30.0%" in text and "此前 12 个月" in text


def test_one_agent_holding_up_in_one_month_keeps_the_verdicts_on_the_agents() -> None:
    data = history(**{"2024_08": slump("2024-08", second=(300, 100))})  # 乙 at 33 %: not low
    t = diagnose_team(data, "2024-09", from_mapping({}))
    assert t.status == "agents"
    assert [m.met for m in t.window] == [True, False, True]
    assert "2024-08 有 1/2 人偏低" in team_text(t, "zh")
    lenient = diagnose_team(data, "2024-09", from_mapping({"team_low_share": "0.5"}))
    assert lenient.status == "operations"


def test_against_the_teams_own_month_someone_is_always_above() -> None:
    d = diagnose_months(SHOP, "2024-09", history())
    assert {v.verdict for v in d.verdicts if v.agent_id != "新"} != {"both_low"}
    assert d.team.status == "operations"  # the absolute reference still sees the slump


def test_targets_are_the_absolute_reference_where_set() -> None:
    data = {m: normal(m) for m in month_range("2024-07", "2024-09")}  # no earlier months
    t = diagnose_team(data, "2024-09", from_mapping({"target_conversion": "0.5"}))
    assert t.reference is not None and t.reference.conversion_source == "target"
    assert t.status == "operations"  # 40 % and 20 % both below a 50 % target
    assert "店铺目标" in team_text(t, "zh")


def test_without_targets_or_earlier_months_there_is_no_reference() -> None:
    data = {m: slump(m) for m in month_range(*SLUMP)}
    t = diagnose_team(data, "2024-09", from_mapping({}))
    assert t.status == "no_reference" and t.reference is None and t.window == ()
    assert "diagnosis.target_conversion" in team_text(t, "zh")


def test_a_month_without_anyone_judged_does_not_meet_the_rule() -> None:
    thin = shop([agent("甲", 10, 1), agent("乙", 12, 1)], "2024-08")
    t = diagnose_team(history(**{"2024_08": thin}), "2024-09", from_mapping({}))
    assert t.status == "agents"
    assert t.window[1].share is None and not t.window[1].met
    assert "2024-08 无人数据充足" in team_text(t, "zh")


def test_months_before_the_data_starts_are_neither_baseline_nor_trend() -> None:
    # the engine lists employed agents in every month, with zeros before their first chat
    empty = {
        m: shop([agent("甲", 0, 0), agent("乙", 0, 0)], m)
        for m in month_range("2023-01", "2023-12")
    }
    data = {**empty, **{m: normal(m) for m in month_range("2024-01", "2024-06")}}
    data.update({m: slump(m) for m in month_range(*SLUMP)})
    t = diagnose_team(data, "2024-09", from_mapping({}))
    assert t.reference is not None and t.reference.months == tuple(
        month_range("2024-01", "2024-06")
    )
    assert t.trend[0].month == "2024-01"
    assert "此前 6 个月" in team_text(t, "zh")
