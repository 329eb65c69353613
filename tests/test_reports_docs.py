"""docs/reports.md keeps up with the readers and the presets."""

from __future__ import annotations

from pathlib import Path

from kefu.io.reports import SPECS
from kefu.metrics.settings import PRESETS

DOC = (Path(__file__).resolve().parents[1] / "docs" / "reports.md").read_text(encoding="utf-8")


def test_every_column_each_reader_knows_is_documented() -> None:
    for spec in SPECS:
        for header, col in spec.columns.items():
            assert f"| {header} | `{col.field}` | {col.kind} |" in DOC, (spec.source, header)


def test_every_preset_is_documented() -> None:
    for p in PRESETS:
        assert f"| `{p.name}` |" in DOC, p.name
