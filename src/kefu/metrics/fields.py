"""The agent-month KPI fields of metrics.md §3: additive parts, and the rates derived from them.

Every rate is carried as numerator and denominator ("parts") so that pooling agents, months
or shops stays exact: pool by summing parts, then derive. This module is the one interface
that diagnosis, pay and reports read (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

# Additive parts, in the order the JSON carries them. All are integers (counts, fen, seconds,
# code points). Buyer counts are distinct within one agent and month; pooling sums them.
# The levels of a Taobao 服务评价, in the order of its eval_code 0-4, and the parts counted
# from the evaluations: the one list every module (reports, reconciliation) takes them from.
EVAL_LEVELS: tuple[str, ...] = (
    "evaluations_very_satisfied",
    "evaluations_satisfied",
    "evaluations_neutral",
    "evaluations_dissatisfied",
    "evaluations_very_dissatisfied",
)
EVAL_PARTS: tuple[str, ...] = ("evaluations", *EVAL_LEVELS, "satisfied_evaluations")

PARTS: tuple[str, ...] = (
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
    # assists (metrics.md §2): orders credited to another agent that this agent helped win
    "assisted_inquiries",
    "assisted_orders",
    "assisted_sales_fen",
    "assisted_net_sales_fen",
    # Taobao 服务评价 (metrics.md §3): the buyers' ratings of the agent given in the month, by
    # level, and the satisfied ones (非常满意 + 满意), the satisfaction rate's numerator
    *EVAL_PARTS,
)

# Parts that are pooled like the others but are not in the KPI JSON contract.
# sales_sq_fen: Σ over paying buyers of (the buyer's credited sales with the agent in the
# month)², in fen²; with sales_fen and paying_buyers it gives the spread of spend per buyer
# (diagnosis's 客单价 interval).
EXTRA_PARTS: tuple[str, ...] = ("sales_sq_fen",)

RateKind = Literal["fraction", "fen", "seconds", "ratio", "cpm"]


@dataclass(frozen=True)
class Rate:
    """A derived figure: numerator / denominator (times `scale`), null when the denominator is 0."""

    name: str
    numerator: str
    denominator: str
    kind: RateKind
    scale: int = 1


RATES: tuple[Rate, ...] = (
    Rate("reply_rate", "served_buyers", "consulted_buyers", "fraction"),
    Rate("conversion_rate", "paying_buyers", "inquiring_buyers", "fraction"),
    Rate("avg_spend_fen", "sales_fen", "paying_buyers", "fen"),
    Rate("items_per_buyer", "items", "paying_buyers", "ratio"),
    Rate("returning_buyer_share", "returning_paying_buyers", "paying_buyers", "fraction"),
    Rate("repurchase_rate", "repurchasing_buyers", "paying_buyers", "fraction"),
    Rate("good_review_rate", "good_reviews", "reviews", "fraction"),
    Rate("bad_review_rate", "bad_reviews", "reviews", "fraction"),
    Rate("first_response_s", "first_response_total_s", "first_response_sessions", "seconds"),
    Rate("avg_response_s", "response_total_s", "answered_turns", "seconds"),
    Rate("answer_ratio", "agent_messages", "buyer_messages", "ratio"),
    Rate("typing_cpm", "typing_chars", "typing_seconds", "cpm", scale=60),
    Rate("satisfaction_rate", "satisfied_evaluations", "evaluations", "fraction"),
)
RATE_BY_NAME: dict[str, Rate] = {r.name: r for r in RATES}

# Every field of §3 a report, a gate or a verdict may name.
FIELDS: tuple[str, ...] = PARTS + tuple(r.name for r in RATES)

Parts = dict[str, int]

# Figures a source cannot give (a platform's agent report has no per-agent repurchase, say)
# are marked in the parts themselves, so that pooling carries them (docs/reports.md):
#   "<part>:na" = 1          the part is not available (its value 0 means nothing);
#   "<rate>:num", ":den"     the source's own numerator and denominator of the rate (a report's
#                            客单价 = 销售额 / 销售人数), used instead of the standard parts;
#   "<rate>:only" = 1        the source gave the rate alone, without its counts: it is shown
#                            for the one agent and month, and never pooled with another.
# Parts computed from chats carry none of these keys: their JSON is unchanged.
NOT_AVAILABLE = ":na"


def empty_parts() -> Parts:
    return dict.fromkeys(PARTS + EXTRA_PARTS, 0)


def pool(items: Iterable[Mapping[str, int]]) -> Parts:
    """Sum parts over agents, months or shops (metrics.md §3 team row and longer periods)."""
    total = empty_parts()
    for parts in items:
        for key in PARTS:
            total[key] += int(parts[key])
        for key in EXTRA_PARTS:
            total[key] += int(parts.get(key, 0))
        if len(parts) > len(PARTS) + len(EXTRA_PARTS):  # availability marks (reports)
            for key, v in parts.items():
                if ":" in key:
                    total[key] = total.get(key, 0) + int(v)
    return total


def available(parts: Mapping[str, int], name: str) -> bool:
    """Whether the source could give this part or rate (a zero-denominator rate is available, undefined)."""
    if len(parts) <= len(PARTS) + len(EXTRA_PARTS):
        return True  # the common case: parts computed from chats carry no marks
    if name in RATE_BY_NAME:
        if parts.get(f"{name}:only", 0) > 1 or parts.get(f"{name}{NOT_AVAILABLE}", 0):
            return False
        if f"{name}:num" in parts:
            return True
        rate = RATE_BY_NAME[name]
        return not (
            parts.get(f"{rate.numerator}{NOT_AVAILABLE}", 0)
            or parts.get(f"{rate.denominator}{NOT_AVAILABLE}", 0)
        )
    return not parts.get(f"{name}{NOT_AVAILABLE}", 0)


def not_available(parts: Mapping[str, int]) -> list[str]:
    """The fields of §3 (in the JSON's order) that the source of these parts cannot give."""
    return [f for f in JSON_ORDER if not available(parts, f)]


def round_half_up(value: Fraction) -> int:
    """Round a non-negative or negative exact value half away from zero to a whole unit."""
    if value >= 0:
        return int((value + Fraction(1, 2)) // 1)
    return -int((-value + Fraction(1, 2)) // 1)


def exact(parts: Mapping[str, int], name: str) -> Fraction | None:
    """The exact value of a rate (never rounded): what gates and verdicts compare.

    None when the denominator is 0, and when the source cannot give the rate (`available`).
    """
    rate = RATE_BY_NAME[name]
    if not available(parts, name):
        return None
    if f"{name}:num" in parts:
        num, den = int(parts[f"{name}:num"]), int(parts[f"{name}:den"])
    else:
        num, den = int(parts[rate.numerator]), int(parts[rate.denominator])
    if den == 0:
        return None
    return Fraction(num * rate.scale, den)


def value(parts: Mapping[str, int], name: str) -> int | Fraction | None:
    """A part (int) or a rate (exact Fraction, avg_spend_fen rounded half-up to a fen); None when
    the rate is undefined or the figure is not available from the source."""
    if name in RATE_BY_NAME:
        x = exact(parts, name)
        if x is None:
            return None
        return round_half_up(x) if RATE_BY_NAME[name].kind == "fen" else x
    if not available(parts, name):
        return None
    return int(parts[name])


# The fields of metrics.md §3 in the order of its table; the remaining parts follow them.
SPEC_ORDER: tuple[str, ...] = (
    "consulted_buyers",
    "served_buyers",
    "reply_rate",
    "inquiring_buyers",
    "paying_buyers",
    "conversion_rate",
    "orders",
    "sales_fen",
    "refund_fen",
    "net_sales_fen",
    "avg_spend_fen",
    "items_per_buyer",
    "new_buyer_sales_fen",
    "returning_buyer_sales_fen",
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
JSON_ORDER: tuple[str, ...] = SPEC_ORDER + tuple(p for p in PARTS if p not in SPEC_ORDER)


def as_json(parts: Mapping[str, int]) -> dict[str, int | float | None]:
    """Every field of §3 and its parts: rates as floats (fractions), avg_spend_fen in whole fen."""
    out: dict[str, int | float | None] = {}
    for key in JSON_ORDER:
        v = value(parts, key)
        out[key] = v if v is None or isinstance(v, int) else float(v)
    return out
