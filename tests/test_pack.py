"""Every run renders the council's full pack: the quarterly report and the pages its settings list
(``[report] pack``, the data-quality page by default), published together and linked from the
report and from outputs/index.html; and the quarterly report itself carries the gap, the costed
capacity answer, the Kaplan-Meier curves, the team table and W9 beside W5."""

from __future__ import annotations

import json
import re

import pytest

from ot_benchmark.settings import SettingsError, load_settings

pytestmark = pytest.mark.integration


def test_the_sample_pack_is_published_together(sample_report):
    folder = sample_report.folder
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert run["outputs"]["pages"] == [{"name": "data_quality", "title": "data quality", "html": "data_quality.html",
                                        "notebook": "data_quality.ipynb"}]
    page = (folder / "data_quality.html").read_text(encoding="utf-8")
    # the page is a published page like the report: the synthetic banner, its CSP, the checks' headings
    assert "Synthetic demonstration data" in page and "Content-Security-Policy" in page
    assert "Rows rejected, by file and reason" in page and "Completeness by council" in page
    report = sample_report.html.read_text(encoding="utf-8")
    assert re.search(r'<a href="data_quality\.html">the data quality page</a>', report)
    index = (sample_report.outputs / "index.html").read_text(encoding="utf-8")
    rel = folder.relative_to(sample_report.outputs).as_posix()
    assert f'<a href="{rel}/data_quality.html">data quality</a>' in index


def test_the_quarterly_report_carries_the_gap_capacity_km_teams_and_w9(sample_report):
    report = sample_report.html.read_text(encoding="utf-8")
    for heading in ('id="the-gap-to-the-best-performers"', 'id="what-it-would-take-to-clear-the-list"',
                    ">Teams<", "How quickly people are assessed, by priority"):
        assert heading in report
    figures = {p.name for p in (sample_report.folder / "figures").iterdir()}
    assert {"km_by_priority.svg", "capacity.svg", "past_target_spc.svg", "past_target_comparator.svg"} <= figures
    tables = {p.name for p in (sample_report.folder / "tables").iterdir()}
    assert {"gap.csv", "cost_gap.csv", "teams.csv", "capacity.csv"} <= tables
    # the capacity answer is costed and allows for variability (its assumptions say how)
    assert "a year" in report and "Kingman" in report
    # the team table names the sample's five teams (synthetic: Central, East, North, South, West)
    teams = (sample_report.folder / "tables" / "teams.csv").read_text(encoding="utf-8")
    for team in ("Central", "East", "North", "South", "West", "Whole council"):
        assert team in teams


def test_pack_setting_is_checked(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('[report]\npack = ["../etc/passwd"]\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="report.pack"):
        load_settings(bad)
    none = tmp_path / "none.toml"
    none.write_text("[report]\npack = []\n", encoding="utf-8")
    assert load_settings(none)["report"]["pack"] == []
