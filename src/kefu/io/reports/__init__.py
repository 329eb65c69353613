"""The platforms' own agent reports (赤兔, 生意参谋, 飞鸽, 拼多多, 京东) read into reported figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kefu.i18n import t
from kefu.io.detect import sniff_binary
from kefu.io.encoding import decode
from kefu.io.records import ImportFileError
from kefu.io.reports import chitu, feige, jd, pdd, sycm, table
from kefu.io.reports.model import Column, Figure, ParsedReport, ReportRow, ReportSpec
from kefu.io.tabular import Sheet, read_delimited, read_xlsx, xlsx_text

SPECS: tuple[ReportSpec, ...] = (chitu.SPEC, sycm.SPEC, feige.SPEC, pdd.SPEC, jd.SPEC)
SPEC_BY_SOURCE: dict[str, ReportSpec] = {s.source: s for s in SPECS}

__all__ = [
    "SPECS",
    "SPEC_BY_SOURCE",
    "Column",
    "Figure",
    "ParsedReport",
    "ReportRow",
    "ReportSpec",
    "read_report",
]


def _sheets(path: Path, data: bytes) -> tuple[list[Sheet], str, str | None] | None:
    binary = sniff_binary(data)
    if binary == "xlsx":
        return read_xlsx(data, path.name), "xlsx", None
    if binary is not None:
        return None
    try:
        text, encoding = decode(data, path.name)
    except ImportFileError:
        return None
    return [read_delimited(text, path.name)], "csv", encoding


SNIFF_BYTES = 64 * 1024  # a report's header sits in its first lines


def _first_rows(path: Path) -> list[Sheet]:
    """The first rows of each sheet, read cheaply: enough to tell a report from any other file
    (an order export of a gigabyte is not read twice)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return []
    binary = sniff_binary(head)
    if binary == "xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception:  # not a workbook after all: the ordinary reader will say why
            return []
        sheets = []
        try:
            for ws in wb.worksheets:
                ws.reset_dimensions()  # some generators write a wrong size (as read_xlsx)
                rows = ws.iter_rows(max_row=table.HEADER_SEARCH_ROWS, values_only=True)
                cells = [(n, [xlsx_text(v) for v in r]) for n, r in enumerate(rows, start=1)]
                sheets.append(Sheet(ws.title, cells))
        finally:
            wb.close()
        return sheets
    if binary is not None:
        return []
    if len(head) == SNIFF_BYTES:
        head = head[: head.rfind(b"\n") + 1]  # whole lines: no character cut in two
    try:
        text, _ = decode(head, path.name)
    except ImportFileError:
        return []
    first = "\n".join(text.splitlines()[: table.HEADER_SEARCH_ROWS]) + "\n"
    try:
        return [read_delimited(first, path.name)]
    except ImportFileError:
        return []


first_rows = _first_rows  # also how kefu.io.service_evals tells its files apart cheaply


def read_report(
    path: Path, *, shop: str | None = None, period: tuple[date, date] | None = None
) -> ParsedReport | None:
    """The report in `path`, or None when the file is not an agent report kefu knows.

    Raises ImportFileError for a report that cannot be read (no shop, no period, or a JD
    file with columns kefu cannot match).
    """
    if not any(table.find_header(sheet, SPECS) for sheet in _first_rows(path)):
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    found = _sheets(path, data)
    if found is None:
        return None
    sheets, container, encoding = found
    for sheet in sheets:
        hit = table.find_header(sheet, SPECS)
        if hit is None:
            continue
        index, spec = hit
        parsed = table.parse(
            sheet,
            index,
            spec,
            file=path.name,
            fmt=f"{spec.source}-{container}",
            encoding=encoding,
            shop=shop,
            period=period,
        )
        if len(sheets) > 1:
            parsed.notes.append(t("reports.import.sheet", sheet=sheet.name, n=len(sheets)))
        return parsed
    return None
