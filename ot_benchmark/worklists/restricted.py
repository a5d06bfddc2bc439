"""Restricted by construction: worklist files hold personal case references.

Every file written here

* starts with a line marking it restricted (:data:`MARKER`): in a CSV a first comment-like row
  (``# RESTRICTED ...``), in a workbook the first row of every sheet;
* is readable by its owner only (mode ``0o600``), written atomically (a private temporary file
  renamed into place), in a folder readable by its owner only (``0o700``).

The default place for them is ``outputs/_restricted/<period>/<authority>/``
(:func:`default_dir`). The report runner never publishes from there: its publish step calls
:func:`refuse_restricted`, which rejects a staging or target folder inside a ``_restricted``
folder and any file carrying the marker, and the reports index skips ``_restricted``.
"""

from __future__ import annotations

import io
import os
import re
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ot_benchmark.errors import OTBenchmarkError

__all__ = [
    "RESTRICTED_DIRNAME",
    "MARKER",
    "FILE_MODE",
    "DIR_MODE",
    "RestrictedOutputError",
    "marker_line",
    "period_slug",
    "default_dir",
    "private_dir",
    "write_private_bytes",
    "write_csv",
    "write_workbook",
    "read_csv",
    "is_restricted_file",
    "refuse_restricted",
]

RESTRICTED_DIRNAME = "_restricted"
MARKER = "RESTRICTED - contains personal case references - NOT FOR PUBLICATION"
FILE_MODE = 0o600
DIR_MODE = 0o700


class RestrictedOutputError(OTBenchmarkError):
    """A restricted (worklist) file was about to be published or written where reports are."""


def marker_line(banner: str | None = None) -> str:
    """The first line of every worklist file (no commas, so a spreadsheet shows it in one cell)."""
    text = MARKER + (f" | {banner}" if banner else "")
    return text.replace(",", ";")


def period_slug(label: str) -> str:
    """Folder-safe form of a period label (``2024-25 Q4`` -> ``2024-25_Q4``), as the report runner's."""
    return re.sub(r"[^0-9A-Za-z_-]+", "_", str(label).strip())


def default_dir(outputs, period_label: str, authority: str) -> Path:
    """``outputs/_restricted/<period slug>/<authority>/``."""
    return Path(outputs) / RESTRICTED_DIRNAME / period_slug(period_label) / authority


def private_dir(path) -> Path:
    """Create ``path`` (and missing parents) and make it, and every folder from a
    ``_restricted`` component down to it, readable by the owner only (0o700)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    chain = [path, *path.parents]
    stop = next((i for i, p in enumerate(chain) if p.name == RESTRICTED_DIRNAME), 0)
    for p in chain[: stop + 1]:
        os.chmod(p, DIR_MODE)
    return path


def write_private_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` with mode 0o600 from the start (never briefly readable by
    others), through a temporary file renamed into place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    os.chmod(path, FILE_MODE)
    return path


def write_csv(df: pd.DataFrame, path, banner: str | None = None) -> Path:
    """A worklist CSV: the marker row, then the table (dates as ``YYYY-MM-DD``)."""
    body = df.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n")
    return write_private_bytes(path, ("# " + marker_line(banner) + "\n" + body).encode("utf-8"))


def read_csv(path) -> pd.DataFrame:
    """Read a worklist CSV back (skips the marker row; ids stay text)."""
    return pd.read_csv(path, skiprows=1, dtype=str, keep_default_na=False).replace("", np.nan)


def _cell(v):
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else (int(v) if float(v).is_integer() else float(v))
    if isinstance(v, (datetime, date, int, float, str)):
        return v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def write_workbook(sheets: Mapping[str, pd.DataFrame], path, banner: str | None = None) -> Path:
    """A workbook with one sheet per table; the first row of every sheet is the marker, the
    second the column names. Written to memory, then to a 0o600 file."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    text = marker_line(banner)
    for name, df in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        ws.append([text])
        ws["A1"].font = Font(bold=True, color="A50E0E")
        ws.append([str(c) for c in df.columns])
        for c in ws[2]:
            c.font = Font(bold=True)
        for row in df.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
        for i, col in enumerate(df.columns, start=1):
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                for (cell,) in ws.iter_rows(min_row=3, min_col=i, max_col=i):
                    cell.number_format = "yyyy-mm-dd"
        ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return write_private_bytes(path, buf.getvalue())


def is_restricted_file(path) -> bool:
    """Does this file carry the restricted marker (first line of a text file, first row of any
    sheet of a workbook), or lie in a ``_restricted`` folder?"""
    path = Path(path)
    if RESTRICTED_DIRNAME in path.parts:
        return True
    if not path.is_file():
        return False
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            try:
                for ws in wb.worksheets:
                    for row in ws.iter_rows(min_row=1, max_row=1, values_only=True):
                        if any(isinstance(v, str) and MARKER in v for v in row):
                            return True
            finally:
                wb.close()
        except Exception:  # not a workbook we can read: judge it by its bytes below
            pass
    with open(path, "rb") as fh:
        head = fh.read(4096)
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return MARKER in first


def refuse_restricted(staging, target) -> None:
    """The report runner's publish check: raise :class:`RestrictedOutputError` if the staging
    or target folder is inside a ``_restricted`` folder or any file in staging is a worklist
    file (:func:`is_restricted_file`)."""
    for where in (Path(staging), Path(target)):
        if RESTRICTED_DIRNAME in where.resolve().parts:
            raise RestrictedOutputError(
                f"refusing to publish {where}: it is inside a {RESTRICTED_DIRNAME} folder, which holds "
                "worklists with personal case references and is never published")
    staging = Path(staging)
    if staging.is_dir():
        for p in sorted(staging.rglob("*")):
            if p.is_file() and is_restricted_file(p):
                raise RestrictedOutputError(
                    f"refusing to publish: {p.relative_to(staging)} is a restricted worklist file (personal case "
                    f"references, marked '{MARKER}'); worklists belong in outputs/{RESTRICTED_DIRNAME}/ only")
