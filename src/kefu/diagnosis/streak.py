"""Streaks of both-low months and the screening review (筛选) they raise.

The article: "转化率和客户单价都很低：如果连续几个月都是这样，只能筛选". A month with
insufficient data (or with no row for the agent) neither counts nor breaks a streak;
any other verdict, borderline included, breaks it. When the month's cause analysis finds
load the main factor, the flag is a workload review for the manager (分流, schedule), not
a screening of the agent: an overloaded agent's numbers are the shop's problem first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from kefu.diagnosis.cause import Cause
from kefu.diagnosis.quadrant import Verdict
from kefu.diagnosis.settings import DiagnosisSettings
from kefu.metrics.fields import round_half_up

FlagKind = Literal["screening_review", "workload_review"]
FLAG_KINDS: tuple[FlagKind, ...] = ("screening_review", "workload_review")

# (month, the agent's verdict that month or None when the agent has no row in it), oldest first
History = Sequence[tuple[str, Verdict | None]]


@dataclass(frozen=True)
class Streak:
    months: tuple[str, ...]  # the both-low months counted, oldest first
    since: int  # index in the history of the first month shown (the first counted one)
    open_ended: bool  # the streak reaches the earliest month read: it may be longer

    @property
    def length(self) -> int:
        return len(self.months)


def both_low_streak(history: History) -> Streak:
    """The run of both-low months ending at the latest month, skipping thin months."""
    counted: list[str] = []
    since = len(history)
    for i in range(len(history) - 1, -1, -1):
        month, v = history[i]
        if v is None or v.verdict == "insufficient_data":
            continue
        if v.verdict != "both_low":
            break
        counted.append(month)
        since = i
    else:
        return Streak(tuple(reversed(counted)), since, bool(counted))
    return Streak(tuple(reversed(counted)), since, False)


@dataclass(frozen=True)
class Flag:
    """A both-low streak of `screen_months` months, with the months behind it.

    `screening_review` asks for a review of the agent; `workload_review` (the month's cause
    analysis names load first) asks the manager to review the agent's load instead.
    """

    agent_id: str
    name: str
    kind: FlagKind
    streak: Streak
    history: tuple[tuple[str, Verdict | None], ...]  # from the first counted month to the last
    cause: Cause | None = None  # the month's cause analysis of the agent, when there is one

    def to_json(self) -> dict[str, object]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "kind": self.kind,
            "months": self.streak.length,
            "since": self.streak.months[0] if self.streak.months else None,
            "open_ended": self.streak.open_ended,
            "history": [history_json(m, v, self.streak.months) for m, v in self.history],
            "main_factor": None if self.cause is None else self.cause.main,
            "load": None if self.cause is None else self.load_json(),
        }

    def load_json(self) -> dict[str, object] | None:
        """Sessions per active hour, the agent's and the peers', as the cause analysis has it."""
        if self.cause is None:
            return None
        i = self.cause.indicator("sessions_per_active_hour")
        return {"agent": i.agent, "peers": i.peers, "ratio": i.ratio, "worse": i.worse}


def history_json(
    month: str, v: Verdict | None, counted: Sequence[str] | None = None
) -> dict[str, object]:
    """One month of an agent's history, as trends carry it (flags add whether it counted)."""
    out: dict[str, object] = {"month": month, "verdict": None if v is None else v.verdict}
    if v is not None:
        ref = v.reference
        out.update(
            conversion_rate=None if v.conversion is None else float(v.conversion),
            conversion_reference=None if ref.conversion is None else float(ref.conversion),
            avg_spend_fen=v.avg_spend_fen,
            avg_spend_reference_fen=(
                None if ref.avg_spend_fen is None else round_half_up(ref.avg_spend_fen)
            ),
            inquiring_buyers=v.inquiring_buyers,
            net_sales_fen=v.net_sales_fen,
        )
    if counted is not None:
        out["counted"] = month in counted
    return out


def screening_flags(
    histories: dict[str, list[tuple[str, Verdict | None]]],
    settings: DiagnosisSettings,
    causes: Mapping[str, Cause] | None = None,
) -> list[Flag]:
    """Flags for the agents present in the latest month whose streak reaches screen_months.

    `causes`: the month's cause analyses by agent; load as the main factor makes the flag a
    workload review.
    """
    causes = causes or {}
    flags = []
    for agent_id, history in sorted(histories.items()):
        if not history or history[-1][1] is None:
            continue  # not in the month diagnosed (left, or not yet hired)
        s = both_low_streak(history)
        if s.length >= settings.screen_months:
            name = history[-1][1].name
            cause = causes.get(agent_id)
            kind: FlagKind = (
                "workload_review"
                if cause is not None and cause.main == "load"
                else "screening_review"
            )
            flags.append(Flag(agent_id, name, kind, s, tuple(history[s.since :]), cause))
    return flags
