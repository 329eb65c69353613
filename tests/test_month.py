"""kefu.month.Month: the one place a `YYYY-MM` month is parsed and counted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.month import Month, month_texts

months = st.builds(Month, st.integers(1900, 2200), st.integers(1, 12))


@given(months)
def test_text_round_trip(m: Month) -> None:
    assert Month.parse(str(m)) == m
    assert Month.valid(str(m))


@given(months, st.integers(-400, 400))
def test_shift_is_counted_in_months(m: Month, k: int) -> None:
    assert m.shift(k).shift(-k) == m
    assert (m.shift(k) > m) == (k > 0)
    assert len(list(m.through(m.shift(k)))) == max(k + 1, 0)


@given(months)
def test_days(m: Month) -> None:
    assert m.first_day.day == 1
    assert m.last_day + timedelta(days=1) == m.shift(1).first_day
    assert Month.of(m.last_day) == m
    assert m.quarter_start().quarter == m.quarter and m.quarter_start() <= m


@given(months, months)
def test_text_sorts_like_months(a: Month, b: Month) -> None:
    assert (str(a) < str(b)) == (a < b)


@pytest.mark.parametrize(
    "bad", ["2024-13", "2024-00", "2024-5", "24-05", "2024-05-01", "2024/05", "", "２０２４-05"]
)
def test_bad_months_are_refused(bad: str) -> None:
    assert not Month.valid(bad)
    with pytest.raises(ValueError):
        Month.parse(bad)


def test_ranges_and_days() -> None:
    assert month_texts("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert month_texts("2025-02", "2024-11") == []
    assert Month.parse("2024-02").last_day == date(2024, 2, 29)
    assert Month.parse("2024-08").quarter_start() == Month(2024, 7)
