"""Merged cells in the header of an Excel export (used by :mod:`ot_benchmark.io.readers`).

Council reports often put a merged *group header* above the column names ("Dates" across three
columns, "Referral ID" merged down over two rows). pandas reads a merged cell's value into its
top-left cell only, so the real header row then lacks the names merged down into it, and column
names repeated under different groups ("Date" under "Referral" and under "Closure") clash.

This module reads the merged ranges of each sheet from the workbook's XML (``<mergeCell
ref="A1:D1"/>``; openpyxl's read-only mode, which pandas uses, does not report them), fills each
merged range in the first rows with its value, and works out a two-row header: the sub-header's
names, with the group's name in front where a name alone would be ambiguous (repeated) or where
the combined name is what the header search is looking for (a mapping may name
``"Dates Referral"``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

__all__ = ["merged_ranges", "fill_merged", "two_row_header"]

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Za-z]+[0-9]+)(?::([A-Za-z]+[0-9]+))?"')
_CELL = re.compile(r"^([A-Za-z]+)([0-9]+)$")


def _cell(ref: str) -> tuple[int, int]:
    """``'B3'`` -> ``(3, 2)`` (row, column), 1-based."""
    letters, digits = _CELL.match(ref).groups()
    col = 0
    for ch in letters.upper():
        col = col * 26 + (ord(ch) - 64)
    return int(digits), col


def merged_ranges(path: Path) -> dict[str, list[tuple[int, int, int, int]]]:
    """Each sheet's merged ranges ``(first row, first column, last row, last column)``, 1-based,
    by sheet name. Empty for a workbook whose parts cannot be read (pandas reports that)."""
    out: dict[str, list[tuple[int, int, int, int]]] = {}
    try:
        with zipfile.ZipFile(path) as z:
            wb = ET.fromstring(z.read("xl/workbook.xml"))
            rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG}Relationship")}
            names = set(z.namelist())
            for sheet in wb.iter(f"{_MAIN}sheet"):
                target = targets.get(sheet.get(f"{_REL}id"), "")
                part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                if part not in names:
                    continue
                ranges = []
                for a, b in _MERGE.findall(z.read(part)):
                    r1, c1 = _cell(a.decode())
                    r2, c2 = _cell((b or a).decode())
                    ranges.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
                if ranges:
                    out[sheet.get("name")] = ranges
    except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError, AttributeError):
        return {}
    return out


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def fill_merged(rows: list[list], ranges) -> list[list]:
    """The first rows of a sheet (lists of cells) with every merged range filled with the value
    of its top-left cell (only the part of a range inside ``rows``)."""
    out = [list(r) for r in rows]
    for r1, c1, r2, c2 in ranges:
        if r1 - 1 >= len(out):
            continue
        top = out[r1 - 1]
        value = top[c1 - 1] if c1 - 1 < len(top) else None
        if _blank(value):
            continue
        for r in range(r1 - 1, min(r2, len(out))):
            for c in range(c1 - 1, min(c2, len(out[r]))):
                out[r][c] = value
    return out


def _across(ranges, row0: int) -> list[tuple[int, int]]:
    """Column spans (0-based, inclusive) of the merged ranges reaching across columns in row
    ``row0`` (0-based)."""
    return [(c1 - 1, c2 - 1) for r1, c1, r2, c2 in ranges if r1 - 1 <= row0 <= r2 - 1 and c2 > c1]


def two_row_header(rows: list[list], ranges, h: int, score) -> tuple[int, list[str]] | None:
    """A two-row header around the row ``h`` the header search found (in ``rows``, filled by
    :func:`fill_merged`): ``(index of the lower row, column names)``, or None when the header
    is one row.

    The header is two rows when a merged group cell reaches across columns in the upper row and
    the lower row names columns under it: the upper row is ``h`` (the group row scored best)
    or ``h - 1`` (the sub-header row did). A column's name is its lower cell, or its upper cell
    where the lower one is blank (a name merged down); under a group, ``"group name"`` where the
    name alone is repeated or where ``score`` likes the combined name at least as well. The two-row
    reading is kept only when ``score`` rates its names at least as well as row ``h`` alone.
    """
    def text(v) -> str:
        return "" if _blank(v) else str(v).strip()

    for g in (h, h - 1):
        b = g + 1
        if g < 0 or b >= len(rows):
            continue
        spans = _across(ranges, g)
        if not spans or not any(text(rows[b][c]) for lo, hi in spans for c in range(lo, min(hi + 1, len(rows[b])))):
            continue
        under = {c for lo, hi in spans for c in range(lo, hi + 1)}
        n = max(len(rows[g]), len(rows[b]))
        upper = [text(rows[g][c]) if c < len(rows[g]) else "" for c in range(n)]
        lower = [text(rows[b][c]) if c < len(rows[b]) else "" for c in range(n)]
        plain = [lo or up for up, lo in zip(upper, lower)]
        counts: dict[str, int] = {}
        for p in plain:
            counts[p.casefold()] = counts.get(p.casefold(), 0) + 1
        names = []
        for c, (up, lo, p) in enumerate(zip(upper, lower, plain)):
            if c in under and up and lo and up.casefold() != lo.casefold():
                combined = f"{up} {lo}"
                if counts[p.casefold()] > 1 or score([combined]) >= score([lo]):
                    names.append(combined)
                    continue
            names.append(p)
        if score(names) >= score(rows[h]):
            return b, names
    return None
