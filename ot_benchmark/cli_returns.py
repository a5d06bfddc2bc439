"""Real comparator data in and out: the ``return`` and ``import-published`` commands.

``ot-benchmark return --data DIR --authority CODE --period P --out FILE``
    A council's own figures (computed from its case-level extracts) written in the data
    contract's ``returns`` shape, with small-number suppression applied
    (:mod:`ot_benchmark.report.disclosure`), so a neighbour can drop the file into its data
    folder as ``returns.csv`` unchanged: a figure withheld for small numbers is left out, a count
    withheld beside a figure that can be shown is left blank.

``ot-benchmark import-published FILE [FILE ...] --mapping M --out DIR``
    A long published table (council code or name, period, measure, value, optional numerator and
    denominator, England and regional rows) turned into a data folder of ``returns`` plus local
    catalogue entries, with the England figures kept as reference lines
    (:mod:`ot_benchmark.io.published`).

This module is in the command-line layer (it may import every other layer); ``cli.py`` registers
the commands.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ot_benchmark.errors import DataContractError, ParameterError
from ot_benchmark.io.published import RETURN_COLUMNS, import_published, peer_group_file, read_mapping, write_folder
from ot_benchmark.io.validate import validate_folder
from ot_benchmark.periods import latest_period, parse_period
from ot_benchmark.report import disclosure

__all__ = [
    "council_return",
    "configure_return_parser",
    "run_return",
    "configure_import_published_parser",
    "run_import_published",
]


# --------------------------------------------------------------------------------------------
# a return out
# --------------------------------------------------------------------------------------------
def council_return(indicators: pd.DataFrame, authority: str, period, *, catalogue: pd.DataFrame | None = None,
                   banner: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A council's own figures for one period as ``returns`` rows, fit to publish.

    Parameters
    ----------
    indicators : DataFrame
        The indicator table (:func:`ot_benchmark.indicators.engine.compute_indicators`).
    authority : str
        ONS code of the council; its case-level rows are taken (rows it holds only as returns
        from elsewhere are not passed on).
    period : str or period
        The period, or ``"latest"`` (the last period the council has figures for).
    catalogue : DataFrame, optional
        For which counts are people (small-number suppression).
    banner : str, optional
        The synthetic-data banner: written in every row's ``note`` so the figures never pass for
        real ones.

    Returns
    -------
    (returns, withheld)
        ``returns``: columns ``authority_code, period, indicator_id, breakdown, numerator,
        denominator, value, note`` — small counts (1 to 4 people) and anything that would reveal
        them by subtraction are withheld (:func:`ot_benchmark.report.disclosure.suppress_indicators`):
        a row whose value is withheld is left out, a withheld count is left blank. Rows with no
        value are left out (a return needs one). ``withheld``: the rows left out and why.
    """
    authority = str(authority).strip().upper()
    t = indicators[(indicators["authority_code"] == authority)]
    if "source" in t:
        t = t[t["source"].astype(str) == "case_level"]
    if t.empty:
        raise ParameterError(f"the data hold no case-level figures for {authority}; check --authority "
                             "(a return is made from the council's own extracts)")
    if str(period).strip().lower() == "latest":
        label = latest_period(t["period"])
    else:
        label = parse_period(period).label
    rows = t[t["period"] == label].copy()
    if rows.empty:
        raise ParameterError(f"the data hold no figures for {authority} in {label}; check --period "
                             f"(it has {', '.join(pd.unique(t['period'])[:8])} ...)")
    rows = rows.reset_index(drop=True)
    no_value = ~np.isfinite(pd.to_numeric(rows["value"], errors="coerce").to_numpy(dtype="float64"))
    shown = disclosure.suppress_indicators(rows, catalogue=catalogue)
    value_withheld = disclosure.is_marked(shown["value"]).to_numpy(dtype=bool)

    def column(c: str) -> np.ndarray:
        marked = disclosure.is_marked(shown[c]).to_numpy(dtype=bool)
        return np.where(marked, np.nan, pd.to_numeric(shown[c].where(~marked), errors="coerce"))

    note = rows["note"].astype(object).where(rows["note"].notna(), "") if "note" in rows else pd.Series("", index=rows.index)
    if banner:
        note = note.map(lambda n: f"{banner}; {n}" if str(n).strip() else banner)
    out = pd.DataFrame({
        "authority_code": authority,
        "period": label,
        "indicator_id": rows["indicator_id"].astype(str),
        "breakdown": rows["breakdown"].astype(str),
        "numerator": column("numerator"),
        "denominator": column("denominator"),
        "value": column("value"),
        "note": note.astype(str),
    }, columns=RETURN_COLUMNS)
    keep = ~value_withheld & ~no_value
    withheld = rows.loc[~keep, ["indicator_id", "breakdown"]].assign(
        reason=np.where(no_value[~keep], "no value", "withheld: rests on a count of 1 to 4 people "
                                                    "(or would reveal one by subtraction)"))
    return out[keep].reset_index(drop=True), withheld.reset_index(drop=True)


def configure_return_parser(p) -> None:
    p.add_argument("--data", required=True, metavar="DIR", help="the council's data folder (as for 'validate')")
    p.add_argument("--authority", required=True, metavar="CODE", help="ONS code of the council, e.g. E10000017")
    p.add_argument("--period", required=True, metavar="PERIOD",
                   help='the quarter, e.g. "2024-25 Q4", or "latest"')
    p.add_argument("--out", required=True, metavar="FILE",
                   help="the return: FILE.csv (or .xlsx, .parquet). A neighbour saves it in its data folder as "
                        "returns.csv, or adds its rows to the returns file it has")
    p.add_argument("--settings", default=None, metavar="FILE.toml",
                   help="settings file (default: the data folder's settings.toml, else the package defaults)")
    p.epilog = ("Small numbers are withheld as in a published report: a figure resting on a count of 1 to 4 people "
                "(or revealing one by subtraction) is left out, a withheld count is left blank.")


def run_return(args) -> int:
    from ot_benchmark.compare.benchmark import write_table
    from ot_benchmark.indicators.cache import load_bundle, load_indicators
    from ot_benchmark.io.reference import council_name
    from ot_benchmark.settings import load_settings, settings_path_for

    settings_path = settings_path_for(args.data, args.settings)
    table = load_indicators(args.data, settings_path or None)
    bundle = load_bundle(args.data)
    catalogue = load_settings(settings_path or None).catalogue()
    out, withheld = council_return(table, args.authority, args.period, catalogue=catalogue, banner=bundle.banner)
    path = write_table(out, args.out)
    code = out["authority_code"].iloc[0] if len(out) else str(args.authority).upper()
    try:
        name = f"{council_name(code)} ({code})"
    except ParameterError:
        name = code
    label = out["period"].iloc[0] if len(out) else args.period
    print(f"wrote {len(out)} figures for {name}, {label}, to {path}")
    n_small = int(withheld["reason"].str.startswith("withheld").sum())
    if n_small:
        ids = withheld.loc[withheld["reason"].str.startswith("withheld"), "indicator_id"].unique()
        print(f"{n_small} figure(s) withheld for small numbers ({', '.join(ids[:12])}{' ...' if len(ids) > 12 else ''})")
    n_none = int((withheld["reason"] == "no value").sum())
    if n_none:
        print(f"{n_none} row(s) with no value left out")
    if bundle.banner:
        print(f"NOTE: {bundle.banner} (written in every row's note)")
    return 0


# --------------------------------------------------------------------------------------------
# published tables in
# --------------------------------------------------------------------------------------------
def configure_import_published_parser(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="published long table(s), .csv/.xlsx/.parquet: one row per area, period and measure")
    p.add_argument("--mapping", required=True, metavar="M.toml",
                   help="which columns hold the council, period, measure, value (and numerator, denominator), and "
                        "each measure's indicator id and catalogue entry (see ot_benchmark.io.published)")
    p.add_argument("--out", required=True, metavar="DIR", help="the data folder to write")
    p.add_argument("--home", metavar="CODE", help="the home council's ONS code (metadata.json home_authority)")
    p.add_argument("--peers", metavar="FILE",
                   help="a published list of the home council's peers (a column area_code); written as "
                        "DIR/groups/peer_group.csv with columns authority_code,neighbour_code, for --group")
    p.add_argument("--description", help="metadata.json description")
    p.add_argument("--force", action="store_true", help="write over a folder that already holds returns")
    p.epilog = ("The folder gets returns.csv, local_indicators.csv and settings.toml (the measures' catalogue), "
                "reference_lines.csv (England and regional figures: never counted as councils) and metadata.json "
                "(sources, and the rows left out with the reason).")


def run_import_published(args) -> int:
    out = Path(args.out)
    if (out / "returns.csv").exists() and not args.force:
        raise ParameterError(f"{out} already holds returns.csv; choose a new folder, or pass --force to write over it")
    if args.peers and not args.home:
        raise ParameterError("--peers needs --home: the council whose peers they are")
    mapping = read_mapping(args.mapping)
    result = import_published(args.files, mapping)
    extra = {}
    if args.peers:
        group = peer_group_file(args.home, args.peers, out / "groups" / "peer_group.csv")
        extra["peer_group"] = "groups/peer_group.csv"
        extra["peer_group_source"] = Path(args.peers).name
    write_folder(result, out, home=args.home, description=args.description, mapping_path=args.mapping,
                 extra_metadata=extra)
    print(result.summary())
    report = validate_folder(out)
    accepted = int(report.summary["rows_accepted"].sum())
    print(f"wrote {out}: {accepted} returns accepted, {report.n_rejected} rejected")
    if args.peers:
        print(f"peer group for --group: {group}")
    if report.n_rejected:
        print(report.to_text(), file=sys.stderr)
        raise DataContractError(f"the folder {out} was written but {report.n_rejected} row(s) are rejected by the "
                                "validator (listed above).", file=str(out / "returns.csv"),
                                fix="correct the mapping (catalogue ranges, periods) and import again")
    return 0


# cli.py finds a command's functions as configure_<command>_parser and run_<command>, with the
# command's own spelling
globals()["configure_import-published_parser"] = configure_import_published_parser
globals()["run_import-published"] = run_import_published
