"""XmR options beyond the reference fixtures: re-basing, fixed limits, provisional limits,
improvement direction and icons (series built so the expected answer is known)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.errors import ParameterError
from ot_benchmark.stats import spc

ALT = np.array([10.0, 12.0] * 10)  # mean 11, every moving range 2: limits 11 ± 5.32


def test_alternating_series_limits_by_hand():
    pts, s = spc.xmr(ALT)
    assert s["mean"] == 11 and s["amr"] == 2
    assert s["lpl"] == pytest.approx(11 - 5.32) and s["upl"] == pytest.approx(11 + 5.32)
    assert pts["nupl"].iloc[0] == pytest.approx(11 + 2 * 2.66 / 3 * 2)
    assert (pts["point_type"] == "common_cause").all() and not s["provisional"]
    assert s["variation_icon"] == "common_cause"


def test_outside_limits_and_direction():
    y = ALT.copy()
    y[-1] = 30.0  # far above the upper limit
    for direction, expected, icon in [
        ("increase", "special_cause_improvement", "improvement_high"),
        ("decrease", "special_cause_concern", "concern_high"),
        ("neutral", "special_cause_neutral", "neutral_high"),
    ]:
        pts, s = spc.xmr(y, improvement_direction=direction)
        assert pts["rule"].iloc[-1] == "outside_limits"
        assert pts["point_type"].iloc[-1] == expected and s["variation_icon"] == icon


def test_run_of_seven_below_the_mean():
    y = np.r_[ALT[:12], [10.5] * 7, 12.0]
    pts, _ = spc.xmr(y, improvement_direction="increase")
    below = pts.index[(pts["value"] == 10.5)]
    assert (pts.loc[below, "rule"] == "run").all()
    assert (pts.loc[below, "point_type"] == "special_cause_concern").all()


def test_trend_of_seven():
    y = np.r_[ALT[:10], np.linspace(9, 13, 7), 11.0]
    pts, _ = spc.xmr(y)
    assert (pts["rule"].iloc[10:17] != "none").all()
    assert "trend" in set(pts["rule"].iloc[10:17])


def test_provisional_limits():
    _, s = spc.xmr(ALT[:12])
    assert s["provisional"] and s["points_in_limits"] == 12
    _, s = spc.xmr(ALT[:13])
    assert not s["provisional"]


def test_fix_after_n_points():
    y = np.r_[ALT[:12], [40.0, 45.0, 50.0]]
    pts, s = spc.xmr(y, fix_after_n_points=12)
    assert s["mean"] == 11 and s["amr"] == 2  # the later points do not move the limits
    assert (pts["rule"].iloc[12:] == "outside_limits").all()
    with pytest.raises(ParameterError):
        spc.xmr(y, fix_after_n_points=5)


def test_rebase_at_a_restructure():
    dates = pd.date_range("2022-04-01", periods=30, freq="MS")
    y = np.r_[ALT[:15], ALT[:15] + 20]
    df = pd.DataFrame({"month": dates, "waiting": y})
    pts, s = spc.xmr(df, "waiting", "month", rebase=[dates[15]])
    assert list(pts["segment"].unique()) == [0, 1]
    assert pts.loc[pts["segment"] == 0, "mean"].iloc[0] == pytest.approx(ALT[:15].mean())
    assert s["mean"] == pytest.approx(ALT[:15].mean() + 20) and s["n_segments"] == 2
    assert (pts["point_type"] == "common_cause").all()
    # without the re-base the step is special cause
    pts2, _ = spc.xmr(df, "waiting", "month")
    assert (pts2["point_type"] != "common_cause").any()


def test_sorts_by_date_and_reports_target():
    df = pd.DataFrame({"d": [3, 1, 2] + list(range(4, 15)), "v": [12.0, 10.0, 11.0] + [11.0] * 11})
    pts, s = spc.xmr(df, "v", "d", target=40, improvement_direction="increase")
    assert list(pts["date"]) == sorted(df["d"])
    assert s["assurance"] == "consistent_fail" and (pts["target"] == 40).all()


def test_missing_values_are_refused():
    with pytest.raises(ParameterError, match="missing"):
        spc.xmr([1.0, np.nan, 2.0])
    with pytest.raises(ParameterError):
        spc.xmr(ALT, improvement_direction="up")
