"""``ot-benchmark --help`` and every subcommand's ``--help`` exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from ot_benchmark.cli import COMMANDS, main


def test_top_level_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 1
    assert "usage: ot-benchmark" in capsys.readouterr().out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_subcommand_help(command, capsys):
    # every command has both functions, named for it (a dash in the name as _), in the cli package
    configure, run = COMMANDS[command].configure, COMMANDS[command].run
    name = command.replace("-", "_")
    assert configure.__name__ == f"configure_{name}_parser" and run.__name__ == f"run_{name}"
    assert configure.__module__.startswith("ot_benchmark.cli.") and run.__module__ == configure.__module__
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: ot-benchmark {command}")


def test_the_command_and_the_runner_load_no_figure_or_statistics_libraries():
    """A report's runner process (``ot-benchmark report``) imports the command line and the
    runner without seaborn, matplotlib and scipy.stats (about a second to import): they are the
    kernel's, or only the commands' that use them. (The runner imports matplotlib later, and only
    when it draws a report's figures beside the kernel: ot_benchmark/runner/figures.py.)"""
    import subprocess
    import sys

    heavy = ("seaborn", "matplotlib", "scipy.stats", "ot_benchmark.io.synth", "ot_benchmark.report.plots")
    code = ("import sys, ot_benchmark.cli, ot_benchmark.runner.render, ot_benchmark.runner.batch; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_report_command_that_stops_early_says_why():
    """``ot-benchmark report`` starts its kernel before it has read its options; when the run
    then stops (here: no such data folder), the user still gets the one-line error and status 2
    (the kernel it started is shut down with the process: tested in test_kernel_jobs.py)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "ot_benchmark.cli", "report", "--data", str(Path("/nonexistent") / "nowhere"),
                           "--authority", "E10000017", "--outputs", "outputs-never-written"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: data folder '/nonexistent/nowhere' does not exist")
    assert "Traceback" not in proc.stderr
