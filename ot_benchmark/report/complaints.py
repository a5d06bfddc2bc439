"""The complaints and Ombudsman pack a scrutiny panel asks for: its report sections and words.

Three things use it:

* the statutory annual report, ``notebooks/complaints_annual_report.ipynb`` (see "The annual
  report" below);
* the scrutiny view in the quarterly report (:func:`scrutiny_view`: stage 2 timescales as an SPC
  chart with the council's known changes, remedies due and overdue, Ombudsman recommendations
  due and complied with);
* ``ot-benchmark reconcile-ombudsman`` (:func:`reconciliation_sentences`: the counts a scrutiny
  report may quote, through the small-number rule).

Like :mod:`ot_benchmark.report.sections`, every function here takes the run's
:class:`~ot_benchmark.report.context.RunContext`, displays its part of the page and returns
None; every rule about what a reader sees is here, not in the notebook. Small numbers follow the
one rule of :mod:`ot_benchmark.report.disclosure`: tables and sentences read its ``[c]`` marks.
"""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from ot_benchmark.report import disclosure

__all__ = [
    "reconciliation_sentences",
]


# --------------------------------------------------------------------------------------------
# small numbers in sentences


def _marked_counts(parts: Mapping[str, float], total: str | None, suppress: bool) -> dict[str, str]:
    """Each count as the words a published sentence may use.

    ``parts`` maps a label to a count; ``total`` names the one that is the sum of the others
    (so the disclosure layer's secondary rule applies), or None. A count the disclosure layer
    withholds as small reads "fewer than 5"; one it withholds only because it would reveal a
    small one by subtraction reads "a number not shown"; the others are written out.
    """
    labels = list(parts)
    values = [float(parts[k]) for k in labels]
    if not suppress:
        return {k: _whole(v) for k, v in zip(labels, values)}
    frame = pd.DataFrame({"part": ["all" if k == total else k for k in labels], "n": values})
    shown = disclosure.suppress_table(frame, counts=["n"], breakdown="part" if total else None)
    small = disclosure.primary_mask(frame["n"])
    out = {}
    for k, v, marked, is_small in zip(labels, values, disclosure.is_marked(shown["n"]), small):
        out[k] = disclosure.FEWER_THAN if (marked and is_small) else (NOT_SHOWN if marked else _whole(v))
    return out


#: the words for a count withheld only because it would reveal a small one by subtraction
NOT_SHOWN = "a number not shown"
_WHY_NOT_SHOWN = " (how many is not shown: it would reveal a small number)"


def _some(text: str) -> tuple[str, str]:
    """A count as it stands in a sentence, and what to add after the clause: "some" and why
    for a count withheld by subtraction."""
    return ("some", _WHY_NOT_SHOWN) if text == NOT_SHOWN else (text, "")


def _whole(v: float) -> str:
    return "no" if v == 0 else f"{v:,.0f}"


def _plural(text: str, one: str, many: str) -> str:
    return one if text == "1" else many


# --------------------------------------------------------------------------------------------
# the reconciliation with the Ombudsman


def reconciliation_sentences(counts: Mapping[str, int], *, council: str, period: str, suppress: bool = True) -> str:
    """The reconciliation's counts in words, for a scrutiny report.

    ``counts`` is :attr:`ot_benchmark.compare.ombudsman.Reconciliation.counts`. With ``suppress``
    (published output) small counts, and counts that would give them away by subtraction, are
    not written out.

    Examples
    --------
    >>> c = dict(ombudsman_decisions=14, matched=12, ombudsman_only=2, log_decisions=13,
    ...          log_decisions_matched=12, council_only=1, reference_typed_differently=1,
    ...          matched_by_date=1, decisions_differ=0, awaiting_decision_in_log=0)
    >>> reconciliation_sentences(c, council="Lancashire", period="2024-25", suppress=False).split(". ")[0]
    'The Ombudsman recorded 14 decisions about Lancashire in 2024-25; we hold 12 of them; 2 are cases we have no record of'
    """
    omb = _marked_counts({"total": counts["ombudsman_decisions"], "held": counts["matched"],
                          "not_held": counts["ombudsman_only"]}, "total", suppress)
    log = _marked_counts({"total": counts["log_decisions"], "held": counts["log_decisions_matched"],
                          "only": counts["council_only"]}, "total", suppress)
    other = _marked_counts({k: counts.get(k, 0) for k in ("reference_typed_differently", "matched_by_date",
                                                          "decisions_differ", "awaiting_decision_in_log")},
                           None, suppress)
    n = omb["total"]
    first = (f"The Ombudsman recorded {n} {_plural(n, 'decision', 'decisions')} about {council} in {period}"
             if n != "no" else f"The Ombudsman recorded no decisions about {council} in {period}")
    if n != "no":
        (held, why), (not_held, why2) = _some(omb["held"]), _some(omb["not_held"])
        first += f"; we hold {'none' if held == 'no' else held} of them{why}"
        if not_held != "no":
            first += f"; {not_held} {_plural(not_held, 'is a case', 'are cases')} we have no record of{why2}"
    out = [first + "."]
    if log["only"] != "no":
        only, why = _some(log["only"])
        out.append(f"Our log records {only} Ombudsman {_plural(only, 'decision', 'decisions')} in {period} that the "
                   f"Ombudsman's list does not show{why}.")
    notes = []
    if other["reference_typed_differently"] != "no":
        x = other["reference_typed_differently"]
        notes.append(f"{x} {_plural(x, 'was', 'were')} found only once references typed differently were read alike")
    if other["matched_by_date"] != "no":
        x = other["matched_by_date"]
        notes.append(f"{x} only by {_plural(x, 'its', 'their')} decision date and category, with no matching reference "
                     "in our log")
    if notes:
        out.append("Of the decisions we hold, " + "; ".join(notes) + ".")
    if other["decisions_differ"] != "no":
        x = other["decisions_differ"]
        out.append(f"For {x} of the decisions we hold, our log records a different decision from the Ombudsman's.")
    if other["awaiting_decision_in_log"] != "no":
        x = other["awaiting_decision_in_log"]
        out.append(f"{x[:1].upper() + x[1:]} further {_plural(x, 'complaint', 'complaints')} the Ombudsman took "
                   f"{_plural(x, 'has', 'have')} no decision recorded in our log.")
    return " ".join(out)
