"""End to end on the demo shop: import, kefu pay --plan seed (checked against the seed plan
written out by hand), approve a run, add a refund, see the clawback in the next month."""

from __future__ import annotations

import json
from datetime import timedelta
from fractions import Fraction

import pytest
from typer.testing import CliRunner

pytest.importorskip(
    "kefu.metrics.engine", reason="kefu.metrics.engine (StoreKpis) has not landed yet"
)

from kefu.cli.main import app
from kefu.demo.generate import generate_demo_shop
from kefu.metrics.engine import StoreKpis
from kefu.metrics.fields import pool, round_half_up
from kefu.metrics.table import ShopMonth, month_bounds
from kefu.store import open_store

MONTHS = ["2026-06", "2026-07", "2026-08", "2026-09"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    work = tmp_path_factory.mktemp("demo")
    shop = generate_demo_shop(work / "files", months=len(MONTHS), end_month=MONTHS[-1])
    db = str(work / "kefu.duckdb")
    result = CliRunner().invoke(app, ["import", *map(str, shop.files), "--db", db])
    assert result.exit_code == 0, result.output
    return db, shop.shop_id


def kefu(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _frac(num: int, den: int) -> Fraction | None:
    return Fraction(num, den) if den else None


def seed_by_hand(data: dict[str, ShopMonth], month: str) -> dict[str, int]:
    """spec/pay.md's plan, written out directly from the KPI parts (an independent check)."""
    sm = data[month]
    first, last = month_bounds(month)
    nxt = last + timedelta(days=1)
    paid = [a for a in sm.agents if a.known and a.employed]
    presale = [a for a in paid if a.role == "presale"]
    team = pool(a.parts for a in sm.agents if a.role == "presale")
    top = max((a.parts["net_sales_fen"] for a in presale), default=0)
    quarter_end = int(month[5:]) % 3 == 0
    qmonths = [f"{month[:5]}{m:02d}" for m in range(int(month[5:]) - 2, int(month[5:]) + 1)]
    qteam = pool(
        pool(a.parts for a in data[m].agents if a.role == "presale") for m in qmonths if m in data
    )

    def qparts(agent_id: str) -> dict[str, int]:
        rows = [data[m].agent(agent_id) for m in qmonths if m in data]
        return pool(r.parts for r in rows if r is not None)

    qtop = max((qparts(a.agent_id)["net_sales_fen"] for a in presale), default=0)
    out = {}
    for a in paid:
        assert a.hired_on is not None
        tenure = (
            (nxt.year - a.hired_on.year) * 12 + nxt.month - a.hired_on.month - (a.hired_on.day > 1)
        )
        steps = min(tenure // 3, 8)
        start, end = max(first, a.hired_on), min(last, a.left_on or last)
        total = round_half_up(
            Fraction((300000 + 10000 * steps) * ((end - start).days + 1), last.day)
        )
        p = a.parts
        if a.role == "presale":
            if top > 0 and p["net_sales_fen"] == top:
                total += 10000
            ok = p["net_sales_fen"] >= 3000000 and p["inquiring_buyers"] >= 30
            if ok:
                conv, tconv = (
                    _frac(p["paying_buyers"], p["inquiring_buyers"]),
                    _frac(team["paying_buyers"], team["inquiring_buyers"]),
                )
                spend, tspend = (
                    _frac(p["sales_fen"], p["paying_buyers"]),
                    _frac(team["sales_fen"], team["paying_buyers"]),
                )
                ok = conv is not None and tconv is not None and conv >= tconv
                ok = ok and spend is not None and tspend is not None and spend >= tspend
                if p["reviews"]:
                    ok = ok and Fraction(p["bad_reviews"], p["reviews"]) <= Fraction(
                        team["bad_reviews"], team["reviews"]
                    )
            if ok:
                wn, wr = (
                    (Fraction(6, 5), Fraction(4, 5))
                    if tenure < 6
                    else (Fraction(4, 5), Fraction(6, 5))
                )
                b = p["new_buyer_net_sales_fen"] * wn + p["returning_buyer_net_sales_fen"] * wr
                c = (
                    min(b, 5000000) * Fraction(3, 100)
                    + max(min(b, 10000000) - 5000000, 0) * Fraction(4, 100)
                    + max(b - 10000000, 0) * Fraction(5, 100)
                )
                total += round_half_up(c)
            if quarter_end:
                q = qparts(a.agent_id)
                if q["net_sales_fen"] >= 15000000:
                    if q["inquiring_buyers"] >= 30:
                        qc, tc = (
                            _frac(q["paying_buyers"], q["inquiring_buyers"]),
                            _frac(qteam["paying_buyers"], qteam["inquiring_buyers"]),
                        )
                        qs, ts = (
                            _frac(q["sales_fen"], q["paying_buyers"]),
                            _frac(qteam["sales_fen"], qteam["paying_buyers"]),
                        )
                        total += 30000 if qc is not None and tc is not None and qc >= tc else 0
                        total += 30000 if qs is not None and ts is not None and qs >= ts else 0
                    total += 50000 if q["net_sales_fen"] == qtop else 0
        out[a.agent_id] = total
    return out


def test_seed_pay_on_the_demo_shop_is_pay_md_and_runs_lock_and_claw_back(
    demo: tuple[str, str],
) -> None:
    db, shop = demo
    with open_store(db) as store:
        data = StoreKpis(store).shop_months(shop, MONTHS)
    for month in ("2026-07", "2026-09"):
        doc = json.loads(
            kefu("pay", "--month", month, "--plan", "seed", "--format", "json", "--db", db)
        )
        assert list(doc) == [
            "shop_id",
            "month",
            "plan",
            "agents",
            "total_fen",
            "payroll_share_of_net_sales",
        ]
        got = {a["agent_id"]: a["total_fen"] for a in doc["agents"]}
        assert got == seed_by_hand(data, month), month
        for a in doc["agents"]:
            assert a["total_fen"] == sum(x["amount_fen"] for x in a["lines"])
            assert all(x["explanation"] for x in a["lines"])
        assert doc["total_fen"] == sum(got.values())
        assert doc["payroll_share_of_net_sales"] == pytest.approx(
            doc["total_fen"] / data[month].paid_net_sales_fen
        )

    kefu("payroll", "run", "--month", "2026-07", "--plan", "seed", "--db", db)
    kefu("payroll", "approve", "1", "--db", db)
    with open_store(db) as store:
        before = store.con.execute(
            "SELECT results_json FROM payroll_runs WHERE run_id = 1"
        ).fetchone()
        # every July order is refunded in full, recorded later
        store.con.execute(
            "UPDATE orders SET refund_fen = amount_fen, refunded_at = created_at + INTERVAL 20 DAY"
            " WHERE shop_id = ? AND paid_at IS NOT NULL AND created_at >= '2026-07-01'"
            " AND created_at < '2026-08-01'",
            [shop],
        )
    assert "2026-07" in kefu("payroll", "diff", "1", "--db", db)
    kefu("payroll", "run", "--month", "2026-08", "--plan", "seed", "--db", db)
    with open_store(db) as store:
        after = store.con.execute(
            "SELECT results_json FROM payroll_runs WHERE run_id = 1"
        ).fetchone()
        lines = store.con.execute(
            "SELECT agent_id, amount_fen, for_month, explanation_zh FROM payroll_lines"
            " WHERE run_id = 2 AND component = 'clawback'"
        ).fetchall()
    assert before == after  # the approved run never changes
    assert lines and all(m == "2026-07" for _, _, m, _ in lines)
    assert any(amount < 0 for _, amount, _, _ in lines)
    assert all("追回" in text or "补发" in text for *_, text in lines)
