"""The one entry point: read any supported file into a ParsedFile, or refuse it with one sentence."""

from __future__ import annotations

from pathlib import Path

from kefu.io import canonical, qianniu_chat, taobao_orders
from kefu.io.detect import (
    chat_format,
    check_kind,
    check_kind_name,
    find_header,
    sniff_binary,
    unknown_header,
)
from kefu.io.encoding import decode
from kefu.io.records import ImportFileError, ParsedFile
from kefu.io.tabular import Sheet, read_delimited, read_parquet, read_xlsx

DEFAULT_AUTO_REPLY_PREFIXES = ("[自动回复]", "自动回复")
ORDER_SHEET = "订单报表"


def read_file(
    path: Path,
    *,
    kind: str | None = None,
    shop: str | None = None,
    bot_accounts: tuple[str, ...] = (),
    auto_reply_prefixes: tuple[str, ...] = DEFAULT_AUTO_REPLY_PREFIXES,
) -> ParsedFile:
    """Read `path` as `kind` (detected from its content when None) for `shop` (when the file has none).

    Raises ImportFileError when the file cannot be read at all; rows that cannot be read
    are in the result's `quarantine`, and every other row is in its `table`.
    """
    check_kind_name(kind)
    path = Path(path)
    file = path.name
    if not path.exists():
        raise ImportFileError(f"{path}: no such file")
    if path.is_dir():
        raise ImportFileError(f"{path} is a folder: give the files in it (e.g. {path}/*.csv)")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ImportFileError(f"{path} cannot be read: {e.strerror or e}") from None
    if not data.strip():
        raise ImportFileError(f"{file} is empty: there is nothing to import")

    binary = sniff_binary(data)
    if binary == "xls":
        raise ImportFileError(
            f"{file} is an old Excel .xls workbook, which kefu does not read: save it as .xlsx or CSV"
        )
    if binary == "xlsx":
        return _from_xlsx(data, file, kind, shop)
    if binary == "parquet":
        sheet = read_parquet(path, file)
        return _from_sheet(sheet, file, kind, shop, "parquet", None)

    text, encoding = decode(data, file)
    if not text.strip():
        raise ImportFileError(f"{file} is empty: there is nothing to import")
    fmt = chat_format(text)
    if fmt is not None:
        check_kind(file, kind, "messages", "千牛 chat text")
        return qianniu_chat.parse(
            text,
            file=file,
            fmt=fmt,
            encoding=encoding,
            shop=shop,
            bot_accounts=tuple(bot_accounts),
            auto_reply_prefixes=tuple(auto_reply_prefixes),
        )
    return _from_sheet(read_delimited(text, file), file, kind, shop, "csv", encoding)


def _from_xlsx(data: bytes, file: str, kind: str | None, shop: str | None) -> ParsedFile:
    sheets = read_xlsx(data, file)
    # the 订单报表 sheet of a multi-sheet 千牛 workbook first, then the others in order
    ordered = sorted(sheets, key=lambda s: s.name != ORDER_SHEET)
    for sheet in ordered:
        if find_header(sheet, file, kind) is not None:
            parsed = _from_sheet(sheet, file, kind, shop, "xlsx", None)
            if len(sheets) > 1:
                parsed.notes.append(f"read the sheet '{sheet.name}' of {len(sheets)} sheets")
            return parsed
    if not any(s.rows for s in sheets):
        raise ImportFileError(f"{file} is empty: there is nothing to import")
    raise unknown_header(file, next(s for s in ordered if s.rows), kind)


def _from_sheet(
    sheet: Sheet,
    file: str,
    kind: str | None,
    shop: str | None,
    container: str,
    encoding: str | None,
) -> ParsedFile:
    header = find_header(sheet, file, kind)
    if header is None:
        if not sheet.rows:
            raise ImportFileError(f"{file} is empty: there is nothing to import")
        raise unknown_header(file, sheet, kind)
    if header.family == "canonical":
        check_kind(file, kind, header.kind, "a canonical table")
        return canonical.parse(
            sheet,
            header.index,
            kind=header.kind,
            file=file,
            fmt=f"canonical-{container}",
            encoding=encoding,
            shop=shop,
        )
    check_kind(file, kind, "orders", "a Taobao/Tmall order export")
    if header.family == "taobao-detail":
        if container == "parquet":
            raise unknown_header(file, sheet, kind)
        return taobao_orders.parse_detail(
            sheet,
            header.index,
            file=file,
            fmt=f"taobao-detail-{container}",
            encoding=encoding,
            shop=shop,
        )
    if container == "parquet":
        raise unknown_header(file, sheet, kind)
    fmt = "tmall-order-report" if header.tmall_report else f"taobao-export-{container}"
    return taobao_orders.parse_orders(
        sheet, header.index, file=file, fmt=fmt, encoding=encoding, shop=shop
    )
