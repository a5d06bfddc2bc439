"""Changes are only stated between whole periods: a change withheld when either period is partly covered.

A change compares two periods' counts: C7 (referrals and first assessments on the quarter before),
K7 (complaints on the same quarter a year before) and W8's net change in the list (the snapshot
now against the one before). When a council's extract starts part-way through the earlier period
(or ends part-way through the later one), the change compares a part period with a whole one: an
extract that starts on 15 February makes the next quarter's assessments look 478% up. Such a
change is withheld — no value, numerator or denominator — with a note saying which extract
starts or ends where (docs/methods.md, "Changes between periods").

An extract (one table's file) starts on its first date over every row (planned due dates aside),
unless ``metadata.json`` declares its coverage (``"coverage": {"referrals": {"from": ...,
"to": ...}}``); it ends where ``metadata.json`` says (a last event date is not an end: a quiet
quarter's last complaint may come weeks before the quarter closes). A folder holds one council's
export with its comparators' returns, or (the synthetic sample) every council's extract cut alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ot_benchmark.periods import parse_period

__all__ = ["CHANGES", "FAMILY_EXTRACT", "extract_span", "withhold_partial_changes"]

#: change indicator -> (the extract its counts come from, how many quarters back it compares)
CHANGES = {
    "C7_referrals": ("referrals", 1),
    "C7_assessments": ("referrals", 1),
    "K7": ("complaints", 4),
    "W8_net_change": ("referrals", 1),
    "W8_net_change_per_10k": ("referrals", 1),
}


#: each case-level family and the extract its flows come from (a family compared with a period before
#: that extract starts would compare a part period with a whole one)
FAMILY_EXTRACT = {"W": "referrals", "C": "referrals", "E": "equipment", "K": "complaints", "U": "finance",
                  "A": "adaptations", "O": "outcomes"}


def extract_span(bundle, table: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Where one extract starts and (when ``metadata.json`` declares it) ends: its first date over
    every row of the file (:attr:`DataBundle.coverage`), or the start of the folder's declared
    ``first_period`` when that is earlier, or the declared ``from``; the declared
    ``to``, else NaT. A last event date is not taken as the extract's end: a quiet quarter's last
    complaint may come weeks before it closes."""
    cov = bundle.coverage
    row = cov[cov["table"] == table]
    if row.empty:
        return pd.NaT, pd.NaT
    r = row.iloc[0]
    end = r["to"] if r.get("to_source") == "declared" else pd.NaT
    start = r["from"]
    first_period = (getattr(bundle, "metadata", None) or {}).get("first_period")
    if r.get("from_source") != "declared" and first_period and pd.notna(start):
        # the folder says which period its extracts start with (the synthetic generator writes it):
        # a sparse extract's first row (a complaint on 5 April) does not mean it started late
        start = min(start, pd.Timestamp(parse_period(first_period).start))
    return start, end


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
        first, last = extract_span(bundle, table)
        notes = {}
        for p in pd.unique(case.loc[rows, "period"]):  # a dozen periods
            now = parse_period(p)
            then = now.shift(-lag)
            # an earlier period wholly before the extract has no figure: the family already says so
            if pd.notna(first) and pd.Timestamp(then.start) < first <= pd.Timestamp(then.end):
                notes[p] = (f"withheld: the {table} extract starts on {_date(first)}, part-way through the earlier "
                            f"period {then.label}, so the change would compare a part period with a whole one")
            elif pd.notna(last) and pd.Timestamp(now.end) > last:
                notes[p] = (f"withheld: the {table} extract ends on {_date(last)}, before the end of {now.label}, "
                            "so the change would compare a part period with a whole one")
        if not notes:
            continue
        hit = rows & case["period"].isin(list(notes)).to_numpy()
        case.loc[hit, ["numerator", "denominator", "value"]] = np.nan
        case.loc[hit, "note"] = case.loc[hit, "period"].map(notes)
    return case
