"""The diagnosis settings: one registry, each with its default, bounds and help; shops override them.

A shop overrides a setting by storing `diagnosis.<name>` in its settings (the CLI reads
`store.settings(shop)`); `from_shop_settings` picks those keys out and checks each value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import Any, Literal

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
    help_zh: str
    help_en: str


REGISTRY: tuple[Setting, ...] = (
    Setting(
        "min_inquiries",
        30,
        "count",
        low=1,
        high=None,
        optional=False,
        help_zh="询单人数少于此数的客服月份不作判断(数据不足)",
        help_en="below this many inquiring buyers an agent-month gets no verdict (insufficient data)",
    ),
    Setting(
        "screen_months",
        3,
        "count",
        low=1,
        high=24,
        optional=False,
        help_zh="连续几个月两低即进入筛选复核; 团队规则也看这么多个月",
        help_en="consecutive both-low months that raise a screening review; also the team rule's months",
    ),
    Setting(
        "team_low_share",
        Fraction(1),
        "rate",
        low=0.01,
        high=1,
        optional=False,
        help_zh="团队规则: 有判断的售前客服中至少这一比例转化率偏低, 才判为运营和老板的问题",
        help_en="team rule: the share of presale agents with a verdict that must have low conversion",
    ),
    Setting(
        "target_conversion",
        None,
        "rate",
        low=0.0001,
        high=1,
        optional=True,
        help_zh="店铺目标转化率(如 0.35); 设了就代替团队值作为四象限和团队规则的参照",
        help_en="the shop's target conversion (e.g. 0.35); when set it is the reference instead of the team",
    ),
    Setting(
        "target_avg_spend_fen",
        None,
        "fen",
        low=1,
        high=None,
        optional=True,
        help_zh="店铺目标客单价(分, 如 19900 即 199 元); 设了就代替团队值作为参照",
        help_en="the shop's target spend per buyer in fen (19900 = 199 yuan); replaces the team value",
    ),
    Setting(
        "baseline_months",
        12,
        "count",
        low=1,
        high=36,
        optional=False,
        help_zh="团队规则无目标时的参照: 所看月份之前这么多个月的团队汇总值",
        help_en="team rule without targets: pool the team over this many months before the months judged",
    ),
    Setting(
        "spend_cv",
        Fraction(1),
        "number",
        low=0.05,
        high=10,
        optional=False,
        help_zh="没有逐单平方和时, 估计客单价区间所用的买家消费变异系数",
        help_en="coefficient of variation of spend per buyer assumed for the spend interval without sales_sq_fen",
    ),
    Setting(
        "cause_ratio",
        Fraction(5, 4),
        "number",
        low=1,
        high=10,
        optional=False,
        help_zh="原因分析: 响应时间、负荷高于同事这一倍数(或打字速度、答问比低于其倒数)算作原因",
        help_en="cause: times or load this many times the peers' (typing, answer ratio below 1/x) count",
    ),
    Setting(
        "cause_share_gap",
        Fraction(1, 20),
        "rate",
        low=0,
        high=1,
        optional=False,
        help_zh="原因分析: 慢响应、未回复占比高出同事这么多(百分点)算作原因",
        help_en="cause: slow-turn or unanswered share this far above the peers' (absolute) counts",
    ),
    Setting(
        "cause_shift_distance",
        Fraction(1, 4),
        "rate",
        low=0,
        high=1,
        optional=False,
        help_zh="原因分析: 接待时段分布与同事的差异(总变差距离)达到此值算作时段原因",
        help_en="cause: distance of the hour-of-day mix from the peers' (total variation) that counts",
    ),
    Setting(
        "pair_sales_tolerance",
        Fraction(1, 10),
        "rate",
        low=0,
        high=1,
        optional=False,
        help_zh="问题1: 两人净销售额相差不超过较大者的这一比例, 视为相同",
        help_en="question 1: net sales within this fraction of the larger count as equal",
    ),
    Setting(
        "pair_conversion_ratio",
        Fraction(3, 2),
        "number",
        low=1,
        high=100,
        optional=False,
        help_zh="问题1: 一人转化率至少是另一人的这么多倍",
        help_en="question 1: one conversion at least this many times the other",
    ),
    Setting(
        "stability_months",
        12,
        "count",
        low=3,
        high=36,
        optional=False,
        help_zh="问题2: 看最近这么多个月",
        help_en="question 2: the months looked at (the latest ones)",
    ),
    Setting(
        "stability_min_months",
        6,
        "count",
        low=3,
        high=36,
        optional=False,
        help_zh="问题2: 至少有这么多个数据充足的月份才分类",
        help_en="question 2: months with enough data needed before classifying",
    ),
    Setting(
        "steady_max_unexplained_cv",
        Fraction(1, 4),
        "number",
        low=0,
        high=10,
        optional=False,
        help_zh="问题2: 店铺大盘解释不了的月度波动(相对本人均值的残差标准差)超过此值为波动型",
        help_en="question 2: above this residual swing (share of their mean) the shop does not explain: erratic",
    ),
    Setting(
        "moves_with_shop_correlation",
        Fraction(1, 2),
        "number",
        low=-1,
        high=1,
        optional=False,
        help_zh="问题2: 稳定型中与店铺月净销售额相关系数达到此值的, 称为随大盘波动",
        help_en="question 2: a steady agent with at least this correlation moves with the shop",
    ),
    Setting(
        "break_deviation",
        Fraction(3, 10),
        "number",
        low=0,
        high=10,
        optional=False,
        help_zh="问题2: 某月偏离店铺大盘所预期的幅度超过本人均值的这一比例, 标为异常月",
        help_en="question 2: a month this far (share of their mean) from what the shop predicts breaks the pattern",
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


class SettingError(ValueError):
    pass


def parse_value(name: str, raw: Any) -> Any:
    """One setting, given as stored text or as its typed value, checked against its bounds."""
    if name not in BY_NAME:
        known = ", ".join(PREFIX + s.name for s in REGISTRY)
        raise SettingError(f"unknown diagnosis setting '{PREFIX}{name}'; known: {known}")
    s = BY_NAME[name]
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none", "null")):
        if s.optional:
            return None
        raise SettingError(f"{PREFIX}{name} cannot be empty (default {_show(s.default)})")
    value: int | Fraction
    try:
        if s.kind in ("count", "fen"):
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            value = int(str(raw).strip()) if not isinstance(raw, int) else raw
        else:
            value = Fraction(str(raw).strip()) if not isinstance(raw, Fraction) else raw
    except (TypeError, ValueError, ZeroDivisionError):
        what = "a whole number" if s.kind in ("count", "fen") else "a number such as 0.35"
        raise SettingError(f"{PREFIX}{name} must be {what}, not '{raw}'") from None
    if value < s.low or (s.high is not None and value > s.high):
        upper = f" and {_show(s.high)}" if s.high is not None else " or more"
        raise SettingError(f"{PREFIX}{name} must be {_show(s.low)}{upper}, not {_show(value)}")
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
            f"{PREFIX}stability_min_months ({out.stability_min_months}) cannot exceed "
            f"{PREFIX}stability_months ({out.stability_months})"
        )
    return out


def from_shop_settings(values: Mapping[str, Any]) -> DiagnosisSettings:
    """Settings from a shop's stored settings: only the `diagnosis.` keys are read."""
    return from_mapping({k[len(PREFIX) :]: v for k, v in values.items() if k.startswith(PREFIX)})
