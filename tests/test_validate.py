"""Validation of a council data folder: every case is a small file written here, and each test
asserts the exact file, row (as a spreadsheet shows it), column and reason of a reject, and the
parsed values of the accepted rows."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.io.bundle import REJECT_COLUMNS
from ot_benchmark.io.contract import TABLES
from ot_benchmark.errors import DataContractError
from ot_benchmark.io.validate import known_authority_codes, load_data, validate_folder

TODAY = "2025-06-30"
LANCS = "E10000017"  # Lancashire, in both reference vintages
REF_HEADER = ("referral_id,authority_code,referral_date,priority,allocated_date,first_assessment_date,"
              "review_start_date,closure_date,closure_reason")


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_bytes(text.encode(encoding))
    return p


def referrals(folder: Path, *rows: str, header: str = REF_HEADER, name: str = "referrals.csv") -> Path:
    return write(folder, name, "\n".join([header, *rows]) + "\n")


def ok_ref(rid="R1", date="2024-04-03"):
    return f"{rid},{LANCS},{date},high,,,,,"


def rejects_of(bundle, table=None) -> list[tuple]:
    r = bundle.rejects if table is None else bundle.rejects[bundle.rejects["table"] == table]
    return [tuple(x) for x in r[["file", "row", "column", "reason"]].itertuples(index=False)]


def one_reject(bundle, table=None) -> dict:
    r = bundle.rejects if table is None else bundle.rejects[bundle.rejects["table"] == table]
    assert len(r) == 1, r.to_string()
    return r.iloc[0].to_dict()


# --------------------------------------------------------------------------- whole contract
def test_contract_example_rows_load_without_rejects(tmp_path):
    """One row per table made of the contract's own example values must pass and be typed."""
    for name, spec in TABLES.items():
        header = ",".join(spec.column_names)
        row = ",".join("" if c.example in ("", None) else str(c.example) for c in spec.columns)
        write(tmp_path, f"{name}.csv", header + "\n" + row + "\n")
    bundle = load_data(tmp_path, today=TODAY)
    assert bundle.rejects.empty, bundle.rejects.to_string()
    assert list(bundle.rejects.columns) == REJECT_COLUMNS
    for name, spec in TABLES.items():
        df = bundle[name]
        assert list(df.columns) == spec.column_names
        assert len(df) == 1
        for c in spec.columns:
            dtype = df[c.name].dtype
            if c.kind == "date":
                assert dtype == "datetime64[ns]", (name, c.name)
            elif c.kind == "number":
                assert dtype == "float64", (name, c.name)
            elif c.kind == "int":
                assert dtype == "Int64", (name, c.name)
            elif c.kind == "bool":  # a column that may be blank keeps its blanks: pandas "boolean"
                assert dtype == ("boolean" if c.nullable else bool), (name, c.name)
            else:
                assert dtype == "str", (name, c.name, dtype)
    ref = bundle["referrals"].iloc[0]
    assert ref["referral_date"] == pd.Timestamp("2024-04-03")
    assert pd.isna(ref["review_start_date"])
    assert bundle["equipment"]["item_value_gbp"].iloc[0] == 45.5
    assert not bundle["equipment"]["from_recycled_stock"].iloc[0]
    assert bundle["finance"]["period"].iloc[0] == "2024-25 Q1"
    assert bundle["returns"]["breakdown"].iloc[0] == "all"
    assert bundle["complaints"]["stage"].iloc[0] == 1


# --------------------------------------------------------------------------- dates
def test_date_formats_of_real_exports(tmp_path):
    referrals(
        tmp_path,
        f"R1,{LANCS},03/04/2024,high,,,,,",            # UK day-first: 3 April
        f"R2,{LANCS},3/4/24,high,,,,,",                # short UK
        f"R3,{LANCS},2024-04-03,high,,,,,",            # ISO
        f"R4,{LANCS},45385,high,,,,,",                 # Excel serial: 45385 = 2024-04-03
        f"R5,{LANCS},2024-04-03 14:25:00,high,,,,,",   # datetime with a time part
        f"R6,{LANCS},03/04/2024 09:15,high,,,,,",      # UK with time
        f"R7,{LANCS},3 Apr 2024,high,,,,,",            # month name
        f"R8,{LANCS},03-Apr-2024,high,,,,,",
        f"R9,{LANCS},03.04.2024,high,,,,,",
        f"R10,{LANCS},2024/04/03,high,,,,,",            # year first: unambiguous
        f"R11,{LANCS},2024-04-03T09:00:00Z,high,,,,,",  # ISO 8601 with zone
    )
    bundle = load_data(tmp_path, today=TODAY)
    assert bundle.rejects.empty, bundle.rejects.to_string()
    assert (bundle["referrals"]["referral_date"] == pd.Timestamp("2024-04-03")).all()
    assert len(bundle["referrals"]) == 11


def test_excel_serial_hand_check(tmp_path):
    # Excel day 1 = 1900-01-01 and Excel counts a non-existent 29 Feb 1900, so serial n is
    # 1899-12-30 + n days for n > 60: 45292 = 2024-01-01 (Excel shows that date for 45292).
    referrals(tmp_path, f"R1,{LANCS},45292,high,,,,,", f"R2,{LANCS},45292.75,high,,,,,")
    df = load_data(tmp_path, today=TODAY)["referrals"]
    assert list(df["referral_date"]) == [pd.Timestamp("2024-01-01")] * 2


@pytest.mark.parametrize(
    "value, reason_start",
    [
        ("04/13/2024", "ambiguous date: month above 12"),
        ("2024-02-30", "not a real calendar date"),
        ("31/02/2024", "not a real calendar date"),
        ("April 2024", "cannot read this as a date (neither ISO nor day-first)"),
        ("yesterday", "cannot read this as a date (neither ISO nor day-first)"),
        ("2026-01-01", "date in the future (after 2025-06-30)"),
        ("01/01/1900", "implausibly early date"),
    ],
)
def test_bad_dates_are_rejected_with_reason(tmp_path, value, reason_start):
    referrals(tmp_path, ok_ref("R1"), f"R2,{LANCS},{value},high,,,,,")
    bundle = load_data(tmp_path, today=TODAY)
    rej = one_reject(bundle)
    assert (rej["table"], rej["file"], rej["row"], rej["column"], rej["value"]) == (
        "referrals", "referrals.csv", 3, "referral_date", value)  # header = row 1, R1 = row 2
    assert rej["reason"].startswith(reason_start), rej["reason"]
    assert list(bundle["referrals"]["referral_id"]) == ["R1"]


def test_date_order_checks(tmp_path):
    referrals(
        tmp_path,
        f"R1,{LANCS},2024-04-10,high,,2024-04-09,,,",                       # assessed before referral
        f"R2,{LANCS},2024-04-10,high,2024-04-01,,,,",                       # allocated before referral
        f"R3,{LANCS},2024-04-10,high,,,,2024-04-02,withdrawn",              # closed before referral
        f"R4,{LANCS},2024-04-10,high,2024-04-10,2024-04-10,,2024-04-10,assessed_and_closed",  # same day: fine
    )
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle) == [
        ("referrals.csv", 2, "first_assessment_date", "first_assessment_date is before referral_date"),
        ("referrals.csv", 3, "allocated_date", "allocated_date is before referral_date"),
        ("referrals.csv", 4, "closure_date", "closure_date is before referral_date"),
    ]
    assert bundle.rejects["value"].iloc[0] == "2024-04-09 (before referral_date 2024-04-10)"
    assert list(bundle["referrals"]["referral_id"]) == ["R4"]


def test_closure_date_and_reason_go_together(tmp_path):
    referrals(
        tmp_path,
        f"R1,{LANCS},2024-04-10,high,,,,2024-05-01,",           # date without reason
        f"R2,{LANCS},2024-04-10,high,,,,,died",                 # reason without date
        f"R3,{LANCS},2024-04-10,high,,,,2024-05-01,Died",       # both (reason in another case)
    )
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle) == [
        ("referrals.csv", 2, "closure_reason", "closure_date is filled in but closure_reason is blank"),
        ("referrals.csv", 3, "closure_date", "closure_reason is filled in but closure_date is blank"),
    ]
    df = bundle["referrals"]
    assert list(df["referral_id"]) == ["R3"] and df["closure_reason"].iloc[0] == "died"


def test_assessment_and_closure_that_disagree_are_accepted_with_a_warning(tmp_path):
    referrals(
        tmp_path,
        f"R1,{LANCS},2024-04-10,high,,,,2024-05-01,assessed_and_closed",  # closed as assessed, no assessment date
        f"R2,{LANCS},2024-04-10,high,,2024-05-09,,2024-05-01,withdrawn",   # assessed after the closure
        f"R3,{LANCS},2024-04-10,high,,2024-04-20,,2024-05-01,assessed_and_closed",  # consistent
    )
    bundle = load_data(tmp_path, today=TODAY)
    assert bundle.rejects.empty and len(bundle["referrals"]) == 3
    assert bundle.warnings == [
        "referrals: 1 row(s) closed as 'assessed_and_closed' have no first_assessment_date; they are counted "
        "as closed without assessment (W8_closed_unassessed), never as assessed.",
        "referrals: 1 row(s) have a first_assessment_date after the closure_date; the assessment is ignored "
        "and the referral counts as closed without assessment.",
    ]


# --------------------------------------------------------------------------- ids, codes, categories
def test_duplicate_ids_name_the_first_row(tmp_path):
    referrals(tmp_path, ok_ref("R1"), ok_ref("R2"), ok_ref("R1"), ok_ref(" R1 "))
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle) == [
        ("referrals.csv", 4, "referral_id", "duplicate of row 2 (same referral_id)"),
        ("referrals.csv", 5, "referral_id", "duplicate of row 2 (same referral_id)"),
    ]
    assert list(bundle["referrals"]["referral_id"]) == ["R1", "R2"]


def test_composite_key_duplicates(tmp_path):
    referrals(tmp_path, ok_ref())
    write(tmp_path, "workforce.csv",
          "authority_code,snapshot_date,role,establishment_wte,in_post_wte,agency_wte\n"
          f"{LANCS},2024-06-30,ot,40,34.6,2\n"
          f"{LANCS},2024-06-30,OTA,10,9,0\n"
          f"{LANCS},30/06/2024,ot,41,35,2\n")
    bundle = load_data(tmp_path, today=TODAY)
    rej = one_reject(bundle)
    assert (rej["file"], rej["row"], rej["column"], rej["reason"]) == (
        "workforce.csv", 4, "authority_code+snapshot_date+role",
        "duplicate of row 2 (same authority_code, snapshot_date, role)")
    assert rej["value"] == f"{LANCS} | 2024-06-30 | ot"


def test_authority_codes_cleaned_and_checked(tmp_path):
    referrals(
        tmp_path,
        "R1,e10000017 ,2024-04-03,high,,,,,",   # lower case, trailing space
        "R2,E 10000017,2024-04-03,high,,,,,",    # space inside
        "R3,E99999999,2024-04-03,high,,,,,",     # well-formed but no such council
        "R4,Lancashire,2024-04-03,high,,,,,",    # a name, not a code
        "R5,E10000023,2024-04-03,high,,,,,",     # North Yorkshire county: 2021-23 vintage only
        "R6,E06000065,2024-04-03,high,,,,,",     # North Yorkshire UA: 2025 vintage only
    )
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle) == [
        ("referrals.csv", 4, "authority_code", "unknown authority code: not a council in the reference data"),
        ("referrals.csv", 5, "authority_code", "not an ONS authority code (a letter and 8 digits, e.g. E10000017)"),
    ]
    assert list(bundle["referrals"]["authority_code"]) == [LANCS, LANCS, "E10000023", "E06000065"]


def test_extra_codes_are_accepted(tmp_path):
    referrals(tmp_path, "R1,E99999999,2024-04-03,high,,,,,")
    assert load_data(tmp_path, today=TODAY, extra_codes=["e99999999"]).rejects.empty


def test_reference_codes_cover_both_vintages():
    codes = known_authority_codes()
    assert {"E10000017", "E10000023", "E06000065", "E09000001"} <= codes
    assert len(codes) >= 153


def test_priority_scheme_and_aliases(tmp_path):
    referrals(
        tmp_path,
        f"R1,{LANCS},2024-04-03, URGENT ,,,,,",
        f"R2,{LANCS},2024-04-03,Critical,,,,,",     # FACS band -> urgent
        f"R3,{LANCS},2024-04-03,substantial,,,,,",  # -> high
        f"R4,{LANCS},2024-04-03,Moderate,,,,,",     # -> medium
        f"R5,{LANCS},2024-04-03,routine,,,,,",      # not in the scheme
        f"R6,{LANCS},2024-04-03,,,,,,",             # blank, required
    )
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle) == [
        ("referrals.csv", 6, "priority", "not one of the allowed values for priority: urgent, high, medium, low; "
         "to read it, add the line  \"routine\" = \"<the value it means>\"  under [referrals.values.priority] in a "
         "mapping (named in the folder's settings.toml: see docs/data_contract.md)"),
        ("referrals.csv", 7, "priority", "blank: priority must be filled in"),
    ]
    assert list(bundle["referrals"]["priority"]) == ["urgent", "urgent", "high", "medium"]


def test_closure_reason_spacing_normalised(tmp_path):
    referrals(tmp_path, f"R1,{LANCS},2024-04-03,high,,,,2024-05-01,Met elsewhere",
              f"R2,{LANCS},2024-04-03,high,,,,2024-05-01,assessed-and-closed")
    df = load_data(tmp_path, today=TODAY)["referrals"]
    assert list(df["closure_reason"]) == ["met_elsewhere", "assessed_and_closed"]


# --------------------------------------------------------------------------- equipment
EQ_HEADER = ("item_id,authority_code,referral_id,catalogue_code,item_value_gbp,from_recycled_stock,ordered_date,"
             "decision_date,delivered_date,collection_requested_date,collected_date,collection_outcome")


def test_equipment_values_and_checks(tmp_path):
    referrals(tmp_path, ok_ref())
    write(tmp_path, "equipment.csv", "\n".join([
        EQ_HEADER,
        f'I1,{LANCS},R1,BATH-001,"£1,234.50",Y,2024-05-02,,2024-05-08,,,',
        f"I2,{LANCS},R1,BATH-001,12,yes,2024-05-02,,2024-05-08,2024-06-01,2024-06-03,Reused",
        f"I3,{LANCS},,BATH-001,0,No,2024-05-02,,,,,",
        f"I4,{LANCS},R1,BATH-001,5,TRUE,2024-05-02,,,,,",
        f"I5,{LANCS},R1,BATH-001,5,0,2024-05-02,,,,,",
        f"I6,{LANCS},R1,BATH-001,-3,N,2024-05-02,,,,,",                               # negative value
        f"I7,{LANCS},R1,BATH-001,5,maybe,2024-05-02,,,,,",                            # not a boolean
        f"I8,{LANCS},R1,BATH-001,5,N,2024-05-02,,2024-05-08,,2024-05-07,reused",      # collected before delivered
        f"I9,{LANCS},R1,BATH-001,5,N,2024-05-02,,2024-05-08,,,scrapped",              # outcome, no collection
        f"I10,{LANCS},R1,BATH-001,five,N,2024-05-02,,,,,",                            # not a number
        f"I11,{LANCS},R1,BATH-001,5,1,2024-05-02,,2024-05-01,,,",                     # delivered before order
    ]) + "\n")
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle, "equipment") == [
        ("equipment.csv", 7, "item_value_gbp", "negative value"),
        ("equipment.csv", 8, "from_recycled_stock", "not a yes/no value: write Y or N (yes/no, true/false, 1/0 also "
         "read); to read it, add the line  \"maybe\" = \"<Y or N>\"  under [equipment.values.from_recycled_stock] in "
         "a mapping (named in the folder's settings.toml: see docs/data_contract.md)"),
        ("equipment.csv", 9, "collected_date", "collected_date is before delivered_date"),
        ("equipment.csv", 10, "collected_date", "collection_outcome is filled in but collected_date is blank"),
        ("equipment.csv", 11, "item_value_gbp", "not a number"),
        ("equipment.csv", 12, "delivered_date", "delivered_date is before ordered_date"),
    ]
    eq = bundle["equipment"]
    assert list(eq["item_id"]) == ["I1", "I2", "I3", "I4", "I5"]
    assert list(eq["item_value_gbp"]) == [1234.5, 12.0, 0.0, 5.0, 5.0]
    assert list(eq["from_recycled_stock"]) == [True, True, False, True, False]
    assert eq["collection_outcome"].iloc[1] == "reused"
    assert pd.isna(eq["referral_id"].iloc[2])


# --------------------------------------------------------------------------- complaints, workforce
def test_complaints_recommendations_and_ints(tmp_path):
    referrals(tmp_path, ok_ref())
    head = ",".join(TABLES["complaints"].column_names)

    def row(cid, stage="1", due="", complied=""):
        # complaint_id, authority_code, stream, stage, received_date, 6 blank optional columns,
        # remedy_gbp, recommendations_due, recommendations_complied
        return ",".join([cid, LANCS, "asc_statutory", stage, "2024-05-10"] + [""] * 6 + ["", due, complied])

    write(tmp_path, "complaints.csv", "\n".join([
        head,
        row("C1", due="3", complied="2"),   # fine
        row("C2", due="2", complied="3"),   # complied more than due
        row("C3", stage="1.5"),             # stage not whole
        row("C4", stage="0"),               # stage below 1
    ]) + "\n")
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle, "complaints") == [
        ("complaints.csv", 3, "recommendations_complied", "recommendations_complied is more than recommendations_due"),
        ("complaints.csv", 4, "stage", "not a whole number"),
        ("complaints.csv", 5, "stage", "below the minimum of 1"),
    ]
    c = bundle["complaints"]
    assert list(c["complaint_id"]) == ["C1"]
    assert c["recommendations_due"].iloc[0] == 3 and c["recommendations_complied"].iloc[0] == 2


def test_complaint_due_date_may_be_in_the_future(tmp_path):
    referrals(tmp_path, ok_ref())
    head = ",".join(TABLES["complaints"].column_names)
    # received 2025-06-20 (before TODAY 2025-06-30), response due 2025-07-18: still open, not an error
    row = ",".join(["C1", LANCS, "corporate", "1", "2025-06-20", "2025-07-18"] + [""] * 8)
    row2 = ",".join(["C2", LANCS, "corporate", "1", "2025-06-20", "2025-07-18", "2025-07-01"] + [""] * 7)
    write(tmp_path, "complaints.csv", "\n".join([head, row, row2]) + "\n")
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle) == [("complaints.csv", 3, "responded_date", "date in the future (after 2025-06-30)")]
    assert bundle["complaints"]["due_date"].tolist() == [pd.Timestamp("2025-07-18")]


def test_workforce_negative_wte_rejected_over_establishment_kept(tmp_path):
    referrals(tmp_path, ok_ref())
    write(tmp_path, "workforce.csv",
          "authority_code,snapshot_date,role,establishment_wte,in_post_wte,agency_wte\n"
          f"{LANCS},2024-06-30,ot,40,42.5,2\n"       # over establishment: accepted (documented)
          f"{LANCS},2024-06-30,ota,10,-1,0\n")      # negative in-post WTE
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle) == [("workforce.csv", 3, "in_post_wte", "negative value")]
    assert bundle["workforce"]["in_post_wte"].tolist() == [42.5]


# --------------------------------------------------------------------------- periods, returns
def test_period_labels(tmp_path):
    referrals(tmp_path, ok_ref())
    write(tmp_path, "finance.csv",
          "authority_code,period,ot_staff_cost_gbp,ot_overhead_gbp,equipment_gross_gbp,equipment_income_gbp\n"
          f"{LANCS},2024/25 Q1,1,1,1,1\n"
          f"{LANCS},Q2 2024-25,1,1,1,1\n"
          f"{LANCS},2024Q3,1,1,1,1\n"          # ambiguous
          f"{LANCS},autumn,1,1,1,1\n")
    bundle = load_data(tmp_path, today=TODAY)
    r = bundle.rejects
    assert list(r["row"]) == [4, 5] and set(r["column"]) == {"period"}
    assert "ambiguous" in r["reason"].iloc[0] and "'2024-25 Q2'" in r["reason"].iloc[0]
    assert "cannot read period 'autumn'" in r["reason"].iloc[1]
    assert list(bundle["finance"]["period"]) == ["2024-25 Q1", "2024-25 Q2"]


def test_returns_breakdown_blank_is_all_and_value_needed(tmp_path):
    referrals(tmp_path, ok_ref())
    write(tmp_path, "returns.csv",
          "authority_code,period,indicator_id,breakdown,numerator,denominator,value\n"
          f"{LANCS},2024-25 Q1,W5,,412,530,77.7\n"
          f"{LANCS},2024-25 Q1,W5,priority:urgent,,,12\n"
          f"{LANCS},2024-25 Q1,W3,,,,\n"                 # nothing to compute from
          f"{LANCS},2024-25 Q1,W5,all,1,2,50\n")         # duplicate of the first (blank = all)
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle) == [
        ("returns.csv", 4, "value", "value is blank and cannot be computed: numerator or denominator blank"),
        ("returns.csv", 5, "authority_code+period+indicator_id+breakdown",
         "duplicate of row 2 (same authority_code, period, indicator_id, breakdown)"),
    ]
    assert list(bundle["returns"]["breakdown"]) == ["all", "priority:urgent"]


# --------------------------------------------------------------------------- contacts
def test_contacts_must_belong_to_an_accepted_referral(tmp_path):
    referrals(tmp_path, ok_ref("R1"), f"R2,{LANCS},2030-01-01,high,,,,,")
    write(tmp_path, "contacts.csv", "referral_id,contact_date\nR1,2024-09-01\nR9,2024-09-01\nR2,2024-09-02\n")
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle, "contacts") == [
        ("contacts.csv", 3, "referral_id", "unknown referral_id: not in the referrals file"),
        ("contacts.csv", 4, "referral_id", "its referral was rejected (see the referrals rejects)"),
    ]
    assert list(bundle["contacts"]["referral_id"]) == ["R1"]


# --------------------------------------------------------------------------- file formats
def test_header_names_case_and_spaces_and_unknown_columns(tmp_path):
    header = ("Referral ID,Authority Code, Referral Date ,PRIORITY,Allocated Date,First Assessment Date,"
              "Review Start Date,Closure Date,Closure Reason,Worker Name")
    referrals(tmp_path, f"R1,{LANCS},2024-04-03,high,,,,,,Jo", header=header)
    bundle = load_data(tmp_path, today=TODAY)
    assert bundle.rejects.empty
    assert "referral_date" in bundle["referrals"] and "Worker Name" not in bundle["referrals"]
    assert any("'Worker Name'" in w and "left out" in w for w in bundle.warnings)


def test_utf8_bom(tmp_path):
    write(tmp_path, "referrals.csv", REF_HEADER + "\n" + ok_ref() + "\n", encoding="utf-8-sig")
    bundle = load_data(tmp_path, today=TODAY)
    assert bundle.rejects.empty and list(bundle["referrals"]["referral_id"]) == ["R1"]


def test_semicolon_and_tab_separated(tmp_path):
    write(tmp_path, "referrals.csv", REF_HEADER.replace(",", ";") + "\n" + ok_ref().replace(",", ";") + "\n")
    write(tmp_path, "contacts.csv", "referral_id\tcontact_date\nR1\t01/09/2024\n")
    bundle = load_data(tmp_path, today=TODAY)
    assert bundle.rejects.empty
    assert bundle["contacts"]["contact_date"].tolist() == [pd.Timestamp("2024-09-01")]


def test_latin1_file_with_pound_sign(tmp_path):
    referrals(tmp_path, ok_ref())
    text = EQ_HEADER + "\n" + f"I1,{LANCS},R1,Rail £ basic,£45.50,N,2024-05-02,,,,,\n"
    write(tmp_path, "equipment.csv", text, encoding="cp1252")  # £ is byte 0xA3, invalid UTF-8
    eq = load_data(tmp_path, today=TODAY)["equipment"]
    assert eq["catalogue_code"].iloc[0] == "Rail £ basic"
    assert eq["item_value_gbp"].iloc[0] == 45.5


def test_title_rows_and_blank_rows_in_csv(tmp_path):
    write(tmp_path, "referrals.csv", "\n".join([
        "Lancashire County Council - OT referrals",
        "Extracted 01/07/2024,,",
        "",
        REF_HEADER,
        ok_ref("R1"),
        ",,,,,,,,",                              # row 6: blank spacer, skipped with a warning
        f"R2,{LANCS},2030-01-01,high,,,,,",      # row 7 in the file
        ",,,,,,,,",                              # row 8: blank, skipped
        "",                                      # row 9: blank line, skipped
    ]) + "\n")
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle) == [("referrals.csv", 7, "referral_date", "date in the future (after 2025-06-30)")]
    assert len(bundle["referrals"]) == 1
    # nothing silently dropped: the skipped blank rows are counted, with their row numbers
    assert "referrals.csv: 3 row(s) with every contract column blank were skipped (row 6, 8, 9)." in bundle.warnings


def test_partly_blank_row_is_rejected_not_dropped(tmp_path):
    referrals(tmp_path, ok_ref("R1"), ",,,high,,,,,")
    bundle = load_data(tmp_path, today=TODAY)
    assert set(bundle.rejects["row"]) == {3}
    assert set(bundle.rejects["reason"]) == {
        "blank: referral_id must be filled in", "blank: authority_code must be filled in",
        "blank: referral_date must be filled in"}


def test_xlsx_with_title_rows_serials_and_datetimes(tmp_path):
    import openpyxl  # a dependency (pyproject): a missing one must fail, not skip
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "OT referrals, Q1 2024-25"
    ws["A2"] = "Produced by the performance team"
    ws.append([])
    ws.append(REF_HEADER.replace("referral_date", "Referral Date").split(","))  # row 4
    ws.append([123, LANCS, dt.datetime(2024, 4, 3), "High"])                      # row 5: a date cell
    ws.append(["R2", "e10000017", 45385, "low"])                                   # row 6: a serial number
    ws.append(["R3", LANCS, "03/04/2024", "medium", None, dt.datetime(2024, 4, 1)])  # row 7: assessed first
    ws.append([])
    ws.append(["R4", LANCS, "2024-04-03", "low", None, None, None, None, "died"])    # row 9
    wb.save(tmp_path / "Referrals.xlsx")
    bundle = load_data(tmp_path, today=TODAY)
    assert rejects_of(bundle) == [
        ("Referrals.xlsx", 7, "first_assessment_date", "first_assessment_date is before referral_date"),
        ("Referrals.xlsx", 9, "closure_date", "closure_reason is filled in but closure_date is blank"),
    ]
    df = bundle["referrals"]
    assert list(df["referral_id"]) == ["123", "R2"]  # a numeric id cell reads as "123", not "123.0"
    assert list(df["referral_date"]) == [pd.Timestamp("2024-04-03")] * 2
    assert list(df["authority_code"]) == [LANCS, LANCS]


def test_parquet_typed_fast_path_and_row_numbers(tmp_path):
    df = pd.DataFrame({
        "referral_id": ["R1", "R2", "R3"],
        "authority_code": [LANCS] * 3,
        "referral_date": pd.to_datetime(["2024-04-03 10:00", "2024-04-04", "2026-01-01"], format="mixed"),
        "priority": ["high", "low", "low"],
        "allocated_date": pd.NaT,
        "first_assessment_date": pd.to_datetime([None, "2024-04-01", None]),
        "review_start_date": pd.NaT,
        "closure_date": pd.NaT,
        "closure_reason": [None, None, None],
    })
    df.to_parquet(tmp_path / "referrals.parquet")
    bundle = load_data(tmp_path, today=TODAY)
    # Parquet rows are numbered as if the column names were row 1: record i is row i + 2.
    assert rejects_of(bundle) == [
        ("referrals.parquet", 3, "first_assessment_date", "first_assessment_date is before referral_date"),
        ("referrals.parquet", 4, "referral_date", "date in the future (after 2025-06-30)"),
    ]
    out = bundle["referrals"]
    assert out["referral_date"].tolist() == [pd.Timestamp("2024-04-03")]  # time of day dropped


def test_file_names_case_insensitive_and_metadata(tmp_path):
    referrals(tmp_path, ok_ref(), name="REFERRALS.CSV")
    write(tmp_path, "Metadata.json", json.dumps({"synthetic": True, "home_authority": LANCS}))
    write(tmp_path, "notes.csv", "a,b\n1,2\n")
    bundle = load_data(tmp_path, today=TODAY)
    assert bundle.metadata == {"synthetic": True, "home_authority": LANCS}
    assert bundle.synthetic and bundle.banner
    assert bundle.files["referrals"].name == "REFERRALS.CSV"
    assert any("notes.csv" in w for w in bundle.warnings)


# --------------------------------------------------------------------------- fatal problems
def test_missing_referrals_is_fatal(tmp_path):
    write(tmp_path, "equipment.csv", EQ_HEADER + "\n")
    with pytest.raises(DataContractError, match="has no referrals file") as exc:
        load_data(tmp_path)
    assert "referrals.csv" in str(exc.value) and "Fix:" in str(exc.value)


def test_misnamed_referrals_file_suggests_rename(tmp_path):
    referrals(tmp_path, ok_ref(), name="Referrals 2024-25.csv")
    with pytest.raises(DataContractError, match="rename 'Referrals 2024-25.csv' to 'referrals.csv'"):
        load_data(tmp_path)


def test_missing_required_column_suggests_rename(tmp_path):
    header = REF_HEADER.replace("referral_date", "Referal Dt").replace("priority,", "")
    referrals(tmp_path, f"R1,{LANCS},2024-04-03,,,,,", header=header)
    with pytest.raises(DataContractError) as exc:
        load_data(tmp_path)
    msg = str(exc.value)
    assert "referrals.csv" in msg and "'referral_date'" in msg and "'priority'" in msg
    assert "rename your column 'Referal Dt' to 'referral_date'" in msg
    assert "add a column 'priority'" in msg
    assert exc.value.column == ["referral_date", "priority"]


def test_two_files_for_one_table_is_fatal(tmp_path):
    referrals(tmp_path, ok_ref())
    referrals(tmp_path, ok_ref(), name="Referrals.xlsx")
    with pytest.raises(DataContractError, match="two files for the referrals table") as exc:
        load_data(tmp_path)
    assert "Referrals.xlsx" in str(exc.value) and "referrals.csv" in str(exc.value)


def test_unreadable_parquet_is_fatal(tmp_path):
    referrals(tmp_path, ok_ref())
    write(tmp_path, "equipment.parquet", "this is not parquet")
    with pytest.raises(DataContractError, match="cannot read equipment.parquet as Parquet"):
        load_data(tmp_path)


def test_no_header_row_is_fatal(tmp_path):
    write(tmp_path, "referrals.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(DataContractError, match="no header row found"):
        load_data(tmp_path)


def test_bad_metadata_is_fatal(tmp_path):
    referrals(tmp_path, ok_ref())
    write(tmp_path, "metadata.json", "{not json")
    with pytest.raises(DataContractError, match="metadata.json"):
        load_data(tmp_path)


def test_missing_folder_is_fatal(tmp_path):
    with pytest.raises(DataContractError, match="does not exist"):
        load_data(tmp_path / "nowhere")


# --------------------------------------------------------------------------- report and CLI
def test_validation_report_summary(tmp_path):
    referrals(tmp_path, ok_ref("R1"), ok_ref("R1"), f"R3,{LANCS},2030-01-01,bogus,,,,,")
    report = validate_folder(tmp_path, today=TODAY)
    s = report.summary.set_index("table").loc["referrals"]
    assert (s["rows_read"], s["rows_accepted"], s["rows_rejected"]) == (3, 1, 2)
    counts = dict(zip(report.by_reason["check"], report.by_reason["count"]))
    assert counts == {"duplicate": 1, "date in the future": 1, "not one of the allowed values for priority": 1}
    text = report.to_text()
    assert "rows_rejected" in text and "duplicate of row 2" in text


def test_cli_validate(tmp_path, capsys):
    from ot_benchmark.cli import main

    data = tmp_path / "data"
    referrals(data, ok_ref("R1"), ok_ref("R1"))
    assert main(["validate", str(data), "--today", TODAY]) == 0
    out = capsys.readouterr().out
    assert "duplicate of row 2" in out and "--rejects" in out
    assert sorted(p.name for p in data.iterdir()) == ["referrals.csv"]  # nothing written unasked

    rej = tmp_path / "out" / "rejects.csv"
    assert main(["validate", str(data), "--today", TODAY, "--rejects", str(rej)]) == 0
    written = pd.read_csv(rej)
    assert list(written.columns) == REJECT_COLUMNS
    assert written[["file", "row", "column"]].values.tolist() == [["referrals.csv", 3, "referral_id"]]

    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "error:" in capsys.readouterr().err


# --------------------------------------------------------------------------- the committed doc
def test_contract_doc_matches_contract():
    from ot_benchmark.io.contract import to_markdown
    from ot_benchmark.io.validate import DOC_BEGIN, DOC_END

    doc = (Path(__file__).resolve().parents[1] / "docs" / "data_contract.md").read_text(encoding="utf-8")
    generated = doc.split(DOC_BEGIN, 1)[1].split(DOC_END, 1)[0].strip()
    assert generated == to_markdown().strip(), (
        "docs/data_contract.md is out of date with ot_benchmark/contract.py; run "
        "python -c \"from ot_benchmark.io.validate import update_contract_doc; update_contract_doc()\"")
    for name in TABLES:  # every table and column is documented
        assert f"### `{name}`" in generated
        for col in TABLES[name].column_names:
            assert f"| `{col}` |" in generated


# --------------------------------------------------------------------------- the committed sample
SAMPLE = Path(os.environ.get("OT_BENCHMARK_SAMPLE_DIR", Path(__file__).resolve().parents[1] / "data" / "sample"))
# data/sample is committed: the sample_dir fixture (tests/conftest.py) fails, never skips, without it
needs_sample = pytest.mark.usefixtures("sample_dir")


def _sample_file(folder: Path, table: str) -> Path:
    hits = [p for p in folder.iterdir() if p.stem.lower() == table and p.suffix.lower() in (".csv", ".parquet", ".xlsx")]
    assert len(hits) == 1, hits
    return hits[0]


def _load_typed(folder: Path, table: str) -> tuple[pd.DataFrame, Path]:
    """A sample table with contract types (from Parquet as stored, from CSV through pandas)."""
    path = _sample_file(folder, table)
    if path.suffix == ".parquet":
        return pd.read_parquet(path), path
    df = pd.read_csv(path)
    for c in TABLES[table].columns:
        if c.kind == "date":
            df[c.name] = pd.to_datetime(df[c.name])
    return df, path


def _save_like(df: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False, date_format="%Y-%m-%d")


def test_sample_has_no_rejects():
    report = validate_folder(SAMPLE)
    assert report.rejects.empty, report.rejects.head(20).to_string()
    assert report.bundle.synthetic
    assert set(report.summary["table"]) >= {"referrals", "equipment"}


def test_planted_faults_in_sample_are_each_reported(tmp_path):
    """Copy the sample, plant one fault of each kind, and find every one (and nothing else)."""
    import shutil

    data = tmp_path / "sample"
    shutil.copytree(SAMPLE, data)
    expected: list[tuple] = []  # (table, file, row, column, reason prefix)

    def row_of(path: Path, i: int) -> int:
        return i + 2  # header is row 1 (CSV) or counted as row 1 (Parquet)

    # ---- referrals: rows with no contacts, closed and assessed, so nothing else depends on them
    ref, ref_path = _load_typed(data, "referrals")
    contacts, con_path = _load_typed(data, "contacts")
    free = ref.index[~ref["referral_id"].isin(contacts["referral_id"]) & ref["closure_date"].notna()
                     & ref["first_assessment_date"].notna() & ref["closure_reason"].notna()]
    assert len(free) >= 7
    pick = list(free[np.linspace(1, len(free) - 1, 6).astype(int)])
    first = int(free[0])
    ref.loc[pick[0], "referral_date"] = pd.Timestamp("2099-01-01")
    expected.append(("referrals", ref_path.name, row_of(ref_path, pick[0]), "referral_date", "date in the future"))
    ref.loc[pick[1], "first_assessment_date"] = ref.loc[pick[1], "referral_date"] - pd.Timedelta(days=3)
    expected.append(("referrals", ref_path.name, row_of(ref_path, pick[1]), "first_assessment_date",
                     "first_assessment_date is before referral_date"))
    ref.loc[pick[2], "referral_id"] = ref.loc[first, "referral_id"]
    expected.append(("referrals", ref_path.name, row_of(ref_path, pick[2]), "referral_id",
                     f"duplicate of row {row_of(ref_path, first)} (same referral_id)"))
    ref.loc[pick[3], "authority_code"] = "E99999999"
    expected.append(("referrals", ref_path.name, row_of(ref_path, pick[3]), "authority_code", "unknown authority code"))
    ref.loc[pick[4], "priority"] = "bogus"
    expected.append(("referrals", ref_path.name, row_of(ref_path, pick[4]), "priority",
                     "not one of the allowed values for priority"))
    ref.loc[pick[5], "closure_reason"] = np.nan
    expected.append(("referrals", ref_path.name, row_of(ref_path, pick[5]), "closure_reason",
                     "closure_date is filled in but closure_reason is blank"))
    _save_like(ref, ref_path)

    # ---- contacts: one for a referral that does not exist
    contacts.loc[5, "referral_id"] = "NOPE-R0000000"
    expected.append(("contacts", con_path.name, row_of(con_path, 5), "referral_id", "unknown referral_id"))
    _save_like(contacts, con_path)

    # ---- equipment: negative value, collected before delivered, outcome without collection
    eq, eq_path = _load_typed(data, "equipment")
    eq = eq.iloc[:50_000].copy()  # nothing refers to items: a slice keeps the test quick
    collected = eq.index[eq["collected_date"].notna() & eq["delivered_date"].notna()]
    a, b, c = int(collected[0]), int(collected[1]), int(collected[2])
    eq.loc[a, "item_value_gbp"] = -5.0
    expected.append(("equipment", eq_path.name, row_of(eq_path, a), "item_value_gbp", "negative value"))
    eq.loc[b, "collected_date"] = eq.loc[b, "delivered_date"] - pd.Timedelta(days=1)
    eq.loc[b, "collection_requested_date"] = pd.NaT
    expected.append(("equipment", eq_path.name, row_of(eq_path, b), "collected_date",
                     "collected_date is before delivered_date"))
    eq.loc[c, "collected_date"] = pd.NaT
    expected.append(("equipment", eq_path.name, row_of(eq_path, c), "collected_date",
                     "collection_outcome is filled in but collected_date is blank"))
    _save_like(eq, eq_path)

    # ---- complaints: more recommendations complied with than due
    comp, comp_path = _load_typed(data, "complaints")
    comp.loc[3, "recommendations_due"] = 1
    comp.loc[3, "recommendations_complied"] = 2
    expected.append(("complaints", comp_path.name, row_of(comp_path, 3), "recommendations_complied",
                     "recommendations_complied is more than recommendations_due"))
    _save_like(comp, comp_path)

    # ---- workforce: negative WTE
    wf, wf_path = _load_typed(data, "workforce")
    wf.loc[2, "in_post_wte"] = -1.0
    expected.append(("workforce", wf_path.name, row_of(wf_path, 2), "in_post_wte", "negative value"))
    _save_like(wf, wf_path)

    # ---- finance: an ambiguous period label
    fin, fin_path = _load_typed(data, "finance")
    fin.loc[4, "period"] = "2023Q2"
    expected.append(("finance", fin_path.name, row_of(fin_path, 4), "period", "period '2023Q2' is ambiguous"))
    _save_like(fin, fin_path)

    # ---- vacancies as a council's CSV: unreadable and US dates, filled before vacant
    vac, vac_path = _load_typed(data, "vacancies")
    vac_path.unlink()
    filled = vac.index[vac["filled_on"].notna()]
    i, j, k = int(filled[0]), int(filled[1]), int(filled[2])
    out = vac.copy()
    for col in ("vacant_from", "filled_on"):
        out[col] = vac[col].dt.strftime("%d/%m/%Y")
    out.loc[i, "vacant_from"] = "31/31/2024"
    out.loc[j, "vacant_from"] = "04/13/2024"
    out.loc[k, "filled_on"] = (vac.loc[k, "vacant_from"] - pd.Timedelta(days=5)).strftime("%d/%m/%Y")
    out.to_csv(data / "vacancies.csv", index=False)
    expected += [
        ("vacancies", "vacancies.csv", i + 2, "vacant_from", "not a real calendar date"),
        ("vacancies", "vacancies.csv", j + 2, "vacant_from", "ambiguous date: month above 12"),
        ("vacancies", "vacancies.csv", k + 2, "filled_on", "filled_on is before vacant_from"),
    ]

    rej = load_data(data).rejects
    got = list(rej[["table", "file", "row", "column", "reason"]].itertuples(index=False, name=None))
    for table, file, row, column, reason in expected:
        hits = [g for g in got if g[:4] == (table, file, row, column) and g[4].startswith(reason)]
        assert hits, f"planted fault not reported: {table} {file} row {row} {column}: {reason}\n{rej.to_string()}"
    assert len(rej) == len(expected), rej.to_string()
