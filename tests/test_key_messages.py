"""The key-messages rule (ot_benchmark.report.messages, docs/methods.md "Key messages") on
hand-made benchmark rows: which findings are chosen, in which order, and which never are."""

from __future__ import annotations

import math

import pandas as pd

from ot_benchmark.catalogue import load_catalogue
from ot_benchmark.report import messages

CAT = load_catalogue()


def _row(iid, value, comparator, verdict, num=100.0, den=200.0, basis="interval"):
    meta = CAT.set_index("indicator_id").loc[iid]
    return {"indicator_id": iid, "breakdown": "all", "indicator_name": meta["name"], "unit": meta["unit"],
            "method": meta["method"], "polarity": meta["polarity"], "value": value, "numerator": num,
            "denominator": den, "comparator_value": comparator, "comparator_method": "pooled",
            "n_comparators": 16, "comparator_includes_self": True, "verdict": verdict, "verdict_basis": basis}


def _spc(rows):
    return pd.DataFrame(rows, columns=["indicator_id", "n_points", "variation", "assurance", "target", "provisional"])


def test_largest_clear_differences_first_and_similar_never():
    bench = pd.DataFrame([
        _row("A1", 40.0, 50.0, "worse"),        # 20% below the group
        _row("E1", 30.0, 60.0, "worse"),        # 50% below: the larger difference comes first
        _row("K3", 10.0, 90.0, "similar"),      # a big gap that may be chance: never a key message
        _row("W5", 90.0, 60.0, "better"),
    ])
    m = messages.key_messages(bench, None, CAT, council="Ashby")
    assert m["indicator_id"].tolist() == ["E1", "W5", "A1"]
    assert m["kind"].tolist() == ["worse", "better", "worse"]
    first = m.iloc[0]
    assert first["figure"] == "Ashby: 30.0% (100 of 200)"
    assert "comparator group 60.0%" in first["comparison"] and "pooled figure of 16 councils" in first["comparison"]
    assert first["caveat"].startswith("Judged by its 95% confidence interval")


def test_no_message_rests_on_a_suppressed_or_small_number():
    bench = pd.DataFrame([
        _row("A1", "[c]", 50.0, "worse", num="[c]"),      # withheld
        _row("E1", 30.0, 60.0, "worse", num=3.0, den=10.0),  # a percentage of 10 people: small numbers
        _row("W5", 90.0, 60.0, "better"),
    ])
    spc = _spc([("E1", 12, "special_cause_concern", "consistent_fail", 95.0, False)])
    m = messages.key_messages(bench, spc, CAT)
    assert m["indicator_id"].tolist() == ["W5"]
    assert "Only 1 figure met the rule" in messages.key_messages_markdown(m)


def test_rounds_take_one_of_each_kind_and_cap_at_six():
    bench = pd.DataFrame([
        _row("A1", 40.0, 50.0, "worse"), _row("A2", 300.0, 100.0, "worse", num=math.nan),
        _row("E1", 30.0, 60.0, "worse"), _row("E3", 70.0, 80.0, "similar"),
        _row("K3", 60.0, 80.0, "worse"), _row("C4", 5.0, 10.0, "better"),
        _row("W3", 500.0, 900.0, "better", num=math.nan), _row("W4_52wk", 3.0, 12.0, "better", num=15, den=500),
        _row("W6_median", 20.0, 30.0, "better", num=math.nan), _row("O2", 80.0, 80.0, "similar"),
    ])
    spc = _spc([("E3", 12, "common_cause", "consistent_fail", 95.0, True),
                ("O2", 12, "special_cause_concern", None, math.nan, True),
                ("W6_median", 12, "special_cause_improvement", None, math.nan, True)])
    m = messages.key_messages(bench, spc, CAT)
    assert len(m) == messages.MAX_MESSAGES
    # round 1: the largest worse (A2, 200%), the concern (O2), the target (E3), the longest wait (W3),
    # then the largest better: W4_52wk (75% below the group) before C4 (50%)
    assert m["kind"].tolist()[:4] == ["worse", "concern", "target", "longest_wait"]
    assert m["indicator_id"].tolist()[:4] == ["A2", "O2", "E3", "W3"]
    assert m.iloc[4]["indicator_id"] == "W4_52wk"  # 75% below the group: the largest better
    assert "15 of 500 people waiting had waited more than 52 weeks" in m.iloc[3]["figure"]
    # one message per indicator, at most two per family
    assert m["indicator_id"].is_unique
    fams = m["indicator_id"].map(CAT.set_index("indicator_id")["family"])
    assert fams.value_counts().max() <= messages.MAX_PER_FAMILY


def test_markdown_is_a_numbered_list_with_caveats_and_safe_strings():
    bench = pd.DataFrame([_row("A1", 40.0, 50.0, "worse"), _row("E1", 30.0, 60.0, "worse"),
                          _row("W5", 90.0, 60.0, "better")])
    md = messages.key_messages_markdown(messages.key_messages(bench, None, CAT, council="<b>Ashby</b>"))
    assert md.count("\n1. **") == 3 and md.count("_Caveat:") == 3
    assert "<b>" not in md


def test_one_message_is_one_finding():
    from ot_benchmark.report import messages as m

    one = pd.DataFrame([{"kind": "worse", "indicator_id": "W5", "headline": "Assessed in time: worse",
                         "figure": "50%", "comparison": "group 70%", "caveat": "none"}])
    text = m.key_messages_markdown(one)
    assert text.startswith("1 finding chosen by a fixed rule") and "Only 1 figure met the rule" in text
