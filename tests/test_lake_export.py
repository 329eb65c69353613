"""kefu lake export: the layout, re-exports that change nothing, partitions swapped whole, and
DuckDB computing the same figures from the lake as from the store."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.lake.export import LakeError, export
from kefu.lake.layout import MARKER, TABLES, escape, unescape
from kefu.lake.source import LakeStore
from kefu.metrics.engine import StoreKpis
from kefu.store import Store
from test_metrics_cases import build_store

from metric_cases import CASES
from shopdata import Shop

ALL = [CASES[n] for n in sorted(CASES)]
MONTHS = sorted({m for c in ALL for m in c.months})
SHOPS = [c.shop_id for c in ALL]


@pytest.fixture(scope="module")
def cases_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_store(tmp_path_factory.mktemp("lake") / "all.duckdb", ALL)


def files(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*.parquet")
    }


def test_layout_is_hive_partitioned_one_file_a_partition(
    cases_store: Store, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    done = export(cases_store, lake)
    assert (lake / MARKER).is_file()
    names = files(lake)
    assert "messages/shop_id=worked_example_two_days_later/month=2024-09/data.parquet" in names
    assert "agents/shop_id=worked_example_two_days_later/data.parquet" in names
    assert all(n.endswith("/data.parquet") for n in names)
    assert done.tables["messages"].rows == cases_store.count("messages")
    # any Parquet reader with Hive partitioning sees the rows and the partition columns
    con = duckdb.connect()
    (n,) = con.execute(
        f"SELECT count(*) FROM read_parquet('{lake}/messages/*/*/*.parquet', hive_partitioning=1)"
        " WHERE shop_id = 'worked_example_two_days_later' AND month = '2024-09'"
    ).fetchone() or (0,)
    (want,) = cases_store.con.execute(
        "SELECT count(*) FROM messages WHERE shop_id = 'worked_example_two_days_later'"
        " AND strftime(sent_at, '%Y-%m') = '2024-09'"
    ).fetchone() or (0,)
    assert n == want > 0
    assert set(json.loads((lake / MARKER).read_text())["tables"]) == {t.name for t in TABLES}


def assert_same_figures(lake: LakeStore, store: Store) -> None:
    """Every metric case's KPI table (and activity) from the lake equals the store's."""
    assert lake.shops() == store.shops()
    want = StoreKpis(store).compute(SHOPS, MONTHS)
    got = StoreKpis(lake).compute(SHOPS, MONTHS)
    for shop in SHOPS:
        for m in MONTHS:
            assert got[shop][m].to_json() == want[shop][m].to_json(), (shop, m)
            assert [a.activity for a in got[shop][m].agents] == [
                a.activity for a in want[shop][m].agents
            ]
            # the order lines and products are read from the lake too (views, not tables)
            assert got[shop][m].strata == want[shop][m].strata, (shop, m)
            assert got[shop][m].product_sales == want[shop][m].product_sales, (shop, m)
            assert got[shop][m].products == want[shop][m].products, (shop, m)


def test_duckdb_on_the_lake_reads_order_lines_and_products(tmp_path: Path) -> None:
    """The lake's order lines and products are views: the like-with-like strata, the sales by
    product and the products' facts (pay by product stage) are the store's."""
    import lakedata

    store = lakedata.build(tmp_path / "k.duckdb")
    export(store, tmp_path / "lake")
    months = lakedata.MONTHS
    want = StoreKpis(store).compute(["s1"], months)["s1"]
    got = StoreKpis(LakeStore(tmp_path / "lake")).compute(["s1"], months)["s1"]
    for m in months:
        assert got[m].strata == want[m].strata, m
        assert got[m].product_sales == want[m].product_sales, m
        assert got[m].products == want[m].products, m
    assert {f.product_id for f in got["2024-09"].products} == {"NEWP", "OLDP", "MIDP"}
    assert {s.product for s in got["2024-09"].strata} >= {"NEWP", "OLDP", "MIDP"}


def test_duckdb_on_the_lake_gives_the_stores_figures(cases_store: Store, tmp_path: Path) -> None:
    export(cases_store, tmp_path / "lake")
    assert_same_figures(LakeStore(tmp_path / "lake"), cases_store)


def test_re_export_changes_nothing_and_a_change_rewrites_only_its_partition(
    tmp_path: Path,
) -> None:
    shop = Shop().agent("A", shop="s1").agent("A", shop="s2")
    for s in ("s1", "s2"):
        shop.chat(
            "b", "A", ("2024-07-01 10:00:00", "buyer"), ("2024-07-01 10:00:30", "agent"), shop=s
        )
        shop.chat(
            "b", "A", ("2024-08-01 10:00:00", "buyer"), ("2024-08-01 10:00:30", "agent"), shop=s
        )
        shop.order("o1", "b", "2024-07-01 11:00:00", "2024-07-01 11:00:05", shop=s)
    store = shop.store(tmp_path / "k.duckdb")
    lake = tmp_path / "lake"
    export(store, lake)
    before = files(lake)
    again = export(store, lake)
    assert files(lake) == before
    assert all(c.written == 0 and c.removed == 0 for c in again.tables.values())

    store.con.execute(
        "UPDATE messages SET text = 'hi', chars = 2 WHERE shop_id = 's1' AND sent_at = '2024-08-01 10:00:30'"
    )
    store.con.execute("DELETE FROM orders WHERE shop_id = 's2'")
    third = export(store, lake)
    after = files(lake)
    changed = {k for k in before if k in after and after[k] != before[k]}
    assert changed == {"messages/shop_id=s1/month=2024-08/data.parquet"}
    assert set(before) - set(after) == {"orders/shop_id=s2/month=2024-07/data.parquet"}
    assert third.tables["messages"].written == 1 and third.tables["orders"].removed == 1


def test_other_shops_partitions_are_left_alone(tmp_path: Path) -> None:
    """Several stores may export into one lake: a store replaces only its own shops."""
    one = Shop().agent("A", shop="s1").store(tmp_path / "one.duckdb")
    two = Shop().agent("B", shop="s2").store(tmp_path / "two.duckdb")
    lake = tmp_path / "lake"
    export(one, lake)
    export(two, lake)
    assert LakeStore(lake).shops() == ["s1", "s2"]


def test_an_interrupted_export_leaves_nothing_a_reader_sees(tmp_path: Path) -> None:
    """A staging file (what a crash leaves) is never read as data, and the next export removes it."""
    shop = Shop().agent("A", shop="s1")
    shop.chat(
        "b", "A", ("2024-07-01 10:00:00", "buyer"), ("2024-07-01 10:00:30", "agent"), shop="s1"
    )
    store = shop.store(tmp_path / "k.duckdb")
    lake = tmp_path / "lake"
    export(store, lake)
    half = lake / "_staging-dead" / "messages" / "part_no=1"
    half.mkdir(parents=True)
    (half / "data_0.parquet").write_bytes(b"PAR1 half a file")
    assert LakeStore(lake).count("messages") == 2
    export(store, lake)
    assert not (lake / "_staging-dead").exists()


def test_shop_ids_with_path_characters_round_trip(tmp_path: Path) -> None:
    odd = "店/1:a=b%c"
    assert unescape(escape(odd)) == odd and "/" not in escape(odd)
    shop = Shop().agent("A", shop=odd)
    shop.chat(
        "b", "A", ("2024-07-01 10:00:00", "buyer"), ("2024-07-01 10:00:30", "agent"), shop=odd
    )
    store = shop.store(tmp_path / "k.duckdb")
    export(store, tmp_path / "lake")
    assert (tmp_path / "lake" / "messages" / f"shop_id={escape(odd)}").is_dir()
    assert LakeStore(tmp_path / "lake").shops() == [odd]


def test_refuses_a_folder_that_is_not_a_lake(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    store = Shop().agent("A", shop="s1").store(tmp_path / "k.duckdb")
    with pytest.raises(LakeError) as e:
        export(store, tmp_path)
    assert e.value.key == "lake.not_a_lake"
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_cli_export_and_kpi_from_the_lake(cases_store: Store, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    runner = CliRunner()
    cases_store.con.execute("CHECKPOINT")
    db = str(cases_store.path)
    out = runner.invoke(app, ["lake", "export", "--store", db, "--to", str(lake), "--lang", "en"])
    assert out.exit_code == 0, out.output
    assert "partitions written" in out.output
    shop, month = "worked_example_two_days_later", "2024-09"
    args = ["kpi", "--shop", shop, "--month", month, "--format", "json", "--lang", "en"]
    from_lake = runner.invoke(app, [*args, "--lake", str(lake)])
    assert from_lake.exit_code == 0, from_lake.output
    want = StoreKpis(cases_store).shop_months(shop, [month])[month].to_json()
    assert json.loads(from_lake.output)["agents"] == json.loads(
        json.dumps(want["agents"], default=str)
    )
    missing = runner.invoke(app, [*args, "--lake", str(tmp_path / "nope")])
    assert missing.exit_code != 0 and "kefu lake export" in missing.output


@pytest.fixture(scope="module")
def people_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test_people's shops: a seat handed over mid-month, a person on two seats of one shop
    and on seats of two shops."""
    import test_people

    return test_people.people_store(tmp_path_factory.mktemp("lakepeople"))


def test_persons_in_the_lake_give_the_stores_figures_per_person(
    people_store: Path, tmp_path: Path
) -> None:
    """`kefu kpi --lake --by person` splits the seat handed over mid-month by date and sums a
    person's seats, as the store does (the person on seats of two shops is one person)."""
    lake = tmp_path / "lake"
    runner = CliRunner()
    out = runner.invoke(
        app, ["lake", "export", "--store", str(people_store), "--to", str(lake), "--lang", "en"]
    )
    assert out.exit_code == 0, out.output
    assert (lake / "persons" / f"shop_id={escape('店B')}" / "data.parquet").is_file()
    for shop in ("店A", "店B"):
        args = ["kpi", "--shop", shop, "--month", "2026-09", "--format", "json", "--lang", "en"]
        args += ["--by", "person"]
        got = runner.invoke(app, [*args, "--lake", str(lake)])
        assert got.exit_code == 0, got.output
        want = runner.invoke(app, [*args, "--db", str(people_store)])
        assert want.exit_code == 0, want.output
        assert json.loads(got.output) == json.loads(want.output), shop
        people = {a["agent_id"]: a for a in json.loads(got.output)["agents"]}
        if shop == "店A":
            assert sorted(people) == ["E1", "E2", "E3", "E4"]
            assert (people["E1"]["sales_fen"], people["E2"]["sales_fen"]) == (10000, 20000)
