"""Reports: a diagnosis as one self-contained HTML file or as an xlsx workbook, same content."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kefu.diagnosis.shop import ShopDiagnosis

if TYPE_CHECKING:
    from kefu.report.content import Section

FORMATS = (".html", ".xlsx")


def write_report(
    d: ShopDiagnosis, path: str | Path, lang: str = "zh", extra: Sequence[Section] = ()
) -> Path:
    """Write the report in the format its file name asks for (.html or .xlsx); `extra`
    sections (a platform report's source, a reconciliation) follow the diagnosis."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix == ".html":
        from kefu.report.html import write_html

        return write_html(d, out, lang, extra)
    if suffix == ".xlsx":
        from kefu.report.xlsx import write_xlsx

        return write_xlsx(d, out, lang, extra)
    raise ValueError(f"a report is written as .html or .xlsx, not '{out.name}'")


__all__ = ["FORMATS", "write_report"]
