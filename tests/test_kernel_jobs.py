"""Work the runner hands to its kept kernel and does not wait for (issue 15).

Once a report's notebooks have run, the kernel writes ``tables.xlsx`` while the runner renders
the pages (``KeptKernel.begin`` / ``KernelJob.wait``): what the kernel ran, and any error it
met, must come back to the runner as surely as if the runner had done the work itself.
"""

from __future__ import annotations

import pytest

from ot_benchmark.runner import execute
from ot_benchmark.runner.execute import WARM_UP, KeptKernel, ReportFailed, notebooks_dir

pytestmark = pytest.mark.slow  # starts a kernel


@pytest.fixture(scope="module")
def kernel():
    with KeptKernel() as k:
        k.start(notebooks_dir(), WARM_UP)
        yield k


def test_the_kernel_does_the_work_it_is_handed_while_the_runner_goes_on(kernel, tmp_path):
    out = tmp_path / "done.txt"
    job = kernel.begin(f"import pathlib; pathlib.Path({str(out)!r}).write_text(str(6 * 7))", "writing a file")
    job.wait(60)
    assert out.read_text() == "42"
    # the kernel is still there for the next job (a batch's next council)
    kernel.begin(f"pathlib.Path({str(out)!r}).write_text('again')", "writing it again").wait(60)
    assert out.read_text() == "again"


def test_an_error_in_the_kernel_comes_back_to_the_runner_naming_the_work(kernel):
    job = kernel.begin("raise ValueError('no such sheet: summary')", "writing tables.xlsx for the test report")
    with pytest.raises(ReportFailed, match=r"writing tables.xlsx for the test report failed: "
                                           r"ValueError: no such sheet: summary") as err:
        job.wait(60)
    assert "ValueError" in err.value.details and "\x1b[" not in err.value.details


def test_work_that_outlives_its_time_fails_and_the_kernel_is_given_up(tmp_path):
    with KeptKernel() as k:
        k.start(notebooks_dir())
        job = k.begin("import time; time.sleep(30)", "writing a slow workbook")
        with pytest.raises(ReportFailed, match="writing a slow workbook took more than 2 s"):
            job.wait(2)
        assert k.km is None  # discarded: the next notebook gets a fresh kernel


def _alive(km) -> bool:
    from jupyter_client.utils import run_sync

    return km is not None and km.has_kernel and run_sync(km.is_alive)()


def test_the_kernel_a_command_starts_first_is_the_one_its_run_takes(monkeypatch):
    """``ot-benchmark report`` starts its kernel before loading the package
    (``prestart_kernel``); the run's own KeptKernel takes that kernel rather than a second one."""
    monkeypatch.setattr(execute, "_PRESTARTED", {})
    execute.prestart_kernel()
    (km,) = execute._PRESTARTED.values()
    assert _alive(km)
    with KeptKernel() as k:
        k.start(notebooks_dir(), WARM_UP)
        assert k.km is km and not execute._PRESTARTED
    assert not _alive(km)


def test_a_kernel_started_first_that_no_run_took_is_shut_down(monkeypatch):
    """The run stopped before it needed its kernel (a wrong option, say): the kernel started
    first thing is shut down as the process ends (``atexit``), not left running."""
    monkeypatch.setattr(execute, "_PRESTARTED", {})
    execute.prestart_kernel()
    (km,) = execute._PRESTARTED.values()
    assert _alive(km)
    execute._discard_prestarted()  # what atexit calls
    assert not execute._PRESTARTED and not _alive(km)
