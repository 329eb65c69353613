"""The cell and file-name quirks every platform's agent report shares, read exactly."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from kefu.io.cells import CellError, parse_count, parse_fen

# Rows that sit among the agent rows but are not an agent: skipped, and counted in a note.
SUMMARY_LABELS = frozenset(
    {"汇总", "均值", "合计", "总计", "平均", "平均值", "店铺汇总值", "店铺平均值", "总计值"}
)
# A cell that stands for a figure the platform has not settled yet, or does not give.
NOT_AVAILABLE = frozenset({"延迟统计", "-", "--", "—", "/", "N/A", "n/a", "暂无", "暂无数据"})

# How a figure adds up: counts, fen and seconds are sums over days and agents; the other
# kinds are a rate or a mean the report gives without its parts, never pooled.
ADDITIVE_KINDS = frozenset({"count", "fen", "seconds", "hours"})
KINDS = ADDITIVE_KINDS | {"rate", "mean_s", "ratio", "mean_fen"}


def norm_header(cell: str) -> str:
    """A header as matched: full-width forms folded (（）→()), spaces and BOM removed."""
    s = unicodedata.normalize("NFKC", cell).replace("\ufeff", "")
    return re.sub(r"\s+", "", s)


def is_summary(cell: str) -> bool:
    return norm_header(cell) in SUMMARY_LABELS


def is_not_available(cell: str) -> bool:
    return cell.strip() in NOT_AVAILABLE


_DURATION = re.compile(
    r"(?:(?P<d>\d+)天)?(?:(?P<h>\d+)(?:小时|时))?(?:(?P<m>\d+)(?:分钟|分))?(?:(?P<s>\d+(?:\.\d+)?)秒)?"
)
_CLOCK = re.compile(r"(?P<h>\d+):(?P<m>[0-5]\d):(?P<s>[0-5]\d(?:\.\d+)?)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _decimal(s: str) -> Fraction:
    try:
        return Fraction(Decimal(s))
    except InvalidOperation:  # pragma: no cover - the patterns admit decimals only
        raise CellError("io.cell.not_number", value=s) from None


def parse_duration_s(raw: str) -> Fraction:
    """Seconds, exactly: '7小时41分52秒' → 27712, '41分52秒', '52秒', '1:05:00', '32.5' (seconds)."""
    s = re.sub(r"\s+", "", raw).removesuffix("s")
    if _NUMBER.fullmatch(s):
        return _decimal(s)
    m = _CLOCK.fullmatch(s)
    if m:
        return int(m["h"]) * 3600 + int(m["m"]) * 60 + _decimal(m["s"])
    m = _DURATION.fullmatch(s)
    if not s or not m or not any(m.groupdict().values()):
        raise CellError("io.cell.not_duration", value=raw)
    return (
        int(m["d"] or 0) * 86400
        + int(m["h"] or 0) * 3600
        + int(m["m"] or 0) * 60
        + _decimal(m["s"] or "0")
    )


def parse_hours_s(raw: str) -> Fraction:
    """Seconds from hours written as a decimal ('7.5' → 27000) or as a duration text."""
    s = raw.strip()
    if _NUMBER.fullmatch(s):
        return _decimal(s) * 3600
    return parse_duration_s(s)


def parse_rate(raw: str) -> Fraction:
    """A rate, exactly: '55.3%' → 553/1000; a plain '0.553' is a fraction, a plain '55.3' > 1 a percent."""
    s = raw.strip().replace("％", "%")
    pct = s.endswith("%")
    s = s.removesuffix("%").strip()
    if not _NUMBER.fullmatch(s):
        raise CellError("io.cell.not_rate", value=raw)
    v = _decimal(s)
    if pct or v > 1:
        v /= 100
    if v > 1:
        raise CellError("io.cell.over_100", value=raw)
    return v


def parse_ratio(raw: str) -> Fraction:
    """A plain non-negative number, exactly ('1.25')."""
    s = raw.strip()
    if not _NUMBER.fullmatch(s):
        raise CellError("io.cell.not_number", value=raw)
    return _decimal(s)


def parse_figure(kind: str, raw: str) -> Fraction:
    """The exact value of one cell of a column of `kind` (fen and seconds are whole units when additive)."""
    if kind == "count":
        return Fraction(parse_count(raw.replace(",", ""), big=True))
    if kind in ("fen", "mean_fen"):
        return Fraction(parse_fen(raw))
    if kind in ("seconds", "mean_s"):
        return parse_duration_s(raw)
    if kind == "hours":
        return parse_hours_s(raw)
    if kind == "rate":
        return parse_rate(raw)
    return parse_ratio(raw)


# -- periods and credit rules from file names and title rows ------------------------------

_D = r"(\d{4})[-./年]?(\d{1,2})[-./月]?(\d{1,2})日?"
_RANGE = re.compile(_D + r"\s*(?:至|到|~|～|—|–|_|-)\s*" + _D)
_DAY = re.compile(r"(?<!\d)" + r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?" + r"(?!\d)")
_COMPACT_DAY = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_MONTH = re.compile(r"(?<!\d)(\d{4})[-./年](\d{1,2})月?(?!\d|[-./]\d)")


def _day(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def month_of(first: date) -> tuple[date, date]:
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def period_in_text(text: str) -> tuple[date, date] | None:
    """A period written in a file name or title: a range 'A至B', one day, or one month."""
    t = unicodedata.normalize("NFKC", text)
    m = _RANGE.search(t)
    if m:
        a, b = _day(*m.groups()[:3]), _day(*m.groups()[3:])
        if a and b and a <= b:
            return a, b
    m = _DAY.search(t) or _COMPACT_DAY.search(t)
    if m:
        d = _day(*m.groups())
        if d:
            return d, d
    m = _MONTH.search(t)
    if m and 1 <= int(m[2]) <= 12:
        return month_of(date(int(m[1]), int(m[2]), 1))
    return None


# The three credit rules of 生意参谋 and 赤兔 (下单 / 付款 / 下单优先判定), as kefu's attribution_rule.
CREDIT_RULES: tuple[tuple[str, str], ...] = (
    ("下单优先", "order_first"),
    ("付款判定", "paid"),
    ("下单判定", "order"),
)


def credit_rule_in_text(text: str) -> str | None:
    for word, rule in CREDIT_RULES:
        if word in text:
            return rule
    return None


def grain_of(start: date, end: date) -> str:
    """'day', 'month' (exactly one calendar month) or 'period' (any other span)."""
    if start == end:
        return "day"
    if start.day == 1 and month_of(start)[1] == end:
        return "month"
    return "period"
