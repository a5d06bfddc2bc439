"""``ot-benchmark --help`` and every subcommand's ``--help`` exit 0."""

from __future__ import annotations

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
    runner, never draws a figure nor computes a distribution: seaborn, matplotlib and
    scipy.stats (about a second to import) are the kernel's, or only the commands' that use them."""
    import subprocess
    import sys

    heavy = ("seaborn", "matplotlib", "scipy.stats", "ot_benchmark.io.synth", "ot_benchmark.report.plots")
    code = ("import sys, ot_benchmark.cli, ot_benchmark.runner.render, ot_benchmark.runner.batch; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
