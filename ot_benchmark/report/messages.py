"""Key messages: the three to six findings a report opens with, chosen from the numbers by one
rule (docs/methods.md, "Key messages").

:func:`key_messages` reads the council's **published** benchmark rows (small numbers already
``[c]``) and its SPC readings, and never decides a verdict itself: a difference from the group
is the row's one verdict (:func:`ot_benchmark.report.narrative.verdict_of`), stated with what it
rests on (:func:`ot_benchmark.report.narrative.basis_phrase`).

The rule

1. Candidates, each a published figure of the latest period that does not rest on small numbers
   (no ``[c]`` in its value, numerator or denominator; not a percentage or mean of fewer than
   :data:`SMALL_N` people, nor a rate of fewer than :data:`SMALL_N` events):

   * ``worse`` / ``better``: the verdict is *worse* / *better* (a difference from the group that
     is not chance), ordered by the size of the difference relative to the group figure;
   * ``concern`` / ``improvement``: the SPC chart shows a concerning / improving special cause
     in the latest period;
   * ``target``: the SPC target assurance is *consistently failing*;
   * ``longest_wait``: the longest current wait (``W3``), with the people waiting over 52 weeks
     (``W4_52wk``) when published.

2. Selection in rounds: each round takes the next candidate of each kind in the order
   :data:`KIND_ORDER` (worse, concern, target, longest wait, better, improvement), skipping an
   indicator already chosen and a family that already has :data:`MAX_PER_FAMILY` messages,
   until :data:`MAX_MESSAGES` are chosen or none is left.
"""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd

from ot_benchmark.report import disclosure, safe
from ot_benchmark.report.narrative import (
    _is_small,
    _num,
    basis_phrase,
    comparator_description,
    format_value,
    verdict_of,
)

__all__ = ["SMALL_N", "MAX_MESSAGES", "MIN_MESSAGES", "MAX_PER_FAMILY", "KIND_ORDER", "key_messages",
           "key_messages_markdown"]

SMALL_N = 30
MAX_MESSAGES = 6
MIN_MESSAGES = 3
MAX_PER_FAMILY = 2
KIND_ORDER = ("worse", "concern", "target", "longest_wait", "better", "improvement")

_LONGEST = "W3"
_OVER_52 = "W4_52wk"


def _marked(row: Mapping) -> bool:
    return any(disclosure.is_marked(row.get(c)) for c in ("value", "numerator", "denominator"))


def _usable(row: Mapping) -> bool:
    """A published figure that does not rest on a withheld or small number."""
    if _marked(row) or math.isnan(_num(row.get("value"))):
        return False
    return not _is_small(row.get("numerator"), row.get("denominator"), row.get("method"), SMALL_N)


def _relative_difference(row: Mapping) -> float:
    v, c = _num(row.get("value")), _num(row.get("comparator_value"))
    if math.isnan(v) or math.isnan(c):
        return math.nan
    return abs(v - c) / abs(c) if c else math.inf


def _count_of(row: Mapping) -> str:
    """ "627 of 745" for a proportion, else ``""``."""
    if row.get("method") != "proportion":
        return ""
    n, d = _num(row.get("numerator")), _num(row.get("denominator"))
    if math.isnan(n) or math.isnan(d) or d <= 0:
        return ""
    return f" ({n:,.0f} of {d:,.0f})"


def _figure(row: Mapping, council: str) -> str:
    return f"{council}: {format_value(row.get('value'), row.get('unit'))}{_count_of(row)}"


def _candidates(bench: pd.DataFrame, spc: pd.DataFrame | None, catalogue: pd.DataFrame, council: str) -> dict:
    cat = catalogue.set_index("indicator_id")
    b = bench[bench["breakdown"] == "all"] if "breakdown" in bench else bench
    rows = {}
    for r in b.to_dict("records"):
        iid = r["indicator_id"]
        if iid in cat.index:
            for col in ("unit", "method", "polarity", "name", "family"):
                if col not in r or (isinstance(r.get(col), float) and math.isnan(r[col])):
                    r[col] = cat.at[iid, col]
            r.setdefault("name", cat.at[iid, "name"])
        r["name"] = r.get("indicator_name") if isinstance(r.get("indicator_name"), str) else r.get("name", iid)
        r["family"] = cat.at[iid, "family"] if iid in cat.index else ""
        rows[iid] = r
    out = {k: [] for k in KIND_ORDER}
    for iid, r in rows.items():
        if not _usable(r):
            continue
        v = verdict_of(r)
        if v in ("worse", "better") and r.get("polarity") in ("higher_is_better", "lower_is_better"):
            size = _relative_difference(r)
            if math.isnan(size):
                continue
            word = "worse than" if v == "worse" else "better than"
            group = format_value(r.get("comparator_value"), r.get("unit"))
            what = comparator_description(r)
            out[v].append((size, iid, r["family"], {
                "headline": f"{r['name']}: {word} similar councils",
                "figure": _figure(r, council),
                "comparison": f"comparator group {group}" + (f", the {what}" if what else ""),
                "caveat": _cap(basis_phrase(r)) or "Compared with the group figure",
            }))
    if spc is not None and len(spc):
        for s in spc.to_dict("records"):
            iid = s["indicator_id"]
            r = rows.get(iid)
            if r is None or not _usable(r):
                continue
            provisional = bool(s.get("provisional")) if s.get("provisional") is not None else False
            spc_caveat = ("SPC limits are provisional (fewer than 13 periods)" if provisional
                          else "Read against the council's own past, not other councils")
            variation = str(s.get("variation") or "")
            kind = {"special_cause_concern": "concern", "special_cause_improvement": "improvement"}.get(variation)
            if kind:
                out[kind].append((0.0, iid, r["family"], {
                    "headline": f"{r['name']}: {'a concerning' if kind == 'concern' else 'an improving'} "
                                "change in the council's own figures, beyond normal variation",
                    "figure": _figure(r, council),
                    "comparison": "compared with the council's own earlier periods (SPC chart)",
                    "caveat": spc_caveat,
                }))
            if str(s.get("assurance") or "") == "consistent_fail" and not math.isnan(_num(s.get("target"))):
                out["target"].append((0.0, iid, r["family"], {
                    "headline": f"{r['name']}: the target is consistently failed",
                    "figure": _figure(r, council),
                    "comparison": f"target {format_value(s.get('target'), r.get('unit'))}; at the current level "
                                  "of variation it will not be met without a change",
                    "caveat": spc_caveat,
                }))
    w3 = rows.get(_LONGEST)
    if w3 is not None and _usable(w3):
        over = rows.get(_OVER_52)
        extra = ""
        if over is not None and not _marked(over) and not math.isnan(_num(over.get("numerator"))):
            n, d = _num(over.get("numerator")), _num(over.get("denominator"))
            if n >= 0 and d > 0:
                extra = f"; {n:,.0f} of {d:,.0f} people waiting had waited more than 52 weeks"
        group = format_value(w3.get("comparator_value"), w3.get("unit"))
        out["longest_wait"].append((0.0, _LONGEST, w3["family"], {
            "headline": "The longest waits",
            "figure": f"{council}: the longest current wait was {format_value(w3.get('value'), w3.get('unit'))}{extra}",
            "comparison": (f"comparator group {group}, the {comparator_description(w3)}"
                           if comparator_description(w3) else "no group figure"),
            "caveat": "One person's wait sets this figure; councils define waiting lists differently",
        }))
    for k in ("worse", "better"):
        out[k].sort(key=lambda t: (-t[0], t[1]))
    return out


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def key_messages(bench: pd.DataFrame, spc: pd.DataFrame | None, catalogue: pd.DataFrame, *,
                 council: str = "This council") -> pd.DataFrame:
    """The report's key messages by the rule in the module docstring.

    Parameters
    ----------
    bench : DataFrame
        The council's benchmark rows **as published** (``[c]`` marks applied).
    spc : DataFrame, optional
        :func:`ot_benchmark.report.tables.spc_by_indicator`.
    catalogue : DataFrame

    Returns
    -------
    DataFrame
        ``kind, indicator_id, headline, figure, comparison, caveat`` in the order chosen (at
        most :data:`MAX_MESSAGES` rows; fewer when fewer figures qualify).
    """
    cands = _candidates(bench, spc, catalogue, council)
    chosen, ids, per_family = [], set(), {}
    while len(chosen) < MAX_MESSAGES and any(cands.values()):
        for kind in KIND_ORDER:
            if len(chosen) >= MAX_MESSAGES:
                break
            while cands[kind]:
                _, iid, fam, msg = cands[kind].pop(0)
                if iid in ids or per_family.get(fam, 0) >= MAX_PER_FAMILY:
                    continue
                ids.add(iid)
                per_family[fam] = per_family.get(fam, 0) + 1
                chosen.append({"kind": kind, "indicator_id": iid, **msg})
                break
    return pd.DataFrame(chosen, columns=["kind", "indicator_id", "headline", "figure", "comparison", "caveat"])


_KIND_LABEL = {"worse": "Worse than the group", "better": "Better than the group",
               "concern": "Concerning change", "improvement": "Improving change",
               "target": "Target failed", "longest_wait": "Longest waits"}


def key_messages_markdown(messages: pd.DataFrame) -> str:
    """The messages as a Markdown list: headline in bold, then the figure, its comparison and its
    caveat. Every string goes through :func:`ot_benchmark.report.safe.md`."""
    if not len(messages):
        return ("No figure this period meets the rule for a key message (a clear difference from the group, "
                "a special-cause change, a target consistently failed, or the longest waits, none resting on "
                "small numbers).")
    items = [f"{len(messages)} finding{'' if len(messages) == 1 else 's'} chosen by a fixed rule (see *About this report*): the largest clear "
             "differences from similar councils, unusual changes over time, targets consistently failed and "
             "the longest waits. Figures resting on small numbers are never chosen.\n"]
    for m in messages.to_dict("records"):
        items.append(f"1. **{safe.md(m['headline'])}.** {safe.md(m['figure'])}; {safe.md(m['comparison'])}. "
                     f"_Caveat: {safe.md(m['caveat'])}._")
    if len(messages) < MIN_MESSAGES:
        items.append(f"\nOnly {len(messages)} figure{'s' if len(messages) != 1 else ''} met the rule this period.")
    return "\n".join(items)
