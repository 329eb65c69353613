"""Why an order was credited to an agent, or why it is silent (metrics.md §2, attribution)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kefu import i18n
from kefu.metrics.engine import DuckDBRunner, prepare_inputs
from kefu.metrics.labels import yuan
from kefu.metrics.settings import from_mapping
from kefu.store import Store
from kefu.store.seats import Holding

_EPOCH = datetime(1970, 1, 1)


def _at(s: int | None) -> datetime | None:
    return None if s is None else _EPOCH + timedelta(seconds=int(s))


@dataclass(frozen=True)
class OrderExplanation:
    shop_id: str
    order_id: str
    outcome: str  # credited | silent | unpaid | unattributable | ignored
    reason: str  # the catalogue key of the reason (explain.*)
    values: dict[str, Any] = field(default_factory=dict)  # what the reason's sentence shows
    facts: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str | None = "zh") -> str:
        values = dict(self.values)
        if "basis" in values:
            values["basis"] = i18n.t(f"explain.basis.{values['basis']}", lang)
        n_after = int(values.pop("aftersale_sessions", 0))
        if "after" in values:
            values["after"] = i18n.t("explain.aftersale_note", lang, n=n_after) if n_after else ""
        return i18n.t(self.reason, lang, **values)


class OrderNotFound(LookupError):
    pass


def explain_order(store: Store, shop_id: str, order_id: str) -> OrderExplanation:
    con = store.con
    row = con.execute(
        "SELECT buyer_id, created_at, paid_at, amount_fen FROM orders WHERE shop_id = ? AND order_id = ?",
        [shop_id, order_id],
    ).fetchone()
    if row is None:
        raise OrderNotFound(f"order {order_id} is not in shop {shop_id}")
    buyer, created, paid, amount = row
    s = from_mapping(store.settings(shop_id))
    facts: dict[str, Any] = {
        "buyer_id": buyer,
        "created_at": created,
        "paid_at": paid,
        "amount_fen": amount,
        "attribution_rule": s.attribution_rule,
        "attribution_days": s.attribution_days,
    }

    def out(outcome: str, reason: str, **values: Any) -> OrderExplanation:
        return OrderExplanation(shop_id, order_id, outcome, f"explain.{reason}", values, facts)

    if paid is None:
        return out("unpaid", "unpaid")
    if buyer is None:
        return out("unattributable", "unattributable")
    if buyer in s.ignored_accounts:
        return out("ignored", "ignored", buyer=buyer)

    prepare_inputs(con, {shop_id: s}, [])
    runner = DuckDBRunner()
    runner.run(con, [shop_id])
    a = con.execute(
        "SELECT agent_id, credited_by, inquiry_month, inquiry_start_s, session_no,"
        " last_agent_created, last_contact_created_s, last_agent_paid, last_contact_paid_s"
        " FROM attribution WHERE shop_id = ? AND order_id = ?",
        [shop_id, order_id],
    ).fetchone()
    assert a is not None
    agent, by, month, start_s, _session, ag_c, c_s, ag_p, p_s = a
    aftersale = con.execute(
        "SELECT count(*) FROM sess WHERE shop_id = ? AND buyer_id = ? AND is_aftersale = 1"
        " AND start_s <= ?",
        [shop_id, buyer, c_s if c_s is not None else 2**62],
    ).fetchone()
    n_after = int(aftersale[0]) if aftersale else 0
    window = s.attribution_days
    if agent is not None:
        contact_s = c_s if by == "created" else p_s
        ref = created if by == "created" else paid
        msg = con.execute(
            "SELECT sent_at, text FROM in_messages WHERE shop_id = ? AND buyer_id = ? AND agent_id = ?"
            " AND sent_s = ? AND sender = 'agent' ORDER BY text DESC LIMIT 1",
            [shop_id, buyer, agent, contact_s],
        ).fetchone()
        contact_at = _at(contact_s)
        assert contact_at is not None
        days = (ref.date() - contact_at.date()).days
        facts.update(
            agent_id=agent,
            inquiry_month=month,
            inquiry_started_at=_at(start_s),
            contact_at=contact_at,
            contact_text=msg[1] if msg else None,
            days_after_contact=days,
            credited_by=by,
        )
        text = f" “{msg[1]}”" if msg and msg[1] else ""
        return out(
            "credited",
            "credited",
            agent=agent,
            basis=by,
            ref=ref,
            contact_at=contact_at,
            text=text,
            days=days,
            window=window,
            month=month,
            start=_at(start_s),
            amount=yuan(amount),
            amount_fen="—" if amount is None else f"{amount:,}",
        )
    last_s = c_s if c_s is not None else p_s
    last_agent = ag_c if c_s is not None else ag_p
    if last_s is None:
        return out("silent", "silent_no_contact", buyer=buyer, after="", aftersale_sessions=n_after)
    last_at = _at(last_s)
    assert last_at is not None
    days = (created.date() - last_at.date()).days
    facts.update(last_contact_at=last_at, last_contact_agent=last_agent, days_after_contact=days)
    return out(
        "silent",
        "silent_too_old",
        agent=last_agent,
        last_at=last_at,
        days=days,
        window=window,
        after="",
        aftersale_sessions=n_after,
    )


@dataclass(frozen=True)
class CreditedOrder:
    """One order credited to an agent: when it was placed and paid, its amount, and why."""

    order_id: str
    created_at: datetime
    paid_at: datetime | None
    amount_fen: int | None
    refund_fen: int | None
    credited_by: str  # created | paid: the order time the agent's last contact preceded
    contact_at: datetime | None
    days_after_contact: int | None


def credited_orders(
    store: Store,
    shop_id: str,
    agent_id: str,
    month: str,
    split: Sequence[Holding] | None = None,
) -> list[CreditedOrder]:
    """The orders credited to `agent_id` for inquiries of `month` (metrics.md §2), oldest first.

    The same attribution step as `explain_order` and the KPIs: an order listed here is one
    `explain_order` says was credited to the agent, and the month's paying-buyer figures
    count exactly these orders. With `split` (a seat's holdings), the seat is split between
    its holders as `PersonKpis` splits it, and `agent_id` is `seat` + SPLIT_MARK + `person`.
    """
    con = store.con
    s = from_mapping(store.settings(shop_id))
    prepare_inputs(con, {shop_id: s}, [], split=split)
    DuckDBRunner().run(con, [shop_id])
    rows = con.execute(
        "SELECT order_id, created_at, paid_s, amount_fen, refund_fen, credited_by,"
        " CASE credited_by WHEN 'created' THEN last_contact_created_s"
        " ELSE last_contact_paid_s END AS contact_s, created_s"
        " FROM attribution WHERE shop_id = ? AND agent_id = ? AND inquiry_month = ?"
        " ORDER BY created_s, order_id",
        [shop_id, agent_id, month],
    ).fetchall()
    found = []
    for order_id, created, paid_s, amount, refund, by, contact_s, created_s in rows:
        ref_s = created_s if by == "created" else paid_s
        days = None
        if contact_s is not None and ref_s is not None:
            days = int(ref_s) // 86400 - int(contact_s) // 86400
        found.append(
            CreditedOrder(
                order_id=str(order_id),
                created_at=created,
                paid_at=_at(paid_s),
                amount_fen=amount,
                refund_fen=refund,
                credited_by=str(by),
                contact_at=_at(contact_s),
                days_after_contact=days,
            )
        )
    return found
