"""The shop's products: what it says about each (products table) and what its orders show (order_items)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kefu.io.products_file import ProductsFile
from kefu.store.database import Store

STAGE_NEW, STAGE_ESTABLISHED = "new", "established"


@dataclass(frozen=True)
class Product:
    """One product of a shop: the shop's facts about it and its sales from order lines."""

    product_id: str
    title: str | None
    category: str | None
    launched_on: date | None
    stage_set: str | None  # the stage the shop set; None = derived from the dates
    first_sale: date | None  # the first paid order with a line of it
    orders: int
    quantity: int
    sales_fen: int  # Σ line_fen over paid orders

    def stage(self, on: date, new_months: int) -> str | None:
        """The product's stage on `on`: the shop's, else new within `new_months` months of its
        launch date (or its first sale when it has none), else established; None when unknown."""
        return product_stage(self.stage_set, self.launched_on, self.first_sale, on, new_months)


def product_stage(
    stage_set: str | None,
    launched_on: date | None,
    first_sale: date | None,
    on: date,
    new_months: int,
) -> str | None:
    """A product's stage on `on` (docs/products.md): set by the shop, else derived.

    New while `on` is before the start date plus `new_months` calendar months (the start is
    the launch date, else the first sale); a product never sold and without a launch date
    has no stage (None).
    """
    if stage_set:
        return stage_set
    start = launched_on or first_sale
    if start is None:
        return None
    y, m = divmod(start.month - 1 + new_months, 12)
    year, month = start.year + y, m + 1
    # the same day of the month, or the month's last day when it has fewer days
    day = start.day
    while True:
        try:
            end = date(year, month, day)
            break
        except ValueError:
            day -= 1
    return STAGE_NEW if on < end else STAGE_ESTABLISHED


@dataclass(frozen=True)
class ProductsImport:
    """What importing a product file did."""

    inserted: int
    updated: int
    unchanged: int


_FIELDS = ("title", "category", "launched_on", "stage")


def import_products(store: Store, shop_id: str, parsed: ProductsFile) -> ProductsImport:
    """Upsert the file's products for `shop_id`, on the fields the file gives only (one transaction)."""
    given = [f for f in _FIELDS if f in parsed.fields]
    inserted = updated = unchanged = 0
    with store.transaction():
        for row in parsed.rows:
            old = store.con.execute(
                f"SELECT {', '.join(_FIELDS)} FROM products WHERE shop_id = ? AND product_id = ?",
                [shop_id, row["product_id"]],
            ).fetchone()
            if old is None:
                store.con.execute(
                    f"INSERT INTO products (shop_id, product_id, {', '.join(given)}) VALUES "
                    f"({', '.join('?' for _ in range(2 + len(given)))})",
                    [shop_id, row["product_id"], *(row.get(f) for f in given)],
                )
                inserted += 1
                continue
            before = dict(zip(_FIELDS, old, strict=True))
            if all(before[f] == row.get(f) for f in given):
                unchanged += 1
                continue
            store.con.execute(
                f"UPDATE products SET {', '.join(f'{f} = ?' for f in given)} "
                "WHERE shop_id = ? AND product_id = ?",
                [*(row.get(f) for f in given), shop_id, row["product_id"]],
            )
            updated += 1
        if inserted or updated:
            store.audit(
                "products.import",
                parsed.file,
                {"shop": shop_id, "inserted": inserted, "updated": updated},
            )
    return ProductsImport(inserted, updated, unchanged)


def products(store: Store, shop_id: str) -> list[Product]:
    """Every product of the shop: those in its order lines and those it described, by id."""
    rows = store.con.execute(
        """
        WITH sold AS (
            SELECT i.product_id,
                   any_value(i.title ORDER BY o.created_at DESC) AS title,
                   min(o.paid_at)::DATE AS first_sale,
                   count(DISTINCT o.order_id) FILTER (WHERE o.paid_at IS NOT NULL) AS orders,
                   coalesce(sum(i.quantity) FILTER (WHERE o.paid_at IS NOT NULL), 0) AS quantity,
                   coalesce(sum(i.line_fen) FILTER (WHERE o.paid_at IS NOT NULL), 0) AS sales_fen
            FROM order_items i JOIN orders o ON o.shop_id = i.shop_id AND o.order_id = i.order_id
            WHERE i.shop_id = $1
            GROUP BY i.product_id
        )
        SELECT coalesce(p.product_id, s.product_id), coalesce(p.title, s.title), p.category,
               p.launched_on, p.stage, s.first_sale, coalesce(s.orders, 0),
               coalesce(s.quantity, 0), coalesce(s.sales_fen, 0)
        FROM (SELECT * FROM products WHERE shop_id = $1) p
        FULL JOIN sold s ON p.product_id = s.product_id
        ORDER BY 1
        """,
        [shop_id],
    ).fetchall()
    return [
        Product(r[0], r[1], r[2], r[3], r[4], r[5], int(r[6]), int(r[7]), int(r[8])) for r in rows
    ]


def product_json(p: Product, on: date, new_months: int) -> dict[str, Any]:
    """A product as `kefu products list --json` prints it."""
    return {
        "product_id": p.product_id,
        "title": p.title,
        "category": p.category,
        "launched_on": p.launched_on.isoformat() if p.launched_on else None,
        "first_sale": p.first_sale.isoformat() if p.first_sale else None,
        "stage_set": p.stage_set,
        "stage": p.stage(on, new_months),
        "orders": p.orders,
        "quantity": p.quantity,
        "sales_fen": p.sales_fen,
    }
