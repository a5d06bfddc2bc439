"""Small-number disclosure control (METHODS.md): hand-made tables, expected cells worked out by hand
in the comments."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.report import disclosure as d
from ot_benchmark.report import export

C = d.SYMBOL


def test_primary_rule_is_one_to_four():
    s = pd.Series([0, 1, 2, 4, 5, np.nan, 4.5, 0.5])
    # 0 and 5 are shown; NaN is not a count; fractional counts below 5 (e.g. rounded) are hidden
    assert d.primary_mask(s).tolist() == [False, True, True, True, False, False, True, True]


def test_generic_table_primary_and_rates():
    t = pd.DataFrame({"team": ["N", "S", "E"], "seen": [3, 10, 0], "referrals": [20, 4, 9],
                      "pct_seen": [15.0, 250.0, 0.0], "avg_age": [70.0, 71.0, 72.0]})
    out = d.suppress_table(t, counts=["seen", "referrals"], rates={"pct_seen": ["seen", "referrals"]})
    # N: seen 3 hidden -> pct hidden. S: referrals 4 hidden -> pct hidden. E: 0 of 9 shown.
    assert out["seen"].tolist() == [C, 10, 0]
    assert out["referrals"].tolist() == [20, C, 9]
    assert out["pct_seen"].tolist() == [C, C, 0.0]
    assert out["avg_age"].tolist() == [70.0, 71.0, 72.0]  # not named: untouched
    assert t["seen"].tolist() == [3, 10, 0]  # input not modified


def test_rates_as_list_are_built_on_all_counts():
    t = pd.DataFrame({"a": [2, 10], "b": [10, 10], "r": [0.2, 1.0]})
    out = d.suppress_table(t, counts=["a", "b"], rates=["r"])
    assert out["r"].tolist() == [C, 1.0]


def test_secondary_suppression_hides_next_smallest_nonzero_part():
    # parts 3, 0, 7 of total 10: 3 is hidden; with the total shown 3 = 10 - 0 - 7, so the next
    # smallest NON-ZERO part (7) is hidden too; 0 stays (hiding it would protect nothing: 10 - 7).
    t = pd.DataFrame({"la": "A", "breakdown": ["all", "priority:urgent", "priority:high", "priority:low"],
                      "n": [10, 3, 0, 7]})
    out = d.suppress_table(t, counts=["n"], group_by=["la"], breakdown="breakdown")
    assert out["n"].tolist() == [10, C, 0, C]


def test_secondary_suppression_falls_back_to_total():
    # the only other member of the group is the total (the other part is not applicable, NaN):
    # 30 shown would give urgent = 30 exactly, so the total goes.
    t = pd.DataFrame({"la": "A", "breakdown": ["all", "priority:urgent", "priority:high"], "n": [30, 3, np.nan]})
    out = d.suppress_table(t, counts=["n"], group_by=["la"], breakdown="breakdown")
    assert out["n"].tolist()[:2] == [C, C]


def test_secondary_suppression_crosses_dimensions_through_the_total():
    # priority: urgent 3 is the only part -> the total 30 is hidden (previous rule). The band
    # dimension shares that total: now the total is the lone hidden cell of the band group and
    # 30 = 10 + 20 would give it back, so the smallest band (band:a, 10) is hidden as well.
    t = pd.DataFrame({"la": "A",
                      "breakdown": ["all", "priority:urgent", "band:a", "band:b"],
                      "n": [30, 3, 10, 20]})
    out = d.suppress_table(t, counts=["n"], group_by=["la"], breakdown="breakdown")
    assert out["n"].tolist() == [C, C, C, 20]


def test_groups_are_separate():
    t = pd.DataFrame({"la": ["A"] * 3 + ["B"] * 3, "breakdown": ["all", "x", "y"] * 2,
                      "n": [13, 3, 10, 13, 6, 7]})
    out = d.suppress_table(t, counts=["n"], group_by=["la"], breakdown="breakdown")
    # A: 3 hidden, 10 hidden as its complement; B has nothing small
    assert out["n"].tolist() == [13, C, C, 13, 6, 7]


def test_parts_without_a_total_row_still_protected():
    # wait bands published without their total (the total is W1 elsewhere): a lone hidden band
    # could be recovered from W1, so a second band is hidden.
    t = pd.DataFrame({"la": "A", "band": ["0-7", "8-14", "15-28"], "n": [2, 40, 25]})
    out = d.suppress_table(t, counts=["n"], group_by=["la"], breakdown="band")
    assert out["n"].tolist() == [C, 40, C]


def test_unknown_columns_are_an_error():
    t = pd.DataFrame({"a": [1]})
    with pytest.raises(KeyError, match="nope"):
        d.suppress_table(t, counts=["nope"])
    with pytest.raises(KeyError, match="b"):
        d.suppress_table(t, counts=["a"], rates={"r": ["b"]})


# ----------------------------------------------------------------------------- indicator table

def _ind(rows):
    cols = ["authority_code", "period", "indicator_id", "breakdown", "numerator", "denominator", "value",
            "lower_95", "upper_95"]
    return pd.DataFrame(rows, columns=cols)


def test_count_roles_follow_catalogue_method_and_unit():
    roles = d.count_roles()
    assert roles.loc["W5"].tolist() == [True, True, False]  # proportion
    assert roles.loc["W1", "value_is_count"]  # count
    assert not roles.loc["C1", "denominator_is_count"]  # cases per WTE: WTE is not people
    assert not roles.loc["C4_agency_wte", "numerator_is_count"]  # WTE
    assert roles.loc["W6_mean", "denominator_is_count"] and not roles.loc["W6_mean", "numerator_is_count"]
    # the catalogue's counts_people: posts, WTE and £ are not people
    for iid in ("C4", "C5_6m", "C5_bands", "C6", "E6", "U3_18"):
        assert not roles.loc[iid].any(), iid
    assert roles.loc["C1"].tolist() == [True, False, False]  # cases yes, WTE no
    assert roles.loc["U1_direct"].tolist() == [False, True, False]  # £ no, assessments yes


def test_workforce_counts_are_not_suppressed_but_people_are():
    P = "2024-25 Q4"
    t = _ind([
        # C4 vacancy: 2 vacant WTE of 20 -> 10%: posts, not people -> shown
        ["A", P, "C4", "all", 2.0, 20.0, 10.0, 3.0, 30.0],
        # C5_6m: 1 of 3 vacant posts vacant six months or more -> shown
        ["A", P, "C5_6m", "all", 1, 3, 33.3, 6.0, 79.0],
        # C6 agency share 1.5 of 21.5 WTE -> shown
        ["A", P, "C6", "all", 1.5, 21.5, 7.0, 2.0, 22.0],
        # E3: 3 of 40 collected items reused -> items are issued to people: hidden
        ["A", P, "E3", "all", 3, 40, 7.5, 2.6, 19.9],
        # C1: 4 cases per 10 WTE: the 4 cases are people -> hidden, the WTE shown
        ["A", P, "C1", "all", 4, 10.0, 0.4, np.nan, np.nan],
    ])
    out = d.suppress_indicators(t)
    assert out.loc[0, ["numerator", "denominator", "value"]].tolist() == [2.0, 20.0, 10.0]
    assert out.loc[1, ["numerator", "denominator", "value"]].tolist() == [1, 3, 33.3]
    assert out.loc[2, ["numerator", "value"]].tolist() == [1.5, 7.0]
    assert out.loc[3, ["numerator", "value", "lower_95"]].tolist() == [C, C, C]
    assert out.loc[4, ["numerator", "denominator", "value"]].tolist() == [C, 10.0, C]


def test_catalogue_without_counts_people_suppresses_everything_countable():
    # a council's own (or an older) catalogue without the column: every indicator is read as
    # counting people, so a local "vacancy" indicator of 2 of 20 is hidden - the safe side
    cat = pd.DataFrame({"indicator_id": ["L_vac"], "method": ["proportion"], "unit": ["%"]})
    roles = d.count_roles(cat)
    assert roles.loc["L_vac"].tolist() == [True, True, False]
    t = _ind([["A", "2024-25 Q4", "L_vac", "all", 2.0, 20.0, 10.0, 3.0, 30.0]])
    assert d.suppress_indicators(t, catalogue=cat).loc[0, ["numerator", "value"]].tolist() == [C, C]


def test_indicator_table_suppression():
    P = "2024-25 Q4"
    t = _ind([
        # W5 by priority: 2 of 5 urgent in time -> numerator hidden, high numerator hidden as complement
        ["A", P, "W5", "all", 40, 50, 80.0, 67.0, 89.0],
        ["A", P, "W5", "priority:urgent", 2, 5, 40.0, 12.0, 77.0],
        ["A", P, "W5", "priority:high", 38, 45, 84.4, 71.0, 92.0],
        # W7: 0 of 3 contacted: the denominator 3 is small -> numerator and rate hidden too
        ["A", P, "W7", "all", 0, 3, 0.0, 0.0, 56.0],
        # C1: 30 cases per 3.0 WTE: WTE is not a count of people -> shown
        ["A", P, "C1", "all", 30, 3.0, 10.0, np.nan, np.nan],
        # W1 as a count without a numerator: value 4 hidden
        ["A", P, "W1", "all", np.nan, np.nan, 4.0, np.nan, np.nan],
        # W2_median from 4 people waiting: hidden
        ["A", P, "W2_median", "all", np.nan, 4, 35.0, 20.0, 60.0],
        # another council, nothing small
        ["B", P, "W5", "all", 40, 50, 80.0, 67.0, 89.0],
    ])
    out = d.suppress_indicators(t)
    assert out["numerator"].tolist()[:3] == [40, C, C]
    assert out["denominator"].tolist()[:3] == [50, 5, 45]
    assert out["value"].tolist()[:3] == [80.0, C, C]
    assert out["lower_95"].tolist()[:3] == [67.0, C, C]
    assert out.loc[3, ["numerator", "denominator", "value", "upper_95"]].tolist() == [C, C, C, C]
    assert out.loc[4, ["numerator", "denominator", "value"]].tolist() == [30, 3.0, 10.0]
    assert out.loc[5, "value"] == C and pd.isna(out.loc[5, "numerator"])  # NaN stays blank
    assert out.loc[6, ["denominator", "value", "lower_95"]].tolist() == [C, C, C]
    assert out.loc[7, ["numerator", "value"]].tolist() == [40, 80.0]


def test_indicator_numerator_and_denominator_groups_both_protected():
    P = "2024-25 Q4"
    # denominators by priority 3 and 47 (total 50): 3 hidden -> 47 hidden (else 50 - 47), and with
    # them the numerators and rates of both rows.
    t = _ind([
        ["A", P, "W4_26wk", "all", 20, 50, 40.0, np.nan, np.nan],
        ["A", P, "W4_26wk", "priority:urgent", 0, 3, 0.0, np.nan, np.nan],
        ["A", P, "W4_26wk", "priority:low", 20, 47, 42.6, np.nan, np.nan],
    ])
    out = d.suppress_indicators(t)
    assert out["denominator"].tolist() == [50, C, C]
    assert out["numerator"].tolist() == [20, C, C]
    assert out["value"].tolist() == [40.0, C, C]


# ----------------------------------------------------------------------------- published tables

def test_save_table_writes_suppressed_csv_and_workbook(tmp_path):
    t = pd.DataFrame({"team": ["N", "S"], "waiting": [3, 12]})
    shown = export.save_table(t, "waiting_by_team", tmp_path, counts=["waiting"])
    assert shown["waiting"].tolist() == [C, 12]
    csv = pd.read_csv(tmp_path / "tables" / "waiting_by_team.csv", dtype=str)
    assert csv["waiting"].tolist() == [C, "12"]
    export.save_table(pd.DataFrame({"x": [1.5]}), "other", tmp_path, counts=[])
    book = pd.read_excel(tmp_path / "tables.xlsx", sheet_name=None)
    assert list(book) == ["waiting_by_team", "other"]
    assert book["waiting_by_team"]["waiting"].tolist() == [C, 12]
    man = json.loads((tmp_path / "manifest.json").read_text())
    assert [(e["name"], e["suppressed_cells"]) for e in man["tables"]] == [("waiting_by_team", 1), ("other", 0)]


def test_save_table_refuses_to_guess_counts(tmp_path):
    with pytest.raises(ValueError, match="counts="):
        export.save_table(pd.DataFrame({"team": ["N"], "waiting": [3]}), "t", tmp_path)


def test_save_table_unsuppressed_is_recorded_as_such(tmp_path):
    export.save_table(pd.DataFrame({"waiting": [3]}), "raw", tmp_path, suppress=False)
    assert pd.read_csv(tmp_path / "tables" / "raw.csv")["waiting"].tolist() == [3]
    assert json.loads((tmp_path / "manifest.json").read_text())["tables"][0]["suppressed"] is False


def test_save_table_name_rules(tmp_path):
    with pytest.raises(ValueError, match="lower-case"):
        export.save_table(pd.DataFrame({"a": [1]}), "Bad Name", tmp_path, counts=[])


def test_remedy_total_suppressed_with_its_payment_count():
    # Two remedy payments of £750 and £12,250 in a quarter: K6_count = 2 is a count of people
    # (1-4), so it is [c]; the £ total (13,000) would reveal them, so the catalogue's
    # suppress_with = K6_count hides it too. Another council with 7 payments shows both.
    from ot_benchmark.report.disclosure import suppress_indicators

    rows = [
        ("E1", "K6_count", 2.0, np.nan, 2.0),
        ("E1", "K6_gbp", 13000.0, np.nan, 13000.0),
        ("E2", "K6_count", 7.0, np.nan, 7.0),
        ("E2", "K6_gbp", 41000.0, np.nan, 41000.0),
    ]
    table = pd.DataFrame(rows, columns=["authority_code", "indicator_id", "numerator", "denominator", "value"])
    table["period"] = "2024-25 Q4"
    table["breakdown"] = "all"
    out = suppress_indicators(table)
    got = dict(zip(out["authority_code"] + "/" + out["indicator_id"], out["value"]))
    assert got["E1/K6_count"] == "[c]"
    assert got["E1/K6_gbp"] == "[c]"
    assert float(got["E2/K6_count"]) == 7.0
    assert float(got["E2/K6_gbp"]) == 41000.0


def test_changes_are_hidden_only_when_they_would_reveal_a_small_count():
    # C7_assessments: 745 assessments this quarter against 744 last quarter is a change of +1
    # (numerator 1, denominator 744). Both counts are published, so the change of 1 reveals
    # nobody and stays. K7: 3 complaints this quarter against 18 a year earlier is a change of
    # -15 on 18; the current count (K1's numerator, 3) is [c], and 18 - 15 would give it back,
    # so K7 is hidden with it (catalogue: K7 suppress_with K1). W8_net_change of -17 beside a
    # suppressed list of 3 (W1) would likewise reveal it.
    from ot_benchmark.report.disclosure import suppress_indicators

    rows = [
        ("W8_assessments", 745.0, np.nan, 745.0),
        ("C7_assessments", 1.0, 744.0, 100 * 1 / 744),
        ("K1", 3.0, 1844.0, 1000 * 3 / 1844),
        ("K7", -15.0, 18.0, 100 * -15 / 18),
        ("W1", 3.0, np.nan, 3.0),
        ("W8_net_change", -17.0, np.nan, -17.0),
    ]
    table = pd.DataFrame(rows, columns=["indicator_id", "numerator", "denominator", "value"])
    table.insert(0, "authority_code", "E1")
    table["period"] = "2024-25 Q4"
    table["breakdown"] = "all"
    out = suppress_indicators(table).set_index("indicator_id")
    assert float(out.loc["C7_assessments", "value"]) == pytest.approx(100 / 744)
    assert out.loc["K1", "numerator"] == "[c]"
    assert out.loc["K7", "value"] == "[c]" and out.loc["K7", "numerator"] == "[c]"
    assert out.loc["W1", "value"] == "[c]"
    assert out.loc["W8_net_change", "value"] == "[c]"


def test_comparator_pooled_count_of_people_is_suppressed():
    # K4, Ombudsman upheld rate: the council had 6 decisions, 4 upheld; the whole group pooled
    # 3 upheld of 7 decided -> the comparator numerator 3 counts people, so the comparator
    # value (42.9%) and its counts are [c]. W5 with a pooled 412 of 530 is published.
    from ot_benchmark.report.disclosure import suppress_indicators

    bench = pd.DataFrame({
        "authority_code": "E1", "period": "2024-25 Q4", "breakdown": "all",
        "indicator_id": ["K4", "W5"],
        "numerator": [4.0, 40.0], "denominator": [6.0, 50.0], "value": [4 / 6 * 100, 80.0],
        "comparator_numerator": [3.0, 412.0], "comparator_denominator": [7.0, 530.0],
        "comparator_value": [3 / 7 * 100, 412 / 530 * 100],
    })
    out = suppress_indicators(bench).set_index("indicator_id")
    assert out.loc["K4", "comparator_value"] == "[c]"
    assert out.loc["K4", "comparator_numerator"] == "[c]"
    # the council's own 4 upheld is a small count too
    assert out.loc["K4", "value"] == "[c]"
    assert float(out.loc["W5", "comparator_value"]) == pytest.approx(412 / 530 * 100)


def test_published_flag_follows_slices_and_is_lost_when_mixed_with_unpublished_rows():
    from ot_benchmark.report import disclosure, narrative

    rows = pd.DataFrame({"authority_code": "E1", "period": "2024-25 Q4", "indicator_id": "W5",
                         "breakdown": ["all", "priority:urgent", "priority:low"],
                         "numerator": [40.0, 2.0, 38.0], "denominator": [50.0, 5.0, 45.0], "value": [80.0, 40.0, 84.4]})
    # unmarked rows are suppressed by the sentences themselves: 2 of 5 urgent, and low as its complement
    assert narrative._published(rows, None)["value"].tolist() == [80.0, "[c]", "[c]"]
    shown = disclosure.mark_published(disclosure.suppress_indicators(rows))
    assert disclosure.is_published(shown.iloc[1:]) and disclosure.is_published(shown.iloc[0])
    assert narrative._published(shown, None) is shown  # not worked out again
    # mixed with rows that were never published, the flag is gone and the rows are suppressed again
    mixed = shown[["indicator_id", "breakdown"]].merge(rows, on=["indicator_id", "breakdown"])
    assert not disclosure.is_published(mixed)
    assert narrative._published(mixed, None)["value"].tolist() == [80.0, "[c]", "[c]"]
