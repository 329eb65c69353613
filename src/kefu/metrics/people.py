"""KPI months per person: each person's seats (sub-accounts) in a shop summed, a seat that changed hands split by date.

A person holds seats over dated intervals (kefu.store.seats). `PersonKpis` wraps the KPI
source of seats and gives, for each shop-month, one `AgentMonth` per person: `agent_id` is
the person's id, name and dates are the person's (tenure and pay follow the person, not the
seat), the parts are the sum of the person's seat-months in the shop, pooled like any team.
A seat held by one person in a month is that person's whole; a seat held by two or more in a
month is split by recomputing the month with each holder as an agent of their own
(`StoreKpis(split=…)`): a message, a session, an inquiry and the orders credited to it
belong to whoever held the seat on the day. A month read from a platform's report cannot be
split: it goes to the holder with the most days in the month. When every seat is its own
person (every file before people behind seats), the rows are the seats' rows, unchanged.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date

from kefu.metrics.engine import SPLIT_MARK, StoreKpis
from kefu.metrics.fields import EXTRA_PARTS, NOT_AVAILABLE, PARTS, Parts, pool
from kefu.metrics.reported import held_parts
from kefu.metrics.table import AgentMonth, KpiSource, ShopMonth, month_bounds
from kefu.store import Store
from kefu.store.seats import Holding, Person, holdings, persons

Seat = tuple[str, str | None, str | None]  # agent_id, first and last day held in the month
# (shop, months, holdings of the seats to split) → those months with the split seats' rows
Splits = Callable[[str, list[str], list[Holding]], dict[str, ShopMonth]]


def held_days(h: Holding, month: str) -> tuple[date, date] | None:
    first, last = month_bounds(month)
    return h.within(first, last)


def home_shop(person_id: str, month: str, all_holdings: Sequence[Holding]) -> str | None:
    """The shop whose seats the person held on the most days of the month (ties: first id)."""
    days: dict[str, int] = defaultdict(int)
    for h in all_holdings:
        if h.person_id != person_id:
            continue
        span = held_days(h, month)
        if span is not None:
            days[h.shop_id] += (span[1] - span[0]).days + 1
    if not days:
        return None
    return min(days, key=lambda s: (-days[s], s))


def credit_owner(
    all_holdings: Sequence[Holding], shop_id: str, seat: str, month: str, day: date
) -> str | None:
    """The person a seat's figure of `month` from `day` belongs to, by `PersonKpis`'s rule.

    A seat held by one holding in the month is that person's whole month; a seat with two or
    more is split by day, so the figure is whoever held the seat on `day` (None: nobody did,
    or two did). A seat held by nobody in the month is nobody's.
    """
    holds = [
        h
        for h in all_holdings
        if h.shop_id == shop_id and h.agent_id == seat and held_days(h, month) is not None
    ]
    if len(holds) == 1:
        return holds[0].person_id
    on = {h.person_id for h in holds if h.holds(day)}
    return on.pop() if len(on) == 1 else None


class PersonKpis:
    """A KpiSource of persons over a KpiSource of seats (the store's, usually ChosenKpis)."""

    def __init__(
        self,
        store: Store,
        seats: KpiSource,
        engine: str = "duckdb",
        splits: Splits | None = None,
    ) -> None:
        self.store = store
        self.seats = seats
        self.engine = engine
        # where the months of split seats come from: the store's records recomputed, or
        # figures already split (the lake job's output, kefu.lake.output)
        self.splits = splits

    def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]:
        by_seat = self.seats.shop_months(shop_id, months)
        every = holdings(self.store)
        people = persons(self.store)
        mine: dict[str, list[Holding]] = defaultdict(list)
        for h in every:
            if h.shop_id == shop_id:
                mine[h.agent_id].append(h)
        # months whose figures a seat with two or more holders must be split in
        shared = {
            m: {s for s, hs in mine.items() if sum(held_days(h, m) is not None for h in hs) > 1}
            for m in months
        }
        to_split = [m for m in months if shared[m] and by_seat.get(m) and by_seat[m].source is None]
        split: dict[str, ShopMonth] = {}
        if to_split:
            seats = {s for m in to_split for s in shared[m]}
            holds = [h for s in sorted(seats) for h in mine[s]]
            if self.splits is not None:
                split = self.splits(shop_id, to_split, holds)
            else:
                source = StoreKpis(self.store, engine=self.engine, split=holds)
                split = source.shop_months(shop_id, to_split)
        out: dict[str, ShopMonth] = {}
        for month, sm in by_seat.items():
            out[month] = self._month(sm, mine, shared[month], split.get(month), people, every)
        return out

    def _month(
        self,
        sm: ShopMonth,
        mine: dict[str, list[Holding]],
        shared: set[str],
        split: ShopMonth | None,
        people: dict[str, Person],
        every: Sequence[Holding],
    ) -> ShopMonth:
        month = sm.month
        pieces: dict[str, list[tuple[AgentMonth, Holding]]] = defaultdict(list)
        rows: list[AgentMonth] = []
        handovers: list[dict[str, str]] = []
        for a in sm.agents:
            holds = [h for h in mine.get(a.agent_id, []) if held_days(h, month) is not None]
            if not holds:
                rows.append(a)  # a sub-account nobody is known to hold: shown as the seat
            elif len(holds) == 1:
                pieces[holds[0].person_id].append((a, holds[0]))
            elif split is not None and a.agent_id in shared:
                for b in split.agents:
                    seat, _, person = b.agent_id.partition(SPLIT_MARK)
                    if seat != a.agent_id:
                        continue
                    if not person:
                        rows.append(b)  # days nobody held the seat
                        continue
                    h = next(h for h in holds if h.person_id == person)
                    pieces[person].append((replace(b, agent_id=seat), h))
            elif sm.source is not None:  # a month read from a platform's report
                by_day = held_parts(self.store, sm.shop_id, month, a.agent_id, holds)
                if by_day is not None:  # daily figures: each holder their own days
                    held, nobody = by_day
                    for h, parts in held:
                        pieces[h.person_id].append((replace(a, parts=_marked(parts, a)), h))
                    if nobody is not None:
                        rows.append(replace(a, parts=nobody))  # days nobody held the seat
                else:  # a monthly report has no days: the holder with the most days has it
                    h = max(holds, key=lambda h: _days(h, month))
                    pieces[h.person_id].append((a, h))
                    handovers.extend(_handovers(a.agent_id, holds, h, month, people))
            else:
                h = max(holds, key=lambda h: _days(h, month))
                pieces[h.person_id].append((a, h))
        for person_id, got in sorted(pieces.items()):
            rows.append(self._person(sm.shop_id, month, person_id, got, people, every))
        rows.sort(key=lambda a: a.agent_id)
        if handovers:  # said under the table: the month went whole to one holder
            return replace(sm, agents=rows, source={**(sm.source or {}), "handovers": handovers})
        return replace(sm, agents=rows)

    def _person(
        self,
        shop_id: str,
        month: str,
        person_id: str,
        got: list[tuple[AgentMonth, Holding]],
        people: dict[str, Person],
        every: Sequence[Holding],
    ) -> AgentMonth:
        p = people.get(person_id) or Person(person_id, None, None, None)
        main = max(got, key=lambda x: (_days(x[1], month), x[1].agent_id == person_id))[0]
        home = home_shop(person_id, month, every)
        trivial = len(got) == 1 and got[0][0].agent_id == person_id
        seats: tuple[Seat, ...] = ()
        if not trivial:
            seats = tuple(
                sorted(
                    {(a.agent_id, *_iso(held_days(h, month))) for a, h in got},
                    key=lambda s: (s[1] or "", s[0]),
                )
            )
        return AgentMonth(
            shop_id=shop_id,
            month=month,
            agent_id=person_id,
            name=p.name or person_id,
            role=main.role,
            team=main.team,
            hired_on=p.hired_on,
            left_on=p.left_on,
            known=True,
            parts=main.parts if len(got) == 1 else pool(a.parts for a, _ in got),
            activity=main.activity if len(got) == 1 else None,
            seats=seats,
            base_elsewhere=home if home is not None and home != shop_id else None,
        )


def _marked(parts: Parts | None, seat: AgentMonth) -> Parts:
    """A holder's parts from their days; a holder without a reported day had none of the
    activity the report counts (zeros), with what the report cannot give still marked."""
    if parts is not None:
        return parts
    out = dict.fromkeys(PARTS + EXTRA_PARTS, 0)
    out.update({k: 1 for k in seat.parts if k.endswith(NOT_AVAILABLE)})
    return out


def _handovers(
    seat: str, holds: Sequence[Holding], holder: Holding, month: str, people: dict[str, Person]
) -> list[dict[str, str]]:
    """The handovers of a seat within a month read from a monthly report, for the note
    saying the month went whole to `holder` (docs/reports.md)."""
    held = sorted(
        (h for h in holds if held_days(h, month)), key=lambda h: _iso(held_days(h, month))
    )

    def who(h: Holding) -> str:
        p = people.get(h.person_id)
        return f"{p.name} ({h.person_id})" if p is not None and p.name else h.person_id

    def span(h: Holding) -> str:
        a, b = _iso(held_days(h, month))
        return f"{a} – {b}"

    return [
        {
            "seat": seat,
            "first": who(x),
            "first_days": span(x),
            "second": who(y),
            "second_days": span(y),
            "holder": who(holder),
        }
        for x, y in itertools.pairwise(held)
    ]


def _days(h: Holding, month: str) -> int:
    span = held_days(h, month)
    return 0 if span is None else (span[1] - span[0]).days + 1


def _iso(span: tuple[date, date] | None) -> tuple[str | None, str | None]:
    return (None, None) if span is None else (span[0].isoformat(), span[1].isoformat())


def reported_handovers(store: Store, shop_id: str, month: str) -> list[dict[str, str]]:
    """The seats handed over within a month read from a monthly report, which went whole to
    one holder (what `kefu pay` says under its table); empty for any other month."""
    from kefu.metrics.reported import ChosenKpis

    seats = ChosenKpis(store)
    sm = seats.reported_month(shop_id, month)
    if sm is None or (sm.source or {}).get("grain") != "month":
        return []
    got = PersonKpis(store, seats).shop_months(shop_id, [month]).get(month)
    return list(((got.source or {}) if got else {}).get("handovers", []))
