"""K3 by stage and the complaints pack's indicators (K8–K13), against small cases worked out by hand.

K3 by stage, on the hand case of tests/test_complaints.py (2023-24 Q1): the responses judged are
c1, c2, c12 (adult, stage 1), c4 (children's, stage 1), c6 (corporate, stage 1) and c5
(children's, stage 2); c3 (adult, stage 1, no agreed date) and c8 (corporate stage 3, no limit)
cannot be judged.

  stage:1  judged c1 c2 c4 c6 c12 = 5, within c1 c4 c6 c12 = 4 -> 80%; c3 left out (noted)
  stage:2  judged c5 = 1, within 0 (26 working days > 25)       -> 0%
  stage:3  nothing judged (c8 left out, noted)                  -> no value

The pack case: council E10000017, quarters 2024-25 Q1 (1 Apr - 30 Jun 2024) and Q2 (1 Jul - 30 Sep).

  id   stream     stg received    Ombudsman took  decision, date       remedy due  completed   before  joint theme              team
  p1   adult      1   2024-04-02  2024-05-01      upheld 2024-06-10    2024-07-10  2024-07-10  N       Y     delay              North
  p2   adult      1   2024-04-03  2024-04-30      upheld 2024-06-28    2024-06-30  -           N       N     delay              North
  p3   corporate  2   2024-05-01  2024-06-01      upheld 2024-06-15    -           2024-05-25  Y       N     communication      South
  p4   adult      1   2024-04-10  2024-05-15      upheld 2024-06-20    2024-09-18  2024-09-30  N       N     -                  South
  p5   children's 1   2024-06-05  2024-07-01      upheld 2024-08-01    -           -           -       N     disputed_decision  -
  p6   adult      1   2024-05-05  -               -                    2024-06-15  2024-06-10  -       Y     delay              North
  p7   adult      1   2024-07-02  -               -                    -           -           -       -     staff_conduct      West
  p8   corporate  1   2024-04-15  -               -                    -           -           -       N     communication      South
  p9   adult      1   2023-11-01  2024-01-10      not_upheld 2024-04-20
  p10  adult      1   2023-12-01  2024-02-01      upheld 2024-03-01    2024-04-01  2024-07-15  N

K8 (the Ombudsman took it):  Q1 p1 p2 p3 p4 = 4 (adult 3, corporate 1); Q2 p5 = 1 (children's).
K9 (Ombudsman remedies due): Q1 p2 (not done) and p10 (done 15 Jul, late) -> 0 of 2; p6 has no
   Ombudsman decision (a local remedy): left out, noted. Q2 p1 (done on its due date: on time)
   and p4 (12 days late) -> 1 of 2 = 50%.
K9_overdue at the snapshot: 30 Jun p2 (due that day, not done) and p10 (done 15 Jul) = 2;
   30 Sep p2 only = 1 (p4 was done on 30 Sep: not overdue that day).
K10 (upheld decisions in the quarter): Q1 p1 p2 p3 p4 upheld, p3 remedied before -> 1 of 4 = 25%
   (adult 0 of 3, corporate 1 of 1; p9 was not upheld); Q2 p5 upheld with nothing recorded -> no
   value, 1 left out (noted). p10's decision is in 2023-24 Q4, not reported.
K11 (new complaints, joint with the NHS): Q1 p1 p6 = 2 (adult); Q2 0 (p7 blank = no).
K12 (new complaints by theme; p3 is a stage 2): Q1 delay 3 (p1 p2 p6), communication 1 (p8),
   disputed_decision 1 (p5), not_recorded 1 (p4), the rest 0 (6 = K1's numerator); Q2
   staff_conduct 1.
K13 (by team, the council's teams North, South, West): Q1 North 3, South 2 (p4 p8),
   not_recorded 1 (p5), West 0; Q2 West 1.
A second council (Essex) fills in none of the pack's columns: it has K1-K8 rows but none of K9-K13.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.indicators import complaints
from ot_benchmark.indicators._common import IndicatorContext
from ot_benchmark.indicators.engine import compute_indicators, covered_periods
from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.periods import Period
from ot_benchmark.report import disclosure
from ot_benchmark.settings import load_settings
from test_complaints import HAND, REFERRALS

LA, ESSEX = "E10000017", "E10000012"
Q1, Q2 = "2024-25 Q1", "2024-25 Q2"
A, CH, CO = "asc_statutory", "childrens_statutory", "corporate"
COLS = ["complaint_id", "stream", "stage", "received_date", "responded_date", "outcome", "ombudsman_referred_date",
        "ombudsman_decision", "ombudsman_decided_date", "remedy_due_date", "remedy_completed_date",
        "remedy_before_decision", "joint_with_nhs", "theme", "team", "ombudsman_reference"]
Y, N, _ = True, False, None
PACK = pd.DataFrame(
    [
        ("p1", A, 1, "2024-04-02", "2024-04-20", "upheld", "2024-05-01", "upheld", "2024-06-10", "2024-07-10", "2024-07-10", N, Y, "delay", "North", "24 001 001"),
        ("p2", A, 1, "2024-04-03", "2024-04-25", "upheld", "2024-04-30", "upheld", "2024-06-28", "2024-06-30", _, N, N, "delay", "North", "24 001 002"),
        ("p3", CO, 2, "2024-05-01", "2024-05-20", "upheld", "2024-06-01", "upheld", "2024-06-15", _, "2024-05-25", Y, N, "communication", "South", "24 001 003"),
        ("p4", A, 1, "2024-04-10", "2024-04-30", "upheld", "2024-05-15", "upheld", "2024-06-20", "2024-09-18", "2024-09-30", N, N, _, "South", "24 001 004"),
        ("p5", CH, 1, "2024-06-05", "2024-06-20", "upheld", "2024-07-01", "upheld", "2024-08-01", _, _, _, N, "disputed_decision", _, "24 001 005"),
        ("p6", A, 1, "2024-05-05", "2024-05-20", "upheld", _, _, _, "2024-06-15", "2024-06-10", _, Y, "delay", "North", _),
        ("p7", A, 1, "2024-07-02", _, _, _, _, _, _, _, _, _, "staff_conduct", "West", _),
        ("p8", CO, 1, "2024-04-15", "2024-04-25", "not_upheld", _, _, _, _, _, _, N, "communication", "South", _),
        ("p9", A, 1, "2023-11-01", "2023-12-01", "not_upheld", "2024-01-10", "not_upheld", "2024-04-20", _, _, _, N, _, _, "24 000 009"),
        ("p10", A, 1, "2023-12-01", "2024-01-05", "upheld", "2024-02-01", "upheld", "2024-03-01", "2024-04-01", "2024-07-15", N, N, _, _, "24 000 010"),
    ],
    columns=COLS,
).assign(authority_code=LA)
ESSEX_ROWS = pd.DataFrame([("e1", A, 1, "2024-04-08", "2024-05-01", "upheld")],
                          columns=["complaint_id", "stream", "stage", "received_date", "responded_date", "outcome"]
                          ).assign(authority_code=ESSEX)


def run(comp: pd.DataFrame, periods) -> pd.DataFrame:
    ctx = IndicatorContext(bundle=DataBundle.from_frames(complaints=comp), periods=list(periods),
                           settings=load_settings(None), catalogue=load_catalogue())
    return complaints.compute(ctx)


@pytest.fixture(scope="module")
def pack():
    return run(pd.concat([PACK, ESSEX_ROWS], ignore_index=True), [Period(2024, 1), Period(2024, 2)])


def row(rows, indicator, breakdown="all", period=Q1, authority=LA):
    r = rows[(rows.indicator_id == indicator) & (rows.breakdown == breakdown) & (rows.period == period)
             & (rows.authority_code == authority)]
    assert len(r) == 1, f"expected one {indicator} {breakdown} {period} row, got {len(r)}"
    return r.iloc[0]


def nd(r):
    return (r.numerator, r.denominator)


# --------------------------------------------------------------------------------------------
# K3 by stage


def test_k3_by_stage_on_the_hand_case():
    rows = run(HAND, [Period(2023, 1)])
    q = "2023-24 Q1"
    s1, s2, s3 = (row(rows, "K3", f"stage:{k}", q) for k in (1, 2, 3))
    assert nd(s1) == (4, 5) and s1.value == pytest.approx(80.0)
    assert "1 response(s) with no timescale" in s1.note  # c3: no agreed date
    assert nd(s2) == (0, 1) and s2.value == 0
    assert nd(s3) == (0, 0) and np.isnan(s3.value)
    assert "1 response(s) with no timescale" in s3.note  # c8: corporate stage 3
    # the stream rows and the total are unchanged, and the stages add up to the total
    assert nd(row(rows, "K3", "all", q)) == (4, 6)
    assert s1.denominator + s2.denominator + s3.denominator == row(rows, "K3", "all", q).denominator


def test_k3_stage_2_with_the_childrens_extended_limit():
    ctx = IndicatorContext(bundle=DataBundle.from_frames(complaints=HAND, referrals=REFERRALS), periods=[Period(2023, 1)],
                           settings=load_settings({"complaints": {"use_extended_limits": True}}),
                           catalogue=load_catalogue())
    rows = complaints.compute(ctx)
    assert nd(row(rows, "K3", "stage:2", "2023-24 Q1")) == (1, 1)  # c5 within 65 working days


# --------------------------------------------------------------------------------------------
# K8-K13


def test_k8_referred_to_the_ombudsman(pack):
    assert row(pack, "K8").value == 4
    assert row(pack, "K8", f"stream:{A}").value == 3 and row(pack, "K8", f"stream:{CO}").value == 1
    assert row(pack, "K8", period=Q2).value == 1 and row(pack, "K8", f"stream:{CH}", Q2).value == 1
    assert row(pack, "K8", authority=ESSEX).value == 0


def test_k9_remedies_completed_by_their_due_date(pack):
    r = row(pack, "K9")
    assert nd(r) == (0, 2) and r.value == 0
    assert "1 remedy(ies) due with no Ombudsman decision (local remedies) left out" in r.note
    r2 = row(pack, "K9", period=Q2)
    assert nd(r2) == (1, 2) and r2.value == pytest.approx(50.0)



def test_k9_overdue_at_the_snapshot(pack):
    assert row(pack, "K9_overdue").value == 2
    assert row(pack, "K9_overdue", f"stream:{A}").value == 2
    assert row(pack, "K9_overdue", period=Q2).value == 1


def test_k10_satisfactory_remedy_provided_by_the_council(pack):
    r = row(pack, "K10")
    assert nd(r) == (1, 4) and r.value == pytest.approx(25.0)
    assert nd(row(pack, "K10", f"stream:{A}")) == (0, 3)
    assert nd(row(pack, "K10", f"stream:{CO}")) == (1, 1)
    r2 = row(pack, "K10", period=Q2)
    assert np.isnan(r2.value) and "1 upheld decision(s) with remedy_before_decision blank left out" in r2.note


def test_k11_joint_complaints_with_the_nhs(pack):
    assert row(pack, "K11").value == 2 and row(pack, "K11", f"stream:{A}").value == 2
    assert row(pack, "K11", period=Q2).value == 0


def test_k12_themes_add_up_to_the_complaints_received(pack):
    q1 = pack[(pack.indicator_id == "K12") & (pack.period == Q1) & (pack.authority_code == LA)]
    got = dict(zip(q1.breakdown, q1.value))
    assert got == {"theme:delay": 3, "theme:communication": 1, "theme:disputed_decision": 1,
                   "theme:not_recorded": 1, "theme:quality_of_service": 0, "theme:staff_conduct": 0,
                   "theme:equipment_adaptations": 0, "theme:charging": 0, "theme:other": 0}
    assert sum(got.values()) == 6 == row(pack, "K1").numerator  # the complaints received
    assert row(pack, "K12", "theme:staff_conduct", Q2).value == 1
    assert "all" not in set(pack.loc[pack.indicator_id == "K12", "breakdown"])


def test_k13_the_councils_own_teams(pack):
    q1 = pack[(pack.indicator_id == "K13") & (pack.period == Q1) & (pack.authority_code == LA)]
    assert dict(zip(q1.breakdown, q1.value)) == {"team:North": 3, "team:South": 2, "team:West": 0,
                                                 "team:not_recorded": 1}
    assert row(pack, "K13", "team:West", Q2).value == 1


def test_a_council_that_records_none_of_the_pack_gets_no_rows_from_it(pack):
    # Essex's log has none of the pack's columns filled in: no K9-K13 rows (not zeros), but K8
    # (from the Ombudsman's referral date, an older column) as for everyone
    essex = pack[pack.authority_code == ESSEX]
    assert not essex.indicator_id.isin(["K9", "K9_overdue", "K10", "K11", "K12", "K13"]).any()
    assert {"K1", "K3", "K8"} <= set(essex.indicator_id)


def test_a_log_without_the_pack_columns():
    rows = run(HAND, [Period(2023, 1)])
    assert row(rows, "K8", period="2023-24 Q1").value == 0  # HAND has no referral dates
    assert not rows.indicator_id.isin(["K9", "K9_overdue", "K10", "K11", "K12", "K13"]).any()


def test_small_theme_and_team_counts_are_suppressed_for_publication(pack):
    own = pack[(pack.authority_code == LA) & (pack.period == Q1)].reset_index(drop=True)
    shown = disclosure.suppress_indicators(own.assign(unit="cases"))
    k12 = shown[shown.indicator_id == "K12"].set_index("breakdown")["value"]
    assert all(disclosure.is_marked(k12[f"theme:{t}"]) for t in ("delay", "communication", "disputed_decision", "not_recorded"))
    assert k12["theme:charging"] == 0
    k13 = shown[shown.indicator_id == "K13"].set_index("breakdown")["value"]
    assert disclosure.is_marked(k13["team:North"]) and disclosure.is_marked(k13["team:South"])
    assert disclosure.is_marked(shown[(shown.indicator_id == "K11") & (shown.breakdown == "all")]["value"].iloc[0])


def test_planned_dates_do_not_add_quarters():
    # a remedy due, and a response due, after the extract's last event do not make the data cover
    # a later quarter (nor does the complaints family report one)
    comp = PACK[PACK.complaint_id.isin(["p1", "p2"])].copy()
    comp.loc[comp.complaint_id == "p2", "remedy_due_date"] = "2025-01-15"
    comp["due_date"] = ["2024-05-01", "2024-12-01"]
    refs = REFERRALS.assign(referral_date="2024-04-01", closure_date=None, first_assessment_date=None)
    bundle = DataBundle.from_frames(complaints=comp, referrals=refs)
    periods = covered_periods(bundle)
    assert periods[-1] == Period(2024, 2)  # p1's remedy, completed 10 July 2024, is the last event
    table = compute_indicators(bundle)
    assert set(table.period) <= {"2024-25 Q1", "2024-25 Q2"}
