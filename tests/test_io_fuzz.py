"""Fuzzing every importer with mutated real fixtures: a clean import, quarantined rows with a reason, or
one sentence and an unchanged store — never a traceback.

The seeds are the real samples (test_io_support.fixtures_dir) and canonical CSV, xlsx and
Parquet files made from them. Mutations: bytes flipped, rows cut or repeated, columns
swapped, lines re-encoded (GBK ↔ UTF-8), byte-order marks, CR/LF variants, NUL and
control characters, files cut short. A case worth keeping goes to tests/bad_inputs/.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from kefu.io import ImportFileError, read_file
from kefu.io.rules import broken
from kefu.store import open_store
from kefu.store.ingest import import_files
from test_io_support import fixtures_dir, snapshot

# modest in CI; KEFU_FUZZ_EXAMPLES=2000 for a longer hunt
EXAMPLES = int(os.environ.get("KEFU_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SHOP = "测试店"


def _seeds() -> dict[str, bytes]:
    """File name → content: the real samples, and canonical files made from them."""
    d = fixtures_dir()
    out: dict[str, bytes] = {}
    for sub, name in [
        ("taobao-order-export", "ExportOrderList201707080100_masked.gbk.csv"),
        ("taobao-order-export", "ExportOrderList201707080100_masked.utf8.csv"),
        ("taobao-order-export", "ExportOrderDetailList201707080100_masked.gbk.csv"),
        ("qianniu-chat", "qianniu_clipboard_copy.txt"),
        ("qianniu-chat", "qianniu_web_history_page_text.txt"),
    ]:
        out[name] = (d / sub / name).read_bytes()
    with (d / "tmall-order-report" / "tmall_order_report.csv").open("rb") as f:
        out["tmall_order_report.csv"] = b"".join(f.readline() for _ in range(30))
    orders = read_file(
        d / "taobao-order-export" / "ExportOrderList201707080100_masked.utf8.csv"
    ).table
    messages = read_file(d / "qianniu-chat" / "qianniu_clipboard_copy.txt").table
    for name, table in (("orders", orders), ("messages", messages)):
        buf = io.BytesIO()
        pacsv.write_csv(table, buf)
        out[f"{name}.csv"] = buf.getvalue()
        buf = io.BytesIO()
        pq.write_table(table, buf)
        out[f"{name}.parquet"] = buf.getvalue()
    agents = sorted(set(messages["agent_id"].to_pylist()))
    out["agents.csv"] = (
        "agent_id,role,name\n" + "".join(f"{a},presale,{a.split(':')[-1]}\n" for a in agents)
    ).encode()
    out["reviews.csv"] = (
        "order_id,shop_id,rating,rated_at\n"
        + "".join(f"{o},{s},{r},2017-07-10 12:00:00\n" for (o, s), r in zip(
            zip(orders["order_id"].to_pylist(), orders["shop_id"].to_pylist(), strict=True),
            ["好评", "good", "neutral", "差评", "bad"], strict=False))
    ).encode()  # fmt: skip
    out["orders.xlsx"] = _xlsx(
        [orders.column_names, *[list(r.values()) for r in orders.to_pylist()]]
    )
    # the 千牛 workbook: a title row, then the export's own header and rows
    with (d / "taobao-order-export" / "ExportOrderList201707080100_masked.utf8.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        export = list(csv.reader(f))
    # a workbook holds the ids as text, not as the CSV's ="…" (openpyxl would write a formula)
    export = [[c.removeprefix('="').removesuffix('"') for c in row] for row in export]
    out["ExportOrderList201707080100.xlsx"] = _xlsx([["订单报表 2017-07-08"], *export])
    return out


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "订单报表"
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


SEEDS = _seeds()
TEXT_SEEDS = sorted(n for n in SEEDS if not n.endswith((".parquet", ".xlsx")))
BINARY_SEEDS = sorted(n for n in SEEDS if n.endswith((".parquet", ".xlsx")))

# -- mutations ---------------------------------------------------------------------------------

Mutation = Callable[[bytes, random.Random], bytes]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def flip_bytes(data: bytes, r: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(r.randint(1, 4)):
        if b:
            b[r.randrange(len(b))] = r.randrange(256)
    return bytes(b)


def cut_row(data: bytes, r: random.Random) -> bytes:
    lines = _lines(data)
    if len(lines) > 1:
        del lines[r.randrange(1, len(lines))]
    return b"".join(lines)


def repeat_row(data: bytes, r: random.Random) -> bytes:
    lines = _lines(data)
    i = r.randrange(len(lines))
    lines.insert(i, lines[i])
    return b"".join(lines)


def truncate(data: bytes, r: random.Random) -> bytes:
    return data[: r.randrange(1, max(2, len(data)))]


def swap_columns(data: bytes, r: random.Random) -> bytes:
    lines = _lines(data)
    width = data.split(b"\n", 1)[0].count(b",") + 1
    if width < 2:
        return data
    a, b = r.sample(range(width), 2)
    out = []
    for line in lines:
        cells = line.rstrip(b"\r\n").split(b",")
        end = line[len(line.rstrip(b"\r\n")) :]
        if max(a, b) < len(cells):
            cells[a], cells[b] = cells[b], cells[a]
        out.append(b",".join(cells) + end)
    return b"".join(out)


def mix_encodings(data: bytes, r: random.Random) -> bytes:
    lines = _lines(data)
    i = r.randrange(len(lines))
    for src, dst in (("utf-8", "gbk"), ("gb18030", "utf-8")):
        try:
            lines[i] = lines[i].decode(src).encode(dst)
            break
        except (UnicodeDecodeError, UnicodeEncodeError):
            continue
    return b"".join(lines)


def add_bom(data: bytes, r: random.Random) -> bytes:
    choice = r.randrange(3)
    if choice == 0:
        return codecs.BOM_UTF8 + data
    if choice == 1:
        return codecs.BOM_UTF8 * 2 + data
    try:
        return data.decode("utf-8").encode("utf-16")
    except UnicodeDecodeError:
        return codecs.BOM_UTF16_LE + data


def line_ends(data: bytes, r: random.Random) -> bytes:
    plain = data.replace(b"\r\n", b"\n")
    return {0: plain, 1: plain.replace(b"\n", b"\r\n"), 2: plain.replace(b"\n", b"\r")}[
        r.randrange(3)
    ]


def insert_control(data: bytes, r: random.Random) -> bytes:
    i = r.randrange(len(data) + 1)
    return (
        data[:i]
        + r.choice([b"\x00", b"\x1b[2J", b"\x07", b"\x85", b"\xe2\x80\xae", b'"'])
        + data[i:]
    )


TEXT_MUTATIONS: list[Mutation] = [
    flip_bytes, cut_row, repeat_row, truncate, swap_columns, mix_encodings, add_bom, line_ends,
    insert_control,
]  # fmt: skip
BINARY_MUTATIONS: list[Mutation] = [flip_bytes, truncate, insert_control]


def mutate(data: bytes, ops: list[int], seed: int, mutations: list[Mutation]) -> bytes:
    r = random.Random(seed)
    for op in ops:
        data = mutations[op % len(mutations)](data, r)
    return data


# -- properties --------------------------------------------------------------------------------


def check_read(path: Path, shop: str | None) -> None:
    """read_file gives a ParsedFile whose records meet every rule, or one ImportFileError."""
    try:
        pf = read_file(path, shop=shop)
    except ImportFileError as e:
        assert str(e) and "Traceback" not in str(e)
        return
    rows = pf.table.to_pylist()
    assert len(pf.source_rows) == len(rows)
    for row in rows:
        assert broken(pf.kind, row) is None, row
    for q in pf.quarantine:
        assert q["reason"], q
        assert q["file"] == path.name


@FUZZ
@given(
    name=st.sampled_from(TEXT_SEEDS),
    ops=st.lists(st.integers(0, len(TEXT_MUTATIONS) - 1), min_size=1, max_size=4),
    seed=st.integers(0, 2**32),
    shop=st.sampled_from([None, SHOP]),
)
def test_text_importers_never_crash(
    tmp_path: Path, name: str, ops: list[int], seed: int, shop: str | None
) -> None:
    p = Path(tempfile.mkdtemp(dir=tmp_path)) / name
    p.write_bytes(mutate(SEEDS[name], ops, seed, TEXT_MUTATIONS))
    check_read(p, shop)


@FUZZ
@given(
    name=st.sampled_from(BINARY_SEEDS),
    ops=st.lists(st.integers(0, len(BINARY_MUTATIONS) - 1), min_size=1, max_size=3),
    seed=st.integers(0, 2**32),
)
def test_binary_importers_never_crash(tmp_path: Path, name: str, ops: list[int], seed: int) -> None:
    p = Path(tempfile.mkdtemp(dir=tmp_path)) / name
    p.write_bytes(mutate(SEEDS[name], ops, seed, BINARY_MUTATIONS))
    check_read(p, SHOP)


cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "-1", "1e20", "2024-13-01", "2024-09-03T02:00:00Z", "\x00", "=1+1", "１２"]
    ),
)


@FUZZ
@given(data=st.data(), name=st.sampled_from(["orders", "messages"]))
def test_canonical_tables_with_hostile_cells(
    tmp_path: Path, data: st.DataObject, name: str
) -> None:
    """Cell-level mutations of the canonical Parquet and xlsx made from the fixtures."""
    table = pq.read_table(io.BytesIO(SEEDS[f"{name}.parquet"]))
    rows = [{k: ("" if v is None else str(v)) for k, v in r.items()} for r in table.to_pylist()]
    for _ in range(data.draw(st.integers(1, 4))):
        row = data.draw(st.sampled_from(rows))
        row[data.draw(st.sampled_from(table.column_names))] = data.draw(cells)
    as_text = pa.table({c: [r[c] for r in rows] for c in table.column_names})
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    pq.write_table(as_text, folder / f"{name}.parquet")
    check_read(folder / f"{name}.parquet", SHOP)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(table.column_names)
    for r in rows:  # a workbook cannot hold control characters: openpyxl refuses them
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", r[c]) for c in table.column_names])
    wb.save(folder / f"{name}.xlsx")
    check_read(folder / f"{name}.xlsx", SHOP)


@settings(
    max_examples=max(15, EXAMPLES // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(sorted(SEEDS)),
    ops=st.lists(st.integers(0, 99), min_size=1, max_size=3),
    seed=st.integers(0, 2**32),
)
def test_importing_a_mutated_file_keeps_the_store_whole(
    tmp_path: Path, name: str, ops: list[int], seed: int
) -> None:
    """Through the store: refused → the store unchanged; read → importing it again changes nothing."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    mutations = BINARY_MUTATIONS if name in BINARY_SEEDS else TEXT_MUTATIONS
    p = folder / name
    p.write_bytes(mutate(SEEDS[name], ops, seed, mutations))
    base = fixtures_dir() / "taobao-order-export" / "ExportOrderList201707080100_masked.utf8.csv"
    with open_store(folder / "k.duckdb") as store:
        import_files(store, [base])  # something to lose
        before = snapshot(store)
        (r,) = import_files(store, [p], shop=SHOP)
        if not r.ok:
            assert r.error and "Traceback" not in r.error
            assert snapshot(store) == before
            return
        assert all(q["reason"] for q in r.quarantine)
        after = snapshot(store)
        (again,) = import_files(store, [p], shop=SHOP)
        assert again.ok and (again.imported, again.updated) == (0, 0)
        assert snapshot(store) == after


# -- the installed command ---------------------------------------------------------------------

KEFU = Path(sys.executable).parent / "kefu"


def test_the_kefu_command_on_mutated_files(tmp_path: Path) -> None:
    if not KEFU.exists():
        pytest.skip(f"the kefu command is not installed next to {sys.executable}")
    r = random.Random(7)
    files = []
    for i, name in enumerate(sorted(SEEDS)):
        mutations = BINARY_MUTATIONS if name in BINARY_SEEDS else TEXT_MUTATIONS
        ops = [r.randrange(100) for _ in range(r.randint(1, 3))]
        p = tmp_path / f"m{i}_{name}"
        p.write_bytes(mutate(SEEDS[name], ops, r.randrange(2**32), mutations))
        files.append(p)
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("KEFU_DB", None)
    for args in (
        ["import", *map(str, files), "--db", "k.duckdb", "--shop", SHOP],
        ["import", str(files[0]), "--db", "k.duckdb"],
        ["import", "--quarantine", "--db", "k.duckdb"],
    ):
        res = subprocess.run(
            [str(KEFU), *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
        )
        assert "Traceback" not in res.stderr + res.stdout, res.stderr
        assert res.returncode in (0, 1), res.stderr
        assert (
            "\x1b[2J" not in res.stdout
        )  # a control character in a cell never reaches the terminal
