"""Like with like (issue #11 item 2): conversion and 客单价 judged against the team on the agent's
own mix of products and hours (indirect standardisation), beside the plain pooled comparison.

Hand-built shops in a real DuckDB store: two equally skilled agents, one routed the 30-元
accessory and one the 800-元 set — the plain comparison shows the raw gap, and neither is low
after adjustment; a night-shift agent is judged against the night. The stratum step runs
on Spark too and gives the same strata.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.diagnosis import diagnose_months
from kefu.diagnosis.quadrant import judge_month
from kefu.diagnosis.settings import DiagnosisSettings
from kefu.metrics.engine import StoreKpis
from kefu.metrics.mix import Stratum, expected
from kefu.metrics.table import ShopMonth
from kefu.store import Store

from shopdata import SHOP, Shop

MONTH = "2024-05"
CHEAP, DEAR = ("CHEAP-30", 3000), ("DEAR-800", 80000)


class Builder:
    """Buyers who ask one agent about a product at an hour, and whether they buy it."""

    def __init__(self) -> None:
        self.shop = Shop()
        self.items: list[tuple[str, str, str, int]] = []  # order id, product, price
        self.n = 0
        for a in ("A", "B", "N"):
            self.shop.agent(a)

    def buyers(
        self,
        agent: str,
        count: int,
        paying: int,
        hour: int,
        product: tuple[str, int] | None,
        bought: tuple[str, int] | None = None,
    ) -> Builder:
        bought = bought or product or CHEAP
        for i in range(count):
            self.n += 1
            buyer = f"b{self.n:04d}"
            day = datetime(2024, 5, 1 + self.n % 28, hour, self.n % 50)
            text = f"{product[0]} 还有货吗" if product else "在吗"
            self.shop.chat(
                buyer,
                agent,
                (f"{day:%Y-%m-%d %H:%M:%S}", "buyer", text),
                (f"{day + timedelta(seconds=30):%Y-%m-%d %H:%M:%S}", "agent", "有的亲"),
            )
            if i < paying:
                oid = f"9{self.n:06d}"
                at = day + timedelta(minutes=5)
                self.shop.order(oid, buyer, f"{at:%Y-%m-%d %H:%M:%S}",
                                f"{at + timedelta(minutes=1):%Y-%m-%d %H:%M:%S}",
                                amount_fen=bought[1])  # fmt: skip
                self.items.append((oid, bought[0], bought[0], bought[1]))
        return self

    def store(self, path: Path) -> Store:
        st = self.shop.store(path)
        with st.transaction():
            for oid, product, sku, price in self.items:
                st.con.execute(
                    "INSERT INTO order_items VALUES (?, ?, '1', ?, NULL, ?, ?, 1, ?, NULL)",
                    [SHOP, oid, product, sku, price, price],
                )
        return st


def fair_shop() -> Builder:
    """A and B convert half of every product they are asked about; A is routed the cheap one,
    B the dear one; both, and N at night, convert a fifth at night."""
    return (
        Builder()
        .buyers("A", 60, 30, 10, CHEAP)
        .buyers("A", 10, 5, 11, DEAR)
        .buyers("B", 10, 5, 14, CHEAP)
        .buyers("B", 60, 30, 15, DEAR)
        .buyers("A", 20, 4, 2, None)
        .buyers("B", 20, 4, 3, None)
        .buyers("N", 60, 12, 1, None)
    )


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopMonth]:
    st = fair_shop().store(tmp_path_factory.mktemp("mix") / "kefu.duckdb")
    try:
        yield StoreKpis(st).shop_months(SHOP, [MONTH])[MONTH]
    finally:
        st.close()


def test_the_strata_add_up_to_the_agents_figures(month: ShopMonth) -> None:
    for a in month.presale:
        conv = [s for s in month.strata if s.agent_id == a.agent_id and s.measure == "conversion"]
        spend = [s for s in month.strata if s.agent_id == a.agent_id and s.measure == "spend"]
        assert sum(s.n for s in conv) == a.parts["inquiring_buyers"]
        assert sum(s.k for s in conv) == a.parts["paying_buyers"]
        assert sum(s.n for s in spend) == a.parts["paying_buyers"]
        assert sum(s.k for s in spend) == a.parts["sales_fen"]
    a_conv = {
        (s.product, s.band): (s.n, s.k)
        for s in month.strata
        if s.agent_id == "A" and s.measure == "conversion"
    }
    assert a_conv == {
        ("CHEAP-30", "day"): (60, 30),
        ("DEAR-800", "day"): (10, 5),
        ("", "night"): (20, 4),
    }


def test_equally_skilled_agents_on_a_cheap_and_a_dear_product(month: ShopMonth) -> None:
    v = {x.agent_id: x for x in judge_month(month, DiagnosisSettings())}
    a, b = v["A"], v["B"]
    # the plain pooled comparison shows the raw gap in 客单价 …
    assert a.plain_side("spend") == "low" and b.plain_side("spend") == "high"
    # … the like-with-like one finds neither low: they sell as well as the team on their mix
    assert a.spend_side != "low" and b.spend_side != "low"
    assert a.conversion_side != "low" and b.conversion_side != "low"
    assert a.reference.avg_spend_source == "team_mix"
    assert a.mix is not None and a.mix.spend is not None and a.mix.spend.ratio == 1
    assert a.reference.avg_spend_fen == Fraction(30 * 3000 + 5 * 80000 + 4 * 3000, 39)
    ev = a.evidence()
    assert ev["avg_spend_reference_source"] == "team_mix"
    assert ev["avg_spend_plain_side"] == "low" and ev["avg_spend_observed_expected"] == 1.0
    assert ev["avg_spend_plain_reference_fen"] < 41500 < ev["avg_spend_reference_fen"] * 4


def test_a_night_shift_agent_is_judged_against_the_night(month: ShopMonth) -> None:
    (n,) = [x for x in judge_month(month, DiagnosisSettings()) if x.agent_id == "N"]
    assert n.conversion == Fraction(1, 5)
    assert n.plain_side("conversion") == "low"  # the pooled team converts 37.5 %
    assert n.reference.conversion == Fraction(1, 5)  # the team at night converts a fifth
    assert n.conversion_side == "borderline" and n.verdict != "both_low"
    assert n.mix is not None and n.mix.conversion is not None
    # N's buyers named no product: compared with the team's night buyers who named none
    assert [(c.product, c.band, c.level) for c in n.mix.conversion.cells] == [
        ("", "night", "stratum")
    ]


def test_the_plain_reference_when_asked(month: ShopMonth) -> None:
    plain = DiagnosisSettings(mix_reference=0)
    v = {x.agent_id: x for x in judge_month(month, plain)}
    assert v["A"].spend_side == "low" and v["N"].conversion_side == "low"
    assert v["A"].reference.avg_spend_source == "team" and v["A"].mix is None


def test_thin_strata_fall_back_to_coarser_ones(month: ShopMonth) -> None:
    thin = DiagnosisSettings(min_stratum=1000)
    v = {x.agent_id: x for x in judge_month(month, thin)}
    # every stratum too thin: the pooled team, which is the plain reference again
    assert v["A"].reference.avg_spend_source == "team" and v["A"].spend_side == "low"
    mid = DiagnosisSettings(min_stratum=75)
    (a,) = [x for x in judge_month(month, mid) if x.agent_id == "A"]
    assert a.mix is not None and a.mix.conversion is not None
    levels = {(c.product, c.band): c.level for c in a.mix.conversion.cells}
    # CHEAP by day has 70 team buyers (< 75) and CHEAP over all hours 70: the day band
    # (140); unknown products by night have 100
    assert levels == {
        ("CHEAP-30", "day"): "band",
        ("DEAR-800", "day"): "band",
        ("", "night"): "stratum",
    }


def test_the_streak_rule_reads_the_mix_reference(month: ShopMonth) -> None:
    d = diagnose_months(SHOP, MONTH, {MONTH: month})
    assert all(v.verdict != "both_low" for v in d.verdicts)


def test_diagnose_strata_prints_the_table(tmp_path: Path) -> None:
    fair_shop().store(tmp_path / "kefu.duckdb").close()
    out = CliRunner().invoke(
        app,
        [
            "diagnose",
            "--month",
            MONTH,
            "--db",
            str(tmp_path / "kefu.duckdb"),
            "--strata",
            "--lang",
            "en",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "observed ÷ expected" in out.output and "product × hours" in out.output
    flat = " ".join(out.output.split())
    assert "judged against the team on the same products and hours" in flat
    assert "CHEAP-30" in out.output and "00–08" in out.output


strata_st = st.lists(
    st.builds(
        Stratum,
        st.sampled_from(["A", "B", "C"]),
        st.just("conversion"),
        st.sampled_from(["", "p1", "p2"]),
        st.sampled_from(["night", "day", "evening"]),
        st.integers(1, 40),
        st.integers(0, 40),
    ),
    min_size=1,
    max_size=20,
)


@given(strata_st, st.integers(1, 60))
def test_expected_is_exact_and_the_team_gets_what_it_gave(strata: list[Stratum], m: int) -> None:
    # identical strata are one row in the engine's output
    seen: dict[tuple[str, str, str], Stratum] = {}
    for s in strata:
        seen.setdefault((s.agent_id, s.product, s.band), s)
    strata = list(seen.values())
    agents = sorted({s.agent_id for s in strata})
    results = [expected(strata, a, "conversion", m) for a in agents]
    for a, e in zip(agents, results, strict=True):
        mine = [s for s in strata if s.agent_id == a]
        assert e.n == sum(s.n for s in mine) and e.observed == sum(s.k for s in mine)
    # with every stratum at the pooled level, the agents' expected totals add up to the team's
    pooled = [expected(strata, a, "conversion", 10**9) for a in agents]
    assert sum(e.expected for e in pooled) == sum(s.k for s in strata)
    # a single agent is the team: at the finest level, expected = observed
    one = [s for s in strata if s.agent_id == agents[0]]
    assert expected(one, agents[0], "conversion", 1).expected == sum(s.k for s in one)
    # every cell's level has at least m team buyers, unless it is the pooled team
    for e in results:
        assert all(c.team_n >= m or c.level == "pooled" for c in e.cells)


@pytest.mark.spark
def test_spark_gives_the_same_strata(tmp_path: Path, month: ShopMonth) -> None:
    st_ = fair_shop().store(tmp_path / "kefu.duckdb")
    try:
        spark = StoreKpis(st_, engine="spark").shop_months(SHOP, [MONTH])[MONTH]
    finally:
        st_.close()
    assert spark.strata == month.strata
    assert spark.product_sales == month.product_sales and spark.product_sales


def test_a_pay_gate_compares_with_the_team_on_her_mix(tmp_path: Path) -> None:
    from kefu.pay.plan import parse_plan, shipped_text
    from kefu.pay.runs import pay_from_inputs, prepare

    seed = shipped_text("seed")
    spend_gate = '{metric: avg_spend_fen, op: ">=", reference: team}'
    assert seed.count(spend_gate) == 2
    mixed = parse_plan(
        seed.replace(spend_gate, spend_gate.replace("team}", "team_mix}")), "mix.yaml"
    )
    plain = parse_plan(seed, "seed.yaml")
    assert mixed.needs_strata and not plain.needs_strata
    st_ = fair_shop().store(tmp_path / "kefu.duckdb")
    try:
        kpis = StoreKpis(st_)
        runs = {p.name + str(p.needs_strata): prepare(p, SHOP, MONTH, kpis) for p in (mixed, plain)}
    finally:
        st_.close()

    def spend_gate_of(prepared: object, agent: str) -> dict[str, object]:
        pay = prepared.pay  # type: ignore[attr-defined]
        (line,) = [ln for ln in pay.agent(agent).lines if ln.component == "commission"]
        return next(g for g in line.inputs["gates"] if g["metric"] == "avg_spend_fen")

    a_plain = spend_gate_of(runs["seedFalse"], "A")
    a_mix = spend_gate_of(runs["seedTrue"], "A")
    assert a_plain["result"] == "fail" and a_mix["result"] == "pass"
    assert a_mix["reference"] == "team_mix" and a_mix["against"] == a_mix["agent"]
    # the frozen inputs keep the strata, so the run recomputes to the same pay
    inputs = runs["seedTrue"].inputs
    assert inputs["shop_months"][MONTH]["strata"]
    assert "strata" not in runs["seedFalse"].inputs["shop_months"][MONTH]
    assert pay_from_inputs(mixed, inputs) == runs["seedTrue"].pay


def test_team_mix_is_refused_for_other_metrics() -> None:
    from kefu.pay.plan import PlanError, parse_plan, shipped_text

    seed = shipped_text("seed")
    bad = seed.replace(
        '{metric: bad_review_rate, op: "<=", reference: team,',
        '{metric: bad_review_rate, op: "<=", reference: team_mix,',
    )
    with pytest.raises(PlanError, match="team_mix compares conversion_rate or avg_spend_fen"):
        parse_plan(bad, "bad.yaml")
