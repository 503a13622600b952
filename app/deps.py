"""Request dependencies of the JSON API: who is calling (an API key). The routing model and policy: routing.web."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from core.errors import DomainError
from core.web import SessionDep
from intake import queries
from intake.access import Scope, scope_for
from intake.accounts import hash_api_key
from intake.actors import Actor
from intake.models import ActorType, Role


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: an API key (staff sessions arrive with the staff pages)."""

    actor: Actor
    scope: Scope
    key_id: int

    @property
    def role(self) -> Role:
        return self.scope.role


def _principal(request: Request, session: SessionDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send 'Authorization: Bearer <api key>'; `redress apikey create` makes one")
    key = queries.api_key_by_hash(session, hash_api_key(token.strip()))
    if key is None:
        raise Unauthenticated("this API key is unknown or revoked")
    actor = Actor(type=ActorType.API_KEY, id=str(key.id), role=key.role, office_id=key.office_id, name=key.name)
    scope = scope_for(session, role=key.role, office_id=key.office_id)
    return Principal(actor=actor, scope=scope, key_id=key.id)


PrincipalDep = Annotated[Principal, Depends(_principal)]
