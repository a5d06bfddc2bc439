"""Provenance of a run: what ``run.json`` records, and the code fingerprint a run pins.

``run.json`` says what made a report: package versions, the git commit (and whether the tree
had uncommitted changes), the data folder's content fingerprint, the settings file (its text and
hash), the indicator cache key. :func:`pin_code_fingerprint` keeps the package's code
fingerprint fixed for the length of a run, so an edit of the source during the run cannot change
the indicator cache key between the runner and its notebooks.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ot_benchmark import __version__
from ot_benchmark.indicators import cache

__all__ = [
    "RUN_RECORD_NAME",
    "versions",
    "git_state",
    "settings_record",
    "data_record",
    "indicator_cache_record",
    "write_run_record",
    "pin_code_fingerprint",
]

RUN_RECORD_NAME = "run.json"
_PACKAGES = ("numpy", "pandas", "scipy", "matplotlib", "seaborn", "pyarrow", "openpyxl",
             "papermill", "nbconvert", "nbformat", "ipykernel", "holidays", "pandera")


def versions() -> dict:
    """Python's, this package's and its main dependencies' versions (None when not installed)."""
    out = {"python": platform.python_version(), "ot_benchmark": __version__}
    for pkg in _PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def git_state() -> dict:
    """The source checkout's ``commit`` and whether tracked files have uncommitted changes
    (``dirty``); None for both outside a checkout or when git cannot say."""
    root = cache.project_root()
    if root is None or not (root / ".git").exists():
        return {"commit": None, "dirty": None}
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0")  # read-only: never take the index lock
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, env=env).stdout.strip() or None
        status = subprocess.run(["git", "-C", str(root), "--no-optional-locks", "status", "--porcelain",
                                 "--untracked-files=no"], capture_output=True, text=True, timeout=20, env=env)
        dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def settings_record(settings_path: str) -> dict:
    """The settings file in use (``""``: the package defaults): its fingerprint and its text."""
    rec = cache.settings_fingerprint(settings_path or None)
    path = Path(settings_path) if settings_path else Path(rec.get("default", ""))
    rec["text"] = path.read_text(encoding="utf-8") if path.is_file() else None
    return rec


def data_record(data_dir: str, fingerprint: dict, metadata: dict) -> dict:
    """The data folder, its content hash and files (from :func:`cache.data_fingerprint`), and
    its ``metadata.json``."""
    return {"dir": data_dir, "sha256": fingerprint["sha256"], "files": fingerprint["files"], "metadata": metadata}


def indicator_cache_record(data_dir: str, settings_path: str, cache_dir: str, fingerprint: dict) -> dict:
    """The indicator cache folder and the key of the table the run read."""
    return {"dir": cache_dir,
            "key": cache.indicator_cache_key(data_dir, settings_path or None, data_fp=fingerprint)}


def write_run_record(folder: Path, record: dict) -> Path:
    """Write ``record`` as ``folder/run.json``."""
    path = folder / RUN_RECORD_NAME
    path.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    return path


def pin_code_fingerprint(func):
    """Run ``func`` with the package's code fingerprint pinned in the environment (inherited by
    the notebook kernels and batch workers), so a source edit during the run cannot change the
    indicator cache key between the runner and its notebooks; restored afterwards."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        old = os.environ.get(cache.CODE_FINGERPRINT_ENV)
        if old is None:
            os.environ[cache.CODE_FINGERPRINT_ENV] = cache.code_fingerprint()
        try:
            return func(*args, **kwargs)
        finally:
            if old is None:
                os.environ.pop(cache.CODE_FINGERPRINT_ENV, None)

    return wrapper
