"""``ot-benchmark reconcile-ombudsman``: the council's complaints log against the Ombudsman's decisions.

* Planted mismatches on synthetic data (``synth.ombudsman_decisions``): decisions missing from the
  log, log entries missing from the decisions, a reference typed differently, a log entry with no
  reference; the reconciliation lists exactly the planted cases.
* A hand case for the rules: references normalised (case, spaces, dashes), the date window
  (14 days either side inclusive), the category, one to one and nearest first, the period.
* The restricted area: folders 0700, files 0600, a first line saying not for publication; the
  counts for a scrutiny report with small numbers suppressed.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pandas as pd
import pytest

from ot_benchmark.cli import main
from ot_benchmark.compare import ombudsman as om
from ot_benchmark.errors import DataContractError, ParameterError
from ot_benchmark.io import synth
from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.report.complaints import reconciliation_sentences

LA = "E10000017"


def decisions_csv(tmp_path: Path, rows, header="Reference,Decision date,Category,Decision,Remedy") -> Path:
    p = tmp_path / "decisions.csv"
    p.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


# --------------------------------------------------------------------------------------------
# planted mismatches


@pytest.fixture(scope="module")
def generated():
    tables, _ = synth.generate(home=LA, authorities=[LA], first_year=2022, last_year=2024, seed=14, scale=1.0)
    return tables["complaints"]


@pytest.fixture(scope="module")
def planted(generated):
    return synth.ombudsman_decisions(generated, LA, seed=1)


def test_reconciliation_lists_exactly_the_planted_cases(planted, tmp_path):
    log, decisions, truth = planted
    path = tmp_path / "decisions.csv"
    decisions.to_csv(path, index=False)
    dec, warnings = om.read_decisions(path)
    assert warnings == []
    rec = om.reconcile(log, dec, LA)
    assert sorted(rec.ombudsman_only["ombudsman_reference"]) == sorted(truth["ombudsman_only"])
    assert sorted(rec.council_only["complaint_ids"]) == sorted(truth["council_only"])
    typed = rec.matched[rec.matched["matched_by"] == "reference typed differently"]
    assert typed["ombudsman_reference"].tolist() == truth["typed_differently"]
    by_date = rec.matched[rec.matched["matched_by"].str.startswith("decision date")]
    assert by_date["complaint_ids"].tolist() == truth["no_reference_in_log"]
    assert by_date["matched_by"].iloc[0] == "decision date and category (no reference in the log)"
    assert 3 <= abs(by_date["days_apart"].iloc[0]) <= 12
    # everything else matched by its reference as written
    c = rec.counts
    assert c["ombudsman_decisions"] == len(decisions) == c["matched"] + c["ombudsman_only"]
    assert c["matched_by_reference"] == c["matched"] - 2
    assert c["log_decisions"] == c["log_decisions_matched"] + c["council_only"]
    assert (c["ombudsman_only"], c["council_only"], c["reference_typed_differently"], c["matched_by_date"]) == (2, 2, 1, 1)
    assert c["decisions_differ"] == 0 and (rec.matched["decisions_agree"] == "yes").all()
    assert rec.period == "2022-23 to 2024-25"


def test_without_plants_everything_matches_by_reference(generated, tmp_path):
    log, decisions, truth = synth.ombudsman_decisions(generated, LA, seed=2, missing_from_log=0, missing_from_list=0,
                                                      typed_differently=0, no_reference_in_log=0)
    assert truth == {"ombudsman_only": [], "council_only": [], "typed_differently": [], "no_reference_in_log": []}
    decisions.to_csv(tmp_path / "d.csv", index=False)
    rec = om.reconcile(log, om.read_decisions(tmp_path / "d.csv")[0], LA)
    assert rec.ombudsman_only.empty and rec.council_only.empty
    assert (rec.matched["matched_by"] == "reference").all() and len(rec.matched) == len(decisions)


# --------------------------------------------------------------------------------------------
# the rules, by hand

LOG = pd.DataFrame(
    [  # id, stream, stage, received, referred, decided, decision, reference
        ("k1", "asc_statutory", 1, "2024-01-10", "2024-03-01", "2024-06-10", "upheld", "24 000 001"),
        ("k2", "asc_statutory", 1, "2024-01-11", "2024-03-02", "2024-06-20", "not_upheld", "24-000-002"),
        ("k3", "corporate", 1, "2024-01-12", "2024-03-03", "2024-07-01", "upheld", None),          # date: 14 days
        ("k4", "asc_statutory", 1, "2024-01-13", "2024-03-04", "2024-08-01", "not_upheld", None),  # date: 15 days, no
        ("k5", "childrens_statutory", 1, "2024-01-14", "2024-03-05", "2024-09-01", "upheld", None),  # other category
        ("k6", "asc_statutory", 1, "2024-01-15", "2024-03-06", "2024-10-01", "upheld", None),      # two candidates
        ("k7", "asc_statutory", 1, "2024-01-16", "2024-03-07", "2024-10-05", "upheld", None),
        ("k8", "corporate", 1, "2023-01-16", "2023-03-07", "2024-03-25", "upheld", "24 000 008"),  # decided 2023-24
        ("k9", "corporate", 1, "2024-02-01", "2024-05-01", None, None, None),                    # awaiting
        ("k10", "corporate", 1, "2024-02-02", "2024-05-02", "2025-02-02", "upheld", "24 000 010"),  # log only
    ],
    columns=["complaint_id", "stream", "stage", "received_date", "ombudsman_referred_date", "ombudsman_decided_date",
             "ombudsman_decision", "ombudsman_reference"],
).assign(authority_code=LA)
DECISIONS = [
    "24 000 001,10/06/2024,Adult care services,Upheld: maladministration and injustice,Apology",
    "24000002,21/06/2024,Adult care services,Upheld: maladministration and injustice,Apology",   # typed differently; differs
    "24 000 003,15/07/2024,Corporate & other services,Upheld: maladministration and injustice,",  # k3 +14 days
    "24 000 004,16/08/2024,Adult care services,Not upheld: no maladministration,",              # k4 +15 days: no
    "24 000 005,02/09/2024,Adult care services,Upheld: maladministration and injustice,",       # k5 is children's: no
    "24 000 006,04/10/2024,Adult care services,Upheld: maladministration and injustice,",       # k7 (1 day) before k6 (3)
    "24 000 008,27/03/2024,Corporate & other services,Upheld: maladministration and injustice,",  # k8, 2023-24
]


@pytest.fixture()
def hand(tmp_path):
    dec, warnings = om.read_decisions(decisions_csv(tmp_path, DECISIONS))
    return dec, warnings


def test_hand_case_rules(hand):
    dec, _ = hand
    rec = om.reconcile(DataBundle.from_frames(complaints=LOG)["complaints"], dec, LA, period="2024-25")
    m = rec.matched.set_index("ombudsman_reference")
    assert m.loc["24 000 001", "matched_by"] == "reference"
    assert m.loc["24000002", "matched_by"] == "reference typed differently"
    assert m.loc["24000002", "decisions_agree"] == "no"  # the log says not upheld
    assert m.loc["24 000 003", "complaint_ids"] == "k3" and m.loc["24 000 003", "days_apart"] == 14
    assert m.loc["24 000 006", "complaint_ids"] == "k7"  # nearest first, one to one
    assert set(rec.ombudsman_only["ombudsman_reference"]) == {"24 000 004", "24 000 005"}
    # k4, k5, k6 decided in 2024-25 and unmatched; k10's decision (Feb 2025) is not in the list
    assert sorted(rec.council_only["complaint_ids"]) == ["k10", "k4", "k5", "k6"]
    c = rec.counts
    assert c["outside_period"] == 1  # 24 000 008 (March 2024) is 2023-24
    assert c["awaiting_decision_in_log"] == 1  # k9
    assert c["decisions_differ"] == 1
    assert (c["ombudsman_decisions"], c["matched"], c["ombudsman_only"]) == (6, 4, 2)
    assert (c["log_decisions"], c["log_decisions_matched"], c["council_only"]) == (8, 4, 4)


def test_a_wider_window_and_a_category_map(hand):
    dec, _ = hand
    log = DataBundle.from_frames(complaints=LOG)["complaints"]
    rec = om.reconcile(log, dec, LA, period="2024-25", window_days=15)
    assert "24 000 004" in set(rec.matched["ombudsman_reference"])  # k4 at 15 days
    dec2 = dec.assign(stream=om.stream_of_category(dec["category"], {"Adult care services": "childrens_statutory"}))
    rec2 = om.reconcile(log, dec2, LA, period="2024-25 Q2")  # July to September 2024
    assert rec2.period == "2024-25 Q2"
    assert set(rec2.matched["ombudsman_reference"]) == {"24 000 003", "24 000 005"}


def test_normalised_references_categories_and_decisions():
    assert om.normalise_reference(["23 012 345", "23-012-345", " 23012345 ", "ab/12.3", "", None]).tolist() == \
        ["23012345", "23012345", "23012345", "AB123", None, None]
    assert om.stream_of_category(["Adult Care Services", "Education & children's services", "Highways & transport"]).tolist() == \
        ["asc_statutory", "childrens_statutory", "corporate"]
    assert om.decision_of_text(["Upheld: maladministration, no injustice", "Not upheld: no maladministration",
                                "Closed after initial enquiries", "Referred back for local resolution", "?"]).tolist() == \
        ["upheld", "not_upheld", "not_investigated", "not_investigated", None]


def test_decisions_file_columns_mapped_and_problems_said(tmp_path):
    p = decisions_csv(tmp_path, ["24 1,01/05/2024,Adult care services,Upheld,", "24 2,31/02/2024,Adult care services,Upheld,"],
                      header="Case no.,Date of decision,Service area,Outcome,Remedy")
    with pytest.raises(DataContractError, match="no column for reference"):
        om.read_decisions(p)
    dec, warnings = om.read_decisions(p, {"reference": "case no"})
    assert dec["decision_date"].iloc[0] == pd.Timestamp("2024-05-01")
    assert warnings and "no readable decision date" in warnings[0]
    with pytest.raises(DataContractError, match="has no column 'Ref'"):
        om.read_decisions(p, {"reference": "Ref"})
    with pytest.raises(ParameterError, match="not a financial year"):
        om.reconcile(LOG, dec, LA, period="2024-26")


def test_restricted_area_modes_and_first_lines(hand, tmp_path):
    dec, _ = hand
    rec = om.reconcile(DataBundle.from_frames(complaints=LOG)["complaints"], dec, LA, period="2024-25")
    folder = om.write_reconciliation(rec, tmp_path / "outputs", sentences="words")
    assert folder == tmp_path / "outputs" / "_restricted" / "2024-25" / LA / "ombudsman"
    for d in (folder, folder.parent, folder.parent.parent, folder.parent.parent.parent):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    for name in ("matched.csv", "council_only.csv", "ombudsman_only.csv", "summary.txt", "counts.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    for name in ("matched.csv", "council_only.csv", "ombudsman_only.csv", "summary.txt"):
        first = (folder / name).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# RESTRICTED") and "not for publication" in first
    back = pd.read_csv(folder / "council_only.csv", skiprows=1)
    assert sorted(back["complaint_ids"]) == ["k10", "k4", "k5", "k6"]
    assert json.loads((folder / "counts.json").read_text())["council_only"] == 4
    # written again: still owner-only
    om.write_reconciliation(rec, tmp_path / "outputs")
    assert stat.S_IMODE((folder / "matched.csv").stat().st_mode) == 0o600


def test_counts_for_the_scrutiny_report():
    c = dict(ombudsman_decisions=14, matched=12, ombudsman_only=2, log_decisions=12, log_decisions_matched=12,
             council_only=0, reference_typed_differently=0, matched_by_date=0, decisions_differ=0,
             awaiting_decision_in_log=0)
    exact = reconciliation_sentences(c, council="Lancashire County Council", period="2024-25", suppress=False)
    assert exact == ("The Ombudsman recorded 14 decisions about Lancashire County Council in 2024-25; we hold 12 of "
                     "them; 2 are cases we have no record of.")
    published = reconciliation_sentences(c, council="Lancashire County Council", period="2024-25")
    # 2 is small, and 12 would give it back (14 - 12): neither is written
    assert "2 are" not in published and "12" not in published
    assert "fewer than 5 are cases we have no record of" in published
    assert "we hold some of them (how many is not shown" in published
    big = dict(c, ombudsman_decisions=40, matched=30, ombudsman_only=10, log_decisions=31, log_decisions_matched=30,
               council_only=1)
    text = reconciliation_sentences(big, council="X", period="2024-25")
    assert "we hold 30 of them; 10 are cases" in text
    assert "Our log records fewer than 5 Ombudsman decisions" in text


def test_the_command(planted, tmp_path, capsys, monkeypatch):
    log, decisions, truth = planted
    data = tmp_path / "data"
    data.mkdir()
    (data / "referrals.csv").write_text("referral_id,authority_code,referral_date,priority\nR1,E10000017,2024-04-01,high\n",
                                        encoding="utf-8")
    log.to_csv(data / "complaints.csv", index=False)
    decisions.to_csv(tmp_path / "decisions.csv", index=False)
    monkeypatch.setenv("OT_BENCHMARK_CACHE", str(tmp_path / "cache"))
    code = main(["reconcile-ombudsman", "--data", str(data), "--authority", LA, "--decisions",
                 str(tmp_path / "decisions.csv"), "--out", str(tmp_path / "outputs")])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "For the scrutiny report (small numbers suppressed):" in out.out
    assert "fewer than 5 are cases we have no record of" in out.out
    folder = Path(out.out.strip().splitlines()[-1])
    assert folder == tmp_path / "outputs" / "_restricted" / "2022-23_to_2024-25" / LA / "ombudsman"
    only = pd.read_csv(folder / "ombudsman_only.csv", skiprows=1, dtype=str)
    assert sorted(only["ombudsman_reference"]) == sorted(truth["ombudsman_only"])
    for ref in truth["ombudsman_only"] + truth["council_only"]:  # the printed counts name no case
        assert ref not in out.out
    assert main(["reconcile-ombudsman", "--data", str(data), "--authority", "E10000012", "--decisions",
                 str(tmp_path / "decisions.csv"), "--out", str(tmp_path / "outputs")]) == 2
    assert "has no complaints of E10000012" in capsys.readouterr().err


def test_published_reports_are_checked_for_ombudsman_references(tmp_path):
    # an Ombudsman reference is a case identifier, and is found though it is written with spaces
    from ot_benchmark.runner import case_ids

    assert "ombudsman_reference" in case_ids.CASE_ID_COLUMNS
    (tmp_path / "r.html").write_text("<p>decision 24  001 234 was upheld; 124 001 2345 is a number</p>")
    hits, _ = case_ids.find_case_ids(tmp_path, {"ombudsman_reference": {"24 001 234", "24 009 999"}})
    assert hits == [("r.html", "ombudsman_reference", "24 001 234")]
    (tmp_path / "r.html").write_text("<p>14 decisions; 124 001 2345</p>")
    assert case_ids.find_case_ids(tmp_path, {"ombudsman_reference": {"24 001 234"}})[0] == []


def test_spaced_references_are_found_through_the_case_id_index(tmp_path):
    # the runner looks through the hashed index of a data folder (case_ids_of): references written
    # with spaces are not tokens, so the index keeps them as text and they are found all the same
    from ot_benchmark.runner import case_ids

    data = tmp_path / "data"
    data.mkdir()
    (data / "complaints.csv").write_text(
        "complaint_id,ombudsman_reference,authority_code,stream,stage,received_date\n"
        "K00001,24 001 234,E10000017,corporate,1,2024-05-01\n"
        "K00002,,E10000017,corporate,1,2024-05-01\n"
        "K00003, 23  009 999 ,E10000017,corporate,1,2024-05-01\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.html").write_text("<p>decision 24  001 234 was upheld; 123 009 9999 is a number</p>")
    (out / "t.csv").write_text("ref\n(23 009 999)\n")
    want = [("r.html", "ombudsman_reference", "24 001 234"), ("t.csv", "ombudsman_reference", "23 009 999")]
    index = case_ids.case_ids_of(str(data), "e" * 64, str(tmp_path / "cache"))
    assert case_ids.find_case_ids(out, index)[0] == want
    assert case_ids.find_case_ids(out, case_ids.collect_case_ids(data))[0] == want
    case_ids._LAST.clear()  # another process: the index read back from the cache folder
    again = case_ids.case_ids_of(str(data), "e" * 64, str(tmp_path / "cache"))
    assert case_ids.find_case_ids(out, again)[0] == want
    (out / "r.html").write_text("<p>14 decisions; 124 001 2345</p>")
    (out / "t.csv").write_text("ref\n23 009 9990\n")
    assert case_ids.find_case_ids(out, again)[0] == []
