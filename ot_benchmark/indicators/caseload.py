"""Family C: caseload, throughput and workforce (C1–C7).

Sources: ``referrals`` (C1 numerators, C2 numerator, C3 — also by team, ``team:<name>`` —, C7), ``workforce`` (WTE snapshots:
C1/C2 denominators, C4, C4_agency_wte, C6) and ``vacancies`` (vacancy episodes: C5).

Conventions (written out for readers in ``docs/methods.md``):

- **WTE at the snapshot** (C1, C4, C4_agency_wte, C6) is the council's latest workforce
  snapshot dated within the quarter (normally the quarter's last day). No snapshot in the
  quarter: value NaN with a note.
- **Average WTE over the quarter** (C2) is the mean of the workforce snapshots dated from the
  day before the quarter starts (the previous quarter-end) to the quarter's last day — with
  quarter-end snapshots, the mean of the opening and closing figures; with monthly snapshots,
  of the four month-ends.
- **Open caseload** (C1) at snapshot *s*: referrals allocated on or before *s* and not closed on
  or before *s*, excluding those whose review/monitoring status started on or before *s*
  (those are C1_review). Denominator: WTE in post of the role ``settings.workforce.caseload_role``
  (default ``ot``).
- **Vacant at snapshot** (C5): vacant from on or before *s* and not filled on or before *s* — a
  post filled *on* the snapshot day is not vacant. Days vacant = *s* − vacant_from; six
  months = six calendar months (vacant from on or before *s* minus six months).
- C4 by role and in total (sums over roles); over-establishment (in post above establishment)
  gives a negative vacancy rate, kept, with a note and no interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.indicators._common import (
    IndicatorContext,
    _period_index,
    change_rows,
    concat_rows,
    count_rows,
    encode_grid,
    quantile_rows,
    ratio_rows,
)
from ot_benchmark.indicators.waiting import PreparedReferrals, _day, prepare_referrals
from ot_benchmark.periods import Period

__all__ = ["compute", "workforce_at_snapshot", "average_wte", "vacant_at"]

_KEYS = ["authority_code", "period", "breakdown"]


def _with_role(df: pd.DataFrame, value_cols: list[str]) -> pd.DataFrame:
    """Per-role rows (``role:<role>``) plus an ``all`` row summing the roles."""
    by_role = df.assign(breakdown="role:" + df["role"].astype(str))
    total = df.groupby(["authority_code", "period"], as_index=False)[value_cols].sum(min_count=1).assign(breakdown="all")
    return pd.concat([total, by_role[["authority_code", "period", "breakdown"] + value_cols]], ignore_index=True)


def workforce_at_snapshot(wf: pd.DataFrame, periods: list[Period]) -> pd.DataFrame:
    """The latest workforce snapshot dated within each quarter, per council and role.

    Returns ``authority_code, period, role, snapshot_date, establishment_wte, in_post_wte,
    agency_wte``.
    """
    frames = []
    for p in periods:
        m = (wf["snapshot_date"] >= p.start) & (wf["snapshot_date"] <= p.end)
        w = wf[m]
        if w.empty:
            continue
        last = w.groupby("authority_code")["snapshot_date"].transform("max")
        w = w[w["snapshot_date"] == last]
        frames.append(w.assign(period=p.label))
    cols = ["authority_code", "period", "role", "snapshot_date", "establishment_wte", "in_post_wte", "agency_wte"]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def average_wte(wf: pd.DataFrame, periods: list[Period], role: str) -> pd.DataFrame:
    """Mean in-post WTE of ``role`` over the workforce snapshots dated from the day before each
    quarter starts to its last day. Returns ``authority_code, period, avg_wte, n_snapshots``."""
    w = wf[wf["role"] == role]
    frames = []
    for p in periods:
        m = (w["snapshot_date"] >= p.start - pd.Timedelta(days=1)) & (w["snapshot_date"] <= p.end)
        # one figure per snapshot date (a role has one row per council and date)
        g = w[m].groupby("authority_code").agg(avg_wte=("in_post_wte", "mean"), n_snapshots=("in_post_wte", "size"))
        frames.append(g.reset_index().assign(period=p.label))
    if not frames:
        return pd.DataFrame(columns=["authority_code", "period", "avg_wte", "n_snapshots"])
    return pd.concat(frames, ignore_index=True)


def compute(ctx: IndicatorContext) -> pd.DataFrame:
    """Family C rows."""
    out: list[pd.DataFrame] = []
    wf = ctx.table("workforce")
    vac = ctx.table("vacancies")
    role = ctx.settings["workforce"]["caseload_role"]
    d = prepare_referrals(ctx)
    if d is not None and ctx.wants("C3", "C7_referrals", "C7_assessments"):
        out += _throughput(ctx, d)
    if wf is not None and ctx.wants("C4", "C4_agency_wte", "C6"):
        out += _workforce(ctx, wf)
    if d is not None and wf is not None and ctx.wants("C1", "C1_review", "C2"):
        out += _caseload(ctx, d, wf, role)
    if vac is not None and ctx.wants("C5_median", "C5_6m", "C5_bands"):
        out += _vacancies(ctx, vac)
    ctx.cache.pop("referrals_prepared", None)  # C is the last family to read them (FAMILY_MODULES): free them
    return concat_rows(out)


def _counts(ctx: IndicatorContext, d: PreparedReferrals, day_arr: np.ndarray, periods: list[Period],
            mask: np.ndarray | None = None) -> np.ndarray:
    """(councils × periods) counts of events dated in each of ``periods``."""
    pi = _period_index(day_arr, periods)
    sel = pi >= 0
    if mask is not None:
        sel &= mask
    A, P = len(d.auths), len(periods)
    return np.bincount(d.a[sel] * P + pi[sel], minlength=A * P).reshape(A, P).astype("float64")


def _grid_rows(grid: pd.DataFrame, d: PreparedReferrals, labels: list[str], **arrays: np.ndarray) -> pd.DataFrame:
    """Rows for the grid pairs, picking (council, period) cells of (A × P) arrays."""
    eg = encode_grid(grid, d.auths, labels)
    ga, gp = eg["authority_code"].to_numpy(), eg["period"].to_numpy()
    out = pd.DataFrame({"authority_code": d.auths[ga], "period": np.asarray(labels, dtype=object)[gp], "breakdown": "all"})
    for k, v in arrays.items():
        out[k] = v[ga, gp]
    return out


def _throughput(ctx: IndicatorContext, d: PreparedReferrals) -> list[pd.DataFrame]:
    """C3 and C7 (flows from the referrals extract)."""
    grid = ctx.grid("referrals")
    referred = _counts(ctx, d, d.ref, ctx.periods)
    closed = _counts(ctx, d, d.cl, ctx.periods)
    c3 = _grid_rows(grid, d, ctx.labels, referred=referred, closed=closed)
    c3 = pd.concat([c3, _team_rows(grid, d, ctx)], ignore_index=True)
    rows = [ratio_rows(c3, "C3", "closed", "referred", ctx, zero_note="no value: no referrals received in the period",
                       no_interval=True)]

    # C7 needs the quarter before the first one reported
    wide_periods = [ctx.periods[0].previous()] + list(ctx.periods)
    wide = IndicatorContext(bundle=ctx.bundle, periods=wide_periods, settings=ctx.settings, catalogue=ctx.catalogue)
    wgrid = wide.grid("referrals")
    wlabels = [p.label for p in wide_periods]
    for iid, arr, mask in (("C7_referrals", d.ref, None), ("C7_assessments", d.fa, d.assessed)):
        allc = _grid_rows(wgrid, d, wlabels, n=_counts(ctx, d, arr, wide_periods, mask))
        cur = allc[allc["period"].isin(ctx.labels)]
        rows.append(change_rows(cur, iid, "n", lag=1, ctx=ctx, previous=allc))
    return rows


def _team_rows(grid: pd.DataFrame, d: PreparedReferrals, ctx: IndicatorContext) -> pd.DataFrame:
    """C3's referrals received and cases closed per team (``team:<name>``), for the teams each
    council's referrals name. (C1 and C2 have no team rows: the workforce extract has no team.)"""
    from ot_benchmark.indicators._common import _period_index

    T, A, P = len(d.teams), len(d.auths), len(ctx.periods)
    if T == 0:
        return pd.DataFrame(columns=["authority_code", "period", "breakdown", "referred", "closed"])
    counts = {}
    for name, day_arr in (("referred", d.ref), ("closed", d.cl)):
        pi = _period_index(day_arr, ctx.periods)
        sel = (pi >= 0) & (d.tm >= 0)
        counts[name] = np.bincount((d.a[sel] * P + pi[sel]) * T + d.tm[sel], minlength=A * P * T).reshape(A, P, T)
    eg = encode_grid(grid, d.auths, ctx.labels).merge(pd.DataFrame({"t": np.arange(T)}), how="cross")
    eg = eg[d.has_team[eg["authority_code"].to_numpy(), eg["t"].to_numpy()]]
    ga, gp, gt = eg["authority_code"].to_numpy(), eg["period"].to_numpy(), eg["t"].to_numpy()
    return pd.DataFrame({"authority_code": d.auths[ga], "period": np.asarray(ctx.labels, dtype=object)[gp],
                         "breakdown": np.asarray([f"team:{x}" for x in d.teams], dtype=object)[gt],
                         "referred": counts["referred"][ga, gp, gt].astype("float64"),
                         "closed": counts["closed"][ga, gp, gt].astype("float64")})


def _workforce(ctx: IndicatorContext, wf: pd.DataFrame) -> list[pd.DataFrame]:
    """C4, C4_agency_wte, C6 at the latest snapshot in each quarter."""
    grid = ctx.grid("workforce", ["snapshot_date"])
    snap = workforce_at_snapshot(wf, ctx.periods)
    roles = sorted(wf["role"].dropna().unique())
    full = grid[["authority_code", "period"]].merge(
        pd.DataFrame({"breakdown": ["all"] + [f"role:{r}" for r in roles]}), how="cross"
    )
    snap = snap.assign(vacant=snap["establishment_wte"] - snap["in_post_wte"],
                       staffed=snap["in_post_wte"] + snap["agency_wte"])
    v = _with_role(snap, ["vacant", "establishment_wte", "agency_wte", "staffed"])
    v = full.merge(v, on=_KEYS, how="left")
    no_snap = "no value: no workforce snapshot dated in the quarter"
    known = v["establishment_wte"].notna()

    c4 = ratio_rows(v, "C4", "vacant", "establishment_wte", ctx, zero_note="no value: no funded establishment (0 WTE)")
    c4["note"] = np.where(~known, no_snap, c4["note"])
    over = (v["vacant"] < 0).to_numpy()
    c4["note"] = np.where(over, "in-post WTE exceeds the funded establishment (over-established): negative vacancy rate", c4["note"])
    if over.any():
        c4.loc[over, ["lower_95", "upper_95", "lower_998", "upper_998"]] = np.nan
        c4.loc[over, "ci_method"] = "none"

    ag = count_rows(v, "C4_agency_wte", "agency_wte", no_interval=True)
    ag["note"] = np.where(~known, no_snap, None)

    c6 = ratio_rows(v, "C6", "agency_wte", "staffed", ctx, zero_note="no value: no staff in post or agency (0 WTE)")
    c6["note"] = np.where(~known, no_snap, c6["note"])
    return [c4, ag, c6]


def _caseload(ctx: IndicatorContext, d: PreparedReferrals, wf: pd.DataFrame, role: str) -> list[pd.DataFrame]:
    """C1, C1_review (snapshot) and C2 (flow) for councils with referrals and workforce."""
    wgrid = ctx.grid("workforce", ["snapshot_date"])
    rgrid = ctx.grid("referrals")
    grid = rgrid[["authority_code", "period"]].merge(wgrid[["authority_code", "period"]], on=["authority_code", "period"])
    if grid.empty:
        return []
    A, P = len(d.auths), len(ctx.periods)
    alloc_n = np.zeros((A, P))
    review_n = np.zeros((A, P))
    for i, (_label, _start, end) in enumerate(ctx.snapshots()):
        s = _day(end)
        open_ = (d.ref <= s) & (d.cl > s)
        on_review = open_ & (d.review <= s)
        allocated = open_ & (d.alloc <= s) & ~on_review
        alloc_n[:, i] = np.bincount(d.a[allocated], minlength=A)
        review_n[:, i] = np.bincount(d.a[on_review], minlength=A)
    c = _grid_rows(grid, d, ctx.labels, alloc=alloc_n, review=review_n)
    snap = workforce_at_snapshot(wf[wf["role"] == role], ctx.periods)[["authority_code", "period", "in_post_wte"]]
    c = c.merge(snap, on=["authority_code", "period"], how="left")
    note = f"no value: no {role} WTE in post at a workforce snapshot in the quarter"
    rows = [
        ratio_rows(c, "C1", "alloc", "in_post_wte", ctx, zero_note=note),
        ratio_rows(c, "C1_review", "review", "in_post_wte", ctx, zero_note=note),
    ]
    assessed = _grid_rows(grid, d, ctx.labels, assessed=_counts(ctx, d, d.fa, ctx.periods, d.assessed))
    avg = average_wte(wf, ctx.periods, role)
    c2 = assessed.merge(avg, on=["authority_code", "period"], how="left")
    rows.append(ratio_rows(c2, "C2", "assessed", "avg_wte", ctx,
                           zero_note=f"no value: no {role} WTE in post in the workforce snapshots of the quarter"))
    return rows


def vacant_at(vac: pd.DataFrame, snapshot, band_months=(3, 6)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """C5's rule: the vacancy episodes open at the snapshot day (vacant from on or before it,
    not filled on or before it).

    Returns
    -------
    rows, days, band : arrays
        Row positions in ``vac``; calendar days vacant so far; the duration band (0: under
        ``band_months[0]`` months, 1: under ``band_months[1]``, 2: ``band_months[1]`` calendar
        months or more, i.e. vacant from on or before the snapshot minus that many months —
        C5_6m's "six months or more").
    """
    end = pd.Timestamp(snapshot)
    vf = vac["vacant_from"].to_numpy(dtype="datetime64[ns]")
    fo = vac["filled_on"].to_numpy(dtype="datetime64[ns]")
    s = np.datetime64(end, "ns")
    idx = np.flatnonzero((vf <= s) & (np.isnat(fo) | (fo > s)))
    m3, m6 = band_months
    t3 = np.datetime64(end - pd.DateOffset(months=m3), "ns")
    t6 = np.datetime64(end - pd.DateOffset(months=m6), "ns")
    v = vf[idx]
    band = np.where(v <= t6, 2, np.where(v <= t3, 1, 0))
    return idx, ((s - v) / np.timedelta64(1, "D")).astype("float64"), band


def _vacancies(ctx: IndicatorContext, vac: pd.DataFrame) -> list[pd.DataFrame]:
    """C5_median, C5_6m, C5_bands for posts vacant at each snapshot."""
    vgrid = ctx.grid("vacancies", ["vacant_from", "filled_on"])
    wf = ctx.table("workforce")
    if wf is not None:  # a council whose last vacancy was filled still has 0 vacancies later
        wg = ctx.grid("workforce", ["snapshot_date"])
        wg = wg[wg["authority_code"].isin(vac["authority_code"].unique())]
        vgrid = pd.concat([vgrid, wg], ignore_index=True).drop_duplicates(["authority_code", "period"])
    m3, m6 = ctx.settings["workforce"]["vacancy_band_months"]
    band_names = [f"<{m3}m", f"{m3}-{m6}m", f"{m6}m+"]
    frames = []
    for label, _start, end in ctx.snapshots():
        idx, days, band = vacant_at(vac, end, (m3, m6))
        frames.append(
            pd.DataFrame(
                {
                    "authority_code": vac["authority_code"].to_numpy()[idx],
                    "role": vac["role"].to_numpy()[idx],
                    "period": label,
                    "days": days,
                    "band": np.asarray(band_names, dtype=object)[band],
                }
            )
        )
    open_ = pd.concat(frames, ignore_index=True)
    roles = sorted(vac["role"].dropna().unique())
    both = pd.concat([open_.assign(breakdown="all"), open_.assign(breakdown="role:" + open_["role"].astype(str))], ignore_index=True)
    none_vacant = "no value: no posts vacant at the snapshot"
    # every role of every covered council x quarter gets a row, as for C5_6m: a role with no
    # vacant post says so in its note instead of being missing
    full = vgrid[["authority_code", "period"]].merge(pd.DataFrame({"breakdown": ["all"] + [f"role:{r}" for r in roles]}), how="cross")
    rows = [quantile_rows(both, "days", "C5_median", q=0.5, grid=full, empty_note=none_vacant)]

    agg = both.assign(six=(both["band"] == band_names[2]).astype("float64")).groupby(_KEYS).agg(
        six=("six", "sum"), n=("six", "size")).reset_index()
    agg = full.merge(agg, on=_KEYS, how="left").fillna({"six": 0.0, "n": 0.0})
    rows.append(ratio_rows(agg, "C5_6m", "six", "n", ctx, zero_note=none_vacant))

    bands = open_.groupby(["authority_code", "period", "band"]).size().rename("k").reset_index()
    bgrid = vgrid[["authority_code", "period"]].merge(pd.DataFrame({"band": band_names}), how="cross")
    bands = bgrid.merge(bands, on=["authority_code", "period", "band"], how="left").fillna({"k": 0.0})
    tot = open_.groupby(["authority_code", "period"]).size().rename("n").reset_index()
    bands = bands.merge(tot, on=["authority_code", "period"], how="left").fillna({"n": 0.0})
    bands["breakdown"] = "band:" + bands["band"]
    rows.append(ratio_rows(bands, "C5_bands", "k", "n", ctx, zero_note=none_vacant))
    return rows
