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
K3_over-  complaints (every stage) not responded to at the snapshot and past their
due       timescale — the same deadline as K3 (:func:`response_deadline`) — a snapshot count
K8        complaints the Ombudsman took in the quarter (``ombudsman_referred_date``)
K9        Ombudsman remedies (a ``remedy_due_date`` on a complaint with an Ombudsman decision)
          due in the quarter completed on or before their due date ÷ remedies due in the
          quarter; a remedy due and not yet completed is not on time. Remedies with a due date
          but no Ombudsman decision (local remedies) are left out and noted
K9_overdue Ombudsman remedies overdue at the snapshot: due on or before the quarter's last day
          and not completed on or before it (a snapshot count)
K10       upheld Ombudsman decisions in the quarter where the council had already provided a
          satisfactory remedy (``remedy_before_decision`` yes) ÷ upheld decisions in the quarter
          with ``remedy_before_decision`` recorded (the Ombudsman's annual review letters:
          "satisfactory remedy provided by the authority"); blanks left out and noted
K11       stage-1 complaints received in the quarter made jointly with the NHS
          (``joint_with_nhs`` yes; blank is no)
K12       stage-1 complaints received in the quarter by ``theme`` (breakdowns ``theme:<t>`` and
          ``theme:not_recorded``, no ``all`` row: it is K1's numerator); only for councils that
          record a theme
K13       the same by ``team`` (``team:<name>`` for the teams the council's extract names, and
          ``team:not_recorded``); only for councils that record a team
========  =================================================================================

K9, K9_overdue, K10 and K11 rows are only for councils whose log fills the column they rest on
(``remedy_due_date``, ``remedy_before_decision``, ``joint_with_nhs``) in at least once: a council
that does not record it gets no rows, not zeros.

K3 also has one row per stage, ``stage:1``, ``stage:2``, ``stage:3`` (every stream together), so
a scrutiny panel can follow stage 2 on its own. K1–K11 have the ``all`` and ``stream:`` rows.

:func:`response_deadline` (K3, K3_overdue) and :func:`ombudsman_recommendations` (K5) are the
rules the complaints worklist (:mod:`ot_benchmark.worklists`) selects by.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.io.bundle import PLANNED_DATES
from ot_benchmark.io.contract import COMPLAINT_STREAMS, COMPLAINT_THEMES
from ot_benchmark.periods import period_range
from ot_benchmark.indicators._common import IndicatorContext, change_rows, concat_rows, count_rows, empty_rows, ratio_rows
from ot_benchmark.indicators._flow import (FlowTally, active_in_periods, add_count_note, category_codes, day_index,
                                           first_day_over, is_in, tally)

__all__ = ["compute", "STREAMS", "STAGES", "THEMES", "NOT_RECORDED", "within_timescale", "response_deadline",
           "ombudsman_recommendations"]

STREAMS = tuple(COMPLAINT_STREAMS)
#: the stages of K3's ``stage:`` rows (the contract allows 1 to 3)
STAGES = ("1", "2", "3")
THEMES = tuple(COMPLAINT_THEMES)
#: the breakdown label of complaints with no theme (team) recorded, so K12's (K13's) parts add up
NOT_RECORDED = "not_recorded"
_PLANNED = tuple(c for t, c in PLANNED_DATES if t == "complaints")
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


def response_deadline(complaints: pd.DataFrame, ctx: IndicatorContext, ix=day_index):
    """Each complaint's timescale (K3's rule, and K3_overdue's and the complaints worklist's).

    Adult statutory: the response date agreed with the complainant (``due_date``; answering
    *on* it is within it); with no agreed date, ``complaints.asc_statutory_fallback_working_days``
    working days from receipt (0, the default: no timescale). Children's statutory and
    corporate: the stage limit in working days from receipt (children's extended limits when
    ``use_extended_limits``); a stage with no limit has no timescale.

    Parameters
    ----------
    complaints : DataFrame
    ctx : IndicatorContext
        For the settings and the working-day calendar.
    ix : callable
        Column name or Series -> day index (default :func:`day_index`; ``FlowTally.ix`` reuses
        a tally's cached ones).

    Returns
    -------
    by_date, by_days : bool arrays
        The timescale is an agreed date / a number of working days.
    late_from : int64 array
        Day index of the first day a response would be late (the day after the agreed date;
        the first day on which more than the limit's working days have elapsed since
        receipt; never before receipt); 0 where there is no timescale. A complaint not
        responded to by a snapshot day *s* with ``late_from <= s`` is overdue at *s*.
    limit : float array
        The working-day limit (NaN for agreed dates and where there is none).
    """
    cfg = ctx.settings["complaints"]
    stream = complaints["stream"].astype(object).to_numpy(dtype=object)
    stage = pd.to_numeric(complaints["stage"]).to_numpy(dtype="float64", na_value=np.nan)
    adult = stream == "asc_statutory"

    def days(col: str) -> np.ndarray:
        return np.asarray(day_index(complaints[col]) if ix is day_index else ix(col), dtype=np.int64)

    due_ix, rec_ix = days("due_date"), days("received_date")
    by_date = adult & (due_ix != 0)
    limit = _stage_limits(stream, stage, cfg)
    fallback = float(cfg["asc_statutory_fallback_working_days"])
    if fallback > 0:
        limit[adult & (due_ix == 0)] = fallback
    limit[by_date] = np.nan
    by_days = ~by_date & np.isfinite(limit) & (rec_ix != 0)
    late_from = np.zeros(len(complaints), dtype=np.int64)
    late_from[by_date] = due_ix[by_date] + 1
    for lim in np.unique(limit[by_days]):  # a handful of distinct limits
        m = by_days & (limit == lim)
        late_from[m] = first_day_over(ctx.calendar, rec_ix[m], lim)
    limit[~by_days] = np.nan
    # nothing is late before it was received (an agreed date before receipt: late from receipt)
    late_from = np.where(late_from != 0, np.maximum(late_from, rec_ix), 0)
    return by_date, by_days, late_from, limit


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
        it by (:func:`response_deadline`); ``within``: it was answered before the first late
        day (on the agreed date, or within the limit's working days, counts).
    """
    responded = complaints["responded_date"].notna().to_numpy()
    sel = responded if rows is None else (responded & rows)
    by_date, by_days, late_from, _limit = response_deadline(complaints, ctx)
    r_ix, rec_ix = day_index(complaints["responded_date"]), day_index(complaints["received_date"])
    # a response dated before the complaint was received cannot be judged
    in_order = (rec_ix == 0) | (r_ix >= rec_ix)
    judged = sel & (by_date | by_days) & in_order
    within = judged & (r_ix.astype(np.int64) < late_from)
    return judged, within


def ombudsman_recommendations(complaints: pd.DataFrame):
    """K5's counts per complaint: ``has_due`` (recommendations due recorded), ``due`` and
    ``complied`` (a blank counts as none complied with); ``due - complied`` are outstanding."""
    rdue = pd.to_numeric(complaints["recommendations_due"]).to_numpy(dtype="float64", na_value=np.nan)
    rdone = pd.to_numeric(complaints["recommendations_complied"]).to_numpy(dtype="float64", na_value=np.nan)
    return np.isfinite(rdue), np.nan_to_num(rdue), np.nan_to_num(rdone)


def compute(ctx: IndicatorContext) -> pd.DataFrame:
    """K1–K7 for every council with a complaints extract, total and per stream.

    Parameters
    ----------
    ctx : IndicatorContext

    Returns
    -------
    DataFrame
        Family rows; breakdowns ``all`` and ``stream:asc_statutory``,
        ``stream:childrens_statutory``, ``stream:corporate`` (K1–K11), ``stage:1``..``stage:3``
        (K3), ``theme:<theme>`` (K12), ``team:<team>`` (K13). K6_gbp and K7 carry
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
    has_due, rdue, rdone = ombudsman_recommendations(c)
    k5_den = t.total(c_omb, rdue, has_due, **kw)
    k5_num = t.total(c_omb, rdone, has_due, **kw)

    # K3_overdue: not responded to at the snapshot and past the timescale (K3's deadline)
    by_date, by_days, late_from, _limit = response_deadline(c, ctx, t.ix)
    k3_over = t.count_open(late_from, t.ix("responded_date"), **kw)

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
            "k3_over": k3_over,
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
    k3o = count_rows(f, "K3_overdue", "k3_over")

    # K3 by stage (every stream together)
    skw = dict(level=_stage_level(stage), nlevels=len(STAGES))
    fs = t.frame({"num": t.count(c_resp, judged & within, **skw), "den": t.count(c_resp, judged, **skw),
                  "out": t.count(c_resp, ~judged, **skw)}, dimension="stage", levels=STAGES)
    fs = fs[fs["breakdown"] != "all"].reset_index(drop=True)
    k3s = ratio_rows(fs, "K3", "num", "den", ctx,
                     zero_note="no value: no responses at this stage in the quarter that can be judged against a timescale")
    k3s = add_count_note(k3s, fs["out"], "response(s) with no timescale to judge them by left out")
    return concat_rows([k1, k2, k3, k3s, k4, k5, k6n, k6g, k7, k3o, *_ombudsman_and_pack(ctx, c, t, level, first_stage)])


def _stage_level(stage: np.ndarray) -> np.ndarray:
    """0, 1, 2 for stages 1, 2, 3; -1 otherwise."""
    lev = np.full(len(stage), -1, dtype=np.int64)
    ok = np.isfinite(stage) & (stage >= 1) & (stage <= len(STAGES))
    lev[ok] = stage[ok].astype(np.int64) - 1
    return lev


def _flag(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A yes/no column that may be blank: (recorded, yes) as bool arrays."""
    b = pd.Series(values).astype("boolean")
    return b.notna().to_numpy(dtype=bool), b.fillna(False).to_numpy(dtype=bool)


def _ombudsman_and_pack(ctx: IndicatorContext, c: pd.DataFrame, t: FlowTally, level, first_stage) -> list[pd.DataFrame]:
    """K8–K13: Ombudsman referrals, remedies and their timeliness, remedies before the decision,
    joint complaints with the NHS, complaints by theme and by team (see the module docstring)."""
    kw = dict(level=level, nlevels=len(STREAMS))
    decided = c["ombudsman_decided_date"].notna().to_numpy()
    upheld = is_in(c["ombudsman_decision"], "upheld")
    c_rec = t.cells("received_date")

    # K9: Ombudsman remedies due in the quarter, done by their due date
    due_ix, done_ix = t.ix("remedy_due_date"), t.ix("remedy_completed_date")
    has_due = due_ix != 0
    omb_remedy = has_due & decided
    on_time = omb_remedy & (done_ix != 0) & (done_ix <= due_ix)
    c_due = t.cells("remedy_due_date")
    # K10: upheld decisions with the council's own remedy recorded
    recorded, before = _flag(c["remedy_before_decision"])
    c_omb = t.cells("ombudsman_decided_date")
    _, joint = _flag(c["joint_with_nhs"])
    f = t.frame(
        {
            "k8": t.count(t.cells("ombudsman_referred_date"), None, **kw),
            "k9_num": t.count(c_due, on_time, **kw), "k9_den": t.count(c_due, omb_remedy, **kw),
            "k9_local": t.count(c_due, has_due & ~decided, **kw),
            "k9_overdue": _open_at_snapshots(t, "remedy_due_date", "remedy_completed_date", omb_remedy, level, len(STREAMS)),
            "k10_num": t.count(c_omb, upheld & recorded & before, **kw),
            "k10_den": t.count(c_omb, upheld & recorded, **kw),
            "k10_blank": t.count(c_omb, upheld & ~recorded, **kw),
            "k11": t.count(c_rec, first_stage & joint, **kw),
        },
        dimension="stream",
        levels=STREAMS,
    )
    k8 = count_rows(f, "K8", "k8")
    k9 = ratio_rows(f, "K9", "k9_num", "k9_den", ctx, zero_note="no value: no Ombudsman remedies due in the quarter")
    k9 = add_count_note(k9, f["k9_local"], "remedy(ies) due with no Ombudsman decision (local remedies) left out")
    k9o = count_rows(f, "K9_overdue", "k9_overdue")
    k10 = ratio_rows(f, "K10", "k10_num", "k10_den", ctx,
                     zero_note="no value: no upheld Ombudsman decisions in the quarter with remedy_before_decision recorded")
    k10 = add_count_note(k10, f["k10_blank"], "upheld decision(s) with remedy_before_decision blank left out")
    k11 = count_rows(f, "K11", "k11")
    # a council whose log never fills a column in gets no rows from it (not zeros: it does not record it)
    k9, k9o = _recording(k9, c, "remedy_due_date"), _recording(k9o, c, "remedy_due_date")
    k10, k11 = _recording(k10, c, "remedy_before_decision"), _recording(k11, c, "joint_with_nhs")
    return [k8, k9, k9o, k10, k11, _by_category(t, c, c_rec, first_stage, "theme", THEMES, "K12"),
            _by_category(t, c, c_rec, first_stage, "team", None, "K13")]


def _recording(rows: pd.DataFrame, c: pd.DataFrame, column: str) -> pd.DataFrame:
    """``rows`` of the councils whose complaints fill ``column`` in at least once."""
    councils = pd.unique(c.loc[c[column].notna().to_numpy(), "authority_code"])
    return rows[rows["authority_code"].isin(councils)].reset_index(drop=True)


def _open_at_snapshots(t: FlowTally, start: str, end: str, rows: np.ndarray, level: np.ndarray, nlevels: int) -> np.ndarray:
    """``(councils, periods, levels)`` counts of ``rows`` open at each requested quarter's
    snapshot: ``start`` on or before the quarter's last day and ``end`` missing or after it.

    A row is open at the snapshots of the quarters from the quarter of ``start`` up to the one
    before the quarter of ``end``; a difference array over the requested quarters (gaps
    allowed) adds them up without a loop over rows or quarters.
    """
    s_ix, e_ix = t.ix(start), t.ix(end)
    qs, qe = t.quarters(start).astype(np.int64), t.quarters(end).astype(np.int64)
    first = np.searchsorted(t.pidx, qs, side="left")  # first requested quarter not before the start
    stop = np.where(e_ix != 0, np.searchsorted(t.pidx, qe, side="left"), t.np)  # first one not before the end
    lev = np.asarray(level, dtype=np.int64)
    ok = np.asarray(rows, dtype=bool) & (s_ix != 0) & (t.codes < t.nc) & (lev >= 0) & (stop > first)
    width = t.np + 1
    base = (t.codes.astype(np.int64) * nlevels + lev) * width
    size = t.nc * nlevels * width
    diff = np.bincount(base[ok] + first[ok], minlength=size).astype("float64")
    diff -= np.bincount(base[ok] + stop[ok], minlength=size)
    out = np.cumsum(diff.reshape(t.nc, nlevels, width), axis=2)[:, :, : t.np]
    return out.transpose(0, 2, 1)


def _by_category(t: FlowTally, c: pd.DataFrame, c_rec, first_stage, column: str, levels, indicator_id: str) -> pd.DataFrame:
    """New complaints received in the quarter by ``column`` (K12 by theme, K13 by team): one
    ``<column>:<value>`` row per value and ``<column>:not_recorded``, no ``all`` row, for the
    councils that record the column at all. Theme rows cover every theme of the contract; team
    rows only the teams the council's own extract names."""
    values = c[column]
    named = values.notna().to_numpy()
    if not named.any():
        return empty_rows()
    if levels is None:
        levels = tuple(sorted(pd.unique(values[named]).astype(str)))
    levels = tuple(levels) + (NOT_RECORDED,)
    lev = category_codes(values, levels)
    lev[~named] = len(levels) - 1
    f = t.frame({"n": t.count(c_rec, first_stage, level=lev, nlevels=len(levels))}, dimension=column, levels=levels)
    f = f[f["breakdown"] != "all"]
    # the councils that record the column, and (for teams) the values each council names
    own = pd.DataFrame({"authority_code": c["authority_code"].to_numpy()[named],
                        "breakdown": (f"{column}:" + values[named].astype(str)).to_numpy()}).drop_duplicates()
    councils = own["authority_code"].unique()
    if column == "team":  # only the council's own teams
        allowed = pd.concat([own, pd.DataFrame({"authority_code": councils, "breakdown": f"{column}:{NOT_RECORDED}"})])
        f = f.merge(allowed, on=["authority_code", "breakdown"], how="inner")
    else:
        f = f[f["authority_code"].isin(councils)]
    return count_rows(f.reset_index(drop=True), indicator_id, "n")


def _year_on_year(ctx: IndicatorContext, c: pd.DataFrame, level, first_stage, current: pd.DataFrame) -> pd.DataFrame:
    """K7: new complaints this quarter vs the same quarter a year earlier.

    The earlier quarters may lie before the first requested quarter, so they are tallied
    separately; an earlier quarter counts only when the council's complaints data cover it
    (it overlaps the span of the council's dates), otherwise the row has no value and says so.
    """
    earlier = period_range(ctx.periods[0].shift(-4), ctx.periods[-1].shift(-4))
    t = FlowTally(c, earlier, planned=_PLANNED)
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
