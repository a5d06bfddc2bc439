"""The indicator engine: case-level extracts and comparators' returns -> one tidy indicator table.

``compute_indicators(data)`` runs every indicator family (``ot_benchmark.indicators``) over the
case-level extracts, adds the comparators' aggregate ``returns`` (``source = "return"``), and
fills the confidence intervals the same way for both (``ot-benchmark indicators`` writes it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from ot_benchmark.catalogue import INTERVAL_METHODS, apply_targets, load_catalogue
from ot_benchmark.errors import OTBenchmarkError, ParameterError
from ot_benchmark.indicators.partial import withhold_partial_changes
from ot_benchmark.indicators import FAMILY_MODULES
from ot_benchmark.indicators._common import CI_COLUMNS, TABLE_COLUMNS, IndicatorContext, concat_rows
from ot_benchmark.io.bundle import PLANNED_DATES, DataBundle
from ot_benchmark.io.validate import load_data
from ot_benchmark.periods import AnyPeriod, FinancialYear, Month, Period, parse_period, period_range
from ot_benchmark.settings import Settings, load_settings, settings_path_for
from ot_benchmark.stats.intervals import add_intervals

__all__ = [
    "compute_indicators",
    "load_for_indicators",
    "COLUMNS_USED",
    "covered_periods",
    "returns_rows",
    "TABLE_COLUMNS",
]

_KEY = ["authority_code", "period", "indicator_id"]

#: The columns the indicator families read from the two big extracts (every other table is read
#: whole). :func:`load_for_indicators` keeps only these, compactly (the validator keeps every
#: date column too: the dates say which quarters a council's extract covers).
COLUMNS_USED = {
    "referrals": ("referral_id", "authority_code", "referral_date", "priority", "allocated_date",
                  "first_assessment_date", "review_start_date", "closure_date", "team"),
    "equipment": ("authority_code", "item_value_gbp", "from_recycled_stock", "ordered_date", "decision_date",
                  "delivered_date", "collection_requested_date", "collected_date", "collection_outcome"),
}


def load_for_indicators(data_dir, **kwargs) -> DataBundle:
    """A data folder read and validated for computing its indicators: every row checked as by
    :func:`~ot_benchmark.io.validate.load_data` (the same rows accepted), but only the columns
    the families read kept (:data:`COLUMNS_USED`), codes and categories as categoricals."""
    bundle = load_data(data_dir, columns=COLUMNS_USED, **kwargs)
    _return_memory()
    return bundle


# ------------------------------------------------------------------------------------------
# inputs
# ------------------------------------------------------------------------------------------
def _as_bundle(data) -> DataBundle:
    if isinstance(data, DataBundle):
        return data
    if isinstance(data, (str, Path)):
        return load_for_indicators(data)
    raise ParameterError(
        f"compute_indicators needs a DataBundle or the path of a data folder, not {type(data).__name__}; "
        "use ot_benchmark.load_data(folder) or DataBundle.from_frames(referrals=...)."
    )


def covered_periods(bundle: DataBundle) -> list[AnyPeriod]:
    """Every period the data cover, in time order.

    ``metadata.json`` may say so (``first_period``, ``last_period``, of one kind: the synthetic
    generator writes both, because its extracts also hold older referrals still open at the
    start); otherwise the quarters from the quarter of the earliest date in any case-level
    extract (or the earliest quarter of the returns or finance) to the quarter of the latest,
    and, for returns given for financial years or months, every year (month) from the first to
    the last the returns hold — a year with no figure inside that span is kept, as a gap; planned
    dates aside (a complaint's or a remedy's due date, :data:`~ot_benchmark.io.bundle.PLANNED_DATES`).
    """
    md = bundle.metadata or {}
    if md.get("first_period") and md.get("last_period"):
        return period_range(md["first_period"], md["last_period"])
    lo: list[pd.Timestamp] = []
    hi: list[pd.Timestamp] = []
    for name, df in bundle.tables.items():
        if name in ("returns", "finance") or df is None or len(df) == 0:
            continue
        for c in df.columns:
            if (name, c) in PLANNED_DATES:  # a due date can lie after the extract's end
                continue
            if pd.api.types.is_datetime64_any_dtype(df[c]):
                first, last = df[c].min(), df[c].max()  # NaT skipped
                if pd.notna(first):
                    lo.append(first)
                    hi.append(last)
    by_kind: dict[str, list] = {}
    if lo:
        by_kind["quarter"] = [Period.from_date(min(lo)), Period.from_date(max(hi))]
    for name in ("returns", "finance"):
        df = bundle.get(name)
        if df is not None and len(df):
            for p in (parse_period(x) for x in pd.unique(df["period"].dropna())):
                by_kind.setdefault(p.kind, []).append(p)
    if not by_kind:
        raise ParameterError("the data hold no dates and no returns, so there is no period to compute; check the data folder.")
    out = [p for ps in by_kind.values() for p in period_range(min(ps), max(ps))]
    return sorted(out)


def _resolve_periods(periods, bundle: DataBundle) -> list[AnyPeriod]:
    if periods is None:
        return covered_periods(bundle)
    if isinstance(periods, (str, Period, FinancialYear, Month)):
        periods = [periods]
    out = sorted({parse_period(p) for p in periods})
    if not out:
        raise ParameterError("no periods given; pass e.g. periods=['2024-25 Q1'] or leave it out for every period in the data.")
    return out


def _contiguous(periods: list[AnyPeriod]) -> list[Period]:
    """The families compute quarters only, and need consecutive ones (previous-quarter measures):
    the quarters among ``periods``, gaps filled."""
    quarters = sorted(p for p in periods if p.kind == "quarter")
    return period_range(quarters[0], quarters[-1]) if quarters else []


def _has_case_level(bundle: DataBundle) -> bool:
    return any(name != "returns" and df is not None and len(df) for name, df in bundle.tables.items())


# ------------------------------------------------------------------------------------------
# returns
# ------------------------------------------------------------------------------------------
def _decimals(v: np.ndarray) -> np.ndarray:
    """Decimal places a supplied value was rounded to (0..6), for the rounding tolerance."""
    d = np.full(v.shape, 6, dtype="int64")
    for k in range(6, -1, -1):
        with np.errstate(invalid="ignore"):
            hit = np.isclose(np.round(v, k), v, rtol=0, atol=1e-9)
        d = np.where(hit, k, d)
    return d


def returns_rows(returns: pd.DataFrame, catalogue: pd.DataFrame, labels: Iterable[str] | None = None) -> pd.DataFrame:
    """Comparators' aggregate returns as indicator-table rows (``source = "return"``).

    ``value`` is computed from numerator and denominator × multiplier when blank (``count``:
    the numerator; ``ratio`` with no denominator: numerator × multiplier; ``mean``/``median``:
    the value must be supplied). A supplied value that disagrees with its numerator and
    denominator by more than the rounding of the supplied figure (half a unit in its last
    decimal place) raises an error naming the row. Impossible inputs (a negative count, a
    numerator above the denominator of a proportion, a zero denominator) give value NaN and a
    note.

    Raises
    ------
    OTBenchmarkError
        An indicator id that is not in the catalogue, or a value that contradicts its
        numerator and denominator.
    """
    r = returns.copy()
    if labels is not None:
        r = r[r["period"].isin(list(labels))]
    if "breakdown" not in r:
        r["breakdown"] = "all"
    r["breakdown"] = r["breakdown"].astype(object).where(r["breakdown"].notna() & (r["breakdown"].astype(str).str.strip() != ""), "all")
    if "note" not in r:
        r["note"] = None
    cat = catalogue.set_index("indicator_id")
    unknown = ~r["indicator_id"].isin(cat.index)
    if unknown.any():
        bad = r.loc[unknown, ["authority_code", "period", "indicator_id"]].drop_duplicates("indicator_id").head(5)
        desc = "; ".join(f"{a} {p} {i!r}" for a, p, i in bad.itertuples(index=False))
        raise OTBenchmarkError(
            f"the returns table names indicator id(s) that are not in the catalogue: {desc}. "
            "Correct the id; or, if these are your council's own indicators, define them in a catalogue "
            "CSV and name it in your settings file (local_catalogue = \"local_indicators.csv\") passed "
            "with --settings (or give the CSV with --catalogue)."
        )
    method = r["indicator_id"].map(cat["method"]).to_numpy(dtype=object)
    mult = r["indicator_id"].map(cat["multiplier"]).to_numpy(dtype="float64")
    num = pd.to_numeric(r["numerator"], errors="coerce").to_numpy(dtype="float64")
    den = pd.to_numeric(r["denominator"], errors="coerce").to_numpy(dtype="float64")
    sup = pd.to_numeric(r["value"], errors="coerce").to_numpy(dtype="float64")

    has_num, has_den = np.isfinite(num), np.isfinite(den)
    with np.errstate(divide="ignore", invalid="ignore"):
        from_ratio = num / den * mult
    computed = np.full(len(r), np.nan)
    by_ratio = np.isin(method, ["proportion", "rate", "ratio"]) & has_num & has_den & (den > 0)
    computed = np.where(by_ratio, from_ratio, computed)
    by_num = np.isin(method, ["count", "ratio"]) & has_num & ~has_den
    computed = np.where(by_num, num * mult, computed)

    note = r["note"].astype(object).where(r["note"].notna() & (r["note"].astype(str).str.strip() != ""), None).to_numpy(dtype=object)
    impossible = np.zeros(len(r), dtype=bool)
    reasons = np.full(len(r), None, dtype=object)
    checks = [
        (np.isin(method, ["proportion", "rate", "count"]) & has_num & (num < 0), "a negative numerator"),
        (has_den & (den < 0), "a negative denominator"),
        (np.isin(method, ["proportion", "rate", "ratio"]) & has_num & has_den & (den == 0), "a zero denominator"),
        ((method == "proportion") & has_num & has_den & (num > den), "a numerator above the denominator"),
    ]
    for mask, why in checks:
        new = mask & ~impossible
        reasons = np.where(new, f"no value: the return has {why}", reasons)
        impossible |= mask

    # a supplied value must agree with num/den (beyond rounding)
    tol = 0.5 * 10.0 ** (-_decimals(sup)) + 1e-9 * np.maximum(1.0, np.abs(sup))
    both = np.isfinite(sup) & np.isfinite(computed) & ~impossible
    clash = both & (np.abs(sup - computed) > tol)
    if clash.any():
        i = int(np.flatnonzero(clash)[0])
        row = r.iloc[i]
        more = int(clash.sum()) - 1
        raise OTBenchmarkError(
            f"returns row {row['authority_code']} {row['period']} {row['indicator_id']} ({row['breakdown']}): "
            f"value {sup[i]:g} disagrees with numerator {num[i]:g} / denominator {den[i]:g} "
            f"(= {computed[i]:.6g}){f' and {more} more row(s) disagree' if more > 0 else ''}. "
            "Correct the value or the counts, or leave the value blank to have it computed."
        )
    value = np.where(np.isfinite(sup) & ~impossible, sup, computed)
    value = np.where(impossible, np.nan, value)
    missing = ~np.isfinite(value) & ~impossible
    reasons = np.where(
        missing & np.isin(method, ["mean", "median"]),
        "no value: the return gives no value (a mean or median cannot be computed from counts)",
        np.where(missing, "no value: the return gives neither a value nor a usable numerator and denominator", reasons),
    )
    note = np.where(pd.isna(reasons), note, reasons)
    out = pd.DataFrame(
        {
            "authority_code": r["authority_code"].to_numpy(dtype=object),
            "period": r["period"].to_numpy(dtype=object),
            "indicator_id": r["indicator_id"].to_numpy(dtype=object),
            "breakdown": r["breakdown"].to_numpy(dtype=object),
            "numerator": num,
            "denominator": den,
            "value": value,
            "note": note,
        }
    )
    return out


def _resolve_indicators(indicators, cat: pd.DataFrame) -> frozenset | None:
    """The indicator ids asked for, checked against the catalogue (None: all)."""
    if indicators is None:
        return None
    ids = [indicators] if isinstance(indicators, str) else [str(i) for i in indicators]
    unknown = sorted(set(ids) - set(cat["indicator_id"]))
    if unknown or not ids:
        raise ParameterError(f"unknown indicator id(s) {', '.join(unknown)}; ids are in the catalogue "
                             "(ot_benchmark/data/catalogue.csv), e.g. W1, W5, E1." if unknown else
                             "no indicator ids given; pass e.g. indicators=['W1'] or leave it out for all.")
    return frozenset(ids)


def _check_duplicates(case: pd.DataFrame, ret: pd.DataFrame) -> None:
    if case.empty or ret.empty:
        return
    both = case[_KEY].drop_duplicates().merge(ret[_KEY].drop_duplicates(), on=_KEY)
    if both.empty:
        return
    shown = both.head(5)
    lines = []
    for a, p, i in shown.itertuples(index=False):
        rv = ret[(ret["authority_code"] == a) & (ret["period"] == p) & (ret["indicator_id"] == i)].iloc[0]
        cv = case[(case["authority_code"] == a) & (case["period"] == p) & (case["indicator_id"] == i)].iloc[0]
        lines.append(
            f"{a} {p} {i}: case-level value {cv['value']:g} (breakdown {cv['breakdown']}) and return value "
            f"{rv['value']:g} (breakdown {rv['breakdown']})"
        )
    more = f" (and {len(both) - 5} more)" if len(both) > 5 else ""
    raise OTBenchmarkError(
        "the same council, period and indicator arrive both from case-level data and from the returns "
        f"table: {'; '.join(lines)}{more}. Keep one source: remove the return rows for councils whose "
        "case-level extracts are in the folder, or remove that council's extracts."
    )


# ------------------------------------------------------------------------------------------
# the engine
# ------------------------------------------------------------------------------------------
def _return_memory() -> None:
    """Give memory freed by the last step back to the system (pyarrow's pool keeps what it
    freed, and so does the C allocator's heap), so that the next step starts from the data,
    not from the last step's peak. Nothing changes but the process's resident size."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


try:  # glibc (Linux): malloc_trim returns the free pages of the heap
    _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _LIBC.malloc_trim
except (OSError, AttributeError, TypeError):  # another C library: nothing to trim
    _LIBC = None


def _run_families(ctx: IndicatorContext, families: Iterable[str] | None) -> pd.DataFrame:
    wanted = list(FAMILY_MODULES) if families is None else [f.upper() for f in families]
    frames = []
    for fam in wanted:
        if fam not in FAMILY_MODULES:
            raise ParameterError(f"unknown indicator family {fam!r}; families are {', '.join(FAMILY_MODULES)}.")
        mod = importlib.import_module(f"ot_benchmark.indicators.{FAMILY_MODULES[fam]}")
        frames.append(mod.compute(ctx))
        _return_memory()
    return concat_rows(frames)


def _order(table: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    key = pd.Index(catalogue["indicator_id"]).get_indexer(table["indicator_id"])
    key = np.where(key < 0, len(catalogue), key)
    # stable sort: within an indicator the breakdowns keep the families' natural order
    # (all, then priorities urgent..low, bands shortest first)
    table = table.assign(_k=key).sort_values(["authority_code", "period", "_k"], kind="mergesort")
    return table.drop(columns="_k").reset_index(drop=True)


def compute_indicators(
    data,
    periods=None,
    *,
    settings: "str | Path | Mapping | Settings | None" = None,
    catalogue: "str | Path | pd.DataFrame | None" = None,
    families: Iterable[str] | None = None,
    indicators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The tidy indicator table: one row per council × period × indicator × breakdown.

    Parameters
    ----------
    data : DataBundle or path
        A validated bundle (:func:`ot_benchmark.load_data`, ``DataBundle.from_frames``) or the
        path of a data folder.
    periods : sequence of str/Period, str, or None
        Periods to report: quarters (``"2024-25 Q2"``), and for returns also financial years
        (``"2022-23"``) and months (``"May 2024"``). Default: every period the data cover
        (:func:`covered_periods`). The case-level families compute quarters only; returns
        rows are taken for whatever period they are given for.
    settings : path, mapping, Settings or None
        Council settings merged over the defaults (:func:`ot_benchmark.load_settings`).
    catalogue : path, DataFrame or None
        A council's own catalogue file (merged with the built-in one by
        :func:`ot_benchmark.load_catalogue`), or a full catalogue DataFrame as returned by
        ``load_catalogue``. None (the default) takes the catalogue the settings call for
        (:meth:`ot_benchmark.settings.Settings.catalogue`: the built-in one plus the file named
        by the ``local_catalogue`` setting, if any); a catalogue given here replaces that.
    families : iterable of str, optional
        Only these families (``"W"``, ``"C"``, ...). Default: all.
    indicators : iterable of str, optional
        Only these indicator ids (``["W1", "E1"]``); the families compute nothing they need
        not (no Kaplan–Meier curves without W6k, for example). Default: all. Returns rows of
        other indicators are left out too.

    Returns
    -------
    DataFrame
        Columns ``authority_code, period, indicator_id, breakdown, numerator, denominator,
        value, unit, lower_95, upper_95, lower_998, upper_998, ci_method, source, note``
        (``docs/ARCHITECTURE.md``). ``attrs["settings"]`` holds the settings used (and their
        source file), ``attrs["periods"]`` the quarters, ``attrs["targets"]`` the target of
        each indicator that has one (catalogue, overridden by ``settings["targets"]``),
        ``attrs["banner"]`` the synthetic-data banner (None for real data).

    Raises
    ------
    OTBenchmarkError
        Unknown indicator ids or inconsistent values in the returns; the same council, period
        and indicator both computed from case-level data and supplied as a return.
    """
    bundle = _as_bundle(data)
    if settings is None and bundle.source_dir is not None:
        settings = settings_path_for(bundle.source_dir) or None
    st = load_settings(settings)
    if isinstance(catalogue, pd.DataFrame) and "kind" in catalogue and "multiplier" in catalogue:
        cat = catalogue.reset_index(drop=True)
    elif catalogue is None:
        cat = st.catalogue(targets=False)  # built-in + the settings' local_catalogue
    else:
        cat = load_catalogue(catalogue)
    cat = apply_targets(cat, st)
    wanted = _resolve_periods(periods, bundle)
    labels = [p.label for p in wanted]
    quarters = _contiguous(wanted)
    ids = _resolve_indicators(indicators, cat)
    families = None if families is None else list(families)
    if ids is not None and families is None:  # the families of the indicators asked for, in their order
        fam = set(cat.loc[cat["indicator_id"].isin(ids), "family"].astype(str).str.upper())
        families = [f for f in FAMILY_MODULES if f in fam]
    if quarters and _has_case_level(bundle) and (families is None or families):
        ctx = IndicatorContext(bundle=bundle, periods=quarters, settings=st, catalogue=cat, indicators=ids)
        case = _run_families(ctx, families)
        case = withhold_partial_changes(case[case["period"].isin(labels)], bundle)  # no part-period changes
        if ids is not None:
            case = case[case["indicator_id"].isin(ids)]
    else:  # a folder of aggregate figures (returns only), or only years or months asked for
        case = pd.DataFrame({c: pd.Series(dtype="float64" if c in ("numerator", "denominator", "value") else object)
                             for c in TABLE_COLUMNS if c not in ("unit", "source")})
    unknown = set(pd.unique(case["indicator_id"])) - set(cat["indicator_id"])
    if unknown:  # a programming error in a family, not a user error
        raise RuntimeError(f"indicator families produced ids missing from the catalogue: {sorted(unknown)}")
    case = case.assign(source="case_level")

    ret_df = bundle.get("returns")
    if ret_df is not None and len(ret_df):
        ret = returns_rows(ret_df, cat, labels).assign(source="return")
        if ids is not None:
            ret = ret[ret["indicator_id"].isin(ids)]
    else:
        ret = pd.DataFrame(columns=list(case.columns))
    _check_duplicates(case, ret)

    table = pd.concat([f for f in (case, ret) if len(f)], ignore_index=True, sort=False) if (len(case) or len(ret)) else case
    for c in CI_COLUMNS:
        if c not in table:
            table[c] = np.nan if c != "ci_method" else None
    table = _intervals(table, cat)
    table["unit"] = _catalogue_column(table, cat, "unit")
    for c in TABLE_COLUMNS:
        if c not in table:
            table[c] = None
    table = table[TABLE_COLUMNS]
    for c in ("numerator", "denominator", "value", "lower_95", "upper_95", "lower_998", "upper_998"):
        table[c] = pd.to_numeric(table[c], errors="coerce").astype("float64")
    for c in ("authority_code", "period", "indicator_id", "breakdown", "unit", "ci_method", "source", "note"):
        table[c] = table[c].astype("str").where(table[c].notna(), None) if c == "note" else table[c].astype("str")
    table = _order(table, cat)
    table.attrs["settings"] = st.to_dict()
    table.attrs["periods"] = labels
    table.attrs["targets"] = {k: float(v) for k, v in cat.set_index("indicator_id")["target"].dropna().items()}
    table.attrs["banner"] = bundle.banner
    table.attrs["synthetic"] = bundle.synthetic
    return table


def _catalogue_column(table: pd.DataFrame, cat: pd.DataFrame, column: str) -> np.ndarray:
    """The catalogue's ``column`` for each row's indicator (None where it has none): one hash
    look-up per row, not a Python call."""
    pos = pd.Index(cat["indicator_id"]).get_indexer(table["indicator_id"])
    return np.r_[cat[column].to_numpy(dtype=object), None][pos]


def _intervals(table: pd.DataFrame, cat: pd.DataFrame) -> pd.DataFrame:
    """Intervals for proportion / rate / count rows that have none yet (both sources alike);
    every other row without an interval gets ``ci_method = "none"``."""
    method = pd.Series(_catalogue_column(table, cat, "method"), index=table.index)
    unset = table["ci_method"].isna() | (table["ci_method"].astype(object) == "")
    todo = (unset & method.isin(INTERVAL_METHODS)).to_numpy()
    table = table.copy()
    table["ci_method"] = table["ci_method"].astype(object)
    if todo.any():
        part = add_intervals(table.loc[todo, ["indicator_id", "numerator", "denominator"]], cat)
        for c in CI_COLUMNS:
            table.loc[todo, c] = part[c].to_numpy(dtype=object if c == "ci_method" else "float64")
    # a row without a value never carries an interval
    rest = (table["ci_method"].isna() | ~np.isfinite(table["value"].to_numpy(dtype="float64"))).to_numpy()
    table.loc[rest, CI_COLUMNS[:4]] = np.nan
    table.loc[rest, "ci_method"] = "none"
    return table
