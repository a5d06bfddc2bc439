"""Directly standardised rates with Dobson confidence limits (PHE ``phe_dsr``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ot_benchmark.errors import ParameterError
from ot_benchmark.stats.intervals import byar

__all__ = ["phe_dsr"]


def phe_dsr(
    df: pd.DataFrame,
    x: str,
    n: str,
    stdpop: str,
    by: str | Sequence[str] | None = None,
    multiplier: float = 100000,
    confidence: float = 0.95,
    min_count: int = 10,
) -> pd.DataFrame:
    """Directly standardised rate per group, with Dobson's method for the limits.

    Parameters
    ----------
    df : DataFrame
        One row per group × stratum (e.g. age band).
    x, n, stdpop : str
        Columns of events, population and standard-population weight (e.g. ESP2013).
    by : str or list of str, optional
        Grouping columns (one rate per group).
    multiplier : float
    confidence : float
    min_count : int
        Groups with fewer total events get NaN value and limits (PHE suppresses below 10,
        where Dobson's approximation is unreliable).

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, ``total_count``, ``total_pop``, ``value``,
        ``lowercl``, ``uppercl``, ``confidence``, ``statistic`` (``"dsr per <multiplier>"``),
        ``method`` (``"dobson"`` or ``"none"`` when suppressed).

    Notes
    -----
    DSR = Σ wᵢxᵢ/nᵢ ÷ Σ wᵢ. Var(DSR) = Σ wᵢ²xᵢ/nᵢ² ÷ (Σ wᵢ)². With O = Σ xᵢ and (O_L, O_U) its
    Byar limits, the limits are DSR + √(Var/O)·(O_L − O) and DSR + √(Var/O)·(O_U − O).
    Dobson AJ et al. (1991) Stat Med 10:457–462.
    """
    for c in (x, n, stdpop):
        if c not in df.columns:
            raise ParameterError(f"phe_dsr: column {c!r} not in the data frame.")
    d = df.copy()
    d["_x"] = pd.to_numeric(d[x], errors="coerce").fillna(0.0)  # PHE treats missing counts as 0
    d["_n"] = pd.to_numeric(d[n], errors="coerce")
    d["_w"] = pd.to_numeric(d[stdpop], errors="coerce")
    d["_wr"] = d["_w"] * d["_x"] / d["_n"]
    d["_v"] = d["_w"] ** 2 * d["_x"] / d["_n"] ** 2
    if by is None:
        d["_all"] = "all"
        keys = ["_all"]
    else:
        keys = [by] if isinstance(by, str) else list(by)
    agg = d.groupby(keys, sort=False).agg(
        total_count=("_x", "sum"), total_pop=("_n", "sum"), _wr=("_wr", "sum"),
        _v=("_v", "sum"), _w=("_w", "sum"),
    ).reset_index()
    dsr = agg["_wr"] / agg["_w"]
    var = agg["_v"] / agg["_w"] ** 2
    o = agg["total_count"].to_numpy(float)
    ol, ou = byar(o, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sqrt(var / o)
    ok = o >= min_count
    agg["value"] = np.where(ok, dsr * multiplier, np.nan)
    agg["lowercl"] = np.where(ok, (dsr + s * (ol - o)) * multiplier, np.nan)
    agg["uppercl"] = np.where(ok, (dsr + s * (ou - o)) * multiplier, np.nan)
    agg["confidence"] = float(confidence)
    agg["statistic"] = f"dsr per {multiplier:g}"
    agg["method"] = np.where(ok, "dobson", "none")
    agg = agg.drop(columns=["_wr", "_v", "_w"] + (["_all"] if by is None else []))
    return agg
