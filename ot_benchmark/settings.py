"""Council-configurable settings: one TOML file, merged over documented defaults.

The defaults live in ``ot_benchmark/data/settings.toml`` (read it for every key and what it
means). A council's file only needs the keys it changes::

    [waiting]
    targets_days = { urgent = 2, high = 28, medium = 84, low = 182 }

    [equipment]
    clock_start = "decision"

Unknown keys are rejected (they are usually typing mistakes), as are values of the wrong type
or out of range. Every indicator table records the settings it used
(``table.attrs["settings"]``; the CLI writes ``FILE.settings.json`` beside its output).
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from .contract import PRIORITIES, ROLES
from .errors import OTBenchmarkError

__all__ = ["Settings", "SettingsError", "load_settings", "default_settings"]


class SettingsError(OTBenchmarkError, ValueError):
    """A settings file or value that cannot be used."""


# Tables whose keys are free (checked by value only); every other table has exactly the
# default file's keys.
_OPEN_TABLES = {("waiting", "facs_mapping"), ("targets",)}
_CHOICES = {
    ("equipment", "clock_start"): ("order", "decision"),
    ("workforce", "caseload_role"): ROLES,
    ("waiting", "cohort_follow_up"): ("snapshot", "extract"),
}


class Settings(dict):
    """Nested settings (a ``dict`` of ``dict``\\ s) with the file they came from.

    ``settings["waiting"]["targets_days"]["urgent"]`` -> 7. ``source`` is the path of the
    council's file (None for pure defaults).
    """

    source: str | None = None

    def to_dict(self) -> dict:
        """A plain, JSON-serialisable deep copy."""
        return json.loads(self.to_json())

    def to_json(self, indent: int | None = 2) -> str:
        body = {"source": self.source, "settings": dict(self)}
        return json.dumps(body, indent=indent, default=str, sort_keys=False)

    @property
    def closure_dates(self) -> list[pd.Timestamp]:
        """Council closure days as timestamps."""
        return [pd.Timestamp(d) for d in self["calendar"]["closure_days"]]

    def priority_targets(self) -> dict[str, int]:
        """W5 target days by priority."""
        return dict(self["waiting"]["targets_days"])


def _read_toml_text(text: str, label: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {label} is not valid TOML: {exc}. Check quotes, brackets and '=' signs.") from None


def _defaults_raw() -> dict:
    text = resources.files("ot_benchmark").joinpath("data/settings.toml").read_text(encoding="utf-8")
    return _read_toml_text(text, "ot_benchmark/data/settings.toml (the defaults)")


def _kind_ok(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return True


def _kind_name(default: Any) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "text in quotes",
            list: "a list [...]", dict: "a table { ... }"}.get(type(default), type(default).__name__)


def _merge(defaults: dict, override: Mapping, path: tuple, label: str) -> dict:
    out = copy.deepcopy(defaults)
    for key, value in override.items():
        here = path + (key,)
        dotted = ".".join(here)
        if path in _OPEN_TABLES:
            out[key] = value
            continue
        if key not in defaults:
            known = ", ".join(sorted(defaults)) or "(none)"
            where = f"[{'.'.join(path)}]" if path else "the top level"
            raise SettingsError(
                f"{label}: unknown setting {dotted!r}. Known keys in {where}: {known}. "
                "See ot_benchmark/data/settings.toml for every setting and its meaning."
            )
        d = defaults[key]
        if not _kind_ok(d, value):
            raise SettingsError(f"{label}: setting {dotted!r} should be {_kind_name(d)}, not {value!r}.")
        if isinstance(d, dict):
            out[key] = _merge(d, value, here, label)
        else:
            out[key] = float(value) if isinstance(d, float) else value
    return out


def _check(s: dict, label: str) -> None:
    def bad(key: str, msg: str) -> SettingsError:
        return SettingsError(f"{label}: setting {key!r} {msg}")

    for (sec, key), choices in _CHOICES.items():
        if s[sec][key] not in choices:
            raise bad(f"{sec}.{key}", f"must be one of {', '.join(map(repr, choices))}, not {s[sec][key]!r}.")

    def nonneg(sec: str, tab: dict, prefix: str = "") -> None:
        for k, v in tab.items():
            if isinstance(v, dict):
                nonneg(sec, v, f"{prefix}{k}.")
            elif isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
                raise bad(f"{sec}.{prefix}{k}", f"must not be negative (got {v}).")

    for sec in ("waiting", "workforce", "equipment", "complaints", "adaptations"):
        nonneg(sec, s[sec])

    w = s["waiting"]
    for p, v in w["targets_days"].items():
        if not isinstance(v, int) or isinstance(v, bool):
            raise bad(f"waiting.targets_days.{p}", f"must be a whole number of days, not {v!r}.")
    for legacy, p in w["facs_mapping"].items():
        if p not in PRIORITIES:
            raise bad(f"waiting.facs_mapping.{legacy}", f"must map onto one of {', '.join(PRIORITIES)}, not {p!r}.")
    bands = w["band_upper_days"]
    if not bands or not all(isinstance(b, int) and not isinstance(b, bool) for b in bands) or bands[0] < 0 or any(
        b2 <= b1 for b1, b2 in zip(bands, bands[1:])
    ):
        raise bad("waiting.band_upper_days", f"must be increasing whole numbers of days, e.g. [7, 14, 28], not {bands!r}.")
    if w["over_52_weeks_days"] < w["over_26_weeks_days"]:
        raise bad("waiting.over_52_weeks_days", "must not be below waiting.over_26_weeks_days.")
    vb = s["workforce"]["vacancy_band_months"]
    if len(vb) != 2 or not all(isinstance(b, int) and not isinstance(b, bool) for b in vb) or not 0 < vb[0] < vb[1]:
        raise bad("workforce.vacancy_band_months", f"must be two increasing whole numbers of months, e.g. [3, 6], not {vb!r}.")
    comp = s["complaints"]
    for stream in ("childrens_statutory", "childrens_statutory_extended", "corporate"):
        for k, v in comp[stream].items():
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise bad(f"complaints.{stream}.{k}", f"must be a positive whole number of working days, not {v!r}.")
    for d in s["calendar"]["closure_days"]:
        try:
            if not isinstance(d, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", d):
                raise ValueError(d)
            pd.Timestamp(d)
        except (ValueError, TypeError):
            raise bad("calendar.closure_days", f"must hold ISO dates like \"2024-12-27\"; {d!r} is not one.") from None
    for ind, v in s["targets"].items():
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise bad(f"targets.{ind}", f"must be a number in the indicator's unit, not {v!r}.")


def default_settings() -> Settings:
    """The shipped defaults (``ot_benchmark/data/settings.toml``)."""
    return load_settings(None)


def load_settings(path: "str | Path | Mapping | None" = None) -> Settings:
    """Settings merged over the defaults.

    Parameters
    ----------
    path : path to a TOML file, a mapping, a :class:`Settings`, or None
        None gives the defaults. A mapping is treated like the content of a TOML file
        (nested ``{"equipment": {"clock_start": "decision"}}``).

    Returns
    -------
    Settings
        A nested dict with every key of the defaults.

    Raises
    ------
    SettingsError
        Unreadable or invalid TOML, an unknown key, a value of the wrong type or out of range.

    Examples
    --------
    >>> load_settings()["waiting"]["targets_days"]["high"]
    28
    >>> load_settings({"equipment": {"clock_start": "decision"}})["equipment"]["clock_start"]
    'decision'
    """
    defaults = _defaults_raw()
    source: str | None = None
    if path is None:
        override: Mapping = {}
        label = "settings"
    elif isinstance(path, Settings):
        override = path
        source = path.source
        label = f"settings from {source}" if source else "settings"
    elif isinstance(path, Mapping):
        override = path
        label = "settings"
    else:
        p = Path(path)
        if not p.is_file():
            raise SettingsError(f"settings file {p} does not exist; check the path (or leave it out to use the defaults).")
        override = _read_toml_text(p.read_text(encoding="utf-8"), str(p))
        source = str(p)
        label = f"settings file {p}"
    merged = _merge(defaults, override, (), label)
    _check(merged, label)
    out = Settings(merged)
    out.source = source
    return out
