"""The summary's signs, drawn by the package: verdict badges and Making Data Count icons.

A reader of the summary meets two kinds of sign:

* **the verdict** on a figure against its group (:func:`verdict_badge`): colour, symbol and word
  together, so colour is never the only signal (WCAG 1.4.1). The word and symbol are dark text on a
  light tint; every pair has a contrast ratio of at least 7:1 (:data:`VERDICT_STYLE`, checked in
  the tests by the WCAG formula).
* **Making Data Count's icons** (:func:`variation_icon`, :func:`assurance_icon`), drawn as small
  SVG images with alt text, in the standard shapes and colours NHS boards read (NHS England,
  "Making Data Count", and NHSRplotthedots's ``ptd_spc_colours``): a circle; inside it, for
  variation, a run of points ending in grey (common cause), blue (improvement), orange (concern) or
  purple (neither), with **H** or **L** for a special cause high or low; for assurance, **P**
  (blue, consistently passing), **F** (orange, consistently failing) or **?** (grey, hit and
  miss). The icon is an ``<img>`` whose ``alt`` says the reading in words; the word is printed
  beside it as well, so the reading survives printing in black and white.

Each icon is a ``data:image/svg+xml`` URI (the published page allows images only as its own data
URIs; an SVG in an ``<img>`` cannot run script).
"""

from __future__ import annotations

import html
from urllib.parse import quote

from ot_benchmark.report.narrative import assurance_label, variation_label

__all__ = ["SPC_COLOURS", "VERDICT_STYLE", "verdict_badge", "variation_icon", "assurance_icon",
           "icon_uri", "summary_html"]

#: Making Data Count colours (NHSRplotthedots ``ptd_spc_colours``)
SPC_COLOURS = {
    "common_cause": "#7B7D7D",
    "improvement": "#289DE0",
    "concern": "#FAB428",
    "neutral": "#361475",
}

#: verdict -> (symbol, background, text colour); dark text on a light tint, contrast >= 7:1
VERDICT_STYLE = {
    "better": ("\u2714", "#D9F2D0", "#0B3D0B"),        # ✔ green
    "similar": ("\u25CF", "#FFF1C2", "#3D2E00"),       # ● amber
    "worse": ("\u2716", "#F9D5D8", "#5C0A12"),         # ✖ red
    "higher": ("\u2191", "#DCE8F7", "#0B2E59"),        # ↑ blue (context measures)
    "lower": ("\u2193", "#DCE8F7", "#0B2E59"),         # ↓ blue
    "not_compared": ("\u2013", "#F0F0F0", "#262626"),  # – grey
}

_VERDICT_WORD = {"better": "Better", "similar": "Similar", "worse": "Worse", "higher": "Higher",
                 "lower": "Lower", "not_compared": "Not compared"}


def verdict_badge(verdict: str | None, *, small: bool = False) -> str:
    """The verdict as colour, symbol and word (HTML), e.g. ``✔ Better``; ``"-"`` when there is
    none. ``small`` adds "(small numbers)" in words."""
    if verdict not in VERDICT_STYLE:
        return "-"
    symbol, bg, fg = VERDICT_STYLE[verdict]
    word = _VERDICT_WORD[verdict] + (" (small numbers)" if small else "")
    return (f'<span class="verdict verdict-{verdict}" style="background:{bg};color:{fg};'
            f'padding:0.1em 0.4em;border-radius:0.3em;white-space:nowrap">'
            f'<span aria-hidden="true">{symbol}</span> {html.escape(word)}</span>')


def icon_uri(svg: str) -> str:
    """An SVG as a ``data:`` URI, percent-encoded (a third shorter than base64; the summary holds
    dozens of icons)."""
    return "data:image/svg+xml," + quote(svg, safe=" =/:,.'-")


def _img(svg: str, alt: str) -> str:
    return (f'<img src="{icon_uri(svg)}" alt="{html.escape(alt, quote=True)}" width="32" height="32" '
            f'style="vertical-align:middle">')


def _circle(colour: str, inner: str) -> str:
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40">'
            f'<circle cx="20" cy="20" r="17.5" fill="#FFFFFF" stroke="{colour}" stroke-width="3"/>'
            f'{inner}</svg>')


def _letter(text: str, colour: str, *, y: float, size: float) -> str:
    return (f'<text x="20" y="{y}" text-anchor="middle" font-family="Arial, Helvetica, sans-serif" '
            f'font-weight="bold" font-size="{size}" fill="{colour}">{html.escape(text)}</text>')


#: the run of points inside a variation icon: x, and y for a flat (common-cause) run
_XS = (9, 13.5, 18, 22.5, 27, 31.5)


def _run(colour: str, side: str | None) -> str:
    """Six points joined by a line; for a special cause the last three are coloured and lie
    high (``side="high"``) or low."""
    if side == "high":
        ys = (26, 27, 25, 20, 19, 18)
    elif side == "low":
        ys = (20, 19, 21, 26, 27, 28)
    else:
        ys = (23, 21, 24, 22, 24, 22)
    pts = " ".join(f"{x},{y}" for x, y in zip(_XS, ys))
    grey = SPC_COLOURS["common_cause"]

    def dots(points, fill):  # points as zero-length segments with round caps: one element for many dots
        d = "".join(f"M{x} {y}h0" for x, y in points)
        return f'<path d="{d}" stroke="{fill}" stroke-width="4" stroke-linecap="round"/>' if d else ""

    pairs = list(zip(_XS, ys))
    last = 3 if side else len(pairs)
    return (f'<polyline points="{pts}" fill="none" stroke="{grey}" stroke-width="1.2"/>'
            + dots(pairs[:last], grey) + dots(pairs[last:], colour))


_VARIATION_WORDS = {
    "common_cause": "Common cause variation: no significant change",
    "improvement": "Special cause variation: improvement",
    "concern": "Special cause variation: concern",
    "neutral": "Special cause variation: an unusual change that is neither better nor worse",
}


def variation_icon(icon: str | None) -> str:
    """The Making Data Count variation icon (``<img>`` with alt text) for an xmr
    ``variation_icon`` (``common_cause``, ``improvement_high``, ``concern_low``,
    ``neutral_high``, ...); ``""`` for none."""
    key = str(icon or "").strip().lower()
    if key == "common_cause":
        return _img(_circle(SPC_COLOURS["common_cause"], _run(SPC_COLOURS["common_cause"], None)),
                    _VARIATION_WORDS["common_cause"])
    kind, _, side = key.rpartition("_")
    for prefix in ("special_cause_", ):
        kind = kind.removeprefix(prefix)
    if kind not in ("improvement", "concern", "neutral") or side not in ("high", "low"):
        return ""
    colour = SPC_COLOURS[kind]
    letter = "H" if side == "high" else "L"
    inner = _letter(letter, colour, y=15, size=11) + _run(colour, side)
    return _img(_circle(colour, inner), f"{_VARIATION_WORDS[kind]} ({'higher' if side == 'high' else 'lower'} values)")


_ASSURANCE_ICON = {
    "consistent_pass": ("P", SPC_COLOURS["improvement"], "Assurance: the target is consistently passed"),
    "consistent_fail": ("F", SPC_COLOURS["concern"], "Assurance: the target is consistently failed"),
    "inconsistent": ("?", SPC_COLOURS["common_cause"],
                     "Assurance: the target will sometimes be met and sometimes missed (hit and miss)"),
}


def assurance_icon(assurance: str | None) -> str:
    """The Making Data Count assurance icon (``<img>`` with alt text) for an xmr ``assurance``
    (``consistent_pass``, ``consistent_fail``, ``inconsistent``); ``""`` for none."""
    key = str(assurance or "").strip().lower().replace(" ", "_").replace("-", "_")
    if key in ("hit_and_miss", "inconsistent_pass_fail"):
        key = "inconsistent"
    if key not in _ASSURANCE_ICON:
        return ""
    letter, colour, alt = _ASSURANCE_ICON[key]
    return _img(_circle(colour, _letter(letter, colour, y=27, size=20)), alt)


# --------------------------------------------------------------------------------------------
# the summary table as the page shows it
# --------------------------------------------------------------------------------------------

def _cell(main: str, sub: str = "", *, raw: bool = False) -> str:
    text = main if raw else html.escape(main)
    if sub:
        text += f'<br><span class="sub" style="font-size:0.85em;color:#404040">{html.escape(sub)}</span>'
    return text


def summary_html(table, *, compare: bool = True, period_word: str = "quarter") -> str:
    """The summary as the page shows it: one row per measure, names first (ids in the
    definitions), the count behind each figure under it, the group's figure with what it is, the
    verdict badge, what it rests on, the rank, and Making Data Count's icons with their words.

    ``table`` is :func:`ot_benchmark.report.tables.summary_table` with ``signs=True``, after
    publication (``[c]`` where withheld). Every text from the data is escaped.
    """
    heads = ["Measure", "This council"]
    if compare:
        heads += ["Comparator group", "Compared with the group", "Judged by", "Rank (1 = best)"]
    heads += [f"Latest {period_word} (SPC)", "Target"]
    rows = []
    for r in table.to_dict("records"):
        cells = [f'<th scope="row">{html.escape(str(r["indicator"]))}</th>',
                 f"<td>{_cell(str(r['value']), str(r.get('count') or ''))}</td>"]
        if compare:
            cells.append(f"<td>{_cell(str(r['comparator_value']), str(r.get('comparator_short') or ''))}</td>")
            cells.append(f"<td>{verdict_badge(r.get('verdict'), small=bool(r.get('small')))}</td>")
            cells.append(f"<td>{html.escape(str(r.get('basis_short') or '-'))}</td>")
            cells.append(f"<td>{html.escape(str(r['rank']))}</td>")
        icon = variation_icon(r.get("variation_icon"))
        if icon:
            cells.append(f"<td>{icon} {html.escape(variation_label(r.get('variation_key'), symbol=False))}</td>")
        else:
            cells.append(f"<td>{html.escape(str(r['trend']))}</td>")
        target = str(r["target"])
        if target in ("-", ""):
            cells.append("<td>No target</td>")
        else:
            a = assurance_icon(r.get("assurance_key"))
            words = assurance_label(r.get("assurance_key"), symbol=False) if a else ""
            cells.append(f"<td>{html.escape(target)}" + (f"<br>{a} {html.escape(words)}" if a else "") + "</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f'<th scope="col">{h}</th>' for h in heads)
    # specific enough to beat JupyterLab's right-aligned table cells (:not(...).jp-RenderedHTMLCommon td)
    return ('<style>table.summary-table.summary-table th, table.summary-table.summary-table td '
            '{text-align: left; vertical-align: top} '
            '@media print {table.summary-table img {width: 18px; height: 18px}}</style>'
            '<div class="table-scroll" style="overflow-x:auto">'
            '<table class="summary-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
