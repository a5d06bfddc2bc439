"""``ot-benchmark worklists``: the people and records behind the figures, for the service.

Writes, for one council and quarter, one CSV per list and ``worklists.xlsx`` (a sheet each,
plus ``about``) into ``outputs/_restricted/<period>/<authority>/`` (or ``--out``). The files
hold personal case references: each starts with a RESTRICTED line, is readable by its owner
only, and the report runner never publishes them. See :mod:`ot_benchmark.worklists`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ot_benchmark.worklists import LISTS, MARKER, build_worklists, default_dir, find_similar, parse_similar, write_worklists
from ot_benchmark.worklists.similar import SIMILAR_KEYS

__all__ = ["configure_worklists_parser", "run_worklists"]

EPILOG = """\
Lists (each agrees exactly with the published figure for the same council and quarter):
{lists}

--similar takes comma-separated key=value terms, all of which must hold; where a key takes
several values separate them with |. Keys:
{keys}
Example: --similar "priority=high, waited_over=84, referred=2023-04-01..2023-09-30"

The files hold personal case references. Each starts with the line
  {marker}
and is readable by you only. Keep them out of anything published.
"""


def configure_worklists_parser(p: argparse.ArgumentParser) -> None:
    """Options of ``ot-benchmark worklists``."""
    p.add_argument("--data", required=True, metavar="DIR", help="data folder (extracts + optional metadata.json)")
    p.add_argument("--authority", required=True, metavar="CODE", help="ONS code of the council, e.g. E10000017")
    p.add_argument("--period", default="latest", metavar="PERIOD",
                   help='quarter whose last day is the snapshot, e.g. "2024-25 Q4" (default: latest in the data)')
    p.add_argument("--out", metavar="DIR", help="folder to write to (default outputs/_restricted/<period>/<authority>/)")
    p.add_argument("--outputs", default="outputs", metavar="DIR", help="the outputs folder the default --out is under")
    p.add_argument("--settings", metavar="FILE", help="settings TOML (default: the data folder's settings.toml, else defaults)")
    p.add_argument("--similar", metavar="CRITERIA",
                   help='also list people on the waiting list matching CRITERIA, e.g. "priority=high, waited_over=84"')
    p.epilog = EPILOG.format(
        lists="\n".join(f"  {name}.csv  ({agrees})" for name, (_who, agrees) in LISTS.items()),
        keys="\n".join(f"  {k:<13} {v}" for k, v in SIMILAR_KEYS.items()),
        marker=MARKER,
    )


def run_worklists(args) -> int:
    """Build and write the worklists; print what was written."""
    criteria = None
    if args.similar is not None:
        criteria = parse_similar(args.similar)  # a bad key stops before any data are read
    wl = build_worklists(Path(args.data), args.authority, args.period, settings=args.settings)
    similar = None
    if criteria is not None:
        similar = find_similar(wl.waiting, criteria)
    out = Path(args.out) if args.out else default_dir(args.outputs, wl.period, wl.authority)
    paths = write_worklists(wl, out, similar=similar, similar_criteria=args.similar or "")
    print(f"Worklists for {wl.authority}, snapshot {wl.snapshot:%Y-%m-%d} ({wl.period}):")
    for name, df in wl.lists.items():
        note = f"  [{wl.notes[name]}]" if name in wl.notes else ""
        print(f"  {name:<28} {len(df):>6} rows   = {LISTS[name][1]}{note}")
    if similar is not None:
        print(f"  {'similar_cases':<28} {len(similar):>6} rows   matching: {args.similar}")
    print(f"written to {paths['workbook'].parent} (CSV per list + {paths['workbook'].name}), readable by you only.")
    print(f"These files hold personal case references: {MARKER}.")
    if wl.banner:
        print(wl.banner)
    return 0
