"""Plausible ranges of returned figures: the catalogue's ``min_value`` and ``max_value``.

Published tables sometimes carry a placeholder where a figure is missing (``0.000`` for a
quality-of-life score that runs 0.28-0.49, ``999``). A value outside the indicator's plausible
range is such a placeholder far more often than a real figure, so the validator rejects the
``returns`` row (:mod:`ot_benchmark.io.validate`) and says which limit it broke.

The ranges come from the built-in catalogue and from the data folder's own indicator catalogue,
the file named by ``local_catalogue`` in the folder's ``settings.toml`` (as
:func:`ot_benchmark.settings.settings_path_for` finds it when no other settings file is given).
Only supplied values are checked; a value left blank and computed from the numerator and
denominator is judged by the indicator engine (an impossible numerator gives no value and a note).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from ot_benchmark.catalogue import CatalogueError, builtin_catalogue, load_catalogue

__all__ = ["folder_catalogue", "implausible_values"]

FOLDER_SETTINGS_NAME = "settings.toml"


def folder_catalogue(data_dir) -> pd.DataFrame:
    """The built-in catalogue plus the data folder's own indicators (the ``local_catalogue`` of
    its ``settings.toml``, relative to that file). The built-in catalogue alone when the folder
    has no settings file or its catalogue cannot be read (the indicator engine then reports the
    problem)."""
    cat = builtin_catalogue()
    if data_dir is None:
        return cat
    path = Path(data_dir) / FOLDER_SETTINGS_NAME
    if not path.is_file():
        return cat
    try:
        with path.open("rb") as fh:
            local = str(tomllib.load(fh).get("local_catalogue", "") or "").strip()
        if not local:
            return cat
        own = Path(local).expanduser()
        own = own if own.is_absolute() else path.parent / own
        return load_catalogue(own)
    except (OSError, tomllib.TOMLDecodeError, CatalogueError):
        return cat


def _fmt(x: float) -> str:
    return f"{x:g}"


def implausible_values(indicator_ids: pd.Series, values: pd.Series, data_dir=None,
                       catalogue: pd.DataFrame | None = None) -> pd.Series:
    """Why each supplied value lies outside its indicator's plausible range (NA when it does not,
    when it is blank, or when the indicator has no range or is not in the catalogue).

    Parameters
    ----------
    indicator_ids, values : Series
        A returns table's ``indicator_id`` and ``value`` columns (values in the indicator's
        unit, after the multiplier).
    data_dir : path, optional
        The data folder, for its own catalogue (:func:`folder_catalogue`).
    catalogue : DataFrame, optional
        Use this catalogue instead.
    """
    cat = folder_catalogue(data_dir) if catalogue is None else catalogue
    if "min_value" not in cat or "max_value" not in cat:
        return pd.Series(pd.NA, index=values.index, dtype="object")
    c = cat.set_index("indicator_id")
    ids = indicator_ids.astype("object")
    lo = pd.to_numeric(ids.map(c["min_value"]), errors="coerce").to_numpy(dtype="float64")
    hi = pd.to_numeric(ids.map(c["max_value"]), errors="coerce").to_numpy(dtype="float64")
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    low = np.isfinite(v) & np.isfinite(lo) & (v < lo)
    high = np.isfinite(v) & np.isfinite(hi) & (v > hi)
    why = pd.Series(pd.NA, index=values.index, dtype="object")
    for i in np.flatnonzero(low | high):
        rng = (f"{_fmt(lo[i])} to {_fmt(hi[i])}" if np.isfinite(lo[i]) and np.isfinite(hi[i])
               else f"at least {_fmt(lo[i])}" if np.isfinite(lo[i]) else f"at most {_fmt(hi[i])}")
        why.iloc[i] = (f"implausible value: {_fmt(v[i])} is outside the plausible range of {ids.iloc[i]} "
                       f"({rng}, the catalogue's min_value/max_value); a placeholder for a missing figure? "
                       "Leave the row out, or correct the value")
    return why
