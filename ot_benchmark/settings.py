"""Council-configurable settings: one TOML file, merged over documented defaults.

The defaults live in ``ot_benchmark/data/settings.toml`` (read it for every key and what it
means). A council's file only needs the keys it changes::

    [waiting]
    targets_days = { urgent = 2, high = 28, medium = 84, low = 182 }

    [equipment]
    clock_start = "decision"

    [spc]
    changes = [{ authority = "E10000017", period = "2023-24 Q3", note = "OT posts doubled" }]

Unknown keys are rejected (they are usually typing mistakes), as are values of the wrong type
or out of range. Every indicator table records the settings it used
(``table.attrs["settings"]``; the CLI writes ``FILE.settings.json`` beside its output).

``local_catalogue`` names the council's own indicator catalogue (a CSV with the catalogue's
columns, relative to the settings file); :meth:`Settings.catalogue` is the one place every
component (engine, cache, benchmarking, notebooks) gets the catalogue from, so the council's own
indicators get everything the built-in ones get::

    local_catalogue = "local_indicators.csv"

``[spc] changes`` declares a council's known changes (a restructure, new posts) at which its SPC
charts start new limits; :meth:`Settings.spc_rebase` turns them into the ``rebase`` argument of
:func:`ot_benchmark.stats.spc.xmr` for one council, indicator and charted series.
"""

from __future__ import annotations

import bisect
import copy
import json
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from ot_benchmark.catalogue import apply_targets, load_catalogue
from ot_benchmark.errors import DataContractError, OTBenchmarkError
from ot_benchmark.io.contract import PRIORITIES, ROLES
from ot_benchmark.io.mapping import load_mapping
from ot_benchmark.periods import PeriodError, parse_period, sorted_periods

__all__ = ["Settings", "SettingsError", "load_settings", "default_settings", "SPC_CHANGE_KEYS"]


class SettingsError(OTBenchmarkError, ValueError):
    """A settings file or value that cannot be used."""


# Tables whose keys are free (checked by value only); every other table has exactly the
# default file's keys.
_OPEN_TABLES = {("waiting", "facs_mapping"), ("targets",)}
_MAPPING_KEY = "mapping"  # a mapping file's name, or the mapping's tables written inline (io.mapping)
#: Keys of one ``[spc] changes`` entry: required, then optional.
SPC_CHANGE_KEYS = {"authority": True, "period": True, "note": False, "indicators": False}
_FAMILIES = ("W", "C", "E", "K", "U", "A", "O")
_ONS_CODE = re.compile(r"^[EWSN]\d{8}$")
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

    @property
    def local_catalogue_path(self) -> Path | None:
        """The council's own catalogue file (absolute), or None when the settings name none."""
        value = str(self.get("local_catalogue", "") or "")
        return Path(value) if value else None

    def catalogue(self, *, targets: bool = True) -> pd.DataFrame:
        """The indicator catalogue these settings call for: the built-in one plus the council's
        own indicators (``local_catalogue``), with ``[targets]`` written over the ``target``
        column unless ``targets=False``.

        This is the one place the engine, the cache, ``benchmark`` and the report notebooks get
        their catalogue from.

        Raises
        ------
        ot_benchmark.catalogue.CatalogueError
            The local catalogue cannot be read, has bad values or reuses a built-in id.
        """
        cat = self._catalogue_read()[1].copy()
        return apply_targets(cat, self) if targets else cat

    def _catalogue_read(self) -> tuple:
        """(key, catalogue): read once per version of the local catalogue file (never changed:
        :meth:`catalogue` hands out copies)."""
        path = self.local_catalogue_path
        key = (str(path), path.stat().st_mtime_ns) if path is not None and path.is_file() else (str(path), None)
        cached = self.__dict__.get("_catalogue_cache")
        if cached is None or cached[0] != key:
            cached = (key, load_catalogue(path))
            self.__dict__["_catalogue_cache"] = cached
        return cached

    def family_of(self, indicator_id: str) -> str | None:
        """The catalogue family of an indicator id (built-in or the council's own; None for an id
        in neither). A report asks once per chart: the lookup is kept with the catalogue."""
        key, cat = self._catalogue_read()
        kept = self.__dict__.get("_families")
        if kept is None or kept[0] != key:
            kept = (key, dict(zip(cat["indicator_id"].astype(str), cat["family"])))
            self.__dict__["_families"] = kept
        return kept[1].get(indicator_id)

    def local_indicator_ids(self) -> list[str]:
        """Ids of the council's own indicators (family ``local``), in file order."""
        if self.local_catalogue_path is None:
            return []
        cat = self.catalogue(targets=False)
        return cat.loc[cat["family"] == "local", "indicator_id"].tolist()

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

    def spc_changes(self, authority: str | None = None) -> pd.DataFrame:
        """The known changes of ``[spc] changes`` (all councils' when ``authority`` is None).

        Returns
        -------
        DataFrame
            ``authority``, ``period`` (canonical label), ``note`` (``""`` when none was given),
            ``indicators`` (tuple of ids/families; empty = every indicator), in file order.
        """
        return pd.DataFrame(self._spc_change_rows(authority), columns=["authority", "period", "note", "indicators"])

    def _spc_change_rows(self, authority: str | None) -> list[dict]:
        """:meth:`spc_changes` as plain rows."""
        rows = [{"authority": c["authority"], "period": parse_period(c["period"], kinds=("quarter",)).label,
                 "note": str(c.get("note", "")).strip(), "indicators": tuple(c.get("indicators", ()))}
                for c in self.get("spc", {}).get("changes", [])]
        return rows if authority is None else [r for r in rows if r["authority"] == authority]

    def spc_rebase(self, authority: str, periods, indicator_id: str | None = None) -> pd.DataFrame:
        """Where a council's SPC chart of one indicator starts new limits, and why.

        Pass the result's ``period`` column as ``rebase`` to :func:`ot_benchmark.stats.spc.xmr`
        (with ``date_col="period"``) and the frame to
        :func:`ot_benchmark.report.narrative.spc_rebase_sentence` for the words under the chart.

        Parameters
        ----------
        authority : str
            The council.
        periods : sequence of str
            The quarters on the chart (labels such as ``"2024-25 Q2"``, any order).
        indicator_id : str, optional
            The charted indicator; a change listing ``indicators`` applies only to those ids and
            families (W, C, E, ...). None keeps only changes that apply to every indicator.

        Returns
        -------
        DataFrame
            ``period`` (the charted quarter where new limits start), ``declared_period`` (the
            quarter in the settings) and ``note``, one row per re-base in date order. A change
            declared for a quarter missing from the chart starts at the next charted quarter;
            a change at or before the first charted quarter, or after the last, is left out
            (there is no earlier stretch to separate). Two changes that land on the same
            quarter are one re-base with their notes joined by "; ".
        """
        cols = ["period", "declared_period", "note"]
        ch = self._spc_change_rows(authority)  # plain rows: a report asks once per chart and per indicator
        labels = sorted_periods(periods)
        if not ch or not labels:
            return pd.DataFrame(columns=cols)
        fam = None if indicator_id is None else self.family_of(indicator_id)
        ch = [c for c in ch if not c["indicators"] or (indicator_id is not None
                                                      and (indicator_id in c["indicators"] or fam in c["indicators"]))]
        found: dict[str, tuple[str, list[str]]] = {}  # charted quarter -> (first declared, notes)
        for c in ch:
            declared, note = c["period"], c["note"]
            # labels "YYYY-YY Qn" sort in time order, so the first charted quarter at or after the
            # declared one is a sorted search
            at = bisect.bisect_left(labels, declared)
            if 0 < at < len(labels):
                _, notes = found.setdefault(str(labels[at]), (declared, []))
                if note and note not in notes:
                    notes.append(note)
        out = pd.DataFrame([{"period": q, "declared_period": d, "note": "; ".join(n)}
                            for q, (d, n) in sorted(found.items())], columns=cols)
        return out[cols].astype({"period": "str", "declared_period": "str", "note": "str"})




def _check_spc_changes(changes: list, bad, local_catalogue: Path | None = None) -> None:
    """Validate ``[spc] changes``: a list of tables with the keys of :data:`SPC_CHANGE_KEYS`
    (``indicators`` may name the council's own indicators, or the family ``local``)."""
    example = '{ authority = "E10000017", period = "2023-24 Q3", note = "OT posts doubled" }'
    known_ids = None
    for i, c in enumerate(changes):
        where = f"spc.changes[{i + 1}]"
        if not isinstance(c, dict):
            raise bad(where, f"must be a table like {example}, not {c!r}.")
        unknown = [k for k in c if k not in SPC_CHANGE_KEYS]
        if unknown:
            raise bad(f"{where}.{unknown[0]}", f"is not a known key of a change; use {', '.join(SPC_CHANGE_KEYS)} "
                      f"(e.g. {example}).")
        missing = [k for k, required in SPC_CHANGE_KEYS.items() if required and k not in c]
        if missing:
            raise bad(where, f"has no {missing[0]!r}; every change needs an authority and a period, e.g. {example}.")
        a = c["authority"]
        if not isinstance(a, str) or not _ONS_CODE.match(a.strip()):
            raise bad(f"{where}.authority", f"must be a council's ONS code such as \"E10000017\", not {a!r}.")
        c["authority"] = a.strip()
        p = c["period"]
        try:
            if not isinstance(p, str):
                raise PeriodError(str(p))
            c["period"] = parse_period(p, kinds=("quarter",)).label  # SPC charts are by quarter
        except PeriodError:
            raise bad(f"{where}.period", f"must be a financial-year quarter such as \"2023-24 Q3\" "
                      f"(Q1 = Apr-Jun, ..., Q4 = Jan-Mar), not {p!r}.") from None
        if "note" in c and not isinstance(c["note"], str):
            raise bad(f"{where}.note", f"must be text in quotes saying what changed, not {c['note']!r}.")
        if "indicators" in c:
            ids = c["indicators"]
            if known_ids is None:
                cat = load_catalogue(local_catalogue)
                known_ids = set(cat["indicator_id"]) | set(_FAMILIES) | ({"local"} if local_catalogue else set())
            if not isinstance(ids, list) or not ids or not all(isinstance(x, str) for x in ids):
                raise bad(f"{where}.indicators", f"must be a list of indicator ids or families such as [\"W5\", \"C\"], not {ids!r} "
                          "(leave it out to re-base every indicator).")
            unknown_ids = [x for x in ids if x not in known_ids]
            if unknown_ids:
                raise bad(f"{where}.indicators", f"has {unknown_ids[0]!r}, which is neither a catalogue indicator id "
                          f"(e.g. W5, E1) nor a family ({', '.join(_FAMILIES)}).")


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
        if path == () and key == _MAPPING_KEY and isinstance(value, dict):  # the mapping written inline
            out[key] = copy.deepcopy(value)
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
            out[key] = float(value) if isinstance(d, float) else copy.deepcopy(value)
    return out


def _resolve_local_catalogue(s: dict, base: Path | None, label: str) -> Path | None:
    """Resolve ``local_catalogue`` against the settings file's folder (the working directory for
    settings given as a mapping); write the absolute path back. Raises if the file is missing."""
    value = str(s.get("local_catalogue", "") or "").strip()
    if not value:
        s["local_catalogue"] = ""
        return None
    p = Path(value).expanduser()
    if not p.is_absolute():
        p = (base or Path.cwd()) / p
    p = p.resolve()
    if not p.is_file():
        where = f"the settings file's folder {base}" if base else "the working directory"
        raise SettingsError(
            f"{label}: setting 'local_catalogue' names {value!r}, but there is no file {p} (a relative "
            f"path is read from {where}). Give the path of your own indicators' catalogue CSV, or "
            'write local_catalogue = "" if you have none.'
        )
    s["local_catalogue"] = str(p)
    return p


def _check_mapping_setting(s: dict, base: Path | None, label: str) -> None:
    """Check ``mapping`` (a mapping file relative to the settings file, or inline tables) with
    :func:`ot_benchmark.io.mapping.load_mapping`; a file's path is written back absolute."""
    value = s.get(_MAPPING_KEY, "")
    if isinstance(value, str) and not value.strip():
        s[_MAPPING_KEY] = ""
        return
    try:
        if isinstance(value, dict):
            load_mapping(value, label=f"[{_MAPPING_KEY}]")
            return
        p = Path(value).expanduser()
        if not p.is_absolute():
            p = (base or Path.cwd()) / p
        if not p.is_file():
            where = f"the settings file's folder {base}" if base else "the working directory"
            raise SettingsError(f"{label}: setting 'mapping' names {value!r}, but there is no file {p} (a relative path "
                                f"is read from {where}). Write the mapping there (ot-benchmark map DATA_DIR drafts "
                                'one), or write mapping = "" if the files use the contract\'s names.')
        load_mapping(p)
        s[_MAPPING_KEY] = str(p.resolve())
    except DataContractError as exc:
        raise SettingsError(f"{label}: setting 'mapping': {exc}") from None


def _check(s: dict, label: str, base: Path | None = None) -> None:
    def bad(key: str, msg: str) -> SettingsError:
        return SettingsError(f"{label}: setting {key!r} {msg}")

    local_catalogue = _resolve_local_catalogue(s, base, label)
    _check_mapping_setting(s, base, label)

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
    _check_spc_changes(s["spc"]["changes"], bad, local_catalogue)
    for name in s["report"]["pack"]:
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]+", name):
            raise bad("report.pack", f"must list notebook names such as \"data_quality\" (lower case, digits, _), "
                                     f"not {name!r}.")


#: A data folder may carry its council's settings under this name; it is used whenever no
#: settings file is given for a run on that folder (and the outputs record which file it was).
FOLDER_SETTINGS_NAME = "settings.toml"


def settings_path_for(data_dir, settings_path=None) -> str:
    """The settings file a run on ``data_dir`` uses: ``settings_path`` when one is given; else
    the data folder's own ``settings.toml`` when it has one; else ``""`` (the package defaults).

    Examples
    --------
    >>> settings_path_for("data/sample").endswith("settings.toml")
    True
    """
    if settings_path not in (None, ""):
        return str(settings_path)
    if data_dir is not None:
        own = Path(data_dir) / FOLDER_SETTINGS_NAME
        if own.is_file():
            return str(own.resolve())
    return ""


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
    base: Path | None = None
    if path is None:
        override: Mapping = {}
        label = "settings"
    elif isinstance(path, Settings):
        override = path
        source = path.source
        base = Path(source).resolve().parent if source else None
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
        base = p.resolve().parent
        label = f"settings file {p}"
    merged = _merge(defaults, override, (), label)
    _check(merged, label, base)
    out = Settings(merged)
    out.source = source
    return out
