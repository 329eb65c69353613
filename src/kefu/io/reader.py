"""The one entry point: read any supported file into a ParsedFile, or refuse it with one sentence."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from kefu.i18n import Refusal, t
from kefu.io import (
    canonical,
    douyin_orders,
    jd_orders,
    pdd_orders,
    platform_orders,
    qianniu_chat,
    taobao_orders,
    taobao_reviews,
)
from kefu.io.detect import (
    chat_format,
    check_kind,
    check_kind_name,
    find_header,
    sniff_binary,
    unknown_header,
)
from kefu.io.encoding import decode_file
from kefu.io.records import ImportFileError, ParsedFile
from kefu.io.shop_settings import (
    DEFAULT_AUTO_REPLY_PREFIXES,
    SettingError,
    ShopZones,
    from_mapping,
)
from kefu.io.tabular import Sheet, read_delimited, read_parquet, read_xlsx

ORDER_SHEET = "订单报表"
PLATFORM_SPECS = {s.fmt: s for s in (jd_orders.SPEC, douyin_orders.SPEC, pdd_orders.SPEC)}


def read_file(
    path: Path,
    *,
    kind: str | None = None,
    shop: str | None = None,
    bot_accounts: tuple[str, ...] = (),
    auto_reply_prefixes: tuple[str, ...] = DEFAULT_AUTO_REPLY_PREFIXES,
    zones: ShopZones | None = None,
) -> ParsedFile:
    """Read `path` as `kind` (detected from its content when None) for `shop` (when the file has none).

    Times that carry a zone become the wall-clock time of their shop's zone (`zones`,
    by default Asia/Shanghai for every shop); times without one are shop time already.
    Raises ImportFileError when the file cannot be read at all; rows that cannot be read
    are in the result's `quarantine`, and every other row is in its `table`.
    """
    zones = zones or ShopZones()
    check_kind_name(kind)
    path = Path(path)
    file = path.name
    if not path.exists():
        raise ImportFileError("io.file.missing", path=str(path))
    if path.is_dir():
        raise ImportFileError("io.file.folder", path=str(path))
    if not path.is_file():  # a device or a pipe (/dev/zero) could be read for ever
        raise ImportFileError("io.file.not_regular", path=str(path))
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ImportFileError(
            "io.file.unreadable", path=str(path), error=e.strerror or str(e)
        ) from None
    if not data.strip():
        raise ImportFileError("io.file.empty", file=file)

    binary = sniff_binary(data)
    if binary == "xls":
        raise ImportFileError("io.file.xls", file=file)
    if binary == "xlsx":
        return _from_xlsx(data, file, kind, shop, zones)
    if binary == "parquet":
        sheet = read_parquet(path, file)
        return _from_sheet(sheet, file, kind, shop, "parquet", None, zones)

    decoded = decode_file(data, file)
    text, encoding = decoded.text, decoded.encoding
    if not text.strip():
        raise ImportFileError("io.file.empty", file=file)
    nul = text.find("\x00")
    if nul >= 0:  # no text export holds one: a damaged or binary file (docs/importers.md)
        line = len(re.findall(r"\r\n|\r|\n", text[:nul])) + 1
        raise ImportFileError("io.file.nul", file=file, line=line)
    fmt = chat_format(text)
    if fmt is not None:
        check_kind(file, kind, "messages", Refusal("io.what.chat"))
        return qianniu_chat.parse(
            text,
            file=file,
            fmt=fmt,
            encoding=encoding,
            shop=shop,
            bot_accounts=tuple(bot_accounts),
            auto_reply_prefixes=tuple(auto_reply_prefixes),
            zones=zones,
            odd_lines=decoded.odd_lines,
        )
    sheet = read_delimited(text, file, decoded.odd_lines)
    return _from_sheet(sheet, file, kind, shop, "csv", encoding, zones)


def auto_reply(
    settings: Mapping[str, str], shop: str, warnings: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A shop's bot accounts and auto-reply prefixes from its settings; a bad value is
    reported in `warnings` and the defaults are used."""
    try:
        s = from_mapping(
            {k: v for k, v in settings.items() if k in ("bot_accounts", "auto_reply_prefixes")}
        )
    except SettingError as e:
        warnings.append(t("io.warn.auto_reply_ignored", None, shop=shop, error=e))
        return (), DEFAULT_AUTO_REPLY_PREFIXES
    return s.bot_accounts, s.auto_reply_prefixes


def read_for_shop(
    path: Path,
    *,
    kind: str | None,
    shop: str | None,
    settings: Callable[[str], Mapping[str, str]],
    zones: ShopZones,
    warnings: list[str],
) -> ParsedFile:
    """`read_file` with the shop's own auto-reply settings (`settings(shop)`): those of
    `shop`, or, for a 千牛 chat export whose sub-accounts name one shop, that shop's (the file
    is read again when they differ from the defaults it was first read with)."""
    bots, prefixes = (
        auto_reply(settings(shop), shop, warnings) if shop else ((), DEFAULT_AUTO_REPLY_PREFIXES)
    )
    pf = read_file(
        path, kind=kind, shop=shop, bot_accounts=bots, auto_reply_prefixes=prefixes, zones=zones
    )
    if pf.format.startswith("qianniu") and not shop and pf.table.num_rows:
        shops = set(pf.table.column("shop_id").to_pylist())
        if len(shops) == 1:
            only = shops.pop()
            shop_bots, shop_prefixes = auto_reply(settings(only), only, warnings)
            if (shop_bots, shop_prefixes) != (bots, prefixes):
                pf = read_file(
                    path,
                    kind=kind,
                    bot_accounts=shop_bots,
                    auto_reply_prefixes=shop_prefixes,
                    zones=zones,
                )
    return pf


def _from_xlsx(
    data: bytes, file: str, kind: str | None, shop: str | None, zones: ShopZones
) -> ParsedFile:
    sheets = read_xlsx(data, file)
    # the 订单报表 sheet of a multi-sheet 千牛 workbook first, then the others in order
    ordered = sorted(sheets, key=lambda s: s.name != ORDER_SHEET)
    for sheet in ordered:
        if find_header(sheet, file, kind) is not None:
            parsed = _from_sheet(sheet, file, kind, shop, "xlsx", None, zones)
            if len(sheets) > 1:
                parsed.notes.append(f"read the sheet '{sheet.name}' of {len(sheets)} sheets")
            return parsed
    if not any(s.rows for s in sheets):
        raise ImportFileError("io.file.empty", file=file)
    raise unknown_header(file, next(s for s in ordered if s.rows), kind)


def _from_sheet(
    sheet: Sheet,
    file: str,
    kind: str | None,
    shop: str | None,
    container: str,
    encoding: str | None,
    zones: ShopZones,
) -> ParsedFile:
    header = find_header(sheet, file, kind)
    if header is None:
        if not sheet.rows:
            raise ImportFileError("io.file.empty", file=file)
        raise unknown_header(file, sheet, kind)
    if header.family == "canonical":
        check_kind(file, kind, header.kind, Refusal("io.what.canonical"))
        return canonical.parse(
            sheet,
            header.index,
            kind=header.kind,
            file=file,
            fmt=f"canonical-{container}",
            encoding=encoding,
            shop=shop,
            zones=zones,
        )
    if header.family == "taobao-traderates":
        check_kind(file, kind, "reviews", Refusal("io.what.ratings"))
        return taobao_reviews.parse(
            sheet,
            header.index,
            file=file,
            fmt=f"taobao-traderates-{container}",
            encoding=encoding,
            shop=shop,
        )
    spec = PLATFORM_SPECS.get(header.family)
    if spec is not None:
        check_kind(file, kind, "orders", Refusal("io.what.platform_orders", platform=spec.platform))
        if container == "parquet":
            raise unknown_header(file, sheet, kind)
        return platform_orders.parse(
            spec,
            sheet,
            header.index,
            file=file,
            container=container,
            encoding=encoding,
            shop=shop,
            zones=zones,
        )
    check_kind(file, kind, "orders", Refusal("io.what.taobao_orders"))
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
        sheet, header.index, file=file, fmt=fmt, encoding=encoding, shop=shop, zones=zones
    )
