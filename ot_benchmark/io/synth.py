"""Synthetic demonstration data: every contract table for a council and its comparators.

**Synthetic demonstration data — not real council performance.** The generator invents case-level
extracts (referrals, keep-in-touch contacts, equipment items, workforce snapshots, vacancies,
complaints, finance, adaptations, outcomes) whose *true* parameters are known, so the indicator
engine can be checked against them and the reports can be demonstrated without real data.

Everything is vectorised with numpy (one loop over councils, none over cases or items). Each
council's numbers come from its own random stream (derived from ``seed`` and its ONS code), so a
council's data do not depend on which other councils are generated with it.

Model (per council)
-------------------
* **Demand.** Referrals arrive as a Poisson process: ``rate × pop_65_plus / 1000 × scale`` a year
  (reference population, ONS mid-2020), weekdays 6-7× busier than weekends and bank holidays,
  winter 8% busier than summer. ``rate`` is drawn around :data:`BASE_REFERRAL_RATE` (51 per 1,000
  aged 65+ a year, about 12 per 1,000 adults 18+): all English councils over three financial
  years at ``scale=1`` give about 1.6 million referrals and 10 million equipment items.
* **Waiting.** A latent wait for assessment is lognormal with a council- and priority-specific
  median (long right tail: some people wait > 26 and > 52 weeks), drifting by ``trend_log_per_year``.
  Assessments fall on working days. A share of referrals close without assessment (withdrawn,
  died, moved, met_elsewhere, other) part-way through their wait. After assessment a case stays
  open for an intervention, or goes on review/monitoring status, and then closes as
  ``assessed_and_closed``.
* **History.** The simulation starts a year before the first period so the waiting list is full
  at the start; referrals from that year appear only if still open at the data start, and items
  from it only if collected (or asked to be collected) during the data period (their
  ``referral_id`` blank). Nothing after the last period's end appears: events after it are blank.
* **Equipment.** Items per assessed referral are negative binomial; catalogue values £5-£2,000
  (skewed); delivery in working days (some late); a share of items is returned after a lognormal
  loan, collected within some working days, then reused or scrapped; a share is issued from
  recycled stock. Some items come from other prescribers (no referral). Finance is derived from
  the items and the workforce.
* **Workforce.** Posts (ot, ota, other; mostly 1.0 WTE) fall vacant at a turnover rate and stay
  vacant for a lognormal time; snapshots (each quarter end, plus the one before the first
  quarter) count establishment, substantive WTE in post (establishment minus vacant WTE) and
  agency WTE (covering part of the vacant WTE). ``vacancies`` lists the episodes.
* **Quality.** Each council gets a quality score ``q ~ N(0, 1)``; better councils (higher ``q``)
  have shorter waits, faster delivery, higher return/reuse, fewer upheld complaints, shorter
  vacancies, and so on. ``performance`` is ``better`` (q ≥ 0.75), ``worse`` (q ≤ -0.75) or
  ``typical``.
* **Step change.** The home council starts ``worse`` with waits growing, then doubles its OT
  posts at the start of the middle quarter (2023-24 Q3 for 2022-23 to 2024-25): the new posts are
  vacant from that day and filled over the next months, everyone on the list then is assessed
  within :data:`CLEARANCE_DAYS`, and waits for new referrals are cut (``wait_multiplier_after``).

``synthetic_truth.json`` keys
-----------------------------
Top level: ``synthetic``, ``banner``, ``generator``, ``seed``, ``scale``, ``home_authority``,
``comparator_scheme``, ``authorities`` (home first), ``authorities_selection``, ``first_period``,
``last_period``, ``data_start``, ``data_end`` (nothing later appears, except complaints' planned
``due_date``), ``history_start`` (earliest referral date possible), ``priority_targets_days``
(urgent 7, high 28, medium 84, low 182), ``councils`` (below), ``step_change`` (below), ``notes``.

``councils[code]`` (all probabilities in 0-1; rates are the generator's *inputs*, realised data
vary by chance):

* ``name``, ``performance`` (better / typical / worse), ``quality_score``, ``pop_65_plus``,
  ``pop_18_plus``, ``note`` (only some councils, e.g. Somerset E10000027, the pre-2023 county),
  ``referrals_received_in_period`` (realised count, data_start to data_end)
* ``referral_rate_per_1000_65_plus_per_year`` (at scale 1) and ``effective_referral_rate_per_1000_65_plus_per_year``
  (× scale: what referrals ÷ population show), ``expected_referrals_per_year``
* ``priority_mix`` {urgent, high, medium, low}
* ``wait``: ``distribution`` ("lognormal"), ``median_days`` {priority: median latent wait at the
  data start}, ``sigma_log`` {priority}, ``trend_log_per_year`` (median × exp(trend × years since
  data start); for the home council, before the step change), ``median_days_after_step``
  {priority: median for referrals on or after the step date; home council only, else null},
  ``p_within_target_at_start``
  {priority: P(latent wait ≤ target) at the data start}
* ``p_closed_without_assessment``, ``closure_reason_mix``, ``p_review_after_assessment``,
  ``p_allocated_before_unassessed_closure``
* ``keep_in_touch``: ``probability`` (a waiting person is contacted), ``interval_days``,
  ``outcomes`` (what a contact records, ``contacts.outcome``, drawn from the council's own
  ``contacts`` random stream so the other tables do not depend on it): ``p_priority_changed``,
  ``p_no_response`` (of every contact; the rest ``still_waiting``) and
  ``p_withdrawal_recorded_at_last_contact`` (a person whose referral later closes as
  ``withdrawn`` has their last contact before the closure recorded as ``withdrawn`` with this
  probability; no other contact is ever ``withdrawn``)
* ``workforce``: ``posts`` {role: count before any step}, ``turnover_per_year``,
  ``vacancy_median_days``, ``agency_cover_of_vacant_wte``, ``expected_vacancy_rate``,
  ``snapshots`` (list of {snapshot_date, role, establishment_wte, in_post_wte, agency_wte} as
  written to the workforce table)
* ``equipment``: ``items_per_assessment_mean``, ``non_referral_item_share``,
  ``p_delivered_within_7_working_days`` (of ordered → delivered), ``p_returned_eventually``,
  ``p_reused_if_collected``, ``p_issued_from_recycled_stock``,
  ``p_collected_within_10_working_days``, ``loan_median_days``, ``price_factor``
* ``complaints``: ``rate_per_1000_referrals`` {stream} (stage-1 complaints per 1,000 referrals
  received), ``p_upheld_or_partly`` (of responses that are not withdrawn),
  ``share_fully_upheld_of_upheld_or_partly``, ``p_withdrawn``, ``p_responded_on_time`` (by the
  due date), ``p_escalated_stage_2`` (corporate and children's; adult statutory has one stage),
  ``p_ombudsman_referral`` {stream} (of final-stage responses not withdrawn: adult stage 1,
  others stage 2), ``p_ombudsman_investigated``,
  ``p_ombudsman_upheld_if_investigated``, ``p_remedy_if_upheld``, ``remedy_median_gbp``,
  ``p_recommendation_complied``
* ``costs``: ``cost_per_wte_quarter_gbp`` {ot, ota, other, agency}, ``overhead_rate``,
  ``equipment_overhead_rate`` (gross = catalogue value delivered × (1 + rate)),
  ``recycling_credit_rate`` (income = credit × value reused + contribution × gross),
  ``contribution_rate``
* ``adaptations``: ``p_per_assessment``, ``p_urgent``, ``median_working_days`` {urgent, non_urgent},
  ``cost_median_gbp``
* ``outcomes``: ``p_recorded``, ``mean_change`` (before clipping the 0-10 scale), ``sd_change``

``step_change``: ``authority``, ``quarter`` (e.g. "2023-24 Q3"), ``date``, ``what``,
``ot_posts_before``, ``ot_posts_after``, ``wait_multiplier_after``, ``clearance_days``,
``recruitment_median_days``, ``performance_before`` ("worse"), ``performance_after``.

``complaints_pack``: the complaints columns of issue 14 (``theme``, ``team``, ``joint_with_nhs``,
``ombudsman_reference``, ``remedy_due_date``, ``remedy_completed_date``,
``remedy_before_decision``), drawn from a random stream of their own so every other column and
table is unchanged by them: ``columns``, ``random_stream``, ``themes``, ``teams``,
``remedy_due_days_after_decision``, ``notes`` and ``councils[code]``: ``theme_mix`` {theme},
``team_mix`` {team}, ``p_joint_with_nhs`` {stream}, ``p_satisfactory_remedy_if_upheld``,
``p_remedy_on_time``, ``hotspot`` (home council: ``team``, ``theme``, ``odds_multiplier``; else
null). See :func:`_complaints_pack`.

``local_indicators`` (only with ``local_indicators=True`` / ``--local-indicators``): a council's
own indicator supplied as aggregate ``returns`` (see :func:`local_returns`), keyed by indicator
id: ``name``, ``catalogue`` (the file written, ``local_indicators.csv``),
``messages_per_1000_65_plus_per_quarter`` (at scale 1), ``true_rate`` {code: probability a
message is answered within 24 hours}, ``home_true_rate_from_step`` (the home council's rate
from the step quarter on), ``step_quarter``, ``value_supplied_for`` (councils whose returns give
a value; the others leave it blank), ``random_stream``.
"""

from __future__ import annotations

import json
import zlib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.stats import norm

from ot_benchmark.io import reference
from ot_benchmark.io.bundle import SYNTHETIC_BANNER
from ot_benchmark.io.contract import (
    CLOSURE_REASONS,
    COLLECTION_OUTCOMES,
    CONTACT_OUTCOMES,
    COMPLAINT_OUTCOMES,
    COMPLAINT_STREAMS,
    COMPLAINT_THEMES,
    OMBUDSMAN_DECISIONS,
    PRIORITIES,
    ROLES,
    TABLES,
)
from ot_benchmark.errors import ParameterError
from ot_benchmark.periods import Period, parse_period, period_range
from ot_benchmark.workdays import WorkingCalendar

__all__ = ["generate", "write_folder", "local_returns", "ombudsman_decisions", "LOCAL_CATALOGUE",
           "LOCAL_CATALOGUE_FILE", "BASE_REFERRAL_RATE", "PRIORITY_TARGETS", "CLEARANCE_DAYS",
           "PACK_COLUMNS"]

GENERATOR = "ot_benchmark.io.synth"
BASE_REFERRAL_RATE = 51.0  # referrals per 1,000 aged 65+ a year at scale 1 (national calibration)
BASE_PRIORITY_MIX = np.array([0.10, 0.30, 0.40, 0.20])
BASE_MEDIAN_WAIT = np.array([4.0, 21.0, 60.0, 110.0])  # days, urgent..low, typical council
WAIT_SIGMA = np.array([0.8, 0.9, 1.0, 1.05])
PRIORITY_TARGETS = {"urgent": 7, "high": 28, "medium": 84, "low": 182}
UNASSESSED_REASONS = ("withdrawn", "died", "moved", "met_elsewhere", "other")
UNASSESSED_MIX = np.array([0.42, 0.14, 0.10, 0.28, 0.06])
assert set(UNASSESSED_REASONS) < set(CLOSURE_REASONS)
assert {"upheld", "partly_upheld", "not_upheld", "withdrawn"} == set(COMPLAINT_OUTCOMES)
assert {"upheld", "not_upheld", "not_investigated"} == set(OMBUDSMAN_DECISIONS)
ITEMS_PER_ASSESSMENT = 5.8
NON_REFERRAL_SHARE = 0.10
CLEARANCE_DAYS = 120
WAIT_MULTIPLIER_AFTER = 0.25
HISTORY_DAYS = 365
AGE_BANDS = np.array(["18-64", "65-74", "75-84", "85+"])
AGE_MIX = np.array([0.22, 0.22, 0.31, 0.25])
TEAMS = np.array(["North", "South", "East", "West", "Central"])
# Keep-in-touch contact outcomes (contacts.outcome), the same for every council.
CONTACT_P_PRIORITY_CHANGED = 0.08
CONTACT_P_NO_RESPONSE = 0.12
CONTACT_P_WITHDRAWAL_RECORDED = 0.6
COST_PER_WTE_QUARTER = {"ot": 13_500.0, "ota": 9_000.0, "other": 8_000.0, "agency": 21_000.0}
TABLE_ORDER = ("referrals", "contacts", "equipment", "workforce", "vacancies", "complaints",
               "finance", "adaptations", "outcomes")

# A council's own indicator, supplied as aggregate returns (write_folder(local_indicators=True)).
LOCAL_CATALOGUE_FILE = "local_indicators.csv"
#: The local catalogue written beside the returns (the catalogue's columns, one row).
LOCAL_CATALOGUE = pd.DataFrame([{
    "indicator_id": "L1_phone_24h",
    "name": "Phone messages answered within 24 hours",
    "family": "local",
    "unit": "%",
    "multiplier": "100",
    "polarity": "higher_is_better",
    "method": "proportion",
    "definition": ("Phone messages left with the OT duty desk in the quarter that were answered (a call back "
                   "or a reply) within 24 hours of being left, as a percentage of all messages left. A "
                   "council's own indicator, supplied as an aggregate return."),
    "target": "90",
    "target_local_standard": "true",
    "caveat": "Local indicator: councils log phone messages differently, so compare with care.",
    "kind": "flow",
    "counts_people": "true",
    "suppress_with": "",
}])
LOCAL_MESSAGES_PER_1000 = 10.0  # messages per 1,000 aged 65+ a quarter at scale 1
LOCAL_BASE_RATE = 0.80          # a typical council answers 80% within 24 hours
LOCAL_QUALITY_EFFECT = 0.5      # log-odds per unit of the council's quality score
LOCAL_STEP_EFFECT = 0.8         # home council, log-odds, from the step quarter (more staff on the desk)

# The complaints pack (issue 14): the complaints columns a scrutiny panel's questions need, drawn
# from a random stream of their own (_complaints_pack) so every other column and table is what it
# was without them.
PACK_COLUMNS = ("theme", "team", "joint_with_nhs", "ombudsman_reference", "remedy_due_date",
                "remedy_completed_date", "remedy_before_decision")
PACK_SALT = "complaints_pack"
#: typical share of complaints by theme (COMPLAINT_THEMES order): delay and communication lead
BASE_THEME_MIX = np.array([0.30, 0.20, 0.15, 0.12, 0.06, 0.10, 0.04, 0.03])
#: share of new complaints made jointly with the NHS, by stream (adult: Lancashire's 34 of 536)
BASE_JOINT_NHS = np.array([0.063, 0.01, 0.0])
#: upheld Ombudsman decisions where the council had already remedied the complaint (LGSCO
#: annual review letters: "satisfactory remedy provided by the authority", about 1 in 7)
BASE_SATISFACTORY_REMEDY = 0.15
#: Ombudsman remedies completed by their due date, a typical council
BASE_REMEDY_ON_TIME = 0.75
#: days from the Ombudsman's decision to a remedy's due date: one month (an apology, a payment)
#: or three months (the duty to tell the Ombudsman what was done within three months)
REMEDY_DUE_DAYS = np.array([30, 91])
#: the home council's "hotspot": complaints about this team are this much more likely to be about
#: this theme (odds), so the report's learning-by-theme table has something to find
HOTSPOT = {"team": "North", "theme": "delay", "odds_multiplier": 3.0}

# An equipment catalogue, fixed (independent of the seed): code, category, catalogue price.
_CAT_PREFIX = np.array(["BATH", "TOIL", "CHAIR", "BED", "MOB", "RAIL", "KIT", "HOIST", "SENS", "RAMP"])


def _catalogue() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240401)
    n = 60
    cat = rng.integers(0, len(_CAT_PREFIX), n)
    price = np.exp(rng.normal(np.log(45.0), 1.25, n))
    price = np.clip(np.round(price, 2), 5.0, 2000.0)
    price[:3] = [5.0, 2000.0, 1450.0]  # make the extremes present
    codes = np.array([f"{_CAT_PREFIX[c]}-{i + 1:03d}" for i, c in enumerate(cat)])
    pop = 1.0 / price ** 0.55  # cheap items are issued far more often
    return codes, price, pop / pop.sum()


CATALOGUE_CODES, CATALOGUE_PRICES, CATALOGUE_POP = _catalogue()


# --------------------------------------------------------------------------- helpers
def _year_of(value, name: str) -> int:
    """2022, "2022", "2022-23", "2022/23" -> 2022 (the calendar year the financial year starts)."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    s = str(value).strip()
    if s.isdigit() and len(s) == 4:
        return int(s)
    try:
        return parse_period(f"{s} Q1").year
    except Exception:  # noqa: BLE001
        raise ParameterError(f"{name} {value!r}: write a financial year such as '2022-23' (or 2022)") from None


def _council_rng(seed: int, code: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(code.encode())])


def _clip(x, lo, hi) -> float:
    return float(min(max(x, lo), hi))


def _D(ts) -> np.datetime64:
    return np.datetime64(pd.Timestamp(ts).date(), "D")


class _Cal:
    """Working-day arithmetic on datetime64[D] arrays (NaT-safe)."""

    def __init__(self):
        self.cal = np.busdaycalendar(weekmask="1111100", holidays=WorkingCalendar().closures)

    def roll(self, d: np.ndarray) -> np.ndarray:
        out = d.copy()
        ok = ~np.isnat(d)
        out[ok] = np.busday_offset(d[ok], 0, roll="forward", busdaycal=self.cal)
        return out

    def add(self, d: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Date with ``n`` working days elapsed after ``d`` (the INDICATORS.md convention)."""
        n = np.broadcast_to(np.asarray(n, dtype=np.int64), d.shape)
        out = d.copy()
        ok = ~np.isnat(d) & (n > 0)
        out[ok] = np.busday_offset(d[ok], n[ok], roll="backward", busdaycal=self.cal)
        return out

    def is_workday(self, d: np.ndarray) -> np.ndarray:
        return np.is_busday(d, busdaycal=self.cal)


NAT = np.datetime64("NaT", "D")


def _cut(d: np.ndarray, end: np.datetime64) -> np.ndarray:
    """Blank (NaT) any date after the data end."""
    return np.where(d > end, NAT, d)


def _days(x) -> np.ndarray:
    return np.asarray(x).astype("timedelta64[D]")


# --------------------------------------------------------------------------- parameters
def _params(code: str, rng: np.random.Generator, is_home: bool, scale: float, pop65: int, pop18: int) -> dict:
    q = float(rng.normal())
    if is_home:
        q = -1.2
    perf = "better" if q >= 0.75 else ("worse" if q <= -0.75 else "typical")
    s = 0.15
    rate = BASE_REFERRAL_RATE * float(np.exp(rng.normal(0, s) - s * s / 2))
    mix = rng.dirichlet(BASE_PRIORITY_MIX * 300)
    median = BASE_MEDIAN_WAIT * np.exp(-0.45 * q) * np.exp(rng.normal(0, 0.1, 4))
    trend = 0.30 if is_home else float(rng.normal(0.04, 0.08))
    p = {
        "q": q,
        "performance": perf,
        "rate": rate,
        "mix": mix,
        "median": median,
        "sigma": WAIT_SIGMA.copy(),
        "trend": trend,
        "p_close": _clip(0.125 - 0.015 * q + rng.normal(0, 0.008), 0.10, 0.15),
        "p_review": _clip(rng.normal(0.15, 0.03), 0.05, 0.3),
        "p_alloc_unassessed": 0.3,
        "kit_p": _clip(0.62 + 0.15 * q + rng.normal(0, 0.05), 0.2, 0.97),
        "kit_interval": _clip(120 - 25 * q + rng.normal(0, 10), 45, 170),
        # workforce
        "productivity": 260.0 * float(np.exp(rng.normal(0, 0.1))),  # first assessments per OT WTE a year
        "turnover": 0.22 * float(np.exp(-0.2 * q + rng.normal(0, 0.1))),
        "vac_median": 150.0 * float(np.exp(-0.3 * q + rng.normal(0, 0.1))),
        "agency_cover": _clip(0.45 - 0.1 * q + rng.normal(0, 0.05), 0.1, 0.8),
        # equipment
        "items_mean": ITEMS_PER_ASSESSMENT * float(np.exp(rng.normal(0, 0.08))),
        "p_ontime": _clip(0.88 + 0.05 * q + rng.normal(0, 0.02), 0.6, 0.99),
        "p_return": _clip(0.675 + 0.035 * q + rng.normal(0, 0.015), 0.58, 0.78),
        "p_reuse": _clip(0.84 + 0.03 * q + rng.normal(0, 0.01), 0.78, 0.92),
        "p_recycled": _clip(0.30 + 0.06 * q + rng.normal(0, 0.03), 0.10, 0.50),
        "p_collect_ontime": _clip(0.85 + 0.05 * q + rng.normal(0, 0.02), 0.5, 0.99),
        "loan_median": 120.0,
        "price_factor": float(np.exp(rng.normal(0, 0.05))),
        # complaints
        "c_rates": np.array([10.0 * np.exp(-0.25 * q), 0.4, 3.0]) * np.exp(rng.normal(0, 0.1, 3)),
        "p_upheld": _clip(0.45 - 0.08 * q + rng.normal(0, 0.03), 0.15, 0.8),
        "p_withdrawn": 0.05,
        "p_timely": _clip(0.80 + 0.08 * q + rng.normal(0, 0.03), 0.4, 0.98),
        "p_stage2": 0.12,
        "p_omb": np.array([0.05, 0.15, 0.15]),  # of final-stage responses, by stream
        "p_omb_investigated": 0.5,
        "p_omb_upheld": _clip(0.72 - 0.06 * q + rng.normal(0, 0.03), 0.4, 0.95),
        "p_remedy": 0.55,
        "remedy_median": 750.0,
        "p_comply": _clip(0.93 + 0.03 * q, 0.7, 0.995),
        # costs
        "overhead_rate": _clip(rng.normal(0.16, 0.02), 0.08, 0.25),
        "equip_overhead": _clip(rng.normal(0.45, 0.05), 0.25, 0.7),
        "credit_rate": 0.5,
        "contribution_rate": 0.05,
        # adaptations and outcomes
        "p_adapt": _clip(rng.normal(0.05, 0.01), 0.02, 0.1),
        "p_adapt_urgent": 0.2,
        "adapt_median": np.array([35.0, 110.0]) * np.exp(-0.3 * q),
        "adapt_cost_median": 6500.0,
        "p_outcome": 0.35,
        "outcome_change": 2.0 + 0.4 * q,
        "outcome_sd": 1.8,
    }
    p["expected_per_year"] = p["rate"] * pop65 / 1000 * scale
    return p


# --------------------------------------------------------------------------- one council
def _simulate(code: str, short: str, prm: dict, win: dict, scale: float, rng: np.random.Generator,
              cal: _Cal, step: dict | None, crng: np.random.Generator | None = None) -> dict:
    start, end, hist = win["start"], win["end"], win["history_start"]
    out: dict = {}

    # ---- referrals ------------------------------------------------------------------------
    days = np.arange(hist, end + np.timedelta64(1, "D"))
    w = np.where(cal.is_workday(days), 1.0, 0.15)
    doy = (days - days.astype("datetime64[Y]")).astype(int)
    w = w * (1 + 0.08 * np.cos(2 * np.pi * (doy - 15) / 365.25))
    lam = prm["expected_per_year"] / 365.25 * w / w.mean()
    n = int(rng.poisson(lam.sum()))
    ref = np.sort(days[rng.choice(len(days), size=n, p=lam / lam.sum())])
    pri = rng.choice(4, size=n, p=prm["mix"])
    years = (ref - start).astype(float) / 365.25
    mult = np.exp(prm["trend"] * years)
    if step is not None:
        T = step["date_D"]
        after = ref >= T
        m_after = np.exp(prm["trend"] * (T - start).astype(float) / 365.25) * WAIT_MULTIPLIER_AFTER
        prm["median_after"] = prm["median"] * m_after
        mult = np.where(after, m_after, mult)
    mu = np.log(prm["median"][pri] * mult)
    W = np.exp(mu + prm["sigma"][pri] * rng.standard_normal(n))
    A = cal.roll(ref + _days(np.floor(W)))
    if step is not None:
        T = step["date_D"]
        backlog = (ref < T) & (A > T)
        clear = T + _days(rng.integers(0, CLEARANCE_DAYS, n))
        A = np.where(backlog, np.minimum(A, cal.roll(clear)), A)
    closer = rng.random(n) < prm["p_close"]
    C = ref + _days(np.floor(W * rng.uniform(0.05, 0.95, n)))
    unassessed = closer & (C < A)
    A = np.where(unassessed, NAT, A)
    u_reason = rng.choice(len(UNASSESSED_REASONS), size=n, p=UNASSESSED_MIX)
    # allocation: between referral and assessment (or, for some unassessed closures, closure)
    span = np.where(unassessed, C - ref, A - ref).astype(float)
    alloc = ref + _days(np.floor(span * rng.uniform(0.2, 1.0, n)))
    alloc = np.where(unassessed & (rng.random(n) >= prm["p_alloc_unassessed"]), NAT, alloc)
    # after assessment: intervention, or review then closure
    review = ~unassessed & (rng.random(n) < prm["p_review"])
    rev = np.where(review, A + _days(np.ceil(rng.gamma(2.0, 15.0, n))), NAT)
    interv = np.where(rng.random(n) < 0.35, 0, np.ceil(rng.gamma(1.5, 30.0, n)))
    close_assessed = np.where(review, rev + _days(np.ceil(rng.gamma(3.0, 60.0, n))), A + _days(interv))
    close = np.where(unassessed, C, close_assessed)
    # the data end: later events are unknown
    A_c = _cut(A, end)
    rev_c = np.where(np.isnat(A_c), NAT, _cut(rev, end))
    close_c = _cut(close, end)
    close_c = np.where(~unassessed & np.isnat(A_c), NAT, close_c)
    alloc_c = _cut(alloc, end)
    reason = np.where(unassessed, np.asarray(UNASSESSED_REASONS)[u_reason], "assessed_and_closed")
    keep = (ref >= start) | np.isnat(close_c) | (close_c >= start)
    idx = np.flatnonzero(keep)
    rid_num = np.arange(n)  # sequence within the council (history included, so ids are stable)
    ref_table = {
        "seq": rid_num[idx].astype(np.int32),
        "referral_date": ref[idx],
        "priority": pri[idx].astype(np.int8),
        "allocated_date": alloc_c[idx],
        "first_assessment_date": A_c[idx],
        "review_start_date": rev_c[idx],
        "closure_date": close_c[idx],
        "closure_reason": np.where(np.isnat(close_c[idx]), None, reason[idx]),
        "team": TEAMS[rng.integers(0, len(TEAMS), n)][idx],
        "age_band": AGE_BANDS[rng.choice(4, size=n, p=AGE_MIX)][idx],
    }
    out["referrals"] = ref_table
    out["n_referrals_window"] = int((ref >= start).sum())

    # ---- keep-in-touch contacts (people waiting) -------------------------------------------
    stop = np.where(unassessed, C, A)
    stop = np.where(np.isnat(stop) | (stop > end), end + np.timedelta64(1, "D"), stop)
    kit = keep & (rng.random(n) < prm["kit_p"])
    interval = prm["kit_interval"]
    offset = np.floor(interval * rng.uniform(0.5, 1.0, n))
    avail = (stop - ref).astype(float) - offset
    k = np.where(kit & (avail > 0), np.floor((avail - 1) / interval) + 1, 0).astype(np.int64)
    k = np.maximum(k, 0)
    c_ref = np.repeat(np.arange(n), k)
    c_k = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    c_date = ref[c_ref] + _days(offset[c_ref] + c_k * interval)
    c_ok = (c_date < stop[c_ref]) & (c_date <= end) & (c_date >= ref[c_ref])
    out["contacts"] = {"seq": c_ref[c_ok], "contact_date": c_date[c_ok],
                       "outcome": _contact_outcomes(c_ref[c_ok], unassessed & (u_reason == UNASSESSED_REASONS.index("withdrawn"))
                                                    & ~np.isnat(close_c), crng)}

    # ---- equipment ---------------------------------------------------------------------
    assessed = np.flatnonzero(~np.isnat(A_c))
    r = 2.5
    lam_i = rng.gamma(r, prm["items_mean"] / r, len(assessed))
    n_items = rng.poisson(lam_i)
    i_ref = np.repeat(assessed, n_items)
    n_ref_items = len(i_ref)
    n_other = int(rng.poisson(n_ref_items * NON_REFERRAL_SHARE / (1 - NON_REFERRAL_SHARE)))
    other_day = cal.roll(hist + _days(rng.integers(0, (end - hist).astype(int) + 1, n_other)))
    decision = np.concatenate([A_c[i_ref], np.full(n_other, NAT)])
    lag0 = np.where(rng.random(n_ref_items) < 0.6, 0, rng.integers(1, 6, n_ref_items))
    ordered = np.concatenate([cal.roll(A_c[i_ref] + _days(lag0)), other_day])
    m = len(ordered)
    code_i = rng.choice(len(CATALOGUE_CODES), size=m, p=CATALOGUE_POP)
    value = np.round(CATALOGUE_PRICES[code_i] * prm["price_factor"], 2)
    value = np.clip(value, 5.0, 2000.0)
    recycled = rng.random(m) < prm["p_recycled"]
    ontime = rng.random(m) < prm["p_ontime"]
    dlag = np.where(ontime, rng.choice(8, size=m, p=[0.04, 0.22, 0.26, 0.18, 0.12, 0.08, 0.06, 0.04]),
                    8 + rng.geometric(0.25, m) - 1)
    delivered = cal.add(ordered, dlag)
    returned = rng.random(m) < prm["p_return"]
    loan = np.exp(np.log(prm["loan_median"]) + 1.0 * rng.standard_normal(m))
    requested = np.where(returned, delivered + _days(np.ceil(loan)), NAT)
    requested = np.where(np.isnat(requested), NAT, cal.roll(requested))
    c_ontime = rng.random(m) < prm["p_collect_ontime"]
    clag = np.where(c_ontime, rng.integers(1, 11, m), 10 + rng.geometric(0.2, m))
    collected = cal.add(requested, clag)
    outcome = np.where(rng.random(m) < prm["p_reuse"], 0, 1)
    # data end
    delivered_c = _cut(delivered, end)
    requested_c = np.where(np.isnat(delivered_c), NAT, _cut(requested, end))
    collected_c = np.where(np.isnat(requested_c), NAT, _cut(collected, end))
    in_window = ordered <= end
    owner = np.concatenate([i_ref, np.full(n_other, -1)])
    owner_kept = np.where(owner >= 0, keep[np.maximum(owner, 0)], False)
    active = (ordered >= start) | (requested_c >= start) | (collected_c >= start)
    keep_i = in_window & (owner_kept | active)
    # items of a referral not in the extract (closed before the data start) lose their referral id
    owner = np.where(owner_kept, owner, -1)
    ki = np.flatnonzero(keep_i)
    ki = ki[np.argsort(ordered[ki], kind="stable")]  # item ids in order of the order date
    out["equipment"] = {
        "owner": owner[ki].astype(np.int32),
        "code": code_i[ki].astype(np.int16),
        "value": value[ki],
        "recycled": recycled[ki],
        "ordered_date": ordered[ki],
        "decision_date": np.where(owner[ki] >= 0, decision[ki], NAT),
        "delivered_date": delivered_c[ki],
        "collection_requested_date": requested_c[ki],
        "collected_date": collected_c[ki],
        "outcome": np.where(np.isnat(collected_c[ki]), -1, outcome[ki]).astype(np.int8),
    }

    # ---- adaptations ---------------------------------------------------------------------
    cand = np.flatnonzero(keep & ~np.isnat(A_c))
    has = rng.random(len(cand)) < prm["p_adapt"]
    a_ref = cand[has]
    na = len(a_ref)
    rec = cal.roll(A_c[a_ref] + _days(rng.integers(0, 31, na)))
    urgent = rng.random(na) < prm["p_adapt_urgent"]
    med = np.where(urgent, prm["adapt_median"][0], prm["adapt_median"][1])
    wd = np.maximum(1, np.round(np.exp(np.log(med) + 0.5 * rng.standard_normal(na)))).astype(np.int64)
    comp = _cut(cal.add(rec, wd), end)
    cost = np.clip(np.exp(np.log(prm["adapt_cost_median"]) + 0.7 * rng.standard_normal(na)), 300, 60000)
    ok = rec <= end
    out["adaptations"] = {
        "owner": a_ref[ok], "urgent": urgent[ok], "recommended_date": rec[ok], "completed_date": comp[ok],
        "cost_gbp": np.where(np.isnat(comp[ok]), np.nan, np.round(cost[ok], 0)),
    }

    # ---- outcomes ------------------------------------------------------------------------
    cand = np.flatnonzero(keep & ~unassessed & ~np.isnat(close_c) & (close_c >= start))
    cand = cand[rng.random(len(cand)) < prm["p_outcome"]]
    s0 = rng.integers(1, 7, len(cand)).astype(float)
    s1 = np.clip(np.round(s0 + rng.normal(prm["outcome_change"], prm["outcome_sd"], len(cand))), 0, 10)
    out["outcomes"] = {"owner": cand, "score_start": s0, "score_end": s1, "completed_date": close_c[cand]}

    # ---- complaints ----------------------------------------------------------------------
    out["complaints"] = _complaints(prm, win, rng, cal, out["n_referrals_window"])

    # ---- workforce and vacancies ---------------------------------------------------------
    wf, vac = _workforce(prm, win, rng, step)
    out["workforce"], out["vacancies"] = wf, vac

    # ---- finance -------------------------------------------------------------------------
    out["finance"] = _finance(prm, win, out["equipment"], wf)
    return out


def _contact_outcomes(c_ref: np.ndarray, withdrawn: np.ndarray, crng: np.random.Generator | None) -> np.ndarray:
    """Outcome code (into CONTACT_OUTCOMES) of each contact; ``c_ref`` sorted by referral, in
    date order within it. Drawn from ``crng`` only, so nothing else in the council's data moves."""
    codes = {o: i for i, o in enumerate(CONTACT_OUTCOMES)}
    n = len(c_ref)
    out = np.full(n, codes["still_waiting"], dtype=np.int8)
    if crng is None or n == 0:
        return out
    u = crng.random(n)
    out[u < CONTACT_P_PRIORITY_CHANGED] = codes["priority_changed"]
    out[(u >= CONTACT_P_PRIORITY_CHANGED) & (u < CONTACT_P_PRIORITY_CHANGED + CONTACT_P_NO_RESPONSE)] = codes["no_response"]
    last = np.r_[c_ref[1:] != c_ref[:-1], True]
    w = crng.random(n)
    out[last & withdrawn[c_ref] & (w < CONTACT_P_WITHDRAWAL_RECORDED)] = codes["withdrawn"]
    return out


def _complaints(prm: dict, win: dict, rng, cal: _Cal, n_ref: int) -> dict:
    start, end = win["start"], win["end"]
    ndays = int((end - start).astype(int)) + 1
    rows = []
    numbered = 0
    for s_i, stream in enumerate(COMPLAINT_STREAMS):
        k = int(rng.poisson(prm["c_rates"][s_i] * n_ref / 1000))
        recv = np.sort(cal.roll(start + _days(rng.integers(0, ndays, k))))
        recv = _cut(recv, end)
        recv = recv[~np.isnat(recv)]
        k = len(recv)
        stage1 = _complaint_stage(stream, 1, recv, prm, rng, cal, end, parent=numbered + np.arange(k))
        numbered += k
        rows.append(stage1)
        if stream != "asc_statutory":  # adult statutory has a single local stage
            esc = (~np.isnat(stage1["responded_date"])) & (rng.random(k) < prm["p_stage2"])
            recv2 = cal.roll(stage1["responded_date"][esc] + _days(rng.integers(3, 30, esc.sum())))
            okk = recv2 <= end
            rows.append(_complaint_stage(stream, 2, recv2[okk], prm, rng, cal, end,
                                         parent=stage1["parent"][esc][okk]))
    out = {key: np.concatenate([r[key] for r in rows]) for key in rows[0]}
    return out


def _complaint_stage(stream, stage, recv, prm, rng, cal: _Cal, end, parent) -> dict:
    k = len(recv)
    if stream == "asc_statutory":
        due_wd = rng.choice([20, 25, 30, 40], size=k)
    elif stream == "corporate":
        due_wd = np.full(k, 10 if stage == 1 else 20)
    else:
        due_wd = np.where(rng.random(k) < 0.3, 20, 10) if stage == 1 else np.full(k, 25)
    due = cal.add(recv, due_wd)
    timely = rng.random(k) < prm["p_timely"]
    lag = np.where(timely, rng.integers(1, due_wd + 1), due_wd + rng.geometric(0.1, k))
    resp = _cut(cal.add(recv, lag), end)
    o = rng.random(k)
    pu = prm["p_upheld"] * (1 - prm["p_withdrawn"])
    outcome = np.where(o < prm["p_withdrawn"], "withdrawn",
                       np.where(o < prm["p_withdrawn"] + 0.4 * pu, "upheld",
                                np.where(o < prm["p_withdrawn"] + pu, "partly_upheld", "not_upheld")))
    outcome = np.where(np.isnat(resp), None, outcome)
    s_i = COMPLAINT_STREAMS.index(stream)
    final = (stream == "asc_statutory") | (stage == 2)
    omb = final & ~np.isnat(resp) & (outcome != "withdrawn") & (rng.random(k) < prm["p_omb"][s_i])
    oref = np.where(omb, resp + _days(rng.integers(20, 150, k)), NAT)
    oref = _cut(oref, end)
    odec = np.where(np.isnat(oref), NAT, oref + _days(rng.integers(40, 250, k)))
    odec = _cut(odec, end)
    inv = rng.random(k) < prm["p_omb_investigated"]
    upheld = rng.random(k) < prm["p_omb_upheld"]
    decision = np.where(~inv, "not_investigated", np.where(upheld, "upheld", "not_upheld"))
    decided = ~np.isnat(odec)
    decision = np.where(decided, decision, None)
    is_up = decided & inv & upheld
    remedy = np.where(is_up & (rng.random(k) < prm["p_remedy"]),
                      np.clip(np.round(np.exp(np.log(prm["remedy_median"]) + 0.9 * rng.standard_normal(k)) / 50) * 50, 100, 12250),
                      np.nan)
    recs = np.where(is_up, 1 + rng.poisson(1.0, k), -1)
    comp = np.where(is_up, rng.binomial(np.maximum(recs, 0), prm["p_comply"]), -1)
    return {
        "parent": parent, "stream": np.full(k, s_i), "stage": np.full(k, stage), "received_date": recv,
        "due_date": due, "responded_date": resp, "outcome": outcome, "ombudsman_referred_date": oref,
        "ombudsman_decision": decision, "ombudsman_decided_date": odec, "remedy_gbp": remedy,
        "recommendations_due": recs, "recommendations_complied": comp,
    }


def _workforce(prm: dict, win: dict, rng, step: dict | None):
    _start, end, hist = win["start"], win["end"], win["history_start"]
    snaps = win["snapshots"]
    base_ot = max(1, int(round(prm["expected_per_year"] * (1 - prm["p_close"]) / prm["productivity"])))
    n_posts = {"ot": base_ot, "ota": max(1, int(round(0.5 * base_ot))), "other": max(1, int(round(0.25 * base_ot)))}
    prm["posts"] = n_posts
    origin = hist - np.timedelta64(365, "D")
    horizon = float((end - origin).astype(int))
    role_l, post_l, wte_l, created_l, vfrom_l, vto_l = [], [], [], [], [], []
    for r_i, role in enumerate(ROLES):
        npost = n_posts[role]
        extra = step is not None and role == "ot"
        total = npost * (2 if extra else 1)
        created = np.full(total, origin)
        if extra:
            created[npost:] = step["date_D"]
        wte = np.where(rng.random(total) < 0.8, 1.0, rng.choice([0.5, 0.6, 0.8], size=total))
        K = int(np.ceil(prm["turnover"] * horizon / 365.25 * 3)) + 4
        gaps = rng.exponential(365.25 / prm["turnover"], (total, K))
        dur = np.ceil(np.exp(np.log(prm["vac_median"]) + 0.6 * rng.standard_normal((total, K))))
        if extra:  # new posts: first vacancy starts the day they are created
            gaps[npost:, 0] = 0.0
            dur[npost:, 0] = np.ceil(np.exp(np.log(step["recruitment_median_days"]) + 0.5 * rng.standard_normal(total - npost)))
        cum_prev = np.concatenate([np.zeros((total, 1)), np.cumsum(dur, axis=1)[:, :-1]], axis=1)
        vstart = np.floor(np.cumsum(gaps, axis=1) + cum_prev).astype(np.int64)
        vstart = created[:, None] + vstart.astype("timedelta64[D]")
        vend = vstart + dur.astype(np.int64).astype("timedelta64[D]")
        pid = np.repeat(np.arange(total), K)
        role_l.append(np.full(total * K, r_i))
        post_l.append(pid)
        wte_l.append(np.repeat(wte, K))
        created_l.append(np.repeat(created, K))
        vfrom_l.append(vstart.ravel())
        vto_l.append(vend.ravel())
        prm.setdefault("_wte", {})[role] = (wte, created)
    role_a, post_a, wte_a = np.concatenate(role_l), np.concatenate(post_l), np.concatenate(wte_l)
    vfrom, vto = np.concatenate(vfrom_l), np.concatenate(vto_l)
    valid = vfrom <= end
    role_a, post_a, wte_a, vfrom, vto = role_a[valid], post_a[valid], wte_a[valid], vfrom[valid], vto[valid]
    # snapshots
    wf = {"snapshot_date": [], "role": [], "establishment_wte": [], "in_post_wte": [], "agency_wte": []}
    for r_i, role in enumerate(ROLES):
        wte, created = prm["_wte"][role]
        sel = role_a == r_i
        for s in snaps:
            est = float(wte[created <= s].sum())
            vac = float(wte_a[sel & (vfrom <= s) & (vto > s)].sum())
            agency = max(0.0, round(vac * prm["agency_cover"] + rng.normal(0, 0.1), 1))
            wf["snapshot_date"].append(s)
            wf["role"].append(r_i)
            wf["establishment_wte"].append(round(est, 2))
            wf["in_post_wte"].append(round(est - vac, 2))
            wf["agency_wte"].append(agency)
    wf = {k: np.asarray(v) for k, v in wf.items()}
    first_snap = snaps[0]
    show = vto >= first_snap
    filled = np.where(vto > end, NAT, vto)
    vac = {"role": role_a[show], "post": post_a[show], "vacant_from": vfrom[show], "filled_on": filled[show]}
    del prm["_wte"]
    return wf, vac


def _finance(prm: dict, win: dict, eq: dict, wf: dict) -> dict:
    periods = win["periods"]
    starts = np.array([_D(p.start) for p in periods])
    ends = np.array([_D(p.end) for p in periods])
    snaps = win["snapshots"]  # snaps[i] is the end of the quarter before periods[i]
    staff = np.zeros(len(periods))
    for r_i, role in enumerate(ROLES):
        sel = wf["role"] == r_i
        ip = wf["in_post_wte"][sel]
        ag = wf["agency_wte"][sel]
        avg_ip = (ip[:-1] + ip[1:]) / 2
        avg_ag = (ag[:-1] + ag[1:]) / 2
        staff += avg_ip * COST_PER_WTE_QUARTER[role] + avg_ag * COST_PER_WTE_QUARTER["agency"]
    assert len(snaps) == len(periods) + 1
    d = eq["delivered_date"]
    qi = np.searchsorted(ends, d[~np.isnat(d)])  # quarter index of each delivery
    dv = eq["value"][~np.isnat(d)]
    okq = (qi < len(periods)) & (d[~np.isnat(d)] >= starts[0])
    delivered_value = np.bincount(qi[okq], weights=dv[okq], minlength=len(periods))
    c = eq["collected_date"]
    reused = (~np.isnat(c)) & (eq["outcome"] == 0)
    qc = np.searchsorted(ends, c[reused])
    okc = (qc < len(periods)) & (c[reused] >= starts[0])
    reused_value = np.bincount(qc[okc], weights=eq["value"][reused][okc], minlength=len(periods))
    gross = delivered_value * (1 + prm["equip_overhead"])
    income = reused_value * prm["credit_rate"] + gross * prm["contribution_rate"]
    return {
        "period": np.array([p.label for p in periods]),
        "ot_staff_cost_gbp": np.round(staff, 0),
        "ot_overhead_gbp": np.round(staff * prm["overhead_rate"], 0),
        "equipment_gross_gbp": np.round(gross, 0),
        "equipment_income_gbp": np.round(income, 0),
    }


# --------------------------------------------------------------------------- assembly
def _ids(prefix: np.ndarray, council_idx: np.ndarray, kind: str, seq: np.ndarray, width: int,
         valid: np.ndarray | None = None) -> pd.Series:
    """``<SHORT>-<kind><zero-padded seq>`` as a str Series, built in pyarrow (fast at 10M rows);
    blank where ``valid`` is False."""
    pre = pa.DictionaryArray.from_arrays(pa.array(council_idx.astype(np.int32)),
                                         pa.array([f"{p}-{kind}" for p in prefix])).cast(pa.string())
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    num = pc.utf8_lpad(pc.cast(pa.array(seq.astype(np.int64), mask=mask), pa.string()), width, "0")
    return pd.Series(pc.binary_join_element_wise(pre, num, ""), dtype="str")


def _take_str(labels, codes: np.ndarray) -> pd.Series:
    """labels[codes] as a str Series; code -1 gives a blank."""
    dic = pa.array(list(labels) + [None])
    codes = np.where(codes < 0, len(labels), codes).astype(np.int32)
    return pd.Series(pa.DictionaryArray.from_arrays(pa.array(codes), dic).cast(pa.string()), dtype="str")


def _dt(a: np.ndarray) -> np.ndarray:
    return a.astype("datetime64[ns]")


def _window(first_year, last_year) -> dict:
    fy, ly = _year_of(first_year, "first_year"), _year_of(last_year, "last_year")
    if ly < fy:
        raise ParameterError(f"last_year {last_year!r} is before first_year {first_year!r}")
    first, last = Period(fy, 1), Period(ly, 4)
    today = pd.Timestamp(date.today())
    if last.end >= today:
        raise ParameterError(
            f"financial year {last.financial_year} has not ended (it ends {last.end.date()}); synthetic "
            "data never hold future dates: choose an earlier last year"
        )
    periods = [first]
    while periods[-1] < last:
        periods.append(periods[-1].next())
    start, end = _D(first.start), _D(last.end)
    snaps = [_D(first.previous().end)] + [_D(p.end) for p in periods]
    return {"first": first, "last": last, "periods": periods, "start": start, "end": end,
            "history_start": start - np.timedelta64(HISTORY_DAYS, "D"), "snapshots": snaps}


def _resolve_councils(home: str, group, authorities) -> tuple[list[str], str]:
    home_c = reference._check_code(home)
    if authorities is None:
        codes = reference.comparator_group(home_c, group, include_self=True)
        scheme = str(group)
    else:
        if isinstance(authorities, str):
            key = authorities.strip().lower()
            if key in ("all", "all_2025", "2025"):
                codes = reference.councils("2025")["ons_code"].tolist()
            elif key in ("all_2021_23", "2021_23"):
                codes = reference.councils("2021_23")["ons_code"].tolist()
            else:
                codes = [c for c in key.replace(";", ",").split(",") if c.strip()]
        else:
            codes = list(authorities)
        codes = [reference._check_code(c) for c in codes]
        codes = [home_c] + [c for c in dict.fromkeys(codes) if c != home_c]
        scheme = str(group)  # the scheme reports should use; the councils are the given list
    return codes, scheme


def generate(home: str = "E10000017", group="cipfa", first_year=2022, last_year=2024, seed: int = 0,
             scale: float = 1.0, authorities=None, *, progress: bool = False) -> tuple[dict, dict]:
    """Generate synthetic data for a home council and its comparators.

    Parameters
    ----------
    home : str
        ONS code of the home council (the one with the step change).
    group : {"cipfa", "dfe"} or path
        Comparator scheme used to pick the other councils (see
        :func:`ot_benchmark.io.reference.comparator_group`); ignored when ``authorities`` is given.
    first_year, last_year : int or str
        First and last financial years (``2022`` or ``"2022-23"``); the data run from 1 April of
        the first to 31 March after the last. The last must have ended.
    seed : int
        Random seed; the same arguments give identical data.
    scale : float
        Multiplies every volume (referrals, items, complaints, posts). ``1`` is full size.
    authorities : None, "all", "all_2021_23", or list of codes
        Generate these councils instead of the home council's group (the home council is added).

    Returns
    -------
    tables : dict of str -> pandas.DataFrame
        One frame per contract table (``referrals, contacts, equipment, workforce, vacancies,
        complaints, finance, adaptations, outcomes``) with exactly the contract's columns.
    truth : dict
        The true parameters (see the module docstring for the keys).
    """
    if not (isinstance(scale, (int, float)) and 0 < float(scale) <= 10):
        raise ParameterError(f"scale must be a number above 0 and at most 10, not {scale!r}")
    scale = float(scale)
    seed = int(seed)
    win = _window(first_year, last_year)
    codes, scheme = _resolve_councils(home, group, authorities)
    ref_df = reference.councils("all").set_index("ons_code")
    cal = _Cal()
    step_period = win["periods"][len(win["periods"]) // 2]
    step = {"date_D": _D(step_period.start), "period": step_period, "recruitment_median_days": 90.0}

    parts: dict[str, list] = {t: [] for t in TABLE_ORDER}
    truth_c: dict = {}
    shorts = []
    for ci, code in enumerate(codes):
        row = ref_df.loc[code]
        short = str(row["mysociety_code"])
        shorts.append(short)
        rng = _council_rng(seed, code)
        is_home = ci == 0
        prm = _params(code, rng, is_home, scale, int(row["pop_65_plus"]), int(row["pop_18_plus"]))
        sim = _simulate(code, short, prm, win, scale, rng, cal, step if is_home else None,
                        crng=_council_rng(seed, code + ":contacts"))
        for t in TABLE_ORDER:
            sim[t]["_c"] = np.full(len(next(iter(sim[t].values()))), ci, dtype=np.int32)
            parts[t].append(sim[t])
        truth_c[code] = _truth_for(code, row, prm, scale, sim, win)
        if progress:
            print(f"  {code} {row['name']}: {len(sim['referrals']['seq']):,} referrals, "
                  f"{len(sim['equipment']['owner']):,} items", flush=True)

    cat = {}
    for t in TABLE_ORDER:  # concatenate table by table, freeing the per-council pieces as we go
        cat[t] = {k: np.concatenate([p[k] for p in parts[t]]) for k in parts[t][0]}
        parts[t] = None
    shorts_a = np.array(shorts)
    tables = _assemble(cat, codes, shorts_a)
    selection = (f"{scheme} comparator group of {codes[0]}" if authorities is None
                 else (authorities if isinstance(authorities, str) else "list of councils"))
    truth = _truth(codes, scheme, seed, scale, win, truth_c, step, selection)
    tables["complaints"], truth["complaints_pack"] = _complaints_pack(tables["complaints"], truth, win)
    assert list(tables["complaints"].columns) == TABLES["complaints"].column_names
    return tables, truth


def _assemble(cat: dict, codes: list[str], shorts: np.ndarray) -> dict:
    T: dict[str, pd.DataFrame] = {}
    auth = lambda ci: _take_str(codes, ci)  # noqa: E731

    r = cat.pop("referrals")
    T["referrals"] = pd.DataFrame({
        "referral_id": _ids(shorts, r["_c"], "R", r["seq"], 7),
        "authority_code": auth(r["_c"]),
        "referral_date": _dt(r["referral_date"]),
        "priority": _take_str(PRIORITIES, r["priority"]),
        "allocated_date": _dt(r["allocated_date"]),
        "first_assessment_date": _dt(r["first_assessment_date"]),
        "review_start_date": _dt(r["review_start_date"]),
        "closure_date": _dt(r["closure_date"]),
        "closure_reason": pd.Series(r["closure_reason"], dtype="str"),
        "team": pd.Series(r["team"], dtype="str"),
        "age_band": pd.Series(r["age_band"], dtype="str"),
    }, copy=False)
    del r
    c = cat.pop("contacts")
    T["contacts"] = pd.DataFrame({
        "referral_id": _ids(shorts, c["_c"], "R", c["seq"], 7),
        "contact_date": _dt(c["contact_date"]),
        "outcome": _take_str(CONTACT_OUTCOMES, c["outcome"]),
    }).sort_values(["referral_id", "contact_date"], ignore_index=True, kind="stable")

    e = cat.pop("equipment")
    n_e = len(e["owner"])
    # item numbering within each council
    ci = e["_c"]
    first = np.r_[0, np.flatnonzero(np.diff(ci)) + 1]
    counts = np.diff(np.r_[first, n_e])
    seq = np.arange(n_e) - np.repeat(first, counts)
    ref_ids = _ids(shorts, ci, "R", np.maximum(e["owner"], 0), 7, valid=e["owner"] >= 0)
    T["equipment"] = pd.DataFrame({
        "item_id": _ids(shorts, ci, "I", seq, 8),
        "authority_code": auth(ci),
        "referral_id": ref_ids,
        "catalogue_code": _take_str(CATALOGUE_CODES, e["code"]),
        "item_value_gbp": e["value"].astype("float64"),
        "from_recycled_stock": e["recycled"].astype(bool),
        "ordered_date": _dt(e["ordered_date"]),
        "decision_date": _dt(e["decision_date"]),
        "delivered_date": _dt(e["delivered_date"]),
        "collection_requested_date": _dt(e["collection_requested_date"]),
        "collected_date": _dt(e["collected_date"]),
        "collection_outcome": _take_str(COLLECTION_OUTCOMES, e["outcome"]),
    }, copy=False)

    del e, ref_ids, seq, ci
    w = cat.pop("workforce")
    T["workforce"] = pd.DataFrame({
        "authority_code": auth(w["_c"]),
        "snapshot_date": _dt(w["snapshot_date"]),
        "role": _take_str(ROLES, w["role"]),
        "establishment_wte": w["establishment_wte"].astype(float),
        "in_post_wte": w["in_post_wte"].astype(float),
        "agency_wte": w["agency_wte"].astype(float),
    })
    v = cat.pop("vacancies")
    roles_up = np.array([r_.upper() for r_ in ROLES])
    post_id = pd.Series(pc.binary_join_element_wise(
        pa.array(roles_up[v["role"]].tolist()) if len(v["role"]) else pa.array([], pa.string()),
        pc.utf8_lpad(pc.cast(pa.array(v["post"].astype(np.int64) + 1), pa.string()), 3, "0"), "-"), dtype="str")
    T["vacancies"] = pd.DataFrame({
        "authority_code": auth(v["_c"]),
        "post_id": post_id,
        "role": _take_str(ROLES, v["role"]),
        "vacant_from": _dt(v["vacant_from"]),
        "filled_on": _dt(v["filled_on"]),
    }).sort_values(["authority_code", "post_id", "vacant_from"], ignore_index=True)

    k = cat.pop("complaints")
    base = _ids(shorts, k["_c"], "K", k["parent"], 7)
    T["complaints"] = pd.DataFrame({
        "complaint_id": base + "-" + pd.Series(k["stage"].astype(str), dtype="str"),
        "authority_code": auth(k["_c"]),
        "stream": _take_str(COMPLAINT_STREAMS, k["stream"]),
        "stage": pd.array(k["stage"], dtype="Int64"),
        "received_date": _dt(k["received_date"]),
        "due_date": _dt(k["due_date"]),
        "responded_date": _dt(k["responded_date"]),
        "outcome": pd.Series(k["outcome"], dtype="str"),
        "ombudsman_referred_date": _dt(k["ombudsman_referred_date"]),
        "ombudsman_decision": pd.Series(k["ombudsman_decision"], dtype="str"),
        "ombudsman_decided_date": _dt(k["ombudsman_decided_date"]),
        "remedy_gbp": k["remedy_gbp"].astype(float),
        "recommendations_due": pd.array(np.where(k["recommendations_due"] < 0, None, k["recommendations_due"]), dtype="Int64"),
        "recommendations_complied": pd.array(np.where(k["recommendations_complied"] < 0, None, k["recommendations_complied"]), dtype="Int64"),
    }).sort_values(["authority_code", "received_date", "complaint_id"], ignore_index=True)

    f = cat.pop("finance")
    T["finance"] = pd.DataFrame({
        "authority_code": auth(f["_c"]),
        "period": pd.Series(f["period"], dtype="str"),
        "ot_staff_cost_gbp": f["ot_staff_cost_gbp"].astype(float),
        "ot_overhead_gbp": f["ot_overhead_gbp"].astype(float),
        "equipment_gross_gbp": f["equipment_gross_gbp"].astype(float),
        "equipment_income_gbp": f["equipment_income_gbp"].astype(float),
    })
    a = cat.pop("adaptations")
    na = len(a["owner"])
    ca = a["_c"]
    firsta = np.r_[0, np.flatnonzero(np.diff(ca)) + 1] if na else np.array([], dtype=int)
    seqa = np.arange(na) - np.repeat(firsta, np.diff(np.r_[firsta, na])) if na else np.array([], dtype=int)
    T["adaptations"] = pd.DataFrame({
        "adaptation_id": _ids(shorts, ca, "A", seqa, 6),
        "authority_code": auth(ca),
        "referral_id": _ids(shorts, ca, "R", a["owner"], 7),
        "urgency": _take_str(("urgent", "non_urgent"), np.where(a["urgent"], 0, 1)),
        "recommended_date": _dt(a["recommended_date"]),
        "completed_date": _dt(a["completed_date"]),
        "cost_gbp": a["cost_gbp"].astype(float),
    })
    o = cat.pop("outcomes")
    T["outcomes"] = pd.DataFrame({
        "referral_id": _ids(shorts, o["_c"], "R", o["owner"], 7),
        "authority_code": auth(o["_c"]),
        "score_start": o["score_start"].astype(float),
        "score_end": o["score_end"].astype(float),
        "completed_date": _dt(o["completed_date"]),
    })
    for name, df in T.items():
        want = TABLES[name].column_names
        if name == "complaints":  # the pack's columns are added by _complaints_pack
            want = [c for c in want if c not in PACK_COLUMNS]
        assert list(df.columns) == want, name
    return T


def _pack_rng(seed: int, code: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(PACK_SALT.encode()), zlib.crc32(code.encode())])


def _complaints_pack(k: pd.DataFrame, truth: dict, win: dict) -> tuple[pd.DataFrame, dict]:
    """The complaints pack's columns (:data:`PACK_COLUMNS`) for the generated complaints.

    Each council's values come from a random stream of their own (``seed``, the salt
    :data:`PACK_SALT` and the council's ONS code), drawn after everything else, so the other
    complaints columns and every other table are exactly what they are without the pack. One
    loop over councils; none over complaints.

    * ``theme`` and ``team``: one per complaint (a stage-2 row shares its stage-1 row's), team
      from the council's team mix, theme from its theme mix; for the home council complaints
      about :data:`HOTSPOT`'s team are more often about its theme.
    * ``joint_with_nhs``: Y with the council's probability for the stream, N otherwise.
    * ``ombudsman_reference``: for every complaint the Ombudsman took, ``"YY NNN NNN"`` (the year
      it was referred, six digits unique within the council).
    * Upheld Ombudsman decisions: ``remedy_before_decision`` Y with the council's probability
      (the remedy was completed between the council's response and the decision, and nothing is
      due after it); otherwise N, a ``remedy_due_date`` one or three months after the decision,
      and a ``remedy_completed_date`` by then with the council's on-time probability, late
      otherwise (blank when that is after the data end). Other rows leave the remedy columns
      blank.

    Returns the table and the ``complaints_pack`` entry of the truth.
    """
    seed, end = int(truth["seed"]), win["end"]
    n = len(k)
    theme = np.full(n, None, dtype=object)
    team = np.full(n, None, dtype=object)
    joint = np.zeros(n, dtype=bool)
    ref = np.full(n, None, dtype=object)
    r_due = np.full(n, NAT, dtype="datetime64[D]")
    r_done = np.full(n, NAT, dtype="datetime64[D]")
    before = np.full(n, -1, dtype=np.int8)  # -1 blank, 0 N, 1 Y
    stream_i = _category_index(k["stream"], COMPLAINT_STREAMS)
    responded = k["responded_date"].to_numpy(dtype="datetime64[D]")
    referred = k["ombudsman_referred_date"].to_numpy(dtype="datetime64[D]")
    decided = k["ombudsman_decided_date"].to_numpy(dtype="datetime64[D]")
    upheld = k["ombudsman_decision"].eq("upheld").to_numpy(dtype=bool, na_value=False)
    base_id = k["complaint_id"].str.rsplit("-", n=1).str[0]
    auth = k["authority_code"].to_numpy(dtype=object)
    councils: dict = {}
    for ci, code in enumerate(truth["authorities"]):
        rows = np.flatnonzero(auth == code)
        rng = _pack_rng(seed, code)
        q = float(truth["councils"][code]["quality_score"])
        theme_mix = rng.dirichlet(BASE_THEME_MIX * 200)
        team_mix = rng.dirichlet(np.full(len(TEAMS), 40.0))
        p_joint = np.clip(BASE_JOINT_NHS * np.exp(rng.normal(0, 0.2, 3)), 0, 0.5)
        p_sat = _clip(BASE_SATISFACTORY_REMEDY + 0.04 * q + rng.normal(0, 0.03), 0.02, 0.5)
        p_on_time = _clip(BASE_REMEDY_ON_TIME + 0.08 * q + rng.normal(0, 0.04), 0.3, 0.98)
        hotspot = HOTSPOT if ci == 0 else None
        # one complaint = its stage rows (same base id): draw per complaint, copy to its stages
        comp, first = np.unique(base_id.to_numpy(dtype=object)[rows], return_inverse=True)
        m = len(comp)
        team_c = rng.choice(len(TEAMS), size=m, p=team_mix)
        w = np.broadcast_to(theme_mix, (m, len(COMPLAINT_THEMES))).copy()
        if hotspot is not None:
            hot = team_c == list(TEAMS).index(hotspot["team"])
            w[hot, COMPLAINT_THEMES.index(hotspot["theme"])] *= hotspot["odds_multiplier"]
            w /= w.sum(axis=1, keepdims=True)
        u = rng.random(m)
        theme_c = np.minimum((w.cumsum(axis=1) < u[:, None]).sum(axis=1), len(COMPLAINT_THEMES) - 1)
        joint_u = rng.random(m)
        theme[rows] = np.asarray(COMPLAINT_THEMES, dtype=object)[theme_c[first]]
        team[rows] = TEAMS.astype(object)[team_c[first]]
        joint[rows] = joint_u[first] < p_joint[stream_i[rows]]
        # the Ombudsman's references
        took = rows[~np.isnat(referred[rows])]
        digits = rng.choice(1_000_000, size=len(took), replace=False)
        yy = pd.Series((referred[took].astype("datetime64[Y]").astype(int) + 1970) % 100).astype(str).str.zfill(2)
        hi = pd.Series(digits // 1000).astype(str).str.zfill(3)
        lo = pd.Series(digits % 1000).astype(str).str.zfill(3)
        ref[took] = (yy + " " + hi + " " + lo).to_numpy(dtype=object)
        # remedies of upheld decisions
        up = rows[upheld[rows] & ~np.isnat(decided[rows])]
        sat = rng.random(len(up)) < p_sat
        due_days = rng.choice(REMEDY_DUE_DAYS, size=len(up))
        on_time = rng.random(len(up)) < p_on_time
        span = np.maximum((decided[up] - responded[up]).astype(int), 1)
        done_before = responded[up] + _days(np.floor(rng.random(len(up)) * span))
        early = np.floor(rng.random(len(up)) * due_days).astype(int) + 1
        late = due_days + rng.geometric(1 / 30, len(up))
        due = decided[up] + _days(due_days)
        done_after = _cut(decided[up] + _days(np.where(on_time, early, late)), end)
        before[up] = sat.astype(np.int8)
        r_due[up] = np.where(sat, NAT, due)
        r_done[up] = np.where(sat, done_before, done_after)
        councils[code] = {
            "theme_mix": {t: round(float(x), 4) for t, x in zip(COMPLAINT_THEMES, theme_mix)},
            "team_mix": {t: round(float(x), 4) for t, x in zip(TEAMS.tolist(), team_mix)},
            "p_joint_with_nhs": {s_: round(float(x), 4) for s_, x in zip(COMPLAINT_STREAMS, p_joint)},
            "p_satisfactory_remedy_if_upheld": round(p_sat, 4),
            "p_remedy_on_time": round(p_on_time, 4),
            "hotspot": hotspot,
        }
    out = k.copy()
    out["theme"] = pd.Series(theme, dtype="str")
    out["team"] = pd.Series(team, dtype="str")
    out["joint_with_nhs"] = pd.array(joint, dtype="boolean")
    out["ombudsman_reference"] = pd.Series(ref, dtype="str")
    out["remedy_due_date"] = _dt(r_due)
    out["remedy_completed_date"] = _dt(r_done)
    out["remedy_before_decision"] = pd.array(np.where(before < 0, None, before == 1), dtype="boolean")
    pack = {
        "columns": list(PACK_COLUMNS),
        "random_stream": f"numpy default_rng([seed, crc32({PACK_SALT!r}), crc32(ONS code)])",
        "themes": list(COMPLAINT_THEMES),
        "teams": TEAMS.tolist(),
        "remedy_due_days_after_decision": REMEDY_DUE_DAYS.tolist(),
        "councils": councils,
        "notes": [
            "theme, team and joint_with_nhs are drawn per complaint; a stage-2 row repeats its stage-1 row's.",
            "hotspot (home council only): complaints about that team have their odds of that theme multiplied.",
            "Upheld Ombudsman decisions only: remedy_before_decision Y means the remedy was completed between "
            "the council's response and the decision and nothing was due after it; otherwise a remedy is due "
            "remedy_due_days_after_decision after the decision and completed on time with p_remedy_on_time.",
        ],
    }
    return out, pack


def _category_index(values: pd.Series, levels) -> np.ndarray:
    """Position of each value in ``levels`` (-1 for anything else)."""
    lut = {v: i for i, v in enumerate(levels)}
    return values.map(lut).fillna(-1).to_numpy(dtype=np.int64)


def _truth_for(code: str, row, prm: dict, scale: float, sim: dict, win: dict) -> dict:
    pr = list(PRIORITIES)
    z = {p: float((np.log(PRIORITY_TARGETS[p] + 1) - np.log(prm["median"][i])) / prm["sigma"][i]) for i, p in enumerate(pr)}
    t = {
        "name": str(row["name"]),
        "performance": prm["performance"],
        "quality_score": round(prm["q"], 4),
        "pop_65_plus": int(row["pop_65_plus"]),
        "pop_18_plus": int(row["pop_18_plus"]),
        "referral_rate_per_1000_65_plus_per_year": round(prm["rate"], 4),
        "effective_referral_rate_per_1000_65_plus_per_year": round(prm["rate"] * scale, 4),
        "expected_referrals_per_year": round(prm["expected_per_year"], 2),
        "referrals_received_in_period": sim["n_referrals_window"],
        "priority_mix": {p: round(float(prm["mix"][i]), 4) for i, p in enumerate(pr)},
        "wait": {
            "distribution": "lognormal",
            "median_days": {p: round(float(prm["median"][i]), 3) for i, p in enumerate(pr)},
            "sigma_log": {p: float(prm["sigma"][i]) for i, p in enumerate(pr)},
            "trend_log_per_year": round(prm["trend"], 4),
            "median_days_after_step": (
                {p: round(float(x), 3) for p, x in zip(pr, prm["median_after"])} if "median_after" in prm else None),
            "p_within_target_at_start": {p: round(float(norm.cdf(z[p])), 4) for p in pr},
        },
        "p_closed_without_assessment": round(prm["p_close"], 4),
        "closure_reason_mix": {r: float(x) for r, x in zip(UNASSESSED_REASONS, UNASSESSED_MIX)},
        "p_review_after_assessment": round(prm["p_review"], 4),
        "p_allocated_before_unassessed_closure": prm["p_alloc_unassessed"],
        "keep_in_touch": {"probability": round(prm["kit_p"], 4), "interval_days": round(prm["kit_interval"], 1),
                          "outcomes": {"p_priority_changed": CONTACT_P_PRIORITY_CHANGED,
                                       "p_no_response": CONTACT_P_NO_RESPONSE,
                                       "p_withdrawal_recorded_at_last_contact": CONTACT_P_WITHDRAWAL_RECORDED}},
        "workforce": {
            "posts": prm["posts"],
            "turnover_per_year": round(prm["turnover"], 4),
            "vacancy_median_days": round(prm["vac_median"], 1),
            "agency_cover_of_vacant_wte": round(prm["agency_cover"], 4),
            "expected_vacancy_rate": round(_expected_vacancy(prm), 4),
            "snapshots": [
                {"snapshot_date": str(d), "role": ROLES[int(r_)], "establishment_wte": float(e),
                 "in_post_wte": float(i), "agency_wte": float(a)}
                for d, r_, e, i, a in zip(sim["workforce"]["snapshot_date"], sim["workforce"]["role"],
                                          sim["workforce"]["establishment_wte"], sim["workforce"]["in_post_wte"],
                                          sim["workforce"]["agency_wte"])
            ],
        },
        "equipment": {
            "items_per_assessment_mean": round(prm["items_mean"], 4),
            "non_referral_item_share": NON_REFERRAL_SHARE,
            "p_delivered_within_7_working_days": round(prm["p_ontime"], 4),
            "p_returned_eventually": round(prm["p_return"], 4),
            "p_reused_if_collected": round(prm["p_reuse"], 4),
            "p_issued_from_recycled_stock": round(prm["p_recycled"], 4),
            "p_collected_within_10_working_days": round(prm["p_collect_ontime"], 4),
            "loan_median_days": prm["loan_median"],
            "price_factor": round(prm["price_factor"], 4),
        },
        "complaints": {
            "rate_per_1000_referrals": {s: round(float(x), 4) for s, x in zip(COMPLAINT_STREAMS, prm["c_rates"])},
            "p_upheld_or_partly": round(prm["p_upheld"], 4),
            "share_fully_upheld_of_upheld_or_partly": 0.4,
            "p_withdrawn": prm["p_withdrawn"],
            "p_responded_on_time": round(prm["p_timely"], 4),
            "p_escalated_stage_2": prm["p_stage2"],
            "p_ombudsman_referral": {s: float(x) for s, x in zip(COMPLAINT_STREAMS, prm["p_omb"])},
            "p_ombudsman_investigated": prm["p_omb_investigated"],
            "p_ombudsman_upheld_if_investigated": round(prm["p_omb_upheld"], 4),
            "p_remedy_if_upheld": prm["p_remedy"],
            "remedy_median_gbp": prm["remedy_median"],
            "p_recommendation_complied": round(prm["p_comply"], 4),
        },
        "costs": {
            "cost_per_wte_quarter_gbp": COST_PER_WTE_QUARTER,
            "overhead_rate": round(prm["overhead_rate"], 4),
            "equipment_overhead_rate": round(prm["equip_overhead"], 4),
            "recycling_credit_rate": prm["credit_rate"],
            "contribution_rate": prm["contribution_rate"],
        },
        "adaptations": {
            "p_per_assessment": round(prm["p_adapt"], 4),
            "p_urgent": prm["p_adapt_urgent"],
            "median_working_days": {"urgent": round(float(prm["adapt_median"][0]), 2),
                                    "non_urgent": round(float(prm["adapt_median"][1]), 2)},
            "cost_median_gbp": prm["adapt_cost_median"],
        },
        "outcomes": {"p_recorded": prm["p_outcome"], "mean_change": round(prm["outcome_change"], 4),
                     "sd_change": prm["outcome_sd"]},
    }
    if code == "E10000027":
        t["note"] = ("Somerset: the pre-2023 county council area, before the 2023 reorganisation (abolished 1 April 2023; "
                     "Somerset Council E06000066 succeeded it). Kept because the CIPFA list (2021-23 "
                     "geography) names it; its synthetic data run on after 2023 as if it still existed.")
    elif code in ("E10000006", "E10000023"):
        t["note"] = "pre-2023 county (abolished 1 April 2023); kept as in the 2021-23 geography"
    return t


def _expected_vacancy(prm: dict) -> float:
    mean_dur = prm["vac_median"] * np.exp(0.6 ** 2 / 2)
    x = prm["turnover"] * mean_dur / 365.25
    return float(x / (1 + x))


def _truth(codes, scheme, seed, scale, win, truth_c, step, selection) -> dict:
    h = truth_c[codes[0]]
    p = step["period"]
    ot_before = h["workforce"]["posts"]["ot"]
    return {
        "synthetic": True,
        "banner": SYNTHETIC_BANNER,
        "generator": GENERATOR,
        "seed": seed,
        "scale": scale,
        "home_authority": codes[0],
        "comparator_scheme": scheme,
        "authorities": codes,
        "authorities_selection": selection,
        "first_period": win["first"].label,
        "last_period": win["last"].label,
        "data_start": str(win["start"]),
        "data_end": str(win["end"]),
        "history_start": str(win["history_start"]),
        "priority_targets_days": PRIORITY_TARGETS,
        "step_change": {
            "authority": codes[0],
            "quarter": p.label,
            "date": str(step["date_D"]),
            "what": (f"{h['name']} doubles its OT posts ({ot_before} -> {2 * ot_before}) on {step['date_D']}: "
                     "the new posts are vacant from that day and filled over the following months; everyone "
                     f"waiting then is assessed within {CLEARANCE_DAYS} days (the list falls), and waits "
                     f"for new referrals are cut to {WAIT_MULTIPLIER_AFTER} x their level at the step date and stop growing"),
            "ot_posts_before": ot_before,
            "ot_posts_after": 2 * ot_before,
            "wait_multiplier_after": WAIT_MULTIPLIER_AFTER,
            "clearance_days": CLEARANCE_DAYS,
            "recruitment_median_days": step["recruitment_median_days"],
            "performance_before": h["performance"],
            "performance_after": "better",
            "wait_trend_log_per_year_before": h["wait"]["trend_log_per_year"],
        },
        "councils": truth_c,
        "notes": [
            "Parameters are the generator's inputs; realised data vary by chance.",
            "Referrals received before data_start appear only if still open at data_start; items "
            "from before it only if collected or asked to be collected during the data period "
            "(referral_id blank when the referral is not in the extract).",
            "E2 (collected / delivered) approaches p_returned_eventually only once loans have had "
            "time to end; early quarters are lower.",
        ],
    }


def _description(truth: dict) -> str:
    names = [truth["councils"][c]["name"] for c in truth["authorities"]]
    s = truth["step_change"]
    txt = (f"Synthetic demonstration data for {names[0]} ({truth['home_authority']}) and "
           f"{len(names) - 1} other councils ({truth['authorities_selection']}), "
           f"{truth['first_period']} to {truth['last_period']}, seed {truth['seed']}, scale {truth['scale']}. "
           f"Step change: {s['what']}. Not real council performance.")
    if "E10000027" in truth["authorities"]:
        txt += (" Somerset E10000027 is the pre-2023 county (the CIPFA list is in 2021-23 geography); "
                "its data are invented as if it still existed.")
    return txt


#: how the Ombudsman's published decisions name the log's streams and decisions (approximately)
OMBUDSMAN_CATEGORY = {"asc_statutory": "Adult care services",
                      "childrens_statutory": "Education & children's services",
                      "corporate": "Corporate & other services"}
OMBUDSMAN_DECISION_TEXT = {"upheld": "Upheld: maladministration and injustice",
                           "not_upheld": "Not upheld: no maladministration",
                           "not_investigated": "Closed after initial enquiries"}


def ombudsman_decisions(complaints: pd.DataFrame, authority: str, *, seed: int = 0, missing_from_log: int = 2,
                        missing_from_list: int = 2, typed_differently: int = 1, no_reference_in_log: int = 1,
                        window_days: int = 14) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The Ombudsman's published decisions for a council, from its synthetic complaints log, with
    planted mismatches (for ``ot-benchmark reconcile-ombudsman``).

    Every decision in the log (a complaint with ``ombudsman_decided_date``) is listed as the
    Ombudsman would publish it (``Reference``, ``Decision date`` written day-first, ``Category``,
    ``Decision``, ``Remedy``: :data:`OMBUDSMAN_CATEGORY`, :data:`OMBUDSMAN_DECISION_TEXT`), dated
    0-2 days after the log's date, except for the planted cases:

    * ``missing_from_list`` of the log's decisions are left out of the list (the council's log
      holds them; the Ombudsman's list does not);
    * ``missing_from_log`` decisions are added to the list that the log does not hold, each dated
      more than twice ``window_days`` from every decision of its category in the log;
    * ``typed_differently`` log entries have their reference typed differently (spaces taken out,
      dashes put in);
    * ``no_reference_in_log`` log entries lose their reference, and the Ombudsman dates them 3 to
      ``window_days`` - 2 days after the log, so only the decision date and category can match
      them.

    The planted cases are chosen so that no date match is ambiguous. Random stream of its own
    (``seed``, ``crc32("ombudsman_decisions")``, the council's code).

    Returns
    -------
    log : DataFrame
        ``complaints`` with the planted changes to ``ombudsman_reference``.
    decisions : DataFrame
        The Ombudsman's list (write it with ``to_csv(index=False)``).
    planted : dict
        ``ombudsman_only`` (references), ``council_only`` (complaint ids), ``typed_differently``
        (the Ombudsman's references), ``no_reference_in_log`` (complaint ids).
    """
    rng = np.random.default_rng([int(seed), zlib.crc32(b"ombudsman_decisions"), zlib.crc32(authority.encode())])
    log = complaints.copy()
    own = log[(log["authority_code"] == authority) & log["ombudsman_decided_date"].notna()
              & log["ombudsman_reference"].notna()].sort_values(["ombudsman_decided_date", "complaint_id"])
    need = missing_from_list + typed_differently + no_reference_in_log
    if len(own) < need + 2:
        raise ParameterError(f"{authority} has {len(own)} Ombudsman decisions in the log; planting {need} mismatches "
                             f"needs at least {need + 2}")
    days = own["ombudsman_decided_date"].to_numpy(dtype="datetime64[D]")
    stream = own["stream"].to_numpy(dtype=object)
    inner = np.arange(1, len(own) - 1)  # the first and last decisions stay, so the span is the log's
    for _ in range(200):  # redraw until no date match could be ambiguous (a few tries)
        pick = rng.choice(inner, size=need, replace=False)
        dropped, typed = pick[:missing_from_list], pick[missing_from_list:missing_from_list + typed_differently]
        noref = pick[missing_from_list + typed_differently:]
        loose = np.r_[dropped, noref]  # log cases that no reference will match
        gaps = np.abs((days[noref][:, None] - days[loose][None, :]).astype(int))
        same = stream[noref][:, None] == stream[loose][None, :]
        if not (same & (gaps <= 2 * window_days) & (noref[:, None] != loose[None, :])).any():
            break
    else:
        raise ParameterError("could not plant unambiguous mismatches: too few Ombudsman decisions far enough apart")
    jitter = rng.integers(0, 3, len(own))
    jitter[noref] = rng.integers(3, max(window_days - 1, 4), len(noref))
    keep = np.setdiff1d(np.arange(len(own)), dropped)
    refs = own["ombudsman_reference"].to_numpy(dtype=object)
    decided = own["ombudsman_decision"].to_numpy(dtype=object)
    remedy_gbp = own["remedy_gbp"].fillna(0).to_numpy(dtype=float)
    before = own["remedy_before_decision"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    remedy = np.where(decided != "upheld", "",
                      np.where(before, "Satisfactory remedy provided by the authority",
                               np.where(remedy_gbp > 0, "Apology; Financial redress", "Apology; Procedure or policy change/review")))
    listed = pd.DataFrame({
        "Reference": refs[keep],
        "Decision date": (days[keep] + jitter[keep].astype("timedelta64[D]")),
        "Category": [OMBUDSMAN_CATEGORY[x] for x in stream[keep]],
        "Decision": [OMBUDSMAN_DECISION_TEXT[x] for x in decided[keep]],
        "Remedy": remedy[keep],
    })
    # decisions the log does not hold: far from every log decision of their category
    lo, hi = days.min(), days.max()
    span = np.arange(lo, hi + np.timedelta64(1, "D"), dtype="datetime64[D]")
    taken = {str(r).replace(" ", "") for r in refs}
    extra_rows = []
    for _ in range(missing_from_log):  # a handful
        s_ = OMBUDSMAN_CATEGORY[str(rng.choice(list(OMBUDSMAN_CATEGORY)))]
        st = next(k for k, v in OMBUDSMAN_CATEGORY.items() if v == s_)
        mine = days[stream == st]
        far = span[np.all(np.abs((span[:, None] - mine[None, :]).astype(int)) > 2 * window_days, axis=1)] if len(mine) else span
        if not len(far):
            far = np.array([hi + np.timedelta64(3 * window_days, "D")])
        when = far[rng.integers(0, len(far))]
        while True:
            d = int(rng.integers(0, 1_000_000))
            ref = f"{int(str(when)[2:4]):02d} {d // 1000:03d} {d % 1000:03d}"
            if ref.replace(" ", "") not in taken:
                taken.add(ref.replace(" ", ""))
                break
        extra_rows.append({"Reference": ref, "Decision date": when, "Category": s_,
                           "Decision": OMBUDSMAN_DECISION_TEXT[str(rng.choice(["upheld", "not_upheld", "not_investigated"]))],
                           "Remedy": ""})
    decisions = pd.concat([listed, pd.DataFrame(extra_rows, columns=listed.columns)], ignore_index=True)
    decisions["Decision date"] = pd.to_datetime(decisions["Decision date"]).dt.strftime("%d/%m/%Y")
    order = pd.to_datetime(decisions["Decision date"], format="%d/%m/%Y").argsort(kind="stable")
    decisions = decisions.iloc[order].reset_index(drop=True)
    # the log's side of the planted cases
    idx = own.index.to_numpy()
    log.loc[idx[typed], "ombudsman_reference"] = [str(r).replace(" ", "")[:2] + "-" + str(r).replace(" ", "")[2:]
                                                  for r in refs[typed]]
    log.loc[idx[noref], "ombudsman_reference"] = None
    planted = {
        "ombudsman_only": [r["Reference"] for r in extra_rows],
        "council_only": own["complaint_id"].to_numpy(dtype=object)[dropped].tolist(),
        "typed_differently": refs[typed].tolist(),
        "no_reference_in_log": own["complaint_id"].to_numpy(dtype=object)[noref].tolist(),
    }
    return log, decisions, planted


def local_returns(truth: dict) -> tuple[pd.DataFrame, dict]:
    """A ``returns`` table of the council's own indicator ``L1_phone_24h`` ("phone messages
    answered within 24 hours", :data:`LOCAL_CATALOGUE`) for every council and quarter of a
    generated folder.

    The numbers come from their own random stream (``seed`` and each council's ONS code, salted
    with the indicator id), so generating them changes no other table. Messages left in a quarter
    are Poisson with mean :data:`LOCAL_MESSAGES_PER_1000` × aged 65+ / 1,000 × scale; each is
    answered within 24 hours with probability ``expit(logit(0.80) + 0.5 × quality_score)`` (the
    home council's log-odds rise by 0.8 from the step quarter). Councils at odd positions of
    ``truth["authorities"]`` supply a value (rounded to 0.1); the others leave it blank, to be
    computed from numerator and denominator.

    Parameters
    ----------
    truth : dict
        The truth returned by :func:`generate` (councils, quality scores, populations, periods).

    Returns
    -------
    returns : DataFrame
        The contract's ``returns`` columns: ``authority_code, period, indicator_id, breakdown,
        numerator, denominator, value, note``.
    local_truth : dict
        The ``local_indicators`` entry of ``synthetic_truth.json`` (see the module docstring).
    """
    iid = str(LOCAL_CATALOGUE.at[0, "indicator_id"])
    codes = list(truth["authorities"])
    labels = [p.label for p in period_range(truth["first_period"], truth["last_period"])]
    step_q = truth["step_change"]["quarter"]
    seed, scale = int(truth["seed"]), float(truth["scale"])
    q = np.array([truth["councils"][c]["quality_score"] for c in codes], dtype="float64")
    pop = np.array([truth["councils"][c]["pop_65_plus"] for c in codes], dtype="float64")
    logit0 = np.log(LOCAL_BASE_RATE / (1 - LOCAL_BASE_RATE)) + LOCAL_QUALITY_EFFECT * q
    nc, nq = len(codes), len(labels)
    after = np.zeros((nc, nq), dtype=bool)
    after[0, :] = np.array(labels) >= step_q  # the home council is first; labels sort in time order
    p = 1.0 / (1.0 + np.exp(-(logit0[:, None] + LOCAL_STEP_EFFECT * after)))
    lam = np.broadcast_to((LOCAL_MESSAGES_PER_1000 * pop / 1000.0 * scale)[:, None], (nc, nq))
    salt = zlib.crc32(iid.encode())
    # one independent stream per council (a loop over councils, not cases): no other table's
    # stream is touched, and a council's figures do not depend on which others are generated
    draws = [np.random.default_rng([seed, salt, zlib.crc32(c.encode())]) for c in codes]
    den = np.stack([g.poisson(lam[i]) for i, g in enumerate(draws)]).astype("float64")
    num = np.stack([g.binomial(den[i].astype("int64"), p[i]) for i, g in enumerate(draws)]).astype("float64")
    supplied = (np.arange(nc) % 2 == 1)[:, None] & (den > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(supplied, np.round(100.0 * num / den, 1), np.nan)
    returns = pd.DataFrame({
        "authority_code": pd.Series(np.repeat(codes, nq), dtype="str"),
        "period": pd.Series(np.tile(labels, nc), dtype="str"),
        "indicator_id": pd.Series(np.full(nc * nq, iid), dtype="str"),
        "breakdown": pd.Series(np.full(nc * nq, "all"), dtype="str"),
        "numerator": num.ravel(),
        "denominator": den.ravel(),
        "value": value.ravel(),
        "note": pd.Series([None] * (nc * nq), dtype="str"),
    })
    home_after = 1.0 / (1.0 + np.exp(-(logit0[0] + LOCAL_STEP_EFFECT)))
    local_truth = {iid: {
        "name": str(LOCAL_CATALOGUE.at[0, "name"]),
        "catalogue": LOCAL_CATALOGUE_FILE,
        "messages_per_1000_65_plus_per_quarter": LOCAL_MESSAGES_PER_1000,
        "true_rate": {c: round(float(v), 4) for c, v in zip(codes, 1.0 / (1.0 + np.exp(-logit0)))},
        "home_true_rate_from_step": round(float(home_after), 4),
        "step_quarter": step_q,
        "value_supplied_for": [c for i, c in enumerate(codes) if i % 2 == 1],
        "random_stream": f"numpy default_rng([seed, crc32({iid!r}), crc32(ONS code)])",
    }}
    return returns, local_truth


def write_folder(out_dir, home: str = "E10000017", group="cipfa", first_year=2022, last_year=2024,
                 seed: int = 0, scale: float = 1.0, authorities=None, *, fmt: str = "parquet",
                 progress: bool = False, local_indicators: bool = False) -> dict:
    """Generate a synthetic data folder and write it.

    Writes ``<table>.parquet`` (or ``<table>.csv``: ISO dates, ``Y``/``N`` booleans) for every
    contract table, ``metadata.json`` (``synthetic``, ``banner``, ``home_authority``,
    ``comparator_scheme``, ``generator``, ``seed``, ``scale``, ``rows``, ``description``, ...) and
    ``synthetic_truth.json`` (see the module docstring). Table files of the other format are
    removed so the folder holds one copy; other files (a ``README.md``) are left alone.

    Parameters
    ----------
    out_dir : path
        Folder to write (created if missing).
    home, group, first_year, last_year, seed, scale, authorities
        As for :func:`generate`.
    fmt : {"parquet", "csv"}
    progress : bool
        Print one line per council.
    local_indicators : bool
        Also write a council's own indicator: ``returns.<fmt>`` (:func:`local_returns`) and its
        catalogue ``local_indicators.csv`` (name it in the settings: ``local_catalogue =
        "local_indicators.csv"``), and record its truth under ``local_indicators``. Every other
        file's bytes are the same as without it (its own random stream).

    Returns
    -------
    dict
        The metadata written to ``metadata.json``.
    """
    if fmt not in ("parquet", "csv"):
        raise ParameterError(f"format must be 'parquet' or 'csv', not {fmt!r}")
    tables, truth = generate(home, group, first_year, last_year, seed, scale, authorities, progress=progress)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name in TABLE_ORDER:
        df = tables[name]
        for other in ("parquet", "csv"):
            stale = out / f"{name}.{other}"
            if other != fmt and stale.exists():
                stale.unlink()
        path = out / f"{name}.{fmt}"
        if fmt == "parquet":
            df.to_parquet(path, index=False, compression="zstd")
        else:
            d = df.copy()
            for col in d.columns:
                if pd.api.types.is_datetime64_any_dtype(d[col]):
                    d[col] = d[col].dt.strftime("%Y-%m-%d")
                elif pd.api.types.is_bool_dtype(d[col]):  # a blank (pandas NA) stays blank
                    d[col] = d[col].astype("object").map({True: "Y", False: "N"})
            d.to_csv(path, index=False)
        rows[name] = len(df)
    if local_indicators:
        ret, local_truth = local_returns(truth)
        path = out / f"returns.{fmt}"
        for other in ("parquet", "csv"):
            stale = out / f"returns.{other}"
            if other != fmt and stale.exists():
                stale.unlink()
        if fmt == "parquet":
            ret.to_parquet(path, index=False, compression="zstd")
        else:
            ret.to_csv(path, index=False)
        LOCAL_CATALOGUE.to_csv(out / LOCAL_CATALOGUE_FILE, index=False)
        rows["returns"] = len(ret)
        truth = {**truth, "local_indicators": local_truth}
    meta = {
        "synthetic": True,
        "banner": SYNTHETIC_BANNER,
        "home_authority": truth["home_authority"],
        "comparator_scheme": truth["comparator_scheme"],
        "authorities": truth["authorities"],
        "authorities_selection": truth["authorities_selection"],
        "first_period": truth["first_period"],
        "last_period": truth["last_period"],
        "generator": GENERATOR,
        "seed": truth["seed"],
        "scale": truth["scale"],
        "format": fmt,
        "rows": rows,
        "description": _description(truth),
    }
    (out / "metadata.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "synthetic_truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False, default=str) + "\n",
                                              encoding="utf-8")
    return meta
