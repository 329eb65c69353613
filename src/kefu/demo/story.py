"""The demo shop's story: its agents, the lesson each one illustrates, their monthly targets."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

STORY: dict[str, Any] = yaml.safe_load(
    resources.files("kefu.demo").joinpath("story.yaml").read_text(encoding="utf-8")
)
SHOP_ID: str = STORY["shop_id"]
SEASON: dict[int, float] = STORY["season"]
SLUMP_MONTHS_BACK: tuple[int, ...] = tuple(STORY["slump"]["months_back"])
SLUMP_CONVERSION: float = STORY["slump"]["conversion"]
SLUMP_SPEND: float = STORY["slump"]["spend"]
ERRATIC_SWING: tuple[float, ...] = tuple(STORY["erratic_swing"])
MIN_INQUIRIES: int = STORY["inquiries"]["min"]
MAX_INQUIRIES: int = STORY["inquiries"]["max"]
# The new hire's first, partial month is spent shadowing: too few inquiries to judge.
TRAINING_INQUIRIES: int = STORY["inquiries"]["training"]


@dataclass(frozen=True)
class AgentSpec:
    """One agent of the demo shop and how they work (story.yaml's `agents`)."""

    key: str  # the part they play in the story
    name: str
    role: str  # presale | aftersale
    team: str
    lesson: str  # what they illustrate, in English
    reaction_s: tuple[int, int]  # seconds before they start typing an answer
    cpm: float  # typing speed, characters per minute
    inquiries: int = 0  # inquiring buyers in an average month
    conversion: float = 0.0
    spend_yuan: float = 0.0  # 客单价 aimed at
    items: float = 0.0  # items per paying buyer aimed at
    bad_reviews: float = 0.0  # share of their reviews that are bad
    style: str = "warm"  # warm | upsell | curt
    hired_months_before: int = 24  # before the first month (the new hire: ignored)


CAST: tuple[AgentSpec, ...] = tuple(
    AgentSpec(**{**a, "reaction_s": tuple(a["reaction_s"])}) for a in STORY["agents"]
)
ROLES: tuple[str, ...] = tuple(a.key for a in CAST)


def agent_id(spec: AgentSpec) -> str:
    """The agent's sub-account, as 千牛 writes it: 店铺名:子账号."""
    return f"{SHOP_ID}:{spec.name}"


@dataclass(frozen=True)
class MonthTarget:
    """What one presale agent is set to reach in one month."""

    inquiries: int
    conversion: float
    spend_fen: int
    items: float


def month_list(end_month: str, months: int) -> list[str]:
    """The `months` months ending at `end_month`, as 'YYYY-MM'."""
    year, month = (int(x) for x in end_month.split("-"))
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def month_days(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of a 'YYYY-MM' month."""
    year, mon = (int(x) for x in month.split("-"))
    return dt.date(year, mon, 1), dt.date(year, mon, calendar.monthrange(year, mon)[1])


def add_months(day: dt.date, months: int, on_day: int) -> dt.date:
    """The date `months` months after (or before) `day`'s month, on day `on_day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, on_day)


def employment(spec: AgentSpec, months: list[str]) -> tuple[dt.date, dt.date | None]:
    """hired_on and left_on of an agent, placed relative to the story's months."""
    first, _ = month_days(months[0])
    last, _ = month_days(months[-1])
    if spec.key == "new-hire":
        return add_months(last, -2, 17), None
    day = 1 + spec.hired_months_before % 27  # any day of the month; fixed per agent
    hired = add_months(first, -spec.hired_months_before, day)
    if spec.key == "leaver":
        return hired, add_months(last, -4, 15)
    return hired, None


def employed_days(spec: AgentSpec, months: list[str], month: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of `month` on which the agent works, or None."""
    hired, left = employment(spec, months)
    start, end = month_days(month)
    start, end = max(start, hired), min(end, left) if left else end
    return (start, end) if start <= end else None


def plan(months: list[str]) -> dict[tuple[str, int], MonthTarget]:
    """Monthly targets per (agent key, month index) for every presale agent at work."""
    n = len(months)
    raw: dict[tuple[str, int], tuple[float, float, float, float]] = {}
    for spec in CAST:
        if spec.role != "presale":
            continue
        for i, month in enumerate(months):
            days = employed_days(spec, months, month)
            if days is None:
                continue
            back = n - 1 - i
            first, last = month_days(month)
            share = ((days[1] - days[0]).days + 1) / ((last - first).days + 1)
            season = SEASON[first.month]
            inquiries, conversion, spend = spec.inquiries * season, spec.conversion, spec.spend_yuan
            if spec.key == "erratic":
                swing = ERRATIC_SWING[back % len(ERRATIC_SWING)]
                inquiries = spec.inquiries * swing**0.35
                conversion *= swing**0.45
                spend *= swing**0.2
            elif spec.key == "stuck-low":
                conversion = min(0.46, spec.conversion + max(0, back - 7) * 0.08)  # the slide
            elif spec.key == "new-hire":
                conversion = max(0.24, spec.conversion - 0.035 * back)
            if back in SLUMP_MONTHS_BACK:
                conversion *= SLUMP_CONVERSION
                spend *= SLUMP_SPEND
            inquiries = min(MAX_INQUIRIES, max(MIN_INQUIRIES, inquiries * share))
            if spec.key == "new-hire" and days[0] == employment(spec, months)[0]:
                inquiries = TRAINING_INQUIRIES
            raw[spec.key, i] = (inquiries, conversion, spend, spec.items)
    _calibrate(raw, n)
    return {
        key: MonthTarget(round(q), c, round(s * 100), items)
        for key, (q, c, s, items) in raw.items()
    }


def _calibrate(raw: dict[tuple[str, int], tuple[float, float, float, float]], n: int) -> None:
    """Give the erratic agent the steady one's yearly total, and the question-1 pair equal sales."""

    def sales(key: str, i: int) -> float:
        q, c, s, _ = raw[key, i]
        return round(q) * c * s

    year = [i for i in range(max(0, n - 12), n) if ("steady", i) in raw and ("erratic", i) in raw]
    if year:
        factor = sum(sales("steady", i) for i in year) / sum(sales("erratic", i) for i in year)
        for i in range(n):
            if ("erratic", i) in raw:
                q, c, s, items = raw["erratic", i]
                raw["erratic", i] = (q, c, s * factor, items)
    last = n - 1
    if ("q1-efficient", last) in raw and ("q1-busy", last) in raw:
        q, c, s, items = raw["q1-busy", last]
        raw["q1-busy", last] = (
            q,
            c,
            s * sales("q1-efficient", last) / sales("q1-busy", last),
            items,
        )
