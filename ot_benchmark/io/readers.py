"""Reading a council data folder: finding the files, decoding them, finding the header row.

Used by :mod:`ot_benchmark.io.validate`. Nothing here judges values; it only gets each table's cells
into a DataFrame with the contract's column names and the row number each record has in the file
as a spreadsheet user sees it (header row and any title rows above it counted, 1-based).
"""

from __future__ import annotations

import csv
import difflib
import errno
import io
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ot_benchmark.io.contract import TABLES, TableSpec
from ot_benchmark.errors import DataContractError
from ot_benchmark.io.xlsx import fill_merged, merged_ranges, two_row_header
from ot_benchmark.io.mapping import (DEFAULTED_COLUMNS, NO_DEFAULT_TABLES, ExportMapping, TableMapping, match_columns,
                                     normalise_column_name, resolve_mapping, suggest_columns)

__all__ = [
    "FolderProblems",
    "FolderScan",
    "scan_folder",
    "not_a_regular_file",
    "raise_problems",
    "DATA_SUFFIXES",
    "HEADER_SEARCH_ROWS",
    "RawTable",
    "find_table_files",
    "normalise_column_name",
    "read_metadata",
    "folder_metadata",
    "read_raw_table",
    "read_cells",
    "folder_defaults",
]

DATA_SUFFIXES = (".csv", ".parquet", ".xlsx")
HEADER_SEARCH_ROWS = 20  # title rows above the header are searched this far down
CSV_DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")  # latin-1 decodes any byte, so it is the last resort


@dataclass
class RawTable:
    """One table's cells as read, before values are checked.

    ``data`` has the contract's column names (missing optional columns absent); CSV and Excel
    columns hold strings (pandas ``str`` dtype, blanks as NaN), Parquet columns keep their types.
    ``rows`` is the 1-based row number of each record in the file as a spreadsheet shows it.
    """

    table: str
    path: Path
    data: pd.DataFrame
    rows: np.ndarray
    renamed: dict[str, str] = field(default_factory=dict)  # file column -> contract column
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None
    header_row: int = 1
    blank_rows: int = 0  # rows whose every contract column was blank, skipped (not data)
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # the mapping's, per contract column
    mapping_label: str | None = None  # how messages name the mapping
    deferred: dict = field(default_factory=dict)  # contract column -> function reading it (not read yet)


class FolderProblems(DataContractError):
    """Several fatal problems found in one pass over a data folder; ``problems`` holds each one
    (a :class:`DataContractError` naming its file, column and fix)."""

    def __init__(self, problems: list[DataContractError], data_dir=None):
        self.problems = list(problems)
        where = f" in {data_dir}" if data_dir is not None else ""
        lines = [f"{len(self.problems)} problems{where} stop the folder from being used:"]
        lines += [f"  ({i}) {p}" for i, p in enumerate(self.problems, 1)]
        files = [f for p in self.problems for f in (p.file if isinstance(p.file, list) else [p.file]) if f]
        super().__init__("\n".join(lines), file=files or None)


def raise_problems(problems: list[DataContractError], data_dir=None) -> None:
    """Raise nothing (no problems), the one problem, or :class:`FolderProblems` for several."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise FolderProblems(problems, data_dir)


def not_a_regular_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a table file (a broken or looping link, a folder, a named
    pipe, a device, a socket), or None when it is a regular file (or a link to one).

    Nothing is opened: opening a named pipe would wait for a writer forever.
    """
    link = ""
    if os.path.islink(path):
        try:
            link = f" (a link to {os.readlink(path)!r})"
        except OSError:  # pragma: no cover - islink said it is a link
            link = " (a link)"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return f"a broken link{link}: what it points to does not exist" if link else "missing"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"a link that leads back to itself (a symbolic link loop){link}"
        return f"not readable ({exc.strerror}){link}"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return f"a folder, not a file{link}"
    if stat.S_ISFIFO(mode):
        return f"a named pipe (FIFO), not a file{link}"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return f"a device, not a file{link}"
    if stat.S_ISSOCK(mode):
        return f"a socket, not a file{link}"
    return f"not a regular file{link}"  # pragma: no cover - no other kinds on Linux or macOS


@dataclass
class FolderScan:
    """What :func:`scan_folder` found: each table's file, ``metadata.json``, warnings, and the
    fatal problems (collected, not raised, so that one pass reports them all)."""

    files: dict[str, Path]
    metadata: Path | None
    warnings: list[str]
    problems: list[DataContractError]
    unreadable: set[str] = field(default_factory=set)  # tables whose file cannot be read


def scan_folder(data_dir: Path, mapping: ExportMapping | None = None) -> FolderScan:
    """Find each contract table's file in ``data_dir`` without opening any file.

    A file belongs to a table when its name (without the suffix, any case) is the table's name,
    or when the mapping's ``file = ...`` entries name it (``mapping`` None: the folder's own
    mapping, :func:`~ot_benchmark.io.mapping.folder_mapping`).
    Two files for one table, a named file that is not there, and a table file that cannot be
    read as a regular file (a broken or looping link, a folder, a named pipe, a device) are
    fatal problems naming the file; they are collected in ``problems``.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataContractError(
            f"data folder {str(data_dir)!r} does not exist or is not a folder.",
            file=str(data_dir),
            fix="give the path of the folder holding referrals.csv (or .parquet/.xlsx).",
        )
    named_files = resolve_mapping(data_dir, mapping).named_files()
    named = {str(f).casefold(): t for t, f in named_files.items()}
    found: dict[str, list[Path]] = {}
    metadata = None
    warnings: list[str] = []
    problems: list[DataContractError] = []
    unreadable: set[str] = set()
    seen_named: set[str] = set()
    for path in sorted(data_dir.iterdir()):
        if path.name.startswith((".", "~$")):
            continue
        low = path.name.lower()
        suffix = path.suffix.lower()
        if low == "metadata.json":
            why = not_a_regular_file(path)
            if why:
                problems.append(DataContractError(
                    f"{path.name} is {why}.", file=str(path),
                    fix="replace it with the folder's metadata.json (a JSON object), or remove it."))
            else:
                metadata = path
            continue
        stem = normalise_column_name(path.stem)
        if path.name.casefold() in named:
            table = named[path.name.casefold()]
            seen_named.add(path.name.casefold())
        elif suffix in DATA_SUFFIXES and stem in TABLES:
            table = stem
            if table in named_files:
                warnings.append(f"{path.name}: not read — the mapping names {named_files[table]!r} as the "
                                f"{table} file.")
                continue
        else:
            if suffix in DATA_SUFFIXES:
                warnings.append(
                    f"{path.name}: not a table of the data contract ({', '.join(TABLES)}); ignored."
                )
            continue
        why = not_a_regular_file(path)
        if why:
            unreadable.add(table)
            problems.append(DataContractError(
                f"{path.name}: the {table} table's file is {why}.", file=str(path),
                fix=f"put the {table} extract itself there (CSV, Parquet or xlsx), or remove the entry."))
            continue
        found.setdefault(table, []).append(path)
    for name, table in named.items():
        if name not in seen_named:
            unreadable.add(table)
            problems.append(DataContractError(
                f"the mapping names {named_files[table]!r} as the {table} file, but {data_dir} has no such file.",
                file=str(data_dir / named_files[table]),
                fix=f"correct 'file' under [{table}] in the mapping (names are matched without regard to case), "
                    "or put the file in the folder."))
    files: dict[str, Path] = {}
    for table, paths in found.items():
        if len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            unreadable.add(table)
            problems.append(DataContractError(
                f"two files for the {table} table in {data_dir}: {names}.",
                file=[str(p) for p in paths],
                fix=f"keep one of them (remove or rename the other, e.g. to old_{paths[1].name}).",
            ))
            continue
        files[table] = paths[0]
    return FolderScan(files, metadata, warnings, problems, unreadable)


def find_table_files(data_dir: Path, mapping: ExportMapping | None = None
                     ) -> tuple[dict[str, Path], Path | None, list[str]]:
    """Map each contract table to its file in ``data_dir`` (names matched case-insensitively,
    or named by the folder's mapping).

    Returns ``(files, metadata_path, warnings)``. Raises the fatal problems of
    :func:`scan_folder` (two files for one table, a table file that is not a regular file).
    """
    scan = scan_folder(data_dir, mapping)
    raise_problems(scan.problems, data_dir)
    return scan.files, scan.metadata, scan.warnings


def folder_metadata(data_dir) -> dict:
    """The data folder's ``metadata.json`` as a dict ({} when the folder has none)."""
    path = Path(data_dir) / "metadata.json"
    return read_metadata(path if path.is_file() else None)


def read_metadata(path: Path | None) -> dict:
    """``metadata.json`` as a dict ({} when absent)."""
    if path is None:
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataContractError(
            f"cannot read {path.name}: {exc}.",
            file=str(path),
            fix="make metadata.json a JSON object such as {\"synthetic\": false, \"home_authority\": \"E10000017\"}, or remove it.",
        ) from None
    if not isinstance(meta, dict):
        raise DataContractError(
            f"{path.name} must hold a JSON object ({{...}}), not {type(meta).__name__}.",
            file=str(path),
            fix="wrap the settings in {} with names, e.g. {\"home_authority\": \"E10000017\"}.",
        )
    return meta


# --------------------------------------------------------------------------- header detection
def _header_score(cells, wanted) -> float:
    """How much a row looks like the header: the number of wanted names it holds (``wanted`` a
    set of normalised names), or ``wanted(cells)`` when it is a function (drafts of a mapping
    score rows by resemblance)."""
    if callable(wanted):
        return wanted(cells)
    return len({normalise_column_name(c) for c in cells if c is not None and str(c).strip()} & wanted)


def _find_header(rows: list[list], spec: TableSpec, path: Path, wanted=None) -> int:
    """0-based index of the header among the first rows: the row naming most contract columns
    (or the export names a mapping gives for them)."""
    wanted = set(spec.column_names) if wanted is None else wanted
    scores = [_header_score(r, wanted) for r in rows[:HEADER_SEARCH_ROWS]]
    if not scores or max(scores) == 0:
        first = next((r for r in rows if any(str(c).strip() for c in r if c is not None)), [])
        raise DataContractError(
            f"{path.name}: no header row found — none of the first {HEADER_SEARCH_ROWS} rows names a "
            f"column of the {spec.name} table (first non-blank row: {[str(c) for c in first][:8]}).",
            file=str(path),
            fix=f"put a header row with the contract's column names ({', '.join(spec.required_columns)}) "
            "above the data, or map your export's names onto them (ot-benchmark map DATA_DIR drafts the "
            "mapping); see docs/data_contract.md.",
        )
    return int(np.argmax(scores))  # first row with the best score


# --------------------------------------------------------------------------- per format
def _decode(path: Path) -> tuple[str, str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataContractError(f"cannot open {path.name}: {exc}.", file=str(path),
                                fix="check the file exists and you can read it.") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode Text" is UTF-16 with a byte-order mark
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for enc in ENCODINGS:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _read_csv(path: Path, spec: TableSpec, wanted=None) -> tuple[pd.DataFrame, int, str]:
    text, enc = _decode(path)
    buf = io.StringIO(text)
    head_lines = [line for line in (buf.readline() for _ in range(HEADER_SEARCH_ROWS)) if line]
    # the delimiter whose split of the first rows names most contract columns (comma by default)
    wanted = set(spec.column_names) if wanted is None else wanted
    try:
        sep = max(CSV_DELIMITERS, key=lambda d: max(
            (_header_score(r, wanted) for r in csv.reader(head_lines, delimiter=d)), default=0))
        head_rows = list(csv.reader(head_lines, delimiter=sep))
    except csv.Error as exc:  # stray carriage returns, NUL bytes: not text a spreadsheet wrote
        raise DataContractError(
            f"cannot read {path.name} as CSV: {exc}.", file=str(path),
            fix="check it is the CSV export itself (not a binary file renamed .csv); save the sheet again as "
                "'CSV (comma delimited)'.") from None
    header_idx = _find_header(head_rows, spec, path, wanted)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            skiprows=header_idx,
            header=0,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            skipinitialspace=False,
        )
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise DataContractError(
            f"cannot read {path.name} as CSV: {exc}.",
            file=str(path),
            fix="save the sheet as 'CSV (comma delimited)' and check no row has more columns than the header.",
        ) from None
    return df, header_idx, enc


def _read_xlsx(path: Path, spec: TableSpec, wanted=None) -> tuple[pd.DataFrame, int, str | None, str | None]:
    try:
        sheets = pd.read_excel(path, header=None, dtype=object, sheet_name=None)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise DataContractError(
            f"cannot read {path.name} as an Excel workbook: {exc}.",
            file=str(path),
            fix="open it in Excel and save it again as .xlsx (or export the sheet as CSV).",
        ) from None
    wanted = set(spec.column_names) if wanted is None else wanted
    merges = merged_ranges(path)  # pandas gives a merged cell's value to its top-left cell only
    best = None
    for name, sheet in sheets.items():
        head = fill_merged(sheet.head(HEADER_SEARCH_ROWS).to_numpy(dtype=object).tolist(), merges.get(name, []))
        scores = [_header_score(r, wanted) for r in head]
        score = max(scores, default=0)
        if best is None or score > best[0]:
            best = (score, name, sheet, head)
    if best is None:
        raise DataContractError(f"{path.name} has no sheets.", file=str(path), fix="put the table on the first sheet.")
    _, sheet_name, sheet, head = best
    header_idx = _find_header(head, spec, path, wanted)
    ranges = [r for r in merges.get(sheet_name, []) if r[0] <= header_idx + 2]
    two = two_row_header(head, ranges, header_idx, lambda cells: _header_score(cells, wanted)) if ranges else None
    if two is not None:
        header_idx, header = two
    else:
        header = [("" if (c is None or (isinstance(c, float) and np.isnan(c))) else str(c)) for c in head[header_idx]]
    header = (header + [""] * sheet.shape[1])[:sheet.shape[1]]
    note = None
    if ranges:
        first = min(r[0] for r in ranges)
        note = (f"the header of sheet {sheet_name!r} has merged cells (row {first} to {header_idx + 1}), read as the "
                f"column names {[h for h in header if h]}; if a column is still not found, unmerge the header cells so "
                "each column has one name in one row, or map these names")
    body = sheet.iloc[header_idx + 1:].reset_index(drop=True)
    body.columns = [h if h else f"unnamed_{i}" for i, h in enumerate(header)]
    blank = body.isna()
    # Cells to strings so one parser serves CSV and Excel: numbers that are whole print without
    # ".0" (ids, Excel serial dates), datetimes print ISO (the date parser ignores the time part).
    out = {}
    for col in body.columns:
        s = body[col]
        num = pd.to_numeric(s.where(s.map(type).isin((int, float))), errors="coerce")
        whole = num.notna() & (num == np.floor(num)) & (num.abs() < 1e15)
        txt = s.astype(str)
        txt = txt.where(~whole, num.where(whole).astype("Int64").astype(str))
        out[col] = txt.where(~blank[col], np.nan).astype("str")
    return pd.DataFrame(out), header_idx, None, note


def _read_parquet(path: Path, columns: list[str] | None = None, dictionary: list[str] | None = None) -> pd.DataFrame:
    """A Parquet file (only ``columns`` when given; ``dictionary`` columns as pandas
    categoricals, read from the file's dictionary pages without building a string per row).

    Read column by column, so that a column's Arrow buffers are freed as soon as it is
    converted: the peak is the table plus one column, not the table twice."""
    try:
        names = _parquet_names(path) if columns is None else list(columns)
        dictionary = set(dictionary or ())
        parts = {c: pd.read_parquet(path, columns=[c], read_dictionary=[c] if c in dictionary else None,
                                    use_threads=False,  # fewer CPU seconds on a shared machine
                                    to_pandas_kwargs={"self_destruct": True})[c].reset_index(drop=True)
                 for c in names}
        return pd.concat(parts, axis=1) if parts else pd.DataFrame()
    except DataContractError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise _unreadable_parquet(path, exc) from None


def _unreadable_parquet(path: Path, exc: Exception) -> DataContractError:
    """The error for a file that is not readable Parquet, saying how to write it again."""
    return DataContractError(
        f"cannot read {path.name} as Parquet: {exc}.",
        file=str(path),
        fix="write the file again with pandas.DataFrame.to_parquet or export it as CSV.",
    )


def _all_blank_rows(df: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is missing or only spaces. Columns are looked at cheapest first
    (typed, then text) and only on the rows still blank so far, so a table whose first typed
    column is filled in costs one ``isna``."""
    cand = np.arange(len(df))
    text = [c for c in df.columns if df[c].dtype == "str" or df[c].dtype == object]
    for c in [c for c in df.columns if c not in text] + text:
        if not len(cand):
            break
        s = df[c].iloc[cand] if len(cand) < len(df) else df[c]
        blank = s.isna()
        if c in text:
            blank = blank | (s.astype("str").str.strip() == "")
        cand = cand[blank.to_numpy(dtype=bool)]
    out = np.zeros(len(df), dtype=bool)
    out[cand] = True
    return out


def _parquet_names(path: Path) -> list[str]:
    """The column names of a Parquet file, from its footer (no data read)."""
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise _unreadable_parquet(path, exc) from None
    index = set()
    meta = (schema.metadata or {}).get(b"pandas")
    if meta:  # columns pandas stored for its index are not data
        index = {c for c in json.loads(meta).get("index_columns", []) if isinstance(c, str)}
    return [n for n in schema.names if n not in index]


def read_cells(path: Path, spec: TableSpec, wanted=None) -> tuple[pd.DataFrame, int, int, str | None, str | None]:
    """A table file's cells under its own header: ``(frame, header index (0-based), first data
    row (1-based, as a spreadsheet shows it), encoding, note)``; ``note`` says how a header with
    merged cells was read (None otherwise). ``wanted`` says what the header looks like (see
    :func:`_header_score`); default, the contract's column names."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        df, header_idx, enc = _read_csv(path, spec, wanted)
        return df, header_idx, header_idx + 2, enc, None
    if suffix == ".xlsx":
        df, header_idx, enc, note = _read_xlsx(path, spec, wanted)
        return df, header_idx, header_idx + 2, enc, note
    if suffix == ".parquet":
        return _read_parquet(path), 0, 2, None, None  # records numbered as if the column names were row 1
    raise DataContractError(f"{path.name}: unsupported file type", file=str(path),  # pragma: no cover
                            fix="use CSV, Parquet or xlsx.")


def folder_defaults(data_dir) -> dict[str, str]:
    """Values the folder's ``metadata.json`` supplies for columns an export lacks:
    ``{"authority_code": home_authority}`` (empty when it has none or cannot be read)."""
    try:
        meta = folder_metadata(data_dir)
    except DataContractError:
        return {}
    out = {}
    for col, key in DEFAULTED_COLUMNS.items():
        v = meta.get(key)
        if v is not None and str(v).strip():
            out[col] = str(v).upper().replace(" ", "")
    return out


def _missing_columns_error(path: Path, header_idx: int, spec: TableSpec, missing: list[str],
                           mapped_problems: list[tuple[str, str]],
                           unused: list[str], label: str, defaults_key: dict) -> DataContractError:
    table = spec.name
    hints = [why for _, why in mapped_problems]
    guesses = suggest_columns(unused, table, missing, threshold=0.6)
    for col in missing:
        if col in guesses:
            orig = guesses[col][0]
            hints.append(f"rename your column {orig!r} to {col!r} (or map it: {col} = \"{orig}\" under "
                         f"[{table}.columns] in {label})")
        else:
            close = difflib.get_close_matches(col, [normalise_column_name(u) for u in unused], n=1, cutoff=0.6)
            if close:
                orig = unused[[normalise_column_name(u) for u in unused].index(close[0])]
                hints.append(f"rename your column {orig!r} to {col!r}")
            else:
                extra = (f", or give the council's code as \"{defaults_key[col]}\" in metadata.json"
                         if col in defaults_key and table not in NO_DEFAULT_TABLES else "")
                hints.append(f"add a column {col!r} ({spec.column(col).description}){extra}")
    what = []
    if missing:
        what.append(f"is missing required column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)}")
    if mapped_problems and not missing:
        what.append(f"does not have the column{'s' if len(mapped_problems) > 1 else ''} {label} names")
    columns = missing + [c for c, _ in mapped_problems]
    return DataContractError(
        f"{path.name} (header on row {header_idx + 1}) {' and '.join(what)}.",
        file=str(path),
        column=columns[0] if len(columns) == 1 else columns,
        fix="; ".join(hints) + ". `ot-benchmark map DATA_DIR` drafts a mapping of every column; see "
            "docs/data_contract.md.",
    )


def read_raw_table(table: str, path: Path, mapping: ExportMapping | TableMapping | None = None,
                   defaults: dict | None = None, *, columns=None, dictionary=(), deferred=()) -> tuple[RawTable, list[str]]:
    """Read one table's file and map its columns onto the contract.

    Parameters
    ----------
    mapping : ExportMapping, TableMapping or None
        How the export's columns and codes map onto the contract. None (the default): the
        mapping the folder's own settings.toml names, if any (:func:`~ot_benchmark.io.mapping.folder_mapping`).
    defaults : dict, optional
        Values for contract columns the file lacks (``{"authority_code": "E10000017"}``). None:
        from the folder's ``metadata.json`` (:func:`folder_defaults`).

    Missing required columns, and columns the mapping names that the file lacks, are fatal
    (:class:`DataContractError` naming the file, the columns and a near-miss where there is
    one); unknown columns give a warning and are left out. Rows that are entirely blank are
    dropped (they are not data).

    ``columns`` (contract names) reads only those columns of a Parquet file (its header is still
    matched whole, so nothing else changes; CSV and Excel files are read whole), and
    ``dictionary`` (contract names) reads those of them as categoricals. Of a Parquet file read
    so, the ``deferred`` columns are not read at once: ``RawTable.deferred`` holds a function
    reading each (its rows matching ``data``'s), so the validator can read, check and drop one
    column at a time.
    """
    spec = TABLES[table]
    path = Path(path)
    if mapping is None or isinstance(mapping, ExportMapping):
        em = resolve_mapping(path.parent) if mapping is None else mapping
        tm, label, source = em.get(table), em.label, em.source
    else:
        tm, label, source = mapping, "the mapping", "the mapping"
    defaults = folder_defaults(path.parent) if defaults is None else defaults
    warnings: list[str] = []
    wanted = set(spec.column_names) | (tm.header_names() if tm else set())
    lazy = columns is not None and path.suffix.lower() == ".parquet"
    if lazy:  # match the header from the footer; read the columns wanted once they are known
        df, header_idx, first_data_row, enc, note = pd.DataFrame(columns=_parquet_names(path)), 0, 2, None, None
    else:
        df, header_idx, first_data_row, enc, note = read_cells(path, spec, wanted)

    # ---- column names: the mapping's, then the contract's own names
    norm = [normalise_column_name(c) for c in df.columns]
    by_norm: dict[str, list[str]] = {}
    for orig, n in zip(df.columns, norm):
        by_norm.setdefault(n, []).append(str(orig))
    for n, origs in by_norm.items():
        if n in spec.column_names and len(origs) > 1 and not (tm and n in tm.columns):
            raise DataContractError(
                f"{path.name}: columns {' and '.join(repr(o) for o in origs)} both mean {n!r}.",
                file=str(path), column=n, fix="remove or rename one of them (or say in the mapping which is meant).",
            )
    match = match_columns(list(df.columns), spec, tm, label)
    sources = match.sources
    fill = {c: v for c, v in defaults.items()
            if c in spec.column_names and c not in sources and table not in NO_DEFAULT_TABLES and v}
    for c, v in fill.items():
        if c == "authority_code" and not re.fullmatch(r"[ENSW]\d{8}", v):
            raise DataContractError(
                f"{path.name} has no {c} column, and metadata.json's {DEFAULTED_COLUMNS[c]} {v!r}, which would "
                "stand in for it, is not an ONS authority code.", file=str(path), column=c,
                fix=f"write the council's code in metadata.json, e.g. \"{DEFAULTED_COLUMNS[c]}\": \"E10000017\".")
    unused = [str(o) for o in df.columns if str(o) not in sources.values()]
    explained = {c for c, _ in match.problems}
    missing = [c for c in spec.required_columns if c not in sources and c not in fill and c not in explained]
    if missing or match.problems:
        err = _missing_columns_error(path, header_idx, spec, missing, match.problems, unused, label,
                                     {c: k for c, k in DEFAULTED_COLUMNS.items()})
        if note:
            err = DataContractError(str(err).split(" Fix: ", 1)[0], file=err.file, column=err.column,
                                    fix=f"{err.fix} Note: {note}.")
        raise err
    unknown = [u for u, n in zip(df.columns, norm) if str(u) in unused and not str(u).startswith("unnamed_")
               and not (n.startswith("unnamed") and df[u].isna().all())]
    unknown = [str(u) for u in unknown]
    if unknown:
        warnings.append(f"{path.name}: column(s) {', '.join(repr(u) for u in unknown)} are not in the data "
                        f"contract for {table} and were left out.")
    warnings += [f"{path.name}: {w}." for w in match.shared]
    if match.superseded:
        warnings.append(f"{path.name}: column(s) {', '.join(repr(u) for u in match.superseded)} were not read: "
                        f"{label} names other columns for them.")
    absent = [c.name for c in spec.columns if c.required and c.nullable and c.name not in sources
              and c.name not in match.explicit_absent]
    if absent:
        warnings.append(f"{path.name}: no column for {', '.join(absent)}; read as blank in every row "
                        "(if the export has them under other names, map them: see docs/data_contract.md).")
    order = [c for c in spec.column_names if c in sources]
    picked = [sources[c] for c in order]
    renamed = {src: c for c, src in zip(order, picked)}
    later: list[str] = []
    if lazy:
        later = [c for c in order if c in set(columns) and c in set(deferred)]
        keep = [c for c in order if c in set(columns) and c not in set(deferred)]
        order, picked = keep, [sources[c] for c in keep]
        df = _read_parquet(path, picked, [sources[c] for c in keep if c in set(dictionary)])
    rows = np.arange(first_data_row, first_data_row + len(df), dtype=np.int64)
    n_file_rows = len(df)
    if picked != list(df.columns) or order != picked:
        df = df[picked]
        df.columns = order

    # ---- entirely blank rows are not data (trailing blank lines, spacer rows)
    kept_rows = None
    if len(df):
        keep = ~_all_blank_rows(df)
        kept_rows = None if keep.all() else keep
        if not keep.all():
            skipped = rows[~keep]
            shown = ", ".join(str(int(r)) for r in skipped[:10]) + (", ..." if len(skipped) > 10 else "")
            warnings.append(f"{path.name}: {len(skipped)} row(s) with every contract column blank were skipped "
                            f"(row {shown}).")
            df = df.loc[keep].reset_index(drop=True)
            rows = rows[keep]
    for col, value in fill.items():  # after the blank rows: a filled-in default is not data
        df[col] = pd.Series(value, index=df.index, dtype="str")
        warnings.append(f"{path.name}: no {col} column; every row is taken as {value} (metadata.json "
                        f"{DEFAULTED_COLUMNS[col]}).")
    if fill:
        df = df[[c for c in spec.column_names if c in df.columns]]
    n_blank = n_file_rows - len(df)
    raw = RawTable(table, path, df, rows, renamed, unknown, enc, header_idx + 1, n_blank)
    raw.value_maps = dict(tm.values) if tm else {}
    raw.mapping_label = source

    def reader(col: str):
        def read() -> pd.Series:
            src = sources[col]
            s = _read_parquet(path, [src], [src] if col in set(dictionary) else None)[src]
            return s if kept_rows is None else s[kept_rows].reset_index(drop=True)
        return read

    raw.deferred = {c: reader(c) for c in later}
    return raw, warnings
