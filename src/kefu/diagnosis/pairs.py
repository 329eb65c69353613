"""Question 1: two agents with equal sales, one converting far better — what to do.

The article: "如果两个客户服务，总销售额是一样的，但一个的转化率是另一个的两倍，我该怎么办?"
Sales decompose exactly as inquiring buyers × conversion × 客单价, so equal sales with a
lower conversion means more inquiries (or a higher spend). Re-routing (分流) k inquiring
buyers a day from the weaker to the stronger converter is expected to add
k × days × (the stronger's sales per inquiry − the weaker's), with an interval. One
decision object says whether to re-route and how far: only when the gain's interval lies
above 0, only up to the daily load at which the stronger agent's conversion has held for a
whole month, and never more than half of the weaker agent's inquiries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations
from typing import Literal

from kefu.diagnosis.intervals import Z95, Interval, two_proportion_z, wilson
from kefu.diagnosis.quadrant import SALES_SQ, Verdict
from kefu.diagnosis.settings import DiagnosisSettings
from kefu.metrics.fields import available, exact, pool, round_half_up
from kefu.metrics.table import AgentMonth, ShopMonth

# Never move more than this share of the weaker agent's daily inquiries in one step: her
# queue is never emptied, and the next month shows whether the move worked.
MAX_MOVE_SHARE = Fraction(1, 2)

Decision = Literal["reroute", "no_gain", "gain_unclear", "no_headroom"]
DECISIONS: tuple[Decision, ...] = ("reroute", "no_gain", "gain_unclear", "no_headroom")


@dataclass(frozen=True)
class LoadPoint:
    """One month of an agent's own: daily load and the conversion reached at it."""

    month: str
    daily_inquiries: Fraction  # inquiring buyers per active day
    inquiring_buyers: int
    paying_buyers: int
    conversion: Fraction
    interval: Interval | None  # 95 % Wilson
    peers_conversion: Fraction | None  # the month's other presale agents, pooled
    # strong side: conversion not below this month's 95 % interval, scaled by how the peers'
    # conversion moved (a shop-wide slump is not the agent's load); None for the weak side
    held: bool | None

    def to_json(self) -> dict[str, object]:
        return {
            "month": self.month,
            "daily_inquiries": float(self.daily_inquiries),
            "inquiring_buyers": self.inquiring_buyers,
            "paying_buyers": self.paying_buyers,
            "conversion_rate": float(self.conversion),
            "conversion_interval": None if self.interval is None else self.interval.as_list(),
            "peers_conversion_rate": (
                None if self.peers_conversion is None else float(self.peers_conversion)
            ),
            "held": self.held,
        }


@dataclass(frozen=True)
class Side:
    """One agent of a pair: the decomposition of their sales and their daily load."""

    agent_id: str
    name: str
    inquiring_buyers: int
    paying_buyers: int
    conversion: Fraction
    avg_spend: Fraction | None
    sales_fen: int
    refund_fen: int
    net_sales_fen: int
    active_days: int | None
    peak_day_inquiries: int | None
    # Σ over inquiring buyers of (sales per buyer)², measured or from the assumed spend CV:
    # the spread of sales per inquiry behind the gain's interval
    sales_sq_fen: Fraction = Fraction(0)
    # the agent's own months with enough data and activity, oldest first (this one included)
    load_curve: tuple[LoadPoint, ...] = field(default=())

    @property
    def refund_share(self) -> Fraction:
        """Refunds as a share of sales, within [0, 1]."""
        if self.sales_fen <= 0:
            return Fraction(0)
        return min(Fraction(1), max(Fraction(0), Fraction(self.refund_fen, self.sales_fen)))

    @property
    def sales_per_inquiry_var(self) -> float:
        """The sample variance of sales per inquiring buyer (0 for a non-buyer)."""
        n = self.inquiring_buyers
        if n < 2:
            return 0.0
        mean = self.sales_per_inquiry
        return max(0.0, float((self.sales_sq_fen - n * mean * mean) / (n - 1)))

    @property
    def daily_inquiries(self) -> Fraction | None:
        """Inquiring buyers per active day (a day with an agent message)."""
        if not self.active_days:
            return None
        return Fraction(self.inquiring_buyers, self.active_days)

    @property
    def sales_per_inquiry(self) -> Fraction:
        return Fraction(self.sales_fen, self.inquiring_buyers)

    @property
    def net_per_inquiry(self) -> Fraction:
        return Fraction(self.net_sales_fen, self.inquiring_buyers)

    def to_json(self) -> dict[str, object]:
        daily = self.daily_inquiries
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "inquiring_buyers": self.inquiring_buyers,
            "paying_buyers": self.paying_buyers,
            "conversion_rate": float(self.conversion),
            "avg_spend_fen": None if self.avg_spend is None else round_half_up(self.avg_spend),
            "sales_fen": self.sales_fen,
            "refund_fen": self.refund_fen,
            "net_sales_fen": self.net_sales_fen,
            "sales_per_inquiry_fen": float(self.sales_per_inquiry),
            "net_sales_per_inquiry_fen": float(self.net_per_inquiry),
            "active_days": self.active_days,
            "daily_inquiries": None if daily is None else float(daily),
            "peak_day_inquiries": self.peak_day_inquiries,
            "load_curve": [p.to_json() for p in self.load_curve],
        }


@dataclass(frozen=True)
class Rerouting:
    """The one re-routing decision of a pair: the text and the tables both read it.

    k_per_day is 0 and every added figure 0 unless the decision is `reroute`; the net figures
    are the gross ones less refunds at the higher refund share of the two agents, so they are
    never above the gross ones.
    """

    decision: Decision
    held_load_per_day: Fraction  # the highest daily load at which strong's conversion held
    held_months: tuple[str, ...]  # the months that show it (heavier than now, conversion held)
    headroom_per_day: Fraction  # held_load_per_day − strong's average day (≥ 0)
    move_cap_per_day: Fraction  # MAX_MOVE_SHARE × weak's average day
    k_per_day: int  # whole buyers a day; 0 unless decision == "reroute"
    days: int  # days both work, taken as the fewer active days of the two
    gain_per_inquiry_fen: Fraction  # sales per inquiry, strong − weak (observed)
    gain_se_fen: float  # its standard error
    refund_share: Fraction  # the higher of the two agents' refunds / sales
    weights_now: tuple[int, int]  # 分流 weights in %, (strong, weak)
    weights_after: tuple[int, int]

    @property
    def gain_interval_fen(self) -> tuple[float, float]:
        """95 % interval of the gain per moved inquiry (normal approximation)."""
        g = float(self.gain_per_inquiry_fen)
        return (g - Z95 * self.gain_se_fen, g + Z95 * self.gain_se_fen)

    @property
    def net_gain_per_inquiry_fen(self) -> Fraction:
        return self.gain_per_inquiry_fen * (1 - self.refund_share)

    @property
    def _scale(self) -> int:
        return self.k_per_day * self.days

    @property
    def added_sales_fen(self) -> int:
        return round_half_up(self._scale * self.gain_per_inquiry_fen)

    @property
    def added_net_sales_fen(self) -> int:
        return round_half_up(self._scale * self.net_gain_per_inquiry_fen)

    @property
    def added_sales_interval_fen(self) -> tuple[int, int]:
        lo, hi = self.gain_interval_fen
        return (
            round_half_up(self._scale * Fraction(lo)),
            round_half_up(self._scale * Fraction(hi)),
        )

    @property
    def added_net_sales_interval_fen(self) -> tuple[int, int]:
        lo, hi = self.gain_interval_fen
        keep = 1 - self.refund_share
        return (
            round_half_up(self._scale * Fraction(lo) * keep),
            round_half_up(self._scale * Fraction(hi) * keep),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "decision": self.decision,
            "held_load_per_day": float(self.held_load_per_day),
            "held_months": list(self.held_months),
            "headroom_per_day": float(self.headroom_per_day),
            "move_cap_per_day": float(self.move_cap_per_day),
            "k_per_day": self.k_per_day,
            "days": self.days,
            "gain_per_inquiry_fen": float(self.gain_per_inquiry_fen),
            "gain_per_inquiry_interval_fen": list(self.gain_interval_fen),
            "refund_share": float(self.refund_share),
            "net_gain_per_inquiry_fen": float(self.net_gain_per_inquiry_fen),
            "added_sales_fen": self.added_sales_fen,
            "added_sales_interval_fen": list(self.added_sales_interval_fen),
            "added_net_sales_fen": self.added_net_sales_fen,
            "added_net_sales_interval_fen": list(self.added_net_sales_interval_fen),
            "weights_now": {"strong": self.weights_now[0], "weak": self.weights_now[1]},
            "weights_after": {"strong": self.weights_after[0], "weak": self.weights_after[1]},
        }


@dataclass(frozen=True)
class Pair:
    month: str
    strong: Side
    weak: Side
    z: float | None  # two-proportion z of the conversion gap
    rerouting: Rerouting | None  # None without activity figures

    @property
    def conversion_ratio(self) -> Fraction | None:
        if self.weak.conversion == 0:
            return None
        return self.strong.conversion / self.weak.conversion

    @property
    def sales_gap(self) -> Fraction:
        """|net sales difference| / the larger net sales."""
        a, b = self.strong.net_sales_fen, self.weak.net_sales_fen
        return Fraction(abs(a - b), max(a, b))

    @property
    def clear(self) -> bool:
        """The conversion gap is beyond chance at 95 %."""
        return self.z is not None and abs(self.z) >= Z95

    @property
    def weak_handles_more(self) -> bool:
        return self.weak.inquiring_buyers > self.strong.inquiring_buyers

    def to_json(self) -> dict[str, object]:
        ratio = self.conversion_ratio
        return {
            "strong": self.strong.to_json(),
            "weak": self.weak.to_json(),
            "evidence": {
                "net_sales_gap": float(self.sales_gap),
                "conversion_ratio": None if ratio is None else float(ratio),
                "z": self.z,
                "clear": self.clear,
                "weak_handles_more_inquiries": self.weak_handles_more,
                "identity": "sales_fen = inquiring_buyers × conversion_rate × avg_spend_fen",
            },
            "rerouting": None if self.rerouting is None else self.rerouting.to_json(),
        }


def side(
    agent: AgentMonth,
    settings: DiagnosisSettings,
    history: Mapping[str, ShopMonth] | None = None,
    held_above: Fraction | None = None,
) -> Side:
    """One agent of a pair, with their own months' load curve from `history`.

    `held_above`: for the stronger agent, the lower end of this month's conversion interval —
    a month whose conversion reached it "held".
    """
    p = agent.parts
    conv = exact(p, "conversion_rate")
    assert conv is not None  # only agents with inquiries are paired
    act = agent.activity
    paying, sales = p["paying_buyers"], p["sales_fen"]
    sq = p.get(SALES_SQ) or None
    if sq is not None:
        sales_sq = Fraction(int(sq))
    elif paying:
        # assumed spread: E[spend²] = mean² (1 + cv²) per paying buyer
        sales_sq = Fraction(sales * sales, paying) * (1 + settings.spend_cv**2)
    else:
        sales_sq = Fraction(0)
    return Side(
        agent_id=agent.agent_id,
        name=agent.name,
        inquiring_buyers=p["inquiring_buyers"],
        paying_buyers=paying,
        conversion=conv,
        avg_spend=exact(p, "avg_spend_fen"),
        sales_fen=sales,
        refund_fen=p["refund_fen"],
        net_sales_fen=p["net_sales_fen"],
        active_days=None if act is None else act.active_days,
        peak_day_inquiries=None if act is None else act.peak_day_inquiries,
        sales_sq_fen=sales_sq,
        load_curve=load_curve(agent, settings, history or {agent.month: _alone(agent)}, held_above),
    )


def load_curve(
    agent: AgentMonth,
    settings: DiagnosisSettings,
    history: Mapping[str, ShopMonth],
    held_above: Fraction | None,
) -> tuple[LoadPoint, ...]:
    """The agent's own months (enough inquiries, activity): daily load against conversion.

    A month "held" when the agent's conversion reached `held_above` (this month's lower 95 %
    bound) times the peers' conversion that month over theirs this month.
    """
    peers_now = _peers_conversion(history.get(agent.month), agent.agent_id)
    out = []
    for month in sorted(history):
        a = history[month].agent(agent.agent_id)
        if a is None or a.activity is None or not a.activity.active_days:
            continue
        inq, pay = a.parts["inquiring_buyers"], a.parts["paying_buyers"]
        if inq < settings.min_inquiries:
            continue
        conv = Fraction(pay, inq)
        peers = _peers_conversion(history[month], agent.agent_id)
        held: bool | None = None
        if held_above is not None:
            scale = peers / peers_now if peers and peers_now else Fraction(1)
            held = conv >= held_above * scale
        out.append(
            LoadPoint(
                month=month,
                daily_inquiries=Fraction(inq, a.activity.active_days),
                inquiring_buyers=inq,
                paying_buyers=pay,
                conversion=conv,
                interval=wilson(pay, inq),
                peers_conversion=peers,
                held=held,
            )
        )
    return tuple(out)


def _peers_conversion(month: ShopMonth | None, agent_id: str) -> Fraction | None:
    if month is None:
        return None
    return exact(pool(a.parts for a in month.presale if a.agent_id != agent_id), "conversion_rate")


def held_load(strong: Side, month: str) -> tuple[Fraction, tuple[str, ...]]:
    """The highest daily load at which the strong agent's conversion is known to have held.

    Walking up from this month's load through her heavier months, the bound stops before the
    first month whose conversion fell below this month's 95 % interval: a load is trusted only
    when every heavier month up to it held.
    """
    now = strong.daily_inquiries
    assert now is not None
    bound, months = now, []
    heavier = sorted(
        (p for p in strong.load_curve if p.month != month and p.daily_inquiries > now),
        key=lambda p: p.daily_inquiries,
    )
    for p in heavier:
        if not p.held:
            break
        bound = p.daily_inquiries
        months.append(p.month)
    return bound, tuple(sorted(months))


def rerouting(strong: Side, weak: Side, month: str) -> Rerouting | None:
    """The re-routing decision; None without activity figures for both."""
    s_daily, w_daily = strong.daily_inquiries, weak.daily_inquiries
    if s_daily is None or w_daily is None:
        return None
    assert strong.active_days is not None and weak.active_days is not None
    bound, months = held_load(strong, month)
    headroom = max(Fraction(0), bound - s_daily)
    cap = MAX_MOVE_SHARE * w_daily
    gain = strong.sales_per_inquiry - weak.sales_per_inquiry
    se = math.sqrt(
        strong.sales_per_inquiry_var / strong.inquiring_buyers
        + weak.sales_per_inquiry_var / weak.inquiring_buyers
    )
    possible = math.floor(min(headroom, cap))
    decision: Decision
    if gain <= 0:
        decision = "no_gain"
    elif float(gain) - Z95 * se <= 0:
        decision = "gain_unclear"
    elif possible < 1:
        decision = "no_headroom"
    else:
        decision = "reroute"
    k = possible if decision == "reroute" else 0
    flow = s_daily + w_daily
    return Rerouting(
        decision=decision,
        held_load_per_day=bound,
        held_months=months,
        headroom_per_day=headroom,
        move_cap_per_day=cap,
        k_per_day=k,
        days=min(strong.active_days, weak.active_days),
        gain_per_inquiry_fen=gain,
        gain_se_fen=se,
        refund_share=max(strong.refund_share, weak.refund_share),
        weights_now=_weights(s_daily, flow),
        weights_after=_weights(s_daily + k, flow),
    )


def _alone(agent: AgentMonth) -> ShopMonth:
    """A month holding only this agent (a side built without its shop)."""
    return ShopMonth(agent.shop_id, agent.month, False, False, [agent], 0, 0, 0, 0, 0, 0, 0)


def _weights(strong_flow: Fraction, flow: Fraction) -> tuple[int, int]:
    s = round_half_up(100 * strong_flow / flow)
    if strong_flow < flow:
        s = min(s, 99)  # a queue with inquiries left never shows as 0 %
    return (s, 100 - s)


def find_pairs(
    shop: ShopMonth,
    verdicts: list[Verdict],
    settings: DiagnosisSettings,
    history: Mapping[str, ShopMonth] | None = None,
) -> list[Pair]:
    """Pairs of presale agents with enough data, equal net sales and a conversion ≥ ratio × the other.

    `history`: the months read (for each agent's load curve); the month itself is enough.
    """
    months = {**(history or {}), shop.month: shop}
    ok = {v.agent_id for v in verdicts if v.verdict != "insufficient_data"}
    agents = [
        a
        for a in shop.presale
        if a.agent_id in ok
        and available(a.parts, "net_sales_fen")  # a report without net sales: no pairs
        and a.parts["net_sales_fen"] > 0
    ]
    out: list[Pair] = []
    for a, b in combinations(sorted(agents, key=lambda a: a.agent_id), 2):
        sa, sb = side(a, settings), side(b, settings)
        hi, lo = max(sa.net_sales_fen, sb.net_sales_fen), min(sa.net_sales_fen, sb.net_sales_fen)
        if hi - lo > settings.pair_sales_tolerance * hi:
            continue
        strong_a, weak_a = (a, b) if sa.conversion >= sb.conversion else (b, a)
        strong, weak = (sa, sb) if strong_a is a else (sb, sa)
        if strong.conversion < settings.pair_conversion_ratio * weak.conversion:
            continue
        iv = wilson(strong.paying_buyers, strong.inquiring_buyers)
        floor = None if iv is None else Fraction(iv.low)
        strong = side(strong_a, settings, months, floor)
        weak = side(weak_a, settings, months)
        z = two_proportion_z(
            strong.paying_buyers, strong.inquiring_buyers, weak.paying_buyers, weak.inquiring_buyers
        )
        out.append(Pair(shop.month, strong, weak, z, rerouting(strong, weak, shop.month)))
    return out
