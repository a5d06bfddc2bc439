"""Hand-worked checks of the group statistics in ot_benchmark.stats.quantiles (the PHE quantile
rule itself is checked against PHE's fixture in test_conformance_quantiles.py)."""

import numpy as np
import pandas as pd

from ot_benchmark.stats.quantiles import grouped_mad, mad_distance, phe_quantile_of_rank, type7_quartile


def test_grouped_mad_is_unscaled_median_absolute_deviation():
    # group a: median of 50 60 60 70 80 90 = 65; |dev| = 15 5 5 5 15 25 -> median 10
    # group b: 1 1 4 -> median 1, |dev| 0 0 3 -> MAD 0 (a missing value is left out)
    df = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 4, "v": [50, 60, 60, 70, 80, 90, 1, 1, 4, np.nan]})
    assert grouped_mad(df, "v", "g").to_dict() == {"a": 10.0, "b": 0.0}


def test_mad_distance_edges():
    got = mad_distance([85, 1, 4, 0, np.nan], [65, 1, 1, 1, 1], [10, 0, 0, 0, 1])
    np.testing.assert_array_equal(got, [2.0, 0.0, np.inf, -np.inf, np.nan])


def test_type7_quartile():
    # -90 -80 -70 -60 -60 -50: 25th = -77.5, 50th = -65, 75th = -60 (type 7)
    df = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 3, "k": [-60, -80, -90, -60, -70, -50, 1, 2, 3]})
    got = type7_quartile(df, "k", "g")
    np.testing.assert_array_equal(got, [3, 1, 1, 3, 2, 4, np.nan, np.nan, np.nan])  # b: fewer than 4


def test_phe_quantile_of_rank_quartiles_of_six():
    # n = 6, n/4 = 1.5: ranks 1..6 -> quartiles 1 1 2 3 3 4; fewer values than quantiles -> NaN
    np.testing.assert_array_equal(phe_quantile_of_rank([1, 2, 3, 4, 5, 6], 6), [1, 1, 2, 3, 3, 4])
    assert np.isnan(phe_quantile_of_rank([1], 3)[0])
