"""One small-number rule: whatever the disclosure layer withholds is withheld in the summary
table and in the sentences alike, and nothing else is.

Before this rule lived in one place, Lancashire 2024-25 Q4's summary table printed the vacancy
rate (C4) and agency share (C6) while the caseload sentences said both were "not shown, because
it rests on a count of fewer than 5": their counts are WTE, not people (catalogue
``counts_people = false``), so nothing about them is disclosive.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ot_benchmark.compare.benchmark import benchmark
from ot_benchmark.indicators import cache
from ot_benchmark.report import disclosure, narrative, tables
from ot_benchmark.settings import load_settings

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
HOME = "E10000017"


@pytest.fixture(scope="module")
def sample():
    settings = load_settings(SAMPLE / "settings.toml")
    ind = cache.load_indicators(SAMPLE, SAMPLE / "settings.toml")
    return ind, settings.catalogue()


def _shown_in_table(bench, catalogue) -> pd.Series:
    summary = tables.summary_table(bench, None, catalogue=catalogue, suppress=True).set_index("indicator_id")
    return ~summary["value"].eq(disclosure.SYMBOL)


def _shown_in_sentences(bench, catalogue) -> pd.Series:
    rows = bench[bench["breakdown"] == "all"]
    sent = narrative.indicator_sentences(rows, catalogue, suppress=True).set_index("indicator_id")["sentence"]
    withheld = sent.str.contains(disclosure.NOT_SHOWN, regex=False) | sent.str.contains(
        disclosure.FEWER_THAN, case=False, regex=False)
    return ~withheld


def _disagreements(bench, catalogue) -> list[str]:
    table, words = _shown_in_table(bench, catalogue), _shown_in_sentences(bench, catalogue)
    both = table.index.intersection(words.index)
    return [f"{i}: table {'shows' if table[i] else 'withholds'}, sentence {'shows' if words[i] else 'withholds'}"
            for i in both if table[i] != words[i]]


def test_lancashire_vacancy_and_agency_share_are_shown_in_table_and_words(sample):
    ind, catalogue = sample
    codes = sorted(ind["authority_code"].unique())
    bench = benchmark(ind, HOME, "2024-25 Q4", [c for c in codes if c != HOME], catalogue=catalogue)
    assert _disagreements(bench, catalogue) == []
    table, words = _shown_in_table(bench, catalogue), _shown_in_sentences(bench, catalogue)
    for wte_measure in ("C4", "C6"):  # counts of WTE carry no disclosure risk
        assert table[wte_measure] and words[wte_measure]


def test_every_council_of_the_sample_agrees_in_the_latest_quarter(sample):
    ind, catalogue = sample
    codes = sorted(ind["authority_code"].unique())
    periods = sorted(ind["period"].unique())[-1:]
    problems = []
    withheld = 0
    for code in codes:
        for period in periods:
            bench = benchmark(ind, code, period, [c for c in codes if c != code], catalogue=catalogue)
            problems += [f"{code} {period} {p}" for p in _disagreements(bench, catalogue)]
            withheld += int((~_shown_in_table(bench, catalogue)).sum())
    assert problems == []
    assert withheld > 0  # the check met withheld figures, so it could have failed


def test_a_small_count_of_people_is_withheld_in_both_and_a_small_wte_in_neither(sample):
    ind, catalogue = sample
    codes = sorted(ind["authority_code"].unique())
    bench = benchmark(ind, HOME, "2024-25 Q4", [c for c in codes if c != HOME], catalogue=catalogue)
    at = (bench["indicator_id"] == "W5") & (bench["breakdown"] == "all")
    bench.loc[at, ["numerator", "denominator", "value"]] = [3.0, 40.0, 7.5]   # 3 of 40 people: disclosive
    at = (bench["indicator_id"] == "C4") & (bench["breakdown"] == "all")
    bench.loc[at, ["numerator", "denominator", "value"]] = [2.0, 12.0, 2 / 12 * 100]  # 2 of 12 WTE: not people
    table, words = _shown_in_table(bench, catalogue), _shown_in_sentences(bench, catalogue)
    assert not table["W5"] and not words["W5"]
    assert table["C4"] and words["C4"]
    assert _disagreements(bench, catalogue) == []
