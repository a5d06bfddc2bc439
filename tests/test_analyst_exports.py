"""Exports an analyst can use (issue 10): the published CSVs and workbook of a rendered report
read back — numbers are numbers, withheld cells are the GSS symbol ``[c]`` as text, the banner is
the first row of every sheet, the headings are frozen, and a definitions sheet says it in words."""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from ot_benchmark.report import disclosure, exports

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SYMBOLS = {disclosure.SYMBOL, exports.NOT_AVAILABLE, exports.NOT_APPLICABLE}
NUMERIC = ["Value (unit in Unit)", "Numerator (count)", "Denominator (count)", "Lower 95% limit (unit in Unit)",
           "Upper 95% limit (unit in Unit)", "Comparator value (unit in Unit)", "Rank (1 = best)", "Councils ranked (n)",
           "Gap to best quartile (unit in Unit)"]


def _csv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", ["summary", "benchmark"])
def test_published_csv_holds_numbers_and_symbols(sample_report, name):
    rows = _csv(sample_report.folder / "tables" / f"{name}.csv")
    assert rows
    for col in NUMERIC:
        cells = [r[col] for r in rows]
        numbers = [c for c in cells if c not in SYMBOLS]
        assert numbers, col
        for c in numbers:  # a number a spreadsheet reads as one, 12 significant digits at most
            assert not math.isnan(float(c)) and len(c.split("e")[0].replace("-", "").replace(".", "").lstrip("0")) <= 12
    assert any(r["Value (unit in Unit)"] == disclosure.SYMBOL for r in rows) or name == "summary"
    assert all(r["data_status"].startswith("Synthetic") for r in rows)  # the banner travels with the file


def test_benchmark_has_one_row_per_indicator_and_breakdown(sample_report):
    rows = pd.read_csv(sample_report.folder / "tables" / "benchmark.csv", dtype=str, keep_default_na=False)
    assert not rows.duplicated(["Id", "Breakdown"]).any()
    assert {"all"} < set(rows["Breakdown"])
    withheld = rows[rows["Value (unit in Unit)"] == disclosure.SYMBOL]
    assert len(withheld) and (withheld[["Verdict", "Rank (1 = best)", "Gap to best quartile (unit in Unit)"]]
                              == disclosure.SYMBOL).all().all()


def test_workbook_cells_numeric_symbols_text_banner_and_frozen_headings(sample_report):
    wb = load_workbook(sample_report.folder / "tables.xlsx")
    banner = "Synthetic demonstration data"
    assert {"About", "summary", "benchmark", "definitions", exports.NOTES_SHEET} <= set(wb.sheetnames)
    for ws in wb.worksheets:
        assert any(isinstance(c.value, str) and c.value.startswith(banner) for c in ws[1]), ws.title
        if ws.title == "About":
            continue
        assert ws.freeze_panes == "A3", ws.title  # banner row, heading row, then the table
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A2"), ws.title
        assert all(ws.column_dimensions[c.column_letter].width for c in ws[2])
        assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    for name in ("summary", "benchmark"):
        ws = wb[name]
        heads = [c.value for c in ws[2]]
        for col in NUMERIC:
            j = heads.index(col)
            cells = [row[j] for row in ws.iter_rows(min_row=3)]
            assert any(c.data_type == "n" and isinstance(c.value, (int, float)) for c in cells), (name, col)
            for c in cells:
                assert (c.data_type == "n") or (c.data_type == "s" and c.value in SYMBOLS), (name, col, c.value)
    bench = wb["benchmark"]
    heads = [c.value for c in bench[2]]
    vals = [row[heads.index("Value (unit in Unit)")] for row in bench.iter_rows(min_row=3)]
    assert any(c.value == disclosure.SYMBOL and c.data_type == "s" for c in vals)
    words = {row[0].value: row[1].value for row in wb[exports.NOTES_SHEET].iter_rows(min_row=3)}
    assert "[c]" in words and "Value (unit in Unit)" in words and "W1" in words


def test_formatted_copy_only_beside_value_and_group_figure(sample_report):
    rows = pd.read_csv(sample_report.folder / "tables" / "summary.csv", dtype=str, keep_default_na=False)
    w2 = rows[rows["Id"] == "W2_median"].iloc[0]
    assert w2["Value, formatted"].endswith("days") and float(w2["Value (unit in Unit)"]) >= 0
    assert [c for c in rows.columns if "formatted" in c] == ["Value, formatted", "Comparator value, formatted"]


def test_benchmark_export_marks_not_applicable_and_not_available():
    bench = pd.DataFrame([
        {"indicator_id": "W1", "breakdown": "all", "indicator_name": "Waiting", "unit": "people", "method": "count",
         "polarity": "context", "value": 10.0, "numerator": 10.0, "denominator": float("nan"), "lower_95": 5.0,
         "upper_95": 15.0, "comparator_value": 12.0, "n_in_group": 16, "rank": 3, "verdict": "not_compared"},
        {"indicator_id": "W5", "breakdown": "all", "indicator_name": "Seen", "unit": "%", "method": "proportion",
         "polarity": "higher_is_better", "value": float("nan"), "numerator": float("nan"), "denominator": 0.0,
         "lower_95": float("nan"), "upper_95": float("nan"), "comparator_value": 4.0 - 1e-15, "n_in_group": 16,
         "rank": float("nan"), "verdict": None},
    ])
    out = exports.benchmark_export(bench)
    w1, w5 = out.iloc[0], out.iloc[1]
    assert w1["Denominator (count)"] == exports.NOT_APPLICABLE and w1["Rank (1 = best)"] == exports.NOT_APPLICABLE
    assert w5["Value (unit in Unit)"] == exports.NOT_AVAILABLE and w5["Denominator (count)"] == 0.0
    assert isinstance(w5["Comparator value (unit in Unit)"], float)
