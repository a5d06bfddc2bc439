"""Working days in England & Wales: hand-worked examples (weekday names checked against a
calendar in each comment) and a brute-force cross-check."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.errors import ParameterError
from ot_benchmark.workdays import WorkingCalendar


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar()


# --------------------------------------------------------------------------- bank holidays
@pytest.mark.parametrize(
    "day, what",
    [
        ("1999-12-31", "Millennium"),
        ("2002-06-03", "Golden Jubilee (Mon)"),
        ("2002-06-04", "spring bank holiday moved to Tue"),
        ("2011-04-29", "royal wedding"),
        ("2012-06-04", "spring bank holiday moved to Mon 4 June"),
        ("2012-06-05", "Diamond Jubilee"),
        ("2020-05-08", "VE day: early May bank holiday moved to Fri 8 May"),
        ("2022-06-02", "spring bank holiday moved to Thu 2 June"),
        ("2022-06-03", "Platinum Jubilee"),
        ("2022-09-19", "State Funeral of Queen Elizabeth II"),
        ("2023-05-08", "Coronation of King Charles III"),
        ("2022-12-27", "Christmas Day 2022 fell on a Sunday: substitute Tue 27 Dec"),
        ("2021-12-27", "Christmas 2021 on Saturday: substitute Mon 27 Dec"),
        ("2021-12-28", "Boxing Day 2021 on Sunday: substitute Tue 28 Dec"),
        ("2040-12-25", "last covered year"),
        ("1995-05-08", "VE-day 50th anniversary (May bank holiday moved to Mon 8 May 1995)"),
    ],
)
def test_bank_holidays_are_not_working_days(cal, day, what):
    assert not cal.is_working_day(day), what


@pytest.mark.parametrize(
    "day, what",
    [
        ("2020-05-04", "first Monday of May 2020 was a normal working day (holiday moved to 8th)"),
        ("2002-05-27", "last Monday of May 2002 was a working day (moved to 4 June)"),
        ("2012-05-28", "last Monday of May 2012 was a working day"),
        ("2022-05-30", "last Monday of May 2022 was a working day"),
        ("2022-12-28", "Wednesday after Christmas 2022"),
        ("2024-03-27", "an ordinary Wednesday"),
    ],
)
def test_ordinary_weekdays_are_working_days(cal, day, what):
    assert cal.is_working_day(day), what


def test_weekends_are_not_working_days(cal):
    # 2024-06-01 is a Saturday, 2024-06-02 a Sunday, 2024-06-03 a Monday
    assert list(cal.is_working_day(np.array(["2024-06-01", "2024-06-02", "2024-06-03"], dtype="datetime64[D]"))) == [
        False, False, True]


# --------------------------------------------------------------------------- counting convention
def test_convention_monday_to_monday_is_five(cal):
    # Mon 3 June 2024 -> Mon 10 June 2024: Tue, Wed, Thu, Fri, Mon = 5 (no bank holiday)
    assert cal.working_days_between("2024-06-03", "2024-06-10") == 5.0


def test_same_day_is_zero(cal):
    assert cal.working_days_between("2024-06-03", "2024-06-03") == 0.0
    # a Saturday to itself is also 0
    assert cal.working_days_between("2024-06-01", "2024-06-01") == 0.0


def test_weekend_start(cal):
    # Sat 1 June 2024 -> Mon 3 June: Sun no, Mon yes = 1
    assert cal.working_days_between("2024-06-01", "2024-06-03") == 1.0
    # Fri 31 May -> Sun 2 June: Sat, Sun = 0
    assert cal.working_days_between("2024-05-31", "2024-06-02") == 0.0


def test_easter_inside_window(cal):
    # Thu 28 Mar 2024 -> Tue 2 Apr 2024: Good Friday 29 Mar (holiday), Sat, Sun,
    # Easter Monday 1 Apr (holiday), Tue 2 Apr = 1 working day
    assert cal.working_days_between("2024-03-28", "2024-04-02") == 1.0
    # Thu 21 Mar 2024 -> Thu 4 Apr 2024: 10 weekdays after 21st (22,25,26,27,28,29,1,2,3,4) minus 2 = 8
    assert cal.working_days_between("2024-03-21", "2024-04-04") == 8.0


def test_state_funeral(cal):
    # Fri 16 Sep 2022 -> Tue 20 Sep 2022: Sat, Sun, Mon 19 (State Funeral), Tue 20 = 1
    assert cal.working_days_between("2022-09-16", "2022-09-20") == 1.0


def test_coronation(cal):
    # Fri 28 Apr 2023 -> Fri 12 May 2023: weekdays after 28 Apr are Mon 1 May (early May bank
    # holiday), 2, 3, 4, 5, Mon 8 May (coronation), 9, 10, 11, 12 -> 10 weekdays - 2 = 8
    assert cal.working_days_between("2023-04-28", "2023-05-12") == 8.0
    # Fri 5 May -> Tue 9 May 2023: Mon 8 is the coronation, so only Tue 9 = 1
    assert cal.working_days_between("2023-05-05", "2023-05-09") == 1.0


def test_substitute_day_christmas_2022(cal):
    # Fri 23 Dec 2022 -> Wed 28 Dec 2022: Sat 24, Sun 25 (Christmas), Mon 26 (Boxing Day),
    # Tue 27 (Christmas substitute), Wed 28 = 1
    assert cal.working_days_between("2022-12-23", "2022-12-28") == 1.0


def test_council_closure_day():
    # Mon 23 Dec 2024 -> Fri 27 Dec 2024: Tue 24, Wed 25 (Christmas), Thu 26 (Boxing), Fri 27
    plain = WorkingCalendar()
    closed = WorkingCalendar(extra_closures=["2024-12-24"])
    assert plain.working_days_between("2024-12-23", "2024-12-27") == 2.0  # Tue 24 + Fri 27
    assert closed.working_days_between("2024-12-23", "2024-12-27") == 1.0  # Fri 27 only
    assert not closed.is_working_day("2024-12-24")
    assert plain.is_working_day("2024-12-24")
    # a closure on a Saturday changes nothing
    assert WorkingCalendar(["2024-12-28"]).working_days_between("2024-12-23", "2024-12-31") == \
        plain.working_days_between("2024-12-23", "2024-12-31")


def test_bad_closure_day_is_a_parameter_error():
    with pytest.raises(ParameterError, match="closure"):
        WorkingCalendar(extra_closures=["not a date"])


def test_end_before_start_is_negative(cal):
    # documented: the same count, negated
    assert cal.working_days_between("2024-06-10", "2024-06-03") == -5.0
    assert cal.working_days_between("2022-09-20", "2022-09-16") == -1.0


# --------------------------------------------------------------------------- vectorised
def test_series_input_keeps_index_and_gives_nan_for_nat(cal):
    start = pd.Series(pd.to_datetime(["2024-06-03", None, "2022-09-16", "2024-06-03 15:30"], format="mixed"), index=[7, 8, 9, 10])
    end = pd.Series(pd.to_datetime(["2024-06-10", "2024-06-10", "2022-09-20", pd.NaT]), index=[7, 8, 9, 10])
    out = cal.working_days_between(start, end)
    assert isinstance(out, pd.Series)
    assert out.dtype == "float64"
    assert list(out.index) == [7, 8, 9, 10]
    assert out.loc[7] == 5.0 and out.loc[9] == 1.0
    assert np.isnan(out.loc[8]) and np.isnan(out.loc[10])


def test_series_and_scalar_broadcast(cal):
    start = pd.Series(pd.to_datetime(["2024-06-03", "2024-06-07"]), index=["a", "b"])
    out = cal.working_days_between(start, "2024-06-10")
    # Mon 3 -> Mon 10 = 5; Fri 7 -> Mon 10 = 1
    assert out.to_dict() == {"a": 5.0, "b": 1.0}


def test_numpy_arrays(cal):
    s = np.array(["2024-06-03", "NaT", "2023-05-05"], dtype="datetime64[ns]")
    e = np.array(["2024-06-10", "2024-06-10", "2023-05-09"], dtype="datetime64[ns]")
    out = cal.working_days_between(s, e)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_array_equal(out, [5.0, np.nan, 1.0])


def test_time_of_day_is_ignored(cal):
    assert cal.working_days_between(pd.Timestamp("2024-06-03 23:59"), pd.Timestamp("2024-06-10 00:01")) == 5.0


def test_matches_brute_force_count(cal):
    """Independent check: walk day by day over random windows, using the holidays package directly."""
    import holidays

    bh = set(holidays.UK(subdiv="ENG", years=range(2018, 2027)))
    rng = np.random.default_rng(7)
    base = np.datetime64("2019-01-01")
    starts = base + rng.integers(0, 2000, 300).astype("timedelta64[D]")
    ends = starts + rng.integers(-40, 120, 300).astype("timedelta64[D]")

    def brute(a, b):
        a, b = a.astype(object), b.astype(object)
        sign, lo, hi = (1, a, b) if b >= a else (-1, b, a)
        n, d = 0, lo + dt.timedelta(days=1)
        while d <= hi:
            n += d.weekday() < 5 and d not in bh
            d += dt.timedelta(days=1)
        return sign * n

    expected = np.array([brute(a, b) for a, b in zip(starts, ends)], dtype=float)
    np.testing.assert_array_equal(cal.working_days_between(starts, ends), expected)


# --------------------------------------------------------------------------- running count
def test_cumulative_working_days_hand_examples(cal):
    # the count starts after Sun 1 Jan 1995; Mon 2 Jan 1995 was the New Year substitute holiday,
    # so Tue 3 Jan is the first working day
    assert cal.cumulative_working_days("1995-01-01") == 0.0
    assert cal.cumulative_working_days("1995-01-03") == 1.0
    # before the origin the count is negative: (Thu 29 Dec 1994, Sun 1 Jan 1995] holds Fri 30
    assert cal.cumulative_working_days("1994-12-30") == 0.0
    assert cal.cumulative_working_days("1994-12-29") == -1.0
    out = cal.cumulative_working_days(pd.Series(pd.to_datetime(["1995-01-03", None]), index=[4, 5]))
    assert list(out.index) == [4, 5] and out.loc[4] == 1.0 and np.isnan(out.loc[5])


def test_difference_of_running_counts_is_the_count(cal):
    rng = np.random.default_rng(11)
    a = np.datetime64("1980-01-01") + rng.integers(0, 80 * 365, 500).astype("timedelta64[D]")
    b = np.datetime64("1980-01-01") + rng.integers(0, 80 * 365, 500).astype("timedelta64[D]")
    np.testing.assert_array_equal(
        cal.cumulative_working_days(b) - cal.cumulative_working_days(a), cal.working_days_between(a, b)
    )


def test_windows_across_the_edges_of_the_bank_holiday_years(cal):
    # Fri 30 Dec 1994 -> Tue 3 Jan 1995: Sat 31, Sun 1 (New Year), Mon 2 (substitute holiday),
    # Tue 3 = 1
    assert cal.working_days_between("1994-12-30", "1995-01-03") == 1.0
    # Mon 24 Dec 2040 -> Wed 2 Jan 2041: Tue 25 and Wed 26 are Christmas and Boxing Day; Thu 27,
    # Fri 28, Mon 31, Tue 1 Jan 2041 (after LAST_YEAR: bank holidays unknown, so a working day),
    # Wed 2 = 5
    assert cal.working_days_between("2040-12-24", "2041-01-02") == 5.0
    assert cal.working_days_between("2041-01-02", "2040-12-24") == -5.0


def test_closure_days_outside_the_bank_holiday_years_are_honoured():
    # Mon 27 Feb 2045 -> Fri 3 Mar 2045: Tue, Wed 1 Mar, Thu, Fri = 4; closed Wed 1 Mar: 3
    assert WorkingCalendar().working_days_between("2045-02-27", "2045-03-03") == 4.0
    assert WorkingCalendar(["2045-03-01"]).working_days_between("2045-02-27", "2045-03-03") == 3.0
    # Fri 23 Dec 1994 -> Fri 30 Dec 1994: Mon 26 to Fri 30 = 5 (1994 bank holidays unknown);
    # closed Wed 28 Dec 1994: 4
    assert WorkingCalendar(["1994-12-28"]).working_days_between("1994-12-23", "1994-12-30") == 4.0


def test_matches_brute_force_count_near_and_beyond_the_table():
    """Day-by-day count over random windows around 1 Jan 1995 and 31 Dec 2040 (where the
    running-count table ends) and far outside it, with closure days on both sides."""
    import holidays

    closures = {dt.date(1994, 12, 28), dt.date(2041, 1, 8), dt.date(2024, 12, 24)}
    cal = WorkingCalendar(sorted(d.isoformat() for d in closures))
    # bank holidays are known for 1995-2040 only (module docstring)
    bh = set(holidays.UK(subdiv="ENG", years=range(1995, 2041))) | closures
    rng = np.random.default_rng(17)
    centres = np.array(["1995-01-01", "2040-12-31", "1950-06-05", "2120-03-01"], dtype="datetime64[D]")
    starts = centres[rng.integers(0, 4, 300)] + rng.integers(-60, 60, 300).astype("timedelta64[D]")
    ends = starts + rng.integers(-90, 90, 300).astype("timedelta64[D]")

    def brute(a, b):
        a, b = a.astype(object), b.astype(object)
        sign, lo, hi = (1, a, b) if b >= a else (-1, b, a)
        n, d = 0, lo + dt.timedelta(days=1)
        while d <= hi:
            n += d.weekday() < 5 and d not in bh
            d += dt.timedelta(days=1)
        return sign * n

    expected = np.array([brute(a, b) for a, b in zip(starts, ends)], dtype=float)
    np.testing.assert_array_equal(cal.working_days_between(starts, ends), expected)


# --------------------------------------------------------------------------- add_working_days
def test_add_working_days_hand_examples(cal):
    # Fri 16 Sep 2022 + 3: Mon 19 is the funeral, so Tue 20 (1), Wed 21 (2), Thu 22 (3)
    assert cal.add_working_days("2022-09-16", 3) == pd.Timestamp("2022-09-22")
    # Mon 3 June 2024 + 5 = Mon 10 June
    assert cal.add_working_days("2024-06-03", 5) == pd.Timestamp("2024-06-10")
    # Sat 1 June 2024 + 1 = Mon 3 June (the first working day after it)
    assert cal.add_working_days("2024-06-01", 1) == pd.Timestamp("2024-06-03")
    # Mon 10 June 2024 - 5 = Mon 3 June
    assert cal.add_working_days("2024-06-10", -5) == pd.Timestamp("2024-06-03")
    # zero returns the start
    assert cal.add_working_days("2024-06-01", 0) == pd.Timestamp("2024-06-01")


def test_add_working_days_is_inverse_of_count(cal):
    rng = np.random.default_rng(3)
    starts = pd.Series(np.datetime64("2021-01-01") + rng.integers(0, 1500, 200).astype("timedelta64[D]"))
    n = pd.Series(rng.integers(-30, 60, 200))
    n = n.where(n != 0, 1)
    ends = cal.add_working_days(starts, n)
    assert (cal.working_days_between(starts, ends) == n.astype(float)).all()
    assert cal.is_working_day(ends).all()


def test_add_working_days_missing(cal):
    out = cal.add_working_days(pd.Series(pd.to_datetime(["2024-06-03", None])), 5)
    assert out.iloc[0] == pd.Timestamp("2024-06-10") and pd.isna(out.iloc[1])


def test_holidays_between_lists_closures():
    cal = WorkingCalendar(["2022-12-30"])
    h = cal.holidays_between("2022-12-20", "2023-01-05")
    # Sun 25 Christmas, Mon 26 Boxing, Tue 27 Christmas substitute, Fri 30 closure,
    # Sun 1 Jan New Year, Mon 2 Jan New Year substitute
    assert list(h["date"].dt.strftime("%Y-%m-%d")) == [
        "2022-12-25", "2022-12-26", "2022-12-27", "2022-12-30", "2023-01-01", "2023-01-02"]
    assert h["name"].iloc[3] == "council closure"
