"""The HTML report: one self-contained file with every part, in Chinese by default."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from kefu.diagnosis import diagnose_months
from kefu.report.content import build
from kefu.report.html import echarts_source, render_html
from test_diagnosis_shops import SHOP, story

SECTIONS = ("summary", "quadrant", "causes", "flags", "trends", "pairs", "stability", "settings")


def story_html(lang: str = "zh") -> str:
    return render_html(diagnose_months(SHOP, "2024-09", story()), lang)


def chart_specs(html: str) -> dict:  # type: ignore[type-arg]
    m = re.search(r'<script type="application/json" id="kefu-charts">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


def test_the_file_needs_no_network() -> None:
    html = story_html()
    assert html.startswith("<!DOCTYPE html>")
    assert echarts_source() in html  # the bundled ECharts, inline
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link\b", html)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "url(" not in html.split("<script>")[0]  # no web fonts or images in the styles


def test_every_part_is_there_with_its_charts() -> None:
    html = story_html()
    for key in SECTIONS:
        assert f'<section id="{key}">' in html
    specs = chart_specs(html)
    ids = re.findall(r'<div class="chart" id="([^"]+)"', html)
    assert sorted(ids) == sorted(specs)
    assert {"chart-team", "chart-quadrant", "chart-stability"} <= set(specs)
    assert sum(i.startswith("chart-trend-") for i in ids) == 7  # one per agent of the month
    assert sum(i.startswith("chart-hours-") for i in ids) == 3  # one per cause
    assert all(spec["series"] for spec in specs.values())
    for text in ("最好：转化率高、客单价高", "筛选复核", "团队规则", "建议分流", "稳定型", "波动型",
                 "数据不足，n = 12 &lt; 30", "临界"):  # fmt: skip
        assert text in html, text


def test_same_content_as_the_report_model() -> None:
    d = diagnose_months(SHOP, "2024-09", story())
    html = render_html(d)
    for sec in build(d).sections:
        assert sec.title in html
        for t in sec.tables:
            for row in t.rows:
                assert f">{row[0].text('zh')}<" in html


def test_english() -> None:
    html = story_html("en")
    assert '<html lang="en">' in html
    assert "Customer-service diagnosis" in html and "Quadrants: conversion × spend" in html
    assert "best: high conversion, high spend" in html


def test_names_are_escaped() -> None:
    months = story()
    m = months["2024-09"]
    bad = replace(m.agents[0], name="<script>alert(1)</script>")
    months["2024-09"] = replace(m, agents=[bad, *m.agents[1:]])
    html = render_html(diagnose_months(SHOP, "2024-09", months))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    specs = chart_specs(html)  # inside the JSON block "</" cannot close the script
    assert any(
        "<script>alert(1)</script>" in json.dumps(s, ensure_ascii=False) for s in specs.values()
    )
