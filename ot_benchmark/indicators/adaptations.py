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

from ot_benchmark.io.contract import ADAPTATION_URGENCY
from ot_benchmark.indicators._common import IndicatorContext, concat_rows, empty_rows, quantile_rows, ratio_rows
from ot_benchmark.indicators._flow import category_codes, tally

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
    level = category_codes(ad["urgency"], ADAPTATION_URGENCY)  # 0 urgent, 1 non-urgent, -1 other
    limits = {"urgent": cfg["urgent_working_days"], "non_urgent": cfg["non_urgent_working_days"]}
    standard = np.array([float(limits[u]) for u in ADAPTATION_URGENCY] + [np.nan])[level]

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
    cal_days = t.calendar_days("recommended_date", "completed_date")
    sel = np.flatnonzero(done & np.isfinite(cal_days))
    days = cal_days[sel]
    lab = np.array(t.labels, dtype=object)
    obs = pd.DataFrame(
        {
            "authority_code": t.councils[t.codes[sel]],
            "period": lab[t.position(cells)[sel]],
            "level": level[sel],
            "days": days,
        }
    )
    grid = f.loc[f["breakdown"] == "all", ["authority_code", "period"]]
    names = np.array([f"urgency:{u}" for u in ADAPTATION_URGENCY], dtype=object)
    by = obs[obs["level"] >= 0]
    both = pd.concat(
        [obs.assign(breakdown="all"), by.assign(breakdown=names[by["level"].to_numpy()])],
        ignore_index=True,
    ).drop(columns="level")
    note = "no value: no adaptations completed in the quarter"
    a2 = quantile_rows(both, "days", "A2", q=0.5, grid=grid, empty_note=note)
    # every breakdown of every covered council × quarter, as for A1 (urgency rows included)
    keys = ["authority_code", "period", "breakdown"]
    a2 = f[keys].merge(a2, on=keys, how="left")
    empty = a2["indicator_id"].isna()
    if empty.any():
        a2.loc[empty, "indicator_id"] = "A2"
        a2.loc[empty, "denominator"] = 0.0
        a2.loc[empty, "note"] = note
        a2.loc[empty, "ci_method"] = "none"
    return concat_rows([a1, a2])
