"""Community equipment (family E): delivery, return, reuse, recycling value, collections.

Items, not people or orders, are the unit (INDICATORS.md, family E). "Recycling rate" means
different things in different councils, so each version is its own indicator:

====  =============================================================================
E1    items delivered in the quarter, % delivered ≤ N working days (default 7) after the
      clock start — the order/prescription date (``equipment.clock_start = "order"``, ICES
      convention, default) or the assessment decision date (``"decision"``, PAF D54)
E2    items collected in the quarter ÷ items delivered in the quarter (return rate, count);
      items whose catalogue value is below ``collection_value_threshold_gbp`` are left out of
      both (default £0 leaves nothing out; an item valued exactly at the threshold counts)
E3    items collected in the quarter with outcome ``reused`` ÷ items collected in the quarter
      with a recorded outcome (reuse rate, count)
E4    catalogue value of items delivered (issued) in the quarter from recycled stock ÷ value
      of all items delivered in the quarter (recycling rate, value)
E5    collections in the quarter done ≤ N working days (default 10, local standard) after the
      collection request, of collections in the quarter with a request date
E6    £ catalogue value of items collected in the quarter and returned to stock (reused)
====  =============================================================================

Working days follow the package convention (:mod:`ot_benchmark.workdays`): working days after
the start date up to and including the end date; bank holidays and council closure days are
not working days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import IndicatorContext, concat_rows, count_rows, empty_rows, ratio_rows
from ._flow import FlowTally, add_count_note, covered, join_notes

__all__ = ["compute", "CLOCK_START_COLUMNS"]

#: settings value of ``equipment.clock_start`` -> the column that starts the E1 clock
CLOCK_START_COLUMNS = {"order": "ordered_date", "decision": "decision_date"}


def _working_days(ctx: IndicatorContext, start: pd.Series, end: pd.Series, mask: np.ndarray) -> np.ndarray:
    """Working days elapsed for the rows in ``mask`` (NaN elsewhere); only those rows are
    computed, so the calendar never sees the millions of rows outside the periods."""
    out = np.full(len(start), np.nan)
    idx = np.flatnonzero(mask)
    if len(idx):
        s = start.to_numpy(dtype="datetime64[ns]")[idx]
        e = end.to_numpy(dtype="datetime64[ns]")[idx]
        out[idx] = np.asarray(ctx.calendar.working_days_between(s, e), dtype="float64")
    return out


def compute(ctx: IndicatorContext) -> pd.DataFrame:
    """E1–E6 for every council with an equipment extract, for the quarters its data covers.

    Parameters
    ----------
    ctx : IndicatorContext
        Data, periods, settings (``settings["equipment"]``) and catalogue.

    Returns
    -------
    DataFrame
        Family rows (``authority_code, period, indicator_id, breakdown, numerator,
        denominator, value, note``), breakdown ``all``. E4 and E6 carry ``ci_method = "none"``
        (value ratios have no sampling interval).
    """
    items = ctx.table("equipment")
    if items is None:
        return empty_rows()
    cfg = ctx.settings["equipment"]
    clock_col = CLOCK_START_COLUMNS[cfg["clock_start"]]
    delivery_std = float(cfg["delivery_standard_working_days"])
    threshold = float(cfg["collection_value_threshold_gbp"])
    collect_std = float(cfg["collection_standard_working_days"])

    t = FlowTally(items["authority_code"], ctx.periods)
    pos_del = t.position(items["delivered_date"])
    pos_col = t.position(items["collected_date"])
    value = items["item_value_gbp"].to_numpy(dtype="float64")
    recycled = items["from_recycled_stock"].to_numpy(dtype=bool)
    outcome = items["collection_outcome"].to_numpy(dtype=object)
    reused = outcome == "reused"
    has_outcome = reused | (outcome == "scrapped")
    value_ok = np.nan_to_num(value, nan=-np.inf) >= threshold
    val0 = np.nan_to_num(value, nan=0.0)

    # E1: delivered in the quarter, clock start known
    delivered = pos_del >= 0
    start = items[clock_col]
    has_start = start.notna().to_numpy()
    wd_del = _working_days(ctx, start, items["delivered_date"], delivered & has_start)
    e1_den = t.count(pos_del, has_start)
    e1_num = t.count(pos_del, has_start & (wd_del <= delivery_std))
    no_start = t.count(pos_del, ~has_start)

    # E2: return rate (count), value threshold applied to both
    e2_num = t.count(pos_col, value_ok)
    e2_den = t.count(pos_del, value_ok)

    # E3 / E6: collected and returned to stock
    e3_num = t.count(pos_col, reused)
    e3_den = t.count(pos_col, has_outcome)
    no_outcome = t.count(pos_col, ~has_outcome)
    e6 = t.total(pos_col, val0, reused)

    # E4: value issued from recycled stock / value issued
    e4_num = t.total(pos_del, val0, recycled)
    e4_den = t.total(pos_del, val0)

    # E5: collections on time
    collected = pos_col >= 0
    has_req = items["collection_requested_date"].notna().to_numpy()
    wd_col = _working_days(ctx, items["collection_requested_date"], items["collected_date"], collected & has_req)
    e5_den = t.count(pos_col, has_req)
    e5_num = t.count(pos_col, has_req & (wd_col <= collect_std))
    no_req = t.count(pos_col, ~has_req)

    f = t.frame(
        {
            "e1_num": e1_num, "e1_den": e1_den, "no_start": no_start,
            "e2_num": e2_num, "e2_den": e2_den,
            "e3_num": e3_num, "e3_den": e3_den, "no_outcome": no_outcome,
            "e4_num": e4_num, "e4_den": e4_den,
            "e5_num": e5_num, "e5_den": e5_den, "no_req": no_req,
            "e6": e6,
        }
    )
    f = covered(f, ctx.grid("equipment"))

    start_name = "order date" if cfg["clock_start"] == "order" else "assessment decision date"
    e1 = ratio_rows(f, "E1", "e1_num", "e1_den", ctx, zero_note=f"no value: no items delivered in the quarter with a clock-start date ({start_name})")
    e1 = add_count_note(e1, f["no_start"], f"item(s) delivered without a clock-start date ({start_name}) left out")
    e2 = ratio_rows(f, "E2", "e2_num", "e2_den", ctx, zero_note="no value: no items delivered in the quarter (at or above the collection-value threshold)")
    if threshold > 0:
        e2["note"] = join_notes(e2["note"], f"items valued below £{threshold:g} left out")
    e3 = ratio_rows(f, "E3", "e3_num", "e3_den", ctx, zero_note="no value: no items collected in the quarter with a recorded outcome")
    e3 = add_count_note(e3, f["no_outcome"], "collected item(s) without a recorded outcome (reused/scrapped) left out")
    e4 = ratio_rows(f, "E4", "e4_num", "e4_den", ctx, zero_note="no value: no value of items delivered in the quarter", no_interval=True)
    e5 = ratio_rows(f, "E5", "e5_num", "e5_den", ctx, zero_note="no value: no collections in the quarter with a request date")
    e5 = add_count_note(e5, f["no_req"], "collection(s) without a request date left out")
    e6 = count_rows(f, "E6", "e6", no_interval=True)
    return concat_rows([e1, e2, e3, e4, e5, e6])

