"""Every route of the workplace × every role → the expected answer, generated from the routes.

A route whose action has no row in EXPECTED fails the suite: a new page cannot ship without a
rule. The expectations are written here by hand, independently of kefu.web.access.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from kefu.pay.plan import shipped_text
from kefu.store.people import People
from kefu.web.app import create_app
from webshop import PASSWORDS, WebShop, build, sign_in

ROLES = ("anonymous", "boss", "lead", "stranger", "mei", "lin")

# action → the people who may do it (mei is agent A, whose seat the URLs name; lin is agent B)
EXPECTED: dict[str, set[str]] = {
    "home": {"boss", "lead", "stranger", "mei", "lin"},
    "shop.team": {"boss", "lead", "mei", "lin"},
    "shop.agents": {"boss", "lead"},
    "agent.view": {"boss", "lead", "mei"},
    "order.explain": {"boss", "lead", "mei"},
    "payslip.view": {"boss", "lead", "mei"},
    "import": {"boss", "lead"},
    "settings.edit": {"boss", "lead"},
    "pay.view": {"boss", "lead"},
    "pay.draft": {"boss", "lead"},
    "pay.approve": {"boss"},  # lead drafted the run: the drafter never approves it
    "question.raise": {"mei"},
    "question.view": {"boss", "lead", "mei"},
    "question.answer": {"boss", "lead"},
    "users.manage": {"boss"},
    "voice.view": {"boss", "lead"},  # buyers' words: never an agent's
}
PUBLIC = {("GET", "/login"), ("POST", "/login")}
KEFU = [sys.executable, "-m", "kefu.cli.main"]
LEXICON = "topics:\n  quality:\n    words: [起球]\n"  # a shop's lexicon (docs/voice.md)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> WebShop:
    return build(tmp_path_factory.mktemp("web"))


def _login(client: TestClient, name: str) -> str:
    return sign_in(client, name, PASSWORDS[name])


def _url(path: str, shop: WebShop, action: str) -> str:
    month = shop.draft_month if action in ("pay.draft", "pay.approve") else shop.month
    values = {
        "shop": shop.shop,
        "month": month,
        "agent": shop.agent_a,
        "run": str(shop.draft_run),
        "order": shop.order_a,
        "qid": str(shop.question_a),
        "uid": str(shop.user_b),
        "job": "0" * 32,  # an import's progress: an id nobody used reads as waiting
    }
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


def _form(action: str) -> dict[str, str]:
    return {
        "pay.draft": {"plan": "seed"},
        "question.raise": {"text": "为什么？", "about": "提成"},
        "question.answer": {"text": "已核对。", "outcome": "answered"},
        "users.manage": {"name": "新人", "role": "manager", "password": "new-password"},
        "settings.edit": {"name": "diagnosis.min_inquiries", "value": "30"},
    }.get(action, {})


@pytest.fixture(scope="module")
def rules(shop: WebShop, tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    app = create_app(shop.db)
    found = list(app.state.workplace.rules)
    app.state.workplace.close()
    return found


def test_every_route_has_a_rule(rules: list[Any]) -> None:
    missing = [(r.method, r.path, r.action) for r in rules if r.action not in EXPECTED]
    assert missing == []
    assert {r.action for r in rules} >= set(EXPECTED) - {"home"}


def _cases() -> Iterator[tuple[str, str]]:
    yield from ((role, "") for role in ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_route_by_role(shop: WebShop, rules: list[Any], role: str, tmp_path: Path) -> None:
    """Each role against every route, on its own copy of the store (writes change nothing else)."""
    db = tmp_path / "kefu.duckdb"
    shutil.copy(shop.db, db)
    app = create_app(db)
    wrong: list[str] = []
    try:
        with TestClient(app) as client:
            csrf = _login(client, role) if role != "anonymous" else ""
            for rule in rules:
                if (rule.method, rule.path) in PUBLIC or rule.path == "/logout":
                    continue
                url = _url(rule.path, shop, rule.action)
                headers = (
                    {"Authorization": "Bearer nothing"} if rule.api and role == "anonymous" else {}
                )
                if rule.method == "GET":
                    r = client.get(url, follow_redirects=False, headers=headers)
                elif rule.path.endswith("/lexicon"):
                    r = client.post(
                        url,
                        data={"csrf": csrf},
                        files={"lexicon_file": ("shop.yaml", LEXICON.encode(), "application/yaml")},
                        follow_redirects=False,
                    )
                elif rule.path.endswith("/whatif"):
                    plan = shipped_text("seed").encode()
                    r = client.post(
                        url,
                        data={"csrf": csrf},
                        files={"plan_file": ("mine.yaml", plan, "application/yaml")},
                        follow_redirects=False,
                    )
                elif rule.action == "import":
                    agents = (
                        f"shop_id,agent_id,name,role\n{shop.shop},{shop.agent_a},小美,presale\n"
                    )
                    r = client.post(
                        url,
                        data={"csrf": csrf},
                        files={"files": ("agents.csv", agents.encode(), "text/csv")},
                        follow_redirects=False,
                    )
                elif rule.path.endswith("/link"):  # agent B's account linked to B's seat again
                    data = {"persons": "", "seats": shop.agent_b, "csrf": csrf}
                    r = client.post(url, data=data, follow_redirects=False)
                else:
                    r = client.post(
                        url, data={**_form(rule.action), "csrf": csrf}, follow_redirects=False
                    )
                may = role in EXPECTED[rule.action]
                if role == "anonymous":
                    ok = r.status_code == (401 if rule.api else 303)
                elif may:
                    ok = r.status_code in (200, 303)
                else:
                    ok = r.status_code in (403, 404)
                if not ok:
                    wrong.append(f"{role} {rule.method} {url} ({rule.action}) → {r.status_code}")
    finally:
        app.state.workplace.close()
    assert wrong == []


def test_refusals_are_audited(shop: WebShop, tmp_path: Path) -> None:
    db = tmp_path / "kefu.duckdb"
    shutil.copy(shop.db, db)
    app = create_app(db)
    try:
        with TestClient(app) as client:
            _login(client, "lin")
            r = client.get(f"/shops/{shop.shop}/agents/{shop.agent_a}/payslips/{shop.month}")
            assert r.status_code == 403
            entries = People(app.state.workplace.store).audit_entries()
            assert any(e["actor"] == "lin" and e["outcome"] == "refused" for e in entries)
    finally:
        app.state.workplace.close()


def test_post_without_csrf_is_refused(shop: WebShop, tmp_path: Path) -> None:
    db = tmp_path / "kefu.duckdb"
    shutil.copy(shop.db, db)
    app = create_app(db)
    try:
        with TestClient(app) as client:
            _login(client, "boss")
            url = f"/shops/{shop.shop}/runs/{shop.draft_run}/approve"
            assert client.post(url, data={}, follow_redirects=False).status_code == 403
            assert (
                client.post(url, data={"csrf": "forged"}, follow_redirects=False).status_code == 403
            )
    finally:
        app.state.workplace.close()


def test_agent_api_shows_only_their_row_and_the_whole_team(shop: WebShop, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    db = tmp_path / "kefu.duckdb"
    shutil.copy(shop.db, db)
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "kefu.cli.main",
            "kpi",
            "--db",
            str(db),
            "--month",
            shop.month,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    full = json.loads(cli.stdout)
    app = create_app(db)
    try:
        with TestClient(app) as client:
            _login(client, "mei")
            body = client.get(f"/api/v1/shops/{shop.shop}/kpi/{shop.month}").json()
    finally:
        app.state.workplace.close()
    assert [a["agent_id"] for a in body["agents"]] == [shop.agent_a]
    assert body["team"] == full["team"]
    assert body["agents"][0] == next(a for a in full["agents"] if a["agent_id"] == shop.agent_a)
    assert list(body) == list(full)


def test_agent_page_lists_own_credited_orders_each_linked(shop: WebShop, tmp_path: Path) -> None:
    """Agent A's page lists the orders credited to A (no one else's), each opening its credit."""
    from kefu.metrics.explain import explain_order
    from kefu.store import open_store

    db = tmp_path / "kefu.duckdb"
    shutil.copy(shop.db, db)
    link = re.compile(r'href="/shops/[^"]+/orders/([^"]+)"')
    page_a = f"/shops/{shop.shop}/agents/{shop.agent_a}?month={shop.month}"
    page_b = f"/shops/{shop.shop}/agents/{shop.agent_b}?month={shop.month}"
    app = create_app(db)
    try:
        with TestClient(app) as client:
            _login(client, "lead")  # the manager sees both lists (and fills the page memo first)
            listed_b = link.findall(client.get(page_b).text)
            from_lead = link.findall(client.get(page_a).text)
        with TestClient(app) as client:
            _login(client, "mei")
            r = client.get(page_a)
            assert r.status_code == 200
            listed_a = link.findall(r.text)
            assert client.get(page_b).status_code == 403
            assert (
                client.get(f"/shops/{shop.shop}/agents/{shop.agent_a}?month=2099-01").status_code
                == 404
            )
            for order in listed_a[:5]:
                assert client.get(f"/shops/{shop.shop}/orders/{order}").status_code == 200
            for order in listed_b[:5]:
                assert client.get(f"/shops/{shop.shop}/orders/{order}").status_code in (403, 404)
    finally:
        app.state.workplace.close()
    assert shop.order_a in listed_a and listed_a == from_lead
    assert listed_b and not set(listed_a) & set(listed_b)
    with open_store(db) as store:
        for order in listed_a[:10]:
            assert explain_order(store, shop.shop, order).facts["agent_id"] == shop.agent_a


def test_the_owner_disables_a_user_and_resets_a_password(shop: WebShop, tmp_path: Path) -> None:
    """Owner only, with the CSRF token; the person's sessions end; each change is audited."""
    db = tmp_path / "kefu.duckdb"
    shutil.copy(shop.db, db)
    app = create_app(db)
    try:
        people = People(app.state.workplace.store)
        mei = people.find("mei")
        assert mei is not None
        with TestClient(app) as lin_client, TestClient(app) as mei_client:
            _login(lin_client, "lin")
            _login(mei_client, "mei")
            with TestClient(app) as lead:
                lead_csrf = _login(lead, "lead")
                url = f"/users/{shop.user_b}/disable"
                assert lead.post(url, data={"csrf": lead_csrf}).status_code == 403
            with TestClient(app) as boss:
                csrf = _login(boss, "boss")
                disable = f"/users/{shop.user_b}/disable"
                assert boss.post(disable, data={}, follow_redirects=False).status_code == 403
                assert lin_client.get("/", follow_redirects=False).status_code == 200
                r = boss.post(disable, data={"csrf": csrf}, follow_redirects=False)
                assert r.status_code == 303
                assert lin_client.get("/", follow_redirects=False).status_code == 303  # signed out
                reset = f"/users/{mei.user_id}/password"
                short = boss.post(reset, data={"csrf": csrf, "password": "short"})
                assert short.status_code == 400
                assert mei_client.get("/", follow_redirects=False).status_code == 200
                r = boss.post(
                    reset,
                    data={"csrf": csrf, "password": "mei-new-password"},
                    follow_redirects=False,
                )
                assert r.status_code == 303
                assert mei_client.get("/", follow_redirects=False).status_code == 303
                boss_id = people.find("boss").user_id  # type: ignore[union-attr]
                own = boss.post(f"/users/{boss_id}/disable", data={"csrf": csrf})
                assert own.status_code == 400
                assert boss.post("/users/999999/disable", data={"csrf": csrf}).status_code == 404
        assert people.check_password("lin", PASSWORDS["lin"]) is None  # disabled
        assert people.check_password("mei", PASSWORDS["mei"]) is None
        assert people.check_password("mei", "mei-new-password") is not None
        entries = people.audit_entries()
    finally:
        app.state.workplace.close()
    done = {(e["actor"], e["action"], e["object"], e["outcome"]) for e in entries}
    assert ("boss", "users.disable", "lin", "ok") in done
    assert ("boss", "users.set_password", "mei", "ok") in done
    assert not any("mei-new-password" in str(e) for e in entries)


def test_the_last_owner_cannot_be_disabled(shop: WebShop, tmp_path: Path) -> None:
    from kefu.store import open_store
    from kefu.store.people import PeopleError

    db = tmp_path / "kefu.duckdb"
    shutil.copy(shop.db, db)
    with open_store(db) as store:
        people = People(store)
        with pytest.raises(PeopleError, match="last owner") as refused:
            people.set_disabled("boss")
        assert refused.value.key == "user.last_owner"
        people.add("boss2", "owner", "boss2-password")
        people.set_disabled("boss")
        with pytest.raises(PeopleError, match="last owner"):
            people.set_disabled("boss2")


def test_a_plan_file_uploaded_for_the_what_if_and_a_draft(shop: WebShop, tmp_path: Path) -> None:
    """Checked by the CLI's plan loader; a bad one is one sentence and stores nothing."""
    from kefu.store import open_store
    from kefu.store.payroll import PayrollRuns

    db = tmp_path / "kefu.duckdb"
    shutil.copy(shop.db, db)
    mine = shipped_text("seed").replace("plan: seed", "plan: mine", 1)
    broken = mine.replace("amount: {2000-01-01: 3000.00}", "amount: {2000-01-01: 3000.001}", 1)
    assert broken != mine
    whatif = f"/shops/{shop.shop}/pay/{shop.draft_month}/whatif"
    draft = f"/shops/{shop.shop}/pay/{shop.draft_month}/draft"

    def plan(text: str | bytes, name: str = "mine.yaml") -> dict[str, Any]:
        data = text.encode() if isinstance(text, str) else text
        return {"plan_file": (name, data, "application/yaml")}

    app = create_app(db)
    try:
        with TestClient(app) as client:
            csrf = _login(client, "lead")
            r = client.post(whatif, data={"csrf": csrf}, files=plan(mine))
            assert r.status_code == 200
            head = re.search(r'<table class="kpi" id="whatif"><thead>(.*?)</thead>', r.text, re.S)
            assert head and head.group(1).count("<th>") == 5  # agent, mine, three shipped
            assert "mine" in head.group(1) and 'id="uploaded-plan"' in r.text
            for bad, status in [
                (plan(broken), 400),
                (plan(mine.encode("utf-16")), 400),
                (plan(b"plan: [unclosed"), 400),
            ]:
                r = client.post(whatif, data={"csrf": csrf}, files=bad)
                assert r.status_code == status
                error = re.search(r'<p class="error" role="alert">([^<]*)</p>', r.text)
                assert error and error.group(1).count("。") <= 1, error
                assert "Traceback" not in r.text
            r = client.post(whatif, data={"csrf": csrf}, files=plan(broken))
            assert "3000.001" in r.text or "amount" in r.text  # names the key at fault
            assert client.post(whatif, data={}, files=plan(mine)).status_code == 403  # no CSRF
            before = len(PayrollRuns(app.state.workplace.store).all(shop.shop))
            r = client.post(draft, data={"csrf": csrf}, files=plan(broken))
            assert r.status_code == 400
            assert len(PayrollRuns(app.state.workplace.store).all(shop.shop)) == before
            r = client.post(
                draft, data={"csrf": csrf, "plan": "seed"}, files=plan(mine), follow_redirects=False
            )
            assert r.status_code == 303
        with TestClient(app) as client:
            csrf = _login(client, "mei")
            assert client.post(whatif, data={"csrf": csrf}, files=plan(mine)).status_code == 403
    finally:
        app.state.workplace.close()
    with open_store(db) as store:
        latest = PayrollRuns(store).all(shop.shop)[-1]
    assert latest.plan_text == mine and latest.plan_source == "mine.yaml"
    assert latest.plan_name == "mine"


def test_voice_of_the_buyer_for_managers_only(shop: WebShop, tmp_path: Path) -> None:
    """The page and API show `kefu voice --format json`'s month; agents reach neither."""
    import json
    import subprocess
    from urllib.parse import quote

    db = tmp_path / "kefu.duckdb"
    shutil.copy(shop.db, db)
    cli = subprocess.run(
        [*KEFU, "voice", "--db", str(db), "--month", shop.month, "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = json.loads(cli.stdout)
    page = f"/shops/{shop.shop}/voice/{shop.month}"
    api = f"/api/v1/shops/{shop.shop}/voice/{shop.month}"
    app = create_app(db)
    try:
        with TestClient(app) as client:
            _login(client, "lead")
            r = client.get(page)
            assert r.status_code == 200
            assert client.get(api).json() == expected
            rows = re.findall(r'<tr data-topic="(\w+)">', r.text)
            topics = [x["topic"] for x in expected["topics"]]
            assert topics and rows[: len(topics)] == topics
            assert (
                f'href="/shops/{quote(shop.shop)}/voice/{shop.month}"'
                in client.get(f"/shops/{shop.shop}/months/{shop.month}").text
            )
        for agent in ("mei", "lin"):
            with TestClient(app) as client:
                _login(client, agent)
                assert client.get(page).status_code == 403
                assert client.get(api).status_code == 403
                month_page = client.get(f"/shops/{shop.shop}/months/{shop.month}").text
                assert "/voice/" not in month_page
    finally:
        app.state.workplace.close()


def test_the_shops_lexicon_uploaded_on_the_voice_page(shop: WebShop, tmp_path: Path) -> None:
    """Checked by `kefu voice`'s loader, kept in the store, used by the page and by the CLI."""
    import json

    db = tmp_path / "kefu.duckdb"
    shutil.copy(shop.db, db)
    base = f"/shops/{shop.shop}/voice/{shop.month}"
    # every buyer message that names 急用 or 搓泥 is also `gift` under the shop's lexicon
    mine = "topics:\n  gift:\n    words: [急用, 搓泥]\n"

    def lexicon(text: str) -> dict[str, Any]:
        return {"lexicon_file": ("shop.yaml", text.encode(), "application/yaml")}

    app = create_app(db)
    try:
        with TestClient(app) as client:
            csrf = _login(client, "lead")
            before = client.get(f"/api/v1/shops/{shop.shop}/voice/{shop.month}").json()
            bad = client.post(
                f"{base}/lexicon", data={"csrf": csrf}, files=lexicon("topics: [unclosed")
            )
            assert bad.status_code == 400 and 'class="error"' in bad.text
            wrong = client.post(
                f"{base}/lexicon", data={"csrf": csrf}, files=lexicon("topics:\n  nosuch: {}\n")
            )
            assert wrong.status_code == 400
            assert client.get(f"{base}/lexicon.yaml").status_code == 404  # nothing kept
            r = client.post(
                f"{base}/lexicon", data={"csrf": csrf}, files=lexicon(mine), follow_redirects=False
            )
            assert r.status_code == 303
            assert client.get(f"{base}/lexicon.yaml").text == mine
            after = client.get(f"/api/v1/shops/{shop.shop}/voice/{shop.month}").json()
        with TestClient(app) as client:
            csrf = _login(client, "mei")
            r = client.post(f"{base}/lexicon", data={"csrf": csrf}, files=lexicon("{}"))
            assert r.status_code == 403
            assert client.get(f"{base}/lexicon.yaml").status_code == 403
        entries = People(app.state.workplace.store).audit_entries()
    finally:
        app.state.workplace.close()
    gift = {t["topic"]: t["messages"] for t in after["topics"]}.get("gift", 0)
    assert gift > {t["topic"]: t["messages"] for t in before["topics"]}.get("gift", 0)
    assert any(e["action"] == "voice.lexicon" and e["actor"] == "lead" for e in entries)
    cli = subprocess.run(
        [*KEFU, "voice", "--db", str(db), "--month", shop.month, "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(cli.stdout) == after  # kefu voice reads the shop's lexicon too
