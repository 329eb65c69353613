"""Taobao 服务评价: imported from API-named or Chinese headers (GBK, UTF-8, xlsx), bad rows
quarantined, re-import changes nothing; the satisfaction figures in kpi and reconcile."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.metrics.reconcile import reconcile
from kefu.store import open_store
from kefu.store.ingest import import_files
from reportdata import CHITU_HEADER, write_csv

from shopdata import Shop

SHOP = "小美旗舰店"
API = ["eval_code", "eval_recer", "eval_sender", "eval_time", "source"]
CHINESE = ["评价时间", "被评价客服", "买家", "评价结果", "评价来源"]
WORDS = ["非常满意", "满意", "一般", "不满意", "非常不满意"]
SOURCE_WORDS = ["客服邀评", "消费者自主评价", "系统邀评"]
ROWS = [  # agent, buyer, time, code, source
    ("小美", "tb001", "2024-09-03 10:00:00", 0, 0),
    ("小美", "tb002", "2024-09-04 11:00:00", 1, 1),
    ("小美", "tb003", "2024-09-05 12:00:00", 4, 2),
    ("阿杰", "tb001", "2024-09-05 13:00:00", 2, 1),
]


def api_rows(rows=ROWS) -> list[list[str]]:
    return [API] + [[str(c), f"{SHOP}:{a}", b, t, str(s)] for a, b, t, c, s in rows]


def chinese_rows(rows=ROWS) -> list[list[str]]:
    return [CHINESE] + [
        [t.replace("-", "/"), a, b, WORDS[c], SOURCE_WORDS[s]] for a, b, t, c, s in rows
    ]


def stored(db: Path) -> list[tuple]:
    with open_store(db) as s:
        return s.con.execute(
            "SELECT shop_id, agent_id, buyer_id, evaluated_at, eval_code, eval_source"
            " FROM service_evals ORDER BY ALL"
        ).fetchall()


def test_api_csv_chinese_gbk_and_xlsx_store_the_same(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "kefueval.csv", api_rows(), encoding="utf-8")
    b = write_csv(tmp_path / "服务评价.csv", chinese_rows(), encoding="gbk")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["服务评价导出"])  # a title row above the header
    for r in chinese_rows():
        ws.append(r)
    c = tmp_path / "服务评价.xlsx"
    wb.save(c)
    got = []
    for i, f in enumerate((a, b, c)):
        db = tmp_path / f"{i}.duckdb"
        with open_store(db) as s:
            (r,) = import_files(s, [f], shop=SHOP)
            assert r.ok and r.kind == "service_evals", r.error
            assert (r.imported, r.quarantined) == (4, 0)
        got.append(stored(db))
    assert got[0] == got[1] == got[2]
    assert got[0][0] == (SHOP, f"{SHOP}:小美", "tb001", datetime(2024, 9, 3, 10), 0, 0)


def test_reimport_changes_nothing_and_a_changed_rating_updates(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "kefueval.csv", api_rows(), encoding="utf-8")
    db = tmp_path / "k.duckdb"
    with open_store(db) as s:
        import_files(s, [f])
        (r,) = import_files(s, [f])
        assert (r.imported, r.updated, r.duplicates) == (0, 0, 4)
    before = stored(db)
    changed = [(a, b, t, 3 if b == "tb003" else c, s) for a, b, t, c, s in ROWS]
    g = write_csv(tmp_path / "kefueval2.csv", api_rows(changed), encoding="utf-8")
    with open_store(db) as s:
        (r,) = import_files(s, [g])
        assert (r.imported, r.updated, r.duplicates) == (0, 1, 3)
    after = stored(db)
    assert len(after) == len(before) and [x[4] for x in after if x[2] == "tb003"] == [3]


def test_bad_rows_are_quarantined_with_file_row_and_column(tmp_path: Path) -> None:
    rows = [
        *api_rows(),
        ["9", f"{SHOP}:小美", "tb009", "2024-09-06 10:00:00", "1"],  # row 6: no such rating
        ["1", f"{SHOP}:小美", "tb010", "2024-09-06 10:00:00", "7"],  # row 7: no such source
        ["1", f"{SHOP}:小美", "tb011", "2024-13-06 10:00:00", "1"],  # row 8: no such date
        ["1", f"{SHOP}:小美", "", "2024-09-06 10:00:00", "1"],  # row 9: no buyer
        ["0", f"{SHOP}:小美", "tb001", "2024-09-03 10:00:00", "0"],  # row 10: row 2 again
        ["0", f"{SHOP}:小美", "tb\x1b012", "2024-09-06 10:00:00", "0"],  # row 11: ESC in the id
    ]
    f = write_csv(tmp_path / "kefueval.csv", rows, encoding="utf-8")
    with open_store(tmp_path / "k.duckdb") as s:
        (r,) = import_files(s, [f])
        assert r.ok and (r.imported, r.quarantined) == (4, 6)
        where = [(q["row_no"], q["column"]) for q in r.quarantine]
        assert where == [
            (6, "eval_code"),
            (7, "source"),
            (8, "eval_time"),
            (9, "eval_sender"),
            (10, "eval_time"),
            (11, "eval_sender"),
        ]
        assert "row 2" in r.quarantine[4]["reason"]
        assert all(q["file"] == "kefueval.csv" for q in r.quarantine)
        kept = s.con.execute("SELECT count(*) FROM quarantine").fetchone()
        assert kept == (6,)
        (again,) = import_files(s, [f])  # the same file again: its quarantine is not repeated
        assert again.duplicates == 4
        assert s.con.execute("SELECT count(*) FROM quarantine").fetchone() == (6,)


def test_files_refused_in_one_sentence(tmp_path: Path) -> None:
    no_buyer = write_csv(
        tmp_path / "a.csv",
        [["eval_code", "eval_recer", "eval_time"], ["0", f"{SHOP}:小美", "2024-09-03 10:00:00"]],
        encoding="utf-8",
    )
    no_shop = write_csv(
        tmp_path / "b.csv",
        [API, ["0", "小美", "tb1", "2024-09-03 10:00:00", "0"]],
        encoding="utf-8",
    )
    with open_store(tmp_path / "k.duckdb") as s:
        r1, r2 = import_files(s, [no_buyer, no_shop])
        assert not r1.ok and "eval_sender" in r1.error
        assert not r2.ok and "--shop" in r2.error
        assert s.con.execute("SELECT count(*) FROM service_evals").fetchone() == (0,)


evaluation = st.tuples(
    st.sampled_from(["小美", "阿杰", "客服A"]),
    st.text(alphabet="tb0123456789买家", min_size=1, max_size=8),
    st.integers(0, 60 * 24 * 60),
    st.integers(0, 4),
    st.sampled_from([0, 1, 2, None]),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(evaluation, max_size=25, unique_by=lambda e: (e[0], e[1], e[2])),
    st.sampled_from(["api-utf8", "chinese-gbk", "api-utf8-sig"]),
)
def test_any_file_of_evaluations_imports_exactly_and_once(
    tmp_path_factory, rows: list, form: str
) -> None:
    tmp = tmp_path_factory.mktemp("ev")
    t0 = datetime(2024, 9, 1)
    when = [(t0 + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S") for _, _, m, _, _ in rows]
    if form.startswith("api"):
        body = [API] + [
            [str(c), f"{SHOP}:{a}", b, w, "" if s is None else str(s)]
            for (a, b, _, c, s), w in zip(rows, when, strict=True)
        ]
        enc = "utf-8-sig" if form.endswith("sig") else "utf-8"
    else:
        body = [CHINESE] + [
            [w, f"{SHOP}:{a}", b, WORDS[c], "" if s is None else SOURCE_WORDS[s]]
            for (a, b, _, c, s), w in zip(rows, when, strict=True)
        ]
        enc = "gbk"
    buf = io.StringIO()
    csv.writer(buf).writerows(body)
    f = tmp / "evals.csv"
    f.write_bytes(buf.getvalue().encode(enc))
    db = tmp / "k.duckdb"
    with open_store(db) as s:
        (r,) = import_files(s, [f])
        assert r.ok and (r.imported, r.quarantined) == (len(rows), 0), r.error
        (again,) = import_files(s, [f])
        assert (again.imported, again.updated, again.duplicates) == (0, 0, len(rows))
    want = sorted(
        (SHOP, f"{SHOP}:{a}", b, t0 + timedelta(minutes=m), c, s) for a, b, m, c, s in rows
    )
    assert stored(db) == want


def test_kpi_shows_the_satisfaction_rate(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "kefueval.csv", api_rows(), encoding="utf-8")
    db = tmp_path / "k.duckdb"
    with open_store(db) as s:
        import_files(s, [f])
    args = ["kpi", "--month", "2024-09", "--db", str(db)]
    out = CliRunner().invoke(app, [*args, "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    mei = next(a for a in data["agents"] if a["agent_id"] == f"{SHOP}:小美")
    assert (mei["evaluations"], mei["satisfied_evaluations"]) == (3, 2)
    assert data["team"]["satisfaction_rate"] == 0.5  # (非常满意 1 + 满意 1) / 4
    table = CliRunner().invoke(app, [*args, "--columns", "satisfaction_rate"])
    assert "满意率" in table.output and "66.7%" in table.output, table.output


def _chitu_with_satisfaction(tmp_path: Path, very: int, satisfied: int, bad: int) -> Path:
    header = [h for h in CHITU_HEADER if h != "平均上线时间"] + [
        "服务满意度评价参与量",
        "服务满意度评价很满意",
        "服务满意度评价满意",
        "服务满意度评价一般",
        "服务满意度评价不满",
        "服务满意度评价很不满",
    ]
    row = dict.fromkeys(header, "")
    row.update({"客服": f"{SHOP}:小美", "聊天人数": "1", "接待人数": "1", "询单人数": "1"})
    row.update(
        {
            "服务满意度评价参与量": str(very + satisfied + bad),
            "服务满意度评价很满意": str(very),
            "服务满意度评价满意": str(satisfied),
            "服务满意度评价一般": "0",
            "服务满意度评价不满": "0",
            "服务满意度评价很不满": str(bad),
        }
    )
    return write_csv(
        tmp_path / "自定义报表_月报_下单判定_2024-09-01至2024-09-30.csv",
        [header, [row[h] for h in header]],
    )


def test_reconcile_compares_satisfaction_counts_when_both_sides_have_them(tmp_path: Path) -> None:
    s = Shop().agent(f"{SHOP}:小美", shop=SHOP)
    s.chat(
        "tb001",
        f"{SHOP}:小美",
        ("2024-09-03 09:00:00", "buyer"),
        ("2024-09-03 09:00:30", "agent"),
        shop=SHOP,
    )
    store = s.store(tmp_path / "k.duckdb")
    report = _chitu_with_satisfaction(tmp_path, very=1, satisfied=2, bad=1)
    (r,) = import_files(store, [report])
    assert r.ok, r.error
    rec = reconcile(store, SHOP, "2024-09")
    assert rec is not None
    assert not [d for d in rec.rows if d.field.startswith("evaluations")]  # no kefu side yet
    f = write_csv(tmp_path / "kefueval.csv", api_rows(ROWS[:3]), encoding="utf-8")
    (r,) = import_files(store, [f])
    assert r.ok, r.error
    rec = reconcile(store, SHOP, "2024-09")
    assert rec is not None
    by = {d.field: d for d in rec.rows if d.agent_id == f"{SHOP}:小美"}
    assert (by["evaluations_very_satisfied"].kefu, by["evaluations_very_satisfied"].report) == (
        1,
        1,
    )
    assert by["evaluations_very_satisfied"].agrees
    assert (by["evaluations_satisfied"].kefu, by["evaluations_satisfied"].report) == (1, 2)
    assert not by["evaluations_satisfied"].agrees
    assert (by["evaluations"].kefu, by["evaluations"].report) == (3, 4)
    sat = by["satisfaction_rate"]
    assert (sat.kefu, sat.report) == (Fraction(2, 3), Fraction(3, 4)) and not sat.agrees
    store.close()


def test_a_month_read_from_a_report_takes_kefus_own_evaluations(tmp_path: Path) -> None:
    from reportdata import chitu_month

    db = tmp_path / "k.duckdb"
    report = chitu_month(tmp_path, shop=SHOP, month="2024-09")
    f = write_csv(tmp_path / "kefueval.csv", api_rows(), encoding="utf-8")
    with open_store(db) as s:
        for r in import_files(s, [report]):
            assert r.ok, r.error
    args = ["kpi", "--month", "2024-09", "--format", "json", "--db", str(db)]
    before = json.loads(CliRunner().invoke(app, args).output)
    mei = next(a for a in before["agents"] if a["agent_id"] == f"{SHOP}:小美")
    assert mei["evaluations"] is None  # the report gives no counts (its 客户满意率 alone)
    with open_store(db) as s:
        import_files(s, [f])
    after = json.loads(CliRunner().invoke(app, args).output)
    mei = next(a for a in after["agents"] if a["agent_id"] == f"{SHOP}:小美")
    assert (mei["evaluations"], mei["satisfied_evaluations"]) == (3, 2)
    assert mei["satisfaction_rate"] == 2 / 3
    assert "satisfaction_rate" not in mei.get("not_available", [])
