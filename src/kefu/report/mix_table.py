"""The like-with-like table: each agent's conversion and 客单价 against the plain pooled team and
against the team on the agent's own mix (observed ÷ expected), and the strata behind it."""

from __future__ import annotations

from fractions import Fraction

from rich.console import Console
from rich.table import Table

from kefu.diagnosis.quadrant import Verdict
from kefu.i18n import t
from kefu.inert import visible
from kefu.metrics.fields import round_half_up
from kefu.metrics.labels import yuan
from kefu.metrics.mix import Expected


def _pct(x: Fraction | None) -> str:
    return "—" if x is None else f"{float(x) * 100:.1f}%"


def _fen(x: Fraction | None) -> str:
    return "—" if x is None else yuan(round_half_up(x))


def _oe(e: Expected | None) -> str:
    r = None if e is None else e.ratio
    return "—" if r is None else f"{float(r):.2f}"


def print_mix(
    verdicts: tuple[Verdict, ...] | list[Verdict],
    month: str,
    console: Console,
    lang: str,
    strata: bool = False,
    min_stratum: int = 20,
) -> None:
    """Print the like-with-like table (when any agent has a mix) and, with `strata`, each
    agent's strata."""
    mixed = [v for v in verdicts if v.mix is not None and v.mix.conversion is not None]
    if not mixed:
        if strata:
            console.print(t("mix.none", lang), highlight=False, soft_wrap=True)
        return
    table = Table(title=t("mix.title", lang, month=month), title_justify="left")
    for key in (
        "agent",
        "conversion",
        "plain",
        "expected",
        "oe",
        "spend",
        "plain",
        "expected",
        "oe",
    ):
        table.add_column(t(f"mix.col.{key}", lang))
    for v in mixed:
        assert v.mix is not None
        conv, spend = v.mix.conversion, v.mix.spend
        table.add_row(
            visible(v.name),
            _pct(v.conversion),
            _pct(v.plain.conversion),
            _pct(conv.expected_rate if conv and conv.informative else None),
            _oe(conv),
            _fen(v.avg_spend),
            _fen(v.plain.avg_spend_fen),
            _fen(spend.expected_rate if spend and spend.informative else None),
            _oe(spend),
        )
    console.print(table)
    if not strata:
        return
    for v in mixed:
        assert v.mix is not None
        for e in (v.mix.conversion, v.mix.spend):
            if e is None or not e.cells:
                continue
            st = Table(
                title=t(
                    "mix.strata_title",
                    lang,
                    agent=visible(v.name),
                    measure=t(f"mix.measure.{e.measure}", lang),
                    min=min_stratum,
                ),
                title_justify="left",
            )
            for key in ("product", "band", "n", "k", "team_rate", "level"):
                st.add_column(t(f"mix.col.{key}", lang))
            for c in e.cells:
                rate = Fraction(c.team_k, c.team_n) if c.team_n else None
                st.add_row(
                    visible(c.product) if c.product else t("mix.unknown_product", lang),
                    t(f"mix.band.{c.band}", lang),
                    str(c.n),
                    str(c.k) if e.measure == "conversion" else yuan(c.k),
                    _pct(rate) if e.measure == "conversion" else _fen(rate),
                    t(f"mix.level.{c.level}", lang),
                )
            console.print(st)
