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
   is repeated until no group has exactly one suppressed cell. In the indicator table the groups
   are every **identity** the figures obey — breakdowns, the W8 flow, and whatever the catalogue
   declares (``identity`` column) — and the second cell is the one whose suppression costs least
   (:class:`_Complements`).
3. In the indicator table a suppressed denominator also suppresses its numerator (the numerator
   cannot exceed a tiny denominator without revealing it).
4. A rate (``value`` and the interval columns) is suppressed when any count it is built on is.

Suppressed cells hold :data:`SYMBOL`; such columns become ``object`` dtype.

Suppression of an indicator table is decided over a council's whole table at once (every quarter
and indicator: identities cross both); a report decides it once (``RunContext.published``) and
every view reads that decision (:func:`as_published`), so no table, sentence or chart shows a
cell that another hides.
"""

from __future__ import annotations

import weakref
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ot_benchmark.catalogue import identities, load_catalogue
from ot_benchmark.periods import PeriodError, parse_period

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
    "published_once",
    "as_published",
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


#: set in a frame's ``attrs`` by :func:`mark_published`: its cells already carry the run's marks
PUBLISHED_FLAG = "ot_benchmark_published"


def mark_published(frame: pd.DataFrame) -> pd.DataFrame:
    """Say that ``frame`` holds rows as the run publishes them (the marks of the run's one
    whole-table suppression applied), so that the sentences need not suppress them again. The flag
    lives in ``attrs``: pandas keeps it on a slice, a copy or a new column, and drops it when the
    frame is merged with one that lacks it, so a frame mixed with unpublished rows loses it."""
    frame.attrs[PUBLISHED_FLAG] = True
    return frame


def is_published(obj) -> bool:
    """Whether a frame (or a row of one) was marked by :func:`mark_published`."""
    return bool(getattr(obj, "attrs", {}).get(PUBLISHED_FLAG, False))


def published_once(rows: pd.DataFrame, *, catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """``rows`` as published: as they are when :func:`mark_published` says they already are (a
    published slice suppressed again could hide cells the run's one suppression shows, and costs
    the time again), else by :func:`suppress_indicators` (cells already ``[c]`` stay so)."""
    if not len(rows) or is_published(rows):
        return rows
    return suppress_indicators(rows, catalogue=catalogue)


def is_marked(values):
    """True where a published cell holds :data:`SYMBOL` (a scalar gives a bool, a Series a
    boolean Series). Everything downstream of disclosure reads this, never the counts."""
    if isinstance(values, pd.Series):
        if values.dtype.kind in "fiub":  # a column of numbers holds no mark
            return pd.Series(False, index=values.index)
        arr = values.to_numpy(dtype=object)
        strings = np.fromiter((isinstance(x, str) for x in arr), dtype=bool, count=len(arr))
        out = np.zeros(len(arr), dtype=bool)
        if strings.any():
            out[strings] = np.char.strip(arr[strings].astype(str)) == SYMBOL
        return pd.Series(out, index=values.index)
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
    return _kept(cat, "count_roles", lambda: _count_roles(cat))


def _count_roles(cat: pd.DataFrame) -> pd.DataFrame:
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

    The cells are each row's numerator and denominator (a count indicator's value where it has no
    numerator). Small counts of people (:func:`count_roles`) are suppressed (rule 1). Then, until
    nothing changes: a suppressed denominator suppresses its numerator (rule 3); a row whose
    ``suppress_with`` indicator (same council, quarter and breakdown) has a suppressed cell is
    suppressed whole; and no **identity** may hold exactly one suppressed cell, or the cell could
    be worked out by arithmetic (rule 2): a second one is suppressed (:class:`_Complements`). The
    identities are

    * a breakdown and its total: the parts of one dimension (``priority:``, ``band:``,
      ``stream:``, ``role:``, ``team:`` ...) with the ``all`` row, or the parts alone when the
      total is published elsewhere (wait bands adding up to the waiting list);
    * every identity the catalogue declares (column ``identity``,
      :func:`ot_benchmark.catalogue.parse_identity`): the W8 flow (``W8_net_change = W8_referrals
      − W8_assessments − W8_closed_unassessed``), the net change as W1 now minus W1 a quarter
      earlier, the changes C7 and K7 and the counts they are built on, the same count published
      under two indicators (W2–W4's denominators are W1, C3's is W8_referrals, ...).

    An identity with a member that is missing (no row, or no figure) cannot be used to work
    anything out and is left alone. Indicators not in the catalogue (local ones) are treated as
    ``method`` blank: numerator and denominator are counts.
    """
    if not is_indicator_table(table):
        raise KeyError(f"not an indicator table: needs columns {list(_INDICATOR_COLUMNS)}")
    table = _bare(table)
    cat = load_catalogue() if catalogue is None else catalogue
    n = len(table)
    cells = _Cells(table, cat, threshold)
    hidden = cells.primary.copy()
    complements = _Complements(_identity_members(table, cells, cat), 2 * n)
    partner = _partner_rows(table, cat)
    linked = np.zeros(n, dtype=bool)
    while True:
        before = hidden.copy(), linked.copy()
        # rule 3: a suppressed denominator suppresses its numerator
        hidden[cells.num] |= hidden[cells.den]
        # suppress_with: the linked row goes whole (its counts would reveal the other's)
        row_hidden = hidden[cells.num] | hidden[cells.den] | linked
        has = partner >= 0
        linked[has] |= row_hidden[partner[has]]
        hidden[cells.num[linked]] = True
        hidden[cells.den[linked]] = True
        hidden &= cells.present
        # rule 2: no identity with one suppressed cell
        hidden = complements(hidden)
        if np.array_equal(hidden, before[0]) and np.array_equal(linked, before[1]):
            break
    h_num, h_den = hidden[cells.num], hidden[cells.den]
    row = h_num | h_den | linked
    cols = ["numerator", "denominator", "value"] + [c for c in INTERVAL_COLUMNS if c in table.columns]
    mask = pd.DataFrame(False, index=table.index, columns=cols)
    mask["numerator"] = row & table["numerator"].notna().to_numpy()
    mask["denominator"] = (h_den | linked) & table["denominator"].notna().to_numpy()
    for c in cols[2:]:
        mask[c] = row & table[c].notna().to_numpy()
    return mask


class _Cells:
    """The numerator and denominator cells of an indicator table, numbered ``2 * row`` and
    ``2 * row + 1``: their values (a count indicator's value where it has no numerator), which
    are present, which count people (so the primary rule applies) and which are small."""

    def __init__(self, table: pd.DataFrame, catalogue: pd.DataFrame, threshold: int):
        n = len(table)
        roles = count_roles(catalogue).reindex(table["indicator_id"].astype(str))
        n_cnt = roles["numerator_is_count"].fillna(True).to_numpy(dtype=bool)
        d_cnt = roles["denominator_is_count"].fillna(True).to_numpy(dtype=bool)
        v_cnt = roles["value_is_count"].fillna(False).to_numpy(dtype=bool)
        num = pd.to_numeric(table["numerator"], errors="coerce").to_numpy(dtype=float)
        den = pd.to_numeric(table["denominator"], errors="coerce").to_numpy(dtype=float)
        val = pd.to_numeric(table["value"], errors="coerce").to_numpy(dtype=float)
        value_count = v_cnt & np.isnan(num)  # a count indicator with no numerator: its value is the count
        num = np.where(value_count, val, num)
        self.num = np.arange(n) * 2
        self.den = self.num + 1
        self.value = np.empty(2 * n)
        self.value[self.num], self.value[self.den] = num, den
        self.present = ~np.isnan(self.value)
        self.people = np.empty(2 * n, dtype=bool)
        self.people[self.num], self.people[self.den] = n_cnt | value_count, d_cnt
        with np.errstate(invalid="ignore"):
            self.primary = self.people & self.present & (self.value > 0) & (self.value < threshold + 1)


def _period_numbers(labels: pd.Series) -> np.ndarray:
    """Periods as consecutive integers within their kind (``Period.ordinal``: quarters, years and
    months each count on by one, so a lag is a subtraction); -1e9 for a label that is not a period."""

    def number(label):
        try:
            return parse_period(label).ordinal
        except (PeriodError, ValueError, TypeError):
            return -10**9

    uniq = {u: number(u) for u in pd.unique(labels.astype(str))}
    return labels.astype(str).map(uniq).to_numpy(dtype=np.int64)


def _identity_members(table: pd.DataFrame, cells: _Cells, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Every identity's member cells, one row per (identity, cell): columns ``ident``,
    ``cell``, sorted by identity and then by the order in which members are considered as a
    complement when costs tie (:class:`_Complements`): members of the latest quarter first (a
    figure of an earlier quarter has already been published in that quarter's report), the
    total of a breakdown last, the figure a declared identity defines (a net change, a change,
    a second copy of a count) first, non-zero before zero, the smallest first."""
    keys = [c for c in ("authority_code", "period", "indicator_id", "source") if c in table.columns]
    pnum = _period_numbers(table["period"]) if "period" in table.columns else np.zeros(len(table), np.int64)
    pieces = []
    next_id = 0

    # 1. a breakdown and its total, for the numerator cells and the denominator cells of people
    labels = table["breakdown"].astype("object").where(table["breakdown"].notna(), "").astype(str)
    is_total = (labels == "all").to_numpy()
    dim = _dimension(labels, "all").to_numpy(dtype=object)
    for cell_ids in (cells.num, cells.den):
        ok = cells.present[cell_ids] & cells.people[cell_ids]
        if not ok.any():
            continue
        base = table.loc[ok, keys].copy()
        base["_cell"] = cell_ids[ok]
        base["_total"] = is_total[ok]
        base["_dim"] = dim[ok]
        parts = base[~base["_total"]]
        totals = base[base["_total"]].drop(columns="_dim")
        dims = parts[keys + ["_dim"]].drop_duplicates()
        totals_long = totals.merge(dims, on=keys, how="inner") if keys else totals.merge(dims, how="cross")
        grp = pd.concat([parts, totals_long[parts.columns]], ignore_index=True)
        if grp.empty:
            continue
        gid = grp.groupby(keys + ["_dim"], sort=False, dropna=False).ngroup().to_numpy()
        pieces.append(pd.DataFrame({"ident": gid + next_id, "cell": grp["_cell"].to_numpy(),
                                    "_total": grp["_total"].to_numpy(), "_lhs": False}))
        next_id += int(gid.max()) + 1

    # 2. the identities the catalogue declares
    declared = identities(catalogue)
    if declared:
        field_cells = {"numerator": cells.num, "denominator": cells.den}
        authority = table["authority_code"].astype(str).to_numpy() if "authority_code" in table.columns else ""
        lookup = pd.DataFrame({
            "authority_code": authority,
            "_p": pnum, "indicator_id": table["indicator_id"].astype(str).to_numpy(),
            "breakdown": labels.to_numpy(), "_row": np.arange(len(table)),
        })
        present = set(lookup["indicator_id"])
        by_id = {iid: g for iid, g in lookup.groupby("indicator_id", sort=False)} if len(declared) > 1 else None
        for iid, eqs in declared.items():
            if iid not in present:  # most slices hold a few indicators: no filtering pass per identity
                continue
            own = by_id[iid] if by_id is not None else lookup[lookup["indicator_id"] == iid]
            for eq in eqs:
                if any(t.parts for t in eq.terms):  # a sum of breakdown parts is the total's
                    own_eq = own[own["breakdown"] == "all"]
                else:
                    own_eq = own
                if own_eq.empty:
                    continue
                own_eq = own_eq.reset_index(drop=True)
                lhs = field_cells[eq.field][own_eq["_row"].to_numpy()]
                frame = pd.DataFrame({"_eq": np.arange(len(own_eq)), "cell": lhs, "_lhs": True})
                parts = [frame]
                complete = cells.present[lhs].copy()
                for term in eq.terms:
                    want = own_eq[["authority_code", "_p", "breakdown"]].assign(_eq=np.arange(len(own_eq)))
                    want["_p"] = want["_p"] + term.lag
                    cand = lookup[lookup["indicator_id"] == term.indicator_id]
                    if term.parts:
                        cand = cand[cand["breakdown"].str.contains(":", regex=False)]
                        got = want.drop(columns="breakdown").merge(
                            cand[["authority_code", "_p", "_row"]], on=["authority_code", "_p"], how="left")
                    else:
                        got = want.merge(cand[["authority_code", "_p", "breakdown", "_row"]],
                                         on=["authority_code", "_p", "breakdown"], how="left")
                    found = got["_row"].notna().to_numpy()
                    rows_ = got["_row"].fillna(0).to_numpy(dtype=np.int64)
                    term_cells = field_cells[term.field][rows_]
                    usable = found & cells.present[term_cells]
                    # every term must be there with a figure, or the identity tells nothing
                    ok_eq = np.ones(len(own_eq), dtype=bool)
                    np.logical_and.at(ok_eq, got["_eq"].to_numpy(), usable)
                    complete &= ok_eq
                    parts.append(pd.DataFrame({"_eq": got["_eq"].to_numpy()[found], "cell": term_cells[found],
                                               "_lhs": False}))
                eqm = pd.concat(parts, ignore_index=True)
                eqm = eqm[complete[eqm["_eq"].to_numpy()]]
                if eqm.empty:
                    continue
                pieces.append(pd.DataFrame({"ident": eqm["_eq"].to_numpy() + next_id, "cell": eqm["cell"].to_numpy(),
                                            "_total": False, "_lhs": eqm["_lhs"].to_numpy()}))
                next_id += len(own_eq)

    if not pieces:
        return pd.DataFrame({"ident": np.zeros(0, np.int64), "cell": np.zeros(0, np.int64)})
    m = pd.concat(pieces, ignore_index=True).drop_duplicates(["ident", "cell"])
    m["_p"] = pnum[m["cell"].to_numpy() // 2]
    v = cells.value[m["cell"].to_numpy()]
    m["_zero"] = v == 0
    m["_size"] = np.abs(v)
    m = m.sort_values(["ident", "_p", "_total", "_lhs", "_zero", "_size", "cell"],
                      ascending=[True, False, True, False, True, True, True], kind="stable")
    m["ident"] = pd.factorize(m["ident"])[0]  # identities numbered 0.. in order
    return m[["ident", "cell"]].reset_index(drop=True)


class _Complements:
    """Rule 2 with a choice that keeps secondary suppression small: each identity holding
    exactly one suppressed cell gets a second one, the member whose suppression costs least.

    Hiding a cell makes every other identity it belongs to that held no suppressed cell hold
    one, and each of those then needs a complement too. The cost of a candidate is that knock-on
    work looked one step ahead: for each identity it would leave with a lone suppressed cell, the
    fewest identities any other member of it belongs to. So a small closure count is protected
    by hiding the quarter's referrals (whose knock-ons, the changes C7 and the clearance ratio,
    end there) rather than the net change (which would then have to be protected by hiding the
    list, W1, on which half the waiting measures rest); and a small list is protected by hiding
    the next quarter's net change rather than the next quarter's list. Ties go to the order of
    :func:`_identity_members`.
    """

    def __init__(self, members: pd.DataFrame, n_cells: int):
        ident = members["ident"].to_numpy()
        cell = members["cell"].to_numpy()
        self.n = int(ident.max()) + 1 if len(ident) else 0
        self.cells = cell
        self.start = np.searchsorted(ident, np.arange(self.n + 1))
        order = np.argsort(cell, kind="stable")
        self.by_cell = ident[order]
        self.cell_start = np.searchsorted(cell[order], np.arange(n_cells + 1))
        self.degree = np.diff(self.cell_start)

    def _idents_of(self, c: int) -> np.ndarray:
        return self.by_cell[self.cell_start[c]:self.cell_start[c + 1]]

    def _members(self, i: int) -> np.ndarray:
        return self.cells[self.start[i]:self.start[i + 1]]

    def __call__(self, hidden: np.ndarray) -> np.ndarray:
        if not self.n:
            return hidden
        hidden = hidden.copy()
        n_sup = np.add.reduceat(hidden[self.cells].astype(np.int64), self.start[:-1]) if len(self.cells) else np.zeros(0)
        size = np.diff(self.start)
        for i in np.flatnonzero((n_sup == 1) & (size >= 2)):
            members = self._members(i)
            if hidden[members].sum() != 1:  # settled by an earlier choice in this pass
                continue
            best, best_cost = -1, None
            for c in members:
                if hidden[c]:
                    continue
                cost = 0
                for j in self._idents_of(c):
                    if j == i or n_sup[j] != 0:
                        continue
                    others = [o for o in self._members(j) if o != c]
                    cost += int(min(self.degree[o] for o in others)) if others else 0
                if best_cost is None or cost < best_cost:
                    best, best_cost = c, cost
            if best < 0:
                continue
            hidden[best] = True
            n_sup[self._idents_of(best)] += 1
        return hidden


def _partner_rows(table: pd.DataFrame, catalogue: pd.DataFrame) -> np.ndarray:
    """For each row, the row of its catalogue ``suppress_with`` indicator (same council, quarter,
    breakdown and source), or -1."""
    out = np.full(len(table), -1, dtype=np.int64)
    if "suppress_with" not in catalogue.columns:
        return out
    links = catalogue.loc[catalogue["suppress_with"].fillna("").astype(str) != "", ["indicator_id", "suppress_with"]]
    if links.empty:
        return out
    keys = [c for c in ("authority_code", "period", "breakdown", "source") if c in table.columns]
    t = table[keys + ["indicator_id"]].astype(str).assign(_row=np.arange(len(table)))
    want = t.merge(links.astype(str).rename(columns={"indicator_id": "indicator_id", "suppress_with": "_with"}),
                   on="indicator_id", how="inner")
    got = want.merge(t.rename(columns={"indicator_id": "_with", "_row": "_partner"}), on=keys + ["_with"], how="inner")
    out[got["_row"].to_numpy()] = got["_partner"].to_numpy()
    return out


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


#: what is worked out once per frame (a report reads it dozens of times: the marks of the published
#: table, a catalogue's count roles): id(frame) -> (a weak reference to the frame, {key: result})
_KEPT: dict[int, tuple] = {}


def _kept(frame: pd.DataFrame, key, compute):
    """``compute()`` for ``frame``, worked out once while the frame lives."""
    entry = _KEPT.get(id(frame))
    if entry is None or entry[0]() is not frame:
        entry = (weakref.ref(frame, lambda _, k=id(frame): _KEPT.pop(k, None)), {})
        _KEPT[id(frame)] = entry
    if key not in entry[1]:
        entry[1][key] = compute()
    return entry[1][key]


def _marks(published: pd.DataFrame, keys: tuple, cols: tuple) -> dict:
    """``published``'s keys (as text) -> per column, whether the cell is ``[c]``."""
    def compute() -> dict:
        flags = np.column_stack([is_marked(published[c]).to_numpy() for c in cols])
        texts = zip(*(published[k].astype(str).tolist() for k in keys))  # lists: iterating Arrow text is 10x slower
        found: dict = {}
        for key, row in zip(texts, flags):
            found.setdefault(key, row)
        return found

    return _kept(published, ("marks", keys, cols), compute)


def as_published(rows: pd.DataFrame, published: pd.DataFrame, *, catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """``rows`` (any slice of an indicator table, or comparison-table rows) with the ``[c]`` marks
    that ``published`` — the whole table suppressed at once (:func:`suppress_indicators`) — has
    for the same council, quarter, indicator and breakdown.

    Suppression decides over a council's whole table (every quarter, every indicator, every
    identity), so a slice suppressed on its own could show a cell the whole table hides (the
    complement of a hidden count in another quarter or indicator): every published view reads
    the marks of the one whole-table suppression through this function. Rows that ``published``
    does not hold are suppressed on their own. Cells already ``[c]`` stay so.
    """
    keys = [k for k in ("authority_code", "period", "indicator_id", "breakdown", "source")
            if k in rows.columns and k in published.columns]
    cols = [c for c in ("numerator", "denominator", "value", *INTERVAL_COLUMNS)
            if c in rows.columns and c in published.columns]
    if not len(rows) or not cols:
        return rows
    marks = _marks(published, tuple(keys), tuple(cols))
    hits = [marks.get(key) for key in zip(*(rows[k].astype(str).tolist() for k in keys))]
    found = np.array([h is not None for h in hits], dtype=bool)
    flags = np.array([h if h is not None else np.zeros(len(cols), dtype=bool) for h in hits], dtype=bool)
    mask = pd.DataFrame(flags.reshape(len(rows), len(cols)), columns=cols, index=rows.index)
    out = apply_mask(rows, mask)
    if (~found).any() and is_indicator_table(rows):
        alone = suppress_indicators(out.loc[~found], catalogue=catalogue)
        for c in alone.columns:
            if (alone[c].astype(object) != out.loc[~found, c].astype(object)).any():
                out[c] = out[c].astype(object)
                out.loc[~found, c] = alone[c].astype(object)
    return out


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
