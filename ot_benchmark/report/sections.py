"""The sections of a report page: each takes the run's context and shows one part of the page.

A report notebook is a page of words (its markdown cells) and one-line calls to these
functions. Everything that decides what a reader sees lives here, not in a notebook: which
charts appear and what is said instead when one cannot be drawn, the thresholds behind those
decisions, the target an SPC chart is read against, and the names and alternative texts under
which figures and tables are published. Each section displays its output (words as Markdown,
figures and tables through :mod:`ot_benchmark.report.export`, which also publishes them) and
returns None, so a cell ending with a call prints nothing else.

Every section takes the :class:`~ot_benchmark.report.context.RunContext` the guard cell
returned and reads only from it: nothing here re-reads the settings, reloads the indicator
table or re-resolves the comparator group. Every string from the data folder, the settings or
a local catalogue (council names, indicator names and definitions, known-change notes) goes into
the page's Markdown through :func:`ot_benchmark.report.safe.md`, and every table through
:func:`ot_benchmark.report.tables.styled` (HTML-escaped), so none can become markup.

The rules (tested on their own in tests/test_sections.py)

* :func:`funnel_applies` — a funnel plot is drawn for a percentage or a rate only, when at least
  :data:`FUNNEL_MIN_COUNCILS` councils of the group have a denominator.
* :func:`spc_withheld` — a council's SPC chart is withheld, with the reason said, when it has
  fewer than :data:`SPC_MIN_QUARTERS` quarters, a quarter rests on small numbers, or the run's
  quarter has no figure (a reading of an earlier quarter is never given as this one's).
* :func:`comparator_footnote` — which comparator charts say they show no intervals.
* The target of an SPC chart: :func:`ot_benchmark.catalogue.resolve_target`.
* :func:`family_has_figures` — a family of measures the council has no figures for (up to the
  run's period) is left out of the report whole: no heading (:func:`heading`), no sentences, no
  panels, so no entry in the contents list.
* The periods are named in the words of their kind (``ctx.words``,
  :func:`ot_benchmark.periods.period_words`): a report of financial years says "Year",
  "year by year", "seven years in a row".
* :func:`group_name` — the comparator group as a reader reads it: a built-in scheme by its name,
  a group file by its file name in words (``groups/peer_group.csv`` -> "peer group"), never a path.
* England's figure (the data folder's ``reference_lines.csv``) is drawn on comparator and trend
  charts as a dotted line labelled "England", and said in their captions and alternative texts.

Sections

* quarterly report: :func:`title`, :func:`heading`, :func:`summary`, :func:`family`, :func:`indicator_panel`,
  :func:`local_indicators`, :func:`about` (:func:`definitions`, :func:`settings_used`);
* one indicator in depth: :func:`indicator_title`, :func:`ranked`, :func:`funnel`,
  :func:`quartiles`, :func:`group_values`, :func:`own_trend`, :func:`trend_against_group`;
* the waiting list: :func:`waiting_title`, :func:`km_by_priority`, :func:`wait_bands`,
  :func:`flows`, :func:`clearing_the_list`;
* data quality: :func:`data_quality_title`, :func:`rejects`, :func:`completeness`,
  :func:`missing_values`.

The panels the quarterly report and the deep dive share: :func:`comparator_figure`,
:func:`funnel_figure`, :func:`spc_figure`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Mapping

import pandas as pd
from IPython.display import HTML, Markdown, display

from ot_benchmark.catalogue import resolve_target
from ot_benchmark.compare.benchmark import trend as group_trend
from ot_benchmark.compare.benchmark import is_total
from ot_benchmark.compare.capacity import capacity_scenarios
from ot_benchmark.indicators.waiting import PER_POPULATION
from ot_benchmark.errors import OTBenchmarkError
from ot_benchmark.io.reference import BUILT_IN_GROUPS, group_label
from ot_benchmark.periods import parse_period
from ot_benchmark.report import disclosure, export, messages, narrative, plots, safe, signs, tables
from ot_benchmark.report.parts import FAMILY_PARTS, PARTS, pack_title
from ot_benchmark.stats import funnel as funnel_stats
from ot_benchmark.stats import spc

__all__ = [
    "FUNNEL_METHODS",
    "FUNNEL_MIN_COUNCILS",
    "SPC_MIN_QUARTERS",
    "INTERVAL_METHODS",
    "NO_INTERVALS_NOTE",
    "funnel_applies",
    "spc_withheld",
    "comparator_footnote",
    "group_rows",
    "own_series",
    "comparator_figure",
    "funnel_figure",
    "widened_tau2",
    "spc_figure",
    "compared_with",
    "group_name",
    "family_has_figures",
    "reference_rows",
    "heading",
    "title",
    "key_messages",
    "summary",
    "family",
    "indicator_panel",
    "local_indicators",
    "definitions",
    "settings_used",
    "about",
    "indicator_title",
    "ranked",
    "funnel",
    "quartiles",
    "group_values",
    "own_trend",
    "trend_against_group",
    "waiting_title",
    "km_by_priority",
    "wait_bands",
    "flows",
    "clearing_the_list",
    "data_quality_title",
    "rejects",
    "completeness",
    "missing_values",
]

# --------------------------------------------------------------------------------------------
# the rules
# --------------------------------------------------------------------------------------------

#: Methods a funnel plot can be drawn for (counts of events over a denominator).
FUNNEL_METHODS = ("proportion", "rate")
#: Councils with a denominator a funnel plot needs.
FUNNEL_MIN_COUNCILS = 3
#: Quarters an SPC chart needs.
SPC_MIN_QUARTERS = 2
#: Methods whose comparator chart shows confidence intervals; the others say they have none.
INTERVAL_METHODS = ("proportion", "rate", "mean", "median")
NO_INTERVALS_NOTE = "No confidence intervals: this measure has no sampling model."
#: What a comparator chart of a total (a count, an amount with no denominator) says instead of a verdict.
TOTAL_NOTE = ("A total grows with the council's size, so bigger councils have more: it is not compared "
              "with other councils.")
#: How far the funnel limits reach beyond the smallest and the largest council.
_FUNNEL_REACH = (0.8, 1.1)


def funnel_applies(rows: pd.DataFrame, method: str) -> bool:
    """Whether a funnel plot of one indicator can be drawn.

    Only for a proportion or a rate, when some council has a figure and at least
    :data:`FUNNEL_MIN_COUNCILS` councils have a denominator above 0.

    Parameters
    ----------
    rows : DataFrame
        The group's rows for the indicator and quarter (:func:`group_rows`).
    method : str
        The catalogue method.
    """
    if method not in FUNNEL_METHODS or not plots.has_values(rows):
        return False
    with_denominator = pd.to_numeric(rows["denominator"], errors="coerce").gt(0).sum()
    return int(with_denominator) >= FUNNEL_MIN_COUNCILS


def spc_withheld(series: pd.DataFrame, published: pd.DataFrame, period: str | None = None) -> str | None:
    """Why a council's SPC chart is not drawn, or None when it is.

    An SPC chart cannot leave one point out, so it is withheld whole.

    Parameters
    ----------
    series : DataFrame
        The council's quarters with a figure (:func:`own_series`).
    published : DataFrame
        The same rows as published (small numbers ``[c]``; the rows themselves when the run is
        not suppressed).
    period : str, optional
        The run's quarter: a chart whose last figure is of an earlier quarter is not read as if
        it were this one's.

    Returns
    -------
    str or None
        ``"too_few"`` (fewer than :data:`SPC_MIN_QUARTERS` quarters), ``"small_numbers"`` (a
        quarter is suppressed), ``"no_figure"`` (no figure in ``period``), or None.
    """
    if len(series) < SPC_MIN_QUARTERS:
        return "too_few"
    if plots.suppressed_codes(published):
        return "small_numbers"
    if period is not None and str(series["period"].iloc[-1]) != str(period):
        return "no_figure"
    return None


def comparator_footnote(method: str) -> str | None:
    """The comparator chart's footnote: :data:`NO_INTERVALS_NOTE` for a method outside
    :data:`INTERVAL_METHODS`, else none."""
    return None if method in INTERVAL_METHODS else NO_INTERVALS_NOTE


# --------------------------------------------------------------------------------------------
# what the panels read
# --------------------------------------------------------------------------------------------


def _show(*parts: str | None) -> None:
    """Display the non-empty parts as one Markdown output (nothing when all are empty)."""
    text = "\n\n".join(p for p in parts if p)
    if text:
        display(Markdown(text))


def _meta(ctx, indicator_id: str) -> pd.Series:
    return ctx.cat.loc[indicator_id]


def _published(ctx, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows as the run publishes them (indicator-table or benchmark rows): the marks of the
    run's one suppression of the whole table (``ctx.published``,
    :func:`ot_benchmark.report.disclosure.as_published`), and the group's pooled figure of a
    benchmark row when it rests on small numbers; the rows themselves when the run is
    analyst-only."""
    if not ctx.suppress:
        return rows
    out = disclosure.as_published(rows, ctx.published, catalogue=ctx.catalogue)
    comparator = disclosure.comparator_suppression_mask(out, catalogue=ctx.catalogue)
    out = out if comparator is None else disclosure.apply_mask(out, comparator)
    return disclosure.mark_published(out.copy(deep=False))


#: The comparison columns of a benchmark row: what a run with nobody to compare with leaves out.
_COMPARISON_COLUMNS = ("verdict", "verdict_basis", "assessment", "comparison", "fingertips_label", "rank",
                       "n_in_group", "comparator_value", "comparator_method", "n_comparators")


def _compared(ctx, rows: pd.DataFrame) -> pd.DataFrame:
    """Benchmark rows for sentences: without their comparison columns when nobody supplied
    figures (no "not compared", no "ranked 1st of 1"), as they are otherwise."""
    if ctx.compare_mode != "none":
        return rows
    return rows.drop(columns=[c for c in _COMPARISON_COLUMNS if c in rows.columns])


def _bench_row(ctx, indicator_id: str) -> pd.DataFrame:
    """The council's benchmark row of one indicator (no rows when it has none)."""
    b = ctx.bench
    return b[(b["indicator_id"] == indicator_id) & (b["breakdown"] == "all")]


def group_rows(ctx, indicator_id: str) -> pd.DataFrame:
    """The council's and its comparators' rows of one indicator in the run's quarter."""
    return plots.indicator_rows(ctx.indicators, indicator_id, period=ctx.period,
                                authorities=ctx.group_codes, names=ctx.names)


def own_series(ctx, indicator_id: str) -> pd.DataFrame:
    """The council's quarters of one indicator up to the run's quarter (those with a figure)."""
    return plots.indicator_rows(ctx.indicators, indicator_id, authorities=[ctx.authority], upto=ctx.period)


def _own_rows(ctx) -> pd.DataFrame:
    """All the council's indicator rows, numbered afresh (as the cache's slice of one council is)."""
    ind = ctx.indicators
    return ind[ind["authority_code"] == ctx.authority].reset_index(drop=True)


def _own_upto(ctx) -> pd.DataFrame:
    """All the council's indicator rows up to the run's quarter."""
    own = _own_rows(ctx)
    return own[own["period"] <= ctx.period]


def family_has_figures(ctx, family_letter: str) -> bool:
    """Whether the council has a figure (a number, published or withheld) for any measure of a
    catalogue family in any period up to the run's. A family without one is left out of the
    report whole (:func:`heading`, :func:`family`, :func:`indicator_panel` show nothing)."""
    cat = ctx.catalogue
    ids = set(cat.loc[cat["family"] == family_letter, "indicator_id"])
    own = _own_upto(ctx)
    own = own[own["indicator_id"].isin(ids)]
    return bool(pd.to_numeric(own["value"], errors="coerce").notna().any())


def reference_rows(ctx, indicator_id: str, period: str | None = None) -> pd.DataFrame:
    """The reference lines' figures (England's) for one indicator: in ``period``, or in every
    period up to the run's; ``area_name``, ``period``, ``value``. No rows when the data folder
    has none."""
    ref = ctx.reference_lines
    if not len(ref):
        return ref
    ref = ref[(ref["indicator_id"] == indicator_id) & pd.to_numeric(ref["value"], errors="coerce").notna()]
    kind = ctx.period_obj.kind
    ref = ref[[parse_period(p).kind == kind for p in ref["period"]]]  # the run's kind of period only
    if period is not None:
        return ref[ref["period"] == str(period)].reset_index(drop=True)
    return ref[[parse_period(p) <= ctx.period_obj for p in ref["period"]]].reset_index(drop=True)


def _reference_note(ctx, refs: pd.DataFrame, meta: pd.Series) -> str:
    """What a chart's dotted reference lines are, for its caption and alternative text:
    ``"Dotted line: England's figure, 61.4%."``; ``""`` when there is none."""
    if not len(refs):
        return ""
    parts = []
    for area, rows in refs.groupby("area_name", sort=False):
        if len(rows) == 1:
            parts.append(f"{safe.md(area)}'s figure, "
                         f"{narrative.format_value(rows['value'].iloc[0], meta['unit'], decimals=meta.get('decimals'))}")
        else:
            parts.append(f"{safe.md(area)}'s figure {ctx.words.by}, latest "
                         f"{narrative.format_value(rows['value'].iloc[-1], meta['unit'], decimals=meta.get('decimals'))} "
                         f"in {rows['period'].iloc[-1]}")
    return f"Dotted line{'s' if len(parts) > 1 else ''}: " + "; ".join(parts) + " (for reference, not a council of the group)."


def _has_intervals(rows: pd.DataFrame) -> bool:
    """Whether any row has a 95% interval to draw."""
    return all(c in rows for c in ("lower_95", "upper_95")) and bool(
        (pd.to_numeric(rows["lower_95"], errors="coerce").notna()
         & pd.to_numeric(rows["upper_95"], errors="coerce").notna()).any())


def _styled_table(ctx, table: pd.DataFrame, name: str, **how) -> pd.DataFrame:
    """Publish a table (suppressed as the run says) and show what was published."""
    shown = export.save_table(table, name, ctx.output_dir, suppress=ctx.suppress, **how)
    display(tables.styled(shown))
    return shown


# --------------------------------------------------------------------------------------------
# the panels the reports share
# --------------------------------------------------------------------------------------------


def _caption(ctx, lead: pd.DataFrame) -> str:
    """The chart caption stating the figure's one verdict (as the summary and the sentences
    state it), or ``""``."""
    if not len(lead):
        return ""
    return narrative.verdict_caption(_published(ctx, lead).iloc[0], council=ctx.council, suppress=ctx.suppress,
                                     catalogue=ctx.catalogue)


def _with_caption(alt: str, caption: str) -> str:
    return f"{alt}. {caption}" if caption else alt


def comparator_figure(ctx, indicator_id: str, name: str, *, alt: str) -> None:
    """Every council of the group with its interval, sorted (figure ``name``), captioned with
    the council's verdict; or a sentence saying no council has a figure."""
    meta = _meta(ctx, indicator_id)
    rows = group_rows(ctx, indicator_id)
    if not plots.has_values(rows):
        _show(f"_No council in the group has a figure for {safe.md(meta['name'].lower())} in {ctx.period}._")
        return
    lead = _bench_row(ctx, indicator_id)
    caption = _caption(ctx, lead)
    described = narrative.comparator_description(lead.iloc[0]) if len(lead) else ""
    total = bool(len(lead)) and bool(is_total(lead).iloc[0])
    if total:  # a count grows with the council's size: no group line to measure it against
        caption = TOTAL_NOTE + (" Compared per 10,000 adults as "
                                f"{_meta(ctx, PER_POPULATION[indicator_id])['name'].lower()}."
                                if indicator_id in PER_POPULATION else "")
    refs = reference_rows(ctx, indicator_id, ctx.period)
    if total:  # England's total is no more comparable than the group's
        refs = refs.iloc[:0]
    reference = _reference_note(ctx, refs, meta)
    footnote = [n for n in (comparator_footnote(meta["method"]), caption, reference) if n] or None
    fig = plots.comparator_chart(
        _published(ctx, rows), subject=ctx.authority, title=f"{meta['name']}, {ctx.period}",
        value_label=plots.unit_label(meta["unit"]), polarity=meta["polarity"], method=meta["method"],
        comparator_value=None if total else _published_comparator(ctx, lead),
        comparator_label=f"Group: {described}" if described else "Group figure",
        reference_lines=refs, decimals=_decimals(meta), footnote=footnote, banner=ctx.banner)
    export.save_figure(fig, name, ctx.output_dir, banner=ctx.banner,
                       alt=_with_caption(alt, caption) + (f" {reference}" if reference else ""))


def _decimals(meta: pd.Series) -> int | None:
    """A measure's catalogue ``decimals`` (None when blank: the default)."""
    d = pd.to_numeric(pd.Series([meta.get("decimals")]), errors="coerce").iloc[0]
    return None if pd.isna(d) else int(d)


def _published_comparator(ctx, lead: pd.DataFrame):
    """The group figure as published: None when there is none or it is withheld ([c])."""
    if not len(lead):
        return None
    shown = _published(ctx, lead)["comparator_value"].iloc[0]
    return None if disclosure.is_marked(shown) or pd.isna(shown) else float(shown)


def funnel_figure(ctx, indicator_id: str, name: str, *, denominator_label: str, alt: str,
                  not_shown: str | None = None) -> None:
    """A funnel plot of the group (figure ``name``) with the limits the verdict uses (the plain
    ones, and the widened ones emphasised when the group is over-dispersed: :func:`widened_tau2`),
    captioned with the council's verdict, and whether over-dispersion explains the council's
    position; when :func:`funnel_applies` says no, ``not_shown`` (or nothing)."""
    meta = _meta(ctx, indicator_id)
    rows = group_rows(ctx, indicator_id)
    if not funnel_applies(rows, meta["method"]):
        _show(not_shown)
        return
    valid = rows[rows["denominator"] > 0]
    multiplier = float(meta["multiplier"])
    lead = _bench_row(ctx, indicator_id)
    points, fitted = funnel_stats.funnel_points(valid, "numerator", "denominator", kind=meta["method"],
                                                multiplier=multiplier)
    tau2 = widened_tau2(lead)
    limits = funnel_stats.funnel_limits_curve(
        meta["method"], fitted["average"], valid["denominator"].min() * _FUNNEL_REACH[0],
        valid["denominator"].max() * _FUNNEL_REACH[1], multiplier=multiplier, tau2=tau2)
    caption = _caption(ctx, lead)
    fig = plots.funnel_plot(points, limits, subject=ctx.authority,
                            title=f"{meta['name']} against the size of each council, {ctx.period}",
                            value_label=plots.unit_label(meta["unit"]), denominator_label=denominator_label,
                            hide=plots.suppressed_codes(_published(ctx, rows)), banner=ctx.banner,
                            footnote=caption or None)
    export.save_figure(fig, name, ctx.output_dir, banner=ctx.banner, alt=_with_caption(alt, caption))
    if len(lead):
        _show(narrative.funnel_dispersion_sentence(_published(ctx, lead).iloc[0], council=safe.md(ctx.council),
                                                   suppress=ctx.suppress, catalogue=ctx.catalogue))


def widened_tau2(lead: pd.DataFrame) -> float | None:
    """τ² of the limits a funnel plot adds to the plain ones: the group's when it is
    over-dispersed (φ > 1, τ² > 0: the verdict then rests on the widened limits, which the plot
    draws emphasised, as FunnelPlotR does), else None (plain limits only)."""
    if not len(lead):
        return None
    phi = pd.to_numeric(lead["funnel_phi"], errors="coerce").iloc[0]
    tau2 = pd.to_numeric(lead["funnel_tau2"], errors="coerce").iloc[0]
    return float(tau2) if pd.notna(phi) and phi > 1 and pd.notna(tau2) and tau2 > 0 else None


def spc_figure(ctx, indicator_id: str, name: str, *, alt: str, withheld: Mapping[str, str]) -> None:
    """The council's SPC chart (figure ``name``) against its target, re-based at its known
    changes, and what it says; when :func:`spc_withheld` gives a reason, ``withheld[reason]``."""
    meta = _meta(ctx, indicator_id)
    series = own_series(ctx, indicator_id)
    reason = spc_withheld(series, _published(ctx, series), ctx.period)
    if reason:
        _show(withheld.get(reason) or f"_There is no figure for {ctx.period}, so no trend reading is given "
                                      f"for {ctx.words.this}._")
        return
    fig, sentence, rebase = _spc_reading(ctx, indicator_id, series, f"{meta['name']}, {ctx.council}, {ctx.words.by}")
    # the alt text states what the chart shows, as the words under it do
    export.save_figure(fig, name, ctx.output_dir, banner=ctx.banner, alt=_with_caption(alt, sentence))
    _show(sentence, narrative.spc_rebase_sentence(rebase))


def _spc_reading(ctx, indicator_id: str, series: pd.DataFrame, title: str):
    """One series' SPC chart against the measure's target, re-based at the council's known changes
    (settings ``[spc]``), and its sentence: ``(figure, sentence, rebase)``."""
    meta = _meta(ctx, indicator_id)
    target = resolve_target(indicator_id, ctx.catalogue, ctx.settings.get("targets"))
    rebase = ctx.settings.spc_rebase(ctx.authority, series["period"], indicator_id)
    points, fitted = spc.xmr(series, date_col="period", target=target, rebase=rebase["period"],
                             improvement_direction=tables.improvement_direction(meta["polarity"]))
    fig = plots.spc_chart(points, title=title, value_label=plots.unit_label(meta["unit"]), banner=ctx.banner)
    sentence = narrative.spc_sentence(fitted["variation"], fitted["assurance"], target=target, unit=meta["unit"],
                                      n_points=fitted["n_points"], points=points)
    return fig, sentence, rebase


# --------------------------------------------------------------------------------------------
# the quarterly report
# --------------------------------------------------------------------------------------------


def group_name(ctx) -> str:
    """The comparator group as a reader reads it, never a path: ``"cipfa comparator group"``
    (a listed scheme); ``"all councils in England, 2022-23"``, ``"councils in the North West
    region, 2022-23"`` (the groups of all councils of a kind that existed in the run's period,
    :func:`ot_benchmark.io.reference.group_label`); a group file by its file name in words
    (``groups/peer_group.csv`` -> ``"peer group"``, ``nhs_peers.csv`` -> ``"nhs peers comparator
    group"``)."""
    scheme = str(ctx.scheme)
    if scheme.lower() in BUILT_IN_GROUPS:
        return group_label(ctx.authority, scheme, ctx.period)
    path = Path(scheme)
    if path.suffix.lower() == ".csv" or len(path.parts) > 1:  # a group file: its name in words
        words = " ".join(path.stem.replace("_", " ").replace("-", " ").split()) or "comparator group"
        return safe.md(words if "group" in words.lower().split() else f"{words} comparator group")
    return f"{safe.md(scheme)} comparator group"


def compared_with(ctx) -> str:
    """What the council is compared with, for a report's heading: the group (by
    :func:`group_name`, never a path), the N of M councils of it that supplied figures, or nobody
    (then the report shows trends only)."""
    n, m = len(ctx.comparators_with_data), len(ctx.neighbours)
    name = group_name(ctx)
    whole = str(ctx.scheme).lower() in BUILT_IN_GROUPS  # all councils of a kind, not "similar" ones
    of_group = f"councils ({name})" if whole else f"councils of the {name}"
    if ctx.compare_mode == "none":
        why = ("no comparator group was chosen" if not m
               else f"none of the {m} {of_group} supplied figures for {ctx.period}")
        return f"no other council ({why}): this report shows the council's own figures and trends only"
    if ctx.compare_mode == "partial":
        return f"the {n} of {m} {of_group} that supplied figures for {ctx.period}"
    return f"{m} {'other' if whole else 'similar'} councils ({name})"


def _trends_only(ctx) -> str:
    """What a report with nobody to compare with says instead of comparisons."""
    return (f"_No other council supplied figures for {ctx.words.this}, so there is nothing to compare with: "
            "no group figure, rank, comparator chart or funnel plot, only the council's own trend._")


def title(ctx) -> None:
    """The report's heading: council, period (``Quarter:``, ``Year:`` or ``Month:``, as its kind
    says), what it is compared with, the small-number rule and, for real data whose folder says
    where they come from (``metadata.json``'s ``description``), their source."""
    period = ctx.period_obj
    small_numbers = ("counts of 1 to 4, and rates built on them, are shown as [c]" if ctx.suppress
                     else "**not suppressed: analyst-only output, not for publication**")
    described = ctx.metadata.get("description") if isinstance(ctx.metadata, dict) else None
    source = (f"  \n**Source:** {safe.md(described.strip())}"
              if not ctx.synthetic and isinstance(described, str) and described.strip() else "")
    _show(f"# Occupational therapy benchmarking report: {safe.md(ctx.council)}\n\n"
          f"**{ctx.words.heading}:** {ctx.period} ({period.start:%-d %B %Y} to {period.end:%-d %B %Y})  \n"
          f"**Compared with:** {compared_with(ctx)}  \n"
          f"**Small numbers:** {small_numbers}" + source)


def heading(ctx, part: str) -> None:
    """The heading and introduction of a part of the report (:data:`ot_benchmark.report.parts.PARTS`:
    ``"summary"``, ``"about"``, or a family's letter), in the words of the run's periods
    (:meth:`ot_benchmark.periods.PeriodWords.fill`). A family's part is shown only when the
    council has figures in that family (:func:`family_has_figures`): a family with none is left
    out whole, so the contents list does not name it."""
    if not part_applies(ctx, part):
        return
    _show(ctx.words.fill(PARTS[part]))


def part_applies(ctx, part: str) -> bool:
    """Whether a part of the report has anything to show for the council: a family's part needs
    a figure in that family; the gap a comparator group and a headline measure or unit cost; the
    teams, the Kaplan-Meier curves and the capacity answer the council's own referrals (a folder of
    published returns has none). A part that does not apply has no heading and no contents entry."""
    if part in FAMILY_PARTS:
        return family_has_figures(ctx, part)
    if part == "gap":
        return ctx.compare_mode != "none" and bool(len(_council_rows(ctx, GAP_MEASURES + COST_MEASURES)))
    if part in ("teams", "km", "capacity"):
        try:
            has_referrals = "referrals" in ctx.bundle.tables
        except OTBenchmarkError:  # a table supplied ready-made: its folder is not read again
            has_referrals = False
        if not (has_referrals and family_has_figures(ctx, "W")):
            return False
        if part == "teams":
            pub = ctx.published
            own = pub[(pub["authority_code"] == ctx.authority) & (pub["period"] == ctx.period)]
            return bool(own["breakdown"].astype(str).str.startswith("team:").any())
        if part == "capacity":
            own = _own_rows(ctx)
            return bool(((own["indicator_id"] == "W1") & (own["period"] == ctx.period)).any())
    return True


def data_box(ctx) -> None:
    """The data behind the report (table ``data_coverage``), near the top: for each extract the
    rows received, used and rejected with the main reasons, and the first and last dates it
    covers. A figure resting on a table with rejected rows is named as such in the words."""
    if ctx.rejected_rows is None:  # a table supplied ready-made, with no data folder to re-read
        _show("**The data behind this report.** The indicator table was supplied ready-made; its data "
              "folder could not be re-read to count the rows received, used and rejected.")
        return
    bundle = ctx.bundle
    intake = bundle.intake.set_index("table") if len(bundle.intake) else pd.DataFrame()
    cover = bundle.coverage.set_index("table")
    rejected = ctx.rejected_rows.set_index("table") if len(ctx.rejected_rows) else pd.DataFrame()
    rows = []
    for table in intake.index:
        first, last = (cover.at[table, "from"], cover.at[table, "to"]) if table in cover.index else (pd.NaT, pd.NaT)
        rows.append({
            "extract": table,
            "rows_received": int(intake.at[table, "rows_read"]),
            "rows_used": int(intake.at[table, "rows_accepted"]),
            "rows_rejected": int(intake.at[table, "rows_rejected"]),
            "main_reasons_for_rejection": rejected.at[table, "main_reasons"] if table in rejected.index else "-",
            "first_date": "-" if pd.isna(first) else f"{first:%-d %B %Y}",
            "last_date": "-" if pd.isna(last) else f"{last:%-d %B %Y}",
        })
    table = pd.DataFrame(rows)
    n_rejected = int(table["rows_rejected"].sum()) if len(table) else 0
    words = ("Every row of every extract was checked against the data contract; "
             f"{narrative.count_phrase(n_rejected, suppress=ctx.suppress)} were rejected and are left out of "
             "every figure (the main reasons are below; `ot-benchmark validate` lists every row)." if n_rejected else
             "Every row of every extract was checked against the data contract and none was rejected.")
    # rejected-row counts follow the data-quality page's rule (a small count is [c])
    shown = export.save_table(table, "data_coverage", ctx.output_dir, suppress=ctx.suppress, counts=["rows_rejected"])
    _show("**The data behind this report.** " + words + _pack_links(ctx))
    display(tables.styled(shown))


def _pack_links(ctx) -> str:
    """Links to the pages published beside the report (settings ``[report] pack``), in the
    settings' order; empty when the settings list none."""
    links = [f"[the {pack_title(n)} page]({n}.html)" for n in ctx.settings["report"]["pack"]]
    return " More detail, published with this report: " + ", ".join(links) + "." if links else ""


def key_messages(ctx) -> None:
    """The report's key messages (section "Key messages", table ``key_messages``): three to six
    findings chosen from the published figures by the rule of
    :mod:`ot_benchmark.report.messages` (docs/methods.md, "Key messages"), each with its figure,
    its comparison and its caveat."""
    spc_table = ctx.spc_table
    bench = _published(ctx, ctx.bench)
    if ctx.compare_mode == "none":
        bench = _compared(ctx, bench)
    chosen = messages.key_messages(bench, spc_table, ctx.catalogue, council=ctx.council)
    export.save_table(chosen, "key_messages", ctx.output_dir, suppress=ctx.suppress, counts=[])
    _show("## Key messages", messages.key_messages_markdown(chosen))


#: what the summary's page draws beside its words (tables.summary_table(signs=True))
_SIGN_COLUMNS = ("count", "verdict", "small", "basis_short", "comparator_short", "variation_icon",
                 "variation_key", "assurance_key")


def summary(ctx) -> None:
    """The summary table (table ``summary``): one row per measure, with its SPC reading."""
    spc_table = ctx.spc_table
    compare = ctx.compare_mode != "none"
    table = tables.summary_table(_published(ctx, ctx.bench), spc_table, catalogue=ctx.catalogue,
                                 suppress=ctx.suppress, compare=compare, signs=True)
    if not compare:
        _show(_trends_only(ctx))
    words = [c for c in table.columns if c not in _SIGN_COLUMNS]
    export.save_table(tables.reader_columns(table[words], words=ctx.words), "summary", ctx.output_dir,
                      suppress=ctx.suppress, counts=[])
    display(HTML(signs.summary_html(table, compare=compare, period_word=ctx.words.noun)))


#: The extracts each family's figures rest on (a family whose extract lost rows says so).
FAMILY_EXTRACTS = {"W": ("referrals", "contacts"), "C": ("referrals", "workforce", "vacancies"),
                   "E": ("equipment",), "K": ("complaints",), "U": ("finance", "referrals", "equipment"),
                   "A": ("adaptations",), "O": ("outcomes",), "local": ("returns",)}


def family(ctx, family_letter: str) -> None:
    """A family's sentences (one per measure with a figure) and caveats; when an extract its
    figures rest on had rows rejected, a line saying so. Nothing when the council has no
    figures in the family (:func:`family_has_figures`)."""
    if not family_has_figures(ctx, family_letter):
        return
    _show(tables.family_summary(_compared(ctx, _published(ctx, ctx.bench)), ctx.catalogue, family_letter,
                                previous=_published(ctx, ctx.previous), suppress=ctx.suppress,
                                synthetic=ctx.synthetic, words=ctx.words))
    rejected = ctx.rejected_rows
    lost = [t for t in FAMILY_EXTRACTS.get(family_letter, ()) if rejected is not None and t in set(rejected["table"])]
    if lost:
        _show(f"_These figures rest on the {' and '.join(lost)} extract{'s' if len(lost) > 1 else ''}, "
              "some of whose rows were rejected and are not counted (see \"The data behind this report\" "
              "at the top)._")


def indicator_panel(ctx, indicator_id: str, slug: str,
                    denominator_label: str = "Number counted (the denominator)") -> None:
    """One measure's comparator chart, funnel plot and SPC chart with their words (figures
    ``<slug>_comparator``, ``<slug>_funnel``, ``<slug>_spc``).

    Parameters
    ----------
    indicator_id : str
        Catalogue id.
    slug : str
        Start of the figures' file names (``waiting``, ``workforce``, ...).
    denominator_label : str
        The funnel plot's horizontal axis: what the denominator counts.
    """
    meta = _meta(ctx, indicator_id)
    name, w = meta["name"], ctx.words
    if not family_has_figures(ctx, meta["family"]):  # the family is left out whole
        return
    if ctx.compare_mode != "none":  # with nobody to compare with, the council's own trend only
        intervals = ", with 95% confidence intervals" if _has_intervals(group_rows(ctx, indicator_id)) else ""
        comparator_figure(
            ctx, indicator_id, f"{slug}_comparator",
            alt=f"{name} for {ctx.council} and its comparator councils, {ctx.period}{intervals}")
        funnel_figure(ctx, indicator_id, f"{slug}_funnel", denominator_label=denominator_label,
                      alt=f"Funnel plot of {name.lower()} against council size, {ctx.period}")
    spc_figure(ctx, indicator_id, f"{slug}_spc",
               alt=f"Statistical process control chart of {name.lower()} for {ctx.council}",
               withheld={"too_few": f"_Too few {w.plural} of {safe.md(name.lower())} to show a trend._",
                         "small_numbers": f"_The trend in {safe.md(name.lower())} is not shown because some "
                                          f"{w.plural} rest on {disclosure.FEWER_THAN} cases._"})


def local_indicators(ctx) -> None:
    """The council's own measures (catalogue family ``local``) that have rows this quarter: a
    heading, their sentences and a panel each (figures ``local1_*``, ``local2_*``, ...).
    Nothing when there are none."""
    cat = ctx.catalogue
    ids = [i for i in cat.loc[cat["family"] == "local", "indicator_id"] if i in set(ctx.bench["indicator_id"])]
    if not ids:
        return
    w = ctx.words
    own = _own_rows(ctx)
    own = own[own["indicator_id"].isin(ids) & (own["period"] == ctx.period)]
    if _has_intervals(own) or not len(own):
        treated = ("95% confidence intervals, comparison with the group, rank, and an SPC chart of the council's "
                   f"{w.plural}" if ctx.compare_mode != "none"
                   else f"95% confidence intervals and an SPC chart of the council's {w.plural}")
    else:  # figures published as values only: no interval, compared by the robust distance
        treated = ("comparison with the group by the figure's distance from the group median in median absolute "
                   "deviations (published as values only, these figures have no confidence intervals), rank, and "
                   f"an SPC chart of the council's {w.plural}" if ctx.compare_mode != "none"
                   else f"an SPC chart of the council's {w.plural} (published as values only, these figures have no "
                        "confidence intervals)")
    like = ("the national measures above" if any(family_has_figures(ctx, f) for f in FAMILY_PARTS)
            else "the built-in measures")
    _show("## Local indicators\n\n"
          "Measures this council defined itself (its own indicator catalogue, named in its settings) and "
          f"collected from the councils that supply them. They are treated like {like}: {treated}.")
    family(ctx, "local")
    _show(_local_without_figure(ctx, ids))
    for k, indicator_id in enumerate(ids, start=1):
        meta = _meta(ctx, indicator_id)
        _show(f"### {safe.md(meta['name'])}\n\n{safe.md(meta['definition'])}")
        indicator_panel(ctx, indicator_id, f"local{k}")


def _local_without_figure(ctx, shown: list[str]) -> str:
    """A line naming the council's own measures that have figures in earlier periods but none in
    the run's (``""`` when there are none): a measure is never dropped without a word."""
    cat = ctx.cat
    own = _own_upto(ctx)
    own = own[(own["indicator_id"].map(cat["family"]) == "local") & ~own["indicator_id"].isin(shown)
              & pd.to_numeric(own["value"], errors="coerce").notna()]
    if not len(own):
        return ""
    latest = own.groupby("indicator_id")["period"].agg(lambda p: max(p, key=parse_period))
    listed = "; ".join(f"{safe.md(cat.at[i, 'name'])} (latest figure: {latest[i]})" for i in latest.index)
    return f"_No figure for {ctx.period}, so not shown here: {listed}._"


def definitions(ctx) -> None:
    """The definitions of the measures in the report (table ``definitions``)."""
    cat = ctx.catalogue
    table = cat.loc[cat["indicator_id"].isin(ctx.bench["indicator_id"]),
                    ["indicator_id", "name", "definition", "unit", "target_local_standard"]]
    _styled_table(ctx, table, "definitions", counts=[])


def settings_used(ctx) -> None:
    """The settings behind the figures: priority targets and the council's known changes."""
    changes = ctx.settings.spc_changes(ctx.authority)
    targets = ", ".join(f"{safe.md(k)} {safe.md(v)}" for k, v in ctx.settings.priority_targets().items())
    text = ""
    if family_has_figures(ctx, "W"):  # the priority targets are the waits' (no waits, no targets to state)
        text = f" Priority targets (days from referral to first assessment, local standard): {targets}."
    if not changes.empty:
        listed = "; ".join(f"{safe.md(p)}, {safe.md(n)}" if n else safe.md(p)
                           for p, n in zip(changes["period"], changes["note"]))
        text += f" **Known changes** (SPC limits re-based from the {ctx.words.noun} shown): {listed}."
    if text:
        _show("**Settings used.**" + text)


def about(ctx) -> None:
    """The computed end of "About this report": :func:`definitions`, then :func:`settings_used`."""
    definitions(ctx)
    settings_used(ctx)


# --------------------------------------------------------------------------------------------
# one indicator in depth
# --------------------------------------------------------------------------------------------

_WHICH_WAY = {"higher_is_better": "Higher is better.", "lower_is_better": "Lower is better.",
              "context": "Neither: read it with context."}


def indicator_title(ctx, indicator_id: str) -> None:
    """The deep dive's heading: what the measure is, which way is better, and its sentence."""
    meta = _meta(ctx, indicator_id)
    _show(f"# {safe.md(meta['name'])}: {safe.md(ctx.council)}"
          + (" and similar councils" if ctx.compare_mode != "none" else "") + f", {ctx.period}\n\n"
          f"**What it measures.** {safe.md(meta['definition'])}\n\n"
          f"**Which way is better.** {_WHICH_WAY.get(meta['polarity'], '')}\n\n"
          f"**Compared with:** {compared_with(ctx)}.")
    sentences = narrative.indicator_sentences(_compared(ctx, _published(ctx, _bench_row(ctx, indicator_id))),
                                              ctx.catalogue, previous=_published(ctx, ctx.previous),
                                              suppress=ctx.suppress)
    _show(narrative.family_markdown(None, sentences["sentence"].tolist(),
                                    narrative.caveats([indicator_id], ctx.catalogue, synthetic=ctx.synthetic)))


def ranked(ctx, indicator_id: str) -> None:
    """Every council of the group, ranked (figure ``ranked``)."""
    if ctx.compare_mode == "none":
        _show(_trends_only(ctx))
        return
    name = _meta(ctx, indicator_id)["name"]
    comparator_figure(ctx, indicator_id, "ranked",
                      alt=f"{name} for each council in the comparator group, sorted, with 95% confidence intervals")


def funnel(ctx, indicator_id: str) -> None:
    """The group's funnel plot (figure ``funnel``), or why there is none."""
    if ctx.compare_mode == "none":
        return
    name = _meta(ctx, indicator_id)["name"]
    funnel_figure(ctx, indicator_id, "funnel", denominator_label="Size of the council's figure (the denominator)",
                  alt=f"Funnel plot of {name.lower()} against council size",
                  not_shown="_A funnel plot needs a percentage or a rate with a denominator; this measure has none._")


def quartiles(ctx, indicator_id: str) -> None:
    """The council's quartile and its gap to the best quartile (table ``quartile_gap``)."""
    if ctx.compare_mode == "none":
        return
    _styled_table(ctx, tables.gap_table(_published(ctx, _bench_row(ctx, indicator_id)), suppress=ctx.suppress),
                  "quartile_gap", counts=[])


def group_values(ctx, indicator_id: str) -> None:
    """Every council's published figure (table ``group_values``)."""
    if ctx.compare_mode == "none":
        return
    table = tables.group_table(_published(ctx, group_rows(ctx, indicator_id)), catalogue=ctx.catalogue,
                               subject=ctx.authority)
    _styled_table(ctx, table, "group_values", counts=[])


def own_trend(ctx, indicator_id: str) -> None:
    """The council's SPC chart (figure ``spc``), or why there is none."""
    name, w = _meta(ctx, indicator_id)["name"], ctx.words
    spc_figure(ctx, indicator_id, "spc", alt=f"Statistical process control chart of {name.lower()} for {ctx.council}",
               withheld={"too_few": f"_Too few {w.plural} to show a trend._",
                         "small_numbers": f"_The trend is not shown because some {w.plural} rest on "
                                          f"{disclosure.FEWER_THAN} cases._"})


_TREND_HEADINGS = {"yoy_change": "Change on a year earlier",
                   "group_value": "Comparator group", "difference_from_group": "Difference from the group"}


def trend_against_group(ctx, indicator_id: str) -> None:
    """The council period by period (quarter by quarter, year by year) beside its group and
    England's figure where the data folder has it (figure and table ``trend``), in words."""
    meta, w = _meta(ctx, indicator_id), ctx.words
    upto = ctx.indicators[ctx.indicators["period"] <= ctx.period]
    if not plots.has_values(plots.indicator_rows(upto, indicator_id, authorities=[ctx.authority])):
        _show("_There are no figures for this council to show a trend._")
        return
    group = ctx.neighbours if ctx.compare_mode != "none" else None
    trend = group_trend(upto, ctx.authority, indicator_id, "all", group, catalogue=ctx.catalogue)
    # published values only: a quarter on small numbers, and every change worked out from it, is [c]
    shown_trend = (disclosure.published_trend(trend, ctx.published[ctx.published["authority_code"] == ctx.authority],
                                              catalogue=ctx.catalogue) if ctx.suppress else trend)
    compared = group is not None
    refs = reference_rows(ctx, indicator_id)
    reference = _reference_note(ctx, refs, meta)
    intervals = _has_intervals(shown_trend)
    _show(f"The council's figure {w.by}" + (" beside the comparator group's" if compared else "")
          + f", with the change on {w.before}" + (f" and on the same {w.noun} a year earlier" if w.year_ago else "")
          + (f". A change is called larger than chance only when the two {w.plural}' 95% intervals do not overlap, "
             "a cautious test: a smaller real change can read as \"small enough to be chance\"." if intervals else
             ". These figures have no confidence intervals (published as values only), so no change is called "
             "larger or smaller than chance."))
    fig = plots.trend_chart(shown_trend, title=f"{meta['name']}: {ctx.council}" + (" and similar councils" if compared else "")
                            + f", {w.by}",
                            value_label=plots.unit_label(meta["unit"]), subject_label=ctx.council,
                            group_label="Similar councils (comparator group)", polarity=meta["polarity"],
                            reference_lines=refs, decimals=_decimals(meta), banner=ctx.banner)
    export.save_figure(fig, "trend", ctx.output_dir, banner=ctx.banner,
                       alt=f"{meta['name']} for {ctx.council} {w.by}" + (" with 95% intervals" if intervals else "")
                           + (", beside the comparator group's figure" if compared else "")
                           + (f". {reference}" if reference else ""))
    _show(narrative.trend_sentence(shown_trend, period=ctx.period, unit=meta["unit"], method=meta["method"],
                                   polarity=meta["polarity"], suppress=ctx.suppress), reference)
    # the file carries each period's one verdict, not the interval's comparison beside it
    shown_trend = shown_trend.drop(columns=[c for c in ("comparison", "assessment") if c in shown_trend.columns])
    shown = export.save_table(shown_trend, "trend", ctx.output_dir, suppress=ctx.suppress,
                              sheet_title=f"{meta['name']}: {ctx.council} {w.by}"
                                          + (" against its comparator group" if compared else ""))
    # a financial year's year earlier is the year before: one change column, not two the same
    columns = (["period", "value"] + (["lower_95", "upper_95"] if intervals else [])  # no empty interval columns
               + ["qoq_change"] + (["yoy_change"] if w.year_ago else []))
    if compared:  # each period's one verdict, as the summary states it for the latest period
        columns += ["group_value", "difference_from_group", "verdict"]
    headings = {**_TREND_HEADINGS, "period": w.heading, "qoq_change": f"Change on {w.before}",
                "verdict": "Compared with the group"}
    display(tables.styled(shown[columns].rename(columns=headings)).format(precision=1, na_rep="-", escape="html"))


# --------------------------------------------------------------------------------------------
# the waiting list
# --------------------------------------------------------------------------------------------


def waiting_title(ctx) -> None:
    """The waiting-list report's heading."""
    _show(f"# The waiting list for OT assessment: {safe.md(ctx.council)}, {ctx.period}\n\n"
          "How quickly people are assessed after referral, how long the people still waiting have waited, "
          "what flows onto and off the list each quarter, and what it would take to clear it.\n\n"
          "_Councils define waiting lists and record contacts differently; these figures describe this council's "
          "own list and are not a league table._")


def km_by_priority(ctx) -> None:
    """Kaplan-Meier curves of the last four quarters' referrals by priority (figure
    ``km_by_priority``); a priority with few referrals is left out and the figure says so."""
    if not part_applies(ctx, "km"):
        return
    first = ctx.period_obj.shift(-3)
    cohort = tables.referral_cohort(ctx.bundle["referrals"], ctx.authority, first, ctx.period_obj,
                                    settings=ctx.settings)
    curves = tables.km_curves_by(cohort, "priority")
    counts = cohort.groupby("priority").size()
    too_small = counts[disclosure.primary_mask(counts)].index.tolist() if ctx.suppress else []
    fig = plots.km_curves(curves[~curves["priority"].isin(too_small)],
                          title=f"How quickly people referred {first.label} to {ctx.period} were assessed",
                          targets=ctx.settings.priority_targets(),
                          footnote=(f"Not shown ({disclosure.FEWER_THAN} referrals): {', '.join(too_small)}." if too_small else None),
                          banner=ctx.banner)
    shown = curves[~curves["priority"].isin(too_small)]
    export.save_figure(fig, "km_by_priority", ctx.output_dir, banner=ctx.banner,
                       alt="Kaplan-Meier curves of the share of people still waiting for assessment, by priority. "
                           + _km_finding(shown, order=list(ctx.settings.priority_targets())))


def _capacity_finding(scenarios: pd.DataFrame) -> str:
    """The capacity chart's answers in a few words (its alt text): weeks to clear, then each WTE
    answer at the central rate against the WTE now."""
    words = []
    for r in scenarios.to_dict("records"):
        c = r["central"]
        if r["unit"] == "weeks":
            words.append("Weeks to clear the list at current rates: " + (
                "never (referrals exceed first assessments plus closures)" if math.isinf(c) else f"{c:,.0f}"))
        elif not math.isnan(c):
            words.append(f"{r['quantity'][:1].upper() + r['quantity'][1:]}: {c:,.1f}")
    now = scenarios.loc[scenarios["unit"] == "WTE", "current"]
    if len(now) and not math.isnan(now.iloc[0]):
        words.append(f"OT WTE now: {now.iloc[0]:,.1f}")
    return ". ".join(words) + "." if words else ""


def _km_finding(curves: pd.DataFrame, order=()) -> str:
    """What the curves show, in words: the day by which half of each priority's referrals had been
    assessed (the Kaplan-Meier median), or that more than half were still waiting at the end;
    priorities in ``order`` (most urgent first), then any others."""
    parts = []
    rank = {p: i for i, p in enumerate(order)}
    for priority, g in sorted(curves.groupby("priority", sort=False), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])):
        below = g.loc[g["survival"] <= 0.5, "time"]
        parts.append(f"{priority} {below.iloc[0]:,.0f} day{'' if below.iloc[0] == 1 else 's'}" if len(below) else f"{priority} more than half still waiting")
    return ("Half of the people referred were assessed within: " + "; ".join(parts) + ".") if parts else ""


def wait_bands(ctx) -> None:
    """People waiting at each quarter's end by time waited so far (figure and table ``wait_bands``)."""
    own = _own_upto(ctx)
    shown = _published(ctx, own)
    # suppressed bands ([c]) are drawn empty and flagged
    fig = plots.wait_band_profile(shown[shown["indicator_id"] == "W4b"],
                                  title=f"People waiting at the end of each quarter, by time waited so far: {ctx.council}",
                                  banner=ctx.banner)
    export.save_figure(fig, "wait_bands", ctx.output_dir, banner=ctx.banner,
                       alt="Stacked bars of people waiting by time waited so far, quarter by quarter")
    export.save_table(shown[shown["indicator_id"] == "W4b"], "wait_bands", ctx.output_dir, suppress=ctx.suppress)


def flows(ctx) -> None:
    """Referrals in and people out by quarter (table and figure ``flows``)."""
    # from the published rows: a count hidden anywhere (a small number, or the complement that keeps
    # it from being worked out as referrals - assessments - net change) is [c] here too
    shown = export.save_table(tables.flow_table(_published(ctx, _own_upto(ctx))), "flows", ctx.output_dir,
                              suppress=ctx.suppress, counts=["referrals", "assessments", "closed_unassessed", "waiting"])
    fig = plots.flow_chart(shown,  # suppressed counts ([c]) are not drawn
                           title=f"Referrals in and people out, by quarter: {ctx.council}", banner=ctx.banner)
    export.save_figure(fig, "flows", ctx.output_dir, banner=ctx.banner,
                       alt="Bars of referrals received and people leaving the list, with the list size, by quarter")
    display(tables.styled(shown))


def clearing_the_list(ctx, target_weeks: float, within_weeks: float, *, best_wait_weeks: float | None = None,
                      cost_per_wte: float | None = None) -> None:
    """Capacity scenarios (figure and table ``capacity``) with their assumptions; not published
    when they would reveal a withheld figure: they state the list, and the referrals, assessments
    and closures a week of the quarters they use."""
    scenarios = capacity_scenarios(_own_rows(ctx), ctx.authority, ctx.period, target_weeks=target_weeks,
                                   within_weeks=within_weeks, best_wait_weeks=best_wait_weeks,
                                   cost_per_wte=cost_per_wte)
    waiting_now = scenarios.loc[scenarios["scenario"] == "weeks_to_clear", "current"].iloc[:1]
    if ctx.suppress and disclosure.primary_mask(waiting_now).any():
        _show(f"Fewer than {disclosure.THRESHOLD + 1} people are waiting, so the capacity scenarios "
              "are not published (they would reveal the number).")
        return
    if ctx.suppress and _capacity_inputs_withheld(ctx):
        _show("The capacity scenarios are not published: they are worked out from this quarter's and recent "
              f"quarters' flows, and some of those are withheld {disclosure.SYMBOL} (they rest on {disclosure.FEWER_THAN} "
              "people, or would let such a number be worked out).")
        return
    fig = plots.capacity_chart(scenarios, title=f"What it would take to clear the waiting list: {ctx.council}",
                               banner=ctx.banner)
    export.save_figure(fig, "capacity", ctx.output_dir, banner=ctx.banner,
                       alt="Weeks to clear the waiting list and OT staff needed, with ranges. " + _capacity_finding(scenarios))
    _show("\n".join(f"- **{q[:1].upper() + q[1:]}:** {s}." for q, s in zip(scenarios["quantity"], scenarios["summary"])))
    export.save_table(scenarios.drop(columns=["assumptions"]), "capacity", ctx.output_dir,
                      suppress=ctx.suppress, counts=[])
    # every scenario's assumptions start with the same inputs; then each says its own formula
    common = os.path.commonprefix(list(scenarios["assumptions"]))
    common = common[:common.rfind(". ") + 1] if ". " in common else common
    _show("**Assumptions.** " + common.strip(),
          "\n".join(f"- **{q[:1].upper() + q[1:]}:** {a[len(common):].strip()}"
                    for q, a in zip(scenarios["quantity"], scenarios["assumptions"])))


#: What the capacity scenarios are worked out from (:func:`ot_benchmark.compare.capacity.capacity_scenarios`).
_CAPACITY_INPUTS = ("W1", "W8_referrals", "W8_assessments", "W8_closed_unassessed", "C2")


def _capacity_inputs_withheld(ctx) -> bool:
    """Whether a figure the capacity scenarios state (the list, and the flows a week of the last
    four quarters) is withheld in the published table."""
    first = ctx.period_obj.shift(-3).label
    pub = ctx.published
    rows = pub[(pub["authority_code"] == ctx.authority) & pub["indicator_id"].isin(_CAPACITY_INPUTS)
               & (pub["breakdown"] == "all") & (pub["period"] >= first) & (pub["period"] <= ctx.period)]
    return bool(any(disclosure.is_marked(rows[c]).any() for c in ("numerator", "denominator", "value")))


# --------------------------------------------------------------------------------------------
# the quarterly report's gap, capacity and teams
# --------------------------------------------------------------------------------------------

#: the headline measures whose gap to the best-quartile councils the report states, in the manager's units
GAP_MEASURES = ("W5", "W4_26wk", "W9", "W6_median", "W7", "E1", "E3", "E5", "K3", "A1", "O2")
#: unit costs, compared by their robust distance from the group median
COST_MEASURES = ("U1_direct", "U1_absorbed", "U2_gross", "U2_net")
#: the measures the team table shows (rows ``team:<name>`` of the indicator table)
TEAM_MEASURES = ("W1", "W2_median", "W4_26wk", "W5", "W9", "W7", "C3")


def _council_rows(ctx, ids) -> pd.DataFrame:
    """The council's comparison rows (breakdown ``all``) of ``ids``, in that order, as published."""
    b = ctx.bench
    rows = b[(b["breakdown"] == "all") & b["indicator_id"].isin(ids)]
    rows = rows.assign(_o=rows["indicator_id"].map({i: n for n, i in enumerate(ids)})).sort_values("_o")
    return _published(ctx, rows.drop(columns="_o"))


def gap_to_best(ctx) -> None:
    """The gap to the best-quartile councils for the headline measures (table ``gap``), and unit
    costs against the group median with what the difference comes to in £ (table ``cost_gap``)."""
    if not part_applies(ctx, "gap"):
        return
    _styled_table(ctx, tables.gap_table(_council_rows(ctx, GAP_MEASURES), suppress=ctx.suppress), "gap", counts=[])
    costs = _council_rows(ctx, COST_MEASURES)
    if len(costs):
        _show("**Unit costs.** Councils count costs differently, so no best performer is named: each cost is "
              "placed by its distance from the group median in median absolute deviations (MAD; within 1 is "
              "close to the median, beyond 3 clearly higher or lower), with what the difference from the median "
              "comes to over the quarter.")
        _styled_table(ctx, tables.cost_gap_table(costs, suppress=ctx.suppress), "cost_gap", counts=[])


def _cost_per_wte(ctx) -> float | None:
    """A year's cost of one OT WTE from the published figures: the quarter's direct OT staff cost
    (U1_direct's numerator, from the finance extract) ÷ the quarter's average OT WTE in post
    (C2's denominator, from the workforce extract), × 4; None when either is missing or withheld."""
    pub = ctx.published
    rows = pub[(pub["authority_code"] == ctx.authority) & (pub["period"] == ctx.period) & (pub["breakdown"] == "all")]
    cost = rows.loc[rows["indicator_id"] == "U1_direct", "numerator"]
    wte = rows.loc[rows["indicator_id"] == "C2", "denominator"]
    if cost.empty or wte.empty or disclosure.is_marked(cost).any() or disclosure.is_marked(wte).any():
        return None
    c, w = pd.to_numeric(cost, errors="coerce").iloc[0], pd.to_numeric(wte, errors="coerce").iloc[0]
    return float(c / w * 4) if c > 0 and w > 0 else None


def _best_quartile_wait_weeks(ctx) -> float | None:
    """The best-quartile councils' median completed wait (W6_median), in weeks, or None."""
    if ctx.compare_mode == "none":
        return None
    row = ctx.bench[(ctx.bench["indicator_id"] == "W6_median") & (ctx.bench["breakdown"] == "all")]
    v = pd.to_numeric(row["best_quartile_value"], errors="coerce") if len(row) else pd.Series(dtype=float)
    return float(v.iloc[0]) / 7 if len(v) and v.iloc[0] > 0 else None


def capacity(ctx, within_weeks: float = 26.0) -> None:
    """What it would take to clear the list (:func:`clearing_the_list`): weeks to clear, WTE to
    keep pace, WTE to see people within the longest priority target, WTE to reach the best
    quartile's median wait, costed from the finance extract."""
    if not part_applies(ctx, "capacity"):
        return
    target_weeks = max(ctx.settings.priority_targets().values()) / 7
    clearing_the_list(ctx, target_weeks, within_weeks, best_wait_weeks=_best_quartile_wait_weeks(ctx),
                      cost_per_wte=_cost_per_wte(ctx))


def teams(ctx) -> None:
    """The council's teams side by side for the quarter (table ``teams``), as published."""
    if not part_applies(ctx, "teams"):
        return
    pub = ctx.published
    rows = pub[(pub["authority_code"] == ctx.authority) & (pub["period"] == ctx.period)]
    _styled_table(ctx, tables.team_table(rows, ctx.catalogue, TEAM_MEASURES), "teams", counts=[])


def team_spc(ctx, indicator_id: str) -> None:
    """One SPC chart per team for a measure (figures ``team_spc_<n>``), each withheld whole when
    a quarter rests on small numbers or there are too few quarters."""
    meta = _meta(ctx, indicator_id)
    own = _own_upto(ctx)
    team_names = sorted({b for b in own.loc[own["indicator_id"] == indicator_id, "breakdown"].astype(str)
                         if b.startswith("team:")})
    if not team_names:  # a council that records no teams, or a folder of published figures
        return
    _show("## By team\n\nThe same measure for each of the council's teams, each read as a Making Data Count SPC chart.")
    for n, b in enumerate(team_names, start=1):
        team = b.removeprefix("team:")
        series = plots.indicator_rows(ctx.indicators, indicator_id, authorities=[ctx.authority], upto=ctx.period,
                                      breakdown=b)
        reason = spc_withheld(series, _published(ctx, series), ctx.period)
        if reason:
            _show(f"_{safe.md(team)}: no SPC chart ("
                  + {"too_few": "too few quarters", "small_numbers": f"some quarters rest on {disclosure.FEWER_THAN} cases",
                     "no_figure": f"no figure for {ctx.period}"}[reason] + ")._")
            continue
        fig, sentence, _ = _spc_reading(ctx, indicator_id, series, f"{meta['name']}, {team} team, {ctx.council}")
        export.save_figure(fig, f"team_spc_{n}", ctx.output_dir, banner=ctx.banner,
                           alt=f"SPC chart of {meta['name'].lower()} for the {team} team. {sentence}")
        _show(f"**{safe.md(team)} team.** {sentence}")


# --------------------------------------------------------------------------------------------
# data quality
# --------------------------------------------------------------------------------------------


def data_quality_title(ctx) -> None:
    """The data-quality report's heading."""
    _show("# Data quality: what the checks found\n\n"
          f"Data folder: {safe.md(ctx.data_dir.name)}. Every row of every extract was checked against the data contract. "
          "Rows that failed are left out of every figure; this page counts them by file and reason. "
          "It never lists case identifiers.")


def rejects(ctx) -> None:
    """Rows rejected by file, column and reason (table ``rejects_by_reason``); never their ids."""
    rejected = ctx.bundle.rejects
    table = tables.reject_summary(rejected)
    shown = export.save_table(table, "rejects_by_reason", ctx.output_dir, suppress=ctx.suppress, counts=["rows"])
    if table.empty:
        _show("No rows were rejected: every row of every extract passed the checks.")
        return
    n_rows = len(rejected[["file", "row"]].drop_duplicates())
    _show(f"{narrative.count_phrase(n_rows, suppress=ctx.suppress).capitalize()} rows were rejected "
          "in all (a row can fail more than one check).")
    display(tables.styled(shown))


def completeness(ctx) -> None:
    """Rows used and optional columns filled in, by council and extract (table ``completeness``)."""
    _styled_table(ctx, tables.completeness_table(ctx.bundle, names=ctx.names), "completeness", counts=["rows"])


def missing_values(ctx) -> None:
    """The council's indicators with no value this quarter and why (table ``missing_values``)."""
    table = tables.missing_values_table(ctx.indicators, ctx.authority, ctx.period)
    shown = export.save_table(table, "missing_values", ctx.output_dir, suppress=ctx.suppress, counts=[])
    if table.empty:
        _show(f"Every indicator has a value for {safe.md(ctx.council)} in {ctx.period}.")
        return
    _show(f"Indicators with no value for {safe.md(ctx.council)} in {ctx.period}, with the reason the calculation recorded:")
    display(tables.styled(shown))
