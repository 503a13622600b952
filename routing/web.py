"""Request dependencies for whatever files grievances over the web: the active routing model and the policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from core.web import SessionDep
from routing.registry import ActiveModel
from routing.services import Policy


def _model(request: Request, session: SessionDep) -> ActiveModel | None:
    return request.app.state.classifiers.active(session)


def _policy(request: Request) -> Policy:
    return request.app.state.policy


ModelDep = Annotated[ActiveModel | None, Depends(_model)]
PolicyDep = Annotated[Policy, Depends(_policy)]
