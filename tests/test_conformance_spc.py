"""Conformance: XmR limits, point types, rule vectors and assurance against NHSRplotthedots
fixtures (tests/conformance, README)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.stats import spc

CONF = Path(__file__).parent / "conformance"
SERIES = pd.read_csv(CONF / "spc_xmr_series.csv")
LIMITS = pd.read_csv(CONF / "spc_xmr_limits.csv")
TYPES = pd.read_csv(CONF / "spc_point_types.csv")
RULES = pd.read_csv(CONF / "spc_rule_vectors.csv", dtype=str, keep_default_na=False)
ASSURANCE = pd.read_csv(CONF / "spc_assurance.csv", keep_default_na=False)


def _series(series_id: str, first: int | None = None, last: int | None = None) -> pd.DataFrame:
    s = SERIES[SERIES["series_id"] == series_id]
    if first is not None:
        s = s[(s["index"] >= first) & (s["index"] <= last)]
    return s


def _round_to(x: float, precision: str) -> float:
    n = int(precision.split()[0])
    if "significant" in precision:
        return float(f"{x:.{n}g}")
    return round(x, n)


def _truthy(v) -> bool:
    return str(v).strip().lower() in ("true", "1", "yes")


@pytest.mark.parametrize("row", [pytest.param(r, id=r["case_id"]) for _, r in LIMITS.iterrows()])
def test_xmr_limits(row):
    first, last = map(int, row["points_used"].split()[0].split("-"))
    fix = None if pd.isna(row["fix_after_n_points"]) else int(row["fix_after_n_points"])
    _, summary = spc.xmr(_series(row["series_id"], first, last), "y", "date",
                         screen_outliers=_truthy(row["screen_outliers"]), fix_after_n_points=fix)
    for key, col in (("mean", "expected_mean"), ("lpl", "expected_lpl"), ("upl", "expected_upl")):
        assert _round_to(summary[key], row["precision"]) == pytest.approx(row[col], abs=1e-12), key


@pytest.mark.parametrize("screen_outliers", [True, False])
@pytest.mark.parametrize("row", [pytest.param(r, id=f"{r['series_id']}-{r['index']}") for _, r in TYPES.iterrows()])
def test_point_types(row, screen_outliers):
    s = _series(row["series_id"])
    points, _ = spc.xmr(s, "y", "date", improvement_direction=row["improvement_direction"],
                        screen_outliers=screen_outliers)
    got = points.loc[points["date"] == s.loc[s["index"] == row["index"], "date"].iloc[0], "point_type"].iloc[0]
    assert got == row["expected_point_type"]


def _vec(s: str) -> np.ndarray:
    return np.array([float(t) for t in s.split()]) if s.strip() else np.zeros(0)


@pytest.mark.parametrize("row", [pytest.param(r, id=f"{i}-{r['function']}") for i, r in RULES.iterrows()])
def test_rule_vectors(row):
    a, b, expected = _vec(row["input_1"]), _vec(row["input_2"]), _vec(row["expected_output"])
    f = row["function"]
    if f == "seven_point_one_side_mean":
        got = spc.seven_point_one_side_mean(a)
    elif f == "part_of_seven":
        got = spc.part_of_seven(a)
    elif f == "seven_point_trend":
        got = spc.seven_point_trend(a)
    elif f == "two_in_three":
        got = spc.two_in_three(a, b)
    elif f == "part_of_two_in_three":  # end to end: window flag restricted to the close points
        got = spc.part_of_two_in_three(spc.two_in_three(a, b), a)
    else:  # pragma: no cover - a new fixture function must be wired in here
        pytest.fail(f"unknown rule function {f}")
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("row", [pytest.param(r, id=f"{i}-{r['improvement_direction']}") for i, r in ASSURANCE.iterrows()])
def test_assurance(row):
    got = spc.assurance_type(row["improvement_direction"], float(row["lpl"]), float(row["upl"]), float(row["target"]))
    expected = row["expected_assurance"] or None
    assert got == expected


@pytest.mark.parametrize("row", [pytest.param(r, id=f"{i}-{r['improvement_direction']}") for i, r in ASSURANCE.iterrows()])
def test_assurance_through_xmr(row):
    # A flat series has zero moving range, so lpl = mean = upl; instead build a series whose
    # limits are known: alternating mean ± h has mR̄ = 2h, limits mean ± 5.32h. Choose h so the
    # fixture's (lpl, upl) are reproduced: mean = (lpl + upl)/2, h = (upl − lpl)/(2·5.32).
    lpl, upl = float(row["lpl"]), float(row["upl"])
    mean, h = (lpl + upl) / 2, (upl - lpl) / (2 * 2 * spc.LIMIT)
    y = np.where(np.arange(12) % 2 == 0, mean + h, mean - h)
    _, summary = spc.xmr(y, improvement_direction=row["improvement_direction"], target=float(row["target"]))
    assert math.isclose(summary["lpl"], lpl) and math.isclose(summary["upl"], upl)
    assert summary["assurance"] == (row["expected_assurance"] or None)
