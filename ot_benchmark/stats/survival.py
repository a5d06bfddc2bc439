"""Kaplan–Meier median waits for censored data, with log-log (Brookmeyer–Crowley) limits.

People still waiting at the snapshot are right-censored: we know they have waited at least
this long. The median wait is read off the Kaplan–Meier survival curve ("still waiting"
curve) as R's ``quantile(survfit(..., conf.type = "log-log"))`` does:

* median = the first time the survival falls to 0.5 or below; where the curve sits exactly at
  0.5 over an interval, the midpoint of that interval (if the curve ends at exactly 0.5, the
  midpoint of the time it got there and the last follow-up time);
* lower / upper limit = the same rule applied to the lower / upper pointwise log-log
  confidence band of the survival (Greenwood variance), which is the Brookmeyer–Crowley test
  inversion used by R;
* "not reached" (NaN, ``reached = False``) when the curve (or band) never falls to 0.5.

:func:`km_median` uses ``scipy.stats.ecdf`` with ``CensoredData`` (the reference
implementation); :func:`km_median_by` is a vectorised Kaplan–Meier over many groups sorted
once, tested to agree with :func:`km_median`; :func:`km_curve` gives the curve for plotting.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ot_benchmark.errors import ParameterError
from ot_benchmark.stats.intervals import _group_codes, z_value

__all__ = ["km_median", "km_median_by", "km_median_groups", "km_curve"]

#: Tolerance for "survival exactly 0.5" (R survival uses sqrt(.Machine$double.eps)).
TOL = float(np.sqrt(np.finfo(float).eps))


def _clean(durations, observed) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(durations)), errors="coerce"), dtype=float)
    e = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(observed)), errors="coerce"), dtype=float)
    if t.shape != e.shape:
        raise ParameterError("durations and observed must have the same length.")
    keep = np.isfinite(t) & np.isfinite(e)
    t, e = t[keep], e[keep]
    if np.any(t < 0):
        raise ParameterError("Kaplan–Meier: durations must be >= 0 (a negative wait is impossible); "
                             "check the referral and assessment dates.")
    if np.any((e != 0) & (e != 1)):
        raise ParameterError("Kaplan–Meier: observed must be 1 (the wait ended) or 0 (still waiting).")
    return t, e


def _loglog_band(surv: np.ndarray, greenwood: np.ndarray, confidence: float):
    """Pointwise log-log band: S^exp(±z·se/(−log S)), se² = Σ d/(n(n−d)).

    1 where S = 1; NaN where S = 0 (undefined, as in R and scipy).
    """
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.sqrt(greenwood) / (-np.log(surv))
        lower = surv ** np.exp(z * inner)
        upper = surv ** np.exp(-z * inner)
    one = surv >= 1.0
    zero = surv <= 0.0
    lower = np.where(one, 1.0, np.where(zero, np.nan, lower))
    upper = np.where(one, 1.0, np.where(zero, np.nan, upper))
    return lower, upper


def _first_per_group(group: np.ndarray, mask: np.ndarray, values: np.ndarray, n_groups: int):
    """Value at the first row of each group where mask is true (rows sorted by group)."""
    out = np.full(n_groups, np.nan)
    pos = np.flatnonzero(mask)
    if pos.size:
        g, first = np.unique(group[pos], return_index=True)
        out[g] = values[pos[first]]
    return out


def _quantile_half(group, time, curve, tmax, n_groups):
    """R survival's quantile rule at p = 0.5 for many curves at once.

    ``curve`` holds the survival (or a band) at each distinct time of each group, rows sorted
    by group then time; NaN values (undefined band) are ignored.
    """
    finite = np.isfinite(curve)
    t1 = _first_per_group(group, finite & (curve <= 0.5 + TOL), time, n_groups)
    t2 = _first_per_group(group, finite & (curve <= 0.5 - TOL), time, n_groups)
    last_rows = np.r_[group[1:] != group[:-1], True] if group.size else np.zeros(0, bool)
    last_val = np.full(n_groups, np.nan)
    last_val[group[last_rows]] = curve[last_rows]
    at_end = np.isfinite(last_val) & (np.abs(last_val - 0.5) < TOL)
    q = np.where(np.isfinite(t2), (t1 + t2) / 2.0, np.nan)
    q = np.where(~np.isfinite(t2) & np.isfinite(t1) & at_end, (t1 + tmax) / 2.0, q)
    return q


def _sorted_blocks(codes: np.ndarray, t: np.ndarray, e: np.ndarray):
    """(group, time, event) of every row, sorted by group then time: one int64 key sorted
    when the times are whole, non-negative and below 2**24 (days), else a ``lexsort``."""
    if t.size and t.min() >= 0 and t.max() < 2**24 and bool(np.all(t == np.floor(t))) and codes.min() >= 0 \
            and codes.max() < 2**38:
        key = (codes.astype(np.int64) << 25) | (t.astype(np.int64) << 1) | (e != 0).astype(np.int64)
        key.sort()
        return key >> 25, ((key >> 1) & (2**24 - 1)).astype(float), (key & 1).astype(float)
    order = np.lexsort((t, codes))
    return codes[order], t[order], e[order]


def _km_grouped(codes: np.ndarray, t: np.ndarray, e: np.ndarray, confidence: float | Sequence[float]) -> dict:
    """Vectorised Kaplan–Meier over groups: one row per group × distinct time. ``lower`` and
    ``upper`` are the band at the (first) confidence; ``bands`` maps each confidence to its
    (lower, upper): the curve is computed once for all of them."""
    confidences = [confidence] if np.ndim(confidence) == 0 else list(confidence)
    g, ts, es = _sorted_blocks(codes, t, e)
    new = np.r_[True, (g[1:] != g[:-1]) | (ts[1:] != ts[:-1])] if g.size else np.zeros(0, bool)
    block = np.cumsum(new) - 1
    d = np.bincount(block, weights=es)
    cnt = np.bincount(block).astype(float)
    gb, tb = g[new], ts[new]
    n_groups = int(codes.max()) + 1 if codes.size else 0
    size = np.bincount(codes, minlength=n_groups).astype(float)
    cum_before = np.cumsum(cnt) - cnt
    gstart = np.r_[True, gb[1:] != gb[:-1]] if gb.size else np.zeros(0, bool)
    start_idx = np.maximum.accumulate(np.where(gstart, np.arange(gb.size), 0)) if gb.size else np.zeros(0, int)
    n_risk = size[gb] - (cum_before - cum_before[start_idx])
    factor = 1.0 - d / n_risk
    surv = pd.Series(factor).groupby(gb).cumprod().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        gw_term = np.where(d > 0, d / (n_risk * (n_risk - d)), 0.0)
    greenwood = pd.Series(gw_term).groupby(gb).cumsum().to_numpy()
    bands = {c: _loglog_band(surv, greenwood, c) for c in confidences}
    tmax = np.full(n_groups, np.nan)
    if gb.size:
        last = np.r_[gb[1:] != gb[:-1], True]
        tmax[gb[last]] = tb[last]  # times ascend within a group
    return {
        "group": gb, "time": tb, "n_risk": n_risk,
        "n_event": d, "n_censor": cnt - d, "survival": surv, "lower": bands[confidences[0]][0],
        "upper": bands[confidences[0]][1], "bands": bands, "n_groups": n_groups,
        "size": size, "events": np.bincount(codes, weights=e, minlength=n_groups), "tmax": tmax,
    }


def _medians(km: dict, confidence: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    args = (km["group"], km["time"])
    n = km["n_groups"]
    lower, upper = (km["lower"], km["upper"]) if confidence is None else km["bands"][confidence]
    med = _quantile_half(*args, km["survival"], km["tmax"], n)
    lo = _quantile_half(*args, lower, km["tmax"], n)
    hi = _quantile_half(*args, upper, km["tmax"], n)
    return med, lo, hi


def km_median_groups(codes, durations, observed, confidences: Sequence[float] = (0.95,)) -> dict:
    """Kaplan–Meier medians of many integer-coded groups, each curve computed once for every
    confidence level (vectorised, as :func:`km_median_by`).

    Parameters
    ----------
    codes : int array
        Group of each wait (>= 0; need not be contiguous).
    durations, observed : array_like
        As for :func:`km_median`; rows where either is missing are left out.
    confidences : sequence of float

    Returns
    -------
    dict
        Arrays indexed by group code (0 .. max code): ``n``, ``events``, ``median`` (NaN when
        not reached or the group is empty), and ``lower`` / ``upper``: dicts mapping each
        confidence to its limits.
    """
    codes = np.asarray(codes, dtype=np.int64)
    t_all = np.asarray(durations, dtype=float)
    e_all = np.asarray(observed, dtype=float)
    keep = np.isfinite(t_all) & np.isfinite(e_all)
    n_groups = int(codes.max()) + 1 if codes.size else 0
    out = {"n": np.bincount(codes[keep], minlength=n_groups).astype(int),
           "events": np.bincount(codes[keep], weights=e_all[keep], minlength=n_groups).astype(int),
           "median": np.full(n_groups, np.nan), "lower": {c: np.full(n_groups, np.nan) for c in confidences},
           "upper": {c: np.full(n_groups, np.nan) for c in confidences}}
    # groups are independent: a few hundred thousand waits at a time keep the temporaries small
    bounds = np.searchsorted(np.cumsum(out["n"]), np.arange(_CHUNK_ROWS, int(keep.sum()), _CHUNK_ROWS), side="left")
    for lo, hi in zip(np.r_[0, bounds + 1], np.r_[bounds + 1, n_groups]):
        rows = keep & (codes >= lo) & (codes < hi)
        if not rows.any():
            continue
        t, e = _clean(t_all[rows], e_all[rows])
        km = _km_grouped(codes[rows] - lo, t, e, confidences)
        for c in confidences:
            med, lower, upper = _medians(km, c)
            k = len(med)
            out["median"][lo:lo + k], out["lower"][c][lo:lo + k], out["upper"][c][lo:lo + k] = med, lower, upper
    return out


#: waits per piece in :func:`km_median_groups`
_CHUNK_ROWS = 500_000


def km_median(durations, observed, confidence: float = 0.95) -> dict:
    """Kaplan–Meier median wait with its log-log confidence interval (scipy reference).

    Parameters
    ----------
    durations : array_like
        Waits (e.g. days from referral to assessment, or to the snapshot for people still
        waiting). Missing values are dropped; negative values raise ``ParameterError``.
    observed : array_like
        1 if the wait ended (an event), 0 if still waiting (right-censored).
    confidence : float

    Returns
    -------
    dict
        ``median``, ``lower``, ``upper`` (NaN when not reached), ``n``, ``events``, ``reached``
        (the survival fell to 0.5), ``confidence``, ``ci_method`` (``"km_loglog"``).

    Examples
    --------
    Six waits, the 4th censored: S = 5/6, 4/6, 3/6 (exactly 0.5 from t = 3), still 3/6 after
    the censoring at 4, then 3/6 · 1/2 = 1/4 at t = 5. Median = midpoint of the flat at 0.5,
    (3 + 5)/2 = 4.

    >>> km_median([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 1])["median"]
    4.0
    """
    t, e = _clean(durations, observed)
    out = {"median": np.nan, "lower": np.nan, "upper": np.nan, "n": int(t.size),
           "events": int(e.sum()), "reached": False, "confidence": float(confidence),
           "ci_method": "km_loglog"}
    if t.size == 0 or e.sum() == 0:
        return out
    from scipy import stats  # noqa: PLC0415 - slow to import; the grouped median (the engine's) does not need it

    sample = stats.CensoredData(uncensored=t[e == 1], right=t[e == 0])
    res = stats.ecdf(sample)
    times = np.asarray(res.sf.quantiles, dtype=float)
    surv = np.asarray(res.sf.probabilities, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = res.sf.confidence_interval(confidence, method="log-log")
    lower = np.asarray(ci.low.probabilities, dtype=float)
    upper = np.asarray(ci.high.probabilities, dtype=float)
    lower = np.where(surv >= 1, 1.0, lower)
    upper = np.where(surv >= 1, 1.0, upper)
    grp = np.zeros(times.size, dtype=int)
    tmax = np.array([t.max()])
    out["median"] = float(_quantile_half(grp, times, surv, tmax, 1)[0])
    out["lower"] = float(_quantile_half(grp, times, lower, tmax, 1)[0])
    out["upper"] = float(_quantile_half(grp, times, upper, tmax, 1)[0])
    out["reached"] = bool(np.isfinite(out["median"]))
    return out


def km_median_by(
    df: pd.DataFrame,
    by: str | Sequence[str],
    duration: str,
    observed: str,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Kaplan–Meier medians for many groups at once (vectorised; ~10k groups in about a second).

    Parameters
    ----------
    df : DataFrame
        One row per wait.
    by : str or list of str
        Grouping columns (e.g. ``["authority_code", "period", "priority"]``).
    duration, observed : str
        Columns of waits and event flags (1 ended, 0 still waiting).
    confidence : float

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, ``median``, ``lower``, ``upper``, ``n``,
        ``events``, ``reached``, ``confidence``, ``ci_method`` (``"km_loglog"``).
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by + [duration, observed] if c not in df.columns]
    if missing:
        raise ParameterError(f"km_median_by: column(s) {missing} not in the data frame.")
    t_all = pd.to_numeric(df[duration], errors="coerce").to_numpy(dtype=float)
    e_all = pd.to_numeric(df[observed], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(t_all) & np.isfinite(e_all)
    sub = df.loc[keep, by]
    t, e = _clean(t_all[keep], e_all[keep])
    cols = by + ["median", "lower", "upper", "n", "events", "reached", "confidence", "ci_method"]
    if sub.empty:
        return pd.DataFrame(columns=cols)
    codes, n_groups = _group_codes(sub, by)
    km = _km_grouped(codes, t, e, confidence)
    med, lo, hi = _medians(km)
    _, first_row = np.unique(codes, return_index=True)  # a row of each group (codes are 0..G-1)
    out = sub.iloc[first_row].reset_index(drop=True)
    out["median"] = med
    out["lower"] = lo
    out["upper"] = hi
    out["n"] = km["size"].astype(int)
    out["events"] = km["events"].astype(int)
    out["reached"] = np.isfinite(med)
    out["confidence"] = float(confidence)
    out["ci_method"] = "km_loglog"
    return out


def km_curve(durations, observed, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier "still waiting" curve for plotting.

    Returns
    -------
    DataFrame
        ``time`` (0, then each distinct wait), ``n_risk``, ``n_event``, ``n_censor``,
        ``survival`` (proportion still waiting just after ``time``), ``lower``, ``upper``
        (pointwise log-log band; NaN where survival is 0). Draw as a step function
        (``where="post"``).
    """
    t, e = _clean(durations, observed)
    cols = ["time", "n_risk", "n_event", "n_censor", "survival", "lower", "upper"]
    head = pd.DataFrame([{"time": 0.0, "n_risk": float(t.size), "n_event": 0.0, "n_censor": 0.0,
                          "survival": 1.0, "lower": 1.0, "upper": 1.0}])
    if t.size == 0:
        return head[cols]
    km = _km_grouped(np.zeros(t.size, dtype=np.int64), t, e, confidence)
    body = pd.DataFrame({c: km[c] for c in cols})
    if body["time"].iloc[0] == 0:
        return body.reset_index(drop=True)
    return pd.concat([head, body], ignore_index=True)[cols]
