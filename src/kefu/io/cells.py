"""Reading one cell: un-quoting export quirks, and exact times, dates, amounts and counts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from kefu.i18n import Refusal


class CellError(Refusal, ValueError):
    """A cell whose value is not what its column needs; the message says what was expected."""


def clean(raw: str) -> str:
    """Trim a cell and remove the quoting exports add to stop spreadsheets reading it as a number.

    `="35153131473293579"` → `35153131473293579`; `'13900000001` → `13900000001`; `=""` → ``.
    """
    s = raw.strip()
    if not s or s[0] not in "='":
        return s
    if len(s) >= 3 and s.startswith('="') and s.endswith('"'):
        return s[2:-1].strip()
    if s.startswith("'"):
        return s[1:].strip()
    return s


_DATETIME = re.compile(
    r"(?P<y>\d{4})(?:[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})|年(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日?)"
    r"(?:(?:[ T]+|(?<=日))(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?"
    r"(?: ?(?P<tz>Z|[+-]\d{2}(?::?\d{2})?))?)?"
)


def shop_and_nick(cell: str, shop: str | None) -> tuple[str | None, str]:
    """(shop, sub-account nick) of an agent cell: `shop:nick` (either colon) names both, else
    the nick is the whole cell and the shop is `shop` (--shop, or the file's)."""
    for sep in (":", "\uff1a"):
        if sep in cell:
            s, nick = cell.split(sep, 1)
            if s.strip() and nick.strip():
                return s.strip(), nick.strip()
    return shop, cell


def parse_timestamp(s: str, *, date_only_ok: bool = False) -> datetime:
    """A time from 'YYYY-MM-DD HH:MM:SS', 'YYYY-M-D H:MM:SS', or Excel's 'YYYY/M/D H:MM'.

    Without a zone it is shop time (naive). With one — ISO's `Z`, `+08:00`, `-0500` —
    the result carries it, and the importer converts it to the shop's time zone
    (kefu.io.records.Collector): the stored time never depends on the machine's zone.
    A date without a time of day is refused unless `date_only_ok`: an export re-saved
    with a date-only format has lost the times the metrics need.
    """
    if len(s) == 19 and s[4] == "-" and s[10] == " " and s[13] == ":" and s[16] == ":":
        try:  # the common exact form, parsed in C; anything odd takes the general path
            t = datetime.fromisoformat(s)
            if t.tzinfo is None:
                return t
        except ValueError:
            pass
    m = _DATETIME.fullmatch(s.strip())
    if not m:
        raise CellError("io.cell.not_time", value=s)
    y = int(m["y"])
    mo = int(m["m"] or m["m2"])
    d = int(m["d"] or m["d2"])
    try:
        day = date(y, mo, d)
    except ValueError:
        raise CellError("io.cell.not_date", value=s) from None
    if m["H"] is None:
        if not date_only_ok:
            raise CellError("io.cell.no_time_of_day", value=s)
        return datetime(day.year, day.month, day.day)
    try:
        frac = int((m["f"] or "0").ljust(6, "0"))
        tz = _zone(m["tz"]) if m["tz"] else None
        return datetime(
            day.year, day.month, day.day, int(m["H"]), int(m["M"]), int(m["S"] or 0), frac, tz
        )
    except ValueError:
        raise CellError("io.cell.not_time_of_day", value=s) from None


def _zone(text: str) -> timezone:
    """The fixed offset of `Z`, `+08`, `+08:00` or `+0800`."""
    if text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(text)
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)


def parse_date(s: str) -> date:
    """A calendar date from 'YYYY-MM-DD', 'YYYY-M-D' or 'YYYY/M/D' (a time of 00:00:00 is allowed)."""
    t = parse_timestamp(s, date_only_ok=True)
    if t.time() != datetime.min.time() or t.tzinfo is not None:
        raise CellError("io.cell.not_date_like", value=s)
    return t.date()


_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_AMOUNT = re.compile(r"-?\d+(?:\.\d+)?")
_FEN_PER_YUAN = Decimal(100)


def parse_fen(s: str) -> int:
    """An amount in yuan as exact integer fen: '201.12' → 20112, '0元' → 0, '¥1,299.00' → 129900.

    Parsed with Decimal, never float. A negative amount, or one that is not a whole number
    of fen ('1.005'), is an error; trailing zeros ('201.1200') are exact and accepted.
    """
    t = s.strip()
    t = t.removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
    if _THOUSANDS.fullmatch(t):
        t = t.replace(",", "")
    if not _AMOUNT.fullmatch(t):
        raise CellError("io.cell.not_yuan_eg", value=s)
    if t.startswith("-") and Decimal(t) != 0:
        raise CellError("io.cell.negative", value=s)
    try:
        fen = Decimal(t.lstrip("-")) * _FEN_PER_YUAN
    except InvalidOperation:  # pragma: no cover - the pattern above admits only decimals
        raise CellError("io.cell.not_yuan", value=s) from None
    if fen != fen.to_integral_value():
        raise CellError("io.cell.fen_decimals", value=s)
    return int(fen)


_COUNT = re.compile(r"-?\d+(?:\.0*)?")
_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1


def parse_count(s: str, *, big: bool = False) -> int:
    """A whole number ≥ 0 ('3', or '3.0' as a spreadsheet writes it); `big` allows 64-bit values."""
    t = s.strip()
    if not _COUNT.fullmatch(t):
        raise CellError("io.cell.not_whole", value=s)
    n = int(t.split(".")[0])
    if n < 0 or t.startswith("-"):
        if n != 0:
            raise CellError("io.cell.negative", value=s)
        n = 0
    if n > (_INT64_MAX if big else _INT32_MAX):
        raise CellError("io.cell.too_large", value=s)
    return n
