"""Report sections for a platform's agent report: where a month's figures come from, and the
reconciliation of kefu's figures with the report's (docs/reports.md)."""

from __future__ import annotations

from fractions import Fraction

from kefu import i18n
from kefu.metrics.fields import RATE_BY_NAME
from kefu.metrics.reconcile import Difference, Reconciliation
from kefu.metrics.reported import RULE_KEYS, field_label, source_lines
from kefu.metrics.table import ShopMonth
from kefu.report.content import Cell, Section, Table


def show(name: str, v: Fraction | None) -> str:
    """A figure as people read it: rates in %, money in yuan, seconds and counts as numbers."""
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


def show_difference(name: str, d: Fraction | None) -> str:
    if d is None:
        return "—"
    return ("+" if d > 0 else "−" if d < 0 else "") + show(name, abs(d))


def verdict(r: Difference, lang: str) -> str:
    return i18n.t("reports.reconcile.agrees" if r.agrees else "reports.reconcile.differs", lang)


def cause(r: Difference, lang: str) -> str:
    """The likely cause of a difference: the preset that explains it, and the orders involved."""
    if r.agrees:
        return ""
    if r.preset is None:
        return i18n.t("reports.reconcile.no_preset", lang)
    text = i18n.t(
        "reports.reconcile.preset_explains"
        if r.preset_agrees
        else "reports.reconcile.preset_closest",
        lang,
        preset=r.preset,
        value=show(r.field, r.preset_value),
    )
    if r.orders_gained or r.orders_lost:
        text += "; " + i18n.t(
            "reports.reconcile.orders",
            lang,
            gained=", ".join(r.orders_gained) or "—",
            lost=", ".join(r.orders_lost) or "—",
        )
    return text


def title(rec: Reconciliation, lang: str) -> str:
    src = rec.source
    rule = src.get("credit_rule")
    return i18n.t(
        "reports.reconcile.title",
        lang,
        shop=rec.shop_id,
        month=rec.month,
        label=src["label_zh" if lang == "zh" else "label_en"],
        rule=i18n.t(RULE_KEYS[rule], lang)
        if rule in RULE_KEYS
        else i18n.t("reports.rule.unknown", lang),
        ours=i18n.t(RULE_KEYS[rec.settings["attribution_rule"]], lang),
    )


COLUMNS = ("agent", "field", "kefu", "report", "difference", "verdict", "cause")


def rows(rec: Reconciliation, lang: str) -> list[list[str]]:
    return [
        [
            r.agent_id,
            field_label(r.field, lang),
            show(r.field, r.kefu),
            show(r.field, r.report),
            show_difference(r.field, r.difference),
            verdict(r, lang),
            cause(r, lang),
        ]
        for r in rec.rows
    ]


def others(rec: Reconciliation, lang: str) -> list[str]:
    out = []
    for key, agents in (
        ("reports.reconcile.report_only", rec.report_only_agents),
        ("reports.reconcile.kefu_only", rec.kefu_only_agents),
    ):
        if agents:
            out.append(i18n.t(key, lang, agents=", ".join(agents)))
    return out


def reconcile_section(rec: Reconciliation, lang: str) -> Section:
    """The reconciliation as a report section (HTML and xlsx)."""
    table = Table(
        headers=[i18n.t(f"reports.reconcile.col.{c}", lang) for c in COLUMNS],
        rows=[[Cell(c) for c in row] for row in rows(rec, lang)],
    )
    return Section(
        key="reconcile",
        title=i18n.t("reports.reconcile.section", lang),
        sheet=i18n.t("reports.reconcile.sheet", lang),
        paragraphs=[title(rec, lang), *others(rec, lang)],
        tables=[table],
    )


def source_section(sm: ShopMonth, lang: str) -> Section:
    """Where a month read from a platform's report comes from, and what it cannot give."""
    return Section(
        key="source",
        title=i18n.t("reports.source_section", lang),
        sheet=i18n.t("reports.source_sheet", lang),
        paragraphs=source_lines(sm, lang),
    )
