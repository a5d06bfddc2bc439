"""Conformance: funnel limits and significance against the PHEindicatormethods funnel fixtures
and FunnelPlotR's Poisson limits (tests/conformance, README for tolerances)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ot_benchmark.stats import funnel as F

CONF = Path(__file__).parent / "conformance"
LEVELS = [(0.95, "95", "2s"), (0.998, "998", "3s")]


def _params(df: pd.DataFrame, id_fmt) -> list:
    return [pytest.param(i, id=id_fmt(i, r)) for i, r in df.iterrows()]


# --- proportions --------------------------------------------------------------------------
PROP_SIG = pd.read_csv(CONF / "phe_funnel_proportion_significance.csv")
PROP_SIG_OUT = F.funnel_significance(PROP_SIG, "numerator", "denominator", "proportion")


@pytest.mark.parametrize("i", _params(PROP_SIG, lambda i, r: f"{i}-{r['Area']}"))
def test_proportion_significance(i):
    assert PROP_SIG_OUT.loc[i, "significance"] == PROP_SIG.loc[i, "expected_significance"]


PROP_LIM = pd.read_csv(CONF / "phe_funnel_proportion_limits.csv")
PROP_AVERAGE = PROP_SIG["numerator"].sum() / PROP_SIG["denominator"].sum()


def test_proportion_baseline():
    assert PROP_AVERAGE * 100 == pytest.approx(PROP_LIM["expected_baseline"].iloc[0], abs=1e-6)


@pytest.mark.parametrize("i", _params(PROP_LIM, lambda i, r: f"population={int(r['population'])}"))
@pytest.mark.parametrize("confidence,suffix,_s", LEVELS)
def test_proportion_limits(i, confidence, suffix, _s):
    row = PROP_LIM.loc[i]
    lo, hi = F.proportion_funnel_limits([row["population"]], PROP_AVERAGE, confidence, 100)
    assert lo[0] == pytest.approx(row[f"expected_lower_{suffix}"], abs=1e-6)
    assert hi[0] == pytest.approx(row[f"expected_upper_{suffix}"], abs=1e-6)


# --- ratios --------------------------------------------------------------------------------
RATIO_SIG = pd.read_csv(CONF / "phe_funnel_ratio_significance.csv")
RATIO_SIG_OUT = F.funnel_significance(RATIO_SIG, "obs", "expected", "ratio")


@pytest.mark.parametrize("i", _params(RATIO_SIG, lambda i, r: f"{i}-obs={int(r['obs'])}"))
def test_ratio_significance(i):
    assert RATIO_SIG_OUT.loc[i, "significance"] == RATIO_SIG.loc[i, "expected_significance"]


RATIO_LIM = pd.read_csv(CONF / "phe_funnel_ratio_limits.csv")


@pytest.mark.parametrize("i", _params(RATIO_LIM, lambda i, r: f"obs={int(r['observed_events'])}"))
@pytest.mark.parametrize("ratio_type", ["count", "isr"])
def test_ratio_limits(i, ratio_type):
    row = RATIO_LIM.loc[i]
    got = F.ratio_funnel_limits([row["observed_events"]], ratio_type).iloc[0]
    for _, suffix, s in LEVELS:
        for side in ("lower", "upper"):
            assert got[f"{side}_{suffix}_expected"] == pytest.approx(row[f"expected_{side}_{s}_exp_events"], rel=1e-4)
            assert got[f"{side}_{suffix}"] == pytest.approx(row[f"expected_{side}_{s}_{ratio_type}"], rel=1e-4)


# --- rates ---------------------------------------------------------------------------------
RATE_SIG = pd.read_csv(CONF / "phe_funnel_rate_significance.csv")
RATE_VARIANTS = [
    (rt, m, w) for rt in ("dsr", "crude") for m in (100000, 100) for w in ("with_0", "without_0")
]
_RATE_OUT: dict = {}


def _rate_out(rate_type, mult, variant):
    key = (rate_type, mult, variant)
    if key not in _RATE_OUT:
        data = RATE_SIG if variant == "with_0" else RATE_SIG[RATE_SIG["count"] != 0]
        rate_col = "rate_dsr" if rate_type == "dsr" else f"rate_crude_per_{mult}"
        _RATE_OUT[key] = F.funnel_significance(
            data, "count", "pop", "rate", rate=rate_col, rate_type=rate_type, multiplier=mult
        )
    return _RATE_OUT[key]


def _rate_cases() -> list:
    # PHE's tests/testthat/testFunnels.R applies filter(count != 0) to both the input and the
    # expected frame of every *_without_0 test, so the count==0 row's without_0 labels are never
    # asserted by the source; that row is not an input of those variants here either (README:
    # "drop count==0 rows before computing the average"). Every other (row, variant) is tested.
    return [
        pytest.param(v, i, id=f"{v[0]}-per{v[1]}-{v[2]}-{i}-count={int(r['count'])}")
        for v in RATE_VARIANTS for i, r in RATE_SIG.iterrows()
        if not (v[2] == "without_0" and r["count"] == 0)
    ]


def test_rate_significance_covers_every_tested_row():
    n_zero = int((RATE_SIG["count"] == 0).sum())
    assert n_zero == 1 and len(_rate_cases()) == 8 * len(RATE_SIG) - 4 * n_zero


@pytest.mark.parametrize("variant,i", _rate_cases())
def test_rate_significance(variant, i):
    rate_type, mult, w = variant
    got = _rate_out(rate_type, mult, w).loc[i, "significance"]
    assert got == RATE_SIG.loc[i, f"expected_sig_{rate_type}_per_{mult}_{w}"]


RATE_IN = pd.read_csv(CONF / "phe_funnel_rate_limits_inputs.csv")
RATE_LIM = pd.read_csv(CONF / "phe_funnel_rate_limits_dsr.csv")
# dsr: population derived as events / rate × 1e5; average = Σ events / Σ derived population
RATE_AVERAGE = RATE_IN["ev"].sum() / (1e5 * RATE_IN["ev"] / RATE_IN["rate"]).sum()


def test_rate_baseline():
    assert RATE_AVERAGE * 1e5 == pytest.approx(RATE_LIM["expected_baseline"].iloc[0], rel=1e-8)


@pytest.mark.parametrize("i", _params(RATE_LIM, lambda i, r: f"events={int(r['events'])}"))
def test_rate_limits_dsr(i):
    row = RATE_LIM.loc[i]
    got = F.rate_funnel_limits([row["events"]], RATE_AVERAGE, 1e5, years_of_data=3).iloc[0]
    for _, suffix, s in LEVELS:
        for side in ("lower", "upper"):
            assert got[f"{side}_{suffix}_population"] == pytest.approx(row[f"expected_{side}_{s}_population_1_year"], rel=1e-4)
            assert got[f"{side}_{suffix}"] == pytest.approx(row[f"expected_{side}_{s}_limit"], rel=1e-4)
    assert got["baseline"] == pytest.approx(row["expected_baseline"], rel=1e-8)


# --- FunnelPlotR ---------------------------------------------------------------------------
FPR = pd.read_csv(CONF / "funnelplotr_sr_poisson_limits.csv")


@pytest.mark.parametrize("i", _params(FPR, lambda i, r: f"E={int(r['expected_events'])}"))
@pytest.mark.parametrize("confidence,suffix,_s", LEVELS)
def test_funnelplotr_sr_poisson_limits(i, confidence, suffix, _s):
    row = FPR.loc[i]
    lo, hi = F.sr_poisson_limits([row["expected_events"]], confidence)
    # the source rounds lower limits to 7 dp and upper limits to 6 dp
    assert round(float(lo[0]), 7) == pytest.approx(row[f"expected_ll{suffix}"], abs=1e-12)
    assert round(float(hi[0]), 6) == pytest.approx(row[f"expected_ul{suffix}"], abs=1e-12)
