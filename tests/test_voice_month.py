"""Lost sales on a hand-built shop (hand-computed lift), a planted rising word, the CLI's JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.metrics.engine import StoreKpis
from kefu.voice.month import VoiceOfBuyer
from kefu.voice.stats import lift

from shopdata import SHOP, Shop

AGENT = f"{SHOP}:甲"


def lost_shop() -> Shop:
    """October 2024, one agent: six buyers leave, four buy.

    L1 asks about size first, then stock, price and shipping: only her last three messages
    count, so size is not among her topics. L2–L5 ask about stock, L6 about price. C1 asks
    about stock and shipping, C2–C4 about shipping, and each pays the same evening.
    """
    s = Shop().agent(AGENT)

    def chat(buyer: str, day: int, *texts: str) -> None:
        for t, text in enumerate(texts):
            s.msg(buyer, AGENT, f"2024-10-{day:02d} 10:{t:02d}:00", "buyer", text)
            s.msg(buyer, AGENT, f"2024-10-{day:02d} 10:{t:02d}:30", "agent", "好的亲")

    chat("L1", 3, "这个尺码偏大吗", "还有货吗", "能便宜点吗", "什么时候发货")
    for i in range(2, 6):
        chat(f"L{i}", 3 + i, "在吗", "还有货吗")
    chat("L6", 9, "太贵了")
    chat("C1", 10, "还有货吗", "什么时候发货")
    for i in range(2, 5):
        chat(f"C{i}", 10 + i, "今天能发货吗")
    for i in range(1, 5):
        s.order(
            f"o{i}", f"C{i}", f"2024-10-{10 + i:02d} 20:00:00", f"2024-10-{10 + i:02d} 20:01:00"
        )
    return s


def test_lost_sales_hand_computed(tmp_path: Path) -> None:
    store = lost_shop().store(tmp_path / "k.duckdb")
    v = VoiceOfBuyer(store).month(SHOP, "2024-10")
    assert (v.lost_inquiries, v.converted_inquiries) == (6, 4)
    # the engine's own figures: inquiring and paying buyers of the agent-month
    (am,) = StoreKpis(store).shop_months(SHOP, ["2024-10"])["2024-10"].agents
    assert (am.parts["inquiring_buyers"], am.parts["paying_buyers"]) == (10, 4)
    # stock: 5 of 6 lost, 1 of 4 converted: ((5+1)/(6+2)) / ((1+1)/(4+2)) = 0.75 / (1/3)
    assert [x.to_json() for x in v.lost_sales] == [
        {"topic": "stock", "lost": 5, "converted": 1, "lift": 2.25}
    ]
    assert lift(5, 6, 1, 4) == pytest.approx(2.25)
    assert v.lost_sales[0].examples == ("还有货吗",)
    assert list(v.lost_by_agent) == [AGENT]


def rising_shop() -> Shop:
    """Four months of ordinary questions; in the last, 30 buyers write about 起球."""
    s = Shop().agent(AGENT)
    ordinary = ["什么时候发货", "有优惠券吗", "这个尺码偏大吗", "是正品吗", "还有货吗"]
    n = 0
    for month in ("2024-07", "2024-08", "2024-09", "2024-10"):
        for i in range(100):
            n += 1
            at = f"{month}-{1 + i % 28:02d} {9 + i % 10:02d}:{i % 60:02d}:00"
            s.msg(f"b{n}", AGENT, at, "buyer", ordinary[i % len(ordinary)])
    for i in range(30):
        s.msg(
            f"p{i}", AGENT, f"2024-10-{1 + i % 28:02d} 21:{i:02d}:00", "buyer", "这件毛衣洗了就起球"
        )
    return s


def test_a_planted_rising_word_is_found(tmp_path: Path) -> None:
    store = rising_shop().store(tmp_path / "k.duckdb")
    v = VoiceOfBuyer(store).month(SHOP, "2024-10", lost_sales=False)
    terms = {r.term: r for r in v.rising}
    assert "起球" in terms, list(terms)
    r = terms["起球"]
    assert (r.messages, r.buyers, r.previous_messages, r.topic) == (30, 30, 0, "quality")
    assert r.examples == ("这件毛衣洗了就起球",)
    assert "发货" not in terms and "优惠券" not in terms  # as common as before
    # a month with no earlier months to compare: nothing is "new"
    assert VoiceOfBuyer(store).month(SHOP, "2024-07", lost_sales=False).rising == []


def test_cli_json_shape_is_exact(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    lost_shop().store(db).close()
    runner = CliRunner()
    res = runner.invoke(app, ["voice", "--db", str(db), "--month", "2024-10", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    # the contract, exactly, then the documented extra keys (docs/voice.md)
    assert list(out) == [
        "shop_id", "month", "topics", "lost_sales", "rising",
        "agent", "product", "product_basis", "products", "agents",
    ]  # fmt: skip
    assert (out["shop_id"], out["month"]) == (SHOP, "2024-10")
    assert all(list(t) == ["topic", "messages", "buyers", "share"] for t in out["topics"])
    assert all(list(t) == ["topic", "lost", "converted", "lift"] for t in out["lost_sales"])
    shipping = next(t for t in out["topics"] if t["topic"] == "shipping")
    assert (shipping["messages"], shipping["buyers"]) == (5, 5)
    assert out["rising"] == []
    for args in (["--digest"], ["--lang", "en"], ["--agent", "甲"], ["--digest", "--lang", "en"]):
        res = runner.invoke(app, ["voice", "--db", str(db), "--month", "2024-10", *args])
        assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["voice", "--db", str(db), "--month", "2024-10", "--product", "x"])
    # a shop without order lines or a product file has no product to choose
    assert res.exit_code == 1 and "--product" in res.output and "没有订单明细" in res.output
    res = runner.invoke(app, ["voice", "--db", str(db), "--month", "2024-10", "--agent", "乙"])
    assert res.exit_code == 1 and "不在店铺" in res.output
    res = runner.invoke(
        app, ["voice", "--db", str(db), "--month", "2024-10", "--agent", "乙", "--lang", "en"]
    )
    assert res.exit_code == 1 and "not in shop" in res.output


def test_report_section_escapes_buyer_words(tmp_path: Path) -> None:
    from kefu.diagnosis import diagnose, from_shop_settings
    from kefu.report.content import voice_section
    from kefu.report.html import render_html

    s = lost_shop()
    s.msg("L5", AGENT, "2024-10-08 10:05:00", "buyer", "<script>alert(1)</script>是正品吗")
    store = s.store(tmp_path / "k.duckdb")
    v = VoiceOfBuyer(store).month(SHOP, "2024-10")
    d = diagnose(StoreKpis(store), SHOP, "2024-10", from_shop_settings({}))
    html = render_html(d, "zh", [voice_section(v, "zh")])
    assert 'id="voice"' in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_product_is_refused_without_products(tmp_path: Path) -> None:
    from kefu.voice.month import VoiceError

    store = lost_shop().store(tmp_path / "k.duckdb")
    with pytest.raises(VoiceError, match="no products yet"):
        VoiceOfBuyer(store).month(SHOP, "2024-10", product="面霜")
    v = VoiceOfBuyer(store).month(SHOP, "2024-10")  # every conversation: unknown product
    assert [(p.product, p.conversations) for p in v.products] == [("", 10)]
    assert v.product_basis == {"unknown": 10}


def test_hostile_buyer_words_send_no_escape_sequence(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    s = lost_shop()
    s.msg("C4", AGENT, "2024-10-14 10:05:00", "buyer", "\x1b[2J\x1b[31m是正品吗[bold]\u202e")
    s.store(db).close()
    runner = CliRunner()
    for args in ([], ["--digest"]):
        res = runner.invoke(app, ["voice", "--db", str(db), "--month", "2024-10", *args])
        assert res.exit_code == 0, res.output
        assert "\x1b" not in res.output and "\u202e" not in res.output
        assert "是正品吗" in res.output or args  # the digest shows no topic example
