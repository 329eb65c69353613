"""Reading any platform's agent report sheet by its spec: header, agent, period and figures."""

from __future__ import annotations

from datetime import date

from kefu.i18n import Refusal, t
from kefu.io.cells import CellError, shop_and_nick
from kefu.io.records import ImportFileError, Quarantined, quarantined
from kefu.io.reports.model import Column, Figure, ParsedReport, ReportRow, ReportSpec
from kefu.io.reports.quirks import (
    credit_rule_in_text,
    is_not_available,
    is_summary,
    norm_header,
    parse_figure,
    period_in_text,
)
from kefu.io.tabular import Sheet, width_problem

HEADER_SEARCH_ROWS = 10
MIN_KNOWN_COLUMNS = 3


def _agent_position(spec: ReportSpec, names: list[str]) -> int | None:
    for a in spec.agent_columns:
        if a in names:
            return names.index(a)
    return None


def match(spec: ReportSpec, cells: list[str]) -> int:
    """How well a header row fits `spec`: 0 when it cannot be this report, else a score."""
    names = [norm_header(c) for c in cells]
    if _agent_position(spec, names) is None:
        return 0
    own = len(spec.signature.intersection(names))
    known = len(set(spec.columns).intersection(names))
    if known < MIN_KNOWN_COLUMNS:
        return 0
    # a column only this report has decides; without one, the most known columns (ties: the
    # order of SPECS, 赤兔 first)
    return own * 100 + known


def find_header(sheet: Sheet, specs: tuple[ReportSpec, ...]) -> tuple[int, ReportSpec] | None:
    """The first of the sheet's first rows that is a report header, and the report it best fits."""
    for i, (_, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        scored = [(match(s, cells), s) for s in specs]
        best = max(scored, key=lambda x: x[0])
        if best[0] > 0:
            return i, best[1]
    return None


def parse(
    sheet: Sheet,
    header_index: int,
    spec: ReportSpec,
    *,
    file: str,
    fmt: str,
    encoding: str | None,
    shop: str | None,
    period: tuple[date, date] | None,
) -> ParsedReport:
    """Every agent row of the sheet as reported figures; summary rows skipped, bad rows quarantined.

    `period` is the period given on the command line, used when neither a date column nor
    the title rows nor the file name carry one.
    """
    header = [norm_header(c) for c in sheet.rows[header_index][1]]
    agent_pos = _agent_position(spec, header)
    assert agent_pos is not None
    team_pos = next((header.index(c) for c in spec.team_columns if c in header), None)
    date_pos = next((header.index(c) for c in spec.date_columns if c in header), None)
    taken: dict[str, tuple[int, Column]] = {}
    shadowed: list[str] = []
    for name, col in spec.columns.items():
        if name in header:
            if col.field in taken:
                shadowed.append(name)
            else:
                taken[col.field] = (header.index(name), col)
    known = set(spec.columns) | set(spec.agent_columns) | set(spec.team_columns)
    known |= set(spec.date_columns) | spec.ignored_columns
    unknown = [h for h in header if h and h not in known]
    if spec.strict and unknown:
        raise ImportFileError(
            "reports.import.unmatched",
            file=file,
            report=spec.label_zh,
            columns=", ".join(unknown),
        )
    titles = " ".join(" ".join(cells) for _, cells in sheet.rows[:header_index])
    rule = spec.credit_rule or credit_rule_in_text(file) or credit_rule_in_text(titles)
    file_period = period_in_text(titles) or period_in_text(file) or period
    out = ParsedReport(
        file=file, source=spec.source, format=fmt, encoding=encoding, credit_rule=rule
    )
    if unknown:
        out.notes.append(t("reports.import.unknown_columns", columns=", ".join(unknown)))
    if shadowed:
        out.notes.append(t("reports.import.shadowed_columns", columns=", ".join(shadowed)))
    seen: dict[tuple[str, str, date, date], int] = {}
    for row_no, cells in sheet.rows[header_index + 1 :]:
        out.rows_read += 1
        cell = (cells[agent_pos] if agent_pos < len(cells) else "").strip()
        if is_summary(cell) or any(is_summary(c) for c in cells[:2]):
            out.summary_rows += 1
            continue
        record = {header[i]: c for i, c in enumerate(cells) if i < len(header) and c}
        problem = width_problem(sheet, row_no, cells, len(header))
        if problem:  # a cell with an unquoted comma, say: the columns no longer line up
            out.quarantine.append(quarantined(file, row_no, None, None, problem, record))
            continue
        if not cell:
            out.quarantine.append(
                quarantined(
                    file,
                    row_no,
                    header[agent_pos],
                    "",
                    Refusal("reports.import.no_agent"),
                    record,
                )
            )
            continue
        shop_id, nick = shop_and_nick(cell, shop)
        if shop_id is None:
            raise ImportFileError("reports.import.no_shop", file=file, row=row_no, agent=cell)
        if date_pos is not None and date_pos < len(cells) and cells[date_pos].strip():
            p = period_in_text(cells[date_pos])
            if p is None:
                out.quarantine.append(
                    quarantined(
                        file,
                        row_no,
                        header[date_pos],
                        cells[date_pos],
                        Refusal("reports.import.bad_date"),
                        record,
                    )
                )
                continue
        else:
            p = file_period
        if p is None:
            raise ImportFileError("reports.import.no_period", file=file)
        figures: list[Figure] = []
        bad: Quarantined | None = None
        for field, (pos, col) in taken.items():
            raw = cells[pos].strip() if pos < len(cells) else ""
            if not raw:
                continue
            if is_not_available(raw):
                figures.append(Figure(field, col.kind, 0, 1, raw, header[pos], available=False))
                continue
            try:
                v = parse_figure(col.kind, raw)
            except CellError as e:
                bad = quarantined(file, row_no, header[pos], raw, e, record)
                break
            figures.append(Figure(field, col.kind, v.numerator, v.denominator, raw, header[pos]))
        if bad is not None:
            out.quarantine.append(bad)
            continue
        key = (shop_id, nick, p[0], p[1])
        if key in seen:
            out.quarantine.append(
                quarantined(
                    file,
                    row_no,
                    header[agent_pos],
                    cell,
                    Refusal("reports.import.twice", agent=nick, row=seen[key]),
                    record,
                )
            )
            continue
        seen[key] = row_no
        team = cells[team_pos].strip() if team_pos is not None and team_pos < len(cells) else None
        out.rows.append(
            ReportRow(
                row_no, shop_id, f"{shop_id}:{nick}", nick, team or None, p[0], p[1], tuple(figures)
            )
        )
    if out.summary_rows:
        out.notes.append(t("reports.import.summary_rows", n=out.summary_rows))
    na = sorted({f.column for r in out.rows for f in r.figures if not f.available})
    if na:
        out.notes.append(t("reports.import.placeholders", columns=", ".join(na)))
    return out
