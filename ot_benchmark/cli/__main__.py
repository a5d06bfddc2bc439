"""``python -m ot_benchmark.cli``: the ``ot-benchmark`` command."""

from ot_benchmark.cli import console

console()
