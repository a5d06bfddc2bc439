"""Compare one council with its comparator group: the benchmark table, Fingertips labels,
rank and quartile, robust (MAD) distance, funnel flag, best-performer gap, and trends.

The statistics come from :mod:`ot_benchmark.stats`: the funnel flags and over-dispersion from
:mod:`ot_benchmark.stats.funnel` (``funnel_flag``, ``funnel_overdispersion``), the PHE quartile
from :mod:`ot_benchmark.stats.quantiles` (``phe_quantile_of_rank``, ``type7_quartile``), the MAD and
the robust distance also from there (``grouped_mad``, ``mad_distance``).

Every function here is pure: indicator tables in, DataFrames out, nothing printed.
The reader-facing description of the methods is ``docs/comparison_and_capacity.md``.

Public API
----------
``benchmark(indicators, authority, period, group="cipfa", ...)``
    one row per indicator and breakdown for the council, with its comparator group's figures.
``significance_label(lower, upper, comparator_value, polarity=None)``
    the Fingertips benchmark comparison (Higher / Similar / Lower, or Better / Worse by polarity).
``trend(indicators, authority, indicator_id, breakdown="all", group=None, ...)``
    the council's own quarters with quarter-on-quarter and year-on-year change, beside the
    group's pooled value per quarter.
``write_table(df, path)``
    write a table as .csv, .xlsx or .parquet (``ot-benchmark benchmark`` and ``capacity``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.errors import NoComparatorGroup, ParameterError
from ot_benchmark.indicators.waiting import PER_POPULATION
from ot_benchmark.io.reference import BUILT_IN_GROUPS, comparator_group, did_not_exist, group_label
from ot_benchmark.periods import parse_period
from ot_benchmark.stats.funnel import funnel_flag, funnel_overdispersion
from ot_benchmark.stats.quantiles import grouped_mad, mad_distance, phe_quantile_of_rank, type7_quartile

__all__ = [
    "WITHIN_COUNCIL_DIMENSIONS",
    "POOLED_METHODS",
    "MEDIAN_METHODS",
    "MAD_BANDS",
    "GAP_MEANINGS",
    "benchmark",
    "significance_label",
    "mad_band",
    "is_total",
    "VERDICTS",
    "VERDICT_BASES",
    "VERDICT_MAD_EDGE",
    "MAD_DECIMALS",
    "trend",
    "resolve_group",
    "write_table",
]

#: Breakdown dimensions whose values belong to one council (its own team names): such rows stay
#: in the benchmark table with the council's figures but are never compared with other councils.
WITHIN_COUNCIL_DIMENSIONS = ("team",)
WITHIN_COUNCIL_NOTE = "a breakdown within the council (its own teams): not compared with other councils"

#: Catalogue methods whose comparator value is pooled: sum(numerator) / sum(denominator) x multiplier.
POOLED_METHODS = ("proportion", "rate", "ratio")
#: Catalogue methods whose comparator value is the median of the councils' values.
MEDIAN_METHODS = ("median", "mean", "count")

#: Upper edges (in MADs, absolute) of the robust-distance bands and their words.
#: A distance exactly on an edge belongs to the nearer (smaller) band; the band is decided on the
#: distance rounded to :data:`MAD_DECIMALS` places (as it is reported), so a distance of
#: -0.5000000000000008 (floating-point noise) is -0.5 and takes the nearer band.
MAD_BANDS = (
    (0.5, "broadly similar"),
    (1.5, "somewhat {dir}"),
    (3.0, "{dir}"),
    (7.5, "well {dir}"),
    (np.inf, "far {dir}"),
)
#: Decimal places a robust distance is reported to, and rounded to before its band is decided.
MAD_DECIMALS = 2

#: What closing the best-performer gap means, in a manager's units, per indicator.
#: ``counts`` describes gap / multiplier x the council's denominator (None: not meaningful);
#: ``gbp`` says how to put a £ value on it: "count_is_gbp" (the denominator is in £),
#: "value_is_gbp" (the indicator itself is £), "E6_per_E3_item" (items x the council's own
#: £ value per item returned to stock, E6 / E3 numerator).
GAP_MEANINGS = {
    "W5": {"counts": "more people assessed within their priority target", "gbp": None},
    "W7": {"counts": "more long waiters kept in touch with", "gbp": None},
    "W4_26wk": {"counts": "fewer people waiting over 26 weeks", "gbp": None},
    "W4_52wk": {"counts": "fewer people waiting over 52 weeks", "gbp": None},
    "C3": {"counts": "more cases closed", "gbp": None},
    "C4": {"counts": "vacant WTE filled", "gbp": None},
    "C6": {"counts": "agency WTE replaced by substantive staff", "gbp": None},
    "E1": {"counts": "more items delivered within 7 working days", "gbp": None},
    "E2": {"counts": "more items collected", "gbp": None},
    "E3": {"counts": "more collected items returned to stock", "gbp": "E6_per_E3_item"},
    "E4": {"counts": "£ more of items issued from recycled stock", "gbp": "count_is_gbp"},
    "E5": {"counts": "more collections on time", "gbp": None},
    "E6": {"counts": None, "gbp": "value_is_gbp"},
    "K2": {"counts": "fewer complaints upheld", "gbp": None},
    "K3": {"counts": "more complaints answered within timescale", "gbp": None},
    "K4": {"counts": "fewer Ombudsman cases upheld", "gbp": None},
    "K5": {"counts": "more Ombudsman recommendations complied with", "gbp": None},
    "A1": {"counts": "more adaptations completed within standard", "gbp": None},
    "O2": {"counts": "more people whose score improved", "gbp": None},
}

_POLARITY_ALIASES = {
    "higher_is_better": "higher_is_better",
    "highisgood": "higher_is_better",
    "high_is_good": "higher_is_better",
    "higher": "higher_is_better",
    "lower_is_better": "lower_is_better",
    "lowisgood": "lower_is_better",
    "low_is_good": "lower_is_better",
    "lower": "lower_is_better",
    "context": "context",
    "nojudgement": "context",
    "no_judgement": "context",
    "none": "context",
}

QUARTILE_METHODS = {
    "phe": "PHE quantile assignment (phe_quantile, 4 groups) on the rank; quartile 1 = best by polarity",
    "type7": "value against the group's 25th/50th/75th percentiles (linear interpolation, "
    "Hyndman-Fan type 7); quartile 1 = best by polarity",
}

_KEYS = ["period", "indicator_id", "breakdown"]


# --------------------------------------------------------------------------------------------
# Small vectorised building blocks
# --------------------------------------------------------------------------------------------


def _norm_polarity(polarity) -> pd.Series:
    s = pd.Series(polarity, dtype=object)
    key = s.astype(str).str.strip().str.lower().str.replace(" ", "_", regex=False)
    out = key.map(_POLARITY_ALIASES)
    bad = s.notna() & out.isna()
    if bad.any():
        raise ParameterError(
            f"unknown polarity {sorted(set(s[bad].astype(str)))}; use higher_is_better, "
            "lower_is_better or context"
        )
    return out


def significance_label(lower, upper, comparator_value, polarity=None) -> pd.DataFrame:
    """Fingertips benchmark comparison of a council's interval with a comparator value.

    Parameters
    ----------
    lower, upper : array-like of float
        The council's confidence limits (same confidence level). NaN means no interval.
    comparator_value : array-like of float or float
        The benchmark value (a value, not an interval).
    polarity : array-like or str, optional
        ``higher_is_better``, ``lower_is_better`` or ``context`` (Fingertips' ``HighIsGood``,
        ``LowIsGood``, ``NoJudgement`` are accepted). None is treated as ``context``.

    Returns
    -------
    DataFrame
        ``comparison``: ``higher`` (lower limit > comparator), ``lower`` (upper limit <
        comparator), ``similar`` otherwise, ``not_compared`` when a limit or the comparator is
        missing. Inequalities are strict, as in Fingertips.
        ``assessment``: ``better`` / ``similar`` / ``worse`` by polarity; ``not_applicable`` for
        context indicators; ``not_compared`` when there is no comparison.
        ``fingertips_label``: the label Fingertips shows (``Better``, ``Worse``, ``Similar``
        for polar indicators; ``Higher``, ``Lower``, ``Similar`` for context ones;
        ``Not compared``).

    Examples
    --------
    >>> significance_label([2.9], [5.1], 1.0, "higher_is_better").fingertips_label.tolist()
    ['Better']
    """
    lo = np.asarray(lower, dtype=float).reshape(-1)
    up = np.asarray(upper, dtype=float).reshape(-1)
    n = max(lo.size, up.size)
    comp = np.broadcast_to(np.asarray(comparator_value, dtype=float), (n,))
    if polarity is None or isinstance(polarity, str):
        pol = _norm_polarity([polarity if polarity is not None else "context"] * n)
    else:
        pol = _norm_polarity(list(polarity))
    pol = pol.fillna("context").to_numpy()
    missing = np.isnan(lo) | np.isnan(up) | np.isnan(comp)
    comparison = np.select(
        [missing, lo > comp, up < comp], ["not_compared", "higher", "lower"], default="similar"
    )
    hib, lib = pol == "higher_is_better", pol == "lower_is_better"
    assessment = np.select(
        [
            comparison == "not_compared",
            pol == "context",
            comparison == "similar",
            (comparison == "higher") & hib,
            (comparison == "lower") & lib,
        ],
        ["not_compared", "not_applicable", "similar", "better", "better"],
        default="worse",
    )
    label = np.where(
        comparison == "not_compared",
        "Not compared",
        np.where(pol == "context", np.char.capitalize(comparison.astype(str)),
                 np.char.capitalize(assessment.astype(str))),
    )
    return pd.DataFrame({"comparison": comparison, "assessment": assessment, "fingertips_label": label})


def mad_band(distance) -> pd.Series:
    """Words for a robust distance from the group median, in MADs (Oflog-style bands).

    ``|d| <= 0.5`` broadly similar; ``0.5 < |d| <= 1.5`` somewhat above/below;
    ``1.5 < |d| <= 3`` above/below; ``3 < |d| <= 7.5`` well above/below; beyond: far
    above/below. ``+inf``/``-inf`` (the group has no spread and the council differs from it)
    give "above (no spread in group)"/"below (no spread in group)". NaN gives NaN. The band is
    decided on the distance rounded to :data:`MAD_DECIMALS` places, the precision it is reported
    to, so that floating-point noise never pushes a distance on an edge into the wider band.
    """
    d = pd.Series(distance, dtype=float).round(MAD_DECIMALS)  # as reported: -0.5000000000000008 is -0.5
    a = d.abs()
    edges = [0.0] + [e for e, _ in MAD_BANDS]
    idx = np.searchsorted(np.asarray(edges[1:]), a.to_numpy(), side="left")
    idx = np.clip(idx, 0, len(MAD_BANDS) - 1)
    above = np.array([w.format(dir="above") for _, w in MAD_BANDS], dtype=object)
    below = np.array([w.format(dir="below") for _, w in MAD_BANDS], dtype=object)
    out = pd.Series(np.where(d.to_numpy() > 0, above[idx], below[idx]), index=d.index, dtype=object)
    inf = np.isinf(d)
    out[inf] = np.where(d[inf] > 0, "above (no spread in group)", "below (no spread in group)")
    out[d.isna()] = np.nan
    return out


# --------------------------------------------------------------------------------------------
# The one verdict (docs/methods.md, "One verdict per figure")
# --------------------------------------------------------------------------------------------

#: The words of ``verdict``: by polarity for indicators where higher or lower is better, by
#: direction for context indicators, and ``not_compared``.
VERDICTS = ("better", "similar", "worse", "higher", "lower", "not_compared")
#: What a verdict rests on (``verdict_basis``): the council's confidence interval against the
#: group value (Fingertips), the funnel limits widened for over-dispersion (Spiegelhalter), the
#: robust distance from the group median in MADs, or nothing.
VERDICT_BASES = ("interval", "overdispersion_funnel", "robust_distance", "none")
#: A figure with no interval is called higher or lower than its group when its robust distance,
#: rounded to :data:`MAD_DECIMALS` places, is beyond this many MADs (the edge of the "well
#: above/below" band). Three unscaled MADs are about two standard deviations of a normal group,
#: so about 1 council in 20 lies beyond them by chance, as with a 95% interval.
VERDICT_MAD_EDGE = 3.0


#: Units of an amount that grows with a council's size (agency WTE, £ totals, the net change in
#: people waiting): a ratio-method figure in one of them with no denominator is a total.
TOTAL_UNITS = ("WTE", "£", "people")


def is_total(rows: pd.DataFrame) -> pd.Series:
    """Which benchmark rows are totals that grow with a council's size: a count (catalogue
    method ``count``) or a ratio-method amount with no denominator (agency WTE, £ totals, the net
    change). They are never given a verdict against other councils (:func:`_verdict`)."""
    method = rows["method"].astype(str)
    no_denominator = pd.to_numeric(rows["denominator"], errors="coerce").isna()
    amount = rows["unit"].astype(str).str.strip().isin(TOTAL_UNITS)  # a score or a % is not a total
    return (method == "count") | ((method == "ratio") & no_denominator & amount)


def _verdict(s: pd.DataFrame, lower: str, upper: str, confidence: float, in_catalogue) -> pd.DataFrame:
    """The one verdict of each benchmark row, and what it rests on.

    The rule (docs/methods.md):

    1. nothing to compare (no value, no comparator, not in the catalogue) -> ``not_compared``,
       basis ``none``; nor for a **total** — a count (catalogue method ``count``) or an amount
       with no denominator (agency WTE, £ of recycling credit, the net change): it grows with
       the council's size, so comparing it across councils compares their sizes (the waiting
       list and the flows are compared per 10,000 adults instead,
       :data:`ot_benchmark.indicators.waiting.PER_POPULATION`);
    2. an over-dispersed group (φ > 1, :func:`ot_benchmark.stats.funnel.funnel_overdispersion`):
       a plain interval comparison overstates differences, so the council's flag against the
       funnel limits widened by τ² decides (``overdispersion_funnel``; at ``confidence`` 99.8
       only a 0.001 flag counts);
    3. otherwise the council's interval at ``confidence`` against the group value
       (``interval``: the Fingertips comparison);
    4. a figure with no interval: its robust distance from the group median, rounded to
       :data:`MAD_DECIMALS` places, beyond :data:`VERDICT_MAD_EDGE` MADs (``robust_distance``);
    5. otherwise ``not_compared`` (``none``).

    Higher/lower become better/worse by polarity; context indicators keep higher/lower.

    Parameters
    ----------
    s : DataFrame
        Benchmark rows with ``value``, ``comparator_value``, ``n_comparators``, ``polarity``,
        ``comparison`` (the interval comparison), the interval columns ``lower``/``upper``,
        ``funnel_phi``, ``funnel_flag_od`` and ``mad_distance``.
    in_catalogue : array-like of bool

    Returns
    -------
    DataFrame
        ``verdict`` and ``verdict_basis``, same index as ``s``.
    """
    value = pd.to_numeric(s["value"], errors="coerce")
    comparable = (value.notna() & pd.to_numeric(s["comparator_value"], errors="coerce").notna()
                  & (s["n_comparators"] > 0) & np.asarray(in_catalogue, dtype=bool) & ~is_total(s))
    phi = pd.to_numeric(s["funnel_phi"], errors="coerce")
    flag = s["funnel_flag_od"].astype(object)
    od = comparable & (phi > 1) & flag.notna()
    has_interval = s[lower].notna() & s[upper].notna()
    interval = comparable & ~od & has_interval
    dist = pd.to_numeric(s["mad_distance"], errors="coerce").round(MAD_DECIMALS)
    robust = comparable & ~od & ~interval & dist.notna()

    text = flag.where(od, "").astype(str).str.lower()
    strong = text.str.contains("0.001", regex=False) | (confidence == 95)
    od_dir = np.select([text.str.startswith("high") & strong, text.str.startswith("low") & strong],
                       ["higher", "lower"], "similar")
    mad_dir = np.select([dist > VERDICT_MAD_EDGE, dist < -VERDICT_MAD_EDGE], ["higher", "lower"], "similar")
    direction = np.select([od, interval, robust], [od_dir, s["comparison"].astype(str), mad_dir], "not_compared")

    pol = s["polarity"].astype(str).to_numpy()
    good = ((direction == "higher") & (pol == "higher_is_better")) | ((direction == "lower") & (pol == "lower_is_better"))
    bad = ((direction == "lower") & (pol == "higher_is_better")) | ((direction == "higher") & (pol == "lower_is_better"))
    verdict = np.select([good, bad], ["better", "worse"], direction).astype(object)
    basis = np.select([od, interval, robust], ["overdispersion_funnel", "interval", "robust_distance"], "none")
    basis = np.where(verdict == "not_compared", "none", basis).astype(object)
    return pd.DataFrame({"verdict": verdict, "verdict_basis": basis}, index=s.index)


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def resolve_group(authority: str, group="cipfa", period=None) -> tuple[list[str], str]:
    """The comparator councils of ``authority`` (the council itself removed) and a label.

    ``group`` is a scheme name (``cipfa``, ``dfe``; ``england``, ``region``, ``type`` — the
    councils of England, of the council's region or of its type that existed in ``period``) or
    the path of a user CSV with columns ``authority_code,neighbour_code``, all read by
    :func:`ot_benchmark.io.reference.comparator_group`; or, for scripts and tests, a list of ONS
    codes, a mapping ``{authority: [codes]}``, or a DataFrame with columns ``authority_code``
    (or ``authority``) and ``neighbour_code`` (or ``neighbour``).

    Raises
    ------
    NoComparatorGroup
        The council has no group in that scheme; we never guess one.
    """
    if isinstance(group, (str, Path)):
        codes = list(comparator_group(authority, str(group), period=period))
        label = str(group)
    elif isinstance(group, pd.DataFrame):
        a = "authority_code" if "authority_code" in group else "authority"
        b = "neighbour_code" if "neighbour_code" in group else "neighbour"
        if a not in group or b not in group:
            raise ParameterError(
                "a comparator-group table needs columns authority_code and neighbour_code "
                f"(it has {list(group.columns)})"
            )
        codes = group.loc[group[a].astype(str) == authority, b].astype(str).tolist()
        label = "user table"
    elif isinstance(group, Mapping):
        codes = list(group.get(authority, []))
        label = "user mapping"
    else:
        codes = [str(c) for c in group]
        label = "user list"
    codes = list(dict.fromkeys(c for c in codes if c != authority))
    if not codes:
        raise NoComparatorGroup(
            f"{authority} has no comparator group in {label!r}. Councils created or reorganised "
            "after a list was made have no neighbours in it; choose another scheme "
            "(--group cipfa, dfe, england, region, type) or supply a CSV of authority_code,neighbour_code."
        )
    return codes, label


def _catalogue(catalogue) -> pd.DataFrame:
    if catalogue is None:
        catalogue = load_catalogue()
    need = {"indicator_id", "polarity", "method"}
    missing = need - set(catalogue.columns)
    if missing:
        raise ParameterError(f"the catalogue lacks columns {sorted(missing)}")
    cat = catalogue.copy()
    if "multiplier" not in cat:
        cat["multiplier"] = 1.0
    if "name" not in cat:
        cat["name"] = cat["indicator_id"]
    cat["polarity"] = _norm_polarity(cat["polarity"]).to_numpy()
    cat["method"] = cat["method"].astype(str).str.strip().str.lower()
    cat["multiplier"] = pd.to_numeric(cat["multiplier"], errors="coerce").fillna(1.0)
    if "decimals" not in cat:
        cat["decimals"] = pd.NA
    cat["decimals"] = pd.to_numeric(cat["decimals"], errors="coerce").astype("Int64")
    return cat[["indicator_id", "name", "polarity", "method", "multiplier", "decimals"]].rename(
        columns={"name": "indicator_name"}
    )


def _within_council(breakdown: pd.Series) -> pd.Series:
    """Rows whose breakdown dimension is one of :data:`WITHIN_COUNCIL_DIMENSIONS`."""
    b = breakdown.astype(str)
    return b.str.contains(":", regex=False) & b.str.split(":", n=1).str[0].isin(WITHIN_COUNCIL_DIMENSIONS)


def _check_table(indicators: pd.DataFrame) -> pd.DataFrame:
    need = ["authority_code", "period", "indicator_id", "breakdown", "numerator", "denominator", "value"]
    missing = [c for c in need if c not in indicators.columns]
    if missing:
        raise ParameterError(
            f"the indicator table lacks columns {missing}; build it with "
            "ot_benchmark.indicators.engine.compute_indicators()"
        )
    t = indicators.copy()
    for c in ["lower_95", "upper_95", "lower_998", "upper_998"]:
        if c not in t:
            t[c] = np.nan
    for c in ["unit", "ci_method", "source", "note"]:
        if c not in t:
            t[c] = pd.Series(np.nan, index=t.index, dtype=object)
    for c in ["numerator", "denominator", "value", "lower_95", "upper_95", "lower_998", "upper_998"]:
        t[c] = pd.to_numeric(t[c], errors="coerce").astype(float)
    for c in ["authority_code", "period", "indicator_id", "breakdown"]:
        t[c] = t[c].astype(str)
    t["breakdown"] = t["breakdown"].where(indicators["breakdown"].notna(), "all").replace({"nan": "all", "None": "all", "": "all"})
    return t


# --------------------------------------------------------------------------------------------
# The group statistics, for any number of periods/indicators/breakdowns at once
# --------------------------------------------------------------------------------------------


def _group_stats(rows: pd.DataFrame, authority: str, include_self: bool, quartile_method: str) -> pd.DataFrame:
    """Rows of the council and its neighbours (already joined to the catalogue) -> the council's
    rows with every group statistic, one row per period x indicator x breakdown."""
    rows = rows.copy()
    rows["is_subject"] = rows["authority_code"] == authority
    has_value = rows["value"].notna()
    in_comp = has_value & (include_self | ~rows["is_subject"])

    comp = rows[in_comp]
    g = comp.groupby(_KEYS, sort=False)
    poolable = comp["numerator"].notna() & comp["denominator"].notna() & (comp["denominator"] > 0)
    pooled = (
        comp.assign(_num=comp["numerator"].where(poolable), _den=comp["denominator"].where(poolable),
                    _np=poolable.astype(int))
        .groupby(_KEYS, sort=False)[["_num", "_den", "_np"]]
        .sum(min_count=1)
    )
    stats = pd.DataFrame(
        {
            "n_comparators": g["value"].count(),
            "group_median": g["value"].median(),
            "group_q25": g["value"].quantile(0.25),
            "group_q75": g["value"].quantile(0.75),
        }
    ).join(pooled)
    stats["group_mad"] = grouped_mad(comp, "value", _KEYS)
    others = rows[has_value & ~rows["is_subject"]].groupby(_KEYS, sort=False)["value"].count().rename("_n_others")
    stats = stats.join(others).reset_index()

    # rank within council + neighbours (1 = best; context ranked by value descending)
    ranked = rows[has_value].copy()
    sign = np.where(ranked["polarity"] == "lower_is_better", 1.0, -1.0)
    ranked["_key"] = sign * ranked["value"]
    ranked["rank"] = ranked.groupby(_KEYS, sort=False)["_key"].rank(method="min")
    ranked["n_in_group"] = ranked.groupby(_KEYS, sort=False)["_key"].transform("count")
    if quartile_method == "type7":
        ranked["quartile"] = type7_quartile(ranked, "_key", _KEYS)
    else:
        ranked["quartile"] = phe_quantile_of_rank(ranked["rank"], ranked["n_in_group"])

    subj = rows[rows["is_subject"]].drop(columns=["is_subject"])
    subj = subj.merge(ranked.loc[ranked["is_subject"], _KEYS + ["rank", "n_in_group", "quartile"]],
                      on=_KEYS, how="left")
    subj = subj.merge(stats, on=_KEYS, how="left")
    subj["n_comparators"] = subj["n_comparators"].fillna(0).astype(int)
    subj["_n_others"] = subj["_n_others"].fillna(0).astype(int)
    return subj


def _comparator_value(s: pd.DataFrame) -> pd.DataFrame:
    # a group in which no council but the subject has a figure is no comparison at all
    lonely = s["_n_others"] == 0
    s.loc[lonely, "n_comparators"] = 0
    s.loc[lonely, ["group_median", "group_q25", "group_q75", "group_mad"]] = np.nan
    pooled_ok = s["method"].isin(POOLED_METHODS) & (s["_den"] > 0) & (s["_np"] == s["n_comparators"])
    s["comparator_method"] = np.where(
        s["n_comparators"] == 0, "none", np.where(pooled_ok, "pooled", "group_median")
    )
    s["comparator_numerator"] = s["_num"].where(pooled_ok)
    s["comparator_denominator"] = s["_den"].where(pooled_ok)
    s["comparator_value"] = np.where(
        pooled_ok, s["_num"] / s["_den"] * s["multiplier"], s["group_median"]
    )
    s.loc[s["n_comparators"] == 0, "comparator_value"] = np.nan
    return s


# --------------------------------------------------------------------------------------------
# benchmark()
# --------------------------------------------------------------------------------------------

BENCHMARK_COLUMNS = [
    "authority_code", "period", "indicator_id", "breakdown", "indicator_name", "unit", "polarity",
    "method", "value", "numerator", "denominator", "lower_95", "upper_95", "lower_998", "upper_998",
    "ci_method", "comparator_scheme", "comparator_method", "comparator_includes_self",
    "n_comparators", "comparator_value", "comparator_numerator", "comparator_denominator",
    "comparison_confidence", "comparison", "assessment", "fingertips_label", "verdict", "verdict_basis",
    "rank", "n_in_group",
    "rank_order", "quartile", "quartile_method", "group_median", "group_q25", "group_q75",
    "group_mad", "mad_distance", "mad_band", "funnel_flag", "funnel_phi", "funnel_tau2", "funnel_flag_od",
    "best_quartile_value", "gap_to_best_quartile",
    "gap_counts", "gap_counts_meaning", "gap_gbp", "note", "decimals",
]


def benchmark(
    indicators: pd.DataFrame,
    authority: str,
    period,
    group="cipfa",
    *,
    catalogue: pd.DataFrame | None = None,
    include_self: bool = True,
    quartile_method: str = "phe",
    confidence: float = 95,
) -> pd.DataFrame:
    """Compare a council with its comparator group for one period (a quarter, a financial year
    or a month: whatever the table's rows are for).

    Parameters
    ----------
    indicators : DataFrame
        The tidy indicator table (``docs/ARCHITECTURE.md``) holding the council's rows and its
        comparators' rows for ``period``.
    authority : str
        ONS code of the council.
    period : str or period
        The period, e.g. ``"2024-25 Q2"``, ``"2022-23"``.
    group : str, path, list, mapping or DataFrame
        Comparator group: ``"cipfa"``, ``"dfe"``, ``"england"``, ``"region"``, ``"type"`` (the
        last three: the councils that existed in ``period``) or a user CSV path with columns
        ``authority_code,neighbour_code`` (read by :mod:`ot_benchmark.io.reference`), or an
        explicit group (see :func:`resolve_group`).
    catalogue : DataFrame, optional
        The indicator catalogue (default :func:`ot_benchmark.catalogue.load_catalogue`).
    include_self : bool, default True
        Whether the council itself is part of the comparator value, median, MAD and quartile
        cut-points. Rank, ``n_in_group`` and ``quartile`` always include it.
    quartile_method : {"phe", "type7"}
        ``phe``: PHE quantile assignment applied to the rank (quartile 1 = best), NaN with fewer
        than 4 councils. ``type7``: the value against the 25/50/75th percentiles of the council
        plus neighbours.
    confidence : {95, 99.8}
        Which of the council's intervals the Fingertips comparison uses.

    Returns
    -------
    DataFrame
        One row per indicator x breakdown of the council in ``period``, columns
        (``BENCHMARK_COLUMNS``):

        - ``authority_code, period, indicator_id, breakdown`` — keys.
        - ``indicator_name, unit, polarity, method`` — from the catalogue/table, for readers.
        - ``value, numerator, denominator, lower_95, upper_95, lower_998, upper_998, ci_method``
          — the council's own figures.
        - ``comparator_scheme`` — the group used; ``comparator_includes_self`` — bool.
        - ``n_comparators`` — councils with a value in the comparator set.
        - ``comparator_method`` — ``pooled`` (proportion, rate, ratio: sum of numerators ÷ sum of
          denominators × multiplier; needs every comparator's numerator and denominator),
          ``group_median`` (median, mean, count indicators, and pooled-method indicators whose
          comparators lack numerators), ``none`` (no comparator data).
        - ``comparator_value, comparator_numerator, comparator_denominator``.
        - ``comparison_confidence`` (95 or 99.8); ``comparison`` — ``higher | similar | lower |
          not_compared`` (Fingertips: lower limit > comparator → higher, upper limit <
          comparator → lower); ``assessment`` — ``better | similar | worse | not_applicable``
          (context) ``| not_compared``; ``fingertips_label`` — the same in Fingertips' words.
        - ``verdict`` — the one verdict a reader is shown (``better | similar | worse``;
          ``higher | similar | lower`` for context indicators; ``not_compared``) and
          ``verdict_basis`` — what it rests on (``interval``, ``overdispersion_funnel``,
          ``robust_distance``, ``none``): the widened funnel when the group is over-dispersed
          (φ > 1), else the interval, else the robust distance; never for a total (a count or an
          amount with no denominator, :func:`is_total`). See :func:`_verdict` and docs/methods.md.
        - ``rank`` (1 = best; ties share the lowest rank), ``n_in_group`` (council + neighbours
          with a value), ``rank_order`` (what rank 1 means; context indicators rank by value,
          highest first), ``quartile`` (1 = best), ``quartile_method``.
        - ``group_median, group_q25, group_q75, group_mad`` — over the comparator set; MAD is
          unscaled, median(|value − median|).
        - ``mad_distance`` — (value − group_median) ÷ group_mad; 0 when MAD is 0 and the value
          equals the median, ±inf when MAD is 0 and it differs; NaN with fewer than 3
          comparators. ``mad_band`` — words (:data:`MAD_BANDS`).
        - ``funnel_flag`` — :func:`ot_benchmark.stats.funnel.funnel_flag` against the pooled average at the council's
          denominator (proportion and rate indicators with a pooled comparator only; the
          catalogue's ``ratio`` indicators have no sampling model).
        - ``funnel_phi`` — φ, Spiegelhalter's (2005) dispersion ratio of the comparator set
          (the councils pooled into the comparator value) around the pooled average: the mean
          squared z-score after winsorising 10% each side (arcsine-square-root scale for
          proportions, log scale for rates). φ near 1: the councils vary about as much as
          chance alone would make them; φ well above 1: they vary more (real differences in
          practice or recording), and the plain funnel flags more councils than it should.
          Reported for every proportion or rate indicator with a pooled comparator and at
          least 3 councils with counts (also when the council itself has no figure); NaN
          otherwise.
          ``funnel_tau2`` — the additive random-effects variance τ² on that scale (0 unless
          φ > 1). ``funnel_flag_od`` — the funnel flag against limits widened by τ² when
          φ > 1; when φ ≤ 1 the limits are not widened and it equals ``funnel_flag``
          (:func:`ot_benchmark.stats.funnel.funnel_overdispersion`).
        - ``best_quartile_value`` — the group's upper-quartile value by polarity (75th
          percentile if higher is better, 25th if lower is better; NaN for context).
          ``gap_to_best_quartile`` — how far the council is short of it, in the indicator's unit
          (0 when already there). ``gap_counts`` — gap ÷ multiplier × the council's
          denominator (e.g. W5: more people assessed in time), described in
          ``gap_counts_meaning``; ``gap_gbp`` — its £ value where one is known (E3, E4, E6).
        - ``note`` — the table's note, plus why a figure is missing.
        - ``decimals`` — the catalogue's display precision (<NA>: the unit's default), for
          :func:`ot_benchmark.report.narrative.format_value`.

        ``attrs`` holds ``quartile_method``, ``comparator_scheme``, ``comparator_label`` (a
        reader's name for a built-in group: ``"all councils in England, 2022-23"``),
        ``include_self``, ``comparator_codes``, ``comparators_not_existing`` (members of a listed
        group — cipfa, dfe, a CSV — that did not exist in the period, e.g. Somerset County in
        2024-25; they are kept, and have figures only in synthetic data).

    Raises
    ------
    NoComparatorGroup
        The council has no group in the scheme.
    ParameterError
        The council or the period is not in the table.
    """
    if quartile_method not in QUARTILE_METHODS:
        raise ParameterError(f"quartile_method must be one of {sorted(QUARTILE_METHODS)}, not {quartile_method!r}")
    if confidence not in (95, 99.8):
        raise ParameterError(f"confidence must be 95 or 99.8, not {confidence!r}")
    period_label = parse_period(period).label
    authority = str(authority).strip().upper()
    codes, scheme = resolve_group(authority, group, period_label)
    t = _check_table(indicators)
    t = t[t["period"] == period_label]
    if t.empty:
        raise ParameterError(f"the indicator table has no rows for {period_label}; check --period")
    if not (t["authority_code"] == authority).any():
        raise ParameterError(f"the indicator table has no rows for {authority} in {period_label}; check --authority")
    cat = _catalogue(catalogue)
    rows = t[t["authority_code"].isin([authority, *codes])].merge(cat, on="indicator_id", how="left")
    within = _within_council(rows["breakdown"])
    rows = rows[~within | (rows["authority_code"] == authority)]  # other councils' teams are not comparators
    rows["polarity"] = rows["polarity"].fillna("context")
    rows["multiplier"] = rows["multiplier"].fillna(1.0)

    s = _group_stats(rows, authority, include_self, quartile_method)
    s = _comparator_value(s)

    lo, up = ("lower_95", "upper_95") if confidence == 95 else ("lower_998", "upper_998")
    lab = significance_label(s[lo], s[up], s["comparator_value"], s["polarity"])
    not_cat = ~s["indicator_id"].isin(cat["indicator_id"])
    for c in lab:
        s[c] = np.where(not_cat, "not_compared" if c != "fingertips_label" else "Not compared", lab[c])

    s["comparator_scheme"] = scheme
    s["comparator_includes_self"] = bool(include_self)
    s["comparison_confidence"] = confidence
    s["rank_order"] = np.select(
        [s["polarity"] == "higher_is_better", s["polarity"] == "lower_is_better"],
        ["1 = best (highest)", "1 = best (lowest)"],
        default="1 = highest value (context: no better or worse)",
    )
    s["quartile_method"] = quartile_method

    # robust distance (Oflog style)
    dist = mad_distance(s["value"], s["group_median"], s["group_mad"])
    dist = pd.Series(dist, index=s.index, dtype=float).where(s["n_comparators"] >= 3)
    s["mad_distance"] = dist
    s["mad_band"] = mad_band(dist).to_numpy()

    # funnel flag against the pooled average
    avg = s["comparator_numerator"] / s["comparator_denominator"]
    s["funnel_flag"] = funnel_flag(s["numerator"], s["denominator"], avg,
                                   s["method"].where(s["comparator_method"] == "pooled", "").to_numpy(dtype=object))

    # over-dispersion (Spiegelhalter 2005) over the councils pooled into the comparator value
    fm = s["method"].where(s["comparator_method"] == "pooled", "")
    s["average"] = avg
    s["method_funnel"] = fm
    comp_rows = rows[rows["value"].notna() & (include_self | (rows["authority_code"] != authority))]
    comp_rows = comp_rows[_KEYS + ["numerator", "denominator"]].merge(
        s[_KEYS + ["average", "method_funnel"]], on=_KEYS, how="inner").rename(columns={"method_funnel": "method"})
    od = funnel_overdispersion(comp_rows, _KEYS, s[_KEYS + ["numerator", "denominator", "average", "funnel_flag"]]
                               .assign(method=fm))
    s[["funnel_phi", "funnel_tau2", "funnel_flag_od"]] = od[["funnel_phi", "funnel_tau2", "funnel_flag_od"]]
    s = s.drop(columns=["average", "method_funnel"])

    # the one verdict every reader-facing place shows
    s[["verdict", "verdict_basis"]] = _verdict(s, lo, up, confidence, ~not_cat)

    # best-performer gap
    hib = s["polarity"] == "higher_is_better"
    lib = s["polarity"] == "lower_is_better"
    s["best_quartile_value"] = np.select([hib, lib], [s["group_q75"], s["group_q25"]], default=np.nan)
    gap = np.select([hib, lib], [s["best_quartile_value"] - s["value"], s["value"] - s["best_quartile_value"]],
                    default=np.nan)
    s["gap_to_best_quartile"] = np.clip(gap, 0, None)
    meaning = s["indicator_id"].map(lambda i: (GAP_MEANINGS.get(i) or {}).get("counts"))
    gbp_rule = s["indicator_id"].map(lambda i: (GAP_MEANINGS.get(i) or {}).get("gbp"))
    counts = s["gap_to_best_quartile"] / s["multiplier"] * s["denominator"]
    pooled_m = s["method"].isin(POOLED_METHODS)
    s["gap_counts"] = counts.where(pooled_m & counts.notna())
    default_meaning = "more " + s["indicator_name"].fillna(s["indicator_id"]).astype(str) + " numerator units"
    s["gap_counts_meaning"] = np.where(
        s["gap_counts"].notna(), meaning.fillna(default_meaning), np.nan
    )
    # £: E3 uses the council's own £ per item returned to stock (E6 value / E3 numerator)
    e = t[(t["authority_code"] == authority) & (t["breakdown"] == "all")].set_index("indicator_id")
    per_item = np.nan
    if {"E3", "E6"} <= set(e.index):
        per_item = e.at["E6", "value"] / e.at["E3", "numerator"] if e.at["E3", "numerator"] > 0 else np.nan
    s["gap_gbp"] = np.select(
        [gbp_rule == "count_is_gbp", gbp_rule == "value_is_gbp", gbp_rule == "E6_per_E3_item"],
        [s["gap_counts"], s["gap_to_best_quartile"], s["gap_counts"] * per_item],
        default=np.nan,
    )

    # notes
    per_population = s["indicator_id"].map(PER_POPULATION)
    size_note = np.where(per_population.notna(),
                         "a total grows with the council's size: compared across councils per 10,000 adults (" +
                         per_population.fillna("").astype(str) + ")",
                         "a total grows with the council's size: not compared across councils")
    why = np.select(
        [~s["indicator_id"].isin(cat["indicator_id"]), s["value"].isna(), is_total(s), s["n_comparators"] == 0,
         (s["verdict_basis"] == "robust_distance"), s[lo].isna() | s[up].isna()],
        ["indicator not in the catalogue: not compared", "no value for the council", size_note,
         "no comparator has a value",
         "no confidence interval: judged by its distance from the group median (robust distance)",
         "no confidence interval, and too few comparators for a robust distance: not compared"],
        default="",
    )
    base = s["note"].fillna("").astype(str).replace("nan", "")
    why = np.where((base != "") & s["value"].isna().to_numpy(), "", why)  # the table already says why
    s["note"] = (base + np.where((base != "") & (why != ""), "; ", "") + why).replace("", np.nan)
    s["unit"] = s["unit"].astype(object)

    own = _within_council(s["breakdown"]).to_numpy()
    if own.any():  # a council's own teams: its figures only, nothing compared
        for c in ("comparator_value", "comparator_numerator", "comparator_denominator", "rank", "n_in_group",
                  "quartile", "group_median", "group_q25", "group_q75", "group_mad", "mad_distance",
                  "funnel_phi", "funnel_tau2", "best_quartile_value", "gap_to_best_quartile", "gap_counts", "gap_gbp"):
            s[c] = s[c].astype("float64").where(~own, np.nan)
        for c in ("mad_band", "funnel_flag", "funnel_flag_od", "gap_counts_meaning"):
            s[c] = s[c].astype(object).where(~own, np.nan)
        s.loc[own, "n_comparators"] = 0
        s.loc[own, "comparator_method"] = "none"
        s.loc[own, ["comparison", "assessment"]] = "not_compared"
        s.loc[own, "fingertips_label"] = "Not compared"
        s.loc[own, "note"] = WITHIN_COUNCIL_NOTE
    for c in ("rank", "n_in_group", "quartile"):
        s[c] = pd.array(np.round(s[c].to_numpy(dtype=float)), dtype="Int64") if len(s) else s[c]
    out = s.reindex(columns=BENCHMARK_COLUMNS)
    out = out.sort_values(["indicator_id", "breakdown"], kind="stable").reset_index(drop=True)
    gone = did_not_exist(codes, [period_label] * len(codes))
    out.attrs.update(
        quartile_method=QUARTILE_METHODS[quartile_method],
        comparator_scheme=scheme,
        comparator_label=group_label(authority, scheme, period_label) if isinstance(group, (str, Path)) else scheme,
        include_self=bool(include_self),
        comparator_codes=list(codes),
        comparators_not_existing=[c for c, g in zip(codes, gone) if g],
    )
    return out


# --------------------------------------------------------------------------------------------
# trend()
# --------------------------------------------------------------------------------------------

TREND_COLUMNS = [
    "authority_code", "indicator_id", "breakdown", "period", "period_index", "value", "lower_95",
    "upper_95", "numerator", "denominator", "previous_period", "qoq_change", "qoq_change_pct",
    "qoq_beyond_ci", "year_ago_period", "yoy_change", "yoy_change_pct", "yoy_beyond_ci",
    "group_value", "group_method", "n_comparators", "group_median", "difference_from_group",
    "comparison", "assessment", "verdict", "verdict_basis",
]


def _trend_verdicts(t: pd.DataFrame, authority: str, codes, periods: pd.Series, catalogue, include_self) -> pd.DataFrame:
    """The one verdict (:func:`_verdict`, through :func:`benchmark`) of each of the council's
    quarters of one indicator and breakdown (``t``), so that a trend table says what the
    summary says for the same quarter."""
    out = []
    for p in periods:  # a dozen quarters of one indicator
        b = benchmark(t, authority, p, list(codes), catalogue=catalogue, include_self=include_self)
        out.append(b[["verdict", "verdict_basis"]].iloc[0].tolist() if len(b) else ["not_compared", "none"])
    return pd.DataFrame(out, columns=["verdict", "verdict_basis"], index=periods.index)


def _period_index(labels: pd.Series) -> pd.Series:
    """Consecutive periods of one kind get consecutive integers (:attr:`ordinal`)."""
    uniq = pd.unique(labels)
    idx = {u: parse_period(u).ordinal for u in uniq}
    return labels.map(idx).astype(int)


def trend(
    indicators: pd.DataFrame,
    authority: str,
    indicator_id: str,
    breakdown: str = "all",
    group=None,
    *,
    catalogue: pd.DataFrame | None = None,
    include_self: bool = True,
) -> pd.DataFrame:
    """The council's periods for one indicator, against earlier periods and its group.

    Quarters, financial years or months alike: "previous" is the previous period of the same
    kind (for years, the previous year: ``qoq_*`` and ``yoy_*`` then agree), "a year ago" the
    same period a year earlier. A series holding several kinds keeps the kind of its latest
    period. A missing period is a gap: the change across it is NaN, never closed up.

    Parameters
    ----------
    indicators : DataFrame
        The indicator table, all the quarters wanted.
    authority, indicator_id, breakdown : str
    group : optional
        Comparator group as in :func:`benchmark`; None leaves the group columns empty.
    catalogue : DataFrame, optional
    include_self : bool
        Whether the council is pooled into the group value.

    Returns
    -------
    DataFrame
        One row per quarter the council has, oldest first (``TREND_COLUMNS``):
        ``period_index`` (the period's ordinal: quarters since year 0, years, or months since year 0; for plotting on a numeric axis); the council's
        ``value, lower_95, upper_95, numerator, denominator``; ``previous_period``,
        ``qoq_change`` (value − previous quarter's value), ``qoq_change_pct`` (% of the previous
        value), ``qoq_beyond_ci`` (True when the two quarters' 95% intervals do not overlap — a
        conservative test; NaN without intervals); the same against the quarter a year earlier
        (``yoy_*``); ``group_value`` (pooled Σnum/Σden × multiplier or group median, as in
        :func:`benchmark`), ``group_method``, ``n_comparators``, ``group_median``,
        ``difference_from_group`` (value − group_value), the Fingertips ``comparison`` /
        ``assessment`` of that quarter against the group value, and the quarter's one
        ``verdict`` and ``verdict_basis`` (as :func:`benchmark` gives them: what a reader is
        shown). A quarter with no earlier
        quarter has NaN changes; gaps in the series are respected (the previous quarter is the
        calendar previous quarter, not the previous row).
    """
    authority = str(authority).strip().upper()
    t = _check_table(indicators)
    t = t[(t["indicator_id"] == indicator_id) & (t["breakdown"] == breakdown)]
    own = t[t["authority_code"] == authority].copy()
    if own.empty:
        raise ParameterError(
            f"the indicator table has no {indicator_id} ({breakdown}) rows for {authority}"
        )
    kinds = own["period"].map(lambda p: parse_period(p).kind)
    if kinds.nunique() > 1:  # one series per kind: keep the kind of the latest period
        latest = max(own["period"].map(parse_period))
        own = own[kinds == latest.kind].copy()
        kinds = kinds[own.index]
    steps_per_year = parse_period(own["period"].iloc[0]).steps_per_year
    own["period_index"] = _period_index(own["period"])
    own = own.sort_values("period_index").reset_index(drop=True)
    cols = ["period_index", "period", "value", "lower_95", "upper_95"]
    for lag, name in ((1, "qoq"), (steps_per_year, "yoy")):
        prev = own[cols].rename(columns=lambda c: f"_p_{c}")
        prev["period_index"] = prev["_p_period_index"] + lag
        m = own[["period_index"]].merge(prev, on="period_index", how="left")
        own[f"{'previous' if lag == 1 else 'year_ago'}_period"] = m["_p_period"].to_numpy()
        change = own["value"].to_numpy() - m["_p_value"].to_numpy()
        own[f"{name}_change"] = change
        with np.errstate(divide="ignore", invalid="ignore"):
            own[f"{name}_change_pct"] = np.where(m["_p_value"].to_numpy() != 0,
                                                 change / np.abs(m["_p_value"].to_numpy()) * 100, np.nan)
        lo_now, up_now = own["lower_95"].to_numpy(), own["upper_95"].to_numpy()
        lo_p, up_p = m["_p_lower_95"].to_numpy(), m["_p_upper_95"].to_numpy()
        have = ~(np.isnan(lo_now) | np.isnan(up_now) | np.isnan(lo_p) | np.isnan(up_p))
        beyond = (lo_now > up_p) | (up_now < lo_p)
        own[f"{name}_beyond_ci"] = pd.array(np.where(have, beyond, False), dtype="boolean")
        own.loc[~have, f"{name}_beyond_ci"] = pd.NA

    cat = _catalogue(catalogue) if (group is not None or catalogue is not None) else None
    if group is not None:
        if isinstance(group, str) and group.lower() in BUILT_IN_GROUPS:  # members differ from period to period
            parts = [t[(t["period"] == p) & t["authority_code"].isin([authority, *resolve_group(authority, group, p)[0]])]
                     for p in own["period"]]
            rows = pd.concat(parts, ignore_index=True)
        else:
            codes, _ = resolve_group(authority, group)
            rows = t[t["authority_code"].isin([authority, *codes])]
        rows = rows.merge(cat, on="indicator_id", how="left")
        rows = rows[~_within_council(rows["breakdown"])]  # a council's own teams have no comparators
        rows["polarity"] = rows["polarity"].fillna("context")
        rows["multiplier"] = rows["multiplier"].fillna(1.0)
        g = _comparator_value(_group_stats(rows, authority, include_self, "phe"))
        g = g[["period", "comparator_value", "comparator_method", "n_comparators", "group_median", "polarity"]]
        own = own.merge(g, on="period", how="left")
        own = own.rename(columns={"comparator_value": "group_value", "comparator_method": "group_method"})
        lab = significance_label(own["lower_95"], own["upper_95"], own["group_value"], own["polarity"])
        own["comparison"] = lab["comparison"].to_numpy()
        own["assessment"] = lab["assessment"].to_numpy()
        own["difference_from_group"] = own["value"] - own["group_value"]
        own[["verdict", "verdict_basis"]] = _trend_verdicts(t, authority, codes, own["period"], catalogue,
                                                            include_self).to_numpy()
    return own.reindex(columns=TREND_COLUMNS)


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


def write_table(df: pd.DataFrame, path) -> Path:
    """Write a table as .csv, .xlsx or .parquet, chosen by the file's suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".parquet"):
        raise ParameterError(f"--out {path}: the file name must end .csv, .xlsx or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".xlsx":
        df.to_excel(path, index=False)
    else:
        df.to_parquet(path, index=False)
    return path
