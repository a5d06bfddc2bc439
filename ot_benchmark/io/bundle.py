"""DataBundle: a council data folder after validation — typed tables, rejects, metadata."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ot_benchmark.io.contract import TABLES
from ot_benchmark.periods import parse_period

__all__ = ["DataBundle", "REJECT_COLUMNS", "SYNTHETIC_BANNER", "banner_of"]

REJECT_COLUMNS = ["table", "file", "row", "column", "value", "reason"]
SYNTHETIC_BANNER = "Synthetic demonstration data — not real council performance"


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
                elif col.kind == "bool":
                    df[col.name] = df[col.name].astype(bool)
                elif col.kind == "period":
                    df[col.name] = df[col.name].map(lambda p: parse_period(p).label)
                elif col.name == "breakdown":
                    df[col.name] = df[col.name].fillna("all").astype("str")
                else:  # id, code, category, text: pandas str dtype, as load_data gives
                    df[col.name] = df[col.name].astype("str")
            tables[name] = df[spec.column_names].reset_index(drop=True)
        return cls(tables=tables, metadata=metadata or {})

    def metadata_json(self) -> str:
        return json.dumps(self.metadata, indent=2, default=str)
