"""Helpers of the web tests: a demo shop with people, running `kefu`, serving a store.

`build` makes the demo shop with an owner, a manager, a manager of another shop and two
agents, plus a payroll run drafted by the manager and one approved run. `kefu` runs the
installed command; `Served` is a real `kefu serve` on a free loopback port (bench/web.py
imports it too).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

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

KEFU = [sys.executable, "-m", "kefu.cli.main"]


def kefu(
    *args: str, stdin: str | None = None, lang: str = "zh"
) -> subprocess.CompletedProcess[str]:
    """`kefu ARGS` in a child process (KEFU_LANG=lang), its output captured, never raising."""
    return subprocess.run(
        [*KEFU, *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "KEFU_LANG": lang},
    )


def sign_in(client: Any, name: str, password: str) -> str:
    """Sign `name` in through the login form of a FastAPI TestClient; the CSRF token of the
    signed-in pages (what their forms post)."""
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    r = client.post(
        "/login",
        data={"name": name, "password": password, "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert found
    return found.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """`kefu serve --db DB` on a free loopback port; its output goes to a log beside the store.

    `start()` returns once /login answers; a server that stops early, or never answers, fails
    with the end of its log. Stopped and started again around CLI reads of the store.
    """

    def __init__(self, db: Path, timeout: float = 60) -> None:
        self.db = db
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = db.parent / f"serve-{self.port}.log"
        self.timeout = timeout
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Served:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*KEFU, "serve", "--db", str(self.db), "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/login", timeout=2).read()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError(f"kefu serve stopped: {self.tail()}") from None
                time.sleep(0.3)
        self.stop()
        raise AssertionError(
            f"kefu serve did not answer within {self.timeout:.0f} s: {self.tail()}"
        )

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
            self.proc = None

    def __enter__(self) -> Served:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


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
