"""The synthetic generator: determinism, the contract, internal consistency, known truth."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.io import reference
from ot_benchmark.io import synth
from ot_benchmark.cli import main as cli_main
from ot_benchmark.io.contract import TABLES
from ot_benchmark.errors import ParameterError

HOME = "E10000017"  # Lancashire
# Lancashire plus two CIPFA neighbours of very different size (65+ population, reference data):
# Kent E10000016 (large) and Worcestershire E10000034 (smaller).
SMALL = [HOME, "E10000016", "E10000034"]
KW = dict(home=HOME, first_year=2022, last_year=2024, seed=7, scale=0.04, authorities=SMALL)


@pytest.fixture(scope="module")
def gen():
    return synth.generate(**KW)


def test_deterministic_for_a_seed(gen):
    tables, truth = gen
    again, truth2 = synth.generate(**KW)
    for name in tables:
        pd.testing.assert_frame_equal(tables[name], again[name])
    assert json.dumps(truth, default=str) == json.dumps(truth2, default=str)
    other, _ = synth.generate(**{**KW, "seed": 8})
    assert not other["referrals"]["referral_date"].equals(tables["referrals"]["referral_date"])


def test_council_data_do_not_depend_on_the_other_councils(gen):
    tables, _ = gen
    alone, _ = synth.generate(**{**KW, "authorities": [HOME, "E10000034"]})
    a = tables["referrals"][tables["referrals"]["authority_code"] == "E10000034"].reset_index(drop=True)
    b = alone["referrals"][alone["referrals"]["authority_code"] == "E10000034"].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_contract_columns_and_categories(gen):
    tables, _ = gen
    assert set(tables) == {"referrals", "contacts", "equipment", "workforce", "vacancies", "complaints",
                           "finance", "adaptations", "outcomes"}
    for name, df in tables.items():
        spec = TABLES[name]
        assert list(df.columns) == spec.column_names, name
        assert len(df) > 0, name
        for col in spec.columns:
            s = df[col.name]
            if not col.nullable:
                assert s.notna().all(), (name, col.name)
            if col.kind == "category":
                assert set(s.dropna().unique()) <= set(col.allowed), (name, col.name)
            if col.kind == "date":
                assert pd.api.types.is_datetime64_any_dtype(s), (name, col.name)
                assert (s.dropna() == s.dropna().dt.normalize()).all(), (name, col.name)  # dates, no times
            if col.kind == "code":
                assert set(s.unique()) <= reference.known_codes()
            if col.min_value is not None:
                assert (s.dropna() >= col.min_value).all(), (name, col.name)
            if col.unique:
                assert s.is_unique, (name, col.name)
        if spec.key:
            assert not df.duplicated(list(spec.key)).any(), name
    # every priority and every unassessed closure reason occurs
    r = tables["referrals"]
    assert set(r["priority"]) == {"urgent", "high", "medium", "low"}
    assert {"withdrawn", "died", "moved", "met_elsewhere", "assessed_and_closed"} <= set(r["closure_reason"].dropna())


def test_ids_unique_across_councils_and_prefixed(gen):
    tables, _ = gen
    r = tables["referrals"]
    assert r["referral_id"].is_unique
    assert r.loc[r["authority_code"] == HOME, "referral_id"].str.startswith("LAN-").all()
    assert tables["equipment"]["item_id"].is_unique


def test_internal_consistency(gen):
    tables, truth = gen
    end = pd.Timestamp(truth["data_end"])
    r = tables["referrals"]
    # clock stops never before clock starts; review after assessment; closure after everything
    assert (r["first_assessment_date"].dropna() >= r.loc[r["first_assessment_date"].notna(), "referral_date"]).all()
    assert (r["allocated_date"] >= r["referral_date"]).where(r["allocated_date"].notna(), True).all()
    assert (r["allocated_date"] <= r["first_assessment_date"]).where(
        r["allocated_date"].notna() & r["first_assessment_date"].notna(), True).all()
    assert r.loc[r["review_start_date"].notna(), "first_assessment_date"].notna().all()
    assert (r["review_start_date"] >= r["first_assessment_date"]).where(r["review_start_date"].notna(), True).all()
    assert (r["closure_date"] >= r["referral_date"]).where(r["closure_date"].notna(), True).all()
    assert (r["closure_date"] >= r["first_assessment_date"]).where(
        r["closure_date"].notna() & r["first_assessment_date"].notna(), True).all()
    assert (r["closure_date"] >= r["review_start_date"]).where(
        r["closure_date"].notna() & r["review_start_date"].notna(), True).all()
    # closure_reason iff closure_date; assessed_and_closed iff assessed
    assert (r["closure_reason"].notna() == r["closure_date"].notna()).all()
    closed = r[r["closure_date"].notna()]
    assert ((closed["closure_reason"] == "assessed_and_closed") == closed["first_assessment_date"].notna()).all()
    # no event after the data end (a complaint's due date is a plan, not an event: it may fall
    # after the end, but never in the future of today)
    for name, df in tables.items():
        for col in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                assert (df[col].dropna() < pd.Timestamp.today().normalize()).all(), (name, col)
                if col == "due_date":
                    continue
                assert (df[col].dropna() <= end).all(), (name, col)
    # people still waiting at every quarter end
    for q_end in pd.date_range(truth["data_start"], end, freq="QE-MAR"):
        waiting = (r["referral_date"] <= q_end) & ~(r["first_assessment_date"] <= q_end) & ~(r["closure_date"] <= q_end)
        assert waiting.groupby(r["authority_code"]).sum().min() > 0, q_end
    # long waits exist: > 52 weeks among completed or current waits
    wait = (r["first_assessment_date"].fillna(end) - r["referral_date"]).dt.days
    assert (wait > 364).any() and (wait > 182).sum() > 10

    e = tables["equipment"]
    assert (e["ordered_date"] >= e["decision_date"]).where(e["decision_date"].notna(), True).all()
    assert (e["delivered_date"] >= e["ordered_date"]).where(e["delivered_date"].notna(), True).all()
    assert (e["collection_requested_date"] >= e["delivered_date"]).where(e["collection_requested_date"].notna(), True).all()
    assert e.loc[e["collection_requested_date"].notna(), "delivered_date"].notna().all()
    assert (e["collected_date"] >= e["collection_requested_date"]).where(e["collected_date"].notna(), True).all()
    assert e.loc[e["collected_date"].notna(), "collection_requested_date"].notna().all()
    assert (e["collection_outcome"].notna() == e["collected_date"].notna()).all()
    assert e["item_value_gbp"].between(5, 2000).all()
    # referral ids on items point at referrals in the extract
    assert set(e["referral_id"].dropna()) <= set(r["referral_id"])
    ass = r.set_index("referral_id")["first_assessment_date"]
    linked = e[e["referral_id"].notna()]
    assert (linked["decision_date"].to_numpy() == ass.loc[linked["referral_id"]].to_numpy()).all()

    c = tables["contacts"]
    cr = c.merge(r, on="referral_id", how="left")
    assert cr["referral_date"].notna().all() and (cr["contact_date"] >= cr["referral_date"]).all()

    k = tables["complaints"]
    assert (k["due_date"] >= k["received_date"]).all()
    assert (k["responded_date"] >= k["received_date"]).where(k["responded_date"].notna(), True).all()
    assert (k["outcome"].notna() == k["responded_date"].notna()).all()
    assert (k["ombudsman_referred_date"] >= k["responded_date"]).where(k["ombudsman_referred_date"].notna(), True).all()
    assert (k["ombudsman_decided_date"] >= k["ombudsman_referred_date"]).where(k["ombudsman_decided_date"].notna(), True).all()
    assert (k["ombudsman_decision"].notna() == k["ombudsman_decided_date"].notna()).all()
    assert (k["recommendations_complied"] <= k["recommendations_due"]).dropna().all()
    assert k["remedy_gbp"].dropna().between(100, 12250).all()
    assert set(k["stream"]) == {"asc_statutory", "childrens_statutory", "corporate"} or len(k) < 30

    v = tables["vacancies"]
    assert (v["filled_on"] > v["vacant_from"]).where(v["filled_on"].notna(), True).all()
    w = tables["workforce"]
    assert (w["in_post_wte"] <= w["establishment_wte"] + 1e-9).all()
    a = tables["adaptations"]
    assert (a["completed_date"] >= a["recommended_date"]).where(a["completed_date"].notna(), True).all()
    assert set(a["referral_id"]) <= set(r["referral_id"])
    o = tables["outcomes"]
    assert o["score_start"].between(0, 10).all() and o["score_end"].between(0, 10).all()
    assert set(o["referral_id"]) <= set(r.loc[r["closure_reason"] == "assessed_and_closed", "referral_id"])


def test_volumes_scale_with_population_65_plus(gen):
    tables, truth = gen
    r = tables["referrals"]
    start = pd.Timestamp(truth["data_start"])
    n = r[r["referral_date"] >= start].groupby("authority_code").size()
    pop = reference.population(SMALL, "pop_65_plus")
    rate = truth["councils"]
    # referrals per year / (pop65/1000) recovers each council's effective rate (3 years, Poisson noise)
    for code in SMALL:
        observed = n[code] / 3 / (pop[code] / 1000)
        expected = rate[code]["effective_referral_rate_per_1000_65_plus_per_year"]
        assert observed == pytest.approx(expected, rel=0.1), code
    # Kent has about 1.8x Worcestershire's 65+ population, so about that ratio of referrals
    ratio_pop = pop["E10000016"] / pop["E10000034"]
    ratio_rate = (rate["E10000016"]["referral_rate_per_1000_65_plus_per_year"]
                  / rate["E10000034"]["referral_rate_per_1000_65_plus_per_year"])
    assert n["E10000016"] / n["E10000034"] == pytest.approx(ratio_pop * ratio_rate, rel=0.12)


def test_priority_mix_and_unassessed_closure_rate_recovered(gen):
    tables, truth = gen
    r = tables["referrals"]
    home = r[(r["authority_code"] == "E10000016") & (r["referral_date"] >= pd.Timestamp(truth["data_start"]))]
    mix = home["priority"].value_counts(normalize=True)
    for p, share in truth["councils"]["E10000016"]["priority_mix"].items():
        assert mix[p] == pytest.approx(share, abs=0.03)
    closed = home[home["closure_date"].notna()]
    unassessed = (closed["closure_reason"] != "assessed_and_closed").mean()
    assert 0.05 < unassessed < 0.25


def test_equipment_rates_recovered(gen):
    tables, truth = gen
    e = tables["equipment"]
    e = e[e["authority_code"] == "E10000016"]
    t = truth["councils"]["E10000016"]["equipment"]
    collected = e[e["collected_date"].notna()]
    assert (collected["collection_outcome"] == "reused").mean() == pytest.approx(t["p_reused_if_collected"], abs=0.03)
    assert e["from_recycled_stock"].mean() == pytest.approx(t["p_issued_from_recycled_stock"], abs=0.03)
    # busday count: 7 working days after the order, weekends and bank holidays excluded
    from ot_benchmark.workdays import WorkingCalendar

    d = e[e["delivered_date"].notna()]
    wd = WorkingCalendar().working_days_between(d["ordered_date"], d["delivered_date"])
    assert (wd <= 7).mean() == pytest.approx(t["p_delivered_within_7_working_days"], abs=0.03)
    n_assessed = tables["referrals"].query("authority_code == 'E10000016'")["first_assessment_date"].notna().sum()
    per = e["referral_id"].notna().sum() / n_assessed
    assert 4.5 < per < 8.5


def test_step_change_visible(gen):
    tables, truth = gen
    s = truth["step_change"]
    assert s["authority"] == HOME and s["quarter"] == "2023-24 Q3" and s["date"] == "2023-10-01"
    w = tables["workforce"]
    ot = w[(w["authority_code"] == HOME) & (w["role"] == "ot")].set_index("snapshot_date")
    before = ot.loc[pd.Timestamp("2023-09-30"), "establishment_wte"]
    after = ot.loc[pd.Timestamp("2024-03-31"), "establishment_wte"]
    n_new = s["ot_posts_after"] - s["ot_posts_before"]
    assert n_new == s["ot_posts_before"] >= 1  # posts doubled
    # each new post is 0.5-1.0 WTE, so establishment rises by at least half the new posts' count
    assert after >= before + 0.5 * n_new
    # the truth file records the same snapshots as the workforce table
    snaps = pd.DataFrame(truth["councils"][HOME]["workforce"]["snapshots"])
    t_after = snaps[(snaps["role"] == "ot") & (snaps["snapshot_date"] == "2024-03-31")]["establishment_wte"].iloc[0]
    assert t_after == after
    # new posts vacant from the step date
    v = tables["vacancies"]
    assert (v[(v["authority_code"] == HOME) & (v["role"] == "ot")]["vacant_from"] == pd.Timestamp("2023-10-01")).sum() \
        == s["ot_posts_after"] - s["ot_posts_before"]
    # the waiting list falls: people waiting at 2023-09-30 vs 2024-03-31
    r = tables["referrals"][tables["referrals"]["authority_code"] == HOME]

    def waiting(day):
        day = pd.Timestamp(day)
        return int(((r["referral_date"] <= day) & ~(r["first_assessment_date"] <= day) & ~(r["closure_date"] <= day)).sum())

    assert waiting("2024-03-31") < 0.6 * waiting("2023-09-30")
    # and completed waits for referrals after the step are shorter than a year before it
    wait = (r["first_assessment_date"] - r["referral_date"]).dt.days
    pre = wait[(r["referral_date"] >= "2022-10-01") & (r["referral_date"] < "2023-01-01")].median()
    post = wait[(r["referral_date"] >= "2024-01-01") & (r["referral_date"] < "2024-04-01")].median()
    assert post < 0.6 * pre
    assert truth["councils"][HOME]["performance"] == "worse"


def test_truth_and_metadata_written(tmp_path):
    meta = synth.write_folder(tmp_path, **{**KW, "scale": 0.01}, fmt="csv")
    files = {p.name for p in tmp_path.iterdir()}
    assert {f"{t}.csv" for t in TABLES if t != "returns"} | {"metadata.json", "synthetic_truth.json"} <= files
    m = json.loads((tmp_path / "metadata.json").read_text())
    assert m["synthetic"] is True and m["banner"] == "Synthetic demonstration data — not real council performance"
    assert m["home_authority"] == HOME and m["seed"] == 7 and m["scale"] == 0.01 and m["generator"] == "ot_benchmark.io.synth"
    t = json.loads((tmp_path / "synthetic_truth.json").read_text())
    c = t["councils"][HOME]
    for key in ["performance", "referral_rate_per_1000_65_plus_per_year", "priority_mix", "wait",
                "p_closed_without_assessment", "workforce", "equipment", "complaints", "costs"]:
        assert key in c
    assert t["step_change"]["ot_posts_after"] == 2 * t["step_change"]["ot_posts_before"]
    eq = pd.read_csv(tmp_path / "equipment.csv", dtype=str)
    assert set(eq["from_recycled_stock"]) <= {"Y", "N"}
    assert eq["ordered_date"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()


def test_cli_and_somerset_note(tmp_path):
    rc = cli_main(["synth", "--out", str(tmp_path), "--seed", "3", "--scale", "0.01", "--home", HOME,
                   "--group", "cipfa", "--first-year", "2023-24", "--last-year", "2023-24", "--quiet"])
    assert rc == 0
    t = json.loads((tmp_path / "synthetic_truth.json").read_text())
    assert len(t["authorities"]) == 16
    assert "pre-2023" in t["councils"]["E10000027"]["note"]
    assert "pre-2023" in json.loads((tmp_path / "metadata.json").read_text())["description"]
    assert (tmp_path / "referrals.parquet").exists()


def test_parameter_errors():
    with pytest.raises(ParameterError, match="has not ended"):
        synth.generate(first_year=2024, last_year=2030)
    with pytest.raises(ParameterError, match="financial year"):
        synth.generate(first_year="twenty")
    with pytest.raises(ParameterError, match="scale"):
        synth.generate(scale=0)


def test_small_generation_is_fast():
    t0 = time.perf_counter()
    tables, _ = synth.generate(seed=1, scale=0.05)  # Lancashire + 15 neighbours, ~25k referrals
    assert time.perf_counter() - t0 < 10
    assert len(tables["referrals"]) > 10_000


def test_contact_outcomes_recover_their_truth(gen):
    """contacts.outcome: the shares of priority_changed and no_response are the truth's, and a
    contact is 'withdrawn' only as the last contact of a referral later closed as withdrawn."""
    tables, truth = gen
    con, ref = tables["contacts"], tables["referrals"]
    assert set(con["outcome"].dropna()) <= {"still_waiting", "priority_changed", "withdrawn", "no_response"}
    n = len(con)
    for code in SMALL:
        o = truth["councils"][code]["keep_in_touch"]["outcomes"]
        assert o == {"p_priority_changed": synth.CONTACT_P_PRIORITY_CHANGED, "p_no_response": synth.CONTACT_P_NO_RESPONSE,
                     "p_withdrawal_recorded_at_last_contact": synth.CONTACT_P_WITHDRAWAL_RECORDED}
    for outcome, p in (("priority_changed", synth.CONTACT_P_PRIORITY_CHANGED), ("no_response", synth.CONTACT_P_NO_RESPONSE)):
        share = (con["outcome"] == outcome).mean()
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n), (outcome, share, p)
    wd = con[con["outcome"] == "withdrawn"]
    assert len(wd) > 0
    last = con.groupby("referral_id")["contact_date"].max()
    assert (wd["contact_date"].to_numpy() == last.loc[wd["referral_id"]].to_numpy()).all()
    reason = ref.set_index("referral_id").loc[wd["referral_id"], "closure_reason"]
    assert (reason == "withdrawn").all()
    # of the referrals closed as withdrawn that had a contact, about the truth's share record it
    closed_w = set(ref.loc[ref["closure_reason"] == "withdrawn", "referral_id"]) & set(con["referral_id"])
    share = len(wd) / len(closed_w)
    p = synth.CONTACT_P_WITHDRAWAL_RECORDED
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / len(closed_w)), share


def test_every_synthetic_contact_records_an_outcome(gen):
    tables, _ = gen
    assert list(tables["contacts"].columns) == ["referral_id", "contact_date", "outcome"]
    assert tables["contacts"]["outcome"].notna().all()
