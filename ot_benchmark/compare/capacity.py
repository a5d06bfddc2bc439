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
- WTE to bring the wait to ``D`` weeks within ``T`` weeks, **allowing for variability** as
  NHSRwaitinglist does (Kingman's formula; ``calc_target_queue_size``, ``calc_relief_capacity``,
  ``calc_target_capacity``). With net demand ``d = R − C`` a week and a share ``p`` of people to
  be seen within ``D`` weeks (waits roughly exponential, so ``factor = −ln(1 − p)``; ``p = 0.98``
  gives NHSRwaitinglist's default factor of about 4):

  - target list ``Q* = d·D ÷ factor`` (a mean wait of ``D ÷ factor``, by Little's law);
  - relief capacity to reach it within ``T`` weeks = ``d + (L − Q*) ÷ T`` assessments a week;
  - capacity to hold it = ``d + ((cv_d² + cv_c²) ÷ 2)·(factor ÷ D)``: a queue whose arrivals
    and assessments vary (coefficients of variation ``cv_d``, ``cv_c``; 1 for Poisson referrals
    and exponential assessment times) needs more than the average demand, or the wait drifts up;
  - WTE = the larger of the two ÷ ``a``. Plain Little's law (``Q* = d·D``, no variability)
    would give the keep-pace WTE for any list under ``d·D``: it says nothing about the wait.

  The same formula answers "the best quartile's wait": ``D`` is the group's best-quartile median
  completed wait (``p = 0.5``).
- Cost: an extra WTE costs ``cost_per_wte`` a year (the report works it out from the finance
  extract: direct OT staff cost ÷ average OT WTE in post, a year).
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
    "current", "extra_wte_low", "extra_wte_central", "extra_wte_high", "extra_cost_low", "extra_cost_central",
    "extra_cost_high", "summary", "range_method", "assumptions",
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


def _wte_for_wait(L, d, a, D, T, share, cv_demand, cv_capacity):
    """WTE to see ``share`` of people within ``D`` weeks, reached within ``T`` weeks (module
    docstring): the larger of the relief and the holding capacity, ÷ assessments per WTE."""
    factor = -np.log1p(-share)
    target_list = d * D / factor
    relief = d + (L - target_list) / T
    hold = d + ((cv_demand ** 2 + cv_capacity ** 2) / 2) * (factor / D)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, np.maximum(np.maximum(relief, hold), 0) / a, np.nan)


def _wait_assumption(D: float, share: float, cv_demand: float, cv_capacity: float, T: float) -> str:
    factor = -np.log(1 - share)
    return (f" To see {share:.0%} of people within {D:g} weeks the mean wait must be about {D:g} ÷ {factor:.2f} = "
            f"{D / factor:.1f} weeks (waits taken as roughly exponential), so the list must come down to net referrals "
            f"a week × {D / factor:.1f} weeks (Little's law); the relief capacity brings it there within {T:g} weeks. "
            f"Because referrals and assessment times vary (coefficients of variation {cv_demand:g} and {cv_capacity:g}; "
            "1 is random arrivals), holding that wait needs capacity above the average demand by "
            f"(cv² + cv²) ÷ 2 × {factor:.2f} ÷ {D:g} assessments a week (Kingman's formula, as NHSRwaitinglist's "
            "calc_target_capacity). The answer is the larger of the two. Priority queues see urgent people sooner and "
            "routine people later, so the longest waits are routine ones.")


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
    share_within: float = 0.98,
    cv_demand: float = 1.0,
    cv_capacity: float = 1.0,
    best_wait_weeks: float | None = None,
    cost_per_wte: float | None = None,
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
    share_within : float, default 0.98
        The share of people to be seen within ``target_weeks`` (factor ``−ln(1 − share)``, about
        4 for 0.98 as NHSRwaitinglist's default).
    cv_demand, cv_capacity : float, default 1
        Coefficients of variation of the time between referrals and of assessment times
        (1: Poisson referrals, exponential assessment times).
    best_wait_weeks : float, optional
        The best-quartile councils' median completed wait, in weeks: adds the scenario
        ``wte_to_reach_best_quartile_wait`` (half the people seen within it).
    cost_per_wte : float, optional
        The cost of one OT WTE for a year, £: fills ``extra_cost_*`` (the extra WTE's yearly cost).

    Returns
    -------
    DataFrame
        One row per scenario (``CAPACITY_COLUMNS``):

        - ``scenario``: ``weeks_to_clear``, ``wte_to_keep_pace``, ``wte_to_reach_list_target``,
          ``wte_to_reach_wait_target`` (and ``wte_to_reach_best_quartile_wait`` with
          ``best_wait_weeks``);
        - ``quantity`` (words), ``unit`` (``weeks`` or ``WTE``);
        - ``low <= central <= high`` — ``central`` at this quarter's rates; ``inf`` means
          never (demand exceeds capacity), NaN means it cannot be estimated;
        - ``current`` — today's list (weeks_to_clear) or OT WTE (WTE rows);
        - ``extra_wte_low/central/high`` — WTE needed above today's, at least 0;
          ``extra_cost_low/central/high`` — their yearly cost with ``cost_per_wte``;
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
        ww = _wte_for_wait(L, R - C, a, float(target_weeks), T, share_within, cv_demand, cv_capacity)
        wb = (_wte_for_wait(L, R - C, a, float(best_wait_weeks), T, 0.5, cv_demand, cv_capacity)
              if best_wait_weeks is not None and best_wait_weeks > 0 else None)

    def lch(x):
        rest = x[1:]
        rest = rest[~np.isnan(rest)]
        if rest.size == 0:
            return x[0], x[0], x[0]
        return float(min(rest.min(), x[0])), float(x[0]), float(max(rest.max(), x[0]))

    answers = [lch(weeks), lch(keep), lch(wl), lch(ww)] + ([lch(wb)] if wb is not None else [])
    res = pd.DataFrame(answers, columns=["low", "central", "high"])
    share = f"{share_within:.0%}"
    res.insert(0, "scenario", ["weeks_to_clear", "wte_to_keep_pace", "wte_to_reach_list_target", "wte_to_reach_wait_target"]
               + (["wte_to_reach_best_quartile_wait"] if wb is not None else []))
    res.insert(1, "quantity", [
        "weeks to clear the list at current rates",
        "OT WTE for assessments and closures to keep pace with referrals",
        f"OT WTE to bring the list to {target_list:,.0f} within {T:g} weeks",
        f"OT WTE to see {share} of people within {float(target_weeks):g} weeks, reached within {T:g} weeks",
    ] + ([f"OT WTE to bring the median wait to the best quarter of the group's, {float(best_wait_weeks):.1f} weeks, "
          f"within {T:g} weeks"] if wb is not None else []))
    res.insert(2, "unit", ["weeks"] + ["WTE"] * (len(res) - 1))
    res["current"] = [L] + [wte_now] * (len(res) - 1)
    is_wte = res["unit"] == "WTE"
    for c in ("low", "central", "high"):
        res[f"extra_wte_{c}"] = np.where(is_wte, np.clip(res[c] - wte_now, 0, None), np.nan)
        res[f"extra_cost_{c}"] = (res[f"extra_wte_{c}"] * float(cost_per_wte)
                                  if cost_per_wte is not None and cost_per_wte > 0 else np.nan)

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
            if not np.isnan(r["extra_cost_central"]) and r["extra_wte_central"] > 0:
                s += f", costing about £{r['extra_cost_central']:,.0f} a year"
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
        _wait_assumption(float(target_weeks), share_within, cv_demand, cv_capacity, T),
    ] + ([_wait_assumption(float(best_wait_weeks), 0.5, cv_demand, cv_capacity, T)] if wb is not None else [])
    if cost_per_wte is not None and cost_per_wte > 0:
        extra = [e + (f" An extra WTE is costed at £{float(cost_per_wte):,.0f} a year (direct OT staff cost ÷ "
                      "average OT WTE in post, from the finance and workforce extracts)." if i else "")
                 for i, e in enumerate(extra)]
    res["assumptions"] = [base + e for e in extra]
    res["range_method"] = method
    res.insert(0, "authority_code", authority)
    res.insert(1, "period", p.label)
    out = res.reindex(columns=CAPACITY_COLUMNS)
    out.attrs["flows"] = f
    return out
