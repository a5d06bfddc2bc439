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
import gc
import importlib
import os
import sys
from typing import Callable, NamedTuple

from ot_benchmark.errors import OTBenchmarkError

__all__ = ["COMMANDS", "Command", "build_parser", "console", "main"]


class Command(NamedTuple):
    """A subcommand: its one-line help and the module of this package holding its code
    (``configure_<name>_parser`` and ``run_<name>``), imported when the command is built."""

    help: str
    module: str
    name: str

    @property
    def configure(self) -> Callable[[argparse.ArgumentParser], None]:
        return getattr(importlib.import_module(f"ot_benchmark.cli.{self.module}"), f"configure_{self.name}_parser")

    @property
    def run(self) -> Callable[[argparse.Namespace], int]:
        return getattr(importlib.import_module(f"ot_benchmark.cli.{self.module}"), f"run_{self.name}")


COMMANDS = {
    "validate": Command("check a data folder against the data contract and list rejected rows", "data", "validate"),
    "synth": Command("write a synthetic (demonstration) data folder", "data", "synth"),
    "map": Command("draft a mapping of a council's own export (its columns and codes) onto the data contract",
                   "data", "map"),
    "indicators": Command("compute the indicator table for every council and quarter", "tables", "indicators"),
    "benchmark": Command("compare one council with its comparator group for a quarter", "tables", "benchmark"),
    "capacity": Command("what it would take to clear the waiting list", "tables", "capacity"),
    "report": Command("render the quarterly report (HTML, Excel, CSV, SVG figures) for one council",
                      "reports", "report"),
    "batch": Command("render reports for many councils in one run", "reports", "batch"),
    "worklists": Command("restricted lists of the people and records behind the figures, to act on",
                         "worklists", "worklists"),
    "return": Command("write a council's own figures as a return for its neighbours (small numbers withheld)",
                      "returns", "return"),
    "import-published": Command("turn a published table (ASCOF, Oflog) into a data folder of returns",
                                "returns", "import_published"),
    "reconcile-ombudsman": Command("match the Ombudsman's published decisions to the council's complaints log",
                                   "complaints", "reconcile_ombudsman"),
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


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every subcommand, or with ``only`` (a command's name) that
    one's options alone, the others listed by name and help (their modules not imported)."""
    parser = argparse.ArgumentParser(
        prog="ot-benchmark",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help[0].upper() + command.help[1:] + ".",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if only in (None, name):
            command.configure(p)
            p.set_defaults(_run=command.run)
    return parser


def console() -> None:
    """The ``ot-benchmark`` command: :func:`main` in a process of its own.

    Only the command given is loaded. ``ot-benchmark report`` starts its kernel first thing, so
    that the kernel boots while this process loads the package (:func:`ot_benchmark.runner.execute.prestart_kernel`). What the
    imports made lives as long as the process, and so does most of what a command makes until
    it ends: the garbage collector is told to leave both alone (``gc.freeze``); its full
    collections walked every one of those objects again and again, 0.5 s of a report's run
    (0.35 s of it the interpreter's last collections at exit)."""
    argv = sys.argv[1:]
    if argv[:1] == ["report"] and not {"-h", "--help"} & set(argv):
        from ot_benchmark.runner.execute import prestart_kernel  # noqa: PLC0415 - before everything else

        prestart_kernel()
    parser = build_parser(only=argv[0] if argv[:1] and argv[0] in COMMANDS else None)
    gc.freeze()
    code = _run(parser, argv)
    gc.freeze()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run ``ot-benchmark`` with ``argv`` (default the command line); the exit status."""
    return _run(build_parser(), argv)


def _run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
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

