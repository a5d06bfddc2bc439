"""A change between two periods (C7, K7, W8 net change) is withheld, with its reason, when either
period is only partly covered by the council's extract (issue 9: "+478.6% in assessments computed
against a quarter in which the extract had only started on 15 February")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.indicators.engine import compute_indicators
from ot_benchmark.indicators.partial import council_coverage, withhold_partial_changes
from ot_benchmark.io.validate import load_data

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
HOME = "E10000017"


def _bundle(referrals: pd.DataFrame, metadata=None):
    return SimpleNamespace(tables={"referrals": referrals}, metadata=metadata or {})


def _referrals(first: str, last: str, authority: str = "E1"):
    d = pd.to_datetime
    return pd.DataFrame({"authority_code": authority, "referral_id": ["r1", "r2"],
                         "referral_date": [d(first), d(last)], "first_assessment_date": [pd.NaT, pd.NaT],
                         "closure_date": [pd.NaT, pd.NaT]})


def _change_rows(periods, iid="C7_assessments", authority="E1"):
    return pd.DataFrame({"authority_code": authority, "period": periods, "indicator_id": iid, "breakdown": "all",
                         "numerator": 10.0, "denominator": 20.0, "value": 50.0, "note": None})


def test_a_change_against_a_part_quarter_is_withheld_with_its_reason():
    # extract from 15 February 2023: 2022-23 Q4 (1 Jan - 31 Mar 2023) is part-covered, so the change
    # of 2023-24 Q1 on it is withheld; 2023-24 Q2 on 2023-24 Q1 (both whole) stands
    b = _bundle(_referrals("2023-02-15", "2024-03-31"))
    out = withhold_partial_changes(_change_rows(["2023-24 Q1", "2023-24 Q2"]), b).set_index("period")
    assert np.isnan(out.loc["2023-24 Q1", ["numerator", "denominator", "value"]].astype(float)).all()
    assert out.loc["2023-24 Q1", "note"] == ("withheld: the referrals extract starts on 15 February 2023, part-way "
                                              "through or after the start of 2022-23 Q4, so the change would compare "
                                              "a part period with a whole one")
    assert out.loc["2023-24 Q2", "value"] == 50.0 and out.loc["2023-24 Q2", "note"] is None


def test_a_change_into_a_part_last_quarter_is_withheld():
    # extract ends 15 March 2024: 2023-24 Q4 is part-covered
    b = _bundle(_referrals("2022-04-01", "2024-03-15"))
    out = withhold_partial_changes(_change_rows(["2023-24 Q3", "2023-24 Q4"]), b).set_index("period")
    assert out.loc["2023-24 Q3", "value"] == 50.0
    assert np.isnan(out.loc["2023-24 Q4", "value"]) and "ends on 15 March 2024" in out.loc["2023-24 Q4", "note"]


def test_k7_looks_a_year_back_and_a_declared_coverage_holds_for_every_council():
    complaints = pd.DataFrame({"authority_code": ["E1", "E2"], "received_date": pd.to_datetime(["2023-05-01", "2023-05-01"])})
    b = SimpleNamespace(tables={"complaints": complaints},
                        metadata={"coverage": {"complaints": {"from": "2023-04-01", "to": "2025-03-31"}}})
    cov = council_coverage(b, "complaints").set_index("authority_code")
    assert cov.loc["E2", "from"] == pd.Timestamp("2023-04-01")  # declared, not the first row's date
    rows = pd.concat([_change_rows(["2024-25 Q1"], "K7", a) for a in ("E1", "E2")], ignore_index=True)
    out = withhold_partial_changes(rows, b)
    assert out["value"].tolist() == [50.0, 50.0]  # 2023-24 Q1 starts on 1 April 2023: whole
    rows = pd.concat([_change_rows(["2023-24 Q4"], "K7", a) for a in ("E1", "E2")], ignore_index=True)
    assert withhold_partial_changes(rows, b)["value"].isna().all()  # 2022-23 Q4 before the extract


@pytest.mark.slow
def test_the_sample_cut_to_start_on_15_february_withholds_the_changes(tmp_path):
    # the sample with every referral of the home council before 15 February 2023 removed: its
    # 2023-24 Q1 change in first assessments is against a part quarter (made up from 6 weeks)
    folder = tmp_path / "cut"
    shutil.copytree(SAMPLE, folder)
    ref = pd.read_parquet(folder / "referrals.parquet")
    keep = (ref["authority_code"] != HOME) | (ref["referral_date"] >= pd.Timestamp("2023-02-15"))
    ref[keep].to_parquet(folder / "referrals.parquet", index=False)
    for name in ("contacts",):  # contacts of removed referrals would be rejected rows: drop them too
        c = pd.read_parquet(folder / f"{name}.parquet")
        c[c["referral_id"].isin(ref.loc[keep, "referral_id"])].to_parquet(folder / f"{name}.parquet", index=False)
    md = json.loads((folder / "metadata.json").read_text())
    (folder / "metadata.json").write_text(json.dumps(md))
    table = compute_indicators(load_data(folder), ["2022-23 Q4", "2023-24 Q1", "2023-24 Q2"], families=["C", "W"])
    own = table[(table["authority_code"] == HOME) & (table["breakdown"] == "all")].set_index(["indicator_id", "period"])
    for iid in ("C7_referrals", "C7_assessments", "W8_net_change"):
        for p in ("2022-23 Q4", "2023-24 Q1"):  # against 2022-23 Q3 (no rows) and 2022-23 Q4 (from 15 February)
            assert np.isnan(own.loc[(iid, p), "value"]), (iid, p)
            assert own.loc[(iid, p), "note"].startswith("withheld: the referrals extract starts on 15 February 2023")
        assert np.isfinite(own.loc[(iid, "2023-24 Q2"), "value"])  # two whole quarters
    # another council's changes are untouched
    other = table[(table["authority_code"] == "E10000007") & (table["indicator_id"] == "C7_assessments")]
    assert np.isfinite(other["value"]).all()
