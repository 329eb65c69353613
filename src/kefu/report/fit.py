"""Tables that fit a terminal: columns chosen by priority and width, numbers never cut.

A `Grid` is a table before it meets a screen: titled columns (a key, a header, whether the
values are numbers, a priority) and rows of ready-made cell text. `print_grid` shows it in
the console's width, measured in cells (a CJK character is two cells wide):

- every column when they fit (or with `wide`, whatever the width);
- else the identity columns and as many others as fit, in priority order, with a note naming
  how many were left out and how to see them (`--wide`, `--columns`);
- else, when not even the identity and a few figures fit, one block per row of
  `header: value` lines.

Numbers are never folded or cut: their columns are `no_wrap` with a minimum width of their
longest value, and a column set is used only if rich's own measurement says it fits.
Headers may wrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kefu.i18n import t
from kefu.inert import visible

MIN_FIGURES = 3  # fewer figure columns than this beside the identity: blocks read better
HEADER_MIN = 6  # a header wraps, but not narrower than this many cells (when its values allow)


@dataclass(frozen=True)
class Col:
    """One column: `key` names it for --columns; `identity` columns are always shown."""

    key: str
    header: str
    numeric: bool = False
    identity: bool = False
    footer: str = ""


@dataclass
class Grid:
    """A table's content: columns in display order, `priority` the order they are kept in."""

    columns: list[Col]
    rows: list[list[str]] = field(default_factory=list)
    title: str | None = None
    styles: list[str | None] = field(default_factory=list)  # per row, e.g. "bold" for the team
    priority: list[str] | None = None  # column keys, most wanted first (default: display order)
    show_footer: bool = False
    tones: list[list[str | None]] = field(default_factory=list)  # per cell, e.g. a colour

    def add_row(
        self,
        cells: Sequence[str],
        style: str | None = None,
        tones: Sequence[str | None] | None = None,
    ) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"row of {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append([visible(c) for c in cells])  # data shows its control characters
        self.styles.append(style)
        self.tones.append(list(tones) if tones is not None else [None] * len(cells))

    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


class UnknownColumns(ValueError):
    """--columns named keys the table does not have."""

    def __init__(self, unknown: list[str], known: list[str]) -> None:
        super().__init__(", ".join(unknown))
        self.unknown, self.known = unknown, known


def parse_columns(spec: str | None) -> list[str] | None:
    """`--columns a,b,c` as a list of keys (None when not given)."""
    if spec is None:
        return None
    spec = spec.replace("\uff0c", ",")  # a full-width comma separates too
    keys = [k.strip() for k in spec.split(",") if k.strip()]
    return keys or None


def check_columns(grid: Grid, wanted: list[str] | None) -> None:
    """Raise UnknownColumns when `wanted` names a column `grid` lacks."""
    if wanted is None:
        return
    known = grid.keys()
    unknown = [k for k in wanted if k not in known]
    if unknown:
        raise UnknownColumns(unknown, [c.key for c in grid.columns if not c.identity])


def rich_table(grid: Grid, keys: Sequence[str], widths: dict[str, int] | None = None) -> Table:
    """The rich Table of `grid` restricted to `keys` (in display order), columns `widths` wide."""
    chosen = [(i, c) for i, c in enumerate(grid.columns) if c.key in keys]
    table = Table(
        title=None if grid.title is None else Text(visible(grid.title)),
        title_justify="left",
        header_style="bold",
        show_footer=grid.show_footer,
        box=box.HEAVY_HEAD,
    )
    for _, c in chosen:
        width = _natural(grid, c) if widths is None else widths[c.key]
        # a number keeps its whole width (no column is narrower than its longest value)
        table.add_column(
            Text(
                visible(c.header), no_wrap=False, overflow="fold"
            ),  # a header wraps; its numbers don't
            justify="right" if c.numeric else "left",
            no_wrap=c.numeric,
            overflow="fold",
            width=width,
            footer=Text(visible(c.footer), no_wrap=c.numeric, overflow="fold"),
        )
    for row, style, tones in zip(grid.rows, grid.styles, grid.tones, strict=True):
        table.add_row(*(Text(row[i], style=tones[i] or "") for i, _ in chosen), style=style)
    return table


def _values(grid: Grid, c: Col) -> int:
    i = grid.columns.index(c)
    return max([cell_len(r[i]) for r in grid.rows] + [cell_len(c.footer), 1])


def _least(grid: Grid, c: Col) -> int:
    """The narrowest a column may be: its longest value (numbers and names are never cut),
    and enough of its header to read (a header wraps onto more lines)."""
    return max(_values(grid, c), 2, min(cell_len(c.header), max(HEADER_MIN, _word(c.header))))


def _natural(grid: Grid, c: Col) -> int:
    """The width at which neither the values nor the header wrap."""
    return max(_values(grid, c), cell_len(c.header), 2)


def _word(header: str) -> int:
    """The widest unbreakable piece of a header (a Latin word; a CJK header breaks anywhere)."""
    return max((cell_len(p) for p in header.split() if p.isascii()), default=2)


def table_width(widths: Sequence[int]) -> int:
    """Cells a HEAVY_HEAD table with padding (0, 1) takes: each column, its padding, the rules."""
    return sum(widths) + 3 * len(widths) + 1


def layout(grid: Grid, keys: Sequence[str], width: int) -> dict[str, int] | None:
    """Column widths for `keys` in `width` cells (headers wrapping first), or None if too wide."""
    cols = [c for c in grid.columns if c.key in keys]
    widths = {c.key: _least(grid, c) for c in cols}
    spare = width - table_width(list(widths.values()))
    if spare < 0:
        return None
    for c in cols:  # unwrap headers left to right while there is room
        grow = min(_natural(grid, c) - widths[c.key], spare)
        if grow > 0:
            widths[c.key] += grow
            spare -= grow
    return widths


def choose(grid: Grid, width: int, wanted: list[str] | None = None) -> list[str] | None:
    """The column keys to show in `width` cells, or None when only blocks fit."""
    identity = [c.key for c in grid.columns if c.identity]
    if wanted is not None:
        keys = identity + [k for k in wanted if k not in identity]
        return keys if layout(grid, keys, width) is not None else None
    order = grid.priority or [c.key for c in grid.columns]
    rest = [k for k in order if k not in identity]
    rest += [c.key for c in grid.columns if c.key not in identity and c.key not in rest]
    keys = list(identity)
    for k in rest:
        trial = [*keys, k]
        if layout(grid, trial, width) is not None:
            keys = trial
    shown = len(keys) - len(identity)
    if shown < min(MIN_FIGURES, len(rest)):
        return None
    return keys


def print_grid(
    console: Console,
    grid: Grid,
    lang: str,
    *,
    wanted: list[str] | None = None,
    wide: bool = False,
    width: int | None = None,
    can_choose: bool = True,
) -> None:
    """Show `grid` in the console's width (see the module's docstring).

    `can_choose`: the command offers --columns (the note on hidden columns mentions it).
    """
    avail = width or console.width
    if wide:
        keys = [c.key for c in grid.columns]
        if wanted is not None:
            keys = [c.key for c in grid.columns if c.identity or c.key in wanted]
        widths = {c.key: _natural(grid, c) for c in grid.columns if c.key in keys}
        natural = table_width(list(widths.values()))
        before = console.width
        console.width = max(natural, avail)  # rich never prints wider than its console
        try:
            console.print(rich_table(grid, keys, widths))
        finally:
            console.width = before
        return
    chosen = choose(grid, avail, wanted)
    fitted = None if chosen is None else layout(grid, chosen, avail)
    if chosen is None or fitted is None:
        print_blocks(console, grid, lang, wanted)
        return
    console.print(rich_table(grid, chosen, fitted), width=avail)
    hidden = len(grid.columns) - len(chosen)
    if hidden and wanted is None:
        console.print(
            Text(
                t("table.hidden_columns" if can_choose else "table.hidden_wide", lang, n=hidden),
                style="dim",
            ),
            width=avail,
        )


def print_blocks(console: Console, grid: Grid, lang: str, wanted: list[str] | None = None) -> None:
    """One block per row: the identity on a line, then `header: value` lines."""
    avail = console.width
    if grid.title:
        console.print(Text(visible(grid.title), style="bold"), width=avail)
    ident = [i for i, c in enumerate(grid.columns) if c.identity]
    rest = [
        i
        for i, c in enumerate(grid.columns)
        if not c.identity and (wanted is None or c.key in wanted)
    ]
    label_w = max((cell_len(grid.columns[i].header) for i in rest), default=0)
    rows = list(zip(grid.rows, grid.styles, strict=True))
    if grid.show_footer:
        rows.append(([c.footer for c in grid.columns], "bold"))
    for row, style in rows:
        head = " · ".join(row[i] for i in ident if row[i])
        console.print(Text(head, style=style or "bold"), width=avail)
        for i in rest:
            if row[i] == "":
                continue
            header = grid.columns[i].header
            pad = " " * (label_w - cell_len(header))
            console.print(Text(f"  {header}{pad}  {row[i]}"), width=avail, overflow="fold")
        console.print()
