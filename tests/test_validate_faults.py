"""Fault injection: inputs a council's export can really hold, or a file system can really serve,
that must each end in a clear fatal error or a rejected row — never a silent skip, never a
traceback. Every folder here also accounts for every input row: read = accepted + rejected."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.errors import DataContractError
from ot_benchmark.io.contract import TABLES
from ot_benchmark.io.validate import load_data, validate_folder

TODAY = "2025-06-30"
LANCS = "E10000017"
REF_HEADER = ("referral_id,authority_code,referral_date,priority,allocated_date,first_assessment_date,"
              "review_start_date,closure_date,closure_reason")
EQ_HEADER = ("item_id,authority_code,referral_id,catalogue_code,item_value_gbp,from_recycled_stock,ordered_date,"
             "decision_date,delivered_date,collection_requested_date,collected_date,collection_outcome")
WF_HEADER = "authority_code,snapshot_date,role,establishment_wte,in_post_wte,agency_wte"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def ok_referrals(folder: Path) -> Path:
    return write(folder, "referrals.csv", f"{REF_HEADER}\nR1,{LANCS},2024-04-03,high,,,,,\n")


def rejects(report_or_bundle, table: str) -> list[tuple]:
    r = report_or_bundle.rejects
    r = r[r["table"] == table]
    return [tuple(x) for x in r[["row", "column", "reason"]].itertuples(index=False)]


def accounted(report) -> None:
    """Every row read is either accepted or rejected, per table."""
    s = report.summary
    assert (s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all(), s.to_string()
    for _, t in s.iterrows():
        rej_rows = report.rejects.loc[report.rejects["table"] == t["table"], "row"].nunique()
        assert rej_rows == t["rows_rejected"], (t["table"], rej_rows, t["rows_rejected"])
        assert len(report.bundle[t["table"]]) == t["rows_accepted"]


# --------------------------------------------------------------------------- absurd numbers
def test_non_finite_and_implausible_item_values_are_rejected(tmp_path):
    ok_referrals(tmp_path)
    rows = [
        ("I1", "45.50"),            # fine
        ("I2", "inf"),              # infinity, as Python and pandas write it
        ("I3", "-Infinity"),
        ("I4", "1e999"),            # overflows to infinity
        ("I5", "£1e300"),           # finite but absurd
        ("I6", "100000"),           # exactly the plausible maximum: accepted
        ("I7", "£100,000.01"),      # just above it
        ("I8", "NaN"),              # written out, not blank: not a number
    ]
    body = "\n".join(f"{i},{LANCS},R1,BATH-001,\"{v}\",N,2024-05-02,,,,," for i, v in rows)
    write(tmp_path, "equipment.csv", EQ_HEADER + "\n" + body + "\n")
    report = validate_folder(tmp_path, today=TODAY)
    implausible = ("implausible value: above £100,000 for item_value_gbp; check it (a typing error, pence entered "
                   "as pounds, a total row?)")
    infinite = "not a finite number (infinity); write the value itself"
    assert rejects(report, "equipment") == [
        (3, "item_value_gbp", infinite),
        (4, "item_value_gbp", infinite),
        (5, "item_value_gbp", infinite),
        (6, "item_value_gbp", implausible),
        (8, "item_value_gbp", implausible),
        (9, "item_value_gbp", "not a number"),
    ]
    assert list(report.bundle["equipment"]["item_value_gbp"]) == [45.5, 100000.0]
    accounted(report)


def test_typed_parquet_infinity_and_absurd_wte(tmp_path):
    ok_referrals(tmp_path)
    pd.DataFrame({
        "authority_code": [LANCS] * 4,
        "snapshot_date": pd.to_datetime(["2024-06-30", "2024-06-30", "2024-06-30", "2024-09-30"]),
        "role": ["ot", "ota", "other", "ot"],
        "establishment_wte": [40.0, np.inf, 1000.0, 1000.5],   # inf; the maximum; above it
        "in_post_wte": [34.6, 1.0, 2.0, 3.0],
        "agency_wte": [2.0, 0.0, -np.inf, 0.0],                # -inf is not "negative", it is not a number
    }).to_parquet(tmp_path / "workforce.parquet")
    report = validate_folder(tmp_path, today=TODAY)
    assert rejects(report, "workforce") == [
        (3, "establishment_wte", "not a finite number (infinity); write the value itself"),
        (4, "agency_wte", "not a finite number (infinity); write the value itself"),
        (5, "establishment_wte", "implausible value: above 1,000 for establishment_wte; check it (a typing error, "
                                 "pence entered as pounds, a total row?)"),
    ]
    assert list(report.bundle["workforce"]["establishment_wte"]) == [40.0]
    accounted(report)


def test_huge_whole_numbers_do_not_overflow(tmp_path):
    ok_referrals(tmp_path)
    head = ",".join(TABLES["complaints"].column_names)

    def row(cid, stage="1", due="", complied=""):
        return ",".join([cid, LANCS, "corporate", stage, "2024-05-10"] + [""] * 6 + ["", due, complied])

    write(tmp_path, "complaints.csv", "\n".join([
        head,
        row("C1", due="1e300", complied="0"),   # would overflow an Int64
        row("C2", stage="4"),                    # there is no stage 4
        row("C3", stage="3", due="2", complied="2"),
    ]) + "\n")
    report = validate_folder(tmp_path, today=TODAY)
    assert [(r, c) for r, c, _ in rejects(report, "complaints")] == [(2, "recommendations_due"), (3, "stage")]
    assert all(reason.startswith("implausible value: above") for _, _, reason in rejects(report, "complaints"))
    assert list(report.bundle["complaints"]["complaint_id"]) == ["C3"]
    accounted(report)


# --------------------------------------------------------------------------- columns that may be blank
def test_columns_that_may_be_blank_may_be_absent(tmp_path):
    # an export with no allocation, review or closure columns at all
    write(tmp_path, "referrals.csv", f"referral_id,authority_code,referral_date,priority\n"
                                     f"R1,{LANCS},2024-04-03,high\nR2,{LANCS},2024-04-04,low\n")
    report = validate_folder(tmp_path, today=TODAY)
    assert report.rejects.empty
    df = report.bundle["referrals"]
    assert list(df.columns) == TABLES["referrals"].column_names
    assert df["closure_date"].isna().all() and df["closure_reason"].isna().all()
    assert any("no column for allocated_date, first_assessment_date, review_start_date, closure_date, "
               "closure_reason; read as blank in every row" in w for w in report.warnings)
    accounted(report)
