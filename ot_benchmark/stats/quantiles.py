"""PHE quantile assignment (deprivation-style deciles, quintiles, quartiles).

Matches PHEindicatormethods ``phe_quantile`` and the OHID technical guide "Assigning
deprivation categories". Vectorised over groups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ot_benchmark.errors import ParameterError

__all__ = ["phe_quantiles", "phe_quantile_of_rank"]


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
