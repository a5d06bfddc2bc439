"""Conformance: Wilson, exact/Byar rates, Byar count limits, Student-t means and Dobson DSRs
against the PHEindicatormethods fixtures in tests/conformance (see its README)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ot_benchmark.stats.dsr import phe_dsr
from ot_benchmark.stats.intervals import byar, phe_mean, phe_proportion, phe_rate

CONF = Path(__file__).parent / "conformance"
RTOL = 1e-8  # PHE xlsx fixtures carry 10 significant digits


def _rows(name: str, id_col: str = "case_id"):
    df = pd.read_csv(CONF / name)
    return [pytest.param(r, id=str(r[id_col])) for _, r in df.iterrows()]


def _close(actual, expected, rtol=RTOL):
    if pd.isna(expected):
        assert pd.isna(actual), f"expected NA, got {actual}"
    else:
        assert actual == pytest.approx(expected, rel=rtol, abs=0)


@pytest.mark.parametrize("row", _rows("phe_proportion_wilson.csv"))
def test_phe_proportion_wilson(row):
    df = pd.DataFrame({"x": [row["numerator"]], "n": [row["denominator"]]})
    if row["confidence"] == 1:
        # an optional PHE quirk (confidence=1 returns (0, 1)); we accept only 0 < confidence < 1
        # and say so, rather than return a meaningless interval
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            phe_proportion(df, "x", "n", multiplier=row["multiplier"], confidence=row["confidence"])
        return
    out = phe_proportion(df, "x", "n", multiplier=row["multiplier"], confidence=row["confidence"])
    _close(out["value"].iloc[0], row["expected_value"])
    _close(out["lowercl"].iloc[0], row["expected_lower"])
    _close(out["uppercl"].iloc[0], row["expected_upper"])
    assert out["method"].iloc[0] == ("none" if pd.isna(row["expected_value"]) else "wilson")


_METHOD = {"Exact": "poisson_exact", "Byars": "byar"}


@pytest.mark.parametrize("row", _rows("phe_rate_byars_exact.csv"))
def test_phe_rate_exact_byars(row):
    df = pd.DataFrame({"x": [row["numerator"]], "n": [row["denominator"]]})
    out = phe_rate(df, "x", "n", multiplier=row["multiplier"], confidence=row["confidence"])
    _close(out["value"].iloc[0], row["expected_value"])
    _close(out["lowercl"].iloc[0], row["expected_lower"])
    _close(out["uppercl"].iloc[0], row["expected_upper"])
    expected_method = _METHOD.get(row["expected_method"], "none") if isinstance(row["expected_method"], str) else "none"
    assert out["method"].iloc[0] == expected_method


@pytest.mark.parametrize("row", _rows("phe_byars_count_limits.csv"))
def test_byar_count_limits(row):
    lo, hi = byar([row["count"]], row["confidence"])
    _close(lo[0], row["expected_lower"])
    _close(hi[0], row["expected_upper"])


def _mean_rows():
    exp = pd.read_csv(CONF / "phe_mean_t.csv")
    return [pytest.param(r, id=r["group"]) for _, r in exp.iterrows()]


@pytest.mark.parametrize("row", _mean_rows())
@pytest.mark.parametrize("confidence,suffix", [(0.95, "95"), (0.998, "998")])
def test_phe_mean_student_t(row, confidence, suffix):
    inputs = pd.read_csv(CONF / "phe_mean_inputs.csv")
    if row["group"] == "ALL":
        out = phe_mean(inputs, "value", confidence=confidence).iloc[0]
    else:
        out = phe_mean(inputs, "value", by="area", confidence=confidence).set_index("area").loc[row["group"]]
    rtol = 1e-6  # the inputs carry 5 decimals
    _close(out["value_sum"], row["expected_sum"], rtol)
    assert out["value_count"] == row["expected_count"]
    _close(out["stdev"], row["expected_sd"], rtol)
    _close(out["value"], row["expected_mean"], rtol)
    _close(out["lowercl"], row[f"expected_lower{suffix}"], rtol)
    _close(out["uppercl"], row[f"expected_upper{suffix}"], rtol)
    assert out["method"] == "student_t"


def _dsr_rows():
    exp = pd.read_csv(CONF / "phe_dsr.csv")
    return [pytest.param(r, id=r["area"]) for _, r in exp.iterrows()]


@pytest.mark.parametrize("row", _dsr_rows())
@pytest.mark.parametrize("confidence,suffix", [(0.95, "95"), (0.998, "998")])
def test_phe_dsr_dobson(row, confidence, suffix):
    inputs = pd.read_csv(CONF / "phe_dsr_inputs.csv")
    out = phe_dsr(inputs, "count", "pop", "esp2013", by="area", multiplier=row["multiplier"],
                  confidence=confidence).set_index("area").loc[row["area"]]
    assert out["total_count"] == row["expected_total_count"]
    assert out["total_pop"] == row["expected_total_pop"]
    _close(out["value"], row["expected_value"])
    _close(out["lowercl"], row[f"expected_lower{suffix}"])
    _close(out["uppercl"], row[f"expected_upper{suffix}"])
    assert out["method"] == ("none" if pd.isna(row["expected_value"]) else "dobson")
