"""The fast council × quarter tallies behind families E, K, U, A and O
(``ot_benchmark.indicators._flow``) agree with the slow, obvious computations.

The look-up tables must reproduce :class:`ot_benchmark.workdays.WorkingCalendar` and
:func:`ot_benchmark.periods.periods_of_dates` exactly; tallies must equal a plain pandas
groupby on seeded random data (the truth is the straightforward computation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.indicators._flow import (
    FlowTally,
    active_in_periods,
    category_codes,
    day_index,
    quarter_index,
    working_days,
)
from ot_benchmark.periods import Period, period_range, periods_of_dates
from ot_benchmark.workdays import WorkingCalendar

RNG = np.random.default_rng(20250401)


def random_dates(n, first="2019-01-01", days=2500, missing=0.1):
    d = pd.Series(pd.Timestamp(first) + pd.to_timedelta(RNG.integers(0, days, n), unit="D"))
    return d.mask(RNG.random(n) < missing)


def test_working_days_match_the_calendar_including_backwards_and_missing():
    cal = WorkingCalendar(extra_closures=["2023-12-27", "2024-12-24"])
    s, e = random_dates(5000), random_dates(5000)
    fast = working_days(cal, day_index(s), day_index(e))
    slow = cal.working_days_between(s, e).to_numpy()
    np.testing.assert_array_equal(fast, slow)
    # the whole day-index range 1900-2199, most of it outside the calendar's bank-holiday years
    s, e = random_dates(5000, first="1900-01-01", days=109000), random_dates(5000, first="1900-01-01", days=109000)
    np.testing.assert_array_equal(working_days(cal, day_index(s), day_index(e)), cal.working_days_between(s, e).to_numpy())
    # the example: ordered Fri 5 May 2023, coronation bank holiday Mon 8 May
    f = working_days(cal, day_index(pd.Series(pd.to_datetime(["2023-05-05"]))), day_index(pd.Series(pd.to_datetime(["2023-05-17"]))))
    assert f[0] == 7


def test_quarter_index_matches_period_labels():
    d = random_dates(3000, first="1998-01-01", days=15000)
    q = quarter_index(d)
    labels = periods_of_dates(d)
    ok = d.notna().to_numpy()
    got = [Period(1970 + int(x) // 4, int(x) % 4 + 1).label for x in q[ok]]
    assert got == list(labels[ok])
    assert (q[~ok] == np.iinfo(np.int32).min).all()


def test_counts_and_totals_equal_a_pandas_groupby_with_coverage():
    n = 20000
    councils = np.array(["E10000017", "E06000001", "E08000025", None], dtype=object)
    df = pd.DataFrame(
        {
            "authority_code": councils[RNG.integers(0, 4, n)],
            "event_date": random_dates(n, first="2022-01-01", days=1200),
            "other_date": random_dates(n, first="2021-06-01", days=300, missing=0.5),
            "value": RNG.gamma(2.0, 30.0, n),
            "flag": RNG.random(n) < 0.3,
        }
    )
    periods = period_range("2022-23 Q1", "2024-25 Q2")
    t = FlowTally(df, periods)
    cells = t.cells("event_date")
    count = t.count(cells, df["flag"].to_numpy())
    total = t.total(cells, df["value"].to_numpy())
    rows = t.frame({"count": count, "total": total}, only_covered=False)

    labels = periods_of_dates(df["event_date"])
    d = df.assign(period=labels).dropna(subset=["authority_code", "period"])
    d = d[d["period"].isin([p.label for p in periods])]
    g = d.groupby(["authority_code", "period"]).agg(count=("flag", "sum"), total=("value", "sum")).reset_index()
    m = rows.merge(g, on=["authority_code", "period"], how="left", suffixes=("", "_slow")).fillna({"count_slow": 0, "total_slow": 0})
    np.testing.assert_allclose(m["count"], m["count_slow"])
    np.testing.assert_allclose(m["total"], m["total_slow"])

    # coverage: the quarter overlaps the council's span of dates (any date column)
    both = pd.concat([df[["authority_code", "event_date"]].rename(columns={"event_date": "d"}),
                      df[["authority_code", "other_date"]].rename(columns={"other_date": "d"})]).dropna()
    span = both.groupby("authority_code")["d"].agg(["min", "max"])
    expect = {
        (a, p.label)
        for a, (lo, hi) in span.iterrows()
        for p in periods
        if p.start <= hi and p.end >= lo
    }
    got = set(map(tuple, t.frame({"count": count})[["authority_code", "period"]].to_numpy()))
    assert got == expect


def test_unsorted_councils_give_the_same_coverage_as_sorted():
    df = pd.DataFrame(
        {
            "authority_code": ["B", "A", "B", "A"],
            "d": pd.to_datetime(["2023-05-01", "2022-05-01", "2024-01-10", "2022-06-01"]),
        }
    )
    periods = period_range("2022-23 Q1", "2023-24 Q4")
    cov_unsorted = FlowTally(df, periods).coverage()
    cov_sorted = FlowTally(df.sort_values("authority_code", kind="stable"), periods).coverage()
    np.testing.assert_array_equal(cov_unsorted, cov_sorted)
    # councils in blocks but not in code order (as extracts concatenated council by council)
    blocks = df.iloc[[0, 2, 1, 3]]
    np.testing.assert_array_equal(FlowTally(blocks, periods).coverage(), cov_sorted)
    # A covers 2022-23 Q1 only; B covers 2023-24 Q1 to Q4
    assert cov_unsorted[0].tolist() == [True] + [False] * 7
    assert cov_unsorted[1].tolist() == [False] * 4 + [True] * 4


def test_active_in_periods_equals_brute_force():
    n = 3000
    start = random_dates(n, first="2021-01-01", days=1500, missing=0.02)
    end = start + pd.to_timedelta(RNG.integers(0, 400, n), unit="D")
    end = end.mask(RNG.random(n) < 0.3)  # still open
    df = pd.DataFrame({"authority_code": RNG.choice(["X", "Y"], n), "s": start, "e": end})
    periods = [Period(2022, 1), Period(2022, 2), Period(2023, 3)]  # a gap on purpose
    t = FlowTally(df, periods)
    act = active_in_periods(t, "s", "e")
    for j, p in enumerate(periods):  # a loop over 3 periods in the test, for the truth
        alive = df["s"].notna() & (df["s"] <= p.end) & (df["e"].isna() | (df["e"] >= p.start))
        expect = alive.groupby(df["authority_code"]).sum()
        assert act[:, j].tolist() == [expect["X"], expect["Y"]]


def test_category_codes():
    s = pd.Series(["reused", None, "scrapped", "odd", "reused"], dtype="str")
    assert category_codes(s, ("reused", "scrapped")).tolist() == [0, -1, 1, -1, 0]
