"""Data made inert where it is shown: terminal text, spreadsheet and CSV cells.

Names, titles and texts come from files anyone can write. Before they reach a terminal, a
spreadsheet or a CSV they pass through one of these functions, so that they are shown as the
characters they are and never act: a control character or escape sequence is replaced by a
visible stand-in, a bidirectional override is written out as its code, and a cell that a
spreadsheet would take for a formula is kept as text (OWASP's guidance on CSV injection).
The HTML report escapes its own way (kefu.report.html). Imports nothing from kefu.
`shown` wraps `visible` text for Rich, used by report/terminal.py and the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# C0 controls (but for the line feed), DEL, C1 controls, and the bidirectional embeddings,
# overrides and isolates that can make text read in another order than it is stored.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_NO_TAB = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A cell beginning with one of these is a formula to Excel, WPS, LibreOffice or Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX = 32_767  # the longest text an Excel cell holds


def _stand_in(m: re.Match[str]) -> str:
    ch = m.group(0)
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ … ␟ (␛ for ESC)
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"  # C1 and bidi controls have no picture: their code, readably


def visible(text: str, *, tabs: bool = False) -> str:
    """`text` with every control character shown instead of obeyed; line feeds are kept, and
    tabs too when `tabs`."""
    return (_CONTROL_NO_TAB if tabs else _CONTROL).sub(_stand_in, text)


def shown(text: str, style: str = "") -> Text:
    """Data for a Rich console or table: controls visible, and never read as Rich markup."""
    from rich.text import Text

    return Text(visible(text), style=style)


def csv_cell(value: object) -> object:
    """A CSV field: text made visible and, if it would start a formula, led by an apostrophe.

    Numbers pass unchanged (a negative amount stays a number); only text is guarded.
    """
    if not isinstance(value, str):
        return value
    text = visible(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def sheet_text(value: str) -> str:
    """Text for an xlsx cell: control characters visible (openpyxl refuses most of them),
    cut to Excel's 32,767 characters. The cell must still be marked as a string (see
    `inert_workbook`): a leading `=` would otherwise be stored as a formula."""
    text = visible(value)
    return text if len(text) <= XLSX_MAX else text[: XLSX_MAX - 1] + "…"


def sheet_row(values: Iterable[object]) -> list[object]:
    """A row for `Worksheet.append`: each text made `sheet_text`, other values unchanged."""
    return [sheet_text(v) if isinstance(v, str) else v for v in values]


def inert_workbook(workbook: object) -> object:
    """Every cell of an openpyxl workbook holding text is stored as text, never as a formula.

    kefu writes no formulas, so a cell openpyxl took for one (text starting with `=`) came
    from data: it is marked a plain string, which Excel shows and never evaluates.
    """
    for ws in getattr(workbook, "worksheets", []):
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type != "s":
                    cell.data_type = "s"
    return workbook
