"""KPI months computed once: a cache in the store, keyed by what the figures depend on.

A shop-month's KPIs depend on the records imported and on the shop's settings (and on the
kefu that computed them). The key is a hash of those: the import log (every import adds a
row), the shop's settings and kefu's version. Pages and the API read through `CachedKpis`; a
month is recomputed by the engine only when its key changed. The cached body is plain JSON
written and read by the two functions below (never pickle: nothing in the store runs code).

A long-running process (`kefu serve`) also keeps the months it has read in a `MonthMemo`, so
a request does not parse the cached JSON again, and lets one request at a time compute a
shop's missing months while the others wait for its result instead of computing them too.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from kefu import __version__
from kefu.metrics.mix import Stratum
from kefu.metrics.product_sales import ProductFact, ProductSales
from kefu.metrics.table import Activity, AgentMonth, KpiSource, ShopMonth
from kefu.store.database import Store


def inputs_key(store: Store, shop_id: str) -> str:
    """What every month of the shop depends on, as one hash.

    Only imports that wrote something count: importing the same file again (every row an
    unchanged duplicate) leaves the figures, and so the key, as they were.
    """
    imports = store.con.execute(
        "SELECT count(*), coalesce(max(import_id), 0) FROM import_log "
        "WHERE imported > 0 OR updated > 0"
    ).fetchone()
    settings = sorted(store.settings(shop_id).items())
    text = json.dumps({"kefu": __version__, "imports": list(imports or ()), "settings": settings})
    return hashlib.sha256(text.encode()).hexdigest()


def dump_month(sm: ShopMonth) -> str:
    body = asdict(sm)
    return json.dumps(body, ensure_ascii=False, sort_keys=True, default=_default)


def load_month(text: str) -> ShopMonth:
    d = json.loads(text)
    agents = [
        AgentMonth(
            shop_id=a["shop_id"],
            month=a["month"],
            agent_id=a["agent_id"],
            name=a["name"],
            role=a["role"],
            team=a["team"],
            hired_on=_date(a["hired_on"]),
            left_on=_date(a["left_on"]),
            known=a["known"],
            parts={k: int(v) for k, v in a["parts"].items()},
            activity=None
            if a["activity"] is None
            else Activity(
                **{**a["activity"], "hour_sessions": tuple(a["activity"]["hour_sessions"])}
            ),
        )
        for a in d.pop("agents")
    ]
    strata = tuple(Stratum(**x) for x in d.pop("strata", []))
    sales = tuple(ProductSales(**x) for x in d.pop("product_sales", []))
    facts = tuple(
        ProductFact(
            x["product_id"], _date(x["first_sale"]), _date(x["launched_on"]), x["stage_set"]
        )
        for x in d.pop("products", [])
    )
    return ShopMonth(agents=agents, strata=strata, product_sales=sales, products=facts, **d)


def _date(v: str | None) -> date | None:
    return None if v is None else date.fromisoformat(v)


def _default(o: Any) -> Any:
    if isinstance(o, datetime | date):
        return o.isoformat()
    raise TypeError(type(o).__name__)


class MonthMemo:
    """The shop-months one process has read, by (shop, month, inputs key); at most `size`.

    Its months are shared between threads and never changed after they are put here. It also
    holds one lock per shop, taken while that shop's missing months are computed.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._months: OrderedDict[tuple[str, str, str], ShopMonth] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[str, threading.Lock] = {}

    def get(self, shop_id: str, month: str, key: str) -> ShopMonth | None:
        with self._lock:
            found = self._months.get((shop_id, month, key))
            if found is not None:
                self._months.move_to_end((shop_id, month, key))
            return found

    def put(self, shop_id: str, month: str, key: str, sm: ShopMonth) -> None:
        with self._lock:
            self._months[(shop_id, month, key)] = sm
            while len(self._months) > self.size:
                self._months.popitem(last=False)

    def computing(self, shop_id: str) -> threading.Lock:
        with self._lock:
            return self._computing.setdefault(shop_id, threading.Lock())


class CachedKpis:
    """A KpiSource that reads the cache and asks `inner` only for months whose key changed."""

    def __init__(
        self,
        store: Store,
        inner: KpiSource | None,
        lock: AbstractContextManager[Any] | None = None,
        memo: MonthMemo | None = None,
    ) -> None:
        self.store = store
        self.inner = inner
        self.lock = lock or nullcontext()
        self.memo = memo
        self.computed: list[tuple[str, str]] = []  # (shop, month) computed, for tests and logs
        self.keys: dict[str, str] = {}  # the inputs key each shop was last read under

    def shop_months(self, shop_id: str, months: list[str]) -> dict[str, ShopMonth]:
        key = inputs_key(self.store, shop_id)
        self.keys[shop_id] = key
        found = self._read(shop_id, months, key)
        missing = [m for m in months if m not in found]
        if missing:
            assert self.inner is not None, "a cache without an engine only reads"
            flight = self.memo.computing(shop_id) if self.memo else nullcontext()
            with flight:  # the requests waiting here find the month computed by the first
                found.update(self._read(shop_id, missing, key))
                missing = [m for m in months if m not in found]
                if missing:
                    fresh = self.inner.shop_months(shop_id, missing)
                    with self.lock:  # one writer at a time
                        self._put(shop_id, key, fresh.values())
                    for m, sm in fresh.items():
                        if self.memo is not None:
                            self.memo.put(shop_id, m, key, sm)
                    self.computed.extend((shop_id, m) for m in fresh)
                    found.update(fresh)
        return {m: found[m] for m in months if m in found}

    def _read(self, shop_id: str, months: list[str], key: str) -> dict[str, ShopMonth]:
        found: dict[str, ShopMonth] = {}
        if self.memo is not None:
            for m in months:
                sm = self.memo.get(shop_id, m, key)
                if sm is not None:
                    found[m] = sm
        rest = [m for m in months if m not in found]
        if not rest:
            return found
        rows = self.store.con.execute(
            "SELECT month, body FROM kpi_cache WHERE shop_id = ? AND inputs_key = ? "
            "AND list_contains(?, month)",
            [shop_id, key, rest],
        ).fetchall()
        for month, body in rows:
            found[month] = load_month(body)
            if self.memo is not None:
                self.memo.put(shop_id, month, key, found[month])
        return found

    def _put(self, shop_id: str, key: str, months: Sequence[ShopMonth] | Any) -> None:
        now = datetime.now()
        for sm in months:
            self.store.con.execute(
                "INSERT OR REPLACE INTO kpi_cache VALUES (?, ?, ?, ?, ?)",
                [shop_id, sm.month, key, dump_month(sm), now],
            )
