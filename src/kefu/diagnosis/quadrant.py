"""The article's four cases: each presale agent's conversion and 客单价 against a reference.

An axis is high or low only when its whole 95 % interval lies on one side of the reference;
when the interval contains the reference the verdict is borderline, and below
`min_inquiries` inquiring buyers there is no verdict at all (insufficient data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from kefu.diagnosis.intervals import Interval, SpendInterval, spend_interval, wilson
from kefu.diagnosis.settings import DiagnosisSettings
from kefu.metrics.fields import Parts, exact, round_half_up, value
from kefu.metrics.mix import Expected, expected
from kefu.metrics.table import AgentMonth, ShopMonth

Quadrant = Literal["both_high", "high_conv_low_spend", "low_conv_high_spend", "both_low"]
VerdictCode = Literal[
    "both_high",
    "high_conv_low_spend",
    "low_conv_high_spend",
    "both_low",
    "borderline",
    "insufficient_data",
]
QUADRANTS: tuple[Quadrant, ...] = (
    "both_high",
    "high_conv_low_spend",
    "low_conv_high_spend",
    "both_low",
)
VERDICTS: tuple[VerdictCode, ...] = (*QUADRANTS, "borderline", "insufficient_data")
Side = Literal["high", "low", "borderline"]
Source = Literal["team", "team_mix", "target", "baseline"]

# The optional per-agent-month part that makes the spend interval exact (see docs/diagnosis.md).
SALES_SQ = "sales_sq_fen"


_QUADRANT: dict[tuple[Side, Side], Quadrant] = {
    ("high", "high"): "both_high",
    ("high", "low"): "high_conv_low_spend",
    ("low", "high"): "low_conv_high_spend",
    ("low", "low"): "both_low",
}


def quadrant_of(conversion: Side, spend: Side) -> Quadrant | None:
    """The quadrant of two decided axes; None when either is borderline."""
    return _QUADRANT.get((conversion, spend))


@dataclass(frozen=True)
class Reference:
    """What agents are compared with: per axis, the team's pooled value, a target or a baseline."""

    conversion: Fraction | None
    conversion_source: Source
    avg_spend_fen: Fraction | None  # exact (not rounded): comparisons use it
    avg_spend_source: Source
    items_per_buyer: Fraction | None  # the team's, shown beside the 客单价 remedy
    months: tuple[str, ...]  # the months pooled for the team or baseline values

    def to_json(self) -> dict[str, object]:
        return {
            "conversion_rate": _f(self.conversion),
            "conversion_source": self.conversion_source,
            "avg_spend_fen": _fen(self.avg_spend_fen),
            "avg_spend_source": self.avg_spend_source,
            "items_per_buyer": _f(self.items_per_buyer),
            "months": list(self.months),
        }


def pooled_reference(
    team: Parts, settings: DiagnosisSettings, months: tuple[str, ...], source: Source = "team"
) -> Reference:
    """The reference from pooled team parts, each axis replaced by the shop's target when set."""
    conv_target, spend_target = settings.target_conversion, settings.target_avg_spend_fen
    return Reference(
        conversion=conv_target if conv_target is not None else exact(team, "conversion_rate"),
        conversion_source="target" if conv_target is not None else source,
        avg_spend_fen=(
            Fraction(spend_target) if spend_target is not None else exact(team, "avg_spend_fen")
        ),
        avg_spend_source="target" if spend_target is not None else source,
        items_per_buyer=exact(team, "items_per_buyer"),
        months=months,
    )


def month_reference(shop: ShopMonth, settings: DiagnosisSettings) -> Reference:
    """The plain reference of a month: the presale team pooled (metrics.md §3), or targets."""
    return pooled_reference(shop.team, settings, (shop.month,))


@dataclass(frozen=True)
class Mix:
    """An agent's like-with-like comparison: observed and expected on their own mix, per axis."""

    conversion: Expected | None
    spend: Expected | None


def mix_reference(
    shop: ShopMonth, agent_id: str, plain: Reference, settings: DiagnosisSettings
) -> tuple[Reference, Mix]:
    """The agent's reference on their own mix (docs/diagnosis.md, "Like with like").

    Each axis that the plain reference takes from the pooled team becomes the team's rate on
    the agent's mix of strata (source `team_mix`) when the month has strata finer than the
    pooled team for it; a target stays a target.
    """
    if not shop.strata:
        return plain, Mix(None, None)
    conv = expected(shop.strata, agent_id, "conversion", settings.min_stratum)
    spend = expected(shop.strata, agent_id, "spend", settings.min_stratum)
    conversion, conv_source = plain.conversion, plain.conversion_source
    avg_spend, spend_source = plain.avg_spend_fen, plain.avg_spend_source
    if conv_source == "team" and conv.informative and conv.expected_rate is not None:
        conversion, conv_source = conv.expected_rate, "team_mix"
    if spend_source == "team" and spend.informative and spend.expected_rate is not None:
        avg_spend, spend_source = spend.expected_rate, "team_mix"
    ref = Reference(
        conversion=conversion,
        conversion_source=conv_source,
        avg_spend_fen=avg_spend,
        avg_spend_source=spend_source,
        items_per_buyer=plain.items_per_buyer,
        months=plain.months,
    )
    return ref, Mix(conv, spend)


@dataclass(frozen=True)
class Verdict:
    """One presale agent's month: the verdict with every number it rests on."""

    agent_id: str
    name: str
    month: str
    verdict: VerdictCode
    # the quadrant of the point values alone (what a naive table shows); None below
    # min_inquiries, so that thin data never reads as a verdict
    leaning: Quadrant | None
    conversion_side: Side | None  # None when the data is insufficient
    spend_side: Side | None
    inquiring_buyers: int
    paying_buyers: int
    sales_fen: int
    net_sales_fen: int | None  # None: not given by the month's agent report (docs/reports.md)
    items: int
    conversion: Fraction | None
    conversion_interval: Interval | None
    avg_spend: Fraction | None  # exact sales_fen / paying_buyers
    spend_interval: SpendInterval | None
    items_per_buyer: Fraction | None
    reference: Reference
    min_inquiries: int
    # the plain pooled reference, shown beside a mix-adjusted one (None: the same as `reference`)
    plain_reference: Reference | None = None
    mix: Mix | None = None

    @property
    def plain(self) -> Reference:
        return self.plain_reference or self.reference

    def plain_side(self, axis: Literal["conversion", "spend"]) -> Side | None:
        """The side against the plain pooled reference (what a comparison without mix says)."""
        if self.verdict == "insufficient_data":
            return None
        if axis == "conversion":
            return _side(self.conversion_interval, self.plain.conversion)
        return _side(self.spend_interval, self.plain.avg_spend_fen)

    @property
    def avg_spend_fen(self) -> int | None:
        return None if self.avg_spend is None else round_half_up(self.avg_spend)

    @property
    def decided(self) -> bool:
        """Enough data for a verdict (borderline included): a quadrant word or colour may show."""
        return self.verdict != "insufficient_data"

    @property
    def conversion_low(self) -> bool:
        """Sits in one of the two low-conversion quadrants (the spend axis aside)."""
        return self.conversion_side == "low"

    def evidence(self) -> dict[str, object]:
        ref = self.reference
        return {
            "inquiring_buyers": self.inquiring_buyers,
            "paying_buyers": self.paying_buyers,
            "sales_fen": self.sales_fen,
            "net_sales_fen": self.net_sales_fen,
            "conversion_rate": _f(self.conversion),
            "conversion_interval": _interval(self.conversion_interval),
            "conversion_reference": _f(ref.conversion),
            "conversion_side": self.conversion_side,
            "avg_spend_fen": self.avg_spend_fen,
            "avg_spend_interval_fen": _interval(self.spend_interval, fen=True),
            "avg_spend_interval_method": (
                None if self.spend_interval is None else self.spend_interval.method
            ),
            "avg_spend_reference_fen": _fen(ref.avg_spend_fen),
            "avg_spend_side": self.spend_side,
            "items_per_buyer": _f(self.items_per_buyer),
            "items_per_buyer_reference": _f(ref.items_per_buyer),
            "min_inquiries": self.min_inquiries,
            "confidence": 0.95,
            # like with like (docs/diagnosis.md): which reference judged each axis, and the
            # plain pooled comparison beside it
            "conversion_reference_source": ref.conversion_source,
            "avg_spend_reference_source": ref.avg_spend_source,
            "conversion_plain_reference": _f(self.plain.conversion),
            "conversion_plain_side": self.plain_side("conversion"),
            "avg_spend_plain_reference_fen": _fen(self.plain.avg_spend_fen),
            "avg_spend_plain_side": self.plain_side("spend"),
            "conversion_observed_expected": _ratio(self.mix.conversion if self.mix else None),
            "avg_spend_observed_expected": _ratio(self.mix.spend if self.mix else None),
        }


def _part(parts: Mapping[str, int], name: str) -> int | None:
    v = value(parts, name)
    return None if v is None else int(v)


def judge(
    agent: AgentMonth,
    reference: Reference,
    settings: DiagnosisSettings,
    plain: Reference | None = None,
    mix: Mix | None = None,
) -> Verdict:
    """The verdict of one agent-month against a reference (`plain`: the pooled one beside it)."""
    p = agent.parts
    inquiring, paying = int(p["inquiring_buyers"]), int(p["paying_buyers"])
    conversion = exact(p, "conversion_rate")
    avg_spend = exact(p, "avg_spend_fen")
    conv_iv = wilson(paying, inquiring)
    # 0 means "not measured" (a source without it; Σ spend² of paying buyers is never 0 when
    # they spent anything)
    sq = p.get(SALES_SQ) or None
    # a platform report's 客单价 divides by its own buyers (销售人数): the interval follows it
    spend_num = int(p.get("avg_spend_fen:num", p["sales_fen"]))
    spend_den = int(p.get("avg_spend_fen:den", paying))
    spend_iv = spend_interval(
        spend_num, spend_den, None if sq is None else int(sq), settings.spend_cv
    )
    conv_side: Side | None = None
    spend_side: Side | None = None
    if inquiring < settings.min_inquiries:
        verdict: VerdictCode = "insufficient_data"
    else:
        conv_side = _side(conv_iv, reference.conversion)
        spend_side = _side(spend_iv, reference.avg_spend_fen)
        verdict = quadrant_of(conv_side, spend_side) or "borderline"
    return Verdict(
        agent_id=agent.agent_id,
        name=agent.name,
        month=agent.month,
        verdict=verdict,
        leaning=None
        if verdict == "insufficient_data"
        else _leaning(conversion, avg_spend, reference),
        conversion_side=conv_side,
        spend_side=spend_side,
        inquiring_buyers=inquiring,
        paying_buyers=paying,
        sales_fen=int(p["sales_fen"]),
        net_sales_fen=_part(p, "net_sales_fen"),
        items=int(p["items"]),
        conversion=conversion,
        conversion_interval=conv_iv,
        avg_spend=avg_spend,
        spend_interval=spend_iv,
        items_per_buyer=exact(p, "items_per_buyer"),
        reference=reference,
        min_inquiries=settings.min_inquiries,
        plain_reference=plain if plain is not None and plain != reference else None,
        mix=mix,
    )


def judge_month(
    shop: ShopMonth, settings: DiagnosisSettings, reference: Reference | None = None
) -> list[Verdict]:
    """Every presale agent of the month, against the given reference; by default against the
    team on the agent's own mix where the month's strata allow (`mix_reference` setting), else
    the month's plain reference."""
    agents = sorted(shop.presale, key=lambda a: a.agent_id)
    if reference is not None:
        return [judge(a, reference, settings) for a in agents]
    plain = month_reference(shop, settings)
    if not settings.mix_reference:
        return [judge(a, plain, settings) for a in agents]
    out = []
    for a in agents:
        ref, mix = mix_reference(shop, a.agent_id, plain, settings)
        out.append(judge(a, ref, settings, plain, mix))
    return out


def _side(interval: Interval | None, reference: Fraction | None) -> Side:
    # No interval (too few paying buyers) or no reference: the interval is the whole line.
    if interval is None or reference is None:
        return "borderline"
    return interval.side(reference)


def _leaning(conv: Fraction | None, spend: Fraction | None, ref: Reference) -> Quadrant | None:
    if conv is None or spend is None or ref.conversion is None or ref.avg_spend_fen is None:
        return None
    c: Side = "high" if conv >= ref.conversion else "low"
    s: Side = "high" if spend >= ref.avg_spend_fen else "low"
    return quadrant_of(c, s)


def _ratio(e: Expected | None) -> float | None:
    r = None if e is None else e.ratio
    return None if r is None else round(float(r), 4)


def _f(x: Fraction | None) -> float | None:
    return None if x is None else float(x)


def _fen(x: Fraction | None) -> int | None:
    return None if x is None else round_half_up(x)


def _interval(iv: Interval | None, fen: bool = False) -> list[float] | list[int] | None:
    if iv is None:
        return None
    if fen:
        return [round_half_up(Fraction(iv.low)), round_half_up(Fraction(iv.high))]
    return iv.as_list()
