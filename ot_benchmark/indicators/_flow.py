"""Fast council × quarter tallies for the flow indicator families (E, K, U, A, O).

National extracts hold millions of rows (about 10 million equipment items for 152 councils
over three years), so these families never group on strings or period labels row by row:

- each row's council is factorised once;
- each date column becomes, once, a small integer *day index* (days since 31 December 1899;
  0 = missing), so that everything that depends only on the day — its financial-year
  quarter, its position among the requested quarters, the running count of working days —
  is a look-up in a table of about 110,000 days (1900–2199) instead of date arithmetic on
  millions of rows;
- counts and sums are ``numpy.bincount`` over ``council × quarter`` (× a small code) cells
  with a spare "outside" cell, so no row is ever selected by a boolean index just to be
  counted.

Only the small aggregated result becomes labelled rows.

The quarter index of a date is the number of financial-year quarters since 1970-71 Q1
(April 1970 = 0, March 1970 = -1); ``Period(y, q)`` has index ``4 * (y - 1970) + q - 1``.

Working days are the calendar's own running count
(:meth:`ot_benchmark.workdays.WorkingCalendar.cumulative_working_days`) read once for every day
index, so they follow :mod:`ot_benchmark.workdays` exactly: working days after the start date
up to and including the end date, negative when the end is before the start.

Coverage (:meth:`FlowTally.coverage`) follows :meth:`IndicatorContext.grid`: a council covers a
quarter when the quarter overlaps the span from its earliest to its latest date in any date
column of the table, planned dates aside (a complaint's or a remedy's due date,
:data:`ot_benchmark.io.bundle.PLANNED_DATES`, can lie after the extract's end).
"""

from __future__ import annotations

import weakref
from functools import lru_cache
from typing import Sequence

import numpy as np
import pandas as pd

from ot_benchmark.io.bundle import PLANNED_DATES
from ot_benchmark.periods import Period

__all__ = [
    "period_index",
    "quarter_index",
    "day_index",
    "dates_of",
    "FlowTally",
    "tally",
    "drop_tally",
    "working_days",
    "first_day_over",
    "snapshot_index",
    "open_at",
    "active_in_periods",
    "covered",
    "is_in",
    "category_codes",
    "join_notes",
    "add_count_note",
]

NS_PER_DAY = 86_400_000_000_000
_EPOCH = np.datetime64("1970-01-01", "D")
#: the day with index 1; index 0 stands for a missing date
FIRST_DAY = np.datetime64("1900-01-01", "D")
LAST_DAY = np.datetime64("2199-12-31", "D")
_OFFSET = int((FIRST_DAY - _EPOCH).astype(np.int64)) - 1  # day number (since 1970) of index 0
_NDAYS = int((LAST_DAY - FIRST_DAY).astype(np.int64)) + 1
_NO_Q = np.iinfo(np.int32).min
_CHUNK = 1 << 20  # rows per piece of the element-wise passes over big tables


def period_index(p: Period) -> int:
    """Integer index of a financial-year quarter (1970-71 Q1 = 0)."""
    return 4 * (p.year - 1970) + p.quarter - 1


def day_index(dates) -> np.ndarray:
    """Day index of each date (int32): 1 for 1900-01-01 ... ; 0 where the date is missing.

    Dates outside 1900–2199 (never in a validated extract) are clipped to the ends.

    Examples
    --------
    >>> day_index(pd.Series(pd.to_datetime(["1900-01-01", None, "1900-01-03"]))).tolist()
    [1, 0, 3]
    """
    v = np.asarray(pd.Series(dates).to_numpy(dtype="datetime64[ns]")).view("int64")
    out = np.empty(len(v), dtype=np.int32)
    for i in range(0, len(v), _CHUNK):  # a million at a time: the temporaries stay in the cache
        d = np.floor_divide(v[i:i + _CHUNK], NS_PER_DAY)  # NaT becomes about -106,752 days: clipped to 0 below
        d -= _OFFSET
        np.clip(d, 0, _NDAYS, out=d)
        out[i:i + _CHUNK] = d
    return out


def dates_of(ix) -> np.ndarray:
    """The dates of day indexes (the inverse of :func:`day_index`): datetime64[ns], NaT for 0."""
    ix = np.asarray(ix, dtype=np.int64)
    out = (FIRST_DAY + np.maximum(ix - 1, 0)).astype("datetime64[ns]")
    out[ix == 0] = np.datetime64("NaT")
    return out


@lru_cache(maxsize=1)
def _quarter_table() -> np.ndarray:
    """Quarter index of every day index (``_NO_Q`` for index 0)."""
    days = FIRST_DAY + np.arange(_NDAYS)
    m = days.astype("datetime64[M]").astype("int64")
    q = np.floor_divide(m - 3, 3).astype(np.int32)
    return np.concatenate([[np.int32(_NO_Q)], q])


def quarter_index(dates) -> np.ndarray:
    """Financial-year quarter index of each date (int32); missing dates give a sentinel (the
    minimum int32) that matches no quarter.

    Examples
    --------
    >>> quarter_index(pd.Series(pd.to_datetime(["1970-04-01", "1970-03-31", "2024-07-01"]))).tolist()
    [0, -1, 217]
    """
    ix = dates if (isinstance(dates, np.ndarray) and dates.dtype == np.int32) else day_index(dates)
    return _quarter_table()[ix]


_CUM_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cum_working_days(calendar) -> np.ndarray:
    """The calendar's running working-day count
    (:meth:`~ot_benchmark.workdays.WorkingCalendar.cumulative_working_days`) at every day index
    (int32; 0 at index 0, which stands for a missing date), cached per calendar."""
    cum = _CUM_TABLES.get(calendar)
    if cum is None:
        running = calendar.cumulative_working_days(FIRST_DAY + np.arange(_NDAYS))
        cum = np.concatenate([[0], running]).astype(np.int32)
        _CUM_TABLES[calendar] = cum
    return cum


def working_days(calendar, start_ix: np.ndarray, end_ix: np.ndarray, rows=None) -> np.ndarray:
    """Working days elapsed from start to end for day-index arrays (after the start, up to
    and including the end; negative when the end is before the start); NaN where either date
    is missing or outside ``rows``.

    Same convention and calendar as :meth:`ot_benchmark.workdays.WorkingCalendar.working_days_between`,
    computed as a difference of running working-day counts: two array look-ups per row.
    """
    ok = (start_ix != 0) & (end_ix != 0)
    if rows is not None:
        ok &= np.asarray(rows, dtype=bool)
    cum = _cum_working_days(calendar)
    wd = cum[end_ix]
    wd -= cum[start_ix]
    out = wd.astype("float64")
    out[~ok] = np.nan
    return out


#: stands for "never" as the end of an overdue span (after every day index)
NEVER_IX = np.int64(_NDAYS + 2)


def first_day_over(calendar, start_ix: np.ndarray, limit: float) -> np.ndarray:
    """Day index of the first day on which **more than** ``limit`` working days have elapsed
    since the start (after the start, up to and including that day: the package convention).

    Something still not done on that day is overdue from it on; something done before it was
    done within ``limit`` working days. 0 where the start is missing. Vectorised: the answer
    for every day index is found once per calendar and limit (one ``searchsorted`` in the
    running working-day count), then read for each row.
    """
    s = np.asarray(start_ix)
    out = _first_day_over_table(calendar, int(limit))[s]  # int32, as day indexes are
    out[s == 0] = 0
    return out


_OVER_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _first_day_over_table(calendar, limit: int) -> np.ndarray:
    """:func:`first_day_over` of every day index (int64), cached per calendar and limit."""
    tables = _OVER_TABLES.setdefault(calendar, {})
    if limit not in tables:
        cum = _cum_working_days(calendar)
        tables[limit] = np.searchsorted(cum, cum.astype(np.int64) + limit + 1, side="left").astype(np.int32)
    return tables[limit]


def snapshot_index(periods: Sequence[Period]) -> np.ndarray:
    """Day index of each period's snapshot day (its last day)."""
    return day_index(pd.Series([p.end for p in periods], dtype="datetime64[ns]")).astype(np.int64)


def open_at(start_ix: np.ndarray, stop_ix: np.ndarray, snapshot_ix: int) -> np.ndarray:
    """Rows open at a snapshot day: ``start <= snapshot < stop`` (``start`` 0 = never opens;
    ``stop`` 0 = never stops). The one rule :meth:`FlowTally.count_open` counts."""
    start = np.asarray(start_ix, dtype=np.int64)
    stop = np.where(np.asarray(stop_ix) == 0, NEVER_IX, np.asarray(stop_ix, dtype=np.int64))
    return (start != 0) & (start <= snapshot_ix) & (snapshot_ix < stop)


class FlowTally:
    """Tally events of one table by council × requested quarter.

    Parameters
    ----------
    df : DataFrame
        A case-level table with ``authority_code``.
    periods : sequence of Period
        The quarters to report, sorted (gaps allowed).

    Notes
    -----
    ``cells(column)`` gives each row's cell ``council × np + period position``, or the spare
    cell ``outside`` when its date is missing or not in ``periods``. ``count`` and ``total``
    return ``(councils, periods)`` arrays (``(councils, periods, levels)`` with ``level``);
    ``frame`` turns named arrays into labelled rows. Day indexes and cells of a column are
    computed once and cached. ``planned`` names date columns that are plans (a due date), which
    do not count towards :meth:`coverage`.
    """

    def __init__(self, df: pd.DataFrame, periods: Sequence[Period], *, planned: Sequence[str] = ()):
        self.df = df
        #: date columns that are plans (due dates), left out of :meth:`coverage`
        self.planned = frozenset(planned)
        codes, uniques = pd.factorize(df["authority_code"], sort=True)
        self.councils = np.asarray(uniques, dtype=object)
        #: council code of each row (int32); a missing council is the spare code ``nc``
        self.codes = np.asarray(codes, dtype=np.int32)
        self.codes[self.codes < 0] = len(self.councils)
        self.periods = list(periods)
        self.labels = [p.label for p in self.periods]
        self.pidx = np.array([period_index(p) for p in self.periods], dtype=np.int64)
        self.nc = len(self.councils)
        self.np = len(self.periods)
        self.outside = self.nc * self.np
        self._ix: dict = {}
        self._cells: dict = {}
        self._coverage = None
        self._pos_table = None
        self._snap_pos = None

    # -- per-column caches -------------------------------------------------------------
    def ix(self, column) -> np.ndarray:
        """Day index of a column (by name, cached) or of a Series; 0 = missing."""
        if isinstance(column, str):
            if column not in self._ix:
                self._ix[column] = day_index(self.df[column])
            return self._ix[column]
        return day_index(column)

    def quarters(self, column) -> np.ndarray:
        """Quarter index of each row's date (``_NO_Q`` where missing)."""
        return _quarter_table()[self.ix(column)]

    def _positions(self) -> np.ndarray:
        """Cell offset (period position) of every day index; ``outside`` for days in no
        requested period and for index 0."""
        if self._pos_table is None:
            q = _quarter_table().astype(np.int64)
            pos = np.full(len(q), self.outside, dtype=np.int32)  # cells fit in int32: half the memory
            if self.np:
                first = int(self.pidx[0])
                lut = np.full(int(self.pidx[-1]) - first + 1, self.outside, dtype=np.int32)
                lut[self.pidx - first] = np.arange(self.np)
                rel = q - first
                inr = (rel >= 0) & (rel < len(lut))
                pos[inr] = lut[rel[inr]]
            pos[0] = self.outside
            self._pos_table = pos
        return self._pos_table

    def cells(self, column) -> np.ndarray:
        """Cell of each row for the date in ``column`` (a column name, cached, or a Series)."""
        if isinstance(column, str) and column in self._cells:
            return self._cells[column]
        out = self._positions()[self.ix(column)]
        out += self.codes * np.int32(self.np)  # rows of the spare council land past ``outside``
        np.minimum(out, self.outside, out=out)
        if isinstance(column, str):
            self._cells[column] = out
        return out

    def release(self, keep=(), keep_ix=None) -> None:
        """Drop cached day indexes and cells except those of the columns in ``keep`` (frees
        memory once a family is done with a big table); ``keep_ix`` (default ``keep``): the
        columns whose day indexes are kept."""
        keep_ix = keep if keep_ix is None else keep_ix
        self._ix = {k: v for k, v in self._ix.items() if k in keep_ix}
        self._cells = {k: v for k, v in self._cells.items() if k in keep}

    def _snapshot_position(self) -> np.ndarray:
        """For every day index (and ``NEVER_IX``): the position of the first requested period
        whose snapshot day is on or after it; ``np`` when none, and for index 0 (a blank date:
        a span that never opens, or never stops)."""
        if self._snap_pos is None:
            snap = snapshot_index(self.periods)
            pos = np.searchsorted(snap, np.arange(NEVER_IX + 1), side="left")
            pos[0] = self.np
            self._snap_pos = pos.astype(np.int16 if self.np < 2**15 else np.int64)
        return self._snap_pos

    def inside(self, cells: np.ndarray) -> np.ndarray:
        """Rows whose date falls in a requested period."""
        return cells != self.outside

    def position(self, cells: np.ndarray) -> np.ndarray:
        """Period position of each row (-1 outside)."""
        return np.where(cells != self.outside, cells % max(self.np, 1), -1)

    def working_days(self, calendar, start, end, rows=None) -> np.ndarray:
        """Working days from ``start`` to ``end`` (column names or Series) for ``rows``; NaN
        elsewhere and where a date is missing (see :func:`working_days`)."""
        return working_days(calendar, self.ix(start), self.ix(end), rows)

    def within_working_days(self, calendar, start, end, limit, rows=None) -> tuple[np.ndarray, np.ndarray]:
        """Judge ``end`` against ``start`` + ``limit`` working days, without float temporaries.

        Returns
        -------
        judged, within : bool arrays
            ``judged``: both dates present, ``end`` not before ``start``, and the row in
            ``rows``; ``within``: judged and at most ``limit`` working days elapsed.
        """
        s, e = self.ix(start), self.ix(end)
        judged = (s != 0) & (e != 0)
        if rows is not None:
            judged &= np.asarray(rows, dtype=bool)
        judged &= e >= s
        cum = _cum_working_days(calendar)
        wd = cum[e]
        wd -= cum[s]
        within = wd <= limit
        within &= judged
        return judged, within

    def calendar_days(self, start, end) -> np.ndarray:
        """Calendar days from ``start`` to ``end``; NaN where a date is missing."""
        s, e = self.ix(start), self.ix(end)
        out = (e.astype(np.int64) - s).astype("float64")
        out[(s == 0) | (e == 0)] = np.nan
        return out

    # -- tallies -------------------------------------------------------------------------
    def _bincount(self, cells, mask, weights, level, nlevels):
        nl = nlevels if level is not None else 1
        spare = self.outside * nl  # rows outside the periods, and rows skipped, land at or past it
        level = None if level is None else np.asarray(level)
        mask = None if mask is None else np.asarray(mask, dtype=bool)

        def keys(rows: slice) -> np.ndarray:
            k = cells[rows]
            if level is not None:
                lv = level[rows]
                k = k * np.int64(nl) + lv
                if len(lv) and int(lv.min()) < 0:  # rows to skip go to the spare cell
                    k[lv < 0] = spare
            if mask is not None:  # rows left out go to the spare cell: no weights to zero
                k = np.where(mask[rows], k, spare)
            return k

        if weights is None:  # counts: a million rows at a time (the same integers, cache-sized temporaries)
            counts = np.zeros(spare + nl, dtype=np.int64)
            for i in range(0, len(cells), _CHUNK):
                counts += np.bincount(keys(slice(i, i + _CHUNK)), minlength=spare + nl)
            out = counts[:spare].astype("float64")
        else:  # sums: one pass, so each cell adds its values in row order
            out = np.bincount(keys(slice(None)), weights=np.asarray(weights, dtype="float64"), minlength=spare + nl)[:spare]
        shape = (self.nc, self.np) if level is None else (self.nc, self.np, nlevels)
        return out.reshape(shape)

    def count(self, cells, mask=None, *, level=None, nlevels: int = 0) -> np.ndarray:
        """Rows counted per council × period (× level). ``level`` holds 0..nlevels-1 (-1 = skip).

        To get several counts of the same rows in one pass, give each row a small ``level``
        code combining its flags and sum the levels afterwards.
        """
        return self._bincount(cells, mask, None, level, nlevels)

    def count_open(self, start_ix, stop_ix, mask=None, *, level=None, nlevels: int = 0) -> np.ndarray:
        """Rows open at each period's snapshot (:func:`open_at`: ``start <= snapshot < stop``),
        per council × period (× level), without a loop over periods: each row adds 1 from the
        first snapshot on or after its start to the last one before its stop (a difference
        array, as :func:`active_in_periods`)."""
        pos = self._snapshot_position()
        first = pos[np.asarray(start_ix)]  # first snapshot on or after the start (none: never opens)
        last = pos[np.asarray(stop_ix)]  # first snapshot on or after the stop (none: never stops)
        ok = last > first
        ok &= self.codes < self.nc
        if mask is not None:
            ok &= np.asarray(mask, dtype=bool)
        nl = nlevels if level is not None else 1
        if level is not None:
            ok &= np.asarray(level) >= 0
        rows = np.flatnonzero(ok)  # few rows are ever open at a snapshot: work on those only
        row = self.codes[rows].astype(np.int64) * nl
        if level is not None:
            row += np.asarray(level)[rows]
        width = self.np + 1
        size = (self.nc * nl + 1) * width
        row *= width
        diff = np.bincount(row + first[rows].astype(np.int64), minlength=size).astype("float64")
        diff -= np.bincount(row + last[rows].astype(np.int64), minlength=size)
        out = np.cumsum(diff.reshape(self.nc * nl + 1, width)[: self.nc * nl], axis=1)[:, : self.np]
        if level is None:
            return out.reshape(self.nc, self.np)
        return out.reshape(self.nc, nl, self.np).transpose(0, 2, 1)

    def total(self, cells, weights, mask=None, *, level=None, nlevels: int = 0) -> np.ndarray:
        """Sum of ``weights`` per council × period (× level); NaN weights must be masked out."""
        return self._bincount(cells, mask, weights, level, nlevels)

    # -- coverage and output ---------------------------------------------------------------
    def coverage(self) -> np.ndarray:
        """``(councils, periods)`` booleans: the period overlaps the span from the council's
        earliest to its latest date in any date column of the table, as
        :meth:`IndicatorContext.grid` (cached)."""
        if self._coverage is not None:
            return self._coverage
        # each row's earliest and latest date over the date columns, a million rows at a time,
        # on the nanoseconds themselves (two day-index conversions a row, not one a column).
        # Earliest: the nanoseconds read as unsigned with the sign bit flipped, minus one, so a
        # missing date (NaT, the smallest int64) wraps to the largest value and never wins;
        # latest: plain maximum (NaT never wins). Then as day indexes: (index - 1) read as
        # unsigned for the earliest (a row with no date: the largest value), index for the latest.
        cols = [self.df[c].to_numpy(dtype="datetime64[ns]").view(np.int64) for c in self.df.columns
                if c not in self.planned and pd.api.types.is_datetime64_any_dtype(self.df[c])]
        mn = np.full(len(self.codes), np.iinfo(np.uint32).max, dtype=np.uint32)
        mx = np.zeros(len(self.codes), dtype=np.int32)
        sign, one = np.uint64(1 << 63), np.uint64(1)
        for i in range(0, len(self.codes) if cols else 0, _CHUNK):
            rows = slice(i, i + _CHUNK)
            lo = (cols[0][rows].view(np.uint64) ^ sign) - one
            hi = cols[0][rows].copy()
            for v in cols[1:]:
                np.minimum(lo, (v[rows].view(np.uint64) ^ sign) - one, out=lo)
                np.maximum(hi, v[rows], out=hi)
            mn[rows] = day_index(((lo + one) ^ sign).view(np.int64).view("datetime64[ns]")).view(np.uint32) - np.uint32(1)
            mx[rows] = day_index(hi.view("datetime64[ns]"))
        none = np.iinfo(np.uint32).max
        lo = np.full(self.nc, none, dtype=np.uint32)
        hi = np.zeros(self.nc, dtype=np.int32)
        if len(self.codes):
            starts = np.flatnonzero(np.r_[True, self.codes[1:] != self.codes[:-1]])
            seg = self.codes[starts]
            blocks = len(seg) <= self.nc + 1 and len(np.unique(seg)) == len(seg)
            if blocks:  # each council in one block of rows (in any order): reduce by segments
                keep = seg < self.nc
                lo[seg[keep]] = np.minimum.reduceat(mn, starts)[keep]
                hi[seg[keep]] = np.maximum.reduceat(mx, starts)[keep]
            else:
                ok = self.codes < self.nc
                a = pd.DataFrame({"c": self.codes[ok], "mn": mn[ok], "mx": mx[ok]}).groupby("c").agg(mn=("mn", "min"), mx=("mx", "max"))
                lo[a.index.to_numpy()] = a["mn"].to_numpy()
                hi[a.index.to_numpy()] = a["mx"].to_numpy()
        has = (lo != none) & (hi != 0)
        lo = lo.astype(np.int64) + 1
        hi = hi.astype(np.int64)
        qt = _quarter_table().astype(np.int64)
        qlo = np.where(has, qt[np.where(has, lo, 0)], 1)
        qhi = np.where(has, qt[np.where(has, hi, 0)], 0)
        self._coverage = (qlo[:, None] <= self.pidx[None, :]) & (qhi[:, None] >= self.pidx[None, :])
        return self._coverage

    def frame(self, arrays: dict, *, dimension: str | None = None, levels: Sequence[str] = (), only_covered: bool = True) -> pd.DataFrame:
        """Labelled rows from council × period arrays.

        ``arrays`` maps a column name to a ``(councils, periods)`` array, or — with
        ``dimension`` — a ``(councils, periods, levels)`` array: then an ``all`` row (the sum
        over levels) and one ``dimension:level`` row per level are produced. With
        ``only_covered`` (default) only council × period cells the table covers are kept.
        """
        nc, npd = self.nc, self.np
        keep = self.coverage().reshape(-1) if only_covered else np.ones(nc * npd, dtype=bool)
        auth = np.repeat(self.councils, npd)[keep]
        per = np.tile(np.array(self.labels, dtype=object), nc)[keep]
        base = pd.DataFrame({"authority_code": auth, "period": per, "breakdown": "all"})
        if dimension is None:
            for k, v in arrays.items():
                base[k] = np.asarray(v, dtype="float64").reshape(-1)[keep]
            return base
        nl = len(levels)
        for k, v in arrays.items():
            base[k] = np.asarray(v, dtype="float64").sum(axis=2).reshape(-1)[keep]
        lev = pd.DataFrame(
            {
                "authority_code": np.repeat(auth, nl),
                "period": np.repeat(per, nl),
                "breakdown": np.tile(np.array([f"{dimension}:{x}" for x in levels], dtype=object), len(auth)),
            }
        )
        for k, v in arrays.items():
            lev[k] = np.asarray(v, dtype="float64").reshape(nc * npd, nl)[keep].reshape(-1)
        return pd.concat([base, lev], ignore_index=True)


def tally(ctx, name: str) -> FlowTally | None:
    """The :class:`FlowTally` of table ``name`` for this context (cached on the context, so
    families sharing a table — equipment items for E and U2 — convert its dates once)."""
    df = ctx.table(name)
    if df is None:
        return None
    cache = ctx.__dict__.setdefault("_flow_tallies", {})
    key = (name, id(df), tuple(ctx.labels))
    if key not in cache:
        cache[key] = FlowTally(df, ctx.periods, planned=[c for t, c in PLANNED_DATES if t == name])
    return cache[key]


def drop_tally(ctx, name: str) -> None:
    """Forget the cached :class:`FlowTally` of table ``name`` (frees its arrays)."""
    cache = ctx.__dict__.get("_flow_tallies", {})
    for key in [k for k in cache if k[0] == name]:
        del cache[key]


def active_in_periods(t: FlowTally, start: str, end: str) -> np.ndarray:
    """Distinct rows active at any time in each period, per council: ``start <= period end``
    and (``end`` missing or ``end >= period start``). A row with no ``start`` is never active.

    Vectorised with a difference array over the requested periods (gaps allowed): each row
    adds 1 from the first requested period not before its start quarter up to the last one not
    after its end quarter.

    Returns
    -------
    ndarray
        ``(councils, periods)`` counts.
    """
    qs = t.quarters(start).astype(np.int64)
    qe = t.quarters(end).astype(np.int64)
    no_start = qs == _NO_Q
    qe = np.where(qe == _NO_Q, np.iinfo(np.int64).max, qe)
    first = np.searchsorted(t.pidx, qs, side="left")  # first period with index >= start q
    stop = np.searchsorted(t.pidx, qe, side="right")  # first period with index > end q
    ok = (~no_start) & (t.codes < t.nc) & (stop > first)
    width = t.np + 1
    c = np.where(ok, t.codes, t.nc).astype(np.int64)  # the spare council row takes rows not counted
    diff = np.bincount(c * width + first, minlength=(t.nc + 1) * width).astype("float64")
    diff -= np.bincount(c * width + stop, minlength=(t.nc + 1) * width)
    diff = diff.reshape(t.nc + 1, width)[: t.nc]
    return np.cumsum(diff, axis=1)[:, : t.np]


def covered(rows: pd.DataFrame, grid: pd.DataFrame) -> pd.DataFrame:
    """Keep the rows whose council × period is in ``grid``."""
    g = grid[["authority_code", "period"]].drop_duplicates()
    out = rows.merge(g, on=["authority_code", "period"], how="inner", sort=False)
    return out.reset_index(drop=True)


def is_in(values: pd.Series, allowed) -> np.ndarray:
    """Boolean numpy mask: the value is one of ``allowed`` (missing gives False). Works on
    object and string columns without converting millions of strings to Python objects."""
    if isinstance(allowed, str):
        allowed = [allowed]
    return np.asarray(pd.Series(values).isin(list(allowed)).to_numpy(dtype=bool, na_value=False))


def category_codes(values: pd.Series, levels: Sequence[str]) -> np.ndarray:
    """Position of each value in ``levels`` (int8 for fewer than 127 levels, else int64), -1 for
    anything else or missing; one pass over the strings (factorise, then map the few distinct
    values), none over a categorical (its own codes are mapped)."""
    values = pd.Series(values)
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    dtype = np.int8 if len(levels) < 127 else np.int64
    lut = np.array([list(levels).index(u) if u in levels else -1 for u in uniques] + [-1], dtype=dtype)
    return lut[codes]  # code -1 (missing) takes the last entry


def join_notes(note: pd.Series, text) -> pd.Series:
    """Append ``text`` (scalar or Series, None/"" = nothing) to a note column."""
    a = note.astype(object).where(note.notna(), "").astype(str)
    b = pd.Series(text, index=note.index, dtype=object) if not isinstance(text, pd.Series) else text.astype(object)
    b = b.where(b.notna(), "").astype(str)
    sep = np.where((a != "") & (b != ""), "; ", "")
    out = a + sep + b
    return out.where(out != "", None).astype(object)


def add_count_note(rows: pd.DataFrame, counts, text: str) -> pd.DataFrame:
    """Append "``n`` <text>" to the note of rows where ``counts`` > 0 (``counts`` aligned by
    position with ``rows``)."""
    n = pd.Series(np.asarray(counts, dtype="float64"), index=rows.index)
    msg = pd.Series(None, index=rows.index, dtype=object)
    has = n > 0
    if has.any():
        msg[has] = n[has].astype("int64").astype(str) + " " + text
    rows["note"] = join_notes(rows["note"], msg)
    return rows
