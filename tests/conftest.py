"""Shared fixtures of the test suite (docs/ARCHITECTURE.md, "Testing").

Renders are expensive (a kernel start, the notebook's cells, nbconvert), so each report is
rendered once per test session and shared:

* ``sample_report``: ``ot-benchmark report`` on the committed sample (``data/sample``) for
  Lancashire (E10000017), the latest quarter, the sample's own settings; published into a session
  temporary folder (the indicator cache is the project's default one, as for users). ~15 s.
  Tests using it are marked ``slow`` automatically.
* ``tiny_report``: ``tests/notebooks/tiny_report.ipynb`` on the hand-made ``tiny_data`` folder
  (two councils, two quarters, an indicator table seeded into the cache). ~2 s.

Treat both as read-only. The only writes allowed are further *failed* runs into
``tiny_report.outputs`` (tests/test_runner.py), which by the runner's contract leave the
published folder as it was.

``snapshot`` compares text with a committed file under ``tests/snapshots/`` and fails with a
unified diff; ``pytest --update-snapshots`` (or ``make snapshots``) rewrites the files instead.

The package is imported inside the fixtures, not at the top of this file, so a broken import
fails the tests that need it rather than the collection of every test.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SAMPLE_DIR = ROOT / "data" / "sample"
SAMPLE_AUTHORITY = "E10000017"  # Lancashire, the sample's home council
SNAPSHOTS = TESTS / "snapshots"
#: fixtures whose users are marked ``slow`` (``pytest -m "not slow"`` leaves them out)
SLOW_FIXTURES = ("sample_report",)


# ----------------------------------------------------------------------------- options and markers

def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true", default=False,
                     help="rewrite tests/snapshots/ from what is rendered now instead of comparing "
                          "(review the result with git diff tests/snapshots)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes seconds (renders a real report notebook, runs a "
                                       "batch, a browser or a large synthetic world); run by default, "
                                       "leave out with -m 'not slow'")
    config.addinivalue_line("markers", "integration: renders a real report notebook on data/sample")
    config._ot_snapshots_written = []


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(name in getattr(item, "fixturenames", ()) for name in SLOW_FIXTURES):
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    written = getattr(config, "_ot_snapshots_written", [])
    if config.getoption("--update-snapshots"):
        terminalreporter.section("snapshots")
        if written:
            for rel in written:
                terminalreporter.write_line(f"rewritten: {rel}")
            terminalreporter.write_line("review with: git diff tests/snapshots")
        else:
            terminalreporter.write_line("all snapshots were up to date")


# ----------------------------------------------------------------------------- the committed sample

@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """``data/sample``, which is committed: if it is missing or incomplete the tests that need it
    fail (they never skip)."""
    missing = [name for name in ("metadata.json", "settings.toml", "local_indicators.csv")
               if not (SAMPLE_DIR / name).is_file()]
    if not any(SAMPLE_DIR.glob("referrals.*")):
        missing.append("referrals.*")
    if missing:
        pytest.fail(f"{SAMPLE_DIR} is committed but lacks {', '.join(missing)}; restore it with "
                    "'git checkout -- data/sample' (or regenerate it with 'make sample')", pytrace=False)
    return SAMPLE_DIR


@dataclass(frozen=True)
class Rendered:
    """A published report: ``result`` is the runner's RunResult, ``outputs`` the outputs folder it
    was published into, ``folder`` the report's own folder, ``html`` its report.html, ``data`` the
    data folder it was rendered from."""

    result: object
    outputs: Path
    folder: Path
    html: Path
    data: Path


def _rendered(res, outputs: Path, data: Path) -> Rendered:
    assert res.ok, res.error
    folder = Path(res.published_dir)
    return Rendered(result=res, outputs=outputs, folder=folder, html=Path(res.html), data=data)


@pytest.fixture(scope="session")
def sample_report(sample_dir, tmp_path_factory) -> Rendered:
    """The quarterly report of the sample's home council for the latest quarter, rendered once per
    session as ``ot-benchmark report --data data/sample --authority E10000017 --settings
    data/sample/settings.toml --outputs <session tmp>`` does. Read-only."""
    from ot_benchmark.runner.render import RunOptions, render_report

    outputs = tmp_path_factory.mktemp("sample_report") / "outputs"
    # the project's default cache: a warm cache makes this run quick, as for users
    res = render_report(sample_dir, SAMPLE_AUTHORITY, "latest",
                        RunOptions(outputs_dir=outputs, settings_path=sample_dir / "settings.toml"))
    return _rendered(res, outputs, sample_dir)


# ----------------------------------------------------------------------------- the tiny inputs

@dataclass(frozen=True)
class TinyInputs:
    """Hand-made inputs for the runner: a data folder whose only case-level file is a referrals
    file holding :attr:`case_ids`, and an indicator table seeded into the cache, so the runner's
    mechanics are tested without the indicator engine or the report notebooks.

    The table (:meth:`indicator_table`) is two councils x two quarters. W5 by priority: Lancashire
    2024-25 Q4 has 3 of 5 urgent referrals assessed in time (a small count, so published outputs
    show ``[c]``)."""

    notebook: Path = TESTS / "notebooks" / "tiny_report.ipynb"
    home: str = "E10000017"  # Lancashire
    other: str = "E10000012"  # Essex, one of Lancashire's CIPFA neighbours
    case_ids: tuple = ("R000123", "R000456", "R000789")
    banner: str = "Synthetic demonstration data — not real council performance"
    #: the code fingerprint pinned while the seeded cache is used (the cache key includes it)
    fingerprint: str = "ot-benchmark-tiny-tests"
    columns: tuple = ("authority_code", "period", "indicator_id", "breakdown", "numerator", "denominator",
                      "value", "unit", "lower_95", "upper_95", "lower_998", "upper_998", "ci_method", "source")

    def write_data_folder(self, folder: Path, *, synthetic: bool = True) -> Path:
        """A data folder with a referrals file and metadata.json (the only things the runner reads
        from it directly; the indicator table is seeded in the cache)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        referrals = pd.DataFrame({
            "referral_id": list(self.case_ids),
            "authority_code": [self.home, self.home, self.other],
            "referral_date": ["2024-04-03", "2024-05-10", "2024-06-01"],
            "priority": ["high", "urgent", "low"],
            "allocated_date": ["2024-04-20", "", ""],
            "first_assessment_date": ["2024-05-01", "", ""],
            "review_start_date": ["", "", ""],
            "closure_date": ["2024-06-14", "", ""],
            "closure_reason": ["assessed_and_closed", "", ""],
        })
        referrals.to_csv(folder / "referrals.csv", index=False)
        meta = {"synthetic": synthetic, "home_authority": self.home}
        if synthetic:
            meta["banner"] = self.banner
        (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
        return folder

    def indicator_table(self) -> pd.DataFrame:
        rows = []
        for auth in (self.home, self.other):
            for period in ("2024-25 Q3", "2024-25 Q4"):
                rows.append([auth, period, "W1", "all", 120.0, np.nan, 120.0, "people"] + [np.nan] * 4
                            + ["none", "case_level"])
                small = 3.0 if (auth, period) == (self.home, "2024-25 Q4") else 30.0
                parts = [("priority:urgent", small, 5.0 if small == 3.0 else 40.0),
                         ("priority:high", 50.0, 60.0)]
                num = sum(p[1] for p in parts)
                den = sum(p[2] for p in parts)
                for br, n, d in [("all", num, den)] + parts:
                    rows.append([auth, period, "W5", br, n, d, 100 * n / d, "%", np.nan, np.nan, np.nan,
                                 np.nan, "wilson", "case_level"])
        return pd.DataFrame(rows, columns=list(self.columns))

    def seed(self, data_dir: Path, cache_dir: Path) -> pd.DataFrame:
        """Store :meth:`indicator_table` in the cache under ``data_dir``'s key (under the current
        code fingerprint: pin :attr:`fingerprint` first); returns the table."""
        from ot_benchmark.indicators import cache

        table = self.indicator_table()
        cache.store_indicators(table, data_dir, None, cache_dir)
        return table

    @contextmanager
    def pinned(self):
        """Pin the code fingerprint to :attr:`fingerprint` (as the runner does during a run), so the
        seeded cache is found whatever the source tree holds; restores the previous value."""
        from ot_benchmark.indicators import cache

        old = os.environ.get(cache.CODE_FINGERPRINT_ENV)
        os.environ[cache.CODE_FINGERPRINT_ENV] = self.fingerprint
        try:
            yield
        finally:
            if old is None:
                os.environ.pop(cache.CODE_FINGERPRINT_ENV, None)
            else:
                os.environ[cache.CODE_FINGERPRINT_ENV] = old


@pytest.fixture(scope="session")
def tiny() -> TinyInputs:
    """The hand-made inputs (constants and builders) of the runner tests."""
    return TinyInputs()


@dataclass(frozen=True)
class TinyData:
    """:func:`tiny_data`: ``base`` (its session folder), ``data``, ``cache`` (seeded under
    ``tiny.fingerprint``) and the seeded ``table``."""

    base: Path
    data: Path
    cache: Path
    table: pd.DataFrame = field(compare=False)


@pytest.fixture(scope="session")
def tiny_data(tiny, tmp_path_factory) -> TinyData:
    """A tiny data folder and a cache seeded with its indicator table, once per session. Read-only:
    copy it (``tiny.write_data_folder``) to change it."""
    base = tmp_path_factory.mktemp("tiny")
    data = tiny.write_data_folder(base / "data")
    with tiny.pinned():
        table = tiny.seed(data, base / "cache")
    return TinyData(base=base, data=data, cache=base / "cache", table=table)


@pytest.fixture(scope="session")
def tiny_report(tiny, tiny_data) -> Rendered:
    """One successful run of the tiny notebook for ``tiny.home``, latest quarter (2024-25 Q4),
    published into ``tiny_data.base / "outputs"``."""
    from ot_benchmark.runner.render import RunOptions, render_report

    outputs = tiny_data.base / "outputs"
    with tiny.pinned():
        res = render_report(tiny_data.data, tiny.home, "latest",
                            RunOptions(notebook=str(tiny.notebook), outputs_dir=outputs, cache_dir=tiny_data.cache))
    return _rendered(res, outputs, tiny_data.data)


# ----------------------------------------------------------------------------- snapshots

_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}|\s?UTC)?")
# 12+ hex digits with at least one letter and one digit: fingerprints, hashes, commits
_HEX = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{12,}\b")


class Snapshot:
    """``snapshot.check(name, text)``: compare ``text`` with ``tests/snapshots/<name>``."""

    def __init__(self, config, roots: dict[str, Path]):
        self._config = config
        self._update = config.getoption("--update-snapshots")
        self._roots = roots

    def normalise(self, text: str) -> str:
        """Line endings, trailing blanks, absolute paths, timestamps and fingerprints made stable."""
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        # longest paths first, as written and as resolved, POSIX and native separators
        pairs = []
        for label, path in self._roots.items():
            for p in {str(path), str(Path(path).resolve()), Path(path).as_posix()}:
                if len(p) > 3:  # never a bare "/" or drive
                    pairs.append((p, label))
        for p, label in sorted(pairs, key=lambda x: -len(x[0])):
            text = text.replace(p, label)
        text = _TIMESTAMP.sub("<timestamp>", text)
        text = _HEX.sub("<hex>", text)
        lines = [line.rstrip() for line in text.split("\n")]
        return "\n".join(lines).strip("\n") + "\n"

    def check(self, name: str, text: str) -> None:
        path = SNAPSHOTS / name
        rel = path.relative_to(ROOT).as_posix()
        actual = self.normalise(text)
        expected = path.read_text(encoding="utf-8") if path.is_file() else None
        if self._update:
            if expected != actual:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(actual, encoding="utf-8", newline="\n")
                self._config._ot_snapshots_written.append(rel)
            return
        if expected is None:
            pytest.fail(f"{rel} does not exist yet: create it with 'make snapshots' "
                        "(pytest --update-snapshots), review it and commit it", pytrace=False)
        if expected != actual:
            diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                                fromfile=f"{rel} (committed)", tofile=f"{rel} (rendered now)"))
            pytest.fail(f"what readers see has changed ({rel}):\n{diff}\n"
                        "If the change is intended, rewrite the snapshots with 'make snapshots' "
                        "(pytest --update-snapshots), review 'git diff tests/snapshots' and commit them.",
                        pytrace=False)


@pytest.fixture
def snapshot(request, tmp_path_factory) -> Snapshot:
    """Compare text with a committed snapshot (see :class:`Snapshot`); absolute paths of the
    session's temporary folders, the repository and the home folder are replaced by labels."""
    return Snapshot(request.config, {"<tmp>": tmp_path_factory.getbasetemp(), "<repo>": ROOT,
                                     "<home>": Path.home()})
