"""Seat holdings in an agents file: which person holds which sub-account (seat) over which days.

A row of an agents file with a person (`person_id`, 工号) or a seat interval (`held_from`,
`held_until`: 使用开始, 使用结束) says that the person holds the seat over the interval;
without them a row is a seat that is its own person, held for as long as that person is
employed (docs/importers.md, "People behind seats"). The rules checked here, on the rows of
one file:

- every row of one person says the same name, hiring and leaving dates (when given);
- the interval a row holds its seat is [held_from, held_until], both days included, an
  empty end falling back on the person's hiring or leaving date, else open;
- two rows of one seat may not hold it on a common day (a seat has one holder at a time):
  the later row is refused, naming the row it overlaps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from kefu.i18n import t

PERSON_COLUMNS = ("person_id", "held_from", "held_until")
PERSON_FACTS = ("name", "hired_on", "left_on")


@dataclass(frozen=True)
class Refused:
    """A row refused by a seat rule: where, which column, its value, why."""

    row_no: int
    column: str
    value: str
    reason: str


def person_of(row: dict[str, Any]) -> str:
    """The person a row names; a row without one is its seat's own person."""
    return str(row.get("person_id") or row["agent_id"])


def interval(
    row: dict[str, Any], hired: date | None, left: date | None
) -> tuple[date | None, date | None]:
    """The days a row holds its seat: its own dates, else its person's; None is open."""
    return row.get("held_from") or hired, row.get("held_until") or left


def overlaps(a: tuple[date | None, date | None], b: tuple[date | None, date | None]) -> bool:
    """Whether two closed day intervals (None = open end) share a day."""
    a0, a1 = a
    b0, b1 = b
    return (a1 is None or b0 is None or b0 <= a1) and (b1 is None or a0 is None or a0 <= b1)


def check(rows: Iterable[tuple[int, dict[str, Any]]]) -> list[Refused]:
    """The rows breaking a seat rule (each refused once, at the column at fault)."""
    rows = list(rows)
    refused: list[Refused] = []
    facts: dict[str, dict[str, tuple[Any, int]]] = {}
    ok: list[tuple[int, dict[str, Any]]] = []
    for row_no, row in rows:
        person = person_of(row)
        known = facts.setdefault(person, {})
        bad = next(
            (
                c
                for c in PERSON_FACTS
                if row.get(c) is not None and c in known and known[c][0] != row[c]
            ),
            None,
        )
        if bad is not None:
            refused.append(
                Refused(
                    row_no,
                    bad,
                    _show(row[bad]),
                    t(
                        "people.io.differs",
                        "en",
                        person=person,
                        column=bad,
                        other=_show(known[bad][0]),
                        row=known[bad][1],
                    ),
                )
            )
            continue
        for c in PERSON_FACTS:
            if row.get(c) is not None and c not in known:
                known[c] = (row[c], row_no)
        ok.append((row_no, row))
    held: dict[tuple[str, str], list[tuple[int, str, tuple[date | None, date | None]]]] = {}
    for row_no, row in ok:
        person = person_of(row)
        f = facts.get(person, {})
        span = interval(row, f.get("hired_on", (None, 0))[0], f.get("left_on", (None, 0))[0])
        if span[0] is not None and span[1] is not None and span[1] < span[0]:
            column = "held_until" if row.get("held_until") else "left_on"
            refused.append(
                Refused(
                    row_no,
                    column,
                    _show(span[1]),
                    t("people.io.ends_first", "en", start=_show(span[0]), end=_show(span[1])),
                )
            )
            continue
        seat = (str(row.get("shop_id") or ""), str(row["agent_id"]))
        clash = next((h for h in held.get(seat, []) if overlaps(h[2], span)), None)
        if clash is not None:
            column = "held_from" if row.get("held_from") else "held_until"
            refused.append(
                Refused(
                    row_no,
                    column,
                    _show(row.get(column)),
                    t(
                        "people.io.overlap",
                        "en",
                        seat=seat[1],
                        row=clash[0],
                        person=clash[1],
                        start=_show(clash[2][0]),
                        end=_show(clash[2][1]),
                    ),
                )
            )
            continue
        held.setdefault(seat, []).append((row_no, person, span))
    return refused


def _show(v: Any) -> str:
    if v is None:
        return "…"
    return v.isoformat() if isinstance(v, date) else str(v)
