"""Unit costs (family U) from the quarterly ``finance`` extract.

==========  ===========================================================================
U1_direct   OT direct staff cost in the quarter ÷ first OT assessments completed in the
            quarter (referrals extract)
U1_absorbed (OT staff cost + OT overheads) ÷ first assessments completed (fully absorbed)
U2_gross    equipment gross spend ÷ equipment items delivered in the quarter (equipment
            extract; items are the unit, as in family E)
U2_net      (equipment gross spend − equipment income) ÷ items delivered. The income column of
            the finance extract is the recycling credit (and any contributions) the council
            actually received; the catalogue-value estimate of reuse is E6
U3_18       equipment gross spend in the quarter ÷ population aged 18+ × 1,000
U3_65       equipment gross spend in the quarter ÷ population aged 65+ × 1,000
==========  ===========================================================================

Populations are the reference ONS mid-2020 estimates (:func:`ot_benchmark.io.reference.councils`,
both council lists, so pre-2023 councils are found too). Rows exist for each council × quarter
in the finance extract. A denominator from a case-level extract is used only for quarters that
extract covers for that council (:meth:`IndicatorContext.grid`); otherwise the row has no value
and says why. None of these ratios has a sampling interval (``ci_method = "none"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.indicators._common import IndicatorContext, concat_rows, empty_rows, ratio_rows
from ot_benchmark.indicators._flow import drop_tally, tally
from ot_benchmark.io.reference import councils

__all__ = ["compute"]


def _flow_denominator(ctx: IndicatorContext, table: str, date_column: str, name: str) -> pd.DataFrame | None:
    """Events per council × quarter from a case-level table, restricted to covered quarters.

    First assessments are counted as W8_assessments and C2 count them: an assessment dated
    after the case's closure is not one (``waiting.prepare_referrals``)."""
    t = tally(ctx, table)
    if t is None:
        return None
    mask = None
    if table == "referrals":
        df = ctx.table(table)
        fa, cl = df["first_assessment_date"], df["closure_date"]
        mask = (fa.notna() & (cl.isna() | (fa <= cl))).to_numpy(dtype=bool)
    f = t.frame({name: t.count(t.cells(date_column), mask)})  # covered council × quarters only
    drop_tally(ctx, table)  # U is the last family to use these tallies (after W, C, E, K)
    return f[["authority_code", "period", name]]


def _population(codes: pd.Series) -> pd.DataFrame:
    ref = councils("all").set_index("ons_code")[["pop_18_plus", "pop_65_plus"]].astype("float64")
    return ref.reindex(codes.to_numpy()).reset_index(drop=True)


def compute(ctx: IndicatorContext) -> pd.DataFrame:
    """U1–U3 for every council × quarter in the finance extract.

    Parameters
    ----------
    ctx : IndicatorContext

    Returns
    -------
    DataFrame
        Family rows, breakdown ``all``, ``ci_method = "none"``.
    """
    fin = ctx.table("finance")
    if fin is None:
        return empty_rows()
    f = fin[fin["period"].isin(ctx.labels)].copy()
    if f.empty:
        return empty_rows()
    f = f.groupby(["authority_code", "period"], as_index=False, sort=True)[
        ["ot_staff_cost_gbp", "ot_overhead_gbp", "equipment_gross_gbp", "equipment_income_gbp"]
    ].sum(min_count=1)
    f["breakdown"] = "all"
    f["absorbed"] = f["ot_staff_cost_gbp"] + f["ot_overhead_gbp"]
    f["equipment_net"] = f["equipment_gross_gbp"] - f["equipment_income_gbp"]

    notes = {}
    for name, table, col, what in (
        ("assessments", "referrals", "first_assessment_date", "first assessments"),
        ("items", "equipment", "delivered_date", "items delivered"),
    ):
        d = _flow_denominator(ctx, table, col, name)
        if d is None:
            f[name] = np.nan
            notes[name] = f"no value: no {table} extract, so {what} are unknown"
        else:
            f = f.merge(d, on=["authority_code", "period"], how="left")
            notes[name] = f"no value: no {what} in the quarter, or the {table} extract does not cover this council and quarter"
    pop = _population(f["authority_code"])
    f["pop_18_plus"] = pop["pop_18_plus"].to_numpy()
    f["pop_65_plus"] = pop["pop_65_plus"].to_numpy()
    pop_note = "no value: no reference population for this council code"

    out = [
        ratio_rows(f, "U1_direct", "ot_staff_cost_gbp", "assessments", ctx, zero_note=notes["assessments"], no_interval=True),
        ratio_rows(f, "U1_absorbed", "absorbed", "assessments", ctx, zero_note=notes["assessments"], no_interval=True),
        ratio_rows(f, "U2_gross", "equipment_gross_gbp", "items", ctx, zero_note=notes["items"], no_interval=True),
        ratio_rows(f, "U2_net", "equipment_net", "items", ctx, zero_note=notes["items"], no_interval=True),
        ratio_rows(f, "U3_18", "equipment_gross_gbp", "pop_18_plus", ctx, zero_note=pop_note, no_interval=True),
        ratio_rows(f, "U3_65", "equipment_gross_gbp", "pop_65_plus", ctx, zero_note=pop_note, no_interval=True),
    ]
    return concat_rows(out)
