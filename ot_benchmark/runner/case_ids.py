"""Case identifiers: collect them from a data folder, look for them in a run's outputs.

A published report must never show a case identifier (``referral_id``, ``item_id``,
``complaint_id``, ``post_id``, ``adaptation_id``, and the Ombudsman's ``ombudsman_reference``). :func:`collect_case_ids` reads every one from
the raw files of a data folder (rejected rows too); :func:`find_case_ids` looks for them in the
HTML, CSVs, workbook and notebook outputs of a run.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import uuid
from pathlib import Path
from typing import Mapping

import pandas as pd
from openpyxl import load_workbook

from ot_benchmark.indicators import cache
from ot_benchmark.io.contract import TABLES
from ot_benchmark.io.readers import find_table_files, read_raw_table

__all__ = ["CASE_ID_COLUMNS", "collect_case_ids", "case_ids_of", "find_case_ids"]

CASE_ID_COLUMNS = ("referral_id", "item_id", "complaint_id", "post_id", "adaptation_id", "ombudsman_reference")
_TOKEN_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-./]*")

#: the identifiers of the last data folder read: (data folder, content hash) -> ids
_LAST: dict[tuple[str, str], dict[str, set[str]]] = {}


def collect_case_ids(data_dir) -> dict[str, set[str]]:
    """Every case identifier in a data folder: ``{column: set of values}`` for the columns in
    :data:`CASE_ID_COLUMNS`, read from the raw files (so rejected rows count too)."""
    files, _, _ = find_table_files(Path(data_dir))
    ids: dict[str, set[str]] = {c: set() for c in CASE_ID_COLUMNS}
    for table, path in files.items():
        cols = [c for c in TABLES[table].column_names if c in CASE_ID_COLUMNS]
        if not cols:
            continue
        raw, _ = read_raw_table(table, path)
        for c in cols:
            if c in raw.data:
                vals = raw.data[c].dropna().astype(str).str.strip()
                ids[c].update(vals[vals != ""].unique().tolist())
    return ids


def case_ids_of(data_dir: str, fingerprint: str, cache_dir: str) -> dict[str, set[str]]:
    """:func:`collect_case_ids`, kept in memory and in the cache folder (keyed by the data's
    content hash ``fingerprint``) so a batch reads the extracts once."""
    key = (data_dir, fingerprint)
    if key in _LAST:
        return _LAST[key]
    path = Path(cache_dir) / f"case-ids-{fingerprint[:24]}-{cache.code_fingerprint()[:12]}.pickle"
    ids = None
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                ids = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError):
            ids = None
    if ids is None:
        ids = collect_case_ids(data_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(ids, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    _LAST.clear()
    _LAST[key] = ids
    return ids


# --------------------------------------------------------------------------------------------
# looking for them


def _checkable_mask(values: pd.Series) -> pd.Series:
    """Identifiers that can be looked for without matching ordinary numbers: at least 3
    characters, and purely numeric ones only with 6 or more digits."""
    n = values.str.len()
    return (n >= 3) & (~values.str.isdigit() | (n >= 6))


def _tokens(text: str) -> set[str]:
    toks = set(_TOKEN_RE.findall(text))
    out = set(toks)
    for t in toks:
        out.add(t.rstrip("./-"))
        out.update(re.split(r"[-./]", t))
    return out


def _strip_html_noise(text: str) -> str:
    text = re.sub(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]+", " ", text)
    text = re.sub(r"<style\b.*?</style>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<script\b.*?</script>", " ", text, flags=re.S | re.I)
    return text


def _workbook_text(path: Path) -> str:
    wb = load_workbook(path, read_only=True)
    cells = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells.extend(str(v) for v in row if v is not None)
    wb.close()
    return "\n".join(cells)


def _notebook_outputs_text(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    chunks = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if "text" in out:
                chunks.append("".join(out["text"]) if isinstance(out["text"], list) else str(out["text"]))
            for mime, data in (out.get("data") or {}).items():
                if mime.startswith("image/"):
                    continue
                chunks.append("".join(data) if isinstance(data, list) else json.dumps(data))
    return _strip_html_noise("\n".join(chunks))


def _file_texts(folder: Path) -> dict[str, str]:
    """Text of every published artefact a case id could leak into."""
    texts: dict[str, str] = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.suffix in (".html", ".htm"):
            texts[rel] = _strip_html_noise(p.read_text(encoding="utf-8", errors="replace"))
        elif p.suffix in (".csv", ".txt", ".md"):
            texts[rel] = p.read_text(encoding="utf-8", errors="replace")
        elif p.suffix == ".xlsx":
            texts[rel] = _workbook_text(p)
        elif p.suffix == ".ipynb":
            texts[rel] = _notebook_outputs_text(p)
    return texts


def find_case_ids(folder, ids: Mapping[str, set[str]]) -> tuple[list[tuple[str, str, str]], dict]:
    """Look for case identifiers in the outputs in ``folder``.

    Text is split into tokens (runs of letters, digits, ``_ - . /`` and their parts split at
    ``- . /``); a token equal to an identifier is a hit. Identifiers shorter than 3 characters
    and purely numeric ones shorter than 6 digits are not looked for (they would match ordinary
    figures).

    Returns ``(hits, stats)``: hits as ``(file, column, value)``; stats with the number of ids
    checked and not checkable and the files scanned.
    """
    texts = _file_texts(Path(folder))
    found: dict[str, set[str]] = {rel: _tokens(text) for rel, text in texts.items()}
    flat = {rel: " ".join(text.split()) for rel, text in texts.items()}
    hits = []
    checked = skipped = 0
    for col, values in ids.items():
        if not values:
            continue
        all_values = pd.Series(list(values), dtype="str")
        ok = _checkable_mask(all_values)
        checked += int(ok.sum())
        skipped += int((~ok).sum())
        # identifiers written with spaces (an Ombudsman reference "24 001 234") are not one token:
        # they are looked for as they are written, spaces collapsed (a few per council)
        spaced = {" ".join(v.split()) for v in all_values[ok] if len(v.split()) > 1}
        for rel, toks in found.items():
            cand = toks & values
            if cand:
                c = pd.Series(sorted(cand), dtype="str")
                hits.extend((rel, col, v) for v in c[_checkable_mask(c)])
            hits.extend((rel, col, v) for v in sorted(spaced) if re.search(rf"(?<![0-9A-Za-z]){re.escape(v)}(?![0-9A-Za-z])", flat[rel]))
    return sorted(hits), {"ids_checked": checked, "ids_not_checkable": skipped, "files_scanned": sorted(texts)}
