"""Raw exports parsed inside Spark: a landing folder's files → canonical rows and quarantined rows.

    parsed = parse_landing(spark, "hdfs://nn/kefu/landing")
    parsed.tables["orders"]     # a DataFrame of the canonical orders columns
    parsed.quarantine           # file, row_no, column, value, reason

Spark's `binaryFile` source lists and reads the files; `mapInArrow` hands each file's bytes,
on an executor, to the same parser `kefu import` uses (kefu.io.read_file: detection,
encodings, the platforms' formats, row checks). What it gives travels back as Arrow: the
canonical table serialised once (Arrow IPC) beside the file's name and kind, then decoded
per kind into typed columns. The driver never sees a row. A file kefu cannot read at all is
one quarantine row without a row number, with the refusal's sentence.

kefu.lake.land merges what this gives into the lake's partitions (docs/lake.md, "Landing raw
exports").
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa

from kefu.i18n import Refusal
from kefu.io.records import ARROW_TYPES, ParsedFile
from kefu.lake.layout import unescape

PARSED = "file STRING, mtime BIGINT, kind STRING, ipc BINARY, quarantine STRING"
QUARANTINE = "ARRAY<STRUCT<row_no: INT, column: STRING, value: STRING, reason: STRING>>"
SPARK_TYPES = {
    pa.string(): "STRING",
    pa.timestamp("us"): "TIMESTAMP_NTZ",
    pa.date32(): "DATE",
    pa.int32(): "INT",
    pa.int64(): "BIGINT",
}
# what travels with each landed row beside its canonical columns: its file, the file's time,
# its row number as a person sees it, and the columns the file really gave on that row
# (kefu.io.records.ParsedFile.columns and .partial; the others hold defaults)
ROW_EXTRA = {"_row": pa.int32(), "_given": pa.string()}
ROW_EXTRA_SPARK = "`_file` STRING, `_mtime` BIGINT, `_row` INT, `_given` STRING"


def spark_schema(kind: str) -> str:
    """The canonical table of `kind` as a Spark schema (times without a zone, as the store)."""
    return ", ".join(f"`{c}` {SPARK_TYPES[t]}" for c, t in ARROW_TYPES[kind].items())


def _parsed(
    file: str, mtime: int, kind: str | None, ipc: bytes | None, quarantine: list[Any]
) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {
            "file": [file],
            "mtime": [mtime],
            "kind": [kind],
            "ipc": [ipc],
            "quarantine": [json.dumps(quarantine, ensure_ascii=False, default=str)],
        },
        schema=pa.schema(
            [
                ("file", pa.string()),
                ("mtime", pa.int64()),
                ("kind", pa.string()),
                ("ipc", pa.binary()),
                ("quarantine", pa.string()),
            ]
        ),
    )


def canonical(kind: str, table: pa.Table) -> pa.Table:
    """A parsed table with every canonical column of its kind, in order (NULL where the
    file has none, as the store's insert leaves it)."""
    types = ARROW_TYPES[kind]
    cols = [
        table.column(c).cast(t) if c in table.column_names else pa.nulls(table.num_rows, t)
        for c, t in types.items()
    ]
    return pa.table(cols, schema=pa.schema(list(types.items())))


def given(pf: ParsedFile) -> pa.Array:
    """For each row of `pf.table`, the columns the file gave on it, separated by commas."""
    base = [c for c in pf.columns if c in ARROW_TYPES[pf.kind]]
    if not pf.partial:
        return pa.array([",".join(base)] * pf.table.num_rows, type=pa.string())
    names = [c for c in pf.partial if c not in base]
    return pa.array(
        [",".join(base + [c for c in names if pf.partial[c][r]]) for r in range(pf.table.num_rows)],
        type=pa.string(),
    )


def shop_of(rel: str) -> str | None:
    """The shop a landed file belongs to when it does not say: the nearest folder above it
    named `shop_id=<shop>` (escaped as a lake's partition folders are)."""
    for part in reversed(rel.split("/")[:-1]):
        if part.startswith("shop_id=") and len(part) > len("shop_id="):
            return unescape(part.removeprefix("shop_id="))
    return None


def _refused(rel: str, mtime: int, key: str, **values: object) -> pa.RecordBatch:
    return _parsed(rel, mtime, None, None, [{"reason": str(Refusal(key, **values))}])


def parser(
    root: str, settings: Mapping[str, Mapping[str, str]] | None = None
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """On an executor: each landed file (path, modificationTime, content) read as `kefu
    import` reads it (kefu.io.reader.read_for_shop, with its shop's settings from the lake:
    time zone, bot accounts, auto-reply prefixes). `root` is the landing folder's URL: a
    file is named by its path below it."""
    shop_settings = {s: dict(v) for s, v in (settings or {}).items()}
    prefix = root.rstrip("/") + "/"

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from kefu.io.reader import read_for_shop
        from kefu.io.records import FILE_EXTRA_TYPES, ImportFileError
        from kefu.io.shop_settings import SettingError, ShopZones, parse_timezone

        zones: dict[str, str] = {}
        for shop, values in shop_settings.items():
            try:
                if "timezone" in values:
                    zones[shop] = parse_timezone(values["timezone"])
            except SettingError:
                pass  # as the store's import: a bad zone is not used
        for batch in batches:
            for path, mtime, content in zip(
                batch.column("path").to_pylist(),
                batch.column("modificationTime").cast(pa.int64()).to_pylist(),
                batch.column("content").to_pylist(),
                strict=True,
            ):
                path = str(path)
                rel = unquote(path[len(prefix) :] if path.startswith(prefix) else path)
                name = rel.rsplit("/", 1)[-1]
                with tempfile.TemporaryDirectory(prefix="kefu-landing-") as folder:
                    local = Path(folder) / name
                    local.write_bytes(content)
                    try:
                        pf = read_for_shop(
                            local,
                            kind=None,
                            shop=shop_of(rel),
                            settings=lambda s: shop_settings.get(s, {}),
                            zones=ShopZones(zones),
                            warnings=[],
                        )
                    except ImportFileError as e:
                        yield _parsed(rel, mtime, None, None, [{"reason": e.text("en")}])
                        continue
                if pf.updates_only:  # adds to orders already stored: not a record of its own
                    yield _refused(rel, mtime, "lake.land.updates_only", file=rel)
                    continue
                if set(FILE_EXTRA_TYPES.get(pf.kind, {})) & set(pf.columns):
                    yield _refused(rel, mtime, "lake.land.people", file=rel)
                    continue
                table = canonical(pf.kind, pf.table)
                if pf.kind != "reviews" and table.column("shop_id").null_count:
                    # a review takes its order's shop; any other record needs its own
                    yield _refused(rel, mtime, "lake.land.no_shop", file=rel)
                    continue
                table = table.append_column(
                    "_row", pa.array(pf.source_rows or range(1, table.num_rows + 1), pa.int32())
                ).append_column("_given", given(pf))
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, table.schema) as writer:
                    writer.write_table(table)
                rows = [
                    {k: q.get(k) for k in ("row_no", "column", "value", "reason")}
                    for q in pf.quarantine
                ]
                if pf.items is not None and pf.items.num_rows:
                    rows.append({"reason": str(Refusal("lake.land.items", file=rel))})
                yield _parsed(rel, mtime, pf.kind, sink.getvalue().to_pybytes(), rows)

    return run


def decode(
    kind: str, extra: bool = False
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """On an executor: the serialised tables of one kind as its typed canonical columns
    (with `extra`, each row's file, file time, row number and given columns after them)."""
    types = dict(ARROW_TYPES[kind])
    if extra:
        types |= {"_file": pa.string(), "_mtime": pa.int64(), **ROW_EXTRA}
    schema = pa.schema(list(types.items()))

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for file, mtime, ipc in zip(
                batch.column("file").to_pylist(),
                batch.column("mtime").to_pylist(),
                batch.column("ipc").to_pylist(),
                strict=True,
            ):
                table = pa.ipc.open_stream(ipc).read_all()
                if extra:
                    n = table.num_rows
                    table = table.append_column("_file", pa.array([file] * n, pa.string()))
                    table = table.append_column("_mtime", pa.array([mtime] * n, pa.int64()))
                yield from table.select(list(types)).cast(schema).to_batches()

    return run


@dataclass
class Landing:
    """What a landing folder parsed into: one DataFrame per canonical table, and the rows
    (and files) that did not make it in."""

    tables: dict[str, Any]
    quarantine: Any
    files: Any  # file, kind, rows quarantined: one row a file


def parse_landing(
    spark: Any,
    landing: str,
    *,
    paths: list[str] | None = None,
    settings: Mapping[str, Mapping[str, str]] | None = None,
    extra: bool = False,
) -> Landing:
    """Every file under `landing` (any Hadoop path), or only `paths` below it, parsed on
    the executors with the shops' `settings`; `extra` adds each row's file, file time, row
    number and given columns (ROW_EXTRA) to the tables."""
    from pyspark.sql import functions as f

    reader = spark.read.format("binaryFile")
    if paths is None:
        reader = reader.option("recursiveFileLookup", "true").option("pathGlobFilter", "[!._]*")
    raw = reader.load(paths if paths is not None else landing)
    root = landing if paths is not None else _qualified(spark, landing)
    # recomputable from the landing files if an executor is lost (not a localCheckpoint)
    parsed = (
        raw.select("path", "modificationTime", "content")
        .withColumn("modificationTime", f.expr("unix_millis(modificationTime)"))
        .mapInArrow(parser(root, settings), PARSED)
        .persist()
    )
    schema = (lambda k: f"{spark_schema(k)}, {ROW_EXTRA_SPARK}") if extra else spark_schema
    tables = {
        kind: parsed.where(f.col("kind") == kind)
        .select("file", "mtime", "ipc")
        .mapInArrow(decode(kind, extra), schema(kind))
        for kind in ARROW_TYPES
    }
    quarantine = parsed.select(
        "file", f.explode(f.from_json("quarantine", QUARANTINE)).alias("q")
    ).select("file", "q.row_no", "q.column", "q.value", "q.reason")
    files = parsed.select(
        "file", "kind", f.size(f.from_json("quarantine", QUARANTINE)).alias("quarantined")
    )
    return Landing(tables, quarantine, files)


def _qualified(spark: Any, path: str) -> str:
    """`path` as Hadoop names the files below it (binaryFile's `path` column)."""
    jvm = spark.sparkContext._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    fs = p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return str(fs.makeQualified(p).toString())
