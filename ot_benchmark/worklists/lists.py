"""The people and records behind the benchmark: one worklist per indicator that counts them.

Each list is selected by **the same function the indicator engine counts with**, so a list's
length is the published figure for the same council and quarter:

==============================  =================================================  ===================================
list                            who                                                 agrees with
==============================  =================================================  ===================================
``keep_in_touch_overdue``       waiting more than 182 days at the snapshot with no  W7 denominator − numerator
                                contact in the 182 days up to it
``past_target``                 waiting longer than their priority's target          W9 numerator
``equipment_delivery_overdue``  items not delivered more than 7 working days after   E1_overdue
                                their clock start (E1's)
``collections_overdue``         collections requested, not done, more than the E5    E5_overdue
                                standard (10 working days) after the request
``long_vacant_posts``           posts vacant six months or more                     C5_6m numerator
``complaints_overdue``          complaints not responded to by their timescale;     K3_overdue; K5 denominator −
                                Ombudsman recommendations (decisions in the          numerator (recommendations)
                                quarter) not complied with
==============================  =================================================  ===================================

(rules: :func:`ot_benchmark.indicators.waiting.waiting_at`, ``past_target``,
``contacted_within``; :func:`ot_benchmark.indicators.equipment.overdue_spans`;
:func:`ot_benchmark.indicators.caseload.vacant_at`;
:func:`ot_benchmark.indicators.complaints.response_deadline`, ``ombudsman_recommendations``.)

Every row has the record's own id, its team and priority where the data have them (equipment
items through their referral), the dates that matter and how long it is overdue —
``days_overdue`` in calendar days, ``working_days_overdue`` where the standard is in working
days (the package's :class:`~ot_benchmark.workdays.WorkingCalendar`, with the council's closure
days) — most overdue first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ot_benchmark.errors import ParameterError
from ot_benchmark.indicators import caseload, complaints as kfam, equipment as efam, waiting
from ot_benchmark.indicators._common import IndicatorContext
from ot_benchmark.indicators._flow import dates_of, day_index, first_day_over, open_at, snapshot_index
from ot_benchmark.indicators._flow import working_days as _wd
from ot_benchmark.io.bundle import DataBundle
from ot_benchmark.periods import Period, parse_period
from ot_benchmark.settings import Settings, load_settings, settings_path_for

__all__ = ["LISTS", "Worklists", "build_worklists", "waiting_people", "WAITING_COLUMNS"]

#: list name -> (what it holds, the published figure its length equals)
LISTS = {
    "keep_in_touch_overdue": ("People waiting more than {k} days at the snapshot with no keep-in-touch contact in the "
                              "{k} days up to it", "W7 denominator minus numerator"),
    "past_target": ("People waiting at the snapshot longer than their priority's target", "W9 numerator"),
    "equipment_delivery_overdue": ("Equipment items not delivered at the snapshot more than {e1} working days after their "
                                   "clock start ({clock})", "E1_overdue"),
    "collections_overdue": ("Collections requested and not done at the snapshot more than {e5} working days after the "
                            "request", "E5_overdue"),
    "long_vacant_posts": ("Posts vacant {m6} months or more at the snapshot", "C5_6m numerator"),
    "complaints_overdue": ("Complaints not responded to by their timescale at the snapshot; Ombudsman recommendations "
                           "(decisions in the quarter) not complied with", "K3_overdue (responses); K5 denominator "
                           "minus numerator (recommendations outstanding)"),
}

#: the columns of the waiting-list lists (past_target, and the similar-case finder)
WAITING_COLUMNS = ["referral_id", "team", "priority", "age_band", "referral_date", "days_waited", "target_days",
                   "target_date", "days_overdue", "past_target", "last_contact_date"]


@dataclass
class Worklists:
    """The worklists of one council at one quarter's snapshot."""

    authority: str
    period: str
    snapshot: pd.Timestamp
    lists: dict[str, pd.DataFrame]
    notes: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    banner: str | None = None
    settings_source: str = ""
    #: everyone on the waiting list at the snapshot (WAITING_COLUMNS), for the similar-case finder
    waiting: pd.DataFrame | None = None

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.lists.items()}

    def about(self) -> pd.DataFrame:
        """One row per list: its name, rows, what it holds, the figure it agrees with, notes."""
        return pd.DataFrame({
            "list": list(self.lists),
            "rows": [len(v) for v in self.lists.values()],
            "who": [self.descriptions.get(k, "") for k in self.lists],
            "agrees_with": [LISTS[k][1] if k in LISTS else "" for k in self.lists],
            "note": [self.notes.get(k, "") for k in self.lists],
        })


def _bundle(data) -> DataBundle:
    if isinstance(data, DataBundle):
        return data
    from ot_benchmark.io.validate import load_data

    return load_data(Path(data))


def _only(bundle: DataBundle, authority: str) -> DataBundle:
    """The council's own rows of every case-level table (contacts: of its referrals)."""
    tables = {}
    for name, df in bundle.tables.items():
        if name in ("returns", "finance"):
            continue
        if "authority_code" in df:
            tables[name] = df[df["authority_code"] == authority].reset_index(drop=True)
    ref = tables.get("referrals")
    con = bundle.get("contacts")
    if con is not None and ref is not None:
        tables["contacts"] = con[con["referral_id"].isin(ref["referral_id"])].reset_index(drop=True)
    return DataBundle(tables=tables, metadata=bundle.metadata, source_dir=bundle.source_dir)


def _resolve_period(period, bundle: DataBundle) -> Period:
    from ot_benchmark.indicators.engine import covered_periods

    if period in (None, "", "latest"):
        return covered_periods(bundle)[-1]
    return parse_period(period)


def _day(ix: np.ndarray) -> np.ndarray:
    return dates_of(ix)


def _sorted(df: pd.DataFrame, by: str, id_col: str) -> pd.DataFrame:
    return df.sort_values([by, id_col], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def _names(codes: np.ndarray, names: list[str]) -> np.ndarray:
    lut = np.asarray(list(names) + [None], dtype=object)
    return lut[np.where(codes < 0, len(names), codes)]


def waiting_people(d: waiting.PreparedReferrals, ref: pd.DataFrame, snapshot: pd.Timestamp, settings,
                   contacts: waiting.PreparedContacts | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Everyone on the list at the snapshot (:func:`waiting.waiting_at`) with the columns of
    :data:`WAITING_COLUMNS` (``days_overdue`` = days past the priority's target, negative: days
    still to go; ``past_target`` = W9's flag, yes/no). Returns the frame, the referral rows and
    W9's past-target flags."""
    s = waiting.day_number(snapshot)
    rows = waiting.waiting_at(d, s)
    wait = (s - d.ref[rows]).astype("float64")
    targets = waiting.priority_target_days(d.levels, settings)
    tgt, has, past = waiting.past_target(d, rows, wait, targets)
    last = np.full(len(d.a), -1, dtype="int64")
    if contacts is not None:
        m = contacts.day <= s
        np.maximum.at(last, contacts.pos[m], contacts.day[m])
    lc = last[rows]
    ref_days = d.ref[rows]
    age = ref["age_band"].to_numpy(dtype=object)[rows] if "age_band" in ref else np.full(len(rows), None, dtype=object)
    out = pd.DataFrame({
        "referral_id": d.referral_id.to_numpy(dtype=object)[rows],
        "team": _names(d.tm[rows], d.teams),
        "priority": _names(d.pr[rows], d.levels),
        "age_band": age,
        "referral_date": waiting._to_dt(ref_days),
        "days_waited": wait.astype("int64"),
        "target_days": tgt,
        "target_date": waiting._to_dt(np.where(has, ref_days + np.where(has, tgt, 0).astype("int64"), waiting.NEVER)),
        "days_overdue": np.where(has, wait - np.where(has, tgt, 0), np.nan),
        "past_target": np.where(past, "yes", "no"),  # W9's flag itself
        "last_contact_date": waiting._to_dt(np.where(lc >= 0, lc, waiting.NEVER)),
    })
    for c in ("target_days", "days_overdue"):
        out[c] = pd.array(np.where(np.isfinite(out[c]), out[c], np.nan), dtype="Float64").round().astype("Int64")
    return out, rows, past


def build_worklists(data, authority: str, period="latest", *, settings=None) -> Worklists:
    """The worklists of one council for one quarter.

    Parameters
    ----------
    data : DataBundle or path
        A validated bundle or a data folder.
    authority : str
        ONS code of the council.
    period : str
        ``2024-25 Q4`` or ``latest`` (the last quarter the data cover).
    settings : path, mapping, Settings or None
        As for the indicator table (default: the data folder's ``settings.toml``, else the
        package defaults): the same settings give lists that agree with the same figures.

    Returns
    -------
    Worklists
    """
    bundle = _bundle(data)
    authority = str(authority).strip().upper()
    if authority not in bundle.authorities:
        raise ParameterError(f"council {authority} has no rows in the data folder; check --authority "
                             f"(councils in the data: {', '.join(bundle.authorities[:8])}{' ...' if len(bundle.authorities) > 8 else ''}).")
    if not isinstance(settings, (Settings, dict)):
        settings = settings_path_for(bundle.source_dir, settings) or None
    st = load_settings(settings)
    p = _resolve_period(period, bundle)
    mine = _only(bundle, authority)
    ctx = IndicatorContext(bundle=mine, periods=[p], settings=st, catalogue=st.catalogue(targets=False))
    S = int(snapshot_index([p])[0])
    cal = ctx.calendar
    k = int(st["waiting"]["keep_in_touch_days"])
    m6 = int(st["workforce"]["vacancy_band_months"][1])
    eq = st["equipment"]
    fmt = {"k": k, "e1": int(eq["delivery_standard_working_days"]), "e5": int(eq["collection_standard_working_days"]),
           "clock": "order date" if eq["clock_start"] == "order" else "assessment decision date", "m6": m6}
    clock_col = efam.CLOCK_START_COLUMNS[eq["clock_start"]]
    columns = {  # what each list holds, also when the council sent no such extract
        "keep_in_touch_overdue": ["referral_id", "team", "priority", "referral_date", "days_waited", "last_contact_date",
                                  "contact_due_by", "days_overdue"],
        "past_target": ["referral_id", "team", "priority", "referral_date", "days_waited", "target_days", "target_date",
                        "days_overdue"],
        "equipment_delivery_overdue": ["item_id", "referral_id", "team", "priority", "catalogue_code", clock_col, "due_by",
                                       "delivered_date", "working_days_overdue"],
        "collections_overdue": ["item_id", "referral_id", "team", "priority", "catalogue_code", "delivered_date",
                                "collection_requested_date", "due_by", "collected_date", "working_days_overdue"],
        "long_vacant_posts": ["post_id", "role", "vacant_from", "filled_on", "days_vacant", "days_overdue"],
        "complaints_overdue": ["complaint_id", "kind", "stream", "stage", "received_date", "due_date", "responded_date",
                               "ombudsman_decided_date", "recommendations_outstanding", "days_overdue", "working_days_overdue"],
    }
    out: dict[str, pd.DataFrame] = {}
    notes: dict[str, str] = {}
    ref_lookup = pd.DataFrame(columns=["referral_id", "team", "priority"])

    # ---- waiting list: W7 and W9 -------------------------------------------------------------
    ref = ctx.table("referrals")
    people = pd.DataFrame(columns=WAITING_COLUMNS)
    if ref is None:
        for name in ("keep_in_touch_overdue", "past_target"):
            out[name] = pd.DataFrame(columns=columns[name])
            notes[name] = "no referrals extract for this council"
    else:
        d = waiting.prepare_referrals(ctx)
        con = waiting.prepare_contacts(ctx.table("contacts"), d)
        people, rows, past = waiting_people(d, ref, p.end, st, con)
        ref_lookup = pd.DataFrame({"referral_id": d.referral_id.to_numpy(dtype=object),
                                   "team": _names(d.tm, d.teams), "priority": _names(d.pr, d.levels)})
        pt = people[past][columns["past_target"]]
        out["past_target"] = _sorted(pt, "days_overdue", "referral_id")

        kit_cols = columns["keep_in_touch_overdue"]
        if con is None or not con.recorders.any():
            out["keep_in_touch_overdue"] = pd.DataFrame(columns=kit_cols)
            notes["keep_in_touch_overdue"] = "the council sends no keep-in-touch contacts, so W7 is not produced"
        else:
            s = waiting.day_number(p.end)
            seen = waiting.contacted_within(con, len(d.a), s, k)[rows]
            long = people["days_waited"].to_numpy() > k
            sel = long & ~seen
            kit = people[sel].copy()
            lc = kit["last_contact_date"]
            anchored = lc.notna() & (lc >= kit["referral_date"])
            # a contact covers the k days from it (the window (s - k, s]); with none since the
            # referral, one is due once the wait passes k days
            kit["contact_due_by"] = np.where(anchored, lc + pd.Timedelta(days=k - 1), kit["referral_date"] + pd.Timedelta(days=k))
            kit["contact_due_by"] = kit["contact_due_by"].astype("datetime64[ns]")
            kit["days_overdue"] = (pd.Timestamp(p.end) - kit["contact_due_by"]).dt.days.astype("int64")
            out["keep_in_touch_overdue"] = _sorted(kit[kit_cols], "days_overdue", "referral_id")

    # ---- equipment: E1_overdue, E5_overdue ---------------------------------------------------
    items = ctx.table("equipment")
    if items is None:
        for name in ("equipment_delivery_overdue", "collections_overdue"):
            out[name] = pd.DataFrame(columns=columns[name])
            notes[name] = "no equipment extract for this council"
    else:
        spans = efam.overdue_spans(lambda c: day_index(items[c]), st, cal)
        S_arr = np.full(len(items), S, dtype=np.int32)
        link = items[["referral_id"]].merge(ref_lookup, on="referral_id", how="left")
        base = pd.DataFrame({"item_id": items["item_id"].to_numpy(dtype=object),
                             "referral_id": items["referral_id"].to_numpy(dtype=object),
                             "team": link["team"].to_numpy(dtype=object),
                             "priority": link["priority"].to_numpy(dtype=object),
                             "catalogue_code": items["catalogue_code"].to_numpy(dtype=object)})
        for name, span, start_col, done_col in (("equipment_delivery_overdue", spans["delivery"], clock_col, "delivered_date"),
                                                ("collections_overdue", spans["collection"], "collection_requested_date", "collected_date")):
            start, due, done, std = span
            sel = open_at(due, done, S)
            f = base[sel].copy()
            if name == "collections_overdue":
                f["delivered_date"] = items.loc[sel, "delivered_date"].to_numpy()
            f[start_col] = items.loc[sel, start_col].to_numpy()
            f["due_by"] = _day(first_day_over(cal, start[sel], std - 1))  # the last working day within the standard
            f[done_col] = items.loc[sel, done_col].to_numpy()  # blank, or after the snapshot
            f["working_days_overdue"] = (_wd(cal, start[sel], S_arr[sel]) - std).astype("int64")
            out[name] = _sorted(f, "working_days_overdue", "item_id")

    # ---- vacancies: C5_6m --------------------------------------------------------------------
    vac = ctx.table("vacancies")
    if vac is None:
        out["long_vacant_posts"] = pd.DataFrame(columns=columns["long_vacant_posts"])
        notes["long_vacant_posts"] = "no vacancies extract for this council"
    else:
        bands = tuple(st["workforce"]["vacancy_band_months"])
        idx, days, band = caseload.vacant_at(vac, p.end, bands)
        six = band == 2
        rows_v = idx[six]
        since = pd.Timestamp(p.end) - pd.DateOffset(months=m6)
        f = pd.DataFrame({"post_id": vac["post_id"].to_numpy(dtype=object)[rows_v],
                          "role": vac["role"].to_numpy(dtype=object)[rows_v],
                          "vacant_from": vac["vacant_from"].to_numpy()[rows_v],
                          "filled_on": vac["filled_on"].to_numpy()[rows_v],  # blank, or after the snapshot
                          "days_vacant": days[six].astype("int64")})
        f["days_overdue"] = (since - f["vacant_from"]).dt.days.astype("int64")  # days beyond six months
        out["long_vacant_posts"] = _sorted(f, "days_overdue", "post_id")

    # ---- complaints: K3_overdue, K5 ----------------------------------------------------------
    c = ctx.table("complaints")
    if c is None:
        out["complaints_overdue"] = pd.DataFrame(columns=columns["complaints_overdue"])
        notes["complaints_overdue"] = "no complaints extract for this council"
    else:
        by_date, by_days, late_from, limit = kfam.response_deadline(c, ctx)
        resp = day_index(c["responded_date"]).astype(np.int64)
        rec = day_index(c["received_date"]).astype(np.int64)
        due_ix = np.where(by_date, day_index(c["due_date"]).astype(np.int64), 0)
        for lim in np.unique(limit[by_days]):
            m = by_days & (limit == lim)
            due_ix[m] = first_day_over(cal, rec[m], lim - 1)  # the last working day within the limit
        late = open_at(late_from, resp, S)
        S_arr = np.full(len(c), S, dtype=np.int32)
        wdo = _wd(cal, rec, S_arr) - limit
        r = pd.DataFrame({
            "complaint_id": c["complaint_id"].to_numpy(dtype=object)[late],
            "kind": "response overdue",
            "stream": c["stream"].to_numpy(dtype=object)[late],
            "stage": c["stage"].to_numpy()[late],
            "received_date": c["received_date"].to_numpy()[late],
            "due_date": _day(due_ix[late]),
            "responded_date": c["responded_date"].to_numpy()[late],  # blank, or after the snapshot
            "ombudsman_decided_date": pd.NaT,
            "recommendations_outstanding": np.nan,
            "days_overdue": (S - due_ix[late]).astype("int64"),
            "working_days_overdue": np.where(by_days[late], wdo[late], np.nan),
        })
        has_due, rdue, rdone = kfam.ombudsman_recommendations(c)
        dec = c["ombudsman_decided_date"]
        in_q = (dec >= p.start).to_numpy(dtype=bool, na_value=False) & (dec <= p.end).to_numpy(dtype=bool, na_value=False)
        om = has_due & in_q & (rdue - rdone > 0)
        o = pd.DataFrame({
            "complaint_id": c["complaint_id"].to_numpy(dtype=object)[om],
            "kind": "Ombudsman recommendations not complied with",
            "stream": c["stream"].to_numpy(dtype=object)[om],
            "stage": c["stage"].to_numpy()[om],
            "received_date": c["received_date"].to_numpy()[om],
            "due_date": pd.NaT,
            "responded_date": c["responded_date"].to_numpy()[om],
            "ombudsman_decided_date": dec.to_numpy()[om],
            "recommendations_outstanding": (rdue - rdone)[om],
            "days_overdue": (pd.Timestamp(p.end) - dec[om]).dt.days.to_numpy(dtype="int64"),  # days since the decision
            "working_days_overdue": np.nan,
        })
        f = pd.concat([x for x in (r, o) if len(x)], ignore_index=True) if (len(r) or len(o)) else r
        for col in ("received_date", "due_date", "responded_date", "ombudsman_decided_date"):
            f[col] = pd.to_datetime(f[col]).astype("datetime64[ns]")
        for col in ("recommendations_outstanding", "working_days_overdue"):
            f[col] = pd.array(f[col].to_numpy(dtype="float64"), dtype="Float64").round().astype("Int64")
        f["days_overdue"] = f["days_overdue"].astype("int64")
        out["complaints_overdue"] = _sorted(f, "days_overdue", "complaint_id")

    order = list(LISTS)
    lists = {name: out[name][columns[name]] for name in order}
    descriptions = {name: LISTS[name][0].format(**fmt) for name in order}
    return Worklists(authority=authority, period=p.label, snapshot=pd.Timestamp(p.end), lists=lists, notes=notes,
                     descriptions=descriptions, banner=bundle.banner, settings_source=str(getattr(st, "source", "") or ""),
                     waiting=people)
