"""Known changes for SPC re-basing: settings ``[spc] changes`` and ``Settings.spc_rebase``.

Expected values are written out by hand in the comments; the sample check compares the sample's
settings with the generator's own truth file (data/sample/synthetic_truth.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.report import narrative
from ot_benchmark.settings import SettingsError, load_settings
from ot_benchmark.stats.spc import xmr

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
LANCS = "E10000017"
# twelve quarters 2022-23 Q1 .. 2024-25 Q4
QUARTERS = [f"{y}-{(y + 1) % 100:02d} Q{q}" for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)]


def _toml(tmp_path, text):
    p = tmp_path / "council.toml"
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------------------- validation

def test_default_declares_no_changes():
    s = load_settings()
    assert s["spc"]["changes"] == []
    assert s.spc_changes().empty
    assert s.spc_rebase(LANCS, QUARTERS, "W5").empty


def test_good_changes_are_read_and_periods_made_canonical(tmp_path):
    p = _toml(tmp_path, '[spc]\nchanges = [\n'
                        '  { authority = "E10000017", period = "2023/24 Q3", note = "OT posts doubled" },\n'
                        '  { authority = "E10000018", period = "Q1 2024-25", indicators = ["E", "W5"] },\n'
                        ']\n')
    s = load_settings(p)
    ch = s.spc_changes()
    assert ch["authority"].tolist() == ["E10000017", "E10000018"]
    assert ch["period"].tolist() == ["2023-24 Q3", "2024-25 Q1"]  # written two other ways in the file
    assert ch["note"].tolist() == ["OT posts doubled", ""]
    assert ch["indicators"].tolist() == [(), ("E", "W5")]
    assert s.spc_changes(LANCS)["period"].tolist() == ["2023-24 Q3"]
    assert json.loads(s.to_json())["settings"]["spc"]["changes"][0]["period"] == "2023-24 Q3"


@pytest.mark.parametrize("entry, message", [
    # unknown key in a change
    ('{ authority = "E10000017", period = "2023-24 Q3", reason = "x" }',
     r"'spc\.changes\[1\]\.reason' is not a known key of a change; use authority, period, note, indicators"),
    # bad periods: calendar-or-financial ambiguity, a month, a number
    ('{ authority = "E10000017", period = "2023 Q3" }',
     r"'spc\.changes\[1\]\.period' must be a financial-year quarter such as \"2023-24 Q3\".*not '2023 Q3'"),
    ('{ authority = "E10000017", period = "October 2023" }', r"'spc\.changes\[1\]\.period' must be a financial-year"),
    ('{ authority = "E10000017", period = 2023 }', r"'spc\.changes\[1\]\.period' must be a financial-year"),
    ('{ authority = "E10000017", period = "2023-25 Q3" }', r"'spc\.changes\[1\]\.period'"),
    # missing or malformed authority
    ('{ period = "2023-24 Q3" }', r"'spc\.changes\[1\]' has no 'authority'"),
    ('{ authority = "Lancashire", period = "2023-24 Q3" }', r"must be a council's ONS code"),
    # note and indicators
    ('{ authority = "E10000017", period = "2023-24 Q3", note = 2 }', r"'spc\.changes\[1\]\.note' must be text"),
    ('{ authority = "E10000017", period = "2023-24 Q3", indicators = ["W55"] }',
     r"has 'W55', which is neither a catalogue indicator id"),
    ('{ authority = "E10000017", period = "2023-24 Q3", indicators = "W5" }',
     r"'spc\.changes\[1\]\.indicators' must be a list"),
    ('"2023-24 Q3"', r"'spc\.changes\[1\]' must be a table like"),
])
def test_bad_changes_are_rejected_with_a_clear_message(tmp_path, entry, message):
    p = _toml(tmp_path, f"[spc]\nchanges = [{entry}]\n")
    with pytest.raises(SettingsError, match=message):
        load_settings(p)


def test_second_entry_is_named_and_unknown_spc_key_rejected(tmp_path):
    ok = '{ authority = "E10000017", period = "2023-24 Q3" }'
    with pytest.raises(SettingsError, match=r"spc\.changes\[2\]\.period"):
        load_settings(_toml(tmp_path, f'[spc]\nchanges = [{ok}, {{ authority = "E10000017", period = "2024" }}]\n'))
    with pytest.raises(SettingsError, match=r"unknown setting 'spc\.rebase'.*Known keys in \[spc\]: changes"):
        load_settings({"spc": {"rebase": ["2023-24 Q3"]}})


def test_a_mapping_passed_in_is_not_modified():
    given = {"spc": {"changes": [{"authority": LANCS, "period": "2023/24 Q3"}]}}
    load_settings(given)
    assert given["spc"]["changes"][0]["period"] == "2023/24 Q3"


# ---------------------------------------------------------------------------- the helper

def _settings(*changes):
    return load_settings({"spc": {"changes": list(changes)}})


def test_rebase_periods_for_the_council_and_indicator():
    s = _settings(
        {"authority": LANCS, "period": "2023-24 Q3", "note": "OT posts doubled", "indicators": ["W", "C"]},
        {"authority": LANCS, "period": "2024-25 Q1", "note": "new equipment contract", "indicators": ["E1"]},
        {"authority": "E10000018", "period": "2023-24 Q1", "note": "another council"},
    )
    w5 = s.spc_rebase(LANCS, QUARTERS, "W5")     # family W
    assert w5.to_dict("records") == [{"period": "2023-24 Q3", "declared_period": "2023-24 Q3",
                                      "note": "OT posts doubled"}]
    assert s.spc_rebase(LANCS, QUARTERS, "C4")["period"].tolist() == ["2023-24 Q3"]   # family C
    assert s.spc_rebase(LANCS, QUARTERS, "E1")["period"].tolist() == ["2024-25 Q1"]   # by id
    assert s.spc_rebase(LANCS, QUARTERS, "E2").empty                                  # neither
    assert s.spc_rebase(LANCS, QUARTERS).empty           # no indicator: only changes for every indicator
    assert s.spc_rebase("E10000018", QUARTERS, "K3")["period"].tolist() == ["2023-24 Q1"]


def test_rebase_moves_to_the_next_charted_quarter_and_drops_the_ends():
    s = _settings({"authority": LANCS, "period": "2023-24 Q3", "note": "a"},
                  {"authority": LANCS, "period": "2023-24 Q4", "note": "b"},
                  {"authority": LANCS, "period": "2022-23 Q1", "note": "at the first point"},
                  {"authority": LANCS, "period": "2025-26 Q1", "note": "after the chart"})
    charted = [q for q in QUARTERS if q not in ("2023-24 Q3", "2023-24 Q4")]  # two quarters missing
    rb = s.spc_rebase(LANCS, charted[::-1], "W5")  # order of the periods given does not matter
    # both changes land on 2024-25 Q1, the first charted quarter after them: one re-base, notes joined
    assert rb.to_dict("records") == [{"period": "2024-25 Q1", "declared_period": "2023-24 Q3", "note": "a; b"}]


def test_helper_gives_xmr_the_right_rebase():
    # a step from about 10 to about 20 at 2023-24 Q3 (the 7th of 12 quarters)
    values = [10, 12, 11, 9, 10, 12, 20, 22, 21, 19, 20, 22]
    series = pd.DataFrame({"period": QUARTERS, "value": values})
    s = _settings({"authority": LANCS, "period": "2023-24 Q3", "note": "OT posts doubled"})
    rb = s.spc_rebase(LANCS, series["period"], "W5")
    points, summary = xmr(series, date_col="period", rebase=rb["period"], improvement_direction="increase")
    assert points["segment"].tolist() == [0] * 6 + [1] * 6
    assert summary["n_segments"] == 2
    # by hand: segment 0 mean 64/6 = 10.6667, moving ranges 2,1,2,1,2 -> mean 1.6, UPL = mean + 2.66 x 1.6
    seg0 = points[points["segment"] == 0].iloc[0]
    assert seg0["mean"] == pytest.approx(64 / 6)
    assert seg0["upl"] == pytest.approx(64 / 6 + 2.66 * 1.6)
    # segment 1 mean 124/6 = 20.6667, its own moving ranges 2,1,2,1,2 -> the same width
    seg1 = points[points["segment"] == 1].iloc[0]
    assert seg1["mean"] == pytest.approx(124 / 6)
    assert seg1["lpl"] == pytest.approx(124 / 6 - 2.66 * 1.6)
    # within their own limits no point is special; unbased, the step shows as special causes
    assert (points["point_type"] == "common_cause").all()
    plain, _ = xmr(series, date_col="period", improvement_direction="increase")
    assert (plain["point_type"] != "common_cause").any()
    # the words under the chart: provisional counts the quarters since the re-base (6)
    assert narrative.spc_sentence(summary["variation"], points=points, n_points=summary["n_points"]) == (
        "The latest quarter is within the range expected from normal variation; no quarter on the chart "
        "stands out (provisional: only 6 quarters since the limits were re-based).")
    assert narrative.spc_rebase_sentence(rb) == (
        "The limits were re-based at 2023-24 Q3 because of a known change: OT posts doubled. Each stretch "
        "has its own mean and limits, so every quarter is judged against how the service worked at the time.")


def test_empty_rebase_leaves_xmr_as_without():
    series = pd.DataFrame({"period": QUARTERS, "value": np.arange(12.0) % 3})
    rb = load_settings().spc_rebase(LANCS, series["period"], "W5")
    a, _ = xmr(series, date_col="period", rebase=rb["period"])
    b, _ = xmr(series, date_col="period")
    pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------------------------------- the sample

def test_sample_settings_declare_the_generators_step_change():
    truth = json.loads((SAMPLE / "synthetic_truth.json").read_text(encoding="utf-8"))["step_change"]
    s = load_settings(SAMPLE / "settings.toml")
    ch = s.spc_changes()
    assert ch[["authority", "period"]].values.tolist() == [[truth["authority"], truth["quarter"]]]
    assert s.spc_rebase(truth["authority"], QUARTERS, "W5")["period"].tolist() == [truth["quarter"]]
    # everything else in the sample settings is the package default, except the sample's own
    # indicator catalogue (local_catalogue, resolved beside the settings file)
    d = load_settings()
    assert s.local_catalogue_path == (SAMPLE / "local_indicators.csv").resolve()
    mine = ("spc", "local_catalogue")
    assert {k: v for k, v in s.items() if k not in mine} == {k: v for k, v in d.items() if k not in mine}


def test_sample_w5_chart_rebased_at_the_step_shows_the_truths_better_after():
    from ot_benchmark.indicators import cache
    from ot_benchmark.report import plots

    truth = json.loads((SAMPLE / "synthetic_truth.json").read_text(encoding="utf-8"))["step_change"]
    # the sample's returns hold its own indicator, so it needs its settings (local_catalogue)
    ind = cache.load_indicators(SAMPLE, SAMPLE / "settings.toml", None, authorities=[truth["authority"]])
    series = plots.indicator_rows(ind, "W5", authorities=[truth["authority"]])
    rb = load_settings(SAMPLE / "settings.toml").spc_rebase(truth["authority"], series["period"], "W5")
    points, summary = xmr(series, date_col="period", rebase=rb["period"], improvement_direction="increase")
    before = points.loc[points["date"] < truth["quarter"], "mean"].unique()
    after = points.loc[points["date"] >= truth["quarter"], "mean"].unique()
    assert len(before) == 1 and len(after) == 1 and summary["n_segments"] == 2
    assert truth["performance_before"] == "worse" and truth["performance_after"] == "better"
    assert after[0] > before[0] + 10  # W5 (% assessed within target) rises by more than 10 points
