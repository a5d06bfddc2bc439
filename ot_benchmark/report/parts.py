"""The words that open each part of the quarterly report: its heading and introduction.

They are Markdown, shown by :func:`ot_benchmark.report.sections.heading`, which leaves out the
part of a family the council has no figures for (so it has no heading and no entry in the
contents list). Where they name the report's periods they hold placeholders — ``{period}``
("quarter", "year", "month"), ``{periods}``, ``{Period}``, ``{period by period}`` — put in the
words of the run's periods by the one rule :func:`ot_benchmark.periods.period_words`
(:meth:`~ot_benchmark.periods.PeriodWords.fill`).

:data:`PARTS` maps a part's key to its text: ``summary``, ``about``, and a catalogue family's
letter for the parts of the families (``W``, ``C``, ``E``, ``K``, ``U``, ``A``, ``O``).
"""

from __future__ import annotations

__all__ = ["PARTS", "FAMILY_PARTS"]

#: The families with a part of their own, in the report's order.
FAMILY_PARTS = ("W", "C", "E", "K", "U", "A", "O")

PARTS = {
    "summary": """## Summary

One row per measure. **This council** is the council's figure for the {period}; **Comparator group** is the
group's figure, and **What the group figure is** says which: the pooled figure of the councils that supplied
one (all their numbers added up, as a national figure is), or the median of their figures, with or without
this council. **Compared with the group** is the one verdict on the figure, the same one the sentences and the
chart captions give: *Better*, *Similar* or *Worse* where a higher or lower figure is clearly better, *Higher*,
*Similar* or *Lower* where it is not. **How it was judged** says what the verdict rests on: the council's 95%
confidence interval against the group figure; or, when councils differ more than chance alone explains, funnel
limits widened for those differences (a difference councils usually have is not called better or worse); or,
for a figure with no interval, its distance from the group median in median absolute deviations, with its band
(broadly similar within 0.5; somewhat above or below to 1.5; above or below to 3; well above or below to 7.5;
far above or below beyond): only a distance beyond 3 is called better or worse. A verdict marked
*(small numbers)* rests on fewer than 30 people or events and can swing widely. **Rank** is 1 for the best
council in the group.

**Latest {period} (SPC)** reads the council's own {periods} as NHS "Making Data Count" charts do, for the
latest {period}: ● within normal variation, ▲ improving, ▼ concerning, ◆ an unusual change that is neither
better nor worse. **Target assurance**: P consistently passing, F consistently failing, ? hit and miss
(whether the target will be met at the current level of variation). Neither is given beside a figure that is
missing or not published.
Figures marked [c] rest on fewer than 5 people or events and are not published.""",

    "W": """## Waiting for an OT assessment

How many people are waiting, how long they have waited, and how quickly people were assessed. The measures \
of people **still waiting** are shown beside the measures of people **assessed in the {period}**: completed \
waits alone can look better when long waiters are cleared.""",

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
