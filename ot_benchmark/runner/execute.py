"""Running a report notebook: the project kernel, the notebook, its parameters, papermill.

Everything a kernel needs is checked before one starts: the project kernel is installed for this
environment (:func:`check_kernel`), the notebook exists (:func:`find_notebook`), and it declares
every parameter passed with a value of the declared type (:func:`check_notebook_parameters`).
:func:`execute_notebook` then runs it and returns the executed notebook, or raises
:class:`ReportFailed` with the failing cell's error (not a traceback).
"""

from __future__ import annotations

import ast
import atexit
import copy
import errno
import json
import os
import queue
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Mapping, Sequence

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum

from ot_benchmark.errors import OTBenchmarkError, ParameterError
from ot_benchmark.paths import project_root

__all__ = [
    "KERNEL_NAME",
    "DEFAULT_NOTEBOOK",
    "STANDARD_PARAMETERS",
    "ReportFailed",
    "notebooks_dir",
    "find_notebook",
    "check_kernel",
    "check_notebook_parameters",
    "prestart_kernel",
    "parse_extra_params",
    "execute_notebook",
    "KeptKernel",
    "KernelJob",
    "WARM_UP",
]

KERNEL_NAME = "ot-benchmark"
DEFAULT_NOTEBOOK = "quarterly_report"
STANDARD_PARAMETERS = ("data_dir", "authority", "period", "group", "output_dir", "cache_dir",
                       "suppress", "settings_path")
_TYPES = {"str": str, "bool": bool, "int": int, "float": (int, float), "list": list, "dict": dict}
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
_WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG}


class ReportFailed(OTBenchmarkError):
    """A report run failed (a notebook cell raised, or an output check failed).

    ``details`` is what is kept beside the failed notebook besides the message (the cell's
    traceback), or None.
    """

    def __init__(self, message: str, details: str | None = None):
        super().__init__(message)
        self.details = details


# --------------------------------------------------------------------------------------------
# the kernel and the notebook


def notebooks_dir() -> Path:
    """``<project>/notebooks`` (``./notebooks`` outside a source checkout)."""
    root = project_root()
    return (root / "notebooks") if root is not None else Path.cwd() / "notebooks"


def find_notebook(name: str) -> Path:
    """A notebook by name (``quarterly_report`` -> ``notebooks/quarterly_report.ipynb``) or by
    path to an ``.ipynb`` file. A folder, a file that is not an ``.ipynb`` or one that is not a
    readable Jupyter notebook is refused with a message saying so (before any kernel starts)."""
    text = str(name)
    if text.endswith(".ipynb") or os.sep in text or "/" in text or Path(text).suffix:
        path = Path(text)
    else:
        path = notebooks_dir() / f"{text}.ipynb"
    available = sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))
    choices = (f"available notebooks: {', '.join(available) if available else 'none'} "
               "(or give a path to an .ipynb file)")
    if path.is_dir():
        raise ParameterError(f"--notebook {text!r} is a folder, not a notebook; {choices}")
    if not path.is_file():
        raise ParameterError(f"notebook {text!r} not found ({path}); {choices}")
    if path.suffix.lower() != ".ipynb":
        raise ParameterError(f"--notebook {text!r} is not a Jupyter notebook (an .ipynb file); {choices}")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        ok = isinstance(nb, dict) and isinstance(nb.get("cells"), list)
    except (OSError, UnicodeDecodeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(f"--notebook {text!r}: {path.name} is not a readable Jupyter notebook "
                             "(not notebook JSON with cells)")
    return path.resolve()


def check_kernel(name: str = KERNEL_NAME) -> None:
    """Raise :class:`OTBenchmarkError` saying how to install the project kernel if it is
    missing."""
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
# the notebook's parameters


_DECLARED: dict[tuple, dict] = {}  # (path, size, modification time) -> declared parameters


def _papermill():
    """papermill, imported when a report runs (not by every ``ot-benchmark`` command).

    Imported without ``rfc3987_syntax``: jsonschema, which papermill loads through nbformat,
    uses it only to check strings of the "iri" format, which no notebook schema has, and it
    builds a grammar as it is imported: 0.9 s of every report's 1.2 s for papermill. Only that
    import is skipped: ``rfc3987_syntax`` imports as usual afterwards."""
    if "papermill" not in sys.modules:
        skipped = "rfc3987_syntax" not in sys.modules
        if skipped:
            sys.modules["rfc3987_syntax"] = None  # Python's way to make an import fail (ImportError)
        try:
            import papermill  # noqa: F401, PLC0415
        finally:
            if skipped and sys.modules.get("rfc3987_syntax", "") is None:
                del sys.modules["rfc3987_syntax"]
    return sys.modules["papermill"]


def _declared_parameters(notebook: Path) -> dict:
    """The parameters the notebook declares (name -> papermill's description); read once per
    version of the notebook file in a process (a batch checks every council's run)."""
    st = Path(notebook).stat()
    key = (str(notebook), st.st_size, st.st_mtime_ns)
    if key not in _DECLARED:
        _DECLARED[key] = _papermill().inspect_notebook(str(notebook))
    return copy.deepcopy(_DECLARED[key])


def check_notebook_parameters(notebook: Path, params: Mapping[str, object]) -> dict:
    """Reject any parameter the notebook does not declare, and values of the wrong type.

    Uses ``papermill.inspect_notebook`` (papermill itself only warns on unknown names).
    Returns the notebook's declared parameters (name -> papermill's description).
    """
    declared = _declared_parameters(notebook)
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
    """A ``NAME=VALUE`` string as the type the notebook declares."""
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


def parse_extra_params(notebook: Path, pairs: Sequence[str] | None) -> dict:
    """Further notebook parameters written ``NAME=VALUE`` (``ot-benchmark report -p``), each read
    as the type the notebook declares. The standard parameters are refused (they have their
    own options), as are names the notebook does not declare."""
    if not pairs:
        return {}
    declared = _declared_parameters(notebook)
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
# execution


class _EncryptedKernelManager(AsyncKernelManager):
    """Papermill's kernel manager with the kernel's channels encrypted (CurveZMQ) when the
    kernel supports it, so it neither talks in plain text over loopback TCP nor warns that it
    does."""

    transport_encryption = CaselessStrEnum(["disabled", "auto", "required"], default_value="auto", config=True)


def _kernel_manager_options() -> dict:
    """The encrypting kernel manager where jupyter_client supports transport encryption;
    with an older jupyter_client, papermill's default manager."""
    if "transport_encryption" not in AsyncKernelManager.class_trait_names():
        return {}
    return {"kernel_manager_class": _EncryptedKernelManager}


class KeptKernel:
    """The project kernel kept running from one notebook to the next (a batch's councils), so
    that every notebook after the first starts with its imports done, the figure styles set
    and the kernel up: only the first pays for them. Use as a context manager (the kernel is
    shut down at the end); after a notebook that failed, the next one gets a fresh kernel.
    """

    def __init__(self, *, freeze: bool = True) -> None:
        self.km = None
        #: the kernel's garbage collector leaves what its imports made alone (``gc.freeze``): a
        #: report's kernel collects 0.35 s less. A batch's kernel, which lives through many
        #: councils, does without it: with it, 8 national councils took 80.2 against 75.4 CPU s
        #: (one interleaved pair of runs, within their noise of about 5%, so the batch keeps the
        #: kernel it had).
        self.freeze = freeze

    def start(self, cwd: Path, imports: Sequence[str] = ()) -> None:
        """Start the kernel now without waiting for it, importing ``imports`` as it boots (before
        it takes any request), so that it starts while the runner checks the run's inputs; the
        first notebook then finds it ready. Nothing happens when the kernel is already running."""
        if self.km is None:  # the kernel the command started first thing, if it is this one
            self.km = _PRESTARTED.pop(_prestart_key(cwd, imports), None)
        km = self.manager()
        if km.has_kernel:
            return
        from jupyter_client.utils import run_sync  # noqa: PLC0415 - with jupyter_client, only for reports

        # as nbclient starts a kernel (no history file), in the notebooks' folder
        args = ["--HistoryManager.hist_file=:memory:"]
        if imports:
            # then the garbage collector leaves what the imports made alone (self.freeze): it lives as
            # long as the kernel, and walking it again in every full collection cost a report 0.35 s
            lines = [f"import {m}" for m in imports] + (["import gc; gc.freeze()"] if self.freeze else [])
            args.append("--IPKernelApp.exec_lines=" + json.dumps(lines))
        run_sync(km.start_kernel)(extra_arguments=args, cwd=str(cwd))

    def begin(self, code: str, what: str) -> "KernelJob":
        """Send ``code`` to the running kernel and return at once: the kernel runs it while the
        runner goes on (the runner renders the pages while the kernel writes the workbook);
        :meth:`KernelJob.wait` for its end. ``what`` names the work in an error message."""
        kc = self.manager().client()
        kc.start_channels(iopub=False, stdin=False, hb=False)  # the request and its reply only
        try:
            msg_id = kc.execute(code, silent=True, store_history=False)  # queued until connected
        except BaseException:
            kc.stop_channels()
            raise
        return KernelJob(self, kc, msg_id, what)

    def manager(self):
        """The kernel manager (its kernel is started by the first notebook)."""
        if self.km is None:
            cls = _kernel_manager_options().get("kernel_manager_class", AsyncKernelManager)
            self.km = cls(kernel_name=KERNEL_NAME)
        return self.km

    def discard(self) -> None:
        """Shut the kernel down (the next notebook starts a fresh one)."""
        km, self.km = self.km, None
        if km is not None and km.has_kernel:
            from jupyter_client.utils import run_sync  # noqa: PLC0415 - with jupyter_client, only for reports

            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - already gone: nothing to shut down
                pass

    close = discard

    def __enter__(self) -> "KeptKernel":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class KernelJob:
    """Code a :class:`KeptKernel` runs while the runner goes on (:meth:`KeptKernel.begin`)."""

    def __init__(self, kernel: KeptKernel, client, msg_id: str, what: str) -> None:
        self.kernel, self.client, self.msg_id, self.what = kernel, client, msg_id, what

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the code to end.

        Raises
        ------
        ReportFailed
            The code raised (its error and traceback), the kernel died, or it ran past
            ``timeout`` seconds.
        """
        from jupyter_client.utils import run_sync  # noqa: PLC0415

        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                try:
                    reply = run_sync(self.client.get_shell_msg)(timeout=1)
                except queue.Empty:  # nothing within a second: is the kernel still there?
                    if not run_sync(self.kernel.manager().is_alive)():
                        self.kernel.discard()
                        raise ReportFailed(f"the kernel died while {self.what}") from None
                    if deadline is not None and time.monotonic() > deadline:
                        self.kernel.discard()
                        raise ReportFailed(f"{self.what} took more than {timeout:.0f} s") from None
                    continue
                if reply.get("parent_header", {}).get("msg_id") == self.msg_id:
                    break
        finally:
            self.client.stop_channels()
        content = reply["content"]
        if content.get("status") != "ok":
            raise ReportFailed(f"{self.what} failed: {content.get('ename')}: {_ANSI_RE.sub('', str(content.get('evalue')))}",
                               "\n".join(_ANSI_RE.sub("", line) for line in content.get("traceback", [])))


#: What a report kernel imports while it starts (:meth:`KeptKernel.start`): the modules the
#: report notebooks' guard cells import, and through them pandas, matplotlib and seaborn.
WARM_UP = ("ot_benchmark.report.sections", "ot_benchmark.report.complaints", "ot_benchmark.report.exports")

#: Kernels started before the command knew it would need them (:func:`prestart_kernel`), by
#: working folder and imports, until a :class:`KeptKernel` takes one.
_PRESTARTED: dict[tuple, object] = {}


def _prestart_key(cwd, imports) -> tuple:
    return str(Path(cwd).resolve()), tuple(imports)


def prestart_kernel() -> None:
    """Start a report kernel in the notebooks' folder now, for the run to take when it starts
    its own (:meth:`KeptKernel.start`, the same folder and imports).

    ``ot-benchmark report`` calls this first thing, before it loads pandas and the rest of the
    package (0.7 s), so that the kernel's own start and imports (1.7 s) overlap them. Anything
    wrong (no project kernel, say) is left for the run to report in its own words. A kernel no
    run took is shut down as the process ends."""
    kernel = KeptKernel()
    try:
        check_kernel()
        cwd = notebooks_dir()
        kernel.start(cwd, WARM_UP)
    except Exception:  # noqa: BLE001 - the run meets the same problem and says what it is
        kernel.discard()
        return
    if not _PRESTARTED:
        atexit.register(_discard_prestarted)
    _PRESTARTED[_prestart_key(cwd, WARM_UP)] = kernel.km


def _discard_prestarted() -> None:
    while _PRESTARTED:
        kernel = KeptKernel()
        kernel.km = _PRESTARTED.popitem()[1]
        kernel.discard()

_KEPT_ENGINE = "ot-benchmark-kept-kernel"


def _register_kept_kernel_engine() -> None:
    """papermill's nbclient engine, on a kernel manager it is given and leaves running."""
    _papermill()
    from papermill.clientwrap import PapermillNotebookClient  # noqa: PLC0415 - papermill loads slowly
    from papermill.engines import NBClientEngine, papermill_engines  # noqa: PLC0415
    from papermill.log import logger  # noqa: PLC0415
    from papermill.utils import remove_args  # noqa: PLC0415

    if _KEPT_ENGINE in papermill_engines._engines:
        return

    class KeptKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, km=None, **kwargs):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout", "kernel_manager_class"], **kwargs)
            client = PapermillNotebookClient(
                nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                log=logger, log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
            try:
                return client.execute()  # a kernel manager it was given: the kernel keeps running
            finally:
                if client.kc is not None:  # but this notebook's connection to it is closed
                    client.kc.stop_channels()
                    client.kc = None

    papermill_engines.register(_KEPT_ENGINE, KeptKernelEngine)


def _cell_error_message(exc) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    cell = getattr(exc, "exec_count", None)
    where = f"cell [{cell}]" if cell is not None else f"cell {getattr(exc, 'cell_index', '?')}"
    return f"{where} raised {ename}: {_ANSI_RE.sub('', str(evalue))}"


def _raised_output(nb) -> dict | None:
    """The first error output of an executed notebook (a cell allowed to raise), if any."""
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if out.get("output_type") == "error":
                return out
    return None


def execute_notebook(notebook: Path, executed: Path, params: Mapping[str, object], *,
                     timeout: float | None, kernel: KeptKernel | None = None):
    """Run ``notebook`` with ``params`` on the project kernel (working folder: the notebook's)
    and write it, with its outputs, to ``executed``. Returns the executed notebook. With
    ``kernel`` (a :class:`KeptKernel`), on that kernel, left running for the next notebook.

    Raises
    ------
    ReportFailed
        A cell raised (the message names the cell and its error; ``details`` holds the
        traceback), the kernel died or a cell ran past ``timeout`` seconds.
    """
    papermill = _papermill()
    from papermill.exceptions import PapermillExecutionError

    if kernel is not None:
        _register_kept_kernel_engine()
        how = {"engine_name": _KEPT_ENGINE, "km": kernel.manager()}
    else:
        how = _kernel_manager_options()
    try:
        # written once at the end (or with the failing cell's error), not after every cell: papermill
        # by default rewrote the whole notebook, figures and all, 70 times a report (1.2 s)
        nb = papermill.execute_notebook(
            str(notebook), str(executed), parameters=dict(params), kernel_name=KERNEL_NAME,
            progress_bar=False, log_output=False, cwd=str(notebook.parent), request_save_on_cell_execute=False,
            execution_timeout=timeout, start_timeout=120, **how,
        )
    except PapermillExecutionError as exc:
        if kernel is not None:
            kernel.discard()  # the next notebook starts afresh, not in this one's state
        raise ReportFailed(_cell_error_message(exc),
                           "\n".join(_ANSI_RE.sub("", line) for line in (exc.traceback or []))) from None
    except OSError as exc:
        if kernel is not None:
            kernel.discard()
        if exc.errno in _WRITE_ERRNOS:  # the executed notebook could not be written: the runner says where
            raise
        raise ReportFailed(f"{type(exc).__name__}: {exc}", traceback.format_exc()) from None
    except Exception as exc:  # kernel died, timeout, ...
        if kernel is not None:
            kernel.discard()
        raise ReportFailed(f"{type(exc).__name__}: {exc}", traceback.format_exc()) from None
    error = _raised_output(nb)
    if error is not None:
        raise ReportFailed(f"a cell raised {error.get('ename')}: {error.get('evalue')}")
    return nb
