"""A shop's month diagnosed: every rule run on the KPI months, and the JSON contract they give.

Diagnosis reads KPIs only through ShopMonth/AgentMonth objects from a KpiSource; this module
fetches the months every rule needs once and hands them to the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kefu.diagnosis.cause import Cause, explain
from kefu.diagnosis.narrative import (
    cause_text,
    flag_text,
    pair_text,
    remedy,
    stability_text,
    team_text,
    verdict_label,
)
from kefu.diagnosis.pairs import Pair, find_pairs
from kefu.diagnosis.quadrant import Reference, Verdict, judge_month, month_reference
from kefu.diagnosis.settings import DiagnosisSettings
from kefu.diagnosis.stability import Stability, stability
from kefu.diagnosis.streak import Flag, Streak, both_low_streak, history_json, screening_flags
from kefu.diagnosis.team import TeamDiagnosis, TrendPoint, diagnose_team, trend_point
from kefu.metrics.table import KpiSource, ShopMonth, shift_month

FORMAT = "kefu.diagnosis/1"

AgentHistory = list[tuple[str, Verdict | None]]


@dataclass(frozen=True)
class ShopDiagnosis:
    shop_id: str
    month: str
    provisional: bool
    settings: DiagnosisSettings
    reference: Reference
    summary: TrendPoint
    verdicts: tuple[Verdict, ...]
    causes: tuple[Cause, ...]
    flags: tuple[Flag, ...]
    team: TeamDiagnosis
    pairs: tuple[Pair, ...]
    stability: tuple[Stability, ...]
    histories: dict[str, AgentHistory] = field(default_factory=dict)  # presale agents of the month
    streaks: dict[str, Streak] = field(default_factory=dict)

    def cause(self, agent_id: str) -> Cause | None:
        return next((c for c in self.causes if c.agent_id == agent_id), None)

    def remedy(self, v: Verdict, lang: str) -> tuple[str, str]:
        streak = self.streaks.get(v.agent_id)
        return remedy(
            v,
            lang,
            self.cause(v.agent_id),
            streak.length if streak else 0,
            self.settings.screen_months,
        )

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        """The `kefu diagnose --format json` contract (docs/diagnosis.md): keys are fixed."""
        verdicts = []
        for v in self.verdicts:
            code, text = self.remedy(v, lang)
            verdicts.append(
                {
                    "agent_id": v.agent_id,
                    "name": v.name,
                    "quadrant": v.verdict,
                    "label": verdict_label(v, lang),
                    "leaning": v.leaning,
                    "evidence": v.evidence(),
                    "remedy": {"code": code, "text": text},
                }
            )
        return {
            "format": FORMAT,
            "shop_id": self.shop_id,
            "month": self.month,
            "provisional": self.provisional,
            "lang": lang,
            "settings": self.settings.to_json(),
            "reference": self.reference.to_json(),
            "summary": self.summary.to_json(),
            "verdicts": verdicts,
            "causes": [{**c.to_json(), "text": cause_text(c, lang)} for c in self.causes],
            "flags": [{**f.to_json(), "text": flag_text(f, lang)} for f in self.flags],
            "team": {**self.team.to_json(), "text": team_text(self.team, lang)},
            "pairs": [{**p.to_json(), "text": pair_text(p, lang)} for p in self.pairs],
            "stability": [
                {
                    **s.to_json(),
                    "text": stability_text(s, lang, self.settings.stability_min_months),
                }
                for s in self.stability
            ],
            "trends": [
                {
                    "agent_id": agent_id,
                    "name": history[-1][1].name if history[-1][1] else agent_id,
                    "months": [history_json(m, v) for m, v in history],
                }
                for agent_id, history in self.histories.items()
            ],
        }


def months_for(month: str, settings: DiagnosisSettings) -> list[str]:
    """The months every rule reads for `month`, oldest first."""
    return [shift_month(month, -k) for k in range(settings.months_needed - 1, -1, -1)]


def diagnose(
    source: KpiSource, shop_id: str, month: str, settings: DiagnosisSettings | None = None
) -> ShopDiagnosis:
    settings = settings or DiagnosisSettings()
    months = source.shop_months(shop_id, months_for(month, settings))
    return diagnose_months(shop_id, month, months, settings)


def diagnose_months(
    shop_id: str,
    month: str,
    months: Mapping[str, ShopMonth],
    settings: DiagnosisSettings | None = None,
) -> ShopDiagnosis:
    """The diagnosis of `month` from KPI months already fetched (extra months are ignored)."""
    settings = settings or DiagnosisSettings()
    wanted = months_for(month, settings)
    data = {m: months[m] for m in wanted if m in months}
    current = data.get(month) or ShopMonth(shop_id, month, False, False, [], 0, 0, 0, 0, 0, 0, 0)
    data[month] = current

    by_month = {m: judge_month(data[m], settings) for m in sorted(data)}
    verdicts = by_month[month]
    present = [v.agent_id for v in verdicts]
    histories: dict[str, AgentHistory] = {}
    for agent_id in present:
        histories[agent_id] = [
            (m, next((v for v in by_month[m] if v.agent_id == agent_id), None))
            for m in sorted(data)
        ]
    streaks = {a: both_low_streak(h) for a, h in histories.items()}

    causes = [
        c
        for v in verdicts
        if v.conversion_side == "low"
        for c in [explain(v, current, settings)]
        if c is not None
    ]
    return ShopDiagnosis(
        shop_id=shop_id,
        month=month,
        provisional=current.provisional,
        settings=settings,
        reference=month_reference(current, settings),
        summary=trend_point(current),
        verdicts=tuple(verdicts),
        causes=tuple(causes),
        flags=tuple(screening_flags(histories, settings, {c.agent_id: c for c in causes})),
        team=diagnose_team(data, month, settings),
        pairs=tuple(find_pairs(current, verdicts, settings, data)),
        stability=tuple(stability(data, month, settings)),
        histories=histories,
        streaks=streaks,
    )
