"""A calendar month (`YYYY-MM`): parsed once, checked once, with its days and its neighbours.

Months travel through kefu as `YYYY-MM` text (dictionary keys, JSON, file names, SQL
parameters): that text sorts like the months it names. Whatever needs the month's parts —
its first or last day, the month N before, a range, its quarter — goes through `Month`
instead of slicing the text. A base module: any layer may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

# ASCII digits only: a bare \d also takes full-width digits
PATTERN = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, order=True)
class Month:
    """One calendar month; `str(Month(2024, 5))` is `2024-05`."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.year <= 9999 and 1 <= self.month <= 12):
            raise ValueError(f"not a month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM` exactly (01–12); ValueError otherwise (callers word their own refusal)."""
        found = PATTERN.fullmatch(text) if isinstance(text, str) else None
        if not found:
            raise ValueError(f"not a month: {text!r}")
        return cls(int(found.group(1)), int(found.group(2)))

    @staticmethod
    def valid(text: str) -> bool:
        """Whether `text` is a `YYYY-MM` month."""
        return isinstance(text, str) and PATTERN.fullmatch(text) is not None

    @classmethod
    def of(cls, day: date) -> Month:
        """The month a day falls in."""
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.shift(1).first_day - timedelta(days=1)

    @property
    def quarter(self) -> int:
        """1–4."""
        return (self.month - 1) // 3 + 1

    def shift(self, months: int) -> Month:
        """The month `months` later (earlier when negative)."""
        k = self.year * 12 + (self.month - 1) + months
        return Month(k // 12, k % 12 + 1)

    def quarter_start(self) -> Month:
        """The first month of this month's quarter."""
        return Month(self.year, (self.quarter - 1) * 3 + 1)

    def year_start(self) -> Month:
        return Month(self.year, 1)

    def through(self, last: Month) -> Iterator[Month]:
        """This month, each month after it, up to `last` (none when `last` is earlier)."""
        m = self
        while m <= last:
            yield m
            m = m.shift(1)


def month_texts(first: str, last: str) -> list[str]:
    """Every `YYYY-MM` from first to last, both included (ValueError on a bad month)."""
    return [str(m) for m in Month.parse(first).through(Month.parse(last))]
