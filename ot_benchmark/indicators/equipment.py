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

Two snapshot counts sit behind E1 and E5, the items to act on (their worklists,
:mod:`ot_benchmark.worklists`, are selected by the same :func:`overdue_spans`):

============  =====================================================================
E1_overdue    items not delivered at the snapshot more than N working days (E1's
              standard) after their clock start
E5_overdue    collections requested and not done at the snapshot more than N working
              days (E5's standard) after the request
============  =====================================================================

Working days follow the package convention (:mod:`ot_benchmark.workdays`): working days after
the start date up to and including the end date; bank holidays and council closure days are
not working days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.indicators._common import IndicatorContext, concat_rows, count_rows, empty_rows, ratio_rows
from ot_benchmark.indicators._flow import add_count_note, category_codes, first_day_over, join_notes, tally

__all__ = ["compute", "CLOCK_START_COLUMNS", "overdue_spans"]

#: settings value of ``equipment.clock_start`` -> the column that starts the E1 clock
CLOCK_START_COLUMNS = {"order": "ordered_date", "decision": "decision_date"}


def overdue_spans(ix, settings, calendar, which=("delivery", "collection")
                  ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """Who is overdue, and from when: the rule of E1_overdue and E5_overdue (and of the
    equipment worklists).

    Parameters
    ----------
    ix : callable
        Column name -> day index array (:func:`ot_benchmark.indicators._flow.day_index` of
        that column; 0 = blank), e.g. ``FlowTally.ix``.
    settings : Settings
        ``equipment.clock_start``, ``delivery_standard_working_days``,
        ``collection_standard_working_days``.
    calendar : WorkingCalendar
    which : sequence of str
        The spans wanted (default both).

    Returns
    -------
    dict
        ``"delivery"`` and ``"collection"``: ``(start, overdue_from, done, standard)`` —
        day indexes of the clock start (order/decision date; collection request), of the first
        day on which more than ``standard`` working days have elapsed since it, and of the
        delivery (collection), 0 when blank. An item is overdue at a snapshot day *s* when
        ``overdue_from <= s < done`` (not done by *s*: done *on* the snapshot day is done).
    """
    cfg = settings["equipment"]
    out = {}
    for name, start_col, done_col, std in (
        ("delivery", CLOCK_START_COLUMNS[cfg["clock_start"]], "delivered_date", float(cfg["delivery_standard_working_days"])),
        ("collection", "collection_requested_date", "collected_date", float(cfg["collection_standard_working_days"])),
    ):
        if name not in which:
            continue
        start = ix(start_col)
        out[name] = (start, first_day_over(calendar, start, std), ix(done_col), std)
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

    t = tally(ctx, "equipment")
    t.coverage()  # first, while no day index is cached: it reads every date column once
    value = items["item_value_gbp"].to_numpy(dtype="float64")
    if np.isnan(value).any():  # the contract says never blank; count a blank as £0
        value = np.nan_to_num(value, nan=0.0)
    recycled = items["from_recycled_stock"].to_numpy(dtype=bool, na_value=False)
    value_ok = value >= threshold

    # Items delivered in the quarter (E1, E2 denominator, E4): one tally of a small code per
    # item instead of one pass per count. Bit 0: the clock start is known and not after the
    # delivery (the item can be judged); bit 1: delivered within the standard; bit 2: value at
    # or above the collection threshold.
    c_del = t.cells("delivered_date")
    judged, within = t.within_working_days(ctx.calendar, clock_col, "delivered_date", delivery_std, rows=t.inside(c_del))
    code = judged.view(np.int8).copy()
    code += within.view(np.int8) * np.int8(2)
    code += value_ok.view(np.int8) * np.int8(4)
    del judged, within
    d = t.count(c_del, level=code, nlevels=8)
    del code
    e1_den = d[..., 1::2].sum(axis=2)
    e1_num = d[..., [3, 7]].sum(axis=2)
    no_start = d[..., 0::2].sum(axis=2)
    e2_den = d[..., 4:].sum(axis=2)
    v = t.total(c_del, value, level=recycled.view(np.int8), nlevels=2)
    e4_num, e4_den = v[..., 1], v.sum(axis=2)
    # the snapshot count behind E1 (the equipment worklists use the same spans)
    e1_over = np.zeros((t.nc, t.np))
    if ctx.wants("E1_overdue"):
        _s, due, done, _std = overdue_spans(t.ix, ctx.settings, ctx.calendar, which=("delivery",))["delivery"]
        e1_over = t.count_open(due, done)
        del _s, due, done
    t.release(keep=("delivered_date",), keep_ix=())  # one phase's day indexes at a time
    collection = ctx.wants("E2", "E3", "E5", "E6", "E5_overdue")  # else the items collected are not looked at

    # Items collected in the quarter (E2 numerator, E3, E5, E6): code = outcome (0 not
    # recorded, 1 reused, 2 scrapped) + 3 × request (0 no usable request date, 1 late,
    # 2 on time) + 9 × value at or above the threshold.
    c_col = t.cells("collected_date") if collection else np.full(len(items), t.outside, dtype=np.int32)
    code = category_codes(items["collection_outcome"], ("reused", "scrapped"))  # int8
    code += np.int8(1)
    e6 = t.total(c_col, value, code == 1)
    if ctx.wants("E5"):
        judged, within = t.within_working_days(ctx.calendar, "collection_requested_date", "collected_date",
                                               collect_std, rows=t.inside(c_col))
    else:
        judged = within = np.zeros(len(items), dtype=bool)
    code += judged.view(np.int8) * np.int8(3)
    code += within.view(np.int8) * np.int8(3)
    code += value_ok.view(np.int8) * np.int8(9)
    del judged, within
    k = t.count(c_col, level=code, nlevels=18).reshape(t.nc, t.np, 2, 3, 3)  # value, request, outcome
    del code, c_col
    e2_num = k[:, :, 1].sum(axis=(2, 3))
    e3_num = k[..., 1].sum(axis=(2, 3))
    e3_den = k[..., 1:].sum(axis=(2, 3, 4))
    no_outcome = k[..., 0].sum(axis=(2, 3))
    e5_den = k[:, :, :, 1:].sum(axis=(2, 3, 4))
    e5_num = k[:, :, :, 2].sum(axis=(2, 3))
    no_req = k[:, :, :, 0].sum(axis=(2, 3))
    # the snapshot count behind E5
    e5_over = np.zeros((t.nc, t.np))
    if ctx.wants("E5_overdue"):
        _s, due, done, _std = overdue_spans(t.ix, ctx.settings, ctx.calendar, which=("collection",))["collection"]
        e5_over = t.count_open(due, done)
        del _s, due, done
    t.release(keep=("delivered_date",), keep_ix=())  # U2 (costs) counts items delivered

    f = t.frame(
        {
            "e1_num": e1_num, "e1_den": e1_den, "no_start": no_start,
            "e2_num": e2_num, "e2_den": e2_den,
            "e3_num": e3_num, "e3_den": e3_den, "no_outcome": no_outcome,
            "e4_num": e4_num, "e4_den": e4_den,
            "e5_num": e5_num, "e5_den": e5_den, "no_req": no_req,
            "e6": e6,
            "e1_over": e1_over, "e5_over": e5_over,
        }
    )

    start_name = "order date" if cfg["clock_start"] == "order" else "assessment decision date"
    e1 = ratio_rows(f, "E1", "e1_num", "e1_den", ctx, zero_note=f"no value: no items delivered in the quarter with a clock-start date ({start_name})")
    e1 = add_count_note(e1, f["no_start"], f"item(s) delivered without a usable clock-start date ({start_name}: missing, or after the delivery) left out")
    e2 = ratio_rows(f, "E2", "e2_num", "e2_den", ctx, zero_note="no value: no items delivered in the quarter (at or above the collection-value threshold)")
    if threshold > 0:
        e2["note"] = join_notes(e2["note"], f"items valued below £{threshold:g} left out")
    e3 = ratio_rows(f, "E3", "e3_num", "e3_den", ctx, zero_note="no value: no items collected in the quarter with a recorded outcome")
    e3 = add_count_note(e3, f["no_outcome"], "collected item(s) without a recorded outcome (reused/scrapped) left out")
    e4 = ratio_rows(f, "E4", "e4_num", "e4_den", ctx, zero_note="no value: no value of items delivered in the quarter", no_interval=True)
    e5 = ratio_rows(f, "E5", "e5_num", "e5_den", ctx, zero_note="no value: no collections in the quarter with a usable request date")
    e5 = add_count_note(e5, f["no_req"], "collection(s) without a usable request date (missing, or after the collection) left out")
    e6 = count_rows(f, "E6", "e6", no_interval=True)
    e1o = count_rows(f, "E1_overdue", "e1_over")
    e5o = count_rows(f, "E5_overdue", "e5_over")
    return concat_rows([e1, e2, e3, e4, e5, e6, e1o, e5o])

