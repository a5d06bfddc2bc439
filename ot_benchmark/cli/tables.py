"""The table commands: ``ot-benchmark indicators``, ``benchmark`` and ``capacity``."""

from __future__ import annotations

import argparse
import sys
import json
from pathlib import Path

import pandas as pd

from ot_benchmark import __version__
from ot_benchmark.compare.benchmark import QUARTILE_METHODS, benchmark, write_table
from ot_benchmark.compare.capacity import RANGE_METHODS, capacity_scenarios
from ot_benchmark.errors import ParameterError
from ot_benchmark.indicators.cache import load_bundle, load_indicators
from ot_benchmark.indicators.engine import compute_indicators, covered_periods, load_for_indicators
from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.periods import Period, parse_period, period_range
from ot_benchmark.report.exports import write_analyst_table
from ot_benchmark.settings import load_settings, settings_path_for

__all__ = [
    "configure_indicators_parser",
    "run_indicators",
    "configure_benchmark_parser",
    "run_benchmark",
    "configure_capacity_parser",
    "run_capacity",
]


def _indicators_for(data_dir, settings_path=None):
    """The indicator table of a data folder under these settings (from the run cache, computing
    it when needed) and its validated bundle (for the synthetic-data banner)."""
    return load_indicators(data_dir, settings_path or None), load_bundle(data_dir)


# --------------------------------------------------------------------------------------------
# indicators


def configure_indicators_parser(parser: argparse.ArgumentParser) -> None:
    """Options of ``ot-benchmark indicators``."""
    parser.add_argument("--data", required=True, metavar="DIR", help="data folder (extracts + optional metadata.json)")
    parser.add_argument("--periods", nargs="+", metavar="PERIOD", help='quarters to compute, e.g. "2024-25 Q1" "2024-25 Q2"')
    parser.add_argument("--from", dest="period_from", metavar="PERIOD", help='first quarter of a range, e.g. "2023-24 Q1"')
    parser.add_argument("--to", dest="period_to", metavar="PERIOD", help='last quarter of a range, e.g. "2024-25 Q4"')
    parser.add_argument("--settings", metavar="FILE", help="settings TOML merged over the defaults")
    parser.add_argument("--catalogue", metavar="FILE", help="your own indicators (CSV with the catalogue columns); "
                        "default: the settings' local_catalogue, if any")
    parser.add_argument("--out", required=True, metavar="FILE", help="output table: FILE.csv or FILE.parquet")
    parser.epilog = (
        "Without --periods or --from/--to every quarter the data cover is computed.\n"
        "The settings used are written beside the output as FILE.settings.json."
    )


def _periods(args, bundle: DataBundle) -> list[Period] | None:
    """The quarters asked for with --periods or --from/--to; None (every quarter) without."""
    if args.periods and (args.period_from or args.period_to):
        raise ParameterError("give either --periods or --from/--to, not both.")
    if args.periods:
        return [parse_period(p) for p in args.periods]
    if args.period_from or args.period_to:
        cov = None
        if not (args.period_from and args.period_to):
            cov = covered_periods(bundle)
        first = parse_period(args.period_from) if args.period_from else cov[0]
        last = parse_period(args.period_to) if args.period_to else cov[-1]
        return period_range(first, last)
    return None


def run_indicators(args) -> int:
    """``ot-benchmark indicators``: compute the table and write it with its settings sidecar."""
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ParameterError(f"--out {out}: write the table as .csv or .parquet (got {suffix or 'no extension'}).")
    bundle = load_for_indicators(Path(args.data))  # every row checked, only the columns the indicators use
    warning = bundle.rejected_rows_warning()
    if warning:
        print(warning, file=sys.stderr)
    table = compute_indicators(bundle, _periods(args, bundle), settings=args.settings, catalogue=args.catalogue)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        table.to_csv(out, index=False)
    else:
        t = table.copy()
        t.attrs = {}
        t.to_parquet(out, index=False)
    sidecar = out.with_suffix(".settings.json")  # indicators.csv -> indicators.settings.json
    meta = {
        "ot_benchmark_version": __version__,
        "data": str(Path(args.data)),
        "periods": table.attrs["periods"],
        "catalogue": str(args.catalogue) if args.catalogue else (table.attrs["settings"]["settings"].get("local_catalogue") or None),
        "banner": table.attrs["banner"],
        "targets": table.attrs["targets"],
        "settings_source": table.attrs["settings"]["source"],
        "settings": table.attrs["settings"]["settings"],
    }
    sidecar.write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
    n_auth = table["authority_code"].nunique()
    print(f"wrote {len(table):,} rows ({n_auth} councils, {len(table.attrs['periods'])} periods) to {out}")
    print(f"settings used: {sidecar}")
    if table.attrs["banner"]:
        print(table.attrs["banner"])
    return 0


# --------------------------------------------------------------------------------------------
# benchmark


def configure_benchmark_parser(p: argparse.ArgumentParser) -> None:
    """Options of ``ot-benchmark benchmark``."""
    p.add_argument("--data", required=True, help="data folder (as for 'validate')")
    p.add_argument("--authority", required=True, help="ONS code of the council, e.g. E10000017")
    p.add_argument("--period", required=True, help='quarter, e.g. "2024-25 Q2"')
    p.add_argument("--group", default="cipfa",
                   help="comparator group: cipfa, dfe, england, region or type (the last three: the councils that "
                        "existed in the period), or a CSV with columns authority_code,neighbour_code, one row per "
                        "(council, neighbour) pair (default cipfa)")
    p.add_argument("--out", required=True, help="output file: .csv, .xlsx or .parquet")
    p.add_argument("--settings", default=None, metavar="FILE.toml",
                   help="settings file (default: the package defaults); its local_catalogue adds your own indicators")
    p.add_argument("--exclude-self", action="store_true", help="leave the council out of the comparator value")
    p.add_argument("--quartile-method", default="phe", choices=sorted(QUARTILE_METHODS))
    p.add_argument("--confidence", type=float, default=95, choices=[95, 99.8],
                   help="interval used for the higher/similar/lower comparison (default 95)")


def run_benchmark(args) -> int:
    """``ot-benchmark benchmark``: the council against its group, written to --out."""
    settings_path = settings_path_for(args.data, args.settings)
    table, bundle = _indicators_for(args.data, settings_path)
    # the built-in catalogue plus the council's own indicators (local_catalogue), compared alike
    catalogue = load_settings(settings_path or None).catalogue()
    out = benchmark(table, args.authority, args.period, args.group, include_self=not args.exclude_self,
                    quartile_method=args.quartile_method, confidence=args.confidence, catalogue=catalogue)
    banner = getattr(bundle, "banner", None)
    if banner:
        out.insert(0, "banner", banner)
    # numbers at full precision (12 significant digits in a CSV), a rounded text copy of the
    # values beside them, formula-like text neutralised, the workbook laid out with the banner
    write_analyst_table(out, args.out, banner=banner)
    return 0


# --------------------------------------------------------------------------------------------
# capacity


def configure_capacity_parser(p: argparse.ArgumentParser) -> None:
    """Options of ``ot-benchmark capacity``."""
    p.add_argument("--data", required=True, help="data folder (as for 'validate')")
    p.add_argument("--authority", required=True, help="ONS code of the council, e.g. E10000017")
    p.add_argument("--period", required=True, help='quarter, e.g. "2024-25 Q2"')
    p.add_argument("--target-weeks", type=float, default=26, help="wait to reach, in weeks (default 26)")
    p.add_argument("--within-weeks", type=float, default=26, help="weeks allowed to reach the targets (default 26)")
    p.add_argument("--target-list", type=float, default=0, help="list size to reach (default 0: clear it)")
    p.add_argument("--quarters", type=int, default=4, help="quarters whose rates give the range (default 4)")
    p.add_argument("--range", dest="range_method", default="recent_quarters", choices=sorted(RANGE_METHODS))
    p.add_argument("--ot-wte", type=float, default=None, help="OT WTE when the data has no workforce figures")
    p.add_argument("--out", default=None, help="output file (.csv, .xlsx, .parquet); printed when omitted")


def _print_capacity(out: pd.DataFrame, banner: str | None) -> None:
    if banner:
        print(banner)
    for _, r in out.iterrows():
        print(f"{r['quantity']}: {r['summary']}")
    print()
    print("Assumptions:", out["assumptions"].iloc[0])


def run_capacity(args) -> int:
    """``ot-benchmark capacity``: the scenarios, written to --out or printed in words."""
    table, bundle = _indicators_for(args.data)
    out = capacity_scenarios(table, args.authority, args.period, args.target_weeks,
                             within_weeks=args.within_weeks, target_list=args.target_list,
                             n_quarters=args.quarters, range_method=args.range_method, ot_wte=args.ot_wte)
    banner = getattr(bundle, "banner", None)
    if banner:
        out.insert(0, "banner", banner)
    if args.out:
        write_table(out, args.out)
    else:
        _print_capacity(out, banner)
    return 0
