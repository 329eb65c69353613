"""CLI commands: kpi (the agent-month KPI table), explain order, settings."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from kefu.cli.common import (
    PIPED_WIDTH,
    AgentOption,
    ColumnsOption,
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
    no_data,
    open_db,
    piped,
    resolve_agent,
    resolve_shop,
    say,
)
from kefu.i18n import t
from kefu.inert import shown, visible
from kefu.output import OutputError, check_target, write_text

FORMATS = ("table", "json", "csv", "xlsx")


def _json_default(o: Any) -> Any:
    if isinstance(o, datetime | date):
        return o.isoformat(sep=" ") if isinstance(o, datetime) else o.isoformat()
    raise TypeError(type(o).__name__)


def kpi(
    month: MonthOption,
    shop: ShopOption = None,
    agent: AgentOption = None,
    columns: ColumnsOption = None,
    wide: WideOption = False,
    fmt: Annotated[str, typer.Option("--format", help=h("cli.opt.kpi_format"))] = "table",
    output: Annotated[Path | None, typer.Option("--output", help=h("cli.opt.output"))] = None,
    raw: Annotated[bool, typer.Option("--raw", help=h("cli.opt.raw"))] = False,
    lang: LangOption = None,
    engine: Annotated[str, typer.Option("--engine", help=h("cli.opt.engine"))] = "duckdb",
    by: Annotated[str, typer.Option("--by", help=h("cli.opt.by"))] = "seat",
    db: DbOption = None,
    lake: Annotated[str | None, typer.Option("--lake", help=h("lake.help.lake_path"))] = None,
    lake_output: Annotated[
        str | None, typer.Option("--lake-output", help=h("lake.help.kpi_lake_output"))
    ] = None,
) -> None:
    from kefu.metrics.people import PersonKpis
    from kefu.metrics.reported import ChosenKpis
    from kefu.metrics.table import KpiSource
    from kefu.report import kpi_table

    lang = check_lang(lang)
    check_month(month)
    check_choice("--format", fmt, FORMATS)
    check_choice("--by", by, ("seat", "person"))
    if fmt == "xlsx" and output is None:
        say("output.needs_output", fmt="xlsx", example="kpi.xlsx")
    if output is not None:
        try:  # refuse a bad target before any work: the store, a folder, a missing folder
            check_target(output)
        except OutputError as e:
            fail(e.message(lang))
    check_choice("--engine", engine, ("duckdb", "spark"))
    output_kpis = None
    store: Any  # a store, a lake read as one, or None (the job's output without --lake)
    if lake_output is not None:  # the Spark job's output tables (docs/lake.md)
        output_kpis, shop_id = open_output(lake_output, shop, month, lang)
        if by == "person" and lake is None:
            say("lake.person_needs_lake", path=str(lake_output))
        store = open_lake(lake, lang) if lake is not None else None
    else:
        store = open_db(db, must_exist=True) if lake is None else open_lake(lake, lang)
        shop_id = resolve_shop(store, shop)
    if engine == "spark" and output_kpis is None:
        import importlib.util

        if importlib.util.find_spec("pyspark") is None:
            say("cli.err.no_spark")
    from kefu.report.fit import UnknownColumns, check_columns, parse_columns

    wanted = parse_columns(columns)
    if wanted is not None:
        try:
            check_columns(kpi_table.grid_columns(lang), wanted)
        except UnknownColumns as e:
            fail(
                t(
                    "table.unknown_columns",
                    lang,
                    unknown=", ".join(e.unknown),
                    known=",".join(e.known),
                )
            )
    source: KpiSource
    if output_kpis is not None:
        source = output_kpis
        if by == "person":  # the lake's persons, the job's figures (split seats included)
            source = PersonKpis(store, output_kpis, splits=output_kpis.split_months)
    else:
        source = ChosenKpis(store, engine=engine)
        if by == "person":  # each person's seats summed, a seat that changed hands split by date
            source = PersonKpis(store, source, engine=engine)
    sm = source.shop_months(shop_id, [month])[month]
    if output_kpis is None and (
        not sm.agents and sm.paid_orders == 0 and sm.unattributable_orders == 0
    ):
        fail(no_data(store, shop_id, month, lang))
    whole = sm
    if agent is not None:
        from dataclasses import replace

        chosen = resolve_agent([(a.agent_id, a.name) for a in sm.agents], agent, lang)
        sm = replace(sm, agents=[a for a in sm.agents if a.agent_id == chosen])
    if fmt == "table" and output is None:
        kpi_table.print_to(
            console, sm, lang, columns=wanted, wide=wide or piped(console), team=whole
        )
        return
    text = ""
    if fmt == "json":
        payload = sm.to_json()
        # the team is every presale agent, filtered or not
        payload["team"] = whole.to_json()["team"]
        text = json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default) + "\n"
    elif fmt == "csv":
        text = kpi_table.to_csv(sm, lang, raw)
    elif fmt == "table":
        from rich.console import Console

        cap = Console(record=True, width=PIPED_WIDTH)
        kpi_table.print_to(cap, sm, lang, columns=wanted, wide=True, team=whole)
        text = cap.export_text()
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        if fmt == "xlsx":
            kpi_table.to_xlsx(sm, output, lang)
        else:  # a csv for people starts with a byte-order mark, so Excel and WPS read UTF-8
            write_text(output, text, bom=fmt == "csv" and not raw)
    except OutputError as e:
        fail(e.message(lang))
    console.print(Text(t("output.wrote", lang, path=visible(str(output)))))


def open_output(path: str | Path, shop: str | None, month: str, lang: str) -> tuple[Any, str]:
    """The lake job's output at `path` (kefu.lake.output) and the shop asked for, whose
    `month` the job computed; else one sentence."""
    from kefu.lake.export import LakeError
    from kefu.lake.output import OutputKpis

    try:
        source = OutputKpis(path)
    except LakeError as e:
        fail(e.text(lang))
    shops = source.shops()
    if shop is None and len(shops) == 1:
        shop = shops[0]
    if shop is None or shop not in shops:
        say("lake.output_shop", path=str(path), shops=", ".join(shops[:20]))
    if month not in source.months(shop):
        say("lake.output_month", path=str(path), shop=shop, month=month)
    return source, shop


def open_lake(path: str | Path, lang: str) -> Any:
    """The lake at `path` read as a store (kefu.lake.source), or one sentence."""
    from kefu.lake.export import LakeError
    from kefu.lake.source import LakeStore

    try:
        return LakeStore(path)
    except LakeError as e:
        fail(e.text(lang))


def explain_order_cmd(
    order_id: Annotated[str, typer.Argument(help=h("cli.arg.order_id"))],
    shop: ShopOption = None,
    lang: LangOption = None,
    as_json: Annotated[bool, typer.Option("--json", help=h("cli.opt.json"))] = False,
    db: DbOption = None,
) -> None:
    from kefu.metrics.explain import OrderNotFound, explain_order

    lang = check_lang(lang)
    store = open_db(db, must_exist=True)
    shop_id = resolve_shop(store, shop)
    try:
        ex = explain_order(store, shop_id, order_id)
    except OrderNotFound:
        say("cli.err.order_not_found", order=order_id, shop=shop_id)
    if as_json:
        payload = {
            "shop_id": ex.shop_id,
            "order_id": ex.order_id,
            "outcome": ex.outcome,
            "reason": ex.text(lang),
            "facts": ex.facts,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default))
    else:
        typer.echo(visible(f"{order_id}: {ex.text(lang)}"))


def settings_cmd(
    name: Annotated[str | None, typer.Argument(help=h("cli.arg.setting"))] = None,
    value: Annotated[str | None, typer.Argument(help=h("cli.arg.value"))] = None,
    unset: Annotated[bool, typer.Option("--unset", help=h("cli.opt.unset"))] = False,
    shop: ShopOption = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    from rich.table import Table

    from kefu.diagnosis.settings import known_settings, setting_areas

    areas = setting_areas()
    known = known_settings()
    lang = check_lang(lang)
    store = open_db(db, must_exist=True)
    shop_id = resolve_shop(store, shop, new_ok=True)
    if name == "preset":  # kefu settings preset NAME: a platform's rules (docs/reports.md)
        _apply_preset(store, shop_id, value, lang)
        return
    if name is not None and name not in known:
        say("cli.err.unknown_setting", name=name, known=", ".join(known))
    if name is not None and (value is not None or unset):
        if unset:
            store.set_setting(shop_id, name, None)
            console.print(shown(t("cli.settings.unset", lang, name=name)), highlight=False)
            return
        prefix, module = known[name]
        try:
            module.parse_value(name.removeprefix(prefix), value)
        except ValueError as e:
            say("cli.err.setting_value", name=name, error=e)
        store.set_setting(shop_id, name, value)
        console.print(shown(t("cli.settings.set", lang, name=name, value=value)), highlight=False)
        return
    current = store.settings(shop_id)
    table = Table(title=t("cli.settings.title", lang, shop=shop_id))
    for col in ("setting", "value", "default", "help"):
        table.add_column(t(f"cli.col.{col}", lang))
    unset_marker = t("cli.settings.default_marker", lang)
    for prefix, module in areas:
        for s in module.REGISTRY:
            key = prefix + s.name
            if name is None or key == name:
                d = ",".join(s.default) if isinstance(s.default, tuple) else s.default
                help_text = s.help(lang)
                table.add_row(key, shown(current.get(key, unset_marker)), shown(str(d)), help_text)
    console.print(table)


def _apply_preset(store: Any, shop_id: str, preset: str | None, lang: str) -> None:
    from kefu import i18n
    from kefu.metrics.settings import PRESET_BY_NAME

    if preset not in PRESET_BY_NAME:
        fail(
            i18n.t(
                "reports.preset_unknown", lang, name=preset or "", known=", ".join(PRESET_BY_NAME)
            )
        )
    p = PRESET_BY_NAME[preset]
    for key, v in p.values.items():
        store.set_setting(shop_id, key, str(v))
        console.print(shown(f"{key} = {v}"), highlight=False)
    console.print(
        i18n.t("reports.preset_set", lang, name=p.name, source=p.source(lang)), highlight=False
    )
    if p.uncovered(lang):
        console.print(
            i18n.t("reports.preset_uncovered", lang, what=p.uncovered(lang)), highlight=False
        )


def register(app: typer.Typer) -> None:
    """Add kpi, explain and settings to the kefu app."""
    app.command("kpi", help=h("cli.kpi.help"))(kpi)
    explain = typer.Typer(help=h("cli.explain.help"), no_args_is_help=True)
    explain.command("order", help=h("cli.explain.order_help"))(explain_order_cmd)
    app.add_typer(explain, name="explain")
    app.command("settings", help=h("cli.settings.help"))(settings_cmd)
