"""Case identifiers: collect them from a data folder, look for them in a run's outputs.

A published report must never show a case identifier (``referral_id``, ``item_id``,
``complaint_id``, ``post_id``, ``adaptation_id``, and the Ombudsman's ``ombudsman_reference``). :func:`collect_case_ids` reads every one from
the raw files of a data folder (rejected rows too); :func:`find_case_ids` looks for them in the
HTML, CSVs, workbook and notebook outputs of a run.

A national folder holds millions of identifiers, so a run does not hold them as strings:
:func:`case_ids_of` keeps, per column, the sorted 64-bit hashes of the identifiers that can be
looked for (:func:`string_hashes`), written once per data fingerprint as ``.npy`` files in the
cache folder and memory-mapped by every report process (a :class:`CaseIdIndex`: the process
does not grow with the data). Each token of the outputs is hashed and looked up with
``numpy.searchsorted``; only a token whose hash is there is confirmed against the exact
identifiers (read from the files then, so a collision of hashes never fails a run).
"""

from __future__ import annotations

import html
import json
import os
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ot_benchmark.indicators import cache
from ot_benchmark.io.contract import TABLES
from ot_benchmark.io.hashing import string_hashes
from ot_benchmark.io.readers import find_table_files, read_raw_table

__all__ = ["CASE_ID_COLUMNS", "CaseIdIndex", "collect_case_ids", "case_ids_of", "find_case_ids", "string_hashes"]

CASE_ID_COLUMNS = ("referral_id", "item_id", "complaint_id", "post_id", "adaptation_id", "ombudsman_reference")
_TOKEN_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-./]*")

#: the identifiers of the last data folder read: (data folder, content hash) -> index
_LAST: dict[tuple[str, str], "CaseIdIndex"] = {}


def _raw_ids(data_dir):
    """Every case-identifier column of the folder's raw files, piece by piece: ``(column,
    pyarrow strings)``, stripped and without blanks (only those columns of a Parquet file are
    read; a piece at a time is copied)."""
    files, _, _ = find_table_files(Path(data_dir))
    for table, path in files.items():
        cols = [c for c in TABLES[table].column_names if c in CASE_ID_COLUMNS]
        if not cols:
            continue
        raw, _ = read_raw_table(table, path, columns=cols)
        for c in cols:
            if c not in raw.data:
                continue
            s = raw.data[c]
            arr = pa.array(s.array if s.dtype == "str" else s.astype("str").array)
            for chunk in (arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]):
                chunk = pc.utf8_trim_whitespace(chunk.drop_null()).cast(pa.large_string())
                yield c, chunk.filter(pc.not_equal(chunk, ""))
        del raw


def collect_case_ids(data_dir) -> dict[str, set[str]]:
    """Every case identifier in a data folder: ``{column: set of values}`` for the columns in
    :data:`CASE_ID_COLUMNS`, read from the raw files (so rejected rows count too)."""
    out: dict[str, set[str]] = {c: set() for c in CASE_ID_COLUMNS}
    for col, piece in _raw_ids(data_dir):
        out[col].update(pc.unique(piece).to_pylist())
    return out


def _checkable(values: pa.Array) -> np.ndarray:
    """Identifiers that can be looked for without matching ordinary numbers: at least 3
    characters, and purely numeric ones only with 6 or more digits."""
    n = pc.utf8_length(values).to_numpy(zero_copy_only=False)
    digits = pc.fill_null(pc.utf8_is_digit(values), False).to_numpy(zero_copy_only=False)
    return (n >= 3) & (~digits | (n >= 6))


@dataclass
class CaseIdIndex:
    """Every case identifier of a data folder that can be looked for, as sorted 64-bit hashes
    per column (memory-mapped), and how many there are (:func:`case_ids_of`)."""

    data_dir: str
    hashes: dict[str, np.ndarray]
    counts: dict[str, int]
    #: identifiers written with spaces inside (an Ombudsman reference "24 001 234"), per column,
    #: spaces collapsed: not one token, so kept as text (a few per council) and looked for as written
    spaced: dict[str, list[str]] = field(default_factory=dict)
    _exact: dict | None = field(default=None, repr=False)

    def exact(self) -> dict[str, set[str]]:
        """The identifiers themselves (read from the files when first asked: a hash matched)."""
        if self._exact is None:
            self._exact = collect_case_ids(self.data_dir)
        return self._exact


def _build_index(data_dir) -> tuple[dict[str, np.ndarray], dict[str, int], dict[str, list[str]]]:
    checked: dict[str, list[np.ndarray]] = {}
    unchecked: dict[str, list[np.ndarray]] = {}
    spaced: dict[str, set[str]] = {}
    for col, piece in _raw_ids(data_dir):  # only the hashes are kept, and the few spaced ids
        h = string_hashes(piece)
        ok = _checkable(piece)
        checked.setdefault(col, []).append(h[ok])
        unchecked.setdefault(col, []).append(h[~ok])
        # a value with a space inside has a character outside the token's (pyarrow picks those few)
        odd = piece.filter(pa.array(ok))
        odd = odd.filter(pc.match_substring_regex(odd, r"[^A-Za-z0-9_\-./]")).to_pylist()
        spaced.setdefault(col, set()).update(_spaced(odd))
    hashes, counts = {}, {"ids_checked": 0, "ids_not_checkable": 0}
    for col in list(checked):
        # distinct identifiers (by hash), as a set of them would count them: one sort each
        hashes[col] = _distinct_sorted(np.concatenate(checked.pop(col)))
        counts["ids_checked"] += len(hashes[col])
        counts["ids_not_checkable"] += len(_distinct_sorted(np.concatenate(unchecked[col])))
    return hashes, counts, {c: sorted(v) for c, v in spaced.items() if v}


def _distinct_sorted(h: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (one in-place sort; no hash table)."""
    h = np.sort(h)
    return h[np.r_[True, h[1:] != h[:-1]]] if len(h) else h


def case_ids_of(data_dir: str, fingerprint: str, cache_dir: str) -> CaseIdIndex:
    """The folder's :class:`CaseIdIndex`, built once per data fingerprint and code version and
    kept in the cache folder (one ``.npy`` per column, memory-mapped when read), so a batch
    reads the extracts' identifiers once and no report process holds them in memory."""
    key = (data_dir, fingerprint)
    if key in _LAST:
        return _LAST[key]
    stem = f"case-ids-{fingerprint[:24]}-{cache.code_fingerprint()[:12]}"
    folder = Path(cache_dir or cache.default_cache_dir())
    meta_path = folder / f"{stem}.json"
    index = None
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
            hashes = {c: np.load(folder / f"{stem}-{c}.npy", mmap_mode="r") for c in meta["columns"]}
            index = CaseIdIndex(data_dir, hashes, meta["counts"], meta["spaced"])
        except (OSError, ValueError, KeyError):
            index = None
    if index is None:
        hashes, counts, spaced = _build_index(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for col, h in hashes.items():
            tmp = folder / f".{stem}-{col}.{uuid.uuid4().hex}.npy"
            np.save(tmp, h)
            os.replace(tmp, folder / f"{stem}-{col}.npy")
        tmp = folder / f".{stem}.{uuid.uuid4().hex}.json"
        tmp.write_text(json.dumps({"columns": sorted(hashes), "counts": counts, "spaced": spaced}))
        os.replace(tmp, meta_path)  # written last: its presence says the arrays are complete
        index = CaseIdIndex(data_dir, {c: np.load(folder / f"{stem}-{c}.npy", mmap_mode="r") for c in hashes}, counts,
                            spaced)
    _LAST.clear()
    _LAST[key] = index
    return index


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


_XML_TEXT = re.compile(r"<(t|v)\b[^>]*>([^<]*)</\1>")


def _workbook_text(path: Path) -> str:
    """Every cell's text and value in a workbook: the text and value nodes of its sheets and
    shared strings, read from the file's XML (reading the cells back with openpyxl cost a report
    a quarter of a second)."""
    chunks = []
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if name.startswith("xl/") and name.endswith(".xml") and ("/worksheets/" in name or name.endswith("sharedStrings.xml")):
                chunks += [html.unescape(m.group(2)) for m in _XML_TEXT.finditer(book.read(name).decode("utf-8", "replace"))]
    return "\n".join(chunks)


_SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)


def _figure_text(path: Path) -> str:
    """The words of an SVG figure (its labels, titles and notes), not its markup."""
    svg = path.read_text(encoding="utf-8", errors="replace")
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", " ", m.group(1))) for m in _SVG_TEXT.finditer(svg))


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
        elif p.suffix == ".svg":
            texts[rel] = _figure_text(p)
        elif p.suffix == ".ipynb":
            texts[rel] = _notebook_outputs_text(p)
    return texts


def find_case_ids(folder, ids: "Mapping[str, set[str]] | CaseIdIndex") -> tuple[list[tuple[str, str, str]], dict]:
    """Look for case identifiers in the outputs in ``folder``.

    Text is split into tokens (runs of letters, digits, ``_ - . /`` and their parts split at
    ``- . /``); a token equal to an identifier is a hit. Identifiers shorter than 3 characters
    and purely numeric ones shorter than 6 digits are not looked for (they would match ordinary
    figures). ``ids`` is ``{column: set of values}`` or a :class:`CaseIdIndex` (hashes looked
    up, a match confirmed against the identifiers themselves).

    Returns ``(hits, stats)``: hits as ``(file, column, value)``; stats with the number of ids
    checked and not checkable and the files scanned.
    """
    texts = _file_texts(Path(folder))
    found: dict[str, set[str]] = {rel: _tokens(text) for rel, text in texts.items()}
    flat = {rel: " ".join(text.split()) for rel, text in texts.items()}
    if isinstance(ids, CaseIdIndex):
        hits = _find_hashed(found, ids) + _spaced_hits(flat, ids.spaced)
        return sorted(hits), {**ids.counts, "files_scanned": sorted(texts)}
    hits = []
    checked = skipped = 0
    for col, values in ids.items():
        if not values:
            continue
        all_values = pd.Series(list(values), dtype="str")
        ok = _checkable_mask(all_values)
        checked += int(ok.sum())
        skipped += int((~ok).sum())
        for rel, toks in found.items():
            cand = toks & values
            if cand:
                c = pd.Series(sorted(cand), dtype="str")
                hits.extend((rel, col, v) for v in c[_checkable_mask(c)])
        hits.extend(_spaced_hits(flat, {col: _spaced(all_values[ok])}))
    return sorted(hits), {"ids_checked": checked, "ids_not_checkable": skipped, "files_scanned": sorted(texts)}


def _spaced(values) -> set[str]:
    """The identifiers written with spaces inside (an Ombudsman reference "24 001 234"), spaces
    collapsed: they are not one token, so they are looked for as they are written."""
    return {" ".join(v.split()) for v in values if len(v.split()) > 1}


def _spaced_hits(flat: Mapping[str, str], spaced: Mapping[str, "list[str] | set[str]"]) -> list[tuple[str, str, str]]:
    """Where identifiers with spaces inside (:func:`_spaced`) are in the texts ``flat`` (each
    file's text, its whitespace collapsed to single spaces): written as they are, not preceded
    or followed by a letter or digit. A national folder holds thousands, so candidates come from
    the text around each space (an identifier's first two words, found by their lengths) and
    only they are confirmed with the pattern."""
    hits = []
    for col, values in spaced.items():
        shapes: dict[tuple[int, int], dict[str, list[str]]] = {}
        for v in values:
            first, second = v.split(" ")[:2]
            shapes.setdefault((len(first), len(second)), {}).setdefault(f"{first} {second}", []).append(v)
        for rel, text in flat.items():
            spaces = [m.start() for m in re.finditer(" ", text)]
            for (a, b), heads in shapes.items():
                seen = {text[p - a: p + 1 + b] for p in spaces if p >= a}
                for head in seen & heads.keys():
                    hits.extend((rel, col, v) for v in heads[head]
                                if re.search(rf"(?<![0-9A-Za-z]){re.escape(v)}(?![0-9A-Za-z])", text))
    return hits


def _find_hashed(found: dict[str, set[str]], index: CaseIdIndex) -> list[tuple[str, str, str]]:
    """:func:`find_case_ids` against a :class:`CaseIdIndex`."""
    tokens = sorted(set().union(*found.values())) if found else []
    if not tokens:
        return []
    h = string_hashes(pa.array(tokens, type=pa.large_string()))
    hits = []
    for col, arr in index.hashes.items():
        if not len(arr):
            continue
        pos = np.minimum(np.searchsorted(arr, h), len(arr) - 1)
        maybe = {tokens[i] for i in np.flatnonzero(arr[pos] == h)}
        if not maybe:
            continue
        real = maybe & index.exact().get(col, set())  # a matching hash: look at the ids themselves
        for rel, toks in found.items():
            hits.extend((rel, col, v) for v in sorted(real & toks))
    return sorted(hits)
