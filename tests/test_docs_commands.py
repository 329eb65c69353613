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
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_RUN = "# not run:"
MAX_NOT_RUN = 10  # synopses and installs from PyPI; keep these few


def doc_commands() -> Iterator[tuple[str, str]]:
    """(where, command line) of every `kefu …` line in a fenced code block, first occurrence
    in each page. Each page runs its commands in order, in its own copy of the demo shop."""
    for path in DOCS:
        seen: set[str] = set()
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
    year, mon = int(complete[:4]), int(complete[5:7])
    last = (
        29 if mon == 2 and year % 4 == 0 else 28 if mon == 2 else 30 if mon in (4, 6, 9, 11) else 31
    )
    # the platform reports reports.md imports, for the demo shop's month (tests/reportdata.py)
    import reportdata

    chitu = reportdata.chitu_month(work, shop=demo_store["shop"], month=complete)
    chitu.rename(work / chitu.name.replace(f"-{last:02d}.", "-30."))
    feige = reportdata.feige_month(work)
    feige.rename(work / "飞鸽_客服数据.csv")
    day = reportdata.chitu_days(work, shop=demo_store["shop"], month=complete, days=(3,))[0]
    day.rename(work / "客服日报.csv")
    # Taobao 服务评价 of the demo shop's agents in that month (importers.md)
    with open_store(db) as store:
        seats = [
            r[0]
            for r in store.con.execute("SELECT agent_id FROM agents ORDER BY 1 LIMIT 3").fetchall()
        ]
    evals = ["eval_code,eval_recer,eval_sender,eval_time,source"] + [
        f"{k % 5},{seat},buyer{k},{complete}-{10 + k:02d} 10:00:00,{k % 3}"
        for k, seat in enumerate(seats * 3)
    ]
    (work / f"kefueval-{complete}.csv").write_text("\n".join(evals) + "\n", encoding="utf-8")
    # raw exports in a landing folder for `kefu lake land` (lake.md)
    landing = work / "landing" / f"shop_id={demo_store['shop']}"
    landing.mkdir(parents=True)
    for name in ("agents.csv", "ExportOrderList201707080100.csv", "聊天记录.txt"):
        shutil.copy(work / name, landing / name)
    (work / "shop-words.yaml").write_text(
        "subtopics:\n  quality.pilling:\n    words: [起球, 搓泥]\n", encoding="utf-8"
    )
    return {
        **demo_store,
        "work": work,
        "pages": {},
        "subs": {
            "<订单编号>": row[0],
            "<order id>": row[0],
            "--port 8000": "--port PORT",
            # the docs' own-shop examples name months of 2024: the demo shop's instead
            "2024-09": complete,
            "2024-01": f"{year}-01",
        },
    }


@pytest.mark.parametrize(
    ("where", "command"),
    [
        pytest.param(
            w, c, marks=[pytest.mark.spark] if "--engine spark" in c or "lake land" in c else []
        )
        for w, c in COMMANDS
    ],
    ids=[w for w, _ in COMMANDS],
)
def test_documented_command_runs(docs_shop: dict[str, Any], where: str, command: str) -> None:
    work = page_folder(docs_shop, where.split(":")[0])
    for placeholder, value in docs_shop["subs"].items():
        command = command.replace(placeholder, value)
    command = command.replace("/srv/kefu/kefu.duckdb", str(work / "kefu.duckdb"))
    args = shlex.split(command, comments=True)
    env = {**os.environ, "KEFU_DB": str(work / "kefu.duckdb"), "COLUMNS": "100", "NO_COLOR": "1"}
    if args[1] == "serve":
        serves(docs_shop["kefu"], work, args, env)
        return
    proc = subprocess.run(
        [str(docs_shop["kefu"]), *args[1:]],
        input=PASSWORD,  # for --password-stdin; other commands do not read it
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, f"{where}: {command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr
    if args[1:3] == ["template", "agents"]:
        fill_agents_template(work / args[args.index("--output") + 1])


def page_folder(docs_shop: dict[str, Any], page: str) -> Path:
    """The page's own copy of the docs folder (made at its first command): what one page's
    commands change (settings, a second shop, users) never reaches another page."""
    pages: dict[str, Path] = docs_shop["pages"]
    if page not in pages:
        folder = docs_shop["work"].parent / f"page-{len(pages)}"
        shutil.copytree(docs_shop["work"], folder)
        if page == "web.md":  # web.md makes the store's first owner: start without web users
            from kefu.store import open_store

            with open_store(folder / "kefu.duckdb") as store:
                for table in ("web_sessions", "api_tokens", "user_agents", "user_shops", "users"):
                    store.con.execute(f"DELETE FROM {table}")
        pages[page] = folder
    return pages[page]


def fill_agents_template(path: Path) -> None:
    """What a manager does next: fill in one agent under the template's header row."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    values = {
        "店铺": "小美旗舰店",
        "子账号": "新人",
        "姓名": "新人",
        "岗位": "售前",
        "入职日期": "2024-09-01",
    }
    sheet.append([values.get(str(h)) for h in header])
    book.save(path)


PASSWORD = "docs-test-password-7\n"


def serves(kefu: Path, work: Path, args: list[str], env: dict[str, str]) -> None:
    """`kefu serve …` as documented, on a free port: it answers its sign-in page, then stops."""
    from webshop import free_port

    port = str(free_port())
    args = [port if a == "PORT" else a for a in args]
    if "--port" not in args:
        args += ["--port", port]
    proc = subprocess.Popen(
        [str(kefu), *args[1:]],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=work,
        env=env,
    )
    try:
        status = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as r:
                    status = r.status
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200, f"kefu {' '.join(args[1:])} did not serve its sign-in page"
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err[-2000:]


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
