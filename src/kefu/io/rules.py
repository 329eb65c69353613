"""The rules every canonical record meets, whichever importer read it: one definition, checked in one place.

Every importer (Taobao/Tmall exports, 千牛 chat, canonical CSV/xlsx/Parquet) hands its
records to `kefu.io.records.Collector.check`, which applies `broken` below; the bulk
Parquet path (kefu.store.bulk) builds its SQL predicate from the same tables
(`sql_predicate`), and when a row breaks one the file goes through the row reader, so
every rejected row gets its file, row, column and reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kefu.i18n import Refusal
from kefu.inert import visible

# Text columns that identify or name something: shown in tables, terminals, spreadsheets.
ID_COLUMNS = ("shop_id", "order_id", "buyer_id", "agent_id", "person_id")
SHORT_TEXT = (*ID_COLUMNS, "name", "team", "role", "sender", "rating", "status")

# Characters never allowed in ids and short text: C0 and C1 controls (NUL, ESC, CR, …),
# DEL, the line and paragraph separators, and the bidirectional overrides that make text
# display differently from what it is. As code point ranges, so Python and DuckDB (RE2)
# build their patterns from one list.
FORBIDDEN_RANGES = (
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0x2028, 0x2029),
    (0x202A, 0x202E),
    (0x2066, 0x2069),
)

ENUMS: dict[str, tuple[str, ...]] = {
    "role": ("presale", "aftersale"),
    "sender": ("buyer", "agent", "auto"),
    "rating": ("good", "neutral", "bad"),
}
NON_NEGATIVE = ("amount_fen", "refund_fen", "items", "chars")
INT32 = ("items", "chars")
INT32_MAX = 2**31 - 1

# (earlier, later): the later must not come before the earlier, when both are given.
ORDERED: dict[str, tuple[tuple[str, str], ...]] = {
    "orders": (
        ("created_at", "paid_at"),
        ("paid_at", "refunded_at"),
        ("created_at", "refunded_at"),
    ),
    "agents": (("hired_on", "left_on"), ("held_from", "held_until")),
}
# (part, whole): the part must not exceed the whole.
NOT_ABOVE: dict[str, tuple[tuple[str, str], ...]] = {"orders": (("refund_fen", "amount_fen"),)}


def _python_class() -> str:
    return "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in FORBIDDEN_RANGES) + "]"


def sql_forbidden_class() -> str:
    """The forbidden characters as an RE2 character class, for DuckDB's regexp_matches."""
    return "[" + "".join(f"\\x{{{lo:x}}}-\\x{{{hi:x}}}" for lo, hi in FORBIDDEN_RANGES) + "]"


FORBIDDEN = re.compile(_python_class())


@dataclass(frozen=True)
class Broken:
    """Why a record breaks a rule: the canonical column at fault, its value as shown, the reason."""

    column: str
    value: str
    reason: Refusal


Label = Callable[[str], str]
Money = Callable[[int], str]


def broken(
    kind: str,
    row: Mapping[str, Any],
    *,
    label: Label = str,
    money: Money = str,
) -> Broken | None:
    """The first rule `row` (a canonical record of `kind`) breaks, or None.

    `label` names a canonical column as the file names it (订单编号 for order_id in a
    Taobao export); `money` shows an amount in the file's unit (yuan there, fen in
    canonical files), so the reason speaks the file's language.
    """
    for column, value in row.items():
        if not isinstance(value, str) or (value.isascii() and value.isprintable()):
            continue  # the common case, checked in C: printable ASCII breaks no text rule
        if "\x00" in value:
            return Broken(column, visible(value), Refusal("io.rule.nul", column=label(column)))
        if column in SHORT_TEXT:
            bad = FORBIDDEN.search(value)
            if bad:
                code = f"U+{ord(bad.group()):04X}"
                return Broken(
                    column,
                    visible(value),
                    Refusal("io.rule.control", column=label(column), code=code),
                )
    for column, allowed in ENUMS.items():
        value = row.get(column)
        if value is not None and value not in allowed:
            return Broken(
                column,
                visible(str(value)),
                Refusal("io.rule.enum", value=visible(str(value)), allowed=" | ".join(allowed)),
            )
    for column in NON_NEGATIVE:
        value = row.get(column)
        if value is None:
            continue
        if value < 0:
            return Broken(column, str(value), Refusal("io.rule.negative", column=label(column)))
        if column in INT32 and value > INT32_MAX:
            return Broken(column, str(value), Refusal("io.rule.too_large", column=label(column)))
    for part, whole in NOT_ABOVE.get(kind, ()):
        p, w = row.get(part), row.get(whole)
        if p is not None and w is not None and p > w:
            return Broken(
                part,
                money(p),
                Refusal(
                    "io.rule.refund_over_payment",
                    refund_column=label(part),
                    refund=money(p),
                    amount_column=label(whole),
                    amount=money(w),
                ),
            )
    for earlier, later in ORDERED.get(kind, ()):
        a, b = row.get(earlier), row.get(later)
        if isinstance(a, (date, datetime)) and isinstance(b, (date, datetime)) and b < a:
            return Broken(
                later,
                _when(b),
                Refusal(
                    "io.rule.before",
                    later_column=label(later),
                    later=_when(b),
                    earlier_column=label(earlier),
                    earlier=_when(a),
                ),
            )
    return None


def _when(v: date) -> str:
    return v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()


def sql_predicate(kind: str, columns: Mapping[str, str]) -> list[str]:
    """The rules above as DuckDB conditions over a query's canonical columns.

    `columns` maps each canonical column the query has to its SQL expression. A row
    meeting every condition meets every rule `broken` checks; a NULL counts as meeting.
    """
    forbidden = sql_forbidden_class().replace("'", "''")
    out: list[str] = []
    for column, expr in columns.items():
        if column in SHORT_TEXT:
            out.append(f"({expr} IS NULL OR NOT regexp_matches({expr}, '{forbidden}'))")
        elif column == "text":
            out.append(f"({expr} IS NULL OR position(chr(0) IN {expr}) = 0)")
        if column in ENUMS:
            allowed = ", ".join(f"'{v}'" for v in ENUMS[column])
            out.append(f"({expr} IS NULL OR {expr} IN ({allowed}))")
        if column in NON_NEGATIVE:
            high = f" AND {expr} <= {INT32_MAX}" if column in INT32 else ""
            out.append(f"({expr} IS NULL OR ({expr} >= 0{high}))")
    for part, whole in NOT_ABOVE.get(kind, ()):
        if part in columns and whole in columns:
            p, w = columns[part], columns[whole]
            out.append(f"({p} IS NULL OR {w} IS NULL OR {p} <= {w})")
    for earlier, later in ORDERED.get(kind, ()):
        if earlier in columns and later in columns:
            a, b = columns[earlier], columns[later]
            out.append(f"({a} IS NULL OR {b} IS NULL OR {b} >= {a})")
    return out
