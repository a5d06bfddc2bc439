"""The committed notebooks are clean and follow docs/dev/RUNNER_CONTRACT.md.

* no outputs, no execution counts, no papermill ``injected-parameters`` cell left behind;
* every batch notebook has a ``parameters`` cell declaring the eight runner parameters (read
  with ``papermill.inspect_notebook``, exactly as the runner reads them, with the types the
  runner infers from the defaults) followed by a ``guard`` cell calling ``context.guard``;
* a notebook defines no functions or classes (no ``def``, ``lambda``, ``class``);
* after the guard a batch notebook is words and calls to ``ot_benchmark.report.sections`` (the
  rules live in the package), and nothing re-reads the settings, the table or the group;
* the kernel is the project's ``ot-benchmark`` kernel.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import papermill  # a dependency (pyproject): a missing one must fail here, not skip
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BATCH = ["quarterly_report", "indicator_deep_dive", "waiting_list", "data_quality", "complaints_annual_report"]
ALL = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
RUNNER_PARAMETERS = {  # name -> type of the default literal (RUNNER_CONTRACT.md section 1)
    "data_dir": "str", "authority": "str", "period": "str", "group": "str", "output_dir": "str",
    "cache_dir": "str", "suppress": "bool", "settings_path": "str",
}


def _read(name):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_expected_notebooks_exist():
    assert set(BATCH + ["explore"]) <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_no_outputs(name):
    nb = _read(name)
    for i, cell in enumerate(_code(nb)):
        assert cell.get("execution_count") is None, f"{name} code cell {i} has an execution count"
        assert cell.get("outputs") == [], f"{name} code cell {i} has outputs"
        assert "injected-parameters" not in cell.metadata.get("tags", []), f"{name}: stale injected parameters"
    nbformat.validate(nb)


@pytest.mark.parametrize("name", ALL)
def test_kernel(name):
    assert _read(name).metadata["kernelspec"]["name"] == "ot-benchmark"


@pytest.mark.parametrize("name", BATCH + ["explore"])
def test_parameters_then_guard(name):
    nb = _read(name)
    code = _code(nb)
    assert "parameters" in code[0].metadata.get("tags", []), f"{name}: first code cell must be tagged parameters"
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    assert "guard" in code[1].metadata.get("tags", []), f"{name}: second code cell must be tagged guard"
    assert "context.guard(" in code[1].source


@pytest.mark.parametrize("name", BATCH + ["explore"])
def test_runner_parameters_declared(name):
    import papermill  # a dependency (pyproject): a missing one must fail, not skip
    declared = papermill.inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb"))
    for param, tname in RUNNER_PARAMETERS.items():
        assert param in declared, f"{name} does not declare {param}"
        default = ast.literal_eval(declared[param]["default"])  # the runner checks types against it
        assert type(default).__name__ == tname, (name, param, declared[param])
    # the first eight, in the contract's order
    assert list(declared)[:8] == list(RUNNER_PARAMETERS)


def test_batch_notebooks_suppress_by_default():
    for name in BATCH:
        assert papermill.inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb"))["suppress"]["default"] == "True"


@pytest.mark.parametrize("name", ALL)
def test_no_functions_defined(name):
    for i, cell in enumerate(_code(_read(name))):
        tree = ast.parse(cell.source)
        bad = [type(n).__name__ for n in ast.walk(tree)
               if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))]
        assert not bad, f"{name} code cell {i} defines {bad}"


@pytest.mark.parametrize("name", BATCH)
def test_batch_notebooks_save_through_export(name):
    src = "\n".join(c.source for c in _code(_read(name)))
    assert "plt.show" not in src and ".savefig(" not in src and ".to_csv(" not in src
    # every figure made is saved (and so displayed) through export.save_figure
    assert src.count("fig = plots.") == src.count("export.save_figure(fig")


@pytest.mark.parametrize("name", BATCH)
def test_report_notebooks_are_pages_of_words_and_calls(name):
    # after the guard, a batch notebook only calls report sections (ot_benchmark.report.sections):
    # no rules, thresholds, loops or branches of its own; those live in the package
    code = _code(_read(name))[2:]
    assert code, f"{name} shows nothing"
    for i, cell in enumerate(code, start=2):
        for stmt in ast.parse(cell.source).body:
            assert isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call), \
                f"{name} code cell {i}: {ast.unparse(stmt)!r} is not a call"
            called = ast.unparse(stmt.value.func)
            # the report sections: ot_benchmark.report.sections, and the complaints pack's
            # ot_benchmark.report.complaints; and the analyst tables, ot_benchmark.report.exports
            assert called.startswith(("sections.", "complaints.", "exports.")), f"{name} code cell {i} calls {called}"
            assert stmt.value.args and ast.unparse(stmt.value.args[0]) == "ctx", f"{name} code cell {i}: {called} without ctx"


def test_quarterly_report_is_short():
    lines = [line for c in _code(_read("quarterly_report")) for line in c.source.splitlines() if line.strip()]
    assert len(lines) < 60, len(lines)


@pytest.mark.parametrize("name", BATCH + ["explore"])
def test_notebooks_take_everything_from_the_run_context(name):
    # the guard loaded the settings, the table and the group once (report/context.py)
    src = "\n".join(c.source for c in _code(_read(name)))
    for again in ("load_settings", "load_indicators", "resolve_group", "reference.councils", "compare.benchmark("):
        assert again not in src, f"{name} calls {again} after the guard"


def test_report_spc_charts_use_the_councils_known_changes():
    # every XmR chart the sections draw is re-based at the council's known changes (settings
    # [spc] changes) and says so under the chart; every funnel plot says in words whether
    # over-dispersion explains the flag (behaviour: tests/test_sections.py)
    src = (Path(__file__).resolve().parents[1] / "ot_benchmark" / "report" / "sections.py").read_text(encoding="utf-8")
    calls = [n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "xmr"]
    assert calls and all("rebase" in {k.arg for k in call.keywords} for call in calls)
    assert "settings.spc_rebase(ctx.authority" in src and "narrative.spc_rebase_sentence(rebase)" in src
    assert src.count("plots.funnel_plot(") == 1 and "narrative.funnel_dispersion_sentence(" in src


@pytest.mark.parametrize("name", BATCH)
def test_no_cell_ends_by_displaying_machinery(name):
    # a cell whose last line is a bare export.save_figure(...)/save_table(...) or guard(...) call
    # would print its return value (a file path, a context object) into the reader's report
    for i, cell in enumerate(_code(_read(name))):
        tree = ast.parse(cell.source)
        if not tree.body or not isinstance(tree.body[-1], ast.Expr):
            continue
        value = tree.body[-1].value
        if isinstance(value, ast.Call):
            called = ast.unparse(value.func)
            assert not called.startswith("export."), f"{name} code cell {i} ends with a bare {called}(...)"
