"""Reports made cheaper without changing what they say (issue 15).

* figures are SVG with their words as text: the same figure gives the same bytes, no date in it;
* a runner's run writes ``tables.xlsx`` once (:func:`export.write_workbook`) and the workbook is
  the one an interactive session writes table by table: the same sheets, cells and types;
* a report reads its council's slice of the data folder (``load_bundle(authority=...)``): the
  same rows as the whole folder's for that council, the folder's coverage and completeness;
* rows already as the run publishes them are not suppressed a second time (``published_once``).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ot_benchmark.indicators import cache
from ot_benchmark.io.validate import load_data
from ot_benchmark.report import disclosure, export, plots, tables

SAMPLE = str(Path(__file__).resolve().parents[1] / "data" / "sample")


def _figure():
    fig, ax = plots._figure(None, (6, 4))
    ax.plot([1, 2, 3], [3, 1, 2], color=plots.COLOURS["subject"])
    ax.set_title("Waiting times & <people>")
    return fig


def test_figures_are_svg_with_their_words_as_text_and_the_same_bytes_every_time(tmp_path):
    a = export.save_figure(_figure(), "one", tmp_path / "a", alt="A chart", display=False)
    b = export.save_figure(_figure(), "one", tmp_path / "b", alt="A chart", display=False)
    svg = a.read_bytes()
    assert a.name == "one.svg" and svg == b.read_bytes()  # reproducible: no date, fixed ids
    assert svg.startswith(b"<?xml") and b"<dc:date>" not in svg
    assert b"Waiting times &amp; &lt;people&gt;</text>" in svg  # the title is text, escaped
    assert b"#d55e00" in svg.lower()  # the council's orange exactly
    assert b"\n" not in svg  # line breaks and indents dropped
    man = export.read_manifest(tmp_path / "a")
    assert man["figures"] == [{"name": "one", "file": "figures/one.svg", "alt": "A chart"}]
    assert export.figure_uri(svg).startswith("data:image/svg+xml;base64,")


FRAMES = {
    "first": pd.DataFrame({"label": ["=1+1", "plain", "-3.5"], "number": [-3.5, 2.0, 7.25],
                           "count": pd.array([1, None, 3], dtype="Int64")}),
    "second": pd.DataFrame({"council": ["Ashby", "Barton"], "value": ["[c]", 12.5]}),
}
ABOUT = [("Council", "Ashby (E06000001)"), ("Banner", "=cmd|' /C calc'!A0")]
BANNER = "Synthetic demonstration data — not real council performance"


def _cells(book):
    wb = openpyxl.load_workbook(book)
    return {ws.title: [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}, wb


@pytest.mark.parametrize("banner", [None, BANNER])
def test_the_workbook_written_once_is_the_workbook_written_table_by_table(tmp_path, banner):
    # an interactive session: each save_table rewrites tables.xlsx; then the About sheet and layout
    slow, fast = tmp_path / "slow", tmp_path / "fast"
    for name, df in FRAMES.items():
        export.save_table(df, name, slow, suppress=False)
    export.write_about_sheet(slow, ABOUT)
    export.finish_workbook(slow / export.WORKBOOK_NAME, banner)
    # a runner's run: the sheets kept aside, the workbook written once at the end
    fast.mkdir()
    export.defer_workbook(fast)
    for name, df in FRAMES.items():
        export.save_table(df, name, fast, suppress=False)
    assert not (fast / export.WORKBOOK_NAME).exists()  # nothing rewritten table by table
    assert (fast / "tables" / "first.csv").read_bytes() == (slow / "tables" / "first.csv").read_bytes()
    assert export.write_workbook(fast, ABOUT, banner) == fast / export.WORKBOOK_NAME
    assert not any(p.name.startswith(".") for p in fast.iterdir())  # the kept sheets are gone
    (want, wb_slow), (got, wb_fast) = _cells(slow / export.WORKBOOK_NAME), _cells(fast / export.WORKBOOK_NAME)
    assert list(got) == ["About", "first", "second"] == list(want)
    assert got == want  # every cell, and its type: numbers numbers, formula-like text text
    assert got["first"][2 if banner else 1][:2] == [("=1+1", "s"), (-3.5, "n")]
    for title in ("first", "second"):
        assert wb_fast[title].freeze_panes == wb_slow[title].freeze_panes
        assert wb_fast[title].auto_filter.ref == wb_slow[title].auto_filter.ref
    # the next run into another folder writes table by table again unless deferred
    later = tmp_path / "later"
    export.save_table(FRAMES["second"], "second", later, suppress=False)
    assert (later / export.WORKBOOK_NAME).is_file()


def test_a_council_slice_holds_its_rows_and_the_folders_coverage(tmp_path):
    folder = SAMPLE
    whole = load_data(folder)
    code = "E10000017"
    part = cache.load_bundle(folder, tmp_path, authority=code)
    for name, df in whole.tables.items():
        want = df[df["authority_code"] == code].reset_index(drop=True) if "authority_code" in df else df
        pd.testing.assert_frame_equal(part.tables[name], want)
    pd.testing.assert_frame_equal(part.coverage, whole.coverage)  # the folder's, not the council's
    pd.testing.assert_frame_equal(tables.completeness_table(part), tables.completeness_table(whole))
    assert set(tables.completeness_table(part)["council"]) == set(whole.authorities)  # every council
    pd.testing.assert_frame_equal(part.rejected_rows(), whole.rejected_rows())
    # read from its own file the second time: Lancashire, the sample's largest council, has 11% of
    # the folder's rows (14 MB of its 100 MB)
    slices = list(tmp_path.glob("bundle-*/*.pickle"))
    assert len(slices) == len(whole.authorities) == 16
    whole_file = next(tmp_path.glob("bundle-*.pickle"))
    assert max(p.stat().st_size for p in slices) < whole_file.stat().st_size / 5
    again = cache.load_bundle(folder, tmp_path, authority=code)
    assert len(again.tables["referrals"]) == (whole.tables["referrals"]["authority_code"] == code).sum()
    # a council with no rows gets empty tables, not another council's
    nobody = cache.load_bundle(folder, tmp_path, authority="E99999999")
    assert all(len(df) == 0 for name, df in nobody.tables.items() if "authority_code" in df)
    assert cache.clear_cache(tmp_path) >= 2 and not list(tmp_path.glob("bundle-*"))


def test_rows_already_published_are_not_suppressed_again():
    rows = pd.DataFrame({"authority_code": "E1", "period": "2024-25 Q1", "indicator_id": "W5",
                         "breakdown": ["all", "priority:urgent", "priority:low"],
                         "numerator": [40.0, 2.0, 38.0], "denominator": [50.0, 5.0, 45.0], "value": [80.0, 40.0, 84.4]})
    # not published yet: suppressed (2 of 5 urgent; low too, else 40 - 38 gives it away)
    assert disclosure.published_once(rows)["value"].tolist() == [80.0, "[c]", "[c]"]
    # rows the run has published (its one whole-table suppression showed them) stay as they are
    shown = disclosure.mark_published(rows.copy())
    assert disclosure.published_once(shown) is shown


def test_a_batch_suppresses_its_table_once_and_each_report_shows_the_same_cells(tmp_path):
    # suppression decides within one council's table, so the group's rows taken from the whole
    # table suppressed at once are the group's rows suppressed on their own, cell for cell
    from ot_benchmark.runner import render

    table = cache.load_indicators(SAMPLE)
    options = render.RunOptions(outputs_dir=tmp_path)
    for code in ("E10000017", "E10000012"):
        alone = render._check(SAMPLE, code, "latest", options, None).ctx        # a single run
        batch = render._check(SAMPLE, code, "latest", options, table).ctx       # a batch's
        assert "published" in vars(alone) and "published" in vars(batch)  # worked out by the runner
        pd.testing.assert_frame_equal(batch.published, alone.published)
        upto = alone.indicators[alone.indicators["period"] <= alone.period]
        pd.testing.assert_frame_equal(alone.published, disclosure.suppress_indicators(upto, catalogue=alone.catalogue))
        assert disclosure.is_marked(alone.published["value"]).any()  # the sample has small numbers to hide
    assert render._MEMO[0]() is table and len(render._MEMO[1]) == 1  # suppressed once for both


def test_a_figure_keeps_words_placed_beside_its_plot(tmp_path):
    # the capacity chart writes "never at current rates (at best 139 weeks)" beside its bar, outside
    # the axes, where constrained layout does not look: saved at the figure's own size, its end
    # was cut off at the edge; the saved figure holds everything drawn
    import re

    fig, ax = plots._figure(None, (6, 3))
    ax.barh([0], [10])
    ax.annotate("never at current rates (at best 139 weeks)", (10, 0), xytext=(6, 0),
                textcoords="offset points", va="center", annotation_clip=False)
    ax.set_xlim(0, 10)
    svg = export.save_figure(fig, "beside", tmp_path, display=False).read_text()
    width = float(re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', svg).group(1))
    assert width > 6 * 72  # wider than the figure's own 6 inches: the words are inside the picture


def test_a_new_version_of_a_folders_bundle_replaces_the_old_one(tmp_path, monkeypatch):
    """The cache keeps one validated bundle (and its council slices) per data folder: when the
    data or the code changes, the old version is removed; another folder's is kept. (Without
    this the cache grew by a national folder's 5 GB per code version and filled the disk.)"""
    import shutil as sh

    one, two = tmp_path / "one", tmp_path / "two"
    sh.copytree(SAMPLE, one)
    sh.copytree(SAMPLE, two)
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv(cache.CODE_FINGERPRINT_ENV, "version-a")
    cache.load_bundle(one, cache_dir, authority="E10000017")
    cache.load_bundle(two, cache_dir)
    old_one, two_key = cache._bundle_key(one), cache._bundle_key(two)
    names = {p.name for p in cache_dir.iterdir()}
    assert {f"bundle-{old_one}.pickle", f"bundle-{old_one}", f"intake-{old_one}.json",
            f"bundle-{two_key}.pickle", f"intake-{two_key}.json"} <= names
    monkeypatch.setenv(cache.CODE_FINGERPRINT_ENV, "version-b")
    cache.load_bundle(one, cache_dir)
    new_one = cache._bundle_key(one)
    assert new_one != old_one and new_one.split("-")[0] == old_one.split("-")[0]
    kept = {p.name for p in cache_dir.iterdir() if p.name.startswith(("bundle-", "intake-"))}
    assert kept == {f"bundle-{new_one}.pickle", f"intake-{new_one}.json",
                    f"bundle-{two_key}.pickle", f"intake-{two_key}.json"}
    part = cache.load_bundle(one, cache_dir, authority="E10000017")  # slices made again from the new one
    assert len(part.tables["referrals"]) > 0 and (cache_dir / f"bundle-{new_one}").is_dir()
