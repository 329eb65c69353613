"""Why an order was credited to an agent, or why it is silent (metrics.md §2, attribution)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kefu.metrics.engine import DuckDBRunner, prepare_inputs
from kefu.metrics.settings import from_mapping
from kefu.store import Store

_EPOCH = datetime(1970, 1, 1)


def _at(s: int | None) -> datetime | None:
    return None if s is None else _EPOCH + timedelta(seconds=int(s))


@dataclass(frozen=True)
class OrderExplanation:
    shop_id: str
    order_id: str
    outcome: str  # credited | silent | unpaid | unattributable | ignored
    reason_zh: str
    reason_en: str
    facts: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "zh") -> str:
        return self.reason_en if lang == "en" else self.reason_zh


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

    def out(outcome: str, zh: str, en: str) -> OrderExplanation:
        return OrderExplanation(shop_id, order_id, outcome, zh, en, facts)

    if paid is None:
        return out(
            "unpaid",
            "该订单未付款: 未付款订单不落实给任何客服。",
            "never paid: unpaid orders are never credited.",
        )
    if buyer is None:
        return out(
            "unattributable",
            "该订单没有买家会员名(导出文件无此列), 无法落实到客服, 计入“无买家订单”。",
            "the order has no buyer id (the export lacks 买家会员名): it cannot be credited, "
            "and counts as unattributable.",
        )
    if buyer in s.ignored_accounts:
        return out(
            "ignored",
            f"买家 {buyer} 在忽略账号中, 不计入任何指标。",
            f"buyer {buyer} is an ignored account.",
        )

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
        basis_zh = "下单时间" if by == "created" else "付款时间"
        basis_en = "created_at" if by == "created" else "paid_at"
        text = f" “{msg[1]}”" if msg and msg[1] else ""
        return out(
            "credited",
            f"落实给 {agent}: 该买家在{basis_zh} {ref} 之前最后一次售前接待消息是 {contact_at}{text}, "
            f"相差 {days} 个自然日 (≤ {window} 天), 计入询单所在月份 {month} (询单开始于 {_at(start_s)})。",
            f"credited to {agent}: the buyer's latest pre-sale contact at or before {basis_en} {ref} "
            f"was {agent}'s message at {contact_at}{text}, {days} calendar day(s) before (window "
            f"{window}); it counts in the inquiry's month {month} (inquiry began {_at(start_s)}).",
        )
    last_s = c_s if c_s is not None else p_s
    last_agent = ag_c if c_s is not None else ag_p
    after_zh = f" (另有 {n_after} 个售后会话不参与落实)" if n_after else ""
    after_en = (
        f" ({n_after} after-sale session(s) of this buyer are never considered)" if n_after else ""
    )
    if last_s is None:
        return out(
            "silent",
            f"静默下单: 买家 {buyer} 在下单前没有任何售前询单中的客服消息{after_zh}。",
            f"silent: buyer {buyer} had no agent message in a pre-sale inquiry at or before the order{after_en}.",
        )
    last_at = _at(last_s)
    assert last_at is not None
    days = (created.date() - last_at.date()).days
    facts.update(last_contact_at=last_at, last_contact_agent=last_agent, days_after_contact=days)
    return out(
        "silent",
        f"静默下单: 最后一次售前接待是 {last_agent} 在 {last_at}, 距下单 {days} 个自然日, 超过 {window} 天; "
        f"不会回退到更早的接待{after_zh}。",
        f"silent: the latest pre-sale contact was {last_agent} at {last_at}, {days} calendar day(s) "
        f"before the order, beyond the {window}-day window; there is no falling back to an older "
        f"contact{after_en}.",
    )
