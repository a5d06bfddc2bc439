"""Funnel plot functions: points and curves for plotting, over-dispersion (hand-worked and
seeded simulations with known truth)."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ot_benchmark.errors import ParameterError
from ot_benchmark.stats import funnel as F

LABELS = set(F.SIGNIFICANCE_LABELS)


def test_overdispersion_hand_worked_ratio():
    # O = 10, 20, 30 against E = 10 each (target 1). y = log(O/E), s = 1/√E = 0.316228:
    #   z = √10·(0, ln 2, ln 3) = (0, 2.191924, 3.474117)
    # winsorise at the 10th/90th percentiles (linear): 0.2·2.191924 = 0.438385 and
    #   2.191924 + 0.8·(3.474117 − 2.191924) = 3.217678
    # φ = (0.438385² + 2.191924² + 3.217678²)/3 = (0.192181 + 4.804530 + 10.353455)/3 = 5.116722
    # w = 1/s² = 10 each: Σw − Σw²/Σw = 30 − 10 = 20; τ² = (3·5.116722 − 2)/20 = 0.667508
    r = F.overdispersion([10, 20, 30], [10, 10, 10], "ratio")
    assert r["z"] == pytest.approx([0, 2.191924, 3.474117], abs=1e-6)
    assert r["phi"] == pytest.approx(5.116722, abs=1e-6)
    assert r["tau2"] == pytest.approx(0.667508, abs=1e-6)


def test_no_overdispersion_when_phi_at_most_one():
    # identical proportions: every z = 0, φ = 0, τ² = 0
    r = F.overdispersion([10, 20, 40], [100, 200, 400], "proportion")
    assert r["phi"] == 0 and r["tau2"] == 0


def _simulated(seed, tau):
    """Proportions simulated on the arcsine scale with between-council sd ``tau`` (truth)."""
    rng = np.random.default_rng(seed)
    n = rng.integers(200, 5000, 3000)
    theta = np.arcsin(np.sqrt(0.3))
    y = theta + rng.normal(0, tau, n.size) + rng.normal(0, 1 / (2 * np.sqrt(n)))
    x = np.sin(np.clip(y, 0, np.pi / 2)) ** 2 * n
    return pd.DataFrame({"x": x, "n": n})


def test_overdispersion_recovers_known_tau():
    df = _simulated(3, tau=0.05)  # true τ² = 0.0025
    r = F.overdispersion(df["x"], df["n"], "proportion", average=0.3)
    assert r["phi"] > 2
    # winsorising shrinks φ, so the estimate is biased low; it must be of the right size
    assert 0.0015 < r["tau2"] < 0.0035


def test_no_overdispersion_in_binomial_data():
    rng = np.random.default_rng(5)
    n = rng.integers(200, 5000, 3000)
    x = rng.binomial(n, 0.3)
    r = F.overdispersion(x, n, "proportion")
    assert 0.6 < r["phi"] < 1.05  # winsorised φ of N(0,1) z-scores is about 0.8
    assert r["tau2"] == 0


def test_funnel_points_proportion_matches_primitives():
    rng = np.random.default_rng(1)
    n = rng.integers(50, 3000, 150)
    df = pd.DataFrame({"authority_code": [f"E{i:08d}" for i in range(150)], "num": rng.binomial(n, 0.6), "den": n})
    df.loc[0, "den"] = 0  # impossible row
    pts, summary = F.funnel_points(df, "num", "den", "proportion")
    valid = pts.index != 0
    average = df.loc[valid, "num"].sum() / df.loc[valid, "den"].sum()
    assert summary["average"] == pytest.approx(average) and summary["baseline"] == pytest.approx(average * 100)
    lo, hi = F.proportion_funnel_limits(df.loc[valid, "den"], average, 0.95, 100)
    assert pts.loc[valid, "lower_95"].to_numpy() == pytest.approx(lo)
    assert pts.loc[valid, "upper_95"].to_numpy() == pytest.approx(hi)
    sig = F.funnel_significance(df[valid], "num", "den")
    assert (pts.loc[valid, "significance"].to_numpy() == sig["significance"].to_numpy()).all()
    assert pd.isna(pts.loc[0, "significance"]) and np.isnan(pts.loc[0, "lower_95"])
    assert set(pts.loc[valid, "significance"]) <= LABELS
    assert summary["tau2"] == 0 or summary["phi"] > 1
    # with τ² = 0 the adjusted limits are the arcsine-scale normal limits, close to the plain ones
    if summary["tau2"] == 0:
        assert pts.loc[valid, "od_lower_95"].to_numpy() == pytest.approx(lo, abs=0.5)


def test_funnel_points_overdispersed_limits_are_wider():
    df = _simulated(9, tau=0.08)
    pts, summary = F.funnel_points(df, "x", "n", "proportion")
    assert summary["overdispersed"] and summary["tau2"] > 0
    assert (pts["od_upper_998"] - pts["od_lower_998"] > pts["upper_998"] - pts["lower_998"]).all()
    # far fewer councils flagged at 99.8% once over-dispersion is allowed for
    plain = pts["significance"].str.contains("0.001").sum()
    adjusted = pts["od_significance"].str.contains("0.001").sum()
    assert adjusted < plain / 3


def test_funnel_points_ratio_and_rate():
    df = pd.DataFrame({"obs": [5, 30, 12, 200], "exp": [4.0, 15.0, 12.5, 240.0]})
    pts, summary = F.funnel_points(df, "obs", "exp", "ratio")
    assert summary["baseline"] == 1
    # limits at E are exact Poisson limits of E divided by E
    lo, hi = F.sr_poisson_limits(df["exp"], 0.998)
    assert pts["lower_998"].to_numpy() == pytest.approx(lo) and pts["upper_998"].to_numpy() == pytest.approx(hi)
    sig = F.funnel_significance(df, "obs", "exp", "ratio")
    assert list(pts["significance"]) == list(sig["significance"])
    assert pts.loc[1, "significance"] == "High (0.001)"  # 30 observed against 15 expected
    rates = pd.DataFrame({"events": [50, 80, 20], "population": [10000, 12000, 9000]})
    pts, summary = F.funnel_points(rates, "events", "population", "rate", multiplier=1000)
    e = summary["average"] * rates["population"]
    assert pts["upper_95"].to_numpy() == pytest.approx(stats.chi2.ppf(0.975, 2 * e + 2) / 2 / rates["population"] * 1000)


def test_funnel_limits_curve():
    curve = F.funnel_limits_curve("proportion", 0.4, 10, 10000, n_points=50, tau2=0.001)
    assert list(curve.columns) == ["denominator", "baseline", "lower_95", "upper_95", "lower_998", "upper_998",
                                   "od_lower_95", "od_upper_95", "od_lower_998", "od_upper_998"]
    assert curve["denominator"].is_monotonic_increasing
    width = curve["upper_95"] - curve["lower_95"]
    assert width.is_monotonic_decreasing  # the funnel narrows
    lo, hi = F.proportion_funnel_limits(curve["denominator"], 0.4, 0.998, 100)
    assert curve["lower_998"].to_numpy() == pytest.approx(lo) and curve["upper_998"].to_numpy() == pytest.approx(hi)
    assert (curve["lower_998"] >= 0).all() and (curve["upper_998"] <= 100).all()


def test_bad_kind_is_a_user_error():
    with pytest.raises(ParameterError):
        F.funnel_points(pd.DataFrame({"a": [1], "b": [2]}), "a", "b", "median")
    with pytest.raises(ParameterError):
        F.funnel_significance(pd.DataFrame({"a": [3], "b": [2]}), "a", "b", "proportion")
