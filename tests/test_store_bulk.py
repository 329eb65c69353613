"""Canonical Parquet in bulk (DuckDB reads it) gives the same records as the row reader."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings

from kefu.store import open_store
from kefu.store.ingest import import_files

from shopdata import Shop, _arrow
from shopgen import shops


def _tables(db: Path) -> tuple[list[tuple], list[tuple]]:
    with open_store(db) as st:
        return (
            st.con.execute("SELECT * FROM messages ORDER BY ALL").fetchall(),
            st.con.execute(
                "SELECT * EXCLUDE (refunded_at, status) FROM orders ORDER BY ALL"
            ).fetchall(),
        )


def _write(shop: Shop, d: Path) -> None:
    f = shop.frames()
    pq.write_table(_arrow("messages", f["messages"]), d / "messages.parquet")
    pq.write_table(_arrow("orders", f["orders"]), d / "orders.parquet")
    pq.write_table(_arrow("reviews", f["reviews"]), d / "reviews.parquet")
    reviews = f["reviews"].copy()
    reviews["rated_at"] = pd.to_datetime(reviews["rated_at"]).dt.strftime("%Y-%m-%d %H:%M:%S")
    reviews.to_csv(d / "reviews.csv", index=False)
    f["messages"].to_csv(d / "messages.csv", index=False)
    orders = f["orders"].drop(columns=["refunded_at", "status"])
    for c in ("created_at", "paid_at"):
        orders[c] = pd.to_datetime(orders[c]).dt.strftime("%Y-%m-%d %H:%M:%S")
    orders.to_csv(d / "orders.csv", index=False)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(shops())
def test_bulk_parquet_equals_row_reader(tmp_path: Path, shop: Shop) -> None:
    d = Path(tempfile.mkdtemp(dir=tmp_path))
    _write(shop, d)
    for kind in ("parquet", "csv"):
        with open_store(d / f"{kind}.duckdb") as st:
            for _ in range(2):  # importing twice changes nothing
                files = [d / f"{t}.{kind}" for t in ("messages", "orders", "reviews")]
                reports = import_files(st, files)
                assert all(r.ok for r in reports)
    assert _tables(d / "parquet.duckdb") == _tables(d / "csv.duckdb")
    with open_store(d / "parquet.duckdb") as st:
        formats = {r["format"] for r in st.imports()}
    assert formats == {"canonical-parquet"}


def test_a_dirty_parquet_file_goes_through_the_row_reader(tmp_path: Path) -> None:
    shop = Shop().agent("A")
    shop.msg("b", "A", "2024-01-01 10:00:00", "buyer", "在吗").msg(
        "b", "A", "2024-01-01 10:00:09", "agent", "在"
    )
    shop.messages[1]["sender"] = "robot"
    pq.write_table(_arrow("messages", shop.frames()["messages"]), tmp_path / "m.parquet")
    with open_store(tmp_path / "k.duckdb") as st:
        (r,) = import_files(st, [tmp_path / "m.parquet"])
        assert (r.imported, r.quarantined) == (1, 1)
        assert "robot" in r.quarantine[0]["reason"] and r.quarantine[0]["row_no"] == 3


def test_bulk_messages_report_unknown_sub_accounts(tmp_path: Path) -> None:
    shop = Shop().agent("A")
    shop.msg("b", "A", "2024-01-01 10:00:00", "buyer", "在吗").msg(
        "b", "Ghost", "2024-01-01 10:00:09", "agent", "在"
    )
    pq.write_table(_arrow("messages", shop.frames()["messages"]), tmp_path / "m.parquet")
    with open_store(tmp_path / "k.duckdb") as st:
        (r,) = import_files(st, [tmp_path / "m.parquet"])
        assert r.format == "canonical-parquet"
        assert any("A, Ghost" in n for n in r.notes), r.notes  # no agents table imported here
