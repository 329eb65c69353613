"""The diagnosis settings: one registry, each with its default, bounds and help; shops override them.

A shop overrides a setting by storing `diagnosis.<name>` in its settings (the CLI reads
`store.settings(shop)`); `from_shop_settings` picks those keys out and checks each value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import Any, Literal

from kefu import i18n

PREFIX = "diagnosis."

Kind = Literal["count", "number", "rate", "fen"]


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    kind: Kind  # count: whole number; number: decimal; rate: a fraction 0–1; fen: whole fen
    low: float  # smallest allowed value (inclusive)
    high: float | None  # largest allowed value (inclusive), None for no bound
    optional: bool  # may be unset (None)

    def help(self, lang: str | None = None) -> str:
        """What the setting means, from the message catalogue (`setting.diagnosis.<name>`)."""
        return i18n.t(f"setting.diagnosis.{self.name}", lang)


REGISTRY: tuple[Setting, ...] = (
    Setting(
        "min_inquiries",
        30,
        "count",
        low=1,
        high=None,
        optional=False,
    ),
    Setting(
        "screen_months",
        3,
        "count",
        low=1,
        high=24,
        optional=False,
    ),
    Setting(
        "team_low_share",
        Fraction(1),
        "rate",
        low=0.01,
        high=1,
        optional=False,
    ),
    Setting(
        "target_conversion",
        None,
        "rate",
        low=0.0001,
        high=1,
        optional=True,
    ),
    Setting(
        "target_avg_spend_fen",
        None,
        "fen",
        low=1,
        high=None,
        optional=True,
    ),
    Setting(
        "baseline_months",
        12,
        "count",
        low=1,
        high=36,
        optional=False,
    ),
    Setting(
        "spend_cv",
        Fraction(1),
        "number",
        low=0.05,
        high=10,
        optional=False,
    ),
    Setting(
        "cause_ratio",
        Fraction(5, 4),
        "number",
        low=1,
        high=10,
        optional=False,
    ),
    Setting(
        "cause_share_gap",
        Fraction(1, 20),
        "rate",
        low=0,
        high=1,
        optional=False,
    ),
    Setting(
        "cause_shift_distance",
        Fraction(1, 4),
        "rate",
        low=0,
        high=1,
        optional=False,
    ),
    Setting(
        "pair_sales_tolerance",
        Fraction(1, 10),
        "rate",
        low=0,
        high=1,
        optional=False,
    ),
    Setting(
        "pair_conversion_ratio",
        Fraction(3, 2),
        "number",
        low=1,
        high=100,
        optional=False,
    ),
    Setting(
        "stability_months",
        12,
        "count",
        low=3,
        high=36,
        optional=False,
    ),
    Setting(
        "stability_min_months",
        6,
        "count",
        low=3,
        high=36,
        optional=False,
    ),
    Setting(
        "steady_max_unexplained_cv",
        Fraction(1, 4),
        "number",
        low=0,
        high=10,
        optional=False,
    ),
    Setting(
        "moves_with_shop_correlation",
        Fraction(1, 2),
        "number",
        low=-1,
        high=1,
        optional=False,
    ),
    Setting(
        "break_deviation",
        Fraction(3, 10),
        "number",
        low=0,
        high=10,
        optional=False,
    ),
    Setting(
        "mix_reference",
        1,
        "count",
        low=0,
        high=1,
        optional=False,
    ),
    Setting(
        "min_stratum",
        20,
        "count",
        low=1,
        high=None,
        optional=False,
    ),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in REGISTRY}


@dataclass(frozen=True)
class DiagnosisSettings:
    min_inquiries: int = 30
    screen_months: int = 3
    team_low_share: Fraction = Fraction(1)
    target_conversion: Fraction | None = None
    target_avg_spend_fen: int | None = None
    baseline_months: int = 12
    spend_cv: Fraction = Fraction(1)
    cause_ratio: Fraction = Fraction(5, 4)
    cause_share_gap: Fraction = Fraction(1, 20)
    cause_shift_distance: Fraction = Fraction(1, 4)
    pair_sales_tolerance: Fraction = Fraction(1, 10)
    pair_conversion_ratio: Fraction = Fraction(3, 2)
    stability_months: int = 12
    stability_min_months: int = 6
    steady_max_unexplained_cv: Fraction = Fraction(1, 4)
    moves_with_shop_correlation: Fraction = Fraction(1, 2)
    break_deviation: Fraction = Fraction(3, 10)
    mix_reference: int = 1  # 1: judge against the team on the agent's own mix where data allows
    min_stratum: int = 20  # a stratum with fewer team buyers takes a coarser stratum's rate

    @property
    def months_needed(self) -> int:
        """How many months up to the month diagnosed every rule reads."""
        return max(self.screen_months + self.baseline_months, self.stability_months)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = float(v) if isinstance(v, Fraction) else v
        return out


class SettingError(i18n.Refusal, ValueError):
    """A diagnosis setting that is not valid: a catalogue key and values (kefu.i18n.Refusal)."""


def parse_value(name: str, raw: Any) -> Any:
    """One setting, given as stored text or as its typed value, checked against its bounds."""
    if name not in BY_NAME:
        known = ", ".join(PREFIX + s.name for s in REGISTRY)
        raise SettingError("setting.err.diagnosis_unknown", name=PREFIX + name, known=known)
    s = BY_NAME[name]
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none", "null")):
        if s.optional:
            return None
        raise SettingError("setting.err.empty", name=PREFIX + name, default=_show(s.default))
    value: int | Fraction
    try:
        if s.kind in ("count", "fen"):
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            value = int(str(raw).strip()) if not isinstance(raw, int) else raw
        else:
            value = Fraction(str(raw).strip()) if not isinstance(raw, Fraction) else raw
    except (TypeError, ValueError, ZeroDivisionError):
        key = "setting.err.whole" if s.kind in ("count", "fen") else "setting.err.number"
        raise SettingError(key, name=PREFIX + name, value=str(raw)) from None
    if value < s.low or (s.high is not None and value > s.high):
        low, shown = _show(s.low), _show(value)
        if s.high is None:
            raise SettingError("setting.err.at_least", name=PREFIX + name, low=low, value=shown)
        high = _show(s.high)
        raise SettingError(
            "setting.err.between", name=PREFIX + name, low=low, high=high, value=shown
        )
    return value


def _show(v: Any) -> str:
    if isinstance(v, Fraction):
        return str(float(v))
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def from_mapping(values: Mapping[str, Any]) -> DiagnosisSettings:
    """Settings from bare names (`min_inquiries`); what is not given keeps its default."""
    changes = {k: parse_value(k, v) for k, v in values.items()}
    out = replace(DiagnosisSettings(), **changes)
    if out.stability_min_months > out.stability_months:
        raise SettingError(
            "setting.err.stability",
            prefix=PREFIX,
            low=out.stability_min_months,
            high=out.stability_months,
        )
    return out


def from_shop_settings(values: Mapping[str, Any]) -> DiagnosisSettings:
    """Settings from a shop's stored settings: only the `diagnosis.` keys are read."""
    return from_mapping({k[len(PREFIX) :]: v for k, v in values.items() if k.startswith(PREFIX)})


def setting_areas() -> list[tuple[str, Any]]:
    """Every per-shop settings registry a shop can change: the metric settings by their bare
    names, the diagnosis thresholds as `diagnosis.NAME` (kefu settings and the workplace)."""
    import sys

    from kefu.metrics import settings as metric_settings

    return [("", metric_settings), (PREFIX, sys.modules[__name__])]


def known_settings() -> dict[str, tuple[str, Any]]:
    """Each setting's full name → (its area's prefix, the area's registry module)."""
    return {prefix + s.name: (prefix, m) for prefix, m in setting_areas() for s in m.REGISTRY}
