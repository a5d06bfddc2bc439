"""How long do reports take? (a measurement, not a test)

Targets (issue 15): one quarterly report from a warm cache in at most 8 s; every council in
England (153) rendered in at most 10 minutes on the 2-core machine.

    .venv/bin/python benchmarks/bench_reports.py                 # sample report, sample batch, national batch of 30
    .venv/bin/python benchmarks/bench_reports.py --national 0    # the sample only
    .venv/bin/python benchmarks/bench_reports.py --skip-batch    # the one report only (median of --repeat 5)
    .venv/bin/python benchmarks/bench_reports.py --national-only # the national batches only (the England estimate)

Runs the ``ot-benchmark`` command as a user would (a fresh process each time, so interpreter
start-up, imports and the kernel's start are counted), publishing into ``benchmarks/_data/``
(git-ignored) so the real ``outputs/`` is left alone. Wall seconds and CPU seconds of the whole
process tree (``resource.getrusage(RUSAGE_CHILDREN)`` around each command: the runner, its worker
processes and their kernels) are reported with the 1-minute load average. Then every council in
England is extrapolated from two national batches (a third of ``--national`` councils, and
``--national``): a batch costs a fixed part (each worker's first council starts a kernel and
imports everything) and a part per council, so

    per council = (CPU(big batch) - CPU(small batch)) / (difference in councils)
    fixed       = CPU(small batch) - councils x per council
    England     = (fixed + 153 x per council) / 2 cores

Writes ``benchmarks/_data/bench_reports.json`` (read by ``bench_duckdb.py`` and ``make benchmark``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "_data"
sys.path.insert(0, str(ROOT / "benchmarks"))

REPORT_TARGET_S = 8
ENGLAND_TARGET_S = 600
ENGLAND_COUNCILS = 153
CORES = 2


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("ot-benchmark")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ot_benchmark.cli"]


def _timed(cmd: list[str]) -> dict:
    """Wall and CPU seconds (the whole process tree) of one command, and the load average."""
    load = os.getloadavg()[0]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
    return {"ok": proc.returncode == 0, "wall": round(wall, 1),
            "cpu": round((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), 1),
            "load": round(max(load, os.getloadavg()[0]), 2), "stderr": proc.stderr, "stdout": proc.stdout}


def _published_timings(outputs: Path) -> list[dict]:
    return [json.loads(p.read_text())["timings_s"] for p in sorted(outputs.glob("*/*/run.json"))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "sample"))
    ap.add_argument("--authority", default="E10000017")
    ap.add_argument("--jobs", type=int, default=CORES)
    ap.add_argument("--national", type=int, default=30, help="councils in the national batch (0: none)")
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument("--national-only", action="store_true", help="only the national batches (the England estimate)")
    ap.add_argument("--repeat", type=int, default=5, help="runs of the one report (the median is reported)")
    args = ap.parse_args(argv)

    from ot_benchmark.indicators import cache

    res: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                             "platform": platform.platform()},
                 "when": time.strftime("%Y-%m-%d %H:%M")}
    lines: list[str] = []
    outputs = OUT / "report_outputs"
    shutil.rmtree(outputs, ignore_errors=True)

    # 1. one quarterly report, the cache warm (the first run fills it); the median of --repeat runs
    # (one run on this shared 2-core machine varies by +-15%)
    if not args.national_only:
        cache.load_indicators(args.data)
        report = _cli() + ["report", "--data", args.data, "--authority", args.authority, "--outputs", str(outputs)]
        _timed(report)  # warm: indicator table, case-id index, the notebook's parameters
        repeats = []
        for _ in range(args.repeat):
            r = _timed(report)
            r["timings_s"] = _published_timings(outputs)[0] if r["ok"] else None
            repeats.append({k: v for k, v in r.items() if k not in ("stderr", "stdout")})
        one = sorted(repeats, key=lambda r: r["wall"])[len(repeats) // 2]  # the median run
        res["report"] = {**one, "runs": repeats}
        ok = all(r["ok"] for r in repeats) and one["wall"] <= REPORT_TARGET_S
        walls = ", ".join(str(r["wall"]) for r in repeats)
        lines.append(f"one quarterly report (sample, warm), median of {len(repeats)}: {one['wall']} s wall, {one['cpu']} CPU s, "
                     f"load {one['load']} (runs: {walls} s; target <= {REPORT_TARGET_S} s: {'met' if ok else 'MISSED'})")

    if not args.skip_batch:
        if not args.national_only:
            # 2. every council of the sample
            shutil.rmtree(outputs, ignore_errors=True)
            b = _timed(_cli() + ["batch", "--data", args.data, "--jobs", str(args.jobs), "--outputs", str(outputs)])
            n = len(list(outputs.glob("*/*/run.json")))
            res["sample_batch"] = {**{k: v for k, v in b.items() if k not in ("stderr", "stdout")}, "councils": n}
            lines.append(f"sample batch, {n} councils, --jobs {args.jobs}: {b['wall']} s wall, {b['cpu']} CPU s, "
                         f"load {b['load']}")

        # 3. councils of the national folder
        if args.national:
            from bench_indicators import ensure_data

            folder = ensure_data(1.0, 2025)
            t = time.perf_counter()
            table = cache.load_indicators(folder)
            res["national_table_s"] = round(time.perf_counter() - t, 1)
            period = sorted(table["period"].unique())[-1]
            codes = sorted(table.loc[table["period"] == period, "authority_code"].unique())[: args.national]
            shutil.rmtree(outputs, ignore_errors=True)
            # a warm-up council: the national case-id index is built once per data fingerprint
            _timed(_cli() + ["report", "--data", str(folder), "--authority", codes[0], "--outputs", str(outputs)])
            runs = {}
            for k in (max(args.national // 3, 2), args.national):  # two sizes: fixed part and part per council
                shutil.rmtree(outputs, ignore_errors=True)
                r = _timed(_cli() + ["batch", "--data", str(folder), "--jobs", str(args.jobs), "--outputs",
                                     str(outputs), "--authorities", *codes[:k]])
                r["councils"] = len(list(outputs.glob("*/*/run.json")))
                runs[k] = {key: v for key, v in r.items() if key not in ("stderr", "stdout")}
            (k1, r1), (k2, r2) = sorted(runs.items())
            per_cpu = (r2["cpu"] - r1["cpu"]) / (k2 - k1)
            fixed_cpu = max(r1["cpu"] - k1 * per_cpu, 0.0)
            england = (fixed_cpu + ENGLAND_COUNCILS * per_cpu) / CORES
            res["national_batches"] = runs
            res["national_estimate"] = {"cpu_per_council_s": round(per_cpu, 2), "fixed_cpu_s": round(fixed_cpu, 1),
                                        "england_councils": ENGLAND_COUNCILS, "cores": CORES,
                                        "england_s": round(england)}
            for k, r in sorted(runs.items()):
                lines.append(f"national batch (scale 1), {r['councils']} councils, --jobs {args.jobs}: {r['wall']} s wall, "
                             f"{r['cpu']} CPU s, load {r['load']}")
            lines.append(f"per council ({k2} - {k1} councils): ({r2['cpu']} - {r1['cpu']}) / {k2 - k1} = {per_cpu:.2f} CPU s; "
                         f"fixed {fixed_cpu:.1f} CPU s")
            lines.append(f"every council in England: ({fixed_cpu:.0f} + {ENGLAND_COUNCILS} x {per_cpu:.2f}) CPU s / {CORES} cores "
                         f"= {england:.0f} s = {england / 60:.1f} min (target <= {ENGLAND_TARGET_S / 60:.0f} min: "
                         f"{'met' if england <= ENGLAND_TARGET_S else 'MISSED'})")

    res["summary_lines"] = lines
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_reports.json").write_text(json.dumps(res, indent=2), encoding="utf-8")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
