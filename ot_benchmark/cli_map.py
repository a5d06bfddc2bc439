"""``ot-benchmark map DATA_DIR``: draft a mapping of a council's own export onto the data contract.

The guessing is :mod:`ot_benchmark.io.draft`; this module is only the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ot_benchmark.errors import ParameterError
from ot_benchmark.io.draft import draft_mapping, render_draft
from ot_benchmark.io.mapping import MAPPING_FILE_NAME

__all__ = ["configure_map_parser", "run_map"]


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
