"""Complaints and Ombudsman (family K), in total and per complaints stream.

Three streams with different rules (INDICATORS.md, family K): adult statutory
(``asc_statutory``, the 2009 regulations: the response period is agreed with the
complainant), children's statutory (``childrens_statutory``: stage 1 10 working days,
extendable to 20; stage 2 25, up to 65; stage 3 panel within 30) and corporate (``corporate``,
the Ombudsman's complaint-handling code: stage 1 10, stage 2 20 working days). Every indicator
has an ``all`` row and one ``stream:<stream>`` row per stream.

The complaints extract holds one row per complaint *per stage*. Choices made here (written up
in ``docs/methods.md``):

========  =================================================================================
K1        complaints **received** in the quarter — stage-1 rows only, so a complaint that
          escalates is counted once — ÷ distinct cases active at any time in the quarter
          (referred on or before its last day and not closed before its first day, from the
          referrals extract; all streams share this denominator) × 1,000
K2        responses in the quarter with outcome upheld or partly upheld ÷ responses in the
          quarter with an outcome of upheld, partly upheld or not upheld (withdrawn
          complaints are not decisions), every stage; responses with no outcome recorded
          are left out and the note says how many
K3        responses in the quarter (every stage) within the stream's timescale ÷ responses in
          the quarter that can be judged. Adult statutory: responded on or before the agreed
          response date (``due_date``; answering *on* the date is within it); with no agreed
          date, ``complaints.asc_statutory_fallback_working_days`` working days (0, the
          default, leaves such complaints out and says so). Children's statutory and
          corporate: working days from receipt to response ≤ the stage limit in
          ``settings["complaints"]`` (children's extended limits when
          ``use_extended_limits``); a stage with no limit is left out and noted
K4        Ombudsman decisions in the quarter upheld ÷ detailed investigations decided
          (upheld + not upheld; ``not_investigated`` is not an investigation)
K5        recommendations complied with ÷ recommendations due, for Ombudsman decisions in the
          quarter
K6        financial remedies (``remedy_gbp`` > 0): count and £ total, dated by the Ombudsman
          decision when there was one, else by the council's response
K7        stage-1 complaints received in the quarter vs the same quarter a year earlier:
          (this − last) ÷ last × 100; no value when the earlier quarter is outside the data
========  =================================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.io.contract import COMPLAINT_STREAMS
from ot_benchmark.periods import period_range
from ot_benchmark.indicators._common import IndicatorContext, change_rows, concat_rows, count_rows, empty_rows, ratio_rows
from ot_benchmark.indicators._flow import FlowTally, active_in_periods, add_count_note, category_codes, day_index, is_in, tally, working_days

__all__ = ["compute", "STREAMS", "within_timescale"]

STREAMS = tuple(COMPLAINT_STREAMS)
DECIDED = ("upheld", "partly_upheld", "not_upheld")
UPHELD = ("upheld", "partly_upheld")


def _stream_level(stream: pd.Series) -> np.ndarray:
    return category_codes(stream, STREAMS)


def _stage_limits(stream: np.ndarray, stage: np.ndarray, cfg: dict) -> np.ndarray:
    """Working-day limit of each (stream, stage); NaN where no limit is set."""
    limit = np.full(len(stream), np.nan)
    child = cfg["childrens_statutory_extended"] if cfg["use_extended_limits"] else cfg["childrens_statutory"]
    for name, table in (("childrens_statutory", child), ("corporate", cfg["corporate"])):
        for key, days in table.items():  # a handful of stages
            k = int(key.split("_")[-1])
            limit[(stream == name) & (stage == k)] = float(days)
    return limit


def within_timescale(complaints: pd.DataFrame, ctx: IndicatorContext, rows: np.ndarray | None = None):
    """Judge complaint responses against their stream's timescale (K3).

    Parameters
    ----------
    complaints : DataFrame
        The complaints extract.
    ctx : IndicatorContext
        For the settings and the working-day calendar.
    rows : boolean array, optional
        Only judge these rows (the others are not judged); default every row with a response
        date.

    Returns
    -------
    judged, within : numpy bool arrays
        ``judged``: the row has a response, not dated before receipt, and a timescale to judge
        it by; ``within``: it was answered within that timescale (on the agreed date counts).
    """
    cfg = ctx.settings["complaints"]
    n = len(complaints)
    responded = complaints["responded_date"].notna().to_numpy()
    sel = responded if rows is None else (responded & rows)
    stream = complaints["stream"].astype(object).to_numpy(dtype=object)
    stage = pd.to_numeric(complaints["stage"]).to_numpy(dtype="float64", na_value=np.nan)
    received = complaints["received_date"]
    resp = complaints["responded_date"]
    due = complaints["due_date"]

    adult = stream == "asc_statutory"
    has_due = due.notna().to_numpy()
    by_date = sel & adult & has_due
    limit = _stage_limits(stream, stage, cfg)
    fallback = float(cfg["asc_statutory_fallback_working_days"])
    if fallback > 0:
        limit[adult & ~has_due] = fallback
    by_days = sel & ~by_date & np.isfinite(limit) & received.notna().to_numpy()

    r_ix, rec_ix = day_index(resp), day_index(received)
    # a response dated before the complaint was received cannot be judged
    in_order = (rec_ix == 0) | (r_ix >= rec_ix)
    by_date &= in_order
    by_days &= in_order
    within = np.zeros(n, dtype=bool)
    within[by_date] = r_ix[by_date] <= day_index(due)[by_date]
    wd = working_days(ctx.calendar, rec_ix, r_ix, by_days)
    within[by_days] = wd[by_days] <= limit[by_days]
    return by_date | by_days, within


def compute(ctx: IndicatorContext) -> pd.DataFrame:
    """K1–K7 for every council with a complaints extract, total and per stream.

    Parameters
    ----------
    ctx : IndicatorContext

    Returns
    -------
    DataFrame
        Family rows; breakdowns ``all`` and ``stream:asc_statutory``,
        ``stream:childrens_statutory``, ``stream:corporate``. K6_gbp and K7 carry
        ``ci_method = "none"``.
    """
    c = ctx.table("complaints")
    if c is None:
        return empty_rows()
    nl = len(STREAMS)
    level = _stream_level(c["stream"])
    stage = pd.to_numeric(c["stage"]).to_numpy(dtype="float64", na_value=np.nan)
    first_stage = stage == 1
    t = tally(ctx, "complaints")
    kw = dict(level=level, nlevels=nl)

    # K1 numerator, K7 current: new complaints received
    c_rec = t.cells("received_date")
    received = t.count(c_rec, first_stage, **kw)

    # K2
    c_resp = t.cells("responded_date")
    k2_den = t.count(c_resp, is_in(c["outcome"], DECIDED), **kw)
    k2_num = t.count(c_resp, is_in(c["outcome"], UPHELD), **kw)
    k2_blank = t.count(c_resp, c["outcome"].isna().to_numpy(), **kw)

    # K3
    judged, within = within_timescale(c, ctx, rows=t.inside(c_resp))
    k3_den = t.count(c_resp, judged, **kw)
    k3_num = t.count(c_resp, judged & within, **kw)
    k3_out = t.count(c_resp, ~judged, **kw)

    # K4, K5
    c_omb = t.cells("ombudsman_decided_date")
    k4_den = t.count(c_omb, is_in(c["ombudsman_decision"], ("upheld", "not_upheld")), **kw)
    k4_num = t.count(c_omb, is_in(c["ombudsman_decision"], "upheld"), **kw)
    rdue = pd.to_numeric(c["recommendations_due"]).to_numpy(dtype="float64", na_value=np.nan)
    rdone = pd.to_numeric(c["recommendations_complied"]).to_numpy(dtype="float64", na_value=np.nan)
    has_due = np.isfinite(rdue)
    k5_den = t.total(c_omb, np.nan_to_num(rdue), has_due, **kw)
    k5_num = t.total(c_omb, np.nan_to_num(rdone), has_due, **kw)

    # K6: remedies dated by the Ombudsman decision, else the council's response
    remedy = pd.to_numeric(c["remedy_gbp"]).to_numpy(dtype="float64", na_value=np.nan)
    paid = np.nan_to_num(remedy) > 0
    remedy_date = c["ombudsman_decided_date"].where(c["ombudsman_decided_date"].notna(), c["responded_date"])
    c_rem = t.cells(remedy_date)
    k6_n = t.count(c_rem, paid, **kw)
    k6_gbp = t.total(c_rem, np.nan_to_num(remedy), paid, **kw)

    f = t.frame(
        {
            "received": received,
            "k2_num": k2_num, "k2_den": k2_den, "k2_blank": k2_blank,
            "k3_num": k3_num, "k3_den": k3_den, "k3_out": k3_out,
            "k4_num": k4_num, "k4_den": k4_den,
            "k5_num": k5_num, "k5_den": k5_den,
            "k6_n": k6_n, "k6_gbp": k6_gbp,
        },
        dimension="stream",
        levels=STREAMS,
    )

    # K1 denominator: distinct cases active in the quarter (from referrals)
    ref = ctx.table("referrals")
    if ref is not None:
        rt = tally(ctx, "referrals")
        act = rt.frame({"active": active_in_periods(rt, "referral_date", "closure_date")}, only_covered=False)
        f = f.merge(act[["authority_code", "period", "active"]], on=["authority_code", "period"], how="left")
        f["active"] = f["active"].fillna(0.0)
        k1_note = "no value: no cases active (waiting or open) in the quarter in the referrals extract"
    else:
        f["active"] = np.nan
        k1_note = "no value: no referrals extract, so the number of active cases is unknown"

    k1 = ratio_rows(f, "K1", "received", "active", ctx, zero_note=k1_note)
    k2 = ratio_rows(f, "K2", "k2_num", "k2_den", ctx, zero_note="no value: no complaints decided in the quarter")
    k2 = add_count_note(k2, f["k2_blank"], "response(s) with no outcome recorded left out")
    k3 = ratio_rows(f, "K3", "k3_num", "k3_den", ctx, zero_note="no value: no responses in the quarter that can be judged against a timescale")
    k3 = add_count_note(k3, f["k3_out"], "response(s) with no timescale to judge them by left out")
    k4 = ratio_rows(f, "K4", "k4_num", "k4_den", ctx, zero_note="no value: no Ombudsman investigations decided in the quarter")
    k5 = ratio_rows(f, "K5", "k5_num", "k5_den", ctx, zero_note="no value: no Ombudsman recommendations due for decisions in the quarter")
    bad = (f["k5_num"] > f["k5_den"]).to_numpy()
    if bad.any():
        k5.loc[bad, "value"] = np.nan
        k5.loc[bad, "note"] = "no value: more recommendations complied with than were due; check the extract"
    k6n = count_rows(f, "K6_count", "k6_n")
    k6g = count_rows(f, "K6_gbp", "k6_gbp", no_interval=True)
    k7 = _year_on_year(ctx, c, level, first_stage, f)
    return concat_rows([k1, k2, k3, k4, k5, k6n, k6g, k7])


def _year_on_year(ctx: IndicatorContext, c: pd.DataFrame, level, first_stage, current: pd.DataFrame) -> pd.DataFrame:
    """K7: new complaints this quarter vs the same quarter a year earlier.

    The earlier quarters may lie before the first requested quarter, so they are tallied
    separately; an earlier quarter counts only when the council's complaints data cover it
    (it overlaps the span of the council's dates), otherwise the row has no value and says so.
    """
    earlier = period_range(ctx.periods[0].shift(-4), ctx.periods[-1].shift(-4))
    t = FlowTally(c, earlier)
    prev = t.frame(  # only the earlier quarters the council's complaints data cover
        {"received": t.count(t.cells("received_date"), first_stage, level=level, nlevels=len(STREAMS))},
        dimension="stream",
        levels=STREAMS,
    )
    rows = change_rows(current[["authority_code", "period", "breakdown", "received"]], "K7", "received", lag=4, ctx=ctx, previous=prev)
    missing = rows["denominator"].isna()
    rows.loc[missing, "note"] = "no value: the same quarter a year earlier is not in the complaints data"
    zero = rows["denominator"].eq(0)
    rows.loc[zero, "note"] = "no value: no complaints in the same quarter a year earlier"
    return rows
