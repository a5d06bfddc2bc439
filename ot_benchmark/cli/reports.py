"""The report commands: ``ot-benchmark report`` (one council) and ``ot-benchmark batch`` (many)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ot_benchmark.errors import OTBenchmarkError
from ot_benchmark.indicators.cache import rejected_rows_warning
from ot_benchmark.report.context import authority_name
from ot_benchmark.runner.batch import render_batch
from ot_benchmark.runner.execute import DEFAULT_NOTEBOOK, find_notebook, parse_extra_params
from ot_benchmark.runner.render import RunOptions, render_report

__all__ = ["configure_report_parser", "run_report", "configure_batch_parser", "run_batch"]

_DEFAULT_JOBS = max(1, min(4, os.cpu_count() or 1))


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """The options shared by ``report`` and ``batch`` (:class:`RunOptions`)."""
    p.add_argument("--group", default="cipfa", metavar="SCHEME",
                   help="comparator group: cipfa (default), dfe, england, region, type, or a CSV of your own "
                        "(authority_code,neighbour_code; the report names it by its file name in words)")
    p.add_argument("--notebook", default=DEFAULT_NOTEBOOK, metavar="NAME",
                   help=f"which report: a notebook in notebooks/ (default {DEFAULT_NOTEBOOK}) or a path to an .ipynb")
    p.add_argument("--outputs", default="outputs", metavar="DIR",
                   help="where reports are published (default outputs/)")
    p.add_argument("--cache-dir", default=None, metavar="DIR",
                   help="indicator-table cache (default .cache/ in the project)")
    p.add_argument("--settings", default=None, metavar="FILE.toml",
                   help="settings file (default: the package defaults)")
    p.add_argument("--no-suppress", action="store_true",
                   help="ANALYST-ONLY: do not suppress small numbers (the outputs say so)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a further parameter the notebook declares (repeatable)")
    p.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                   help="longest any one notebook cell may run (default 600)")


def _run_options(args) -> RunOptions:
    """The :class:`RunOptions` of the command line; the notebook found and its -p values read."""
    notebook = find_notebook(args.notebook)
    return RunOptions(
        notebook=str(notebook), group=args.group, outputs_dir=args.outputs, cache_dir=args.cache_dir,
        settings_path=args.settings, suppress=not args.no_suppress,
        extra_params=parse_extra_params(notebook, args.param), timeout=args.timeout,
    )


# --------------------------------------------------------------------------------------------
# report


def configure_report_parser(p: argparse.ArgumentParser) -> None:
    """Options of ``ot-benchmark report``."""
    p.add_argument("--data", required=True, metavar="DIR", help="the data folder (e.g. data/sample)")
    p.add_argument("--authority", required=True, metavar="CODE", help="ONS code of the council (E10000017 = Lancashire)")
    p.add_argument("--period", default="latest", metavar="PERIOD",
                   help='a period of the data: a quarter ("2024-25 Q4"), a financial year of annual returns '
                        '("2023-24") or a month ("May 2024"), or "latest" (default) for the latest period in the data')
    _add_run_options(p)
    p.epilog = ("Writes outputs/<period>/<council>/ (report.html, the executed notebook, tables as CSV and "
                "Excel, figures as PNG, run.json) and prints the path of report.html last. Exit status 1 "
                "when the notebook fails (kept under outputs/_failed/), 2 for a bad parameter.")


def run_report(args) -> int:
    """``ot-benchmark report``: render one council's report; prints the HTML path last."""
    options = _run_options(args)
    print(f"Rendering {Path(options.notebook).stem} for {args.authority} ({args.period}) ...", file=sys.stderr)
    res = render_report(args.data, args.authority, args.period, options)
    _warn_rejected_rows(args.data, options.cache_dir)
    if not res.ok:
        print(f"error: {res.error}", file=sys.stderr)
        if res.failed_dir:
            print(f"The failed notebook is kept in {res.failed_dir}", file=sys.stderr)
        return 1
    print(f"Published {res.published_dir} in {res.seconds:.1f} s", file=sys.stderr)
    if res.warning:
        print(f"warning: {res.warning}", file=sys.stderr)
    print(res.html)
    return 0


# --------------------------------------------------------------------------------------------
# batch


def configure_batch_parser(p: argparse.ArgumentParser) -> None:
    """Options of ``ot-benchmark batch``."""
    p.add_argument("--data", required=True, metavar="DIR", help="the data folder (e.g. data/sample)")
    p.add_argument("--period", default="latest", metavar="PERIOD",
                   help='quarter, e.g. "2024-25 Q4", or "latest" (default)')
    p.add_argument("--authorities", nargs="+", metavar="CODE",
                   help="councils to render (default: every council in the data for the quarter)")
    p.add_argument("--jobs", type=int, default=_DEFAULT_JOBS, metavar="N",
                   help=f"councils rendered in parallel (default {_DEFAULT_JOBS}: the CPU cores, at most 4)")
    _add_run_options(p)
    p.epilog = ("Carries on past a failing council and ends with a summary; exit status 1 if any failed. "
                "outputs/index.html links every published report.")


def run_batch(args) -> int:
    """``ot-benchmark batch``: render many councils' reports; summary at the end."""
    options = _run_options(args)
    t0 = time.perf_counter()
    results = render_batch(args.data, args.period, options, authorities=args.authorities, jobs=args.jobs)
    _warn_rejected_rows(args.data, options.cache_dir)
    ok = [r for r in results if r.ok]
    bad = [r for r in results if not r.ok]
    print(f"\n{len(ok)} of {len(results)} reports published in {time.perf_counter() - t0:.0f} s "
          f"({results[0].period if results else ''}).", file=sys.stderr)
    if bad:
        print(f"{len(bad)} failed:", file=sys.stderr)
        for r in bad:
            where = f" (notebook kept in {r.failed_dir})" if r.failed_dir else ""
            print(f"  {r.authority} {authority_name(r.authority)}: {r.error}{where}", file=sys.stderr)
    index = Path(args.outputs).resolve() / "index.html"
    if index.is_file():
        print(index)
    return 1 if bad else 0


def _warn_rejected_rows(data_dir, cache_dir) -> None:
    """The same per-table counts as ``validate`` when rows were rejected (nothing otherwise)."""
    try:
        warning = rejected_rows_warning(data_dir, cache_dir)
    except OTBenchmarkError as exc:  # a folder whose table was supplied ready-made (tests, scripts)
        warning = f"warning: could not re-read {data_dir} to count rejected rows: {exc}"
    if warning:
        print(warning, file=sys.stderr)
