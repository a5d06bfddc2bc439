"""Kaplan–Meier medians: hand-worked examples (R survival conventions), the vectorised
grouped implementation against the scipy.stats.ecdf reference, and edge cases."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.errors import ParameterError
from ot_benchmark.stats.survival import km_curve, km_median, km_median_by

Z = 1.959963984540054


def test_midpoint_rule_with_a_censored_wait():
    # waits 1..6, the wait of 4 still open (censored):
    #   t=1: 6 at risk, 1 event -> S = 5/6
    #   t=2: 5 at risk           -> S = 4/6
    #   t=3: 4 at risk           -> S = 3/6 = 0.5 exactly
    #   t=4: censored, S stays 0.5
    #   t=5: 2 at risk           -> S = 0.25
    # S sits at 0.5 from t=3 until it drops at t=5: median = (3 + 5) / 2 = 4 (R's midpoint rule).
    # Log-log band (Greenwood Σ d/(n(n−d)) = 1/30 at t=1): lower = S^exp(z·√(1/30)/(−log S))
    #   = (5/6)^exp(1.959964·0.182574/0.182322) = 0.273123 ≤ 0.5 -> lower limit of the median = 1.
    # Upper band: 0.974712, 0.904434, 0.803709, 0.645949 at t = 1, 2, 3, 5, then undefined at
    # S = 0 (t=6): it never falls to 0.5, so the upper limit is not reached (NaN), as in R.
    r = km_median([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 1])
    assert r["median"] == 4.0 and r["reached"]
    assert r["lower"] == 1.0 and np.isnan(r["upper"])
    assert (r["n"], r["events"]) == (6, 5)
    curve = km_curve([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 1])
    assert curve["survival"].tolist() == pytest.approx([1, 5 / 6, 4 / 6, 0.5, 0.5, 0.25, 0.0])
    assert curve["lower"].iloc[1] == pytest.approx(0.273123, abs=1e-6)
    assert curve["upper"].iloc[1:6].tolist() == pytest.approx([0.974712, 0.904434, 0.803709, 0.803709, 0.645949], abs=1e-6)
    assert np.isnan(curve["lower"].iloc[6]) and np.isnan(curve["upper"].iloc[6])


def test_twenty_uncensored_waits_match_r_by_hand():
    # waits 1..20, all ended: S(k) = 1 − k/20. S = 0.5 on [10, 11) -> median (10 + 11)/2 = 10.5
    # (equal to the ordinary sample median). Greenwood at k: Σ_{j≤k} 1/(n_j(n_j − 1)), n_j = 21 − j.
    # Lower band at k=4: 0.5511 (> 0.5); at k=5: S=0.75, G=1/60, −log S=0.287682,
    #   0.75^exp(1.959964·0.129099/0.287682) = 0.499944 ≤ 0.5 -> lower limit 5.
    # Upper band at k=14: 0.5014 (> 0.5); at k=15: 0.4485 -> upper limit 15.
    r = km_median(np.arange(1, 21), np.ones(20))
    assert (r["median"], r["lower"], r["upper"]) == (10.5, 5.0, 15.0)
    s, g = 1.0, 0.0
    for k in range(1, 6):
        n = 21 - k
        s *= 1 - 1 / n
        g += 1 / (n * (n - 1))
    assert s ** math.exp(Z * math.sqrt(g) / -math.log(s)) == pytest.approx(0.499944, abs=1e-6)


def test_curve_ending_exactly_at_half_uses_last_follow_up():
    # waits 1, 2 ended; 3, 4 still open: S = 0.75, 0.5 and the curve ends at 0.5.
    # R: median = (time S reached 0.5 + last follow-up time)/2 = (2 + 4)/2 = 3.
    assert km_median([1, 2, 3, 4], [1, 1, 0, 0])["median"] == 3.0


def test_not_reached():
    # 10 people, only 2 assessed: S never falls below 0.8
    r = km_median(np.arange(1, 11), [1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    assert np.isnan(r["median"]) and not r["reached"] and np.isnan(r["upper"])
    r = km_median([5, 6, 7], [0, 0, 0])  # nobody assessed
    assert np.isnan(r["median"]) and not r["reached"] and r["events"] == 0
    r = km_median([], [])
    assert r["n"] == 0 and not r["reached"]


def test_ties_between_events_and_censoring():
    # at t=2 one event and one censoring: the censored person is at risk at t=2.
    # S(1) = 4/5, S(2) = 4/5·3/4 = 0.6, S(3) = 0.6·(1 − 1/2) = 0.3 -> median 3
    r = km_median([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    assert r["median"] == 3.0
    assert km_curve([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])["survival"].tolist() == pytest.approx([1, 0.8, 0.6, 0.3, 0.3])


def _random_waits(seed: int, n_groups: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 60, n_groups)
    g = np.repeat(np.arange(n_groups), sizes)
    waits = rng.integers(0, 40, g.size).astype(float)  # integer days: many ties
    observed = (rng.random(g.size) < rng.uniform(0.2, 0.95, n_groups)[g]).astype(int)
    return pd.DataFrame({"la": g % 50, "quarter": g // 50, "wait": waits, "ended": observed})


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_vectorised_equals_scipy_reference(confidence):
    df = _random_waits(7, 400)
    got = km_median_by(df, ["la", "quarter"], "wait", "ended", confidence)
    assert len(got) == df.groupby(["la", "quarter"]).ngroups
    for _, row in got.iterrows():
        sub = df[(df["la"] == row["la"]) & (df["quarter"] == row["quarter"])]
        ref = km_median(sub["wait"], sub["ended"], confidence)
        assert (row["n"], row["events"], row["reached"]) == (ref["n"], ref["events"], ref["reached"])
        for k in ("median", "lower", "upper"):
            assert (np.isnan(ref[k]) and np.isnan(row[k])) or row[k] == pytest.approx(ref[k], rel=1e-12), k


def test_grouped_is_fast_enough_for_ten_thousand_groups():
    df = _random_waits(11, 10_000)  # ~300k waits in 10k groups
    t0 = time.perf_counter()
    out = km_median_by(df, ["la", "quarter"], "wait", "ended")
    elapsed = time.perf_counter() - t0
    assert len(out) == 10_000
    assert elapsed < 20  # about 0.3 s on one core; generous for a shared machine


def test_negative_wait_is_a_user_error():
    with pytest.raises(ParameterError, match="negative"):
        km_median([1, -2], [1, 1])
    with pytest.raises(ParameterError, match="observed"):
        km_median([1, 2], [1, 2])


def test_missing_values_are_dropped_in_groups():
    df = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 3, "t": [1, 2, np.nan, 3, 1, 2, 3], "e": [1, 1, 1, 1, 1, np.nan, 1]})
    out = km_median_by(df, "g", "t", "e").set_index("g")
    assert out.loc["a", "n"] == 3 and out.loc["a", "median"] == 2.0
    assert out.loc["b", "n"] == 2 and out.loc["b", "median"] == 2.0  # S: 0.5 on [1, 3) -> (1+3)/2
