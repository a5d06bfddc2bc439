"""Quantile assignment and robust spread within groups.

* PHE quantile assignment (deprivation-style deciles, quintiles, quartiles):
  :func:`phe_quantiles` on values, :func:`phe_quantile_of_rank` on ranks. Matches
  PHEindicatormethods ``phe_quantile`` and the OHID technical guide "Assigning deprivation
  categories".
* Quartiles against a group's percentiles (Hyndman–Fan type 7): :func:`type7_quartile`.
* The median absolute deviation of each group (:func:`grouped_mad`) and the robust distance of a
  value from its group's median in MADs (:func:`mad_distance`).

Vectorised over groups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ot_benchmark.errors import ParameterError

__all__ = ["phe_quantiles", "phe_quantile_of_rank", "type7_quartile", "grouped_mad", "mad_distance"]


def phe_quantile_of_rank(rank, n, nquantiles=4) -> np.ndarray:
    """PHE quantile assignment (``phe_quantile``) of ranks within groups; quartiles by default.

    Parameters
    ----------
    rank : array_like
        1 for the first value of the group, ties sharing the lowest rank (so quantile 1 holds
        the first values: the highest when ranked on max − value, the best when ranked by
        polarity). NaN gives NaN.
    n : array_like
        Number of ranked (non-missing) values in each row's group.
    nquantiles : int or array_like
        Number of quantiles q (4 = quartiles, 10 = deciles).

    Returns
    -------
    numpy.ndarray
        ``floor((q + 1) − ceil((n + 1 − rank) / (n / q)))``, 0 set to 1, NaN where ``n < q``
        or the rank is missing.
    """
    r = np.asarray(rank, dtype=float)
    nn = np.asarray(n, dtype=float)
    nq = np.asarray(nquantiles, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.floor((nq + 1) - np.ceil((nn + 1 - r) / (nn / nq)))
    q = np.where(q == 0, 1, q)
    return np.where((nn < nq) | np.isnan(r), np.nan, q)


def phe_quantiles(
    df: pd.DataFrame,
    value: str,
    by: str | Sequence[str] | None = None,
    nquantiles: int = 10,
    invert: bool | str = True,
) -> pd.DataFrame:
    """Assign each row to a quantile of ``value`` within its group.

    Parameters
    ----------
    df : DataFrame
    value : str
        Numeric column to rank. Missing values get a missing quantile.
    by : str or list of str, optional
        Grouping columns; quantiles are assigned separately within each group.
    nquantiles : int
        Number of quantiles (10 = deciles).
    invert : bool or str
        True: quantile 1 holds the highest values (the PHE default). False: quantile 1 holds the
        lowest values. A column name gives a per-group logical (constant within each group).

    Returns
    -------
    DataFrame
        The same rows plus ``quantile`` (float; NaN where the value is missing or the group has
        fewer non-missing values than ``nquantiles``), ``nquantiles`` and ``qinverted`` (bool).

    Notes
    -----
    Within a group of N non-missing values, values are ranked ascending (ties share the lowest
    rank; when inverted the ranking is of max − value). With r the rank, the quantile is
    ``floor(q + 1 − ceil((N + 1 − r) / (N / q)))``, and 0 becomes 1
    (:func:`phe_quantile_of_rank`). Groups with N < q get no
    quantiles. Ties that straddle a natural boundary are kept together, as PHE does; the guide
    advises a manual check of such cases.
    """
    if value not in df.columns:
        raise ParameterError(f"phe_quantiles: column {value!r} not in the data frame.")
    q = int(nquantiles)
    if q < 1:
        raise ParameterError(f"nquantiles must be a positive integer (got {nquantiles!r}).")
    out = df.copy()
    v = pd.to_numeric(out[value], errors="coerce").astype(float)
    if by is None:
        keys = pd.Series(0, index=out.index)
        gb_keys = [keys]
    else:
        by = [by] if isinstance(by, str) else list(by)
        gb_keys = [out[b] for b in by]
    if isinstance(invert, str):
        if invert not in out.columns:
            raise ParameterError(f"invert column {invert!r} not in the data frame.")
        inv = out[invert].map(lambda s: str(s).strip().lower() in ("true", "1", "yes")).to_numpy(bool)
        nuniq = pd.Series(inv, index=out.index).groupby(gb_keys, dropna=False).nunique()
        if (nuniq > 1).any():
            raise ParameterError("invert must take the same value for every row of a group.")
    else:
        inv = np.full(len(out), bool(invert))
    g = v.groupby(gb_keys, dropna=False)
    vmax = g.transform("max")
    adj = pd.Series(np.where(inv, vmax - v, v), index=out.index)
    rank = adj.groupby(gb_keys, dropna=False).rank(method="min")
    n = g.transform("count").astype(float)
    out["quantile"] = phe_quantile_of_rank(rank, n, q)  # rank is NaN where the value is
    out["nquantiles"] = q
    out["qinverted"] = inv
    return out


def type7_quartile(df: pd.DataFrame, value: str, by: str | Sequence[str]) -> np.ndarray:
    """Quartile of each value against its group's 25th, 50th and 75th percentiles.

    Parameters
    ----------
    df : DataFrame
    value : str
        Numeric column; quartile 1 holds the lowest values (rank on −value for the highest).
    by : str or list of str
        Grouping columns.

    Returns
    -------
    numpy.ndarray
        1 at or below the group's 25th percentile, 2 at or below the 50th, 3 at or below the
        75th, else 4 (percentiles by linear interpolation, Hyndman–Fan type 7, pandas' and
        numpy's default). NaN where the value is missing or the group has fewer than 4 values.
    """
    by = [by] if isinstance(by, str) else list(by)
    g = df.groupby(by, sort=False)[value]
    q1, q2, q3 = (g.transform(lambda s, p=p: s.quantile(p)) for p in (0.25, 0.5, 0.75))
    k = df[value]
    out = np.select([k <= q1, k <= q2, k <= q3], [1.0, 2.0, 3.0], default=4.0)
    return np.where((g.transform("count") < 4) | k.isna(), np.nan, out)


def grouped_mad(df: pd.DataFrame, value: str, by: str | Sequence[str]) -> pd.Series:
    """Median absolute deviation of ``value`` within each group: median(|x − median(x)|),
    unscaled (no 1.4826 factor). Missing values are left out.

    Returns
    -------
    Series
        One value per group, indexed by the ``by`` columns (groups in order of appearance).
    """
    by = [by] if isinstance(by, str) else list(by)
    v = df.set_index(by)[value]
    median = df.groupby(by, sort=False)[value].median()
    dev = (v - median.reindex(v.index)).abs()
    return dev.groupby(level=by, sort=False).median()


def mad_distance(value, median, mad) -> np.ndarray:
    """Robust distance of ``value`` from ``median`` in MADs: (value − median) ÷ MAD.

    0 when the MAD is 0 and the value equals the median; ±inf when the MAD is 0 and the value
    differs; NaN where an input is missing. Arrays broadcast.
    """
    value, median, mad = (np.asarray(x, dtype=float) for x in (value, median, mad))
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = value - median
        dist = diff / mad
    return np.where((mad == 0) & (diff == 0), 0.0, dist)
