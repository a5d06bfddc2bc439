"""Disclosure that holds against arithmetic: no suppressed count can be worked out from the
published figures by the identities that tie them together.

Before, a hidden W8_closed_unassessed (1-4) came straight back as W8_referrals - W8_assessments
- W8_net_change: the flow identity holds in every one of the sample's 192 council-quarters.

The attacker here is independent of the code: it writes the identities out itself (breakdowns
adding up to their totals, wait bands to the list, the W8 flow, the net change as the change in
the list, the changes C7/K7 and what they are built on, the same count under two indicators, and
a rate's value times its denominator), keeps those that hold in the unsuppressed table, and asks
linear algebra which suppressed cells they pin down: a cell is recovered when its unit vector lies
in the row space of the identities' coefficients on the suppressed cells.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import null_space

from ot_benchmark.catalogue import CatalogueError, load_catalogue
from ot_benchmark.indicators import cache
from ot_benchmark.indicators.engine import compute_indicators
from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.periods import parse_period
from ot_benchmark.report import disclosure, sections
from ot_benchmark.report.context import RunContext
from ot_benchmark.settings import load_settings

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
CAT = load_catalogue()

# --------------------------------------------------------------------------- the attacker

#: the same count published under two indicators: (indicator, field) = (indicator, field)
EQUAL = [(("W2_median", "denominator"), ("W1", "numerator")), (("W2_p90", "denominator"), ("W1", "numerator")),
         (("W3", "denominator"), ("W1", "numerator")), (("W4_26wk", "denominator"), ("W1", "numerator")),
         (("W4_52wk", "denominator"), ("W1", "numerator")), (("W7", "denominator"), ("W4_26wk", "numerator")),
         (("W6_median", "denominator"), ("W8_assessments", "numerator")),
         (("W6_p90", "denominator"), ("W8_assessments", "numerator")),
         (("W6_mean", "denominator"), ("W8_assessments", "numerator")),
         (("W6k", "denominator"), ("W8_referrals", "numerator")), (("C3", "denominator"), ("W8_referrals", "numerator")),
         (("C2", "numerator"), ("W8_assessments", "numerator")),
         (("U1_direct", "denominator"), ("W8_assessments", "numerator")),
         (("U1_absorbed", "denominator"), ("W8_assessments", "numerator")),
         (("A2", "denominator"), ("A1", "denominator")), (("O1", "denominator"), ("O2", "denominator"))] + [
    ((f"{c}_per_10k", "numerator"), (c, "numerator"))
    for c in ("W1", "W8_referrals", "W8_assessments", "W8_closed_unassessed", "W8_net_change")]


def _long(table: pd.DataFrame) -> pd.DataFrame:
    """One row per numerator/denominator cell: council, quarter number, indicator, breakdown,
    field and the cell as given (a count indicator without a numerator: its value)."""
    t = table.reset_index(drop=True)
    q = t["period"].map({p: parse_period(p).year * 4 + parse_period(p).quarter for p in t["period"].unique()})
    num = t["numerator"].astype(object)
    num = num.where(~(pd.isna(num) & t["indicator_id"].isin(["W1", "W4b", "W8_referrals", "W8_assessments",
                                                              "W8_closed_unassessed", "K6_count"])), t["value"])
    frames = [pd.DataFrame({"a": t["authority_code"], "q": q, "i": t["indicator_id"], "b": t["breakdown"],
                            "f": f, "cell": col.to_numpy(dtype=object)}) for f, col in
              (("numerator", num), ("denominator", t["denominator"].astype(object)))]
    return pd.concat(frames, ignore_index=True)


def _equations(truth: pd.DataFrame, index: dict) -> list[dict]:
    """Identities of one council as {cell key: coefficient} (sum = constant), from the truth."""
    eqs = []

    def key(i, f="numerator", q=None, b="all"):
        return (i, f, q, b)

    by_q = {}
    for k in index:
        by_q.setdefault(k[2], []).append(k)
    quarters = sorted(by_q)
    for q in quarters:
        # breakdowns adding up to their total, per indicator, field and dimension
        ks = by_q[q]
        for (i, f) in {(k[0], k[1]) for k in ks}:
            parts = [k for k in ks if k[0] == i and k[1] == f and ":" in k[3]]
            for dim in {k[3].split(":")[0] for k in parts}:
                d = [k for k in parts if k[3].split(":")[0] == dim]
                total = key(i, f, q)
                if total in index:
                    eqs.append({total: 1.0, **{k: -1.0 for k in d}})
        # wait bands add up to the list
        bands = [k for k in ks if k[0] == "W4b" and k[1] == "numerator"]
        if bands:
            eqs.append({key("W1", q=q): 1.0, **{k: -1.0 for k in bands}})
        # the W8 flow
        eqs.append({key("W8_net_change", q=q): 1.0, key("W8_referrals", q=q): -1.0, key("W8_assessments", q=q): 1.0,
                    key("W8_closed_unassessed", q=q): 1.0})
        # the net change is the change in the list
        eqs.append({key("W8_net_change", q=q): 1.0, key("W1", q=q): -1.0, key("W1", q=q - 1): 1.0})
        # the changes and what they are built on
        for c7, x in (("C7_referrals", "W8_referrals"), ("C7_assessments", "W8_assessments")):
            eqs.append({key(c7, q=q): 1.0, key(x, q=q): -1.0, key(x, q=q - 1): 1.0})
            eqs.append({key(c7, "denominator", q): 1.0, key(x, q=q - 1): -1.0})
        for b in {k[3] for k in ks if k[0] == "K7"}:
            eqs.append({key("K7", q=q, b=b): 1.0, key("K1", q=q, b=b): -1.0, key("K1", q=q - 4, b=b): 1.0})
            eqs.append({key("K7", "denominator", q, b): 1.0, key("K1", q=q - 4, b=b): -1.0})
        # the same count under two indicators, every breakdown
        for (i1, f1), (i2, f2) in EQUAL:
            for b in {k[3] for k in ks if k[0] == i1}:
                eqs.append({key(i1, f1, q, b): 1.0, key(i2, f2, q, b): -1.0})
    # keep the identities whose every cell exists, and which hold in the truth
    good = []
    for e in eqs:
        if all(k in index for k in e) and all(isinstance(index[k][0], (int, float)) and np.isfinite(index[k][0]) for k in e):
            if abs(sum(c * index[k][0] for k, c in e.items())) < 1e-6:
                good.append(e)
    return good


def recoverable(truth: pd.DataFrame, published: pd.DataFrame, catalogue=CAT) -> list[str]:
    """Every suppressed cell that the identities pin down, as "council quarter indicator
    breakdown field = value"."""
    t, p = _long(truth), _long(published)
    t["shown"] = ~p["cell"].map(disclosure.is_marked)
    t["true"] = pd.to_numeric(t["cell"], errors="coerce")
    found = []
    meta = catalogue.set_index("indicator_id")
    # a rate's value times its denominator gives its numerator back
    tv = truth.reset_index(drop=True)
    value_shown = ~published.reset_index(drop=True)["value"].map(disclosure.is_marked)
    for a, rows in t.groupby("a", sort=False):
        index = {(r.i, r.f, r.q, r.b): (r.true, r.shown) for r in rows.itertuples()}
        eqs = _equations(truth, index)
        extra = []
        own = tv[(tv["authority_code"] == a) & value_shown.to_numpy()]
        for r in own.itertuples():
            if r.indicator_id not in meta.index or meta.at[r.indicator_id, "method"] not in ("proportion", "rate", "ratio"):
                continue
            q = parse_period(r.period).year * 4 + parse_period(r.period).quarter
            kn, kd = (r.indicator_id, "numerator", q, r.breakdown), (r.indicator_id, "denominator", q, r.breakdown)
            if (kn in index and kd in index and not index[kn][1] and index[kd][1] and np.isfinite(r.value)
                    and np.isfinite(index[kd][0])):
                extra.append(({kn: 1.0}, r.value * index[kd][0] / meta.at[r.indicator_id, "multiplier"]))
        unknown = sorted({k for e in eqs for k in e if not index[k][1]} | {list(e)[0] for e, _ in extra if not index[list(e)[0]][1]})
        if not unknown:
            continue
        col = {k: j for j, k in enumerate(unknown)}
        rows_a = []
        for e in eqs:
            row = np.zeros(len(unknown))
            for k, c in e.items():
                if k in col:
                    row[col[k]] = c
            if row.any():
                rows_a.append(row)
        for e, _ in extra:
            row = np.zeros(len(unknown))
            row[col[list(e)[0]]] = 1.0
            rows_a.append(row)
        if not rows_a:
            continue
        ns = null_space(np.vstack(rows_a), lapack_driver="gesvd")  # the robust SVD: gesdd can fail to converge
        pinned = np.all(np.abs(ns) < 1e-8, axis=1) if ns.size else np.ones(len(unknown), bool)
        for k, hit in zip(unknown, pinned):
            if hit:
                found.append(f"{a} q{k[2]} {k[0]} {k[3]} {k[1]} = {index[k][0]}")
    return found


# --------------------------------------------------------------------------- the data

@pytest.fixture(scope="module")
def sample():
    settings = load_settings(SAMPLE / "settings.toml")
    return cache.load_indicators(SAMPLE, SAMPLE / "settings.toml"), settings


@pytest.fixture(scope="module")
def thinned(sample):
    """The sample with 1 referral in 20, 3 complaints in 10, 1 outcome in 20 and 1 adaptation in 10
    kept (seeded): most waiting-list, complaint and outcome cells become small."""
    _, settings = sample
    b = cache.load_bundle(SAMPLE)
    rng = np.random.default_rng(9)
    ref = b.tables["referrals"]
    ref = ref[rng.random(len(ref)) < 0.05]
    keep = {"referrals": ref,
            "contacts": b.tables["contacts"][b.tables["contacts"]["referral_id"].isin(ref["referral_id"])],
            "complaints": b.tables["complaints"][rng.random(len(b.tables["complaints"])) < 0.3],
            "outcomes": b.tables["outcomes"][rng.random(len(b.tables["outcomes"])) < 0.05],
            "adaptations": b.tables["adaptations"][rng.random(len(b.tables["adaptations"])) < 0.1],
            "workforce": b.tables["workforce"], "vacancies": b.tables["vacancies"], "finance": b.tables["finance"]}
    table = compute_indicators(DataBundle.from_frames(metadata=b.metadata, **keep), settings=settings)
    closed = table.loc[table["indicator_id"] == "W8_closed_unassessed", "value"]
    assert closed.between(1, 4).mean() > 0.5  # the thinning makes most closures small
    return table, settings


def _ctx(tmp_path, table, settings, code="E10000017") -> RunContext:
    out = tmp_path / code
    out.mkdir(parents=True, exist_ok=True)
    codes = sorted(table["authority_code"].unique())
    return RunContext(
        data_dir=SAMPLE, authority=code, period=max(table["period"]), group="sample", output_dir=out,
        cache_dir=tmp_path / "cache", suppress=True, settings_path=None, banner=None, metadata={},
        settings=settings, catalogue=settings.catalogue(), indicators=table,
        neighbours=[c for c in codes if c != code], scheme="sample",
        names=pd.Series({c: c for c in codes}))


# --------------------------------------------------------------------------- the tests

@pytest.mark.parametrize("which", ["sample", "thinned"])
def test_no_suppressed_cell_of_the_published_tables_can_be_worked_out(which, sample, thinned, tmp_path):
    table, settings = sample if which == "sample" else thinned
    ctx = _ctx(tmp_path, table, settings)
    published = ctx.published  # what every published table, sentence and chart reads
    truth = table[table["period"] <= ctx.period]
    hidden = int(disclosure.is_marked(published["numerator"]).sum())
    assert hidden > 0
    assert recoverable(truth, published, settings.catalogue()) == []


def test_the_attacker_recovers_what_primary_suppression_alone_leaves(thinned):
    # the attack is real: with only small counts hidden, it works closures and more back out
    table, settings = thinned
    primary = disclosure.apply_mask(table, pd.DataFrame(
        {c: disclosure.primary_mask(table[c]).to_numpy() & table["indicator_id"].isin(
            ["W8_closed_unassessed", "W1", "W8_referrals", "W8_assessments"]).to_numpy()
         for c in ("numerator", "value")}, index=table.index))
    got = recoverable(table, primary, settings.catalogue())
    assert any("W8_closed_unassessed" in g for g in got)


@pytest.mark.parametrize("which", ["sample", "thinned"])
def test_flows_and_wait_band_tables_show_nothing_the_published_table_hides(which, sample, thinned, tmp_path,
                                                                          monkeypatch):
    table, settings = sample if which == "sample" else thinned
    monkeypatch.setattr(sections, "display", lambda obj: None)
    monkeypatch.setattr(sections.export, "save_figure", lambda fig, *a, **k: None)
    for code in sorted(table["authority_code"].unique())[:4]:
        ctx = _ctx(tmp_path, table, settings, code)
        sections.flows(ctx)
        sections.wait_bands(ctx)
        flows = pd.read_csv(ctx.output_dir / "tables" / "flows.csv", dtype=str).set_index("period")
        bands = pd.read_csv(ctx.output_dir / "tables" / "wait_bands.csv", dtype=str)
        pub = ctx.published[ctx.published["authority_code"] == code]
        for iid, column in (("W8_referrals", "referrals"), ("W8_assessments", "assessments"),
                            ("W8_closed_unassessed", "closed_unassessed"), ("W1", "waiting")):
            p = pub[(pub["indicator_id"] == iid) & (pub["breakdown"] == "all")].set_index("period")["value"]
            for period, cell in flows[column].items():
                assert (cell == "[c]") == disclosure.is_marked(p.loc[period]), (code, period, iid, cell)
        p = pub[pub["indicator_id"] == "W4b"].set_index(["period", "breakdown"])["value"]
        for r in bands.itertuples():
            assert (r.value == "[c]") == disclosure.is_marked(p.loc[(r.period, r.breakdown)])


# --------------------------------------------------------------------------- hand-worked

def _rows(spec, code="E1"):
    """Indicator rows from (quarter, indicator, breakdown, numerator, denominator, value)."""
    df = pd.DataFrame(spec, columns=["period", "indicator_id", "breakdown", "numerator", "denominator", "value"])
    return df.assign(authority_code=code, source="case_level")


def test_a_small_closure_count_is_protected_in_the_flow_identity():
    # 2024-25 Q1: 50 referrals, 40 assessed, 3 closed without assessment, list 100 -> 107 (+7).
    # 3 is small; net change +7 = 50 - 40 - 3 would give it back, so one more flow figure goes:
    # not the net change (it is W1 now minus W1 before, both shown) but the smaller of the
    # figures it is worked out from, the 40 assessments.
    t = _rows([("2023-24 Q4", "W1", "all", 100, np.nan, 100),
               ("2024-25 Q1", "W1", "all", 107, np.nan, 107),
               ("2024-25 Q1", "W8_referrals", "all", 50, np.nan, 50),
               ("2024-25 Q1", "W8_assessments", "all", 40, np.nan, 40),
               ("2024-25 Q1", "W8_closed_unassessed", "all", 3, np.nan, 3),
               ("2024-25 Q1", "W8_net_change", "all", 7, np.nan, 7)])
    out = disclosure.suppress_indicators(t).set_index(["period", "indicator_id"])["value"]
    assert out[("2024-25 Q1", "W8_closed_unassessed")] == "[c]"
    assert out[("2024-25 Q1", "W8_assessments")] == "[c]"
    assert out[("2024-25 Q1", "W8_referrals")] == 50 and out[("2024-25 Q1", "W8_net_change")] == 7
    assert recoverable(t, disclosure.suppress_indicators(t)) == []


def test_a_small_list_hides_the_next_quarters_net_change_and_a_flow():
    # W1 of 3 in 2023-24 Q4 (small) and 9 in 2024-25 Q1: Q1's net change of +6 would give
    # 9 - 6 = 3 back. Hiding the net change is cheaper than hiding Q1's list (which W4_26wk's
    # denominator repeats); but the net change is also 17 referrals - 6 assessed - 5 closed, so one
    # of those goes too: the smallest, the closures.
    t = _rows([("2023-24 Q4", "W1", "all", 3, np.nan, 3),
               ("2024-25 Q1", "W1", "all", 9, np.nan, 9),
               ("2024-25 Q1", "W4_26wk", "all", 2, 9, 2 / 9 * 100),
               ("2024-25 Q1", "W8_referrals", "all", 17, np.nan, 17),
               ("2024-25 Q1", "W8_assessments", "all", 6, np.nan, 6),
               ("2024-25 Q1", "W8_closed_unassessed", "all", 5, np.nan, 5),
               ("2024-25 Q1", "W8_net_change", "all", 6, np.nan, 6)])
    published = disclosure.suppress_indicators(t)
    out = published.set_index(["period", "indicator_id"])["value"]
    hidden = sorted(k for k, v in out.items() if v == "[c]")
    assert hidden == [("2023-24 Q4", "W1"), ("2024-25 Q1", "W4_26wk"), ("2024-25 Q1", "W8_closed_unassessed"),
                      ("2024-25 Q1", "W8_net_change")]  # W4_26wk: its count of 2 is small
    assert out[("2024-25 Q1", "W1")] == 9
    assert recoverable(t, published) == []


def test_the_same_count_under_two_indicators_is_hidden_under_both():
    # W1 by priority: urgent 2 (small), high 30, all 32 -> high hidden too (else 32 - 30). W4_26wk's
    # denominator is W1 again (by priority): the high priority's 30 is hidden there as well, and
    # its numerator and value with it.
    t = _rows([("2024-25 Q1", "W1", "all", 32, np.nan, 32), ("2024-25 Q1", "W1", "priority:urgent", 2, np.nan, 2),
               ("2024-25 Q1", "W1", "priority:high", 30, np.nan, 30),
               ("2024-25 Q1", "W4_26wk", "all", 12, 32, 37.5), ("2024-25 Q1", "W4_26wk", "priority:urgent", 0, 2, 0.0),
               ("2024-25 Q1", "W4_26wk", "priority:high", 12, 30, 40.0)])
    out = disclosure.suppress_indicators(t).set_index(["indicator_id", "breakdown"])
    assert out.loc[("W1", "priority:high"), "value"] == "[c]"
    assert out.loc[("W4_26wk", "priority:high"), "denominator"] == "[c]"
    assert out.loc[("W4_26wk", "priority:high"), "value"] == "[c]"
    assert recoverable(t, disclosure.suppress_indicators(t)) == []


def test_a_councils_own_identity_is_honoured(tmp_path):
    # a local catalogue declares L3 = L1 + L2 (calls answered = by the duty desk + by the team)
    head = ("indicator_id,name,family,unit,multiplier,polarity,method,definition,target,target_local_standard,"
            "caveat,kind,counts_people,suppress_with,identity\n")
    p = tmp_path / "local.csv"
    p.write_text(head + "L1,Desk calls,local,calls,1,context,count,x,,false,,flow,true,,\n"
                        "L2,Team calls,local,calls,1,context,count,x,,false,,flow,true,,\n"
                        "L3,All calls,local,calls,1,context,count,x,,false,,flow,true,,numerator = L1 + L2\n",
                 encoding="utf-8")
    cat = load_catalogue(p)
    t = _rows([("2024-25 Q1", "L1", "all", 3, np.nan, 3), ("2024-25 Q1", "L2", "all", 20, np.nan, 20),
               ("2024-25 Q1", "L3", "all", 23, np.nan, 23)])
    out = disclosure.suppress_indicators(t, catalogue=cat).set_index("indicator_id")["value"]
    assert out["L1"] == "[c]" and (out["L2"] == "[c]") != (out["L3"] == "[c]")
    # an identity that cannot be read is an error naming the row and saying what to write
    p.write_text(head + "L1,Desk calls,local,calls,1,context,count,x,,false,,flow,true,,numerator = L9 +\n",
                 encoding="utf-8")
    with pytest.raises(CatalogueError, match="identity.*row 2"):
        load_catalogue(p)
