"""Reference data: councils, populations, comparator groups (checked against the CSVs by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ot_benchmark.io import reference
from ot_benchmark.errors import DataContractError, NoComparatorGroup, ParameterError

LANCASHIRE = "E10000017"


def test_council_lists_and_names():
    assert len(reference.councils("2025")) == 153
    assert len(reference.councils("2021_23")) == 152
    # union: 153 current + Cumbria, North Yorkshire (county) and Somerset (county) = 156
    assert len(reference.councils("all")) == 156
    assert reference.council_name(LANCASHIRE) == "Lancashire"
    assert reference.council_name(" e10000017 ") == "Lancashire"
    codes = reference.known_codes()
    assert {"E06000063", "E06000064", "E06000065", "E06000066", "E10000027", "E10000006"} <= codes
    with pytest.raises(ParameterError, match="not the ONS code"):
        reference.council_name("E99999999")
    with pytest.raises(ParameterError, match="vintage"):
        reference.councils("2019")


@pytest.mark.parametrize("vintage", ["2025", "2021_23"])
def test_populations_sum_to_ons_england_totals(vintage):
    # PROVENANCE.md: ONS mid-2020 England totals
    df = reference.councils(vintage)
    assert df["pop_all_ages"].sum() == 56_550_138
    assert df["pop_18_plus"].sum() == 44_456_850
    assert df["pop_65_plus"].sum() == 10_464_019


def test_population_lookup():
    # asc_authorities_2021_23.csv: Lancashire pop_65_plus 255637, Hartlepool 18371
    assert reference.population(LANCASHIRE, "pop_65_plus") == 255_637
    s = reference.population([LANCASHIRE, "E06000001"], column="pop_65_plus")
    assert s.tolist() == [255_637, 18_371]
    assert reference.population("E06000001") == 73_728  # Hartlepool aged 18+
    with pytest.raises(ParameterError, match="population column"):
        reference.population(LANCASHIRE, "pop_90")


def test_lancashire_cipfa_group():
    g = reference.comparator_group(LANCASHIRE, "cipfa")
    assert len(g) == 15 and len(set(g)) == 15
    # read by hand from cipfa_nn_oflog_utla_long.csv (rows with ons_code E10000017)
    for code in ["E10000007",  # Derbyshire
                 "E10000011",  # East Sussex
                 "E10000016",  # Kent
                 "E10000027",  # Somerset (pre-2023 county)
                 "E10000034"]:  # Worcestershire
        assert code in g
    assert "E10000030" not in g  # Surrey lists Lancashire, but not vice versa
    assert LANCASHIRE not in g
    assert reference.comparator_group(LANCASHIRE, include_self=True)[0] == LANCASHIRE


def test_lancashire_dfe_group_ranked():
    g = reference.comparator_group(LANCASHIRE, "dfe")
    # dfe_sn_2025_long.csv, section current, Lancashire: rank 1 Lincolnshire ... rank 10 Wigan
    assert g == ["E10000019", "E08000002", "E08000027", "E06000019", "E06000005",
                 "E06000004", "E08000036", "E10000024", "E06000057", "E08000010"]


@pytest.mark.parametrize("code,name", [
    ("E06000063", "Cumberland"), ("E06000064", "Westmorland and Furness"),
    ("E06000065", "North Yorkshire"), ("E06000066", "Somerset"),
])
def test_reorganised_councils_have_no_cipfa_group(code, name):
    with pytest.raises(NoComparatorGroup, match=rf"{name}.*2023 reorganisation.*scheme='dfe'"):
        reference.comparator_group(code, "cipfa")
    assert len(reference.comparator_group(code, "dfe")) == 10  # the other scheme has them


@pytest.mark.parametrize("code", ["E09000001", "E06000053"])  # City of London, Isles of Scilly
def test_city_and_scilly_have_no_cipfa_group(code):
    with pytest.raises(NoComparatorGroup, match="no CIPFA"):
        reference.comparator_group(code)


def test_old_county_has_no_current_dfe_group():
    with pytest.raises(NoComparatorGroup, match="DfE"):
        reference.comparator_group("E10000027", "dfe")  # Somerset county, abolished 2023


def test_unknown_code_and_scheme():
    with pytest.raises(ParameterError, match="not the ONS code"):
        reference.comparator_group("X123")
    with pytest.raises(ParameterError, match="neither 'cipfa', 'dfe'"):
        reference.comparator_group(LANCASHIRE, "nosuchscheme")


def test_user_csv_group(tmp_path):
    f = tmp_path / "group.csv"
    f.write_text("authority,neighbour\nE10000017,E08000010\nE10000017, e10000019\nE08000010,E10000017\n")
    assert reference.comparator_group(LANCASHIRE, f) == ["E08000010", "E10000019"]
    assert reference.comparator_group(LANCASHIRE, str(f), include_self=True) == [LANCASHIRE, "E08000010", "E10000019"]
    with pytest.raises(NoComparatorGroup, match="no rows"):
        reference.comparator_group("E06000001", f)


def test_user_csv_bad_columns_named(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("council,peer\nE10000017,E08000010\n")
    with pytest.raises(DataContractError, match=r"bad\.csv.*'authority'.*'neighbour'"):
        reference.comparator_group(LANCASHIRE, f)
    g = tmp_path / "badcode.csv"
    g.write_text("ons_code,neighbour_ons_code\nE10000017,E12345678\n")
    with pytest.raises(DataContractError, match="E12345678"):
        reference.comparator_group(LANCASHIRE, g)


def test_nearest_neighbours_by_hand():
    # recompute the z-score Euclidean distance independently for one pair
    res = reference.nearest_neighbours(LANCASHIRE, k=15, variables=("share_65_plus", "share_85_plus"))
    assert len(res) == 15 and res["rank"].tolist() == list(range(1, 16))
    assert LANCASHIRE not in set(res["ons_code"]) and res["distance"].is_monotonic_increasing
    df = pd.read_csv(reference.reference_dir() / "asc_authorities_2025.csv")
    s65 = df["pop_65_plus"] / df["pop_all_ages"]
    s85 = df["pop_85_plus"] / df["pop_all_ages"]
    z65 = (s65 - s65.mean()) / s65.std(ddof=0)
    z85 = (s85 - s85.mean()) / s85.std(ddof=0)
    i = df.index[df["ons_code"] == LANCASHIRE][0]
    j = df.index[df["ons_code"] == res["ons_code"].iloc[0]][0]
    expected = np.hypot(z65[i] - z65[j], z85[i] - z85[j])
    assert res["distance"].iloc[0] == pytest.approx(expected)
    dist_all = np.hypot(z65 - z65[i], z85 - z85[i]).drop(i)
    assert res["distance"].iloc[0] == pytest.approx(dist_all.min())
    with pytest.raises(ParameterError, match="variable"):
        reference.nearest_neighbours(LANCASHIRE, variables=("gdp",))


def test_equipment_spend_2014_15():
    eq = reference.equipment_spend_2014_15()
    assert list(eq.columns) == ["ons_code", "council_name", "service", "accounting_category", "value_gbp"]
    # first data row of the CSV: Cumbria, own provision, 284.62 (£ thousands)
    row = eq[(eq["ons_code"] == "E10000006") & (eq["accounting_category"] == "Gross total cost: own provision")]
    assert row["value_gbp"].iloc[0] == pytest.approx(284_620.0)
    # PROVENANCE.md: national assistive equipment and technology spend £213.7m (gross current)
    total = eq.loc[eq["accounting_category"] == "Gross current expenditure", "value_gbp"].sum()
    assert total == pytest.approx(213.7e6, rel=0.01)


def test_env_override(tmp_path, monkeypatch):
    src = reference.reference_dir()
    for f in src.glob("*.csv"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv("OT_BENCHMARK_REFERENCE_DIR", str(tmp_path))
    assert reference.reference_dir() == tmp_path.resolve()
    assert reference.council_name(LANCASHIRE) == "Lancashire"
    monkeypatch.setenv("OT_BENCHMARK_REFERENCE_DIR", str(tmp_path / "missing"))
    with pytest.raises(DataContractError, match="missing"):
        reference.councils()


# --------------------------------------------------------------------------- councils as they were
ABOLISHED_2019_21 = {"E06000028": "Bournemouth", "E06000029": "Poole", "E10000009": "Dorset County",
                     "E10000002": "Buckinghamshire County", "E10000021": "Northamptonshire"}


def test_history_holds_every_council_since_2015():
    h = reference.council_history()
    # 156 codes of the two lists + the 5 councils abolished 2019-2021
    assert len(h) == 161 and h["ons_code"].is_unique
    assert set(ABOLISHED_2019_21) <= set(h["ons_code"]) <= reference.known_codes()
    for code, name in ABOLISHED_2019_21.items():
        assert reference.council_name(code) == name


@pytest.mark.parametrize("year, n", [
    # 152 councils with adult social services until 31 March 2019; Bournemouth, Poole and Dorset
    # County -> BCP and Dorset Council (SI 2018/648): 151; Buckinghamshire County ->
    # Buckinghamshire Council (SI 2019/957): 151; Northamptonshire -> North and West
    # Northamptonshire (SI 2020/156): 152; Cumbria -> 2, North Yorkshire -> 1, Somerset -> 1
    # (SI 2022/331, 328, 329): 153
    ("2015-16", 152), ("2018-19", 152), ("2019-20", 151), ("2020-21", 151), ("2021-22", 152),
    ("2022-23", 152), ("2023-24", 153), ("2024-25", 153),
])
def test_councils_in_each_year(year, n):
    assert len(reference.councils_in_period(year)) == n


def test_who_existed_when():
    in_2018 = set(reference.councils_in_period("2018-19")["ons_code"])
    in_2019 = set(reference.councils_in_period("2019-20")["ons_code"])
    assert {"E06000028", "E06000029", "E10000009", "E10000002", "E10000021"} <= in_2018
    assert not {"E06000058", "E06000059"} & in_2018
    assert {"E06000058", "E06000059", "E10000002", "E10000021"} <= in_2019 and "E06000028" not in in_2019
    # quarters and months are judged the same way: Cumbria's last quarter is 2022-23 Q4
    assert "E10000006" in set(reference.councils_in_period("2022-23 Q4")["ons_code"])
    assert "E10000006" not in set(reference.councils_in_period("April 2023")["ons_code"])
    assert reference.did_not_exist(["E06000028", "E06000028", "E06000058", "E10000017", "E99999999"],
                                   ["2018-19", "2019-20", "2018-19", "2018-19", "2018-19"]).tolist() == [
        False, True, True, False, False]


def test_existence_note_names_successor_and_order():
    note = reference.existence_note("E06000028", "2022-23")
    assert note == ("Bournemouth (E06000028) did not exist in 2022-23: it was abolished on 1 April 2019 "
                    "(SI 2018/648); its area is now Bournemouth, Christchurch and Poole (E06000058)")
    assert "created on 1 April 2021 (SI 2020/156) from Northamptonshire (E10000021)" in \
        reference.existence_note("E06000061", "2019-20")
    assert reference.existence_note("E06000028", "2018-19") == ""


def test_history_successors_and_predecessors_agree():
    h = reference.council_history().set_index("ons_code")
    for code, row in h.iterrows():
        for s in filter(None, row["successor_codes"].split(";")):
            assert code in h.loc[s, "predecessor_codes"].split(";")
            assert h.loc[s, "existed_from"] == row["existed_to"] + pd.Timedelta(days=1)


def test_abolished_council_has_no_population():
    with pytest.raises(ParameterError, match="Bournemouth.*no population"):
        reference.population("E06000028")


def test_england_region_and_type_groups_by_period():
    trafford = "E08000009"
    assert len(reference.comparator_group(trafford, "england", period="2018-19")) == 151  # 152 less Trafford
    assert len(reference.comparator_group(trafford, "england", period="2023-24")) == 152
    g = reference.comparator_group(trafford, "england", period="2018-19")
    assert "E06000028" in g and "E06000058" not in g
    # North West: 23 councils in 2022-23 (with Cumbria), 24 from 2023-24 (Cumberland, W&F)
    nw = reference.comparator_group(trafford, "region", period="2022-23")
    assert len(nw) == 22 and "E10000006" in nw
    assert len(reference.comparator_group(trafford, "region", period="2023-24")) == 23
    # metropolitan districts: 36, all unchanged since 2015
    assert len(reference.comparator_group(trafford, "type", period="2016-17")) == 35
    # the City of London is grouped with the 32 London boroughs
    assert len(reference.comparator_group("E09000001", "type", period="2022-23")) == 32
    # county councils in 2018-19: 27 (the 24 of 2021-23 + Dorset, Buckinghamshire, Northamptonshire)
    assert len(reference.comparator_group("E10000017", "type", period="2018-19")) == 26
    assert reference.group_label(trafford, "region", "2022-23") == "councils in the North West region, 2022-23"


def test_user_csv_with_documented_columns_and_councils_of_their_time(tmp_path):
    # the columns benchmark --help documents, naming councils abolished in 2019-2021
    f = tmp_path / "group.csv"
    f.write_text("authority_code,neighbour_code\nE06000028,E06000029\nE06000028,E10000009\nE06000028,E10000021\n")
    assert reference.comparator_group("E06000028", f) == ["E06000029", "E10000009", "E10000021"]
    # a code that never was is still refused
    f.write_text("authority_code,neighbour_code\nE06000028,E06000099\n")
    with pytest.raises(DataContractError, match="E06000099"):
        reference.comparator_group("E06000028", f)


def test_reference_folder_without_the_history_still_works(tmp_path, monkeypatch):
    # a copy of the reference data from before the history file: the two lists still decide
    import shutil

    for f in reference.reference_dir().glob("*.csv"):
        if f.name != "asc_authorities_history.csv":
            shutil.copy(f, tmp_path / f.name)
    monkeypatch.setenv("OT_BENCHMARK_REFERENCE_DIR", str(tmp_path))
    assert len(reference.known_codes()) == 156
    assert reference.council_name(LANCASHIRE) == "Lancashire"
    assert not reference.did_not_exist(["E10000027"], ["2024-25"]).any()  # not judged
    with pytest.raises(DataContractError, match="asc_authorities_history.csv"):
        reference.council_history()
