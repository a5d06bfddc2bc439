"""Capacity: what it would take to clear, or shorten, a council's OT waiting list.

The 2003 review asked for "an assessment of the resources needed to deliver the service to the
stated level" and "a strategy to manage and reduce the entire waiting list". These functions
answer that from the council's own flows in the indicator table, each answer with a range
(low / central / high) and its assumptions written out; nothing is printed.

Flows used (indicator table rows, breakdown ``all``):

- ``W1`` — people waiting at the snapshot (the list, ``L``);
- ``W8_referrals``, ``W8_assessments``, ``W8_closed_unassessed`` — counts in the quarter, turned
  into weekly rates ``R``, ``A``, ``C`` by dividing by the quarter's length in weeks (days ÷ 7);
- ``C2`` — first assessments ÷ average OT WTE in post over the quarter; its denominator is the
  WTE and numerator ÷ denominator ÷ weeks is assessments per WTE per week, ``a``
  (``C1``'s denominator, OT WTE in post at the snapshot, is the fall-back, then ``ot_wte=``).

Formulas (``T`` = weeks allowed, ``L*`` = target list):

- weeks to clear at current rates = ``L ÷ (A + C − R)``; "never" when ``A + C ≤ R``.
- WTE to keep pace (list stops growing) = ``(R − C) ÷ a``.
- WTE to bring the list to ``L*`` within ``T`` weeks = ``(L − L* + T·(R − C)) ÷ (a·T)``, and
  never less than the keep-pace WTE (so the target, once reached, holds).
- WTE to bring the wait to ``D`` weeks within ``T`` weeks: the same with ``L* = R·D`` (Little's
  law: first come, first served at a steady state where outflow equals referrals, someone
  joining the back of a list of ``R·D`` people waits about ``D`` weeks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.errors import ParameterError
from ot_benchmark.periods import parse_period
from ot_benchmark.stats.intervals import poisson_ci

__all__ = ["capacity_scenarios", "flows", "CAPACITY_COLUMNS"]

FLOW_IDS = ("W1", "W8_referrals", "W8_assessments", "W8_closed_unassessed", "C2", "C1")

CAPACITY_COLUMNS = [
    "authority_code", "period", "scenario", "quantity", "unit", "low", "central", "high",
    "current", "extra_wte_low", "extra_wte_central", "extra_wte_high", "summary", "range_method",
    "assumptions",
]

RANGE_METHODS = {
    "recent_quarters": "the spread of the rates of the last quarters (each quarter's referral, "
    "assessment, closure and per-WTE rates applied to today's list)",
    "poisson": "Poisson uncertainty of this quarter's counts (95% exact/Byar limits of referrals, "
    "assessments and closures; optimistic = fewer referrals, more assessments and closures)",
}


def flows(indicators: pd.DataFrame, authority: str, period, n_quarters: int = 4, ot_wte=None) -> pd.DataFrame:
    """The council's weekly flows for ``period`` and up to ``n_quarters - 1`` quarters before it.

    Returns
    -------
    DataFrame
        One row per quarter (oldest first) with ``period, weeks`` (days ÷ 7), ``list_size``
        (W1 at that quarter's snapshot), ``referrals, assessments, closed_unassessed`` (counts
        in the quarter), ``referrals_pw, assessments_pw, closed_unassessed_pw`` (per week),
        ``wte`` (average OT WTE, C2's denominator; else C1's; else ``ot_wte``) and
        ``assessments_per_wte_pw``. Quarters missing any of the three flows are dropped.
    """
    p = parse_period(period)
    labels = [p.shift(-k).label for k in range(n_quarters)][::-1]
    t = indicators
    need = {"authority_code", "period", "indicator_id", "value"}
    if not need <= set(t.columns):
        raise ParameterError(f"the indicator table lacks columns {sorted(need - set(t.columns))}")
    bd = t["breakdown"].astype(str) if "breakdown" in t else pd.Series("all", index=t.index)
    sel = t[(t["authority_code"].astype(str) == authority) & t["period"].astype(str).isin(labels)
            & t["indicator_id"].isin(FLOW_IDS) & (bd == "all")]
    if sel.empty:
        raise ParameterError(f"no waiting-list flows (W1, W8_*) for {authority} in {p.label}; check --authority and --period")
    cols = [c for c in ("value", "numerator", "denominator") if c in sel]
    wide = sel.pivot_table(index="period", columns="indicator_id", values=cols, aggfunc="first")
    wide.columns = [f"{i}_{v}" for v, i in wide.columns]
    wide = wide.reindex(labels)
    out = pd.DataFrame({"period": labels})
    out["weeks"] = [parse_period(x).days / 7 for x in labels]
    get = lambda c: pd.to_numeric(wide.get(c, pd.Series(np.nan, index=wide.index)), errors="coerce").to_numpy()  # noqa: E731
    out["list_size"] = get("W1_value")
    out["referrals"] = get("W8_referrals_value")
    out["assessments"] = get("W8_assessments_value")
    out["closed_unassessed"] = get("W8_closed_unassessed_value")
    wte = get("C2_denominator")
    wte = np.where(np.isnan(wte), get("C1_denominator"), wte)
    if ot_wte is not None:
        wte = np.where(np.isnan(wte), float(ot_wte), wte)
    out["wte"] = wte
    for c in ("referrals", "assessments", "closed_unassessed"):
        out[f"{c}_pw"] = out[c] / out["weeks"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["assessments_per_wte_pw"] = np.where(out["wte"] > 0, out["assessments_pw"] / out["wte"], np.nan)
    return out.dropna(subset=["referrals", "assessments", "closed_unassessed"]).reset_index(drop=True)


def _count_limits(x, confidence=0.95):
    """Poisson limits of a count (exact below 10, Byar's otherwise: stats.intervals.poisson_ci)."""
    lo, up, _ = poisson_ci(np.asarray([x], dtype=float), confidence)
    return float(lo[0]), float(up[0])


def _fmt(x, unit):
    if np.isnan(x):
        return "cannot be estimated"
    if np.isinf(x):
        return "never"
    return f"{x:,.1f} {unit}"


def capacity_scenarios(
    indicators: pd.DataFrame,
    authority: str,
    period,
    target_weeks: float = 26,
    *,
    within_weeks: float = 26,
    target_list: float = 0,
    n_quarters: int = 4,
    range_method: str = "recent_quarters",
    ot_wte: float | None = None,
) -> pd.DataFrame:
    """Weeks to clear the waiting list and the OT WTE needed to meet a target, with ranges.

    Parameters
    ----------
    indicators : DataFrame
        The indicator table with the council's W1, W8_referrals, W8_assessments,
        W8_closed_unassessed and C2 (or C1) rows.
    authority : str
    period : str or Period
        The quarter whose snapshot list and rates are "current".
    target_weeks : float, default 26
        The wait to reach (the ADASS "over six months" line); a local choice.
    within_weeks : float, default 26
        How many weeks are allowed to reach the targets.
    target_list : float, default 0
        The list size to reach (0 = clear it).
    n_quarters : int, default 4
        Quarters (ending with ``period``) whose rates give the range.
    range_method : {"recent_quarters", "poisson"}
        How the low/high values are made (:data:`RANGE_METHODS`). ``recent_quarters`` falls
        back to ``poisson`` when fewer than two quarters have flows, and says so.
    ot_wte : float, optional
        OT WTE to use when the table has neither C2 nor C1.

    Returns
    -------
    DataFrame
        One row per scenario (``CAPACITY_COLUMNS``):

        - ``scenario``: ``weeks_to_clear``, ``wte_to_keep_pace``, ``wte_to_reach_list_target``,
          ``wte_to_reach_wait_target``;
        - ``quantity`` (words), ``unit`` (``weeks`` or ``WTE``);
        - ``low <= central <= high`` — ``central`` at this quarter's rates; ``inf`` means
          never (demand exceeds capacity), NaN means it cannot be estimated;
        - ``current`` — today's list (weeks_to_clear) or OT WTE (WTE rows);
        - ``extra_wte_low/central/high`` — WTE needed above today's, at least 0;
        - ``summary`` — one sentence; ``range_method``; ``assumptions`` — every assumption and
          the inputs used, in words.
    """
    if range_method not in RANGE_METHODS:
        raise ParameterError(f"range_method must be one of {sorted(RANGE_METHODS)}, not {range_method!r}")
    for name, v in (("target_weeks", target_weeks), ("within_weeks", within_weeks)):
        if not v > 0:
            raise ParameterError(f"{name} must be a positive number of weeks, not {v!r}")
    if target_list < 0:
        raise ParameterError(f"target_list must be 0 or more, not {target_list!r}")
    authority = str(authority).strip().upper()
    p = parse_period(period)
    f = flows(indicators, authority, p, n_quarters, ot_wte)
    cur = f[f["period"] == p.label]
    if cur.empty:
        raise ParameterError(f"{authority} has no referral/assessment/closure counts for {p.label}")
    cur = cur.iloc[0]
    L = cur["list_size"]
    if np.isnan(L):
        raise ParameterError(f"{authority} has no W1 (people waiting) figure for {p.label}")
    wte_now = cur["wte"]

    method = range_method
    fallback = ""
    if method == "recent_quarters" and len(f) < 2:
        method = "poisson"
        fallback = f"Only {len(f)} quarter of flows was available, so the range uses Poisson uncertainty instead. "

    # Scenario rates: rows = central + the range scenarios
    if method == "recent_quarters":
        sc = f[["period", "referrals_pw", "assessments_pw", "closed_unassessed_pw", "assessments_per_wte_pw"]].copy()
        range_text = (f"Range: each of the quarters {f['period'].iloc[0]} to {f['period'].iloc[-1]} "
                      f"({len(f)} quarters) applied in turn to today's list; low and high are the smallest and largest answers.")
    else:
        w = cur["weeks"]
        r_lo, r_hi = _count_limits(cur["referrals"])
        a_lo, a_hi = _count_limits(cur["assessments"])
        c_lo, c_hi = _count_limits(cur["closed_unassessed"])
        apw = cur["assessments_per_wte_pw"]
        scale = apw / cur["assessments_pw"] if cur["assessments_pw"] > 0 else np.nan
        sc = pd.DataFrame({
            "period": ["optimistic", "pessimistic"],
            "referrals_pw": [r_lo / w, r_hi / w],
            "assessments_pw": [a_hi / w, a_lo / w],
            "closed_unassessed_pw": [c_hi / w, c_lo / w],
        })
        sc["assessments_per_wte_pw"] = sc["assessments_pw"] * scale
        range_text = ("Range: 95% Poisson limits of this quarter's counts, optimistic (fewer referrals, "
                      "more assessments and closures) and pessimistic (the reverse).")
    central = pd.DataFrame({
        "period": ["central"], "referrals_pw": [cur["referrals_pw"]], "assessments_pw": [cur["assessments_pw"]],
        "closed_unassessed_pw": [cur["closed_unassessed_pw"]], "assessments_per_wte_pw": [cur["assessments_per_wte_pw"]],
    })
    sc = pd.concat([central, sc], ignore_index=True)
    R, A, C, a = (sc[c].to_numpy(dtype=float) for c in
                  ("referrals_pw", "assessments_pw", "closed_unassessed_pw", "assessments_per_wte_pw"))
    T = float(within_weeks)

    with np.errstate(divide="ignore", invalid="ignore"):
        net = A + C - R
        weeks = np.where(L <= 0, 0.0, np.where(net > 0, L / net, np.inf))
        a_ok = a > 0
        keep = np.where(a_ok, np.clip((R - C) / a, 0, None), np.nan)
        # reach the target within T weeks, and never fewer than the keep-pace WTE, so that the
        # target once reached holds (and a list already under target is not allowed to grow)
        wl = np.where(a_ok, np.maximum((L - target_list + T * (R - C)) / (a * T), keep), np.nan)
        wait_list = R * float(target_weeks)
        ww = np.where(a_ok, np.maximum((L - wait_list + T * (R - C)) / (a * T), keep), np.nan)

    def lch(x):
        rest = x[1:]
        rest = rest[~np.isnan(rest)]
        if rest.size == 0:
            return x[0], x[0], x[0]
        return float(min(rest.min(), x[0])), float(x[0]), float(max(rest.max(), x[0]))

    res = pd.DataFrame(
        [lch(weeks), lch(keep), lch(wl), lch(ww)], columns=["low", "central", "high"]
    )
    res.insert(0, "scenario", ["weeks_to_clear", "wte_to_keep_pace", "wte_to_reach_list_target", "wte_to_reach_wait_target"])
    res.insert(1, "quantity", [
        "weeks to clear the list at current rates",
        "OT WTE for assessments and closures to keep pace with referrals",
        f"OT WTE to bring the list to {target_list:,.0f} within {T:g} weeks",
        f"OT WTE to bring the wait to {float(target_weeks):g} weeks within {T:g} weeks",
    ])
    res.insert(2, "unit", ["weeks", "WTE", "WTE", "WTE"])
    res["current"] = [L, wte_now, wte_now, wte_now]
    is_wte = res["unit"] == "WTE"
    for c in ("low", "central", "high"):
        res[f"extra_wte_{c}"] = np.where(is_wte, np.clip(res[c] - wte_now, 0, None), np.nan)

    # words
    rng = lambda r: f"{_fmt(r['central'], r['unit'])} (range {_fmt(r['low'], r['unit'])} to {_fmt(r['high'], r['unit'])})"  # noqa: E731
    summaries = []
    for _, r in res.iterrows():  # four fixed rows of text, not cases
        s = rng(r)
        if r["scenario"] == "weeks_to_clear" and np.isinf(r["central"]):
            s = ("never at current rates: referrals exceed first assessments plus closures without "
                 f"assessment (range {_fmt(r['low'], 'weeks')} to {_fmt(r['high'], 'weeks')})")
        elif r["unit"] == "WTE" and not np.isnan(wte_now):
            s += f"; {wte_now:,.1f} WTE now, {r['extra_wte_central']:,.1f} more needed at the central rate"
        summaries.append(s)
    res["summary"] = summaries
    base = (
        f"List of {L:,.0f} at the {p.label} snapshot. Central rates from {p.label} "
        f"({cur['weeks']:.2f} weeks): {cur['referrals_pw']:,.1f} referrals, {cur['assessments_pw']:,.1f} "
        f"first assessments and {cur['closed_unassessed_pw']:,.1f} closures without assessment a week"
        + (f"; {wte_now:,.1f} OT WTE, {cur['assessments_per_wte_pw']:,.2f} assessments per WTE a week. "
           if not np.isnan(wte_now) else "; no OT WTE figure (C2, C1 or ot_wte) so WTE cannot be estimated. ")
        + "Rates are assumed to stay as they are (no seasonal change, no change in how people are "
        "referred or closed). " + fallback + range_text
    )
    extra = [
        " Weeks to clear = list ÷ (assessments + closures − referrals a week); 'never' when referrals are at "
        "least as many as assessments plus closures.",
        " WTE to keep pace = (referrals − closures without assessment) ÷ assessments per WTE: the list stops growing but does not shrink.",
        f" WTE = (list − {target_list:,.0f} + {T:g} × (referrals − closures)) ÷ (assessments per WTE × {T:g}). Every "
        "added WTE is assumed to assess at today's rate per WTE from day one (no recruitment lag or training time), "
        "and closures without assessment continue at today's rate. The answer is never below the keep-pace WTE, so the "
        "target, once reached, holds (a list already under the target is not allowed to grow).",
        f" The wait target is turned into a list target of referrals a week × {float(target_weeks):g} weeks (Little's law, "
        "first come first served at a steady state). Priority queues see urgent people sooner and routine people later, "
        "so the longest wait will exceed the target unless routine cases are also seen in order. The WTE formula then is "
        "as for the list target.",
    ]
    res["assumptions"] = [base + e for e in extra]
    res["range_method"] = method
    res.insert(0, "authority_code", authority)
    res.insert(1, "period", p.label)
    out = res.reindex(columns=CAPACITY_COLUMNS)
    out.attrs["flows"] = f
    return out
