"""The pay components on their own: tenure, proration, tiers on both sides of a boundary,
exact gates, ranks."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from kefu.metrics.fields import empty_parts
from kefu.pay.components import (
    days_employed,
    judge,
    leaders,
    tenure_months,
    tier_amounts,
    tiered,
)
from kefu.pay.plan import Gate, Tier

SEED_TIERS = (
    Tier(0, 5000000, Fraction(3, 100)),
    Tier(5000000, 10000000, Fraction(4, 100)),
    Tier(10000000, None, Fraction(5, 100)),
)
WHOLE = (
    Tier(0, 2000000, Fraction(2, 100)),
    Tier(2000000, 6000000, Fraction(4, 100)),
    Tier(6000000, None, Fraction(6, 100)),
)


def test_tenure_counts_full_months_to_the_next_month() -> None:
    assert tenure_months(date(2024, 1, 1), "2024-03") == 3
    assert tenure_months(date(2024, 1, 2), "2024-03") == 2
    assert tenure_months(date(2024, 1, 31), "2024-03") == 2
    assert tenure_months(date(2024, 1, 31), "2024-04") == 3
    assert tenure_months(date(2023, 12, 1), "2024-02") == 3
    assert tenure_months(date(2024, 3, 20), "2024-03") == 0
    assert tenure_months(None, "2024-03") is None


def test_days_employed_include_both_ends() -> None:
    assert days_employed(date(2024, 3, 16), None, "2024-03") == (16, 31)
    assert days_employed(date(2020, 1, 1), date(2024, 2, 1), "2024-02") == (1, 29)
    assert days_employed(date(2020, 1, 1), None, "2023-02") == (28, 28)


def test_marginal_tiers_at_each_boundary_and_either_side() -> None:
    assert tiered(Fraction(5000000), SEED_TIERS, "marginal") == 150000
    assert tiered(Fraction(4999999), SEED_TIERS, "marginal") == Fraction(4999999 * 3, 100)
    assert tiered(Fraction(5000001), SEED_TIERS, "marginal") == 150000 + Fraction(4, 100)
    assert tiered(Fraction(10000000), SEED_TIERS, "marginal") == 350000
    assert tiered(Fraction(10000001), SEED_TIERS, "marginal") == 350000 + Fraction(5, 100)
    assert tiered(Fraction(0), SEED_TIERS, "marginal") == 0
    assert tiered(Fraction(-5), SEED_TIERS, "marginal") == 0
    bands = tier_amounts(Fraction(6400000), SEED_TIERS, "marginal")
    assert [b["base_fen"] for b in bands] == [5000000, 1400000, 0]
    assert [b["amount_fen"] for b in bands] == [150000, 56000, 0]


def test_whole_tiers_use_the_band_reached_half_open() -> None:
    assert tiered(Fraction(1999999), WHOLE, "whole") == Fraction(1999999 * 2, 100)
    assert tiered(Fraction(2000000), WHOLE, "whole") == 80000  # [20,000.00, 60,000.00): 4 %
    assert tiered(Fraction(5999999), WHOLE, "whole") == Fraction(5999999 * 4, 100)
    assert tiered(Fraction(6000000), WHOLE, "whole") == 360000
    bands = tier_amounts(Fraction(2000000), WHOLE, "whole")
    assert [b["base_fen"] for b in bands] == [0, 2000000, 0]  # exactly one band


def parts(**kw: int) -> dict[str, int]:
    p = empty_parts()
    p.update(kw)
    return p


def test_gates_compare_exact_values_never_rounded() -> None:
    gate = Gate("conversion_rate", ">=", "team")
    # pay.md's example: 37/120 = 0.30833… against the team's 301/1000
    team = parts(paying_buyers=301, inquiring_buyers=1000)
    verdict = judge(gate, parts(paying_buyers=37, inquiring_buyers=120), team, None, 30)
    assert (verdict["agent"], verdict["against"], verdict["result"]) == ("37/120", "0.301", "pass")
    # 30.10 % shown, but 3011/10004 < 301/1000 exactly: fails
    close = judge(gate, parts(paying_buyers=3011, inquiring_buyers=10004), team, None, 30)
    assert close["result"] == "fail"
    # avg_spend unrounded: 100000.4 fen vs 100000.5 fen (both show 1,000.00)
    spend = Gate("avg_spend_fen", ">=", "team")
    v = judge(
        spend,
        parts(sales_fen=1000004, paying_buyers=10, inquiring_buyers=50),
        parts(sales_fen=200001, paying_buyers=2),
        None,
        30,
    )
    assert v["result"] == "fail"


def test_gate_data_rules() -> None:
    bad = Gate("bad_review_rate", "<=", "team", if_undefined="pass")
    v = judge(bad, parts(inquiring_buyers=40), parts(reviews=10, bad_reviews=1), None, 30)
    assert v["result"] == "pass" and v["note"] == "undefined"
    v = judge(
        bad, parts(inquiring_buyers=29, reviews=5, bad_reviews=5), parts(reviews=10), None, 30
    )
    assert v["result"] == "insufficient_data"
    count = Gate("net_sales_fen", ">=", "number", number=3000000)
    assert judge(count, parts(net_sales_fen=3000000), parts(), None, 30)["result"] == "pass"
    assert judge(count, parts(net_sales_fen=2999999), parts(), None, 30)["result"] == "fail"
    target = Gate("net_sales_fen", ">=", "target", target="net_sales_fen")
    assert judge(target, parts(net_sales_fen=5), parts(), None, 30)["result"] == "no_target"


def test_leaders_all_tied_and_only_above_zero() -> None:
    assert leaders({"a": 5, "b": 5, "c": 4}) == (5, ["a", "b"])
    assert leaders({"a": 0, "b": 0}) == (0, [])
    assert leaders({"a": None}) == (None, [])
