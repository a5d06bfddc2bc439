"""Write a council's worklists: one restricted CSV per list and ``worklists.xlsx``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ot_benchmark.errors import ParameterError
from ot_benchmark.worklists.lists import Worklists
from ot_benchmark.worklists.restricted import (RESTRICTED_DIRNAME, RestrictedOutputError, private_dir, write_csv,
                                               write_workbook)

__all__ = ["write_worklists", "WORKBOOK_NAME", "SIMILAR_NAME", "check_out_dir"]

WORKBOOK_NAME = "worklists.xlsx"
SIMILAR_NAME = "similar_cases"


def check_out_dir(out) -> Path:
    """Refuse a folder where published reports live: the folder of a published report (it, or
    a folder above it, holds ``run.json``) or the reports folder itself (``index.html``),
    unless it is inside a ``_restricted`` folder."""
    out = Path(out).resolve()
    if RESTRICTED_DIRNAME in out.parts:
        return out
    for p in (out, *out.parents):
        for name in ("run.json", "index.html"):
            if (p / name).is_file():
                raise RestrictedOutputError(
                    f"--out {out}: {p / name} shows this is where reports are published; worklists hold personal "
                    f"case references and must not go there. Leave --out out (they go to outputs/{RESTRICTED_DIRNAME}/"
                    "...) or choose a private folder.")
    return out


def write_worklists(wl: Worklists, out, *, similar: pd.DataFrame | None = None, similar_criteria: str = "") -> dict[str, Path]:
    """Write every list as ``<name>.csv`` and all of them, with an ``about`` sheet, as
    ``worklists.xlsx``, in ``out`` (created 0o700; files 0o600, each starting with the
    restricted marker). ``similar`` (from :func:`ot_benchmark.worklists.similar.find_similar`)
    adds ``similar_cases.csv`` and a sheet.

    Returns
    -------
    dict
        List name -> path written (``"workbook"`` for the workbook).
    """
    out = private_dir(check_out_dir(out))
    paths: dict[str, Path] = {}
    sheets: dict[str, pd.DataFrame] = {}
    about = wl.about()
    header = pd.DataFrame({
        "list": ["(council)", "(quarter)", "(snapshot day)", "(settings)"],
        "rows": [pd.NA] * 4,
        "who": [wl.authority, wl.period, wl.snapshot.strftime("%Y-%m-%d"), wl.settings_source or "package defaults"],
        "agrees_with": [""] * 4,
        "note": [""] * 4,
    })
    lists = dict(wl.lists)
    if similar is not None:
        lists[SIMILAR_NAME] = similar
        about = pd.concat([about, pd.DataFrame({"list": [SIMILAR_NAME], "rows": [len(similar)],
                                                "who": [f"People on the list at the snapshot matching: {similar_criteria}"],
                                                "agrees_with": [""], "note": [""]})], ignore_index=True)
    sheets["about"] = pd.concat([header, about], ignore_index=True)
    for name, df in lists.items():
        if not name.replace("_", "").isalnum():
            raise ParameterError(f"bad list name {name!r}")
        paths[name] = write_csv(df, out / f"{name}.csv", wl.banner)
        sheets[name] = df
    paths["workbook"] = write_workbook(sheets, out / WORKBOOK_NAME, wl.banner)
    return paths
