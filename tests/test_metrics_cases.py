"""The hand-built metric cases on DuckDB, and the same cases on Spark with equal results."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from kefu.metrics.engine import StoreKpis
from kefu.metrics.fields import as_json
from kefu.metrics.table import ShopMonth
from kefu.store import Store

from metric_cases import CASES, Case
from shopdata import Shop


def build_store(path: Path, cases: list[Case]) -> Store:
    shop = Shop()
    for c in cases:
        part = c.build(c.shop_id)
        shop.agents += part.agents
        shop.messages += part.messages
        shop.orders += part.orders
        shop.reviews += part.reviews
        shop.evals += part.evals
    store = shop.store(path)
    for c in cases:
        for k, v in c.settings.items():
            store.set_setting(c.shop_id, k, v)
    return store


def actual(sm: ShopMonth, who: str) -> dict[str, Any]:
    if who == "SHOP":
        return sm.to_json()
    if who == "TEAM":
        return as_json(sm.team)
    row = sm.agent(who)
    assert row is not None, f"{who} is not listed in {sm.month}: {[a.agent_id for a in sm.agents]}"
    return row.to_json()


def check(case: Case, result: dict[str, ShopMonth]) -> None:
    for (month, who), fields in case.expect.items():
        got = actual(result[month], who)
        for name, want in fields.items():
            have = got[name]
            if want is None or have is None:
                assert have is want, f"{case.shop_id} {month} {who} {name}: {have} != {want}"
            else:
                assert math.isclose(have, want, rel_tol=1e-12), (
                    f"{case.shop_id} {month} {who} {name}: {have} != {want}"
                )


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_on_duckdb(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    store = build_store(tmp_path / "k.duckdb", [case])
    check(case, StoreKpis(store).shop_months(case.shop_id, case.months))


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_month_by_month(name: str, tmp_path: Path) -> None:
    """Computing one month alone reads only messages near it: the figures must not change."""
    case = CASES[name]
    store = build_store(tmp_path / "k.duckdb", [case])
    kpis = StoreKpis(store)
    for month in case.months:
        one = kpis.shop_months(case.shop_id, [month])
        sub = Case(
            case.shop_id, case.build, {k: v for k, v in case.expect.items() if k[0] == month}
        )
        check(sub, one)


def test_listed_agents_exclude_those_not_employed(tmp_path: Path) -> None:
    case = CASES["listed_agents"]
    store = build_store(tmp_path / "k.duckdb", [case])
    res = StoreKpis(store).shop_months(case.shop_id, ["2024-02", "2024-03"])
    assert sorted(a.agent_id for a in res["2024-02"].agents) == ["Ghost", "Old"]
    assert sorted(a.agent_id for a in res["2024-03"].agents) == ["New"]
    ghost = res["2024-02"].agent("Ghost")
    assert (
        ghost is not None and ghost.role == "presale" and ghost.name == "Ghost" and not ghost.known
    )


@pytest.mark.spark
def test_all_cases_on_spark_equal_duckdb(tmp_path: Path) -> None:
    """Every case's shop in one store; one Spark run; every figure equal to DuckDB's."""
    cases = [CASES[n] for n in sorted(CASES)]
    store = build_store(tmp_path / "all.duckdb", cases)
    months = sorted({m for c in cases for m in c.months})
    shops = [c.shop_id for c in cases]
    duck = StoreKpis(store).compute(shops, months)
    spark = StoreKpis(store, engine="spark").compute(shops, months)
    for c in cases:
        for m in months:
            assert spark[c.shop_id][m].to_json() == duck[c.shop_id][m].to_json(), (c.shop_id, m)
            assert [a.activity for a in spark[c.shop_id][m].agents] == [
                a.activity for a in duck[c.shop_id][m].agents
            ]
        check(c, spark[c.shop_id])


def test_one_month_reads_only_the_days_around_it(tmp_path: Path) -> None:
    """A dense shop where conversations cross every midnight: computing March must read
    March − (attribution_days + 2) to March + (2 × attribution_days + 2) days of messages (the
    end reaches the assists of orders credited in March), not the whole quarter (a window that
    grows to all data made the KPI step 8× slower at 10M messages: docs/performance.md)."""
    from datetime import datetime, timedelta

    shop = Shop().agent("A", shop="密").agent("B", shop="密")
    t0 = datetime(2024, 2, 1, 5, 50)
    for day in range(90):
        for k, hour in enumerate((5, 11, 17, 23)):
            start = t0 + timedelta(days=day, hours=hour - 5)
            buyer = f"b{(day * 4 + k) % 37}"
            agent = "A" if k % 2 else "B"
            shop.msg(buyer, agent, f"{start:%Y-%m-%d %H:%M:%S}", "buyer", "在吗", shop="密")
            shop.msg(
                buyer,
                agent,
                f"{start + timedelta(minutes=15):%Y-%m-%d %H:%M:%S}",
                "agent",
                "在",
                shop="密",
            )
    store = shop.store(tmp_path / "dense.duckdb")
    StoreKpis(store).shop_months("密", ["2024-03"])
    (read,) = store.con.execute("SELECT sum(n) FROM msg").fetchone()
    (near,) = store.con.execute(
        "SELECT count(*) FROM messages WHERE sent_at >= TIMESTAMP '2024-02-27 00:00:00' "
        "AND sent_at < TIMESTAMP '2024-04-05 00:00:00'"
    ).fetchone()
    (everything,) = store.con.execute("SELECT count(*) FROM messages").fetchone()
    assert read == near < everything
