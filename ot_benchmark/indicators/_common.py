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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _sps

from ..bundle import DataBundle
from ..periods import Period, periods_of_dates

__all__ = [
    "FAMILY_COLUMNS",
    "CI_COLUMNS",
    "TABLE_COLUMNS",
    "Z95",
    "Z998",
    "IndicatorContext",
    "empty_rows",
    "period_labels",
    "count_by_period",
    "ratio_rows",
    "count_rows",
    "quantile_rows",
    "mean_rows",
    "change_rows",
    "order_statistic_ci",
    "concat_rows",
]

FAMILY_COLUMNS = [
    "authority_code",
    "period",
    "indicator_id",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "note",
]
CI_COLUMNS = ["lower_95", "upper_95", "lower_998", "upper_998", "ci_method"]
#: the indicator table's columns, in order (ARCHITECTURE.md); ``note`` is the optional extra
TABLE_COLUMNS = [
    "authority_code",
    "period",
    "indicator_id",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "unit",
    "lower_95",
    "upper_95",
    "lower_998",
    "upper_998",
    "ci_method",
    "source",
    "note",
]
Z95 = 1.959963984540054
Z998 = 3.090232306167813


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
    _grids: dict = field(default_factory=dict, repr=False)

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
        from ..workdays import WorkingCalendar

        closures = [pd.Timestamp(d) for d in self.settings["calendar"]["closure_days"]]
        return WorkingCalendar(extra_closures=closures)

    def working_days(self, start: pd.Series, end: pd.Series) -> pd.Series:
        """Working days elapsed from ``start`` to ``end`` (after start, up to and including end);
        NaN where either is missing."""
        return self.calendar.working_days_between(start, end)

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
        else:
            if date_columns is None:
                date_columns = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
            dates = df[list(date_columns)]
            span = pd.DataFrame(
                {
                    "authority_code": df["authority_code"],
                    "first": dates.min(axis=1),
                    "last": dates.max(axis=1),
                }
            )
            span = span.groupby("authority_code", sort=True).agg(first=("first", "min"), last=("last", "max")).reset_index()
            span = span.dropna(subset=["first"])
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
    return pd.DataFrame(
        {
            "authority_code": pd.Series([], dtype=object),
            "period": pd.Series([], dtype=object),
            "indicator_id": pd.Series([], dtype=object),
            "breakdown": pd.Series([], dtype=object),
            "numerator": pd.Series([], dtype="float64"),
            "denominator": pd.Series([], dtype="float64"),
            "value": pd.Series([], dtype="float64"),
            "note": pd.Series([], dtype=object),
        }
    )


def period_labels(dates: pd.Series, periods: Iterable[Period] | IndicatorContext) -> pd.Series:
    """The period label each date falls in, or NA when outside ``periods`` (or missing).

    Vectorised (no loop over dates).
    """
    if isinstance(periods, IndicatorContext):
        labels = periods.labels
    else:
        labels = [p.label for p in periods]
    lab = periods_of_dates(dates)
    return lab.where(lab.isin(labels), pd.NA)


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
    mask : boolean Series, optional
        Only count rows where True.
    name : str
        Name of the count column.

    Returns
    -------
    DataFrame
        ``authority_code``, ``period``, ``breakdown``, ``name`` (float).
    """
    if mask is not None:
        df = df[mask.to_numpy()]
    per = period_labels(df[date_column], ctx)
    keep = per.notna().to_numpy()
    d = pd.DataFrame({"authority_code": df["authority_code"].to_numpy()[keep], "period": per.to_numpy()[keep]})
    frames = [d.groupby(["authority_code", "period"]).size().rename(name).reset_index().assign(breakdown="all")]
    if by is not None:
        d[by] = df[by].to_numpy()[keep]
        g = d.dropna(subset=[by]).groupby(["authority_code", "period", by]).size().rename(name).reset_index()
        g["breakdown"] = by + ":" + g[by].astype(str)
        frames.append(g.drop(columns=[by]))
    out = pd.concat(frames, ignore_index=True)
    out[name] = out[name].astype("float64")
    if grid is not None:
        bds = ["all"]
        if by is not None:
            lv = list(levels) if levels is not None else sorted(out.loc[out["breakdown"] != "all", "breakdown"].str.split(":", n=1).str[1].unique())
            bds += [f"{by}:{v}" for v in lv]
        full = grid[["authority_code", "period"]].merge(pd.DataFrame({"breakdown": bds}), how="cross")
        out = full.merge(out, on=["authority_code", "period", "breakdown"], how="left")
        out[name] = out[name].fillna(0.0)
    return out[["authority_code", "period", "breakdown", name]]


def _finish(df: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "authority_code": df["authority_code"].astype(object).to_numpy(),
            "period": df["period"].astype(object).to_numpy(),
            "indicator_id": indicator_id,
            "breakdown": (df["breakdown"].astype(object).to_numpy() if "breakdown" in df else "all"),
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
    out = _finish(
        pd.DataFrame(
            {
                "authority_code": df["authority_code"],
                "period": df["period"],
                "breakdown": df["breakdown"] if "breakdown" in df else "all",
                "numerator": num,
                "denominator": den,
                "value": value,
                "note": note,
            }
        ),
        indicator_id,
    )
    if no_interval:
        out = _no_ci(out)
    return out


def _no_ci(out: pd.DataFrame) -> pd.DataFrame:
    for c in CI_COLUMNS[:4]:
        out[c] = np.nan
    out["ci_method"] = "none"
    return out


def count_rows(df: pd.DataFrame, indicator_id: str, count: str, *, no_interval: bool = False) -> pd.DataFrame:
    """Rows of a count: ``numerator = value = df[count]``, denominator NaN."""
    n = pd.to_numeric(df[count]).astype("float64")
    out = _finish(
        pd.DataFrame(
            {
                "authority_code": df["authority_code"],
                "period": df["period"],
                "breakdown": df["breakdown"] if "breakdown" in df else "all",
                "numerator": n,
                "denominator": np.nan,
                "value": n,
            }
        ),
        indicator_id,
    )
    if no_interval:
        out = _no_ci(out)
    return out


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
    from ..periods import parse_period

    prev = counts if previous is None else previous
    prev = prev.rename(columns={count: "_earlier"})
    shifted = counts[["authority_code", "period", "breakdown", count]].copy()
    shifted["_earlier_period"] = [parse_period(p).shift(-lag).label for p in shifted["period"]] if len(shifted) else []
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


def order_statistic_ci(n: np.ndarray, q: float, z: float) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks (lower, upper) of the distribution-free CI for the ``q`` quantile.

    ``lower = B⁻¹(α/2)``, ``upper = B⁻¹(1 − α/2) + 1`` with B ~ Binomial(n, q),
    α = 2(1 − Φ(z)); ranks outside 1..n are returned as 0 (no bound).
    """
    n = np.asarray(n, dtype="float64")
    alpha = 2 * (1 - _sps.norm.cdf(z))
    with np.errstate(invalid="ignore"):
        lo = _sps.binom.ppf(alpha / 2, n, q)
        hi = _sps.binom.ppf(1 - alpha / 2, n, q) + 1
    lo = np.where((lo >= 1) & (lo <= n), lo, 0)
    hi = np.where((hi >= 1) & (hi <= n), hi, 0)
    return lo.astype("int64"), hi.astype("int64")


def _ranks(n: np.ndarray, q: float, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Order-statistic ranks; the median uses ``stats.intervals.median_ci_ranks`` (one
    convention across the package), other quantiles :func:`order_statistic_ci`."""
    if q == 0.5 and len(n):
        from ..stats.intervals import median_ci_ranks

        conf = 0.95 if z == Z95 else 0.998
        lo, hi = median_ci_ranks(n, conf)
        return np.where(lo > 0, lo, 0), np.where(hi > 0, hi, 0)
    return order_statistic_ci(n, q, z)


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
) -> pd.DataFrame:
    """Rows of a quantile (median q=0.5, 90th percentile q=0.9, maximum q=1) per group.

    Vectorised over groups: sort once, pick order statistics by position. The point estimate
    is the linear-interpolation quantile (numpy's default, R type 7); the interval is the
    distribution-free order-statistic interval (``ci_method = "order_statistic"``) at 95% and
    99.8% — a bound needing a rank outside 1..n is NaN. ``q=1`` (maximum) and
    ``interval=False`` give no interval. ``denominator`` holds n (the number of observations),
    ``numerator`` is NaN.

    ``grid`` (``authority_code, period``) adds rows with n = 0, value NaN and ``empty_note``
    for groups with no observations (breakdown ``all``).
    """
    keys = list(keys)
    d = df[keys + [value_column]].dropna(subset=[value_column])
    d = d.sort_values(keys + [value_column], kind="mergesort").reset_index(drop=True)
    vals = d[value_column].to_numpy(dtype="float64")
    g = d.groupby(keys, sort=False, observed=True)
    first = g.cumcount().to_numpy()
    starts_mask = first == 0
    start_idx = np.flatnonzero(starts_mask)
    sizes = g.size().to_numpy()  # groups in order of first appearance == sorted order
    head = d.loc[starts_mask, keys].reset_index(drop=True)
    n = sizes.astype("float64")
    # type-7 quantile: h = (n - 1) q ; value = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])
    h = (n - 1) * q
    lo_i = np.floor(h).astype("int64")
    hi_i = np.minimum(lo_i + 1, sizes - 1)
    frac = h - lo_i
    v_lo = vals[start_idx + lo_i] if len(start_idx) else np.array([])
    v_hi = vals[start_idx + hi_i] if len(start_idx) else np.array([])
    value = v_lo + frac * (v_hi - v_lo)
    out = head.copy()
    out["numerator"] = np.nan
    out["denominator"] = n
    out["value"] = value
    out["note"] = None
    if interval and q < 1:
        for z, lo_c, hi_c in ((Z95, "lower_95", "upper_95"), (Z998, "lower_998", "upper_998")):
            r_lo, r_hi = _ranks(n, q, z)
            out[lo_c] = np.where(r_lo > 0, vals[start_idx + np.maximum(r_lo, 1) - 1] if len(start_idx) else np.nan, np.nan)
            out[hi_c] = np.where(r_hi > 0, vals[start_idx + np.maximum(r_hi, 1) - 1] if len(start_idx) else np.nan, np.nan)
        bounded = np.zeros(len(out), dtype=bool)
        for c in CI_COLUMNS[:4]:
            bounded |= np.isfinite(out[c].to_numpy(dtype="float64"))
        out["ci_method"] = np.where(bounded, "order_statistic", "none")
    else:
        for c in CI_COLUMNS[:4]:
            out[c] = np.nan
        out["ci_method"] = "none"
    if grid is not None and len(grid):
        gk = grid[["authority_code", "period"]].drop_duplicates().copy()
        if "breakdown" in keys:
            gk["breakdown"] = "all"
        gk = gk[keys]
        have = gk.merge(out[keys], on=keys, how="left", indicator=True)["_merge"].eq("both").to_numpy()
        missing = gk[~have].copy()
        if len(missing):
            missing["numerator"] = np.nan
            missing["denominator"] = 0.0
            missing["value"] = np.nan
            missing["note"] = empty_note
            for c in CI_COLUMNS[:4]:
                missing[c] = np.nan
            missing["ci_method"] = "none"
            out = pd.concat([out, missing], ignore_index=True) if len(out) else missing.reset_index(drop=True)
    if "breakdown" not in out:
        out["breakdown"] = "all"
    return _finish(out, indicator_id)


def mean_rows(
    df: pd.DataFrame,
    value_column: str,
    indicator_id: str,
    *,
    keys: Sequence[str] = ("authority_code", "period", "breakdown"),
    multiplier: float = 1.0,
) -> pd.DataFrame:
    """Rows of a mean per group with a Student-t interval (sd on n − 1), ``ci_method =
    "student_t"``. ``numerator`` = sum, ``denominator`` = n. n = 1 gives the value without an
    interval; the note says so."""
    keys = list(keys)
    d = df[keys + [value_column]].dropna(subset=[value_column])
    g = d.groupby(keys, sort=True, observed=True)[value_column]
    a = g.agg(["sum", "count", "mean", "std"]).reset_index()
    n = a["count"].to_numpy(dtype="float64")
    se = a["std"].to_numpy(dtype="float64") / np.sqrt(n)
    out = a[keys].copy()
    out["numerator"] = a["sum"].to_numpy(dtype="float64")
    out["denominator"] = n
    out["value"] = a["mean"].to_numpy(dtype="float64") * multiplier
    with np.errstate(invalid="ignore"):
        for conf, lo_c, hi_c in ((0.95, "lower_95", "upper_95"), (0.998, "lower_998", "upper_998")):
            t = _sps.t.ppf(1 - (1 - conf) / 2, n - 1)
            out[lo_c] = (a["mean"].to_numpy() - t * se) * multiplier
            out[hi_c] = (a["mean"].to_numpy() + t * se) * multiplier
    out["ci_method"] = np.where(n > 1, "student_t", "none")
    out["note"] = np.where(n > 1, None, "one observation: no interval")
    if "breakdown" not in out:
        out["breakdown"] = "all"
    return _finish(out, indicator_id)


def concat_rows(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate family rows (CI columns kept where present, NaN elsewhere)."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return empty_rows()
    out = pd.concat(frames, ignore_index=True, sort=False)
    return out
