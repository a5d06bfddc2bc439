"""Outcomes of OT intervention (family O, optional ``outcomes`` extract).

===  ==================================================================================
O1   mean change in the self-assessed score (score at end − score at start, 2003 action plan
     11.4.5) over interventions completed in the quarter, with a Student-t interval
     (mean ± t(n−1) × sd / √n, sd on n − 1); one intervention gives the mean without an
     interval
O2   interventions completed in the quarter whose score at end is higher than at start, %
     (an unchanged score is not an improvement)
===  ==================================================================================

Interventions missing either score are left out of both, and the note says how many.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.indicators._common import IndicatorContext, concat_rows, empty_rows, mean_rows, no_value_rows, ratio_rows
from ot_benchmark.indicators._flow import add_count_note, tally

__all__ = ["compute"]


def compute(ctx: IndicatorContext) -> pd.DataFrame:
    """O1 and O2 for every council with an outcomes extract.

    Parameters
    ----------
    ctx : IndicatorContext

    Returns
    -------
    DataFrame
        Family rows, breakdown ``all``; O1 rows carry their own Student-t interval.
    """
    oc = ctx.table("outcomes")
    if oc is None:
        return empty_rows()
    start = oc["score_start"].to_numpy(dtype="float64")
    end = oc["score_end"].to_numpy(dtype="float64")
    change = end - start
    scored = np.isfinite(change)

    t = tally(ctx, "outcomes")
    cells = t.cells("completed_date")
    f = t.frame(
        {"n": t.count(cells, scored), "improved": t.count(cells, scored & (change > 0)), "unscored": t.count(cells, ~scored)}
    )
    o2 = ratio_rows(f, "O2", "improved", "n", ctx, zero_note="no value: no interventions with both scores completed in the quarter")
    o2 = add_count_note(o2, f["unscored"], "intervention(s) without both scores left out")

    sel = np.flatnonzero(t.inside(cells) & scored)
    obs = pd.DataFrame(
        {
            "authority_code": t.councils[t.codes[sel]],
            "period": np.array(t.labels, dtype=object)[t.position(cells)[sel]],
            "breakdown": "all",
            "change": change[sel],
        }
    )
    o1 = mean_rows(obs, "change", "O1", multiplier=ctx.multiplier("O1"))
    # councils and quarters covered but with no scored intervention: no value, say why
    keys = ["authority_code", "period", "breakdown"]
    missing = f.loc[f["n"] == 0, keys]
    if len(missing):
        note = "no value: no interventions with both scores completed in the quarter"
        o1 = pd.concat([o1, no_value_rows(missing, "O1", note)[o1.columns]], ignore_index=True)
    # covered council × quarters only, with the count of unscored interventions for the note
    o1 = o1.merge(f[keys + ["unscored"]], on=keys, how="inner")
    o1 = add_count_note(o1, o1["unscored"], "intervention(s) without both scores left out").drop(columns="unscored")
    return concat_rows([o1, o2])
