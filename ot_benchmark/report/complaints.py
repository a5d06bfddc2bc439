"""The complaints and Ombudsman pack a scrutiny panel asks for: its report sections and words.

Three things use it:

* the statutory annual report, ``notebooks/complaints_annual_report.ipynb`` (below);
* the scrutiny view in the quarterly report (:func:`scrutiny_view`: stage 2 timescales as an SPC
  chart with the council's known changes, remedies due and overdue, Ombudsman recommendations
  due and complied with);
* ``ot-benchmark reconcile-ombudsman`` (:func:`reconciliation_sentences`: the counts a scrutiny
  report may quote, through the small-number rule).

Like :mod:`ot_benchmark.report.sections`, every section takes the run's
:class:`~ot_benchmark.report.context.RunContext`, displays its part of the page and returns
None; every rule about what a reader sees is here, not in the notebook. Small numbers follow the
one rule of :mod:`ot_benchmark.report.disclosure`: tables and sentences read its ``[c]`` marks.

The annual report
-----------------
A council's annual complaints report covers a **financial year** (``2024-25``), while a run's
``period`` is a quarter. The least invasive route: ``period`` keeps its meaning (the run's
quarter, checked by :func:`ot_benchmark.report.context.check_parameters` as for every notebook,
and the published folder ``outputs/<quarter>/<council>_complaints_annual_report/``), and the
notebook declares one parameter of its own, ``year = "latest"``, that every section takes.
:func:`resolve_year` reads it: a financial year such as ``2024-25`` (or ``2024/25``), or
``latest`` — the latest financial year whose four quarters are all in the council's complaints
figures up to the run's quarter (if none is complete, the run quarter's year so far, and the
report says which quarters it covers). So ``ot-benchmark report --notebook
complaints_annual_report --period "2024-25 Q4"`` reports 2024-25, and ``-p year=2023-24``
another year.

Annual figures (:func:`annual_table`) come from the quarterly indicator table, not a second
computation: for each indicator and breakdown the four quarters' numerators and denominators
are **summed** — counts add up, and a percentage is recomputed from the summed numerator and
denominator (never an average of quarterly percentages). Three things do not add up over
quarters and are worked out for the year itself: the **cases active during the year** (the
denominator of complaints as a share of active cases: distinct cases waiting or open at any time
in the year, from the referrals extract), the **remedies overdue** (a snapshot: the year's last
quarter-end), and **themes by team**, a breakdown the quarterly table does not hold, counted from
the case-level complaints log (new complaints received in the year). Themes and teams are
published in that one table only (suppressed both ways, :func:`_two_way`), so a withheld cell
cannot be worked out from another table of the report.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ot_benchmark.catalogue import resolve_target
from ot_benchmark.errors import ParameterError
from ot_benchmark.periods import Period, parse_period, sorted_periods
from ot_benchmark.report import disclosure, export, narrative, plots, sections, tables
from ot_benchmark.stats import spc

__all__ = [
    "BROADLY_THE_SAME_PCT",
    "STREAM_NAMES",
    "Year",
    "parse_year",
    "resolve_year",
    "annual_table",
    "year_on_year",
    "annual_title",
    "annual_summary",
    "stream_section",
    "ombudsman_section",
    "remedies_section",
    "learning_by_theme",
    "annual_notes",
    "scrutiny_view",
    "reconciliation_sentences",
]

#: a change on the year before smaller than this (in %) reads "broadly the same"
BROADLY_THE_SAME_PCT = 5.0
#: the procedures (streams) in words
STREAM_NAMES = {
    "asc_statutory": "adult social care",
    "childrens_statutory": "children's social care",
    "corporate": "corporate",
}
_STREAM_HEADINGS = {
    "asc_statutory": "the adult social care statutory procedure (2009 regulations: one local stage, "
                     "the response date agreed with the complainant)",
    "childrens_statutory": "the children's statutory procedure (three stages: 10 working days at stage 1, "
                           "extendable to 20; 25 at stage 2, up to 65; a review panel within 30 at stage 3)",
    "corporate": "the council's corporate procedure (the Ombudsman's complaint handling code: "
                 "10 working days at stage 1, 20 at stage 2)",
}
#: the flow indicators an annual figure is summed for; K9_overdue is a snapshot
#: (themes and teams are published once, in the themes-by-team table, so their small numbers are
#: withheld in one place)
_FLOWS = ("K1", "K2", "K3", "K4", "K5", "K6_count", "K6_gbp", "K8", "K9", "K10", "K11")
_SNAPSHOTS = ("K9_overdue",)
_YEAR_RE = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*$")


# --------------------------------------------------------------------------------------------
# display helpers


def _show(*parts: str | None) -> None:
    """Display the non-empty parts as one Markdown output."""
    text = "\n\n".join(p for p in parts if p)
    if text:
        display(Markdown(text))


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _published(ctx, rows: pd.DataFrame) -> pd.DataFrame:
    """Indicator rows as the run publishes them (``[c]`` unless analyst-only): the marks of the
    run's one whole-table suppression (:func:`ot_benchmark.report.disclosure.as_published`); a
    year's figures, which that table does not hold, suppressed on their own."""
    if not ctx.suppress or not len(rows):
        return rows
    return disclosure.as_published(rows, ctx.published, catalogue=ctx.catalogue)


def _num(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


# --------------------------------------------------------------------------------------------
# small numbers in sentences


#: the words for a count withheld only because it would reveal a small one by subtraction
NOT_SHOWN = "a number not shown"
_WHY_NOT_SHOWN = " (how many is not shown: it would reveal a small number)"


def _cell_text(raw, shown) -> str:
    """A count as a published sentence may write it: ``shown`` is the published cell (``[c]``
    where the disclosure layer withholds it), ``raw`` the count. A withheld count the disclosure
    layer's primary rule calls small reads "fewer than 5"; one withheld only so that a small one
    cannot be worked out by subtraction reads "a number not shown"."""
    if disclosure.is_marked(shown):
        return disclosure.FEWER_THAN if disclosure.is_small_count(raw) else NOT_SHOWN
    return _whole(_num(raw))


def _marked_counts(parts: Mapping[str, float], total: str | None, suppress: bool) -> dict[str, str]:
    """Each count as the words a published sentence may use.

    ``parts`` maps a label to a count; ``total`` names the one that is the sum of the others
    (so the disclosure layer's secondary rule applies), or None (primary rule only).
    """
    labels = list(parts)
    values = [float(parts[k]) for k in labels]
    if not suppress:
        return {k: _whole(v) for k, v in zip(labels, values)}
    frame = pd.DataFrame({"part": ["all" if k == total else k for k in labels], "n": values})
    shown = disclosure.suppress_table(frame, counts=["n"], breakdown="part" if total else None)
    return {k: _cell_text(v, cell) for k, v, cell in zip(labels, values, shown["n"])}


def _some(text: str) -> tuple[str, str]:
    """A count as it stands in a sentence, and what to add after the clause: "some" and why
    for a count withheld by subtraction."""
    return ("some", _WHY_NOT_SHOWN) if text == NOT_SHOWN else (text, "")


def _whole(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "an unknown number of"
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


# --------------------------------------------------------------------------------------------
# the year


@dataclass(frozen=True)
class Year:
    """A financial year; ``first`` is the calendar year it starts in (2024 for 2024-25)."""

    first: int

    @property
    def label(self) -> str:
        return f"{self.first}-{(self.first + 1) % 100:02d}"

    @property
    def quarters(self) -> list[str]:
        return [Period(self.first, q).label for q in (1, 2, 3, 4)]

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.first, 4, 1)

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.first + 1, 3, 31)

    @property
    def previous(self) -> "Year":
        return Year(self.first - 1)

    def __str__(self) -> str:
        return self.label


def parse_year(text) -> Year:
    """``"2024-25"`` (also ``"2024/25"``, ``"2024-2025"``) -> :class:`Year`; ParameterError otherwise."""
    m = _YEAR_RE.match(str(text))
    if not m or int(m.group(2)[-2:]) != (int(m.group(1)) + 1) % 100:
        raise ParameterError(f"year {text!r} is not a financial year: write it like 2024-25 (or 'latest')")
    return Year(int(m.group(1)))


def _own_complaint_quarters(ctx) -> list[str]:
    """The quarters, up to the run's, for which the council has complaints figures."""
    ind = ctx.indicators
    own = ind.loc[(ind["authority_code"] == ctx.authority) & (ind["indicator_id"] == "K1")
                  & (ind["period"] <= ctx.period), "period"]
    return sorted_periods(own.astype(str).unique())


def resolve_year(ctx, year: str = "latest") -> Year:
    """The financial year an annual report is for (see "The annual report" in the module
    docstring): ``latest`` is the latest year whose four quarters are all in the council's
    complaints figures up to the run's quarter, else the run quarter's year so far.

    Raises
    ------
    ParameterError
        A year that is not a financial year, or one with no complaints figures for the council.
    """
    have = _own_complaint_quarters(ctx)
    if str(year).strip().lower() == "latest":
        if not have:
            return Year(ctx.period_obj.year)
        complete = [y for y in sorted({parse_period(q).year for q in have}, reverse=True)
                    if set(Year(y).quarters) <= set(have)]
        return Year(complete[0]) if complete else Year(ctx.period_obj.year)
    y = parse_year(year)
    if not set(y.quarters) & set(have):
        years = sorted({parse_period(q).financial_year for q in have})
        raise ParameterError(f"{ctx.council} has no complaints figures for {y.label}"
                             + (f"; it has {', '.join(years)}" if years else ""))
    return y


def _covered(ctx, year: Year) -> list[str]:
    """The year's quarters with complaints figures for the council."""
    have = set(_own_complaint_quarters(ctx))
    return [q for q in year.quarters if q in have]


# --------------------------------------------------------------------------------------------
# annual figures


def _active_cases(ctx, year: Year) -> float:
    """Distinct cases active (waiting or open) at any time in the year: referred on or before its
    last day and not closed before its first (the referrals extract); NaN without one."""
    ref = ctx.bundle.get("referrals")
    if ref is None or not len(ref):
        return math.nan
    own = ref[ref["authority_code"] == ctx.authority]
    active = (own["referral_date"] <= year.end) & (own["closure_date"].isna() | (own["closure_date"] >= year.start))
    return float(own.loc[active, "referral_id"].nunique())


def annual_table(ctx, year: Year) -> pd.DataFrame:
    """The council's complaints figures for a financial year, shaped like the indicator table
    (``period`` = the year's label), unsuppressed.

    Flow indicators: the sum of the year's quarters' numerators and denominators, the value
    recomputed from them (× the catalogue multiplier; a count is its numerator). K1's
    denominator is the cases active during the year (:func:`_active_cases`), not the sum of each
    quarter's. K9_overdue is its value at the last quarter-end of the year in the data. A column
    ``quarters`` says how many quarters went in.
    """
    cache = ctx.__dict__.setdefault("_complaints_annual", {})
    if year.label in cache:
        return cache[year.label]
    ind = ctx.indicators
    own = ind[(ind["authority_code"] == ctx.authority) & ind["period"].isin(year.quarters)]
    cat = ctx.cat
    cols = ["authority_code", "period", "indicator_id", "breakdown", "numerator", "denominator", "value", "unit",
            "quarters"]
    flows = own[own["indicator_id"].isin(_FLOWS)]
    if flows.empty:
        out = pd.DataFrame(columns=cols)
        cache[year.label] = out
        return out
    g = (flows.groupby(["indicator_id", "breakdown"], sort=False)
              .agg(numerator=("numerator", lambda s: s.sum(min_count=1)),
                   denominator=("denominator", lambda s: s.sum(min_count=1)),
                   quarters=("period", "nunique"))
              .reset_index())
    method = g["indicator_id"].map(cat["method"])
    mult = pd.to_numeric(g["indicator_id"].map(cat["multiplier"]), errors="coerce").fillna(1.0)
    k1 = g["indicator_id"] == "K1"
    g.loc[k1, "denominator"] = _active_cases(ctx, year)
    den = g["denominator"].where(g["denominator"] > 0)
    g["value"] = np.where(method.isin(["proportion", "rate"]), g["numerator"] / den * mult, g["numerator"])
    snap = own[own["indicator_id"].isin(_SNAPSHOTS)]
    if len(snap):
        last = snap[snap["period"] == max(snap["period"])]
        last = last[["indicator_id", "breakdown", "numerator", "denominator", "value"]].assign(quarters=1)
        g = pd.concat([g, last], ignore_index=True)
    g["authority_code"] = ctx.authority
    g["period"] = year.label
    g["unit"] = g["indicator_id"].map(cat["unit"])
    out = g[cols].reset_index(drop=True)
    cache[year.label] = out
    return out


def _two_years(ctx, year: Year) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the year's figures, and the year before's) as published."""
    both = pd.concat([annual_table(ctx, year), annual_table(ctx, year.previous)], ignore_index=True)
    shown = _published(ctx, both.drop(columns=["quarters"]))
    return both, shown


def _cell(frame: pd.DataFrame, year: Year, indicator_id: str, breakdown: str = "all", column: str = "numerator"):
    r = frame[(frame["period"] == year.label) & (frame["indicator_id"] == indicator_id) & (frame["breakdown"] == breakdown)]
    return r[column].iloc[0] if len(r) else math.nan


# --------------------------------------------------------------------------------------------
# year on year, in words


def year_on_year(current, previous, *, year: str, previous_year: str, current_shown=None, previous_shown=None) -> str:
    """A count this year against the year before, in the words councils' annual reports use.

    Parameters
    ----------
    current, previous : float
        The two counts (NaN when a year has no figure).
    year, previous_year : str
        Their labels (``2024-25``, ``2023-24``).
    current_shown, previous_shown : optional
        The published cells (``[c]`` where the disclosure layer withholds a count); default the
        counts themselves (nothing withheld).

    Returns
    -------
    str
        ``"536 in 2024-25, broadly the same as 538 in 2023-24"`` (a change under
        :data:`BROADLY_THE_SAME_PCT`); ``"down 13% from 289 in 2023-24 to 252 in 2024-25"``;
        with a withheld count no percentage: ``"fewer than 5 in 2024-25, down from 20 in 2023-24"``.

    Examples
    --------
    >>> year_on_year(536, 538, year="2019-20", previous_year="2018-19")
    '536 in 2019-20, broadly the same as 538 in 2018-19'
    >>> year_on_year(252, 289, year="2019-20", previous_year="2018-19")
    'down 13% from 289 in 2018-19 to 252 in 2019-20'
    """
    c, p = _num(current), _num(previous)
    cur = _cell_text(c, current if current_shown is None else current_shown)
    prev = _cell_text(p, previous if previous_shown is None else previous_shown)
    if math.isnan(c):
        return f"no figure for {year}"
    if math.isnan(p):
        return f"{cur} in {year} (there are no figures for {previous_year} to compare with)"
    c_hidden, p_hidden = cur in (disclosure.FEWER_THAN, NOT_SHOWN), prev in (disclosure.FEWER_THAN, NOT_SHOWN)
    if c_hidden or p_hidden:
        if cur == NOT_SHOWN or prev == NOT_SHOWN:
            return f"{cur} in {year} and {prev} in {previous_year} (small numbers are not shown)"
        if c_hidden and p_hidden:
            return f"{cur} in {year}, as in {previous_year}"
        # one side is "fewer than 5", the other 5 or more: the direction is known, not its size
        way = "down" if c_hidden else "up"
        return f"{cur} in {year}, {way} from {prev} in {previous_year}"
    if p == 0:
        return f"{cur} in {year}, none in {previous_year}" if c else f"none in {year} or {previous_year}"
    pct = (c - p) / p * 100.0
    if abs(pct) < BROADLY_THE_SAME_PCT:
        return f"{cur} in {year}, broadly the same as {prev} in {previous_year}"
    return f"{'up' if pct > 0 else 'down'} {abs(pct):.0f}% from {prev} in {previous_year} to {cur} in {year}"


def _count_sentence(subject: str, both: pd.DataFrame, shown: pd.DataFrame, year: Year, indicator_id: str,
                    breakdown: str = "all") -> str:
    """``"<Subject>: 536 in 2024-25, broadly the same as 538 in 2023-24."``"""
    phrase = year_on_year(_cell(both, year, indicator_id, breakdown), _cell(both, year.previous, indicator_id, breakdown),
                          year=year.label, previous_year=year.previous.label,
                          current_shown=_cell(shown, year, indicator_id, breakdown),
                          previous_shown=_cell(shown, year.previous, indicator_id, breakdown))
    return f"{_cap(subject)}: {phrase}."


def _share_phrase(both, shown, year: Year, indicator_id: str, breakdown: str = "all", *, of: str) -> str:
    """``"75.0% (30 of 40 <of>)"`` from a proportion's published numerator and denominator; what
    is withheld in words; "" when there is nothing to divide by."""
    num, den = _cell(both, year, indicator_id, breakdown), _cell(both, year, indicator_id, breakdown, "denominator")
    if math.isnan(_num(den)) or _num(den) == 0:
        return ""
    value = _cell(shown, year, indicator_id, breakdown, "value")
    n_text = _cell_text(num, _cell(shown, year, indicator_id, breakdown))
    d_text = _cell_text(den, _cell(shown, year, indicator_id, breakdown, "denominator"))
    if not disclosure.is_marked(value):
        return f"{narrative.format_value(value, '%')} ({n_text} of {d_text} {of})"
    if d_text == disclosure.FEWER_THAN:
        return f"not shown ({d_text} {of})"
    if d_text == NOT_SHOWN:
        return "not shown (it would reveal a small number)"
    if n_text == disclosure.FEWER_THAN:
        return f"{n_text} of {d_text} {of}"
    return f"not shown, of {d_text} {of} (it would reveal a small number)"


# --------------------------------------------------------------------------------------------
# the annual report's sections


def annual_title(ctx, year: str = "latest") -> None:
    """The annual report's heading: what it covers, under which rules, and for which quarters."""
    y = resolve_year(ctx, year)
    covered = _covered(ctx, y)
    prev_covered = _covered(ctx, y.previous)
    small = ("counts of 1 to 4 — and any figure that would reveal one — are not shown" if ctx.suppress
             else "**not suppressed: analyst-only output, not for publication**")
    parts = [
        f"# Complaints about occupational therapy: annual report {y.label}\n\n"
        f"## {ctx.council}",
        f"This report covers the complaints the council received and answered about its occupational therapy "
        f"service from {y.start:%-d %B %Y} to {y.end:%-d %B %Y}, with {y.previous.label} for comparison. It gives "
        "what regulation 18 of the Local Authority Social Services and National Health Service Complaints "
        "(England) Regulations 2009 asks an annual report to give: how many complaints were received, how many "
        "were well founded (upheld), how many went to the Local Government and Social Care Ombudsman, what "
        "they were about, and what the council has learned. Adult and children's social care complaints go "
        "through separate statutory procedures, so they have separate sections; complaints handled under "
        "the council's corporate procedure are reported beside them.",
        f"**Small numbers:** {small}.",
    ]
    if len(covered) < 4:
        quarters = ", ".join(q.split()[-1] for q in covered) or "none"
        parts.append(f"**The figures for {y.label} are incomplete:** the complaints data cover only these quarters of "
                     f"it: {quarters}.")
    if not prev_covered:
        parts.append(f"There are no complaints figures for {y.previous.label}, so there is no comparison with it.")
    elif len(prev_covered) < 4:
        parts.append(f"The data cover only part of {y.previous.label} ({', '.join(q.split()[-1] for q in prev_covered)}), "
                     "so comparisons with it are with those quarters.")
    _show(*parts)


def annual_summary(ctx, year: str = "latest") -> None:
    """At a glance: complaints received (all procedures and each), their share of the cases the
    service worked with, joint complaints with the NHS, and the Ombudsman, in the words of
    councils' annual reports, then the caveat that belongs to complaint rates."""
    y = resolve_year(ctx, year)
    both, shown = _two_years(ctx, y)
    if both[both["period"] == y.label].empty:
        _show(f"_There are no complaints figures for {ctx.council} in {y.label}._")
        return
    lines = [_count_sentence("new complaints received, all procedures", both, shown, y, "K1")]
    for stream, name in STREAM_NAMES.items():
        lines.append(_count_sentence(f"{name} complaints", both, shown, y, "K1", f"stream:{stream}"))
    share = _active_share(both, shown, y)
    if share:
        lines.append(share)
    stage2 = _share_phrase(both, shown, y, "K3", "stage:2", of="stage 2 responses")
    if stage2:
        lines.append(f"Stage 2 complaints (the children's and corporate procedures) answered within their timescale: "
                     f"{stage2}.")
    joint = _cell_text(_cell(both, y, "K11"), _cell(shown, y, "K11"))
    if joint not in ("no", "an unknown number of"):
        lines.append(f"{_cap(joint)} {_plural(joint, 'was a joint complaint', 'were joint complaints')} with the NHS, "
                     "handled with the NHS body under the 2009 regulations' joint arrangements.")
    omb = _cell_text(_cell(both, y, "K8"), _cell(shown, y, "K8"))
    lines.append("Complaints the Ombudsman took: "
                 + year_on_year(_cell(both, y, "K8"), _cell(both, y.previous, "K8"), year=y.label,
                                previous_year=y.previous.label, current_shown=_cell(shown, y, "K8"),
                                previous_shown=_cell(shown, y.previous, "K8")) + "."
                 if omb != "an unknown number of" else "")
    _show("\n".join(f"- {x}" for x in lines if x),
          "_" + narrative.FAMILY_CAVEATS["K"][0] + " So a rise in complaints is not, on its own, a sign of a worse "
          "service; read it with what the complaints were about and how many were upheld._")
    _quarters_figure(ctx, y)


def _quarter_cells(ctx, y: Year) -> pd.Series:
    """New complaints (all procedures) in each quarter of the year and the year before, as
    published beside the years' totals: each year's quarters are the parts of its total (the
    disclosure layer's secondary rule within them), and when that rule would need the total
    itself — which the report prints — the year's quarters are all withheld."""
    quarters = y.previous.quarters + y.quarters
    ind = ctx.indicators
    k1 = ind[(ind["authority_code"] == ctx.authority) & ind["period"].isin(quarters) & (ind["indicator_id"] == "K1")
             & (ind["breakdown"] == "all")].set_index("period")["numerator"]
    rows = []
    for yr in (y.previous, y):  # two years
        qs = [q for q in yr.quarters if q in k1.index]
        rows += [{"year": yr.label, "part": q, "n": float(k1[q])} for q in qs]
        if qs:
            rows.append({"year": yr.label, "part": "all", "n": float(k1[qs].sum())})
    frame = pd.DataFrame(rows, columns=["year", "part", "n"])
    if not ctx.suppress or frame.empty:
        return frame[frame["part"] != "all"].set_index("part")["n"]
    shown = disclosure.suppress_table(frame, counts=["n"], group_by=["year"], breakdown="part", total_label="all")
    total_hidden = shown.loc[disclosure.is_marked(shown["n"]) & (shown["part"] == "all"), "year"]
    shown["n"] = shown["n"].astype(object).where(~shown["year"].isin(total_hidden), disclosure.SYMBOL)
    return shown[shown["part"] != "all"].set_index("part")["n"]


def _quarters_figure(ctx, y: Year) -> None:
    """New complaints each quarter of the two years (figure ``complaints_by_quarter``); a
    withheld quarter is drawn as ``[c]``, not as a bar."""
    cells = _quarter_cells(ctx, y)
    if cells.empty:
        return
    quarters = y.previous.quarters + y.quarters
    fig = Figure(figsize=(9.0, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = np.arange(len(quarters))
    for x, q in zip(xs, quarters):  # eight quarters
        cell = cells.get(q, math.nan)
        colour = "#D55E00" if q in y.quarters else "#56789A"
        if disclosure.is_marked(cell):
            ax.text(x, 0, disclosure.SYMBOL, ha="center", va="bottom", fontsize=9, color="#444444")
        elif not math.isnan(_num(cell)):
            ax.bar(x, _num(cell), color=colour, width=0.7)
            ax.text(x, _num(cell), f"{_num(cell):,.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(xs, [q.replace(" ", "\n") for q in quarters], fontsize=8)
    ax.set_ylabel("New complaints (stage 1)")
    ax.set_title(f"New complaints each quarter, {y.previous.label} and {y.label}: {ctx.council}", fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    notes = [(ctx.banner, "#B00020")] if ctx.banner else []
    if disclosure.is_marked(cells).any():
        notes.append(("[c]: fewer than 5, or a figure that would reveal one, not shown.", "#444444"))
    if notes:  # a band of its own under the axes, so the notes never sit on the quarter labels
        band = 0.045 * len(notes) + 0.02
        fig.get_layout_engine().set(rect=(0, band, 1, 1 - band))
        for i, (text, colour) in enumerate(notes):
            fig.text(0.01, band - 0.02 - 0.045 * i, text, ha="left", va="top", fontsize=9, color=colour)
    export.save_figure(fig, "complaints_by_quarter", ctx.output_dir, banner=ctx.banner,
                       alt=f"Bar chart of new complaints each quarter of {y.previous.label} and {y.label}")


def _active_share(both, shown, y: Year, breakdown: str = "all") -> str:
    """"That is 1.2% of the 44,667 cases ..." for K1 (complaints ÷ cases active in the year)."""
    num, den = _cell(both, y, "K1", breakdown), _cell(both, y, "K1", breakdown, "denominator")
    if math.isnan(_num(den)) or _num(den) == 0:
        return ""
    value = _cell(shown, y, "K1", breakdown, "value")
    if disclosure.is_marked(value) or disclosure.is_marked(_cell(shown, y, "K1", breakdown)):
        return (f"The service worked with {_whole(_num(den))} cases during the year (waiting or open at some point); "
                "the share that complained is not shown (small numbers).")
    pct = _num(num) / _num(den) * 100
    pct_text = f"{pct:.1f}%" if pct >= 0.1 or pct == 0 else f"{pct:.2f}%"
    return (f"That is {pct_text} of the {_whole(_num(den))} cases the service worked with during the year (waiting "
            f"or open at some point), or {narrative.format_value(value, 'per 1,000 active cases')}.")


def stream_section(ctx, year: str, stream: str) -> None:
    """One procedure's year: complaints received and on the year before, their share of active
    cases, answered within timescale, upheld, joint with the NHS."""
    y = resolve_year(ctx, year)
    if stream not in STREAM_NAMES:
        raise ParameterError(f"stream {stream!r} is not one of {', '.join(STREAM_NAMES)}")
    both, shown = _two_years(ctx, y)
    name = STREAM_NAMES[stream]
    b = f"stream:{stream}"
    if both[(both["period"] == y.label) & (both["breakdown"] == b)].empty:
        _show(f"_There are no {name} complaints figures for {y.label}._")
        return
    received = _cell(both, y, "K1", b)
    lines = [f"Complaints are handled under {_STREAM_HEADINGS[stream]}.",
             "",
             "- **Received:** " + year_on_year(received, _cell(both, y.previous, "K1", b), year=y.label,
                                                previous_year=y.previous.label,
                                                current_shown=_cell(shown, y, "K1", b),
                                                previous_shown=_cell(shown, y.previous, "K1", b)) + "."]
    share = _active_share(both, shown, y, b)
    if share and _num(received) > 0:
        lines.append("- **As a share of active cases:** " + share.replace("That is ", ""))
    timely = _share_phrase(both, shown, y, "K3", b, of="responses that could be judged")
    if timely:
        lines.append(f"- **Answered within the timescale:** {timely}"
                     + (" — the response date agreed with the complainant." if stream == "asc_statutory" else "."))
    upheld = _share_phrase(both, shown, y, "K2", b, of="complaints decided")
    if upheld:
        lines.append(f"- **Upheld in full or in part:** {upheld}.")
    joint = _cell_text(_cell(both, y, "K11", b), _cell(shown, y, "K11", b))
    if joint not in ("no", "an unknown number of"):
        lines.append(f"- **Joint complaints with the NHS:** {joint}.")
    if _num(received) == 0 and not (_num(_cell(both, y, "K3", b, "denominator")) > 0):
        lines = lines[:3]
    _show("\n".join(lines))


def ombudsman_section(ctx, year: str = "latest") -> None:
    """The Ombudsman's year: complaints it took, its decisions, the cases the council had put right
    before its decision, recommendations complied with and financial remedies."""
    y = resolve_year(ctx, year)
    both, shown = _two_years(ctx, y)
    if both[both["period"] == y.label].empty:
        _show(f"_There are no Ombudsman figures for {y.label}._")
        return
    lines = ["- **Complaints the Ombudsman took:** "
             + year_on_year(_cell(both, y, "K8"), _cell(both, y.previous, "K8"), year=y.label,
                            previous_year=y.previous.label, current_shown=_cell(shown, y, "K8"),
                            previous_shown=_cell(shown, y.previous, "K8")) + "."]
    investigated = _share_phrase(both, shown, y, "K4", of="detailed investigations decided")
    lines.append(f"- **Upheld after a detailed investigation:** {investigated}." if investigated else
                 "- **Upheld after a detailed investigation:** the Ombudsman decided no detailed investigations in the year.")
    sat = _share_phrase(both, shown, y, "K10", of="upheld decisions")
    if not _recorded(ctx, "remedy_before_decision"):
        lines.append("- **Satisfactory remedy provided by the council:** not recorded in the complaints log "
                     "(`remedy_before_decision`).")
    elif sat:
        lines.append(f"- **Satisfactory remedy provided by the council:** {sat} — the council had already put things "
                     "right before the Ombudsman's decision, as the Ombudsman's annual review letter counts it.")
    comply = _share_phrase(both, shown, y, "K5", of="recommendations due")
    if comply:
        lines.append(f"- **Recommendations complied with:** {comply}.")
    n_pay = _cell(both, y, "K6_count")
    pay = _cell_text(n_pay, _cell(shown, y, "K6_count"))
    if pay not in ("no", "an unknown number of"):
        gbp = _cell(shown, y, "K6_gbp", column="value")
        money = ("the total is not shown (small numbers)" if disclosure.is_marked(gbp)
                 else f"{narrative.format_value(gbp, '£')} in all")
        lines.append(f"- **Financial remedies paid:** {pay}; {money}.")
    _show("\n".join(lines),
          "Where the Ombudsman finds fault, the council must consider its report and tell the Ombudsman, within "
          "three months, what it has done or proposes to do (Local Government Act 1974, section 31). The next "
          "section follows those remedies.")


def _recorded(ctx, column: str) -> bool:
    """Whether the council's complaints log fills ``column`` in at all."""
    k = ctx.bundle.get("complaints")
    if k is None or column not in k:
        return False
    return bool(k.loc[k["authority_code"] == ctx.authority, column].notna().any())


def remedies_section(ctx, year: str = "latest") -> None:
    """Remedies agreed with the Ombudsman in the year and their timeliness, and those overdue at
    the year's end."""
    y = resolve_year(ctx, year)
    if not _recorded(ctx, "remedy_due_date"):
        _show("_The complaints log does not record when the remedies agreed with the Ombudsman are due "
              "(`remedy_due_date`) or were completed (`remedy_completed_date`), so their timeliness cannot be "
              "followed._")
        return
    both, shown = _two_years(ctx, y)
    due = _share_phrase(both, shown, y, "K9", of="remedies due in the year")
    overdue = _cell_text(_cell(both, y, "K9_overdue", column="value"), _cell(shown, y, "K9_overdue", column="value"))
    lines = [f"- **Remedies agreed with the Ombudsman completed by their due date:** {due}." if due else
             f"- **Remedies agreed with the Ombudsman due in {y.label}:** none."]
    if overdue != "an unknown number of":
        lines.append(f"- **Overdue at {y.end:%-d %B %Y}** (due and not yet completed): "
                     f"{'none' if overdue == 'no' else overdue}.")
    _show("\n".join(lines), "Each quarter's remedies due and overdue are in the quarterly report's scrutiny view.")


def _two_way(counts: pd.DataFrame, suppress: bool) -> pd.DataFrame:
    """A themes × teams table of counts with its margins, withheld cells ``[c]``.

    Small numbers by the disclosure layer's rules applied both ways: its primary rule, then its
    secondary rule within every team's column (the themes and their total) and every theme's row
    (the teams and their total), repeated until no row or column has a lone withheld cell.
    """
    if not suppress:
        return counts
    rows, cols = list(counts.index), list(counts.columns)
    r_code = {r: ("all" if i == len(rows) - 1 else f"r{i}") for i, r in enumerate(rows)}
    c_code = {c: ("all" if j == len(cols) - 1 else f"c{j}") for j, c in enumerate(cols)}
    long = counts.rename(index=r_code, columns=c_code).stack().rename("n").reset_index()
    long.columns = ["row", "col", "n"]
    mask = disclosure.primary_mask(long["n"])
    while True:
        m = disclosure.secondary_mask(long, "n", mask, group_by=["col"], breakdown="row")
        m = disclosure.secondary_mask(long, "n", m, group_by=["row"], breakdown="col")
        if m.equals(mask):
            break
        mask = m
    shown = disclosure.apply_mask(long, pd.DataFrame({"n": mask}))
    wide = shown.pivot(index="row", columns="col", values="n")
    wide = wide.loc[list(r_code.values()), list(c_code.values())]
    wide.index, wide.columns = rows, cols
    return wide


def _themes_by_team(ctx, y: Year) -> tuple[pd.DataFrame | None, str | None]:
    """(themes × teams of the year's new complaints as published, or None; why there is none)."""
    k = ctx.bundle.get("complaints")
    if k is not None:
        k = k[(k["authority_code"] == ctx.authority) & (pd.to_numeric(k["stage"]) == 1)
              & k["received_date"].between(y.start, y.end)]
    if k is None or k.empty:
        return None, f"_No new complaints in {y.label}, so there is nothing to break down by theme._"
    if k["theme"].isna().all():
        return None, ("_The complaints log does not record what each complaint was about (its `theme`), so there is "
                      "no breakdown by theme. Recording it — delay, communication, a disputed decision, equipment and "
                      "adaptations, ... — is what lets this section show where complaints cluster and what changed "
                      "as a result._")
    theme = k["theme"].fillna("not recorded").str.replace("_", " ")
    team = k["team"].fillna("not recorded") if k["team"].notna().any() else pd.Series("", index=k.index)
    grid = pd.crosstab(theme, team)
    grid["All teams"] = grid.sum(axis=1)
    grid.loc["All themes"] = grid.sum(axis=0)
    grid = grid.sort_values("All teams", ascending=False, kind="stable")
    grid = pd.concat([grid.drop(index="All themes"), grid.loc[["All themes"]]])
    if "" in grid.columns:  # no team recorded: the themes alone
        grid = grid.drop(columns="")
    shown = _two_way(grid.astype(float), ctx.suppress)
    if disclosure.is_marked(shown.loc["All themes", "All teams"]):
        # the number of new complaints is printed above: a table that needs it withheld is not shown
        return None, f"_What {y.label}'s new complaints were about is not shown: the numbers are too small._"
    return shown, None


def learning_by_theme(ctx, year: str = "latest") -> None:
    """What the year's new complaints were about, by team (table ``themes_by_team``), the most
    common theme, and the changes the council declared; or why there is no breakdown."""
    y = resolve_year(ctx, year)
    shown, why = _themes_by_team(ctx, y)
    if shown is None:
        _show(why)
    else:
        top = shown.index[0]
        top_n, total = shown.loc[top, "All teams"], shown.loc["All themes", "All teams"]
        if not disclosure.is_marked(top_n) and top != "not recorded" and _num(top_n) > 0:
            pct = (f" ({_num(top_n) / _num(total) * 100:.0f}% of the {_whole(_num(total))} new complaints)"
                   if not disclosure.is_marked(total) and _num(total) > 0 else "")
            _show(f"The most common theme of new complaints in {y.label} was **{top}**: {_whole(_num(top_n))}{pct}.")
        table = shown.copy()
        table.insert(0, "theme", list(shown.index))
        table = table.reset_index(drop=True)
        table.columns = ["theme", *[str(c) for c in shown.columns]]
        published = export.save_table(table, "themes_by_team", ctx.output_dir, suppress=ctx.suppress, counts=[],
                                      sheet_title=f"New complaints by theme and team, {y.label}")
        display(tables.styled(published.rename(columns={"theme": "Theme"})))
    changes = ctx.settings.spc_changes(ctx.authority)
    changes = changes[changes["indicators"].map(lambda ids: not ids or any(str(i).startswith("K") for i in ids))]
    if not changes.empty:
        listed = "; ".join(f"from {p}: {n}" if n else f"from {p}" for p, n in zip(changes["period"], changes["note"]))
        _show(f"**Changes the council has made** (declared in its settings, and marked on its charts): {listed}.")


def annual_notes(ctx, year: str = "latest") -> None:
    """How the annual figures were made, the caveats, and every annual figure (table
    ``annual_figures``, small numbers withheld)."""
    y = resolve_year(ctx, year)
    both, shown = _two_years(ctx, y)
    caveat_list = narrative.caveats(sorted(set(both["indicator_id"])), ctx.catalogue, synthetic=ctx.synthetic)
    _show("**How the figures were made.** Each year's figure adds up the four quarters of the council's quarterly "
          "complaints figures (the indicator table the quarterly reports use): counts are summed, and a "
          "percentage is worked out again from the summed numbers (never an average of four percentages). "
          "Complaints as a share of active cases divide by the distinct cases active at some point in the year, "
          "and remedies overdue are those at the year's last quarter-end. Themes by team are counted from the "
          "complaints log (the new complaints received in the year). A complaint is counted once, when it is "
          "received at stage 1; each stage's response is judged against that stage's timescale.",
          "\n".join(f"- {c}" for c in caveat_list))
    table = shown.merge(both[["period", "indicator_id", "breakdown", "quarters"]], on=["period", "indicator_id", "breakdown"],
                        how="left")
    table = table.merge(ctx.catalogue[["indicator_id", "name"]], on="indicator_id", how="left")
    table = table[["period", "indicator_id", "name", "breakdown", "numerator", "denominator", "value", "unit", "quarters"]]
    export.save_table(table, "annual_figures", ctx.output_dir, suppress=ctx.suppress, counts=[],
                      sheet_title=f"Complaints figures for {y.label} and {y.previous.label} (sums of quarters)")


# --------------------------------------------------------------------------------------------
# the scrutiny view (quarterly report)


def _stage_2_spc(ctx) -> None:
    """Stage 2 timescales quarter by quarter as an SPC chart (figure ``complaints_stage2_spc``),
    re-based at the council's known changes; or why it is not shown."""
    meta = ctx.cat.loc["K3"]
    series = plots.indicator_rows(ctx.indicators, "K3", authorities=[ctx.authority], upto=ctx.period,
                                  breakdown="stage:2")
    own = ctx.indicators[(ctx.indicators["authority_code"] == ctx.authority) & (ctx.indicators["period"] <= ctx.period)]
    shown = _published(ctx, own.reset_index(drop=True))
    shown = shown[(shown["indicator_id"] == "K3") & (shown["breakdown"] == "stage:2")
                  & shown["period"].isin(series["period"])]
    reason = sections.spc_withheld(series, shown)
    if reason == "too_few":
        _show(f"_Stage 2 timescales: fewer than {sections.SPC_MIN_QUARTERS} quarters had stage 2 responses to judge, "
              "so there is no chart._")
        return
    if reason == "small_numbers":
        _show(f"_Stage 2 timescales are not charted: some quarters rest on {disclosure.FEWER_THAN} stage 2 responses._")
        return
    target = resolve_target("K3", ctx.catalogue, ctx.settings.get("targets"))
    rebase = ctx.settings.spc_rebase(ctx.authority, series["period"], "K3")  # settings [spc] known changes
    points, fitted = spc.xmr(series, date_col="period", target=target, rebase=rebase["period"],
                             improvement_direction=tables.improvement_direction(meta["polarity"]))
    fig = plots.spc_chart(points, title=f"Stage 2 complaints answered within timescale, {ctx.council}, quarter by quarter",
                          value_label=plots.unit_label("%"), banner=ctx.banner)
    export.save_figure(fig, "complaints_stage2_spc", ctx.output_dir, banner=ctx.banner,
                       alt=f"Statistical process control chart of stage 2 complaints answered within timescale for "
                           f"{ctx.council}, with the council's known changes marked")
    _show(narrative.spc_sentence(fitted["variation"], fitted["assurance"], target=target, unit="%",
                                 n_points=fitted["n_points"], points=points),
          narrative.spc_rebase_sentence(rebase))


def scrutiny_view(ctx) -> None:
    """What a scrutiny panel asks of complaints each quarter: stage 2 timescales as an SPC chart
    with the council's known changes marked (an investigator recruitment, say), the remedies
    agreed with the Ombudsman due and overdue, and the Ombudsman's recommendations due and
    complied with, over the last four quarters (table ``complaints_scrutiny``). Nothing when the
    council has no complaints figures (the complaints part is then left out whole)."""
    if not sections.family_has_figures(ctx, "K"):
        return
    _show("### For the scrutiny panel\n\nHow stage 2 complaints are being answered since the council's known changes, "
          "and whether the remedies agreed with the Ombudsman are being delivered on time.")
    _stage_2_spc(ctx)
    last4 = [ctx.period_obj.shift(-k).label for k in (3, 2, 1, 0)]
    ind = ctx.indicators
    own = ind[(ind["authority_code"] == ctx.authority) & ind["period"].isin(last4)].reset_index(drop=True)
    shown = _published(ctx, own)
    shown = shown.set_index(["period", "indicator_id", "breakdown"])
    rows = []
    for q in last4:  # four quarters
        def get(i, col, b="all", q=q):
            return shown[col].get((q, i, b), math.nan)
        rows.append({"quarter": q,
                     "stage_2_answered": get("K3", "denominator", "stage:2"),
                     "stage_2_within_timescale": get("K3", "numerator", "stage:2"),
                     "remedies_due": get("K9", "denominator"), "completed_by_due_date": get("K9", "numerator"),
                     "overdue_at_quarter_end": get("K9_overdue", "value"),
                     "recommendations_due": get("K5", "denominator"),
                     "recommendations_complied": get("K5", "numerator")})
    table = pd.DataFrame(rows)
    published = export.save_table(table, "complaints_scrutiny", ctx.output_dir, suppress=ctx.suppress, counts=[],
                                  sheet_title=f"Complaints: stage 2, Ombudsman remedies and recommendations, "
                                              f"{last4[0]} to {last4[-1]}")
    overdue = published["overdue_at_quarter_end"].iloc[-1]
    if disclosure.is_marked(overdue):
        words = f"{disclosure.FEWER_THAN} remedies agreed with the Ombudsman were overdue"
    elif math.isnan(_num(overdue)):
        words = "the complaints log does not record remedy due dates, so overdue remedies cannot be counted"
    else:
        n = _whole(_num(overdue))
        words = f"{n} {_plural(n, 'remedy', 'remedies')} agreed with the Ombudsman {_plural(n, 'was', 'were')} overdue"
    _show(f"At the end of {ctx.period}, {words}.")
    display(tables.styled(published.rename(columns={
        "quarter": "Quarter", "stage_2_answered": "Stage 2 answered", "stage_2_within_timescale": "Stage 2 within timescale",
        "remedies_due": "Ombudsman remedies due", "completed_by_due_date": "Completed by the due date",
        "overdue_at_quarter_end": "Overdue at the quarter's end", "recommendations_due": "Recommendations due",
        "recommendations_complied": "Recommendations complied with"})))
