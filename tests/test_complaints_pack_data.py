"""The complaints pack's columns (issue 14) in the data contract and the synthetic generator.

Contract: ``theme`` (coded, mappable), ``team``, ``joint_with_nhs`` and ``remedy_before_decision``
(yes/no that may be blank: a blank stays blank, it is not read as yes or no),
``ombudsman_reference``, ``remedy_due_date`` (may lie ahead of the extract) and
``remedy_completed_date`` (not before the complaint was received). A folder without them reads
them as blank without a warning.

Generator: the pack's columns come from a random stream of their own, so every other table and
every other complaints column is exactly what the committed sample holds (the sample itself is not
regenerated: its metadata.json names the generator by its old module path, and regenerating it
would rewrite that file too).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.io import synth
from ot_benchmark.io.contract import COMPLAINT_THEMES, TABLES
from ot_benchmark.io.validate import load_data

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
TODAY = "2025-06-30"
LANCS = "E10000017"
PACK = list(synth.PACK_COLUMNS)
BASE = ("complaint_id,authority_code,stream,stage,received_date,due_date,responded_date,outcome,"
        "ombudsman_referred_date,ombudsman_decision,ombudsman_decided_date")


def folder(tmp_path: Path, complaints: str, mapping: str | None = None) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "referrals.csv").write_text(
        "referral_id,authority_code,referral_date,priority,allocated_date,first_assessment_date,"
        f"review_start_date,closure_date,closure_reason\nR1,{LANCS},2024-04-03,high,,,,,\n", encoding="utf-8")
    (tmp_path / "complaints.csv").write_text(complaints, encoding="utf-8")
    if mapping is not None:
        (tmp_path / "mapping.toml").write_text(mapping, encoding="utf-8")
        (tmp_path / "settings.toml").write_text('mapping = "mapping.toml"\n', encoding="utf-8")
    return tmp_path


def test_pack_columns_are_optional_and_read_as_blank_without_a_warning(tmp_path):
    d = folder(tmp_path, BASE + f"\nC1,{LANCS},asc_statutory,1,2024-05-10,,,,,,\n")
    bundle = load_data(d, today=TODAY)
    k = bundle["complaints"]
    assert list(k.columns) == TABLES["complaints"].column_names
    assert k[PACK].isna().all().all()
    assert str(k["joint_with_nhs"].dtype) == "boolean" and str(k["remedy_before_decision"].dtype) == "boolean"
    assert not any(c in w for w in bundle.warnings for c in PACK), bundle.warnings


def test_pack_values_parsed_blank_booleans_stay_blank(tmp_path):
    header = BASE + ",theme,team,joint_with_nhs,ombudsman_reference,remedy_due_date,remedy_completed_date,remedy_before_decision"
    rows = [
        f"C1,{LANCS},asc_statutory,1,2024-05-10,,2024-05-20,upheld,2024-06-01,upheld,2024-09-01,Delay,North,Y,23 012 345,2025-12-01,,N",
        f"C2,{LANCS},asc_statutory,1,2024-05-11,,2024-05-20,upheld,,,,Staff conduct,South,,,,,",
        f"C3,{LANCS},corporate,1,2024-05-12,,2024-05-20,upheld,2024-06-01,upheld,2024-09-01,other,,no,24-001-002,,2024-08-01,yes",
    ]
    bundle = load_data(folder(tmp_path, header + "\n" + "\n".join(rows) + "\n"), today=TODAY)
    assert bundle.rejects.empty, bundle.rejects.to_string()
    k = bundle["complaints"].set_index("complaint_id")
    assert k["theme"].tolist() == ["delay", "staff_conduct", "other"]
    assert bool(k.loc["C1", "joint_with_nhs"]) and not bool(k.loc["C3", "joint_with_nhs"])
    assert pd.isna(k.loc["C2", "joint_with_nhs"])
    assert pd.isna(k.loc["C2", "remedy_before_decision"]) and bool(k.loc["C3", "remedy_before_decision"])
    assert not bool(k.loc["C1", "remedy_before_decision"])
    # a remedy can be due after the extract (and after today)
    assert k.loc["C1", "remedy_due_date"] == pd.Timestamp("2025-12-01")
    assert k.loc["C1", "ombudsman_reference"] == "23 012 345"


def test_pack_checks_reject_with_reasons(tmp_path):
    header = BASE + ",theme,remedy_completed_date,joint_with_nhs"
    rows = [
        f"C1,{LANCS},asc_statutory,1,2024-05-10,,,,,,,Waiting too long,,",   # theme not in the scheme
        f"C2,{LANCS},asc_statutory,1,2024-05-10,,,,,,,delay,2024-05-01,",    # remedy before received
        f"C3,{LANCS},asc_statutory,1,2024-05-10,,,,,,,delay,,maybe",         # not a yes/no
    ]
    bundle = load_data(folder(tmp_path, header + "\n" + "\n".join(rows) + "\n"), today=TODAY)
    r = bundle.rejects.set_index("column")["reason"]
    assert r["theme"].startswith("not one of the allowed values for theme: delay, communication")
    assert 'add the line  "Waiting too long" = "<the value it means>"  under [complaints.values.theme]' in r["theme"]
    assert r["remedy_completed_date"] == "remedy_completed_date is before received_date"
    assert r["joint_with_nhs"].startswith("not a yes/no value")
    assert bundle["complaints"].empty


def test_pack_columns_and_codes_are_mappable(tmp_path):
    header = ("Ref,Procedure,Stage,Received,Category,Service team,Joint with health,LGSCO reference,"
              "Remedy due,Remedy done,Remedied before decision")
    row = "C9,asc_statutory,1,2024-05-10,Waiting too long,OT North,Yes,23 012 345,2025-01-31,2025-01-20,No"
    mapping = """
[complaints.columns]
complaint_id = "Ref"
stream = "Procedure"
received_date = "Received"
theme = "Category"
team = "Service team"
joint_with_nhs = "Joint with health"
ombudsman_reference = "LGSCO reference"
remedy_due_date = "Remedy due"
remedy_completed_date = "Remedy done"
remedy_before_decision = "Remedied before decision"

[complaints.values.theme]
"Waiting too long" = "delay"
"""
    meta = '{"home_authority": "E10000017"}'
    d = folder(tmp_path, header + "\n" + row + "\n", mapping)
    (d / "metadata.json").write_text(meta, encoding="utf-8")
    bundle = load_data(d, today=TODAY)
    assert bundle.rejects.empty, bundle.rejects.to_string()
    k = bundle["complaints"].iloc[0]
    assert (k["theme"], k["team"], bool(k["joint_with_nhs"]), k["ombudsman_reference"]) == ("delay", "OT North", True, "23 012 345")
    assert not bool(k["remedy_before_decision"])
    assert k["remedy_completed_date"] == pd.Timestamp("2025-01-20")


# --------------------------------------------------------------------------------------------
# the generator


@pytest.fixture(scope="module")
def sample_again():
    """The sample's command run again (data/sample/README.md), in memory."""
    return synth.generate(home=LANCS, group="cipfa", first_year="2022-23", last_year="2024-25", seed=2025, scale=0.2)


def test_the_pack_leaves_every_other_table_and_column_as_the_sample_has_it(sample_again):
    tables, _ = sample_again
    for name, df in tables.items():
        committed = pd.read_parquet(SAMPLE / f"{name}.parquet")
        cols = [c for c in df.columns if not (name == "complaints" and c in PACK)]
        pd.testing.assert_frame_equal(df[cols].reset_index(drop=True), committed[cols].reset_index(drop=True),
                                      check_dtype=False, obj=name)


@pytest.fixture(scope="module")
def big():
    """Lancashire, Kent and Essex, full size, three years: enough complaints (and about 30 upheld
    Ombudsman decisions) to check the truth."""
    return synth.generate(home=LANCS, authorities=[LANCS, "E10000016", "E10000012"], first_year=2022, last_year=2024,
                          seed=14, scale=1.0)


def test_pack_values_follow_the_truth(big):
    tables, truth = big
    k = tables["complaints"]
    k = k[k["authority_code"] == LANCS]
    pack = truth["complaints_pack"]["councils"][LANCS]
    assert set(k["theme"]) <= set(COMPLAINT_THEMES) and set(k["team"]) <= set(synth.TEAMS)
    # a stage-2 row repeats its stage-1 row's theme, team and joint flag
    base = k["complaint_id"].str.rsplit("-", n=1).str[0]
    per = k.assign(base=base).groupby("base")[["theme", "team", "joint_with_nhs"]].nunique()
    assert (per.max() <= 1).all()
    first = k[k["stage"] == 1]
    adult = first[first["stream"] == "asc_statutory"]
    p = pack["p_joint_with_nhs"]["asc_statutory"]
    share = adult["joint_with_nhs"].astype(bool).mean()
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / len(adult)), (share, p, len(adult))
    assert not first.loc[first["stream"] == "corporate", "joint_with_nhs"].astype(bool).any()
    # the hotspot: the North team's complaints are more often about delay than the others'
    north = first["team"] == "North"
    assert (first.loc[north, "theme"] == "delay").mean() > (first.loc[~north, "theme"] == "delay").mean() + 0.1


def test_ombudsman_references_and_remedies_are_consistent(big):
    tables, truth = big
    k = tables["complaints"]
    took = k["ombudsman_referred_date"].notna()
    assert (k["ombudsman_reference"].notna() == took).all()
    refs = k.loc[took, "ombudsman_reference"]
    assert refs.str.fullmatch(r"\d\d \d\d\d \d\d\d").all()
    assert not refs.groupby(k.loc[took, "authority_code"]).apply(lambda r: r.duplicated().any()).any()
    assert (refs.str[:2] == (k.loc[took, "ombudsman_referred_date"].dt.year % 100).astype(str).str.zfill(2)).all()
    upheld = k["ombudsman_decision"].eq("upheld").fillna(False).astype(bool)
    assert k.loc[~upheld, ["remedy_due_date", "remedy_completed_date"]].isna().all().all()
    assert k.loc[~upheld, "remedy_before_decision"].isna().all()
    assert k.loc[upheld, "remedy_before_decision"].notna().all()
    before = k[upheld & k["remedy_before_decision"].fillna(False).astype(bool)]
    after = k[upheld & ~k["remedy_before_decision"].fillna(True).astype(bool)]
    assert len(before) and len(after)
    assert before["remedy_due_date"].isna().all()
    assert (before["remedy_completed_date"] <= before["ombudsman_decided_date"]).all()
    assert (before["remedy_completed_date"] >= before["responded_date"]).all()
    days = (after["remedy_due_date"] - after["ombudsman_decided_date"]).dt.days
    assert set(days) <= set(synth.REMEDY_DUE_DAYS.tolist())
    done = after["remedy_completed_date"].dropna()
    assert (done > after.loc[done.index, "ombudsman_decided_date"]).all()
    assert (done <= pd.Timestamp(truth["data_end"])).all()


def test_generated_folder_validates_with_the_pack(tmp_path):
    synth.write_folder(tmp_path / "csv", home=LANCS, authorities=[LANCS], first_year=2023, last_year=2024,
                       seed=5, scale=0.5, fmt="csv")
    bundle = load_data(tmp_path / "csv")
    assert bundle.rejects.empty, bundle.rejects.head().to_string()
    written = pd.read_csv(tmp_path / "csv" / "complaints.csv", dtype=str, keep_default_na=False)
    assert set(written["joint_with_nhs"]) <= {"Y", "N"} and set(written["remedy_before_decision"]) <= {"Y", "N", ""}
