"""XmR statistical process control charts as NHS "Making Data Count" (NHSRplotthedots).

:func:`xmr` returns a points table and a summary (variation and assurance icons). The special-
cause rule helpers are public so they can be tested against the reference package's unit
vectors. Everything is vectorised with numpy; nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from ot_benchmark.errors import ParameterError

__all__ = [
    "LIMIT",
    "NEAR_LIMIT",
    "SCREEN",
    "seven_point_one_side_mean",
    "part_of_seven",
    "seven_point_trend",
    "two_in_three",
    "part_of_two_in_three",
    "assurance_type",
    "xmr",
]

#: Process limits at mean ± 2.66 × mean moving range (3σ with σ̂ = mR̄ / 1.128).
LIMIT = 2.66
#: Near-limit band at mean ± (2/3)·2.66 = 1.7733 × mean moving range (2σ).
NEAR_LIMIT = 2.0 * LIMIT / 3.0
#: Moving ranges at or above 3.267 × mean moving range are screened out (D4 for n = 2).
SCREEN = 3.267
RUN_LENGTH = 7
_DIRECTIONS = {"increase": 1, "decrease": -1, "neutral": 0}


# ---------------------------------------------------------------------------------------------
# Rule helpers (one series / one rebase segment at a time)
# ---------------------------------------------------------------------------------------------


def _windows(v: np.ndarray, width: int, pad_before: int = 0, pad_after: int = 0) -> np.ndarray:
    vp = np.concatenate([np.zeros(pad_before), v, np.zeros(pad_after)])
    return sliding_window_view(vp, width)


def seven_point_one_side_mean(relative_to_mean) -> np.ndarray:
    """1 at a point that is the 7th (or later) consecutive point on the same side of the mean.

    ``relative_to_mean`` is sign(y − mean): +1, −1 or 0 (a point on the mean breaks a run).
    """
    v = np.asarray(relative_to_mean, dtype=float)
    if v.size == 0:
        return np.zeros(0)
    w = _windows(v, RUN_LENGTH, pad_before=RUN_LENGTH - 1)
    same = np.all(w == w[:, -1:], axis=1) & (w[:, -1] != 0)
    return same.astype(float)


def part_of_seven(flags) -> np.ndarray:
    """Back-fill a run flag at point i to points i−6 … i (1 if any of the next 7 is flagged).

    Both +1 and −1 flags (a rising or falling trend) are back-filled.
    """
    v = np.asarray(flags, dtype=float)
    if v.size == 0:
        return np.zeros(0)
    w = _windows(v, RUN_LENGTH, pad_after=RUN_LENGTH - 1)
    return np.any(w != 0, axis=1).astype(float)


def seven_point_trend(y) -> np.ndarray:
    """+1 (−1) at a point ending 7 consecutive strictly increasing (decreasing) points.

    A tie (zero difference) breaks a trend; fewer than 7 points give all zeros.
    """
    y = np.asarray(y, dtype=float)
    out = np.zeros(y.size)
    if y.size < RUN_LENGTH:
        return out
    d = np.sign(np.diff(y))
    w = sliding_window_view(d, RUN_LENGTH - 1)  # the 6 differences ending at points 6..n-1
    out[RUN_LENGTH - 1 :] = np.where(np.all(w == 1, axis=1), 1.0, np.where(np.all(w == -1, axis=1), -1.0, 0.0))
    return out


def two_in_three(close_to_limits, relative_to_mean) -> np.ndarray:
    """1 where the point belongs to a window of 3 with ≥ 2 points in the near-limit band and
    all 3 points on the same side of the mean (the window flag, before restricting to the
    close points; see :func:`part_of_two_in_three`)."""
    v = np.asarray(close_to_limits, dtype=float)
    r = np.asarray(relative_to_mean, dtype=float)
    if v.size == 0:
        return np.zeros(0)
    wv = _windows(v, 3, pad_before=2, pad_after=2).sum(axis=1)
    wr = np.abs(_windows(r, 3, pad_before=2, pad_after=2).sum(axis=1))
    window_ok = (wv >= 2) & (wr == 3)  # window j covers padded points j..j+2
    # point i (padded index i+2) lies in windows i, i+1, i+2
    n = v.size
    flag = window_ok[0:n] | window_ok[1 : n + 1] | window_ok[2 : n + 2]
    return flag.astype(float)


def part_of_two_in_three(window_flag, close_to_limits) -> np.ndarray:
    """Restrict the 2-in-3 window flag to the points that are themselves near the limits."""
    v = np.asarray(window_flag, dtype=float)
    c = np.asarray(close_to_limits, dtype=float)
    return ((v == 1) & (np.abs(c) == 1)).astype(float)


def assurance_type(improvement_direction: str, lpl: float, upl: float, target: float | None):
    """Assurance icon from the target and the process limits of the last point.

    Returns ``"consistent_pass"``, ``"consistent_fail"``, ``"inconsistent"`` (hit and miss), or
    None when there is no target or the direction is neutral. Strict inequalities: a target
    above the upper limit fails consistently for an ``increase`` indicator and passes
    consistently for a ``decrease`` one; below the lower limit the reverse.
    """
    _direction(improvement_direction)
    if target is None or improvement_direction == "neutral" or not np.isfinite(target):
        return None
    inc = improvement_direction == "increase"
    if target > upl:
        return "consistent_fail" if inc else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if inc else "consistent_fail"
    return "inconsistent"


def _direction(improvement_direction: str) -> int:
    if improvement_direction not in _DIRECTIONS:
        raise ParameterError(
            f"improvement_direction must be one of {list(_DIRECTIONS)} (got {improvement_direction!r})."
        )
    return _DIRECTIONS[improvement_direction]


# ---------------------------------------------------------------------------------------------
# The chart
# ---------------------------------------------------------------------------------------------


def _segment(y: np.ndarray, screen_outliers: bool, fix_after_n_points: int | None) -> dict:
    n = y.size
    fix_y = y.copy()
    if fix_after_n_points is not None:
        fix_y[fix_after_n_points:] = np.nan
    mean = np.nanmean(fix_y) if np.isfinite(fix_y).any() else np.nan
    mr = np.concatenate([[np.nan], np.abs(np.diff(fix_y))]) if n else np.zeros(0)
    amr = np.nanmean(mr) if np.isfinite(mr).any() else np.nan
    if screen_outliers and np.isfinite(amr):
        mr = np.where(mr < SCREEN * amr, mr, np.nan)
        amr = np.nanmean(mr) if np.isfinite(mr).any() else np.nan
    raw_mr = np.concatenate([[np.nan], np.abs(np.diff(y))]) if n else np.zeros(0)
    lpl, upl = mean - LIMIT * amr, mean + LIMIT * amr
    nlpl, nupl = mean - NEAR_LIMIT * amr, mean + NEAR_LIMIT * amr
    outside = (y > upl) | (y < lpl)
    rtm = np.sign(y - mean)
    close = ~outside & ((y < nlpl) | (y > nupl))
    r_outside = outside.astype(float)
    r_trend = part_of_seven(seven_point_trend(y))
    r_two = part_of_two_in_three(two_in_three(close, rtm), close)
    r_run = part_of_seven(seven_point_one_side_mean(rtm))
    rule = np.select(
        [r_outside == 1, r_trend == 1, r_two == 1, r_run == 1],
        ["outside_limits", "trend", "two_in_three", "run"],
        "none",
    )
    used = n if fix_after_n_points is None else min(n, fix_after_n_points)
    return {
        "mean": np.full(n, mean), "lpl": np.full(n, lpl), "upl": np.full(n, upl),
        "nlpl": np.full(n, nlpl), "nupl": np.full(n, nupl), "amr": np.full(n, amr),
        "moving_range": raw_mr, "outside_limits": outside, "relative_to_mean": rtm,
        "close_to_limits": close, "rule": rule, "points_in_limits": np.full(n, used),
    }


def xmr(
    data: pd.DataFrame | Sequence[float] | np.ndarray | pd.Series,
    value_col: str = "value",
    date_col: str | None = "date",
    improvement_direction: str = "increase",
    target: float | None = None,
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
    rebase: Iterable | None = None,
    provisional_below: int = 13,
) -> tuple[pd.DataFrame, dict]:
    """XmR chart with Making Data Count rules (NHSRplotthedots semantics).

    Parameters
    ----------
    data : DataFrame or array_like
        A frame with ``value_col`` and ``date_col`` (sorted by date here), or a sequence of
        values (then ``date`` is 1, 2, …). Missing values are not allowed: a gap in the series
        must be filled or the period dropped.
    value_col, date_col : str
    improvement_direction : {"increase", "decrease", "neutral"}
    target : float, optional
        For the assurance icon.
    screen_outliers : bool
        True (default, NHSRplotthedots): moving ranges ≥ 3.267 × the mean moving range are
        dropped once before the limits are computed. False reproduces the NHS Excel tool.
    fix_after_n_points : int, optional
        Compute the mean and limits from the first n points (n ≥ 12) of each segment only.
    rebase : iterable of dates, optional
        Dates at which a new segment (new mean and limits) starts, e.g. a restructure.
    provisional_below : int
        Limits computed from fewer points than this are flagged provisional (13).

    Returns
    -------
    points : DataFrame
        One row per point, in date order: ``date``, ``value``, ``segment`` (0, 1, … by rebase),
        ``mean``, ``lpl``, ``upl`` (process limits), ``nlpl``, ``nupl`` (near-limit band),
        ``amr`` (mean moving range used), ``moving_range`` (|yᵢ − yᵢ₋₁|, NaN for the first
        point of a segment), ``outside_limits``, ``relative_to_mean`` (−1/0/1),
        ``close_to_limits``, ``rule`` (first matching rule: ``outside_limits``, ``trend``,
        ``two_in_three``, ``run`` or ``none``), ``special_cause`` (bool), ``point_type``
        (``common_cause``, ``special_cause_improvement``, ``special_cause_concern`` or
        ``special_cause_neutral``), ``provisional`` (bool), ``target``.
    summary : dict
        ``n_points``, ``mean``, ``lpl``, ``upl`` (of the last point), ``amr``,
        ``points_in_limits``, ``provisional``, ``last_date``, ``last_value``, ``variation``
        (last point type), ``variation_icon`` (``common_cause``, ``improvement_high``,
        ``improvement_low``, ``concern_high``, ``concern_low``, ``neutral_high``,
        ``neutral_low``), ``assurance`` (``consistent_pass``, ``consistent_fail``,
        ``inconsistent`` or None), ``improvement_direction``, ``target``, ``screen_outliers``,
        ``n_segments``.

    Notes
    -----
    Special-cause rules (a point is special if any applies; ``rule`` names the first in this
    order): a point outside the process limits; part of a trend of 7 points each strictly
    above (below) the last; part of 2 out of 3 consecutive points beyond the same near limit
    (all 3 on the same side of the mean, the flagged point itself beyond the near limit); part
    of a run of 7 points on one side of the mean. A special-cause point above (below) the mean
    is an improvement when the direction is ``increase`` (``decrease``), otherwise a concern;
    with ``neutral`` it is ``special_cause_neutral``.
    """
    direction = _direction(improvement_direction)
    if isinstance(data, pd.DataFrame):
        if value_col not in data.columns:
            raise ParameterError(f"xmr: column {value_col!r} not in the data frame.")
        if date_col is not None and date_col not in data.columns:
            raise ParameterError(f"xmr: date column {date_col!r} not in the data frame.")
        dates = pd.DataFrame({"date": data[date_col].to_numpy() if date_col else np.arange(1, len(data) + 1)})["date"]
        values = pd.to_numeric(data[value_col], errors="coerce").to_numpy(dtype=float)
    else:
        values = np.asarray(data, dtype=float).ravel()
        dates = pd.Series(np.arange(1, values.size + 1), name="date")
    if np.isnan(values).any():
        raise ParameterError(
            "xmr: the series has missing values; fill the gap or drop the period before charting."
        )
    if fix_after_n_points is not None and int(fix_after_n_points) < 12:
        raise ParameterError("fix_after_n_points must be at least 12 (Making Data Count guidance).")
    # in date order; the columns worked out as arrays and made into one frame at the end (a
    # report charts about sixty series: a frame per step cost 6 ms a series)
    order = dates.reset_index(drop=True).sort_values(kind="stable").index.to_numpy()
    dates = dates.iloc[order].reset_index(drop=True)
    values = values[order]
    n = values.size
    starts = np.zeros(n, dtype=int)
    if rebase is not None:
        rb = pd.Index(list(rebase))
        if len(rb):
            try:
                rb = rb.astype(dates.dtype)
            except (TypeError, ValueError):
                pass
            starts = dates.isin(rb).to_numpy().astype(int)
            if n:
                starts[0] = 0
    segment = np.cumsum(starts)
    cols = {k: np.empty(n, dtype=v.dtype) for k, v in _segment(np.zeros(1), True, None).items()}
    for seg in np.unique(segment):  # a handful of segments, not cases
        at = segment == seg
        for k, v in _segment(values[at], screen_outliers, fix_after_n_points).items():
            cols[k][at] = v
    rule = cols["rule"].astype(object)
    special = rule != "none"
    if direction == 0:
        special_type = np.full(n, "special_cause_neutral", dtype=object)
    else:
        special_type = np.where(cols["relative_to_mean"] == direction, "special_cause_improvement",
                                "special_cause_concern").astype(object)
    points = pd.DataFrame({
        "date": dates, "value": values, "segment": segment,
        **{k: cols[k].astype(float) for k in ("mean", "lpl", "upl", "nlpl", "nupl", "amr", "moving_range")},
        "outside_limits": cols["outside_limits"].astype(bool),
        "relative_to_mean": cols["relative_to_mean"].astype(float),
        "close_to_limits": cols["close_to_limits"].astype(bool),
        "rule": pd.array(rule, dtype="str"), "special_cause": special,
        "point_type": pd.array(np.where(special, special_type, "common_cause").astype(object), dtype="str"),
        "provisional": cols["points_in_limits"] < provisional_below,
        "target": np.full(n, np.nan if target is None else float(target)),
    })
    in_limits = cols["points_in_limits"]

    summary: dict = {
        "n_points": int(len(points)),
        "improvement_direction": improvement_direction,
        "target": target,
        "screen_outliers": bool(screen_outliers),
        "n_segments": int(points["segment"].nunique()) if len(points) else 0,
    }
    if len(points):
        last = points.iloc[-1]
        ptype = last["point_type"]
        side = "high" if last["relative_to_mean"] > 0 else "low"
        if ptype == "common_cause":
            icon = "common_cause"
        elif ptype == "special_cause_neutral":
            icon = f"neutral_{side}"
        elif ptype == "special_cause_improvement":
            icon = f"improvement_{side}"
        else:
            icon = f"concern_{side}"
        summary.update(
            mean=float(last["mean"]), lpl=float(last["lpl"]), upl=float(last["upl"]),
            amr=float(last["amr"]), points_in_limits=int(in_limits[-1]),
            provisional=bool(last["provisional"]), last_date=last["date"],
            last_value=float(last["value"]), variation=ptype, variation_icon=icon,
            assurance=assurance_type(improvement_direction, float(last["lpl"]), float(last["upl"]), target),
        )
    else:
        summary.update(mean=np.nan, lpl=np.nan, upl=np.nan, amr=np.nan, points_in_limits=0,
                       provisional=True, last_date=None, last_value=np.nan, variation=None,
                       variation_icon=None, assurance=None)
    return points, summary
