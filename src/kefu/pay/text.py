"""How pay figures are written: yuan, percentages and rates for people, exact values for JSON
(never float). The words around them are in the message catalogue (pay.po)."""

from __future__ import annotations

from fractions import Fraction

from kefu.metrics.fields import round_half_up
from kefu.metrics.labels import yuan

Text = dict[str, str]  # {"zh": …, "en": …}


def money(fen: int | Fraction) -> str:
    """Yuan with two decimals; an exact non-whole fen amount is shown rounded half-up."""
    if isinstance(fen, Fraction):
        fen = round_half_up(fen)
    return yuan(fen)


def percent(x: Fraction) -> str:
    """A fraction as a percentage with two decimals (display only; gates use the exact value)."""
    hundredths = round_half_up(x * 10000)
    sign = "-" if hundredths < 0 else ""
    q, r = divmod(abs(hundredths), 100)
    return f"{sign}{q}.{r:02d}%"


def rate_text(x: Fraction) -> str:
    """A commission rate: 3%, 3.5%, 12.25% — as many decimals as it has."""
    pct = x * 100
    if pct.denominator == 1:
        return f"{pct.numerator}%"
    s = decimal_str(pct)
    return f"{s}%" if "/" not in s else f"{percent(x)}"


def decimal_str(x: Fraction) -> str:
    """An exact decimal text when the fraction has one (denominator of 2s and 5s), else n/d."""
    d = x.denominator
    k = 0
    while d % 10 == 0:
        d //= 10
        k += 1
    while d % 2 == 0 or d % 5 == 0:
        d //= 2 if d % 2 == 0 else 5
        k += 1
    if d != 1:
        return f"{x.numerator}/{x.denominator}"
    scaled = x * 10**k
    n = scaled.numerator
    sign = "-" if n < 0 else ""
    digits = str(abs(n)).rjust(k + 1, "0")
    if k == 0:
        return f"{sign}{digits}"
    return f"{sign}{digits[:-k]}.{digits[-k:]}".rstrip("0").rstrip(".")


def exact_json(x: int | Fraction | None) -> int | str | None:
    """An exact value for JSON: an int, a decimal text ("0.3"), or n/d ("37/120")."""
    if x is None:
        return None
    if isinstance(x, int) or x.denominator == 1:
        return int(x)
    return decimal_str(x)


def parse_exact(v: int | str | None) -> int | Fraction | None:
    """The inverse of exact_json."""
    if v is None or isinstance(v, int):
        return v
    f = Fraction(v)
    return int(f) if f.denominator == 1 else f


def two_decimals(x: Fraction) -> str:
    hundredths = round_half_up(x * 100)
    sign = "-" if hundredths < 0 else ""
    q, r = divmod(abs(hundredths), 100)
    return f"{sign}{q}.{r:02d}"
