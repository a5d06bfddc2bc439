"""DataBundle: a council data folder after validation — typed tables, rejects, metadata."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ot_benchmark.io.contract import TABLES
from ot_benchmark.periods import parse_period

__all__ = ["DataBundle", "REJECT_COLUMNS", "INTAKE_COLUMNS", "SYNTHETIC_BANNER", "banner_of", "COVERAGE_COLUMNS", "coverage_dates",
           "declared_coverage"]

REJECT_COLUMNS = ["table", "file", "row", "column", "value", "reason"]
INTAKE_COLUMNS = ["table", "file", "rows_read", "rows_accepted", "rows_rejected", "blank_rows_skipped"]
COVERAGE_COLUMNS = ["table", "from", "to", "from_source", "to_source"]
#: (table, column) of planned dates: they do not say what an extract covers (a complaint's
#: response, or a remedy, can be due after it ends), so coverage and the quarters computed by
#: default ignore them
PLANNED_DATES = frozenset({("complaints", "due_date"), ("complaints", "remedy_due_date")})
_NOT_COVERAGE = PLANNED_DATES
SYNTHETIC_BANNER = "Synthetic demonstration data — not real council performance"


def declared_coverage(metadata: dict) -> dict[str, dict[str, pd.Timestamp]]:
    """``metadata.json``'s ``"coverage"``: ``{table: {"from": Timestamp, "to": Timestamp}}`` (either
    end may be left out). Raises ValueError saying what is wrong with it."""
    cov = metadata.get("coverage", {})
    if not isinstance(cov, dict):
        raise ValueError('"coverage" must be an object such as {"referrals": {"from": "2022-04-01", "to": "2025-03-31"}}')
    out: dict[str, dict[str, pd.Timestamp]] = {}
    for table, ends in cov.items():
        if table not in TABLES:
            raise ValueError(f'"coverage" names {table!r}, which is not a table of the data contract ({", ".join(TABLES)})')
        if not isinstance(ends, dict) or not ends or set(ends) - {"from", "to"}:
            raise ValueError(f'"coverage" of {table} must be {{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}}, not {ends!r}')
        out[table] = {}
        for end, value in ends.items():
            try:
                if not isinstance(value, str) or not value[:4].isdigit():
                    raise ValueError(value)
                out[table][end] = pd.Timestamp(value).normalize()
            except (ValueError, TypeError):
                raise ValueError(f'"coverage" of {table}: {end} must be a date written YYYY-MM-DD, not {value!r}') from None
        if len(out[table]) == 2 and out[table]["from"] > out[table]["to"]:
            raise ValueError(f'"coverage" of {table}: "from" {ends["from"]} is after "to" {ends["to"]}')
    return out


def coverage_dates(name: str, df: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last dates a table's rows hold (NaT, NaT when none): over its date columns,
    or from the start of its first quarter to the end of its last for quarterly tables."""
    spec = TABLES.get(name)
    if spec is None or df is None or not len(df):
        return pd.NaT, pd.NaT
    lo, hi = [], []
    for c in spec.columns:
        if c.name not in df or (name, c.name) in _NOT_COVERAGE:
            continue
        if c.kind == "date":
            s = df[c.name]
            if s.notna().any():
                lo.append(s.min())
                hi.append(s.max())
        elif c.kind == "period":
            ps = [parse_period(p) for p in pd.unique(df[c.name].dropna())]
            if ps:
                lo.append(pd.Timestamp(min(ps).start))
                hi.append(pd.Timestamp(max(ps).end))
    return (min(lo), max(hi)) if lo else (pd.NaT, pd.NaT)


def banner_of(metadata: dict) -> str | None:
    """The one banner rule: the text every output built from a folder with this
    ``metadata.json`` must show (its own ``banner``, else :data:`SYNTHETIC_BANNER`) when the
    folder is synthetic; None for real data."""
    if not metadata.get("synthetic", False):
        return None
    return metadata.get("banner") or SYNTHETIC_BANNER


@dataclass
class DataBundle:
    """Validated extracts of one data folder.

    ``tables`` maps a contract table name (``referrals``, ``equipment``, ...) to a DataFrame with
    exactly the contract's columns, typed: dates ``datetime64[ns]`` at midnight (NaT for blanks),
    ids/codes/categories/text as pandas ``str`` dtype (the pandas 3 default; NaN for blanks), numbers float64,
    ints ``Int64``, booleans ``bool``, periods as canonical labels (``2024-25 Q2``). Tables the
    folder does not have are absent. Rejected rows are not in ``tables``; they are in ``rejects``
    (columns :data:`REJECT_COLUMNS`; ``row`` is the 1-based row number in the file as a
    spreadsheet user would see it).

    ``metadata`` is the folder's ``metadata.json`` (``synthetic``, ``banner``, ``home_authority``,
    ``description``, ...), empty when there is none.
    """

    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    metadata: dict = field(default_factory=dict)
    source_dir: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: rows read, accepted and rejected per table (``ValidationReport.summary`` of the read that made it)
    intake: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=INTAKE_COLUMNS))
    #: a council's slice of a folder (:meth:`by_council`) keeps what only the whole folder can say:
    #: ``{"coverage": ..., "completeness": ...}`` (None for a whole folder's bundle)
    folder_summary: dict | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            raise KeyError(f"the data has no {name!r} table")
        return self.tables[name]

    def __contains__(self, name: str) -> bool:
        return name in self.tables

    def get(self, name: str, default=None):
        return self.tables.get(name, default)

    @property
    def synthetic(self) -> bool:
        return bool(self.metadata.get("synthetic", False))

    @property
    def banner(self) -> str | None:
        """Text every output built from this data must show, or None for real data."""
        return banner_of(self.metadata)

    @property
    def authorities(self) -> list[str]:
        """Councils present in any table (case-level or returns)."""
        codes: set[str] = set()
        for df in self.tables.values():
            if "authority_code" in df:
                codes.update(df["authority_code"].dropna().unique())
        return sorted(codes)

    @classmethod
    def from_frames(cls, metadata: dict | None = None, **frames: pd.DataFrame) -> "DataBundle":
        """Build a bundle from in-memory frames (tests, notebooks). Columns are coerced to the
        contract's types but rows are not validated; missing optional columns are added blank."""
        tables = {}
        for name, df in frames.items():
            spec = TABLES[name]
            df = df.copy()
            for col in spec.columns:
                if col.name not in df:
                    df[col.name] = None
                if col.kind == "date":
                    df[col.name] = pd.to_datetime(df[col.name]).dt.normalize().astype("datetime64[ns]")
                elif col.kind == "number":
                    df[col.name] = pd.to_numeric(df[col.name]).astype("float64")
                elif col.kind == "int":
                    df[col.name] = pd.to_numeric(df[col.name]).astype("Int64")
                elif col.kind == "bool":  # a column that may be blank keeps its blanks (pandas "boolean")
                    df[col.name] = df[col.name].astype("boolean" if col.nullable else bool)
                elif col.kind == "period":
                    df[col.name] = df[col.name].map(lambda p: parse_period(p).label)
                elif col.name == "breakdown":
                    df[col.name] = df[col.name].fillna("all").astype("str")
                else:  # id, code, category, text: pandas str dtype, as load_data gives
                    df[col.name] = df[col.name].astype("str")
            tables[name] = df[spec.column_names].reset_index(drop=True)
        return cls(tables=tables, metadata=metadata or {})

    def by_council(self):
        """``(code, bundle)`` for every council in the tables: each bundle holds that council's
        rows of every table (a table without councils whole, a table without the council's rows
        empty), the folder's rejects, intake and metadata, and the folder's :attr:`coverage` and
        :meth:`completeness` (a report reads one council's rows, never the folder's: at national
        scale a council's slice is a hundred and fiftieth of the folder)."""
        summary = {"coverage": self.coverage, "completeness": self.completeness()}
        where = {name: df.groupby("authority_code", sort=False, observed=True, dropna=True).indices
                 for name, df in self.tables.items() if "authority_code" in df}
        for code in self.authorities:
            tables = {}
            for name, df in self.tables.items():
                if name in where:
                    rows = where[name].get(code)
                    tables[name] = df.iloc[rows if rows is not None else []].reset_index(drop=True)
                else:
                    tables[name] = df
            yield code, DataBundle(tables=tables, rejects=self.rejects, metadata=self.metadata,
                                   source_dir=self.source_dir, files=self.files, warnings=self.warnings,
                                   intake=self.intake, folder_summary=summary)

    def completeness(self) -> pd.DataFrame:
        """Rows used, and how often the optional details were recorded, by council and extract:
        ``authority_code, table, rows, optional_details_filled_pct, optional_columns``.
        "Optional details" are the contract's nullable columns that are not dates (a blank date
        usually means "not happened yet", which is not missing data) and not the council code. A
        council's slice gives the folder's."""
        if self.folder_summary is not None:
            return self.folder_summary["completeness"].copy()
        pieces = []
        for name, df in self.tables.items():  # one per extract
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
                part["optional_details_filled_pct"] = float("nan")
            part["optional_columns"] = ", ".join(opt) if opt else "-"
            part["table"] = name
            pieces.append(part.reset_index())
        columns = ["authority_code", "table", "rows", "optional_details_filled_pct", "optional_columns"]
        if not pieces:
            return pd.DataFrame(columns=columns)
        return pd.concat(pieces, ignore_index=True)[columns]

    @property
    def coverage(self) -> pd.DataFrame:
        """What each table's extract covers: one row per table, ``table, from, to, from_source,
        to_source``. An end is ``declared`` in ``metadata.json`` (``"coverage": {"referrals":
        {"from": "2022-04-01", "to": "2025-03-31"}}``) or ``inferred`` from the table's accepted
        rows (its first and last dates, or its first and last quarters); NaT when the table has
        no dates. A council's slice gives the folder's."""
        if self.folder_summary is not None:
            return self.folder_summary["coverage"].copy()
        try:
            declared = declared_coverage(self.metadata)
        except ValueError:  # load_data refuses such metadata; a bundle built by hand may have it
            declared = {}
        rows = []
        for name in TABLES:
            if name not in self.tables:
                continue
            first, last = coverage_dates(name, self.tables[name])
            d = declared.get(name, {})
            rows.append({"table": name, "from": d.get("from", first), "to": d.get("to", last),
                         "from_source": "declared" if "from" in d else "inferred",
                         "to_source": "declared" if "to" in d else "inferred"})
        out = pd.DataFrame(rows, columns=COVERAGE_COLUMNS)
        return out.astype({"from": "datetime64[ns]", "to": "datetime64[ns]"})

    def rejected_rows(self) -> pd.DataFrame:
        """Per table with rejected rows: ``table, rows_read, rows_rejected, main_reasons`` (the
        three commonest reasons with their counts); empty when no row was rejected."""
        intake = self.intake
        if intake is None or not len(intake) or int(intake["rows_rejected"].sum()) == 0:
            return pd.DataFrame(columns=["table", "rows_read", "rows_rejected", "main_reasons"])
        out = []
        for row in intake[intake["rows_rejected"] > 0].itertuples(index=False):
            rej = self.rejects[self.rejects["table"] == row.table]
            top = rej.groupby(["column", "reason"]).size().sort_values(ascending=False).head(3)
            reasons = "; ".join(f"{col}: {reason} ({n})" for (col, reason), n in top.items())
            out.append({"table": row.table, "rows_read": int(row.rows_read),
                        "rows_rejected": int(row.rows_rejected), "main_reasons": reasons})
        return pd.DataFrame(out)

    def rejected_rows_warning(self) -> str | None:
        """The one warning printed by ``indicators``, ``report`` and ``batch`` when rows were
        rejected (the same counts as ``validate``), or None."""
        rej = self.rejected_rows()
        if not len(rej):
            return None
        lines = [f"warning: {int(rej['rows_rejected'].sum())} row(s) of {self.source_dir or 'the data folder'} "
                 "were rejected and are not in any figure:"]
        lines += [f"  {r.table}: {r.rows_rejected} of {r.rows_read} rows rejected ({r.main_reasons})"
                  for r in rej.itertuples(index=False)]
        lines.append(f"  Run: ot-benchmark validate {self.source_dir or 'DATA_DIR'} --rejects rejects.csv for every row.")
        return "\n".join(lines)

    def metadata_json(self) -> str:
        return json.dumps(self.metadata, indent=2, default=str)
