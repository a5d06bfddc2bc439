"""Community equipment (family E) against a small case worked out by hand.

Council E10000017, quarter 2023-24 Q1 (1 April to 30 June 2023). Working days are counted
after the start date up to and including the end date; bank holidays in the window:
Mon 1 May 2023 (early May), Mon 8 May 2023 (coronation), Mon 29 May 2023 (spring).

Items (value, recycled stock?, ordered, decision, delivered, requested, collected, outcome):

  A  £45.50  Y  Fri 05-05  Thu 05-04  Wed 05-17   -          -          -
  B  £30.00  N  Fri 05-05  Fri 05-05  Thu 05-18   -          -          -
  C  £12.00  Y  Mon 04-03  (none)     Mon 04-03   Thu 05-25  Mon 06-12  reused
  D  £30.00  N  2023-03-20 -          2023-03-28  Tue 04-18  Tue 05-02  reused
  E  £120.00 N  Thu 06-01  Mon 06-05  Tue 06-13   -          -          -
  F  £20.00  N  2023-06-20 -          (not yet)   -          -          -
  G  £8.00   N  2022-11-01 -          2022-11-10  Fri 06-16  Fri 06-30  scrapped
  H  £50.00  N  2022-11-20 -          2022-12-01  (none)     Thu 04-20  (not recorded)

Working days, order date -> delivery (E1, standard 7):
  A: Fri 5 May -> Wed 17 May: 9,10,11,12,15,16,17 = 7 (Mon 8 May is the coronation bank
     holiday, so it is not counted)  -> within (exactly at the standard)
  B: Fri 5 May -> Thu 18 May: 8 -> late
  C: same day = 0 -> within
  E: Thu 1 Jun -> Tue 13 Jun: 2,5,6,7,8,9,12,13 = 8 -> late
  D was delivered in 2022-23 Q4 and F not at all: not in the Q1 denominator.
  E1 = 2 / 4 = 50%.

Decision date -> delivery (E1 with clock_start = "decision"):
  A: Thu 4 May -> Wed 17 May: 5,9,10,11,12,15,16,17 = 8 -> late
  B: Fri 5 May -> Thu 18 May = 8 -> late
  C: no decision date -> left out (noted)
  E: Mon 5 Jun -> Tue 13 Jun: 6,7,8,9,12,13 = 6 -> within
  E1 = 1 / 3 = 33.3%.

E2 (return rate, count): collected in Q1 = C, D, G, H = 4; delivered in Q1 = A, B, C, E = 4;
  threshold £0: 4 / 4 = 100%.
  threshold £30 (items valued below £30 left out): collected D (£30, exactly at the threshold,
  kept), H (£50) = 2; delivered A (£45.50), B (£30), E (£120) = 3; 2 / 3 = 66.7%.
E3 (reuse rate): collected in Q1 with an outcome = C, D, G (H has none: left out, noted);
  reused C, D -> 2 / 3 = 66.7%.
E4 (recycling rate, value): delivered in Q1 A 45.50 (recycled) + B 30 + C 12 (recycled) + E 120
  = 207.50; from recycled stock 57.50 -> 27.711%.
E5 (collected within 10 working days of the request):
  D: Tue 18 Apr -> Tue 2 May: 19,20,21,24,25,26,27,28, (Mon 1 May bank holiday), 2 = 9 -> on time
  G: Fri 16 Jun -> Fri 30 Jun: 19-23 (5), 26-30 (5) = 10 -> on time (exactly at the standard)
  C: Thu 25 May -> Mon 12 Jun: 26, (Mon 29 May bank holiday), 30, 31, 1, 2, 5-9, 12 = 11 -> late
  H: no request date -> left out (noted)
  E5 = 2 / 3 = 66.7%.
E6 (recycling credit): value of items collected in Q1 and reused = C £12 + D £30 = £42.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.indicators import equipment
from ot_benchmark.indicators._common import IndicatorContext
from ot_benchmark.periods import Period
from ot_benchmark.settings import load_settings

LA = "E10000017"
Q1 = "2023-24 Q1"

ITEMS = pd.DataFrame(
    [
        # item, value, recycled, ordered, decision, delivered, requested, collected, outcome
        ("A", 45.50, True, "2023-05-05", "2023-05-04", "2023-05-17", None, None, None),
        ("B", 30.00, False, "2023-05-05", "2023-05-05", "2023-05-18", None, None, None),
        ("C", 12.00, True, "2023-04-03", None, "2023-04-03", "2023-05-25", "2023-06-12", "reused"),
        ("D", 30.00, False, "2023-03-20", None, "2023-03-28", "2023-04-18", "2023-05-02", "reused"),
        ("E", 120.00, False, "2023-06-01", "2023-06-05", "2023-06-13", None, None, None),
        ("F", 20.00, False, "2023-06-20", None, None, None, None, None),
        ("G", 8.00, False, "2022-11-01", None, "2022-11-10", "2023-06-16", "2023-06-30", "scrapped"),
        ("H", 50.00, False, "2022-11-20", None, "2022-12-01", None, "2023-04-20", None),
    ],
    columns=[
        "item_id", "item_value_gbp", "from_recycled_stock", "ordered_date", "decision_date",
        "delivered_date", "collection_requested_date", "collected_date", "collection_outcome",
    ],
).assign(authority_code=LA, catalogue_code="X-1", referral_id=None)


def run(items=ITEMS, periods=(Period(2023, 1),), **equipment_settings) -> pd.DataFrame:
    bundle = DataBundle.from_frames(equipment=items)
    ctx = IndicatorContext(
        bundle=bundle,
        periods=list(periods),
        settings=load_settings({"equipment": equipment_settings} if equipment_settings else None),
        catalogue=load_catalogue(),
    )
    return equipment.compute(ctx)


def row(rows: pd.DataFrame, indicator: str, period: str = Q1, authority: str = LA) -> pd.Series:
    r = rows[(rows.indicator_id == indicator) & (rows.period == period) & (rows.authority_code == authority)]
    assert len(r) == 1, f"expected one {indicator} row for {authority} {period}, got {len(r)}"
    return r.iloc[0]


def test_e1_order_date_clock_with_coronation_bank_holiday():
    r = row(run(), "E1")
    assert (r.numerator, r.denominator) == (2, 4)
    assert r.value == pytest.approx(50.0)


def test_e1_decision_date_clock_leaves_out_items_without_decision():
    r = row(run(clock_start="decision"), "E1")
    assert (r.numerator, r.denominator) == (1, 3)
    assert r.value == pytest.approx(100 / 3)
    assert r.note == (
        "1 item(s) delivered without a usable clock-start date (assessment decision date: missing, "
        "or after the delivery) left out"
    )


def test_e1_standard_is_configurable():
    # with a 8-working-day standard B (8) and E (8) are also within: 4 / 4
    r = row(run(delivery_standard_working_days=8), "E1")
    assert (r.numerator, r.denominator) == (4, 4)


def test_e2_return_rate_default_and_threshold_at_boundary():
    r = row(run(), "E2")
    assert (r.numerator, r.denominator) == (4, 4)
    assert r.value == pytest.approx(100.0)
    r30 = row(run(collection_value_threshold_gbp=30.0), "E2")
    # D is valued exactly £30: at the threshold, so kept
    assert (r30.numerator, r30.denominator) == (2, 3)
    assert r30.value == pytest.approx(200 / 3)
    assert "below £30" in r30.note


def test_e3_reuse_rate_leaves_out_unknown_outcomes():
    r = row(run(), "E3")
    assert (r.numerator, r.denominator) == (2, 3)
    assert r.value == pytest.approx(200 / 3)
    assert r.note.startswith("1 collected item(s) without a recorded outcome")


def test_e4_recycling_rate_by_value_has_no_interval():
    r = row(run(), "E4")
    assert r.numerator == pytest.approx(57.5)
    assert r.denominator == pytest.approx(207.5)
    assert r.value == pytest.approx(100 * 57.5 / 207.5)  # 27.711%
    assert r.ci_method == "none"


def test_e5_collection_on_time_including_exactly_at_standard():
    r = row(run(), "E5")
    assert (r.numerator, r.denominator) == (2, 3)
    assert r.note.startswith("1 collection(s) without a usable request date")
    # with a 9-day standard G (10 working days) becomes late: D only
    assert row(run(collection_standard_working_days=9), "E5").numerator == 1


def test_clock_start_after_delivery_is_left_out_not_counted_as_on_time():
    # decision recorded (wrongly) the day after delivery: it cannot be judged, so E1 with the
    # decision-date clock is A, B, E as before plus nothing: 1 / 3, and 2 items noted
    bad = ITEMS.copy()
    bad.loc[bad.item_id == "C", "decision_date"] = "2023-04-04"  # delivered 3 Apr
    r = row(run(bad, clock_start="decision"), "E1")
    assert (r.numerator, r.denominator) == (1, 3)
    assert r.note.startswith("1 item(s) delivered without a usable clock-start date")
    # likewise a collection request dated after the collection
    bad.loc[bad.item_id == "D", "collection_requested_date"] = "2023-05-03"  # collected 2 May
    r5 = row(run(bad), "E5")
    assert (r5.numerator, r5.denominator) == (1, 2)
    assert r5.note.startswith("2 collection(s) without a usable request date")


def test_e6_recycling_credit():
    r = row(run(), "E6")
    assert r.value == pytest.approx(42.0)
    assert r.ci_method == "none"


def test_previous_quarter_and_zero_denominators():
    # 2022-23 Q3 (Oct-Dec 2022): delivered G (10 Nov) and H (1 Dec), nothing collected.
    # 2022-23 Q4 (Jan-Mar 2023): delivered D only (ordered Mon 20 Mar, delivered Tue 28 Mar:
    # 21,22,23,24,27,28 = 6 working days -> within).
    rows = run(periods=[Period(2022, 3), Period(2022, 4), Period(2023, 1)])
    q3 = row(rows, "E2", "2022-23 Q3")
    assert (q3.numerator, q3.denominator) == (0, 2)
    q4 = row(rows, "E1", "2022-23 Q4")
    assert (q4.numerator, q4.denominator) == (1, 1)
    e3 = row(rows, "E3", "2022-23 Q4")  # nothing collected: no value, says why
    assert np.isnan(e3.value) and e3.denominator == 0 and "no items collected" in e3.note
    assert row(rows, "E6", "2022-23 Q4").value == 0.0
    # the Q1 figures are unchanged by computing more quarters
    assert row(rows, "E1").numerator == 2


def test_councils_are_kept_apart_and_uncovered_quarters_skipped():
    other = ITEMS.assign(authority_code="E06000001", item_id=ITEMS.item_id + "2")
    other = other[other.item_id.isin(["A2", "B2"])]  # delivered in May 2023 only
    rows = run(pd.concat([ITEMS, other], ignore_index=True), periods=[Period(2022, 3), Period(2023, 1)])
    assert row(rows, "E1").numerator == 2
    hp = row(rows, "E1", authority="E06000001")
    assert (hp.numerator, hp.denominator) == (1, 2)
    # Hartlepool's data start in May 2023: no 2022-23 Q3 rows for it
    assert not ((rows.authority_code == "E06000001") & (rows.period == "2022-23 Q3")).any()


def test_no_equipment_extract_gives_no_rows():
    bundle = DataBundle.from_frames(
        referrals=pd.DataFrame({"referral_id": ["R1"], "authority_code": [LA], "referral_date": ["2023-04-03"], "priority": ["high"]})
    )
    ctx = IndicatorContext(bundle=bundle, periods=[Period(2023, 1)], settings=load_settings(), catalogue=load_catalogue())
    assert len(equipment.compute(ctx)) == 0


# ----------------------------------------------------------------------------------------
# Seeded synthetic data whose truth is known: the generator draws each item's delivery,
# reuse and collection with known probabilities (synthetic_truth.json); pooled over the 12
# quarters, E1, E3 and E5 must recover them within sampling error.
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic():
    from ot_benchmark.io.synth import generate

    tables, truth = generate("E06000001", authorities=["E06000001", "E10000017"], seed=7, scale=1.0)
    bundle = DataBundle(tables={"equipment": tables["equipment"]})
    periods = [Period(y, q) for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)]
    ctx = IndicatorContext(bundle=bundle, periods=periods, settings=load_settings(), catalogue=load_catalogue())
    return equipment.compute(ctx), truth


@pytest.mark.parametrize(
    "indicator, truth_key",
    [("E1", "p_delivered_within_7_working_days"), ("E3", "p_reused_if_collected"), ("E5", "p_collected_within_10_working_days")],
)
def test_synthetic_truth_is_recovered(synthetic, indicator, truth_key):
    rows, truth = synthetic
    for code in ("E06000001", "E10000017"):
        r = rows[(rows.indicator_id == indicator) & (rows.authority_code == code)]
        x, n = r.numerator.sum(), r.denominator.sum()
        p = truth["councils"][code]["equipment"][truth_key]
        z = (x / n - p) / np.sqrt(p * (1 - p) / n)
        assert n > 1000 and abs(z) < 5, f"{code} {indicator}: {x / n:.4f} vs true {p:.4f} (z = {z:.1f}, n = {n:.0f})"
