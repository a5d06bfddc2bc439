"""The complaints pack's report (ot_benchmark.report.complaints): the annual figures summed from
the quarters, the year-on-year wording councils use, small numbers in sentences and in the
themes-by-team table, the scrutiny view's stage 2 SPC chart, and the annual report rendered by the
runner (on a synthetic folder with the pack's columns, and on data/sample without them).

Hand case for the annual figures (council E06000001, 2024-25, quarters Q1..Q4):

  K1 received       Q1 30, Q2 20, Q3 25, Q4 25  -> 100 (the year before: 105 -> "broadly the same")
  K2 upheld         Q1 1/4, Q2 9/12, Q3 0/0, Q4 10/24 -> 20/40 = 50.0%  (the mean of the quarters'
                    percentages would be 38.9%)
  K9_overdue        Q1 3, Q2 0, Q3 2, Q4 1 -> 1 at the year's end (a snapshot, not 6)
  K1's denominator  the cases active during the year: r1 (open all year), r2 (closed 1 April 2024),
                    r3 (referred 31 March 2025) = 3; r4 (closed 31 March 2024) and r5 (referred
                    1 April 2025) are not -> 100 / 3
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.errors import ParameterError
from ot_benchmark.io import synth
from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.report import complaints as rc
from ot_benchmark.report import disclosure, export
from ot_benchmark.report.context import RunContext
from ot_benchmark.runner.render import RunOptions, render_report
from ot_benchmark.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
HOME = "E06000001"
NAMES = pd.Series({HOME: "Ashby"})
Y25 = ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4"]
Y24 = ["2023-24 Q1", "2023-24 Q2", "2023-24 Q3", "2023-24 Q4"]
COLS = ["authority_code", "period", "indicator_id", "breakdown", "numerator", "denominator", "value", "unit"]


def _rows(iid, per_quarter, breakdown="all"):
    cat = load_catalogue().set_index("indicator_id")
    out = []
    for q, (n, d) in per_quarter.items():
        method, mult = cat.loc[iid, "method"], float(cat.loc[iid, "multiplier"])
        value = n if method == "count" else (n / d * mult if d else np.nan)
        out.append([HOME, q, iid, breakdown, float(n), float(d) if d is not None else np.nan, value, cat.loc[iid, "unit"]])
    return out


def _table(rows):
    return pd.DataFrame(rows, columns=COLS)


def _ctx(tmp_path, table, *, bundle=None, settings=None, suppress=True, period="2024-25 Q4") -> RunContext:
    settings = settings if settings is not None else load_settings()
    out = tmp_path / "out"
    out.mkdir(parents=True, exist_ok=True)
    ctx = RunContext(
        data_dir=tmp_path, authority=HOME, period=period, group="none", output_dir=out, cache_dir=tmp_path / "cache",
        suppress=suppress, settings_path=None, banner=None, metadata={}, settings=settings,
        catalogue=settings.catalogue(), indicators=table, neighbours=[], scheme="none", names=NAMES)
    ctx.__dict__["bundle"] = bundle if bundle is not None else DataBundle.from_frames(referrals=REFERRALS)
    return ctx


REFERRALS = pd.DataFrame({
    "referral_id": ["r1", "r2", "r3", "r4", "r5"],
    "referral_date": ["2023-01-01", "2023-06-01", "2025-03-31", "2023-06-01", "2025-04-01"],
    "closure_date": [None, "2024-04-01", None, "2024-03-31", None],
}).assign(authority_code=HOME, priority="high")


def _hand_table():
    k1 = {q: (n, None) for q, n in zip(Y25, (30, 20, 25, 25))} | {q: (n, None) for q, n in zip(Y24, (25, 30, 25, 25))}
    rows = _rows("K1", k1)
    rows += _rows("K2", {"2024-25 Q1": (1, 4), "2024-25 Q2": (9, 12), "2024-25 Q3": (0, 0), "2024-25 Q4": (10, 24)})
    rows += _rows("K9_overdue", {q: (n, None) for q, n in zip(Y25, (3, 0, 2, 1))})
    t = _table(rows)
    t.loc[t.indicator_id == "K1", "denominator"] = 1000.0  # each quarter's own active cases (not summed)
    return t


def _text(path) -> str:
    """A report's words: tags dropped, entities read, spaces collapsed."""
    raw = Path(path).read_text(encoding="utf-8")
    raw = re.sub(r"<(style|script)\b.*?</\1>", " ", raw, flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


@pytest.fixture
def shown(monkeypatch):
    texts = []
    monkeypatch.setattr(rc, "display", lambda obj: texts.append(getattr(obj, "data", obj)))
    return texts


# --------------------------------------------------------------------------------------------
# the year and the annual figures


def test_parse_and_resolve_the_year(tmp_path):
    assert rc.parse_year("2024-25").label == "2024-25" and rc.parse_year("2024/2025").first == 2024
    for bad in ("2024", "2024-26", "24-25", "latest"):
        with pytest.raises(ParameterError):
            rc.parse_year(bad)
    ctx = _ctx(tmp_path, _hand_table())
    assert rc.resolve_year(ctx, "latest").label == "2024-25"
    assert rc.resolve_year(ctx, "2023-24").quarters == Y24
    with pytest.raises(ParameterError, match="no complaints figures for 2021-22; it has 2023-24, 2024-25"):
        rc.resolve_year(ctx, "2021-22")
    # run for 2024-25 Q3: 2024-25 is not complete, so "latest" is 2023-24
    assert rc.resolve_year(_ctx(tmp_path, _hand_table(), period="2024-25 Q3"), "latest").label == "2023-24"
    # nothing complete: the run quarter's year so far
    part = _hand_table()
    part = part[part.period.isin(["2024-25 Q1", "2024-25 Q2"])]
    assert rc.resolve_year(_ctx(tmp_path, part, period="2024-25 Q2"), "latest").label == "2024-25"


def test_annual_figures_are_sums_of_the_quarters(tmp_path):
    ctx = _ctx(tmp_path, _hand_table())
    t = rc.annual_table(ctx, rc.Year(2024)).set_index(["indicator_id", "breakdown"])
    assert t.loc[("K1", "all"), "numerator"] == 100
    assert t.loc[("K1", "all"), "denominator"] == 3  # distinct cases active in the year, not 4 x 1,000
    assert t.loc[("K1", "all"), "value"] == pytest.approx(100 / 3 * 1000)
    assert (t.loc[("K2", "all"), "numerator"], t.loc[("K2", "all"), "denominator"]) == (20, 40)
    assert t.loc[("K2", "all"), "value"] == pytest.approx(50.0)  # not the mean of the quarters' percentages
    assert t.loc[("K9_overdue", "all"), "value"] == 1  # the year's last quarter-end
    assert t.loc[("K2", "all"), "quarters"] == 4
    assert (t["period"] == "2024-25").all()


def test_year_on_year_wording():
    yy = dict(year="2019-20", previous_year="2018-19")
    assert rc.year_on_year(536, 538, **yy) == "536 in 2019-20, broadly the same as 538 in 2018-19"
    assert rc.year_on_year(252, 289, **yy) == "down 13% from 289 in 2018-19 to 252 in 2019-20"
    assert rc.year_on_year(108, 100, **yy) == "up 8% from 100 in 2018-19 to 108 in 2019-20"
    assert rc.year_on_year(105, 100, **yy) == "up 5% from 100 in 2018-19 to 105 in 2019-20"  # 5% is a change
    assert rc.year_on_year(1049, 1000, **yy) == "1,049 in 2019-20, broadly the same as 1,000 in 2018-19"
    assert rc.year_on_year(7, 0, **yy) == "7 in 2019-20, none in 2018-19"
    assert rc.year_on_year(12, np.nan, **yy) == "12 in 2019-20 (there are no figures for 2018-19 to compare with)"
    c = disclosure.SYMBOL
    assert rc.year_on_year(3, 20, current_shown=c, **yy) == "fewer than 5 in 2019-20, down from 20 in 2018-19"
    assert rc.year_on_year(20, 3, previous_shown=c, **yy) == "20 in 2019-20, up from fewer than 5 in 2018-19"
    assert rc.year_on_year(2, 4, current_shown=c, previous_shown=c, **yy) == "fewer than 5 in 2019-20, as in 2018-19"
    # a count withheld only so that a small one cannot be worked out is never called small
    assert "a number not shown" in rc.year_on_year(12, 20, current_shown=c, **yy)


def test_annual_summary_reads_as_councils_write(tmp_path, shown):
    ctx = _ctx(tmp_path, _hand_table())
    rc.annual_summary(ctx, "2024-25")
    text = shown[0]
    assert "New complaints received, all procedures: 100 in 2024-25, broadly the same as 105 in 2023-24." in text
    assert "of the 3 cases the service worked with during the year" in text  # distinct cases active in the year
    assert "A higher complaint rate can mean an accessible complaints process" in text
    assert export.read_manifest(ctx.output_dir)["figures"][0]["name"] == "complaints_by_quarter"


# --------------------------------------------------------------------------------------------
# a council's year from a synthetic log with the pack's columns


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Lancashire and Kent at full size, two years, with the pack's columns, and a known change."""
    base = tmp_path_factory.mktemp("complaints_pack")
    data = base / "data"
    synth.write_folder(data, home="E10000017", authorities=["E10000017", "E10000016"], first_year=2023,
                       last_year=2024, seed=2025, scale=1.0)
    (data / "settings.toml").write_text(
        '[spc]\nchanges = [{ authority = "E10000017", period = "2024-25 Q1", '
        'note = "nine complaints investigators recruited", indicators = ["K3"] }]\n', encoding="utf-8")
    return base


def test_the_annual_report_renders_on_a_log_with_the_pack(generated):
    old = os.environ.get("OT_BENCHMARK_CACHE")
    os.environ["OT_BENCHMARK_CACHE"] = str(generated / "cache")
    try:
        res = render_report(generated / "data", "E10000017", "2024-25 Q4",
                            RunOptions(notebook="complaints_annual_report", outputs_dir=generated / "outputs",
                                       cache_dir=generated / "cache", extra_params={"year": "2024-25"}))
    finally:
        if old is None:
            os.environ.pop("OT_BENCHMARK_CACHE", None)
        else:
            os.environ["OT_BENCHMARK_CACHE"] = old
    assert res.ok, res.error
    folder = Path(res.published_dir)
    assert folder.name == "E10000017_complaints_annual_report"
    html = _text(res.html)
    for words in ("Complaints about occupational therapy: annual report 2024-25",
                  "Adult social care complaints", "Children's social care complaints",
                  "New complaints received, all procedures:", "in 2023-24", "cases the service worked with during the year",
                  "Complaints the Ombudsman took", "Satisfactory remedy provided by the council",
                  "Remedies agreed with the Ombudsman", "The most common theme of new complaints in 2024-25 was",
                  "a higher complaint rate can mean an accessible complaints process".capitalize(),
                  "nine complaints investigators recruited", disclosure.SYMBOL):
        assert words in html, words
    tables = {t["name"] for t in json.loads((folder / "run.json").read_text())["outputs"]["tables"]}
    assert {"themes_by_team", "annual_figures"} <= tables
    themes = pd.read_csv(folder / "tables" / "themes_by_team.csv", dtype=str)
    assert list(themes.columns[-1:]) == ["All teams"] and themes["theme"].iloc[-1] == "All themes"
    assert "Theme" in html and "North" in html


def test_two_way_table_leaves_no_lone_withheld_cell():
    grid = pd.DataFrame({"North": [30, 3, 0, 12], "South": [10, 8, 2, 6], "West": [7, 6, 1, 20]},
                        index=["delay", "communication", "charging", "other"]).astype(float)
    grid["All teams"] = grid.sum(axis=1)
    grid.loc["All themes"] = grid.sum(axis=0)
    shown = rc._two_way(grid, True)
    marked = shown.apply(lambda col: disclosure.is_marked(col))
    assert marked.loc["communication", "North"] and marked.loc["charging", "South"] and marked.loc["charging", "West"]
    for r in shown.index:  # no row, no column, with exactly one withheld cell
        assert marked.loc[r].sum() != 1, r
    for c in shown.columns:
        assert marked[c].sum() != 1, c
    assert shown.loc["All themes", "All teams"] == grid.loc["All themes", "All teams"]
    assert rc._two_way(grid, False).equals(grid)


# --------------------------------------------------------------------------------------------
# the scrutiny view


def _k3_stage2(quarters, numbers):
    return _rows("K3", dict(zip(quarters, numbers)), breakdown="stage:2")


SIX = ["2023-24 Q3", "2023-24 Q4", "2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4"]


def test_scrutiny_view_charts_stage_2_with_the_known_change(tmp_path, shown):
    rows = _k3_stage2(SIX, [(10, 40), (12, 40), (30, 40), (32, 40), (31, 40), (33, 40)])
    rows += _rows("K9", {"2024-25 Q4": (6, 8)}) + _rows("K9_overdue", {"2024-25 Q4": (2, None)})
    rows += _rows("K5", {"2024-25 Q4": (9, 10)})
    settings = load_settings({"spc": {"changes": [{"authority": HOME, "period": "2024-25 Q1",
                                                    "note": "nine complaints investigators recruited",
                                                    "indicators": ["K3"]}]}})
    ctx = _ctx(tmp_path, _table(rows), settings=settings)
    rc.scrutiny_view(ctx)
    figures = {f["name"]: f["alt"] for f in export.read_manifest(ctx.output_dir)["figures"]}
    assert "complaints_stage2_spc" in figures and "known changes" in figures["complaints_stage2_spc"]
    text = "\n".join(map(str, shown))
    assert "re-based at 2024-25 Q1" in text and "nine complaints investigators recruited" in text
    assert "At the end of 2024-25 Q4, fewer than 5 remedies agreed with the Ombudsman were overdue." in text
    table = pd.read_csv(ctx.output_dir / "tables" / "complaints_scrutiny.csv", dtype=str).set_index("quarter")
    assert table.loc["2024-25 Q4", "remedies_due"] == "8.0" or table.loc["2024-25 Q4", "remedies_due"] == "8"
    assert table.loc["2024-25 Q4", "overdue_at_quarter_end"] == disclosure.SYMBOL
    assert table.loc["2024-25 Q4", "stage_2_answered"] in ("40.0", "40")


def test_scrutiny_view_withholds_a_chart_on_small_numbers(tmp_path, shown):
    rows = _k3_stage2(SIX, [(1, 3), (2, 4), (3, 8), (5, 9), (6, 9), (6, 10)])
    ctx = _ctx(tmp_path, _table(rows))
    rc.scrutiny_view(ctx)
    assert not export.read_manifest(ctx.output_dir)["figures"]
    assert any("some quarters rest on fewer than 5 stage 2 responses" in str(t) for t in shown)
    ctx2 = _ctx(tmp_path / "b", _table(_k3_stage2(SIX[-1:], [(20, 30)])))
    rc.scrutiny_view(ctx2)
    assert any("fewer than 2 quarters had stage 2 responses" in str(t) for t in shown)


# --------------------------------------------------------------------------------------------
# the sample, which has no pack columns


@pytest.mark.integration
def test_the_annual_report_renders_on_the_sample(tmp_path):
    sample = ROOT / "data" / "sample"
    res = render_report(sample, "E10000017", "latest",
                        RunOptions(notebook="complaints_annual_report", outputs_dir=tmp_path / "outputs",
                                   settings_path=sample / "settings.toml"))
    assert res.ok, res.error
    html = _text(res.html)
    assert "annual report 2024-25" in html
    assert "Adult social care complaints: 39 in 2024-25, broadly the same as 40 in 2023-24." in html
    assert "does not record what each complaint was about" in html
    assert "does not record when the remedies agreed with the Ombudsman are due" in html


def test_a_year_given_as_the_run_period_says_how_to_ask_for_a_year(tmp_path):
    from ot_benchmark.report.context import check_parameters

    with pytest.raises(ParameterError, match=r"is a financial year.*-p year=2024-25"):
        check_parameters(data_dir=str(tmp_path), authority=HOME, period="2024-25", indicators=_hand_table())
