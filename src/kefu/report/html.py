"""The HTML report: one self-contained file, charts drawn by the ECharts bundled in the package.

Nothing is loaded from the network: the ECharts script is inlined, the chart options are an
inline JSON block, and the styles are in the page. Data is inert: every value is escaped for
where it lands (text and attributes by `html.escape`, the chart options as JSON that cannot
close its <script>, tooltips built from text nodes by report.js), and a Content-Security-Policy
lets only the page's own two scripts (by their sha256) and its one style block run, with no
network, no inline event handler and no other script.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Sequence
from html import escape
from importlib import resources
from pathlib import Path
from string import Template

from kefu import __version__, i18n
from kefu.diagnosis.shop import ShopDiagnosis
from kefu.output import write_text
from kefu.report.content import COLOURS, Cell, Chart, Report, Section, Table, build

ECHARTS = "echarts.common.min.js"
FOLD_ROWS = 20  # longer tables start folded
NUMERIC = ("int", "pct", "yuan", "num0", "num1", "num2")


def echarts_source() -> str:
    return resources.files("kefu.report").joinpath(f"assets/{ECHARTS}").read_text(encoding="utf-8")


def _resource(name: str) -> str:
    return resources.files("kefu.report").joinpath(f"templates/{name}").read_text(encoding="utf-8")


def _template() -> Template:
    return Template(_resource("report.html"))


def csp_hash(text: str) -> str:
    """The CSP source that allows exactly this inline script or style block."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(scripts: list[str], styles: list[str]) -> str:
    """Nothing from anywhere, but the page's own scripts and styles, named by their hashes."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(csp_hash(s) for s in scripts),
            "style-src " + " ".join(csp_hash(s) for s in styles),
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def render_html(d: ShopDiagnosis, lang: str = "zh", extra: Sequence[Section] = ()) -> str:
    report = build(d, lang)
    report.sections.extend(extra)
    return render_report(report)


def write_html(
    d: ShopDiagnosis, path: str | Path, lang: str = "zh", extra: Sequence[Section] = ()
) -> Path:
    """Write the page through kefu's one writer (kefu.output): whole or not at all."""
    return write_text(path, render_html(d, lang, extra))


def render_report(report: Report) -> str:
    charts: dict[str, object] = {}
    for sec in report.sections:
        for c in sec.charts:
            charts[c.id] = c.option
    tone_css = "\n  ".join(
        f".tone.v-{code} {{ color: {colour}; }}" for code, colour in COLOURS.items()
    )
    # chart heights are rules of the one style block: a style attribute would need CSP leave
    style = Template(_resource("report.css")).substitute(tone_css=tone_css) + "".join(
        f"  #{_css_id(c.id)} {{ height: {int(c.height)}px; }}\n"
        for sec in report.sections
        for c in sec.charts
    )
    echarts_script = "\n" + echarts_source() + "\n"
    boot_script = "\n" + _resource("report.js")
    return _template().substitute(
        csp=escape(content_security_policy([echarts_script, boot_script], [style])),
        style=style,
        html_lang="en" if report.lang == "en" else "zh-CN",
        version=escape(__version__),
        title=escape(report.title),
        subtitle=escape(report.subtitle),
        nav=" ".join(f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in report.sections),
        notes="\n".join(f'<p class="note">{escape(n)}</p>' for n in report.notes),
        sections="\n".join(_section(s, report.lang) for s in report.sections),
        footer=escape(i18n.t("report.echarts_note", report.lang)),
        echarts_script=echarts_script,
        boot_script=boot_script,
        charts=_json_for_script(charts),
    )


# Characters that could end or confuse the <script> block the JSON sits in, as JSON escapes:
# `</script>`, `<!--` and `]]>` cannot appear, and line separators stay inside strings.
_SCRIPT_SAFE = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def _json_for_script(value: object) -> str:
    """JSON that cannot close the <script> element it sits in (it parses to the same value)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.translate(_SCRIPT_SAFE)


def _section(s: Section, lang: str) -> str:
    parts = [f'<section id="{escape(s.key)}">', f"<h2>{escape(s.title)}</h2>"]
    parts += [f"<p>{escape(p)}</p>" for p in s.paragraphs]
    if s.charts:
        charts = "\n".join(_chart(c) for c in s.charts)
        parts.append(f'<div class="grid">{charts}</div>' if s.small_charts else charts)
    parts += [_table(t, lang) for t in s.tables]
    parts.append("</section>")
    return "\n".join(parts)


def _css_id(chart_id: str) -> str:
    """A chart's element id, which the style block names: letters, digits, - and _ only."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", chart_id):
        raise ValueError(f"chart id {chart_id!r} is not a plain identifier")
    return chart_id


def _chart(c: Chart) -> str:
    return (
        f'<div><div class="chart-title">{escape(c.title)}</div>'
        f'<div class="chart" id="{_css_id(c.id)}"></div></div>'
    )


def _table(t: Table, lang: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in t.headers)
    body = "\n".join("<tr>" + "".join(_cell(c, lang) for c in row) + "</tr>" for row in t.rows)
    caption = f"<caption>{escape(t.title)}</caption>" if t.title else ""
    table = f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if len(t.rows) > FOLD_ROWS:
        summary = i18n.t("report.rows", lang, n=len(t.rows), title=t.title or "")
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
