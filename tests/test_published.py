"""Real comparator data out and in: a council's return written for its neighbours, and published
tables (ASCOF) brought in as returns with England kept as a reference line.

The Trafford example (``data/examples/trafford_ascof``) is real published data; the expected
figures below are read from its ``source/`` files by hand.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.cli import main
from ot_benchmark.compare.benchmark import benchmark
from ot_benchmark.errors import ParameterError
from ot_benchmark.indicators.engine import compute_indicators
from ot_benchmark.io.published import import_published, read_mapping, read_reference_lines
from ot_benchmark.io.validate import load_data, validate_folder
from ot_benchmark.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
TRAFFORD_DIR = ROOT / "data" / "examples" / "trafford_ascof"
SOURCE = TRAFFORD_DIR / "source"
TRAFFORD = "E08000009"
ENGLAND = "E92000001"
SAMPLE = ROOT / "data" / "sample"


# --------------------------------------------------------------------------- the Trafford example
def test_example_folder_validates_with_zero_rejects():
    report = validate_folder(TRAFFORD_DIR)
    assert report.n_rejected == 0
    # 170 + 187 published rows = 319 council figures + 20 England figures + 18 'NA' left out
    assert int(report.summary["rows_accepted"].sum()) == 319
    meta = json.loads((TRAFFORD_DIR / "metadata.json").read_text())
    assert meta["left_out"]["by_reason"] == {"no value published": 18}
    assert meta["home_authority"] == TRAFFORD and meta["synthetic"] is False


def test_england_rows_are_reference_lines_not_councils():
    returns = load_data(TRAFFORD_DIR)["returns"]
    assert ENGLAND not in set(returns["authority_code"])
    assert returns["authority_code"].nunique() == 16  # Trafford and its 15 peers
    ref = read_reference_lines(TRAFFORD_DIR)
    assert set(ref["area_code"]) == {ENGLAND}
    # source/social_care_satisfaction.csv: England 2023/24 65.4; source/admissions...: England 2022/23 560.8
    e = ref.set_index(["indicator_id", "period"])["value"]
    assert e[("ASCOF_3A", "2023-24")] == 65.4 and e[("ASCOF_2A2", "2022-23")] == 560.8
    assert ("ASCOF_3A", "2020-21") not in e.index  # no survey that year: NA, left out


def test_example_folder_is_what_the_import_makes(tmp_path):
    # the committed folder is reproducible from source/ with the command in its README
    rc = main(["import-published", str(SOURCE / "admissions_care_homes_65p.csv"),
               str(SOURCE / "social_care_satisfaction.csv"), "--mapping", str(SOURCE / "ascof_mapping.toml"),
               "--out", str(tmp_path), "--home", TRAFFORD, "--peers", str(SOURCE / "nhsennpg.csv")])
    assert rc == 0
    for name in ("returns.csv", "local_indicators.csv", "settings.toml", "reference_lines.csv",
                 "groups/peer_group.csv"):
        assert (tmp_path / name).read_text() == (TRAFFORD_DIR / name).read_text(), name


def test_trafford_robust_distance_by_hand():
    """ASCOF 3A 2023-24, Trafford and its 15 NHS England peers (source/social_care_satisfaction.csv):

    52.3 (Trafford) 55.8 58.4 58.9 59.6 60.1 60.3 60.9 | 61.3 61.4 61.8 61.8 63.8 65.4 66.1 72.4
    median (60.9 + 61.3) / 2 = 61.1
    |deviations| sorted: 0.2 0.2 0.3 0.7 0.7 0.8 1.0 1.5 | 2.2 2.7 2.7 4.3 5.0 5.3 8.8 11.3
    MAD (1.5 + 2.2) / 2 = 1.85; Trafford (52.3 - 61.1) / 1.85 = -4.757 MADs: "well below".
    """
    table = compute_indicators(load_data(TRAFFORD_DIR))
    cat = load_settings(TRAFFORD_DIR / "settings.toml").catalogue()
    b = benchmark(table, TRAFFORD, "2023-24", TRAFFORD_DIR / "groups" / "peer_group.csv", catalogue=cat)
    r = b.set_index("indicator_id").loc["ASCOF_3A"]
    assert r["value"] == 52.3 and r["n_comparators"] == 16
    assert r["group_median"] == pytest.approx(61.1) and r["group_mad"] == pytest.approx(1.85)
    assert r["mad_distance"] == pytest.approx(-8.8 / 1.85)
    # beyond 3 MADs below the median, and higher satisfaction is better: worse (one verdict, docs/methods.md)
    assert (r["mad_band"], r["verdict_basis"], r["verdict"]) == ("well below", "robust_distance", "worse")
    assert r["fingertips_label"] == "Not compared" and r["decimals"] == 1
    assert ENGLAND not in b.attrs["comparator_codes"]


def test_trafford_group_file_is_usable_as_group_on_the_command_line(tmp_path):
    out = tmp_path / "b.csv"
    assert main(["benchmark", "--data", str(TRAFFORD_DIR), "--authority", TRAFFORD, "--period", "2022/23",
                 "--group", str(TRAFFORD_DIR / "groups" / "peer_group.csv"), "--out", str(out)]) == 0
    r = pd.read_csv(out).set_index("indicator_id").loc["ASCOF_2A2"]
    # 2022/23 admissions, 16 councils: median of 101.1 238.5 294.7 380.2 391.7 424.4 475.3 499.3 |
    # 531.5 545 569.4 597.3 603 611.7 629.3 668.1 = (499.3 + 531.5) / 2 = 515.4
    assert r["group_median"] == pytest.approx(515.4) and r["verdict_basis"] == "robust_distance"


# --------------------------------------------------------------------------- the import itself
def _mapping(tmp_path: Path, extra: str = "") -> Path:
    m = tmp_path / "m.toml"
    m.write_text(
        'reference_lines = ["England"]\n' + extra +
        '[columns]\nauthority = "Area"\nperiod = "Year"\nmeasure = "Measure"\nvalue = "Value"\n'
        'numerator = "Num"\ndenominator = "Den"\n'
        '[[measures]]\nmatch = "Quality of life impact"\nindicator_id = "L_qol"\nname = "QoL impact"\n'
        'unit = "score"\npolarity = "higher_is_better"\nmethod = "ratio"\ndecimals = 3\nmin_value = 0.1\n'
        'max_value = 1\n'
        '[[measures]]\nmatch = "Assessed in time"\nindicator_id = "W5"\n')
    return m


def test_names_periods_sentinels_and_england(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(
        "Area,Year,Measure,Value,Num,Den\n"
        "England,2017/18,Quality of life impact,0.410,,\n"
        "Dorset,2017/18,Quality of life impact,0.420,,\n"        # Dorset County in 2017-18
        "Dorset,2020/21,Quality of life impact,0.430,,\n"        # Dorset Council from 2019
        "Bournemouth,2017/18,Quality of life impact,0.000,,\n"   # a placeholder: outside 0.1-1
        "Trafford Metropolitan Borough Council,2017/18,Quality of life impact,0.400,,\n"
        "Narnia,2017/18,Quality of life impact,0.400,,\n"
        "London,2017/18,Quality of life impact,0.405,,\n"         # a region: a reference line
        "City of London,2017/18,Quality of life impact,0.415,,\n" # a council
        "\"Kingston upon Hull, City of\",2017/18,Quality of life impact,0.395,,\n"
        "E08000007,2017/18,Assessed in time,,NA,50\n"             # nothing to compute a value from
        "E08000009,2017/18,Assessed in time,,40,50\n"            # value computed later: 80%
        "E08000009,2017/18,Something else,1,,\n")
    res = import_published(table, read_mapping(_mapping(tmp_path)))
    got = res.returns.set_index(["authority_code", "period", "indicator_id"])["value"]
    assert got[("E10000009", "2017-18", "L_qol")] == 0.42      # Dorset County
    assert got[("E06000059", "2020-21", "L_qol")] == 0.43      # Dorset Council
    assert got[(TRAFFORD, "2017-18", "L_qol")] == 0.40
    assert np.isnan(got[(TRAFFORD, "2017-18", "W5")])
    assert got[("E09000001", "2017-18", "L_qol")] == 0.415    # City of London, not the London region
    assert got[("E06000010", "2017-18", "L_qol")] == 0.395    # Kingston upon Hull
    assert sorted(res.reference_lines[["area_name", "period", "value"]].values.tolist()) == [
        ["England", "2017-18", 0.41], ["London", "2017-18", 0.405]]
    assert ("E08000007", "2017-18", "W5") not in got.index
    reasons = dict(zip(res.left_out["area"], res.left_out["reason"]))
    assert reasons["Bournemouth"].startswith("value outside the plausible range")
    assert reasons["Narnia"] == "not a council name we know for 2017-18"
    assert res.left_out["reason"].tolist().count("measure not in the mapping") == 1
    assert res.left_out["reason"].tolist().count("no value published") == 1
    # W5 is built in: only L_qol gets a catalogue entry
    assert res.catalogue["indicator_id"].tolist() == ["L_qol"]


def test_imported_folder_validates_and_computes(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("Area,Year,Measure,Value,Num,Den\nE08000009,2017/18,Assessed in time,,40,50\n"
                     "E08000007,2017/18,Assessed in time,,30,50\n")
    out = tmp_path / "folder"
    assert main(["import-published", str(table), "--mapping", str(_mapping(tmp_path)), "--out", str(out)]) == 0
    t = compute_indicators(load_data(out))
    assert t.set_index("authority_code").loc[TRAFFORD, "value"] == 80.0
    # the folder is not written over unasked
    with pytest.raises(ParameterError, match="already holds returns"):
        from ot_benchmark.cli.returns import run_import_published
        import argparse
        run_import_published(argparse.Namespace(files=[str(table)], mapping=str(_mapping(tmp_path)), out=str(out),
                                                home=None, peers=None, description=None, force=False))


# --------------------------------------------------------------------------- a return out
@pytest.fixture(scope="module")
def sample_table():
    from ot_benchmark.indicators import cache

    return cache.load_indicators(SAMPLE, SAMPLE / "settings.toml")


def test_return_round_trip_into_a_neighbours_folder(tmp_path, sample_table, capsys):
    out = tmp_path / "lancashire_return.csv"
    assert main(["return", "--data", str(SAMPLE), "--authority", "E10000017", "--period", "2024-25 Q4",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    written = pd.read_csv(out)
    assert list(written.columns) == ["authority_code", "period", "indicator_id", "breakdown", "numerator",
                                     "denominator", "value", "note"]
    assert set(written["authority_code"]) == {"E10000017"} and set(written["period"]) == {"2024-25 Q4"}
    # the neighbour drops it into a fresh folder unchanged: every row accepted
    neighbour = tmp_path / "neighbour"
    neighbour.mkdir()
    shutil.copy(out, neighbour / "returns.csv")
    bundle = load_data(neighbour)
    assert bundle.rejects.empty, bundle.rejects.to_string()
    assert len(bundle["returns"]) == len(written) > 100
    # the same figures as the council's own table, where they are shown
    own = sample_table[(sample_table["authority_code"] == "E10000017") & (sample_table["period"] == "2024-25 Q4")
                       & (sample_table["source"] == "case_level")].set_index(["indicator_id", "breakdown"])
    back = bundle["returns"].set_index(["indicator_id", "breakdown"])
    assert back["value"].to_numpy() == pytest.approx(own.loc[back.index, "value"].to_numpy())
    # and the computed table of the neighbour's folder takes them as returns
    t = compute_indicators(bundle)
    assert (t["source"] == "return").all() and len(t) == len(written)
    assert "Synthetic" in written["note"].iloc[0]  # the sample is synthetic, and its return says so
    assert "wrote" in printed


def test_return_withholds_small_numbers():
    from ot_benchmark.report.returns import council_return

    rows = pd.DataFrame({
        "authority_code": "E10000017", "period": "2024-25 Q1", "indicator_id": "W5", "source": "case_level",
        "breakdown": ["all", "priority:urgent", "priority:high"],
        "numerator": [40.0, 2.0, 38.0], "denominator": [50.0, 5.0, 45.0], "value": [80.0, 40.0, 84.44],
        "note": None})
    out, withheld = council_return(rows, "E10000017", "2024-25 Q1")
    # 2 of 5 urgent is a small count; high is withheld too (else 40 - 38 reveals it)
    assert out["breakdown"].tolist() == ["all"] and out["value"].tolist() == [80.0]
    assert withheld["breakdown"].tolist() == ["priority:urgent", "priority:high"]
    with pytest.raises(ParameterError, match="no figures for E10000017 in 2023-24 Q1"):
        council_return(rows, "E10000017", "2023-24 Q1")
