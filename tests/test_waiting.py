"""Family W against a small case worked out by hand.

Quarter 2024-25 Q1 runs 1 April to 30 June 2024; the snapshot is 30 June 2024. The previous
snapshot (for W8_net_change) is 31 March 2024.

Council A (E10000017)

======  ========  ==========  ==========  ==========  ===============================================
id      priority  referred    assessed    closed      at the snapshot 30/06/2024
======  ========  ==========  ==========  ==========  ===============================================
r1      urgent    2024-06-20  2024-06-30              assessed ON the snapshot day: not waiting;
                                                      wait 10 days > urgent target 7
r2      urgent    2024-06-25                          waiting 5 days
r3      high      2024-04-10  2024-05-01              assessed, wait 21 days <= 28 (within)
r4      high      2024-01-02              2024-05-15  closed WITHOUT assessment in Q1 (withdrawn)
r5      medium    2023-10-01                          waiting 273 days (30 Oct + 243 Nov-Jun)
r6      low       2023-05-01                          waiting 426 days (366 to 2024-05-01 + 60)
r7      critical  2024-05-01  2024-05-06              FACS "critical" -> urgent; 5 days (within)
r8      medium    2024-06-30                          referred ON the snapshot day: waiting 0 days
======  ========  ==========  ==========  ==========  ===============================================

Council B (E10000018): one high referral 2024-02-01 assessed 2024-04-15 (74 days, not within 28);
nobody waiting at the snapshot.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.indicators.engine import compute_indicators

A, B = "E10000017", "E10000018"
Q1 = "2024-25 Q1"


def _referrals() -> pd.DataFrame:
    rows = [
        # id, council, priority, referred, assessed, closed, reason
        ("r1", A, "urgent", "2024-06-20", "2024-06-30", None, None),
        ("r2", A, "urgent", "2024-06-25", None, None, None),
        ("r3", A, "high", "2024-04-10", "2024-05-01", None, None),
        ("r4", A, "high", "2024-01-02", None, "2024-05-15", "withdrawn"),
        ("r5", A, "medium", "2023-10-01", None, None, None),
        ("r6", A, "low", "2023-05-01", None, None, None),
        ("r7", A, "critical", "2024-05-01", "2024-05-06", None, None),
        ("r8", A, "medium", "2024-06-30", None, None, None),
        ("b1", B, "high", "2024-02-01", "2024-04-15", None, None),
    ]
    df = pd.DataFrame(rows, columns=["referral_id", "authority_code", "priority", "referral_date",
                                     "first_assessment_date", "closure_date", "closure_reason"])
    df["allocated_date"] = None
    df["review_start_date"] = None
    return df


def _contacts() -> pd.DataFrame:
    # r5 contacted 2024-01-05: within the 182 days up to 30/06/2024 (window 01/01/2024-30/06/2024).
    # r6 contacted 2023-12-31: exactly 182 days before the snapshot, so just outside the window.
    return pd.DataFrame({"referral_id": ["r5", "r6"], "contact_date": ["2024-01-05", "2023-12-31"]})


def _table(settings=None, contacts=True):
    frames = {"referrals": _referrals()}
    if contacts:
        frames["contacts"] = _contacts()
    return compute_indicators(DataBundle.from_frames(**frames), [Q1], settings=settings, families=["W"])


def _get(t, iid, breakdown="all", council=A):
    r = t[(t.authority_code == council) & (t.indicator_id == iid) & (t.breakdown == breakdown)]
    assert len(r) == 1, (iid, breakdown, council, len(r))
    return r.iloc[0]


@pytest.fixture(scope="module")
def table():
    return _table()


def test_w1_people_waiting_total_and_by_priority(table):
    # waiting at 30/06: r2 (urgent), r5, r8 (medium), r6 (low) -> 4; r1 assessed that day is not
    # waiting; r4 was closed without assessment; r3, r7 assessed.
    assert _get(table, "W1").value == 4
    assert _get(table, "W1", "priority:urgent").value == 1
    assert _get(table, "W1", "priority:high").value == 0
    assert _get(table, "W1", "priority:medium").value == 2
    assert _get(table, "W1", "priority:low").value == 1
    assert _get(table, "W1").ci_method in ("poisson_exact", "byar")


def test_w2_w3_current_waits(table):
    # waits 0, 5, 273, 426 days: median (5 + 273) / 2 = 139; p90 (type 7): h = 3 × 0.9 = 2.7 ->
    # 273 + 0.7 × (426 − 273) = 380.1; longest 426.
    assert _get(table, "W2_median").value == 139
    assert _get(table, "W2_median").denominator == 4
    assert _get(table, "W2_p90").value == pytest.approx(380.1)
    assert _get(table, "W3").value == 426
    # medium: 0 and 273 -> 136.5
    assert _get(table, "W2_median", "priority:medium").value == 136.5


def test_w4_long_waits_count_and_percent(table):
    # > 182 days: r5 (273), r6 (426) -> 2 of 4 = 50%; > 364: r6 -> 1 of 4 = 25%
    w26 = _get(table, "W4_26wk")
    assert (w26.numerator, w26.denominator, w26.value) == (2, 4, 50.0)
    w52 = _get(table, "W4_52wk")
    assert (w52.numerator, w52.denominator, w52.value) == (1, 4, 25.0)
    assert w52.ci_method == "wilson"


def test_w4b_wait_bands(table):
    # 0-7: r8 (0), r2 (5); 127-364: r5; 365+: r6
    expect = {"band:0-7": 2, "band:8-14": 0, "band:15-28": 0, "band:29-84": 0, "band:85-126": 0,
              "band:127-364": 1, "band:365+": 1}
    got = table[(table.authority_code == A) & (table.indicator_id == "W4b")].set_index("breakdown")["value"].to_dict()
    assert got == expect
    # bands come out shortest first
    assert list(table[(table.authority_code == A) & (table.indicator_id == "W4b")].breakdown) == list(expect)


def test_w5_assessed_within_priority_target(table):
    # assessed in Q1: r1 urgent 10 days (target 7: no), r3 high 21 (28: yes), r7 critical->urgent
    # 5 (7: yes) -> 2 of 3 = 66.67%; urgent 1 of 2; high 1 of 1.
    w5 = _get(table, "W5")
    assert (w5.numerator, w5.denominator) == (2, 3)
    assert w5.value == pytest.approx(200 / 3)
    assert _get(table, "W5", "priority:urgent").value == 50
    assert _get(table, "W5", "priority:high").value == 100
    # no medium assessments: no value, and a note that says why
    med = _get(table, "W5", "priority:medium")
    assert math.isnan(med.value) and "no first assessments" in med.note
    # council B: 74 days against high target 28 -> 0 of 1
    assert _get(table, "W5", council=B).value == 0


def test_w5_uses_the_configured_targets():
    # an urgent target of 10 days makes r1 (10 days, on the limit) within target: 2 of 2
    t = _table(settings={"waiting": {"targets_days": {"urgent": 10, "high": 28, "medium": 84, "low": 182}}})
    assert _get(t, "W5", "priority:urgent").value == 100
    assert t.attrs["settings"]["settings"]["waiting"]["targets_days"]["urgent"] == 10


def test_w6_completed_waits(table):
    # completed waits 10, 21, 5: median 10, mean 12, p90 (type 7) h = 2 × 0.9 = 1.8 -> 10 + 0.8 × 11
    assert _get(table, "W6_median").value == 10
    assert _get(table, "W6_mean").value == 12
    assert _get(table, "W6_p90").value == pytest.approx(18.8)
    mean = _get(table, "W6_mean")
    assert mean.ci_method == "student_t"
    # t(2) 97.5% = 4.302653; sd of (10, 21, 5) = 8.185353 -> half-width 20.3334
    assert mean.upper_95 - 12 == pytest.approx(4.302653 * 8.185353 / math.sqrt(3), rel=1e-5)


def test_w6k_cohort_kaplan_meier():
    # cohort referred in Q1: r1 10 (event), r2 5 (censored at 30/06), r3 21 (event), r7 5 (event),
    # r8 0 (censored). At t=5: 4 at risk (r8 left at 0), 1 event -> S = 3/4; at t=10: 2 at risk
    # (r2 censored at 5), 1 event -> S = 3/8 <= 0.5, so the median is 10 days.
    t = _table()
    row = _get(t, "W6k")
    assert row.value == 10
    assert row.denominator == 5
    assert row.ci_method == "km_loglog"


def test_w6k_not_reached_gives_no_value_and_a_note():
    # one referral, still waiting at the snapshot: survival never falls to 0.5
    ref = _referrals().iloc[[1]]
    t = compute_indicators(DataBundle.from_frames(referrals=ref), [Q1], families=["W"])
    row = _get(t, "W6k")
    assert math.isnan(row.value)
    assert "not reached" in row.note


def test_w7_keep_in_touch(table):
    # waiting > 182 days: r5 (contact 05/01/2024, inside the window) and r6 (contact 31/12/2023,
    # 182 days before: outside) -> 1 of 2 = 50%
    w7 = _get(table, "W7")
    assert (w7.numerator, w7.denominator, w7.value) == (1, 2, 50.0)


def test_w7_absent_without_contacts_extract():
    t = _table(contacts=False)
    assert "W7" not in set(t.indicator_id)


def test_w8_flows_and_closures_without_assessment(table):
    # referred in Q1: r1 r2 r3 r7 r8 = 5; assessed r1 r3 r7 = 3; closed without assessment r4 = 1
    assert _get(table, "W8_referrals").value == 5
    assert _get(table, "W8_assessments").value == 3
    assert _get(table, "W8_closed_unassessed").value == 1
    # waiting at 31/03/2024: r4, r5, r6 = 3; at 30/06: 4 -> +1
    net = _get(table, "W8_net_change")
    assert net.value == 1 and net.ci_method == "none"


def test_closure_without_assessment_never_counts_as_assessed(table):
    # r4's closure is not an assessment: W8_assessments (3) excludes it, W6 has 3 waits
    assert _get(table, "W6_median").denominator == 3


def test_council_with_nobody_waiting_gets_zero_and_notes(table):
    assert _get(table, "W1", council=B).value == 0
    w2 = _get(table, "W2_median", council=B)
    assert math.isnan(w2.value) and "nobody was waiting" in w2.note
    w4 = _get(table, "W4_26wk", council=B)
    assert math.isnan(w4.value) and w4.ci_method == "none"


def test_wait_band_settings_change_the_bands():
    t = _table(settings={"waiting": {"band_upper_days": [30, 365]}})
    got = t[(t.authority_code == A) & (t.indicator_id == "W4b")].set_index("breakdown")["value"].to_dict()
    # 0-30: r8, r2; 31-365: r5 (273); 366+: r6 (426)
    assert got == {"band:0-30": 2, "band:31-365": 1, "band:366+": 1}


def test_one_row_per_key(table):
    assert not table.duplicated(["authority_code", "period", "indicator_id", "breakdown"]).any()


def test_median_interval_is_the_packages_order_statistic_interval():
    # 40 people waiting at 30/06/2024, referred 1, 4, 9, ... days before (squares, capped): the
    # W2 median interval must be the one stats.intervals.grouped_median_ci gives for those waits
    from ot_benchmark.stats.intervals import grouped_median_ci

    waits = [(i * i) % 400 for i in range(1, 41)]
    ref = pd.DataFrame({
        "referral_id": [f"q{i}" for i in range(40)],
        "authority_code": A,
        "priority": "low",
        "referral_date": [pd.Timestamp("2024-06-30") - pd.Timedelta(days=w) for w in waits],
    })
    t = compute_indicators(DataBundle.from_frames(referrals=ref), [Q1], families=["W"])
    row = _get(t, "W2_median")
    for conf, lo, hi in ((0.95, "lower_95", "upper_95"), (0.998, "lower_998", "upper_998")):
        ref_ci = grouped_median_ci(pd.DataFrame({"g": 1, "w": waits}), "w", "g", conf).iloc[0]
        assert (row.value, row[lo], row[hi]) == (ref_ci["median"], ref_ci["lower"], ref_ci["upper"])
    assert row.ci_method == "order_statistic"


def test_cases_left_out_of_w5_w6_are_counted_in_the_note():
    # In-memory frames are not validated. Added to council A's Q1 (hand-made):
    #   x1 priority blank, referred 2024-04-01, assessed 2024-04-11: in W6 (10 days) but has no
    #      target, so left out of W5 -> W5 still 2 of 3, note "1 first assessment(s) with no priority"
    #   x2 urgent, referred 2024-05-10, assessed 2024-05-02 (before the referral): left out of
    #      W5, W6 and W6k, each note says "1 ... dated before the referral"
    extra = pd.DataFrame({
        "referral_id": ["x1", "x2"], "authority_code": A, "priority": [None, "urgent"],
        "referral_date": ["2024-04-01", "2024-05-10"], "first_assessment_date": ["2024-04-11", "2024-05-02"],
        "closure_date": None, "closure_reason": None, "allocated_date": None, "review_start_date": None,
    })
    ref = pd.concat([_referrals(), extra], ignore_index=True)
    t = compute_indicators(DataBundle.from_frames(referrals=ref), [Q1], families=["W"])
    w5 = _get(t, "W5")
    assert (w5.numerator, w5.denominator) == (2, 3)
    assert "1 first assessment(s) with no priority" in w5.note
    assert "1 first assessment(s) dated before the referral" in w5.note
    assert "dated before the referral" in _get(t, "W5", "priority:urgent").note
    assert pd.isna(_get(t, "W5", "priority:high").note)
    # W6 waits 10 (r1), 21 (r3), 5 (r7), 10 (x1): median 10, n 4
    w6 = _get(t, "W6_median")
    assert (w6.value, w6.denominator) == (10, 4)
    assert "1 first assessment(s) dated before the referral" in w6.note
    assert "dated before the referral" in _get(t, "W6_mean").note
    # W6k cohort: the five of the hand-worked cohort plus x1 (event at 10); x2 left out
    k = _get(t, "W6k")
    assert k.denominator == 6 and "1 referral(s) assessed or closed before the referral date" in k.note


def test_quarter_without_assessments_has_w6_rows_saying_so():
    # council C: one referral 2024-05-01 assessed 2024-10-10. Its data cover Q1 to Q3; in Q2
    # (1 July - 30 September 2024) it completes no assessments, so the W6 median, p90 and mean
    # rows exist with no value, n = 0 and a note (the mean used to have no row at all).
    C = "E10000019"
    ref = pd.DataFrame({"referral_id": ["c1"], "authority_code": C, "priority": "low",
                        "referral_date": ["2024-05-01"], "first_assessment_date": ["2024-10-10"]})
    t = compute_indicators(DataBundle.from_frames(referrals=ref), [Q1, "2024-25 Q2"], families=["W"])
    for iid in ("W6_median", "W6_p90", "W6_mean"):
        r = t[(t.period == "2024-25 Q2") & (t.indicator_id == iid) & (t.breakdown == "all")]
        assert len(r) == 1, iid
        r = r.iloc[0]
        assert math.isnan(r.value) and r.denominator == 0 and "no first assessments" in r.note, iid
        assert r.ci_method == "none"


def test_an_empty_priority_gets_a_row_saying_so(table):
    # Council A has nobody high-priority waiting at 30/06 (r3 assessed, r4 closed), so W2 for
    # priority:high is a row with no value and the reason, just as W1 gives it 0 -- not a
    # missing row. Council A completed no low-priority assessments in Q1: W6 likewise.
    w2 = _get(table, "W2_median", "priority:high")
    assert math.isnan(w2.value) and w2.denominator == 0 and "nobody was waiting" in w2.note
    w6 = _get(table, "W6_median", "priority:low")
    assert math.isnan(w6.value) and "no first assessments" in w6.note
    w6m = _get(table, "W6_mean", "priority:low")
    assert math.isnan(w6m.value) and "no first assessments" in w6m.note
    # every priority of every council has its W2/W6 rows
    for iid in ("W2_median", "W2_p90", "W6_median", "W6_p90", "W6_mean"):
        got = set(table.loc[(table.indicator_id == iid) & (table.authority_code == B), "breakdown"])
        assert got == {"all", "priority:urgent", "priority:high", "priority:medium", "priority:low"}, iid
