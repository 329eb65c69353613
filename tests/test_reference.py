"""Tests of the pandas reference implementation (reference/kefu_reference.py).

Hand-built cases, each one rule of metrics.md, plus a property test against a naive
row-by-row re-derivation of sessions and attribution.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kefu_reference as ref

AGENT_COLS = ["shop_id", "agent_id", "name", "role", "team", "hired_on", "left_on"]
MESSAGE_COLS = ["shop_id", "buyer_id", "agent_id", "sent_at", "sender", "text", "chars"]
ORDER_COLS = [
    "shop_id",
    "order_id",
    "buyer_id",
    "created_at",
    "paid_at",
    "amount_fen",
    "items",
    "refund_fen",
    "refunded_at",
    "status",
]
REVIEW_COLS = ["shop_id", "order_id", "rated_at", "rating"]


def agent(agent_id, role="presale", *, name=None, hired_on="2020-01-01", left_on=None, shop="S"):
    return (shop, agent_id, name or agent_id.split(":")[-1], role, None, hired_on, left_on)


def msg(buyer, agent_id, at, sender, text="", *, shop="S"):
    return (shop, buyer, agent_id, at, sender, text, len(text))


def order(oid, buyer, created, paid="same", *, amount=10000, items=1, refund=0, shop="S"):
    paid_at = created if paid == "same" else paid
    return (shop, oid, buyer, created, paid_at, amount, items, refund, None, None)


def review(oid, rating, *, shop="S"):
    return (shop, oid, "2030-01-01 00:00:00", rating)


def frames(agents=(), messages=(), orders=(), reviews=()):
    a = pd.DataFrame(list(agents), columns=AGENT_COLS)
    m = pd.DataFrame(list(messages), columns=MESSAGE_COLS)
    m["sent_at"] = pd.to_datetime(m["sent_at"])
    o = pd.DataFrame(list(orders), columns=ORDER_COLS)
    for col in ("created_at", "paid_at", "refunded_at"):
        o[col] = pd.to_datetime(o[col])
    r = pd.DataFrame(list(reviews), columns=REVIEW_COLS)
    r["rated_at"] = pd.to_datetime(r["rated_at"])
    return a, m, o, r


def run(agents=(), messages=(), orders=(), reviews=(), **settings):
    return ref.compute(*frames(agents, messages, orders, reviews), settings or None)


A, B = "S:A", "S:B"


def row(result, month, agent_id=A, shop="S"):
    return result[(shop, month)]["agents"][agent_id]


# ---------------------------------------------------------------------------------------
# §5 worked example
# ---------------------------------------------------------------------------------------

EXAMPLE = [
    msg("B", A, "2024-09-03 10:00:00", "buyer", "在吗"),
    msg("B", A, "2024-09-03 10:00:40", "agent", "在的亲"),
    msg("B", A, "2024-09-03 10:02:00", "buyer", "有货吗"),
    msg("B", A, "2024-09-03 10:03:00", "agent", "有的"),
]


def test_worked_example():
    result = run([agent(A)], EXAMPLE, [order("o1", "B", "2024-09-04 21:00:00", amount=19900)])
    assert list(result) == [("S", "2024-09")]
    a = row(result, "2024-09")
    assert (a["sessions"], a["receptions"], a["inquiring_buyers"]) == (1, 1, 1)
    assert a["first_response_s"] == 40
    assert (a["answered_turns"], a["response_total_s"], a["avg_response_s"]) == (2, 100, 50)
    assert (a["orders"], a["sales_fen"], a["paying_buyers"]) == (1, 19900, 1)
    assert a["conversion_rate"] == 1.0
    assert a["avg_spend_fen"] == 19900
    shop = result[("S", "2024-09")]
    assert (shop["silent_orders"], shop["silent_share"]) == (0, 0.0)
    assert shop["team"]["sales_fen"] == 19900


def test_worked_example_order_two_days_later_is_silent():
    result = run([agent(A)], EXAMPLE, [order("o1", "B", "2024-09-05 00:00:00", amount=19900)])
    a = row(result, "2024-09")
    assert (a["orders"], a["sales_fen"], a["paying_buyers"]) == (0, 0, 0)
    assert a["conversion_rate"] == 0.0
    assert a["avg_spend_fen"] is None
    shop = result[("S", "2024-09")]
    assert (shop["silent_orders"], shop["silent_sales_fen"]) == (1, 19900)
    assert shop["silent_share"] == 1.0


# ---------------------------------------------------------------------------------------
# §2 sessions
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second_at", "sessions"),
    [("2024-03-01 10:30:00", 1), ("2024-03-01 10:30:01", 2)],
)
def test_gap_of_exactly_30_minutes_does_not_split(second_at, sessions):
    result = run(
        [agent(A)],
        [msg("B", A, "2024-03-01 10:00:00", "buyer"), msg("B", A, second_at, "buyer")],
    )
    a = row(result, "2024-03")
    assert a["sessions"] == sessions
    assert a["unanswered_sessions"] == sessions
    assert a["consulted_buyers"] == 1  # distinct buyers, not sessions


def test_session_gap_is_configurable():
    result = run(
        [agent(A)],
        [msg("B", A, "2024-03-01 10:00:00", "buyer"), msg("B", A, "2024-03-01 10:11:00", "buyer")],
        session_gap_minutes=10,
    )
    assert row(result, "2024-03")["sessions"] == 2


def test_sessions_are_per_buyer_and_agent():
    result = run(
        [agent(A), agent(B)],
        [
            msg("X", A, "2024-03-01 10:00:00", "buyer"),
            msg("Y", A, "2024-03-01 10:00:05", "buyer"),
            msg("X", B, "2024-03-01 10:00:10", "buyer"),
        ],
    )
    assert row(result, "2024-03", A)["sessions"] == 2
    assert row(result, "2024-03", B)["sessions"] == 1


def test_equal_times_put_buyer_before_agent():
    result = run(
        [agent(A)],
        [
            msg("B", A, "2024-03-01 10:00:00", "agent", "好的"),
            msg("B", A, "2024-03-01 10:00:00", "buyer", "买"),
        ],
    )
    a = row(result, "2024-03")
    assert a["receptions"] == 1
    assert (a["first_response_sessions"], a["first_response_s"]) == (1, 0)


def test_greeting_or_unanswered_outreach_is_not_a_reception():
    result = run(
        [agent(A)],
        [
            msg("G", A, "2024-03-01 10:00:00", "agent", "欢迎"),  # outreach, no answer
            msg("H", A, "2024-03-01 11:00:00", "agent", "欢迎"),  # greeting, then buyer
            msg("H", A, "2024-03-01 11:00:10", "buyer", "hi"),
            msg("K", A, "2024-03-01 12:00:00", "buyer", "hi"),  # only an auto reply
            msg("K", A, "2024-03-01 12:00:01", "auto", "稍等"),
        ],
    )
    a = row(result, "2024-03")
    assert (a["sessions"], a["receptions"], a["unanswered_sessions"]) == (3, 0, 2)
    assert (a["consulted_buyers"], a["served_buyers"], a["reply_rate"]) == (2, 0, 0.0)
    assert a["first_response_s"] is None
    assert (a["buyer_messages"], a["agent_messages"], a["answer_ratio"]) == (2, 2, 1.0)


def test_session_month_is_that_of_its_first_message():
    result = run(
        [agent(A)],
        [
            msg("B", A, "2024-01-31 23:50:00", "buyer"),
            msg("B", A, "2024-02-01 00:10:00", "agent", "在"),
        ],
    )
    assert row(result, "2024-01")["receptions"] == 1
    assert row(result, "2024-02")["sessions"] == 0


# ---------------------------------------------------------------------------------------
# §3 response times and typing
# ---------------------------------------------------------------------------------------


def test_auto_does_not_break_a_buyer_run():
    result = run(
        [agent(A)],
        [
            msg("B", A, "2024-03-01 10:00:00", "buyer", "a"),
            msg("B", A, "2024-03-01 10:00:01", "auto", "稍等"),
            msg("B", A, "2024-03-01 10:00:30", "buyer", "b"),
            msg("B", A, "2024-03-01 10:01:01", "agent", "c"),
            msg("B", A, "2024-03-01 10:02:00", "buyer", "d"),  # unanswered run: left out
        ],
    )
    a = row(result, "2024-03")
    assert (a["answered_turns"], a["response_total_s"], a["slow_turns"]) == (1, 61, 1)
    assert a["first_response_s"] == 61


def test_slow_turn_is_strictly_more_than_slow_response_s():
    result = run(
        [agent(A)],
        [
            msg("B", A, "2024-03-01 10:00:00", "buyer"),
            msg("B", A, "2024-03-01 10:01:00", "agent", "x"),
        ],
    )
    assert row(result, "2024-03")["slow_turns"] == 0


def test_first_response_is_from_the_first_buyer_message():
    result = run(
        [agent(A)],
        [
            msg("B", A, "2024-03-01 10:00:00", "agent", "欢迎"),
            msg("B", A, "2024-03-01 10:00:10", "buyer", "a"),
            msg("B", A, "2024-03-01 10:00:20", "buyer", "b"),
            msg("B", A, "2024-03-01 10:00:50", "agent", "c"),
        ],
    )
    a = row(result, "2024-03")
    assert (a["first_response_s"], a["avg_response_s"]) == (40, 40)


def test_typing_gaps_2_and_120_seconds_count_121_and_1_do_not():
    t0 = datetime(2024, 3, 1, 10, 0, 0)
    at = [t0 + timedelta(seconds=s) for s in (0, 2, 122, 243, 244, 246)]
    result = run(
        [agent(A)],
        [
            msg("B", A, at[0], "buyer", "问"),
            msg("B", A, at[1], "agent", "1234"),  # 2 s: counts
            msg("B", A, at[2], "agent", "0123456789"),  # 120 s: counts
            msg("B", A, at[3], "agent", "x" * 100),  # 121 s: not
            msg("B", A, at[4], "agent", "y" * 1000),  # 1 s: not
            msg("B", A, at[5], "agent", "好的"),  # 2 s after the previous (any sender)
        ],
    )
    a = row(result, "2024-03")
    assert (a["typing_chars"], a["typing_seconds"]) == (16, 124)
    assert a["typing_cpm"] == pytest.approx(16 * 60 / 124)


def test_typing_gap_measured_from_an_auto_message():
    result = run(
        [agent(A)],
        [
            msg("B", A, "2024-03-01 10:00:00", "buyer", "问"),
            msg("B", A, "2024-03-01 10:05:00", "auto", "稍等"),
            msg("B", A, "2024-03-01 10:05:30", "agent", "来了来了"),
        ],
    )
    assert (row(result, "2024-03")["typing_chars"], row(result, "2024-03")["typing_seconds"]) == (
        4,
        30,
    )


def test_off_hours_sessions_leave_response_figures_only():
    result = run(
        [agent(A)],
        [
            msg("N", A, "2024-03-01 23:30:00", "buyer", "a"),  # inside 23:00–09:00
            msg("N", A, "2024-03-01 23:45:00", "agent", "b"),
            msg("M", A, "2024-03-02 09:00:00", "buyer", "a"),  # 09:00 is outside (end excl.)
            msg("M", A, "2024-03-02 09:00:10", "agent", "b"),
        ],
        off_hours=(23 * 60, 9 * 60),
    )
    a = row(result, "2024-03")
    assert (a["sessions"], a["receptions"], a["agent_messages"]) == (2, 2, 2)
    assert (a["first_response_sessions"], a["first_response_total_s"]) == (1, 10)
    assert (a["answered_turns"], a["response_total_s"], a["slow_turns"]) == (1, 10, 0)


# ---------------------------------------------------------------------------------------
# §2 attribution
# ---------------------------------------------------------------------------------------

INQUIRY = [
    msg("B", A, "2024-03-10 23:59:00", "buyer"),
    msg("B", A, "2024-03-10 23:59:59", "agent", "在"),
]


@pytest.mark.parametrize(
    ("created", "credited"),
    [
        ("2024-03-10 23:59:59", True),  # at the message itself
        ("2024-03-11 23:59:59", True),  # next calendar day
        ("2024-03-12 00:00:00", False),  # two calendar days later
        ("2024-03-10 23:59:58", False),  # before the agent's message
    ],
)
def test_attribution_window_in_calendar_days(created, credited):
    result = run([agent(A)], INQUIRY, [order("o1", "B", created)])
    assert row(result, "2024-03")["orders"] == int(credited)
    assert result[("S", "2024-03")]["silent_orders"] == int(not credited)


def test_attribution_days_is_configurable():
    result = run([agent(A)], INQUIRY, [order("o1", "B", "2024-03-12 08:00:00")], attribution_days=2)
    assert row(result, "2024-03")["orders"] == 1
    result = run([agent(A)], INQUIRY, [order("o1", "B", "2024-03-11 08:00:00")], attribution_days=0)
    assert row(result, "2024-03")["orders"] == 0


def test_latest_contact_wins_and_no_falling_back():
    result = run(
        [agent(A), agent(B)],
        [
            msg("B", A, "2024-03-10 10:00:00", "buyer"),
            msg("B", A, "2024-03-10 10:00:05", "agent", "A"),
            msg("B", B, "2024-03-10 12:00:00", "buyer"),
            msg("B", B, "2024-03-10 12:00:05", "agent", "B"),
        ],
        [order("o1", "B", "2024-03-10 13:00:00")],
    )
    assert (row(result, "2024-03", A)["orders"], row(result, "2024-03", B)["orders"]) == (0, 1)


def test_tie_in_time_goes_to_the_agent_id_first_by_code_point():
    # 丽 (U+4E3D) sorts before 美 (U+7F8E) by code point, whatever the pinyin says.
    li, mei = "S:小丽", "S:小美"
    result = run(
        [agent(mei), agent(li)],
        [
            msg("B", mei, "2024-03-10 10:00:00", "buyer"),
            msg("B", mei, "2024-03-10 10:00:30", "agent", "美"),
            msg("B", li, "2024-03-10 10:00:10", "buyer"),
            msg("B", li, "2024-03-10 10:00:30", "agent", "丽"),
        ],
        [order("o1", "B", "2024-03-10 11:00:00")],
    )
    assert row(result, "2024-03", li)["orders"] == 1
    assert row(result, "2024-03", mei)["orders"] == 0
    assert row(result, "2024-03", mei)["inquiring_buyers"] == 1


def test_aftersale_by_lookback_is_not_an_inquiry_so_an_older_contact_wins():
    result = run(
        [agent(A), agent(B)],
        [
            msg("B", A, "2024-03-10 10:00:00", "buyer"),
            msg("B", A, "2024-03-10 10:00:30", "agent", "在"),
            # o1 paid at 10:30; B's session starts after it: after-sale by lookback
            msg("B", B, "2024-03-11 09:00:00", "buyer", "发货了吗"),
            msg("B", B, "2024-03-11 09:00:30", "agent", "已发"),
        ],
        [
            order("o1", "B", "2024-03-10 10:30:00"),
            order("o2", "B", "2024-03-11 09:10:00", amount=500),
        ],
    )
    a, b = row(result, "2024-03", A), row(result, "2024-03", B)
    assert (b["sessions"], b["receptions"], b["served_buyers"], b["inquiring_buyers"]) == (
        1,
        1,
        1,
        0,
    )
    assert (b["orders"], b["first_response_s"]) == (0, 30)
    assert (a["orders"], a["sales_fen"], a["paying_buyers"]) == (2, 10500, 1)
    # o1 was paid after A's inquiry started, so both orders are new-buyer orders
    assert (a["new_buyer_sales_fen"], a["returning_paying_buyers"]) == (10500, 0)
    # o2 paid within 90 days after o1: the buyer repurchased
    assert (a["repurchasing_buyers"], a["repurchase_rate"]) == (1, 1.0)


@pytest.mark.parametrize(
    ("paid", "aftersale"),
    [
        ("2024-03-01 10:00:00", True),  # exactly 15 × 24 h before the start
        ("2024-03-01 09:59:59", False),  # one second more
        ("2024-03-16 09:59:59", True),
    ],
)
def test_aftersale_lookback_bounds(paid, aftersale):
    result = run(
        [agent(A)],
        [
            msg("B", A, "2024-03-16 10:00:00", "buyer"),
            msg("B", A, "2024-03-16 10:00:10", "agent", "在"),
        ],
        [order("o0", "B", "2024-02-20 10:00:00", paid)],
    )
    assert row(result, "2024-03")["inquiring_buyers"] == int(not aftersale)


def test_payment_at_the_session_start_is_not_in_the_lookback():
    result = run(
        [agent(A)],
        [
            msg("B", A, "2024-03-16 10:00:00", "buyer"),
            msg("B", A, "2024-03-16 10:00:10", "agent", "在"),
        ],
        [order("o0", "B", "2024-03-16 09:00:00", "2024-03-16 10:00:00")],
    )
    assert row(result, "2024-03")["inquiring_buyers"] == 1


def test_aftersale_role_is_never_an_inquiry_and_never_credited():
    c = "S:C"
    result = run(
        [agent(A), agent(c, "aftersale")],
        [
            msg("B", c, "2024-03-10 10:00:00", "buyer"),
            msg("B", c, "2024-03-10 10:00:10", "agent", "在"),
        ],
        [order("o1", "B", "2024-03-10 11:00:00")],
    )
    cr = row(result, "2024-03", c)
    assert (cr["role"], cr["receptions"], cr["inquiring_buyers"], cr["orders"]) == (
        "aftersale",
        1,
        0,
        0,
    )
    shop = result[("S", "2024-03")]
    assert shop["silent_orders"] == 1
    assert shop["team"]["sessions"] == 0  # the team pools presale agents only


def test_unpaid_orders_are_never_credited_nor_silent():
    result = run([agent(A)], INQUIRY, [order("o1", "B", "2024-03-11 08:00:00", None)])
    shop = result[("S", "2024-03")]
    assert row(result, "2024-03")["orders"] == 0
    assert (shop["silent_orders"], shop["paid_sales_fen"], shop["silent_share"]) == (0, 0, None)


def test_silent_and_unattributable_orders():
    result = run(
        [agent(A)],
        INQUIRY,
        [
            order("o1", "B", "2024-03-11 08:00:00", amount=300),  # credited
            order("o2", "Z", "2024-03-11 08:00:00", amount=100),  # silent: no contact
            order("o3", None, "2024-03-11 08:00:00", amount=50),  # unknown buyer
            order("o4", None, "2024-03-11 08:00:00", None, amount=7),  # unpaid, unknown
        ],
    )
    shop = result[("S", "2024-03")]
    assert (shop["silent_orders"], shop["silent_sales_fen"]) == (1, 100)
    assert (shop["unattributable_orders"], shop["unattributable_sales_fen"]) == (1, 50)
    assert shop["paid_sales_fen"] == 400
    assert shop["silent_share"] == 0.25
    assert row(result, "2024-03")["sales_fen"] == 300


def test_inquiry_on_jan_31_order_on_feb_1_counts_in_january():
    result = run(
        [agent(A)],
        [
            msg("B", A, "2024-01-31 20:00:00", "buyer"),
            msg("B", A, "2024-01-31 20:00:20", "agent", "在"),
        ],
        [order("o1", "B", "2024-02-01 09:00:00", "2024-02-01 09:05:00", amount=800, refund=300)],
    )
    assert list(result) == [("S", "2024-01"), ("S", "2024-02")]
    jan, feb = row(result, "2024-01"), row(result, "2024-02")
    assert (jan["orders"], jan["sales_fen"], jan["refund_fen"], jan["net_sales_fen"]) == (
        1,
        800,
        300,
        500,
    )
    assert (feb["sessions"], feb["orders"]) == (0, 0)  # still listed: employed in February
    fshop = result[("S", "2024-02")]
    assert (fshop["paid_sales_fen"], fshop["paid_net_sales_fen"], fshop["silent_orders"]) == (
        800,
        500,
        0,
    )
    assert fshop["silent_share"] == 0.0
    assert result[("S", "2024-01")]["paid_sales_fen"] == 0


def test_paid_rule_and_order_first():
    orders = [order("o1", "B", "2024-03-08 10:00:00", "2024-03-11 08:00:00")]
    assert row(run([agent(A)], INQUIRY, orders), "2024-03")["orders"] == 0
    result = run([agent(A)], INQUIRY, orders, attribution_rule="paid")
    assert row(result, "2024-03")["orders"] == 1
    result = run([agent(A)], INQUIRY, orders, attribution_rule="order_first")
    assert row(result, "2024-03")["orders"] == 1
    # 'paid' judges the contact before paid_at, with the window from date(paid_at)
    late = [order("o1", "B", "2024-03-10 23:00:00", "2024-03-12 00:00:00")]
    assert row(run([agent(A)], INQUIRY, late), "2024-03")["orders"] == 0  # contact after create
    assert row(run([agent(A)], INQUIRY, late, attribution_rule="paid"), "2024-03")["orders"] == 0


def test_order_first_keeps_the_order_rule_credit():
    orders = [order("o1", "B", "2024-03-10 10:00:00", "2024-03-10 10:00:20")]
    messages = [
        msg("B", A, "2024-03-10 09:00:00", "buyer"),
        msg("B", A, "2024-03-10 09:00:10", "agent", "A"),
        msg("B", B, "2024-03-10 10:00:05", "buyer"),
        msg("B", B, "2024-03-10 10:00:10", "agent", "B"),
    ]
    agents = [agent(A), agent(B)]
    result = run(agents, messages, orders, attribution_rule="order_first")
    assert (row(result, "2024-03", A)["orders"], row(result, "2024-03", B)["orders"]) == (1, 0)
    result = run(agents, messages, orders, attribution_rule="paid")
    assert (row(result, "2024-03", A)["orders"], row(result, "2024-03", B)["orders"]) == (0, 1)


# ---------------------------------------------------------------------------------------
# §3 buyers, reviews, rounding
# ---------------------------------------------------------------------------------------


def test_returning_buyer_paid_another_order_before_the_inquiry_started():
    result = run(
        [agent(A)],
        [
            msg("B", A, "2024-05-01 10:00:00", "buyer"),
            msg("B", A, "2024-05-01 10:00:10", "agent", "在"),
            msg("N", A, "2024-05-01 10:00:00", "buyer"),
            msg("N", A, "2024-05-01 10:00:10", "agent", "在"),
        ],
        [
            # paid 30 days before (outside the lookback), refunded since: still returning
            order("old", "B", "2024-04-01 10:00:00", amount=1, refund=1),
            order("o1", "B", "2024-05-01 11:00:00", amount=1000, refund=100),
            order("o2", "N", "2024-05-01 11:00:00", amount=600),
        ],
    )
    a = row(result, "2024-05")
    assert (a["returning_buyer_sales_fen"], a["new_buyer_sales_fen"]) == (1000, 600)
    assert (a["returning_buyer_net_sales_fen"], a["new_buyer_net_sales_fen"]) == (900, 600)
    assert (a["returning_paying_buyers"], a["returning_buyer_share"]) == (1, 0.5)
    assert a["avg_spend_fen"] == 800
    assert a["items_per_buyer"] == 1.0


@pytest.mark.parametrize(("extra_s", "repurchasing"), [(0, True), (1, False)])
def test_repurchase_window(extra_s, repurchasing):
    t0 = datetime(2024, 3, 11, 12, 0, 0)
    again = t0 + timedelta(days=90, seconds=extra_s)  # paid_at in (t0, t0 + 90 d]
    result = run(
        [agent(A)],
        INQUIRY,
        [order("o1", "B", t0), order("o2", "B", again - timedelta(hours=1), again)],
    )
    a = row(result, "2024-03")
    assert a["repurchasing_buyers"] == int(repurchasing)
    assert a["repurchase_rate"] == float(repurchasing)


def test_reviews_of_credited_orders():
    result = run(
        [agent(A)],
        INQUIRY,
        [
            order("o1", "B", "2024-03-11 08:00:00"),
            order("o2", "B", "2024-03-11 08:00:00"),
            order("o3", "B", "2024-03-11 08:00:00"),
            order("x", "Q", "2024-03-11 08:00:00"),  # silent: its review is nobody's
        ],
        [review("o1", "good"), review("o2", "neutral"), review("o3", "bad"), review("x", "bad")],
    )
    a = row(result, "2024-03")
    assert (a["reviews"], a["good_reviews"], a["bad_reviews"]) == (3, 1, 1)
    assert a["good_review_rate"] == pytest.approx(1 / 3)
    assert a["bad_review_rate"] == pytest.approx(1 / 3)


def test_avg_spend_rounds_half_up():
    result = run(
        [agent(A)],
        [
            msg("B", A, "2024-03-10 10:00:00", "buyer"),
            msg("B", A, "2024-03-10 10:00:01", "agent", "x"),
            msg("C", A, "2024-03-10 10:00:00", "buyer"),
            msg("C", A, "2024-03-10 10:00:01", "agent", "x"),
        ],
        [
            order("o1", "B", "2024-03-10 11:00:00", amount=100),
            order("o2", "C", "2024-03-10 11:00:00", amount=101),
        ],
    )
    assert row(result, "2024-03")["avg_spend_fen"] == 101  # 100.5 → 101


def test_zero_denominators_are_none():
    result = run([agent(A)], [msg("B", A, "2024-03-10 10:00:00", "agent", "上新啦")])
    a = row(result, "2024-03")
    for field in ref.RATE_FIELDS:
        assert a[field] is None, field
    assert result[("S", "2024-03")]["silent_share"] is None
    assert result[("S", "2024-03")]["team"]["conversion_rate"] is None


# ---------------------------------------------------------------------------------------
# §3 agents listed, team row, months, ignored accounts
# ---------------------------------------------------------------------------------------


def test_agents_listed_and_months_between():
    result = run(
        [
            agent(A, hired_on="2024-01-15"),
            agent(B, hired_on="2024-02-01", left_on="2024-02-01"),  # one day in February
            agent("S:later", hired_on="2024-04-01"),
            agent("S:gone", hired_on="2023-01-01", left_on="2023-12-31"),
        ],
        [msg("B", "S:ghost", "2024-01-20 10:00:00", "buyer")],
        [order("o1", "B", "2024-03-05 10:00:00", None)],
    )
    assert list(result) == [("S", "2024-01"), ("S", "2024-02"), ("S", "2024-03")]
    assert set(result[("S", "2024-01")]["agents"]) == {A, "S:ghost"}
    assert set(result[("S", "2024-02")]["agents"]) == {A, B}
    assert set(result[("S", "2024-03")]["agents"]) == {A}
    ghost = row(result, "2024-01", "S:ghost")
    assert (ghost["name"], ghost["role"], ghost["sessions"]) == ("S:ghost", "presale", 1)
    assert row(result, "2024-02", B)["sessions"] == 0


def test_team_pools_presale_agents():
    c = "S:C"
    result = run(
        [agent(A), agent(B), agent(c, "aftersale")],
        [
            msg("X", A, "2024-03-10 10:00:00", "buyer"),
            msg("X", A, "2024-03-10 10:00:10", "agent", "a"),
            msg("Y", A, "2024-03-10 10:00:00", "buyer"),
            msg("Y", A, "2024-03-10 10:00:20", "agent", "a"),
            msg("X", B, "2024-03-10 11:00:00", "buyer"),
            msg("X", B, "2024-03-10 11:01:00", "agent", "b"),
            msg("X", "S:new", "2024-03-10 12:00:00", "buyer"),  # unknown: presale
            msg("Z", c, "2024-03-10 10:00:00", "buyer"),
            msg("Z", c, "2024-03-10 10:00:05", "agent", "c"),
        ],
        [order("o1", "X", "2024-03-10 11:30:00", amount=1000)],
    )
    team = result[("S", "2024-03")]["team"]
    assert team["name"] == ref.TEAM_NAME
    # X counts twice (with A and with B), and once more with S:new as consulted
    assert (team["sessions"], team["inquiring_buyers"], team["consulted_buyers"]) == (4, 3, 4)
    assert (team["paying_buyers"], team["sales_fen"], team["conversion_rate"]) == (1, 1000, 1 / 3)
    assert team["first_response_s"] == pytest.approx((10 + 20 + 60) / 3)
    assert team["unanswered_sessions"] == 1
    assert row(result, "2024-03", B)["orders"] == 1


def test_ignored_accounts_are_left_out_everywhere():
    result = run(
        [agent(A), agent("S:test")],
        [
            *INQUIRY,
            msg("shopowner", A, "2024-03-10 10:00:00", "buyer"),
            msg("shopowner", A, "2024-03-10 10:00:10", "agent", "x"),
            msg("C", "S:test", "2024-03-10 10:00:00", "buyer"),
        ],
        [
            order("o1", "B", "2024-03-11 08:00:00", amount=100),
            order("o2", "shopowner", "2024-03-10 11:00:00", amount=999),
        ],
        ignored_accounts=("shopowner", "S:test"),
    )
    shop = result[("S", "2024-03")]
    assert set(shop["agents"]) == {A}
    a = row(result, "2024-03")
    assert (a["sessions"], a["consulted_buyers"], a["sales_fen"]) == (1, 1, 100)
    assert (shop["paid_sales_fen"], shop["silent_orders"]) == (100, 0)


def test_shops_are_separate():
    result = run(
        [agent(A), agent(A, shop="T")],
        [*INQUIRY, msg("B", A, "2024-03-10 10:00:00", "buyer", shop="T")],
        [order("o1", "B", "2024-03-11 08:00:00", shop="T")],
    )
    assert row(result, "2024-03")["orders"] == 0
    assert row(result, "2024-03", shop="T")["orders"] == 0
    assert result[("T", "2024-03")]["silent_orders"] == 1


def test_records_repeated_with_the_same_identity_count_once():
    result = run(
        [agent(A)],
        [*INQUIRY, *INQUIRY],
        [
            order("o1", "B", "2024-03-11 08:00:00", amount=1),
            order("o1", "B", "2024-03-11 08:00:00", amount=300),  # updated: the last stands
        ],
        [review("o1", "bad"), review("o1", "good")],
    )
    a = row(result, "2024-03")
    assert (a["buyer_messages"], a["agent_messages"], a["orders"], a["sales_fen"]) == (1, 1, 1, 300)
    assert (a["reviews"], a["good_reviews"]) == (1, 1)


def test_date_objects_and_object_columns_are_accepted():
    a, m, o, r = frames([agent(A)], INQUIRY, [order("o1", "B", "2024-03-11 08:00:00")])
    a["hired_on"] = [date(2024, 3, 1)]
    m = m.astype({"shop_id": object, "buyer_id": object, "agent_id": object})
    result = ref.compute(a, m, o, r)
    assert result[("S", "2024-03")]["agents"][A]["orders"] == 1


def test_empty_inputs():
    assert run() == {}
    assert run([agent(A)]) == {}


# ---------------------------------------------------------------------------------------
# Property: agree with a naive row-by-row derivation of sessions and attribution
# ---------------------------------------------------------------------------------------

RANK = {"buyer": 0, "auto": 1, "agent": 2}


def naive(agents, messages, orders, rule="order", days=1, lookback=15):
    """Sessions, inquiries and credits the slow obvious way."""
    roles = {(a[0], a[1]): a[3] for a in agents}
    paid = [o for o in orders if o[4] is not None and o[2] is not None]
    msgs = sorted(messages, key=lambda m: (m[0], m[1], m[2], m[3], RANK[m[4]], m[5]))
    sessions: list[list[tuple]] = []
    for m in msgs:
        last = sessions[-1][-1] if sessions else None
        if last and last[:3] == m[:3] and m[3] - last[3] <= timedelta(minutes=30):
            sessions[-1].append(m)
        else:
            sessions.append([m])
    inquiries = []
    inquiring: set[tuple[str, str, str, str]] = set()
    for sess in sessions:
        senders = [m[4] for m in sess]
        reception = "buyer" in senders and "agent" in senders[senders.index("buyer") :]
        start = sess[0][3]
        recent = any(
            o[0] == sess[0][0]
            and o[2] == sess[0][1]
            and start - timedelta(days=lookback) <= o[4] < start
            for o in paid
        )
        shop, buyer, agent_id = sess[0][:3]
        after = roles.get((shop, agent_id), "presale") == "aftersale" or recent
        if reception and not after:
            inquiries.append(sess)
            inquiring.add((shop, agent_id, start.strftime("%Y-%m"), buyer))
    credited: dict[tuple[str, str, str], int] = {}
    silent = 0

    def credit(o, when):
        contacts = [
            (m[3], m[2], sess[0][3])
            for sess in inquiries
            for m in sess
            if m[4] == "agent" and m[0] == o[0] and m[1] == o[2] and m[3] <= when
        ]
        if not contacts:
            return None
        at = max(c[0] for c in contacts)
        _, agent_id, start = min(c for c in contacts if c[0] == at)
        if (when.date() - at.date()).days > days:
            return None
        return (o[0], agent_id, start.strftime("%Y-%m"))

    for o in paid:
        key = credit(o, o[4] if rule == "paid" else o[3])
        if key is None and rule == "order_first":
            key = credit(o, o[4])
        if key is None:
            silent += o[5]
        else:
            credited[key] = credited.get(key, 0) + o[5]
    per_agent_month: dict[tuple[str, str, str], int] = {}
    for shop, agent_id, month, _ in inquiring:
        key = (shop, agent_id, month)
        per_agent_month[key] = per_agent_month.get(key, 0) + 1
    return len(sessions), per_agent_month, credited, silent


T0 = datetime(2024, 1, 30, 0, 0, 0)
stamp = st.integers(0, 4 * 24 * 60).map(lambda minutes: T0 + timedelta(minutes=minutes))
message_st = st.tuples(
    st.just("S"),
    st.sampled_from(["b1", "b2"]),
    st.sampled_from(["S:a", "S:b", "S:c", "S:x"]),
    stamp,
    st.sampled_from(["buyer", "agent", "auto"]),
    st.sampled_from(["", "好", "ok"]),
).map(lambda m: (*m, len(m[5])))
order_st = st.builds(
    lambda i, buyer, created, delay, amount: (
        "S",
        f"o{i}",
        buyer,
        created,
        None if delay is None else created + timedelta(minutes=delay),
        amount,
        1,
        0,
        None,
        None,
    ),
    st.integers(0, 10**6),
    st.sampled_from(["b1", "b2", None]),
    stamp,
    st.one_of(st.none(), st.integers(0, 3 * 24 * 60)),
    st.integers(1, 1000),
)


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(message_st, max_size=30, unique_by=lambda m: m[:6]),
    orders=st.lists(order_st, max_size=8, unique_by=lambda o: o[1]),
    rule=st.sampled_from(["order", "paid", "order_first"]),
    days=st.integers(0, 2),
    lookback=st.sampled_from([0, 1, 2, 15]),
)
def test_agrees_with_naive_derivation(messages, orders, rule, days, lookback):
    agents = [agent("S:a"), agent("S:b"), agent("S:c", "aftersale")]
    result = run(
        agents,
        messages,
        orders,
        attribution_rule=rule,
        attribution_days=days,
        aftersale_lookback_days=lookback,
    )
    sessions, inquiring, credited, silent = naive(agents, messages, orders, rule, days, lookback)
    keyed = {
        (shop, agent_id, month): r
        for (shop, month), v in result.items()
        for agent_id, r in v["agents"].items()
    }
    rows = list(keyed.values())
    assert sum(r["sessions"] for r in rows) == sessions
    assert {
        k: r["inquiring_buyers"] for k, r in keyed.items() if r["inquiring_buyers"]
    } == inquiring
    assert {k: r["sales_fen"] for k, r in keyed.items() if r["sales_fen"]} == credited
    assert sum(v["silent_sales_fen"] for v in result.values()) == silent
    paid_known = sum(o[5] for o in orders if o[4] is not None and o[2] is not None)
    assert sum(credited.values()) + silent == paid_known
    assert sum(v["paid_sales_fen"] for v in result.values()) == paid_known
    for r in rows:
        assert r["served_buyers"] <= r["consulted_buyers"]
        assert r["paying_buyers"] <= r["inquiring_buyers"]
        assert r["returning_paying_buyers"] <= r["paying_buyers"]
        assert r["first_response_sessions"] == r["receptions"]
        assert r["inquiring_buyers"] <= r["served_buyers"] <= r["receptions"]
