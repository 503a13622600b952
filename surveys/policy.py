"""When and to whom surveys go: the settings in one object, and the arithmetic of allowed hours and sampling."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.settings import Settings, quiet_window, sampling_rates


@dataclass(frozen=True)
class SurveyPolicy:
    delay: timedelta = timedelta(hours=2)
    window: tuple[time, time] = (time(9), time(19))
    every: timedelta = timedelta(days=30)
    sampling: dict[str, float] = field(default_factory=lambda: {"": 1.0})
    reminder_after: timedelta = timedelta(hours=24)
    expire_after: timedelta = timedelta(hours=72)
    ask_payment: bool = True
    rate_per_minute: int = 60
    interval: timedelta = timedelta(minutes=5)
    default_timezone: str = "UTC"
    language: str = "en"

    @classmethod
    def from_settings(cls, settings: Settings) -> SurveyPolicy:
        window = quiet_window(settings.survey_hours)
        assert window is not None  # the setting's validator refuses an empty window
        return cls(delay=timedelta(hours=settings.survey_delay_hours), window=window,
                   every=timedelta(days=settings.survey_every_days), sampling=sampling_rates(settings.survey_sampling),
                   reminder_after=timedelta(hours=settings.survey_reminder_hours),
                   expire_after=timedelta(hours=settings.survey_expiry_hours),
                   ask_payment=settings.survey_payment_question, rate_per_minute=settings.survey_rate_per_minute,
                   interval=timedelta(seconds=settings.survey_interval_seconds),
                   default_timezone=settings.timezone, language=settings.languages[0])

    def rate(self, office: str, service: str | None) -> float:
        """The share of this office's (and service's) deliveries that get a survey: the most specific setting."""
        for key in (f"{office}/{service}" if service else None, office, ""):
            if key is not None and key in self.sampling:
                return self.sampling[key]
        return 1.0

    def per_run(self) -> int:
        """Invitations one run may hand over: the provider's rate over the time until the next run."""
        return max(1, int(self.rate_per_minute * self.interval.total_seconds() / 60))


def sampled(reference: str, rate: float) -> bool:
    """Whether this delivery is in the sample: the same answer in every run and process, spread evenly."""
    if rate >= 1:
        return True
    digest = hashlib.sha256(reference.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def inside(at: datetime, zone: ZoneInfo, window: tuple[time, time]) -> bool:
    start, end = window
    clock = at.astimezone(zone).time()
    return start <= clock < end if start < end else (clock >= start or clock < end)


def next_allowed(at: datetime, zone: ZoneInfo, window: tuple[time, time]) -> datetime:
    """`at` if it is inside the allowed hours of that timezone, else the next start of them."""
    if inside(at, zone, window):
        return at
    local = at.astimezone(zone)
    start = datetime.combine(local.date(), window[0], tzinfo=zone)
    if start <= local:
        start = datetime.combine(local.date() + timedelta(days=1), window[0], tzinfo=zone)
    return start.astimezone(at.tzinfo)
