"""CLI command: reconcile (kefu's figures beside a platform report's, with the likely cause)."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Annotated

import typer
from rich.table import Table

from kefu.cli.common import (
    DbOption,
    LangOption,
    MonthOption,
    ShopOption,
    check_choice,
    check_lang,
    check_month,
    console,
    fail,
    h,
    open_db,
    resolve_shop,
)
from kefu.inert import shown

FORMATS = ("table", "json")
ToleranceOption = Annotated[
    str,
    typer.Option("--tolerance", help=h("cli.opt.tolerance")),
]


def reconcile_cmd(
    month: MonthOption,
    shop: ShopOption = None,
    fmt: Annotated[str, typer.Option("--format", help=h("cli.opt.diagnose_format"))] = "table",
    tolerance: ToleranceOption = "0.01",
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from kefu import i18n
    from kefu.metrics.reconcile import reconcile
    from kefu.report import reconcile as words

    lang = check_lang(lang)
    check_month(month)
    check_choice("--format", fmt, FORMATS)
    try:
        tol = Fraction(tolerance)
    except (ValueError, ZeroDivisionError):
        fail(i18n.t("reports.reconcile.bad_tolerance", lang, value=tolerance))
    if not 0 <= tol < 1:
        fail(i18n.t("reports.reconcile.bad_tolerance", lang, value=tolerance))
    store = open_db(db, must_exist=True)
    try:
        shop_id = resolve_shop(store, shop)
        rec = reconcile(store, shop_id, month, tol)
    finally:
        store.close()
    if rec is None:
        fail(i18n.t("reports.reconcile.no_report", lang, shop=shop_id, month=month))
    if fmt == "json":
        typer.echo(json.dumps(rec.to_json(), ensure_ascii=False, indent=2))
        return
    console.print(shown(words.title(rec, lang)))
    table = Table()
    for key in words.COLUMNS:
        table.add_column(i18n.t(f"reports.reconcile.col.{key}", lang))
    for row in words.rows(rec, lang):
        table.add_row(*(shown(c) for c in row))
    console.print(table)
    for line in words.others(rec, lang):
        console.print(shown(line))


def register(app: typer.Typer) -> None:
    """Add reconcile to the kefu app."""
    app.command("reconcile", help=h("cli.reconcile.help"))(reconcile_cmd)
