"""Small-number disclosure control for published outputs.

METHODS.md, "Small-number disclosure control": published outputs (anything a review team reads)
suppress counts 1–4 and rates built on them with the government statistics symbol ``[c]``; a
total that would reveal a suppressed cell by subtraction is also suppressed (secondary
suppression). Analyst-only outputs can be unsuppressed, and say so (:data:`ANALYST_ONLY_NOTE`).

Two shapes are handled:

* the tidy **indicator table** (:func:`suppress_indicators`): which of ``numerator``,
  ``denominator`` and ``value`` are counts of people follows from the indicator's ``method``
  and ``counts_people`` in the catalogue (:func:`count_roles`) — posts, WTE and £ carry no
  disclosure risk and are never suppressed; rows with ``breakdown`` ``dimension:value`` are the
  parts of the ``all`` row of the same council, period and indicator;
* any **other table** (:func:`suppress_table`): the caller names the count columns, the rate
  columns and what each rate is built on, and optionally which rows are parts of a total.

Rules
-----
1. *Primary*: a count cell with ``0 < count < threshold + 1`` (1–4 for whole numbers) is
   suppressed. Zero is not suppressed.
2. *Secondary*: within an additive group (the parts of one breakdown dimension plus their total,
   or the parts alone when the total is published elsewhere, e.g. wait bands adding up to the
   waiting list), a lone suppressed cell could be recovered by subtraction, so a second cell is
   suppressed: the smallest non-zero unsuppressed part, else a zero part, else the total. This
   is repeated until no group has exactly one suppressed cell.
3. In the indicator table a suppressed denominator also suppresses its numerator (the numerator
   cannot exceed a tiny denominator without revealing it).
4. A rate (``value`` and the interval columns) is suppressed when any count it is built on is.

Suppressed cells hold :data:`SYMBOL`; such columns become ``object`` dtype.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ot_benchmark.catalogue import load_catalogue

__all__ = [
    "SYMBOL",
    "THRESHOLD",
    "FEWER_THAN",
    "NOT_SHOWN",
    "is_marked",
    "is_small_count",
    "published_trend",
    "ANALYST_ONLY_NOTE",
    "SUPPRESSION_NOTE",
    "INTERVAL_COLUMNS",
    "count_roles",
    "is_indicator_table",
    "primary_mask",
    "secondary_mask",
    "table_suppression_mask",
    "indicator_suppression_mask",
    "apply_mask",
    "suppress_table",
    "suppress_indicators",
    "comparator_suppression_mask",
    "publication_mask",
    "COMPARATOR_COLUMNS",
]

SYMBOL = "[c]"
THRESHOLD = 4
#: how a sentence says a withheld count: never the number itself
FEWER_THAN = f"fewer than {THRESHOLD + 1}"
#: how a sentence says a figure is withheld (the words for a [c] cell)
NOT_SHOWN = f"not shown, because it rests on a count of {FEWER_THAN}"
INTERVAL_COLUMNS = ("lower_95", "upper_95", "lower_998", "upper_998")
SUPPRESSION_NOTE = (
    "[c] = suppressed to protect confidentiality: counts of 1 to 4, rates built on them, and "
    "any other cell that would let a suppressed number be worked out by subtraction."
)
ANALYST_ONLY_NOTE = (
    "Analyst-only output: small numbers are NOT suppressed. Do not publish or share outside the "
    "analytical team."
)
_INDICATOR_COLUMNS = ("indicator_id", "breakdown", "numerator", "denominator", "value")


# --------------------------------------------------------------------------------------------
# building blocks


def _bare(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` without its ``attrs`` (a shallow copy): pandas deep-copies ``attrs`` (the indicator
    table's settings) on every operation, which made suppressing a few rows slow."""
    if not df.attrs:
        return df
    out = df.copy(deep=False)
    out.attrs = {}
    return out


def primary_mask(values: pd.Series | pd.DataFrame, threshold: int = THRESHOLD):
    """True where a count is small enough to suppress: ``0 < count < threshold + 1``.

    Non-numeric cells and NaN are never suppressed by this rule.
    """
    num = values.apply(pd.to_numeric, errors="coerce") if isinstance(values, pd.DataFrame) else pd.to_numeric(values, errors="coerce")
    return (num > 0) & (num < threshold + 1)


def is_small_count(n, threshold: int = THRESHOLD) -> bool:
    """The primary rule for one number outside the indicator table (a count of rows, of people
    in a sentence): ``0 < n < threshold + 1``. NaN and text are not small counts."""
    v = pd.to_numeric(pd.Series([n]), errors="coerce").iloc[0]
    return bool(pd.notna(v) and 0 < v < threshold + 1)


def is_marked(values):
    """True where a published cell holds :data:`SYMBOL` (a scalar gives a bool, a Series a
    boolean Series). Everything downstream of disclosure reads this, never the counts."""
    if isinstance(values, pd.Series):
        return values.astype("object").map(lambda x: isinstance(x, str) and x.strip() == SYMBOL).astype(bool)
    return isinstance(values, str) and values.strip() == SYMBOL


def _dimension(labels: pd.Series, total_label: str) -> pd.Series:
    """Breakdown dimension of a part label: the text before ``:`` (``priority:urgent`` ->
    ``priority``); labels without a colon all belong to one unnamed dimension."""
    s = labels.astype("object").where(labels.notna(), "")
    s = pd.Series(s, index=labels.index, dtype="object").astype(str)
    return s.str.split(":", n=1).str[0].where(s.str.contains(":", regex=False), "")


def secondary_mask(
    df: pd.DataFrame,
    column: str,
    mask: pd.Series,
    *,
    group_by: Sequence[str],
    breakdown: str,
    total_label: str = "all",
) -> pd.Series:
    """Extend ``mask`` (suppressed cells of count ``column``) so that no additive group holds
    exactly one suppressed cell.

    An additive group is the rows sharing ``group_by`` whose ``breakdown`` is a part of the same
    dimension, plus the row(s) whose ``breakdown`` equals ``total_label`` (the total is a member
    of every dimension's group). Cells whose count is NaN are not members (nothing is shown).

    Returns a new boolean Series (same index as ``df``).
    """
    mask = mask.astype(bool).copy()
    if not mask.any():  # no suppressed cell: no group can hold a lone one
        return mask
    values = pd.to_numeric(df[column], errors="coerce")
    present = values.notna()
    if not present.any():
        return mask
    keys = list(group_by)
    base = df.loc[present, keys].copy()
    base["_row"] = np.flatnonzero(present.to_numpy())
    base["_value"] = values[present].to_numpy()
    lab = df.loc[present, breakdown]
    base["_total"] = (lab.astype("object") == total_label).to_numpy()
    base["_dim"] = _dimension(lab, total_label).to_numpy()
    parts = base[~base["_total"]]
    totals = base[base["_total"]].drop(columns="_dim")
    # every dimension present among a group's parts gets the group's total as a member
    dims = parts[keys + ["_dim"]].drop_duplicates()
    if keys:
        totals_long = totals.merge(dims, on=keys, how="inner")
    else:
        totals_long = totals.merge(dims, how="cross")
    members = pd.concat([parts, totals_long[parts.columns]], ignore_index=True)
    gkeys = keys + ["_dim"]
    # candidate order inside a group: non-zero parts by size, then zero parts, then the total
    members["_rank0"] = np.select(
        [members["_total"], members["_value"] == 0], [2, 1], default=0
    )
    members = members.sort_values(gkeys + ["_rank0", "_value", "_row"], kind="stable")
    group_id = members.groupby(gkeys, sort=False, dropna=False).ngroup().to_numpy()
    size = np.bincount(group_id)
    rows = members["_row"].to_numpy()
    m = mask.to_numpy().copy()
    while True:
        supp = m[rows]
        n_supp = np.bincount(group_id, weights=supp.astype(float), minlength=size.size)
        lone = (n_supp == 1) & (size >= 2)
        if not lone.any():
            break
        cand = (~supp) & lone[group_id]
        # first candidate of each lone group (members are already in preference order)
        first = pd.Series(np.flatnonzero(cand)).groupby(group_id[cand]).first()
        m[rows[first.to_numpy()]] = True
    return pd.Series(m, index=mask.index)


def apply_mask(df: pd.DataFrame, mask: pd.DataFrame, symbol: str = SYMBOL) -> pd.DataFrame:
    """Replace the cells of ``df`` where ``mask`` is True by ``symbol`` (columns absent from the
    mask are left alone). Touched columns become ``object`` dtype; the input is not modified."""
    out = df.copy()
    for col in mask.columns:
        m = mask[col].to_numpy(dtype=bool)
        if m.any():
            out[col] = pd.Series(np.where(m, symbol, out[col].astype(object).to_numpy()), index=out.index, dtype=object)
    return out


# --------------------------------------------------------------------------------------------
# generic tables


def table_suppression_mask(
    df: pd.DataFrame,
    counts: Sequence[str],
    rates: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    *,
    group_by: Sequence[str] | None = None,
    breakdown: str | None = None,
    total_label: str = "all",
    threshold: int = THRESHOLD,
) -> pd.DataFrame:
    """Boolean frame (columns ``counts`` + rate columns) of the cells to suppress.

    Parameters
    ----------
    df : DataFrame
        Any table.
    counts : list of str
        Columns holding counts of people, cases, items, complaints, ...
    rates : dict or list, optional
        Columns derived from counts: ``{"pct_seen": ["seen", "referrals"]}`` (suppressed when
        any listed count of the same row is), or a list of columns built on *all* ``counts``.
    group_by, breakdown, total_label : optional
        Rows sharing ``group_by`` whose ``breakdown`` column holds parts (``priority:urgent``,
        or plain labels) of the row labelled ``total_label`` are additive: secondary
        suppression is applied within them. Without ``breakdown`` only primary suppression.
    threshold : int
        Largest count suppressed (4).
    """
    counts = list(counts)
    missing = [c for c in counts if c not in df.columns]
    if isinstance(rates, Mapping):
        rate_map = {k: list(v) for k, v in rates.items()}
    else:
        rate_map = {k: counts for k in (rates or [])}
    missing += [c for c in rate_map if c not in df.columns]
    missing += [c for srcs in rate_map.values() for c in srcs if c not in counts]
    if missing:
        raise KeyError(f"suppression: columns {sorted(set(missing))} are not count/rate columns of the table "
                       f"(columns: {list(df.columns)}; every rate must be built on listed counts)")
    mask = pd.DataFrame(False, index=df.index, columns=counts + list(rate_map))
    if counts:
        mask[counts] = primary_mask(df[counts], threshold).to_numpy()
    if breakdown is not None:
        for col in counts:
            mask[col] = secondary_mask(df, col, mask[col], group_by=list(group_by or []),
                                       breakdown=breakdown, total_label=total_label)
    for rate, srcs in rate_map.items():
        mask[rate] = mask[srcs].any(axis=1) if srcs else False
    return mask


def suppress_table(
    df: pd.DataFrame,
    counts: Sequence[str],
    rates: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    *,
    group_by: Sequence[str] | None = None,
    breakdown: str | None = None,
    total_label: str = "all",
    threshold: int = THRESHOLD,
    symbol: str = SYMBOL,
) -> pd.DataFrame:
    """Suppress small counts (and rates built on them) in any table; see
    :func:`table_suppression_mask` for the parameters.

    Examples
    --------
    >>> t = pd.DataFrame({"team": ["N", "S", "all"], "seen": [3, 10, 13], "referrals": [20, 30, 50]})
    >>> suppress_table(t, counts=["seen", "referrals"], breakdown="team")["seen"].tolist()  # S hidden too, else 13 - 10
    ['[c]', '[c]', 13]
    """
    mask = table_suppression_mask(df, counts, rates, group_by=group_by, breakdown=breakdown,
                                  total_label=total_label, threshold=threshold)
    return apply_mask(df, mask, symbol)


# --------------------------------------------------------------------------------------------
# the indicator table


def is_indicator_table(df: pd.DataFrame) -> bool:
    """Does ``df`` have the indicator-table columns suppression needs?"""
    return all(c in df.columns for c in _INDICATOR_COLUMNS)


def count_roles(catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """Which indicator-table columns are counts of people, per indicator.

    Two catalogue columns decide. ``method`` says which columns hold counts at all:

    ============  =========  ===========  =====
    method        numerator  denominator  value
    ============  =========  ===========  =====
    proportion    yes        yes          no
    count         yes        yes          yes
    rate          yes        no (WTE, population) no
    mean, median  no         yes (n)      no
    ratio         yes        yes          no
    (blank)       yes        yes          no
    ============  =========  ===========  =====

    ``counts_people`` (:data:`ot_benchmark.catalogue.COUNTS_PEOPLE`) says which of them count
    people — service users, complainants, their cases and the items issued to them — and so
    carry a disclosure risk: ``true`` (both), ``numerator``, ``denominator`` or ``false``
    (posts, WTE, £, populations: C4-C6, the £ measures). A catalogue without the column (a
    council's own, an older one) is read as ``true`` for every indicator: erring towards
    "count" over-suppresses a little rather than risk disclosure. A ``value`` is a count only
    for ``count`` indicators whose numerator counts people.

    Returns
    -------
    DataFrame
        Indexed by ``indicator_id``, bool columns ``numerator_is_count``,
        ``denominator_is_count``, ``value_is_count``.
    """
    cat = load_catalogue() if catalogue is None else catalogue
    method = cat["method"].astype("object").where(cat["method"].notna(), "").astype(str).str.strip().str.lower()
    if "counts_people" in cat.columns:
        people = cat["counts_people"].astype("object").where(cat["counts_people"].notna(), "true")
        people = people.astype(str).str.strip().str.lower()
    else:
        people = pd.Series("true", index=cat.index)
    falsy = people.isin(["false", "no", "n", "0", "f"])
    num_people = ~falsy & ~people.eq("denominator")
    den_people = ~falsy & ~people.eq("numerator")
    numer = method.isin(["proportion", "count", "rate", "ratio", ""]) & num_people
    denom = method.isin(["proportion", "count", "mean", "median", "ratio", ""]) & den_people
    value = method.eq("count") & num_people
    return pd.DataFrame(
        {"numerator_is_count": numer.to_numpy(), "denominator_is_count": denom.to_numpy(),
         "value_is_count": value.to_numpy()},
        index=pd.Index(cat["indicator_id"].astype(str), name="indicator_id"),
    )


def indicator_suppression_mask(
    table: pd.DataFrame,
    *,
    threshold: int = THRESHOLD,
    catalogue: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Boolean frame (columns ``numerator``, ``denominator``, ``value`` and the interval
    columns present) of the cells of an indicator table to suppress.

    Indicators not in the catalogue (local ones) are treated as ``method`` blank: numerator and
    denominator are counts.
    """
    if not is_indicator_table(table):
        raise KeyError(f"not an indicator table: needs columns {list(_INDICATOR_COLUMNS)}")
    table = _bare(table)
    roles = count_roles(catalogue)
    ids = table["indicator_id"].astype(str)
    r = roles.reindex(ids)
    n_cnt = r["numerator_is_count"].fillna(True).to_numpy(dtype=bool)
    d_cnt = r["denominator_is_count"].fillna(True).to_numpy(dtype=bool)
    v_cnt = r["value_is_count"].fillna(False).to_numpy(dtype=bool)

    group_by = [c for c in ("authority_code", "period", "indicator_id", "source") if c in table.columns]
    numer = primary_mask(table["numerator"], threshold).to_numpy() & n_cnt
    denom = primary_mask(table["denominator"], threshold).to_numpy() & d_cnt
    # a count indicator with no numerator: its value is the count
    val_count = pd.to_numeric(table["value"], errors="coerce")
    numer_missing = pd.to_numeric(table["numerator"], errors="coerce").isna().to_numpy()
    value_small = primary_mask(val_count, threshold).to_numpy() & v_cnt & numer_missing

    idx = table.index
    m_num = pd.Series(numer | value_small, index=idx)
    m_den = pd.Series(denom, index=idx)
    # the count column used for the additive groups of count indicators without a numerator
    count_col = table["numerator"].where(~pd.Series(v_cnt & numer_missing, index=idx), table["value"])
    work = table[group_by + ["breakdown"]].copy()
    work["_num"] = pd.to_numeric(count_col, errors="coerce").where(pd.Series(n_cnt | v_cnt, index=idx))
    work["_den"] = pd.to_numeric(table["denominator"], errors="coerce").where(pd.Series(d_cnt, index=idx))
    while True:
        before = (m_num.copy(), m_den.copy())
        m_num = m_num | m_den  # rule 3
        m_num = secondary_mask(work, "_num", m_num, group_by=group_by, breakdown="breakdown")
        m_den = secondary_mask(work, "_den", m_den, group_by=group_by, breakdown="breakdown")
        if m_num.equals(before[0]) and m_den.equals(before[1]):
            break
    row = (m_num | m_den).to_numpy()
    linked = _suppressed_with(table, row, catalogue)  # hidden whole: its counts would reveal the other
    row = row | linked
    cols = ["numerator", "denominator", "value"] + [c for c in INTERVAL_COLUMNS if c in table.columns]
    mask = pd.DataFrame(False, index=idx, columns=cols)
    mask["numerator"] = (m_num.to_numpy() | linked) & table["numerator"].notna().to_numpy()
    mask["denominator"] = (m_den.to_numpy() | linked) & table["denominator"].notna().to_numpy()
    for c in cols[2:]:
        mask[c] = row & table[c].notna().to_numpy()
    return mask


def _suppressed_with(table: pd.DataFrame, row: np.ndarray, catalogue: pd.DataFrame | None) -> np.ndarray:
    """Rows to suppress because the catalogue's ``suppress_with`` indicator is suppressed for
    the same council, period and breakdown (e.g. the £ total of one or two remedy payments)."""
    cat = load_catalogue() if catalogue is None else catalogue
    if "suppress_with" not in cat.columns or not np.any(row):
        return np.zeros(len(table), dtype=bool)
    links = cat.loc[cat["suppress_with"].fillna("").astype(str) != "", ["indicator_id", "suppress_with"]]
    if links.empty:
        return np.zeros(len(table), dtype=bool)
    keys = [c for c in ("authority_code", "period", "breakdown", "source") if c in table.columns]
    hidden = table.loc[row, keys + ["indicator_id"]].drop_duplicates()
    partner = table[keys + ["indicator_id"]].merge(
        links.rename(columns={"indicator_id": "_id", "suppress_with": "_with"}),
        left_on="indicator_id", right_on="_id", how="left",
    )
    hit = partner.merge(
        hidden.rename(columns={"indicator_id": "_with"}).assign(_hit=True), on=keys + ["_with"], how="left"
    )["_hit"]
    return hit.fillna(False).to_numpy(dtype=bool)


def suppress_indicators(
    table: pd.DataFrame,
    *,
    threshold: int = THRESHOLD,
    symbol: str = SYMBOL,
    catalogue: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Suppress an indicator table (or any slice of it with the same columns) for publication.

    Small counts (``numerator``/``denominator``/a count indicator's ``value``, per
    :func:`count_roles`) become ``[c]``, with secondary suppression across each breakdown
    dimension and its ``all`` row, and the ``value`` and interval columns of every row with a
    suppressed count become ``[c]`` too.

    Examples
    --------
    >>> t = pd.DataFrame({"authority_code": "E1", "period": "2024-25 Q1", "indicator_id": "W5",
    ...                   "breakdown": ["all", "priority:urgent", "priority:low"],
    ...                   "numerator": [40.0, 2.0, 38.0], "denominator": [50.0, 5.0, 45.0],
    ...                   "value": [80.0, 40.0, 84.4]})
    >>> suppress_indicators(t)["value"].tolist()  # 2 of 5 urgent; low suppressed too, else 40 - 38
    [80.0, '[c]', '[c]']
    """
    return apply_mask(table, publication_mask(table, threshold=threshold, catalogue=catalogue), symbol)


def publication_mask(
    table: pd.DataFrame, *, threshold: int = THRESHOLD, catalogue: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every cell of an indicator or comparison table to suppress before publication: the
    council's own figures (:func:`indicator_suppression_mask`) and, in a comparison table, the
    comparator group's pooled figure (:func:`comparator_suppression_mask`)."""
    table = _bare(table)
    mask = indicator_suppression_mask(table, threshold=threshold, catalogue=catalogue)
    comparator = comparator_suppression_mask(table, threshold=threshold, catalogue=catalogue)
    return mask if comparator is None else pd.concat([mask, comparator], axis=1)


#: Columns of a comparison table (:func:`ot_benchmark.compare.benchmark.benchmark`) that carry the
#: comparator group's pooled figure.
COMPARATOR_COLUMNS = ("comparator_numerator", "comparator_denominator", "comparator_value")


def comparator_suppression_mask(
    table: pd.DataFrame,
    *,
    threshold: int = THRESHOLD,
    catalogue: pd.DataFrame | None = None,
) -> pd.DataFrame | None:
    """Cells of a comparison table's pooled comparator figure to suppress, or None when the
    table has no ``comparator_numerator``/``comparator_denominator`` columns.

    The group's pooled counts are counts of people too: a pooled numerator (or denominator)
    of 1–4 that counts people, per :func:`count_roles`, hides the comparator numerator,
    denominator and value — e.g. 3 upheld Ombudsman decisions across the whole group.
    """
    cols = [c for c in COMPARATOR_COLUMNS if c in table.columns]
    if "comparator_numerator" not in cols and "comparator_denominator" not in cols:
        return None
    roles = count_roles(catalogue).reindex(table["indicator_id"].astype(str))
    n_cnt = roles["numerator_is_count"].fillna(True).to_numpy(dtype=bool)
    d_cnt = roles["denominator_is_count"].fillna(True).to_numpy(dtype=bool)
    small = np.zeros(len(table), dtype=bool)
    if "comparator_numerator" in table.columns:
        small |= primary_mask(table["comparator_numerator"], threshold).to_numpy() & n_cnt
    if "comparator_denominator" in table.columns:
        small |= primary_mask(table["comparator_denominator"], threshold).to_numpy() & d_cnt
    return pd.DataFrame({c: small & table[c].notna().to_numpy() for c in cols}, index=table.index)


# --------------------------------------------------------------------------------------------
# a trend (the council against its own earlier quarters)


_TREND_QOQ = ("qoq_change", "qoq_change_pct", "qoq_beyond_ci")
_TREND_YOY = ("yoy_change", "yoy_change_pct", "yoy_beyond_ci")
_TREND_OWN = _TREND_QOQ + _TREND_YOY + ("difference_from_group", "comparison", "assessment", "verdict", "verdict_basis")
_TREND_COUNTS = ("numerator", "denominator", "value", "lower_95", "upper_95")


def published_trend(trend: pd.DataFrame, indicators: pd.DataFrame | None = None, *,
                    catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`ot_benchmark.compare.benchmark.trend` output as it may be published: ``[c]`` for a quarter
    resting on small numbers and for every figure worked out from one.

    Parameters
    ----------
    trend : DataFrame
        ``compare.trend`` output (one council, indicator and breakdown).
    indicators : DataFrame, optional
        The indicator table it was computed from. With it, a quarter is suppressed exactly as
        in the published indicator tables (:func:`ot_benchmark.report.suppress_indicators`
        on the council's rows: secondary suppression across breakdowns and ``suppress_with``
        included), and on the trend's own rows; without it, on the trend's own rows only
        (primary suppression).
    catalogue : DataFrame, optional
        Passed to the disclosure functions (default: the package catalogue).

    Returns
    -------
    DataFrame
        Same rows and columns. In a suppressed quarter ``value``, the interval and the counts
        that are people (:func:`ot_benchmark.report.count_roles`) read ``[c]``, and so do
        its changes, ``difference_from_group``, ``comparison`` and ``assessment``; the
        quarter-on-quarter (year-on-year) change of the quarter after (a year after) a
        suppressed quarter reads ``[c]`` too, since adding it to the published figure would
        give the hidden one back. The group's columns are left alone.
    """
    out = trend.reset_index(drop=True).copy()
    cols = [c for c in _TREND_COUNTS if c in out.columns]
    keys = ["authority_code", "period", "indicator_id", "breakdown"]
    if indicators is not None and len(out):
        own = indicators.loc[indicators["authority_code"].astype(str).isin(out["authority_code"].astype(str).unique())]
        shown = suppress_indicators(own, catalogue=catalogue)
        flags = shown[keys].astype(str).assign(**{c: is_marked(shown[c]).to_numpy() for c in cols})
        flags = flags.groupby(keys, sort=False)[cols].any().reset_index()
        m = out[keys].astype(str).merge(flags, on=keys, how="left")
        mask = pd.DataFrame({c: m[c].eq(True).to_numpy() for c in cols})
        of_indicator = flags[(flags["indicator_id"].isin(out["indicator_id"].astype(str)))
                             & (flags["breakdown"].isin(out["breakdown"].astype(str)))]
        hidden_periods = set(of_indicator.loc[of_indicator["value"], "period"]) if "value" in cols else set()
    else:
        mask = pd.DataFrame(False, index=out.index, columns=cols)
        hidden_periods = set()
    # the trend's own rows too (a table passed with rows the trend lacks must not un-hide one),
    # and cells that came in suppressed stay suppressed
    own_mask = indicator_suppression_mask(out, catalogue=catalogue)
    for c in cols:
        mine = own_mask[c].to_numpy() if c in own_mask else np.zeros(len(out), bool)
        mask[c] = mask[c].to_numpy() | mine | is_marked(out[c]).to_numpy()
    hidden = mask["value"].to_numpy() if "value" in mask else np.zeros(len(out), bool)
    hidden_periods |= set(out.loc[hidden, "period"].astype(str))
    none = np.zeros(len(out), bool)
    after = out["previous_period"].astype(str).isin(hidden_periods).to_numpy() if "previous_period" in out else none
    year_after = out["year_ago_period"].astype(str).isin(hidden_periods).to_numpy() if "year_ago_period" in out else none
    for c in _TREND_OWN:
        if c in out.columns:
            mask[c] = hidden | (after if c in _TREND_QOQ else False) | (year_after if c in _TREND_YOY else False)
    return apply_mask(out, mask)
