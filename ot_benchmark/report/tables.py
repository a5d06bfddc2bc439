"""The reader-facing tables the notebooks show, and the small orchestration behind them.

The report notebooks call these to turn computed results (the indicator table,
:func:`ot_benchmark.compare.benchmark.benchmark`, the validated :class:`~ot_benchmark.io.bundle.DataBundle`)
into the tables and sections a reader sees: the page-one summary, the best-performer gap, the
comparator group's values, flows by quarter, the referral cohort's Kaplan–Meier curves and the
data-quality counts. They shape and select; the statistics come from :mod:`ot_benchmark.stats`,
:mod:`ot_benchmark.compare.benchmark` and the indicator families, and the words from
:mod:`ot_benchmark.report.narrative`. Every table has identifier-safe column names (rename them for
display with :func:`reader_columns` / :func:`styled`) and holds no case identifiers.

Public functions

* :func:`summary_table`, :func:`spc_by_indicator`, :func:`improvement_direction` — page one:
  one row per indicator, with the Making Data Count variation and assurance.
* :func:`family_summary` — one family's section as Markdown (sentences, then caveats).
* :func:`gap_table`, :func:`group_table` — one indicator's best-performer gap and the group's
  values, as text.
* :func:`flow_table`, :func:`referral_cohort`, :func:`km_curves_by` — the waiting list's flows
  and the cohort's "still waiting" curves.
* :func:`reject_summary`, :func:`completeness_table`, :func:`missing_values_table` — data quality.
* :func:`reader_columns`, :func:`styled`, :data:`READER_HEADINGS` — headings in words.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from ot_benchmark.indicators.waiting import cohort_waits
from ot_benchmark.io.contract import TABLES
from ot_benchmark.catalogue import resolve_target
from ot_benchmark.compare.benchmark import is_total
from ot_benchmark.periods import PeriodWords, parse_period, period_range, period_words
from ot_benchmark.report import disclosure
from ot_benchmark.report.disclosure import FEWER_THAN as _FEWER_THAN, SYMBOL as SUPPRESSED, published_once
from ot_benchmark.report.narrative import (
    _cap,
    _is_small,
    _num,
    assurance_label,
    basis_phrase,
    basis_short,
    caveats,
    comparator_description,
    comparator_short,
    family_markdown,
    format_value,
    indicator_sentences,
    variation_label,
    verdict_of,
)
from ot_benchmark.stats.spc import xmr
from ot_benchmark.stats.survival import km_curve

__all__ = [
    "READER_HEADINGS",
    "reader_columns",
    "styled",
    "spc_by_indicator",
    "summary_table",
    "improvement_direction",
    "family_summary",
    "gap_table",
    "cost_gap_table",
    "team_table",
    "group_table",
    "flow_table",
    "referral_cohort",
    "km_curves_by",
    "reject_summary",
    "completeness_table",
    "missing_values_table",
]


# --------------------------------------------------------------------------------------------
# the report's summary table
# --------------------------------------------------------------------------------------------

_DIRECTION = {"higher_is_better": "increase", "lower_is_better": "decrease", "context": "neutral"}

#: Reader-facing headings for :func:`summary_table`'s identifier-safe columns.
READER_HEADINGS = {
    "indicator_id": "Id",
    "indicator": "Indicator",
    "value": "This council",
    "comparator_value": "Comparator group",
    "comparator_is": "What the group figure is",
    "comparison": "Compared with the group",
    "basis": "How it was judged",
    "rank": "Rank (1 = best)",
    "trend": "Latest quarter (SPC)",
    "assurance": "Target assurance (SPC)",
    "target": "Target",
    "council": "Council",
    "lower_95": "95% interval, lower",
    "upper_95": "95% interval, upper",
    "quartile": "Quartile",
    "best_quartile_value": "Best-quartile value",
    "group_quartiles": "Group 25th percentile / median / 75th percentile",
    "gap": "Gap to the best quartile",
    "closing_the_gap": "What closing the gap means",
    "period": "Quarter",
    "referrals": "Referrals received",
    "assessments": "First assessments completed",
    "closed_unassessed": "Closed without assessment",
    "waiting": "People waiting at the end of the quarter",
    "table": "Extract",
    "file": "File",
    "column": "Column",
    "reason": "Reason",
    "rows": "Rows",
    "optional_details_filled_pct": "Optional details filled in (%)",
    "optional_columns": "Optional columns checked",
    "breakdown": "Breakdown",
    "group_median": "Group median",
    "distance": "Distance from the group median",
    "difference": "What the difference comes to",
    "team": "Team",
}


def reader_columns(df: pd.DataFrame, *, words: PeriodWords | None = None) -> pd.DataFrame:
    """The same frame with reader-facing column headings (:data:`READER_HEADINGS`; other
    names have ``_`` replaced by spaces and a capital first letter). With ``words`` (the run's
    periods, :func:`ot_benchmark.periods.period_words`) the headings that name a period name it
    in their kind's words ("Latest year (SPC)", "Year")."""
    headings = READER_HEADINGS
    if words is not None:
        headings = {**READER_HEADINGS, "trend": f"Latest {words.noun} (SPC)", "period": words.heading}
    return df.rename(columns=lambda c: headings.get(c, _cap(str(c).replace("_", " "))))


def _reader_number(x) -> str:
    """A table cell as a reader writes it: whole numbers without decimals (``1,031``), others
    to one decimal (``72.3``); text (``[c]``, labels) as it is."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        return str(x)
    v = float(x)
    if math.isnan(v):
        return "-"
    r = round(v, 1)
    if r == 0:
        r = 0.0  # never "-0.0"
    return f"{r:,.0f}" if float(r).is_integer() else f"{r:,.1f}"


def styled(df: pd.DataFrame):
    """A pandas Styler for the HTML report: no index, text left-aligned, headings in words,
    numbers with thousands separators and at most one decimal, a blank shown as "-" (never
    "nan"); every cell and heading HTML-escaped (a council name or a local indicator's definition
    holding markup shows as text)."""
    return (reader_columns(df).style.hide(axis="index")
            .format(_reader_number, na_rep="-", escape="html")  # text from data folders shows as text
            .format_index(escape="html", axis=1)
            .set_properties(**{"text-align": "left", "vertical-align": "top"})
            .set_table_styles([{"selector": "th", "props": [("text-align", "left"), ("vertical-align", "bottom")]}]))


def spc_by_indicator(
    indicators: pd.DataFrame,
    authority: str,
    period: str,
    catalogue: pd.DataFrame,
    *,
    targets: Mapping[str, float] | None = None,
    breakdown: str = "all",
    settings=None,
) -> pd.DataFrame:
    """Making Data Count variation and assurance for each of a council's indicators.

    Runs :func:`ot_benchmark.stats.spc.xmr` on each indicator's quarters up to and including
    ``period`` (rows with no value are dropped; the improvement direction follows the
    catalogue polarity, ``context`` being ``neutral``).

    Parameters
    ----------
    indicators : DataFrame
        The indicator table (any councils; only ``authority``'s rows are used).
    targets : mapping, optional
        Indicator id -> target in the indicator's unit (default: the settings' ``[targets]``
        when ``settings`` is given); the catalogue's ``target`` column is used where this has
        none (:func:`ot_benchmark.catalogue.resolve_target`).
    settings : Settings, optional
        The run's settings: their ``[targets]``, and the council's declared known changes
        (``[spc] changes``), which re-base the limits exactly as the report's SPC charts do
        (:meth:`Settings.spc_rebase`), so the summary's icons agree with the charts.

    Returns
    -------
    DataFrame
        ``indicator_id, n_points, variation, assurance, target, provisional, variation_icon``
        (Making Data Count's icon: ``common_cause``, ``improvement_high``, ...); ``variation``
        is NaN for indicators with fewer than 2 quarters, or no figure in ``period`` (a reading
        of an earlier quarter is never put beside a missing one).
    """

    if targets is None and settings is not None:
        targets = settings.get("targets")
    p = parse_period(period).label
    t = indicators.loc[(indicators["authority_code"] == authority) & (indicators["breakdown"] == breakdown)
                       & (indicators["period"] <= p)]
    t = t.assign(_v=pd.to_numeric(t["value"], errors="coerce")).dropna(subset=["_v"])
    cat = catalogue.set_index("indicator_id")
    rows = []
    for iid, g in t.groupby("indicator_id", sort=False):  # one series per indicator, not per case
        target = resolve_target(iid, catalogue, targets)
        polarity = cat.at[iid, "polarity"] if iid in cat.index else "context"
        g = g.sort_values("period")
        if len(g) < 2 or str(g["period"].iloc[-1]) != p:
            # too few quarters, or no figure this quarter: no reading of a quarter the reader cannot see
            rows.append((iid, len(g), math.nan, None, target, True, None))
            continue
        rebase = None
        if settings is not None:
            rebase = list(settings.spc_rebase(authority, g["period"], iid)["period"]) or None
        _, summary = xmr(g, value_col="_v", date_col="period",
                         improvement_direction=_DIRECTION.get(polarity, "neutral"), target=target,
                         rebase=rebase)
        rows.append((iid, summary["n_points"], summary.get("variation"), summary.get("assurance"),
                     target, summary.get("provisional"), summary.get("variation_icon")))
    return pd.DataFrame(rows, columns=["indicator_id", "n_points", "variation", "assurance", "target",
                                       "provisional", "variation_icon"])


def summary_table(
    bench: pd.DataFrame,
    spc: pd.DataFrame | None = None,
    *,
    catalogue: pd.DataFrame | None = None,
    suppress: bool = True,
    breakdown: str = "all",
    small_n: int = 30,
    compare: bool = True,
    signs: bool = False,
) -> pd.DataFrame:
    """Page one of the report: one row per indicator, in words a review team reads.

    Parameters
    ----------
    bench : DataFrame
        :func:`ot_benchmark.compare.benchmark.benchmark` for the council and period.
    spc : DataFrame, optional
        :func:`spc_by_indicator`.
    catalogue : DataFrame, optional
        Supplies ``name``/``unit`` when ``bench`` lacks them, and the display order.
    suppress : bool
        Apply :func:`ot_benchmark.report.disclosure.suppress_indicators` first: suppressed figures
        read ``[c]`` and the comparison of a suppressed figure is not stated.

    small_n : int
        A verdict resting on a percentage or mean of fewer than ``small_n`` people, or a rate of
        fewer than ``small_n`` events, is marked "(small numbers)", as its sentence says.
    compare : bool
        False when no other council supplied figures: the comparison columns (group figure,
        what it is, verdict, how it was judged, rank) are left out, not shown as "-".
    signs : bool
        Add what the report's page draws from the same rows (:func:`ot_benchmark.report.sections.summary`):
        ``count`` (the count behind the figure, "627 of 745"), ``verdict`` (its key, None where
        no verdict is shown), ``small`` (the verdict rests on small numbers), ``basis_short`` and
        ``comparator_short`` (a few words; the key above the table says them in full),
        ``variation_icon``, ``variation_key`` and ``assurance_key`` (Making Data Count's icons; None beside a missing
        or withheld figure).

    Returns
    -------
    DataFrame
        Text columns ``indicator_id, indicator, value, comparator_value, comparator_is`` (what
        the group figure is: pooled, or the median of N councils, with or without this one),
        ``comparison`` (the one verdict, :func:`ot_benchmark.report.narrative.verdict_of`),
        ``basis`` (what the verdict rests on), ``rank`` (none with fewer than 2 councils),
        ``trend, assurance, target`` (no SPC reading beside a missing or withheld figure;
        rename with :data:`READER_HEADINGS` for display). No case identifiers; counts of 1-4
        never appear.
    """
    b = bench.loc[bench["breakdown"] == breakdown].copy()
    if catalogue is not None:  # the catalogue's order: waiting first, then caseload, equipment, ...
        order = pd.Series(range(len(catalogue)), index=catalogue["indicator_id"].to_numpy())
        b = b.assign(_o=b["indicator_id"].map(order).fillna(len(catalogue))).sort_values(
            "_o", kind="mergesort").drop(columns="_o")
    if suppress:
        b = published_once(b, catalogue=catalogue)
    if "indicator_name" not in b and catalogue is not None:
        b["indicator_name"] = b["indicator_id"].map(catalogue.set_index("indicator_id")["name"])
    if catalogue is not None:  # a unit the comparison table lacks comes from the catalogue
        units = b["indicator_id"].map(catalogue.set_index("indicator_id")["unit"])
        b["unit"] = b["unit"].where(b["unit"].notna(), units) if "unit" in b else units
    supp = disclosure.is_marked(b["value"])
    missing = pd.to_numeric(b["value"], errors="coerce").isna() & ~supp
    value = [SUPPRESSED if s else format_value(v, u) for v, u, s in zip(b["value"], b["unit"], supp)]
    # a total (a count, an amount with no denominator) grows with the council's size: no group
    # figure is put beside it (its per-population twin carries the comparison)
    total = is_total(b.assign(method=b["method"] if "method" in b else b["indicator_id"].map(
        catalogue.set_index("indicator_id")["method"]) if catalogue is not None else "")) \
        if "denominator" in b else pd.Series(False, index=b.index)
    comp = ["-" if t else SUPPRESSED if disclosure.is_marked(v) else format_value(v, u) if not math.isnan(_num(v)) else "-"
            for v, u, t in zip(b["comparator_value"], b["unit"], total)]
    records = b.to_dict("records")  # one row per indicator: a few dozen
    method = b["method"] if "method" in b else pd.Series(None, index=b.index, dtype=object)
    label = []
    for r, s_, m in zip(records, supp, method):
        v = verdict_of(r)  # the one verdict, as every sentence and caption says it
        if s_ or not v:
            label.append("-")
            continue
        word = v.replace("_", " ").capitalize()
        if v != "not_compared" and _is_small(r.get("numerator"), r.get("denominator"), m, small_n):
            word += " (small numbers)"
        label.append(word)
    rank_ok = b["polarity"].isin(["higher_is_better", "lower_is_better"]) if "polarity" in b else True
    r, n = pd.to_numeric(b.get("rank"), errors="coerce"), pd.to_numeric(b.get("n_in_group"), errors="coerce")
    rank = (r.astype("Int64").astype(str) + " of " + n.astype("Int64").astype(str)).where(
        r.notna() & n.notna() & (n >= 2) & rank_ok & ~supp, "-")
    out = pd.DataFrame({
        "indicator_id": b["indicator_id"].to_numpy(),
        "indicator": b["indicator_name"].astype(str).to_numpy(),
        "value": value,
        "comparator_value": comp,
        "comparator_is": [comparator_description(r) or "-" if c not in ("-", SUPPRESSED) else "-"
                          for r, c in zip(records, comp)],
        "comparison": label,
        "basis": [basis_phrase(r) or "-" if lab != "-" and verdict_of(r) != "not_compared" else "-"
                  for r, lab in zip(records, label)],
        "rank": rank.to_numpy(),
    })
    # an SPC reading describes the latest quarter: none beside a missing or withheld figure
    no_figure = (supp | missing).to_numpy()
    if spc is not None and len(spc):
        s = spc.set_index("indicator_id")
        out["trend"] = [variation_label(v) for v in out["indicator_id"].map(s["variation"])]
        tg = out["indicator_id"].map(s["target"])
        out["assurance"] = [assurance_label(a) if not math.isnan(_num(t)) else "No target"
                            for a, t in zip(out["indicator_id"].map(s["assurance"]), tg)]
        out["target"] = [format_value(t, u) if not math.isnan(_num(t)) else "-"
                         for t, u in zip(tg, b["unit"])]
    else:
        out["trend"], out["assurance"], out["target"] = "Not enough data", "No target", "-"
    out.loc[no_figure, ["trend", "assurance"]] = "-"
    if signs:
        shown = [lab != "-" for lab in label]
        out["count"] = [_count_behind(r, m, s_) for r, m, s_ in zip(records, method, supp)]
        out["verdict"] = [verdict_of(r) if ok else None for r, ok in zip(records, shown)]
        out["small"] = [lab.endswith("(small numbers)") for lab in label]
        out["basis_short"] = [basis_short(r) if ok and verdict_of(r) != "not_compared" else ""
                              for r, ok in zip(records, shown)]
        out["comparator_short"] = [comparator_short(r) if c not in ("-", SUPPRESSED) else ""
                                   for r, c in zip(records, comp)]
        icons = spc.set_index("indicator_id") if spc is not None and len(spc) else None
        for col, src in (("variation_icon", "variation_icon"), ("variation_key", "variation"),
                         ("assurance_key", "assurance")):
            keys = (out["indicator_id"].map(icons[src]) if icons is not None and src in icons
                    else pd.Series(None, index=out.index, dtype=object))
            out[col] = [None if nf or not isinstance(k, str) else k for k, nf in zip(keys, no_figure)]
    if not compare:
        out = out.drop(columns=["comparator_value", "comparator_is", "comparison", "basis", "rank"]
                       + (["verdict", "small", "basis_short", "comparator_short"] if signs else []))
    return out.reset_index(drop=True)


def _count_behind(row: Mapping, method, withheld: bool) -> str:
    """The count a figure rests on, as a reader writes it: ``"627 of 745"`` for a percentage,
    ``"745"`` (the people or items it is taken over) for a median or mean, the events counted
    for a rate per population; ``""`` for a count (the figure is the count), a ratio, a withheld
    figure or a count that is not a whole number."""
    if withheld:
        return ""
    num, den = row.get("numerator"), row.get("denominator")
    if disclosure.is_marked(num) or disclosure.is_marked(den):
        return ""
    n, d = _num(num), _num(den)
    def whole(x):
        return not math.isnan(x) and float(x).is_integer() and x >= 0
    if method == "proportion" and whole(n) and whole(d) and d > 0:
        return f"{n:,.0f} of {d:,.0f}"
    if method in ("median", "mean") and whole(d) and d > 0:
        return f"{d:,.0f}"
    if method == "rate" and whole(n) and str(row.get("unit") or "").startswith("per "):
        return f"{n:,.0f}"
    return ""


def improvement_direction(polarity: str | None) -> str:
    """Catalogue polarity -> :func:`ot_benchmark.stats.spc.xmr` ``improvement_direction``."""
    return _DIRECTION.get(str(polarity), "neutral")


def family_summary(
    bench: pd.DataFrame,
    catalogue: pd.DataFrame,
    family: str,
    *,
    previous: pd.DataFrame | None = None,
    suppress: bool = True,
    synthetic: bool = False,
    small_n: int = 30,
    breakdown: str = "all",
    words: PeriodWords | None = None,
) -> str:
    """Markdown for one family's section: a sentence per indicator, then its caveats.

    Parameters
    ----------
    bench : DataFrame
        :func:`ot_benchmark.compare.benchmark.benchmark` for the council and period.
    catalogue : DataFrame
    family : str
        Catalogue family (``W``, ``C``, ``E``, ``K``, ``U``, ...).
    previous : DataFrame, optional
        The council's indicator rows for the previous quarter ("up from ...").
    suppress, synthetic : bool
        Published output (counts of 1-4 never written) / add the synthetic-data caveat.
    words : PeriodWords, optional
        How the run's periods are named (default quarters): "in this year".

    Returns
    -------
    str
        Markdown; indicators without a value this quarter are left out and, if none has one,
        the text says so. The small-numbers caveat is added when any figure rests on a
        denominator below ``small_n`` or is suppressed.
    """
    ids = catalogue.loc[catalogue["family"] == family, "indicator_id"]
    b = bench.loc[bench["indicator_id"].isin(ids) & (bench["breakdown"] == breakdown)]
    b = b.loc[pd.to_numeric(b["value"], errors="coerce").notna()]
    if b.empty:
        return f"_There are no figures for this part of the service in {(words or period_words('quarter')).this}._"
    order = pd.Series(range(len(catalogue)), index=catalogue["indicator_id"].to_numpy())
    b = b.assign(_o=b["indicator_id"].map(order)).sort_values("_o", kind="mergesort").drop(columns="_o")
    sent = indicator_sentences(b, catalogue, previous=previous, suppress=suppress, small_n=small_n)
    meth = b["method"] if "method" in b else b["indicator_id"].map(catalogue.set_index("indicator_id")["method"])
    small = any(_is_small(n, d, m, small_n) for n, d, m in zip(b["numerator"], b["denominator"], meth))
    small = small or any((_FEWER_THAN in s) or ("small numbers" in s) for s in sent["sentence"])
    cav = caveats(b["indicator_id"].tolist(), catalogue, synthetic=synthetic, small_numbers=small, words=words)
    return family_markdown(None, sent["sentence"].tolist(), cav)


# --------------------------------------------------------------------------------------------
# reader tables for the notebooks (shaping only; the statistics come from compare/stats)
# --------------------------------------------------------------------------------------------

def gap_table(bench_rows: pd.DataFrame, *, suppress: bool = True) -> pd.DataFrame:
    """The best-performer gap of :func:`ot_benchmark.compare.benchmark.benchmark` rows, in words.

    Returns
    -------
    DataFrame
        ``indicator, value, quartile, group_quartiles`` (25th percentile / median / 75th
        percentile of the group), ``best_quartile_value, gap, closing_the_gap`` as text; a
        suppressed figure reads ``[c]`` and its gap is not stated.
    """
    b = bench_rows.copy()
    if suppress and len(b):
        b = published_once(b)
    out = []
    for r in b.to_dict("records"):  # a handful of rows (one per breakdown)
        unit = r.get("unit")
        supp = disclosure.is_marked(r.get("value"))
        q = _num(r.get("quartile"))
        counts = _num(r.get("gap_counts"))
        meaning = r.get("gap_counts_meaning")
        context = r.get("polarity") == "context"
        if supp:
            closing = "-"
        elif context:
            closing = "No best performer: neither a higher nor a lower figure is simply better."
        elif _num(r.get("gap_to_best_quartile")) == 0:
            closing = "Already in the best quarter of the group."
        elif not math.isnan(counts) and isinstance(meaning, str) and meaning:
            n_txt = _FEWER_THAN if (suppress and disclosure.is_small_count(round(counts))) else f"{counts:,.0f}"
            closing = f"{'About ' if n_txt != _FEWER_THAN else ''}{n_txt} {meaning} in the quarter."
            closing = closing[:1].upper() + closing[1:]
            g = _num(r.get("gap_gbp"))
            if not math.isnan(g):
                closing = closing[:-1] + f", worth about {format_value(g, '£')}."
        else:
            closing = "-"
        out.append({
            "indicator": r.get("indicator_name") or r.get("indicator_id"),
            "value": SUPPRESSED if supp else format_value(r.get("value"), unit),
            "quartile": "-" if supp or math.isnan(q) else (
                f"{int(q)} (1 = highest values)" if context else f"{int(q)} (1 = best)"),
            "group_quartiles": " / ".join(format_value(r.get(k), unit) for k in ("group_q25", "group_median", "group_q75"))
            if all(not math.isnan(_num(r.get(k))) for k in ("group_q25", "group_median", "group_q75")) else "-",
            "best_quartile_value": format_value(r.get("best_quartile_value"), unit)
            if not math.isnan(_num(r.get("best_quartile_value"))) else "-",
            "gap": "-" if supp or math.isnan(_num(r.get("gap_to_best_quartile")))
            else _gap_text(r.get("gap_to_best_quartile"), unit),
            "closing_the_gap": closing,
        })
    return pd.DataFrame(out, columns=["indicator", "value", "quartile", "group_quartiles", "best_quartile_value",
                                      "gap", "closing_the_gap"])


def group_table(rows: pd.DataFrame, *, catalogue: pd.DataFrame | None = None, subject: str | None = None,
                polarity: str | None = None) -> pd.DataFrame:
    """Each council's value and 95% interval for one indicator, best first, as text.

    ``rows`` are indicator-table rows of one indicator and period (already suppressed for
    publication: ``[c]`` values stay ``[c]`` and go last). The subject council is marked ▶.

    Returns
    -------
    DataFrame
        ``council, value, lower_95, upper_95``.
    """
    if rows.empty:
        return pd.DataFrame(columns=["council", "value", "lower_95", "upper_95"])
    iid = str(rows["indicator_id"].iloc[0])
    unit = rows["unit"].iloc[0] if "unit" in rows else None
    if polarity is None and catalogue is not None:
        c = catalogue.set_index("indicator_id")
        polarity = c.at[iid, "polarity"] if iid in c.index else None
    v = pd.to_numeric(rows["value"], errors="coerce")
    order = v.sort_values(ascending=polarity == "lower_is_better", na_position="last", kind="mergesort").index
    r = rows.loc[order]
    name = r["authority_name"] if "authority_name" in r else r["authority_code"]
    mark = np.where(r["authority_code"].astype(str) == str(subject), "\u25b6 ", "")
    fmt = lambda s: [SUPPRESSED if disclosure.is_marked(x) else format_value(x, unit)  # noqa: E731
                     for x in s]
    return pd.DataFrame({
        "council": [m + str(n) for m, n in zip(mark, name)],
        "value": fmt(r["value"]),
        "lower_95": fmt(r["lower_95"]) if "lower_95" in r else "-",
        "upper_95": fmt(r["upper_95"]) if "upper_95" in r else "-",
    }).reset_index(drop=True)


def flow_table(indicators: pd.DataFrame) -> pd.DataFrame:
    """One council's flows by quarter, wide: ``period, referrals, assessments,
    closed_unassessed, waiting`` from W8_referrals, W8_assessments, W8_closed_unassessed and
    W1 (breakdown ``all``). Rows already published (:func:`ot_benchmark.report.disclosure.as_published`)
    keep their ``[c]`` marks."""
    ids = {"W8_referrals": "referrals", "W8_assessments": "assessments",
           "W8_closed_unassessed": "closed_unassessed", "W1": "waiting"}
    t = indicators.loc[indicators["indicator_id"].isin(list(ids)) & (indicators["breakdown"] == "all")]
    # a published table's [c] marks stay: a withheld count is withheld here too
    v = t["value"].astype(object)
    marked = disclosure.is_marked(v)
    v = pd.to_numeric(v.where(~marked), errors="coerce").astype(object).where(~marked, SUPPRESSED)
    wide = (t.assign(_v=v).groupby(["period", "indicator_id"], sort=True)["_v"].first().unstack("indicator_id")
             .rename(columns=ids).reindex(columns=list(ids.values())))
    wide.columns.name = None
    out = wide.sort_index().reset_index()
    for c in ids.values():  # numbers stay numbers where nothing is withheld
        if not disclosure.is_marked(out[c]).any():
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def referral_cohort(referrals: pd.DataFrame, authority: str, first, last=None, *, settings=None) -> pd.DataFrame:
    """Waits of one council's people referred in the quarters ``first`` to ``last``, for KM curves.

    The clock is W6k's (:func:`ot_benchmark.indicators.waiting.cohort_waits`), with the
    quarters pooled into one cohort: it starts at the referral date and stops at the first
    assessment; people not assessed by the end of follow-up (the end of ``last``, or the
    extract's last date with ``cohort_follow_up = "extract"``) are censored at their closure
    without assessment or at that end, whichever is first. An assessment after the closure is
    ignored. Priorities are mapped through the settings' FACS mapping.

    Parameters
    ----------
    referrals : DataFrame
        The referrals extract (all councils, so that ``"extract"`` follow-up ends where W6k's
        does).
    authority : str
    first, last : Period or str
        The first and last quarters of referral (``last`` defaults to ``first``).
    settings : Settings, optional
        Default: the package settings.

    Returns
    -------
    DataFrame
        ``priority`` (``"not recorded"`` when blank), ``duration`` (calendar days),
        ``observed`` (1 assessed, 0 censored). No case identifiers.
    """

    w = cohort_waits(referrals, period_range(first, last if last is not None else first), settings,
                     pooled=True)
    w = w.loc[(w["authority_code"] == authority).to_numpy()]
    return pd.DataFrame({"priority": w["priority"].astype(str).to_numpy(),
                         "duration": w["duration"].to_numpy(),
                         "observed": w["observed"].astype(int).to_numpy()})


def reject_summary(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows counted by file, column and reason — never the rejected values or ids.

    Returns
    -------
    DataFrame
        ``table, file, column, reason, rows`` (distinct rejected rows), most first.
    """
    cols = ["table", "file", "column", "reason"]
    if rejects is None or rejects.empty:
        return pd.DataFrame(columns=cols + ["rows"])
    r = rejects.copy()
    r["file"] = r["file"].map(lambda f: str(f).replace("\\", "/").rsplit("/", 1)[-1] if pd.notna(f) else "")
    for c in cols:
        r[c] = r[c].fillna("").astype(str)
    out = (r.groupby(cols, sort=False)["row"].nunique().rename("rows").reset_index()
             .sort_values(["rows", "table"], ascending=[False, True], kind="mergesort"))
    return out.reset_index(drop=True)


def completeness_table(bundle, *, names: Mapping[str, str] | pd.Series | None = None) -> pd.DataFrame:
    """Rows used, and how often the optional details were recorded, by council and extract
    (:meth:`ot_benchmark.io.bundle.DataBundle.completeness`), councils by name.

    Returns
    -------
    DataFrame
        ``council, table, rows, optional_details_filled_pct, optional_columns``.
    """
    out = bundle.completeness()
    columns = ["council", "table", "rows", "optional_details_filled_pct", "optional_columns"]
    if not len(out):
        return pd.DataFrame(columns=columns)
    nm = pd.Series(names) if names is not None and not isinstance(names, pd.Series) else names
    out["council"] = out["authority_code"].map(nm).fillna(out["authority_code"]) if nm is not None else out["authority_code"]
    out = out.sort_values(["council", "table"], kind="mergesort")
    return out[columns].reset_index(drop=True)


def missing_values_table(indicators: pd.DataFrame, authority: str, period: str) -> pd.DataFrame:
    """A council's indicators with no value in a quarter, and the reason recorded in ``note``.

    Returns
    -------
    DataFrame
        ``indicator_id, breakdown, reason``.
    """
    t = indicators.loc[(indicators["authority_code"] == authority) & (indicators["period"] == str(period))]
    t = t.loc[pd.to_numeric(t["value"], errors="coerce").isna()]
    reason = t["note"].fillna("no reason recorded") if "note" in t else pd.Series("no reason recorded", index=t.index)
    return pd.DataFrame({"indicator_id": t["indicator_id"].to_numpy(), "breakdown": t["breakdown"].to_numpy(),
                         "reason": reason.astype(str).to_numpy()})


def km_curves_by(cohort: pd.DataFrame, by: str = "priority", *, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier "still waiting" curves for each group of a :func:`referral_cohort`.

    Calls :func:`ot_benchmark.stats.survival.km_curve` once per group (a handful of
    priorities) and stacks the results.

    Returns
    -------
    DataFrame
        ``by`` then the ``km_curve`` columns (``time, n_risk, n_event, n_censor, survival,
        lower, upper``), ready for :func:`ot_benchmark.report.plots.km_curves`.
    """

    parts = [km_curve(g["duration"], g["observed"], confidence=confidence).assign(**{by: key})
             for key, g in cohort.groupby(by, sort=True)]
    if not parts:
        return pd.DataFrame(columns=[by, "time", "n_risk", "n_event", "n_censor", "survival", "lower", "upper"])
    out = pd.concat(parts, ignore_index=True)
    return out[[by] + [c for c in out.columns if c != by]]


def _gap_text(gap, unit) -> str:
    """A gap as a reader writes it: a difference of percentages is in percentage points."""
    if str(unit) == "%":
        g = round(float(gap), 1)
        return f"{g:,.1f} percentage point" + ("" if g == 1 else "s")
    return format_value(gap, unit)


def cost_gap_table(bench_rows: pd.DataFrame, *, suppress: bool = True) -> pd.DataFrame:
    """Unit costs against the group: each cost's robust distance from the group median (costs
    have no interval, and councils cost services differently, so no "best" is claimed) and what
    the difference from the median comes to in £ over the quarter's activity.

    Returns
    -------
    DataFrame
        ``indicator, value, group_median, distance`` (in median absolute deviations, MAD),
        ``difference`` (the £ the quarter's activity cost above or below what it would have cost at
        the group median: (value − median) × the activity count), as text; a withheld figure
        reads ``[c]`` with nothing worked out from it.
    """
    b = bench_rows.copy()
    if suppress and len(b):
        b = published_once(b)
    out = []
    for r in b.to_dict("records"):  # a handful of unit costs
        unit = str(r.get("unit") or "")
        supp = disclosure.is_marked(r.get("value")) or disclosure.is_marked(r.get("denominator"))
        v, med, d, n = (_num(r.get(k)) for k in ("value", "group_median", "mad_distance", "denominator"))
        per = unit.split(" per ", 1)[1] if " per " in unit else ""
        if supp or math.isnan(v) or math.isnan(med):
            distance = difference = "-"
        else:
            rd = round(d, 2) if not (math.isnan(d) or math.isinf(d)) else math.nan
            distance = ("-" if math.isnan(rd) else "at the median" if rd == 0
                        else f"{abs(rd):.2f} MAD {'above' if rd > 0 else 'below'}")
            if per and not math.isnan(n) and n > 0 and not per.startswith("1,000"):
                total = (v - med) * n
                side = "more" if total > 0 else "less"
                difference = (f"£{abs(total):,.0f} {side} than at the group median cost, over the quarter's "
                              f"{n:,.0f} {per}{'' if n == 1 else 's'}") if round(total) else "none"
            else:
                difference = "-"
        out.append({
            "indicator": r.get("indicator_name") or r.get("indicator_id"),
            "value": SUPPRESSED if supp else format_value(r.get("value"), unit),
            "group_median": format_value(med, unit) if not math.isnan(med) else "-",
            "distance": distance,
            "difference": difference,
        })
    return pd.DataFrame(out, columns=["indicator", "value", "group_median", "distance", "difference"])


def team_table(published_rows: pd.DataFrame, catalogue: pd.DataFrame, measures) -> pd.DataFrame:
    """The council's teams side by side (rows ``team:<name>`` of the indicator table), one
    column per measure, as published (a withheld cell reads ``[c]``).

    Returns
    -------
    DataFrame
        ``team`` and one text column per measure, headed by the measure's name; teams in name
        order, the whole council last.
    """
    cat = catalogue.set_index("indicator_id")
    rows = published_rows[published_rows["indicator_id"].isin(measures)
                          & (published_rows["breakdown"].astype(str).str.startswith("team:")
                             | (published_rows["breakdown"] == "all"))]
    teams = sorted({b for b in rows["breakdown"] if b != "all"}) + ["all"]
    out = pd.DataFrame({"team": [t.removeprefix("team:") if t != "all" else "Whole council" for t in teams]})
    for m in measures:
        if m not in set(rows["indicator_id"]) or m not in cat.index:
            continue
        unit = cat.at[m, "unit"]
        vals = rows[rows["indicator_id"] == m].set_index("breakdown")["value"]
        out[cat.at[m, "name"]] = [
            SUPPRESSED if disclosure.is_marked(vals.get(t)) else
            format_value(vals.get(t), unit) if t in vals.index and not math.isnan(_num(vals.get(t))) else "-"
            for t in teams]
    return out
