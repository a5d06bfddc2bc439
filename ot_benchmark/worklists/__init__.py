"""Worklists: the people and records behind the benchmark figures, for the service to act on.

Restricted by construction — every file holds personal case references, is marked as such on
its first line, is readable by its owner only and lives in ``outputs/_restricted/``, which the
report runner never publishes (:mod:`ot_benchmark.worklists.restricted`).

``build_worklists(data, authority, period)`` (:mod:`.lists`) selects each list with the very
function the indicator engine counts with, so a list's length equals its published figure;
``parse_similar`` / ``find_similar`` (:mod:`.similar`) list people like a given description;
``write_worklists`` writes the CSVs and ``worklists.xlsx``. CLI: ``ot-benchmark worklists``
(:mod:`ot_benchmark.cli.worklists`).
"""

from __future__ import annotations

from ot_benchmark.worklists.lists import LISTS, WAITING_COLUMNS, Worklists, build_worklists
from ot_benchmark.worklists.restricted import (MARKER, RESTRICTED_DIRNAME, RestrictedOutputError, default_dir,
                                               is_restricted_file, read_csv, refuse_restricted)
from ot_benchmark.worklists.similar import SIMILAR_KEYS, find_similar, parse_similar
from ot_benchmark.worklists.write import write_worklists

__all__ = [
    "LISTS",
    "WAITING_COLUMNS",
    "Worklists",
    "build_worklists",
    "write_worklists",
    "parse_similar",
    "find_similar",
    "SIMILAR_KEYS",
    "MARKER",
    "RESTRICTED_DIRNAME",
    "RestrictedOutputError",
    "default_dir",
    "is_restricted_file",
    "read_csv",
    "refuse_restricted",
]
