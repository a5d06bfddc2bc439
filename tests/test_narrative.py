"""Sentences generated from hand-made rows compared with sentences written out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ot_benchmark.report import disclosure
from ot_benchmark.report import narrative as nv


def _w4(numerator, denominator, **extra):
    # value = numerator / denominator x 100 (catalogue multiplier 100)
    row = {"indicator_id": "W4_26wk", "numerator": numerator, "denominator": denominator,
           "value": numerator / denominator * 100, "unit": "%", "method": "proportion",
           "polarity": "lower_is_better", "name": "Waiting over 26 weeks"}
    row.update(extra)
    return row


# ---------------------------------------------------------------------------- format_value

@pytest.mark.parametrize("value, unit, expected", [
    (77.04, "%", "77.0%"),
    (26.3, "% change", "+26%"),
    (-13.1, "% change", "-13%"),
    (0.134, "% change", "+0.1%"),   # 744 -> 745 assessments: not "+0%"
    (-0.02, "% change", "0.0%"),    # rounds to nothing at one decimal: no sign, never "-0.0%"
    (-0.04, "%", "0.0%"),           # never "-0.0%"
    (42, "days", "42 days"),
    (1, "days", "1 day"),
    (12250, "£", "£12,250"),
    (35.2, "£ per item", "£35.20 per item"),
    (1234.4, "£ per assessment", "£1,234 per assessment"),  # >= £100: whole pounds
    (1.2, "per 1,000 active cases", "1.2 per 1,000 active cases"),
    (1.054, "ratio", "1.05"),
    (1346, "referrals", "1,346"),
    (float("nan"), "%", "no value"),
    ("[c]", "%", "[c]"),
])
def test_format_value(value, unit, expected):
    assert nv.format_value(value, unit) == expected


@pytest.mark.parametrize("value, unit, expected", [
    # halves round up, on the number as written: Python's round() gave 65.4 (the float 65.45 is
    # 65.4499999...) and 2 for 2.5 (round half to even)
    (65.45, "%", "65.5%"),
    (2.5, "days", "3 days"),
    (0.125, "ratio", "0.13"),
    (1234.5, "£ per assessment", "£1,235 per assessment"),
    (0.5, "% change", "+1%"),
    (-0.45, "% change", "-0.5%"),  # under half a percent: one decimal, half up (away from zero)
])
def test_format_value_rounds_half_up(value, unit, expected):
    assert nv.format_value(value, unit) == expected


def test_format_value_takes_the_catalogues_decimals():
    # a score published to three places: 0.428 and 0.412 both printed "0.4 score" at the unit default
    assert nv.format_value(0.428, "score") == nv.format_value(0.412, "score") == "0.4 score"
    assert nv.format_value(0.428, "score", decimals=3) == "0.428 score"
    assert nv.format_value(0.412, "score", decimals=3.0) == "0.412 score"  # as read from a table
    # a blank catalogue cell (<NA>, NaN, None) means the unit's default
    assert nv.format_value(0.4281, "score", decimals=pd.NA) == "0.4 score"
    assert nv.format_value(77.04, "%", decimals=float("nan")) == "77.0%"


# ---------------------------------------------------------------------------- sentences

def test_count_sentence_with_change_and_comparison():
    # 42 of 520 waiting = 8.077% -> "8.1%"; previous quarter 35 people
    s = nv.indicator_sentence(_w4(42, 520, assessment="similar"),
                              previous=_w4(35, 500))
    assert s == ("42 people have waited more than six months (8.1% of everyone waiting), "
                 "up from 35; similar to comparator councils.")


def test_suppressed_count_never_written():
    # 3 people is a count of 1-4: published text says "fewer than 5", and the % is dropped
    s = nv.indicator_sentence(_w4(3, 520, assessment="similar"), previous=_w4(35, 500))
    # a withheld figure gets no verdict (the summary table says "-" too)
    assert s == "Fewer than 5 people have waited more than six months, down from 35."
    assert "3" not in s.replace("35", "")


def test_previous_suppressed_only_says_up_from_fewer_than_5():
    s = nv.indicator_sentence(_w4(12, 400), previous=_w4(2, 390))
    assert s == "12 people have waited more than six months (3.0% of everyone waiting), up from fewer than 5."


def test_disclosure_marker_from_disclosure_module_is_respected():
    row = _w4(42, 520)
    row.update(numerator="[c]", value="[c]")
    s = nv.indicator_sentence(row)
    assert s == "Fewer than 5 people have waited more than six months."


def test_analyst_only_writes_small_counts():
    s = nv.indicator_sentence(_w4(3, 520), suppress=False)
    # 3 / 520 = 0.577% -> "0.6%"
    assert s == "3 people have waited more than six months (0.6% of everyone waiting)."


def test_value_sentence_rank_and_change():
    # W5: 300 of 400 = 75.0%; previous 78.5%; worse than comparators; rank 12 of 16
    row = {"indicator_id": "W5", "numerator": 300, "denominator": 400, "value": 75.0,
           "unit": "%", "method": "proportion", "polarity": "higher_is_better",
           "assessment": "worse", "comparison": "lower", "rank": 12, "n_in_group": 16}
    s = nv.indicator_sentence(row, previous={"numerator": 310, "denominator": 395, "value": 78.5})
    assert s == ("75.0% of the people assessed in the quarter were seen within the target time "
                 "for their priority, down from 78.5%; worse than comparator councils, "
                 "ranked 12th of 16 (1st = best).")


def test_context_indicator_uses_higher_lower_and_no_rank():
    # K1 is context: assessment not_applicable -> the Higher/Lower comparison is used; no rank
    row = {"indicator_id": "K1", "numerator": 30, "denominator": 25000, "value": 1.2,
           "unit": "per 1,000 active cases", "method": "rate", "polarity": "context",
           "assessment": "not_applicable", "comparison": "higher", "rank": 3, "n_in_group": 16}
    assert nv.indicator_sentence(row) == (
        "The complaint rate was 1.2 per 1,000 active cases; higher than comparator councils.")


def test_suppressed_rate_not_shown():
    # 3 complaints: the rate is built on a count of 1-4 and must not be shown
    row = {"indicator_id": "K1", "indicator_name": "Complaints per 1,000 active cases",
           "numerator": 3, "denominator": 2500, "value": 1.2, "unit": "per 1,000 active cases",
           "method": "rate", "polarity": "context", "comparison": "similar"}
    assert nv.indicator_sentence(row) == (
        "Complaints per 1,000 active cases: not shown, because it rests on a count of fewer than 5.")


def test_local_indicator_generic_sentence_and_small_numbers():
    # 20 of 25 = 80%; denominator 25 < 30 -> small-numbers warning
    row = {"indicator_id": "L_phone", "name": "Phone messages answered within 24 hours",
           "numerator": 20, "denominator": 25, "value": 80.0, "unit": "%",
           "method": "proportion", "polarity": "higher_is_better", "comparison": "not_compared"}
    assert nv.indicator_sentence(row) == (
        "Phone messages answered within 24 hours: 80.0%; not compared with other councils "
        "(based on small numbers, so it can swing widely).")


def test_unchanged_and_days():
    row = {"indicator_id": "W6_median", "value": 42.0, "unit": "days", "method": "median",
           "polarity": "lower_is_better", "numerator": math.nan, "denominator": 120}
    s = nv.indicator_sentence(row, previous={"value": 42.0})
    assert s == ("People assessed in the quarter had waited a median of 42 days from referral, "
                 "the same as the previous quarter.")


def test_indicator_sentences_table_with_catalogue_and_previous():
    cat = pd.DataFrame({"indicator_id": ["W1", "W8_referrals"], "name": ["People waiting", "Referrals"],
                        "unit": ["people", "referrals"], "method": ["count", "count"],
                        "polarity": ["context", "context"], "family": ["W", "W"], "caveat": ["", ""]})
    cur = pd.DataFrame({"indicator_id": ["W1", "W8_referrals"], "breakdown": ["all", "all"],
                        "numerator": [520.0, 2.0], "denominator": [float("nan")] * 2,
                        "value": [520.0, 2.0]})
    prev = cur.assign(numerator=[480.0, 7.0], value=[480.0, 7.0])
    out = nv.indicator_sentences(cur, cat, previous=prev)
    assert list(out.columns) == ["indicator_id", "breakdown", "sentence"]
    assert out["sentence"].tolist() == [
        "520 people were waiting for an OT assessment at the end of the quarter, up from 480.",
        "Fewer than 5 referrals were received in the quarter, down from 7.",
    ]


# ---------------------------------------------------------------------------- SPC words

def test_spc_words():
    assert nv.variation_label("special_cause_concern") == "\u25bc Concerning (special cause)"
    assert nv.variation_label("common_cause") == "\u25cf Normal variation"
    assert nv.variation_label("improvement", symbol=False) == "Improving (special cause)"
    assert nv.variation_label(None) == "Not enough data"
    assert nv.assurance_label("consistent_fail") == "F Consistently failing"
    assert nv.assurance_label(float("nan")) == "No target"
    assert nv.spc_sentence("common_cause", "inconsistent", target=75, unit="%", n_points=8) == (
        "The latest quarter is within the range expected from normal variation; at this level of "
        "variation the target of 75.0% will sometimes be met and sometimes missed (provisional: only "
        "8 quarters of data).")
    assert nv.spc_sentence("special_cause_improvement") == (
        "The latest quarter shows a real improvement, not just normal variation.")


def test_spc_sentence_mentions_earlier_special_causes():
    # last point common cause but the chart had a concern run earlier: must not read "nothing happened"
    pts = pd.DataFrame({"point_type": ["special_cause_concern"] * 3 + ["common_cause"] * 2})
    assert nv.spc_sentence("common_cause", points=pts) == (
        "The latest quarter is within the range expected from normal variation, but earlier quarters "
        "show special-cause variation (concern), so look at the chart.")
    calm = pd.DataFrame({"point_type": ["common_cause"] * 5})
    assert nv.spc_sentence("common_cause", points=calm) == (
        "The latest quarter is within the range expected from normal variation; no quarter on the "
        "chart stands out.")


# ---------------------------------------------------------------------------- caveats

def test_caveats_order_and_dedup():
    cat = pd.DataFrame({
        "indicator_id": ["W1", "W6_median", "W6_p90", "K1", "U3_18", "E5"],
        "name": ["People waiting", "Completed wait, median", "Completed wait, 90th percentile",
                 "Complaints per 1,000", "Spend per 1,000 adults", "Collected on time"],
        "family": ["W", "W", "W", "K", "U", "E"],
        "caveat": [
            "Councils define waiting lists and record contacts differently; compare waits between "
            "councils with care (ADASS warns against league tables).",
            "Completed waits look better when long waiters are cleared; always read beside W1-W4.",
            "Completed waits look better when long waiters are cleared; always read beside W1-W4.",
            "A higher complaint rate can mean an accessible complaints process, not a worse service "
            "(the Ombudsman says this of its own figures).",
            "Finance series break at 2014-15 (PSS-EX1 to ASC-FR): never splice trends across it.",
            "Collection standard is local.",
        ]})
    got = nv.caveats(cat["indicator_id"], cat, synthetic=True, small_numbers=True)
    assert got == [
        nv.SYNTHETIC_CAVEAT,
        nv.FAMILY_CAVEATS["W"][0],
        nv.FAMILY_CAVEATS["K"][0],
        nv.FAMILY_CAVEATS["U"][0],
        "Completed wait, median; Completed wait, 90th percentile: completed waits look better when long "
        "waiters are cleared; always read beside W1-W4.",
        "Collected on time: collection standard is local.",
        nv.SMALL_NUMBERS_CAVEAT,
    ]
    assert "ADASS warns against" in nv.FAMILY_CAVEATS["W"][0]
    assert "accessible complaints process" in nv.FAMILY_CAVEATS["K"][0]
    assert "2014-15" in nv.FAMILY_CAVEATS["U"][0]


def test_caveats_real_catalogue_k1():
    from ot_benchmark.catalogue import load_catalogue

    got = nv.caveats(["K1"], load_catalogue())
    assert got == [nv.FAMILY_CAVEATS["K"][0]]


def test_family_markdown():
    md = nv.family_markdown("Complaints", ["A.", "B."], ["Care."])
    assert md == "### Complaints\n\n- A.\n- B.\n\n**Read with care:**\n\n- Care."
    assert nv.family_markdown(None, [], []) == ""


# ---------------------------------------------------------------------------- sentences for a table

def _bench(**cols):
    base = {"authority_code": "E1", "period": "2024-25 Q4", "breakdown": "all"}
    base.update(cols)
    scalar = all(not isinstance(v, list) for v in base.values())
    return pd.DataFrame(base, index=[0] if scalar else None)


def test_sentences_follow_disclosure_secondary_suppression():
    # W5 all 40/50; urgent 2/5 is primary-suppressed; low 38/45 is secondarily suppressed
    # (else 40 - 38 reveals it). The sentence for the low row must not give its value.
    t = _bench(indicator_id="W5", breakdown=["all", "priority:urgent", "priority:low"],
               numerator=[40.0, 2.0, 38.0], denominator=[50.0, 5.0, 45.0], value=[80.0, 40.0, 84.4],
               unit="%", method="proportion", polarity="higher_is_better", name="Assessed within target")
    out = nv.indicator_sentences(t)
    assert out["sentence"].tolist()[1:] == [
        "Assessed within target: not shown, because it rests on a count of fewer than 5.",
        "Assessed within target: not shown, because it rests on a count of fewer than 5.",
    ]
    assert out["sentence"].iloc[0].startswith("80.0% of the people assessed")


def test_rate_small_numbers_uses_the_numerator():
    # C1: 534 cases over 20 WTE = 26.7 per WTE: a rate on 534 events is not small, even though
    # the denominator (20 WTE) is below 30
    row = {"indicator_id": "C1", "numerator": 534.0, "denominator": 20.0, "value": 26.7,
           "unit": "cases per WTE", "method": "rate", "polarity": "context"}
    assert nv.indicator_sentence(row) == "The open caseload (excluding cases on review) was 26.7 cases per WTE."


def test_count_phrase():
    assert nv.count_phrase(1234) == "1,234"
    assert nv.count_phrase(3) == "fewer than 5"
    assert nv.count_phrase(3, suppress=False) == "3"
    assert nv.count_phrase(0) == "no"


def test_change_too_small_to_print():
    # 51.2 and 50.9 days both print as "51 days": not "down from 51 days"
    row = {"indicator_id": "W6_mean", "value": 50.9, "unit": "days", "method": "mean",
           "polarity": "lower_is_better", "numerator": float("nan"), "denominator": 300}
    assert nv.indicator_sentence(row, previous={"value": 51.2}) == (
        "The mean wait of people assessed in the quarter was 51 days (a secondary measure, pulled up by "
        "a few very long waits), about the same as the previous quarter.")


# ---------------------------------------------------------------------------- SPC re-basing

def test_spc_rebase_sentence():
    assert nv.spc_rebase_sentence(None) == ""
    assert nv.spc_rebase_sentence(pd.DataFrame(columns=["period", "declared_period", "note"])) == ""
    tail = (" Each stretch has its own mean and limits, so every quarter is judged against how the "
            "service worked at the time.")
    one = pd.DataFrame({"period": ["2023-24 Q3"], "declared_period": ["2023-24 Q3"], "note": ["OT posts doubled."]})
    assert nv.spc_rebase_sentence(one) == (
        "The limits were re-based at 2023-24 Q3 because of a known change: OT posts doubled." + tail)
    no_note = pd.DataFrame({"period": ["2024-25 Q1"], "declared_period": ["2023-24 Q4"], "note": [""]})
    assert nv.spc_rebase_sentence(no_note) == (
        "The limits were re-based at 2024-25 Q1 (the first quarter with a figure after the change in "
        "2023-24 Q4) because of a known change recorded in the council's settings." + tail)
    two = pd.DataFrame({"period": ["2023-24 Q3", "2024-25 Q2"], "note": ["OT posts doubled", ""]})
    assert nv.spc_rebase_sentence(two) == (
        "The limits were re-based at 2023-24 Q3 (OT posts doubled) and 2024-25 Q2, because of known "
        "changes recorded in the council's settings." + tail)


def test_spc_sentence_provisional_counts_quarters_since_the_rebase():
    # 14 quarters, re-based at the 9th: the latest limits rest on 6 quarters -> provisional
    pts = pd.DataFrame({"point_type": ["common_cause"] * 14, "segment": [0] * 8 + [1] * 6})
    assert nv.spc_sentence("common_cause", n_points=14, points=pts) == (
        "The latest quarter is within the range expected from normal variation; no quarter on the "
        "chart stands out (provisional: only 6 quarters since the limits were re-based).")
    # not re-based: 14 quarters are enough, nothing provisional
    flat = pts.assign(segment=0)
    assert nv.spc_sentence("common_cause", n_points=14, points=flat) == (
        "The latest quarter is within the range expected from normal variation; no quarter on the "
        "chart stands out.")


# ---------------------------------------------------------------------------- funnel over-dispersion

def _funnel_row(phi, flag, flag_od, numerator=120, denominator=150, verdict=None):
    # a W5-like benchmark row (higher is better): 120 of 150 assessed within target
    row = {"indicator_id": "W5", "method": "proportion", "polarity": "higher_is_better", "numerator": numerator,
           "denominator": denominator, "value": numerator / denominator * 100, "funnel_phi": phi,
           "funnel_flag": flag, "funnel_flag_od": flag_od}
    if verdict is not None:
        row["verdict"] = verdict
    return row


OD = "Councils differ more than chance alone explains (dispersion ratio φ = "
NO_OD = "Councils differ no more than chance alone would explain (dispersion ratio φ = "


@pytest.mark.parametrize("row, expected", [
    # over-dispersed, plain flag high, widened flag not significant: the verdict is similar
    (_funnel_row(29.37, "High (0.001)", "Not significant"),
     OD + "29); allowing for that, Lancashire is similar to comparator councils, although it lies outside "
          "the plain funnel limits."),
    # over-dispersed and still outside the widened limits
    (_funnel_row(11.45, "Low (0.001)", "Low (0.025)"),
     OD + "11); allowing for that, Lancashire is still worse than comparator councils."),
    (_funnel_row(3.03, "High (0.001)", "High (0.001)"),
     OD + "3.0); allowing for that, Lancashire is still better than comparator councils."),
    # over-dispersed, inside even the plain limits
    (_funnel_row(1.73, "Not significant", "Not significant"),
     OD + "1.7); Lancashire is similar to comparator councils: it is inside even the plain funnel limits."),
    # no over-dispersion (φ <= 1): the plain limits stand
    (_funnel_row(0.8432, "Low (0.025)", "Low (0.025)"),
     NO_OD + "0.84), so the plain funnel limits are a fair guide; Lancashire is worse than comparator councils."),
    (_funnel_row(1.0, "Not significant", "Not significant"),
     NO_OD + "1.0), so the plain funnel limits are a fair guide; Lancashire is similar to comparator councils."),
    # the council has no flag (no figure): only the group is described
    (_funnel_row(1234.5, float("nan"), float("nan")),
     OD + "1,234), so the plain funnel limits mark more councils as unusual than they should."),
    (_funnel_row(0.5, None, None), NO_OD + "0.50), so the plain funnel limits are a fair guide."),
    # too few councils: φ missing, nothing is claimed
    (_funnel_row(float("nan"), "High (0.001)", float("nan")), ""),
    # a benchmark row's verdict is what is said (φ <= 1: the interval decided, whatever the plain flag)
    (_funnel_row(0.9, "Not significant", "Not significant", verdict="better"),
     NO_OD + "0.90), so the plain funnel limits are a fair guide; Lancashire is better than comparator councils."),
    (_funnel_row(0.9, "High (0.025)", "High (0.025)", verdict="not_compared"),
     NO_OD + "0.90), so the plain funnel limits are a fair guide."),
])
def test_funnel_dispersion_sentence(row, expected):
    assert nv.funnel_dispersion_sentence(row, council="Lancashire") == expected


def test_funnel_dispersion_sentence_respects_suppression():
    # 3 of 4: a count of 1-4, suppressed in published output -> the council is not placed in words
    small = _funnel_row(29.0, "Low (0.001)", "Low (0.025)", numerator=3, denominator=4)
    assert nv.funnel_dispersion_sentence(small, council="Rutland") == (
        OD + "29), so the plain funnel limits mark more councils as unusual than they should.")
    assert nv.funnel_dispersion_sentence(small, council="Rutland", suppress=False) == (
        OD + "29); allowing for that, Rutland is still worse than comparator councils.")
    # a benchmark row as a pandas Series works too, and the default name is "this council"
    assert nv.funnel_dispersion_sentence(pd.Series(_funnel_row(2.0, "High (0.025)", "Not significant"))) == (
        OD + "2.0); allowing for that, this council is similar to comparator councils, although it lies outside "
        "the plain funnel limits.")


# ---------------------------------------------------------------------------- trend_sentence

def _trend(values, *, yoy=pd.NA, qoq=pd.NA, group=(70.2, 69.6, 69.2), numerators=(60, 70, 80)):
    # three quarters: a year ago (2023-24 Q4), the quarter before (2024-25 Q3), now (2024-25 Q4)
    return pd.DataFrame({
        "period": ["2023-24 Q4", "2024-25 Q3", "2024-25 Q4"],
        "value": list(values),
        "numerator": list(numerators),
        "previous_period": [None, None, "2024-25 Q3"],
        "year_ago_period": [None, None, "2023-24 Q4"],
        "qoq_beyond_ci": pd.array([pd.NA, pd.NA, qoq], dtype="boolean"),
        "yoy_beyond_ci": pd.array([pd.NA, pd.NA, yoy], dtype="boolean"),
        "group_value": list(group),
    })


def test_trend_sentence_year_quarter_and_group():
    t = _trend([78.1, 80.64, 84.16], yoy=True, qoq=False)
    # 84.16 -> "84.2%", 80.64 -> "80.6%"; up and higher is better -> an improvement
    assert nv.trend_sentence(t, unit="%", polarity="higher_is_better") == (
        "84.2% in 2024-25 Q4, up from 78.1% a year earlier (an improvement larger than chance would "
        "explain) and up from 80.6% the quarter before (small enough to be chance); the comparator "
        "group moved from 70.2% to 69.2% over the year.")
    # the same rise where lower is better is a worsening; with no polarity, a change
    assert "(a worsening larger than chance would explain)" in nv.trend_sentence(
        t, unit="%", polarity="lower_is_better")
    assert "(a change larger than chance would explain)" in nv.trend_sentence(t, unit="%", polarity="context")
    # a fall where lower is better is an improvement
    down = _trend([90.0, 80.64, 84.16], yoy=True, qoq=True)
    assert nv.trend_sentence(down, unit="%", polarity="lower_is_better", group_name="similar councils") == (
        "84.2% in 2024-25 Q4, down from 90.0% a year earlier (an improvement larger than chance would "
        "explain) and up from 80.6% the quarter before (a worsening larger than chance would explain); "
        "similar councils moved from 70.2% to 69.2% over the year.")


def test_trend_sentence_no_intervals_same_figure_and_earlier_quarter():
    # no intervals (NA flags): nothing said about chance; 50.04 and 49.96 both print "50.0%"
    # (about the same), the quarter before is exactly 50.04 (the same)
    t = _trend([49.96, 50.04, 50.04], group=(61.0, 61.04, 60.96))
    assert nv.trend_sentence(t, unit="%") == (
        "50.0% in 2024-25 Q4, about the same as a year earlier (50.0%) and the same as the quarter "
        "before (50.0%); the comparator group stayed at about 61.0% over the year.")
    # an earlier quarter: 2023-24 Q4 has no earlier rows -> nothing to compare with
    assert nv.trend_sentence(t, period="2023-24 Q4", unit="%") == (
        "50.0% in 2023-24 Q4, with no earlier quarter to compare with; the comparator group's figure "
        "was 61.0%.")
    assert nv.trend_sentence(t, period="2025-26 Q1") == "There is no figure for 2025-26 Q1."
    assert nv.trend_sentence(t.iloc[:0]) == ""
    # a year-ago quarter without a group figure: the group moved over the quarter instead
    t2 = _trend([40.0, 42.0, 45.0], group=(float("nan"), 30.0, 31.0))
    assert nv.trend_sentence(t2, unit="days").endswith(
        "the comparator group moved from 30 days to 31 days over the quarter.")


def test_trend_sentence_never_writes_a_suppressed_figure():
    # published table: the year-ago figure is [c], as are the changes worked out from it
    t = _trend([78.1, 80.64, 84.16], yoy=True, qoq=False).astype(object)
    t.loc[0, ["value", "numerator"]] = "[c]"
    t.loc[2, "yoy_beyond_ci"] = "[c]"
    s = nv.trend_sentence(t, unit="%", polarity="higher_is_better")
    assert s == ("84.2% in 2024-25 Q4, up from 80.6% the quarter before (small enough to be chance); the "
                 "figure a year earlier is not shown, because it rests on a count of fewer than 5; the "
                 "comparator group moved from 70.2% to 69.2% over the year.")
    # the current quarter suppressed: no figure and no change, the group still described
    t = _trend([78.1, 80.64, 84.16], yoy=True, qoq=False).astype(object)
    t.loc[2, ["value", "numerator"]] = "[c]"
    assert nv.trend_sentence(t, unit="%") == (
        "The figure for 2024-25 Q4 is not shown, because it rests on a count of fewer than 5; the "
        "comparator group moved from 70.2% to 69.2% over the year.")
    # an unsuppressed table: a proportion on 3 (a count of 1-4) is hidden when suppress=True ...
    raw = _trend([78.1, 80.64, 84.16], yoy=True, qoq=False, numerators=(60, 3, 4))
    s = nv.trend_sentence(raw, unit="%", method="proportion")
    assert s == ("The figure for 2024-25 Q4 is not shown, because it rests on a count of fewer than 5; the "
                 "comparator group moved from 70.2% to 69.2% over the year.")
    assert "84.2" not in s and "80.6" not in s
    # ... both earlier quarters hidden while the current one is shown
    raw = _trend([78.1, 80.64, 84.16], yoy=True, qoq=False, numerators=(2, 3, 40))
    assert nv.trend_sentence(raw, unit="%", method="proportion") == (
        "84.2% in 2024-25 Q4; the figures a year earlier and the quarter before are not shown, because "
        "they rest on counts of fewer than 5; the comparator group moved from 70.2% to 69.2% over the year.")
    # ... and written for an analyst-only output
    assert nv.trend_sentence(raw, unit="%", method="proportion", suppress=False).startswith(
        "84.2% in 2024-25 Q4, up from 78.1% a year earlier")


def test_trend_sentence_from_compare_trend():
    from ot_benchmark.compare import benchmark as compare

    # A: W5 50/100 in 2023-24 Q1 (95% interval 40-60), 70/100 in 2024-25 Q1 (61-79); B: 80/100
    # both. Group pooled with A: (50 + 80)/200 = 65.0%, then (70 + 80)/200 = 75.0%. The intervals
    # do not overlap (61 > 60): beyond chance. 2023-24 Q4 is missing: no quarter-on-quarter change.
    t = pd.DataFrame({
        "authority_code": ["A", "B", "A", "B"], "period": ["2023-24 Q1"] * 2 + ["2024-25 Q1"] * 2,
        "indicator_id": "W5", "breakdown": "all", "numerator": [50.0, 80.0, 70.0, 80.0],
        "denominator": 100.0, "value": [50.0, 80.0, 70.0, 80.0],
        "lower_95": [40.0, 71.0, 61.0, 71.0], "upper_95": [60.0, 87.0, 79.0, 87.0],
    })
    tr = disclosure.published_trend(compare.trend(t, "A", "W5", group=["B"]), t)
    assert nv.trend_sentence(tr, unit="%", method="proportion", polarity="higher_is_better") == (
        "70.0% in 2024-25 Q1, up from 50.0% a year earlier (an improvement larger than chance would "
        "explain); the comparator group moved from 65.0% to 75.0% over the year.")


def test_a_count_compared_with_the_group_says_size_drives_it():
    # W1 is a raw count: 501 waiting against a group median of 426 is "higher" mostly because
    # the council is bigger, and the sentence must say so rather than imply a worse service.
    row = {"indicator_id": "W1", "value": 501.0, "numerator": 501.0, "denominator": math.nan,
           "unit": "people", "method": "count", "polarity": "context", "comparison": "higher"}
    s = nv.indicator_sentence(row, previous={"value": 462.0, "numerator": 462.0})
    assert s == ("501 people were waiting for an OT assessment at the end of the quarter, up from 462; "
                 "higher than comparator councils (a count, so it reflects the council's size).")
