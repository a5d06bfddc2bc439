"""The project against the tool a data engineer would reach for (issue 15).

Not a test: a script that prints a table (``make benchmark``). See ``benchmarks/README.md``.

    .venv/bin/python benchmarks/bench_duckdb.py                    # national scale, 3 repetitions, sizes, batch estimate
    .venv/bin/python benchmarks/bench_duckdb.py --scale 0.1 --reps 1 --sizes   # a quick look
    .venv/bin/python benchmarks/bench_duckdb.py --ten-year         # also ~5x today's rows (out of the box: scale 5)

On the national synthetic folder that ``bench_indicators.py`` generates (all 153 councils, 12
quarters; cached under ``benchmarks/_data/``), it runs three kinds of whole process, interleaved
(a, b, c, a, b, c, ...; ``--reps`` times each) and reports the median of each:

(a) **DuckDB**: a plain SQL version of 11 indicators (W1, W2_median, W4_26wk, W5, W6_median, E1,
    E2, E3, C1, C4, K1, with every breakdown the project gives them) read straight from the
    Parquet files; the working-day calendar is a table of running working-day counts built from
    the ``holidays`` package;
(b) **project, the 11**: ``compute_indicators(folder, indicators=the 11)`` on a folder holding
    only the tables they need (referrals, equipment, workforce, complaints): the engine's read
    (every row of every column validated, only the columns the indicators use kept), then those
    11 indicators;
(c) **project, the whole user path**: ``compute_indicators(folder)``, as ``ot-benchmark
    indicators`` and the report cache do: the whole folder read and validated, every indicator.

CPU seconds are those of the whole child process (interpreter start-up and imports included),
from ``resource.getrusage(RUSAGE_CHILDREN)`` read before and after each one; peak memory is the
child's own maximum resident set size. The 1-minute load average is printed with each figure:
the machine is shared, and CPU seconds are the figure to read when it is loaded.

The values of (a) and (b) are compared row by row (numerator, denominator, value of every
council x quarter x breakdown); the script stops if one differs.

``--sizes`` runs (c) at scales 0.25, 0.5 and 1 (cost per million rows); ``--ten-year`` runs
(c) on a folder about five times today's (scale 5, generated council by council into Parquet
row groups so the generator never holds it all). The report batch estimate is read from
``benchmarks/_data/bench_reports.json`` (``bench_reports.py``) when it is there.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_indicators import DATA, data_folder, ensure_data  # noqa: E402

ELEVEN = ("W1", "W2_median", "W4_26wk", "W5", "W6_median", "E1", "E2", "E3", "C1", "C4", "K1")
ELEVEN_TABLES = ("referrals", "equipment", "workforce", "complaints")
KEYS = ["indicator_id", "authority_code", "period", "breakdown"]
FIGURES = ["numerator", "denominator", "value"]
TARGET_11, TARGET_WHOLE, TARGET_GB = 1.5, 3.0, 1.5


# ---------------------------------------------------------------------------------- (a) DuckDB
def _periods(first: str, last: str) -> list[tuple[int, str, str, str]]:
    """(key, label, first day, last day) of each financial-year quarter from ``first`` to ``last``
    (labels such as ``2022-23 Q1``); key = (year * 12 + month - 4) // 3 of any day in it."""
    def key(label: str) -> int:
        return int(label[:4]) * 4 + int(label[-1]) - 1

    out = []
    for k in range(key(first), key(last) + 1):
        y, q = divmod(k, 4)
        m = 4 + 3 * q
        sy, sm = (y, m) if m <= 12 else (y + 1, m - 12)
        ey, em = (sy, sm + 2) if sm + 2 <= 12 else (sy + 1, sm + 2 - 12)
        import calendar

        out.append(((sy * 12 + sm - 4) // 3, f"{y}-{(y + 1) % 100:02d} Q{q + 1}", f"{sy}-{sm:02d}-01",
                    f"{ey}-{em:02d}-{calendar.monthrange(ey, em)[1]:02d}"))
    return out


def _calendar_rows():
    """Every day 1995-2040 with the running count of England & Wales working days (Monday to
    Friday, not a bank holiday) up to and including it."""
    import holidays
    import numpy as np

    days = np.arange(np.datetime64("1995-01-01"), np.datetime64("2041-01-01"))
    bh = np.array(sorted(holidays.UK(subdiv="ENG", years=range(1995, 2041))), dtype="datetime64[D]")
    work = np.is_busday(days, holidays=bh)
    work[0] = False  # the count starts after 1 January 1995
    return days, np.cumsum(work)


DUCKDB_SQL = r"""
CREATE MACRO qk(d) AS (year(d) * 12 + month(d) - 4) // 3;

CREATE TABLE ref AS
SELECT authority_code AS a, CAST(referral_date AS DATE) AS rd, CAST(allocated_date AS DATE) AS ad,
       CAST(first_assessment_date AS DATE) AS fa, CAST(review_start_date AS DATE) AS rv,
       CAST(closure_date AS DATE) AS cl,
       CASE lower(trim(priority)) WHEN 'critical' THEN 'urgent' WHEN 'substantial' THEN 'high'
            WHEN 'moderate' THEN 'medium' ELSE lower(trim(priority)) END AS pr,
       NULLIF(trim(team), '') AS tm
FROM read_parquet('{folder}/referrals.parquet');
-- a council that records teams: people without one are the part "not recorded"
CREATE TABLE ref2 AS
SELECT r.*, CASE WHEN r.tm IS NOT NULL THEN r.tm WHEN t.a IS NOT NULL THEN 'not recorded' END AS team
FROM ref r LEFT JOIN (SELECT DISTINCT a FROM ref WHERE tm IS NOT NULL) t USING (a);

-- the council x quarter pairs each table covers: the quarter overlaps the council's dates
CREATE TABLE rgrid AS
SELECT s.a, p.pk, p.label, p.qstart, p.qend FROM
  (SELECT a, least(min(rd), min(ad), min(fa), min(rv), min(cl)) AS lo,
          greatest(max(rd), max(ad), max(fa), max(rv), max(cl)) AS hi FROM ref GROUP BY a) s,
  periods p WHERE p.qend >= s.lo AND p.qstart <= s.hi;
CREATE TABLE levels AS
SELECT * FROM (VALUES ('urgent'), ('high'), ('medium'), ('low')) v(pr)
UNION SELECT DISTINCT pr FROM ref WHERE pr IS NOT NULL;
CREATE TABLE wkeys AS
SELECT g.a, g.label, b.bd FROM rgrid g JOIN (
  SELECT a, 'all' AS bd FROM (SELECT DISTINCT a FROM ref)
  UNION ALL SELECT a, 'priority:' || pr FROM (SELECT DISTINCT a FROM ref), levels
  UNION ALL SELECT DISTINCT a, 'team:' || team FROM ref2 WHERE team IS NOT NULL) b USING (a);

-- waiting at each snapshot (the quarter's last day)
CREATE TABLE waiting AS
SELECT r.a, p.label, r.pr, r.team, (p.qend - r.rd) AS wait
FROM ref2 r JOIN periods p
  ON r.rd <= p.qend AND (r.fa IS NULL OR r.fa > p.qend) AND (r.cl IS NULL OR r.cl > p.qend);
CREATE TABLE w_agg AS
SELECT a, label, bd, count(*) AS n, count(*) FILTER (WHERE wait > 182) AS over26,
       quantile_cont(wait, 0.5) AS med
FROM (SELECT a, label, 'all' AS bd, wait FROM waiting
      UNION ALL SELECT a, label, 'priority:' || pr, wait FROM waiting WHERE pr IS NOT NULL
      UNION ALL SELECT a, label, 'team:' || team, wait FROM waiting WHERE team IS NOT NULL)
GROUP BY ALL;

-- first assessments completed in the quarter (not after the closure, not before the referral)
CREATE TABLE done AS
SELECT r.a, p.label, r.pr, r.team, (r.fa - r.rd) AS wait, t.days AS tgt
FROM ref2 r JOIN periods p ON qk(r.fa) = p.pk
LEFT JOIN targets t ON t.pr = r.pr
WHERE (r.cl IS NULL OR r.fa <= r.cl) AND r.fa >= r.rd;
CREATE TABLE d_agg AS
SELECT a, label, bd, count(*) AS n, count(tgt) AS judged,
       count(*) FILTER (WHERE wait <= tgt) AS within, quantile_cont(wait, 0.5) AS med
FROM (SELECT a, label, 'all' AS bd, wait, tgt FROM done
      UNION ALL SELECT a, label, 'priority:' || pr, wait, tgt FROM done WHERE pr IS NOT NULL
      UNION ALL SELECT a, label, 'team:' || team, wait, tgt FROM done WHERE team IS NOT NULL)
GROUP BY ALL;

-- equipment
CREATE TABLE eq AS
SELECT authority_code AS a, coalesce(item_value_gbp, 0) AS v, CAST(ordered_date AS DATE) AS od,
       CAST(decision_date AS DATE) AS dd, CAST(delivered_date AS DATE) AS dl,
       CAST(collection_requested_date AS DATE) AS cr, CAST(collected_date AS DATE) AS co,
       collection_outcome AS oc
FROM read_parquet('{folder}/equipment.parquet');
CREATE TABLE egrid AS
SELECT s.a, p.label FROM
  (SELECT a, least(min(od), min(dd), min(dl), min(cr), min(co)) AS lo,
          greatest(max(od), max(dd), max(dl), max(cr), max(co)) AS hi FROM eq GROUP BY a) s,
  periods p WHERE p.qend >= s.lo AND p.qstart <= s.hi;
CREATE TABLE e_del AS
SELECT e.a, p.label,
       count(*) FILTER (WHERE e.od IS NOT NULL AND e.dl >= e.od) AS judged,
       count(*) FILTER (WHERE e.od IS NOT NULL AND e.dl >= e.od AND c2.cum - c1.cum <= 7) AS within,
       count(*) FILTER (WHERE e.v >= 0) AS delivered
FROM eq e JOIN periods p ON qk(e.dl) = p.pk
LEFT JOIN cal c1 ON c1.d = e.od LEFT JOIN cal c2 ON c2.d = e.dl
GROUP BY ALL;
CREATE TABLE e_col AS
SELECT e.a, p.label, count(*) FILTER (WHERE e.v >= 0) AS collected,
       count(*) FILTER (WHERE e.oc = 'reused') AS reused,
       count(*) FILTER (WHERE e.oc IN ('reused', 'scrapped')) AS outcome
FROM eq e JOIN periods p ON qk(e.co) = p.pk GROUP BY ALL;

-- workforce: the latest snapshot dated in each quarter
CREATE TABLE wf AS
SELECT authority_code AS a, CAST(snapshot_date AS DATE) AS sd, role, establishment_wte AS est,
       in_post_wte AS inpost FROM read_parquet('{folder}/workforce.parquet');
CREATE TABLE wgrid AS
SELECT s.a, p.label FROM (SELECT a, min(sd) AS lo, max(sd) AS hi FROM wf GROUP BY a) s, periods p
WHERE p.qend >= s.lo AND p.qstart <= s.hi;
CREATE TABLE wsnap AS
WITH q AS (SELECT w.*, p.label FROM wf w JOIN periods p ON qk(w.sd) = p.pk)
SELECT q.* FROM q JOIN (SELECT a, label, max(sd) AS sd FROM q GROUP BY ALL) m USING (a, label, sd);
CREATE TABLE c4 AS
SELECT a, label, 'role:' || role AS bd, est - inpost AS vacant, est FROM wsnap
UNION ALL SELECT a, label, 'all', fsum(est - inpost), fsum(est) FROM wsnap GROUP BY ALL;
CREATE TABLE otsnap AS
WITH q AS (SELECT w.*, p.label FROM wf w JOIN periods p ON qk(w.sd) = p.pk WHERE role = 'ot')
SELECT q.a, q.label, q.inpost FROM q JOIN (SELECT a, label, max(sd) AS sd FROM q GROUP BY ALL) m USING (a, label, sd);
CREATE TABLE alloc AS
SELECT r.a, p.label, count(*) AS n FROM ref r JOIN periods p
  ON r.rd <= p.qend AND (r.cl IS NULL OR r.cl > p.qend) AND r.ad <= p.qend AND (r.rv IS NULL OR r.rv > p.qend)
GROUP BY ALL;

-- complaints: stage-1 complaints received per 1,000 cases active in the quarter
CREATE TABLE cp AS
SELECT authority_code AS a, stream, stage, CAST(received_date AS DATE) AS rc, CAST(due_date AS DATE) AS du,
       CAST(responded_date AS DATE) AS rs, CAST(ombudsman_referred_date AS DATE) AS orf,
       CAST(ombudsman_decided_date AS DATE) AS od
FROM read_parquet('{folder}/complaints.parquet');
CREATE TABLE cgrid AS
SELECT s.a, p.label FROM
  (SELECT a, least(min(rc), min(du), min(rs), min(orf), min(od)) AS lo,
          greatest(max(rc), max(du), max(rs), max(orf), max(od)) AS hi FROM cp GROUP BY a) s,
  periods p WHERE p.qend >= s.lo AND p.qstart <= s.hi;
CREATE TABLE k_rec AS
SELECT c.a, p.label, bd, count(*) AS n FROM (
  SELECT a, rc, 'all' AS bd FROM cp WHERE stage = 1 AND stream IN ('asc_statutory', 'childrens_statutory', 'corporate')
  UNION ALL SELECT a, rc, 'stream:' || stream FROM cp WHERE stage = 1
    AND stream IN ('asc_statutory', 'childrens_statutory', 'corporate')) c
JOIN periods p ON qk(c.rc) = p.pk GROUP BY ALL;
CREATE TABLE active AS
SELECT r.a, p.label, count(*) AS n FROM ref r JOIN periods p
  ON qk(r.rd) <= p.pk AND (r.cl IS NULL OR qk(r.cl) >= p.pk) GROUP BY ALL;

CREATE TABLE result AS
SELECT 'W1' AS indicator_id, k.a AS authority_code, k.label AS period, k.bd AS breakdown,
       coalesce(w.n, 0)::DOUBLE AS numerator, NULL::DOUBLE AS denominator, coalesce(w.n, 0)::DOUBLE AS value
FROM wkeys k LEFT JOIN w_agg w USING (a, label, bd)
UNION ALL
SELECT 'W2_median', k.a, k.label, k.bd, NULL, coalesce(w.n, 0), w.med
FROM wkeys k LEFT JOIN w_agg w USING (a, label, bd)
UNION ALL
SELECT 'W4_26wk', k.a, k.label, k.bd, coalesce(w.over26, 0), coalesce(w.n, 0),
       CASE WHEN w.n > 0 THEN w.over26 / w.n * 100 END
FROM wkeys k LEFT JOIN w_agg w USING (a, label, bd)
UNION ALL
SELECT 'W5', k.a, k.label, k.bd, coalesce(d.within, 0), coalesce(d.judged, 0),
       CASE WHEN d.judged > 0 THEN d.within / d.judged * 100 END
FROM wkeys k LEFT JOIN d_agg d USING (a, label, bd)
UNION ALL
SELECT 'W6_median', k.a, k.label, k.bd, NULL, coalesce(d.n, 0), d.med
FROM wkeys k LEFT JOIN d_agg d USING (a, label, bd)
UNION ALL
SELECT 'E1', g.a, g.label, 'all', coalesce(d.within, 0), coalesce(d.judged, 0),
       CASE WHEN d.judged > 0 THEN d.within / d.judged * 100 END
FROM egrid g LEFT JOIN e_del d USING (a, label)
UNION ALL
SELECT 'E2', g.a, g.label, 'all', coalesce(c.collected, 0), coalesce(d.delivered, 0),
       CASE WHEN d.delivered > 0 THEN coalesce(c.collected, 0) / d.delivered * 100 END
FROM egrid g LEFT JOIN e_del d USING (a, label) LEFT JOIN e_col c USING (a, label)
UNION ALL
SELECT 'E3', g.a, g.label, 'all', coalesce(c.reused, 0), coalesce(c.outcome, 0),
       CASE WHEN c.outcome > 0 THEN c.reused / c.outcome * 100 END
FROM egrid g LEFT JOIN e_col c USING (a, label)
UNION ALL
SELECT 'C1', g.a, g.label, 'all', coalesce(al.n, 0), o.inpost,
       CASE WHEN o.inpost <> 0 THEN coalesce(al.n, 0) / o.inpost END
FROM (SELECT a, label FROM rgrid INTERSECT SELECT a, label FROM wgrid) g
LEFT JOIN alloc al USING (a, label) LEFT JOIN otsnap o USING (a, label)
UNION ALL
SELECT 'C4', k.a, k.label, k.bd, c.vacant, c.est, CASE WHEN c.est <> 0 THEN c.vacant / c.est * 100 END
FROM (SELECT g.a, g.label, b.bd FROM wgrid g,
        (SELECT 'all' AS bd UNION ALL SELECT DISTINCT 'role:' || role FROM wf WHERE role IS NOT NULL) b) k
LEFT JOIN c4 c USING (a, label, bd)
UNION ALL
SELECT 'K1', k.a, k.label, k.bd, coalesce(r.n, 0), coalesce(ac.n, 0),
       CASE WHEN ac.n > 0 THEN coalesce(r.n, 0) / ac.n * 1000 END
FROM (SELECT g.a, g.label, b.bd FROM cgrid g,
        (VALUES ('all'), ('stream:asc_statutory'), ('stream:childrens_statutory'), ('stream:corporate')) b(bd)) k
LEFT JOIN k_rec r USING (a, label, bd) LEFT JOIN active ac USING (a, label);
"""


def duckdb_eleven(folder: Path, out: Path | None) -> int:
    import duckdb
    import pandas as pd

    meta = json.loads((folder / "metadata.json").read_text())
    con = duckdb.connect()
    con.execute("CREATE TABLE periods (pk INTEGER, label VARCHAR, qstart DATE, qend DATE)")
    con.executemany("INSERT INTO periods VALUES (?, ?, ?, ?)", _periods(meta["first_period"], meta["last_period"]))
    con.execute("CREATE TABLE targets (pr VARCHAR, days INTEGER)")
    con.executemany("INSERT INTO targets VALUES (?, ?)", [("urgent", 7), ("high", 28), ("medium", 84), ("low", 182)])
    days, cum = _calendar_rows()
    con.register("cal_df", pd.DataFrame({"d": days, "cum": cum}))
    con.execute("CREATE TABLE cal AS SELECT CAST(d AS DATE) AS d, cum FROM cal_df")
    con.unregister("cal_df")
    con.execute(DUCKDB_SQL.replace("{folder}", str(folder)))
    if out is not None:
        con.execute(f"COPY (SELECT * FROM result) TO '{out}' (FORMAT parquet)")
    return int(con.execute("SELECT count(*) FROM result").fetchone()[0])


# ----------------------------------------------------------------------------- (b), (c) project
def eleven_folder(folder: Path) -> Path:
    """A folder holding links to only the tables the 11 indicators need (and the metadata)."""
    folder = folder.resolve()
    sub = folder.with_name(folder.name + "_eleven")
    sub.mkdir(exist_ok=True)
    for name in (*[f"{t}.parquet" for t in ELEVEN_TABLES], "metadata.json"):
        link = sub / name
        if not link.exists():
            link.symlink_to(folder / name)
    return sub


def project_eleven(folder: Path, out: Path | None) -> int:
    from ot_benchmark import compute_indicators

    table = compute_indicators(eleven_folder(folder), indicators=ELEVEN)
    if out is not None:
        table[KEYS + FIGURES].to_parquet(out, index=False)
    return len(table)


def project_whole(folder: Path, out: Path | None) -> int:
    from ot_benchmark import compute_indicators

    table = compute_indicators(folder)
    if out is not None:
        table.to_parquet(out, index=False)
    return len(table)


MODES = {"duckdb": duckdb_eleven, "project11": project_eleven, "whole": project_whole}
LABELS = {"duckdb": "(a) DuckDB SQL, the 11", "project11": "(b) project, the 11", "whole": "(c) project, whole path"}


def child(mode: str, folder: Path, out: Path | None) -> None:
    rows = MODES[mode](folder, out)
    print(json.dumps({"rows": rows, "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


# ---------------------------------------------------------------------------------- parent
def run(mode: str, folder: Path, out: Path | None = None) -> dict:
    """One whole child process: CPU seconds (RUSAGE_CHILDREN before/after), wall, peak RSS."""
    cmd = [sys.executable, __file__, "--child", mode, str(folder)] + (["--out", str(out)] if out else [])
    load = os.getloadavg()[0]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{mode} child failed with exit code {proc.returncode}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(mode=mode, wall=wall, load=max(load, os.getloadavg()[0]),
               cpu=(r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return res


def compare(duck: Path, proj: Path) -> int:
    """Assert the 11 indicators agree exactly between DuckDB and the project; rows compared."""
    import numpy as np
    import pandas as pd

    a = pd.read_parquet(duck).set_index(KEYS).sort_index()
    b = pd.read_parquet(proj).set_index(KEYS).sort_index()
    only_a, only_b = a.index.difference(b.index), b.index.difference(a.index)
    assert not len(only_a) and not len(only_b), (
        f"rows only in DuckDB: {list(only_a[:5])}; only in the project: {list(only_b[:5])}")
    b = b.loc[a.index]
    for c in FIGURES:
        x, y = a[c].to_numpy(dtype="float64"), b[c].to_numpy(dtype="float64")
        bad = ~((x == y) | (np.isnan(x) & np.isnan(y)))
        assert not bad.any(), f"{c} differs in {int(bad.sum())} rows, e.g.\n{pd.concat([a[bad].head(), b[bad].head().add_suffix('_project')], axis=1)}"
    return len(a)


def rows_in(folder: Path, tables=None) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet")
               if tables is None or p.stem in tables)


def _median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each process (median reported)")
    ap.add_argument("--sizes", nargs="*", type=float, help="scales for the cost per row of (c) (default 0.25 0.5 1)")
    ap.add_argument("--ten-year", action="store_true", help="also (c) at about five times today's rows")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "DIR"), help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.out) if args.out else None)
        return 0

    folder = ensure_data(args.scale, args.seed)
    n_all, n_11 = rows_in(folder), rows_in(folder, ELEVEN_TABLES)
    results: dict[str, list[dict]] = {m: [] for m in MODES}
    with tempfile.TemporaryDirectory() as tmp:
        duck_out, proj_out = Path(tmp) / "duckdb.parquet", Path(tmp) / "project.parquet"
        for rep in range(args.reps):
            for mode in MODES:
                out = {"duckdb": duck_out, "project11": proj_out}.get(mode) if rep == 0 else None
                r = run(mode, folder, out)
                results[mode].append(r)
                print(f"  rep {rep + 1} {LABELS[mode]:<26} cpu {r['cpu']:6.2f} s  wall {r['wall']:6.2f} s  "
                      f"peak {r['peak_rss_kb'] / 2**20:5.2f} GB  load {r['load']:.2f}", flush=True)
            if rep == 0:
                n = compare(duck_out, proj_out)
                print(f"  the 11 indicators agree exactly: {n:,} rows (council x quarter x breakdown), "
                      "numerator, denominator and value", flush=True)

    med = {m: {k: _median(rs, k) for k in ("cpu", "wall", "peak_rss_kb", "load")} for m, rs in results.items()}
    print()
    print(f"National folder scale {args.scale:g}: {n_all:,} rows in all tables ({n_11:,} in the four the 11 need); "
          f"medians of {args.reps} interleaved runs, whole processes")
    hdr = f"{'':<28}{'cpu s':>8}{'wall s':>8}{'peak GB':>9}{'load':>6}{'rows out':>10}"
    print(hdr + "   (peak: GiB, 2**30 bytes, as bench_indicators.py)")
    print("-" * len(hdr))
    for m in MODES:
        print(f"{LABELS[m]:<28}{med[m]['cpu']:>8.2f}{med[m]['wall']:>8.2f}{med[m]['peak_rss_kb'] / 2**20:>9.2f}"
              f"{med[m]['load']:>6.2f}{results[m][0]['rows']:>10,}")
    r11 = med["project11"]["cpu"] / med["duckdb"]["cpu"]
    rwhole = med["whole"]["cpu"] / med["duckdb"]["cpu"]
    peak = med["whole"]["peak_rss_kb"] / 2**20
    print(f"\nproject / DuckDB, the 11 (CPU): {r11:.2f}x   (target <= {TARGET_11:g}x: {'met' if r11 <= TARGET_11 else 'MISSED'})")
    print(f"whole path / DuckDB's 11 (CPU): {rwhole:.2f}x   (target <= {TARGET_WHOLE:g}x: {'met' if rwhole <= TARGET_WHOLE else 'MISSED'})")
    print(f"whole path peak memory: {peak:.2f} GB   (target <= {TARGET_GB:g} GB: {'met' if peak <= TARGET_GB else 'MISSED'})")
    report = {"scale": args.scale, "rows": n_all, "medians": med, "runs": results,
              "ratio_11": r11, "ratio_whole": rwhole}

    sizes = args.sizes if args.sizes else ([0.25, 0.5, 1.0] if args.sizes is not None else [])
    if sizes:
        print("\nCost per row, whole path (c), one run per size (the chosen scale's median reused):")
        print(f"{'scale':>6}{'rows':>13}{'cpu s':>8}{'peak GB':>9}{'cpu s per M rows':>18}{'load':>6}")
        report["sizes"] = []
        for s in sizes:
            f = ensure_data(s, args.seed)
            r = med["whole"] if s == args.scale else run("whole", f)
            n = rows_in(f)
            report["sizes"].append({**r, "scale": s, "rows_in": n})
            print(f"{s:>6g}{n:>13,}{r['cpu']:>8.2f}{r['peak_rss_kb'] / 2**20:>9.2f}{r['cpu'] / (n / 1e6):>18.3f}{r['load']:>6.2f}")
    if args.ten_year:
        f = ensure_big(5.0, args.seed)
        n = rows_in(f)
        r = run("whole", f)
        report["ten_year"] = {**r, "scale": 5.0, "rows_in": n}
        print(f"\nAbout ten years of data (scale 5, {n:,} rows): whole path cpu {r['cpu']:.1f} s, wall {r['wall']:.1f} s, "
              f"peak {r['peak_rss_kb'] / 2**20:.2f} GB, {r['cpu'] / (n / 1e6):.3f} cpu s per M rows, load {r['load']:.2f}")
    batch_estimate()
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def ensure_big(scale: float, seed: int) -> Path:
    """A national folder at ``scale`` written council by council into Parquet row groups (the
    schemas of the scale-1 folder's files), so the generator holds one council's rows at a time.
    Each council has its own seed (``seed`` + its position), so the rows differ from a folder
    generated in one go, but every council, table and column is there."""
    import pyarrow.parquet as pq

    out = data_folder(scale, seed)
    if (out / "metadata.json").exists():
        return out
    from ot_benchmark.io import reference
    from ot_benchmark.io.synth import write_folder

    schemas = {p.stem: pq.read_schema(p).remove_metadata() for p in ensure_data(1.0, seed).glob("*.parquet")}
    codes = reference.councils("2025")["ons_code"].tolist()
    tmp = DATA / f".big_{os.getpid()}"
    out.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    meta = None
    t0 = time.perf_counter()
    print(f"generating {len(codes)} councils at scale {scale:g}, one at a time, into {out} (not timed)", flush=True)
    try:
        for i, code in enumerate(codes):
            shutil.rmtree(tmp, ignore_errors=True)
            meta = write_folder(tmp, home=code, seed=seed + i, scale=scale, authorities=[code], fmt="parquet")
            for p in sorted(tmp.glob("*.parquet")):
                if p.stem not in schemas:
                    continue
                if p.stem not in writers:
                    writers[p.stem] = pq.ParquetWriter(out / p.name, schemas[p.stem], compression="zstd")
                t = pq.read_table(p).select(schemas[p.stem].names)
                writers[p.stem].write_table(t.cast(schemas[p.stem]))
    finally:
        for w in writers.values():
            w.close()
        shutil.rmtree(tmp, ignore_errors=True)
    meta.update(authorities=codes, home_authority=codes[0], scale=scale, seed=seed,
                description=f"all councils at scale {scale:g}, generated council by council (bench_duckdb.py)")
    (out / "metadata.json").write_text(json.dumps(meta, indent=2))
    print(f"  generated in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def batch_estimate() -> None:
    """The report figures of ``bench_reports.py`` (its last run), and every council in England
    extrapolated from them."""
    path = DATA / "bench_reports.json"
    if not path.is_file():
        print("\nReports: no benchmarks/_data/bench_reports.json yet (run benchmarks/bench_reports.py).")
        return
    r = json.loads(path.read_text())
    print(f"\nReports (benchmarks/bench_reports.py, {r.get('when', 'last run')}):")
    for line in r.get("summary_lines", []):
        print("  " + line)


if __name__ == "__main__":
    raise SystemExit(main())
