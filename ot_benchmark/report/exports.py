"""Tables an analyst can use: numbers as numbers, in the Analysis Function's spreadsheet style.

The report's own tables (``sections``) are written in words for a reader ("45 days", "£398 per
assessment"). An analyst who opens ``tables/*.csv`` or ``tables.xlsx`` needs numbers that sort
and chart, with their numerators, denominators and intervals. This module writes them
(government guidance on releasing statistics in spreadsheets, GSS symbols):

* :func:`analyst_tables` — one call at the end of the quarterly report's Summary: rewrites
  ``summary`` with numeric columns (and a formatted text copy beside the value and the group's
  figure), writes ``benchmark`` (one row per indicator and breakdown of the council) and a
  ``notes`` sheet saying every heading and symbol (and each measure) in words, beside the
  report's own ``definitions`` sheet of the measures.
* :func:`summary_export`, :func:`benchmark_export` — those tables as frames (pure functions).
* :func:`write_analyst_table` — ``ot-benchmark benchmark --out`` written with the same care.

Cells: a number is a number (full precision; the CSV writes 12 significant digits), ``[c]`` a
figure withheld by the run's one disclosure decision (:mod:`ot_benchmark.report.disclosure`),
``[x]`` not available, ``[z]`` not applicable (a rank among fewer than 2 councils, a group figure
beside a total). The workbook's layout (banner first row on every sheet, frozen headings, widths,
autofilter) is :func:`ot_benchmark.report.export.finish_workbook`.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ot_benchmark.compare.benchmark import is_total
from ot_benchmark.periods import PeriodWords, period_words
from ot_benchmark.report import disclosure, export, safe
from ot_benchmark.report.narrative import (assurance_label, basis_phrase, comparator_description, format_value,
                                          variation_label, verdict_of)

__all__ = [
    "NOTES_SHEET",
    "NOT_AVAILABLE",
    "NOT_APPLICABLE",
    "COLUMN_DEFINITIONS",
    "column_definitions",
    "benchmark_export",
    "summary_export",
    "definitions_table",
    "analyst_tables",
    "write_analyst_table",
]

#: the sheet (and CSV) saying every column heading and symbol of the analyst tables in words
NOTES_SHEET = "notes"

#: GSS symbols (Analysis Function, "Symbols in tables"): withheld is disclosure.SYMBOL ``[c]``
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"

#: every column heading of the analyst tables, in words (the ``definitions`` sheet), with the
#: periods as placeholders (:meth:`ot_benchmark.periods.PeriodWords.fill`): :func:`column_definitions`
_COLUMN_DEFINITIONS = {
    "Id": "The indicator's id in the project's catalogue.",
    "Indicator": "The indicator's name.",
    "Breakdown": "'all' for the council's whole figure, else the part it is for (dimension:value, e.g. priority:urgent).",
    "Unit": "The unit of Value, Comparator value, the 95% limits and the gap (days, %, £, per 10,000 adults ...).",
    "Value (unit in Unit)": "The council's figure for the {period}, full precision, in the row's unit.",
    "Value, formatted": "The same figure rounded for reading, with its unit (text).",
    "Numerator (count)": "What was counted (people, items, days ...) to make a rate or proportion; [z] for a median.",
    "Denominator (count)": "What the numerator is divided by; [z] where it does not apply.",
    "Lower 95% limit (unit in Unit)": "Lower end of the 95% confidence interval of the value.",
    "Upper 95% limit (unit in Unit)": "Upper end of the 95% confidence interval of the value.",
    "Comparator value (unit in Unit)": "The comparator group's figure (pooled, or the median of its councils: see What the group figure is).",
    "Comparator value, formatted": "The group's figure rounded for reading, with its unit (text).",
    "What the group figure is": "How the comparator value was made (pooled over the group, or the median of N councils).",
    "Verdict": "The one verdict: better, similar, worse, higher, lower, not compared.",
    "Verdict basis": "What the verdict rests on (the 95% interval against the group figure, the spread of the group, ...).",
    "Rank (1 = best)": "The council's place in its group; [z] where ranking does not apply.",
    "Councils ranked (n)": "How many councils the rank is among.",
    "Best quartile value (unit in Unit)": "The value at the edge of the group's best quarter.",
    "Gap to best quartile (unit in Unit)": "How far the council's value is from the best quarter of the group (0 when in it).",
    "Latest {period} (SPC)": "Statistical process control reading of the latest {period} (common or special cause).",
    "Target assurance (SPC)": "Whether the process will meet its target, by statistical process control.",
    "Target": "The target the indicator is read against (text, with its unit).",
    "[c]": "Withheld to protect confidentiality: a count of 1 to 4 people, or a figure from which one could be worked out.",
    "[x]": "Not available: no figure for this {period} (missing or impossible inputs).",
    "[z]": "Not applicable (a rank among fewer than 2 councils, a group figure beside a total count).",
}


def column_definitions(words: PeriodWords | None = None) -> dict[str, str]:
    """Every column heading of the analyst tables in words, naming the run's periods in their
    kind's words (:func:`ot_benchmark.periods.period_words`; default quarters): "Latest year
    (SPC)", "The council's figure for the year"."""
    w = words or period_words("quarter")
    return {w.fill(term): w.fill(meaning) for term, meaning in _COLUMN_DEFINITIONS.items()}


#: :func:`column_definitions` of a report of quarters
COLUMN_DEFINITIONS = column_definitions()


def _spc_heading(words: PeriodWords | None) -> str:
    """The summary's SPC column: "Latest quarter (SPC)", "Latest year (SPC)"."""
    return (words or period_words("quarter")).fill("Latest {period} (SPC)")


def _num(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _cell(value, *, na: str = NOT_AVAILABLE):
    """A published cell as an analyst gets it: the number, ``[c]`` kept, ``na`` for no number."""
    if disclosure.is_marked(value):
        return disclosure.SYMBOL
    v = _num(value)
    return na if math.isnan(v) else v


def _published(ctx, rows: pd.DataFrame) -> pd.DataFrame:
    """Benchmark rows with the marks of the run's one disclosure decision (``ctx.published``) and
    the group's figure withheld where it rests on small numbers; as they are when analyst-only."""
    if not ctx.suppress:
        return rows
    out = disclosure.as_published(rows, ctx.published, catalogue=ctx.catalogue)
    comparator = disclosure.comparator_suppression_mask(out, catalogue=ctx.catalogue)
    return out if comparator is None else disclosure.apply_mask(out, comparator)


def _ordered(bench: pd.DataFrame, catalogue: pd.DataFrame | None) -> pd.DataFrame:
    b = bench.copy()
    if catalogue is not None and len(b):
        order = pd.Series(range(len(catalogue)), index=catalogue["indicator_id"].to_numpy())
        b = b.assign(_o=b["indicator_id"].map(order).fillna(len(catalogue)),
                     _b=(b["breakdown"] != "all").astype(int))
        b = b.sort_values(["_o", "_b", "breakdown"], kind="mergesort").drop(columns=["_o", "_b"])
    if catalogue is not None:
        cat = catalogue.set_index("indicator_id")
        for col, src in (("indicator_name", "name"), ("unit", "unit"), ("method", "method"), ("polarity", "polarity")):
            fill = b["indicator_id"].map(cat[src]) if src in cat else None
            if fill is not None:
                b[col] = b[col].where(b[col].notna(), fill) if col in b else fill
    return b.reset_index(drop=True)


def benchmark_export(bench: pd.DataFrame, catalogue: pd.DataFrame | None = None, *,
                     compare: bool = True) -> pd.DataFrame:
    """One row per indicator and breakdown of the council, numbers as numbers.

    ``bench`` is the council's benchmark rows as published (``[c]`` where the run withheld a
    figure). Columns: ``Id, Indicator, Breakdown, Unit, Value, Numerator, Denominator, Lower and
    Upper 95% limits, Comparator value, Verdict, Verdict basis, Rank, Councils ranked, Best
    quartile value, Gap to best quartile`` (headings in words with their units, see
    :data:`COLUMN_DEFINITIONS`). A withheld value withholds its verdict, rank and gap too.
    """
    b = _ordered(bench, catalogue)
    withheld = disclosure.is_marked(b["value"]) if len(b) else pd.Series(dtype=bool)
    method = b["method"] if "method" in b else pd.Series("", index=b.index)
    total = is_total(b.assign(method=method)) if len(b) and "denominator" in b else pd.Series(False, index=b.index)
    rankable = b["polarity"].isin(["higher_is_better", "lower_is_better"]) if "polarity" in b else pd.Series(True, index=b.index)
    rows = []
    for i, r in enumerate(b.to_dict("records")):
        w, tot = bool(withheld.iloc[i]), bool(total.iloc[i])
        median_like = str(r.get("method")) in ("median", "mean", "count")
        n = _num(r.get("n_in_group"))
        verdict = verdict_of(r) if not w else None
        row = {
            "Id": r["indicator_id"],
            "Indicator": r.get("indicator_name"),
            "Breakdown": r.get("breakdown"),
            "Unit": r.get("unit"),
            "Value (unit in Unit)": _cell(r.get("value")),
            "Numerator (count)": _cell(r.get("numerator"), na=NOT_APPLICABLE if median_like else NOT_AVAILABLE),
            "Denominator (count)": _cell(r.get("denominator"), na=NOT_APPLICABLE if median_like else NOT_AVAILABLE),
            "Lower 95% limit (unit in Unit)": _cell(r.get("lower_95")) if not w else disclosure.SYMBOL,
            "Upper 95% limit (unit in Unit)": _cell(r.get("upper_95")) if not w else disclosure.SYMBOL,
        }
        if compare:
            comp = NOT_APPLICABLE if tot else _cell(r.get("comparator_value"))
            ranked = bool(rankable.iloc[i]) and not math.isnan(n) and n >= 2
            rank_cell = disclosure.SYMBOL if w else (_cell(r.get("rank")) if ranked else NOT_APPLICABLE)
            row.update({
                "Comparator value (unit in Unit)": comp,
                "Verdict": disclosure.SYMBOL if w else (verdict.replace("_", " ") if verdict else NOT_AVAILABLE),
                "Verdict basis": disclosure.SYMBOL if w else ((basis_phrase(r) or NOT_AVAILABLE)
                                                             if verdict and verdict != "not_compared" else NOT_APPLICABLE),
                "Rank (1 = best)": rank_cell,
                "Councils ranked (n)": (NOT_APPLICABLE if math.isnan(n) or not ranked else n),
                "Best quartile value (unit in Unit)": (NOT_APPLICABLE if not ranked else _cell(r.get("best_quartile_value"))),
                "Gap to best quartile (unit in Unit)": (disclosure.SYMBOL if w else NOT_APPLICABLE if not ranked
                                                        else _cell(r.get("gap_to_best_quartile"))),
            })
        rows.append(row)
    out = pd.DataFrame(rows)
    if not len(out):
        out = pd.DataFrame(columns=list(COLUMN_DEFINITIONS)[:9])
    return out.astype(object)


def summary_export(bench: pd.DataFrame, spc: pd.DataFrame | None = None, *,
                   catalogue: pd.DataFrame | None = None, compare: bool = True,
                   words: PeriodWords | None = None) -> pd.DataFrame:
    """The summary table (one row per indicator, the council's whole figure) for an analyst: the
    :func:`benchmark_export` columns of the ``all`` rows, a formatted text copy beside the value
    and the group's figure, and the SPC reading in words (its heading naming the run's periods,
    ``words``: "Latest year (SPC)"; default quarters)."""
    b = _ordered(bench[bench["breakdown"] == "all"], catalogue)
    out = benchmark_export(b, catalogue, compare=compare).drop(columns=["Breakdown"])
    withheld = disclosure.is_marked(b["value"]) if len(b) else pd.Series(dtype=bool)
    dec = b["decimals"] if "decimals" in b else pd.Series(None, index=b.index)

    def formatted(v, u, d, w):
        if w or disclosure.is_marked(v):
            return disclosure.SYMBOL
        x = _num(v)
        if math.isnan(x):
            return NOT_AVAILABLE
        d = _num(d)
        return format_value(x, u, decimals=None if math.isnan(d) else int(d))

    out.insert(out.columns.get_loc("Value (unit in Unit)") + 1, "Value, formatted",
               [formatted(v, u, d, w) for v, u, d, w in zip(b["value"], b["unit"], dec, withheld)])
    if compare:
        comp_cells = out["Comparator value (unit in Unit)"]
        out.insert(out.columns.get_loc("Comparator value (unit in Unit)") + 1, "Comparator value, formatted",
                   [c if isinstance(c, str) else formatted(c, u, d, False) for c, u, d in zip(comp_cells, b["unit"], dec)])
        out.insert(out.columns.get_loc("Comparator value, formatted") + 1, "What the group figure is",
                   [(comparator_description(r) or NOT_AVAILABLE) if isinstance(c, float) else c
                    for r, c in zip(b.to_dict("records"), comp_cells)])
    if spc is not None and len(spc) and len(out):
        s = spc.set_index("indicator_id")
        no_figure = [not isinstance(v, float) for v in out["Value (unit in Unit)"]]
        trend = [variation_label(v) for v in out["Id"].map(s["variation"])]
        tg = out["Id"].map(s["target"])
        assurance = [assurance_label(a) if not math.isnan(_num(t)) else "No target"
                     for a, t in zip(out["Id"].map(s["assurance"]), tg)]
        out[_spc_heading(words)] = [NOT_APPLICABLE if nf else t for t, nf in zip(trend, no_figure)]
        out["Target assurance (SPC)"] = [NOT_APPLICABLE if nf else a for a, nf in zip(assurance, no_figure)]
        out["Target"] = [format_value(t, u) if not math.isnan(_num(t)) else NOT_APPLICABLE for t, u in zip(tg, b["unit"])]
    return out.astype(object)


def definitions_table(catalogue: pd.DataFrame | None, ids=None, *, words: PeriodWords | None = None) -> pd.DataFrame:
    """The ``notes`` sheet: every column heading and symbol in words (:func:`column_definitions`
    for the run's periods), then every indicator shown (id, name, unit, which way is better,
    definition) — all text, made safe."""
    rows = [{"Term": k, "Meaning": v} for k, v in column_definitions(words).items()]
    if catalogue is not None:
        cat = catalogue if ids is None else catalogue[catalogue["indicator_id"].isin(list(ids))]
        better = {"higher_is_better": "higher is better", "lower_is_better": "lower is better", "context": "neither (context)"}
        for r in cat.to_dict("records"):
            text = " ".join(str(x) for x in (
                f"{r.get('name')} ({r.get('unit')}; {better.get(str(r.get('polarity')), 'neither')}).",
                r.get("definition") if isinstance(r.get("definition"), str) else "",
            ) if x)
            rows.append({"Term": str(r["indicator_id"]), "Meaning": text})
    out = pd.DataFrame(rows, columns=["Term", "Meaning"]).astype(object)
    return out.map(lambda v: " ".join(str(v).split()))


def analyst_tables(ctx) -> None:
    """The quarterly report's analyst tables (shows nothing in the report): ``summary`` rewritten
    with numbers as numbers, ``benchmark`` (one row per indicator and breakdown of the council,
    ``[c]`` where the run's one disclosure decision withholds a figure) and ``notes``.
    Call once, after ``sections.summary(ctx)``."""

    compare = getattr(ctx, "compare_mode", "full") != "none"
    bench = _published(ctx, ctx.bench)
    spc = ctx.spc_table
    summary = summary_export(bench, spc, catalogue=ctx.catalogue, compare=compare, words=ctx.words)
    export.save_table(summary, "summary", ctx.output_dir, suppress=ctx.suppress, counts=[])
    export.save_table(benchmark_export(bench, ctx.catalogue, compare=compare), "benchmark", ctx.output_dir,
                      suppress=ctx.suppress, counts=[])
    # "notes": every heading and symbol in words (the report's own "definitions" sheet, written by
    # sections.definitions at the end of the report, holds the measures' definitions)
    export.save_table(definitions_table(ctx.catalogue, ids=bench["indicator_id"].unique(), words=ctx.words), NOTES_SHEET,
                      ctx.output_dir, suppress=ctx.suppress, counts=[])


def write_analyst_table(df: pd.DataFrame, path, *, banner: str | None = None, unit_column: str = "unit",
                        value_columns=("value", "comparator_value")) -> Path:
    """Write a table (``ot-benchmark benchmark --out``) as .csv, .xlsx or .parquet: numbers at full
    precision (the CSV with 12 significant digits, so no ``3.9999999999999982``), a formatted
    text copy ``<col>_formatted`` of each value column (rounded for reading only), formula-like
    text neutralised (:func:`ot_benchmark.report.safe.neutralise_cells`), and the workbook laid
    out like the report's (banner first row, frozen headings, widths, autofilter)."""
    from ot_benchmark.errors import ParameterError

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".parquet"):
        raise ParameterError(f"--out {path}: the file name must end .csv, .xlsx or .parquet")
    out = df.copy()
    if unit_column in out:
        dec = out["decimals"] if "decimals" in out else pd.Series(None, index=out.index)
        for col in value_columns:
            if col not in out:
                continue
            cells = []
            for v, u, d in zip(out[col], out[unit_column], dec):
                x, d = _num(v), _num(d)
                cells.append("" if math.isnan(x) else format_value(x, u, decimals=None if math.isnan(d) else int(d)))
            out.insert(out.columns.get_loc(col) + 1, f"{col}_formatted", cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        out.to_parquet(path, index=False)
        return path
    if suffix == ".csv":
        export.write_csv(safe.neutralise_cells(out), path)
        return path
    sheet = "benchmark"
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        out.to_excel(xw, sheet_name=sheet, index=False)
    export.finish_workbook(path, banner)
    return path
