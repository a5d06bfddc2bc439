"""The ``ot-benchmark`` console command.

Every subcommand has ``configure_<name>_parser(parser)`` and ``run_<name>(args) -> int`` in a
module of this package, one per group of commands: :mod:`~ot_benchmark.cli.data` (``validate``,
``synth``, ``map``), :mod:`~ot_benchmark.cli.tables` (``indicators``, ``benchmark``, ``capacity``) and
:mod:`~ot_benchmark.cli.reports` (``report``, ``batch``) and :mod:`~ot_benchmark.cli.worklists`
(``worklists``), :mod:`~ot_benchmark.cli.returns` (``return``, ``import-published``),
:mod:`~ot_benchmark.cli.complaints` (``reconcile-ombudsman``). They hold all the argparse code and the
printing; the modules they call hold none. A user error is an ``OTBenchmarkError``: its message
is printed and the exit status is 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, NamedTuple

from ot_benchmark.cli import complaints, data, reports, returns, tables, worklists
from ot_benchmark.errors import OTBenchmarkError

__all__ = ["COMMANDS", "Command", "build_parser", "main"]


class Command(NamedTuple):
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS = {
    "validate": Command("check a data folder against the data contract and list rejected rows",
                        data.configure_validate_parser, data.run_validate),
    "synth": Command("write a synthetic (demonstration) data folder",
                     data.configure_synth_parser, data.run_synth),
    "map": Command("draft a mapping of a council's own export (its columns and codes) onto the data contract",
                   data.configure_map_parser, data.run_map),
    "indicators": Command("compute the indicator table for every council and quarter",
                          tables.configure_indicators_parser, tables.run_indicators),
    "benchmark": Command("compare one council with its comparator group for a quarter",
                         tables.configure_benchmark_parser, tables.run_benchmark),
    "capacity": Command("what it would take to clear the waiting list",
                        tables.configure_capacity_parser, tables.run_capacity),
    "report": Command("render the quarterly report (HTML, Excel, CSV, SVG figures) for one council",
                      reports.configure_report_parser, reports.run_report),
    "batch": Command("render reports for many councils in one run",
                     reports.configure_batch_parser, reports.run_batch),
    "worklists": Command("restricted lists of the people and records behind the figures, to act on",
                         worklists.configure_worklists_parser, worklists.run_worklists),
    "return": Command("write a council's own figures as a return for its neighbours (small numbers withheld)",
                      returns.configure_return_parser, returns.run_return),
    "import-published": Command("turn a published table (ASCOF, Oflog) into a data folder of returns",
                                returns.configure_import_published_parser, returns.run_import_published),
    "reconcile-ombudsman": Command("match the Ombudsman's published decisions to the council's complaints log",
                                   complaints.configure_reconcile_ombudsman_parser, complaints.run_reconcile_ombudsman),
}

DESCRIPTION = """\
Benchmark a council's occupational therapy service against similar councils.

A typical quarter:
  ot-benchmark validate data/mycouncil            # are the extracts fit to use?
  ot-benchmark indicators --data data/mycouncil --out indicators.csv
  ot-benchmark benchmark --data data/mycouncil --authority E10000017 --period "2024-25 Q4" --group cipfa --out benchmark.csv
  ot-benchmark report --data data/mycouncil --authority E10000017 --period "2024-25 Q4"

Periods are financial-year quarters written like "2024-25 Q4" (Q1 = Apr-Jun ... Q4 = Jan-Mar);
returns may also hold financial years ("2022-23") and months ("May 2024").
Councils are named by their ONS code (Lancashire is E10000017).
Run "ot-benchmark COMMAND --help" for the options of each command.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ot-benchmark",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help[0].upper() + command.help[1:] + ".",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        command.configure(p)
        p.set_defaults(_run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 1
    try:
        return int(args._run(args) or 0)
    except OTBenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0

