"""W9 (people past their priority target now), the team breakdowns, W7_changed and the snapshot
counts behind E1, E5 and K3, against the folder worked out by hand in tests/_worklist_data.py."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import _worklist_data as w
from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.compare.benchmark import benchmark
from ot_benchmark.indicators.engine import compute_indicators
from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.io.validate import load_data, validate_folder
from ot_benchmark.report.disclosure import SYMBOL, suppress_indicators


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return w.write_folder(tmp_path_factory.mktemp("worklist_data"))


@pytest.fixture(scope="module")
def table(folder):
    return compute_indicators(load_data(folder), [w.Q1])


def _get(t, iid, breakdown="all", council=w.A):
    r = t[(t.authority_code == council) & (t.indicator_id == iid) & (t.breakdown == breakdown)]
    assert len(r) == 1, (iid, breakdown, council, len(r))
    return r.iloc[0]


def _nd(t, iid, breakdown="all", council=w.A):
    r = _get(t, iid, breakdown, council)
    return r.numerator, r.denominator


def test_folder_loads_without_rejects(folder):
    rep = validate_folder(folder)
    assert rep.n_rejected == 0, rep.rejects


def test_w9_in_the_catalogue():
    cat = load_catalogue().set_index("indicator_id")
    row = cat.loc["W9"]
    assert (row.family, row.unit, row.multiplier, row.polarity, row.method, row.kind, row.counts_people) == (
        "W", "%", 100.0, "lower_is_better", "proportion", "snapshot", "true")
    assert "target" in row.definition and row.caveat
    for iid in ("W7_changed", "E1_overdue", "E5_overdue", "K3_overdue"):
        assert iid in cat.index and cat.loc[iid, "kind"] in ("snapshot", "flow")


def test_w9_total_and_by_priority_by_hand(table):
    # past target: p1 (10 > 7), p3 (60 > 28), p5 (181 > 84), p6 (395 > 182), p11 (212 > 84),
    # p13 (272 > 182); not: p2 (7 = 7), p4 (20), p7 (121)
    assert _nd(table, "W9") == (6.0, 9.0)
    assert _get(table, "W9").value == pytest.approx(100 * 6 / 9)
    assert _nd(table, "W9", "priority:urgent") == (1.0, 2.0)  # p2 exactly on target is not past it
    assert _nd(table, "W9", "priority:high") == (1.0, 2.0)
    assert _nd(table, "W9", "priority:medium") == (2.0, 2.0)
    assert _nd(table, "W9", "priority:low") == (2.0, 3.0)
    # the denominator is W1, the numerator a count of people
    assert _get(table, "W1").value == 9.0
    assert _get(table, "W9").ci_method == "wilson"
    # council B: b1 high, waiting 29 > 28
    assert _nd(table, "W9", council=w.B) == (1.0, 1.0)


def test_w9_counts_people_still_waiting_unlike_w5(table):
    # W5 judges only the two assessed in the quarter (p9 242 days medium: late; p12 3 days urgent: in time)
    assert _nd(table, "W5") == (1.0, 2.0)


def test_w9_targets_come_from_the_settings(folder):
    t = compute_indicators(load_data(folder), [w.Q1], settings={"waiting": {"targets_days": {"urgent": 10, "high": 60}}})
    assert _nd(t, "W9", "priority:urgent") == (0.0, 2.0)  # p1 waited 10: not more than 10
    assert _nd(t, "W9", "priority:high") == (0.0, 2.0)  # p3 waited 60: not more than 60


def test_w9_note_counts_people_with_no_priority():
    ref = w.referrals()
    ref.loc[ref.referral_id == "p2", "priority"] = None  # in memory: the validator rejects a blank priority
    for c in ("referral_date", "first_assessment_date", "closure_date", "allocated_date", "review_start_date"):
        ref[c] = pd.to_datetime(ref[c].replace("", None))
    t = compute_indicators(DataBundle.from_frames(referrals=ref), [w.Q1], families=["W"])
    r = _get(t, "W9")
    assert (r.numerator, r.denominator) == (6.0, 9.0)
    assert "1 people waiting with no priority" in r.note


def test_team_breakdowns_by_hand(table):
    assert _get(table, "W1", "team:North").value == 4.0  # p1 p2 p5 p7
    assert _get(table, "W1", "team:South").value == 4.0  # p3 p4 p6 p13
    # p11 has no team; council A records teams, so p11 is a part of its own and the parts add up
    assert _get(table, "W1", "team:not recorded").value == 1.0
    assert _nd(table, "W9", "team:North") == (2.0, 4.0)  # p1 p5
    assert _nd(table, "W9", "team:South") == (3.0, 4.0)  # p3 p6 p13
    assert _nd(table, "W9", "team:not recorded") == (1.0, 1.0)  # p11
    assert _get(table, "W3", "team:South").value == 395.0  # p6
    assert _get(table, "W2_median", "team:North").value == pytest.approx((10 + 121) / 2)  # 7 10 121 181
    assert _nd(table, "W4_26wk", "team:South") == (2.0, 4.0)  # p6 395, p13 272
    assert _nd(table, "W5", "team:North") == (1.0, 2.0)  # p9 late, p12 in time
    assert _nd(table, "W7", "team:South") == (1.0, 2.0)  # p6 contacted, p13 not
    r = _get(table, "W7", "team:North")  # nobody in North had waited over 182 days
    assert (r.numerator, r.denominator) == (0.0, 0.0) and math.isnan(r.value)
    # C3 by team: closed / referred in the quarter
    assert _nd(table, "C3", "team:North") == (1.0, 3.0)
    assert _nd(table, "C3", "team:South") == (0.0, 2.0)
    assert _nd(table, "C3", "team:not recorded") == (1.0, 1.0)  # p10
    assert _nd(table, "C3") == (2.0, 6.0)


def test_a_council_gets_only_its_own_teams(table):
    a = set(table.loc[table.authority_code == w.A, "breakdown"])
    b = set(table.loc[table.authority_code == w.B, "breakdown"])
    assert {b_ for b_ in a if b_.startswith("team:")} == {"team:North", "team:South", "team:not recorded"}
    assert {b_ for b_ in b if b_.startswith("team:")} == {"team:Alpha"}  # b1's team; nobody unrecorded
    assert _nd(table, "W9", "team:Alpha", council=w.B) == (1.0, 1.0)
    # no team rows for the workforce measures (the workforce extract has no team), nor for W4b
    teams = table[table.breakdown.str.startswith("team:")]
    assert set(teams.indicator_id) == {"W1", "W2_median", "W2_p90", "W3", "W4_26wk", "W4_52wk", "W5", "W6_median",
                                       "W6_p90", "W6_mean", "W6k", "W7", "W9", "C3"}


def test_team_rows_are_suppressed_by_the_disclosure_layer(table):
    rows = table[(table.authority_code == w.A) & (table.indicator_id == "W1")]
    shown = suppress_indicators(rows).set_index("breakdown")
    for team in ("team:North", "team:South", "team:not recorded"):  # 4, 4 and 1: counts of 1-4
        assert shown.loc[team, "value"] == SYMBOL, team
    assert shown.loc["all", "value"] == 9.0
    # with the larger teams shown, the lone small part is not left recoverable by subtraction
    rows = rows.assign(numerator=rows["numerator"].where(~rows.breakdown.isin(["team:North", "team:South"]), 40.0))
    rows.loc[rows.breakdown == "all", "numerator"] = 81.0
    rows["value"] = rows["numerator"]
    shown = suppress_indicators(rows).set_index("breakdown")
    assert shown.loc["team:not recorded", "value"] == SYMBOL
    assert SYMBOL in (shown.loc["team:North", "value"], shown.loc["team:South", "value"], shown.loc["all", "value"])


def test_team_rows_are_not_compared_between_councils(table):
    b = benchmark(table, w.A, w.Q1, group=[w.B]).set_index("breakdown")
    w9 = b[b.indicator_id == "W9"]
    assert w9.loc["all", "n_comparators"] == 2  # the council and B (include_self)
    assert w9.loc["team:North", "n_comparators"] == 0 and w9.loc["team:North", "assessment"] == "not_compared"
    assert pd.isna(w9.loc["team:North", "comparator_value"])


def test_w7_changed_counts_contacts_that_changed_something(table):
    assert _get(table, "W7_changed").value == 2.0
    assert _get(table, "W7_changed", "outcome:priority_changed").value == 1.0  # p5
    assert _get(table, "W7_changed", "outcome:withdrawn").value == 1.0  # p10
    assert "1 contact(s) in the quarter with no outcome recorded" in _get(table, "W7_changed").note  # p4
    assert _nd(table, "W7") == (1.0, 3.0)
    # council B records no contacts: neither W7 nor W7_changed
    assert table[(table.authority_code == w.B) & table.indicator_id.isin(["W7", "W7_changed"])].empty


def test_no_w7_changed_without_outcomes(folder):
    b = load_data(folder)
    con = b.tables["contacts"].assign(outcome=pd.Series(pd.NA, index=b.tables["contacts"].index, dtype="str"))
    t = compute_indicators(DataBundle.from_frames(referrals=b.get("referrals"), contacts=con), [w.Q1], families=["W"])
    assert "W7_changed" not in set(t.indicator_id) and "W7" in set(t.indicator_id)


def test_snapshot_counts_behind_e1_e5_k3(table):
    assert _get(table, "E1_overdue").value == 3.0  # i3 (8 wd), i4 (28), i5 (27; delivered after the snapshot)
    assert _get(table, "E5_overdue").value == 2.0  # i9 (11 wd), i10 (24; collected after the snapshot)
    assert _get(table, "K3_overdue").value == 2.0  # k1 (agreed date passed), k4 (11 working days)
    assert _get(table, "K3_overdue", "stream:asc_statutory").value == 1.0
    assert _get(table, "K3_overdue", "stream:corporate").value == 1.0
    assert _nd(table, "K5") == (2.0, 4.0)
    assert _nd(table, "C5_6m") == (2.0, 3.0)


def test_overdue_counts_follow_the_settings(folder):
    t = compute_indicators(load_data(folder), [w.Q1], settings={"equipment": {"delivery_standard_working_days": 20,
                                                                             "collection_standard_working_days": 20}})
    assert _get(t, "E1_overdue").value == 2.0  # i4 (28), i5 (27)
    assert _get(t, "E5_overdue").value == 1.0  # i10 (24)


def test_contacts_outcome_is_checked_by_the_contract(tmp_path):
    f = w.write_folder(tmp_path / "data")
    con = w.contacts()
    con.loc[0, "outcome"] = "moved_house"
    con.to_csv(f / "contacts.csv", index=False)
    rep = validate_folder(f)
    bad = rep.rejects[rep.rejects.table == "contacts"]
    assert list(bad["column"]) == ["outcome"] and "moved_house" in bad["value"].iloc[0]
    # the column is optional
    w.contacts().drop(columns="outcome").to_csv(f / "contacts.csv", index=False)
    rep = validate_folder(f)
    assert rep.n_rejected == 0 and rep.bundle.get("contacts")["outcome"].isna().all()


def test_sample_w9_and_teams_are_consistent():
    """On the synthetic sample: every W9 numerator is at most its W1, team parts add up to the
    people with a team, and W7_changed's parts add up to its total."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    t = compute_indicators(load_data(sample), ["2024-25 Q4"], families=["W"])
    w9 = t[t.indicator_id == "W9"]
    assert (w9.numerator <= w9.denominator).all() and w9.numerator.sum() > 0
    w1 = t[(t.indicator_id == "W1")]
    teams = w1[w1.breakdown.str.startswith("team:")].groupby("authority_code")["value"].sum()
    total = w1[w1.breakdown == "all"].set_index("authority_code")["value"]
    np.testing.assert_allclose(teams.reindex(total.index), total)  # a council's team parts add up to its total
    assert not (w1.breakdown == "team:not recorded").any()  # every synthetic referral has a team
    ch = t[t.indicator_id == "W7_changed"]
    parts = ch[ch.breakdown != "all"].groupby("authority_code")["value"].sum()
    np.testing.assert_allclose(parts, ch[ch.breakdown == "all"].set_index("authority_code")["value"].reindex(parts.index))
