"""One run's context: its parameters checked once, and everything a report reads loaded once.

A report run needs the same things in every notebook: the checked parameters (``latest``
resolved, paths made absolute), the data folder's ``metadata.json`` and the banner it implies,
the settings, the catalogue (built-in plus the council's own indicators), the comparator group
and the indicator table. :func:`build_context` checks and loads them once and carries them on a
:class:`RunContext`. The runner builds the context before a kernel starts and hands it to the
notebook through the staging folder (:func:`hand_over`); the notebook's guard cell
(:func:`guard`) takes it from there, or, when a notebook is run by hand in JupyterLab, builds it
itself. Nothing else re-reads the TOML, re-resolves the group or reloads the table.

The context holds unsuppressed figures for every council (the whole indicator table): it is an
input of the run, never an output. The hand-over file is removed before anything is published.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from ot_benchmark.compare.benchmark import benchmark, resolve_group
from ot_benchmark.errors import OTBenchmarkError, ParameterError
from ot_benchmark.indicators.partial import FAMILY_EXTRACT, extract_span
from ot_benchmark.indicators import cache
from ot_benchmark.io.bundle import banner_of
from ot_benchmark.io.readers import folder_metadata
from ot_benchmark.io.reference import SCHEMES, comparator_group, council_name, councils
from ot_benchmark.io.published import read_reference_lines
from ot_benchmark.periods import Period, PeriodError, PeriodWords, parse_period, period_words, sorted_periods
from ot_benchmark.periods import latest_period as _latest_label
from ot_benchmark.report import disclosure, export
from ot_benchmark.report.export import show_notices
from ot_benchmark.report.tables import spc_by_indicator
from ot_benchmark.settings import Settings, load_settings, settings_path_for

__all__ = [
    "RunContext",
    "check_parameters",
    "build_context",
    "guard",
    "hand_over",
    "work_out",
    "published_rows",
    "HANDOVER_NAME",
    "latest_period",
    "authority_name",
]

#: the file in a staging folder through which the runner hands its context to the notebook
HANDOVER_NAME = ".run_context.pickle"
#: a council code no table holds: the group of a run with no comparators
_NO_COUNCIL = "E99999999"
_AUTHORITY_RE = re.compile(r"^[EWSN]\d{8}$")


# --------------------------------------------------------------------------------------------
# parameter checks (the one place)


def authority_name(code: str) -> str:
    """The council's name from the reference list, or the code itself when it is not listed."""
    try:
        return council_name(code)
    except OTBenchmarkError:  # a test code, or a council missing from the reference list
        return code


def _check_str(name: str, value, *, allow_empty: bool = False) -> str:
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, str):
        raise ParameterError(f"parameter {name!r} must be text, not {type(value).__name__} ({value!r})")
    if not allow_empty and not value.strip():
        raise ParameterError(f"parameter {name!r} is empty")
    return value


def latest_period(indicators: pd.DataFrame) -> str | None:
    """The latest quarter of an indicator table (:func:`ot_benchmark.periods.latest_period`)."""
    return _latest_label(indicators["period"].dropna().astype(str).unique())


def _check_group(authority: str, group: str, period: str | None = None) -> None:
    if group.lower() not in SCHEMES and not Path(group).is_file():
        raise ParameterError(f"comparator group {group!r} is not one of {', '.join(SCHEMES)} or an existing CSV file")
    comparator_group(authority, group, period=period)  # raises NoComparatorGroup (an OTBenchmarkError) with the reason


def check_parameters(
    *,
    data_dir,
    authority: str,
    period: str,
    group: str = "cipfa",
    settings_path="",
    cache_dir="",
    suppress: bool = True,
    indicators: pd.DataFrame | None = None,
) -> dict:
    """Check a report's parameters against the data; resolve ``period="latest"``.

    Parameters
    ----------
    data_dir, authority, period, group, settings_path, cache_dir, suppress
        As in docs/dev/RUNNER_CONTRACT.md.
    indicators : DataFrame, optional
        The indicator table (loaded from the cache when not given).

    Returns
    -------
    dict
        ``data_dir`` (absolute str), ``authority``, ``period`` (canonical label), ``group``,
        ``settings_path`` (absolute str or ""), ``cache_dir`` (absolute str), and
        ``indicators`` (the table checked against, so a caller need not load it again).

    Raises
    ------
    ParameterError
        Unknown council or period, wrong types, missing folder or file. A period is a
        quarter, a financial year or a month the data hold (a financial year asked of data that
        hold quarters is refused, saying how to ask for a year).
    """
    data_dir = _check_str("data_dir", data_dir)
    authority = _check_str("authority", authority).strip().upper().replace(" ", "")
    period = _check_str("period", period).strip()
    group = _check_str("group", group).strip()
    settings_path = _check_str("settings_path", settings_path if settings_path is not None else "", allow_empty=True)
    cache_dir = _check_str("cache_dir", cache_dir if cache_dir is not None else "", allow_empty=True)
    if not isinstance(suppress, bool):
        raise ParameterError(f"parameter 'suppress' must be True or False, not {suppress!r}")
    data = Path(data_dir).resolve()
    if not data.is_dir():
        raise ParameterError(f"data folder {data_dir!r} does not exist; give the folder holding the extracts (e.g. data/sample)")
    if not _AUTHORITY_RE.match(authority):
        raise ParameterError(f"authority {authority!r} is not an ONS council code such as E10000017 (Lancashire)")
    if period.lower() != "latest":
        try:
            period = parse_period(period).label
        except PeriodError as exc:
            raise ParameterError(str(exc)) from None
    if settings_path and not Path(settings_path).is_file():
        raise ParameterError(f"settings file {settings_path!r} does not exist; give a TOML file or leave it out for the defaults")
    settings_path = settings_path_for(data, settings_path)  # the data folder's own settings.toml, if any
    if indicators is None:
        indicators = cache.load_indicators(data, settings_path or None, cache_dir or None)
    codes = set(indicators["authority_code"].dropna().astype(str).unique())
    if authority not in codes:
        listed = ", ".join(f"{c} ({authority_name(c)})" for c in sorted(codes)[:20])
        raise ParameterError(
            f"council {authority} ({authority_name(authority)}) is not in the data in {data_dir}; "
            f"councils there: {listed}{' ...' if len(codes) > 20 else ''}"
        )
    periods = sorted_periods(indicators["period"].dropna().astype(str).unique())
    if not periods:
        raise ParameterError(f"the indicator table of {data_dir} has no periods")
    if period.lower() == "latest":
        period = latest_period(indicators)
    elif period not in periods:
        if parse_period(period).kind == "year" and not any(parse_period(p).kind == "year" for p in periods):
            # a financial year where the data hold quarters: say how to ask for a year
            raise ParameterError(
                f"period {period!r} is a financial year, and the data in {data_dir} hold quarters: the period of "
                f"the run is a quarter such as '{period} Q4' (or 'latest'). A report of a whole year takes the "
                f"year as its own parameter: the complaints annual report, for example, with --notebook "
                f"complaints_annual_report --period '{period} Q4' -p year={period}")
        raise ParameterError(f"period {period} is not in the data in {data_dir}; it covers {periods[0]} to {periods[-1]}")
    own = indicators.loc[indicators["authority_code"].astype(str) == authority, "period"].astype(str)
    if not (own == period).any():
        theirs = sorted_periods(own.unique())
        raise ParameterError(
            f"the data has no indicators for {authority} in {period}"
            + (f"; its periods run {theirs[0]} to {theirs[-1]}" if theirs else "")
        )
    if group not in ("", "none"):
        _check_group(authority, group, period)
    return {
        "data_dir": str(data),
        "authority": authority,
        "period": period,
        "group": group,
        "settings_path": str(Path(settings_path).resolve()) if settings_path else "",
        "cache_dir": str(Path(cache_dir).resolve()) if cache_dir else str(cache.default_cache_dir()),
        "indicators": indicators,
    }


# --------------------------------------------------------------------------------------------
# the context


@dataclass
class RunContext:
    """Everything one report run reads, checked and loaded once (see the module docstring).

    Plain attributes: ``data_dir``, ``output_dir``, ``cache_dir`` (absolute paths),
    ``settings_path`` (the file in use, None for the package defaults), ``authority``,
    ``period`` (canonical label), ``group`` (the scheme asked for), ``suppress``, ``banner``
    (None for real data), ``metadata`` (``metadata.json``), ``settings``, ``catalogue`` (with
    ``cat``, the same indexed by id), ``indicators`` (the whole table), ``neighbours`` and
    ``scheme`` (the comparator group, resolved once), ``council`` (the council's name) and
    ``names`` (code -> name). ``bench`` (the council against its group), ``previous`` (the
    council's rows a period earlier), ``published`` (the indicator table as published: the one
    suppression every view reads) and ``bundle`` (the validated data, for the case-level
    sections) are computed or loaded on first use.
    """

    data_dir: Path
    authority: str
    period: str
    group: str
    output_dir: Path
    cache_dir: Path
    suppress: bool
    settings_path: Path | None
    banner: str | None
    metadata: dict
    settings: Settings
    catalogue: pd.DataFrame
    indicators: pd.DataFrame
    neighbours: list[str]
    scheme: str
    names: pd.Series = field(repr=False)
    #: The runner draws the figures while the cells go on (it has a core to spare): the guard
    #: hands them over (:func:`ot_benchmark.report.export.hand_figures_over`).
    figures_drawn_by_runner: bool = False

    def __repr__(self) -> str:  # never the whole table in a notebook
        return f"RunContext({self.authority} {self.period}, group {self.scheme}, {len(self.indicators)} indicator rows)"

    @property
    def period_obj(self) -> Period:
        return parse_period(self.period)

    @property
    def words(self) -> PeriodWords:
        """How the report speaks of its periods (:func:`ot_benchmark.periods.period_words`):
        "quarter", "year" or "month" and the phrases built on them."""
        return period_words(self.period_obj)

    @cached_property
    def reference_lines(self) -> pd.DataFrame:
        """The data folder's reference lines (England's figures: never a council, never in a
        median), :func:`ot_benchmark.io.published.read_reference_lines`; no rows when it has none."""
        return read_reference_lines(self.data_dir)

    @property
    def synthetic(self) -> bool:
        return self.banner is not None

    @property
    def council(self) -> str:
        return str(self.names.get(self.authority, self.authority))

    @property
    def group_codes(self) -> list[str]:
        """The council followed by its comparators."""
        return [self.authority] + list(self.neighbours)

    @cached_property
    def cat(self) -> pd.DataFrame:
        return self.catalogue.set_index("indicator_id")

    @cached_property
    def comparators_with_data(self) -> list[str]:
        """The comparator councils that supplied a figure for the run's quarter (in group order)."""
        ind = self.indicators
        with_value = pd.to_numeric(ind["value"], errors="coerce").notna() & (ind["period"].astype(str) == self.period)
        have = set(ind.loc[with_value, "authority_code"].astype(str))
        return [c for c in self.neighbours if c in have]

    @property
    def compare_mode(self) -> str:
        """``"none"`` (no comparator council has a figure, or no group was chosen: the report
        shows the council's own trends only), ``"partial"`` (some of the group's councils
        supplied figures) or ``"full"``."""
        n = len(self.comparators_with_data)
        if n == 0:
            return "none"
        return "partial" if n < len(self.neighbours) else "full"

    @cached_property
    def bench(self) -> pd.DataFrame:
        """:func:`ot_benchmark.compare.benchmark.benchmark` of the council for the period (with no
        comparator group, every row is ``not_compared``)."""
        # benchmark() refuses an empty group (a scheme with no neighbours is an error there); a
        # run without comparators still needs the council's own rows, compared with nobody
        group = self.neighbours if self.neighbours else [_NO_COUNCIL]
        table = benchmark(self.indicators, self.authority, self.period, group, catalogue=self.catalogue)
        table["comparator_scheme"] = self.scheme
        table.attrs["comparator_codes"] = list(self.neighbours)
        return table

    @cached_property
    def published(self) -> pd.DataFrame:
        """The indicator table up to the run's quarter as it is published: every council's rows
        suppressed at once (:func:`ot_benchmark.report.disclosure.suppress_indicators`: small
        numbers and every cell that would let one be worked out, across quarters, indicators and
        identities), so that every table, sentence and chart of the run hides the same cells. The
        table itself when the run is analyst-only."""
        if not self.suppress:
            return self.indicators[self.indicators["period"].astype(str) <= self.period]
        return published_rows(self.indicators, self.period, self.catalogue)

    @cached_property
    def bundle(self):
        """The council's slice of the data folder's validated :class:`~ot_benchmark.io.bundle.DataBundle`
        (its rows of every table, the folder's rejects, coverage and completeness: from the cache,
        :func:`ot_benchmark.indicators.cache.load_bundle`)."""
        return cache.load_bundle(self.data_dir, self.cache_dir, authority=self.authority)

    @cached_property
    def rejected_rows(self) -> pd.DataFrame | None:
        """:meth:`~ot_benchmark.io.bundle.DataBundle.rejected_rows` of the data folder, or None when
        the folder cannot be re-read (an indicator table supplied ready-made, as in tests)."""
        try:
            return self.bundle.rejected_rows()
        except OTBenchmarkError:
            return None

    @cached_property
    def spc_table(self) -> pd.DataFrame:
        """Making Data Count's reading of every one of the council's measures for the run's period
        (:func:`ot_benchmark.report.tables.spc_by_indicator`), worked out once for the key messages,
        the summary and the analyst tables."""
        return spc_by_indicator(self.indicators, self.authority, self.period, self.catalogue, settings=self.settings)

    @cached_property
    def previous(self) -> pd.DataFrame:
        """The council's indicator rows for the period before this one, which the sentences compare
        with ("up from 35"); none of a family whose extract starts after that period began (a part
        period is no base for a change: :mod:`ot_benchmark.indicators.partial`)."""
        ind = self.indicators
        before = self.period_obj.previous()
        rows = ind[(ind["authority_code"] == self.authority) & (ind["period"] == before.label)]
        try:
            bundle = self.bundle
        except OTBenchmarkError:  # a table supplied ready-made: no extract to read its span from
            return rows
        part = [fam for fam, table in FAMILY_EXTRACT.items()
                if pd.notna(start := extract_span(bundle, table)[0]) and start > pd.Timestamp(before.start)]
        if not part:
            return rows
        families = rows["indicator_id"].map(self.catalogue.set_index("indicator_id")["family"])
        return rows[~families.isin(part).to_numpy()]


def published_rows(indicators: pd.DataFrame, period: str, catalogue: pd.DataFrame | None) -> pd.DataFrame:
    """An indicator table's rows up to ``period`` as published: suppressed all at once
    (:func:`ot_benchmark.report.disclosure.suppress_indicators`). Suppression decides within one
    council's table (every quarter, indicator and identity; never across councils), so a
    council's rows come out the same whichever other councils are in the table (tested): a batch
    suppresses its whole table once and every report takes its group's rows from it."""
    return disclosure.suppress_indicators(indicators[indicators["period"].astype(str) <= period], catalogue=catalogue)


def work_out(ctx: RunContext) -> None:
    """Work out now what every report reads and has not been given: the table as published,
    the comparison with the group and the SPC readings (not the data folder: the context would
    carry the council's rows to the notebook, which reads them itself). The runner calls this
    while the kernel boots, and the context carries the results to the notebook. Whatever fails
    here is left for the notebook, which meets the same failure where a report says what went
    wrong."""
    try:
        ctx.published, ctx.bench, ctx.spc_table  # noqa: B018 - cached on the context
    except Exception:  # noqa: BLE001 - the notebook works it out again and reports the error
        pass


def _output_dir(output_dir, authority: str) -> Path:
    if output_dir in (None, ""):
        base = cache.project_root() or Path.cwd()
        out = base / "outputs" / "_scratch" / authority
    else:
        out = Path(output_dir)
    return out.resolve()


def build_context(
    *,
    data_dir,
    authority: str,
    period: str,
    group: str = "cipfa",
    output_dir="",
    cache_dir="",
    suppress: bool = True,
    settings_path="",
    indicators: pd.DataFrame | None = None,
) -> RunContext:
    """Check the parameters and load what the run reads, once. Creates no folder."""
    resolved = check_parameters(
        data_dir=data_dir, authority=authority, period=period, group=group,
        settings_path=settings_path, cache_dir=cache_dir, suppress=suppress, indicators=indicators,
    )
    data = Path(resolved["data_dir"])
    settings_file = Path(resolved["settings_path"]) if resolved["settings_path"] else None
    settings = load_settings(settings_file)
    metadata = folder_metadata(data)
    if resolved["group"] in ("", "none"):
        neighbours, scheme = [], "none"
    else:
        # the councils of the group that existed in the run's period (england, region, type)
        neighbours, scheme = resolve_group(resolved["authority"], resolved["group"], period=resolved["period"])
    return RunContext(
        data_dir=data,
        authority=resolved["authority"],
        period=resolved["period"],
        group=resolved["group"],
        output_dir=_output_dir(output_dir, resolved["authority"]),
        cache_dir=Path(resolved["cache_dir"]),
        suppress=bool(suppress),
        settings_path=settings_file,
        banner=banner_of(metadata),
        metadata=metadata,
        settings=settings,
        catalogue=settings.catalogue(),
        indicators=resolved["indicators"],
        neighbours=list(neighbours),
        scheme=scheme,
        names=councils("all").set_index("ons_code")["name"],
    )


def hand_over(ctx: RunContext, staging: Path) -> Path:
    """Write the context into a staging folder for the notebook's guard to take (runner side)."""
    path = Path(staging) / HANDOVER_NAME
    with path.open("wb") as fh:
        pickle.dump(ctx, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _taken_over(output_dir, **params) -> RunContext | None:
    """The context the runner handed over in ``output_dir``, if it is for these parameters."""
    if output_dir in (None, ""):
        return None
    path = Path(output_dir) / HANDOVER_NAME
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        ctx = pickle.load(fh)
    same = (
        isinstance(ctx, RunContext)
        and Path(params["data_dir"]).resolve() == ctx.data_dir
        and str(params["authority"]).strip().upper() == ctx.authority
        and str(params["period"]) == ctx.period
        and str(params["group"]) == ctx.group
        and bool(params["suppress"]) == ctx.suppress
    )
    return ctx if same else None


def guard(
    *,
    data_dir: str,
    authority: str,
    period: str,
    group: str = "cipfa",
    output_dir: str = "",
    cache_dir: str = "",
    suppress: bool = True,
    settings_path: str = "",
    display: bool = True,
) -> RunContext:
    """The notebook's guard cell: take the runner's context (or build it), set the notebook up.

    Creates ``output_dir`` (``""`` means ``outputs/_scratch/<authority>``), sets pandas display
    options and shows the synthetic-data banner and the analyst-only notice.

    Raises
    ------
    ot_benchmark.errors.ParameterError
        With a message saying what is wrong.
    """
    ctx = _taken_over(output_dir, data_dir=data_dir, authority=authority, period=period, group=group,
                      suppress=suppress)
    if ctx is not None:
        export.defer_workbook(ctx.output_dir)  # the runner writes tables.xlsx once, at the end
        if ctx.figures_drawn_by_runner:
            export.hand_figures_over(ctx.output_dir)
    else:
        ctx = build_context(data_dir=data_dir, authority=authority, period=period, group=group,
                            output_dir=output_dir, cache_dir=cache_dir, suppress=suppress,
                            settings_path=settings_path)
    ctx.output_dir.mkdir(parents=True, exist_ok=True)
    pd.set_option("display.max_columns", 60)
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.width", 200)
    if display:
        show_notices(ctx.banner, ctx.suppress)
    return ctx
