"""``python -m ot_benchmark.cli``: the ``ot-benchmark`` command."""

import sys

from ot_benchmark.cli import main

sys.exit(main())
