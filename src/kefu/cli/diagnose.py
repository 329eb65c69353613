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
    check_lang,
    check_month,
    console,
    fail,
    open_db,
    resolve_shop,
)

if TYPE_CHECKING:
    from kefu.diagnosis import ShopDiagnosis
    from kefu.metrics.table import ShopMonth
    from kefu.report.content import Section

FORMATS = ("table", "json")
EngineOption = Annotated[str, typer.Option("--engine", help="duckdb (default) or spark")]


def _diagnosis(
    month: str, shop: str | None, db: str | None, engine: str
) -> tuple[ShopDiagnosis, ShopMonth | None]:
    """Open the store, read the shop's diagnosis settings and diagnose the month; also the
    month's KPI record when it was read from a platform's agent report (else None)."""
    from kefu.diagnosis import SettingError, diagnose, from_shop_settings

    try:  # the metrics engine is imported late so that this module loads without it
        from kefu.metrics.reported import ChosenKpis
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
    source = ChosenKpis(store, engine=engine)
    d = diagnose(source, shop_id, month, settings)
    if d.summary.inquiring_buyers == 0:
        fail(f"no pre-sale inquiry in shop {shop_id} in {month}: nothing to judge")
    return d, source.reported_month(shop_id, month)


def diagnose_cmd(
    month: MonthOption,
    shop: ShopOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    lang: LangOption = "zh",
    engine: EngineOption = "duckdb",
    db: DbOption = None,
) -> None:
    """Each presale agent's quadrant with its evidence, the causes of low conversion,
    screening reviews, the team rule, question 1 pairs and question 2 classes."""
    check_lang(lang)
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    d, reported = _diagnosis(month, shop, db, engine)
    if fmt == "json":
        payload = d.to_json(lang)
        if reported is not None:  # a month read from a platform's agent report
            from kefu.metrics.fields import not_available

            payload["source"] = reported.source
            payload["team_not_available"] = not_available(reported.team)
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    from kefu.report.terminal import print_report

    print_report(d, console, lang)
    if reported is not None:
        from kefu.inert import shown
        from kefu.metrics.reported import source_lines

        for line in source_lines(reported, lang):
            console.print(shown(line), highlight=False, soft_wrap=True)


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
    d, reported = _diagnosis(month, shop, db, engine)
    extra = _report_sections(d.shop_id, month, db, reported, lang)
    try:
        write_report(d, output, lang, extra)
    except OutputError as e:
        fail(e.message(lang))
    console.print(shown(t("output.wrote", lang, path=str(output))))


def _report_sections(
    shop_id: str, month: str, db: str | None, reported: ShopMonth | None, lang: str
) -> list[Section]:
    """Sections for a platform's agent report: the month's source when it was read from one,
    else the reconciliation of kefu's figures with a report of the same month, if any."""
    from kefu.report.reconcile import reconcile_section, source_section

    if reported is not None:
        return [source_section(reported, lang)]
    from kefu.metrics.reconcile import reconcile

    store = open_db(db, must_exist=True)
    try:
        rec = reconcile(store, shop_id, month)
    finally:
        store.close()
    return [] if rec is None else [reconcile_section(rec, lang)]


def register(app: typer.Typer) -> None:
    """Add diagnose and report to the kefu app."""
    app.command("diagnose")(diagnose_cmd)
    app.command("report")(report_cmd)
