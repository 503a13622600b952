"""Periodic jobs: one registry used by the scheduler, `redress worker` and `redress jobs run NAME`.

APScheduler only triggers; each job is an ordinary function of `now` that is safe to re-run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.orm import Session, sessionmaker

from app import routing_model, schema  # noqa: F401 - schema: every foreign key resolves in a worker too
from channels.delivery import DeliveryLoop, DeliveryPolicy, deliver_due
from channels.gateways import InboxGateway, sms_gateway
from channels.telegram.gateway import TelegramGateway
from core.clock import Clock
from core.outbox import OutboxChannel
from core.settings import Settings
from dashboards import rollups
from escalation import sweep
from surveys import schedule as surveys_schedule
from surveys.policy import SurveyPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    interval_seconds: float
    run: Callable[[datetime], int]  # returns how many things it did


def registry(settings: Settings, factory: sessionmaker[Session]) -> dict[str, Job]:
    gateways = {OutboxChannel.SMS: sms_gateway(settings), OutboxChannel.STAFF: InboxGateway()}
    if settings.telegram_bot_token:
        gateways[OutboxChannel.TELEGRAM] = TelegramGateway(settings)
    policy = DeliveryPolicy.from_settings(settings)
    survey_policy = SurveyPolicy.from_settings(settings)
    jobs = [
        Job("delivery", "send due messages from the outbox (SMS, Telegram, office alerts)",
            settings.delivery_interval_seconds,
            lambda now: deliver_due(factory, gateways=gateways, now=now, policy=policy)),
        Job("escalation", "warn offices of near deadlines and climb the escalation ladder for passed ones",
            settings.escalation_interval_seconds, lambda now: sweep.run(factory, now=now)),
        Job("rollups", "count the dashboards' daily figures for new days and recount the days whose grievances changed",
            settings.rollup_interval_seconds, lambda now: rollups.run(factory, now=now)),
        Job("surveys", "schedule surveys for new deliveries and resolutions, send due invitations in allowed hours, "
            "remind once, close expired ones", settings.survey_interval_seconds,
            lambda now: surveys_schedule.run(factory, now=now, policy=survey_policy).total()),
        Job("retrain", "train a routing model from new corrections; promote it only if it is not worse",
            settings.retrain_interval_hours * 3600, lambda now: _retrain(settings, factory, now)),
    ]
    return {job.name: job for job in jobs}


def _retrain(settings: Settings, factory: sessionmaker[Session], now: datetime) -> int:
    result = routing_model.retrain(factory, settings=settings, now=now)
    log.info("retrain: %s", result.reason)
    return int(result.promoted)


def schedule(scheduler: BaseScheduler, jobs: dict[str, Job], clock: Clock) -> DeliveryLoop:
    """Add each job on its interval (a run still going when the next is due is skipped, not stacked).

    Delivery runs in its own loop instead, which a request can wake so a reply leaves at once.
    """
    delivery = jobs["delivery"]
    loop = DeliveryLoop(lambda: delivery.run(clock()), interval=delivery.interval_seconds)
    for job in jobs.values():
        if job is delivery:
            continue
        scheduler.add_job(_runner(job, clock), "interval", seconds=job.interval_seconds, id=job.name,
                          max_instances=1, coalesce=True, replace_existing=True)
    return loop


def _runner(job: Job, clock: Clock) -> Callable[[], None]:
    def run() -> None:
        try:
            done = job.run(clock())
        except Exception:
            log.exception("job %s failed; it runs again at its next interval", job.name)
            return
        if done:
            log.info("job %s: %d done", job.name, done)

    return run
