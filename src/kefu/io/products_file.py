"""The shop's product file (`kefu products import`): category, launch date and stage per product."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kefu.i18n import Refusal
from kefu.io.cells import CellError, clean, parse_timestamp
from kefu.io.detect import header_names
from kefu.io.encoding import decode_file
from kefu.io.records import ImportFileError, Quarantined, quarantined
from kefu.io.tabular import Sheet, read_delimited, read_xlsx, width_problem

# Each field and the headers that name it (English as `kefu products list` writes them,
# Chinese as a shop writes them).
HEADERS: dict[str, tuple[str, ...]] = {
    "product_id": ("product_id", "商品ID", "商品id", "商品编码", "商家编码"),
    "title": ("title", "商品标题", "标题", "商品名称"),
    "category": ("category", "类目", "品类"),
    "launched_on": ("launched_on", "上新日期", "上架日期", "上市日期"),
    "stage": ("stage", "阶段", "产品阶段"),
}
# What a shop may write as a stage, and the stage it means ('' = derived from the dates).
STAGES: dict[str, str] = {
    "new": "new",
    "新品": "new",
    "新产品": "new",
    "established": "established",
    "老品": "established",
    "老产品": "established",
    "auto": "",
    "自动": "",
}


@dataclass
class ProductsFile:
    """The rows of a product file, the fields it gives, and the rows set aside (with why)."""

    file: str
    rows: list[dict[str, Any]]
    fields: list[str]
    rows_read: int = 0
    quarantine: list[Quarantined] = field(default_factory=list)


def read_products(path: Path) -> ProductsFile:
    """Read a product file (CSV or xlsx); a row that cannot be read is quarantined with why."""
    file = path.name
    if not path.is_file():
        raise ImportFileError("products.file_missing", path=str(path))
    data = path.read_bytes()
    if data[:2] == b"PK":
        sheet: Sheet = read_xlsx(data, file)[0]
    else:
        sheet = read_delimited(decode_file(data, file).text, file)
    if not sheet.rows:
        raise ImportFileError("products.file_empty", file=file)
    _, header = sheet.rows[0]
    pos: dict[str, int] = {}
    for i, name in enumerate(header_names(header)):
        for fld, names in HEADERS.items():
            if name.strip() in names and fld not in pos:
                pos[fld] = i
    if "product_id" not in pos:
        raise ImportFileError(
            "products.no_id_column", file=file, names=", ".join(HEADERS["product_id"])
        )
    out = ProductsFile(file=file, rows=[], fields=[f for f in HEADERS if f in pos])
    seen: dict[str, int] = {}
    for row_no, cells in sheet.rows[1:]:
        out.rows_read += 1
        record = {f: cells[i] for f, i in pos.items() if i < len(cells)}
        problem = width_problem(sheet, row_no, cells, len(header))
        if problem:
            out.quarantine.append(quarantined(file, row_no, None, None, problem, record))
            continue
        row: dict[str, Any] = {f: clean(record.get(f, "")) or None for f in pos}
        if not row["product_id"]:
            out.quarantine.append(
                quarantined(file, row_no, "product_id", "", Refusal("products.empty_id"), record)
            )
            continue
        try:
            if row.get("launched_on"):
                row["launched_on"] = _date(row["launched_on"])
            if "stage" in pos:
                raw = row.get("stage") or ""
                if raw not in STAGES and raw != "":
                    raise _Bad(
                        "stage", Refusal("products.bad_stage", value=raw, stages=", ".join(STAGES))
                    )
                row["stage"] = STAGES.get(raw, "") or None
        except _Bad as e:
            out.quarantine.append(
                quarantined(file, row_no, e.column, record.get(e.column), e.reason, record)
            )
            continue
        if row["product_id"] in seen:
            out.quarantine.append(
                quarantined(
                    file,
                    row_no,
                    "product_id",
                    row["product_id"],
                    Refusal("products.duplicate", row=seen[row["product_id"]]),
                    record,
                )
            )
            continue
        seen[row["product_id"]] = row_no
        out.rows.append(row)
    return out


class _Bad(Exception):
    def __init__(self, column: str, reason: Refusal) -> None:
        super().__init__(str(reason))
        self.column, self.reason = column, reason


def _date(v: str) -> date:
    try:
        return parse_timestamp(v, date_only_ok=True).date()
    except CellError as e:
        raise _Bad("launched_on", e) from None
