"""``ot-benchmark --help`` and every subcommand's ``--help`` exit 0 (for commands whose module exists)."""

from __future__ import annotations

import importlib
import importlib.util

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
    module_name = COMMANDS[command][0]
    if importlib.util.find_spec(module_name) is None:
        pytest.skip(f"{module_name} is not written yet")
    module = importlib.import_module(module_name)
    if not hasattr(module, f"configure_{command}_parser") or not hasattr(module, f"run_{command}"):
        pytest.skip(f"{module_name} does not provide configure_{command}_parser/run_{command} yet")
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: ot-benchmark {command}")
