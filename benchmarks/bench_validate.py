"""Time reading and validating a national-scale data folder with ``ot_benchmark.load_data``.

Not a test: a script that prints a table. See ``benchmarks/README.md``.

    .venv/bin/python benchmarks/bench_validate.py                      # scales 0.25 0.5 1.0
    .venv/bin/python benchmarks/bench_validate.py --scales 0.05 0.1    # a quick look
    .venv/bin/python benchmarks/bench_validate.py --scales 0.25 --profile   # where the time goes

It reuses the folders :mod:`bench_indicators` generates (and caches under ``benchmarks/_data/``,
git-ignored): all English councils with adult social services responsibilities over three
financial years, written by :func:`ot_benchmark.io.synth.write_folder` as typed Parquet. For each
scale a fresh subprocess times :func:`ot_benchmark.io.validate.load_data` on the folder — finding
and reading the files, checking every value of every row, cross-checks, duplicate keys, contacts
against referrals — and reports wall and CPU seconds and the subprocess's peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which counts numpy and pyarrow buffers and the
loaded tables themselves).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_indicators import ensure_data  # noqa: E402  (same cached folders)


# ---------------------------------------------------------------------------------- child
def child(folder: Path, profile: bool) -> None:
    import pandas as pd

    from ot_benchmark.io.validate import load_data

    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    load_avg = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    bundle = load_data(folder)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if profile:
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(50)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "rows_accepted": {k: int(len(v)) for k, v in bundle.tables.items()},
                "rejects": int(len(bundle.rejects)),
                "wall_seconds": wall,
                "cpu_seconds": cpu,
                "load_average_1min": load_avg,
                "peak_rss_kb": rss,
                "rss_before_kb": rss_start,
                "pandas": pd.__version__,
            }
        )
    )


# --------------------------------------------------------------------------------- parent
def rows_in(folder: Path) -> dict[str, int]:
    """Rows per table file, from the Parquet footers (not timed)."""
    import pyarrow.parquet as pq

    return {p.stem: pq.ParquetFile(p).metadata.num_rows for p in sorted(folder.glob("*.parquet"))}


def run_child(folder: Path, profile: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", str(folder)]
    if profile:
        cmd.append("--profile")
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark child failed with exit code {proc.returncode}")
    if profile:
        sys.stderr.write(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of load_data (adds overhead)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--child", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(Path(args.child), args.profile)
        return 0

    results = []
    for s in args.scales:
        folder = ensure_data(s, args.seed)
        r = run_child(folder, args.profile)
        r["scale"] = s
        r["rows_in"] = rows_in(folder)
        results.append(r)
        n = sum(r["rows_in"].values())
        print(f"scale {s:g}: {n:,} rows, load_data {r['wall_seconds']:.1f} s (cpu {r['cpu_seconds']:.1f} s), "
              f"peak {r['peak_rss_kb'] / 2**20:.2f} GB", flush=True)

    print()
    print("load_data (read + validate every row), all councils, 2022-23 to 2024-25")
    hdr = (f"{'scale':>6} {'rows':>12} {'referrals':>11} {'items':>11} {'rejects':>8} {'seconds':>8} {'cpu s':>7} "
           f"{'peak GB':>8} {'s per M rows':>13} {'load avg':>9}")
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        rows = r["rows_in"]
        n = sum(rows.values())
        print(
            f"{r['scale']:>6g} {n:>12,} {rows.get('referrals', 0):>11,} {rows.get('equipment', 0):>11,} "
            f"{r['rejects']:>8,} "
            f"{r['wall_seconds']:>8.2f} {r['cpu_seconds']:>7.2f} {r['peak_rss_kb'] / 2**20:>8.2f} "
            f"{r['wall_seconds'] / (n / 1e6):>13.3f} {r['load_average_1min']:>9.2f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
