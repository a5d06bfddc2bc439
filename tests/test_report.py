"""The reader-facing tables of :mod:`ot_benchmark.report.tables` (and the cohort clock they share with
W6k) on hand-made rows, compared with tables written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ot_benchmark.report import tables as rp
from ot_benchmark.indicators.waiting import cohort_waits
from ot_benchmark.settings import load_settings
from ot_benchmark.stats.survival import km_curve


def _bench(**cols):
    base = {"authority_code": "E1", "period": "2024-25 Q4", "breakdown": "all"}
    base.update(cols)
    scalar = all(not isinstance(v, list) for v in base.values())
    return pd.DataFrame(base, index=[0] if scalar else None)


# ---------------------------------------------------------------------------- tables

def test_summary_table():
    cat = pd.DataFrame({"indicator_id": ["W5", "C3"], "name": ["Assessed within target", "Clearance ratio"],
                        "family": ["W", "C"], "unit": ["%", "ratio"], "method": ["proportion", "ratio"],
                        "polarity": ["higher_is_better", "higher_is_better"], "multiplier": [100, 1],
                        "target": [75.0, float("nan")], "caveat": ["", ""]})
    bench = _bench(indicator_id=["C3", "W5"], numerator=[90.0, 3.0], denominator=[100.0, 4.0],
                   value=[0.9, 75.0], unit=["ratio", "%"], indicator_name=["Clearance ratio", "Assessed within target"],
                   polarity="higher_is_better", comparator_value=[1.1, 70.0],
                   comparison=["not_compared", "similar"], assessment=["not_compared", "similar"],
                   rank=[9, 2], n_in_group=[16, 16])
    spc_tab = pd.DataFrame({"indicator_id": ["W5", "C3"], "n_points": [8, 8],
                            "variation": ["special_cause_improvement", "common_cause"],
                            "assurance": ["inconsistent", None], "target": [75.0, float("nan")],
                            "provisional": [True, True]})
    out = rp.summary_table(bench, spc_tab, catalogue=cat)
    # catalogue order (W5 before C3); W5 rests on 3 of 4 -> [c], no comparison, no rank, and no
    # SPC icon beside the withheld figure (the icon describes a quarter the reader cannot see)
    assert out.to_dict("records") == [
        {"indicator_id": "W5", "indicator": "Assessed within target", "value": "[c]",
         "comparator_value": "70.0%", "comparator_is": "-", "comparison": "-", "basis": "-", "rank": "-",
         "trend": "-", "assurance": "-", "target": "75.0%"},
        {"indicator_id": "C3", "indicator": "Clearance ratio", "value": "0.90", "comparator_value": "1.10",
         "comparator_is": "-", "comparison": "Not compared", "basis": "-", "rank": "9 of 16",
         "trend": "\u25cf Normal variation", "assurance": "No target", "target": "-"},
    ]


def test_summary_table_shows_the_one_verdict_what_it_rests_on_and_what_the_group_figure_is():
    cat = pd.DataFrame({"indicator_id": ["W5", "K2", "C3", "W1"],
                        "name": ["Assessed within target", "Complaints upheld", "Clearance ratio", "People waiting"],
                        "family": ["W", "K", "C", "W"], "unit": ["%", "%", "ratio", "people"],
                        "method": ["proportion", "proportion", "ratio", "count"],
                        "polarity": ["higher_is_better", "lower_is_better", "higher_is_better", "context"],
                        "multiplier": [100, 100, 1, 1], "target": [float("nan")] * 4, "caveat": [""] * 4})
    # W5: the interval alone says better, but the group is over-dispersed and the widened
    # funnel says similar: the verdict (similar) is shown, never the interval's "Better".
    # K2: 7 of 10 upheld, a verdict on a denominator under 30: marked.
    bench = _bench(indicator_id=["W5", "K2", "C3", "W1"], indicator_name=cat["name"].tolist(),
                   numerator=[627.0, 7.0, 832.0, 501.0], denominator=[745.0, 10.0, 884.0, float("nan")],
                   value=[84.2, 70.0, 0.94, 501.0], unit=["%", "%", "ratio", "people"],
                   method=cat["method"].tolist(), polarity=cat["polarity"].tolist(),
                   comparator_value=[69.2, 36.1, 0.95, 425.5],
                   comparator_method=["pooled", "pooled", "pooled", "group_median"],
                   n_comparators=[16, 16, 16, 16], comparator_includes_self=[True, True, False, True],
                   comparison=["higher", "higher", "not_compared", "higher"],
                   assessment=["better", "worse", "not_compared", "not_applicable"],
                   verdict=["similar", "worse", "similar", "not_compared"],
                   verdict_basis=["overdispersion_funnel", "overdispersion_funnel", "robust_distance", "none"],
                   funnel_phi=[29.37, 1.92, float("nan"), float("nan")],
                   mad_distance=[2.97, 1.59, 0.057645, 0.65], rank=[2, 15, 9, 3], n_in_group=[16, 16, 16, 16])
    out = rp.summary_table(bench, None, catalogue=cat).set_index("indicator_id")
    assert out["comparison"].to_dict() == {"W5": "Similar", "K2": "Worse (small numbers)", "C3": "Similar",
                                           "W1": "Not compared"}
    assert out.loc["W5", "basis"] == ("judged against funnel limits widened because councils differ more than "
                                      "chance explains (dispersion ratio φ = 29)")
    # 0.06 MADs is within 0.5: the "broadly similar" band (compare.benchmark.MAD_BANDS)
    assert out.loc["C3", "basis"] == ("judged by its distance from the group median (0.06 median absolute deviations "
                                      "above it; band: broadly similar)")
    assert out.loc["W1", "basis"] == "-"
    assert out["comparator_is"].to_dict() == {
        "W5": "pooled figure of 16 councils (this council included)",
        "K2": "pooled figure of 16 councils (this council included)",
        "C3": "pooled figure of 16 councils (this council not included)",
        "W1": "-"}
    # W1 is a count: it grows with the council's size, so no group figure is put beside it
    assert out.loc["W1", "comparator_value"] == "-"
    from ot_benchmark.report.narrative import comparator_description
    assert comparator_description({"comparator_method": "group_median", "n_comparators": 4,
                                   "comparator_includes_self": False}) == "median of 4 councils' figures (this council not included)"
    # no rank "1 of 1": a rank needs another council
    lonely = rp.summary_table(bench.assign(rank=1, n_in_group=1), None, catalogue=cat)
    assert set(lonely["rank"]) == {"-"}


def test_flow_table_and_missing_values():
    t = pd.DataFrame({"authority_code": "E1", "period": ["2024-25 Q1"] * 4 + ["2024-25 Q2"] * 4,
                      "indicator_id": ["W8_referrals", "W8_assessments", "W8_closed_unassessed", "W1"] * 2,
                      "breakdown": "all", "value": [100.0, 80, 10, 300, 120, 90, 5, float("nan")],
                      "note": [None] * 7 + ["no referrals data at the snapshot"]})
    f = rp.flow_table(t)
    assert list(f.columns) == ["period", "referrals", "assessments", "closed_unassessed", "waiting"]
    assert f.iloc[0].tolist() == ["2024-25 Q1", 100.0, 80.0, 10.0, 300.0]
    assert f.iloc[1, :4].tolist() == ["2024-25 Q2", 120.0, 90.0, 5.0] and math.isnan(f.iloc[1, 4])
    m = rp.missing_values_table(t, "E1", "2024-25 Q2")
    assert m.to_dict("records") == [{"indicator_id": "W1", "breakdown": "all",
                                     "reason": "no referrals data at the snapshot"}]


def test_referral_cohort_censoring():
    # cohort referred in 2024-25 Q4 (1 Jan - 31 Mar 2025). A: assessed 10 days after referral.
    # B: closed unassessed after 5 days (censored at 5). C: still waiting at 31 Mar (censored at
    # 31 Mar - 1 Mar = 30). D: assessed after the window end (censored at the end, 20 days).
    # E: referred outside the window. F: assessment after the closure is ignored (censored at
    # the closure, 3 days); its legacy FACS priority "critical" maps to "urgent" (default settings).
    # G: another council, left out.
    d = pd.to_datetime
    ref = pd.DataFrame({
        "authority_code": ["E1"] * 6 + ["E2"],
        "referral_date": d(["2025-01-01", "2025-01-01", "2025-03-01", "2025-03-11", "2024-12-31", "2025-02-01",
                            "2025-01-01"]),
        "first_assessment_date": d(["2025-01-11", None, None, "2025-04-10", "2025-01-05", "2025-02-10", None]),
        "closure_date": d([None, "2025-01-06", None, None, None, "2025-02-04", None]),
        "priority": ["urgent", "high", "high", "low", "low", "critical", "low"]})
    out = rp.referral_cohort(ref, "E1", "2024-25 Q4")
    assert out.to_dict("list") == {"priority": ["urgent", "high", "high", "low", "urgent"],
                                   "duration": [10.0, 5.0, 30.0, 20.0, 3.0],
                                   "observed": [1, 0, 0, 0, 0]}


def test_referral_cohort_pools_quarters():
    # referred 1 Nov 2024 (Q3), assessed 1 Feb 2025 (Q4): in the pooled Q3-Q4 cohort the wait is
    # observed, 30 + 31 + 31 = 92 days (W6k's Q3 cohort would censor it at 31 Dec)
    ref = pd.DataFrame({"authority_code": ["E1"], "referral_date": pd.to_datetime(["2024-11-01"]),
                        "first_assessment_date": pd.to_datetime(["2025-02-01"]),
                        "closure_date": pd.to_datetime([None]), "priority": ["high"]})
    out = rp.referral_cohort(ref, "E1", "2024-25 Q3", "2024-25 Q4")
    assert out.to_dict("list") == {"priority": ["high"], "duration": [92.0], "observed": [1]}


def test_reject_summary_has_no_values_or_ids():
    rej = pd.DataFrame({"table": ["referrals"] * 3 + ["equipment"], "file": ["/x/referrals.csv"] * 3 + ["eq.csv"],
                        "row": [2, 2, 5, 9], "column": ["referral_date", "referral_date", "referral_date", "item_id"],
                        "value": ["R-001", "R-001", "R-002", "IT-9"], "reason": ["not a date"] * 3 + ["duplicate id"]})
    out = rp.reject_summary(rej)
    assert out.to_dict("records") == [
        {"table": "referrals", "file": "referrals.csv", "column": "referral_date", "reason": "not a date", "rows": 2},
        {"table": "equipment", "file": "eq.csv", "column": "item_id", "reason": "duplicate id", "rows": 1},
    ]
    assert "value" not in out.columns


def test_gap_table():
    b = _bench(indicator_id="W5", indicator_name="Assessed within target", unit="%", numerator=300.0,
               denominator=400.0, value=75.0, quartile=3.0, best_quartile_value=80.0, gap_to_best_quartile=5.0,
               gap_counts=20.0, gap_counts_meaning="more people assessed within their priority target",
               gap_gbp=float("nan"), group_q25=70.0, group_median=77.0, group_q75=80.0)
    assert rp.gap_table(b).to_dict("records") == [{
        "indicator": "Assessed within target", "value": "75.0%", "quartile": "3 (1 = best)",
        "group_quartiles": "70.0% / 77.0% / 80.0%", "best_quartile_value": "80.0%", "gap": "5.0 percentage points",
        "closing_the_gap": "About 20 more people assessed within their priority target in the quarter."}]


def test_reader_columns():
    df = pd.DataFrame({"council": ["A"], "optional_details_filled_pct": [90.0], "some_thing": [1]})
    assert list(rp.reader_columns(df).columns) == ["Council", "Optional details filled in (%)", "Some thing"]


def test_gap_table_context_indicator_has_no_best():
    b = _bench(indicator_id="K1", indicator_name="Complaints per 1,000", unit="per 1,000 active cases",
               polarity="context", numerator=30.0, denominator=5000.0, value=6.0, quartile=1.0,
               best_quartile_value=float("nan"), gap_to_best_quartile=float("nan"), gap_counts=float("nan"),
               gap_counts_meaning=None, gap_gbp=float("nan"))
    rec = rp.gap_table(b).to_dict("records")[0]
    assert rec["quartile"] == "1 (1 = highest values)"
    assert rec["closing_the_gap"].startswith("No best performer")


# ---------------------------------------------------------------------------- the cohort clock

def _referrals():
    d = pd.to_datetime
    return pd.DataFrame({
        "authority_code": ["E1", "E1", "E2", "E2", "E1", "E2"],
        #                   r1            r2            r3            r4            r5            r6
        "referral_date": d(["2024-11-01", "2025-01-10", "2025-02-01", "2024-12-20", "2024-09-30", "2025-03-01"]),
        "first_assessment_date": d(["2025-02-01", None, "2025-01-20", "2025-01-05", None, "2025-04-15"]),
        "closure_date": d([None, None, None, "2024-12-25", None, None]),
        "priority": ["Critical", None, "low", "low", "low", "high"],
    })


def _clock(w):
    return {k: w[k].astype(str).tolist() if k in ("authority_code", "period", "priority") else w[k].tolist()
            for k in w.columns}


def test_cohort_waits_each_quarter_followed_to_its_own_end():
    # quarters 2024-25 Q3 (1 Oct - 31 Dec 2024) and Q4 (1 Jan - 31 Mar 2025), W6k's clock:
    # r1 referred 1 Nov, assessed 1 Feb: censored at 31 Dec, 30 + 30 = 60 days; FACS "Critical" -> urgent
    # r2 referred 10 Jan, nothing since: censored at 31 Mar, 21 + 28 + 31 = 80; no priority
    # r3 assessed before its referral: an impossible wait, left out
    # r4 closed unassessed on 25 Dec (the 5 Jan assessment is after the closure): censored at 5
    # r5 referred in Q2: left out
    # r6 referred 1 Mar, assessed 15 Apr: censored at 31 Mar, 30 days
    w = cohort_waits(_referrals(), ["2024-25 Q3", "2024-25 Q4"], load_settings())
    assert _clock(w) == {
        "authority_code": ["E1", "E1", "E2", "E2"],
        "period": ["2024-25 Q3", "2024-25 Q4", "2024-25 Q3", "2024-25 Q4"],
        "priority": ["urgent", "not recorded", "low", "high"],
        "duration": [60.0, 80.0, 5.0, 30.0],
        "observed": [0, 0, 0, 0],
    }
    assert "referral_id" not in w.columns


def test_cohort_waits_pooled_and_extract_follow_up():
    # pooled Q3-Q4: follow-up to 31 Mar for everyone, so r1's assessment on 1 Feb is seen:
    # 30 + 31 + 31 = 92 days
    w = cohort_waits(_referrals(), ["2024-25 Q3", "2024-25 Q4"], load_settings(), pooled=True)
    assert w["duration"].tolist() == [92.0, 80.0, 5.0, 30.0]
    assert w["observed"].tolist() == [1, 0, 0, 0]
    # cohort_follow_up = "extract": follow-up to the latest date in the extract (r6's 15 Apr):
    # r2 10 Jan -> 15 Apr = 80 + 15 = 95 days censored; r6 1 Mar -> 15 Apr = 31 + 14 = 45 observed
    ext = load_settings({"waiting": {"cohort_follow_up": "extract"}})
    w = cohort_waits(_referrals(), ["2024-25 Q3", "2024-25 Q4"], ext)
    assert w["duration"].tolist() == [92.0, 95.0, 5.0, 45.0]
    assert w["observed"].tolist() == [1, 0, 0, 1]


def test_cohort_waits_one_quarter_by_label():
    w = cohort_waits(_referrals(), "2024-25 Q4")
    assert _clock(w)["duration"] == [80.0, 30.0]


def test_km_curves_by_stacks_km_curve_per_group():
    cohort = pd.DataFrame({"priority": ["high", "urgent", "high", "urgent", "high"],
                           "duration": [10.0, 2.0, 20.0, 4.0, 30.0], "observed": [1, 1, 0, 1, 1]})
    curves = rp.km_curves_by(cohort, "priority")
    assert list(curves.columns) == ["priority", "time", "n_risk", "n_event", "n_censor", "survival", "lower", "upper"]
    # high: 3 at risk; event at 10 -> 2/3; censored at 20; event at 30 -> 0
    high = curves[curves["priority"] == "high"]
    assert np.allclose(high["survival"].to_numpy(), [1.0, 2 / 3, 2 / 3, 0.0])
    expected = km_curve(pd.Series([2.0, 4.0]), pd.Series([1, 1]))
    got = curves[curves["priority"] == "urgent"].drop(columns="priority").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_spc_by_indicator_rebases_at_a_declared_change():
    # W5 (higher is better) for 12 quarters: six around 40%, then six around 80% after a
    # declared restructure in 2023-24 Q3. Without re-basing, one mean (60) and limits drawn from
    # the mean moving range sit under the last six points: 6 points above the mean plus the jump
    # push the last point outside the upper limit -> special cause improvement. Re-based at the
    # change, the last six points have their own mean (80) and limits: the last point (81) is
    # common cause.
    periods = ["2022-23 Q1", "2022-23 Q2", "2022-23 Q3", "2022-23 Q4", "2023-24 Q1", "2023-24 Q2",
               "2023-24 Q3", "2023-24 Q4", "2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4"]
    values = [40, 41, 39, 40, 41, 39, 80, 79, 81, 80, 79, 81]
    ind = pd.DataFrame({"authority_code": "E1", "period": periods, "indicator_id": "W5",
                        "breakdown": "all", "value": values})
    cat = pd.DataFrame({"indicator_id": ["W5"], "polarity": ["higher_is_better"], "target": [np.nan]})
    plain = rp.spc_by_indicator(ind, "E1", "2024-25 Q4", cat)
    assert plain.loc[0, "variation"] == "special_cause_improvement"
    settings = load_settings({"spc": {"changes": [
        {"authority": "E06000001", "period": "2023-24 Q3", "note": "restructure"}]}})
    # the change is declared for another council: nothing re-based for E1
    assert rp.spc_by_indicator(ind, "E1", "2024-25 Q4", cat, settings=settings).loc[0, "variation"] \
        == "special_cause_improvement"
    ind["authority_code"] = "E06000001"
    rebased = rp.spc_by_indicator(ind, "E06000001", "2024-25 Q4", cat, settings=settings)
    assert rebased.loc[0, "variation"] == "common_cause"
    assert rebased.loc[0, "n_points"] == 12


def test_styled_tables_show_readable_numbers_and_no_nan():
    # the data-quality page's completeness table: 46097 rows, 72.3% filled, and an extract with
    # no optional columns (no percentage) -- a reader sees "46,097", "72.3" and "-", never "nan"
    # counts held as floats (a column with a blank) still read as whole numbers: 1,031 not 1,031.0
    df = pd.DataFrame({"council": ["Derbyshire", "Derbyshire"], "table": ["equipment", "finance"],
                       "rows": [46097.0, 12.0], "optional_details_filled_pct": [72.3, np.nan]})
    import re

    cells = re.findall(r"<td[^>]*>([^<]*)</td>", rp.styled(df).to_html())
    assert cells == ["Derbyshire", "equipment", "46,097", "72.3", "Derbyshire", "finance", "12", "-"]


def test_gap_table_small_gap_count_is_not_given():
    # the gap is 3 complaints: a count of 1-4 is written "fewer than 5", with no "About" before it
    b = _bench(indicator_id="K3", indicator_name="Complaints answered on time", unit="%", numerator=8.0,
               denominator=11.0, value=72.7, quartile=3.0, best_quartile_value=100.0, gap_to_best_quartile=27.3,
               gap_counts=3.0, gap_counts_meaning="more complaints answered within timescale",
               gap_gbp=float("nan"), group_q25=66.7, group_median=88.2, group_q75=100.0)
    rec = rp.gap_table(b).to_dict("records")[0]
    assert rec["closing_the_gap"] == "Fewer than 5 more complaints answered within timescale in the quarter."
    assert rec["gap"] == "27.3 percentage points"


def test_cost_gap_table_states_the_pounds_over_the_quarter():
    # £398.19 per assessment against a group median of £322.44, over 745 assessments:
    # (398.19 - 322.44) x 745 = 75.75 x 745 = £56,433.75 -> "£56,434 more"
    b = _bench(indicator_id="U1_direct", indicator_name="Cost per OT assessment", unit="£ per assessment",
               polarity="context", numerator=296_651.55, denominator=745.0, value=398.19, group_median=322.44,
               mad_distance=1.954)
    rec = rp.cost_gap_table(b, suppress=False).to_dict("records")[0]
    assert rec["distance"] == "1.95 MAD above"
    assert rec["difference"] == "£56,434 more than at the group median cost, over the quarter's 745 assessments"


def test_team_table_side_by_side_as_published():
    cat = pd.DataFrame({"indicator_id": ["W1", "W5"], "name": ["People waiting", "Assessed within target"],
                        "unit": ["people", "%"]})
    rows = pd.DataFrame({
        "indicator_id": ["W1", "W1", "W1", "W5", "W5", "W5"],
        "breakdown": ["all", "team:North", "team:East", "all", "team:North", "team:East"],
        "value": [12.0, 7.0, 5.0, 80.0, "[c]", "[c]"],  # as published: North's W5 rests on 3 people
    })
    t = rp.team_table(rows, cat, ("W1", "W5", "W9"))  # W9 absent: no column for it
    assert t.to_dict("records") == [
        {"team": "East", "People waiting": "5", "Assessed within target": "[c]"},
        {"team": "North", "People waiting": "7", "Assessed within target": "[c]"},
        {"team": "Whole council", "People waiting": "12", "Assessed within target": "80.0%"},
    ]


def test_km_alt_text_states_each_prioritys_median():
    from ot_benchmark.report import sections

    # urgent: 40% still waiting after day 1, 0% after day 3 -> half assessed within 1 day (the first
    # time the curve is at or below one half); low never falls to one half
    curves = pd.DataFrame({"priority": ["urgent"] * 3 + ["low"] * 2, "time": [0, 1, 3, 0, 90],
                           "survival": [1.0, 0.4, 0.0, 1.0, 0.7]})
    assert sections._km_finding(curves, order=["urgent", "high", "medium", "low"]) == (
        "Half of the people referred were assessed within: urgent 1 day; low more than half still waiting.")
    assert sections._km_finding(curves).startswith("Half of the people referred were assessed within: low")


def test_capacity_alt_text_gives_each_answer():
    from ot_benchmark.report import sections

    sc = pd.DataFrame({"unit": ["weeks", "WTE", "WTE"], "central": [float("inf"), 16.74, 17.66],
                       "current": [501, 15.9, 15.9],
                       "quantity": ["weeks to clear the list at current rates",
                                    "OT WTE for assessments and closures to keep pace with referrals",
                                    "OT WTE to see 98% of people within 26 weeks, reached within 26 weeks"]})
    assert sections._capacity_finding(sc) == (
        "Weeks to clear the list at current rates: never (referrals exceed first assessments plus closures). "
        "OT WTE for assessments and closures to keep pace with referrals: 16.7. "
        "OT WTE to see 98% of people within 26 weeks, reached within 26 weeks: 17.7. OT WTE now: 15.9.")
