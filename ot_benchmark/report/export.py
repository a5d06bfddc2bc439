"""What a report notebook writes: tables (CSV + one Excel workbook) and figures (SVG).

Notebooks follow docs/dev/RUNNER_CONTRACT.md: a ``parameters`` cell, a ``guard`` cell calling
:func:`guard`, then calls into the package. Tables go through :func:`save_table` (small-number
suppression applied unless the run is analyst-only), figures through :func:`save_figure`.
Everything written is recorded in ``<output_dir>/manifest.json``, which the runner reads to
check the run and to describe it in ``run.json``.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from ot_benchmark.report import disclosure, safe

__all__ = [
    "show_notices",
    "banner_html",
    "save_table",
    "save_figure",
    "figure_svg",
    "figure_uri",
    "FIGURE_FONTS",
    "hand_figures_over",
    "FIGURES_PENDING",
    "HANDED_OVER_ATTR",
    "read_manifest",
    "write_about_sheet",
    "write_workbook",
    "defer_workbook",
    "write_csv",
    "finish_workbook",
    "CSV_FLOAT_FORMAT",
    "label_synthetic_tables",
    "SYNTHETIC_COLUMN",
    "WORKBOOK_NAME",
    "MANIFEST_NAME",
    "BANNER_CLASS",
    "ANALYST_CLASS",
]

WORKBOOK_NAME = "tables.xlsx"
MANIFEST_NAME = "manifest.json"
BANNER_CLASS = "ot-banner-synthetic"
ANALYST_CLASS = "ot-banner-analyst-only"
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,30}$")


def banner_html(banner: str | None, suppress: bool = True) -> str:
    """HTML of the notices shown at the top of a report: the synthetic-data banner (when
    ``banner``) and the analyst-only notice (when not ``suppress``). Empty string if neither."""
    parts = []
    if banner:
        parts.append(
            f'<div class="ot-banner {BANNER_CLASS}" role="note" style="background:#fff4e5;'
            f"border:2px solid #b35900;color:#7a3d00;padding:0.6em 1em;margin:0.5em 0;"
            f'font-weight:bold;font-family:sans-serif">{html.escape(banner)}</div>'
        )
    if not suppress:
        parts.append(
            f'<div class="ot-banner {ANALYST_CLASS}" role="note" style="background:#fdecea;'
            f"border:2px solid #a50e0e;color:#a50e0e;padding:0.6em 1em;margin:0.5em 0;"
            f'font-weight:bold;font-family:sans-serif">{html.escape(disclosure.ANALYST_ONLY_NOTE)}</div>'
        )
    return "\n".join(parts)


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    return get_ipython() is not None


def show_notices(banner: str | None, suppress: bool) -> None:
    """Display the synthetic-data banner and the analyst-only notice in a notebook (no-op outside IPython)."""
    notice = banner_html(banner, suppress)
    if notice and _in_ipython():
        from IPython.display import HTML, display as ipy_display

        ipy_display(HTML(notice))


# --------------------------------------------------------------------------------------------
# manifest


def read_manifest(output_dir) -> dict:
    """``{"tables": [...], "figures": [...]}`` written so far into ``output_dir``."""
    path = Path(output_dir) / MANIFEST_NAME
    if not path.is_file():
        return {"tables": [], "figures": []}
    return json.loads(path.read_text(encoding="utf-8"))


def _record(output_dir: Path, kind: str, entry: dict) -> None:
    man = read_manifest(output_dir)
    man[kind] = [e for e in man.get(kind, []) if e["name"] != entry["name"]] + [entry]
    (output_dir / MANIFEST_NAME).write_text(json.dumps(man, indent=2), encoding="utf-8")


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(
            f"output name {name!r}: use 1-31 lower-case letters, digits and underscores, starting "
            "with a letter or digit (it names the CSV or SVG file and the Excel sheet)"
        )
    return name


# --------------------------------------------------------------------------------------------
# tables


#: Where a runner's run keeps its tables until the workbook is written (never published).
_PENDING = ".workbook_sheets"
_DEFERRING: set[str] = set()  # output folders whose workbook the runner writes


def defer_workbook(output_dir) -> None:
    """From now on :func:`save_table` into ``output_dir`` keeps each sheet aside instead of
    rewriting ``tables.xlsx`` (reading the whole workbook back in for every table cost a report
    3 s); the runner then writes the workbook once with :func:`write_workbook`. The guard cell
    calls this when it takes over a runner's context; an interactive session keeps the
    workbook written as it goes."""
    _DEFERRING.add(str(Path(output_dir).resolve()))


def _deferred(out_dir: Path) -> bool:
    return bool(_DEFERRING) and str(out_dir.resolve()) in _DEFERRING


def save_table(
    df: pd.DataFrame,
    name: str,
    output_dir,
    suppress: bool = True,
    *,
    counts: Sequence[str] | None = None,
    rates: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    group_by: Sequence[str] | None = None,
    breakdown: str | None = None,
    total_label: str = "all",
    sheet_title: str | None = None,
) -> pd.DataFrame:
    """Write a table as ``tables/<name>.csv`` and as sheet ``<name>`` of ``tables.xlsx``.

    Parameters
    ----------
    df : DataFrame
        The table. A non-default index is written as columns.
    name : str
        File and sheet name: 1–31 of ``[a-z0-9_]``.
    output_dir : path
        The run's output folder (``ctx.output_dir``).
    suppress : bool
        Apply small-number suppression (:mod:`ot_benchmark.report.disclosure`). An indicator-table
        shaped frame is handled automatically (``rates`` may list further columns derived from
        a row's value, suppressed with it); any other frame needs ``counts`` (``[]`` if it has
        none) and, where relevant, ``rates``, ``group_by``, ``breakdown``, ``total_label``.
        ``False`` makes the output analyst-only.
    sheet_title : str, optional
        A title written in the workbook's "About" sheet against this table.

    Returns
    -------
    DataFrame
        The table as written (with ``[c]`` where suppressed). End the cell with it.

    Notes
    -----
    A text cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return, and is not simply a number; OWASP "CSV injection") is
    stored as text in the workbook and written with a leading ``'`` in the CSV
    (:func:`ot_benchmark.report.safe.neutralise_cells`). Numeric cells, negative ones too, stay
    numbers.
    """
    _check_name(name)
    out_dir = Path(output_dir)
    table = df if isinstance(df.index, pd.RangeIndex) else df.reset_index()
    if suppress:
        if counts is None and disclosure.is_indicator_table(table):
            mask = disclosure.publication_mask(table)
            extra = list(rates or [])
            missing = [c for c in extra if c not in table.columns]
            if missing:
                raise KeyError(f"save_table({name!r}): rate columns {missing} are not in the table")
            for col in extra:
                mask[col] = mask["value"]
            published = disclosure.apply_mask(table, mask)
        elif counts is None:
            raise ValueError(
                f"save_table({name!r}, suppress=True): this is not an indicator table, so say which "
                "columns are counts (counts=[...], counts=[] if none) and which are rates built on "
                "them (rates={...}); or suppress=False for an analyst-only output"
            )
        else:
            published = disclosure.suppress_table(
                table, counts, rates, group_by=group_by, breakdown=breakdown, total_label=total_label
            )
    else:
        published = table.copy()

    (out_dir / "tables").mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "tables" / f"{name}.csv"
    # a text cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is written with a
    # leading ' in the CSV; real numbers, negative ones too, stay numbers
    # (RFC 4180 line ends, so a carriage return inside a cell is quoted, not a line break)
    write_csv(safe.neutralise_cells(published), csv_path)
    if _deferred(out_dir):  # a runner's run: the runner writes the workbook once (write_workbook)
        (out_dir / _PENDING).mkdir(exist_ok=True)
        published.to_pickle(out_dir / _PENDING / f"{name}.pkl")
    else:
        book = out_dir / WORKBOOK_NAME
        if book.is_file():
            with pd.ExcelWriter(book, engine="openpyxl", mode="a", if_sheet_exists="replace") as xw:
                published.to_excel(xw, sheet_name=name, index=False)
                _text_not_formulas(xw.sheets[name])
        else:
            with pd.ExcelWriter(book, engine="openpyxl") as xw:
                published.to_excel(xw, sheet_name=name, index=False)
                _text_not_formulas(xw.sheets[name])
    n_supp = int((published.astype(object) == disclosure.SYMBOL).to_numpy().sum()) if suppress else 0
    _record(out_dir, "tables", {
        "name": name, "csv": f"tables/{name}.csv", "sheet": name, "rows": int(len(published)),
        "suppressed": bool(suppress), "suppressed_cells": n_supp, "title": sheet_title,
    })
    return published


#: numbers in a published CSV: full precision to 12 significant digits (no 3.9999999999999982)
CSV_FLOAT_FORMAT = "%.12g"


def _csv_cell(value):
    if isinstance(value, float) and not math.isnan(value):
        return CSV_FLOAT_FORMAT % value
    return value


def write_csv(df: pd.DataFrame, path) -> Path:
    """Write a published CSV: UTF-8, no index, RFC 4180 line ends (a carriage return inside a
    cell is quoted, not a line break), numbers with 12 significant digits — in a numeric column
    and in a column that mixes numbers with ``[c]``, ``[x]`` or ``[z]``."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(_csv_cell)
    out.to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n", float_format=CSV_FLOAT_FORMAT)
    return Path(path)


def _text_not_formulas(ws) -> None:
    """Store every text cell of a worksheet as text: openpyxl makes a string starting with ``=`` a
    formula, which Excel would run (OWASP CSV injection); ``+``, ``-``, ``@`` text is text already."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f" or (isinstance(cell.value, str) and safe.is_formula_text(cell.value)):
                cell.data_type = "s"


#: Column added first to every published CSV built from synthetic data, so the label travels
#: with a file that is opened on its own (a comment line would break CSV readers).
SYNTHETIC_COLUMN = "data_status"


def label_synthetic_tables(output_dir, banner: str | None) -> list[Path]:
    """Put the synthetic-data banner in a first column ``data_status`` of every CSV under
    ``output_dir/tables`` (the workbook carries it on its "About" sheet). Returns the files
    changed; nothing is changed when ``banner`` is None (real data)."""
    if not banner:
        return []
    changed = []
    for csv_path in sorted((Path(output_dir) / "tables").glob("*.csv")):
        df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
        if SYNTHETIC_COLUMN in df.columns:
            continue
        df.insert(0, SYNTHETIC_COLUMN, safe.spreadsheet_text(banner))
        df.to_csv(csv_path, index=False, encoding="utf-8", lineterminator="\r\n")
        changed.append(csv_path)
    return changed


def write_about_sheet(output_dir, rows: Sequence[tuple[str, str]]) -> Path | None:
    """Put an "About" sheet first in ``tables.xlsx`` holding ``rows`` of (label, text) — the
    runner writes the council, period, banner, suppression status and source here. Returns the
    workbook path, or None when the run wrote no tables."""
    book = Path(output_dir) / WORKBOOK_NAME
    if not book.is_file():
        return None
    from openpyxl import load_workbook

    wb = load_workbook(book)
    _about_sheet(wb, rows)
    wb.save(book)
    return book


def write_workbook(output_dir, about: Sequence[tuple[str, str]], banner: str | None = None) -> Path | None:
    """Write ``tables.xlsx`` once from the sheets :func:`save_table` kept aside (a runner's run,
    :func:`defer_workbook`), in the order they were saved, after an "About" sheet of ``about``
    rows, laid out as :func:`finish_workbook` lays out a workbook. A folder whose tables went
    straight into the workbook (an interactive session) gets the About sheet and the layout
    added to it. Returns the workbook, or None when the run wrote no tables. The kept sheets
    are removed (they are never published)."""
    out_dir = Path(output_dir)
    pending = out_dir / _PENDING
    book = out_dir / WORKBOOK_NAME
    if not pending.is_dir():
        if write_about_sheet(out_dir, about) is None:
            return None
        return finish_workbook(book, banner)
    names = [t["sheet"] for t in read_manifest(out_dir).get("tables", []) if (pending / f"{t['sheet']}.pkl").is_file()]
    try:
        if not names:
            return None
        with pd.ExcelWriter(book, engine="openpyxl") as xw:
            for name in names:  # a row left free for the banner (no row inserted later)
                pd.read_pickle(pending / f"{name}.pkl").to_excel(xw, sheet_name=name, index=False,
                                                                 startrow=1 if banner else 0)
                for row in xw.sheets[name].iter_rows():  # a blank is an empty cell, not empty text
                    for cell in row:                     # (as a workbook read back and saved has it)
                        if cell.value == "":
                            cell.value = None
                if banner:
                    xw.sheets[name]["A1"] = banner
            _about_sheet(xw.book, about)
            _lay_out(xw.book, banner)
        return book
    finally:
        import shutil

        shutil.rmtree(pending, ignore_errors=True)
        _DEFERRING.discard(str(out_dir.resolve()))


def _about_sheet(wb, rows: Sequence[tuple[str, str]]) -> None:
    """An "About" sheet first in an openpyxl workbook, of (label, text) rows."""
    from openpyxl.styles import Font

    if "About" in wb.sheetnames:
        del wb["About"]
    ws = wb.create_sheet("About", 0)
    for label, text in rows:
        ws.append([label, text])
    _text_not_formulas(ws)  # a banner or a note from a data folder is text, never a formula
    for cell in ws["A"]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 110
    wb.active = 0


def _banner_row(ws, banner: str) -> bool:
    """Whether the sheet's first row already carries the banner."""
    return any(isinstance(c.value, str) and banner in c.value for c in ws[1]) if ws.max_row >= 1 else False


def finish_workbook(book, banner: str | None = None, *, plain=("About",)) -> Path | None:
    """Lay out every sheet of a published workbook as the Analysis Function's guidance asks: the
    synthetic-data banner in the first row of EVERY sheet (when ``banner``), the heading row
    frozen and bold, an autofilter over the table, column widths to fit (at most 60), and every
    text cell stored as text (never a formula). Sheets named in ``plain`` (the "About" sheet of
    label/text rows) get the banner and widths only. Returns the workbook, None if absent."""
    book = Path(book)
    if not book.is_file():
        return None
    from openpyxl import load_workbook

    wb = load_workbook(book)
    _lay_out(wb, banner, plain=plain)
    wb.save(book)
    return book


def _lay_out(wb, banner: str | None, *, plain=("About",)) -> None:
    """:func:`finish_workbook`'s layout, on an openpyxl workbook in memory."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    for ws in wb.worksheets:
        header = 1
        if banner:
            if not _banner_row(ws, banner):
                ws.insert_rows(1)
                ws["A1"] = banner
                ws["A1"].data_type = "s"
            for c in ws[1]:
                if c.value is not None:
                    c.font = Font(bold=True, color="7A3D00")
                    c.fill = PatternFill("solid", fgColor="FFF4E5")
            header = 1 if ws.title in plain else 2
        _text_not_formulas(ws)
        if ws.title in plain:
            continue
        for c in ws[header]:
            c.font = Font(bold=True)
        ws.freeze_panes = ws.cell(row=header + 1, column=1).coordinate
        if ws.max_column and ws.max_row >= header:
            ws.auto_filter.ref = f"A{header}:{get_column_letter(ws.max_column)}{max(ws.max_row, header)}"
        for idx in range(1, ws.max_column + 1):
            letter = get_column_letter(idx)
            width = max((len(str(ws.cell(row=r, column=idx).value or "")) for r in range(header, ws.max_row + 1)),
                        default=8)
            ws.column_dimensions[letter].width = max(8, min(60, width + 2))


# --------------------------------------------------------------------------------------------
# figures


def _figure_has_text(fig, text: str) -> bool:
    """Whether the figure's own words (the notes under it, where ``plots`` puts the banner, and
    its axes' titles and notes) hold ``text``. Not every artist's: the whole tree cost 25 ms a figure."""
    pieces = [*fig.texts, *(t for sub in fig.subfigs for t in sub.texts)]
    for ax in fig.axes:
        pieces += [*ax.texts, ax.title, ax._left_title, ax._right_title]
    return any(text in (t.get_text() or "") for t in pieces)


#: The fonts a figure's text names, in order: matplotlib lays text out in DejaVu Sans (it ships
#: with matplotlib); a reader without it sees Verdana (the same design's metrics), then Arial.
FIGURE_FONTS = ["DejaVu Sans", "Verdana", "Arial", "Helvetica"]


def figure_svg(fig, *, salt: str = "ot") -> bytes:
    """A figure as compact SVG: its text kept as text (searchable, sharp in print, a tenth of a
    PNG's bytes and half its drawing time), on white, no date or creator in it (the same figure
    gives the same bytes: ``salt`` seeds its element ids), cropped to everything drawn
    (``bbox_inches="tight"``: saved at its own size, a note or label placed beside the plot by
    hand, which constrained layout does not see, was cut at the edge; tested)."""
    import io

    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt, "font.sans-serif": FIGURE_FONTS}):
        fig.savefig(buf, format="svg", bbox_inches="tight", facecolor="white",
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return _clip_ids_in_order(re.sub(rb"\n\s*", b" ", buf.getvalue()))  # line breaks and indents carry nothing


def _clip_ids_in_order(svg: bytes) -> bytes:
    """Clip paths named ``clip1``, ``clip2``... in order of use: matplotlib names each by a hash of
    its rectangle, whose last bits can differ between two processes drawing the same figure
    (seen on the capacity chart: the same drawing, another name)."""
    names: dict[bytes, bytes] = {}
    return re.sub(rb'(url\(#|id=")(p[0-9a-f]{10})(?=[)"])',
                  lambda m: m.group(1) + names.setdefault(m.group(2), b"clip%d" % (len(names) + 1)), svg)


def figure_uri(svg: bytes) -> str:
    """An SVG figure as a ``data:`` URI for an ``<img>`` (the published page's only way to an image)."""
    import base64

    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


#: Where a runner's run keeps figures handed over for the runner to draw (never published).
FIGURES_PENDING = ".figures_pending"
#: The attribute naming a handed-over figure's ``<img>`` (``src="figures/<name>.svg"``) until the
#: runner puts the drawn figure in its place (:func:`ot_benchmark.runner.figures.inline_figures`).
HANDED_OVER_ATTR = "data-ot-figure"
_HANDING_OVER: set[str] = set()  # output folders whose figures the runner draws
#: Figures waiting for the runner at which the kernel draws the next one itself, so that both
#: stay busy: figures come three or nine at a time with a family's sentences between them.
#: Measured on the sample report (interleaved runs): 1 left the runner idle and 2 or 4 gave
#: the quickest reports; 8, or never drawing in the kernel, left figures to draw at the end.
_MOST_WAITING = 4


def hand_figures_over(output_dir) -> None:
    """From now on :func:`save_figure` into ``output_dir`` hands figures to the runner instead
    of drawing them: the figure is pickled into ``<output_dir>/.figures_pending/`` and a thread
    of the runner draws it (:func:`figure_svg`, the same bytes) while the cells go on
    (:mod:`ot_benchmark.runner.figures`); when four are already waiting (``_MOST_WAITING``), the
    kernel draws the next one itself. The guard cell calls this when the runner's context says the runner draws
    figures; an interactive session draws them as it goes."""
    _HANDING_OVER.add(str(Path(output_dir).resolve()))


def _handed_over(fig, out_dir: Path, name: str) -> bool:
    """Hand ``fig`` to the runner (see :func:`hand_figures_over`); False when it is to be
    drawn here: no runner draws this folder's figures, or the figure cannot be pickled (an
    artist holding a lambda, say)."""
    import pickle

    if not _HANDING_OVER or str(out_dir.resolve()) not in _HANDING_OVER:
        return False
    pending = out_dir / FIGURES_PENDING
    if pending.is_dir() and len(list(pending.glob("*.pickle"))) >= _MOST_WAITING:  # the runner is behind: drawn here
        return False
    import matplotlib.pyplot as plt

    plt.close(fig)  # pickled without pyplot's hold on it: the runner's copy belongs to no window
    try:
        data = pickle.dumps(fig, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - whatever cannot be pickled is drawn here instead
        return False
    pending.mkdir(exist_ok=True)
    part = pending / f"{name}.part"
    part.write_bytes(data)
    part.replace(pending / f"{name}.pickle")  # whole or absent for the runner's thread
    return True


def save_figure(
    fig,
    name: str,
    output_dir,
    *,
    alt: str | None = None,
    banner: str | None = None,
    display: bool = True,
) -> Path:
    """Write a matplotlib figure as ``figures/<name>.svg``, show it in the notebook, close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    name : str
        File name: 1–31 of ``[a-z0-9_]``.
    output_dir : path
        The run's output folder (``ctx.output_dir``).
    alt : str, optional
        Alternative text for the image in the HTML report.
    banner : str, optional
        The synthetic-data banner (``ctx.banner``): printed at the foot of the figure unless
        the figure already shows it (``plots`` functions do when given ``banner=``).
    display : bool
        Show the figure as the cell's output (what the HTML report shows).

    Returns
    -------
    Path
        The SVG written (:func:`figure_svg`), or that the runner writes when the figure was
        handed over to it (:func:`hand_figures_over`).
    """
    _check_name(name)
    out_dir = Path(output_dir)
    (out_dir / "figures").mkdir(parents=True, exist_ok=True)
    path = out_dir / "figures" / f"{name}.svg"
    if banner and not _figure_has_text(fig, banner):
        fig.text(0.01, 0.005, banner, ha="left", va="bottom", fontsize=8, color="#a50e0e")
    if _handed_over(fig, out_dir, name):  # the runner draws it and puts it in the page
        source = f'src="figures/{name}.svg" {HANDED_OVER_ATTR}="{name}"'
    else:
        svg = figure_svg(fig, salt=name)
        path.write_bytes(svg)
        source = f'src="{figure_uri(svg)}"'
    _record(out_dir, "figures", {"name": name, "file": f"figures/{name}.svg", "alt": alt})
    if display and _in_ipython():
        from IPython.display import display as ipy_display

        text = html.escape(alt or name.replace("_", " "), quote=True)
        # an <img> with alt text: nbconvert drops the alt of a plain image output, and an SVG
        # shown as an image is inert (no script in it runs), where inline SVG is not
        ipy_display({
            "text/html": f'<figure class="ot-figure" style="margin:1em 0"><img {source} '
                         f'alt="{text}" style="max-width:100%;height:auto"/></figure>',
            "text/plain": f"[figure: {text}]",
        }, raw=True)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
