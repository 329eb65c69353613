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

Not done yet (docs/lake.md): writing the parsed rows into the lake's partitions with the
store's merge rules (same file twice changes nothing, a newer export updates).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa

from kefu.io.records import ARROW_TYPES

PARSED = "file STRING, kind STRING, ipc BINARY, quarantine STRING"
QUARANTINE = "ARRAY<STRUCT<row_no: INT, column: STRING, value: STRING, reason: STRING>>"
SPARK_TYPES = {
    pa.string(): "STRING",
    pa.timestamp("us"): "TIMESTAMP_NTZ",
    pa.date32(): "DATE",
    pa.int32(): "INT",
    pa.int64(): "BIGINT",
}


def spark_schema(kind: str) -> str:
    """The canonical table of `kind` as a Spark schema (times without a zone, as the store)."""
    return ", ".join(f"`{c}` {SPARK_TYPES[t]}" for c, t in ARROW_TYPES[kind].items())


def _parsed(
    file: str, kind: str | None, ipc: bytes | None, quarantine: list[Any]
) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {
            "file": [file],
            "kind": [kind],
            "ipc": [ipc],
            "quarantine": [json.dumps(quarantine, ensure_ascii=False, default=str)],
        },
        schema=pa.schema(
            [
                ("file", pa.string()),
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


def parse_files(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """On an executor: each file (path, content) read by kefu.io.read_file."""
    from kefu.io import read_file
    from kefu.io.records import ImportFileError

    for batch in batches:
        for path, content in zip(
            batch.column("path").to_pylist(), batch.column("content").to_pylist(), strict=True
        ):
            name = unquote(str(path).rsplit("/", 1)[-1])
            with tempfile.TemporaryDirectory(prefix="kefu-landing-") as folder:
                local = Path(folder) / name
                local.write_bytes(content)
                try:
                    pf = read_file(local)
                except ImportFileError as e:
                    yield _parsed(name, None, None, [{"reason": e.text("en")}])
                    continue
            sink = pa.BufferOutputStream()
            table = canonical(pf.kind, pf.table)
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            rows = [
                {k: q.get(k) for k in ("row_no", "column", "value", "reason")}
                for q in pf.quarantine
            ]
            yield _parsed(name, pf.kind, sink.getvalue().to_pybytes(), rows)


def decode(kind: str) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """On an executor: the serialised tables of one kind as its typed canonical columns."""
    schema = pa.schema(list(ARROW_TYPES[kind].items()))

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for ipc in batch.column("ipc").to_pylist():
                table = pa.ipc.open_stream(ipc).read_all().cast(schema)
                yield from table.to_batches()

    return run


@dataclass
class Landing:
    """What a landing folder parsed into: one DataFrame per canonical table, and the rows
    (and files) that did not make it in."""

    tables: dict[str, Any]
    quarantine: Any
    files: Any  # file, kind, rows quarantined: one row a file


def parse_landing(spark: Any, landing: str) -> Landing:
    """Every file under `landing` (any Hadoop path), parsed on the executors."""
    from pyspark.sql import functions as f

    raw = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", "[!._]*")
        .load(landing)
    )
    # recomputable from the landing files if an executor is lost (not a localCheckpoint)
    parsed = raw.select("path", "content").mapInArrow(parse_files, PARSED).persist()
    tables = {
        kind: parsed.where(f.col("kind") == kind)
        .select("ipc")
        .mapInArrow(decode(kind), spark_schema(kind))
        for kind in ARROW_TYPES
    }
    quarantine = parsed.select(
        "file", f.explode(f.from_json("quarantine", QUARANTINE)).alias("q")
    ).select("file", "q.row_no", "q.column", "q.value", "q.reason")
    files = parsed.select(
        "file", "kind", f.size(f.from_json("quarantine", QUARANTINE)).alias("quarantined")
    )
    return Landing(tables, quarantine, files)
