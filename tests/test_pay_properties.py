"""Properties of pay (hypothesis): lines sum to totals; a marginal commission never falls as
sales grow; no float reaches a money value; a payroll run is reproducible bit for bit."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu.metrics.table import ShopMonth, month_range
from kefu.pay.components import tiered
from kefu.pay.compute import pay_month
from kefu.pay.plan import SHIPPED, Tier, load_plan
from kefu.pay.runs import prepare, reproduce, store_run
from kefu.report.payslip import explain_both, pay_json
from kefu.store import open_store
from kefu.store.payroll import PayrollRuns, canonical_json
from test_pay_support import SHOP, agent, shop_month, source

PLANS = {name: load_plan(name) for name in SHIPPED}


@st.composite
def agent_parts(draw: st.DrawFn) -> dict[str, int]:
    inquiring = draw(st.integers(0, 300))
    paying = draw(st.integers(0, inquiring))
    new = draw(st.integers(0, 20_000_000))
    ret = draw(st.integers(0, 20_000_000))
    refund = draw(st.integers(0, (new + ret) // 4))
    reviews = draw(st.integers(0, 50))
    return {
        "inquiring_buyers": inquiring,
        "paying_buyers": paying,
        "sales_fen": new + ret,
        "refund_fen": refund,
        "net_sales_fen": new + ret - refund,
        "new_buyer_sales_fen": new,
        "returning_buyer_sales_fen": ret,
        "new_buyer_net_sales_fen": new,
        "returning_buyer_net_sales_fen": ret - refund if ret >= refund else 0,
        "reviews": reviews,
        "good_reviews": draw(st.integers(0, reviews)),
        "bad_reviews": draw(st.integers(0, reviews)) if reviews else 0,
        "receptions": draw(st.integers(0, 500)),
        "returning_paying_buyers": draw(st.integers(0, paying)),
        "repurchasing_buyers": draw(st.integers(0, paying)),
    }


@st.composite
def shops(draw: st.DrawFn, months: list[str]) -> dict[str, ShopMonth]:
    n = draw(st.integers(1, 4))
    specs = []
    for i in range(n):
        hired = draw(st.dates(date(2019, 1, 1), date(2025, 12, 31)))
        left = draw(st.none() | st.dates(hired, date(2026, 12, 31)))
        role = draw(st.sampled_from(["presale", "presale", "aftersale"]))
        specs.append((f"agent{i}", role, hired, left, draw(st.booleans()) or i > 0))
    out = {}
    for m in months:
        rows = []
        for agent_id, role, hired, left, known in specs:
            rows.append(
                agent(
                    agent_id,
                    m,
                    role=role,
                    hired_on=hired,
                    left_on=left,
                    known=known,
                    **draw(agent_parts()),
                )
            )
        out[m] = shop_month(m, rows)
    return out


MONTHS = month_range("2025-10", "2025-12")


def _floats(value: Any, path: str = "") -> list[str]:
    if isinstance(value, float):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _floats(v, f"{path}.{k}")]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _floats(v, f"{path}[{i}]")]
    return []


@settings(max_examples=60, deadline=None)
@given(data=shops(MONTHS), plan=st.sampled_from(SHIPPED), month=st.sampled_from(MONTHS))
def test_lines_sum_to_totals_and_no_float_reaches_money(
    data: dict[str, ShopMonth], plan: str, month: str
) -> None:
    pay = pay_month(PLANS[plan], SHOP, month, data)
    for a in pay.agents:
        assert a.total_fen == sum(line.amount_fen for line in a.lines)
        for line in a.lines:
            assert type(line.amount_fen) is int
    assert pay.total_fen == sum(a.total_fen for a in pay.agents)
    out = pay_json(pay, "zh")
    assert out["total_fen"] == sum(a["total_fen"] for a in out["agents"])
    for a in out["agents"]:
        assert a["total_fen"] == sum(x["amount_fen"] for x in a["lines"])
    # the one float of the contract is the payroll share (a ratio, not money)
    assert _floats(out) in ([], [".payroll_share_of_net_sales"])
    assert _floats(pay.to_record()) == []


@st.composite
def marginal_tiers(draw: st.DrawFn) -> tuple[Tier, ...]:
    bounds = sorted(set(draw(st.lists(st.integers(1, 50_000_000), max_size=4))))
    lowers = [0, *bounds]
    rates = [Fraction(draw(st.integers(0, 2000)), 10000) for _ in lowers]
    uppers: list[int | None] = [*bounds, None]
    return tuple(Tier(lo, hi, r) for lo, hi, r in zip(lowers, uppers, rates, strict=True))


@given(tiers=marginal_tiers(), a=st.integers(-1000, 80_000_000), b=st.integers(0, 80_000_000))
def test_a_marginal_commission_never_decreases_when_sales_grow(
    tiers: tuple[Tier, ...], a: int, b: int
) -> None:
    assert tiered(Fraction(a + b), tiers, "marginal") >= tiered(Fraction(a), tiers, "marginal")


@settings(max_examples=40, deadline=None)
@given(extra=st.integers(0, 10_000_000), base=agent_parts())
def test_the_seed_commission_never_decreases_when_sales_grow(
    extra: int, base: dict[str, int]
) -> None:
    """Through the whole seed plan: an agent alone (gates against herself hold), more sales."""
    month = "2025-11"

    def commission(parts: dict[str, int]) -> int:
        sm = shop_month(month, [agent("a", month, **parts)])
        [a] = pay_month(PLANS["seed"], SHOP, month, {month: sm}).agents
        return sum(x.amount_fen for x in a.lines if x.component == "commission")

    more = dict(base)
    for k in ("sales_fen", "net_sales_fen", "new_buyer_sales_fen", "new_buyer_net_sales_fen"):
        more[k] += extra
    if base["inquiring_buyers"] >= 30 and base["paying_buyers"] > 0:
        assert commission(more) >= commission(base)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=shops(MONTHS), plan=st.sampled_from(SHIPPED))
def test_a_payroll_run_is_reproducible_bit_for_bit(
    tmp_path: Path, data: dict[str, ShopMonth], plan: str
) -> None:
    db = tmp_path / f"runs-{abs(hash(canonical_json(sorted(data))))}-{plan}.duckdb"
    db.unlink(missing_ok=True)
    with open_store(db) as store:
        runs = PayrollRuns(store)
        first = store_run(
            runs,
            prepare(PLANS[plan], SHOP, "2025-11", source(data)),
            datetime(2026, 1, 1),
            explain_both,
        )
        runs.approve(first.run_id, datetime(2026, 1, 2))
        # change the data, then run the next month: its inputs include the settled month
        changed = dict(data)
        changed["2025-11"] = shop_month("2025-11", [])
        second = store_run(
            runs,
            prepare(PLANS[plan], SHOP, "2025-12", source(changed), runs.all(SHOP)),
            datetime(2026, 1, 3),
            explain_both,
        )
        for run in (runs.get(first.run_id), second):
            assert run is not None and run.intact()
            same, pay = reproduce(run)
            assert same
            assert canonical_json(pay.to_record()) == run.results_json
