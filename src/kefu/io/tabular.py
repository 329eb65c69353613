"""Reading a spreadsheet-shaped file (CSV/TSV text, xlsx, Parquet) into numbered rows of cell text.

Row numbers are the ones a person sees when opening the file in a spreadsheet: the file's
first row is 1 (so with the header on the first line, the first data row is 2), a quoted
cell spanning several lines is still one row, and blank rows are counted but skipped.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from kefu.i18n import Refusal
from kefu.io.records import Collector, ImportFileError

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class Sheet:
    """Rows of cell text with their row numbers; `name` is the sheet's name in a workbook."""

    name: str | None
    rows: list[tuple[int, list[str]]]
    unterminated: bool = False  # text whose last line has no newline (a possibly cut-off file)
    ragged: bool = (
        False  # rows may stop before the header's last column (xlsx leaves out empty cells)
    )
    # rows written in another encoding than the file's (kefu.io.encoding), and why
    odd_rows: dict[int, str] = field(default_factory=dict)


def read_delimited(text: str, file: str, odd_lines: Mapping[int, str] | None = None) -> Sheet:
    """Rows of a CSV (or tab-separated) text; the delimiter is taken from the first line.

    `odd_lines` (line number → reason) marks lines written in another encoding than the
    file's: the rows they belong to are `odd_rows`.
    """
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    odd_rows: dict[int, str] = {}
    pending = sorted(odd_lines or {})
    try:
        for n, cells in enumerate(reader, start=1):
            while pending and pending[0] <= reader.line_num:
                odd_rows.setdefault(n, (odd_lines or {})[pending.pop(0)])
            if "".join(cells).strip():
                rows.append((n, cells))
    except csv.Error as e:
        raise ImportFileError(
            "io.file.csv_row", file=file, row=reader.line_num, error=str(e)
        ) from None
    return Sheet(None, rows, unterminated=not text.endswith(("\n", "\r")), odd_rows=odd_rows)


def read_xlsx(data: bytes, file: str) -> list[Sheet]:
    """Every sheet of an xlsx workbook, cells rendered as text the way the CSV export writes them."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # a damaged workbook raises zip, XML, key and value errors alike
        raise _damaged(file, e) from None
    sheets = []
    try:
        for ws in wb.worksheets:
            ws.reset_dimensions()  # some generators write a wrong size; read what is there
            rows = []
            for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [xlsx_text(v) for v in values]
                if any(cells):
                    rows.append((n, cells))
            sheets.append(Sheet(ws.title, rows, ragged=True))
    except Exception as e:  # the sheets are parsed lazily: a cut-off or bad sheet fails here
        raise _damaged(file, e) from None
    finally:
        wb.close()
    return sheets


def _damaged(file: str, e: Exception) -> ImportFileError:
    detail = " ".join(str(e).split())[:120] or type(e).__name__
    if isinstance(e, zipfile.BadZipFile) or "zip" in detail.lower():
        detail = f"not a complete zip archive: {detail}"
    return ImportFileError("io.file.xlsx_damaged", file=file, detail=detail)


def xlsx_text(v: object) -> str:
    """A cell value as the text an export would have written."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.strftime("%H:%M:%S")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        if abs(v) >= 1e15:
            # an id Excel turned into a number has lost digits: show it as Excel holds it
            return repr(v)
        # Excel keeps ~15 significant digits; 6 places undo binary noise (19.900000000000002)
        return f"{v:.6f}".rstrip("0").rstrip(".")
    return str(v).strip()


def read_parquet(path: Path, file: str) -> Sheet:
    """A Parquet file as a header row (row 1) and one row per record (record i is row i + 1)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        header = list(table.column_names)
        columns = [[_parquet_text(v) for v in col.to_pylist()] for col in table.columns]
    except Exception as e:  # pyarrow raises several kinds for a damaged file or odd values
        detail = " ".join(str(e).split())[:200]
        raise ImportFileError("io.file.parquet", file=file, detail=detail) from None
    rows = [(1, header)]
    rows += [(i + 2, [c[i] for c in columns]) for i in range(table.num_rows)]
    return Sheet(None, rows)


def _parquet_text(v: object) -> str:
    # a time with a zone keeps it (as UTC): the importer converts it to the shop's zone
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC).isoformat(sep=" ")
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    return xlsx_text(v) if not isinstance(v, str) else v


def width_problem(sheet: Sheet, row_no: int, cells: list[str], width: int) -> Refusal | None:
    """Why a row does not line up with its header, or None when it does.

    Extra trailing fields are tolerated when they are empty: detail lists end every row
    with a comma, one field more than their header.
    """
    if len(cells) == width:
        return None
    if len(cells) < width and not sheet.ragged:
        if sheet.unterminated and sheet.rows and row_no == sheet.rows[-1][0]:
            return Refusal("io.row.cut_off", n=len(cells), width=width)
        return Refusal("io.row.fields", n=len(cells), width=width)
    if any(c.strip() for c in cells[width:]):
        return Refusal("io.row.fields", n=len(cells), width=width)
    return None


def data_rows(
    sheet: Sheet, header_index: int, width: int, pos: dict[str, int], col: Collector
) -> Iterator[tuple[int, list[str], dict[str, str]]]:
    """The rows under the header as (row number, cells, the row's mapped cells), counted in
    `col`; a row that does not line up with its header is rejected into `col` and skipped."""
    for row_no, cells in sheet.rows[header_index + 1 :]:
        col.rows_read += 1
        record = {name: cells[i] for name, i in pos.items() if i < len(cells)}
        odd = sheet.odd_rows.get(row_no)
        # the column whose text the other encoding changes: the first read with non-ASCII
        # text (when only columns kefu does not read differ, the row reads the same either way)
        name = next((n for n, v in record.items() if not v.isascii()), None) if odd else None
        if odd is not None and name is not None:
            col.reject(row_no, name, record[name], odd, record)
            continue
        problem = width_problem(sheet, row_no, cells, width)
        if problem:
            col.reject(row_no, None, None, problem, record)
            continue
        yield row_no, cells, record
