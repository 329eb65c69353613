"""The voice of the buyer per product: a hand-built shop with two products, lost sales and a
planted rising word per product, the --product filter, and the classification cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.store import Store
from kefu.voice.cache import cached
from kefu.voice.lexicon import load_lexicon
from kefu.voice.month import VoiceError, VoiceOfBuyer
from kefu.voice.topics import Classifier

from shopdata import SHOP, Shop

AGENT = f"{SHOP}:甲"
SWEATER, CREAM = "SW1001", "CR2002"
TITLES = {SWEATER: "羊毛毛衣", CREAM: "保湿面霜"}


def _lines(store: Store, lines: list[tuple[str, str]]) -> None:
    """Order lines (order id, product id): one item at 100 元 each."""
    with store.transaction():
        for order_id, product in lines:
            store.con.execute(
                "INSERT INTO order_items VALUES (?, ?, '1', ?, ?, ?, 10000, 1, 10000, NULL)",
                [SHOP, order_id, product, TITLES[product], f"SKU-{product}"],
            )


def lost_shop(tmp_path: Path) -> Store:
    """October 2024, one agent, 17 inquiries.

    Six buyers send the cream's link (its id CR2002) and ask whether it is in stock, and leave; two name it,
    ask about shipping and buy it. Four name nothing, ask about shipping and buy the sweater
    (their product is the order they led to). Five name nothing, find it too dear and leave:
    unknown product, counted and shown.
    """
    s = Shop().agent(AGENT)
    lines: list[tuple[str, str]] = []

    def chat(buyer: str, day: int, *texts: str) -> None:
        for t, text in enumerate(texts):
            s.msg(buyer, AGENT, f"2024-10-{day:02d} 10:{t:02d}:00", "buyer", text)
            s.msg(buyer, AGENT, f"2024-10-{day:02d} 10:{t:02d}:30", "agent", "好的亲")

    def buys(buyer: str, day: int, product: str) -> None:
        s.order(f"o-{buyer}", buyer, f"2024-10-{day:02d} 20:00:00", f"2024-10-{day:02d} 20:01:00")
        lines.append((f"o-{buyer}", product))

    for i in range(1, 7):
        chat(f"L{i}", i, f"https://item.taobao.com/item.htm?id={CREAM}", "还有货吗")
    for i in range(1, 3):
        chat(f"K{i}", 10 + i, f"https://item.taobao.com/item.htm?id={CREAM}", "什么时候发货")
        buys(f"K{i}", 10 + i, CREAM)
    for i in range(1, 5):
        chat(f"C{i}", 14 + i, "今天能发货吗")
        buys(f"C{i}", 14 + i, SWEATER)
    for i in range(1, 6):
        chat(f"U{i}", 20 + i, "太贵了")
    store = s.store(tmp_path / "k.duckdb")
    _lines(store, lines)
    return store


def test_lost_sales_per_product_hand_computed(tmp_path: Path) -> None:
    store = lost_shop(tmp_path)
    v = VoiceOfBuyer(store).month(SHOP, "2024-10")
    assert (v.lost_inquiries, v.converted_inquiries) == (11, 6)
    assert v.product_basis == {"asked": 8, "led": 4, "unknown": 5}
    by = {p.product: p for p in v.products}
    assert [p.product for p in v.products] == [CREAM, SWEATER, ""]  # unknown product last
    cream, sweater, unknown = by[CREAM], by[SWEATER], by[""]
    assert (cream.title, cream.conversations, cream.buyer_messages) == ("保湿面霜", 8, 16)
    # cream: stock in 6 of 6 lost, 0 of 2 converted: ((6+1)/(6+2)) / ((0+1)/(2+2)) = 3.5
    assert (cream.lost_inquiries, cream.converted_inquiries) == (6, 2)
    assert [x.to_json() for x in cream.lost_sales] == [
        {"topic": "stock", "lost": 6, "converted": 0, "lift": 3.5}
    ]
    assert (sweater.lost_inquiries, sweater.converted_inquiries, sweater.lost_sales) == (0, 4, [])
    # unknown product: price in 5 of 5 lost, none converted: (6/7) / (1/2)
    assert (unknown.conversations, unknown.lost_inquiries) == (5, 5)
    assert [x.to_json() for x in unknown.lost_sales] == [
        {"topic": "price", "lost": 5, "converted": 0, "lift": 1.714}
    ]
    assert {t.topic: t.messages for t in sweater.topics} == {"shipping": 4}
    # the shop as a whole: stock 6 lost of 11, 0 converted of 6 → (7/13) / (1/8)
    assert {x.topic: (x.lost, x.converted) for x in v.lost_sales} == {
        "stock": (6, 0),
        "price": (5, 0),
    }


def test_product_filter_and_json(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    lost_shop(tmp_path).close()
    runner = CliRunner()

    def voice(*args: str) -> dict:
        res = runner.invoke(app, ["voice", "--db", str(db), "--month", "2024-10", *args])
        assert res.exit_code == 0, res.output
        return json.loads(res.output) if "json" in args else {"text": res.output}

    whole = voice("--format", "json")
    assert list(whole)[:5] == ["shop_id", "month", "topics", "lost_sales", "rising"]
    assert [p["product"] for p in whole["products"]] == [CREAM, SWEATER, None]
    assert whole["product_basis"] == {"asked": 8, "led": 4, "before": 0, "unknown": 5}
    for how in (CREAM, f"SKU-{CREAM}", "保湿面霜"):  # id, merchant code or title
        one = voice("--format", "json", "--product", how)
        assert one["product"] == CREAM
        assert one["lost_sales"] == [{"topic": "stock", "lost": 6, "converted": 0, "lift": 3.5}]
        assert {t["topic"] for t in one["topics"]} == {"stock", "shipping"}
        assert [p["product"] for p in one["products"]] == [CREAM]
    none = voice("--format", "json", "--product", "-")
    assert none["product"] == "-" and [t["topic"] for t in none["topics"]] == ["price"]
    both = voice("--format", "json", "--product", SWEATER, "--agent", "甲")
    assert [(t["topic"], t["messages"]) for t in both["topics"]] == [("shipping", 4)]
    table = voice()["text"]
    assert "保湿面霜" in table and "未知商品" in table
    digest = voice("--digest", "--lang", "en")["text"]
    assert "By product" in digest and "CR2002 保湿面霜 (8 conversations)" in digest
    assert "unknown product (5 conversations)" in digest
    res = runner.invoke(app, ["voice", "--db", str(db), "--month", "2024-10", "--product", "袜子"])
    assert res.exit_code == 1 and "袜子" in res.output and "不是店铺" in res.output


def test_product_refused_in_a_shop_without_products(tmp_path: Path) -> None:
    s = Shop().agent(AGENT).msg("b", AGENT, "2024-10-01 10:00:00", "buyer", "还有货吗")
    store = s.store(tmp_path / "k.duckdb")
    with pytest.raises(VoiceError, match="has no products yet"):
        VoiceOfBuyer(store).month(SHOP, "2024-10", product=CREAM)
    v = VoiceOfBuyer(store).month(SHOP, "2024-10")
    assert not v.products_known
    assert [(p.product, p.conversations) for p in v.products] == [("", 1)]  # never dropped


def rising_shop(tmp_path: Path) -> Store:
    """Four months: buyers ask ordinary things about both products. In October, 30 buyers who
    bought the sweater in September write that it pills (起球), without naming it: their
    product is the order before the conversation."""
    s = Shop().agent(AGENT)
    ordinary = ["什么时候发货", "有优惠券吗", "这个尺码偏大吗", "是正品吗", "还有货吗"]
    n = 0
    for month in ("2024-07", "2024-08", "2024-09", "2024-10"):
        for product in (SWEATER, CREAM):
            for i in range(60):
                n += 1
                at = f"{month}-{1 + i % 28:02d} {9 + i % 10:02d}:{i % 60:02d}:00"
                s.msg(f"b{n}", AGENT, at, "buyer", f"{product} {ordinary[i % len(ordinary)]}")
    lines = []
    for i in range(30):
        s.order(f"p{i}", f"p{i}", f"2024-09-{1 + i % 28:02d} 12:00:00", "2024-09-28 12:01:00")
        lines.append((f"p{i}", SWEATER))
        at = f"2024-10-{1 + i % 28:02d} 21:{i:02d}:00"
        s.msg(f"p{i}", AGENT, at, "buyer", "洗了一次就起球了")
    store = s.store(tmp_path / "k.duckdb")
    _lines(store, lines)
    with store.transaction():  # the cream is in the shop's product file only: never sold yet
        store.con.execute(
            "INSERT INTO products (shop_id, product_id, title) VALUES (?, ?, ?)",
            [SHOP, CREAM, TITLES[CREAM]],
        )
    return store


def test_a_rising_word_on_one_product(tmp_path: Path) -> None:
    store = rising_shop(tmp_path)
    v = VoiceOfBuyer(store).month(SHOP, "2024-10", lost_sales=False)
    by = {p.product: p for p in v.products}
    assert v.product_basis == {"asked": 120, "before": 30}
    sweater = {r.term: r for r in by[SWEATER].rising}
    assert "起球" in sweater, list(sweater)
    r = sweater["起球"]
    # against the sweater's own earlier months: 30 of its 90 topical messages, none before
    assert (r.messages, r.buyers, r.previous_messages, r.topic) == (30, 30, 0, "quality")
    assert (r.total, r.previous_total) == (90, 180)
    assert r.examples == ("洗了一次就起球了",)
    assert by[CREAM].rising == []  # nothing new on the cream
    assert "发货" not in sweater
    one = VoiceOfBuyer(store).month(SHOP, "2024-10", product=SWEATER, lost_sales=False)
    assert "起球" in {x.term for x in one.rising}
    assert VoiceOfBuyer(store).month(SHOP, "2024-10", product=CREAM, lost_sales=False).rising == []


def test_the_classification_cache(tmp_path: Path) -> None:
    """A second run classifies nothing anew; a changed lexicon classifies again."""
    store = rising_shop(tmp_path)
    first = VoiceOfBuyer(store, Classifier()).month(SHOP, "2024-10")
    assert first.classified == 11  # 10 ordinary texts and the planted one, over four months
    version = Classifier().version
    assert cached(store, SHOP) == {version: 11}
    again = VoiceOfBuyer(store, Classifier()).month(SHOP, "2024-10")
    assert again.classified == 0
    assert again.to_json() == first.to_json()
    earlier = VoiceOfBuyer(store, Classifier()).month(SHOP, "2024-09")  # all seen already
    assert earlier.classified == 0
    # the shop's own lexicon: another version, everything classified again under it
    mine = Classifier(load_lexicon(text="topics:\n  quality:\n    words: [洗了]\n"))
    assert mine.version != version
    changed = VoiceOfBuyer(store, mine).month(SHOP, "2024-10")
    assert changed.classified == 11
    assert cached(store, SHOP) == {version: 11, mine.version: 11}
    third = Classifier(load_lexicon(text="topics:\n  gift:\n    words: [优惠券]\n"))
    assert VoiceOfBuyer(store, third).month(SHOP, "2024-10").classified == 11
    # a shop keeps its two most recently used versions
    assert cached(store, SHOP) == {mine.version: 11, third.version: 11}
    gift = {t.topic: t.messages for t in VoiceOfBuyer(store, third).month(SHOP, "2024-10").topics}
    assert gift["gift"] == 24  # 有优惠券吗: 12 of each product's 60 October messages


def test_a_read_only_store_is_read_not_written(tmp_path: Path) -> None:
    from kefu.store import open_store

    store = rising_shop(tmp_path)
    db = store.path
    want = VoiceOfBuyer(store, Classifier()).month(SHOP, "2024-10", rising=False)
    store.con.execute("DELETE FROM voice_labels")
    store.close()
    with open_store(db, read_only=True) as ro:
        topics = VoiceOfBuyer(ro, Classifier()).month(SHOP, "2024-10", rising=False)
        assert topics.classified == 11 and cached(ro, SHOP) == {}  # classified, not kept
        only = VoiceOfBuyer(ro, Classifier()).month(SHOP, "2024-10", lost_sales=False, rising=False)
    assert topics.to_json() == want.to_json()
    assert only.to_json()["topics"] == want.to_json()["topics"]
