"""People behind seats: a person holds sub-accounts over dated intervals; KPIs per seat and per
person, tenure and pay per person (issue #10 item 5)."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.io import read_file
from kefu.io.seats import overlaps
from kefu.metrics.people import PersonKpis
from kefu.metrics.reported import ChosenKpis
from kefu.pay.plan import load_plan
from kefu.pay.runs import prepare
from kefu.report.payslip import pay_json
from kefu.store import open_store
from kefu.store.schema import SCHEMA_VERSION
from storefiles import released, released_versions

runner = CliRunner()

AGENTS = """店铺,子账号,姓名,岗位,入职日期,离职日期,工号,使用开始,使用结束
店A,店A:一号,张三,售前,2025-01-01,2026-09-15,E1,,
店A,店A:一号,李四,售前,2026-09-16,,E2,,
店A,店A:二号,王五,售前,2025-03-01,,E3,,
店B,店B:一号,王五,售前,2025-03-01,,E3,2026-09-11,
店A,店A:三号,赵六,售前,2024-01-01,,E4,,
店A,店A:四号,赵六,售前,2024-01-01,,E4,,
"""

# (shop, buyer, seat, day, amount in fen): each buyer inquires and pays the same day
SALES = [
    ("店A", "b1", "店A:一号", "2026-09-05", 10000),  # 张三's, before the handover
    ("店A", "b2", "店A:一号", "2026-09-20", 20000),  # 李四's, after it
    ("店A", "b3", "店A:二号", "2026-09-21", 5000),
    ("店B", "b4", "店B:一号", "2026-09-22", 7000),
    ("店A", "b5", "店A:三号", "2026-09-10", 3000),
    ("店A", "b6", "店A:四号", "2026-09-11", 4000),
]


def kefu(*args: str) -> str:
    result = runner.invoke(app, [*args, "--lang", "en"])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return people_store(tmp_path_factory.mktemp("people"))


def people_store(work: Path) -> Path:
    """The shops of AGENTS and SALES imported into `work`/kefu.duckdb (also the lake tests')."""
    (work / "agents.csv").write_text(AGENTS, encoding="utf-8")
    msgs = ["shop_id,buyer_id,agent_id,sent_at,sender,text"]
    orders = ["shop_id,order_id,buyer_id,created_at,paid_at,amount_fen"]
    for i, (s, b, seat, day, fen) in enumerate(SALES):
        msgs += [
            f"{s},{b},{seat},{day} 10:00:00,buyer,在吗",
            f"{s},{b},{seat},{day} 10:01:00,agent,在的",
        ]
        orders.append(f"{s},o{i},{b},{day} 11:00:00,{day} 11:05:00,{fen}")
    (work / "messages.csv").write_text("\n".join(msgs) + "\n", encoding="utf-8")
    (work / "orders.csv").write_text("\n".join(orders) + "\n", encoding="utf-8")
    # Taobao 服务评价 of the seat handed over: 张三's day (05), 李四's days (20, 21)
    (work / "kefueval.csv").write_text(
        "eval_code,eval_recer,eval_sender,eval_time,source\n"
        "0,店A:一号,b1,2026-09-05 12:00:00,0\n"
        "3,店A:一号,b2,2026-09-20 12:00:00,1\n"
        "1,店A:一号,b7,2026-09-21 12:00:00,2\n",
        encoding="utf-8",
    )
    db = work / "kefu.duckdb"
    names = [str(work / f) for f in ("agents.csv", "messages.csv", "orders.csv", "kefueval.csv")]
    kefu("import", *names, "--db", str(db))
    return db


def pay_of(db: Path, shop_id: str) -> dict[str, dict[str, Any]]:
    out = json.loads(
        kefu("pay", "--month", "2026-09", "--shop", shop_id, "--format", "json", "--db", str(db))
    )
    return {a["agent_id"]: a for a in out["agents"]}


def line(agent: dict[str, Any], component: str) -> dict[str, Any]:
    return next(x for x in agent["lines"] if x["component"] == component)


def test_a_seat_handed_over_mid_month_pays_both_persons_by_their_own_tenure(shop: Path) -> None:
    pay = pay_of(shop, "店A")
    assert sorted(pay) == ["E1", "E2", "E3", "E4"]  # persons, not seats
    # 张三: hired 2025-01-01, left 09-15: 21 full months to 2026-10-01 → 7 steps, 15/30 days
    e1 = line(pay["E1"], "base")
    assert (e1["inputs"]["tenure_months"], e1["inputs"]["days_employed"]) == (21, 15)
    assert e1["amount_fen"] == (300000 + 7 * 10000) * 15 // 30 == 185000
    # 李四: hired 09-16 on the same seat: her own tenure (0), her own 15 days
    e2 = line(pay["E2"], "base")
    assert (e2["inputs"]["tenure_months"], e2["inputs"]["days_employed"]) == (0, 15)
    assert e2["amount_fen"] == 300000 * 15 // 30 == 150000
    assert e2["inputs"]["seats"] == [
        {"agent_id": "店A:一号", "from": "2026-09-16", "until": "2026-09-30"}
    ]
    # the seat's sales split by date: 李四's 200 yuan beats 张三's 100 and 赵六's 30 + 40
    assert line(pay["E2"], "rank_bonus")["amount_fen"] == 10000
    assert line(pay["E1"], "rank_bonus")["amount_fen"] == 0
    assert pay["E1"]["total_fen"] == 185000 and pay["E2"]["total_fen"] == 160000


def test_kpis_per_seat_and_per_person(shop: Path) -> None:
    def rows(*extra: str) -> dict[str, dict[str, Any]]:
        out = json.loads(
            kefu(
                "kpi",
                "--month",
                "2026-09",
                "--shop",
                "店A",
                "--format",
                "json",
                "--db",
                str(shop),
                *extra,
            )
        )
        return {a["agent_id"]: a for a in out["agents"]}

    seats = rows()
    assert seats["店A:一号"]["sales_fen"] == 30000 and seats["店A:一号"]["inquiring_buyers"] == 2
    people = rows("--by", "person")
    assert sorted(people) == ["E1", "E2", "E3", "E4"]
    assert (people["E1"]["sales_fen"], people["E1"]["inquiring_buyers"]) == (10000, 1)
    assert (people["E2"]["sales_fen"], people["E2"]["inquiring_buyers"]) == (20000, 1)
    # a person on two seats of one shop: their seats summed
    assert (people["E4"]["sales_fen"], people["E4"]["paying_buyers"]) == (7000, 2)
    assert [s["agent_id"] for s in people["E4"]["seats"]] == ["店A:三号", "店A:四号"]
    # each holder's service evaluations: those given on the days they held the seat
    assert (seats["店A:一号"]["evaluations"], seats["店A:一号"]["satisfied_evaluations"]) == (3, 2)
    assert (people["E1"]["evaluations"], people["E1"]["satisfaction_rate"]) == (1, 1)
    assert (people["E2"]["evaluations"], people["E2"]["satisfaction_rate"]) == (2, 0.5)
    assert "seats" not in seats["店A:一号"]


def test_a_person_on_two_seats_in_two_shops_is_paid_one_base(shop: Path) -> None:
    a, b = pay_of(shop, "店A")["E3"], pay_of(shop, "店B")["E3"]
    # 30 days on 店A:二号, 20 on 店B:一号 (from 09-11): the base is paid in 店A
    base_a, base_b = line(a, "base"), line(b, "base")
    assert base_a["amount_fen"] == 300000 + 6 * 10000  # hired 2025-03-01: 19 months, 6 steps
    assert base_b["amount_fen"] == 0 and base_b["inputs"]["paid_in_shop"] == "店A"
    assert base_b["inputs"]["tenure_months"] == 19  # the person's tenure, whatever the seat
    assert base_b["inputs"]["seats"] == [
        {"agent_id": "店B:一号", "from": "2026-09-11", "until": "2026-09-30"}
    ]
    assert "店A" in base_b["explanation"]
    # each shop pays on its own figures: the rank bonus in 店B is for 店B's 70 yuan
    assert line(b, "rank_bonus")["amount_fen"] == 10000


def test_payslip_by_seat_names_its_holder_and_lists_the_seats(shop: Path) -> None:
    out = kefu(
        "payslip", "--month", "2026-09", "--shop", "店B", "--agent", "店B:一号", "--db", str(shop)
    )
    assert "王五 (E3)" in out and "店B:一号 (2026-09-11 to 2026-09-30)" in out
    result = runner.invoke(
        app,
        [
            "payslip",
            "--month",
            "2026-09",
            "--shop",
            "店A",
            "--agent",
            "店A:一号",
            "--db",
            str(shop),
        ],
    )
    assert result.exit_code != 0 and "E1" in result.output and "E2" in result.output


def test_importing_the_file_again_changes_nothing(shop: Path, tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    shutil.copy(shop, db)
    with open_store(db) as s:
        before = s.con.execute("SELECT * FROM seat_holders ORDER BY ALL").fetchall()
        persons = s.con.execute("SELECT * FROM persons ORDER BY ALL").fetchall()
    out = kefu("import", str(shop.parent / "agents.csv"), "--db", str(db))
    assert "quarantined" in out
    with open_store(db) as s:
        assert s.con.execute("SELECT * FROM seat_holders ORDER BY ALL").fetchall() == before
        assert s.con.execute("SELECT * FROM persons ORDER BY ALL").fetchall() == persons
        assert len(before) == 6 and len(persons) == 4


def test_an_old_agents_file_is_one_seat_one_person(tmp_path: Path) -> None:
    f = tmp_path / "agents.csv"
    f.write_text(
        "子账号,姓名,岗位,入职日期\n甲店:小美,小美,售前,2024-03-01\n乙店:小美,美美,售前,2025-01-01\n"
    )
    db = tmp_path / "k.duckdb"
    kefu("import", str(f), "--db", str(db))
    with open_store(db) as s:
        held = s.con.execute("SELECT * FROM seat_holders ORDER BY shop_id").fetchall()
        people = dict(s.con.execute("SELECT person_id, name FROM persons").fetchall())
    assert held == [
        ("乙店", "乙店:小美", "乙店:小美", None, None),
        ("甲店", "甲店:小美", "甲店:小美", None, None),
    ]
    assert people == {"甲店:小美": "小美", "乙店:小美": "美美"}


@pytest.mark.parametrize("version", [v for v in released_versions() if v < SCHEMA_VERSION])
def test_an_upgraded_store_has_a_person_per_agent(tmp_path: Path, version: int) -> None:
    path = released(version, tmp_path)
    with open_store(path) as s:
        agents = s.con.execute(
            "SELECT shop_id, agent_id, name, hired_on, left_on FROM agents ORDER BY ALL"
        ).fetchall()
        held = s.con.execute("SELECT * FROM seat_holders ORDER BY ALL").fetchall()
        people = s.con.execute("SELECT * FROM persons ORDER BY ALL").fetchall()
    assert agents
    assert held == [(shop, agent, agent, None, None) for shop, agent, *_ in agents]
    assert people == sorted((agent, name, hired, left) for _, agent, name, hired, left in agents)


def test_one_seat_one_person_pays_byte_for_byte_as_seats_did(
    demo_store: dict[str, Any], tmp_path: Path
) -> None:
    """The demo shop (every seat its own person): pay per person is pay per seat, exactly."""
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_store["db"], db)
    plan = load_plan("seed")
    with open_store(db) as s:
        for month in (demo_store["complete"], f"{demo_store['complete'][:4]}-06"):
            seats = prepare(plan, demo_store["shop"], month, ChosenKpis(s))
            people = prepare(plan, demo_store["shop"], month, PersonKpis(s, ChosenKpis(s)))
            assert json.dumps(pay_json(people.pay), ensure_ascii=False) == json.dumps(
                pay_json(seats.pay), ensure_ascii=False
            )
            assert json.dumps(people.inputs, ensure_ascii=False, sort_keys=True) == json.dumps(
                seats.inputs, ensure_ascii=False, sort_keys=True
            )


@pytest.mark.spark
def test_the_split_is_the_same_on_spark(shop: Path, tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    shutil.copy(shop, db)
    with open_store(db) as s:
        duck = PersonKpis(s, ChosenKpis(s)).shop_months("店A", ["2026-09"])["2026-09"]
        spark = PersonKpis(s, ChosenKpis(s, engine="spark"), engine="spark").shop_months(
            "店A", ["2026-09"]
        )["2026-09"]
    assert spark.to_json() == duck.to_json()


# -- the interval rules, as a property --------------------------------------------------------------
DAY0 = date(2026, 1, 1)
holding = st.tuples(
    st.sampled_from(["P1", "P2", "P3"]),
    st.one_of(st.none(), st.integers(0, 40)),
    st.one_of(st.none(), st.integers(0, 40)),
    st.sampled_from(["店:一", "店:二"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(holding, min_size=1, max_size=6))
def test_no_seat_has_two_holders_on_a_day(tmp_path: Path, rows: list[tuple[Any, ...]]) -> None:
    """Whatever the file: the rows kept never overlap on one seat, and every row refused is
    one that would (or runs backwards), named by file, row and column."""

    def day(n: int | None) -> str:
        return "" if n is None else (DAY0 + timedelta(days=n)).isoformat()

    lines = ["子账号,姓名,岗位,工号,使用开始,使用结束"]
    for person, start, end, seat in rows:
        lines.append(f"{seat},{person},售前,{person},{day(start)},{day(end)}")
    f = tmp_path / "seats.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pf = read_file(f)
    kept = pf.table.to_pylist()
    assert len(kept) + len(pf.quarantine) == len(rows)
    spans = [(r["agent_id"], (r["held_from"], r["held_until"])) for r in kept]
    for i, (seat, a) in enumerate(spans):
        assert a[0] is None or a[1] is None or a[0] <= a[1]
        for seat2, b in spans[i + 1 :]:
            assert seat != seat2 or not overlaps(a, b)
    for q in pf.quarantine:
        assert q["file"] == "seats.csv" and q["row_no"] is not None
        assert q["column"] in ("held_from", "held_until")
        _, start, end, seat = rows[q["row_no"] - 2]
        mine = (
            None if start is None else DAY0 + timedelta(days=start),
            None if end is None else DAY0 + timedelta(days=end),
        )
        backwards = mine[0] is not None and mine[1] is not None and mine[1] < mine[0]
        assert backwards or any(s == seat and overlaps(mine, span) for s, span in spans)


def test_the_chinese_template_carries_the_person_and_the_interval(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from kefu.cli.template import write_template

    path = tmp_path / "客服名单.xlsx"
    write_template("agents", path, "zh")
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[-3:] == ["工号", "使用开始", "使用结束"]
    rows = [
        [
            "店",
            "店:一号",
            "张三",
            "售前",
            None,
            date(2025, 1, 1),
            None,
            "E1",
            None,
            date(2026, 9, 15),
        ],
        [
            "店",
            "店:一号",
            "李四",
            "售前",
            None,
            date(2026, 9, 16),
            None,
            "E2",
            date(2026, 9, 16),
            None,
        ],
        [
            "店",
            "店:一号",
            "王五",
            "售前",
            None,
            date(2026, 1, 1),
            None,
            "E3",
            date(2026, 9, 10),
            None,
        ],
    ]
    for r, values in enumerate(rows, start=2):
        for c, v in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=v)
    wb.save(path)
    db = tmp_path / "k.duckdb"
    out = kefu("import", str(path), "--db", str(db))
    assert (
        "row 4, held_from" in out and "overlaps row 2" in out
    )  # 王五 from 09-10: 张三 until 09-15
    with open_store(db) as s:
        held = s.con.execute(
            "SELECT person_id, held_from, held_until FROM seat_holders ORDER BY 1"
        ).fetchall()
        seat = s.con.execute("SELECT name, hired_on, left_on FROM agents").fetchall()
    assert held == [("E1", None, date(2026, 9, 15)), ("E2", date(2026, 9, 16), None)]
    assert seat == [("李四", date(2025, 1, 1), None)]  # the latest holder; every holder's days


# A seat handed over mid-month in a shop read only from its platform's DAILY report: each
# holder's month is the sum of the days they held the seat (counts, never rates averaged).
REPORT_AGENTS = """店铺,子账号,姓名,岗位,入职日期,离职日期,工号,使用开始,使用结束
店R,店R:一号,张三,售前,2025-01-01,2026-09-15,R1,,
店R,店R:一号,李四,售前,2026-09-16,,R2,,
"""
# day → (咨询人数, 询单人数, 询单最终付款人数, 销售额 元, 成功退款金额 元, 净销售额 元)
REPORT_DAYS = {
    5: (10, 8, 4, "1000.00", "0.00", "1000.00"),
    12: (6, 5, 1, "300.00", "100.00", "200.00"),
    20: (9, 6, 3, "900.00", "0.00", "900.00"),
    28: (4, 4, 2, "500.00", "50.00", "450.00"),
}


def _sycm_day(folder: Path, day: int, seat: str) -> Path:
    from reportdata import SYCM_HEADER, write_csv

    c, inq, pay, sales, refund, net = REPORT_DAYS[day]
    cells = {
        "旺旺昵称": seat,
        "咨询人数": str(c),
        "有效接待人数": str(c),
        "询单人数": str(inq),
        "询单最终付款人数": str(pay),
        "询单转化率": f"{pay / inq * 100:.2f}%",
        "下单人数": str(pay),
        "销售人数": str(pay),
        "销售额": sales,
        "订单量": str(pay),
        "成功退款金额": refund,
        "净销售额": net,
        "个人销售额占比": "100%",
        "平均响应时长（秒）": "20",  # a rate of the day: never averaged into a month
        "旺旺回复率": "100%",
    }
    name = f"客服绩效_付款判定_2026-09-{day:02d}至2026-09-{day:02d}.csv"
    return write_csv(folder / name, [SYCM_HEADER, [cells[h] for h in SYCM_HEADER]])


def _sycm_month(folder: Path, seat: str) -> Path:
    from reportdata import SYCM_HEADER, write_csv

    row = dict(zip(SYCM_HEADER, [seat, "29", "29", "23", "10", "43.48%", "10", "10"], strict=False))
    row.update({"销售额": "2700.00", "订单量": "10", "成功退款金额": "150.00"})
    row.update({"净销售额": "2550.00", "个人销售额占比": "100%", "平均响应时长（秒）": "20"})
    row["旺旺回复率"] = "100%"
    name = "客服绩效_付款判定_2026-09-01至2026-09-30.csv"
    return write_csv(folder / name, [SYCM_HEADER, [row[h] for h in SYCM_HEADER]])


def test_a_daily_report_splits_a_handed_over_seat_by_date(tmp_path: Path) -> None:
    (tmp_path / "agents.csv").write_text(REPORT_AGENTS, encoding="utf-8")
    days = [_sycm_day(tmp_path, d, "店R:一号") for d in REPORT_DAYS]
    db = str(tmp_path / "kefu.duckdb")
    kefu("import", str(tmp_path / "agents.csv"), *map(str, days), "--db", db)
    kpi = json.loads(
        kefu("kpi", "--month", "2026-09", "--format", "json", "--by", "person", "--db", db)
    )
    people = {a["agent_id"]: a for a in kpi["agents"]}
    assert sorted(people) == ["R1", "R2"]
    # 张三 held the seat on the 5th and the 12th, 李四 on the 20th and the 28th
    r1, r2 = people["R1"], people["R2"]
    assert (r1["consulted_buyers"], r1["inquiring_buyers"], r1["paying_buyers"]) == (16, 13, 5)
    assert (r1["sales_fen"], r1["refund_fen"], r1["net_sales_fen"]) == (130000, 10000, 120000)
    assert (r2["consulted_buyers"], r2["inquiring_buyers"], r2["paying_buyers"]) == (13, 10, 5)
    assert (r2["sales_fen"], r2["refund_fen"], r2["net_sales_fen"]) == (140000, 5000, 135000)
    assert r1["conversion_rate"] == 5 / 13 and r2["conversion_rate"] == 5 / 10
    assert r1["avg_response_s"] is None  # a day's rate is not a month's
    # pay, by hand (seed plan): each person's own tenure and days, each their own sales
    pay = pay_of(Path(db), "店R")
    assert sorted(pay) == ["R1", "R2"]
    b1, b2 = line(pay["R1"], "base"), line(pay["R2"], "base")
    # 张三: 21 full months to 2026-10-01 → 7 steps of 100 yuan on 3000, 15 of 30 days
    assert (b1["inputs"]["tenure_months"], b1["inputs"]["days_employed"]) == (21, 15)
    assert b1["amount_fen"] == (300000 + 7 * 10000) * 15 // 30 == 185000
    assert (b2["inputs"]["tenure_months"], b2["inputs"]["days_employed"]) == (0, 15)
    assert b2["amount_fen"] == 300000 * 15 // 30 == 150000
    # the rank bonus goes to the higher net sales of the month: 李四's 1350 yuan over 1200
    assert line(pay["R2"], "rank_bonus")["amount_fen"] == 10000
    assert line(pay["R1"], "rank_bonus")["amount_fen"] == 0


def test_a_monthly_report_cannot_split_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "agents.csv").write_text(REPORT_AGENTS, encoding="utf-8")
    month = _sycm_month(tmp_path, "店R:一号")
    db = str(tmp_path / "kefu.duckdb")
    kefu("import", str(tmp_path / "agents.csv"), str(month), "--db", db)
    out = " ".join(kefu("kpi", "--month", "2026-09", "--by", "person", "--db", db).split())
    # the month goes whole to the holder with the most days (15 each: the first, 张三), and
    # the note names the seat, both persons and their days
    assert "店R:一号" in out and "张三 (R1)" in out and "李四 (R2)" in out
    assert "2026-09-01 – 2026-09-15" in out and "2026-09-16 – 2026-09-30" in out
    assert "monthly report cannot be split" in out
    kpi = json.loads(
        kefu("kpi", "--month", "2026-09", "--format", "json", "--by", "person", "--db", db)
    )
    people = {a["agent_id"]: a for a in kpi["agents"]}
    assert people["R1"]["sales_fen"] == 270000 and "R2" not in people
    assert kpi["source"]["handovers"][0]["seat"] == "店R:一号"
    paid = " ".join(kefu("pay", "--month", "2026-09", "--db", db).split())
    assert "monthly report cannot be split" in paid and "李四 (R2)" in paid
