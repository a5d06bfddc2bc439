"""Plain-English sentences generated from the numbers, with the caveats that belong to them.

The report's words come from here so that every sentence follows the figures it describes and
the disclosure rules: with ``suppress=True`` (published output) a count of 1-4, or a rate or
percentage built on such a count, is never written into a sentence — it reads "fewer than 5"
(a value already replaced by ``[c]`` by :mod:`ot_benchmark.disclosure` is treated the same).

Public functions

* :func:`format_value` — a number with its unit as a reader writes it (``77.0%``, ``42 days``,
  ``£35.20 per item``).
* :func:`indicator_sentence` — one sentence: the value, the change on the previous period, the
  comparison with comparator councils and the rank, e.g.
  ``"42 people have waited more than six months, up from 35; similar to comparator councils."``
* :func:`indicator_sentences` — the same for every row of a comparison table.
* :func:`spc_sentence`, :func:`variation_label`, :func:`assurance_label` — Making Data Count
  icons in words.
* :func:`caveats` — the caveats that belong to a set of indicators (catalogue ``caveat`` column,
  the family caveats of the indicator reference, small numbers, synthetic data).
* :func:`family_markdown` — a Markdown block (sentences then caveats) for one report section.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "SUPPRESSED",
    "FAMILY_NAMES",
    "FAMILY_CAVEATS",
    "SYNTHETIC_CAVEAT",
    "SMALL_NUMBERS_CAVEAT",
    "format_value",
    "is_suppressed",
    "count_phrase",
    "change_phrase",
    "comparison_phrase",
    "rank_phrase",
    "indicator_sentence",
    "indicator_sentences",
    "variation_label",
    "assurance_label",
    "spc_sentence",
    "caveats",
    "family_markdown",
    "READER_HEADINGS",
    "spc_by_indicator",
    "summary_table",
    "family_summary",
    "improvement_direction",
    "gap_table",
    "group_table",
    "flow_table",
    "referral_cohort",
    "reject_summary",
    "completeness_table",
    "missing_values_table",
    "km_curves_by",
    "reader_columns",
    "styled",
]

SUPPRESSED = "[c]"
_FEWER_THAN = "fewer than 5"
_SUPPRESS_BELOW = 5  # counts 1..4 are suppressed (government statistics convention)

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
SMALL_NUMBERS_CAVEAT = ("Some figures rest on small numbers; rates on small numbers swing widely "
                        "from quarter to quarter.")
SYNTHETIC_CAVEAT = ("These figures come from synthetic demonstration data and are not any real "
                    "council's performance.")

# What each indicator's sentence states. "count" sentences state the numerator (a number of
# people, items, ...); "value" sentences state the value with its unit. Placeholders:
# {q} the stated quantity with its unit, {people} the count followed by person/people,
# {pct_clause} " (8.1% of everyone waiting)" for count sentences of proportion indicators
# (empty when suppressed or not a proportion).
_PHRASES: dict[str, tuple[str, str]] = {
    "W1": ("count", "{people} were waiting for an OT assessment at the end of the quarter"),
    "W2_median": ("value", "half of the people waiting had already waited {q} or more"),
    "W2_p90": ("value", "one in ten people waiting had already waited {q} or more"),
    "W3": ("value", "the longest current wait was {q}"),
    "W4_26wk": ("count", "{people} have waited more than six months{pct_clause}"),
    "W4_52wk": ("count", "{people} have waited more than a year{pct_clause}"),
    "W5": ("value", "{q} of the people assessed in the quarter were seen within the target time for "
                    "their priority"),
    "W6_median": ("value", "people assessed in the quarter had waited a median of {q} from referral"),
    "W6_p90": ("value", "one in ten people assessed in the quarter had waited {q} or more"),
    "W6_mean": ("value", "the mean wait of people assessed in the quarter was {q} (a secondary "
                         "measure, pulled up by a few very long waits)"),
    "W6k": ("value", "half of the people referred in the quarter were assessed within {q}"),
    "W7": ("value", "{q} of people waiting more than six months had been contacted in the last six "
                    "months"),
    "W8_referrals": ("count", "{n} referrals were received in the quarter"),
    "W8_assessments": ("count", "{n} first assessments were completed in the quarter"),
    "W8_closed_unassessed": ("count", "{n} referrals were closed without an assessment"),
    "C1": ("value", "the open caseload (excluding cases on review) was {q}"),
    "C2": ("value", "first assessments in the quarter came to {q}"),
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


def _fmt_number(x: float, decimals: int) -> str:
    return f"{x:,.{decimals}f}"


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
        2 for £ amounts under 100 and 0 above.

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
    u = (unit or "").strip()
    if u == "%":
        return _fmt_number(v, 1 if decimals is None else decimals) + "%"
    if u == "% change":
        d = 0 if decimals is None else decimals
        return ("+" if v > 0 else "") + _fmt_number(v, d) + "%"
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
    if u in {"people", "referrals", "assessments", "cases", "payments", "items"}:
        return _fmt_number(v, 0 if decimals is None else decimals)
    d = 1 if decimals is None else decimals
    return f"{_fmt_number(v, d)} {u}".strip()


def is_suppressed(row: Mapping, method: str | None = None, *, suppress: bool = True) -> bool:
    """Whether a row's figure must not be written into a published sentence.

    True when the value is the ``[c]`` marker, or, with ``suppress=True``, when it is a count of
    1-4 (method ``count``) or a proportion/rate whose numerator is a count of 1-4.
    """
    value = row.get("value")
    if isinstance(value, str) and value.strip() == SUPPRESSED:
        return True
    if isinstance(row.get("numerator"), str) and str(row.get("numerator")).strip() == SUPPRESSED:
        return True
    if not suppress:
        return False
    method = method or row.get("method")
    if method == "count":
        v = _num(value)
        return 0 < v < _SUPPRESS_BELOW
    if method in {"proportion", "rate"}:
        n = _num(row.get("numerator"))
        return 0 < n < _SUPPRESS_BELOW
    return False


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
    if suppress and 0 < v < _SUPPRESS_BELOW:
        return _FEWER_THAN
    return _fmt_number(v, 0)


def change_phrase(current: float, previous: float, text_previous: str, *,
                  previous_suppressed: bool = False, text_current: str | None = None) -> str:
    """``"up from 35"``, ``"down from 35"``, ``"the same as the previous quarter"`` or ``""``.

    ``text_previous`` is the previous value already formatted (with its unit); with
    ``previous_suppressed`` it reads "fewer than 5" and only an increase from it is stated.
    When ``text_current`` (the current value as printed) equals ``text_previous`` the change is
    too small to show at the printed precision: "about the same as the previous quarter" (so a
    sentence never reads "51 days, down from 51 days").
    """
    c, p = _num(current), _num(previous)
    if previous_suppressed:
        if not math.isnan(c) and c >= _SUPPRESS_BELOW:
            return f"up from {_FEWER_THAN}"
        return ""
    if math.isnan(c) or math.isnan(p):
        return ""
    if c != p and text_current is not None and text_current == text_previous:
        return "about the same as the previous quarter"
    if c > p:
        return f"up from {text_previous}"
    if c < p:
        return f"down from {text_previous}"
    return "the same as the previous quarter"


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

    Accepts the labels of :func:`ot_benchmark.compare.benchmark` (``comparison``:
    higher/similar/lower/not_compared; ``assessment``: better/similar/worse/not_compared) in any
    case. Unknown or blank labels, and ``not_applicable``, give ``""`` (nothing is claimed).
    """
    if comparison is None or (isinstance(comparison, float) and math.isnan(comparison)):
        return ""
    return _COMPARISON_TEXT.get(str(comparison).strip().lower(), "")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_phrase(rank, n_in_group, polarity: str | None) -> str:
    """``"ranked 4th of 16 (1st = best)"``; ``""`` for context indicators or a missing rank."""
    r, n = _num(rank), _num(n_in_group)
    if polarity not in {"higher_is_better", "lower_is_better"} or math.isnan(r) or math.isnan(n):
        return ""
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
) -> str:
    """One plain-English sentence about one indicator value.

    Parameters
    ----------
    current : mapping
        The row for the period (an indicator-table or comparison-table row): ``value``,
        ``numerator``, ``denominator`` and, when present, ``indicator_id``, ``unit``,
        ``method``, ``polarity``, ``name`` or ``indicator_name``, ``assessment`` (used when it
        is better/similar/worse/not_compared) else ``comparison``, ``rank``,
        ``n_in_group``. Keyword arguments override the row.
    previous : mapping, optional
        The same indicator's row for the previous period ("up from ...").
    comparison : str, optional
        Fingertips label (Better/Similar/Worse/Higher/Lower/Not compared). Default: the row's
        ``assessment``, else its ``comparison``.
    suppress : bool
        Published output: counts of 1-4 and rates built on them are written "fewer than 5" /
        "not shown".
    small_n : int or None
        Denominators below this (and not suppressed) add "based on small numbers".

    Returns
    -------
    str
        E.g. ``"42 people have waited more than six months (8.1% of everyone waiting), up from
        35; similar to comparator councils."``
    """
    get = current.get
    iid = indicator_id or get("indicator_id")
    unit = unit if unit is not None else get("unit")
    method = method or get("method")
    polarity = polarity or get("polarity")
    name = name or get("name") or get("indicator_name") or iid or "This indicator"
    if comparison is None:
        comparison = get("assessment")
        if not comparison_phrase(comparison):  # context indicators: assessment not_applicable
            comparison = get("comparison")
    rank = rank if rank is not None else get("rank")
    n_in_group = n_in_group if n_in_group is not None else get("n_in_group")

    kind, template = _PHRASES.get(iid, ("value", None))
    supp = is_suppressed(current, method, suppress=suppress)
    prev_supp = previous is not None and is_suppressed(previous, method, suppress=suppress)

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
        main = template.format(n=n_text, people=_people(n_text), pct_clause=pct_clause, q=n_text)
        prev_text = "" if prev_q is None or math.isnan(_num(prev_q)) else _fmt_number(_num(prev_q), 0)
        change = "" if previous is None else change_phrase(
            math.nan if supp else cur_q, prev_q, prev_text, previous_suppressed=prev_supp)
        if supp and previous is not None and not prev_supp and _num(prev_q) >= _SUPPRESS_BELOW:
            change = f"down from {prev_text}"
    else:
        if supp:
            main = f"{name}: not shown, because it rests on a count of {_FEWER_THAN}"
            change = ""
        else:
            q = format_value(get("value"), unit)
            main = template.format(q=q) if template else f"{name}: {q}"
            change = ""
            if previous is not None and not prev_supp:
                change = change_phrase(get("value"), previous.get("value"),
                                       format_value(previous.get("value"), unit), text_current=q)

    first = main + (f", {change}" if change else "")
    tail = [p for p in (comparison_phrase(comparison), rank_phrase(rank, n_in_group, polarity)) if p]
    sentence = first + ("; " + ", ".join(tail) if tail else "")
    if small_n and not supp and _is_small(get("numerator"), get("denominator"), method, small_n):
        sentence += " (based on small numbers, so it can swing widely)"
    return _cap(sentence) + "."


def _disclosed(df: pd.DataFrame, catalogue: pd.DataFrame | None) -> pd.DataFrame:
    """Apply :func:`ot_benchmark.disclosure.suppress_indicators` when ``df`` has the indicator
    table's shape, so sentences suppress exactly what the published tables suppress."""
    from .disclosure import is_indicator_table, suppress_indicators

    if len(df) and is_indicator_table(df):
        return suppress_indicators(df, catalogue=catalogue)
    return df


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
        :func:`ot_benchmark.disclosure.suppress_indicators`, so the sentences hide exactly what
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
        df = _disclosed(df, catalogue)
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
            p = _disclosed(p, catalogue)
        prev_map = {(r["indicator_id"], r["breakdown"]): r for r in p.to_dict("records")}
    records = df.to_dict("records")
    sentences = [indicator_sentence(r, previous=prev_map.get((r["indicator_id"], r["breakdown"])),
                                    suppress=suppress, small_n=small_n) for r in records]
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


def spc_sentence(variation, assurance=None, *, target=None, unit: str | None = None,
                 n_points: int | None = None, points: pd.DataFrame | None = None) -> str:
    """What the SPC chart says, in words.

    ``variation`` is the latest point's type (the Making Data Count icon). Pass the xmr
    ``points`` so that special causes in earlier quarters are mentioned too: a latest point
    within normal variation must not read as "nothing happened" when the chart shows a big
    shift.

    Examples
    --------
    >>> spc_sentence("common_cause", "inconsistent", target=75, unit="%")
    'The latest quarter is within the range expected from normal variation; at this level of variation the target of 75.0% will sometimes be met and sometimes missed.'
    """
    k = _key(variation)
    if k in {"improvement", "concern", "neutral"}:
        k = f"special_cause_{k}"
    first = {
        "common_cause": "The latest quarter is within the range expected from normal variation",
        "special_cause_improvement": "The latest quarter shows a real improvement, not just normal variation",
        "special_cause_concern": "The latest quarter shows a real deterioration that needs attention, not just normal variation",
        "special_cause_neutral": "The latest quarter shows an unusual change that is neither better nor worse",
    }.get(k)
    if first is None:
        return "There are too few quarters to judge the trend."
    if points is not None and len(points) > 1 and "point_type" in points:
        earlier = points["point_type"].iloc[:-1].astype(str)
        kinds = [w for t, w in (("special_cause_improvement", "improvement"), ("special_cause_concern", "concern"),
                                ("special_cause_neutral", "unusual change")) if (earlier == t).any()]
        if kinds:
            first += (", but earlier quarters show special-cause variation (" + " and ".join(kinds)
                      + "), so look at the chart")
        elif k == "common_cause":
            first += "; no quarter on the chart stands out"
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
    if n_points is not None and n_points < 13:
        sentence += f" (provisional: only {int(n_points)} quarters of data)"
    return sentence + "."


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
            by_text.setdefault(c, []).append(name)
    for c, names in by_text.items():
        out.append(f"{'; '.join(names)}: {c[:1].lower() + c[1:] if not c[:2].isupper() else c}")
    if small_numbers:
        out.append(SMALL_NUMBERS_CAVEAT)
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


# --------------------------------------------------------------------------------------------
# the report's summary table
# --------------------------------------------------------------------------------------------

_DIRECTION = {"higher_is_better": "increase", "lower_is_better": "decrease", "context": "neutral"}

#: Reader-facing headings for :func:`summary_table`'s identifier-safe columns.
READER_HEADINGS = {
    "indicator_id": "Id",
    "indicator": "Indicator",
    "value": "This council",
    "comparator_value": "Comparator group",
    "comparison": "Compared with the group",
    "rank": "Rank (1 = best)",
    "trend": "Latest quarter (SPC)",
    "assurance": "Target assurance (SPC)",
    "target": "Target",
    "council": "Council",
    "lower_95": "95% interval, lower",
    "upper_95": "95% interval, upper",
    "quartile": "Quartile",
    "best_quartile_value": "Best-quartile value",
    "group_quartiles": "Group 25th percentile / median / 75th percentile",
    "gap": "Gap to the best quartile",
    "closing_the_gap": "What closing the gap means",
    "period": "Quarter",
    "referrals": "Referrals received",
    "assessments": "First assessments completed",
    "closed_unassessed": "Closed without assessment",
    "waiting": "People waiting at the end of the quarter",
    "table": "Extract",
    "file": "File",
    "column": "Column",
    "reason": "Reason",
    "rows": "Rows",
    "optional_details_filled_pct": "Optional details filled in (%)",
    "optional_columns": "Optional columns checked",
    "breakdown": "Breakdown",
}


def reader_columns(df: pd.DataFrame) -> pd.DataFrame:
    """The same frame with reader-facing column headings (:data:`READER_HEADINGS`; other
    names have ``_`` replaced by spaces and a capital first letter)."""
    return df.rename(columns=lambda c: READER_HEADINGS.get(c, _cap(str(c).replace("_", " "))))


def styled(df: pd.DataFrame):
    """A pandas Styler for the HTML report: no index, text left-aligned, headings in words."""
    return (reader_columns(df).style.hide(axis="index")
            .set_properties(**{"text-align": "left", "vertical-align": "top"})
            .set_table_styles([{"selector": "th", "props": [("text-align", "left"), ("vertical-align", "bottom")]}]))


def spc_by_indicator(
    indicators: pd.DataFrame,
    authority: str,
    period: str,
    catalogue: pd.DataFrame,
    *,
    targets: Mapping[str, float] | None = None,
    breakdown: str = "all",
) -> pd.DataFrame:
    """Making Data Count variation and assurance for each of a council's indicators.

    Runs :func:`ot_benchmark.stats.spc.xmr` on each indicator's quarters up to and including
    ``period`` (rows with no value are dropped; the improvement direction follows the
    catalogue polarity, ``context`` being ``neutral``).

    Parameters
    ----------
    indicators : DataFrame
        The indicator table (any councils; only ``authority``'s rows are used).
    targets : mapping, optional
        Indicator id -> target in the indicator's unit (settings ``[targets]``); the
        catalogue's ``target`` column is used where this has none.

    Returns
    -------
    DataFrame
        ``indicator_id, n_points, variation, assurance, target, provisional``; ``variation``
        is NaN for indicators with fewer than 2 quarters.
    """
    from .periods import parse_period
    from .stats.spc import xmr

    p = parse_period(period).label
    t = indicators.loc[(indicators["authority_code"] == authority) & (indicators["breakdown"] == breakdown)
                       & (indicators["period"] <= p)]
    t = t.assign(_v=pd.to_numeric(t["value"], errors="coerce")).dropna(subset=["_v"])
    cat = catalogue.set_index("indicator_id")
    rows = []
    for iid, g in t.groupby("indicator_id", sort=False):  # one series per indicator, not per case
        target = (targets or {}).get(iid)
        if target is None and iid in cat.index and "target" in cat.columns:
            target = _num(cat.at[iid, "target"])
        target = None if target is None or (isinstance(target, float) and math.isnan(target)) else float(target)
        polarity = cat.at[iid, "polarity"] if iid in cat.index else "context"
        g = g.sort_values("period")
        if len(g) < 2:
            rows.append((iid, len(g), math.nan, None, target, True))
            continue
        _, summary = xmr(g, value_col="_v", date_col="period",
                         improvement_direction=_DIRECTION.get(polarity, "neutral"), target=target)
        rows.append((iid, summary["n_points"], summary.get("variation"), summary.get("assurance"),
                     target, summary.get("provisional")))
    return pd.DataFrame(rows, columns=["indicator_id", "n_points", "variation", "assurance", "target",
                                       "provisional"])


def summary_table(
    bench: pd.DataFrame,
    spc: pd.DataFrame | None = None,
    *,
    catalogue: pd.DataFrame | None = None,
    suppress: bool = True,
    breakdown: str = "all",
) -> pd.DataFrame:
    """Page one of the report: one row per indicator, in words a review team reads.

    Parameters
    ----------
    bench : DataFrame
        :func:`ot_benchmark.compare.benchmark` for the council and period.
    spc : DataFrame, optional
        :func:`spc_by_indicator`.
    catalogue : DataFrame, optional
        Supplies ``name``/``unit`` when ``bench`` lacks them, and the display order.
    suppress : bool
        Apply :func:`ot_benchmark.disclosure.suppress_indicators` first: suppressed figures
        read ``[c]`` and the comparison of a suppressed figure is not stated.

    Returns
    -------
    DataFrame
        Text columns ``indicator_id, indicator, value, comparator_value, comparison, rank,
        trend, assurance, target`` (rename with :data:`READER_HEADINGS` for display). No case
        identifiers; counts of 1-4 never appear.
    """
    b = bench.loc[bench["breakdown"] == breakdown].copy()
    if catalogue is not None:  # the catalogue's order: waiting first, then caseload, equipment, ...
        order = pd.Series(range(len(catalogue)), index=catalogue["indicator_id"].to_numpy())
        b = b.assign(_o=b["indicator_id"].map(order).fillna(len(catalogue))).sort_values(
            "_o", kind="mergesort").drop(columns="_o")
    if suppress:
        from .disclosure import suppress_indicators

        b = suppress_indicators(b, catalogue=catalogue)
    if "indicator_name" not in b and catalogue is not None:
        b["indicator_name"] = b["indicator_id"].map(catalogue.set_index("indicator_id")["name"])
    if "unit" not in b and catalogue is not None:
        b["unit"] = b["indicator_id"].map(catalogue.set_index("indicator_id")["unit"])
    supp = b["value"].astype(str).str.strip() == SUPPRESSED
    value = [SUPPRESSED if s else format_value(v, u) for v, u, s in zip(b["value"], b["unit"], supp)]
    comp = [format_value(v, u) if not math.isnan(_num(v)) else "-" for v, u in zip(b["comparator_value"], b["unit"])]
    label = b["assessment"].where(b["assessment"].isin(["better", "similar", "worse"]), b["comparison"]) \
        if "assessment" in b else b.get("comparison")
    label = label.fillna("").astype(str).str.replace("_", " ").str.capitalize().replace({"": "-"})
    label = label.where(~supp.to_numpy(), "-")
    rank_ok = b["polarity"].isin(["higher_is_better", "lower_is_better"]) if "polarity" in b else True
    r, n = pd.to_numeric(b.get("rank"), errors="coerce"), pd.to_numeric(b.get("n_in_group"), errors="coerce")
    rank = (r.astype("Int64").astype(str) + " of " + n.astype("Int64").astype(str)).where(
        r.notna() & n.notna() & rank_ok & ~supp, "-")
    out = pd.DataFrame({
        "indicator_id": b["indicator_id"].to_numpy(),
        "indicator": b["indicator_name"].astype(str).to_numpy(),
        "value": value,
        "comparator_value": comp,
        "comparison": label.to_numpy(),
        "rank": rank.to_numpy(),
    })
    if spc is not None and len(spc):
        s = spc.set_index("indicator_id")
        out["trend"] = [variation_label(v) for v in out["indicator_id"].map(s["variation"])]
        tg = out["indicator_id"].map(s["target"])
        out["assurance"] = [assurance_label(a) if not math.isnan(_num(t)) else "No target"
                            for a, t in zip(out["indicator_id"].map(s["assurance"]), tg)]
        out["target"] = [format_value(t, u) if not math.isnan(_num(t)) else "-"
                         for t, u in zip(tg, b["unit"])]
    else:
        out["trend"], out["assurance"], out["target"] = "Not enough data", "No target", "-"
    return out.reset_index(drop=True)


def improvement_direction(polarity: str | None) -> str:
    """Catalogue polarity -> :func:`ot_benchmark.stats.spc.xmr` ``improvement_direction``."""
    return _DIRECTION.get(str(polarity), "neutral")


def family_summary(
    bench: pd.DataFrame,
    catalogue: pd.DataFrame,
    family: str,
    *,
    previous: pd.DataFrame | None = None,
    suppress: bool = True,
    synthetic: bool = False,
    small_n: int = 30,
    breakdown: str = "all",
) -> str:
    """Markdown for one family's section: a sentence per indicator, then its caveats.

    Parameters
    ----------
    bench : DataFrame
        :func:`ot_benchmark.compare.benchmark` for the council and period.
    catalogue : DataFrame
    family : str
        Catalogue family (``W``, ``C``, ``E``, ``K``, ``U``, ...).
    previous : DataFrame, optional
        The council's indicator rows for the previous quarter ("up from ...").
    suppress, synthetic : bool
        Published output (counts of 1-4 never written) / add the synthetic-data caveat.

    Returns
    -------
    str
        Markdown; indicators without a value this quarter are left out and, if none has one,
        the text says so. The small-numbers caveat is added when any figure rests on a
        denominator below ``small_n`` or is suppressed.
    """
    ids = catalogue.loc[catalogue["family"] == family, "indicator_id"]
    b = bench.loc[bench["indicator_id"].isin(ids) & (bench["breakdown"] == breakdown)]
    b = b.loc[pd.to_numeric(b["value"], errors="coerce").notna()]
    if b.empty:
        return "_There are no figures for this part of the service in this quarter._"
    order = pd.Series(range(len(catalogue)), index=catalogue["indicator_id"].to_numpy())
    b = b.assign(_o=b["indicator_id"].map(order)).sort_values("_o", kind="mergesort").drop(columns="_o")
    sent = indicator_sentences(b, catalogue, previous=previous, suppress=suppress, small_n=small_n)
    meth = b["method"] if "method" in b else b["indicator_id"].map(catalogue.set_index("indicator_id")["method"])
    small = any(_is_small(n, d, m, small_n) for n, d, m in zip(b["numerator"], b["denominator"], meth))
    small = small or any(("fewer than 5" in s) or ("small numbers" in s) for s in sent["sentence"])
    cav = caveats(b["indicator_id"].tolist(), catalogue, synthetic=synthetic, small_numbers=small)
    return family_markdown(None, sent["sentence"].tolist(), cav)


# --------------------------------------------------------------------------------------------
# reader tables for the notebooks (shaping only; the statistics come from compare/stats)
# --------------------------------------------------------------------------------------------

def gap_table(bench_rows: pd.DataFrame, *, suppress: bool = True) -> pd.DataFrame:
    """The best-performer gap of :func:`ot_benchmark.compare.benchmark` rows, in words.

    Returns
    -------
    DataFrame
        ``indicator, value, quartile, group_quartiles`` (25th percentile / median / 75th
        percentile of the group), ``best_quartile_value, gap, closing_the_gap`` as text; a
        suppressed figure reads ``[c]`` and its gap is not stated.
    """
    b = bench_rows.copy()
    if suppress and len(b):
        from .disclosure import suppress_indicators

        b = suppress_indicators(b)
    out = []
    for r in b.to_dict("records"):  # a handful of rows (one per breakdown)
        unit = r.get("unit")
        supp = str(r.get("value")).strip() == SUPPRESSED
        q = _num(r.get("quartile"))
        counts = _num(r.get("gap_counts"))
        meaning = r.get("gap_counts_meaning")
        context = r.get("polarity") == "context"
        if supp:
            closing = "-"
        elif context:
            closing = "No best performer: neither a higher nor a lower figure is simply better."
        elif _num(r.get("gap_to_best_quartile")) == 0:
            closing = "Already in the best quarter of the group."
        elif not math.isnan(counts) and isinstance(meaning, str) and meaning:
            n_txt = _FEWER_THAN if (suppress and 0 < round(counts) < _SUPPRESS_BELOW) else f"{counts:,.0f}"
            closing = f"About {n_txt} {meaning} in the quarter."
            g = _num(r.get("gap_gbp"))
            if not math.isnan(g):
                closing = closing[:-1] + f", worth about {format_value(g, '£')}."
        else:
            closing = "-"
        out.append({
            "indicator": r.get("indicator_name") or r.get("indicator_id"),
            "value": SUPPRESSED if supp else format_value(r.get("value"), unit),
            "quartile": "-" if supp or math.isnan(q) else (
                f"{int(q)} (1 = highest values)" if context else f"{int(q)} (1 = best)"),
            "group_quartiles": " / ".join(format_value(r.get(k), unit) for k in ("group_q25", "group_median", "group_q75"))
            if all(not math.isnan(_num(r.get(k))) for k in ("group_q25", "group_median", "group_q75")) else "-",
            "best_quartile_value": format_value(r.get("best_quartile_value"), unit)
            if not math.isnan(_num(r.get("best_quartile_value"))) else "-",
            "gap": "-" if supp or math.isnan(_num(r.get("gap_to_best_quartile")))
            else format_value(r.get("gap_to_best_quartile"), unit),
            "closing_the_gap": closing,
        })
    return pd.DataFrame(out, columns=["indicator", "value", "quartile", "group_quartiles", "best_quartile_value",
                                      "gap", "closing_the_gap"])


def group_table(rows: pd.DataFrame, *, catalogue: pd.DataFrame | None = None, subject: str | None = None,
                polarity: str | None = None) -> pd.DataFrame:
    """Each council's value and 95% interval for one indicator, best first, as text.

    ``rows`` are indicator-table rows of one indicator and period (already suppressed for
    publication: ``[c]`` values stay ``[c]`` and go last). The subject council is marked ▶.

    Returns
    -------
    DataFrame
        ``council, value, lower_95, upper_95``.
    """
    if rows.empty:
        return pd.DataFrame(columns=["council", "value", "lower_95", "upper_95"])
    iid = str(rows["indicator_id"].iloc[0])
    unit = rows["unit"].iloc[0] if "unit" in rows else None
    if polarity is None and catalogue is not None:
        c = catalogue.set_index("indicator_id")
        polarity = c.at[iid, "polarity"] if iid in c.index else None
    v = pd.to_numeric(rows["value"], errors="coerce")
    order = v.sort_values(ascending=polarity == "lower_is_better", na_position="last", kind="mergesort").index
    r = rows.loc[order]
    name = r["authority_name"] if "authority_name" in r else r["authority_code"]
    mark = np.where(r["authority_code"].astype(str) == str(subject), "\u25b6 ", "")
    fmt = lambda s: [SUPPRESSED if str(x).strip() == SUPPRESSED else format_value(x, unit)  # noqa: E731
                     for x in s]
    return pd.DataFrame({
        "council": [m + str(n) for m, n in zip(mark, name)],
        "value": fmt(r["value"]),
        "lower_95": fmt(r["lower_95"]) if "lower_95" in r else "-",
        "upper_95": fmt(r["upper_95"]) if "upper_95" in r else "-",
    }).reset_index(drop=True)


def flow_table(indicators: pd.DataFrame) -> pd.DataFrame:
    """One council's flows by quarter, wide: ``period, referrals, assessments,
    closed_unassessed, waiting`` from W8_referrals, W8_assessments, W8_closed_unassessed and
    W1 (breakdown ``all``)."""
    ids = {"W8_referrals": "referrals", "W8_assessments": "assessments",
           "W8_closed_unassessed": "closed_unassessed", "W1": "waiting"}
    t = indicators.loc[indicators["indicator_id"].isin(list(ids)) & (indicators["breakdown"] == "all")]
    wide = (t.assign(_v=pd.to_numeric(t["value"], errors="coerce"))
             .pivot_table(index="period", columns="indicator_id", values="_v", aggfunc="first")
             .rename(columns=ids).reindex(columns=list(ids.values())))
    wide.columns.name = None
    return wide.sort_index().reset_index()


def referral_cohort(referrals: pd.DataFrame, authority: str, start, end, *, settings=None) -> pd.DataFrame:
    """Waits of the people referred between ``start`` and ``end`` (inclusive), for KM curves.

    The clock starts at the referral date and stops at the first assessment; people not
    assessed by ``end`` (still waiting, or closed without assessment) are censored at their
    closure date or ``end``, whichever is first. An assessment after the closure is ignored
    (as the W indicators do). Priorities are mapped through the settings' FACS mapping.

    Returns
    -------
    DataFrame
        ``priority, duration`` (calendar days), ``observed`` (1 assessed, 0 censored). No
        case identifiers.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    r = referrals.loc[(referrals["authority_code"] == authority)
                      & (referrals["referral_date"] >= start) & (referrals["referral_date"] <= end)]
    pr = r["priority"].astype("str").str.strip().str.lower()
    if settings is not None:
        mapping = {str(k).lower(): v for k, v in settings["waiting"]["facs_mapping"].items()}
        pr = pr.map(mapping).where(pr.isin(list(mapping)), pr)
    fa, cl, ref = r["first_assessment_date"], r["closure_date"], r["referral_date"]
    assessed = fa.notna() & (fa <= end) & (cl.isna() | (fa <= cl))
    stop = fa.where(assessed, cl.where(cl.notna() & (cl < end), end))
    out = pd.DataFrame({"priority": pr.where(r["priority"].notna(), "not recorded").to_numpy(),
                        "duration": (stop - ref).dt.days.astype("float64").to_numpy(),
                        "observed": assessed.astype(int).to_numpy()})
    return out.loc[out["duration"] >= 0].reset_index(drop=True)


def reject_summary(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows counted by file, column and reason — never the rejected values or ids.

    Returns
    -------
    DataFrame
        ``table, file, column, reason, rows`` (distinct rejected rows), most first.
    """
    cols = ["table", "file", "column", "reason"]
    if rejects is None or rejects.empty:
        return pd.DataFrame(columns=cols + ["rows"])
    r = rejects.copy()
    r["file"] = r["file"].map(lambda f: str(f).replace("\\", "/").rsplit("/", 1)[-1] if pd.notna(f) else "")
    for c in cols:
        r[c] = r[c].fillna("").astype(str)
    out = (r.groupby(cols, sort=False)["row"].nunique().rename("rows").reset_index()
             .sort_values(["rows", "table"], ascending=[False, True], kind="mergesort"))
    return out.reset_index(drop=True)


def completeness_table(bundle, *, names: Mapping[str, str] | pd.Series | None = None) -> pd.DataFrame:
    """Rows used, and how often the optional details were recorded, by council and extract.

    "Optional details" are the contract's nullable columns that are not dates (a blank date
    usually means "not happened yet", which is not missing data) and not the council code.

    Returns
    -------
    DataFrame
        ``council, table, rows, optional_details_filled_pct, optional_columns``.
    """
    from .contract import TABLES

    pieces = []
    for name, df in bundle.tables.items():  # one per extract
        if "authority_code" not in df or name not in TABLES:
            continue
        spec = TABLES[name]
        opt = [c.name for c in spec.columns if c.nullable and c.kind != "date" and c.name in df
               and c.name != "authority_code"]
        g = df.groupby("authority_code")
        part = g.size().rename("rows").to_frame()
        if opt:
            part["optional_details_filled_pct"] = (df[opt].notna().mean(axis=1)
                                                   .groupby(df["authority_code"]).mean() * 100).round(1)
        else:
            part["optional_details_filled_pct"] = np.nan
        part["optional_columns"] = ", ".join(opt) if opt else "-"
        part["table"] = name
        pieces.append(part.reset_index())
    if not pieces:
        return pd.DataFrame(columns=["council", "table", "rows", "optional_details_filled_pct", "optional_columns"])
    out = pd.concat(pieces, ignore_index=True)
    nm = pd.Series(names) if names is not None and not isinstance(names, pd.Series) else names
    out["council"] = out["authority_code"].map(nm).fillna(out["authority_code"]) if nm is not None else out["authority_code"]
    out = out.sort_values(["council", "table"], kind="mergesort")
    return out[["council", "table", "rows", "optional_details_filled_pct", "optional_columns"]].reset_index(drop=True)


def missing_values_table(indicators: pd.DataFrame, authority: str, period: str) -> pd.DataFrame:
    """A council's indicators with no value in a quarter, and the reason recorded in ``note``.

    Returns
    -------
    DataFrame
        ``indicator_id, breakdown, reason``.
    """
    t = indicators.loc[(indicators["authority_code"] == authority) & (indicators["period"] == str(period))]
    t = t.loc[pd.to_numeric(t["value"], errors="coerce").isna()]
    reason = t["note"].fillna("no reason recorded") if "note" in t else pd.Series("no reason recorded", index=t.index)
    return pd.DataFrame({"indicator_id": t["indicator_id"].to_numpy(), "breakdown": t["breakdown"].to_numpy(),
                         "reason": reason.astype(str).to_numpy()})


def km_curves_by(cohort: pd.DataFrame, by: str = "priority", *, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier "still waiting" curves for each group of a :func:`referral_cohort`.

    Calls :func:`ot_benchmark.stats.survival.km_curve` once per group (a handful of
    priorities) and stacks the results.

    Returns
    -------
    DataFrame
        ``by`` then the ``km_curve`` columns (``time, n_risk, n_event, n_censor, survival,
        lower, upper``), ready for :func:`ot_benchmark.plots.km_curves`.
    """
    from .stats.survival import km_curve

    parts = [km_curve(g["duration"], g["observed"], confidence=confidence).assign(**{by: key})
             for key, g in cohort.groupby(by, sort=True)]
    if not parts:
        return pd.DataFrame(columns=[by, "time", "n_risk", "n_event", "n_censor", "survival", "lower", "upper"])
    out = pd.concat(parts, ignore_index=True)
    return out[[by] + [c for c in out.columns if c != by]]
