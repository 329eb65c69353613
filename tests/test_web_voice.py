"""The voice page's filters by agent and product, on a real `kefu serve` (tests/webshop.py)."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

pytest.importorskip("fastapi")

from kefu.store.people import People
from test_voice_products import AGENT, CREAM, SHOP, SWEATER, lost_shop
from webshop import Served

PASSWORDS = {"boss": "boss-password", "lead": "lead-password", "mei": "mei-password"}


class Browser:
    """A person with a cookie jar, talking to the served workplace over HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str, **query: str) -> tuple[int, str]:
        url = self.base + urllib.parse.quote(path)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        try:
            with self.opener.open(url, timeout=120) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def login(self, name: str) -> None:
        _, page = self.get("/login")
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found, page
        form = {"csrf": found[1], "name": name, "password": PASSWORDS[name]}
        data = urllib.parse.urlencode(form).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=60) as r:
            assert r.status == 200


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("web-voice")
    store = lost_shop(folder)
    people = People(store)
    people.add("boss", "owner", PASSWORDS["boss"])
    people.add("lead", "manager", PASSWORDS["lead"], shops=[SHOP])
    people.add("mei", "agent", PASSWORDS["mei"], seats=[(SHOP, AGENT)])
    db = store.path
    store.close()
    with Served(db) as server:
        yield server


def test_the_voice_page_filters_by_agent_and_product(served: Served) -> None:
    page = f"/shops/{SHOP}/voice/2024-10"
    api = f"/api/v1/shops/{SHOP}/voice/2024-10"
    lead = Browser(served.base)
    lead.login("lead")
    status, html = lead.get(page)
    assert status == 200, served.tail()
    assert 'id="voice-filters"' in html
    rows = re.findall(r'<tr data-product="([^"]+)">', html)
    assert rows == [CREAM, SWEATER, "-"]  # unknown product shown, last
    assert "未知商品" in html and "保湿面霜" in html
    # one product: its topics and lost sales only, the option chosen
    status, html = lead.get(page, product=CREAM)
    assert status == 200
    assert re.findall(r'<tr data-topic="(\w+)">', html)[:2] == ["stock", "shipping"]
    assert f'<option value="{CREAM}" selected>' in html
    assert 'id="voice-products"' not in html
    _, body = lead.get(api, product=CREAM)
    one = json.loads(body)
    assert one["product"] == CREAM
    assert one["lost_sales"] == [{"topic": "stock", "lost": 6, "converted": 0, "lift": 3.5}]
    # an agent and the conversations with no product
    _, body = lead.get(api, agent="甲", product="-")
    none = json.loads(body)
    assert (none["agent"], none["product"]) == (AGENT, "-")
    assert [t["topic"] for t in none["topics"]] == ["price"]
    status, html = lead.get(page, agent="甲", product="-")
    assert status == 200 and 'id="voice-chosen"' in html
    # a product the shop does not have: one sentence, the whole month still shown
    status, html = lead.get(page, product="袜子")
    assert status == 400 and 'class="error"' in html and "袜子" in html
    assert 'id="voice-products"' in html
    status, body = lead.get(api, product="袜子")
    assert status == 400 and "袜子" in json.loads(body)["error"]
    # an agent reaches neither page nor API, filtered or not
    mei = Browser(served.base)
    mei.login("mei")
    for path, query in ((page, {}), (page, {"product": CREAM}), (api, {"agent": "甲"})):
        assert mei.get(path, **query)[0] == 403
