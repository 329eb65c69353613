"""The workplace as people use it: a real `kefu serve` on loopback, driven in Debian's chromium.

One story, in order: the owner creates a manager and two agents in the browser; the manager
uploads the demo shop's export files (GBK Taobao orders, 千牛 chat text, CSVs); the shop-month
page shows the figures `kefu kpi --format json` prints for the same store; the manager drafts
a payroll run and cannot approve it; the owner approves; agent A reads their payslip and
reaches nothing of agent B's, by link, URL or API; a forged POST fails; a name with <script>
is text; the owner resets that user's password and disables them, ending their sessions; wrong passwords are throttled; agent A's question reaches the manager and the answer
reaches agent A. Screenshots of every page, in both languages and at phone width, go to
test-artifacts/web/.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES
from kefu.demo.generate import generate_demo_shop
from webshop import Served
from webshop import kefu as _kefu

CHROMIUM = Path("/usr/bin/chromium")
REAL_SHOP = "勤驿达海外生活"  # the shop the real Taobao export sample names
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "web"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make chromium)")
    folder = tmp_path_factory.mktemp("web-browser")
    shop = generate_demo_shop(folder / "files")
    db = folder / "kefu.duckdb"
    made = _kefu(
        "users",
        "add",
        "boss",
        "--role",
        "owner",
        "--password-stdin",
        "--db",
        str(db),
        stdin="boss-password\n",
    )
    assert made.returncode == 0, made.stderr
    server = Served(db)
    SERVER.append(server)
    server.start()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield {"p": p, "browser": browser, "server": server, "shop": shop, "db": db}
        finally:
            browser.close()
            server.stop()


def _person(world: dict[str, Any], phone: bool = False) -> Any:
    context = world["browser"].new_context(viewport=PHONE if phone else DESKTOP)
    base = world["server"].base

    def only_loopback(route: Any) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.on(
        "dialog", lambda d: (_ for _ in ()).throw(AssertionError(f"a dialog opened: {d.message}"))
    )
    return page


def _login(page: Any, base: str, name: str, password: str) -> Any:
    page.goto(base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    return page


SERVER: list[Served] = []  # the story's server, whose log explains an error page


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if "Internal Server Error" in page.content():
        tail = SERVER[-1].tail() if SERVER else ""
        raise AssertionError(f"{name}: the server failed on {page.url}: {tail}")


def test_the_workplace_story(world: dict[str, Any]) -> None:
    base = world["server"].base
    shop = world["shop"]
    sid = shop.shop_id
    a, b = f"{sid}:小美", f"{sid}:小林"

    # -- the owner creates the people -------------------------------------------------------
    owner = _login(_person(world), base, "boss", "boss-password")
    owner.goto(base + "/users")
    for name, role, shops, seats, password in [
        ("lead", "manager", f"{sid},{REAL_SHOP}", "", "lead-password"),
        ("mei", "agent", "", f"{sid}:{a}", "mei-password"),
        ("lin", "agent", "", f"{sid}:{b}", "lin-password"),
        ("<script>alert(1)</script>", "manager", "别家店", "", "script-password"),
    ]:
        form = "#add-user-form"
        owner.fill(f"{form} input[name=name]", name)
        owner.select_option(f"{form} select[name=role]", role)
        owner.fill(f"{form} input[name=password]", password)
        owner.fill(f"{form} input[name=shops]", shops)
        owner.fill(f"{form} input[name=seats]", seats)
        owner.click("#add-user")
        assert owner.url.endswith("/users")
    assert "<script>alert(1)</script>" in owner.inner_text("table")  # shown as text, not run
    _shot(owner, "users-zh")

    # -- the owner resets a password and disables a user; the person's sessions end ---------
    odd = "<script>alert(1)</script>"
    uid = owner.locator("tr[data-user]", has_text=odd).get_attribute("data-user")
    row = f"tr[data-user='{uid}']"
    other = _login(_person(world), base, odd, "script-password")
    assert not other.url.endswith("/login")
    owner.fill(f"{row} form.reset input[name=password]", "script-password-2")
    owner.click(f"{row} form.reset button")
    assert owner.url.endswith("/users")
    other.goto(base + "/")
    assert other.url.endswith("/login"), "a reset password ends the person's sessions"
    _login(other, base, odd, "script-password-2")
    assert not other.url.endswith("/login")
    owner.click(f"{row} form.disable button")
    assert "已停用" in owner.inner_text(row)
    assert owner.locator(f"{row} form.disable").count() == 0
    other.goto(base + "/")
    assert other.url.endswith("/login"), "a disabled user's sessions end"
    _shot(owner, "users-managed-zh")

    # -- the manager imports the shop's export files ---------------------------------------
    lead = _login(_person(world), base, "lead", "lead-password")
    lead.goto(base + f"/shops/{sid}/import")
    _shot(lead, "import-empty-zh")
    lead.set_input_files("#files", [str(f) for f in shop.files])
    lead.click("#upload button[type=submit]")
    lead.wait_for_selector("#report", timeout=300_000)
    report_rows = lead.locator("#report tbody tr").count()
    assert report_rows == len(shop.files)
    assert lead.locator("#report td.error").all_inner_texts() == [""] * report_rows
    _shot(lead, "import-done-zh")

    # the real Taobao export pair (GBK, ="…" order ids) into the shop it names
    real = sorted((FIXTURES / "taobao-order-export").glob("*.gbk.csv"))
    if real:
        lead.goto(base + f"/shops/{REAL_SHOP}/import")
        lead.set_input_files("#files", [str(f) for f in real])
        lead.click("#upload button[type=submit]")
        lead.wait_for_selector("#report", timeout=300_000)
        assert lead.locator("#report td.error").all_inner_texts() == ["", ""]
        assert "5" in lead.locator("#report tbody tr").first.inner_text()
    elif os.environ.get("CI") == "true":
        raise AssertionError(f"the real export samples are missing from {FIXTURES}")

    # -- the shop-month page equals `kefu kpi --format json` -------------------------------
    month = shop.months[-3]
    lead.goto(base + f"/shops/{sid}/months/{month}")
    _shot(lead, "shop-month-zh")
    api = lead.request.get(base + f"/api/v1/shops/{sid}/kpi/{month}").json()
    page_rows = {
        r.get_attribute("data-agent"): r.locator("td[data-field=paying_buyers]").inner_text()
        for r in lead.locator("#kpi tbody tr").all()
    }
    world["server"].stop()
    cli = _kefu(
        "kpi", "--db", str(world["db"]), "--shop", sid, "--month", month, "--format", "json"
    )
    assert cli.returncode == 0, cli.stderr
    world["server"].start()
    expected = json.loads(cli.stdout)
    assert api == expected
    for row in expected["agents"]:
        assert page_rows[row["agent_id"]] == f"{row['paying_buyers']:,}"
    assert page_rows["team"] == f"{expected['team']['paying_buyers']:,}"

    # -- settings: the same registry and validation as `kefu settings` ----------------------
    lead.goto(base + f"/shops/{sid}/settings")
    row = "tr[data-setting='attribution_days']"
    lead.fill(f"{row} input[name=value]", "99")
    lead.click(f"{row} button")
    assert lead.locator("p.error").count() == 1
    lead.goto(base + f"/shops/{sid}/settings")
    assert lead.input_value(f"{row} input[name=value]") == ""

    # -- pay: the manager drafts, cannot approve; the owner approves -----------------------
    lead = _login(_person(world), base, "lead", "lead-password")
    lead.goto(base + f"/shops/{sid}/pay/{month}")
    lead.click("#draft")
    lead.wait_for_selector("tr[data-run]")
    _shot(lead, "pay-draft-zh")
    run = lead.locator("tr[data-run]").first.get_attribute("data-run")
    lead.click(f"tr[data-run='{run}'] button")
    assert "无权" in lead.inner_text("main")
    owner = _login(_person(world), base, "boss", "boss-password")
    owner.goto(base + f"/shops/{sid}/pay/{month}")
    owner.click(f"tr[data-run='{run}'] button")
    assert "已审批" in owner.inner_text(f"tr[data-run='{run}']")

    # -- agent A: their payslip, nothing of agent B's ---------------------------------------
    mei = _login(_person(world, phone=True), base, "mei", "mei-password")
    mei.goto(base + f"/shops/{sid}/agents/{a}/payslips/{month}")
    assert "小美" in mei.inner_text("#payslip")
    _shot(mei, "payslip-phone-zh")
    for url in [
        f"/shops/{sid}/agents/{b}",
        f"/shops/{sid}/agents/{b}/payslips/{month}",
        f"/shops/{sid}/months/{month}/report",
        f"/shops/{sid}/pay/{month}",
        f"/api/v1/shops/{sid}/agents/{b}/payslips/{month}",
        f"/api/v1/shops/{sid}/diagnosis/{month}",
        f"/api/v1/shops/{sid}/pay/{month}",
        f"/shops/{sid}/voice/{month}",
        f"/api/v1/shops/{sid}/voice/{month}",
        "/users",
    ]:
        status = mei.request.get(base + url).status
        assert status in (403, 404), (url, status)
    own = mei.request.get(base + f"/api/v1/shops/{sid}/kpi/{month}").json()
    assert [r["agent_id"] for r in own["agents"]] == [a]
    assert own["team"] == expected["team"]

    # a POST without its CSRF token fails
    forged = mei.request.post(
        base + f"/shops/{sid}/agents/{a}/questions", form={"text": "x", "about": "y"}
    )
    assert forged.status == 403

    # -- a question goes to the manager and the answer comes back ---------------------------
    mei.goto(base + f"/shops/{sid}/agents/{a}/payslips/{month}")
    mei.fill("input[name=about]", "提成")
    mei.fill("textarea[name=text]", "我这个月的提成好像少了。")
    mei.click("form[action$='/questions'] button")
    question_url = mei.url
    lead.goto(base + "/")
    lead.click("text=#1 提成")
    lead.fill("textarea[name=text]", "已核对，按方案计算无误。")
    lead.click("form[action$='/answer'] button")
    mei.goto(question_url)
    assert "已核对，按方案计算无误。" in mei.inner_text(".thread")
    _shot(mei, "question-phone-zh")

    # -- every page in English and at phone width -------------------------------------------
    for url, name in [
        (f"/shops/{sid}/months/{month}", "shop-month"),
        (f"/shops/{sid}/agents/{a}", "agent"),
        (f"/shops/{sid}/pay/{month}", "pay"),
        (f"/shops/{sid}/import", "import"),
        (f"/shops/{sid}/settings", "settings"),
        (f"/shops/{sid}/voice/{month}", "voice"),
        ("/users", "users"),
        ("/", "home"),
    ]:
        for lang in ("zh", "en"):
            owner.goto(base + url + f"?lang={lang}")
            _shot(owner, f"{name}-{lang}")
    phone = _login(_person(world, phone=True), base, "lead", "lead-password")
    phone.goto(base + f"/shops/{sid}/months/{month}?lang=en")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page itself must not scroll sideways on a phone"
    _shot(phone, "shop-month-phone-en")

    # -- wrong passwords are throttled ------------------------------------------------------
    intruder = _person(world)
    statuses = []
    for _ in range(7):
        _login(intruder, base, "lin", "wrong-password")
        statuses.append(intruder.locator("p.error").inner_text())
    assert "次数过多" in statuses[-1]
    _login(intruder, base, "lin", "lin-password")
    assert "次数过多" in intruder.inner_text("main"), (
        "the right password waits out the throttle too"
    )

    # -- every refusal left an audit entry ---------------------------------------------------
    world["server"].stop()
    import duckdb

    con = duckdb.connect(str(world["db"]), read_only=True)
    refused = con.execute(
        "SELECT count(*) FROM audit_log WHERE actor = 'mei' "
        "AND json_extract_string(details, '$.outcome') IN ('refused', 'csrf_refused')"
    ).fetchone()
    con.close()
    world["server"].start()
    assert refused is not None and refused[0] >= 8
    shutil.copy(world["db"], ARTIFACTS / "store-after-story.duckdb") if os.environ.get(
        "KEFU_KEEP_WEB_STORE"
    ) else None
