"""The shipped example of a council's own export (data/examples/council_export, synthetic):
from `ot-benchmark map` (a draft whose key guesses are checked here) to `validate` with the
analyst's edited mapping (no fatal problem, every row accounted for) to the indicators (counts
of referrals, assessments and closures by quarter, counted by hand from referrals.csv)."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from ot_benchmark.cli import main
from ot_benchmark.io.mapping import load_mapping
from ot_benchmark.io.validate import load_data, validate_folder

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "council_export"


@pytest.fixture
def export_only(tmp_path) -> Path:
    """The example as the council exported it: without the analyst's mapping and settings."""
    d = tmp_path / "export"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns("mapping.toml", "settings.toml", "README.md"))
    return d


def test_the_example_is_labelled_synthetic():
    bundle = load_data(EXAMPLE)
    assert bundle.synthetic and "Synthetic" in bundle.banner and "invented" in bundle.banner


def test_map_drafts_the_key_guesses(export_only, tmp_path, capsys):
    out = tmp_path / "draft.toml"
    assert main(["map", str(export_only), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"Wrote a draft mapping to {out}" in printed
    text = out.read_text(encoding="utf-8")
    draft = tomllib.loads(text)

    ref = draft["referrals"]["columns"]
    assert ref == {
        "referral_id": "Referral ID",
        "referral_date": "Date Referral Received",          # missed by the old near-miss hints
        "priority": "Priority Band",
        "first_assessment_date": "Date of First OT Assessment",
        "closure_date": "Case Closed Date",
        "closure_reason": "Reason for Closure",             # missed by the old near-miss hints
        "team": "Team",
    }
    assert "# not used: \"Allocated Worker\"" in text
    assert "# authority_code: no such column; metadata.json's home_authority (E10000017) is used for every row" in text
    assert draft["referrals"]["values"]["closure_reason"] == {
        "Assessment completed": "assessed_and_closed", "Withdrawn by client": "withdrawn", "Deceased": "died",
        "Needs met elsewhere": "met_elsewhere", "Moved out of area": "moved", "Duplicate referral": "other"}
    # no guess for a local band or a local reason: left commented out, marked CHECK, rows rejected until decided
    assert "priority" not in draft["referrals"].get("values", {}) or "Routine" not in draft["referrals"]["values"]["priority"]
    assert '# "Routine" = "?"' in text and "CHECK: no guess (3 rows); one of urgent, high, medium, low" in text
    assert '# "Transferred to CHC" = "?"' in text

    eq = draft["equipment"]["columns"]
    # read under the merged group headers "Dates" and "Collection" of equipment.xlsx
    assert eq["ordered_date"] == "Dates Ordered"
    assert eq["decision_date"] == "Dates Decision" and eq["delivered_date"] == "Dates Delivered"
    assert eq["collected_date"] == "Collection Date" and eq["collection_requested_date"] == "Collection Requested"
    assert eq["item_value_gbp"] == "Unit Cost (£)" and eq["item_id"] == "Order Line ID"
    assert draft["equipment"]["values"]["collection_outcome"] == {"Returned to stock": "reused",
                                                                  "Scrapped - beyond repair": "scrapped"}
    comp = draft["complaints"]
    assert comp["columns"]["ombudsman_decision"] == "LGSCO Decision"
    assert comp["columns"]["ombudsman_decided_date"] == "LGSCO Decision Date"
    assert comp["columns"]["ombudsman_referred_date"] == "Date Referred to LGSCO"
    assert comp["values"]["stage"] == {"Stage 1": 1, "Stage 2": 2}
    assert comp["values"]["stream"] == {"Adult Social Care (statutory)": "asc_statutory"}
    assert comp["values"]["ombudsman_decision"] == {"No fault found": "not_upheld"}
    assert draft["workforce"]["columns"]["in_post_wte"] == "FTE in Post"
    assert draft["workforce"]["values"]["role"] == {"Occupational Therapist": "ot", "OT Assistant": "ota",
                                                    "Team Manager": "other"}
    # one export column is never proposed for two contract columns
    for table in draft.values():
        proposed = [v for v in table["columns"].values() if v]
        assert len(proposed) == len(set(proposed)), table["columns"]
    # the draft is a valid mapping as it stands
    assert load_mapping(out)


def test_the_draft_as_it_stands_validates_with_its_open_questions_rejected(export_only):
    assert main(["map", str(export_only)]) == 0  # writes export/mapping.toml
    (export_only / "settings.toml").write_text('mapping = "mapping.toml"\n', encoding="utf-8")
    report = validate_folder(export_only)
    assert report.fatal == [] and report.usable
    rej = report.rejects
    # "Routine" (3 rows) and "Transferred to CHC" (1 row) wait for the analyst; 04/13/2024 is a US date
    assert sorted(rej.loc[rej["column"] == "priority", "value"]) == ["Routine"] * 3
    assert list(rej.loc[rej["column"] == "closure_reason", "value"]) == ["Transferred to CHC"]
    assert list(rej.loc[rej["column"] == "referral_date", "value"]) == ["04/13/2024"]


def test_map_never_overwrites_an_edited_mapping(tmp_path, capsys):
    d = tmp_path / "ex"
    shutil.copytree(EXAMPLE, d)
    before = (d / "mapping.toml").read_text(encoding="utf-8")
    assert main(["map", str(d)]) == 2
    assert "exists (perhaps your edited mapping); not overwritten" in capsys.readouterr().err
    assert (d / "mapping.toml").read_text(encoding="utf-8") == before


def test_validate_with_the_edited_mapping(capsys):
    assert main(["validate", str(EXAMPLE)]) == 0
    report = validate_folder(EXAMPLE)
    assert report.fatal == []
    s = report.summary.set_index("table")
    # referrals.csv: 26 lines below the header, 3 of them blank: 23 read = 21 accepted + 2 rejected
    assert s.loc["referrals", ["rows_read", "rows_accepted", "rows_rejected", "blank_rows_skipped"]].tolist() == \
        [23, 21, 2, 3]
    assert s.loc["equipment", ["rows_read", "rows_accepted", "blank_rows_skipped"]].tolist() == [8, 8, 1]
    assert s.loc["complaints", ["rows_read", "rows_accepted"]].tolist() == [6, 6]
    assert s.loc["workforce", ["rows_read", "rows_accepted"]].tolist() == [6, 6]
    assert (s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all()
    got = [tuple(x) for x in report.rejects[["file", "row", "column", "value"]].itertuples(index=False)]
    assert got == [("referrals.csv", 10, "referral_date", "04/13/2024"),
                   ("referrals.csv", 16, "closure_reason", "Transferred to CHC")]
    assert "add the line  \"Transferred to CHC\" = \"<the value it means>\"  under [referrals.values.closure_reason] " \
           "in mapping.toml" in report.rejects["reason"].iloc[1]
    b = report.bundle
    ref = b["referrals"].set_index("referral_id")
    assert ref.loc["R1005", "priority"] == "low"             # "Routine" = "low", the analyst's edit
    assert ref.loc["R1002", "referral_date"] == pd.Timestamp("2024-04-03")  # written 3-Apr-2024
    assert ref.loc["R1003", "referral_date"] == pd.Timestamp("2024-04-10")  # written 10.04.2024
    assert ref.loc["R1004", "closure_reason"] == "died"
    eq = b["equipment"].set_index("item_id")
    assert eq.loc["OL-5002", "item_value_gbp"] == 1250.0     # "£1,250.00" in a text cell
    assert eq.loc["OL-5001", "ordered_date"] == pd.Timestamp("2024-04-08")  # a date cell
    assert eq.loc["OL-5004", "collection_outcome"] == "scrapped"
    comp = b["complaints"].set_index("complaint_id")
    assert comp.loc["C2024-06", "remedy_gbp"] == 1250.0 and comp.loc["C2024-04", "stage"] == 2
    assert set(b.authorities) == {"E10000017"}
    cov = b.coverage.set_index("table")
    assert cov.loc["referrals", ["from", "to"]].tolist() == [pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31")]
    assert cov.loc["equipment", ["from", "to"]].tolist() == [pd.Timestamp("2024-04-05"), pd.Timestamp("2024-12-06")]


def test_indicators_from_the_example_count_what_a_person_counts():
    from ot_benchmark.indicators.engine import compute_indicators

    table = compute_indicators(load_data(EXAMPLE))
    w8 = table[(table["breakdown"] == "all") & table["indicator_id"].str.startswith("W8_")]
    got = {(r.period, r.indicator_id): r.value for r in w8.itertuples()}
    # referrals.csv by quarter of "Date Referral Received", leaving out R1006 (a US date) and
    # R1011 (its closure reason is not mapped yet):
    #   Q1 (Apr-Jun 2024): R1001-R1005, R1007-R1010, R1012 = 10
    #   Q2: R1013-R1017 = 5;  Q3: R1018-R1020 = 3;  Q4: R1021-R1023 = 3
    assert [got[(f"2024-25 Q{q}", "W8_referrals")] for q in (1, 2, 3, 4)] == [10, 5, 3, 3]
    # first assessments in Q1: R1001 05/04, R1002 02.05, R1007 20.05, R1010 04/06
    assert got[("2024-25 Q1", "W8_assessments")] == 4
    # closed in Q1 without an assessment: R1003 (withdrawn), R1004 (deceased), R1008 (moved)
    assert got[("2024-25 Q1", "W8_closed_unassessed")] == 3
    assert table.attrs["banner"]  # synthetic: every output carries the banner


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes as on Linux/macOS")
def test_map_on_awkward_folders(tmp_path, capsys):
    # a file named after no table is matched by its columns; a named pipe and a file with no
    # header are reported, not read (and nothing waits on the pipe)
    d = tmp_path / "d"
    d.mkdir()
    (d / "OT Referrals 2024-25.csv").write_text(
        "Case Reference,Date Received,Priority\nC1,03/04/2024,High\nC2,04/04/2024,Low\n", encoding="utf-8")
    os.mkfifo(d / "equipment.csv")
    (d / "notes.csv").write_text("1,2,3\n4,5,6\n", encoding="utf-8")
    assert main(["map", str(d), "--out", "-"]) == 0
    text = capsys.readouterr().out
    draft = tomllib.loads(text)
    assert draft["referrals"]["file"] == "OT Referrals 2024-25.csv"
    assert draft["referrals"]["columns"] == {"referral_id": "Case Reference", "referral_date": "Date Received",
                                             "priority": "Priority"}
    assert "# NOT READ: equipment.csv is a named pipe (FIFO), not a file; not read." in text
    assert "# NOT READ: notes.csv: no row among the first 20 looks like a header (column names)" in text
    assert "REQUIRED: no column found" in text  # authority_code: no column and no metadata.json


def test_map_on_a_folder_with_nothing_to_read(tmp_path, capsys):
    assert main(["map", str(tmp_path)]) == 2
    assert "holds no data file" in capsys.readouterr().err
    assert main(["map", str(tmp_path / "nowhere")]) == 2
