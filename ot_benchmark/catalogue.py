"""The indicator catalogue: every indicator's id, name, unit, polarity, method and definition.

The built-in catalogue is data (``ot_benchmark/data/catalogue.csv``). A council can add its own
indicators (for example "phone messages answered within 24 hours") in a CSV with the same
columns and supply them as aggregate ``returns``; they then get the same intervals,
benchmarking, SPC and charts as the built-in ones.

Methods
-------
``proportion``  x of n, Wilson interval; ``value = numerator / denominator × multiplier``
``rate``        events over an exposure (cases per WTE, per 1,000); exact Poisson (< 10) or
                Byar interval on the numerator, divided by the denominator
``count``       a count of events or people; ``value = numerator``; Poisson/Byar interval
``mean``        a mean; Student-t interval (needs the individual values)
``median``      a distribution summary (median, percentile, maximum, Kaplan–Meier median);
                ``value`` must be supplied; the interval comes from the observations
``ratio``       a ratio or derived quantity without a sampling model (£ per item, % change,
                a value-weighted share, a net change, WTE); ``value = numerator / denominator ×
                multiplier`` (``numerator × multiplier`` when there is no denominator); no interval
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ot_benchmark.errors import OTBenchmarkError

__all__ = [
    "CATALOGUE_COLUMNS",
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "COUNTS_PEOPLE",
    "FAMILIES",
    "POLARITIES",
    "METHODS",
    "KINDS",
    "INTERVAL_METHODS",
    "CatalogueError",
    "load_catalogue",
    "builtin_catalogue",
    "validate_catalogue",
    "apply_targets",
    "resolve_target",
    "IdentityTerm",
    "Identity",
    "parse_identity",
    "identities",
]

CATALOGUE_COLUMNS = [
    "indicator_id",
    "name",
    "family",
    "unit",
    "multiplier",
    "polarity",
    "method",
    "definition",
    "target",
    "target_local_standard",
    "caveat",
    "kind",
    "counts_people",
    "suppress_with",
    "decimals",
    "min_value",
    "max_value",
    "identity",
]
#: Columns a catalogue file may leave out, with the value they then take. ``counts_people``
#: says which of an indicator's numerator and denominator count people (service users,
#: complainants, cases, items issued to people), so that small numbers of them are suppressed in
#: published outputs (:mod:`ot_benchmark.report.disclosure`): ``true`` (both, the default: a council's
#: own indicator is suppressed unless it says otherwise), ``numerator``, ``denominator`` or
#: ``false`` (neither: posts, WTE, £, populations carry no disclosure risk).
#: ``suppress_with`` names another indicator whose suppression (same council, period and
#: breakdown) also suppresses this one — e.g. the £ total of remedies (K6_gbp) is hidden when the
#: number of payments (K6_count) is 1–4, since a total of one or two payments reveals them.
#: ``decimals`` is how many decimal places a value is shown with (blank: the unit's default in
#: :func:`ot_benchmark.report.narrative.format_value`, e.g. 1 for %, 0 for days) — enough places
#: to tell 0.428 from 0.412 on a score. ``min_value`` and ``max_value`` are the plausible range of
#: a value (in the indicator's unit, after the multiplier; blank: no limit): a return whose
#: supplied value lies outside it is rejected by the validator (a 0.000 written for a missing
#: quality-of-life score that runs 0.28-0.49 is a placeholder, not a figure).
#: ``identity`` declares arithmetic that ties this indicator's counts to others' (see
#: :func:`parse_identity`), e.g. W8_net_change ``numerator = W8_referrals - W8_assessments -
#: W8_closed_unassessed``: a published table must never let a suppressed cell be worked out from
#: it, so suppression protects a lone suppressed cell of an identity with a complementary one.
OPTIONAL_COLUMNS = {"counts_people": "true", "suppress_with": "", "decimals": "", "min_value": "", "max_value": "",
                    "identity": ""}
#: Columns every catalogue file must have.
REQUIRED_COLUMNS = [c for c in CATALOGUE_COLUMNS if c not in OPTIONAL_COLUMNS]
#: Allowed values of ``counts_people`` (after lower-casing; true/false synonyms are accepted).
COUNTS_PEOPLE = ("true", "false", "numerator", "denominator")
FAMILIES = ("W", "C", "E", "K", "U", "A", "O", "local")
POLARITIES = ("higher_is_better", "lower_is_better", "context")
METHODS = ("proportion", "rate", "mean", "median", "count", "ratio")
KINDS = ("snapshot", "flow")
#: methods whose confidence interval is computed from numerator and denominator alone
#: (by :func:`ot_benchmark.stats.intervals.add_intervals`)
INTERVAL_METHODS = ("proportion", "rate", "count")

_REQUIRED_TEXT = ("indicator_id", "name", "family", "unit", "polarity", "method", "kind")
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f", ""}


class CatalogueError(OTBenchmarkError, ValueError):
    """An indicator catalogue file that cannot be used as it stands."""


def _read(path_or_buffer, label: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(path_or_buffer, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise CatalogueError(f"catalogue file {label} does not exist; check the path.") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise CatalogueError(
            f"cannot read catalogue file {label} as CSV ({exc}); save it as UTF-8 CSV with the "
            f"columns {', '.join(CATALOGUE_COLUMNS)}."
        ) from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    return df


def validate_catalogue(
    df: pd.DataFrame, label: str = "catalogue", *, local: bool = False, known_ids: "pd.Series | None" = None
) -> pd.DataFrame:
    """Check and type a catalogue table; return it with the catalogue's columns and dtypes.

    Parameters
    ----------
    df : DataFrame
        Raw catalogue rows (strings).
    label : str
        How to name the source in error messages (the file path).
    local : bool
        True for a council's own catalogue: a blank ``family`` becomes ``local``.

    Raises
    ------
    CatalogueError
        With the file, row (as a spreadsheet user counts: header is row 1) and column at fault.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise CatalogueError(
            f"{label} lacks the column(s) {', '.join(missing)}; a catalogue needs the columns "
            f"{', '.join(REQUIRED_COLUMNS)} (blank values are allowed in target and caveat; "
            f"{', '.join(OPTIONAL_COLUMNS)} is optional)."
        )
    extra = [c for c in df.columns if c not in CATALOGUE_COLUMNS]
    if extra:
        raise CatalogueError(
            f"{label} has unknown column(s) {', '.join(extra)}; the catalogue columns are "
            f"{', '.join(CATALOGUE_COLUMNS)}."
        )
    df = df.copy()
    for c, default in OPTIONAL_COLUMNS.items():
        if c not in df.columns:
            df[c] = default
    df = df[CATALOGUE_COLUMNS].copy()
    for c in CATALOGUE_COLUMNS:
        df[c] = df[c].fillna("").astype(str).str.strip()
    if local:
        df["family"] = df["family"].where(df["family"] != "", "local")
    for c in ("polarity", "method", "kind"):
        df[c] = df[c].str.lower()
    fam = df["family"].str.lower()
    df["family"] = fam.where(fam == "local", df["family"].str.upper())

    def _fail(mask: pd.Series, column: str, problem: str, fix: str) -> None:
        if mask.any():
            rows = (np.flatnonzero(mask.to_numpy()) + 2).tolist()
            ids = df.loc[mask, "indicator_id"].tolist()
            shown = ", ".join(f"row {r} ({i or 'no id'})" for r, i in list(zip(rows, ids))[:5])
            more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
            raise CatalogueError(f"{label}: {problem} in column {column!r} at {shown}{more}. {fix}")

    for c in _REQUIRED_TEXT:
        _fail(df[c] == "", c, "blank value", f"Every indicator needs a {c}.")
    _fail(~df["indicator_id"].str.fullmatch(r"[A-Za-z][A-Za-z0-9_]*"), "indicator_id",
          "an id that is not a plain identifier", "Use letters, digits and underscores, starting with a letter (e.g. L1_phone_24h).")
    dup = df["indicator_id"].duplicated(keep=False)
    _fail(dup, "indicator_id", "duplicate indicator id", "Each indicator id must appear once.")
    _fail(~df["family"].isin(FAMILIES), "family", "unknown family",
          f"Use one of {', '.join(FAMILIES)} (a council's own indicators use 'local').")
    _fail(~df["polarity"].isin(POLARITIES), "polarity", "unknown polarity", f"Use one of {', '.join(POLARITIES)}.")
    _fail(~df["method"].isin(METHODS), "method", "unknown method", f"Use one of {', '.join(METHODS)}.")
    _fail(~df["kind"].isin(KINDS), "kind", "unknown kind", f"Use one of {', '.join(KINDS)}.")

    mult = pd.to_numeric(df["multiplier"].replace("", "1").str.replace(",", ""), errors="coerce")
    _fail(mult.isna() | (mult <= 0), "multiplier", "a multiplier that is not a positive number",
          "Write 1 for counts and ratios, 100 for percentages, 1000 for rates per 1,000.")
    target = pd.to_numeric(df["target"].str.replace(",", "").str.rstrip("%"), errors="coerce")
    _fail(target.isna() & (df["target"] != ""), "target", "a target that is not a number",
          "Leave the target blank or write a number in the indicator's unit (77.5 for 77.5%).")
    tls = df["target_local_standard"].str.lower()
    _fail(~tls.isin(_TRUE | _FALSE), "target_local_standard", "a value that is not true/false",
          "Write true or false (blank means false).")
    people = df["counts_people"].str.lower()
    people = people.where(~people.isin(_TRUE | {""}), "true").where(~people.isin(_FALSE - {""}), "false")
    _fail(~people.isin(COUNTS_PEOPLE), "counts_people", "a value that is not true, false, numerator or denominator",
          "Write true (numerator and denominator count people; blank means true), numerator, denominator, "
          "or false (posts, WTE, £).")

    decimals = pd.to_numeric(df["decimals"], errors="coerce")
    _fail((df["decimals"] != "") & (decimals.isna() | (decimals != np.floor(decimals)) | (decimals < 0) | (decimals > 6)),
          "decimals", "a value that is not a whole number from 0 to 6",
          "Write how many decimal places to show (3 for a score such as 0.428), or leave it blank for the unit's default.")
    lims = {}
    for c in ("min_value", "max_value"):
        lims[c] = pd.to_numeric(df[c].str.replace(",", ""), errors="coerce")
        _fail(lims[c].isna() & (df[c] != ""), c, "a value that is not a number",
              "Write the plausible limit in the indicator's unit (100 for a percentage), or leave it blank.")
    _fail(lims["min_value"] > lims["max_value"], "min_value", "a minimum above the maximum",
          "Swap min_value and max_value.")
    bad_identity = []
    known_all = set(df["indicator_id"]) | (set(known_ids) if known_ids is not None else set())
    for i, text in enumerate(df["identity"]):
        try:
            for eq in parse_identity(text):
                unknown = {t.indicator_id for t in eq.terms} - known_all
                if unknown:
                    raise CatalogueError(f"unknown indicator id(s) {', '.join(sorted(unknown))}")
        except CatalogueError as exc:
            bad_identity.append((i, str(exc)))
    if bad_identity:
        i, why = bad_identity[0]
        raise CatalogueError(
            f"{label}: an identity that cannot be read in column 'identity' at row {i + 2} "
            f"({df['indicator_id'].iloc[i] or 'no id'}): {why}. Write e.g. 'numerator = W8_referrals - "
            "W8_assessments' (terms: another indicator id, ID.denominator, ID[-1] for the quarter before, "
            "sum(ID) for its breakdown parts), several separated by ';', or leave it blank.")

    with_ = df["suppress_with"]
    known = df["indicator_id"] if known_ids is None else pd.concat([df["indicator_id"], known_ids])
    _fail((with_ != "") & ~with_.isin(known), "suppress_with", "an indicator id not in the catalogue",
          "Name an indicator id of this catalogue, or leave it blank.")

    out = df.copy()
    out["multiplier"] = mult.astype("float64")
    out["target"] = target.astype("float64")
    out["target_local_standard"] = tls.isin(_TRUE).astype(bool)
    out["counts_people"] = people.astype(str)
    out["decimals"] = decimals.astype("Int64")
    out["min_value"] = lims["min_value"].astype("float64")
    out["max_value"] = lims["max_value"].astype("float64")
    return out.reset_index(drop=True)


@lru_cache(maxsize=1)
def _builtin() -> pd.DataFrame:
    ref = resources.files("ot_benchmark").joinpath("data/catalogue.csv")
    with ref.open("rb") as fh:
        raw = _read(fh, "the built-in catalogue")
    return validate_catalogue(raw, "the built-in catalogue (ot_benchmark/data/catalogue.csv)")


def builtin_catalogue() -> pd.DataFrame:
    """The catalogue shipped with the package (a fresh copy)."""
    return _builtin().copy()


def load_catalogue(extra: "str | Path | pd.DataFrame | None" = None) -> pd.DataFrame:
    """The indicator catalogue, optionally merged with a council's own indicators.

    Parameters
    ----------
    extra : path, DataFrame or None
        A council's catalogue (CSV with the same columns as the built-in one, see
        :data:`CATALOGUE_COLUMNS`; ``counts_people`` may be left out). Its rows are validated (a blank family becomes ``local``)
        and appended; an id that is already built in is an error.

    Returns
    -------
    DataFrame
        Columns :data:`CATALOGUE_COLUMNS`: ``multiplier``, ``target``, ``min_value`` and
        ``max_value`` float (NaN when blank), ``decimals`` Int64 (<NA> when blank),
        ``target_local_standard`` bool, the rest str (``counts_people`` one of
        :data:`COUNTS_PEOPLE`; ``true`` where the file has no such column). One row per
        indicator id.

    Raises
    ------
    CatalogueError
        Unreadable file, missing or unknown columns, bad values, duplicate ids.

    Examples
    --------
    >>> cat = load_catalogue()
    >>> cat.set_index("indicator_id").loc["C4", "unit"]
    '%'
    """
    cat = builtin_catalogue()
    if extra is None:
        return cat
    if isinstance(extra, pd.DataFrame):
        label = "the extra catalogue"
        raw = extra.astype(str).where(extra.notna(), "")
        raw.columns = [str(c).strip().lower() for c in raw.columns]
    else:
        label = str(extra)
        raw = _read(Path(extra), label)
    local = validate_catalogue(raw, label, local=True, known_ids=cat["indicator_id"])
    clash = local["indicator_id"].isin(cat["indicator_id"])
    if clash.any():
        ids = ", ".join(local.loc[clash, "indicator_id"])
        raise CatalogueError(
            f"{label} defines indicator id(s) {ids} that are already built in; give your own "
            "indicators new ids (for example prefix them L_) — built-in definitions cannot be replaced."
        )
    return pd.concat([cat, local], ignore_index=True)


@dataclass(frozen=True)
class IdentityTerm:
    """One term of an identity: ``sign`` (+1/-1) × the ``field`` (``numerator`` or
    ``denominator``) of ``indicator_id``'s row ``lag`` quarters away (0 this quarter, -1 the
    quarter before, -4 a year earlier), same council and breakdown; with ``parts`` the sum of that
    indicator's breakdown parts (``band:...``) of the row's council and quarter."""

    sign: int
    indicator_id: str
    field: str = "numerator"
    lag: int = 0
    parts: bool = False


@dataclass(frozen=True)
class Identity:
    """``field`` (``numerator`` or ``denominator``) of an indicator's row equals the sum of
    ``terms``."""

    field: str
    terms: tuple


_FIELDS = ("numerator", "denominator")
_PIECE_RE = re.compile(r"\s*([+-])?\s*(sum\(\s*[A-Za-z][A-Za-z0-9_]*\s*\)|[A-Za-z][A-Za-z0-9_]*"
                       r"(?:\.[a-z]+)?(?:\[\s*-?\d+\s*\])?)\s*")
_TERM_RE = re.compile(r"^(?:(sum)\(\s*([A-Za-z][A-Za-z0-9_]*)\s*\)|([A-Za-z][A-Za-z0-9_]*)(?:\.(numerator|denominator))?"
                      r"(?:\[\s*(-\d+)\s*\])?)$")


def parse_identity(text) -> list[Identity]:
    """Read a catalogue ``identity`` cell: equations separated by ``;``, each ``FIELD = TERMS``.

    ``FIELD`` is ``numerator`` or ``denominator`` (of the indicator's own row; ``value`` is read
    as ``numerator``, which a count or a difference holds). ``TERMS`` are joined by ``+`` or
    ``-``; a term is an indicator id (its numerator: the count it holds), ``ID.denominator``,
    either with ``[-1]`` (the quarter before) or ``[-4]`` (a year earlier), or ``sum(ID)`` (the
    sum of ID's breakdown parts in the same quarter; an equation with one ties the indicator's
    ``all`` row only). All rows meant are the same council's, and (but for ``sum``) of the same
    breakdown.

    Examples
    --------
    >>> [(e.field, [(t.sign, t.indicator_id, t.lag) for t in e.terms])
    ...  for e in parse_identity("numerator = W1 - W1[-1]")]
    [('numerator', [(1, 'W1', 0), (-1, 'W1', -1)])]

    Raises
    ------
    CatalogueError
        A cell that cannot be read.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or not str(text).strip():
        return []
    out = []
    for eq in str(text).split(";"):
        if not eq.strip():
            continue
        if eq.count("=") != 1:
            raise CatalogueError(f"{eq.strip()!r} is not one 'field = terms' equation")
        lhs, rhs = (x.strip() for x in eq.split("="))
        lhs = "numerator" if lhs.lower() == "value" else lhs.lower()
        if lhs not in _FIELDS:
            raise CatalogueError(f"the left side {lhs!r} is not numerator or denominator")
        pieces, pos, rhs = [], 0, rhs.strip()
        for m in _PIECE_RE.finditer(rhs):
            if m.start() != pos or (not m.group(1) and pieces):
                break
            pieces.append((m.group(1) or "+", m.group(2)))
            pos = m.end()
        if not pieces or pos != len(rhs):
            raise CatalogueError(f"{rhs!r} is not a sum of terms joined by + and -")
        terms = []
        for sign, term in pieces:
            m = _TERM_RE.match(term.strip())
            if not m:
                raise CatalogueError(f"{term!r} is not a term (ID, ID.denominator, ID[-1], sum(ID))")
            if m.group(1):
                terms.append(IdentityTerm(1 if sign == "+" else -1, m.group(2), "numerator", 0, True))
            else:
                terms.append(IdentityTerm(1 if sign == "+" else -1, m.group(3), m.group(4) or "numerator",
                                          int(m.group(5) or 0)))
        out.append(Identity(lhs, tuple(terms)))
    return out


def identities(catalogue: pd.DataFrame) -> dict[str, list[Identity]]:
    """Every declared identity of a catalogue: indicator id -> its equations (none for a
    catalogue without the ``identity`` column)."""
    if "identity" not in catalogue.columns:
        return {}
    out = {}
    for iid, text in zip(catalogue["indicator_id"], catalogue["identity"]):
        eqs = parse_identity(text)
        if eqs:
            out[str(iid)] = eqs
    return out


def resolve_target(indicator_id: str, catalogue: pd.DataFrame, targets=None) -> float | None:
    """The target of one indicator: the one rule every report and table follows.

    A council's own target (``targets``, the settings' ``[targets]`` table) wins; otherwise the
    catalogue's ``target`` column; otherwise there is none.

    Parameters
    ----------
    indicator_id : str
    catalogue : DataFrame
        The catalogue (with or without the settings' targets already written over it).
    targets : mapping, optional
        Indicator id -> target in the indicator's unit (``settings["targets"]``).

    Returns
    -------
    float or None
        None when neither gives a number (a blank target, or an id not in the catalogue).
    """
    value = dict(targets or {}).get(indicator_id)
    if value is None:
        known = catalogue.loc[catalogue["indicator_id"] == indicator_id, "target"] if "target" in catalogue else []
        value = known.iloc[0] if len(known) else None
    try:
        value = float(value)
    except (TypeError, ValueError):  # None, pd.NA, a blank
        return None
    return None if np.isnan(value) else value


def apply_targets(catalogue: pd.DataFrame, settings) -> pd.DataFrame:
    """The catalogue with ``settings["targets"]`` (indicator id -> target) written over its
    ``target`` column (:func:`resolve_target` for every indicator); a target overridden this way
    counts as a local standard.

    Raises
    ------
    CatalogueError
        A settings target names an indicator that is not in the catalogue.
    """
    targets = dict(settings.get("targets", {}) or {})
    if not targets:
        return catalogue
    unknown = sorted(set(targets) - set(catalogue["indicator_id"]))
    if unknown:
        raise CatalogueError(
            f"the settings give targets for indicator id(s) {', '.join(unknown)} that are not in the "
            "catalogue; correct the ids in [targets] (or add your own indicators with --catalogue)."
        )
    out = catalogue.copy()
    resolved = [resolve_target(i, catalogue, targets) for i in out["indicator_id"]]
    out["target"] = pd.Series(resolved, index=out.index, dtype="float64")
    hit = out["indicator_id"].isin(list(targets))
    out.loc[hit, "target_local_standard"] = True
    return out
