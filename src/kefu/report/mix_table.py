"""The like-with-like table: each agent's conversion and 客单价 against the plain pooled team and
against the team on the agent's own mix (observed ÷ expected), and the strata behind it."""

from __future__ import annotations

from fractions import Fraction

from rich.console import Console

from kefu.diagnosis.quadrant import Verdict
from kefu.i18n import t
from kefu.metrics.fields import round_half_up
from kefu.metrics.labels import yuan
from kefu.metrics.mix import Expected
from kefu.report.fit import Col, Grid, print_grid


def _pct(x: Fraction | None) -> str:
    return "—" if x is None else f"{float(x) * 100:.1f}%"


def _fen(x: Fraction | None) -> str:
    return "—" if x is None else yuan(round_half_up(x))


def _oe(e: Expected | None) -> str:
    r = None if e is None else e.ratio
    return "—" if r is None else f"{float(r):.2f}"


def mix_grid(verdicts: tuple[Verdict, ...] | list[Verdict], month: str, lang: str) -> Grid | None:
    """The like-with-like table of the agents judged on their mix; None when none was."""
    mixed = [v for v in verdicts if v.mix is not None and v.mix.conversion is not None]
    if not mixed:
        return None
    keys = (
        "conv",
        "conv_plain",
        "conv_mix",
        "conv_oe",
        "spend",
        "spend_plain",
        "spend_mix",
        "spend_oe",
    )
    grid = Grid(
        [Col("agent", t("mix.col.agent", lang), identity=True)]
        + [Col(k, t(f"mix.col.{k}", lang), numeric=True) for k in keys],
        title=t("mix.title", lang, month=month),
        priority=[
            "agent",
            "conv_oe",
            "spend_oe",
            "conv",
            "spend",
            "conv_mix",
            "spend_mix",
            "conv_plain",
            "spend_plain",
        ],
    )
    for v in mixed:
        assert v.mix is not None
        conv, spend = v.mix.conversion, v.mix.spend
        grid.add_row(
            [
                v.name,
                _pct(v.conversion),
                _pct(v.plain.conversion),
                _pct(conv.expected_rate if conv and conv.informative else None),
                _oe(conv),
                _fen(v.avg_spend),
                _fen(v.plain.avg_spend_fen),
                _fen(spend.expected_rate if spend and spend.informative else None),
                _oe(spend),
            ]
        )
    return grid


def strata_grid(v: Verdict, e: Expected, lang: str, min_stratum: int) -> Grid:
    """One agent's strata of one measure: buyers, what they gave, the team rate used, its level."""
    grid = Grid(
        [
            Col("product", t("mix.col.product", lang), identity=True),
            Col("band", t("mix.col.band", lang), identity=True),
        ]
        + [Col(k, t(f"mix.col.{k}", lang), numeric=True) for k in ("n", "k", "team_rate")]
        + [Col("level", t("mix.col.level", lang))],
        title=t(
            "mix.strata_title",
            lang,
            agent=v.name,
            measure=t(f"mix.measure.{e.measure}", lang),
            min=min_stratum,
        ),
    )
    for c in e.cells:
        rate = Fraction(c.team_k, c.team_n) if c.team_n else None
        grid.add_row(
            [
                c.product or t("mix.unknown_product", lang),
                t(f"mix.band.{c.band}", lang),
                str(c.n),
                str(c.k) if e.measure == "conversion" else yuan(c.k),
                _pct(rate) if e.measure == "conversion" else _fen(rate),
                t(f"mix.level.{c.level}", lang),
            ]
        )
    return grid


def print_mix(
    verdicts: tuple[Verdict, ...] | list[Verdict],
    month: str,
    console: Console,
    lang: str,
    strata: bool = False,
    min_stratum: int = 20,
    wide: bool = False,
) -> None:
    """Print the like-with-like table (when any agent has a mix) and, with `strata`, each
    agent's strata; tables fit the terminal as the report's do (kefu.report.fit)."""
    grid = mix_grid(verdicts, month, lang)
    if grid is None:
        if strata:
            console.print(t("mix.none", lang), highlight=False, soft_wrap=True)
        return
    print_grid(console, grid, lang, wide=wide, can_choose=False)
    if not strata:
        return
    for v in verdicts:
        if v.mix is None:
            continue
        for e in (v.mix.conversion, v.mix.spend):
            if e is not None and e.cells:
                print_grid(
                    console, strata_grid(v, e, lang, min_stratum), lang, wide=wide, can_choose=False
                )
