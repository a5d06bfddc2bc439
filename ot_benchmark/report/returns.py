"""A council's own figures as a return for its neighbours, fit to publish.

:func:`council_return` turns the council's rows of the indicator table into the data
contract's ``returns`` shape with the small-number rule applied
(:mod:`ot_benchmark.report.disclosure`), so a neighbour can drop the file into its data folder
as ``returns.csv`` unchanged: a figure withheld for small numbers is left out, a count withheld
beside a figure that can be shown is left blank. ``ot-benchmark return`` writes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.errors import ParameterError
from ot_benchmark.io.published import RETURN_COLUMNS
from ot_benchmark.periods import latest_period, parse_period
from ot_benchmark.report import disclosure

__all__ = ["council_return"]


def council_return(indicators: pd.DataFrame, authority: str, period, *, catalogue: pd.DataFrame | None = None,
                   banner: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A council's own figures for one period as ``returns`` rows, fit to publish.

    Parameters
    ----------
    indicators : DataFrame
        The indicator table (:func:`ot_benchmark.indicators.engine.compute_indicators`).
    authority : str
        ONS code of the council; its case-level rows are taken (rows it holds only as returns
        from elsewhere are not passed on).
    period : str or period
        The period, or ``"latest"`` (the last period the council has figures for).
    catalogue : DataFrame, optional
        For which counts are people (small-number suppression).
    banner : str, optional
        The synthetic-data banner: written in every row's ``note`` so the figures never pass for
        real ones.

    Returns
    -------
    (returns, withheld)
        ``returns``: columns ``authority_code, period, indicator_id, breakdown, numerator,
        denominator, value, note`` — small counts (1 to 4 people) and anything that would reveal
        them by subtraction are withheld (:func:`ot_benchmark.report.disclosure.suppress_indicators`):
        a row whose value is withheld is left out, a withheld count is left blank. Rows with no
        value are left out (a return needs one). ``withheld``: the rows left out and why.
    """
    authority = str(authority).strip().upper()
    t = indicators[(indicators["authority_code"] == authority)]
    if "source" in t:
        t = t[t["source"].astype(str) == "case_level"]
    if t.empty:
        raise ParameterError(f"the data hold no case-level figures for {authority}; check --authority "
                             "(a return is made from the council's own extracts)")
    if str(period).strip().lower() == "latest":
        label = latest_period(t["period"])
    else:
        label = parse_period(period).label
    rows = t[t["period"] == label].copy()
    if rows.empty:
        raise ParameterError(f"the data hold no figures for {authority} in {label}; check --period "
                             f"(it has {', '.join(pd.unique(t['period'])[:8])} ...)")
    rows = rows.reset_index(drop=True)
    no_value = ~np.isfinite(pd.to_numeric(rows["value"], errors="coerce").to_numpy(dtype="float64"))
    shown = disclosure.suppress_indicators(rows, catalogue=catalogue)
    value_withheld = disclosure.is_marked(shown["value"]).to_numpy(dtype=bool)

    def column(c: str) -> np.ndarray:
        marked = disclosure.is_marked(shown[c]).to_numpy(dtype=bool)
        return np.where(marked, np.nan, pd.to_numeric(shown[c].where(~marked), errors="coerce"))

    note = rows["note"].astype(object).where(rows["note"].notna(), "") if "note" in rows else pd.Series("", index=rows.index)
    if banner:
        note = note.map(lambda n: f"{banner}; {n}" if str(n).strip() else banner)
    out = pd.DataFrame({
        "authority_code": authority,
        "period": label,
        "indicator_id": rows["indicator_id"].astype(str),
        "breakdown": rows["breakdown"].astype(str),
        "numerator": column("numerator"),
        "denominator": column("denominator"),
        "value": column("value"),
        "note": note.astype(str),
    }, columns=RETURN_COLUMNS)
    keep = ~value_withheld & ~no_value
    withheld = rows.loc[~keep, ["indicator_id", "breakdown"]].assign(
        reason=np.where(no_value[~keep], "no value", "withheld: rests on a count of 1 to 4 people "
                                                    "(or would reveal one by subtraction)"))
    return out[keep].reset_index(drop=True), withheld.reset_index(drop=True)
