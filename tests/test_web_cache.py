"""The KPI cache of a long-running workplace: its key, its memo, and one computation at a time.

A re-import of an unchanged file must not throw the cached months away; an import that writes
must; and twenty requests arriving for a month that is not cached must compute it once, not
twenty times (docs/performance.md, "The web workplace under load").
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kefu.demo.generate import generate_demo_shop
from kefu.metrics.cache import CachedKpis, MonthMemo, inputs_key
from kefu.metrics.engine import StoreKpis
from kefu.metrics.table import ShopMonth
from kefu.store import open_store
from kefu.store.ingest import import_files


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[Path], str]:
    folder = tmp_path_factory.mktemp("cache")
    shop = generate_demo_shop(folder, months=3)
    return folder / "kefu.duckdb", shop.shop_id, list(shop.files), shop.months[-2]


def test_key_changes_only_when_an_import_writes(
    demo: tuple[Path, str, list[Path], str], tmp_path: Path
) -> None:
    _, shop, files, _ = demo
    reviews = [f for f in files if "review" in f.name.lower()]
    assert reviews, [f.name for f in files]
    rest = [f for f in files if f not in reviews]
    with open_store(tmp_path / "k.duckdb") as store:
        import_files(store, rest)
        before = inputs_key(store, shop)
        import_files(store, rest)  # every row an unchanged duplicate
        assert inputs_key(store, shop) == before
        import_files(store, reviews)  # new rows
        after = inputs_key(store, shop)
        assert after != before
        store.set_setting(shop, "diagnosis.min_inquiries", "31")
        assert inputs_key(store, shop) != after


class Counting:
    """The real engine, counting the months it is asked to compute."""

    def __init__(self, inner: StoreKpis) -> None:
        self.inner = inner
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]:
        with self.lock:
            self.asked.extend(months)
        return self.inner.shop_months(shop_id, months)


def test_concurrent_requests_compute_a_month_once(
    demo: tuple[Path, str, list[Path], str], tmp_path: Path
) -> None:
    _, shop, files, month = demo
    with open_store(tmp_path / "c.duckdb") as store:
        import_files(store, files)
        memo = MonthMemo()
        lock = threading.RLock()
        engines: list[Counting] = []
        results: list[ShopMonth] = []
        start = threading.Barrier(8)

        def request() -> None:
            cursor = store.cursor()
            try:
                engine = Counting(StoreKpis(cursor))
                with lock:
                    engines.append(engine)
                start.wait()
                got = CachedKpis(cursor, engine, lock, memo).shop_months(shop, [month])[month]
                with lock:
                    results.append(got)
            finally:
                cursor.close()

        threads = [threading.Thread(target=request) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sum(len(e.asked) for e in engines) == 1
        assert len(results) == 8
        assert all(r.to_json() == results[0].to_json() for r in results)
        # a later request under the same key reads the memo, not the engine or the JSON
        again = Counting(StoreKpis(store))
        assert CachedKpis(store, again, lock, memo).shop_months(shop, [month])[month] is (
            memo.get(shop, month, inputs_key(store, shop))
        )
        assert again.asked == []
        # a changed setting is a new key: computed again, once
        store.set_setting(shop, "attribution_days", "3")
        fresh = Counting(StoreKpis(store))
        CachedKpis(store, fresh, lock, memo).shop_months(shop, [month])
        assert fresh.asked == [month]
