"""The report sections (ot_benchmark.report.sections) decide what a reader sees: which charts
appear, what is said instead, and the target an SPC chart is read against. Checked on hand-made
indicator tables against outcomes worked out by hand (which figures are published under which
names and alternative texts, which sentence is shown), never against the functions' own output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.catalogue import load_catalogue, resolve_target
from ot_benchmark.report import export, plots, sections
from ot_benchmark.report import tables as rp
from ot_benchmark.report.context import RunContext
from ot_benchmark.settings import load_settings
from ot_benchmark.stats import spc
from ot_benchmark.stats.intervals import add_intervals

HOME, *NEIGHBOURS = ["E06000001", "E06000002", "E06000003", "E06000004"]
NAMES = pd.Series({HOME: "Ashby", "E06000002": "Brent", "E06000003": "Corby", "E06000004": "Dover"})
QUARTERS = ["2024-25 Q1", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4"]
COLUMNS = ["authority_code", "period", "indicator_id", "breakdown", "numerator", "denominator", "value", "unit"]


def _table(rows, catalogue=None) -> pd.DataFrame:
    """An indicator table from (indicator, council, quarter, numerator, denominator) rows, the
    value worked out as the catalogue says (proportion x multiplier, ratio num/den, count num)."""
    cat = (catalogue if catalogue is not None else load_catalogue()).set_index("indicator_id")
    out = []
    for iid, code, period, num, den in rows:
        meta = cat.loc[iid]
        if meta["method"] == "count":
            value = num
        else:
            value = num / den * meta["multiplier"] if den and den > 0 else np.nan
        out.append([code, period, iid, "all", num, den, value, meta["unit"]])
    table = pd.DataFrame(out, columns=COLUMNS).astype({"numerator": float, "denominator": float, "value": float})
    table = add_intervals(table, catalogue)
    # as the engine: a measure with no sampling model (a ratio, a median of counts) has no interval
    no_model = ~table["indicator_id"].map(cat["method"]).isin(["proportion", "rate", "count"])
    table.loc[no_model, ["lower_95", "upper_95", "lower_998", "upper_998"]] = np.nan
    table["source"] = "case_level"
    return table


def _every_quarter(iid, numbers):
    """``numbers``: council -> (numerator, denominator), the same in every quarter."""
    return [(iid, code, q, n, d) for code, (n, d) in numbers.items() for q in QUARTERS]


BIG = {HOME: (40, 60), "E06000002": (50, 70), "E06000003": (30, 50), "E06000004": (45, 80)}


def _ctx(tmp_path, table, *, settings=None, suppress=True) -> RunContext:
    settings = settings if settings is not None else load_settings()
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return RunContext(
        data_dir=tmp_path, authority=HOME, period="2024-25 Q4", group="test", output_dir=out,
        cache_dir=tmp_path / "cache", suppress=suppress, settings_path=None, banner=None, metadata={},
        settings=settings, catalogue=settings.catalogue(), indicators=table, neighbours=list(NEIGHBOURS),
        scheme="test", names=NAMES)


def _spy(monkeypatch, module, name, keyword, seen):
    """Record ``keyword`` of every call of ``module.name`` in ``seen`` (the call goes ahead)."""
    real = getattr(module, name)

    def spy(*args, **kwargs):
        value = kwargs[keyword]
        seen.append(list(value) if isinstance(value, pd.Series) else value)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)


@pytest.fixture
def shown(monkeypatch):
    """What the sections display: the Markdown texts, in order."""
    texts = []
    monkeypatch.setattr(sections, "display", lambda obj: texts.append(getattr(obj, "data", obj)))
    return texts


def _figures(ctx) -> dict[str, str]:
    """name -> alt text of every figure published so far."""
    return {f["name"]: f["alt"] for f in export.read_manifest(ctx.output_dir)["figures"]}


# ------------------------------------------------------------------------- the target rule


def test_target_rule_settings_over_catalogue():
    cat = load_catalogue()
    # E3 has the catalogue's default target 95 (a local standard); C3 1; W5 none
    assert resolve_target("E3", cat) == 95.0
    assert resolve_target("C3", cat) == 1.0
    assert resolve_target("W5", cat) is None
    # a council's [targets] wins over the catalogue, and gives one where the catalogue has none
    assert resolve_target("E3", cat, {"E3": 90}) == 90.0
    assert resolve_target("W5", cat, {"W5": 80.5}) == 80.5
    assert resolve_target("C3", cat, {"W5": 80.5}) == 1.0
    # an id the catalogue does not know has no target
    assert resolve_target("NOT_AN_ID", cat) is None


def test_settings_targets_reach_the_catalogue_and_the_summary():
    settings = load_settings({"targets": {"E3": 90, "W5": 80.5}})
    cat = settings.catalogue().set_index("indicator_id")
    assert cat.loc["E3", "target"] == 90.0 and cat.loc["W5", "target"] == 80.5 and cat.loc["C3", "target"] == 1.0
    # the summary's SPC reading takes the same targets from the settings
    ind = _table(_every_quarter("W5", {HOME: (40, 60)}) + _every_quarter("E3", {HOME: (90, 100)}))
    got = rp.spc_by_indicator(ind, HOME, "2024-25 Q4", load_catalogue(), settings=settings)
    assert got.set_index("indicator_id")["target"].to_dict() == {"W5": 80.5, "E3": 90.0}


def test_spc_chart_is_read_against_the_resolved_target(tmp_path, shown, monkeypatch):
    seen = []
    _spy(monkeypatch, spc, "xmr", "target", seen)
    rows = _every_quarter("W5", BIG) + _every_quarter("E3", {c: (90, 100) for c in BIG})
    ctx = _ctx(tmp_path, _table(rows), settings=load_settings({"targets": {"W5": 80.5}}))
    sections.indicator_panel(ctx, "W5", "waiting")  # settings' target
    sections.indicator_panel(ctx, "E3", "equipment")  # catalogue's default target
    assert seen == [80.5, 95.0]


# ------------------------------------------------------------------------- funnel rule


@pytest.mark.parametrize("method, with_denominator, drawn", [
    ("proportion", 4, True), ("proportion", 3, True), ("proportion", 2, False),
    ("rate", 3, True), ("rate", 2, False),
    ("mean", 4, False), ("median", 4, False), ("count", 4, False), ("ratio", 4, False),
])
def test_funnel_applies(method, with_denominator, drawn):
    den = [50.0] * with_denominator + [0.0] * (4 - with_denominator)
    rows = pd.DataFrame({"authority_code": [HOME, *NEIGHBOURS], "numerator": [10.0] * 4, "denominator": den,
                         "value": [20.0] * 4})
    assert sections.funnel_applies(rows, method) is drawn


def test_funnel_needs_a_figure_and_ignores_missing_denominators():
    rows = pd.DataFrame({"authority_code": [HOME, *NEIGHBOURS], "numerator": [10.0, 10, 10, 10],
                         "denominator": [50.0, 50, np.nan, -1], "value": [20.0, 20, np.nan, np.nan]})
    assert not sections.funnel_applies(rows, "proportion")  # 2 councils with a denominator above 0
    rows["value"] = np.nan
    rows["denominator"] = 50.0
    assert not sections.funnel_applies(rows, "proportion")  # denominators but no figure at all


def test_panel_draws_all_three_with_the_published_names_and_alt_texts(tmp_path, shown):
    ctx = _ctx(tmp_path, _table(_every_quarter("W5", BIG)))
    sections.indicator_panel(ctx, "W5", "waiting", "First assessments completed in the quarter")
    name = "Assessed within priority target"
    assert load_catalogue().set_index("indicator_id").loc["W5", "name"] == name
    # Ashby 40 of 60 against the pooled 165 of 260 = 63.5%: its Wilson interval (54.1%, 77.3%)
    # contains it, and the group is not over-dispersed (φ = 0.75): similar, judged by the interval.
    # The comparator chart and the funnel plot say so in their alternative texts, as in the figures.
    verdict = ("Compared with the group: Ashby is similar to comparator councils, judged by its 95% "
               "confidence interval against the group figure.")
    assert _figures(ctx) == {
        "waiting_comparator": f"{name} for Ashby and its comparator councils, 2024-25 Q4, with 95% confidence "
                              f"intervals. {verdict}",
        "waiting_funnel": f"Funnel plot of {name.lower()} against council size, 2024-25 Q4. {verdict}",
        # the SPC chart's alt text states its reading, as the sentence under it does
        "waiting_spc": f"Statistical process control chart of {name.lower()} for Ashby. The latest quarter is "
                       "within the range expected from normal variation; no quarter on the chart stands out "
                       "(provisional: only 4 quarters of data).",
    }
    assert not any("not shown" in t or "Too few" in t for t in shown if isinstance(t, str))


def test_no_funnel_with_two_councils_with_a_denominator(tmp_path, shown):
    numbers = {HOME: (40, 60), "E06000002": (50, 70), "E06000003": (0, 0), "E06000004": (0, 0)}
    ctx = _ctx(tmp_path, _table(_every_quarter("W5", numbers)))
    sections.indicator_panel(ctx, "W5", "waiting")
    assert set(_figures(ctx)) == {"waiting_comparator", "waiting_spc"}
    # the quarterly report says nothing about a funnel it does not draw; the deep dive says why
    sections.funnel(ctx, "W5")
    assert shown[-1] == "_A funnel plot needs a percentage or a rate with a denominator; this measure has none._"
    assert "funnel" not in _figures(ctx)


def test_no_funnel_for_a_ratio_and_its_chart_says_it_has_no_intervals(tmp_path, shown, monkeypatch):
    footnotes = []
    _spy(monkeypatch, plots, "comparator_chart", "footnote", footnotes)
    rows = _every_quarter("U1_direct", {c: (50_000, 200) for c in BIG}) + _every_quarter("W5", BIG)
    ctx = _ctx(tmp_path, _table(rows))
    sections.indicator_panel(ctx, "U1_direct", "costs")
    sections.indicator_panel(ctx, "W5", "waiting")
    assert set(_figures(ctx)) == {"costs_comparator", "costs_spc", "waiting_comparator", "waiting_funnel", "waiting_spc"}
    # U1_direct: every council £250 per assessment, so the group median is £250 and the spread 0:
    # distance 0 (within 0.5: the band "broadly similar"), similar, judged by the robust distance;
    # W5 as in the test above
    assert footnotes == [
        ["No confidence intervals: this measure has no sampling model.",
         "Compared with the group: Ashby is similar to comparator councils, judged by its distance from the "
         "group median (at the median; band: broadly similar)."],
        ["Compared with the group: Ashby is similar to comparator councils, judged by its 95% confidence "
         "interval against the group figure."]]


def test_no_figures_when_no_council_has_one(tmp_path, shown):
    numbers = {c: (np.nan, np.nan) for c in BIG}
    # the council has another waiting figure (W1), so the waiting part is in the report; W5 has none
    ctx = _ctx(tmp_path, _table(_every_quarter("W5", numbers) + _every_quarter("W1", {HOME: (30, None)})))
    sections.indicator_panel(ctx, "W5", "waiting")
    assert _figures(ctx) == {}
    # nobody has a figure, so there is nothing to compare with: no comparator chart, and no
    # sentence about one; the trend says why it is missing
    assert shown == ["_Too few quarters of assessed within priority target to show a trend._"]
    sections.comparator_figure(ctx, "W5", "w", alt="x")  # called directly, the chart says why it is missing
    assert shown[-1] == "_No council in the group has a figure for assessed within priority target in 2024-25 Q4._"


# ------------------------------------------------------------------------- SPC rule


def test_spc_withheld_reasons():
    four = pd.DataFrame({"authority_code": HOME, "period": QUARTERS, "value": [60.0, 61, 59, 60]})
    assert sections.spc_withheld(four, four) is None
    published = four.astype({"value": object})
    published.loc[2, "value"] = "[c]"
    assert sections.spc_withheld(four, published) == "small_numbers"
    assert sections.spc_withheld(four.iloc[:1], four.iloc[:1]) == "too_few"
    # the run's quarter has no figure: the chart would end a quarter early and be read as this one
    assert sections.spc_withheld(four.iloc[:3], four.iloc[:3], "2024-25 Q4") == "no_figure"
    assert sections.spc_withheld(four, four, "2024-25 Q4") is None
    assert sections.spc_withheld(four.iloc[:0], four.iloc[:0]) == "too_few"


def test_spc_withheld_when_a_quarter_rests_on_small_numbers(tmp_path, shown):
    rows = _every_quarter("W5", BIG)
    rows = [(i, c, q, 3, 4) if (c, q) == (HOME, "2024-25 Q2") else (i, c, q, n, d) for i, c, q, n, d in rows]
    ctx = _ctx(tmp_path, _table(rows))
    sections.indicator_panel(ctx, "W5", "waiting")
    assert "waiting_spc" not in _figures(ctx)
    assert shown[-1] == ("_The trend in assessed within priority target is not shown because some quarters "
                         "rest on fewer than 5 cases._")
    # the deep dive says the same in its own words
    sections.own_trend(ctx, "W5")
    assert shown[-1] == "_The trend is not shown because some quarters rest on fewer than 5 cases._"
    # analyst-only output hides nothing, so the chart is drawn
    (tmp_path / "analyst").mkdir()
    analyst = _ctx(tmp_path / "analyst", _table(rows), suppress=False)
    sections.indicator_panel(analyst, "W5", "waiting")
    assert "waiting_spc" in _figures(analyst)


def test_spc_withheld_with_one_quarter(tmp_path, shown):
    rows = [("W5", c, "2024-25 Q4", n, d) for c, (n, d) in BIG.items()]
    ctx = _ctx(tmp_path, _table(rows))
    sections.indicator_panel(ctx, "W5", "waiting")
    assert set(_figures(ctx)) == {"waiting_comparator", "waiting_funnel"}
    assert shown[-1] == "_Too few quarters of assessed within priority target to show a trend._"
    sections.own_trend(ctx, "W5")
    assert shown[-1] == "_Too few quarters to show a trend._"


def test_spc_rebased_at_the_councils_known_change_and_says_so(tmp_path, shown, monkeypatch):
    seen = []
    _spy(monkeypatch, spc, "xmr", "rebase", seen)
    settings = load_settings({"spc": {"changes": [
        {"authority": HOME, "period": "2024-25 Q3", "note": "new posts", "indicators": ["W"]}]}})
    rows = _every_quarter("W5", BIG) + _every_quarter("E1", BIG)
    ctx = _ctx(tmp_path, _table(rows), settings=settings)
    sections.indicator_panel(ctx, "W5", "waiting")
    assert seen == [["2024-25 Q3"]]
    assert "new posts" in shown[-1]
    sections.indicator_panel(ctx, "E1", "equipment")  # equipment is not named by the change
    assert seen[-1] == []
    assert "new posts" not in shown[-1]


# ------------------------------------------------------------------------- other sections


def test_title_and_settings_used(tmp_path, shown):
    settings = load_settings({"spc": {"changes": [{"authority": HOME, "period": "2024-25 Q2", "note": "restructure"}]}})
    ctx = _ctx(tmp_path, _table(_every_quarter("W5", BIG)), settings=settings)
    sections.title(ctx)
    sections.settings_used(ctx)
    assert shown == [
        "# Occupational therapy benchmarking report: Ashby\n\n"
        "**Quarter:** 2024-25 Q4 (1 January 2025 to 31 March 2025)  \n"
        "**Compared with:** 3 similar councils (test comparator group)  \n"
        "**Small numbers:** counts of 1 to 4, and rates built on them, are shown as [c]",
        "**Settings used.** Priority targets (days from referral to first assessment, local standard): "
        "urgent 7, high 28, medium 84, low 182. **Known changes** (SPC limits re-based from the quarter shown): "
        "2024-25 Q2, restructure.",
    ]


def test_local_indicators_only_when_the_council_has_some(tmp_path, shown):
    ctx = _ctx(tmp_path, _table(_every_quarter("W5", BIG)))
    sections.local_indicators(ctx)
    assert shown == [] and _figures(ctx) == {}

    local = tmp_path / "local.csv"
    local.write_text(
        "indicator_id,name,family,unit,multiplier,polarity,method,definition,target,target_local_standard,caveat,kind\n"
        "L1_calls,Calls answered,local,%,100,higher_is_better,proportion,Calls answered within a day.,,false,,flow\n",
        encoding="utf-8")
    settings = load_settings({"local_catalogue": str(local)})
    table = _table(_every_quarter("W5", BIG) + _every_quarter("L1_calls", BIG), settings.catalogue())
    ctx = _ctx(tmp_path, table, settings=settings)
    sections.local_indicators(ctx)
    assert shown[0].startswith("## Local indicators\n\n")
    assert "### Calls answered\n\nCalls answered within a day." in shown
    assert set(_figures(ctx)) == {"local1_comparator", "local1_funnel", "local1_spc"}


def test_sections_return_nothing(tmp_path, shown):
    # a notebook cell ending with a section must print nothing of its own into the report
    ctx = _ctx(tmp_path, _table(_every_quarter("W5", BIG)))
    assert sections.title(ctx) is None
    assert sections.indicator_panel(ctx, "W5", "waiting") is None
    assert sections.summary(ctx) is None


# ------------------------------------------------------------------------- nothing to compare with


def _only_home(tmp_path, neighbours=NEIGHBOURS, suppress=True):
    """A folder holding only the home council's figures (its group names three councils)."""
    ctx = _ctx(tmp_path, _table(_every_quarter("W5", {HOME: (40, 60)}) + _every_quarter("C3", {HOME: (90, 100)})),
               suppress=suppress)
    ctx.neighbours = list(neighbours)
    return ctx


@pytest.mark.parametrize("neighbours, why", [
    (NEIGHBOURS, "none of the 3 councils of the test comparator group supplied figures for 2024-25 Q4"),
    ([], "no comparator group was chosen"),
])
def test_with_no_comparator_data_the_report_shows_trends_only(tmp_path, shown, neighbours, why):
    ctx = _only_home(tmp_path, neighbours)
    assert ctx.compare_mode == "none" and ctx.comparators_with_data == []
    sections.title(ctx)
    assert f"**Compared with:** no other council ({why}): this report shows the council's own figures and " \
           "trends only" in shown[-1]
    assert "similar councils" not in shown[-1]
    sections.summary(ctx)
    summary = pd.read_csv(ctx.output_dir / "tables" / "summary.csv")
    # no comparator columns at all (not a column of "-"), no rank
    assert list(summary.columns) == ["Id", "Indicator", "This council", "Latest quarter (SPC)",
                                     "Target assurance (SPC)", "Target"]
    assert shown[-2] == sections._trends_only(ctx)
    sections.family(ctx, "W")
    assert "ranked" not in shown[-1] and "comparator councils" not in shown[-1] and "not compared" not in shown[-1]
    sections.indicator_panel(ctx, "W5", "waiting")
    assert set(_figures(ctx)) == {"waiting_spc"}  # no comparator chart, no funnel
    sections.ranked(ctx, "W5")
    assert shown[-1] == sections._trends_only(ctx)
    sections.funnel(ctx, "W5")
    sections.quartiles(ctx, "W5")
    sections.group_values(ctx, "W5")
    sections.indicator_title(ctx, "W5")
    assert "1st of 1" not in shown[-1] and "no other council" in shown[-2]
    assert set(_figures(ctx)) == {"waiting_spc"}


def test_some_comparators_missing_says_how_many_supplied_figures(tmp_path, shown):
    numbers = {HOME: (40, 60), "E06000002": (50, 70)}  # of its three comparators only one has figures
    ctx = _ctx(tmp_path, _table(_every_quarter("W5", numbers)))
    assert ctx.compare_mode == "partial" and ctx.comparators_with_data == ["E06000002"]
    sections.title(ctx)
    assert ("**Compared with:** the 1 of 3 councils of the test comparator group that supplied figures for "
            "2024-25 Q4") in shown[-1]
    sections.summary(ctx)
    summary = pd.read_csv(ctx.output_dir / "tables" / "summary.csv").set_index("Id")
    # the group figure says what it is: 90 of 130 pooled over the two councils with figures
    assert summary.loc["W5", "What the group figure is"] == "pooled figure of 2 councils (this council included)"
    assert summary.loc["W5", "Comparator group"] == "69.2%"


def test_no_spc_chart_or_reading_when_the_quarter_has_no_figure(tmp_path, shown):
    rows = [r for r in _every_quarter("W5", BIG) if not (r[1] == HOME and r[2] == "2024-25 Q4")]
    rows.append(("W5", HOME, "2024-25 Q4", 0, 0))  # no assessments: no figure this quarter
    ctx = _ctx(tmp_path, _table(rows))
    sections.indicator_panel(ctx, "W5", "waiting")
    assert "waiting_spc" not in _figures(ctx)
    assert shown[-1] == "_There is no figure for 2024-25 Q4, so no trend reading is given for this quarter._"


def test_a_comparator_chart_of_a_count_draws_no_group_line_and_says_why(tmp_path, shown, monkeypatch):
    seen = []
    _spy(monkeypatch, plots, "comparator_chart", "comparator_value", seen)
    footnotes = []
    _spy(monkeypatch, plots, "comparator_chart", "footnote", footnotes)
    ctx = _ctx(tmp_path, _table(_every_quarter("W1", {c: (n, None) for c, (n, _) in BIG.items()})))
    sections.comparator_figure(ctx, "W1", "w1", alt="People waiting")
    assert seen == [None]  # no group median of counts to measure a bigger council against
    assert footnotes[0][-1] == (sections.TOTAL_NOTE + " Compared per 10,000 adults as people waiting per "
                                "10,000 adults.")
