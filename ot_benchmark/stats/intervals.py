"""Confidence intervals for proportions, rates, counts, means and medians.

Two layers, in the style of PHEindicatormethods:

* vectorised numpy primitives (:func:`wilson`, :func:`poisson_exact`, :func:`byar`,
  :func:`poisson_ci`, :func:`student_t_mean_ci`, :func:`median_ci`, the order-statistic ranks
  :func:`median_ci_ranks` and :func:`quantile_ci_ranks`), taking arrays and returning arrays;
* data-frame functions (:func:`phe_proportion`, :func:`phe_rate`, :func:`phe_mean`,
  :func:`grouped_median_ci`, :func:`add_intervals`) taking a frame plus column names and
  returning the same rows with the value and its limits added.

Nothing is rounded. Rows whose inputs are missing or impossible get NaN limits and the
method ``"none"``; they never get a number that looks real.

The formulas and their references are written out for readers in ``docs/statistics.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.errors import ParameterError

__all__ = [
    "Z95",
    "Z998",
    "CONFIDENCE_LEVELS",
    "z_value",
    "wilson",
    "poisson_exact",
    "byar",
    "poisson_ci",
    "student_t_mean_ci",
    "median_ci",
    "median_ci_ranks",
    "quantile_ci_ranks",
    "grouped_median_ci",
    "phe_proportion",
    "phe_rate",
    "phe_mean",
    "add_intervals",
]

# The quantile functions, as scipy.stats computes them (the same scipy.special function
# scipy.stats calls for arguments inside the distribution's support), without importing
# scipy.stats (half a second) into every process that computes indicators. Arguments outside
# that support go to scipy.stats itself; tests/test_stats_intervals.py checks both agree.
try:
    from scipy.special._ufuncs import _binom_cdf, _binom_ppf  # what scipy.stats.binom calls
except ImportError:  # pragma: no cover - another scipy: scipy.stats is used
    _binom_cdf = _binom_ppf = None


def _scipy_stats():
    from scipy import stats  # noqa: PLC0415 - slow to import; only unusual arguments need it

    return stats


def _norm_ppf(q: float) -> float:
    """``scipy.stats.norm.ppf(q)``."""
    return float(special.ndtri(q)) if 0.0 < q < 1.0 else float(_scipy_stats().norm.ppf(q))


def _chi2_ppf(q: float, df) -> np.ndarray:
    """``scipy.stats.chi2.ppf(q, df)``."""
    df = np.asarray(df, dtype=float)
    if 0.0 < q < 1.0 and bool(np.all(df > 0)):
        return 2 * special.gammaincinv(df / 2, q)
    return _scipy_stats().chi2.ppf(q, df)


def _t_ppf(q: float, df) -> np.ndarray:
    """``scipy.stats.t.ppf(q, df)``."""
    df = np.asarray(df, dtype=float)
    if 0.0 < q < 1.0 and bool(np.all(df > 0)):
        return special.stdtrit(df, q)
    return _scipy_stats().t.ppf(q, df)


def _whole_counts(n: np.ndarray) -> bool:
    return _binom_ppf is not None and bool(np.all((n >= 0) & (n == np.floor(n))))


def _binom_quantile(q: float, n, p: float) -> np.ndarray:
    """``scipy.stats.binom.ppf(q, n, p)``."""
    n = np.asarray(n, dtype=float)
    if 0.0 < q < 1.0 and 0.0 <= p <= 1.0 and _whole_counts(n):
        return np.asarray(_binom_ppf(q, n, p), dtype=float)
    return _scipy_stats().binom.ppf(q, n, p)


def _binom_distribution(k, n, p: float) -> np.ndarray:
    """``scipy.stats.binom.cdf(k, n, p)``."""
    k, n = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(n, dtype=float))
    if 0.0 <= p <= 1.0 and _whole_counts(n) and bool(np.all(np.isfinite(k))):
        inside = (k >= 0) & (k < n)
        out = np.where(k >= n, 1.0, 0.0)
        out[inside] = np.clip(_binom_cdf(np.floor(k[inside]), n[inside], p), 0, 1)
        return out
    return _scipy_stats().binom.cdf(k, n, p)


#: Two-sided 95% normal quantile, Φ⁻¹(0.975).
Z95 = _norm_ppf(0.975)
#: Two-sided 99.8% normal quantile, Φ⁻¹(0.999).
Z998 = _norm_ppf(0.999)
#: The two confidence levels of the indicator table and their column suffixes.
CONFIDENCE_LEVELS = {0.95: "95", 0.998: "998"}


def _check_confidence(confidence: float) -> float:
    c = float(confidence)
    if not (0.0 < c < 1.0):
        raise ParameterError(
            f"confidence must be a proportion strictly between 0 and 1 (got {confidence!r}); "
            "use 0.95 or 0.998."
        )
    return c


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile Φ⁻¹((1 + confidence) / 2).

    >>> round(z_value(0.95), 6), round(z_value(0.998), 6)
    (1.959964, 3.090232)
    """
    return _norm_ppf(0.5 + _check_confidence(confidence) / 2.0)


def _arr(x) -> np.ndarray:
    return np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(x)), errors="coerce"), dtype=float)


def _group_codes(df: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, int]:
    """Integer group codes 0..G-1 for each row (groups in sorted key order) and G."""
    codes = df.groupby(by, sort=True, dropna=False).ngroup().to_numpy(dtype=np.int64)
    return codes, (int(codes.max()) + 1 if codes.size else 0)


# ---------------------------------------------------------------------------------------------
# Primitives
# ---------------------------------------------------------------------------------------------


def wilson(x, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion x / n (no continuity correction).

    Parameters
    ----------
    x, n : array_like
        Numerators (events) and denominators. Non-integer numerators are allowed.
    confidence : float
        Two-sided confidence level, e.g. 0.95 or 0.998.

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits as proportions (0–1). NaN where x or n is missing, n <= 0, x < 0 or x > n.

    Notes
    -----
    ``(2x + z² ∓ z·√(z² + 4x(1 − x/n))) / (2(n + z²))`` with z = Φ⁻¹((1 + confidence)/2).
    Wilson EB (1927) J Am Stat Assoc 22:209–212; Newcombe & Altman (2000), *Statistics with
    confidence*, pp 46–48.

    Examples
    --------
    >>> lo, hi = wilson(1, 100, 0.95)
    >>> round(float(lo[0]), 10), round(float(hi[0]), 10)
    (0.0017674321, 0.0544861962)
    """
    x, n = np.broadcast_arrays(_arr(x), _arr(n))
    z = z_value(confidence)
    ok = np.isfinite(x) & np.isfinite(n) & (n > 0) & (x >= 0) & (x <= n)
    xs = np.where(ok, x, 0.0)
    ns = np.where(ok, n, 1.0)
    root = z * np.sqrt(z**2 + 4.0 * xs * (1.0 - xs / ns))
    denom = 2.0 * (ns + z**2)
    lower = (2.0 * xs + z**2 - root) / denom
    upper = (2.0 * xs + z**2 + root) / denom
    return np.where(ok, lower, np.nan), np.where(ok, upper, np.nan)


def poisson_exact(x, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (chi-square) Poisson limits for an observed count x.

    Returns
    -------
    lower, upper : numpy.ndarray
        ``χ²⁻¹((1−c)/2; 2x)/2`` (0 when x = 0) and ``χ²⁻¹((1+c)/2; 2x+2)/2``.
        NaN where x is missing or negative.

    Notes
    -----
    Garwood F (1936) Biometrika 28:437–442. Exact for integer x; non-integer x is accepted
    (the chi-square quantiles interpolate smoothly).
    """
    x = _arr(x)
    c = _check_confidence(confidence)
    ok = np.isfinite(x) & (x >= 0)
    xs = np.where(ok, x, 1.0)
    with np.errstate(invalid="ignore"):
        lower = np.where(xs > 0, _chi2_ppf((1.0 - c) / 2.0, 2.0 * np.maximum(xs, 1e-300)) / 2.0, 0.0)
    upper = _chi2_ppf((1.0 + c) / 2.0, 2.0 * xs + 2.0) / 2.0
    return np.where(ok, lower, np.nan), np.where(ok, upper, np.nan)


def byar(x, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation to the Poisson limits of a count x.

    Returns
    -------
    lower, upper : numpy.ndarray
        ``x(1 − 1/(9x) − z/(3√x))³`` and ``(x+1)(1 − 1/(9(x+1)) + z/(3√(x+1)))³``.
        A negative (or undefined, x = 0) lower limit is returned as NaN, as in
        PHEindicatormethods; NaN where x is missing or negative.

    Notes
    -----
    Breslow NE, Day NE (1987) *Statistical methods in cancer research* vol II, IARC.
    """
    x = _arr(x)
    z = z_value(confidence)
    ok = np.isfinite(x) & (x >= 0)
    xs = np.where(ok, x, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = xs * (1.0 - 1.0 / (9.0 * xs) - z / (3.0 * np.sqrt(xs))) ** 3
    x1 = xs + 1.0
    upper = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    lower = np.where(ok & np.isfinite(lower) & (lower >= 0), lower, np.nan)
    return lower, np.where(ok, upper, np.nan)


def poisson_ci(x, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson limits for a count: exact when x < 10, Byar's otherwise (the PHE switch).

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits for the count (divide by the denominator and multiply for a rate).
    method : numpy.ndarray of str
        ``"poisson_exact"``, ``"byar"`` or ``"none"`` (x missing or negative).
    """
    x = _arr(x)
    lower, upper = byar(x, confidence)
    ok = np.isfinite(x) & (x >= 0)
    small = ok & (x < 10)
    if small.any():  # the exact limits of each distinct small count, computed once
        u, inv = np.unique(x[small], return_inverse=True)
        el, eu = poisson_exact(u, confidence)
        lower[small], upper[small] = el[inv], eu[inv]
    method = np.where(small, "poisson_exact", np.where(ok, "byar", "none")).astype(object)
    return lower, upper, method


def student_t_mean_ci(mean, sd, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval for a mean: mean ± t(1 − α/2; n − 1) · sd / √n.

    ``sd`` is the sample standard deviation (divisor n − 1). NaN where n < 2 or an input is
    missing.
    """
    mean, sd, n = np.broadcast_arrays(_arr(mean), _arr(sd), _arr(n))
    c = _check_confidence(confidence)
    ok = np.isfinite(mean) & np.isfinite(sd) & np.isfinite(n) & (n >= 2) & (sd >= 0)
    ns = np.where(ok, n, 2.0)
    half = _t_ppf(0.5 + c / 2.0, ns - 1.0) * np.where(ok, sd, 0.0) / np.sqrt(ns)
    return np.where(ok, mean - half, np.nan), np.where(ok, mean + half, np.nan)


def median_ci_ranks(n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks (l, u) of the order statistics bounding a median's confidence interval.

    ``k`` is the largest integer with P(B ≤ k) ≤ (1 − c)/2 for B ~ Binomial(n, ½); the interval
    is [X₍ₖ₊₁₎, X₍ₙ₋ₖ₎], whose coverage 1 − 2·P(B ≤ k) is at least ``c`` (conservative and
    exact: no normal approximation). Where no such k exists (n too small for
    the level: n < 6 at 95%, n < 10 at 99.8%) both ranks are -1.

    Examples
    --------
    n = 10 at 95%: P(B ≤ 1) = 11/1024 = 0.0107 ≤ 0.025 < P(B ≤ 2) = 56/1024, so k = 1 and the
    interval is [X₍₂₎, X₍₉₎].

    >>> median_ci_ranks(10, 0.95)
    (array([2]), array([9]))
    """
    n = np.atleast_1d(np.asarray(n, dtype=float))
    c = _check_confidence(confidence)
    a = (1.0 - c) / 2.0
    k = _binom_quantile(a, n, 0.5)  # smallest k with F(k) >= a
    k = np.where(_binom_distribution(k, n, 0.5) <= a, k, k - 1)
    k = np.where(np.isfinite(k) & (n >= 1), k, -1)
    ok = k >= 0
    lo = np.where(ok, k + 1, -1).astype(int)
    hi = np.where(ok, n - k, -1).astype(int)
    return lo, hi


def quantile_ci_ranks(n, q: float, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks (lower, upper) of the order statistics bounding the distribution-free
    confidence interval of the ``q`` quantile of ``n`` values.

    For the median (``q = 0.5``) the ranks of :func:`median_ci_ranks` (one convention across
    the package). Otherwise ``lower = B⁻¹(α/2)`` and ``upper = B⁻¹(1 − α/2) + 1`` with
    B ~ Binomial(n, q) and α = 1 − confidence. A bound that would need a rank outside 1..n is
    returned as 0 (no bound on that side).

    Examples
    --------
    >>> quantile_ci_ranks([10], 0.5, 0.95)
    (array([2]), array([9]))
    """
    n = np.asarray(n, dtype="float64")
    if q == 0.5:
        lo, hi = median_ci_ranks(n, confidence)
        return np.where(lo > 0, lo, 0), np.where(hi > 0, hi, 0)
    alpha = 1.0 - _check_confidence(confidence)
    with np.errstate(invalid="ignore"):
        lo = _binom_quantile(alpha / 2, n, q)
        hi = _binom_quantile(1 - alpha / 2, n, q) + 1
    lo = np.where((lo >= 1) & (lo <= n), lo, 0)
    hi = np.where((hi >= 1) & (hi <= n), hi, 0)
    return lo.astype("int64"), hi.astype("int64")


def median_ci(values, confidence: float = 0.95) -> dict:
    """Median of observed values with a distribution-free (binomial order statistic) CI.

    Returns
    -------
    dict
        ``median, lower, upper, n``. Missing values are dropped; limits are NaN when n is too
        small for the level (see :func:`median_ci_ranks`).
    """
    v = _arr(values)
    v = np.sort(v[np.isfinite(v)])
    n = v.size
    if n == 0:
        return {"median": np.nan, "lower": np.nan, "upper": np.nan, "n": 0}
    lo, hi = median_ci_ranks(n, confidence)
    med = 0.5 * (v[(n - 1) // 2] + v[n // 2])
    lower = v[lo[0] - 1] if lo[0] > 0 else np.nan
    upper = v[hi[0] - 1] if hi[0] > 0 else np.nan
    return {"median": float(med), "lower": float(lower), "upper": float(upper), "n": int(n)}


def grouped_median_ci(
    df: pd.DataFrame,
    value_col: str,
    by: str | Sequence[str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Median and order-statistic CI for many groups at once (vectorised).

    Sorts once by group and value and indexes each group's order statistics through its
    offset, so ~10k groups of ~1.6M values take well under a second.

    Parameters
    ----------
    df : DataFrame
    value_col : str
        Column of values (e.g. waits in days). Missing values are dropped.
    by : str or list of str
        Grouping columns.
    confidence : float

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, ``median``, ``lower``, ``upper``, ``n``,
        ``confidence``, ``ci_method`` (``"order_statistic"``, or ``"none"`` when n is too small
        for an interval, in which case the limits are NaN).
    """
    by = [by] if isinstance(by, str) else list(by)
    _check_confidence(confidence)
    d = df[by + [value_col]].copy()
    d[value_col] = pd.to_numeric(d[value_col], errors="coerce")
    d = d[np.isfinite(d[value_col].to_numpy(dtype=float))]
    if d.empty:
        out = pd.DataFrame(columns=by + ["median", "lower", "upper", "n", "confidence", "ci_method"])
        return out
    codes, n_groups = _group_codes(d, by)
    vals = d[value_col].to_numpy(dtype=float)
    order = np.lexsort((vals, codes))
    v = vals[order]
    g = codes[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    present = counts > 0
    starts, counts = starts[present], counts[present]
    med = 0.5 * (v[starts + (counts - 1) // 2] + v[starts + counts // 2])
    lo, hi = median_ci_ranks(counts, confidence)
    ok = lo > 0
    lower = np.where(ok, v[starts + np.where(ok, lo - 1, 0)], np.nan)
    upper = np.where(ok, v[starts + np.where(ok, hi - 1, 0)], np.nan)
    out = d[by].iloc[order[starts]].reset_index(drop=True)  # any row of a group gives its keys
    out["median"] = med
    out["lower"] = lower
    out["upper"] = upper
    out["n"] = counts.astype(int)
    out["confidence"] = float(confidence)
    out["ci_method"] = np.where(ok, "order_statistic", "none")
    return out


# ---------------------------------------------------------------------------------------------
# PHEindicatormethods-style data-frame functions
# ---------------------------------------------------------------------------------------------


def _need_columns(df: pd.DataFrame, cols: Sequence[str], where: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(
            f"{where}: column(s) {missing} not in the data frame; available columns are "
            f"{list(df.columns)}. Pass the names of your numerator/denominator columns."
        )


def phe_proportion(
    df: pd.DataFrame, x: str, n: str, multiplier: float = 100, confidence: float = 0.95
) -> pd.DataFrame:
    """Proportions with Wilson score limits (PHEindicatormethods ``phe_proportion``).

    Returns
    -------
    DataFrame
        The same rows plus ``value`` (x / n × multiplier), ``lowercl``, ``uppercl``,
        ``confidence``, ``statistic`` (``"proportion of <multiplier>"``) and ``method``
        (``"wilson"``, or ``"none"`` where inputs are missing or impossible and everything is NaN).
    """
    _need_columns(df, [x, n], "phe_proportion")
    out = df.copy()
    xv, nv = _arr(out[x]), _arr(out[n])
    lo, hi = wilson(xv, nv, confidence)
    ok = np.isfinite(lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["value"] = np.where(ok, xv / nv * multiplier, np.nan)
    out["lowercl"] = lo * multiplier
    out["uppercl"] = hi * multiplier
    out["confidence"] = float(confidence)
    out["statistic"] = f"proportion of {multiplier:g}"
    out["method"] = np.where(ok, "wilson", "none")
    return out


def phe_rate(
    df: pd.DataFrame, x: str, n: str, multiplier: float = 100000, confidence: float = 0.95
) -> pd.DataFrame:
    """Crude rates with exact Poisson (x < 10) or Byar's (x ≥ 10) limits (PHE ``phe_rate``).

    A numerator larger than the denominator is allowed (it is a rate, not a proportion).

    Returns
    -------
    DataFrame
        The same rows plus ``value``, ``lowercl``, ``uppercl``, ``confidence``, ``statistic``
        (``"rate per <multiplier>"``) and ``method`` (``"poisson_exact"``, ``"byar"`` — chosen
        from the numerator alone, as PHE does — or ``"none"`` when the numerator is missing or
        negative). Limits are NaN when the denominator is missing or not positive.
    """
    _need_columns(df, [x, n], "phe_rate")
    out = df.copy()
    xv, nv = _arr(out[x]), _arr(out[n])
    lo, hi, method = poisson_ci(xv, confidence)
    ok = np.isfinite(xv) & (xv >= 0) & np.isfinite(nv) & (nv > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["value"] = np.where(ok, xv / nv * multiplier, np.nan)
        out["lowercl"] = np.where(ok, lo / nv * multiplier, np.nan)
        out["uppercl"] = np.where(ok, hi / nv * multiplier, np.nan)
    out["confidence"] = float(confidence)
    out["statistic"] = f"rate per {multiplier:g}"
    out["method"] = method
    return out


def phe_mean(
    df: pd.DataFrame, value: str, by: str | Sequence[str] | None = None, confidence: float = 0.95
) -> pd.DataFrame:
    """Means with Student-t limits, one row per group (PHE ``phe_mean``).

    Returns
    -------
    DataFrame
        The ``by`` columns (if any) plus ``value_sum``, ``value_count``, ``stdev`` (n − 1),
        ``value`` (the mean), ``lowercl``, ``uppercl``, ``confidence``, ``statistic``
        (``"mean"``) and ``method`` (``"student_t"``, or ``"none"`` when n < 2).
    """
    _need_columns(df, [value], "phe_mean")
    d = df.copy()
    d[value] = pd.to_numeric(d[value], errors="coerce")
    if by is None:
        agg = pd.DataFrame(
            {
                "value_sum": [d[value].sum()],
                "value_count": [int(d[value].count())],
                "stdev": [d[value].std(ddof=1)],
            }
        )
    else:
        by = [by] if isinstance(by, str) else list(by)
        _need_columns(df, by, "phe_mean")
        g = d.groupby(by, sort=True, dropna=False)[value]
        agg = pd.DataFrame(
            {"value_sum": g.sum(), "value_count": g.count(), "stdev": g.std(ddof=1)}
        ).reset_index()
    agg["value"] = agg["value_sum"] / agg["value_count"].where(agg["value_count"] > 0)
    lo, hi = student_t_mean_ci(agg["value"], agg["stdev"], agg["value_count"], confidence)
    agg["lowercl"] = lo
    agg["uppercl"] = hi
    agg["confidence"] = float(confidence)
    agg["statistic"] = "mean"
    agg["method"] = np.where(np.isfinite(lo), "student_t", "none")
    return agg


# ---------------------------------------------------------------------------------------------
# The indicator table
# ---------------------------------------------------------------------------------------------

_LIMIT_COLUMNS = ["lower_95", "upper_95", "lower_998", "upper_998"]
_FILLED_METHODS = {"proportion", "rate", "count", "ratio"}


def add_intervals(table: pd.DataFrame, catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fill the 95% and 99.8% limits and ``ci_method`` of a tidy indicator table.

    Parameters
    ----------
    table : DataFrame
        The indicator table (``docs/ARCHITECTURE.md``): at least ``indicator_id``,
        ``numerator``, ``denominator``. ``value`` is not used (limits come from the counts).
    catalogue : DataFrame, optional
        Columns ``indicator_id``, ``method``, ``multiplier``. Defaults to
        ``ot_benchmark.catalogue.load_catalogue()``.

    Returns
    -------
    DataFrame
        A copy of ``table`` (same rows, same order) with ``lower_95``, ``upper_95``,
        ``lower_998``, ``upper_998`` and ``ci_method`` filled according to the catalogue method:

        * ``proportion`` — Wilson score on numerator / denominator, × multiplier
          (``ci_method`` ``"wilson"``);
        * ``rate`` and ``ratio`` — Poisson limits of the numerator (exact when it is < 10,
          Byar's otherwise), ÷ denominator × multiplier (``"poisson_exact"`` / ``"byar"``).
          A ratio is treated as a rate of numerator events over the denominator: the
          denominator is taken as fixed, so the interval reflects only the Poisson noise of
          the numerator;
        * ``count`` — as a rate with the denominator taken as 1 when it is missing;
        * ``mean`` and ``median`` — left exactly as they are (the engine computes those from
          case-level data), as are rows whose indicator is not in the catalogue.

        Rows handled here whose inputs are missing or impossible (numerator or denominator
        missing, denominator ≤ 0, negative numerator, numerator > denominator for a
        proportion) get NaN limits and ``ci_method`` ``"none"``.
    """
    _need_columns(table, ["indicator_id", "numerator", "denominator"], "add_intervals")
    if catalogue is None:
        catalogue = load_catalogue()
    _need_columns(catalogue, ["indicator_id", "method", "multiplier"], "add_intervals catalogue")
    cat = catalogue[["indicator_id", "method", "multiplier"]].drop_duplicates("indicator_id")
    meth_map = dict(zip(cat["indicator_id"].astype(str), cat["method"].astype(str).str.strip().str.lower()))
    mult_map = dict(zip(cat["indicator_id"].astype(str), pd.to_numeric(cat["multiplier"], errors="coerce")))

    out = table.copy()
    for col in _LIMIT_COLUMNS:
        if col not in out.columns:
            out[col] = np.nan
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    if "ci_method" not in out.columns:
        out["ci_method"] = "none"
    out["ci_method"] = out["ci_method"].astype(object)

    # each row's catalogue entry by one hash look-up (-1, not in the catalogue, takes the last)
    pos = pd.Index(list(meth_map)).get_indexer(out["indicator_id"].astype(str))
    method = np.array(list(meth_map.values()) + [None], dtype=object)[pos]
    mult = np.array(list(mult_map.values()) + [np.nan], dtype=float)[pos]
    mult = np.where(np.isfinite(mult), mult, 1.0)
    num = _arr(out["numerator"])
    den = _arr(out["denominator"])

    is_prop = method == "proportion"
    is_count = method == "count"
    is_rate = (method == "rate") | (method == "ratio") | is_count
    handled = is_prop | is_rate
    den = np.where(is_count & ~np.isfinite(den), 1.0, den)

    valid = np.isfinite(num) & np.isfinite(den) & (num >= 0) & (den > 0)
    valid &= ~(is_prop & (num > den))

    ci_method = out["ci_method"].to_numpy(dtype=object).copy()
    for conf, suffix in CONFIDENCE_LEVELS.items():
        wl, wu = wilson(num, den, conf)
        pl, pu, pm = poisson_ci(num, conf)
        with np.errstate(divide="ignore", invalid="ignore"):
            lower = np.where(is_prop, wl, pl / den) * mult
            upper = np.where(is_prop, wu, pu / den) * mult
        lower = np.where(valid, lower, np.nan)
        upper = np.where(valid, upper, np.nan)
        lo_col, hi_col = f"lower_{suffix}", f"upper_{suffix}"
        out[lo_col] = np.where(handled, lower, out[lo_col].to_numpy(dtype=float))
        out[hi_col] = np.where(handled, upper, out[hi_col].to_numpy(dtype=float))
        if suffix == "95":
            new = np.where(is_prop, "wilson", pm)
            new = np.where(valid, new, "none")
            ci_method = np.where(handled, new, ci_method)
    out["ci_method"] = pd.array(ci_method, dtype="str") if len(out) else out["ci_method"]
    return out
