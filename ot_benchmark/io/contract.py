"""The data contract: the files and columns a council's data folder must hold.

This module is the single source of truth for the column names users map their case-management
exports onto. The validator (:mod:`ot_benchmark.io.validate`), the synthetic generator
(:mod:`ot_benchmark.io.synth`), the indicator engine and ``docs/data_contract.md`` all read it.

Column kinds
------------
``id``        free text identifier, stripped; never empty when ``nullable`` is False
``code``      an ONS GSS authority code (``E10000017``); upper-cased, spaces removed, must be a
              council in the reference data
``date``      a calendar date (ISO ``2024-04-03``, UK ``03/04/2024`` = 3 April, or an Excel serial);
              loaded as ``datetime64[ns]`` at midnight; never in the future
``category``  one of ``allowed`` (lower-cased, spaces/hyphens to underscores; ``aliases`` map
              legacy spellings, e.g. FACS bands onto the priority scheme)
``number``    a finite float (``£`` and thousands separators stripped); ``min_value`` and
              ``plausible_max`` enforced (``inf``/``nan`` are rejected)
``int``       a whole number; ``min_value`` and ``plausible_max`` enforced
``bool``      ``Y/N``, ``yes/no``, ``true/false``, ``1/0``
``period``    a period label, canonicalised (``2024-25 Q2``); ``period_kinds`` says which kinds a
              column takes: quarters only (``finance``) or also financial years (``2022-23``)
              and months (``May 2024``) (``returns``)
``text``      free text
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ColumnSpec",
    "TableSpec",
    "TABLES",
    "PRIORITIES",
    "PRIORITY_ALIASES",
    "CLOSURE_REASONS",
    "CONTACT_OUTCOMES",
    "ROLES",
    "COMPLAINT_STREAMS",
    "COMPLAINT_OUTCOMES",
    "OMBUDSMAN_DECISIONS",
    "COMPLAINT_THEMES",
    "COLLECTION_OUTCOMES",
    "ADAPTATION_URGENCY",
    "table_spec",
    "format_limit",
]

PRIORITIES = ("urgent", "high", "medium", "low")
# Legacy FACS bands map onto the default scheme (INDICATORS.md, family W).
PRIORITY_ALIASES = {
    "critical": "urgent",
    "substantial": "high",
    "moderate": "medium",
}
CLOSURE_REASONS = ("assessed_and_closed", "withdrawn", "died", "moved", "met_elsewhere", "other")
# What came of a keep-in-touch contact (W7_changed counts priority_changed and withdrawn).
CONTACT_OUTCOMES = ("still_waiting", "priority_changed", "withdrawn", "no_response")
ROLES = ("ot", "ota", "other")
COMPLAINT_STREAMS = ("asc_statutory", "childrens_statutory", "corporate")
COMPLAINT_OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "withdrawn")
OMBUDSMAN_DECISIONS = ("upheld", "not_upheld", "not_investigated")
# What a complaint was about (the learning themes of a council's annual complaints report); a
# council's own theme codes are mapped onto these (docs/data_contract.md, "Mapping your export").
COMPLAINT_THEMES = ("delay", "communication", "disputed_decision", "quality_of_service", "staff_conduct",
                    "equipment_adaptations", "charging", "other")
COLLECTION_OUTCOMES = ("reused", "scrapped")
ADAPTATION_URGENCY = ("urgent", "non_urgent")

# Plausible maxima: a value above one is rejected as implausible (a typing error, pence entered
# as pounds, a stray Excel total) rather than allowed to swamp a mean or a cost per item.
MAX_ITEM_GBP = 100_000  # one item of community equipment (a ceiling-track hoist is ~£5,000)
MAX_WTE = 1_000  # staff of one role in one council's OT service, whole-time equivalent
MAX_REMEDY_GBP = 1_000_000  # one complaint's financial remedy
MAX_COUNT = 1_000  # recommendations on one complaint
MAX_QUARTER_GBP = 1_000_000_000  # a quarter's OT or equipment spend of one council
MAX_ADAPTATION_GBP = 1_000_000  # one major adaptation (the mandatory DFG limit is £30,000)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str
    description: str
    example: object
    required: bool = True  # must the column be present in the file? (not if it may be blank)
    nullable: bool = False  # may a value be blank?
    allowed: tuple[str, ...] | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    min_value: float | None = None
    unique: bool = False
    # values above this are rejected as implausible (typing errors, pence entered as pounds):
    # an equipment item above £100,000, a WTE above 1,000
    plausible_max: float | None = None

    @property
    def may_be_absent(self) -> bool:
        """A column whose values may all be blank may also be left out of the file."""
        return self.nullable or not self.required
    period_kinds: tuple[str, ...] = ("quarter",)  # for kind "period": the kinds of period allowed


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    required: bool
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()  # columns that together must be unique (duplicate ids are rejected)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Columns a file must have: required and never blank (a column that may be blank may
        be absent, and is then read as blank in every row)."""
        return [c.name for c in self.columns if not c.may_be_absent]

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


C = ColumnSpec
AUTH = C("authority_code", "code", "ONS GSS code of the council", "E10000017")

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in [
        TableSpec(
            "referrals",
            "One row per OT referral (request for assessment).",
            True,
            (
                C("referral_id", "id", "Case identifier, unique within the file", "R000123", unique=True),
                AUTH,
                C("referral_date", "date", "Date the request or referral was received (the clock starts here)", "2024-04-03"),
                C("priority", "category", "Priority band at triage", "high", allowed=PRIORITIES, aliases=PRIORITY_ALIASES),
                C("allocated_date", "date", "Date allocated to a worker", "2024-04-20", nullable=True),
                C("first_assessment_date", "date", "Date of the first OT assessment (the clock stops here)", "2024-05-01", nullable=True),
                C("review_start_date", "date", "Date the case moved to review/monitoring status", "", nullable=True),
                C("closure_date", "date", "Date the case was closed", "2024-06-14", nullable=True),
                C("closure_reason", "category", "Why the case closed (blank while open)", "assessed_and_closed", nullable=True, allowed=CLOSURE_REASONS),
                C("team", "text", "Team (optional)", "North", required=False, nullable=True),
                C("age_band", "text", "Age band (optional)", "65-74", required=False, nullable=True),
            ),
            key=("referral_id",),
        ),
        TableSpec(
            "contacts",
            "Keep-in-touch contacts with people waiting (optional).",
            False,
            (
                C("referral_id", "id", "Referral the contact belongs to", "R000123"),
                C("contact_date", "date", "Date of the contact", "2024-09-01"),
                C("outcome", "category", "What came of the contact (optional)", "still_waiting", required=False,
                  nullable=True, allowed=CONTACT_OUTCOMES),
            ),
        ),
        TableSpec(
            "equipment",
            "One row per item of community equipment issued.",
            False,
            (
                C("item_id", "id", "Item issue identifier, unique", "I0004567", unique=True),
                AUTH,
                C("referral_id", "id", "Referral the item was prescribed for", "R000123", nullable=True),
                C("catalogue_code", "text", "Equipment catalogue code", "BATH-001"),
                C("item_value_gbp", "number", "Catalogue value of the item in £", 45.5, min_value=0, plausible_max=MAX_ITEM_GBP),
                C("from_recycled_stock", "bool", "Issued from recycled (returned) stock", "N"),
                C("ordered_date", "date", "Prescription / order date", "2024-05-02"),
                C("decision_date", "date", "Assessment decision date", "2024-05-01", nullable=True),
                C("delivered_date", "date", "Delivered to the person", "2024-05-08", nullable=True),
                C("collection_requested_date", "date", "Collection requested", "", nullable=True),
                C("collected_date", "date", "Collected back from the person", "", nullable=True),
                C("collection_outcome", "category", "What happened to the collected item", "", nullable=True, allowed=COLLECTION_OUTCOMES),
            ),
            key=("item_id",),
        ),
        TableSpec(
            "workforce",
            "OT workforce snapshot, one row per council, date and role.",
            False,
            (
                AUTH,
                C("snapshot_date", "date", "Date of the snapshot", "2024-06-30"),
                C("role", "category", "Role", "ot", allowed=ROLES),
                C("establishment_wte", "number", "Funded establishment, whole-time equivalent", 40.0, min_value=0, plausible_max=MAX_WTE),
                C("in_post_wte", "number", "Substantive staff in post, WTE", 34.6, min_value=0, plausible_max=MAX_WTE),
                C("agency_wte", "number", "Agency staff, WTE", 2.0, min_value=0, plausible_max=MAX_WTE),
            ),
            key=("authority_code", "snapshot_date", "role"),
        ),
        TableSpec(
            "vacancies",
            "One row per vacancy episode of a post.",
            False,
            (
                AUTH,
                C("post_id", "id", "Post identifier", "OT-017"),
                C("role", "category", "Role", "ot", allowed=ROLES),
                C("vacant_from", "date", "Date the post fell vacant", "2024-01-15"),
                C("filled_on", "date", "Date the post was filled (blank while vacant)", "", nullable=True),
            ),
            key=("authority_code", "post_id", "vacant_from"),
        ),
        TableSpec(
            "complaints",
            "One row per complaint (per stage).",
            False,
            (
                C("complaint_id", "id", "Complaint identifier", "C00042", unique=True),
                AUTH,
                C("stream", "category", "Complaints procedure", "asc_statutory", allowed=COMPLAINT_STREAMS),
                C("stage", "int", "Stage (1, 2 or 3)", 1, min_value=1, plausible_max=3),
                C("received_date", "date", "Date received", "2024-05-10"),
                C("due_date", "date", "Response due (agreed date for adult statutory)", "2024-06-07", nullable=True),
                C("responded_date", "date", "Date of the response", "2024-06-03", nullable=True),
                C("outcome", "category", "Outcome", "not_upheld", nullable=True, allowed=COMPLAINT_OUTCOMES),
                C("ombudsman_referred_date", "date", "Date the Ombudsman took the complaint", "", nullable=True),
                C("ombudsman_decision", "category", "Ombudsman decision", "", nullable=True, allowed=OMBUDSMAN_DECISIONS),
                C("ombudsman_decided_date", "date", "Date of the Ombudsman decision", "", nullable=True),
                C("remedy_gbp", "number", "Financial remedy paid, £", "", nullable=True, min_value=0, plausible_max=MAX_REMEDY_GBP),
                C("recommendations_due", "int", "Ombudsman recommendations due", "", nullable=True, min_value=0, plausible_max=MAX_COUNT),
                C("recommendations_complied", "int", "Recommendations complied with", "", nullable=True, min_value=0, plausible_max=MAX_COUNT),
                C("theme", "category", "What the complaint was about (optional)", "delay", required=False, nullable=True,
                  allowed=COMPLAINT_THEMES),
                C("team", "text", "Team complained about (optional)", "North", required=False, nullable=True),
                C("joint_with_nhs", "bool", "A joint complaint with the NHS (optional; blank = no)", "N", required=False,
                  nullable=True),
                C("ombudsman_reference", "id", "The Ombudsman's case reference (optional)", "", required=False,
                  nullable=True),
                C("remedy_due_date", "date", "Date the remedy agreed with the Ombudsman is due (optional)", "",
                  required=False, nullable=True),
                C("remedy_completed_date", "date", "Date the remedy was completed (optional)", "", required=False,
                  nullable=True),
                C("remedy_before_decision", "bool", "The council had already provided a satisfactory remedy before "
                  "the Ombudsman's decision (optional; for upheld decisions)", "", required=False, nullable=True),
            ),
            key=("complaint_id",),
        ),
        TableSpec(
            "finance",
            "Quarterly OT and equipment spend.",
            False,
            (
                AUTH,
                C("period", "period", "Financial-year quarter", "2024-25 Q1"),
                C("ot_staff_cost_gbp", "number", "OT staff cost, £ (direct)", 412000, min_value=0, plausible_max=MAX_QUARTER_GBP),
                C("ot_overhead_gbp", "number", "OT overheads, £ (for the fully absorbed cost)", 61000, min_value=0, plausible_max=MAX_QUARTER_GBP),
                C("equipment_gross_gbp", "number", "Equipment gross spend, £", 950000, min_value=0, plausible_max=MAX_QUARTER_GBP),
                C("equipment_income_gbp", "number", "Equipment income (recycling credit, contributions), £", 120000, min_value=0, plausible_max=MAX_QUARTER_GBP),
            ),
            key=("authority_code", "period"),
        ),
        TableSpec(
            "adaptations",
            "Major adaptations (DFG) recommended by OTs (optional).",
            False,
            (
                C("adaptation_id", "id", "Adaptation identifier", "A0091", unique=True),
                AUTH,
                C("referral_id", "id", "Referral", "R000123", nullable=True),
                C("urgency", "category", "Urgency", "non_urgent", allowed=ADAPTATION_URGENCY),
                C("recommended_date", "date", "OT recommendation date", "2024-02-01"),
                C("completed_date", "date", "Works completed", "2024-08-30", nullable=True),
                C("cost_gbp", "number", "Cost, £", 7400, nullable=True, min_value=0, plausible_max=MAX_ADAPTATION_GBP),
            ),
            key=("adaptation_id",),
        ),
        TableSpec(
            "outcomes",
            "Self-assessed outcome scores at start and end of intervention (optional).",
            False,
            (
                C("referral_id", "id", "Referral", "R000123", unique=True),
                AUTH,
                C("score_start", "number", "Score at start", 4.0),
                C("score_end", "number", "Score at end", 7.0),
                C("completed_date", "date", "Intervention completed", "2024-07-19"),
            ),
            key=("referral_id",),
        ),
        TableSpec(
            "returns",
            "Comparator councils' aggregate returns: the same shape as the indicator table.",
            False,
            (
                AUTH,
                C("period", "period", "Financial year (2022-23), financial-year quarter (2024-25 Q1) or month "
                  "(May 2024) the figure is for", "2024-25 Q1", period_kinds=("year", "quarter", "month")),
                C("indicator_id", "id", "Indicator id from the catalogue", "W5"),
                C("breakdown", "text", "Breakdown (default all)", "all", required=False, nullable=True),
                C("numerator", "number", "Numerator (a value-only figure, as many published measures are, "
                  "may leave it out)", 412, required=False, nullable=True),
                C("denominator", "number", "Denominator (may be left out with the numerator)", 530, required=False,
                  nullable=True),
                C("value", "number", "Value (computed from numerator and denominator when blank)", 77.7, nullable=True),
                C("note", "text", "Note", "", required=False, nullable=True),
            ),
            key=("authority_code", "period", "indicator_id", "breakdown"),
        ),
    ]
}

# A data folder needs referrals (or, for a folder of aggregate figures only, returns);
# everything else is optional but feeds its own family.
REQUIRED_TABLES = tuple(name for name, t in TABLES.items() if t.required)


def table_spec(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; the data contract has: {', '.join(TABLES)}") from None


_KIND_TYPES = {
    "id": "identifier (text)", "code": "ONS authority code", "date": "date", "category": "category",
    "number": "number", "int": "whole number", "bool": "yes/no", "period": "quarter label", "text": "text",
}


def to_markdown() -> str:
    """The contract as Markdown tables (the generated part of ``docs/data_contract.md``)."""

    def cell(x) -> str:
        return str(x).replace("|", "\\|")

    out = []
    for t in TABLES.values():
        out.append(f"### `{t.name}` ({'required' if t.required else 'optional'})\n")
        out.append(t.description + (f" Unique key: {', '.join(f'`{k}`' for k in t.key)}." if t.key else "") + "\n")
        out.append("| column | type | column required | may be blank | allowed values | description | example |")
        out.append("|---|---|---|---|---|---|---|")
        for c in t.columns:
            allowed = ", ".join(f"`{a}`" for a in c.allowed) if c.allowed else ""
            if c.aliases:
                allowed += " (also read: " + ", ".join(f"`{k}` → `{v}`" for k, v in c.aliases.items()) + ")"
            if c.min_value is not None:
                allowed = (allowed + "; " if allowed else "") + f"≥ {c.min_value:g}"
            if c.plausible_max is not None:
                allowed = (allowed + ", " if allowed else "") + f"≤ {format_limit(c.plausible_max, c.name)}"
            typ = _KIND_TYPES[c.kind] + (", unique" if c.unique else "")
            if c.kind == "period" and tuple(c.period_kinds) != ("quarter",):
                typ = "period label (year, quarter or month)"
            out.append(f"| `{c.name}` | {typ} | {'no' if c.may_be_absent else 'yes'} | {'yes' if c.nullable else 'no'} | "
                       f"{cell(allowed)} | {cell(c.description)} | {cell(c.example)} |")
        out.append("\nExample:\n")
        out.append("```csv")
        out.append(",".join(t.column_names))
        out.append(",".join(_csv_cell(c.example) for c in t.columns))
        out.append("```\n")
    return "\n".join(out)


def format_limit(x: float, column: str = "") -> str:
    """``100000`` -> ``'100,000'`` (``'£100,000'`` for a column in £)."""
    text = f"{int(x):,}" if float(x).is_integer() else f"{x:,}"
    return ("£" if column.endswith("_gbp") else "") + text


def _csv_cell(x) -> str:
    s = "" if x is None else str(x)
    return f'"{s}"' if ("," in s or '"' in s) else s
