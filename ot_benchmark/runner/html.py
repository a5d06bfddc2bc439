"""``report.html`` from an executed notebook, as a reader gets it.

nbconvert's ``HTMLExporter`` without code or prompts; stderr streams (so all warnings) and cells
tagged ``remove`` are dropped; the template's scripts (require.js, MathJax and mermaid from a CDN)
are removed so the page is static, works offline and calls no third party; the synthetic-data
banner (and the analyst-only notice) is ensured at the top and a footer says how it was made.
"""

from __future__ import annotations

import base64
import copy
import functools
import html
import io
import re

from PIL import Image

from ot_benchmark.report.export import ANALYST_CLASS, BANNER_CLASS, banner_html

__all__ = ["REMOVE_TAG", "CSP", "reader_notebook", "render_html", "strip_scripts", "decorate_html", "add_csp",
           "report_html", "READER_CSS", "heading_id", "add_navigation", "wrap_tables", "lighten_images",
           "add_reader_css", "add_print_banner", "reader_layout", "table_chars", "quiet_outputs",
           "landscape_lead_ins", "alt_texts", "NO_ALT"]

#: cells with this tag are left out of the HTML (input and output)
REMOVE_TAG = "remove"

#: The page's Content-Security-Policy: no script at all, nothing loaded from anywhere (no remote
#: image, font, style sheet, frame or form target); images only as the page's own ``data:`` URIs
#: and styles only inline (the template's ``<style>`` and the banner's ``style=``).
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def reader_notebook(nb):
    """A copy of an executed notebook fit for readers: stderr streams (warnings) and cells tagged
    ``remove`` dropped."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if REMOVE_TAG in set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                o for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        cells.append(cell)
    nb.cells = cells
    return nb


def render_html(nb, title: str) -> str:
    """HTML of an executed notebook with no code, prompts, stderr or ``remove``-tagged cells."""
    # nbconvert takes ~1.4 s to import (jsonschema's rfc3987_syntax), more than the rest of the
    # CLI together: only report runs pay for it, not every 'ot-benchmark' command
    body, _ = _exporter().from_notebook_node(reader_notebook(nb), resources={"metadata": {"name": title}})
    return body


@functools.lru_cache(maxsize=1)
def _exporter():
    """nbconvert's HTML exporter, made once a process: it loads and compiles its templates on
    first use (0.15 s a page, every page of a batch before)."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReaderExporter(HTMLExporter):
        """HTMLExporter without its BeautifulSoup pass over the finished page (a third of its
        time): that pass makes every output a keyboard stop, which :func:`quiet_outputs` takes
        out again, and gives an image without alt text a placeholder, which :func:`alt_texts`
        gives instead."""

        def from_notebook_node(self, nb, resources=None, **kw):
            lang = nb.metadata.get("language_info", {})
            lexer = lang.get("pygments_lexer", lang.get("name", None))
            resources = self._init_resources(resources)
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReaderExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


#: what an image without alt text says (nbconvert's words)
NO_ALT = "No description has been provided for this image"


def alt_texts(body: str) -> str:
    """Every ``<img>`` with an ``alt`` attribute: one without gets :data:`NO_ALT`."""
    return re.sub(r"<img\b(?![^>]*\balt=)", f'<img alt="{NO_ALT}"', body, flags=re.I)


def strip_scripts(body: str) -> str:
    """The page without ``<script>`` elements: a static report needs no JavaScript."""
    return re.sub(r"<script\b[^>]*>.*?</script>", "", body, flags=re.S | re.I)


def decorate_html(body: str, *, banner: str | None, suppress: bool, footer: str) -> str:
    """Put the synthetic-data banner and the analyst-only notice at the top of the page unless
    the notebook displayed them already, and ``footer`` at its foot."""
    need_banner = banner and BANNER_CLASS not in body
    need_analyst = (not suppress) and ANALYST_CLASS not in body
    top = banner_html(banner if need_banner else None, suppress=not need_analyst)
    if top:
        body, n = re.subn(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + top, body, count=1)
        if n == 0:
            body = top + body
    foot = f'<footer class="ot-footer" style="font:0.8em sans-serif;color:#555;margin:2em 1em">{html.escape(footer)}</footer>'
    body, n = re.subn(r"(</body>)", lambda m: foot + "\n" + m.group(1), body, count=1)
    return body if n else body + foot


def add_csp(body: str, policy: str = CSP) -> str:
    """The page with a ``<meta http-equiv="Content-Security-Policy">`` first in its ``<head>``, so
    a browser runs no script and loads nothing remote even if some markup got through (a file
    opened from disk has no server to send the header). Any CSP meta already there is replaced."""
    body = re.sub(r'<meta\s+http-equiv=["\']?Content-Security-Policy["\']?[^>]*>\s*', "", body, flags=re.I)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy, quote=True)}">'
    body, n = re.subn(r"(<head[^>]*>)", lambda m: m.group(1) + "\n" + meta, body, count=1, flags=re.I)
    return body if n else meta + "\n" + body


def report_html(nb, *, title: str, banner: str | None, suppress: bool, footer: str) -> str:
    """The whole ``report.html`` of an executed notebook: rendered, scripts stripped, decorated,
    laid out for readers (:func:`reader_layout`), with its Content-Security-Policy."""
    body = decorate_html(strip_scripts(alt_texts(render_html(nb, title))), banner=banner, suppress=suppress,
                         footer=footer)
    return add_csp(reader_layout(body))


def warm_up() -> None:
    """Render a small page once and throw it away: nbconvert imported, its templates compiled,
    its Markdown and the sanitiser's parsers made, so that a process's first report renders as
    fast as the rest. The runner does this while the kernel runs the notebook (0.2 s of a
    report's render otherwise)."""
    import nbformat

    from ot_benchmark.runner.sanitise import published_notebook

    out = nbformat.v4.new_output("display_data", data={"text/html": "<p>page</p>", "text/plain": "page"})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Warm\n\nA *page*."),
                                         nbformat.v4.new_code_cell(outputs=[out])])
    report_html(nb, title="warm", banner=None, suppress=True, footer="")
    nbformat.writes(published_notebook(nb, {}))


# --------------------------------------------------------------------------------------------
# the reader's layout: navigation, tables that scroll, lighter images, screen and print styles
# --------------------------------------------------------------------------------------------

#: Characters of table text (7.5 pt) that fit across the printable width of a portrait A4 page
#: (186 mm): a table estimated wider (:func:`table_chars`) is printed on a landscape page.
PORTRAIT_CHARS = 125
#: A long cell is expected to wrap to about this many characters.
_WRAP_CHARS = 28

#: The contents list's id, and the "back to contents" links' target.
CONTENTS_ID = "contents"
_KEY_MESSAGES_ID = "key-messages"

#: Styles for reading on a phone (390 px), a desktop, and on A4 paper. WCAG 2.2 AA: text and links
#: at 4.5:1 contrast or more, visible keyboard focus, targets at least 24 px tall, and nothing but
#: a data table (which scrolls in its own container) wider than a 390 px screen. In print the
#: synthetic banner is repeated at the top of every page (a page margin box, see
#: :func:`add_print_banner`), wide tables get landscape pages, and nbconvert's "never break inside
#: an output" (which left pages half empty before every long list) applies only to charts, each
#: kept with the words that follow it.
READER_CSS = """
body { max-width: 72rem; margin: 0 auto; padding: 0 1rem; line-height: 1.45; color: #1a1a1a; overflow-wrap: break-word;
       font-family: var(--jp-content-font-family, system-ui, sans-serif); }
.ot-table-wrap { overflow-x: auto; max-width: 100%; margin: 0.5em 0 1em; }
.ot-table-wrap table { border-collapse: collapse; font-size: 0.9em; }
.ot-table-wrap th, .ot-table-wrap td { padding: 0.25em 0.5em; border-bottom: 1px solid #d0d0d0; }
.ot-figure { margin: 1em 0; }
.jp-Cell.jp-mod-noOutputs.jp-mod-noInput { display: none; }  /* a part left out (no figures) leaves no blank space */
.ot-figure img, .jp-RenderedHTMLCommon img { max-width: 100%; height: auto; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
a, .jp-RenderedHTMLCommon a, .jp-RenderedHTMLCommon a:link { color: #1d4ed8; text-decoration: underline; }
a:focus-visible, .ot-table-wrap:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
nav.ot-contents { border: 1px solid #767676; padding: 0.5em 1em; margin: 1em 0; background: #f7f7f7; }
nav.ot-contents ol { margin: 0.3em 0; padding-left: 1.5em; }
nav.ot-contents li { margin: 0.1em 0; }
nav.ot-contents a, .ot-back a { display: inline-block; min-height: 24px; padding: 0.15em 0; box-sizing: border-box; }
.ot-back { font-size: 0.9em; margin: 1.5em 0 0.5em; }
a.anchor-link { display: none; }
.ot-verdict-better { color: #14532d; } .ot-verdict-worse { color: #8b1a1a; }
@media (max-width: 600px) {
  body { padding: 0 0.5rem; font-size: 15px; }
  .jp-Cell, .jp-OutputArea-output, .jp-RenderedHTMLCommon { padding: 0 !important; }
  h1 { font-size: 1.5em; } h2 { font-size: 1.25em; }
  .ot-wide table { min-width: 48rem; }
}
@page { size: A4; margin: 16mm 12mm 14mm 12mm; }
@page wide { size: A4 landscape; }
@page { @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt sans-serif; color: #444; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .ot-back, a.anchor-link { display: none; }
  .ot-table-wrap { overflow: visible; }
  .ot-table-wrap table { font-size: 7.5pt; width: 100%; table-layout: auto; }
  .ot-table-wrap th, .ot-table-wrap td { padding: 1px 3px; word-break: normal; overflow-wrap: break-word; }
  thead { display: table-header-group; }
  .ot-wide { page: wide; }
  .ot-wide table { font-size: 8pt; }
  tr, img { break-inside: avoid; }
  h1, h2, h3, h4 { break-after: avoid; }
  .jp-OutputArea-child, .jp-OutputArea-output { display: block; width: auto; overflow: visible; }
  .jp-Cell, .jp-OutputArea-child { break-inside: auto; }
  .jp-OutputArea-child:has(.ot-figure) { break-inside: avoid; }
  .jp-OutputArea-child:has(.ot-figure):has(+ .jp-OutputArea-child > .jp-RenderedMarkdown) { break-after: avoid; }
  .jp-OutputArea-child:has(.ot-figure) + .jp-OutputArea-child > .jp-RenderedMarkdown { break-inside: avoid; }
  .ot-figure { break-inside: avoid; margin: 0.4em 0; }
  .ot-figure img { max-height: 200mm; width: auto; }
  footer.ot-footer { break-before: avoid; }
}
"""


def heading_id(text: str) -> str:
    """A heading's id: lower-case words joined by ``-`` (``"Key messages"`` -> ``key-messages``)."""
    words = re.findall(r"[a-z0-9]+", html.unescape(text).lower())
    return "-".join(words) or "section"


def _heading_text(inner: str) -> str:
    inner = re.sub(r'<a class="anchor-link"[^>]*>.*?</a>', "", inner, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()


_EMPTY_COLLAPSER = re.compile(r'<div class="jp-Collapser[^"]*">\s*</div>\s*$')
_OPENING_TAG = re.compile(r"<[a-zA-Z][\w-]*\b[^<>]*>\s*$")


def _run_start(body: str, pos: int, floor: int = 0) -> int:
    """Where the elements that begin with the content at ``pos`` begin: back from ``pos`` over
    opening tags, white space and nbconvert's empty collapsers (hidden in print), not before
    ``floor``. A heading that opens a notebook cell gives the cell's start, so what is put there
    (a contents list, a "back to contents" link) stands between cells, not inside the section."""
    while pos > floor:
        head = body[floor:pos]
        m = _OPENING_TAG.search(head) or _EMPTY_COLLAPSER.search(head)
        if not m:
            break
        pos = floor + m.start()
    return pos


def add_navigation(body: str) -> str:
    """Give every ``<h2>`` a readable id, put a contents list (``<nav>``) of them after the key
    messages (or before the first section), and a "back to contents" link at the end of each
    section (but the one the contents list follows) and of the page. A section heading that opens
    a notebook cell has these put before the cell, not inside it. A page with fewer than two
    sections is left as it is."""
    heads = list(re.finditer(r"<h2\b[^>]*>(.*?)</h2>", body, flags=re.S))
    if len(heads) < 2:
        return body
    seen: dict[str, int] = {}
    entries = []
    for m in heads:
        text = _heading_text(m.group(1))
        hid = heading_id(text)
        seen[hid] = seen.get(hid, 0) + 1
        if seen[hid] > 1:
            hid = f"{hid}-{seen[hid]}"
        entries.append((m, text, hid))
    back = f'<p class="ot-back"><a href="#{CONTENTS_ID}">Back to contents</a></p>\n'
    items = "".join(f'<li><a href="#{hid}">{html.escape(text)}</a></li>' for _, text, hid in entries)
    nav = (f'<nav class="ot-contents" id="{CONTENTS_ID}" aria-labelledby="{CONTENTS_ID}-title">'
           f'<h2 id="{CONTENTS_ID}-title" class="ot-contents-title" style="font-size:1.1em">Contents</h2>'
           f'<ol>{items}</ol></nav>\n')
    nav_before = 1 if entries[0][2] == _KEY_MESSAGES_ID else 0
    out, pos = [], 0
    for k, (m, text, hid) in enumerate(entries):
        start = _run_start(body, m.start(), pos)
        out.append(body[pos:start])
        if k > 0 and k != nav_before:  # no way back to a contents list that comes next
            out.append(back)
        if k == nav_before:
            out.append(nav)
        out.append(body[start:m.start()])
        inner = re.sub(r'<a class="anchor-link"[^>]*>.*?</a>', "", m.group(1), flags=re.S)
        out.append(f'<h2 id="{hid}">{inner}</h2>')
        pos = m.end()
    rest = body[pos:]
    rest, n = re.subn(r'(<footer class="ot-footer")', lambda x: back + x.group(1), rest, count=1)
    if not n:
        rest = re.sub(r"(</body>)", lambda x: back + x.group(1), rest, count=1)
    out.append(rest)
    return "".join(out)


def _cell_text(cell: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())


def table_chars(table: str) -> int:
    """The width of an HTML table in characters once long cells wrap: per column the widest of
    its cells, a heading counting its longest word (headings wrap), a data cell its length up to
    :data:`_WRAP_CHARS` (or its longest word if longer), plus a character of padding."""
    widths: list[int] = []
    for row in re.findall(r"<tr\b.*?</tr>", table, flags=re.S):
        for k, (tag, cell) in enumerate(re.findall(r"<(t[hd])\b[^>]*>(.*?)</t[hd]>", row, flags=re.S)):
            text = _cell_text(cell)
            longest = max((len(w) for w in text.split()), default=0)
            need = longest if tag == "th" else max(min(len(text), _WRAP_CHARS), longest)
            if k < len(widths):
                widths[k] = max(widths[k], need)
            else:
                widths.append(need)
    return sum(w + 1 for w in widths)


def _scoped_headers(table: str) -> str:
    """Header cells with a ``scope``: ``col`` in the table's head, ``row`` in its body."""
    def scope(part: str, value: str) -> str:
        return re.sub(r"<th\b(?![^>]*\bscope=)", f'<th scope="{value}"', part)

    head = re.search(r"<thead\b.*?</thead>", table, flags=re.S)
    if head:
        table = table[:head.start()] + scope(head.group(0), "col") + table[head.end():]
        return re.sub(r"<tbody\b.*?</tbody>", lambda m: scope(m.group(0), "row"), table, flags=re.S)
    # no <thead>: the headers of the first row name columns, the others rows
    first = re.search(r"<tr\b.*?</tr>", table, flags=re.S)
    if not first:
        return table
    return table[:first.start()] + scope(first.group(0), "col") + scope(table[first.end():], "row")


def _breakable_ids(table: str) -> str:
    """Long identifiers in a table's cells (``W8_assessments_per_10k``) may break after an
    underscore (``<wbr>``), so a column of them need not be as wide as the longest."""
    def text(m: re.Match) -> str:
        return re.sub(r"\b\w{15,}\b", lambda w: w.group(0).replace("_", "_<wbr>"), m.group(0))

    return re.sub(r">[^<>]+<", text, table)


def wrap_tables(body: str) -> str:
    """Every table in a wrapper that scrolls sideways on a narrow screen (keyboard-reachable, and
    named for screen readers by its caption or the heading it follows, so every one is told
    apart); its header cells scoped; printed on a landscape page when it is too wide for a
    portrait one (:func:`table_chars`)."""
    heading = ""
    count = 0
    used: dict[str, int] = {}
    out, pos = [], 0
    for m in re.finditer(r"<h([2-4])\b[^>]*>(.*?)</h\1>|(<table\b.*?</table>)", body, flags=re.S):
        if m.group(3) is None:
            heading = _heading_text(m.group(2))
            continue
        table = m.group(3)
        count += 1
        caption = re.search(r"<caption\b[^>]*>(.*?)</caption>", table, flags=re.S)
        label = _cell_text(caption.group(1)) if caption else (heading or f"Table {count}")
        used[label] = used.get(label, 0) + 1
        name = label if caption or not heading else f"Table: {label}"
        if used[label] > 1:
            name = f"{name} ({used[label]})"
        wide = " ot-wide" if table_chars(table) > PORTRAIT_CHARS else ""  # printed on a landscape page
        out.append(body[pos:m.start()])
        out.append(f'<div class="ot-table-wrap{wide}" role="region" aria-label="{html.escape(name, quote=True)}" '
                   f'tabindex="0">{_breakable_ids(_scoped_headers(table))}</div>')
        pos = m.end()
    out.append(body[pos:])
    return "".join(out)


#: A wide table's lead-in (its heading and the words between) of at most this many characters of
#: text is printed on the table's landscape page rather than alone on a portrait one.
LEAD_IN_CHARS = 2500

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _with_class(tag: str, cls: str) -> str:
    """An opening tag with ``cls`` added to its class attribute."""
    m = re.search(r'\sclass="([^"]*)"', tag)
    if m:
        return tag[:m.start(1)] + m.group(1) + " " + cls + tag[m.end(1):]
    return re.sub(r"^<([a-zA-Z][\w-]*)", lambda x: f'<{x.group(1)} class="{cls}"', tag)


def _outermost_elements(span: str) -> list[tuple[int, int]]:
    """(start, end) of each opening tag in ``span`` whose element also ends in ``span`` and is not
    inside another such element."""
    stack: list[tuple[str, int, int]] = []
    found: list[tuple[int, int]] = []
    for m in re.finditer(r"<(/?)([a-zA-Z][\w-]*)\b[^>]*?(/?)>", span):
        closing, name, selfclosing = m.group(1), m.group(2).lower(), m.group(3)
        if closing:
            while stack and stack[-1][0] != name:
                stack.pop()
            if stack:
                _, start, end = stack.pop()
                found = [f for f in found if not start <= f[0] < m.start()]  # its children
                found.append((start, end))
        elif name not in _VOID and not selfclosing:
            stack.append((name, m.start(), m.end()))
    return sorted(found)


def landscape_lead_ins(body: str) -> str:
    """A wide table's heading and the few words between it and the table printed on the table's
    landscape page: otherwise the change of page size leaves them alone on a portrait page. Only
    when they are short (:data:`LEAD_IN_CHARS`) and hold no chart or other table."""
    out, pos = [], 0
    for wrap in re.finditer(r'<div class="ot-table-wrap ot-wide"', body):
        heads = list(re.finditer(r"<h[2-3]\b[^>]*>", body[pos:wrap.start()]))
        if not heads:
            continue
        start = _run_start(body, pos + heads[-1].start(), pos)
        span = body[start:wrap.start()]
        text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style\b.*?</style>", "", span, flags=re.S)))
        if len(" ".join(text.split())) > LEAD_IN_CHARS or re.search(r"<(img|table|figure|svg)\b", span):
            continue
        out.append(body[pos:start])
        last = 0
        for a, b in _outermost_elements(span):
            if re.match(r"<(style|script)\b", span[a:b]):
                continue
            out.append(span[last:a])
            out.append(_with_class(span[a:b], "ot-wide"))
            last = b
        out.append(span[last:])
        pos = wrap.start()
    out.append(body[pos:])
    return "".join(out)


def quiet_outputs(body: str) -> str:
    """nbconvert makes every output and markdown cell a keyboard stop (``tabindex="0"``), dozens
    of empty stops on the way through the page: only the table wrappers, which can scroll, keep
    one."""
    return re.sub(r'(<div class="[^"]*\b(?:jp-OutputArea-output|jp-Cell-inputWrapper)\b[^"]*"[^>]*?)\s+tabindex="0"',
                  r"\1", body)


def _lighter_png(data: bytes) -> bytes:
    """A PNG re-encoded with at most 48 colours (charts have few; the octree quantiser keeps a
    chart's key colours exact, where median cut moved the council's orange), or the original when that is
    not smaller."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            rgb = im.convert("RGB")
            q = rgb.quantize(colors=48, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
            buf = io.BytesIO()
            q.save(buf, format="PNG", optimize=True)
    except Exception:  # an image PIL cannot read is kept as it is
        return data
    out = buf.getvalue()
    return out if len(out) < len(data) else data


def lighten_images(body: str) -> str:
    """The page's embedded PNGs palette-quantised (the figure files keep their full colour)."""
    def swap(m: re.Match) -> str:
        raw = base64.b64decode(m.group(1))
        return "data:image/png;base64," + base64.b64encode(_lighter_png(raw)).decode("ascii")

    return re.sub(r"data:image/png;base64,([A-Za-z0-9+/=\s]+)", swap, body)


def add_reader_css(body: str) -> str:
    """:data:`READER_CSS` at the end of the page's ``<head>``."""
    style = f'<style id="ot-reader-css">{READER_CSS}</style>\n'
    body, n = re.subn(r"(</head>)", lambda m: style + m.group(1), body, count=1)
    return body if n else style + body


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal: every character outside plain letters, digits and
    spaces written as a CSS escape (so no quote, backslash or ``</style>`` can end it)."""
    return '"' + "".join(c if c.isalnum() and c.isascii() or c == " " else f"\\{ord(c):x} " for c in text) + '"'


def add_print_banner(body: str) -> str:
    """The synthetic-data banner at the top of every printed page: a page margin box
    (``@page { @top-center }``), so it never covers the page's content."""
    m = re.search(r'<div class="[^"]*ot-banner-synthetic[^"]*"[^>]*>(.*?)</div>', body, flags=re.S)
    if not m:
        return body
    text = html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip()
    style = ('<style id="ot-print-banner">@page { @top-center { content: ' + _css_string(text)
             + '; font: bold 9pt sans-serif; color: #7a3d00; background: #fff4e5; border: 1px solid #b35900; '
             'margin-top: 4mm; padding: 0 3mm; } }</style>\n')
    body, n = re.subn(r"(</head>)", lambda x: style + x.group(1), body, count=1)
    return body if n else style + body


def reader_layout(body: str) -> str:
    """Navigation, scrolling tables, lighter images, the printed banner and the screen and
    print styles."""
    body = landscape_lead_ins(wrap_tables(add_print_banner(add_navigation(body))))
    return add_reader_css(lighten_images(quiet_outputs(body)))
