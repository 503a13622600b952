"""Request plumbing every web package shares: one transaction per request, the clock, the settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from core.settings import Settings


def _session(request: Request) -> Iterator[Session]:
    """The request's one transaction: committed when the endpoint returns, before the response leaves."""
    with request.app.state.session_factory() as session, session.begin():
        yield session


def _now(request: Request) -> datetime:
    return request.app.state.clock()


def _settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(_session, scope="function")]
NowDep = Annotated[datetime, Depends(_now)]
SettingsDep = Annotated[Settings, Depends(_settings)]
