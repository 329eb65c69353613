"""Lakes in an object store: `kefu lake export --to s3://…` and `kefu kpi --lake s3://…` against a
real S3-compatible server (moto's, on loopback, started here): the same figures as the store,
re-exports that rewrite no object, changed and vanished partitions, refusals."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.fs as pafs
import pytest
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.lake.export import SUMS, LakeError, export
from kefu.lake.layout import MARKER, escape
from kefu.lake.output import OutputKpis
from kefu.lake.source import LakeStore
from kefu.store import Store
from test_lake_export import ALL, assert_same_figures
from test_metrics_cases import build_store

from shopdata import Shop

BUCKET = "kefu-test"
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",  # no instance-metadata look-up (loopback only)
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """moto's S3 server on 127.0.0.1, the environment pointing kefu (pyarrow) at it, and a
    boto3 client to look at the objects."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {**ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        import boto3

        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def objects(client: Any, prefix: str) -> dict[str, tuple[str, Any]]:
    """Key (below `prefix`) → (ETag, LastModified) of every object under it."""
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix=prefix + "/"
    ):
        for o in page.get("Contents", []):
            out[o["Key"][len(prefix) + 1 :]] = (o["ETag"], o["LastModified"])
    return out


@pytest.fixture(scope="module")
def cases_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = build_store(tmp_path_factory.mktemp("remote") / "all.duckdb", ALL)
    store.con.execute("CHECKPOINT")
    return store


def test_kpi_from_an_s3_lake_equals_the_store(s3: Any, cases_store: Store, tmp_path: Path) -> None:
    """Export with the CLI to s3a:// (Hadoop's name), read back as s3://: every case's figures
    equal the store's, and `kefu kpi --lake s3://…` prints the store's JSON."""
    runner = CliRunner()
    db = str(cases_store.path)
    out = runner.invoke(
        app, ["lake", "export", "--store", db, "--to", f"s3a://{BUCKET}/cases", "--lang", "en"]
    )
    assert out.exit_code == 0, out.output
    assert f"into s3a://{BUCKET}/cases" in out.output
    keys = objects(s3, "cases")
    assert MARKER in keys
    assert "messages/shop_id=worked_example_two_days_later/month=2024-09/data.parquet" in keys

    lake = LakeStore(f"s3://{BUCKET}/cases")
    assert_same_figures(lake, cases_store)
    shop, month = "worked_example_two_days_later", "2024-09"
    args = ["kpi", "--shop", shop, "--month", month, "--format", "json", "--lang", "en"]
    from_s3 = runner.invoke(app, [*args, "--lake", f"s3://{BUCKET}/cases"])
    assert from_s3.exit_code == 0, from_s3.output
    from_store = runner.invoke(app, [*args, "--db", db])
    assert from_store.exit_code == 0, from_store.output
    assert json.loads(from_s3.output) == json.loads(from_store.output)
    # and a local copy of the same lake gives the same
    local = tmp_path / "copy"
    pafs.copy_files(f"{BUCKET}/cases", str(local), source_filesystem=lake.lake.fs)
    from_copy = runner.invoke(app, [*args, "--lake", str(local)])
    assert json.loads(from_copy.output) == json.loads(from_s3.output)


def two_shops(tmp_path: Path, odd: str) -> Store:
    shop = Shop().agent("A", shop="s1").agent("A", shop=odd)
    for s in ("s1", odd):
        shop.chat(
            "b", "A", ("2024-07-01 10:00:00", "buyer"), ("2024-07-01 10:00:30", "agent"), shop=s
        )
        shop.chat(
            "b", "A", ("2024-08-01 10:00:00", "buyer"), ("2024-08-01 10:00:30", "agent"), shop=s
        )
        shop.order("o1", "b", "2024-07-01 11:00:00", "2024-07-01 11:00:05", shop=s)
    return shop.store(tmp_path / "k.duckdb")


def test_re_export_rewrites_no_object_and_a_change_only_its_partitions(
    s3: Any, tmp_path: Path
) -> None:
    odd = "店/1:a=b%c"  # a shop id with characters a partition folder escapes
    store = two_shops(tmp_path, odd)
    uri = f"s3://{BUCKET}/incremental"
    export(store, uri)
    before = objects(s3, "incremental")
    assert f"{SUMS}/messages/shop_id={escape(odd)}.json" in before
    time.sleep(1.1)  # S3 keeps times to the second: a rewrite now would show
    again = export(store, uri)
    assert objects(s3, "incremental") == before  # not one object written, marker and sums too
    assert all(c.written == 0 and c.removed == 0 for c in again.tables.values())
    assert LakeStore(uri).shops() == sorted(["s1", odd])

    store.con.execute(
        "UPDATE messages SET text = 'hi', chars = 2 WHERE shop_id = 's1'"
        " AND sent_at = '2024-08-01 10:00:30'"
    )
    store.con.execute("DELETE FROM orders WHERE shop_id = ?", [odd])
    third = export(store, uri)
    after = objects(s3, "incremental")
    data = {k for k in before if not k.startswith("_")}
    changed = {k for k in data if k in after and after[k] != before[k]}
    assert changed == {"messages/shop_id=s1/month=2024-08/data.parquet"}
    assert data - set(after) == {f"orders/shop_id={escape(odd)}/month=2024-07/data.parquet"}
    assert third.tables["messages"].written == 1 and third.tables["orders"].removed == 1
    assert f"{SUMS}/orders/shop_id={escape(odd)}.json" not in after  # nothing left to record
    # the lake reads as the store does after the change
    lake = LakeStore(uri)
    assert lake.count("orders") == store.count("orders") == 1
    assert lake.con.execute("SELECT text FROM messages WHERE chars = 2").fetchall() == [("hi",)]


def test_a_file_changed_behind_kefus_back_is_rewritten(s3: Any, tmp_path: Path) -> None:
    """The recorded checksum is trusted only while the object's size and time are the ones
    kefu wrote: an object replaced by the same number of other bytes is put right."""
    store = two_shops(tmp_path, "s2")
    uri = f"s3://{BUCKET}/tampered"
    export(store, uri)
    key = "tampered/messages/shop_id=s1/month=2024-07/data.parquet"
    good = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    bad = good[:20] + bytes([good[20] ^ 0xFF]) + good[21:]
    time.sleep(1.1)
    s3.put_object(Bucket=BUCKET, Key=key, Body=bad)
    done = export(store, uri)
    assert done.tables["messages"].written == 1 and done.tables["messages"].unchanged == 3
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == good


def test_an_interrupted_export_costs_a_re_read_never_a_wrong_partition(
    s3: Any, tmp_path: Path
) -> None:
    """Without its record (what a crash between the upload and the record leaves), an object
    is read back and compared: equal bytes are left alone, the record is written again."""
    store = two_shops(tmp_path, "s2")
    uri = f"s3://{BUCKET}/interrupted"
    export(store, uri)
    s3.delete_object(Bucket=BUCKET, Key=f"interrupted/{SUMS}/messages/shop_id=s1.json")
    before = objects(s3, "interrupted")
    done = export(store, uri)
    assert done.tables["messages"].written == 0
    after = objects(s3, "interrupted")
    assert {k: v for k, v in after.items() if not k.startswith("_")} == {
        k: v for k, v in before.items() if not k.startswith("_")
    }
    assert f"{SUMS}/messages/shop_id=s1.json" in after


def test_refusals_are_one_sentence(s3: Any, tmp_path: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="theirs/readme.txt", Body=b"keep me")
    store = Shop().agent("A", shop="s1").store(tmp_path / "k.duckdb")
    with pytest.raises(LakeError) as e:
        export(store, f"s3://{BUCKET}/theirs")
    assert e.value.key == "lake.not_a_lake"
    assert s3.get_object(Bucket=BUCKET, Key="theirs/readme.txt")["Body"].read() == b"keep me"
    runner = CliRunner()
    store.con.execute("CHECKPOINT")
    for to, words in (
        (f"s3a://{BUCKET}/theirs", "kefu will not write a lake into it"),
        ("s3://no-such-bucket/lake", "the bucket no-such-bucket does not exist"),
        ("ftp://host/lake", "kefu cannot open the lake ftp://host/lake"),
    ):
        out = runner.invoke(
            app, ["lake", "export", "--store", str(store.path), "--to", to, "--lang", "en"]
        )
        assert out.exit_code != 0 and words in out.output, out.output
        assert "Traceback" not in out.output and len(out.output.strip().splitlines()) <= 3
    missing = runner.invoke(
        app, ["kpi", "--lake", f"s3://{BUCKET}/nothing", "--month", "2024-07", "--lang", "en"]
    )
    assert missing.exit_code != 0 and "kefu lake export" in missing.output


def test_the_jobs_output_reads_the_same_from_s3(s3: Any, tmp_path: Path) -> None:
    """`--lake-output s3://…` opens the output tables as a local folder of them does (the
    job itself is not run here: the same files, written by DuckDB, in both places)."""
    local = tmp_path / "out"
    local.mkdir()
    con = duckdb.connect()
    for name, extra in (("agent_months", ", 'A' AS agent_id"), ("shop_months", "")):
        con.execute(
            f"COPY (SELECT * FROM (VALUES ('s1', '2024-07', 3, '{{}}'), ('店/1', '2024-08', 5,"
            ' \'{"a": "1"}\')) v(shop_id, month, n, shop_settings)'
            f" CROSS JOIN (SELECT 1 AS one{extra})) TO '{local / name}'"
            " (FORMAT parquet, PARTITION_BY (shop_id, month))"
        )
    fs = pafs.S3FileSystem(endpoint_override=os.environ["AWS_ENDPOINT_URL"], region="us-east-1")
    pafs.copy_files(str(local), f"{BUCKET}/output", destination_filesystem=fs)
    here, there = OutputKpis(local), OutputKpis(f"s3a://{BUCKET}/output")
    assert there.shops() == here.shops() == ["s1", "店/1"]
    assert there.months("店/1") == ["2024-08"] and there.settings("店/1") == {"a": "1"}
    for name in ("agent_months", "shop_months", "agent_strata"):
        q = f"SELECT * FROM {name} ORDER BY ALL"
        assert there.con.execute(q).fetchall() == here.con.execute(q).fetchall(), name
