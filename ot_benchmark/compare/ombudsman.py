"""The council's complaints log against the Ombudsman's published decisions for it.

A scrutiny panel asks why "the figures on the Council's website wouldn't necessarily match with
those on the LGSCO site". This module lines the two lists up, case by case:

1. **By reference.** The Ombudsman's reference and the log's ``ombudsman_reference`` are compared
   normalised — upper case, and spaces and punctuation (dashes, dots, slashes) removed — so
   ``23 012 345``, ``23-012-345`` and ``23012345`` are one reference. A match whose references
   are written differently is labelled ``reference typed differently`` (put the Ombudsman's form
   in the log). Log rows sharing one reference (a complaint's stage rows) are one case.
2. **Failing that, by decision date and category.** A decision left over is paired with a case
   left over whose Ombudsman decision date (``ombudsman_decided_date``) is within
   ``window_days`` (default :data:`WINDOW_DAYS`, 14) of the Ombudsman's, in the same stream (the
   Ombudsman's category mapped onto the log's ``stream``: :func:`stream_of_category`). Pairs are
   taken one to one, nearest dates first. Such a match is labelled ``decision date and category``,
   and says when the log has a reference that differs (check it).
3. **What is left** is listed: decisions the Ombudsman recorded that the log does not hold
   (``ombudsman_only``), and the log's Ombudsman decisions the Ombudsman's list does not show
   (``council_only``).

Which cases are compared: the Ombudsman's decisions dated in the period (a financial year such
as ``2024-25``, a quarter, or by default the financial years the decisions file spans; undated
decisions are kept and can match by reference only), and the log's cases with an Ombudsman
decision dated in the period. Log cases decided just outside the period, or with no decision
recorded, may still match (by reference, or by date within the window), but are never listed as
``council_only``; log cases the Ombudsman took with no decision recorded and no match are counted
as awaiting a decision.

The lists hold case references, so :func:`write_reconciliation` writes them only into the
restricted area ``outputs/_restricted/<period>/<authority>/ombudsman/`` (folders ``0o700``, files
``0o600``, each file's first line saying it is not for publication). The counts
(:attr:`Reconciliation.counts`) are what a scrutiny report may quote, through the small-number
rule (:func:`ot_benchmark.report.complaints.reconciliation_sentences`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ot_benchmark.errors import DataContractError, ParameterError
from ot_benchmark.io.contract import COMPLAINT_STREAMS
from ot_benchmark.io.validate import parse_dates
from ot_benchmark.periods import PeriodError, parse_period

__all__ = [
    "DECISION_COLUMNS",
    "WINDOW_DAYS",
    "RESTRICTED_NOTICE",
    "Reconciliation",
    "normalise_reference",
    "stream_of_category",
    "decision_of_text",
    "read_decisions",
    "reconcile",
    "restricted_folder",
    "write_reconciliation",
]

#: the columns of the Ombudsman's decisions file (docs/data_contract.md), ``remedy`` optional
DECISION_COLUMNS = ("reference", "decision_date", "category", "decision", "remedy")
_REQUIRED = ("reference", "decision_date", "category", "decision")
#: how each column is usually headed in the Ombudsman's downloads and councils' copies of them
_HEADINGS = {
    "reference": ("reference", "ref", "case reference", "case ref", "complaint reference", "our reference",
                  "lgsco reference", "ombudsman reference"),
    "decision_date": ("decision date", "date of decision", "decided", "date decided", "decision made"),
    "category": ("category", "service area", "subject", "service"),
    "decision": ("decision", "outcome", "decision outcome", "result"),
    "remedy": ("remedy", "remedies", "remedy agreed", "recommended remedy"),
}
#: days either side of the Ombudsman's decision date within which a log entry may match it
WINDOW_DAYS = 14
RESTRICTED_NOTICE = ("# RESTRICTED - holds complaint and Ombudsman case references: not for publication, "
                     "do not share outside the complaints team")
_LIST_COLUMNS = {
    "matched": ["ombudsman_reference", "log_reference", "complaint_ids", "matched_by", "ombudsman_decision_date",
                "log_decision_date", "days_apart", "category", "stream", "ombudsman_decision", "log_decision",
                "decisions_agree", "remedy", "log_remedy_gbp"],
    "council_only": ["complaint_ids", "log_reference", "stream", "received_date", "ombudsman_referred_date",
                     "log_decision_date", "log_decision", "why"],
    "ombudsman_only": ["ombudsman_reference", "ombudsman_decision_date", "category", "stream", "ombudsman_decision",
                       "remedy", "why"],
}


def _norm_heading(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def normalise_reference(values) -> pd.Series:
    """References as compared: upper case, spaces and punctuation removed (``"23-012 345"`` ->
    ``"23012345"``); blank for a missing or empty reference."""
    s = pd.Series(values, dtype="object")
    out = s.where(s.notna(), "").astype(str).str.upper().str.replace(r"[^0-9A-Z]+", "", regex=True)
    return pd.Series(np.where(out != "", out.astype(object), None), index=s.index, dtype="object")


def stream_of_category(category, mapping: Mapping[str, str] | None = None) -> pd.Series:
    """The log's stream of each Ombudsman category.

    ``mapping`` (category -> stream, matched without regard to case or punctuation) comes first;
    otherwise a category naming adults (``Adult care services``) is ``asc_statutory``, one naming
    children (``Education & children's services``) ``childrens_statutory``, and anything else
    ``corporate``.
    """
    cat = pd.Series(category, dtype="object").where(pd.Series(category, dtype="object").notna(), "").astype(str)
    key = cat.map(_norm_heading)
    out = pd.Series("corporate", index=cat.index, dtype="object")
    out[key.str.contains(r"\bchild", regex=True)] = "childrens_statutory"
    out[key.str.contains(r"\badult", regex=True)] = "asc_statutory"
    for k, v in (mapping or {}).items():
        if v not in COMPLAINT_STREAMS:
            raise ParameterError(f"category {k!r} is mapped to {v!r}, which is not a stream ({', '.join(COMPLAINT_STREAMS)})")
        out[key == _norm_heading(k)] = v
    return out


def decision_of_text(text) -> pd.Series:
    """The log's ``ombudsman_decision`` of each Ombudsman decision text: ``upheld`` ("Upheld:
    maladministration and injustice"), ``not_upheld`` ("Not upheld: no maladministration"),
    ``not_investigated`` ("Closed after initial enquiries", "Advice given", "Referred back for
    local resolution", "Incomplete/Invalid", "Premature"); None when it cannot be told."""
    key = pd.Series(text, dtype="object").where(pd.Series(text, dtype="object").notna(), "").astype(str).map(_norm_heading)
    closed = key.str.contains(r"initial enquiries|advice given|referred back|premature|incomplete|invalid|"
                              r"not investigated|closed", regex=True)
    not_upheld = key.str.contains(r"\bnot upheld\b|\bno fault\b|\bno maladministration\b", regex=True)
    upheld = key.str.contains(r"\bupheld\b", regex=True)
    code = np.select([closed.to_numpy(), not_upheld.to_numpy(), upheld.to_numpy()],
                     ["not_investigated", "not_upheld", "upheld"], default="")
    return pd.Series(np.where(code != "", code.astype(object), None), index=key.index, dtype="object")


def read_decisions(path, columns: Mapping[str, str] | None = None, *,
                   categories: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Read the Ombudsman's decisions for a council (a CSV file).

    Parameters
    ----------
    path : path
        The CSV: one row per decision with :data:`DECISION_COLUMNS` (``remedy`` optional).
    columns : mapping, optional
        The file's heading of a column where it is not one of the usual ones
        (``{"reference": "Case no."}``); headings are matched without regard to case, spaces
        and punctuation, so ``Decision Date`` is ``decision_date``.
    categories : mapping, optional
        Ombudsman category -> the log's stream (:func:`stream_of_category`).

    Returns
    -------
    decisions : DataFrame
        ``reference``, ``decision_date`` (datetime), ``category``, ``decision``, ``remedy``, and
        ``stream``, ``decision_code`` (:func:`decision_of_text`), ``reference_key``
        (:func:`normalise_reference`), ``row`` (the row a spreadsheet shows).
    warnings : list of str
        Rows with a date that cannot be read (kept, matched by reference only), rows without a
        reference, references listed twice.

    Raises
    ------
    DataContractError
        The file cannot be read, or lacks a column (the message lists its headings and how to map one).
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataContractError(f"the Ombudsman's decisions file {path} does not exist", file=str(path),
                                fix="give the CSV of the Ombudsman's decisions for the council (--decisions FILE)") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp1252")
        except Exception:
            raise DataContractError(f"cannot read the Ombudsman's decisions file {path}: {exc}", file=str(path),
                                    fix="save it as CSV (UTF-8)") from None
    by_heading = {_norm_heading(h): h for h in raw.columns}
    chosen: dict[str, str] = {}
    for col in DECISION_COLUMNS:
        given = (columns or {}).get(col)
        if given is not None:
            if _norm_heading(given) not in by_heading:
                raise DataContractError(
                    f"{path.name} has no column {given!r} (given for {col}); its columns are: {', '.join(raw.columns)}",
                    file=str(path), column=col, fix="name one of its columns in the column map")
            chosen[col] = by_heading[_norm_heading(given)]
            continue
        for heading in (col.replace("_", " "), *_HEADINGS[col]):
            if heading in by_heading:
                chosen[col] = by_heading[heading]
                break
    unknown = [k for k in (columns or {}) if k not in DECISION_COLUMNS]
    if unknown:
        raise ParameterError(f"column map names {', '.join(unknown)}: the decisions file's columns are "
                             f"{', '.join(DECISION_COLUMNS)}")
    missing = [c for c in _REQUIRED if c not in chosen]
    if missing:
        raise DataContractError(
            f"{path.name} has no column for {', '.join(missing)}; its columns are: {', '.join(raw.columns)}",
            file=str(path), column=missing[0],
            fix=f"map them, e.g. --column {missing[0]}=\"<its heading>\" (docs/data_contract.md, the Ombudsman's decisions)")
    out = pd.DataFrame({c: raw[chosen[c]].astype(str).str.strip() if c in chosen else "" for c in DECISION_COLUMNS})
    out["row"] = np.arange(len(out)) + 2
    out = out[(out[list(_REQUIRED)] != "").any(axis=1)].reset_index(drop=True)  # blank lines
    warnings = []
    dates, why = parse_dates(out["decision_date"].where(out["decision_date"] != ""), allow_future=True)
    bad = why.notna().to_numpy() | dates.isna().to_numpy()
    if bad.any():
        rows = ", ".join(map(str, out.loc[bad, "row"].tolist()[:10]))
        warnings.append(f"{int(bad.sum())} decision(s) with no readable decision date (rows {rows}): matched by reference only")
    out["decision_date"] = dates
    out["reference"] = out["reference"].where(out["reference"] != "", None)
    out["reference_key"] = normalise_reference(out["reference"])
    no_ref = out["reference_key"].isna()
    if no_ref.any():
        warnings.append(f"{int(no_ref.sum())} decision(s) with no reference (rows "
                        f"{', '.join(map(str, out.loc[no_ref, 'row'].tolist()[:10]))}): matched by date and category only")
    twice = out["reference_key"].notna() & out["reference_key"].duplicated(keep=False)
    if twice.any():
        warnings.append(f"{int(twice.sum())} rows share a reference with another row "
                        f"({', '.join(sorted(set(out.loc[twice, 'reference'])))[:200]}): each is compared on its own")
    out["stream"] = stream_of_category(out["category"], categories).to_numpy()
    out["decision_code"] = decision_of_text(out["decision"]).to_numpy()
    return out, warnings


# --------------------------------------------------------------------------------------------
# the period


def _period_window(period, dates: pd.Series) -> tuple[str, pd.Timestamp, pd.Timestamp]:
    """(label, first day, last day) of a financial year (``2024-25``), a quarter, or by default
    the financial years ``dates`` span."""
    if period in (None, "", "auto"):
        d = dates.dropna()
        if d.empty:
            raise ParameterError("the decisions file has no readable decision date, so the period cannot be told; "
                                 "give it (--period 2024-25)")
        y0 = d.min().year - (1 if d.min().month < 4 else 0)
        y1 = d.max().year - (1 if d.max().month < 4 else 0)
        label = f"{y0}-{(y0 + 1) % 100:02d}" + ("" if y1 == y0 else f" to {y1}-{(y1 + 1) % 100:02d}")
        return label, pd.Timestamp(y0, 4, 1), pd.Timestamp(y1 + 1, 3, 31)
    text = str(period).strip()
    m = re.fullmatch(r"(\d{4})[-/](\d{2}|\d{4})", text)
    if m:
        y0, tail = int(m.group(1)), m.group(2)
        if int(tail[-2:]) != (y0 + 1) % 100:
            raise ParameterError(f"{text!r} is not a financial year: write it like 2024-25")
        return f"{y0}-{(y0 + 1) % 100:02d}", pd.Timestamp(y0, 4, 1), pd.Timestamp(y0 + 1, 3, 31)
    try:
        p = parse_period(text)
    except PeriodError as exc:
        raise ParameterError(f"period {text!r}: a financial year such as 2024-25 or a quarter such as "
                             f"2024-25 Q4 ({exc})") from None
    return p.label, pd.Timestamp(p.start), pd.Timestamp(p.end)


# --------------------------------------------------------------------------------------------
# matching


@dataclass
class Reconciliation:
    """What :func:`reconcile` found (see the module docstring).

    ``matched``, ``council_only``, ``ombudsman_only`` hold case references (restricted);
    ``counts`` holds only numbers: ``ombudsman_decisions`` (in the period), ``matched``,
    ``matched_by_reference``, ``reference_typed_differently``, ``matched_by_date``,
    ``matched_by_date_reference_differs``, ``ombudsman_only``, ``log_decisions`` (the log's
    cases decided in the period), ``log_decisions_matched`` (those the Ombudsman's list holds;
    with ``council_only`` they add up to ``log_decisions``), ``council_only``,
    ``decisions_differ`` (matched, but the log
    records another decision), ``awaiting_decision_in_log``, ``outside_period`` (decisions in
    the file outside the period, not compared).
    """

    authority: str
    period: str
    start: pd.Timestamp
    end: pd.Timestamp
    window_days: int
    matched: pd.DataFrame
    council_only: pd.DataFrame
    ombudsman_only: pd.DataFrame
    counts: dict
    warnings: list = field(default_factory=list)


def _cases(log: pd.DataFrame) -> pd.DataFrame:
    """The log's Ombudsman cases: rows with a reference, a referral or a decision; rows sharing a
    normalised reference are one case."""
    k = log.copy()
    k["reference_key"] = normalise_reference(k["ombudsman_reference"]).to_numpy()
    involved = k["reference_key"].notna() | k["ombudsman_referred_date"].notna() | k["ombudsman_decided_date"].notna()
    k = k[involved].reset_index(drop=True)
    if k.empty:
        return pd.DataFrame(columns=["case", "complaint_ids", "log_reference", "reference_key", "stream", "received_date",
                                     "ombudsman_referred_date", "log_decision_date", "log_decision", "log_remedy_gbp"])
    k["case"] = np.where(k["reference_key"].notna(), "ref:" + k["reference_key"].fillna(""), "row:" + k["complaint_id"].astype(str))
    k = k.sort_values(["case", "stage", "complaint_id"], kind="stable")
    agg = k.groupby("case", sort=False).agg(
        complaint_ids=("complaint_id", lambda s: "; ".join(map(str, s))),
        log_reference=("ombudsman_reference", lambda s: next((x for x in s if isinstance(x, str) and x.strip()), None)),
        reference_key=("reference_key", "first"),
        stream=("stream", "last"),
        received_date=("received_date", "min"),
        ombudsman_referred_date=("ombudsman_referred_date", "max"),
        log_decision_date=("ombudsman_decided_date", "max"),
        log_decision=("ombudsman_decision", lambda s: next((x for x in s[::-1] if isinstance(x, str) and x), None)),
        log_remedy_gbp=("remedy_gbp", "sum"),
    ).reset_index()
    return agg


def reconcile(log: pd.DataFrame, decisions: pd.DataFrame, authority: str, *, period=None,
              window_days: int = WINDOW_DAYS) -> Reconciliation:
    """Line the council's complaints log up with the Ombudsman's decisions (module docstring).

    Parameters
    ----------
    log : DataFrame
        The ``complaints`` table of a data folder (any councils; only ``authority``'s rows are used).
    decisions : DataFrame
        :func:`read_decisions` output.
    authority : str
        The council's ONS code.
    period : str, optional
        ``2024-25``, ``2024-25 Q4``; default the financial years the decisions span.
    window_days : int
        Largest difference between the two decision dates for a match by date and category.
    """
    if not isinstance(window_days, (int, np.integer)) or window_days < 0:
        raise ParameterError(f"the date window must be a whole number of days, 0 or more, not {window_days!r}")
    label, start, end = _period_window(period, decisions["decision_date"])
    own = log[log["authority_code"].astype(str) == authority]
    cases = _cases(own)
    dec = decisions.reset_index(drop=True).copy()
    dated = dec["decision_date"].notna()
    in_period = ~dated | dec["decision_date"].between(start, end)
    outside = int((~in_period).sum())
    dec = dec[in_period].reset_index(drop=True)
    dec["_i"] = np.arange(len(dec))
    cases["_j"] = np.arange(len(cases))
    case_in_period = cases["log_decision_date"].between(start, end).to_numpy()

    # 1. by reference
    by_ref = dec[dec["reference_key"].notna()].merge(
        cases.loc[cases["reference_key"].notna(), ["reference_key", "_j"]], on="reference_key", how="inner")
    by_ref = by_ref.drop_duplicates("_i").drop_duplicates("_j")
    pairs = [(int(i), int(j), "reference") for i, j in zip(by_ref["_i"], by_ref["_j"])]
    used_i, used_j = set(by_ref["_i"]), set(by_ref["_j"])

    # 2. by decision date (within the window) and stream, nearest first, one to one
    li = dec[~dec["_i"].isin(used_i) & dec["decision_date"].notna()]
    lj = cases[~cases["_j"].isin(used_j) & cases["log_decision_date"].notna()]
    cand = li[["_i", "decision_date", "stream"]].merge(lj[["_j", "log_decision_date", "stream"]], on="stream")
    if len(cand):
        cand["gap"] = (cand["decision_date"] - cand["log_decision_date"]).dt.days.abs()
        cand = cand[cand["gap"] <= window_days].sort_values(["gap", "_i", "_j"], kind="stable")
        for i, j in zip(cand["_i"].to_numpy(), cand["_j"].to_numpy()):  # a handful of decisions a year
            if i not in used_i and j not in used_j:
                pairs.append((int(i), int(j), "date"))
                used_i.add(i)
                used_j.add(j)

    rows = []
    for i, j, how in pairs:
        d, c = dec.iloc[i], cases.iloc[j]
        if how == "reference":
            same = str(d["reference"]).strip() == str(c["log_reference"]).strip()
            matched_by = "reference" if same else "reference typed differently"
        elif pd.isna(c["reference_key"]):
            matched_by = "decision date and category (no reference in the log)"
        else:
            matched_by = f"decision date and category (the log's reference {c['log_reference']} differs: check it)"
        gap = (d["decision_date"] - c["log_decision_date"]).days if pd.notna(d["decision_date"]) and pd.notna(c["log_decision_date"]) else np.nan
        agree = (None if pd.isna(d["decision_code"]) or pd.isna(c["log_decision"])
                 else ("yes" if d["decision_code"] == c["log_decision"] else "no"))
        rows.append({"ombudsman_reference": d["reference"], "log_reference": c["log_reference"],
                     "complaint_ids": c["complaint_ids"], "matched_by": matched_by,
                     "ombudsman_decision_date": d["decision_date"], "log_decision_date": c["log_decision_date"],
                     "days_apart": gap, "category": d["category"], "stream": c["stream"],
                     "ombudsman_decision": d["decision"], "log_decision": c["log_decision"],
                     "decisions_agree": agree if agree is not None else "unknown", "remedy": d["remedy"],
                     "log_remedy_gbp": c["log_remedy_gbp"] if c["log_remedy_gbp"] else np.nan})
    matched = pd.DataFrame(rows, columns=_LIST_COLUMNS["matched"]).sort_values(
        ["ombudsman_decision_date", "ombudsman_reference"], kind="stable", na_position="last").reset_index(drop=True)

    left_dec = dec[~dec["_i"].isin(used_i)]
    ombudsman_only = pd.DataFrame({
        "ombudsman_reference": left_dec["reference"], "ombudsman_decision_date": left_dec["decision_date"],
        "category": left_dec["category"], "stream": left_dec["stream"], "ombudsman_decision": left_dec["decision"],
        "remedy": left_dec["remedy"],
        "why": f"no case in the log with this reference, nor an Ombudsman decision within {window_days} days in the same category",
    }, columns=_LIST_COLUMNS["ombudsman_only"]).sort_values("ombudsman_decision_date", kind="stable").reset_index(drop=True)

    unmatched = ~cases["_j"].isin(used_j).to_numpy()
    co = cases[unmatched & case_in_period]
    council_only = pd.DataFrame({
        "complaint_ids": co["complaint_ids"], "log_reference": co["log_reference"], "stream": co["stream"],
        "received_date": co["received_date"], "ombudsman_referred_date": co["ombudsman_referred_date"],
        "log_decision_date": co["log_decision_date"], "log_decision": co["log_decision"],
        "why": np.where(co["reference_key"].notna(), "the Ombudsman's list has no decision with this reference, nor one "
                        f"within {window_days} days in the same category",
                        f"no reference in the log, and no decision in the Ombudsman's list within {window_days} days in "
                        "the same category"),
    }, columns=_LIST_COLUMNS["council_only"]).sort_values("log_decision_date", kind="stable").reset_index(drop=True)
    awaiting = int((unmatched & cases["log_decision_date"].isna().to_numpy()
                    & cases["ombudsman_referred_date"].notna().to_numpy()).sum())

    how = matched["matched_by"].astype(str)
    counts = {
        "ombudsman_decisions": int(len(dec)),
        "matched": int(len(matched)),
        "matched_by_reference": int((how == "reference").sum()),
        "reference_typed_differently": int((how == "reference typed differently").sum()),
        "matched_by_date": int(how.str.startswith("decision date").sum()),
        "matched_by_date_reference_differs": int(how.str.contains("differs").sum()),
        "ombudsman_only": int(len(ombudsman_only)),
        "log_decisions": int(case_in_period.sum()),
        "log_decisions_matched": int((case_in_period & ~unmatched).sum()),
        "council_only": int(len(council_only)),
        "decisions_differ": int((matched["decisions_agree"] == "no").sum()),
        "awaiting_decision_in_log": awaiting,
        "outside_period": outside,
    }
    warnings = []
    if outside:
        warnings.append(f"{outside} decision(s) in the file are dated outside {label} and were not compared")
    return Reconciliation(authority=authority, period=label, start=start, end=end, window_days=int(window_days),
                          matched=matched, council_only=council_only, ombudsman_only=ombudsman_only,
                          counts=counts, warnings=warnings)


# --------------------------------------------------------------------------------------------
# the restricted area


def restricted_folder(outputs, period: str, authority: str) -> Path:
    """``<outputs>/_restricted/<period>/<authority>/ombudsman``."""
    slug = re.sub(r"[^0-9A-Za-z_-]+", "_", str(period).strip())
    return Path(outputs) / "_restricted" / slug / authority / "ombudsman"


def _private_dirs(outputs: Path, folder: Path) -> None:
    """Create ``folder`` and make it and every folder between it and ``outputs`` owner-only."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    p = folder
    while True:
        os.chmod(p, 0o700)
        if p.parent == outputs or p == outputs or p.parent == p:
            break
        p = p.parent


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (``0o600``), replacing any earlier one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fd = None
            fh.write(text)
    finally:
        if fd is not None:
            os.close(fd)


def write_reconciliation(rec: Reconciliation, outputs="outputs", *, sentences: str = "") -> Path:
    """Write the lists and the counts into the restricted area; returns the folder.

    ``matched.csv``, ``council_only.csv``, ``ombudsman_only.csv`` (dates ISO) and
    ``summary.txt`` (the counts, and ``sentences`` for the scrutiny report), each starting with
    :data:`RESTRICTED_NOTICE`; ``counts.json`` holds the counts alone (no references). Folders are
    ``0o700`` and files ``0o600``.
    """
    outputs = Path(outputs)
    folder = restricted_folder(outputs, rec.period, rec.authority)
    _private_dirs(outputs, folder)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = f"{RESTRICTED_NOTICE}; {rec.authority}, {rec.period}, made {stamp}\n"
    for name in ("matched", "council_only", "ombudsman_only"):
        df = getattr(rec, name).copy()
        for c in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[c]):
                df[c] = df[c].dt.strftime("%Y-%m-%d")
        _write_private(folder / f"{name}.csv", head + df.to_csv(index=False))
    lines = [head.rstrip("\n"), "", f"Council {rec.authority}, {rec.period} ({rec.start:%-d %B %Y} to {rec.end:%-d %B %Y}); "
             f"dates matched within {rec.window_days} days.", ""]
    lines += [f"{k}: {v}" for k, v in rec.counts.items()]
    lines += [""] + [f"warning: {w}" for w in rec.warnings]
    if sentences:
        lines += ["", "For the scrutiny report:", sentences]
    _write_private(folder / "summary.txt", "\n".join(lines).rstrip() + "\n")
    _write_private(folder / "counts.json", json.dumps({"authority": rec.authority, "period": rec.period,
                                                       "window_days": rec.window_days, **rec.counts}, indent=2) + "\n")
    return folder
