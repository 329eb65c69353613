"""Recognising what a file is — kind and format — from its first bytes, header row or first lines."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kefu.i18n import Refusal
from kefu.inert import visible
from kefu.io.records import KINDS, ImportFileError
from kefu.io.tabular import Sheet

HEADER_SEARCH_ROWS = 10  # a header may sit below a title row or two (千牛 xlsx)

# canonical kinds, recognised by the columns that only they carry
CANONICAL_SIGNATURES: dict[str, frozenset[str]] = {
    "messages": frozenset({"sent_at", "sender"}),
    "orders": frozenset({"order_id", "created_at"}),
    "reviews": frozenset({"order_id", "rating"}),
    "agents": frozenset({"agent_id", "role"}),
}

TMALL_REPORT_HEADER = frozenset(
    {
        "订单编号",
        "总金额",
        "买家实际支付金额",
        "收货地址",
        "订单创建时间",
        "订单付款时间",
        "退款金额",
    }
)


TAOBAO_ORDER_HINTS = frozenset(
    {
        "订单创建时间",
        "订单付款时间",
        "总金额",
        "买家实际支付金额",
        "买家实付金额",
        "买家会员名",
        "订单状态",
    }
)


# Other platforms' order exports, by the columns only they carry (docs/importers.md); the
# format names the reader (kefu.io.jd_orders, douyin_orders, pdd_orders).
PLATFORM_ORDERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("douyin-orders", frozenset({"主订单编号", "子订单编号", "订单提交时间"})),
    ("jd-orders", frozenset({"订单号", "下单时间"})),
    ("pdd-orders", frozenset({"订单号", "订单成交时间"})),
)

# Taobao buyers' ratings saved with the TOP API's field names (kefu.io.taobao_reviews)
TRADERATES = frozenset({"tid", "result", "created"})


@dataclass(frozen=True)
class Header:
    """Where a sheet's header is, and what it says the file is."""

    index: int  # position in Sheet.rows
    kind: str
    family: str  # "canonical" | "taobao-orders" | "taobao-detail" | a PLATFORM_ORDERS format
    tmall_report: bool = False


def sniff_binary(data: bytes) -> str | None:
    """'xlsx', 'parquet' or 'xls' from a file's magic bytes; None for text."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    return None


def header_names(cells: list[str]) -> list[str]:
    """Header cells as matched: trimmed of spaces (real exports have '订单付款时间 ')."""
    return [c.strip().strip("\ufeff").strip() for c in cells]


def classify_header(cells: list[str], wanted: str | None = None) -> Header | None:
    """What a header row says a file is, or None when it is not a header kefu knows."""
    names = set(header_names(cells))
    for family, signature in PLATFORM_ORDERS:
        if signature <= names:
            return Header(0, "orders", family)
    if {n.lower() for n in names} >= TRADERATES:
        return Header(0, "reviews", "taobao-traderates")
    if len(names & TAOBAO_ORDER_HINTS) >= 2 and not names & {"订单编号", "主订单编号"}:
        # an order export that lost its id column: say so, rather than "unknown file"
        return Header(0, "orders", "taobao-orders")
    if "订单编号" in names or "主订单编号" in names:
        if "购买数量" in names:
            return Header(0, "orders", "taobao-detail")
        if "订单编号" in names:
            return Header(0, "orders", "taobao-orders", tmall_report=names == TMALL_REPORT_HEADER)
        return None
    from kefu.io.canonical import canonical_header  # (canonical reads this module's helpers)

    lower = {canonical_header(n) for n in names}  # agents files may use Chinese headers
    kinds = [k for k, sig in CANONICAL_SIGNATURES.items() if sig <= lower]
    if wanted in kinds:
        return Header(0, wanted, "canonical")
    if len(kinds) == 1:
        return Header(0, kinds[0], "canonical")
    if len(kinds) > 1:
        # a reviews header with created_at, say: orders wins unless --kind says otherwise
        return Header(0, kinds[0] if "orders" not in kinds else "orders", "canonical")
    return None


def find_header(sheet: Sheet, file: str, wanted: str | None) -> Header | None:
    """The first of the sheet's first rows that is a known header."""
    for i, (_, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        h = classify_header(cells, wanted)
        if h is not None:
            return Header(i, h.kind, h.family, h.tmall_report)
    return None


# Exports people will try that kefu does not read yet: recognised, to say so plainly.
NOT_YET: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"主订单编号", "子订单编号", "商家编码"}), "io.what.item_list"),
    (frozenset({"客服", "接待人数", "询单人数"}), "io.what.chitu"),
    (frozenset({"旺旺昵称", "询单人数"}), "io.what.sycm"),
)


def unknown_header(file: str, sheet: Sheet, wanted: str | None) -> ImportFileError:
    from kefu.io.canonical import REQUIRED, canonical_header, looks_like, missing_columns

    for _, cells in sheet.rows[:HEADER_SEARCH_ROWS]:
        names = {n for n in header_names(cells) if n}
        kind = looks_like(names)
        if kind is not None and wanted in (None, kind):
            present = {canonical_header(n) for n in names}
            missing = [c for c in REQUIRED[kind] if c not in present]
            if missing:  # a hand-made table short of a column: say which, and what it means
                return missing_columns(file, kind, missing)
        for signature, what in NOT_YET:
            if signature <= names:
                return ImportFileError("io.file.not_yet", file=file, what=Refusal(what))
    first = header_names(sheet.rows[0][1]) if sheet.rows else []
    shown = visible(", ".join(c[:30] for c in first[:6] if c)[:120]) or "nothing"
    if wanted:
        return ImportFileError(
            "io.file.unknown_kind", file=file, kind=wanted, rows=HEADER_SEARCH_ROWS, first=shown
        )
    return ImportFileError("io.file.unknown", file=file, rows=HEADER_SEARCH_ROWS, first=shown)


def check_kind(file: str, wanted: str | None, found: str, what: Refusal) -> None:
    """Refuse a file whose kind contradicts --kind."""
    if wanted is not None and wanted != found:
        raise ImportFileError(
            "io.file.wrong_kind", file=file, what=what, found=found, wanted=wanted
        )


def check_kind_name(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise ImportFileError("io.kind_invalid", kinds=", ".join(KINDS), kind=kind)


# -- 千牛 chat text -------------------------------------------------------------------------

CHAT_STAMP = r"(?P<date>\d{4}-\d{1,2}-\d{1,2}) (?P<time>\d{1,2}:\d{2}:\d{2})"
CHAT_HEADER = re.compile(rf"(?P<speaker>\S.*?)\s*{CHAT_STAMP}")
CHAT_STAMP_LINE = re.compile(CHAT_STAMP)
WEB_DATE = re.compile(r"(?P<y>\d{4})[-/年](?P<m>\d{1,2})[-/月](?P<d>\d{1,2})日?")
CHAT_SEARCH_LINES = 5
WEB_TIME = re.compile(r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?")


def chat_format(text: str) -> str | None:
    """'qianniu-clipboard' or 'qianniu-web' when the text's first lines look like 千牛 chat; else None."""
    lines = [ln.strip() for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        return None
    if ("," in lines[0] or "\t" in lines[0]) and not CHAT_HEADER.fullmatch(lines[0]):
        return None  # a table's header row (nicks and sub-accounts have no commas or tabs)
    # a line or two copied above the chat (a title, say) may come first
    for i, line in enumerate(lines[:CHAT_SEARCH_LINES]):
        if WEB_DATE.fullmatch(line) and i + 1 < len(lines) and WEB_TIME.fullmatch(lines[i + 1]):
            return "qianniu-web"
        if CHAT_HEADER.fullmatch(line):
            return "qianniu-clipboard"
        if i > 0 and CHAT_STAMP_LINE.fullmatch(line):
            return "qianniu-clipboard"  # the older two-line header: speaker, then the time
    return None
