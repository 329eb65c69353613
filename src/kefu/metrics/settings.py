"""The per-shop metric settings of metrics.md §4: one registry, each with its default and help."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from kefu import i18n
from kefu.io import shop_settings

ATTRIBUTION_RULES = ("order", "paid", "order_first")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any

    def help(self, lang: str | None = None) -> str:
        """What the setting means, from the message catalogue (`setting.<name>`)."""
        return i18n.t(f"setting.{self.name}", lang)


REGISTRY: tuple[Setting, ...] = (
    Setting(
        "attribution_rule",
        "order",
    ),
    Setting(
        "attribution_days",
        1,
    ),
    Setting(
        "session_gap_minutes",
        30,
    ),
    Setting(
        "aftersale_lookback_days",
        15,
    ),
    Setting(
        "repurchase_days",
        90,
    ),
    Setting(
        "slow_response_s",
        60,
    ),
    Setting(
        "off_hours",
        None,
    ),
    Setting(
        "ignored_accounts",
        (),
    ),
    Setting(
        "bot_accounts",
        (),
    ),
    Setting(
        "auto_reply_prefixes",
        ("[自动回复]", "自动回复"),
    ),
    # read by the importers (kefu.io.shop_settings), not by the metrics: stored times are
    # already shop time
    Setting("timezone", shop_settings.DEFAULT_TIMEZONE),
)
# settings other areas read; kept out of MetricSettings
IMPORT_ONLY = frozenset({"timezone"})
BY_NAME = {s.name: s for s in REGISTRY}

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class MetricSettings:
    attribution_rule: str = "order"
    attribution_days: int = 1
    session_gap_minutes: int = 30
    aftersale_lookback_days: int = 15
    repurchase_days: int = 90
    slow_response_s: int = 60
    off_hours: tuple[int, int] | None = None  # (start, end) minutes of the day, end exclusive
    ignored_accounts: tuple[str, ...] = ()
    bot_accounts: tuple[str, ...] = ()
    auto_reply_prefixes: tuple[str, ...] = ("[自动回复]", "自动回复")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "off_hours":
                v = None if v is None else format_off_hours(v)
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out


def format_off_hours(v: tuple[int, int]) -> str:
    return f"{v[0] // 60:02d}:{v[0] % 60:02d}-{v[1] // 60:02d}:{v[1] % 60:02d}"


class SettingError(i18n.Refusal, ValueError):
    """A setting value that is not valid: a catalogue key and values (kefu.i18n.Refusal)."""


def parse_value(name: str, raw: Any) -> Any:
    """Validate one setting given as text (CLI, store) or as its typed value."""
    if name not in BY_NAME:
        raise SettingError("setting.err.unknown", name=name, known=", ".join(BY_NAME))
    if name == "attribution_rule":
        if raw not in ATTRIBUTION_RULES:
            raise SettingError(
                "setting.err.rule", rules=", ".join(ATTRIBUTION_RULES), value=str(raw)
            )
        return raw
    if name in (
        "attribution_days",
        "session_gap_minutes",
        "aftersale_lookback_days",
        "repurchase_days",
        "slow_response_s",
    ):
        try:
            n = int(raw)
        except (TypeError, ValueError):
            raise SettingError("setting.err.whole", name=name, value=str(raw)) from None
        lo, hi = (
            (0, 15)
            if name == "attribution_days"
            else (0 if name != "session_gap_minutes" else 1, 10**6)
        )
        if not lo <= n <= hi:
            raise SettingError("setting.err.range", name=name, low=lo, high=hi, value=n)
        return n
    if name == "timezone":
        try:
            return shop_settings.parse_timezone(raw)
        except shop_settings.SettingError as e:
            raise SettingError(e.key, **e.values) from None
    if name == "off_hours":
        if raw in (None, "", "none"):
            return None
        if isinstance(raw, tuple):
            return raw
        parts = str(raw).replace("–", "-").split("-")
        if len(parts) != 2 or not all(_HHMM.match(p.strip()) for p in parts):
            raise SettingError("setting.err.off_hours", value=str(raw))
        a, b = (int(p.strip()[:2]) * 60 + int(p.strip()[3:]) for p in parts)
        if a == b:
            raise SettingError("setting.err.off_hours_same")
        return (a, b)
    # lists of accounts or prefixes
    if isinstance(raw, (list, tuple)):
        return tuple(str(x) for x in raw)
    return tuple(x.strip() for x in str(raw).split(",") if x.strip())


def from_mapping(values: Mapping[str, Any]) -> MetricSettings:
    """Settings from stored text values; what is not given keeps its default."""
    base = MetricSettings()
    # names with a dot belong to another area (e.g. `diagnosis.min_inquiries`)
    changes = {
        k: parse_value(k, v) for k, v in values.items() if "." not in k and k not in IMPORT_ONLY
    }
    return replace(base, **changes)


@dataclass(frozen=True)
class Preset:
    """A named set of metric settings matching a platform"s documented rules (docs/reports.md).

    Its description (`reports.preset.NAME`) and what kefu"s settings cannot express of the
    platform"s definition (`reports.preset.NAME.uncovered`) are in the message catalogue.
    """

    name: str
    values: Mapping[str, Any]

    def source(self, lang: str | None = None) -> str:
        from kefu import i18n

        return i18n.t(f"reports.preset.{self.name}", lang)

    def uncovered(self, lang: str | None = None) -> str:
        from kefu import i18n

        key = f"reports.preset.{self.name}.uncovered"
        return i18n.t(key, lang) if i18n.has(key) else ""


# The platforms' rules as kefu's settings; where each rule is documented, and what the settings
# cannot express, is in docs/reports.md (Definition presets) and in the catalogue.
PRESETS: tuple[Preset, ...] = (
    Preset("chitu-order-first", {"attribution_rule": "order_first", "attribution_days": 1}),
    Preset("chitu-order", {"attribution_rule": "order", "attribution_days": 1}),
    Preset("chitu-paid", {"attribution_rule": "paid", "attribution_days": 1}),
    Preset("taobao-order", {"attribution_rule": "order", "attribution_days": 1}),
    Preset("taobao-paid", {"attribution_rule": "paid", "attribution_days": 1}),
    Preset("taobao-order-first", {"attribution_rule": "order_first", "attribution_days": 1}),
    Preset("taobao-response", {"off_hours": "23:00-08:00"}),
    Preset("feige", {"off_hours": "23:00-08:00", "slow_response_s": 180}),
    Preset(
        "pdd",
        {
            "attribution_rule": "order_first",
            "attribution_days": 2,
            "off_hours": "23:00-08:00",
            "slow_response_s": 180,
        },
    ),
    Preset(
        "jd-24h",
        {
            "attribution_rule": "order",
            "attribution_days": 1,
            "off_hours": "23:00-09:00",
            "session_gap_minutes": 10,
        },
    ),
)
PRESET_BY_NAME = {p.name: p for p in PRESETS}
