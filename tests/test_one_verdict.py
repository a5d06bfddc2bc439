"""One verdict per figure, everywhere a reader looks: on the sample, for every council, the
summary table's verdict word, the figure's sentence, the words under its funnel plot and the
captions of its comparator chart and funnel plot say the same thing.

Each is extracted from what the reader gets: the summary table's "Compared with the group"
cell, the family sentence, the Markdown under the funnel plot, and the text printed under each
chart (the figure's own notes). Before the rule, Lancashire's W5 read "Better" in the summary
while the words under its funnel said it was not unusual once over-dispersion (φ = 29) was
allowed for; and K2 read "Worse" on 7 of 10 complaints while the adjusted flag said not
significant.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ot_benchmark.indicators import cache
from ot_benchmark.report import export, narrative, sections, tables
from ot_benchmark.report.context import RunContext
from ot_benchmark.io.reference import councils
from ot_benchmark.periods import latest_period
from ot_benchmark.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
HOME = "E10000017"
PHRASE = re.compile(r"(better than|worse than|similar to|higher than|lower than) comparator councils"
                    r"|not compared with other councils")
WORD = {"better than": "better", "worse than": "worse", "similar to": "similar", "higher than": "higher",
        "lower than": "lower"}


def _panel_indicators() -> list[str]:
    """The indicators the quarterly report draws panels for (its notebook's calls)."""
    nb = json.loads((ROOT / "notebooks" / "quarterly_report.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    return re.findall(r'indicator_panel\(ctx, "([A-Za-z0-9_]+)"', code)


@pytest.fixture(scope="module")
def sample():
    settings = load_settings(SAMPLE / "settings.toml")
    ind = cache.load_indicators(SAMPLE, SAMPLE / "settings.toml")
    return ind, settings


def _ctx(tmp_path, ind, settings, code) -> RunContext:
    codes = sorted(ind["authority_code"].unique())
    out = tmp_path / code
    out.mkdir(parents=True, exist_ok=True)
    return RunContext(
        data_dir=SAMPLE, authority=code, period=latest_period(ind["period"].unique()), group="sample",
        output_dir=out, cache_dir=tmp_path / "cache", suppress=True, settings_path=SAMPLE / "settings.toml",
        banner=None, metadata={}, settings=settings, catalogue=settings.catalogue(), indicators=ind,
        neighbours=[c for c in codes if c != code], scheme="sample",
        names=councils("all").set_index("ons_code")["name"])


def _word(text: str | None) -> str | None:
    """The verdict a text states: better/similar/worse/higher/lower, "not compared", or None."""
    if not text:
        return None
    found = {m.group(0) for m in PHRASE.finditer(text)}
    assert len(found) <= 1, f"two verdicts in one text: {text!r}"
    if not found:
        return None
    phrase = found.pop()
    return "not compared" if phrase.startswith("not compared") else WORD[phrase.rsplit(" ", 2)[0]]


def _summary_word(cell: str) -> str | None:
    cell = cell.replace(" (small numbers)", "").strip().lower()
    return None if cell == "-" else cell


@pytest.fixture
def captured(monkeypatch):
    """Figures' printed notes (name -> text) and the Markdown the sections show, in order."""
    figures, shown = {}, []

    def fake_save(fig, name, output_dir, **kw):  # what the chart prints under itself; no PNG written
        notes = [t.get_text() for t in fig.findobj(lambda a: getattr(a, "get_gid", lambda: None)() == "ot_note")]
        figures[name] = " ".join(notes)
        import matplotlib.pyplot as plt

        plt.close(fig)

    monkeypatch.setattr(export, "save_figure", fake_save)
    monkeypatch.setattr(sections, "display", lambda obj: shown.append(getattr(obj, "data", obj)))
    return figures, shown


def test_summary_sentence_funnel_words_and_captions_agree_for_every_council(sample, tmp_path, captured):
    ind, settings = sample
    figures, shown = captured
    panels = _panel_indicators()
    assert {"W5", "K3", "E1"} <= set(panels)
    checked = differing = 0
    problems = []
    for code in sorted(ind["authority_code"].unique()):
        ctx = _ctx(tmp_path, ind, settings, code)
        bench = ctx.bench
        summary = tables.summary_table(bench, None, catalogue=ctx.catalogue, suppress=True).set_index("indicator_id")
        rows = bench[bench["breakdown"] == "all"]
        sentences = narrative.indicator_sentences(rows, ctx.catalogue, suppress=True).set_index("indicator_id")
        for iid in panels + ["K2", "W7", "L1_phone_24h"]:
            if iid not in summary.index:
                continue
            figures.clear()
            del shown[:]
            sections.comparator_figure(ctx, iid, "cmp", alt="chart")
            sections.funnel_figure(ctx, iid, "fun", denominator_label="n", alt="funnel")
            said = {
                "summary": _summary_word(summary.loc[iid, "comparison"]),
                "sentence": _word(sentences.loc[iid, "sentence"]),
                "comparator caption": _word(figures.get("cmp")),
            }
            if "fun" in figures:
                said["funnel caption"] = _word(figures["fun"])
                said["funnel words"] = _word(shown[-1] if shown else None)
            # a chart states no verdict when there is none to state ("not compared", withheld)
            stated = {k: v for k, v in said.items() if v is not None}
            expected = said["summary"]
            if expected in (None, "not compared"):
                silent = [k for k, v in stated.items() if k not in ("summary", "sentence") and v != expected]
                if silent or said["sentence"] not in (None, expected):
                    problems.append(f"{code} {iid}: {said}")
            elif set(stated.values()) != {expected} or len(stated) != len(said):
                problems.append(f"{code} {iid}: {said}")
            checked += 1
            differing += rows.set_index("indicator_id").loc[iid, "assessment"] not in (expected, "not_applicable")
    assert problems == []
    assert checked > 100
    assert differing > 0  # the sample has figures whose interval alone would have said otherwise


def test_lancashire_w5_and_k2_read_similar_everywhere(sample, tmp_path, captured):
    ind, settings = sample
    figures, shown = captured
    ctx = _ctx(tmp_path, ind, settings, HOME)
    summary = tables.summary_table(ctx.bench, None, catalogue=ctx.catalogue, suppress=True).set_index("indicator_id")
    # W5: 627 of 745 (84.2%) against the pooled 69.2%; outside the plain funnel (High 0.001) but
    # φ = 29: inside the widened limits. K2: 7 of 10 upheld (70%) against 36.1%; φ = 1.9, widened
    # flag not significant, and 10 complaints is a small number.
    assert summary.loc["W5", "comparison"] == "Similar"
    assert summary.loc["K2", "comparison"] == "Similar (small numbers)"
    assert summary.loc["W5", "basis"].startswith("judged against funnel limits widened")
    sections.funnel_figure(ctx, "W5", "fun", denominator_label="n", alt="funnel")
    assert shown[-1] == ("Councils differ more than chance alone explains (dispersion ratio φ = 29); allowing for "
                         "that, Lancashire is similar to comparator councils, although it lies outside the plain "
                         "funnel limits.")
    assert "Lancashire is similar to comparator councils" in figures["fun"]
