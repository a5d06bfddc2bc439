"""Figures drawn by the runner while the notebook's cells go on.

Drawing a quarterly report's thirty figures is about 3 s, half of its notebook's time, and
the runner's own process sits idle while the kernel works. When the machine has a core that
no other report is using (:func:`draw_aside`: one report on two cores, or a batch with fewer
jobs than cores), the runner's context tells the notebook's guard to hand figures over
(:func:`ot_benchmark.report.export.hand_figures_over`): ``save_figure`` pickles each figure into
the staging folder's ``.figures_pending/`` and shows an ``<img>`` naming ``figures/<name>.svg``,
and a thread of the runner (:class:`FigureDrawer`) draws it with the same function the kernel
would have used (:func:`ot_benchmark.report.export.figure_svg`: the same bytes, tested). Once
the notebooks have run, the runner waits for the last drawing and puts every drawn figure
into the executed notebooks (:func:`inline_figures`) before they are rendered, so the
published page and notebook are what they would be had the kernel drawn them.

The pickles are the run's own, written by its own kernel into its own staging folder (like the
context handed over to the kernel), and never published.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import threading
from pathlib import Path

from ot_benchmark.report.export import FIGURES_PENDING, HANDED_OVER_ATTR, figure_svg, figure_uri
from ot_benchmark.runner.execute import ReportFailed

__all__ = ["FigureDrawer", "draw_aside", "inline_figures"]

#: A handed-over figure's image source in a notebook's output (export.save_figure writes it).
_HANDED_OVER = re.compile(rf'src="figures/([a-z0-9_]+)\.svg" {HANDED_OVER_ATTR}="\1"')


def draw_aside(reports_at_once: int) -> bool:
    """Whether the runner draws the figures beside the kernel: when fewer reports run at once
    than the machine has cores for this process (a batch that keeps every core busy gains
    nothing from it and pays the pickling, 0.3 s a report)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return reports_at_once < cores


class FigureDrawer:
    """A thread that draws the figures a run's notebooks hand over, as they come.

    Use as a context manager around the notebooks' execution; call :meth:`finish` once they
    have run (it waits for the last figure and raises what failed). Leaving the block without
    :meth:`finish` (a notebook failed) stops the thread, drawing nothing more.
    """

    #: How often the thread looks for new figures, in seconds (a figure takes ~0.1 s to draw).
    POLL_S = 0.02

    def __init__(self, staging: Path) -> None:
        self.pending = Path(staging) / FIGURES_PENDING
        self.figures = Path(staging) / "figures"
        self.errors: list[tuple[str, str]] = []
        self.drawn = 0
        self._stop = threading.Event()
        self._abandon = False
        self._thread = threading.Thread(target=self._run, name="ot-figures", daemon=True)

    def __enter__(self) -> "FigureDrawer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._thread.is_alive():  # not finished: a notebook failed, nothing more is drawn
            self._abandon = True
            self._stop.set()
            self._thread.join()
        shutil.rmtree(self.pending, ignore_errors=True)  # never published, nor kept with a failed run

    def finish(self) -> int:
        """Wait for every figure handed over to be drawn; the number drawn.

        Raises
        ------
        ReportFailed
            A figure could not be drawn (its name and the error).
        """
        self._stop.set()
        self._thread.join()
        shutil.rmtree(self.pending, ignore_errors=True)
        if self.errors:
            shown = "; ".join(f"{name}: {error}" for name, error in self.errors)
            raise ReportFailed(f"the runner could not draw {len(self.errors)} figure(s): {shown}")
        return self.drawn

    def _run(self) -> None:
        _warm_up()
        while not self._abandon:
            last = self._stop.is_set()  # read before looking: what was handed over before finish() is drawn
            self._draw_pending()
            if last:
                return
            self._stop.wait(self.POLL_S)

    def _draw_pending(self) -> None:
        if not self.pending.is_dir():
            return
        for path in sorted(self.pending.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns):
            if self._abandon:
                return
            name = path.stem
            try:
                with path.open("rb") as fh:
                    fig = pickle.load(fh)
                svg = figure_svg(fig, salt=name)
                part = self.figures / f"{name}.svg.part"
                part.write_bytes(svg)
                part.replace(self.figures / f"{name}.svg")
                self.drawn += 1
            except Exception as exc:  # noqa: BLE001 - reported by finish(), naming the figure
                self.errors.append((name, f"{type(exc).__name__}: {exc}"))
            finally:
                path.unlink(missing_ok=True)


def _warm_up() -> None:
    """Import what drawing needs and lay out some text once (fonts found, caches filled), so
    that the first figure handed over is drawn as fast as the rest (the kernel did the same as
    it booted)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label="line")
    ax.set_title("title")
    ax.legend()
    figure_svg(fig)


def inline_figures(nb, staging: Path) -> int:
    """Put every figure the runner drew into the executed notebook ``nb`` (in place): each
    handed-over ``<img>`` gets the drawn SVG's data URI, as the kernel would have shown it.
    Returns the number of figures put in.

    Raises
    ------
    ReportFailed
        A figure named in the notebook was not drawn.
    """
    staging = Path(staging)
    missing: list[str] = []
    count = 0

    def uri(match: re.Match) -> str:
        nonlocal count
        path = staging / "figures" / f"{match.group(1)}.svg"
        if not path.is_file():
            missing.append(match.group(1))
            return match.group(0)
        count += 1
        return f'src="{figure_uri(path.read_bytes())}"'

    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            page = out.get("data", {}).get("text/html")
            if page is None:
                continue
            text = "".join(page) if isinstance(page, list) else page
            if HANDED_OVER_ATTR in text:
                out["data"]["text/html"] = _HANDED_OVER.sub(uri, text)
    if missing:
        raise ReportFailed(f"figures shown but never drawn: {', '.join(missing)}")
    return count
