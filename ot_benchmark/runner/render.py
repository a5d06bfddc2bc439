"""One council's report: check, execute, render, check the outputs, record, publish.

``ot-benchmark report`` renders one council's report with :func:`render_report`; the notebook
contract (parameters, guard cell, saving tables and figures) is docs/dev/RUNNER_CONTRACT.md.

1. **Check** everything before a notebook runs: the project kernel ``ot-benchmark`` is
   installed, the notebook exists and declares the parameters passed (unknown names are
   rejected, types checked), the data folder exists, the council and quarter are in its
   indicator table (computed once and cached, :mod:`ot_benchmark.indicators.cache`). The run's
   context is built once (:func:`ot_benchmark.report.context.build_context`). Meanwhile the
   kernel boots and imports the report's modules (:meth:`~ot_benchmark.runner.execute.KeptKernel.start`;
   shut down if a check fails); the report and its pack's pages run on it.
2. **Execute** the notebook with papermill into a staging folder ``outputs/.staging/<uuid>/``,
   the context handed over to its guard cell; the notebook writes its tables (CSV and
   ``tables.xlsx``) and figures (SVG) there.
3. **Render** ``report.html`` without code (:mod:`ot_benchmark.runner.html`) and put an "About"
   sheet first in the workbook.
4. **Check the outputs**: every recorded figure exists; no case identifier from the data
   appears in the HTML, CSVs, workbook or notebook outputs (:mod:`ot_benchmark.runner.case_ids`).
5. **Record** ``run.json`` (parameters, versions, git commit, data fingerprint, settings,
   timings: :mod:`ot_benchmark.runner.provenance`).
6. **Publish** atomically (:mod:`ot_benchmark.runner.publish`); regenerate ``outputs/index.html``.

A run that fails at any step publishes nothing: the executed notebook (with its error) is kept
under ``outputs/_failed/<period>/<authority>/<timestamp>/`` and the error of the failing cell is
reported (not a traceback).
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
import traceback
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

import pandas as pd

from ot_benchmark import __version__
from ot_benchmark.errors import OTBenchmarkError, ParameterError
from ot_benchmark.indicators import cache
from ot_benchmark.report.context import RunContext, build_context, hand_over, published_rows, work_out
from ot_benchmark.report.disclosure import ANALYST_ONLY_NOTE, SUPPRESSION_NOTE
from ot_benchmark.report.export import MANIFEST_NAME, WORKBOOK_NAME, read_manifest
from ot_benchmark.report.parts import pack_title
from ot_benchmark.runner.case_ids import case_ids_of, find_case_ids
from ot_benchmark.runner.execute import (DEFAULT_NOTEBOOK, KERNEL_NAME, STANDARD_PARAMETERS, WARM_UP, KeptKernel,
                                         ReportFailed, check_kernel, check_notebook_parameters, execute_notebook,
                                         find_notebook)
from ot_benchmark.runner.figures import FigureDrawer, draw_aside, inline_figures
from ot_benchmark.runner.html import report_html, warm_up
from ot_benchmark.runner.provenance import (data_record, git_state, indicator_cache_record, pin_code_fingerprint,
                                            settings_record, versions, write_run_record)
from ot_benchmark.runner.sanitise import path_roots, portable, published_notebook
from ot_benchmark.runner.publish import (STAGING_DIR, WRITE_ERRNOS, clear_stale_staging, keep_failed, lock_staging,
                                         outputs_problem, publish, published_folder, staging_folder, write_index)

__all__ = ["RunOptions", "RunResult", "render_report"]


@dataclass(frozen=True)
class RunOptions:
    """How reports are run, the same for every council of a batch.

    Attributes
    ----------
    notebook : str
        Notebook name in ``notebooks/`` or a path to an ``.ipynb``.
    group : str
        Comparator scheme passed to the notebook (``cipfa``, ``dfe`` or a CSV path).
    outputs_dir : path
        Where reports are published (``outputs/``).
    cache_dir, settings_path : path, optional
        Indicator cache folder and settings TOML (defaults when None).
    suppress : bool
        False for an analyst-only (unsuppressed) report.
    extra_params : dict
        Further notebook parameters (must be declared by the notebook).
    timeout : float, optional
        Seconds any one cell may run.
    figures_aside : bool, optional
        The runner draws the figures while the cells go on (:mod:`ot_benchmark.runner.figures`);
        None: when the machine has a core to spare (:func:`~ot_benchmark.runner.figures.draw_aside`;
        a batch decides by its number of jobs).
    """

    notebook: str = DEFAULT_NOTEBOOK
    group: str = "cipfa"
    outputs_dir: str | Path = "outputs"
    cache_dir: str | Path | None = None
    settings_path: str | Path | None = None
    suppress: bool = True
    extra_params: Mapping[str, object] = field(default_factory=dict)
    timeout: float | None = 600
    figures_aside: bool | None = None

    def __post_init__(self):
        object.__setattr__(self, "extra_params", dict(self.extra_params or {}))  # a copy of its own


@dataclass
class RunResult:
    """What happened to one report run."""

    authority: str
    period: str
    notebook: str
    ok: bool
    published_dir: str | None = None
    html: str | None = None
    error: str | None = None
    failed_dir: str | None = None
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)
    warning: str | None = None


@dataclass
class _Run:
    """One run under way: what the checks resolved and what the steps made so far."""

    ctx: RunContext
    notebook: Path
    params: dict
    outputs: Path
    staging: Path
    started: datetime
    t_start: float
    timings: dict = field(default_factory=dict)
    fingerprint: dict = field(default_factory=dict)  # the data folder's (cache.data_fingerprint)
    workbook: Path | None = None
    manifest: dict = field(default_factory=dict)
    case_id_check: dict = field(default_factory=dict)
    target: Path | None = None
    pack: list = field(default_factory=list)  # the further pages' notebooks (settings [report] pack)
    pack_executed: dict = field(default_factory=dict)  # name -> executed notebook
    figures_by_runner: int | None = None  # figures the runner drew (None: the kernel drew them all)
    warming: threading.Thread | None = None  # the last steps made ready meanwhile (_warm_pages)

    @property
    def name(self) -> str:
        return self.notebook.stem

    @property
    def label(self) -> str:
        return f"{self.name} for {self.ctx.authority} {self.ctx.period}"

    @contextlib.contextmanager
    def timed(self, step: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] = time.perf_counter() - t


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@pin_code_fingerprint
def render_report(
    data_dir,
    authority: str,
    period: str = "latest",
    options: RunOptions | None = None,
    *,
    indicators: pd.DataFrame | None = None,
    update_index: bool = True,
    kernel: KeptKernel | None = None,
) -> RunResult:
    """Render, check and publish one council's report.

    Parameters
    ----------
    data_dir : path
        The data folder.
    authority : str
        ONS code of the council.
    period : str
        ``2024-25 Q4`` or ``latest``.
    options : RunOptions, optional
        Notebook, comparator group, folders, settings, suppression, further notebook
        parameters, timeout (the defaults when None).
    indicators : DataFrame, optional
        The indicator table, when the caller already has it (a batch).
    update_index : bool
        Regenerate ``outputs/index.html`` after publishing.
    kernel : KeptKernel, optional
        Run the notebook on this kernel and leave it running (a batch's); default a kernel of
        the run's own, for the report and its pack's pages, shut down at the end. Either starts
        booting (and importing the report's modules) while the run's inputs are checked.

    Returns
    -------
    RunResult
        ``ok`` False with ``error`` and ``failed_dir`` when the run failed (nothing published).

    Raises
    ------
    ParameterError, OTBenchmarkError
        Before anything runs: bad parameters, missing kernel or notebook.
    """
    options = options or RunOptions()
    with contextlib.ExitStack() as own:
        if kernel is None:  # the run's own kernel: the report and its pack's pages run on it
            kernel = own.enter_context(KeptKernel())
        return _render_report(data_dir, authority, period, options, indicators, update_index, kernel)


def _render_report(data_dir, authority: str, period: str, options: RunOptions, indicators, update_index: bool,
                   kernel: KeptKernel) -> RunResult:
    clear_stale_staging(Path(options.outputs_dir).resolve())  # what killed runs left (publish.py)
    check_kernel()
    # the kernel boots and imports while the inputs are checked (and is shut down if one is wrong)
    kernel.start(find_notebook(options.notebook).parent, WARM_UP)
    run = _check(data_dir, authority, period, options, indicators)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(lock_staging(run.staging))  # never cleared while this run lives
            run.staging.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a read-only or full outputs folder: say so before a kernel starts
            shutil.rmtree(run.staging, ignore_errors=True)
            raise OTBenchmarkError(outputs_problem(run.outputs, exc)) from None
        try:
            executed = _execute(run, options.timeout, kernel)
            _render(run, executed, kernel, options.timeout)
            _check_outputs(run)
            _record(run)
            _publish(run)
        except KeyboardInterrupt:
            shutil.rmtree(run.staging, ignore_errors=True)
            raise
        except ReportFailed as exc:
            return _failed(run, str(exc), exc.details)
        except OSError as exc:
            if exc.errno in WRITE_ERRNOS:  # a full or read-only outputs folder: one clear message
                return _failed(run, f"{run.label}: {outputs_problem(run.outputs, exc)}", traceback.format_exc())
            return _failed(run, f"{run.label}: {type(exc).__name__}: {exc}", traceback.format_exc())
        except Exception as exc:
            return _failed(run, f"{run.label}: {type(exc).__name__}: {exc}", traceback.format_exc())
    result = _published(run)
    if update_index:
        try:
            write_index(run.outputs)
        except OSError as exc:
            result.warning = (f"the report was published, but outputs/index.html was not updated: "
                              f"{outputs_problem(run.outputs, exc)}")
    return result


# --------------------------------------------------------------------------------------------
# the steps


def _check(data_dir, authority: str, period: str, options: RunOptions, indicators) -> _Run:
    """Check everything before a kernel starts; build the run's context once."""
    t_start, started = time.perf_counter(), _utcnow()
    check_kernel()
    notebook = find_notebook(options.notebook)
    outputs = Path(options.outputs_dir).resolve()
    staging = staging_folder(outputs)
    ctx = build_context(
        data_dir=str(data_dir), authority=authority, period=period, group=options.group,
        settings_path=str(options.settings_path or ""), cache_dir=str(options.cache_dir or ""),
        suppress=options.suppress, indicators=indicators, output_dir=str(staging),
    )
    ctx.indicators = _report_rows(ctx)
    ctx.figures_drawn_by_runner = draw_aside(1) if options.figures_aside is None else options.figures_aside
    if indicators is not None and ctx.suppress:  # a batch: its table suppressed once, for every council
        ctx.published = _group_published(ctx, indicators)
    work_out(ctx)  # while the kernel boots; the context carries it to the notebook
    params = _notebook_parameters(ctx, staging, options.extra_params)
    check_notebook_parameters(notebook, params)
    pack = _pack_notebooks(ctx, notebook, params)
    run = _Run(ctx=ctx, notebook=notebook, params=params, outputs=outputs, staging=staging, started=started,
               t_start=t_start, pack=pack)
    run.timings["checks"] = time.perf_counter() - t_start
    return run


def _pack_notebooks(ctx: RunContext, notebook: Path, params: dict) -> list[Path]:
    """The further pages published with the quarterly report (settings ``[report] pack``, the
    data-quality page by default), each checked before anything runs; none for another notebook."""
    if notebook.stem != Path(DEFAULT_NOTEBOOK).stem:
        return []
    pages = []
    standard = {k: v for k, v in params.items() if k in STANDARD_PARAMETERS}
    for name in ctx.settings["report"]["pack"]:
        page = find_notebook(name)
        check_notebook_parameters(page, standard)
        pages.append(page)
    return pages


_MEMO: list = [None, {}]  # [a weak reference to a batch's indicator table, {(period, settings): it published}]


def _group_published(ctx: RunContext, table: pd.DataFrame) -> pd.DataFrame:
    """The run's rows as published (``ctx.published``), taken from the batch's whole ``table``
    suppressed once (:func:`~ot_benchmark.report.context.published_rows`) and kept while that
    table lives: the same cells as suppressing the group's rows on their own."""
    if _MEMO[0] is None or _MEMO[0]() is not table:
        _MEMO[:] = [weakref.ref(table), {}]
    key = (ctx.period, str(ctx.settings_path))
    if key not in _MEMO[1]:
        _MEMO[1][key] = published_rows(table, ctx.period, ctx.catalogue)
    whole = _MEMO[1][key]
    mine = whole[whole["authority_code"].isin(ctx.group_codes).to_numpy()]
    upto = ctx.indicators["period"].astype(str) <= ctx.period
    return mine.set_axis(ctx.indicators.index[upto.to_numpy()])


def _report_rows(ctx: RunContext) -> pd.DataFrame:
    """The rows of the indicator table a report reads: the council's and its comparator
    group's (every section compares the council with its group, never with other councils),
    without the table's ``attrs`` (the settings it was computed with: no report reads them, and
    pandas deep-copies a frame's attrs into every frame derived from it, which cost a report
    seconds). At national scale a report then handles a group's rows, not England's. The
    caller's table is left as it is."""
    table = ctx.indicators
    mine = table["authority_code"].isin(ctx.group_codes).to_numpy()
    out = table.copy(deep=False) if mine.all() else table[mine].reset_index(drop=True)
    out.attrs = {}
    return out


def _notebook_parameters(ctx: RunContext, staging: Path, extra_params: Mapping[str, object]) -> dict:
    """The eight standard parameters (docs/dev/RUNNER_CONTRACT.md) and the further ones."""
    params = {
        "data_dir": str(ctx.data_dir),
        "authority": ctx.authority,
        "period": ctx.period,
        "group": ctx.group,
        "output_dir": str(staging),
        "cache_dir": str(ctx.cache_dir),
        "suppress": ctx.suppress,
        "settings_path": str(ctx.settings_path or ""),
    }
    clash = [k for k in extra_params if k in params]
    if clash:
        raise ParameterError(f"extra parameters {clash} clash with the standard ones; use their own options")
    return {**params, **extra_params}


def _execute(run: _Run, timeout: float | None, kernel: KeptKernel | None = None):
    """Run the notebook into the staging folder, the context handed over; the executed notebook.
    The pack's pages run after it, on the same context and kernel (``run.pack_executed``). When
    the runner draws the figures (``ctx.figures_drawn_by_runner``), it draws them meanwhile and
    puts them into the executed notebooks at the end (:mod:`ot_benchmark.runner.figures`)."""
    if run.ctx.figures_drawn_by_runner:  # a core to spare: the last steps made ready meanwhile
        run.warming = threading.Thread(target=_warm_pages, name="ot-warm-pages", daemon=True)
        run.warming.start()
    with FigureDrawer(run.staging) if run.ctx.figures_drawn_by_runner else contextlib.nullcontext() as drawer:
        executed = _execute_one(run, run.notebook, run.params, timeout, "execute", kernel)
        standard = {k: v for k, v in run.params.items() if k in STANDARD_PARAMETERS}
        for page in run.pack:
            run.pack_executed[page.stem] = _execute_one(run, page, standard, timeout, f"execute_{page.stem}", kernel)
        if drawer is not None:
            with run.timed("figures_after"):  # what was left to draw once the cells had run
                run.figures_by_runner = drawer.finish()
            for nb in (executed, *run.pack_executed.values()):
                inline_figures(nb, run.staging)
    return executed


def _warm_pages() -> None:
    """The runner's last steps made ready while the kernel works: the page renderer
    (:func:`~ot_benchmark.runner.html.warm_up`) and openpyxl, which the publish check reads the
    workbook with (the kernel writes it: 0.15 s to import here otherwise)."""
    try:
        warm_up()
        import openpyxl  # noqa: F401, PLC0415
    except Exception:  # noqa: BLE001 - only a head start: the real steps meet and report any problem
        pass


def _execute_one(run: _Run, notebook: Path, params: dict, timeout: float | None, step: str,
                 kernel: KeptKernel | None):
    handover = hand_over(run.ctx, run.staging)
    try:
        with run.timed(step):
            return execute_notebook(notebook, run.staging / f"{notebook.stem}.ipynb", params, timeout=timeout,
                                    kernel=kernel)
    except ReportFailed as exc:
        raise ReportFailed(f"{notebook.stem} failed for {run.ctx.authority} {run.ctx.period}: {exc}",
                           exc.details) from None
    finally:
        handover.unlink(missing_ok=True)  # an input of the run (every council's figures), never an output


def _render(run: _Run, executed, kernel: KeptKernel, timeout: float | None) -> None:
    """``report.html`` for readers, the workbook with its "About" sheet, and the synthetic-data
    labels of the CSVs. The kernel, idle now, writes the workbook and labels the CSVs while the
    runner renders the pages (0.4 s of a report's 0.8 s here)."""
    ctx = run.ctx
    with run.timed("render"):
        if run.warming is not None:
            run.warming.join()
        run.fingerprint = cache.data_fingerprint(str(ctx.data_dir))
        sha = run.fingerprint["sha256"]
        about = [
            ("Council", f"{ctx.council} ({ctx.authority})"),
            (ctx.words.heading, ctx.period),
            ("Comparator group", ctx.group),
            ("Report", run.name),
            ("Generated", _utcnow().strftime("%Y-%m-%d %H:%M UTC")),
            ("Data fingerprint", sha),
            ("Disclosure control", SUPPRESSION_NOTE if ctx.suppress else ANALYST_ONLY_NOTE),
        ]
        if ctx.banner:
            about.insert(0, ("WARNING", ctx.banner))
        # banner on every sheet, headings frozen (export.write_workbook); plain literals, so repr
        # writes them as Python the kernel reads back exactly
        staging = str(run.staging)
        workbook = kernel.begin(
            "from ot_benchmark.report import export as _ot_export\n"
            f"_ot_export.write_workbook({staging!r}, {[tuple(map(str, r)) for r in about]!r}, {ctx.banner!r})\n"
            f"_ot_export.label_synthetic_tables({staging!r}, {ctx.banner!r})",
            f"writing {WORKBOOK_NAME} for {run.label}")
        try:
            _render_pages(run, executed)
        except BaseException:
            with contextlib.suppress(Exception):  # never leave the kernel writing into a folder set aside
                workbook.wait(timeout)
            raise
        workbook.wait(timeout)
        book = run.staging / WORKBOOK_NAME
        run.workbook = book if book.is_file() else None


def _render_pages(run: _Run, executed) -> None:
    """``report.html`` and the pack's pages, and their notebooks as published."""
    ctx = run.ctx
    footer = (f"Generated {_utcnow().strftime('%Y-%m-%d %H:%M UTC')} by ot_benchmark {__version__} "
              f"from data fingerprint {run.fingerprint['sha256'][:12]}"
              + ("" if ctx.suppress else " — ANALYST-ONLY, small numbers not suppressed"))
    body = report_html(executed, title=f"{ctx.council} — occupational therapy benchmarking — {ctx.period}",
                       banner=ctx.banner, suppress=ctx.suppress, footer=footer)
    (run.staging / "report.html").write_text(body, encoding="utf-8")
    # the executed notebook is published sanitised like the HTML (runner/sanitise.py): no
    # script, no stderr, inert outputs only, no absolute path of this machine
    import nbformat

    nbformat.write(published_notebook(executed, _roots(run)), str(run.staging / f"{run.name}.ipynb"))
    for name, page in run.pack_executed.items():  # the pack's pages, published the same way
        title = pack_title(name)
        (run.staging / f"{name}.html").write_text(
            report_html(page, title=f"{ctx.council} — {title} — {ctx.period}", banner=ctx.banner,
                        suppress=ctx.suppress, footer=footer), encoding="utf-8")
        nbformat.write(published_notebook(page, _roots(run)), str(run.staging / f"{name}.ipynb"))


def _check_outputs(run: _Run) -> None:
    """Every recorded figure was written; no case identifier shows anywhere."""
    ctx = run.ctx
    with run.timed("output_checks"):
        run.manifest = read_manifest(run.staging)
        missing = [f["file"] for f in run.manifest.get("figures", []) if not (run.staging / f["file"]).is_file()]
        if missing:
            raise ReportFailed(f"{run.label}: figures recorded but not written: {missing}")
        (run.staging / MANIFEST_NAME).unlink(missing_ok=True)
        ids = case_ids_of(str(ctx.data_dir), run.fingerprint["sha256"], str(ctx.cache_dir))
        hits, run.case_id_check = find_case_ids(run.staging, ids)
        if hits:
            shown = "; ".join(f"{c} {v!r} in {f}" for f, c, v in hits[:5])
            raise ReportFailed(f"{run.label} shows case identifiers, so it was not published: "
                               f"{shown}{' ...' if len(hits) > 5 else ''}. Show counts, never case-level rows.")


def _roots(run: _Run) -> dict[str, str]:
    """The run's absolute paths and what published files say instead (runner/sanitise.py)."""
    ctx = run.ctx
    others = tuple(p for p in (ctx.settings_path, run.notebook, run.notebook.parent) if p)
    return path_roots(project=cache.project_root(), staging=run.staging, outputs=run.outputs,
                      data_dir=ctx.data_dir, cache_dir=ctx.cache_dir, others=others)


def _record(run: _Run) -> None:
    """``run.json``: what made this report, every path written relative to the project or by its
    own name (the data folder's name), never as an absolute path of this machine."""
    ctx = run.ctx
    settings_path = str(ctx.settings_path or "")
    run.timings["total_before_publish"] = time.perf_counter() - run.t_start
    write_run_record(run.staging, portable({
        "notebook": run.name,
        "notebook_path": str(run.notebook),
        "authority": ctx.authority,
        "authority_name": ctx.council,
        "period": ctx.period,
        "group": ctx.group,
        "suppressed": ctx.suppress,
        "synthetic": ctx.banner is not None,
        "banner": ctx.banner,
        "parameters": {**run.params, "output_dir": "(staging folder, published to this folder)"},
        "kernel": KERNEL_NAME,
        "data": data_record(str(ctx.data_dir), run.fingerprint, ctx.metadata),
        "settings": settings_record(settings_path),
        "indicator_cache": indicator_cache_record(str(ctx.data_dir), settings_path, str(ctx.cache_dir),
                                                  run.fingerprint),
        "versions": versions(),
        "git": git_state(),
        "started_utc": run.started.isoformat(timespec="seconds"),
        "finished_utc": _utcnow().isoformat(timespec="seconds"),
        "timings_s": {k: round(v, 3) for k, v in run.timings.items()},
        "figures_drawn_by_runner": run.figures_by_runner,
        "outputs": {
            "html": "report.html",
            "notebook": f"{run.name}.ipynb",
            "workbook": run.workbook.name if run.workbook else None,
            "pages": [{"name": name, "title": pack_title(name), "html": f"{name}.html",
                       "notebook": f"{name}.ipynb"} for name in run.pack_executed],
            "tables": run.manifest.get("tables", []),
            "figures": run.manifest.get("figures", []),
        },
        "case_id_check": run.case_id_check,
    }, _roots(run)))


def _publish(run: _Run) -> None:
    """Replace the council's published folder with the staging folder, atomically."""
    run.target = published_folder(run.outputs, run.ctx.period, run.ctx.authority, run.name)
    with run.timed("publish"):
        publish(run.staging, run.target, run.outputs / STAGING_DIR)


# --------------------------------------------------------------------------------------------
# the result


def _failed(run: _Run, message: str, details: str | None) -> RunResult:
    """Keep the failed run under ``outputs/_failed/``; nothing is published. On a full or
    read-only disk keeping it may fail too: then the staging folder is removed (nothing is left
    half-written), the message says so, and the run ends with its result all the same."""
    try:
        dest = str(keep_failed(run.outputs, run.ctx.period, run.ctx.authority, run.name, run.staging, message,
                               details))
    except OSError as exc:
        shutil.rmtree(run.staging, ignore_errors=True)
        dest = None
        message = (f"{message} The failed notebook could not be kept either "
                   f"({outputs_problem(run.outputs, exc)}); nothing was written.")
    return RunResult(run.ctx.authority, run.ctx.period, run.name, False, error=message, failed_dir=dest,
                     seconds=time.perf_counter() - run.t_start, timings=run.timings)


def _published(run: _Run) -> RunResult:
    return RunResult(run.ctx.authority, run.ctx.period, run.name, True, published_dir=str(run.target),
                     html=str(run.target / "report.html"), seconds=time.perf_counter() - run.t_start,
                     timings=run.timings)
