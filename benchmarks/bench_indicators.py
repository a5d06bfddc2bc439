"""Time the full indicator table on national-scale synthetic data.

Not a test: a script that prints a table. See ``benchmarks/README.md``.

    .venv/bin/python benchmarks/bench_indicators.py                      # scales 0.25 0.5 1.0
    .venv/bin/python benchmarks/bench_indicators.py --scales 0.05 0.1    # a quick look
    .venv/bin/python benchmarks/bench_indicators.py --scales 1.0 --profile   # where the time goes

For each scale it generates (once, cached under ``benchmarks/_data/``, git-ignored) all English
councils with adult social services responsibilities over three financial years
(:func:`ot_benchmark.io.synth.write_folder` with ``authorities="all"``), then runs the timed part
in a fresh subprocess: read the folder's parquet files into a :class:`DataBundle` (timed
separately, not part of the target), then :func:`ot_benchmark.compute_indicators` over every
quarter (timed). Peak memory is the subprocess's maximum resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss`` read in the child at the end, cross-checked
with ``RUSAGE_CHILDREN`` in the parent), so numpy and pyarrow buffers count, unlike with
``tracemalloc``. The data themselves are part of that peak.

Targets (issue): national table (scale 1: about 1.6 million referrals and 10 million equipment
items) under 20 s and under 4 GB peak on the 2-core machine; seconds per million input rows
roughly constant across the three sizes (no worse than linear growth).
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
DATA = HERE / "_data"
FIRST_YEAR, LAST_YEAR = 2022, 2024
TARGET_SECONDS, TARGET_GB = 20.0, 4.0


def data_folder(scale: float, seed: int) -> Path:
    return DATA / f"national_{FIRST_YEAR}_{LAST_YEAR}_scale{scale:g}_seed{seed}"


def ensure_data(scale: float, seed: int) -> Path:
    """Generate the national folder for ``scale`` unless it is already cached (not timed)."""
    out = data_folder(scale, seed)
    if (out / "metadata.json").exists():
        return out
    from ot_benchmark.io.synth import write_folder

    print(f"generating all councils, {FIRST_YEAR}-{(FIRST_YEAR + 1) % 100:02d} to {LAST_YEAR}-{(LAST_YEAR + 1) % 100:02d}, scale {scale:g} into {out} (not timed)", flush=True)
    t0 = time.perf_counter()
    write_folder(out, first_year=FIRST_YEAR, last_year=LAST_YEAR, seed=seed, scale=scale, authorities="all", fmt="parquet")
    print(f"  generated in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


# ---------------------------------------------------------------------------------- child
def _read_bundle(folder: Path):
    """The folder's tables as typed frames (the generator writes contract types already)."""
    import pandas as pd

    from ot_benchmark.io.bundle import DataBundle
    from ot_benchmark.io.contract import TABLES

    meta = json.loads((folder / "metadata.json").read_text())
    tables = {}
    for name in TABLES:
        p = folder / f"{name}.parquet"
        if p.exists():
            tables[name] = pd.read_parquet(p)
    return DataBundle(tables=tables, metadata=meta)


def child(folder: Path, profile: bool, families: list[str] | None) -> None:
    import pandas as pd

    from ot_benchmark.indicators.engine import compute_indicators

    t0 = time.perf_counter()
    bundle = _read_bundle(folder)
    t_load = time.perf_counter() - t0
    rss_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows_in = {k: int(len(v)) for k, v in bundle.tables.items()}
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    load_avg = os.getloadavg()[0]
    t1, c1 = time.perf_counter(), time.process_time()
    table = compute_indicators(bundle, families=families)
    t_compute, c_compute = time.perf_counter() - t1, time.process_time() - c1
    if profile:
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "rows_in": rows_in,
                "rows_out": int(len(table)),
                "councils": int(table["authority_code"].nunique()),
                "periods": len(table.attrs.get("periods", [])),
                "load_seconds": t_load,
                "compute_seconds": t_compute,
                "compute_cpu_seconds": c_compute,
                "load_average_1min": load_avg,
                "peak_rss_kb": rss,
                "rss_after_load_kb": rss_load,
                "pandas": pd.__version__,
            }
        )
    )


# --------------------------------------------------------------------------------- parent
def run_child(folder: Path, profile: bool, families: list[str] | None) -> dict:
    cmd = [sys.executable, __file__, "--child", str(folder)]
    if profile:
        cmd.append("--profile")
    if families:
        cmd += ["--families", *families]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark child failed with exit code {proc.returncode}")
    if profile:
        sys.stderr.write(proc.stderr)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    res["children_maxrss_kb"] = after if after > before else None  # max over children so far
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the compute step (adds overhead)")
    ap.add_argument("--families", nargs="+", help="only these families (W C E K U A O)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--child", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(Path(args.child), args.profile, args.families)
        return 0

    results = []
    for s in args.scales:
        folder = ensure_data(s, args.seed)
        r = run_child(folder, args.profile, args.families)
        r["scale"] = s
        results.append(r)
        n = sum(r["rows_in"].values())
        print(
            f"scale {s:g}: {n:,} rows in ({r['rows_in'].get('referrals', 0):,} referrals, "
            f"{r['rows_in'].get('equipment', 0):,} items) -> {r['rows_out']:,} indicator rows; "
            f"compute {r['compute_seconds']:.1f} s, read {r['load_seconds']:.1f} s, peak {r['peak_rss_kb'] / 2**20:.2f} GB",
            flush=True,
        )

    print()
    print("Full indicator table (compute_indicators), all councils, 12 quarters")
    hdr = (
        f"{'scale':>6} {'rows in':>12} {'referrals':>11} {'items':>11} {'rows out':>9} {'seconds':>8} {'cpu s':>7} "
        f"{'peak GB':>8} {'data GB':>8} {'s per M rows':>13} {'load avg':>9}"
    )
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        n = sum(r["rows_in"].values())
        print(
            f"{r['scale']:>6g} {n:>12,} {r['rows_in'].get('referrals', 0):>11,} {r['rows_in'].get('equipment', 0):>11,} "
            f"{r['rows_out']:>9,} {r['compute_seconds']:>8.2f} {r['compute_cpu_seconds']:>7.2f} {r['peak_rss_kb'] / 2**20:>8.2f} "
            f"{r['rss_after_load_kb'] / 2**20:>8.2f} {r['compute_seconds'] / (n / 1e6):>13.3f} {r['load_average_1min']:>9.2f}"
        )
    big = max(results, key=lambda r: r["scale"])
    if big["scale"] >= 1.0:
        ok_t = big["compute_seconds"] < TARGET_SECONDS
        ok_m = big["peak_rss_kb"] / 2**20 < TARGET_GB
        print(
            f"\nnational (scale {big['scale']:g}): {big['compute_seconds']:.1f} s "
            f"({'meets' if ok_t else 'MISSES'} < {TARGET_SECONDS:g} s), peak {big['peak_rss_kb'] / 2**20:.2f} GB "
            f"({'meets' if ok_m else 'MISSES'} < {TARGET_GB:g} GB; includes the loaded data)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
