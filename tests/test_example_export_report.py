"""The worked example of a council's own export (data/examples/council_export: its own column
names and codes, a title row, blank rows, a merged Excel header) goes all the way to a published
report, and every command that reads it says how many rows it rejected — the same counts as
``validate`` (23 referral rows read, 21 accepted, 2 rejected: one unmapped closure reason and one
US-style date; counted by hand from referrals.csv)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ot_benchmark import cli

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "council_export"
WARNING_LINE = "referrals: 2 of 23 rows rejected"


@pytest.fixture()
def example(tmp_path):
    folder = tmp_path / "council_export"
    shutil.copytree(EXAMPLE, folder)
    return folder


def test_indicators_warns_about_rejected_rows(example, tmp_path, capsys):
    assert cli.main(["indicators", "--data", str(example), "--out", str(tmp_path / "ind.csv")]) == 0
    err = capsys.readouterr().err
    assert WARNING_LINE in err
    assert "closure_reason" in err and "referral_date" in err  # the reasons, as validate gives them


def test_validate_gives_the_same_counts(example, capsys):
    assert cli.main(["validate", str(example)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.strip().startswith("referrals"))
    assert row.split()[2:5] == ["23", "21", "2"]  # rows_read, rows_accepted, rows_rejected


@pytest.mark.integration
def test_the_example_export_is_published_as_a_report(example, tmp_path, capsys):
    code = cli.main(["report", "--data", str(example), "--authority", "E10000017", "--period", "latest",
                     "--outputs", str(tmp_path / "outputs"), "--cache-dir", str(tmp_path / "cache")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert WARNING_LINE in captured.err
    html = Path(captured.out.strip().splitlines()[-1])
    assert html.is_file() and html.parent.parent.name == "2024-25_Q4"
    assert "Synthetic example export" in html.read_text(encoding="utf-8")


@pytest.mark.integration
def test_the_report_states_its_data_and_what_was_rejected(example, tmp_path, capsys):
    assert cli.main(["report", "--data", str(example), "--authority", "E10000017", "--period", "latest",
                     "--outputs", str(tmp_path / "outputs"), "--cache-dir", str(tmp_path / "cache")]) == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1]).parent
    box = pd.read_csv(folder / "tables" / "data_coverage.csv").set_index("extract")
    # referrals.csv: 23 rows read, 21 used, 2 rejected (a small count: [c] under the one rule)
    assert box.at["referrals", "rows_received"] == 23 and box.at["referrals", "rows_used"] == 21
    assert box.at["referrals", "rows_rejected"] == "[c]"
    assert "closure_reason" in box.at["referrals", "main_reasons_for_rejection"]
    # metadata.json declares the referrals extract runs 1 April 2024 to 31 March 2025
    assert (box.at["referrals", "first_date"], box.at["referrals", "last_date"]) == ("1 April 2024", "31 March 2025")
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "The data behind this report" in html and "fewer than 5 were rejected" in html
    assert html.index("The data behind this report") < html.index('id="key-messages"')
    # the waiting figures rest on the referrals extract, which lost rows: the section says so
    waiting = html[html.index('id="waiting-for-an-ot-assessment"'):html.index('id="caseload-and-workforce"')]
    assert "some of whose rows were rejected" in waiting
