"""Fast council × quarter tallies for the flow indicator families (E, K, U, A, O).

National extracts hold millions of rows (about 10 million equipment items for 152 councils
over three years), so these families never group on strings or period labels row by row.
Each row's council is factorised once; each date column becomes an integer day number once
(cached); quarter and working-day arithmetic are look-ups in small per-day tables covering
the dates present; counts and sums are ``numpy.bincount`` over ``council × quarter``
(× breakdown level) cells with a spare "outside" cell, so no row is ever selected by a
boolean index just to be counted. Only the small aggregated result becomes labelled rows.

The quarter index of a date is the number of financial-year quarters since 1970-71 Q1
(April 1970 = 0, March 1970 = -1); ``Period(y, q)`` has index ``4 * (y - 1970) + q - 1``.

Coverage (:meth:`FlowTally.coverage`) follows :meth:`IndicatorContext.grid`: a council covers a
quarter when the quarter overlaps the span from its earliest to its latest date in any date
column of the table.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..periods import Period

__all__ = [
    "NO_DAY",
    "period_index",
    "day_numbers",
    "quarter_index",
    "FlowTally",
    "tally",
    "working_days",
    "covered",
    "is_in",
    "join_notes",
    "add_count_note",
]

NS_PER_DAY = 86_400_000_000_000
#: day number standing for a missing date
NO_DAY = np.int32(np.iinfo(np.int32).min)
_NO_Q = np.int32(np.iinfo(np.int32).min)
_EPOCH = np.datetime64("1970-01-01", "D")


def period_index(p: Period) -> int:
    """Integer index of a financial-year quarter (1970-71 Q1 = 0)."""
    return 4 * (p.year - 1970) + p.quarter - 1


def day_numbers(dates) -> np.ndarray:
    """Days since 1970-01-01 of each date (int32); :data:`NO_DAY` where missing.

    Examples
    --------
    >>> day_numbers(pd.Series(pd.to_datetime(["1970-01-02", None]))).tolist()
    [1, -2147483648]
    """
    a = np.asarray(pd.Series(dates).to_numpy(dtype="datetime64[ns]"))
    v = a.view("int64")
    nat = v == np.iinfo(np.int64).min
    d = np.floor_divide(v, NS_PER_DAY)
    d[nat] = NO_DAY
    return d.astype(np.int32)


def _day_table(days: np.ndarray, fn) -> tuple[int, np.ndarray]:
    """``fn`` evaluated on every day from the earliest to the latest present day."""
    ok = days != NO_DAY
    if not ok.any():
        return 0, fn(np.array([], dtype="datetime64[D]"))
    lo, hi = int(days[ok].min()), int(days[ok].max())
    rng = _EPOCH + np.arange(lo, hi + 1)
    return lo, fn(rng)


def _quarters_of(rng: np.ndarray) -> np.ndarray:
    m = rng.astype("datetime64[M]").astype("int64")
    return np.floor_divide(m - 3, 3).astype(np.int32)


def quarter_index(dates) -> np.ndarray:
    """Financial-year quarter index of each date (vectorised, int32); missing dates give a
    sentinel (the minimum int32) that matches no quarter.

    Examples
    --------
    >>> quarter_index(pd.Series(pd.to_datetime(["1970-04-01", "1970-03-31", "2024-07-01"]))).tolist()
    [0, -1, 217]
    """
    days = dates if (isinstance(dates, np.ndarray) and dates.dtype == np.int32) else day_numbers(dates)
    lo, table = _day_table(days, _quarters_of)
    ok = days != NO_DAY
    idx = np.where(ok, days.astype(np.int64) - lo, 0)
    out = table[idx] if len(table) else np.zeros(len(days), dtype=np.int32)
    return np.where(ok, out, _NO_Q).astype(np.int32)


def working_days(calendar, start_days: np.ndarray, end_days: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Working days elapsed from start to end (after the start, up to and including the end),
    for day-number arrays; NaN where either date is missing or outside ``rows``.

    Same convention and calendar as :meth:`ot_benchmark.workdays.WorkingCalendar.working_days_between`
    (a backwards window is negative), computed as a difference of cumulative working-day
    counts over the days present, so it costs two array look-ups per row.
    """
    ok = (start_days != NO_DAY) & (end_days != NO_DAY)
    if rows is not None:
        ok &= np.asarray(rows, dtype=bool)
    out = np.full(len(start_days), np.nan)
    if not ok.any():
        return out
    s = start_days.astype(np.int64)
    e = end_days.astype(np.int64)
    lo = int(min(s[ok].min(), e[ok].min()))
    hi = int(max(s[ok].max(), e[ok].max()))
    rng = _EPOCH + np.arange(lo, hi + 1)
    cum = np.cumsum(np.asarray(calendar.is_working_day(rng), dtype=np.int64))
    n = len(cum)
    si = np.clip(s - lo, 0, n - 1)
    ei = np.clip(e - lo, 0, n - 1)
    return np.where(ok, (cum[ei] - cum[si]).astype("float64"), np.nan)


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
    ``frame`` turns named arrays into labelled rows. Day numbers and cells of a column are
    computed once and cached; every step is a whole-array numpy operation, done in place where
    possible (at ten million rows each extra temporary costs tens of milliseconds).
    """

    def __init__(self, df: pd.DataFrame, periods: Sequence[Period]):
        self.df = df
        codes, uniques = pd.factorize(df["authority_code"], sort=True)
        self.codes = np.asarray(codes, dtype=np.int64)  # -1 for a missing council (never counted)
        self.councils = np.asarray(uniques, dtype=object)
        self.periods = list(periods)
        self.labels = [p.label for p in self.periods]
        self.pidx = np.array([period_index(p) for p in self.periods], dtype=np.int64)
        self.nc = len(self.councils)
        self.np = len(self.periods)
        self.outside = self.nc * self.np
        # council's first cell; rows without a council start beyond ``outside``
        self._base = np.where(self.codes >= 0, self.codes * self.np, self.outside)
        self._days: dict = {}
        self._bounds: dict = {}
        self._cells: dict = {}
        self._coverage = None

    # -- per-column caches -------------------------------------------------------------
    def days(self, column) -> np.ndarray:
        """Day numbers of a column (name, cached) or of a Series."""
        if isinstance(column, str):
            if column not in self._days:
                self._days[column] = day_numbers(self.df[column])
            return self._days[column]
        return day_numbers(column)

    def bounds(self, column) -> tuple[int, int] | None:
        """Earliest and latest day number present in a column (None when all missing)."""
        key = column if isinstance(column, str) else None
        if key is not None and key in self._bounds:
            return self._bounds[key]
        d = self.days(column)
        hi = int(d.max()) if len(d) else int(NO_DAY)
        if hi == NO_DAY:
            out = None
        else:
            lo = int(np.where(d == NO_DAY, np.iinfo(np.int32).max, d).min())
            out = (lo, hi)
        if key is not None:
            self._bounds[key] = out
        return out

    def quarters(self, column) -> np.ndarray:
        """Quarter index of each row's date (not cached; the tallies use :meth:`cells`)."""
        return quarter_index(self.days(column))

    def cells(self, column) -> np.ndarray:
        """Cell of each row for the date in ``column`` (a column name, cached, or a Series)."""
        if isinstance(column, str) and column in self._cells:
            return self._cells[column]
        d = self.days(column)
        b = self.bounds(column)
        if b is None or self.np == 0:
            out = np.full(len(d), self.outside, dtype=np.int64)
        else:
            lo, hi = b
            # period position of every day from lo to hi; ``outside`` for days in no period,
            # with a spare entry at each end for missing dates
            q = _quarters_of(_EPOCH + np.arange(lo, hi + 1)).astype(np.int64)
            first = int(self.pidx[0])
            lut = np.full(int(self.pidx[-1]) - first + 1, self.outside, dtype=np.int64)
            lut[self.pidx - first] = np.arange(self.np)
            rel = q - first
            pos = np.full(len(q) + 2, self.outside, dtype=np.int64)
            inr = (rel >= 0) & (rel < len(lut))
            pos[1:-1][inr] = lut[rel[inr]]
            idx = d.astype(np.int64)
            idx -= lo - 1
            np.clip(idx, 0, len(pos) - 1, out=idx)  # missing dates land on a spare entry
            out = pos[idx]
            out += self._base
            np.minimum(out, self.outside, out=out)
        if isinstance(column, str):
            self._cells[column] = out
        return out

    def inside(self, cells: np.ndarray) -> np.ndarray:
        """Rows whose date falls in a requested period."""
        return cells != self.outside

    def position(self, cells: np.ndarray) -> np.ndarray:
        """Period position of each row (-1 outside)."""
        return np.where(cells != self.outside, cells % max(self.np, 1), -1)

    def working_days(self, calendar, start, end, rows=None) -> np.ndarray:
        """Working days from ``start`` to ``end`` (column names or Series) for ``rows``; NaN
        elsewhere and where a date is missing (see :func:`working_days`)."""
        s, e = self.days(start), self.days(end)
        ok = (s != NO_DAY) & (e != NO_DAY)
        if rows is not None:
            ok &= np.asarray(rows, dtype=bool)
        bs, be = self.bounds(start), self.bounds(end)
        if bs is None or be is None or not ok.any():
            return np.full(len(s), np.nan)
        lo, hi = min(bs[0], be[0]), max(bs[1], be[1])
        cum = np.cumsum(np.asarray(calendar.is_working_day(_EPOCH + np.arange(lo, hi + 1)), dtype=np.int64))
        si = s.astype(np.int64)
        si -= lo
        np.clip(si, 0, len(cum) - 1, out=si)
        ei = e.astype(np.int64)
        ei -= lo
        np.clip(ei, 0, len(cum) - 1, out=ei)
        wd = cum[ei]
        wd -= cum[si]
        out = wd.astype("float64")
        out[~ok] = np.nan
        return out

    # -- tallies -------------------------------------------------------------------------
    def _bincount(self, cells, mask, weights, level, nlevels):
        size = self.outside + 1
        key = cells
        if level is not None:
            level = np.asarray(level, dtype=np.int64)
            key = np.where((cells != self.outside) & (level >= 0), cells * nlevels + level, self.outside * nlevels)
            size = self.outside * nlevels + 1
        w = None
        if weights is not None:
            w = np.asarray(weights, dtype="float64")
            if mask is not None:
                w = np.where(np.asarray(mask, dtype=bool), w, 0.0)
        elif mask is not None:
            w = np.asarray(mask, dtype=bool)
        out = np.bincount(key, weights=w, minlength=size)[: size - 1].astype("float64")
        shape = (self.nc, self.np) if level is None else (self.nc, self.np, nlevels)
        return out.reshape(shape)

    def count(self, cells, mask=None, *, level=None, nlevels: int = 0) -> np.ndarray:
        """Rows counted per council × period (× level). ``level`` holds 0..nlevels-1 (-1 = skip)."""
        return self._bincount(cells, mask, None, level, nlevels)

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
        big = np.iinfo(np.int32).max
        mn = np.full(len(self.codes), big, dtype=np.int32)
        mx = np.full(len(self.codes), NO_DAY, dtype=np.int32)
        for col in self.df.columns:  # a handful of date columns
            if not pd.api.types.is_datetime64_any_dtype(self.df[col]):
                continue
            d = self.days(col)
            np.maximum(mx, d, out=mx)  # a missing date is the smallest int32
            np.minimum(mn, np.where(d == NO_DAY, big, d), out=mn)
        lo = np.full(self.nc, big, dtype=np.int64)
        hi = np.full(self.nc, int(NO_DAY), dtype=np.int64)
        if len(self.codes):
            if bool(np.all(self.codes[1:] >= self.codes[:-1])):  # sorted by council: segments
                starts = np.flatnonzero(np.r_[True, self.codes[1:] != self.codes[:-1]])
                seg = self.codes[starts]
                keep = seg >= 0
                lo[seg[keep]] = np.minimum.reduceat(mn, starts)[keep]
                hi[seg[keep]] = np.maximum.reduceat(mx, starts)[keep]
            else:
                ok = self.codes >= 0
                g = pd.DataFrame({"c": self.codes[ok], "mn": mn[ok], "mx": mx[ok]}).groupby("c")
                a = g.agg(mn=("mn", "min"), mx=("mx", "max"))
                lo[a.index.to_numpy()] = a["mn"].to_numpy()
                hi[a.index.to_numpy()] = a["mx"].to_numpy()
        has = (lo != big) & (hi != NO_DAY)
        qlo = np.where(has, _quarters_of(_EPOCH + np.where(has, lo, 0)), 1)
        qhi = np.where(has, _quarters_of(_EPOCH + np.where(has, hi, 0)), 0)
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
        cache[key] = FlowTally(df, ctx.periods)
    return cache[key]


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
    ok = (~no_start) & (t.codes >= 0) & (stop > first)
    width = t.np + 1
    c = np.where(ok, t.codes, t.nc)  # spare council row for rows not counted
    diff = np.bincount(c * width + first, minlength=(t.nc + 1) * width).astype("float64")
    diff -= np.bincount(c * width + stop, minlength=(t.nc + 1) * width)
    diff = diff.reshape(t.nc + 1, width)[: t.nc]
    return np.cumsum(diff, axis=1)[:, : t.np]


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
