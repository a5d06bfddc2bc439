"""Worklists: hand-worked lists on a small folder written here (tests/_worklist_data.py says why
each record is or is not on a list), agreement with the published indicators on the sample,
the similar-case finder, and restriction by construction (markers, file modes; the runner's
publish refusal is in tests/test_worklists_publish.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

import _worklist_data as w
from ot_benchmark.cli import main as cli_main
from ot_benchmark.errors import ParameterError
from ot_benchmark.indicators.engine import compute_indicators
from ot_benchmark.io.validate import load_data
from ot_benchmark.worklists import (MARKER, build_worklists, find_similar, is_restricted_file, parse_similar, read_csv,
                                    write_worklists)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
D = pd.Timestamp


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return w.write_folder(tmp_path_factory.mktemp("worklists_folder"))


@pytest.fixture(scope="module")
def lists(folder):
    return build_worklists(folder, w.A, w.Q1)


def _records(df: pd.DataFrame, cols) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in row) for row in df[cols].itertuples(index=False, name=None)]


# -- the lists, worked out by hand -------------------------------------------------------------

def test_past_target_by_hand(lists):
    got = _records(lists.lists["past_target"], ["referral_id", "team", "priority", "days_waited", "target_days", "days_overdue"])
    assert got == [
        ("p6", "South", "low", 395, 182, 213),
        ("p11", "not recorded", "medium", 212, 84, 128),
        ("p5", "North", "medium", 181, 84, 97),
        ("p13", "South", "low", 272, 182, 90),
        ("p3", "South", "high", 60, 28, 32),
        ("p1", "North", "urgent", 10, 7, 3),
    ]
    assert lists.lists["past_target"].loc[0, "target_date"] == D("2023-11-30")  # 2023-06-01 + 182 days


def test_keep_in_touch_overdue_by_hand(lists):
    got = _records(lists.lists["keep_in_touch_overdue"],
                   ["referral_id", "days_waited", "last_contact_date", "contact_due_by", "days_overdue"])
    assert got == [
        ("p13", 272, None, D("2024-04-01"), 90),  # no contact: due once the wait passed 182 days
        ("p11", 212, D("2023-12-31"), D("2024-06-29"), 1),  # contact exactly 182 days before: just outside
    ]


def test_equipment_lists_by_hand(lists):
    got = _records(lists.lists["equipment_delivery_overdue"],
                   ["item_id", "referral_id", "team", "priority", "ordered_date", "due_by", "working_days_overdue"])
    assert got == [
        ("i4", "p5", "North", "medium", D("2024-05-20"), D("2024-05-30"), 21),  # 27 May is a bank holiday
        ("i5", None, None, None, D("2024-05-21"), D("2024-05-31"), 20),  # delivered 2 July, after the snapshot
        ("i3", "p1", "North", "urgent", D("2024-06-18"), D("2024-06-27"), 1),
    ]
    got = _records(lists.lists["collections_overdue"],
                   ["item_id", "collection_requested_date", "due_by", "collected_date", "working_days_overdue"])
    assert got == [
        ("i10", D("2024-05-24"), D("2024-06-10"), D("2024-07-01"), 14),
        ("i9", D("2024-06-13"), D("2024-06-27"), None, 1),
    ]


def test_long_vacant_posts_by_hand(lists):
    got = _records(lists.lists["long_vacant_posts"], ["post_id", "role", "vacant_from", "days_vacant", "days_overdue"])
    assert got == [("OTA-001", "ota", D("2023-06-01"), 395, 212), ("OT-001", "ot", D("2023-12-30"), 183, 0)]


def test_complaints_overdue_by_hand(lists):
    got = _records(lists.lists["complaints_overdue"],
                   ["complaint_id", "kind", "due_date", "recommendations_outstanding", "days_overdue", "working_days_overdue"])
    assert got == [
        ("k7", "Ombudsman recommendations not complied with", None, 2, 41, None),  # days since the decision
        ("k1", "response overdue", D("2024-06-14"), None, 16, None),  # agreed date: calendar days
        ("k4", "response overdue", D("2024-06-27"), None, 3, 1),  # 10th working day was 27 June
    ]


def test_lists_agree_with_the_indicators_on_the_small_folder(folder, lists):
    t = compute_indicators(load_data(folder), [w.Q1])

    def fig(iid, col="numerator"):
        return t[(t.authority_code == w.A) & (t.indicator_id == iid) & (t.breakdown == "all")].iloc[0][col]

    _check_agreement(lists, fig)


def _check_agreement(wl, fig):
    L = wl.lists
    assert len(L["keep_in_touch_overdue"]) == fig("W7", "denominator") - fig("W7")
    assert len(L["past_target"]) == fig("W9")
    assert len(L["equipment_delivery_overdue"]) == fig("E1_overdue")
    assert len(L["collections_overdue"]) == fig("E5_overdue")
    assert len(L["long_vacant_posts"]) == fig("C5_6m")
    c = L["complaints_overdue"]
    assert (c["kind"] == "response overdue").sum() == fig("K3_overdue")
    if not pd.isna(fig("K5", "denominator")):
        assert c["recommendations_outstanding"].fillna(0).sum() == fig("K5", "denominator") - fig("K5")


@pytest.fixture(scope="module")
def sample_table():
    return compute_indicators(load_data(SAMPLE), ["2023-24 Q3", "2024-25 Q4"], settings=SAMPLE / "settings.toml")


@pytest.mark.parametrize("authority, period", [("E10000017", "2024-25 Q4"), ("E10000017", "2023-24 Q3"),
                                               ("E10000016", "2024-25 Q4")])
def test_lists_agree_with_the_indicators_on_the_sample(sample_table, authority, period):
    wl = build_worklists(SAMPLE, authority, period, settings=SAMPLE / "settings.toml")
    t = sample_table[(sample_table.authority_code == authority) & (sample_table.period == period)
                     & (sample_table.breakdown == "all")].set_index("indicator_id")
    _check_agreement(wl, lambda iid, col="numerator": t.loc[iid, col])
    assert len(wl.lists["past_target"]) > 0 and len(wl.lists["keep_in_touch_overdue"]) > 0
    assert len(wl.lists["equipment_delivery_overdue"]) > 0
    # most overdue first, every row overdue
    for name, col in (("past_target", "days_overdue"), ("keep_in_touch_overdue", "days_overdue"),
                      ("equipment_delivery_overdue", "working_days_overdue")):
        v = wl.lists[name][col].astype("int64")
        assert v.is_monotonic_decreasing and (v > 0).all(), name


def test_latest_period_and_unknown_council(folder):
    assert build_worklists(folder, w.A).period == w.Q1  # metadata.json's last period
    with pytest.raises(ParameterError, match="E09000001 has no rows"):
        build_worklists(folder, "E09000001", w.Q1)


# -- similar cases --------------------------------------------------------------------------------

def test_similar_grammar():
    c = parse_similar(" priority=high|Substantial , waited_over=84,referred=2023-04-01..2023-09-30 ")
    assert c == {"priority": ("high", "high"), "waited_over": 84, "referred": (D("2023-04-01"), D("2023-09-30"))}
    assert parse_similar("referred=..2023-09-30")["referred"] == (None, D("2023-09-30"))
    assert parse_similar("referred=2024-01-01")["referred"] == (D("2024-01-01"), D("2024-01-01"))
    assert parse_similar("past_target=no, team=North|South")["past_target"] is False


@pytest.mark.parametrize("text, message", [
    ("colour=red", "unknown key 'colour'; the keys are priority, team, age_band, waited_over"),
    ("priority=high, priority=low", "given twice"),
    ("priority", "is not key=value"),
    ("priority=routine", "unknown priority 'routine'"),
    ("waited_over=twelve", "whole number"),
    ("referred=2023-09-30..2023-04-01", "start is after the end"),
    ("referred=01/04/2023..", "YYYY-MM-DD"),
    ("priority=high,", "empty term"),
    ("", "no criteria"),
])
def test_similar_rejects_with_a_clear_message(text, message):
    with pytest.raises(ParameterError, match=message):
        parse_similar(text)


def test_similar_cases_by_hand(lists):
    people = lists.waiting

    def ids(text):
        return list(find_similar(people, parse_similar(text))["referral_id"])

    assert ids("priority=low, waited_over=200") == ["p6", "p13"]  # 395, 272 (p7 waited 121)
    assert ids("referred=2023-10-01..2023-12-31") == ["p13", "p11"]
    assert ids("team=south, past_target=no") == ["p4"]
    assert ids("waited_under=10") == ["p2"]  # p1 waited exactly 10
    assert list(find_similar(people, parse_similar("priority=urgent")).columns) == list(lists.lists["past_target"].columns[:3]) + [
        "age_band", "referral_date", "days_waited", "target_days", "target_date", "days_overdue", "past_target",
        "last_contact_date"]
    with pytest.raises(ParameterError, match="not one of the council's teams"):
        find_similar(people, parse_similar("team=East"))


# -- restricted by construction ------------------------------------------------------------------

def test_files_are_marked_and_private(lists, tmp_path):
    out = tmp_path / "outputs" / "_restricted" / "2024-25_Q1" / w.A
    paths = write_worklists(lists, out)
    assert set(paths) == set(lists.lists) | {"workbook"}
    for name, path in paths.items():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name
        assert is_restricted_file(path)
    for d in (out, out.parent, out.parent.parent):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    first = paths["past_target"].read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ") and MARKER in first
    back = read_csv(paths["past_target"])
    assert list(back["referral_id"]) == list(lists.lists["past_target"]["referral_id"])
    from openpyxl import load_workbook

    wb = load_workbook(paths["workbook"], read_only=True)
    assert wb.sheetnames == ["about", *lists.lists]
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(min_row=1, max_row=3, values_only=True))
        assert MARKER in rows[0][0], ws.title
    ws = wb["past_target"]
    assert [c for c in next(ws.iter_rows(min_row=2, max_row=2, values_only=True))][:2] == ["referral_id", "team"]
    assert next(ws.iter_rows(min_row=3, max_row=3, values_only=True))[0] == "p6"
    wb.close()
    # an ordinary report file is not restricted
    plain = tmp_path / "table.csv"
    plain.write_text("a,b\n1,2\n", encoding="utf-8")
    assert not is_restricted_file(plain)


def test_files_are_private_whatever_the_umask(lists, tmp_path):
    old = os.umask(0)
    try:
        paths = write_worklists(lists, tmp_path / "wide")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(paths["workbook"]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "wide").st_mode) == 0o700


# -- the command -------------------------------------------------------------------------------------

def test_cli_writes_the_lists(folder, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc = cli_main(["worklists", "--data", str(folder), "--authority", w.A, "--period", w.Q1,
                   "--similar", "priority=low, waited_over=200"])
    assert rc == 0
    out = tmp_path / "outputs" / "_restricted" / "2024-25_Q1" / w.A
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}.csv" for n in ("keep_in_touch_overdue", "past_target", "equipment_delivery_overdue", "collections_overdue",
                              "long_vacant_posts", "complaints_overdue", "similar_cases")] + ["worklists.xlsx"])
    assert list(read_csv(out / "similar_cases.csv")["referral_id"]) == ["p6", "p13"]
    text = capsys.readouterr().out
    assert "past_target" in text and "W9 numerator" in text and "RESTRICTED" in text


def test_cli_rejects_unknown_keys_and_published_folders(folder, tmp_path, capsys):
    rc = cli_main(["worklists", "--data", str(folder), "--authority", w.A, "--similar", "colour=red"])
    assert rc == 2
    assert "unknown key 'colour'" in capsys.readouterr().err
    published = tmp_path / "outputs" / "2024-25_Q1" / w.A
    published.mkdir(parents=True)
    (published / "run.json").write_text("{}", encoding="utf-8")
    rc = cli_main(["worklists", "--data", str(folder), "--authority", w.A, "--out", str(published / "lists")])
    assert rc == 2
    assert "where reports are published" in capsys.readouterr().err
    assert not (published / "lists").exists()
