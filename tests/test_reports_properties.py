"""Property: any 赤兔 report kefu writes the way the tool does reads back to exactly its figures."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.io.reports import read_report
from reportdata import write_csv, write_xlsx

HEADER = ["客服", "询单人数", "询单->最终付款人数", "销售额", "平均响应(秒)", "客户满意率"]
nick = st.text(alphabet="小美阿强丽明abcXYZ0123456789_", min_size=1, max_size=8)
agent = st.tuples(
    nick,
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**9),  # fen
    st.integers(0, 3600 * 10),  # tenths of a second
    st.one_of(st.integers(0, 10000), st.just(-1)),  # basis points; -1: 延迟统计
)


def cells(a: tuple[str, int, int, int, int, int]) -> list[str]:
    name, inq, pay, fen, tenths, bp = a
    return [
        f"S:{name}",
        str(inq),
        str(pay),
        f"{fen // 100:,}.{fen % 100:02d}",
        f"{tenths // 10}.{tenths % 10}",
        "延迟统计" if bp < 0 else f"{bp // 100}.{bp % 100:02d}%",
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(agent, min_size=1, max_size=6, unique_by=lambda a: a[0]),
    st.integers(0, 6),
    st.sampled_from(["gbk", "utf-8", "xlsx"]),
)
def test_round_trip(agents: list[tuple[str, int, int, int, int, int]], at: int, how: str) -> None:
    rows = [cells(a) for a in agents]
    rows.insert(min(at, len(rows)), ["汇总", "1", "1", "1.00", "1", "1%"])
    rows.append(["均值", "1", "1", "1.00", "1", "1%"])
    with tempfile.TemporaryDirectory() as d:
        name = Path(d) / "自定义报表_x_付款判定_2024-09-01至2024-09-30"
        p = (
            write_xlsx(name.with_suffix(".xlsx"), [HEADER, *rows])
            if how == "xlsx"
            else write_csv(name.with_suffix(".csv"), [HEADER, *rows], how)
        )
        r = read_report(p)
    assert r is not None and r.credit_rule == "paid" and r.summary_rows == 2
    assert not r.quarantine
    assert [x.agent_name for x in r.rows] == [a[0] for a in agents]
    for x, (_, inq, pay, fen, tenths, bp) in zip(r.rows, agents, strict=True):
        got = {f.field: f for f in x.figures}
        assert got["inquiring_buyers"].value == inq
        assert got["paying_buyers"].value == pay
        assert got["sales_fen"].value == fen
        assert got["avg_response_s"].value == Fraction(tenths, 10)
        sat = got["satisfaction_rate"]
        assert sat.available == (bp >= 0)
        if bp >= 0:
            assert sat.value == Fraction(bp, 10000)
