"""Independent reference implementation of the kefu metric specification (metrics.md, v1).

This module is the oracle of the differential tests against kefu's SQL engine and the
baseline of the benchmark. It is written from the specification alone, the plain
vectorized pandas way, and imports nothing from kefu. Section numbers (§) refer to the
specification; every rule it states is quoted next to the code that implements it.

Entry point: ``compute(agents, messages, orders, reviews, settings)`` returns, keyed by
``(shop_id, "YYYY-MM")``, each agent's row, the team row and the shop's order figures.

Choices the specification leaves open are decided here and listed in ``DECISIONS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

DEFAULT_SETTINGS: dict[str, Any] = {
    "attribution_rule": "order",  # 'order' | 'paid' | 'order_first' (§4)
    "attribution_days": 1,
    "session_gap_minutes": 30,
    "aftersale_lookback_days": 15,
    "repurchase_days": 90,
    "slow_response_s": 60,
    "off_hours": None,  # None or (start_minute, end_minute), end exclusive, may wrap midnight
    "ignored_accounts": (),
}

# The "parts" of a row: integer counts and amounts that pool by plain summation (§3).
PART_FIELDS: tuple[str, ...] = (
    "sessions",
    "receptions",
    "unanswered_sessions",
    "consulted_buyers",
    "served_buyers",
    "inquiring_buyers",
    "paying_buyers",
    "returning_paying_buyers",
    "repurchasing_buyers",
    "orders",
    "items",
    "sales_fen",
    "refund_fen",
    "net_sales_fen",
    "new_buyer_sales_fen",
    "returning_buyer_sales_fen",
    "new_buyer_net_sales_fen",
    "returning_buyer_net_sales_fen",
    "reviews",
    "good_reviews",
    "bad_reviews",
    "buyer_messages",
    "agent_messages",
    "first_response_sessions",
    "first_response_total_s",
    "answered_turns",
    "response_total_s",
    "slow_turns",
    "typing_chars",
    "typing_seconds",
    "assisted_inquiries",
    "assisted_orders",
    "assisted_sales_fen",
    "assisted_net_sales_fen",
    "evaluations",
    "evaluations_very_satisfied",
    "evaluations_satisfied",
    "evaluations_neutral",
    "evaluations_dissatisfied",
    "evaluations_very_dissatisfied",
    "satisfied_evaluations",
)

# The rates, each recomputed from parts (None when its denominator is 0).
RATE_FIELDS: tuple[str, ...] = (
    "reply_rate",
    "conversion_rate",
    "avg_spend_fen",
    "items_per_buyer",
    "returning_buyer_share",
    "repurchase_rate",
    "good_review_rate",
    "bad_review_rate",
    "first_response_s",
    "avg_response_s",
    "answer_ratio",
    "typing_cpm",
    "satisfaction_rate",
)

TEAM_NAME = "团队"

DECISIONS: tuple[str, ...] = (
    "off_hours with start == end is an empty window (no session is left out).",
    "off_hours compares the minute of day of the session's first message (seconds ignored).",
    "an agent whose agent_id is in ignored_accounts is not listed at all.",
    "a null hired_on means employed since always; a null left_on means still employed.",
    "a null agent name falls back to the agent_id; the team row is named '团队'.",
    "'paid' attribution credits the latest contact at or before paid_at.",
    "the shop's month range comes from message sent_at and order created_at only.",
    "records repeated with the same identity (§3) count once: the last one stands.",
    "an order paid exactly at t0 is not a repurchase (the window (t0, t0 + 90 d] is open).",
    "silent orders count in the month of created_at under every attribution_rule.",
)

# §2 Session: "at equal times buyer before auto before agent, then by text".
SENDER_ORDER = ("buyer", "auto", "agent")
BUYER = ["shop_id", "buyer_id"]
PAIR = ["shop_id", "buyer_id", "agent_id"]
AGENT_MONTH = ["shop_id", "agent_id", "month"]
SHOP_MONTH = ["shop_id", "month"]
MESSAGE_IDENTITY = ["shop_id", "buyer_id", "agent_id", "sent_at", "sender", "text"]


# ----------------------------------------------------------------------------------------
# Input preparation
# ----------------------------------------------------------------------------------------


def _settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = dict(DEFAULT_SETTINGS)
    merged.update({k: v for k, v in (settings or {}).items() if v is not None or k == "off_hours"})
    if merged["attribution_rule"] not in ("order", "paid", "order_first"):
        raise ValueError(f"unknown attribution_rule {merged['attribution_rule']!r}")
    return merged


def _ts(values: pd.Series) -> pd.Series:
    """Timestamps at one resolution (merge_asof wants identical key dtypes)."""
    return pd.to_datetime(values).astype("datetime64[ns]")


def _ids(values: pd.Series) -> pd.Series:
    """Identifiers as pandas strings (missing stays missing)."""
    return values.astype("str")


def _prepare(
    agents: pd.DataFrame,
    messages: pd.DataFrame,
    orders: pd.DataFrame,
    reviews: pd.DataFrame,
    ignored: Iterable[str],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ignored = set(ignored)

    agents = agents.assign(shop_id=_ids(agents["shop_id"]), agent_id=_ids(agents["agent_id"]))
    # §4 ignored_accounts: "left out of every figure" — including the agent list.
    agents = agents[~agents["agent_id"].isin(ignored)]
    agents = agents.drop_duplicates(["shop_id", "agent_id"], keep="last").assign(
        hired_on=lambda a: _ts(a["hired_on"]).dt.normalize(),
        left_on=lambda a: _ts(a["left_on"]).dt.normalize(),
    )

    messages = messages.assign(
        shop_id=_ids(messages["shop_id"]),
        buyer_id=_ids(messages["buyer_id"]),
        agent_id=_ids(messages["agent_id"]),
        text=messages["text"].fillna("").astype("str"),
        sent_at=_ts(messages["sent_at"]),
        chars=messages["chars"].astype("int64"),
    )
    # "any message whose agent_id or buyer_id is listed ... is left out of every figure"
    messages = messages[~(messages["agent_id"].isin(ignored) | messages["buyer_id"].isin(ignored))]
    # §3 Identity of records: importing a record again updates it (the last one stands).
    messages = messages.drop_duplicates(MESSAGE_IDENTITY, keep="last").reset_index(drop=True)

    orders = orders.assign(
        shop_id=_ids(orders["shop_id"]),
        order_id=_ids(orders["order_id"]),
        buyer_id=_ids(orders["buyer_id"]),
        created_at=_ts(orders["created_at"]),
        paid_at=_ts(orders["paid_at"]),
        amount_fen=orders["amount_fen"].fillna(0).astype("int64"),
        items=orders["items"].fillna(0).astype("int64"),
        refund_fen=orders["refund_fen"].fillna(0).astype("int64"),
    )
    # "... and any order whose buyer_id is listed"
    orders = orders[~orders["buyer_id"].isin(ignored)]
    orders = orders.drop_duplicates(["shop_id", "order_id"], keep="last").reset_index(drop=True)
    orders["month"] = orders["created_at"].dt.strftime("%Y-%m")

    reviews = reviews.assign(shop_id=_ids(reviews["shop_id"]), order_id=_ids(reviews["order_id"]))
    reviews = reviews.drop_duplicates(
        ["shop_id", "order_id"], keep="last"
    )  # "a review by its order"
    return agents, messages, orders, reviews


def _asof(
    left: pd.DataFrame,
    left_time: str,
    right: pd.DataFrame,
    right_time: str,
    values: list[str],
    *,
    direction: str,
    allow_exact_matches: bool,
) -> pd.DataFrame:
    """For each row of `left`, `values` of the nearest `right` row of the same shop and buyer.

    A thin wrapper over merge_asof: both sides sorted on the time key, rows keyed back to
    `left`'s index (NaN where nothing matches).
    """
    lhs = pd.DataFrame(
        {"shop_id": left["shop_id"], "buyer_id": left["buyer_id"], "_t": left[left_time]}
    )
    lhs = lhs.dropna(subset=["_t"]).rename_axis("_row").reset_index()
    lhs = lhs.sort_values("_t", kind="mergesort")
    rhs = pd.DataFrame({"shop_id": right["shop_id"], "buyer_id": right["buyer_id"]})
    rhs["_t"] = right[right_time]
    for i, name in enumerate(values):
        rhs[f"_v{i}"] = right[name]
    rhs = rhs.dropna(subset=["_t"]).sort_values("_t", kind="mergesort")
    out = pd.merge_asof(
        lhs,
        rhs,
        on="_t",
        by=BUYER,
        direction=direction,
        allow_exact_matches=allow_exact_matches,
    )
    out = out.set_index("_row")[[f"_v{i}" for i in range(len(values))]]
    out.columns = values
    return out.reindex(left.index)


# ----------------------------------------------------------------------------------------
# §2 Sessions and their per-message facts
# ----------------------------------------------------------------------------------------


def _sessionize(messages: pd.DataFrame, gap_minutes: float) -> pd.DataFrame:
    """Messages sorted in session order with a `session` number and per-message facts."""
    rank = pd.Categorical(messages["sender"], categories=SENDER_ORDER, ordered=True)
    m = messages.assign(sender_rank=rank.codes)
    # "in order of sent_at — at equal times buyer before auto before agent, then by text"
    m = m.sort_values(
        [*PAIR, "sent_at", "sender_rank", "text"], kind="mergesort", ignore_index=True
    )
    same_pair = (m[PAIR] == m[PAIR].shift()).all(axis=1)
    gap = m["sent_at"].diff()
    # "split where two consecutive messages are more than session_gap_minutes apart
    #  (exactly 30 minutes does not split)"
    starts = ~same_pair | (gap > pd.Timedelta(minutes=gap_minutes))
    m["session"] = starts.cumsum() - 1
    # seconds since the previous message of the same session (any sender); NaN at a start
    m["gap_s"] = gap.dt.total_seconds().where(~starts)

    m["is_buyer"] = m["sender"].eq("buyer")
    m["is_agent"] = m["sender"].eq("agent")
    buyers_so_far = m.groupby("session")["is_buyer"].cumsum()
    # "A session in which an agent message follows a buyer message" is a reception.
    m["answers_buyer"] = m["is_agent"] & (buyers_so_far > 0)

    # §3 avg_response_s: "a turn is a maximal run of consecutive buyer messages in a
    # session (auto messages do not break a run); its response time is the seconds from
    # the run's first message to the next agent message in the same session".
    talk = m[m["sender"] != "auto"]
    previous_sender = talk.groupby("session")["sender"].shift()
    turn_start = talk["is_buyer"] & previous_sender.ne("buyer")
    next_agent_at = talk["sent_at"].where(talk["is_agent"]).groupby(talk["session"]).bfill()
    response_s = (next_agent_at - talk["sent_at"]).dt.total_seconds().where(turn_start)
    m["turn_response_s"] = response_s.reindex(m.index)  # NaN: not a turn, or unanswered

    # §3 typing_cpm: "agent messages sent 2–120 s (both inclusive) after the message
    # before them in the same session (of any sender, auto included)"
    typing = m["is_agent"] & m["gap_s"].between(2, 120)
    m["typing_chars"] = m["chars"].where(typing, 0)
    m["typing_seconds"] = m["gap_s"].where(typing, 0)
    return m


def _off_hours(start: pd.Series, off_hours: tuple[int, int] | None) -> pd.Series:
    """Whether a session's first message falls in [start, end) minutes of the day."""
    if off_hours is None:
        return pd.Series(False, index=start.index)
    begin, end = off_hours
    minute = start.dt.hour * 60 + start.dt.minute
    if begin <= end:
        return (minute >= begin) & (minute < end)
    return (minute >= begin) | (minute < end)  # wraps midnight, e.g. 23:00–09:00


def _sessions(
    m: pd.DataFrame, agents: pd.DataFrame, paid: pd.DataFrame, s: dict[str, Any]
) -> pd.DataFrame:
    """One row per session with its classification (§2) and its per-session parts (§3)."""
    m = m.assign(
        buyer_at=m["sent_at"].where(m["is_buyer"]),
        answer_at=m["sent_at"].where(m["answers_buyer"]),
        answered_turn=m["turn_response_s"].notna(),
        slow_turn=m["turn_response_s"] > s["slow_response_s"],
    )
    sessions = m.groupby("session", sort=True).agg(
        shop_id=("shop_id", "first"),
        buyer_id=("buyer_id", "first"),
        agent_id=("agent_id", "first"),
        start=("sent_at", "first"),
        buyer_messages=("is_buyer", "sum"),
        agent_messages=("is_agent", "sum"),
        is_reception=("answers_buyer", "any"),
        first_buyer_at=("buyer_at", "min"),
        first_answer_at=("answer_at", "min"),
        answered_turns=("answered_turn", "sum"),
        response_total_s=("turn_response_s", "sum"),
        slow_turns=("slow_turn", "sum"),
        typing_chars=("typing_chars", "sum"),
        typing_seconds=("typing_seconds", "sum"),
    )
    sessions = sessions.reset_index()
    # "A session belongs to the month (YYYY-MM) in which its first message was sent."
    sessions["month"] = sessions["start"].dt.strftime("%Y-%m")
    sessions["has_buyer"] = sessions["buyer_messages"] > 0
    # first response: "seconds from the first buyer message to the first agent message
    # after it", over sessions that have one (i.e. receptions)
    sessions["first_response_s"] = (
        sessions["first_answer_at"] - sessions["first_buyer_at"]
    ).dt.total_seconds()

    # Role from `agents`; "a sub-account that appears in messages but not in agents is
    # treated as a presale agent".
    roles = agents.set_index(["shop_id", "agent_id"])["role"]
    key = pd.MultiIndex.from_frame(sessions[["shop_id", "agent_id"]])
    sessions["role"] = roles.reindex(key).fillna("presale").to_numpy()

    # After-sale: the agent's role is aftersale, or the buyer had an order in the shop
    # with paid_at in [start − lookback × 24 h, start) (exact times; refunded still counts).
    last_paid = _asof(
        sessions,
        "start",
        paid,
        "paid_at",
        ["paid_at"],
        direction="backward",
        allow_exact_matches=False,
    )["paid_at"]
    lookback = pd.Timedelta(days=s["aftersale_lookback_days"])
    recent_payment = last_paid.notna() & (last_paid >= sessions["start"] - lookback)
    sessions["is_aftersale"] = sessions["role"].eq("aftersale") | recent_payment
    # "Every other reception is a pre-sale inquiry (询单)."
    sessions["is_inquiry"] = sessions["is_reception"] & ~sessions["is_aftersale"]
    sessions["off_hours"] = _off_hours(sessions["start"], s["off_hours"])
    return sessions


# ----------------------------------------------------------------------------------------
# §2 Attribution, new/returning buyers, repurchase
# ----------------------------------------------------------------------------------------


def _credit(paid: pd.DataFrame, time_col: str, contacts: pd.DataFrame, days: int) -> pd.Series:
    """The crediting session of each paid order, judged at `time_col` (NaN: no credit).

    "Take the latest agent message that was sent, in any of the buyer's pre-sale
    inquiries in the same shop, at or before [the time]. If date(time) − date(that
    message) ≤ attribution_days, the order is credited to that message's inquiry.
    Otherwise — no such message, or the latest one is too old (there is no falling back
    to an older one) — the order is silent."
    """
    latest = _asof(
        paid,
        time_col,
        contacts,
        "sent_at",
        ["sent_at", "session"],
        direction="backward",
        allow_exact_matches=True,
    )
    day_gap = (paid[time_col].dt.normalize() - latest["sent_at"].dt.normalize()).dt.days
    return latest["session"].where(latest["sent_at"].notna() & (day_gap <= days))


def _contacts(m: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """Agent messages of pre-sale inquiries: what an order can be credited to."""
    inquiry_sessions = sessions.loc[sessions["is_inquiry"], "session"]
    return m.loc[m["is_agent"] & m["session"].isin(inquiry_sessions)]


def _attribute(
    paid: pd.DataFrame, m: pd.DataFrame, sessions: pd.DataFrame, s: dict[str, Any]
) -> tuple[pd.Series, pd.Series]:
    """Session number credited with each paid order of a known buyer (NaN when silent), and
    the time the credit was judged at (created_at, or paid_at when credited by payment)."""
    contacts = _contacts(m, sessions)
    # "a tie in time goes to the agent_id that sorts first by Unicode code points":
    # keep, per buyer and second, only the contact of the smallest agent_id.
    contacts = contacts.sort_values([*BUYER, "sent_at", "agent_id"], kind="mergesort")
    contacts = contacts.drop_duplicates([*BUYER, "sent_at"], keep="first")

    days = s["attribution_days"]
    rule = s["attribution_rule"]
    if rule == "paid":  # 付款判定: the contact before payment, window from date(paid_at)
        return _credit(paid, "paid_at", contacts, days), paid["paid_at"]
    credited = _credit(paid, "created_at", contacts, days)  # 下单判定
    reference = paid["created_at"].where(credited.notna())
    if rule == "order_first":  # 下单优先: 'order', else 'paid'
        credited = credited.fillna(_credit(paid, "paid_at", contacts, days))
    return credited, reference.fillna(paid["paid_at"])


def _assists(
    credited: pd.DataFrame, reference: pd.Series, contacts: pd.DataFrame, days: int
) -> pd.DataFrame:
    """§2 Assists, per agent and month of the credited order.

    "An agent assists an order credited to another agent when they sent an agent message in
    one of the buyer's pre-sale inquiries within attribution_days calendar days of the
    order's reference time, either side, and not after its payment. Each assisting agent
    counts the order once."
    """
    columns = ["shop_id", "order_id", "buyer_id", "agent_id", "month", "amount_fen"]
    columns += ["refund_fen", "paid_at", "ref_at"]
    orders = credited.assign(ref_at=reference.reindex(credited.index))[columns]
    helpers = contacts[["shop_id", "buyer_id", "agent_id", "sent_at"]].rename(
        columns={"agent_id": "helper"}
    )
    pairs = orders.merge(helpers, on=BUYER)
    gap = (pairs["sent_at"].dt.normalize() - pairs["ref_at"].dt.normalize()).dt.days
    keep = (
        (pairs["helper"] != pairs["agent_id"])
        & (pairs["sent_at"] <= pairs["paid_at"])
        & gap.between(-days, days)
    )
    helped = pairs.loc[keep].drop_duplicates(["shop_id", "order_id", "helper"])
    helped = helped.assign(
        agent_id=helped["helper"],
        assisted_orders=1,
        assisted_sales_fen=helped["amount_fen"],
        assisted_net_sales_fen=helped["amount_fen"] - helped["refund_fen"],
    )
    summed = helped.groupby(AGENT_MONTH)[
        ["assisted_orders", "assisted_sales_fen", "assisted_net_sales_fen"]
    ].sum()
    # "assisted_inquiries: the buyers of those orders, distinct"
    return summed.join(_distinct_buyers(helped, "assisted_inquiries"))


def _paid_before(frame: pd.DataFrame, time_col: str, paid: pd.DataFrame) -> pd.Series:
    """Number of the buyer's paid orders in the shop with paid_at strictly before time_col."""
    per_time = paid.groupby([*BUYER, "paid_at"]).size().rename("n").reset_index()
    per_time = per_time.sort_values([*BUYER, "paid_at"], kind="mergesort")
    per_time["n_through"] = per_time.groupby(BUYER)["n"].cumsum()
    found = _asof(
        frame,
        time_col,
        per_time,
        "paid_at",
        ["n_through"],
        direction="backward",
        allow_exact_matches=False,
    )
    return found["n_through"].fillna(0).astype("int64")


def _credited_orders(
    paid: pd.DataFrame,
    session_of_order: pd.Series,
    sessions: pd.DataFrame,
    reviews: pd.DataFrame,
) -> pd.DataFrame:
    """Credited orders with their inquiry (agent, month, start), buyer type and reviews."""
    credited = paid.loc[session_of_order.notna()].copy()
    credited["session"] = session_of_order.dropna().astype("int64")
    inquiry = sessions.set_index("session")[["agent_id", "month", "start"]]
    credited = credited.drop(columns=["month"]).join(inquiry, on="session")

    # "returning when the buyer has another order in the shop with paid_at strictly
    # before the crediting inquiry's first message (refunded or not)"
    before = _paid_before(credited, "start", paid)
    itself = (credited["paid_at"] < credited["start"]).astype("int64")
    credited["returning"] = (before - itself) > 0

    per_order = (
        reviews.assign(
            reviews=1,
            good_reviews=reviews["rating"].eq("good").astype("int64"),
            bad_reviews=reviews["rating"].eq("bad").astype("int64"),
        )
        .groupby(["shop_id", "order_id"])[["reviews", "good_reviews", "bad_reviews"]]
        .sum()
    )
    credited = credited.join(per_order, on=["shop_id", "order_id"])
    for col in ("reviews", "good_reviews", "bad_reviews"):
        credited[col] = credited[col].fillna(0).astype("int64")
    return credited


def _repurchasing(credited: pd.DataFrame, paid: pd.DataFrame, repurchase_days: int) -> pd.DataFrame:
    """Paying buyers per agent-month and whether each repurchased.

    "t0 = the earliest paid_at among their orders credited to this agent this month";
    repurchasing when the buyer paid any other order in the shop with paid_at in
    (t0, t0 + repurchase_days days].
    """
    buyers = credited.groupby([*AGENT_MONTH, "buyer_id"], as_index=False).agg(t0=("paid_at", "min"))
    nxt = _asof(
        buyers, "t0", paid, "paid_at", ["paid_at"], direction="forward", allow_exact_matches=False
    )["paid_at"]
    window_end = buyers["t0"] + pd.Timedelta(days=repurchase_days)
    buyers["repurchasing"] = nxt.notna() & (nxt <= window_end)
    return buyers


# ----------------------------------------------------------------------------------------
# §3 Per agent and month
# ----------------------------------------------------------------------------------------


def _distinct_buyers(frame: pd.DataFrame, name: str) -> pd.Series:
    return (
        frame.drop_duplicates([*AGENT_MONTH, "buyer_id"]).groupby(AGENT_MONTH).size().rename(name)
    )


def _session_parts(sessions: pd.DataFrame) -> pd.DataFrame:
    ss = sessions
    timed = ~ss["off_hours"]  # off_hours: left out of the response-time figures only
    first_resp = ss["is_reception"] & timed
    parts = ss.assign(
        sessions=1,
        receptions=ss["is_reception"].astype("int64"),
        unanswered_sessions=(ss["has_buyer"] & ~ss["is_reception"]).astype("int64"),
        first_response_sessions=first_resp.astype("int64"),
        first_response_total_s=ss["first_response_s"].where(first_resp, 0),
        answered_turns=ss["answered_turns"].where(timed, 0),
        response_total_s=ss["response_total_s"].where(timed, 0),
        slow_turns=ss["slow_turns"].where(timed, 0),
    )
    summed = parts.groupby(AGENT_MONTH)[
        [
            "sessions",
            "receptions",
            "unanswered_sessions",
            "buyer_messages",
            "agent_messages",
            "first_response_sessions",
            "first_response_total_s",
            "answered_turns",
            "response_total_s",
            "slow_turns",
            "typing_chars",
            "typing_seconds",
        ]
    ].sum()
    return summed.join(
        [
            # "buyers who sent ≥1 buyer message to the agent in sessions of the month"
            _distinct_buyers(ss[ss["has_buyer"]], "consulted_buyers"),
            # "buyers in the agent's receptions of the month"
            _distinct_buyers(ss[ss["is_reception"]], "served_buyers"),
            # "buyers in the agent's pre-sale inquiries of the month"
            _distinct_buyers(ss[ss["is_inquiry"]], "inquiring_buyers"),
        ]
    )


def _order_parts(credited: pd.DataFrame, buyers: pd.DataFrame) -> pd.DataFrame:
    c = credited
    net = c["amount_fen"] - c["refund_fen"]
    parts = c.assign(
        orders=1,
        sales_fen=c["amount_fen"],
        net_sales_fen=net,
        new_buyer_sales_fen=c["amount_fen"].where(~c["returning"], 0),
        returning_buyer_sales_fen=c["amount_fen"].where(c["returning"], 0),
        new_buyer_net_sales_fen=net.where(~c["returning"], 0),
        returning_buyer_net_sales_fen=net.where(c["returning"], 0),
    )
    summed = parts.groupby(AGENT_MONTH)[
        [
            "orders",
            "items",
            "sales_fen",
            "refund_fen",
            "net_sales_fen",
            "new_buyer_sales_fen",
            "returning_buyer_sales_fen",
            "new_buyer_net_sales_fen",
            "returning_buyer_net_sales_fen",
            "reviews",
            "good_reviews",
            "bad_reviews",
        ]
    ].sum()
    return summed.join(
        [
            # "buyers with ≥1 order credited to the agent's inquiries of the month"
            _distinct_buyers(c, "paying_buyers"),
            # "paying buyers with ≥1 returning order"
            _distinct_buyers(c[c["returning"]], "returning_paying_buyers"),
            buyers.groupby(AGENT_MONTH)["repurchasing"].sum().rename("repurchasing_buyers"),
        ]
    )


def _ratio(num: int, den: int) -> float | None:
    """A ratio; "a ratio with a zero denominator is null ... never 0 and never an error"."""
    return None if den == 0 else num / den


def rates(p: Mapping[str, int]) -> dict[str, Any]:
    """Every rate of §3 from a row's parts (works the same for agents and the team)."""
    paying = p["paying_buyers"]
    # 客单价: sales / paying buyers, "rounded half-up to a whole fen"
    avg_spend = None if paying == 0 else (2 * p["sales_fen"] + paying) // (2 * paying)
    return {
        "reply_rate": _ratio(p["served_buyers"], p["consulted_buyers"]),
        "conversion_rate": _ratio(paying, p["inquiring_buyers"]),
        "avg_spend_fen": avg_spend,
        "items_per_buyer": _ratio(p["items"], paying),
        "returning_buyer_share": _ratio(p["returning_paying_buyers"], paying),
        "repurchase_rate": _ratio(p["repurchasing_buyers"], paying),
        "good_review_rate": _ratio(p["good_reviews"], p["reviews"]),
        "bad_review_rate": _ratio(p["bad_reviews"], p["reviews"]),
        "first_response_s": _ratio(p["first_response_total_s"], p["first_response_sessions"]),
        "avg_response_s": _ratio(p["response_total_s"], p["answered_turns"]),
        "answer_ratio": _ratio(p["agent_messages"], p["buyer_messages"]),
        "typing_cpm": _ratio(p["typing_chars"] * 60, p["typing_seconds"]),
        "satisfaction_rate": _ratio(p["satisfied_evaluations"], p["evaluations"]),
    }


# Taobao 服务评价: eval_code 0 非常满意, 1 满意, 2 一般, 3 不满意, 4 非常不满意.
EVAL_LEVELS = (
    "evaluations_very_satisfied",
    "evaluations_satisfied",
    "evaluations_neutral",
    "evaluations_dissatisfied",
    "evaluations_very_dissatisfied",
)


def _eval_parts(evals: pd.DataFrame | None, ignored: Iterable[str]) -> pd.DataFrame:
    """§3 service evaluations per agent and month of evaluated_at: "how many of each level,
    and the satisfied ones (非常满意 + 满意)"; every source counts; evaluations whose agent or
    buyer is an ignored account count for nobody."""
    cols = ["evaluations", *EVAL_LEVELS, "satisfied_evaluations"]
    if evals is None or not len(evals):
        return pd.DataFrame(columns=cols, index=pd.MultiIndex.from_tuples([], names=AGENT_MONTH))
    ignored = set(ignored)
    e = evals[~evals["agent_id"].isin(ignored) & ~evals["buyer_id"].isin(ignored)]
    code = e["eval_code"].astype("int64")
    frame = e[["shop_id", "agent_id"]].assign(
        month=pd.to_datetime(e["evaluated_at"]).dt.strftime("%Y-%m"),
        evaluations=1,
        satisfied_evaluations=(code <= 1).astype("int64"),
        **{name: (code == k).astype("int64") for k, name in enumerate(EVAL_LEVELS)},
    )
    return frame.groupby(AGENT_MONTH)[cols].sum()


# ----------------------------------------------------------------------------------------
# Months, agent listing, shop figures
# ----------------------------------------------------------------------------------------


def _shop_months(messages: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Every month from the shop's first to its last month with a message or an order."""
    seen = pd.concat(
        [
            messages[["shop_id"]].assign(month=messages["sent_at"].dt.to_period("M")),
            orders[["shop_id"]].assign(month=orders["created_at"].dt.to_period("M")),
        ]
    ).dropna()
    rows = []
    for shop, months in seen.groupby("shop_id")["month"]:
        for period in pd.period_range(months.min(), months.max(), freq="M"):
            rows.append((shop, period.strftime("%Y-%m"), period.start_time, period.end_time))
    return pd.DataFrame(rows, columns=["shop_id", "month", "month_start", "month_end"])


def _employed(agents: pd.DataFrame, months: pd.DataFrame) -> pd.DataFrame:
    """(shop, agent, month) where the agent was employed on at least one day of the month:
    hired_on ≤ month end and (left_on empty or left_on ≥ month start)."""
    pairs = agents[["shop_id", "agent_id", "hired_on", "left_on"]].merge(months, on="shop_id")
    hired = pairs["hired_on"].isna() | (pairs["hired_on"] <= pairs["month_end"])
    stays = pairs["left_on"].isna() | (pairs["left_on"] >= pairs["month_start"])
    return pairs.loc[hired & stays, AGENT_MONTH]


def _shop_figures(orders: pd.DataFrame, session_of_order: pd.Series) -> pd.DataFrame:
    """silent / unattributable / paid sales per shop and month of created_at."""
    is_paid = orders["paid_at"].notna()
    known = orders["buyer_id"].notna()
    amount = orders["amount_fen"]
    net = amount - orders["refund_fen"]
    credited = pd.Series(False, index=orders.index)
    credited.loc[session_of_order.dropna().index] = True
    paid_known = is_paid & known
    silent = paid_known & ~credited  # unpaid orders are never credited and never silent
    unattributable = is_paid & ~known  # "neither credited nor silent"
    figures = orders[SHOP_MONTH].assign(
        silent_orders=silent.astype("int64"),
        silent_sales_fen=amount.where(silent, 0),
        unattributable_orders=unattributable.astype("int64"),
        unattributable_sales_fen=amount.where(unattributable, 0),
        paid_sales_fen=amount.where(paid_known, 0),
        paid_net_sales_fen=net.where(paid_known, 0),
    )
    return figures.groupby(SHOP_MONTH).sum()


# ----------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------


def _py(value: Any) -> Any:
    """numpy scalar → plain Python int."""
    return int(value)


def compute(
    agents: pd.DataFrame,
    messages: pd.DataFrame,
    orders: pd.DataFrame,
    reviews: pd.DataFrame,
    settings: Mapping[str, Any] | None = None,
    evals: pd.DataFrame | None = None,
) -> dict[tuple[str, str], dict[str, Any]]:
    """All figures of metrics.md §3 per (shop_id, 'YYYY-MM'); `evals` are Taobao 服务评价
    (shop_id, agent_id, buyer_id, evaluated_at, eval_code)."""
    s = _settings(settings)
    rated = _eval_parts(evals, s["ignored_accounts"])
    agents, messages, orders, reviews = _prepare(
        agents, messages, orders, reviews, s["ignored_accounts"]
    )
    # Orders that can be credited, and whose payments decide after-sale, returning and
    # repurchase: paid, with a known buyer.
    paid = orders[orders["paid_at"].notna() & orders["buyer_id"].notna()]

    m = _sessionize(messages, s["session_gap_minutes"])
    sessions = _sessions(m, agents, paid, s)
    session_of_order, reference = _attribute(paid, m, sessions, s)
    credited = _credited_orders(paid, session_of_order, sessions, reviews)
    buyers = _repurchasing(credited, paid, s["repurchase_days"])
    assists = _assists(credited, reference, _contacts(m, sessions), s["attribution_days"])

    # Agents listed: "every agent with a session in it and every agent employed on at
    # least one of its days".
    months = _shop_months(messages, orders)
    # and every agent with an assist in it (§2 Assists)
    # and every agent rated by buyers in it (§3 service evaluations), in the shop's months
    rated_listed = rated.reset_index()[AGENT_MONTH].merge(months[SHOP_MONTH], on=SHOP_MONTH)
    listed = pd.concat(
        [
            sessions[AGENT_MONTH],
            assists.reset_index()[AGENT_MONTH],
            rated_listed,
            _employed(agents, months),
        ]
    ).drop_duplicates()
    table = listed.set_index(AGENT_MONTH).join(
        [_session_parts(sessions), _order_parts(credited, buyers), assists, rated]
    )
    table = table.reindex(columns=list(PART_FIELDS)).fillna(0).round().astype("int64")
    table = table.reset_index()
    info = agents.set_index(["shop_id", "agent_id"])[["name", "role"]]
    info = info.reindex(pd.MultiIndex.from_frame(table[["shop_id", "agent_id"]]))
    # Unknown sub-account: "treated as a presale agent named after its sub-account".
    table["name"] = info["name"].to_numpy()
    table["name"] = table["name"].fillna(table["agent_id"])
    table["role"] = info["role"].fillna("presale").to_numpy()

    # Team row: presale agents pooled, parts summed, rates recomputed from the sums.
    team = table[table["role"] == "presale"].groupby(SHOP_MONTH)[list(PART_FIELDS)].sum()
    shop = _shop_figures(orders, session_of_order)

    result: dict[tuple[str, str], dict[str, Any]] = {}
    for shop_id, month in months[SHOP_MONTH].itertuples(index=False):
        team_parts = (
            {f: _py(team.at[(shop_id, month), f]) for f in PART_FIELDS}
            if (shop_id, month) in team.index
            else dict.fromkeys(PART_FIELDS, 0)
        )
        figures = (
            {k: _py(v) for k, v in shop.loc[(shop_id, month)].items()}
            if (shop_id, month) in shop.index
            else dict.fromkeys(shop.columns, 0)
        )
        figures["silent_share"] = _ratio(figures["silent_sales_fen"], figures["paid_sales_fen"])
        result[(shop_id, month)] = {
            "agents": {},
            "team": {"name": TEAM_NAME, **team_parts, **rates(team_parts)},
            **figures,
        }
    for row in table.sort_values(AGENT_MONTH).to_dict("records"):
        parts = {f: _py(row[f]) for f in PART_FIELDS}
        result[(row["shop_id"], row["month"])]["agents"][row["agent_id"]] = {
            "name": row["name"],
            "role": row["role"],
            **parts,
            **rates(parts),
        }
    return result
