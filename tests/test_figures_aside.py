"""Figures drawn by the runner while the cells go on (issue 15; ot_benchmark/runner/figures.py).

What a reader gets must not depend on who drew a figure: a report whose figures the runner drew
has the same SVG files, byte for byte, and the same images in its page and notebook as one whose
kernel drew them all. A figure that cannot be pickled is drawn by the kernel; one the runner
cannot draw fails the run, naming it; one shown but never drawn fails the run too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib.ticker as mticker
import nbformat
import pytest

from ot_benchmark.report import export, plots
from ot_benchmark.runner import figures as runner_figures
from ot_benchmark.runner.execute import ReportFailed
from ot_benchmark.runner.figures import FigureDrawer, draw_aside, inline_figures
from ot_benchmark.runner.render import RunOptions, render_report


def _figure(title: str = "Waiting & <people>"):
    fig, ax = plots._figure(None, (6, 4))
    ax.plot([1, 2, 3], [3, 1, 2], color=plots.COLOURS["subject"])
    ax.set_title(title)
    return fig


@pytest.fixture
def handing_over(tmp_path, monkeypatch):
    """An output folder whose figures are handed over (as a runner's run arms it)."""
    monkeypatch.setattr(export, "_HANDING_OVER", set())
    out = tmp_path / "staging"
    out.mkdir()
    export.hand_figures_over(out)
    return out


def _shown(monkeypatch) -> list[dict]:
    """What save_figure displays, as in a kernel."""
    shown: list[dict] = []
    monkeypatch.setattr(export, "_in_ipython", lambda: True)
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    return shown


def test_a_handed_over_figure_is_drawn_by_the_runner_as_the_kernel_would_draw_it(handing_over, tmp_path, monkeypatch):
    shown = _shown(monkeypatch)
    path = export.save_figure(_figure(), "waits", handing_over, alt="Waiting chart", banner="SYNTHETIC")
    pending = handing_over / export.FIGURES_PENDING / "waits.pickle"
    assert pending.is_file() and not path.exists()  # not drawn by the kernel
    assert export.read_manifest(handing_over)["figures"] == [
        {"name": "waits", "file": "figures/waits.svg", "alt": "Waiting chart"}]
    html = shown[0]["text/html"]
    assert 'src="figures/waits.svg" data-ot-figure="waits"' in html and 'alt="Waiting chart"' in html

    with FigureDrawer(handing_over) as drawer:
        assert drawer.finish() == 1
    assert not pending.exists()
    # the same figure drawn by the kernel (same banner, same name): the same bytes
    direct = export.save_figure(_figure(), "waits", tmp_path / "direct", banner="SYNTHETIC", display=False)
    assert path.read_bytes() == direct.read_bytes()
    assert b"SYNTHETIC</text>" in path.read_bytes()

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data=shown[0])])])
    assert inline_figures(nb, handing_over) == 1
    page = nb.cells[0].outputs[0]["data"]["text/html"]
    assert f'src="{export.figure_uri(direct.read_bytes())}"' in page
    assert "data-ot-figure" not in page and 'alt="Waiting chart"' in page


def test_the_kernel_draws_a_figure_itself_when_the_runner_is_behind_or_it_cannot_be_pickled(handing_over):
    most = export._MOST_WAITING
    for i in range(most):
        export.save_figure(_figure(f"figure {i}"), f"f{i}", handing_over, display=False)
    last = export.save_figure(_figure("the last"), "last", handing_over, display=False)
    waiting = sorted(p.name for p in (handing_over / export.FIGURES_PENDING).iterdir())
    assert waiting == [f"f{i}.pickle" for i in range(most)]  # as many as may wait: the last was drawn here
    assert last.is_file() and b"the last</text>" in last.read_bytes()

    with FigureDrawer(handing_over) as drawer:
        assert drawer.finish() == most
    fig = _figure("lambda")
    fig.axes[0].yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:.0f} weeks"))
    path = export.save_figure(fig, "unpicklable", handing_over, display=False)
    assert path.is_file() and b"2 weeks</text>" in path.read_bytes()  # drawn here, not handed over
    assert not (handing_over / export.FIGURES_PENDING).exists()  # the drawer cleared it; nothing new


def test_a_figure_the_runner_cannot_draw_fails_the_run_naming_it(tmp_path):
    pending = tmp_path / export.FIGURES_PENDING
    pending.mkdir(parents=True)
    (tmp_path / "figures").mkdir()
    (pending / "broken_chart.pickle").write_bytes(b"not a pickle")
    with FigureDrawer(tmp_path) as drawer:
        with pytest.raises(ReportFailed, match=r"could not draw 1 figure\(s\): broken_chart: UnpicklingError"):
            drawer.finish()


def test_a_figure_shown_but_never_drawn_fails_the_run(tmp_path):
    html = '<figure><img src="figures/lost.svg" data-ot-figure="lost" alt="x"/></figure>'
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": html})])])
    with pytest.raises(ReportFailed, match="figures shown but never drawn: lost"):
        inline_figures(nb, tmp_path)


def test_an_abandoned_drawer_stops_without_drawing_more(tmp_path):
    (tmp_path / "figures").mkdir()
    with FigureDrawer(tmp_path) as drawer:
        pass  # a notebook failed: finish() is never called
    assert not drawer._thread.is_alive() and drawer.drawn == 0


def test_the_runner_draws_figures_only_with_a_core_to_spare(monkeypatch):
    monkeypatch.setattr(runner_figures.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert draw_aside(1) is True  # one report on two cores
    assert draw_aside(2) is False  # a batch of two jobs keeps both busy
    monkeypatch.setattr(runner_figures.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert draw_aside(1) is False


def _images(html: str) -> list[str]:
    return re.findall(r'<img src="(data:image/svg\+xml;base64,[^"]+)"', html)


def test_a_report_reads_the_same_whoever_drew_its_figures(sample_report, tmp_path):
    """The session's sample report (figures drawn by the runner on a machine with a core to
    spare) against the same report with every figure drawn by the kernel."""
    run = json.loads((sample_report.folder / "run.json").read_text())
    assert (run["figures_drawn_by_runner"] or 0) > 0 if draw_aside(1) else run["figures_drawn_by_runner"] is None
    res = render_report(sample_report.data, sample_report.result.authority, "latest",
                        RunOptions(outputs_dir=tmp_path / "outputs", figures_aside=False,
                                   settings_path=sample_report.data / "settings.toml"))
    assert res.ok, res.error
    kernel = Path(res.published_dir)
    assert json.loads((kernel / "run.json").read_text())["figures_drawn_by_runner"] is None

    names = sorted(p.name for p in (kernel / "figures").iterdir())
    assert len(names) >= 30 and names == sorted(p.name for p in (sample_report.folder / "figures").iterdir())
    for name in names:
        assert (kernel / "figures" / name).read_bytes() == (sample_report.folder / "figures" / name).read_bytes(), name
    for page in ("report.html", "data_quality.html"):
        ours, theirs = _images((sample_report.folder / page).read_text()), _images((kernel / page).read_text())
        assert ours == theirs and (page != "report.html" or len(ours) == len(names))
    for page in ("quarterly_report.ipynb", "data_quality.ipynb"):
        a, b = (sample_report.folder / page).read_text(), (kernel / page).read_text()
        assert "data-ot-figure" not in a and _images(a) == _images(b)
    assert not (sample_report.folder / export.FIGURES_PENDING).exists()


def test_a_figure_gives_the_same_bytes_whatever_hash_matplotlib_gave_its_clip_paths():
    """matplotlib names a clip path by a hash of its rectangle's coordinates; two processes
    drawing the capacity chart got rectangles differing below the printed precision, so the
    same chart had two names for its clip path. figure_svg names them in order of use."""
    def svg(a, b):
        return (f'<g clip-path="url(#{a})"/><g clip-path="url(#{b})"/><g clip-path="url(#{a})"/>'
                f'<defs><clipPath id="{a}"><rect/></clipPath><clipPath id="{b}"><rect/></clipPath></defs>').encode()
    one = export._clip_ids_in_order(svg("p4c24454d78", "p0123456789"))
    two = export._clip_ids_in_order(svg("pa90ee54d9b", "pfedcba9876"))
    assert one == two == svg("clip1", "clip2")
    drawn = export.figure_svg(_figure("same"), salt="same")
    assert b'clip-path="url(#clip1)"' in drawn and b'<clipPath id="clip1">' in drawn
    assert not re.search(rb'id="p[0-9a-f]{10}"', drawn)
