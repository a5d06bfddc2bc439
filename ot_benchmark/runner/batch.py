"""Many councils' reports in one run (``ot-benchmark batch``), carrying on past failures.

The indicator table is computed (or read from the cache) once and every council is checked
against it before any notebook starts, so a typo fails before a kernel starts. Councils then run
one after another in this process (each given the table already loaded) or, with ``jobs`` > 1,
in a pool of worker processes (each reading the table from the cache once). Every process runs
its councils on one kernel kept running (:class:`~ot_benchmark.runner.execute.KeptKernel`):
the imports, the figure styles and the kernel's start are paid once per process, not once per
council. ``outputs/index.html`` is regenerated after each publish.
"""

from __future__ import annotations

import atexit
import dataclasses
import multiprocessing as mp
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Sequence

import pandas as pd
from tqdm import tqdm

from ot_benchmark.errors import OTBenchmarkError, ParameterError
from ot_benchmark.indicators import cache
from ot_benchmark.periods import PeriodError, parse_period
from ot_benchmark.report.context import check_parameters, latest_period
from ot_benchmark.runner.execute import KeptKernel, check_kernel, find_notebook
from ot_benchmark.runner.figures import draw_aside
from ot_benchmark.runner.provenance import pin_code_fingerprint
from ot_benchmark.runner.publish import outputs_problem, write_index
from ot_benchmark.runner.render import RunOptions, RunResult, render_report

__all__ = ["render_batch"]


@pin_code_fingerprint
def render_batch(
    data_dir,
    period: str = "latest",
    options: RunOptions | None = None,
    *,
    authorities: Sequence[str] | None = None,
    jobs: int = 1,
    progress: bool = True,
) -> list[RunResult]:
    """Render one report per council, carrying on past failures.

    ``authorities`` defaults to every council with indicators in the quarter. ``jobs`` > 1 runs
    councils in a process pool. ``options`` are as for :func:`render_report` and the same for
    every council. Returns one :class:`RunResult` per council, in the order of ``authorities``.
    """
    options = options or RunOptions()
    if not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"--jobs must be a whole number of at least 1, not {jobs!r}")
    check_kernel()
    data = Path(data_dir)
    options = dataclasses.replace(options, notebook=str(find_notebook(options.notebook)),
                                  outputs_dir=str(Path(options.outputs_dir).resolve()))
    if not data.is_dir():
        raise ParameterError(f"data folder {str(data_dir)!r} does not exist; give the folder holding the extracts (e.g. data/sample)")
    table = cache.load_indicators(data.resolve(), options.settings_path or None, options.cache_dir or None)
    period = _resolve_period(table, period, data_dir)
    codes = _councils(table, period, authorities, data_dir)
    for code in codes:  # cheap, so a typo fails before any kernel starts
        check_parameters(data_dir=str(data), authority=code, period=period, group=options.group,
                         settings_path=str(options.settings_path or ""), cache_dir=str(options.cache_dir or ""),
                         suppress=options.suppress, indicators=table)
    data_dir = str(data.resolve())
    if options.figures_aside is None:  # the runner draws figures beside the kernel only with a core to spare
        options = dataclasses.replace(options, figures_aside=draw_aside(min(jobs, len(codes))))
    bar = tqdm(total=len(codes), desc=f"Reports {period}", unit="council", disable=not progress, file=sys.stderr)
    results: list[RunResult] = []
    try:
        if jobs == 1 or len(codes) == 1:
            with KeptKernel(freeze=False) as kernel:
                for code in codes:
                    bar.set_postfix_str(code)
                    results.append(_render_one(data_dir, code, period, options, table, kernel))
                    _after(results[-1], options, bar)
        else:
            with ProcessPoolExecutor(max_workers=min(jobs, len(codes)), mp_context=mp.get_context("spawn")) as pool:
                # each worker reads the table from the cache rather than receiving a pickled copy
                futures = {pool.submit(_render_one, data_dir, code, period, options): code for code in codes}
                for fut in as_completed(futures):
                    try:
                        res = fut.result()
                    except Exception as exc:  # a worker process died
                        res = _failure(futures[fut], period, options, f"{type(exc).__name__}: {exc}")
                    results.append(res)
                    bar.set_postfix_str(res.authority)
                    _after(res, options, bar)
    finally:
        bar.close()
    order = {c: i for i, c in enumerate(codes)}
    results.sort(key=lambda r: order.get(r.authority, len(order)))
    return results


def _resolve_period(table: pd.DataFrame, period: str, data_dir) -> str:
    """The canonical label of ``period``; ``latest``: the latest quarter in the table."""
    if str(period).strip().lower() == "latest":
        latest = latest_period(table)
        if latest is None:
            raise ParameterError(f"the indicator table of {data_dir} has no quarters")
        return latest
    try:
        return parse_period(period).label
    except PeriodError as exc:
        raise ParameterError(str(exc)) from None


def _councils(table: pd.DataFrame, period: str, authorities: Sequence[str] | None, data_dir) -> list[str]:
    """The councils asked for (all with indicators in the quarter when none), each checked."""
    in_period = sorted(table.loc[table["period"].astype(str) == period, "authority_code"].dropna().astype(str).unique())
    if authorities:
        codes = [a.strip().upper() for a in authorities]
        unknown = [a for a in codes if a not in in_period]
        if unknown:
            raise ParameterError(
                f"no indicators for {', '.join(unknown)} in {period} in {data_dir}; councils there: {', '.join(in_period)}"
            )
    else:
        codes = in_period
    if not codes:
        raise ParameterError(f"no council has indicators for {period} in {data_dir}")
    return codes


def _failure(authority: str, period: str, options: RunOptions, error: str) -> RunResult:
    return RunResult(authority, period, Path(options.notebook).stem, False, error=error)


_WORKER: dict = {}  # a pool worker's kernel and indicator table, kept from one council to the next


def _render_one(data_dir: str, authority: str, period: str, options: RunOptions,
                indicators: pd.DataFrame | None = None, kernel: KeptKernel | None = None) -> RunResult:
    """:func:`render_report` for one council of the batch; never raises (one council's failure
    must not stop the batch). In a pool worker (no ``kernel`` given), the worker's own kept
    kernel and its copy of the indicator table serve all its councils."""
    try:
        if kernel is None:
            if "kernel" not in _WORKER:
                _WORKER["kernel"] = KeptKernel(freeze=False)
                atexit.register(_WORKER["kernel"].close)
            kernel = _WORKER["kernel"]
            key = (data_dir, str(options.settings_path or ""), str(options.cache_dir or ""))
            if _WORKER.get("table_key") != key:
                _WORKER["table"] = cache.load_indicators(data_dir, options.settings_path or None,
                                                         options.cache_dir or None)
                _WORKER["table_key"] = key
            indicators = _WORKER["table"]
        return render_report(data_dir, authority, period, options, indicators=indicators, update_index=False,
                             kernel=kernel)
    except OTBenchmarkError as exc:
        return _failure(authority, period, options, str(exc))
    except Exception as exc:
        return _failure(authority, period, options, f"{type(exc).__name__}: {exc}")


def _after(result: RunResult, options: RunOptions, bar) -> None:
    """Regenerate the index after a publish; advance the progress bar."""
    if result.ok:
        try:
            write_index(options.outputs_dir)
        except OSError as exc:  # a full or read-only outputs folder: the report is published, say so
            result.warning = (f"the report was published, but outputs/index.html was not updated: "
                              f"{outputs_problem(Path(options.outputs_dir).resolve(), exc)}")
            print(f"warning: {result.authority}: {result.warning}", file=sys.stderr)
    bar.update(1)
