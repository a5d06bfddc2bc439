"""The indicator catalogue (data/catalogue.csv) and the settings file (data/settings.toml)."""

from __future__ import annotations

import pandas as pd
import pytest

from ot_benchmark.catalogue import CATALOGUE_COLUMNS, CatalogueError, load_catalogue
from ot_benchmark.settings import SettingsError, load_settings

# the ids docs/ARCHITECTURE.md lists (the catalogue may add more)
ARCHITECTURE_IDS = """W1 W2_median W2_p90 W3 W4_26wk W4_52wk W4b W5 W6_median W6_p90 W6_mean W6k W7
W8_referrals W8_assessments W8_closed_unassessed W8_net_change C1 C1_review C2 C3 C4 C4_agency_wte
C5_median C5_6m C6 C7_referrals C7_assessments E1 E2 E3 E4 E5 E6 K1 K2 K3 K4 K5 K6_count K6_gbp K7
U1_direct U1_absorbed U2_gross U2_net U3_18 U3_65 A1 A2 O1 O2""".split()


def test_builtin_catalogue_has_every_id_and_column():
    cat = load_catalogue()
    assert list(cat.columns) == CATALOGUE_COLUMNS
    assert set(ARCHITECTURE_IDS) <= set(cat.indicator_id)
    assert cat.indicator_id.is_unique
    assert cat.multiplier.dtype == "float64" and cat.target_local_standard.dtype == bool
    row = cat.set_index("indicator_id").loc["C4"]
    assert (row.unit, row.multiplier, row.method, row.polarity, row.kind) == ("%", 100.0, "proportion", "lower_is_better", "snapshot")
    # percentages carry multiplier 100, and local standards are flagged
    assert (cat.loc[cat.unit == "%", "multiplier"] == 100).all()
    assert cat.set_index("indicator_id").loc["W5", "target_local_standard"]
    assert (cat.definition.str.len() > 20).all()


def _local(**over) -> pd.DataFrame:
    row = dict(indicator_id="L_phone_24h", name="Phone messages answered within 24 hours", family="",
               unit="%", multiplier="100", polarity="higher_is_better", method="proportion",
               definition="Messages answered within 24 hours of all messages left", target="90",
               target_local_standard="true", caveat="", kind="flow")
    row.update(over)
    return pd.DataFrame([row])


def test_local_catalogue_is_merged(tmp_path):
    p = tmp_path / "mine.csv"
    _local().to_csv(p, index=False)
    cat = load_catalogue(p)
    row = cat.set_index("indicator_id").loc["L_phone_24h"]
    assert row.family == "local" and row.target == 90.0 and row.target_local_standard
    assert len(cat) == len(load_catalogue()) + 1


@pytest.mark.parametrize(
    "over, message",
    [
        ({"indicator_id": "W5"}, "already built in"),
        ({"method": "percentage"}, "unknown method"),
        ({"polarity": "up"}, "unknown polarity"),
        ({"multiplier": "abc"}, "multiplier"),
        ({"target": "high"}, "target"),
        ({"kind": ""}, "blank value"),
        ({"indicator_id": "phone 24h"}, "plain identifier"),
    ],
)
def test_bad_local_catalogue_rows_are_explained(tmp_path, over, message):
    p = tmp_path / "mine.csv"
    _local(**over).to_csv(p, index=False)
    with pytest.raises(CatalogueError, match=message) as e:
        load_catalogue(p)
    assert str(p) in str(e.value)


def test_local_catalogue_missing_column_and_duplicates(tmp_path):
    p = tmp_path / "mine.csv"
    _local().drop(columns=["kind"]).to_csv(p, index=False)
    with pytest.raises(CatalogueError, match="lacks the column"):
        load_catalogue(p)
    pd.concat([_local(), _local()]).to_csv(p, index=False)
    with pytest.raises(CatalogueError, match="duplicate indicator id.*row 2.*row 3"):
        load_catalogue(p)
    with pytest.raises(CatalogueError, match="does not exist"):
        load_catalogue(tmp_path / "nope.csv")


# ---- settings ---------------------------------------------------------------------------------
def test_default_settings_are_the_documented_defaults():
    s = load_settings()
    assert s["waiting"]["targets_days"] == {"urgent": 7, "high": 28, "medium": 84, "low": 182}
    assert s["waiting"]["facs_mapping"]["critical"] == "urgent"
    assert s["equipment"]["clock_start"] == "order"
    assert s["equipment"]["delivery_standard_working_days"] == 7
    assert s["equipment"]["collection_value_threshold_gbp"] == 0.0
    assert s["equipment"]["collection_standard_working_days"] == 10
    assert s["adaptations"] == {"urgent_working_days": 55, "non_urgent_working_days": 150}
    assert s["waiting"]["keep_in_touch_days"] == 182
    assert s["calendar"]["closure_days"] == []
    assert s["complaints"]["corporate"] == {"stage_1": 10, "stage_2": 20}
    assert s.source is None


def test_settings_file_merges_over_defaults(tmp_path):
    p = tmp_path / "council.toml"
    p.write_text('[equipment]\nclock_start = "decision"\ncollection_value_threshold_gbp = 30\n'
                 '[calendar]\nclosure_days = ["2024-12-27"]\n', encoding="utf-8")
    s = load_settings(p)
    assert s["equipment"]["clock_start"] == "decision"
    assert s["equipment"]["collection_value_threshold_gbp"] == 30.0
    assert s["equipment"]["delivery_standard_working_days"] == 7  # default kept
    assert s.closure_dates == [pd.Timestamp("2024-12-27")]
    assert s.source == str(p)
    assert s.to_dict()["settings"]["equipment"]["clock_start"] == "decision"


@pytest.mark.parametrize(
    "text, message",
    [
        ("[equipment]\nclok_start = 'order'\n", "unknown setting 'equipment.clok_start'.*Known keys"),
        ("[equipmnt]\n", "unknown setting 'equipmnt'"),
        ("[equipment]\nclock_start = 'delivery'\n", "must be one of 'order', 'decision'"),
        ("[equipment]\ndelivery_standard_working_days = 'seven'\n", "should be a whole number"),
        ("[waiting]\ntargets_days = { urgent = 7, high = 28, medium = 84, low = 182, critical = 2 }\n", "unknown setting"),
        ("[waiting]\nband_upper_days = [14, 7]\n", "increasing"),
        ("[adaptations]\nurgent_working_days = -5\n", "negative"),
        ("[calendar]\nclosure_days = ['27/12/2024']\n", "ISO dates"),
        ("[equipment\n", "not valid TOML"),
    ],
)
def test_bad_settings_are_rejected_with_a_clear_message(tmp_path, text, message):
    p = tmp_path / "s.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(p)


def test_missing_settings_file():
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings("/no/such/settings.toml")


# ------------------------------------------------------------------ counts_people (disclosure)


def test_counts_people_is_optional_and_defaults_to_true(tmp_path):
    # a council's own catalogue written before the column existed still loads; its indicators
    # count people (so small numbers are suppressed) unless it says otherwise
    p = tmp_path / "mine.csv"
    _local().to_csv(p, index=False)
    assert "counts_people" not in pd.read_csv(p).columns
    cat = load_catalogue(p).set_index("indicator_id")
    assert cat.loc["L_phone_24h", "counts_people"] == "true"
    # yes/no and blank are accepted and normalised; numerator/denominator kept
    for given, want in (("no", "false"), ("", "true"), ("Yes", "true"), ("Denominator", "denominator")):
        _local(counts_people=given).to_csv(p, index=False)
        assert load_catalogue(p).set_index("indicator_id").loc["L_phone_24h", "counts_people"] == want


def test_counts_people_rejects_other_values(tmp_path):
    p = tmp_path / "mine.csv"
    _local(counts_people="posts").to_csv(p, index=False)
    with pytest.raises(CatalogueError, match="counts_people"):
        load_catalogue(p)


def test_builtin_counts_people():
    # posts, WTE and £ are not people; caseload per WTE counts people in the numerator only,
    # cost per assessment/item in the denominator only
    cp = load_catalogue().set_index("indicator_id")["counts_people"]
    assert set(cp) <= {"true", "false", "numerator", "denominator"}
    for iid in ("C4", "C4_agency_wte", "C5_median", "C5_6m", "C5_bands", "C6", "E4", "E6", "K6_gbp", "U3_18", "U3_65"):
        assert cp[iid] == "false", iid
    for iid in ("C1", "C1_review", "C2"):
        assert cp[iid] == "numerator", iid
    for iid in ("U1_direct", "U1_absorbed", "U2_gross", "U2_net"):
        assert cp[iid] == "denominator", iid
    for iid in ("W1", "W5", "W7", "E1", "E3", "K2", "K6_count", "A1", "O2", "C3"):
        assert cp[iid] == "true", iid


# ------------------------------------------------------------------ default targets


def test_default_targets_are_the_supported_local_standards():
    # INDICATORS.md supports two defaults: E3 reuse 95% ("one county's contract target 95%") and
    # C3 clearance ratio 1 (">= 1 means the list shrinks"); both are local standards. Nothing else
    # has a default target (the W5 priority targets are in days and live in settings.toml).
    cat = load_catalogue().set_index("indicator_id")
    targets = cat["target"].dropna()
    assert targets.to_dict() == {"C3": 1.0, "E3": 95.0}
    assert cat.loc[["C3", "E3"], "target_local_standard"].all()


def test_settings_targets_override_the_defaults():
    from ot_benchmark.catalogue import apply_targets

    cat = apply_targets(load_catalogue(), {"targets": {"E3": 90, "W5": 80.5}}).set_index("indicator_id")
    assert cat.loc["E3", "target"] == 90.0 and cat.loc["W5", "target"] == 80.5
    assert cat.loc["E3", "target_local_standard"] and cat.loc["W5", "target_local_standard"]
    assert cat.loc["C3", "target"] == 1.0  # untouched default
    # no [targets] table: the catalogue as it is
    assert apply_targets(load_catalogue(), {})["target"].dropna().to_dict() == load_catalogue()["target"].dropna().to_dict()


def test_suppress_with_may_name_a_builtin_id_but_not_an_unknown_one(tmp_path):
    # a council's £ indicator can be hidden whenever the built-in K6_count is suppressed
    p = tmp_path / "mine.csv"
    _local(suppress_with="K6_count").to_csv(p, index=False)
    assert load_catalogue(p).set_index("indicator_id").loc["L_phone_24h", "suppress_with"] == "K6_count"
    _local(suppress_with="K99").to_csv(p, index=False)
    with pytest.raises(CatalogueError, match="suppress_with"):
        load_catalogue(p)
    assert load_catalogue().set_index("indicator_id").loc["K6_gbp", "suppress_with"] == "K6_count"


# --------------------------------------------------------------------------- precision and plausible range
def test_decimals_and_plausible_range_columns(tmp_path):
    p = tmp_path / "mine.csv"
    _local(indicator_id="L_qol", unit="score", multiplier="1", method="ratio", decimals="3",
           min_value="0.1", max_value="1").to_csv(p, index=False)
    cat = load_catalogue(p).set_index("indicator_id")
    assert cat.loc["L_qol", "decimals"] == 3 and cat["decimals"].dtype == "Int64"
    assert (cat.loc["L_qol", "min_value"], cat.loc["L_qol", "max_value"]) == (0.1, 1.0)
    # a catalogue without the columns (the sample's) gets blanks: unit default, no limits
    assert pd.isna(cat.loc["W1", "decimals"])
    # built in: percentages of people run 0-100; the vacancy rate C4 may go below 0
    assert (cat.loc["W5", "min_value"], cat.loc["W5", "max_value"]) == (0.0, 100.0)
    assert pd.isna(cat.loc["C4", "min_value"])


@pytest.mark.parametrize("over, message", [
    ({"decimals": "1.5"}, "decimals"),
    ({"decimals": "9"}, "decimals"),
    ({"min_value": "low"}, "min_value"),
    ({"min_value": "5", "max_value": "1"}, "minimum above the maximum"),
])
def test_bad_precision_or_range_named(tmp_path, over, message):
    p = tmp_path / "mine.csv"
    _local(**over).to_csv(p, index=False)
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(p)
