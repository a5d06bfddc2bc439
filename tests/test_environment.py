"""environment.yml (conda users) must install the same project as `make install`: the extras
defined in pyproject.toml, and a Python that pyproject's ``requires-python`` accepts."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def _pip_lines(env: dict) -> list[str]:
    for dep in env["dependencies"]:
        if isinstance(dep, dict) and "pip" in dep:
            return [str(x) for x in dep["pip"]]
    return []


def _extras_of(spec: str) -> set[str]:
    m = re.search(r"\.\[([^\]]*)\]", spec)
    return {e.strip() for e in m.group(1).split(",") if e.strip()} if m else set()


#: extras only a benchmark needs: not in `make install` nor environment.yml; `make benchmark`
#: installs them (DuckDB, the reference the engine is measured against)
BENCHMARK_ONLY = {"bench"}


def test_environment_installs_project_with_all_extras():
    extras = set(_pyproject()["project"]["optional-dependencies"]) - BENCHMARK_ONLY
    installs = [line for line in _pip_lines(_environment()) if re.match(r"^-e\s+\.(\[|$)", line)]
    assert len(installs) == 1, f"environment.yml should pip-install the project once with -e .[...], found {installs}"
    assert _extras_of(installs[0]) == extras, (
        f"environment.yml installs extras {sorted(_extras_of(installs[0]))} but pyproject.toml defines "
        f"{sorted(extras)}; make them the same")


def test_makefile_installs_the_same_extras():
    extras = set(_pyproject()["project"]["optional-dependencies"])
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    m = re.search(r"pip install[^\n]*-e\s+\"?\.\[([^\]]*)\]", make)
    assert m, "Makefile should pip install -e .[extras]"
    assert {e.strip() for e in m.group(1).split(",")} == extras - BENCHMARK_ONLY
    target = re.search(r"^benchmark:.*?(?=^\S|\Z)", make, flags=re.S | re.M)
    assert target and all(f".[{e}]" in target.group(0) for e in BENCHMARK_ONLY), \
        "make benchmark should install the benchmark-only extras"


def test_environment_python_satisfies_requires_python():
    requires = SpecifierSet(_pyproject()["project"]["requires-python"])
    pins = [d for d in _environment()["dependencies"] if isinstance(d, str) and re.match(r"^python\b", d)]
    assert len(pins) == 1, f"environment.yml should pin python once, found {pins}"
    # conda: "python=3.11" means 3.11.*; "python>=3.12" a lower bound; the version named must be allowed
    m = re.match(r"^python\s*(?:==?|>=|~=)?\s*(\d+(?:\.\d+)*)(?:\.\*)?\s*$", pins[0])
    assert m, f"cannot read the python pin {pins[0]!r}"
    version = Version(m.group(1))
    assert requires.contains(version), f"environment.yml pins {pins[0]} but pyproject requires-python is {requires}"


def test_environment_adds_no_dependencies_of_its_own():
    """pyproject.toml is the one list of dependencies: conda only supplies python and pip."""
    env = _environment()
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert sorted(re.split(r"[=<>~ ]", d)[0] for d in conda) == ["pip", "python"]
    assert [line for line in _pip_lines(env) if not re.match(r"^-e\s+\.", line)] == []
