"""Fair to the person (issue #11): load before the person, bounded re-routing, no verdict on thin data.

Hand-built shops (tests/test_diagnosis_shops.py): an overloaded agent stuck both-low gets a
workload review for the manager instead of a screening; question 1's decision never moves
more than the observed load allows, never empties a queue, never promises a net gain above
the gross one, and its sentence and its table row say the same; an agent below
min_inquiries gets no quadrant word, no leaning and no colour in the JSON, the terminal
table, the HTML report or the xlsx.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from rich.console import Console

from kefu.diagnosis import diagnose_months
from kefu.diagnosis.narrative import pair_text
from kefu.diagnosis.pairs import MAX_MOVE_SHARE, find_pairs
from kefu.diagnosis.quadrant import judge_month
from kefu.diagnosis.settings import DiagnosisSettings
from kefu.i18n import t
from kefu.metrics.table import ShopMonth
from kefu.report import write_report
from kefu.report.content import build, rerouting_table
from kefu.report.html import render_html
from kefu.report.terminal import print_report
from test_diagnosis_shops import SHOP, agent, shop

S = DiagnosisSettings()
GOOD = [agent("甲", 400, 200, 30000), agent("乙", 400, 200, 30000)]
QUADRANT_WORDS = [t(f"verdict.{q}", lang) for q in
                  ("both_high", "high_conv_low_spend", "low_conv_high_spend", "both_low")
                  for lang in ("zh", "en")]  # fmt: skip


def three_months(stuck: dict[str, object]) -> dict[str, ShopMonth]:
    """丁 both low (10 %, 50 yuan) for three months beside two good agents, as `stuck` sets."""
    return {
        m: shop([*GOOD, agent("丁", 300, 30, 5000, **stuck)], m)  # type: ignore[arg-type]
        for m in ("2024-07", "2024-08", "2024-09")
    }


# -- 3. load is the shop's problem ---------------------------------------------------------------
def test_an_overloaded_both_low_agent_gets_a_workload_review_not_a_screening() -> None:
    d = diagnose_months(SHOP, "2024-09", three_months({"load": 5.0}))  # peers: 3 an hour
    (flag,) = d.flags
    assert flag.agent_id == "丁" and flag.kind == "workload_review"
    cause = d.cause("丁")
    assert cause is not None and cause.main == "load"
    v = next(v for v in d.verdicts if v.agent_id == "丁")
    code, text = d.remedy(v, "zh")
    assert code == "workload_review" and "负荷复核" in text and "分流" in text
    assert "筛选复核" not in text
    j = d.to_json()
    (jf,) = j["flags"]
    assert jf["kind"] == "workload_review" and jf["main_factor"] == "load"
    assert jf["load"]["agent"] == 5.0 and round(jf["load"]["peers"], 1) == 3.0
    assert jf["load"]["worse"]
    assert "负荷复核" in jf["text"] and "每在线小时 5.0 个会话，同事 3.0" in jf["text"]
    assert "筛选复核" not in jf["text"]
    (jv,) = [x for x in j["verdicts"] if x["agent_id"] == "丁"]
    assert jv["remedy"]["code"] == "workload_review"
    en = d.to_json("en")["flags"][0]["text"]
    assert en.startswith("Workload review") and "5.0 sessions per active hour, peers 3.0" in en
    # the report shows both findings together, in the flags section
    html = render_html(d)
    flags_html = html.split('<section id="flags">')[1].split("</section>")[0]
    assert "<p>丁：负荷复核" in flags_html and "筛选复核" not in flags_html


def test_without_load_the_screening_review_stands_and_shows_its_cause() -> None:
    d = diagnose_months(SHOP, "2024-09", three_months({"cpm": 30}))  # a slow typist
    (flag,) = d.flags
    assert flag.kind == "screening_review" and flag.cause is not None
    assert flag.cause.main == "typing"
    j = d.to_json()["flags"][0]
    assert j["main_factor"] == "typing" and "筛选复核" in j["text"]
    assert "主要是打字速度" in j["text"]  # the cause beside the flag


# -- 4. question 1, bounded ----------------------------------------------------------------------
agents_st = st.tuples(
    st.integers(30, 600),  # inquiries
    st.floats(0.01, 0.95),  # conversion
    st.integers(1000, 100000),  # spend per buyer, fen
    st.integers(1, 31),  # active days
    st.floats(0, 0.6),  # refund share
)


@settings(max_examples=150, deadline=None)
@given(
    strong=agents_st,
    weak=agents_st,
    before=st.lists(st.tuples(st.integers(30, 900), st.floats(0.01, 0.95), st.integers(1, 31)),
                    max_size=4),
    peak=st.integers(0, 500),
)  # fmt: skip
def test_rerouting_never_moves_more_than_observed_and_never_empties_a_queue(
    strong: tuple[int, float, int, int, float],
    weak: tuple[int, float, int, int, float],
    before: list[tuple[int, float, int]],
    peak: int,
) -> None:
    def make(name: str, a: tuple[int, float, int, int, float], **kw: object):  # type: ignore[no-untyped-def]
        n, c, spend, days, r = a
        paying = max(1, round(n * c))
        return agent(name, n, paying, spend, active_days=days,
                     refund_fen=round(paying * spend * r), **kw)  # type: ignore[arg-type]  # fmt: skip

    s_agent = make("强", strong, peak_day_inquiries=peak)
    w_agent = make("弱", weak)
    current = shop([s_agent, w_agent])
    history = {
        f"2024-0{i + 1}": shop(
            [agent("强", n, max(1, round(n * c)), strong[2], active_days=d), w_agent],
            f"2024-0{i + 1}",
        )
        for i, (n, c, d) in enumerate(before)
    }
    pairs = find_pairs(current, judge_month(current, S), S, history)
    for p in pairs:
        r = p.rerouting
        assert r is not None
        s_daily, w_daily = p.strong.daily_inquiries, p.weak.daily_inquiries
        assert s_daily is not None and w_daily is not None
        # never beyond a month's load at which the strong agent's conversion held
        assert s_daily + r.k_per_day <= r.held_load_per_day
        observed = [pt.daily_inquiries for pt in p.strong.load_curve if pt.held]
        assert r.held_load_per_day == s_daily or r.held_load_per_day in observed
        # never more than half of the weak agent's inquiries: her queue is never emptied
        assert r.k_per_day <= MAX_MOVE_SHARE * w_daily < w_daily
        assert r.weights_after[1] >= 1 and sum(r.weights_after) == 100
        # the busiest single day is not evidence
        assert r.k_per_day == 0 or r.held_months
        # net ≤ gross, point and interval
        assert r.added_net_sales_fen <= r.added_sales_fen
        lo, hi = r.added_sales_interval_fen
        nlo, nhi = r.added_net_sales_interval_fen
        assert nlo <= lo <= r.added_sales_fen <= hi and nhi <= hi
        assert r.added_sales_fen >= 0 and nlo >= 0
        # a move only on a gain whose interval lies above 0
        if r.k_per_day > 0:
            assert r.decision == "reroute" and r.gain_interval_fen[0] > 0
        else:
            assert r.decision != "reroute" and r.added_sales_fen == 0 == r.added_net_sales_fen
            assert r.weights_after == r.weights_now
        assert_text_agrees_with_table(p, "zh")
        assert_text_agrees_with_table(p, "en")


def assert_text_agrees_with_table(p, lang: str) -> None:  # type: ignore[no-untyped-def]
    """The sentence and the table row are read from the same decision."""
    r = p.rerouting
    text = pair_text(p, lang)
    (row,) = rerouting_table(p, lang).rows
    decision, k, weights = row[3].text(lang), row[5].text(lang), row[6].text(lang)
    assert decision == t(f"fair.decision.{r.decision}", lang)
    recommends = "建议分流" in text if lang == "zh" else "Re-route " in text
    assert recommends == (r.decision == "reroute") == (int(k) > 0)
    if recommends:
        if lang == "zh":
            assert f"每天把 {k} 个询单" in text
            a, b = re.findall(r"\d+", weights)
            assert f"{p.strong.name} {a}% / {p.weak.name} {b}%" in text
        assert row[7].text(lang) in text and row[10].text(lang) in text  # gross and net


# -- 5. no verdict without enough data -----------------------------------------------------------
def thin_shop() -> dict[str, ShopMonth]:
    return {"2024-09": shop([*GOOD, agent("己", 10, 5, 50000)])}  # 50 %, 500 yuan: "both high"


def test_thin_data_has_no_leaning_in_the_json() -> None:
    d = diagnose_months(SHOP, "2024-09", thin_shop())
    (v,) = [v for v in d.to_json()["verdicts"] if v["agent_id"] == "己"]
    assert v["quadrant"] == "insufficient_data" and v["leaning"] is None
    assert v["label"] == "数据不足，n = 10 < 30"
    (en,) = [v for v in d.to_json("en")["verdicts"] if v["agent_id"] == "己"]
    assert en["label"] == "insufficient data (n = 10 < 30)"
    assert v["evidence"]["conversion_rate"] == 0.5  # the figures stay
    assert v["remedy"]["code"] == "withhold"
    for word in QUADRANT_WORDS:
        assert word not in v["label"] + v["remedy"]["text"]


def _row(rows: list[list[str]], name: str) -> list[str]:
    return next(r for r in rows if r and r[0] == name)


def test_thin_data_has_no_quadrant_word_or_colour_in_the_terminal() -> None:
    d = diagnose_months(SHOP, "2024-09", thin_shop())
    out = io.StringIO()
    print_report(d, Console(file=out, width=400, color_system="truecolor", force_terminal=True))
    lines = [ln for ln in out.getvalue().splitlines() if "己" in ln]
    assert lines and any("数据不足，n = 10 < 30" in ln for ln in lines)
    for ln in lines:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", ln)
        for word in QUADRANT_WORDS:
            assert word not in plain
        assert "\x1b[38;2;176;190;197" not in ln  # the grey of insufficient_data: no colour
    # the report model: no tone on the thin agent's verdict cell, no leaning
    table = build(d).sections[1].tables[0]
    row = next(r for r in table.rows if r[0].value == "己")
    assert row[1].tone is None and row[-1].value is None


def test_thin_data_has_no_quadrant_word_or_colour_in_html_and_xlsx(tmp_path: Path) -> None:
    d = diagnose_months(SHOP, "2024-09", thin_shop())
    html = render_html(d)
    cells = re.findall(r"<td[^>]*>[^<]*数据不足，n = 10 &lt; 30[^<]*</td>", html) or re.findall(
        r"<td[^>]*>[^<]*数据不足，n = 10 < 30[^<]*</td>", html
    )
    assert cells and all("tone" not in c for c in cells)
    assert (
        "己"
        not in html.split('id="kefu-charts">')[1]
        .split("</script>")[0]
        .split('"chart-quadrant"')[1]
        .split('"chart-')[0]
    )  # not placed among the quadrants
    out = tmp_path / "r.xlsx"
    write_report(d, out)
    ws = load_workbook(out)["四象限"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    row = _row([[str(x) if x is not None else "" for x in r] for r in rows], "己")
    assert "数据不足，n = 10 < 30" in row
    for word in QUADRANT_WORDS:
        assert word not in row
    idx = row.index("数据不足，n = 10 < 30")
    r_no = next(i for i, r in enumerate(ws.iter_rows(), start=1) if r[0].value == "己")
    assert not ws.cell(row=r_no, column=idx + 1).font.bold  # no verdict colour or weight
