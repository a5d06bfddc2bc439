"""Safe published files (issue 9, runner side): a Content-Security-Policy in report.html, the
executed notebook published sanitised, no absolute path of the machine in any published file, a
non-notebook --notebook refused, a read-only or full outputs folder ending in one clear message
with nothing half-written, staging folders of killed runs cleared."""

from __future__ import annotations

import errno
import json
import os
import re
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from ot_benchmark import cli
from ot_benchmark.errors import OTBenchmarkError, ParameterError
from ot_benchmark.indicators import cache
from ot_benchmark.runner import execute, html as runner_html, publish, render, sanitise
from ot_benchmark.runner.render import RunOptions

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def env(tiny, tiny_data):
    with tiny.pinned():
        yield {"data": tiny_data.data, "cache": tiny_data.cache, "base": tiny_data.base, "tiny": tiny}


def _render(env, outputs, **kw):
    tiny = env["tiny"]
    return render.render_report(env["data"], tiny.home, "latest",
                                RunOptions(notebook=str(tiny.notebook), outputs_dir=outputs, cache_dir=env["cache"], **kw))


# ----------------------------------------------------------------------------- the HTML's CSP


def test_report_html_carries_a_content_security_policy(tiny_report):
    page = tiny_report.html.read_text(encoding="utf-8")
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert meta, "no CSP meta"
    policy = meta.group(1).replace("&#x27;", "'")
    assert "default-src 'none'" in policy and "img-src data:" in policy and "style-src 'unsafe-inline'" in policy
    assert "script-src" not in policy  # falls back to default-src 'none': no script at all
    assert page.index("Content-Security-Policy") < page.index("<body")  # in <head>, before anything loads
    assert "<script" not in page.lower()


def test_add_csp_replaces_an_existing_policy_and_works_without_head():
    page = runner_html.add_csp('<html><head><meta http-equiv="Content-Security-Policy" content="default-src *"></head></html>')
    assert page.count("Content-Security-Policy") == 1 and "default-src *" not in page
    assert runner_html.add_csp("<p>x</p>").startswith('<meta http-equiv="Content-Security-Policy"')


# ----------------------------------------------------------------------------- the notebook


def test_published_notebook_is_sanitised(tiny_report):
    nb_path = tiny_report.folder / "tiny_report.ipynb"
    nb = nbformat.read(str(nb_path), as_version=4)
    text = nb_path.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "TINY-REMOVED-MARKER" not in text  # cells tagged remove are dropped, as in report.html
    outputs_text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "TINY-STDERR-MARKER" not in outputs_text and "TINY-WARNING-MARKER" not in outputs_text
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("name") != "stderr"
            assert set(out.get("data", {})) <= set(sanitise.SAFE_MIME_TYPES)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "output_dir = \".\"" in injected[0].source  # the staging folder: the published folder


def test_published_notebook_drops_scripts_handlers_and_rich_types():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={
            "text/html": '<b onmouseover="alert(1)">a</b><script>alert(2)</script><a href="javascript:alert(3)">l</a>'
                         "<iframe src=http://evil></iframe><img src=x onerror=alert(4)>",
            "application/javascript": "alert(5)", "image/svg+xml": "<svg onload=alert(6)/>",
            "text/plain": "/secret/project/data"}),
        nbformat.v4.new_output("stream", name="stderr", text="warning from /secret/project"),
        nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "1"}}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("<script>alert(7)</script>ok"), cell]
    nb.metadata["papermill"] = {"input_path": "/secret/project/notebooks/a.ipynb", "parameters": {"data_dir": "/secret/project/data"}}
    out = sanitise.published_notebook(nb, {"/secret/project": "."})
    text = json.dumps(out)
    for bad in ("alert(", "<script", "javascript:", "onerror", "onmouseover", "iframe", "/secret", "svg", "widget"):
        assert bad not in text, bad
    assert out.cells[1].outputs[0]["data"]["text/plain"] == "./data"
    assert len(out.cells[1].outputs) == 1


# ----------------------------------------------------------------------------- no machine paths


def _published_texts(folder: Path) -> dict[str, str]:
    texts = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(folder).as_posix()
        if p.suffix == ".xlsx":  # a zip of XML parts: read every part
            with zipfile.ZipFile(p) as z:
                texts[rel] = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            texts[rel] = p.read_bytes().decode("utf-8", "replace")
    return texts


def test_no_published_file_holds_an_absolute_path(tiny_report, tiny_data):
    roots = {str(tiny_data.base), str(tiny_data.base.resolve()), str(cache.project_root()),
             str(tiny_report.outputs.resolve())}
    texts = _published_texts(tiny_report.folder)
    assert {"run.json", "report.html", "tiny_report.ipynb"} <= set(texts)
    for rel, text in texts.items():
        for root in roots:
            assert root not in text, f"{rel} holds the machine path {root}"
    run = json.loads(texts["run.json"])
    assert run["parameters"]["data_dir"] == "data"  # the data folder's name
    assert run["data"]["dir"] == "data" and not Path(run["notebook_path"]).is_absolute()
    assert run["notebook_path"] == "tests/notebooks/tiny_report.ipynb"  # relative to the project


def test_portable_paths_keep_other_folders_that_share_a_prefix():
    roots = sanitise.path_roots(project=Path("/w/proj"), data_dir=Path("/tmp/x/data"))
    assert sanitise.portable({"a": ["/tmp/x/data/f.csv", "/w/proj/notebooks/n.ipynb", "/w/proj-other/n"]}, roots) == \
        {"a": ["data/f.csv", "./notebooks/n.ipynb", "/w/proj-other/n"]}


# ----------------------------------------------------------------------------- --notebook


@pytest.mark.parametrize("kind", ["txt", "folder", "bad_json"])
def test_non_notebook_is_refused_clearly(tmp_path, kind, capsys, env):
    if kind == "txt":
        target = tmp_path / "notes.txt"
        target.write_text("hello")
        want = "not a Jupyter notebook"
    elif kind == "folder":
        target = tmp_path / "folder"
        target.mkdir()
        want = "is a folder, not a notebook"
    else:
        target = tmp_path / "broken.ipynb"
        target.write_text("{not json")
        want = "not a readable Jupyter notebook"
    with pytest.raises(ParameterError, match=want):
        execute.find_notebook(str(target))
    rc = cli.main(["report", "--data", str(env["data"]), "--authority", env["tiny"].home,
                   "--notebook", str(target), "--outputs", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and want in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- read-only / full outputs


def _leftovers(outputs: Path) -> list[str]:
    """Anything half-written: staging content, temporary index files."""
    found = [p.name for p in (outputs / ".staging").iterdir()] if (outputs / ".staging").is_dir() else []
    return found + [p.name for p in outputs.glob(".index-*")]


def test_outputs_folder_not_writable_before_the_run(env, tmp_path, monkeypatch, capsys):
    outputs = tmp_path / "outputs"
    real_mkdir = Path.mkdir

    def refuse(self, *a, **kw):
        if str(self).startswith(str(outputs)):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *a, **kw)

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(OTBenchmarkError, match=re.escape(f"outputs folder {outputs}")):
        _render(env, outputs)
    rc = cli.main(["report", "--data", str(env["data"]), "--authority", env["tiny"].home, "--notebook",
                   str(env["tiny"].notebook), "--cache-dir", str(env["cache"]), "--outputs", str(outputs)])
    err = capsys.readouterr().err
    assert rc == 2 and "permission denied" in err and str(outputs) in err and "Traceback" not in err


def test_disk_full_at_publish_leaves_previous_report_and_no_half_written_files(env, tmp_path, monkeypatch, capsys):
    outputs = tmp_path / "outputs"
    first = _render(env, outputs)
    assert first.ok
    before = (Path(first.published_dir) / "run.json").read_text()
    real_replace = os.replace

    def full(src, dst, *a, **kw):  # every rename into or out of the outputs folder: disk full
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(publish.os, "replace", full)
    res = _render(env, outputs)
    monkeypatch.setattr(publish.os, "replace", real_replace)
    assert not res.ok and "disk is full" in res.error and str(outputs) in res.error
    assert "Traceback" not in res.error
    # keeping the failed notebook needs a rename too: it failed, the message says so, the run ended
    assert res.failed_dir is None and "could not be kept either" in res.error
    assert (Path(first.published_dir) / "run.json").read_text() == before
    assert _leftovers(outputs) == []


def test_disk_full_while_writing_the_report(env, tmp_path, monkeypatch):
    outputs = tmp_path / "outputs"

    def full(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device", str(outputs / ".staging" / "x" / "run.json"))

    monkeypatch.setattr(render, "write_run_record", full)
    res = _render(env, outputs)
    assert not res.ok and "disk is full" in res.error and f"outputs folder {outputs}" in res.error
    assert res.failed_dir and (Path(res.failed_dir) / "error.txt").is_file()  # keeping it still worked
    assert not (outputs / "2024-25_Q4").exists() and _leftovers(outputs) == []


def test_failure_handler_survives_a_full_disk(env, tmp_path, monkeypatch):
    outputs = tmp_path / "outputs"

    def full(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(render, "write_run_record", full)
    monkeypatch.setattr(publish.shutil, "copytree", full, raising=False)
    monkeypatch.setattr(Path, "write_text", full)  # error.txt cannot be written either
    res = _render(env, outputs)
    monkeypatch.undo()
    assert not res.ok and "could not be kept either" in res.error
    assert _leftovers(outputs) == [] and not list((outputs / "_failed").rglob("*.ipynb"))


def test_index_not_writable_after_publish_is_a_warning(env, tmp_path, monkeypatch, capsys):
    outputs = tmp_path / "outputs"

    def denied(*a, **kw):
        raise PermissionError(errno.EACCES, "Permission denied", str(outputs / "index.html"))

    monkeypatch.setattr(render, "write_index", denied)
    res = _render(env, outputs)
    assert res.ok and "index.html was not updated" in res.warning and str(outputs) in res.warning


def test_index_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish.os, "replace", full)
    with pytest.raises(OSError):
        publish.write_index(tmp_path)
    assert list(tmp_path.glob(".index-*")) == []


# ----------------------------------------------------------------------------- stale staging


def test_stale_staging_of_killed_runs_is_cleared(tmp_path):
    area = tmp_path / publish.STAGING_DIR
    old, young, live = (area / "old", area / "young", area / "live")
    for d in (old, young, live):
        (d / "tables").mkdir(parents=True)
        (d / "tables" / "t.csv").write_text("x\n")
    hour_ago = time.time() - 2 * publish.STALE_AFTER_S
    for d in (old, live):
        os.utime(d, (hour_ago, hour_ago))
    aside = area / "previous-abc"  # a report renamed aside by a publish that was killed
    aside.mkdir()
    os.utime(aside, (hour_ago, hour_ago))
    with publish.lock_staging(live):  # a run that is still going (long), holding its lock
        removed = publish.clear_stale_staging(tmp_path)
        assert old.name in {p.name for p in removed} and aside.name in {p.name for p in removed}
        assert not old.exists() and not aside.exists()
        assert young.exists() and live.exists()
    assert not (area / "live.lock").exists()


def test_a_run_clears_stale_staging_first(env, tmp_path):
    outputs = tmp_path / "outputs"
    stale = outputs / publish.STAGING_DIR / "deadbeef"
    stale.mkdir(parents=True)
    (stale / "report.html").write_text("half")
    then = time.time() - 2 * publish.STALE_AFTER_S
    os.utime(stale, (then, then))
    res = _render(env, outputs)
    assert res.ok and not stale.exists() and _leftovers(outputs) == []


def test_batch_index_not_writable_is_a_warning_not_a_crash(env, tmp_path, monkeypatch, capsys):
    from ot_benchmark.runner import batch

    def denied(*a, **kw):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "outputs" / "index.html"))

    monkeypatch.setattr(batch, "write_index", denied)
    res = render.RunResult("E1", "2024-25 Q4", "quarterly_report", True)

    class Bar:
        def update(self, n):
            pass

    batch._after(res, RunOptions(outputs_dir=tmp_path / "outputs"), Bar())
    assert "index.html was not updated" in res.warning and "permission denied" in capsys.readouterr().err
