"""On the demo shop: the lost-sale reason and the rising word it plants are found, in the report too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from kefu.demo.generate import generate_demo_shop
from kefu.diagnosis import diagnose, from_shop_settings
from kefu.io.masking import TOKENS
from kefu.metrics.engine import StoreKpis
from kefu.report import write_report
from kefu.report.content import voice_section
from kefu.report.html import render_html
from kefu.store import open_store
from kefu.store.ingest import import_files
from kefu.voice.month import VoiceMonth, VoiceOfBuyer


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    ws = tmp_path_factory.mktemp("voice-demo")
    shop = generate_demo_shop(ws, months=6)
    db = ws / "kefu.duckdb"
    month = shop.months[-2]
    with open_store(db) as store:
        reports = import_files(store, shop.files)
        assert [r.error for r in reports if r.error] == []
        voice = VoiceOfBuyer(store).month(shop.shop_id, month)
        d = diagnose(StoreKpis(store), shop.shop_id, month, from_shop_settings({}))
        texts = [r[0] for r in store.con.execute("SELECT text FROM messages").fetchall()]
    return {"shop": shop, "voice": voice, "diagnosis": d, "texts": texts, "ws": ws}


def test_the_planted_lost_sale_reason_ranks_first(demo: dict[str, Any]) -> None:
    v: VoiceMonth = demo["voice"]
    assert v.lost_sales[0].topic == "stock" and v.lost_sales[0].lift > 3
    assert {t.topic for t in v.topics} >= {"usage", "shipping", "price", "gift", "authenticity"}


def test_the_planted_rising_word_is_found(demo: dict[str, Any]) -> None:
    v: VoiceMonth = demo["voice"]
    top = v.rising[0]
    assert (top.term, top.topic, top.previous_messages) == ("搓泥", "quality", 0)
    assert all("搓泥" in e for e in top.examples)


def test_personal_details_typed_in_the_demo_chats_are_masked(demo: dict[str, Any]) -> None:
    texts: list[str] = demo["texts"]
    assert any(tok in t for t in texts for tok in TOKENS)
    assert not any("文三路" in t and "号" in t and "室" in t for t in texts)


def test_the_report_has_the_voice_section(demo: dict[str, Any], tmp_path: Path) -> None:
    html = render_html(demo["diagnosis"], "zh", [voice_section(demo["voice"], "zh")])
    assert 'id="voice"' in html and "搓泥" in html and "买家之声" in html
    assert "<script>alert" not in html
    out = write_report(
        demo["diagnosis"], tmp_path / "r.xlsx", "en", [voice_section(demo["voice"], "en")]
    )
    assert "Voice" in load_workbook(out).sheetnames
