"""What a report says, independent of its file format: sections of text, tables and charts.

The HTML and the xlsx report render the same sections, so both carry the same content: one
section per part (summary, quadrants, causes, screening, trends, question 1, question 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from kefu import __version__, i18n
from kefu.diagnosis.cause import Cause
from kefu.diagnosis.figures import money
from kefu.diagnosis.narrative import (
    cause_text,
    flag_text,
    pair_text,
    stability_text,
    team_text,
    verdict_label,
)
from kefu.diagnosis.pairs import Pair
from kefu.diagnosis.quadrant import VERDICTS, Verdict
from kefu.diagnosis.settings import REGISTRY
from kefu.diagnosis.shop import ShopDiagnosis
from kefu.metrics.fields import round_half_up

if TYPE_CHECKING:
    from kefu.voice.month import VoiceMonth

Fmt = Literal["text", "int", "pct", "yuan", "num0", "num1", "num2", "bool"]

COLOURS: dict[str, str] = {
    "both_high": "#2e7d32",
    "high_conv_low_spend": "#1565c0",
    "low_conv_high_spend": "#ef6c00",
    "both_low": "#c62828",
    "borderline": "#8d6e63",
    "insufficient_data": "#b0bec5",
}


@dataclass(frozen=True)
class Cell:
    value: str | int | float | None
    fmt: Fmt = "text"
    tone: str | None = None  # a verdict code, to colour the cell

    def text(self, lang: str) -> str:
        v = self.value
        if v is None:
            return "—"
        if self.fmt == "pct":
            return f"{float(v) * 100:.1f}%"
        if self.fmt == "yuan":
            fen = round_half_up(Fraction(v))
            sign = "-" if fen < 0 else ""
            q, r = divmod(abs(fen), 100)
            return f"{sign}{q:,}.{r:02d}"
        if self.fmt in ("num0", "num1", "num2"):
            return f"{float(v):.{int(self.fmt[-1])}f}"
        if self.fmt == "bool":
            return i18n.t("report.yes" if v else "report.no", lang)
        if self.fmt == "int":
            return f"{int(v):,}"
        return str(v)


Row = list[Cell]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[Row]
    title: str | None = None


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    option: dict[str, Any]
    height: int = 320


@dataclass
class Section:
    key: str
    title: str
    sheet: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    small_charts: bool = False  # laid out as small multiples


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    lang: str
    notes: list[str]
    sections: list[Section]


def _t(v: str | None, tone: str | None = None) -> Cell:
    return Cell(v, "text", tone)


def _verdict(v: Verdict | None, lang: str) -> Cell:
    """A verdict's words, coloured by it; thin data gets only its figures and no colour."""
    if v is None:
        return Cell(None)
    return _t(verdict_label(v, lang), v.verdict if v.decided else None)


def _pct(x: Fraction | float | None) -> Cell:
    return Cell(None if x is None else float(x), "pct")


def _yuan(fen: Fraction | float | int | None) -> Cell:
    """A money cell; the value stays in fen, shown as yuan."""
    return Cell(None if fen is None else float(fen) if not isinstance(fen, int) else fen, "yuan")


def _n(x: Fraction | float | int | None, fmt: Fmt = "num2") -> Cell:
    return Cell(None if x is None else float(x) if fmt != "int" else int(x), fmt)


def _interval(lo: float | None, hi: float | None, pct: bool) -> Cell:
    if lo is None or hi is None:
        return Cell(None)
    if pct:
        return Cell(f"{lo * 100:.1f}% – {hi * 100:.1f}%")
    return Cell(f"{_yuan(lo).text('zh')} – {_yuan(hi).text('zh')}")


def build(d: ShopDiagnosis, lang: str = "zh") -> Report:
    notes = []
    if d.provisional:
        notes.append(i18n.t("report.provisional", lang))
    return Report(
        title=i18n.t("report.title", lang),
        subtitle=f"{i18n.t('report.shop', lang)} {d.shop_id} · {i18n.t('report.month', lang)} {d.month}",
        lang=lang,
        notes=notes,
        sections=[
            summary(d, lang),
            quadrants(d, lang),
            causes(d, lang),
            flags(d, lang),
            trends(d, lang),
            pairs(d, lang),
            stability(d, lang),
            settings(d, lang),
        ],
    )


# -- summary and team rule ----------------------------------------------------------------------
def summary(d: ShopDiagnosis, lang: str) -> Section:
    s = d.summary
    sec = Section(
        "summary", i18n.t("report.sec.summary", lang), i18n.t("report.sheet.summary", lang)
    )
    sec.paragraphs.append(reference_note(d, lang))
    sec.paragraphs.append(
        i18n.t(
            "report.labelled",
            lang,
            label=i18n.t("report.team_rule", lang),
            text=team_text(d.team, lang),
        )
    )
    sec.tables.append(
        Table(
            [i18n.t("report.col.item", lang), i18n.t("report.col.figure", lang)],
            [
                [_t(i18n.t("report.sum.presale_agents", lang)), _n(s.presale_agents, "int")],
                [_t(i18n.t("report.sum.inquiring", lang)), _n(s.inquiring_buyers, "int")],
                [_t(i18n.t("report.sum.conversion", lang)), _pct(s.conversion)],
                [_t(i18n.t("report.sum.spend", lang)), _yuan(s.avg_spend)],
                [_t(i18n.t("report.sum.net_sales", lang)), _yuan(s.net_sales_fen)],
                [_t(i18n.t("report.sum.shop_net", lang)), _yuan(s.paid_net_sales_fen)],
                [_t(i18n.t("report.sum.silent", lang)), _pct(s.silent_share)],
            ],
        )
    )
    trend = d.team.trend
    ref = d.team.reference
    series: list[dict[str, Any]] = [
        {
            "name": i18n.t("report.series.team_conversion", lang),
            "type": "line",
            "data": [_pc(p.conversion) for p in trend],
            "connectNulls": False,
        },
        {
            "name": i18n.t("report.series.silent_share", lang),
            "type": "line",
            "data": [_pc(p.silent_share) for p in trend],
            "lineStyle": {"type": "dashed"},
        },
        {
            "name": i18n.t("report.series.team_spend", lang),
            "type": "bar",
            "yAxisIndex": 1,
            "data": [_yu(p.avg_spend) for p in trend],
            "itemStyle": {"opacity": 0.35},
        },
    ]
    if ref is not None and ref.conversion is not None:
        series[0]["markLine"] = {
            "symbol": "none",
            "label": {"formatter": i18n.t("report.series.reference", lang)},
            "lineStyle": {"type": "dotted", "color": "#c62828"},
            "data": [{"yAxis": _pc(ref.conversion)}],
        }
    sec.charts.append(
        Chart(
            "chart-team",
            i18n.t("report.chart.team", lang),
            {
                "tooltip": {"trigger": "axis"},
                "legend": {"top": 0},
                "grid": {"left": 50, "right": 60, "top": 40, "bottom": 30},
                "xAxis": {"type": "category", "data": [p.month for p in trend]},
                "yAxis": [
                    {"type": "value", "axisLabel": {"formatter": "{value}%"}},
                    {
                        "type": "value",
                        "axisLabel": {"formatter": "{value}"},
                        "name": i18n.t("report.axis.yuan", lang),
                    },
                ],
                "series": series,
            },
        )
    )
    window = d.team.window
    if window:
        sec.tables.append(
            Table(
                [i18n.t("report.month", lang),
                 i18n.t("report.col.with_verdict", lang), i18n.t("report.col.low", lang), i18n.t("report.col.low_share", lang),
                 i18n.t("report.col.met", lang)],
                [
                    [_t(m.month), _n(len(m.with_verdict), "int"), _n(len(m.low), "int"),
                     _pct(m.share), Cell(m.met, "bool")]
                    for m in window
                ],
                title=i18n.t("report.team_rule", lang),
            )
        )  # fmt: skip
    sec.tables.append(
        Table(
            [i18n.t("report.month", lang), i18n.t("report.col.presale_agents", lang), i18n.t("report.col.inquiring", lang),
             i18n.t("report.col.conversion", lang), i18n.t("report.col.spend", lang), i18n.t("report.col.team_net", lang),
             i18n.t("report.col.shop_net", lang), i18n.t("report.col.silent_share", lang)],
            [
                [_t(p.month), _n(p.presale_agents, "int"), _n(p.inquiring_buyers, "int"),
                 _pct(p.conversion), _yuan(p.avg_spend), _yuan(p.net_sales_fen),
                 _yuan(p.paid_net_sales_fen), _pct(p.silent_share)]
                for p in trend
            ],
        )
    )  # fmt: skip
    return sec


def reference_note(d: ShopDiagnosis, lang: str) -> str:
    ref = d.reference
    methods = {v.spend_interval.method for v in d.verdicts if v.spend_interval is not None}
    method = (
        i18n.t("report.method.sales_sq", lang)
        if methods == {"sales_sq"}
        else i18n.t("report.method.assumed_cv", lang, cv=f"{float(d.settings.spend_cv):.2f}")
    )
    note = i18n.t(
        "report.reference_note",
        lang,
        conv=_pct(ref.conversion).text(lang),
        conv_source=i18n.t(f"source.{ref.conversion_source}", lang, n=len(ref.months)),
        spend=_yuan(ref.avg_spend_fen).text(lang),
        spend_source=i18n.t(f"source.{ref.avg_spend_source}", lang, n=len(ref.months)),
        min=d.settings.min_inquiries,
        method=method,
    )
    mixed = [
        v.name
        for v in d.verdicts
        if "team_mix" in (v.reference.conversion_source, v.reference.avg_spend_source)
    ]
    if mixed:  # like with like: say so, and that the plain comparison is beside it
        note += " " + i18n.t("mix.note", lang, n=len(mixed), min=d.settings.min_stratum)
    return note


# -- quadrants ----------------------------------------------------------------------------------
def quadrants(d: ShopDiagnosis, lang: str) -> Section:
    sec = Section(
        "quadrant", i18n.t("report.sec.quadrant", lang), i18n.t("report.sheet.quadrant", lang)
    )
    ref = d.reference
    series: list[dict[str, Any]] = []
    # thin data is not placed among the quadrants at all (its position would read as a verdict)
    shown = [c for c in VERDICTS if c != "insufficient_data"]
    for code in shown:
        vs = [v for v in d.verdicts if v.verdict == code and v.avg_spend is not None]
        series.append(
            {
                "name": i18n.t(f"verdict.{code}", lang),
                "type": "scatter",
                "symbolSize": 14,
                "itemStyle": {"color": COLOURS[code]},
                "label": {"show": True, "position": "right", "formatter": "{b}"},
                "data": [
                    {
                        "name": v.name,
                        "value": [_yu(v.avg_spend), _pc(v.conversion)],
                        "tip": _tip(v, lang),
                    }
                    for v in vs
                ],
            }
        )
    marks = []
    if ref.avg_spend_fen is not None:
        marks.append({"xAxis": _yu(ref.avg_spend_fen)})
    if ref.conversion is not None:
        marks.append({"yAxis": _pc(ref.conversion)})
    series[0]["markLine"] = {
        "symbol": "none",
        "silent": True,
        "label": {"formatter": i18n.t("report.series.reference", lang)},
        "lineStyle": {"type": "dashed", "color": "#555"},
        "data": marks,
    }
    for v in d.verdicts:
        if v.verdict == "insufficient_data" or v.avg_spend is None:
            continue
        x, y = _yu(v.avg_spend), _pc(v.conversion)
        segs = []
        if v.conversion_interval is not None:
            segs.append([[x, _pc(v.conversion_interval.low)], [x, _pc(v.conversion_interval.high)]])
        if v.spend_interval is not None:
            segs.append([[_yu(v.spend_interval.low), y], [_yu(v.spend_interval.high), y]])
        for seg in segs:
            series.append(
                {
                    "name": i18n.t("report.series.interval", lang),
                    "type": "line",
                    "silent": True,
                    "symbol": "none",
                    "lineStyle": {"color": COLOURS[v.verdict], "width": 1.5, "opacity": 0.6},
                    "data": seg,
                }
            )
    sec.charts.append(
        Chart(
            "chart-quadrant",
            i18n.t("report.chart.scatter", lang),
            {
                "tooltip": {"trigger": "item"},
                "legend": {"top": 0, "data": [i18n.t(f"verdict.{c}", lang) for c in shown]},
                "grid": {"left": 60, "right": 40, "top": 60, "bottom": 50},
                "xAxis": {"type": "value", "name": i18n.t("report.col.spend", lang), "nameLocation": "middle",
                          "nameGap": 28, "scale": True},
                "yAxis": {"type": "value", "name": i18n.t("report.col.conversion", lang),
                          "axisLabel": {"formatter": "{value}%"}, "scale": True},
                "series": series,
            },
            height=460,
        )
    )  # fmt: skip
    rows = []
    for v in d.verdicts:
        _, text = d.remedy(v, lang)
        ci, si = v.conversion_interval, v.spend_interval
        rows.append(
            [
                _t(v.name),
                _verdict(v, lang),
                _t(text),
                _n(v.inquiring_buyers, "int"),
                _n(v.paying_buyers, "int"),
                _pct(v.conversion),
                _interval(ci.low if ci else None, ci.high if ci else None, pct=True),
                _pct(v.reference.conversion),
                _yuan(v.avg_spend),
                _interval(si.low if si else None, si.high if si else None, pct=False),
                _yuan(v.reference.avg_spend_fen),
                _n(v.items_per_buyer),
                _n(v.reference.items_per_buyer),
                _yuan(v.net_sales_fen),
                _t(i18n.t(f"verdict.{v.leaning}", lang) if v.leaning else None),
            ]
        )
    sec.tables.append(
        Table(
            [i18n.t(f"report.col.{k}", lang) for k in (
                "agent", "verdict", "remedy", "inquiring", "paying", "conversion", "conversion_ci",
                "conversion_ref", "spend", "spend_ci", "spend_ref", "ipb", "ipb_ref", "net_sales",
                "leaning")],
            rows,
        )
    )  # fmt: skip
    return sec


def _tip(v: Verdict, lang: str) -> str:
    """A point's tooltip as plain text, lines split by \\n: the page shows it as text, never HTML."""
    conv = _pct(v.conversion).text(lang)
    spend = _yuan(v.avg_spend).text(lang)
    return (
        f"{v.name}: {i18n.t(f'verdict.{v.verdict}', lang)}\n"
        f"{i18n.t('report.col.conversion', lang)} {conv} · {i18n.t('report.col.spend', lang)} {spend} · "
        f"{i18n.t('report.col.inquiring', lang)} {v.inquiring_buyers}"
    )


# -- causes ---------------------------------------------------------------------------------------
def causes(d: ShopDiagnosis, lang: str) -> Section:
    sec = Section(
        "causes",
        i18n.t("report.sec.causes", lang),
        i18n.t("report.sheet.causes", lang),
        small_charts=True,
    )
    if not d.causes:
        sec.paragraphs.append(i18n.t("report.no_causes", lang))
        return sec
    for i, c in enumerate(d.causes):
        sec.paragraphs.append(
            i18n.t(
                "report.cause_line",
                lang,
                name=c.name,
                verdict=i18n.t(f"verdict.{c.verdict}", lang),
                text=cause_text(c, lang),
            )
        )
        sec.tables.append(cause_table(c, lang))
        if c.hour_share is not None and c.peers_hour_share is not None:
            sec.charts.append(hours_chart(f"chart-hours-{i}", c, lang))
    return sec


def cause_table(c: Cause, lang: str) -> Table:
    rows = [
        [
            _t(i18n.t(f"diagnosis.label.{i.name}", lang)),
            _t(i18n.t(f"factor.{i.factor}", lang)),
            _n(i.agent),
            _n(i.peers),
            _n(i.ratio),
            Cell(i.worse, "bool") if i.worse is not None else Cell(None),
        ]
        for i in c.indicators
    ]  # fmt: skip
    rows.insert(0, [_t(i18n.t("report.col.conversion", lang)), _t(None), _pct(c.conversion),
                    _pct(c.peers_conversion), _t(None), _t(None)])  # fmt: skip
    return Table(
        [
            i18n.t(f"report.col.{k}", lang)
            for k in ("indicator", "factor", "value", "peers", "ratio", "worse")
        ],
        rows,
        title=c.name,
    )


def hours_chart(chart_id: str, c: Cause, lang: str) -> Chart:
    assert c.hour_share is not None and c.peers_hour_share is not None
    return Chart(
        chart_id,
        i18n.t("report.chart.hours", lang, name=c.name),
        {
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 0},
            "grid": {"left": 45, "right": 20, "top": 35, "bottom": 25},
            "xAxis": {"type": "category", "data": [str(h) for h in range(24)]},
            "yAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"}},
            "series": [
                {"name": i18n.t("report.series.agent", lang), "type": "bar",
                 "data": [round(x * 100, 2) for x in c.hour_share]},
                {"name": i18n.t("report.series.peers", lang), "type": "bar",
                 "data": [round(x * 100, 2) for x in c.peers_hour_share]},
            ],
        },
        height=240,
    )  # fmt: skip


# -- screening ------------------------------------------------------------------------------------
def flags(d: ShopDiagnosis, lang: str) -> Section:
    workload = any(f.kind == "workload_review" for f in d.flags)
    title = (
        i18n.t("fair.sec.flags_workload", lang) if workload else i18n.t("report.sec.flags", lang)
    )
    sec = Section("flags", title, i18n.t("report.sheet.flags", lang))
    if not d.flags:
        sec.paragraphs.append(i18n.t("report.no_flags", lang))
        return sec
    for f in d.flags:
        sec.paragraphs.append(
            i18n.t("report.labelled", lang, label=f.name, text=flag_text(f, lang))
        )
        rows = []
        for month, v in f.history:
            rows.append(
                [
                    _t(month),
                    _verdict(v, lang),
                    _n(v.inquiring_buyers if v else None, "int"),
                    _pct(v.conversion if v else None),
                    _pct(v.reference.conversion if v else None),
                    _yuan(v.avg_spend if v else None),
                    _yuan(v.reference.avg_spend_fen if v else None),
                    Cell(month in f.streak.months, "bool"),
                ]
            )
        sec.tables.append(
            Table(
                [i18n.t(f"report.col.{k}", lang) if k != "month" else i18n.t("report.month", lang) for k in (
                    "month", "verdict", "inquiring", "conversion", "conversion_ref", "spend",
                    "spend_ref", "counted")],
                rows,
                title=f.name,
            )
        )  # fmt: skip
    return sec


# -- trends ---------------------------------------------------------------------------------------
def trends(d: ShopDiagnosis, lang: str) -> Section:
    sec = Section(
        "trends",
        i18n.t("report.sec.trends", lang),
        i18n.t("report.sheet.trends", lang),
        small_charts=True,
    )
    rows: list[Row] = []
    for i, (agent_id, history) in enumerate(d.histories.items()):
        name = history[-1][1].name if history[-1][1] else agent_id
        months = [m for m, _ in history]
        conv, team_conv, spend, team_spend = [], [], [], []
        for m, v in history:
            thin = v is None or v.verdict == "insufficient_data"
            point = None if v is None else _pc(v.conversion)
            conv.append(
                {"value": point, "symbol": "emptyCircle" if thin else "circle",
                 "itemStyle": {"color": COLOURS[v.verdict] if v else "#b0bec5"}}
            )  # fmt: skip
            team_conv.append(None if v is None else _pc(v.reference.conversion))
            spend.append(None if v is None else _yu(v.avg_spend))
            team_spend.append(None if v is None else _yu(v.reference.avg_spend_fen))
            if v is not None:
                rows.append(
                    [_t(name), _t(m), _verdict(v, lang),
                     _n(v.inquiring_buyers, "int"), _pct(v.conversion), _pct(v.reference.conversion),
                     _yuan(v.avg_spend), _yuan(v.reference.avg_spend_fen), _yuan(v.net_sales_fen)]
                )  # fmt: skip
        sec.charts.append(
            Chart(
                f"chart-trend-{i}",
                name,
                {
                    "tooltip": {"trigger": "axis"},
                    "legend": {"top": 0, "textStyle": {"fontSize": 10}},
                    "grid": {"left": 45, "right": 50, "top": 30, "bottom": 25},
                    "xAxis": {"type": "category", "data": months},
                    "yAxis": [
                        {"type": "value", "axisLabel": {"formatter": "{value}%"}},
                        {"type": "value", "name": i18n.t("report.axis.yuan", lang)},
                    ],
                    "series": [
                        {"name": i18n.t("report.series.agent_conversion", lang), "type": "line", "data": conv},
                        {"name": i18n.t("report.series.team_conversion", lang), "type": "line",
                         "data": team_conv, "symbol": "none", "lineStyle": {"type": "dashed"}},
                        {"name": i18n.t("report.series.agent_spend", lang), "type": "bar", "yAxisIndex": 1,
                         "data": spend, "itemStyle": {"opacity": 0.35}},
                        {"name": i18n.t("report.series.team_spend", lang), "type": "line", "yAxisIndex": 1,
                         "data": team_spend, "symbol": "none",
                         "lineStyle": {"type": "dotted"}},
                    ],
                },
                height=240,
            )
        )  # fmt: skip
    sec.tables.append(
        Table(
            [i18n.t(f"report.col.{k}", lang) if k != "month" else i18n.t("report.month", lang) for k in (
                "agent", "month", "verdict", "inquiring", "conversion", "conversion_ref", "spend",
                "spend_ref", "net_sales")],
            rows,
        )
    )  # fmt: skip
    return sec


# -- question 1 -----------------------------------------------------------------------------------
def pairs(d: ShopDiagnosis, lang: str) -> Section:
    sec = Section("pairs", i18n.t("report.sec.pairs", lang), i18n.t("report.sheet.pairs", lang))
    if not d.pairs:
        sec.paragraphs.append(
            i18n.t("report.no_pairs", lang, ratio=f"{float(d.settings.pair_conversion_ratio):g}")
        )
        return sec
    for p in d.pairs:
        sec.paragraphs.append(pair_text(p, lang))
        rows = []
        for side in (p.strong, p.weak):
            rows.append(
                [_t(side.name), _n(side.inquiring_buyers, "int"), _pct(side.conversion),
                 _yuan(side.avg_spend), _yuan(side.sales_fen), _yuan(side.refund_fen),
                 _yuan(side.net_sales_fen), _n(side.daily_inquiries, "num1"),
                 _n(side.peak_day_inquiries, "int") if side.peak_day_inquiries is not None else Cell(None)]
            )  # fmt: skip
        sec.tables.append(
            Table(
                [i18n.t(f"report.col.{k}", lang) for k in ("agent", "inquiring", "conversion", "spend", "sales",
                                               "refund", "net_sales", "daily", "peak")],
                rows,
                title=f"{p.strong.name} / {p.weak.name}",
            )
        )  # fmt: skip
        sec.tables.append(rerouting_table(p, lang))
    return sec


# -- question 2 -----------------------------------------------------------------------------------
def stability(d: ShopDiagnosis, lang: str) -> Section:
    sec = Section(
        "stability", i18n.t("report.sec.stability", lang), i18n.t("report.sheet.stability", lang)
    )
    months = sorted({m.month for s in d.stability for m in s.months})
    series = []
    for s in d.stability:
        if s.cls == "insufficient_data":
            continue
        by_month = {m.month: m for m in s.months}
        series.append(
            {
                "name": s.name,
                "type": "line",
                "connectNulls": True,
                "data": [
                    None if m not in by_month else {
                        "value": round(by_month[m].share * 100, 2),
                        "symbolSize": 12 if by_month[m].breaks else 5,
                        "itemStyle": {"color": "#c62828"} if by_month[m].breaks else {},
                    }
                    for m in months
                ],
            }
        )  # fmt: skip
    if series:
        sec.charts.append(
            Chart(
                "chart-stability",
                i18n.t("report.chart.share", lang),
                {
                    "tooltip": {"trigger": "axis"},
                    "legend": {"top": 0},
                    "grid": {"left": 50, "right": 20, "top": 40, "bottom": 30},
                    "xAxis": {"type": "category", "data": months},
                    "yAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"}},
                    "series": series,
                },
            )
        )
    sec.tables.append(
        Table(
            [i18n.t(f"report.col.{k}", lang) for k in ("agent", "class", "months_used", "correlation", "beta",
                                           "share_median", "share_cv", "unexplained", "breaking",
                                           "explanation")],
            [
                [_t(s.name), _t(i18n.t(f"class.{s.cls}", lang)), _n(len(s.months), "int"),
                 _n(s.correlation), _n(s.beta), _pct(s.share_median), _n(s.share_cv),
                 _pct(s.unexplained_cv),
                 _t(", ".join(m.month for m in s.months if m.breaks) or None),
                 _t(stability_text(s, lang, d.settings.stability_min_months))]
                for s in d.stability
            ],
        )
    )  # fmt: skip
    sec.tables.append(
        Table(
            [i18n.t(f"report.col.{k}", lang) if k != "month" else i18n.t("report.month", lang)
             for k in ("agent", "month", "net_sales", "shop_net", "share", "residual", "breaks")],
            [
                [_t(s.name), _t(m.month), _yuan(m.agent_net_sales_fen), _yuan(m.shop_net_sales_fen),
                 _pct(m.share), _pct(m.residual), Cell(m.breaks, "bool")]
                for s in d.stability
                for m in s.months
            ],
        )
    )  # fmt: skip
    return sec


def settings(d: ShopDiagnosis, lang: str) -> Section:
    sec = Section(
        "settings", i18n.t("report.sec.settings", lang), i18n.t("report.sec.settings", lang)
    )
    values = d.settings.to_json()
    sec.tables.append(
        Table(
            [i18n.t("report.col.setting", lang), i18n.t("report.col.figure", lang), i18n.t("report.col.default", lang), i18n.t("report.col.help", lang)],
            [
                [_t(f"diagnosis.{s.name}"), _t(_show(values[s.name])), _t(_show(s.default)),
                 _t(s.help(lang))]
                for s in REGISTRY
            ],
        )
    )  # fmt: skip
    sec.paragraphs.append(i18n.t("report.generated", lang, version=__version__))
    return sec


def _show(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, Fraction):
        v = float(v)
    return f"{v:g}" if isinstance(v, float) else str(v)


def _pc(x: Fraction | float | None) -> float | None:
    """A rate as a percentage for charts (two decimals)."""
    return None if x is None else round(float(x) * 100, 2)


def _yu(fen: Fraction | float | int | None) -> float | None:
    """Fen as yuan for charts."""
    return None if fen is None else round(float(fen) / 100, 2)


# -- the voice of the buyer (docs/voice.md) ------------------------------------------------------
def voice_section(v: VoiceMonth, lang: str) -> Section:
    """What buyers asked, what lost sales, what is new: masked examples, plain text cells."""
    from kefu.i18n import t
    from kefu.voice.digest import topic_name
    from kefu.voice.month import LAST_MESSAGES, MIN_LOST, PREVIOUS_MONTHS

    sec = Section("voice", t("voice.section", lang), t("voice.sheet", lang))
    if not v.products_known:
        sec.paragraphs.append(t("voice.no_products", lang))

    def col(key: str) -> str:
        return t(f"voice.col.{key}", lang)

    def first(examples: tuple[str, ...]) -> Cell:
        return _t(examples[0] if examples else None)

    sec.tables.append(
        Table(
            [col("topic"), col("messages"), col("buyers"), col("share"), col("example")],
            [
                [_t(topic_name(x.topic, lang)), _n(x.messages, "int"), _n(x.buyers, "int"),
                 _pct(x.share), first(v.topic_examples.get(x.topic, ()))]
                for x in v.topics
            ],
            t("voice.topics", lang),
        )
    )  # fmt: skip
    sec.paragraphs.append(
        t(
            "voice.inquiries",
            lang,
            total=v.lost_inquiries + v.converted_inquiries,
            converted=v.converted_inquiries,
            lost=v.lost_inquiries,
            last=LAST_MESSAGES,
        )
    )
    sec.paragraphs.append(t("voice.lift_note", lang, min=MIN_LOST))
    if v.provisional:
        sec.paragraphs.append(t("voice.provisional", lang))
    sec.tables.append(
        Table(
            [col("topic"), col("lost"), col("converted"), col("lift"), col("example")],
            [
                [_t(topic_name(x.topic, lang)), _n(x.lost, "int"), _n(x.converted, "int"),
                 _n(x.lift, "num2"), first(x.examples)]
                for x in v.lost_sales
            ],
            t("voice.lost", lang),
        )
    )  # fmt: skip
    sec.tables.append(
        Table(
            [col("agent"), col("topic"), col("lost"), col("converted"), col("lift")],
            [
                [_t(agent), _t(topic_name(x.topic, lang)), _n(x.lost, "int"),
                 _n(x.converted, "int"), _n(x.lift, "num2")]
                for agent, items in v.lost_by_agent.items()
                for x in items[:3]
            ],
            f"{t('voice.lost', lang)} · {col('agent')}",
        )
    )  # fmt: skip
    sec.tables.append(
        Table(
            [col("term"), col("topic"), col("messages"), col("previous"), col("z"), col("example")],
            [
                [_t(r.term), _t(topic_name(r.topic, lang) if r.topic else None),
                 _n(r.messages, "int"), _n(r.previous_messages, "int"), _n(r.z, "num1"),
                 first(r.examples)]
                for r in v.rising
            ],
            t("voice.rising", lang, n=PREVIOUS_MONTHS),
        )
    )  # fmt: skip
    if not v.rising:
        sec.paragraphs.append(t("voice.none_rising", lang))
    if v.products and v.product is None:
        from kefu.voice.digest import basis_line, product_name, shown_products

        sep = t("voice.digest.sep", lang)
        products, more = shown_products(v)
        sec.tables.append(
            Table(
                [col("product"), col("conversations"), col("messages"), col("top_topics"),
                 col("top_lost"), col("rising_terms")],
                [
                    [_t(product_name(p.product, p.title, lang)), _n(p.conversations, "int"),
                     _n(p.buyer_messages, "int"),
                     _t(sep.join([f"{topic_name(x.topic, lang)} {x.share * 100:.0f}%"
                                  for x in p.topics
                                  if x.topic != "other" and "." not in x.topic][:3])),
                     _t(sep.join(f"{topic_name(x.topic, lang)} ×{x.lift:.1f}"
                                 for x in p.lost_sales[:2])),
                     _t(sep.join(r.term for r in p.rising[:3]))]
                    for p in products
                ],
                t("voice.products", lang),
            )
        )  # fmt: skip
        sec.paragraphs.append(basis_line(v, lang))
        if more:
            sec.paragraphs.append(t("voice.digest.more_products", lang, n=more))
    return sec


def rerouting_table(p: Pair, lang: str) -> Table:
    """The pair's re-routing decision as a row: the same object the sentence is made of."""
    r = p.rerouting
    lo, hi = r.added_sales_interval_fen if r else (None, None)
    return Table(
        [i18n.t(f"report.col.{k}", lang) for k in ("strong", "weak", "z")]
        + [i18n.t("fair.col.decision", lang), i18n.t("fair.col.held_load", lang), i18n.t("report.col.k", lang),
           i18n.t("report.col.weights", lang), i18n.t("report.col.added", lang), i18n.t("fair.col.added_ci", lang),
           i18n.t("fair.col.refund_share", lang), i18n.t("report.col.added_net", lang)],
        [[
            _t(p.strong.name), _t(p.weak.name), _n(p.z),
            _t(i18n.t(f"fair.decision.{r.decision}", lang) if r else None),
            _n(r.held_load_per_day, "num1") if r else Cell(None),
            _n(r.k_per_day, "int") if r else Cell(None),
            _t(f"{r.weights_after[0]}% / {r.weights_after[1]}%" if r else None),
            _yuan(r.added_sales_fen) if r else Cell(None),
            _t(f"{money(lo)} – {money(hi)}" if r else None),
            _pct(r.refund_share) if r else Cell(None),
            _yuan(r.added_net_sales_fen) if r else Cell(None),
        ]],
    )  # fmt: skip
