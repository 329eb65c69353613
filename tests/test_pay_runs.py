"""Payroll runs: stored, approved (locked), reproducible, settled by clawback, diffed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from kefu.pay.plan import load_plan
from kefu.pay.runs import diff, prepare, reproduce, store_run
from kefu.report.payslip import explain, explain_both
from kefu.store import Store, open_store
from kefu.store.database import StoreError
from kefu.store.payroll import PayrollRuns
from test_pay_support import SHOP, good_month, source

SEED = load_plan("seed")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "kefu.duckdb")


def clawbacks(pay_record: dict[str, Any]) -> dict[str, list[int]]:
    return {
        a["agent_id"]: [x["amount_fen"] for x in a["lines"] if x["component"] == "clawback"]
        for a in pay_record["agents"]
    }


def test_a_run_stores_plan_inputs_and_results_with_hashes(store: Store) -> None:
    runs = PayrollRuns(store)
    months = {"2024-05": good_month("2024-05")}
    run = store_run(
        runs, prepare(SEED, SHOP, "2024-05", source(months)), datetime(2024, 6, 20), explain_both
    )
    assert (run.run_id, run.month, run.plan_name, run.approved) == (1, "2024-05", "seed", False)
    assert run.plan_text == SEED.text and run.plan_sha256 == SEED.sha256
    assert run.intact()
    assert run.inputs["shop_months"]["2024-05"]["agents"][0]["parts"]["sales_fen"] == 6000000
    assert run.total_fen == 566000 + 350000 + 350000
    lines = runs.lines(run.run_id)
    assert {x.component for x in lines} == {"base", "rank_bonus", "commission"}
    assert sum(x.amount_fen for x in lines) == run.total_fen


def test_approval_locks_and_an_approved_run_never_changes(store: Store) -> None:
    runs = PayrollRuns(store)
    months = {"2024-05": good_month("2024-05")}
    run = store_run(
        runs, prepare(SEED, SHOP, "2024-05", source(months)), datetime(2024, 6, 20), explain_both
    )
    approved = runs.approve(run.run_id, datetime(2024, 6, 21))
    assert approved.approved_at == datetime(2024, 6, 21)
    with pytest.raises(StoreError, match="was approved"):
        runs.approve(run.run_id, datetime(2024, 6, 22))
    other = store_run(
        runs, prepare(SEED, SHOP, "2024-05", source(months)), datetime(2024, 6, 22), explain_both
    )
    with pytest.raises(StoreError, match="already has approved run 1"):
        runs.approve(other.run_id, datetime(2024, 6, 23))
    # the data change; the approved run does not
    later = {"2024-05": good_month("2024-05", refund_a=100000)}
    now, changes = diff(approved, source(later), runs.all(SHOP))
    after = runs.get(run.run_id)
    assert after is not None and after.results_json == approved.results_json and after.intact()
    assert [(c.agent_id, c.component, c.stored_fen, c.now_fen) for c in changes] == [
        ("a", "commission", 206000, 201200)
    ]
    assert now.total_fen == approved.total_fen - 4800
    assert reproduce(after)[0]


def test_a_late_refund_becomes_one_clawback_line_in_the_next_run(store: Store) -> None:
    runs = PayrollRuns(store)
    may = good_month("2024-05")
    run = store_run(
        runs,
        prepare(SEED, SHOP, "2024-05", source({"2024-05": may})),
        datetime(2024, 6, 20),
        explain_both,
    )
    runs.approve(run.run_id, datetime(2024, 6, 21))
    # a 1,000.00 refund on May's orders is recorded in July
    refunded = good_month("2024-05", refund_a=100000)
    data = {"2024-05": refunded, "2024-06": good_month("2024-06")}
    june = prepare(SEED, SHOP, "2024-06", source(data), runs.all(SHOP))
    a = june.pay.agent("a")
    assert a is not None
    [line] = [x for x in a.lines if x.component == "clawback"]
    assert line.amount_fen == -4800 and line.inputs["month"] == "2024-05"
    assert "2,060.00 → 2,012.00" in explain(line, "zh") and "refunds 0.00 → 1,000.00" in explain(
        line, "en"
    )
    assert clawbacks(june.pay.to_record()) == {"a": [-4800], "b": [], "c": []}
    june_run = store_run(runs, june, datetime(2024, 7, 20), explain_both)
    runs.approve(june_run.run_id, datetime(2024, 7, 21))
    # July: May's difference was carried by June's approved run: not again
    data["2024-07"] = good_month("2024-07")
    july = prepare(SEED, SHOP, "2024-07", source(data), runs.all(SHOP))
    assert clawbacks(july.pay.to_record()) == {"a": [], "b": [], "c": []}
    # another refund on May: only the new difference (500.00 × 1.2 × 4 % = 24.00)
    data["2024-05"] = good_month("2024-05", refund_a=150000)
    july = prepare(SEED, SHOP, "2024-07", source(data), runs.all(SHOP))
    assert clawbacks(july.pay.to_record()) == {"a": [-2400], "b": [], "c": []}
    # and a run of it reproduces from its inputs alone
    july_run = store_run(runs, july, datetime(2024, 8, 20), explain_both)
    assert reproduce(july_run)[0]


def test_an_unapproved_run_settles_nothing(store: Store) -> None:
    runs = PayrollRuns(store)
    store_run(
        runs,
        prepare(SEED, SHOP, "2024-05", source({"2024-05": good_month("2024-05")})),
        datetime(2024, 6, 20),
        explain_both,
    )
    data = {"2024-05": good_month("2024-05", refund_a=100000), "2024-06": good_month("2024-06")}
    june = prepare(SEED, SHOP, "2024-06", source(data), runs.all(SHOP))
    assert all(x.component != "clawback" for a in june.pay.agents for x in a.lines)


def test_a_run_before_settle_days_is_warned_about() -> None:
    data = source({"2024-05": good_month("2024-05")})
    early = prepare(SEED, SHOP, "2024-05", data, today=date(2024, 6, 15))
    assert "2024-06-16" in early.warnings[0].text("en") and "15" in early.warnings[0].text("zh")
    settled = prepare(SEED, SHOP, "2024-05", data, today=date(2024, 6, 16))
    assert not any("2024-06-16" in w.text("en") for w in settled.warnings)


def test_tampering_is_detected(store: Store) -> None:
    runs = PayrollRuns(store)
    run = store_run(
        runs,
        prepare(SEED, SHOP, "2024-05", source({"2024-05": good_month("2024-05")})),
        datetime(2024, 6, 20),
        explain_both,
    )
    store.con.execute(
        "UPDATE payroll_runs SET results_json = replace(results_json, '566000', '666000')"
    )
    bad = runs.get(run.run_id)
    assert bad is not None and not bad.intact()
    with pytest.raises(StoreError, match="hashes"):
        runs.approve(run.run_id, datetime(2024, 6, 21))


def test_a_run_with_several_changed_components_reproduces(store: Store) -> None:
    """Regression: a clawback listing several components kept the order of a stored record's
    keys (sorted by JSON), so its recomputation differed from the run."""
    runs = PayrollRuns(store)
    first = store_run(
        runs,
        prepare(SEED, SHOP, "2024-05", source({"2024-05": good_month("2024-05")})),
        datetime(2024, 6, 20),
        explain_both,
    )
    runs.approve(first.run_id, datetime(2024, 6, 21))
    data = {"2024-05": good_month("2024-05", refund_a=5500000), "2024-06": good_month("2024-06")}
    june = store_run(
        runs,
        prepare(SEED, SHOP, "2024-06", source(data), runs.all(SHOP)),
        datetime(2024, 7, 20),
        explain_both,
    )
    [line] = [
        x
        for a in june.results["agents"]
        for x in a["lines"]
        if x["component"] == "clawback" and a["agent_id"] == "a"
    ]
    assert [c["component"] for c in line["inputs"]["changes"]] == ["rank_bonus", "commission"]
    assert reproduce(june)[0]


def test_a_run_stored_with_sentences_in_its_results_still_reproduces(store: Store) -> None:
    """Runs written before lines became typed values hold each line's sentence (and the
    warnings' texts) in their results: a change of wording must not make them irreproducible,
    while a change of amount still does."""
    from kefu.store.payroll import canonical_json, sha256

    runs = PayrollRuns(store)
    months = {"2024-05": good_month("2024-05")}
    run = store_run(
        runs, prepare(SEED, SHOP, "2024-05", source(months)), datetime(2024, 6, 20), explain_both
    )
    old = run.results
    for a in old["agents"]:
        for x in a["lines"]:
            x.pop("counted")
            x["explanation"] = {"zh": "旧的说法 (= 37/120)", "en": "old words (= 37/120)"}
    old["warnings"] = [{"zh": "旧的提醒", "en": "an old warning"}]

    def rewrite(results: dict[str, Any]) -> Any:
        text = canonical_json(results)
        store.con.execute(
            "UPDATE payroll_runs SET results_json = ?, results_sha256 = ? WHERE run_id = ?",
            [text, sha256(text), run.run_id],
        )
        got = runs.get(run.run_id)
        assert got is not None and got.intact()
        return got

    assert reproduce(rewrite(old))[0]
    old["agents"][0]["lines"][0]["amount_fen"] += 1
    assert not reproduce(rewrite(old))[0]
