"""The report reads correctly for annual figures (issue 12): every period wording follows the
period's kind, families with no figures are left out whole, the group is named without a path,
England's figure is drawn and said, a missing year is a gap on the axis, and a figure with no
interval is judged in words by its robust distance and band.

Checked on hand-made frames and on the real Trafford example (``data/examples/trafford_ascof``,
ASCOF published figures; the expected values are read from its ``source/`` files by hand, as in
tests/test_published.py), never against the functions' own output.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.errors import ParameterError
from ot_benchmark.periods import period_words
from ot_benchmark.report import complaints, export, narrative, plots, sections
from ot_benchmark.report.context import build_context, check_parameters
from ot_benchmark.report.exports import column_definitions, summary_export
from ot_benchmark.report.parts import PARTS
from ot_benchmark.stats import spc

ROOT = Path(__file__).resolve().parents[1]
TRAFFORD_DIR = ROOT / "data" / "examples" / "trafford_ascof"
PEERS = TRAFFORD_DIR / "groups" / "peer_group.csv"
TRAFFORD = "E08000009"


@pytest.fixture(scope="module")
def trafford(tmp_path_factory):
    """The Trafford example's context for 2023-24 against its peer group, the group given as an
    absolute path (as a machine path would reach the report)."""
    tmp = tmp_path_factory.mktemp("trafford")
    return build_context(data_dir=TRAFFORD_DIR, authority=TRAFFORD, period="2023-24", group=str(PEERS.resolve()),
                         output_dir=tmp / "out", cache_dir=tmp / "cache")


@pytest.fixture
def shown(monkeypatch):
    """What the sections (and the complaints sections) display: the Markdown texts, in order."""
    texts = []
    catch = lambda obj: texts.append(getattr(obj, "data", obj))  # noqa: E731
    monkeypatch.setattr(sections, "display", catch)
    monkeypatch.setattr(complaints, "display", catch)
    return texts


def _figures(ctx) -> dict[str, str]:
    return {f["name"]: f["alt"] for f in export.read_manifest(ctx.output_dir)["figures"]}


# ------------------------------------------------------------------------- the heading


def test_title_says_year_and_names_the_group_without_a_path(trafford, shown):
    sections.title(trafford)
    text = shown[-1]
    assert "**Year:** 2023-24 (1 April 2023 to 31 March 2024)" in text
    assert "Quarter" not in text and "quarter" not in text
    # groups/peer_group.csv lists Trafford's 15 NHS England peers
    compared = re.search(r"\*\*Compared with:\*\* (.*?)  \n", text).group(1)
    assert compared == "15 similar councils (peer group)"
    assert "/" not in text.split("**Source:**")[0] and ".csv" not in text
    # real published data: where they come from stays in the report
    assert "**Source:**" in text and "Open Government Licence v3" in text


@pytest.mark.parametrize("scheme, expected", [
    ("/home/someone/data/groups/peer_group.csv", "peer group"),
    ("groups/nhs_peers.csv", "nhs peers comparator group"),
    ("cipfa", "cipfa comparator group"),
    ("england", "all councils in England, 2023-24"),
])
def test_group_name_is_never_a_path(scheme, expected):
    ctx = SimpleNamespace(scheme=scheme, authority=TRAFFORD, period="2023-24")
    assert sections.group_name(ctx) == expected


def test_a_year_is_a_period_of_annual_data_only():
    # the Trafford returns are financial years: a year is the run's period
    assert check_parameters(data_dir=TRAFFORD_DIR, authority=TRAFFORD, period="2023/24")["period"] == "2023-24"
    # data of quarters: a year is still refused, saying how to ask for one
    ind = pd.DataFrame({"authority_code": ["E10000017"], "period": ["2024-25 Q4"], "indicator_id": ["W5"],
                        "value": [1.0]})
    with pytest.raises(ParameterError, match=r"is a financial year.*-p year=2024-25"):
        check_parameters(data_dir=TRAFFORD_DIR, authority="E10000017", period="2024-25", indicators=ind)


def test_a_report_can_compare_with_all_councils_in_england(tmp_path):
    ctx = build_context(data_dir=TRAFFORD_DIR, authority=TRAFFORD, period="2023-24", group="england",
                        output_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    assert ctx.compare_mode == "partial"  # only Trafford's 15 peers supplied figures
    assert sections.compared_with(ctx).startswith(
        f"the 15 of {len(ctx.neighbours)} councils (all councils in England, 2023-24) that supplied figures")


# ------------------------------------------------------------------------- parts left out


def test_families_without_figures_are_left_out_whole(trafford, shown):
    for letter in ("W", "C", "E", "K", "U", "A", "O"):
        sections.heading(trafford, letter)
        sections.family(trafford, letter)
    sections.indicator_panel(trafford, "W5", "waiting")
    complaints.scrutiny_view(trafford)
    assert shown == [] and _figures(trafford) == {}
    # the summary and the local (ASCOF) measures, which have figures, are shown, in years
    sections.heading(trafford, "summary")
    assert shown[-1].startswith("## Summary") and "figure for the year;" in shown[-1]
    assert "**Latest year (SPC)** reads the council's own years" in shown[-1] and "quarter" not in shown[-1]
    sections.local_indicators(trafford)
    assert shown[1].startswith("## Local indicators")
    assert {"local1_comparator", "local1_spc", "local2_comparator", "local2_spc"} <= set(_figures(trafford))


def test_the_sample_reads_as_before_for_quarters():
    # the parts' words for quarters are the notebook's words before they moved into parts.py
    w = period_words("2024-25 Q4")
    summary = w.fill(PARTS["summary"])
    assert "the council's figure for the quarter;" in summary
    assert "**Latest quarter (SPC)** reads the council's own quarters" in summary
    assert "With fewer than 13 quarters the limits are provisional" in w.fill(PARTS["about"])
    assert "**assessed in the quarter**" in w.fill(PARTS["W"])


# ------------------------------------------------------------------------- figures


def _years(values, labels):
    return pd.DataFrame({"period": labels, "value": values})


def test_spc_chart_of_years_leaves_a_gap_and_speaks_of_years():
    series = _years([60.0, 62.0, 58.0, 61.0], ["2017-18", "2018-19", "2020-21", "2021-22"])  # no 2019-20
    points, _ = spc.xmr(series, date_col="period")
    fig = plots.spc_chart(points, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2017-18", "2018-19", "2019-20", "2020-21", "2021-22"]
    assert ax.get_xlabel() == "Year"
    xs = np.concatenate([c.get_offsets()[:, 0] for c in ax.collections])
    assert sorted(xs.tolist()) == [0, 1, 3, 4]  # nothing at 2019-20
    joined = ax.lines[0].get_ydata()  # the grey line joining the points breaks at the gap
    assert np.isnan(joined[2]) and list(np.asarray(joined)[[0, 1, 3, 4]]) == [60.0, 62.0, 58.0, 61.0]
    notes = [t.get_text() for t in fig.texts]
    assert any("No figure for 2019-20" in n for n in notes)
    assert any("only 4 years" in n for n in notes) and not any("quarter" in n for n in notes)


def test_trend_chart_of_years_with_england():
    trend = pd.DataFrame({"period": ["2018-19", "2019-20", "2021-22"], "value": [66.6, 84.8, 62.3],
                          "group_value": [62.2, 62.4, 62.0]})
    england = pd.DataFrame({"area_name": ["England"] * 3, "period": ["2018-19", "2019-20", "2021-22"],
                            "value": [64.3, 64.2, 63.9]})
    fig = plots.trend_chart(trend, title="t", reference_lines=england)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2018-19", "2019-20", "2020-21", "2021-22"]
    assert ax.get_xlabel() == "Year"
    line = next(ln for ln in ax.lines if ln.get_gid() == "trend_reference")
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.isnan(y[2]) and list(y[[0, 1, 3]]) == [64.3, 64.2, 63.9]
    assert "England" in [t.get_text() for t in ax.get_legend().get_texts()]
    notes = [t.get_text() for t in fig.texts]
    assert any("No figure for 2020-21" in n for n in notes) and any("England's figure" in n for n in notes)


def test_comparator_chart_draws_england_and_rounds_half_up():
    rows = pd.DataFrame({"authority_code": ["A", "B", "C"], "authority_name": ["A", "B", "C"],
                         "period": ["2023-24"] * 3, "value": [52.3, 61.1, 63.0]})
    england = pd.DataFrame({"area_name": ["England"], "value": [65.4]})
    fig = plots.comparator_chart(rows, subject="A", title="t", comparator_value=63.05,
                                 comparator_label="Group figure", reference_lines=england)
    ax = fig.axes[0]
    line = next(ln for ln in ax.lines if ln.get_gid() == "reference_line")
    assert list(line.get_xdata()) == [65.4, 65.4]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "England: 65.4" in legend
    assert "Group figure: 63.1" in legend  # 63.05 as a reader rounds it, not the float's 63.0


def test_comparator_figure_of_trafford_draws_england_and_says_so(trafford, shown, monkeypatch):
    seen = []
    real = plots.comparator_chart
    monkeypatch.setattr(plots, "comparator_chart", lambda *a, **k: seen.append(k["reference_lines"]) or real(*a, **k))
    sections.comparator_figure(trafford, "ASCOF_3A", "satisfied", alt="Satisfied")
    # reference_lines.csv: England 2023-24, ASCOF 3A, 65.4% (source/social_care_satisfaction.csv)
    assert seen[0][["area_name", "value"]].to_dict("records") == [{"area_name": "England", "value": 65.4}]
    alt = _figures(trafford)["satisfied"]
    assert "Dotted line: England's figure, 65.4%" in alt


def test_trend_against_group_of_years(trafford, shown):
    sections.trend_against_group(trafford, "ASCOF_3A")
    assert shown[0].startswith("The council's figure year by year beside the comparator group's, with the "
                               "change on the year before.")
    alt = _figures(trafford)["trend"]
    assert "year by year" in alt and "95% intervals" not in alt and "England's figure year by year" in alt
    table = pd.read_csv(trafford.output_dir / "tables" / "trend.csv")
    assert "2020-21" not in set(table["period"])  # no survey that year (source: NA)
    assert "52.3% in 2023-24, down from 62.5% the year before" in " ".join(s for s in shown if isinstance(s, str))


# ------------------------------------------------------------------------- sentences


def test_spc_words_for_years():
    years = ["2016-17", "2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23"]
    points = pd.DataFrame({"date": years, "value": [1.0] * 7, "rule": ["run"] * 7, "relative_to_mean": [1.0] * 7,
                           "point_type": ["special_cause_improvement"] * 7})
    assert narrative.spc_rule_phrase(points) == "seven years in a row above the average"
    assert narrative.spc_sentence("special_cause_improvement", points=points, n_points=7).startswith(
        "The latest year shows a real improvement, not just normal variation (seven years in a row above")
    one = points.iloc[:1]
    assert narrative.spc_sentence(None, points=one) == "There are too few years to judge the trend."
    assert "(provisional: only 7 years of data)" in narrative.spc_sentence("common_cause", points=points, n_points=7)


def test_trend_sentence_of_years_says_the_year_before_once():
    t = pd.DataFrame({"period": ["2022-23", "2023-24"], "value": [62.5, 52.3], "previous_period": [None, "2022-23"],
                      "year_ago_period": [None, "2022-23"], "group_value": [62.5, 61.1]})
    assert narrative.trend_sentence(t, unit="%", suppress=False) == (
        "52.3% in 2023-24, down from 62.5% the year before; the comparator group moved from 62.5% to 61.1% "
        "over the year.")


def test_the_previous_period_is_named_in_its_kind():
    row = {"indicator_id": "X", "name": "Satisfied", "unit": "%", "method": "proportion", "value": 62.51,
           "period": "2023-24"}
    assert narrative.indicator_sentence(row, previous={**row, "value": 62.54, "period": "2022-23"},
                                        suppress=False) == "Satisfied: 62.5%, about the same as the previous year."


def test_robust_distance_and_band_in_the_summary_and_the_sentences(trafford, shown):
    # ASCOF 3A 2023-24: (52.3 - 61.1) / 1.85 = -4.757 MADs (tests/test_published.py): "well below"
    sections.family(trafford, "local")
    assert ("Service users satisfied with their care and support: 52.3%, down from 62.5%; worse than comparator "
            "councils (4.76 median absolute deviations below the group median; band: well below)") in shown[-1]
    summary = summary_export(trafford.bench, None, catalogue=trafford.catalogue, words=trafford.words)
    row = summary.set_index("Id").loc["ASCOF_3A"]
    assert row["Verdict basis"] == ("judged by its distance from the group median (4.76 median absolute "
                                    "deviations below it; band: well below)")


def test_analyst_headings_follow_the_kind():
    years = column_definitions(period_words("2023-24"))
    assert "Latest year (SPC)" in years and "Latest quarter (SPC)" not in years
    assert years["[x]"] == "Not available: no figure for this year (missing or impossible inputs)."
    assert "Latest quarter (SPC)" in column_definitions()


# ------------------------------------------------------------------------- the page, as rendered


@pytest.mark.slow
@pytest.mark.integration
def test_the_trafford_report_reads_as_an_annual_report(tmp_path):
    from ot_benchmark.runner.render import RunOptions, render_report

    res = render_report(TRAFFORD_DIR, TRAFFORD, "2023-24", RunOptions(outputs_dir=tmp_path / "outputs",
                                                                    group=str(PEERS.resolve())))
    assert res.ok, res.error
    page = Path(res.html).read_text(encoding="utf-8")
    nav = re.search(r'<nav class="ot-contents".*?</nav>', page, flags=re.S).group(0)
    assert re.findall(r'<li><a href="#[^"]+">([^<]+)</a></li>', nav) == [
        "Key messages", "Summary", "Local indicators", "About this report"]
    body = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", page[page.index("<body"):])
    body = re.sub(r"<style\b.*?</style>", "", body, flags=re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    assert "Year: 2023-24 (1 April 2023 to 31 March 2024)" in text
    assert "Compared with: 15 similar councils (peer group)" in text
    assert str(TRAFFORD_DIR) not in page and "peer_group.csv" not in text
    assert not re.search(r"quarter", text, flags=re.I)  # every period word follows the years
    alts = [html.unescape(a) for a in re.findall(r'alt="([^"]*)"', page)]  # as a browser reads them
    assert any("Dotted line: England's figure, 65.4%" in a for a in alts)
