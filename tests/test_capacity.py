"""Tests of ot_benchmark.compare.capacity with every expected figure worked out by hand in comments.

Quarters used: 2024-25 Q1 (1 Apr - 30 Jun 2024 = 30 + 31 + 30 = 91 days = 13 weeks) and
2023-24 Q4 (1 Jan - 31 Mar 2024 = 31 + 29 + 31 = 91 days, a leap year, = 13 weeks).
"""

import math

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.compare.capacity import CAPACITY_COLUMNS, capacity_scenarios, flows
from ot_benchmark.errors import ParameterError

A = "E06000001"
Q = "2024-25 Q1"
PREV = "2023-24 Q4"


def quarter_rows(period, waiting, referrals, assessments, closed, wte=20.0, authority=A):
    ids = ["W1", "W8_referrals", "W8_assessments", "W8_closed_unassessed", "C2"]
    return pd.DataFrame(
        {
            "authority_code": authority,
            "period": period,
            "indicator_id": ids,
            "breakdown": "all",
            "numerator": [np.nan, np.nan, np.nan, np.nan, assessments],
            "denominator": [np.nan, np.nan, np.nan, np.nan, wte],
            "value": [waiting, referrals, assessments, closed, assessments / wte if wte else np.nan],
        }
    )


# The worked example: list 520; per quarter 1,300 referrals (100 a week), 1,040 first
# assessments (80 a week), 390 closures without assessment (30 a week) -> outflow 110 a week.
# C2 = 1,040 assessments / 20 WTE -> 1,040 / 20 / 13 = 4 assessments per WTE per week.
ONE = quarter_rows(Q, 520, 1300, 1040, 390)


def by_scenario(out):
    return out.set_index("scenario")


def test_weeks_to_clear_worked_example():
    out = by_scenario(capacity_scenarios(ONE, A, Q, range_method="poisson"))
    # 520 / (80 + 30 - 100) = 520 / 10 = 52 weeks
    assert out.loc["weeks_to_clear", "central"] == pytest.approx(52.0)
    assert out.loc["weeks_to_clear", "current"] == 520


def test_wte_worked_example():
    out = by_scenario(capacity_scenarios(ONE, A, Q, target_weeks=4, within_weeks=26, range_method="poisson"))
    # keep pace: (100 - 30) / 4 = 17.5 WTE; 20 WTE now -> 0 extra
    assert out.loc["wte_to_keep_pace", "central"] == pytest.approx(17.5)
    assert out.loc["wte_to_keep_pace", "extra_wte_central"] == 0
    # clear the list in 26 weeks: (520 - 0 + 26 x (100 - 30)) / (4 x 26) = 2340 / 104 = 22.5 WTE; 2.5 extra
    assert out.loc["wte_to_reach_list_target", "central"] == pytest.approx(22.5)
    assert out.loc["wte_to_reach_list_target", "extra_wte_central"] == pytest.approx(2.5)
    assert out.loc["wte_to_reach_list_target", "current"] == 20
    # 98% seen within 4 weeks (NHSRwaitinglist): factor = -ln(0.02) = 3.912023; net demand d = 70 a week;
    # target list = 70 x 4 / 3.912023 = 71.5742; relief = 70 + (520 - 71.5742) / 26 = 87.2472 a week;
    # holding capacity = 70 + (1 + 1) / 2 x 3.912023 / 4 = 70.9780; the larger / 4 = 21.8118 WTE, 1.8118 extra
    assert out.loc["wte_to_reach_wait_target", "central"] == pytest.approx(21.8118, abs=1e-4)
    assert out.loc["wte_to_reach_wait_target", "extra_wte_central"] == pytest.approx(1.8118, abs=1e-4)


def test_list_target_other_than_zero():
    out = by_scenario(capacity_scenarios(ONE, A, Q, within_weeks=13, target_list=260, range_method="poisson"))
    # (520 - 260 + 13 x 70) / (4 x 13) = (260 + 910) / 52 = 22.5 WTE
    assert out.loc["wte_to_reach_list_target", "central"] == pytest.approx(22.5)


def test_demand_exceeds_capacity_is_never():
    t = quarter_rows(Q, 520, 1430, 1040, 260)
    out = by_scenario(capacity_scenarios(t, A, Q, range_method="poisson"))
    # outflow (1040 + 260) / 13 = 100 a week < referrals 1430 / 13 = 110 a week -> never
    r = out.loc["weeks_to_clear"]
    assert np.isinf(r.central) and np.isinf(r.high)
    assert r.summary.startswith("never")
    # still a WTE answer: keep pace (110 - 20) / 4 = 22.5 WTE
    assert out.loc["wte_to_keep_pace", "central"] == pytest.approx(22.5)


def test_range_from_recent_quarters():
    t = pd.concat([quarter_rows(PREV, 480, 1430, 1040, 390), ONE])
    out = by_scenario(capacity_scenarios(t, A, Q, within_weeks=26))
    assert set(out["range_method"]) == {"recent_quarters"}
    # 2023-24 Q4 rates applied to today's list of 520: referrals 110, outflow 80 + 30 = 110 -> net 0 -> never
    w = out.loc["weeks_to_clear"]
    assert (w.low, w.central) == (pytest.approx(52.0), pytest.approx(52.0)) and np.isinf(w.high)
    # keep pace: this quarter 17.5; 2023-24 Q4 (110 - 30) / 4 = 20 -> 17.5 to 20
    k = out.loc["wte_to_keep_pace"]
    assert (k.low, k.central, k.high) == (pytest.approx(17.5), pytest.approx(17.5), pytest.approx(20.0))
    # clear in 26 weeks with 2023-24 Q4 rates: (520 + 26 x 80) / 104 = 2600 / 104 = 25 WTE
    c = out.loc["wte_to_reach_list_target"]
    assert (c.low, c.central, c.high) == (pytest.approx(22.5), pytest.approx(22.5), pytest.approx(25.0))
    assert "2023-24 Q4 to 2024-25 Q1" in c.assumptions


def test_poisson_range_by_hand():
    out = by_scenario(capacity_scenarios(ONE, A, Q, range_method="poisson"))
    z = 1.959964

    # Byar's 95% limits, written out independently of the library:
    def byar_lower(x):
        return x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3

    def byar_upper(x):
        return (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3

    # optimistic: fewest referrals (1230.28), most assessments (1105.18) and closures (430.69):
    # net = (1105.18 + 430.69 - 1230.28) / 13 = 23.507 a week -> 520 / 23.507 = 22.12 weeks
    net_opt = (byar_upper(1040) + byar_upper(390) - byar_lower(1300)) / 13
    # pessimistic: (977.74 + 352.25 - 1372.64) / 13 = -3.28 a week -> never
    net_pess = (byar_lower(1040) + byar_lower(390) - byar_upper(1300)) / 13
    assert net_pess < 0
    w = out.loc["weeks_to_clear"]
    assert w.low == pytest.approx(520 / net_opt, rel=1e-5)
    assert w.central == pytest.approx(52.0) and np.isinf(w.high)


def test_recent_quarters_falls_back_to_poisson_with_one_quarter():
    out = capacity_scenarios(ONE, A, Q)
    assert set(out["range_method"]) == {"poisson"}
    assert "Only 1 quarter" in out["assumptions"].iloc[0]


def test_low_central_high_ordered_and_columns():
    t = pd.concat([quarter_rows(PREV, 480, 1200, 1100, 300), ONE])
    out = capacity_scenarios(t, A, Q)
    assert list(out.columns) == CAPACITY_COLUMNS
    assert all(c.isidentifier() for c in out.columns)
    assert (out["low"] <= out["central"]).all() and (out["central"] <= out["high"]).all()
    # every answer states its assumptions in words
    assert out["assumptions"].str.contains("Rates are assumed to stay as they are").all()
    assert out["assumptions"].str.contains("List of 520").all()


def test_empty_list_takes_zero_weeks():
    out = by_scenario(capacity_scenarios(quarter_rows(Q, 0, 1300, 1040, 390), A, Q, range_method="poisson"))
    assert out.loc["weeks_to_clear", "central"] == 0


def test_no_wte_figure_cannot_estimate_but_ot_wte_can():
    t = ONE[ONE["indicator_id"] != "C2"]
    out = by_scenario(capacity_scenarios(t, A, Q, range_method="poisson"))
    assert np.isnan(out.loc["wte_to_keep_pace", "central"])
    assert out.loc["wte_to_keep_pace", "summary"].startswith("cannot be estimated")
    # with ot_wte=20: a = 80 / 20 = 4 a week -> keep pace 17.5 as before
    out2 = by_scenario(capacity_scenarios(t, A, Q, ot_wte=20, range_method="poisson"))
    assert out2.loc["wte_to_keep_pace", "central"] == pytest.approx(17.5)


def test_flows_weekly_rates():
    f = flows(ONE, A, Q)
    r = f.iloc[0]
    assert r.weeks == 13
    assert (r.referrals_pw, r.assessments_pw, r.closed_unassessed_pw) == (100, 80, 30)
    assert r.assessments_per_wte_pw == 4


def test_bad_inputs():
    with pytest.raises(ParameterError):
        capacity_scenarios(ONE, "E09999999", Q)
    with pytest.raises(ParameterError):
        capacity_scenarios(ONE, A, Q, within_weeks=0)
    with pytest.raises(ParameterError):
        capacity_scenarios(ONE[ONE["indicator_id"] != "W1"], A, Q)


def test_wait_target_allows_for_variability_not_just_keep_pace():
    # 98% within 26 weeks: target list = 70 x 26 / 3.912023 = 465.2184; relief = 70 + (520 - 465.2184) / 26
    # = 72.1070 a week; holding = 70 + 3.912023 / 26 = 70.1505; 72.1070 / 4 = 18.0267 WTE. Plain Little's law
    # (list target 70 x 26 = 1,820 above the list of 520) said 17.5, the keep-pace WTE: no word on the wait.
    out = by_scenario(capacity_scenarios(ONE, A, Q, target_weeks=26, within_weeks=26, range_method="poisson"))
    assert out.loc["wte_to_reach_wait_target", "central"] == pytest.approx(18.0267, abs=1e-4)
    assert out.loc["wte_to_reach_wait_target", "central"] > out.loc["wte_to_keep_pace", "central"]


def test_a_short_list_still_needs_capacity_above_demand_to_hold_the_wait():
    # list 100, under the target list of 465.2: relief = 70 + (100 - 465.2184) / 26 = 55.95 a week, below
    # the holding capacity 70 + 3.912023 / 26 = 70.1505 (Kingman), so 70.1505 / 4 = 17.5376 WTE (> 17.5)
    t = quarter_rows(Q, 100, 1300, 1040, 390)
    out = by_scenario(capacity_scenarios(t, A, Q, target_weeks=26, within_weeks=26, range_method="poisson"))
    assert out.loc["wte_to_reach_wait_target", "central"] == pytest.approx(17.5376, abs=1e-4)
    # no variability at all: the holding capacity is the demand, and the answer is the keep-pace WTE
    still = by_scenario(capacity_scenarios(t, A, Q, target_weeks=26, within_weeks=26, range_method="poisson",
                                           cv_demand=0, cv_capacity=0))
    assert still.loc["wte_to_reach_wait_target", "central"] == pytest.approx(17.5)


def test_best_quartile_wait_and_cost():
    # half seen within 3 weeks: factor ln 2 = 0.693147; target list = 70 x 3 / 0.693147 = 302.9668;
    # relief = 70 + (520 - 302.9668) / 26 = 78.3474; holding = 70 + 0.693147 / 3 = 70.2310; / 4 = 19.5869 WTE.
    # At £50,000 a WTE a year: the wait target's 1.8118 extra WTE (4 weeks, above) cost £90,590 a year.
    out = by_scenario(capacity_scenarios(ONE, A, Q, target_weeks=4, within_weeks=26, range_method="poisson",
                                         best_wait_weeks=3, cost_per_wte=50_000))
    assert out.loc["wte_to_reach_best_quartile_wait", "central"] == pytest.approx(19.5869, abs=1e-4)
    assert out.loc["wte_to_reach_best_quartile_wait", "extra_cost_central"] == 0  # under today's 20 WTE
    assert out.loc["wte_to_reach_wait_target", "extra_cost_central"] == pytest.approx(90_590, abs=5)
    assert "costing about £90,5" in out.loc["wte_to_reach_wait_target", "summary"]
    assert "£50,000 a year" in out.loc["wte_to_reach_wait_target", "assumptions"]
    assert math.isnan(out.loc["weeks_to_clear", "extra_cost_central"])


def test_cli_capacity(tmp_path, monkeypatch, capsys):
    from ot_benchmark import cli
    from ot_benchmark.cli import tables

    monkeypatch.setattr(tables, "_indicators_for", lambda data_dir: (ONE, None))
    out = tmp_path / "cap.csv"
    rc = cli.main(["capacity", "--data", str(tmp_path), "--authority", A, "--period", Q, "--out", str(out)])
    assert rc == 0
    back = pd.read_csv(out).set_index("scenario")
    assert back.loc["weeks_to_clear", "central"] == pytest.approx(52.0)
    # without --out the answers are printed in words
    rc = cli.main(["capacity", "--data", str(tmp_path), "--authority", A, "--period", Q])
    text = capsys.readouterr().out
    assert rc == 0 and "weeks to clear the list at current rates: 52.0 weeks" in text
