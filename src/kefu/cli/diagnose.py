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
    check_choice,
    check_lang,
    check_month,
    console,
    fail,
    h,
    open_db,
    piped,
    resolve_shop,
    say,
)
from kefu.i18n import t

if TYPE_CHECKING:
    from kefu.diagnosis import ShopDiagnosis
    from kefu.metrics.table import ShopMonth
    from kefu.report.content import Section

FORMATS = ("table", "json")
EngineOption = Annotated[str, typer.Option("--engine", help=h("cli.opt.engine"))]


def _diagnosis(
    month: str,
    shop: str | None,
    db: str | None,
    engine: str,
    lang: str = "zh",
    lake_output: str | None = None,
) -> tuple[ShopDiagnosis, ShopMonth | None]:
    """Open the store, read the shop's diagnosis settings and diagnose the month; also the
    month's KPI record when it was read from a platform's agent report (else None)."""
    from kefu.diagnosis import SettingError, diagnose, from_shop_settings

    if lake_output is not None:  # the Spark job's output tables (docs/lake.md)
        return _from_lake_output(lake_output, month, shop, lang)

    try:  # the metrics engine is imported late so that this module loads without it
        from kefu.metrics.reported import ChosenKpis
    except ImportError as e:  # pragma: no cover - only while the engine is missing
        say("cli.err.engine_missing", error=e)
    check_month(month)
    check_choice("--engine", engine, ("duckdb", "spark"))
    store = open_db(db, must_exist=True)
    shop_id = resolve_shop(store, shop)
    try:
        settings = from_shop_settings(store.settings(shop_id))
    except SettingError as e:
        say("cli.err.bad_setting", error=e, shop=shop_id)
    source = ChosenKpis(store, engine=engine)
    d = diagnose(source, shop_id, month, settings)
    if d.summary.inquiring_buyers == 0:
        from kefu.cli.common import data_months, no_data

        if month not in data_months(store, shop_id):
            fail(no_data(store, shop_id, month, lang))
        say("cli.err.no_inquiry", shop=shop_id, month=month)
    return d, source.reported_month(shop_id, month)


def _from_lake_output(
    path: str, month: str, shop: str | None, lang: str
) -> tuple[ShopDiagnosis, ShopMonth | None]:
    from kefu.cli.kpi import open_output
    from kefu.diagnosis import SettingError, diagnose, from_shop_settings

    check_month(month)
    source, shop = open_output(path, shop, month, lang)
    try:
        settings = from_shop_settings(source.settings(shop))
    except SettingError as e:
        say("cli.err.bad_setting", error=e, shop=shop)
    return diagnose(source, shop, month, settings), None


def diagnose_cmd(
    month: MonthOption,
    shop: ShopOption = None,
    fmt: Annotated[str, typer.Option("--format", help=h("cli.opt.diagnose_format"))] = "table",
    lang: LangOption = None,
    engine: EngineOption = "duckdb",
    wide: WideOption = False,
    strata: Annotated[bool, typer.Option("--strata", help=h("mix.help_strata"))] = False,
    db: DbOption = None,
    lake_output: Annotated[
        str | None, typer.Option("--lake-output", help=h("lake.help.lake_output"))
    ] = None,
) -> None:
    lang = check_lang(lang)
    check_choice("--format", fmt, FORMATS)
    d, reported = _diagnosis(month, shop, db, engine, lang, lake_output)
    if fmt == "json":
        payload = d.to_json(lang)
        if reported is not None:  # a month read from a platform's agent report
            from kefu.metrics.fields import not_available

            payload["source"] = reported.source
            payload["team_not_available"] = not_available(reported.team)
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    from kefu.report.terminal import print_report

    print_report(d, console, lang, wide=wide or piped(console))
    from kefu.report.mix_table import print_mix

    print_mix(
        d.verdicts, month, console, lang, strata, d.settings.min_stratum, wide or piped(console)
    )
    if reported is not None:
        from kefu.inert import shown
        from kefu.metrics.reported import source_lines

        for line in source_lines(reported, lang):
            console.print(shown(line), highlight=False, soft_wrap=True)


def report_cmd(
    month: MonthOption,
    output: Annotated[Path, typer.Option("--output", help=h("cli.opt.report_output"))],
    shop: ShopOption = None,
    lang: LangOption = None,
    engine: EngineOption = "duckdb",
    db: DbOption = None,
) -> None:
    from kefu.inert import shown
    from kefu.output import OutputError, check_target
    from kefu.report import FORMATS as REPORT_FORMATS
    from kefu.report import write_report

    lang = check_lang(lang)
    if output.suffix.lower() not in REPORT_FORMATS:
        say("cli.err.report_suffix", name=output.name)
    try:  # the store, a folder or a missing folder is refused before any work
        check_target(output)
    except OutputError as e:
        fail(e.message(lang))
    d, reported = _diagnosis(month, shop, db, engine, lang)
    extra = _report_sections(d.shop_id, month, db, reported, lang)
    extra += _voice_sections(d.shop_id, month, db, lang)
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


def _voice_sections(shop_id: str, month: str, db: str | None, lang: str) -> list[Section]:
    """The month's voice of the buyer (docs/voice.md); nothing when the month has no messages."""
    from kefu.report.content import voice_section
    from kefu.voice.month import VoiceOfBuyer, shop_classifier

    store = open_db(db, must_exist=True)
    try:  # with the shop's own lexicon, as `kefu voice` and the web page read it
        v = VoiceOfBuyer(store, shop_classifier(store, shop_id)).month(shop_id, month)
    finally:
        store.close()
    return [voice_section(v, lang)] if v.buyer_messages else []


def register(app: typer.Typer) -> None:
    """Add diagnose and report to the kefu app."""
    app.command("diagnose", help=h("cli.diagnose.help"))(diagnose_cmd)
    app.command("report", help=h("cli.report.help"))(report_cmd)
