"""``ot-benchmark --help`` and every subcommand's ``--help`` exit 0."""

from __future__ import annotations

import importlib

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
    # every command's module must exist and provide both functions (no skipping: a command
    # listed in the CLI without them is a defect)
    module = importlib.import_module(COMMANDS[command][0])
    assert hasattr(module, f"configure_{command}_parser") and hasattr(module, f"run_{command}")
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: ot-benchmark {command}")
