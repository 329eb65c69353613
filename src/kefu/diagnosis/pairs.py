"""Question 1: two agents with equal sales, one converting far better — what to do.

The article: "如果两个客户服务，总销售额是一样的，但一个的转化率是另一个的两倍，我该怎么办?"
Sales decompose exactly as inquiring buyers × conversion × 客单价, so equal sales with a
lower conversion means more inquiries (or a higher spend). Re-routing (分流) k inquiring
buyers a day from the weaker to the stronger converter is expected to add
k × days × (the stronger's sales per inquiry − the weaker's), with k bounded by the load
the stronger agent has already carried on her busiest day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

from kefu.diagnosis.intervals import Z95, two_proportion_z
from kefu.diagnosis.quadrant import Verdict
from kefu.diagnosis.settings import DiagnosisSettings
from kefu.metrics.fields import available, exact, round_half_up
from kefu.metrics.table import AgentMonth, ShopMonth


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
        }


@dataclass(frozen=True)
class Rerouting:
    """What moving k inquiring buyers a day from weak to strong is expected to add."""

    headroom_per_day: Fraction  # strong's busiest day − strong's average day
    k_per_day: int  # recommended: whole buyers a day within the headroom and weak's own flow
    days: int  # days both work, taken as the fewer active days of the two
    gain_per_inquiry_fen: Fraction  # sales per inquiry, strong − weak
    net_gain_per_inquiry_fen: Fraction
    weights_now: tuple[int, int]  # 分流 weights in %, (strong, weak)
    weights_after: tuple[int, int]

    @property
    def added_sales_fen(self) -> int:
        return round_half_up(self.k_per_day * self.days * self.gain_per_inquiry_fen)

    @property
    def added_net_sales_fen(self) -> int:
        return round_half_up(self.k_per_day * self.days * self.net_gain_per_inquiry_fen)

    def to_json(self) -> dict[str, object]:
        return {
            "headroom_per_day": float(self.headroom_per_day),
            "k_per_day": self.k_per_day,
            "days": self.days,
            "gain_per_inquiry_fen": float(self.gain_per_inquiry_fen),
            "net_gain_per_inquiry_fen": float(self.net_gain_per_inquiry_fen),
            "added_sales_fen": self.added_sales_fen,
            "added_net_sales_fen": self.added_net_sales_fen,
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


def side(agent: AgentMonth) -> Side:
    p = agent.parts
    conv = exact(p, "conversion_rate")
    assert conv is not None  # only agents with inquiries are paired
    act = agent.activity
    return Side(
        agent_id=agent.agent_id,
        name=agent.name,
        inquiring_buyers=p["inquiring_buyers"],
        paying_buyers=p["paying_buyers"],
        conversion=conv,
        avg_spend=exact(p, "avg_spend_fen"),
        sales_fen=p["sales_fen"],
        refund_fen=p["refund_fen"],
        net_sales_fen=p["net_sales_fen"],
        active_days=None if act is None else act.active_days,
        peak_day_inquiries=None if act is None else act.peak_day_inquiries,
    )


def rerouting(strong: Side, weak: Side) -> Rerouting | None:
    s_daily, w_daily = strong.daily_inquiries, weak.daily_inquiries
    if s_daily is None or w_daily is None or strong.peak_day_inquiries is None:
        return None
    assert strong.active_days is not None and weak.active_days is not None
    headroom = max(Fraction(0), strong.peak_day_inquiries - s_daily)
    k = math.floor(min(headroom, w_daily))
    flow = s_daily + w_daily
    now = _weights(s_daily, flow)
    after = _weights(s_daily + k, flow)
    return Rerouting(
        headroom_per_day=headroom,
        k_per_day=k,
        days=min(strong.active_days, weak.active_days),
        gain_per_inquiry_fen=strong.sales_per_inquiry - weak.sales_per_inquiry,
        net_gain_per_inquiry_fen=strong.net_per_inquiry - weak.net_per_inquiry,
        weights_now=now,
        weights_after=after,
    )


def _weights(strong_flow: Fraction, flow: Fraction) -> tuple[int, int]:
    s = round_half_up(100 * strong_flow / flow)
    return (s, 100 - s)


def find_pairs(shop: ShopMonth, verdicts: list[Verdict], settings: DiagnosisSettings) -> list[Pair]:
    """Pairs of presale agents with enough data, equal net sales and a conversion ≥ ratio × the other."""
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
        sa, sb = side(a), side(b)
        hi, lo = max(sa.net_sales_fen, sb.net_sales_fen), min(sa.net_sales_fen, sb.net_sales_fen)
        if hi - lo > settings.pair_sales_tolerance * hi:
            continue
        strong, weak = (sa, sb) if sa.conversion >= sb.conversion else (sb, sa)
        if strong.conversion < settings.pair_conversion_ratio * weak.conversion:
            continue
        z = two_proportion_z(
            strong.paying_buyers, strong.inquiring_buyers, weak.paying_buyers, weak.inquiring_buyers
        )
        out.append(Pair(shop.month, strong, weak, z, rerouting(strong, weak)))
    return out
