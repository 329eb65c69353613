"""Why an agent's conversion is low (the article's case 3): time, typing speed or load.

The agent is compared with their peers — the month's other presale agents, pooled — on
each indicator; an indicator counts against the agent when it is worse by the shop's
thresholds. Load and typing speed come first when naming the main explanation, because
slow replies usually follow from them; slow replies with neither point at attention or
availability (时间原因).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from kefu.diagnosis.quadrant import Verdict
from kefu.diagnosis.settings import DiagnosisSettings
from kefu.metrics.fields import Parts, exact, pool
from kefu.metrics.table import AgentMonth, ShopMonth

Factor = Literal["time", "typing", "load"]
FACTORS: tuple[Factor, ...] = ("load", "typing", "time")  # the order the main explanation is sought
Worse = Literal["higher", "lower", "share_higher", "different"]
# An hour the agent covers "clearly more" than the peers: half a uniform hour's share (1/24) more.
EXTRA_HOUR_GAP = 1 / 48


@dataclass(frozen=True)
class Indicator:
    name: str  # first_response_s, avg_response_s, slow_share, unanswered_share, hours_shift, ...
    factor: Factor
    agent: float | None
    peers: float | None
    worse_when: Worse
    worse: bool | None  # None when it cannot be compared (no data on one side)

    def to_json(self) -> dict[str, object]:
        return {
            "indicator": self.name,
            "factor": self.factor,
            "agent": self.agent,
            "peers": self.peers,
            "ratio": self.ratio,
            "worse_when": self.worse_when,
            "worse": self.worse,
        }

    @property
    def ratio(self) -> float | None:
        if self.agent is None or not self.peers or self.worse_when == "different":
            return None
        return self.agent / self.peers


@dataclass(frozen=True)
class Cause:
    """The figures behind one agent's low conversion and the factors they point at."""

    agent_id: str
    name: str
    month: str
    verdict: str
    conversion: Fraction | None
    peers_conversion: Fraction | None
    peers: int  # how many agents the peers pool
    indicators: tuple[Indicator, ...]
    factors: tuple[Factor, ...]  # every factor with an indicator worse than the peers', main first
    hour_share: tuple[float, ...] | None  # the agent's sessions by hour of day, as shares
    peers_hour_share: tuple[float, ...] | None
    extra_hours: tuple[int, ...]  # hours the agent covers clearly more than the peers

    @property
    def main(self) -> Factor | None:
        return self.factors[0] if self.factors else None

    def indicator(self, name: str) -> Indicator:
        return next(i for i in self.indicators if i.name == name)

    def to_json(self) -> dict[str, object]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "verdict": self.verdict,
            "main_factor": self.main,
            "factors": list(self.factors),
            "evidence": {
                "conversion_rate": _f(self.conversion),
                "peers_conversion_rate": _f(self.peers_conversion),
                "peers": self.peers,
                "indicators": [i.to_json() for i in self.indicators],
                "hour_share": None if self.hour_share is None else list(self.hour_share),
                "peers_hour_share": (
                    None if self.peers_hour_share is None else list(self.peers_hour_share)
                ),
                "extra_hours": list(self.extra_hours),
            },
        }


def explain(verdict: Verdict, shop: ShopMonth, settings: DiagnosisSettings) -> Cause | None:
    """Compare a low converter with their peers; None when the agent is not in the month."""
    agent = shop.agent(verdict.agent_id)
    if agent is None:
        return None
    peers = [a for a in shop.presale if a.agent_id != agent.agent_id]
    pp = pool(a.parts for a in peers)
    me = agent.parts
    ratio, gap = settings.cause_ratio, settings.cause_share_gap
    inds: list[Indicator] = [
        _compare("first_response_s", "time", _rate(me, "first_response_s"),
                 _rate(pp, "first_response_s"), "higher", ratio, gap),
        _compare("avg_response_s", "time", _rate(me, "avg_response_s"),
                 _rate(pp, "avg_response_s"), "higher", ratio, gap),
        _compare("slow_share", "time", _share(me, "slow_turns", "answered_turns"),
                 _share(pp, "slow_turns", "answered_turns"), "share_higher", ratio, gap),
        _compare("unanswered_share", "time", _unanswered(me), _unanswered(pp), "share_higher",
                 ratio, gap),
    ]  # fmt: skip
    my_hours, peer_hours = _hour_share([agent]), _hour_share(peers)
    distance = _distance(my_hours, peer_hours)
    inds.append(
        Indicator(
            "hours_shift",
            "time",
            distance,
            None,
            "different",
            None if distance is None else distance >= settings.cause_shift_distance,
        )
    )
    inds += [
        _compare("typing_cpm", "typing", _rate(me, "typing_cpm"), _rate(pp, "typing_cpm"),
                 "lower", ratio, gap),
        _compare("answer_ratio", "typing", _rate(me, "answer_ratio"), _rate(pp, "answer_ratio"),
                 "lower", ratio, gap),
        _compare("sessions_per_active_hour", "load", _load([agent]), _load(peers), "higher",
                 ratio, gap),
    ]  # fmt: skip
    factors = tuple(f for f in FACTORS if any(i.worse for i in inds if i.factor == f))
    extra: tuple[int, ...] = ()
    if my_hours is not None and peer_hours is not None:
        more = [(my_hours[h] - peer_hours[h], h) for h in range(24)]
        extra = tuple(sorted(h for d, h in sorted(more, reverse=True)[:4] if d >= EXTRA_HOUR_GAP))
    return Cause(
        agent_id=agent.agent_id,
        name=agent.name,
        month=shop.month,
        verdict=verdict.verdict,
        conversion=verdict.conversion,
        peers_conversion=exact(pp, "conversion_rate"),
        peers=len(peers),
        indicators=tuple(inds),
        factors=factors,
        hour_share=my_hours,
        peers_hour_share=peer_hours,
        extra_hours=extra,
    )


def _compare(
    name: str,
    factor: Factor,
    agent: float | None,
    peers: float | None,
    worse_when: Worse,
    ratio: Fraction,
    gap: Fraction,
) -> Indicator:
    worse: bool | None = None
    if agent is not None and peers is not None:
        if worse_when == "share_higher":
            worse = agent - peers >= float(gap)
        elif peers > 0 and worse_when == "higher":
            worse = agent / peers >= float(ratio)
        elif peers > 0 and worse_when == "lower":
            worse = agent / peers <= 1 / float(ratio)
    return Indicator(name, factor, agent, peers, worse_when, worse)


def _rate(parts: Parts, name: str) -> float | None:
    x = exact(parts, name)
    return None if x is None else float(x)


def _share(parts: Parts, num: str, den: str) -> float | None:
    return parts[num] / parts[den] if parts[den] else None


def _unanswered(parts: Parts) -> float | None:
    """Unanswered sessions among the sessions with a buyer message."""
    den = parts["receptions"] + parts["unanswered_sessions"]
    return parts["unanswered_sessions"] / den if den else None


def _load(agents: list[AgentMonth]) -> float | None:
    """Sessions per active hour (an hour with an agent message), pooled; None without activity."""
    with_activity = [a for a in agents if a.activity is not None]
    if not with_activity:
        return None
    hours = sum(a.activity.active_hours for a in with_activity if a.activity)
    sessions = sum(a.parts["sessions"] for a in with_activity)
    return sessions / hours if hours else None


def _hour_share(agents: list[AgentMonth]) -> tuple[float, ...] | None:
    counts = [0] * 24
    for a in agents:
        if a.activity is not None:
            for h, n in enumerate(a.activity.hour_sessions[:24]):
                counts[h] += n
    total = sum(counts)
    return tuple(c / total for c in counts) if total else None


def _distance(a: tuple[float, ...] | None, b: tuple[float, ...] | None) -> float | None:
    """Total variation distance of two hour-of-day mixes: 0 same hours, 1 no hour in common."""
    if a is None or b is None:
        return None
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / 2


def _f(x: Fraction | None) -> float | None:
    return None if x is None else float(x)
