"""Hand-built metric cases, one shop each: every definition of metrics.md §2–§3 pinned down.

Each case builds a small shop and states the figures it must give. The same cases run on
DuckDB (one at a time) and on Spark (all shops in one run), see test_metrics_cases.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shopdata import Shop


@dataclass
class Case:
    shop_id: str
    build: Callable[[str], Shop]
    # (month, agent_id or "TEAM" or "SHOP") -> {field: expected}
    expect: dict[tuple[str, str], dict[str, Any]]
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def months(self) -> list[str]:
        return sorted({m for m, _ in self.expect})


CASES: dict[str, Case] = {}


def case(
    name: str, expect: dict[tuple[str, str], dict[str, Any]], settings: dict[str, str] | None = None
):
    def wrap(fn: Callable[[str], Shop]) -> Callable[[str], Shop]:
        CASES[name] = Case(name, fn, expect, settings or {})
        return fn

    return wrap


# metrics.md §5, the worked example, as written.
@case(
    "worked_example",
    {
        ("2024-09", "A"): dict(
            sessions=1,
            receptions=1,
            inquiring_buyers=1,
            paying_buyers=1,
            first_response_s=40,
            avg_response_s=50,
            answered_turns=2,
            sales_fen=19900,
            conversion_rate=1,
            avg_spend_fen=19900,
            orders=1,
        ),
    },
)
def _worked(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    s.chat(
        "B",
        "A",
        ("2024-09-03 10:00:00", "buyer", "在吗"),
        ("2024-09-03 10:00:40", "agent", "在的亲"),
        ("2024-09-03 10:02:00", "buyer", "有货吗"),
        ("2024-09-03 10:03:00", "agent", "有的"),
        shop=shop,
    )
    return s.order("o1", "B", "2024-09-04 21:00:00", "2024-09-04 21:05:00", 19900, shop=shop)


@case(
    "worked_example_two_days_later",
    {
        ("2024-09", "A"): dict(
            paying_buyers=0, orders=0, sales_fen=0, conversion_rate=0, avg_spend_fen=None
        ),
        ("2024-09", "SHOP"): dict(silent_orders=1, silent_sales_fen=19900, silent_share=1),
    },
)
def _worked_silent(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    s.chat(
        "B",
        "A",
        ("2024-09-03 10:00:00", "buyer", "在吗"),
        ("2024-09-03 10:00:40", "agent", "在的亲"),
        shop=shop,
    )
    return s.order("o1", "B", "2024-09-05 09:00:00", "2024-09-05 09:01:00", 19900, shop=shop)


# Sessions split only where the gap is more than 30 minutes.
@case(
    "session_gap",
    {
        ("2024-03", "A"): dict(
            sessions=2, receptions=2, consulted_buyers=1, buyer_messages=4, agent_messages=3
        ),
    },
)
def _gap(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    return s.chat(
        "B",
        "A",
        ("2024-03-01 10:00:00", "buyer", "a"),
        ("2024-03-01 10:01:00", "agent", "b"),
        ("2024-03-01 10:31:00", "buyer", "exactly 30 min later: same session"),
        ("2024-03-01 11:01:01", "buyer", "30 min 1 s later: a new session"),
        ("2024-03-01 11:02:00", "agent", "c"),
        ("2024-03-01 11:02:30", "buyer", "d"),
        ("2024-03-01 11:03:00", "agent", "e"),
        shop=shop,
    )


# A greeting before the buyer wrote and an unanswered buyer are not receptions.
@case(
    "receptions",
    {
        ("2024-03", "A"): dict(
            sessions=3,
            receptions=1,
            unanswered_sessions=1,
            consulted_buyers=2,
            served_buyers=1,
            reply_rate=0.5,
            inquiring_buyers=1,
            first_response_sessions=1,
            first_response_s=20,
        ),
    },
)
def _receptions(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    s.chat(
        "B1",
        "A",
        ("2024-03-01 10:00:00", "agent", "hello"),
        ("2024-03-01 10:00:05", "buyer", "hi"),
        shop=shop,
    )
    s.chat(
        "B2",
        "A",
        ("2024-03-02 10:00:00", "buyer", "?"),
        ("2024-03-02 10:00:20", "agent", "yes"),
        shop=shop,
    )
    s.chat(
        "B3", "A", ("2024-03-03 10:00:00", "agent", "outreach the buyer never answered"), shop=shop
    )
    return s


# After-sale by role, and by a payment within the 15 days before the session.
@case(
    "aftersale",
    {
        ("2024-05", "S"): dict(receptions=1, served_buyers=1, inquiring_buyers=0),
        ("2024-05", "A"): dict(receptions=3, served_buyers=3, inquiring_buyers=2),
        ("2024-05", "TEAM"): dict(receptions=3, inquiring_buyers=2),
    },
)
def _aftersale(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop).agent("S", role="aftersale", shop=shop)
    s.chat(
        "B1",
        "S",
        ("2024-05-20 10:00:00", "buyer", "?"),
        ("2024-05-20 10:00:10", "agent", "!"),
        shop=shop,
    )
    # B2 paid exactly 15 days before: after-sale; B3 paid 15 days + 1 s before: pre-sale
    s.order("p2", "B2", "2024-05-01 09:00:00", "2024-05-01 10:00:00", shop=shop)
    s.chat(
        "B2",
        "A",
        ("2024-05-16 10:00:00", "buyer", "?"),
        ("2024-05-16 10:00:10", "agent", "!"),
        shop=shop,
    )
    s.order("p3", "B3", "2024-05-01 09:00:00", "2024-05-01 09:59:59", shop=shop)
    s.chat(
        "B3",
        "A",
        ("2024-05-16 10:00:00", "buyer", "?"),
        ("2024-05-16 10:00:10", "agent", "!"),
        shop=shop,
    )
    # B4 paid a second after the session began: pre-sale (the lookback is before the start)
    s.order("p4", "B4", "2024-05-01 09:00:00", "2024-05-16 10:00:01", shop=shop)
    s.chat(
        "B4",
        "A",
        ("2024-05-16 10:00:00", "buyer", "?"),
        ("2024-05-16 10:00:10", "agent", "!"),
        shop=shop,
    )
    return s


# After-sale sessions are never considered: an older pre-sale contact still wins.
@case(
    "aftersale_not_attributed",
    {
        ("2024-06", "A"): dict(inquiring_buyers=1, paying_buyers=1, orders=2, sales_fen=30000),
        ("2024-06", "C"): dict(inquiring_buyers=0, orders=0, receptions=1),
    },
)
def _after_not_attr(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop).agent("C", shop=shop)
    s.chat(
        "B",
        "A",
        ("2024-06-01 10:00:00", "buyer", "?"),
        ("2024-06-01 10:01:00", "agent", "!"),
        shop=shop,
    )
    s.order("x", "B", "2024-06-01 11:00:00", "2024-06-01 11:00:30", 10000, shop=shop)
    s.chat(
        "B",
        "C",
        ("2024-06-02 09:00:00", "buyer", "where is my parcel"),
        ("2024-06-02 09:00:30", "agent", "on its way"),
        shop=shop,
    )
    return s.order("y", "B", "2024-06-02 10:00:00", "2024-06-02 10:00:30", 20000, shop=shop)


# A tie in time goes to the agent id that sorts first; the window is in calendar days.
@case(
    "attribution_tie_and_window",
    {
        ("2024-07", "A"): dict(orders=2, paying_buyers=2, sales_fen=300),
        ("2024-07", "B"): dict(orders=0, inquiring_buyers=2),
        ("2024-07", "SHOP"): dict(silent_orders=1, silent_sales_fen=400),
    },
)
def _tie(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop).agent("B", shop=shop)
    for agent in ("B", "A"):
        s.chat(
            "X",
            agent,
            ("2024-07-01 10:00:00", "buyer", "?"),
            ("2024-07-01 10:00:09", "agent", "!"),
            shop=shop,
        )
    s.order("t", "X", "2024-07-01 12:00:00", "2024-07-01 12:00:01", 100, shop=shop)
    for agent in ("A", "B"):
        s.chat(
            "Y",
            agent,
            ("2024-07-10 23:59:00", "buyer", "?"),
            ("2024-07-10 23:59:59", "agent", "!"),
            shop=shop,
        )
    s.order("edge", "Y", "2024-07-11 23:59:59", "2024-07-12 00:00:10", 200, shop=shop)
    s.order("late", "Y", "2024-07-12 00:00:00", "2024-07-12 00:00:10", 400, shop=shop)
    return s


# No falling back: the latest contact is too old, so an older, closer-in-time one is not used.
@case(
    "no_fallback",
    {
        ("2024-08", "A"): dict(orders=0, inquiring_buyers=1),
        ("2024-08", "B"): dict(orders=0, inquiring_buyers=1),
        ("2024-08", "SHOP"): dict(silent_orders=1),
    },
)
def _no_fallback(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop).agent("B", shop=shop)
    s.chat(
        "X",
        "A",
        ("2024-08-01 10:00:00", "buyer", "?"),
        ("2024-08-01 10:00:09", "agent", "!"),
        shop=shop,
    )
    s.chat(
        "X",
        "B",
        ("2024-08-03 10:00:00", "buyer", "?"),
        ("2024-08-03 10:00:09", "agent", "!"),
        shop=shop,
    )
    return s.order("o", "X", "2024-08-06 10:00:00", "2024-08-06 10:00:01", shop=shop)


# Month boundary: an inquiry on Jan 31 credited by a Feb 1 order counts in January; the
# contact at or before created_at includes the same second.
@case(
    "month_boundary",
    {
        ("2024-01", "A"): dict(inquiring_buyers=1, paying_buyers=1, sales_fen=500),
        ("2024-02", "A"): dict(inquiring_buyers=0, paying_buyers=0, sessions=0),
        ("2024-01", "SHOP"): dict(silent_orders=0, silent_share=None),
        ("2024-02", "SHOP"): dict(silent_orders=0, silent_share=0),
    },
)
def _month(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    s.chat(
        "X",
        "A",
        ("2024-01-31 23:50:00", "buyer", "?"),
        ("2024-02-01 00:05:00", "agent", "!"),
        shop=shop,
    )
    return s.order("o", "X", "2024-02-01 00:05:00", "2024-02-01 00:06:00", 500, shop=shop)


# Buyer turns: auto replies do not break a run; response from the run's first message.
@case(
    "turns_and_auto",
    {
        ("2024-04", "A"): dict(
            answered_turns=2,
            response_total_s=100,
            slow_turns=1,
            buyer_messages=4,
            agent_messages=2,
            first_response_s=70,
            answer_ratio=0.5,
        ),
    },
)
def _turns(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    return s.chat(
        "X",
        "A",
        ("2024-04-01 10:00:00", "buyer", "q1"),
        ("2024-04-01 10:00:01", "auto", "[自动回复]您好"),
        ("2024-04-01 10:00:30", "buyer", "q2"),
        ("2024-04-01 10:01:10", "agent", "a1"),
        ("2024-04-01 10:02:00", "buyer", "q3"),
        ("2024-04-01 10:02:30", "agent", "a2"),
        ("2024-04-01 10:02:50", "buyer", "unanswered"),
        shop=shop,
    )


# Typing speed counts agent messages 2–120 s (inclusive) after the previous message.
@case(
    "typing_bounds",
    {
        ("2024-04", "A"): dict(typing_chars=30, typing_seconds=122, typing_cpm=30 * 60 / 122),
    },
)
def _typing(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    return s.chat(
        "X",
        "A",
        ("2024-04-02 10:00:00", "buyer", "q"),
        ("2024-04-02 10:00:01", "agent", "x" * 7),  # 1 s: too fast, left out
        ("2024-04-02 10:00:03", "agent", "y" * 10),  # 2 s: counted
        ("2024-04-02 10:02:03", "agent", "z" * 20),  # 120 s: counted
        ("2024-04-02 10:04:04", "agent", "w" * 40),  # 121 s: left out
        shop=shop,
    )


# Equal times sort buyer before auto before agent; chars are code points.
@case(
    "equal_times",
    {
        ("2024-04", "A"): dict(
            receptions=1, first_response_s=0, answered_turns=1, response_total_s=0, typing_chars=0
        ),
    },
)
def _equal(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    return s.chat(
        "X",
        "A",
        ("2024-04-03 10:00:00", "agent", "您好"),
        ("2024-04-03 10:00:00", "buyer", "在吗"),
        shop=shop,
    )


# Returning buyers, repurchase, refunds, reviews, items.
@case(
    "buyers_and_reviews",
    {
        ("2024-10", "A"): dict(
            paying_buyers=2,
            orders=3,
            items=5,
            sales_fen=60000,
            refund_fen=5000,
            net_sales_fen=55000,
            returning_buyer_sales_fen=10000,
            new_buyer_sales_fen=50000,
            returning_buyer_net_sales_fen=5000,
            new_buyer_net_sales_fen=50000,
            returning_paying_buyers=1,
            returning_buyer_share=0.5,
            repurchasing_buyers=1,
            repurchase_rate=0.5,
            avg_spend_fen=30000,
            items_per_buyer=2.5,
            reviews=2,
            good_reviews=1,
            bad_reviews=1,
            good_review_rate=0.5,
            bad_review_rate=0.5,
        ),
    },
)
def _buyers(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    # R paid an order in June (before the October inquiry): returning
    s.order("old", "R", "2024-06-01 10:00:00", "2024-06-01 10:00:00", 999, shop=shop)
    s.chat(
        "R",
        "A",
        ("2024-10-05 10:00:00", "buyer", "?"),
        ("2024-10-05 10:00:10", "agent", "!"),
        shop=shop,
    )
    s.order(
        "r1",
        "R",
        "2024-10-05 11:00:00",
        "2024-10-05 11:00:05",
        10000,
        items=1,
        refund_fen=5000,
        shop=shop,
    )
    # N is new; two credited orders; buys again 90 days after the first payment: repurchase
    s.chat(
        "N",
        "A",
        ("2024-10-06 10:00:00", "buyer", "?"),
        ("2024-10-06 10:00:10", "agent", "!"),
        shop=shop,
    )
    s.order("n1", "N", "2024-10-06 11:00:00", "2024-10-06 12:00:00", 20000, items=2, shop=shop)
    s.order("n2", "N", "2024-10-06 13:00:00", "2024-10-06 13:00:00", 30000, items=2, shop=shop)
    s.order(
        "n3", "N", "2024-12-20 10:00:00", "2025-01-04 12:00:00", 100, shop=shop
    )  # exactly 90 days
    s.review("r1", "bad", shop=shop).review("n1", "good", shop=shop)
    return s


# Repurchase past 90 days does not count; R's only other order is after.
@case(
    "repurchase_window",
    {
        ("2024-10", "A"): dict(paying_buyers=1, repurchasing_buyers=0, returning_paying_buyers=0),
    },
)
def _repurchase(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    s.chat(
        "N",
        "A",
        ("2024-10-06 10:00:00", "buyer", "?"),
        ("2024-10-06 10:00:10", "agent", "!"),
        shop=shop,
    )
    s.order("n1", "N", "2024-10-06 11:00:00", "2024-10-06 12:00:00", 20000, shop=shop)
    return s.order("n3", "N", "2025-01-04 12:00:00", "2025-01-04 12:00:01", 100, shop=shop)


# Unknown buyers are unattributable, unpaid orders neither credited nor silent; null ratios.
@case(
    "unattributable_and_nulls",
    {
        ("2024-11", "SHOP"): dict(
            unattributable_orders=1,
            unattributable_sales_fen=700,
            silent_orders=1,
            silent_sales_fen=300,
            silent_share=1,
        ),
        ("2024-11", "A"): dict(
            sessions=0,
            consulted_buyers=0,
            reply_rate=None,
            conversion_rate=None,
            avg_spend_fen=None,
            first_response_s=None,
            typing_cpm=None,
            answer_ratio=None,
        ),
    },
)
def _unattr(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    s.order("u", None, "2024-11-02 10:00:00", "2024-11-02 10:00:00", 700, shop=shop)
    s.order("s", "Z", "2024-11-02 10:00:00", "2024-11-02 10:00:00", 300, shop=shop)
    return s.order("unpaid", "Z", "2024-11-03 10:00:00", None, shop=shop)


# Who is listed: employed agents without sessions, a leaver, a hire, unknown sub-accounts.
@case(
    "listed_agents",
    {
        ("2024-02", "Old"): dict(sessions=0),
        ("2024-02", "Ghost"): dict(sessions=1, inquiring_buyers=1),
        ("2024-02", "TEAM"): dict(sessions=1, inquiring_buyers=1),
        ("2024-03", "New"): dict(sessions=0),
    },
)
def _listed(shop: str) -> Shop:
    s = Shop().agent("Old", hired_on="2023-01-01", left_on="2024-02-01", shop=shop)
    s.agent("New", hired_on="2024-03-31", shop=shop)
    return s.chat(
        "X",
        "Ghost",
        ("2024-02-10 10:00:00", "buyer", "?"),
        ("2024-02-10 10:00:10", "agent", "!"),
        shop=shop,
    )


# Settings: the paid rule measures the window from the payment.
@case(
    "rule_paid",
    {
        ("2024-09", "A"): dict(orders=1),
    },
    settings={"attribution_rule": "paid"},
)
def _paid(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    s.chat(
        "X",
        "A",
        ("2024-09-10 10:00:00", "buyer", "?"),
        ("2024-09-10 10:00:10", "agent", "!"),
        shop=shop,
    )
    return s.order("o", "X", "2024-09-01 10:00:00", "2024-09-10 12:00:00", shop=shop)


@case(
    "rule_order_first",
    {
        ("2024-09", "A"): dict(orders=1),
        ("2024-09", "B"): dict(orders=1),
    },
    settings={"attribution_rule": "order_first"},
)
def _order_first(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop).agent("B", shop=shop)
    s.chat(
        "X",
        "A",
        ("2024-09-10 10:00:00", "buyer", "?"),
        ("2024-09-10 10:00:10", "agent", "!"),
        shop=shop,
    )
    s.order("o", "X", "2024-09-01 10:00:00", "2024-09-10 12:00:00", shop=shop)  # by payment: A
    s.chat(
        "Y",
        "B",
        ("2024-09-12 10:00:00", "buyer", "?"),
        ("2024-09-12 10:00:10", "agent", "!"),
        shop=shop,
    )
    return s.order("p", "Y", "2024-09-12 11:00:00", "2024-09-25 12:00:00", shop=shop)  # by order: B


@case(
    "window_zero_and_ignored",
    {
        ("2024-09", "A"): dict(orders=0, inquiring_buyers=1, consulted_buyers=1),
        ("2024-09", "SHOP"): dict(silent_orders=1),
    },
    settings={"attribution_days": "0", "ignored_accounts": "tester"},
)
def _zero(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    s.chat(
        "X",
        "A",
        ("2024-09-10 23:00:00", "buyer", "?"),
        ("2024-09-10 23:00:10", "agent", "!"),
        shop=shop,
    )
    s.chat(
        "tester",
        "A",
        ("2024-09-10 23:00:00", "buyer", "?"),
        ("2024-09-10 23:00:10", "agent", "!"),
        shop=shop,
    )
    s.order("t", "tester", "2024-09-10 23:10:00", "2024-09-10 23:10:00", shop=shop)
    return s.order("o", "X", "2024-09-11 08:00:00", "2024-09-11 08:00:01", shop=shop)


@case(
    "off_hours",
    {
        ("2024-09", "A"): dict(
            sessions=2,
            receptions=2,
            first_response_sessions=1,
            first_response_total_s=10,
            answered_turns=1,
            typing_chars=1,
        ),
    },
    settings={"off_hours": "23:00-09:00"},
)
def _off(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    s.chat(
        "X",
        "A",
        ("2024-09-10 23:30:00", "buyer", "?"),
        ("2024-09-10 23:35:00", "agent", "!"),
        shop=shop,
    )
    return s.chat(
        "Y",
        "A",
        ("2024-09-11 09:00:00", "buyer", "?"),
        ("2024-09-11 09:00:10", "agent", "!"),
        shop=shop,
    )


# A conversation that never pauses for 30 minutes runs for three weeks across a month end:
# one session, in the month it began, however the months are computed.
@case(
    "long_chain",
    {
        ("2024-01", "A"): dict(
            sessions=1, inquiring_buyers=1, paying_buyers=1, orders=1, sales_fen=900
        ),
        ("2024-02", "A"): dict(sessions=0, inquiring_buyers=0, orders=0),
        ("2024-02", "SHOP"): dict(silent_orders=0, silent_share=0),
    },
)
def _chain(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop)
    from datetime import datetime, timedelta

    t = datetime(2024, 1, 20, 8, 0, 0)
    k = 0
    while t < datetime(2024, 2, 10, 12, 0, 0):
        s.msg(
            "X",
            "A",
            t.strftime("%Y-%m-%d %H:%M:%S"),
            "buyer" if k % 2 == 0 else "agent",
            f"m{k}",
            shop=shop,
        )
        t += timedelta(minutes=25)
        k += 1
    return s.order("o", "X", "2024-02-10 13:00:00", "2024-02-10 13:00:05", 900, shop=shop)


# Assists (metrics.md §2): A hands the buyer over to C (转接), C's later answer wins the
# credit; A's contact that day is an assist. D's contact two days earlier is too old to
# assist (attribution_days 1). The order is credited once: the team's sales are C's alone.
@case(
    "assist_transfer",
    {
        ("2024-09", "C"): dict(
            orders=1, sales_fen=10000, net_sales_fen=8000, assisted_orders=0, assisted_sales_fen=0
        ),
        ("2024-09", "A"): dict(
            orders=0,
            sales_fen=0,
            inquiring_buyers=1,
            assisted_inquiries=1,
            assisted_orders=1,
            assisted_sales_fen=10000,
            assisted_net_sales_fen=8000,
        ),
        ("2024-09", "D"): dict(inquiring_buyers=1, assisted_orders=0, assisted_sales_fen=0),
        ("2024-09", "TEAM"): dict(
            orders=1, sales_fen=10000, assisted_orders=1, assisted_sales_fen=10000
        ),
        ("2024-09", "SHOP"): dict(silent_orders=0),
    },
)
def _assist_transfer(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop).agent("C", shop=shop).agent("D", shop=shop)
    s.chat(
        "B",
        "D",
        ("2024-09-08 09:00:00", "buyer", "?"),
        ("2024-09-08 09:01:00", "agent", "!"),
        shop=shop,
    )
    s.chat(
        "B",
        "A",
        ("2024-09-10 10:00:00", "buyer", "?"),
        ("2024-09-10 10:01:00", "agent", "转接"),
        shop=shop,
    )
    s.chat(
        "B",
        "C",
        ("2024-09-10 10:05:00", "buyer", "?"),
        ("2024-09-10 10:10:00", "agent", "!"),
        shop=shop,
    )
    return s.order(
        "o1", "B", "2024-09-10 10:30:00", "2024-09-10 10:31:00", 10000, refund_fen=2000, shop=shop
    )


# A colleague following up (催付) an order A won: C writes between the order and its payment.
# Under the `order` rule the credit stays with A; C counts an assist. A message after the
# payment (E) is after-sale and assists nothing.
@case(
    "assist_follow_up",
    {
        ("2024-09", "A"): dict(orders=1, sales_fen=5000, assisted_orders=0),
        ("2024-09", "C"): dict(
            orders=0, inquiring_buyers=1, assisted_inquiries=1, assisted_sales_fen=5000
        ),
        ("2024-09", "E"): dict(assisted_orders=0, inquiring_buyers=0),
    },
)
def _assist_follow_up(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop).agent("C", shop=shop).agent("E", shop=shop)
    s.chat(
        "B",
        "A",
        ("2024-09-10 10:00:00", "buyer", "?"),
        ("2024-09-10 10:01:00", "agent", "!"),
        shop=shop,
    )
    s.chat(
        "B",
        "C",
        ("2024-09-10 11:00:00", "agent", "亲, 记得付款"),
        ("2024-09-10 11:02:00", "buyer", "好"),
        ("2024-09-10 11:03:00", "agent", "谢谢"),
        shop=shop,
    )
    s.chat(
        "B",
        "E",
        ("2024-09-10 13:00:00", "buyer", "?"),
        ("2024-09-10 13:01:00", "agent", "!"),
        shop=shop,
    )
    return s.order("o1", "B", "2024-09-10 10:30:00", "2024-09-10 12:00:00", 5000, shop=shop)


# The same follow-up under the `paid` rule: the credit goes to C (the last contact before the
# payment) and A, who served the buyer that day, assists.
@case(
    "assist_follow_up_paid_rule",
    {
        ("2024-09", "C"): dict(orders=1, sales_fen=5000, assisted_orders=0),
        ("2024-09", "A"): dict(orders=0, assisted_inquiries=1, assisted_sales_fen=5000),
    },
    settings={"attribution_rule": "paid"},
)
def _assist_paid(shop: str) -> Shop:
    return _assist_follow_up(shop)


# An assist is counted in the month the order is credited to: A's contact on 30 September,
# C's on 1 October winning an order of 1 October. A, who left on 30 September and has no
# session in October, is listed in October for the assist.
@case(
    "assist_across_month_end",
    {
        ("2024-09", "A"): dict(inquiring_buyers=1, assisted_orders=0),
        ("2024-10", "A"): dict(sessions=0, assisted_orders=1, assisted_sales_fen=7000),
        ("2024-10", "C"): dict(orders=1, sales_fen=7000),
    },
)
def _assist_month_end(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop, left_on="2024-09-30").agent("C", shop=shop)
    s.chat(
        "B",
        "A",
        ("2024-09-30 23:50:00", "buyer", "?"),
        ("2024-09-30 23:51:00", "agent", "!"),
        shop=shop,
    )
    s.chat(
        "B",
        "C",
        ("2024-10-01 00:30:00", "buyer", "?"),
        ("2024-10-01 00:35:00", "agent", "!"),
        shop=shop,
    )
    return s.order("o1", "B", "2024-10-01 00:40:00", "2024-10-01 00:41:00", 7000, shop=shop)


# Taobao 服务评价 (metrics.md §3): counted by level in the month they were given, every source
# (客服邀评, 消费者自主评价, 系统邀评) alike; satisfaction = (非常满意 + 满意) / all; an agent rated
# but without a session is listed; an ignored buyer's evaluation counts for nobody.
@case(
    "service_evaluations",
    {
        ("2024-09", "A"): dict(
            evaluations=6,
            evaluations_very_satisfied=2,
            evaluations_satisfied=1,
            evaluations_neutral=1,
            evaluations_dissatisfied=1,
            evaluations_very_dissatisfied=1,
            satisfied_evaluations=3,
            satisfaction_rate=0.5,
            sessions=1,
        ),
        ("2024-09", "R"): dict(evaluations=1, satisfaction_rate=1, sessions=0),
        ("2024-09", "B"): dict(evaluations=0, satisfaction_rate=None),
        ("2024-09", "TEAM"): dict(evaluations=7, satisfied_evaluations=4, satisfaction_rate=4 / 7),
        ("2024-10", "A"): dict(
            evaluations=1, evaluations_dissatisfied=1, satisfaction_rate=0, sessions=0
        ),
    },
    settings={"ignored_accounts": "tb_test"},
)
def _service_evaluations(shop: str) -> Shop:
    s = Shop().agent("A", shop=shop).agent("B", shop=shop)
    s.chat(
        "b1",
        "A",
        ("2024-09-03 10:00:00", "buyer", "在吗"),
        ("2024-09-03 10:00:30", "agent", "在的"),
        shop=shop,
    )
    for buyer, at, code, source in (
        ("b1", "2024-09-03 10:05:00", 0, 0),
        ("b2", "2024-09-04 10:00:00", 0, 1),
        ("b3", "2024-09-05 10:00:00", 1, 2),
        ("b4", "2024-09-06 10:00:00", 2, None),
        ("b5", "2024-09-07 10:00:00", 3, 1),
        ("b6", "2024-09-30 23:59:59", 4, 2),
        ("tb_test", "2024-09-08 10:00:00", 4, 1),
        ("b7", "2024-10-01 00:00:00", 3, 1),
    ):
        s.evaluation("A", buyer, at, code, source, shop=shop)
    return s.evaluation("R", "b1", "2024-09-10 12:00:00", 1, 1, shop=shop)
