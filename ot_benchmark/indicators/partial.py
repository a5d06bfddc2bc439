"""Changes are only stated between whole periods: a change withheld when either period is partly covered.

A change compares two periods' counts: C7 (referrals and first assessments on the quarter before),
K7 (complaints on the same quarter a year before) and W8's net change in the list (the snapshot
now against the one before). When a council's extract starts part-way through the earlier period
(or ends part-way through the later one), the change compares a part period with a whole one: an
extract that starts on 15 February makes the next quarter's assessments look 478% up. Such a
change is withheld — no value, numerator or denominator — with a note saying which extract
starts or ends where (docs/methods.md, "Changes between periods").

A council's extract covers, for each table, from its first to its last date (over the table's
date columns, planned due dates aside), unless ``metadata.json`` declares the coverage
(``"coverage": {"referrals": {"from": ..., "to": ...}}``), which then holds for every council.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.io.bundle import PLANNED_DATES, declared_coverage
from ot_benchmark.io.contract import TABLES
from ot_benchmark.periods import parse_period

__all__ = ["CHANGES", "council_coverage", "withhold_partial_changes"]

#: change indicator -> (the extract its counts come from, how many quarters back it compares)
CHANGES = {
    "C7_referrals": ("referrals", 1),
    "C7_assessments": ("referrals", 1),
    "K7": ("complaints", 4),
    "W8_net_change": ("referrals", 1),
    "W8_net_change_per_10k": ("referrals", 1),
}


def council_coverage(bundle, table: str) -> pd.DataFrame:
    """Each council's first and last date in one extract: ``authority_code, from, to`` (a
    declared coverage in ``metadata.json`` holds for every council)."""
    df = bundle.tables.get(table)
    if df is None or not len(df):
        return pd.DataFrame(columns=["authority_code", "from", "to"])
    cols = [c.name for c in TABLES[table].columns
            if c.kind == "date" and c.name in df and (table, c.name) not in PLANNED_DATES]
    g = df.groupby("authority_code", observed=True, sort=True)[cols]
    out = pd.DataFrame({"from": g.min().min(axis=1), "to": g.max().max(axis=1)}).reset_index()
    try:
        declared = declared_coverage(bundle.metadata or {}).get(table, {})
    except ValueError:
        declared = {}
    for end in ("from", "to"):
        if end in declared:
            out[end] = declared[end]
    return out


def _date(ts) -> str:
    return f"{ts:%-d %B %Y}"


def withhold_partial_changes(case: pd.DataFrame, bundle) -> pd.DataFrame:
    """``case`` (case-level indicator rows) with every change of :data:`CHANGES` withheld where
    either of its two periods is only partly covered by the council's extract."""
    if case.empty or not case["indicator_id"].isin(list(CHANGES)).any():
        return case
    case = case.copy()
    for iid, (table, lag) in CHANGES.items():
        rows = (case["indicator_id"] == iid).to_numpy()
        if not rows.any():
            continue
        cov = council_coverage(bundle, table).set_index("authority_code")
        keys = case.loc[rows, ["authority_code", "period"]].drop_duplicates()
        notes = {}
        for a, p in keys.itertuples(index=False):  # councils x periods: a few thousand at most
            if a not in cov.index:
                continue
            first, last = cov.at[a, "from"], cov.at[a, "to"]
            now = parse_period(p)
            then = now.shift(-lag)
            if pd.notna(first) and pd.Timestamp(then.start) < first:
                notes[(a, p)] = (f"withheld: the {table} extract starts on {_date(first)}, part-way through or after "
                                 f"the start of {then.label}, so the change would compare a part period with a whole one")
            elif pd.notna(last) and pd.Timestamp(now.end) > last:
                notes[(a, p)] = (f"withheld: the {table} extract ends on {_date(last)}, before the end of {now.label}, "
                                 "so the change would compare a part period with a whole one")
        if not notes:
            continue
        idx = np.flatnonzero(rows)
        pairs = list(zip(case["authority_code"].to_numpy()[idx], case["period"].to_numpy()[idx]))
        hit = np.array([pr in notes for pr in pairs])
        where = idx[hit]
        case.loc[case.index[where], ["numerator", "denominator", "value"]] = np.nan
        case.loc[case.index[where], "note"] = [notes[pr] for pr, h in zip(pairs, hit) if h]
    return case
