"""How pay figures are written for people (zh and en) and for JSON (exact, never float)."""

from __future__ import annotations

from fractions import Fraction

from kefu.metrics.fields import RATE_BY_NAME, round_half_up
from kefu.metrics.labels import label, yuan

Text = dict[str, str]  # {"zh": …, "en": …}
LANGS = ("zh", "en")

COMPONENT_LABELS: dict[str, tuple[str, str]] = {
    "base": ("基本工资", "base salary"),
    "rank_bonus": ("排名奖", "rank bonus"),
    "commission": ("提成", "commission"),
    "quarterly_bonus": ("季度奖", "quarterly bonus"),
    "annual_bonus": ("年度奖", "annual bonus"),
    "clawback": ("追溯调整", "clawback"),
}
OP_TEXT: dict[str, tuple[str, str]] = {
    ">=": ("≥", "≥"),
    ">": (">", ">"),
    "<=": ("≤", "≤"),
    "<": ("<", "<"),
}


def t(zh: str, en: str) -> Text:
    return {"zh": zh, "en": en}


def join(parts: list[Text], sep: tuple[str, str] = ("；", "; ")) -> Text:
    return {"zh": sep[0].join(p["zh"] for p in parts), "en": sep[1].join(p["en"] for p in parts)}


def component_label(name: str, lang: str) -> str:
    zh, en = COMPONENT_LABELS.get(name, (name, name))
    return en if lang == "en" else zh


def metric_label(name: str, lang: str) -> str:
    return label(name, lang)


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


def show(metric: str, v: int | Fraction | None, lang: str) -> str:
    """A metric's value for people: money in yuan, rates in %, with the exact value if rounded."""
    if v is None:
        return "无数据" if lang == "zh" else "n/a"
    rate = RATE_BY_NAME.get(metric)
    if metric.endswith("_fen"):
        if isinstance(v, Fraction) and v.denominator != 1:
            unit = "分" if lang == "zh" else "fen"
            return f"{money(v)} (= {v.numerator}/{v.denominator} {unit})"
        return money(int(v))
    if rate is not None and rate.kind == "fraction":
        f = Fraction(v)
        text = percent(f)
        return text if f * 10000 == round_half_up(f * 10000) else f"{text} (= {f})"
    if isinstance(v, Fraction) and v.denominator != 1:
        return two_decimals(v)  # seconds, ratios
    return str(int(v))


def two_decimals(x: Fraction) -> str:
    hundredths = round_half_up(x * 100)
    sign = "-" if hundredths < 0 else ""
    q, r = divmod(abs(hundredths), 100)
    return f"{sign}{q}.{r:02d}"
