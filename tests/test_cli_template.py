"""Files people make by hand: Chinese agents headers, `kefu template`, and refused headers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from kefu.cli.main import app
from kefu.cli.template import write_template
from kefu.io import read_file
from kefu.io.records import KINDS, ImportFileError, file_types
from kefu.store import open_store
from kefu.store.ingest import import_files

runner = CliRunner()


def agents_of(db: Path) -> list[tuple[object, ...]]:
    with open_store(db) as s:
        return s.con.execute(
            "SELECT shop_id, agent_id, name, role, team, hired_on, left_on FROM agents ORDER BY agent_id"
        ).fetchall()


@pytest.mark.parametrize(
    "header",
    [
        "子账号,姓名,岗位,班组,入职日期,离职日期",
        "客服账号,姓名,岗位,班组,入职日期,离职日期",
        " 子账号 ,姓名 ,岗位,班组,入职时间,离职时间",
        "agent_id,name,role,team,hired_on,left_on",
    ],
)
def test_agents_with_chinese_or_canonical_headers(tmp_path: Path, header: str) -> None:
    f = tmp_path / "客服名单.csv"
    f.write_text(
        header
        + "\n小美旗舰店:小美,小美,售前,A组,2024-03-01,\n小美旗舰店:阿杰,阿杰,售后,,2024/3/1,2024年9月30日\n",
        encoding="utf-8-sig",
    )
    [report] = import_files(open_store(tmp_path / "k.duckdb"), [f])
    assert report.ok, report.error
    assert report.kind == "agents" and report.imported == 2 and report.quarantined == 0
    rows = agents_of(tmp_path / "k.duckdb")
    assert rows[0][:5] == ("小美旗舰店", "小美旗舰店:小美", "小美", "presale", "A组")
    assert rows[1][3] == "aftersale" and rows[1][5] == date(2024, 3, 1)
    assert rows[1][6] == date(2024, 9, 30)


def test_a_header_without_role_names_what_is_missing_and_what_it_means(tmp_path: Path) -> None:
    f = tmp_path / "agents.csv"
    f.write_text("子账号,姓名,入职日期\n店:甲,甲,2024-01-01\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as e:
        read_file(f)
    text = str(e.value)
    assert "agents.csv" in text and "role" in text and "售前" in text and "售后" in text
    f.write_text("agent_id,name\n店:甲,甲\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as e:
        read_file(f, kind="agents")
    assert "role" in str(e.value) and "岗位" in str(e.value)


def test_a_header_without_the_sub_account(tmp_path: Path) -> None:
    f = tmp_path / "agents.csv"
    f.write_text("姓名,岗位\n甲,售前\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as e:
        read_file(f)
    assert "agent_id" in str(e.value) and "子账号" in str(e.value)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_template_has_columns_meanings_and_validation(tmp_path: Path, kind: str, lang: str) -> None:
    path = tmp_path / f"{kind}.xlsx"
    result = runner.invoke(app, ["template", kind, "--output", str(path), "--lang", lang])
    assert result.exit_code == 0, result.output
    wb = load_workbook(path)
    data, meanings = wb.worksheets[0], wb.worksheets[1]
    header = [c.value for c in data[1]]
    assert len(header) == len(file_types(kind))  # the agents file: with person and interval
    described = [r[0] for r in meanings.iter_rows(min_row=4, values_only=True)]
    assert described == header  # every column is explained
    assert all(r[1] for r in meanings.iter_rows(min_row=4, values_only=True))
    assert data.data_validations.dataValidation  # Excel/WPS check the cells
    if kind == "agents":
        role = header.index("岗位" if lang == "zh" else "role")
        lists = [v for v in data.data_validations.dataValidation if v.type == "list"]
        expected = '"售前,售后"' if lang == "zh" else '"presale,aftersale"'
        assert lists[0].formula1 == expected
        letter = "ABCDEFG"[role]
        assert f"{letter}2" in str(lists[0].sqref)
        assert any(v.type == "date" for v in data.data_validations.dataValidation)


def test_template_round_trips_through_import(tmp_path: Path) -> None:
    path = tmp_path / "客服 名单.xlsx"
    write_template("agents", path, "zh")
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    ws.cell(row=2, column=1, value="小美旗舰店")
    for col, v in enumerate(["小美旗舰店:小美", "小美", "售前", None, date(2024, 3, 1)], start=2):
        ws.cell(row=2, column=col, value=v)
    for col, v in enumerate(
        [None, "小美旗舰店:阿杰", "阿杰", "售后", "B组", datetime(2024, 3, 1), date(2024, 9, 30)],
        start=1,
    ):
        ws.cell(row=3, column=col, value=v)
    wb.save(path)
    [report] = import_files(open_store(tmp_path / "k.duckdb"), [path])
    assert report.ok, report.error
    assert (report.imported, report.quarantined) == (2, 0)
    rows = agents_of(tmp_path / "k.duckdb")
    assert rows[0] == (
        "小美旗舰店",
        "小美旗舰店:小美",
        "小美",
        "presale",
        None,
        date(2024, 3, 1),
        None,
    )
    assert rows[1][0] == "小美旗舰店" and rows[1][6] == date(2024, 9, 30)


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "agents"])
def test_an_empty_template_imports_as_nothing(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.xlsx"
    write_template(kind, path, "zh")
    [report] = import_files(open_store(tmp_path / "k.duckdb"), [path], kind=kind, shop="店")
    assert report.ok, report.error
    assert report.kind == kind and report.rows_read == 0


def test_template_refuses_to_overwrite_and_other_names(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"mine")
    result = runner.invoke(app, ["template", "agents", "--output", str(path)])
    assert result.exit_code == 1 and path.read_bytes() == b"mine"
    result = runner.invoke(app, ["template", "staff", "--output", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 1
    result = runner.invoke(app, ["template", "agents", "--output", str(tmp_path / "b.csv")])
    assert result.exit_code == 1
