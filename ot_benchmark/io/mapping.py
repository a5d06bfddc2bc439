"""A council's export, as it comes: how its files, columns and codes map onto the data contract.

A mapping is configuration, written once per export by the analyst (``ot-benchmark map DATA_DIR``
drafts it, see :mod:`ot_benchmark.io.draft`) and kept with the data folder::

    # mapping.toml — named in the data folder's settings.toml as  mapping = "mapping.toml"
    [referrals]
    file = "OT referrals export.csv"          # optional: default, the file named after the table

    [referrals.columns]                       # contract column = "export column"
    referral_id = "Referral ID"
    referral_date = "Date Referral Received"
    priority = "Priority Band"
    review_start_date = ""                    # the export has no such column: read as blank

    [referrals.values.closure_reason]         # export value = contract value
    "Deceased" = "died"
    "Moved out of area" = "moved"

The same tables may be written inline in ``settings.toml`` under ``[mapping.referrals.columns]``
and so on.

Where the mapping is read from (a decision, as io may not import :mod:`ot_benchmark.settings`):
the mapping describes the files of one folder, so it travels with the folder. When no mapping is
given, :func:`folder_mapping` reads the ``mapping`` key of the folder's own ``settings.toml``
directly with :mod:`tomllib` (a file path relative to it, or inline tables). Every reader of a
folder (``load_data``, ``read_raw_table``, ``find_table_files``) does this, so a folder whose
settings name a mapping is read the same way everywhere. ``load_data(folder, mapping=...)``
takes another mapping (a path, a dict or an :class:`ExportMapping`; ``{}`` for none).
:mod:`ot_benchmark.settings` checks the same key when it loads a settings file.

Rules
-----
* Left of ``=`` is always the contract (``docs/data_contract.md``), right is the export.
* Export column names are matched as the validator matches contract names: any case, spaces,
  punctuation and underscores alike (``"Date Referral Received"`` matches
  ``date_referral_received``). A column the mapping names must be in the file.
* Value maps exist for coded columns: categories (priority, closure reason, collection outcome,
  complaint stream and outcome, role, Ombudsman decision, urgency), yes/no columns, whole
  numbers (complaint ``stage``: ``"Stage 1" = 1``) and authority codes. Export values are matched
  without regard to case or repeated spaces. A value may map to ``""`` (blank) where the column
  may be blank. Values neither mapped nor already in the contract's scheme are rejected rows
  whose reason names the mapping line to add.
* One export column may feed two contract columns only when the analyst says so in the mapping
  (the draft never proposes it); the bundle's warnings then say so.

The similarity used for drafts and for the near-miss hints of missing columns is here too:
token-based (``"Date Referral Received"`` -> ``referral date received``), with synonyms
(``closed`` = ``closure``, ``LGSCO`` = ``ombudsman``, ``FTE`` = ``WTE``), typo tolerance, and a
one-to-one assignment so one export column is never proposed for two contract columns.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ot_benchmark.errors import DataContractError
from ot_benchmark.io.contract import TABLES, ColumnSpec, TableSpec

__all__ = [
    "MAPPING_KEY",
    "MAPPING_FILE_NAME",
    "MAPPABLE_KINDS",
    "MappingError",
    "TableMapping",
    "ExportMapping",
    "NO_MAPPING",
    "load_mapping",
    "folder_mapping",
    "resolve_mapping",
    "normalise_column_name",
    "value_key",
    "map_values",
    "match_columns",
    "tokens",
    "token_overlap",
    "name_similarity",
    "column_phrases",
    "column_score",
    "suggest_columns",
    "assign",
    "guess_value",
    "DEFAULTED_COLUMNS",
]

MAPPING_KEY = "mapping"  # the settings key (top level of settings.toml)
SETTINGS_NAME = "settings.toml"
MAPPING_FILE_NAME = "mapping.toml"  # the usual name of a folder's mapping file (what `map` writes)
MAPPABLE_KINDS = ("category", "bool", "int", "code")
#: Contract columns an export may lack because the folder's metadata supplies them.
DEFAULTED_COLUMNS = {"authority_code": "home_authority"}
#: Tables whose rows are other councils' (a default authority code would be wrong there).
NO_DEFAULT_TABLES = ("returns",)
_TABLE_KEYS = ("file", "columns", "values")
_DATA_SUFFIXES = (".csv", ".parquet", ".xlsx")


class MappingError(DataContractError):
    """A mapping that cannot be used: every problem in it, each with its key and the fix."""


# --------------------------------------------------------------------------- names and values
def normalise_column_name(name) -> str:
    """``' Referral Date '`` -> ``'referral_date'``; ``'Item value (£)'`` -> ``'item_value'``."""
    s = str(name).replace("\ufeff", "").strip().lower()
    s = s.replace("£", " ").replace("%", " pct ")
    s = re.sub(r"[^0-9a-z]+", "_", s)
    return s.strip("_")


def value_key(value) -> str:
    """How export values are matched in a value map: trimmed, case-folded, inner spaces
    collapsed (``' Moved  out of Area'`` -> ``'moved out of area'``); whole floats lose ``.0``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()).casefold()


@dataclass(frozen=True)
class TableMapping:
    """One table's part of a mapping.

    ``columns``: contract column -> export column name (``""`` = the export has none);
    ``values``: contract column -> {:func:`value_key` of an export value -> contract value}
    (contract values as the validator reads them: ``"died"``, ``"Y"``, ``"1"``, ``""`` for blank).
    """

    table: str
    file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def header_names(self) -> set[str]:
        """The export's column names this mapping expects, normalised (for finding the header)."""
        return {normalise_column_name(v) for v in self.columns.values() if v}


@dataclass(frozen=True)
class ExportMapping:
    """A whole mapping: per-table :class:`TableMapping` and where it came from (for messages)."""

    tables: dict[str, TableMapping] = field(default_factory=dict)
    source: str | None = None  # "mapping.toml", "settings.toml [mapping]", ...

    def get(self, table: str) -> TableMapping | None:
        return self.tables.get(table)

    def __bool__(self) -> bool:
        return bool(self.tables)

    @property
    def label(self) -> str:
        return self.source or "the mapping"

    def named_files(self) -> dict[str, str]:
        return {t: m.file for t, m in self.tables.items() if m.file}


NO_MAPPING = ExportMapping(source=None)


# --------------------------------------------------------------------------- loading and checking
def _toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _close(word: str, options) -> str:
    hit = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean {hit[0]!r}?)" if hit else ""


def _canonical_value(col: ColumnSpec, target, where: str, problems: list[str]) -> str | None:
    """The contract value a value map's right-hand side stands for, or None (problem noted)."""
    if isinstance(target, str) and target.strip() == "":
        if not col.nullable:
            problems.append(f"{where} maps to \"\" (blank), but {col.name} must be filled in; map it to one of "
                            f"the contract's values instead.")
            return None
        return ""
    if col.kind == "category":
        if not isinstance(target, str):
            problems.append(f"{where} = {target!r}: write the contract value in quotes, one of "
                            f"{', '.join(col.allowed or ())}.")
            return None
        n = re.sub(r"[\s\-/]+", "_", target.strip().lower())
        n = col.aliases.get(n, n)
        if n not in (col.allowed or ()):
            problems.append(f"{where} = {target!r} is not a value of {col.name}; use one of "
                            f"{', '.join(col.allowed or ())}{_close(n, col.allowed or ())}.")
            return None
        return n
    if col.kind == "bool":
        words = {"y": "Y", "yes": "Y", "true": "Y", "1": "Y", "n": "N", "no": "N", "false": "N", "0": "N"}
        if isinstance(target, bool):
            return "Y" if target else "N"
        if isinstance(target, str) and target.strip().lower() in words:
            return words[target.strip().lower()]
        problems.append(f"{where} = {target!r}: a yes/no column maps to \"Y\" or \"N\".")
        return None
    if col.kind == "int":
        if isinstance(target, bool) or not (isinstance(target, int) or (isinstance(target, str)
                                                                         and target.strip().isdigit())):
            problems.append(f"{where} = {target!r}: {col.name} is a whole number; map to one such as 1.")
            return None
        return str(int(target))
    if col.kind == "code":
        code = str(target).upper().replace(" ", "")
        if not re.fullmatch(r"[ENSW]\d{8}", code):
            problems.append(f"{where} = {target!r} is not an ONS authority code (a letter and 8 digits, "
                            "e.g. \"E10000017\").")
            return None
        return code
    return None  # pragma: no cover - kinds are checked before


def _check_table(table: str, body, label: str, problems: list[str]) -> TableMapping | None:
    spec = TABLES[table]
    if not isinstance(body, dict):
        problems.append(f"[{table}] must be a table with file, columns and values, not {body!r}.")
        return None
    for k in body:
        if k not in _TABLE_KEYS:
            problems.append(f"[{table}] has an unknown key {k!r}; use {', '.join(_TABLE_KEYS)}{_close(k, _TABLE_KEYS)}.")
    file = body.get("file")
    if file is not None:
        if not isinstance(file, str) or not file.strip():
            problems.append(f"[{table}] file must be a file name in quotes, not {file!r}.")
            file = None
        elif "/" in file or "\\" in file or file.strip() in (".", ".."):
            problems.append(f"[{table}] file = {file!r}: give the file's name only; it is looked for in the data "
                            "folder.")
            file = None
        elif Path(file).suffix.lower() not in _DATA_SUFFIXES:
            problems.append(f"[{table}] file = {file!r}: a table file is CSV, Parquet or xlsx "
                            f"({', '.join(_DATA_SUFFIXES)}).")
            file = None
        else:
            file = file.strip()
    columns: dict[str, str] = {}
    raw_cols = body.get("columns", {})
    if not isinstance(raw_cols, dict):
        problems.append(f"[{table}.columns] must be a table of  contract_column = \"export column\"  lines.")
        raw_cols = {}
    for contract, export in raw_cols.items():
        if contract not in spec.column_names:
            problems.append(f"[{table}.columns] {contract!r} is not a column of the {table} table"
                            f"{_close(contract, spec.column_names)}; the left side is the contract's column "
                            f"({', '.join(spec.column_names)}).")
            continue
        if not isinstance(export, str):
            problems.append(f"[{table}.columns] {contract} = {export!r}: write the export's column name in quotes.")
            continue
        if not export.strip() and not spec.column(contract).may_be_absent and contract not in DEFAULTED_COLUMNS:
            problems.append(f"[{table}.columns] {contract} = \"\": the {table} table needs {contract} in every row; "
                            "name the export column that holds it.")
            continue
        columns[contract] = export.strip()
    values: dict[str, dict[str, str]] = {}
    raw_vals = body.get("values", {})
    if not isinstance(raw_vals, dict):
        problems.append(f"[{table}.values] must hold one table per coded column, e.g. [{table}.values.priority].")
        raw_vals = {}
    for contract, vmap in raw_vals.items():
        if contract not in spec.column_names:
            problems.append(f"[{table}.values.{contract}]: {contract!r} is not a column of the {table} table"
                            f"{_close(contract, spec.column_names)}.")
            continue
        col = spec.column(contract)
        if col.kind not in MAPPABLE_KINDS:
            coded = [c.name for c in spec.columns if c.kind in MAPPABLE_KINDS]
            problems.append(f"[{table}.values.{contract}]: values can be mapped only for coded columns "
                            f"({', '.join(coded)}).")
            continue
        if not isinstance(vmap, dict):
            problems.append(f"[{table}.values.{contract}] must be a table of  \"export value\" = \"contract value\"  "
                            "lines.")
            continue
        out: dict[str, str] = {}
        seen: dict[str, str] = {}
        for export_value, target in vmap.items():
            where = f"[{table}.values.{contract}] {_toml_key(export_value)}"
            v = _canonical_value(col, target, where, problems)
            if v is None:
                continue
            k = value_key(export_value)
            if k in seen and out[k] != v:
                problems.append(f"{where}: {seen[k]!r} and {export_value!r} are the same value written twice "
                                "(case and spaces are ignored) with different meanings; keep one.")
                continue
            seen[k] = export_value
            out[k] = v
        values[contract] = out
    return TableMapping(table, file, columns, values)


def _check_mapping(raw, label: str) -> ExportMapping:
    if not isinstance(raw, dict):
        raise MappingError(f"{label} must hold tables such as [referrals.columns], not {raw!r}.", file=label,
                           fix="see docs/data_contract.md, 'Mapping your export'.")
    problems: list[str] = []
    tables: dict[str, TableMapping] = {}
    for table, body in raw.items():
        if table not in TABLES:
            problems.append(f"[{table}] is not a table of the data contract{_close(table, TABLES)}; the tables are "
                            f"{', '.join(TABLES)}.")
            continue
        tm = _check_table(table, body, label, problems)
        if tm is not None:
            tables[table] = tm
    files = [(t, m.file.casefold()) for t, m in tables.items() if m.file]
    for i, (t, f) in enumerate(files):
        for t2, f2 in files[i + 1:]:
            if f == f2:
                problems.append(f"[{t}] and [{t2}] name the same file {tables[t].file!r}; each table has its own file.")
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise MappingError(f"{label} cannot be used ({len(problems)} problem{'s' if len(problems) > 1 else ''}):\n"
                           f"{lines}\n", file=label,
                           fix="correct these lines (left of '=' the contract, right the export); see "
                               "docs/data_contract.md, 'Mapping your export'.")
    return ExportMapping(tables, label)


def _regular_file_problem(path: Path) -> str | None:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"cannot be opened ({exc.strerror})"
    return None if stat.S_ISREG(mode) else "is not a regular file (a folder, a named pipe or a device)"


def _read_toml(path: Path, what: str) -> dict:
    why = _regular_file_problem(path)
    if why:
        raise MappingError(f"{what} {path} {why}.", file=str(path),
                           fix="give the path of the mapping file (TOML), relative to the data folder's settings.toml.")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read {what} {path}: {exc}.", file=str(path),
                           fix="save it as UTF-8 text.") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{what} {path} is not valid TOML: {exc}.", file=str(path),
                           fix="check quotes, brackets and '=' signs (export names with spaces go in quotes: "
                               "referral_date = \"Date Referral Received\").") from None


def load_mapping(mapping, *, base: Path | None = None, label: str | None = None) -> ExportMapping:
    """Read and check a mapping.

    Parameters
    ----------
    mapping : path, dict or ExportMapping
        A mapping TOML file, its content as a dict (``{"referrals": {"columns": {...}}}``; ``{}``
        is no mapping), or an already loaded mapping (returned as it is).
    base : path, optional
        Folder a relative path is read from (default: the working directory).
    label : str, optional
        How messages name the mapping.

    Raises
    ------
    MappingError
        Every problem of the mapping at once: unknown tables or columns, contract values that
        do not exist, values of the wrong type, a file that cannot be read.
    """
    if isinstance(mapping, ExportMapping):
        return mapping
    if mapping is None:
        return NO_MAPPING
    if isinstance(mapping, dict):
        return _check_mapping(mapping, label or "the mapping") if mapping else NO_MAPPING
    path = Path(mapping).expanduser()
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    raw = _read_toml(path, "mapping file")
    return _check_mapping(raw, label or str(path))


def folder_mapping(data_dir) -> ExportMapping:
    """The mapping a data folder's own ``settings.toml`` names (:data:`NO_MAPPING` when it has
    no settings file or no ``mapping`` key): ``mapping = "mapping.toml"`` (relative to the
    folder) or inline ``[mapping.referrals.columns]`` tables."""
    data_dir = Path(data_dir)
    settings = data_dir / SETTINGS_NAME
    if not os.path.lexists(settings):
        return NO_MAPPING
    raw = _read_toml(settings, "the data folder's settings file")
    value = raw.get(MAPPING_KEY)
    if value is None or value == "":
        return NO_MAPPING
    if isinstance(value, str):
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = data_dir / path
        if not os.path.lexists(path):
            raise MappingError(
                f"{settings} names the mapping {value!r}, but there is no file {path}.", file=str(path),
                fix="write the mapping there (ot-benchmark map DATA_DIR drafts one), or correct the 'mapping' line "
                    "(a path relative to the data folder).")
        return load_mapping(path, label=path.name if path.parent == data_dir else str(path))
    if isinstance(value, dict):
        return _check_mapping(value, f"{SETTINGS_NAME} [mapping]")
    raise MappingError(f"{settings}: 'mapping' must be a file name in quotes (mapping = \"mapping.toml\") or "
                       f"tables [mapping.referrals.columns], not {value!r}.", file=str(settings),
                       fix="write  mapping = \"mapping.toml\"  at the top of the file, above any [section].")


def resolve_mapping(data_dir, mapping=None) -> ExportMapping:
    """``mapping`` loaded (see :func:`load_mapping`), or the folder's own when it is None."""
    if mapping is None:
        return folder_mapping(data_dir)
    return load_mapping(mapping)


# --------------------------------------------------------------------------- applying a mapping
@dataclass
class ColumnMatch:
    """Which file column feeds each contract column of one table (see :func:`match_columns`)."""

    sources: dict[str, str]  # contract column -> file column (as in the file)
    problems: list[tuple[str, str]]  # (contract column, why): mapped export columns the file lacks
    shared: list[str]  # warnings: one file column feeding two contract columns
    superseded: list[str]  # file columns named like a contract column that the mapping overrides
    explicit_absent: list[str]  # contract columns the mapping says the export lacks


def match_columns(file_columns: list, spec: TableSpec, tm: TableMapping | None, label: str = "the mapping"
                  ) -> ColumnMatch:
    """Match a file's columns to the contract: the mapping's names first, then columns named
    like a contract column (any case and spacing)."""
    by_norm: dict[str, list[str]] = {}
    for c in file_columns:
        by_norm.setdefault(normalise_column_name(c), []).append(str(c))
    sources: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    explicit_absent: list[str] = []
    mapped = dict(tm.columns) if tm else {}
    for contract, export in mapped.items():
        if not export:
            explicit_absent.append(contract)
            continue
        hits = by_norm.get(normalise_column_name(export), [])
        if len(hits) == 1:
            sources[contract] = hits[0]
        elif len(hits) > 1:
            problems.append((contract, f"{label} names {export!r} for {contract}, and the file has {len(hits)} columns "
                                       f"by that name ({', '.join(repr(h) for h in hits)}): rename one of them"))
        else:
            near = difflib.get_close_matches(normalise_column_name(export), list(by_norm), n=1, cutoff=0.6)
            hint = f" — did you mean {by_norm[near[0]][0]!r}?" if near else ""
            problems.append((contract, f"{label} names {export!r} for {contract}, but the file has no such column{hint}"))
    used = set(sources.values())
    superseded = []
    for c in spec.column_names:
        if c in mapped:
            continue
        hits = [h for h in by_norm.get(c, []) if h not in used]
        if hits:
            sources[c] = hits[0]
    for contract, export in mapped.items():
        if export and contract in sources:
            same = [h for h in by_norm.get(contract, []) if h != sources[contract] and h not in sources.values()]
            superseded += same
    counts: dict[str, list[str]] = {}
    for contract, src in sources.items():
        counts.setdefault(src, []).append(contract)
    shared = [f"column {src!r} feeds both {' and '.join(cs)}, as {label} says" for src, cs in counts.items()
              if len(cs) > 1]
    return ColumnMatch(sources, problems, shared, superseded, explicit_absent)


def map_values(values: pd.Series, vmap: dict[str, str]) -> pd.Series:
    """Apply a value map to a column (on its distinct values): mapped values become the contract
    value (``""`` becomes blank), others are left as they are, blanks stay blank."""
    if not vmap or not len(values):
        return values
    s = values
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        f = s.astype("float64")
        whole = f.notna() & (f == np.floor(f))
        txt = f.astype("str")
        txt = txt.where(~whole, f.where(whole).astype("Int64").astype("str"))
        s = txt.where(f.notna())
    elif s.dtype != "str":
        s = s.astype("str").where(s.notna())
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if not len(uniques):
        return values
    keys = [value_key(u) for u in uniques]
    mapped = [vmap.get(k) for k in keys]
    if all(m is None for m in mapped):
        return values
    new_u = np.array([(np.nan if m == "" else m) if m is not None else u for u, m in zip(uniques, mapped)],
                     dtype=object)
    out = np.where(codes >= 0, new_u[np.maximum(codes, 0)], np.nan)
    return pd.Series(out, index=values.index, dtype="str")


# --------------------------------------------------------------------------- similarity
_STOP = {"of", "the", "a", "an", "to", "for", "in", "by", "was", "is", "and", "or", "s", "at", "on", "from", "with",
         "as", "if", "any"}
# variant -> canonical token (both export names and the phrases below pass through this)
_SYN_GROUPS = {
    "referral": "referral referrals referal refferal referred refer",
    "id": "id ids identifier reference ref no num nbr number key",
    "date": "date dt dte when day",
    "received": "received receipt recd rcvd recieved receive",
    "assessment": "assessment assessments assessed assess",
    "closure": "closure closed close closing ended end final finish",
    "allocated": "allocated allocation allocate assigned assignment",
    "review": "review reviewed reviewing monitoring",
    "reason": "reason reasons why cause",
    "priority": "priority prioritisation prioritization",
    "delivered": "delivered delivery deliver installed installation install issued issue",
    "collection": "collection collected collect returned return retrieved retrieval",
    "request": "request requested requesting",
    "order": "order ordered orders prescribed prescription",
    "decision": "decision decided decide approved approval authorised authorized authorisation",
    "value": "value cost costs price amount gbp pounds spend expenditure",
    "recycled": "recycled refurbished reissued recycle recycling reconditioned",
    "catalogue": "catalogue catalog product sku",
    "item": "item items equipment aid aids",
    "wte": "wte fte whole time equivalent",
    "establishment": "establishment funded budgeted budget",
    "agency": "agency locum interim",
    "vacant": "vacant vacancy vacated",
    "filled": "filled appointed recruited",
    "ombudsman": "ombudsman lgsco lgo psho ombudsmans",
    "recommendation": "recommendation recommendations recs",
    "complied": "complied compliance implemented",
    "complaint": "complaint complaints",
    "response": "response responded respond replied reply",
    "due": "due deadline target",
    "remedy": "remedy compensation redress",
    "completed": "completed complete completion finished",
    "recommended": "recommended recommend",
    "adaptation": "adaptation adaptations dfg grant",
    "outcome": "outcome outcomes result results finding findings",
    "stream": "stream procedure",
    "stage": "stage level",
    "score": "score scores rating",
    "start": "start baseline begin beginning",
    "first": "first initial 1st",
    "snapshot": "snapshot census",
    "team": "team teams locality patch",
    "role": "role job",
    "contact": "contact contacts call calls",
    "authority": "authority council la",
    "ot": "ot occupational therapy therapist therapists",
    "deceased": "deceased died death dead passed",
    "moved": "moved move relocated",
    "withdrawn": "withdrawn withdrew withdraw cancelled canceled",
    "declined": "declined refused",
    "upheld": "upheld justified",
    "partly": "partly partially part partial",
    "not": "not non un",
    "urgent": "urgent urgently emergency immediate",
    "assistant": "assistant assistants ota",
}
_SYNONYMS = {v: canon for canon, words in _SYN_GROUPS.items() for v in words.split()}
_WEIGHT = {"date": 0.4, "id": 0.6, "ot": 0.3, "band": 0.5, "value": 0.7, "code": 0.6, "case": 0.5, "client": 0.3,
           "person": 0.3, "service": 0.4, "user": 0.3, "type": 0.4, "total": 0.5, "stock": 0.6}

# how councils name each contract column (besides the contract's own name)
_COMMON_PHRASES = {
    "referral_id": ["referral id", "case id", "referral number", "case reference", "case number", "referral ref"],
    "authority_code": ["authority code", "la code", "ons code", "council code", "local authority code", "gss code"],
    "role": ["role", "job role", "staff role", "post type", "staff group", "job title"],
    "completed_date": ["completed date", "completion date", "date completed"],
}
_PHRASES = {
    "referrals": {
        "referral_date": ["referral date", "referral received date", "date received", "request date",
                          "referral received"],
        "priority": ["priority", "priority band", "priority level", "triage priority", "urgency", "facs band",
                     "eligibility band", "priority rating"],
        "allocated_date": ["allocated date", "allocation date", "date allocated", "assigned date"],
        "first_assessment_date": ["first assessment date", "first ot assessment date", "assessment date",
                                  "date first assessed", "first visit date"],
        "review_start_date": ["review start date", "review date", "monitoring start date", "date moved to review"],
        "closure_date": ["closure date", "case closed date", "date closed", "end date"],
        "closure_reason": ["closure reason", "reason for closure", "closed reason", "end reason", "closure outcome"],
        "team": ["team", "area team", "service team", "locality team"],
        "age_band": ["age band", "age group", "age range"],
    },
    "contacts": {"contact_date": ["contact date", "date of contact", "keep in touch date", "welfare call date"]},
    "equipment": {
        "item_id": ["item id", "issue id", "order line id", "transaction id", "item number", "line id"],
        "catalogue_code": ["catalogue code", "product code", "item code", "stock code", "catalogue number"],
        "item_value_gbp": ["item value gbp", "value", "unit cost", "item cost", "catalogue value", "price"],
        "from_recycled_stock": ["from recycled stock", "recycled", "recycled stock", "new or recycled",
                                "recycled item"],
        "ordered_date": ["ordered date", "order date", "prescription date", "date ordered"],
        "decision_date": ["decision date", "assessment decision date", "date of decision", "approved date"],
        "delivered_date": ["delivered date", "delivery date", "date delivered", "installed date"],
        "collection_requested_date": ["collection requested date", "collection request date",
                                      "date collection requested", "return requested date"],
        "collected_date": ["collected date", "collection date", "date collected", "returned date"],
        "collection_outcome": ["collection outcome", "outcome of collection", "returned item outcome",
                               "reuse outcome"],
    },
    "workforce": {
        "snapshot_date": ["snapshot date", "as at date", "census date", "date"],
        "establishment_wte": ["establishment wte", "funded wte", "establishment"],
        "in_post_wte": ["in post wte", "staff in post wte", "filled wte", "substantive wte", "wte in post"],
        "agency_wte": ["agency wte", "agency staff wte"],
    },
    "vacancies": {
        "post_id": ["post id", "position id", "post number", "post reference"],
        "vacant_from": ["vacant from", "vacancy start date", "date vacant", "vacant since"],
        "filled_on": ["filled on", "date filled", "filled date", "vacancy end date"],
    },
    "complaints": {
        "complaint_id": ["complaint id", "complaint reference", "complaint number", "case reference"],
        "stream": ["stream", "complaint type", "procedure", "complaints procedure", "complaint category"],
        "stage": ["stage", "complaint stage"],
        "received_date": ["received date", "date received", "complaint received date"],
        "due_date": ["due date", "response due date", "response due", "agreed response date"],
        "responded_date": ["responded date", "response date", "date responded", "date of response"],
        "outcome": ["outcome", "complaint outcome", "finding"],
        "ombudsman_referred_date": ["ombudsman referred date", "date referred to ombudsman", "ombudsman date"],
        "ombudsman_decision": ["ombudsman decision", "ombudsman outcome"],
        "ombudsman_decided_date": ["ombudsman decided date", "ombudsman decision date"],
        "remedy_gbp": ["remedy gbp", "financial remedy", "remedy amount", "remedy"],
        "recommendations_due": ["recommendations due", "number of recommendations", "recommendations made"],
        "recommendations_complied": ["recommendations complied", "recommendations met", "recommendations completed"],
    },
    "finance": {
        "period": ["period", "quarter", "financial quarter", "reporting period"],
        "ot_staff_cost_gbp": ["ot staff cost gbp", "staff cost", "pay cost", "ot salaries"],
        "ot_overhead_gbp": ["ot overhead gbp", "overheads", "overhead cost", "indirect cost"],
        "equipment_gross_gbp": ["equipment gross gbp", "equipment spend", "gross equipment spend"],
        "equipment_income_gbp": ["equipment income gbp", "equipment income", "income", "recycling credit"],
    },
    "adaptations": {
        "adaptation_id": ["adaptation id", "dfg reference", "grant reference", "adaptation reference"],
        "urgency": ["urgency", "priority", "urgent"],
        "recommended_date": ["recommended date", "recommendation date", "ot recommendation date", "date recommended"],
        "cost_gbp": ["cost gbp", "cost", "grant amount", "works cost", "total cost"],
    },
    "outcomes": {
        "score_start": ["score start", "start score", "baseline score", "initial score"],
        "score_end": ["score end", "end score", "final score", "follow up score"],
        "completed_date": ["completed date", "completion date", "intervention end date"],
    },
}


def _raw_tokens(text) -> list[str]:
    s = str(text).replace("£", " gbp ").replace("%", " pct ").replace("#", " id ")
    s = re.sub(r"([a-z])([A-Z])", r"\1 \2", s)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", s)
    s = re.sub(r"([A-Za-z])(\d)", r"\1 \2", s)
    s = re.sub(r"(\d)([A-Za-z])", r"\1 \2", s)
    return re.findall(r"[a-z0-9]+", s.lower())


def _build_vocab() -> set[str]:
    vocab = set(_SYNONYMS.values())
    texts = [p for t in _PHRASES.values() for ps in t.values() for p in ps]
    texts += [p for ps in _COMMON_PHRASES.values() for p in ps]
    texts += [c.replace("_", " ") for t in TABLES.values() for c in t.column_names]
    for text in texts:
        for w in _raw_tokens(text):
            vocab.add(_SYNONYMS.get(w, w))
    return vocab


_VOCAB: set[str] = set()
_FUZZY_CACHE: dict[str, str] = {}


def _canon(word: str) -> str:
    if word in _SYNONYMS:
        return _SYNONYMS[word]
    if not _VOCAB:
        _VOCAB.update(_build_vocab())
    if word in _VOCAB or len(word) < 5 or word.isdigit():
        return word
    if word not in _FUZZY_CACHE:  # typos: "asessment", "refferal", "dilivered"
        hit = difflib.get_close_matches(word, sorted(_VOCAB | set(_SYNONYMS)), n=1, cutoff=0.82)
        _FUZZY_CACHE[word] = _SYNONYMS.get(hit[0], hit[0]) if hit else word
    return _FUZZY_CACHE[word]


# in values (not column names) "no" negates: "No fault found", "No longer required"
_VALUE_WORDS = {"no": "not", "none": "not"}


def tokens(text, *, value: bool = False) -> tuple[str, ...]:
    """The canonical tokens of a column name (or, with ``value=True``, of a coded value):
    ``'Date Referral Received'`` -> ``('date', 'referral', 'received')``; ``'Case Closed Dt'``
    -> ``('case', 'closure', 'date')``."""
    out = []
    for w in _raw_tokens(text):
        if w in _STOP:
            continue
        c = _VALUE_WORDS[w] if value and w in _VALUE_WORDS else _canon(w)
        if c not in out:
            out.append(c)
    return tuple(out)


def _dice(a, b) -> float:
    a, b = set(a), set(b)
    if not a or not b:
        return 0.0
    w = lambda ts: sum(_WEIGHT.get(t, 1.0) for t in ts)  # noqa: E731
    return 2 * w(a & b) / (w(a) + w(b))


def token_overlap(a, b) -> float:
    """Weighted overlap (Dice) of two token sequences from :func:`tokens`, in [0, 1]."""
    return _dice(a, b)


def name_similarity(a, b) -> float:
    """Similarity of two names in [0, 1]: weighted overlap of their canonical tokens, with a
    little of the plain spelling similarity to break ties."""
    na, nb = normalise_column_name(a), normalise_column_name(b)
    if na and na == nb:
        return 1.0
    base = _dice(tokens(a), tokens(b))
    spell = difflib.SequenceMatcher(None, na, nb).ratio()
    return min(1.0, 0.92 * base + 0.08 * spell)


def column_phrases(table: str, column: str) -> list[str]:
    """The names councils use for a contract column (its own name first)."""
    return [column.replace("_", " ")] + _COMMON_PHRASES.get(column, []) + _PHRASES.get(table, {}).get(column, [])


def column_score(header, table: str, column: str) -> float:
    """How well an export column name fits a contract column (0..1), by name alone."""
    if normalise_column_name(header) == column:
        return 1.0
    return max(name_similarity(header, p) for p in column_phrases(table, column))


def assign(scores: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Pairs (row, column) of a one-to-one assignment maximising the total score, keeping
    only pairs scoring at least ``threshold`` (a row or column may stay unassigned)."""
    if scores.size == 0:
        return []
    from scipy.optimize import linear_sum_assignment  # noqa: PLC0415 - scipy loads slowly; only drafts need it

    s = np.where(scores >= threshold, scores, 0.0)
    rows, cols = linear_sum_assignment(s, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if s[r, c] > 0]


def suggest_columns(headers: list, table: str, columns: list[str] | None = None, *, threshold: float = 0.55
                    ) -> dict[str, tuple[str, float]]:
    """The best one-to-one guesses of which export column holds each contract column (by name):
    ``{contract column: (export column, score)}``; one export column is never given twice."""
    spec = TABLES[table]
    cols = list(columns) if columns is not None else spec.column_names
    headers = [str(h) for h in headers]
    if not cols or not headers:
        return {}
    scores = np.array([[column_score(h, table, c) for h in headers] for c in cols])
    return {cols[i]: (headers[j], float(scores[i, j])) for i, j in assign(scores, threshold)}


# --------------------------------------------------------------------------- value guesses
# how councils write each contract value of a coded column
VALUE_PHRASES: dict[str, dict[str, list[str]]] = {
    "priority": {
        "urgent": ["urgent", "critical", "priority 1", "p1", "immediate", "emergency", "high risk"],
        "high": ["high", "substantial", "priority 2", "p2"],
        "medium": ["medium", "moderate", "priority 3", "p3", "standard"],
        "low": ["low", "priority 4", "p4", "non urgent", "low risk"],
    },
    "closure_reason": {
        "assessed_and_closed": ["assessed and closed", "assessment completed", "assessed", "completed",
                                "service provided", "equipment provided", "case completed", "needs met",
                                "advice given after assessment"],
        "withdrawn": ["withdrawn", "withdrawn by client", "declined", "cancelled", "client declined",
                      "no longer required", "not required", "no response", "unable to contact"],
        "died": ["died", "deceased", "death", "passed away"],
        "moved": ["moved", "moved out of area", "moved away", "left area", "out of area", "relocated"],
        "met_elsewhere": ["met elsewhere", "needs met elsewhere", "referred elsewhere", "signposted",
                          "referred to other agency", "other service"],
        "other": ["other", "duplicate", "duplicate referral", "entered in error", "admin"],
    },
    "collection_outcome": {
        "reused": ["reused", "recycled", "returned to stock", "back to stock", "refurbished", "reissued"],
        "scrapped": ["scrapped", "disposed", "condemned", "written off", "destroyed", "beyond repair",
                     "beyond economic repair"],
    },
    "role": {
        "ot": ["ot", "occupational therapist", "senior occupational therapist", "ot practitioner"],
        "ota": ["ota", "occupational therapy assistant", "ot assistant", "assistant practitioner"],
        "other": ["other", "manager", "team manager", "admin", "trusted assessor", "support worker"],
    },
    "stream": {
        "asc_statutory": ["asc statutory", "adult social care", "adult social care statutory", "adults statutory",
                          "asc", "statutory adults"],
        "childrens_statutory": ["childrens statutory", "children", "childrens social care", "csc",
                                "statutory children"],
        "corporate": ["corporate", "council", "general"],
    },
    "outcome": {
        "upheld": ["upheld", "fully upheld"],
        "partly_upheld": ["partly upheld", "partially upheld", "part upheld"],
        "not_upheld": ["not upheld", "rejected", "unfounded"],
        "withdrawn": ["withdrawn", "withdrawn by complainant"],
    },
    "ombudsman_decision": {
        "upheld": ["upheld", "fault found", "fault", "maladministration", "fault and injustice"],
        "not_upheld": ["not upheld", "no fault", "no fault found"],
        "not_investigated": ["not investigated", "closed after initial enquiries", "premature",
                             "out of jurisdiction", "discontinued"],
    },
    "urgency": {
        "urgent": ["urgent", "emergency"],
        "non_urgent": ["non urgent", "not urgent", "routine", "standard"],
    },
    "from_recycled_stock": {
        "Y": ["y", "yes", "recycled", "refurbished", "reissued", "used"],
        "N": ["n", "no", "new"],
    },
}


def guess_value(col: ColumnSpec, value) -> tuple[str | None, float, bool]:
    """A guess of the contract value an export value stands for.

    Returns ``(contract value or None, score, as_is)``: ``as_is`` when the validator already
    reads the value without a mapping (``"Critical"`` is a priority alias, ``"Y"`` a yes).
    """
    text = " ".join(str(value).split())
    if col.kind == "category":
        n = re.sub(r"[\s\-/]+", "_", text.lower())
        n = col.aliases.get(n, n)
        if n in (col.allowed or ()):
            return n, 1.0, True
    elif col.kind == "bool":
        low = text.lower()
        if low in ("y", "yes", "true", "t", "1", "1.0"):
            return "Y", 1.0, True
        if low in ("n", "no", "false", "f", "0", "0.0"):
            return "N", 1.0, True
    elif col.kind == "int":
        if re.fullmatch(r"\d+(\.0+)?", text):
            return str(int(float(text))), 1.0, True
        digits = re.findall(r"\d+", text)
        if len(digits) == 1:  # "Stage 2" is 2 for sure; "Level 2 (review)" only perhaps
            words = set(tokens(re.sub(r"\d+", " ", text))) - set(tokens(col.name))
            return str(int(digits[0])), (1.0 if not words else 0.8), False
        return None, 0.0, False
    phrases = VALUE_PHRASES.get(col.name, {})
    best, best_score = None, 0.0
    vt = tokens(text, value=True)
    for target, ps in phrases.items():
        for p in ps:
            sc = 1.0 if value_key(p) == value_key(text) else _dice(vt, tokens(p, value=True))
            if sc > best_score:
                best, best_score = target, sc
    if best is None or best_score < 0.6:
        return None, best_score, False
    return best, best_score, False
