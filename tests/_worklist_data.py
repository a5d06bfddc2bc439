"""A tiny data folder worked out by hand, for W9, the team breakdowns, W7_changed, the snapshot
counts behind E1/E5/K3 and the worklists (tests/test_w9_teams.py, tests/test_worklists.py).

Quarter 2024-25 Q1; the snapshot is Sunday 30 June 2024. Working days are Monday to Friday
except England & Wales bank holidays (6 and 27 May 2024 in this stretch); working days
elapsed count the days after the start up to and including the end.

Council A (E10000017) referrals — days waited at 30/06/2024, priority target (urgent 7,
high 28, medium 84, low 182):

=====  ========  =======  ==========  ==============================================  ======
id     priority  team     referred    at the snapshot                                  past?
=====  ========  =======  ==========  ==============================================  ======
p1     urgent    North    2024-06-20  waiting 10 (> 7 by 3)                            yes
p2     urgent    North    2024-06-23  waiting 7 (= target)                             no
p3     high      South    2024-05-01  waiting 60 (> 28 by 32)                          yes
p4     high      South    2024-06-10  waiting 20                                       no
p5     medium    North    2024-01-01  waiting 181 (> 84 by 97)                         yes
p6     low       South    2023-06-01  waiting 395 (> 182 by 213)                       yes
p7     low       North    2024-03-01  waiting 121                                      no
p9     medium    North    2023-11-01  assessed ON 30/06/2024: not waiting
p10    high      (none)   2024-04-01  closed (withdrawn) 15/06/2024: not waiting
p11    medium    (none)   2023-12-01  waiting 212 (> 84 by 128)                        yes
p12    urgent    North    2024-04-02  assessed 05/04 (3 days), closed 01/05/2024
p13    low       South    2023-10-02  waiting 272 (> 182 by 90)                        yes
=====  ========  =======  ==========  ==============================================  ======

W1 = 9 (urgent 2, high 2, medium 2, low 3; North 4, South 4, p11 has no team);
W9 = 6 of 9 (urgent 1/2, high 1/2, medium 2/2, low 2/3; North 2/4, South 3/4).

Keep in touch (k = 182 days; window 01/01/2024–30/06/2024): waiting more than 182 days are
p6 (contact 01/03/2024, in the window), p11 (contact 31/12/2023: exactly 182 days before, so
outside) and p13 (no contact): W7 = 1 of 3. Overdue: p13 needed a contact from its 183rd day
(01/04/2024) — 90 days; p11's contact of 31/12/2023 covered it to 29/06/2024 — 1 day.
Contacts in Q1 with outcomes: p5 priority_changed, p10 withdrawn, p7 still_waiting,
p3 no_response, p4 blank: W7_changed = 2 (1 priority_changed, 1 withdrawn), 1 left out.

C3 (Q1): referred p1 p2 p3 p4 p10 p12 = 6, closed p10 p12 = 2; North 1 of 3, South 0 of 2.

Council B (E10000018): b1 high, team Alpha, referred 2024-06-01, waiting 29 (> 28): W9 1/1.

Equipment (council A; clock = order date, standard 7 working days):

====  ==========  ==========  =====================================================
item  ordered     delivered   at the snapshot
====  ==========  ==========  =====================================================
i1    2024-06-20              6 working days: not overdue
i2    2024-06-19              7 working days: not overdue (on the standard)
i3    2024-06-18              8 working days: 1 overdue (referral p1)
i4    2024-05-20              28 working days (27 May a bank holiday): 21 overdue (p5)
i5    2024-05-21  2024-07-02  delivered after the snapshot: 27 working days, 20 overdue
i7    2024-06-03  2024-06-30  delivered ON the snapshot day: not overdue
====  ==========  ==========  =====================================================

Collections (standard 10 working days from the request): i8 requested 14/06 (10: not
overdue); i9 requested 13/06 (11: 1 overdue); i10 requested 24/05, collected 01/07 (24: 14
overdue); i11 requested 24/05, collected ON 30/06 (not overdue).

Vacancies (six months before 30/06/2024 is 30/12/2023): v1 OT-001 vacant from 30/12/2023
(183 days, exactly six months: 0 days beyond); v2 OT-002 from 31/12/2023 (not six months);
v3 OTA-001 from 01/06/2023, filled 15/07/2024 (395 days, 212 beyond); v4 OT-003 filled ON
30/06/2024 (not vacant). C5_6m numerator = 2.

Complaints: k1 adult, due 14/06, no response (16 days overdue); k2 adult, due ON 30/06 (not
overdue); k3 corporate stage 1 received 14/06 (10 working days: not overdue); k4 corporate
stage 1 received 13/06 (11 working days: 1 working day overdue; its 10th working day was
27/06, 3 days before the snapshot); k5 children's, responded (not listed); k6 adult with no
agreed date (no timescale: not listed). K3_overdue = 2. Ombudsman: k7 decided 20/05/2024, 3
recommendations due, 1 complied with (2 outstanding, 41 days since the decision); k8 decided
10/06/2024, 1 due, 1 complied; k9 decided 01/03/2024 (2023-24 Q4, not this quarter). K5 in Q1:
2 of 4, so 2 outstanding.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

A, B = "E10000017", "E10000018"
Q1 = "2024-25 Q1"
SNAPSHOT = "2024-06-30"


def referrals() -> pd.DataFrame:
    rows = [
        # id, council, priority, team, referred, assessed, closed, reason
        ("p1", A, "urgent", "North", "2024-06-20", "", "", ""),
        ("p2", A, "urgent", "North", "2024-06-23", "", "", ""),
        ("p3", A, "high", "South", "2024-05-01", "", "", ""),
        ("p4", A, "high", "South", "2024-06-10", "", "", ""),
        ("p5", A, "medium", "North", "2024-01-01", "", "", ""),
        ("p6", A, "low", "South", "2023-06-01", "", "", ""),
        ("p7", A, "low", "North", "2024-03-01", "", "", ""),
        ("p9", A, "medium", "North", "2023-11-01", "2024-06-30", "", ""),
        ("p10", A, "high", "", "2024-04-01", "", "2024-06-15", "withdrawn"),
        ("p11", A, "medium", "", "2023-12-01", "", "", ""),
        ("p12", A, "urgent", "North", "2024-04-02", "2024-04-05", "2024-05-01", "assessed_and_closed"),
        ("p13", A, "low", "South", "2023-10-02", "", "", ""),
        ("b1", B, "high", "Alpha", "2024-06-01", "", "", ""),
    ]
    df = pd.DataFrame(rows, columns=["referral_id", "authority_code", "priority", "team", "referral_date",
                                     "first_assessment_date", "closure_date", "closure_reason"])
    df["allocated_date"] = ""
    df["review_start_date"] = ""
    return df


def contacts() -> pd.DataFrame:
    return pd.DataFrame(
        [("p6", "2024-03-01", "priority_changed"), ("p11", "2023-12-31", "still_waiting"),
         ("p5", "2024-04-10", "priority_changed"), ("p10", "2024-06-15", "withdrawn"),
         ("p7", "2024-05-02", "still_waiting"), ("p3", "2024-06-01", "no_response"), ("p4", "2024-06-20", "")],
        columns=["referral_id", "contact_date", "outcome"])


def equipment() -> pd.DataFrame:
    rows = [
        # item, referral, ordered, delivered, requested, collected, outcome
        ("i1", "", "2024-06-20", "", "", "", ""),
        ("i2", "", "2024-06-19", "", "", "", ""),
        ("i3", "p1", "2024-06-18", "", "", "", ""),
        ("i4", "p5", "2024-05-20", "", "", "", ""),
        ("i5", "", "2024-05-21", "2024-07-02", "", "", ""),
        ("i7", "", "2024-06-03", "2024-06-30", "", "", ""),
        ("i8", "", "2024-01-10", "2024-01-15", "2024-06-14", "", ""),
        ("i9", "p6", "2024-01-10", "2024-01-15", "2024-06-13", "", ""),
        ("i10", "", "2024-01-10", "2024-01-15", "2024-05-24", "2024-07-01", "reused"),
        ("i11", "", "2024-01-10", "2024-01-15", "2024-05-24", "2024-06-30", "scrapped"),
    ]
    df = pd.DataFrame(rows, columns=["item_id", "referral_id", "ordered_date", "delivered_date",
                                     "collection_requested_date", "collected_date", "collection_outcome"])
    df.insert(1, "authority_code", A)
    df["catalogue_code"] = "BATH-001"
    df["item_value_gbp"] = 40.0
    df["from_recycled_stock"] = "N"
    df["decision_date"] = ""
    return df


def vacancies() -> pd.DataFrame:
    return pd.DataFrame(
        [(A, "OT-001", "ot", "2023-12-30", ""), (A, "OT-002", "ot", "2023-12-31", ""),
         (A, "OTA-001", "ota", "2023-06-01", "2024-07-15"), (A, "OT-003", "ot", "2023-01-01", "2024-06-30")],
        columns=["authority_code", "post_id", "role", "vacant_from", "filled_on"])


def complaints() -> pd.DataFrame:
    cols = ["complaint_id", "authority_code", "stream", "stage", "received_date", "due_date", "responded_date",
            "outcome", "ombudsman_referred_date", "ombudsman_decision", "ombudsman_decided_date", "remedy_gbp",
            "recommendations_due", "recommendations_complied"]
    rows = [
        ("k1", A, "asc_statutory", 1, "2024-05-01", "2024-06-14", "", "", "", "", "", "", "", ""),
        ("k2", A, "asc_statutory", 1, "2024-05-01", "2024-06-30", "", "", "", "", "", "", "", ""),
        ("k3", A, "corporate", 1, "2024-06-14", "", "", "", "", "", "", "", "", ""),
        ("k4", A, "corporate", 1, "2024-06-13", "", "", "", "", "", "", "", "", ""),
        ("k5", A, "childrens_statutory", 1, "2024-06-03", "", "2024-06-25", "not_upheld", "", "", "", "", "", ""),
        ("k6", A, "asc_statutory", 1, "2024-05-01", "", "", "", "", "", "", "", "", ""),
        ("k7", A, "asc_statutory", 1, "2023-09-01", "2023-10-20", "2023-10-01", "upheld", "2024-01-10", "upheld",
         "2024-05-20", "", 3, 1),
        ("k8", A, "asc_statutory", 1, "2023-09-02", "2023-10-20", "2023-10-02", "upheld", "2024-01-11", "upheld",
         "2024-06-10", "", 1, 1),
        ("k9", A, "asc_statutory", 1, "2023-08-01", "2023-09-20", "2023-09-01", "upheld", "2023-10-10", "upheld",
         "2024-03-01", "", 2, 0),
    ]
    return pd.DataFrame(rows, columns=cols)


def write_folder(folder: Path) -> Path:
    """Write the tables as CSV files (read back by ``load_data`` like any council's folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in (("referrals", referrals()), ("contacts", contacts()), ("equipment", equipment()),
                     ("vacancies", vacancies()), ("complaints", complaints())):
        df.to_csv(folder / f"{name}.csv", index=False)
    (folder / "metadata.json").write_text(json.dumps({"first_period": "2023-24 Q1", "last_period": Q1}),
                                          encoding="utf-8")
    return folder
