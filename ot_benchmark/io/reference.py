"""Reference data: English councils, their populations, comparator groups and 2014-15 equipment spend.

The files live in ``data/reference/`` at the top of the project (see its ``README.md`` and
``PROVENANCE.md``); set the environment variable ``OT_BENCHMARK_REFERENCE_DIR`` to read them from
somewhere else. Everything is keyed on the ONS GSS code of the council (``E10000017`` is
Lancashire).

Two council lists exist because English local government was reorganised on 1 April 2023
(Cumbria, North Yorkshire and Somerset): ``2021_23`` is the 152 councils with adult social
services responsibilities before it, ``2025`` the 153 after it. A third file,
``asc_authorities_history.csv`` (:func:`council_history`), holds every council with adult social
services responsibilities at any time from 1 April 2015 (financial year 2015-16) on — 161 codes,
including Bournemouth, Poole, Dorset County (to 31 March 2019), Buckinghamshire County (to 31
March 2020) and Northamptonshire (to 31 March 2021) — with the dates each existed and its
successors; :func:`councils_in_period` gives the councils that existed in a period, and the
``england``, ``region`` and ``type`` comparator groups are built from it. The CIPFA nearest-neighbour list
is in the older geography, so the new councils (Cumberland, Westmorland and Furness, North
Yorkshire UA, Somerset UA) have no CIPFA group; City of London and the Isles of Scilly have none
either. Asking for a group that does not exist raises :class:`~ot_benchmark.errors.NoComparatorGroup`:
the package never guesses one.

Examples
--------
>>> from ot_benchmark import reference
>>> reference.council_name("E10000017")
'Lancashire'
>>> len(reference.comparator_group("E10000017", "cipfa"))
15
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ot_benchmark.errors import DataContractError, NoComparatorGroup, ParameterError
from ot_benchmark.periods import parse_period

__all__ = [
    "reference_dir",
    "councils",
    "known_codes",
    "council_name",
    "council_history",
    "councils_in_period",
    "did_not_exist",
    "existence_note",
    "population",
    "comparator_group",
    "nearest_neighbours",
    "equipment_spend_2014_15",
    "SCHEMES",
    "BUILT_IN_GROUPS",
    "group_label",
    "TYPE_GROUPS",
    "REORGANISED_2023",
    "NN_VARIABLES",
]

ENV_VAR = "OT_BENCHMARK_REFERENCE_DIR"
VINTAGES = ("2025", "2021_23", "all")
#: Comparator groups built from the council history for the period asked about.
BUILT_IN_GROUPS = ("england", "region", "type")
SCHEMES = ("cipfa", "dfe") + BUILT_IN_GROUPS
#: ``la_type`` -> the type group it belongs to (``type`` comparator group). The City of London
#: (``CC``) is grouped with the London boroughs: both have E09 codes and London's functions.
TYPE_GROUPS = {"CTY": "CTY", "UA": "UA", "MD": "MD", "LBO": "LBO", "CC": "LBO"}
TYPE_GROUP_NAMES = {"CTY": "county councils", "UA": "unitary authorities", "MD": "metropolitan districts",
                    "LBO": "London boroughs and the City of London"}
#: The first day the council history covers (financial year 2015-16).
HISTORY_STARTS = pd.Timestamp("2015-04-01")
POPULATION_COLUMNS = ("pop_all_ages", "pop_18_plus", "pop_18_64", "pop_65_plus", "pop_85_plus")
# Councils created on 1 April 2023; they are absent from the 2021-23 CIPFA list.
REORGANISED_2023 = {
    "E06000063": "Cumberland",
    "E06000064": "Westmorland and Furness",
    "E06000065": "North Yorkshire",
    "E06000066": "Somerset",
}
# Default variables for the open nearest-neighbour set (derived in _characteristics()).
NN_VARIABLES = ("log_pop_all_ages", "share_65_plus", "share_85_plus", "share_18_64")

_FILES = {
    "2025": "asc_authorities_2025.csv",
    "2021_23": "asc_authorities_2021_23.csv",
    "cipfa": "cipfa_nn_oflog_utla_long.csv",
    "dfe": "dfe_sn_2025_long.csv",
    "ascfr": "ascfr_2014_15_equipment_and_total_long.csv",
    "history": "asc_authorities_history.csv",
}


def reference_dir() -> Path:
    """The folder holding the reference CSV files.

    ``$OT_BENCHMARK_REFERENCE_DIR`` when set, else ``<project>/data/reference``.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / "data" / "reference"


@lru_cache(maxsize=None)
def _read(key: str, folder: str) -> pd.DataFrame:
    path = Path(folder) / _FILES[key]
    if not path.exists():
        raise DataContractError(
            f"reference file {path} is missing.",
            file=str(path),
            fix=f"restore data/reference/ from the repository or point ${ENV_VAR} at a folder holding {_FILES[key]}",
        )
    return pd.read_csv(path, dtype={"ons_code": str, "neighbour_ons_code": str})


def _table(key: str) -> pd.DataFrame:
    # cache keyed on the folder, so changing the env var (tests) reads the new files
    return _read(key, str(reference_dir())).copy()


def councils(vintage: str = "2025") -> pd.DataFrame:
    """Councils with adult social services responsibilities and their populations.

    Parameters
    ----------
    vintage : {"2025", "2021_23", "all"}
        ``2025``: the 153 councils from 1 April 2023 onwards; ``2021_23``: the 152 before the 2023
        reorganisation; ``all``: the union (156 codes; a code in both lists appears once, with the
        2025 row).

    Returns
    -------
    pandas.DataFrame
        One row per council: ``ons_code, name, official_name, la_type, region, dfe_la_code,
        mhclg_ecode, mysociety_code, pop_all_ages, pop_18_plus, pop_18_64, pop_65_plus,
        pop_85_plus, vintage`` (ONS mid-2020 populations; successor councils are the sum of their
        predecessor areas).
    """
    vintage = str(vintage)
    if vintage not in VINTAGES:
        raise ParameterError(f"unknown council-list vintage {vintage!r}; use one of {', '.join(VINTAGES)}")
    if vintage == "all":
        a, b = councils("2025"), councils("2021_23")
        return pd.concat([a, b[~b["ons_code"].isin(a["ons_code"])]], ignore_index=True)
    df = _table(vintage)
    cols = ["ons_code", "name", "official_name", "la_type", "region", "dfe_la_code", "mhclg_ecode",
            "mysociety_code", *POPULATION_COLUMNS]
    out = df[cols].copy()
    out["vintage"] = vintage
    return out.reset_index(drop=True)


@lru_cache(maxsize=None)
def _known(folder: str) -> frozenset:
    lists = frozenset(councils("all")["ons_code"])
    try:
        return frozenset(_table("history")["ons_code"]) | lists
    except DataContractError:  # a reference folder of an older release: the two lists only
        return lists


def known_codes() -> set[str]:
    """Every council with adult social services responsibilities at any time since 1 April 2015:
    the 2025 and 2021-23 lists and the councils abolished in 2019-2021 (161 codes,
    :func:`council_history`)."""
    return set(_known(str(reference_dir())))


def _check_code(code) -> str:
    c = str(code).strip().upper().replace(" ", "")
    if c not in _known(str(reference_dir())):
        raise ParameterError(
            f"{code!r} is not the ONS code of an English council with adult social services "
            "responsibilities since April 2015; councils are named by their GSS code, e.g. 'E10000017' for "
            "Lancashire (see ot_benchmark.io.reference.council_history())"
        )
    return c


@lru_cache(maxsize=None)
def _history(folder: str) -> pd.DataFrame:
    df = _read("history", folder).fillna("")
    for c in ("existed_from", "existed_to"):
        df[c] = pd.to_datetime(df[c].replace("", None))
    return df


def council_history() -> pd.DataFrame:
    """Every English council with adult social services responsibilities at any time from
    1 April 2015 (financial year 2015-16) on.

    Returns
    -------
    pandas.DataFrame
        One row per ONS code (161): ``ons_code, name, official_name, la_type, region,
        dfe_la_code``; ``existed_from`` (NaT: before 1 April 2015), ``existed_to`` (its last day;
        NaT: it still exists); ``predecessor_codes`` and ``successor_codes`` (``;``-separated);
        ``change_order`` (the structural change order that created or abolished it, e.g.
        ``SI 2018/648``). See ``data/reference/PROVENANCE.md``.
    """
    return _history(str(reference_dir())).copy()


def _span(period) -> tuple[pd.Timestamp, pd.Timestamp]:
    if period is None:
        today = pd.Timestamp.today().normalize()
        return today, today
    p = parse_period(period)
    return p.start, p.end


def councils_in_period(period=None) -> pd.DataFrame:
    """The councils that existed on some day of ``period`` (a period label of any kind, or
    None for today): rows of :func:`council_history`. Reorganisations take effect on 1 April,
    so a council existing on one day of a financial year, quarter or month existed all of it."""
    start, end = _span(period)
    h = council_history()
    ok = (h["existed_from"].isna() | (h["existed_from"] <= end)) & (h["existed_to"].isna() | (h["existed_to"] >= start))
    return h[ok].reset_index(drop=True)


def did_not_exist(codes, periods) -> np.ndarray:
    """Vectorised: True where a code is a council of :func:`council_history` that did not exist
    in the period beside it (the council was abolished before it, or created after it). Codes
    that are not in the history (a test code, ``--extra-codes``) and periods that cannot be read
    are not judged (False)."""
    codes = pd.Series(codes, dtype=object).astype(str).str.strip().str.upper().reset_index(drop=True)
    labels = pd.Series(periods, dtype=object).reset_index(drop=True)
    try:
        h = council_history().set_index("ons_code")
    except DataContractError:  # no history file: nothing can be judged
        return np.zeros(len(codes), dtype=bool)
    out = np.zeros(len(codes), dtype=bool)
    known = codes.isin(h.index).to_numpy()
    if not known.any():
        return out
    spans = {}
    for lab in pd.unique(labels[known]):
        try:
            p = parse_period(lab)
            spans[lab] = (p.start, p.end)
        except (ValueError, TypeError):
            spans[lab] = (pd.NaT, pd.NaT)
    start = pd.to_datetime(labels.map(lambda x: spans.get(x, (pd.NaT, pd.NaT))[0]))
    end = pd.to_datetime(labels.map(lambda x: spans.get(x, (pd.NaT, pd.NaT))[1]))
    frm = pd.to_datetime(codes.map(h["existed_from"]))
    to = pd.to_datetime(codes.map(h["existed_to"]))
    late = (frm.notna() & (frm > end)).to_numpy()
    gone = (to.notna() & (to < start)).to_numpy()
    return known & (late | gone)


def _existed_to(code: str):
    try:
        return council_history().set_index("ons_code").loc[code, "existed_to"]
    except (DataContractError, KeyError):
        return pd.NaT


def existence_note(code: str, period) -> str:
    """Why a council did not exist in a period, in a sentence naming its successors or
    predecessors and the order (``""`` when it did exist)."""
    c = _check_code(code)
    p = parse_period(period)
    row = council_history().set_index("ons_code").loc[c]
    names = council_history().set_index("ons_code")["name"]

    def listed(codes: str) -> str:
        return ", ".join(f"{names.get(x, x)} ({x})" for x in codes.split(";") if x)

    if pd.notna(row["existed_to"]) and row["existed_to"] < p.start:
        return (f"{row['name']} ({c}) did not exist in {p.label}: it was abolished on "
                f"{(row['existed_to'] + pd.Timedelta(days=1)).strftime('%-d %B %Y')} "
                f"({row['change_order']}); its area is now {listed(row['successor_codes'])}")
    if pd.notna(row["existed_from"]) and row["existed_from"] > p.end:
        return (f"{row['name']} ({c}) did not exist in {p.label}: it was created on "
                f"{row['existed_from'].strftime('%-d %B %Y')} ({row['change_order']}) from "
                f"{listed(row['predecessor_codes'])}")
    return ""


def council_name(code: str) -> str:
    """The council's short name (``E10000017`` -> ``Lancashire``), also for councils abolished
    since April 2015 (``E06000028`` -> ``Bournemouth``)."""
    c = _check_code(code)
    try:
        df = council_history()
    except DataContractError:  # a reference folder of an older release
        df = councils("all")
    return str(df.loc[df["ons_code"] == c, "name"].iloc[0])


def population(codes: "str | Iterable[str]", column: str = "pop_18_plus") -> "int | pd.Series":
    """Reference population (ONS mid-2020) of one council or several.

    Parameters
    ----------
    codes : str or iterable of str
        ONS codes (either council list).
    column : str
        One of ``pop_all_ages, pop_18_plus, pop_18_64, pop_65_plus, pop_85_plus``.

    Returns
    -------
    int for one code, else a Series indexed by ``ons_code`` (in the order given).
    """
    if column not in POPULATION_COLUMNS:
        raise ParameterError(f"unknown population column {column!r}; use one of {', '.join(POPULATION_COLUMNS)}")
    df = councils("all").set_index("ons_code")[column]

    def check(code) -> str:
        c = _check_code(code)
        if c not in df.index:
            raise ParameterError(
                f"{council_name(c)} ({c}) has no population in the reference data: it was abolished before "
                "the 2021-23 council list (see council_history()); use its successors' populations"
            )
        return c

    if isinstance(codes, str):
        return int(df.loc[check(codes)])
    cs = [check(c) for c in codes]
    out = df.loc[cs].astype("int64")
    out.name = column
    return out


#: Column names read in a user's comparator-group CSV (after lower-casing), first match wins.
#: ``authority_code,neighbour_code`` are the documented names (``ot-benchmark benchmark --help``).
GROUP_FILE_AUTHORITY = ("authority_code", "authority", "ons_code")
GROUP_FILE_NEIGHBOUR = ("neighbour_code", "neighbour", "neighbour_ons_code", "neighbor_code", "neighbor")


def _user_group(path: Path, code: str) -> pd.DataFrame:
    if not path.exists():
        raise ParameterError(
            f"comparator scheme {str(path)!r} is neither {', '.join(repr(x) for x in SCHEMES)} nor an existing CSV file"
        )
    try:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except Exception as exc:  # noqa: BLE001 - any parse error is a user error here
        raise DataContractError(f"cannot read the comparator-group file {path} ({exc}).", file=str(path),
                                fix="save it as a CSV with columns authority_code,neighbour_code") from None
    df.columns = [str(c).strip().lower().replace(" ", "_") for c in df.columns]
    a_col = next((c for c in GROUP_FILE_AUTHORITY if c in df), None)
    n_col = next((c for c in GROUP_FILE_NEIGHBOUR if c in df), None)
    if a_col is None or n_col is None:
        raise DataContractError(
            f"the comparator-group file {path} has columns {list(df.columns)}; expected a column "
            "'authority_code' (or 'authority', 'ons_code') and a column 'neighbour_code' (or 'neighbour', "
            "'neighbour_ons_code'), one row per (council, neighbour) pair of ONS codes.",
            file=str(path),
            fix="name the columns authority_code,neighbour_code",
        )
    df = df.dropna(subset=[a_col, n_col], how="all")
    out = pd.DataFrame({
        "authority": df[a_col].fillna("").astype(str).str.strip().str.upper().str.replace(" ", "", regex=False),
        "neighbour": df[n_col].fillna("").astype(str).str.strip().str.upper().str.replace(" ", "", regex=False),
    })
    bad = sorted(set(out["authority"]).union(out["neighbour"]) - _known(str(reference_dir())))
    if bad:
        raise DataContractError(
            f"the comparator-group file {path} holds codes that are not English councils with adult social "
            f"services responsibilities at any time since April 2015: "
            f"{', '.join(repr(b) for b in bad[:10])}{' ...' if len(bad) > 10 else ''}.",
            file=str(path),
            fix="use ONS GSS codes such as E10000017 (councils abolished since 2015, such as Bournemouth "
                "E06000028, are accepted)",
        )
    return out


def _built_in_group(code: str, scheme: str, period) -> list[str]:
    """``england``, ``region`` or ``type``: the councils that existed in ``period`` (today when
    None), in code order, all of England or those sharing the council's region or type."""
    members = councils_in_period(period)
    me = council_history().set_index("ons_code").loc[code]
    if scheme == "region":
        members = members[members["region"] == me["region"]]
    elif scheme == "type":
        mine = TYPE_GROUPS.get(me["la_type"], me["la_type"])
        members = members[members["la_type"].map(lambda t: TYPE_GROUPS.get(t, t)) == mine]
    return sorted(members["ons_code"])


def group_label(authority: str, scheme: str, period=None) -> str:
    """A reader's name for a built-in group (``"all councils in England, 2022-23"``,
    ``"councils in the North West, 2022-23"``, ``"metropolitan districts, 2022-23"``); the
    scheme name for the others."""
    s = str(scheme).lower()
    if s not in BUILT_IN_GROUPS:
        return str(scheme)
    when = parse_period(period).label if period is not None else "today"
    me = council_history().set_index("ons_code").loc[_check_code(authority)]
    if s == "england":
        return f"all councils in England, {when}"
    if s == "region":
        return f"councils in the {me['region']} region, {when}" if me["region"] != "London" else f"London councils, {when}"
    return f"{TYPE_GROUP_NAMES[TYPE_GROUPS.get(me['la_type'], me['la_type'])]}, {when}"


def comparator_group(authority: str, scheme: "str | os.PathLike" = "cipfa", *, include_self: bool = False,
                     period=None) -> list[str]:
    """The comparator councils of ``authority`` under a scheme.

    Parameters
    ----------
    authority : str
        ONS code of the council (any council of :func:`council_history`).
    scheme : {"cipfa", "dfe", "england", "region", "type"} or path to a CSV
        ``cipfa``: CIPFA nearest neighbours as republished by Oflog (15, unranked, returned in
        source order; 2021–23 geography). ``dfe``: DfE children's services statistical neighbours,
        May 2025, current geography (10, in rank order). ``england``: every council that existed
        in ``period``; ``region``: those of the council's region; ``type``: those of its type
        (county councils, unitary authorities, metropolitan districts, London boroughs with the
        City of London) — all three from :func:`councils_in_period`, in code order. A CSV path:
        a user-supplied group with columns ``authority_code`` and ``neighbour_code`` (also read:
        ``authority``/``ons_code`` and ``neighbour``/``neighbour_ons_code``), in the order
        listed; any council of :func:`council_history` may appear in it (Bournemouth, Poole,
        Dorset County, ... for years before they were abolished).
    include_self : bool
        Put ``authority`` first in the list.
    period : str or period, optional
        The period the group is for: the ``england``, ``region`` and ``type`` groups are the
        councils that existed then (today when None). The listed schemes (cipfa, dfe, CSV) are
        returned as listed; a member that did not exist in the period simply has no figures.

    Returns
    -------
    list of str
        ONS codes.

    Raises
    ------
    NoComparatorGroup
        The council has no group in that scheme (for example the councils created in 2023 have
        none in the CIPFA list). The package never guesses one.
    ParameterError
        Unknown council code or scheme.
    """
    code = _check_code(authority)
    scheme_s = str(scheme)
    name = council_name(code)
    others = ("Use scheme={alt}, 'england', 'region' or 'type' (the councils of England, your region or your "
              "type in the period), supply your own group as a CSV of authority_code,neighbour_code, or compute "
              "an open set with reference.nearest_neighbours().")
    if scheme_s.lower() == "cipfa":
        df = _table("cipfa")
        group = df.loc[df["ons_code"] == code, "neighbour_ons_code"].tolist()
        if not group:
            ended = _existed_to(code)
            if code in REORGANISED_2023:
                why = f"{name} ({code}) was created in the 2023 reorganisation, after the CIPFA list was made"
            elif pd.notna(ended) and code not in set(_table("cipfa")["ons_code"]):
                why = (f"{name} ({code}) was abolished on {(ended + pd.Timedelta(days=1)).date()}, "
                       "before the CIPFA list was made")
            else:
                why = f"{name} ({code}) has no CIPFA nearest neighbours in the Oflog list"
            raise NoComparatorGroup(f"{why}, so it has no CIPFA comparator group. "
                                    + others.format(alt="'dfe' (DfE statistical neighbours, current geography)"))
    elif scheme_s.lower() == "dfe":
        df = _table("dfe")
        df = df[(df["section"] == "current") & (df["ons_code"] == code)].sort_values("rank")
        group = df["neighbour_ons_code"].tolist()
        if not group:
            raise NoComparatorGroup(
                f"{name} ({code}) has no DfE statistical neighbours in the May 2025 list (current "
                "geography). " + others.format(alt="'cipfa'")
            )
    elif scheme_s.lower() in BUILT_IN_GROUPS:
        group = _built_in_group(code, scheme_s.lower(), period)
        if not [g for g in group if g != code]:
            raise NoComparatorGroup(
                f"{name} ({code}) has no other council in its {scheme_s.lower()} group"
                f"{'' if period is None else ' in ' + parse_period(period).label}. " + others.format(alt="'cipfa'")
            )
    else:
        path = Path(scheme_s).expanduser()
        df = _user_group(path, code)
        group = df.loc[df["authority"] == code, "neighbour"].tolist()
        if not group:
            raise NoComparatorGroup(
                f"{name} ({code}) has no rows in the comparator-group file {path}. Add rows "
                f"'{code},<neighbour code>' to it, or use one of {', '.join(SCHEMES)}."
            )
    group = [g for g in dict.fromkeys(group) if g != code]
    return [code, *group] if include_self else group


def _characteristics(vintage: str) -> pd.DataFrame:
    df = councils(vintage).set_index("ons_code")
    out = pd.DataFrame(index=df.index)
    out["log_pop_all_ages"] = np.log(df["pop_all_ages"].astype(float))
    out["log_pop_65_plus"] = np.log(df["pop_65_plus"].astype(float))
    out["pop_all_ages"] = df["pop_all_ages"].astype(float)
    out["pop_65_plus"] = df["pop_65_plus"].astype(float)
    out["share_65_plus"] = df["pop_65_plus"] / df["pop_all_ages"]
    out["share_85_plus"] = df["pop_85_plus"] / df["pop_all_ages"]
    out["share_18_64"] = df["pop_18_64"] / df["pop_all_ages"]
    out["share_under_18"] = 1 - df["pop_18_plus"] / df["pop_all_ages"]
    out["share_85_of_65"] = df["pop_85_plus"] / df["pop_65_plus"]
    return out


def nearest_neighbours(authority: str, k: int = 15, variables: Sequence[str] = NN_VARIABLES, *,
                       vintage: str = "2025") -> pd.DataFrame:
    """An open nearest-neighbour comparator set computed from public characteristics.

    Each variable is z-scored across the councils of ``vintage`` (mean 0, standard deviation 1,
    population sd), and councils are ranked by Euclidean distance from ``authority`` in that
    space (INDICATORS.md, comparator groups). This is *not* the CIPFA model (about 40 variables):
    label it "open nearest neighbours (population characteristics)" wherever it is used.

    Parameters
    ----------
    authority : str
        ONS code; must be in the ``vintage`` list.
    k : int
        Number of neighbours.
    variables : sequence of str
        From ``log_pop_all_ages, log_pop_65_plus, pop_all_ages, pop_65_plus, share_65_plus,
        share_85_plus, share_18_64, share_under_18, share_85_of_65``.
    vintage : {"2025", "2021_23"}

    Returns
    -------
    pandas.DataFrame
        ``rank, ons_code, name, distance`` for the ``k`` nearest councils (``authority`` excluded).
    """
    if vintage not in ("2025", "2021_23"):
        raise ParameterError("vintage must be '2025' or '2021_23' for nearest_neighbours")
    code = _check_code(authority)
    x = _characteristics(vintage)
    unknown = [v for v in variables if v not in x.columns]
    if unknown or not variables:
        raise ParameterError(f"unknown nearest-neighbour variable(s) {unknown}; choose from {', '.join(x.columns)}")
    if code not in x.index:
        raise ParameterError(f"{code} is not in the {vintage} council list; use vintage="
                             f"{'2021_23' if vintage == '2025' else '2025'!r}")
    if not 1 <= int(k) < len(x):
        raise ParameterError(f"k must be between 1 and {len(x) - 1}, not {k}")
    z = x[list(variables)]
    z = (z - z.mean()) / z.std(ddof=0)
    d = np.sqrt(((z - z.loc[code]) ** 2).sum(axis=1)).drop(code)
    d = d.sort_values(kind="mergesort").iloc[: int(k)]
    names = councils(vintage).set_index("ons_code")["name"]
    return pd.DataFrame({
        "rank": np.arange(1, len(d) + 1),
        "ons_code": d.index.to_numpy(),
        "name": names.loc[d.index].to_numpy(),
        "distance": d.to_numpy(),
    })


def equipment_spend_2014_15(service: str = "Assistive equipment and technology") -> pd.DataFrame:
    """Councils' real 2014-15 spend from the adult social care finance return (ASC-FR).

    Parameters
    ----------
    service : str
        ``"Assistive equipment and technology"`` (default) or ``"Adult Social Care"`` (all adult
        social care), or ``"all"`` for both.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``ons_code, council_name, service, accounting_category, value_gbp`` (pounds, not
        thousands). Codes are 2014-15 geography: Bournemouth, Poole, Dorset, Buckinghamshire and
        Northamptonshire appear under their pre-reorganisation codes. Context for U3 (equipment
        spend per 1,000 adults); the finance series breaks at 2014-15, so do not splice trends.
    """
    df = _table("ascfr")
    services = sorted(df["service"].unique())
    if service != "all":
        if service not in services:
            raise ParameterError(f"unknown ASC-FR service {service!r}; use one of {services} or 'all'")
        df = df[df["service"] == service]
    out = pd.DataFrame({
        "ons_code": df["ons_code"].astype(str),
        "council_name": df["council_name"].astype(str),
        "service": df["service"].astype(str),
        "accounting_category": df["accounting_category"].astype(str),
        "value_gbp": df["value_gbp_thousands"].astype(float) * 1000.0,
    })
    return out.reset_index(drop=True)
