"""Every figure the service shows about its work, declared once: what it means, how it adds up, when it is withheld.

The staff dashboard and its CSVs, the weekly meeting pack, the KPI API, the public pages and the open-data
files all list and compute their figures from `FIGURES`, over the same tallies (`dashboards.counts`), so the
same figure for the same period and scope is the same number everywhere. docs/kpis.md is written from
here (`make docs`; a test fails when it is stale). Adding a figure is one entry here and, if it needs a new
count, that count in `dashboards.tally`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from core.i18n import say
from dashboards import tally
from dashboards.tally import Tally

Value = int | float | None
Aggregate = Literal["count", "median", "p90", "share", "mean"]


@dataclass(frozen=True)
class Figure:
    code: str  # the name in files, the API and CSV headers: never renamed
    label: str  # English; other languages from the catalogue (extracted by `make messages`)
    definition: str  # one sentence, as docs/kpis.md prints it
    unit: str
    aggregate: Aggregate
    source: str  # the field or event it is computed from
    gate: str | None  # the count that must reach the minimum for it to be shown; None: always shown
    compute: Callable[[Tally], Value]

    @property
    def additive(self) -> bool:
        """Rows add up to their total (a count); medians, shares and means do not."""
        return self.aggregate == "count"

    def label_in(self, language: str | None) -> str:
        return say(language, self.label)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


FIGURES: tuple[Figure, ...] = (
    Figure("received", "Received", "Grievances received in the period.", "grievances", "count",
           "grievances.received_at", None, lambda t: t.received),
    Figure("answered", "Answered", "Of the grievances received in the period, those that have had a first public "
           "response by now.", "grievances", "count", "grievances.first_response_at", None, lambda t: t.answered),
    Figure("silence_median_hours", "Silence, median",
           "Hours from receipt to the first public response that half the citizens waited at most; a grievance "
           "still unanswered counts with the silence it has had until now, so no office looks quick by not answering.",
           "hours", "median", "grievances.received_at, grievances.first_response_at", "received",
           lambda t: tally.median(t.silences)),
    Figure("silence_p90_hours", "Silence, 90th percentile",
           "Hours of silence that nine citizens in ten waited at most (unanswered grievances as for the median).",
           "hours", "p90", "grievances.received_at, grievances.first_response_at", "received",
           lambda t: tally.p90(t.silences)),
    Figure("within_deadline_share", "Answered within the deadline",
           "Of the grievances received in the period whose first-response deadline has been met or has passed, "
           "the share met in time (a deadline still to come is not counted either way).",
           "share (0–1)", "share", "deadlines (first response): due_at, met_at", "received",
           lambda t: _share(t.within, t.judged)),
    Figure("first_response_missed", "First answer late",
           "Of the grievances received in the period, those whose first-response deadline passed without a public "
           "answer in time (answered late, or still unanswered): who stayed silent.", "grievances", "count",
           "deadlines (first response): due_at, met_at", None, lambda t: t.judged - t.within),
    Figure("resolved", "Resolved", "Of the grievances received in the period, those resolved by now.",
           "grievances", "count", "grievances.resolved_at", None, lambda t: t.resolved),
    Figure("resolution_median_hours", "Resolution, median",
           "Hours from receipt to resolution that half of the resolved grievances took at most.",
           "hours", "median", "grievances.received_at, grievances.resolved_at", "received",
           lambda t: tally.median(t.resolutions)),
    Figure("resolution_p90_hours", "Resolution, 90th percentile",
           "Hours from receipt to resolution that nine resolved grievances in ten took at most.",
           "hours", "p90", "grievances.received_at, grievances.resolved_at", "received",
           lambda t: tally.p90(t.resolutions)),
    Figure("open", "Open now", "Grievances received before the period's end that are still open now.",
           "grievances", "count", "grievances.status", None, lambda t: t.open),
    Figure("overdue", "Past a deadline", "Of the grievances open now, those whose nearest running deadline has "
           "passed.", "grievances", "count", "deadlines: due_at, met_at, cancelled_at", None, lambda t: t.overdue),
    Figure("escalations", "Escalations", "Escalation steps taken in the period (each level counts once), credited "
           "to the office whose deadline passed.", "steps", "count", "grievance_events with a level", None,
           lambda t: t.escalations),
    Figure("missed_deadlines", "Deadlines missed", "Deadlines that passed unmet in the period: the first "
           "escalation step of each.", "deadlines", "count", "grievance_events at level 1", None,
           lambda t: t.missed),
    Figure("transfers_out", "Transfers out", "Grievances passed on to another office in the period (no wrong "
           "door), credited to the office that sent them.", "transfers", "count",
           "routing_corrections (transfer)", None, lambda t: t.transfers),
    Figure("transfer_median_hours", "Held before transfer, median",
           "Hours a transferred grievance had been with the office that passed it on, for half of the transfers "
           "at most.", "hours", "median", "routing_corrections.held_seconds", "transfers_out",
           lambda t: tally.median(t.held)),
    Figure("survey_answers", "Survey answers", "Answers to satisfaction surveys (after a service or a resolved "
           "grievance) given in the period.", "answers", "count", "surveys.answered_at, surveys.score", None,
           lambda t: t.answers),
    Figure("satisfaction_mean", "Satisfaction (1–5), mean", "The mean score of those answers, from 1 (very "
           "dissatisfied) to 5 (very satisfied).", "score (1–5)", "mean", "surveys.score", "survey_answers",
           lambda t: round(t.scores / t.answers, 2) if t.answers else None),
)
BY_CODE = {f.code: f for f in FIGURES}
CODES = tuple(BY_CODE)
DIMENSIONS = ("office", "category", "channel", "area")


def values(counted: Tally, *, min_count: int) -> dict[str, Value]:
    """Every figure of one tally; a figure whose gate count is below `min_count` is withheld (None), so no
    figure describes a handful of people."""
    out: dict[str, Value] = {}
    for figure in FIGURES:
        withheld = figure.gate is not None and (out[figure.gate] or 0) < min_count
        out[figure.code] = None if withheld else figure.compute(counted)
    return out


def markdown() -> str:
    """docs/kpis.md: the definition of every figure, written from the registry."""
    lines = ["# Figures (KPIs)", "",
             "<!-- Written by `make docs` from dashboards/figures.py; edit the registry, not this file. -->", "",
             "Every figure on the staff dashboard and its CSV files, in the weekly meeting pack, the KPI API "
             "(`GET /api/v1/kpi`), the public pages and the open-data files comes from one registry "
             "(`dashboards/figures.py`) and one count (`dashboards/counts.py`). For the same period and scope "
             "they are the same number everywhere.", "",
             "## How they are counted", "",
             "- **Period**: grievances received in `[since, until)`; events (escalations, transfers, survey "
             "answers) that happened in it. Clock-driven figures (silence so far, deadlines passed, open, "
             "overdue) are as they stand at the moment asked.",
             "- **Dimensions**: each figure splits by office, category, channel and area. A grievance counts "
             "where it is now (its office, category, channel, area); an escalation counts for the office whose "
             "deadline passed, a transfer for the office that sent it, a survey answer for the office it "
             "asked about; all three also count under the grievance's category, channel and area (a survey "
             "about a service, with no grievance, has no category or area: it counts under \"not given\"). "
             "Survey answers split by the channel that asked (SMS, Telegram).",
             "- **Scope**: staff see the offices of their scope (an office head or manager: the subtree); "
             "integrity complaints count only for oversight and admins; grievances still in triage (no office "
             "yet) count, as \"Not placed yet\", for those who place them, at the top of the tree. Public "
             "figures and open data leave integrity complaints out and include triage.",
             "- **Withheld**: a figure with a *gate* is shown only when that count reaches the minimum "
             "(`REDRESS_KPI_MIN_COUNT`, default 5): no figure describes a handful of people. Counts are "
             "always shown.",
             "- **Times** are in hours, from histograms of a tenth of an hour below two days and whole hours "
             "above (a median is exact to that step). Shares are between 0 and 1.",
             "- **Additive** figures (counts) add up from rows to their total; medians, shares and means do "
             "not.", "",
             "## The figures", "",
             "| Code | Label | Definition | Unit | Aggregate | From | Withheld below the minimum of |",
             "|---|---|---|---|---|---|---|"]
    for f in FIGURES:
        lines.append(f"| `{f.code}` | {f.label} | {f.definition} | {f.unit} | {f.aggregate} | {f.source} | "
                     f"{f'`{f.gate}`' if f.gate else '—'} |")
    return "\n".join(lines) + "\n"
