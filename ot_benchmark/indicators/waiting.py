"""Family W: waiting for OT assessment (W1–W8), from the ``referrals`` (and ``contacts``) extract.

Conventions (written out for readers in ``docs/methods.md``):

- The clock starts at ``referral_date`` and stops at ``first_assessment_date``; waits are in
  calendar days.
- At a snapshot *s* (the quarter's last day) a person is **waiting** when referred on or before
  *s*, not assessed on or before *s* and not closed on or before *s*: someone assessed (or
  closed) *on* the snapshot day is no longer waiting.
- A referral is **closed without assessment** when it has a closure date and no first
  assessment on or before it; such closures leave the list and are never counted as assessed.
  (An assessment dated after the closure is ignored.)
- Priorities are lower-cased and mapped through ``settings.waiting.facs_mapping`` (legacy FACS
  bands critical/substantial/moderate/low -> urgent/high/medium/low).
- Impossible waits (assessment before referral) are left out of W5/W6/W6k; W5 and W6 rows say
  how many in ``note``, as W5 does for assessments with no priority (or no target for it).

Breakdowns: ``all``, ``priority:<band>`` and ``team:<name>`` for W1, W2, W4, W5, W6, W9;
``all`` and ``team:<name>`` for W3, W6k and W7; ``band:<days>`` for W4b; ``outcome:<outcome>``
for W7_changed. A council gets ``team:`` rows only for the teams its own referrals name.

Who is counted is decided by small public functions, so the people behind a figure can be
listed by exactly the rule that counted them (:mod:`ot_benchmark.worklists`):
:func:`waiting_at` (on the list at a snapshot), :func:`priority_target_days` and
:func:`past_target` (W9), :func:`prepare_contacts` and :func:`contacted_within` (W7).

For speed on national data (1.6M referrals) everything large is integer-coded numpy: councils,
periods and breakdowns are codes until the (small) result rows are decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ot_benchmark.indicators._common import (
    IndicatorContext,
    RowSet,
    SortedGroups,
    _period_index,
    concat_rows,
    count_note,
    empty_rows,
    encode_grid,
    join_note_arrays,
    ratio_rows,
)
from ot_benchmark.indicators._flow import category_codes
from ot_benchmark.io.contract import CONTACT_OUTCOMES, PRIORITIES
from ot_benchmark.io.reference import councils
from ot_benchmark.periods import Period, parse_period
from ot_benchmark.settings import load_settings
from ot_benchmark.stats.intervals import CONFIDENCE_LEVELS, student_t_mean_ci
from ot_benchmark.stats.survival import km_median_groups

__all__ = ["compute", "prepare_referrals", "PreparedReferrals", "band_labels", "cohort_waits", "NEVER",
           "waiting_at", "priority_target_days", "past_target", "PreparedContacts", "prepare_contacts",
           "contacted_within", "CHANGE_OUTCOMES", "day_number"]

#: keep-in-touch contact outcomes that changed something (W7_changed)
CHANGE_OUTCOMES = ("priority_changed", "withdrawn")

NEVER = np.iinfo("int64").max  # a day that never comes (no assessment / no closure)
_NEVER = NEVER


def _days(s) -> np.ndarray:
    """Dates as int64 day numbers; NaT -> NEVER."""
    v = np.asarray(pd.Series(s).to_numpy(dtype="datetime64[ns]")).view("int64")
    out = v // 86_400_000_000_000  # floor: whole days since 1970-01-01, as datetime64[D] has them
    out[v == np.iinfo("int64").min] = NEVER
    return out


def _day(ts) -> int:
    return int(np.datetime64(pd.Timestamp(ts), "D").astype("int64"))


day_number = _day  # a date as the day number the coded arrays use (days since 1970-01-01)


def band_labels(upper: list[int]) -> list[str]:
    """Wait-band labels from the bands' upper days: [7, 14] -> ['0-7', '8-14', '15+']."""
    lows = [0] + [u + 1 for u in upper]
    return [f"{lo}-{hi}" for lo, hi in zip(lows, upper)] + [f"{lows[-1]}+"]


@dataclass
class PreparedReferrals:
    """The referrals extract as integer-coded numpy arrays (shared by families W and C).

    ``a`` council code (into ``auths``), ``pr`` priority code (into ``levels``, -1 unknown),
    ``tm`` team code (into ``teams``, -1 blank or no team column), ``has_team`` (councils ×
    teams: the council's referrals name that team), ``ref``/``fa``/``cl``/``alloc``/``review``
    day numbers (``NEVER`` when blank; ``fa`` is NEVER for an assessment dated after the
    closure), ``assessed`` and ``closed_unassessed`` flags.
    """

    auths: np.ndarray
    levels: list[str]
    a: np.ndarray
    pr: np.ndarray
    ref: np.ndarray
    fa: np.ndarray
    cl: np.ndarray
    alloc: np.ndarray
    review: np.ndarray
    assessed: np.ndarray
    closed_unassessed: np.ndarray
    referral_id: pd.Series
    tm: np.ndarray | None = None
    teams: list[str] | None = None
    has_team: np.ndarray | None = None

    def __post_init__(self):
        if self.tm is None:
            self.tm = np.full(len(self.a), -1, dtype="int64")
            self.teams = []
        if self.has_team is None:
            self.has_team = np.zeros((len(self.auths), len(self.teams)), dtype=bool)
            ok = self.tm >= 0
            self.has_team[self.a[ok], self.tm[ok]] = True


def prepare_referrals(ctx: IndicatorContext) -> PreparedReferrals | None:
    """Code the referrals extract once per run (cached on ``ctx``)."""
    if "referrals_prepared" in ctx.cache:
        return ctx.cache["referrals_prepared"]
    ref = ctx.table("referrals")
    if ref is None:
        return None
    out = _prepare(ref, ctx.settings)
    ctx.cache["referrals_prepared"] = out
    return out


def _prepare(ref: pd.DataFrame, settings) -> PreparedReferrals:
    """Code a referrals extract (see :class:`PreparedReferrals`); priorities mapped through
    ``settings.waiting.facs_mapping``."""
    ref = ref[ref["authority_code"].notna()]  # the validator rejects these; in-memory frames may not
    mapping = {str(k).strip().lower(): v for k, v in settings["waiting"]["facs_mapping"].items()}
    pcodes, pvals = pd.factorize(ref["priority"])
    names = [mapping.get(str(v).strip().lower(), str(v).strip().lower()) for v in pvals]
    levels = list(PRIORITIES) + sorted(set(names) - set(PRIORITIES))
    lookup = np.array([levels.index(n) for n in names] + [-1], dtype="int64")
    pr = lookup[pcodes]  # code -1 (missing) picks the trailing -1
    a, auths = pd.factorize(ref["authority_code"])
    refd, fa, cl = _days(ref["referral_date"]), _days(ref["first_assessment_date"]), _days(ref["closure_date"])
    assessed = (fa != NEVER) & (fa <= cl)
    fa = np.where(assessed, fa, NEVER)
    never = np.full(len(ref), NEVER, dtype="int64")
    if "team" in ref:  # factorise once, then tidy the few distinct names (blank = no team)
        tcodes, tvals = pd.factorize(ref["team"])
        names = [str(v).strip() for v in tvals]
        teams = sorted({n for n in names if n and n != NOT_RECORDED})
        tlut = np.array([teams.index(n) if n in teams else -1 for n in names] + [-1], dtype="int64")
        tm = tlut[np.asarray(tcodes, dtype="int64")]  # code -1 (missing) picks the trailing -1
        # in a council that records teams, people without one are a part of their own
        # ("team:not recorded"), so a council's team rows add up to its "all" row
        a_codes = pd.factorize(ref["authority_code"])[0]
        names_team = np.zeros(int(a_codes.max()) + 1 if len(a_codes) else 0, dtype=bool)
        names_team[a_codes[tm >= 0]] = True
        blank = (tm < 0) & names_team[a_codes] if len(a_codes) else np.zeros(0, dtype=bool)
        if blank.any():
            teams = teams + [NOT_RECORDED]
            tm = np.where(blank, len(teams) - 1, tm)
    else:
        tm, teams = None, None
    return PreparedReferrals(
        auths=np.asarray(auths, dtype=object),
        levels=levels,
        a=a.astype("int64"),
        pr=pr,
        ref=refd,
        fa=fa,
        cl=cl,
        alloc=_days(ref["allocated_date"]) if "allocated_date" in ref else never,
        review=_days(ref["review_start_date"]) if "review_start_date" in ref else never,
        assessed=assessed,
        closed_unassessed=(cl != NEVER) & ~assessed,
        referral_id=ref["referral_id"] if "referral_id" in ref else pd.Series(np.arange(len(ref))),
        tm=tm,
        teams=teams,
    )


# ------------------------------------------------------------------------------------------
# who is counted (shared with ot_benchmark.worklists, so a list and its figure never disagree)
# ------------------------------------------------------------------------------------------
def waiting_at(d: PreparedReferrals, snapshot: int) -> np.ndarray:
    """Rows of the people on the list at the snapshot day (a day number, :func:`day_number`):
    referred on or before it, not assessed on or before it, not closed on or before it."""
    return np.flatnonzero((d.ref <= snapshot) & (d.fa > snapshot) & (d.cl > snapshot))


def priority_target_days(levels: list[str], settings) -> np.ndarray:
    """The target in calendar days of each priority level (``settings.priority_targets()``,
    i.e. ``waiting.targets_days``), NaN for a level with no target, plus a trailing NaN so that
    priority code -1 (not recorded) picks NaN."""
    targets = settings.priority_targets() if hasattr(settings, "priority_targets") else dict(settings["waiting"]["targets_days"])
    return np.array([float(targets.get(x, np.nan)) for x in levels] + [np.nan])


def past_target(d: PreparedReferrals, rows: np.ndarray, wait: np.ndarray, targets: np.ndarray):
    """W9's rule for people on the list (``rows`` from :func:`waiting_at`, ``wait`` their days
    waited at the snapshot, ``targets`` from :func:`priority_target_days`).

    Returns
    -------
    target, has_target, past : arrays aligned with ``rows``
        The priority's target in days (NaN when none); whether there is one; whether the wait
        **exceeds** it (a wait exactly on the target is not past it, as for W5).
    """
    tgt = targets[d.pr[rows]]
    has = np.isfinite(tgt)
    past = has & (np.asarray(wait, dtype="float64") > np.where(has, tgt, 0.0))
    return tgt, has, past


@dataclass
class PreparedContacts:
    """The contacts extract matched to the coded referrals: ``pos`` (row in the referrals),
    ``day`` (contact day number), ``outcome`` (code into ``CONTACT_OUTCOMES``, -1 not recorded)
    of each usable contact; ``recorders`` (councils that record contacts at all: only they get
    W7) and ``outcome_recorders`` (councils that record outcomes: only they get W7_changed)."""

    pos: np.ndarray
    day: np.ndarray
    outcome: np.ndarray
    recorders: np.ndarray
    outcome_recorders: np.ndarray


def prepare_contacts(contacts: pd.DataFrame | None, d: PreparedReferrals) -> PreparedContacts | None:
    """Contacts whose referral is in the referrals extract and whose date is known."""
    if contacts is None or len(contacts) == 0:
        return None
    pos = _positions(contacts["referral_id"], d.referral_id)
    cday = _days(contacts["contact_date"])
    ok = (pos >= 0) & (cday != NEVER)
    if "outcome" in contacts:
        out = category_codes(contacts["outcome"], CONTACT_OUTCOMES)
    else:
        out = np.full(len(contacts), -1, dtype="int64")
    pos, cday, out = pos[ok], cday[ok], out[ok]
    recorders = np.zeros(len(d.auths), dtype=bool)
    recorders[d.a[pos]] = True
    outcome_recorders = np.zeros(len(d.auths), dtype=bool)
    outcome_recorders[d.a[pos[out >= 0]]] = True
    return PreparedContacts(pos=pos, day=cday, outcome=out, recorders=recorders, outcome_recorders=outcome_recorders)


def _positions(ids: pd.Series, pool: pd.Series) -> np.ndarray:
    """Position in ``pool`` of each of ``ids`` (-1 when absent): a hash look-up with pyarrow
    for pyarrow strings (no uniqueness check of the pool: the validator has made the
    referrals' ids unique), else pandas."""
    try:
        found = pc.index_in(pa.array(ids.array), value_set=pa.array(pool.array))
        return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype="int64")
    except (TypeError, ValueError, pa.ArrowException):  # not strings pyarrow can hash
        return pd.Index(pool).get_indexer(ids)


def contacted_within(c: PreparedContacts, n: int, snapshot: int, k: int) -> np.ndarray:
    """W7's window: for each of the ``n`` referrals, whether it has a contact in the ``k`` days
    up to and including the snapshot, i.e. dated in (snapshot − k, snapshot]."""
    seen = np.zeros(n, dtype=bool)
    seen[c.pos[(c.day <= snapshot) & (c.day > snapshot - k)]] = True
    return seen


def _by_breakdown(a: np.ndarray, p: np.ndarray, pr: np.ndarray, tm: np.ndarray, P: int, B: int, L: int):
    """The rows' council × period × breakdown cells (:func:`_cells`) for the ``all`` breakdown
    (0), by priority (1 + priority code) and by team (1 + ``L`` + team code), one after the
    other: ``(cells, rows, "all" | "priority" | "team")`` (``rows`` selects the rows that have
    the breakdown), so that only one copy of the rows is ever made at a time."""
    base = (np.asarray(a, dtype="int64") * P + p) * B
    yield base, slice(None), "all"
    has = np.flatnonzero(pr >= 0)
    yield base[has] + pr[has] + 1, has, "priority"
    ht = np.flatnonzero(tm >= 0)
    yield base[ht] + tm[ht] + (1 + L), ht, "team"


def _cells(P: int, B: int, a, p, b) -> np.ndarray:
    """Flat index of council × period × breakdown cells."""
    return (np.asarray(a, dtype="int64") * P + p) * B + b


def _split(cell: np.ndarray, P: int, B: int):
    """The inverse of :func:`_cells`: (a, p, b) of flat cell indexes."""
    ap, b = np.divmod(cell, B)
    a, p = np.divmod(ap, P)
    return a, p, b


def compute(ctx: IndicatorContext) -> pd.DataFrame:
    """Family W rows for every council with a referrals extract × covered period."""
    d = prepare_referrals(ctx)
    if d is None:
        return empty_rows()
    grid = ctx.grid("referrals")
    if grid.empty:
        return empty_rows()
    st = ctx.settings["waiting"]
    A, P, L = len(d.auths), len(ctx.periods), len(d.levels)
    bnames = ["all"] + [f"priority:{x}" for x in d.levels] + [f"team:{x}" for x in d.teams]
    B = len(bnames)
    # the counts behind the per-population rates asked for are kept too (per_population reads them)
    wanted = ctx.indicators
    if wanted is not None:
        wanted = wanted | {c for c, r in PER_POPULATION.items() if r in wanted}
    rows = RowSet(d.auths, ctx.labels, bnames, wanted=wanted)
    mult = ctx.multiplier
    # which breakdowns a council has: all and every priority; only the teams it names
    present = np.ones((A, B), dtype=bool)
    present[:, 1 + L:] = d.has_team
    eg = encode_grid(grid, d.auths, ctx.labels)  # int grid
    in_grid = np.zeros((A, P), dtype=bool)
    in_grid[eg["authority_code"].to_numpy(), eg["period"].to_numpy()] = True
    ga, gp = np.nonzero(in_grid)
    # the keys of every row: each grid pair × the breakdowns the council has
    ka, kp, kb = np.repeat(ga, B), np.repeat(gp, B), np.tile(np.arange(B), len(ga))
    keep = present[ka, kb]
    ka, kp, kb = ka[keep], kp[keep], kb[keep]
    kcell = _cells(P, B, ka, kp, kb)
    size = A * P * B

    # ---- snapshot measures ---------------------------------------------------------------
    prev = ctx.periods[0].previous()
    ends = [prev.end] + [p.end for p in ctx.periods]  # snapshot 0 is the quarter before
    n_prev = np.bincount(d.a[waiting_at(d, _day(ends[0]))], minlength=A).astype("float64")
    parts = {"p": [], "wait": [], "row": []}
    for i, end in enumerate(ends[1:]):
        s = _day(end)
        idx = waiting_at(d, s)
        parts["p"].append(np.full(len(idx), i, dtype="int64"))
        parts["wait"].append((s - d.ref[idx]).astype("int32"))  # whole days
        parts["row"].append(idx)
    wp, wwait, wrow = (np.concatenate(parts[k]) for k in ("p", "wait", "row"))
    wa = d.a[wrow]
    del parts
    # W9: past the priority's target at the snapshot (the same rule as past_target())
    targets = priority_target_days(d.levels, ctx.settings)
    _wtgt, w_has_t, w_past = past_target(d, wrow, wwait, targets)
    del _wtgt
    thresholds = {"W4_26wk": st["over_26_weeks_days"], "W4_52wk": st["over_52_weeks_days"]}
    w1 = np.zeros(size, dtype="int64")
    over = {iid: np.zeros(size, dtype="int64") for iid in thresholds}
    past9, no_t9 = np.zeros(size, dtype="int64"), np.zeros(size, dtype="int64")
    # W2 (median, 90th percentile) and W3 (longest wait, all and teams only): one sort of each
    # breakdown's waits, the all, priority and team copies one after another
    for cell, sel, dim in _by_breakdown(wa, wp, d.pr[wrow], d.tm[wrow], P, B, L):
        wait = wwait[sel]
        w1 += np.bincount(cell, minlength=size)
        for iid, thr in thresholds.items():
            over[iid] += np.bincount(cell[wait > thr], minlength=size)
        past9 += np.bincount(cell[w_past[sel]], minlength=size)
        no_t9 += np.bincount(cell[~w_has_t[sel]], minlength=size)
        waits = SortedGroups(cell, wait)
        del cell, wait
        ga_w, gp_w, gb_w = _split(waits.groups, P, B)
        for iid, q in (("W2_median", 0.5), ("W2_p90", 0.9)):
            rows.quantiles(iid, waits, slice(None), ga_w, gp_w, gb_w, q)
        if dim != "priority":
            rows.quantiles("W3", waits, slice(None), ga_w, gp_w, gb_w, 1.0)
        del waits
    del w_has_t, w_past
    rows.count("W1", ka, kp, kb, w1[kcell])
    nobody = "no value: nobody was waiting at the snapshot"
    empty = w1[kcell] == 0  # every priority of every covered council × quarter gets a row
    for iid in ("W2_median", "W2_p90"):
        rows.no_value(iid, ka[empty], kp[empty], kb[empty], nobody)
    whole_k = empty & ((kb == 0) | (kb > L))
    rows.no_value("W3", ka[whole_k], kp[whole_k], kb[whole_k], nobody)

    for iid in thresholds:
        rows.ratio(iid, ka, kp, kb, over[iid][kcell], w1[kcell], mult(iid), nobody)

    upper = list(st["band_upper_days"])
    bcodes = np.array([rows.code(f"band:{x}") for x in band_labels(upper)], dtype="int64")
    K = len(bcodes)
    band = np.searchsorted(np.asarray(upper, dtype="float64"), wwait, side="left")
    w4b = np.bincount((wa * P + wp) * K + band, minlength=A * P * K).reshape(A, P, K)
    rows.count("W4b", np.repeat(ga, K), np.repeat(gp, K), np.tile(bcodes, len(ga)), w4b[ga, gp].reshape(-1))

    if ctx.wants("W7", "W7_changed"):
        _keep_in_touch(ctx, d, rows, wa, wp, wwait, wrow, eg, present, L)
    del wa, wp, wwait, wrow, band

    # W9: people past their priority's target at the snapshot, count and % of W1
    rows.ratio("W9", ka, kp, kb, past9[kcell], w1[kcell], mult("W9"), nobody,
               note=count_note(no_t9[kcell], "people waiting with no priority, or no target for their priority: "
                                             "in W1, never past a target"))

    # ---- flow measures -------------------------------------------------------------------
    fa_p = ctx.period_index(d.fa)
    m = (fa_p >= 0) & d.assessed & (d.fa >= d.ref)
    apr, atm, aa, ap = d.pr[m], d.tm[m], d.a[m], fa_p[m]
    await_ = (d.fa[m] - d.ref[m]).astype("int32")  # whole days
    tgt = targets[apr]  # pr -1 -> NaN
    has_t = np.isfinite(tgt)
    within = has_t & (await_ <= np.where(has_t, tgt, 0))
    del tgt
    # nothing silently dropped: assessments left out of W5 (no priority, or one with no target)
    # and, in every W5/W6 row, impossible waits (assessment dated before the referral; the
    # validator rejects these, in-memory frames may hold them)
    bad = (fa_p >= 0) & d.assessed & (d.fa < d.ref)
    impossible = np.zeros(size, dtype="int64")
    for cell, _sel, _dim in _by_breakdown(d.a[bad], fa_p[bad], d.pr[bad], d.tm[bad], P, B, L):
        impossible += np.bincount(cell, minlength=size)
    imp_text = "first assessment(s) dated before the referral left out"
    num, den, no_tgt, n_done = (np.zeros(size, dtype="int64") for _ in range(4))
    total = np.zeros(size)
    for cell, sel, _dim in _by_breakdown(aa, ap, apr, atm, P, B, L):
        wait = await_[sel]
        num += np.bincount(cell[within[sel]], minlength=size)
        den += np.bincount(cell[has_t[sel]], minlength=size)
        no_tgt += np.bincount(cell[~has_t[sel]], minlength=size)
        n_done += np.bincount(cell, minlength=size)
        total += np.bincount(cell, weights=wait.astype("float64"), minlength=size)
        if not ctx.wants("W6_median", "W6_p90"):
            continue
        done = SortedGroups(cell, wait)
        del cell, wait
        fa_g, fp_g, fb_g = _split(done.groups, P, B)
        imp_done = count_note(impossible[done.groups], imp_text)
        for iid, q in (("W6_median", 0.5), ("W6_p90", 0.9)):
            rows.quantiles(iid, done, slice(None), fa_g, fp_g, fb_g, q, note=imp_done)
        del done
    rows.ratio("W5", ka, kp, kb, num[kcell].astype("float64"), den[kcell].astype("float64"), mult("W5"),
               "no value: no first assessments with a priority target were completed in the period",
               note=join_note_arrays(count_note(no_tgt[kcell], "first assessment(s) with no priority or no target for "
                                                               "their priority left out"),
                                     count_note(impossible[kcell], imp_text)))
    none_done = "no value: no first assessments were completed in the period"
    gap = n_done[kcell] == 0  # like the medians, a covered council × quarter with no assessments gets a row
    gap_note = join_note_arrays(np.full(int(gap.sum()), none_done, dtype=object), count_note(impossible[kcell[gap]], imp_text))
    for iid in ("W6_median", "W6_p90"):
        rows.no_value(iid, ka[gap], kp[gap], kb[gap], gap_note)
    # W6_mean: the mean with a Student-t interval (numerator the total, denominator n)
    n = n_done.astype("float64")
    mean = total / np.where(n > 0, n, 1)
    ss = np.zeros(size)
    for cell, sel, _dim in _by_breakdown(aa, ap, apr, atm, P, B, L) if ctx.wants("W6_mean") else ():
        ss += np.bincount(cell, weights=(await_[sel].astype("float64") - mean[cell]) ** 2, minlength=size)
    del aa, ap, apr, atm, await_, has_t, within
    g = np.flatnonzero(n_done)
    n, total, mean, ss = n[g], total[g], mean[g], ss[g]
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(ss / (n - 1))
    ci = {"ci_method": np.where(n > 1, "student_t", "none").astype(object)}
    for conf, suffix in CONFIDENCE_LEVELS.items():
        ci[f"lower_{suffix}"], ci[f"upper_{suffix}"] = student_t_mean_ci(mean, sd, n, conf)  # NaN where n < 2
    rows.add("W6_mean", *_split(g, P, B), numerator=total, denominator=n, value=mean, ci=ci,
             note=join_note_arrays(np.where(n > 1, None, "one observation: no interval").astype(object),
                                   count_note(impossible[g], imp_text)))
    rows.no_value("W6_mean", ka[gap], kp[gap], kb[gap], gap_note)

    if ctx.wants("W6k"):
        _cohort_km(ctx, d, rows, eg, present, L)

    # W8 flows
    def flow(day_arr: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        pi = ctx.period_index(day_arr)
        sel = pi >= 0
        if mask is not None:
            sel &= mask
        return np.bincount(d.a[sel] * P + pi[sel], minlength=A * P).reshape(A, P)

    rows.count("W8_referrals", ga, gp, 0, flow(d.ref)[ga, gp])
    rows.count("W8_assessments", ga, gp, 0, flow(d.fa, d.assessed)[ga, gp])
    rows.count("W8_closed_unassessed", ga, gp, 0, flow(d.cl, d.closed_unassessed)[ga, gp])

    # net change in the list: W1 now minus W1 at the previous snapshot (which is the previous
    # requested quarter's, or the quarter before the first one)
    w1_all = w1.reshape(A, P, B)[:, :, 0].astype("float64")
    before = np.concatenate([n_prev[:, None], w1_all[:, :-1]], axis=1)
    first_ref = np.full(A, NEVER, dtype="int64")
    np.minimum.at(first_ref, d.a, d.ref)
    prev_end = np.array([_day(e) for e in ends[:-1]], dtype="int64")
    known = first_ref[:, None] <= prev_end[None, :]
    change = np.where(known, w1_all - before, np.nan)
    kn = known[ga, gp]
    rows.count("W8_net_change", ga, gp, 0, change[ga, gp], no_interval=True,
               note=np.where(kn, None, "no value: the data do not reach back to the previous snapshot").astype(object))
    w = rows.frame()
    return concat_rows([w, per_population(w, ctx)])


#: The counts that scale with a council's size, and the indicators comparing them across councils
#: per 10,000 residents aged 18 or over (docs/methods.md, "Compare like with like").
PER_POPULATION = {
    "W1": "W1_per_10k",
    "W8_referrals": "W8_referrals_per_10k",
    "W8_assessments": "W8_assessments_per_10k",
    "W8_closed_unassessed": "W8_closed_unassessed_per_10k",
    "W8_net_change": "W8_net_change_per_10k",
}


def per_population(rows: pd.DataFrame, ctx: IndicatorContext) -> pd.DataFrame:
    """The per-population rows of :data:`PER_POPULATION` from the family's count rows
    (breakdown ``all``): the count over the council's residents aged 18 or over (ONS mid-2020,
    :func:`ot_benchmark.io.reference.councils`) × 10,000. The counts keep their own rows (and
    SPC charts); these are what councils of different sizes are compared on. A council code
    with no reference population gets no value and a note."""
    t = rows[rows["indicator_id"].isin(list(PER_POPULATION)) & (rows["breakdown"] == "all")]
    if t.empty:
        return empty_rows()
    ref = councils("all").set_index("ons_code")["pop_18_plus"].astype("float64")
    f = pd.DataFrame({"authority_code": t["authority_code"].to_numpy(), "period": t["period"].to_numpy(),
                      "breakdown": "all", "count": pd.to_numeric(t["value"]).to_numpy(dtype="float64"),
                      "adults": ref.reindex(t["authority_code"].astype(str)).to_numpy(),
                      "of": t["indicator_id"].to_numpy()})
    note = "no value: no reference population for this council code, or no count"
    out = []
    for count_id, rate_id in PER_POPULATION.items():
        part = f[f["of"] == count_id].reset_index(drop=True)
        if len(part):
            # the net change can be negative: a ratio without an interval, as the change itself
            out.append(ratio_rows(part, rate_id, "count", "adults", ctx, zero_note=note,
                                  no_interval=(count_id == "W8_net_change")))
    return concat_rows(out)


def _to_dt(days: np.ndarray) -> np.ndarray:
    """Day numbers back to datetime64[ns] (NEVER -> NaT)."""
    out = np.where(days == NEVER, np.iinfo("int64").min, days).astype("datetime64[D]")
    return out.astype("datetime64[ns]")


def _keep_in_touch(ctx: IndicatorContext, d: PreparedReferrals, rows: RowSet, wa, wp, wwait, wrow, eg: pd.DataFrame,
                   present: np.ndarray, L: int) -> None:
    """W7: of people waiting more than ``keep_in_touch_days`` at the snapshot, % with a contact
    in the ``keep_in_touch_days`` days up to and including the snapshot, i.e. in (s − k, s];
    ``all`` and by team. W7_changed: contacts in the quarter that changed something."""
    c = prepare_contacts(ctx.table("contacts"), d)
    if c is None:
        return
    k = int(ctx.settings["waiting"]["keep_in_touch_days"])
    A, P, T = len(d.auths), len(ctx.periods), len(d.teams)
    long = (wwait > k) & c.recorders[wa]
    contacted = np.zeros(len(wa), dtype=bool)
    for i, (_label, _start, end) in enumerate(ctx.snapshots()):
        m = long & (wp == i)
        if m.any():
            contacted[m] = contacted_within(c, len(d.a), _day(end), k)[wrow[m]]
    la, lp, lc, lt = wa[long], wp[long], contacted[long].astype("float64"), d.tm[wrow[long]]
    ht = lt >= 0
    ka, kp, kc = np.r_[la, la[ht]], np.r_[lp, lp[ht]], np.r_[lc, lc[ht]]
    kb = np.r_[np.zeros(len(la), dtype="int64"), lt[ht] + 1]
    Bt = 1 + T
    key = (ka * P + kp) * Bt + kb
    num = np.bincount(key, weights=kc, minlength=A * P * Bt).reshape(A, P, Bt)
    den = np.bincount(key, minlength=A * P * Bt).reshape(A, P, Bt).astype("float64")
    pres = np.concatenate([present[:, :1], present[:, 1 + L:]], axis=1)
    ea, ep = eg["authority_code"].to_numpy(), eg["period"].to_numpy()
    rec = c.recorders[ea]
    ea, ep = np.repeat(ea[rec], Bt), np.repeat(ep[rec], Bt)
    eb = np.tile(np.arange(Bt), int(rec.sum()))
    keep = pres[ea, eb]
    ea, ep, eb = ea[keep], ep[keep], eb[keep]
    code = np.where(eb == 0, 0, eb + L)  # team t is breakdown 1 + L + t of the family's rows
    rows.ratio("W7", ea, ep, code, num[ea, ep, eb], den[ea, ep, eb], ctx.multiplier("W7"),
               f"no value: nobody had waited more than {k} days at the snapshot")

    # W7_changed: contacts dated in the quarter whose recorded outcome changed something
    # (councils that record outcomes only); breakdown outcome:priority_changed, outcome:withdrawn
    if c.outcome_recorders.any():
        pi = ctx.period_index(c.day)
        ca = d.a[c.pos]
        lev = np.full(len(c.outcome), -1, dtype="int64")
        for j, name in enumerate(CHANGE_OUTCOMES):
            lev[c.outcome == CONTACT_OUTCOMES.index(name)] = j
        blank = c.outcome < 0
        inq = pi >= 0
        nl = len(CHANGE_OUTCOMES)
        m = inq & (lev >= 0)
        changed = np.bincount((ca[m] * P + pi[m]) * nl + lev[m], minlength=A * P * nl).reshape(A, P, nl)
        m = inq & blank
        no_out = np.bincount(ca[m] * P + pi[m], minlength=A * P).reshape(A, P)
        g = eg[c.outcome_recorders[eg["authority_code"].to_numpy()]]
        ga, gp = g["authority_code"].to_numpy(), g["period"].to_numpy()
        rows.count("W7_changed", ga, gp, 0, changed[ga, gp].sum(axis=1),
                   note=count_note(no_out[ga, gp], "contact(s) in the quarter with no outcome recorded left out"))
        for j, name in enumerate(CHANGE_OUTCOMES):
            rows.count("W7_changed", ga, gp, rows.code(f"outcome:{name}"), changed[ga, gp, j])


NOT_RECORDED = "not recorded"


def cohort_waits(referrals, periods, settings=None, *, pooled: bool = False, with_team: bool = False) -> pd.DataFrame:
    """The referral-to-first-assessment clock of every referral received in ``periods``.

    The one place the cohort clock is defined (W6k and the report's Kaplan–Meier curves both
    use it). The clock starts at ``referral_date``. A person assessed by the end of follow-up
    is an event at their wait; otherwise they are censored at their closure without
    assessment, or at the end of follow-up if still waiting, whichever is first. An
    assessment dated after the closure is ignored. Impossible waits (negative) are left out.

    Parameters
    ----------
    referrals : DataFrame or PreparedReferrals
        The referrals extract (``authority_code``, ``referral_date``,
        ``first_assessment_date``, ``closure_date``, ``priority``), or it already coded by
        :func:`prepare_referrals`.
    periods : Period, str or sequence of them
        The quarter(s) of referral. Referrals outside them are left out.
    settings : Settings, optional
        ``waiting.facs_mapping`` (priorities) and ``waiting.cohort_follow_up``; default the
        package settings (ignored for the mapping when ``referrals`` is already coded).
    pooled : bool
        False (W6k): each quarter's referrals are a cohort followed up to the end of that
        quarter. True: all the referrals form one cohort followed up to the end of the last
        quarter. With ``cohort_follow_up = "extract"`` follow-up ends instead at the latest
        date in the extract, either way.
    with_team : bool
        Add a ``team`` column (categorical, as coded by :func:`prepare_referrals`: ``"not
        recorded"`` for a blank team in a council that records teams, blank in one that does
        not), for W6k by team.

    Returns
    -------
    DataFrame
        One row per referral: ``authority_code`` and ``period`` (the quarter of referral;
        categoricals), ``priority`` (categorical, mapped; ``"not recorded"`` when blank),
        ``duration`` (calendar days, float), ``observed`` (1 assessed, 0 censored; int8). No
        case identifiers.
    """
    if settings is None:
        settings = load_settings()
    single = isinstance(periods, str) or not hasattr(periods, "__iter__")
    ps = [parse_period(p) for p in ([periods] if single else periods)]
    ps = sorted(ps, key=lambda p: p.start)
    d = referrals if isinstance(referrals, PreparedReferrals) else _prepare(referrals, settings)
    rows, rp, dur, observed = _cohort_clock(d, ps, settings, pooled)
    levels = list(d.levels) + [NOT_RECORDED]
    pr = d.pr[rows]
    out = pd.DataFrame({
        "authority_code": pd.Categorical.from_codes(d.a[rows], categories=pd.Index(d.auths, dtype=object)),
        "period": pd.Categorical.from_codes(rp, categories=[p.label for p in ps]),
        "priority": pd.Categorical.from_codes(np.where(pr < 0, len(levels) - 1, pr), categories=levels),
        "duration": dur,
        "observed": observed.astype("int8"),
    })
    if with_team:  # blank where the council records no teams
        out["team"] = pd.Categorical.from_codes(d.tm[rows], categories=list(d.teams))
    return out


def _cohort_clock(d: PreparedReferrals, ps: list[Period], settings, pooled: bool = False):
    """The cohort clock of :func:`cohort_waits` as arrays: the referrals' rows in ``d``, the
    position of each one's quarter of referral in ``ps`` (sorted), its duration in days
    (float) and whether it was observed (assessed)."""
    rp = _period_index(d.ref, ps)
    keep = np.flatnonzero(rp >= 0)
    r, fa, cl, rp = d.ref[keep], d.fa[keep], d.cl[keep], rp[keep]
    if settings["waiting"]["cohort_follow_up"] == "extract":
        filled = [x[x != NEVER] for x in (d.ref, d.fa, d.cl)]
        censor = np.full(len(r), max((int(x.max()) for x in filled if x.size), default=0), dtype="int64")
    elif pooled:
        censor = np.full(len(r), _day(ps[-1].end), dtype="int64")
    else:
        censor = np.array([_day(p.end) for p in ps], dtype="int64")[rp]
    observed = fa <= censor
    stop = np.where(observed, fa, np.minimum(cl, censor))
    dur = (stop - r).astype("float64")
    ok = dur >= 0
    return keep[ok], rp[ok], dur[ok], observed[ok]


def _merge_groups(a: dict, b: dict) -> dict:
    """Two :func:`~ot_benchmark.stats.survival.km_median_groups` results of disjoint groups as one."""
    n = max(len(a["n"]), len(b["n"]))

    def both(x, y, fill):
        out = np.full(n, fill, dtype=np.result_type(x, y))
        out[:len(x)] = x
        mine = np.flatnonzero(b["n"] > 0)
        out[mine] = y[mine]
        return out

    return {"n": both(a["n"], b["n"], 0), "events": both(a["events"], b["events"], 0),
            "median": both(a["median"], b["median"], np.nan),
            "lower": {c: both(a["lower"][c], b["lower"][c], np.nan) for c in a["lower"]},
            "upper": {c: both(a["upper"][c], b["upper"][c], np.nan) for c in a["upper"]}}


def _cohort_km(ctx: IndicatorContext, d: PreparedReferrals, rows: RowSet, eg: pd.DataFrame, present: np.ndarray,
               L: int) -> None:
    """W6k: Kaplan–Meier median wait of each quarter's referral cohort (:func:`cohort_waits`),
    ``all`` and by team; each group's curve computed once for both confidence levels.

    Follow-up ends at the quarter's last day (``cohort_follow_up = "snapshot"``) or at the
    latest date in the referrals data (``"extract"``).
    """
    rp_all = ctx.period_index(d.ref)
    if not (rp_all >= 0).any():
        return
    A, P, T = len(d.auths), len(ctx.periods), len(d.teams)
    Bt = 1 + T
    idx, rp, dur, observed = _cohort_clock(d, ctx.periods, ctx.settings)
    team = d.tm[idx]
    has = team >= 0
    key = (d.a[idx] * P + rp) * Bt
    observed = observed.astype("float64")
    # all, then the teams (two calls rather than one on stacked copies: half the memory)
    km = km_median_groups(key, dur, observed, tuple(CONFIDENCE_LEVELS))
    if has.any():
        by_team = km_median_groups(key[has] + team[has] + 1, dur[has], observed[has], tuple(CONFIDENCE_LEVELS))
        km = _merge_groups(km, by_team)
    # the grid pairs × all and the council's own teams
    pres = np.concatenate([present[:, :1], present[:, 1 + L:]], axis=1)
    ea, ep = np.repeat(eg["authority_code"].to_numpy(), Bt), np.repeat(eg["period"].to_numpy(), Bt)
    eb = np.tile(np.arange(Bt), len(eg))
    keep = pres[ea, eb]
    ea, ep, eb = ea[keep], ep[keep], eb[keep]
    g = (ea * P + ep) * Bt + eb
    known = g < len(km["n"])
    gk = np.where(known, g, 0)
    n = np.where(known, km["n"][gk], 0).astype("float64")
    med = np.where(known, km["median"][gk], np.nan)
    reached = ~np.isnan(med)
    note = np.where(n == 0, "no value: no referrals received in the period",
                    np.where(reached, None, "not reached: fewer than half of the cohort had been assessed by the end "
                                            "of follow-up")).astype(object)
    ci = {"ci_method": np.where(reached, "km_loglog", "none").astype(object)}
    for conf, suffix in CONFIDENCE_LEVELS.items():
        ci[f"lower_{suffix}"] = np.where(reached, np.where(known, km["lower"][conf][gk], np.nan), np.nan)
        ci[f"upper_{suffix}"] = np.where(reached, np.where(known, km["upper"][conf][gk], np.nan), np.nan)
    # referrals cohort_waits leaves out (assessed or closed before they were referred)
    bad = (rp_all >= 0) & ((d.fa < d.ref) | (d.cl < d.ref))
    bt = bad & (d.tm >= 0)
    nbad = np.bincount(np.r_[(d.a[bad] * P + rp_all[bad]) * Bt, (d.a[bt] * P + rp_all[bt]) * Bt + d.tm[bt] + 1],
                       minlength=A * P * Bt)
    note = join_note_arrays(note, count_note(nbad[g], "referral(s) assessed or closed before the referral date left out"))
    rows.add("W6k", ea, ep, np.where(eb == 0, 0, eb + L), numerator=np.nan, denominator=n, value=med, note=note, ci=ci)
