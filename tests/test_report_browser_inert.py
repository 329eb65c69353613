"""Hostile agent names in the HTML report, opened in Debian's chromium: nothing runs.

An agent named `"><img src=x onerror=alert(1)>` or `</script><script>…</script>` shows as
text in the tables and in the chart tooltips; no dialog opens, no injected element or script
exists, and the Content-Security-Policy holds (a clean report causes no violation, and a
script added to the page at run time is refused).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kefu.diagnosis import diagnose_months
from kefu.report.html import write_html
from test_diagnosis_shops import SHOP, story
from test_report_browser import browser_page

__all__ = ["browser_page"]  # the fixture: Debian's chromium through Playwright

pytestmark = pytest.mark.browser

IMG = '"><img src=x onerror=alert(1)>'
SCRIPT = "</script><script>window.kefuPwned = 1; alert(2)</script>"
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def report_with(name: str, tmp_path: Path) -> Path:
    months = story()
    for m, sm in months.items():
        months[m] = replace(sm, agents=[replace(sm.agents[0], name=name), *sm.agents[1:]])
    return write_html(diagnose_months(SHOP, "2024-09", months), tmp_path / "report.html")


def open_report(context, path: Path):  # type: ignore[no-untyped-def]
    page = context.new_page()
    seen: dict[str, list[str]] = {"dialogs": [], "errors": [], "network": []}

    def refuse(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url == path.as_uri():
            route.continue_()
        else:  # the page itself is the only thing it may load
            seen["network"].append(route.request.url)
            route.abort()

    def dialog(d) -> None:  # type: ignore[no-untyped-def]
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.route("**/*", refuse)
    page.on("dialog", dialog)
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.add_init_script(WATCH)
    page.goto(path.as_uri())
    page.wait_for_function("window.kefuCharts !== undefined")
    return page, seen


def tooltip_text(page, chart_id: str, series: int, index: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Show a chart's tooltip as a hover does and read what it displays."""
    return page.evaluate(
        """([id, series, index]) => {
             const el = document.getElementById(id);
             const chart = echarts.getInstanceByDom(el);
             chart.dispatchAction({type: 'showTip', seriesIndex: series, dataIndex: index});
             const boxes = Array.from(el.querySelectorAll('div'))
               .filter(d => d.style.position === 'absolute' && d.innerText.trim() !== '');
             const tip = boxes[boxes.length - 1];
             return {text: tip ? tip.innerText : '',
                     elements: tip ? Array.from(tip.querySelectorAll('*')).map(e => e.tagName) : []};
           }""",
        [chart_id, series, index],
    )


@pytest.mark.parametrize("name", [IMG, SCRIPT], ids=["img-onerror", "script-close"])
def test_hostile_names_are_text(browser_page, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    path = report_with(name, tmp_path)
    page, seen = open_report(browser_page, path)
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert seen["dialogs"] == []
    assert page.evaluate("window.kefuPwned") is None
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 3
    assert name in page.evaluate("document.body.innerText")  # shown as the characters it is
    # the quadrant scatter: the hostile agent's point, hovered
    series, index = page.evaluate(
        """(name) => {
             const opt = echarts.getInstanceByDom(document.getElementById('chart-quadrant')).getOption();
             for (let s = 0; s < opt.series.length; s++) {
               const i = (opt.series[s].data || []).findIndex(d => d && d.name === name);
               if (i >= 0) { return [s, i]; }
             }
             return [-1, -1];
           }""",
        name,
    )
    assert series >= 0
    tip = tooltip_text(page, "chart-quadrant", series, index)
    assert tip["text"].startswith(name + ":"), tip
    assert set(tip["elements"]) <= {"DIV", "BR"}, tip  # text, line breaks, the tooltip box
    # an axis tooltip (the team trend) is text too
    axis = tooltip_text(page, "chart-team", 0, 0)
    assert axis["text"] and set(axis["elements"]) <= {"DIV", "BR"}, axis
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert seen["dialogs"] == [] and seen["network"] == []
    page.close()


def test_the_policy_is_there_and_holds(browser_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = report_with("甲", tmp_path)
    page, seen = open_report(browser_page, path)
    policy = page.evaluate(
        """() => document.querySelector('meta[http-equiv="Content-Security-Policy"]').content"""
    )
    assert "default-src 'none'" in policy and "'sha256-" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    tooltip_text(page, "chart-quadrant", 0, 0)
    assert page.evaluate("window.__violations") == []  # the clean report breaks no rule
    assert seen["errors"] == []
    added = page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.kefuInjected = 1';
                   document.body.appendChild(s);
                   return window.kefuInjected === undefined; }"""
    )
    assert added  # a script added at run time does not run
    page.wait_for_timeout(100)
    assert any(v.startswith("script-src") for v in page.evaluate("window.__violations"))
    page.close()
