"""Safe strings: text from a data folder, a settings file or a local catalogue is shown as text in
the report (never markup, never a link), and a published table cell never runs as a formula.

The report's Markdown is rendered here as nbconvert renders it into the HTML report, and its
tables as pandas renders them, and the HTML is searched for anything that would run.
"""

from __future__ import annotations

import csv

import numpy as np
import openpyxl
import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from ot_benchmark.report import export, safe, sections
from ot_benchmark.report.context import RunContext
from ot_benchmark.settings import load_settings
from ot_benchmark.stats.intervals import add_intervals

HOME, OTHER = "E06000001", "E06000002"
QUARTERS = ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4"]
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_DEFINITION = "Calls answered. [click](javascript:alert(1)) <script>alert(2)</script> *bold* `code`"
HOSTILE_CAVEAT = "<iframe src=javascript:alert(3)></iframe> [see](javascript:alert(4))"
HOSTILE_NOTE = "<b onmouseover=alert(5)>restructure</b> [more](javascript:alert(6))"
HOSTILE_COUNCIL = "<svg onload=alert(7)>Ashby"

CATALOGUE_HEAD = ("indicator_id,name,family,unit,multiplier,polarity,method,definition,target,"
                  "target_local_standard,caveat,kind\n")


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@pytest.fixture
def ctx(tmp_path):
    local = tmp_path / "local.csv"
    local.write_text(CATALOGUE_HEAD + ",".join([
        "L1_calls", _csv_cell(HOSTILE_NAME), "local", "%", "100", "higher_is_better", "proportion",
        _csv_cell(HOSTILE_DEFINITION), "", "false", _csv_cell(HOSTILE_CAVEAT), "flow"]) + "\n", encoding="utf-8")
    settings = load_settings({"local_catalogue": str(local), "spc": {"changes": [
        {"authority": HOME, "period": "2024-25 Q2", "note": HOSTILE_NOTE}]}})
    cat = settings.catalogue()
    rows = []
    for code, (num, den) in {HOME: (40, 60), OTHER: (50, 70), "E06000003": (30, 50)}.items():
        for q in QUARTERS:
            rows.append([code, q, "L1_calls", "all", float(num), float(den), num / den * 100, "%"])
    table = pd.DataFrame(rows, columns=["authority_code", "period", "indicator_id", "breakdown", "numerator",
                                        "denominator", "value", "unit"])
    table = add_intervals(table, cat).assign(source="return")
    out = tmp_path / "out"
    out.mkdir()
    return RunContext(
        data_dir=tmp_path, authority=HOME, period="2024-25 Q4", group="test", output_dir=out,
        cache_dir=tmp_path / "cache", suppress=True, settings_path=None, banner=None, metadata={},
        settings=settings, catalogue=cat, indicators=table, neighbours=[OTHER, "E06000003"], scheme="test",
        names=pd.Series({HOME: HOSTILE_COUNCIL, OTHER: "Brent", "E06000003": "Corby"}))


@pytest.fixture
def rendered(monkeypatch):
    """The HTML of everything the sections display: Markdown as nbconvert renders it, tables as
    pandas' Styler renders them."""
    html = []

    def show(obj):
        if hasattr(obj, "to_html"):
            html.append(obj.to_html())
        else:
            html.append(markdown2html_mistune(getattr(obj, "data", obj)))

    monkeypatch.setattr(sections, "display", show)
    monkeypatch.setattr(export, "save_figure", lambda fig, *a, **k: None)
    return html


RUNNABLE = ("<img", "<script", "<iframe", "<svg", "<b ", 'href="javascript', "href='javascript", "onerror=alert(1)>")


def test_hostile_text_from_a_catalogue_settings_and_names_shows_as_text(ctx, rendered):
    sections.title(ctx)
    sections.summary(ctx)
    sections.local_indicators(ctx)
    sections.settings_used(ctx)
    sections.definitions(ctx)
    sections.indicator_title(ctx, "L1_calls")
    sections.missing_values(ctx)
    page = "\n".join(rendered)
    found = [bad for bad in RUNNABLE if bad in page]
    assert found == [], found
    # ... and the text is there, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;svg onload=alert(7)&gt;Ashby" in page
    assert "[click](javascript:alert(1))" in page  # the characters, not a link
    assert "&lt;b onmouseover=alert(5)&gt;restructure&lt;/b&gt;" in page
    assert "*bold*" in page and "<em>" not in page and "<code>" not in page


def test_md_makes_markup_inert_but_keeps_the_characters():
    for text in (HOSTILE_NAME, HOSTILE_DEFINITION, HOSTILE_NOTE, "a\n# heading\n<script>x</script>", "&lt;img&gt;"):
        html = markdown2html_mistune(f"Text: {safe.md(text)}")
        assert not any(bad in html for bad in RUNNABLE), html
        assert "<h1" not in html and "<a " not in html
    assert safe.md("Cost per OT assessment (direct)") == "Cost per OT assessment (direct)"
    assert safe.md(None) == "" and safe.md(float("nan")) == ""
    # an entity typed into the data stays the text it was, not a tag
    assert markdown2html_mistune(safe.md("&lt;img&gt;")).strip() == "<p>&amp;lt;img&amp;gt;</p>"


# --------------------------------------------------------------------------- spreadsheets

FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)",
            "\tx", "\rx"]


def test_formula_cells_are_text_in_the_workbook_and_neutralised_in_the_csv(tmp_path):
    df = pd.DataFrame({"label": FORMULAS + ["-3.5", "+26%", "plain"],
                       "number": [-3.5, 1.0, 2.0, 3.0, 4.0, 5.0, -6.0, 7.0, 8.0]})
    export.save_table(df, "cells", tmp_path, suppress=False)
    with open(tmp_path / "tables" / "cells.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    labels = [r[0] for r in rows]
    assert labels[:6] == ["'" + f for f in FORMULAS]  # shown, never run
    assert labels[6:] == ["-3.5", "+26%", "plain"]  # numbers written as text are not formulas
    assert [float(r[1]) for r in rows] == df["number"].tolist()  # real negative numbers stay numbers
    ws = openpyxl.load_workbook(tmp_path / "tables.xlsx")["cells"]
    cells = [(c.value, c.data_type) for c in ws["A"][1:]]
    # stored as text, unchanged (XML reads a carriage return back as a line feed)
    assert cells[:6] == [(f.replace("\r", "\n"), "s") for f in FORMULAS]
    numbers = [(c.value, c.data_type) for c in ws["B"][1:]]
    assert numbers[0] == (-3.5, "n") and numbers[6] == (-6.0, "n")


def test_the_about_sheet_and_the_synthetic_column_never_hold_a_formula(tmp_path):
    export.save_table(pd.DataFrame({"a": [1.0]}), "t", tmp_path, suppress=False)
    export.write_about_sheet(tmp_path, [("Council", "=cmd|' /C calc'!A0"), ("Banner", "@evil")])
    ws = openpyxl.load_workbook(tmp_path / "tables.xlsx")["About"]
    assert [(c.value, c.data_type) for c in ws["B"]] == [("=cmd|' /C calc'!A0", "s"), ("@evil", "s")]
    export.label_synthetic_tables(tmp_path, "=HYPERLINK(\"x\")")
    first = (tmp_path / "tables" / "t.csv").read_text(encoding="utf-8").splitlines()[1]
    assert first.startswith("'=HYPERLINK") or first.startswith("\"'=HYPERLINK")


@pytest.mark.parametrize("text, formula", [("=1+1", True), ("-1+1", True), ("-3.5", False), ("-1,234.5", False),
                                           ("+26%", False), ("@x", True), ("a=b", False), ("", False),
                                           ("-", False), ("- note", True)])
def test_formula_rule(text, formula):
    assert safe.is_formula_text(text) is formula
    assert not safe.is_formula_text(np.float64(-3.5))
