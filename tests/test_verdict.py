"""One verdict per figure (docs/methods.md, "One verdict per figure"): benchmark()'s ``verdict``
and ``verdict_basis`` on hand-made groups whose answers are worked out by hand in the comments.

Before the rule, the summary called Lancashire's W5 "Better" while the words under its funnel plot
said that, allowing for over-dispersion (φ = 29), it was not unusual; and K2 "Worse" on 7 of 10
complaints while the over-dispersion-adjusted flag said not significant.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.compare.benchmark import VERDICT_MAD_EDGE, benchmark, mad_band
from ot_benchmark.stats.intervals import add_intervals

Q = "2024-25 Q1"
CODES = [f"E0600000{i}" for i in range(1, 10)] + ["E06000010"]
CAT = load_catalogue()


def _table(iid: str, pairs, codes=CODES) -> pd.DataFrame:
    """Indicator-table rows of one indicator: (numerator, denominator) per council, value and
    intervals as the catalogue says (so the intervals are the real Wilson/Poisson ones)."""
    meta = CAT.set_index("indicator_id").loc[iid]
    rows = []
    for code, (num, den) in zip(codes, pairs):
        value = num / den * meta["multiplier"] if den else np.nan
        rows.append({"authority_code": code, "period": Q, "indicator_id": iid, "breakdown": "all",
                     "numerator": float(num), "denominator": float(den), "value": value, "unit": meta["unit"]})
    t = pd.DataFrame(rows)
    t = add_intervals(t, CAT) if meta["method"] in ("proportion", "rate", "count") else t.assign(
        lower_95=np.nan, upper_95=np.nan, lower_998=np.nan, upper_998=np.nan, ci_method="none")
    return t.assign(source="case_level")


def _row(table, subject, **kw) -> pd.Series:
    others = [c for c in table["authority_code"].unique() if c != subject]
    b = benchmark(table, subject, Q, others, catalogue=CAT, **kw)
    return b[b["breakdown"] == "all"].iloc[0]


# --------------------------------------------------------------------- over-dispersed group

# docs/comparison_and_capacity.md's example: six councils assessed 60/100, 80/100, 45/50, 30/50,
# 140/200 and 50/100 within target; pooled 405/600 = 67.5%; φ = 5.15, τ² = 0.0136.
OVERDISPERSED = [(60, 100), (80, 100), (45, 50), (30, 50), (140, 200), (50, 100)]


def test_over_dispersed_group_the_widened_funnel_decides():
    t = _table("W5", OVERDISPERSED)
    f = _row(t, CODES[5])  # 50 of 100
    assert f.funnel_phi == pytest.approx(5.15, abs=0.01) and f.funnel_tau2 == pytest.approx(0.0136, abs=1e-4)
    # its Wilson interval (40.4%, 59.6%) lies below 67.5%: the interval alone says worse ...
    assert f.upper_95 == pytest.approx(59.6, abs=0.05) and f.assessment == "worse"
    # ... and it is outside the plain 99.8% limit 67.5 - 3.09 * sqrt(.675 * .325 / 100) * 100 = 53.0
    assert f.funnel_flag == "Low (0.001)"
    # but the group is over-dispersed, so the widened limits decide: at n = 100 the 95% lower
    # limit is sin²(asin(√.675) - 1.96·√(1/400 + .0136)) = 43.0%, and 50% is inside it
    theta, half = math.asin(math.sqrt(0.675)), 1.959964 * math.sqrt(1 / 400 + f.funnel_tau2)
    assert math.sin(theta - half) ** 2 * 100 == pytest.approx(43.0, abs=0.05)
    assert (f.verdict, f.verdict_basis) == ("similar", "overdispersion_funnel")


def test_over_dispersed_group_still_outside_the_widened_limits():
    t = _table("W5", OVERDISPERSED)
    c = _row(t, CODES[2])  # 45 of 50 = 90%
    # widened at n = 50: upper 95% sin²(θ + 1.96·√(1/200 + τ²)) = 88.9% < 90% < upper 99.8%
    # sin²(θ + 3.09·√(1/200 + τ²)) = 96.6%
    theta = math.asin(math.sqrt(0.675))
    sd = math.sqrt(1 / 200 + c.funnel_tau2)
    assert math.sin(theta + 1.959964 * sd) ** 2 * 100 == pytest.approx(88.9, abs=0.05)
    assert math.sin(theta + 3.090232 * sd) ** 2 * 100 == pytest.approx(96.6, abs=0.05)
    assert (c.verdict, c.verdict_basis) == ("better", "overdispersion_funnel")
    # at 99.8% only a point beyond the widened 99.8% limits counts
    c998 = _row(t, CODES[2], confidence=99.8)
    assert (c998.verdict, c998.verdict_basis) == ("similar", "overdispersion_funnel")


# --------------------------------------------------------------------- not over-dispersed

def test_no_over_dispersion_the_interval_decides():
    # nine councils at 500 of 1,000 and the subject at 560 of 1,000: pooled 5,060 / 10,000 = 50.6%.
    # The subject's Wilson 95% interval is 56.0% ± 3.07 = (52.9%, 59.0%), above 50.6%: better.
    pairs = [(560, 1000)] + [(500, 1000)] * 9
    r = _row(_table("W5", pairs), CODES[0])
    assert r.comparator_value == pytest.approx(50.6)
    assert r.lower_95 == pytest.approx(52.9, abs=0.05) and r.upper_95 == pytest.approx(59.0, abs=0.05)
    # φ: the nine equal councils sit at z = -0.38, the subject's z of 3.4 is winsorised to the
    # 90th percentile (-0.38 + 0.1 × 3.79 = 0.0); φ = 9 × 0.38² / 10 = 0.13, not over-dispersed
    assert r.funnel_phi < 1
    assert (r.verdict, r.verdict_basis) == ("better", "interval")


def test_context_measure_says_higher_or_lower():
    # K1, complaints per 1,000 active cases (context): 60 of 10,000 cases against nine councils at
    # 40 of 10,000: pooled 420 / 100,000 = 4.2; the subject's Byar 95% interval of 60 events is
    # (45.8, 77.2) -> 4.58 to 7.72 per 1,000, above 4.2: higher (never "worse").
    pairs = [(60, 10000)] + [(40, 10000)] * 9
    r = _row(_table("K1", pairs), CODES[0])
    assert r.comparator_value == pytest.approx(4.2)
    assert r.lower_95 == pytest.approx(4.58, abs=0.01)
    assert r.funnel_phi < 1  # 0.09
    assert (r.verdict, r.verdict_basis) == ("higher", "interval")


# --------------------------------------------------------------------- robust distance

def test_robust_distance_rounded_before_it_is_read():
    # C3 clearance ratio (no interval, higher is better): 10/100, 30/100, 40/100, 40/100, 50/100,
    # 60/100. Group median 0.4; |deviations| .3 .1 0 0 .1 .2 -> MAD 0.1; the subject's distance
    # is (0.1 - 0.4) / 0.1 = -3 exactly, which floating point makes -3.0000000000000004.
    pairs = [(10, 100), (30, 100), (40, 100), (40, 100), (50, 100), (60, 100)]
    r = _row(_table("C3", pairs), CODES[0])
    assert r.group_median == pytest.approx(0.4) and r.group_mad == pytest.approx(0.1)
    assert r.mad_distance < -VERDICT_MAD_EDGE  # the noise: unrounded, it is beyond the edge
    # rounded to the reported 2 decimals it is -3.00: on the edge, so the nearer band and no verdict of "worse"
    assert r.mad_band == "below"
    assert (r.verdict, r.verdict_basis) == ("similar", "robust_distance")
    assert r.comparison == "not_compared"  # the interval comparison has nothing to say


def test_robust_distance_beyond_three_mads():
    # 0/100 against 30, 40, 40, 50, 60 of 100: median 0.4, |dev| .4 .1 0 0 .1 .2 -> MAD 0.1;
    # distance -4: worse (higher is better)
    pairs = [(0, 100), (30, 100), (40, 100), (40, 100), (50, 100), (60, 100)]
    r = _row(_table("C3", pairs), CODES[0])
    assert r.mad_distance == pytest.approx(-4.0)
    assert (r.verdict, r.verdict_basis) == ("worse", "robust_distance")
    assert "robust distance" in r.note


def test_mad_band_edges_decided_on_the_reported_distance():
    # distances the sample really produces (E10000020 2024-25 Q2 K2: -3.0000000000000018)
    got = mad_band([-0.5000000000000008, 1.4999999999999982, -3.0000000000000027, 3.0000000000000027]).tolist()
    assert got == ["broadly similar", "somewhat above", "below", "above"]


# --------------------------------------------------------------------- nothing to compare

def test_no_comparator_figure_is_not_compared():
    t = _table("W5", [(40, 50), (0, 0), (0, 0)], codes=CODES[:3])  # the others have no value
    r = _row(t, CODES[0])
    assert r.n_comparators == 0
    assert (r.verdict, r.verdict_basis) == ("not_compared", "none")


def test_too_few_comparators_for_a_distance_is_not_compared():
    t = _table("C3", [(10, 100), (30, 100)], codes=CODES[:2])
    r = _row(t, CODES[0])
    assert np.isnan(r.mad_distance)
    assert (r.verdict, r.verdict_basis) == ("not_compared", "none")


def test_a_total_is_a_count_or_an_amount_that_grows_with_size_never_a_score():
    from ot_benchmark.compare.benchmark import is_total

    rows = pd.DataFrame({
        "indicator_id": ["W8_referrals", "C4_agency_wte", "E6", "W8_net_change", "L_qol", "C3"],
        "method": ["count", "ratio", "ratio", "ratio", "ratio", "ratio"],
        "unit": ["referrals", "WTE", "£", "people", "score", "ratio"],
        "denominator": [np.nan, np.nan, np.nan, np.nan, np.nan, 812.0],
    })
    # a count; agency WTE, £ of credit and the change in people waiting grow with the council's
    # size; a published score with no denominator and a clearance ratio do not
    assert is_total(rows).tolist() == [True, True, True, True, False, False]
