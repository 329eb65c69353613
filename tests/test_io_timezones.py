"""Time is the shop's: times with a zone become the shop's wall-clock time whatever TZ the machine has."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kefu.io import read_file
from kefu.io.cells import CellError, parse_date, parse_timestamp
from kefu.io.shop_settings import SettingError, ShopZones, parse_timezone
from kefu.store import open_store
from kefu.store.ingest import import_files
from test_io_support import fixtures_dir

SHOP = "星光小店"
NY_SHOP = "纽约店"


def test_offsets_are_kept_until_the_shop_is_known() -> None:
    t = parse_timestamp("2024-09-03T02:00:00Z")
    assert t.tzinfo is not None and t.utcoffset() is not None and t.utcoffset().total_seconds() == 0
    assert ShopZones().local(t, SHOP) == datetime(2024, 9, 3, 10, 0)
    for text in (
        "2024-09-03 10:00:00+08:00",
        "2024-09-03 10:00:00 +0800",
        "2024-09-03T10:00:00+08",
    ):
        assert ShopZones().local(parse_timestamp(text), SHOP) == datetime(2024, 9, 3, 10, 0)
    ny = ShopZones({NY_SHOP: "America/New_York"})
    assert ny.local(parse_timestamp("2024-09-03T14:00:00Z"), NY_SHOP) == datetime(2024, 9, 3, 10)
    assert ny.local(parse_timestamp("2024-09-03 10:00:00"), NY_SHOP) == datetime(2024, 9, 3, 10)
    with pytest.raises(CellError):
        parse_timestamp("2024-09-03 10:00:00+25:00")
    with pytest.raises(CellError):
        parse_date("2024-09-03 00:00:00Z")  # a date has no zone


def test_timezone_setting_is_an_iana_name() -> None:
    assert parse_timezone(" America/New_York ") == "America/New_York"
    for bad in ("localtime", "", "Mars/Olympus", "../etc/passwd", "+08:00"):
        with pytest.raises(SettingError, match="IANA time zone name"):
            parse_timezone(bad)


def test_zoned_canonical_csv_is_shop_time(tmp_path: Path) -> None:
    p = tmp_path / "orders.csv"
    p.write_text(
        "order_id,shop_id,created_at,paid_at,amount_fen\n"
        f"1,{SHOP},2024-09-03T02:00:00Z,2024-09-03 10:05:00+08:00,100\n"
        f"2,{SHOP},2024-09-30T16:30:00Z,,0\n"
        f"3,{NY_SHOP},2024-09-03T14:00:00Z,,0\n",
        encoding="utf-8",
    )
    pf = read_file(p, zones=ShopZones({NY_SHOP: "America/New_York"}))
    assert pf.quarantine == []
    assert pf.table["created_at"].to_pylist() == [
        datetime(2024, 9, 3, 10, 0),
        datetime(2024, 10, 1, 0, 30),  # the next month in Shanghai
        datetime(2024, 9, 3, 10, 0),
    ]
    assert pf.table["paid_at"].to_pylist()[0] == datetime(2024, 9, 3, 10, 5)


# -- the same imports under several machine time zones ------------------------------------------

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from kefu.store import open_store
    from kefu.store.ingest import import_files
    from kefu.metrics.engine import StoreKpis

    folder, db = Path(sys.argv[1]), Path(sys.argv[2])
    with open_store(db) as store:
        store.set_setting("纽约店", "timezone", "America/New_York")
        files = sorted(p for p in folder.iterdir() if p.is_file())
        reports = import_files(store, files)
        out = {"reports": [(r.file, r.error, r.format, r.imported, r.quarantined) for r in reports]}
        for table in ("agents", "messages", "orders", "reviews"):
            rows = store.con.execute(f"SELECT * FROM {table}").fetchall()
            out[table] = sorted(repr(r) for r in rows)
        out["quarantine"] = sorted(
            repr(r) for r in store.con.execute(
                "SELECT file, row_no, column_name, value, reason FROM quarantine"
            ).fetchall()
        )
        kpis = StoreKpis(store)
        for shop in store.shops():
            months = kpis.shop_months(shop, ["2017-07", "2024-01", "2024-09", "2024-10"])
            out["kpi " + shop] = {m: sm.to_json() for m, sm in months.items()}
    print(json.dumps(out, ensure_ascii=False, sort_keys=True, default=str))
    """
)


def _inputs(folder: Path) -> None:
    (folder / "orders_zoned.csv").write_text(
        "order_id,shop_id,buyer_id,created_at,paid_at,amount_fen,items,refund_fen\n"
        f"1,{SHOP},b1,2024-09-03T02:00:00Z,2024-09-03 10:05:00+08:00,10000,1,0\n"
        f"2,{SHOP},b2,2024-09-30T16:30:00Z,2024-09-30T16:31:00Z,5000,1,0\n"
        f"3,{SHOP},b1,2024-09-04 09:00:00,2024-09-04 09:01:00,2000,1,0\n",
        encoding="utf-8",
    )
    (folder / "agents.csv").write_text(
        f"agent_id,shop_id,role\n{SHOP}:a,{SHOP},presale\n{NY_SHOP}:n,{NY_SHOP},presale\n",
        encoding="utf-8",
    )
    utc = pa.timestamp("us", tz="UTC")
    messages = pa.table(
        {
            "shop_id": [SHOP, SHOP, SHOP, SHOP, NY_SHOP, NY_SHOP],
            "buyer_id": ["b1", "b1", "b2", "b2", "n1", "n1"],
            "agent_id": [f"{SHOP}:a", f"{SHOP}:a", f"{SHOP}:a", f"{SHOP}:a", f"{NY_SHOP}:n", f"{NY_SHOP}:n"],
            "sent_at": pa.array(
                [datetime(2024, 9, 3, 1, 50), datetime(2024, 9, 3, 1, 51),
                 datetime(2024, 9, 30, 16, 20), datetime(2024, 9, 30, 16, 21),
                 datetime(2024, 9, 3, 13, 50), datetime(2024, 9, 3, 13, 51)],
                type=utc,
            ),
            "sender": ["buyer", "agent", "buyer", "agent", "buyer", "agent"],
            "text": ["在吗", "在的", "有货吗", "有", "hi", "hello"],
            "chars": pa.array([2, 2, 3, 1, 2, 5], type=pa.int32()),
        }
    )  # fmt: skip
    pq.write_table(messages, folder / "messages_zoned.parquet")  # the bulk path
    ns = pa.table(
        {
            "shop_id": [SHOP, SHOP],
            "buyer_id": ["b3", "b3"],
            "agent_id": [f"{SHOP}:a", f"{SHOP}:a"],
            "sent_at": pa.array(
                [datetime(2024, 9, 5, 23, 0), datetime(2024, 9, 5, 23, 1)],
                type=pa.timestamp("ns", tz="UTC"),
            ),  # DuckDB reads it as TIMESTAMPTZ_NS
            "sender": ["buyer", "agent"],
        }
    )
    pq.write_table(ns, folder / "messages_ns.parquet")
    orders = pa.table(
        {
            "order_id": ["9001"],
            "shop_id": [NY_SHOP],
            "buyer_id": ["n1"],
            "created_at": pa.array([datetime(2024, 9, 3, 14, 0)], type=pa.timestamp("ms", tz="Asia/Tokyo")),
            "amount_fen": pa.array([3000], type=pa.int64()),
        }
    )  # fmt: skip
    pq.write_table(orders, folder / "orders_ny.parquet")  # no items: the row reader
    d = fixtures_dir()
    for f in (
        d / "taobao-order-export" / "ExportOrderList201707080100_masked.gbk.csv",
        d / "qianniu-chat" / "qianniu_clipboard_copy.txt",
        d / "qianniu-chat" / "qianniu_web_history_page_text.txt",
    ):
        shutil.copy(f, folder / f.name)


def _run(folder: Path, tmp: Path, tz: str) -> dict[str, object]:
    script = tmp / "dump.py"
    script.write_text(SCRIPT, encoding="utf-8")
    db = tmp / f"{tz.replace('/', '_')}.duckdb"
    env = {**os.environ, "TZ": tz}
    env.pop("KEFU_DB", None)
    res = subprocess.run(
        [sys.executable, str(script), str(folder), str(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def test_the_same_imports_under_every_machine_zone_give_the_same_store(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _inputs(folder)
    zones = ["UTC", "Asia/Shanghai", "America/New_York", "Pacific/Kiritimati"]
    dumps = {tz: _run(folder, tmp_path, tz) for tz in zones}
    first = dumps["UTC"]
    assert all(e is None for _, e, *_ in first["reports"]), first["reports"]  # type: ignore[index]
    for tz in zones[1:]:
        for key in first:
            assert dumps[tz][key] == first[key], (tz, key)
    orders = first["orders"]
    assert any("'1', 'b1', datetime.datetime(2024, 9, 3, 10, 0)" in r for r in orders), orders  # type: ignore[union-attr]
    # the New York shop's order: 14:00 UTC (in a column typed for Tokyo) is 10:00 in New York
    assert any("'9001'" in r and "datetime.datetime(2024, 9, 3, 10, 0)" in r for r in orders)  # type: ignore[union-attr]
    # the bulk path converts too: 01:50Z is 09:50 in Shanghai, 13:50Z is 09:50 in New York
    messages = first["messages"]
    assert sum("datetime.datetime(2024, 9, 3, 9, 50)" in r for r in messages) == 2  # type: ignore[union-attr]
    assert sum("datetime.datetime(2024, 9, 6, 7, 0)" in r for r in messages) == 1  # type: ignore[union-attr]
    with open_store(tmp_path / "UTC.duckdb") as st:
        bulk = {"messages_zoned.parquet", "messages_ns.parquet"}
        assert {r["format"] for r in st.imports() if r["file"] in bulk} == {"canonical-parquet"}
        assert st.con.execute("SELECT count(*) FROM import_log").fetchone() == (
            len(list(folder.iterdir())),
        )


def test_bulk_and_row_reader_convert_alike(tmp_path: Path) -> None:
    """A zoned messages Parquet gives the same records through DuckDB and through the row reader."""
    folder = tmp_path / "in"
    folder.mkdir()
    _inputs(folder)
    src = folder / "messages_zoned.parquet"
    with open_store(tmp_path / "bulk.duckdb") as st:
        st.set_setting(NY_SHOP, "timezone", "America/New_York")
        (r,) = import_files(st, [src])
        bulk = sorted(st.con.execute("SELECT * FROM messages").fetchall())
    # an extra column makes the bulk path decline: the row reader imports the same file
    t = pq.read_table(src).append_column("note", pa.array(["x"] * 6))
    pq.write_table(t, tmp_path / "messages_rows.parquet")
    with open_store(tmp_path / "rows.duckdb") as st:
        st.set_setting(NY_SHOP, "timezone", "America/New_York")
        (r2,) = import_files(st, [tmp_path / "messages_rows.parquet"])
        rows = sorted(st.con.execute("SELECT * FROM messages").fetchall())
    assert r.ok and r2.ok and r2.notes  # the note: a column kefu does not use
    assert bulk == rows


def test_kefu_settings_checks_the_timezone(tmp_path: Path) -> None:
    kefu = Path(sys.executable).parent / "kefu"
    if not kefu.exists():
        pytest.skip(f"the kefu command is not installed next to {sys.executable}")
    (tmp_path / "agents.csv").write_text(f"agent_id,role\n{SHOP}:a,presale\n", encoding="utf-8")
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("KEFU_DB", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(kefu), *args, "--db", "k.duckdb"],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
        )  # fmt: skip

    assert run("import", "agents.csv").returncode == 0
    bad = run("settings", "timezone", "Mars/Olympus")
    assert bad.returncode == 1 and "IANA 时区名称" in bad.stderr  # the reader's language
    assert "Traceback" not in bad.stderr
    assert run("settings", "timezone", "Europe/Berlin").returncode == 0
    with open_store(tmp_path / "k.duckdb") as st:
        assert st.settings(SHOP)["timezone"] == "Europe/Berlin"
