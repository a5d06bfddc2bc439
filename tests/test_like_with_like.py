"""Compare like with like: counts that grow with a council's size are compared per 10,000 adults,
never as raw numbers; no SPC reading beside a missing or withheld figure; the SPC sentence names
the rule that fired; a role with no vacant post gets an empty C5_median row with its reason.

Before: W1 (people waiting) was called "Higher" than the group median of counts for Lancashire,
a council twice the size of most of its group; the summary put an SPC icon beside a figure the
reader could not see; the SPC words said "a real improvement" without saying which rule; and
C5_median had no row at all for a role with no vacant post while C5_6m had one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.compare.benchmark import benchmark
from ot_benchmark.indicators.engine import compute_indicators
from ot_benchmark.indicators.waiting import PER_POPULATION, per_population
from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.report import narrative as nv
from ot_benchmark.report import tables
from ot_benchmark.stats.intervals import add_intervals
from ot_benchmark.stats.spc import xmr

CAT = load_catalogue()
# reference populations aged 18+ (ONS mid-2020, data/reference/asc_authorities_2025.csv)
LANCS, HARTLEPOOL = "E10000017", "E06000001"
ADULTS = {LANCS: 974_092, HARTLEPOOL: 73_728}
Q = "2024-25 Q1"


class _Ctx:
    """What per_population() asks of the engine's context: the catalogue multiplier."""

    def multiplier(self, iid):
        return float(CAT.set_index("indicator_id").at[iid, "multiplier"])


def _counts(code, w1, referrals, net=np.nan):
    return pd.DataFrame({"authority_code": code, "period": Q, "breakdown": "all",
                         "indicator_id": ["W1", "W8_referrals", "W8_net_change"],
                         "numerator": [w1, referrals, net], "denominator": np.nan, "value": [w1, referrals, net]})


def test_waiting_list_and_flows_per_10000_adults():
    rows = pd.concat([_counts(LANCS, 501.0, 884.0, 39.0), _counts(HARTLEPOOL, 120.0, 90.0, -6.0),
                      _counts("E99999999", 10.0, 5.0)], ignore_index=True)
    out = per_population(rows, _Ctx()).set_index(["authority_code", "indicator_id"])
    # Lancashire: 501 waiting / 974,092 adults x 10,000 = 5.143; Hartlepool 120 / 73,728 x 10,000 = 16.276:
    # the smaller council has the longer list for its size, though its count is a quarter of Lancashire's
    assert out.loc[(LANCS, "W1_per_10k"), "value"] == pytest.approx(501 / 974_092 * 10_000)
    assert out.loc[(LANCS, "W1_per_10k"), "value"] == pytest.approx(5.143, abs=5e-4)
    assert out.loc[(HARTLEPOOL, "W1_per_10k"), "value"] == pytest.approx(16.276, abs=5e-4)
    assert out.loc[(LANCS, "W1_per_10k"), ["numerator", "denominator"]].tolist() == [501.0, 974_092.0]
    assert out.loc[(LANCS, "W8_referrals_per_10k"), "value"] == pytest.approx(884 / 974_092 * 10_000)
    # the net change can be negative: kept, without an interval
    assert out.loc[(HARTLEPOOL, "W8_net_change_per_10k"), "value"] == pytest.approx(-6 / 73_728 * 10_000)
    assert out.loc[(HARTLEPOOL, "W8_net_change_per_10k"), "ci_method"] == "none"
    # a code with no reference population: no value, and why
    assert np.isnan(out.loc[("E99999999", "W1_per_10k"), "value"])
    assert "no reference population" in out.loc[("E99999999", "W1_per_10k"), "note"]
    assert set(PER_POPULATION.values()) <= set(CAT["indicator_id"])


def test_the_engine_adds_the_rates_and_keeps_the_counts():
    ref = pd.DataFrame({"referral_id": [f"r{i}" for i in range(6)], "authority_code": LANCS,
                        "referral_date": ["2024-04-02"] * 6, "priority": "high",
                        "first_assessment_date": ["2024-05-01", "2024-05-02", None, None, None, None],
                        "closure_date": [None, None, "2024-06-01", None, None, None]})
    t = compute_indicators(DataBundle.from_frames(referrals=ref), [Q], families=["W"])
    get = t.set_index(["indicator_id", "breakdown"])
    # 6 referred, 2 assessed, 1 closed, 3 still waiting at 30 June
    assert get.loc[("W1", "all"), "value"] == 3
    assert get.loc[("W1_per_10k", "all"), "value"] == pytest.approx(3 / 974_092 * 10_000)
    assert get.loc[("W1_per_10k", "all"), "ci_method"] == "poisson_exact"  # 3 events: exact Poisson
    assert get.loc[("W8_referrals_per_10k", "all"), "numerator"] == 6


def _bench_table():
    """W1 and W1_per_10k for Lancashire (501 waiting) and four councils of a tenth of its size."""
    small = {"E06000002": 70_000, "E06000003": 75_000, "E06000004": 80_000, "E06000005": 72_000}
    rows = [(LANCS, 501.0, ADULTS[LANCS])] + [(c, 60.0, a) for c, a in small.items()]
    out = []
    for code, w1, adults in rows:
        out.append({"authority_code": code, "period": Q, "indicator_id": "W1", "breakdown": "all",
                    "numerator": w1, "denominator": np.nan, "value": w1})
        out.append({"authority_code": code, "period": Q, "indicator_id": "W1_per_10k", "breakdown": "all",
                    "numerator": w1, "denominator": float(adults), "value": w1 / adults * 10_000})
    return add_intervals(pd.DataFrame(out), CAT).assign(source="case_level")


def test_counts_are_compared_per_population_never_as_raw_numbers():
    b = benchmark(_bench_table(), LANCS, Q, ["E06000002", "E06000003", "E06000004", "E06000005"],
                  catalogue=CAT).set_index("indicator_id")
    # 501 people against a group median of 60 would read "higher": it only says Lancashire is bigger
    assert b.loc["W1", "verdict"] == "not_compared" and b.loc["W1", "verdict_basis"] == "none"
    assert "per 10,000 adults (W1_per_10k)" in b.loc["W1", "note"]
    # per 10,000 adults: Lancashire 5.14 (Byar interval 4.70 to 5.61) against the pooled
    # (501 + 240) / 1,271,092 x 10,000 = 5.83: the interval alone says lower. But the four small
    # councils (7.0 to 8.6) and Lancashire differ more than chance explains (φ > 1), and against the
    # widened limits Lancashire is similar. Never "higher", as the raw count would have it.
    r = b.loc["W1_per_10k"]
    assert r.comparator_value == pytest.approx((501 + 240) / 1_271_092 * 10_000)
    assert r.upper_95 == pytest.approx(5.61, abs=0.01) and r.comparison == "lower"
    assert r.funnel_phi > 1
    assert (r.verdict, r.verdict_basis) == ("similar", "overdispersion_funnel")
    # the summary puts no group figure beside the count
    summary = tables.summary_table(b.reset_index(), None, catalogue=CAT, suppress=False).set_index("indicator_id")
    assert summary.loc["W1", "comparator_value"] == "-" and summary.loc["W1", "comparison"] == "Not compared"
    assert summary.loc["W1_per_10k", "comparator_value"] == "5.8 per 10,000 adults"


# --------------------------------------------------------------------------- SPC


def test_no_spc_reading_beside_a_missing_figure():
    # four quarters of W5, the last without a figure: the reading would describe 2024-25 Q3
    periods = ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4"]
    t = pd.DataFrame({"authority_code": "A", "period": periods, "indicator_id": "W5", "breakdown": "all",
                      "numerator": [60.0, 62, 70, np.nan], "denominator": [100.0, 100, 100, np.nan],
                      "value": [60.0, 62, 70, np.nan]})
    got = tables.spc_by_indicator(t, "A", "2024-25 Q4", CAT).set_index("indicator_id")
    assert pd.isna(got.loc["W5", "variation"])
    assert nv.variation_label(got.loc["W5", "variation"]) == "Not enough data"
    got = tables.spc_by_indicator(t, "A", "2024-25 Q3", CAT).set_index("indicator_id")
    assert got.loc["W5", "variation"] == "common_cause"


def _points(values, rule, rel):
    return pd.DataFrame({"value": values, "rule": ["none"] * (len(values) - 1) + [rule],
                         "relative_to_mean": [0] * (len(values) - 1) + [rel],
                         "point_type": ["common_cause"] * (len(values) - 1) + ["special_cause_improvement"]})


@pytest.mark.parametrize("rule, rel, values, words", [
    ("run", 1, [1, 2, 3], "seven quarters in a row above the average"),
    ("run", -1, [1, 2, 3], "seven quarters in a row below the average"),
    ("trend", 1, [1, 2, 3], "seven quarters in a row, each higher than the one before"),
    ("trend", -1, [3, 2, 1], "seven quarters in a row, each lower than the one before"),
    ("outside_limits", 1, [1, 2, 9], "above the upper process limit"),
    ("outside_limits", -1, [5, 4, 0], "below the lower process limit"),
    ("two_in_three", 1, [1, 2, 3], "two of the last three quarters close to the upper process limit"),
])
def test_spc_sentence_names_the_rule_that_fired(rule, rel, values, words):
    s = nv.spc_sentence("special_cause_improvement", points=_points(values, rule, rel))
    assert s.startswith(f"The latest quarter shows a real improvement, not just normal variation ({words})")


def test_spc_sentence_names_a_run_found_by_xmr():
    # alternating 10/14 for seven quarters, then 13/15 for seven: the mean is 12.8 and the mean
    # moving range 3.0, so no point leaves the limits (12.8 ± 8.0) or nears them; the last seven are
    # all above the mean: a run, an improvement when higher is better
    y = [10, 14, 10, 14, 10, 14, 10, 13, 15, 13, 15, 13, 15, 13]
    points, fitted = xmr(y, improvement_direction="increase")
    assert points["rule"].iloc[-1] == "run" and fitted["variation"] == "special_cause_improvement"
    assert "(seven quarters in a row above the average)" in nv.spc_sentence(fitted["variation"], points=points)


# --------------------------------------------------------------------------- C5_median

def test_c5_median_has_an_empty_row_with_its_reason_for_a_role_with_no_vacant_post():
    # an OT post vacant since 1 March 2024; the OTA post was filled on 1 April, before the snapshot
    vac = pd.DataFrame({"authority_code": LANCS, "post_id": ["p1", "p2"], "role": ["ot", "ota"],
                        "vacant_from": ["2024-03-01", "2024-01-01"], "filled_on": [None, "2024-04-01"]})
    t = compute_indicators(DataBundle.from_frames(vacancies=vac), [Q], families=["C"])
    get = t.set_index(["indicator_id", "breakdown"])
    assert get.loc[("C5_median", "role:ot"), "value"] == 121  # 1 March to 30 June
    for iid in ("C5_median", "C5_6m"):
        row = get.loc[(iid, "role:ota")]
        assert np.isnan(row["value"]) and row["note"] == "no value: no posts vacant at the snapshot"
