"""What a published file may hold: no path of the machine, no script in the notebook.

A report is published to be read elsewhere, so nothing in it should say where it was made:

* :func:`path_roots` / :func:`portable` — every absolute path of the run (the project, the data
  folder, the cache, the outputs and staging folders, a settings file elsewhere) is written
  relative: to the project when it lies inside it (``data/sample``), else by its own name (the
  data folder's name, the settings file's name); the staging folder becomes ``.``. ``run.json``
  and the published notebook go through it.
* :func:`published_notebook` — the executed notebook as it is published (the choice made for
  issue 9: **published, sanitised like the HTML**, because it is the reproducible record of the
  run): stderr streams and cells tagged ``remove`` dropped as in ``report.html``; only inert
  output types kept (``text/plain``, ``text/markdown``, ``text/html``, ``image/png``,
  ``image/jpeg``; never JavaScript, SVG, widgets or other rich types: the package's SVG figures
  travel only as an ``<img>``'s ``data:`` URI in HTML, where no script in them runs); ``<script>``, ``<iframe>``,
  ``<object>``, ``<embed>`` elements, ``on...=`` event handlers and ``javascript:`` URLs removed from
  the HTML outputs; the injected-parameters cell and papermill's metadata written with portable
  paths; no notebook signature. The runner's case-identifier check scans this published file.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Mapping

__all__ = ["SAFE_MIME_TYPES", "path_roots", "portable", "sanitise_html", "published_notebook"]

#: the only output types a published notebook keeps
SAFE_MIME_TYPES = ("text/plain", "text/markdown", "text/html", "image/png", "image/jpeg")

_PAIRED_ELEMENTS = re.compile(r"<(script|iframe|object|embed|applet|frameset|frame|noscript)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_LONE_TAGS = re.compile(r"</?(script|iframe|object|embed|applet|frameset|frame|noscript|base|meta|link)\b[^>]*>", re.I)
_EVENT_ATTRS = re.compile(r"""\s+on[a-z]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.I)
_JS_URL = re.compile(r"""(href|src|action|formaction|xlink:href)\s*=\s*(["']?)\s*javascript:[^"'>\s]*\2""", re.I)


def path_roots(*, project: Path | None, staging: Path | None = None, outputs: Path | None = None,
               data_dir: Path | None = None, cache_dir: Path | None = None,
               others: tuple = ()) -> dict[str, str]:
    """Absolute path -> what a published file says instead: relative to the project when inside
    it, else the folder's or file's own name; the staging folder is ``.`` (the published folder)."""
    roots: dict[str, str] = {}

    def label(p: Path) -> str:
        if project is not None:
            try:
                return p.relative_to(project).as_posix() or "."
            except ValueError:
                pass
        return p.name

    if staging is not None:
        roots[str(Path(staging).resolve())] = "."
        roots[str(staging)] = "."
    for p in (outputs, data_dir, cache_dir, *others):
        if p:
            for form in {str(Path(p)), str(Path(p).resolve())}:
                if Path(form).is_absolute() and form not in roots:
                    roots[form] = label(Path(p).resolve())
    if project is not None:
        roots.setdefault(str(project), ".")
        roots.setdefault(str(Path(project).resolve()), ".")
    return {k: v for k, v in roots.items() if k not in ("/", "")}


def _replacer(roots: Mapping[str, str]):
    if not roots:
        return lambda s: s
    ordered = sorted(roots, key=len, reverse=True)  # the longest (innermost) first
    pattern = re.compile("|".join(re.escape(r) + r"(?![A-Za-z0-9_.\-])" for r in ordered))
    return lambda s: pattern.sub(lambda m: roots[m.group(0)], s)


def portable(obj, roots: Mapping[str, str]):
    """``obj`` (str, list, dict, nested) with every root path in its strings replaced as
    :func:`path_roots` says."""
    sub = _replacer(roots)

    def walk(x):
        if isinstance(x, str):
            return sub(x)
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x)(walk(v) for v in x)
        return x

    return walk(obj)


def sanitise_html(text: str) -> str:
    """HTML with no script, frame, embedded object or ``<meta>``/``<base>``/``<link>``, no event
    handler attribute and no ``javascript:`` URL."""
    text = _LONE_TAGS.sub("", _PAIRED_ELEMENTS.sub("", text))
    text = _EVENT_ATTRS.sub("", text)
    return _JS_URL.sub(lambda m: f'{m.group(1)}="#"', text)


def _join(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def published_notebook(nb, roots: Mapping[str, str], *, remove_tag: str = "remove"):
    """A copy of the executed notebook fit to publish (see the module's notes)."""
    nb = copy.deepcopy(nb)
    sub = _replacer(roots)
    cells = []
    for cell in nb.cells:
        if remove_tag in set(cell.get("metadata", {}).get("tags", [])):
            continue
        cell["source"] = sub(_join(cell.get("source", "")))
        if cell.get("cell_type") == "markdown":
            cell["source"] = sanitise_html(cell["source"])
            cell.pop("attachments", None)
        if cell.get("cell_type") == "code":
            outs = []
            for out in cell.get("outputs", []):
                kind = out.get("output_type")
                if kind == "stream":
                    if out.get("name") == "stderr":
                        continue
                    out["text"] = sub(_join(out.get("text", "")))
                elif kind in ("display_data", "execute_result"):
                    data = {m: v for m, v in (out.get("data") or {}).items() if m in SAFE_MIME_TYPES}
                    if not data:
                        continue
                    for m in ("text/plain", "text/markdown", "text/html"):
                        if m in data:
                            data[m] = sub(_join(data[m]))
                    if "text/html" in data:
                        data["text/html"] = sanitise_html(data["text/html"])
                    if "text/markdown" in data:
                        data["text/markdown"] = sanitise_html(data["text/markdown"])
                    out["data"] = data
                    out["metadata"] = {}
                elif kind == "error":
                    out["traceback"] = [sub(t) for t in out.get("traceback", [])]
                    out["evalue"] = sub(str(out.get("evalue", "")))
                outs.append(out)
            cell["outputs"] = outs
        cells.append(cell)
    nb.cells = cells
    meta = nb.get("metadata", {})
    meta.pop("signature", None)
    meta.pop("widgets", None)
    nb["metadata"] = portable(dict(meta), roots)
    return nb
