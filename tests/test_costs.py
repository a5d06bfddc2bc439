"""Unit costs (family U) against a small case worked out by hand.

Lancashire (E10000017), 2023-24 Q1. Finance: OT staff £412,000, OT overheads £61,000,
equipment gross £950,000, equipment income £120,000.
First OT assessments completed in the quarter (referrals below): R1 (3 Apr), R2 (30 Jun),
R3 (15 May) = 3; R4 was assessed on 31 Mar (2022-23 Q4), R5 not yet.
Items delivered in the quarter: I1, I2, I3, I4 = 4 (I5 on 1 Jul is 2023-24 Q2).

  U1_direct   = 412,000 / 3                = £137,333.33 per assessment
  U1_absorbed = (412,000 + 61,000) / 3     = £157,666.67
  U2_gross    = 950,000 / 4                = £237,500 per item
  U2_net      = (950,000 - 120,000) / 4    = £207,500
  U3_18       = 950,000 / 974,092 × 1,000  = £975.27 per 1,000 adults
                (Lancashire aged 18+, ONS mid-2020, data/reference/asc_authorities_2025.csv)
  U3_65       = 950,000 / 255,637 × 1,000  = £3,716.21 per 1,000 aged 65+

Cumbria (E10000006, abolished 1 April 2023) has finance for 2022-23 Q4 only, no referrals or
items in the extracts: U1/U2 have no value (said why); U3 uses its 2021-23 population
(407,408 aged 18+): 100,000 / 407,408 × 1,000 = £245.45.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.indicators import costs
from ot_benchmark.indicators._common import IndicatorContext
from ot_benchmark.periods import Period
from ot_benchmark.settings import load_settings

LA, CUMBRIA = "E10000017", "E10000006"
Q1 = "2023-24 Q1"

FINANCE = pd.DataFrame(
    {
        "authority_code": [LA, CUMBRIA],
        "period": [Q1, "2022-23 Q4"],
        "ot_staff_cost_gbp": [412_000.0, 200_000.0],
        "ot_overhead_gbp": [61_000.0, 30_000.0],
        "equipment_gross_gbp": [950_000.0, 100_000.0],
        "equipment_income_gbp": [120_000.0, 10_000.0],
    }
)
REFERRALS = pd.DataFrame(
    {
        "referral_id": ["R1", "R2", "R3", "R4", "R5"],
        "referral_date": ["2023-03-01", "2023-05-01", "2023-04-20", "2023-01-05", "2023-06-01"],
        "first_assessment_date": ["2023-04-03", "2023-06-30", "2023-05-15", "2023-03-31", None],
    }
).assign(authority_code=LA, priority="high")
ITEMS = pd.DataFrame(
    {
        "item_id": ["I1", "I2", "I3", "I4", "I5"],
        "ordered_date": ["2023-03-30", "2023-04-10", "2023-05-10", "2023-06-20", "2023-06-28"],
        "delivered_date": ["2023-04-03", "2023-04-14", "2023-05-16", "2023-06-30", "2023-07-01"],
    }
).assign(authority_code=LA, catalogue_code="X", item_value_gbp=10.0, from_recycled_stock=False)


def run(periods=(Period(2022, 4), Period(2023, 1)), **frames) -> pd.DataFrame:
    frames = frames or {"finance": FINANCE, "referrals": REFERRALS, "equipment": ITEMS}
    ctx = IndicatorContext(
        bundle=DataBundle.from_frames(**frames), periods=list(periods), settings=load_settings(), catalogue=load_catalogue()
    )
    return costs.compute(ctx)


def row(rows, indicator, period=Q1, authority=LA):
    r = rows[(rows.indicator_id == indicator) & (rows.period == period) & (rows.authority_code == authority)]
    assert len(r) == 1
    return r.iloc[0]


def test_unit_costs_by_hand():
    rows = run()
    assert row(rows, "U1_direct").value == pytest.approx(412_000 / 3)
    assert row(rows, "U1_absorbed").value == pytest.approx(473_000 / 3)
    assert row(rows, "U2_gross").value == pytest.approx(237_500.0)
    assert row(rows, "U2_net").value == pytest.approx(207_500.0)
    assert (row(rows, "U2_net").numerator, row(rows, "U2_net").denominator) == (830_000, 4)
    assert row(rows, "U3_18").value == pytest.approx(975.2672, abs=1e-4)
    assert row(rows, "U3_65").value == pytest.approx(3716.2070, abs=1e-4)
    assert set(rows["ci_method"]) == {"none"}


def test_council_without_case_level_cover_and_old_population():
    rows = run()
    u1 = row(rows, "U1_direct", "2022-23 Q4", CUMBRIA)
    assert np.isnan(u1.value) and "does not cover" in u1.note
    assert row(rows, "U3_18", "2022-23 Q4", CUMBRIA).value == pytest.approx(100_000 / 407_408 * 1000)
    # only quarters in the finance extract get rows: Lancashire has none for 2022-23 Q4
    assert not ((rows.authority_code == LA) & (rows.period == "2022-23 Q4")).any()


def test_missing_extracts_are_said():
    rows = run(finance=FINANCE)
    u2 = row(rows, "U2_gross")
    assert np.isnan(u2.value) and u2.note == "no value: no equipment extract, so items delivered are unknown"
    assert row(rows, "U3_65").value == pytest.approx(3716.2070, abs=1e-4)


def test_no_finance_no_rows():
    assert len(run(referrals=REFERRALS)) == 0


def test_assessment_after_closure_is_not_counted_as_in_w8_and_c2():
    # R6: referred 2023-04-01, closed (withdrawn) 2023-04-20, "assessed" 2023-05-02 — after the
    # closure, so not an assessment (as W8_assessments and C2 count): U1 stays 412,000 / 3.
    r6 = pd.DataFrame({"referral_id": ["R6"], "referral_date": ["2023-04-01"], "first_assessment_date": ["2023-05-02"],
                       "closure_date": ["2023-04-20"], "closure_reason": ["withdrawn"]}).assign(authority_code=LA, priority="high")
    rows = run(finance=FINANCE, referrals=pd.concat([REFERRALS, r6], ignore_index=True), equipment=ITEMS)
    assert row(rows, "U1_direct").denominator == 3
