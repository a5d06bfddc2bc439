"""The analysts' starting notebook (``notebooks/explore.ipynb``) is not part of the batch, but it
must run: executed here through the runner on the sample, unsuppressed (analyst-only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ot_benchmark.runner.render import RunOptions, render_report


@pytest.mark.integration
@pytest.mark.slow
def test_explore_notebook_runs_on_the_sample(sample_dir, tmp_path):
    res = render_report(sample_dir, "E10000017", "latest",
                        RunOptions(notebook="explore", suppress=False, outputs_dir=tmp_path / "outputs"),
                        update_index=False)
    assert res.ok, res.error
    html = Path(res.html).read_text(encoding="utf-8")
    # analyst-only output says so, and the synthetic banner is there
    assert "Synthetic demonstration data" in html
    assert "not suppressed" in html.lower() or "analyst" in html.lower()
    assert "Traceback" not in html
