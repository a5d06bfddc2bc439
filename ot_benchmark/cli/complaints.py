"""The complaints commands: ``ot-benchmark reconcile-ombudsman``."""

from __future__ import annotations

import argparse
import sys

from ot_benchmark.compare.ombudsman import WINDOW_DAYS, read_decisions, reconcile, write_reconciliation
from ot_benchmark.errors import OTBenchmarkError, ParameterError
from ot_benchmark.indicators.cache import load_bundle
from ot_benchmark.report.context import authority_name

__all__ = ["configure_reconcile_ombudsman_parser", "run_reconcile_ombudsman"]


def _pairs(items, what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ParameterError(f"--{what} {item!r}: write it as NAME=VALUE")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip().strip('"')
    return out


def configure_reconcile_ombudsman_parser(p: argparse.ArgumentParser) -> None:
    """Options of ``ot-benchmark reconcile-ombudsman``."""
    p.add_argument("--data", required=True, metavar="DIR", help="the data folder holding the complaints log")
    p.add_argument("--authority", required=True, metavar="CODE", help="ONS code of the council (E10000017 = Lancashire)")
    p.add_argument("--decisions", required=True, metavar="FILE.csv",
                   help="the Ombudsman's published decisions for the council: reference, decision date, category, "
                        "decision, remedy (docs/data_contract.md)")
    p.add_argument("--out", default="outputs", metavar="DIR",
                   help="the outputs folder; the lists go to DIR/_restricted/<period>/<council>/ombudsman/ (default outputs)")
    p.add_argument("--period", default=None, metavar="PERIOD",
                   help='a financial year ("2024-25") or a quarter ("2024-25 Q4"); default: the financial years the '
                        "decisions span")
    p.add_argument("--window", type=int, default=WINDOW_DAYS, metavar="DAYS",
                   help=f"days either side of the Ombudsman's decision date within which a log entry with no matching "
                        f"reference may match it, in the same category (default {WINDOW_DAYS})")
    p.add_argument("--column", action="append", default=[], metavar="NAME=HEADING",
                   help='the decisions file\'s heading of a column, where it is not a usual one, e.g. '
                        '--column reference="Case no." (repeatable; NAME is reference, decision_date, category, '
                        "decision or remedy)")
    p.add_argument("--category", action="append", default=[], metavar="CATEGORY=STREAM",
                   help='which complaints stream an Ombudsman category is, e.g. --category "Adult care services=asc_statutory" '
                        "(repeatable; by default a category naming adults is asc_statutory, one naming children "
                        "childrens_statutory, anything else corporate)")
    p.add_argument("--no-suppress", action="store_true",
                   help="ANALYST-ONLY: print the counts without small-number suppression")
    p.epilog = ("Matches the Ombudsman's decisions to the log by reference (case, spaces and punctuation ignored), "
                "failing that by decision date (within --window days) and category. Writes matched.csv, "
                "council_only.csv, ombudsman_only.csv, summary.txt and counts.json into the restricted area (folders "
                "0700, files 0600: they hold case references, not for publication) and prints the counts for a "
                "scrutiny report, small numbers suppressed.")


def run_reconcile_ombudsman(args) -> int:
    """``ot-benchmark reconcile-ombudsman``: the log against the Ombudsman's decisions."""
    # imported here, not with the module: report.complaints brings the figure libraries (seaborn,
    # matplotlib, scipy.stats), which every other command's process (a report's runner) never needs
    from ot_benchmark.report.complaints import reconciliation_sentences  # noqa: PLC0415

    authority = str(args.authority).strip().upper().replace(" ", "")
    decisions, warnings = read_decisions(args.decisions, _pairs(args.column, "column"),
                                         categories=_pairs(args.category, "category"))
    bundle = load_bundle(args.data)
    log = bundle.get("complaints")
    if log is None or not len(log):
        raise OTBenchmarkError(f"the data folder {args.data} has no complaints log (complaints.csv, .xlsx or .parquet)")
    if not (log["authority_code"].astype(str) == authority).any():
        held = sorted(log["authority_code"].dropna().astype(str).unique())
        raise ParameterError(f"the complaints log in {args.data} has no complaints of {authority}; it holds "
                             f"{', '.join(held[:10])}{' ...' if len(held) > 10 else ''}")
    rec = reconcile(log, decisions, authority, period=args.period, window_days=args.window)
    rec.warnings[:0] = warnings
    council = authority_name(authority)
    published = reconciliation_sentences(rec.counts, council=council, period=rec.period, suppress=True)
    exact = reconciliation_sentences(rec.counts, council=council, period=rec.period, suppress=False)
    folder = write_reconciliation(rec, args.out, sentences=published)
    for w in rec.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.no_suppress:
        print("ANALYST-ONLY (small numbers not suppressed):")
        print(exact)
    else:
        print("For the scrutiny report (small numbers suppressed):")
        print(published)
    print(f"\nLists of cases (restricted, not for publication) in {folder}", file=sys.stderr)
    print(str(folder))
    return 0
