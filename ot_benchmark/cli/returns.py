"""Real comparator data in and out: ``ot-benchmark return`` (a council's figures as a return,
:func:`ot_benchmark.report.returns.council_return`) and ``ot-benchmark import-published`` (a
published long table as a data folder of returns, :mod:`ot_benchmark.io.published`)."""

from __future__ import annotations

import sys
from pathlib import Path


from ot_benchmark.errors import DataContractError, ParameterError
from ot_benchmark.io.published import import_published, peer_group_file, read_mapping, write_folder
from ot_benchmark.io.validate import validate_folder
from ot_benchmark.report.returns import council_return

__all__ = ["configure_return_parser", "run_return", "configure_import_published_parser", "run_import_published"]


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
