"""Working days in England and Wales: Monday to Friday that is not a bank holiday.

Bank holidays come from the ``holidays`` package (``holidays.UK(subdiv="ENG")``), which is
offline and includes substitute days (Christmas Day 2022 fell on a Sunday, so Tuesday 27 December
was the holiday) and the one-off holidays: 2002 Golden Jubilee, 1999 Millennium, 2011 royal
wedding, 2012 Diamond Jubilee, the 2020 VE-day move of the May bank holiday to Friday 8 May, the
2022 Platinum Jubilee and the State Funeral of 19 September 2022, and the 2023 coronation
(8 May 2023). A council may add its own closure days (for example a Christmas shutdown).

Counting convention (INDICATORS.md, stated on every output that uses it)
-----------------------------------------------------------------------
*Working days elapsed* between a start and an end date = the number of working days **after**
the start date **up to and including** the end date. Prescribed on a Monday and delivered the
next Monday is 5 working days; the same day is 0. An end date before its start gives the same
count negated (``working_days_between(a, b) == -working_days_between(b, a)``), so a data error
shows up as a negative number instead of vanishing.

How it is counted
-----------------
By ``numpy.busday_count`` with the calendar's holiday array (bank holidays and closure days)
and a Monday-to-Friday week: ``working_days_between(a, b)`` is
``numpy.busday_count(a + 1 day, b + 1 day)``, the working days in (a, b]; when ``b`` is before
``a`` it is minus the count in (b, a] (numpy's own sign convention for a reversed span counts
another half-open span, so the two ends are ordered first). The running count
(:meth:`WorkingCalendar.cumulative_working_days`) is the same count from a fixed origin. The
fast indicator tallies (``indicators/_flow.py``) read that running count once for every day of
their day range, not once per item.
"""

from __future__ import annotations

from typing import Iterable

import holidays as _holidays
import numpy as np
import pandas as pd

from ot_benchmark.errors import ParameterError

__all__ = ["WorkingCalendar", "FIRST_YEAR", "LAST_YEAR", "COUNTING_CONVENTION"]

FIRST_YEAR = 1995
LAST_YEAR = 2040
WEEKMASK = "1111100"  # Monday..Friday
#: origin of the running working-day count (:meth:`WorkingCalendar.cumulative_working_days`)
_ORIGIN = np.datetime64(f"{FIRST_YEAR}-01-01", "D")
_ONE_DAY = np.timedelta64(1, "D")
COUNTING_CONVENTION = (
    "Working days elapsed = working days (Monday-Friday, not an England & Wales bank holiday) "
    "after the start date, up to and including the end date; same day = 0."
)


def _as_day_array(x) -> tuple[np.ndarray, object, bool]:
    """Convert dates to ``datetime64[D]`` (time of day dropped). Returns (array, index, scalar?)."""
    if isinstance(x, pd.Series):
        return pd.to_datetime(x).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"), x.index, False
    if isinstance(x, (pd.DatetimeIndex, pd.Index)):
        return pd.to_datetime(x).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"), None, False
    if isinstance(x, np.ndarray):
        if np.issubdtype(x.dtype, np.datetime64):
            return x.astype("datetime64[D]"), None, False
        return pd.to_datetime(x.ravel()).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").reshape(x.shape), None, False
    if isinstance(x, (list, tuple)):
        return pd.to_datetime(pd.Series(list(x), dtype=object)).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"), None, False
    # scalar: str, date, datetime, Timestamp, np.datetime64, None/NaT
    ts = pd.Timestamp(x) if x is not None else pd.NaT
    day = np.datetime64("NaT", "D") if pd.isna(ts) else np.datetime64(ts.date(), "D")
    return np.array([day]), None, True


def _align_index(*indexes):
    for idx in indexes:
        if idx is not None:
            return idx
    return None


class WorkingCalendar:
    """England & Wales working days, optionally with a council's own closure days.

    Parameters
    ----------
    extra_closures : iterable of date-like, optional
        Days the council's service is closed besides weekends and bank holidays (for example
        ``["2024-12-24", "2024-12-31"]``). Weekend dates are accepted and make no difference.

    Attributes
    ----------
    bank_holidays : pandas.Series
        Bank-holiday dates (index) and names (values), 1995 to 2040.
    closures : numpy.ndarray
        All non-working weekdays used (bank holidays plus ``extra_closures``), ``datetime64[D]``.

    Notes
    -----
    Bank holidays are known for 1995–2040; outside those years only weekends (and any
    ``extra_closures``) are excluded. See the module docstring for the counting convention.

    Examples
    --------
    >>> cal = WorkingCalendar()
    >>> cal.working_days_between("2024-05-06", "2024-05-13")  # early-May bank holiday Monday 6 May
    5.0
    """

    def __init__(self, extra_closures: Iterable = ()):
        bh = _holidays.UK(subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1))
        self.bank_holidays = pd.Series(dict(sorted(bh.items())), dtype=object)
        self.bank_holidays.index = pd.DatetimeIndex(pd.to_datetime(list(self.bank_holidays.index)))
        self.bank_holidays.index.name = "date"
        try:
            extra = pd.to_datetime(pd.Series(list(extra_closures), dtype=object), dayfirst=False, format="mixed")
        except (ValueError, TypeError) as exc:
            raise ParameterError(
                f"cannot read the council closure days {list(extra_closures)!r} ({exc}); "
                "give them as ISO dates such as '2024-12-24'"
            ) from None
        if extra.isna().any():
            raise ParameterError("a council closure day is blank; remove it or give an ISO date such as '2024-12-24'")
        self.extra_closures = np.unique(extra.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"))
        days = np.concatenate([
            self.bank_holidays.index.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"),
            self.extra_closures,
        ])
        self.closures = np.unique(days)
        self._busdaycal = np.busdaycalendar(weekmask=WEEKMASK, holidays=self.closures)

    def __repr__(self) -> str:
        return f"WorkingCalendar(extra_closures={[str(d) for d in self.extra_closures]!r})"

    # ------------------------------------------------------------------ queries
    def is_working_day(self, dates):
        """True for a Monday–Friday that is neither a bank holiday nor a council closure day.

        Parameters
        ----------
        dates : date-like scalar, array or Series
            Missing dates give False.

        Returns
        -------
        bool, numpy.ndarray of bool, or pandas.Series of bool (same index as the input)
        """
        arr, index, scalar = _as_day_array(dates)
        ok = ~np.isnat(arr)
        out = np.zeros(arr.shape, dtype=bool)
        out[ok] = np.is_busday(arr[ok], busdaycal=self._busdaycal)
        if scalar:
            return bool(out[0])
        if index is not None:
            return pd.Series(out, index=index, name=getattr(dates, "name", None))
        return out

    def working_days_between(self, start, end):
        """Working days elapsed from ``start`` to ``end`` (vectorised).

        Counts working days after ``start`` up to and including ``end``: Monday to the next
        Monday is 5, the same day is 0. When ``end`` is before ``start`` the result is negative:
        ``working_days_between(a, b) == -working_days_between(b, a)``.

        Parameters
        ----------
        start, end : date-like scalar, numpy ``datetime64`` array, or pandas Series
            Broadcast against each other. Times of day are ignored. Missing (NaT) gives NaN.

        Returns
        -------
        float, numpy.ndarray of float, or pandas.Series of float64
            A Series (indexed like the Series input) when either input is a Series, a float when
            both are scalars, else an array.
        """
        s, s_idx, s_scalar = _as_day_array(start)
        e, e_idx, e_scalar = _as_day_array(end)
        if s_idx is not None and e_idx is not None and not s_idx.equals(e_idx):
            raise ParameterError("start and end Series have different indexes; align them first")
        if s_scalar and not e_scalar:
            s = np.broadcast_to(s[0], e.shape)
        elif e_scalar and not s_scalar:
            e = np.broadcast_to(e[0], s.shape)
        s, e = np.broadcast_arrays(s, e)
        ok = ~(np.isnat(s) | np.isnat(e))
        out = np.full(s.shape, np.nan)
        out[ok] = self._count(s[ok], e[ok])
        if s_scalar and e_scalar:
            return float(out[0])
        index = _align_index(s_idx, e_idx)
        if index is not None:
            return pd.Series(out, index=index, name="working_days", dtype="float64")
        return out

    def cumulative_working_days(self, dates):
        """Running count of working days: the signed number of working days after the
        calendar's origin (1 January :data:`FIRST_YEAR`) up to and including each date.

        ``working_days_between(a, b) == cumulative_working_days(b) - cumulative_working_days(a)``
        for any two dates; a date before the origin has a negative count.

        Parameters
        ----------
        dates : date-like scalar, array or Series
            Times of day are ignored. Missing (NaT) gives NaN.

        Returns
        -------
        float, numpy.ndarray of float, or pandas.Series of float64 (same index as the input)

        Examples
        --------
        >>> cal = WorkingCalendar()
        >>> cal.cumulative_working_days("1995-01-03")  # Mon 2 Jan 1995 was the New Year holiday
        1.0
        """
        arr, index, scalar = _as_day_array(dates)
        ok = ~np.isnat(arr)
        out = np.full(arr.shape, np.nan)
        out[ok] = self._running_count(arr[ok])
        if scalar:
            return float(out[0])
        if index is not None:
            return pd.Series(out, index=index, name="cumulative_working_days", dtype="float64")
        return out

    def _count(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working days in (start, end] of ``datetime64[D]`` arrays without NaT (int64); minus
        the count in (end, start] when end is before start."""
        lo, hi = np.minimum(start, end), np.maximum(start, end)
        n = np.busday_count(lo + _ONE_DAY, hi + _ONE_DAY, busdaycal=self._busdaycal).astype(np.int64)
        return np.where(end < start, -n, n)

    def _running_count(self, days: np.ndarray) -> np.ndarray:
        """:meth:`cumulative_working_days` of ``datetime64[D]`` days without NaT (int64)."""
        return self._count(np.broadcast_to(_ORIGIN, days.shape), days)

    def add_working_days(self, start, n):
        """The date ``n`` working days after ``start`` (before it when ``n`` is negative).

        The inverse of :meth:`working_days_between`: for ``n != 0`` the result is the first
        working day ``d`` with ``working_days_between(start, d) == n`` (for negative ``n``, the
        latest working day with that count). ``n == 0`` returns ``start`` itself. A Friday order
        with a 7-working-day standard: ``add_working_days(friday, 7)`` is the deadline.

        Parameters
        ----------
        start : date-like scalar, array or Series
        n : int, or array/Series of int (NaN gives NaT)

        Returns
        -------
        pandas.Timestamp, numpy ``datetime64[D]`` array, or pandas Series of ``datetime64[ns]``
        """
        s, s_idx, s_scalar = _as_day_array(start)
        if isinstance(n, pd.Series):
            n_idx, n_arr, n_scalar = n.index, pd.to_numeric(n).to_numpy(dtype="float64", na_value=np.nan), False
        else:
            n_arr = np.asarray(n, dtype="float64")
            n_idx, n_scalar = None, n_arr.ndim == 0
            n_arr = np.atleast_1d(n_arr)
        if np.any(np.isfinite(n_arr) & (n_arr != np.round(n_arr))):
            raise ParameterError("add_working_days needs whole numbers of working days")
        s, n_arr = np.broadcast_arrays(s, n_arr)
        ok = ~np.isnat(s) & np.isfinite(n_arr)
        out = np.full(s.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        ni = n_arr[ok].astype(np.int64)
        moved = np.busday_offset(s[ok], ni, roll="backward", busdaycal=self._busdaycal)
        out[ok] = np.where(ni == 0, s[ok], moved)
        if s_scalar and n_scalar:
            return pd.Timestamp(out[0]) if not np.isnat(out[0]) else pd.NaT
        index = _align_index(s_idx, n_idx)
        if index is not None:
            return pd.Series(out.astype("datetime64[ns]"), index=index)
        return out

    def holidays_between(self, first, last) -> pd.DataFrame:
        """Bank holidays and council closure days from ``first`` to ``last`` inclusive.

        Returns
        -------
        pandas.DataFrame with columns ``date`` (datetime64[ns]) and ``name``
        """
        a, b = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
        bh = self.bank_holidays.loc[a:b]
        rows = pd.DataFrame({"date": bh.index, "name": bh.to_numpy()})
        extra = pd.to_datetime(self.extra_closures.astype("datetime64[ns]"))
        extra = extra[(extra >= a) & (extra <= b)]
        rows = pd.concat([rows, pd.DataFrame({"date": extra, "name": "council closure"})], ignore_index=True)
        return rows.sort_values("date", kind="stable").reset_index(drop=True)
