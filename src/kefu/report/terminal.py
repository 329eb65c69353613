"""The report for a terminal: the same sections as the HTML report, as text and rich tables.

Charts are left out, and so are the long month-by-month tables (the HTML and xlsx reports
carry them); everything a judgement rests on is shown.

Text from data reaches the terminal only through `shown` (or `kefu.inert.visible`): control
characters and escape sequences are made visible and Rich markup in a name is not markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.text import Text

from kefu.diagnosis.shop import ShopDiagnosis
from kefu.i18n import t as tr
from kefu.inert import visible
from kefu.report.content import COLOURS, Table, build
from kefu.report.fit import Col, Grid, print_grid

LONG = 20  # tables longer than this stay in the HTML/xlsx report
NUMERIC = ("int", "pct", "yuan", "num0", "num1", "num2")


def _markup(text: str) -> str:
    """Data for a place that takes Rich markup: visible and escaped."""
    return escape(visible(text))


RULE_WIDTH = 100  # section rules and prose stop here even on a wider (or piped) console


def print_report(d: ShopDiagnosis, console: Console, lang: str = "zh", wide: bool = False) -> None:
    """Every section that has something to show; tables fitted to the console's width."""
    report = build(d, lang)
    prose = min(console.width, RULE_WIDTH)
    console.print(
        f"[bold]{_markup(report.title)}[/] · {_markup(report.subtitle)}",
        highlight=False,
        width=prose,
    )
    for note in report.notes:
        console.print(Text(visible(note), style="yellow"), width=prose)
    for sec in report.sections:
        if sec.key == "settings":
            continue
        tables = [t for t in sec.tables if t.rows and len(t.rows) <= LONG]
        elsewhere = bool(sec.charts) or any(len(t.rows) > LONG for t in sec.tables)
        if not sec.paragraphs and not tables and not elsewhere:
            continue  # a section with nothing in it is not printed at all
        console.print(Rule(Text(visible(sec.title), style="bold")), width=prose)
        for p in sec.paragraphs:
            console.print(Text(visible(p)), width=prose)
        for t in tables:
            print_grid(console, grid(t, lang), lang, wide=wide, can_choose=False)
        if elsewhere:
            console.print(
                Text(tr("diagnose.more_in_report", lang, month=d.month), style="dim"), width=prose
            )


def grid(t: Table, lang: str) -> Grid:
    """A report table as a Grid: its first column names the row and is always shown."""
    cols = []
    for i, h in enumerate(t.headers):
        numeric = bool(t.rows) and t.rows[0][i].fmt in NUMERIC
        cols.append(Col(f"c{i}", h, numeric=numeric, identity=i == 0))
    g = Grid(columns=cols, title=t.title)
    for row in t.rows:
        g.add_row([c.text(lang) for c in row], tones=[COLOURS.get(c.tone or "") for c in row])
    return g
