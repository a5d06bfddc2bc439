"""Strings from outside the package made safe for what they go into: the one place for it.

A report shows text it did not write: council names, the names, definitions and caveats of a
council's own indicators (its local catalogue), the notes of its settings file (known changes),
the data folder's name. Such a string may hold markup — by accident, or by design: a catalogue
name ``<img src=x onerror=alert(1)>`` or a definition ``[click](javascript:alert(1))`` would run
or link in the HTML report if it were passed through as Markdown. And a table cell beginning
``=``, ``+``, ``-`` or ``@`` is a formula to a spreadsheet that opens the CSV (OWASP "CSV
injection").

* :func:`md` — for Markdown/HTML display: every string from a data folder, settings file or local
  catalogue is passed through it where the report's words put it (sections and narrative), so
  it shows as the text it is and can never become a tag, a link, an image or a heading.
* :func:`spreadsheet_text` / :func:`neutralise_cells` — for published CSV files: a text cell that
  a spreadsheet would read as a formula is prefixed with ``'``; real numbers (negative ones
  included) stay numbers. The workbook stores such cells as text (:mod:`ot_benchmark.report.export`).
"""

from __future__ import annotations

import html
import math
import re

import pandas as pd

__all__ = ["md", "FORMULA_START", "is_formula_text", "spreadsheet_text", "neutralise_cells"]

#: Markdown's punctuation that can start emphasis, code, a link or an image (``[``), a heading,
#: a table cell or a strike-through; each is backslash-escaped (after ``<``, ``>`` and ``&``
#: became entities, so no tag and no autolink can form).
_MARKDOWN = re.compile(r"([\\`*_\[\]#|~])")


def md(value) -> str:
    """``value`` as inert Markdown text: whitespace (newlines included) collapsed to single
    spaces, so it cannot start a block; ``&``, ``<``, ``>`` as HTML entities, so it cannot be a
    tag; Markdown punctuation backslash-escaped, so it cannot be a link, image, emphasis or code.
    Renders as the original characters. None and NaN give ``""``.

    Examples
    --------
    >>> md("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> md("[click](javascript:alert(1))")
    '\\\\[click\\\\](javascript:alert(1))'
    >>> md("Cost per OT assessment")
    'Cost per OT assessment'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = " ".join(str(value).split())
    text = html.escape(text, quote=False)
    return _MARKDOWN.sub(r"\\\1", text)


#: What a spreadsheet reads as the start of a formula (OWASP: =, +, -, @, tab, carriage return).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(?:\d[\d,]*)?(?:\.\d+)?(?:[eE][+-]?\d+)?%?$")


def is_formula_text(value) -> bool:
    """Whether a cell is text a spreadsheet would take for a formula: a string starting with one
    of :data:`FORMULA_START` that is not simply a number written as text (``-3.5``, ``+26%``) nor
    the tables' lone ``-`` for "no figure"."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START) or value.strip() in ("", "-", "+"):
        return False  # a lone "-" (the tables' "no figure") carries nothing to run
    return not (_NUMBER.match(value.strip()) and any(c.isdigit() for c in value))


def spreadsheet_text(value):
    """A CSV cell made safe: formula-like text prefixed with ``'`` (shown, not run); anything
    else unchanged."""
    return "'" + value if is_formula_text(value) else value


def neutralise_cells(df: pd.DataFrame) -> pd.DataFrame:
    """The table with :func:`spreadsheet_text` applied to every text cell, and to text column
    headings; numeric columns are untouched (a negative number stays a number)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            if out[col].map(is_formula_text).any():
                out[col] = out[col].map(spreadsheet_text).astype(object)
    return out.rename(columns=lambda c: spreadsheet_text(c) if isinstance(c, str) else c)
