"""Draft a mapping of a council's own export onto the data contract (``ot-benchmark map DATA_DIR``).

Reads every data file's header and the distinct values of its columns, then guesses:

* **which table** each file holds (by its name, else by how well its columns fit each table;
  files and tables are matched one to one);
* **which export column** holds each contract column: a score from the names (token overlap with
  synonyms and typos, :func:`ot_benchmark.io.mapping.column_score`) times how well the column's
  values fit the contract column's kind (dates for a date, numbers for an amount, a handful of
  codes for a category), and a one-to-one assignment over those scores
  (:func:`ot_benchmark.io.mapping.assign`, the Hungarian method), so one export column is never
  proposed for two contract columns;
* **which contract value** each distinct code of a coded column means (``"Deceased"`` ->
  ``died``), from the ways councils write them (:data:`ot_benchmark.io.mapping.VALUE_PHRASES`).

:func:`render_draft` writes the result as TOML with comments: every guess that is not sure says
so (``# CHECK: ...``) with the alternatives, columns not found are listed (commented out, so a
required one still stops ``validate`` until it is filled in), and codes without a guess are left
commented out with the contract's values to choose from (their rows are rejected until then).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ot_benchmark.errors import DataContractError
from ot_benchmark.io.contract import TABLES, ColumnSpec
from ot_benchmark.io.mapping import (DEFAULTED_COLUMNS, MAPPABLE_KINDS, MAPPING_FILE_NAME, NO_DEFAULT_TABLES, assign,
                                     column_phrases, column_score, guess_value, normalise_column_name, token_overlap,
                                     tokens)
from ot_benchmark.io.readers import (DATA_SUFFIXES, folder_defaults, not_a_regular_file, read_cells)
from ot_benchmark.io.validate import FALSE_WORDS, TRUE_WORDS, parse_dates
from ot_benchmark.periods import PeriodError, parse_period

__all__ = ["ColumnGuess", "ValueGuess", "TableDraft", "Draft", "draft_mapping", "render_draft"]

PROPOSE = 0.45  # lowest combined score proposed at all
SURE = 0.8  # a guess at or above this, with no close rival, needs no check
RIVAL = 0.1  # a rival within this of the best makes a guess uncertain
MAX_CODES = 60  # distinct values listed for a coded column
VALUE_SAMPLE = 400  # distinct values looked at to judge a column's kind


@dataclass
class ColumnGuess:
    contract: str
    export: str | None
    score: float = 0.0
    name_score: float = 0.0
    fit: float = 0.0
    sure: bool = False
    why: str = ""  # why it needs checking
    alternatives: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class ValueGuess:
    value: str
    count: int
    target: str | None
    score: float
    as_is: bool


@dataclass
class TableDraft:
    table: str
    path: Path
    by_name: bool  # the file is named after the table
    table_score: float
    header_row: int
    columns: list[ColumnGuess]
    unused: list[str]
    values: dict[str, list[ValueGuess]]
    n_distinct: dict[str, int]
    notes: list[str] = field(default_factory=list)

    def guess(self, contract: str) -> ColumnGuess:
        return next(g for g in self.columns if g.contract == contract)

    @property
    def mapped(self) -> dict[str, str]:
        return {g.contract: g.export for g in self.columns if g.export}


@dataclass
class Draft:
    data_dir: Path
    tables: dict[str, TableDraft]
    unmatched: list[tuple[str, str]]  # (file, why it was not matched to a table)
    problems: list[str]  # files that could not be read
    defaults: dict[str, str]

    @property
    def n_checks(self) -> int:
        n = 0
        for t in self.tables.values():
            n += sum(1 for g in t.columns if g.export and not g.sure)
            n += sum(1 for vs in t.values.values() for v in vs if not v.as_is and (v.target is None or v.score < 1))
        return n


# --------------------------------------------------------------------------- reading an export
@lru_cache(maxsize=4096)
def _cell_resemblance(text: str) -> float:
    """How much one header cell looks like any contract column's name (0..1), by tokens."""
    t = tokens(text)
    if not t:
        return 0.0
    return max(token_overlap(t, p) for p in _phrase_tokens())


@lru_cache(maxsize=1)
def _phrase_tokens() -> tuple[tuple[str, ...], ...]:
    out = {tokens(p) for name, spec in TABLES.items() for c in spec.column_names for p in column_phrases(name, c)}
    return tuple(p for p in out if p)


_NUMBERISH = re.compile(r"^[\s£$€(),.+\-0-9:/]*$")


def _header_like(cells) -> float:
    """Score of a row as the header of an unknown export: text cells that look like column
    names (not numbers, not dates), more so the more they resemble the contract's names."""
    total = 0.0
    for c in cells:
        if c is None or (isinstance(c, float) and np.isnan(c)):
            continue
        s = str(c).strip()
        if not s or _NUMBERISH.match(s) or not re.search(r"[A-Za-z]", s) or len(s) > 80:
            continue
        total += 0.3 + _cell_resemblance(s)
    return total


def _values_profile(s: pd.Series) -> pd.Series:
    """Distinct non-blank values (stripped text) with their counts, most common first."""
    if s.dtype != "str" and s.dtype != object:
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            s = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(s.dtype):
            whole = s.notna() & (s == np.floor(s))
            txt = s.astype("str")
            s = txt.where(~whole, s.where(whole).astype("Int64").astype("str")).where(s.notna())
        else:
            s = s.astype("str").where(s.notna())
    t = s.dropna().astype("str").str.strip()
    t = t[t != ""]
    return t.value_counts(sort=True)


# --------------------------------------------------------------------------- does a column fit a kind?
def _frac(mask) -> float:
    mask = np.asarray(mask, dtype=bool)
    return float(mask.mean()) if mask.size else 0.0


def _fit(col: ColumnSpec, counts: pd.Series) -> float:
    """How well an export column's values fit a contract column's kind (0..1; 0.5 when empty)."""
    if not len(counts):
        return 0.5
    vals = pd.Series(counts.index[:VALUE_SAMPLE], dtype="str")
    n_distinct = len(counts)
    dates, why = parse_dates(vals, today=pd.Timestamp("2200-01-01"))
    date_frac = _frac(dates.notna())
    num = pd.to_numeric(vals.str.replace(r"[£,\s]", "", regex=True).str.replace(r"^\((.*)\)$", r"-\1", regex=True),
                        errors="coerce")
    num_frac = _frac(num.notna())
    kind = col.kind
    if kind == "date":
        return date_frac
    if kind == "number":
        return num_frac * (1 - 0.5 * date_frac)
    if kind == "int":
        return _frac(num.notna() & (num == np.floor(num))) if num_frac > 0.5 else \
            _frac([guess_value(col, v)[0] is not None for v in vals[:MAX_CODES]]) * 0.8
    if kind == "bool":
        low = vals.str.lower()
        words = _frac(low.isin(TRUE_WORDS | FALSE_WORDS))
        guessed = _frac([guess_value(col, v)[0] is not None for v in vals[:MAX_CODES]]) if n_distinct <= 4 else 0.0
        return max(words, guessed)
    if kind == "category":
        if n_distinct > MAX_CODES:
            return 0.1
        known = _frac([guess_value(col, v)[0] is not None for v in vals])
        return max(known, 0.5 if date_frac < 0.5 and num_frac < 0.5 else 0.1)
    if kind == "code":
        return _frac(vals.str.upper().str.replace(r"\s+", "", regex=True).str.match(r"^[ENSW]\d{8}$"))
    if kind == "period":
        ok = []
        for v in vals[:50]:
            try:
                parse_period(v)
                ok.append(True)
            except PeriodError:
                ok.append(False)
        return _frac(ok)
    if kind == "id":
        if date_frac > 0.5:
            return 0.1
        unique = float(counts.iloc[:VALUE_SAMPLE].eq(1).mean())
        return 0.6 + 0.4 * unique
    return 0.2 if date_frac > 0.5 else 0.9  # text


# --------------------------------------------------------------------------- guessing
def _guess_columns(table: str, headers: list[str], profiles: dict[str, pd.Series]) -> list[ColumnGuess]:
    spec = TABLES[table]
    cols = spec.column_names
    names = np.array([[column_score(h, table, c) for h in headers] for c in cols])
    fits = np.array([[_fit(spec.column(c), profiles[h]) for h in headers] for c in cols])
    combined = names * (0.5 + 0.5 * fits)
    pairs = dict(assign(combined, PROPOSE)) if headers else {}
    out = []
    for i, c in enumerate(cols):
        if i not in pairs:
            alts = sorted(((headers[j], float(combined[i, j])) for j in range(len(headers)) if combined[i, j] >= 0.4),
                          key=lambda x: -x[1])[:2]
            out.append(ColumnGuess(c, None, alternatives=alts))
            continue
        j = pairs[i]
        sc, nm, ft = float(combined[i, j]), float(names[i, j]), float(fits[i, j])
        rivals = [(headers[k], float(combined[i, k])) for k in range(len(headers)) if k != j and combined[i, k] >= sc - RIVAL
                  and combined[i, k] >= PROPOSE]
        other_cols = [cols[k] for k in range(len(cols)) if k != i and combined[k, j] >= sc - RIVAL and combined[k, j] >= PROPOSE]
        why = []
        if nm < 0.9:
            why.append(f"the names are {round(100 * nm)}% alike")
        if ft < 0.8:
            why.append(f"{round(100 * ft)}% of its values look like {_KIND_WORDS[spec.column(c).kind]}")
        if rivals:
            why.append("also possible: " + ", ".join(f"{h!r}" for h, _ in rivals[:2]))
        if other_cols:
            why.append(f"it could also be {', '.join(other_cols[:2])}")
        sure = sc >= SURE and not why
        out.append(ColumnGuess(c, headers[j], sc, nm, ft, sure, "; ".join(why), rivals[:2]))
    return out


_KIND_WORDS = {"id": "identifiers", "code": "council codes", "date": "dates", "category": "codes", "number": "amounts",
               "int": "whole numbers", "bool": "yes/no values", "period": "quarters", "text": "text"}


def _guess_values(col: ColumnSpec, counts: pd.Series) -> list[ValueGuess]:
    out = []
    for value, n in counts.iloc[:MAX_CODES].items():
        target, score, as_is = guess_value(col, value)
        out.append(ValueGuess(str(value), int(n), target, float(score), as_is))
    return out


def _table_fit(table: str, headers: list[str], stem: str) -> float:
    """How well a file's columns fit a table: the mean best name score of the table's columns
    that must be present (a one-to-one assignment), with a little for the file's name."""
    spec = TABLES[table]
    core = [c for c in spec.required_columns if c not in DEFAULTED_COLUMNS] or spec.required_columns
    if not headers:
        return 0.0
    s = np.array([[column_score(h, table, c) for h in headers] for c in core])
    pairs = assign(s, 0.3)
    fit = sum(s[i, j] for i, j in pairs) / len(core)
    name_bonus = 0.15 if set(tokens(table)) & set(tokens(stem)) else 0.0
    return float(min(1.0, fit + name_bonus))


def _read_export(path: Path) -> tuple[pd.DataFrame, int]:
    df, header_idx, first_data_row, _, _ = read_cells(path, TABLES["referrals"], _header_like)
    df.columns = [str(c) for c in df.columns]
    keep = [c for c in df.columns if not (c.startswith("unnamed_") and df[c].isna().all())
            and not (normalise_column_name(c).startswith("unnamed") and df[c].isna().all())]
    return df[keep], first_data_row - 1


def draft_mapping(data_dir) -> Draft:
    """Guess a mapping of every data file in ``data_dir`` (see the module's description).

    Raises
    ------
    DataContractError
        The folder does not exist or holds no data file (CSV, Parquet, xlsx).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataContractError(f"data folder {str(data_dir)!r} does not exist or is not a folder.", file=str(data_dir),
                                fix="give the folder holding the council's export files.")
    problems: list[str] = []
    exports: dict[str, tuple[Path, pd.DataFrame, int]] = {}
    for path in sorted(data_dir.iterdir()):
        if path.name.startswith((".", "~$")) or path.suffix.lower() not in DATA_SUFFIXES:
            continue
        why = not_a_regular_file(path)
        if why:
            problems.append(f"{path.name} is {why}; not read.")
            continue
        try:
            df, header_row = _read_export(path)
        except DataContractError as exc:
            msg = str(exc).split(" Fix:", 1)[0]
            if "no header row found" in msg:
                msg = f"{path.name}: no row among the first 20 looks like a header (column names)"
            elif not msg.startswith(path.name):
                msg = f"{path.name}: {msg}"
            problems.append(msg)
            continue
        exports[path.name] = (path, df, header_row)
    if not exports and not problems:
        raise DataContractError(f"{data_dir} holds no data file (.csv, .parquet or .xlsx) to draft a mapping from.",
                                file=str(data_dir), fix="put the export's files in the folder.")

    # ---- which table each file holds: by name first, then by fit (one file per table)
    assigned: dict[str, tuple[str, float, bool]] = {}
    for name, (path, df, _) in exports.items():
        stem = normalise_column_name(path.stem)
        if stem in TABLES and stem not in {t for t, _, _ in assigned.values()}:
            assigned[name] = (stem, 1.0, True)
    rest = [n for n in exports if n not in assigned]
    free = [t for t in TABLES if t not in {t for t, _, _ in assigned.values()}]
    unmatched: list[tuple[str, str]] = []
    if rest and free:
        s = np.array([[_table_fit(t, list(exports[n][1].columns), exports[n][0].stem) for t in free] for n in rest])
        pairs = dict(assign(s, 0.5))
        for i, n in enumerate(rest):
            if i in pairs:
                assigned[n] = (free[pairs[i]], float(s[i, pairs[i]]), False)
            else:
                best = int(np.argmax(s[i])) if s.shape[1] else 0
                unmatched.append((n, f"its columns fit no table well enough (best: {free[best]}, "
                                     f"{round(100 * s[i, best])}%)" if s.shape[1] else "no table left for it"))
    else:
        unmatched += [(n, "another file is named after its table") for n in rest]

    defaults = folder_defaults(data_dir)
    tables: dict[str, TableDraft] = {}
    for name, (table, tscore, by_name) in assigned.items():
        path, df, header_row = exports[name]
        headers = list(df.columns)
        profiles = {h: _values_profile(df[h]) for h in headers}
        guesses = _guess_columns(table, headers, profiles)
        spec = TABLES[table]
        used = {g.export for g in guesses if g.export}
        values: dict[str, list[ValueGuess]] = {}
        n_distinct: dict[str, int] = {}
        for g in guesses:
            col = spec.column(g.contract)
            if g.export and col.kind in MAPPABLE_KINDS and col.kind != "code":
                counts = profiles[g.export]
                n_distinct[g.contract] = len(counts)
                values[g.contract] = _guess_values(col, counts)
        notes = []
        if header_row > 1:
            notes.append(f"the header is on row {header_row} (the rows above it are titles)")
        tables[table] = TableDraft(table, path, by_name, tscore, header_row, guesses,
                                   [h for h in headers if h not in used], values, n_distinct, notes)
    return Draft(data_dir, dict(sorted(tables.items(), key=lambda kv: list(TABLES).index(kv[0]))), unmatched,
                 problems, defaults)


# --------------------------------------------------------------------------- TOML
def _q(text: str) -> str:
    """A TOML basic string."""
    return json.dumps(str(text), ensure_ascii=False)


def _key(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else _q(text)


def _line(left: str, right: str, comment: str = "", width: int = 50) -> str:
    body = f"{left} = {right}"
    return f"{body:<{width}} # {comment}" if comment else body


def _allowed_words(col: ColumnSpec) -> str:
    if col.kind == "bool":
        return '"Y" or "N"'
    if col.kind == "int":
        return "a whole number"
    return ", ".join(col.allowed or ())


def render_draft(draft: Draft) -> str:
    """The draft as a TOML mapping file with comments (see the module's description)."""
    out = [
        f"# Draft mapping of the export in {draft.data_dir}",
        f"# written by `ot-benchmark map` on {dt.date.today().isoformat()}: best guesses, to be checked.",
        "#",
        "# Left of '=' is the data contract (docs/data_contract.md), right is your export.",
        "# 1. Check every line marked CHECK; fill in or delete the lines left commented out.",
        f"# 2. Save this file in the data folder as {MAPPING_FILE_NAME} and name it at the top of the",
        f"#    folder's settings.toml:   mapping = \"{MAPPING_FILE_NAME}\"",
        "# 3. Run  ot-benchmark validate DATA_DIR  — rows with codes not mapped yet are rejected, and",
        "#    each reason says which line to add here.",
    ]
    for p in draft.problems:
        out.append(f"# NOT READ: {p}")
    for name, why in draft.unmatched:
        out.append(f"# NOT MATCHED: {name}: {why}. Name it under its table:  file = {_q(name)}")
    for t in draft.tables.values():
        spec = TABLES[t.table]
        out += ["", f"[{t.table}]"]
        file_comment = "" if t.by_name else f"CHECK: matched by its columns ({round(100 * t.table_score)}% fit)"
        out.append(_line("file", _q(t.path.name), file_comment))
        for n in t.notes:
            out.append(f"# {t.path.name}: {n}")
        out += ["", f"[{t.table}.columns]"]
        for g in t.columns:
            col = spec.column(g.contract)
            if g.export:
                comment = "" if g.sure else f"CHECK: {g.why or 'a guess'}"
                out.append(_line(g.contract, _q(g.export), comment))
                continue
            alts = ("; candidates: " + ", ".join(f"{h!r}" for h, _ in g.alternatives)) if g.alternatives else ""
            if g.contract in DEFAULTED_COLUMNS and t.table not in NO_DEFAULT_TABLES:
                home = draft.defaults.get(g.contract)
                if home:
                    out.append(f"# {g.contract}: no such column; metadata.json's {DEFAULTED_COLUMNS[g.contract]} "
                               f"({home}) is used for every row")
                else:
                    out.append(_line(f"# {g.contract}", '""', f"REQUIRED: no column found{alts}; name it, or give "
                                     f"\"{DEFAULTED_COLUMNS[g.contract]}\" in metadata.json"))
            elif not col.may_be_absent:
                out.append(_line(f"# {g.contract}", '""', f"REQUIRED: no column found{alts}; write your column's name"))
            elif col.required:
                out.append(_line(f"# {g.contract}", '""', f"not found{alts}; read as blank (it may be blank)"))
            else:
                out.append(_line(f"# {g.contract}", '""', f"optional; not found{alts}"))
        if t.unused:
            out.append("# not used: " + ", ".join(_q(u) for u in t.unused))
        for contract, guesses in t.values.items():
            col = spec.column(contract)
            export = t.guess(contract).export
            lines = []
            as_is = [v for v in guesses if v.as_is]
            for v in guesses:
                if v.as_is:
                    continue
                if v.target is None:
                    lines.append(_line(f"# {_q(v.value)}", '"?"', f"CHECK: no guess ({v.count} row"
                                       f"{'s' if v.count != 1 else ''}); one of {_allowed_words(col)}"))
                    continue
                right = v.target if col.kind == "int" else _q(v.target)
                comment = f"{v.count} row{'s' if v.count != 1 else ''}" + (
                    "" if v.score >= 1 else f"; CHECK: a guess ({round(100 * v.score)}%)")
                lines.append(_line(_q(v.value), right, comment))
            more = t.n_distinct.get(contract, 0) - len(guesses)
            if not lines and not more:
                out.append(f"# {contract}: every value of {export!r} is read as it is "
                           f"({', '.join(_q(v.value) for v in as_is[:8])})")
                continue
            out += ["", f"[{t.table}.values.{contract}]", f"# {export!r} -> {contract}: {_allowed_words(col)}"]
            if as_is:
                out.append("# read as they are: " + ", ".join(f"{_q(v.value)} ({v.target})" for v in as_is[:12]))
            out += lines
            if more > 0:
                out.append(f"# ... and {more} more distinct values (the {len(guesses)} most common are listed)")
    return "\n".join(out) + "\n"
