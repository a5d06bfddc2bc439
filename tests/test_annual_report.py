"""Figures and sentences of annual figures (issue 12): every period wording follows the
period's kind (a financial year says "year by year", "the year before", "seven years in a
row"), a missing year is a gap on a chart's axis, England's figure is drawn as a reference line,
and a chart writes its figures rounded half up as the sentences do. Checked on hand-made frames
against values written out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.report import narrative, plots
from ot_benchmark.stats import spc


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
