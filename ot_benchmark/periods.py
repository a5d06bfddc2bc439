"""UK financial-year quarters: ``2024-25 Q2`` (Q1 Apr–Jun, Q2 Jul–Sep, Q3 Oct–Dec, Q4 Jan–Mar)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from ot_benchmark.errors import OTBenchmarkError

__all__ = [
    "Period",
    "PeriodError",
    "parse_period",
    "period_range",
    "periods_of_dates",
    "sorted_periods",
    "latest_period",
]


class PeriodError(OTBenchmarkError, ValueError):
    """A period label that cannot be read without guessing."""


@dataclass(frozen=True, order=True)
class Period:
    """A financial-year quarter. ``year`` is the calendar year the financial year starts in."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if self.quarter not in (1, 2, 3, 4):
            raise PeriodError(f"quarter must be 1-4, not {self.quarter}")

    @property
    def label(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d} Q{self.quarter}"

    @property
    def financial_year(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d}"

    def __str__(self) -> str:
        return self.label

    @property
    def start(self) -> pd.Timestamp:
        month = 4 + 3 * (self.quarter - 1)
        year = self.year + (month > 12)
        month = (month - 1) % 12 + 1
        return pd.Timestamp(year=year, month=month, day=1)

    @property
    def end(self) -> pd.Timestamp:
        """The last day of the quarter: the snapshot date for stock measures."""
        return self.next().start - pd.Timedelta(days=1)

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1

    def next(self) -> "Period":
        return Period(self.year + (self.quarter == 4), self.quarter % 4 + 1)

    def previous(self) -> "Period":
        return Period(self.year - (self.quarter == 1), (self.quarter - 2) % 4 + 1)

    def year_ago(self) -> "Period":
        return Period(self.year - 1, self.quarter)

    def shift(self, quarters: int) -> "Period":
        idx = self.year * 4 + (self.quarter - 1) + quarters
        return Period(idx // 4, idx % 4 + 1)

    @classmethod
    def from_date(cls, date) -> "Period":
        ts = pd.Timestamp(date)
        fy = ts.year if ts.month >= 4 else ts.year - 1
        return cls(fy, (ts.month - 4) % 12 // 3 + 1)


_FY = r"(?P<y1>\d{4})\s*[-/–]\s*(?P<y2>\d{2}|\d{4})"
_PATTERNS = [
    re.compile(rf"^(?:fy\s*)?{_FY}\s*[,:_ -]?\s*q(?:tr|uarter)?\s*(?P<q>[1-4])$", re.I),
    re.compile(rf"^q(?:tr|uarter)?\s*(?P<q>[1-4])\s*[,:_ -]?\s*(?:fy\s*)?{_FY}$", re.I),
]


def parse_period(text: "str | Period") -> Period:
    """Read a quarter label; accepts ``2024-25 Q2``, ``2024/25 Q2``, ``2024-25Q2``, ``Q2 2024-25``,
    ``2024/2025 Q2``. Rejects labels that need a guess (``2024Q2``, ``2024 Q2``: calendar or
    financial year?) with a message saying what to write instead."""
    if isinstance(text, Period):
        return text
    s = str(text).strip()
    for pat in _PATTERNS:
        m = pat.match(s)
        if m:
            y1 = int(m["y1"])
            y2 = m["y2"]
            y2i = int(y2) if len(y2) == 4 else (y1 // 100) * 100 + int(y2)
            if y2i != y1 + 1:
                raise PeriodError(
                    f"period {text!r}: {y1} and {y2} are not consecutive years; "
                    f"write the financial year as e.g. '{y1}-{(y1 + 1) % 100:02d} Q{m['q']}'"
                )
            return Period(y1, int(m["q"]))
    m = re.match(r"^(\d{4})\s*[-/ ]?\s*q([1-4])$", s, re.I) or re.match(r"^q([1-4])\s*[-/ ]?\s*(\d{4})$", s, re.I)
    if m:
        raise PeriodError(
            f"period {text!r} is ambiguous: it does not say whether {s[:4] if s[0].isdigit() else s[-4:]} is a "
            "calendar or a financial year. Write a financial-year quarter such as '2024-25 Q2' "
            "(Q1 = Apr-Jun, Q2 = Jul-Sep, Q3 = Oct-Dec, Q4 = Jan-Mar)."
        )
    raise PeriodError(
        f"cannot read period {text!r}; write a financial-year quarter such as '2024-25 Q2' "
        "(Q1 = Apr-Jun, Q2 = Jul-Sep, Q3 = Oct-Dec, Q4 = Jan-Mar)."
    )


def period_range(first: "str | Period", last: "str | Period") -> list[Period]:
    """All quarters from ``first`` to ``last`` inclusive."""
    a, b = parse_period(first), parse_period(last)
    if b < a:
        raise PeriodError(f"period range {a} to {b} runs backwards")
    out = [a]
    while out[-1] < b:
        out.append(out[-1].next())
    return out


def sorted_periods(labels: "Iterable[str | Period]") -> list[str]:
    """Period labels in time order, each once, written canonically (``2024-25 Q2``)."""
    return [p.label for p in sorted({parse_period(x) for x in labels})]


def latest_period(labels: "Iterable[str | Period]") -> str | None:
    """The one "latest period" rule: the last quarter among ``labels`` (for an indicator table's
    ``period`` column, the last quarter any council has a figure for); None when there is none."""
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
