"""Each platform's agent report, read with every quirk its documentation lists (docs/reports.md)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.io.cells import CellError
from kefu.io.records import ImportFileError
from kefu.io.reports import read_report
from kefu.io.reports.quirks import (
    credit_rule_in_text,
    grain_of,
    parse_duration_s,
    parse_rate,
    period_in_text,
)
from reportdata import (
    CHITU_HEADER,
    chitu_days,
    chitu_month,
    chitu_row,
    feige_month,
    jd_month,
    pdd_month,
    sycm_month,
    write_csv,
)


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_LANG", "en")  # the messages below are matched in English


def fig(row, field):  # type: ignore[no-untyped-def]
    return next(f for f in row.figures if f.field == field)


@pytest.mark.parametrize("gbk", [False, True], ids=["xlsx", "gbk-csv"])
def test_chitu_monthly_report(tmp_path: Path, gbk: bool) -> None:
    r = read_report(chitu_month(tmp_path, gbk=gbk))
    assert r is not None
    assert (r.source, r.credit_rule) == ("chitu", "order_first")  # from the file name
    assert r.encoding == ("gb18030" if gbk else None)
    assert r.summary_rows == 2  # 汇总 and 均值, among the agent rows
    assert [x.agent_id for x in r.rows] == ["小美旗舰店:小美", "小美旗舰店:阿强", "小美旗舰店:小丽"]
    xm = r.rows[0]
    assert (xm.shop_id, xm.agent_name, xm.team) == ("小美旗舰店", "小美", "售前")
    assert (xm.period_start, xm.period_end) == (date(2024, 9, 1), date(2024, 9, 30))
    assert fig(xm, "paying_buyers").value == 165
    assert fig(xm, "sales_fen").value == 4125000
    assert fig(xm, "conversion_rate").value == Fraction(55, 100)  # '55.00%', exact
    assert fig(xm, "avg_response_s").value == Fraction(65, 2)  # '32.5'
    # 延迟统计: not available, never a zero
    sat = fig(r.rows[2], "satisfaction_rate")
    assert not sat.available and sat.text == "延迟统计"
    assert any("延迟统计" in n for n in r.notes)
    # a time of day (平均上线时间) is known and deliberately not read
    assert not any("平均上线时间" in n for n in r.notes)


def test_chitu_daily_files_carry_their_day_in_the_name(tmp_path: Path) -> None:
    for d, p in zip((1, 2, 3), chitu_days(tmp_path), strict=True):
        r = read_report(p)
        assert r is not None
        assert {(x.period_start, x.period_end) for x in r.rows} == {(date(2024, 9, d),) * 2}
        assert r.summary_rows == 1


def test_chitu_credit_rules_in_file_names(tmp_path: Path) -> None:
    for word, rule in (
        ("付款判定", "paid"),
        ("下单判定", "order"),
        ("下单优先判定", "order_first"),
    ):
        r = read_report(chitu_month(tmp_path, rule=word))
        assert r is not None and r.credit_rule == rule


def test_sycm_per_account_with_title_row(tmp_path: Path) -> None:
    r = read_report(sycm_month(tmp_path))
    assert r is not None
    assert (r.source, r.credit_rule, r.summary_rows) == ("sycm", "paid", 1)  # 店铺汇总值
    xm = r.rows[0]
    assert (xm.period_start, xm.period_end) == (date(2024, 9, 1), date(2024, 9, 30))
    assert fig(xm, "sales_fen").value == 4125000  # '41,250.00'
    assert fig(xm, "refund_fen").value == 125000
    assert fig(xm, "net_sales_fen").value == 4000000
    assert fig(xm, "avg_response_s").value == Fraction(65, 2)  # header with full-width (秒)


def test_feige_durations_and_shop_rows(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="--shop"):
        read_report(feige_month(tmp_path))
    r = read_report(feige_month(tmp_path), shop="抖店小美")
    assert r is not None
    assert r.summary_rows == 2  # 店铺汇总值 and 店铺平均值
    (xm,) = r.rows
    assert xm.agent_id == "抖店小美:小美"
    assert fig(xm, "sales_fen").value == 1600000  # 客服销售额（元）
    assert fig(xm, "online_s").value == Fraction(1765, 10) * 3600  # hours
    assert fig(xm, "paying_buyers").value == 80


def test_feige_duration_text_is_read_when_it_is_the_only_response_column(tmp_path: Path) -> None:
    rows = [
        ["客服昵称", "人工已接待人数", "支付人数", "询单人数", "全天平响时长"],
        ["小美", "10", "3", "8", "7小时41分52秒"],
    ]
    r = read_report(write_csv(tmp_path / "飞鸽_2024-09.csv", rows, "utf-8"), shop="S")
    assert r is not None
    assert fig(r.rows[0], "avg_response_s").value == 7 * 3600 + 41 * 60 + 52


def test_pdd_report(tmp_path: Path) -> None:
    r = read_report(pdd_month(tmp_path))
    assert r is not None
    assert (r.source, r.credit_rule, r.summary_rows) == ("pdd", "order_first", 1)
    (xm,) = r.rows
    assert (xm.period_start, xm.period_end) == (date(2024, 9, 1), date(2024, 9, 30))
    assert fig(xm, "avg_response_s").value == 18  # '18秒'
    assert fig(xm, "net_sales_fen").value == 950000


def test_jd_known_columns_read_and_unknown_refused(tmp_path: Path) -> None:
    r = read_report(jd_month(tmp_path))
    assert r is not None and r.source == "jd"
    assert fig(r.rows[0], "online_s").value == 176 * 3600 + 30 * 60
    with pytest.raises(ImportFileError, match="cannot match its columns 售前咨询人数, 某列"):
        read_report(jd_month(tmp_path, extra=["售前咨询人数", "某列"]))


def test_a_bad_cell_quarantines_its_row_and_keeps_the_rest(tmp_path: Path) -> None:
    bad = chitu_row("S:坏", 10, 10, 5, 2, "1.00", 2, 2)
    bad[CHITU_HEADER.index("销售额")] = "abc"
    good = chitu_row("S:好", 10, 10, 5, 2, "100.00", 2, 2)
    r = read_report(write_csv(tmp_path / "自定义报表_x_2024-09.csv", [CHITU_HEADER, bad, good]))
    assert r is not None
    assert [x.agent_id for x in r.rows] == ["S:好"]
    (q,) = r.quarantine
    assert (q["row_no"], q["column"], q["value"]) == (2, "销售额", "abc")


def test_refusals_speak_the_reader_s_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEFU_LANG", "zh")
    p = write_csv(
        tmp_path / "自定义报表.csv", [CHITU_HEADER, chitu_row("S:a", 1, 1, 1, 1, "1", 1, 1)]
    )
    with pytest.raises(ImportFileError) as e:
        read_report(p)
    assert "没有注明统计周期" in e.value.text()  # the environment's language


def test_a_row_that_does_not_line_up_is_quarantined(tmp_path: Path) -> None:
    good = ",".join(chitu_row("S:好", 10, 10, 5, 2, "100.00", 2, 2))
    bad = good.replace("S:好", "S:坏").replace("100.00", "1,100.00")  # unquoted comma
    p = tmp_path / "自定义报表_x_2024-09.csv"
    p.write_text("\n".join([",".join(CHITU_HEADER), bad, good]) + "\n", encoding="utf-8")
    r = read_report(p)
    assert r is not None and [x.agent_name for x in r.rows] == ["好"]
    (q,) = r.quarantine
    assert q["row_no"] == 2 and "fields" in q["reason"]


def test_a_report_without_a_period_asks_for_one(tmp_path: Path) -> None:
    p = write_csv(
        tmp_path / "自定义报表.csv", [CHITU_HEADER, chitu_row("S:a", 1, 1, 1, 1, "1", 1, 1)]
    )
    with pytest.raises(ImportFileError, match="--month YYYY-MM or --day"):
        read_report(p)
    r = read_report(p, period=(date(2024, 9, 1), date(2024, 9, 30)))
    assert r is not None and r.rows[0].period_end == date(2024, 9, 30)


def test_a_date_column_gives_each_row_its_day(tmp_path: Path) -> None:
    header = ["日期", *CHITU_HEADER]
    rows = [header] + [
        ["2024-09-0" + str(d), *chitu_row("S:a", 5, 5, 4, d, "10.00", 1, 1)] for d in (1, 2)
    ]
    r = read_report(write_csv(tmp_path / "自定义报表_x.csv", rows))
    assert r is not None
    assert [(x.period_start.day, fig(x, "paying_buyers").value) for x in r.rows] == [(1, 1), (2, 2)]


def test_a_report_with_only_common_columns_is_still_recognised(tmp_path: Path) -> None:
    p = write_csv(
        tmp_path / "客服_2024-09.csv",
        [["客服", "接待人数", "询单人数", "客单价"], ["S:a", "9", "5", "88.00"]],
    )
    r = read_report(p)
    assert r is not None and r.source == "chitu"
    assert {f.field: f.value for f in r.rows[0].figures} == {
        "served_buyers": 9,
        "inquiring_buyers": 5,
        "avg_spend_fen": 8800,
    }


def test_orders_and_chats_are_not_reports(tmp_path: Path) -> None:
    p = tmp_path / "orders.csv"
    p.write_text("order_id,created_at\n1,2024-09-01 10:00:00\n", encoding="utf-8")
    assert read_report(p) is None


# -- the shared quirk helpers ---------------------------------------------------------------


@given(st.integers(0, 99), st.integers(0, 59), st.integers(0, 59))
def test_durations_in_chinese(h: int, m: int, s: int) -> None:
    text = (f"{h}小时" if h else "") + (f"{m}分" if m else "") + f"{s}秒"
    assert parse_duration_s(text) == h * 3600 + m * 60 + s


@given(st.integers(0, 10000))
def test_percent_text_is_exact(n: int) -> None:
    assert parse_rate(f"{n // 100}.{n % 100:02d}%") == Fraction(n, 10000)


def test_rate_and_duration_errors() -> None:
    for bad in ("abc", "101%", ""):
        with pytest.raises(CellError):
            parse_rate(bad)
    with pytest.raises(CellError):
        parse_duration_s("七小时")


def test_periods_and_rules_from_names() -> None:
    assert period_in_text("自定义报表_X_下单优先判定_2024-09-01至2024-09-30.xlsx") == (
        date(2024, 9, 1),
        date(2024, 9, 30),
    )
    assert period_in_text("客服绩效_2024-09.csv") == (date(2024, 9, 1), date(2024, 9, 30))
    assert period_in_text("日报20240903.csv") == (date(2024, 9, 3), date(2024, 9, 3))
    assert period_in_text("报表.csv") is None
    assert credit_rule_in_text("自定义报表_X_下单优先判定_2024-09-01至2024-09-30") == "order_first"
    assert grain_of(date(2024, 2, 1), date(2024, 2, 29)) == "month"
    assert grain_of(date(2024, 2, 1), date(2024, 2, 15)) == "period"
