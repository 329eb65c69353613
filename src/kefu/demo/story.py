"""The demo shop's story: its agents, the lesson each one illustrates, their monthly targets."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

SHOP_ID = "小美旗舰店"

# Shop-wide demand by calendar month: 618 in June, 双11 in November, 春节 dip in February.
SEASON = {1: 0.85, 2: 0.62, 3: 0.9, 4: 0.95, 5: 1.0, 6: 1.35, 7: 0.92, 8: 0.9, 9: 0.95, 10: 1.0,
          11: 1.5, 12: 1.12}  # fmt: skip
# The whole-team slump: a price rise in these months, counted back from the last month.
SLUMP_MONTHS_BACK = (6, 5, 4)
SLUMP_CONVERSION = 0.55  # every presale agent converts ~45 % less
SLUMP_SPEND = 1.06  # the price rise lifts 客单价 a little
# The erratic agent's monthly swing (net sales multiplier), by months counted back from the last
# month; chosen so that it ignores the shop's seasons and the slump.
ERRATIC_SWING = (1.45, 0.5, 1.55, 0.45, 1.6, 1.55, 0.45, 1.6, 0.6, 0.55, 1.35, 0.6,
                 1.4, 1.5, 0.5, 0.45, 1.6, 0.55, 1.5, 0.6, 1.45, 0.5, 1.55, 0.6)  # fmt: skip
MIN_INQUIRIES, MAX_INQUIRIES = 150, 400


@dataclass(frozen=True)
class AgentSpec:
    """One agent of the demo shop and how they work."""

    key: str  # the part they play in the story
    name: str
    role: str  # presale | aftersale
    team: str
    lesson: str  # what they illustrate, in English
    inquiries: int  # inquiring buyers in an average month
    conversion: float
    spend_yuan: float  # 客单价 aimed at
    items: float  # items per paying buyer aimed at
    reaction_s: tuple[int, int]  # seconds before they start typing an answer
    cpm: float  # typing speed, characters per minute
    bad_reviews: float  # share of their reviews that are bad
    style: str  # warm | upsell | curt
    hired_months_before: int = 24  # before the first month (new hire: ignored)


CAST: tuple[AgentSpec, ...] = (
    AgentSpec("star", "小美", "presale", "售前一组",
              "high conversion and high 客单价 (the best quadrant): top net sales, commission "
              "every month, the quarterly bonus in most quarters",
              290, 0.52, 400, 2.0, (2, 8), 130, 0.004, "upsell", 40),
    AgentSpec("narrow-seller", "小兰", "presale", "售前一组",
              "high conversion but low 客单价: sells one item per buyer, never adds related "
              "products (train her on the range)",
              240, 0.56, 150, 1.04, (2, 8), 125, 0.015, "warm", 14),
    AgentSpec("slow-typist", "小林", "presale", "售前二组",
              "low conversion with high 客单价: answers late (first response 60-200 s) and "
              "types ~40 characters a minute; more bad reviews",
              220, 0.22, 420, 2.1, (75, 165), 44, 0.07, "warm", 26),
    AgentSpec("stuck-low", "小杜", "presale", "售前二组",
              "slid from average conversion to both low: low conversion and low 客单价 for "
              "the last months in a row (the article: screen out)",
              210, 0.22, 160, 1.35, (2, 7), 110, 0.045, "curt", 3),
    AgentSpec("steady", "小静", "presale", "售前一组",
              "question 2, the steady one: monthly net sales move with the shop's seasons",
              230, 0.40, 270, 1.6, (2, 9), 120, 0.02, "warm", 30),
    AgentSpec("erratic", "小飞", "presale", "售前二组",
              "question 2, the erratic one: a yearly total like 小静's, but months swing "
              "±60 % whatever the shop does",
              240, 0.40, 270, 1.6, (2, 10), 120, 0.025, "warm", 18),
    AgentSpec("q1-efficient", "小雨", "presale", "售前一组",
              "question 1: the same net sales as 小雪 in the latest month with far fewer "
              "inquiries, at ≥1.6 times her conversion",
              180, 0.50, 260, 1.6, (2, 8), 125, 0.02, "warm", 22),
    AgentSpec("q1-busy", "小雪", "presale", "售前二组",
              "question 1: handles many more inquiries than 小雨 for the same net sales, "
              "converting far fewer of them",
              320, 0.29, 260, 1.6, (3, 10), 120, 0.025, "warm", 10),
    AgentSpec("new-hire", "小橙", "presale", "售前二组",
              "hired mid-month two months before the latest month (prorated base, new-buyer "
              "commission weights); conversion ramps up",
              200, 0.33, 230, 1.5, (4, 14), 105, 0.03, "warm"),
    AgentSpec("leaver", "小叶", "presale", "售前一组",
              "left mid-month four months before the latest month (prorated base); no data "
              "after her last day",
              220, 0.36, 250, 1.5, (2, 9), 120, 0.025, "warm", 20),
    AgentSpec("aftersale", "阿杰", "aftersale", "售后组",
              "after-sale: logistics and returns for buyers who paid within the last 15 days; "
              "never an inquiry, base pay only",
              0, 0.0, 0, 0.0, (3, 12), 120, 0.0, "warm", 34),
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
    hired = add_months(first, -spec.hired_months_before, 1 + spec.hired_months_before % 27)
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
                conversion = 0.22 if back <= 7 else min(0.42, 0.22 + (back - 7) * 0.04)
            elif spec.key == "new-hire":
                conversion = max(0.24, spec.conversion - 0.035 * back)
            if back in SLUMP_MONTHS_BACK:
                conversion *= SLUMP_CONVERSION
                spend *= SLUMP_SPEND
            inquiries = min(MAX_INQUIRIES, max(MIN_INQUIRIES, inquiries * share))
            raw[spec.key, i] = (inquiries, conversion, spend, spec.items)
    _calibrate(raw, n)
    return {
        key: MonthTarget(round(q), c, round(s * 100), items) for key, (q, c, s, items) in raw.items()
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
        raw["q1-busy", last] = (q, c, s * sales("q1-efficient", last) / sales("q1-busy", last), items)
