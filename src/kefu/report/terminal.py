"""The report for a terminal: the same sections as the HTML report, as text and rich tables.

Charts are left out, and so are the long month-by-month tables (the HTML and xlsx reports
carry them); everything a judgement rests on is shown.

Text from data reaches the terminal only through `shown` (or `kefu.inert.visible`): control
characters and escape sequences are made visible and Rich markup in a name is not markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable
from rich.text import Text

from kefu.diagnosis.shop import ShopDiagnosis
from kefu.inert import shown, visible
from kefu.report.content import COLOURS, Cell, Table, build

LONG = 20  # tables longer than this stay in the HTML/xlsx report
NUMERIC = ("int", "pct", "yuan", "num0", "num1", "num2")


def _markup(text: str) -> str:
    """Data for a place that takes Rich markup: visible and escaped."""
    return escape(visible(text))


def print_report(d: ShopDiagnosis, console: Console, lang: str = "zh") -> None:
    report = build(d, lang)
    console.print(f"[bold]{_markup(report.title)}[/] · {_markup(report.subtitle)}", highlight=False)
    for note in report.notes:
        console.print(shown(note, "yellow"), highlight=False)
    for sec in report.sections:
        if sec.key == "settings":
            continue
        console.rule(f"[bold]{_markup(sec.title)}")
        for p in sec.paragraphs:
            console.print(shown(p), highlight=False)
        for t in sec.tables:
            if len(t.rows) <= LONG:
                console.print(rich_table(t, lang))


def rich_table(t: Table, lang: str) -> RichTable:
    title = shown(t.title) if t.title else None
    out = RichTable(title=title, title_justify="left", show_lines=False)
    for i, h in enumerate(t.headers):
        numeric = bool(t.rows) and t.rows[0][i].fmt in NUMERIC
        out.add_column(shown(h), justify="right" if numeric else "left", overflow="fold")
    for row in t.rows:
        out.add_row(*(_cell(c, lang) for c in row))
    return out


def _cell(c: Cell, lang: str) -> Text:
    return shown(c.text(lang), COLOURS[c.tone] if c.tone else "")
