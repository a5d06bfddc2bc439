"""The indicator table is the same before and after the performance work (issue 15).

The reference tables in ``tests/reference_tables/`` were computed by the engine as it stood
before that work (``make_reference_tables.py`` says how). Every row, in order, and every column
must agree: names and codes exactly, figures to 12 significant digits (a sum taken in another
order may differ in the last bits; nothing else may).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.indicators.engine import TABLE_COLUMNS, compute_indicators
from ot_benchmark.io.validate import load_data

REF = Path(__file__).parent / "reference_tables"
FIGURES = ["numerator", "denominator", "value", "lower_95", "upper_95", "lower_998", "upper_998"]


def _maker():
    spec = importlib.util.spec_from_file_location("make_reference_tables", REF / "make_reference_tables.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def assert_same_table(new: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(new.columns) == list(TABLE_COLUMNS) == list(ref.columns)
    assert len(new) == len(ref), f"{len(new)} rows, the reference has {len(ref)}"
    for c in TABLE_COLUMNS:
        if c in FIGURES:
            a, b = new[c].to_numpy(dtype="float64"), ref[c].to_numpy(dtype="float64")
            same_nan = np.isnan(a) == np.isnan(b)
            close = np.isclose(a, b, rtol=1e-12, atol=0.0) | (np.isnan(a) & np.isnan(b))
            bad = ~(same_nan & close)
        else:
            a, b = new[c].astype(object).to_numpy(), ref[c].astype(object).to_numpy()
            na_a, na_b = pd.isna(a), pd.isna(b)
            bad = (na_a != na_b) | (~na_a & ~na_b & (a != b))
        if bad.any():
            i = np.flatnonzero(bad)
            shown = ref.iloc[i[:5]][["authority_code", "period", "indicator_id", "breakdown"]].assign(
                new=a[i[:5]], reference=b[i[:5]])
            pytest.fail(f"column {c}: {len(i)} row(s) differ from the reference, e.g.\n{shown.to_string()}")


def test_sample_table_unchanged(sample_dir):
    new = compute_indicators(load_data(sample_dir))
    ref = pd.read_parquet(REF / "sample.parquet")
    assert_same_table(new, ref)
    assert new.attrs["periods"] == ref.attrs["periods"]
    assert new.attrs["targets"] == ref.attrs["targets"]


def test_small_synthetic_table_unchanged(tmp_path):
    """A seeded folder generated here, computed with settings the sample does not use."""
    new = _maker().small_table(tmp_path / "small")
    assert_same_table(new, pd.read_parquet(REF / "synth_small.parquet"))


def test_compact_load_gives_the_same_table(sample_dir):
    """The engine's own read of a folder (only the columns it uses, categoricals) accepts the
    same rows and gives the same table as the full bundle."""
    from ot_benchmark.indicators.engine import load_for_indicators

    lean = load_for_indicators(sample_dir)
    full = load_data(sample_dir)
    for name, df in full.tables.items():
        assert len(lean.tables[name]) == len(df), name
    assert "item_id" not in lean.tables["equipment"] and "catalogue_code" not in lean.tables["equipment"]
    assert isinstance(lean.tables["equipment"]["authority_code"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(lean.rejects, full.rejects)
    assert lean.warnings == full.warnings
    assert_same_table(compute_indicators(sample_dir), pd.read_parquet(REF / "sample.parquet"))


def test_compact_load_of_messy_parquet_rejects_the_same_rows(sample_dir, tmp_path):
    """Parquet extracts with problems in columns the indicators never read (a blank and a
    repeated item id, a blank catalogue code) and a blank row: the compact load checks them
    all the same, and rejects and reports exactly what the full load does."""
    import shutil

    from ot_benchmark.indicators.engine import load_for_indicators

    folder = tmp_path / "messy"
    shutil.copytree(sample_dir, folder)
    eq = pd.read_parquet(folder / "equipment.parquet")
    eq["item_id"] = eq["item_id"].astype(object)
    eq["catalogue_code"] = eq["catalogue_code"].astype(object)
    eq.loc[3, "item_id"] = None
    eq.loc[7, "item_id"] = eq.loc[8, "item_id"]
    eq.loc[11, "catalogue_code"] = "  "
    eq.loc[12, "referral_id"] = "  R-odd  "  # never read by the compact load: nothing to reject
    blank = pd.DataFrame({c: [None] for c in eq.columns}).astype(eq.dtypes.to_dict(), errors="ignore")
    pd.concat([eq, blank], ignore_index=True).to_parquet(folder / "equipment.parquet", index=False)
    ref = pd.read_parquet(folder / "referrals.parquet")
    ref.loc[5, "referral_id"] = ref.loc[6, "referral_id"]
    ref.to_parquet(folder / "referrals.parquet", index=False)

    full, lean = load_data(folder), load_for_indicators(folder)
    reasons = set(full.rejects["column"] + ": " + full.rejects["reason"].str.split(" ").str[0])
    assert {"item_id: blank:", "item_id: duplicate", "catalogue_code: blank:", "referral_id: duplicate"} <= reasons
    pd.testing.assert_frame_equal(lean.rejects, full.rejects)
    assert lean.warnings == full.warnings
    for name, df in full.tables.items():
        assert len(lean.tables[name]) == len(df), name
    assert_same_table(compute_indicators(lean), compute_indicators(full))


def test_some_indicators_only(sample_dir):
    """Asking for some indicators gives exactly their rows of the whole table (the families
    skip the work of the others)."""
    ref = pd.read_parquet(REF / "sample.parquet")
    bundle = load_data(sample_dir)
    for ids in (["W1", "W2_median", "W4_26wk", "W5", "W6_median", "E1", "E2", "E3", "C1", "C4", "K1"],
                ["W6k"], ["W7_changed"], ["W6_mean", "E6"], ["E5_overdue"], ["C5_median", "C7_assessments"],
                ["W1_per_10k", "W8_net_change_per_10k"], ["K3", "K9", "K12"]):
        part = compute_indicators(bundle, indicators=ids)
        assert_same_table(part, ref[ref["indicator_id"].isin(ids)].reset_index(drop=True))
    with pytest.raises(Exception, match="unknown indicator"):
        compute_indicators(load_data(sample_dir), indicators=["W99"])
