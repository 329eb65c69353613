"""The HTML report: one self-contained file, charts drawn by the ECharts bundled in the package.

Nothing is loaded from the network: the ECharts script is inlined, the chart options are an
inline JSON block, and the styles are in the page.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from pathlib import Path
from string import Template

from kefu import __version__
from kefu.diagnosis.shop import ShopDiagnosis
from kefu.report.content import COLOURS, Cell, Chart, Report, Section, Table, build
from kefu.report.words import w

ECHARTS = "echarts.common.min.js"
FOLD_ROWS = 20  # longer tables start folded
NUMERIC = ("int", "pct", "yuan", "num0", "num1", "num2")


def echarts_source() -> str:
    return resources.files("kefu.report").joinpath(f"assets/{ECHARTS}").read_text(encoding="utf-8")


def _template() -> Template:
    text = (
        resources.files("kefu.report").joinpath("templates/report.html").read_text(encoding="utf-8")
    )
    return Template(text)


def render_html(d: ShopDiagnosis, lang: str = "zh") -> str:
    return render_report(build(d, lang))


def write_html(d: ShopDiagnosis, path: str | Path, lang: str = "zh") -> Path:
    out = Path(path)
    out.write_text(render_html(d, lang), encoding="utf-8")
    return out


def render_report(report: Report) -> str:
    charts: dict[str, object] = {}
    for sec in report.sections:
        for c in sec.charts:
            charts[c.id] = c.option
    tone_css = "\n  ".join(
        f".tone.v-{code} {{ color: {colour}; }}" for code, colour in COLOURS.items()
    )
    return _template().substitute(
        html_lang="en" if report.lang == "en" else "zh-CN",
        version=escape(__version__),
        title=escape(report.title),
        subtitle=escape(report.subtitle),
        tone_css=tone_css,
        nav=" ".join(f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in report.sections),
        notes="\n".join(f'<p class="note">{escape(n)}</p>' for n in report.notes),
        sections="\n".join(_section(s, report.lang) for s in report.sections),
        footer=escape(w("echarts_note", report.lang)),
        echarts=echarts_source(),
        charts=_json_for_script(charts),
    )


def _json_for_script(value: object) -> str:
    """JSON that cannot close the <script> element it sits in."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _section(s: Section, lang: str) -> str:
    parts = [f'<section id="{escape(s.key)}">', f"<h2>{escape(s.title)}</h2>"]
    parts += [f"<p>{escape(p)}</p>" for p in s.paragraphs]
    if s.charts:
        charts = "\n".join(_chart(c) for c in s.charts)
        parts.append(f'<div class="grid">{charts}</div>' if s.small_charts else charts)
    parts += [_table(t, lang) for t in s.tables]
    parts.append("</section>")
    return "\n".join(parts)


def _chart(c: Chart) -> str:
    return (
        f'<div><div class="chart-title">{escape(c.title)}</div>'
        f'<div class="chart" id="{escape(c.id)}" style="height:{c.height}px"></div></div>'
    )


def _table(t: Table, lang: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in t.headers)
    body = "\n".join("<tr>" + "".join(_cell(c, lang) for c in row) + "</tr>" for row in t.rows)
    caption = f"<caption>{escape(t.title)}</caption>" if t.title else ""
    table = f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if len(t.rows) > FOLD_ROWS:
        summary = w("rows", lang, n=len(t.rows), title=t.title or "")
        return f'<details class="scroll"><summary>{escape(summary)}</summary>{table}</details>'
    return f'<div class="scroll">{table}</div>'


def _cell(c: Cell, lang: str) -> str:
    classes = []
    if c.fmt in NUMERIC:
        classes.append("num")
    if c.tone:
        classes += ["tone", f"v-{c.tone}"]
    if c.fmt == "text" and isinstance(c.value, str) and len(c.value) > 40:
        classes.append("long")
    cls = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{cls}>{escape(c.text(lang))}</td>"
