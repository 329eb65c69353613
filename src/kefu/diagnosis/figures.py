"""How diagnosis figures are written: percentages, plain numbers, yuan (the words are in the
message catalogue, kefu.i18n, under diagnosis.po)."""

from __future__ import annotations

from fractions import Fraction

from kefu.metrics.fields import round_half_up
from kefu.metrics.labels import yuan


def pct(x: float | Fraction | None) -> str:
    return "—" if x is None else f"{float(x) * 100:.1f}%"


def num(x: float | Fraction | None, digits: int = 2) -> str:
    return "—" if x is None else f"{float(x):.{digits}f}"


def money(fen: int | float | Fraction | None) -> str:
    """Fen as yuan with two decimals."""
    if fen is None:
        return "—"
    return yuan(round_half_up(Fraction(fen)) if not isinstance(fen, int) else fen)
