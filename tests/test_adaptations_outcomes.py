"""Adaptations (family A) and outcomes (family O) against small cases worked out by hand.

Adaptations, Lancashire (E10000017), 2023-24 Q1 (1 Apr - 30 Jun 2023). Working days after the
recommendation up to and including completion; bank holidays Good Friday 7 Apr, Easter Monday
10 Apr, Mon 1 May, Mon 8 May (coronation) 2023.

  a1 urgent     rec Wed 2023-03-01  done Wed 2023-05-17
     March 2-31: 22 working days; April: 3-6, 11-14, 17-21, 24-28 = 18 (40); May 2-5 (44),
     9-12 (48), 15-17 (51) -> 51 <= 55 within; calendar days 30 + 30 + 17 = 77
  a2 urgent     rec 2023-03-01      done Tue 2023-05-23: 51 + 18, 19, 22, 23 = 55 -> within
     (exactly the standard); 83 days
  a7 urgent     rec 2023-03-01      done Wed 2023-05-24: 56 -> late; 84 days
  a3 non-urgent rec Tue 2023-01-03  done Fri 2023-04-28: Jan 4-31 20, Feb 20, Mar 23, Apr 18
     = 81 <= 150 within; 28 + 28 + 31 + 28 = 115 days
  a4 non-urgent rec 2022-06-01      done 2023-06-30: over a year, ~270 working days -> late;
     365 + 29 = 394 days
  a5 urgent     done 2023-07-03 (2023-24 Q2): not in Q1
  a6 non-urgent not completed: not counted

  A1 all 3/5 = 60%; urgent 2/3; non-urgent 1/2.
  A2 all: median of 77, 83, 84, 115, 394 = 84; urgent (77, 83, 84) 83; non-urgent (115, 394)
  254.5.

Outcomes, same council and quarter: changes (end - start) o1 4->7 = +3, o2 5->5 = 0,
o3 6->4 = -2, o4 2->8 = +6; o5 completed in Q2 (3->5 = +2); o6 has no end score (left out).
  O1 mean = 7/4 = 1.75; deviations 1.25, -1.75, -3.75, 4.25, squares sum 36.75, variance
  36.75/3 = 12.25, sd 3.5, se 1.75; t(0.975, 3 df) = 3.182446 -> 1.75 ± 5.569281 =
  [-3.819281, 7.319281] (R: t.test(c(3, 0, -2, 6))$conf.int).
  O2 improved: o1, o4 = 2/4 = 50% (unchanged o2 is not an improvement).
  Q2: one intervention (+2): mean 2 with no interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.indicators import adaptations, outcomes
from ot_benchmark.indicators._common import IndicatorContext
from ot_benchmark.periods import Period
from ot_benchmark.settings import load_settings

LA = "E10000017"
Q1, Q2 = "2023-24 Q1", "2023-24 Q2"

ADAPT = pd.DataFrame(
    [
        ("a1", "urgent", "2023-03-01", "2023-05-17"),
        ("a2", "urgent", "2023-03-01", "2023-05-23"),
        ("a7", "urgent", "2023-03-01", "2023-05-24"),
        ("a3", "non_urgent", "2023-01-03", "2023-04-28"),
        ("a4", "non_urgent", "2022-06-01", "2023-06-30"),
        ("a5", "urgent", "2023-04-03", "2023-07-03"),
        ("a6", "non_urgent", "2023-05-01", None),
    ],
    columns=["adaptation_id", "urgency", "recommended_date", "completed_date"],
).assign(authority_code=LA)

OUTCOMES = pd.DataFrame(
    [
        ("o1", 4.0, 7.0, "2023-04-12"),
        ("o2", 5.0, 5.0, "2023-05-02"),
        ("o3", 6.0, 4.0, "2023-06-30"),
        ("o4", 2.0, 8.0, "2023-04-01"),
        ("o5", 3.0, 5.0, "2023-07-02"),
        ("o6", 3.0, np.nan, "2023-05-20"),
    ],
    columns=["referral_id", "score_start", "score_end", "completed_date"],
).assign(authority_code=LA)


def ctx_for(periods=(Period(2023, 1), Period(2023, 2)), **frames):
    return IndicatorContext(
        bundle=DataBundle.from_frames(**frames), periods=list(periods), settings=load_settings(), catalogue=load_catalogue()
    )


def row(rows, indicator, breakdown="all", period=Q1):
    r = rows[(rows.indicator_id == indicator) & (rows.breakdown == breakdown) & (rows.period == period)]
    assert len(r) == 1
    return r.iloc[0]


def test_a1_within_dfg_standard_by_urgency():
    rows = adaptations.compute(ctx_for(adaptations=ADAPT))
    assert (row(rows, "A1").numerator, row(rows, "A1").denominator) == (3, 5)
    assert row(rows, "A1").value == pytest.approx(60.0)
    assert (row(rows, "A1", "urgency:urgent").numerator, row(rows, "A1", "urgency:urgent").denominator) == (2, 3)
    assert (row(rows, "A1", "urgency:non_urgent").numerator, row(rows, "A1", "urgency:non_urgent").denominator) == (1, 2)


def test_a1_standard_is_configurable():
    ctx = ctx_for(adaptations=ADAPT)
    ctx.settings["adaptations"]["urgent_working_days"] = 54  # a2 (55) becomes late
    assert row(adaptations.compute(ctx), "A1", "urgency:urgent").numerator == 1


def test_a2_median_calendar_days():
    rows = adaptations.compute(ctx_for(adaptations=ADAPT))
    a2 = row(rows, "A2")
    assert a2.value == 84.0 and a2.denominator == 5
    # n = 5 is too few for a distribution-free 95% interval of a median (needs n >= 6)
    assert np.isnan(a2.lower_95) and np.isnan(a2.upper_95)
    assert row(rows, "A2", "urgency:urgent").value == 83.0
    assert row(rows, "A2", "urgency:non_urgent").value == 254.5
    # Q2: a5 (urgent) only: 2023-04-03 -> 2023-07-03 = 27 + 31 + 30 + 3 = 91 days
    assert row(rows, "A2", period=Q2).value == 91.0
    # ... and no non-urgent adaptation completed in Q2: a row without a value, saying why
    empty = row(rows, "A2", "urgency:non_urgent", period=Q2)
    assert np.isnan(empty.value) and empty.denominator == 0 and "no adaptations completed" in empty.note


def test_o1_mean_change_with_student_t_interval():
    rows = outcomes.compute(ctx_for(outcomes=OUTCOMES))
    o1 = row(rows, "O1")
    assert o1.value == pytest.approx(1.75)
    assert (o1.numerator, o1.denominator) == (7.0, 4.0)
    assert o1.lower_95 == pytest.approx(-3.819281, abs=1e-6)
    assert o1.upper_95 == pytest.approx(7.319281, abs=1e-6)
    assert o1.ci_method == "student_t"
    assert o1.note == "1 intervention(s) without both scores left out"
    single = row(rows, "O1", period=Q2)
    assert single.value == 2.0 and single.ci_method == "none" and np.isnan(single.lower_95)


def test_o1_quarter_without_scored_interventions_has_no_value_and_says_why():
    # o7 completed Tue 10 Oct 2023 (2023-24 Q3) has no end score: Q3 is covered by the extract
    # but has nothing to average -> n = 0, no value, no interval, and the note names both reasons
    extra = pd.DataFrame([("o7", 3.0, np.nan, "2023-10-10")], columns=["referral_id", "score_start", "score_end", "completed_date"])
    data = pd.concat([OUTCOMES, extra.assign(authority_code=LA)], ignore_index=True)
    rows = outcomes.compute(ctx_for(periods=(Period(2023, 1), Period(2023, 2), Period(2023, 3)), outcomes=data))
    o1 = row(rows, "O1", period="2023-24 Q3")
    assert np.isnan(o1.value) and np.isnan(o1.numerator) and o1.denominator == 0
    assert o1.ci_method == "none" and np.isnan(o1.lower_95) and np.isnan(o1.upper_998)
    assert o1.note == (
        "no value: no interventions with both scores completed in the quarter; "
        "1 intervention(s) without both scores left out"
    )
    assert row(rows, "O1").value == pytest.approx(1.75)  # Q1 unchanged


def test_o2_improved_excludes_unchanged():
    o2 = row(outcomes.compute(ctx_for(outcomes=OUTCOMES)), "O2")
    assert (o2.numerator, o2.denominator) == (2, 4)
    assert o2.value == pytest.approx(50.0)


def test_optional_extracts_absent_give_no_rows():
    refs = pd.DataFrame({"referral_id": ["R1"], "authority_code": [LA], "referral_date": ["2023-04-03"], "priority": ["high"]})
    ctx = ctx_for(referrals=refs)
    assert len(adaptations.compute(ctx)) == 0 and len(outcomes.compute(ctx)) == 0
