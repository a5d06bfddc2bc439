"""Family W: waiting for OT assessment (W1–W8), from the ``referrals`` (and ``contacts``) extract.

Conventions (written out for readers in ``docs/methods.md``):

- The clock starts at ``referral_date`` and stops at ``first_assessment_date``; waits are in
  calendar days.
- At a snapshot *s* (the quarter's last day) a person is **waiting** when referred on or before
  *s*, not assessed on or before *s* and not closed on or before *s*: someone assessed (or
  closed) *on* the snapshot day is no longer waiting.
- A referral is **closed without assessment** when it has a closure date and no first
  assessment on or before it; such closures leave the list and are never counted as assessed.
- Priorities are lower-cased and mapped through ``settings.waiting.facs_mapping`` (legacy FACS
  bands critical/substantial/moderate/low -> urgent/high/medium/low).
- Impossible waits (assessment before referral) are left out of W5/W6/W6k.

Breakdowns: ``all`` and ``priority:<band>`` for W1, W2, W4, W5, W6; ``band:<days>`` for W4b.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import PRIORITIES
from ._common import (
    CI_COLUMNS,
    IndicatorContext,
    concat_rows,
    count_by_period,
    count_rows,
    empty_rows,
    mean_rows,
    quantile_rows,
    ratio_rows,
)

__all__ = ["compute", "waiting_list", "band_labels"]

_NEVER = np.iinfo("int64").max  # a date that never comes (no assessment / no closure)


def _days(s: pd.Series) -> np.ndarray:
    """Dates as int64 day numbers; NaT -> _NEVER."""
    a = s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    out = a.astype("int64")
    out[np.isnat(a)] = _NEVER
    return out


def _day(ts: pd.Timestamp) -> int:
    return int(np.datetime64(ts, "D").astype("int64"))


def band_labels(upper: list[int]) -> list[str]:
    """Wait-band labels from the bands' upper days: [7, 14] -> ['0-7', '8-14', '15+']."""
    lows = [0] + [u + 1 for u in upper]
    return [f"{lo}-{hi}" for lo, hi in zip(lows, upper)] + [f"{lows[-1]}+"]


def _prepare(ref: pd.DataFrame, settings) -> pd.DataFrame:
    mapping = {str(k).lower(): v for k, v in settings["waiting"]["facs_mapping"].items()}
    low = ref["priority"].astype("str").str.strip().str.lower()
    mapped = low.map(mapping).where(low.isin(list(mapping)), low)
    mapped = mapped.where(ref["priority"].notna(), None)
    d = pd.DataFrame(
        {
            "authority_code": ref["authority_code"].to_numpy(dtype=object),
            "priority": mapped.to_numpy(dtype=object),
            "ref": _days(ref["referral_date"]),
            "fa": _days(ref["first_assessment_date"]),
            "cl": _days(ref["closure_date"]),
        }
    )
    # an assessment after the closure did not happen while the case was open
    d["assessed"] = (d["fa"] != _NEVER) & (d["fa"] <= d["cl"])
    d.loc[~d["assessed"], "fa"] = _NEVER
    d["closed_unassessed"] = (d["cl"] != _NEVER) & ~d["assessed"]
    return d


def waiting_list(d: pd.DataFrame, snapshot: pd.Timestamp) -> np.ndarray:
    """Boolean mask of the prepared referrals waiting at ``snapshot`` (vectorised)."""
    s = _day(snapshot)
    return (d["ref"].to_numpy() <= s) & (d["fa"].to_numpy() > s) & (d["cl"].to_numpy() > s)


def _snapshot_frame(d: pd.DataFrame, ctx: IndicatorContext, labels_ends: list[tuple[str, pd.Timestamp]]) -> pd.DataFrame:
    """Everyone waiting at each snapshot: authority_code, period, priority, wait (days), row."""
    frames = []
    for label, end in labels_ends:
        m = waiting_list(d, end)
        idx = np.flatnonzero(m)
        frames.append(
            pd.DataFrame(
                {
                    "authority_code": d["authority_code"].to_numpy()[idx],
                    "period": label,
                    "priority": d["priority"].to_numpy()[idx],
                    "wait": (_day(end) - d["ref"].to_numpy()[idx]).astype("float64"),
                    "row": idx,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _with_priority(df: pd.DataFrame) -> pd.DataFrame:
    """Stack an ``all`` copy and a ``priority:<band>`` copy (rows without priority only in all)."""
    a = df.assign(breakdown="all")
    p = df[df["priority"].notna()]
    p = p.assign(breakdown="priority:" + p["priority"].astype(str))
    return pd.concat([a, p], ignore_index=True)


def _levels(d: pd.DataFrame) -> list[str]:
    present = set(d["priority"].dropna().unique())
    return list(PRIORITIES) + sorted(present - set(PRIORITIES))


def compute(ctx: IndicatorContext) -> pd.DataFrame:
    """Family W rows for every council with a referrals extract × covered period."""
    ref = ctx.table("referrals")
    if ref is None:
        return empty_rows()
    st = ctx.settings["waiting"]
    d = _prepare(ref, ctx.settings)
    grid = ctx.grid("referrals")
    if grid.empty:
        return empty_rows()
    levels = _levels(d)
    out: list[pd.DataFrame] = []

    # ---- snapshot measures (W1-W4b, W7) -------------------------------------------------
    prev = ctx.periods[0].previous()
    ends = [(prev.label, prev.end)] + [(p.label, p.end) for p in ctx.periods]
    wl_all = _snapshot_frame(d, ctx, ends)
    wl = wl_all[wl_all["period"] != prev.label]

    prio_grid = grid[["authority_code", "period"]].merge(
        pd.DataFrame({"breakdown": ["all"] + [f"priority:{p}" for p in levels]}), how="cross"
    )
    w1 = _with_priority(wl).groupby(["authority_code", "period", "breakdown"]).size().rename("n").reset_index()
    w1 = prio_grid.merge(w1, on=["authority_code", "period", "breakdown"], how="left").fillna({"n": 0.0})
    w1["n"] = w1["n"].astype("float64")
    out.append(count_rows(w1, "W1", "n"))

    wlp = _with_priority(wl)
    nobody = "no value: nobody was waiting at the snapshot"
    out.append(quantile_rows(wlp, "wait", "W2_median", q=0.5, grid=grid, empty_note=nobody))
    out.append(quantile_rows(wlp, "wait", "W2_p90", q=0.9, grid=grid, empty_note=nobody))
    out.append(quantile_rows(wl.assign(breakdown="all"), "wait", "W3", q=1.0, grid=grid, empty_note=nobody))

    for iid, thr in (("W4_26wk", st["over_26_weeks_days"]), ("W4_52wk", st["over_52_weeks_days"])):
        over = _with_priority(wl[wl["wait"] > thr]).groupby(["authority_code", "period", "breakdown"]).size().rename("over")
        t = w1.merge(over.reset_index(), on=["authority_code", "period", "breakdown"], how="left").fillna({"over": 0.0})
        out.append(ratio_rows(t, iid, "over", "n", ctx, zero_note=nobody))

    upper = list(st["band_upper_days"])
    labels = band_labels(upper)
    band_idx = np.searchsorted(np.asarray(upper, dtype="float64"), wl["wait"].to_numpy(), side="left")
    bands = wl.assign(breakdown="band:" + pd.Series(np.asarray(labels, dtype=object)[band_idx], index=wl.index))
    b = bands.groupby(["authority_code", "period", "breakdown"]).size().rename("n").reset_index()
    band_grid = grid[["authority_code", "period"]].merge(pd.DataFrame({"breakdown": [f"band:{x}" for x in labels]}), how="cross")
    b = band_grid.merge(b, on=["authority_code", "period", "breakdown"], how="left").fillna({"n": 0.0})
    out.append(count_rows(b, "W4b", "n"))

    out.append(_keep_in_touch(ctx, ref, wl, grid))

    # ---- flow measures (W5, W6, W8) ------------------------------------------------------
    assessed = d[d["assessed"]]
    fa_dates = pd.Series(assessed["fa"].to_numpy().astype("datetime64[D]").astype("datetime64[ns]"))
    from ._common import period_labels

    per = period_labels(fa_dates, ctx).to_numpy()
    keep = pd.notna(per)
    a = pd.DataFrame(
        {
            "authority_code": assessed["authority_code"].to_numpy()[keep],
            "period": per[keep].astype(object),
            "priority": assessed["priority"].to_numpy()[keep],
            "wait": (assessed["fa"].to_numpy() - assessed["ref"].to_numpy())[keep].astype("float64"),
        }
    )
    a = a[a["wait"] >= 0]
    targets = {k: float(v) for k, v in st["targets_days"].items()}
    a["target"] = a["priority"].map(targets)
    ap = _with_priority(a)
    w5 = ap[ap["target"].notna()].assign(within=lambda x: (x["wait"] <= x["target"]).astype("float64"))
    w5 = w5.groupby(["authority_code", "period", "breakdown"]).agg(within=("within", "sum"), n=("within", "size")).reset_index()
    w5 = prio_grid.merge(w5, on=["authority_code", "period", "breakdown"], how="left").fillna({"within": 0.0, "n": 0.0})
    out.append(ratio_rows(w5, "W5", "within", "n", ctx,
                          zero_note="no value: no first assessments with a priority target were completed in the period"))
    none_done = "no value: no first assessments were completed in the period"
    out.append(quantile_rows(ap, "wait", "W6_median", q=0.5, grid=grid, empty_note=none_done))
    out.append(quantile_rows(ap, "wait", "W6_p90", q=0.9, grid=grid, empty_note=none_done))
    out.append(mean_rows(ap, "wait", "W6_mean"))

    out.append(_cohort_km(ctx, d, grid))

    ref_dates = pd.Series(d["ref"].to_numpy().astype("datetime64[D]").astype("datetime64[ns]"))
    cl_dates = pd.Series(np.where(d["cl"].to_numpy() == _NEVER, np.datetime64("NaT"),
                                  d["cl"].to_numpy().astype("datetime64[D]")).astype("datetime64[ns]"))
    base = pd.DataFrame({"authority_code": d["authority_code"].to_numpy(), "ref": ref_dates, "cl": cl_dates,
                         "fa": pd.Series(np.where(d["fa"].to_numpy() == _NEVER, np.datetime64("NaT"),
                                                  d["fa"].to_numpy().astype("datetime64[D]")).astype("datetime64[ns]"))})
    w8r = count_by_period(base, "ref", ctx, grid=grid)
    w8a = count_by_period(base, "fa", ctx, grid=grid)
    w8c = count_by_period(base, "cl", ctx, grid=grid, mask=pd.Series(d["closed_unassessed"].to_numpy()))
    out += [count_rows(w8r, "W8_referrals", "n"), count_rows(w8a, "W8_assessments", "n"),
            count_rows(w8c, "W8_closed_unassessed", "n")]

    # net change: W1 at this snapshot minus W1 at the previous one
    n_all = wl_all.groupby(["authority_code", "period"]).size().rename("n").reset_index()
    now = grid[["authority_code", "period"]].merge(n_all, on=["authority_code", "period"], how="left").fillna({"n": 0.0})
    labels_all = [prev.label] + ctx.labels
    prev_of = dict(zip(labels_all[1:], labels_all[:-1]))
    now["prev_period"] = now["period"].map(prev_of)
    first_dates = ref.groupby("authority_code")["referral_date"].min()
    before = n_all.rename(columns={"period": "prev_period", "n": "n_prev"})
    now = now.merge(before, on=["authority_code", "prev_period"], how="left").fillna({"n_prev": 0.0})
    # the previous snapshot is only known when the council's data reach back before it
    prev_end = now["prev_period"].map({p.label: p.end for p in [prev] + list(ctx.periods)})
    known = now["authority_code"].map(first_dates).to_numpy() <= prev_end.to_numpy()
    now["change"] = np.where(known, now["n"] - now["n_prev"], np.nan)
    rows = count_rows(now.assign(n=now["change"]), "W8_net_change", "n", no_interval=True)
    rows["denominator"] = np.nan
    rows["note"] = np.where(known, None, "no value: the data do not reach back to the previous snapshot")
    out.append(rows)
    return concat_rows(out)


def _keep_in_touch(ctx: IndicatorContext, ref: pd.DataFrame, wl: pd.DataFrame, grid: pd.DataFrame) -> pd.DataFrame:
    """W7: of people waiting more than ``keep_in_touch_days`` at the snapshot, % with a contact
    in the ``keep_in_touch_days`` days up to and including the snapshot (s − k, s]."""
    con = ctx.table("contacts")
    if con is None:
        return empty_rows()
    k = int(ctx.settings["waiting"]["keep_in_touch_days"])
    pos = pd.Index(ref["referral_id"].astype(str)).get_indexer(con["referral_id"].astype(str))
    c = pd.DataFrame({"row": pos, "day": _days(con["contact_date"])})
    c = c[(c["row"] >= 0) & (c["day"] != _NEVER)]
    # councils that record contacts at all (others get no W7 rows, not 0%)
    recorders = set(ref["authority_code"].to_numpy()[c["row"].unique()])
    long = wl[(wl["wait"] > k) & wl["authority_code"].isin(recorders)].copy()
    long["contacted"] = 0.0
    for label, _start, end in ctx.snapshots():
        s = _day(end)
        rows_contacted = np.unique(c.loc[(c["day"] <= s) & (c["day"] > s - k), "row"].to_numpy())
        m = (long["period"] == label).to_numpy()
        long.loc[m, "contacted"] = np.isin(long.loc[m, "row"].to_numpy(), rows_contacted).astype("float64")
    agg = long.groupby(["authority_code", "period"]).agg(num=("contacted", "sum"), den=("contacted", "size")).reset_index()
    g = grid[grid["authority_code"].isin(recorders)][["authority_code", "period"]]
    agg = g.merge(agg, on=["authority_code", "period"], how="left").fillna({"num": 0.0, "den": 0.0})
    return ratio_rows(agg, "W7", "num", "den", ctx,
                      zero_note=f"no value: nobody had waited more than {k} days at the snapshot")


def _cohort_km(ctx: IndicatorContext, d: pd.DataFrame, grid: pd.DataFrame) -> pd.DataFrame:
    """W6k: Kaplan–Meier median wait of each quarter's referral cohort."""
    follow = ctx.settings["waiting"]["cohort_follow_up"]
    ref_per = _period_of_days(d["ref"].to_numpy(), ctx)
    keep = pd.notna(ref_per)
    c = d[keep].copy()
    c["period"] = ref_per[keep]
    if c.empty:
        return empty_rows()
    if follow == "extract":
        stop = np.max(np.concatenate([d[col].to_numpy()[d[col].to_numpy() != _NEVER] for col in ("ref", "fa", "cl")]))
        c["censor"] = stop
    else:
        ends = {p.label: _day(p.end) for p in ctx.periods}
        c["censor"] = c["period"].map(ends).astype("int64")
    fa, cl, cen, r = c["fa"].to_numpy(), c["cl"].to_numpy(), c["censor"].to_numpy(), c["ref"].to_numpy()
    observed = fa <= cen
    end = np.where(observed, fa, np.minimum(cl, cen))
    c["duration"] = (end - r).astype("float64")
    c["observed"] = observed
    c = c[c["duration"] >= 0]
    try:
        from ..stats.survival import km_median_by
    except ImportError:  # pragma: no cover - developer C's module not present
        return empty_rows()
    keys = ["authority_code", "period"]
    c = c[keys + ["duration", "observed"]]
    km = km_median_by(c, keys, "duration", "observed", confidence=0.95)
    km = km.rename(columns={"lower": "lower_95", "upper": "upper_95"})
    km998 = km_median_by(c, keys, "duration", "observed", confidence=0.998)
    km = km.merge(km998[keys + ["lower", "upper"]].rename(columns={"lower": "lower_998", "upper": "upper_998"}), on=keys, how="left")
    return _km_rows(km, grid)


def _period_of_days(days: np.ndarray, ctx: IndicatorContext) -> np.ndarray:
    """Period label (or None) of int day numbers, by comparing with the period bounds."""
    starts = np.array([_day(p.start) for p in ctx.periods])
    ends = np.array([_day(p.end) for p in ctx.periods])
    i = np.searchsorted(starts, days, side="right") - 1
    ok = (i >= 0) & (days != _NEVER)
    ok &= days <= ends[np.clip(i, 0, len(ends) - 1)]
    labels = np.asarray(ctx.labels, dtype=object)
    return np.where(ok, labels[np.clip(i, 0, len(labels) - 1)], None)


def _km_rows(km: pd.DataFrame, grid: pd.DataFrame) -> pd.DataFrame:
    """Translate ``km_median_by`` output into W6k family rows."""
    g = grid[["authority_code", "period"]]
    k = g.merge(km, on=["authority_code", "period"], how="left")
    n = pd.to_numeric(k.get("n", np.nan), errors="coerce")
    med = pd.to_numeric(k.get("median", np.nan), errors="coerce")
    note = pd.Series(None, index=k.index, dtype=object)
    if "note" in k:
        note = k["note"].astype(object).where(k["note"].notna() & (k["note"].astype(str) != ""), None)
    note = note.where(~(med.isna() & note.isna() & (n.fillna(0) > 0)),
                      "not reached: fewer than half of the cohort had been assessed by the end of follow-up")
    note = note.where(~(n.fillna(0) == 0), "no value: no referrals received in the period")
    rows = pd.DataFrame(
        {
            "authority_code": k["authority_code"],
            "period": k["period"],
            "breakdown": "all",
            "numerator": np.nan,
            "denominator": n.fillna(0.0),
            "value": med,
            "note": note,
        }
    )
    for lvl in ("95", "998"):
        for side in ("lower", "upper"):
            col = f"{side}_{lvl}"
            rows[col] = pd.to_numeric(k[col], errors="coerce") if col in k else np.nan
    rows["ci_method"] = np.where(med.notna(), "km_loglog", "none")
    from ._common import _finish

    return _finish(rows, "W6k")
