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
    check_lang,
    check_month,
    console,
    fail,
    no_data,
    open_db,
    piped,
    resolve_agent,
    resolve_shop,
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
    fmt: Annotated[str, typer.Option("--format", help="table | json | csv | xlsx")] = "table",
    output: Annotated[Path | None, typer.Option("--output", help="write to this file")] = None,
    raw: Annotated[
        bool,
        typer.Option("--raw", help="csv for scripts: field keys, money in fen, no byte-order mark"),
    ] = False,
    lang: LangOption = "zh",
    engine: Annotated[str, typer.Option("--engine", help="duckdb (default) or spark")] = "duckdb",
    db: DbOption = None,
) -> None:
    """Each agent's KPIs for a month (metrics.md §3), with the team row and silent sales."""
    from kefu.metrics.engine import StoreKpis
    from kefu.report import kpi_table

    check_month(month)
    check_lang(lang)
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    if fmt == "xlsx" and output is None:
        fail(t("output.needs_output", lang, fmt="xlsx", example="kpi.xlsx"))
    if output is not None:
        try:  # refuse a bad target before any work: the store, a folder, a missing folder
            check_target(output)
        except OutputError as e:
            fail(e.message(lang))
    if engine not in ("duckdb", "spark"):
        fail(f"--engine must be duckdb or spark, not '{engine}'")
    store = open_db(db, must_exist=True)
    shop_id = resolve_shop(store, shop)
    if engine == "spark":
        import importlib.util

        if importlib.util.find_spec("pyspark") is None:
            fail("the Spark engine needs pyspark and Java 17: pip install 'kefu[spark]'")
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
    sm = StoreKpis(store, engine=engine).shop_months(shop_id, [month])[month]
    if not sm.agents and sm.paid_orders == 0 and sm.unattributable_orders == 0:
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


def explain_order_cmd(
    order_id: Annotated[str, typer.Argument(help="the order number (订单编号)")],
    shop: ShopOption = None,
    lang: LangOption = "zh",
    as_json: Annotated[bool, typer.Option("--json", help="print the facts as JSON")] = False,
    db: DbOption = None,
) -> None:
    """Which inquiry and agent an order was credited to, and why — or why it is silent."""
    from kefu.metrics.explain import OrderNotFound, explain_order

    check_lang(lang)
    store = open_db(db, must_exist=True)
    shop_id = resolve_shop(store, shop)
    try:
        ex = explain_order(store, shop_id, order_id)
    except OrderNotFound as e:
        fail(str(e))
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
    name: Annotated[str | None, typer.Argument(help="setting to show or change")] = None,
    value: Annotated[str | None, typer.Argument(help="new value")] = None,
    unset: Annotated[bool, typer.Option("--unset", help="back to the default")] = False,
    shop: ShopOption = None,
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """Show or change the shop's settings: metrics.md §4 and diagnosis.* thresholds."""
    from rich.table import Table

    from kefu.diagnosis import settings as diagnosis_settings
    from kefu.metrics import settings as metric_settings

    # every area's registry: metric settings bare, diagnosis ones as `diagnosis.NAME`
    areas: list[tuple[str, Any]] = [("", metric_settings), ("diagnosis.", diagnosis_settings)]
    known = {prefix + s.name: (prefix, module) for prefix, module in areas for s in module.REGISTRY}
    check_lang(lang)
    store = open_db(db, must_exist=True)
    shop_id = resolve_shop(store, shop)
    if name is not None and name not in known:
        fail(f"unknown setting '{name}'; known: {', '.join(known)}")
    if name is not None and (value is not None or unset):
        if unset:
            store.set_setting(shop_id, name, None)
            console.print(shown(f"{name}: back to default"))
            return
        prefix, module = known[name]
        try:
            module.parse_value(name.removeprefix(prefix), value)
        except ValueError as e:
            fail(f"{name}: {e}")
        store.set_setting(shop_id, name, value)
        console.print(shown(f"{name} = {value}"))
        return
    current = store.settings(shop_id)
    t = Table(title=f"{shop_id} settings")
    t.add_column("name")
    t.add_column("value")
    t.add_column("default")
    t.add_column("help")
    for prefix, module in areas:
        for s in module.REGISTRY:
            key = prefix + s.name
            if name is None or key == name:
                d = ",".join(s.default) if isinstance(s.default, tuple) else s.default
                help_text = s.help_en if lang == "en" else s.help_zh
                t.add_row(key, shown(current.get(key, "(default)")), shown(str(d)), help_text)
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add kpi, explain and settings to the kefu app."""
    app.command("kpi")(kpi)
    explain = typer.Typer(
        help="Explain a figure: why an order was credited or silent.", no_args_is_help=True
    )
    explain.command("order")(explain_order_cmd)
    app.add_typer(explain, name="explain")
    app.command("settings")(settings_cmd)
