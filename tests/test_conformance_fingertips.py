"""The Fingertips benchmark comparison reproduces every row of the FingertipsNext unit tests.

Fixture: tests/conformance/fingertips_benchmark_outcomes.csv (dhsc-govuk/FingertipsNext,
BenchmarkComparisonEngineTests.cs). The area's CI is value ± 1.1; the benchmark is a value.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.compare.benchmark import significance_label

FIXTURE = Path(__file__).parent / "conformance" / "fingertips_benchmark_outcomes.csv"


@pytest.fixture(scope="module")
def cases():
    return pd.read_csv(FIXTURE)


def test_fixture_is_complete(cases):
    assert len(cases) == 12
    assert set(cases["polarity"]) == {"HighIsGood", "LowIsGood", "NoJudgement"}


def test_every_fingertips_row_vectorised(cases):
    got = significance_label(cases["area_lower_ci"], cases["area_upper_ci"], cases["benchmark_value"], cases["polarity"])
    pd.testing.assert_series_equal(
        got["fingertips_label"].rename(None), cases["expected_outcome"].rename(None), check_dtype=False
    )


@pytest.mark.parametrize("i", range(12))
def test_each_fingertips_row(cases, i):
    row = cases.iloc[i]
    got = significance_label([row.area_lower_ci], [row.area_upper_ci], row.benchmark_value, row.polarity)
    assert got["fingertips_label"].iloc[0] == row.expected_outcome, row.case_id


def test_our_polarity_names_give_the_same_labels(cases):
    ours = cases["polarity"].map(
        {"HighIsGood": "higher_is_better", "LowIsGood": "lower_is_better", "NoJudgement": "context"}
    )
    got = significance_label(cases["area_lower_ci"], cases["area_upper_ci"], cases["benchmark_value"], ours)
    assert got["fingertips_label"].tolist() == cases["expected_outcome"].tolist()
    # context rows: assessment is not_applicable, comparison still higher/similar/lower
    ctx = (ours == "context").to_numpy()
    assert set(got.loc[ctx, "assessment"]) == {"not_applicable"}
    assert got.loc[ctx, "comparison"].tolist() == ["higher", "similar", "similar", "lower"]


def test_strict_inequalities_and_missing_interval():
    # lower limit equal to the benchmark is not "higher"; upper equal is not "lower" (strict, as Fingertips)
    got = significance_label([2.0, 0.5, np.nan, 1.0], [3.0, 2.0, 3.0, 2.0], [2.0, 2.0, 2.0, np.nan], "higher_is_better")
    assert got["comparison"].tolist() == ["similar", "similar", "not_compared", "not_compared"]
    assert got["fingertips_label"].tolist() == ["Similar", "Similar", "Not compared", "Not compared"]
