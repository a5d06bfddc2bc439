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
from ot_benchmark.indicators.partial import extract_span, withhold_partial_changes
from ot_benchmark.io.validate import load_data
from ot_benchmark.report.context import build_context

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
HOME = "E10000017"


def _bundle(table: str, first: str, last: str | None = None):
    """A stand-in for a DataBundle: only its coverage is read (``to`` declared when given)."""
    cov = pd.DataFrame({"table": [table], "from": [pd.Timestamp(first)],
                        "to": [pd.Timestamp(last) if last else pd.Timestamp("2030-01-01")],
                        "from_source": ["inferred"], "to_source": ["declared" if last else "inferred"]})
    return SimpleNamespace(coverage=cov)


def _change_rows(periods, iid="C7_assessments", authority="E1"):
    return pd.DataFrame({"authority_code": authority, "period": periods, "indicator_id": iid, "breakdown": "all",
                         "numerator": 10.0, "denominator": 20.0, "value": 50.0, "note": None})


def test_a_change_against_a_part_quarter_is_withheld_with_its_reason():
    # extract from 15 February 2023: 2022-23 Q4 (1 Jan - 31 Mar 2023) is part-covered, so the change
    # of 2023-24 Q1 on it is withheld; 2023-24 Q2 on 2023-24 Q1 (both whole) stands
    b = _bundle("referrals", "2023-02-15")
    out = withhold_partial_changes(_change_rows(["2023-24 Q1", "2023-24 Q2"]), b).set_index("period")
    assert np.isnan(out.loc["2023-24 Q1", ["numerator", "denominator", "value"]].astype(float)).all()
    assert out.loc["2023-24 Q1", "note"] == ("withheld: the referrals extract starts on 15 February 2023, part-way "
                                              "through the earlier period 2022-23 Q4, so the change would compare "
                                              "a part period with a whole one")
    assert out.loc["2023-24 Q2", "value"] == 50.0 and out.loc["2023-24 Q2", "note"] is None


def test_a_change_into_a_part_last_quarter_is_withheld_when_the_end_is_declared():
    # metadata.json declares the extract ends 15 March 2024: 2023-24 Q4 is part-covered
    b = _bundle("referrals", "2022-04-01", "2024-03-15")
    out = withhold_partial_changes(_change_rows(["2023-24 Q3", "2023-24 Q4"]), b).set_index("period")
    assert out.loc["2023-24 Q3", "value"] == 50.0
    assert np.isnan(out.loc["2023-24 Q4", "value"]) and "ends on 15 March 2024" in out.loc["2023-24 Q4", "note"]


def test_k7_looks_a_year_back_and_a_last_event_is_not_an_end():
    # complaints from 1 April 2023; the last complaint's date is not taken as the extract's end
    b = _bundle("complaints", "2023-04-01")
    b.coverage["to"] = pd.Timestamp("2025-03-03")  # inferred from the last complaint, not declared
    out = withhold_partial_changes(_change_rows(["2023-24 Q4", "2024-25 Q1", "2024-25 Q4"], "K7"), b)
    # 2023-24 Q4 on 2022-23 Q4, wholly before the extract: left to the family (which finds no figure);
    # the others compare whole quarters: kept
    assert out["value"].tolist() == [50.0, 50.0, 50.0] and out["note"].isna().all()
    part = _bundle("complaints", "2023-02-10")  # part-way through 2022-23 Q4
    assert np.isnan(withhold_partial_changes(_change_rows(["2023-24 Q4"], "K7"), part)["value"].iloc[0])


def test_a_declared_first_period_is_the_start_of_a_sparse_extract():
    # the first complaint came on 5 April 2022, but the folder says its extracts start with 2022-23 Q1
    b = _bundle("complaints", "2022-04-05")
    b.metadata = {"first_period": "2022-23 Q1"}
    assert extract_span(b, "complaints")[0] == pd.Timestamp("2022-04-01")
    assert withhold_partial_changes(_change_rows(["2023-24 Q1"], "K7"), b)["value"].tolist() == [50.0]


def test_extract_span_reads_the_bundles_coverage(tmp_path):
    folder = tmp_path / "f"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("equipment*", "outcomes*", "adaptations*"))
    md = json.loads((folder / "metadata.json").read_text())
    md["coverage"] = {"complaints": {"from": "2022-04-01", "to": "2025-03-31"}}
    (folder / "metadata.json").write_text(json.dumps(md))
    b = load_data(folder)
    assert extract_span(b, "complaints") == (pd.Timestamp("2022-04-01"), pd.Timestamp("2025-03-31"))
    first, last = extract_span(b, "referrals")  # inferred: the file's first date; no declared end
    assert first == b.tables["referrals"]["referral_date"].min() and pd.isna(last)


@pytest.mark.slow
def test_the_sample_cut_to_start_on_15_february_withholds_the_changes(tmp_path):
    # the sample with every referral of the home council before 15 February 2023 removed: its
    # 2023-24 Q1 change in first assessments is against a part quarter (made up from 6 weeks)
    folder = tmp_path / "cut"
    shutil.copytree(SAMPLE, folder)
    ref = pd.read_parquet(folder / "referrals.parquet")
    keep = ref["referral_date"] >= pd.Timestamp("2023-02-15")  # the export starts on 15 February 2023
    ref[keep].to_parquet(folder / "referrals.parquet", index=False)
    md = json.loads((folder / "metadata.json").read_text())  # a council's export names no first period
    for k in ("first_period", "last_period"):
        md.pop(k, None)
    (folder / "metadata.json").write_text(json.dumps(md))
    c = pd.read_parquet(folder / "contacts.parquet")  # contacts of removed referrals would be rejected
    c[c["referral_id"].isin(ref.loc[keep, "referral_id"])].to_parquet(folder / "contacts.parquet", index=False)
    table = compute_indicators(load_data(folder), ["2022-23 Q4", "2023-24 Q1", "2023-24 Q2"], families=["C", "W"])
    # the report's sentences compare 2023-24 Q1 with no waiting or caseload figure of 2022-23 Q4 (the
    # referrals extract started part-way through it), but still with equipment's (a whole quarter)
    ctx = build_context(data_dir=str(folder), authority=HOME, period="2023-24 Q1", output_dir=str(tmp_path / "o"),
                        cache_dir=str(tmp_path / "cache"), settings_path=str(folder / "settings.toml"))
    families = set(ctx.previous["indicator_id"].map(ctx.catalogue.set_index("indicator_id")["family"]))
    assert "W" not in families and "C" not in families and "E" in families
    assert set(ctx.previous["period"]) == {"2022-23 Q4"}
    own = table[(table["authority_code"] == HOME) & (table["breakdown"] == "all")].set_index(["indicator_id", "period"])
    for iid in ("C7_referrals", "C7_assessments", "W8_net_change"):
        # against 2022-23 Q3, wholly before the extract: no value, the family's own note says why
        assert np.isnan(own.loc[(iid, "2022-23 Q4"), "value"]) and own.loc[(iid, "2022-23 Q4"), "note"]
        # against 2022-23 Q4, from 15 February only: withheld, saying so
        assert np.isnan(own.loc[(iid, "2023-24 Q1"), "value"]), iid
        assert own.loc[(iid, "2023-24 Q1"), "note"].startswith(
            "withheld: the referrals extract starts on 15 February 2023, part-way through the earlier period 2022-23 Q4")
        assert np.isfinite(own.loc[(iid, "2023-24 Q2"), "value"])  # two whole quarters
