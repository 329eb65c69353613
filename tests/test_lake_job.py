"""The Spark job over a lake on a local Spark: DuckDB's figures, per-shop windows, re-runs that
change nothing, and a new month that recomputes only what rests on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kefu.lake.export import export
from kefu.lake.job import Job, parse_months
from kefu.lake.output import OutputKpis, OutputPayKpis, PayCheck
from kefu.lake.source import LakeStore
from kefu.metrics.engine import StoreKpis, message_window, prepare_inputs
from kefu.metrics.settings import from_mapping

import lakedata

pytestmark = pytest.mark.spark


def outputs(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*.parquet")
        if "_kefu_job" not in p.parts
    }


def assert_same_as_duckdb(lake: Path, out: Path, months: list[str]) -> None:
    want = StoreKpis(LakeStore(lake)).compute(list(lakedata.SHOPS), months)
    got = OutputKpis(out)
    for_pay = OutputPayKpis(got)
    for shop in lakedata.SHOPS:
        have = got.shop_months(shop, months)
        paid = for_pay.shop_months(shop, months)
        for m in months:
            assert have[m].to_json() == want[shop][m].to_json(), (shop, m)
            assert [a.activity for a in have[m].agents] == [
                a.activity for a in want[shop][m].agents
            ]
            assert have[m].strata == want[shop][m].strata, (shop, m)
            # what pay by product stage reads: the sales by product, and the facts of the
            # products sold (the store's list every product of the shop)
            assert paid[m].product_sales == want[shop][m].product_sales, (shop, m)
            sold = {p.product for p in paid[m].product_sales}
            assert paid[m].products == tuple(
                f for f in want[shop][m].products if f.product_id in sold
            ), (shop, m)
            assert for_pay.check(shop, [m]) == PayCheck([], [], shop == "long")
    s1 = for_pay.shop_months("s1", months)
    # October's orders have no order lines: their product is ''
    sold = {p.product for m in months for p in s1[m].product_sales}
    assert sold - {""} == {"NEWP", "OLDP", "MIDP"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One lake, the job run three times: first, again unchanged, then after October came
    (October's messages of s1 and 店:2 are left out of the counts of the first run)."""
    from kefu.metrics.spark import spark_session

    base = tmp_path_factory.mktemp("lakejob")
    store = lakedata.build(base / "k.duckdb")
    lake, out = base / "lake", base / "out"
    export(store, lake)
    spark = spark_session()
    first = Job(spark, str(lake), str(out)).run(None, lakedata.MONTHS)
    files_first = outputs(out)
    same_as_duckdb_first = None
    try:
        assert_same_as_duckdb(lake, out, lakedata.MONTHS)
    except AssertionError as e:  # reported by its own test, after the other runs
        same_as_duckdb_first = e
    again = Job(spark, str(lake), str(out)).run(None, lakedata.MONTHS)
    files_again = outputs(out)
    lakedata.add_october(store)
    export(store, lake)
    months = [*lakedata.MONTHS, "2024-10"]
    october = Job(spark, str(lake), str(out)).run(None, months)
    return {
        "store": store,
        "lake": lake,
        "out": out,
        "first": first,
        "again": again,
        "october": october,
        "files": (files_first, files_again),
        "first_equal": same_as_duckdb_first,
        "months": months,
    }


def test_the_job_gives_duckdbs_figures_for_every_shop_and_month(runs: dict[str, Any]) -> None:
    if runs["first_equal"] is not None:
        raise runs["first_equal"]
    assert len(runs["first"]["computed"]) == len(lakedata.SHOPS) * len(lakedata.MONTHS)


def test_running_again_changes_nothing(runs: dict[str, Any]) -> None:
    assert runs["again"]["computed"] == []
    assert len(runs["again"]["unchanged"]) == len(lakedata.SHOPS) * len(lakedata.MONTHS)
    first, again = runs["files"]
    assert first == again and first


def test_a_new_month_recomputes_only_the_months_resting_on_it(runs: dict[str, Any]) -> None:
    """October's files came for s1 and 店:2: their October is new and their September was
    provisional (its data now reaches past it); July and August, and every month of the
    shop that got nothing new, are left as they were."""
    computed = {tuple(p) for p in runs["october"]["computed"]}
    assert computed == {
        ("s1", "2024-09"),
        ("s1", "2024-10"),
        ("店:2", "2024-09"),
        ("店:2", "2024-10"),
        ("long", "2024-10"),
    }
    assert_same_as_duckdb(runs["lake"], runs["out"], runs["months"])


def test_one_shops_long_conversation_does_not_widen_anothers_read(runs: dict[str, Any]) -> None:
    """`long` chats for three weeks across its window's end, so its window widens (a second
    round); s1 still reads only its own window, while one shared window (the store path,
    all shops at once) would read far more of s1."""
    first = runs["first"]
    assert first["rounds"] >= 2
    store = runs["store"]
    con = store.con
    settings = {s: from_mapping(store.settings(s)) for s in lakedata.SHOPS}

    def read_in(shops: list[str]) -> int:
        con.execute("CREATE OR REPLACE TEMP VIEW in_orders_all AS SELECT * FROM orders")
        prepare_inputs(con, {s: settings[s] for s in shops}, lakedata.MONTHS)
        w = message_window(con, {s: settings[s] for s in shops}, lakedata.MONTHS)
        (n,) = con.execute(
            "SELECT count(*) FROM messages WHERE shop_id = ? AND sent_at >= to_timestamp(?)::TIMESTAMP"
            " AND sent_at < to_timestamp(?)::TIMESTAMP AND NOT (shop_id <> 'long' AND sent_at >= '2024-10-01')",
            [shops[0], w[0], w[1]],
        ).fetchone() or (0,)
        return int(n)

    own = read_in(["s1"])
    assert first["messages_read"]["s1"] == own
    assert first["messages_read"]["long"] > read_in(["long"])
    # DuckDB's StoreKpis widens one window for every shop it computes together: with the
    # October that came since, s1 would read October's messages too (its own window does not)
    StoreKpis(store).compute(list(lakedata.SHOPS), lakedata.MONTHS)
    (shared,) = store.con.execute(
        "SELECT count(*) FROM in_messages WHERE shop_id = 's1'"
    ).fetchone() or (0,)
    assert shared > own


def test_months_argument() -> None:
    assert parse_months("2024-11..2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert parse_months("2024-09,2024-07") == ["2024-07", "2024-09"]
    with pytest.raises(ValueError):
        parse_months("2024-13")


def test_diagnose_from_the_jobs_output_equals_the_stores(runs: dict[str, Any]) -> None:
    """A vendor diagnoses each shop from the job's output tables, as from the store."""
    import json

    from typer.testing import CliRunner

    from kefu.cli.main import app

    store = runs["store"]
    store.con.execute("CHECKPOINT")
    args = ["diagnose", "--shop", "s1", "--month", "2024-09", "--format", "json", "--lang", "en"]
    runner = CliRunner()
    from_output = runner.invoke(app, [*args, "--lake-output", str(runs["out"])])
    assert from_output.exit_code == 0, from_output.output
    from_store = runner.invoke(app, [*args, "--db", str(store.path)])
    assert from_store.exit_code == 0, from_store.output
    got, want = json.loads(from_output.output), json.loads(from_store.output)
    # the trends list only the months the job computed (the store's list the empty months
    # before too); everything else is the same
    trends = got.pop("trends")
    computed = {m["month"] for t in trends for m in t["months"]}
    assert computed == {"2024-07", "2024-08", "2024-09"}
    assert trends == [
        {**t, "months": [m for m in t["months"] if m["month"] in computed]}
        for t in want.pop("trends")
    ]
    # like with like: s1's diagnosis compares each agent with the team on their own mix
    # (the strata the job wrote), as the store's does
    for v in got["verdicts"]:
        assert "conversion_observed_expected" in v["evidence"], v
    assert got == want
    missing = runner.invoke(
        app, [*args[:4], "--month", "2023-01", "--lake-output", str(runs["out"])]
    )
    assert missing.exit_code != 0 and "2023-01" in missing.output


def test_per_person_figures_from_the_jobs_output_equal_the_stores(runs: dict[str, Any]) -> None:
    """`long`'s seat A changed hands on August 16: the job computed August again with each
    holder as an agent of their own, and the per-person figures read from its output (with
    the lake's persons and seat holders) are the store's."""
    from kefu.metrics.people import PersonKpis

    assert ["long", "2024-08"] in runs["first"]["split"]
    assert ["long", "2024-09"] not in runs["first"]["split"]
    out = OutputKpis(runs["out"])
    got = PersonKpis(LakeStore(runs["lake"]), out, splits=out.split_months)
    store = runs["store"]
    want = PersonKpis(store, StoreKpis(store))
    for shop in lakedata.SHOPS:
        have, should = got.shop_months(shop, runs["months"]), want.shop_months(shop, runs["months"])
        for m in runs["months"]:
            assert have[m].to_json() == should[m].to_json(), (shop, m)
    august = {a.agent_id: a for a in have["2024-08"].agents}
    assert {"L1", "L2"} <= set(august) and "A" not in august
    assert august["L1"].parts["inquiring_buyers"] and august["L2"].parts["inquiring_buyers"]


def test_kpi_from_the_jobs_output_per_seat_and_per_person(runs: dict[str, Any]) -> None:
    """`kefu kpi --lake-output` prints the job's figures; with `--by person --lake` the
    store's per-person table (the seat handed over in August split by date)."""
    import json

    from typer.testing import CliRunner

    from kefu.cli.main import app

    store = runs["store"]
    store.con.execute("CHECKPOINT")
    runner = CliRunner()
    args = ["kpi", "--shop", "long", "--month", "2024-08", "--format", "json", "--lang", "en"]
    out = ["--lake-output", str(runs["out"])]
    for extra in ([], ["--by", "person"]):
        got = runner.invoke(app, [*args, *extra, *out, "--lake", str(runs["lake"])])
        assert got.exit_code == 0, got.output
        want = runner.invoke(app, [*args, *extra, "--db", str(store.path)])
        assert want.exit_code == 0, want.output
        assert json.loads(got.output) == json.loads(want.output), extra
    people = runner.invoke(app, [*args, "--by", "person", *out])
    assert people.exit_code != 0 and "--lake" in people.output


def test_pay_from_the_jobs_output_equals_the_stores(runs: dict[str, Any], tmp_path: Path) -> None:
    """A vendor settles each shop's payroll from the job's output, as `kefu pay` does from
    the store: s1 under a plan weighting sales by product stage (its sales by product and
    the products' facts from the output), 店:2 under the seed plan (its quarterly bonus in
    September pools July to September), `long` per person with the lake's seat holders
    (seat A handed over on August 16)."""
    import json

    from typer.testing import CliRunner

    from kefu.cli.main import app
    from test_pay_product_stage import STAGED

    store = runs["store"]
    store.con.execute("CHECKPOINT")
    staged = tmp_path / "staged.yaml"
    staged.write_text(STAGED, encoding="utf-8")
    runner = CliRunner()
    out, lake = ["--lake-output", str(runs["out"])], ["--lake", str(runs["lake"])]
    cases = [
        ("s1", "2024-08", str(staged), []),
        ("s1", "2024-09", str(staged), []),
        ("s1", "2024-09", "seed", lake),
        ("店:2", "2024-09", "seed", []),
        ("店:2", "2024-10", "seed", []),
        ("long", "2024-08", "seed", lake),
        ("long", "2024-09", "seed", lake),
    ]
    for shop, month, plan, extra in cases:
        args = ["pay", "--shop", shop, "--month", month, "--plan", plan, "--lang", "en"]
        args += ["--format", "json"]
        got = runner.invoke(app, [*args, *out, *extra])
        assert got.exit_code == 0, got.output
        want = runner.invoke(app, [*args, "--db", str(store.path)])
        assert want.exit_code == 0, want.output
        assert json.loads(got.stdout) == json.loads(want.stdout), (shop, month, plan)
        assert got.stderr == want.stderr  # the same warnings (provisional months)
        if plan == str(staged):  # the commission weighted s1's sales by product stage
            cells = [
                c
                for a in json.loads(got.stdout)["agents"]
                for x in a["lines"]
                if x["component"] == "commission"
                for c in x["inputs"]["commission_base"].get("by_product_stage", [])
            ]
            assert {c["stage"] for c in cells if c["sales_fen"]} == {"new", "established"}
        if shop == "long" and month == "2024-08":  # paid per person: L1, then L2
            paid = {a["agent_id"] for a in json.loads(got.stdout)["agents"]}
            assert {"L1", "L2"} <= paid and "A" not in paid
        if month == "2024-09" and plan == "seed":
            comps = {x["component"] for a in json.loads(got.stdout)["agents"] for x in a["lines"]}
            assert "quarterly_bonus" in comps
    # the table and the workbook, as from the store
    table = runner.invoke(app, ["pay", "--shop", "s1", "--month", "2024-09", "--lang", "en", *out])
    assert table.exit_code == 0, table.output
    assert "job's output" in table.output and "kefu payroll run" in table.output
    book = tmp_path / "pay.xlsx"
    xlsx = [*out, "--shop", "s1", "--month", "2024-09", "--format", "xlsx", "--output", str(book)]
    assert runner.invoke(app, ["pay", *xlsx]).exit_code == 0 and book.stat().st_size
    # refusals, one sentence each: persons without the lake, a month not computed, --lake alone
    people = runner.invoke(app, ["pay", "--shop", "long", "--month", "2024-08", *out])
    assert people.exit_code != 0 and "--lake" in people.output and "Traceback" not in people.output
    missing = runner.invoke(app, ["pay", "--shop", "s1", "--month", "2024-11", *out])
    assert missing.exit_code != 0 and "2024-11" in missing.output
    alone = runner.invoke(app, ["pay", "--shop", "s1", "--month", "2024-09", *lake])
    assert alone.exit_code != 0 and "--lake-output" in alone.output


def test_pay_refuses_an_output_without_what_pay_needs(runs: dict[str, Any], tmp_path: Path) -> None:
    """A quarter's bonus needs the quarter's months, and an output written by an older job
    has no sales by product: each is said in one sentence, never paid from half the data."""
    import shutil

    import duckdb
    from typer.testing import CliRunner

    from kefu.cli.main import app

    runner = CliRunner()
    copy = tmp_path / "out"
    shutil.copytree(runs["out"], copy)
    # s1's July is gone: September's quarterly bonus cannot pool July to September
    shutil.rmtree(copy / "shop_months" / "month=2024-07" / "shop_id=s1")
    args = ["pay", "--shop", "s1", "--month", "2024-09", "--lang", "en"]
    got = runner.invoke(app, [*args, "--lake-output", str(copy)])
    assert got.exit_code != 0 and "2024-07" in got.output, got.output
    assert "run the job for those months" in got.output
    # August as an older job wrote it: shop_months without job_version
    folder = copy / "shop_months" / "month=2024-08" / "shop_id=s1"
    (part,) = folder.glob("*.parquet")
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * EXCLUDE (job_version, seats_held) FROM read_parquet('{part}'))"
        f" TO '{tmp_path / 'old.parquet'}' (FORMAT parquet)"
    )
    shutil.move(tmp_path / "old.parquet", part)
    got = runner.invoke(app, ["pay", "--shop", "s1", "--month", "2024-08", "--lang", "en",
                              "--lake-output", str(copy)])  # fmt: skip
    assert got.exit_code != 0 and "older job" in got.output and "--force" in got.output
    # the month itself, then, still reads for the KPI table (no pay needed)
    kpi = ["kpi", "--shop", "s1", "--month", "2024-08", "--lake-output", str(copy)]
    assert runner.invoke(app, kpi).exit_code == 0
