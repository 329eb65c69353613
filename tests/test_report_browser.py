"""The HTML report opened in a real headless Chromium (Debian's), with every network request refused.

The charts must render with no network and no console error; a screenshot is kept as a
test artifact in test-artifacts/report.png.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kefu.diagnosis import diagnose_months
from kefu.report.html import write_html
from test_diagnosis_shops import SHOP, story

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_renders_offline_without_errors(browser_page, tmp_path: Path, lang: str) -> None:  # type: ignore[no-untyped-def]
    path = write_html(diagnose_months(SHOP, "2024-09", story()), tmp_path / "report.html", lang)
    page = browser_page.new_page()
    attempted: list[str] = []
    errors: list[str] = []

    def refuse(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    page.route("**/*", refuse)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("window.kefuCharts !== undefined")
    charts = page.evaluate(
        """() => Array.from(document.querySelectorAll('.chart')).map(el => {
             const chart = echarts.getInstanceByDom(el);
             const canvas = el.querySelector('canvas');
             return {id: el.id,
                     series: chart ? chart.getOption().series.length : 0,
                     width: canvas ? canvas.getBoundingClientRect().width : 0,
                     height: canvas ? canvas.getBoundingClientRect().height : 0};
           })"""
    )
    assert attempted == [], f"the report tried the network: {attempted}"
    assert errors == [], f"console errors: {errors}"
    assert len(charts) == 13
    for c in charts:
        assert c["series"] > 0 and c["width"] > 0 and c["height"] > 0, c
    # the quadrant scatter drew a point per agent with enough data (the thin one, 己, is left
    # out: a position among the quadrants would read as a verdict) and its interval lines
    points = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('chart-quadrant'))
                   .getOption().series.filter(s => s.type === 'scatter')
                   .reduce((n, s) => n + s.data.length, 0)"""
    )
    assert points == 6
    if lang == "zh":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    page.close()
