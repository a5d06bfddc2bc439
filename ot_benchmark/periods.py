"""Periods of three kinds: financial years, financial-year quarters and calendar months.

=============  ===========================  ==========================================
kind           label                        covers
=============  ===========================  ==========================================
``year``       ``2022-23``                  1 April 2022 to 31 March 2023
``quarter``    ``2024-25 Q2``               Q1 Apr–Jun, Q2 Jul–Sep, Q3 Oct–Dec, Q4 Jan–Mar
``month``      ``May 2024``                 1 to 31 May 2024
=============  ===========================  ==========================================

``Period(year, quarter)`` is the quarter (the kind the case-level indicators are computed for);
:class:`FinancialYear` and :class:`Month` are the other two. Every kind has ``.label``,
``.start``, ``.end`` (the last day: the snapshot day of stock measures), ``.days``, ``.kind``,
``.financial_year``, ``.next()``, ``.previous()``, ``.year_ago()``, ``.shift(n)``, ``.ordinal``
(consecutive periods of one kind have consecutive ordinals) and ``.steps_per_year``.

**Ordering.** Periods of one kind sort in time order. Periods of different kinds sort by their
last day, then their first day (so ``2022-23`` < ``2022-23 Q4`` < ``March 2023``: all end on
31 March 2023, the shortest last); a period is equal only to a period of its own kind.

**Month labels.** A month is written with its name and a four-digit year: ``May 2024`` (also
read: ``2024 May``, ``May-2024``, ``Sept 2024``, ``september 2024``). Year-month numbers such as
``2024-05`` are *not* read as months: ``2011-12`` would then be either December 2011 or the
financial year 2011-12. ``YYYY-YY`` is always a financial year, and ``2024-05`` (not consecutive
years) is refused with a message saying to write ``May 2024``. Two-digit years (``May-24``,
which could be 24 May) are refused too.

**How a report speaks of a kind.** :func:`period_words` is the one place where a kind's words are
decided (``"quarter"``, ``"year"``, ``"month"`` and the phrases built on them: ``"year by year"``,
``"the year before"``, ``"seven years in a row"``, the title line's ``"Year"``): every report
string that names a period kind takes them from the :class:`PeriodWords` it returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Union

import numpy as np
import pandas as pd

from ot_benchmark.errors import OTBenchmarkError

__all__ = [
    "Period",
    "Quarter",
    "FinancialYear",
    "Month",
    "AnyPeriod",
    "PERIOD_KINDS",
    "PeriodWords",
    "period_words",
    "PeriodError",
    "parse_period",
    "period_kind",
    "period_range",
    "periods_of_dates",
    "sorted_periods",
    "latest_period",
]

#: The kinds of period, shortest last (``year`` = financial year).
PERIOD_KINDS = ("year", "quarter", "month")

_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_MONTHS = {m.lower(): i + 1 for i, m in enumerate(_MONTH_NAMES)}
_MONTHS.update({m[:3].lower(): i + 1 for i, m in enumerate(_MONTH_NAMES)})
_MONTHS["sept"] = 9

_HOW_TO_WRITE = (
    "write a financial year such as '2024-25' (April 2024 to March 2025), a financial-year "
    "quarter such as '2024-25 Q2' (Q1 = Apr-Jun, Q2 = Jul-Sep, Q3 = Oct-Dec, Q4 = Jan-Mar), "
    "or a month such as 'May 2024'."
)


class PeriodError(OTBenchmarkError, ValueError):
    """A period label that cannot be read without guessing."""


def _fy_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


class _PeriodMixin:
    """Shared behaviour. Subclasses define ``kind``, ``steps_per_year``, ``label``,
    ``_months`` (first and last month as year*12 + month-1) and ``ordinal``/``from_ordinal``."""

    kind: str = ""
    steps_per_year: int = 0

    # -- order: by last month, then first month (a total order across kinds) ----------------
    def _key(self) -> tuple[int, int]:
        first, last = self._months()
        return (last, first)

    def _cmp(self, other, op):
        if not isinstance(other, _PeriodMixin):
            return NotImplemented
        return op(self._key(), other._key())

    def __lt__(self, other):
        return self._cmp(other, tuple.__lt__)

    def __le__(self, other):
        return self._cmp(other, tuple.__le__)

    def __gt__(self, other):
        return self._cmp(other, tuple.__gt__)

    def __ge__(self, other):
        return self._cmp(other, tuple.__ge__)

    def __str__(self) -> str:
        return self.label

    # -- calendar -----------------------------------------------------------------------------
    @property
    def start(self) -> pd.Timestamp:
        """The first day."""
        first, _ = self._months()
        return pd.Timestamp(year=first // 12, month=first % 12 + 1, day=1)

    @property
    def end(self) -> pd.Timestamp:
        """The last day: the snapshot date for stock measures."""
        _, last = self._months()
        nxt = last + 1
        return pd.Timestamp(year=nxt // 12, month=nxt % 12 + 1, day=1) - pd.Timedelta(days=1)

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1

    @property
    def financial_year(self) -> str:
        """The financial year the period falls in (``2024-25``)."""
        first, _ = self._months()
        y, m = first // 12, first % 12 + 1
        return _fy_label(y if m >= 4 else y - 1)

    # -- steps --------------------------------------------------------------------------------
    def shift(self, steps: int):
        """The period ``steps`` periods of the same kind later (earlier when negative)."""
        return type(self).from_ordinal(self.ordinal + int(steps))

    def next(self):
        return self.shift(1)

    def previous(self):
        return self.shift(-1)

    def year_ago(self):
        """The same period a year earlier (for a financial year: the previous year)."""
        return self.shift(-self.steps_per_year)


@dataclass(frozen=True, eq=True)
class Period(_PeriodMixin):
    """A financial-year quarter. ``year`` is the calendar year the financial year starts in."""

    year: int
    quarter: int

    kind = "quarter"
    steps_per_year = 4

    def __post_init__(self) -> None:
        if self.quarter not in (1, 2, 3, 4):
            raise PeriodError(f"quarter must be 1-4, not {self.quarter}")

    @property
    def label(self) -> str:
        return f"{_fy_label(self.year)} Q{self.quarter}"

    @property
    def financial_year(self) -> str:
        return _fy_label(self.year)

    def _months(self) -> tuple[int, int]:
        first = self.year * 12 + 3 + 3 * (self.quarter - 1)
        return first, first + 2

    @property
    def ordinal(self) -> int:
        return self.year * 4 + self.quarter - 1

    @classmethod
    def from_ordinal(cls, ordinal: int) -> "Period":
        return cls(int(ordinal) // 4, int(ordinal) % 4 + 1)

    @classmethod
    def from_date(cls, date) -> "Period":
        ts = pd.Timestamp(date)
        fy = ts.year if ts.month >= 4 else ts.year - 1
        return cls(fy, (ts.month - 4) % 12 // 3 + 1)


#: Another name for :class:`Period`, the financial-year quarter.
Quarter = Period


@dataclass(frozen=True, eq=True)
class FinancialYear(_PeriodMixin):
    """A financial year, 1 April to 31 March. ``year`` is the calendar year it starts in."""

    year: int

    kind = "year"
    steps_per_year = 1

    def __post_init__(self) -> None:
        if not isinstance(self.year, (int, np.integer)):
            raise PeriodError(f"a financial year's year must be a whole number, not {self.year!r}")

    @property
    def label(self) -> str:
        return _fy_label(self.year)

    def _months(self) -> tuple[int, int]:
        first = self.year * 12 + 3
        return first, first + 11

    @property
    def ordinal(self) -> int:
        return int(self.year)

    @classmethod
    def from_ordinal(cls, ordinal: int) -> "FinancialYear":
        return cls(int(ordinal))

    @classmethod
    def from_date(cls, date) -> "FinancialYear":
        ts = pd.Timestamp(date)
        return cls(ts.year if ts.month >= 4 else ts.year - 1)

    def quarters(self) -> list[Period]:
        """The year's four quarters, Q1 to Q4."""
        return [Period(self.year, q) for q in (1, 2, 3, 4)]


@dataclass(frozen=True, eq=True)
class Month(_PeriodMixin):
    """A calendar month: ``year`` and ``month`` (1 = January) as on a calendar."""

    year: int
    month: int

    kind = "month"
    steps_per_year = 12

    def __post_init__(self) -> None:
        if self.month not in range(1, 13):
            raise PeriodError(f"month must be 1-12, not {self.month}")

    @property
    def label(self) -> str:
        return f"{_MONTH_NAMES[self.month - 1]} {self.year}"

    def _months(self) -> tuple[int, int]:
        m = self.year * 12 + self.month - 1
        return m, m

    @property
    def ordinal(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def from_ordinal(cls, ordinal: int) -> "Month":
        return cls(int(ordinal) // 12, int(ordinal) % 12 + 1)

    @classmethod
    def from_date(cls, date) -> "Month":
        ts = pd.Timestamp(date)
        return cls(ts.year, ts.month)


AnyPeriod = Union[Period, FinancialYear, Month]

_FY = r"(?P<y1>\d{4})\s*[-/–]\s*(?P<y2>\d{2}|\d{4})"
_PATTERNS = [
    re.compile(rf"^(?:fy\s*)?{_FY}\s*[,:_ -]?\s*q(?:tr|uarter)?\s*(?P<q>[1-4])$", re.I),
    re.compile(rf"^q(?:tr|uarter)?\s*(?P<q>[1-4])\s*[,:_ -]?\s*(?:fy\s*)?{_FY}$", re.I),
]
_YEAR_PATTERN = re.compile(rf"^(?:fy\s*)?{_FY}$", re.I)
_MONTH_PATTERNS = [
    re.compile(r"^(?P<mon>[A-Za-z]+)\.?\s*[-/ ,]?\s*(?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})\s*[-/ ,]?\s*(?P<mon>[A-Za-z]+)\.?$"),
]
_MONTH_SHORT_YEAR = re.compile(r"^(?P<mon>[A-Za-z]+)\.?\s*[-/ ]\s*(?P<y>\d{2})$")


def _second_year(y1: int, y2: str) -> int:
    return int(y2) if len(y2) == 4 else (y1 // 100) * 100 + int(y2)


def _parse(s: str, text) -> AnyPeriod:
    for pat in _PATTERNS:
        m = pat.match(s)
        if m:
            y1 = int(m["y1"])
            y2 = m["y2"]
            if _second_year(y1, y2) != y1 + 1:
                raise PeriodError(
                    f"period {text!r}: {y1} and {y2} are not consecutive years; "
                    f"write the financial year as e.g. '{y1}-{(y1 + 1) % 100:02d} Q{m['q']}'"
                )
            return Period(y1, int(m["q"]))
    m = _YEAR_PATTERN.match(s)
    if m:
        y1, y2 = int(m["y1"]), m["y2"]
        if _second_year(y1, y2) != y1 + 1:
            month_hint = ""
            if len(y2) == 2 and 1 <= int(y2) <= 12:
                month_hint = (f" If you mean the month, write '{_MONTH_NAMES[int(y2) - 1]} {y1}' (year-month "
                              "numbers are not read: '2011-12' would be both December 2011 and a financial year).")
            raise PeriodError(
                f"period {text!r}: {y1} and {y2} are not consecutive years, so it is not a financial year; "
                f"write a financial year as e.g. '{_fy_label(y1)}'.{month_hint}"
            )
        return FinancialYear(y1)
    for pat in _MONTH_PATTERNS:
        m = pat.match(s)
        if m and m["mon"].lower() in _MONTHS:
            return Month(int(m["y"]), _MONTHS[m["mon"].lower()])
    m = _MONTH_SHORT_YEAR.match(s)
    if m and m["mon"].lower() in _MONTHS:
        name = _MONTH_NAMES[_MONTHS[m["mon"].lower()] - 1]
        raise PeriodError(
            f"period {text!r} is ambiguous: '{m['y']}' could be a day of {name} or a two-digit year. "
            f"Write the month with a four-digit year, e.g. '{name} 20{m['y']}'."
        )
    m = re.match(r"^(\d{4})\s*[-/ ]?\s*q([1-4])$", s, re.I) or re.match(r"^q([1-4])\s*[-/ ]?\s*(\d{4})$", s, re.I)
    if m:
        raise PeriodError(
            f"period {text!r} is ambiguous: it does not say whether {s[:4] if s[0].isdigit() else s[-4:]} is a "
            "calendar or a financial year. Write a financial-year quarter such as '2024-25 Q2' "
            "(Q1 = Apr-Jun, Q2 = Jul-Sep, Q3 = Oct-Dec, Q4 = Jan-Mar)."
        )
    m = re.match(r"^(?:fy\s*)?(\d{4})$", s, re.I)
    if m:
        y = int(m[1])
        raise PeriodError(
            f"period {text!r} is ambiguous: it does not say whether {y} is a calendar or a financial year. "
            f"Write the financial year as '{_fy_label(y)}' (April {y} to March {y + 1}) or "
            f"'{_fy_label(y - 1)}' (April {y - 1} to March {y})."
        )
    if re.match(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$", s):
        raise PeriodError(f"period {text!r} is a date, not a period; {_HOW_TO_WRITE}")
    raise PeriodError(f"cannot read period {text!r}; {_HOW_TO_WRITE}")


def parse_period(text: "str | AnyPeriod", kinds: "Iterable[str] | None" = None) -> AnyPeriod:
    """Read a period label of any kind.

    Quarters: ``2024-25 Q2``, ``2024/25 Q2``, ``2024-25Q2``, ``Q2 2024-25``, ``2024/2025 Q2``.
    Financial years: ``2024-25``, ``2024/25``, ``2024-2025``, ``FY 2024-25``. Months: ``May 2024``,
    ``2024 May``, ``May-2024``, ``Sept 2024``. Labels that need a guess are refused with a
    message saying what to write instead: ``2024Q2`` and ``2024 Q2`` (calendar or financial
    year?), ``2024`` (the same), ``May-24`` (24 May, or May 2024?), ``2024-05`` (not a
    financial year; a month is written ``May 2024``).

    Parameters
    ----------
    text : str or a period
        A period passes through unchanged.
    kinds : iterable of ``"year"``, ``"quarter"``, ``"month"``, optional
        The kinds allowed here; a period of another kind is refused, naming the kinds allowed.
    """
    if isinstance(text, _PeriodMixin):
        p = text
    else:
        s = str(text).strip()
        p = _parse(s, text)
    if kinds is not None:
        allowed = tuple(kinds)
        if p.kind not in allowed:
            examples = {"year": "a financial year such as '2024-25'", "quarter": "a quarter such as '2024-25 Q2'",
                        "month": "a month such as 'May 2024'"}
            want = " or ".join(examples[k] for k in allowed)
            raise PeriodError(f"period {p.label!r} is a {_KIND_WORDS[p.kind]}; only {want} is allowed here.")
    return p


_KIND_WORDS = {"year": "financial year", "quarter": "financial-year quarter", "month": "month"}


def period_kind(text: "str | AnyPeriod") -> str:
    """``"year"``, ``"quarter"`` or ``"month"``."""
    return parse_period(text).kind


def period_range(first: "str | AnyPeriod", last: "str | AnyPeriod") -> list[AnyPeriod]:
    """Every period from ``first`` to ``last`` inclusive (both of one kind).

    Missing periods in a series are not closed up: ``period_range("2019-20", "2021-22")`` is
    three years, so a year with no figure stays a gap where the range is used as an axis.
    """
    a, b = parse_period(first), parse_period(last)
    if a.kind != b.kind:
        raise PeriodError(
            f"period range {a} to {b}: a range runs between periods of one kind, but {a} is a "
            f"{_KIND_WORDS[a.kind]} and {b} a {_KIND_WORDS[b.kind]}"
        )
    if b < a:
        raise PeriodError(f"period range {a} to {b} runs backwards")
    return [type(a).from_ordinal(i) for i in range(a.ordinal, b.ordinal + 1)]


def sorted_periods(labels: "Iterable[str | AnyPeriod]") -> list[str]:
    """Period labels in time order, each once, written canonically (``2024-25 Q2``, ``2022-23``,
    ``May 2024``). Periods of different kinds sort by their last day, then their first."""
    return [p.label for p in sorted({parse_period(x) for x in labels})]


def latest_period(labels: "Iterable[str | AnyPeriod]") -> str | None:
    """The one "latest period" rule: the period among ``labels`` that ends last (of two that end
    on the same day, the shorter); for an indicator table's ``period`` column, the last period
    any council has a figure for. None when there is none."""
    ordered = sorted_periods(labels)
    return ordered[-1] if ordered else None


def periods_of_dates(dates: "pd.Series | Iterable") -> pd.Series:
    """Vectorised: the quarter label each date falls in (NaT gives <NA>)."""
    d = pd.to_datetime(pd.Series(dates))
    fy = np.where(d.dt.month >= 4, d.dt.year, d.dt.year - 1)
    q = ((d.dt.month - 4) % 12) // 3 + 1
    fy_s = pd.Series(fy, index=d.index).astype("Int64").astype(str)
    y2 = ((pd.Series(fy, index=d.index) + 1) % 100).astype("Int64").astype(str).str.zfill(2)
    lab = fy_s + "-" + y2 + " Q" + q.astype("Int64").astype(str)
    return lab.where(d.notna(), pd.NA)


# --------------------------------------------------------------------------------------------
# how a report speaks of periods of each kind (the one place)
# --------------------------------------------------------------------------------------------

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(frozen=True)
class PeriodWords:
    """The words a report uses for periods of one kind; get them with :func:`period_words`.

    ``noun`` is what one period is called in a sentence (``quarter``, ``year``, ``month``),
    ``plural`` several, ``heading`` the word on a title line or an axis (``Quarter``, ``Year``,
    ``Month``). Every other phrase is built from these by one rule:

    ==================  =====================  =====================
    attribute           quarter                year
    ==================  =====================  =====================
    ``by``              quarter by quarter     year by year
    ``this``            this quarter           this year
    ``previous``        the previous quarter   the previous year
    ``before``          the quarter before     the year before
    ``latest``          the latest quarter     the latest year
    ``in_the``          in the quarter         in the year
    ``end``             the end of the quarter the end of the year
    ``count(2)``        2 quarters             2 years
    ``in_a_row(7)``     seven quarters in a    seven years in a row
                        row
    ==================  =====================  =====================

    ``year_ago`` says whether "a year earlier" is a different period from "the ... before"
    (not for financial years, where the two are the same year).
    """

    kind: str
    noun: str
    plural: str
    heading: str

    @property
    def by(self) -> str:
        return f"{self.noun} by {self.noun}"

    @property
    def this(self) -> str:
        return f"this {self.noun}"

    @property
    def previous(self) -> str:
        return f"the previous {self.noun}"

    @property
    def before(self) -> str:
        return f"the {self.noun} before"

    @property
    def latest(self) -> str:
        return f"the latest {self.noun}"

    @property
    def in_the(self) -> str:
        return f"in the {self.noun}"

    @property
    def end(self) -> str:
        return f"the end of the {self.noun}"

    @property
    def year_ago(self) -> bool:
        return self.kind != "year"

    def count(self, n: int) -> str:
        """``"1 quarter"``, ``"10 years"``."""
        n = int(n)
        return f"{n} {self.noun if n == 1 else self.plural}"

    def in_a_row(self, n: int) -> str:
        """``"seven quarters in a row"`` (numbers to ten in words)."""
        n = int(n)
        number = _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)
        return f"{number} {self.noun if n == 1 else self.plural} in a row"

    def fill(self, text: str) -> str:
        """``text`` with its placeholders put in words: ``{period}`` (the noun), ``{periods}``,
        ``{Period}`` (the heading word), ``{period by period}``; other braces are left alone
        (Markdown written in a notebook goes through here)."""
        for key, word in (("{period by period}", self.by), ("{periods}", self.plural),
                          ("{period}", self.noun), ("{Period}", self.heading)):
            text = text.replace(key, word)
        return text


_PERIOD_WORDS = {
    "quarter": PeriodWords("quarter", "quarter", "quarters", "Quarter"),
    "year": PeriodWords("year", "year", "years", "Year"),
    "month": PeriodWords("month", "month", "months", "Month"),
}


def period_words(kind: "str | AnyPeriod | None" = None) -> PeriodWords:
    """The words for periods of a kind: ``kind`` is a kind (``"year"``, ``"quarter"``,
    ``"month"``), a period, or a period label (``"2022-23"``, ``"2024-25 Q4"``, ``"May 2024"``).
    None, a blank or a label that cannot be read gives the quarter's words (the case-level
    indicators' period).

    >>> period_words("2022-23").by
    'year by year'
    >>> period_words("2024-25 Q4").in_a_row(7)
    'seven quarters in a row'
    """
    if isinstance(kind, _PeriodMixin):
        return _PERIOD_WORDS[kind.kind]
    if kind is None or (isinstance(kind, float) and kind != kind):
        return _PERIOD_WORDS["quarter"]
    text = str(kind).strip()
    if text in _PERIOD_WORDS:
        return _PERIOD_WORDS[text]
    if not text:
        return _PERIOD_WORDS["quarter"]
    try:
        return _PERIOD_WORDS[parse_period(text).kind]
    except PeriodError:
        return _PERIOD_WORDS["quarter"]
