"""Hand-made inputs for the runner tests: a tiny data folder and its indicator table.

The runner mechanics are tested with ``tests/notebooks/tiny_report.ipynb`` and an indicator table
seeded into the cache (``cache.store_indicators``), so they depend neither on the indicator engine
nor on the report notebooks.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ot_benchmark.indicators import cache

TINY_NOTEBOOK = Path(__file__).parent / "notebooks" / "tiny_report.ipynb"
HOME = "E10000017"  # Lancashire
OTHER = "E10000012"  # Essex, one of Lancashire's CIPFA neighbours
CASE_IDS = ["R000123", "R000456", "R000789"]
BANNER = "Synthetic demonstration data — not real council performance"

COLUMNS = ["authority_code", "period", "indicator_id", "breakdown", "numerator", "denominator", "value",
           "unit", "lower_95", "upper_95", "lower_998", "upper_998", "ci_method", "source"]


def write_data_folder(folder: Path, *, synthetic: bool = True) -> Path:
    """A data folder with a referrals file holding :data:`CASE_IDS` (the only thing the runner reads
    from it directly besides metadata.json; the indicator table is seeded in the cache)."""
    folder.mkdir(parents=True, exist_ok=True)
    referrals = pd.DataFrame({
        "referral_id": CASE_IDS,
        "authority_code": [HOME, HOME, OTHER],
        "referral_date": ["2024-04-03", "2024-05-10", "2024-06-01"],
        "priority": ["high", "urgent", "low"],
        "allocated_date": ["2024-04-20", "", ""],
        "first_assessment_date": ["2024-05-01", "", ""],
        "review_start_date": ["", "", ""],
        "closure_date": ["2024-06-14", "", ""],
        "closure_reason": ["assessed_and_closed", "", ""],
    })
    referrals.to_csv(folder / "referrals.csv", index=False)
    meta = {"synthetic": synthetic, "home_authority": HOME}
    if synthetic:
        meta["banner"] = BANNER
    (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def indicator_table() -> pd.DataFrame:
    """Two councils x two quarters. W5 by priority: Lancashire 2024-25 Q4 has 3 of 5 urgent
    referrals assessed in time (a small count, so published outputs show [c])."""
    rows = []
    for auth in (HOME, OTHER):
        for period in ("2024-25 Q3", "2024-25 Q4"):
            rows.append([auth, period, "W1", "all", 120.0, np.nan, 120.0, "people"] + [np.nan] * 4 + ["none", "case_level"])
            small = 3.0 if (auth, period) == (HOME, "2024-25 Q4") else 30.0
            parts = [("priority:urgent", small, 5.0 if small == 3.0 else 40.0),
                     ("priority:high", 50.0, 60.0)]
            num = sum(p[1] for p in parts)
            den = sum(p[2] for p in parts)
            for br, n, d in [("all", num, den)] + parts:
                rows.append([auth, period, "W5", br, n, d, 100 * n / d, "%", np.nan, np.nan, np.nan, np.nan,
                             "wilson", "case_level"])
    t = pd.DataFrame(rows, columns=COLUMNS)
    return t


def seed(data_dir: Path, cache_dir: Path) -> pd.DataFrame:
    """Store :func:`indicator_table` in the cache under ``data_dir``'s key; returns the table."""
    table = indicator_table()
    cache.store_indicators(table, data_dir, None, cache_dir)
    return table
