"""The demo shop's life, event by event: who asks whom, who buys, refunds, after-sale and reviews.

Times are whole seconds since midnight of the story's first day. Events are placed so that the
definitions of spec/metrics.md give back the story: a converting inquiry's order is created after
the agent's last message, on the same or the next day; a returning buyer comes back more than 15
days after paying (else the chat would be after-sale); a silent order has no chat, or comes two or
more days after the last one.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
import random
from dataclasses import dataclass, field

from kefu.demo import chat
from kefu.demo import texts as tx
from kefu.demo.story import (
    CAST,
    AgentSpec,
    MonthTarget,
    agent_id,
    employed_days,
    month_days,
    plan,
)
from kefu.demo.texts import between, pick

DAY = 86_400
HOUR = 3_600
# Start hours of chats: mostly 09:00-23:00, busiest mid-morning, afternoon and evening.
HOUR_WEIGHTS = (0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 7, 7, 4, 5, 7, 7, 6, 5, 4, 6, 8, 8, 5, 0)
HOUR_CUM = tuple(sum(HOUR_WEIGHTS[: h + 1]) for h in range(24))
# 春节: the week around it is quiet (couriers stop, buyers travel).
SPRING_FESTIVAL = {2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26),
                   2029: (2, 13), 2030: (2, 3)}  # fmt: skip
FOLLOW_UP_SHARE = 0.10  # the buyer comes back to the same agent later that day
NIGHT_UNANSWERED_SHARE = 0.025  # asks at night, only the automatic reply answers, asks again
LATE_SHIFT_SHARE = 0.03  # chats between 23:00 and 01:00, answered
LINK_SHARE = 0.035  # a non-buying inquirer who then asks a second agent the same day
LATE_ORDER_SHARE = 0.065  # a non-buying inquirer who orders 2-8 days later (silent)
UNPAID_SHARE = 0.05  # a non-buying inquirer who creates an order and never pays
SILENT_NEW_SHARE = 0.09  # orders by buyers who never chatted, per credited order
NEXT_DAY_SHARE = 0.22  # converting inquirers who order the next day
SECOND_ORDER_SHARE = 0.05  # converting inquirers who place two orders
RETURN_SHARE = 0.27  # paying buyers who come back 17-88 days later
RETURN_SILENT_SHARE = 0.3  # of which buy again without chatting
AFTERSALE_SHARE = 0.11  # paid orders followed by a logistics question
FULL_REFUND_SHARE, PART_REFUND_SHARE = 0.025, 0.03
REVIEW_SHARE, NEUTRAL_SHARE, SILENT_BAD = 0.66, 0.03, 0.02


@dataclass(slots=True)
class Slot:
    """One planned pre-sale inquiry of one agent."""

    spec: AgentSpec
    agent: str
    month: int
    day: int
    start: int
    converting: bool
    extra: str = ""  # "" | followup | night | late-shift
    buyer: str | None = None
    returning: bool = False
    link: Slot | None = None  # a second agent asked after this slot's agent
    linked_from: Slot | None = None
    processed: bool = False
    end: int = 0


@dataclass(slots=True)
class Order:
    """One order with everything the exports show about it."""

    order_id: str
    buyer: str
    created: int
    paid: int | None
    lines: list[tuple[tx.Product, int]]
    discount_fen: int
    postage_fen: int
    month: int  # the credited inquiry's month, else the month of creation
    agent_key: str | None  # credited agent (None: silent or unpaid)
    shipped: int = 0
    confirmed: int = 0
    refund_fen: int = 0
    refund_at: int | None = None
    mobile: bool = True
    note: str = ""

    @property
    def list_fen(self) -> int:
        return sum(p.price_fen * qty for p, qty in self.lines)

    @property
    def amount_fen(self) -> int:
        return self.list_fen - self.discount_fen + self.postage_fen

    def refund_as_of(self, ts: int) -> int:
        """The refund an export taken at `ts` shows."""
        return self.refund_fen if self.refund_at is not None and self.refund_at <= ts else 0

    @property
    def items(self) -> int:
        return sum(qty for _, qty in self.lines)


@dataclass(frozen=True, slots=True)
class Receiver:
    """A buyer's (fake) delivery details, as the export shows them."""

    name: str
    phone: str
    address: str
    alipay: str


@dataclass
class World:
    """Everything that happened in the demo shop."""

    start: dt.date
    days: int
    messages: list[chat.Message] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    reviews: list[tuple[str, int, str]] = field(default_factory=list)  # order_id, at, rating
    receivers: dict[str, Receiver] = field(default_factory=dict)
    slots: list[Slot] = field(default_factory=list)

    @property
    def end(self) -> int:
        """The last second of the data."""
        return self.days * DAY - 1


def _day_weight(day: dt.date) -> float:
    weight = 1.12 if day.weekday() >= 5 else 1.0
    if day.month == 6 and 16 <= day.day <= 18:
        weight *= 2.2 if day.day == 18 else 1.6
    if day.month == 11 and day.day <= 11:
        weight *= {10: 1.8, 11: 3.0}.get(day.day, 1.25)
    festival = SPRING_FESTIVAL.get(day.year)
    if festival and abs((day - dt.date(day.year, *festival)).days) <= 4:
        weight *= 0.35
    return weight


class Simulation:
    """Runs the story month by month; each month's events are processed in time order."""

    def __init__(self, rng: random.Random, months: list[str]) -> None:
        self.rng, self.months = rng, months
        first, _ = month_days(months[0])
        _, last = month_days(months[-1])
        self.world = World(first, (last - first).days + 1)
        self.targets = plan(months)
        self.nicks: set[str] = set()
        self.order_ids: set[str] = set()
        self.comeback: dict[str, int] = {}  # buyer -> when they plan to come back
        self.asked: dict[tuple[str, int], list[str]] = {}  # (buyer, month) -> agent keys
        # events (time, sequence, kind, slot or buyer), by month; the current month's as a heap
        self.pending: list[list[tuple[int, int, str, Slot | str]]] = [[] for _ in months]
        self.heap: list[tuple[int, int, str, Slot | str]] = []
        self.seq = 0
        self.open_by_day: dict[int, list[Slot]] = {}
        self.month = 0
        self.aftersale_spec = next(a for a in CAST if a.role == "aftersale")
        self.prices = [p.price_fen for p in tx.PRODUCTS]
        self.month_starts = [self.day_index(month_days(m)[0]) * DAY for m in months]

    # -- helpers -----------------------------------------------------------------------------
    def day_index(self, day: dt.date) -> int:
        return (day - self.world.start).days

    def month_of(self, ts: int) -> int:
        return bisect.bisect_right(self.month_starts, ts) - 1

    def new_buyer(self) -> str:
        while True:
            nick = tx.buyer_nick(self.rng)
            if nick not in self.nicks:
                self.nicks.add(nick)
                return nick

    def new_order_id(self) -> str:
        while True:
            digits = 18 if self.rng.random() < 0.8 else 17
            oid = str(between(self.rng, 10 ** (digits - 1) + 10 ** (digits - 2), 10**digits))
            if oid not in self.order_ids:
                self.order_ids.add(oid)
                return oid

    def time_in_day(self, day: int, *, latest_hour: int = 23) -> int:
        hour = bisect.bisect_right(HOUR_CUM, self.rng.random() * HOUR_CUM[latest_hour - 1])
        return day * DAY + hour * HOUR + int(self.rng.random() * HOUR)

    def push(self, ts: int, kind: str, payload: Slot | str) -> None:
        """Schedule an event: into this month's queue, a later month's, or nowhere (past the end)."""
        if ts > self.world.end:
            return
        month = self.month_of(ts)
        self.seq += 1
        if month == self.month:
            heapq.heappush(self.heap, (ts, self.seq, kind, payload))
        else:
            self.pending[month].append((ts, self.seq, kind, payload))

    def fill(self, spec: AgentSpec) -> dict[str, str]:
        rng, n = self.rng, len(tx.PRODUCTS)
        i = int(rng.random() * n)
        j = (i + 1 + int(rng.random() * (n - 1))) % n
        p, q = tx.PRODUCTS[i].nick, tx.PRODUCTS[j].nick
        return {"p": p, "q": q, "city": pick(rng, tx.CITIES), "name": spec.name}

    def receiver(self, buyer: str) -> None:
        if buyer not in self.world.receivers:
            rng = self.rng
            alipay = (
                f"{pick(rng, tx.PINYIN)}{between(rng, 100, 99999)}@example.com"
                if rng.random() < 0.5
                else f"1{pick(rng, '3589')}{between(rng, 0, 10)}****{between(rng, 0, 10000):04d}"
            )
            self.world.receivers[buyer] = Receiver(
                tx.person_name(rng), tx.masked_phone(rng), tx.address(rng), alipay
            )

    # -- orders --------------------------------------------------------------------------------
    def basket(self, spend_fen: int, items: float) -> tuple[list[tuple[tx.Product, int]], int]:
        """Lines and discount for a buyer aiming at about `spend_fen` over about `items` items."""
        rng = self.rng
        count, extra, limit = 1, items - 1.0, rng.random()
        # Poisson(extra) extra items, by inversion.
        term = cum = math.exp(-extra)
        while limit > cum and count < 6:
            term *= extra / count
            cum += term
            count += 1
        unit = spend_fen * 1.07 / items * rng.lognormvariate(0.0, 0.2)
        lines: list[tuple[tx.Product, int]] = []
        left = count
        while left:
            i = min(bisect.bisect_left(self.prices, unit), len(self.prices) - 1)
            if i and (rng.random() < 0.5 or self.prices[i] - unit > unit - self.prices[i - 1]):
                i -= 1
            product = tx.PRODUCTS[i]
            qty = 2 if left >= 2 and rng.random() < 0.25 else 1
            for n, (p, q) in enumerate(lines):
                if p is product:
                    lines[n] = (p, q + qty)
                    break
            else:
                lines.append((product, qty))
            left -= qty
            unit *= rng.uniform(0.6, 1.3)
        total = sum(p.price_fen * q for p, q in lines)
        discount = round(total * rng.uniform(0.05, 0.18)) if rng.random() < 0.45 else 0
        return lines, discount

    def place_order(
        self,
        buyer: str,
        created: int,
        *,
        paid: bool,
        spend_fen: int,
        items: float,
        month: int,
        agent_key: str | None,
    ) -> Order | None:
        rng = self.rng
        if created > self.world.end:
            return None
        self.receiver(buyer)
        lines, discount = self.basket(spend_fen, items)
        paid_at = None
        if paid:
            paid_at = created + (
                between(rng, 5, 300) if rng.random() < 0.9 else between(rng, 600, 3600)
            )
            paid_at = min(paid_at, self.world.end)
        postage = 600 if sum(p.price_fen * q for p, q in lines) - discount < 5000 else 0
        order = Order(self.new_order_id(), buyer, created, paid_at, lines, discount, postage, month,
                      agent_key if paid else None)  # fmt: skip
        order.mobile = rng.random() < 0.85
        order.note = pick(rng, ("", "", "", "", "尽快发货", "送礼，不要放发票", "请发顺丰"))
        if paid_at is not None:
            order.shipped = paid_at + between(rng, 2 * HOUR, 40 * HOUR)
            order.confirmed = order.shipped + between(rng, 3 * DAY, 9 * DAY)
            # One plan to come back per buyer, 17-88 days after the latest payment, so that the
            # chat then is an inquiry, not after-sale (paid within 15 days).
            earlier = self.comeback.get(buyer)
            if rng.random() < RETURN_SHARE:
                back = (paid_at // DAY + between(rng, 17, 89)) * DAY + 1
                self.comeback[buyer] = back
                self.push(back, "return", buyer)
            elif earlier is not None and earlier < (paid_at // DAY + 17) * DAY:
                del self.comeback[buyer]
        self.world.orders.append(order)
        return order

    # -- one month ------------------------------------------------------------------------------
    def plan_slots(self, mi: int) -> list[Slot]:
        rng, month = self.rng, self.months[mi]
        slots: list[Slot] = []
        last_day = self.world.days - 1
        for spec in CAST:
            target = self.targets.get((spec.key, mi))
            span = employed_days(spec, self.months, month)
            if target is None or span is None:
                continue
            days = [span[0] + dt.timedelta(days=n) for n in range((span[1] - span[0]).days + 1)]
            picks = rng.choices(days, [_day_weight(d) for d in days], k=target.inquiries)
            paying = round(target.inquiries * target.conversion)
            flags = [True] * paying + [False] * (target.inquiries - paying)
            rng.shuffle(flags)
            aid = agent_id(spec)
            for day, converting in zip(sorted(picks), flags, strict=True):
                d = self.day_index(day)
                r = rng.random()
                extra = ""
                if r < FOLLOW_UP_SHARE:
                    extra = "followup"
                elif r < FOLLOW_UP_SHARE + NIGHT_UNANSWERED_SHARE:
                    extra = "night"
                elif (
                    r < FOLLOW_UP_SHARE + NIGHT_UNANSWERED_SHARE + LATE_SHIFT_SHARE and d < last_day
                ):
                    extra = "late-shift"
                start = self.time_in_day(d, latest_hour=22 if d == last_day else 23)
                if extra == "late-shift":
                    start = d * DAY + (23 * HOUR + between(rng, 0, 1800) if rng.random() < 0.6
                                       else 300 + between(rng, 0, HOUR - 300))  # fmt: skip
                elif extra == "night":
                    start = d * DAY + between(rng, 90 * 60, 7 * HOUR + 1800)
                slots.append(Slot(spec, aid, mi, d, start, converting, extra))
        self.link_slots(slots)
        return slots

    def link_slots(self, slots: list[Slot]) -> None:
        """Some buyers who do not buy from their agent ask a second agent later that day."""
        rng = self.rng
        by_day: dict[int, list[Slot]] = {}
        for s in slots:
            if not s.extra:
                by_day.setdefault(s.day, []).append(s)
        for a in slots:
            if a.extra or a.converting or a.link or a.linked_from or rng.random() >= LINK_SHARE:
                continue
            if a.start % DAY > 20 * HOUR:
                continue
            for _ in range(6):
                b = pick(rng, by_day[a.day])
                if b.spec is not a.spec and not b.link and not b.linked_from:
                    a.link, b.linked_from = b, a
                    b.start = a.start + between(rng, 20 * 60, 90 * 60)
                    break

    def run_month(self, mi: int) -> None:
        self.month = mi
        rng = self.rng
        self.heap = self.pending[mi]
        heapq.heapify(self.heap)
        slots = self.plan_slots(mi)
        self.world.slots.extend(slots)
        self.open_by_day = {}
        for s in slots:
            self.push(s.start, "slot", s)
            if not s.link and not s.linked_from:
                self.open_by_day.setdefault(s.day, []).append(s)
        credited = sum(s.converting for s in slots)
        first, last = month_days(self.months[mi])
        d0, d1 = self.day_index(first), self.day_index(last)
        for _ in range(round(credited * SILENT_NEW_SHARE)):
            day = between(rng, d0, d1 + 1)
            self.push(self.time_in_day(day, latest_hour=23 if day < self.world.days - 1 else 22),
                      "silent", "")  # fmt: skip
        while self.heap:
            ts, _, kind, payload = heapq.heappop(self.heap)
            if kind == "slot":
                assert isinstance(payload, Slot)
                self.run_slot(payload)
            elif kind == "silent":
                buyer = self.new_buyer()
                self.place_order(buyer, ts, paid=rng.random() > 0.04, spend_fen=24000, items=1.5,
                                 month=mi, agent_key=None)  # fmt: skip
            elif kind == "late":
                assert isinstance(payload, str)
                self.place_order(payload, ts, paid=True, spend_fen=22000, items=1.4, month=mi,
                                 agent_key=None)  # fmt: skip
            elif kind == "return":
                assert isinstance(payload, str)
                if self.comeback.get(payload) == ts:  # else overtaken by a later purchase
                    del self.comeback[payload]
                    self.come_back(payload, ts)

    def come_back(self, buyer: str, ts: int) -> None:
        """A paying buyer returns: buys without a word, or asks an agent (often another one)."""
        rng, day = self.rng, ts // DAY
        if rng.random() >= RETURN_SILENT_SHARE:
            asked = self.asked.get((buyer, self.month), [])
            for d in range(day, day + 7):
                free = [s for s in self.open_by_day.get(d, ())
                        if s.buyer is None and not s.processed and s.spec.key not in asked]  # fmt: skip
                if free:
                    slot = pick(rng, free)
                    slot.buyer, slot.returning = buyer, True
                    self.asked.setdefault((buyer, self.month), []).append(slot.spec.key)
                    return
        if self.month_of(ts) == self.month:
            self.place_order(buyer, self.time_in_day(day, latest_hour=22), paid=True,
                             spend_fen=26000, items=1.5, month=self.month, agent_key=None)  # fmt: skip

    def run_slot(self, slot: Slot) -> None:
        rng, world = self.rng, self.world
        slot.processed = True
        if slot.buyer is None:  # a new buyer, or the one who asked another agent before
            linked = slot.linked_from.buyer if slot.linked_from else None
            slot.buyer = linked or self.new_buyer()
        buyer, spec = slot.buyer, slot.spec
        if slot.linked_from is not None:
            slot.start = max(slot.start, slot.linked_from.end + between(rng, 120, 1800))
        self.asked.setdefault((buyer, slot.month), []).append(spec.key)
        auto_rate = 0.5 if spec.reaction_s[0] >= 30 else 0.2
        out = world.messages
        start = slot.start
        follow_up = slot.extra == "followup" and start % DAY < 19 * HOUR
        if slot.extra == "night":
            chat.unanswered_night(
                chat.Talk(rng, spec, slot.agent, buyer, start, out, self.fill(spec))
            )
            start = slot.day * DAY + 9 * HOUR + between(rng, 0, 2 * HOUR)
        elif follow_up:  # asks, leaves, and comes back to the same agent that evening
            talk = chat.Talk(rng, spec, slot.agent, buyer, start, out, self.fill(spec))
            _, end = chat.presale(talk, converting=False, auto=rng.random() < auto_rate)
            start = end + between(rng, 40 * 60, min(4 * HOUR, slot.day * DAY + 22 * HOUR - end))
        talk = chat.Talk(rng, spec, slot.agent, buyer, start, out, self.fill(spec))
        ordered, slot.end = chat.presale(
            talk, converting=slot.converting, auto=rng.random() < auto_rate, follow_up=follow_up
        )
        self.after_inquiry(slot, ordered)

    def after_inquiry(self, slot: Slot, ordered: int | None) -> None:
        """The order that follows an inquiry, or a late, unpaid or no order."""
        rng, end = self.rng, self.world.end
        buyer = slot.buyer
        assert buyer is not None
        target: MonthTarget = self.targets[slot.spec.key, slot.month]
        if slot.converting and ordered is not None:
            if rng.random() < NEXT_DAY_SHARE and (slot.day + 2) * DAY <= end:
                ordered = (slot.day + 1) * DAY + between(rng, 9 * HOUR, 22 * HOUR + 1800)
            ordered = min(ordered, end - 600)
            self.place_order(buyer, ordered, paid=True, spend_fen=target.spend_fen,
                             items=target.items, month=slot.month, agent_key=slot.spec.key)  # fmt: skip
            if rng.random() < SECOND_ORDER_SHARE:
                self.place_order(buyer, ordered + between(rng, 180, 2400), paid=True,
                                 spend_fen=target.spend_fen // 2, items=1.0, month=slot.month,
                                 agent_key=slot.spec.key)  # fmt: skip
            return
        if slot.link or slot.linked_from or slot.returning:
            return
        r = rng.random()
        if r < LATE_ORDER_SHARE:
            day = slot.day + between(rng, 2, 9)
            self.push(self.time_in_day(day, latest_hour=22), "late", buyer)
        elif r < LATE_ORDER_SHARE + UNPAID_SHARE:
            self.place_order(buyer, slot.end + between(rng, 120, 1800), paid=False,
                             spend_fen=target.spend_fen, items=target.items, month=slot.month,
                             agent_key=None)  # fmt: skip

    # -- after the months ---------------------------------------------------------------------
    def refunds_and_aftersale(self) -> None:
        """Refund some paid orders (some weeks later) and let buyers ask after-sale questions."""
        rng, world = self.rng, self.world
        paid = [o for o in world.orders if o.paid is not None]
        n = len(paid)
        chosen = rng.sample(paid, round(n * (FULL_REFUND_SHARE + PART_REFUND_SHARE)))
        full = round(n * FULL_REFUND_SHARE)
        presale = [a for a in CAST if a.role == "presale"]
        for k, order in enumerate(chosen):
            assert order.paid is not None
            if k < full:
                order.refund_fen = order.amount_fen
            else:
                product, _ = order.lines[0]
                share = product.price_fen / order.list_fen
                order.refund_fen = round(
                    min(product.price_fen, order.amount_fen * (share if share < 1 else 0.4))
                )
            weeks_later = rng.random() < 0.3
            delay = (
                between(rng, 15 * DAY, 45 * DAY) if weeks_later else between(rng, 2 * DAY, 12 * DAY)
            )
            order.refund_at = order.paid + delay
            asked = (
                order.paid + between(rng, 4 * DAY, 12 * DAY)
                if weeks_later
                else order.refund_at - between(rng, HOUR, 36 * HOUR)
            )
            self.aftersale_chat(order, max(asked, order.paid + 3 * HOUR), presale, returns=True)
        for order in paid:
            if rng.random() < AFTERSALE_SHARE and order.refund_fen == 0:
                assert order.paid is not None
                self.aftersale_chat(
                    order, order.paid + between(rng, DAY, 6 * DAY), presale, returns=False
                )

    def aftersale_chat(
        self, order: Order, at: int, presale: list[AgentSpec], *, returns: bool
    ) -> None:
        rng = self.rng
        day = at // DAY
        start = self.time_in_day(day, latest_hour=22)
        assert order.paid is not None
        if start <= order.paid + 3 * HOUR:
            start = self.time_in_day(day + 1, latest_hour=22)
        if start > self.world.end - HOUR or start >= order.paid + 14 * DAY:
            return
        spec = self.aftersale_spec
        if rng.random() < 0.06:  # a presale agent takes it: still after-sale, never an inquiry
            on_day = self.world.start + dt.timedelta(days=day)
            month = self.months[self.month_of(start)]
            working = [a for a in presale if (span := employed_days(a, self.months, month))
                       and span[0] <= on_day <= span[1]]  # fmt: skip
            spec = pick(rng, working) if working else spec
        talk = chat.Talk(
            rng, spec, agent_id(spec), order.buyer, start, self.world.messages, self.fill(spec)
        )
        chat.aftersale(talk, returns=returns, auto=rng.random() < 0.2)

    def reviews(self) -> None:
        """Reviews on ~60 % of paid orders, bad ones by quota per agent and month."""
        rng, world = self.rng, self.world
        groups: dict[tuple[str, int], list[Order]] = {}
        for order in world.orders:
            if order.paid is not None and order.refund_fen < order.amount_fen:
                groups.setdefault((order.agent_key or "", order.month), []).append(order)
        bad_rate = {a.key: a.bad_reviews for a in CAST}
        for (key, _), orders in groups.items():
            rated = rng.sample(orders, round(len(orders) * REVIEW_SHARE))
            bad = round(len(rated) * bad_rate.get(key, SILENT_BAD))
            neutral = round(len(rated) * NEUTRAL_SHARE)
            for n, order in enumerate(rated):
                at = order.confirmed + between(rng, DAY // 2, 6 * DAY)
                if at <= world.end:
                    rating = "bad" if n < bad else "neutral" if n < bad + neutral else "good"
                    world.reviews.append((order.order_id, at, rating))
        world.reviews.sort(key=lambda r: r[1])

    def balance_question_one(self, as_of: int) -> None:
        """Give the question-1 pair the same net sales in the last month (within ~1 %).

        Their targets already aim at equal sales; what chance leaves over is taken off the
        larger one as extra discounts on its unrefunded orders.
        """
        last = len(self.months) - 1
        pair: dict[str, list[Order]] = {"q1-efficient": [], "q1-busy": []}
        for order in self.world.orders:
            if order.month == last and order.agent_key in pair:
                pair[order.agent_key].append(order)

        def net(orders: list[Order]) -> int:
            return sum(o.amount_fen - o.refund_as_of(as_of) for o in orders)

        a, b = net(pair["q1-efficient"]), net(pair["q1-busy"])
        if not a or not b:
            return
        larger = pair["q1-efficient"] if a > b else pair["q1-busy"]
        excess = abs(a - b) - min(a, b) // 200
        candidates = [o for o in larger if o.refund_fen == 0]
        for order in candidates:
            if excess <= 0:
                break
            room = max(0, round(order.list_fen * 0.3) - order.discount_fen)
            take = min(room, excess)
            order.discount_fen += take
            excess -= take


def simulate(seed: int, months: list[str]) -> World:
    """Run the whole story for `months` with `seed`; the same inputs give the same world."""
    sim = Simulation(random.Random(seed), months)
    for mi in range(len(months)):
        sim.run_month(mi)
    sim.refunds_and_aftersale()
    sim.balance_question_one(sim.world.end + DAY + 9 * HOUR + 1800)
    sim.reviews()
    return sim.world
