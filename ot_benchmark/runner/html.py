"""``report.html`` from an executed notebook, as a reader gets it.

nbconvert's ``HTMLExporter`` without code or prompts; stderr streams (so all warnings) and cells
tagged ``remove`` are dropped; the template's scripts (require.js, MathJax and mermaid from a CDN)
are removed so the page is static, works offline and calls no third party; the synthetic-data
banner (and the analyst-only notice) is ensured at the top and a footer says how it was made.
"""

from __future__ import annotations

import copy
import html
import re

from ot_benchmark.report.export import ANALYST_CLASS, BANNER_CLASS, banner_html

__all__ = ["REMOVE_TAG", "CSP", "reader_notebook", "render_html", "strip_scripts", "decorate_html", "add_csp",
           "report_html"]

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
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(reader_notebook(nb), resources={"metadata": {"name": title}})
    return body


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
    with its Content-Security-Policy."""
    return add_csp(decorate_html(strip_scripts(render_html(nb, title)), banner=banner, suppress=suppress,
                                 footer=footer))
