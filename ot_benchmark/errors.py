"""Errors a user can act on. The CLI prints their message (no traceback) and exits non-zero."""

from __future__ import annotations

__all__ = ["OTBenchmarkError", "DataContractError", "ParameterError", "NoComparatorGroup"]


class OTBenchmarkError(Exception):
    """Base class: the message says what is wrong and what to do."""


class DataContractError(OTBenchmarkError):
    """A fatal problem with a data folder: a missing required file or column, an unreadable file.

    The message names the file, the column (and row where there is one) and the fix.
    """

    def __init__(self, message: str, *, file=None, column=None, row=None, fix=None):
        self.file, self.column, self.row, self.fix = file, column, row, fix
        parts = [message]
        if fix:
            parts.append(f"Fix: {fix}")
        super().__init__(" ".join(parts))


class ParameterError(OTBenchmarkError, ValueError):
    """A bad parameter for a run (unknown name, wrong type, council or period not in the data)."""


class NoComparatorGroup(OTBenchmarkError, LookupError):
    """The council has no comparator group in the chosen scheme; we never guess one."""
