"""The data-folder commands: ``ot-benchmark validate`` and ``ot-benchmark synth``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from ot_benchmark.errors import ParameterError
from ot_benchmark.io.bundle import REJECT_COLUMNS, SYNTHETIC_BANNER
from ot_benchmark.io.draft import draft_mapping, render_draft
from ot_benchmark.io.mapping import MAPPING_FILE_NAME
from ot_benchmark.io.validate import validate_folder

__all__ = ["configure_validate_parser", "run_validate", "configure_synth_parser", "run_synth"]


# --------------------------------------------------------------------------------------------
# validate


def configure_validate_parser(p: argparse.ArgumentParser) -> None:
    """Options of ``ot-benchmark validate``."""
    p.add_argument("data_dir", metavar="DATA_DIR", help="the data folder (referrals.csv and the other extracts)")
    p.add_argument("--rejects", metavar="FILE.csv",
                   help="write every rejected row (table, file, row, column, value, reason) to this CSV. "
                        "Without it nothing is written; the first problems are printed.")
    p.add_argument("--today", metavar="YYYY-MM-DD",
                   help="treat dates after this day as in the future (default: today's date)")
    p.add_argument("--extra-codes", metavar="CODE", nargs="+", default=(),
                   help="authority codes to accept besides the councils in the reference data")
    p.add_argument("--show", metavar="N", type=int, default=20, help="how many problems to print (default 20)")
    p.epilog = ("Exit status: 0 when the folder can be used (rejected rows are listed, not fatal); "
                "2 when it cannot (missing file or column, unreadable file, or a file none of whose rows "
                "was accepted). "
                "Every file is checked in one run.")


def run_validate(args) -> int:
    """``ot-benchmark validate``: print the validation report; write the rejects if asked."""
    today = None
    if args.today:
        try:
            today = pd.Timestamp(args.today)
        except ValueError:
            raise ParameterError(f"--today {args.today!r} is not a date; write it as YYYY-MM-DD") from None
    report = validate_folder(args.data_dir, today=today, extra_codes=args.extra_codes, raise_fatal=False)
    print(report.to_text(max_rejects=args.show))
    if args.rejects:
        out = Path(args.rejects)
        out.parent.mkdir(parents=True, exist_ok=True)
        report.rejects[REJECT_COLUMNS].to_csv(out, index=False, encoding="utf-8")
        print(f"\nWrote {len(report.rejects)} problem(s) to {out}")
    elif len(report.rejects):
        print("\nRun again with --rejects FILE.csv to write them all to a file.")
    sys.stdout.flush()
    empty = report.summary[(report.summary["rows_read"] > 0) & (report.summary["rows_accepted"] == 0)]
    if not report.usable or len(empty):  # a file none of whose rows was accepted: something systematic
        why = [f"{len(report.fatal)} fatal problem(s)"] if report.fatal else []
        why += [f"no accepted rows in {t}" for t in report.empty_required]
        why += [f"none of the {r.rows_read} rows of {r.file} was accepted" for r in empty.itertuples(index=False)
                if r.table not in report.empty_required]
        print(f"error: the folder cannot be used: {'; '.join(why)} (listed above).", file=sys.stderr)
        return 2
    return 0


# --------------------------------------------------------------------------------------------
# synth


def configure_synth_parser(p: argparse.ArgumentParser) -> None:
    """Options of ``ot-benchmark synth``."""
    p.add_argument("--out", required=True, help="folder to write (created if missing)")
    p.add_argument("--home", default="E10000017", help="ONS code of the home council (default Lancashire E10000017)")
    p.add_argument("--group", default="cipfa", help="comparator scheme: cipfa, dfe, or a CSV of authority,neighbour")
    p.add_argument("--first-year", default="2022-23", help="first financial year, e.g. 2022-23")
    p.add_argument("--last-year", default="2024-25", help="last financial year, e.g. 2024-25")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same data)")
    p.add_argument("--scale", type=float, default=1.0, help="multiplies all volumes (1 = full size)")
    p.add_argument("--authorities", default=None,
                   help="'all' (153 councils, 2025 list), 'all_2021_23' (152), or comma-separated codes "
                        "instead of the home council's group")
    p.add_argument("--format", dest="fmt", choices=("parquet", "csv"), default="parquet",
                   help="file format of the tables (default parquet; csv has ISO dates and Y/N)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--local-indicators", action="store_true",
                   help="also write a council's own indicator (L1_phone_24h) as returns, with its catalogue "
                        "local_indicators.csv (name it in the settings: local_catalogue = \"local_indicators.csv\")")


def run_synth(args) -> int:
    """``ot-benchmark synth``: write the synthetic folder; say what was written."""
    # imported here: the generator brings scipy.stats, which no other command's process needs
    from ot_benchmark.io.synth import write_folder  # noqa: PLC0415

    t0 = time.perf_counter()
    meta = write_folder(args.out, home=args.home, group=args.group, first_year=args.first_year,
                        last_year=args.last_year, seed=args.seed, scale=args.scale,
                        authorities=args.authorities, fmt=args.fmt, progress=not args.quiet,
                        local_indicators=args.local_indicators)
    dt = time.perf_counter() - t0
    print(f"{SYNTHETIC_BANNER}.")
    print(f"Wrote {args.out}: " + ", ".join(f"{k} {v:,}" for k, v in meta["rows"].items()) + f" ({dt:.1f} s)")
    return 0


# --------------------------------------------------------------------------------------------
# map


def configure_map_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("data_dir", metavar="DATA_DIR", help="the folder holding the council's export files")
    p.add_argument("--out", metavar="FILE",
                   help=f"where to write the draft (default DATA_DIR/{MAPPING_FILE_NAME}; '-' prints it)")
    p.add_argument("--force", action="store_true", help="overwrite the file if it exists")
    p.epilog = ("Reads every file's header and the distinct values of its columns and writes a mapping with its best "
                "guesses; every uncertain guess is marked CHECK. Edit it, name it in the folder's settings.toml "
                f"(mapping = \"{MAPPING_FILE_NAME}\"), then run: ot-benchmark validate DATA_DIR. "
                "See docs/data_contract.md, 'Mapping your export'.")


def run_map(args) -> int:
    data_dir = Path(args.data_dir)
    out = Path(args.out) if args.out and args.out != "-" else data_dir / MAPPING_FILE_NAME
    if args.out != "-" and out.exists() and not args.force:
        raise ParameterError(f"{out} exists (perhaps your edited mapping); not overwritten. Write the draft elsewhere "
                             f"with --out FILE (e.g. --out {data_dir / 'mapping.draft.toml'}), or pass --force.")
    draft = draft_mapping(data_dir)
    text = render_draft(draft)
    if args.out == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"Wrote a draft mapping to {out}")
    for t in draft.tables.values():
        n = sum(1 for g in t.columns if g.export)
        check = sum(1 for g in t.columns if g.export and not g.sure)
        codes = sum(1 for vs in t.values.values() for v in vs if not v.as_is)
        print(f"  {t.table}: {t.path.name} (header on row {t.header_row}): {n} column(s) matched, {check} to check; "
              f"{codes} code(s) mapped or to decide")
    for name, why in draft.unmatched:
        print(f"  not matched: {name}: {why}")
    for p in draft.problems:
        print(f"  not read: {p}")
    in_folder = out.resolve().parent == data_dir.resolve()
    name = out.name if in_folder else MAPPING_FILE_NAME
    step = "edit it" if in_folder else f"edit it and save it as {data_dir / MAPPING_FILE_NAME}"
    print(f"{draft.n_checks} line(s) marked CHECK. Next: {step}, add  mapping = \"{name}\"  at the top of "
          f"{data_dir / 'settings.toml'}, then run  ot-benchmark validate {data_dir}")
    return 0
