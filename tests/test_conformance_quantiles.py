"""Conformance: PHE quantile assignment against phe_quantile.csv (PHEindicatormethods)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.stats.quantiles import phe_quantiles

CONF = Path(__file__).parent / "conformance"
_BY = {"indicator_sex+parent_code": ["indicator_sex", "parent_code"], "indicator_sex": ["indicator_sex"]}


def _load() -> pd.DataFrame:
    q = pd.read_csv(CONF / "phe_quantile.csv", keep_default_na=False, na_values={"value": ["", "NA"], "expected_quantile": ["", "NA"]})
    q["value"] = pd.to_numeric(q["value"], errors="coerce")
    q["expected_quantile"] = pd.to_numeric(q["expected_quantile"], errors="coerce")
    return q


def _assigned() -> pd.DataFrame:
    q = _load()
    parts = []
    # "all rows with group_set==None as one group" means across both test sets (as PHE's
    # ungrouped test frame holds them); the other groupings never mix test sets anyway.
    for (_, grouping, nq), sub in q.groupby(["group_set", "grouping", "nquantiles"], dropna=False):
        by = _BY.get(grouping)  # None: one group
        parts.append(phe_quantiles(sub, "value", by=by, nquantiles=int(nq), invert="invert"))
    return pd.concat(parts).sort_index()


_RESULT = None
_FIXTURE = _load()


def _result():
    global _RESULT
    if _RESULT is None:
        _RESULT = _assigned()
    return _RESULT


def _ids():
    q = _load()
    return [pytest.param(i, id=f"{r.test_set}-{r.group_set}-{r.indicator_sex}-{r.area_code}-{i}") for i, r in q.iterrows()]


def test_every_fixture_row_is_assigned():
    assert len(_result()) == len(_load())


@pytest.mark.parametrize("i", _ids())
def test_phe_quantile_row(i):
    got = _result().loc[i, "quantile"]
    exp = _FIXTURE.loc[i, "expected_quantile"]  # straight from the fixture, not from our output
    if np.isnan(exp):
        assert np.isnan(got)
    else:
        assert got == exp
