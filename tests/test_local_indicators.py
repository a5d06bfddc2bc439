"""A council's own indicators (settings ``local_catalogue``) get everything the built-in ones get.

The catalogue is named once, in the settings file, and every component takes it from
:meth:`ot_benchmark.settings.Settings.catalogue`: the engine (intervals), the cache (its key
follows the catalogue file's bytes), ``benchmark`` (comparison, rank), the SPC settings, the
``benchmark`` CLI and the published report (a "Local indicators" section). The synthetic
generator writes such an indicator from its own random stream.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.indicators import cache
from ot_benchmark.compare import benchmark as compare
from ot_benchmark.io import synth
from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.cli import main
from ot_benchmark.indicators.engine import compute_indicators
from ot_benchmark.settings import SettingsError, load_settings

HOME, Q1 = "E10000017", "2024-25 Q1"  # Lancashire
# three of Lancashire's CIPFA neighbours
N1, N2, N3 = "E10000007", "E10000011", "E10000012"
LOCAL = dict(indicator_id="L1_phone_24h", name="Phone messages answered within 24 hours", family="local",
             unit="%", multiplier=100, polarity="higher_is_better", method="proportion",
             definition="Messages answered within 24 hours of all messages left", target=90,
             target_local_standard=True, caveat="", kind="flow")


def _returns() -> pd.DataFrame:
    """HOME 45 of 50, N1 30/50, N2 40/50 (value blank: computed), N3 35/50 with the value given (70.0)."""
    rows = [(HOME, Q1, "L1_phone_24h", "all", 45, 50, None), (N1, Q1, "L1_phone_24h", "all", 30, 50, None),
            (N2, Q1, "L1_phone_24h", "all", 40, 50, None), (N3, Q1, "L1_phone_24h", "all", 35, 50, 70.0)]
    return pd.DataFrame(rows, columns=["authority_code", "period", "indicator_id", "breakdown", "numerator",
                                       "denominator", "value"])


def _council_files(folder: Path, **over) -> Path:
    """A settings file naming a local catalogue beside it (relative path); returns the settings path."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([{**LOCAL, **over}]).to_csv(folder / "local_indicators.csv", index=False)
    s = folder / "settings.toml"
    s.write_text('local_catalogue = "local_indicators.csv"\n', encoding="utf-8")
    return s


# ------------------------------------------------------------------------------------ settings
def test_local_catalogue_is_resolved_beside_the_settings_file(tmp_path, monkeypatch):
    s_path = _council_files(tmp_path / "council")
    monkeypatch.chdir(tmp_path)  # not the settings file's folder
    s = load_settings(s_path)
    assert s.local_catalogue_path == (tmp_path / "council" / "local_indicators.csv").resolve()
    cat = s.catalogue()
    assert cat["indicator_id"].iloc[-1] == "L1_phone_24h" and cat["family"].iloc[-1] == "local"
    assert s.local_indicator_ids() == ["L1_phone_24h"]
    # the defaults name none: the built-in catalogue only
    d = load_settings()
    assert d.local_catalogue_path is None and d.local_indicator_ids() == []
    assert "L1_phone_24h" not in set(d.catalogue()["indicator_id"])
    # [targets] may set a local indicator's target
    t = load_settings({"local_catalogue": str(s.local_catalogue_path), "targets": {"L1_phone_24h": 95.0}})
    assert t.catalogue().set_index("indicator_id").at["L1_phone_24h", "target"] == 95.0


def test_missing_local_catalogue_is_a_clear_error(tmp_path):
    s = tmp_path / "settings.toml"
    s.write_text('local_catalogue = "nowhere.csv"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as e:
        load_settings(s)
    msg = str(e.value)
    assert "local_catalogue" in msg and str(tmp_path / "nowhere.csv") in msg and 'local_catalogue = ""' in msg
    with pytest.raises(SettingsError, match="should be text in quotes"):
        load_settings({"local_catalogue": 3})


def test_spc_changes_may_name_local_indicators(tmp_path):
    s_path = _council_files(tmp_path)
    change = '[spc]\nchanges = [{ authority = "E10000017", period = "2024-25 Q1", indicators = ["%s"] }]\n'
    for ids in ("L1_phone_24h", "local"):
        s_path.write_text('local_catalogue = "local_indicators.csv"\n' + change % ids, encoding="utf-8")
        rb = load_settings(s_path).spc_rebase(HOME, ["2023-24 Q4", Q1, "2024-25 Q2"], "L1_phone_24h")
        assert rb["period"].tolist() == [Q1]
        # a built-in indicator's chart is not re-based by a change limited to the local one
        assert load_settings(s_path).spc_rebase(HOME, ["2023-24 Q4", Q1], "W5").empty
    # without the local catalogue the id is unknown
    bare = tmp_path / "bare.toml"
    bare.write_text(change % "L1_phone_24h", encoding="utf-8")
    with pytest.raises(SettingsError, match="L1_phone_24h"):
        load_settings(bare)


# ------------------------------------------------------------------------------------ engine
def test_engine_takes_the_local_indicator_from_the_settings(tmp_path):
    s_path = _council_files(tmp_path)
    t = compute_indicators(DataBundle.from_frames(returns=_returns()), [Q1], settings=s_path)
    t = t.set_index("authority_code")
    home = t.loc[HOME]
    assert (home.value, home.unit, home.ci_method, home.source) == (90.0, "%", "wilson", "return")
    # Wilson 95% for 45 of 50 (z = 1.959964, z^2 = 3.841459): centre (0.9 + z^2/100) / (1 + z^2/50)
    # = 0.938415 / 1.076829 = 0.871464; half-width z * sqrt(0.9*0.1/50 + z^2/10000) / 1.076829
    # = 1.959964 * sqrt(0.0018 + 0.000384146) / 1.076829 = 0.085063 -> 78.640% to 95.652%
    assert home.lower_95 == pytest.approx(78.640, abs=1e-3)
    assert home.upper_95 == pytest.approx(95.652, abs=1e-3)
    # blank value computed from the counts (40/50), supplied value kept (70.0 = 35/50)
    assert t.loc[N2, "value"] == 80.0 and t.loc[N3, "value"] == 70.0
    # 30 of 50: centre (0.6 + 0.038415) / 1.076829 = 0.592868, half-width
    # 1.959964 * sqrt(0.0048 + 0.000384146) / 1.076829 = 0.131051 -> 46.182% to 72.392%
    assert (t.loc[N1, "lower_95"], t.loc[N1, "upper_95"]) == (pytest.approx(46.182, abs=1e-3), pytest.approx(72.392, abs=1e-3))
    assert t.attrs["targets"]["L1_phone_24h"] == 90.0
    # without the settings the returns name an unknown indicator, and the message says how to fix it
    with pytest.raises(Exception, match="L1_phone_24h.*local_catalogue"):
        compute_indicators(DataBundle.from_frames(returns=_returns()), [Q1])


# ------------------------------------------------------------------------------------ cache
def test_cache_key_follows_the_local_catalogue_content(tmp_path, monkeypatch, tiny):
    monkeypatch.setenv(cache.CODE_FINGERPRINT_ENV, "local-indicator-tests")
    data = tiny.write_data_folder(tmp_path / "data")  # the runner tests' tiny folder (conftest.py)
    _returns().assign(value=np.nan).to_csv(data / "returns.csv", index=False)  # values computed
    s_path = _council_files(tmp_path / "council")  # catalogue outside the data folder
    k0 = cache.indicator_cache_key(data, None)
    k1 = cache.indicator_cache_key(data, s_path)
    assert k1 != k0
    t1 = cache.load_indicators(data, s_path, tmp_path / "cache", authorities=[HOME], periods=[Q1])
    assert t1.loc[t1.indicator_id == "L1_phone_24h", "value"].tolist() == [90.0]
    # same settings bytes, new catalogue bytes (a proportion now shown as a fraction): a new key,
    # and the table is recomputed rather than read stale from the cache
    before = s_path.read_bytes()
    pd.DataFrame([{**LOCAL, "multiplier": 1, "unit": "proportion"}]).to_csv(tmp_path / "council" / "local_indicators.csv", index=False)
    assert s_path.read_bytes() == before
    k2 = cache.indicator_cache_key(data, s_path)
    assert k2 not in (k0, k1)
    t2 = cache.load_indicators(data, s_path, tmp_path / "cache", authorities=[HOME], periods=[Q1])
    assert t2.loc[t2.indicator_id == "L1_phone_24h", "value"].tolist() == [0.9]
    fp = cache.settings_fingerprint(s_path)["local_catalogue"]
    assert fp["path"] == str((tmp_path / "council" / "local_indicators.csv").resolve())
    assert fp["sha256"] == hashlib.sha256((tmp_path / "council" / "local_indicators.csv").read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------ benchmark
def test_benchmark_compares_and_ranks_the_local_indicator(tmp_path, monkeypatch, tiny):
    s_path = _council_files(tmp_path)
    settings = load_settings(s_path)
    t = compute_indicators(DataBundle.from_frames(returns=_returns()), [Q1], settings=settings)
    b = compare.benchmark(t, HOME, Q1, "cipfa", catalogue=settings.catalogue())
    row = b[b.indicator_id == "L1_phone_24h"].iloc[0]
    # pooled group (self included): (45 + 30 + 40 + 35) / (50 * 4) = 150 / 200 = 75%
    assert row.comparator_value == pytest.approx(75.0)
    # higher is better: 90 > 80 > 70 > 60, so Lancashire ranks 1st of the 4 councils with a figure
    assert (row["rank"], row.n_in_group) == (1, 4)
    # its 95% interval (78.64 to 95.65) lies above 75: better
    assert row.assessment == "better" and row.indicator_name == LOCAL["name"]

    # the benchmark CLI takes the same settings (and so the local catalogue)
    monkeypatch.setenv("OT_BENCHMARK_CACHE", str(tmp_path / "cache"))
    data = tiny.write_data_folder(tmp_path / "data")
    _returns().to_csv(data / "returns.csv", index=False)
    out = tmp_path / "bench.csv"
    assert main(["benchmark", "--data", str(data), "--authority", HOME, "--period", Q1,
                 "--settings", str(s_path), "--out", str(out)]) == 0
    cli = pd.read_csv(out)
    cli_row = cli[cli.indicator_id == "L1_phone_24h"].iloc[0]
    assert cli_row["rank"] == 1 and cli_row.comparator_value == pytest.approx(75.0)


# ------------------------------------------------------------------------------------ synth
def test_synth_local_returns_leave_every_other_file_unchanged(tmp_path):
    kw = dict(home=HOME, authorities=[HOME, N1, N2], first_year=2023, last_year=2023, seed=7, scale=0.05)
    plain = tmp_path / "plain"
    local = tmp_path / "local"
    synth.write_folder(plain, **kw)
    meta = synth.write_folder(local, **kw, local_indicators=True)
    for p in plain.glob("*.parquet"):
        assert (local / p.name).read_bytes() == p.read_bytes(), p.name
    t_plain = json.loads((plain / "synthetic_truth.json").read_text(encoding="utf-8"))
    t_local = json.loads((local / "synthetic_truth.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in t_local.items() if k != "local_indicators"} == t_plain
    truth = t_local["local_indicators"]["L1_phone_24h"]
    assert meta["rows"]["returns"] == 3 * 4

    from ot_benchmark.io.validate import validate_folder

    report = validate_folder(local)
    assert report.rejects.empty
    ret = pd.read_parquet(local / "returns.parquet")
    assert ret["value"].isna().any() and ret["value"].notna().any()  # blank values allowed
    s = tmp_path / "settings.toml"
    s.write_text(f'local_catalogue = "{(local / synth.LOCAL_CATALOGUE_FILE).as_posix()}"\n', encoding="utf-8")
    t = compute_indicators(report.bundle, settings=s)
    t = t[t.indicator_id == "L1_phone_24h"]
    # pooled over the year, each comparator's rate is within 4 standard errors of its true rate
    # (the home council's rate changes at the step quarter, so it is left out)
    pooled = t.groupby("authority_code")[["numerator", "denominator"]].sum()
    rate = pooled["numerator"] / pooled["denominator"]
    true = pd.Series(truth["true_rate"])
    se = np.sqrt(true * (1 - true) / pooled["denominator"])
    for code in (N1, N2):
        assert abs(rate[code] - true[code]) < 4 * se[code]


# ------------------------------------------------------------------------------------ the report
def test_report_publishes_the_local_section(sample_report):
    # the session's quarterly report on data/sample (tests/conftest.py), written by the generator
    # with its local indicator and rendered with the sample's settings, which name that catalogue
    res = sample_report.result
    assert res.ok, res.error
    folder = Path(res.published_dir)
    settings = (sample_report.data / "settings.toml").read_text(encoding="utf-8")
    assert f'local_catalogue = "{synth.LOCAL_CATALOGUE_FILE}"' in settings
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="local-indicators"' in html and "Phone messages answered within 24 hours" in html
    for kind in ("comparator", "spc"):
        assert (folder / "figures" / f"local1_{kind}.svg").is_file()
    summary = pd.read_csv(folder / "tables" / "summary.csv")
    assert "L1_phone_24h" in summary.astype(str).to_numpy()
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    local = run["settings"]["local_catalogue"]
    assert local["sha256"] == cache.file_sha256(Path(local["path"]))
