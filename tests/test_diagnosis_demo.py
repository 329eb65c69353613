"""End to end on the demo shop: generated files → import → metrics engine → every judgement.

Issue #4: the demo shop must show every verdict at least once, with its evidence, and
`kefu diagnose` / `kefu report` must run on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kefu.diagnosis import VERDICTS, ShopDiagnosis, diagnose_months

try:
    from kefu.demo.generate import generate_demo_shop
    from kefu.metrics.engine import StoreKpis
    from kefu.store import open_store
    from kefu.store.ingest import import_files
except ImportError as e:  # pragma: no cover - only while those modules are being written
    pytest.skip(f"the demo shop cannot be built yet: {e}", allow_module_level=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    ws = tmp_path_factory.mktemp("demo")
    shop = generate_demo_shop(ws)
    db = ws / "kefu.duckdb"
    with open_store(db) as store:
        reports = import_files(store, shop.files)
        assert [r.error for r in reports if r.error] == []
        months = StoreKpis(store).shop_months(shop.shop_id, shop.months)
    diagnoses = {m: diagnose_months(shop.shop_id, m, months) for m in shop.months}
    return {"shop": shop, "db": db, "diagnoses": diagnoses}


def all_diagnoses(demo: dict[str, Any]) -> list[ShopDiagnosis]:
    return list(demo["diagnoses"].values())


@pytest.mark.parametrize("verdict", VERDICTS)
def test_the_demo_shows_every_verdict(demo: dict[str, Any], verdict: str) -> None:
    seen = {v.verdict for d in all_diagnoses(demo) for v in d.verdicts}
    assert verdict in seen, f"no {verdict} in any demo month (seen: {sorted(seen)})"


def test_the_demo_shows_every_other_judgement(demo: dict[str, Any]) -> None:
    ds = all_diagnoses(demo)
    assert any(c.main is not None for d in ds for c in d.causes), "no cause of low conversion"
    assert any(d.flags for d in ds), "no screening review"
    assert any(d.team.status == "operations" for d in ds), "the team rule never holds"
    assert any(
        p.rerouting is not None and p.rerouting.k_per_day > 0 and p.weak_handles_more
        for d in ds
        for p in d.pairs
    ), "no question-1 pair with a re-routing estimate"
    classes = {s.cls for d in ds for s in d.stability}
    assert {"steady", "erratic"} <= classes


def test_every_verdict_rests_on_its_numbers(demo: dict[str, Any]) -> None:
    for d in all_diagnoses(demo):
        for v in d.to_json()["verdicts"]:
            e = v["evidence"]
            assert e["inquiring_buyers"] is not None and e["min_inquiries"] == 30
            if v["quadrant"] == "insufficient_data":
                assert e["inquiring_buyers"] < 30
            else:
                assert e["inquiring_buyers"] >= 30
                assert e["conversion_interval"] and e["conversion_reference"] is not None


def test_the_cli_runs_on_the_demo(demo: dict[str, Any], tmp_path: Path) -> None:
    from kefu.cli.main import app

    runner = CliRunner()
    month, db = demo["shop"].months[-1], str(demo["db"])
    result = runner.invoke(app, ["diagnose", "--month", month, "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    j = json.loads(result.output)
    assert j["shop_id"] == demo["shop"].shop_id and j["verdicts"]
    out = tmp_path / "demo.html"
    result = runner.invoke(app, ["report", "--month", month, "--db", db, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 600_000  # ECharts inline


def test_question_1_text_and_table_agree_on_every_demo_pair(demo: dict[str, Any]) -> None:
    """Issue #11: the sentence and the table come from one decision; net never above gross."""
    from test_diagnosis_fairness import assert_text_agrees_with_table

    seen = set()
    for d in all_diagnoses(demo):
        for p in d.pairs:
            r = p.rerouting
            assert r is not None
            seen.add(r.decision)
            for lang in ("zh", "en"):
                assert_text_agrees_with_table(p, lang)
            assert r.added_net_sales_fen <= r.added_sales_fen
            assert r.weights_after[1] >= 1
            w_daily = p.weak.daily_inquiries
            assert w_daily is not None and r.k_per_day <= w_daily / 2
    # the demo shows a move and a refusal to move (小橙 / 小林 sell less per inquiry)
    assert "reroute" in seen and "no_gain" in seen, seen
