"""Docs as tests: every `kefu …` command in README.md and docs/*.md code blocks runs on the
demo shop; the docs stand alone (no path into a folder users do not have); every KPI field,
setting and plan key is documented."""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_RUN = "# not run:"
MAX_NOT_RUN = 10  # synopses and installs from PyPI; keep these few


def doc_commands() -> Iterator[tuple[str, str]]:
    """(where, command line) of every `kefu …` line in a fenced code block, first occurrence."""
    seen: set[str] = set()
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M):
            start = text.count("\n", 0, m.start(1)) + 1
            for i, line in enumerate(m.group(1).splitlines()):
                cmd = line.strip()
                if not cmd.startswith("kefu ") or NOT_RUN in cmd:
                    continue
                key = " ".join(
                    shlex.split(cmd, comments=True)
                )  # the same command, however commented
                if key in seen:
                    continue
                seen.add(key)
                yield f"{path.name}:{start + i}", cmd


COMMANDS = list(doc_commands())


def test_commands_that_are_not_run_are_few_and_say_why() -> None:
    marked = []
    for path in DOCS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if NOT_RUN in line:
                reason = line.split(NOT_RUN, 1)[1].strip()
                assert reason, f"{path.name}: '{line}' gives no reason"
                marked.append(line)
    assert len(marked) <= MAX_NOT_RUN, marked
    assert len(COMMANDS) >= 30


@pytest.fixture(scope="module")
def docs_shop(
    demo_store: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A copy of the demo store (the docs change settings and approve runs) and the files
    the docs name, made from the demo shop's own files."""
    work = tmp_path_factory.mktemp("docs")
    db = work / "kefu.duckdb"
    shutil.copy(demo_store["db"], db)
    files = demo_store["workspace"] / "files"
    shutil.copy(files / "agents.csv", work / "agents.csv")
    shutil.copy(files / "reviews.csv", work / "reviews.csv")
    shutil.copy(files / "products.csv", work / "products.csv")
    shutil.copy(
        sorted(files.glob("ExportOrderList*.csv"))[-1], work / "ExportOrderList201707080100.csv"
    )
    shutil.copy(sorted(files.glob("qianniu_clipboard_copy_*.txt"))[0], work / "聊天记录.txt")
    shutil.copy(ROOT / "src" / "kefu" / "pay" / "plans" / "growth.yaml", work / "mine.yaml")
    shutil.copy(ROOT / "tests" / "pay_cases" / "seed_base.yaml", work / "my-cases.yaml")
    from kefu.store import open_store

    with open_store(db) as store:
        row = store.con.execute(
            "SELECT o.order_id FROM orders o JOIN messages m ON m.buyer_id = o.buyer_id "
            "AND m.shop_id = o.shop_id WHERE o.paid_at IS NOT NULL ORDER BY o.order_id LIMIT 1"
        ).fetchone()
    assert row is not None
    complete = demo_store["complete"]
    year = complete[:4]
    return {
        **demo_store,
        "work": work,
        "docs_db": db,
        "subs": {
            "<订单编号>": row[0],
            "<order id>": row[0],
            # the docs' own-shop examples name months of 2024: the demo shop's instead
            "2024-09": complete,
            "2024-01": f"{year}-01",
        },
    }


@pytest.mark.parametrize(
    ("where", "command"),
    [
        pytest.param(w, c, marks=[pytest.mark.spark] if "--engine spark" in c else [])
        for w, c in COMMANDS
    ],
    ids=[w for w, _ in COMMANDS],
)
def test_documented_command_runs(docs_shop: dict[str, Any], where: str, command: str) -> None:
    for placeholder, value in docs_shop["subs"].items():
        command = command.replace(placeholder, value)
    args = shlex.split(command, comments=True)
    env = {**os.environ, "KEFU_DB": str(docs_shop["docs_db"]), "COLUMNS": "100", "NO_COLOR": "1"}
    proc = subprocess.run(
        [str(docs_shop["kefu"]), *args[1:]],
        capture_output=True,
        text=True,
        cwd=docs_shop["work"],
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, f"{where}: {command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr


def test_docs_name_no_path_users_do_not_have() -> None:
    bad = []
    for path in DOCS:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\.\./shared|\bshared/|/work/", line):
                bad.append(f"{path.name}:{n}: {line.strip()}")
    assert bad == []


def docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in DOCS)


def test_every_kpi_field_is_defined_in_metrics_md() -> None:
    from kefu.metrics.fields import FIELDS

    metrics = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert [f for f in FIELDS if f"`{f}`" not in metrics] == []


def test_every_setting_is_documented() -> None:
    from kefu.diagnosis import settings as diagnosis_settings
    from kefu.metrics import settings as metric_settings

    metrics = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    diagnosis = (ROOT / "docs" / "diagnosis.md").read_text(encoding="utf-8")
    missing = [s.name for s in metric_settings.REGISTRY if f"`{s.name}`" not in metrics]
    missing += [
        f"diagnosis.{s.name}"
        for s in diagnosis_settings.REGISTRY
        if f"`diagnosis.{s.name}`" not in diagnosis
    ]
    assert missing == []


def plan_keys() -> set[str]:
    """Every key a plan file may hold: the allowed keys of the plan reader's mappings."""
    tree = ast.parse((ROOT / "src" / "kefu" / "pay" / "plan.py").read_text(encoding="utf-8"))
    keys: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "mapping":
            allowed = node.args[2] if len(node.args) > 2 else None
            if isinstance(allowed, ast.Tuple):
                keys |= {e.value for e in allowed.elts if isinstance(e, ast.Constant)}
            elif isinstance(allowed, ast.Name):
                keys |= set(_module_tuple(tree, allowed.id))
    return keys


def _module_tuple(tree: ast.Module, name: str) -> list[str]:
    for node in tree.body:
        named = isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        )
        if named and isinstance(node.value, ast.Tuple):
            return [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
    return []


def test_every_plan_key_is_documented() -> None:
    keys = plan_keys()
    assert {"plan", "sections", "tiers", "gates", "min_inquiries"} <= keys
    pay = (ROOT / "docs" / "pay.md").read_text(encoding="utf-8")
    assert sorted(k for k in keys if f"`{k}`" not in pay and f"{k}:" not in pay) == []
