"""Credited sales by product and buyer kind, and the product facts a pay plan weights them by."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class ProductSales:
    """One agent-month's credited sales to one buyer kind whose orders' main product is `product`
    ('' for orders without order lines); from the metric step `agent_product_sales`."""

    agent_id: str
    product: str
    returning: bool
    sales_fen: int
    net_sales_fen: int

    @classmethod
    def of_row(cls, r: Mapping[str, Any]) -> ProductSales:
        """From a row of the step `agent_product_sales` (or the lake job's `agent_products`)."""
        return cls(
            r["agent_id"],
            r["product"],
            bool(r["is_returning"]),
            int(r["sales_fen"]),
            int(r["net_sales_fen"]),
        )


@dataclass(frozen=True)
class ProductFact:
    """What decides a product's stage (docs/products.md): the shop's stage, launch date, first sale."""

    product_id: str
    first_sale: date | None
    launched_on: date | None
    stage_set: str | None
