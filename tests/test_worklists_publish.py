"""The report runner never publishes worklists: its publish step refuses restricted files and the
restricted area, and the reports index never lists ``_restricted``."""

from __future__ import annotations

import json

import pytest

import _worklist_data as w
from ot_benchmark.runner import publish as runner
from ot_benchmark.worklists import RestrictedOutputError, build_worklists, refuse_restricted, write_worklists


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    return build_worklists(w.write_folder(tmp_path_factory.mktemp("worklists_folder")), w.A, w.Q1)


def test_publish_refuses_worklists(lists, tmp_path):
    outputs = tmp_path / "outputs"
    staging = outputs / ".staging" / "abc"
    staging.mkdir(parents=True)
    (staging / "report.html").write_text("<p>fine</p>", encoding="utf-8")
    target = outputs / "2024-25_Q1" / w.A
    # a worklist file copied into a report's staging folder
    write_worklists(lists, tmp_path / "private")
    (staging / "past_target.csv").write_bytes((tmp_path / "private" / "past_target.csv").read_bytes())
    with pytest.raises(RestrictedOutputError, match="past_target.csv is a restricted worklist file"):
        runner.publish(staging, target, outputs / ".staging")
    assert not target.exists() and (staging / "report.html").exists()
    # the workbook too (its marker is in the first row of its sheets)
    (staging / "past_target.csv").unlink()
    (staging / "tables.xlsx").write_bytes((tmp_path / "private" / "worklists.xlsx").read_bytes())
    with pytest.raises(RestrictedOutputError, match="tables.xlsx"):
        runner.publish(staging, target, outputs / ".staging")
    (staging / "tables.xlsx").unlink()
    # nothing is published into, or from, the restricted area
    with pytest.raises(RestrictedOutputError, match="_restricted"):
        runner.publish(staging, outputs / "_restricted" / "2024-25_Q1" / w.A, outputs / ".staging")
    restricted_staging = outputs / "_restricted" / "x"
    restricted_staging.mkdir(parents=True)
    with pytest.raises(RestrictedOutputError):
        refuse_restricted(restricted_staging, target)
    # an ordinary report still publishes
    runner.publish(staging, target, outputs / ".staging")
    assert (target / "report.html").is_file()


def test_the_reports_index_never_lists_the_restricted_area(tmp_path):
    outputs = tmp_path / "outputs"
    for folder in (outputs / "2024-25_Q1" / w.A, outputs / "_restricted" / "2024-25_Q1"):
        folder.mkdir(parents=True)
        (folder / "run.json").write_text(json.dumps({"authority": w.A, "period": w.Q1, "notebook": "quarterly_report",
                                                     "authority_name": "Lancashire", "outputs": {}}), encoding="utf-8")
    page = runner.write_index(outputs).read_text(encoding="utf-8")
    assert "1 published report(s)" in page
    assert "_restricted" not in page
