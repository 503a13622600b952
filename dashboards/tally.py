"""The dashboard's figures for a group of grievances, in a form that can be kept and added up.

A `Tally` holds counts and histograms, so the tallies of days, offices or categories add into the tally
of any larger group. Some figures move with the clock and not with any write: an unanswered grievance's
silence grows, a deadline passes. For those a tally keeps the instants (`waiting`, `judge_at`,
`overdue_at`) and `settle` reads them at the time asked, so a tally made yesterday gives today's figures
exactly, as long as no write has touched its grievances since (those are marked and recounted).

Times are kept in histogram buckets: a tenth of an hour below two days, whole hours above.

Events in the period (escalations, transfers, survey answers) are added by `dashboards.counts` to the same
tally, credited to the office they belong to and the grievance's category, channel and area; the rollups
keep only the grievances' own figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FINE_LIMIT = 48 * 3600  # below it, buckets of a tenth of an hour
FINE = 360  # seconds in a fine bucket
FINE_BUCKETS = FINE_LIMIT // FINE


def bucket(seconds: float) -> int:
    whole = max(0, int(seconds))
    return whole // FINE if whole < FINE_LIMIT else FINE_BUCKETS + (whole - FINE_LIMIT) // 3600


def hours(bucket_: int) -> float:
    """The bucket's lower bound in hours."""
    return bucket_ / 10 if bucket_ < FINE_BUCKETS else 48.0 + (bucket_ - FINE_BUCKETS)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass
class Tally:
    received: int = 0
    answered: int = 0
    judged: int = 0  # first-response deadlines met, or passed unmet
    within: int = 0  # of those, met in time
    resolved: int = 0
    open: int = 0
    overdue: int = 0  # open, with a running deadline passed
    silences: Counter[int] = field(default_factory=Counter)  # answered: received → first public response
    resolutions: Counter[int] = field(default_factory=Counter)  # received → resolved
    waiting: list[int] = field(default_factory=list)  # unanswered: when received (silence so far grows)
    judge_at: list[int] = field(default_factory=list)  # first-response deadlines not yet passed, unmet
    overdue_at: list[int] = field(default_factory=list)  # open: the nearest running deadline, not yet passed
    escalations: int = 0  # escalation steps in the period, credited to the office whose deadline it was
    missed: int = 0  # of those, first steps: a deadline that passed unmet (each climbs once to level 1)
    transfers: int = 0  # transfers sent in the period, credited to the office that sent them
    held: Counter[int] = field(default_factory=Counter)  # those transfers: arrival → transfer
    answers: int = 0  # survey answers given in the period
    scores: int = 0  # the sum of their scores (1–5)

    COUNTS = ("received", "answered", "judged", "within", "resolved", "open", "overdue", "escalations", "missed",
              "transfers", "answers", "scores")

    def add(self, other: Tally) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.silences.update(other.silences)
        self.resolutions.update(other.resolutions)
        self.held.update(other.held)
        self.waiting.extend(other.waiting)
        self.judge_at.extend(other.judge_at)
        self.overdue_at.extend(other.overdue_at)

    def settle(self, now: datetime) -> None:
        """Fold the clock-driven parts in as they stand at `now` (a tally read, not one to keep)."""
        at = epoch(now)
        for received in self.waiting:
            self.silences[bucket(at - received)] += 1
        self.judged += sum(1 for due in self.judge_at if due <= at)
        self.overdue += sum(1 for due in self.overdue_at if due <= at)
        self.overdue_at = [due for due in self.overdue_at if due > at]
        self.judge_at = [due for due in self.judge_at if due > at]
        self.waiting = []

    def to_row(self) -> dict[str, Any]:
        """As the columns of a kept row (JSON keys are strings; empty lists are stored as null)."""
        return {"received": self.received, "answered": self.answered, "judged": self.judged,
                "within": self.within, "resolved": self.resolved, "open": self.open, "overdue": self.overdue,
                "silences": {str(k): v for k, v in self.silences.items()} or None,
                "resolutions": {str(k): v for k, v in self.resolutions.items()} or None,
                "waiting": self.waiting or None, "judge_at": self.judge_at or None,
                "overdue_at": self.overdue_at or None}

    @classmethod
    def from_row(cls, row: Any) -> Tally:  # noqa: ANN401 - a database row or a mapping
        return cls(received=row.received, answered=row.answered, judged=row.judged, within=row.within,
                   resolved=row.resolved, open=row.open, overdue=row.overdue,
                   silences=Counter({int(k): v for k, v in (row.silences or {}).items()}),
                   resolutions=Counter({int(k): v for k, v in (row.resolutions or {}).items()}),
                   waiting=list(row.waiting or []), judge_at=list(row.judge_at or []),
                   overdue_at=list(row.overdue_at or []))


def count(targets: list[Tally], *, is_open: bool, received: datetime, answered: datetime | None,
          resolved: datetime | None, first_due: datetime | None, first_met: datetime | None,
          nearest_due: datetime | None, now: datetime, window: bool = True) -> None:
    """Add one grievance, as it stands at `now`, to each of `targets` (its office's tally and its facets').
    Outside the window only its open state counts."""
    if is_open:
        late = nearest_due is not None and nearest_due <= now
        coming = epoch(nearest_due) if nearest_due is not None and not late else None
        for t in targets:
            t.open += 1
            t.overdue += late
            if coming is not None:
                t.overdue_at.append(coming)
    if not window:
        return
    silence = bucket((answered - received).total_seconds()) if answered is not None else None
    waiting = epoch(received) if answered is None else None
    judged = first_due is not None and (first_met is not None or first_due <= now)
    within = first_met is not None and first_due is not None and first_met <= first_due
    judge_at = epoch(first_due) if first_due is not None and not judged else None
    resolution = bucket((resolved - received).total_seconds()) if resolved is not None else None
    for t in targets:
        t.received += 1
        if silence is not None:
            t.answered += 1
            t.silences[silence] += 1
        else:
            t.waiting.append(waiting)
        t.judged += judged
        t.within += within
        if judge_at is not None:
            t.judge_at.append(judge_at)
        if resolution is not None:
            t.resolved += 1
            t.resolutions[resolution] += 1


def median(histogram: Counter[int]) -> float | None:
    return quantile(histogram, 0.5)


def p90(histogram: Counter[int]) -> float | None:
    return quantile(histogram, 0.9)


def quantile(histogram: Counter[int], q: float) -> float | None:
    """The usual 'type 7' quantile (linear between the closest ranks) of the buckets' values, in hours to a
    tenth: the median of an even count is the mean of the middle two."""
    size = histogram.total()
    if not size:
        return None
    position = (size - 1) * q
    low = int(position)
    below, above = _nth(histogram, low), _nth(histogram, min(low + 1, size - 1))
    return round(below + (above - below) * (position - low), 1)


def _nth(histogram: Counter[int], rank: int) -> float:
    """The value at 0-based `rank` in sorted order."""
    seen = 0
    for key in sorted(histogram):
        seen += histogram[key]
        if seen > rank:
            return hours(key)
    raise IndexError(rank)
