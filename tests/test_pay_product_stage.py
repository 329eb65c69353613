"""Product stage in pay (issue #11 item 6): a plan may weight new- and returning-buyer sales by
the product's stage as well as by tenure; the seed plan pays as before; payslips show the
sales per (buyer kind × product stage) and the weight used. A product-stage plan paid by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.metrics.engine import StoreKpis
from kefu.metrics.product_sales import ProductFact, ProductSales
from kefu.metrics.table import ShopMonth
from kefu.pay.components import commission_base
from kefu.pay.compute import pay_month
from kefu.pay.plan import PlanError, parse_plan, shipped_text
from kefu.pay.runs import pay_from_inputs, prepare
from kefu.report.payslip import explain
from test_diagnosis_shops import SHOP, agent, shop

MONTH = "2024-05"
YUAN = 100
SEED = shipped_text("seed")
STAGED = SEED.replace(
    """            - {from: {2000-01-01: 6}, new: {2000-01-01: 0.8}, returning: {2000-01-01: 1.2}}
""",
    """            - {from: {2000-01-01: 6}, new: {2000-01-01: 0.8}, returning: {2000-01-01: 1.2}}
          by_product_stage:
            new_months: {2000-01-01: 6}
            new_product: {new: {2000-01-01: 1.5}, returning: {2000-01-01: 0.5}}
            established: {new: {2000-01-01: 1}, returning: {2000-01-01: 1}}
""",
)
assert STAGED != SEED


def hand_shop() -> ShopMonth:
    """One presale agent hired 2024-03-01 (tenure 2 months: new 1.2, returning 0.8) who sold
    the new NEWP (launched 2024-04-01) and the established OLDP (first sold 2023-01-10)."""
    a = agent("甲", 100, 50, 100_000)  # 50 paying buyers × 1,000.00 = 50,000.00
    parts = dict(a.parts)
    parts["new_buyer_net_sales_fen"] = 30_000 * YUAN
    parts["returning_buyer_net_sales_fen"] = 20_000 * YUAN
    a = replace(a, hired_on=date(2024, 3, 1), parts=parts)
    sm = shop([a], MONTH)
    sales = (
        ProductSales("甲", "NEWP", False, 20_000 * YUAN, 20_000 * YUAN),
        ProductSales("甲", "OLDP", False, 10_000 * YUAN, 10_000 * YUAN),
        ProductSales("甲", "NEWP", True, 5_000 * YUAN, 5_000 * YUAN),
        ProductSales("甲", "OLDP", True, 15_000 * YUAN, 15_000 * YUAN),
    )
    facts = (
        ProductFact("NEWP", date(2024, 4, 20), date(2024, 4, 1), None),
        ProductFact("OLDP", date(2023, 1, 10), None, None),
    )
    return replace(sm, product_sales=sales, products=facts)


def commission(plan_text: str, sm: ShopMonth):  # type: ignore[no-untyped-def]
    pay = pay_month(parse_plan(plan_text, "plan.yaml"), SHOP, MONTH, {MONTH: sm})
    (line,) = [ln for ln in pay.agent("甲").lines if ln.component == "commission"]
    return line


def test_a_product_stage_plan_paid_by_hand() -> None:
    line = commission(STAGED, hand_shop())
    # base = 20,000 × 1.2 × 1.5 + 10,000 × 1.2 × 1 + 5,000 × 0.8 × 0.5 + 15,000 × 0.8 × 1
    #      = 36,000 + 12,000 + 2,000 + 12,000 = 62,000.00
    # marginal tiers: 50,000 × 3 % + 12,000 × 4 % = 1,500 + 480 = 1,980.00
    assert line.inputs["commission_base"]["base_fen"] == 62_000 * YUAN
    assert line.amount_fen == 1_980 * YUAN
    cells = {
        (c["buyer"], c["stage"]): c for c in line.inputs["commission_base"]["by_product_stage"]
    }
    assert {k: c["sales_fen"] for k, c in cells.items()} == {
        ("new", "new"): 20_000 * YUAN,
        ("new", "established"): 10_000 * YUAN,
        ("returning", "new"): 5_000 * YUAN,
        ("returning", "established"): 15_000 * YUAN,
    }
    assert {k: c["weight"] for k, c in cells.items()} == {
        ("new", "new"): "1.8",
        ("new", "established"): "1.2",
        ("returning", "new"): "0.4",
        ("returning", "established"): "0.8",
    }
    en = explain(line, "en")
    assert "new buyers on new products 20,000.00 × 1.8" in en
    assert "a product is new for 6 months" in en
    zh = explain(line, "zh")
    assert "新客·新品" in zh and "老客·老品" in zh


def test_the_seed_plan_pays_as_before() -> None:
    with_products = hand_shop()
    without = replace(with_products, product_sales=(), products=())
    a, b = commission(SEED, with_products), commission(SEED, without)
    assert a == b and "by_product_stage" not in a.inputs["commission_base"]
    # 30,000 × 1.2 + 20,000 × 0.8 = 52,000.00 → 1,500 + 80 = 1,580.00
    assert a.amount_fen == 1_580 * YUAN


def test_a_shop_set_stage_and_the_window_decide() -> None:
    sm = hand_shop()
    # the shop calls NEWP established: everything weighs as tenure alone says
    set_old = replace(sm, products=(ProductFact("NEWP", None, date(2024, 4, 1), "established"),
                                    sm.products[1]))  # fmt: skip
    assert commission(STAGED, set_old).inputs["commission_base"]["base_fen"] == 52_000 * YUAN
    # six months after its launch NEWP is established too
    late = replace(sm, month="2024-10")
    pay = pay_month(parse_plan(STAGED, "p.yaml"), SHOP, "2024-10", {"2024-10": late})
    (line,) = [ln for ln in pay.agent("甲").lines if ln.component == "commission"]
    cells = {
        (c["buyer"], c["stage"]): c["sales_fen"]
        for c in line.inputs["commission_base"]["by_product_stage"]
    }
    assert cells[("new", "new")] == 0 and cells[("new", "established")] == 30_000 * YUAN


def test_a_month_without_product_sales_counts_as_established() -> None:
    sm = replace(hand_shop(), product_sales=(), products=())
    line = commission(STAGED, sm)
    cells = {
        (c["buyer"], c["stage"]): c["sales_fen"]
        for c in line.inputs["commission_base"]["by_product_stage"]
    }
    assert cells == {
        ("new", "new"): 0,
        ("new", "established"): 30_000 * YUAN,
        ("returning", "new"): 0,
        ("returning", "established"): 20_000 * YUAN,
    }


def test_a_stage_weighting_needs_a_splittable_base() -> None:
    bad = STAGED.replace("new: new_buyer_net_sales_fen", "new: net_sales_fen")
    with pytest.raises(PlanError, match="by_product_stage splits"):
        parse_plan(bad, "bad.yaml")
    with pytest.raises(PlanError, match="new_months"):
        parse_plan(
            STAGED.replace("new_months: {2000-01-01: 6}", "new_months: {2000-01-01: 0}"), "b.yaml"
        )


money = st.integers(0, 10**9)
factor = st.fractions(Fraction(0), Fraction(3), max_denominator=100)


@given(
    st.tuples(money, money, money, money),
    st.tuples(factor, factor, factor, factor),
    st.integers(0, 120),
    st.integers(0, 10**8),
)
def test_the_stage_weighted_base_is_the_sum_of_its_cells(
    sales: tuple[int, int, int, int],
    f: tuple[Fraction, Fraction, Fraction, Fraction],
    tenure: int,
    unplaced: int,
) -> None:
    spec = parse_plan(STAGED, "p.yaml").at(MONTH).sections["presale"].commission
    assert spec is not None and spec.stages is not None
    spec = replace(
        spec, stages=replace(spec.stages, new_product=(f[0], f[1]), established=(f[2], f[3]))
    )
    nn, ne, rn, re_ = sales
    parts = {
        "new_buyer_net_sales_fen": nn + ne + unplaced,
        "returning_buyer_net_sales_fen": rn + re_,
    }
    split = {("new", "new"): nn, ("new", "established"): ne,
             ("returning", "new"): rn, ("returning", "established"): re_}  # fmt: skip
    base, info = commission_base(spec, parts, tenure, split)
    cells = info["by_product_stage"]
    # the cells place every fen of the parts (what the split misses counts as established)
    assert (
        sum(c["sales_fen"] for c in cells if c["buyer"] == "new")
        == parts["new_buyer_net_sales_fen"]
    )
    assert sum(c["sales_fen"] for c in cells if c["buyer"] == "returning") == rn + re_
    assert base == sum(c["sales_fen"] * Fraction(c["weight"]) for c in cells)
    # factors of 1 give back the tenure-only base
    ones = replace(spec, stages=replace(spec.stages, new_product=(Fraction(1), Fraction(1)),
                                        established=(Fraction(1), Fraction(1))))  # fmt: skip
    plain, _ = commission_base(replace(spec, stages=None), parts, tenure)
    assert commission_base(ones, parts, tenure, split)[0] == plain
    # a larger new-product factor for new buyers never lowers the base
    more = replace(spec, stages=replace(spec.stages, new_product=(f[0] + 1, f[1])))
    assert commission_base(more, parts, tenure, split)[0] >= base


def test_the_engine_splits_sales_by_product_and_a_run_recomputes(tmp_path: Path) -> None:
    from test_diagnosis_mix import MONTH as MIX_MONTH
    from test_diagnosis_mix import fair_shop

    store = fair_shop().store(tmp_path / "kefu.duckdb")
    try:
        kpis = StoreKpis(store)
        sm = kpis.shop_months("店", [MIX_MONTH])[MIX_MONTH]
        plan = parse_plan(STAGED, "p.yaml")
        prepared = prepare(plan, "店", MIX_MONTH, kpis)
    finally:
        store.close()
    for a in sm.presale:
        mine = [p for p in sm.product_sales if p.agent_id == a.agent_id]
        assert (
            sum(p.net_sales_fen for p in mine if not p.returning)
            == a.parts["new_buyer_net_sales_fen"]
        )
        assert sum(p.sales_fen for p in mine) == a.parts["sales_fen"]
    assert {p.product for p in sm.product_sales} == {"CHEAP-30", "DEAR-800"}
    assert {f.product_id for f in sm.products} == {"CHEAP-30", "DEAR-800"}
    inputs = prepared.inputs["shop_months"][MIX_MONTH]
    assert inputs["product_sales"] and inputs["products"]
    assert pay_from_inputs(plan, prepared.inputs) == prepared.pay
