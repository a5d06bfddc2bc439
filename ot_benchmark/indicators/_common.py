"""Shared helpers for the indicator families.

A family module (``waiting.py``, ``caseload.py``, ``equipment.py``, ...) exposes one function::

    def compute(ctx: IndicatorContext) -> pandas.DataFrame

returning *family rows*: the columns :data:`FAMILY_COLUMNS` (``authority_code, period,
indicator_id, breakdown, numerator, denominator, value, note``) and, only for rows whose interval
the family computes itself (medians, means, Kaplan–Meier), ``lower_95, upper_95, lower_998,
upper_998, ci_method``. ``value`` is already × the catalogue multiplier. The engine adds
``unit`` and ``source`` and computes the intervals of proportion / rate / count rows from
numerator and denominator (``stats.intervals.add_intervals``), so families never do.

Rules every family follows
--------------------------
- No Python loop over cases or items: group and vectorise. A loop over the (at most a few
  dozen) periods with vectorised masks is fine.
- Emit rows only for councils that have the source table (a council with no equipment extract
  gets no E rows, so its comparators' returns cannot clash with phantom rows), and for the
  periods the council's data covers (:meth:`IndicatorContext.grid`). Within that grid a
  count that is zero is 0, not missing.
- A row whose inputs are missing or impossible keeps ``value`` NaN and says why in ``note``
  (:func:`ratio_rows` does this for zero denominators).
- Snapshot measures are taken at the period's last day (``Period.end``); an event *on* the
  snapshot day has happened (a person assessed on that day is no longer waiting).

Helpers
-------
``ctx.table(name)``, ``ctx.grid(name, date_columns)`` (council × period coverage),
``ctx.period_index(dates_or_day_numbers)`` (vectorised quarter lookup), ``ctx.calendar`` /
``ctx.working_days`` (working days with the council closure days), ``ctx.multiplier(id)``,
``ctx.cache`` (shared within a run, e.g. the coded referrals). Row builders: :func:`ratio_rows`,
:func:`count_rows`, :func:`change_rows`, :func:`quantile_rows`, :func:`mean_rows`,
:func:`no_value_rows`, :func:`count_by_period`. For millions of rows, code councils/periods/breakdowns as integers,
aggregate with ``numpy.bincount`` (and :class:`SortedGroups`: one sort of a distribution serves
every quantile and order-statistic bound), and keep the rows as integer-coded arrays in a
:class:`RowSet`, which makes them one DataFrame with the names at the end (:func:`encode_grid`
codes a grid). ``ctx.wants(id, ...)`` says whether the caller asked for an indicator
(``compute_indicators(indicators=...)``), so a family can skip work nobody asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.periods import Period, parse_period
from ot_benchmark.stats.intervals import CONFIDENCE_LEVELS, quantile_ci_ranks, student_t_mean_ci
from ot_benchmark.workdays import WorkingCalendar

__all__ = [
    "FAMILY_COLUMNS",
    "CI_COLUMNS",
    "TABLE_COLUMNS",
    "IndicatorContext",
    "empty_rows",
    "period_labels",
    "count_by_period",
    "ratio_rows",
    "count_rows",
    "quantile_rows",
    "mean_rows",
    "no_value_rows",
    "change_rows",
    "concat_rows",
    "encode_grid",
    "SortedGroups",
    "RowSet",
    "count_note",
    "join_note_arrays",
]

#: the columns every row starts with: who, when, which indicator and breakdown, the figures
_ROW_COLUMNS = ["authority_code", "period", "indicator_id", "breakdown", "numerator", "denominator", "value"]
FAMILY_COLUMNS = [*_ROW_COLUMNS, "note"]
CI_COLUMNS = ["lower_95", "upper_95", "lower_998", "upper_998", "ci_method"]
#: the indicator table's columns, in order (ARCHITECTURE.md); ``note`` is the optional extra
TABLE_COLUMNS = [*_ROW_COLUMNS, "unit", *CI_COLUMNS, "source", "note"]


@dataclass
class IndicatorContext:
    """Everything a family needs: the data, the periods, the settings and the catalogue.

    Attributes
    ----------
    bundle : DataBundle
        Validated extracts (``bundle.get("referrals")`` etc.).
    periods : list of Period
        The quarters to compute, sorted.
    settings : Settings
        Merged settings (``settings["equipment"]["clock_start"]``).
    catalogue : DataFrame
        The indicator catalogue (:func:`ot_benchmark.catalogue.load_catalogue`).
    """

    bundle: DataBundle
    periods: list[Period]
    settings: dict
    catalogue: pd.DataFrame
    #: the indicator ids asked for (None: all); families may skip the work of the others
    indicators: frozenset | None = None
    _grids: dict = field(default_factory=dict, repr=False)
    #: scratch space shared by families within one run (e.g. the prepared referrals)
    cache: dict = field(default_factory=dict, repr=False)

    def wants(self, *indicator_ids: str) -> bool:
        """Is any of these indicators asked for? (All are, unless ``indicators`` says otherwise.)"""
        return self.indicators is None or any(i in self.indicators for i in indicator_ids)

    # -- data -----------------------------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame | None:
        """The case-level table ``name``, or None when the data has none (or it is empty)."""
        df = self.bundle.get(name)
        if df is None or len(df) == 0:
            return None
        return df

    @property
    def labels(self) -> list[str]:
        """Period labels (``"2024-25 Q2"``) in order."""
        return [p.label for p in self.periods]

    @cached_property
    def period_frame(self) -> pd.DataFrame:
        """One row per period: ``period`` (label), ``start``, ``end`` (snapshot day)."""
        return pd.DataFrame(
            {
                "period": self.labels,
                "start": [p.start for p in self.periods],
                "end": [p.end for p in self.periods],
            }
        )

    @cached_property
    def calendar(self):
        """A :class:`ot_benchmark.workdays.WorkingCalendar` with the council closure days."""
        closures = [pd.Timestamp(d) for d in self.settings["calendar"]["closure_days"]]
        return WorkingCalendar(extra_closures=closures)

    def working_days(self, start: pd.Series, end: pd.Series) -> pd.Series:
        """Working days elapsed from ``start`` to ``end`` (after start, up to and including end);
        NaN where either is missing."""
        return self.calendar.working_days_between(start, end)

    def period_index(self, dates) -> np.ndarray:
        """Index into :attr:`periods` of the quarter each date falls in; -1 when the date is
        missing or outside the periods. Vectorised (``searchsorted``), no strings built."""
        return _period_index(dates, self.periods)

    def multiplier(self, indicator_id: str) -> float:
        """The catalogue multiplier of an indicator (100 for %, 1000 per 1,000, else 1)."""
        cat = self.catalogue
        m = cat.loc[cat["indicator_id"] == indicator_id, "multiplier"]
        if m.empty:
            raise KeyError(f"indicator {indicator_id!r} is not in the catalogue")
        return float(m.iloc[0])

    # -- coverage -------------------------------------------------------------------------
    def grid(self, name: str, date_columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Council × period pairs that table ``name`` covers.

        A council covers a period when the period overlaps the span from the council's earliest
        to its latest date in ``date_columns`` (default: every date column of the table). Flow
        counts in the grid with no events are 0; councils without the table get no rows.

        Returns
        -------
        DataFrame
            ``authority_code``, ``period`` (label), ``start``, ``end``.
        """
        key = (name, tuple(date_columns) if date_columns else None)
        if key in self._grids:
            return self._grids[key]
        df = self.table(name)
        cols = ["authority_code", "period", "start", "end"]
        if df is None or "authority_code" not in df:
            out = pd.DataFrame(columns=cols)
        elif date_columns is None and len(self.periods):  # every date column: the table's tally knows
            from ot_benchmark.indicators._flow import tally  # noqa: PLC0415 - _flow builds on this module

            t = tally(self, name)
            aa, pp = np.nonzero(t.coverage())  # councils sorted, then periods in order
            pf = self.period_frame
            out = pd.DataFrame({"authority_code": t.councils[aa], "period": pf["period"].to_numpy()[pp],
                                "start": pf["start"].to_numpy()[pp], "end": pf["end"].to_numpy()[pp]})
        else:
            if date_columns is None:
                date_columns = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
            codes, auths = pd.factorize(df["authority_code"])
            A = len(auths)
            lo = np.full(A, np.iinfo("int64").max, dtype="int64")
            hi = np.full(A, np.iinfo("int64").min, dtype="int64")
            ok_code = codes >= 0
            for c in date_columns:
                v = df[c].to_numpy(dtype="datetime64[ns]").astype("int64")
                m = ok_code & (v != np.iinfo("int64").min)  # NaT
                if m.any():
                    g = pd.Series(v[m]).groupby(codes[m])
                    s_lo, s_hi = g.min(), g.max()
                    ix = s_lo.index.to_numpy()
                    lo[ix] = np.minimum(lo[ix], s_lo.to_numpy())
                    hi[ix] = np.maximum(hi[ix], s_hi.to_numpy())
            has = lo != np.iinfo("int64").max
            span = pd.DataFrame(
                {
                    "authority_code": np.asarray(auths, dtype=object)[has],
                    "first": lo[has].astype("datetime64[ns]"),
                    "last": hi[has].astype("datetime64[ns]"),
                }
            ).sort_values("authority_code", kind="mergesort")
            pf = self.period_frame
            out = span.merge(pf, how="cross")
            out = out[(out["end"] >= out["first"]) & (out["start"] <= out["last"])][cols]
            out = out.reset_index(drop=True)
        self._grids[key] = out
        return out

    def snapshots(self) -> Iterator[tuple[str, pd.Timestamp, pd.Timestamp]]:
        """Iterate ``(label, start, end)`` over the periods (loop over periods, never cases)."""
        for p in self.periods:
            yield p.label, p.start, p.end


# -- building rows -----------------------------------------------------------------------
def empty_rows() -> pd.DataFrame:
    """An empty family-rows frame with the right columns and dtypes."""
    figures = {"numerator", "denominator", "value"}
    return pd.DataFrame({c: pd.Series([], dtype="float64" if c in figures else object) for c in FAMILY_COLUMNS})


_NEVER_DAY = np.iinfo("int64").max


def _period_index(dates, periods: Sequence[Period]) -> np.ndarray:
    """Index of the period each date falls in (-1 outside/missing). ``dates`` may be datetimes
    or int64 day numbers since 1970-01-01 (``int64`` max meaning "never")."""
    if isinstance(dates, np.ndarray) and np.issubdtype(dates.dtype, np.integer):
        if not len(periods):
            return np.full(len(dates), -1, dtype="int64")
        first, lut = _day_lookup(tuple(periods))
        # one gather from a table of every day from the first period's start to the last
        # one's end (-1 at both ends for days outside, and for "never")
        return lut[np.clip(dates - (first - 1), 0, len(lut) - 1)]
    a = np.asarray(pd.Series(dates).to_numpy(dtype="datetime64[ns]") if not isinstance(dates, np.ndarray) else dates,
                   dtype="datetime64[ns]")
    starts = np.array([p.start.to_datetime64() for p in periods], dtype="datetime64[ns]")
    last_end = np.datetime64(periods[-1].end.to_datetime64(), "ns") if len(periods) else np.datetime64("NaT")
    i = np.searchsorted(starts, a, side="right") - 1
    bad = np.isnat(a) | (i < 0) | (a > last_end)
    # periods need not be consecutive: the date must also be on or before its period's end
    ends = np.array([p.end.to_datetime64() for p in periods], dtype="datetime64[ns]")
    ok_i = np.clip(i, 0, max(len(periods) - 1, 0))
    bad |= a > ends[ok_i] if len(periods) else True
    return np.where(bad, -1, i).astype("int64")


@lru_cache(maxsize=16)
def _day_lookup(periods: tuple[Period, ...]) -> tuple[int, np.ndarray]:
    """The day number of the first period's start, and the position of the period holding
    each day from the day before it to the day after the last period's end (-1: in none)."""
    starts = [int(np.datetime64(p.start.date(), "D").astype("int64")) for p in periods]
    ends = [int(np.datetime64(p.end.date(), "D").astype("int64")) for p in periods]
    first, last = min(starts), max(ends)
    lut = np.full(last - first + 3, -1, dtype="int64")
    for i, (s, e) in enumerate(zip(starts, ends)):
        lut[s - first + 1: e - first + 2] = i
    return first, lut


def period_labels(dates: pd.Series, periods: Iterable[Period] | IndicatorContext) -> pd.Series:
    """The period label each date falls in, or None when outside ``periods`` (or missing).

    Vectorised (no loop over dates).
    """
    ps = periods.periods if isinstance(periods, IndicatorContext) else list(periods)
    idx = _period_index(dates, ps)
    labels = np.asarray([p.label for p in ps] + [None], dtype=object)
    index = dates.index if isinstance(dates, pd.Series) else None
    return pd.Series(labels[idx], index=index, dtype=object)


def count_by_period(
    df: pd.DataFrame,
    date_column: str,
    ctx: IndicatorContext,
    *,
    by: str | None = None,
    grid: pd.DataFrame | None = None,
    levels: Sequence[str] | None = None,
    mask: pd.Series | None = None,
    name: str = "n",
) -> pd.DataFrame:
    """Count rows whose ``date_column`` falls in each period, per council (and ``by`` value).

    Parameters
    ----------
    df : DataFrame
        Must have ``authority_code`` and ``date_column``.
    date_column : str
        The event date that places a row in a period.
    ctx : IndicatorContext
    by : str, optional
        A column to break down by; the output's ``breakdown`` is ``f"{by}:{value}"`` plus an
        ``all`` row. Without ``by`` only ``all`` rows.
    grid : DataFrame, optional
        Council × period pairs to report (zeros filled); default: every council × period with
        at least one event.
    levels : sequence of str, optional
        The ``by`` values to report in the grid even when zero (e.g. all priorities).
    mask : boolean Series or array, optional
        Only count rows where True.
    name : str
        Name of the count column.

    Returns
    -------
    DataFrame
        ``authority_code``, ``period``, ``breakdown``, ``name`` (float).

    Notes
    -----
    Integer-coded and counted with ``numpy.bincount``: 1.6M rows take well under a second.
    """
    pidx = ctx.period_index(df[date_column])
    keep = pidx >= 0
    if mask is not None:
        keep &= np.asarray(mask, dtype=bool)
    acodes, auths = pd.factorize(df["authority_code"])
    P = len(ctx.periods)
    A = max(len(auths), 1)
    sel = keep & (acodes >= 0)
    counts = np.bincount(acodes[sel] * P + pidx[sel], minlength=A * P).reshape(A, P)
    labels = np.asarray(ctx.labels, dtype=object)
    aa, pp = np.nonzero(counts) if grid is None else np.indices((len(auths), P)).reshape(2, -1)
    frames = [
        pd.DataFrame(
            {
                "authority_code": np.asarray(auths, dtype=object)[aa],
                "period": labels[pp],
                "breakdown": "all",
                name: counts[aa, pp].astype("float64"),
            }
        )
    ]
    if by is not None:
        bcodes, bvals = pd.factorize(df[by])
        bvals = [str(v) for v in bvals]
        B = max(len(bvals), 1)
        selb = sel & (bcodes >= 0)
        cb = np.bincount((acodes[selb] * P + pidx[selb]) * B + bcodes[selb], minlength=A * P * B).reshape(A, P, B)
        aa, pp, bb = np.nonzero(cb)
        frames.append(
            pd.DataFrame(
                {
                    "authority_code": np.asarray(auths, dtype=object)[aa],
                    "period": labels[pp],
                    "breakdown": np.asarray([f"{by}:{v}" for v in bvals], dtype=object)[bb] if len(bb) else [],
                    name: cb[aa, pp, bb].astype("float64"),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    if grid is not None:
        bds = ["all"]
        if by is not None:
            present = sorted({b.split(":", 1)[1] for b in out["breakdown"] if b != "all"})
            lv = list(levels) + [v for v in present if v not in set(levels)] if levels is not None else present
            bds += [f"{by}:{v}" for v in lv]
        full = grid[["authority_code", "period"]].merge(pd.DataFrame({"breakdown": bds}), how="cross")
        out = full.merge(out, on=["authority_code", "period", "breakdown"], how="left")
        out[name] = out[name].fillna(0.0)
    return out[["authority_code", "period", "breakdown", name]].reset_index(drop=True)


def _finish(df: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    """Family rows from a frame of keys (``breakdown`` optional, default ``all``), figures,
    optional ``note`` and any of the CI columns, with the right column order and dtypes."""
    all_ = np.full(len(df), "all", dtype=object)
    out = pd.DataFrame(
        {
            "authority_code": df["authority_code"].astype(object).to_numpy(),
            "period": df["period"].astype(object).to_numpy(),
            "indicator_id": indicator_id,
            "breakdown": (df["breakdown"].astype(object).to_numpy() if "breakdown" in df else all_),
            "numerator": pd.to_numeric(df["numerator"]).astype("float64").to_numpy(),
            "denominator": pd.to_numeric(df["denominator"]).astype("float64").to_numpy(),
            "value": pd.to_numeric(df["value"]).astype("float64").to_numpy(),
            "note": (df["note"].astype(object).to_numpy() if "note" in df else None),
        }
    )
    for c in CI_COLUMNS:
        if c in df:
            out[c] = df[c].to_numpy()
    return out


def ratio_rows(
    df: pd.DataFrame,
    indicator_id: str,
    numerator: str,
    denominator: str,
    ctx: IndicatorContext | None = None,
    *,
    multiplier: float | None = None,
    zero_note: str | None = None,
    no_interval: bool = False,
) -> pd.DataFrame:
    """Rows of a proportion, rate or ratio: ``value = numerator / denominator × multiplier``.

    A zero or missing denominator gives value NaN and a note (``zero_note`` or a default naming
    the indicator). ``df`` has ``authority_code``, ``period``, optional ``breakdown`` (default
    ``all``) and the two named columns. ``multiplier`` defaults to the catalogue's.
    ``no_interval=True`` marks the rows ``ci_method = "none"`` (e.g. a negative numerator).
    """
    if multiplier is None:
        if ctx is None:
            raise ValueError("ratio_rows needs ctx or multiplier")
        multiplier = ctx.multiplier(indicator_id)
    num = pd.to_numeric(df[numerator]).astype("float64")
    den = pd.to_numeric(df[denominator]).astype("float64")
    ok = den.notna() & (den != 0) & num.notna()
    value = (num / den.where(ok)) * multiplier
    note = pd.Series(None, index=df.index, dtype=object)
    if (~ok).any():
        msg = zero_note or f"no value: the denominator of {indicator_id} is zero or missing"
        note = note.where(ok, msg)
    return _figure_rows(df, indicator_id, num, den, value, note, no_interval=no_interval)


def _no_ci(out: pd.DataFrame) -> pd.DataFrame:
    """Mark rows as having no interval (bounds NaN, ``ci_method = "none"``), in place."""
    for c in CI_COLUMNS[:4]:
        out[c] = np.nan
    out["ci_method"] = "none"
    return out


def _figure_rows(df, indicator_id, numerator, denominator, value, note=None, *, no_interval=False) -> pd.DataFrame:
    """Family rows keyed like ``df`` (``authority_code``, ``period``, optional ``breakdown``,
    default ``all``) with the given figures (Series aligned with ``df``, or scalars)."""
    out = _finish(
        pd.DataFrame(
            {
                "authority_code": df["authority_code"],
                "period": df["period"],
                "breakdown": df["breakdown"] if "breakdown" in df else "all",
                "numerator": numerator,
                "denominator": denominator,
                "value": value,
                "note": note,
            }
        ),
        indicator_id,
    )
    return _no_ci(out) if no_interval else out


def count_rows(df: pd.DataFrame, indicator_id: str, count: str, *, no_interval: bool = False) -> pd.DataFrame:
    """Rows of a count: ``numerator = value = df[count]``, denominator NaN."""
    n = pd.to_numeric(df[count]).astype("float64")
    return _figure_rows(df, indicator_id, n, np.nan, n, no_interval=no_interval)


def _no_value(keys: pd.DataFrame, note: str) -> pd.DataFrame:
    """``keys`` plus the columns of a group with no observations: n = 0 (the denominator),
    numerator and value NaN, ``note`` saying why, no interval."""
    out = keys.copy()
    out["numerator"] = np.nan
    out["denominator"] = 0.0
    out["value"] = np.nan
    out["note"] = note
    return _no_ci(out)


def no_value_rows(keys: pd.DataFrame, indicator_id: str, note: str) -> pd.DataFrame:
    """Family rows for groups with no observations (a median or mean of nothing).

    Parameters
    ----------
    keys : DataFrame
        ``authority_code``, ``period`` and optional ``breakdown`` (default ``all``) of the
        groups.
    indicator_id : str
    note : str
        Why there is no value (``"no value: ..."``).

    Returns
    -------
    DataFrame
        Family rows with n = 0 in ``denominator``, ``numerator`` and ``value`` NaN, and
        ``ci_method = "none"``.
    """
    return _finish(_no_value(keys.reset_index(drop=True), note), indicator_id)


def change_rows(
    counts: pd.DataFrame,
    indicator_id: str,
    count: str,
    *,
    lag: int = 1,
    ctx: IndicatorContext,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Percentage change on ``lag`` quarters earlier (C7: lag 1; K7: lag 4).

    ``counts`` holds ``authority_code, period, breakdown, <count>`` for the periods to report;
    ``previous`` (default ``counts``) holds the same for the earlier periods. Output:
    numerator = current − earlier, denominator = earlier, value = numerator ÷ denominator ×
    multiplier (100), no interval. A missing earlier figure gives NaN with a note.
    """
    if counts.empty:
        return empty_rows()
    prev = counts if previous is None else previous
    prev = prev.rename(columns={count: "_earlier"})
    shifted = counts[["authority_code", "period", "breakdown", count]].copy()
    earlier = {p: parse_period(p).shift(-lag).label for p in pd.unique(shifted["period"])}
    shifted["_earlier_period"] = shifted["period"].map(earlier).astype(object)
    m = shifted.merge(
        prev[["authority_code", "period", "breakdown", "_earlier"]].rename(columns={"period": "_earlier_period"}),
        on=["authority_code", "_earlier_period", "breakdown"],
        how="left",
    )
    m["_num"] = m[count] - m["_earlier"]
    rows = ratio_rows(
        m.rename(columns={"_num": "numerator_", "_earlier": "denominator_"}),
        indicator_id,
        "numerator_",
        "denominator_",
        ctx,
        zero_note=f"no value: the figure {lag} quarter(s) earlier is missing (not in the data) or zero",
        no_interval=True,
    )
    return rows


def _group_codes(df: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, list[np.ndarray], list[int]]:
    """One int64 group id per row from several key columns (factorised separately)."""
    codes, uniques, sizes = [], [], []
    for k in keys:
        col = df[k]
        if pd.api.types.is_integer_dtype(col.dtype) and len(col):
            arr = col.to_numpy(dtype="int64")
            lo_v, hi_v = int(arr.min()), int(arr.max())
            if lo_v >= 0 and hi_v < 10_000_000:
                codes.append(arr)
                uniques.append(np.arange(hi_v + 1, dtype="int64").astype(object))
                sizes.append(hi_v + 1)
                continue
        c, u = pd.factorize(col, sort=False)
        codes.append(c.astype("int64"))
        uniques.append(np.asarray(u, dtype=object))
        sizes.append(max(len(u), 1))
    gid = np.zeros(len(df), dtype="int64")
    for c, size in zip(codes, sizes):
        gid = gid * size + c
    valid = np.ones(len(df), dtype=bool)
    for c in codes:
        valid &= c >= 0
    gid = np.where(valid, gid, -1)
    return gid, uniques, sizes


def _decode(gid: np.ndarray, keys: list[str], uniques: list[np.ndarray], sizes: list[int]) -> pd.DataFrame:
    cols = {}
    rest = gid.copy()
    for k, u, size in reversed(list(zip(keys, uniques, sizes))):
        rest, c = np.divmod(rest, size)
        cols[k] = u[c] if len(u) else np.array([], dtype=object)
    return pd.DataFrame({k: cols[k] for k in keys})


class SortedGroups:
    """Values sorted once within integer groups, so that every quantile, maximum and
    order-statistic bound of every group is read from the one sort.

    Parameters
    ----------
    gid : int array
        Group id (>= 0) of each value.
    values : float array
        Finite values. Whole non-negative values below 2**24 (days) with group ids below 2**38
        are sorted as one int64 key; anything else with a ``lexsort``.

    Attributes
    ----------
    groups : int64 array
        The distinct group ids, ascending.
    n : int64 array
        Values in each group.
    """

    def __init__(self, gid: np.ndarray, values: np.ndarray):
        gid = np.asarray(gid, dtype="int64")
        values = np.asarray(values)
        if values.dtype.kind not in "iu":
            values = values.astype("float64", copy=False)
        ints = len(values) and values.min() >= 0 and values.max() < 2**24 and gid.max() < 2**38 and (
            values.dtype.kind in "iu" or bool(np.all(values == np.floor(values))))
        if ints:  # whole non-negative values (days): one int64 sort instead of a lexsort
            comb = (gid << 24) | values.astype("int64")
            comb.sort()
            g = comb >> 24
            self.vals = comb & (2**24 - 1)  # whole numbers, exact as floats
        else:
            order = np.lexsort((values, gid))
            self.vals = values[order]
            g = gid[order]
        start = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.zeros(0, dtype="int64")
        self.start = start
        self.groups = g[start]
        self.n = np.diff(np.r_[start, len(g)]).astype("int64")

    def quantile(self, q: float, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The linear-interpolation (type 7) ``q`` quantile of each group (of ``rows`` of
        :attr:`groups`)."""
        start, size = self.start[rows], self.n[rows]
        n = size.astype("float64")
        h = (n - 1) * q
        lo_i = np.floor(h).astype("int64")
        hi_i = np.minimum(lo_i + 1, size - 1)
        frac = h - lo_i
        v_lo = self.vals[start + lo_i]
        v_hi = self.vals[start + hi_i]
        return v_lo + frac * (v_hi - v_lo)

    def interval(self, q: float, rows: np.ndarray | slice = slice(None)) -> dict[str, np.ndarray]:
        """The distribution-free order-statistic interval of the ``q`` quantile at 95% and
        99.8% (:func:`~ot_benchmark.stats.intervals.quantile_ci_ranks`): ``lower_95``,
        ``upper_95``, ``lower_998``, ``upper_998`` (NaN where a bound needs a rank outside
        1..n) and ``ci_method`` (``order_statistic``, or ``none`` when neither bound exists)."""
        start, n = self.start[rows], self.n[rows]
        un, inv = np.unique(n, return_inverse=True)  # the ranks depend on n only
        out: dict[str, np.ndarray] = {}
        bounded = np.zeros(len(n), dtype=bool)
        for conf, suffix in CONFIDENCE_LEVELS.items():
            r_lo, r_hi = (r[inv] for r in quantile_ci_ranks(un.astype("float64"), q, conf))
            out[f"lower_{suffix}"] = np.where(r_lo > 0, self.vals[start + np.maximum(r_lo, 1) - 1], np.nan)
            out[f"upper_{suffix}"] = np.where(r_hi > 0, self.vals[start + np.maximum(r_hi, 1) - 1], np.nan)
            bounded |= (r_lo > 0) | (r_hi > 0)
        out["ci_method"] = np.where(bounded, "order_statistic", "none").astype(object)
        return out


def count_note(counts, text: str) -> np.ndarray:
    """"``n`` <text>" where ``counts`` > 0, else None (an object array for a note column)."""
    n = np.asarray(counts, dtype="float64")
    out = np.full(len(n), None, dtype=object)
    for i in np.flatnonzero(n > 0):
        out[i] = f"{int(n[i])} {text}"
    return out


def join_note_arrays(a, b) -> np.ndarray:
    """Notes joined with "; " (None or "" = no note), element by element."""
    a = np.asarray(a, dtype=object)
    b = np.broadcast_to(np.asarray(b, dtype=object), a.shape)
    out = a.copy()
    for i in np.flatnonzero(np.array([x is not None and x != "" for x in b], dtype=bool)):
        out[i] = b[i] if out[i] is None or out[i] == "" else f"{out[i]}; {b[i]}"
    out[np.array([x == "" for x in out], dtype=bool)] = None
    return out


class RowSet:
    """Family rows kept as arrays of integer codes and figures, made into one DataFrame at the
    end (:meth:`frame`), instead of one small frame per indicator.

    Parameters
    ----------
    auths, labels : sequence of str
        What council codes ``a`` and period codes ``p`` stand for.
    breakdowns : sequence of str
        What breakdown codes ``b`` stand for (more can be added with :meth:`code`).

    Every ``add*`` method takes code arrays ``a``, ``p``, ``b`` (``b`` may be one int for all
    rows) and figures aligned with them (or scalars). ``ci`` is None for rows whose interval
    the engine computes, ``"none"`` for rows with no interval, or a dict of the CI columns.
    ``wanted`` (indicator ids, None for all) keeps only those indicators' rows.
    """

    def __init__(self, auths, labels, breakdowns=("all",), wanted=None):
        self.wanted = wanted  # indicator ids to keep (None: all); rows of others are not kept
        self.auths = np.asarray(list(auths), dtype=object)
        self.labels = np.asarray(list(labels), dtype=object)
        self.breakdowns = list(breakdowns)
        self._index = {b: i for i, b in enumerate(self.breakdowns)}
        self._blocks: list[dict] = []

    def code(self, breakdown: str) -> int:
        """The code of a breakdown name (added when new)."""
        if breakdown not in self._index:
            self._index[breakdown] = len(self.breakdowns)
            self.breakdowns.append(breakdown)
        return self._index[breakdown]

    def add(self, indicator_id: str, a, p, b, *, numerator, denominator, value, note=None, ci=None) -> None:
        if self.wanted is not None and indicator_id not in self.wanted:
            return
        a = np.asarray(a, dtype="int64")
        k = len(a)

        def full(x, dtype="float64"):
            return np.broadcast_to(np.asarray(x, dtype=dtype), (k,)) if np.ndim(x) == 0 else np.asarray(x, dtype=dtype)

        self._blocks.append({
            "id": indicator_id, "a": a, "p": full(p, "int64"), "b": full(b, "int64"),
            "numerator": full(numerator), "denominator": full(denominator), "value": full(value),
            "note": None if note is None else full(note, object), "ci": ci,
        })

    def ratio(self, indicator_id: str, a, p, b, num, den, multiplier: float, zero_note: str, *,
              no_interval: bool = False, note=None) -> None:
        """A proportion, rate or ratio (as :func:`ratio_rows`): value = num / den × multiplier;
        a zero or missing denominator gives NaN and ``zero_note``."""
        num = np.asarray(num, dtype="float64")
        den = np.asarray(den, dtype="float64")
        ok = ~np.isnan(den) & (den != 0) & ~np.isnan(num)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (num / np.where(ok, den, np.nan)) * multiplier
        why = np.where(ok, None, zero_note).astype(object) if not ok.all() else None
        if note is not None:
            why = join_note_arrays(np.full(len(num), None, dtype=object) if why is None else why, note)
        self.add(indicator_id, a, p, b, numerator=num, denominator=den, value=value, note=why,
                 ci="none" if no_interval else None)

    def count(self, indicator_id: str, a, p, b, n, *, no_interval: bool = False, note=None) -> None:
        """A count (as :func:`count_rows`): numerator = value = n, no denominator."""
        n = np.asarray(n, dtype="float64")
        self.add(indicator_id, a, p, b, numerator=n, denominator=np.nan, value=n, note=note,
                 ci="none" if no_interval else None)

    def no_value(self, indicator_id: str, a, p, b, note: str) -> None:
        """Groups with no observations (as :func:`no_value_rows`): n = 0, no value, no interval."""
        self.add(indicator_id, a, p, b, numerator=np.nan, denominator=0.0, value=np.nan, note=note, ci="none")

    def quantiles(self, indicator_id: str, sg: SortedGroups, rows, a, p, b, q: float, *,
                  interval: bool = True, note=None) -> None:
        """The ``q`` quantile of groups ``rows`` of ``sg`` (as :func:`quantile_rows`): n in the
        denominator, the order-statistic interval (none for the maximum, q = 1)."""
        ci = sg.interval(q, rows) if interval and q < 1 else "none"
        self.add(indicator_id, a, p, b, numerator=np.nan, denominator=sg.n[rows].astype("float64"),
                 value=sg.quantile(q, rows), note=note, ci=ci)

    def frame(self) -> pd.DataFrame:
        """The rows as one DataFrame: :data:`FAMILY_COLUMNS` and :data:`CI_COLUMNS`."""
        if not self._blocks:
            return empty_rows()
        blocks = self._blocks
        cat = np.concatenate
        sizes = [len(x["a"]) for x in blocks]
        note = np.full(sum(sizes), None, dtype=object)
        ci = {c: np.full(sum(sizes), np.nan) for c in CI_COLUMNS[:4]}
        method = np.full(sum(sizes), None, dtype=object)
        at = 0
        for x, k in zip(blocks, sizes):
            if x["note"] is not None:
                note[at:at + k] = x["note"]
            if isinstance(x["ci"], dict):
                for c in CI_COLUMNS[:4]:
                    ci[c][at:at + k] = x["ci"][c]
                method[at:at + k] = x["ci"]["ci_method"]
            elif x["ci"] == "none":
                method[at:at + k] = "none"
            at += k
        out = pd.DataFrame({
            "authority_code": self.auths[cat([x["a"] for x in blocks])],
            "period": self.labels[cat([x["p"] for x in blocks])],
            "indicator_id": np.repeat(np.array([x["id"] for x in blocks], dtype=object), sizes),
            "breakdown": np.asarray(self.breakdowns, dtype=object)[cat([x["b"] for x in blocks])],
            "numerator": cat([x["numerator"] for x in blocks]),
            "denominator": cat([x["denominator"] for x in blocks]),
            "value": cat([x["value"] for x in blocks]),
            "note": note,
            **ci,
            "ci_method": method,
        })
        return out


def quantile_rows(
    df: pd.DataFrame,
    value_column: str,
    indicator_id: str,
    *,
    q: float = 0.5,
    keys: Sequence[str] = ("authority_code", "period", "breakdown"),
    grid: pd.DataFrame | None = None,
    interval: bool = True,
    empty_note: str = "no value: no observations",
    all_value: object = "all",
) -> pd.DataFrame:
    """Rows of a quantile (median q=0.5, 90th percentile q=0.9, maximum q=1) per group.

    Vectorised over groups: integer group ids, one ``lexsort``, order statistics picked by
    position. The point estimate is the linear-interpolation quantile (numpy's default, R type
    7; the usual median for q=0.5); the interval is the distribution-free order-statistic
    interval (``ci_method = "order_statistic"``) at 95% and 99.8%, with the ranks of
    :func:`ot_benchmark.stats.intervals.quantile_ci_ranks`; a bound needing a rank
    outside 1..n is NaN (``ci_method = "none"`` when both are). ``q=1`` (maximum) and
    ``interval=False`` give no interval. ``denominator`` holds n (the number of
    observations), ``numerator`` is NaN.

    ``grid`` (``authority_code, period`` and optionally ``breakdown``) adds rows with n = 0,
    value NaN and ``empty_note`` for groups with no observations (breakdown ``all_value`` when
    the grid has no breakdown column).

    Keys may be integer codes (fast for millions of rows) or strings.
    """
    keys = list(keys)
    vals_all = pd.to_numeric(df[value_column], errors="coerce").to_numpy(dtype="float64")
    gid, uniques, sizes = _group_codes(df, keys)
    ok = np.isfinite(vals_all) & (gid >= 0)
    sg = SortedGroups(gid[ok], vals_all[ok])
    out = _decode(sg.groups, keys, uniques, sizes)
    out["numerator"] = np.nan
    out["denominator"] = sg.n.astype("float64")
    out["value"] = sg.quantile(q)
    out["note"] = None
    if interval and q < 1 and len(out):
        for c, v in sg.interval(q).items():
            out[c] = v
    else:
        _no_ci(out)
    if grid is not None and len(grid):
        gk = grid[[c for c in ("authority_code", "period", "breakdown") if c in grid.columns]].drop_duplicates().copy()
        if "breakdown" in keys and "breakdown" not in gk.columns:
            gk["breakdown"] = all_value
        gk = gk[keys]
        have = gk.merge(out[keys].drop_duplicates(), on=keys, how="left", indicator=True)["_merge"].eq("both").to_numpy()
        if not have.all():
            missing = _no_value(gk[~have], empty_note)
            out = pd.concat([out, missing], ignore_index=True) if len(out) else missing.reset_index(drop=True)
    return _finish(out, indicator_id)


def mean_rows(
    df: pd.DataFrame,
    value_column: str,
    indicator_id: str,
    *,
    keys: Sequence[str] = ("authority_code", "period", "breakdown"),
    multiplier: float = 1.0,
) -> pd.DataFrame:
    """Rows of a mean per group with a Student-t interval (sd on n − 1,
    :func:`ot_benchmark.stats.intervals.student_t_mean_ci`), ``ci_method = "student_t"``. ``numerator`` = sum, ``denominator`` = n. n = 1 gives the value without an
    interval; the note says so. Vectorised with ``numpy.bincount`` (two-pass variance)."""
    keys = list(keys)
    x_all = pd.to_numeric(df[value_column], errors="coerce").to_numpy(dtype="float64")
    gid, uniques, sizes = _group_codes(df, keys)
    ok = np.isfinite(x_all) & (gid >= 0)
    gid, x = gid[ok], x_all[ok]
    ug, inv = np.unique(gid, return_inverse=True)
    n = np.bincount(inv, minlength=len(ug)).astype("float64")
    total = np.bincount(inv, weights=x, minlength=len(ug))
    mean = total / np.where(n > 0, n, 1)
    ss = np.bincount(inv, weights=(x - mean[inv]) ** 2, minlength=len(ug))
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(ss / (n - 1))
    out = _decode(ug, keys, uniques, sizes)
    out["numerator"] = total
    out["denominator"] = n
    out["value"] = mean * multiplier
    for conf, suffix in CONFIDENCE_LEVELS.items():
        lo, hi = student_t_mean_ci(mean, sd, n, conf)  # NaN where n < 2
        out[f"lower_{suffix}"] = lo * multiplier
        out[f"upper_{suffix}"] = hi * multiplier
    out["ci_method"] = np.where(n > 1, "student_t", "none")
    out["note"] = np.where(n > 1, None, "one observation: no interval")
    return _finish(out, indicator_id)


def encode_grid(grid: pd.DataFrame, auths: Sequence, labels: Sequence[str]) -> pd.DataFrame:
    """A string grid (``authority_code, period``) as integer codes into ``auths`` and ``labels``
    (pairs whose council is not in ``auths`` are dropped)."""
    a = pd.Index(list(auths)).get_indexer(grid["authority_code"])
    p = pd.Index(list(labels)).get_indexer(grid["period"])
    keep = (a >= 0) & (p >= 0)
    return pd.DataFrame({"authority_code": a[keep].astype("int64"), "period": p[keep].astype("int64")})


def concat_rows(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate family rows (CI columns kept where present, NaN elsewhere)."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return empty_rows()
    out = pd.concat(frames, ignore_index=True, sort=False)
    return out
