"""The words that open each part of the quarterly report: its heading and introduction.

They are Markdown, shown by :func:`ot_benchmark.report.sections.heading`, which leaves out the
part of a family the council has no figures for (so it has no heading and no entry in the
contents list). Where they name the report's periods they hold placeholders — ``{period}``
("quarter", "year", "month"), ``{periods}``, ``{Period}``, ``{period by period}`` — put in the
words of the run's periods by the one rule :func:`ot_benchmark.periods.period_words`
(:meth:`~ot_benchmark.periods.PeriodWords.fill`).

:data:`PARTS` maps a part's key to its text: ``summary``, ``gap``, ``teams``, ``km``,
``capacity``, ``about``, and a catalogue family's letter for the parts of the families (``W``,
``C``, ``E``, ``K``, ``U``, ``A``, ``O``).
"""

from __future__ import annotations

__all__ = ["PARTS", "FAMILY_PARTS", "PACK_TITLES", "pack_title"]

#: The families with a part of their own, in the report's order.
FAMILY_PARTS = ("W", "C", "E", "K", "U", "A", "O")

PARTS = {
    "summary": """## Summary

One row per measure; the definitions are at the end of the report.
**This council** is the council's figure for the {period}; under it is the count it rests on (627 of 745 people). The **Comparator group**'s figure says what it is: *pooled*
(all the group's councils' numbers added up, as a national figure is) or the *median* of the councils'
figures, and over how many councils.

**Compared with the group** is the one verdict on the figure, the same one the sentences and the chart
captions give: ✔ *Better*, ● *Similar*, ✖ *Worse*; ↑ *Higher* or ↓ *Lower* where neither is better;
*(small numbers)* when it rests on fewer than 30 people or events and can swing widely.
**Judged by** says what the verdict rests on: *Confidence interval*, the council's 95% interval
against the group figure; *Widened funnel (φ)*, funnel limits widened because councils differ more
than chance alone explains (φ, the dispersion ratio, is above 1), so a difference councils usually
have is not called better or worse; *Distance from median*, for a figure with no interval, how many
median absolute deviations (MAD) it lies from the group median, with its band (broadly similar within
0.5; somewhat above or below to 1.5; above or below to 3; well above or below to 7.5; far above or
below beyond): only a distance beyond 3 is called better or worse. **Rank** 1 is the best council.

**Latest {period} (SPC)** reads the council's own {periods} as NHS "Making Data Count" charts do: a grey
icon is normal variation; blue an improvement, orange a concern and purple an unusual change that is
neither, with H or L for high or low. Under **Target**, the assurance icon says whether the target will
be met at the current level of variation: P consistently passing, F consistently failing, ? hit and
miss. Neither is given beside a figure that is missing or not published. Figures marked [c] rest on
fewer than 5 people or events and are not published.""",

    "gap": """## The gap to the best performers

For each headline measure, how far the council is from the best quarter of its comparator group (the
councils whose figures are better than three quarters of the group's), and what closing the gap would mean
in the {period}: people assessed in time, items returned for reuse, complaints answered on time.""",

    "W": """## Waiting for an OT assessment

How many people are waiting, how long they have waited, and how quickly people were assessed. The measures \
of people **still waiting** are shown beside the measures of people **assessed in the {period}**: completed \
waits alone can look better when long waiters are cleared.""",

    "teams": """### Teams

The council's teams side by side this {period}. Teams serve different areas and caseloads, so read
differences with care.""",

    "km": """### How quickly people are assessed, by priority

Kaplan–Meier curves follow everyone referred in the last four quarters, counting people still waiting too
(a completed-wait median alone leaves them out): each curve is the share of that priority's referrals still
waiting after a given number of days.""",

    "capacity": """## What it would take to clear the list

From the council's own referrals, assessments, closures and OT staff: how long the list would take to clear
at today's rates, and how many OT whole-time equivalents (WTE) it would take to keep pace, to see people
within the longest priority target, and to reach the median wait of the best quarter of the group, with
what the extra staff would cost. The ranges come from the last four quarters' rates.""",

    "C": """## Caseload and workforce

Open cases per occupational therapist, assessments per therapist, vacancies and agency staff.""",

    "E": """## Community equipment

How quickly equipment is delivered, how much is collected and reused, and what reuse saves. 'Recycling rate' \
means different things in different councils, so each measure is labelled separately.""",

    "K": """## Complaints and the Ombudsman

Complaints received, upheld and answered on time, and Ombudsman decisions.""",

    "U": """## Costs

Unit costs of assessments and equipment. Councils cost services differently, so read these with care.""",

    "A": """## Adaptations

Home adaptations (Disabled Facilities Grant) recommended by OTs: how many are completed within the standard.""",

    "O": """## Outcomes

Whether people's own scores improved between the start and the end of an intervention.""",

    "about": """## About this report

- **Definitions.** Each measure follows the project's indicator catalogue; the definitions are listed
  below and in the `definitions` sheet of the accompanying workbook. Priority bands and their target
  times are *local standards* set in the council's settings file.
- **Confidence intervals** are 95%: Wilson for percentages, exact Poisson or Byar for rates, order
  statistics for medians. **Funnel plots** show 95% and 99.8% limits around the group average.
  When councils differ more than chance alone explains (a dispersion ratio φ above 1, usually
  because they work or record differently), the plain limits mark too many councils as unusual;
  the funnel plot then also draws limits widened for those differences (Spiegelhalter's method,
  drawn emphasised, the plain ones faint), and the verdict rests on the widened limits.
- **One verdict per figure.** The summary table, the sentences, the chart captions and the workbook
  give each figure the same verdict, decided by one rule (the methods page, "One verdict per figure").
- **SPC charts** follow NHS "Making Data Count": the mean, process limits at the mean ± 2.66 × the
  average moving range, and special-cause rules (a point outside the limits, a run of 7 on one side,
  a trend of 7, 2 of 3 near a limit). With fewer than 13 {periods} the limits are provisional.
  Where the council's settings declare a known change, such as a restructure or new posts, the
  limits are re-based from that {period} (a break in the lines, marked on the chart) and the words
  under the chart say why.
- **Comparisons between councils need care**: councils define waiting lists and record contacts
  differently, and ADASS warns against reading these figures as a league table.""",
}


#: what the pages of a council's pack (settings ``[report] pack``) are called: in the report's link
#: to them, in their own title and in ``outputs/index.html``
PACK_TITLES = {"data_quality": "data quality", "waiting_list": "waiting list",
               "complaints_annual_report": "complaints annual report"}


def pack_title(name: str) -> str:
    """A pack page's name in words (a notebook not listed: its name with spaces)."""
    return PACK_TITLES.get(name, name.replace("_", " "))
