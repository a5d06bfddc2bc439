"""Published tables in: a long table of councils' figures -> a data folder of ``returns``.

National statistics (ASCOF, Oflog's measures, LG Inform extracts) come as long tables: one row
per area, period and measure, with a value and sometimes a numerator and denominator, and rows
for England or the regions beside the councils. :func:`import_published` turns such a table,
described by a small mapping file, into

* ``returns`` rows (the data contract's ``returns`` table), one per council, period and measure;
* local catalogue entries for the measures (``local_indicators.csv``, named by the folder's
  ``settings.toml``), so the measures are benchmarked like built-in indicators;
* **reference lines** (``reference_lines.csv``): the England (and regional) figures, kept for
  charts and sentences but never counted as a council;
* the rows left out and why (no value published, an area that is not a council, a value outside
  the plausible range, a measure the mapping does not name), in ``metadata.json``.

The command is ``ot-benchmark import-published`` (:mod:`ot_benchmark.cli.returns`).

The mapping file (TOML)
-----------------------
::

    reference_lines = ["E92000001", "England"]   # optional; E92 (England) and E12 (regions) always are
    missing_values = ["NA", ".."]                # optional; added to the usual markers

    [columns]                     # the published table's column names
    authority = "area_code"       # council: ONS code or name (required)
    period = "period"             # financial year, quarter or month (required)
    measure = "indicator"         # which measure the row is (required)
    value = "value"               # required
    numerator = ""                # optional
    denominator = ""              # optional
    name = "area_name"            # optional: the area's name (kept on reference lines)

    [[measures]]
    match = "Social Care Service users who are satisfied with their care and support"
    indicator_id = "ASCOF_3A"     # a new id (then the catalogue fields below) or a built-in one
    name = "Service users satisfied with their care and support"
    unit = "%"
    multiplier = 100
    polarity = "higher_is_better"
    method = "proportion"
    kind = "flow"
    decimals = 1
    min_value = 0
    max_value = 100
    definition = "..."
    caveat = "..."

Councils given by name are matched to the council of that name that existed in the row's
period (``Dorset`` in 2017-18 is Dorset County, in 2020-21 Dorset Council), ignoring case,
punctuation, ``&``/``and`` and words such as *council*, *county*, *borough*, *city of*.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ot_benchmark.catalogue import CATALOGUE_COLUMNS, builtin_catalogue, load_catalogue
from ot_benchmark.errors import DataContractError, ParameterError
from ot_benchmark.io import reference
from ot_benchmark.io.plausible import implausible_values
from ot_benchmark.periods import PeriodError, parse_period

__all__ = [
    "PublishedImport",
    "REFERENCE_LINES_FILE",
    "REFERENCE_LINE_COLUMNS",
    "read_mapping",
    "import_published",
    "write_folder",
    "read_reference_lines",
    "peer_group_file",
]

REFERENCE_LINES_FILE = "reference_lines.csv"
REFERENCE_LINE_COLUMNS = ["area_code", "area_name", "period", "indicator_id", "numerator", "denominator", "value"]
RETURN_COLUMNS = ["authority_code", "period", "indicator_id", "breakdown", "numerator", "denominator", "value", "note"]
#: Codes of areas that are not councils: England (E92), the English regions (E12).
REFERENCE_CODE = re.compile(r"^E(92|12)\d{6}$")
MISSING_MARKERS = {"", "na", "n/a", "nan", "..", ":", "x", "[x]", "[z]", "[c]", "[low]", "*", "-", "–", "null", "none"}
_CODE = re.compile(r"^[ENSW]\d{8}$")
_STOP = {"council", "county", "borough", "city", "of", "the", "metropolitan", "district", "royal", "corporation", "mbc",
         "cc", "upon"}
_MEASURE_DEFAULTS = {"family": "local", "multiplier": "1", "target": "", "target_local_standard": "false",
                     "caveat": "", "counts_people": "false", "suppress_with": "", "decimals": "", "min_value": "",
                     "max_value": "", "kind": "flow", "definition": ""}


@dataclass
class PublishedImport:
    """What :func:`import_published` made."""

    returns: pd.DataFrame
    catalogue: pd.DataFrame  # local catalogue rows (strings, CATALOGUE_COLUMNS); empty when all ids are built in
    reference_lines: pd.DataFrame
    left_out: pd.DataFrame  # file, row, area, period, measure, value, reason
    sources: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{len(self.returns)} council figures ({self.returns['authority_code'].nunique()} councils, "
                 f"{self.returns['indicator_id'].nunique()} measures, {self.returns['period'].nunique()} periods); "
                 f"{len(self.reference_lines)} reference-line figures"]
        if len(self.left_out):
            lines.append(f"{len(self.left_out)} row(s) left out:")
            for reason, n in self.left_out["reason"].value_counts(sort=False).items():
                lines.append(f"  {n} x {reason}")
        return "\n".join(lines)


def read_mapping(path) -> dict:
    """Read and check a mapping file (TOML; see the module docstring)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            m = tomllib.load(fh)
    except FileNotFoundError:
        raise ParameterError(f"mapping file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataContractError(f"cannot read the mapping file {path} as TOML ({exc}).", file=str(path),
                                fix="see ot_benchmark.io.published for its layout") from None
    cols = m.get("columns") or {}
    for k in ("reference_lines", "missing_values"):  # written after [columns], TOML puts them in it
        if k in cols:
            m.setdefault(k, cols.pop(k))
    unknown = sorted(set(cols) - {"authority", "period", "measure", "value", "numerator", "denominator", "name"})
    if unknown:
        raise DataContractError(f"the mapping file {path} names unknown [columns] key(s) {', '.join(unknown)}.",
                                file=str(path), fix="use authority, period, measure, value, numerator, denominator, name")
    missing = [k for k in ("authority", "period", "measure", "value") if not str(cols.get(k, "")).strip()]
    if missing:
        raise DataContractError(f"the mapping file {path} does not name the column(s) {', '.join(missing)} in [columns].",
                                file=str(path), fix='add e.g. authority = "area_code" under [columns]')
    measures = m.get("measures") or []
    if not measures:
        raise DataContractError(f"the mapping file {path} has no [[measures]].", file=str(path),
                                fix="add a [[measures]] table with match and indicator_id for each measure to import")
    for i, ms in enumerate(measures, 1):
        for k in ("match", "indicator_id"):
            if not ms.get(k):
                raise DataContractError(f"[[measures]] number {i} in {path} has no {k}.", file=str(path),
                                        fix="give every measure the published text to match and the indicator_id to use")
    m["_path"] = str(path)
    return m


def _light(s: str) -> str:
    """Lower case, ``&`` as ``and``, punctuation as spaces."""
    s = str(s).lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s).split())


def _norm_name(s: str) -> str:
    """:func:`_light` without words such as council, county, borough, city, of."""
    return " ".join(w for w in _light(s).split() if w not in _STOP)


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if suffix == ".xlsx":
            return pd.read_excel(path, dtype=str, keep_default_na=False)
        if suffix == ".parquet":
            return pd.read_parquet(path).astype(str)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataContractError(f"cannot read the published table {path} ({exc}).", file=str(path),
                                fix="save it as UTF-8 CSV, .xlsx or .parquet") from None
    raise ParameterError(f"{path}: a published table must be .csv, .xlsx or .parquet")


def _number(s: pd.Series) -> pd.Series:
    t = s.astype(str).str.strip().str.replace(r"[£,%\s]", "", regex=True)
    return pd.to_numeric(t, errors="coerce")


def _catalogue_rows(measures: list[dict]) -> pd.DataFrame:
    built_in = set(builtin_catalogue()["indicator_id"])
    rows, seen = [], set()
    for ms in measures:
        iid = str(ms["indicator_id"]).strip()
        if iid in built_in or iid in seen:
            continue
        seen.add(iid)
        row = {c: "" for c in CATALOGUE_COLUMNS}
        row.update(_MEASURE_DEFAULTS)
        for c in CATALOGUE_COLUMNS:
            if c in ms:
                v = ms[c]
                row[c] = ("true" if v else "false") if isinstance(v, bool) else str(v)
        row["indicator_id"] = iid
        row["name"] = row["name"] or iid
        if not row["definition"]:
            row["definition"] = f"As published: {', '.join(_matches(ms))}."
        rows.append(row)
    return pd.DataFrame(rows, columns=CATALOGUE_COLUMNS)


def _matches(ms: dict) -> list[str]:
    m = ms["match"]
    return [str(x).strip() for x in (m if isinstance(m, list) else [m])]


def import_published(files, mapping: "dict | str | Path") -> PublishedImport:
    """Turn published long tables into returns, local catalogue rows and reference lines.

    Parameters
    ----------
    files : path or list of paths
        Published tables (.csv, .xlsx, .parquet) with the columns the mapping names.
    mapping : dict or path
        The mapping (:func:`read_mapping`).

    Raises
    ------
    DataContractError
        A table lacks a column the mapping names; the measures' catalogue entries are invalid.
    """
    m = read_mapping(mapping) if not isinstance(mapping, dict) else mapping
    cols = {k: str(v).strip() for k, v in (m.get("columns") or {}).items() if str(v).strip()}
    measures = m["measures"]
    by_text = {}
    for ms in measures:
        for t in _matches(ms):
            by_text[t.lower()] = str(ms["indicator_id"]).strip()
    ref_keys = {str(x).strip().upper() for x in m.get("reference_lines", [])}
    ref_names = {_light(x) for x in m.get("reference_lines", [])} | {"england"}
    missing_markers = MISSING_MARKERS | {str(x).strip().lower() for x in m.get("missing_values", [])}

    cat_rows = _catalogue_rows(measures)
    catalogue = load_catalogue(cat_rows) if len(cat_rows) else builtin_catalogue()  # validates the entries
    history = reference.council_history()
    known = set(history["ons_code"])
    ref_names |= {_light(r) for r in history["region"].unique()}  # region rows by name ("London", not "City of London")
    names = history.assign(_n=history["name"].map(_norm_name), _o=history["official_name"].map(_norm_name),
                           _ln=history["name"].map(_light), _lo=history["official_name"].map(_light))

    frames, sources = [], []
    for f in ([files] if isinstance(files, (str, Path)) else list(files)):
        path = Path(f)
        df = _read_table(path)
        df.columns = [str(c).strip() for c in df.columns]
        absent = [v for k, v in cols.items() if v not in df.columns]
        if absent:
            raise DataContractError(f"the published table {path} has no column(s) {', '.join(map(repr, absent))} "
                                    f"(it has {', '.join(df.columns)}).", file=str(path),
                                    fix="correct the [columns] of the mapping file")
        g = pd.DataFrame({"file": path.name, "row": np.arange(len(df)) + 2})
        for k in ("authority", "period", "measure", "value", "numerator", "denominator", "name"):
            g[k] = df[cols[k]].astype(str).str.strip().to_numpy() if k in cols else ""
        frames.append(g)
        sources.append(str(path))
    t = pd.concat(frames, ignore_index=True)
    reason = pd.Series(pd.NA, index=t.index, dtype="object")

    def leave(mask, why):
        nonlocal reason
        mask = np.asarray(mask, dtype=bool) & reason.isna().to_numpy()
        reason = reason.where(~mask, why)

    # periods
    label, period_obj = {}, {}
    for p in pd.unique(t["period"]):
        try:
            period_obj[p] = parse_period(p)
            label[p] = period_obj[p].label
        except PeriodError as exc:
            label[p] = None
            period_obj[p] = str(exc)
    t["period_label"] = t["period"].map(label)
    for p, obj in period_obj.items():
        if isinstance(obj, str):
            leave(t["period"] == p, f"period not read: {obj}")

    # measures
    t["indicator_id"] = t["measure"].str.lower().map(by_text)
    leave(t["indicator_id"].isna(), "measure not in the mapping")

    # reference lines (England, regions) and councils
    code = t["authority"].str.upper().str.replace(r"\s+", "", regex=True)
    is_code = code.str.match(_CODE)
    is_ref = (is_code & (code.str.match(REFERENCE_CODE) | code.isin(ref_keys))) | \
             (~is_code & (t["authority"].map(_light).isin(ref_names) | code.isin(ref_keys)))
    t["is_reference"] = is_ref
    t["authority_code"] = np.where(is_code, code, "")
    by_name = ~is_code & ~is_ref
    if by_name.any():
        for (nm, p), idx in t[by_name].groupby(["authority", "period_label"], dropna=False).groups.items():
            if p is None or (isinstance(p, float) and np.isnan(p)):
                continue
            alive = names[names["ons_code"].isin(set(reference.councils_in_period(p)["ons_code"]))]
            light, n = _light(nm), _norm_name(nm)
            hit = alive[(alive["_ln"] == light) | (alive["_lo"] == light)]["ons_code"].unique()  # as written
            if len(hit) == 0:  # else without council, county, borough, city of, ...
                hit = alive[(alive["_n"] == n) | (alive["_o"] == n)]["ons_code"].unique()
            if len(hit) == 1:
                t.loc[idx, "authority_code"] = hit[0]
            else:
                leave(t.index.isin(idx), f"not a council name we know for {p}" if len(hit) == 0
                      else f"name matches several councils in {p}: {', '.join(hit)}")
    leave(~is_ref & is_code & ~t["authority_code"].isin(known),
          "not a council with adult social services responsibilities since April 2015, nor a reference line")

    # values
    for k in ("value", "numerator", "denominator"):
        raw = t[k]
        num = _number(raw)
        gone = raw.str.lower().isin(missing_markers)
        leave(num.isna() & ~gone, f"{k} is not a number")
        t[k + "_num"] = num.where(~gone)
    leave(t["value_num"].isna() & (t["numerator_num"].isna() | t["denominator_num"].isna()), "no value published")
    why = implausible_values(t["indicator_id"].fillna(""), t["value_num"], catalogue=catalogue)
    leave(why.notna() & ~t["is_reference"], "value outside the plausible range (catalogue min_value/max_value)")

    # duplicates: keep the first
    key = np.where(t["is_reference"], "ref:" + t["authority"].str.upper(), t["authority_code"]) \
        + "|" + t["period_label"].fillna("") + "|" + t["indicator_id"].fillna("")
    dup = pd.Series(key).duplicated(keep="first") & reason.isna()
    leave(dup, "duplicate of an earlier row (same area, period and measure)")

    ok = reason.isna()
    council = t[ok & ~t["is_reference"]]
    returns = pd.DataFrame({
        "authority_code": council["authority_code"].to_numpy(),
        "period": council["period_label"].to_numpy(),
        "indicator_id": council["indicator_id"].to_numpy(),
        "breakdown": "all",
        "numerator": council["numerator_num"].to_numpy(),
        "denominator": council["denominator_num"].to_numpy(),
        "value": council["value_num"].to_numpy(),
        "note": "",
    }, columns=RETURN_COLUMNS)
    ref = t[ok & t["is_reference"]]
    ref_lines = pd.DataFrame({
        "area_code": np.where(ref["authority"].str.upper().str.replace(r"\s+", "", regex=True).str.match(_CODE),
                              ref["authority"].str.upper().str.replace(r"\s+", "", regex=True), ""),
        "area_name": np.where(ref["name"] != "", ref["name"], ref["authority"]),
        "period": ref["period_label"].to_numpy(),
        "indicator_id": ref["indicator_id"].to_numpy(),
        "numerator": ref["numerator_num"].to_numpy(),
        "denominator": ref["denominator_num"].to_numpy(),
        "value": ref["value_num"].to_numpy(),
    }, columns=REFERENCE_LINE_COLUMNS)
    lo = t[~ok].assign(reason=reason[~ok])
    left_out = lo[["file", "row", "authority", "period", "measure", "value", "reason"]].rename(
        columns={"authority": "area"}).reset_index(drop=True)
    returns = returns.assign(_p=returns["period"].map(lambda x: parse_period(x))).sort_values(
        ["indicator_id", "_p", "authority_code"]).drop(columns="_p").reset_index(drop=True)
    ref_lines = ref_lines.assign(_p=ref_lines["period"].map(lambda x: parse_period(x))).sort_values(
        ["indicator_id", "_p", "area_code"]).drop(columns="_p").reset_index(drop=True)
    return PublishedImport(returns, cat_rows, ref_lines, left_out, sources)


def peer_group_file(home: str, peers_file, out_path) -> Path:
    """Write a comparator-group CSV (``authority_code,neighbour_code,neighbour_name``) for
    ``home`` from a published list of its peers (one row per peer, the code in a column named
    ``area_code``, ``ons_code``, ``authority_code``, ``neighbour_code`` or ``code``)."""
    peers = _read_table(Path(peers_file))
    peers.columns = [str(c).strip().lower() for c in peers.columns]
    col = next((c for c in ("neighbour_code", "area_code", "ons_code", "authority_code", "code") if c in peers), None)
    if col is None:
        raise DataContractError(f"the peers file {peers_file} has no column of council codes (it has "
                                f"{', '.join(peers.columns)}).", file=str(peers_file),
                                fix="name the column of ONS codes area_code")
    home = str(home).strip().upper()
    codes = peers[col].astype(str).str.strip().str.upper()
    bad = sorted(set(codes) - reference.known_codes())
    if bad or home not in reference.known_codes():
        raise DataContractError(f"the peers file {peers_file} or --home names codes that are not councils: "
                                f"{', '.join(bad or [home])}.", file=str(peers_file), fix="use ONS GSS codes")
    names = reference.council_history().set_index("ons_code")["name"]
    out = pd.DataFrame({"authority_code": home, "neighbour_code": codes, "neighbour_name": codes.map(names)})
    out = out[out["neighbour_code"] != home]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(out_path, index=False)
    return out_path


def write_folder(result: PublishedImport, out_dir, *, home: str | None = None, description: str | None = None,
                 mapping_path: str | None = None, extra_metadata: dict | None = None) -> list[Path]:
    """Write an import as a data folder: ``returns.csv``, ``local_indicators.csv`` and
    ``settings.toml`` (when there are new measures), ``reference_lines.csv``, ``metadata.json``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    p = out / "returns.csv"
    result.returns.to_csv(p, index=False)
    written.append(p)
    if len(result.catalogue):
        p = out / "local_indicators.csv"
        result.catalogue.to_csv(p, index=False)
        written.append(p)
        p = out / "settings.toml"
        p.write_text("# Written by ot-benchmark import-published: the imported measures' catalogue entries.\n"
                     'local_catalogue = "local_indicators.csv"\n', encoding="utf-8")
        written.append(p)
    p = out / REFERENCE_LINES_FILE
    result.reference_lines.to_csv(p, index=False)
    written.append(p)
    left = result.left_out
    meta = {
        "synthetic": False,
        "description": description or f"Published figures imported from {', '.join(Path(s).name for s in result.sources)}",
        "imported_with": "ot-benchmark import-published",
        "sources": [Path(s).name for s in result.sources],
        "mapping": Path(mapping_path).name if mapping_path else None,
        "reference_lines": REFERENCE_LINES_FILE,
        "left_out": {
            "rows": int(len(left)),
            "by_reason": {str(k): int(v) for k, v in left["reason"].value_counts(sort=False).items()},
            "first": left.head(100).astype(str).to_dict(orient="records"),
        },
    }
    if home:
        meta["home_authority"] = str(home).strip().upper()
    meta.update(extra_metadata or {})
    p = out / "metadata.json"
    p.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    written.append(p)
    return written


def read_reference_lines(data_dir) -> pd.DataFrame:
    """A data folder's reference lines (England, regions): ``REFERENCE_LINE_COLUMNS``, empty when
    the folder has none. Never councils: keep them out of groups, ranks and medians."""
    p = Path(data_dir) / REFERENCE_LINES_FILE
    if not p.is_file():
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("numerator", "denominator", "value") else object)
                             for c in REFERENCE_LINE_COLUMNS})
    df = pd.read_csv(p, dtype={"area_code": str, "area_name": str, "period": str, "indicator_id": str})
    df["period"] = df["period"].map(lambda x: parse_period(x).label)
    return df[REFERENCE_LINE_COLUMNS]
