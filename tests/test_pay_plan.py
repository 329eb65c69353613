"""Plan files: the shipped plans and the docs' examples load; bad files fail with their
documented error (file, key, reason, code)."""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from kefu.pay.plan import SHIPPED, PlanError, load_plan, parse_plan, shipped_text

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "pay.md").read_text(encoding="utf-8")
SEED = shipped_text("seed")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_plans_load(name: str) -> None:
    plan = load_plan(name)
    assert plan.name == name
    assert plan.versions and plan.versions[0].since == plan.starts
    # every version is complete: each section that pays a base has its base on every date
    for v in plan.versions:
        assert v.since.day == 1
        for section in v.sections.values():
            assert section.base is not None


def test_docs_plan_examples_load() -> None:
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", DOCS, re.S) if b.startswith("plan:")]
    assert len(blocks) >= 2
    for block in blocks:
        parse_plan(block, "docs/pay.md")


def test_seed_is_pay_md_exactly() -> None:
    v = load_plan("seed").at("2024-09")
    pre, after = v.sections["presale"], v.sections["aftersale"]
    assert pre.base and pre.base.amount_fen == 300000 and pre.base.step_fen == 10000
    assert (pre.base.step_months, pre.base.max_steps, pre.base.prorate) == (3, 8, True)
    assert after.base == pre.base and after.commission is None and after.rank_bonus is None
    assert pre.rank_bonus and (pre.rank_bonus.metric, pre.rank_bonus.amount_fen) == (
        "net_sales_fen",
        10000,
    )
    c = pre.commission
    assert c and c.mode == "marginal" and c.min_inquiries == 30
    assert [(g.metric, g.op, g.reference, g.number, g.if_undefined) for g in c.gates] == [
        ("net_sales_fen", ">=", "number", 3000000, "fail"),
        ("conversion_rate", ">=", "team", None, "fail"),
        ("avg_spend_fen", ">=", "team", None, "fail"),
        ("bad_review_rate", "<=", "team", None, "pass"),
    ]
    assert [(b.lower, b.upper, b.new, b.returning) for b in c.mix] == [
        (0, 6, Fraction(6, 5), Fraction(4, 5)),
        (6, None, Fraction(4, 5), Fraction(6, 5)),
    ]
    assert [(t.lower, t.upper, t.rate) for t in c.tiers] == [
        (0, 5000000, Fraction(3, 100)),
        (5000000, 10000000, Fraction(4, 100)),
        (10000000, None, Fraction(5, 100)),
    ]
    q = pre.quarterly_bonus
    assert q and q.period == "quarter" and q.min_inquiries == 30
    assert [(g.metric, g.number) for g in q.target] == [("net_sales_fen", 15000000)]
    assert [(a.gate.metric if a.gate else None, a.amount_fen) for a in q.awards] == [
        ("conversion_rate", 30000),
        ("avg_spend_fen", 30000),
    ]
    assert (q.rank_metric, q.rank_fen) == ("net_sales_fen", 50000)
    assert v.settle_days == 15


def test_midyear_values_change_on_their_date() -> None:
    plan = load_plan("midyear")
    june, july = plan.at("2025-06"), plan.at("2025-07")
    assert june.since == date(2025, 1, 1) and july.since == date(2025, 7, 1)
    cj, cl = june.sections["presale"].commission, july.sections["presale"].commission
    assert cj and cl
    assert cj.tiers[0].rate == Fraction(3, 100) and cl.tiers[0].rate == Fraction(35, 1000)
    assert cj.gates[0].number == 3000000 and cl.gates[0].number == 3500000
    assert (june.min_inquiries, july.min_inquiries) == (30, 50)
    assert plan.at("2026-03") == july
    with pytest.raises(PlanError) as e:
        plan.at("2024-12")
    assert e.value.code == "before-start"


def test_money_is_exact_never_float() -> None:
    old = "metric: net_sales_fen\n      amount: {2000-01-01: 100.00}"
    assert old in SEED
    text = SEED.replace(old, "metric: net_sales_fen\n      amount: {2000-01-01: 0.29}", 1)
    v = parse_plan(text, "p.yaml").at("2024-01")
    rank = v.sections["presale"].rank_bonus
    assert rank and rank.amount_fen == 29 and type(rank.amount_fen) is int  # float would be 28.999…


# -- bad plans: (what is changed in seed.yaml, the key reported, the code) ----------------------
TIER1 = "- {from: {2000-01-01: 50000.00}, to: {2000-01-01: 100000.00}, rate: {2000-01-01: 4%}}"
BAD = {
    "overlapping tiers": (
        (TIER1, TIER1.replace("from: {2000-01-01: 50000.00}", "from: {2000-01-01: 40000.00}")),
        "sections.presale.commission.tiers[1].from",
        "tiers-overlap",
    ),
    "non-contiguous tiers": (
        (TIER1, TIER1.replace("from: {2000-01-01: 50000.00}", "from: {2000-01-01: 60000.00}")),
        "sections.presale.commission.tiers[1].from",
        "tiers-gap",
    ),
    "tiers not from 0": (
        (
            "- {from: {2000-01-01: 0}, to: {2000-01-01: 50000.00}",
            "- {from: {2000-01-01: 1}, to: {2000-01-01: 50000.00}",
        ),
        "sections.presale.commission.tiers[0].from",
        "tiers-gap",
    ),
    "a last tier with an end": (
        (
            "- {from: {2000-01-01: 100000.00}, rate:",
            "- {from: {2000-01-01: 100000.00}, to: {2000-01-01: 200000.00}, rate:",
        ),
        "sections.presale.commission.tiers[2].to",
        "tiers-gap",
    ),
    "an unknown metric": (
        (
            '{metric: conversion_rate, op: ">=", reference: team}',
            '{metric: conversion_rat, op: ">=", reference: team}',
        ),
        "sections.presale.commission.gates[1].metric",
        "metric",
    ),
    "a gate without a reference": (
        (
            '{metric: conversion_rate, op: ">=", reference: team}',
            '{metric: conversion_rate, op: ">="}',
        ),
        "sections.presale.commission.gates[1]",
        "no-reference",
    ),
    "a date in the wrong form": (
        ("step_months: {2000-01-01: 3}", "step_months: {2000-1-1: 3}"),
        "sections.presale.base.step_months.2000-1-1",
        "date-form",
    ),
    "a date with slashes": (
        ("step_months: {2000-01-01: 3}", "step_months: {2000/01/01: 3}"),
        "sections.presale.base.step_months.2000/01/01",
        "date-form",
    ),
    "a date that does not exist": (
        ("step_months: {2000-01-01: 3}", "step_months: {2000-13-01: 3}"),
        "sections.presale.base.step_months.2000-13-01",
        "date-form",
    ),
    "a date mid-month": (
        ("step_months: {2000-01-01: 3}", "step_months: {2000-01-15: 3}"),
        "sections.presale.base.step_months.2000-01-15",
        "date-not-first",
    ),
    "money as a float with more than 2 decimals": (
        ("amount: {2000-01-01: 3000.00}", "amount: {2000-01-01: 3000.005}"),
        "sections.presale.base.amount",
        "money-decimals",
    ),
    "a parameter without a date": (
        ("amount: {2000-01-01: 3000.00}", "amount: 3000.00"),
        "sections.presale.base.amount",
        "undated",
    ),
    "a rate written as a bare percentage": (
        ("rate: {2000-01-01: 3%}", "rate: {2000-01-01: 3}"),
        "sections.presale.commission.tiers[0].rate",
        "rate",
    ),
    "a comparison that is not one": (
        (
            '{metric: conversion_rate, op: ">=", reference: team}',
            '{metric: conversion_rate, op: "=>", reference: team}',
        ),
        "sections.presale.commission.gates[1].op",
        "op",
    ),
    "an unknown key": (
        ("step_amount: {2000-01-01: 100.00}", "step_amout: {2000-01-01: 100.00}"),
        "sections.presale.base.step_amout",
        "unknown-key",
    ),
    "a missing parameter": (
        (
            "      max_steps: {2000-01-01: 8}\n      prorate: true\n\n    # 2.",
            "      prorate: true\n\n    # 2.",
        ),
        "sections.presale.base.max_steps",
        "missing",
    ),
    "dates inside dates": (
        ("amount: {2000-01-01: 3000.00}", "amount: {2000-01-01: {2001-01-01: 3000.00}}"),
        "sections.presale.base.amount.2000-01-01",
        "nested-dates",
    ),
    "dates mixed with names": (
        ("amount: {2000-01-01: 3000.00}", "amount: {2000-01-01: 3000.00, later: 1}"),
        "sections.presale.base.amount",
        "mixed-keys",
    ),
    "not YAML": (("plan: seed", "plan: [seed"), "line", "yaml"),
    "a non-money commission base": (
        ("new: new_buyer_net_sales_fen", "new: conversion_rate"),
        "sections.presale.commission.base.buyer_mix.new",
        "metric",
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_plan_files_fail_with_their_documented_error(case: str, tmp_path: Path) -> None:
    (old, new), key, code = BAD[case]
    assert old in SEED, old
    path = tmp_path / "bad-plan.yaml"
    path.write_text(SEED.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PlanError) as e:
        load_plan(str(path))
    err = e.value
    assert err.file == str(path)
    assert err.key.startswith(key), (err.key, str(err))
    assert err.code == code, str(err)
    assert f"| `{code}` |" in DOCS, f"error code {code} is not documented in docs/pay.md"
    assert str(path) in str(err) and err.reason in str(err)


def test_an_error_in_a_later_version_names_the_version(tmp_path: Path) -> None:
    text = SEED.replace("rate: {2000-01-01: 4%}", "rate: {2000-01-01: 4%, 2025-01-01: 400%}", 1)
    with pytest.raises(PlanError) as e:
        parse_plan(text, "p.yaml")
    assert e.value.code == "rate" and "2025-01-01" in str(e.value)


def test_every_documented_code_is_raised_somewhere() -> None:
    source = (ROOT / "src" / "kefu" / "pay" / "plan.py").read_text(encoding="utf-8")
    for code in re.findall(r"^\| `([a-z-]+)` \|", DOCS, re.M):
        assert f'"{code}"' in source, code


def test_no_file_and_unknown_shipped_name() -> None:
    with pytest.raises(PlanError) as e:
        load_plan("no-such-plan")
    assert e.value.code == "no-file" and "seed" in str(e.value)
