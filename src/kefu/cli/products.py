"""CLI commands: `kefu products import` and `kefu products list` (docs/products.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from kefu.cli.common import (
    DbOption,
    LangOption,
    ShopOption,
    check_choice,
    check_lang,
    console,
    fail,
    h,
    open_db,
    resolve_shop,
)
from kefu.i18n import t
from kefu.inert import visible

products_app = typer.Typer(help=h("products.help"), no_args_is_help=True)
NEW_MONTHS = 6  # `--new-months` default: a product is new for its first six months


@products_app.command("import", help=h("products.help_import"))
def products_import(
    file: Annotated[Path, typer.Argument(help=h("products.help_file"))],
    shop: ShopOption = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from kefu.io import ImportFileError, quarantine_line
    from kefu.io.products_file import read_products
    from kefu.store.products import import_products

    which = check_lang(lang)
    try:
        parsed = read_products(file)
    except ImportFileError as e:
        fail(str(e))
    with open_db(db, must_exist=True) as store:
        shop_id = resolve_shop(store, shop)
        done = import_products(store, shop_id, parsed)
    console.print(
        t(
            "products.imported",
            which,
            file=file.name,
            shop=shop_id,
            rows=parsed.rows_read,
            inserted=done.inserted,
            updated=done.updated,
            unchanged=done.unchanged,
            quarantined=len(parsed.quarantine),
        ),
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    for q in parsed.quarantine:
        console.print(visible(quarantine_line(q)), highlight=False, markup=False, soft_wrap=True)


@products_app.command("list", help=h("products.help_list"))
def products_list(
    shop: ShopOption = None,
    on: Annotated[
        str | None, typer.Option("--on", help=h("products.help_on"), show_default=False)
    ] = None,
    new_months: Annotated[
        int, typer.Option("--new-months", help=h("products.help_new_months"), min=1)
    ] = NEW_MONTHS,
    fmt: Annotated[str, typer.Option("--format", help=h("products.help_format"))] = "table",
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from rich.table import Table

    from kefu.metrics.labels import yuan
    from kefu.store.products import product_json, products

    which = check_lang(lang)
    check_choice("--format", fmt, ("table", "json", "csv"))
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        fail(t("products.bad_on", which, value=on))
    with open_db(db, must_exist=True) as store:
        shop_id = resolve_shop(store, shop)
        found = [product_json(p, day, new_months) for p in products(store, shop_id)]
    if fmt == "json":
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    cols = list(found[0]) if found else ["product_id"]
    if fmt == "csv":
        import csv
        import sys

        from kefu.inert import csv_cell

        w = csv.writer(sys.stdout)
        w.writerow(cols)
        for row in found:
            w.writerow([csv_cell("" if row[c] is None else row[c]) for c in cols])
        return
    table = Table(title=t("products.title", which, shop=shop_id, on=day.isoformat()))
    heads = ("product_id", "title", "category", "launched_on", "first_sale", "stage")
    for c in (*heads, "orders", "sales_fen"):
        table.add_column(t(f"products.col.{c}", which))
    for row in found:
        stage = row["stage"] and t(f"products.stage.{row['stage']}", which)
        if row["stage_set"]:
            stage = f"{stage} ({t('products.set_by_shop', which)})"
        table.add_row(
            *(visible(str(row[c] or "—")) for c in heads[:-1]),
            stage or "—",
            str(row["orders"]),
            yuan(row["sales_fen"]),
        )
    console.print(table)
    if not found:
        console.print(t("products.none", which, shop=shop_id), highlight=False)


def register(app: typer.Typer) -> None:
    """Add products to the kefu app."""
    app.add_typer(products_app, name="products")
