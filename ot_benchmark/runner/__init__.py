"""Running reports: check, execute (papermill), render the HTML, check the outputs, record
provenance, publish atomically; one council (:func:`render_report`) or a batch
(:func:`render_batch`).

Modules: ``execute`` (kernel, notebook, parameters, papermill), ``html`` (report.html),
``case_ids`` (no case identifier in the outputs), ``provenance`` (run.json), ``publish`` (staging,
atomic publish, failed runs, index.html), ``render`` (one report), ``batch`` (many).
"""

import importlib

__all__ = ["RunOptions", "RunResult", "render_report", "render_batch"]

#: imported when first used, so that ``ot-benchmark report`` can start its kernel
#: (:func:`ot_benchmark.runner.execute.prestart_kernel`) before loading pandas and the rest
_EXPORTS = {"RunOptions": "render", "RunResult": "render", "render_report": "render", "render_batch": "batch"}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"ot_benchmark.runner.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'ot_benchmark.runner' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))
