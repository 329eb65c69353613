"""A demo shop with people for the web tests: an owner, a manager, a manager of another shop,
and two agents, plus a payroll run drafted by the manager and one approved run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from kefu.demo.generate import generate_demo_shop
from kefu.metrics.cache import CachedKpis
from kefu.metrics.engine import StoreKpis
from kefu.pay.plan import load_plan
from kefu.pay.runs import prepare, store_run
from kefu.report.payslip import explain_both
from kefu.store import open_store
from kefu.store.ingest import import_files
from kefu.store.payroll import PayrollRuns
from kefu.store.people import People
from kefu.store.questions import Questions

PASSWORDS = {
    "boss": "boss-password",
    "lead": "lead-password",
    "stranger": "stranger-password",
    "mei": "mei-password",
    "lin": "lin-password",
}


@dataclass(frozen=True)
class WebShop:
    db: Path
    shop: str
    month: str  # a month with an approved run
    draft_month: str  # a month with a run drafted by the manager, not approved
    agent_a: str
    agent_b: str
    draft_run: int
    order_a: str  # an order of the month credited to agent A
    question_a: int  # a question raised by agent A
    user_b: int  # agent B's user id (lin)


def build(folder: Path) -> WebShop:
    shop = generate_demo_shop(folder)
    db = folder / "kefu.duckdb"
    with open_store(db) as store:
        reports = import_files(store, shop.files)
        assert [r.error for r in reports if r.error] == []
        sid = shop.shop_id
        a = f"{sid}:小美"
        b = f"{sid}:小林"
        people = People(store)
        people.add("boss", "owner", PASSWORDS["boss"])
        people.add("lead", "manager", PASSWORDS["lead"], shops=[sid])
        people.add("stranger", "manager", PASSWORDS["stranger"], shops=["别家店"])
        people.add("mei", "agent", PASSWORDS["mei"], seats=[(sid, a)])
        lin = people.add("lin", "agent", PASSWORDS["lin"], seats=[(sid, b)])
        month, draft_month = shop.months[-3], shop.months[-2]
        runs = PayrollRuns(store)
        source = StoreKpis(store)
        plan = load_plan("seed")
        today = date(2027, 3, 1)
        approved = store_run(
            runs,
            prepare(plan, sid, month, source, runs.all(sid), today),
            datetime(2027, 1, 5),
            explain_both,
        )
        people.record_draft(approved.run_id, "lead")
        runs.approve(approved.run_id, datetime(2027, 1, 6))
        people.record_approval(approved.run_id, "boss")
        draft = store_run(
            runs,
            prepare(plan, sid, draft_month, source, runs.all(sid), today),
            datetime(2027, 2, 5),
            explain_both,
        )
        people.record_draft(draft.run_id, "lead")
        order_a = _order_credited_to(store, sid, a, month)
        qid = Questions(store).ask(sid, a, month, "提成", "mei", "我的提成是不是少算了？")
        CachedKpis(store, source).shop_months(sid, list(shop.months))
    return WebShop(db, sid, month, draft_month, a, b, draft.run_id, order_a, qid, lin.user_id)


def _order_credited_to(store: object, shop_id: str, agent_id: str, month: str) -> str:
    from kefu.metrics.explain import explain_order

    con = store.con  # type: ignore[attr-defined]
    candidates = con.execute(
        "SELECT DISTINCT o.order_id FROM orders o JOIN messages m ON m.shop_id = o.shop_id "
        "AND m.buyer_id = o.buyer_id WHERE o.shop_id = ? AND m.agent_id = ? AND m.sender = 'agent' "
        "AND o.paid_at IS NOT NULL AND strftime(o.created_at, '%Y-%m') = ? "
        "AND m.sent_at <= o.created_at ORDER BY 1 LIMIT 20",
        [shop_id, agent_id, month],
    ).fetchall()
    for (order_id,) in candidates:
        if explain_order(store, shop_id, order_id).facts.get("agent_id") == agent_id:  # type: ignore[arg-type]
            return str(order_id)
    raise AssertionError(f"no order of {month} credited to {agent_id}")
