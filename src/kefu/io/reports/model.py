"""What a parsed agent report is: one record of reported figures per agent and period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from kefu.io.records import Quarantined


@dataclass(frozen=True)
class Column:
    """One report column: the figure it holds (kefu's field name where the meaning matches) and its kind."""

    field: str
    kind: str  # see quirks.KINDS


@dataclass(frozen=True)
class ReportSpec:
    """A platform's report: its columns by header, how to recognise it, and its credit rule."""

    source: str  # chitu | sycm | feige | pdd | jd
    label_zh: str
    label_en: str
    agent_columns: tuple[str, ...]  # the first present names the agent (sub-account)
    columns: dict[str, Column]  # normalised header → column; earlier headers win a field
    signature: frozenset[str]  # headers only this report carries: detection
    team_columns: tuple[str, ...] = ()
    date_columns: tuple[str, ...] = ("日期", "统计日期", "时间", "统计时间", "日期范围")
    ignored_columns: frozenset[str] = frozenset()  # known, deliberately not read (times of day)
    credit_rule: str | None = None  # the platform's own, documented rule when fixed
    strict: bool = False  # refuse a file with columns kefu cannot match (JD)


@dataclass(frozen=True)
class Figure:
    """One reported figure, exact: value = numerator / denominator; not `available` for placeholders."""

    field: str
    kind: str
    numerator: int
    denominator: int
    text: str  # the cell as written
    column: str  # the header it came from
    available: bool = True

    @property
    def value(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)


@dataclass(frozen=True)
class ReportRow:
    """One agent's reported figures for one period (a day, a month, or another span)."""

    row_no: int
    shop_id: str
    agent_id: str
    agent_name: str
    team: str | None
    period_start: date
    period_end: date
    figures: tuple[Figure, ...]


@dataclass
class ParsedReport:
    """A report file read: its rows, what was skipped, and what could not be read."""

    file: str
    source: str
    format: str
    encoding: str | None
    credit_rule: str | None
    rows: list[ReportRow] = field(default_factory=list)
    rows_read: int = 0
    summary_rows: int = 0
    quarantine: list[Quarantined] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
