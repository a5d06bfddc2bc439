"""How long do reports take? (a measurement, not a test)

Targets (issue): one quarterly report from a warm cache in under 30 s wall; a batch of all the
sample's councils (16) in under 5 minutes on a 2-core machine.

    .venv/bin/python benchmarks/bench_reports.py [--data data/sample] [--jobs 2] [--skip-batch]

Runs the ``ot-benchmark`` command as a user would (a fresh process each time, so interpreter
start-up and imports are counted), publishing into ``benchmarks/_data/outputs`` (git-ignored) so
the real ``outputs/`` is left alone. Prints a table and writes ``benchmarks/_data/bench_reports.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "_data"
REPORT_TARGET_S = 30
BATCH_TARGET_S = 300


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("ot-benchmark")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ot_benchmark.cli"]


def _timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    return time.perf_counter() - t, proc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "sample"))
    ap.add_argument("--authority", default="E10000017")
    ap.add_argument("--period", default="latest")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--skip-batch", action="store_true")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from ot_benchmark.indicators import cache

    outputs = OUT / "outputs"
    shutil.rmtree(outputs, ignore_errors=True)
    outputs.mkdir(parents=True)
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                 "platform": platform.platform()}}

    # 1. the indicator table: cold (computed) then warm (read from the cache)
    path = cache.cached_indicators_path(args.data)
    was_cached = path.is_file()
    t = time.perf_counter()
    table = cache.load_indicators(args.data)
    results["indicators_first_load_s"] = round(time.perf_counter() - t, 2)
    results["indicators_were_cached"] = was_cached
    results["indicator_rows"] = int(len(table))
    t = time.perf_counter()
    cache.load_indicators(args.data)
    results["indicators_warm_load_s"] = round(time.perf_counter() - t, 2)

    # 2. one quarterly report from the warm cache
    secs, proc = _timed(_cli() + ["report", "--data", args.data, "--authority", args.authority,
                                  "--period", args.period, "--outputs", str(outputs)])
    results["report_s"] = round(secs, 1)
    results["report_ok"] = proc.returncode == 0
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
    else:
        run = json.loads((Path(proc.stdout.strip().splitlines()[-1]).parent / "run.json").read_text())
        results["report_timings_s"] = run["timings_s"]

    # 3. a batch of every council in the quarter
    if not args.skip_batch:
        secs, proc = _timed(_cli() + ["batch", "--data", args.data, "--period", args.period,
                                      "--jobs", str(args.jobs), "--outputs", str(outputs)])
        results["batch_s"] = round(secs, 1)
        results["batch_jobs"] = args.jobs
        results["batch_ok"] = proc.returncode == 0
        results["batch_published"] = len(list(outputs.glob("*/*/run.json")))
        results["batch_summary"] = [line for line in proc.stderr.splitlines() if "reports published" in line or line.startswith("  ")]

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_reports.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"indicator table: first load {results['indicators_first_load_s']} s "
          f"({'cached' if was_cached else 'computed'}), warm load {results['indicators_warm_load_s']} s, "
          f"{results['indicator_rows']} rows")
    ok_r = results["report_ok"] and results["report_s"] < REPORT_TARGET_S
    print(f"one report (warm cache): {results['report_s']} s  target < {REPORT_TARGET_S} s  "
          f"{'OK' if ok_r else 'MISSED' if results['report_ok'] else 'FAILED'}")
    ok_b = True
    if not args.skip_batch:
        ok_b = results["batch_ok"] and results["batch_s"] < BATCH_TARGET_S
        print(f"batch of {results['batch_published']} councils, --jobs {args.jobs}: {results['batch_s']} s  "
              f"target < {BATCH_TARGET_S} s  {'OK' if ok_b else 'MISSED' if results['batch_ok'] else 'FAILED'}")
        for line in results["batch_summary"]:
            print("   ", line)
    return 0 if (ok_r and ok_b) else 1


if __name__ == "__main__":
    sys.exit(main())
