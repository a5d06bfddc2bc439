"""Adaptations and Disabled Facilities Grants (family A, optional ``adaptations`` extract).

===  ==================================================================================
A1   adaptations completed in the quarter, % completed within the Foundations DFG quality
     standard from the OT recommendation: ``adaptations.urgent_working_days`` (55) for urgent,
     ``adaptations.non_urgent_working_days`` (150) for non-urgent work, counted in working
     days (after the recommendation date up to and including the completion date)
A2   median calendar days from recommendation to completion, adaptations completed in the
     quarter, with the distribution-free order-statistic interval
===  ==================================================================================

Both have an ``all`` row and ``urgency:urgent`` / ``urgency:non_urgent`` rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import ADAPTATION_URGENCY
from ._common import IndicatorContext, concat_rows, empty_rows, quantile_rows, ratio_rows
from ._flow import NO_DAY, covered, tally

__all__ = ["compute"]


def compute(ctx: IndicatorContext) -> pd.DataFrame:
    """A1 and A2 for every council with an adaptations extract.

    Parameters
    ----------
    ctx : IndicatorContext

    Returns
    -------
    DataFrame
        Family rows; A2 rows carry their own order-statistic interval.
    """
    ad = ctx.table("adaptations")
    if ad is None:
        return empty_rows()
    cfg = ctx.settings["adaptations"]
    urgency = ad["urgency"].astype(object).to_numpy(dtype=object)
    level = np.full(len(ad), -1, dtype=np.int64)
    standard = np.full(len(ad), np.nan)
    limits = {"urgent": cfg["urgent_working_days"], "non_urgent": cfg["non_urgent_working_days"]}
    for i, u in enumerate(ADAPTATION_URGENCY):  # two levels, not rows
        level[urgency == u] = i
        standard[urgency == u] = float(limits[u])

    t = tally(ctx, "adaptations")
    cells = t.cells("completed_date")
    done = t.inside(cells)
    wd = t.working_days(ctx.calendar, "recommended_date", "completed_date", rows=done)
    judged = np.isfinite(wd) & np.isfinite(standard)
    kw = dict(level=level, nlevels=len(ADAPTATION_URGENCY))
    f = t.frame(
        {"den": t.count(cells, judged, **kw), "num": t.count(cells, judged & (wd <= standard), **kw)},
        dimension="urgency",
        levels=ADAPTATION_URGENCY,
    )
    a1 = ratio_rows(f, "A1", "num", "den", ctx, zero_note="no value: no adaptations completed in the quarter")

    # A2: calendar days, completed in the quarter
    sel = np.flatnonzero(done & (t.days("recommended_date") != NO_DAY))
    days = (t.days("completed_date")[sel].astype("int64") - t.days("recommended_date")[sel]).astype("float64")
    lab = np.array(t.labels, dtype=object)
    obs = pd.DataFrame(
        {
            "authority_code": t.councils[t.codes[sel]],
            "period": lab[t.position(cells)[sel]],
            "urgency": urgency[sel],
            "days": days,
        }
    )
    grid = f.loc[f["breakdown"] == "all", ["authority_code", "period"]]
    both = pd.concat(
        [obs.assign(breakdown="all"), obs[obs["urgency"].isin(ADAPTATION_URGENCY)].assign(breakdown="urgency:" + obs["urgency"].astype(str))],
        ignore_index=True,
    )
    a2 = quantile_rows(both, "days", "A2", q=0.5, grid=grid, empty_note="no value: no adaptations completed in the quarter")
    a2 = covered(a2, grid)
    return concat_rows([a1, a2])
