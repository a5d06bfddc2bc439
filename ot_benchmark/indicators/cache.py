"""Cache of the indicator table (and the validated data bundle) shared by every report of a run.

Computing the indicator table is the heavy part of a report; a batch of sixteen councils needs it
once. The table is stored as Parquet under a key that changes whenever anything it depends on
changes:

* the **content** of every file in the data folder (SHA-256 of the bytes, not dates or sizes),
* the **settings** file (its bytes; the package default when none is given) and the council's
  own indicator catalogue it names (``local_catalogue``: that file's bytes, wherever it lives),
* the **package**: its version and a hash of its own code and data files (so a fix to an
  indicator invalidates old tables even before the version is bumped).

The default cache folder is ``<project>/.cache`` (git-ignored) when the package is run from a
source checkout, else ``./.cache``; ``OT_BENCHMARK_CACHE`` overrides it. Writes are atomic (a
temporary file renamed into place) so parallel reports never read half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import pandas as pd

from ot_benchmark import __version__
from ot_benchmark.errors import ParameterError
from ot_benchmark.indicators.engine import compute_indicators, load_for_indicators
from ot_benchmark.io.validate import load_data
from ot_benchmark.paths import PACKAGE_DIR, project_root
from ot_benchmark.settings import load_settings, settings_path_for

__all__ = [
    "default_cache_dir",
    "project_root",
    "file_sha256",
    "data_fingerprint",
    "settings_fingerprint",
    "local_catalogue_fingerprint",
    "code_fingerprint",
    "indicator_cache_key",
    "cached_indicators_path",
    "load_indicators",
    "store_indicators",
    "load_bundle",
    "clear_cache",
    "CODE_FINGERPRINT_ENV",
]

def default_cache_dir() -> Path:
    """``$OT_BENCHMARK_CACHE``, else ``<project>/.cache``, else ``./.cache``."""
    env = os.environ.get("OT_BENCHMARK_CACHE")
    if env:
        return Path(env).resolve()
    root = project_root()
    return (root / ".cache") if root is not None else (Path.cwd() / ".cache").resolve()


def _resolve_cache_dir(cache_dir) -> Path:
    if cache_dir is None or str(cache_dir) == "":
        return default_cache_dir()
    return Path(cache_dir).resolve()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _data_files(data_dir: Path) -> list[Path]:
    files = []
    for p in sorted(data_dir.rglob("*")):
        rel = p.relative_to(data_dir)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if p.is_file():
            files.append(p)
    return files


#: SHA-256 of the files this process has already read, by path and (size, modification time,
#: inode): a report reads the fingerprint of its data folder several times, a batch once per
#: council; a file written again has a new modification time and is read again
_SHA_SEEN: dict[str, tuple[tuple, str]] = {}


def _file_sha256_once(path: Path) -> str:
    st = path.stat()
    stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
    seen = _SHA_SEEN.get(str(path))
    if seen is not None and seen[0] == stamp:
        return seen[1]
    digest = file_sha256(path)
    _SHA_SEEN[str(path)] = (stamp, digest)
    return digest


def data_fingerprint(data_dir) -> dict:
    """Fingerprint of a data folder's contents.

    Returns ``{"sha256": <hash over every file's relative path and content hash>, "files":
    {relative_path: sha256}}``. Hidden files and folders (``.name``) are ignored.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ParameterError(f"data folder {str(data_dir)!r} does not exist; pass the folder holding the extracts (e.g. data/sample)")
    files = {p.relative_to(data_dir).as_posix(): _file_sha256_once(p) for p in _data_files(data_dir)}
    h = hashlib.sha256()
    for rel, digest in sorted(files.items()):
        h.update(f"{rel}\0{digest}\n".encode())
    return {"sha256": h.hexdigest(), "files": files}


def _default_settings_file() -> Path:
    return PACKAGE_DIR / "data" / "settings.toml"


def settings_fingerprint(settings_path=None) -> dict:
    """``{"path": str | None, "sha256": str | None, "local_catalogue": {...} | None}`` of the
    settings file in use (the package default ``ot_benchmark/data/settings.toml`` when
    ``settings_path`` is None/empty). ``local_catalogue`` is ``{"path", "sha256"}`` of the
    council's own catalogue the settings name (None when they name none).

    Raises
    ------
    ParameterError
        The settings file does not exist.
    ot_benchmark.settings.SettingsError
        The settings are invalid or name a local catalogue that does not exist.
    """
    if settings_path is None or str(settings_path) == "":
        path = _default_settings_file()
        return {"path": None, "default": str(path), "sha256": file_sha256(path) if path.is_file() else None,
                "local_catalogue": None}
    path = Path(settings_path)
    if not path.is_file():
        raise ParameterError(f"settings file {str(path)!r} does not exist; pass a TOML file or leave it out to use the defaults")
    return {"path": str(path.resolve()), "sha256": file_sha256(path), "local_catalogue": local_catalogue_fingerprint(path)}


def local_catalogue_fingerprint(settings_path=None) -> dict | None:
    """``{"path": str, "sha256": str}`` of the council's own catalogue named by the settings'
    ``local_catalogue`` (resolved relative to the settings file), or None when there is none."""
    if settings_path is None or str(settings_path) == "":
        return None
    local = load_settings(settings_path).local_catalogue_path
    if local is None:
        return None
    return {"path": str(local), "sha256": file_sha256(local)}


CODE_FINGERPRINT_ENV = "OT_BENCHMARK_CODE_FINGERPRINT"


def code_fingerprint() -> str:
    """Hash of the package's own source and data files (``*.py``, ``data/*``).

    A run pins it for its whole duration by setting ``$OT_BENCHMARK_CODE_FINGERPRINT`` (the
    runner does, so its notebooks' kernels find the table the runner cached even if the source
    tree changes mid-run).
    """
    pinned = os.environ.get(CODE_FINGERPRINT_ENV)
    return pinned if pinned else _code_fingerprint()


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    h = hashlib.sha256(__version__.encode())
    for p in sorted(PACKAGE_DIR.rglob("*")):
        if "__pycache__" in p.parts or not p.is_file() or p.suffix in (".pyc",):
            continue
        h.update(p.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        h.update(file_sha256(p).encode())
    return h.hexdigest()


def indicator_cache_key(data_dir, settings_path=None, *, data_fp: dict | None = None) -> str:
    """The cache key of the indicator table for this data folder and settings (hex, 24 chars).

    Changes with the data folder's contents, the settings file's bytes, the bytes of the local
    catalogue the settings name, and the package's version and code."""
    data_fp = data_fp or data_fingerprint(data_dir)
    sfp = settings_fingerprint(settings_path)
    local = sfp.get("local_catalogue")
    parts = {
        "kind": "indicators",
        "data": data_fp["sha256"],
        "settings": sfp["sha256"],
        "local_catalogue": local["sha256"] if local else None,
        "version": __version__,
        "code": code_fingerprint(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def cached_indicators_path(data_dir, settings_path=None, cache_dir=None) -> Path:
    """Where the indicator table for these inputs is (or would be) cached."""
    return _resolve_cache_dir(cache_dir) / f"indicators-{indicator_cache_key(data_dir, settings_path)}.parquet"


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store_indicators(table: pd.DataFrame, data_dir, settings_path=None, cache_dir=None) -> Path:
    """Store an indicator table in the cache under the key of ``data_dir`` and ``settings_path``
    (used by :func:`load_indicators`; tests use it to seed a hand-made table)."""
    path = cached_indicators_path(data_dir, settings_path, cache_dir)
    _atomic_write(path, lambda tmp: table.to_parquet(tmp, index=False))
    return path


def _compute_indicators(data_dir: Path, settings_path, cache_dir) -> pd.DataFrame:
    # settings_path is already resolved by load_indicators (settings_path_for). The engine's own
    # compact read of the folder (every row checked, only the columns the indicators use): the
    # whole bundle is read only if a report asks for it (load_bundle)
    bundle = load_for_indicators(data_dir)
    _write_intake(data_dir, cache_dir, bundle)
    settings = load_settings(settings_path) if settings_path not in (None, "") else None
    return compute_indicators(bundle, settings=settings)


def load_indicators(
    data_dir,
    settings_path=None,
    cache_dir=None,
    *,
    authorities: Sequence[str] | None = None,
    periods: Sequence[str] | None = None,
    refresh: bool = False,
) -> pd.DataFrame:
    """The indicator table of a data folder, from the cache when it is there.

    Parameters
    ----------
    data_dir : path
        The data folder.
    settings_path : path, optional
        Settings TOML; None or ``""`` for the package defaults.
    cache_dir : path, optional
        Cache folder; None or ``""`` for :func:`default_cache_dir`.
    authorities, periods : list of str, optional
        Return only these councils / quarters (read straight from the Parquet file).
    refresh : bool
        Recompute even if cached.

    Returns
    -------
    DataFrame
        The indicator table (docs/ARCHITECTURE.md), all councils and quarters unless sliced.
    """
    data_dir = Path(data_dir)
    settings_path = settings_path_for(data_dir, settings_path) or None  # the folder's own settings.toml
    path = cached_indicators_path(data_dir, settings_path, cache_dir)
    if refresh or not path.is_file():
        table = _compute_indicators(data_dir, settings_path, cache_dir)
        _atomic_write(path, lambda tmp: table.to_parquet(tmp, index=False))
    filters = []
    if authorities is not None:
        filters.append(("authority_code", "in", [str(a) for a in authorities]))
    if periods is not None:
        filters.append(("period", "in", [str(p) for p in periods]))
    return pd.read_parquet(path, filters=filters or None).reset_index(drop=True)


def _bundle_key(data_dir: Path) -> str:
    """``<folder>-<version>``: the data folder's path, then its contents and the code (the
    folder part lets a new version of a folder's bundle replace the old ones: :func:`_prune_bundles`)."""
    fp = data_fingerprint(data_dir)
    folder = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:8]
    version = hashlib.sha256(f"bundle|{fp['sha256']}|{__version__}|{code_fingerprint()}".encode()).hexdigest()[:24]
    return f"{folder}-{version}"


def _prune_bundles(cache_dir, key: str) -> None:
    """Remove the same data folder's bundles of other versions (its data or the code changed):
    never read again, and at national scale 5 GB each with their council slices (a disk filled
    up before this). Other folders' bundles, and bundles named before folders were, are left
    to :func:`clear_cache`."""
    folder = key.split("-", 1)[0]
    for p in _resolve_cache_dir(cache_dir).glob(f"*-{folder}-*"):
        if p.name.split("-", 1)[0] in ("bundle", "intake") and not p.name.startswith((f"bundle-{key}", f"intake-{key}")):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def load_bundle(data_dir, cache_dir=None, *, refresh: bool = False, authority: str | None = None):
    """The validated :class:`~ot_benchmark.io.bundle.DataBundle` of a data folder
    (``ot_benchmark.io.validate.load_data``), pickled in the cache under the data and code hash.
    Its rejected-rows warning is kept beside it (:func:`rejected_rows_warning`).

    With ``authority``, that council's slice (:meth:`~ot_benchmark.io.bundle.DataBundle.by_council`:
    its rows of every table, the folder's rejects, coverage and completeness), from a pickle of its
    own: the first council asked for splits the whole bundle once into every council's slice, so
    a report reads its council's rows (the sample's 6 MB, not its 100 MB; at national scale a
    hundred and fiftieth of 1.6 GB). A council with no rows gets an empty slice."""
    data_dir = Path(data_dir)
    key = _bundle_key(data_dir)
    if authority is not None:
        return _council_bundle(data_dir, cache_dir, key, str(authority), refresh)
    path = _resolve_cache_dir(cache_dir) / f"bundle-{key}.pickle"
    if not refresh and path.is_file():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    bundle = load_data(data_dir)

    def write(tmp):
        with open(tmp, "wb") as fh:
            pickle.dump(bundle, fh, protocol=pickle.HIGHEST_PROTOCOL)

    _atomic_write(path, write)
    _write_intake(data_dir, cache_dir, bundle, key)
    _prune_bundles(cache_dir, key)
    return bundle


def _council_bundle(data_dir: Path, cache_dir, key: str, authority: str, refresh: bool):
    folder = _resolve_cache_dir(cache_dir) / f"bundle-{key}"
    name = hashlib.sha256(authority.encode()).hexdigest()[:16]  # a file name whatever the code holds
    path = folder / f"{name}.pickle"
    if not refresh and path.is_file():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    whole = load_bundle(data_dir, cache_dir, refresh=refresh)
    folder.mkdir(parents=True, exist_ok=True)
    empty = None
    for code, part in whole.by_council():
        def write(tmp, part=part):
            with open(tmp, "wb") as fh:
                pickle.dump(part, fh, protocol=pickle.HIGHEST_PROTOCOL)

        _atomic_write(folder / f"{hashlib.sha256(code.encode()).hexdigest()[:16]}.pickle", write)
        empty = part
    if path.is_file():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    if empty is None:  # no council in any table: the whole (empty) folder
        return whole
    return type(empty)(tables={k: v.iloc[:0] if "authority_code" in v else v for k, v in empty.tables.items()},
                       rejects=empty.rejects, metadata=empty.metadata, source_dir=empty.source_dir,
                       files=empty.files, warnings=empty.warnings, intake=empty.intake,
                       folder_summary=empty.folder_summary)


def _write_intake(data_dir: Path, cache_dir, bundle, key: str | None = None) -> None:
    """The bundle's rejected-rows warning, in the small file :func:`rejected_rows_warning` reads
    (the same for the whole bundle and the engine's compact one: they check the same rows)."""
    path = _resolve_cache_dir(cache_dir) / f"intake-{key or _bundle_key(data_dir)}.json"
    warning = {"warning": bundle.rejected_rows_warning()}
    _atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(warning)))


def rejected_rows_warning(data_dir, cache_dir=None) -> str | None:
    """:meth:`~ot_benchmark.io.bundle.DataBundle.rejected_rows_warning` of a data folder, read
    from the small file kept beside the cached bundle (the bundle is read only when it is missing)."""
    data_dir = Path(data_dir)
    path = _resolve_cache_dir(cache_dir) / f"intake-{_bundle_key(data_dir)}.json"
    if not path.is_file():
        return load_bundle(data_dir, cache_dir, refresh=True).rejected_rows_warning()
    return json.loads(path.read_text())["warning"]


def clear_cache(cache_dir=None) -> int:
    """Delete every cached table, bundle and case-id list in ``cache_dir``; returns how many files went."""
    d = _resolve_cache_dir(cache_dir)
    n = 0
    for p in [*d.glob("indicators-*.parquet"), *d.glob("bundle-*.pickle"), *d.glob("intake-*.json"),
              *d.glob("case-ids-*"), *d.glob("bundle-*/")]:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        n += 1
    return n
