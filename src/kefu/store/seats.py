"""Persons and the seats they hold: the store's `persons` and `seat_holders` tables.

An agents file is written here after its seats are upserted into `agents`
(kefu.store.ingest). A file naming persons (工号) or seat intervals (使用开始/使用结束) is
the authority for the seats it lists: their holdings are replaced by the file's. A file
without them keeps working as before — one seat, one person: a seat with no holder yet gets
a person of its own (the seat's id; `shop:agent` when that id is a person holding a seat in
another shop already), and that person's name and dates follow the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

from kefu.io.records import ARROW_TYPES
from kefu.io.seats import PERSON_COLUMNS
from kefu.io.seats import PERSON_FACTS as FACTS
from kefu.store.database import Store


@dataclass(frozen=True)
class Holding:
    """One person holding one seat over days (both ends held; None: open, after defaults)."""

    shop_id: str
    agent_id: str
    person_id: str
    start: date | None
    end: date | None

    def holds(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def within(self, first: date, last: date) -> tuple[date, date] | None:
        """The days of [first, last] held, or None."""
        a = max(first, self.start) if self.start else first
        b = min(last, self.end) if self.end else last
        return (a, b) if a <= b else None


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str | None
    hired_on: date | None
    left_on: date | None


def held_mode(columns: Sequence[str]) -> bool:
    """Whether an agents file names persons or seat intervals (else one seat = one person)."""
    return any(c in columns for c in PERSON_COLUMNS)


def seat_rows(table: pa.Table) -> pa.Table:
    """One `agents` row per seat of an agents file whose seats may have several holders.

    Role, team and name come from the seat's latest holding (the one starting last); the
    seat's hired_on / left_on span all its holdings (empty when one is open at that end), so
    that the seat is listed in every month someone held it."""
    rows = table.to_pylist()
    by_seat: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        by_seat.setdefault((r["shop_id"], r["agent_id"]), []).append(r)
    facts = _person_facts(rows)
    out = []
    for group in by_seat.values():
        spans = [_span(r, facts) for r in group]
        latest = max(range(len(group)), key=lambda i: (spans[i][0] or date.min, i))
        row = {c: group[latest].get(c) for c in table.column_names if c not in PERSON_COLUMNS}
        person = facts.get(_person(group[latest]), {})
        row["name"] = group[latest].get("name") or person.get("name")
        starts = [s for s, _ in spans]
        ends = [e for _, e in spans]
        row["hired_on"] = None if None in starts else min(s for s in starts if s)
        row["left_on"] = None if None in ends else max(e for e in ends if e)
        out.append(row)
    names = [c for c in table.column_names if c not in PERSON_COLUMNS]
    for c in FACTS:
        if c not in names:
            names.append(c)
    schema = pa.schema([(c, ARROW_TYPES["agents"][c]) for c in names])
    return pa.Table.from_pylist([{c: r.get(c) for c in names} for r in out], schema=schema)


def _person(row: dict[str, Any]) -> str:
    return str(row.get("person_id") or row["agent_id"])


def _person_facts(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    facts: dict[str, dict[str, Any]] = {}
    for r in rows:
        f = facts.setdefault(_person(r), {})
        for c in FACTS:
            if r.get(c) is not None and c not in f:
                f[c] = r[c]
    return facts


def _span(row: dict[str, Any], facts: dict[str, dict[str, Any]]) -> tuple[date | None, date | None]:
    f = facts.get(_person(row), {})
    return row.get("held_from") or f.get("hired_on"), row.get("held_until") or f.get("left_on")


def write_holdings(store: Store, table: pa.Table, given: Sequence[str]) -> None:
    """Persons and seat holdings from an agents file (call in the import's transaction)."""
    rows = table.to_pylist()
    con = store.con
    if not held_mode(given):
        for r in rows:
            _one_seat_one_person(store, r, given)
        return
    facts = _person_facts(rows)
    for shop, agent in {(r["shop_id"], r["agent_id"]) for r in rows}:
        con.execute("DELETE FROM seat_holders WHERE shop_id = ? AND agent_id = ?", [shop, agent])
    ids: dict[tuple[str, str], str] = {}
    for r in rows:
        pid = r.get("person_id")
        if not pid:  # a row of this file without a person: its seat is its own person
            key = (r["shop_id"], r["agent_id"])
            pid = ids.get(key) or _own_person_id(store, *key)
            ids[key] = pid
        else:
            pid = str(pid)
        con.execute(
            "INSERT INTO seat_holders VALUES (?, ?, ?, ?, ?)",
            [r["shop_id"], r["agent_id"], pid, r.get("held_from"), r.get("held_until")],
        )
        _upsert_person(store, pid, facts.get(_person(r), {}), given)


def _own_person_id(store: Store, shop: str, agent: str) -> str:
    """The id of the person a seat is by itself: its own, unless another shop uses it."""
    other = store.con.execute(
        "SELECT count(*) FROM seat_holders WHERE person_id = ? AND shop_id <> ?", [agent, shop]
    ).fetchone()
    return f"{shop}:{agent}" if other and other[0] else agent


def _upsert_person(store: Store, pid: str, facts: dict[str, Any], given: Sequence[str]) -> None:
    con = store.con
    found = con.execute("SELECT 1 FROM persons WHERE person_id = ?", [pid]).fetchone()
    if found is None:
        con.execute(
            "INSERT INTO persons VALUES (?, ?, ?, ?)",
            [pid, facts.get("name"), facts.get("hired_on"), facts.get("left_on")],
        )
        return
    cols = [c for c in FACTS if c in given]
    if cols:
        con.execute(
            f"UPDATE persons SET {', '.join(f'{c} = ?' for c in cols)} WHERE person_id = ?",
            [*(facts.get(c) for c in cols), pid],
        )


def _one_seat_one_person(store: Store, r: dict[str, Any], given: Sequence[str]) -> None:
    """An old-style agents row: the seat's own person follows it; other holders stay."""
    con = store.con
    held = con.execute(
        "SELECT person_id, held_from, held_until FROM seat_holders WHERE shop_id = ? AND agent_id = ?",
        [r["shop_id"], r["agent_id"]],
    ).fetchall()
    if not held:
        pid = _own_person_id(store, r["shop_id"], r["agent_id"])
        con.execute(
            "INSERT INTO seat_holders VALUES (?, ?, ?, NULL, NULL)",
            [r["shop_id"], r["agent_id"], pid],
        )
        _upsert_person(store, pid, {c: r.get(c) for c in FACTS}, given)
    elif len(held) == 1 and held[0][1] is None and held[0][2] is None:
        _upsert_person(store, held[0][0], {c: r.get(c) for c in FACTS}, given)


def persons(store: Store) -> dict[str, Person]:
    return {
        r[0]: Person(r[0], r[1], r[2], r[3])
        for r in store.con.execute(
            "SELECT person_id, name, hired_on, left_on FROM persons"
        ).fetchall()
    }


def holdings(store: Store, shops: Sequence[str] | None = None) -> list[Holding]:
    """Every holding (of `shops`, else all), its open ends filled from its person's dates."""
    sql = (
        "SELECT h.shop_id, h.agent_id, h.person_id, coalesce(h.held_from, p.hired_on),"
        " coalesce(h.held_until, p.left_on) FROM seat_holders h"
        " LEFT JOIN persons p ON p.person_id = h.person_id"
    )
    params: list[Any] = []
    if shops is not None:
        sql += f" WHERE h.shop_id IN ({', '.join('?' for _ in shops) or 'NULL'})"
        params = list(shops)
    rows = store.con.execute(sql + " ORDER BY 1, 2, 4 NULLS FIRST, 3", params).fetchall()
    return [Holding(r[0], r[1], r[2], r[3], r[4]) for r in rows]
