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
    period_words,
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


# --------------------------------------------------------------------------- three kinds
from ot_benchmark.periods import FinancialYear, Month, period_kind  # noqa: E402


@pytest.mark.parametrize("text", ["2022-23", "2022/23", "2022-2023", "2022/2023", "FY 2022-23", " 2022-23 "])
def test_financial_year_variants(text):
    p = parse_period(text)
    assert p == FinancialYear(2022) and p.kind == "year" and p.label == "2022-23"


def test_financial_year_calendar_and_steps():
    p = parse_period("2022-23")
    # 1 April 2022 to 31 March 2023: 365 days (no 29 February in between)
    assert (p.start, p.end, p.days) == (pd.Timestamp("2022-04-01"), pd.Timestamp("2023-03-31"), 365)
    assert parse_period("2023-24").days == 366  # includes 29 February 2024
    assert p.previous().label == "2021-22" and p.year_ago().label == "2021-22" and p.next().label == "2023-24"
    assert p.financial_year == "2022-23"
    assert [q.label for q in p.quarters()] == ["2022-23 Q1", "2022-23 Q2", "2022-23 Q3", "2022-23 Q4"]
    assert str(FinancialYear(1999)) == "1999-00"


@pytest.mark.parametrize("text", ["May 2024", "2024 May", "May-2024", "may 2024", "MAY 2024", "2024-May", "May. 2024"])
def test_month_variants(text):
    p = parse_period(text)
    assert p == Month(2024, 5) and p.kind == "month" and p.label == "May 2024"


def test_month_calendar_and_steps():
    p = parse_period("Sept 2024")
    assert p.label == "September 2024"
    assert (p.start, p.end, p.days) == (pd.Timestamp("2024-09-01"), pd.Timestamp("2024-09-30"), 30)
    assert parse_period("February 2024").days == 29
    assert parse_period("January 2025").previous().label == "December 2024"
    assert parse_period("December 2024").next().label == "January 2025"
    assert parse_period("May 2024").year_ago().label == "May 2023"
    # January to March belong to the financial year that started the April before
    assert parse_period("March 2025").financial_year == "2024-25"
    assert parse_period("April 2025").financial_year == "2025-26"
    assert Month.from_date("2024-05-17") == Month(2024, 5)
    assert FinancialYear.from_date("2024-03-31") == FinancialYear(2023)


def test_kind_of_each_period():
    assert [period_kind(t) for t in ("2022-23", "2022-23 Q4", "March 2023")] == ["year", "quarter", "month"]
    # the quarter is today's Period, with its label and snapshot day unchanged
    assert parse_period("2022-23 Q4") == Period(2022, 4) and parse_period("2022-23 Q4").kind == "quarter"


def test_year_month_numbers_are_not_months():
    # '2011-12' is December 2011 or the financial year 2011-12: it is always the financial year,
    # because year-month numbers are never read as months ...
    assert parse_period("2011-12") == FinancialYear(2011)
    # ... and '2024-05' (not consecutive years) is refused, saying how to write the month
    with pytest.raises(PeriodError) as exc:
        parse_period("2024-05")
    assert "not consecutive" in str(exc.value) and "'May 2024'" in str(exc.value)


@pytest.mark.parametrize("text, fix", [
    ("May-24", "'May 2024'"),          # 24 May, or May 2024?
    ("2024", "'2024-25'"),             # calendar or financial year?
    ("2024-05-01", "'May 2024'"),      # a date, not a period
    ("2024-26", "'2024-25'"),          # not consecutive
])
def test_ambiguous_or_wrong_new_kinds_say_what_to_write(text, fix):
    with pytest.raises(PeriodError) as exc:
        parse_period(text)
    assert fix in str(exc.value)


def test_kinds_allowed_here():
    assert parse_period("2024-25 Q1", kinds=("quarter",)) == Period(2024, 1)
    with pytest.raises(PeriodError, match="'2022-23' is a financial year; only a quarter such as '2024-25 Q2'"):
        parse_period("2022-23", kinds=("quarter",))


def test_ordering_within_and_across_kinds():
    assert parse_period("2021-22") < parse_period("2022-23") < parse_period("2023-24")
    assert parse_period("December 2024") < parse_period("January 2025")
    # across kinds: by last day, then first day; the three below all end on 31 March 2023
    labels = ["March 2023", "2022-23 Q4", "2022-23", "2022-23 Q1", "2021-22"]
    assert sorted_periods(labels) == ["2021-22", "2022-23 Q1", "2022-23", "2022-23 Q4", "March 2023"]
    assert latest_period(["2021-22", "2022-23"]) == "2022-23"
    # a year is never equal to a quarter or month
    assert FinancialYear(2022) != Period(2022, 1) and Month(2022, 4) != Period(2022, 1)


def test_period_range_keeps_gaps_and_one_kind():
    # a series with 2020-21 missing (no survey that year): the range still holds 2020-21
    assert [p.label for p in period_range("2019-20", "2021-22")] == ["2019-20", "2020-21", "2021-22"]
    assert [p.label for p in period_range("November 2024", "February 2025")] == [
        "November 2024", "December 2024", "January 2025", "February 2025"]
    with pytest.raises(PeriodError, match="one kind"):
        period_range("2022-23", "2023-24 Q1")
    with pytest.raises(PeriodError, match="backwards"):
        period_range("2023-24", "2022-23")


# ------------------------------------------------------------------------- how a report speaks of a kind


@pytest.mark.parametrize("label, noun, heading, by, before, in_a_row, year_ago", [
    ("2022-23", "year", "Year", "year by year", "the year before", "seven years in a row", False),
    ("2024-25 Q4", "quarter", "Quarter", "quarter by quarter", "the quarter before", "seven quarters in a row", True),
    ("May 2024", "month", "Month", "month by month", "the month before", "seven months in a row", True),
])
def test_period_words_follow_the_kind(label, noun, heading, by, before, in_a_row, year_ago):
    w = period_words(label)
    assert (w.noun, w.heading, w.by, w.before, w.in_a_row(7), w.year_ago) == (
        noun, heading, by, before, in_a_row, year_ago)
    assert w.fill("**{Period}:** {period by period}, {periods}, {period}") == f"**{heading}:** {by}, {noun}s, {noun}"
    assert period_words(w.kind) == w  # a kind, a period label or a period: the same words


def test_period_words_default_to_quarters():
    # rows without a period (hand-made in tests, older tables) read as quarters, as before
    assert period_words(None).noun == period_words("").noun == period_words("not a period").noun == "quarter"
    assert "{x}" in period_words("2022-23").fill("{x}")  # other braces are left alone
