"""Differential tests: the engine against the independent pandas reference, field by field."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.metrics.engine import StoreKpis
from kefu.metrics.fields import JSON_ORDER
from kefu.metrics.settings import from_mapping

import kefu_reference
from shopdata import Shop
from shopgen import MONTHS, shops

SHOP_SETTINGS = st.fixed_dictionaries(
    {},
    optional={
        "attribution_rule": st.sampled_from(["order", "paid", "order_first"]),
        "attribution_days": st.sampled_from(["0", "1", "2", "15"]),
        "session_gap_minutes": st.sampled_from(["5", "30", "120"]),
        "aftersale_lookback_days": st.sampled_from(["0", "1", "15"]),
        "repurchase_days": st.sampled_from(["1", "90"]),
        "slow_response_s": st.sampled_from(["0", "60"]),
        "off_hours": st.sampled_from(["23:00-09:00", "10:00-12:00"]),
        "ignored_accounts": st.sampled_from(["b1", "A", "b2,C"]),
    },
)


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def compare(shop: Shop, values: dict[str, str], month_by_month: bool = False) -> None:
    with tempfile.TemporaryDirectory() as d:
        store = shop.store(Path(d) / "k.duckdb")
        for k, v in values.items():
            store.set_setting("店", k, v)
        try:
            kpis = StoreKpis(store)
            if month_by_month:  # each month alone: only the messages near it are read
                engine = {m: kpis.shop_months("店", [m])[m] for m in MONTHS}
            else:
                engine = kpis.shop_months("店", MONTHS)
        finally:
            store.close()
    s = from_mapping(values)
    ref_settings = {
        "attribution_rule": s.attribution_rule,
        "attribution_days": s.attribution_days,
        "session_gap_minutes": s.session_gap_minutes,
        "aftersale_lookback_days": s.aftersale_lookback_days,
        "repurchase_days": s.repurchase_days,
        "slow_response_s": s.slow_response_s,
        "off_hours": s.off_hours,
        "ignored_accounts": s.ignored_accounts,
    }
    f = shop.frames()
    ref = kefu_reference.compute(
        f["agents"], f["messages"], f["orders"], f["reviews"], ref_settings, shop.evals_frame()
    )
    for month in MONTHS:
        got = engine[month].to_json()
        want = ref.get(("店", month))
        if want is None:  # the reference emits only months inside the data's span
            assert all(a["sessions"] == 0 and a["orders"] == 0 for a in got["agents"]), month
            continue
        assert {a["agent_id"] for a in got["agents"]} == set(want["agents"]), month
        for a in got["agents"]:
            w = want["agents"][a["agent_id"]]
            for field in JSON_ORDER:
                assert same(a[field], w[field]), (month, a["agent_id"], field, a[field], w[field])
        for field in JSON_ORDER:
            assert same(got["team"][field], want["team"][field]), (month, "team", field)
        for key in (
            "silent_orders",
            "silent_sales_fen",
            "silent_share",
            "unattributable_orders",
            "unattributable_sales_fen",
        ):
            assert same(got[key], want[key]), (month, key, got[key], want[key])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops(with_evals=True), SHOP_SETTINGS, st.booleans())
def test_engine_equals_reference(shop: Shop, values: dict[str, str], month_by_month: bool) -> None:
    compare(shop, values, month_by_month)
