"""Funnel plots: control limits, significance labels and over-dispersion.

Three kinds of indicator:

* ``proportion`` — numerator of denominator; limits p̄ ± z·√(p̄(1 − p̄)/n) clamped to
  [0, 1] × multiplier (algebraically PHE's "sigma adjustment"; the two agree to ~1e-13);
* ``rate`` — events over a population; exact Poisson limits of the expected count p̄·n;
* ``ratio`` — observed over expected events (a standardised ratio, target 1); exact Poisson
  limits of the expected count (FunnelPlotR).

Significance labels follow PHEindicatormethods: ``High (0.001)``, ``High (0.025)``,
``Low (0.001)``, ``Low (0.025)``, ``Not significant``. For rates and ratios a point is
labelled from its own confidence interval (exact when the count < 10, Byar's otherwise)
compared with the average (PHE's method), so a point lying exactly on a plotted limit can fall
either side. The Spiegelhalter (2005) over-dispersion adjustment is offered beside the plain
limits, and φ is always reported.

Plot-facing functions (:func:`funnel_points`, :func:`funnel_limits_curve`) return plain
DataFrames whose columns are documented in their docstrings. The benchmark table's flags come
from :func:`funnel_flag` (each council against its group's pooled average) and
:func:`funnel_overdispersion` (φ, τ² and the adjusted flag per comparator group).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.errors import ParameterError
from ot_benchmark.stats.intervals import CONFIDENCE_LEVELS, _arr, poisson_ci, z_value

__all__ = [
    "SIGNIFICANCE_LABELS",
    "proportion_funnel_limits",
    "poisson_expected_limits",
    "ratio_funnel_limits",
    "rate_funnel_limits",
    "sr_poisson_limits",
    "funnel_significance",
    "overdispersion",
    "funnel_points",
    "funnel_limits_curve",
    "funnel_flag",
    "funnel_overdispersion",
    "MIN_COUNCILS_FOR_PHI",
]

SIGNIFICANCE_LABELS = ("High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)", "Not significant")
DSR_SMALL_LABEL = "Not applicable for events less than 10 for dsrs"
_KINDS = ("proportion", "rate", "ratio")


def _check_kind(kind: str) -> str:
    if kind not in _KINDS:
        raise ParameterError(f"kind must be one of {_KINDS} (got {kind!r}).")
    return kind


# ---------------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------------


def proportion_funnel_limits(n, average: float, confidence: float, multiplier: float = 100):
    """Proportion funnel limits at denominators ``n`` around ``average`` (a proportion 0–1).

    Returns
    -------
    lower, upper : numpy.ndarray
        ``(p̄ ∓ z·√(p̄(1 − p̄)/n)) × multiplier`` clamped to [0, multiplier].
    """
    n = _arr(n)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(average * (1.0 - average) / n)
    lower = np.clip(average - half, 0.0, 1.0) * multiplier
    upper = np.clip(average + half, 0.0, 1.0) * multiplier
    bad = ~(np.isfinite(n) & (n > 0))
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def poisson_expected_limits(expected, confidence: float):
    """Exact Poisson limits for a count whose expectation is ``expected``.

    ``χ²⁻¹((1−c)/2; 2E)/2`` and ``χ²⁻¹((1+c)/2; 2E+2)/2`` (the continuous form used by
    FunnelPlotR). Divide by E for standardised-ratio limits.
    """
    from scipy import stats  # noqa: PLC0415 - slow to import; a report's runner imports this module, never calls it

    e = _arr(expected)
    c = float(confidence)
    with np.errstate(invalid="ignore"):
        lower = np.where(e > 0, stats.chi2.ppf((1 - c) / 2, 2 * np.where(e > 0, e, 1.0)) / 2, 0.0)
    upper = stats.chi2.ppf((1 + c) / 2, 2 * e + 2) / 2
    bad = ~(np.isfinite(e) & (e >= 0))
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def sr_poisson_limits(expected, confidence: float, target: float = 1.0):
    """FunnelPlotR's unadjusted Poisson limits for a standardised ratio at expected count E.

    Returns
    -------
    lower, upper : numpy.ndarray
        ``target · χ²⁻¹(α/2; 2E)/(2E)`` and ``target · χ²⁻¹(1 − α/2; 2E + 2)/(2E)``.
    """
    e = _arr(expected)
    lo, hi = poisson_expected_limits(e, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        return target * lo / e, target * hi / e


def _obs_expected_events(obs, confidence):
    """Expected counts at which ``obs`` sits exactly on the (lower, upper) funnel limit.

    ``e_for_lower`` is the E with P(X ≤ O | E) = (1 − c)/2 (so O/E is the lower limit) and
    ``e_for_upper`` the E with P(X ≥ O | E) = (1 − c)/2. These are the roots PHE finds by
    bisection (to 1e-7); here they are the closed-form chi-square quantiles.
    """
    from scipy import stats  # noqa: PLC0415 - slow to import (see poisson_expected_limits)

    o = _arr(obs)
    c = float(confidence)
    e_lower = stats.chi2.ppf((1 + c) / 2, 2 * o + 2) / 2
    with np.errstate(invalid="ignore"):
        e_upper = np.where(o > 0, stats.chi2.ppf((1 - c) / 2, 2 * np.where(o > 0, o, 1.0)) / 2, 0.0)
    return e_lower, e_upper


def ratio_funnel_limits(observed_events, ratio_type: str = "ratio") -> pd.DataFrame:
    """Ratio funnel limits indexed by observed events (PHE ``phe_funnels(statistic="ratio")``).

    Parameters
    ----------
    observed_events : array_like
        Observed counts O at which to evaluate the limits.
    ratio_type : {"ratio", "count", "isr"}
        Scale of the limit columns: O/E, O/E − 1 (``count``) or 100·O/E (``isr``).

    Returns
    -------
    DataFrame
        ``observed_events``; for each of ``95`` and ``998``: ``lower_<c>_expected`` (the
        expected count at which O is on the lower limit), ``lower_<c>``, ``upper_<c>_expected``,
        ``upper_<c>``.
    """
    if ratio_type not in ("ratio", "count", "isr"):
        raise ParameterError("ratio_type must be 'ratio', 'count' or 'isr'.")
    o = _arr(observed_events)
    out = pd.DataFrame({"observed_events": o})
    for conf, suffix in CONFIDENCE_LEVELS.items():
        el, eu = _obs_expected_events(o, conf)
        with np.errstate(divide="ignore"):
            lo, hi = o / el, o / eu
        if ratio_type == "count":
            lo, hi = lo - 1, hi - 1
        elif ratio_type == "isr":
            lo, hi = lo * 100, hi * 100
        out[f"lower_{suffix}_expected"] = el
        out[f"lower_{suffix}"] = lo
        out[f"upper_{suffix}_expected"] = eu
        out[f"upper_{suffix}"] = hi
    return out


def rate_funnel_limits(
    events, average_rate: float, multiplier: float = 100000, years_of_data: float = 1
) -> pd.DataFrame:
    """Rate funnel limits indexed by event counts (PHE ``phe_funnels(statistic="rate")``).

    Parameters
    ----------
    events : array_like
        Event counts O at which to evaluate the limits.
    average_rate : float
        Average rate per person (not multiplied), e.g. Σ events / Σ population.
    multiplier : float
    years_of_data : float
        Years the data cover; the population columns are per year.

    Returns
    -------
    DataFrame
        ``events``; for each of ``95`` and ``998``: ``lower_<c>_population`` (annual population
        at which O events put the rate on the lower limit), ``lower_<c>`` (the limit, ×
        multiplier), ``upper_<c>_population``, ``upper_<c>``; and ``baseline`` (average ×
        multiplier).
    """
    o = _arr(events)
    out = pd.DataFrame({"events": o})
    for conf, suffix in CONFIDENCE_LEVELS.items():
        el, eu = _obs_expected_events(o, conf)
        pop_l, pop_u = el / average_rate, eu / average_rate
        with np.errstate(divide="ignore"):
            out[f"lower_{suffix}_population"] = pop_l / years_of_data
            out[f"lower_{suffix}"] = o / pop_l * multiplier
            out[f"upper_{suffix}_population"] = pop_u / years_of_data
            out[f"upper_{suffix}"] = o / pop_u * multiplier
    out["baseline"] = average_rate * multiplier
    return out


# ---------------------------------------------------------------------------------------------
# Significance
# ---------------------------------------------------------------------------------------------


def _limit_labels(value, lower_95, upper_95, lower_998, upper_998) -> np.ndarray:
    """PHE's label of each ``value`` against its funnel limits: beyond the 99.8% limits
    ``High/Low (0.001)``, else beyond the 95% limits ``High/Low (0.025)``, else
    ``Not significant`` (also where a comparison is with NaN). Arrays broadcast."""
    value = np.asarray(value, dtype=float)
    with np.errstate(invalid="ignore"):
        conditions = [value > np.asarray(upper_998, dtype=float), value > np.asarray(upper_95, dtype=float),
                      value < np.asarray(lower_998, dtype=float), value < np.asarray(lower_95, dtype=float)]
    return np.select(conditions, ["High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)"],
                     "Not significant").astype(object)


def _point_ci_labels(num, den, average):
    """PHE rate/ratio labels: the point's Poisson CI (÷ den) compared with ``average`` (a
    number, or one per point)."""
    out = {}
    for conf in (0.998, 0.95):
        lo, hi, _ = poisson_ci(num, conf)
        lo = np.where(num == 0, 0.0, lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[conf] = (lo / den, hi / den)
    high_001 = average < out[0.998][0]
    high_025 = average < out[0.95][0]
    low_001 = average > out[0.998][1]
    low_025 = average > out[0.95][1]
    # PHE's case_when order: High (0.001), High (0.025), Low (0.001), Low (0.025).
    return np.select(
        [high_001, high_025, low_001, low_025],
        ["High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)"],
        "Not significant",
    ).astype(object)


def funnel_significance(
    df: pd.DataFrame,
    numerator: str,
    denominator: str | None = None,
    statistic: str = "proportion",
    rate: str | None = None,
    rate_type: str | None = None,
    multiplier: float | None = None,
) -> pd.DataFrame:
    """Funnel significance labels exactly as PHEindicatormethods ``phe_funnel_significance``.

    Parameters
    ----------
    df : DataFrame
    numerator : str
        Observed events (proportion numerator, ratio observed, rate events).
    denominator : str
        Proportion denominator, ratio expected events, or (rates) the population, needed for
        rows with 0 events of a crude rate.
    statistic : {"proportion", "ratio", "rate"}
    rate, rate_type, multiplier :
        For ``statistic="rate"``: the column holding the (dsr or crude) rate, ``"dsr"`` or
        ``"crude"``, and the rate's multiplier. The population of each row is derived as
        events ÷ rate × multiplier (for 0 events: the denominator for crude rates, and the row
        is left out of the average for dsrs).

    Returns
    -------
    DataFrame
        The same rows plus ``significance``. The average is Σ numerator ÷ Σ denominator (derived
        denominator for rates) over all rows given. For dsrs, rows with fewer than 10 events are
        labelled ``"Not applicable for events less than 10 for dsrs"``.
    """
    if statistic not in ("proportion", "ratio", "rate"):
        raise ParameterError("statistic must be 'proportion', 'ratio' or 'rate'.")
    out = df.copy()
    num = _arr(out[numerator])
    if np.any(num < 0):
        raise ParameterError("funnel_significance: numerators must be greater than or equal to zero.")
    if statistic == "proportion":
        den = _arr(out[denominator])
        if np.any(den <= 0) or np.any(num > den):
            raise ParameterError(
                "funnel_significance: proportions need 0 <= numerator <= denominator and "
                "denominator > 0."
            )
        av = np.nansum(num) / np.nansum(den)
        p = num / den
        lab = {}
        for conf in (0.998, 0.95):
            lab[conf] = proportion_funnel_limits(den, av, conf, 1.0)
        sig = _limit_labels(p, *lab[0.95], *lab[0.998])
    elif statistic == "ratio":
        den = _arr(out[denominator])
        sig = _point_ci_labels(num, den, 1.0)
    else:
        if rate is None or rate_type not in ("dsr", "crude") or multiplier is None:
            raise ParameterError("rate funnels need rate=<column>, rate_type='dsr'|'crude' and multiplier.")
        r = _arr(out[rate])
        with np.errstate(divide="ignore", invalid="ignore"):
            derived = num / r * multiplier
        if rate_type == "dsr":
            derived = np.where(num == 0, np.nan, derived)
        else:
            if denominator is None and np.any(num == 0):
                raise ParameterError("crude rate funnels with 0 events need the denominator column.")
            if denominator is not None:
                derived = np.where(num == 0, _arr(out[denominator]), derived)
        av = np.nansum(num) / np.nansum(derived)
        sig = _point_ci_labels(num, derived, av)
        if rate_type == "dsr":
            sig = np.where(num < 10, DSR_SMALL_LABEL, sig)
    out["significance"] = pd.array(sig, dtype="str")
    return out


# ---------------------------------------------------------------------------------------------
# Over-dispersion (Spiegelhalter 2005)
# ---------------------------------------------------------------------------------------------


def _transform(kind, num, den, average):
    """Transformed values y, target θ₀ and standard errors s (Spiegelhalter 2005)."""
    if kind == "proportion":
        y = np.arcsin(np.sqrt(np.clip(num / den, 0, 1)))
        theta = np.arcsin(np.sqrt(average))
        s = 1.0 / (2.0 * np.sqrt(den))
    else:  # rate or ratio: log(O / E) with E = average × denominator, s = 1/√E
        e = average * den
        # an average of 0 (no events anywhere) or a council with 0 events gives inf/NaN here,
        # which the caller treats as "no over-dispersion estimate", never as a number
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log(num / e)
            s = 1.0 / np.sqrt(e)
        theta = 0.0
    return y, theta, s


def overdispersion(num, den, kind: str, average: float | None = None, trim: float = 0.1) -> dict:
    """Spiegelhalter's multiplicative (φ) and additive random-effects (τ²) over-dispersion.

    Parameters
    ----------
    num, den : array_like
        Numerators and denominators (for ``ratio``: observed and expected events).
    kind : {"proportion", "rate", "ratio"}
    average : float, optional
        Target on the natural scale: p̄ (proportion), events per unit denominator (rate) or 1
        (ratio). Defaults to Σ num / Σ den, and 1 for ratios.
    trim : float
        Fraction of z-scores winsorised at each end (10%).

    Returns
    -------
    dict
        ``phi`` (mean of the squared winsorised z-scores), ``tau2`` (0 unless φ > 1), ``k``
        (points used), ``z`` (unwinsorised z-scores, NaN where not computable), ``average``.

    Notes
    -----
    z = (y − θ₀)/s on the arcsine-square-root scale (proportions: y = asin √(x/n),
    s = 1/(2√n)) or the log scale (rates, ratios: y = log(O/E), E = average × denominator,
    s = 1/√E). φ = Σ z_w² / k; when φ > 1, τ² = max(0, (kφ − (k − 1)) / (Σw − Σw²/Σw)) with
    w = 1/s². Spiegelhalter DJ (2005) Stat Med 24:1185–1202.
    """
    _check_kind(kind)
    num, den = _arr(num), _arr(den)
    if average is None:
        average = 1.0 if kind == "ratio" else float(np.nansum(num) / np.nansum(den))
    y, theta, s = _transform(kind, num, den, average)
    z = (y - theta) / s
    ok = np.isfinite(z)
    zk = z[ok]
    k = int(zk.size)
    if k == 0:
        return {"phi": np.nan, "tau2": np.nan, "k": 0, "z": z, "average": average}
    lo, hi = np.quantile(zk, [trim, 1 - trim])
    zw = np.clip(zk, lo, hi)
    phi = float(np.mean(zw**2))
    tau2 = 0.0
    if phi > 1 and k > 1:
        w = 1.0 / s[ok] ** 2 if np.ndim(s) else np.full(k, 1.0 / s**2)
        tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return {"phi": phi, "tau2": float(tau2), "k": k, "z": z, "average": average}


def _od_limits(kind, den, average, tau2, confidence, multiplier):
    z = z_value(confidence)
    den = np.where(np.asarray(den, dtype=float) > 0, den, np.nan)
    if kind == "proportion":
        theta = np.arcsin(np.sqrt(average))
        s = 1.0 / (2.0 * np.sqrt(den))
        half = z * np.sqrt(s**2 + tau2)
        lo = np.sin(np.clip(theta - half, 0, np.pi / 2)) ** 2
        hi = np.sin(np.clip(theta + half, 0, np.pi / 2)) ** 2
        return lo * multiplier, hi * multiplier
    e = average * den
    s = 1.0 / np.sqrt(e)
    half = z * np.sqrt(s**2 + tau2)
    target = average * multiplier if kind == "rate" else multiplier
    return target * np.exp(-half), target * np.exp(half)


# ---------------------------------------------------------------------------------------------
# Plot-facing functions
# ---------------------------------------------------------------------------------------------


def _plain_limits(kind, den, average, confidence, multiplier):
    if kind == "proportion":
        return proportion_funnel_limits(den, average, confidence, multiplier)
    e = average * den
    lo, hi = poisson_expected_limits(e, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "rate":
            return lo / den * multiplier, hi / den * multiplier
        return lo / e * multiplier, hi / e * multiplier


def funnel_points(
    df: pd.DataFrame,
    numerator: str,
    denominator: str,
    kind: str = "proportion",
    multiplier: float | None = None,
    average: float | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Each council's value, the funnel limits at its denominator and its significance label.

    Parameters
    ----------
    df : DataFrame
        One row per council (other columns, e.g. ``authority_code``, are kept).
    numerator, denominator : str
        For ``ratio``: observed and expected events.
    kind : {"proportion", "rate", "ratio"}
    multiplier : float, optional
        Defaults: 100 (proportion), 100000 (rate), 1 (ratio; use 100 for an ISR-style scale).
    average : float, optional
        Centre line on the natural scale; defaults to Σ numerator / Σ denominator over the rows
        with valid inputs (1 for ratios).

    Returns
    -------
    points : DataFrame
        The input rows plus ``value`` (numerator ÷ denominator × multiplier), ``baseline``,
        ``lower_95``, ``upper_95``, ``lower_998``, ``upper_998`` (plain limits at the row's
        denominator), ``significance`` (one of :data:`SIGNIFICANCE_LABELS`, missing where the
        inputs are invalid), ``z`` (Spiegelhalter z-score), ``od_lower_95``, ``od_upper_95``,
        ``od_lower_998``, ``od_upper_998`` (over-dispersion-adjusted limits; equal to the
        plain normal-approximation limits on the transformed scale when τ² = 0) and
        ``od_significance``.
    summary : dict
        ``kind``, ``multiplier``, ``average`` (natural scale), ``baseline`` (× multiplier),
        ``phi``, ``tau2``, ``k``, ``overdispersed`` (φ > 1).

    Notes
    -----
    Proportion labels compare the value with the plain limits; rate and ratio labels compare the
    average with the point's own exact/Byar interval (PHE), see the module docstring.
    """
    _check_kind(kind)
    if multiplier is None:
        multiplier = {"proportion": 100.0, "rate": 100000.0, "ratio": 1.0}[kind]
    out = df.copy()
    num, den = _arr(out[numerator]), _arr(out[denominator])
    valid = np.isfinite(num) & np.isfinite(den) & (num >= 0) & (den > 0)
    if kind == "proportion":
        valid &= num <= den
    if average is None:
        average = 1.0 if kind == "ratio" else float(num[valid].sum() / den[valid].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(valid, num / den * multiplier, np.nan)
    out["value"] = value
    base = average * multiplier if kind != "ratio" else multiplier
    out["baseline"] = base
    for conf, suffix in CONFIDENCE_LEVELS.items():
        lo, hi = _plain_limits(kind, den, average, conf, multiplier)
        out[f"lower_{suffix}"] = np.where(valid, lo, np.nan)
        out[f"upper_{suffix}"] = np.where(valid, hi, np.nan)
    if kind == "proportion":
        sig = _limit_labels(value, out["lower_95"], out["upper_95"], out["lower_998"], out["upper_998"])
    else:
        sig = _point_ci_labels(num, den, average)
    out["significance"] = pd.array(np.where(valid, sig, None), dtype="str")

    od = overdispersion(num[valid], den[valid], kind, average=average)
    z = np.full(len(out), np.nan)
    z[valid] = od["z"]
    out["z"] = z
    tau2 = od["tau2"] if np.isfinite(od["tau2"]) else 0.0
    for conf, suffix in CONFIDENCE_LEVELS.items():
        lo, hi = _od_limits(kind, den, average, tau2, conf, multiplier)
        out[f"od_lower_{suffix}"] = np.where(valid, lo, np.nan)
        out[f"od_upper_{suffix}"] = np.where(valid, hi, np.nan)
    od_sig = _limit_labels(value, out["od_lower_95"], out["od_upper_95"], out["od_lower_998"], out["od_upper_998"])
    out["od_significance"] = pd.array(np.where(valid, od_sig, None), dtype="str")
    summary = {
        "kind": kind,
        "multiplier": float(multiplier),
        "average": float(average),
        "baseline": float(base),
        "phi": od["phi"],
        "tau2": od["tau2"],
        "k": od["k"],
        "overdispersed": bool(np.isfinite(od["phi"]) and od["phi"] > 1),
    }
    return out, summary


def funnel_limits_curve(
    kind: str,
    average: float,
    denominator_min: float,
    denominator_max: float,
    multiplier: float | None = None,
    n_points: int = 200,
    tau2: float | None = None,
) -> pd.DataFrame:
    """Smooth funnel limits for plotting, on a geometric grid of denominators.

    Parameters
    ----------
    kind : {"proportion", "rate", "ratio"}
    average : float
        Centre on the natural scale (``summary["average"]`` from :func:`funnel_points`).
    denominator_min, denominator_max : float
        Range of the x axis (denominator; expected events for ratios). A minimum ≤ 0 starts
        the grid at 1 % of the maximum.
    multiplier : float, optional
        As in :func:`funnel_points`.
    n_points : int
    tau2 : float, optional
        If given (``summary["tau2"]``), also return the over-dispersion-adjusted limits.

    Returns
    -------
    DataFrame
        ``denominator``, ``baseline``, ``lower_95``, ``upper_95``, ``lower_998``,
        ``upper_998`` and, when ``tau2`` is given, ``od_lower_95``, ``od_upper_95``,
        ``od_lower_998``, ``od_upper_998``.
    """
    _check_kind(kind)
    if multiplier is None:
        multiplier = {"proportion": 100.0, "rate": 100000.0, "ratio": 1.0}[kind]
    if not (np.isfinite(denominator_max) and denominator_max > 0):
        raise ParameterError("denominator_max must be a positive number.")
    lo_x = denominator_min if denominator_min > 0 else denominator_max / 100.0
    x = np.geomspace(lo_x, denominator_max, int(n_points))
    out = pd.DataFrame({"denominator": x})
    out["baseline"] = average * multiplier if kind != "ratio" else multiplier
    for conf, suffix in CONFIDENCE_LEVELS.items():
        lo, hi = _plain_limits(kind, x, average, conf, multiplier)
        out[f"lower_{suffix}"] = lo
        out[f"upper_{suffix}"] = hi
    if tau2 is not None:
        for conf, suffix in CONFIDENCE_LEVELS.items():
            lo, hi = _od_limits(kind, x, average, tau2, conf, multiplier)
            out[f"od_lower_{suffix}"] = lo
            out[f"od_upper_{suffix}"] = hi
    return out


# ---------------------------------------------------------------------------------------------
# Comparator groups: each council flagged against its group's pooled average
# ---------------------------------------------------------------------------------------------


def funnel_flag(numerator, denominator, average, method) -> np.ndarray:
    """Funnel-plot significance of each council against the group average.

    The limits of :func:`proportion_funnel_limits` and the point intervals of
    :func:`ot_benchmark.stats.intervals.poisson_ci` (PHEindicatormethods'
    ``phe_funnel_significance``).

    Parameters
    ----------
    numerator, denominator : array-like
        The council's counts.
    average : array-like
        The pooled group average, sum(numerator) / sum(denominator) (not multiplied).
    method : array-like of str
        ``proportion``: limits ``p̄ ± z·sqrt(p̄(1 − p̄)/n)`` at 95% and 99.8%.
        ``rate``: the council's own Poisson interval of its count (exact when below 10, Byar's
        otherwise) ÷ its denominator, against the average. ``ratio`` is treated like ``rate``
        only when it is an observed/expected ratio — pass ``"rate"`` for that; the catalogue's
        ``ratio`` indicators (£ per item, % change) have no sampling model and get NaN, as does
        anything else.

    Returns
    -------
    ndarray of object
        ``High (0.001)``, ``High (0.025)``, ``Low (0.001)``, ``Low (0.025)``,
        ``Not significant``, or NaN.
    """
    x = np.asarray(numerator, dtype=float).reshape(-1)
    n = np.asarray(denominator, dtype=float).reshape(-1)
    avg = np.broadcast_to(np.asarray(average, dtype=float), x.shape)
    meth = np.broadcast_to(np.asarray(method, dtype=object), x.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo998, up998 = proportion_funnel_limits(n, avg, 0.998, 1.0)
        lo95, up95 = proportion_funnel_limits(n, avg, 0.95, 1.0)
        prop = _limit_labels(x / n, lo95, up95, lo998, up998)
        rate = _point_ci_labels(x, n, avg)
    valid = np.isfinite(x) & np.isfinite(n) & (n > 0) & np.isfinite(avg)
    out = np.where(meth == "proportion", prop, np.where(meth == "rate", rate, "")).astype(object)
    out[~valid | (out == "")] = np.nan
    return out


#: Fewest councils over which φ (the dispersion ratio) is estimated; below it φ is NaN.
MIN_COUNCILS_FOR_PHI = 3


def funnel_overdispersion(group: pd.DataFrame, keys, subjects: pd.DataFrame) -> pd.DataFrame:
    """Spiegelhalter (2005) over-dispersion of each comparator group, and each subject's
    funnel flag against the over-dispersion-adjusted limits.

    Parameters
    ----------
    group : DataFrame
        The comparator councils' rows: ``keys`` plus ``numerator``, ``denominator``, ``method``
        (``proportion`` or ``rate``; other rows are ignored) and ``average`` (the group's pooled
        average, Σ numerator ÷ Σ denominator, not multiplied).
    keys : list of str
        Columns identifying one group (e.g. period, indicator, breakdown).
    subjects : DataFrame
        One row per group to flag: ``keys``, ``numerator``, ``denominator``, ``method``,
        ``average`` and ``funnel_flag`` (the plain flag, :func:`funnel_flag`).

    Returns
    -------
    DataFrame
        ``subjects``' rows (same index) with ``funnel_phi`` (φ = mean of the squared z-scores
        after winsorising 10% each side, on the arcsine-square-root scale for proportions and
        the log scale for rates; :func:`overdispersion`; NaN with
        fewer than :data:`MIN_COUNCILS_FOR_PHI` councils), ``funnel_tau2`` (the additive
        random-effects variance τ², 0 unless φ > 1) and ``funnel_flag_od``: when φ > 1 the
        subject's value against the limits widened by τ² (``θ₀ ± z·√(s² + τ²)`` on the
        transformed scale, back-transformed), in the same words as ``funnel_flag``; when
        φ ≤ 1 the limits are not widened and the plain flag is repeated; NaN where φ is.
    """
    keys = list(keys)
    g = group[group["method"].isin(["proportion", "rate"])]
    g = g[np.isfinite(g["numerator"]) & np.isfinite(g["denominator"]) & (g["denominator"] > 0)
          & (g["numerator"] >= 0) & np.isfinite(g["average"])]
    g = g[(g["method"] != "proportion") | (g["numerator"] <= g["denominator"])]

    def _one(d: pd.DataFrame) -> pd.Series:  # one call per indicator x breakdown, not per council
        if len(d) < MIN_COUNCILS_FOR_PHI:
            return pd.Series({"funnel_phi": np.nan, "funnel_tau2": np.nan})
        od = overdispersion(d["numerator"], d["denominator"], d["method"].iloc[0],
                            average=float(d["average"].iloc[0]))
        return pd.Series({"funnel_phi": od["phi"], "funnel_tau2": od["tau2"]})

    if len(g):
        per_group = g.groupby(keys, sort=False)[["numerator", "denominator", "method", "average"]].apply(_one)
        per_group = per_group.reset_index()
    else:
        per_group = pd.DataFrame(columns=keys + ["funnel_phi", "funnel_tau2"])
    out = subjects.copy()
    m = out[keys].merge(per_group, on=keys, how="left")
    out["funnel_phi"] = m["funnel_phi"].to_numpy(dtype=float)
    out["funnel_tau2"] = m["funnel_tau2"].to_numpy(dtype=float)

    x = out["numerator"].to_numpy(dtype=float)
    n = out["denominator"].to_numpy(dtype=float)
    avg = out["average"].to_numpy(dtype=float)
    tau2 = np.nan_to_num(out["funnel_tau2"].to_numpy(dtype=float))
    meth = out["method"].to_numpy(dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        lims = {}
        for conf in (0.95, 0.998):
            lo_p, up_p = _od_limits("proportion", n, avg, tau2, conf, 1.0)
            lo_r, up_r = _od_limits("rate", n, avg, tau2, conf, 1.0)
            lims[conf] = (np.where(meth == "proportion", lo_p, lo_r), np.where(meth == "proportion", up_p, up_r))
    widened = _limit_labels(p, *lims[0.95], *lims[0.998])
    phi = out["funnel_phi"].to_numpy(dtype=float)
    plain = out["funnel_flag"].to_numpy(dtype=object)
    flag = np.where(phi > 1, widened, plain).astype(object)
    flag[~np.isfinite(phi) | pd.isna(plain)] = np.nan
    out["funnel_flag_od"] = flag
    return out
