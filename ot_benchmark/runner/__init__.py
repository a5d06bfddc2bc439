"""Running reports: check, execute (papermill), render the HTML, check the outputs, record
provenance, publish atomically; one council (:func:`render_report`) or a batch
(:func:`render_batch`).

Modules: ``execute`` (kernel, notebook, parameters, papermill), ``html`` (report.html),
``case_ids`` (no case identifier in the outputs), ``provenance`` (run.json), ``publish`` (staging,
atomic publish, failed runs, index.html), ``render`` (one report), ``batch`` (many).
"""

from ot_benchmark.runner.batch import render_batch
from ot_benchmark.runner.render import RunOptions, RunResult, render_report

__all__ = ["RunOptions", "RunResult", "render_report", "render_batch"]
