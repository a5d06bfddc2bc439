"""The package's layers (docs/ARCHITECTURE.md) are enforced by import-linter's contract in
pyproject.toml: a module may import only from layers below its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
        "--no-cache"]


def _lint(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LINT, cwd=cwd, capture_output=True, text=True, env={"PYTHONPATH": str(pythonpath), "PATH": ""},
                          timeout=120)


def test_the_package_keeps_its_layers():
    res = _lint(ROOT, ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 kept, 0 broken" in res.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    # a copy of the package in which a statistics module imports the runner (an upward import)
    shutil.copytree(ROOT / "ot_benchmark", tmp_path / "ot_benchmark", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "ot_benchmark" / "stats" / "spc.py"
    target.write_text(target.read_text() + "\nfrom ot_benchmark.runner import render  # noqa: E402\n")
    res = _lint(tmp_path, tmp_path)
    assert res.returncode != 0
    assert "ot_benchmark.stats is not allowed to import ot_benchmark.runner" in res.stdout
