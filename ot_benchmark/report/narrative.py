"""Plain-English sentences generated from the numbers, with the caveats that belong to them.

The report's words come from here so that every sentence follows the figures it describes and
the disclosure rules: with ``suppress=True`` (published output) a count of 1-4, or a rate or
percentage built on such a count, is never written into a sentence — it reads "fewer than 5"
(a value already replaced by ``[c]`` by :mod:`ot_benchmark.report.disclosure` is treated the same).

Public functions

* :func:`format_value` — a number with its unit as a reader writes it (``77.0%``, ``42 days``,
  ``£35.20 per item``).
* :func:`indicator_sentence` — one sentence: the value, the change on the previous period, the
  comparison with comparator councils and the rank, e.g.
  ``"42 people have waited more than six months, up from 35; similar to comparator councils."``
* :func:`indicator_sentences` — the same for every row of a comparison table.
* :func:`spc_sentence`, :func:`variation_label`, :func:`assurance_label` — Making Data Count
  icons in words, naming the rule that fired (:func:`spc_rule_phrase`); :func:`spc_rebase_sentence` — where and why a chart's limits were re-based
  (the council's known changes, settings ``[spc] changes``).
* :func:`funnel_dispersion_sentence` — whether councils differ more than chance explains
  (Spiegelhalter's φ) and whether the council is still unusual once that is allowed for.
* :func:`trend_sentence` — the council's latest quarter against the quarter before and a year
  earlier (and whether the change is more than chance), and how its comparator group moved.
* :func:`caveats` — the caveats that belong to a set of indicators (catalogue ``caveat`` column,
  the family caveats of the indicator reference, small numbers, synthetic data).
* :func:`family_markdown` — a Markdown block (sentences then caveats) for one report section.

Periods are named in the words of their kind (a quarter, a financial year or a month: "the year
before", "seven years in a row"), read from the rows' own ``period`` labels and put in words by
the one rule :func:`ot_benchmark.periods.period_words`; rows without a period read as quarters.

Text only: the reader-facing tables the notebooks show (and the selection behind them) are in
:mod:`ot_benchmark.report.tables`. The sentences are Markdown: a name, caveat or note that comes
from a local catalogue or a settings file goes in through :func:`ot_benchmark.report.safe.md`, so
it shows as text and can never become markup; the ``council`` a caller passes should be too.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping, Sequence

import pandas as pd

from ot_benchmark.compare.benchmark import mad_band
from ot_benchmark.periods import PeriodWords, period_words
from ot_benchmark.report import disclosure, safe
from ot_benchmark.report.disclosure import FEWER_THAN as _FEWER_THAN, NOT_SHOWN as _NOT_SHOWN

__all__ = [
    "SUPPRESSED",
    "FAMILY_NAMES",
    "FAMILY_CAVEATS",
    "SYNTHETIC_CAVEAT",
    "SMALL_NUMBERS_CAVEAT",
    "basis_short",
    "comparator_short",
    "small_numbers_caveat",
    "format_value",
    "is_suppressed",
    "count_phrase",
    "change_phrase",
    "comparison_phrase",
    "verdict_of",
    "basis_phrase",
    "robust_distance_phrase",
    "comparator_description",
    "verdict_caption",
    "rank_phrase",
    "indicator_sentence",
    "indicator_sentences",
    "variation_label",
    "assurance_label",
    "spc_sentence",
    "spc_rule_phrase",
    "spc_rebase_sentence",
    "funnel_dispersion_sentence",
    "trend_sentence",
    "caveats",
    "family_markdown",
]

SUPPRESSED = disclosure.SYMBOL

FAMILY_NAMES = {
    "W": "Waiting for assessment",
    "C": "Caseload and workforce",
    "E": "Community equipment",
    "K": "Complaints",
    "U": "Costs",
    "A": "Adaptations",
    "O": "Outcomes",
    "local": "Local indicators",
}

#: Caveats that belong to a whole family of indicators ("Caveats that belong in reports").
FAMILY_CAVEATS = {
    "W": [
        "Councils define waiting lists and record contacts differently, so comparisons of waits "
        "between councils need care; ADASS warns against reading them as a league table.",
    ],
    "K": [
        "A higher complaint rate can mean an accessible complaints process, not a worse service "
        "(the Ombudsman says this of its own figures).",
    ],
    "U": [
        "Finance series break at 2014-15 (PSS-EX1 to ASC-FR): trends are never joined across the "
        "break.",
    ],
}


def small_numbers_caveat(words: PeriodWords | None = None) -> str:
    """The small-numbers caveat, in the words of the periods (default: quarters)."""
    w = words or period_words("quarter")
    return f"Some figures rest on small numbers; rates on small numbers swing widely from {w.noun} to {w.noun}."


SMALL_NUMBERS_CAVEAT = small_numbers_caveat()
SYNTHETIC_CAVEAT = ("These figures come from synthetic demonstration data and are not any real "
                    "council's performance.")

# What each indicator's sentence states. "count" sentences state the numerator (a number of
# people, items, ...); "value" sentences state the value with its unit. Placeholders:
# {q} the stated quantity with its unit, {people} the count followed by person/people,
# {pct_clause} " (8.1% of everyone waiting)" for count sentences of proportion indicators
# (empty when suppressed or not a proportion), {period} the row's kind of period ("quarter").
_PHRASES: dict[str, tuple[str, str]] = {
    "W1": ("count", "{people} were waiting for an OT assessment at the end of the {period}"),
    "W2_median": ("value", "half of the people waiting had already waited {q} or more"),
    "W2_p90": ("value", "one in ten people waiting had already waited {q} or more"),
    "W3": ("value", "the longest current wait was {q}"),
    "W4_26wk": ("count", "{people} have waited more than six months{pct_clause}"),
    "W4_52wk": ("count", "{people} have waited more than a year{pct_clause}"),
    "W5": ("value", "{q} of the people assessed in the {period} were seen within the target time for "
                    "their priority"),
    "W6_median": ("value", "people assessed in the {period} had waited a median of {q} from referral"),
    "W6_p90": ("value", "one in ten people assessed in the {period} had waited {q} or more"),
    "W6_mean": ("value", "the mean wait of people assessed in the {period} was {q} (a secondary "
                         "measure, pulled up by a few very long waits)"),
    "W6k": ("value", "half of the people referred in the {period} were assessed within {q}"),
    "W7": ("value", "{q} of people waiting more than six months had been contacted in the last six "
                    "months"),
    "W8_referrals": ("count", "{n} referrals were received in the {period}"),
    "W8_assessments": ("count", "{n} first assessments were completed in the {period}"),
    "W8_closed_unassessed": ("count", "{n} referrals were closed without an assessment"),
    "W1_per_10k": ("value", "the waiting list came to {q}"),
    "W8_referrals_per_10k": ("value", "referrals came to {q} in the {period}"),
    "W8_assessments_per_10k": ("value", "first assessments came to {q} in the {period}"),
    "W8_closed_unassessed_per_10k": ("value", "closures without assessment came to {q} in the {period}"),
    "W8_net_change_per_10k": ("value", "the waiting list changed by {q} over the {period}"),
    "C1": ("value", "the open caseload (excluding cases on review) was {q}"),
    "C2": ("value", "first assessments in the {period} came to {q}"),
    "C3": ("value", "{q} cases were closed for every referral received"),
    "C4": ("value", "{q} of funded OT posts were vacant"),
    "C6": ("value", "agency staff made up {q} of the OT workforce"),
    "E1": ("value", "{q} of equipment items were delivered within the standard time"),
    "E2": ("value", "equipment items collected were {q} of items delivered"),
    "E3": ("value", "{q} of collected items were returned to stock for reuse"),
    "E5": ("value", "{q} of collections were made on time"),
    "K1": ("value", "the complaint rate was {q}"),
    "K2": ("value", "{q} of complaints decided were fully or partly upheld"),
    "K3": ("value", "{q} of complaints were answered within the timescale"),
    "U1_direct": ("value", "the direct OT staff cost was {q}"),
    "U2_gross": ("value", "gross equipment spend was {q} delivered"),
}
_SUPPRESSIBLE_COUNT_METHODS = {"count", "proportion", "rate"}


# --------------------------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------------------------

def _num(x) -> float:
    """A float, NaN for blanks, ``[c]`` and anything not numeric."""
    if x is None:
        return math.nan
    if isinstance(x, str):
        try:
            return float(x.replace(",", ""))
        except ValueError:
            return math.nan
    try:
        f = float(x)
    except (TypeError, ValueError):
        return math.nan
    return f


def _round_half_up(x: float, decimals: int) -> Decimal:
    """``x`` rounded to ``decimals`` places, halves away from zero, as a reader rounds the number
    as written: on its shortest repr (65.45 -> 65.5, 0.125 -> 0.13), not on the binary float
    (Python's ``round`` gives 65.4: the float 65.45 is 65.4499999...) and not to even."""
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)


def _fmt_number(x: float, decimals: int) -> str:
    if not math.isfinite(x):
        return f"{x:,.{int(decimals)}f}"
    r = _round_half_up(x, decimals)
    if r == 0:
        r = abs(r)  # never "-0"
    return f"{r:,.{int(decimals)}f}"


def _decimals_or_none(decimals) -> int | None:
    """A catalogue ``decimals`` cell (int, float, <NA>, NaN, None, "") as an int, or None."""
    if decimals is None or isinstance(decimals, str) and not decimals.strip():
        return None
    try:
        if pd.isna(decimals):
            return None
        return int(decimals)
    except (TypeError, ValueError):
        return None


def format_value(value, unit: str | None, *, decimals: int | None = None) -> str:
    """A value with its unit, as a reader would write it.

    Parameters
    ----------
    value : float
        Already multiplied (a 77% proportion is 77.0).
    unit : str
        The catalogue unit (``%``, ``% change``, ``days``, ``£``, ``£ per item``,
        ``per 1,000 active cases``, ``people``, ``WTE``, ``ratio``, ...).
    decimals : int, optional
        Default: 1 for percentages, rates and ratios (2 for ``ratio``), 0 for days and counts,
        2 for £ amounts under 100 and 0 above. Pass the catalogue's ``decimals`` (also carried
        by the comparison table); a blank one (<NA>, NaN, None) means the default.

    Numbers are rounded half up, on the value as written (65.45 -> 65.5, 0.125 -> 0.13).

    Returns
    -------
    str
        ``"77.0%"``, ``"+26.0%"``, ``"42 days"``, ``"1 day"``, ``"£12,250"``, ``"£35.20 per item"``,
        ``"1.2 per 1,000 active cases"``, ``"1.05"``; ``"no value"`` for NaN; ``"[c]"`` passes
        through.

    Examples
    --------
    >>> format_value(77.04, "%")
    '77.0%'
    >>> format_value(12250, "£")
    '£12,250'
    """
    if isinstance(value, str) and value.strip() == SUPPRESSED:
        return SUPPRESSED
    v = _num(value)
    if math.isnan(v):
        return "no value"
    decimals = _decimals_or_none(decimals)
    u = (unit or "").strip()
    if u == "%":
        return _fmt_number(v, 1 if decimals is None else decimals) + "%"
    if u == "% change":
        d = 0 if decimals is None else decimals
        if decimals is None and v != 0 and _round_half_up(v, 0) == 0:
            d = 1  # a change under half a percent is shown as such, not as "+0%"
        return ("+" if _round_half_up(v, d) > 0 else "") + _fmt_number(v, d) + "%"
    if u.startswith("£"):
        rest = u[1:].strip()
        d = decimals if decimals is not None else (2 if abs(v) < 100 and rest else 0)
        sign = "-" if v < 0 else ""
        return f"{sign}£{_fmt_number(abs(v), d)}" + (f" {rest}" if rest else "")
    if u == "days":
        d = 0 if decimals is None else decimals
        txt = _fmt_number(v, d)
        return f"{txt} day" if txt == "1" else f"{txt} days"
    if u == "ratio":
        return _fmt_number(v, 2 if decimals is None else decimals)
    if u in {"people", "referrals", "assessments", "cases", "payments", "items", "contacts", "complaints"}:
        return _fmt_number(v, 0 if decimals is None else decimals)
    d = 1 if decimals is None else decimals
    return f"{_fmt_number(v, d)} {u}".strip()


def is_suppressed(row: Mapping) -> bool:
    """Whether a published row's figure is withheld: its ``value`` or ``numerator`` holds the
    ``[c]`` marker. Deciding what is withheld is :mod:`ot_benchmark.report.disclosure`'s job
    alone; sentences only read its marks."""
    return disclosure.is_marked(row.get("value")) or disclosure.is_marked(row.get("numerator"))


_INDICATOR_DEFAULTS = {"indicator_id": "", "breakdown": "all", "numerator": math.nan,
                       "denominator": math.nan, "value": math.nan}


def _published(rows: pd.DataFrame, catalogue: pd.DataFrame | None) -> pd.DataFrame:
    """Rows as published (:func:`ot_benchmark.report.disclosure.published_once`: rows the run has
    published as they are, others suppressed; cells already ``[c]`` stay so). Rows lacking an
    indicator-table column get its blank (an unknown ``indicator_id`` is read as counting people:
    it errs towards suppressing)."""
    missing = {c: v for c, v in _INDICATOR_DEFAULTS.items() if c not in rows.columns}
    if not missing:
        return disclosure.published_once(rows, catalogue=catalogue)
    shown = disclosure.published_once(rows.assign(**missing), catalogue=catalogue)  # assign keeps the flag
    return shown.drop(columns=list(missing))


def _published_row(row: Mapping | None, catalogue: pd.DataFrame | None) -> Mapping | None:
    if row is None:
        return None
    if disclosure.is_published(row):  # a row of a frame already as the run publishes it
        return dict(row)
    return _published(pd.DataFrame([dict(row)]), catalogue).iloc[0].to_dict()


# --------------------------------------------------------------------------------------------
# phrases
# --------------------------------------------------------------------------------------------

def count_phrase(n, *, suppress: bool = True) -> str:
    """A count as words for a sentence: ``"1,234"``, or ``"fewer than 5"`` for 1-4 when
    ``suppress``; ``"no"`` for 0."""
    v = _num(n)
    if math.isnan(v):
        return "an unknown number of"
    if v == 0:
        return "no"
    if suppress and disclosure.is_small_count(v):
        return _FEWER_THAN
    return _fmt_number(v, 0)


def change_phrase(current: float, previous: float, text_previous: str, *,
                  previous_suppressed: bool = False, text_current: str | None = None,
                  words: PeriodWords | None = None) -> str:
    """``"up from 35"``, ``"down from 35"``, ``"the same as the previous quarter"`` or ``""``
    (``words``: the periods' words, :func:`ot_benchmark.periods.period_words`; default quarters).

    ``text_previous`` is the previous value already formatted (with its unit); with
    ``previous_suppressed`` it reads "fewer than 5" and only an increase from it is stated.
    When ``text_current`` (the current value as printed) equals ``text_previous`` the change is
    too small to show at the printed precision: "about the same as the previous quarter" (so a
    sentence never reads "51 days, down from 51 days").
    """
    c, p = _num(current), _num(previous)
    previous_period = (words or period_words("quarter")).previous
    if previous_suppressed:
        if not math.isnan(c) and c > disclosure.THRESHOLD:
            return f"up from {_FEWER_THAN}"
        return ""
    if math.isnan(c) or math.isnan(p):
        return ""
    if c != p and text_current is not None and text_current == text_previous:
        return f"about the same as {previous_period}"
    if c > p:
        return f"up from {text_previous}"
    if c < p:
        return f"down from {text_previous}"
    return f"the same as {previous_period}"


_COMPARISON_TEXT = {
    "better": "better than comparator councils",
    "worse": "worse than comparator councils",
    "similar": "similar to comparator councils",
    "higher": "higher than comparator councils",
    "lower": "lower than comparator councils",
    "not compared": "not compared with other councils",
    "not_compared": "not compared with other councils",
}


def comparison_phrase(comparison: str | None) -> str:
    """Fingertips label -> words: ``"Similar"`` -> ``"similar to comparator councils"``.

    Accepts the labels of :func:`ot_benchmark.compare.benchmark.benchmark` (``comparison``:
    higher/similar/lower/not_compared; ``assessment``: better/similar/worse/not_compared) in any
    case. Unknown or blank labels, and ``not_applicable``, give ``""`` (nothing is claimed).
    """
    if comparison is None or (isinstance(comparison, float) and math.isnan(comparison)):
        return ""
    return _COMPARISON_TEXT.get(str(comparison).strip().lower(), "")


_VERDICT_WORDS = {"better", "similar", "worse", "higher", "lower", "not_compared"}


def verdict_of(row: Mapping) -> str | None:
    """The one verdict of a comparison row (``better``, ``similar``, ``worse``, ``higher``,
    ``lower``, ``not_compared``), or None when the row has none.

    It is the row's ``verdict`` (:func:`ot_benchmark.compare.benchmark.benchmark`: the rule in
    docs/methods.md). A row made by hand without one (tests, older tables) falls back to its
    ``assessment`` when that is a verdict word, else its ``comparison``: the interval alone.
    Every sentence, table cell and chart caption reads the verdict through this function.
    """
    get = row.get
    for col in ("verdict", "assessment", "comparison"):
        v = get(col)
        if isinstance(v, str) and v.strip().lower().replace(" ", "_") in _VERDICT_WORDS:
            return v.strip().lower().replace(" ", "_")
    return None


def _phi_value(row: Mapping) -> float:
    return _num(row.get("funnel_phi"))


def basis_phrase(row: Mapping) -> str:
    """What a row's verdict rests on, in words (``verdict_basis``); ``""`` when nothing.

    ``interval``: "judged by its 95% confidence interval against the group figure";
    ``overdispersion_funnel``: "judged against funnel limits widened because councils differ
    more than chance explains (dispersion ratio φ = 29)"; ``robust_distance``: "judged by its
    distance from the group median (1.95 median absolute deviations above it; band: above)",
    the band in the words of :func:`ot_benchmark.compare.benchmark.mad_band` (the row's
    ``mad_band``, else worked out from its ``mad_distance``).
    """
    basis = str(row.get("basis") or row.get("verdict_basis") or "").strip().lower()
    if basis == "interval":
        conf = _num(row.get("comparison_confidence"))
        level = "99.8%" if conf == 99.8 else "95%"
        return f"judged by its {level} confidence interval against the group figure"
    if basis == "overdispersion_funnel":
        phi = _phi_value(row)
        txt = f" (dispersion ratio φ = {_phi_text(phi)})" if not math.isnan(phi) else ""
        return f"judged against funnel limits widened because councils differ more than chance explains{txt}"
    if basis == "robust_distance":
        where = robust_distance_phrase(row)
        return "judged by its distance from the group median" + (f" ({where})" if where else "")
    return ""


def basis_short(row: Mapping) -> str:
    """What a row's verdict rests on, in a few words for the summary's column (the key above the
    table, and :func:`basis_phrase`, say it in full): ``"Confidence interval"``, ``"Widened funnel
    (φ = 29)"``, ``"Distance from median: 1.95 MAD above"``; ``""`` when nothing."""
    basis = str(row.get("basis") or row.get("verdict_basis") or "").strip().lower()
    if basis == "interval":
        conf = _num(row.get("comparison_confidence"))
        return "99.8% confidence interval" if conf == 99.8 else "Confidence interval"
    if basis == "overdispersion_funnel":
        phi = _phi_value(row)
        return f"Widened funnel (φ = {_phi_text(phi)})" if not math.isnan(phi) else "Widened funnel"
    if basis == "robust_distance":
        d = _num(row.get("mad_distance"))
        if math.isnan(d) or math.isinf(d):
            return "Distance from median"
        r = round(d, 2)
        band = row.get("mad_band")
        if not (isinstance(band, str) and band.strip()):
            band = mad_band([d]).iloc[0]
        where = "at the median" if r == 0 else f"{abs(r):.2f} MAD {'above' if r > 0 else 'below'}"
        return f"Distance from median: {where}" + (f" (band: {band})" if isinstance(band, str) and band else "")
    return ""


def comparator_short(row: Mapping) -> str:
    """What the group figure is, in a few words for the summary (:func:`comparator_description`
    in full): ``"pooled, 16 councils"``, ``"median, 4 councils, not this one"``; ``""`` when none."""
    method = str(row.get("comparator_method") or "")
    n = _num(row.get("n_comparators"))
    if method not in ("pooled", "group_median") or math.isnan(n) or n < 1:
        return ""
    councils = f"{int(n)} council" + ("" if int(n) == 1 else "s")
    incl = row.get("comparator_includes_self")
    excluded = incl is not None and not (isinstance(incl, float) and math.isnan(incl)) and not bool(incl)
    return f"{'pooled' if method == 'pooled' else 'median'}, {councils}" + (", not this one" if excluded else "")


def robust_distance_phrase(row: Mapping, *, median: str = "it") -> str:
    """A figure's robust distance from its group median with its band, as read (two decimal
    places): ``"2.30 median absolute deviations below it; band: above"``, ``"at the median;
    band: broadly similar"``, ``"the other councils all have the same figure"``; ``""`` without a
    distance. ``median`` names the median (``"the group median"`` in a sentence)."""
    d = _num(row.get("mad_distance"))
    if math.isinf(d):
        return "the other councils all have the same figure"
    if math.isnan(d):
        return ""
    r = round(d, 2)
    band = row.get("mad_band")
    if not (isinstance(band, str) and band.strip()):
        band = mad_band([d]).iloc[0]
    side = "above" if r > 0 else "below"
    where = "at the median" if r == 0 else f"{abs(r):.2f} median absolute deviations {side} {median}"
    return f"{where}; band: {band}" if isinstance(band, str) and band else where


def comparator_description(row: Mapping) -> str:
    """What the group figure beside a council's figure is, in words: ``"pooled figure of 16
    councils (this council included)"``, ``"median of 4 councils' figures (this council not
    included)"``; ``""`` when there is none."""
    method = str(row.get("comparator_method") or "")
    n = _num(row.get("n_comparators"))
    if method not in ("pooled", "group_median") or math.isnan(n) or n < 1:
        return ""
    incl = row.get("comparator_includes_self")
    self_text = ""
    if incl is not None and not (isinstance(incl, float) and math.isnan(incl)):
        self_text = " (this council included)" if bool(incl) else " (this council not included)"
    councils = f"{int(n)} council" + ("" if int(n) == 1 else "s")
    if method == "pooled":
        return f"pooled figure of {councils}{self_text}"
    return f"median of {councils}' figures{self_text}"


def verdict_caption(row: Mapping, *, council: str = "this council", suppress: bool = True,
                    catalogue: pd.DataFrame | None = None) -> str:
    """The chart caption stating a figure's one verdict and what it rests on, e.g.
    ``"Compared with the group: Lancashire is similar to comparator councils, judged against
    funnel limits widened because councils differ more than chance explains (dispersion ratio
    φ = 29)."`` ``""`` when there is no verdict, or the figure is withheld (``[c]``)."""
    if suppress and is_suppressed(_published_row(row, catalogue)):
        return ""
    v = verdict_of(row)
    phrase = comparison_phrase(v)
    if not v or v == "not_compared" or not phrase:
        return ""
    basis = basis_phrase(row)
    return f"Compared with the group: {council} is {phrase}" + (f", {basis}" if basis else "") + "."


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_phrase(rank, n_in_group, polarity: str | None) -> str:
    """``"ranked 4th of 16 (1st = best)"``; ``""`` for context indicators, a missing rank, or a
    group of one."""
    r, n = _num(rank), _num(n_in_group)
    if polarity not in {"higher_is_better", "lower_is_better"} or math.isnan(r) or math.isnan(n) or n < 2:
        return ""  # no rank without another council to rank against ("1st of 1")
    return f"ranked {_ordinal(int(r))} of {int(n)} (1st = best)"


def _is_small(numerator, denominator, method, small_n) -> bool:
    """Small numbers: a proportion or mean on fewer than ``small_n`` people, or a rate built on
    fewer than ``small_n`` events (a rate's denominator is an exposure such as WTE)."""
    if method in {"proportion", "mean"}:
        d = _num(denominator)
        return not math.isnan(d) and 0 < d < small_n
    if method == "rate":
        n = _num(numerator)
        return not math.isnan(n) and 0 <= n < small_n
    return False


def _people(n_text: str) -> str:
    if n_text == _FEWER_THAN:
        return f"{_FEWER_THAN} people"
    return f"{n_text} person" if n_text == "1" else f"{n_text} people"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def indicator_sentence(
    current: Mapping,
    *,
    name: str | None = None,
    unit: str | None = None,
    method: str | None = None,
    polarity: str | None = None,
    indicator_id: str | None = None,
    previous: Mapping | None = None,
    comparison: str | None = None,
    rank=None,
    n_in_group=None,
    suppress: bool = True,
    small_n: int | None = 30,
    catalogue: pd.DataFrame | None = None,
) -> str:
    """One plain-English sentence about one indicator value.

    Parameters
    ----------
    current : mapping
        The row for the period (an indicator-table or comparison-table row): ``value``,
        ``numerator``, ``denominator`` and, when present, ``indicator_id``, ``unit``,
        ``method``, ``polarity``, ``name`` or ``indicator_name``, ``verdict`` (the one verdict,
        :func:`verdict_of`), ``rank``, ``n_in_group``. Keyword arguments override the row.
    previous : mapping, optional
        The same indicator's row for the previous period ("up from ...").
    comparison : str, optional
        A verdict word (Better/Similar/Worse/Higher/Lower/Not compared). Default: the row's
        verdict (:func:`verdict_of`). A withheld figure (``[c]``) is given none.
    suppress : bool
        Published output: the rows first go through
        :func:`ot_benchmark.report.disclosure.suppress_indicators` (with ``catalogue``), and a
        withheld figure is written "fewer than 5" / "not shown".
    small_n : int or None
        Denominators below this (and not suppressed) add "based on small numbers".
    catalogue : DataFrame, optional
        For the disclosure rule (which counts are people); default the package catalogue.

    Returns
    -------
    str
        E.g. ``"42 people have waited more than six months (8.1% of everyone waiting), up from
        35; similar to comparator councils."``
    """
    if suppress:
        current, previous = _published_row(current, catalogue), _published_row(previous, catalogue)
    return _sentence(current, name=name, unit=unit, method=method, polarity=polarity, indicator_id=indicator_id,
                     previous=previous, comparison=comparison, rank=rank, n_in_group=n_in_group, small_n=small_n)


def _sentence(current: Mapping, *, name=None, unit=None, method=None, polarity=None, indicator_id=None,
              previous: Mapping | None = None, comparison=None, rank=None, n_in_group=None,
              small_n: int | None = 30) -> str:
    """:func:`indicator_sentence` of rows already as published (withheld figures marked ``[c]``)."""
    get = current.get
    iid = indicator_id or get("indicator_id")
    unit = unit if unit is not None else get("unit")
    method = method or get("method")
    polarity = polarity or get("polarity")
    name = name or get("name") or get("indicator_name") or iid or "This indicator"
    if comparison is None:
        comparison = verdict_of(current)  # the one verdict (docs/methods.md)
    rank = rank if rank is not None else get("rank")
    n_in_group = n_in_group if n_in_group is not None else get("n_in_group")

    kind, template = _PHRASES.get(iid, ("value", None))
    words = period_words(get("period"))
    supp = is_suppressed(current)
    prev_supp = previous is not None and is_suppressed(previous)

    if kind == "count":
        cur_q = get("numerator") if method in {"proportion", "rate"} else get("value")
        if method == "count" and _num(get("numerator")) == _num(get("value")):
            cur_q = get("value")
        prev_q = None
        if previous is not None:
            prev_q = previous.get("numerator") if method in {"proportion", "rate"} else previous.get("value")
        n_text = _FEWER_THAN if supp else (
            "no value" if math.isnan(_num(cur_q)) else _fmt_number(_num(cur_q), 0))
        pct_clause = ""
        if method == "proportion" and not supp and not math.isnan(_num(get("value"))):
            pct_clause = f" ({format_value(get('value'), unit)} of everyone waiting)"
        main = template.format(n=n_text, people=_people(n_text), pct_clause=pct_clause, q=n_text, period=words.noun)
        prev_text = "" if prev_q is None or math.isnan(_num(prev_q)) else _fmt_number(_num(prev_q), 0)
        change = "" if previous is None else change_phrase(
            math.nan if supp else cur_q, prev_q, prev_text, previous_suppressed=prev_supp, words=words)
        if supp and previous is not None and not prev_supp and _num(prev_q) > disclosure.THRESHOLD:
            change = f"down from {prev_text}"
    else:
        if supp:
            main = f"{safe.md(name)}: {_NOT_SHOWN}"
            change = ""
        else:
            q = format_value(get("value"), unit)
            main = template.format(q=q, period=words.noun) if template else f"{safe.md(name)}: {q}"
            change = ""
            if previous is not None and not prev_supp:
                change = change_phrase(get("value"), previous.get("value"),
                                       format_value(previous.get("value"), unit), text_current=q, words=words)

    first = main + (f", {change}" if change else "")
    # a withheld figure gets no verdict either, as in the summary table; nor does a count that is
    # not compared across councils (its size-free twin per 10,000 adults is)
    compared = "" if supp else comparison_phrase(comparison)
    if method == "count" and verdict_of({"verdict": comparison}) == "not_compared":
        compared = ""
    if compared and method == "count" and "not compared" not in compared:
        # a raw count is compared with the middle council of the group: size drives it
        compared += " (a count, so it reflects the council's size)"
    elif compared and "not compared" not in compared and str(get("verdict_basis") or "") == "robust_distance":
        # a figure with no interval: the distance its verdict rests on, and its band
        distance = robust_distance_phrase(current, median="the group median")
        compared += f" ({distance})" if distance else ""
    tail = [p for p in (compared, rank_phrase(rank, n_in_group, polarity)) if p]
    sentence = first + ("; " + ", ".join(tail) if tail else "")
    if small_n and not supp and _is_small(get("numerator"), get("denominator"), method, small_n):
        sentence += " (based on small numbers, so it can swing widely)"
    return _cap(sentence) + "."


def indicator_sentences(
    table: pd.DataFrame,
    catalogue: pd.DataFrame | None = None,
    *,
    previous: pd.DataFrame | None = None,
    suppress: bool = True,
    small_n: int | None = 30,
) -> pd.DataFrame:
    """A sentence for every row of an indicator or comparison table.

    Parameters
    ----------
    table : DataFrame
        Rows for one council and period: ``indicator_id``, ``breakdown`` (optional),
        ``value``, ``numerator``, ``denominator`` and optionally comparison columns. With
        ``suppress=True`` an indicator-table-shaped frame (and ``previous``) first goes through
        :func:`ot_benchmark.report.disclosure.suppress_indicators`, so the sentences hide exactly what
        the published tables hide (secondary suppression included).
    catalogue : DataFrame, optional
        :func:`ot_benchmark.catalogue.load_catalogue`; supplies ``name``, ``unit``, ``method``,
        ``polarity`` for rows that lack them.
    previous : DataFrame, optional
        The same council's rows for the previous period, matched on ``indicator_id`` and
        ``breakdown``.

    Returns
    -------
    DataFrame
        Columns ``indicator_id``, ``breakdown``, ``sentence``, in the table's order.
    """
    df = table.copy()
    if "breakdown" not in df:
        df["breakdown"] = "all"
    if suppress:
        df = _published(df, catalogue)
    if catalogue is not None:
        cat = catalogue.set_index("indicator_id")
        for col in ("name", "unit", "method", "polarity"):
            if col in cat.columns:
                looked_up = df["indicator_id"].map(cat[col])
                df[col] = df[col].where(df[col].notna(), looked_up) if col in df else looked_up
    prev_map: dict = {}
    if previous is not None and len(previous):
        p = previous.copy()
        if "breakdown" not in p:
            p["breakdown"] = "all"
        if suppress:
            p = _published(p, catalogue)
        prev_map = {(r["indicator_id"], r["breakdown"]): r for r in p.to_dict("records")}
    records = df.to_dict("records")
    sentences = [_sentence(r, previous=prev_map.get((r["indicator_id"], r["breakdown"])), small_n=small_n)
                 for r in records]
    return pd.DataFrame({"indicator_id": df["indicator_id"].to_numpy(),
                         "breakdown": df["breakdown"].to_numpy(), "sentence": sentences})


# --------------------------------------------------------------------------------------------
# SPC icons in words
# --------------------------------------------------------------------------------------------

_VARIATION = {
    "common_cause": "Normal variation",
    "special_cause_improvement": "Improving (special cause)",
    "special_cause_concern": "Concerning (special cause)",
    "special_cause_neutral": "Unusual, neither better nor worse",
}
_VARIATION_SYMBOL = {
    "common_cause": "\u25cf",               # ●
    "special_cause_improvement": "\u25b2",  # ▲
    "special_cause_concern": "\u25bc",      # ▼
    "special_cause_neutral": "\u25c6",      # ◆
}
_ASSURANCE = {
    "consistent_pass": "Consistently passing",
    "consistent_fail": "Consistently failing",
    "inconsistent": "Hit and miss",
}
_ASSURANCE_SYMBOL = {"consistent_pass": "P", "consistent_fail": "F", "inconsistent": "?"}


def _key(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x).strip().lower().replace(" ", "_").replace("-", "_")


def variation_label(variation, *, symbol: bool = True) -> str:
    """Making Data Count variation icon as text, e.g. ``"▲ Improving (special cause)"``.

    Accepts ``common_cause``, ``special_cause_improvement``, ``special_cause_concern``,
    ``special_cause_neutral`` (also the short forms ``improvement``/``concern``/``neutral``).
    Blank or unknown gives ``"Not enough data"``.
    """
    k = _key(variation)
    if k in {"improvement", "concern", "neutral"}:
        k = f"special_cause_{k}"
    if k not in _VARIATION:
        return "Not enough data"
    return (f"{_VARIATION_SYMBOL[k]} " if symbol else "") + _VARIATION[k]


def assurance_label(assurance, *, symbol: bool = True) -> str:
    """Making Data Count assurance icon as text (``consistent_pass`` -> ``"P Consistently
    passing"``); blank gives ``"No target"``."""
    k = _key(assurance)
    if k in {"hit_and_miss", "inconsistent_pass_fail"}:
        k = "inconsistent"
    if k not in _ASSURANCE:
        return "No target"
    return (f"{_ASSURANCE_SYMBOL[k]} " if symbol else "") + _ASSURANCE[k]


def _points_words(points: pd.DataFrame | None, words: PeriodWords | None = None) -> PeriodWords:
    """The words of a chart's periods: ``words`` when given, else those of the kind of the
    points' last period label (its ``period`` column, or ``date`` as
    :func:`ot_benchmark.stats.spc.xmr` names it; quarters when there is none)."""
    if words is not None:
        return words
    for col in ("period", "date"):
        if points is not None and len(points) and col in points:
            return period_words(points[col].iloc[-1])
    return period_words("quarter")


def spc_sentence(variation, assurance=None, *, target=None, unit: str | None = None,
                 n_points: int | None = None, points: pd.DataFrame | None = None,
                 words: PeriodWords | None = None) -> str:
    """What the SPC chart says, in words.

    ``variation`` is the latest point's type (the Making Data Count icon). Pass the xmr
    ``points`` so that special causes in earlier quarters are mentioned too: a latest point
    within normal variation must not read as "nothing happened" when the chart shows a big
    shift. The periods are named in the words of their kind (``"The latest year is ..."``):
    ``words``, or else those of the points' ``period`` labels (quarters without them).

    Examples
    --------
    >>> spc_sentence("common_cause", "inconsistent", target=75, unit="%")
    'The latest quarter is within the range expected from normal variation; at this level of variation the target of 75.0% will sometimes be met and sometimes missed.'
    """
    w = _points_words(points, words)
    latest = _cap(w.latest)
    k = _key(variation)
    if k in {"improvement", "concern", "neutral"}:
        k = f"special_cause_{k}"
    first = {
        "common_cause": f"{latest} is within the range expected from normal variation",
        "special_cause_improvement": f"{latest} shows a real improvement, not just normal variation",
        "special_cause_concern": f"{latest} shows a real deterioration that needs attention, not just normal variation",
        "special_cause_neutral": f"{latest} shows an unusual change that is neither better nor worse",
    }.get(k)
    if first is None:
        return f"There are too few {w.plural} to judge the trend."
    fired = spc_rule_phrase(points, words=w) if k != "common_cause" else ""
    if fired:
        first += f" ({fired})"
    if points is not None and len(points) > 1 and "point_type" in points:
        earlier = points["point_type"].iloc[:-1].astype(str)
        kinds = [w for t, w in (("special_cause_improvement", "improvement"), ("special_cause_concern", "concern"),
                                ("special_cause_neutral", "unusual change")) if (earlier == t).any()]
        if kinds:
            first += (f", but earlier {w.plural} show special-cause variation (" + " and ".join(kinds)
                      + "), so look at the chart")
        elif k == "common_cause":
            first += f"; no {w.noun} on the chart stands out"
    parts = [first]
    a = _key(assurance)
    t = _num(target)
    if a and not math.isnan(t):
        tt = format_value(t, unit)
        parts.append({
            "consistent_pass": f"the target of {tt} is consistently met",
            "consistent_fail": f"the target of {tt} will not be met without a change in how the service works",
            "inconsistent": f"at this level of variation the target of {tt} will sometimes be met and sometimes missed",
        }.get(a, ""))
    sentence = "; ".join(p for p in parts if p)
    since_rebase = False
    if points is not None and len(points) and "segment" in points:
        seg = pd.to_numeric(points["segment"], errors="coerce")
        if seg.iloc[-1] > 0:  # re-based: the latest limits rest on the latest segment only
            n_points, since_rebase = int((seg == seg.iloc[-1]).sum()), True
    if n_points is not None and n_points < 13:
        sentence += (f" (provisional: only {w.count(n_points)} since the limits were re-based)" if since_rebase
                     else f" (provisional: only {w.count(n_points)} of data)")
    return sentence + "."


def spc_rule_phrase(points: pd.DataFrame | None, *, words: PeriodWords | None = None) -> str:
    """Which special-cause rule the latest point of an XmR chart meets, in words: ``"seven
    quarters in a row above the average"``, ``"seven quarters in a row, each higher than the one
    before"``, ``"above the upper process limit"``, ``"two of the last three quarters close to the
    upper process limit"``; ``""`` for common cause or without the points
    (:func:`ot_benchmark.stats.spc.xmr`'s ``rule`` and ``relative_to_mean``). The periods are
    named as in :func:`spc_sentence` ("seven years in a row ...")."""
    if points is None or not len(points) or "rule" not in points:
        return ""
    w = _points_words(points, words)
    last = points.iloc[-1]
    rule = str(last.get("rule", "none"))
    high = _num(last.get("relative_to_mean")) > 0
    if rule == "outside_limits":
        return "above the upper process limit" if high else "below the lower process limit"
    if rule == "run":
        return f"{w.in_a_row(7)} {'above' if high else 'below'} the average"
    if rule == "trend":
        v = pd.to_numeric(points["value"], errors="coerce").to_numpy()
        up = len(v) > 1 and v[-1] > v[-2]
        return f"{w.in_a_row(7)}, each {'higher' if up else 'lower'} than the one before"
    if rule == "two_in_three":
        return f"two of the last three {w.plural} close to the {'upper' if high else 'lower'} process limit"
    return ""


def _and_join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def spc_rebase_sentence(rebase: pd.DataFrame | None) -> str:
    """Where an SPC chart's limits were re-based and why, for the words under the chart.

    Parameters
    ----------
    rebase : DataFrame or None
        :meth:`ot_benchmark.settings.Settings.spc_rebase`: ``period`` (the charted quarter
        where new limits start), ``note`` and optionally ``declared_period`` (the quarter the
        change was declared for, when that quarter has no figure on the chart).

    Returns
    -------
    str
        ``""`` when there is no re-base; otherwise e.g. ``"The limits were re-based at
        2023-24 Q3 because of a known change: OT posts doubled. Each stretch has its own mean
        and limits, so every quarter is judged against how the service worked at the time."``

    Examples
    --------
    >>> spc_rebase_sentence(pd.DataFrame({"period": ["2023-24 Q3"], "note": ["OT posts doubled"]}))
    'The limits were re-based at 2023-24 Q3 because of a known change: OT posts doubled. Each stretch has its own mean and limits, so every quarter is judged against how the service worked at the time.'
    """
    if rebase is None or len(rebase) == 0:
        return ""
    rows = rebase.to_dict("records")
    w = period_words(rows[-1].get("period"))
    tail = (f" Each stretch has its own mean and limits, so every {w.noun} is judged against how the "
            "service worked at the time.")

    def where(r: Mapping) -> str:
        declared = r.get("declared_period")
        if isinstance(declared, str) and declared and declared != r["period"]:
            return f"{r['period']} (the first {w.noun} with a figure after the change in {declared})"
        return str(r["period"])

    def note(r: Mapping) -> str:
        n = r.get("note")
        return safe.md(n.strip()) if isinstance(n, str) else ""  # the settings' words: shown, never run

    if len(rows) == 1:
        r = rows[0]
        why = f"a known change: {note(r)}" if note(r) else "a known change recorded in the council's settings"
        return f"The limits were re-based at {where(r)} because of {why.rstrip('.')}." + tail
    items = [where(r) + (f" ({note(r)})" if note(r) else "") for r in rows]
    return ("The limits were re-based at " + _and_join(items)
            + ", because of known changes recorded in the council's settings." + tail)


# --------------------------------------------------------------------------------------------
# funnel plots: over-dispersion in words
# --------------------------------------------------------------------------------------------

def _phi_text(phi: float) -> str:
    """φ as a reader needs it: whole numbers from 10, one decimal from 1, two below 1."""
    if phi >= 10:
        return f"{phi:,.0f}"
    return f"{phi:.1f}" if phi >= 1 else f"{phi:.2f}"


def _flag_side(flag) -> str | None:
    """``"high"``/``"low"`` for a significant funnel flag, ``""`` for not significant, None
    for a missing flag."""
    if flag is None or (isinstance(flag, float) and math.isnan(flag)):
        return None
    f = str(flag).strip().lower()
    if f.startswith("high"):
        return "high"
    if f.startswith("low"):
        return "low"
    return "" if f.startswith("not significant") else None


def _flag_verdict(flag, polarity) -> str | None:
    """A funnel flag as a verdict word (for rows that carry no ``verdict``)."""
    side = _flag_side(flag)
    if side is None:
        return None
    if side == "":
        return "similar"
    if polarity in ("higher_is_better", "lower_is_better"):
        return "better" if (side == "high") == (polarity == "higher_is_better") else "worse"
    return "higher" if side == "high" else "lower"


def funnel_dispersion_sentence(row: Mapping, *, council: str = "this council", suppress: bool = True,
                               catalogue: pd.DataFrame | None = None) -> str:
    """Whether councils differ more than chance explains, and the council's one verdict.

    Reads the funnel columns of :func:`ot_benchmark.compare.benchmark.benchmark`: ``funnel_phi`` (φ,
    Spiegelhalter's dispersion ratio of the comparator councils), ``funnel_flag`` (the council
    against the plain funnel limits) and the row's ``verdict``, which rests on the limits widened
    for the real differences between councils when φ > 1 (``funnel_flag_od``) and on the
    council's interval otherwise (docs/methods.md), so the words under the funnel say what the
    summary table says. A row without ``verdict`` (made by hand) is read from its flags: the
    widened one when φ > 1, the plain one otherwise.

    Parameters
    ----------
    row : mapping
        One ``benchmark`` row (``funnel_phi``, ``funnel_flag``, ``verdict``; ``value``,
        ``numerator``, ``method`` for the suppression check).
    council : str
        The council's name, as the sentence should say it.
    suppress : bool
        Published output: a council whose figure is suppressed (a count of 1-4) is not placed
        against the limits in words.

    Returns
    -------
    str
        ``""`` when φ is missing (fewer than 3 councils with counts, or not a proportion or
        rate). With φ > 1: ``"Councils differ more than chance alone explains (dispersion ratio
        φ = 29); allowing for that, Lancashire is similar to comparator councils, although it
        lies outside the plain funnel limits."`` or ``"...; allowing for that, Lancashire is
        still better than comparator councils."``. With φ ≤ 1: ``"Councils differ no more than
        chance alone would explain (dispersion ratio φ = 0.84), so the plain funnel limits are a
        fair guide; Lancashire is worse than comparator councils."``

    Examples
    --------
    >>> funnel_dispersion_sentence({"funnel_phi": 29.0, "funnel_flag": "High (0.001)",
    ...                             "verdict": "similar"}, council="Lancashire")
    'Councils differ more than chance alone explains (dispersion ratio φ = 29); allowing for that, Lancashire is similar to comparator councils, although it lies outside the plain funnel limits.'
    """
    phi = _num(row.get("funnel_phi"))
    if math.isnan(phi):
        return ""
    plain = _flag_side(row.get("funnel_flag"))
    if isinstance(row.get("verdict"), str):
        v = verdict_of(row)
    else:
        v = _flag_verdict(row.get("funnel_flag_od") if phi > 1 else row.get("funnel_flag"), row.get("polarity"))
    phrase = comparison_phrase(v) if v != "not_compared" else ""
    if suppress and is_suppressed(_published_row(row, catalogue)):
        phrase = ""
    if phi > 1:
        head = f"Councils differ more than chance alone explains (dispersion ratio φ = {_phi_text(phi)})"
        if not phrase:
            return head + ", so the plain funnel limits mark more councils as unusual than they should."
        if v == "similar":
            if plain:
                return head + f"; allowing for that, {council} is {phrase}, although it lies outside the plain funnel limits."
            return head + f"; {council} is {phrase}: it is inside even the plain funnel limits."
        still = "still " if plain else ""
        return head + f"; allowing for that, {council} is {still}{phrase}."
    head = (f"Councils differ no more than chance alone would explain (dispersion ratio φ = {_phi_text(phi)}), "
            "so the plain funnel limits are a fair guide")
    if not phrase:
        return head + "."
    return head + f"; {council} is {phrase}."


# --------------------------------------------------------------------------------------------
# trends: the council against its own earlier quarters and its group
# --------------------------------------------------------------------------------------------

def _flag(x) -> bool | None:
    """A ``*_beyond_ci`` cell as True/False, None when missing (no intervals) or suppressed."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return None
    if isinstance(x, str):
        return {"true": True, "false": False}.get(x.strip().lower())
    return bool(x)


def _chance_phrase(beyond: bool | None, up: bool, polarity: str | None) -> str:
    if beyond is None:
        return ""
    if not beyond:
        return " (small enough to be chance)"
    good = (polarity == "higher_is_better" and up) or (polarity == "lower_is_better" and not up)
    bad = (polarity == "higher_is_better" and not up) or (polarity == "lower_is_better" and up)
    kind = "an improvement" if good else ("a worsening" if bad else "a change")
    return f" ({kind} larger than chance would explain)"


def trend_sentence(
    trend: pd.DataFrame,
    *,
    period: str | None = None,
    unit: str | None = None,
    method: str | None = None,
    polarity: str | None = None,
    group_name: str = "the comparator group",
    suppress: bool = True,
    catalogue: pd.DataFrame | None = None,
) -> str:
    """One sentence on a council's trend: its latest quarter against a year earlier and the
    quarter before, whether each change is more than chance, and how its group moved.

    Parameters
    ----------
    trend : DataFrame
        :func:`ot_benchmark.compare.benchmark.trend` output, as published
        (:func:`ot_benchmark.report.disclosure.published_trend`, applied here when ``suppress``): ``period``, ``value``,
        ``numerator``, ``previous_period``, ``year_ago_period``, ``qoq_beyond_ci``,
        ``yoy_beyond_ci`` and ``group_value``.
    period : str, optional
        The quarter to describe (default: the last row).
    unit, method, polarity : str, optional
        The indicator's catalogue ``unit`` (how figures are written), ``method`` and ``polarity`` (a change beyond chance is called an improvement or a
        worsening; ``context`` or None: "a change").
    group_name : str
        How the sentence names the group.
    suppress : bool
        Published output: the trend goes through the disclosure rule first; a quarter whose
        figure is ``[c]`` is never written, nor any change worked out from it.
    catalogue : DataFrame, optional
        For the disclosure rule (default: the package catalogue).

    Returns
    -------
    str
        ``""`` for an empty table. E.g. ``"84.2% in 2024-25 Q4, up from 70.5% a year earlier (an
        improvement larger than chance would explain) and up from 80.6% the quarter before
        (small enough to be chance); the comparator group moved from 70.1% to 69.2% over the
        year."`` The change on a year earlier comes first; "small enough to be chance" means the
        two quarters' 95% intervals overlap (a cautious test: some real changes read so). Nothing
        is said about chance when the figures have no intervals. The group's figure a year
        earlier is used when there is one, else the quarter before's.

    Examples
    --------
    >>> t = pd.DataFrame({"period": ["2023-24 Q4", "2024-25 Q4"], "value": [78.1, 84.2],
    ...                   "year_ago_period": [None, "2023-24 Q4"], "yoy_beyond_ci": [None, True],
    ...                   "group_value": [70.2, 69.2]})
    >>> trend_sentence(t, unit="%")
    '84.2% in 2024-25 Q4, up from 78.1% a year earlier (a change larger than chance would explain); the comparator group moved from 70.2% to 69.2% over the year.'
    """
    if trend is None or len(trend) == 0:
        return ""
    if suppress:
        missing = {c: v for c, v in _INDICATOR_DEFAULTS.items() if c not in trend.columns}
        trend = disclosure.published_trend(trend.assign(**missing), catalogue=catalogue).drop(columns=list(missing))
    records = trend.to_dict("records")  # one row per quarter: a few dozen at most
    by_period = {str(r.get("period")): r for r in records}
    if period is None:
        cur = records[-1]
        period = str(cur.get("period"))
    elif str(period) in by_period:
        cur = by_period[str(period)]
    else:
        return f"There is no figure for {period}."

    def row_of(label) -> Mapping | None:
        return by_period.get(str(label)) if isinstance(label, str) and label else None

    def hidden(r: Mapping) -> bool:
        return is_suppressed(r)

    w = period_words(period)
    ago, prev = row_of(cur.get("year_ago_period")), row_of(cur.get("previous_period"))
    if not w.year_ago:  # a financial year's year ago is the year before: said once
        ago = None
    v = _num(cur.get("value"))
    changes: list[str] = []
    not_shown: list[str] = []
    if hidden(cur):
        head = f"The figure for {period} is {_NOT_SHOWN}"
    elif math.isnan(v):
        head = f"There is no figure for {period}"
    else:
        q = format_value(v, unit)
        head = f"{q} in {period}"
        for r, when, col in ((ago, "a year earlier", "yoy_beyond_ci"), (prev, w.before, "qoq_beyond_ci")):
            if r is None:
                continue
            if hidden(r):
                not_shown.append(when)
                continue
            pv = _num(r.get("value"))
            if math.isnan(pv):
                continue
            pq = format_value(pv, unit)
            if pq == q:
                text = f"the same as {when} ({pq})" if v == pv else f"about the same as {when} ({pq})"
            else:
                text = f"{'up' if v > pv else 'down'} from {pq} {when}"
            changes.append(text + _chance_phrase(_flag(cur.get(col)), v > pv, polarity))
        if ago is None and prev is None:
            changes.append(f"with no earlier {w.noun} to compare with")
    first = head + (", " + " and ".join(changes) if changes else "")
    parts = [first]
    if not_shown:
        parts.append(f"the figure {not_shown[0]} is {_NOT_SHOWN}"
                     if len(not_shown) == 1 else
                     f"the figures {' and '.join(not_shown)} are not shown, because they rest on counts of "
                     f"{_FEWER_THAN}")
    g_now = _num(cur.get("group_value"))
    if not math.isnan(g_now):
        g_now_q = format_value(g_now, unit)
        ref, over = None, ""
        for r, span in ((ago, "over the year"), (prev, f"over the {w.noun}")):
            if r is not None and not math.isnan(_num(r.get("group_value"))):
                ref, over = _num(r.get("group_value")), span
                break
        if ref is None:
            parts.append(f"{group_name}'s figure was {g_now_q}")
        elif format_value(ref, unit) == g_now_q:
            parts.append(f"{group_name} stayed at about {g_now_q} {over}")
        else:
            parts.append(f"{group_name} moved from {format_value(ref, unit)} to {g_now_q} {over}")
    return _cap("; ".join(parts)) + "."


# --------------------------------------------------------------------------------------------
# caveats
# --------------------------------------------------------------------------------------------

def caveats(
    indicator_ids: Iterable[str],
    catalogue: pd.DataFrame | None = None,
    *,
    synthetic: bool = False,
    small_numbers: bool = False,
    include_family: bool = True,
    words: PeriodWords | None = None,
) -> list[str]:
    """The caveats that belong beside a set of indicators, de-duplicated, in a stable order.

    Order: synthetic data first (when ``synthetic``), then the family caveats of
    :data:`FAMILY_CAVEATS` for the families present, then the catalogue ``caveat`` of the
    indicators in the order given, each text once and prefixed with the names of the
    indicators it belongs to ("Completed wait, median; Completed wait, 90th percentile:
    completed waits look better ..."), then the small-numbers caveat (when ``small_numbers``).

    Parameters
    ----------
    indicator_ids : iterable of str
    catalogue : DataFrame, optional
        Supplies ``family`` and ``caveat``; without it the family is the id's first letter.
    """
    ids = list(dict.fromkeys(indicator_ids))
    out: list[str] = []
    if synthetic:
        out.append(SYNTHETIC_CAVEAT)
    cat = catalogue.set_index("indicator_id") if catalogue is not None else None
    families = []
    for i in ids:
        fam = None
        if cat is not None and i in cat.index and "family" in cat.columns:
            fam = cat.at[i, "family"]
        families.append(fam if isinstance(fam, str) and fam else str(i)[:1])
    if include_family:
        for fam in dict.fromkeys(families):
            out.extend(FAMILY_CAVEATS.get(fam, []))
    # catalogue caveats, each once, naming the indicators it belongs to; those a family caveat
    # already says (the waits, complaints and finance caveats) are left out
    covered = ("councils define waiting lists and record contacts", "a higher complaint rate",
               "finance series break") if include_family else ()
    by_text: dict[str, list[str]] = {}
    if cat is not None and "caveat" in cat.columns:
        for i in ids:
            if i not in cat.index:
                continue
            c = cat.at[i, "caveat"]
            if not (isinstance(c, str) and c.strip()):
                continue
            c = c.strip()
            fam = families[ids.index(i)]
            if any(c.lower().startswith(k) for k in covered) and FAMILY_CAVEATS.get(fam):
                continue
            name = cat.at[i, "name"] if "name" in cat.columns and isinstance(cat.at[i, "name"], str) else i
            by_text.setdefault(c, []).append(safe.md(name))
    for c, names in by_text.items():
        c = safe.md(c)  # a local catalogue's caveat is the council's text: shown, never run
        out.append(f"{'; '.join(names)}: {c[:1].lower() + c[1:] if not c[:2].isupper() else c}")
    if small_numbers:
        out.append(small_numbers_caveat(words))
    return list(dict.fromkeys(out))


def family_markdown(title: str | None, sentences: Sequence[str], caveat_list: Sequence[str],
                    *, level: int = 3) -> str:
    """Markdown for one report section: an optional heading, the sentences as a paragraph list,
    then "Read with care:" and the caveats as a bullet list. Returns ``""`` when there is
    nothing to say."""
    parts: list[str] = []
    if title:
        parts.append("#" * level + " " + title)
    if sentences:
        parts.append("\n".join(f"- {s}" for s in sentences))
    if caveat_list:
        parts.append("**Read with care:**\n\n" + "\n".join(f"- {c}" for c in caveat_list))
    return "\n\n".join(parts)
