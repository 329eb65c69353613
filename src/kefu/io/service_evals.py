"""Taobao 服务评价: the buyers' 0–4 ratings of an agent in 旺旺, read from a CSV or xlsx file.

The fields are those of the TOP API `taobao.qianniu.kefueval.get` (sourced): `eval_code`
(0 非常满意, 1 满意, 2 一般, 3 不满意, 4 非常不满意), `eval_recer` (the sub-account rated),
`eval_sender` (the buyer), `eval_time`, `source` (0 客服邀评, 1 消费者自主评价, 2 系统邀评).
The Chinese headers a tool saving them would write are read too (inferred: no such file was
seen); docs/importers.md lists which is which. An evaluation rates an agent, not an order:
the store keeps them in their own table (kefu.store.service_evals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kefu.i18n import Refusal, t
from kefu.io.cells import CellError, clean, parse_timestamp, shop_and_nick
from kefu.io.detect import header_names, sniff_binary
from kefu.io.encoding import decode_file
from kefu.io.records import Collector, ImportFileError, Quarantined
from kefu.io.rules import FORBIDDEN
from kefu.io.shop_settings import ShopZones
from kefu.io.tabular import Sheet, data_rows, read_delimited, read_xlsx

HEADER_SEARCH_ROWS = 10

# canonical column → the headers that give it, the API's field name first (matched
# case-insensitively after trimming); the API names are sourced, the Chinese ones inferred
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("eval_code", "评价结果", "评价等级", "满意度", "服务评价"),
    "agent": ("eval_recer", "被评价客服", "客服", "客服账号", "客服昵称", "客服旺旺"),
    "buyer": ("eval_sender", "买家", "买家昵称", "买家旺旺", "评价人"),
    "time": ("eval_time", "评价时间"),
    "source": ("source", "评价来源"),
}
REQUIRED = ("code", "agent", "buyer", "time")

# eval_code, as the API numbers it and as the words a person or a tool writes
CODES: dict[str, int] = {
    "0": 0,
    "非常满意": 0,
    "很满意": 0,
    "1": 1,
    "满意": 1,
    "2": 2,
    "一般": 2,
    "3": 3,
    "不满意": 3,
    "不满": 3,
    "4": 4,
    "非常不满意": 4,
    "很不满意": 4,
    "很不满": 4,
}
SOURCES: dict[str, int] = {
    "0": 0,
    "客服邀评": 0,
    "1": 1,
    "消费者自主评价": 1,
    "自主评价": 1,
    "2": 2,
    "系统邀评": 2,
}
LEVELS = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")


@dataclass(frozen=True)
class Evaluation:
    """One buyer's rating of one agent: (shop, agent, buyer, time) identifies it."""

    row_no: int
    shop_id: str
    agent_id: str
    buyer_id: str
    evaluated_at: datetime
    code: int  # 0 非常满意 … 4 非常不满意
    source: int | None  # 0 客服邀评, 1 消费者自主评价, 2 系统邀评; None when the file does not say


@dataclass
class ParsedEvals:
    """A file of service evaluations read: its good rows and what could not be read."""

    file: str
    format: str
    encoding: str | None
    rows: list[Evaluation] = field(default_factory=list)
    rows_read: int = 0
    quarantine: list[Quarantined] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _positions(cells: list[str]) -> dict[str, int]:
    names = [n.lower() for n in header_names(cells)]
    pos: dict[str, int] = {}
    for col, headers in HEADERS.items():
        for h in headers:
            if h.lower() in names:
                pos[col] = names.index(h.lower())
                break
    return pos


def is_header(cells: list[str]) -> bool:
    """A header row of service evaluations: a rating, an agent and a time column at least."""
    pos = _positions(cells)
    return {"code", "agent", "time"} <= set(pos)


def find_header(sheet: Sheet) -> int | None:
    for i, (_, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        if is_header(cells):
            return i
    return None


def looks_like_evals(path: Path) -> bool:
    """Whether `path` is a file of service evaluations (its first rows read cheaply)."""
    from kefu.io.reports import first_rows

    return any(find_header(s) is not None for s in first_rows(path))


def read_evals(
    path: Path, *, shop: str | None = None, zones: ShopZones | None = None
) -> ParsedEvals | None:
    """The evaluations in `path`, or None when it is not such a file.

    Raises ImportFileError when a column needed is missing or a row's agent names no shop
    and no `shop` is given. Bad rows are quarantined with file, row, column and reason.
    """
    if not looks_like_evals(path):
        return None
    data = path.read_bytes()
    file = path.name
    if sniff_binary(data) == "xlsx":
        sheets, container, encoding = read_xlsx(data, file), "xlsx", None
    else:
        decoded = decode_file(data, file)
        sheets = [read_delimited(decoded.text, file, decoded.odd_lines)]
        container, encoding = "csv", decoded.encoding
    for sheet in sheets:
        index = find_header(sheet)
        if index is not None:
            return parse(
                sheet,
                index,
                file=file,
                fmt=f"taobao-service-evals-{container}",
                encoding=encoding,
                shop=shop,
                zones=zones or ShopZones(),
            )
    return None


def parse(
    sheet: Sheet,
    header_index: int,
    *,
    file: str,
    fmt: str,
    encoding: str | None,
    shop: str | None,
    zones: ShopZones,
) -> ParsedEvals:
    _, header_cells = sheet.rows[header_index]
    names = header_names(header_cells)
    pos = _positions(header_cells)
    missing = [c for c in REQUIRED if c not in pos]
    if missing:
        wanted = ", ".join(f"{HEADERS[c][0]} / {HEADERS[c][1]}" for c in missing)
        raise ImportFileError("evals.import.missing", file=file, columns=wanted)
    label = {c: names[i] for c, i in pos.items()}
    by_label = {label[c]: i for c, i in pos.items()}
    out = ParsedEvals(file=file, format=fmt, encoding=encoding)
    col = Collector("reviews", file, [])  # counts rows and quarantines; the rows are ours
    seen: dict[tuple[str, str, str, datetime], int] = {}
    for row_no, cells, record in data_rows(sheet, header_index, len(header_cells), by_label, col):

        def cell(c: str, cells: list[str] = cells) -> str:
            i = pos.get(c)
            return clean(cells[i]) if i is not None and i < len(cells) else ""

        raw_agent = cell("agent")
        row_shop, nick = shop_and_nick(raw_agent, shop)
        if not nick:
            col.reject(row_no, label["agent"], raw_agent, Refusal("evals.import.empty"), record)
            continue
        if row_shop is None:
            raise ImportFileError("evals.import.no_shop", file=file, row=row_no, agent=raw_agent)
        buyer = cell("buyer")
        if not buyer:
            col.reject(row_no, label["buyer"], buyer, Refusal("evals.import.empty"), record)
            continue
        bad = _bad_text({label["agent"]: raw_agent, label["buyer"]: buyer, "shop": row_shop})
        if bad is not None:
            col.reject(row_no, bad[0], bad[1], bad[2], record)
            continue
        code = CODES.get(cell("code"))
        if code is None:
            reason = Refusal("evals.import.bad_code", value=cell("code"))
            col.reject(row_no, label["code"], cell("code"), reason, record)
            continue
        source: int | None = None
        if "source" in pos and cell("source"):
            source = SOURCES.get(cell("source"))
            if source is None:
                reason = Refusal("evals.import.bad_source", value=cell("source"))
                col.reject(row_no, label["source"], cell("source"), reason, record)
                continue
        try:
            at = parse_timestamp(cell("time"))
        except CellError as e:
            col.reject(row_no, label["time"], cell("time"), e, record)
            continue
        if at.tzinfo is not None:
            at = zones.local(at, row_shop)
        agent_id = f"{row_shop}:{nick}"
        key = (row_shop, agent_id, buyer, at)
        if key in seen:
            reason = Refusal("evals.import.twice", row=seen[key])
            col.reject(row_no, label["time"], cell("time"), reason, record)
            continue
        seen[key] = row_no
        out.rows.append(Evaluation(row_no, row_shop, agent_id, buyer, at, code, source))
    out.rows_read = col.rows_read
    out.quarantine = col.quarantine
    if "source" not in pos:
        out.notes.append(t("evals.import.no_source"))
    return out


def _bad_text(cells: dict[str, str]) -> tuple[str, str, Refusal] | None:
    """The first id holding a NUL or a control character (kefu.io.rules), as (column, value, why)."""
    for column, value in cells.items():
        if "\x00" in value:
            return column, value, Refusal("io.rule.nul", column=column)
        bad = FORBIDDEN.search(value)
        if bad:
            code = f"U+{ord(bad.group()):04X}"
            return column, value, Refusal("io.rule.control", column=column, code=code)
    return None
