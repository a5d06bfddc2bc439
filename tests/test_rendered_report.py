"""Checks on the HTML the runner produced, as a reader gets it.

Two renders, each done once per test session (tests/conftest.py) and shared by every check:

* ``tiny`` (``tiny_report``): tests/notebooks/tiny_report.ipynb on a hand-made data folder. Its
  indicator table has 3 of 5 urgent referrals in time, so the report must show ``[c]``; it prints a
  warning and to stderr, and has a ``remove``-tagged cell, none of which may reach the HTML.
* ``quarterly_report`` (``sample_report``): the real report on ``data/sample`` (marked
  ``integration`` and ``slow``; the sample is committed, so a missing one fails).
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from ot_benchmark.report import disclosure
from ot_benchmark.runner import case_ids as runner_case_ids
from ot_benchmark.runner.case_ids import collect_case_ids

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module", params=["tiny", pytest.param("quarterly_report",
                                                              marks=[pytest.mark.integration, pytest.mark.slow])])
def rendered(request):
    """The session's render (``tiny_report`` or ``sample_report``); returns the html text, the
    published folder, the run.json dict and the data folder."""
    report = request.getfixturevalue("tiny_report" if request.param == "tiny" else "sample_report")
    folder = report.folder
    return {
        "name": request.param,
        "html": report.html.read_text(encoding="utf-8"),
        "folder": folder,
        "run": json.loads((folder / "run.json").read_text(encoding="utf-8")),
        "data": report.data,
    }


def _visible(html: str) -> str:
    """The HTML without embedded images, styles and scripts (what could carry text)."""
    html = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", html)
    html = re.sub(r"<style\b.*?</style>", "", html, flags=re.S | re.I)
    return re.sub(r"<script\b.*?</script>", "", html, flags=re.S | re.I)


def test_no_code_shown(rendered):
    html = body = _visible(rendered["html"])  # class names also occur in the stylesheet
    assert "jp-InputPrompt" not in body and "jp-OutputPrompt" not in body
    assert "jp-CodeMirrorEditor" not in body and 'class="highlight' not in body
    # source of code cells every notebook has (the guard) must not appear
    assert "context.guard(" not in body and "from ot_benchmark import" not in body
    # markdown cells do render inside jp-InputArea; code cells must have no input area at all
    for cell in re.findall(r'<div class="jp-Cell jp-CodeCell.*?(?=<div class="jp-Cell |</main>)', html, flags=re.S):
        assert "jp-InputArea" not in cell
    # nor the reprs of Python objects a cell returned (a saved figure's path, a context)
    for machinery in ("PosixPath(", " object at 0x", "<Figure size", "RunContext("):
        assert machinery not in body, machinery


def test_no_tracebacks_warnings_or_stderr(rendered):
    body = _visible(rendered["html"])
    assert "Traceback" not in body
    assert "application/vnd.jupyter.stderr" not in body
    assert not re.search(r"\b\w*Warning: ", body)
    assert "TINY-WARNING-MARKER" not in body and "TINY-STDERR-MARKER" not in body
    assert "TINY-REMOVED-MARKER" not in body  # cells tagged remove are dropped


def test_every_figure_present(rendered):
    figures = rendered["run"]["outputs"]["figures"]
    if rendered["name"] == "tiny":
        assert len(figures) == 2
    assert len(figures) >= 1
    n_img = len(re.findall(r"<img\b", rendered["html"]))
    assert n_img >= len(figures)
    for f in figures:
        svg = (rendered["folder"] / f["file"]).read_bytes()
        # an SVG whose words are text (sharp in print, found by a search), with no date in it
        assert svg.startswith(b"<?xml") and b"<svg" in svg and b"<text" in svg and b"<dc:date>" not in svg


def test_synthetic_banner_on_top(rendered):
    meta = json.loads((rendered["data"] / "metadata.json").read_text(encoding="utf-8"))
    assert meta.get("synthetic"), "both renders are of synthetic data, which must carry the banner"
    banner = meta.get("banner") or "Synthetic demonstration data — not real council performance"
    html = rendered["html"]
    pos = html.find(banner)
    assert pos >= 0
    firsts = [i for i in (html.find("<img"), html.find("<table")) if i >= 0]
    assert all(pos < i for i in firsts), "the banner must come before the first figure or table"
    # a CSV opened on its own carries the label too, on every row
    for t in rendered["run"]["outputs"]["tables"]:
        df = pd.read_csv(rendered["folder"] / t["csv"], dtype=str, keep_default_na=False)
        assert df.columns[0] == "data_status", t["csv"]
        assert (df["data_status"] == banner).all(), t["csv"]


def test_suppression_applied(rendered):
    html = rendered["html"]
    tables = rendered["run"]["outputs"]["tables"]
    assert tables, "a report publishes at least one table"
    assert all(t["suppressed"] for t in tables)
    if rendered["name"] == "tiny":
        assert disclosure.SYMBOL in html
    if any(t["suppressed_cells"] for t in tables):
        assert disclosure.SYMBOL in html  # what was suppressed in the files is suppressed on screen
    # no published indicator-shaped table shows a count of 1-4 where the catalogue says it is a count
    roles = disclosure.count_roles()
    for t in tables:
        df = pd.read_csv(rendered["folder"] / t["csv"], dtype=str)
        if not disclosure.is_indicator_table(df):
            continue
        r = roles.reindex(df["indicator_id"])
        for col, role in (("numerator", "numerator_is_count"), ("denominator", "denominator_is_count")):
            x = pd.to_numeric(df[col], errors="coerce")
            small = (x > 0) & (x < 5) & r[role].fillna(True).to_numpy()
            assert not small.any(), f"{t['csv']}: unsuppressed small {col}"


def test_no_case_identifiers(rendered):
    ids = collect_case_ids(rendered["data"])
    values = {v for vals in ids.values() for v in vals if len(v) >= 5 and re.search(r"[A-Za-z]", v)}
    assert values, "the data has case identifiers to look for"
    tokens = set(re.findall(r"[A-Za-z0-9_\-]+", _visible(rendered["html"])))
    assert not (tokens & values)
    for csv in rendered["folder"].glob("tables/*.csv"):
        assert not (set(re.findall(r"[A-Za-z0-9_\-]+", csv.read_text(encoding="utf-8"))) & values), csv.name


def test_self_contained_without_scripts(rendered):
    html = rendered["html"]
    assert "<script" not in html.lower()  # no require.js / MathJax / mermaid from a CDN
    assert not re.search(r'<(?:img|link)\b[^>]*(?:src|href)="https?://', html)  # nothing fetched


def test_no_published_file_holds_a_worklist_id(rendered):
    """The worklists of the rendered council and quarter are restricted: none of their ids (people,
    items, posts, complaints) may appear in any published file of the report, and nothing
    published carries the restricted marker."""
    from ot_benchmark.worklists import build_worklists, is_restricted_file

    run = rendered["run"]
    settings = run["parameters"].get("settings_path") or None
    wl = build_worklists(rendered["data"], run["authority"], run["period"], settings=settings)
    ids = set()
    for df in wl.lists.values():
        for col in ("referral_id", "item_id", "post_id", "complaint_id"):
            if col in df:
                ids.update(df[col].dropna().astype(str))
    if rendered["name"] == "quarterly_report":
        assert len(ids) > 100, "the sample's worklists name people and items to look for"
    else:
        assert ids, "the tiny data's waiting list names people to look for"
    hits, stats = runner_case_ids.find_case_ids(rendered["folder"], {"worklist": ids})
    assert not hits, hits[:5]
    assert stats["files_scanned"]
    assert not [p for p in rendered["folder"].rglob("*") if p.is_file() and is_restricted_file(p)]
