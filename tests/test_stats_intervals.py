"""Unit tests for ot_benchmark.stats.intervals beyond the PHE fixtures: hand calculations,
the indicator-table filler add_intervals, and the vectorised grouped median."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ot_benchmark.errors import ParameterError
from ot_benchmark.stats import intervals as I


def test_z_values():
    assert I.Z95 == pytest.approx(1.959964, abs=1e-6)
    assert I.Z998 == pytest.approx(3.090232, abs=1e-6)


def test_wilson_hand_calculation():
    # x = 30, n = 50, z = 1.959964: centre 2x + z² = 63.841459; root = z·√(z² + 4·30·(1 − 0.6))
    # = 1.959964·√51.841459 = 14.111939; denominator 2(n + z²) = 107.682918, giving
    # (63.841459 ∓ 14.111939) / 107.682918 = 0.461814, 0.723916
    z = I.Z95
    root = z * math.sqrt(z**2 + 4 * 30 * (1 - 30 / 50))
    lo_hand = (60 + z**2 - root) / (2 * (50 + z**2))
    hi_hand = (60 + z**2 + root) / (2 * (50 + z**2))
    assert lo_hand == pytest.approx(0.461814, abs=1e-6) and hi_hand == pytest.approx(0.723916, abs=1e-6)
    lo, hi = I.wilson(30, 50, 0.95)
    assert lo[0] == pytest.approx(lo_hand, rel=1e-12) and hi[0] == pytest.approx(hi_hand, rel=1e-12)


@pytest.mark.parametrize("x,n", [(5, 0), (-1, 10), (11, 10), (np.nan, 10), (3, np.nan)])
def test_wilson_impossible_inputs_give_nan(x, n):
    lo, hi = I.wilson(x, n)
    assert np.isnan(lo[0]) and np.isnan(hi[0])


def test_poisson_switch_at_ten():
    lo, hi, method = I.poisson_ci([0, 9, 10], 0.95)
    assert list(method) == ["poisson_exact", "poisson_exact", "byar"]
    # x = 0: lower 0, upper = χ²(0.975; 2)/2 = −log(0.025) = 3.688879
    assert lo[0] == 0 and hi[0] == pytest.approx(-math.log(0.025), rel=1e-12)
    assert lo[1] == pytest.approx(stats.chi2.ppf(0.025, 18) / 2, rel=1e-12)
    z = I.Z95
    assert lo[2] == pytest.approx(10 * (1 - 1 / 90 - z / (3 * math.sqrt(10))) ** 3, rel=1e-12)
    assert hi[2] == pytest.approx(11 * (1 - 1 / 99 + z / (3 * math.sqrt(11))) ** 3, rel=1e-12)


def test_byar_negative_lower_is_nan():
    lo, _ = I.byar([1], 0.998)  # 1·(1 − 1/9 − 3.090232/3)³ < 0
    assert np.isnan(lo[0])


def test_student_t_hand():
    # values 1, 2, 3, 4: mean 2.5, sd √(5/3) = 1.290994, t(0.975; 3) = 3.182446
    lo, hi = I.student_t_mean_ci(2.5, math.sqrt(5 / 3), 4, 0.95)
    half = 3.182446305 * math.sqrt(5 / 3) / 2
    assert lo[0] == pytest.approx(2.5 - half, rel=1e-8) and hi[0] == pytest.approx(2.5 + half, rel=1e-8)
    lo, hi = I.student_t_mean_ci(2.5, 1.0, 1, 0.95)
    assert np.isnan(lo[0]) and np.isnan(hi[0])


@pytest.mark.parametrize(
    "n,confidence,expected",
    [
        # n = 10: P(B ≤ 1) = 11/1024 = 0.0107 ≤ 0.025 < P(B ≤ 2) = 56/1024 → X(2), X(9)
        (10, 0.95, (2, 9)),
        # n = 6: P(B ≤ 0) = 1/64 = 0.0156 ≤ 0.025 < P(B ≤ 1) = 7/64 → X(1), X(6)
        (6, 0.95, (1, 6)),
        # n = 5: P(B ≤ 0) = 1/32 = 0.031 > 0.025 → no interval
        (5, 0.95, (-1, -1)),
        # n = 100: the classic table gives ranks 40 and 61 at 95%
        (100, 0.95, (40, 61)),
        # n = 10 at 99.8%: P(B ≤ 0) = 1/1024 = 0.00098 ≤ 0.001 → X(1), X(10)
        (10, 0.998, (1, 10)),
    ],
)
def test_median_ci_ranks(n, confidence, expected):
    lo, hi = I.median_ci_ranks(n, confidence)
    assert (int(lo[0]), int(hi[0])) == expected


def test_quantile_ci_ranks():
    # the 90th percentile of 20 values at 95%: B ~ Binomial(20, 0.9) has P(B <= 14) = 0.011 < 0.025
    # <= P(B <= 15) = 0.043, so the lower bound is X(15); the upper would need X(21): none (0)
    lo, hi = I.quantile_ci_ranks([20], 0.9, 0.95)
    assert (int(lo[0]), int(hi[0])) == (15, 0)
    # the median: the ranks of median_ci_ranks, 0 where n is too small for an interval
    lo, hi = I.quantile_ci_ranks([10, 5], 0.5, 0.95)
    assert lo.tolist() == [2, 0] and hi.tolist() == [9, 0]


def test_median_ci_values():
    r = I.median_ci([5, 1, 9, 3, 7, 2, 8, 4, 10, 6, np.nan])
    assert r == {"median": 5.5, "lower": 2.0, "upper": 9.0, "n": 10}
    r = I.median_ci([1, 2, 3])
    assert r["median"] == 2 and np.isnan(r["lower"]) and np.isnan(r["upper"])


def test_grouped_median_ci_equals_per_group():
    rng = np.random.default_rng(20241)
    sizes = rng.integers(1, 80, 300)
    df = pd.DataFrame({
        "la": np.repeat(np.arange(300) % 37, sizes).astype(str),
        "q": np.repeat(np.arange(300) // 37, sizes),
        "wait": rng.gamma(2.0, 20.0, sizes.sum()).round(),
    })
    df.loc[rng.choice(len(df), 50, replace=False), "wait"] = np.nan
    out = I.grouped_median_ci(df, "wait", ["la", "q"], 0.95)
    assert len(out) == df.groupby(["la", "q"]).ngroups
    for _, row in out.sample(60, random_state=1).iterrows():
        ref = I.median_ci(df.loc[(df.la == row.la) & (df.q == row.q), "wait"], 0.95)
        assert row["n"] == ref["n"]
        for k in ("median", "lower", "upper"):
            assert (np.isnan(ref[k]) and np.isnan(row[k])) or row[k] == ref[k]
        assert row["ci_method"] == ("order_statistic" if np.isfinite(ref["lower"]) else "none")


# --- add_intervals ----------------------------------------------------------------------------
CAT = pd.DataFrame({
    "indicator_id": ["P", "R", "N", "Q", "M", "D"],
    "method": ["proportion", "rate", "count", "ratio", "mean", "median"],
    "multiplier": [100, 1000, 1, 100, 1, 1],
})


def _table(rows):
    t = pd.DataFrame(rows, columns=["indicator_id", "numerator", "denominator"])
    t["authority_code"] = "E0600000" + pd.Series(range(len(t))).astype(str)
    return t


def test_add_intervals_methods_and_values():
    t = _table([("P", 30, 50), ("R", 5, 2000), ("R", 40, 2000), ("N", 7, np.nan), ("Q", 120, 80)])
    out = I.add_intervals(t, CAT)
    assert list(out["authority_code"]) == list(t["authority_code"])  # same rows, same order
    assert list(out["ci_method"]) == ["wilson", "poisson_exact", "byar", "poisson_exact", "byar"]
    for conf, s in ((0.95, "95"), (0.998, "998")):
        wl, wu = I.wilson(30, 50, conf)
        assert out.loc[0, f"lower_{s}"] == pytest.approx(wl[0] * 100, rel=1e-12)
        assert out.loc[0, f"upper_{s}"] == pytest.approx(wu[0] * 100, rel=1e-12)
        el, eu = I.poisson_exact(5, conf)
        assert out.loc[1, f"lower_{s}"] == pytest.approx(el[0] / 2000 * 1000, rel=1e-12)
        bl, bu = I.byar(40, conf)
        assert out.loc[2, f"upper_{s}"] == pytest.approx(bu[0] / 2000 * 1000, rel=1e-12)
        cl, cu = I.poisson_exact(7, conf)  # count: denominator missing → 1
        assert (out.loc[3, f"lower_{s}"], out.loc[3, f"upper_{s}"]) == pytest.approx((cl[0], cu[0]), rel=1e-12)
        ql, qu = I.byar(120, conf)  # ratio: treated as a rate of 120 events over 80
        assert out.loc[4, f"lower_{s}"] == pytest.approx(ql[0] / 80 * 100, rel=1e-12)
    # the 99.8% interval contains the 95% interval
    assert (out["lower_998"] <= out["lower_95"]).all() and (out["upper_998"] >= out["upper_95"]).all()


def test_add_intervals_leaves_mean_and_median_rows_alone():
    t = _table([("M", np.nan, 40), ("D", np.nan, 40)])
    t["lower_95"], t["upper_95"], t["lower_998"], t["upper_998"] = [1.0, 2.0], [3.0, 4.0], [0.5, 1.5], [3.5, 4.5]
    t["ci_method"] = ["student_t", "order_statistic"]
    out = I.add_intervals(t, CAT)
    pd.testing.assert_frame_equal(
        out[["lower_95", "upper_95", "lower_998", "upper_998"]],
        t[["lower_95", "upper_95", "lower_998", "upper_998"]],
    )
    assert list(out["ci_method"]) == ["student_t", "order_statistic"]


@pytest.mark.parametrize(
    "row",
    [("P", 5, 0), ("P", 60, 50), ("P", -1, 50), ("R", -2, 100), ("R", 3, 0), ("R", np.nan, 100),
     ("P", 5, np.nan), ("Q", 10, -5)],
)
def test_add_intervals_impossible_rows_get_nan_and_none(row):
    out = I.add_intervals(_table([row]), CAT)
    assert out[["lower_95", "upper_95", "lower_998", "upper_998"]].isna().all(axis=None)
    assert out.loc[0, "ci_method"] == "none"


def test_add_intervals_default_catalogue_is_the_built_in_one():
    from ot_benchmark.catalogue import load_catalogue

    cat = load_catalogue()
    prop_id = cat.loc[cat["method"] == "proportion", "indicator_id"].iloc[0]
    out = I.add_intervals(_table([(prop_id, 30, 50)]))
    mult = float(cat.loc[cat["indicator_id"] == prop_id, "multiplier"].iloc[0])
    assert out.loc[0, "ci_method"] == "wilson"
    assert out.loc[0, "lower_95"] == pytest.approx(I.wilson(30, 50)[0][0] * mult, rel=1e-12)


def test_add_intervals_names_missing_columns():
    with pytest.raises(ParameterError, match="numerator"):
        I.add_intervals(pd.DataFrame({"indicator_id": ["P"], "denominator": [3]}), CAT)


def test_confidence_must_be_a_proportion():
    with pytest.raises(ParameterError):
        I.wilson(1, 2, 95)


def test_quantile_functions_are_scipy_stats_exactly():
    """The interval functions read quantiles from scipy.special, as scipy.stats does inside
    each distribution's support (scipy.stats is slow to import); the figures are the same to
    the last bit, inside the support and outside it."""
    from scipy import stats

    from ot_benchmark.stats import intervals as iv

    for q in (1e-9, 0.001, 0.025, 0.5, 0.975, 0.999, 0.0, 1.0):
        assert np.array_equal(iv._norm_ppf(q), stats.norm.ppf(q), equal_nan=True)
        df = np.r_[1e-300, 0.5, 1.0, 2.0, 7.5, 20.0, 1e4, 0.0, -1.0, np.nan]
        assert np.array_equal(iv._chi2_ppf(q, df), stats.chi2.ppf(q, df), equal_nan=True)
        assert np.array_equal(iv._t_ppf(q, df), stats.t.ppf(q, df), equal_nan=True)
        n = np.r_[0.0, 1.0, 2.0, 5.0, 6.0, 10.0, 99.0, 1000.0, 123456.0]
        for p in (0.5, 0.9, 0.1, 0.0, 1.0):
            assert np.array_equal(iv._binom_quantile(q, n, p), stats.binom.ppf(q, n, p), equal_nan=True)
            k = np.r_[-1.0, 0.0, 0.5, 1.0, 3.0, 5.0, 9.0, 10.0, 500.0]
            nn = np.resize(n, len(k))
            assert np.array_equal(iv._binom_distribution(k, nn, p), stats.binom.cdf(k, nn, p), equal_nan=True)
    odd = np.r_[2.5, np.nan, -3.0]  # not whole counts: scipy.stats answers
    assert np.array_equal(iv._binom_quantile(0.025, odd, 0.5), stats.binom.ppf(0.025, odd, 0.5), equal_nan=True)
