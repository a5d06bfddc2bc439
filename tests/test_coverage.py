"""What each extract covers (``bundle.coverage``): declared in metadata.json, or taken from the
table's own dates; hand-written files, hand-known first and last dates."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ot_benchmark.errors import DataContractError
from ot_benchmark.io.bundle import COVERAGE_COLUMNS, DataBundle
from ot_benchmark.io.validate import load_data

TODAY = "2025-06-30"
LANCS = "E10000017"
REF_HEADER = ("referral_id,authority_code,referral_date,priority,allocated_date,first_assessment_date,"
              "review_start_date,closure_date,closure_reason")


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def folder(tmp_path: Path, metadata: dict | None = None) -> Path:
    write(tmp_path, "referrals.csv", "\n".join([
        REF_HEADER,
        f"R1,{LANCS},2021-11-30,high,,,,,",                                        # an old case still open
        f"R2,{LANCS},2024-04-03,high,,2024-05-01,,2025-03-31,assessed_and_closed",
        f"R3,{LANCS},2030-01-01,high,,,,,",                                        # rejected: not covered
    ]) + "\n")
    write(tmp_path, "finance.csv", "authority_code,period,ot_staff_cost_gbp,ot_overhead_gbp,equipment_gross_gbp,"
                                   f"equipment_income_gbp\n{LANCS},2023-24 Q3,1,1,1,1\n{LANCS},2024-25 Q1,1,1,1,1\n")
    write(tmp_path, "complaints.csv", "complaint_id,authority_code,stream,stage,received_date,due_date\n"
                                      f"C1,{LANCS},corporate,1,2025-06-20,2025-07-18\n")
    if metadata is not None:
        write(tmp_path, "metadata.json", json.dumps(metadata))
    return tmp_path


def cov(bundle) -> dict:
    c = bundle.coverage
    assert list(c.columns) == COVERAGE_COLUMNS
    return {r["table"]: (str(r["from"].date()) if pd.notna(r["from"]) else None,
                         str(r["to"].date()) if pd.notna(r["to"]) else None, r["from_source"], r["to_source"])
            for _, r in c.iterrows()}


def test_coverage_inferred_from_the_accepted_rows(tmp_path):
    bundle = load_data(folder(tmp_path), today=TODAY)
    assert cov(bundle) == {
        "referrals": ("2021-11-30", "2025-03-31", "inferred", "inferred"),  # any date column; R3 was rejected
        "complaints": ("2025-06-20", "2025-06-20", "inferred", "inferred"),  # a due date ahead says nothing
        "finance": ("2023-10-01", "2024-06-30", "inferred", "inferred"),     # first quarter's start, last's end
    }


def test_coverage_declared_wins_end_by_end(tmp_path):
    md = {"coverage": {"referrals": {"from": "2024-04-01", "to": "2025-03-31"}, "complaints": {"to": "2025-06-30"}}}
    bundle = load_data(folder(tmp_path, md), today=TODAY)
    got = cov(bundle)
    assert got["referrals"] == ("2024-04-01", "2025-03-31", "declared", "declared")
    assert got["complaints"] == ("2025-06-20", "2025-06-30", "inferred", "declared")
    assert not any("coverage" in w for w in bundle.warnings)


def test_dates_past_the_declared_end_are_warned(tmp_path):
    md = {"coverage": {"referrals": {"to": "2025-01-31"}}}
    bundle = load_data(folder(tmp_path, md), today=TODAY)
    assert ("referrals: dates up to 2025-03-31 although metadata.json says the extract covers up to 2025-01-31; "
            "check the \"coverage\" it declares.") in bundle.warnings


@pytest.mark.parametrize("coverage, message", [
    ({"referals": {"from": "2024-04-01"}}, "'referals', which is not a table of the data contract"),
    ({"referrals": {"from": "01/04/2024"}}, "from must be a date written YYYY-MM-DD, not '01/04/2024'"),
    ({"referrals": {"from": "2025-04-01", "to": "2024-03-31"}}, '"from" 2025-04-01 is after "to" 2024-03-31'),
    ({"referrals": {"start": "2024-04-01"}}, 'must be {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}'),
    (["2024-04-01"], '"coverage" must be an object'),
])
def test_bad_declared_coverage_is_fatal(tmp_path, coverage, message):
    with pytest.raises(DataContractError, match="metadata.json") as exc:
        load_data(folder(tmp_path, {"coverage": coverage}), today=TODAY)
    assert message in str(exc.value)


def test_coverage_of_a_bundle_built_in_memory():
    b = DataBundle.from_frames(referrals=pd.DataFrame({
        "referral_id": ["R1", "R2"], "authority_code": [LANCS] * 2, "referral_date": ["2024-04-03", "2024-06-01"],
        "priority": ["high", "low"]}))
    assert cov(b) == {"referrals": ("2024-04-03", "2024-06-01", "inferred", "inferred")}
