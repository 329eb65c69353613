"""`pip install kefu` then `kefu demo` on Windows, macOS and Linux: no POSIX-only calls, a GBK
console, paths with Chinese characters and spaces, no pandas at run time, clean JSON on stdout."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tomllib
from typing import Any

import pytest

from conftest import ROOT

SRC = ROOT / "src" / "kefu"


def run_gbk(demo: dict[str, Any], *args: str) -> str:
    env = {**demo["env"], "KEFU_DB": str(demo["db"])}
    proc = subprocess.run([str(demo["kefu"]), *args], capture_output=True, env=env, timeout=600)
    err = proc.stderr.decode("gbk", "replace")
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "UnicodeEncodeError" not in err
    return proc.stdout.decode("gbk")  # what a GBK console shows: it must decode


def test_the_demo_ran_on_a_gbk_console_in_a_chinese_path(demo_store: dict[str, Any]) -> None:
    assert " " in str(demo_store["workspace"]) and "客服" in str(demo_store["workspace"])
    assert demo_store["db"].exists()
    assert list(demo_store["workspace"].glob("report-*.html"))
    assert "询单" in demo_store["stdout"]


def test_kpi_diagnose_payslip_on_a_gbk_console(demo_store: dict[str, Any]) -> None:
    month, complete = demo_store["month"], demo_store["complete"]
    assert "询单" in run_gbk(demo_store, "kpi", "--month", month)
    assert "四象限" in run_gbk(demo_store, "diagnose", "--month", complete)
    slip = run_gbk(demo_store, "payslip", "--month", complete, "--agent", "小美")
    assert "小美" in slip
    out = demo_store["workspace"] / "报告 九月.html"
    run_gbk(demo_store, "report", "--month", complete, "--output", str(out))
    assert out.exists()


def test_characters_gbk_lacks_do_not_crash(demo_store: dict[str, Any]) -> None:
    # `kefu plan test` prints ✓, which GBK cannot encode: it must become ? rather than crash
    cases = ROOT / "tests" / "pay_cases" / "seed_base.yaml"
    out = run_gbk(demo_store, "plan", "test", str(cases))
    assert "10 个通过, 0 个失败" in out  # the environment's language (Chinese by default)


POSIX_ONLY = re.compile(
    r"os\.fork|fcntl|termios|signal\.SIG(?!INT\b)|os\.getuid|os\.geteuid|os\.getpgid|"
    r"os\.killpg|os\.setsid|\bimport (pwd|grp|resource)\b|['\"]/tmp|['\"]/dev/|"
    r"os\.path\.expanduser\(['\"]~/|\.chmod\(0o"
)


def test_no_posix_only_calls() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if POSIX_ONLY.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []


def test_src_does_not_import_pandas_and_does_not_depend_on_it() -> None:
    importers = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] == "pandas" for n in names):
                importers.append(str(path.relative_to(ROOT)))
    assert importers == []
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [d for d in project["dependencies"] if d.startswith("pandas")]
    assert any(d.startswith("pandas") for d in project["optional-dependencies"]["dev"])
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert re.search(r"^pandas==", lock, re.M)  # the tests' oracle still has it pinned


def test_every_text_file_kefu_writes_names_its_encoding() -> None:
    # open()/read_text()/write_text() without encoding= use the locale's: cp936 on Windows
    bad = []
    pattern = re.compile(
        r"\.(read_text|write_text)\((?![^)]*encoding)|(?<!os\.)\bopen\((?![^)]*(encoding|[\"'][rwax]b\+?[\"']))"
    )
    for path in sorted(SRC.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line) and "encoding" not in line and "mode" not in line:
                bad.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert bad == []


@pytest.mark.spark
def test_spark_json_on_stdout_is_only_json(demo_store: dict[str, Any]) -> None:
    import os

    env = {**os.environ, "KEFU_DB": str(demo_store["db"])}
    proc = subprocess.run(
        [
            str(demo_store["kefu"]),
            "kpi",
            "--month",
            demo_store["month"],
            "--engine",
            "spark",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # no log4j line, no warning before or after
    assert data["month"] == demo_store["month"]
