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


# --------------------------------------------------------------------------- files that are not files
def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _broken_link(path: Path) -> None:
    path.symlink_to(path.parent / "gone.csv")


def _link_loop(path: Path) -> None:
    other = path.parent / "loop_b.csv"
    path.symlink_to(other)
    other.symlink_to(path)


def _device_link(path: Path) -> None:
    path.symlink_to("/dev/null")


def _folder(path: Path) -> None:
    path.mkdir()


def _socket(path: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(path))
    except OSError as exc:  # a socket path longer than the system allows (about 100 bytes)
        pytest.skip(f"cannot make a socket at {path}: {exc}")
    finally:
        s.close()


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes, devices and symlinks as on Linux/macOS")
@pytest.mark.parametrize("make, what", [
    (_broken_link, "is a broken link (a link to"),
    (_link_loop, "is a link that leads back to itself (a symbolic link loop)"),
    (_fifo, "is a named pipe (FIFO), not a file"),
    (_device_link, "is a device, not a file (a link to '/dev/null')"),
    (_folder, "is a folder, not a file"),
    (_socket, "is a socket, not a file"),
])
def test_a_table_file_that_is_not_a_regular_file_is_fatal_and_named(tmp_path, make, what):
    data = tmp_path / "d"
    ok_referrals(data)
    make(data / "equipment.csv")
    with pytest.raises(DataContractError) as exc:  # never waits on a pipe, never skips silently
        load_data(data, today=TODAY)
    msg = str(exc.value)
    assert msg.startswith(f"equipment.csv: the equipment table's file {what}"), msg
    assert exc.value.file == str(data / "equipment.csv")
    # the same folder through the command line: the file is named, exit status 2, no traceback
    from ot_benchmark.cli import main

    assert main(["validate", str(data), "--today", TODAY]) == 2


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes as on Linux/macOS")
def test_referrals_as_a_named_pipe_is_not_also_reported_missing(tmp_path):
    os.mkfifo(tmp_path / "referrals.csv")
    report = validate_folder(tmp_path, today=TODAY, raise_fatal=False)
    assert [str(p).split(" Fix:")[0] for p in report.fatal] == [
        "referrals.csv: the referrals table's file is a named pipe (FIFO), not a file."]


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes as on Linux/macOS")
def test_metadata_that_is_not_a_file_is_fatal(tmp_path):
    ok_referrals(tmp_path)
    os.mkfifo(tmp_path / "metadata.json")
    with pytest.raises(DataContractError, match=r"metadata.json is a named pipe \(FIFO\), not a file"):
        load_data(tmp_path, today=TODAY)


def test_a_broken_link_with_another_name_is_ignored_with_a_warning(tmp_path):
    ok_referrals(tmp_path)
    (tmp_path / "notes.csv").symlink_to(tmp_path / "nowhere.csv")
    bundle = load_data(tmp_path, today=TODAY)
    assert any(w.startswith("notes.csv: not a table of the data contract") for w in bundle.warnings)


# --------------------------------------------------------------------------- one pass
def test_every_files_fatal_problems_and_row_problems_in_one_run(tmp_path, capsys):
    data = tmp_path / "d"
    # referrals: a required column missing; equipment: another; workforce: a named pipe;
    # contacts: readable, with a row problem; vacancies: readable and clean
    write(data, "referrals.csv", "referral_id,authority_code,priority\nR1,E10000017,high\n")
    write(data, "equipment.csv", "item_id,authority_code,catalogue_code,item_value_gbp,from_recycled_stock\n"
                                 f"I1,{LANCS},BATH-001,5,N\n")
    os.mkfifo(data / "workforce.csv")
    write(data, "contacts.csv", "referral_id,contact_date\nR1,2024-09-01\nR1,31/31/2024\n")
    write(data, "vacancies.csv", f"authority_code,post_id,role,vacant_from\n{LANCS},P1,ot,2024-01-15\n")

    with pytest.raises(DataContractError) as exc:
        load_data(data, today=TODAY)
    problems = exc.value.problems
    assert [(Path(p.file).name, p.column) for p in problems] == [
        ("workforce.csv", None), ("referrals.csv", "referral_date"), ("equipment.csv", "ordered_date")]
    assert str(exc.value).startswith(f"3 problems in {data} stop the folder from being used:")

    report = validate_folder(data, today=TODAY, raise_fatal=False)
    assert len(report.fatal) == 3 and not report.usable
    assert report.summary[["table", "rows_read", "rows_accepted", "rows_rejected"]].values.tolist() == [
        ["contacts", 2, 1, 1], ["vacancies", 1, 1, 0]]
    assert rejects(report, "contacts") == [(3, "contact_date", "not a real calendar date; write dates as "
                                               "YYYY-MM-DD (2024-04-03) or day-first DD/MM/YYYY (03/04/2024)")]
    accounted(report)

    from ot_benchmark.cli import main

    assert main(["validate", str(data), "--today", TODAY]) == 2
    captured = capsys.readouterr()
    out = captured.out
    for name in ("referrals.csv", "equipment.csv", "workforce.csv", "31/31/2024"):
        assert name in out
    assert "FATAL: 3 problem(s)" in out
    assert "Traceback" not in out + captured.err
    assert "error: the folder cannot be used: 3 fatal problem(s)" in captured.err


def test_a_required_table_with_no_accepted_rows_fails_validate(tmp_path, capsys):
    from ot_benchmark.cli import main

    write(tmp_path, "referrals.csv", f"{REF_HEADER}\nR1,{LANCS},2030-01-01,high,,,,,\nR2,{LANCS},,high,,,,,\n")
    report = validate_folder(tmp_path, today=TODAY)
    assert report.empty_required == ["referrals"] and not report.usable
    accounted(report)
    assert main(["validate", str(tmp_path), "--today", TODAY]) == 2
    captured = capsys.readouterr()
    assert "FATAL: the required referrals table has no accepted rows" in captured.out
    assert "no accepted rows in referrals" in captured.err


def test_blank_rows_are_counted_apart_in_the_summary(tmp_path):
    write(tmp_path, "referrals.csv", "\n".join([
        "Council OT referrals", "", REF_HEADER,
        f"R1,{LANCS},2024-04-03,high,,,,,", ",,,,,,,,", f"R2,{LANCS},2024-04-03,bogus,,,,,", "",
    ]) + "\n")
    report = validate_folder(tmp_path, today=TODAY)
    assert report.summary[["rows_read", "rows_accepted", "rows_rejected", "blank_rows_skipped"]].values.tolist() == [
        [2, 1, 1, 2]]
    accounted(report)


# --------------------------------------------------------------------------- merged header cells in xlsx
def _workbook(path: Path, build) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    build(wb.active)
    wb.save(path)


def test_xlsx_group_header_merged_above_the_real_header(tmp_path):
    def build(ws):
        ws["A1"] = "Referral details"
        ws.merge_cells("A1:D1")
        ws["E1"] = "Progress"
        ws.merge_cells("E1:I1")
        ws.append(REF_HEADER.split(","))                                     # row 2: the real header
        ws.append(["R1", LANCS, "03/04/2024", "high"])                       # row 3
        ws.append(["R2", LANCS, "04/04/2024", "urgent", None, "01/04/2024"])  # row 4: assessed before referral
    _workbook(tmp_path / "referrals.xlsx", build)
    report = validate_folder(tmp_path, today=TODAY)
    assert rejects(report, "referrals") == [(4, "first_assessment_date", "first_assessment_date is before referral_date")]
    assert list(report.bundle["referrals"]["referral_id"]) == ["R1"]
    accounted(report)


def test_xlsx_two_row_header_with_names_merged_down_and_repeated_names(tmp_path):
    # row 1 a title; rows 3-4 the header: "Referral ID" merged down over both rows, "Date" under
    # both the "Referral" and the "Closure" group, "Reason" under "Closure"
    def build(ws):
        ws["A1"] = "OT referrals - SYNTHETIC"
        ws["A3"] = "Referral ID"
        ws.merge_cells("A3:A4")
        ws["B3"] = "Referral"
        ws.merge_cells("B3:C3")
        ws["D3"] = "Closure"
        ws.merge_cells("D3:E3")
        for col, name in zip("BCDE", ["Date", "Priority", "Date", "Reason"]):
            ws[f"{col}4"] = name
        ws.append(["R1", "03/04/2024", "High", "01/05/2024", "died"])   # row 5
        ws.append(["R2", "04/04/2024", "Low", None, None])              # row 6
        ws.append(["R3", "05/04/2024", "Low", "01/05/2024", None])      # row 7: closed, no reason
    _workbook(tmp_path / "referrals.xlsx", build)
    write(tmp_path, "metadata.json", '{"home_authority": "E10000017"}')
    report = validate_folder(tmp_path, today=TODAY)
    assert rejects(report, "referrals") == [(7, "closure_reason", "closure_date is filled in but closure_reason is blank")]
    df = report.bundle["referrals"]
    assert list(df["referral_id"]) == ["R1", "R2"]
    assert list(df["referral_date"]) == [pd.Timestamp("2024-04-03"), pd.Timestamp("2024-04-04")]
    assert df["closure_date"].iloc[0] == pd.Timestamp("2024-05-01") and df["closure_reason"].iloc[0] == "died"
    accounted(report)


def test_xlsx_merged_header_that_cannot_be_read_says_what_to_do(tmp_path):
    def build(ws):
        ws["A1"] = "Referral ID"
        ws.merge_cells("A1:A2")
        ws["B1"] = "Dates"
        ws.merge_cells("B1:C1")
        ws["B2"] = "Received"
        ws["C2"] = "Closed"
        ws["D1"] = "Priority"
        ws.merge_cells("D1:D2")
        ws.append(["R1", "03/04/2024", None, "high"])
    _workbook(tmp_path / "referrals.xlsx", build)
    write(tmp_path, "metadata.json", '{"home_authority": "E10000017"}')
    with pytest.raises(DataContractError) as exc:
        load_data(tmp_path, today=TODAY)
    msg = str(exc.value)
    assert "missing required column 'referral_date'" in msg
    assert ("the header of sheet 'Sheet' has merged cells (row 1 to 2), read as the column names ['Referral ID', "
            "'Dates Received', 'Dates Closed', 'Priority']") in msg
    assert "unmerge the header cells so each column has one name in one row, or map these names" in msg
    # ... and mapping the names as read works
    bundle = load_data(tmp_path, today=TODAY, mapping={"referrals": {"columns": {
        "referral_date": "Dates Received", "closure_date": "Dates Closed"}}})
    assert bundle["referrals"]["referral_date"].tolist() == [pd.Timestamp("2024-04-03")]


# --------------------------------------------------------------------------- files that are not what they say
@pytest.mark.parametrize("content, message, map_reads_it", [
    (bytes(range(256)) * 20, "cannot read referrals.csv as CSV", False),            # binary, renamed .csv
    (b"", "no header row found", False),                                            # empty
    (b"OT referrals\n\n\n", "no header row found", True),                           # titles only: a draft of nothing
])
def test_a_table_file_that_is_not_csv_text_is_fatal_without_a_traceback(tmp_path, content, message, map_reads_it,
                                                                         capsys):
    from ot_benchmark.cli import main

    (tmp_path / "referrals.csv").write_bytes(content)
    with pytest.raises(DataContractError, match=message):
        load_data(tmp_path, today=TODAY)
    assert main(["validate", str(tmp_path)]) == 2
    capsys.readouterr()
    assert main(["map", str(tmp_path), "--out", "-"]) == 0  # a draft, saying what it could not read
    assert ("# NOT READ: referrals.csv: " in capsys.readouterr().out) is not map_reads_it


def test_utf16_text_as_excel_saves_unicode_text(tmp_path):
    text = f"{REF_HEADER.replace(',', chr(9))}\nR1\t{LANCS}\t03/04/2024\thigh\t\t\t\t\t\n"
    (tmp_path / "referrals.csv").write_bytes(text.encode("utf-16"))  # with its byte-order mark
    bundle = load_data(tmp_path, today=TODAY)
    assert bundle["referrals"]["referral_date"].tolist() == [pd.Timestamp("2024-04-03")]


@pytest.mark.parametrize("home", ["Lancs", 17])
def test_a_home_authority_that_is_no_code_is_fatal_where_it_is_needed(tmp_path, home):
    import json

    write(tmp_path, "referrals.csv", "referral_id,referral_date,priority\nR1,2024-04-03,high\n")
    write(tmp_path, "metadata.json", json.dumps({"home_authority": home}))
    with pytest.raises(DataContractError, match=f"metadata.json's home_authority '{str(home).upper()}', which would "
                                                "stand in for it, is not an ONS authority code"):
        load_data(tmp_path, today=TODAY)
    ok_referrals(tmp_path)  # a file with its own authority_code column does not need it
    assert len(load_data(tmp_path, today=TODAY)["referrals"]) == 1
