"""Where a run's outputs go: staging, the atomic publish, failed runs kept, ``outputs/index.html``.

A run writes into ``outputs/.staging/<uuid>/``. :func:`publish` then renames the previous
``outputs/<period>/<folder>/`` aside, renames the staging folder in and deletes the old one, so a
failure at any point leaves the previous outputs in place. A failed run publishes nothing: its
staging folder (with the executed notebook) is kept under
``outputs/_failed/<period>/<folder>/<timestamp>/`` with an ``error.txt``. :func:`write_index`
(re)writes ``outputs/index.html`` linking every published report.
"""

from __future__ import annotations

import contextlib
import errno
import html
import json
import os
import re
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

from ot_benchmark.errors import OTBenchmarkError
from ot_benchmark.io.bundle import SYNTHETIC_BANNER
from ot_benchmark.periods import parse_period
from ot_benchmark.runner.execute import DEFAULT_NOTEBOOK
from ot_benchmark.worklists.restricted import RESTRICTED_DIRNAME, refuse_restricted

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX (Windows): the last index writer wins
    fcntl = None

__all__ = [
    "STAGING_DIR",
    "FAILED_DIR",
    "INDEX_LOCK_NAME",
    "period_slug",
    "staging_folder",
    "published_folder",
    "publish",
    "keep_failed",
    "write_index",
    "STALE_AFTER_S",
    "lock_staging",
    "clear_stale_staging",
    "WRITE_ERRNOS",
    "outputs_problem",
]

STAGING_DIR = ".staging"
FAILED_DIR = "_failed"
INDEX_LOCK_NAME = ".index.lock"
_SPECIAL_DIRS = {STAGING_DIR, FAILED_DIR, ".cache", "_scratch", "example", RESTRICTED_DIRNAME}  # restricted: worklists, never listed


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def period_slug(label: str) -> str:
    """Filesystem-safe form of a period label: ``2024-25 Q4`` -> ``2024-25_Q4``."""
    return re.sub(r"[^0-9A-Za-z_-]+", "_", str(label).strip())


def _folder_name(authority: str, notebook: str) -> str:
    return authority if notebook == DEFAULT_NOTEBOOK else f"{authority}_{notebook}"


def staging_folder(outputs: Path) -> Path:
    """A new staging folder's path, ``outputs/.staging/<uuid>`` (not created)."""
    return outputs / STAGING_DIR / uuid.uuid4().hex


def published_folder(outputs: Path, period: str, authority: str, notebook: str) -> Path:
    """``outputs/<period>/<authority>`` for the default notebook, ``.../<authority>_<notebook>``
    for any other."""
    return outputs / period_slug(period) / _folder_name(authority, notebook)


# --------------------------------------------------------------------------------------------
# staging folders left by killed runs

#: a staging folder older than this (seconds since it last changed) and not locked is left over
#: from a run that was killed (power cut, kill -9, a closed terminal) and is cleared
STALE_AFTER_S = 3600


#: what a full, read-only or forbidden outputs folder raises
WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG}


def outputs_problem(outputs: Path, exc: OSError) -> str:
    """One sentence naming the outputs folder and what went wrong writing into it (never a
    traceback)."""
    why = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
           errno.EROFS: "the folder is on a read-only file system",
           errno.EACCES: "permission denied", errno.EPERM: "permission denied"}.get(exc.errno,
                                                                                   exc.strerror or str(exc))
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    return (f"could not write to the outputs folder {outputs}: {why}{where}. Free some space or choose "
            f"a folder you can write to (--outputs DIR); nothing was published.")


def _lock_path(staging: Path) -> Path:
    return staging.parent / f"{staging.name}.lock"


@contextlib.contextmanager
def lock_staging(staging: Path):
    """Hold an exclusive lock (POSIX ``flock``) on ``outputs/.staging/<uuid>.lock`` while a run
    uses its staging folder, so :func:`clear_stale_staging` never clears a live run's folder,
    however long it runs. The lock file is removed afterwards."""
    lock = _lock_path(staging)
    lock.parent.mkdir(parents=True, exist_ok=True)
    fh = open(lock, "a", encoding="utf-8")
    try:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield lock
    finally:
        try:
            lock.unlink(missing_ok=True)
        except OSError:
            pass
        fh.close()


def _locked(lock: Path) -> bool:
    if fcntl is None or not lock.exists():  # pragma: no cover - not POSIX: age alone decides
        return False
    try:
        with open(lock, "a", encoding="utf-8") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            return False
    except OSError:
        return True  # cannot tell: leave it


def clear_stale_staging(outputs: Path, *, max_age: float = STALE_AFTER_S, now: float | None = None) -> list[Path]:
    """Remove what killed runs left in ``outputs/.staging/``: a run's folder (or a previous
    report renamed aside by :func:`publish`) that has not changed for ``max_age`` seconds (an hour)
    and whose lock file no live run holds; and lock files without a folder, as old. Nothing
    younger, and nothing locked, is touched. Returns what was removed; errors are ignored (the
    next run tries again)."""
    import time

    area = Path(outputs) / STAGING_DIR
    if not area.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for entry in sorted(area.iterdir()):
        try:
            age = now - entry.lstat().st_mtime
        except OSError:
            continue
        if age < max_age:
            continue
        if entry.suffix == ".lock":
            folder = entry.with_suffix("")
            if not folder.exists() and not _locked(entry):
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed.append(entry)
            continue
        lock = _lock_path(entry)
        if _locked(lock):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        with contextlib.suppress(OSError):
            lock.unlink(missing_ok=True)
        if not entry.exists():
            removed.append(entry)
    return removed


# --------------------------------------------------------------------------------------------
# publishing, or keeping a failed run


def publish(staging: Path, target: Path, aside_dir: Path) -> None:
    """Atomically replace ``target`` with ``staging`` (both on the same filesystem).

    The previous ``target`` is renamed into ``aside_dir``, ``staging`` renamed to ``target``,
    then the old folder deleted. If the second rename fails the old folder is put back, so a
    failure at any point leaves the previous outputs in place.

    Restricted worklists are never published: a staging or target folder inside ``_restricted``,
    or any worklist file in staging, raises ``RestrictedOutputError`` before anything moves.
    """
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


def keep_failed(outputs: Path, period: str, authority: str, notebook: str, staging: Path, message: str,
                details: str | None = None) -> Path:
    """Move a failed run's staging folder to ``outputs/_failed/<period>/<folder>/<timestamp>/``
    with ``error.txt`` holding ``message`` (and ``details``, e.g. the traceback). Returns it.
    Raises ``OSError`` when the disk is full or read-only, leaving nothing half-kept (the caller,
    :func:`ot_benchmark.runner.render.render_report`, says so and carries on)."""
    stamp = _utcnow().strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    dest = outputs / FAILED_DIR / period_slug(period) / _folder_name(authority, notebook) / stamp
    dest.parent.mkdir(parents=True, exist_ok=True)
    if staging.exists():
        os.replace(staging, dest)
    else:
        dest.mkdir(parents=True)
    try:
        (dest / "error.txt").write_text(message + ("\n\n" + details if details else "") + "\n", encoding="utf-8")
    except OSError:
        shutil.rmtree(dest, ignore_errors=True)  # a failed run kept without its error is no record: none
        raise
    return dest


# --------------------------------------------------------------------------------------------
# index.html


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
    if fcntl is None:  # pragma: no cover - not POSIX
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


def _sort_key(run: dict):
    try:
        pk = -parse_period(run.get("period", "")).end.toordinal()  # latest first, whatever the kind of period
    except OTBenchmarkError:
        pk = 0
    nb = run.get("notebook") or ""
    return (pk, run.get("authority_name") or "", nb != DEFAULT_NOTEBOOK, nb)


def _index_row(run: dict) -> str:
    f = run["_folder"]
    outs = run.get("outputs", {})
    links = [f'<a href="{html.escape(f)}/report.html">report</a>']
    if outs.get("workbook"):
        links.append(f'<a href="{html.escape(f)}/{html.escape(outs["workbook"])}">Excel</a>')
    if outs.get("notebook"):
        links.append(f'<a href="{html.escape(f)}/{html.escape(outs["notebook"])}">notebook</a>')
    links.append(f'<a href="{html.escape(f)}/run.json">run.json</a>')
    notes = []
    if run.get("synthetic"):
        notes.append('<span class="synth">synthetic data</span>')
    if not run.get("suppressed", True):
        notes.append('<span class="analyst">analyst-only, not suppressed</span>')
    return (
        "<tr>"
        f"<td>{html.escape(str(run.get('period', '')))}</td>"
        f"<td>{html.escape(str(run.get('authority_name', '')))} <small>({html.escape(str(run.get('authority', '')))})</small></td>"
        f"<td>{html.escape(str(run.get('notebook', '')))}</td>"
        f"<td>{' · '.join(links)}</td>"
        f"<td>{html.escape(_when(run.get('finished_utc')))}</td>"
        f"<td>{' '.join(notes)}</td>"
        "</tr>"
    )


def _write_index(outputs: Path) -> Path:
    runs = sorted(_runs(outputs), key=_sort_key)
    rows = [_index_row(r) for r in runs]
    banners = sorted({r.get("banner") or SYNTHETIC_BANNER for r in runs if r.get("synthetic")})
    banner = "".join(f'<div class="ot-banner ot-banner-synthetic">{html.escape(b)}</div>' for b in banners)
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
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)  # never leave a half-written index behind
        raise
    return path
