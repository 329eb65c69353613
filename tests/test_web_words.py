"""The workplace's import page speaks the page's language: a refused file and a quarantined
row's reason (stored as its catalogue key and values) in Chinese, or English with ?lang=en."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from kefu.web.app import create_app
from webshop import PASSWORDS, WebShop, build, sign_in


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> WebShop:
    return build(tmp_path_factory.mktemp("web-words"))


def _login(client: TestClient, name: str) -> str:
    return sign_in(client, name, PASSWORDS[name])


def test_the_import_page_speaks_the_page_s_language(shop: WebShop, tmp_path: Path) -> None:
    db = tmp_path / "kefu.duckdb"
    shutil.copy(shop.db, db)
    agents = (
        "shop_id,agent_id,name,role\n"
        f"{shop.shop},{shop.agent_a},小美,presale\n"
        f"{shop.shop},{shop.shop}:x,某人,boss\n"
    )
    app = create_app(db)
    with TestClient(app) as client:
        csrf = _login(client, "boss")
        url = f"/shops/{shop.shop}/import"
        files = [
            ("files", ("agents.csv", agents.encode(), "text/csv")),
            ("files", ("empty.csv", b"", "text/csv")),
        ]
        r = client.post(url, data={"csrf": csrf}, files=files)
        assert r.status_code == 200, r.text
        assert "empty.csv 是空的: 没有可导入的内容" in r.text
        assert "&#39;boss&#39; 不是 presale | aftersale 之一" in r.text
        en = client.get(url + "?lang=en")
        assert "&#39;boss&#39; is not one of presale | aftersale" in en.text
        assert "不是 presale" not in en.text
