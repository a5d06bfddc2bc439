"""Validate a council data folder against the data contract and load it as a :class:`DataBundle`.

Two kinds of problem, handled differently:

* **Fatal** (raise :class:`~ot_benchmark.errors.DataContractError`, CLI exit 2): the folder or the
  required ``referrals`` file is missing, a file cannot be read, a required column is missing
  (the message suggests the near-miss rename), two files claim one table, ``metadata.json`` is
  not a JSON object.
* **Row-level** (never fatal, never silent): the row is left out of its table and every problem
  with it is listed in ``bundle.rejects`` with the table, file, row number (as a spreadsheet
  shows it: header and title rows counted), column, the value as written, and the reason.

Values are read the way real council exports write them: UK day-first dates (``03/04/2024`` is
3 April; ``3/4/24`` too), ISO dates with or without a time, Excel serial dates (in cells or as
numbers such as ``45385``), ``3 Apr 2024``; ``Y/N``, ``yes/no``, ``true/false``, ``1/0``
booleans; ``£1,234.50`` numbers; codes in any case with stray spaces. Anything that would need a
guess (``04/13/2024`` — month 13, probably a US month-first date) is rejected with the reason.

Every column is parsed once, vectorised, on its distinct values (a referrals file of 1.6M rows
has a few thousand distinct dates); typed Parquet columns take a fast path.

Decisions
---------
* ``in_post_wte`` above ``establishment_wte`` is accepted (over-establishment happens through
  temporary and supernumerary posts; the vacancy rate is then negative, which the caseload
  family reports as it is).
* ``equipment.referral_id`` and ``adaptations.referral_id`` may name referrals outside the
  extract (items for people referred before it starts), so they are not checked; ``contacts``
  must belong to an accepted referral.
* A referral closed as ``assessed_and_closed`` without a first assessment date, or assessed after
  its closure, is accepted with a warning counting such rows (the indicators go by the dates).
* Dates before :data:`EARLIEST_DATE` are rejected as implausible (they are almost always typing
  errors or an Excel serial of a small number), as are dates after ``today`` — except a
  complaint's ``due_date`` and ``remedy_due_date``, which may lie ahead of the extract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ot_benchmark.errors import DataContractError
from ot_benchmark.io import reference
from ot_benchmark.io.bundle import REJECT_COLUMNS, DataBundle, coverage_dates, declared_coverage
from ot_benchmark.io.contract import REQUIRED_TABLES, TABLES, ColumnSpec, TableSpec, format_limit, to_markdown
from ot_benchmark.io.hashing import string_hashes
from ot_benchmark.io.mapping import DEFAULTED_COLUMNS, MAPPING_FILE_NAME, NO_MAPPING, map_values, resolve_mapping
from ot_benchmark.io.readers import RawTable, raise_problems, read_metadata, read_raw_table, scan_folder
from ot_benchmark.io.plausible import implausible_values
from ot_benchmark.periods import PeriodError, parse_period

__all__ = [
    "load_data",
    "validate_folder",
    "ValidationReport",
    "known_authority_codes",
    "parse_dates",
    "EARLIEST_DATE",
]

EARLIEST_DATE = pd.Timestamp("1990-01-01")
MAX_WHOLE = 1e15  # a whole number column with no plausible maximum of its own: above this is no count
# a response, or a remedy, can be due after the extract date
FUTURE_ALLOWED = {("complaints", "due_date"), ("complaints", "remedy_due_date")}
EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (with its 1900 leap-year bug absorbed)
TRUE_WORDS = {"y", "yes", "true", "t", "1", "1.0"}
FALSE_WORDS = {"n", "no", "false", "f", "0", "0.0"}

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?)?$")
_DMONY = re.compile(r"^(\d{1,2})[\s/-]*([A-Za-z]{3,9})[\s/,-]*(\d{4}|\d{2})$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
_MONTHS = {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_DATE_HOWTO = "write dates as YYYY-MM-DD (2024-04-03) or day-first DD/MM/YYYY (03/04/2024)"


# --------------------------------------------------------------------------- reference codes
def known_authority_codes() -> set[str]:
    """ONS codes of the councils in the reference data (every council with adult social services
    responsibilities at any time since April 2015: the 2021-23 and 2025 lists and those abolished in 2019-2021).

    Asks :func:`ot_benchmark.io.reference.known_codes`; empty (codes are then checked for shape
    only, with a warning) when the reference files are missing.
    """
    try:
        return {str(c).strip().upper() for c in reference.known_codes()}
    except DataContractError:
        return set()


# --------------------------------------------------------------------------- value parsers
# Each parser takes the distinct non-blank values of a column (a str Series) and returns
# (parsed values, reason per value or NA when fine). Callers map the result back to the rows.
def _parse_date_values(u: pd.Series) -> tuple[pd.Series, pd.Series]:
    u = u.str.strip()
    out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    why = pd.Series(pd.NA, index=u.index, dtype="object")

    def ymd(y, m, d):
        return pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": d}), errors="coerce")

    iso = u.str.extract(_ISO)
    m_iso = iso[0].notna()
    if m_iso.any():
        out[m_iso] = ymd(iso.loc[m_iso, 0].astype(int), iso.loc[m_iso, 1].astype(int), iso.loc[m_iso, 2].astype(int))
    dmy = u.str.extract(_DMY)
    m_dmy = dmy[0].notna() & ~m_iso
    if m_dmy.any():
        d = dmy.loc[m_dmy, 0].astype(int)
        mth = dmy.loc[m_dmy, 1].astype(int)
        yy = dmy.loc[m_dmy, 2]
        y = yy.astype(int)
        two = yy.str.len() == 2
        pivot = (pd.Timestamp.today().year % 100) + 1
        y = y.where(~two, np.where(y < pivot, 2000 + y, 1900 + y))
        out[m_dmy] = ymd(y, mth, d)
        us = m_dmy & (dmy[1].astype(float) > 12) & (dmy[0].astype(float) <= 12)
        why[us] = "ambiguous date: month above 12 — looks like a US month-first date; " + _DATE_HOWTO
    mon = u.str.extract(_DMONY)
    m_mon = mon[0].notna() & ~m_iso & ~m_dmy
    if m_mon.any():
        mnum = mon.loc[m_mon, 1].str[:3].str.lower().map(_MONTHS)
        y = mon.loc[m_mon, 2].astype(int)
        y = y.where(y >= 100, 2000 + y)
        out[m_mon] = ymd(y, mnum.astype("float"), mon.loc[m_mon, 0].astype(int))
    m_ser = u.str.match(_SERIAL) & ~m_iso & ~m_dmy & ~m_mon
    if m_ser.any():
        num = u[m_ser].astype(float)
        ok = (num >= 1) & (num < 2958466)
        days = np.floor(num.where(ok)).astype("float")
        out[m_ser] = EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
        why[m_ser & ~ok.reindex(u.index, fill_value=True)] = "a number that is not an Excel date serial; " + _DATE_HOWTO
    matched = m_iso | m_dmy | m_mon | m_ser
    why[~matched & why.isna()] = "cannot read this as a date (neither ISO nor day-first); " + _DATE_HOWTO
    why[matched & out.isna() & why.isna()] = "not a real calendar date; " + _DATE_HOWTO
    return out.dt.normalize(), why


def parse_dates(values: pd.Series, *, today=None, allow_future: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parse a column of dates as council exports write them (vectorised).

    Parameters
    ----------
    values : pandas.Series
        Strings (ISO, day-first UK, ``3 Apr 2024``, Excel serials, with or without a time part),
        or already-typed datetimes (fast path).
    today : date-like, optional
        Dates after it are flagged as in the future. Default: today's date.
    allow_future : bool, default False
        Accept dates after ``today`` (a complaint's response due date may be ahead).

    Returns
    -------
    (dates, reasons) : (Series of datetime64[ns], Series of object)
        ``dates`` at midnight, NaT for blanks and problems; ``reasons`` says why a non-blank value
        was not accepted (NA when it was).
    """
    dates, why = _parse_dates(values, today=today, allow_future=allow_future)
    if why is None:
        why = pd.Series(pd.NA, index=values.index, dtype="object")
    return dates, why


_DAY_NS = 86_400_000_000_000


def _midnight(dates: pd.Series) -> pd.Series:
    """``dates.dt.normalize()``, without a copy when every date is already at midnight."""
    v = dates.to_numpy().view("i8")
    # v is a whole day when v - (v // day) * day == 0 (a division by a constant is far cheaper
    # than a remainder); NaT is the smallest int64. A million values at a time: small temporaries
    for i in range(0, len(v), 1 << 20):
        c = v[i:i + (1 << 20)]
        if not bool(((c - (c // _DAY_NS) * _DAY_NS == 0) | (c == np.iinfo(np.int64).min)).all()):
            return dates.dt.normalize()
    return dates


def _parse_dates(values: pd.Series, *, today=None, allow_future: bool = False) -> tuple[pd.Series, pd.Series | None]:
    """:func:`parse_dates` with ``reasons`` None when every value is fine (no per-row object
    column is built then). Typed datetime columns skip string parsing and, when already at
    midnight in nanoseconds, are returned without a copy."""
    today = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today).normalize()
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        dt = values
        if getattr(dt.dt, "tz", None) is not None:
            dt = dt.dt.tz_convert("Europe/London").dt.tz_localize(None)
        dates = _midnight(dt.astype("datetime64[ns]"))
        why = None
    else:
        s = values.astype("str") if values.dtype != "str" else values
        s = s.where(values.notna())
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        u_dates, u_why = _parse_date_values(pd.Series(uniques, dtype="str"))
        dates = _take(u_dates, codes, pd.NaT).astype("datetime64[ns]")
        dates.index = values.index
        if u_why.notna().any():
            why = _take(u_why, codes, pd.NA).astype("object")
            why.index = values.index
        else:
            why = None
    v = dates.to_numpy(dtype="datetime64[ns]").view("i8")  # NaT is the smallest int64
    late = v > today.value if not allow_future else np.zeros(len(dates), dtype=bool)
    early = (v < EARLIEST_DATE.value) & (v != np.iinfo(np.int64).min)
    if late.any() or early.any():
        if why is None:
            why = pd.Series(pd.NA, index=values.index, dtype="object")
        why = why.where(~late, f"date in the future (after {today.date()})")
        why = why.where(~early, f"implausibly early date (before {EARLIEST_DATE.date()}); check it")
    if why is not None:
        dates = dates.where(why.isna())
    return dates, why


def _take(u: pd.Series, codes: np.ndarray, fill) -> pd.Series:
    """Map per-distinct-value results back to rows (code -1 = blank)."""
    u = u.reset_index(drop=True)
    ext = pd.concat([u, pd.Series([fill], dtype=u.dtype if len(u) else object)], ignore_index=True)
    return ext.take(np.where(codes < 0, len(u), codes)).reset_index(drop=True)


def _by_distinct(values: pd.Series, fn, *, keep_if_same: bool = False) -> tuple[pd.Series, pd.Series | None]:
    """Apply ``fn(distinct str values) -> (parsed, reasons)`` and map back to rows.

    Reasons are None when every value is fine. With ``keep_if_same`` (parsers returning ``str``)
    a ``str`` column whose distinct values all parse to themselves is returned as it is, without
    building a new column.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):  # the distinct values are its categories
        return _by_categories(values, fn, keep_if_same=keep_if_same)
    s = values.astype("str").where(values.notna()) if values.dtype != "str" else values
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(uniques, dtype="str")
    parsed, why = fn(u)
    bad = why.notna()
    if (keep_if_same and values.dtype == "str" and parsed.dtype == "str" and not bad.any()
            and bool((parsed == u).all())):
        return values, None
    p = _take(parsed, codes, None)
    p.index = values.index
    if not bad.any():
        return p, None
    w = _take(why.astype("object"), codes, pd.NA).astype("object")
    w.index = values.index
    return p, w


def _by_categories(values: pd.Series, fn, *, keep_if_same: bool = False) -> tuple[pd.Series, pd.Series | None]:
    """:func:`_by_distinct` of a categorical column: ``fn`` reads its categories, the result is
    categorical again (categories that read the same merged)."""
    u = pd.Series(values.cat.categories, dtype="str")
    codes = values.cat.codes.to_numpy()
    parsed, why = fn(u)
    bad = why.notna()
    if keep_if_same and not bad.any() and bool((parsed.astype("str") == u).all()):
        return values, None
    new_codes, cats = pd.factorize(parsed.where(~bad), use_na_sentinel=True)
    lut = np.r_[new_codes, -1]
    out = pd.Series(pd.Categorical.from_codes(lut[codes], categories=pd.Index(cats, dtype="str")), index=values.index)
    if not bad.any():
        return out, None
    w = pd.Series(np.r_[why.to_numpy(dtype=object), pd.NA][codes], index=values.index, dtype="object")
    return out, w


def _norm_category(u: pd.Series) -> pd.Series:
    return u.str.strip().str.lower().str.replace(r"[\s\-/]+", "_", regex=True)


def _mapping_hint(raw: RawTable, col: ColumnSpec, target: str):
    """``fn(values) -> texts``: the line of the mapping that would read each value (the
    reason of a rejected coded value names the mapping to add)."""
    where = raw.mapping_label or "a mapping (named in the folder's settings.toml: see docs/data_contract.md)"

    def fn(u: pd.Series) -> pd.Series:
        quoted = '"' + u.str.strip().str.replace("\\", "\\\\", regex=False).str.replace('"', '\\"', regex=False) + '"'
        return ("; to read it, add the line  " + quoted + f" = {target}  under "
                f"[{raw.table}.values.{col.name}] in {where}")
    return fn


def _parse_category(col: ColumnSpec, hint=None):
    def fn(u: pd.Series):
        n = _norm_category(u)
        if col.aliases:
            n = n.replace(col.aliases)
        ok = n.isin(list(col.allowed or ()))
        why = pd.Series(pd.NA, index=u.index, dtype="object")
        if (~ok).any():
            base = f"not one of the allowed values for {col.name}: {', '.join(col.allowed or ())}"
            why[~ok] = (base + hint(u[~ok])) if hint is not None else base
        return n.where(ok), why
    return fn


def _parse_code(known: set[str]):
    pattern = re.compile(r"^[ENSW]\d{8}$")

    def fn(u: pd.Series):
        n = u.str.upper().str.replace(r"\s+", "", regex=True)
        why = pd.Series(pd.NA, index=u.index, dtype="object")
        shape = n.str.match(pattern)
        why[~shape] = "not an ONS authority code (a letter and 8 digits, e.g. E10000017)"
        if known:
            why[shape & ~n.isin(list(known))] = "unknown authority code: not a council in the reference data"
        return n.where(why.isna()), why
    return fn


def _parse_bool(u: pd.Series, hint=None):
    n = u.str.strip().str.lower()
    val = pd.Series(np.nan, index=u.index, dtype="object")
    val[n.isin(TRUE_WORDS)] = True
    val[n.isin(FALSE_WORDS)] = False
    why = pd.Series(pd.NA, index=u.index, dtype="object")
    bad = val.isna()
    if bad.any():
        base = "not a yes/no value: write Y or N (yes/no, true/false, 1/0 also read)"
        why[bad] = (base + hint(u[bad])) if hint is not None else base
    return val, why


def _parse_number_strings(u: pd.Series, hint=None):
    n = u.str.strip().str.replace(r"[£,\s]", "", regex=True)
    neg_paren = n.str.match(r"^\(.*\)$")
    n = n.where(~neg_paren, "-" + n.str.slice(1, -1))
    num = pd.to_numeric(n, errors="coerce").astype("float64")
    why = pd.Series(pd.NA, index=u.index, dtype="object")
    bad = num.isna()
    if bad.any():
        why[bad] = ("not a number" + hint(u[bad])) if hint is not None else "not a number"
    return num, why


def _parse_period_values(u: pd.Series, kinds=("quarter",)):
    labels, reasons = [], []
    for text in u.tolist():  # distinct labels only: a handful per file
        try:
            labels.append(parse_period(text, kinds).label)
            reasons.append(pd.NA)
        except PeriodError as exc:
            labels.append(None)
            reasons.append(str(exc))
    return pd.Series(labels, index=u.index, dtype="object"), pd.Series(reasons, index=u.index, dtype="object")


# --------------------------------------------------------------------------- one table
@dataclass
class _Problems:
    """Collects (mask, column, reason) problems of one table, vectorised."""

    raw: RawTable
    frames: list = field(default_factory=list)
    blanks: dict = field(default_factory=dict)  # column -> blank mask, as _parse_column found it

    def add(self, mask, column: str, reason, check: str | None = None, value=None) -> None:
        """Record rows ``mask`` as problems in ``column``; ``check`` (a short kind for the
        summary) defaults to the reason up to its first ':', ';' or '('."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        df = self.raw.data
        if value is None:
            value = df[column] if column in df else pd.Series([""] * len(df))
        val = pd.Series(value).reset_index(drop=True)[mask].astype("str").fillna("")
        reason_s = pd.Series(reason).reset_index(drop=True)[mask].astype("str") if isinstance(reason, pd.Series) \
            else pd.Series([reason] * int(mask.sum()), dtype="str")
        if check is None:
            check_s = reason_s.str.split(r"[:;(]", n=1, regex=True).str[0].str.strip().to_numpy(dtype=object)
        else:
            check_s = check
        self.frames.append(pd.DataFrame({
            "table": self.raw.table,
            "file": self.raw.path.name,
            "row": self.raw.rows[mask],
            "column": column,
            "value": val.to_numpy(dtype=object),
            "reason": reason_s.to_numpy(dtype=object),
            "check": check_s,
        }))

    def bad_rows(self, n: int) -> np.ndarray:
        bad = np.zeros(n, dtype=bool)
        if self.frames:
            rows = pd.concat(self.frames)["row"].to_numpy()
            bad = np.isin(self.raw.rows, rows)
        return bad


def _arrow_strings(s: pd.Series):
    """The pyarrow array behind a pyarrow-backed ``str`` column (None for other columns)."""
    if s.dtype == "str" and getattr(s.dtype, "storage", None) == "pyarrow":
        arr = s.array.__arrow_array__()
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):  # offsets + data layout
            return arr
    return None


def _isin(values: pd.Series, pool: pd.Series) -> np.ndarray:
    """``values.isin(pool)`` through a hash table (pandas' str-dtype isin loops in Python)."""
    v_arr, p_arr = _arrow_strings(values), _arrow_strings(pool)
    if v_arr is not None and p_arr is not None:  # pyarrow's hash join, no Python strings
        hit = pc.is_in(v_arr, value_set=p_arr.combine_chunks().drop_null(), skip_nulls=True)
        return pc.fill_null(hit, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)
    pool_arr = pd.unique(pool.dropna().to_numpy(dtype=object))
    index = pd.Index(pool_arr, dtype=object)
    return index.get_indexer(pd.Index(values.to_numpy(dtype=object), dtype=object)) >= 0


def _is_blank(s: pd.Series) -> pd.Series:
    if s.dtype == "str" or s.dtype == object:
        return s.isna() | (s.astype("str").str.strip() == "")
    return s.isna()


def _edge_bytes(arr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First byte, last byte (0 for empty or missing values) and whether it is empty (no byte)
    of every value of a pyarrow string array, read from its offsets and data buffers without
    copying strings."""
    firsts, lasts, lengths = [], [], []
    for ch in arr.chunks:
        n = len(ch)
        _, off_buf, data_buf = ch.buffers()[:3]
        large = pa.types.is_large_string(ch.type) or pa.types.is_large_binary(ch.type)
        offs = np.frombuffer(off_buf, dtype=np.int64 if large else np.int32)
        offs = offs[ch.offset: ch.offset + n + 1].astype(np.int64)
        data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(1, np.uint8)
        length = np.diff(offs)
        has = length > 0
        f = np.zeros(n, np.uint8)
        la = np.zeros(n, np.uint8)
        f[has] = data[offs[:-1][has]]
        la[has] = data[offs[1:][has] - 1]
        firsts.append(f)
        lasts.append(la)
        lengths.append(~has)
    if not firsts:
        return np.zeros(0, np.uint8), np.zeros(0, np.uint8), np.zeros(0, bool)
    return np.concatenate(firsts), np.concatenate(lasts), np.concatenate(lengths)


_SPACE_TABLE: list = []


def _ascii_space_table() -> np.ndarray:
    """For each byte value: could a UTF-8 character starting or ending with this byte be a
    space? ASCII bytes as pyarrow's utf8_is_space says; every non-ASCII byte counts as maybe."""
    if not _SPACE_TABLE:
        ascii_space = pc.utf8_is_space(pa.array([chr(i) for i in range(128)])).to_numpy(zero_copy_only=False)
        _SPACE_TABLE.append(np.concatenate([np.asarray(ascii_space, dtype=bool), np.ones(128, dtype=bool)]))
    return _SPACE_TABLE[0]


def _strip_and_blank(s: pd.Series) -> tuple[pd.Series | None, pd.Series, bool]:
    """For a ``str`` column: (stripped values, or None when no value has spaces to strip; blank
    mask as :func:`_is_blank`; whether any value that is not missing is blank), stripping once.
    Other columns: (None, :func:`_is_blank`, False)."""
    if isinstance(s.dtype, pd.CategoricalDtype):  # a Parquet dictionary column: look at each distinct value once
        stripped_c, blank_c, spaces_c = _strip_and_blank(pd.Series(s.cat.categories, dtype="str"))
        codes = s.cat.codes.to_numpy()
        blank = pd.Series(np.r_[blank_c.to_numpy(dtype=bool), True][codes], index=s.index, dtype=bool)
        stripped = None if stripped_c is None else s.astype("str").where(s.notna()).str.strip()  # rare
        return stripped, blank, bool(blank.sum() > int(s.isna().sum()))
    if s.dtype != "str":
        return None, _is_blank(s), False
    arr = _arrow_strings(s)
    if arr is not None:
        # Without building the stripped column: a value is blank when it is missing, empty or
        # all spaces, and needs stripping when its first or last character is a space. The
        # first and last bytes of every value (read from the offsets, no copy of the strings)
        # rule out almost all values; the few left — starting or ending with an ASCII space or
        # any non-ASCII character — are checked exactly with pyarrow (utf8_is_space and pandas'
        # strip, utf8_trim_whitespace, agree on every code point).
        first, last, empty = _edge_bytes(arr)
        blank = np.asarray(s.isna().to_numpy(), dtype=bool) | empty
        space = _ascii_space_table()
        maybe = ~empty & (space[first] | space[last])
        edge = False
        if maybe.any():
            idx = np.flatnonzero(maybe)
            sub = arr.take(idx)
            blank[idx] |= pc.fill_null(pc.utf8_is_space(sub), False).to_numpy(zero_copy_only=False)
            edge = bool(pc.any(pc.utf8_is_space(pc.utf8_slice_codeunits(sub, 0, 1))).as_py()
                        or pc.any(pc.utf8_is_space(pc.utf8_slice_codeunits(sub, -1, 2**31 - 1))).as_py())
        blank = pd.Series(blank, index=s.index, dtype=bool)
        stripped = s.str.strip() if edge else None
    else:
        stripped = s.str.strip()
        blank = s.isna() | (stripped == "")
        if stripped.str.len().sum() == s.str.len().sum():  # stripping only shortens: nothing to strip
            stripped = None
    n_missing = int(s.isna().sum())
    return stripped, blank, int(blank.sum()) > n_missing


def _parse_column(raw: RawTable, col: ColumnSpec, problems: _Problems, *, today, known_codes) -> pd.Series:
    df = raw.data
    if col.name not in df:  # an optional column the file does not have
        if col.kind == "date":
            return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
        if col.kind in ("number",):
            return pd.Series(np.nan, index=df.index, dtype="float64")
        if col.kind == "int":
            return pd.Series(pd.NA, index=df.index, dtype="Int64")
        if col.kind == "bool":
            return pd.Series(pd.NA, index=df.index, dtype="boolean")
        if col.name == "breakdown":
            return pd.Series("all", index=df.index, dtype="str")
        return pd.Series(np.nan, index=df.index, dtype="str")
    s = df[col.name]
    if raw.value_maps.get(col.name):  # the council's codes -> the contract's, before anything else
        s = map_values(s, raw.value_maps[col.name])
    stripped, blank, spaces_only = _strip_and_blank(s)
    problems.blanks[col.name] = blank
    any_blank = bool(blank.any())
    if spaces_only or (any_blank and s.dtype == object):  # otherwise blank = missing already
        s = s.where(~blank)
    if any_blank and not col.nullable and col.name != "breakdown":
        problems.add(blank, col.name, f"blank: {col.name} must be filled in")

    # ``why`` (reason per row, NA when fine) is None while no row has a problem: clean columns
    # build no per-row object column.
    def flag(why, mask, reason):
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return why
        if why is None:
            why = pd.Series(pd.NA, index=s.index, dtype="object")
        return why.where(~mask, reason)

    kind = col.kind
    if kind == "date":
        out, why = _parse_dates(s, today=today, allow_future=(raw.table, col.name) in FUTURE_ALLOWED)
    elif kind in ("number", "int"):
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            out = s.astype("float64")
            why = None
        else:
            hint = _mapping_hint(raw, col, "<the number it means>") if kind == "int" else None
            out, why = _by_distinct(s, lambda u: _parse_number_strings(u, hint))
            out = pd.to_numeric(out, errors="coerce").astype("float64")
        infinite = np.isinf(out.to_numpy(dtype="float64", na_value=np.nan))
        if infinite.any():  # "inf", "-Infinity", 1e999 or a typed inf: never a count or an amount
            why = flag(why, infinite, "not a finite number (infinity); write the value itself")
            out = out.where(~infinite)
        if kind == "int":
            why = flag(why, out.notna() & (out != np.floor(out)), "not a whole number")
        if col.min_value is not None:
            low = (out < col.min_value).to_numpy()
            if why is not None:
                low = low & why.isna().to_numpy()
            why = flag(why, low, "negative value" if col.min_value == 0 else f"below the minimum of {col.min_value:g}")
        limit = col.plausible_max if col.plausible_max is not None else (MAX_WHOLE if kind == "int" else None)
        if limit is not None:
            high = (out > limit).to_numpy()
            if why is not None:
                high = high & why.isna().to_numpy()
            why = flag(why, high, f"implausible value: above {format_limit(limit, col.name)} for {col.name}; "
                                  "check it (a typing error, pence entered as pounds, a total row?)")
    elif kind == "bool":
        if pd.api.types.is_bool_dtype(s.dtype):
            out, why = s, None
        else:
            hint = _mapping_hint(raw, col, '"<Y or N>"')
            out, why = _by_distinct(s, lambda u: _parse_bool(u, hint))
    elif kind == "category":
        hint = _mapping_hint(raw, col, '"<the value it means>"')
        out, why = _by_distinct(s, _parse_category(col, hint), keep_if_same=True)
    elif kind == "code":
        out, why = _by_distinct(s, _parse_code(known_codes), keep_if_same=True)
    elif kind == "period":
        out, why = _by_distinct(s, lambda u: _parse_period_values(u, col.period_kinds))
    else:  # id, text
        if s.dtype == "str" or isinstance(s.dtype, pd.CategoricalDtype):  # strip (once, above) only when needed
            out = s if stripped is None else (stripped.where(~blank) if spaces_only else stripped)
        else:
            txt = s.astype("str").where(s.notna())
            if pd.api.types.is_float_dtype(s.dtype):  # a Parquet float id column: 123.0 -> "123"
                whole = s.notna() & (s == np.floor(s))
                txt = txt.where(~whole, s.where(whole).astype("Int64").astype("str"))
            out = txt.str.strip()
        if col.name == "breakdown" and any_blank:  # blank breakdown = the whole council
            out = out.fillna("all")
        why = None
    if why is not None:
        bad = why.notna() & ~blank
        problems.add(bad.to_numpy(), col.name, why, "period label" if kind == "period" else None)
    return out


def _typed(out: pd.Series, col: ColumnSpec, compact: bool = False) -> pd.Series:
    kind = col.kind
    if compact and kind in ("code", "category"):  # a few distinct values: one byte a row
        return out if isinstance(out.dtype, pd.CategoricalDtype) else out.astype("category")
    if kind == "date":
        return out.astype("datetime64[ns]")
    if kind == "number":
        return out.astype("float64")
    if kind == "int":
        return out.astype("Int64")
    if kind == "bool":  # a column that may be blank keeps its blanks (pandas "boolean": True, False, <NA>)
        return out.astype("boolean") if col.nullable else out.astype(bool)
    if col.name == "breakdown":
        return out.fillna("all").astype("str")
    return out.astype("str")


_ORDER_CHECKS = {
    # table: [(earlier column, later column), ...]  later must not be before earlier
    "referrals": [("referral_date", "allocated_date"), ("referral_date", "first_assessment_date"),
                  ("referral_date", "review_start_date"), ("referral_date", "closure_date")],
    "equipment": [("ordered_date", "delivered_date"), ("delivered_date", "collected_date"),
                  ("delivered_date", "collection_requested_date")],
    "vacancies": [("vacant_from", "filled_on")],
    "complaints": [("received_date", "responded_date"), ("received_date", "ombudsman_referred_date"),
                   ("ombudsman_referred_date", "ombudsman_decided_date"), ("received_date", "remedy_completed_date")],
    "adaptations": [("recommended_date", "completed_date")],
}

_PAIRED = {
    # table: [(column, other column)]: one filled in without the other is a reject
    "referrals": [("closure_date", "closure_reason"), ("closure_reason", "closure_date")],
    "equipment": [("collection_outcome", "collected_date")],
    "complaints": [("ombudsman_decision", "ombudsman_decided_date"), ("ombudsman_decided_date", "ombudsman_decision")],
}


def _cross_checks(table: str, out: dict[str, pd.Series], raw: RawTable, problems: _Problems) -> None:
    def filled(col: str) -> pd.Series:
        if col not in raw.data:
            return pd.Series(False, index=raw.data.index)
        blank = problems.blanks.get(col)
        return ~(_is_blank(raw.data[col]) if blank is None else blank)

    for early, late in _ORDER_CHECKS.get(table, []):
        bad = (out[late] < out[early]).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            value = pd.Series("", index=out[late].index, dtype="str")
            value[bad] = (out[late][bad].dt.strftime("%Y-%m-%d") + f" (before {early} "
                          + out[early][bad].dt.strftime("%Y-%m-%d") + ")")
            problems.add(bad, late, f"{late} is before {early}", "date_order", value=value)
    for col, other in _PAIRED.get(table, []):
        bad = (filled(col) & ~filled(other)).to_numpy(dtype=bool)
        problems.add(bad, other, f"{col} is filled in but {other} is blank", "missing_pair")
    if table == "complaints":
        bad = (out["recommendations_complied"] > out["recommendations_due"]).fillna(False).to_numpy(dtype=bool)
        problems.add(bad, "recommendations_complied", "recommendations_complied is more than recommendations_due",
                     "complied_gt_due")
    if table == "returns":
        bad = (out["value"].isna() & (out["numerator"].isna() | out["denominator"].isna())).to_numpy(dtype=bool)
        problems.add(bad, "value", "value is blank and cannot be computed: numerator or denominator blank",
                     "no_value")
        why = implausible_values(out["indicator_id"], out["value"], raw.path.parent)  # catalogue min/max_value
        problems.add(why.notna().to_numpy(dtype=bool), "value", why, "implausible_value")


def _no_repeat_by_hash(arr) -> bool:
    """True when the values of a pyarrow string array are surely all different: their 64-bit
    hashes (:func:`~ot_benchmark.io.hashing.string_hashes`) are sorted and no two neighbours are
    equal. False means "maybe" (two equal hashes): look exactly."""
    h = string_hashes(arr.drop_null() if arr.null_count else arr)
    h.sort()
    return not bool((h[1:] == h[:-1]).any())


def _any_repeated(s: pd.Series) -> bool:
    """Does any value that is not missing occur twice? For pyarrow strings by hashing
    (:func:`_no_repeat_by_hash`) and, only when two hashes meet, by sorting and comparing
    neighbours, which needs far less memory than a hash table of millions of ids."""
    arr = _arrow_strings(s)
    if arr is None:
        return not s.dropna().is_unique
    n = len(arr) - arr.null_count
    if n < 2:
        return False
    if _no_repeat_by_hash(arr):
        return False
    ordered = arr.take(pc.sort_indices(arr)).slice(0, n)  # missing values sort last
    return bool(pc.any(pc.equal(ordered.slice(0, n - 1), ordered.slice(1))).as_py())


def _duplicates(spec: TableSpec, out: dict[str, pd.Series], raw: RawTable, problems: _Problems) -> None:
    if not spec.key:
        return
    if len(spec.key) == 1 and not _any_repeated(out[spec.key[0]]):  # the usual case: nothing to find
        return
    keys = pd.DataFrame({k: out[k] for k in spec.key})
    complete = keys.notna().all(axis=1)
    if spec.name == "returns":
        complete = keys.drop(columns="breakdown").notna().all(axis=1)
    dup = keys.duplicated(keep="first") & complete
    if not dup.any():
        return
    first_row = pd.Series(raw.rows, index=keys.index).groupby([keys[k] for k in spec.key], dropna=False,
                                                              sort=False).transform("first")
    col = spec.key[0] if len(spec.key) == 1 else "+".join(spec.key)
    value = keys[spec.key[0]].astype("str")
    for k in spec.key[1:]:
        value = value + " | " + keys[k].astype("str").fillna("")
    reason = "duplicate of row " + first_row.astype("int64").astype("str") + f" (same {', '.join(spec.key)})"
    problems.add(dup.to_numpy(), col, reason, "duplicate", value=value)


def _validate_table(raw: RawTable, *, today, known_codes, keep=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The accepted rows of a table and its rejects. ``keep`` (contract names): only these
    columns in the accepted table, codes and categories as categoricals; every column read is
    still checked (one not read at all is treated as blank, as if it were absent)."""
    spec = TABLES[raw.table]
    problems = _Problems(raw)
    raw.data = raw.data.reset_index(drop=True)
    columns = spec.columns if keep is None else [c for c in spec.columns
                                                 if c.name in raw.data or c.name in raw.deferred or c.name in keep]
    out = {}
    for c in columns:
        later = c.name in raw.deferred
        if later:  # a column read only to be checked: read it now, and drop it once it is found clean
            raw.data[c.name] = raw.deferred[c.name]()
        before = len(problems.frames)
        out[c.name] = _parse_column(raw, c, problems, today=today, known_codes=known_codes)
        if later and len(problems.frames) == before and not (spec.key == (c.name,) and _any_repeated(out[c.name])):
            del out[c.name]
            problems.blanks.pop(c.name, None)
            raw.data = raw.data.drop(columns=c.name)
    _cross_checks(raw.table, out, raw, problems)
    if all(k in out for k in spec.key):  # a key column dropped above was found unique
        _duplicates(spec, out, raw, problems)
    bad = problems.bad_rows(len(raw.data))
    kept = [c for c in spec.columns if keep is None or c.name in keep]
    compact = keep is not None
    if bad.any():
        cols = {c.name: _typed(out[c.name][~bad], c, compact) for c in kept}
    else:  # no copy of the accepted rows
        cols = {c.name: _typed(out[c.name], c, compact) for c in kept}
    # concat rather than the DataFrame constructor: it does not copy same-typed columns into
    # one block, so columns that needed no change keep sharing memory with the file as read
    table = pd.concat(cols, axis=1).reset_index(drop=True)
    rejects = pd.concat(problems.frames, ignore_index=True) if problems.frames else _empty_rejects()
    return table, rejects


def _empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "object") for c in REJECT_COLUMNS + ["check"]})


# --------------------------------------------------------------------------- folder
SUMMARY_COLUMNS = ["table", "file", "rows_read", "rows_accepted", "rows_rejected", "blank_rows_skipped"]


@dataclass
class ValidationReport:
    """What :func:`validate_folder` found, in one pass over the folder.

    Attributes
    ----------
    summary : DataFrame
        One row per table read: ``table, file, rows_read, rows_accepted, rows_rejected,
        blank_rows_skipped`` (``rows_read = rows_accepted + rows_rejected``; rows whose every
        contract column is blank are not data and are counted apart).
    by_reason : DataFrame
        ``table, column, check, reason, count`` — problems counted by kind (a row with two
        problems counts under both).
    rejects : DataFrame
        Every problem: :data:`~ot_benchmark.io.bundle.REJECT_COLUMNS` plus ``check`` (a short kind).
    warnings : list of str
    bundle : DataBundle
        The tables that could be read (tables with a fatal problem are absent).
    fatal : list of DataContractError
        Every fatal problem (each names its file and the fix); empty when the folder can be read.
    """

    summary: pd.DataFrame
    by_reason: pd.DataFrame
    rejects: pd.DataFrame
    warnings: list[str]
    bundle: DataBundle
    fatal: list = field(default_factory=list)

    @property
    def n_rejected(self) -> int:
        return int(self.summary["rows_rejected"].sum())

    @property
    def empty_required(self) -> list[str]:
        """Required tables that were read but ended with no accepted row."""
        s = self.summary.set_index("table")
        return [t for t in REQUIRED_TABLES if t in s.index and int(s.at[t, "rows_accepted"]) == 0]

    @property
    def usable(self) -> bool:
        """No fatal problem and every required table has accepted rows."""
        return not self.fatal and not self.empty_required

    def to_text(self, max_rejects: int = 20) -> str:
        lines = [f"Data folder: {self.bundle.source_dir}"]
        if self.bundle.banner:
            lines.append(f"NOTE: {self.bundle.banner}")
        if self.fatal:
            lines += ["", f"FATAL: {len(self.fatal)} problem(s) stop the folder from being used "
                          "(every file was still checked; fix these, then run validate again):"]
            lines += [f"  ({i}) {p}" for i, p in enumerate(self.fatal, 1)]
        lines.append("")
        if len(self.summary):
            lines.append(self.summary.to_string(index=False))
        else:
            lines.append("No table could be read.")
        for t in self.empty_required:
            lines.append(f"FATAL: the required {t} table has no accepted rows (see the reasons below).")
        if self.warnings:
            lines += ["", "Warnings:"] + [f"  - {w}" for w in self.warnings]
        if len(self.rejects):
            lines += ["", "Rejected rows by reason:"]
            lines.append(self.by_reason[["table", "column", "check", "count"]].to_string(index=False))
            lines += ["", f"First {min(max_rejects, len(self.rejects))} of {len(self.rejects)} problems:"]
            lines.append(self.rejects[REJECT_COLUMNS].head(max_rejects).to_string(index=False))
        elif len(self.summary):
            lines += ["", "No rows rejected."]
        return "\n".join(lines)


def _missing_table_problem(name: str, data_dir: Path, files: dict) -> DataContractError:
    others = [p.name for p in sorted(data_dir.iterdir()) if p.suffix.lower() in (".csv", ".parquet", ".xlsx")
              and p not in files.values()]
    near = [o for o in others if name[:-1] in o.lower()]
    fix = (f"rename {near[0]!r} to '{name}{Path(near[0]).suffix.lower()}' (or name it in a mapping: "
           f"[{name}] file = {near[0]!r})." if near else
           f"add {name}.csv (or {name}.parquet / {name}.xlsx) with the columns in docs/data_contract.md.")
    return DataContractError(
        f"the data folder {data_dir} has no {name} file"
        + (f" (data files seen: {', '.join(others)})." if others else "."),
        file=str(data_dir / f"{name}.csv"),
        fix=fix,
    )


def _to_read(spec: TableSpec, keep) -> tuple[list[str], list[str]]:
    """The columns of a table to read when only ``keep`` are wanted: those, and every column
    whose check could reject a row (all but the blank-allowed identifiers and free text that
    no check names); those of them to read as categoricals (codes and categories kept, and the
    text read only for its blank check); and those to read only when they are checked (ids and
    text not kept), one at a time."""
    named = {c for pairs in (_ORDER_CHECKS.get(spec.name, []), _PAIRED.get(spec.name, [])) for pair in pairs for c in pair}
    read = [c for c in spec.columns if c.name in keep or not (c.nullable and c.kind in ("id", "text"))
            or c.name in spec.key or c.name in named]
    dictionary = [c.name for c in read if (c.kind in ("code", "category") and c.name in keep)
                  or (c.kind == "text" and c.name not in keep and c.name not in spec.key)]
    # read, checked and dropped one at a time by _validate_table
    deferred = [c.name for c in read if c.name not in keep and c.name not in named and c.kind in ("id", "text")]
    return [c.name for c in read], dictionary, deferred


def _kept_for_load(spec: TableSpec) -> set[str]:
    """Columns the end of :func:`_load` reads (coverage dates, the consistency warnings), so
    kept whatever columns are asked for."""
    need = {c.name for c in spec.columns if c.kind in ("date", "period")}
    return need | ({"closure_reason"} if spec.name == "referrals" else set()) | (
        {"authority_code"} if spec.name == "returns" else set())


def _load(data_dir, *, today=None, extra_codes=None, mapping=None, columns=None) -> ValidationReport:
    """Read and check every table of the folder, collecting fatal problems rather than stopping
    at the first (a folder with several problems is reported whole in one run)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():  # the one problem that stops everything at once
        scan_folder(data_dir, NO_MAPPING)
    fatal: list[DataContractError] = []
    try:
        export_mapping = resolve_mapping(data_dir, mapping)
    except DataContractError as exc:
        fatal.append(exc)
        export_mapping = None  # the tables are not read: without it every column would look missing
    scan = scan_folder(data_dir, export_mapping or NO_MAPPING)
    files, warnings = scan.files, list(scan.warnings)
    fatal += scan.problems
    own = data_dir / MAPPING_FILE_NAME
    if own.is_file() and export_mapping is not None and export_mapping.source != MAPPING_FILE_NAME:
        warnings.append(f"{MAPPING_FILE_NAME} is not used: the folder's settings.toml does not name it "
                        f"(add the line  mapping = \"{MAPPING_FILE_NAME}\"  at its top).")
    metadata = {}
    try:
        metadata = read_metadata(scan.metadata)
    except DataContractError as exc:
        fatal.append(exc)
    defaults = {c: str(metadata[k]).upper().replace(" ", "") for c, k in DEFAULTED_COLUMNS.items()
                if metadata.get(k) is not None and str(metadata[k]).strip()}
    try:
        declared = declared_coverage(metadata)
    except ValueError as exc:
        declared = {}
        fatal.append(DataContractError(f"metadata.json: {exc}.", file=str(scan.metadata), column="coverage",
                                       fix='write it as "coverage": {"referrals": {"from": "2022-04-01", "to": '
                                           '"2025-03-31"}}, or leave it out (the dates are then taken from the data).'))
    for name, spec in TABLES.items():
        if spec.required and name not in files and name not in scan.unreadable and "returns" not in files:  # returns alone: aggregate figures
            fatal.append(_missing_table_problem(name, data_dir, files))
    today = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today).normalize()
    known = known_authority_codes() | {str(c).strip().upper().replace(" ", "") for c in (extra_codes or ())}
    if not known:
        warnings.append("no reference council list found: authority codes were checked for shape only.")
    tables, rejects, summary = {}, [], []
    referral_ids = None  # the referrals file's ids as written (stripped), for checking contacts
    for name in TABLES:  # contract order: referrals first, so contacts can be checked against them
        if name not in files or export_mapping is None:
            continue
        keep = None if columns is None or name not in columns else set(columns[name]) | _kept_for_load(TABLES[name])
        read, dictionary, deferred = _to_read(TABLES[name], keep) if keep is not None else (None, (), ())
        try:
            raw, w = read_raw_table(name, files[name], export_mapping, defaults, columns=read, dictionary=dictionary,
                                    deferred=deferred)
        except DataContractError as exc:
            fatal.append(exc)
            continue
        warnings.extend(w)
        if name == "referrals":  # only these are needed later: do not keep the whole raw table
            referral_ids = raw.data["referral_id"].astype("str").str.strip()
        table, rej = _validate_table(raw, today=today, known_codes=known, keep=keep)
        if name == "contacts" and "referrals" in tables:
            problems = _Problems(raw)
            ids = raw.data["referral_id"].astype("str").str.strip()
            in_file = _isin(ids, referral_ids)
            accepted = _isin(ids, tables["referrals"]["referral_id"])
            ok_rows = ~np.isin(raw.rows, rej["row"].to_numpy())
            unknown = ok_rows & ~in_file
            rejected_ref = ok_rows & in_file & ~accepted
            problems.add(unknown, "referral_id", "unknown referral_id: not in the referrals file", "unknown_referral")
            problems.add(rejected_ref, "referral_id", "its referral was rejected (see the referrals rejects)",
                         "unknown_referral")
            if problems.frames:
                extra = pd.concat(problems.frames, ignore_index=True)
                rej = pd.concat([rej, extra], ignore_index=True)
                keep_rows = ~np.isin(raw.rows[ok_rows], extra["row"].to_numpy())
                table = table.loc[keep_rows].reset_index(drop=True)
        tables[name] = table
        rejects.append(rej)
        n_read = len(raw.data)
        summary.append({"table": name, "file": raw.path.name, "rows_read": n_read, "rows_accepted": len(table),
                        "rows_rejected": n_read - len(table), "blank_rows_skipped": raw.blank_rows})
        if n_read and not len(table):
            warnings.append(f"{raw.path.name}: none of its {n_read} row(s) was accepted; see the rejected rows.")
    warnings.extend(_consistency_warnings(tables))
    for name, ends in declared.items():
        if name in tables and "to" in ends:
            _, last = coverage_dates(name, tables[name])
            if pd.notna(last) and last > ends["to"]:
                warnings.append(f"{name}: dates up to {last.date()} although metadata.json says the extract covers "
                                f"up to {ends['to'].date()}; check the \"coverage\" it declares.")
    rej_all = pd.concat(rejects, ignore_index=True) if rejects else _empty_rejects()
    rej_all = rej_all.sort_values(["table", "row"], kind="stable").reset_index(drop=True)
    rej_all["row"] = rej_all["row"].astype("int64")
    bundle = DataBundle(
        tables=tables,
        rejects=rej_all[REJECT_COLUMNS].copy(),
        metadata=metadata,
        source_dir=data_dir,
        files=files,
        warnings=warnings,
    )
    by_reason = (rej_all.groupby(["table", "column", "check"], sort=True)
                 .agg(count=("row", "size"), reason=("reason", "first")).reset_index()
                 [["table", "column", "check", "reason", "count"]])
    summary_df = pd.DataFrame(summary, columns=SUMMARY_COLUMNS)
    bundle.intake = summary_df.copy()
    return ValidationReport(summary_df, by_reason, rej_all, warnings, bundle, fatal)


def _consistency_warnings(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Accepted rows whose parts disagree in a way the indicators resolve by the dates: said
    here so the resolution is never silent (``docs/methods.md``, family W); and returns for a
    council in a period it did not exist in (kept: the figure may be a predecessor's under a
    new code, or synthetic)."""
    out = []
    ret = tables.get("returns")
    if ret is not None and len(ret):
        gone = reference.did_not_exist(ret["authority_code"], ret["period"])
        if gone.any():
            first = ret[gone].iloc[0]
            out.append(f"returns: {int(gone.sum())} row(s) are for a council in a period it did not exist in, e.g. "
                       f"{reference.existence_note(first['authority_code'], first['period'])}; they are kept.")
    ref = tables.get("referrals")
    if ref is None or ref.empty:
        return out
    fa, cl = ref["first_assessment_date"], ref["closure_date"]
    assessed_reason = (ref["closure_reason"] == "assessed_and_closed").fillna(False)
    no_fa = int((assessed_reason & fa.isna()).sum())
    if no_fa:
        out.append(f"referrals: {no_fa} row(s) closed as 'assessed_and_closed' have no first_assessment_date; "
                   "they are counted as closed without assessment (W8_closed_unassessed), never as assessed.")
    late = int((fa.notna() & cl.notna() & (fa > cl)).sum())
    if late:
        out.append(f"referrals: {late} row(s) have a first_assessment_date after the closure_date; the assessment "
                   "is ignored and the referral counts as closed without assessment.")
    return out


def load_data(data_dir, *, today=None, extra_codes=None, mapping=None, columns=None) -> DataBundle:
    """Read and validate a council data folder.

    Parameters
    ----------
    data_dir : path
        Folder with one file per contract table (``referrals.csv``, ``equipment.parquet``,
        ``workforce.xlsx``, ...; names matched case-insensitively) and optionally
        ``metadata.json``.
    today : date-like, optional
        Dates after it are rejected as in the future. Default: today.
    extra_codes : iterable of str, optional
        Authority codes to accept besides the councils in the reference data (e.g. a test code).
    mapping : path, dict or ExportMapping, optional
        How the council's export maps onto the contract (:mod:`ot_benchmark.io.mapping`). None
        (the default): the mapping the folder's own ``settings.toml`` names, if any; ``{}``: none.
        Tables without an ``authority_code`` column take ``home_authority`` from ``metadata.json``.
    columns : mapping of table name to column names, optional
        Keep only these columns of these tables (and the date columns, which say what a table
        covers), codes and categories as pandas categoricals: a compact bundle for computing
        indicators. Every row is still checked by every check that can reject it, so the same
        rows are accepted; only blank-allowed identifiers and free text no check reads are left
        unread (in Parquet files). Tables not named are loaded whole.

    Returns
    -------
    DataBundle
        Typed tables of accepted rows, ``rejects`` (one row per problem), ``metadata``,
        ``warnings`` (columns left out, files ignored).

    Raises
    ------
    DataContractError
        For a fatal problem (missing referrals file or required column, unreadable file, two
        files for one table, bad metadata.json); the message names the file and the fix. Every
        file is checked before raising: several problems are raised together as
        :class:`~ot_benchmark.io.readers.FolderProblems` (``.problems`` lists each one).
    """
    report = _load(data_dir, today=today, extra_codes=extra_codes, mapping=mapping, columns=columns)
    raise_problems(report.fatal, data_dir)
    return report.bundle


def validate_folder(data_dir, *, today=None, extra_codes=None, mapping=None,
                    raise_fatal: bool = True) -> ValidationReport:
    """Like :func:`load_data` but returns the :class:`ValidationReport` (summary per table,
    problems by reason, every reject, warnings and the bundle).

    With ``raise_fatal=False`` fatal problems are returned in ``report.fatal`` (with whatever
    could be read) instead of raised; a folder that does not exist is still raised.
    """
    report = _load(data_dir, today=today, extra_codes=extra_codes, mapping=mapping)
    if raise_fatal:
        raise_problems(report.fatal, data_dir)
    return report


# --------------------------------------------------------------------------- docs
DOC_BEGIN = "<!-- BEGIN GENERATED from ot_benchmark.io.contract.to_markdown(); do not edit by hand -->"
DOC_END = "<!-- END GENERATED -->"


def update_contract_doc(path="docs/data_contract.md") -> bool:
    """Rewrite the generated tables in ``docs/data_contract.md`` from the contract.

    Returns True when the file changed. Run after editing :mod:`ot_benchmark.io.contract`::

        python -c "from ot_benchmark.io.validate import update_contract_doc; update_contract_doc()"
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(DOC_BEGIN)
    _, _, tail = rest.partition(DOC_END)
    new = f"{head}{DOC_BEGIN}\n\n{to_markdown()}\n{DOC_END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False
