"""ot_benchmark: benchmark councils' occupational therapy services against comparator councils.

The public API (imported lazily so ``import ot_benchmark`` stays quick)::

    load_data(data_dir)            -> DataBundle        # read + validate a data folder
    compute_indicators(data, periods=None) -> DataFrame # the tidy indicator table
    benchmark(indicators, authority, period, group="cipfa") -> DataFrame
    comparator_group(authority, scheme="cipfa")  -> list of ONS codes
    parse_period("2024-25 Q2")     -> Period
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Period": "ot_benchmark.periods",
    "parse_period": "ot_benchmark.periods",
    "DataBundle": "ot_benchmark.io.bundle",
    "load_data": "ot_benchmark.io.validate",
    "validate_folder": "ot_benchmark.io.validate",
    "WorkingCalendar": "ot_benchmark.workdays",
    "compute_indicators": "ot_benchmark.indicators.engine",
    "load_catalogue": "ot_benchmark.catalogue",
    "load_settings": "ot_benchmark.settings",
    "benchmark": "ot_benchmark.compare.benchmark",
    "comparator_group": "ot_benchmark.io.reference",
    "generate": "ot_benchmark.io.synth",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ot_benchmark' has no attribute {name!r}")
