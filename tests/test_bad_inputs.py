"""The bad-input corpus (tests/bad_inputs/manifest.yaml): each file gives its expected outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kefu.inert import visible
from kefu.store import open_store
from kefu.store.ingest import import_files
from test_io_support import snapshot

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8"))


def test_every_file_has_a_case_and_every_case_a_file() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.name not in ("manifest.yaml", ".gitattributes")}
    named = [c["file"] for c in CASES]
    assert len(named) == len(set(named))
    assert files == set(named)
    for c in CASES:
        assert c["expected"] in ("imported", "quarantined", "refused"), c
        assert c["expected"] == "imported" or c.get("reason"), c


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_bad_input(tmp_path: Path, case: dict[str, Any]) -> None:
    with open_store(tmp_path / "k.duckdb") as store:
        before = snapshot(store)
        (report,) = import_files(store, [CORPUS / case["file"]], shop=case.get("shop"))
        reasons = [q["reason"] for q in report.quarantine]
        if case["expected"] == "refused":
            assert not report.ok, reasons
            assert case["reason"] in (report.error or "")
            assert "\n" not in (report.error or "") and "Traceback" not in (report.error or "")
            assert snapshot(store) == before and store.imports() == []
            return
        assert report.ok, report.error
        assert report.kind == case["kind"]
        if case["expected"] == "imported":
            assert report.quarantined == 0, reasons
            assert report.imported > 0
        else:
            assert report.quarantined > 0
            assert any(case["reason"] in r for r in reasons), reasons
            assert all(q["row_no"] and q["reason"] for q in report.quarantine)
        stored = store.con.execute("SELECT value, reason, record FROM quarantine").fetchall()
        assert all(
            visible(str(v), tabs=True) == str(v) for row in stored for v in row if v is not None
        )
        if "sql" in case:
            got = [
                [None if v is None else str(v) for v in r]
                for r in store.con.execute(case["sql"]).fetchall()
            ]
            assert got == case["rows"]
