"""Payslip cases as data: every case in tests/pay_cases/ and the one in docs/pay.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.pay.cases import Case, load_cases, run_case, run_file
from kefu.report.payslip import explain_both

ROOT = Path(__file__).resolve().parent.parent
CASE_FILES = sorted((ROOT / "tests" / "pay_cases").glob("*.yaml"))
CASES = [c for f in CASE_FILES for c in load_cases(f)]


def test_there_are_cases_for_every_seed_clause() -> None:
    names = {f.stem for f in CASE_FILES}
    assert {"seed_base", "seed_rank", "seed_commission", "seed_quarterly", "seed_clawback"} <= names


@pytest.mark.parametrize("case", CASES, ids=[f"{Path(c.file).stem}: {c.name}" for c in CASES])
def test_case(case: Case) -> None:
    result = run_case(case, explain_both)
    assert result.ok, "\n".join(result.problems)


def test_kefu_plan_test_runs_the_case_files() -> None:
    out = CliRunner().invoke(app, ["plan", "test", *map(str, CASE_FILES)])
    assert out.exit_code == 0, out.output
    assert f"{len(CASES)} 个通过, 0 个失败" in out.output


def test_kefu_plan_test_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    text = (ROOT / "tests" / "pay_cases" / "seed_base.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("a: {base: 300000}", "a: {base: 300001}", 1), encoding="utf-8")
    out = CliRunner().invoke(app, ["plan", "test", str(bad)])
    assert out.exit_code == 1
    assert "expected 300001 fen, got 300000" in out.output


def test_a_case_file_with_errors_is_reported_not_crashed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: x\n  plan: seed\n  period: 2024-13\n  input: {}\n  output: {}\n")
    [result] = run_file(bad, explain_both)
    assert not result.ok and "expected YYYY-MM" in result.problems[0]
    bad.write_text(
        "- name: x\n  plan: seed\n  period: 2024-03\n  input:\n    agents:\n"
        "      - {agent_id: a, months: {2024-03: {salez_fen: 1}}}\n  output: {}\n"
    )
    [result] = run_file(bad, explain_both)
    assert "not a KPI part" in result.problems[0]


def test_the_docs_case_example_runs(tmp_path: Path) -> None:
    docs = (ROOT / "docs" / "pay.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", docs, re.S) if b.startswith("- name:")]
    assert blocks
    for i, block in enumerate(blocks):
        path = tmp_path / f"doc{i}.yaml"
        path.write_text(block, encoding="utf-8")
        for result in run_file(path, explain_both):
            assert result.ok, result.problems
