"""Each figure function on small hand-made frames: a Figure with the right title, axis labels,
number of plotted points and lines, the subject highlighted and the banner printed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from ot_benchmark.report import disclosure, plots

BANNER = "Synthetic demonstration data — not real council performance"


def _notes(fig):
    return [t.get_text() for t in fig.texts if t.get_gid() == "ot_note"]


def _points(ax):
    """Council markers: Line2D without a line and with a dot or diamond (not the error-bar caps)."""
    return [ln for ln in ax.get_lines()
            if ln.get_linestyle() in ("None", "none", "") and ln.get_marker() in ("o", "D")]


@pytest.fixture
def group():
    # five councils; D has no value; C is the subject
    return pd.DataFrame({
        "authority_code": ["A1", "B2", "C3", "D4", "E5"],
        "authority_name": ["Avon", "Bray", "Cray", "Dale", "Esk"],
        "value": [60.0, 80.0, 70.0, np.nan, 50.0],
        "lower_95": [55.0, 74.0, 64.0, np.nan, 41.0],
        "upper_95": [65.0, 86.0, 76.0, np.nan, 59.0],
    })


def test_comparator_chart(group):
    title = "Percentage assessed within their priority target, 2024-25 Q4"
    fig = plots.comparator_chart(group, subject="C3", title=title, value_label="Percentage (%)",
                                 comparator_value=66.0, polarity="higher_is_better", banner=BANNER)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == title
    assert ax.get_xlabel() == "Percentage (%)"
    # sorted ascending by value: Esk 50, Avon 60, Cray 70 (subject, marked), Bray 80; Dale dropped
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Esk", "Avon", "Cray  \u25b6", "Bray"]
    pts = _points(ax)
    assert sum(len(p.get_xdata()) for p in pts) == 4
    subject_marker = [p for p in pts if p.get_marker() == "D"]
    assert len(subject_marker) == 1 and list(subject_marker[0].get_xdata()) == [70.0]
    # comparator line at 66 (one vertical dashed line)
    vlines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(vlines) == 1 and list(vlines[0].get_xdata()) == [66.0, 66.0]
    # error bars: one collection for the three others, one for the subject
    segs = sum(len(c.get_segments()) for c in ax.collections)
    assert segs == 4
    notes = _notes(fig)
    assert notes[0] == BANNER
    assert "Higher is better." in notes and "No value: Dale." in notes


def test_comparator_chart_suppressed_and_no_ci():
    # B2's value is [c] (suppressed): not drawn, named in the footnote; no intervals -> no CI legend
    df = pd.DataFrame({"authority_code": ["A1", "B2", "C3"], "authority_name": ["Avon", "Bray", "Cray"],
                       "value": [60.0, "[c]", 70.0]})
    fig = plots.comparator_chart(df, subject="C3", title="T", polarity="lower_is_better")
    ax = fig.axes[0]
    # lower is better: the lowest value is at the top (last tick label)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Cray  \u25b6", "Avon"]
    assert "Not shown because the numbers are too small to publish [c]: Bray." in _notes(fig)
    assert "95% confidence interval" not in [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(ax.collections) == 0  # no error bars drawn


def test_comparator_chart_comparator_from_column_and_no_banner(group):
    g = group.assign(comparator_value=66.0)
    fig = plots.comparator_chart(g, subject="C3", title="T")
    ax = fig.axes[0]
    assert any(ln.get_linestyle() == "--" for ln in ax.get_lines())
    assert BANNER not in _notes(fig)
    assert ax.get_xlabel() == "Value"


def test_funnel_plot():
    pts = pd.DataFrame({"authority_code": ["A1", "B2", "C3"], "authority_name": ["Avon", "Bray", "Cray"],
                        "denominator": [100.0, 400.0, 900.0], "value": [60.0, 75.0, 70.0]})
    lim = pd.DataFrame({"denominator": [50.0, 100.0, 500.0, 1000.0],
                        "lower_95": [56, 60, 66, 67], "upper_95": [84, 80, 74, 73],
                        "lower_998": [50, 55, 63, 65], "upper_998": [90, 85, 77, 75],
                        "average": [70.0] * 4})
    fig = plots.funnel_plot(pts, lim, subject="B2", title="Funnel, 2024-25 Q4",
                            value_label="Percentage (%)", denominator_label="Assessments completed",
                            banner=BANNER)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Funnel, 2024-25 Q4"
    assert ax.get_xlabel() == "Assessments completed" and ax.get_ylabel() == "Percentage (%)"
    # 4 limit curves + the average line
    assert len(ax.get_lines()) == 5
    avg = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert len(avg) == 1 and list(avg[0].get_ydata()) == [70.0, 70.0]
    # two scatter collections: 2 other councils, 1 subject
    sizes = sorted(len(c.get_offsets()) for c in ax.collections)
    assert sizes == [1, 2]
    assert any(t.get_text() == "Bray" for t in ax.texts)
    assert _notes(fig)[0] == BANNER
    # a suppressed council is hidden and counted in the footnote
    fig = plots.funnel_plot(pts, lim, subject="B2", title="F", hide=["A1"])
    assert sorted(len(c.get_offsets()) for c in fig.axes[0].collections) == [1, 1]
    assert "1 council(s) not shown because the numbers are too small to publish [c]." in _notes(fig)


def test_funnel_plot_with_stats_funnel_output():
    # the real limit curve (column 'baseline' carries the average)
    from ot_benchmark.stats.funnel import funnel_limits_curve, funnel_points

    rows = pd.DataFrame({"authority_code": ["A1", "B2", "C3", "D4"], "numerator": [50.0, 300, 70, 400],
                         "denominator": [100.0, 400, 90, 500]})
    pts, summary = funnel_points(rows, "numerator", "denominator", kind="proportion", multiplier=100)
    lim = funnel_limits_curve("proportion", summary["average"], 80, 550, multiplier=100)
    fig = plots.funnel_plot(pts, lim, subject="C3", title="F")
    avg = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "-"]
    # pooled average = 820 / 1090 = 75.23%
    assert len(avg) == 1 and avg[0].get_ydata()[0] == pytest.approx(820 / 1090 * 100)


def test_funnel_plot_draws_the_widened_limits_emphasised_when_the_group_is_over_dispersed():
    # the docs' over-dispersed group: pooled 67.5%, τ² = 0.0136 (φ = 5.15). The verdict rests on the
    # widened limits, so the plot draws them in the usual colours, thicker, and the plain ones faint.
    from ot_benchmark.stats.funnel import funnel_limits_curve, funnel_points

    rows = pd.DataFrame({"authority_code": ["A", "B", "C", "D", "E", "F"],
                         "numerator": [60.0, 80, 45, 30, 140, 50], "denominator": [100.0, 100, 50, 50, 200, 100]})
    pts, summary = funnel_points(rows, "numerator", "denominator", kind="proportion", multiplier=100)
    assert summary["tau2"] == pytest.approx(0.0136, abs=1e-4)
    lim = funnel_limits_curve("proportion", summary["average"], 40, 220, multiplier=100, tau2=summary["tau2"])
    fig = plots.funnel_plot(pts, lim, subject="F", title="F")
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() != "-"]
    plain = [ln for ln in lines if ln.get_color() == plots.COLOURS["limit_plain"]]
    widened = [ln for ln in lines if ln.get_color() != plots.COLOURS["limit_plain"]]
    assert len(plain) == 4 and len(widened) == 4
    assert min(ln.get_linewidth() for ln in widened) > max(ln.get_linewidth() for ln in plain)
    # at a denominator of 100 the widened 95% lower limit is 43.0%, below the plain one (58.3%)
    low = lim.iloc[(lim["denominator"] - 100).abs().argmin()]
    assert low["od_lower_95"] < low["lower_95"]
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("widened" in t for t in labels) and any("Plain" in t for t in labels)
    # without τ² only the plain limits: four curves in the usual colours
    plain_only = plots.funnel_plot(pts, funnel_limits_curve("proportion", summary["average"], 40, 220), subject="F", title="F")
    assert len([ln for ln in plain_only.axes[0].get_lines() if ln.get_linestyle() != "-"]) == 4


def test_selection_helpers():
    t = pd.DataFrame({"authority_code": ["A1", "A1", "B2", "A1"], "period": ["2024-25 Q1", "2024-25 Q2", "2024-25 Q2", "2024-25 Q3"],
                      "indicator_id": "W5", "breakdown": "all", "value": [1.0, float("nan"), 3.0, 4.0]})
    s = plots.indicator_rows(t, "W5", authorities=["A1"], upto="2024-25 Q2")
    assert s["period"].tolist() == ["2024-25 Q1"]  # quarters without a value are dropped from a series
    g = plots.indicator_rows(t, "W5", period="2024-25 Q2", names={"A1": "Avon"})
    assert g["authority_name"].tolist() == ["Avon", "B2"]
    assert plots.suppressed_codes(pd.DataFrame({"authority_code": ["A1", "B2"], "value": ["[c]", 3.0]})) == ["A1"]
    assert plots.has_values(g) and not plots.has_values(g.iloc[:0])


def _spc_frame(n, types=None, rebase_at=None):
    periods = [f"{2020 + i // 4}-{(21 + i // 4) % 100:02d} Q{i % 4 + 1}" for i in range(n)]
    df = pd.DataFrame({"period": periods, "value": np.linspace(60, 70, n), "mean": 65.0,
                       "lpl": 55.0, "upl": 75.0,
                       "point_type": types or ["common_cause"] * n})
    if rebase_at is not None:
        df["rebase"] = [i == rebase_at for i in range(n)]
    return df


def test_spc_chart_provisional_target_and_types():
    types = ["common_cause"] * 8
    types[6] = "special_cause_improvement"
    types[7] = "special_cause_concern"
    fig = plots.spc_chart(_spc_frame(8, types), title="W5 over time", value_label="Percentage (%)",
                          target=72.0, banner=BANNER)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "W5 over time"
    assert ax.get_ylabel() == "Percentage (%)" and ax.get_xlabel() == "Quarter"
    # scatter collections per point type present: 6 common, 1 improvement, 1 concern
    counts = sorted(len(c.get_offsets()) for c in ax.collections)
    assert counts == [1, 1, 6]
    colours = {tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in ax.collections}
    assert len(colours) == 3
    # lines: joining line + mean + lpl + upl + target
    assert len(ax.get_lines()) == 5
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Target (72)" in legend and "Special cause - concern" in legend
    assert "Special cause - neither better nor worse" not in legend
    notes = _notes(fig)
    assert notes[0] == BANNER
    assert any(n.startswith("Provisional limits: only 8 quarters") for n in notes)


def test_spc_chart_from_xmr_output():
    # the real xmr points table: 'date' holds the period label, 'segment' the re-base
    from ot_benchmark.stats.spc import xmr

    series = pd.DataFrame({"period": [f"2022-23 Q{i}" for i in range(1, 5)] + [f"2023-24 Q{i}" for i in range(1, 5)],
                           "value": [50.0, 52, 51, 53, 70, 71, 69, 72]})
    pts, summary = xmr(series, date_col="period", target=60.0, rebase=["2023-24 Q1"])
    fig = plots.spc_chart(pts, title="T")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == series["period"].tolist()
    assert any(t.get_text() == "limits re-based" for t in ax.texts)
    # joining line + 2 segments x 3 + re-base mark + target from the column
    assert len(ax.get_lines()) == 1 + 6 + 1 + 1
    assert sum(len(c.get_offsets()) for c in ax.collections) == 8
    # 8 quarters in all, but the latest limits rest on the 4 since the re-base
    assert "Provisional limits: only 4 quarters since the limits were re-based; limits are more " \
           "reliable once there are at least 13." in _notes(fig)


def test_spc_chart_rebase_and_not_provisional():
    fig = plots.spc_chart(_spc_frame(14, rebase_at=7), title="T")
    ax = fig.axes[0]
    # two segments x (mean, lpl, upl) + joining line + the re-base marker
    assert len(ax.get_lines()) == 1 + 2 * 3 + 1
    assert any(t.get_text() == "limits re-based" for t in ax.texts)
    assert not any("Provisional" in n for n in _notes(fig))


def test_km_curves():
    km = pd.DataFrame({"priority": ["high"] * 3 + ["urgent"] * 3,
                       "time": [0, 10, 30, 0, 3, 7], "survival": [1, .6, .2, 1, .5, 0.0]})
    fig = plots.km_curves(km, title="How quickly people were assessed", targets={"urgent": 7})
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "How quickly people were assessed"
    assert ax.get_xlabel() == "Days since referral"
    assert ax.get_ylabel() == "Share of people still waiting for assessment (%)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Urgent", "High"]  # urgent first by the default order
    steps = [ln for ln in ax.get_lines() if ln.get_label() in ("Urgent", "High")]
    assert [list(ln.get_ydata()) for ln in steps] == [[100, 50, 0], [100, 60, 20]]


def test_wait_band_profile():
    bands = ["0-7", "8-14", "365+"]
    df = pd.DataFrame({"period": ["2024-25 Q1"] * 3 + ["2024-25 Q2"] * 3,
                       "breakdown": [f"band:{b}" for b in bands] * 2,
                       "value": [10.0, 20.0, 5.0, 12.0, np.nan, 7.0]})
    fig = plots.wait_band_profile(df, title="Waits by band", banner=BANNER)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Waits by band"
    assert len(ax.containers) == 3 and all(len(c) == 2 for c in ax.containers)
    # top of the stack = total per period (NaN drawn as 0): 35 and 19
    tops = [max(p.get_y() + p.get_height() for p in [c[i] for c in ax.containers]) for i in range(2)]
    assert tops == [35.0, 19.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a year or more", "8-14 days", "0-7 days"]
    assert any("fewer than 5" in n for n in _notes(fig))


def test_flow_chart():
    df = pd.DataFrame({"period": ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3"],
                       "referrals": [100, 120, 90], "assessments": [80, 90, 100],
                       "closed_unassessed": [10, 5, 15], "waiting": [300, 325, 300]})
    fig = plots.flow_chart(df, title="In and out")
    top, bottom = fig.axes
    assert top.get_title(loc="left") == "In and out"
    assert len(top.containers) == 3 and all(len(c) == 3 for c in top.containers)
    assert bottom.get_xlabel() == "Quarter"
    assert list(bottom.get_lines()[0].get_ydata()) == [300, 325, 300]


def test_flow_chart_names_suppressed_counts():
    # Q2's closures (3) were published as [c]: drawn as nothing (not a zero the reader can read
    # off), and the note names what is missing, so a gap is not taken for zero
    df = pd.DataFrame({"period": ["2024-25 Q1", "2024-25 Q2"], "referrals": [100, 120],
                       "assessments": [80, 90], "closed_unassessed": [10, "[c]"], "waiting": [300, 325]})
    fig = plots.flow_chart(df, title="In and out")
    top = fig.axes[0]
    closed = top.containers[2]
    assert [p.get_height() for p in closed] == [10.0, 0.0]
    assert "Not drawn because the numbers are too small to publish [c]: closed without assessment (2024-25 Q2)." in _notes(fig)
    # nothing suppressed: no such note
    assert not any("[c]" in n for n in _notes(plots.flow_chart(df.assign(closed_unassessed=[10, 8]), title="T")))


def test_funnel_plot_hides_council_with_suppressed_denominator():
    pts = pd.DataFrame({"authority_code": ["A1", "B2", "C3"], "denominator": [100.0, "[c]", 300.0],
                        "value": [60.0, 75.0, 70.0]})
    lim = pd.DataFrame({"denominator": [50.0, 400.0], "lower_95": [50.0, 60.0], "upper_95": [90.0, 80.0],
                        "lower_998": [40.0, 55.0], "upper_998": [95.0, 85.0]})
    fig = plots.funnel_plot(pts, lim, subject="A1", title="F", average=70.0)
    assert sorted(len(c.get_offsets()) for c in fig.axes[0].collections) == [1, 1]  # B2 not drawn
    assert "1 council(s) not shown because the numbers are too small to publish [c]." in _notes(fig)


def test_capacity_chart():
    # shape of capacity.capacity_scenarios: one weeks row, two WTE rows (one "never")
    df = pd.DataFrame({
        "scenario": ["weeks_to_clear", "wte_to_keep_pace", "wte_to_reach_list_target"],
        "quantity": ["weeks to clear the list at current rates", "OT WTE to keep pace",
                     "OT WTE to bring the list to 0 within 26 weeks"],
        "unit": ["weeks", "WTE", "WTE"],
        "low": [20.0, 10.0, 12.0], "central": [30.0, 11.0, 14.0], "high": [np.inf, 12.5, 16.0],
        "current": [400.0, 10.5, 10.5]})
    fig = plots.capacity_chart(df, title="Weeks to clear", banner=BANNER)
    weeks_ax, wte_ax = fig.axes
    assert weeks_ax.get_title(loc="left") == "Weeks to clear"
    assert weeks_ax.get_xlabel() == "Weeks"
    assert wte_ax.get_xlabel() == "OT whole-time equivalent staff (WTE)"
    assert [t.get_text() for t in weeks_ax.texts] == ["30 weeks (range 20 to never)"]
    assert [t.get_text() for t in wte_ax.texts][:2] == ["11.0 WTE (range 10.0 to 12.5)",
                                                       "14.0 WTE (range 12.0 to 16.0)"]
    assert "OT WTE now: 10.5" in [t.get_text() for t in wte_ax.texts]
    assert len(wte_ax.patches) == 2
    assert _notes(fig)[0] == BANNER


def test_capacity_chart_never():
    df = pd.DataFrame({"scenario": ["weeks_to_clear"], "quantity": ["weeks to clear"], "unit": ["weeks"],
                       "low": [50.0], "central": [np.inf], "high": [np.inf], "current": [400.0]})
    fig = plots.capacity_chart(df, title="T")
    assert [t.get_text() for t in fig.axes[0].texts] == ["never at current rates (at best 50 weeks)"]
    assert list(fig.axes[0].get_xticks()) == []  # no scale for an answer that does not exist


def test_draws_into_given_axes_and_saves(tmp_path, group):
    fig = Figure()
    ax = fig.add_subplot()
    out = plots.comparator_chart(group, subject="C3", title="T", ax=ax)
    assert out is fig
    fig2 = plots.comparator_chart(group, subject="C3", title="T", banner=BANNER)
    fig2.savefig(tmp_path / "x.png")
    assert (tmp_path / "x.png").stat().st_size > 1000


def test_unit_label():
    assert plots.unit_label("%") == "Percentage (%)"
    assert plots.unit_label("days") == "Days"
    assert plots.unit_label("£ per item") == "£ per item"
    assert plots.unit_label(None) == "Value"


def test_figure_shows_itself_in_jupyter(group):
    fig = plots.comparator_chart(group, subject="C3", title="T")
    png = fig._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_comparator_chart_small_numbers_note(group):
    # denominators 100, 20, 400, -, 25: Bray (20) and Esk (25) are below 30
    g = group.assign(denominator=[100.0, 20.0, 400.0, float("nan"), 25.0])
    fig = plots.comparator_chart(g, subject="C3", title="T", method="proportion")
    # listed from the top of the chart down (Bray 80 is above Esk 50)
    assert "Based on fewer than 30 cases, so can swing widely from quarter to quarter: Bray, Esk." in _notes(fig)
    fig = plots.comparator_chart(g.assign(denominator=10.0), subject="C3", title="T", method="proportion")
    assert ("Every figure shown rests on fewer than 30 cases, so all can swing widely from quarter to "
            "quarter.") in _notes(fig)
    fig = plots.comparator_chart(g, subject="C3", title="T")  # no method: no claim
    assert not any(n.startswith("Based on fewer") for n in _notes(fig))


def test_km_curves_band_from_km_curve_output():
    # the shaded 95% band comes from km_curve's own ``lower``/``upper`` columns. Five waits
    # (2, 4, 6+, 8, 10 days; 6 censored): survival 1, 0.8, 0.6, 0.3, 0 (hand KM: 4/5, 3/4 of
    # that, then 1/2 after the censoring at 6, then 0); the band is NaN where survival is 0
    from matplotlib.collections import PolyCollection

    from ot_benchmark.stats.survival import km_curve

    curve = km_curve(pd.Series([2.0, 4.0, 6.0, 8.0, 10.0]), pd.Series([1, 1, 0, 1, 1])).assign(priority="high")
    assert np.allclose(curve["survival"], [1.0, 0.8, 0.6, 0.6, 0.3, 0.0])
    fig = plots.km_curves(curve, title="T")
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1
    ys = np.concatenate([p.vertices[:, 1] for p in bands[0].get_paths()])
    drawn = {round(float(v), 6) for v in ys[np.isfinite(ys)]}
    expected = {round(float(v) * 100, 6) for v in pd.concat([curve["lower"], curve["upper"]]).dropna()}
    assert expected <= drawn and len(expected) > 2
    # the band brackets the curve: lower <= survival <= upper wherever it is drawn
    ok = curve["lower"].notna()
    assert (curve.loc[ok, "lower"] <= curve.loc[ok, "survival"]).all()
    assert (curve.loc[ok, "survival"] <= curve.loc[ok, "upper"]).all()
    # without the band columns, no band
    fig = plots.km_curves(curve.drop(columns=["lower", "upper"]), title="T")
    assert not [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]


# ---------------------------------------------------------------------------- trend chart

def _trend_frame():
    # A council's quarters 2023-24 Q1..2024-25 Q2 with 2024-25 Q1 missing (no row) and
    # 2023-24 Q2 suppressed ([c]); the group's pooled value every quarter it has a row.
    return pd.DataFrame({
        "authority_code": "A1", "indicator_id": "W5", "breakdown": "all",
        "period": ["2023-24 Q1", "2023-24 Q2", "2023-24 Q3", "2023-24 Q4", "2024-25 Q2"],
        "period_index": [8092, 8093, 8094, 8095, 8097],
        "value": [50.0, "[c]", 60.0, 65.0, 70.0],
        "lower_95": [44.0, "[c]", 55.0, 60.0, np.nan],
        "upper_95": [56.0, "[c]", 65.0, 70.0, np.nan],
        "group_value": [66.0, 67.0, 68.0, 69.0, 64.0],
        "group_method": "pooled", "n_comparators": 9,
    })


def test_trend_chart():
    title = "Assessed within priority target: Cray and similar councils, quarter by quarter"
    fig = plots.trend_chart(_trend_frame(), title=title, value_label="Percentage (%)", subject_label="Cray",
                            group_label="Similar councils", polarity="higher_is_better", banner=BANNER)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == title
    assert ax.get_ylabel() == "Percentage (%)" and ax.get_xlabel() == "Quarter"
    # every quarter from the first to the last is on the axis, the missing one included
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "2023-24 Q1", "2023-24 Q2", "2023-24 Q3", "2023-24 Q4", "2024-25 Q1", "2024-25 Q2"]
    council = [ln for ln in ax.get_lines() if ln.get_gid() == "trend_council"]
    group = [ln for ln in ax.get_lines() if ln.get_gid() == "trend_group"]
    assert len(council) == 1 and len(group) == 1
    assert council[0].get_marker() == "D" and group[0].get_linestyle() == "--"
    # the [c] quarter and the missing quarter are gaps (NaN) in the council's line
    np.testing.assert_array_equal(council[0].get_ydata(), [50.0, np.nan, 60.0, 65.0, np.nan, 70.0])
    np.testing.assert_array_equal(group[0].get_ydata(), [66.0, 67.0, 68.0, 69.0, np.nan, 64.0])
    # interval bars only for the three quarters that have one (not [c], not 2024-25 Q2's NaN)
    assert sum(len(c.get_segments()) for c in ax.collections) == 3
    # the latest figure of each line written at its end
    assert {t.get_text() for t in ax.texts} == {"70.0", "64.0"}
    notes = _notes(fig)
    assert notes[0] == BANNER and notes[1] == "Higher is better."
    assert "Similar councils: the cases of all 9 councils in the group added together." in notes
    assert "Not drawn because the numbers are too small to publish [c]: 2023-24 Q2." in notes
    assert "No figure for 2024-25 Q1." in notes
    assert any(n.startswith("The bars show the range Cray's true figure") for n in notes)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Cray", "95% interval of Cray", "Similar councils"]


def test_trend_chart_from_compare_trend_median_group_and_no_banner():
    from ot_benchmark.compare import benchmark as compare

    # W2_median (catalogue method median): the group value is the median of the councils'
    # values: 2024-25 Q1 median(30, 50, 70) = 50, Q2 median(40, 44, 60) = 44.
    rows = pd.DataFrame({
        "authority_code": ["A", "B", "C"] * 2,
        "period": ["2024-25 Q1"] * 3 + ["2024-25 Q2"] * 3,
        "indicator_id": "W2_median", "breakdown": "all",
        "numerator": np.nan, "denominator": [20.0, 30.0, 40.0, 20.0, 30.0, 40.0],
        "value": [30.0, 50.0, 70.0, 40.0, 44.0, 60.0],
        "lower_95": [25.0, 45.0, 60.0, 35.0, 40.0, 50.0],
        "upper_95": [35.0, 55.0, 80.0, 45.0, 48.0, 70.0],
    })
    tr = compare.trend(rows, "A", "W2_median", group=["B", "C"])
    fig = plots.trend_chart(tr, title="Completed wait, median", value_label="Days", polarity="lower_is_better")
    ax = fig.axes[0]
    group = [ln for ln in ax.get_lines() if ln.get_gid() == "trend_group"][0]
    council = [ln for ln in ax.get_lines() if ln.get_gid() == "trend_council"][0]
    np.testing.assert_allclose(group.get_ydata(), [50.0, 44.0])
    np.testing.assert_allclose(council.get_ydata(), [30.0, 40.0])
    notes = _notes(fig)
    assert BANNER not in notes and notes[0] == "Lower is better."
    assert "Comparator group: the middle (median) figure of the 3 councils in the group." in notes
    assert not any("[c]" in n or "No figure" in n for n in notes)
    assert any(n.startswith("The bars show the range the council's true figure") for n in notes)


def test_published_trend_hides_changes_worked_out_from_a_suppressed_quarter():
    from ot_benchmark.compare import benchmark as compare

    # Council A, W5, five quarters 2023-24 Q1..2024-25 Q1. In 2023-24 Q2 the total is 40 of 50,
    # but its only priority part (urgent) is 3 of 10: 3 is a count of 1-4 (primary), and with
    # one part the total is the only other member of its additive group, so the total (the
    # "all" row) is suppressed too (secondary). Trend values (all rows): 60, 80, 70, 70, 75.
    periods = ["2023-24 Q1", "2023-24 Q2", "2023-24 Q3", "2023-24 Q4", "2024-25 Q1"]
    num = [30.0, 40.0, 35.0, 35.0, 30.0]
    den = [50.0, 50.0, 50.0, 50.0, 40.0]
    ind = pd.DataFrame({
        "authority_code": "A", "period": periods + ["2023-24 Q2"], "indicator_id": "W5",
        "breakdown": ["all"] * 5 + ["priority:urgent"],
        "numerator": num + [3.0], "denominator": den + [10.0],
    })
    ind["value"] = ind["numerator"] / ind["denominator"] * 100
    ind["lower_95"] = ind["value"] - 10
    ind["upper_95"] = ind["value"] + 10
    tr = compare.trend(ind, "A", "W5")
    assert tr["value"].tolist() == [60.0, 80.0, 70.0, 70.0, 75.0]

    pub = disclosure.published_trend(tr, ind).set_index("period")
    hidden_cols = ["value", "lower_95", "upper_95", "numerator", "qoq_change", "qoq_change_pct",
                   "qoq_beyond_ci", "yoy_change", "yoy_change_pct", "yoy_beyond_ci", "difference_from_group",
                   "comparison", "assessment", "verdict", "verdict_basis"]
    assert (pub.loc["2023-24 Q2", hidden_cols] == "[c]").all()
    # the denominator (50, and the part's 10) is not small: it stays, as in the indicator tables
    assert pub.loc["2023-24 Q2", "denominator"] == 50.0
    # 2023-24 Q3's change on the quarter before (70 - 80 = -10) would give 80 back: hidden
    assert (pub.loc["2023-24 Q3", ["qoq_change", "qoq_change_pct", "qoq_beyond_ci"]] == "[c]").all()
    assert pub.loc["2023-24 Q3", "value"] == 70.0
    # 2024-25 Q1: a year after 2023-24 Q1 (shown): 75 - 60 = 15; the quarter before is shown too
    assert pub.loc["2024-25 Q1", "yoy_change"] == pytest.approx(15.0)
    assert pub.loc["2024-25 Q1", "qoq_change"] == pytest.approx(5.0)
    assert pub.loc["2023-24 Q4", "qoq_change"] == pytest.approx(0.0)
    # nothing else is touched
    assert pub.loc["2023-24 Q1", "value"] == 60.0
    assert int((pub == "[c]").to_numpy().sum()) == len(hidden_cols) + 3

    # from the trend's own rows alone the secondary suppression cannot be seen: 40/50 stays
    alone = disclosure.published_trend(tr).set_index("period")
    assert alone.loc["2023-24 Q2", "value"] == 80.0
    # ... but a quarter on a count of 1-4 of its own is hidden, with the changes built on it
    small = tr.copy()
    small.loc[0, "numerator"] = 2.0
    alone = disclosure.published_trend(small).set_index("period")
    assert alone.loc["2023-24 Q1", "value"] == "[c]" and alone.loc["2023-24 Q2", "qoq_change"] == "[c]"
    assert alone.loc["2024-25 Q1", "yoy_change"] == "[c]"
    # and the chart leaves both suppressed quarters out
    fig = plots.trend_chart(disclosure.published_trend(small, ind), title="t")
    line = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "trend_council"][0]
    np.testing.assert_array_equal(line.get_ydata(), [np.nan, np.nan, 70.0, 70.0, 75.0])
    assert "Not drawn because the numbers are too small to publish [c]: 2023-24 Q1, 2023-24 Q2." in _notes(fig)
