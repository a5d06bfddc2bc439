"""Tests of ot_benchmark.compare.benchmark against a small hand-made group whose answers are worked out
by hand in the comments, plus the PHE funnel and quantile fixtures for the building blocks.

The group: six councils A-F (A = E06000001 ... F = E06000006), each the others' comparators,
and an outsider G (E06000099) that is in the table but in nobody's group.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.compare.benchmark import (
    BENCHMARK_COLUMNS,
    benchmark,
    mad_band,
    resolve_group,
    significance_label,
    trend,
)
from ot_benchmark.errors import NoComparatorGroup, ParameterError
from ot_benchmark.stats.funnel import funnel_flag, overdispersion
from ot_benchmark.stats.quantiles import phe_quantile_of_rank

CONF = Path(__file__).parent / "conformance"
A, B, C, D, E, F = (f"E0600000{i}" for i in range(1, 7))
G = "E06000099"
COUNCILS = [A, B, C, D, E, F]
GROUPS = {x: [y for y in COUNCILS if y != x] for x in COUNCILS}
Q = "2024-25 Q1"

CATALOGUE = pd.DataFrame(
    {
        "indicator_id": ["W5", "W2_median", "K1", "W1", "C4", "E3", "E6"],
        "name": [
            "Assessed within priority target", "Completed wait, median", "Complaints per 1,000 active cases",
            "People waiting", "Vacancy rate", "Reuse rate (count)", "Recycling credit",
        ],
        "unit": ["%", "days", "per 1,000", "people", "%", "%", "£"],
        "multiplier": [100, 1, 1000, 1, 100, 100, 1],
        "polarity": ["higher_is_better", "lower_is_better", "context", "context", "lower_is_better",
                     "higher_is_better", "higher_is_better"],
        "method": ["proportion", "median", "rate", "count", "proportion", "proportion", "count"],
    }
)


def _rows(ind, unit, nums, dens, vals, lo=None, up=None, breakdown="all", codes=COUNCILS, period=Q):
    n = len(vals)
    return pd.DataFrame(
        {
            "authority_code": codes[:n], "period": period, "indicator_id": ind, "breakdown": breakdown,
            "numerator": nums, "denominator": dens, "value": vals, "unit": unit,
            "lower_95": lo if lo is not None else [np.nan] * n,
            "upper_95": up if up is not None else [np.nan] * n,
            "lower_998": np.nan, "upper_998": np.nan, "ci_method": "none", "source": "return",
        }
    )


def make_table():
    nan6 = [np.nan] * 6
    parts = [
        # W5 (proportion, %): A 60/100, B 80/100, C 45/50, D 30/50, E 140/200, F 50/100
        # values 60, 80, 90, 60, 70, 50. CIs: value ± 9 (hand-typed inputs, only their position matters).
        _rows("W5", "%", [60, 80, 45, 30, 140, 50], [100, 100, 50, 50, 200, 100], [60, 80, 90, 60, 70, 50],
              [51, 71, 81, 51, 61, 41], [69, 89, 99, 69, 79, 59]),
        # outsider G: 1000/1000 would move the pooled value if wrongly included
        _rows("W5", "%", [1000], [1000], [100], [99], [100], codes=[G]),
        # W5 by priority: only A (5/10) and B (9/10)
        _rows("W5", "%", [5, 9], [10, 10], [50, 90], [24, 60], [76, 98], breakdown="priority:urgent"),
        # W2_median (days, lower is better): 40, 30, 30, 50, 20, 100; only A has a CI (36, 46)
        _rows("W2_median", "days", nan6, nan6, [40, 30, 30, 50, 20, 100],
              [36] + [np.nan] * 5, [46] + [np.nan] * 5),
        # K1 (context rate per 1,000): 12/4000, 20/5000, 9/3000, 30/6000, 8/4000, 21/3000
        # values 3, 4, 3, 5, 2, 7
        _rows("K1", "per 1,000", [12, 20, 9, 30, 8, 21], [4000, 5000, 3000, 6000, 4000, 3000],
              [3.0, 4.0, 3.0, 5.0, 2.0, 7.0], [1.55] * 6, [5.24] * 6),
        # W1 (context count, no CI)
        _rows("W1", "people", nan6, nan6, [520, 300, 410, 700, 250, 900]),
        # C4 vacancy (%, lower is better): 5.4/40, 2/40, 3/30, 8/40, 1/20, 6/50 -> 13.5, 5, 10, 20, 5, 12
        _rows("C4", "%", [5.4, 2, 3, 8, 1, 6], [40, 40, 30, 40, 20, 50], [13.5, 5, 10, 20, 5, 12],
              [6, 1, 4, 11, 1, 6], [28, 17, 26, 35, 24, 24]),
        # E3 reuse (%): 70/100, 80/100, 90/100, 85/100, 60/100, 75/100
        _rows("E3", "%", [70, 80, 90, 85, 60, 75], [100] * 6, [70, 80, 90, 85, 60, 75],
              [60.4, 71, 82, 76, 50, 65], [77.9, 87, 95, 91, 69, 83]),
        # E6 recycling credit (£): 3500, 5000, 2000, 4000, 1000, 3000 (no CI)
        _rows("E6", "£", nan6, nan6, [3500, 5000, 2000, 4000, 1000, 3000]),
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def table():
    return make_table()


@pytest.fixture(scope="module")
def bench_a(table):
    return benchmark(table, A, Q, GROUPS, catalogue=CATALOGUE).set_index(["indicator_id", "breakdown"])


def _all_subjects(table, **kw):
    """benchmark() for every council as the subject, stacked."""
    return pd.concat([benchmark(table, x, Q, GROUPS, catalogue=CATALOGUE, **kw) for x in COUNCILS])


# ------------------------------------------------------------------ comparator value


def test_pooled_comparator_value_includes_self_by_default(bench_a):
    r = bench_a.loc[("W5", "all")]
    # sum num = 60+80+45+30+140+50 = 405; sum den = 100+100+50+50+200+100 = 600; 405/600 = 67.5%
    assert r.comparator_method == "pooled"
    assert r.comparator_numerator == 405 and r.comparator_denominator == 600
    assert r.comparator_value == pytest.approx(67.5)
    assert r.n_comparators == 6 and bool(r.comparator_includes_self)


def test_pooled_comparator_value_excluding_self(table):
    r = benchmark(table, A, Q, GROUPS, catalogue=CATALOGUE, include_self=False).set_index("indicator_id").loc["W5"]
    r = r[r.breakdown == "all"].iloc[0]
    # B..F: (80+45+30+140+50) / (100+50+50+200+100) = 345/500 = 69%
    assert r.comparator_value == pytest.approx(69.0)
    assert r.n_comparators == 5
    # group median of B..F values 80, 90, 60, 70, 50 -> 70
    assert r.group_median == pytest.approx(70.0)
    # rank still counts the subject: A (60) ties D for 4th of 6
    assert r["rank"] == 4 and r.n_in_group == 6


def test_median_indicator_uses_group_median(bench_a):
    r = bench_a.loc[("W2_median", "all")]
    # 20, 30, 30, 40, 50, 100 -> median (30 + 40) / 2 = 35
    assert r.comparator_method == "group_median"
    assert r.comparator_value == pytest.approx(35.0)
    assert np.isnan(r.comparator_numerator)


def test_rate_indicator_pooled_per_1000(bench_a):
    r = bench_a.loc[("K1", "all")]
    # (12+20+9+30+8+21) / (4000+5000+3000+6000+4000+3000) = 100/25000 x 1000 = 4.0
    assert r.comparator_method == "pooled"
    assert r.comparator_value == pytest.approx(4.0)


def test_breakdown_is_compared_within_breakdown(bench_a):
    r = bench_a.loc[("W5", "priority:urgent")]
    # only A and B: (5 + 9) / (10 + 10) = 70%
    assert r.comparator_value == pytest.approx(70.0)
    assert r.n_comparators == 2 and r.n_in_group == 2
    # fewer than 4 councils: no PHE quartile; fewer than 3: no MAD distance
    assert pd.isna(r.quartile)
    assert np.isnan(r.mad_distance) and pd.isna(r.mad_band)


# ------------------------------------------------------------------ labels


def test_labels_by_polarity(bench_a):
    # W5: A's CI (51, 69) contains 67.5 -> similar
    assert bench_a.loc[("W5", "all"), ["comparison", "assessment"]].tolist() == ["similar", "similar"]
    # W2_median: CI (36, 46) entirely above 35 -> higher; lower is better -> worse
    assert bench_a.loc[("W2_median", "all"), ["comparison", "assessment", "fingertips_label"]].tolist() == [
        "higher", "worse", "Worse"]
    # K1 is context: CI (1.55, 5.24) contains 4 -> similar, assessment not_applicable
    assert bench_a.loc[("K1", "all"), ["comparison", "assessment"]].tolist() == ["similar", "not_applicable"]


def test_not_compared_without_ci(bench_a):
    for ind in ("W1", "E6"):
        r = bench_a.loc[(ind, "all")]
        assert r.comparison == "not_compared" and r.assessment == "not_compared"
        assert r.fingertips_label == "Not compared"
        # a count (W1) and a £ total (E6, a count in this catalogue) grow with the council's size:
        # no verdict against other councils, and the note says why (W1 is compared per 10,000 adults)
        assert r.verdict == "not_compared" and r.verdict_basis == "none"
        assert r.note.startswith("a total grows with the council's size")
    assert "W1_per_10k" in bench_a.loc[("W1", "all"), "note"]
        # a comparator value is still given (group median of W1: 250 300 410 520 700 900 -> 465)
    assert bench_a.loc[("W1", "all"), "comparator_value"] == pytest.approx(465.0)


def test_better_and_worse_for_lower_is_better():
    out = significance_label([1.0, 6.0], [2.0, 8.0], 4.0, "lower_is_better")
    assert out["assessment"].tolist() == ["better", "worse"]


# ------------------------------------------------------------------ rank and quartile


def test_ranks_with_ties_and_polarity(table):
    allb = _all_subjects(table).set_index(["indicator_id", "breakdown", "authority_code"]).sort_index()
    # W5 higher is better: C 90 ->1, B 80 ->2, E 70 ->3, A 60 & D 60 -> 4 (tie, lowest rank), F 50 -> 6
    assert allb.loc[("W5", "all"), "rank"].loc[COUNCILS].tolist() == [4, 2, 1, 4, 3, 6]
    # W2_median lower is better: E 20 ->1, B 30 & C 30 -> 2, A 40 -> 4, D 50 -> 5, F 100 -> 6
    assert allb.loc[("W2_median", "all"), "rank"].loc[COUNCILS].tolist() == [4, 2, 2, 5, 1, 6]
    # K1 context, by value descending: F 7 ->1, D 5 ->2, B 4 ->3, A 3 & C 3 -> 4, E 2 -> 6
    k1 = allb.loc[("K1", "all")]
    assert k1["rank"].loc[COUNCILS].tolist() == [4, 3, 4, 2, 6, 1]
    assert set(k1["rank_order"]) == {"1 = highest value (context: no better or worse)"}
    assert (allb["n_in_group"].loc[("W5", "all")] == 6).all()


def test_phe_quartiles(table):
    allb = _all_subjects(table).set_index(["indicator_id", "breakdown", "authority_code"]).sort_index()
    # PHE: q = floor(5 - ceil((n + 1 - rank) / (n / 4))), n = 6 so n/4 = 1.5:
    # rank 1: ceil(6/1.5)=4 -> 1; rank 2: ceil(3.33)=4 -> 1; rank 3: ceil(2.67)=3 -> 2;
    # rank 4: ceil(2)=2 -> 3; rank 5: ceil(1.33)=2 -> 3; rank 6: ceil(0.67)=1 -> 4
    # W5 ranks A4 B2 C1 D4 E3 F6 -> quartiles 3 1 1 3 2 4
    assert allb.loc[("W5", "all"), "quartile"].loc[COUNCILS].tolist() == [3, 1, 1, 3, 2, 4]
    assert set(allb["quartile_method"]) == {"phe"}


def test_type7_quartiles(table):
    allb = _all_subjects(table, quartile_method="type7").set_index(["indicator_id", "breakdown", "authority_code"]).sort_index()
    # keys = -value (higher is better): -90 -80 -70 -60 -60 -50; type-7 cut points:
    # 25%: h = 5 x 0.25 = 1.25 -> -80 + 0.25 x 10 = -77.5; 50%: -70 + 0.5 x 10 = -65; 75%: h = 3.75 -> -60
    # A -60 <= -60 -> 3; B -80 <= -77.5 -> 1; C -90 -> 1; D -60 -> 3; E -70 <= -65 -> 2; F -50 -> 4
    assert allb.loc[("W5", "all"), "quartile"].loc[COUNCILS].tolist() == [3, 1, 1, 3, 2, 4]


def test_phe_quartile_matches_phe_fixture():
    # PHEindicatormethods testdata_Quantiles: the groupings by indicator x sex (x region).
    q = pd.read_csv(CONF / "phe_quantile.csv", keep_default_na=False, na_values=[""])
    for group_set, keys in (("IndSexReg", ["test_set", "indicator_sex", "parent_code"]),
                            ("IndSex", ["test_set", "indicator_sex"])):
        d = q[q["group_set"] == group_set].copy()
        g = d.groupby(keys)["value"]
        d["adj"] = np.where(d["invert"], g.transform("max") - d["value"], d["value"])
        d["rank"] = d.groupby(keys)["adj"].rank(method="min")
        got = phe_quantile_of_rank(d["rank"], g.transform("count"), d["nquantiles"])
        np.testing.assert_array_equal(got, d["expected_quantile"].to_numpy(dtype=float))


# ------------------------------------------------------------------ robust distance


def test_mad_distance_and_bands(table):
    allb = _all_subjects(table).set_index(["indicator_id", "breakdown", "authority_code"]).sort_index()
    w5 = allb.loc[("W5", "all")]
    # median of 50 60 60 70 80 90 = 65; |dev| = 15 5 5 5 15 25 -> sorted 5 5 5 15 15 25 -> MAD 10
    assert (w5["group_mad"] == 10).all() and (w5["group_median"] == 65).all()
    # A: (60 - 65)/10 = -0.5 (edge -> broadly similar); F: -1.5 (edge -> somewhat below); C: +2.5 -> above
    assert w5.loc[A, "mad_distance"] == pytest.approx(-0.5) and w5.loc[A, "mad_band"] == "broadly similar"
    assert w5.loc[F, "mad_distance"] == pytest.approx(-1.5) and w5.loc[F, "mad_band"] == "somewhat below"
    assert w5.loc[C, "mad_distance"] == pytest.approx(2.5) and w5.loc[C, "mad_band"] == "above"
    # W2_median: median 35, |dev| 5 5 5 15 15 65 -> MAD 10; F (100 - 35)/10 = 6.5 -> well above
    assert allb.loc[("W2_median", "all", F), "mad_band"] == "well above"


def test_mad_band_edges_words():
    got = mad_band([0.0, 0.5, 0.51, 1.5, 1.6, 3.0, 3.1, 7.5, 7.6, -8, np.inf, -np.inf, np.nan]).tolist()
    assert got[:12] == [
        "broadly similar", "broadly similar", "somewhat above", "somewhat above", "above", "above",
        "well above", "well above", "far above", "far below",
        "above (no spread in group)", "below (no spread in group)",
    ]
    assert pd.isna(got[12])


def test_mad_zero(table):
    # every comparator at 100%, the subject too -> distance 0; subject at 95% -> -inf "below (no spread)"
    t = _rows("W5", "%", [10, 10, 10, 10], [10, 10, 10, 10], [100.0, 100, 100, 100], [72] * 4, [100] * 4)
    r = benchmark(t, A, Q, GROUPS, catalogue=CATALOGUE).iloc[0]
    assert r.group_mad == 0 and r.mad_distance == 0 and r.mad_band == "broadly similar"
    t2 = _rows("W5", "%", [19, 10, 10, 10, 10], [20, 10, 10, 10, 10], [95.0, 100, 100, 100, 100], [76] * 5, [100] * 5)
    r2 = benchmark(t2, A, Q, GROUPS, catalogue=CATALOGUE).iloc[0]
    # median 100; |dev| 5 0 0 0 0 -> MAD 0; A differs -> -inf
    assert r2.group_mad == 0 and r2.mad_distance == -np.inf and r2.mad_band == "below (no spread in group)"


# ------------------------------------------------------------------ funnel


def test_funnel_flag_in_benchmark(table):
    allb = _all_subjects(table).set_index(["indicator_id", "breakdown", "authority_code"]).sort_index()
    w5 = allb.loc[("W5", "all")]
    # p-bar = 405/600 = 0.675. At n = 100: sd = sqrt(0.675 x 0.325 / 100) = 0.046838;
    # 95% lower limit 0.675 - 1.959964 x 0.046838 = 0.58320; 99.8% lower 0.675 - 3.090232 x 0.046838 = 0.53026.
    # F = 0.50: below both 0.58320 and 0.53026 -> Low (0.001). A = 0.60 -> Not significant.
    # Upper limits at n = 100: 95% 0.675 + 0.091801 = 0.76680; 99.8% 0.675 + 0.144744 = 0.81974;
    # B = 0.80 lies between them -> High (0.025).
    assert w5.loc[F, "funnel_flag"] == "Low (0.001)"
    assert w5.loc[A, "funnel_flag"] == "Not significant"
    assert w5.loc[B, "funnel_flag"] == "High (0.025)"
    # median indicators have no funnel
    assert pd.isna(allb.loc[("W2_median", "all", A), "funnel_flag"])
    # K1 (rate): A observed 12, expected 0.004 x 4000 = 16; Byar 95% limits of 12:
    # 12 (1 - 1/108 - 1.96/(3 sqrt 12))^3 = 6.19, 13 (1 - 1/117 + 1.96/(3 sqrt 13))^3 = 20.96 -> Not significant
    assert allb.loc[("K1", "all", A), "funnel_flag"] == "Not significant"


def test_overdispersion_phi_by_hand(table):
    # W5, all six councils (subject included by default), p-bar = 405/600 = 0.675,
    # theta0 = asin(sqrt(0.675)) = 0.964184. z = (asin(sqrt(x/n)) - theta0) x 2 sqrt(n):
    #   A 60/100: asin(sqrt .6) = 0.886077 -> (0.886077 - 0.964184) x 20 = -1.562132
    #   B 80/100: asin(sqrt .8) = 1.107149 -> +2.859300
    #   C 45/50:  asin(sqrt .9) = 1.249046 -> 0.284862 x 2 sqrt 50 = +4.028558
    #   D 30/50:  0.886077 -> -0.078107 x 14.142136 = -1.104594
    #   E 140/200: asin(sqrt .7) = 0.991157 -> 0.026972 x 28.284271 = +0.762908
    #   F 50/100: pi/4 = 0.785398 -> -3.575711
    # Winsorise at the 10th and 90th percentiles (linear, position 0.5 and 4.5 of 0..5):
    #   lower = (-3.575711 + -1.562132)/2 = -2.568921, upper = (2.859300 + 4.028558)/2 = 3.443929
    #   -> F becomes -2.568921, C becomes 3.443929.
    # phi = mean z_w^2 = (2.440256 + 8.175596 + 11.860647 + 1.220128 + 0.582028 + 6.599355)/6
    #     = 30.878010/6 = 5.146335
    # tau2 = (k phi - (k - 1)) / (sum w - sum w^2 / sum w), w = 4n = 400,400,200,200,800,400:
    #     = (30.878010 - 5) / (2400 - 1200000/2400) = 25.878010/1900 = 0.013620
    allb = _all_subjects(table).set_index(["indicator_id", "breakdown", "authority_code"]).sort_index()
    w5 = allb.loc[("W5", "all")]
    assert w5["funnel_phi"].to_numpy() == pytest.approx([5.146335] * 6, abs=1e-5)
    assert w5["funnel_tau2"].to_numpy() == pytest.approx([0.013620] * 6, abs=1e-6)
    # the same as the library's over-dispersion on the same inputs
    od = overdispersion([60, 80, 45, 30, 140, 50], [100, 100, 50, 50, 200, 100], "proportion")
    assert w5.loc[A, "funnel_phi"] == pytest.approx(od["phi"], rel=1e-12)
    # widened limits at n = 100: sin^2(theta0 -/+ z sqrt(1/400 + 0.013620)):
    #   95%: half = 1.959964 x sqrt(0.016120) = 0.248846 -> lower sin^2(0.715338) = 0.430169,
    #        upper sin^2(1.213030) = 0.877372; 99.8%: half = 0.392351 -> lower 0.292870.
    # F 50%: plain Low (0.001), adjusted above 43.0% -> Not significant.
    # B 80%: plain High (0.025), adjusted below 87.7% -> Not significant.
    assert w5.loc[F, "funnel_flag"] == "Low (0.001)" and w5.loc[F, "funnel_flag_od"] == "Not significant"
    assert w5.loc[B, "funnel_flag"] == "High (0.025)" and w5.loc[B, "funnel_flag_od"] == "Not significant"
    # K1 (rate) against the library on the same inputs; median and priority:urgent (2 councils) NaN
    k1 = overdispersion([12, 20, 9, 30, 8, 21], [4000, 5000, 3000, 6000, 4000, 3000], "rate")
    assert allb.loc[("K1", "all", A), "funnel_phi"] == pytest.approx(k1["phi"], rel=1e-12)
    assert allb.loc[("K1", "all", A), "funnel_tau2"] == pytest.approx(k1["tau2"], rel=1e-12)
    assert pd.isna(allb.loc[("W2_median", "all", A), "funnel_phi"])
    assert pd.isna(allb.loc[("W2_median", "all", A), "funnel_flag_od"])
    assert pd.isna(allb.loc[("W5", "priority:urgent", A), "funnel_phi"])
    assert pd.isna(allb.loc[("W5", "priority:urgent", A), "funnel_flag_od"])


def test_overdispersion_excluding_self_uses_the_comparators(table):
    # B..F only: p-bar = 345/500 = 0.69; phi from the same function on those five councils
    r = benchmark(table, A, Q, GROUPS, catalogue=CATALOGUE, include_self=False)
    r = r[(r.indicator_id == "W5") & (r.breakdown == "all")].iloc[0]
    od = overdispersion([80, 45, 30, 140, 50], [100, 50, 50, 200, 100], "proportion")
    assert od["average"] == pytest.approx(0.69)
    assert r.funnel_phi == pytest.approx(od["phi"], rel=1e-12)
    assert r.funnel_tau2 == pytest.approx(od["tau2"], rel=1e-12)


def test_no_overdispersion_keeps_the_plain_flag():
    # five councils all at exactly 50/100: every z is 0, so phi = 0 (<= 1), tau2 = 0, the limits
    # are not widened and the adjusted flag repeats the plain one
    t = _rows("W5", "%", [50] * 5, [100] * 5, [50.0] * 5, [40.4] * 5, [59.6] * 5)
    r = benchmark(t, A, Q, GROUPS, catalogue=CATALOGUE).iloc[0]
    assert r.funnel_phi == 0 and r.funnel_tau2 == 0
    assert r.funnel_flag == "Not significant" and r.funnel_flag_od == r.funnel_flag


def test_funnel_flag_matches_phe_proportion_fixture():
    f = pd.read_csv(CONF / "phe_funnel_proportion_significance.csv")
    avg = f["numerator"].sum() / f["denominator"].sum()
    got = funnel_flag(f["numerator"], f["denominator"], avg, "proportion")
    assert list(got) == f["expected_significance"].tolist()


def test_funnel_flag_matches_phe_ratio_fixture():
    f = pd.read_csv(CONF / "phe_funnel_ratio_significance.csv")
    # O/E against 1: observed events over expected events, tested like a rate whose average is 1
    got = funnel_flag(f["obs"], f["expected"], 1.0, "rate")
    assert list(got) == f["expected_significance"].tolist()


# ------------------------------------------------------------------ best-performer gap


def test_best_performer_gap_in_managers_units(bench_a):
    w5 = bench_a.loc[("W5", "all")]
    # 75th percentile (type 7) of 50 60 60 70 80 90: h = 5 x 0.75 = 3.75 -> 70 + 0.75 x 10 = 77.5
    # gap 77.5 - 60 = 17.5 points; x 100 assessments / 100 = 17.5 more people assessed in time
    assert w5.best_quartile_value == pytest.approx(77.5)
    assert w5.gap_to_best_quartile == pytest.approx(17.5)
    assert w5.gap_counts == pytest.approx(17.5)
    assert w5.gap_counts_meaning == "more people assessed within their priority target"

    w2 = bench_a.loc[("W2_median", "all")]
    # lower is better: 25th percentile of 20 30 30 40 50 100: h = 1.25 -> 30 + 0.25 x 0 = 30; gap 40 - 30 = 10 days
    assert w2.best_quartile_value == pytest.approx(30.0)
    assert w2.gap_to_best_quartile == pytest.approx(10.0)
    assert np.isnan(w2.gap_counts)

    c4 = bench_a.loc[("C4", "all")]
    # 25th percentile of 5 5 10 12 13.5 20: h = 1.25 -> 5 + 0.25 x 5 = 6.25; gap 13.5 - 6.25 = 7.25 points
    # x 40 WTE establishment / 100 = 2.9 WTE vacancies to fill
    assert c4.best_quartile_value == pytest.approx(6.25)
    assert c4.gap_counts == pytest.approx(2.9)
    assert c4.gap_counts_meaning == "vacant WTE filled"

    e3 = bench_a.loc[("E3", "all")]
    # 75th percentile of 60 70 75 80 85 90: h = 3.75 -> 80 + 0.75 x 5 = 83.75; gap 13.75 points
    # x 100 collected / 100 = 13.75 items; A's £ per item = E6 £3,500 / 70 items = £50 -> £687.50
    assert e3.gap_counts == pytest.approx(13.75)
    assert e3.gap_gbp == pytest.approx(687.5)

    e6 = bench_a.loc[("E6", "all")]
    # 75th percentile of 1000 2000 3000 3500 4000 5000: h = 3.75 -> 3500 + 0.75 x 500 = 3875; gap £375
    assert e6.best_quartile_value == pytest.approx(3875)
    assert e6.gap_gbp == pytest.approx(375)

    k1 = bench_a.loc[("K1", "all")]
    assert np.isnan(k1.best_quartile_value) and np.isnan(k1.gap_to_best_quartile)


def test_gap_is_zero_for_the_best(table):
    r = benchmark(table, C, Q, GROUPS, catalogue=CATALOGUE).set_index(["indicator_id", "breakdown"]).loc[("W5", "all")]
    assert r.gap_to_best_quartile == 0 and r.gap_counts == 0


# ------------------------------------------------------------------ shape and errors


def test_output_columns_identifier_safe_and_documented(table):
    out = benchmark(table, A, Q, GROUPS, catalogue=CATALOGUE)
    assert list(out.columns) == BENCHMARK_COLUMNS
    assert all(c.isidentifier() for c in out.columns)
    # one row per indicator x breakdown of the subject
    assert len(out) == 8
    assert set(out["indicator_name"]) >= {"Assessed within priority target", "People waiting"}
    assert out.attrs["quartile_method"].startswith("PHE quantile")


def test_no_comparator_group_is_an_error(table):
    for group in ([], {B: [C, D]}, pd.DataFrame({"authority_code": [B], "neighbour_code": [C]})):
        with pytest.raises(NoComparatorGroup, match=A):
            benchmark(table, A, Q, group, catalogue=CATALOGUE)
    # a group of only the council itself is no group
    with pytest.raises(NoComparatorGroup):
        resolve_group(A, [A])


def test_unknown_council_or_period(table):
    with pytest.raises(ParameterError, match="E09999999"):
        benchmark(table, "E09999999", Q, COUNCILS, catalogue=CATALOGUE)
    with pytest.raises(ParameterError, match="2020-21 Q1"):
        benchmark(table, A, "2020-21 Q1", GROUPS, catalogue=CATALOGUE)


def test_indicator_missing_from_catalogue_is_not_compared(table):
    t = pd.concat([table, _rows("LOCAL1", "%", [1, 2], [2, 4], [50.0, 50.0], [10, 10], [90, 90])])
    r = benchmark(t, A, Q, GROUPS, catalogue=CATALOGUE).set_index("indicator_id").loc["LOCAL1"]
    assert r.comparison == "not_compared" and "not in the catalogue" in r.note


# ------------------------------------------------------------------ trend


def test_trend_changes_and_group():
    # A's W5 over four quarters (2023-24 Q4 missing on purpose); B at 80/100 every quarter.
    periods = ["2023-24 Q1", "2023-24 Q2", "2023-24 Q3", "2024-25 Q1"]
    a_vals = [50.0, 52.0, 70.0, 60.0]
    lo = [40.0, 42.0, 63.0, 51.0]
    up = [60.0, 62.0, 77.0, 69.0]
    t = pd.concat(
        [_rows("W5", "%", [v], [100], [v], [l], [u], codes=[A], period=p) for p, v, l, u in zip(periods, a_vals, lo, up)]
        + [_rows("W5", "%", [80], [100], [80.0], [71], [87], codes=[B], period=p) for p in periods]
    )
    tr = trend(t, A, "W5", group=[B], catalogue=CATALOGUE)
    assert tr["period"].tolist() == periods
    assert all(c.isidentifier() for c in tr.columns)
    # 2023-24 Q2: 52 - 50 = 2 (+4.0%); CIs (42, 62) and (40, 60) overlap -> not beyond
    assert tr.loc[1, "qoq_change"] == pytest.approx(2.0)
    assert tr.loc[1, "qoq_change_pct"] == pytest.approx(4.0)
    assert not tr.loc[1, "qoq_beyond_ci"]
    # 2023-24 Q3: 70 - 52 = 18 (+34.615%); lower 63 > previous upper 62 -> beyond the CIs
    assert tr.loc[2, "qoq_change"] == pytest.approx(18.0)
    assert tr.loc[2, "qoq_change_pct"] == pytest.approx(18 / 52 * 100)
    assert tr.loc[2, "qoq_beyond_ci"]
    # 2024-25 Q1: the calendar previous quarter (2023-24 Q4) is missing -> no q-o-q change
    assert pd.isna(tr.loc[3, "previous_period"]) and np.isnan(tr.loc[3, "qoq_change"])
    assert pd.isna(tr.loc[3, "qoq_beyond_ci"])
    # year on year: 60 - 50 = 10 (+20%); (51, 69) overlaps (40, 60) -> not beyond
    assert tr.loc[3, "year_ago_period"] == "2023-24 Q1"
    assert tr.loc[3, "yoy_change"] == pytest.approx(10.0) and tr.loc[3, "yoy_change_pct"] == pytest.approx(20.0)
    assert not tr.loc[3, "yoy_beyond_ci"]
    # group value pooled with A included: 2023-24 Q1 (50 + 80)/(100 + 100) = 65%
    assert tr.loc[0, "group_value"] == pytest.approx(65.0)
    assert tr.loc[0, "group_method"] == "pooled"
    # 2023-24 Q3: (70 + 80)/200 = 75; A's CI (63, 77) contains 75 -> similar
    assert tr.loc[2, "group_value"] == pytest.approx(75.0) and tr.loc[2, "comparison"] == "similar"
    # 2023-24 Q1: A (40, 60) entirely below 65 -> lower -> worse (higher is better)
    assert tr.loc[0, "comparison"] == "lower" and tr.loc[0, "assessment"] == "worse"


def test_trend_without_group_has_empty_group_columns():
    t = _rows("W5", "%", [5], [10], [50.0], [24], [76], codes=[A])
    tr = trend(t, A, "W5")
    assert len(tr) == 1 and tr["group_value"].isna().all()
    with pytest.raises(ParameterError):
        trend(t, B, "W5")


def test_no_comparator_data_is_not_compared():
    # only the subject has a W5 row: even with the subject included there is nothing to compare with
    t = _rows("W5", "%", [5], [10], [50.0], [24], [76], codes=[A])
    for include_self in (True, False):
        r = benchmark(t, A, Q, GROUPS, catalogue=CATALOGUE, include_self=include_self).iloc[0]
        assert r.comparator_method == "none" and np.isnan(r.comparator_value)
        assert r.comparison == "not_compared" and r.n_comparators == 0
        assert r.note == "no comparator has a value"
        assert np.isnan(r.best_quartile_value) and np.isnan(r.group_median)


# ------------------------------------------------------------------ CLI


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_cli_benchmark_writes_table(tmp_path, monkeypatch, suffix):
    """`ot-benchmark benchmark` with the data loading replaced by the hand-made table (real ONS
    codes, a user CSV group), so only the command's own plumbing is exercised."""
    from ot_benchmark import cli
    from ot_benchmark.cli import tables
    from ot_benchmark.compare import benchmark as compare

    real = ["E10000017", "E10000003", "E10000006", "E10000007", "E10000011", "E10000012"]
    t = make_table()
    t["authority_code"] = t["authority_code"].map(dict(zip(COUNCILS, real))).fillna("E10000013")

    class FakeBundle:
        banner = "Synthetic demonstration data — not real council performance"

    monkeypatch.setattr(tables, "_indicators_for", lambda data_dir, settings_path=None: (t, FakeBundle()))
    monkeypatch.setattr(compare, "_catalogue", lambda catalogue, _c=compare._catalogue: _c(CATALOGUE))
    group_csv = tmp_path / "group.csv"
    group_csv.write_text("authority,neighbour\n" + "".join(f"E10000017,{c}\n" for c in real[1:]))
    out = tmp_path / f"bench{suffix}"
    rc = cli.main(["benchmark", "--data", str(tmp_path), "--authority", "E10000017", "--period", "2024/25 Q1",
                   "--group", str(group_csv), "--out", str(out)])
    assert rc == 0 and out.is_file()
    # the workbook's first row is the banner, the headings the second (frozen)
    read = {".csv": pd.read_csv, ".xlsx": lambda p: pd.read_excel(p, header=1), ".parquet": pd.read_parquet}[suffix]
    back = read(out)
    assert back["banner"].iloc[0].startswith("Synthetic")
    w5 = back[(back["indicator_id"] == "W5") & (back["breakdown"] == "all")].iloc[0]
    assert w5["comparator_value"] == pytest.approx(67.5)  # as in test_pooled_comparator_value_includes_self_by_default
    assert "value_formatted" in back and "comparator_value_formatted" in back  # rounded for display only
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(out).active
        assert str(ws["A1"].value).startswith("Synthetic") and ws.freeze_panes == "A3" and ws.auto_filter.ref
    if suffix == ".csv":  # numbers written sensibly: 12 significant digits at most, no 3.9999999999999982
        import re

        numbers = re.findall(r"\d+\.\d+", out.read_text(encoding="utf-8"))
        assert numbers and all(len(n.replace(".", "").lstrip("0")) <= 12 for n in numbers)


def test_cli_no_group_exits_2_with_message(tmp_path, monkeypatch, capsys):
    from ot_benchmark import cli
    from ot_benchmark.cli import tables

    t = make_table()
    t["authority_code"] = t["authority_code"].replace({A: "E10000017"})
    monkeypatch.setattr(tables, "_indicators_for", lambda data_dir, settings_path=None: (t, None))
    group_csv = tmp_path / "group.csv"
    group_csv.write_text("authority,neighbour\nE10000003,E10000006\n")
    rc = cli.main(["benchmark", "--data", str(tmp_path), "--authority", "E10000017", "--period", Q,
                   "--group", str(group_csv), "--out", str(tmp_path / "x.csv")])
    assert rc == 2
    assert "E10000017" in capsys.readouterr().err
