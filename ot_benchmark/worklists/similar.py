"""The similar-case finder: people on the waiting list at the snapshot who match a description.

Grammar of the criteria (``ot-benchmark worklists --similar "..."``)::

    criteria  :=  term ( "," term )*
    term      :=  key "=" value

Every term must hold (they are combined with AND); spaces around keys, values and commas are
ignored; keys are lower case; a key may appear once. Where a key takes a list, its values are
separated by ``|`` and any of them matches. Values cannot contain ``,`` or ``|``.

==================  ===========================================================================
key                 value
==================  ===========================================================================
``priority``        priority bands: ``urgent``, ``high``, ``medium``, ``low`` (the FACS
                    spellings ``critical``, ``substantial``, ``moderate`` are read as the
                    settings map them), e.g. ``priority=high|urgent``
``team``            the council's team names as recorded (any case), e.g. ``team=North``
``age_band``        age bands as recorded, e.g. ``age_band=75-84|85+``
``waited_over``     days waited at the snapshot **more than** N (a whole number)
``waited_under``    days waited at the snapshot **fewer than** N
``referred``        referral date in a range, both ends included: ``2023-04-01..2023-09-30``;
                    either end may be left open (``2023-04-01..``, ``..2023-09-30``); one date
                    alone means that day. Dates are ISO (YYYY-MM-DD).
``past_target``     ``yes`` or ``no``: waited longer than the priority's target (W9's rule)
==================  ===========================================================================

Example: ``priority=high, waited_over=84, referred=2023-04-01..2023-09-30``. An unknown key, a
repeated key or a value that cannot be read stops with a message saying what is allowed.
"""

from __future__ import annotations

import pandas as pd

from ot_benchmark.errors import ParameterError
from ot_benchmark.io.contract import PRIORITIES, PRIORITY_ALIASES

__all__ = ["SIMILAR_KEYS", "parse_similar", "find_similar", "GRAMMAR"]

#: key -> what it takes (shown in error messages and ``--help``)
SIMILAR_KEYS = {
    "priority": "priority bands separated by | (urgent, high, medium, low)",
    "team": "the council's team names separated by |",
    "age_band": "age bands as recorded, separated by |",
    "waited_over": "days waited at the snapshot more than N",
    "waited_under": "days waited at the snapshot fewer than N",
    "referred": "referral dates FROM..TO, both ends included (an end may be left open)",
    "past_target": "yes or no (waited longer than the priority's target)",
}
GRAMMAR = ('comma-separated key=value terms, all of which must hold, e.g. '
           '"priority=high, waited_over=84, referred=2023-04-01..2023-09-30"; keys: '
           + "; ".join(f"{k} ({v})" for k, v in SIMILAR_KEYS.items()))


_HELP = ('write the criteria as comma-separated key=value terms, e.g. '
         '"priority=high, waited_over=84, referred=2023-04-01..2023-09-30" (ot-benchmark worklists --help)')


def _fail(msg: str):
    raise ParameterError(f"--similar: {msg}; {_HELP}.")


def _whole(key: str, value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        _fail(f"{key} needs a whole number of days, not {value!r}")
    if n < 0:
        _fail(f"{key} needs a number of days of 0 or more, not {value!r}")
    return n


def _date(key: str, value: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(pd.to_datetime(value, format="%Y-%m-%d"))
    except (ValueError, TypeError):
        _fail(f"{key} needs dates written YYYY-MM-DD, not {value!r}")


def parse_similar(text: str, facs_mapping: dict | None = None) -> dict:
    """Parse the criteria (see the module docstring for the grammar).

    Returns
    -------
    dict
        ``priority``/``team``/``age_band``: tuple of str (priorities mapped; teams and age
        bands as written), ``waited_over``/``waited_under``: int, ``referred``: (start or
        None, end or None) Timestamps, ``past_target``: bool.

    Raises
    ------
    ParameterError
        An unknown or repeated key, a term without ``=``, a value that cannot be read.
    """
    if text is None or not str(text).strip():
        _fail("no criteria given")
    mapping = {str(k).strip().lower(): str(v).strip().lower() for k, v in (facs_mapping or PRIORITY_ALIASES).items()}
    out: dict = {}
    for term in str(text).split(","):
        term = term.strip()
        if not term:
            _fail("an empty term (two commas in a row, or a comma at the end)")
        if "=" not in term:
            _fail(f"{term!r} is not key=value")
        key, value = (x.strip() for x in term.split("=", 1))
        key = key.lower()
        if key not in SIMILAR_KEYS:
            raise ParameterError(f"--similar: unknown key {key!r}; the keys are {', '.join(SIMILAR_KEYS)} "
                                 "(ot-benchmark worklists --help says what each takes).")
        if key in out:
            _fail(f"the key {key!r} is given twice")
        if not value:
            _fail(f"{key} has no value")
        if key == "priority":
            vals = []
            for v in (x.strip().lower() for x in value.split("|")):
                v = mapping.get(v, v)
                if v not in PRIORITIES:
                    _fail(f"unknown priority {v!r} (priorities are {', '.join(PRIORITIES)})")
                vals.append(v)
            out[key] = tuple(vals)
        elif key in ("team", "age_band"):
            vals = tuple(x.strip() for x in value.split("|"))
            if any(not v for v in vals):
                _fail(f"{key} has an empty value")
            out[key] = vals
        elif key in ("waited_over", "waited_under"):
            out[key] = _whole(key, value)
        elif key == "referred":
            if ".." in value:
                lo, hi = (x.strip() for x in value.split("..", 1))
                start = _date(key, lo) if lo else None
                end = _date(key, hi) if hi else None
                if start is None and end is None:
                    _fail("referred needs at least one date")
                if start is not None and end is not None and start > end:
                    _fail(f"referred runs from {lo} to {hi}: the start is after the end")
            else:
                start = end = _date(key, value)
            out[key] = (start, end)
        elif key == "past_target":
            v = value.lower()
            if v not in ("yes", "no", "true", "false", "y", "n"):
                _fail(f"past_target is yes or no, not {value!r}")
            out[key] = v in ("yes", "true", "y")
    return out


def find_similar(people: pd.DataFrame, criteria: dict) -> pd.DataFrame:
    """The people (rows of :func:`ot_benchmark.worklists.lists.waiting_people`) matching the
    parsed ``criteria``, longest wait first.

    Raises
    ------
    ParameterError
        A team that is not one of the council's teams (the message lists them).
    """
    m = pd.Series(True, index=people.index)
    if "priority" in criteria:
        m &= people["priority"].isin(criteria["priority"])
    if "team" in criteria:
        known = {str(t).lower(): t for t in people["team"].dropna().unique()}
        unknown = [t for t in criteria["team"] if t.lower() not in known]
        if unknown:
            raise ParameterError(f"--similar: team {unknown[0]!r} is not one of the council's teams on the list "
                                 f"({', '.join(sorted(map(str, known.values()))) or 'none recorded'}).")
        m &= people["team"].isin([known[t.lower()] for t in criteria["team"]])
    if "age_band" in criteria:
        m &= people["age_band"].isin(criteria["age_band"])
    if "waited_over" in criteria:
        m &= people["days_waited"] > criteria["waited_over"]
    if "waited_under" in criteria:
        m &= people["days_waited"] < criteria["waited_under"]
    if "referred" in criteria:
        start, end = criteria["referred"]
        if start is not None:
            m &= people["referral_date"] >= start
        if end is not None:
            m &= people["referral_date"] <= end
    if "past_target" in criteria:
        past = people["past_target"] == "yes"
        m &= past if criteria["past_target"] else ~past
    out = people[m.to_numpy(dtype=bool)]
    return out.sort_values(["days_waited", "referral_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
