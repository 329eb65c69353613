"""Properties of the metrics that hold for any shop (hypothesis)."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.metrics.engine import StoreKpis

from shopdata import Shop
from shopgen import MONTHS, shops

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def kpis(shop: Shop) -> dict:
    with tempfile.TemporaryDirectory() as d:
        store = shop.store(Path(d) / "k.duckdb")
        try:
            return {m: sm.to_json() for m, sm in StoreKpis(store).shop_months("店", MONTHS).items()}
        finally:
            store.close()


@SETTINGS
@given(shops(), st.integers(0, 2**32))
def test_results_do_not_depend_on_row_order(shop: Shop, seed: int) -> None:
    rng = random.Random(seed)
    shuffled = Shop(
        agents=shop.agents[::-1],
        messages=rng.sample(shop.messages, len(shop.messages)),
        orders=rng.sample(shop.orders, len(shop.orders)),
        reviews=shop.reviews[::-1],
    )
    assert kpis(shop) == kpis(shuffled)


@SETTINGS
@given(shops())
def test_paying_never_exceeds_inquiring_and_sales_add_up(shop: Shop) -> None:
    res = kpis(shop)
    credited = silent = 0
    for month in MONTHS:
        r = res[month]
        for a in r["agents"]:
            assert a["paying_buyers"] <= a["inquiring_buyers"]
            assert a["served_buyers"] <= a["consulted_buyers"]
            assert a["receptions"] + a["unanswered_sessions"] <= a["sessions"]
            assert a["net_sales_fen"] == a["sales_fen"] - a["refund_fen"]
            assert a["new_buyer_sales_fen"] + a["returning_buyer_sales_fen"] == a["sales_fen"]
            credited += a["sales_fen"]
        silent += r["silent_sales_fen"]
    # over the whole data every paid order with a known buyer is credited or silent, once
    paid = sum(
        o["amount_fen"]
        for o in shop.orders
        if o["paid_at"] is not None and o["buyer_id"] is not None
    )
    assert credited + silent == paid
