"""Many months asked at once are computed in batches that fit the memory limit, exactly as
one run computes them (kefu.metrics.engine.StoreKpis.month_batches)."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest

from kefu.metrics.engine import MESSAGE_BYTES, StoreKpis
from kefu.metrics.table import month_range
from kefu.store import open_store


@pytest.fixture(scope="module")
def store_copy(demo_store: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("batches") / "kefu.duckdb"
    shutil.copy(demo_store["db"], db)
    return db


def months_of(db: Path, shop: str) -> list[str]:
    with open_store(db, read_only=True) as store:
        first, last = store.con.execute(
            "SELECT strftime(min(sent_at), '%Y-%m'), strftime(max(sent_at), '%Y-%m') "
            "FROM messages WHERE shop_id = ?",
            [shop],
        ).fetchone() or ("", "")
    return month_range(first, last)


def test_batches_give_what_one_run_gives(store_copy: Path, demo_store: dict[str, Any]) -> None:
    shop = demo_store["shop"]
    months = months_of(store_copy, shop)[-7:]
    with open_store(store_copy, read_only=True) as store:
        whole = StoreKpis(store)
        whole.message_budget = lambda: None  # type: ignore[method-assign]  # one run
        assert whole.month_batches(months) == [months]
        one_run = {m: sm.to_json() for m, sm in whole.shop_months(shop, months).items()}

        small = StoreKpis(store)
        small.message_budget = lambda: 1  # type: ignore[method-assign]  # a month a run
        small.compute([shop], [])  # the views month_batches counts in
        assert small.month_batches(list(reversed(months))) == [[m] for m in months]
        batched = {m: sm.to_json() for m, sm in small.shop_months(shop, months).items()}
    assert list(batched) == months
    assert batched == one_run


def test_batches_hold_consecutive_months_within_the_budget(
    store_copy: Path, demo_store: dict[str, Any]
) -> None:
    shop = demo_store["shop"]
    months = months_of(store_copy, shop)[-6:]
    with open_store(store_copy, read_only=True) as store:
        counts = dict(
            store.con.execute(
                "SELECT strftime(sent_at, '%Y-%m'), count(*) FROM messages "
                "WHERE shop_id = ? GROUP BY 1",
                [shop],
            ).fetchall()
        )
        kpis = StoreKpis(store)
        kpis.compute([shop], [])
        two = max(counts[a] + counts[b] for a, b in itertools.pairwise(months))
        kpis.message_budget = lambda: two  # type: ignore[method-assign]
        batches = kpis.month_batches(months)
        assert [m for b in batches for m in b] == months
        assert all(len(b) <= 2 for b in batches) and any(len(b) == 2 for b in batches)
        for b in batches:
            assert sum(counts[m] for m in b) <= two or len(b) == 1
        # a gap between asked months counts: the window reads the months between
        apart = [months[0], months[2]]
        kpis.message_budget = lambda: counts[months[0]] + counts[months[2]]  # type: ignore[method-assign]
        assert kpis.month_batches(apart) == [[months[0]], [months[2]]]
        # the default budget comes from the store's memory limit
        del kpis.message_budget
        (limit,) = store.con.execute("SELECT current_setting('memory_limit')").fetchone() or ("",)
        budget = kpis.message_budget()
        assert budget is not None and budget * MESSAGE_BYTES > 64_000_000, limit
