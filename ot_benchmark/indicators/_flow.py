"""Fast council × quarter tallies for the flow indicator families (E, K, U, A, O).

National extracts hold millions of rows (about 10 million equipment items for 152 councils
over three years), so the families never group on strings or period labels row by row.
Instead each row's council is factorised once and each event date becomes an integer
financial-year quarter index; counts and sums are ``numpy.bincount`` over
``council × quarter`` (× breakdown level) cells. Only the small aggregated result is turned
into labelled rows.

The quarter index of a date is the number of financial-year quarters since 1970-71 Q1
(April 1970 = 0, March 1970 = -1); ``Period(y, q)`` has index ``4 * (y - 1970) + q - 1``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..periods import Period

__all__ = [
    "quarter_index",
    "period_index",
    "FlowTally",
    "active_in_periods",
    "covered",
    "join_notes",
    "quarter_span",
    "add_count_note",
]

_NO_QUARTER = np.iinfo(np.int64).min


def period_index(p: Period) -> int:
    """Integer index of a financial-year quarter (1970-71 Q1 = 0)."""
    return 4 * (p.year - 1970) + p.quarter - 1


def quarter_index(dates) -> np.ndarray:
    """Financial-year quarter index of each date (vectorised); missing dates give a sentinel
    (the minimum int64) that matches no quarter.

    Examples
    --------
    >>> quarter_index(pd.Series(pd.to_datetime(["1970-04-01", "1970-03-31", "2024-07-01"]))).tolist()
    [0, -1, 217]
    """
    a = np.asarray(pd.Series(dates).to_numpy(dtype="datetime64[ns]"))
    nat = np.isnat(a)
    m = a.astype("datetime64[M]").astype("int64")
    m = np.where(nat, 0, m)
    q = np.floor_divide(m - 3, 3)
    q[nat] = _NO_QUARTER
    return q


class FlowTally:
    """Tally events of one table by council × requested quarter.

    Parameters
    ----------
    authority_code : Series
        The council of each row.
    periods : sequence of Period
        The quarters to report, sorted (gaps allowed).

    Notes
    -----
    ``position(dates)`` gives each row's position in ``periods`` (-1 when the date is missing
    or outside them). ``count`` and ``total`` return ``(councils, periods)`` arrays (or
    ``(councils, periods, levels)`` with ``levels``); ``frame`` turns named arrays into rows.
    """

    def __init__(self, authority_code: pd.Series, periods: Sequence[Period]):
        codes, uniques = pd.factorize(pd.Series(authority_code).to_numpy(dtype=object), sort=True)
        self.codes = codes.astype(np.int64)  # -1 for a missing council (never counted)
        self.councils = np.asarray(uniques, dtype=object)
        self.periods = list(periods)
        self.labels = [p.label for p in self.periods]
        self.pidx = np.array([period_index(p) for p in self.periods], dtype=np.int64)
        self.nc = len(self.councils)
        self.np = len(self.periods)

    def position(self, dates) -> np.ndarray:
        """Position of each row's date in the requested periods; -1 when not among them."""
        q = quarter_index(dates)
        if self.np == 0:
            return np.full(q.shape, -1, dtype=np.int64)
        pos = np.searchsorted(self.pidx, q)
        pos_c = np.minimum(pos, self.np - 1)
        hit = (pos < self.np) & (self.pidx[pos_c] == q) & (self.codes >= 0)
        return np.where(hit, pos_c, -1)

    def _bincount(self, pos, mask, weights, level, nlevels):
        keep = pos >= 0
        if mask is not None:
            keep &= np.asarray(mask, dtype=bool)
        if level is not None:
            level = np.asarray(level)
            keep &= level >= 0
        key = self.codes[keep] * self.np + pos[keep]
        size = self.nc * self.np
        if level is not None:
            key = key * nlevels + level[keep]
            size *= nlevels
        w = None if weights is None else np.asarray(weights, dtype="float64")[keep]
        out = np.bincount(key, weights=w, minlength=size).astype("float64")
        shape = (self.nc, self.np) if level is None else (self.nc, self.np, nlevels)
        return out.reshape(shape)

    def count(self, pos, mask=None, *, level=None, nlevels: int = 0) -> np.ndarray:
        """Rows counted per council × period (× level). ``level`` holds 0..nlevels-1 (-1 = skip)."""
        return self._bincount(pos, mask, None, level, nlevels)

    def total(self, pos, weights, mask=None, *, level=None, nlevels: int = 0) -> np.ndarray:
        """Sum of ``weights`` per council × period (× level); NaN weights must be masked out."""
        return self._bincount(pos, mask, weights, level, nlevels)

    def frame(self, arrays: dict, *, dimension: str | None = None, levels: Sequence[str] = ()) -> pd.DataFrame:
        """Labelled rows from council × period arrays.

        ``arrays`` maps a column name to a ``(councils, periods)`` array, or — with
        ``dimension`` — a ``(councils, periods, levels)`` array: then an ``all`` row (the sum
        over levels) and one ``dimension:level`` row per level are produced.
        """
        nc, npd = self.nc, self.np
        auth = np.repeat(self.councils, npd)
        per = np.tile(np.array(self.labels, dtype=object), nc)
        if dimension is None:
            out = pd.DataFrame({"authority_code": auth, "period": per, "breakdown": "all"})
            for k, v in arrays.items():
                out[k] = np.asarray(v, dtype="float64").reshape(-1)
            return out
        nl = len(levels)
        parts = []
        base = pd.DataFrame({"authority_code": auth, "period": per, "breakdown": "all"})
        for k, v in arrays.items():
            base[k] = np.asarray(v, dtype="float64").sum(axis=2).reshape(-1)
        parts.append(base)
        lev = pd.DataFrame(
            {
                "authority_code": np.repeat(auth, nl),
                "period": np.repeat(per, nl),
                "breakdown": np.tile(np.array([f"{dimension}:{x}" for x in levels], dtype=object), nc * npd),
            }
        )
        for k, v in arrays.items():
            lev[k] = np.asarray(v, dtype="float64").reshape(-1)
        parts.append(lev)
        return pd.concat(parts, ignore_index=True)


def covered(rows: pd.DataFrame, grid: pd.DataFrame) -> pd.DataFrame:
    """Keep the rows whose council × period is in ``grid`` (the periods the data covers)."""
    g = grid[["authority_code", "period"]].drop_duplicates()
    out = rows.merge(g, on=["authority_code", "period"], how="inner", sort=False)
    return out.reset_index(drop=True)


def quarter_span(tally: FlowTally, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """First and last quarter index of each council's dates (every date column of ``df``,
    rows aligned with ``tally``); councils with no date get an empty span (lo > hi)."""
    lo = np.full(tally.nc, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(tally.nc, np.iinfo(np.int64).min, dtype=np.int64)
    for col in df.columns:  # a handful of date columns
        if not pd.api.types.is_datetime64_any_dtype(df[col]):
            continue
        q = quarter_index(df[col])
        ok = (q != _NO_QUARTER) & (tally.codes >= 0)
        if not ok.any():
            continue
        g = pd.Series(q[ok]).groupby(tally.codes[ok])
        mn, mx = g.min(), g.max()
        idx = mn.index.to_numpy()
        lo[idx] = np.minimum(lo[idx], mn.to_numpy())
        hi[idx] = np.maximum(hi[idx], mx.to_numpy())
    return lo, hi


def active_in_periods(tally: FlowTally, start, end) -> np.ndarray:
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
    qs = quarter_index(start)
    qe = quarter_index(end)
    no_start = qs == _NO_QUARTER
    open_ = qe == _NO_QUARTER
    big = np.iinfo(np.int64).max
    qe = np.where(open_, big, qe)
    first = np.searchsorted(tally.pidx, qs, side="left")  # first period with index >= start q
    stop = np.searchsorted(tally.pidx, qe, side="right")  # first period with index > end q
    ok = (~no_start) & (tally.codes >= 0) & (stop > first)
    width = tally.np + 1
    c = tally.codes[ok]
    diff = np.bincount(c * width + first[ok], minlength=tally.nc * width).astype("float64")
    diff -= np.bincount(c * width + stop[ok], minlength=tally.nc * width)
    diff = diff.reshape(tally.nc, width)
    return np.cumsum(diff, axis=1)[:, : tally.np]


def join_notes(note: pd.Series, text) -> pd.Series:
    """Append ``text`` (scalar or Series, None/"" = nothing) to a note column."""
    a = note.astype(object).where(note.notna(), "").astype(str)
    b = pd.Series(text, index=note.index, dtype=object) if not isinstance(text, pd.Series) else text.astype(object)
    b = b.where(b.notna(), "").astype(str)
    sep = np.where((a != "") & (b != ""), "; ", "")
    out = a + sep + b
    return out.where(out != "", None).astype(object)


def add_count_note(rows: pd.DataFrame, counts: pd.Series, text: str) -> pd.DataFrame:
    """Append "``n`` <text>" to the note of rows where ``counts`` > 0."""
    n = pd.Series(np.asarray(counts, dtype="float64"), index=rows.index)
    msg = pd.Series(None, index=rows.index, dtype=object)
    has = n > 0
    if has.any():
        msg[has] = n[has].astype("int64").astype(str) + " " + text
    rows["note"] = join_notes(rows["note"], msg)
    return rows
