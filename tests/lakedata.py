"""Small multi-shop stores for the lake and Spark job tests: a few months of chats and orders."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from kefu.store import Store

from shopdata import Shop

# an ordinary shop, one whose id needs escaping in a path, and one with a three-week
# conversation running across the end of September (its window must widen; no other's)
SHOPS = ("s1", "店:2", "long")
MONTHS = ["2024-07", "2024-08", "2024-09"]


def _at(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def build(path: Path, last_day: str = "2024-09-30") -> Store:
    """Chats and orders every other day from July 1 to `last_day` in each shop."""
    end = datetime.fromisoformat(last_day) + timedelta(days=1)
    shop = Shop()
    for k, s in enumerate(SHOPS):
        shop.agent("A", shop=s).agent("B", shop=s).agent("S", role="aftersale", shop=s)
        day, n = datetime(2024, 7, 1, 9, 0, 0), 0
        while day < end:
            buyer = f"b{(n * 7 + k) % 11}"
            agent = "A" if n % 3 else "B"
            t = day + timedelta(minutes=(n * 37) % 600)
            shop.chat(
                buyer,
                agent,
                (_at(t), "buyer", "在吗"),
                (_at(t + timedelta(seconds=20 + n % 90)), "agent", "亲，在的"),
                (_at(t + timedelta(minutes=2)), "buyer", "有货吗"),
                (_at(t + timedelta(minutes=3)), "agent", "有的亲"),
                shop=s,
            )
            if n % 2 == 0:
                paid = t + timedelta(hours=2 + n % 30)
                shop.order(
                    f"o{n}",
                    buyer,
                    _at(t + timedelta(hours=1)),
                    _at(paid),
                    1000 + 37 * n,
                    1 + n % 3,
                    shop=s,
                )
                if n % 4 == 0:
                    shop.review(f"o{n}", "good" if n % 8 else "bad", shop=s)
            if n % 5 == 0:  # a silent order
                shop.order(
                    f"q{n}",
                    f"x{n % 4}",
                    _at(t + timedelta(hours=3)),
                    _at(t + timedelta(hours=4)),
                    500,
                    shop=s,
                )
            day += timedelta(days=2)
            n += 1
    t = datetime(2024, 9, 25, 8, 0, 0)
    while t < datetime(2024, 10, 16):  # never a pause of 30 minutes: one session
        shop.chat(
            "marathon",
            "A",
            (_at(t), "buyer", "还有问题"),
            (_at(t + timedelta(minutes=5)), "agent", "您说"),
            shop="long",
        )
        t += timedelta(minutes=20)
    shop.order("m1", "marathon", "2024-09-26 10:00:00", "2024-09-26 10:05:00", 8800, shop="long")
    store = shop.store(path)
    for s in SHOPS:
        store.set_setting(s, "repurchase_days", "7")
    # s1 sells products: an order's main product is its largest line. NEWP launched in
    # August, OLDP set established by the shop, MIDP new from its first sale (no row in the
    # products file); pay by product stage weights s1's sales by them
    store.con.execute(
        "INSERT INTO order_items SELECT shop_id, order_id, '1', CASE"
        " WHEN CAST(substr(order_id, 2) AS INTEGER) % 3 = 0 THEN 'NEWP'"
        " WHEN CAST(substr(order_id, 2) AS INTEGER) % 3 = 1 THEN 'OLDP' ELSE 'MIDP' END,"
        " NULL, NULL, amount_fen, 1, amount_fen, NULL FROM orders"
        " WHERE shop_id = 's1' AND order_id LIKE 'o%'"
    )
    store.con.execute(
        "INSERT INTO order_items SELECT shop_id, order_id, '2', 'OLDP', NULL, NULL, 100, 1, 100,"
        " NULL FROM orders WHERE shop_id = 's1' AND order_id LIKE 'o%'"
        " AND CAST(substr(order_id, 2) AS INTEGER) % 4 = 0"
    )
    store.con.execute(
        "INSERT INTO products VALUES ('s1', 'NEWP', NULL, NULL, '2024-08-10', NULL),"
        " ('s1', 'OLDP', NULL, NULL, NULL, 'established')"
    )
    # s1's team is small: strata of two buyers already give a rate, so its diagnosis compares
    # like with like (the job's output must carry the strata for it)
    store.set_setting("s1", "diagnosis.min_stratum", "2")
    # people behind seats: `long`'s seat A changed hands in mid-August (per-person figures
    # split it by date)
    store.con.execute(
        "INSERT INTO persons VALUES ('L1', '甲', '2024-01-01', '2024-08-15'),"
        " ('L2', '乙', '2024-08-16', NULL)"
    )
    store.con.execute(
        "INSERT INTO seat_holders VALUES ('long', 'A', 'L1', NULL, NULL),"
        " ('long', 'A', 'L2', NULL, NULL)"
    )
    return store


def add_october(store: Store) -> None:
    """October's chats and orders for the shops other than `long`."""
    extra = Shop()
    for s in SHOPS[:2]:
        for d in range(1, 31, 3):
            t = datetime(2024, 10, d, 10, 0, 0)
            extra.chat(
                "b1",
                "A",
                (_at(t), "buyer", "在吗"),
                (_at(t + timedelta(seconds=30)), "agent", "在"),
                shop=s,
            )
            extra.order(
                f"oct{d}",
                "b1",
                _at(t + timedelta(hours=1)),
                _at(t + timedelta(hours=2)),
                2000,
                shop=s,
            )
    from shopdata import _arrow

    with store.transaction():
        for table, df in extra.frames().items():
            if len(df):
                store.upsert(table, _arrow(table, df))
