"""UK financial-year quarters (Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar)."""

from __future__ import annotations

import pandas as pd
import pytest

from ot_benchmark.periods import (
    Period,
    PeriodError,
    latest_period,
    parse_period,
    period_range,
    periods_of_dates,
    sorted_periods,
)


def test_canonical_label():
    assert Period(2024, 2).label == "2024-25 Q2"
    assert str(Period(1999, 4)) == "1999-00 Q4"  # century wrap: 2000 -> "00"
    assert Period(2024, 2).financial_year == "2024-25"


@pytest.mark.parametrize(
    "text",
    ["2024-25 Q2", "2024/25 Q2", "2024-25Q2", "Q2 2024-25", "2024/2025 Q2", " 2024-25 q2 ", "2024-2025 Q2"],
)
def test_variants_accepted(text):
    assert parse_period(text) == Period(2024, 2)
    assert parse_period(text).label == "2024-25 Q2"


def test_period_passes_through():
    p = Period(2023, 4)
    assert parse_period(p) is p


@pytest.mark.parametrize("text", ["2024Q2", "2024 Q2", "Q2 2024"])
def test_ambiguous_rejected_with_what_to_write(text):
    with pytest.raises(PeriodError) as exc:
        parse_period(text)
    msg = str(exc.value)
    assert "ambiguous" in msg
    assert "calendar or a financial year" in msg
    assert "'2024-25 Q2'" in msg  # says what to write instead


@pytest.mark.parametrize("text", ["2024-26 Q2", "2024/2026 Q1"])
def test_non_consecutive_years_rejected(text):
    with pytest.raises(PeriodError, match="not consecutive"):
        parse_period(text)


@pytest.mark.parametrize("text", ["", "Q5 2024-25", "spring 2024", "2024-25 Q0"])
def test_unreadable_rejected(text):
    with pytest.raises(PeriodError, match="2024-25 Q2"):
        parse_period(text)


def test_quarter_out_of_range():
    with pytest.raises(PeriodError):
        Period(2024, 5)


@pytest.mark.parametrize(
    "label, start, end, days",
    [
        # Q1 = 1 Apr - 30 Jun (30 + 31 + 30 = 91 days)
        ("2024-25 Q1", "2024-04-01", "2024-06-30", 91),
        # Q2 = 1 Jul - 30 Sep (31 + 31 + 30 = 92)
        ("2024-25 Q2", "2024-07-01", "2024-09-30", 92),
        # Q3 = 1 Oct - 31 Dec (31 + 30 + 31 = 92)
        ("2024-25 Q3", "2024-10-01", "2024-12-31", 92),
        # Q4 = 1 Jan - 31 Mar of the following calendar year (31 + 28 + 31 = 90 in 2025)
        ("2024-25 Q4", "2025-01-01", "2025-03-31", 90),
        # leap year: Q4 of 2023-24 includes 29 Feb 2024 (31 + 29 + 31 = 91)
        ("2023-24 Q4", "2024-01-01", "2024-03-31", 91),
    ],
)
def test_start_end_days(label, start, end, days):
    p = parse_period(label)
    assert p.start == pd.Timestamp(start)
    assert p.end == pd.Timestamp(end)
    assert p.days == days


def test_next_previous_year_ago_shift():
    p = parse_period("2024-25 Q4")
    assert p.next().label == "2025-26 Q1"
    assert p.previous().label == "2024-25 Q3"
    assert p.year_ago().label == "2023-24 Q4"
    assert parse_period("2024-25 Q1").previous().label == "2023-24 Q4"
    assert p.shift(-4) == p.year_ago()
    assert p.shift(5).label == "2026-27 Q1"
    assert p.shift(0) == p


def test_ordering():
    assert parse_period("2023-24 Q4") < parse_period("2024-25 Q1") < parse_period("2024-25 Q2")


@pytest.mark.parametrize(
    "date, label",
    [
        ("2024-04-01", "2024-25 Q1"),
        ("2024-06-30", "2024-25 Q1"),
        ("2024-07-01", "2024-25 Q2"),
        ("2024-12-31", "2024-25 Q3"),
        ("2025-01-01", "2024-25 Q4"),
        ("2025-03-31", "2024-25 Q4"),
    ],
)
def test_from_date(date, label):
    assert Period.from_date(date).label == label


def test_period_range():
    labels = [p.label for p in period_range("2023-24 Q3", "2024-25 Q1")]
    assert labels == ["2023-24 Q3", "2023-24 Q4", "2024-25 Q1"]
    assert [p.label for p in period_range("2024-25 Q1", "2024-25 Q1")] == ["2024-25 Q1"]
    with pytest.raises(PeriodError, match="backwards"):
        period_range("2024-25 Q2", "2024-25 Q1")


def test_periods_of_dates_vectorised():
    dates = pd.Series(pd.to_datetime(["2024-03-31", "2024-04-01", None, "2025-02-14", "1999-12-31"]), index=[5, 6, 7, 8, 9])
    out = periods_of_dates(dates)
    assert list(out.index) == [5, 6, 7, 8, 9]
    assert out.loc[5] == "2023-24 Q4"
    assert out.loc[6] == "2024-25 Q1"
    assert pd.isna(out.loc[7])
    assert out.loc[8] == "2024-25 Q4"
    assert out.loc[9] == "1999-00 Q3"
    # agrees with the scalar Period.from_date on every non-missing date
    for d, lab in zip(dates.dropna(), out.dropna()):
        assert Period.from_date(d).label == lab


def test_sorted_and_latest_period_read_any_spelling_once():
    labels = ["2024-25 Q1", "2023/24 Q4", "2024-25 Q1", "Q3 2023-24"]
    assert sorted_periods(labels) == ["2023-24 Q3", "2023-24 Q4", "2024-25 Q1"]
    assert latest_period(labels) == "2024-25 Q1"
    assert latest_period([]) is None
