"""CLI command: template — an xlsx file to fill in by hand that `kefu import` reads back.

One sheet with the header row (Chinese headers for the agents file in Chinese), data
validation where Excel and WPS can check a cell (岗位 from a list, dates as dates, amounts as
whole numbers), and a second sheet saying what every column means and whether it is
required.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kefu.cli.common import LangOption, check_lang, console, fail, h
from kefu.i18n import t
from kefu.io.canonical import AGENT_HEADERS, CHOICES, RATINGS, REQUIRED, ROLES, SENDERS
from kefu.io.records import KINDS, file_types
from kefu.output import OutputError, save_workbook

ROWS = 1000  # rows the validation covers below the header
# The Chinese header written for each agents column (the first alias kefu.io reads back).
AGENT_HEADER_ZH = {column: header for header, column in reversed(AGENT_HEADERS.items())}
ACCEPTED = {"role": ROLES, "sender": SENDERS, "rating": RATINGS}


def headers(kind: str, lang: str) -> list[tuple[str, str]]:
    """(canonical column, header written) for every column of `kind`."""
    out = []
    for column in file_types(kind):
        header = AGENT_HEADER_ZH[column] if kind == "agents" and lang == "zh" else column
        out.append((column, header))
    return out


def write_template(kind: str, path: Path, lang: str) -> None:
    """The template of `kind` at `path` (an .xlsx file)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    for column, choices in CHOICES.items():  # the lists offered must be values kefu reads
        assert all(v in ACCEPTED[column] for c in choices.values() for v in c)
    wb = Workbook()
    data = wb.active
    assert data is not None
    data.title = t("template.sheet_data", lang)
    cols = headers(kind, lang)
    data.append([h for _, h in cols])
    types = file_types(kind)
    for i, (column, _) in enumerate(cols, start=1):
        letter = get_column_letter(i)
        cell = data.cell(row=1, column=i)
        cell.font = Font(bold=column in REQUIRED[kind])
        data.column_dimensions[letter].width = 22 if column != "text" else 40
        area = f"{letter}2:{letter}{ROWS + 1}"
        arrow = str(types[column])
        validation: DataValidation | None = None
        fmt: str | None = None
        if column in CHOICES:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(CHOICES[column][lang]) + '"'
            )
            validation.error = t(
                "template.invalid_role" if column == "role" else "template.invalid_list", lang
            )
        elif arrow.startswith("date32") or arrow.startswith("timestamp"):
            validation = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(2000,1,1)",
                formula2="DATE(2100,12,31)",
            )
            validation.error = t("template.invalid_date", lang)
            fmt = "yyyy-mm-dd" if arrow.startswith("date32") else "yyyy-mm-dd hh:mm:ss"
        elif arrow.startswith("int") and column != "chars":
            validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
            validation.error = t("template.invalid_number", lang)
        if column in ("order_id", "agent_id", "buyer_id", "person_id"):
            fmt = "@"  # text: an order number never becomes 3.5E+16
        if validation is not None:
            validation.showErrorMessage = True
            validation.add(area)
            data.add_data_validation(validation)
        if fmt is not None:
            for row in range(2, ROWS + 2):
                data.cell(row=row, column=i).number_format = fmt
    data.freeze_panes = "A2"
    sheet = wb.create_sheet(t("template.sheet_help", lang))
    sheet.append([t("template.intro", lang, sheet=data.title)])
    sheet.append([])
    sheet.append(
        [
            t("template.col_column", lang),
            t("template.col_meaning", lang),
            t("template.col_required", lang),
        ]
    )
    for c in sheet[3]:
        c.font = Font(bold=True)
    yes, no = t("common.yes", lang), t("common.no", lang)
    for column, header in cols:
        sheet.append(
            [header, t(f"columns.{kind}.{column}", lang), yes if column in REQUIRED[kind] else no]
        )
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 80
    save_workbook(wb, path)  # checked target, temp file, rename: never half a file


def template(
    kind: Annotated[str, typer.Argument(help=h("cli.arg.template_kind"))],
    output: Annotated[
        Path | None, typer.Option("--output", help=h("cli.opt.template_output"))
    ] = None,
    lang: LangOption = None,
) -> None:
    lang = check_lang(lang)
    if kind not in KINDS:
        fail(t("template.bad_kind", lang, kind=kind, kinds=", ".join(KINDS)))
    path = output or Path(f"{kind}-template.xlsx")
    if path.suffix.lower() != ".xlsx":
        fail(t("template.bad_output", lang, name=path.name))
    if path.exists():
        fail(t("template.exists", lang, path=path))
    try:
        write_template(kind, path, lang)
    except OutputError as e:
        fail(e.message(lang))
    console.print(t("template.wrote", lang, path=path), highlight=False)


def register(app: typer.Typer) -> None:
    """Add template to the kefu app."""
    app.command("template", help=h("cli.template.help"))(template)
