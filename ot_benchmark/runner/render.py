"""Render report notebooks with papermill, check them, publish them atomically.

``ot-benchmark report`` renders one council's report; ``ot-benchmark batch`` renders many, in
parallel if asked, carrying on past failures. The notebook contract (parameters, guard cell,
saving tables and figures) is docs/dev/RUNNER_CONTRACT.md.

One run
-------
1. Check everything before a kernel starts: the project kernel ``ot-benchmark`` is installed,
   the notebook exists and declares the parameters passed (``papermill.inspect_notebook``;
   unknown names are rejected, types checked), the data folder exists, the council and quarter
   are in its indicator table (computed once and cached, :mod:`ot_benchmark.indicators.cache`).
2. Execute the notebook into a staging folder ``outputs/.staging/<uuid>/``; the notebook writes
   its tables (CSV + ``tables.xlsx``) and figures (PNG) there.
3. Render ``report.html`` without code (nbconvert ``HTMLExporter`` with ``exclude_input``,
   ``exclude_input_prompt``, ``exclude_output_prompt``); stderr streams (warnings) and cells
   tagged ``remove`` are dropped; the synthetic-data banner is ensured at the top; the
   template's scripts (loaded from a CDN) are removed, so the page is static and self-contained.
4. Check the outputs: every recorded figure exists; no case identifier from the data
   (``referral_id``, ``item_id``, ``complaint_id``, ``post_id``, ``adaptation_id``) appears in
   the HTML, CSVs, workbook or notebook outputs.
5. Write ``run.json`` (parameters, versions, git commit, data fingerprint, settings, timings).
6. Publish: rename the previous ``outputs/<period>/<authority>/`` aside, rename the staging folder
   in, delete the old one; any failure leaves the previous outputs in place. Regenerate
   ``outputs/index.html``.

A run that fails at any step publishes nothing: the executed notebook (with its error) is kept
under ``outputs/_failed/<period>/<authority>/<timestamp>/`` and the error of the failing cell is
reported (not a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from ot_benchmark import __version__
from ot_benchmark.indicators import cache
from ot_benchmark.errors import OTBenchmarkError, ParameterError
from ot_benchmark.periods import PeriodError, parse_period
from ot_benchmark.report.context import (authority_name as _authority_name, build_context, check_parameters,
                                         hand_over, latest_period)

__all__ = [
    "KERNEL_NAME",
    "DEFAULT_NOTEBOOK",
    "STANDARD_PARAMETERS",
    "CASE_ID_COLUMNS",
    "RunResult",
    "ReportFailed",
    "period_slug",
    "notebooks_dir",
    "find_notebook",
    "check_kernel",
    "check_parameters",
    "check_notebook_parameters",
    "collect_case_ids",
    "find_case_ids",
    "render_html",
    "publish",
    "write_index",
    "render_report",
    "render_batch",
    "configure_report_parser",
    "run_report",
    "configure_batch_parser",
    "run_batch",
]

KERNEL_NAME = "ot-benchmark"
DEFAULT_NOTEBOOK = "quarterly_report"
STANDARD_PARAMETERS = ("data_dir", "authority", "period", "group", "output_dir", "cache_dir",
                       "suppress", "settings_path")
CASE_ID_COLUMNS = ("referral_id", "item_id", "complaint_id", "post_id", "adaptation_id")
REMOVE_TAG = "remove"
INDEX_LOCK_NAME = ".index.lock"
_SPECIAL_DIRS = {".staging", "_failed", ".cache", "_scratch", "example", "_restricted"}  # _restricted: worklists, never listed
_DEFAULT_JOBS = max(1, min(4, os.cpu_count() or 1))
_TYPES = {"str": str, "bool": bool, "int": int, "float": (int, float), "list": list, "dict": dict}


class ReportFailed(OTBenchmarkError):
    """A report run failed (a notebook cell raised, or an output check failed)."""


@dataclass
class RunResult:
    """What happened to one report run."""

    authority: str
    period: str
    notebook: str
    ok: bool
    published_dir: str | None = None
    html: str | None = None
    error: str | None = None
    failed_dir: str | None = None
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# small helpers


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def period_slug(label: str) -> str:
    """Filesystem-safe form of a period label: ``2024-25 Q4`` -> ``2024-25_Q4``."""
    return re.sub(r"[^0-9A-Za-z_-]+", "_", str(label).strip())


def _folder_name(authority: str, notebook: str) -> str:
    return authority if notebook == DEFAULT_NOTEBOOK else f"{authority}_{notebook}"


def notebooks_dir() -> Path:
    """``<project>/notebooks`` (``./notebooks`` outside a source checkout)."""
    root = cache.project_root()
    return (root / "notebooks") if root is not None else Path.cwd() / "notebooks"


def find_notebook(name: str) -> Path:
    """A notebook by name (``quarterly_report`` -> ``notebooks/quarterly_report.ipynb``) or by
    path to an ``.ipynb`` file."""
    text = str(name)
    if text.endswith(".ipynb") or os.sep in text or "/" in text:
        path = Path(text)
    else:
        path = notebooks_dir() / f"{text}.ipynb"
    if not path.is_file():
        available = sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))
        raise ParameterError(
            f"notebook {text!r} not found ({path}); available notebooks: "
            f"{', '.join(available) if available else 'none'} (or give a path to an .ipynb file)"
        )
    return path.resolve()


def check_kernel(name: str = KERNEL_NAME) -> None:
    """Raise :class:`OTBenchmarkError` saying how to install the project kernel if it is
    missing."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    fix = f"run 'make install' (or '{sys.executable} -m ipykernel install --sys-prefix --name {name}')"
    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise OTBenchmarkError(
            f"the Jupyter kernel {name!r} is not installed, so notebooks cannot run. Fix: {fix}."
        ) from None
    exe = spec.argv[0] if spec.argv else ""
    if os.path.isabs(exe) and Path(exe).parent != Path(sys.executable).parent:
        raise OTBenchmarkError(
            f"the Jupyter kernel {name!r} ({spec.resource_dir}) runs {exe}, not this environment's "
            f"Python ({sys.executable}), so reports would use other package versions. Fix: remove it "
            f"('jupyter kernelspec remove {name}') and {fix}."
        )


# --------------------------------------------------------------------------------------------
# parameter checks


def check_notebook_parameters(notebook: Path, params: Mapping[str, object]) -> dict:
    """Reject any parameter the notebook does not declare, and values of the wrong type.

    Uses ``papermill.inspect_notebook`` (papermill itself only warns on unknown names).
    Returns the notebook's declared parameters (name -> papermill's description).
    """
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    if not declared:
        raise ParameterError(
            f"notebook {notebook.name} has no cell tagged 'parameters' (see docs/dev/RUNNER_CONTRACT.md)"
        )
    unknown = [k for k in params if k not in declared]
    if unknown:
        raise ParameterError(
            f"notebook {notebook.name} does not take parameter(s) {', '.join(map(repr, unknown))}; "
            f"it declares: {', '.join(declared)}"
        )
    for name, value in params.items():
        tname = _declared_type(declared[name])
        want = _TYPES.get(tname)
        if want is None:
            continue
        ok = isinstance(value, want) and not (tname in ("int", "float") and isinstance(value, bool))
        if not ok:
            raise ParameterError(
                f"parameter {name!r} of notebook {notebook.name} must be {tname} (its default is "
                f"{declared[name].get('default')}), not {type(value).__name__} {value!r}"
            )
    return declared


def _declared_type(info: Mapping) -> str:
    """Type of a notebook parameter: its annotation (``x: int = 3``) if papermill found one,
    else the type of its default literal (``x = 3`` -> ``int``); "" when unknown (``x = None``)."""
    import ast

    tname = str(info.get("inferred_type_name") or "")
    if tname in _TYPES:
        return tname
    try:
        default = ast.literal_eval(str(info.get("default")))
    except (ValueError, SyntaxError):
        return ""
    for name in ("bool", "int", "float", "str", "list", "dict"):  # bool before int
        if type(default) is _TYPES[name] or (name == "float" and type(default) is float):
            return name
    return ""


def _coerce(name: str, text: str, tname: str):
    """A ``-p NAME=VALUE`` string as the type the notebook declares."""
    t = text.strip()
    try:
        if tname == "bool":
            low = t.lower()
            if low in ("true", "yes", "y", "1"):
                return True
            if low in ("false", "no", "n", "0"):
                return False
            raise ValueError
        if tname == "int":
            return int(t)
        if tname == "float":
            return float(t)
        if tname in ("list", "dict"):
            value = json.loads(t)
            if not isinstance(value, _TYPES[tname]):
                raise ValueError
            return value
    except ValueError:
        raise ParameterError(f"parameter {name!r} must be {tname}; cannot read {text!r} as one") from None
    return text


def _parse_extra(notebook: Path, pairs: Sequence[str] | None) -> dict:
    if not pairs:
        return {}
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise ParameterError(f"-p {pair!r}: write notebook parameters as NAME=VALUE")
        name, value = pair.split("=", 1)
        name = name.strip()
        if name in STANDARD_PARAMETERS:
            raise ParameterError(f"-p {name}=...: set {name} with its own option (see --help), not -p")
        if name not in declared:
            raise ParameterError(
                f"notebook {notebook.name} does not take parameter {name!r}; it declares: {', '.join(declared)}"
            )
        out[name] = _coerce(name, value, _declared_type(declared[name]))
    return out


# --------------------------------------------------------------------------------------------
# case identifiers


def collect_case_ids(data_dir) -> dict[str, set[str]]:
    """Every case identifier in a data folder: ``{column: set of values}`` for the columns in
    :data:`CASE_ID_COLUMNS`, read from the raw files (so rejected rows count too)."""
    from ot_benchmark.io.contract import TABLES
    from ot_benchmark.io.readers import find_table_files, read_raw_table

    files, _, _ = find_table_files(Path(data_dir))
    ids: dict[str, set[str]] = {c: set() for c in CASE_ID_COLUMNS}
    for table, path in files.items():
        cols = [c for c in TABLES[table].column_names if c in CASE_ID_COLUMNS]
        if not cols:
            continue
        raw, _ = read_raw_table(table, path)
        for c in cols:
            if c in raw.data:
                vals = raw.data[c].dropna().astype(str).str.strip()
                ids[c].update(vals[vals != ""].unique().tolist())
    return ids


def _checkable_mask(values: pd.Series) -> pd.Series:
    """Identifiers that can be looked for without matching ordinary numbers: at least 3
    characters, and purely numeric ones only with 6 or more digits."""
    n = values.str.len()
    return (n >= 3) & (~values.str.isdigit() | (n >= 6))


_TOKEN_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-./]*")


def _tokens(text: str) -> set[str]:
    toks = set(_TOKEN_RE.findall(text))
    out = set(toks)
    for t in toks:
        out.add(t.rstrip("./-"))
        out.update(re.split(r"[-./]", t))
    return out


def _strip_html_noise(text: str) -> str:
    text = re.sub(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]+", " ", text)
    text = re.sub(r"<style\b.*?</style>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<script\b.*?</script>", " ", text, flags=re.S | re.I)
    return text


def _file_texts(folder: Path) -> dict[str, str]:
    """Text of every published artefact a case id could leak into."""
    texts: dict[str, str] = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.suffix in (".html", ".htm"):
            texts[rel] = _strip_html_noise(p.read_text(encoding="utf-8", errors="replace"))
        elif p.suffix in (".csv", ".txt", ".md"):
            texts[rel] = p.read_text(encoding="utf-8", errors="replace")
        elif p.suffix == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(p, read_only=True)
            cells = []
            for ws in wb.worksheets:
                for row in ws.iter_rows(values_only=True):
                    cells.extend(str(v) for v in row if v is not None)
            wb.close()
            texts[rel] = "\n".join(cells)
        elif p.suffix == ".ipynb":
            nb = json.loads(p.read_text(encoding="utf-8"))
            chunks = []
            for cell in nb.get("cells", []):
                for out in cell.get("outputs", []):
                    if "text" in out:
                        chunks.append("".join(out["text"]) if isinstance(out["text"], list) else str(out["text"]))
                    for mime, data in (out.get("data") or {}).items():
                        if mime.startswith("image/"):
                            continue
                        chunks.append("".join(data) if isinstance(data, list) else json.dumps(data))
            texts[rel] = _strip_html_noise("\n".join(chunks))
    return texts


def find_case_ids(folder, ids: Mapping[str, set[str]]) -> tuple[list[tuple[str, str, str]], dict]:
    """Look for case identifiers in the outputs in ``folder``.

    Text is split into tokens (runs of letters, digits, ``_ - . /`` and their parts split at
    ``- . /``); a token equal to an identifier is a hit. Identifiers shorter than 3 characters
    and purely numeric ones shorter than 6 digits are not looked for (they would match ordinary
    figures).

    Returns ``(hits, stats)``: hits as ``(file, column, value)``; stats with the number of ids
    checked and not checkable and the files scanned.
    """
    texts = _file_texts(Path(folder))
    found: dict[str, set[str]] = {rel: _tokens(text) for rel, text in texts.items()}
    hits = []
    checked = skipped = 0
    for col, values in ids.items():
        if not values:
            continue
        all_values = pd.Series(list(values), dtype="str")
        ok = _checkable_mask(all_values)
        checked += int(ok.sum())
        skipped += int((~ok).sum())
        for rel, toks in found.items():
            cand = toks & values
            if cand:
                c = pd.Series(sorted(cand), dtype="str")
                hits.extend((rel, col, v) for v in c[_checkable_mask(c)])
    return sorted(hits), {"ids_checked": checked, "ids_not_checkable": skipped, "files_scanned": sorted(texts)}


# --------------------------------------------------------------------------------------------
# rendering


def _clean_for_html(nb):
    """A copy of an executed notebook fit for readers: stderr streams (warnings) and cells
    tagged ``remove`` dropped. Raises ReportFailed if any output is an error."""
    import copy

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.get("cell_type") == "code":
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    raise ReportFailed(f"a cell raised {out.get('ename')}: {out.get('evalue')}")
            cell["outputs"] = [
                o for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        if REMOVE_TAG in tags:
            continue
        cells.append(cell)
    nb.cells = cells
    return nb


def render_html(nb, title: str) -> str:
    """HTML of an executed notebook with no code, prompts, stderr or ``remove``-tagged cells."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(_clean_for_html(nb), resources={"metadata": {"name": title}})
    return body


def _decorate_html(body: str, *, banner: str | None, suppress: bool, footer: str) -> str:
    from ot_benchmark.report.export import ANALYST_CLASS, BANNER_CLASS, banner_html

    # a static report needs no JavaScript: drop the template's scripts (require.js, MathJax and
    # mermaid from a CDN) so the page is self-contained, works offline and calls no third party
    body = re.sub(r"<script\b[^>]*>.*?</script>", "", body, flags=re.S | re.I)
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


# --------------------------------------------------------------------------------------------
# provenance


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "ot_benchmark": __version__}
    for pkg in ("numpy", "pandas", "scipy", "matplotlib", "seaborn", "pyarrow", "openpyxl",
                "papermill", "nbconvert", "nbformat", "ipykernel", "holidays", "pandera"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def _git_state() -> dict:
    root = cache.project_root()
    if root is None or not (root / ".git").exists():
        return {"commit": None, "dirty": None}
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0")  # read-only: never take the index lock
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, env=env).stdout.strip() or None
        status = subprocess.run(["git", "-C", str(root), "--no-optional-locks", "status", "--porcelain",
                                 "--untracked-files=no"], capture_output=True, text=True, timeout=20, env=env)
        dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def _settings_record(settings_path: str) -> dict:
    rec = cache.settings_fingerprint(settings_path or None)
    path = Path(settings_path) if settings_path else Path(rec.get("default", ""))
    rec["text"] = path.read_text(encoding="utf-8") if path.is_file() else None
    return rec


# --------------------------------------------------------------------------------------------
# publishing


def publish(staging: Path, target: Path, aside_dir: Path) -> None:
    """Atomically replace ``target`` with ``staging`` (both on the same filesystem).

    The previous ``target`` is renamed into ``aside_dir``, ``staging`` renamed to ``target``,
    then the old folder deleted. If the second rename fails the old folder is put back, so a
    failure at any point leaves the previous outputs in place.

    Restricted worklists are never published: a staging or target folder inside ``_restricted``,
    or any worklist file in staging, raises ``RestrictedOutputError`` before anything moves.
    """
    from ot_benchmark.worklists.restricted import refuse_restricted  # worklists: personal case references

    refuse_restricted(staging, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    aside_dir.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = aside_dir / f"previous-{uuid.uuid4().hex}"
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _runs(outputs: Path) -> list[dict]:
    runs = []
    for rj in sorted(outputs.glob("*/*/run.json")):
        if rj.parts[-3] in _SPECIAL_DIRS or rj.parts[-3].startswith("."):
            continue
        try:
            info = json.loads(rj.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        info["_folder"] = rj.parent.relative_to(outputs).as_posix()
        runs.append(info)
    return runs


def _when(iso) -> str:
    try:
        return datetime.fromisoformat(str(iso)).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(iso or "")


@contextlib.contextmanager
def _index_lock(outputs: Path):
    """Hold an exclusive lock on ``outputs/.index.lock`` (POSIX ``flock``), so index writers in
    different processes (two batch jobs, a report run beside a batch) take turns: without it a
    writer that listed the reports before another's publish could replace the newer index with
    one missing that report. Where ``fcntl`` does not exist (Windows) the last writer wins."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    outputs.mkdir(parents=True, exist_ok=True)
    with open(outputs / INDEX_LOCK_NAME, "a", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def write_index(outputs) -> Path:
    """(Re)write ``outputs/index.html`` linking every published report.

    The listing and the write happen under :func:`_index_lock`, and every publish is followed
    by an index write, so the last index written lists every report published before it.
    """
    outputs = Path(outputs)
    with _index_lock(outputs):
        return _write_index(outputs)


def _write_index(outputs: Path) -> Path:
    runs = _runs(outputs)

    def sort_key(r):
        try:
            p = parse_period(r.get("period", ""))
            pk = -(p.year * 4 + p.quarter)
        except Exception:
            pk = 0
        nb = r.get("notebook") or ""
        return (pk, r.get("authority_name") or "", nb != DEFAULT_NOTEBOOK, nb)

    runs.sort(key=sort_key)
    any_synth = any(r.get("synthetic") for r in runs)
    rows = []
    for r in runs:
        f = r["_folder"]
        outs = r.get("outputs", {})
        links = [f'<a href="{html.escape(f)}/report.html">report</a>']
        if outs.get("workbook"):
            links.append(f'<a href="{html.escape(f)}/{html.escape(outs["workbook"])}">Excel</a>')
        if outs.get("notebook"):
            links.append(f'<a href="{html.escape(f)}/{html.escape(outs["notebook"])}">notebook</a>')
        links.append(f'<a href="{html.escape(f)}/run.json">run.json</a>')
        notes = []
        if r.get("synthetic"):
            notes.append('<span class="synth">synthetic data</span>')
        if not r.get("suppressed", True):
            notes.append('<span class="analyst">analyst-only, not suppressed</span>')
        rows.append(
            "<tr>"
            f"<td>{html.escape(str(r.get('period', '')))}</td>"
            f"<td>{html.escape(str(r.get('authority_name', '')))} <small>({html.escape(str(r.get('authority', '')))})</small></td>"
            f"<td>{html.escape(str(r.get('notebook', '')))}</td>"
            f"<td>{' · '.join(links)}</td>"
            f"<td>{html.escape(_when(r.get('finished_utc')))}</td>"
            f"<td>{' '.join(notes)}</td>"
            "</tr>"
        )
    from ot_benchmark.io.bundle import SYNTHETIC_BANNER

    banners = sorted({r.get("banner") or SYNTHETIC_BANNER for r in runs if r.get("synthetic")})
    banner = "".join(f'<div class="ot-banner ot-banner-synthetic">{html.escape(b)}</div>' for b in banners) if any_synth else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>OT benchmarking reports</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }} th, td {{ border-bottom: 1px solid #ccc; padding: 0.4em 0.8em; text-align: left; }}
.ot-banner {{ background:#fff4e5; border:2px solid #b35900; color:#7a3d00; padding:0.6em 1em; margin:0.5em 0; font-weight:bold; }}
.synth {{ color:#7a3d00; font-weight:bold; }} .analyst {{ color:#a50e0e; font-weight:bold; }}
</style></head>
<body>
<h1>Occupational therapy benchmarking reports</h1>
{banner}
<p>{len(runs)} published report(s). Index generated {_utcnow().strftime('%Y-%m-%d %H:%M UTC')}.</p>
<table>
<thead><tr><th>Quarter</th><th>Council</th><th>Report</th><th>Files</th><th>Generated</th><th>Notes</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""
    path = outputs / "index.html"
    tmp = outputs / f".index-{uuid.uuid4().hex}.html"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------------------------
# one run


def _keep_failed(outputs: Path, period: str, authority: str, notebook: str, staging: Path, message: str, tb: str | None) -> Path:
    stamp = _utcnow().strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    dest = outputs / "_failed" / period_slug(period) / _folder_name(authority, notebook) / stamp
    dest.parent.mkdir(parents=True, exist_ok=True)
    if staging.exists():
        os.replace(staging, dest)
    else:
        dest.mkdir(parents=True)
    (dest / "error.txt").write_text(message + ("\n\n" + tb if tb else "") + "\n", encoding="utf-8")
    return dest


def _cell_error_message(exc) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    cell = getattr(exc, "exec_count", None)
    where = f"cell [{cell}]" if cell is not None else f"cell {getattr(exc, 'cell_index', '?')}"
    evalue = re.sub(r"\x1b\[[0-9;]*m", "", str(evalue))
    return f"{where} raised {ename}: {evalue}"


def _pins_code_fingerprint(func):
    """Run ``func`` with the package's code fingerprint pinned in the environment (inherited by
    the notebook kernels and batch workers), so a source edit during the run cannot change the
    indicator cache key between the runner and its notebooks; restored afterwards."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        old = os.environ.get(cache.CODE_FINGERPRINT_ENV)
        if old is None:
            os.environ[cache.CODE_FINGERPRINT_ENV] = cache.code_fingerprint()
        try:
            return func(*args, **kwargs)
        finally:
            if old is None:
                os.environ.pop(cache.CODE_FINGERPRINT_ENV, None)

    return wrapper


def _kernel_manager_options() -> dict:
    """Encrypt the kernel's channels (CurveZMQ) when jupyter_client and the kernel support it,
    so the kernel neither talks in plain text over loopback TCP nor warns that it does; with an
    older jupyter_client, papermill's default manager is used."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    if "transport_encryption" not in AsyncKernelManager.class_trait_names():
        return {}

    class EncryptedKernelManager(AsyncKernelManager):
        transport_encryption = CaselessStrEnum(["disabled", "auto", "required"], default_value="auto",
                                               config=True)

    return {"kernel_manager_class": EncryptedKernelManager}


@_pins_code_fingerprint
def render_report(
    data_dir,
    authority: str,
    period: str = "latest",
    *,
    group: str = "cipfa",
    notebook: str = DEFAULT_NOTEBOOK,
    outputs_dir="outputs",
    cache_dir=None,
    settings_path=None,
    suppress: bool = True,
    extra_params: Mapping[str, object] | None = None,
    timeout: float | None = 600,
    indicators: pd.DataFrame | None = None,
    update_index: bool = True,
) -> RunResult:
    """Render, check and publish one council's report.

    Parameters
    ----------
    data_dir : path
        The data folder.
    authority : str
        ONS code of the council.
    period : str
        ``2024-25 Q4`` or ``latest``.
    group : str
        Comparator scheme passed to the notebook.
    notebook : str
        Notebook name in ``notebooks/`` or a path to an ``.ipynb``.
    outputs_dir : path
        Where reports are published (``outputs/``).
    cache_dir, settings_path : path, optional
        Indicator cache folder and settings TOML (defaults when None).
    suppress : bool
        False for an analyst-only (unsuppressed) report.
    extra_params : dict, optional
        Further notebook parameters (must be declared by the notebook).
    timeout : float, optional
        Seconds any one cell may run.
    indicators : DataFrame, optional
        The indicator table, when the caller already has it (a batch).
    update_index : bool
        Regenerate ``outputs/index.html`` after publishing.

    Returns
    -------
    RunResult
        ``ok`` False with ``error`` and ``failed_dir`` when the run failed (nothing published).

    Raises
    ------
    ParameterError, OTBenchmarkError
        Before anything runs: bad parameters, missing kernel or notebook.
    """
    t_start = time.perf_counter()
    started = _utcnow()
    timings: dict[str, float] = {}
    check_kernel()
    nb_path = find_notebook(notebook)
    nb_name = nb_path.stem
    outputs = Path(outputs_dir).resolve()
    staging_root = outputs / ".staging"
    staging = staging_root / uuid.uuid4().hex
    ctx = build_context(
        data_dir=str(data_dir), authority=authority, period=period, group=group,
        settings_path=str(settings_path or ""), cache_dir=str(cache_dir or ""), suppress=suppress,
        indicators=indicators, output_dir=str(staging),
    )
    authority, period = ctx.authority, ctx.period
    params = {
        "data_dir": str(ctx.data_dir),
        "authority": authority,
        "period": period,
        "group": ctx.group,
        "output_dir": str(staging),
        "cache_dir": str(ctx.cache_dir),
        "suppress": bool(suppress),
        "settings_path": str(ctx.settings_path or ""),
    }
    clash = [k for k in (extra_params or {}) if k in params]
    if clash:
        raise ParameterError(f"extra parameters {clash} clash with the standard ones; use their own options")
    params.update(extra_params or {})
    check_notebook_parameters(nb_path, params)
    timings["checks"] = time.perf_counter() - t_start

    from ot_benchmark.report.export import MANIFEST_NAME, label_synthetic_tables, read_manifest, write_about_sheet

    metadata, banner, name = ctx.metadata, ctx.banner, ctx.council
    executed = staging / f"{nb_name}.ipynb"
    staging.mkdir(parents=True, exist_ok=True)
    handover = hand_over(ctx, staging)

    def fail(message: str, tb: str | None = None) -> RunResult:
        handover.unlink(missing_ok=True)
        dest = _keep_failed(outputs, period, authority, nb_name, staging, message, tb)
        return RunResult(authority, period, nb_name, False, error=message, failed_dir=str(dest),
                         seconds=time.perf_counter() - t_start, timings=timings)

    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    t = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(nb_path), str(executed), parameters=params, kernel_name=KERNEL_NAME,
            progress_bar=False, log_output=False, cwd=str(nb_path.parent),
            execution_timeout=timeout, start_timeout=120, **_kernel_manager_options(),
        )
    except PapermillExecutionError as exc:
        timings["execute"] = time.perf_counter() - t
        return fail(f"{nb_name} failed for {authority} {period}: {_cell_error_message(exc)}",
                    "\n".join(re.sub(r"\x1b\[[0-9;]*m", "", line) for line in (exc.traceback or [])))
    except KeyboardInterrupt:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except Exception as exc:  # kernel died, timeout, ...
        timings["execute"] = time.perf_counter() - t
        return fail(f"{nb_name} failed for {authority} {period}: {type(exc).__name__}: {exc}", traceback.format_exc())
    timings["execute"] = time.perf_counter() - t
    handover.unlink(missing_ok=True)  # an input of the run (every council's figures), never an output

    try:
        t = time.perf_counter()
        nb = nbformat.read(str(executed), as_version=4)
        title = f"{name} — occupational therapy benchmarking — {period}"
        body = render_html(nb, title)
        fp = cache.data_fingerprint(str(ctx.data_dir))
        footer = (f"Generated {_utcnow().strftime('%Y-%m-%d %H:%M UTC')} by ot_benchmark {__version__} "
                  f"from data fingerprint {fp['sha256'][:12]}"
                  + ("" if suppress else " — ANALYST-ONLY, small numbers not suppressed"))
        body = _decorate_html(body, banner=banner, suppress=suppress, footer=footer)
        (staging / "report.html").write_text(body, encoding="utf-8")
        timings["render"] = time.perf_counter() - t

        t = time.perf_counter()
        manifest = read_manifest(staging)
        missing = [f["png"] for f in manifest.get("figures", []) if not (staging / f["png"]).is_file()]
        if missing:
            return fail(f"{nb_name} for {authority} {period}: figures recorded but not written: {missing}")
        from ot_benchmark.report.disclosure import ANALYST_ONLY_NOTE, SUPPRESSION_NOTE

        about = [
            ("Council", f"{name} ({authority})"),
            ("Quarter", period),
            ("Comparator group", ctx.group),
            ("Report", nb_name),
            ("Generated", _utcnow().strftime("%Y-%m-%d %H:%M UTC")),
            ("Data fingerprint", fp["sha256"]),
            ("Disclosure control", SUPPRESSION_NOTE if suppress else ANALYST_ONLY_NOTE),
        ]
        if banner:
            about.insert(0, ("WARNING", banner))
        workbook = write_about_sheet(staging, about)
        label_synthetic_tables(staging, banner)
        (staging / MANIFEST_NAME).unlink(missing_ok=True)
        ids = _case_ids(str(ctx.data_dir), fp["sha256"], str(ctx.cache_dir))
        hits, id_stats = find_case_ids(staging, ids)
        if hits:
            shown = "; ".join(f"{c} {v!r} in {f}" for f, c, v in hits[:5])
            return fail(f"{nb_name} for {authority} {period} shows case identifiers, so it was not published: "
                        f"{shown}{' ...' if len(hits) > 5 else ''}. Show counts, never case-level rows.")
        timings["output_checks"] = time.perf_counter() - t

        finished = _utcnow()
        timings["total_before_publish"] = time.perf_counter() - t_start
        record = {
            "notebook": nb_name,
            "notebook_path": str(nb_path),
            "authority": authority,
            "authority_name": name,
            "period": period,
            "group": ctx.group,
            "suppressed": bool(suppress),
            "synthetic": banner is not None,
            "banner": banner,
            "parameters": {**params, "output_dir": "(staging folder, published to this folder)"},
            "kernel": KERNEL_NAME,
            "data": {"dir": str(ctx.data_dir), "sha256": fp["sha256"], "files": fp["files"],
                     "metadata": metadata},
            "settings": _settings_record(str(ctx.settings_path or "")),
            "indicator_cache": {"dir": str(ctx.cache_dir),
                                "key": cache.indicator_cache_key(str(ctx.data_dir), str(ctx.settings_path or "") or None, data_fp=fp)},
            "versions": _versions(),
            "git": _git_state(),
            "started_utc": started.isoformat(timespec="seconds"),
            "finished_utc": finished.isoformat(timespec="seconds"),
            "timings_s": {k: round(v, 3) for k, v in timings.items()},
            "outputs": {
                "html": "report.html",
                "notebook": executed.name,
                "workbook": workbook.name if workbook else None,
                "tables": manifest.get("tables", []),
                "figures": manifest.get("figures", []),
            },
            "case_id_check": id_stats,
        }
        (staging / "run.json").write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")

        t = time.perf_counter()
        target = outputs / period_slug(period) / _folder_name(authority, nb_name)
        publish(staging, target, staging_root)
        timings["publish"] = time.perf_counter() - t
    except KeyboardInterrupt:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except ReportFailed as exc:
        return fail(f"{nb_name} for {authority} {period}: {exc}")
    except Exception as exc:
        return fail(f"{nb_name} for {authority} {period}: {type(exc).__name__}: {exc}", traceback.format_exc())
    if update_index:
        write_index(outputs)
    return RunResult(authority, period, nb_name, True, published_dir=str(target),
                     html=str(target / "report.html"), seconds=time.perf_counter() - t_start, timings=timings)


_ID_CACHE: dict[tuple[str, str], dict[str, set[str]]] = {}


def _case_ids(data_dir: str, fingerprint: str, cache_dir: str) -> dict[str, set[str]]:
    """:func:`collect_case_ids`, kept in memory and in the cache folder (keyed by the data's
    content hash) so a batch reads the extracts once."""
    import pickle

    key = (data_dir, fingerprint)
    if key in _ID_CACHE:
        return _ID_CACHE[key]
    path = Path(cache_dir) / f"case-ids-{fingerprint[:24]}-{cache.code_fingerprint()[:12]}.pickle"
    ids = None
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                ids = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError):
            ids = None
    if ids is None:
        ids = collect_case_ids(data_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(ids, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    _ID_CACHE.clear()
    _ID_CACHE[key] = ids
    return ids


# --------------------------------------------------------------------------------------------
# batch


def _batch_one(kwargs: dict) -> RunResult:
    try:
        return render_report(**kwargs)
    except OTBenchmarkError as exc:
        return RunResult(kwargs["authority"], str(kwargs.get("period")), str(kwargs.get("notebook")), False, error=str(exc))
    except Exception as exc:  # never let one council stop the batch
        return RunResult(kwargs["authority"], str(kwargs.get("period")), str(kwargs.get("notebook")), False,
                         error=f"{type(exc).__name__}: {exc}")


@_pins_code_fingerprint
def render_batch(
    data_dir,
    period: str = "latest",
    *,
    authorities: Sequence[str] | None = None,
    jobs: int = 1,
    group: str = "cipfa",
    notebook: str = DEFAULT_NOTEBOOK,
    outputs_dir="outputs",
    cache_dir=None,
    settings_path=None,
    suppress: bool = True,
    extra_params: Mapping[str, object] | None = None,
    timeout: float | None = 600,
    progress: bool = True,
) -> list[RunResult]:
    """Render one report per council, carrying on past failures.

    The indicator table is computed (or read from the cache) once before any notebook starts.
    ``authorities`` defaults to every council with indicators in the quarter. ``jobs`` > 1 runs
    councils in a process pool. ``outputs/index.html`` is regenerated after each publish.
    Parameters are as in :func:`render_report`; returns one :class:`RunResult` per council.
    """
    from tqdm import tqdm

    if not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"--jobs must be a whole number of at least 1, not {jobs!r}")
    check_kernel()
    nb_path = find_notebook(notebook)
    data = Path(data_dir)
    if not data.is_dir():
        raise ParameterError(f"data folder {str(data_dir)!r} does not exist; give the folder holding the extracts (e.g. data/sample)")
    table = cache.load_indicators(data.resolve(), settings_path or None, cache_dir or None)
    if str(period).strip().lower() == "latest":
        period = latest_period(table)
        if period is None:
            raise ParameterError(f"the indicator table of {data_dir} has no quarters")
    else:
        try:
            period = parse_period(period).label
        except PeriodError as exc:
            raise ParameterError(str(exc)) from None
    in_period = sorted(table.loc[table["period"].astype(str) == period, "authority_code"].dropna().astype(str).unique())
    if authorities:
        codes = [a.strip().upper() for a in authorities]
        unknown = [a for a in codes if a not in in_period]
        if unknown:
            raise ParameterError(
                f"no indicators for {', '.join(unknown)} in {period} in {data_dir}; councils there: {', '.join(in_period)}"
            )
    else:
        codes = in_period
    if not codes:
        raise ParameterError(f"no council has indicators for {period} in {data_dir}")
    # check every council's parameters up front (cheap), so a typo fails before any kernel starts
    for code in codes:
        check_parameters(data_dir=str(data), authority=code, period=period, group=group,
                         settings_path=str(settings_path or ""), cache_dir=str(cache_dir or ""),
                         suppress=suppress, indicators=table)
    del table
    base = dict(data_dir=str(data.resolve()), period=period, group=group, notebook=str(nb_path),
                outputs_dir=str(Path(outputs_dir).resolve()), cache_dir=cache_dir, settings_path=settings_path,
                suppress=suppress, extra_params=dict(extra_params or {}), timeout=timeout, update_index=False)
    tasks = [dict(base, authority=code) for code in codes]
    results: list[RunResult] = []
    bar = tqdm(total=len(tasks), desc=f"Reports {period}", unit="council", disable=not progress, file=sys.stderr)
    try:
        if jobs == 1 or len(tasks) == 1:
            for task in tasks:
                bar.set_postfix_str(task["authority"])
                res = _batch_one(task)
                results.append(res)
                if res.ok:
                    write_index(base["outputs_dir"])
                bar.update(1)
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=mp.get_context("spawn")) as pool:
                futures = {pool.submit(_batch_one, task): task for task in tasks}
                for fut in as_completed(futures):
                    task = futures[fut]
                    try:
                        res = fut.result()
                    except Exception as exc:  # a worker process died
                        res = RunResult(task["authority"], period, nb_path.stem, False, error=f"{type(exc).__name__}: {exc}")
                    results.append(res)
                    if res.ok:
                        write_index(base["outputs_dir"])
                    bar.set_postfix_str(res.authority)
                    bar.update(1)
    finally:
        bar.close()
    order = {c: i for i, c in enumerate(codes)}
    results.sort(key=lambda r: order.get(r.authority, len(order)))
    return results


# --------------------------------------------------------------------------------------------
# CLI


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--group", default="cipfa", metavar="SCHEME",
                   help="comparator group: cipfa (default), dfe, or a CSV of your own")
    p.add_argument("--notebook", default=DEFAULT_NOTEBOOK, metavar="NAME",
                   help=f"which report: a notebook in notebooks/ (default {DEFAULT_NOTEBOOK}) or a path to an .ipynb")
    p.add_argument("--outputs", default="outputs", metavar="DIR",
                   help="where reports are published (default outputs/)")
    p.add_argument("--cache-dir", default=None, metavar="DIR",
                   help="indicator-table cache (default .cache/ in the project)")
    p.add_argument("--settings", default=None, metavar="FILE.toml",
                   help="settings file (default: the package defaults)")
    p.add_argument("--no-suppress", action="store_true",
                   help="ANALYST-ONLY: do not suppress small numbers (the outputs say so)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a further parameter the notebook declares (repeatable)")
    p.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                   help="longest any one notebook cell may run (default 600)")


def configure_report_parser(p: argparse.ArgumentParser) -> None:
    """Options of ``ot-benchmark report``."""
    p.add_argument("--data", required=True, metavar="DIR", help="the data folder (e.g. data/sample)")
    p.add_argument("--authority", required=True, metavar="CODE", help="ONS code of the council (E10000017 = Lancashire)")
    p.add_argument("--period", default="latest", metavar="PERIOD",
                   help='quarter, e.g. "2024-25 Q4", or "latest" (default) for the latest quarter in the data')
    _add_common(p)
    p.epilog = ("Writes outputs/<period>/<council>/ (report.html, the executed notebook, tables as CSV and "
                "Excel, figures as PNG, run.json) and prints the path of report.html last. Exit status 1 "
                "when the notebook fails (kept under outputs/_failed/), 2 for a bad parameter.")


def run_report(args) -> int:
    """``ot-benchmark report``: render one council's report; prints the HTML path last."""
    nb_path = find_notebook(args.notebook)
    extra = _parse_extra(nb_path, args.param)
    print(f"Rendering {nb_path.stem} for {args.authority} ({args.period}) ...", file=sys.stderr)
    res = render_report(
        args.data, args.authority, args.period, group=args.group, notebook=str(nb_path),
        outputs_dir=args.outputs, cache_dir=args.cache_dir, settings_path=args.settings,
        suppress=not args.no_suppress, extra_params=extra, timeout=args.timeout,
    )
    if not res.ok:
        print(f"error: {res.error}", file=sys.stderr)
        print(f"The failed notebook is kept in {res.failed_dir}", file=sys.stderr)
        return 1
    print(f"Published {res.published_dir} in {res.seconds:.1f} s", file=sys.stderr)
    print(res.html)
    return 0


def configure_batch_parser(p: argparse.ArgumentParser) -> None:
    """Options of ``ot-benchmark batch``."""
    p.add_argument("--data", required=True, metavar="DIR", help="the data folder (e.g. data/sample)")
    p.add_argument("--period", default="latest", metavar="PERIOD",
                   help='quarter, e.g. "2024-25 Q4", or "latest" (default)')
    p.add_argument("--authorities", nargs="+", metavar="CODE",
                   help="councils to render (default: every council in the data for the quarter)")
    p.add_argument("--jobs", type=int, default=_DEFAULT_JOBS, metavar="N",
                   help=f"councils rendered in parallel (default {_DEFAULT_JOBS}: the CPU cores, at most 4)")
    _add_common(p)
    p.epilog = ("Carries on past a failing council and ends with a summary; exit status 1 if any failed. "
                "outputs/index.html links every published report.")


def run_batch(args) -> int:
    """``ot-benchmark batch``: render many councils' reports; summary at the end."""
    nb_path = find_notebook(args.notebook)
    extra = _parse_extra(nb_path, args.param)
    t0 = time.perf_counter()
    results = render_batch(
        args.data, args.period, authorities=args.authorities, jobs=args.jobs, group=args.group,
        notebook=str(nb_path), outputs_dir=args.outputs, cache_dir=args.cache_dir,
        settings_path=args.settings, suppress=not args.no_suppress, extra_params=extra,
        timeout=args.timeout,
    )
    ok = [r for r in results if r.ok]
    bad = [r for r in results if not r.ok]
    print(f"\n{len(ok)} of {len(results)} reports published in {time.perf_counter() - t0:.0f} s "
          f"({results[0].period if results else ''}).", file=sys.stderr)
    if bad:
        print(f"{len(bad)} failed:", file=sys.stderr)
        for r in bad:
            where = f" (notebook kept in {r.failed_dir})" if r.failed_dir else ""
            print(f"  {r.authority} {_authority_name(r.authority)}: {r.error}{where}", file=sys.stderr)
    index = Path(args.outputs).resolve() / "index.html"
    if index.is_file():
        print(index)
    return 1 if bad else 0
