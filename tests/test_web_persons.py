"""Agent accounts are persons: a seat handed from person A to B mid-month shows each of them
their own days and their own payslip only (issue #9, accounts linked to persons)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from kefu.metrics.engine import StoreKpis
from kefu.metrics.people import PersonKpis
from kefu.pay.plan import load_plan
from kefu.pay.runs import prepare, store_run
from kefu.report.payslip import explain_both
from kefu.store import open_store
from kefu.store.ingest import import_files
from kefu.store.payroll import PayrollRuns
from kefu.store.people import People
from kefu.store.schema import SCHEMA_VERSION
from kefu.web.app import create_app
from webshop import PASSWORDS, WebShop, build, kefu, sign_in

MONTH = "2026-10"  # the month the seat changes hands (the demo shop's last)
BEFORE = "2026-09"  # a month A held the seat throughout
A, B = "P-LIN-A", "P-LIN-B"
PASSWORDS = {**PASSWORDS, "alice": "alice-password", "bob": "bob-password", "old": "old-password"}


@dataclass(frozen=True)
class Handover:
    shop: WebShop
    db: Path
    seat: str


@pytest.fixture(scope="module")
def handover(tmp_path_factory: pytest.TempPathFactory) -> Handover:
    folder = tmp_path_factory.mktemp("persons")
    shop = build(folder)
    seat = shop.agent_b  # 小林's seat: A until the 15th, B from the 16th
    agents = folder / "agents-persons.csv"
    agents.write_text(
        "shop_id,agent_id,name,role,hired_on,person_id,held_from,held_until\n"
        f"{shop.shop},{seat},林一,presale,2024-01-01,{A},,{MONTH}-15\n"
        f"{shop.shop},{seat},林二,presale,2026-10-16,{B},{MONTH}-16,\n",
        encoding="utf-8",
    )
    with open_store(shop.db) as store:
        reports = import_files(store, [agents])
        assert [r.error for r in reports] == [None]
        people = People(store)
        # an account linked to the seat, made on a day A held it: it is A's
        people.add(
            "old", "agent", PASSWORDS["old"], seats=[(shop.shop, seat)], now=datetime(2026, 10, 5)
        )
        runs = PayrollRuns(store)
        prepared = prepare(
            load_plan("seed"),
            shop.shop,
            MONTH,
            PersonKpis(store, StoreKpis(store)),
            runs.all(shop.shop),
            date(2027, 3, 1),
        )
        run = store_run(runs, prepared, datetime(2027, 1, 5), explain_both)
        people.record_draft(run.run_id, "lead")
        runs.approve(run.run_id, datetime(2027, 1, 6))
        people.record_approval(run.run_id, "boss")
    # the accounts of A and B, by their person (工号), on the command line
    for name, person in (("alice", A), ("bob", B)):
        done = kefu(
            "users", "add", name, "--role", "agent", "--person", person, "--password-stdin",
            "--db", str(shop.db), stdin=PASSWORDS[name] + "\n",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    return Handover(shop, shop.db, seat)


def _login(client: TestClient, name: str) -> None:
    sign_in(client, name, PASSWORDS[name])


def _copy(h: Handover, tmp_path: Path) -> Path:
    db = tmp_path / "kefu.duckdb"
    shutil.copy(h.db, db)
    return db


def test_accounts_resolve_to_the_person_of_their_days(handover: Handover) -> None:
    """--person links the person; a seat link is whoever held the seat the day it was made."""
    with open_store(handover.db) as store:
        people = People(store)
        assert people.find("alice").persons == {A}  # type: ignore[union-attr]
        assert people.find("bob").persons == {B}  # type: ignore[union-attr]
        assert people.find("old").persons == {A}  # type: ignore[union-attr]
        assert people.find("lin").persons == {B}  # type: ignore[union-attr]  (made today: B's)
        assert people.find("mei").persons == {handover.shop.agent_a}  # type: ignore[union-attr]
    listed = kefu("users", "list", "--db", str(handover.db), lang="en")
    assert listed.returncode == 0 and A in listed.stdout and B in listed.stdout


def _kpi(client: TestClient, h: Handover, month: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/shops/{h.shop.shop}/kpi/{month}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_each_holder_sees_their_own_days_only(handover: Handover, tmp_path: Path) -> None:
    h = handover
    db = _copy(h, tmp_path)
    with open_store(db) as store:
        persons = PersonKpis(store, StoreKpis(store)).shop_months(h.shop.shop, [BEFORE, MONTH])
        seat_month = StoreKpis(store).shop_months(h.shop.shop, [MONTH])[MONTH]
    want = {m: {a.agent_id: a.to_json() for a in sm.agents} for m, sm in persons.items()}
    seat_row = next(a.to_json() for a in seat_month.agents if a.agent_id == h.seat)
    app = create_app(db)
    seen: dict[str, dict[str, Any]] = {}
    try:
        for name in ("alice", "bob", "old", "lin"):
            with TestClient(app) as client:
                _login(client, name)
                seen[name] = {m: _kpi(client, h, m) for m in (BEFORE, MONTH)}
    finally:
        app.state.workplace.close()
    for name, person in (("alice", A), ("old", A), ("bob", B), ("lin", B)):
        rows = seen[name][MONTH]["agents"]
        assert [r["agent_id"] for r in rows] == [person], name
        assert rows[0] == want[MONTH][person]
        assert rows[0]["seats"] == [
            {
                "agent_id": h.seat,
                "from": f"{MONTH}-01" if person == A else f"{MONTH}-16",
                "until": f"{MONTH}-15" if person == A else f"{MONTH}-31",
            }
        ]
        assert seen[name][MONTH]["team"] == seen["alice"][MONTH]["team"]  # the whole team
    # A's and B's days are the seat's month, split: neither sees the seat's whole month
    a_row, b_row = seen["alice"][MONTH]["agents"][0], seen["bob"][MONTH]["agents"][0]
    assert 0 < a_row["sessions"] < seat_row["sessions"]
    assert 0 < b_row["sessions"] < seat_row["sessions"]
    for field in ("orders", "sales_fen"):  # each order is credited to one contact, one holder
        assert a_row[field] + b_row[field] == seat_row[field]
    # the month before, the seat was A's throughout: B sees no row of it
    assert [r["agent_id"] for r in seen["alice"][BEFORE]["agents"]] == [A]
    assert seen["bob"][BEFORE]["agents"] == []


def test_each_holder_reads_their_own_payslip_and_never_the_other(
    handover: Handover, tmp_path: Path
) -> None:
    h = handover
    db = _copy(h, tmp_path)
    shop = h.shop.shop
    app = create_app(db)
    try:
        for name, mine, theirs in (("alice", A, B), ("bob", B, A), ("old", A, B)):
            with TestClient(app) as client:
                _login(client, name)
                page = client.get(f"/shops/{shop}/agents/{mine}/payslips/{MONTH}")
                assert page.status_code == 200, (name, page.text)
                api = client.get(f"/api/v1/shops/{shop}/agents/{mine}/payslips/{MONTH}")
                assert api.status_code == 200 and api.json()["agent_id"] == mine
                for url in (
                    f"/shops/{shop}/agents/{theirs}/payslips/{MONTH}",
                    f"/api/v1/shops/{shop}/agents/{theirs}/payslips/{MONTH}",
                    f"/shops/{shop}/agents/{theirs}",
                    f"/shops/{shop}/agents/{h.seat}",  # the seat itself: both persons' days
                    f"/api/v1/shops/{shop}/agents/{h.seat}/payslips/{h.shop.month}",
                ):
                    assert client.get(url).status_code in (403, 404), (name, url)
        with TestClient(app) as client:
            _login(client, "bob")  # A's payslip of a month B never held the seat: not B's
            url = f"/shops/{shop}/agents/{B}/payslips/{BEFORE}"
            assert client.get(url).status_code in (403, 404)
    finally:
        app.state.workplace.close()


def test_each_holder_lists_and_opens_only_the_orders_of_their_days(
    handover: Handover, tmp_path: Path
) -> None:
    h = handover
    db = _copy(h, tmp_path)
    shop = h.shop.shop
    link = re.compile(r'href="/shops/[^"]+/orders/([^"]+)"')
    listed: dict[str, list[str]] = {}
    app = create_app(db)
    try:
        for name, person in (("alice", A), ("bob", B)):
            with TestClient(app) as client:
                _login(client, name)
                r = client.get(f"/shops/{shop}/agents/{person}?month={MONTH}")
                assert r.status_code == 200
                listed[name] = link.findall(r.text)
        with TestClient(app) as client:
            _login(client, "lead")
            seat_orders = link.findall(
                client.get(f"/shops/{shop}/agents/{h.seat}?month={MONTH}").text
            )
        for name, other in (("alice", "bob"), ("bob", "alice")):
            with TestClient(app) as client:
                _login(client, name)
                for order in listed[name][:4]:
                    assert client.get(f"/shops/{shop}/orders/{order}").status_code == 200
                for order in listed[other][:4]:
                    got = client.get(f"/shops/{shop}/orders/{order}").status_code
                    assert got in (403, 404), (name, order)
    finally:
        app.state.workplace.close()
    assert listed["alice"] and listed["bob"]
    assert not set(listed["alice"]) & set(listed["bob"])
    assert sorted(listed["alice"] + listed["bob"]) == sorted(seat_orders)


def test_the_owner_links_an_account_to_a_person_on_the_users_page(
    handover: Handover, tmp_path: Path
) -> None:
    h = handover
    db = _copy(h, tmp_path)
    app = create_app(db)
    try:
        with TestClient(app) as client:
            _login(client, "boss")
            page = client.get("/users")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf
            old = People(app.state.workplace.store).find("old")
            assert old is not None and old.persons == {A}
            r = client.post(
                f"/users/{old.user_id}/link",
                data={"csrf": csrf.group(1), "persons": B, "seats": ""},
                follow_redirects=False,
            )
            assert r.status_code == 303
            assert (
                client.post(
                    f"/users/{old.user_id}/link",
                    data={"csrf": csrf.group(1), "persons": "", "seats": ""},
                    follow_redirects=False,
                ).status_code
                == 400
            )  # an agent's account must be someone
        relinked = People(app.state.workplace.store).find("old")
        assert relinked is not None and relinked.persons == {B} and relinked.seats == frozenset()
        entries = People(app.state.workplace.store).audit_entries()
        assert any(e["action"] == "users.link" and e["object"] == "old" for e in entries)
        with TestClient(app) as client:
            _login(client, "old")
            assert [r["agent_id"] for r in _kpi(client, h, MONTH)["agents"]] == [B]
    finally:
        app.state.workplace.close()


@pytest.mark.parametrize("version", [4, SCHEMA_VERSION - 1])
def test_a_seat_linked_account_of_an_older_store_is_its_seats_person(
    tmp_path: Path, version: int
) -> None:
    """Upgraded, an agent account made for a seat before persons existed is the seat's person."""
    import duckdb

    from storefiles import released

    path = released(version, tmp_path)
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO users VALUES (7, 'mei', 'agent', 'argon2-hash', false, 'zh', now()::TIMESTAMP)"
    )
    con.execute("INSERT INTO user_agents VALUES (7, '样例店', '小美')")
    con.close()
    with open_store(path) as store:
        assert store.version() == SCHEMA_VERSION
        mei = People(store).find("mei")
    assert mei is not None and mei.persons == {"小美"} and mei.linked == frozenset()
    assert mei.holders_in("样例店", "2024-05") == {"小美"}


def test_a_seat_no_agents_file_names_is_its_own_person(tmp_path: Path) -> None:
    """Chats without an agents file: nobody is known to hold the seat, so the account is it."""
    with open_store(tmp_path / "k.duckdb") as store:
        mei = People(store).add("mei", "agent", "mei-password", seats=[("店", "客服1")])
    assert mei.persons == {"客服1"} and mei.holders_in("店", "2026-10") == {"客服1"}
    assert mei.holders_in("别家店") == set()
