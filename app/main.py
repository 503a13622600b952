"""create_app(settings): the one place the web application is put together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import dev, errors, health, jobs, migrate, schema, webhooks  # noqa: F401 - schema: every table mapped
from app.api import deliveries, directory, grievances, kpi, routing
from app.open311 import web as open311
from app.security_headers import SecurityHeaders
from channels.telegram import web as telegram_webhook
from channels.telegram.bot import TelegramBot
from channels.telegram.store import Store
from channels.voice import web as voice_webhook
from channels.web import pages as portal
from channels.web import tracking as portal_tracking
from core.clock import Clock, utcnow
from core.db import make_engine, make_sessionmaker
from core.settings import Environment, Settings, SmsProvider
from dashboards import (
    admin_accounts_page,
    admin_page,
    calls_page,
    dashboard_page,
    grievance_page,
    meeting_page,
    open_data,
    public_page,
)
from dashboards import web as staff_pages
from routing.registry import Classifiers
from routing.services import Policy

DOCS_STATIC = "/api-docs/static"  # Swagger UI and ReDoc files, from the fastapi-offline package

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, engine: Engine | None = None,
               session_factory: sessionmaker[Session] | None = None, clock: Clock = utcnow,
               background: bool = False) -> FastAPI:
    """Build the app; with `background`, the scheduler (sweeps and outbound delivery) runs in-process."""
    engine = engine or make_engine(settings.database_url)
    factory = session_factory or make_sessionmaker(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        scheduler = loop = None
        if background and settings.scheduler_enabled:
            scheduler = BackgroundScheduler(timezone="UTC")
            loop = jobs.schedule(scheduler, jobs.registry(settings, factory), clock)
            scheduler.start()
            loop.start()
            app.state.wake_delivery = loop.wake
            log.info("scheduler started: outbound delivery every %ss and when a reply is queued",
                     settings.delivery_interval_seconds)
        try:
            yield
        finally:
            if app.state.telegram is not None:
                await app.state.telegram.close()
            app.state.wake_delivery = _nothing
            if loop is not None:
                loop.stop()
            if scheduler is not None:
                scheduler.shutdown(wait=True)

    about = {"title": "OpenRedress", "version": "0.1.0", "lifespan": lifespan,
             "description": "Multichannel citizen feedback and grievance redress service"}
    # The API docs carry their own Swagger UI and ReDoc files (no CDN: they work on an offline network), and
    # are off in production unless REDRESS_API_DOCS says otherwise.
    app = (FastAPIOffline(static_url=DOCS_STATIC, **about) if settings.serves_api_docs
           else FastAPI(docs_url=None, redoc_url=None, openapi_url=None, **about))
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = factory
    app.state.clock = clock
    app.state.classifiers = Classifiers()
    app.state.policy = Policy.from_settings(settings)
    app.state.migration_head = migrate.head(engine)
    app.state.wake_delivery = _nothing  # the delivery loop's wake-up, when it runs in this process
    app.state.telegram = None
    if settings.telegram_bot_token:
        store = Store.from_settings(settings, factory=factory, clock=clock, classifiers=app.state.classifiers,
                                    policy=app.state.policy)
        app.state.telegram = TelegramBot(settings, store=store, wake=lambda: app.state.wake_delivery())
    errors.install(app)
    app.add_middleware(errors.RequestGuard, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders, https=settings.public_base_url.startswith("https://"))
    app.include_router(health.router)
    app.include_router(grievances.router)
    app.include_router(directory.router)
    app.include_router(routing.router)
    app.include_router(kpi.router)
    app.include_router(deliveries.router)
    app.include_router(open311.router)
    app.include_router(webhooks.router)
    app.include_router(telegram_webhook.router)
    app.include_router(voice_webhook.router)
    app.include_router(staff_pages.router)
    app.include_router(grievance_page.router)
    app.include_router(dashboard_page.router)
    app.include_router(meeting_page.router)
    app.include_router(calls_page.router)
    app.include_router(admin_accounts_page.router)  # before admin_page: its /{section} would take /staff, /keys
    app.include_router(admin_page.router)
    app.include_router(public_page.router)
    app.include_router(open_data.router)
    app.include_router(portal.router)
    app.include_router(portal_tracking.router)
    app.mount("/staff/static", staff_pages.static, name="staff-static")
    if settings.sms_provider is SmsProvider.CONSOLE and settings.environment is Environment.DEVELOPMENT:
        app.include_router(dev.router)
    return app


def _nothing() -> None:
    """No delivery loop in this process: a worker elsewhere polls the outbox."""
