"""Reconciliation names the preset that explains a planted difference; presets set the shop's options."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.metrics.engine import StoreKpis
from kefu.metrics.reconcile import reconcile
from kefu.metrics.settings import PRESETS, from_mapping, parse_value
from kefu.store import Store
from kefu.store.ingest import import_files
from reportdata import CHITU_HEADER, write_csv

from shopdata import Shop

SHOP = "店"


def planted(tmp_path: Path) -> tuple[Store, Path]:
    """Buyer X asks A, orders, then asks B and pays: 下单优先 credits A, 付款判定 credits B.

    The report was made under 付款判定; kefu runs under 下单优先.
    """
    s = Shop().agent(f"{SHOP}:A", shop=SHOP).agent(f"{SHOP}:B", shop=SHOP)
    s.chat(
        "X",
        f"{SHOP}:A",
        ("2024-09-03 10:00:00", "buyer"),
        ("2024-09-03 10:00:30", "agent"),
        shop=SHOP,
    )
    s.chat(
        "X",
        f"{SHOP}:B",
        ("2024-09-03 12:00:00", "buyer"),
        ("2024-09-03 12:00:20", "agent"),
        shop=SHOP,
    )
    s.order("o1", "X", "2024-09-03 11:00:00", "2024-09-03 13:00:00", 10000, shop=SHOP)
    s.chat(
        "Y",
        f"{SHOP}:A",
        ("2024-09-04 10:00:00", "buyer"),
        ("2024-09-04 10:00:30", "agent"),
        shop=SHOP,
    )
    s.order("o2", "Y", "2024-09-04 11:00:00", "2024-09-04 11:05:00", 20000, shop=SHOP)
    s.chat(
        "Z",
        f"{SHOP}:B",
        ("2024-09-05 10:00:00", "buyer"),
        ("2024-09-05 10:00:10", "agent"),
        shop=SHOP,
    )
    s.order("o3", "Z", "2024-09-05 11:00:00", "2024-09-05 11:05:00", 30000, shop=SHOP)
    db = tmp_path / "kefu.duckdb"
    store = s.store(db)
    store.set_setting(SHOP, "attribution_rule", "order_first")

    def row(agent: str, inq: int, pay: int, sales: str, first_s: str) -> list[str]:
        r = dict.fromkeys(CHITU_HEADER, "")
        r.update(
            {
                "客服": agent,
                "聊天人数": str(inq),
                "接待人数": str(inq),
                "询单人数": str(inq),
                "询单->最终付款人数": str(pay),
                "询单->最终付款成功率": f"{pay / inq * 100:.2f}%",
                "销售额": sales,
                "销售人数": str(pay),
                "销售订单数": str(pay),
                "首次响应时间": first_s,
            }
        )
        return [r[h] for h in CHITU_HEADER]

    f = write_csv(
        tmp_path / "自定义报表_月报_付款判定_2024-09-01至2024-09-30.csv",
        [
            CHITU_HEADER,
            row(f"{SHOP}:A", 2, 1, "200.00", "30"),
            row(f"{SHOP}:B", 2, 2, "400.00", "15"),
        ],
    )
    (r,) = import_files(store, [f])
    assert r.ok, r.error
    return store, db


def test_reconcile_names_the_preset_that_explains_the_difference(tmp_path: Path) -> None:
    store, _ = planted(tmp_path)
    rec = reconcile(store, SHOP, "2024-09")
    assert rec is not None and rec.source["credit_rule"] == "paid"
    by = {(r.agent_id, r.field): r for r in rec.rows}
    a = by[(f"{SHOP}:A", "paying_buyers")]
    assert (a.kefu, a.report, a.agrees) == (2, 1, False)
    assert a.preset in ("chitu-paid", "taobao-paid") and a.preset_agrees
    assert a.orders_lost == ("o1",) and a.orders_gained == ()
    b = by[(f"{SHOP}:B", "sales_fen")]
    assert (b.kefu, b.report, b.difference) == (30000, 40000, -10000)
    assert b.preset_agrees and b.orders_gained == ("o1",)
    # figures that agree are marked so, with no cause
    c = by[(f"{SHOP}:A", "inquiring_buyers")]
    assert c.agrees and c.preset is None
    assert by[(f"{SHOP}:B", "first_response_s")].agrees
    store.close()


def test_within_tolerance_agrees(tmp_path: Path) -> None:
    store, _ = planted(tmp_path)
    rec = reconcile(store, SHOP, "2024-09", Fraction(1, 2))
    assert rec is not None
    r = next(r for r in rec.rows if r.field == "conversion_rate" and r.agent_id.endswith("A"))
    assert r.agrees  # 100% vs 50%: within an absolute 0.5
    store.close()


def test_reconcile_command(tmp_path: Path) -> None:
    store, db = planted(tmp_path)
    store.close()
    r = CliRunner().invoke(app, ["reconcile", "--month", "2024-09", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "付款判定" in r.output and "下单优先判定" in r.output and "chitu-paid" in r.output
    r = CliRunner().invoke(
        app,
        [
            "reconcile",
            "--month",
            "2024-09",
            "--format",
            "json",
            "--tolerance",
            "0.02",
            "--db",
            str(db),
        ],
    )
    j = json.loads(r.output)
    assert j["tolerance"] == 0.02
    lost = [f for f in j["figures"] if f["orders_lost"]]
    assert lost and all(f["orders_lost"] == ["o1"] for f in lost)
    r = CliRunner().invoke(app, ["reconcile", "--month", "2024-08", "--db", str(db)])
    assert r.exit_code == 1 and "kefu import" in r.output
    r = CliRunner().invoke(
        app, ["reconcile", "--month", "2024-09", "--tolerance", "x", "--db", str(db)]
    )
    assert r.exit_code == 1 and "--tolerance" in r.output


def test_the_report_carries_the_reconciliation(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    store, db = planted(tmp_path)
    store.close()
    html, xlsx = tmp_path / "r.html", tmp_path / "r.xlsx"
    for out in (html, xlsx):
        r = CliRunner().invoke(
            app, ["report", "--month", "2024-09", "--output", str(out), "--db", str(db)]
        )
        assert r.exit_code == 0, r.output
    text = html.read_text(encoding="utf-8")
    assert 'id="reconcile"' in text and "与平台报表对账" in text and "chitu-paid" in text
    assert "对账" in load_workbook(xlsx).sheetnames


def test_presets_are_valid_settings() -> None:
    names = [p.name for p in PRESETS]
    assert len(names) == len(set(names))
    for p in PRESETS:
        for k, v in p.values.items():
            parse_value(k, v)
        assert p.source("zh") and p.source("en")  # described in the catalogue


def test_preset_command_sets_the_shop_options(tmp_path: Path) -> None:
    store, db = planted(tmp_path)
    store.close()
    r = CliRunner().invoke(app, ["settings", "preset", "pdd", "--db", str(db)])
    assert r.exit_code == 0, r.output
    from kefu.store import open_store

    with open_store(db) as st:
        s = from_mapping(st.settings(SHOP))
    assert (s.attribution_rule, s.attribution_days, s.off_hours, s.slow_response_s) == (
        "order_first",
        2,
        (23 * 60, 8 * 60),
        180,
    )
    r = CliRunner().invoke(app, ["settings", "preset", "nope", "--db", str(db)])
    assert r.exit_code == 1 and "chitu-order-first" in r.output


def test_pdd_preset_credits_an_order_within_three_days_including_today(tmp_path: Path) -> None:
    """A hand-built case: asked on the 3rd, ordered and paid on the 5th (day 3 counting the 3rd)."""
    s = Shop().agent("A")
    s.chat("X", "A", ("2024-09-03 10:00:00", "buyer"), ("2024-09-03 10:00:30", "agent"))
    s.order("o1", "X", "2024-09-05 09:00:00", "2024-09-05 09:10:00", 10000)
    store = s.store(tmp_path / "k.duckdb")
    before = StoreKpis(store).shop_months("店", ["2024-09"])["2024-09"].agent("A")
    assert before is not None and before.parts["paying_buyers"] == 0  # default: same or next day
    pdd = next(p for p in PRESETS if p.name == "pdd")
    for k, v in pdd.values.items():
        store.set_setting("店", k, str(v))
    after = StoreKpis(store).shop_months("店", ["2024-09"])["2024-09"].agent("A")
    assert after is not None and after.parts["paying_buyers"] == 1
    store.close()
