"""Family C against small cases worked out by hand, and figures from real council reports.

Quarter 2024-25 Q1: 1 April to 30 June 2024, snapshot 30 June 2024.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.indicators.engine import compute_indicators

A = "E10000017"
Q1 = "2024-25 Q1"


def _get(t, iid, breakdown="all", council=A, period=Q1):
    r = t[(t.authority_code == council) & (t.period == period) & (t.indicator_id == iid) & (t.breakdown == breakdown)]
    assert len(r) == 1, (iid, breakdown, len(r))
    return r.iloc[0]


def _refs(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["referral_id", "referral_date", "allocated_date", "first_assessment_date",
                                     "review_start_date", "closure_date"])
    df["authority_code"] = A
    df["priority"] = "medium"
    df["closure_reason"] = np.where(df["closure_date"].notna(), "other", None)
    return df


def _workforce(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["snapshot_date", "role", "establishment_wte", "in_post_wte", "agency_wte"]).assign(
        authority_code=A)


REFERRALS = _refs([
    # id, referred, allocated, assessed, review from, closed
    ("c1", "2024-03-01", "2024-03-05", "2024-04-02", None, None),          # open, allocated -> caseload
    ("c2", "2024-04-01", "2024-04-03", "2024-05-01", "2024-06-01", None),  # on review at 30/06 -> C1_review
    ("c3", "2024-04-15", "2024-04-20", None, None, "2024-06-30"),          # closed ON the snapshot day: not open
    ("c4", "2024-05-01", "2024-05-02", None, "2024-07-01", None),          # review starts after the snapshot: caseload
    ("c5", "2024-06-01", None, None, None, None),                         # not allocated: waiting, not caseload
    ("c6", "2024-02-01", "2024-02-02", "2024-02-10", None, "2024-04-30"),  # closed in Q1
])
WORKFORCE = _workforce([
    # 31/03/2024 (the day before Q1) and 30/06/2024 (Q1's last day): the two ends of the quarter
    ("2024-03-31", "ot", 40.0, 36.0, 1.0),
    ("2024-03-31", "ota", 10.0, 9.0, 0.0),
    ("2024-06-30", "ot", 40.0, 34.6, 2.0),
    ("2024-06-30", "ota", 10.0, 10.0, 0.5),
])


@pytest.fixture(scope="module")
def table():
    b = DataBundle.from_frames(referrals=REFERRALS, workforce=WORKFORCE)
    return compute_indicators(b, [Q1], families=["C"])


def test_c4_vacancy_rate_real_report_figure(table):
    # council report: 40 WTE posts with 5.4 vacant = 13.5%
    c4 = _get(table, "C4", "role:ot")
    assert (c4.numerator, c4.denominator) == (pytest.approx(5.4), 40.0)
    assert c4.value == pytest.approx(13.5)
    assert c4.ci_method == "wilson"
    # all roles: (50 − 44.6) / 50 = 10.8%
    assert _get(table, "C4").value == pytest.approx(10.8)


def test_c4_agency_beside_not_netted_off(table):
    # agency WTE is reported beside the vacancy rate, which does not change with it
    assert _get(table, "C4_agency_wte", "role:ot").value == 2.0
    assert _get(table, "C4_agency_wte").value == 2.5
    assert _get(table, "C4_agency_wte").ci_method == "none"


def test_c6_agency_share(table):
    # ot: 2 / (34.6 + 2) = 5.4645%
    assert _get(table, "C6", "role:ot").value == pytest.approx(200 / 36.6)


def test_c1_open_caseload_excludes_review_and_snapshot_day_closures(table):
    # open and allocated at 30/06 without review status: c1, c4 (its review starts 01/07) = 2;
    # c2 is on review (C1_review); c3 closed on 30/06 is no longer open; c5 not allocated.
    # OT WTE in post at the latest snapshot in the quarter (30/06): 34.6
    c1 = _get(table, "C1")
    assert (c1.numerator, c1.denominator) == (2, 34.6)
    assert c1.value == pytest.approx(2 / 34.6)
    rev = _get(table, "C1_review")
    assert rev.numerator == 1 and rev.value == pytest.approx(1 / 34.6)


def test_c2_assessments_per_average_wte(table):
    # first assessments in Q1: c1 (02/04), c2 (01/05) = 2; average OT WTE over the snapshots at
    # both ends of the quarter (31/03 and 30/06) = (36 + 34.6) / 2 = 35.3
    c2 = _get(table, "C2")
    assert (c2.numerator, c2.denominator) == (2, pytest.approx(35.3))
    assert c2.value == pytest.approx(2 / 35.3)


def test_c3_clearance_ratio(table):
    # closed in Q1 (any reason): c3 (30/06), c6 (30/04) = 2; referred in Q1: c2 c3 c4 c5 = 4
    c3 = _get(table, "C3")
    assert (c3.numerator, c3.denominator, c3.value) == (2, 4, 0.5)
    assert c3.ci_method == "none"


def test_c7_real_report_assessments_up_26_percent():
    # council report: 1,346 assessments one quarter, 1,696 the next = +26%
    n0, n1 = 1346, 1696
    ref = pd.DataFrame({
        "referral_id": [f"x{i}" for i in range(n0 + n1)],
        "referral_date": ["2023-12-01"] * (n0 + n1),
        "first_assessment_date": ["2024-02-15"] * n0 + ["2024-05-15"] * n1,  # 2023-24 Q4, then 2024-25 Q1
        "authority_code": A,
        "priority": "high",
    })
    t = compute_indicators(DataBundle.from_frames(referrals=ref), [Q1], families=["C"])
    c7 = _get(t, "C7_assessments")
    assert (c7.numerator, c7.denominator) == (350, 1346)
    assert round(c7.value) == 26
    assert c7.unit == "% change" and c7.ci_method == "none"
    # all referred in 2023-24 Q3, none in Q4 or Q1: referrals change has no value (0 before)
    r = _get(t, "C7_referrals")
    assert r.numerator == 0 and math.isnan(r.value)


def test_c7_without_previous_quarter_in_the_data():
    ref = REFERRALS.assign(referral_date="2024-04-01", allocated_date=None, first_assessment_date=None,
                           review_start_date=None, closure_date=None, closure_reason=None)
    t = compute_indicators(DataBundle.from_frames(referrals=ref), [Q1], families=["C"])
    row = _get(t, "C7_referrals")
    assert math.isnan(row.value) and "earlier" in row.note


VACANCIES = pd.DataFrame({
    "authority_code": A,
    "post_id": ["p1", "p2", "p3", "p4", "p5"],
    "role": ["ot", "ot", "ot", "ota", "ot"],
    "vacant_from": ["2023-12-01", "2024-05-01", "2024-01-01", "2023-12-30", "2024-03-01"],
    "filled_on": [None, None, "2024-06-30", None, "2024-04-01"],
})


def test_c5_vacancy_duration():
    # vacant at 30/06/2024: p1 since 01/12/2023 (212 days; six months before 30/06 is 30/12/2023,
    # so >= 6 months), p2 since 01/05/2024 (60 days), p4 since 30/12/2023 (183 days, exactly six
    # calendar months: >= 6 months). p3 filled ON the snapshot day is not vacant; p5 filled in April.
    t = compute_indicators(DataBundle.from_frames(vacancies=VACANCIES), [Q1], families=["C"])
    med = _get(t, "C5_median")
    assert (med.denominator, med.value) == (3, 183)  # median of 60, 183, 212
    six = _get(t, "C5_6m")
    assert (six.numerator, six.denominator) == (2, 3)
    assert _get(t, "C5_6m", "role:ot").value == 50  # p1 of p1, p2
    bands = t[(t.indicator_id == "C5_bands")].set_index("breakdown")["numerator"].to_dict()
    assert bands == {"band:<3m": 1, "band:3-6m": 0, "band:6m+": 2}


def test_c5_nothing_vacant_says_so():
    vac = VACANCIES.assign(filled_on="2024-03-15", vacant_from="2024-01-01")
    wf = WORKFORCE
    t = compute_indicators(DataBundle.from_frames(vacancies=vac, workforce=wf), [Q1], families=["C"])
    row = _get(t, "C5_6m")
    assert math.isnan(row.value) and "no posts vacant" in row.note


def test_over_established_role_gets_negative_rate_with_note():
    wf = _workforce([("2024-06-30", "ota", 10.0, 11.0, 0.0)])
    t = compute_indicators(DataBundle.from_frames(workforce=wf), [Q1], families=["C"])
    row = _get(t, "C4", "role:ota")
    assert row.value == pytest.approx(-10.0)
    assert "over-established" in row.note and row.ci_method == "none"


def test_no_workforce_snapshot_in_quarter():
    # snapshots at 31/03 and 30/09 only: Q1 has none -> no value with a note; Q2 has one
    wf = _workforce([("2024-03-31", "ot", 40.0, 36.0, 1.0), ("2024-09-30", "ot", 40.0, 30.0, 1.0)])
    t = compute_indicators(DataBundle.from_frames(workforce=wf), [Q1, "2024-25 Q2"], families=["C"])
    row = _get(t, "C4", "role:ot")
    assert math.isnan(row.value) and "no workforce snapshot" in row.note
    assert _get(t, "C4", "role:ot", period="2024-25 Q2").value == pytest.approx(25.0)


def test_caseload_role_setting():
    b = DataBundle.from_frames(referrals=REFERRALS, workforce=WORKFORCE)
    t = compute_indicators(b, [Q1], families=["C"], settings={"workforce": {"caseload_role": "ota"}})
    assert _get(t, "C1").denominator == 10.0
