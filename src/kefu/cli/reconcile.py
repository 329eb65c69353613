"""CLI command: reconcile (kefu's figures beside a platform report's, with the likely cause)."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

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

FORMATS = ("table", "json")


def _show(name: str, v: Fraction | None) -> str:
    from kefu.metrics.fields import RATE_BY_NAME

    if v is None:
        return "—"
    rate = RATE_BY_NAME.get(name)
    if rate is not None and rate.kind == "fraction":
        return f"{float(v) * 100:.2f}%"
    if name.endswith("_fen"):
        return f"{float(v) / 100:,.2f}"
    if v.denominator == 1:
        return str(v.numerator)
    return f"{float(v):.2f}"


def _diff(name: str, d: Fraction | None) -> str:
    if d is None:
        return "—"
    text = _show(name, abs(d))
    return ("+" if d > 0 else "−" if d < 0 else "") + text


def reconcile_cmd(
    month: MonthOption,
    shop: ShopOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    tolerance: Annotated[
        str,
        typer.Option(
            "--tolerance",
            help="agreement: rates within this absolute difference, other figures within this share (default 0.01)",
        ),
    ] = "0.01",
    lang: LangOption = "zh",
    db: DbOption = None,
) -> None:
    """kefu's figures beside the platform report's for each agent: difference and likely cause."""
    from kefu import i18n
    from kefu.metrics.reconcile import reconcile
    from kefu.metrics.reported import RULE_KEYS, field_label

    check_month(month)
    check_lang(lang)
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    try:
        tol = Fraction(tolerance)
    except (ValueError, ZeroDivisionError):
        fail(i18n.t("reports.reconcile.bad_tolerance", lang, value=tolerance))
    if not 0 <= tol < 1:
        fail(i18n.t("reports.reconcile.bad_tolerance", lang, value=tolerance))
    store = open_db(db, must_exist=True)
    shop_id = resolve_shop(store, shop)
    rec = reconcile(store, shop_id, month, tol)
    if rec is None:
        fail(i18n.t("reports.reconcile.no_report", lang, shop=shop_id, month=month))
    if fmt == "json":
        typer.echo(json.dumps(rec.to_json(), ensure_ascii=False, indent=2))
        return
    src = rec.source
    rule = src.get("credit_rule")
    console.print(
        i18n.t(
            "reports.reconcile.title",
            lang,
            shop=shop_id,
            month=month,
            label=src["label_zh" if lang == "zh" else "label_en"],
            rule=i18n.t(RULE_KEYS[rule], lang)
            if rule in RULE_KEYS
            else i18n.t("reports.rule.unknown", lang),
            ours=i18n.t(RULE_KEYS[rec.settings["attribution_rule"]], lang),
        ),
        highlight=False,
    )
    table = Table()
    for key in ("agent", "field", "kefu", "report", "difference", "verdict", "cause"):
        table.add_column(i18n.t(f"reports.reconcile.col.{key}", lang))
    for r in rec.rows:
        if r.agrees:
            verdict, cause = i18n.t("reports.reconcile.agrees", lang), ""
        else:
            verdict = i18n.t("reports.reconcile.differs", lang)
            if r.preset is None:
                cause = i18n.t("reports.reconcile.no_preset", lang)
            else:
                cause = i18n.t(
                    "reports.reconcile.preset_explains"
                    if r.preset_agrees
                    else "reports.reconcile.preset_closest",
                    lang,
                    preset=r.preset,
                    value=_show(r.field, r.preset_value),
                )
                if r.orders_gained or r.orders_lost:
                    cause += " " + i18n.t(
                        "reports.reconcile.orders",
                        lang,
                        gained=", ".join(r.orders_gained) or "—",
                        lost=", ".join(r.orders_lost) or "—",
                    )
        table.add_row(
            Text(r.agent_id),
            field_label(r.field, lang),
            _show(r.field, r.kefu),
            _show(r.field, r.report),
            _diff(r.field, r.difference),
            verdict,
            Text(cause),
        )
    console.print(table)
    for key, agents in (
        ("reports.reconcile.report_only", rec.report_only_agents),
        ("reports.reconcile.kefu_only", rec.kefu_only_agents),
    ):
        if agents:
            console.print(Text(i18n.t(key, lang, agents=", ".join(agents))))


def register(app: typer.Typer) -> None:
    """Add reconcile to the kefu app."""
    app.command("reconcile")(reconcile_cmd)
