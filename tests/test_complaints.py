"""Complaints and Ombudsman (family K) against a small case worked out by hand, plus the
issue's acceptance figures (K7: 289 -> 252 is -13%; K1: 536 complaints among 44,667 active
cases is 1.2%, i.e. 12.0 per 1,000).

Hand case: council E10000017, quarter 2023-24 Q1 (1 April to 30 June 2023). Bank holidays
in and around it: Good Friday 7 Apr, Easter Monday 10 Apr, Mon 1 May, Mon 8 May (coronation),
Mon 29 May 2023. Working days are counted after the received date up to and including the
response date.

  id   stream          stage received    due         responded   outcome        Ombudsman
  c1   adult           1     Mon 04-03   Wed 05-03   Wed 05-03   upheld         -
  c2   adult           1     Tue 04-11   Thu 05-11   Fri 05-12   not_upheld     -
  c3   adult           1     Tue 05-02   (none)      Thu 06-01   partly_upheld  -
  c4   children's      1     Fri 05-05   -           Mon 05-22   not_upheld     -
  c5   children's      2     Mon 04-03   -           Mon 05-15   withdrawn      -
  c6   corporate       1     Thu 06-01   -           Thu 06-15   upheld         -
  c7   corporate       2     Mon 06-19   -           2023-07-20  upheld         -
  c8   corporate       3     2023-04-05  -           2023-04-20  not_upheld     -
  c9   adult           1     2022-12-01  -           2023-01-10  upheld         upheld 2023-05-10, £750, 3 recs due, 2 complied
  c10  corporate       2     2022-10-01  -           2022-11-01  not_upheld     not upheld 2023-06-20
  c11  children's      1     2022-09-01  -           2022-09-10  not_upheld     not investigated 2023-04-15
  c12  adult           1     Thu 04-20   Tue 06-20   Sat 06-10   upheld         - (local remedy £250)

K3, responses in Q1 (c7 was answered in Q2; c9-c11 earlier):
  c1 answered on its agreed date                                   -> within
  c2 one day after its agreed date                                 -> late
  c3 no agreed date; fallback 0 working days = not judged          -> left out (noted)
  c4 Fri 5 May -> Mon 22 May: 9-12 (4), 15-19 (9), 22 (10) = 10 working days, the stage-1
     limit exactly (Mon 8 May is the coronation holiday)           -> within
  c5 Mon 3 Apr -> Mon 15 May: 4-6 Apr (3), 11-14 (7), 17-21 (12), 24-28 (17), 2-5 May (21),
     9-12 (25), 15 (26) = 26 > 25 (stage 2)                        -> late (within 65 if extended)
  c6 Thu 1 Jun -> Thu 15 Jun: 2 (1), 5-9 (6), 12-15 (10) = 10 = stage-1 limit -> within
  c8 corporate stage 3: no limit                                   -> left out (noted)
  c12 answered before its agreed date                              -> within
  judged 6, within 4 -> 66.7%; adult 2/3 (c1, c12 of c1, c2, c12); children's 1/2; corporate 1/1.
  With the children's extended limits c5 is within: 5/6. With a 25-working-day adult fallback
  c3 is judged: Tue 2 May -> Thu 1 Jun: 3-5 (3), 9-12 (7), 15-19 (12), 22-26 (17), 30-31 (19),
  1 Jun (20) = 20 <= 25 -> within: 5/7, adult 3/4.
K2, decided in Q1 (withdrawn is not a decision): c1 U, c2 N, c3 P, c4 N, c6 U, c8 N, c12 U
  -> upheld or partly 4 of 7 = 57.1%.
K4, Ombudsman decisions in Q1: c9 upheld, c10 not upheld (c11 not investigated) -> 1/2.
K5: c9 2 of 3 recommendations complied with (c10 has none due) -> 66.7%.
K6: c9 £750 (dated by the Ombudsman decision, 10 May), c12 £250 (local remedy, dated by the
  response, 10 Jun) -> 2 payments, £1,000.
K1: new (stage-1) complaints received in Q1: c1, c2, c3, c4, c6, c12 = 6 (adult 4, children's 1,
  corporate 1). Active cases (referrals below): r2 (closed on 1 Apr), r3 (referred on 30 Jun),
  r5 (still open), r6 (opened and closed in May) = 4; r1 closed 31 Mar and r4 referred 1 Jul
  are not active. K1 = 6 / 4 × 1,000 = 1,500; adult 1,000, children's 250, corporate 250.
K7: the complaints data start in September 2022, so 2022-23 Q1 is not covered: no value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.indicators import complaints
from ot_benchmark.indicators._common import IndicatorContext
from ot_benchmark.periods import Period
from ot_benchmark.settings import load_settings

LA = "E10000017"
Q1 = "2023-24 Q1"
A, CH, CO = "asc_statutory", "childrens_statutory", "corporate"

COLS = [
    "complaint_id", "stream", "stage", "received_date", "due_date", "responded_date", "outcome",
    "ombudsman_decision", "ombudsman_decided_date", "remedy_gbp", "recommendations_due", "recommendations_complied",
]
HAND = pd.DataFrame(
    [
        ("c1", A, 1, "2023-04-03", "2023-05-03", "2023-05-03", "upheld", None, None, None, None, None),
        ("c2", A, 1, "2023-04-11", "2023-05-11", "2023-05-12", "not_upheld", None, None, None, None, None),
        ("c3", A, 1, "2023-05-02", None, "2023-06-01", "partly_upheld", None, None, None, None, None),
        ("c4", CH, 1, "2023-05-05", None, "2023-05-22", "not_upheld", None, None, None, None, None),
        ("c5", CH, 2, "2023-04-03", None, "2023-05-15", "withdrawn", None, None, None, None, None),
        ("c6", CO, 1, "2023-06-01", None, "2023-06-15", "upheld", None, None, None, None, None),
        ("c7", CO, 2, "2023-06-19", None, "2023-07-20", "upheld", None, None, None, None, None),
        ("c8", CO, 3, "2023-04-05", None, "2023-04-20", "not_upheld", None, None, None, None, None),
        ("c9", A, 1, "2022-12-01", None, "2023-01-10", "upheld", "upheld", "2023-05-10", 750.0, 3, 2),
        ("c10", CO, 2, "2022-10-01", None, "2022-11-01", "not_upheld", "not_upheld", "2023-06-20", None, None, None),
        ("c11", CH, 1, "2022-09-01", None, "2022-09-10", "not_upheld", "not_investigated", "2023-04-15", None, None, None),
        ("c12", A, 1, "2023-04-20", "2023-06-20", "2023-06-10", "upheld", None, None, 250.0, None, None),
    ],
    columns=COLS,
).assign(authority_code=LA)

REFERRALS = pd.DataFrame(
    {
        "referral_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
        "referral_date": ["2023-01-10", "2023-01-10", "2023-06-30", "2023-07-01", "2022-05-01", "2023-05-01"],
        "closure_date": ["2023-03-31", "2023-04-01", None, None, None, "2023-05-20"],
        "first_assessment_date": [None, "2023-02-01", None, None, "2022-06-01", "2023-05-10"],
    }
).assign(authority_code=LA, priority="high")


def run(comp=HAND, refs=REFERRALS, periods=(Period(2023, 1),), **complaint_settings) -> pd.DataFrame:
    frames = {"complaints": comp}
    if refs is not None:
        frames["referrals"] = refs
    ctx = IndicatorContext(
        bundle=DataBundle.from_frames(**frames),
        periods=list(periods),
        settings=load_settings({"complaints": complaint_settings} if complaint_settings else None),
        catalogue=load_catalogue(),
    )
    return complaints.compute(ctx)


def row(rows, indicator, breakdown="all", period=Q1, authority=LA):
    r = rows[(rows.indicator_id == indicator) & (rows.breakdown == breakdown) & (rows.period == period) & (rows.authority_code == authority)]
    assert len(r) == 1, f"expected one {indicator} {breakdown} row, got {len(r)}"
    return r.iloc[0]


def nd(r):
    return (r.numerator, r.denominator)


def test_k1_per_1000_active_cases_by_stream():
    rows = run()
    assert nd(row(rows, "K1")) == (6, 4)
    assert row(rows, "K1").value == pytest.approx(1500.0)
    assert row(rows, "K1", f"stream:{A}").value == pytest.approx(1000.0)
    assert row(rows, "K1", f"stream:{CH}").value == pytest.approx(250.0)
    assert row(rows, "K1", f"stream:{CO}").value == pytest.approx(250.0)


def test_k1_without_referrals_has_no_value_and_says_why():
    r = row(run(refs=None), "K1")
    assert np.isnan(r.value) and "no referrals extract" in r.note


def test_k2_upheld_excludes_withdrawn():
    r = row(run(), "K2")
    assert nd(r) == (4, 7)


def test_k2_response_without_outcome_is_counted_in_the_note():
    # c13: a corporate stage-1 response on 2023-05-10 with the outcome left blank. It is not a
    # decision, so K2 stays 4 of 7, and the note says one response was left out.
    extra = pd.DataFrame([("c13", CO, 1, "2023-05-02", None, "2023-05-10", None, None, None, None, None, None)],
                         columns=COLS).assign(authority_code=LA)
    rows = run(comp=pd.concat([HAND, extra], ignore_index=True))
    r = row(rows, "K2")
    assert nd(r) == (4, 7)
    assert "1 response(s) with no outcome recorded left out" in r.note
    assert "no outcome" in row(rows, "K2", f"stream:{CO}").note
    assert pd.isna(row(rows, "K2", f"stream:{A}").note)
    assert r.value == pytest.approx(400 / 7)


def test_k3_by_stream_rules_including_answer_on_due_date():
    rows = run()
    assert nd(row(rows, "K3")) == (4, 6)
    assert row(rows, "K3").note == "2 response(s) with no timescale to judge them by left out"
    assert nd(row(rows, "K3", f"stream:{A}")) == (2, 3)
    assert nd(row(rows, "K3", f"stream:{CH}")) == (1, 2)
    assert nd(row(rows, "K3", f"stream:{CO}")) == (1, 1)


def test_k3_extended_children_limits_and_adult_fallback():
    assert nd(row(run(use_extended_limits=True), "K3", f"stream:{CH}")) == (2, 2)
    rows = run(asc_statutory_fallback_working_days=25)
    assert nd(row(rows, "K3", f"stream:{A}")) == (3, 4)
    assert nd(row(rows, "K3")) == (5, 7)


def test_k3_response_before_receipt_is_not_judged():
    bad = HAND.copy()
    bad.loc[bad.complaint_id == "c6", "responded_date"] = "2023-05-31"  # received 1 Jun
    rows = run(bad)
    assert nd(row(rows, "K3", f"stream:{CO}")) == (0, 0)
    assert nd(row(rows, "K3")) == (3, 5)
    assert row(rows, "K3").note.startswith("3 response(s)")


def test_k4_k5_k6_ombudsman_and_remedies():
    rows = run()
    assert nd(row(rows, "K4")) == (1, 2)
    assert nd(row(rows, "K5")) == (2, 3)
    assert row(rows, "K6_count").value == 2
    assert row(rows, "K6_gbp").value == pytest.approx(1000.0)
    assert row(rows, "K6_gbp").ci_method == "none"
    assert row(rows, "K6_gbp", f"stream:{A}").value == pytest.approx(1000.0)
    # c9's remedy is not also counted in 2022-23 Q4, when the council responded
    q4 = run(periods=[Period(2022, 4), Period(2023, 1)])
    assert row(q4, "K6_count", period="2022-23 Q4").value == 0


def test_k7_needs_the_year_earlier_quarter_in_the_data():
    r = row(run(), "K7")
    assert np.isnan(r.value) and "a year earlier is not in the complaints data" in r.note


def _new_complaints(n: int, first: str, last: str, start_id: int) -> pd.DataFrame:
    """n stage-1 adult complaints received on days spread over [first, last]."""
    days = pd.date_range(first, last, freq="D")
    received = days[np.arange(n) % len(days)]
    return pd.DataFrame(
        {
            "complaint_id": [f"k{start_id + i}" for i in range(n)],
            "stream": A,
            "stage": 1,
            "received_date": received,
        }
    ).assign(authority_code=LA)


def test_acceptance_k7_289_to_252_is_minus_13_percent():
    # 289 new complaints in 2023-24 Q2 (Jul-Sep 2023), 252 in 2024-25 Q2 (Jul-Sep 2024), plus
    # 40 stage-2 escalations in 2024-25 Q2 that are not new complaints.
    # (252 - 289) / 289 = -0.12803 -> -12.8%, "-13%" as the annual report rounds it.
    comp = pd.concat(
        [
            _new_complaints(289, "2023-07-01", "2023-09-30", 0),
            _new_complaints(252, "2024-07-01", "2024-09-30", 1000),
            _new_complaints(40, "2024-07-01", "2024-09-30", 2000).assign(stage=2),
        ],
        ignore_index=True,
    )
    rows = run(comp, refs=None, periods=[Period(2024, 2)])
    r = row(rows, "K7", period="2024-25 Q2")
    assert nd(r) == (252 - 289, 289)
    assert r.value == pytest.approx(-12.802768, abs=1e-6)
    assert round(r.value) == -13
    assert r.ci_method == "none"


def test_acceptance_k1_536_complaints_among_44667_active_cases_is_1_2_percent():
    # 2024-25 Q1 (Apr-Jun 2024). Active cases: 30,000 referred before the quarter and still
    # open, 10,000 referred before and closed during it, 4,667 referred during it = 44,667.
    # Not active: 5,000 closed before 1 April 2024, 3,000 referred after 30 June 2024.
    # 536 new complaints in the quarter: 536 / 44,667 × 1,000 = 11.9999 per 1,000 = 1.2%.
    def refs(n, referred, closed, tag):
        return pd.DataFrame(
            {"referral_id": [f"{tag}{i}" for i in range(n)], "referral_date": referred, "closure_date": closed}
        )

    referrals = pd.concat(
        [
            refs(30_000, "2023-11-01", None, "open"),
            refs(10_000, "2024-01-15", "2024-05-20", "closedin"),
            refs(4_667, "2024-06-30", None, "new"),
            refs(5_000, "2023-06-01", "2024-03-31", "gone"),
            refs(3_000, "2024-07-01", None, "later"),
        ],
        ignore_index=True,
    ).assign(authority_code=LA, priority="medium")
    comp = _new_complaints(536, "2024-04-01", "2024-06-30", 0)
    r = row(run(comp, referrals, periods=[Period(2024, 1)]), "K1", period="2024-25 Q1")
    assert nd(r) == (536, 44_667)
    assert r.value == pytest.approx(536 / 44_667 * 1000)
    assert round(r.value / 10, 1) == 1.2  # as a percentage of active cases


def test_synthetic_truth_k2_upheld_share_is_recovered():
    # Seeded synthetic data: the generator upholds (fully or partly) each response that is not
    # withdrawn with a known probability; K2 pooled over the 12 quarters must recover it.
    from ot_benchmark.io.synth import generate

    tables, truth = generate("E06000001", authorities=["E06000001", "E10000017"], seed=7, scale=1.0)
    periods = [Period(y, q) for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)]
    ctx = IndicatorContext(
        bundle=DataBundle(tables={"complaints": tables["complaints"]}),
        periods=periods,
        settings=load_settings(),
        catalogue=load_catalogue(),
    )
    rows = complaints.compute(ctx)
    for code in ("E06000001", "E10000017"):
        r = rows[(rows.indicator_id == "K2") & (rows.breakdown == "all") & (rows.authority_code == code)]
        x, n = r.numerator.sum(), r.denominator.sum()
        p = truth["councils"][code]["complaints"]["p_upheld_or_partly"]
        z = (x / n - p) / np.sqrt(p * (1 - p) / n)
        assert n > 20 and abs(z) < 5, f"{code} K2: {x / n:.3f} vs true {p:.3f} (z = {z:.1f}, n = {n:.0f})"
