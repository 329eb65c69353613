"""CLI commands: diagnose (every judgement of the article, with its evidence) and report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kefu.cli.common import (
    DbOption,
    LangOption,
    MonthOption,
    ShopOption,
    WideOption,
    check_lang,
    check_month,
    console,
    fail,
    open_db,
    piped,
    resolve_shop,
)

if TYPE_CHECKING:
    from kefu.diagnosis import ShopDiagnosis

FORMATS = ("table", "json")
EngineOption = Annotated[str, typer.Option("--engine", help="duckdb (default) or spark")]


def _diagnosis(
    month: str, shop: str | None, db: str | None, engine: str, lang: str = "zh"
) -> ShopDiagnosis:
    """Open the store, read the shop's diagnosis settings and diagnose the month."""
    from kefu.diagnosis import SettingError, diagnose, from_shop_settings

    try:  # the metrics engine is imported late so that this module loads without it
        from kefu.metrics.engine import StoreKpis
    except ImportError as e:  # pragma: no cover - only while the engine is missing
        fail(f"the metrics engine is not available: {e}")
    check_month(month)
    if engine not in ("duckdb", "spark"):
        fail(f"--engine must be duckdb or spark, not '{engine}'")
    store = open_db(db, must_exist=True)
    shop_id = resolve_shop(store, shop)
    try:
        settings = from_shop_settings(store.settings(shop_id))
    except SettingError as e:
        fail(f"{e} (change it with: kefu settings NAME VALUE --shop {shop_id})")
    d = diagnose(StoreKpis(store, engine=engine), shop_id, month, settings)
    if d.summary.inquiring_buyers == 0:
        from kefu.cli.common import data_months, no_data

        if month not in data_months(store, shop_id):
            fail(no_data(store, shop_id, month, lang))
        fail(f"no pre-sale inquiry in shop {shop_id} in {month}: nothing to judge")
    return d


def diagnose_cmd(
    month: MonthOption,
    shop: ShopOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    lang: LangOption = "zh",
    engine: EngineOption = "duckdb",
    wide: WideOption = False,
    db: DbOption = None,
) -> None:
    """Each presale agent's quadrant with its evidence, the causes of low conversion,
    screening reviews, the team rule, question 1 pairs and question 2 classes."""
    check_lang(lang)
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    d = _diagnosis(month, shop, db, engine, lang)
    if fmt == "json":
        typer.echo(json.dumps(d.to_json(lang), ensure_ascii=False, indent=2))
        return
    from kefu.report.terminal import print_report

    print_report(d, console, lang, wide=wide or piped(console))


def report_cmd(
    month: MonthOption,
    output: Annotated[
        Path, typer.Option("--output", help="report.html (one self-contained file) or report.xlsx")
    ],
    shop: ShopOption = None,
    lang: LangOption = "zh",
    engine: EngineOption = "duckdb",
    db: DbOption = None,
) -> None:
    """The diagnosis as a report: one HTML file that opens offline, or an xlsx workbook."""
    from kefu.i18n import t
    from kefu.inert import shown
    from kefu.output import OutputError, check_target
    from kefu.report import FORMATS as REPORT_FORMATS
    from kefu.report import write_report

    check_lang(lang)
    if output.suffix.lower() not in REPORT_FORMATS:
        fail(f"--output must end in .html or .xlsx, not '{output.name}'")
    try:  # the store, a folder or a missing folder is refused before any work
        check_target(output)
    except OutputError as e:
        fail(e.message(lang))
    d = _diagnosis(month, shop, db, engine, lang)
    try:
        write_report(d, output, lang)
    except OutputError as e:
        fail(e.message(lang))
    console.print(shown(t("output.wrote", lang, path=str(output))))


def register(app: typer.Typer) -> None:
    """Add diagnose and report to the kefu app."""
    app.command("diagnose")(diagnose_cmd)
    app.command("report")(report_cmd)
