"""The engine: the indicator table's shape, comparators' returns, local indicators, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.cli import main
from ot_benchmark.indicators.engine import compute_indicators, covered_periods
from ot_benchmark.errors import OTBenchmarkError
from ot_benchmark.stats.intervals import wilson

HOME, NEIGHBOUR = "E10000017", "E10000015"
Q1, Q2 = "2024-25 Q1", "2024-25 Q2"
COLUMNS = ["authority_code", "period", "indicator_id", "breakdown", "numerator", "denominator", "value", "unit",
           "lower_95", "upper_95", "lower_998", "upper_998", "ci_method", "source", "note"]


def _referrals(code=HOME) -> pd.DataFrame:
    # 3 urgent referrals assessed in Q1 after 2, 5 and 10 days (2 of 3 within 7 days), one waiting
    return pd.DataFrame({
        "referral_id": [f"{code}-{i}" for i in range(4)],
        "authority_code": code,
        "referral_date": ["2024-04-01", "2024-04-01", "2024-04-01", "2024-06-01"],
        "priority": "urgent",
        "first_assessment_date": ["2024-04-03", "2024-04-06", "2024-04-11", None],
    })


def _returns(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["authority_code", "period", "indicator_id", "breakdown", "numerator",
                                       "denominator", "value"])


def test_table_columns_types_and_order():
    t = compute_indicators(DataBundle.from_frames(referrals=_referrals()), [Q1], families=["W"])
    assert list(t.columns) == COLUMNS
    for c in ("numerator", "denominator", "value", "lower_95", "upper_95", "lower_998", "upper_998"):
        assert t[c].dtype == "float64"
    assert set(t.source) == {"case_level"}
    assert t.unit[t.indicator_id == "W5"].iloc[0] == "%"
    assert t.attrs["periods"] == [Q1]
    assert t.attrs["settings"]["settings"]["waiting"]["targets_days"]["urgent"] == 7
    assert t.attrs["banner"] is None
    # catalogue order: W1 before W2 before ... W8
    ids = list(dict.fromkeys(t.indicator_id))
    assert ids.index("W1") < ids.index("W2_median") < ids.index("W8_net_change")


def test_returns_flow_into_the_table_with_the_same_intervals():
    # the home council's W5 from case data: 2 of 3 within target. The neighbour returns 2 of 3 too:
    # both rows must carry the same Wilson interval.
    ret = _returns([
        (NEIGHBOUR, Q1, "W5", "all", 2, 3, None),          # value computed: 66.67
        (NEIGHBOUR, Q1, "W8_referrals", "all", 7, None, None),  # count: value = numerator
        (NEIGHBOUR, Q1, "W2_median", "all", None, None, 41.0),  # a median must come with its value
        (NEIGHBOUR, Q1, "C4", "role:ot", 5.4, 40, 13.5),   # supplied value agrees with 5.4/40
        (NEIGHBOUR, "2023-24 Q1", "W5", "all", 1, 2, None),  # outside the periods: dropped
    ])
    b = DataBundle.from_frames(referrals=_referrals(), returns=ret)
    t = compute_indicators(b, [Q1], families=["W"])
    home = t[(t.authority_code == HOME) & (t.indicator_id == "W5") & (t.breakdown == "all")].iloc[0]
    nb = t[(t.authority_code == NEIGHBOUR) & (t.indicator_id == "W5")].iloc[0]
    assert nb.source == "return" and home.source == "case_level"
    assert nb.value == pytest.approx(200 / 3) == home.value
    lo, hi = wilson(np.array([2.0]), np.array([3.0]), 0.95)
    assert nb.lower_95 == pytest.approx(lo[0] * 100) == home.lower_95
    assert nb.upper_998 == pytest.approx(home.upper_998)
    assert nb.ci_method == "wilson"
    cnt = t[(t.authority_code == NEIGHBOUR) & (t.indicator_id == "W8_referrals")].iloc[0]
    assert cnt.value == 7 and cnt.ci_method == "poisson_exact"
    med = t[(t.authority_code == NEIGHBOUR) & (t.indicator_id == "W2_median")].iloc[0]
    assert med.value == 41 and med.ci_method == "none"
    c4 = t[(t.authority_code == NEIGHBOUR) & (t.indicator_id == "C4")].iloc[0]
    assert c4.breakdown == "role:ot" and c4.value == 13.5 and c4.unit == "%"
    assert "2023-24 Q1" not in set(t.period)


@pytest.mark.parametrize(
    "num, den, value, ok",
    [
        (2, 3, 66.7, True),    # rounded to 1 dp: |66.7 − 66.667| < 0.05
        (2, 3, 67, True),      # rounded to a whole number
        (2, 3, 66.67, True),
        (2, 3, 66.6, False),   # 1 dp but 0.067 away
        (2, 3, 70, False),
        (77, 100, 77.04, False),  # claims 2 dp, 0.04 away
    ],
)
def test_a_return_value_must_agree_with_its_counts(num, den, value, ok):
    ret = _returns([(NEIGHBOUR, Q1, "W5", "all", num, den, value)])
    b = DataBundle.from_frames(returns=ret)
    if ok:
        t = compute_indicators(b, [Q1])
        assert t.value.iloc[0] == value
    else:
        with pytest.raises(OTBenchmarkError, match=f"{NEIGHBOUR} {Q1} W5 .*disagrees"):
            compute_indicators(b, [Q1])


def test_impossible_returns_give_no_value_and_say_why():
    ret = _returns([
        (NEIGHBOUR, Q1, "W5", "all", 5, 3, None),
        (NEIGHBOUR, Q1, "W4_26wk", "all", 1, 0, None),
        (NEIGHBOUR, Q1, "W6_median", "all", None, None, None),
    ])
    t = compute_indicators(DataBundle.from_frames(returns=ret), [Q1]).set_index("indicator_id")
    assert math.isnan(t.loc["W5", "value"]) and "above the denominator" in t.loc["W5", "note"]
    assert "zero denominator" in t.loc["W4_26wk", "note"]
    assert "gives no value" in t.loc["W6_median", "note"]
    assert (t.ci_method == "none").all()


def test_unknown_indicator_in_returns():
    ret = _returns([(NEIGHBOUR, Q1, "W55", "all", 1, 2, None)])
    with pytest.raises(OTBenchmarkError, match="'W55'.*--catalogue"):
        compute_indicators(DataBundle.from_frames(returns=ret), [Q1])


def test_same_indicator_from_case_data_and_a_return_is_an_error():
    ret = _returns([(HOME, Q1, "W5", "all", 30, 40, None)])
    b = DataBundle.from_frames(referrals=_referrals(), returns=ret)
    with pytest.raises(OTBenchmarkError) as e:
        compute_indicators(b, [Q1], families=["W"])
    msg = str(e.value)
    assert f"{HOME} {Q1} W5" in msg and "case-level value 66.6667" in msg and "return value 75" in msg


def test_local_indicator_gets_what_built_ins_get(tmp_path):
    cat = tmp_path / "local.csv"
    pd.DataFrame([dict(indicator_id="L_phone_24h", name="Phone messages answered within 24 hours", family="local",
                       unit="%", multiplier=100, polarity="higher_is_better", method="proportion",
                       definition="Messages answered within 24 hours of all messages left", target=90,
                       target_local_standard=True, caveat="", kind="flow")]).to_csv(cat, index=False)
    ret = _returns([(HOME, Q1, "L_phone_24h", "all", 45, 50, None), (NEIGHBOUR, Q1, "L_phone_24h", None, 30, 50, None)])
    t = compute_indicators(DataBundle.from_frames(returns=ret), [Q1], catalogue=cat)
    row = t[t.authority_code == HOME].iloc[0]
    assert (row.value, row.unit, row.ci_method, row.source) == (90.0, "%", "wilson", "return")
    assert t[t.authority_code == NEIGHBOUR].breakdown.iloc[0] == "all"
    # without the catalogue the id is unknown
    with pytest.raises(OTBenchmarkError, match="L_phone_24h"):
        compute_indicators(DataBundle.from_frames(returns=ret), [Q1])


def test_default_periods_cover_the_data():
    b = DataBundle.from_frames(referrals=_referrals(), returns=_returns([(NEIGHBOUR, "2024-25 Q3", "W5", "all", 1, 2, None)]))
    assert [p.label for p in covered_periods(b)] == [Q1, Q2, "2024-25 Q3"]
    t = compute_indicators(b, families=["W"])
    assert t.attrs["periods"] == [Q1, Q2, "2024-25 Q3"]
    # metadata can fix the span (the synthetic generator does)
    b.metadata = {"first_period": "2024-25 Q2", "last_period": "2024-25 Q2"}
    assert [p.label for p in covered_periods(b)] == [Q2]


def test_non_consecutive_periods_and_synthetic_banner():
    b = DataBundle.from_frames(metadata={"synthetic": True}, referrals=_referrals())
    t = compute_indicators(b, ["2024-25 Q3", Q1], families=["W"])
    assert set(t.period) == {Q1, "2024-25 Q3"}
    assert "Synthetic" in t.attrs["banner"]


def test_cli_writes_table_and_settings_sidecar(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    _referrals().assign(allocated_date="", review_start_date="", closure_date="", closure_reason="").to_csv(
        data / "referrals.csv", index=False)
    settings = tmp_path / "s.toml"
    settings.write_text("[waiting]\ntargets_days = { urgent = 10, high = 28, medium = 84, low = 182 }\n")
    out = tmp_path / "out" / "indicators.csv"
    rc = main(["indicators", "--data", str(data), "--periods", Q1, "--settings", str(settings), "--out", str(out)])
    assert rc == 0
    t = pd.read_csv(out)
    assert list(t.columns) == COLUMNS
    w5 = t[(t.indicator_id == "W5") & (t.breakdown == "all")].iloc[0]
    assert w5.value == 100  # 2, 5 and 10 days all within a 10-day target
    side = json.loads((tmp_path / "out" / "indicators.settings.json").read_text())
    assert side["settings"]["waiting"]["targets_days"]["urgent"] == 10
    assert side["settings_source"] == str(settings) and side["periods"] == [Q1]
    assert "wrote" in capsys.readouterr().out

    out2 = tmp_path / "ind.parquet"
    assert main(["indicators", "--data", str(data), "--from", Q1, "--to", Q2, "--out", str(out2)]) == 0
    assert set(pd.read_parquet(out2).period) == {Q1, Q2}
    assert main(["indicators", "--data", str(data), "--out", str(tmp_path / "x.txt")]) == 2
    assert "csv or .parquet" in capsys.readouterr().err


def test_settings_targets_are_recorded_and_checked():
    ret = _returns([(NEIGHBOUR, Q1, "E3", "all", 90, 100, None)])
    t = compute_indicators(DataBundle.from_frames(returns=ret), [Q1], settings={"targets": {"E3": 95}})
    assert t.attrs["targets"]["E3"] == 95.0
    with pytest.raises(OTBenchmarkError, match="E33"):
        compute_indicators(DataBundle.from_frames(returns=ret), [Q1], settings={"targets": {"E33": 95}})


def test_quarters_outside_the_data_give_an_empty_table_not_an_error():
    t = compute_indicators(DataBundle.from_frames(referrals=_referrals()), ["2020-21 Q1"])
    assert t.empty and list(t.columns) == COLUMNS
