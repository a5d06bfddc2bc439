"""The ``ot-benchmark`` console command.

Each subcommand lives in the module that owns its work; that module provides
``configure_<name>_parser(parser)`` and ``run_<name>(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ot_benchmark.errors import OTBenchmarkError

# subcommand -> (module, one-line help)
COMMANDS = {
    "validate": ("ot_benchmark.io.validate", "check a data folder against the data contract and list rejected rows"),
    "synth": ("ot_benchmark.io.synth", "write a synthetic (demonstration) data folder"),
    "indicators": ("ot_benchmark.indicators.engine", "compute the indicator table for every council and quarter"),
    "benchmark": ("ot_benchmark.compare.benchmark", "compare one council with its comparator group for a quarter"),
    "capacity": ("ot_benchmark.compare.capacity", "what it would take to clear the waiting list"),
    "report": ("ot_benchmark.runner.render", "render the quarterly report (HTML, Excel, CSV, PNG) for one council"),
    "batch": ("ot_benchmark.runner.render", "render reports for many councils in one run"),
    "return": ("ot_benchmark.cli_returns", "write a council's own figures as a return for its neighbours (small numbers withheld)"),
    "import-published": ("ot_benchmark.cli_returns", "turn a published table (ASCOF, Oflog) into a data folder of returns"),
}

DESCRIPTION = """\
Benchmark a council's occupational therapy service against similar councils.

A typical quarter:
  ot-benchmark validate data/mycouncil            # are the extracts fit to use?
  ot-benchmark indicators --data data/mycouncil --out indicators.csv
  ot-benchmark benchmark --data data/mycouncil --authority E10000017 --period "2024-25 Q4" --group cipfa --out benchmark.csv
  ot-benchmark report --data data/mycouncil --authority E10000017 --period "2024-25 Q4"

Periods are financial-year quarters written like "2024-25 Q4" (Q1 = Apr-Jun ... Q4 = Jan-Mar).
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
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        try:
            module = importlib.import_module(module_name)
            getattr(module, f"configure_{name}_parser")(p)
        except (ImportError, AttributeError) as exc:  # keep the other commands usable
            p.set_defaults(_unavailable=f"the '{name}' command could not be loaded ({exc}); the installation "
                                        "is broken: reinstall with 'make install' and report it if it persists")
        p.set_defaults(_module=module_name, _command=name)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_command", None):
        parser.print_help()
        return 1
    if getattr(args, "_unavailable", None):
        print(f"error: {args._unavailable}", file=sys.stderr)
        return 2
    module = importlib.import_module(args._module)
    try:
        return int(getattr(module, f"run_{args._command}")(args) or 0)
    except OTBenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
