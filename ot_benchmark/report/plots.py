"""Figures for readers who are not analysts.

Every function takes data that has already been computed (the indicator table, the comparison
table from :func:`ot_benchmark.compare.benchmark.benchmark`, funnel limits and SPC results from
:mod:`ot_benchmark.stats`, ...), draws it with matplotlib/seaborn on the non-interactive ``Agg``
backend and returns the :class:`matplotlib.figure.Figure`. No function here computes a statistic
of its own, calls ``show()`` or writes a file: saving is :func:`ot_benchmark.report.export.save_figure`.

Conventions shared by every figure

* ``title`` is the plain-English question the figure answers, including the period, e.g.
  ``"Percentage assessed within their priority target, 2024-25 Q4"``; axis labels say the unit.
* ``banner`` (the synthetic-data banner, ``DataBundle.banner``) is printed in red under the
  figure when given; ``footnote`` adds further lines (a caveat, the method used).
* The subject council is always marked by colour *and* by shape/label, never by colour alone.
* ``ax``: draw into an existing Axes (the figure is then the Axes' figure); otherwise a new
  figure with constrained layout is created.
* Periods are named in the words of their kind (:func:`ot_benchmark.periods.period_words`):
  an axis of financial years is headed "Year" and its notes say "years". A time axis holds every
  period from the first to the last, so a period with no figure is a gap on it, named in a note.
* Reference lines (England's figure, from the data folder's ``reference_lines.csv``) are drawn
  dotted in their own colour and named in the legend; they are never a council.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import textwrap

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ot_benchmark.periods import PeriodError, PeriodWords, parse_period, period_words
from ot_benchmark.report import disclosure
from ot_benchmark.report.narrative import format_value

__all__ = [
    "ReportFigure",
    "COLOURS",
    "SPC_COLOURS",
    "WAIT_BANDS",
    "comparator_chart",
    "funnel_plot",
    "spc_chart",
    "trend_chart",
    "km_curves",
    "wait_band_profile",
    "flow_chart",
    "capacity_chart",
    "unit_label",
    "indicator_rows",
    "suppressed_codes",
    "has_values",
]

# Colour-blind-safe choices (Okabe–Ito) for the subject and the rest of the group.
COLOURS = {
    "subject": "#D55E00",      # vermillion
    "other": "#56789A",        # muted blue-grey
    "comparator": "#000000",
    "reference": "#009E73",    # bluish green: England (a reference line, never a council)
    "limit_95": "#0072B2",
    "limit_998": "#555555",
    "limit_plain": "#BBBBBB",
    "target": "#CC0000",
    "banner": "#B00020",
    "footnote": "#444444",
}

# Making Data Count point colours (as NHSRplotthedots).
SPC_COLOURS = {
    "common_cause": "#7B7D7D",
    "special_cause_improvement": "#289DE0",
    "special_cause_concern": "#FAB428",
    "special_cause_neutral": "#361475",
}
_SPC_LABELS = {
    "common_cause": "Common cause (normal variation)",
    "special_cause_improvement": "Special cause - improvement",
    "special_cause_concern": "Special cause - concern",
    "special_cause_neutral": "Special cause - neither better nor worse",
}

#: NHS community-services wait bands used by W4b, in display order.
WAIT_BANDS = ["0-7", "8-14", "15-28", "29-84", "85-126", "127-364", "365+"]
_BAND_TEXT = {
    "0-7": "0-7 days", "8-14": "8-14 days", "15-28": "15-28 days", "29-84": "29-84 days",
    "85-126": "85-126 days", "127-364": "127-364 days", "365+": "a year or more",
}

_UNIT_TEXT = {
    "%": "Percentage (%)",
    "percent": "Percentage (%)",
    "percentage": "Percentage (%)",
    "days": "Days",
    "people": "Number of people",
    "count": "Number",
    "ratio": "Ratio",
    "wte": "Whole-time equivalent staff",
    "gbp": "Pounds (£)",
    "£": "Pounds (£)",
    "per 1,000": "Rate per 1,000",
    "per_1000": "Rate per 1,000",
}

_PROVISIONAL_MIN_POINTS = 13


def unit_label(unit: str | None) -> str:
    """Plain-English axis label for a catalogue unit (``"%"`` -> ``"Percentage (%)"``).

    Units not listed are returned capitalised, so a local indicator's own unit still reads well.
    """
    if unit is None or (isinstance(unit, float) and np.isnan(unit)) or str(unit).strip() == "":
        return "Value"
    key = str(unit).strip()
    if key.lower() in _UNIT_TEXT:
        return _UNIT_TEXT[key.lower()]
    return key[:1].upper() + key[1:]


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------

class ReportFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG in Jupyter (``_repr_png_``).

    The figures here live outside pyplot (so nothing pops up and nothing leaks), which means
    the inline backend does not know them; this lets an analyst end a cell with ``fig`` and
    see it. Report notebooks save and show figures with :func:`ot_benchmark.report.export.save_figure`.
    """

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100, bbox_inches="tight", facecolor="white")
        return buf.getvalue()


def _new_figure(figsize) -> Figure:
    """A figure on the Agg canvas, outside pyplot's registry (nothing pops up, nothing leaks)."""
    fig = ReportFigure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _figure(ax, figsize) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    return fig, ax


def _notes(banner: str | None, footnote: str | Sequence[str] | None) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    if banner:
        lines.append((str(banner), COLOURS["banner"]))
    if footnote:
        for line in [footnote] if isinstance(footnote, str) else footnote:
            if line:
                lines.append((str(line), COLOURS["footnote"]))
    return lines


def _finish(fig: Figure, title: str | None, banner, notes: Sequence[str | None] = (),
            footnote: str | Sequence[str] | None = None, owns_layout: bool = True) -> Figure:
    """Add the synthetic banner, the figure's own ``notes`` (blanks skipped) and the caller's
    ``footnote`` beneath the plotting area.

    The notes live in a band reserved at the bottom of the figure (constrained layout's
    ``rect``), so they never overlap axis labels, whatever ``bbox_inches`` the saver uses.
    """
    extra = [footnote] if isinstance(footnote, str) else list(footnote or [])
    notes = _notes(banner, [n for n in notes if n] + extra)
    if notes:
        height_pts = fig.get_figheight() * 72
        line_pts = 9 * 1.45
        # wrap long notes so they stay on the page
        width_chars = int(fig.get_figwidth() * 72 / 5.2)
        wrapped: list[tuple[str, str]] = []
        for text, colour in notes:
            for piece in textwrap.wrap(text, width_chars) or [""]:
                wrapped.append((piece, colour))
        band = min(0.45, (len(wrapped) * line_pts + 8) / height_pts)
        engine = fig.get_layout_engine()
        if owns_layout and engine is not None and hasattr(engine, "set"):
            try:
                engine.set(rect=(0, band, 1, 1 - band))  # (left, bottom, width, height)
            except TypeError:  # very old matplotlib: fall back to subplots_adjust
                fig.subplots_adjust(bottom=band + 0.08)
        y = band - 4 / height_pts
        for text, colour in wrapped:
            weight = "bold" if colour == COLOURS["banner"] else "normal"
            fig.text(0.01, y, text, ha="left", va="top", fontsize=9, color=colour,
                     fontweight=weight, gid="ot_note")
            y -= line_pts / height_pts
    return fig


def _style_axes(ax: Axes, *, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
                grid: str = "both", grid_colour: str = "#eeeeee", despine_left: bool = False) -> None:
    """The scaffolding every panel shares: bold left-aligned title, axis labels, light grid
    behind the data, no top/right spines (nor the left one with ``despine_left``)."""
    if title is not None:
        ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.grid(axis=grid, color=grid_colour, linewidth=0.6)
    ax.set_axisbelow(True)
    sns.despine(ax=ax, left=despine_left)


def _legend_outside(ax: Axes, *args, **kwargs) -> None:
    """The legend to the right of the plotting area, so it never hides data."""
    ax.legend(*args, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, **kwargs)


def _period_ticks(ax: Axes, xs: np.ndarray, labels: Sequence[str], most: int = 12) -> None:
    """Period labels under the x axis, slanted; at most about ``most`` of them."""
    step = max(1, int(np.ceil(len(labels) / most)))
    ax.set_xticks(xs[::step], list(labels)[::step], rotation=45, ha="right")


def _period_axis(labels: Sequence[str]) -> tuple[np.ndarray, list[str], PeriodWords] | None:
    """A time axis for period labels: every period of their kind from the first to the last
    (a period without a label is a gap), each label's position on it, and the kind's words.
    None when the labels are not all periods of one kind."""
    try:
        ps = [parse_period(str(x)) for x in labels]
    except PeriodError:
        return None
    if not ps or len({q.kind for q in ps}) != 1:
        return None
    cls = type(ps[0])
    first, last = min(q.ordinal for q in ps), max(q.ordinal for q in ps)
    axis = [cls.from_ordinal(i).label for i in range(first, last + 1)]
    return np.array([q.ordinal - first for q in ps], dtype=int), axis, period_words(ps[0])


def _labels_words(df: pd.DataFrame, column: str = "period") -> PeriodWords:
    """The words of the kind of a frame's periods (its ``column``; quarters without one)."""
    if column in df.columns and len(df):
        return period_words(df[column].dropna().astype(str).iloc[0] if df[column].notna().any() else None)
    return period_words("quarter")


def _number(x: float, decimals: int | None = 1) -> str:
    """A figure on a chart as the sentences write it: ``decimals`` places (default 1), halves
    rounded up (63.05 -> 63.1), thousands separated."""
    return format_value(float(x), None, decimals=1 if decimals is None else int(decimals))


def _reference_rows(reference: pd.DataFrame | None) -> pd.DataFrame:
    """Reference-line rows with a value (``area_name``, ``period``, ``value``); none for None."""
    if reference is None or not len(reference):
        return pd.DataFrame(columns=["area_name", "period", "value"])
    out = reference.copy()
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    if "area_name" not in out:
        out["area_name"] = out.get("area_code", "Reference")
    return out.loc[out["value"].notna()]


def _council_handles(subject_name: str, *, subject_edge: str | None = None) -> list[Line2D]:
    """Legend entries for the subject council (diamond) and the comparator councils (dots)."""
    edge = {} if subject_edge is None else {"markeredgecolor": subject_edge}
    return [
        Line2D([], [], color=COLOURS["subject"], marker="D", linestyle="none", markersize=8,
               label=subject_name, **edge),
        Line2D([], [], color=COLOURS["other"], marker="o", linestyle="none", label="Comparator councils"),
    ]


def _label_column(df: pd.DataFrame, label: str | None) -> str:
    for col in ([label] if label else []) + ["authority_name", "name", "authority_code"]:
        if col and col in df.columns:
            return col
    raise KeyError("the data needs an 'authority_name' or 'authority_code' column to label councils")


def _as_float(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64")


def _direction_note(polarity: str | None) -> str | None:
    if polarity == "higher_is_better":
        return "Higher is better."
    if polarity == "lower_is_better":
        return "Lower is better."
    if polarity == "context":
        return "Neither higher nor lower is simply better: read with context."
    return None


# --------------------------------------------------------------------------------------------
# comparator chart
# --------------------------------------------------------------------------------------------

def comparator_chart(
    data: pd.DataFrame,
    *,
    subject: str,
    title: str,
    value_label: str | None = None,
    comparator_value: float | None = None,
    comparator_label: str = "Comparator group value",
    polarity: str | None = None,
    label: str | None = None,
    code: str = "authority_code",
    value: str = "value",
    lower: str = "lower_95",
    upper: str = "upper_95",
    method: str | None = None,
    small_n: int | None = 30,
    reference_lines: pd.DataFrame | None = None,
    decimals: int | None = None,
    banner: str | None = None,
    footnote: str | Sequence[str] | None = None,
    ax=None,
) -> Figure:
    """Each council's value with its 95% confidence interval, sorted, the subject highlighted.

    Parameters
    ----------
    data : DataFrame
        One row per council for one indicator and period (the indicator table filtered to the
        comparator group). Columns ``authority_code``, ``value``, ``lower_95``, ``upper_95`` and
        optionally ``authority_name`` (used for the labels when present) and
        ``comparator_value`` (used when ``comparator_value`` is not passed).
    subject : str
        ONS code of the council the report is about.
    title : str
        Plain-English title, e.g. ``"Percentage assessed within their priority target, 2024-25 Q4"``.
    value_label : str, optional
        Axis label for the values (default ``"Value"``); use :func:`unit_label`.
    comparator_value : float, optional
        The comparator group's value, drawn as a dashed vertical line.
    polarity : {"higher_is_better", "lower_is_better", "context"}, optional
        Printed as "Higher is better." etc. under the chart.
    method : str, optional
        The catalogue method. With ``small_n``, councils whose figure rests on small numbers
        (a ``proportion`` or ``mean`` with ``denominator`` below ``small_n``, a ``rate`` with
        ``numerator`` below it) are named in a footnote saying their figures swing widely.
    reference_lines : DataFrame, optional
        Figures that are not councils' (England's), for the chart's period: ``area_name`` and
        ``value``, each drawn as a dotted vertical line named in the legend ("England: 61.4").
    decimals : int, optional
        Decimal places of the figures written in the legend (default 1), halves rounded up.
    banner, footnote, ax
        See the module docstring.

    Returns
    -------
    matplotlib.figure.Figure
        Councils sorted with the best at the top (the highest value at the top unless
        ``polarity`` is ``lower_is_better``). One horizontal row per council with a value (councils without one are listed in the
        footnote as "no value"); the subject's marker is a larger diamond in a different colour
        and its name is bold and marked with an arrow.
    """
    df = data.copy()
    lab = _label_column(df, label)
    hidden = disclosure.is_marked(df[value])
    df["_v"] = _as_float(df[value])
    df["_lo"] = _as_float(df[lower]) if lower in df else np.nan
    df["_hi"] = _as_float(df[upper]) if upper in df else np.nan
    df.loc[hidden.to_numpy(), ["_v", "_lo", "_hi"]] = np.nan
    suppressed_names = df.loc[hidden.to_numpy(), lab].astype(str).tolist()
    missing = df.loc[df["_v"].isna() & ~hidden.to_numpy(), lab].astype(str).tolist()
    # sorted so that the best council is at the top (y grows upwards): lowest value at the top
    # when lower is better, highest otherwise
    df = df.loc[df["_v"].notna()].sort_values("_v", ascending=polarity != "lower_is_better",
                                               kind="mergesort").reset_index(drop=True)
    if comparator_value is None and "comparator_value" in data.columns:
        cv = _as_float(data["comparator_value"])
        cv = cv[~np.isnan(cv)]
        comparator_value = float(cv[0]) if cv.size else None

    n = len(df)
    fig, ax = _figure(ax, (10.0, max(3.0, 0.36 * n + 1.6)))
    is_subject = (df[code].astype(str) == str(subject)).to_numpy() if code in df else np.zeros(n, bool)
    y = np.arange(n)
    xerr = np.vstack([df["_v"] - df["_lo"], df["_hi"] - df["_v"]])
    has_ci = ~(np.isnan(xerr).any(axis=0))
    others = ~is_subject
    for mask, colour, marker, size, zorder in (
        (others, COLOURS["other"], "o", 6, 2),
        (is_subject, COLOURS["subject"], "D", 9, 3),
    ):
        ci = mask & has_ci
        if ci.any():
            ax.errorbar(df["_v"][ci], y[ci], xerr=xerr[:, ci], fmt="none", ecolor=colour,
                        elinewidth=1.6, capsize=3, zorder=zorder)
        if mask.any():
            ax.plot(df["_v"][mask], y[mask], linestyle="none", marker=marker, markersize=size,
                    color=colour, zorder=zorder + 1)
    names = df[lab].astype(str).tolist()
    ax.set_yticks(y, [f"{nm}  \u25b6" if s else nm for nm, s in zip(names, is_subject)])
    for tick, s in zip(ax.get_yticklabels(), is_subject):
        if s:
            tick.set_fontweight("bold")
            tick.set_color(COLOURS["subject"])
    ax.set_ylim(-0.7, n - 0.3)
    handles = _council_handles(names[int(np.flatnonzero(is_subject)[0])] if is_subject.any() else "This council")
    if has_ci.any():
        handles.append(Line2D([], [], color=COLOURS["other"], marker="|", markersize=12, linestyle="-",
                              label="95% confidence interval"))
    if comparator_value is not None and np.isfinite(comparator_value):
        ax.axvline(comparator_value, color=COLOURS["comparator"], linestyle="--", linewidth=1.2, zorder=1)
        handles.append(Line2D([], [], color=COLOURS["comparator"], linestyle="--",
                              label=f"{comparator_label}: {_number(comparator_value, decimals)}"))
    for r in _reference_rows(reference_lines).to_dict("records"):
        ax.axvline(r["value"], color=COLOURS["reference"], linestyle=":", linewidth=1.8, zorder=1,
                   gid="reference_line")
        handles.append(Line2D([], [], color=COLOURS["reference"], linestyle=":", linewidth=1.8,
                              label=f"{r['area_name']}: {_number(r['value'], decimals)}"))
    _legend_outside(ax, handles=handles)
    _style_axes(ax, title=title, xlabel=value_label or "Value", ylabel="", grid="x", grid_colour="#dddddd",
                despine_left=True)
    notes = [_direction_note(polarity)]
    if missing:
        notes.append("No value: " + ", ".join(missing) + ".")
    if suppressed_names:
        notes.append(f"Not shown because the numbers are too small to publish {disclosure.SYMBOL}: "
                     + ", ".join(suppressed_names) + ".")
    count_col = {"proportion": "denominator", "mean": "denominator", "rate": "numerator"}.get(method or "")
    w = _labels_words(data)
    if small_n and count_col and count_col in df:
        small = df.loc[(_as_float(df[count_col]) < small_n) & df["_v"].notna().to_numpy(), lab].astype(str).tolist()
        small = small[::-1]  # top of the chart first
        if small and len(small) == int(df["_v"].notna().sum()) and len(small) > 1:
            notes.append(f"Every figure shown rests on fewer than {small_n} cases, so all can swing widely "
                         f"from {w.noun} to {w.noun}.")
        elif small:
            notes.append(f"Based on fewer than {small_n} cases, so can swing widely from {w.noun} to {w.noun}: "
                         + ", ".join(small) + ".")
    return _finish(fig, title, banner, notes, footnote)


# --------------------------------------------------------------------------------------------
# funnel plot
# --------------------------------------------------------------------------------------------

def funnel_plot(
    points: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    subject: str,
    title: str,
    value_label: str | None = None,
    denominator_label: str = "Number of people (size of the council's caseload)",
    average: float | None = None,
    label: str | None = None,
    code: str = "authority_code",
    x: str = "denominator",
    y: str = "value",
    limit_x: str | None = None,
    limit_columns: Mapping[str, str] | None = None,
    hide: Sequence[str] = (),
    banner: str | None = None,
    footnote: str | Sequence[str] | None = None,
    ax=None,
) -> Figure:
    """Funnel plot: each council's value against its size, with 95% and 99.8% control limits.

    Parameters
    ----------
    points : DataFrame
        One row per council: ``authority_code``, ``denominator`` (x) and ``value`` (y).
    limits : DataFrame
        Limit curves from :mod:`ot_benchmark.stats.funnel`, one row per x: the x column (default
        the same name as ``x``) and ``lower_95``, ``upper_95``, ``lower_998``, ``upper_998``
        (rename with ``limit_columns``, a mapping from those names to yours), as
        :func:`ot_benchmark.stats.funnel.funnel_limits_curve` returns. Its ``average`` or
        ``baseline`` column is used when ``average`` is not passed.
    average : float, optional
        The pooled average, drawn as a horizontal line.
    hide : sequence of str
        Councils (codes) not to draw because their figure is suppressed (small numbers); a
        ``[c]`` in the ``y`` or ``x`` column of ``points`` hides the council too. The footnote
        says how many.

    Returns
    -------
    Figure
        Councils as dots (the subject a labelled diamond); four limit curves (two dashed 95%,
        two dotted 99.8%) and the average line. When ``limits`` also holds the widened
        (over-dispersion-adjusted) limits, ``od_lower_95`` ... ``od_upper_998``
        (:func:`ot_benchmark.stats.funnel.funnel_limits_curve` with ``tau2``), both sets are
        drawn: the widened ones emphasised in the usual colours, the plain ones faint grey
        (eight limit curves), as FunnelPlotR draws them.
    """
    names = {"lower_95": "lower_95", "upper_95": "upper_95", "lower_998": "lower_998",
             "upper_998": "upper_998"}
    names.update(limit_columns or {})
    lx = limit_x or x
    lim = limits.sort_values(lx)
    for col in ("average", "baseline"):
        if average is None and col in lim.columns:
            average = float(_as_float(lim[col])[0])

    pts = points.copy()
    hidden = (disclosure.is_marked(pts[y]) | disclosure.is_marked(pts[x])).to_numpy().copy()
    if code in pts:
        hidden |= pts[code].astype(str).isin([str(h) for h in hide]).to_numpy()
    n_hidden = int(hidden.sum())
    pts = pts.loc[~hidden]
    pts["_x"] = _as_float(pts[x])
    pts["_y"] = _as_float(pts[y])
    pts = pts.loc[pts["_x"].notna() & pts["_y"].notna()]
    if len(pts):  # draw the curves only over the councils' range, so they do not swamp the axis
        xmin = float(pts["_x"].min())
        lim = lim.loc[_as_float(lim[lx]) >= 0.8 * xmin]

    fig, ax = _figure(ax, (10.0, 5.2))
    lxv = _as_float(lim[lx])
    od_cols = {k: f"od_{v}" for k, v in names.items()}
    widened = all(c in lim.columns for c in od_cols.values())
    if widened:
        # both sets, the widened limits (those the verdict uses) emphasised, as FunnelPlotR draws them
        for key in ("upper_998", "lower_998", "upper_95", "lower_95"):
            ax.plot(lxv, _as_float(lim[names[key]]), color=COLOURS["limit_plain"], linestyle=":", linewidth=0.9)
        for key, colour, style, width in (("upper_998", COLOURS["limit_998"], ":", 1.8),
                                          ("lower_998", COLOURS["limit_998"], ":", 1.8),
                                          ("upper_95", COLOURS["limit_95"], "--", 1.6),
                                          ("lower_95", COLOURS["limit_95"], "--", 1.6)):
            ax.plot(lxv, _as_float(lim[od_cols[key]]), color=colour, linestyle=style, linewidth=width)
    else:
        ax.plot(lxv, _as_float(lim[names["upper_998"]]), color=COLOURS["limit_998"], linestyle=":", linewidth=1.4)
        ax.plot(lxv, _as_float(lim[names["lower_998"]]), color=COLOURS["limit_998"], linestyle=":", linewidth=1.4)
        ax.plot(lxv, _as_float(lim[names["upper_95"]]), color=COLOURS["limit_95"], linestyle="--", linewidth=1.2)
        ax.plot(lxv, _as_float(lim[names["lower_95"]]), color=COLOURS["limit_95"], linestyle="--", linewidth=1.2)
    if average is not None and np.isfinite(average):
        ax.axhline(average, color=COLOURS["comparator"], linewidth=1.1)
    is_subject = (pts[code].astype(str) == str(subject)).to_numpy() if code in pts else np.zeros(len(pts), bool)
    ax.scatter(pts["_x"][~is_subject], pts["_y"][~is_subject], s=36, color=COLOURS["other"],
               edgecolor="white", linewidth=0.5, zorder=3)
    if is_subject.any():
        sx, sy = pts["_x"][is_subject], pts["_y"][is_subject]
        ax.scatter(sx, sy, s=90, marker="D", color=COLOURS["subject"], edgecolor="black",
                   linewidth=0.6, zorder=4)
        lab = _label_column(pts, label)
        ax.annotate(str(pts.loc[is_subject, lab].iloc[0]), (float(sx.iloc[0]), float(sy.iloc[0])),
                    xytext=(8, 8), textcoords="offset points", fontsize=9, fontweight="bold",
                    color=COLOURS["subject"])
    subject_name = "This council"
    if is_subject.any():
        subject_name = str(pts.loc[is_subject, _label_column(pts, label)].iloc[0])
    handles = _council_handles(subject_name, subject_edge="black") + [
        Line2D([], [], color=COLOURS["comparator"], label="Group average"
               + (f" ({average:,.1f})" if average is not None and np.isfinite(average) else "")),
    ]
    if widened:
        handles += [
            Line2D([], [], color=COLOURS["limit_95"], linestyle="--", linewidth=1.6,
                   label="95% limits, widened for the real\ndifferences between councils"),
            Line2D([], [], color=COLOURS["limit_998"], linestyle=":", linewidth=1.8,
                   label="99.8% limits, widened for the real\ndifferences between councils"),
            Line2D([], [], color=COLOURS["limit_plain"], linestyle=":", linewidth=0.9,
                   label="Plain 95% and 99.8% limits\n(chance alone)"),
        ]
    else:
        handles += [
            Line2D([], [], color=COLOURS["limit_95"], linestyle="--", label="95% limits (about 1 in 20 outside by chance)"),
            Line2D([], [], color=COLOURS["limit_998"], linestyle=":", label="99.8% limits (about 1 in 500 by chance)"),
        ]
    _legend_outside(ax, handles=handles)
    _style_axes(ax, title=title, xlabel=denominator_label, ylabel=value_label or "Value")
    if widened:
        notes = ["Councils differ more than chance alone explains, so the limits are widened for that "
                 "(Spiegelhalter's method); councils outside the widened limits differ from the average by "
                 "more than councils usually do. The faint lines are the plain limits."]
    else:
        notes = ["Councils outside the funnel differ from the average by more than chance would explain; "
                 "smaller councils sit in the wider part of the funnel."]
    if n_hidden:
        notes.append(f"{n_hidden} council(s) not shown because the numbers are too small to publish {disclosure.SYMBOL}.")
    return _finish(fig, title, banner, notes, footnote)


# --------------------------------------------------------------------------------------------
# SPC (Making Data Count)
# --------------------------------------------------------------------------------------------

def spc_chart(
    points: pd.DataFrame,
    *,
    title: str,
    value_label: str | None = None,
    x: str | None = None,
    y: str = "value",
    mean: str = "mean",
    lower: str = "lpl",
    upper: str = "upl",
    point_type: str = "point_type",
    segment: str | None = "segment",
    rebase: str | None = "rebase",
    target: float | None = None,
    provisional: bool | None = None,
    xlabel: str | None = None,
    banner: str | None = None,
    footnote: str | Sequence[str] | None = None,
    ax=None,
) -> Figure:
    """XmR chart in the NHS "Making Data Count" style.

    Parameters
    ----------
    points : DataFrame
        The points table of :func:`ot_benchmark.stats.spc.xmr`, one row per period in order:
        the x label (``period`` if present, else ``date``; or name it with ``x``), ``value``,
        the centre line ``mean``, process limits ``lpl``/``upl``, ``point_type``
        (``common_cause``, ``special_cause_improvement``, ``special_cause_concern``,
        ``special_cause_neutral``), and the re-base information as ``segment`` (0, 1, ...) or
        a boolean ``rebase`` (True at the first point of new limits). ``target`` and
        ``provisional`` columns are used when the arguments are not passed.
    target : float, optional
        Drawn as a red dashed line.
    provisional : bool, optional
        Print "provisional limits" (default: the last point's ``provisional`` flag, else fewer
        than 13 points).
    xlabel : str, optional
        The x axis's heading (default: the periods' word, "Quarter", "Year" or "Month").

    Returns
    -------
    Figure
        One marker per point coloured by its type, a grey line joining them, the mean (solid)
        and limits (dashed) drawn per segment with a "limits re-based" mark between segments,
        and the target; a legend lists only the point types present. When the x labels are
        periods of one kind, the axis holds every period from the first to the last: a period
        with no point is a gap (the grey line breaks there), named in a note.
    """
    df = points.reset_index(drop=True).copy()
    if x is None:
        x = "period" if "period" in df.columns else "date"
    n = len(df)
    labels = df[x].astype(str).tolist() if x in df else [str(i + 1) for i in range(n)]
    axis = _period_axis(labels) if n else None
    if axis is None:
        xs, tick_labels, words = np.arange(n), labels, period_words("quarter")
    else:
        xs, tick_labels, words = axis
    n_axis = len(tick_labels)
    fig, ax = _figure(ax, (9.0, 4.8))
    vals = _as_float(df[y])
    joined = np.full(n_axis, np.nan)  # NaN where a period has no point, so the line breaks there
    joined[xs] = vals
    ax.plot(np.arange(n_axis), joined, color="#AAAAAA", linewidth=1.2, zorder=1)

    # limits and mean drawn segment by segment so a re-base shows as a break in the lines
    if segment and segment in df.columns:
        seg = pd.to_numeric(df[segment], errors="coerce").fillna(0).to_numpy()
    elif rebase and rebase in df.columns:
        seg = np.cumsum(df[rebase].fillna(False).astype(bool).to_numpy())
    else:
        seg = np.zeros(n)
    for s in np.unique(seg):
        m = seg == s
        sx = xs[m]
        if mean in df:
            ax.plot(sx, _as_float(df.loc[m, mean]), color="#000000", linewidth=1.2, zorder=2)
        if lower in df:
            ax.plot(sx, _as_float(df.loc[m, lower]), color="#666666", linestyle="--", linewidth=1.1, zorder=2)
        if upper in df:
            ax.plot(sx, _as_float(df.loc[m, upper]), color="#666666", linestyle="--", linewidth=1.1, zorder=2)
    starts = xs[1:][np.diff(seg) != 0] if n > 1 else np.array([], dtype=int)
    for xi in starts:
        ax.axvline(xi - 0.5, color="#361475", linestyle="-.", linewidth=1.0)
        ax.annotate("limits re-based", (xi - 0.5, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -3), textcoords="offset points", va="top", fontsize=8, color="#361475")

    types = df[point_type].fillna("common_cause").astype(str) if point_type in df else pd.Series(["common_cause"] * n)
    present = [t for t in SPC_COLOURS if (types == t).any()]
    for t in present:
        m = (types == t).to_numpy()
        ax.scatter(xs[m], vals[m], s=46, color=SPC_COLOURS[t], edgecolor="white", linewidth=0.6, zorder=3)

    if target is None and "target" in df.columns:
        tv = _as_float(df["target"])
        tv = tv[~np.isnan(tv)]
        target = float(tv[-1]) if tv.size else None
    handles = [Line2D([], [], color=SPC_COLOURS[t], marker="o", linestyle="none", label=_SPC_LABELS[t])
               for t in present]
    handles.append(Line2D([], [], color="#000000", label="Average (mean)"))
    handles.append(Line2D([], [], color="#666666", linestyle="--", label="Process limits"))
    if target is not None and np.isfinite(target):
        ax.axhline(target, color=COLOURS["target"], linestyle=(0, (5, 3)), linewidth=1.3, zorder=2)
        handles.append(Line2D([], [], color=COLOURS["target"], linestyle=(0, (5, 3)), label=f"Target ({target:,.4g})"))
    _legend_outside(ax, handles=handles)

    _period_ticks(ax, np.arange(n_axis), tick_labels, most=20)
    ax.set_xlim(-0.5, n_axis - 0.5)
    _style_axes(ax, title=title, xlabel=xlabel or words.heading, ylabel=value_label or "Value", grid="y")
    if provisional is None:
        if "provisional" in df.columns and n:
            provisional = bool(df["provisional"].iloc[-1])
        else:
            provisional = n < _PROVISIONAL_MIN_POINTS
    notes = []
    if provisional:
        # the limits of the last segment rest on its own points, not on the whole series
        rebased = "segment" in df.columns and n and int(df["segment"].iloc[-1]) > 0
        in_limits = int((df["segment"] == df["segment"].iloc[-1]).sum()) if rebased else n
        since = " since the limits were re-based" if rebased else ""
        notes.append(f"Provisional limits: only {words.count(in_limits)}{since}; limits are more reliable once "
                     f"there are at least {_PROVISIONAL_MIN_POINTS}.")
    gaps = [lab for i, lab in enumerate(tick_labels) if i not in set(xs.tolist())]
    if gaps:
        notes.append("No figure for " + ", ".join(gaps) + " (a gap on the axis).")
    return _finish(fig, title, banner, notes, footnote)


# --------------------------------------------------------------------------------------------
# trend against the comparator group
# --------------------------------------------------------------------------------------------

def trend_chart(
    trend: pd.DataFrame,
    *,
    title: str,
    value_label: str | None = None,
    subject_label: str = "This council",
    group_label: str = "Comparator group",
    polarity: str | None = None,
    period: str = "period",
    value: str = "value",
    lower: str = "lower_95",
    upper: str = "upper_95",
    group_value: str = "group_value",
    xlabel: str | None = None,
    reference_lines: pd.DataFrame | None = None,
    decimals: int | None = None,
    banner: str | None = None,
    footnote: str | Sequence[str] | None = None,
    ax=None,
) -> Figure:
    """The council's figure period by period (quarter by quarter, year by year), with its 95%
    interval, beside its group's.

    Parameters
    ----------
    trend : DataFrame
        :func:`ot_benchmark.compare.benchmark.trend` output (one row per period, oldest first), as
        published: pass :func:`ot_benchmark.report.disclosure.published_trend` when the output is suppressed. Columns
        ``period``, ``value``, ``lower_95``, ``upper_95`` and, when drawn, ``group_value``
        (with ``group_method`` and ``n_comparators`` for the footnote); ``period_index`` is
        ignored: the positions are worked out from the labels (quarters, financial years or
        months, one kind).
    title : str
        Plain-English title, e.g. ``"Assessed within priority target: Lancashire and similar
        councils, quarter by quarter"``.
    value_label : str, optional
        y-axis label (default ``"Value"``); use :func:`unit_label`.
    subject_label, group_label : str
        Legend names of the council and of its comparator group.
    polarity : {"higher_is_better", "lower_is_better", "context"}, optional
        Printed as "Higher is better." etc. under the chart.
    xlabel : str, optional
        The x axis's heading (default: the periods' word, "Quarter", "Year" or "Month").
    reference_lines : DataFrame, optional
        Figures that are not councils' (England's): ``area_name``, ``period``, ``value``; each
        area drawn as a dotted line with its name in the legend (gid ``"trend_reference"``).
    decimals : int, optional
        Decimal places of the figures written at the lines' ends (default 1), halves rounded up.

    Returns
    -------
    Figure
        On a period axis with every period from the first to the last (a period without a
        row is a gap): the council as a solid line with diamonds (gid ``"trend_council"``) and
        vertical 95% interval bars, the group as a dashed line with dots (gid
        ``"trend_group"``), each line's latest figure written at its end. A suppressed
        (``[c]``) period is not drawn (the line breaks there) and is named in the footnote,
        as are periods without a figure.
    """
    df = trend.reset_index(drop=True).copy()
    labels = df[period].astype(str)
    hidden = disclosure.is_marked(df[value]).to_numpy()
    v = np.where(hidden, np.nan, _as_float(df[value]))
    lo = np.where(hidden, np.nan, _as_float(df[lower])) if lower in df else np.full(len(df), np.nan)
    hi = np.where(hidden, np.nan, _as_float(df[upper])) if upper in df else np.full(len(df), np.nan)
    g = _as_float(df[group_value]) if group_value in df else np.full(len(df), np.nan)

    # every period from the first to the last, so a missing period breaks the lines
    axis = _period_axis(labels.tolist()) if len(df) else None
    if axis is None:
        pos, period_labels, words = np.arange(len(df)), labels.tolist(), period_words("quarter")
    else:
        pos, period_labels, words = axis
    n = len(period_labels)
    full = {k: np.full(n, np.nan) for k in ("v", "lo", "hi", "g")}
    for k, arr in (("v", v), ("lo", lo), ("hi", hi), ("g", g)):
        full[k][pos] = arr
    xs = np.arange(n)
    where = {lab: i for i, lab in enumerate(period_labels)}
    refs = []  # (area name, values on the axis)
    ref_rows = _reference_rows(reference_lines)
    for area, rows in ref_rows.groupby("area_name", sort=False):
        line = np.full(n, np.nan)
        for lab, val in zip(rows["period"].astype(str), rows["value"]):
            try:
                key = parse_period(lab).label
            except PeriodError:
                continue
            if key in where:
                line[where[key]] = val
        if np.isfinite(line).any():
            refs.append((str(area), line))

    fig, ax = _figure(ax, (10.0, 4.8))
    handles = []
    if np.isfinite(full["g"]).any():
        ax.plot(xs, full["g"], color=COLOURS["comparator"], linestyle="--", marker="o", markersize=4,
                linewidth=1.4, zorder=2, gid="trend_group")
        handles.append(Line2D([], [], color=COLOURS["comparator"], linestyle="--", marker="o", markersize=4,
                              label=group_label))
    ci = np.isfinite(full["v"]) & np.isfinite(full["lo"]) & np.isfinite(full["hi"])
    if ci.any():
        ax.errorbar(xs[ci], full["v"][ci], yerr=np.vstack([full["v"][ci] - full["lo"][ci], full["hi"][ci] - full["v"][ci]]),
                    fmt="none", ecolor=COLOURS["subject"], alpha=0.55, capsize=3, linewidth=1.2, zorder=3)
    for area, line in refs:
        ax.plot(xs, line, color=COLOURS["reference"], linestyle=":", marker=".", markersize=5, linewidth=1.8,
                zorder=2, gid="trend_reference")
        handles.append(Line2D([], [], color=COLOURS["reference"], linestyle=":", marker=".", markersize=5,
                              linewidth=1.8, label=area))
    ax.plot(xs, full["v"], color=COLOURS["subject"], marker="D", markersize=6, linewidth=2.0, zorder=4,
            gid="trend_council")
    handles.insert(0, Line2D([], [], color=COLOURS["subject"], marker="D", markersize=6, linewidth=2.0,
                             label=subject_label))
    if ci.any():
        handles.insert(1, Line2D([], [], color=COLOURS["subject"], alpha=0.55, marker="|", markersize=10,
                                 linestyle="none", label="95% interval of " + subject_label))

    # each line's latest figure at its end, the higher one above the lower
    ends = []
    for key, colour in (("v", COLOURS["subject"]), ("g", COLOURS["comparator"])):
        ok = np.flatnonzero(np.isfinite(full[key]))
        if ok.size:
            ends.append((key, int(ok[-1]), float(full[key][ok[-1]]), colour))
    if len(ends) == 2:
        top = max(ends, key=lambda e: e[2])[0]
    for key, xi, yi, colour in ends:
        dy = 0 if len(ends) < 2 else (7 if key == top else -7)
        ax.annotate(_number(yi, decimals), (xi, yi), xytext=(8, dy), textcoords="offset points", va="center",
                    fontsize=9, fontweight="bold" if key == "v" else "normal", color=colour)
    ax.set_xlim(-0.5, n - 0.5 + 0.8)
    _legend_outside(ax, handles=handles)
    _period_ticks(ax, xs, period_labels)
    _style_axes(ax, title=title, xlabel=xlabel or words.heading, ylabel=value_label or "Value", grid="y")

    notes: list[str | None] = [_direction_note(polarity)]
    if ci.any():
        whose = "the council's" if subject_label == "This council" else f"{subject_label}'s"
        notes.append(f"The bars show the range {whose} true figure is likely to lie in (95% interval). "
                     f"Where the bars of two {words.plural} do not overlap, the change is larger than chance would "
                     "explain.")
    if np.isfinite(full["g"]).any() and "group_method" in df:
        methods = df.loc[np.isfinite(g), "group_method"].astype(str)
        n_comp = pd.to_numeric(df.get("n_comparators"), errors="coerce") if "n_comparators" in df else None
        many = "" if n_comp is None or n_comp.isna().all() else f" {int(n_comp.max())}"
        if (methods == "pooled").all():
            notes.append(f"{group_label}: the cases of all{many} councils in the group added together.")
        elif (methods == "group_median").all():
            notes.append(f"{group_label}: the middle (median) figure of the{many} councils in the group.")
    shown_q = set(labels[~hidden & np.isfinite(v)])
    supp_q = labels[hidden].tolist()
    missing = [q for q in period_labels if q not in shown_q and q not in set(supp_q)]
    if supp_q:  # a suppressed quarter is not drawn: say so, or the reader takes the gap for no data
        notes.append(f"Not drawn because the numbers are too small to publish {disclosure.SYMBOL}: " + ", ".join(supp_q) + ".")
    if missing:
        notes.append("No figure for " + ", ".join(missing) + ".")
    for area, _ in refs:
        notes.append(f"Dotted line: {area}'s figure, for reference (not a council of the group).")
    return _finish(fig, title, banner, notes, footnote)


# --------------------------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------------------------

def km_curves(
    curves: pd.DataFrame,
    *,
    title: str,
    group: str = "priority",
    time: str = "time",
    survival: str = "survival",
    lower: str | None = "lower",
    upper: str | None = "upper",
    order: Sequence[str] | None = None,
    targets: Mapping[str, float] | None = None,
    xlabel: str = "Days since referral",
    ylabel: str = "Share of people still waiting for assessment (%)",
    banner: str | None = None,
    footnote: str | Sequence[str] | None = None,
    ax=None,
) -> Figure:
    """Kaplan–Meier "still waiting" curves, one step line per priority.

    Parameters
    ----------
    curves : DataFrame
        Long format from :func:`ot_benchmark.stats.survival.km_curve`, one row per group and
        time: ``priority``, ``time`` (days), ``survival`` (proportion 0-1 still waiting) and
        optionally ``lower``/``upper`` (shaded band), as ``km_curve`` returns them.
    order : sequence of str, optional
        Order of the groups (default urgent, high, medium, low, then any others).
    targets : mapping, optional
        Priority -> target days, drawn as a short vertical tick in that priority's colour.

    Returns
    -------
    Figure
        One step line per group, y axis in percent.
    """
    df = curves.copy()
    default = ["urgent", "high", "medium", "low"]
    groups = list(pd.unique(df[group].astype(str)))
    if order is None:
        order = [g for g in default if g in groups] + [g for g in groups if g not in default]
    palette = dict(zip(order, sns.color_palette("colorblind", len(order))))
    fig, ax = _figure(ax, (8.5, 5.0))
    for g in order:
        sub = df.loc[df[group].astype(str) == g].sort_values(time)
        if sub.empty:
            continue
        t = _as_float(sub[time])
        s = _as_float(sub[survival]) * 100
        ax.step(t, s, where="post", color=palette[g], linewidth=1.8, label=str(g).capitalize())
        if lower and upper and lower in sub and upper in sub:
            ax.fill_between(t, _as_float(sub[lower]) * 100, _as_float(sub[upper]) * 100, step="post",
                            color=palette[g], alpha=0.15, linewidth=0)
        if targets and g in targets:
            ax.axvline(targets[g], color=palette[g], linestyle=":", linewidth=1.0)
    ax.axhline(50, color="#999999", linewidth=0.8)
    ax.annotate("half assessed (median)", (1.0, 50), xycoords=("axes fraction", "data"), xytext=(-3, 3),
                textcoords="offset points", ha="right", fontsize=8, color="#666666")
    ax.set_ylim(0, 102)
    ax.set_xlim(left=0)
    _legend_outside(ax, title="Priority")
    _style_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel)
    notes = ["People still waiting at the end of the quarter, or whose referral closed without an "
             "assessment, count until they left the list (Kaplan-Meier)."]
    if targets:
        notes.append("Dotted lines: the priority's target in days.")
    return _finish(fig, title, banner, notes, footnote)


# --------------------------------------------------------------------------------------------
# wait-band profile
# --------------------------------------------------------------------------------------------

def wait_band_profile(
    data: pd.DataFrame,
    *,
    title: str,
    period: str = "period",
    band: str = "band",
    count: str = "value",
    bands: Sequence[str] | None = None,
    ylabel: str = "People waiting at the end of the quarter",
    banner: str | None = None,
    footnote: str | Sequence[str] | None = None,
    ax=None,
) -> Figure:
    """Stacked bars: how long the people on the list had waited, quarter by quarter.

    Parameters
    ----------
    data : DataFrame
        Long format: ``period``, ``band`` (``0-7``, ..., ``365+``; a ``breakdown`` of the form
        ``band:0-7`` is also accepted when ``band`` is absent) and the count (``value``).
        Suppressed counts (``[c]``, or NaN) are drawn as zero-height and flagged in a note.

    Returns
    -------
    Figure
        One stacked bar per period, one segment (bar container) per band.
    """
    df = data.copy()
    if band not in df and "breakdown" in df:
        df[band] = df["breakdown"].astype(str).str.replace("band:", "", regex=False)
    bands = list(bands) if bands is not None else (
        [b for b in WAIT_BANDS if b in set(df[band].astype(str))]
        + [b for b in pd.unique(df[band].astype(str)) if b not in WAIT_BANDS])
    periods = list(pd.unique(df[period].astype(str)))
    wide = (df.assign(_c=_as_float(df[count]), _b=df[band].astype(str), _p=df[period].astype(str))
              .groupby(["_p", "_b"])["_c"].sum(min_count=1).unstack("_b")
              .reindex(index=periods, columns=bands))
    suppressed = bool(wide.isna().to_numpy().any())
    fig, ax = _figure(ax, (9.0, 5.0))
    colours = sns.color_palette("YlOrRd", len(bands))
    bottom = np.zeros(len(periods))
    xs = np.arange(len(periods))
    for b, c in zip(bands, colours):
        h = wide[b].fillna(0).to_numpy()
        ax.bar(xs, h, bottom=bottom, color=c, edgecolor="white", linewidth=0.5, label=_BAND_TEXT.get(b, b))
        bottom = bottom + h
    _period_ticks(ax, xs, periods)
    handles, labels = ax.get_legend_handles_labels()
    _legend_outside(ax, handles[::-1], labels[::-1], title="Waited so far")
    _style_axes(ax, title=title, xlabel="Quarter", ylabel=ylabel, grid="y")
    notes = [f"Some bands are not shown {disclosure.SYMBOL}: they hold {disclosure.FEWER_THAN} people, or would let a hidden number "
             "be worked out, so those bars are shorter than the whole list." if suppressed else None]
    return _finish(fig, title, banner, notes, footnote)


# --------------------------------------------------------------------------------------------
# flow
# --------------------------------------------------------------------------------------------

def flow_chart(
    data: pd.DataFrame,
    *,
    title: str,
    period: str = "period",
    inflow: str = "referrals",
    outflow: Sequence[str] = ("assessments", "closed_unassessed"),
    list_size: str | None = "waiting",
    labels: Mapping[str, str] | None = None,
    banner: str | None = None,
    footnote: str | Sequence[str] | None = None,
) -> Figure:
    """Referrals in, people out (assessed / closed without assessment) and the list size.

    Parameters
    ----------
    data : DataFrame
        Wide, one row per period: ``period``, ``referrals``, ``assessments``,
        ``closed_unassessed`` and ``waiting`` (people on the list at the end of the quarter).
        These come from the indicator table (W8_referrals, W8_assessments,
        W8_closed_unassessed, W1) pivoted wide. Suppressed cells (``[c]``) are not drawn and
        are named, with their quarter, in a note.

    Returns
    -------
    Figure
        Two panels sharing the quarter axis: on top, bars for the inflow beside stacked bars for
        the outflow; below, a line for the list size. ``fig.axes[0]`` is the flow panel.
    """
    text = {"referrals": "Referrals received", "assessments": "First assessments completed",
            "closed_unassessed": "Closed without assessment", "waiting": "People waiting"}
    text.update(labels or {})
    df = data.reset_index(drop=True)
    periods = df[period].astype(str).tolist()
    xs = np.arange(len(periods))
    panels = 2 if list_size and list_size in df else 1
    fig = _new_figure((9.0, 6.2 if panels == 2 else 4.4))
    axes = fig.subplots(panels, 1, sharex=True, height_ratios=[3, 2] if panels == 2 else None, squeeze=False)[:, 0]
    ax = axes[0]
    w = 0.38
    ax.bar(xs - w / 2, _as_float(df[inflow]), width=w, color="#0072B2", label=text.get(inflow, inflow))
    bottom = np.zeros(len(xs))
    for col, colour in zip(outflow, ["#009E73", "#E69F00", "#CC79A7"]):
        h = np.nan_to_num(_as_float(df[col]))
        ax.bar(xs + w / 2, h, width=w, bottom=bottom, color=colour, label=text.get(col, col))
        bottom = bottom + h
    _legend_outside(ax)
    _style_axes(ax, title=title, ylabel="People in the quarter", grid="y")
    if panels == 2:
        ax2 = axes[1]
        ax2.plot(xs, _as_float(df[list_size]), marker="o", color="#333333", label=text.get(list_size, list_size))
        ax2.set_ylim(bottom=0)
        _style_axes(ax2, ylabel="People waiting\n(end of quarter)", grid="y")
    _period_ticks(axes[-1], xs, periods)
    axes[-1].set_xlabel("Quarter")
    notes = ["When the bar on the right is taller than the bar on the left, the list shrinks."]
    hidden = []
    for col in [inflow, *outflow] + ([list_size] if panels == 2 else []):  # a handful of columns
        where = df.loc[disclosure.is_marked(df[col]).to_numpy(), period].astype(str).tolist()
        if where:
            hidden.append(f"{text.get(col, col).lower()} ({', '.join(where)})")
    if hidden:  # a suppressed count is not drawn: say so, or the reader takes the gap for zero
        notes.append(f"Not drawn because the numbers are too small to publish {disclosure.SYMBOL}: " + "; ".join(hidden) + ".")
    return _finish(fig, title, banner, notes, footnote)


# --------------------------------------------------------------------------------------------
# capacity
# --------------------------------------------------------------------------------------------

def capacity_chart(
    scenarios: pd.DataFrame,
    *,
    title: str,
    banner: str | None = None,
    footnote: str | Sequence[str] | None = None,
) -> Figure:
    """What it would take to clear the waiting list, with the range of each answer.

    Parameters
    ----------
    scenarios : DataFrame
        :func:`ot_benchmark.compare.capacity.capacity_scenarios` output: one row per scenario with
        ``scenario``, ``quantity`` (words), ``unit`` (``weeks`` or ``WTE``), ``low``,
        ``central``, ``high`` (``inf`` = never) and ``current`` (today's list for the weeks row,
        today's OT WTE for the WTE rows).

    Returns
    -------
    Figure
        Up to two panels: ``fig.axes[0]`` weeks to clear (one bar per ``weeks`` row), then OT
        WTE needed (one bar per ``WTE`` row, today's WTE as a dashed line). Bars show the
        central answer, whiskers the low-high range; an infinite answer is a hatched bar
        labelled "never at current rates".
    """
    df = scenarios.reset_index(drop=True)
    units = [u for u in ("weeks", "WTE") if (df["unit"] == u).any()]
    heights = [max(1, int((df["unit"] == u).sum())) for u in units]
    fig = _new_figure((9.0, 1.0 + 0.75 * sum(heights) + 0.9 * len(units)))
    axes = fig.subplots(len(units), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, u in zip(axes, units):
        sub = df.loc[df["unit"] == u].reset_index(drop=True)
        c, lo, hi = (_as_float(sub[k]) for k in ("central", "low", "high"))
        never = np.isinf(c)
        # the axis is scaled on the answers that exist: a "never" row's best case does not
        # stretch it (that would draw a bar for an answer that is not there)
        finite = np.concatenate([x[np.isfinite(x) & ~never] for x in (c, lo, hi)] + [np.zeros(1)])
        cur = _as_float(sub["current"]) if "current" in sub else np.full(len(sub), np.nan)
        if u == "WTE" and np.isfinite(cur).any():
            finite = np.append(finite, np.nanmax(cur))
        edge = float(finite.max()) * 1.15 if finite.max() > 0 else 1.0
        ys = np.arange(len(sub))[::-1]
        colour = "#0072B2" if u == "weeks" else "#009E73"
        ok = np.isfinite(c)
        ax.barh(ys[ok], c[ok], color=colour, height=0.55)
        # range whiskers, capped at the edge where the high end is "never"
        hi_plot = np.where(np.isinf(hi), edge, hi)
        rng_ok = ok & np.isfinite(lo)
        if rng_ok.any():
            ax.errorbar(c[rng_ok], ys[rng_ok], xerr=np.vstack([c[rng_ok] - lo[rng_ok], hi_plot[rng_ok] - c[rng_ok]]),
                        fmt="none", ecolor="#333333", capsize=4, linewidth=1.2)
        if never.any():
            ax.barh(ys[never], np.full(int(never.sum()), edge), color="white", edgecolor="#CC0000",
                    hatch="//", height=0.55)
        for yi, ci, li, hv, nv in zip(ys, c, lo, hi, never):
            if nv:
                txt = "never at current rates" + (
                    f" (at best {li:,.0f} {'weeks' if u == 'weeks' else 'WTE'})" if np.isfinite(li) else "")
            elif np.isnan(ci):
                txt = "cannot be estimated"
            else:
                unit_txt = "weeks" if u == "weeks" else "WTE"
                dec = 0 if u == "weeks" else 1
                rng = "" if np.isnan(li) else (
                    f" (range {li:,.{dec}f} to " + ("never" if np.isinf(hv) else f"{hv:,.{dec}f}") + ")")
                txt = f"{ci:,.{dec}f} {unit_txt}{rng}"
            x_at = edge if nv else (0 if np.isnan(ci) else (hv if np.isfinite(hv) else edge))
            ax.annotate(txt, (x_at, yi), xytext=(6, 0), textcoords="offset points", va="center", fontsize=9)
        labels = [textwrap.fill(_cap_first(q), 34) for q in sub["quantity"].astype(str)]
        ax.set_yticks(ys, labels, fontsize=9)
        if u == "WTE" and np.isfinite(cur).any():
            now = float(np.nanmax(cur))
            ax.axvline(now, color="#333333", linestyle="--", linewidth=1.1)
            ax.annotate(f"OT WTE now: {now:,.1f}", (now, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, 2), textcoords="offset points", fontsize=8, va="bottom")
        ax.set_xlim(0, edge * 1.6)
        if never.all():  # no scale for an answer that does not exist
            ax.set_xticks([])
        _style_axes(ax, title=title if ax is axes[0] else None, grid="x", despine_left=True,
                    xlabel="" if never.all() else ("Weeks" if u == "weeks" else "OT whole-time equivalent staff (WTE)"))
    notes = ["Bars: at this quarter's rates; whiskers: the range over recent quarters. Assumes "
             "referrals and closures carry on as they are: a planning aid, not a forecast."]
    return _finish(fig, title, banner, notes, footnote)


def _cap_first(s: str) -> str:
    return s[:1].upper() + s[1:]


# --------------------------------------------------------------------------------------------
# selecting the rows a figure needs (no statistics)
# --------------------------------------------------------------------------------------------

def indicator_rows(
    indicators: pd.DataFrame,
    indicator_id: str,
    *,
    period: str | None = None,
    authorities: Sequence[str] | None = None,
    upto: str | None = None,
    breakdown: str = "all",
    names: Mapping[str, str] | pd.Series | None = None,
) -> pd.DataFrame:
    """Rows of the indicator table for one indicator, ready for a figure.

    Parameters
    ----------
    indicators : DataFrame
        The indicator table.
    period : str, optional
        One quarter (comparator charts, funnels); ``upto`` instead keeps every quarter up to
        and including it (SPC series), in period order, dropping quarters without a value.
    authorities : sequence of str, optional
        Councils to keep (the comparator group with the subject).
    names : mapping or Series, optional
        ONS code -> council name; adds ``authority_name`` (the code where a name is missing).

    Returns
    -------
    DataFrame
        The selected rows (same columns, plus ``authority_name`` when ``names`` is given),
        fresh index.
    """
    t = indicators
    m = (t["indicator_id"] == indicator_id) & (t["breakdown"] == breakdown)
    if period is not None:
        m &= t["period"] == str(period)
    if upto is not None:
        m &= t["period"] <= str(upto)
    if authorities is not None:
        m &= t["authority_code"].isin([str(a) for a in authorities])
    out = t.loc[m].copy()
    out.attrs = {}  # the table's settings: pandas would deep-copy them on every step of a figure
    if upto is not None:
        out = out.loc[pd.to_numeric(out["value"], errors="coerce").notna()].sort_values("period")
    if names is not None:
        mapped = out["authority_code"].map(pd.Series(names) if not isinstance(names, pd.Series) else names)
        out["authority_name"] = mapped.fillna(out["authority_code"]).astype(str)
    return out.reset_index(drop=True)


def suppressed_codes(shown: pd.DataFrame, value: str = "value", code: str = "authority_code") -> list[str]:
    """Councils whose published ``value`` is the suppression marker ``[c]``."""
    if shown.empty or value not in shown:
        return []
    mask = disclosure.is_marked(shown[value])
    return shown.loc[mask, code].astype(str).tolist()


def has_values(rows: pd.DataFrame, value: str = "value") -> bool:
    """Whether any row has a numeric value to draw."""
    return bool(len(rows)) and bool(pd.to_numeric(rows[value], errors="coerce").notna().any())
