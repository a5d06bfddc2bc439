"""Where the package and its source checkout are (no imports beyond the standard library, so
that a command can find its notebooks before it loads anything else)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PACKAGE_DIR", "project_root"]

PACKAGE_DIR = Path(__file__).resolve().parent  # the ot_benchmark package


def project_root() -> Path | None:
    """The source checkout the package runs from (the folder holding ``pyproject.toml`` next to
    the package), or None for an installed wheel."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() else None
