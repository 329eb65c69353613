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
from kefu.io.tabular import Sheet, read_delimited, read_xlsx

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


def read_report(
    path: Path, *, shop: str | None = None, period: tuple[date, date] | None = None
) -> ParsedReport | None:
    """The report in `path`, or None when the file is not an agent report kefu knows.

    Raises ImportFileError for a report that cannot be read (no shop, no period, or a JD
    file with columns kefu cannot match).
    """
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
