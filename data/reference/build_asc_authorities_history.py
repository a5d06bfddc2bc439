"""Build ``asc_authorities_history.csv``: every English council with adult social services
responsibilities at any time from 1 April 2015 (financial year 2015-16) on, with the dates each
existed and its predecessors and successors.

Made from the two council lists in this folder (``asc_authorities_2021_23.csv``,
``asc_authorities_2025.csv``) plus the five councils abolished between 2019 and 2021, whose codes
are those of the 2014-15 finance return (``ascfr_2014_15_equipment_and_total_long.csv``) and
whose DfE codes are in the ``pre_reorganisation`` section of ``dfe_sn_2025_long.csv``. The dates
and successors are those of the structural change orders (statutory instruments) listed in
``ORDERS`` below; see ``PROVENANCE.md``.

Run from the project folder: ``.venv/bin/python data/reference/build_asc_authorities_history.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
LIST_STARTS = "2015-04-01"  # the history covers financial years from 2015-16

#: Structural change orders: SI number -> (title, the day the new councils took over).
ORDERS = {
    "SI 2018/648": ("The Bournemouth, Dorset and Poole (Structural Changes) Order 2018", "2019-04-01"),
    "SI 2019/957": ("The Buckinghamshire (Structural Changes) Order 2019", "2020-04-01"),
    "SI 2020/156": ("The Northamptonshire (Structural Changes) Order 2020", "2021-04-01"),
    "SI 2022/331": ("The Cumbria (Structural Changes) Order 2022", "2023-04-01"),
    "SI 2022/328": ("The North Yorkshire (Structural Changes) Order 2022", "2023-04-01"),
    "SI 2022/329": ("The Somerset (Structural Changes) Order 2022", "2023-04-01"),
}

#: Councils abolished before the 2021-23 list was made (2014-15 geography codes).
ABOLISHED_EARLY = [
    # ons_code, name, official_name, la_type, region, dfe_la_code
    ("E06000028", "Bournemouth", "Bournemouth Borough Council", "UA", "South West", "837"),
    ("E06000029", "Poole", "Poole Borough Council", "UA", "South West", "836"),
    ("E10000009", "Dorset County", "Dorset County Council", "CTY", "South West", "835"),
    ("E10000002", "Buckinghamshire County", "Buckinghamshire County Council", "CTY", "South East", "825"),
    ("E10000021", "Northamptonshire", "Northamptonshire County Council", "CTY", "East Midlands", "928"),
]

#: order -> (abolished councils, new councils, {new: its predecessors})
CHANGES = {
    "SI 2018/648": (["E06000028", "E06000029", "E10000009"], ["E06000058", "E06000059"],
                    # Christchurch (a district of Dorset County) went to BCP
                    {"E06000058": ["E06000028", "E06000029", "E10000009"], "E06000059": ["E10000009"]}),
    "SI 2019/957": (["E10000002"], ["E06000060"], {"E06000060": ["E10000002"]}),
    "SI 2020/156": (["E10000021"], ["E06000061", "E06000062"],
                    {"E06000061": ["E10000021"], "E06000062": ["E10000021"]}),
    "SI 2022/331": (["E10000006"], ["E06000063", "E06000064"],
                    {"E06000063": ["E10000006"], "E06000064": ["E10000006"]}),
    "SI 2022/328": (["E10000023"], ["E06000065"], {"E06000065": ["E10000023"]}),
    "SI 2022/329": (["E10000027"], ["E06000066"], {"E06000066": ["E10000027"]}),
}

COLUMNS = ["ons_code", "name", "official_name", "la_type", "region", "dfe_la_code", "existed_from", "existed_to",
           "predecessor_codes", "successor_codes", "change_order"]


def build() -> pd.DataFrame:
    new = pd.read_csv(HERE / "asc_authorities_2025.csv", dtype=str)
    old = pd.read_csv(HERE / "asc_authorities_2021_23.csv", dtype=str)
    base = pd.concat([new, old[~old["ons_code"].isin(new["ons_code"])]], ignore_index=True)
    base = base[["ons_code", "name", "official_name", "la_type", "region", "dfe_la_code"]]
    early = pd.DataFrame(ABOLISHED_EARLY, columns=base.columns)
    out = pd.concat([base, early], ignore_index=True)
    out["existed_from"] = ""
    out["existed_to"] = ""
    out["predecessor_codes"] = ""
    out["successor_codes"] = ""
    out["change_order"] = ""
    idx = out.set_index("ons_code").index
    for order, (gone, created, preds) in CHANGES.items():
        day = pd.Timestamp(ORDERS[order][1])
        for code in gone:
            i = idx.get_loc(code)
            out.loc[i, "existed_to"] = str((day - pd.Timedelta(days=1)).date())
            out.loc[i, "successor_codes"] = ";".join(c for c in created if code in preds[c])
            out.loc[i, "change_order"] = order
        for code in created:
            i = idx.get_loc(code)
            out.loc[i, "existed_from"] = str(day.date())
            out.loc[i, "predecessor_codes"] = ";".join(preds[code])
            out.loc[i, "change_order"] = order
    return out[COLUMNS].sort_values("ons_code", kind="stable").reset_index(drop=True)


def check(df: pd.DataFrame) -> None:
    """Every financial year from 2015-16: 152 councils until 2018-19, 151 in 2019-20 and
    2020-21, 152 in 2021-22 and 2022-23, 153 from 2023-24."""
    expected = {2015: 152, 2016: 152, 2017: 152, 2018: 152, 2019: 151, 2020: 151, 2021: 152, 2022: 152,
                2023: 153, 2024: 153}
    start = pd.to_datetime(df["existed_from"].replace("", LIST_STARTS))
    end = pd.to_datetime(df["existed_to"].replace("", "2100-01-01"))
    for year, n in expected.items():
        day = pd.Timestamp(f"{year}-04-01")
        got = int(((start <= day) & (end >= day)).sum())
        assert got == n, (year, got, n)
    assert df["ons_code"].is_unique


if __name__ == "__main__":
    table = build()
    check(table)
    table.to_csv(HERE / "asc_authorities_history.csv", index=False)
    print(f"wrote {len(table)} councils to {HERE / 'asc_authorities_history.csv'}")
