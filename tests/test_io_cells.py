"""Cells: un-quoting, times, dates, exact amounts in fen, counts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.io.cells import CellError, clean, parse_count, parse_date, parse_fen, parse_timestamp


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ('="35153131473293579"', "35153131473293579"),
        ('=""', ""),
        ("'13900000001", "13900000001"),
        ("  订单付款时间 ", "订单付款时间"),
        ("\t12345", "12345"),
        ("plain", "plain"),
    ],
)
def test_clean(raw: str, want: str) -> None:
    assert clean(raw) == want


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("2017-07-08 00:42:32", datetime(2017, 7, 8, 0, 42, 32)),
        ("2024-1-5 9:00:21", datetime(2024, 1, 5, 9, 0, 21)),
        ("2016/5/23 22:02", datetime(2016, 5, 23, 22, 2)),
        ("2016/05/23 22:02:09", datetime(2016, 5, 23, 22, 2, 9)),
        ("2024-09-03T10:00:00", datetime(2024, 9, 3, 10, 0)),
        ("2024-09-03 10:00:00.250000", datetime(2024, 9, 3, 10, 0, 0, 250000)),
        ("2024年9月3日 10:00:00", datetime(2024, 9, 3, 10, 0)),
    ],
)
def test_timestamps(raw: str, want: datetime) -> None:
    assert parse_timestamp(raw) == want


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2024-13-01 10:00:00", "is not a date"),
        ("2024-02-30 10:00:00", "is not a date"),
        ("2024-02-03 25:00:00", "is not a time of day"),
        ("yesterday", "is not a date and time like 2024-09-03 10:00:00"),
        ("2024-09-03", "has no time of day"),
        ("03/09/2024 10:00", "is not a date and time"),
    ],
)
def test_bad_timestamps(raw: str, reason: str) -> None:
    with pytest.raises(CellError, match=reason):
        parse_timestamp(raw)


def test_dates() -> None:
    assert parse_date("2024-09-03") == date(2024, 9, 3)
    assert parse_date("2024/9/3") == date(2024, 9, 3)
    assert parse_timestamp("2024-09-03", date_only_ok=True) == datetime(2024, 9, 3)
    with pytest.raises(CellError):
        parse_date("2024-09-03 10:00:00")


@pytest.mark.parametrize(
    ("raw", "fen"),
    [
        ("201.12", 20112),
        ("0元", 0),
        ("0.00", 0),
        ("178.8", 17880),
        ("21.0", 2100),
        ("1009", 100900),
        ("¥1,299.00", 129900),
        ("201.1200", 20112),
        ("-0.00", 0),
        ("99999999999.99", 9999999999999),
    ],
)
def test_amounts(raw: str, fen: int) -> None:
    assert parse_fen(raw) == fen


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("-3.00", "is negative"),
        ("1.005", "more than 2 decimal places"),
        ("abc", "is not an amount"),
        ("1e3", "is not an amount"),
        ("NaN", "is not an amount"),
        ("", "is not an amount"),
        ("1,2", "is not an amount"),
    ],
)
def test_bad_amounts(raw: str, reason: str) -> None:
    with pytest.raises(CellError, match=reason):
        parse_fen(raw)


@given(
    st.decimals(
        min_value=0, max_value=Decimal("1e13"), places=2, allow_nan=False, allow_infinity=False
    )
)
def test_any_two_place_amount_parses_exactly(d: Decimal) -> None:
    assert parse_fen(str(d)) == int(d * 100)
    assert parse_fen(f"{d:.2f}") == int(d * 100)
    assert parse_fen(f"{d:.2f}元") == int(d * 100)


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1e9"), places=3, allow_nan=False))
def test_three_place_amounts_are_refused_unless_whole_fen(d: Decimal) -> None:
    text = f"{d:.3f}"
    if text.endswith("0"):
        assert parse_fen(text) == int(d * 100)
    else:
        with pytest.raises(CellError):
            parse_fen(text)


def test_counts() -> None:
    assert parse_count("3") == 3
    assert parse_count("3.0") == 3
    with pytest.raises(CellError, match="negative"):
        parse_count("-1")
    with pytest.raises(CellError, match="whole number"):
        parse_count("1.5")
    with pytest.raises(CellError, match="too large"):
        parse_count(str(2**31))
    assert parse_count(str(2**40), big=True) == 2**40
