"""Runner mechanics (ot_benchmark.runner, cache, export) with a tiny notebook of our own.

The notebook is tests/notebooks/tiny_report.ipynb (follows docs/dev/RUNNER_CONTRACT.md); the data
folder and its indicator table are hand-made (``tiny``, ``tiny_data`` in tests/conftest.py) and the
table is seeded into the cache, so nothing here needs the indicator engine or the report notebooks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from ot_benchmark import cli
from ot_benchmark.indicators import cache
from ot_benchmark.report import context, export
from ot_benchmark.runner import batch, case_ids, execute, publish, render
from ot_benchmark.runner.render import RunOptions, RunResult
from ot_benchmark.errors import OTBenchmarkError, ParameterError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def env(tiny, tiny_data):
    """The session's tiny data folder and seeded cache, with the code fingerprint pinned for the
    module (as the runner does during a run) so edits elsewhere in the tree during the tests
    cannot change the cache key."""
    with tiny.pinned():
        yield {"base": tiny_data.base, "data": tiny_data.data, "cache": tiny_data.cache,
               "table": tiny_data.table, "tiny": tiny}


def _render(env, outputs, authority=None, period="latest", **kw):
    tiny = env["tiny"]
    return render.render_report(env["data"], authority or tiny.home, period,
                                RunOptions(notebook=str(tiny.notebook), outputs_dir=outputs, cache_dir=env["cache"], **kw))


# ----------------------------------------------------------------------------- pure helpers

def test_period_slug_is_filesystem_safe():
    assert publish.period_slug("2024-25 Q4") == "2024-25_Q4"


def test_missing_kernel_says_how_to_fix():
    with pytest.raises(OTBenchmarkError, match="make install"):
        execute.check_kernel("no-such-kernel-ot-benchmark-test")


def test_kernel_of_another_python_is_refused(tmp_path, monkeypatch):
    spec = tmp_path / "kernels" / "ot-benchmark-elsewhere"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": ["/opt/other-env/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "elsewhere", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    with pytest.raises(OTBenchmarkError, match="not this environment's Python"):
        execute.check_kernel("ot-benchmark-elsewhere")


def test_code_fingerprint_pinned_only_during_a_run(env, tiny, tmp_path, monkeypatch):
    monkeypatch.delenv(cache.CODE_FINGERPRINT_ENV)
    seen = {}

    def spy(**kw):
        seen["pinned"] = os.environ.get(cache.CODE_FINGERPRINT_ENV)
        raise ParameterError("stop here")

    monkeypatch.setattr(render, "build_context", spy)
    with pytest.raises(ParameterError, match="stop here"):
        render.render_report(env["data"], tiny.home, options=RunOptions(notebook=str(tiny.notebook), outputs_dir=tmp_path))
    assert seen["pinned"] == cache.code_fingerprint()  # set for the run (kernels inherit it)
    assert cache.CODE_FINGERPRINT_ENV not in os.environ  # and removed afterwards


def test_publish_failure_leaves_previous_outputs(tmp_path, monkeypatch):
    target = tmp_path / "out" / "2024-25_Q4" / "E1"
    target.mkdir(parents=True)
    (target / "report.html").write_text("old")
    staging = tmp_path / "out" / ".staging" / "new"
    staging.mkdir(parents=True)
    (staging / "report.html").write_text("new")
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # the rename of the new folder into place fails
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(publish.os, "replace", flaky)
    with pytest.raises(OSError):
        publish.publish(staging, target, tmp_path / "out" / ".staging")
    assert (target / "report.html").read_text() == "old"
    monkeypatch.setattr(publish.os, "replace", real)
    publish.publish(staging, target, tmp_path / "out" / ".staging")
    assert (target / "report.html").read_text() == "new"
    # nothing left aside
    assert not any(p.name.startswith("previous-") for p in (tmp_path / "out" / ".staging").iterdir())


def test_index_writers_take_turns(tmp_path):
    # Another process holding the index lock (a second batch job part-way through listing the
    # reports) must make write_index wait, else its older listing could overwrite this one.
    fcntl = pytest.importorskip("fcntl")
    import threading

    outputs = tmp_path / "out"
    folder = outputs / "2024-25_Q4" / "E10000017_quarterly_report"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"period": "2024-25 Q4", "authority": "E10000017",
                                                 "authority_name": "Lancashire", "notebook": "quarterly_report"}))
    with open(outputs / publish.INDEX_LOCK_NAME, "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        writer = threading.Thread(target=publish.write_index, args=(outputs,))
        writer.start()
        writer.join(0.5)
        assert writer.is_alive() and not (outputs / "index.html").exists()  # waiting for the lock
        fcntl.flock(held.fileno(), fcntl.LOCK_UN)
    writer.join(10)
    assert not writer.is_alive()
    assert "2024-25_Q4/E10000017_quarterly_report/report.html" in (outputs / "index.html").read_text()


# ----------------------------------------------------------------------------- cache

def test_cache_key_follows_data_and_settings_content(tmp_path, env, tiny):
    data = tiny.write_data_folder(tmp_path / "d")
    k1 = cache.indicator_cache_key(data)
    os.utime(data / "referrals.csv", (1, 1))  # a new date but the same bytes: same key
    assert cache.indicator_cache_key(data) == k1
    with open(data / "referrals.csv", "a") as fh:
        fh.write("R999999,E10000017,2024-07-01,low,,,,,\n")
    k2 = cache.indicator_cache_key(data)
    assert k2 != k1
    settings = tmp_path / "s.toml"
    settings.write_text("# nothing changed\n")
    k3 = cache.indicator_cache_key(data, settings)
    assert k3 != k2
    settings.write_text("# changed\n")
    assert cache.indicator_cache_key(data, settings) != k3


def test_cache_round_trip_and_slices(env, tiny):
    full = cache.load_indicators(env["data"], None, env["cache"])
    pd.testing.assert_frame_equal(full, env["table"])
    part = cache.load_indicators(env["data"], None, env["cache"], authorities=[tiny.other], periods=["2024-25 Q3"])
    assert set(part["authority_code"]) == {tiny.other}
    assert set(part["period"]) == {"2024-25 Q3"}
    assert len(part) == 4  # W1 + W5 all/urgent/high


# ----------------------------------------------------------------------------- parameter checks

def _check(env, **kw):
    args = dict(data_dir=str(env["data"]), authority=env["tiny"].home, period="latest", cache_dir=str(env["cache"]),
                indicators=env["table"])
    args.update(kw)
    return context.check_parameters(**args)


def test_latest_period_is_latest_in_data(env):
    assert _check(env)["period"] == "2024-25 Q4"
    assert _check(env, period="2024/25 Q3")["period"] == "2024-25 Q3"


@pytest.mark.parametrize("kw, message", [
    ({"authority": "E06000008"}, "not in the data"),
    ({"authority": "Lancashire"}, "not an ONS council code"),
    ({"period": "2023-24 Q1"}, "covers 2024-25 Q3 to 2024-25 Q4"),
    ({"period": "2024 Q4"}, "ambiguous"),
    ({"suppress": "yes"}, "True or False"),
    ({"data_dir": "/no/such/folder"}, "does not exist"),
    ({"authority": 17}, "must be text"),
    ({"settings_path": "/no/such.toml"}, "settings file"),
    ({"group": "cipfaa"}, "comparator group"),
])
def test_bad_parameters_rejected_with_reason(env, kw, message):
    with pytest.raises(ParameterError, match=message):
        _check(env, **kw)


def test_notebook_parameters_unknown_names_and_types_rejected(env, tiny):
    good = {"data_dir": "x", "authority": tiny.home, "period": "2024-25 Q4", "group": "cipfa",
            "output_dir": "o", "cache_dir": "", "suppress": True, "settings_path": "", "n_figures": 1}
    declared = execute.check_notebook_parameters(tiny.notebook, good)
    assert set(execute.STANDARD_PARAMETERS) <= set(declared)
    with pytest.raises(ParameterError, match="does not take parameter.*'colour'"):
        execute.check_notebook_parameters(tiny.notebook, {**good, "colour": "red"})
    with pytest.raises(ParameterError, match="'n_figures'.*must be int"):
        execute.check_notebook_parameters(tiny.notebook, {**good, "n_figures": "two"})
    with pytest.raises(ParameterError, match="'suppress'.*must be bool"):
        execute.check_notebook_parameters(tiny.notebook, {**good, "suppress": 1})


def test_cli_param_coerced_to_declared_type(tiny):
    assert execute.parse_extra_params(tiny.notebook, ["n_figures=3"]) == {"n_figures": 3}
    with pytest.raises(ParameterError, match="must be int"):
        execute.parse_extra_params(tiny.notebook, ["n_figures=three"])
    with pytest.raises(ParameterError, match="own option"):
        execute.parse_extra_params(tiny.notebook, ["authority=E10000012"])


def test_unknown_param_on_command_line_exits_2_before_running(env, tiny, capsys, tmp_path):
    code = cli.main(["report", "--data", str(env["data"]), "--authority", tiny.home, "--notebook",
                     str(tiny.notebook), "--outputs", str(tmp_path / "o"), "--cache-dir", str(env["cache"]),
                     "-p", "colour=red"])
    assert code == 2
    assert "does not take parameter 'colour'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # nothing started


# ----------------------------------------------------------------------------- full runs

@pytest.fixture(scope="module")
def published(env, tiny_report):
    """The session's one successful run of the tiny notebook (tests/conftest.py ``tiny_report``),
    shared by the checks below; the failure checks run into the same outputs folder."""
    return tiny_report.outputs, tiny_report.result


def test_successful_run_publishes_everything(published, tiny):
    outputs, res = published
    folder = outputs / "2024-25_Q4" / f"{tiny.home}_tiny_report"
    assert Path(res.published_dir) == folder and Path(res.html) == folder / "report.html"
    for rel in ["report.html", "tiny_report.ipynb", "tables/indicators.csv", "tables.xlsx",
                "figures/figure_1.svg", "figures/figure_2.svg", "run.json"]:
        assert (folder / rel).is_file(), rel
    assert not (folder / "manifest.json").exists()
    assert list((outputs / ".staging").iterdir()) == []
    xl = pd.ExcelFile(folder / "tables.xlsx")
    assert xl.sheet_names == ["About", "indicators"]
    about = pd.read_excel(folder / "tables.xlsx", sheet_name="About", header=None)
    assert tiny.banner in about[1].tolist()


def test_run_json_records_provenance(published, env, tiny):
    outputs, res = published
    run = json.loads((Path(res.published_dir) / "run.json").read_text())
    assert run["parameters"]["authority"] == tiny.home and run["period"] == "2024-25 Q4"
    assert run["parameters"]["suppress"] is True and run["suppressed"] is True
    assert run["synthetic"] is True and run["banner"] == tiny.banner
    assert run["data"]["sha256"] == cache.data_fingerprint(env["data"])["sha256"]
    assert set(run["data"]["files"]) == {"referrals.csv", "metadata.json"}
    assert run["versions"]["pandas"] == pd.__version__
    assert {"checks", "execute", "render", "output_checks"} <= set(run["timings_s"])
    assert "commit" in run["git"] and run["kernel"] == "ot-benchmark"
    assert run["settings"]["sha256"] is not None
    assert [f["name"] for f in run["outputs"]["figures"]] == ["figure_1", "figure_2"]
    assert run["case_id_check"]["ids_checked"] == 3


def test_csv_is_suppressed(published):
    _, res = published
    csv = pd.read_csv(Path(res.published_dir) / "tables" / "indicators.csv", dtype=str)
    urgent = csv[(csv["indicator_id"] == "W5") & (csv["breakdown"] == "priority:urgent")].iloc[0]
    # 3 of 5 urgent referrals: numerator and the rate suppressed; high suppressed too (53 - 50 = 3)
    assert urgent["numerator"] == "[c]" and urgent["value"] == "[c]"
    high = csv[(csv["indicator_id"] == "W5") & (csv["breakdown"] == "priority:high")].iloc[0]
    assert high["numerator"] == "[c]"


def test_index_lists_published_report(published, tiny):
    outputs, res = published
    index = (outputs / "index.html").read_text()
    assert "2024-25 Q4" in index and "Lancashire" in index
    assert f"2024-25_Q4/{tiny.home}_tiny_report/report.html" in index
    assert tiny.banner in index


def test_failure_keeps_previous_outputs_and_failed_notebook(published, env, tiny):
    outputs, res = published
    before = (Path(res.published_dir) / "run.json").read_text()
    bad = _render(env, outputs, extra_params={"fail_for": tiny.home})
    assert not bad.ok
    assert "RuntimeError: deliberate failure for E10000017" in bad.error
    assert "Traceback" not in bad.error
    failed = Path(bad.failed_dir)
    assert failed.parent == outputs / "_failed" / "2024-25_Q4" / f"{tiny.home}_tiny_report"
    assert (failed / "tiny_report.ipynb").is_file() and (failed / "error.txt").is_file()
    assert (Path(res.published_dir) / "run.json").read_text() == before
    assert list((outputs / ".staging").iterdir()) == []


def test_case_identifier_in_output_fails_run(published, env, tiny):
    outputs, res = published
    before = (Path(res.published_dir) / "run.json").read_text()
    bad = _render(env, outputs, extra_params={"show_text": f"see case ({tiny.case_ids[1]})."})
    assert not bad.ok
    assert "case identifiers" in bad.error and tiny.case_ids[1] in bad.error
    assert (Path(res.published_dir) / "run.json").read_text() == before


def test_case_id_scan_reads_workbook_cells_and_figure_words(tmp_path):
    # a case id as a text cell, a long numeric id as a number cell, and one in a figure's words
    with pd.ExcelWriter(tmp_path / "tables.xlsx", engine="openpyxl") as xw:
        pd.DataFrame({"who": ["R0001234 & co", "fine"], "n": [123456, 7]}).to_excel(xw, sheet_name="t", index=False)
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "f.svg").write_text('<svg><g id="R0007777"><text x="1">case R0005555</text></g></svg>')
    hits, _ = case_ids.find_case_ids(tmp_path, {"referral_id": {"R0001234", "123456", "R0005555", "R0007777"}})
    assert {("tables.xlsx", "referral_id", "R0001234"), ("tables.xlsx", "referral_id", "123456"),
            ("figures/f.svg", "referral_id", "R0005555")} <= set(hits)
    assert not any(v == "R0007777" for _, _, v in hits)  # the figure's markup is not its words


def test_case_id_scan_matches_whole_tokens(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\nR0001234,5\n")
    (tmp_path / "b.html").write_text('<p>count 123456 of XR000999</p><img src="data:image/png;base64,R000999AAA">')
    hits, stats = case_ids.find_case_ids(tmp_path, {"referral_id": {"R0001234", "R000999", "123456", "42"}})
    assert ("a.csv", "referral_id", "R0001234") in hits
    assert ("b.html", "referral_id", "123456") in hits  # long numeric ids are checked
    assert not any(v == "R000999" for _, _, v in hits)  # XR000999 is another token; base64 ignored
    assert stats["ids_not_checkable"] == 1  # "42" would match ordinary numbers


def test_unsuppressed_run_says_analyst_only(env, tiny, tmp_path):
    res = _render(env, tmp_path / "out", authority=tiny.other, period="2024-25 Q3", suppress=False)
    assert res.ok, res.error
    html = Path(res.html).read_text()
    assert export.ANALYST_CLASS in html
    run = json.loads((Path(res.published_dir) / "run.json").read_text())
    assert run["suppressed"] is False
    assert "analyst-only" in (tmp_path / "out" / "index.html").read_text()


@pytest.mark.slow  # two councils rendered by a batch of two processes
def test_batch_carries_on_and_summarises(env, tiny, tmp_path, capsys):
    outputs = tmp_path / "out"
    code = cli.main(["batch", "--data", str(env["data"]), "--period", "2024-25 Q4", "--jobs", "2",
                     "--notebook", str(tiny.notebook), "--outputs", str(outputs),
                     "--cache-dir", str(env["cache"]), "-p", f"fail_for={tiny.home}", "-p", "n_figures=1"])
    captured = capsys.readouterr()
    assert code == 1
    assert "1 of 2 reports published" in captured.err
    assert f"{tiny.home} Lancashire:" in captured.err and "deliberate failure" in captured.err
    assert (outputs / "2024-25_Q4" / f"{tiny.other}_tiny_report" / "report.html").is_file()
    assert not (outputs / "2024-25_Q4" / f"{tiny.home}_tiny_report").exists()
    index = (outputs / "index.html").read_text()
    assert "Essex" in index and "Lancashire" not in index
    assert captured.out.strip().splitlines()[-1] == str(outputs / "index.html")


def test_batch_in_process_passes_its_table_on(env, tiny, tmp_path, monkeypatch):
    # jobs=1: the table the batch loaded (and checked every council against) is handed to each
    # council's run rather than read again; the options reach every run unchanged
    loads, runs = [], []
    real_load = cache.load_indicators
    monkeypatch.setattr(cache, "load_indicators", lambda *a, **kw: loads.append(a) or real_load(*a, **kw))

    def spy(data_dir, authority, period, options, *, indicators=None, update_index=True, kernel=None):
        runs.append((authority, period, options, indicators, kernel))
        return RunResult(authority, period, Path(options.notebook).stem, False, error="not run")

    monkeypatch.setattr(batch, "render_report", spy)
    options = RunOptions(notebook=str(tiny.notebook), outputs_dir=tmp_path / "o", cache_dir=env["cache"],
                         extra_params={"n_figures": 0})
    results = batch.render_batch(env["data"], "2024-25 Q4", options, jobs=1, progress=False)
    assert [r.authority for r in results] == sorted([tiny.home, tiny.other])
    assert len(loads) == 1
    assert all(r[3] is runs[0][3] for r in runs)  # one table, loaded once
    assert runs[0][4] is not None and all(r[4] is runs[0][4] for r in runs)  # one kernel kept for all
    pd.testing.assert_frame_equal(runs[0][3], env["table"])
    assert {r[2].extra_params["n_figures"] for r in runs} == {0} and {r[1] for r in runs} == {"2024-25 Q4"}
    assert Path(runs[0][2].outputs_dir) == (tmp_path / "o").resolve()


def test_report_cli_ends_with_html_path(env, tiny, tmp_path, capsys):
    code = cli.main(["report", "--data", str(env["data"]), "--authority", tiny.other, "--period", "2024-25 Q4",
                     "--notebook", str(tiny.notebook), "--outputs", str(tmp_path / "o"),
                     "--cache-dir", str(env["cache"]), "-p", "n_figures=0"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert out[-1] == str(tmp_path / "o" / "2024-25_Q4" / f"{tiny.other}_tiny_report" / "report.html")
    assert Path(out[-1]).is_file()


def test_case_id_index_is_hashed_memory_mapped_and_confirmed(tiny, tmp_path):
    """The identifiers are kept as sorted 64-bit hashes in .npy files, memory-mapped by each
    run; a token whose hash matches is confirmed against the identifiers themselves."""
    import numpy as np
    import pyarrow as pa

    data = tmp_path / "data"
    tiny.write_data_folder(data)
    index = case_ids.case_ids_of(str(data), "f" * 64, str(tmp_path / "cache"))
    assert index.counts["ids_checked"] >= len(tiny.case_ids)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_text(f"x\n{tiny.case_ids[0]}\nNOTANID1\n")
    hits, stats = case_ids.find_case_ids(out, index)
    assert hits == [("a.csv", "referral_id", tiny.case_ids[0])] and stats["ids_checked"] == index.counts["ids_checked"]
    # a hash that matches but is not an identifier (as a collision would) is not a hit
    fake = case_ids.string_hashes(pa.array(["NOTANID1"]))
    index.hashes["referral_id"] = np.sort(np.r_[np.asarray(index.hashes["referral_id"]), fake])
    assert case_ids.find_case_ids(out, index)[0] == hits
    case_ids._LAST.clear()  # a new process: read from the cache folder, memory-mapped
    again = case_ids.case_ids_of(str(data), "f" * 64, str(tmp_path / "cache"))
    assert isinstance(again.hashes["referral_id"], np.memmap)
    assert case_ids.find_case_ids(out, again)[0] == hits
