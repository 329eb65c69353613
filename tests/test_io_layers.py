"""The importers import nothing above them: io only io and the base modules, ingest and bulk no metrics."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "kefu"
BASE = ("kefu.i18n", "kefu.inert")


def kefu_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kefu"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("kefu")}
    return names


@pytest.mark.parametrize("path", sorted((SRC / "io").glob("*.py")), ids=lambda p: p.name)
def test_io_imports_only_io_and_base_modules(path: Path) -> None:
    assert {m for m in kefu_imports(path) if not m.startswith(("kefu.io", *BASE))} == set()


@pytest.mark.parametrize("name", ["ingest.py", "bulk.py"])
def test_the_import_path_of_the_store_imports_no_upper_layer(name: str) -> None:
    allowed = ("kefu.io", "kefu.store", *BASE)
    assert {m for m in kefu_imports(SRC / "store" / name) if not m.startswith(allowed)} == set()
