"""A council's export as it comes, read through a mapping (ot_benchmark.io.mapping): columns and
codes mapped by configuration, defaults the export lacks, and every mistake in a mapping
explained. Expected values are worked out by hand from the small files written here."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ot_benchmark.errors import DataContractError
from ot_benchmark.io.mapping import (ExportMapping, MappingError, assign, column_score, folder_mapping, load_mapping,
                                     suggest_columns, tokens)
from ot_benchmark.io.readers import find_table_files, read_raw_table
from ot_benchmark.io.validate import load_data, validate_folder

TODAY = "2025-06-30"
LANCS = "E10000017"

EXPORT = "\n".join([
    "Anyshire County Council - OT case management export,,,,,,",
    "Run on 01/04/2025 by the performance team,,,,,,",
    ",,,,,,",
    "Referral ID,Date Referral Received,Priority Band,Date of First OT Assessment,Case Closed Date,Reason for Closure,"
    "Worker",
    "R1,03/04/2024,Critical,10/04/2024,14/06/2024,Assessment completed,Jo",       # row 5
    "R2,4 Apr 2024,Substantial,,20-May-2024,Deceased,Sam",                        # row 6
    ",,,,,,",                                                                     # row 7: blank spacer
    "R3,05.04.2024,moderate,,,,Jo",                                               # row 8: open
    "R4,06/04/2024,Low,,01/05/2024,Transferred to CHC,Sam",                       # row 9: unmapped reason
    "R5,07/04/2024,P1,,,,Jo",                                                     # row 10: unmapped priority
    "R6,08/04/2024,Low,,02/05/2024,Moved out of area,Jo",                         # row 11
    "R7,09/04/2024,Low,,03/05/2024,  needs MET elsewhere ,Jo",                    # row 12: case and spaces
    "",
]) + "\n"

MAPPING = """
[referrals.columns]
referral_id = "Referral ID"
referral_date = "Date Referral Received"
priority = "Priority Band"
first_assessment_date = "Date of First OT Assessment"
closure_date = "Case Closed Date"
closure_reason = "Reason for Closure"

[referrals.values.closure_reason]
"Assessment completed" = "assessed_and_closed"
"Deceased" = "died"
"Moved out of area" = "moved"
"Needs met elsewhere" = "met_elsewhere"
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def export_folder(folder: Path, mapping: str = MAPPING, settings: str = 'mapping = "mapping.toml"\n') -> Path:
    write(folder, "referrals.csv", EXPORT)
    write(folder, "metadata.json", json.dumps({"home_authority": LANCS}))
    if mapping is not None:
        write(folder, "mapping.toml", mapping)
    if settings is not None:
        write(folder, "settings.toml", settings)
    return folder


def accounted(report) -> None:
    """Every row read is accepted or rejected, per table."""
    s = report.summary
    assert (s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all(), s.to_string()
    for _, t in s.iterrows():
        assert report.rejects.loc[report.rejects["table"] == t["table"], "row"].nunique() == t["rows_rejected"]
        assert len(report.bundle[t["table"]]) == t["rows_accepted"]


def reasons(report_or_bundle, table="referrals") -> list[tuple]:
    r = report_or_bundle.rejects
    r = r[r["table"] == table]
    return [tuple(x) for x in r[["row", "column", "value", "reason"]].itertuples(index=False)]


# --------------------------------------------------------------------------- the whole path
def test_an_export_as_it_comes_reads_through_its_mapping(tmp_path):
    export_folder(tmp_path)
    report = validate_folder(tmp_path, today=TODAY)
    assert report.fatal == []
    s = report.summary.iloc[0]
    # 8 data rows below the header (rows 5-12), one all blank: 7 read = 5 accepted + 2 rejected
    assert (s["rows_read"], s["rows_accepted"], s["rows_rejected"], s["blank_rows_skipped"]) == (7, 5, 2, 2)
    got = reasons(report)
    assert [(r, c, v) for r, c, v, _ in got] == [(9, "closure_reason", "Transferred to CHC"), (10, "priority", "P1")]
    assert got[0][3] == ("not one of the allowed values for closure_reason: assessed_and_closed, withdrawn, died, moved, "
                         "met_elsewhere, other; to read it, add the line  \"Transferred to CHC\" = \"<the value it "
                         "means>\"  under [referrals.values.closure_reason] in mapping.toml")
    assert got[1][3].endswith('add the line  "P1" = "<the value it means>"  under [referrals.values.priority] in '
                              "mapping.toml")
    df = report.bundle["referrals"]
    assert list(df["referral_id"]) == ["R1", "R2", "R3", "R6", "R7"]
    # three UK date styles, all day-first
    assert list(df["referral_date"]) == [pd.Timestamp(d) for d in
                                         ["2024-04-03", "2024-04-04", "2024-04-05", "2024-04-08", "2024-04-09"]]
    assert list(df["priority"]) == ["urgent", "high", "medium", "low", "low"]  # FACS bands read as priorities
    assert df["closure_reason"].tolist()[:2] == ["assessed_and_closed", "died"]
    assert pd.isna(df["closure_reason"].iloc[2])
    assert df["closure_reason"].tolist()[3:] == ["moved", "met_elsewhere"]
    assert set(df["authority_code"]) == {LANCS}  # from metadata.json: case systems export no council code
    assert df["first_assessment_date"].iloc[0] == pd.Timestamp("2024-04-10")
    w = report.warnings
    assert "referrals.csv: no authority_code column; every row is taken as E10000017 (metadata.json home_authority)." in w
    assert "referrals.csv: column(s) 'Worker' are not in the data contract for referrals and were left out." in w
    assert any(x.startswith("referrals.csv: no column for allocated_date, review_start_date;") for x in w)
    accounted(report)


def test_the_mapping_may_be_written_inline_in_settings(tmp_path):
    inline = MAPPING.replace("[referrals.", "[mapping.referrals.")
    export_folder(tmp_path, mapping=None, settings=inline)
    bundle = load_data(tmp_path, today=TODAY)
    assert list(bundle["referrals"]["referral_id"]) == ["R1", "R2", "R3", "R6", "R7"]
    assert folder_mapping(tmp_path).source == "settings.toml [mapping]"
    # the same settings file loads in ot_benchmark.settings (the engine reads it too)
    from ot_benchmark.settings import load_settings

    assert load_settings(tmp_path / "settings.toml")["mapping"]["referrals"]["columns"]["priority"] == "Priority Band"


def test_a_mapping_given_in_python_overrides_the_folders(tmp_path):
    export_folder(tmp_path, settings=None)  # mapping.toml is there but no settings name it
    report = validate_folder(tmp_path, today=TODAY, raise_fatal=False)
    assert len(report.fatal) == 1 and "missing required columns 'referral_id'" not in str(report.fatal[0])
    assert "'referral_date', 'priority'" in str(report.fatal[0])
    assert any(w.startswith("mapping.toml is not used: the folder's settings.toml does not name it") for w in
               report.warnings)
    bundle = load_data(tmp_path, today=TODAY, mapping=tmp_path / "mapping.toml")
    assert len(bundle["referrals"]) == 5
    # {} is "no mapping" even where the folder names one
    write(tmp_path, "settings.toml", 'mapping = "mapping.toml"\n')
    with pytest.raises(DataContractError, match="missing required columns"):
        load_data(tmp_path, today=TODAY, mapping={})


def test_every_reader_of_the_folder_applies_its_mapping(tmp_path):
    # the runner reads raw files with read_raw_table(table, path): the folder's mapping applies there too
    export_folder(tmp_path)
    raw, _ = read_raw_table("referrals", tmp_path / "referrals.csv")
    assert list(raw.data.columns) == ["referral_id", "authority_code", "referral_date", "priority",
                                      "first_assessment_date", "closure_date", "closure_reason"]
    assert raw.data["referral_id"].tolist() == ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]


def test_a_file_named_by_the_mapping(tmp_path):
    write(tmp_path, "OT Referrals 2024-25.csv", EXPORT)
    write(tmp_path, "referrals.csv", "not this one\n")  # a stale file under the contract name
    write(tmp_path, "metadata.json", json.dumps({"home_authority": LANCS}))
    write(tmp_path, "mapping.toml", '[referrals]\nfile = "ot referrals 2024-25.CSV"\n' + MAPPING)
    write(tmp_path, "settings.toml", 'mapping = "mapping.toml"\n')
    files, _, warnings = find_table_files(tmp_path)
    assert files == {"referrals": tmp_path / "OT Referrals 2024-25.csv"}
    assert "referrals.csv: not read — the mapping names 'ot referrals 2024-25.CSV' as the referrals file." in warnings
    assert len(load_data(tmp_path, today=TODAY)["referrals"]) == 5
    write(tmp_path, "mapping.toml", '[referrals]\nfile = "gone.csv"\n' + MAPPING)
    with pytest.raises(DataContractError, match="the mapping names 'gone.csv' as the referrals file, but"):
        load_data(tmp_path, today=TODAY)


def test_value_maps_for_yes_no_whole_numbers_and_blanks(tmp_path):
    write(tmp_path, "referrals.csv", f"referral_id,authority_code,referral_date,priority\nR1,{LANCS},2024-04-03,high\n")
    write(tmp_path, "complaints.csv", "\n".join([
        "Complaint Ref,LA,Procedure,Stage,Date Received,Outcome",
        "C1,Lancashire,Adult Social Care,Stage 1,01/05/2024,Partially upheld",
        "C2,E10000017,Corporate,Stage 2,02/05/2024,Ongoing",        # Ongoing -> blank (outcome may be blank)
        "C3,Lancashire,Adult Social Care,Stage one,03/05/2024,",     # unmapped stage
    ]) + "\n")
    write(tmp_path, "equipment.csv", "\n".join([
        "item_id,authority_code,catalogue_code,item_value_gbp,Stock,ordered_date,referral_id",
        f"I1,{LANCS},BATH-1,£12.50,Recycled,2024-05-01,R1",
        f"I2,{LANCS},BATH-1,£12.50,New,2024-05-01,R1",
        f"I3,{LANCS},BATH-1,£12.50,Y,2024-05-01,R1",
    ]) + "\n")
    write(tmp_path, "settings.toml", """
[mapping.complaints.columns]
complaint_id = "Complaint Ref"
authority_code = "LA"
stream = "Procedure"
received_date = "Date Received"
[mapping.complaints.values.stream]
"adult social care" = "asc_statutory"
[mapping.complaints.values.stage]
"Stage 1" = 1
"STAGE 2" = "2"
[mapping.complaints.values.outcome]
"Partially upheld" = "partly upheld"
"Ongoing" = ""
[mapping.complaints.values.authority_code]
"Lancashire" = "E10000017"
[mapping.equipment.columns]
from_recycled_stock = "Stock"
[mapping.equipment.values.from_recycled_stock]
"Recycled" = true
"New" = "N"
""")
    report = validate_folder(tmp_path, today=TODAY)
    c = report.bundle["complaints"]
    assert list(c["complaint_id"]) == ["C1", "C2"]
    assert list(c["stream"]) == ["asc_statutory", "corporate"]
    assert list(c["stage"]) == [1, 2]
    assert c["outcome"].iloc[0] == "partly_upheld" and pd.isna(c["outcome"].iloc[1])
    assert list(c["authority_code"]) == [LANCS, LANCS]
    assert reasons(report, "complaints") == [(4, "stage", "Stage one", 'not a number; to read it, add the line  '
                                              '"Stage one" = <the number it means>  under [complaints.values.stage] '
                                              "in settings.toml [mapping]")]
    assert list(report.bundle["equipment"]["from_recycled_stock"]) == [True, False, True]
    accounted(report)


def test_one_export_column_for_two_contract_columns_only_when_the_mapping_says_so(tmp_path):
    write(tmp_path, "referrals.csv", f"referral_id,authority_code,referral_date,priority\nR1,{LANCS},2024-04-03,high\n")
    write(tmp_path, "equipment.csv", "item_id,authority_code,catalogue_code,item_value_gbp,from_recycled_stock,"
                                     f"Order Date\nI1,{LANCS},X,1,N,02/05/2024\n")
    m = {"equipment": {"columns": {"ordered_date": "Order Date", "decision_date": "Order Date"}}}
    bundle = load_data(tmp_path, today=TODAY, mapping=m)
    eq = bundle["equipment"].iloc[0]
    assert eq["ordered_date"] == eq["decision_date"] == pd.Timestamp("2024-05-02")
    assert "equipment.csv: column 'Order Date' feeds both ordered_date and decision_date, as the mapping says." in \
        bundle.warnings


# --------------------------------------------------------------------------- mistakes in a mapping
def test_every_mistake_in_a_mapping_is_listed_at_once(tmp_path):
    bad = """
[referals.columns]
referral_id = "Referral ID"

[referrals]
files = "x.csv"

[referrals.columns]
referal_date = "Date Referral Received"
priority = 3
referral_id = ""

[referrals.values.closure_reason]
"Deceased" = "dead"
"deceased " = "died"

[referrals.values.referral_date]
"yesterday" = "2024-01-01"

[equipment.values.from_recycled_stock]
"Recycled" = "perhaps"
"""
    export_folder(tmp_path, mapping=bad)
    with pytest.raises(MappingError) as exc:
        load_data(tmp_path, today=TODAY)
    msg = str(exc.value)
    assert msg.startswith("mapping.toml cannot be used (8 problems):")
    for part in [
        "[referals] is not a table of the data contract (did you mean 'referrals'?)",
        "[referrals] has an unknown key 'files'; use file, columns, values (did you mean 'file'?)",
        "[referrals.columns] 'referal_date' is not a column of the referrals table (did you mean 'referral_date'?)",
        "[referrals.columns] priority = 3: write the export's column name in quotes.",
        "[referrals.columns] referral_id = \"\": the referrals table needs referral_id in every row",
        "[referrals.values.closure_reason] Deceased = 'dead' is not a value of closure_reason",
        "[referrals.values.referral_date]: values can be mapped only for coded columns (authority_code, priority, "
        "closure_reason)",
        "[equipment.values.from_recycled_stock] Recycled = 'perhaps': a yes/no column maps to \"Y\" or \"N\".",
    ]:
        assert part in msg, part
    # "Deceased" = "dead" fails, so "deceased " = "died" is the only one left: no clash reported
    assert "written twice" not in msg
    # the command line: exit 2, the problems printed, no traceback
    from ot_benchmark.cli import main

    assert main(["validate", str(tmp_path), "--today", TODAY]) == 2


def test_a_value_written_twice_with_two_meanings(tmp_path):
    with pytest.raises(MappingError, match="are the same value written twice"):
        load_mapping({"referrals": {"values": {"closure_reason": {"Deceased": "died", " deceased": "moved"}}}})


@pytest.mark.parametrize("settings, match", [
    ('mapping = "nowhere.toml"\n', "names the mapping 'nowhere.toml', but there is no file"),
    ("mapping = 3\n", "'mapping' must be a file name in quotes"),
    ('mapping = "mapping.toml\n', "is not valid TOML"),
])
def test_settings_that_name_no_usable_mapping(tmp_path, settings, match):
    export_folder(tmp_path, settings=settings)
    with pytest.raises(DataContractError, match=match):
        load_data(tmp_path, today=TODAY)


def test_a_mapping_file_that_is_not_toml_or_not_a_file(tmp_path):
    export_folder(tmp_path, mapping="[referrals.columns\nreferral_id = 'x'\n")
    with pytest.raises(MappingError, match="mapping file .*mapping.toml is not valid TOML"):
        load_data(tmp_path, today=TODAY)
    (tmp_path / "mapping.toml").unlink()
    (tmp_path / "mapping.toml").mkdir()
    with pytest.raises(MappingError, match="is not a regular file"):
        load_data(tmp_path, today=TODAY)


def test_a_mapped_column_the_file_lacks_is_fatal_with_a_near_miss(tmp_path):
    export_folder(tmp_path, mapping=MAPPING.replace('"Date Referral Received"', '"Date Referal Recieved"'))
    with pytest.raises(DataContractError) as exc:
        load_data(tmp_path, today=TODAY)
    assert ("mapping.toml names 'Date Referal Recieved' for referral_date, but the file has no such column — did you "
            "mean 'Date Referral Received'?") in str(exc.value)
    assert exc.value.column == "referral_date"


def test_settings_module_checks_the_mapping_too(tmp_path):
    from ot_benchmark.settings import SettingsError, load_settings

    export_folder(tmp_path)
    s = load_settings(tmp_path / "settings.toml")
    assert s["mapping"] == str((tmp_path / "mapping.toml").resolve())
    write(tmp_path, "mapping.toml", '[referrals.columns]\nnot_a_column = "x"\n')
    with pytest.raises(SettingsError, match="(?s)setting 'mapping':.*'not_a_column' is not a column of the referrals"):
        load_settings(tmp_path / "settings.toml")
    write(tmp_path, "settings.toml", 'mapping = "missing.toml"\n')
    with pytest.raises(SettingsError, match="setting 'mapping' names 'missing.toml', but there is no file"):
        load_settings(tmp_path / "settings.toml")


# --------------------------------------------------------------------------- defaults
def test_no_authority_code_and_no_home_authority_says_both_fixes(tmp_path):
    write(tmp_path, "referrals.csv", "referral_id,referral_date,priority\nR1,2024-04-03,high\n")
    with pytest.raises(DataContractError) as exc:
        load_data(tmp_path, today=TODAY)
    assert ("add a column 'authority_code' (ONS GSS code of the council), or give the council's code as "
            "\"home_authority\" in metadata.json") in str(exc.value)
    write(tmp_path, "metadata.json", json.dumps({"home_authority": "e10000017 "}))
    assert list(load_data(tmp_path, today=TODAY)["referrals"]["authority_code"]) == [LANCS]


def test_returns_never_take_the_home_authority(tmp_path):
    write(tmp_path, "referrals.csv", "referral_id,referral_date,priority\nR1,2024-04-03,high\n")
    write(tmp_path, "metadata.json", json.dumps({"home_authority": LANCS}))
    write(tmp_path, "returns.csv", "period,indicator_id,value\n2024-25 Q1,W5,50\n")  # other councils' figures
    with pytest.raises(DataContractError, match="returns.csv .* missing required column 'authority_code'"):
        load_data(tmp_path, today=TODAY)


# --------------------------------------------------------------------------- similarity and suggestions
def test_tokens_and_synonyms():
    assert tokens("Date Referral Received") == ("date", "referral", "received")
    assert tokens("Case Closed Dt") == ("case", "closure", "date")
    assert tokens("LGSCO Decision Date") == ("ombudsman", "decision", "date")
    assert tokens("FirstOTAssessmentDate") == ("first", "ot", "assessment", "date")
    assert tokens("Asessment") == ("assessment",)  # a typo


def test_near_misses_the_old_suggestions_missed():
    # the best contract column for each export name, by name alone
    def best(header, table):
        from ot_benchmark.io.contract import TABLES

        return max(TABLES[table].column_names, key=lambda c: column_score(header, table, c))

    assert best("Date Referral Received", "referrals") == "referral_date"
    assert best("Reason for Closure", "referrals") == "closure_reason"
    assert best("Date of First OT Assessment", "referrals") == "first_assessment_date"
    assert best("Case Closed Date", "referrals") == "closure_date"
    assert best("Priority Band", "referrals") == "priority"
    assert best("Date Referred to LGSCO", "complaints") == "ombudsman_referred_date"
    assert best("FTE in Post", "workforce") == "in_post_wte"


def test_one_export_column_is_never_suggested_for_two_contract_columns():
    # the old near-miss hint offered 'Date' for both decision_date and delivered_date
    got = suggest_columns(["Date", "Decision Date", "Date Delivered"], "equipment",
                          ["decision_date", "delivered_date"])
    assert got["decision_date"][0] == "Decision Date" and got["delivered_date"][0] == "Date Delivered"
    got = suggest_columns(["Date"], "equipment", ["decision_date", "delivered_date"], threshold=0.3)
    assert len(got) == 1  # one column, one proposal at most


def test_assignment_maximises_the_total_not_each_row_greedily():
    import numpy as np

    # greedy best-first would give column 0 to row 0 (0.9) and leave row 1 with 0.1: total 1.0;
    # the assignment gives 0.8 + 0.85 = 1.65
    s = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert sorted(assign(s, 0.5)) == [(0, 1), (1, 0)]


def test_missing_columns_hint_the_mapping_for_an_export_name(tmp_path):
    write(tmp_path, "referrals.csv", "Referral ID,Date Referral Received,Priority Band,Reason for Closure\n"
                                     "R1,03/04/2024,High,\n")
    write(tmp_path, "metadata.json", json.dumps({"home_authority": LANCS}))
    with pytest.raises(DataContractError) as exc:
        load_data(tmp_path, today=TODAY)
    msg = str(exc.value)
    assert ("rename your column 'Date Referral Received' to 'referral_date' (or map it: referral_date = \"Date "
            "Referral Received\" under [referrals.columns] in the mapping)") in msg
    assert "rename your column 'Priority Band' to 'priority'" in msg
    assert "`ot-benchmark map DATA_DIR` drafts a mapping of every column" in msg


def test_an_empty_mapping_is_no_mapping():
    assert not load_mapping({}) and isinstance(load_mapping({}), ExportMapping)
    assert not load_mapping(None)
