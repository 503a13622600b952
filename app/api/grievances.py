"""Grievance endpoints: create, read, list and act; every write goes through services."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from sqlalchemy.orm import Session

from app.api.schemas import ActionIn, GrievanceOut, GrievancePage, LinkOut
from app.deps import Principal, PrincipalDep
from channels.accept import accept
from core.errors import InvalidInput
from core.web import NowDep, SessionDep, SettingsDep
from dashboards import actions
from escalation.queries import current_deadlines
from intake import queries
from intake.models import Grievance, Status
from intake.schemas import GrievanceDraft
from routing import related
from routing.web import ModelDep, PolicyDep

router = APIRouter(prefix="/api/v1/grievances", tags=["grievances"])

@router.post("", status_code=201, response_model=GrievanceOut)
def create(body: GrievanceDraft, response: Response, session: SessionDep, principal: PrincipalDep, now: NowDep,
           settings: SettingsDep, model: ModelDep, policy: PolicyDep,
           idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> GrievanceOut:
    """File a grievance; repeat the same Idempotency-Key to retry safely (the first result comes back)."""
    key = (f"api:{principal.key_id}", idempotency_key) if idempotency_key is not None else None
    result = accept(session, draft=body, actor=principal.actor, now=now, region=settings.default_region,
                    idempotency=key, model=model, policy=policy)
    if not result.created:
        response.headers["Idempotent-Replayed"] = "true"
    out = GrievanceOut.of(result.grievance, role=principal.role, with_events=True,
                          deadlines=_deadlines(session, result.grievance),
                          links=_links(session, result.grievance, principal),
                          destinations=queries.destinations(session, result.grievance.events))
    out.secret = result.secret
    response.headers["Location"] = f"/api/v1/grievances/{result.grievance.tracking_number}"
    return out


@router.get("/{tracking_number}", response_model=GrievanceOut)
def read(tracking_number: str, session: SessionDep, principal: PrincipalDep) -> GrievanceOut:
    """One grievance with its whole timeline, oldest event first."""
    grievance = queries.get_for_scope_or_404(session, tracking_number=tracking_number, scope=principal.scope)
    return GrievanceOut.of(grievance, role=principal.role, with_events=True, deadlines=_deadlines(session, grievance),
                           links=_links(session, grievance, principal),
                           destinations=queries.destinations(session, grievance.events))


@router.get("", response_model=GrievancePage)
def list_(session: SessionDep, principal: PrincipalDep,
          office: Annotated[str | None, Query(max_length=64)] = None,
          status: Status | None = None,
          since: datetime | None = None,
          cursor: Annotated[str | None, Query(max_length=64)] = None,
          limit: Annotated[int, Query(ge=1, le=200)] = 50) -> GrievancePage:
    """Grievances you can see, oldest first; follow next_cursor until it is null."""
    office_id = None
    if office is not None:
        found = queries.office_by_code(session, office)
        if found is None:
            raise InvalidInput(f"unknown office {office!r}; GET /api/v1/offices lists them", field="office")
        office_id = found.id
    if since is not None and since.tzinfo is None:
        raise InvalidInput("since needs a timezone, e.g. 2026-11-01T00:00:00Z", field="since")
    rows = queries.list_for_scope(session, scope=principal.scope, office_id=office_id, status=status, since=since,
                                  after_id=_decode_cursor(cursor), limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    deadlines = current_deadlines(session, [g.id for g in rows])
    return GrievancePage(items=[GrievanceOut.of(g, role=principal.role, with_events=False, deadlines=deadlines[g.id])
                                for g in rows],
                         next_cursor=_encode_cursor(rows[-1].id) if more else None)


@router.post("/{tracking_number}/actions", response_model=GrievanceOut)
def act(tracking_number: str, body: ActionIn, session: SessionDep, principal: PrincipalDep,
        now: NowDep, policy: PolicyDep) -> GrievanceOut:
    """Act on a grievance: acknowledge, respond, note, request_info, transfer (with office), resolve, reopen, close."""
    grievance = queries.get_for_scope_or_404(session, tracking_number=tracking_number, scope=principal.scope)
    actions.act(session, grievance=grievance, action=body.action, actor=principal.actor, scope=principal.scope,
                now=now, policy=policy, note=body.note, office=body.office, category=body.category,
                duplicate_of=body.duplicate_of)
    if not principal.scope.allows(grievance):  # e.g. passed to the integrity unit: the sender no longer sees it
        return GrievanceOut.of(grievance, role=principal.role, with_events=False, deadlines=[]).redacted()
    return GrievanceOut.of(grievance, role=principal.role, with_events=True, deadlines=_deadlines(session, grievance),
                           links=_links(session, grievance, principal),
                           destinations=queries.destinations(session, grievance.events))


def _deadlines(session: Session, grievance: Grievance) -> list[dict[str, Any]]:
    return current_deadlines(session, [grievance.id])[grievance.id]


def _links(session: Session, grievance: Grievance, principal: Principal) -> list[LinkOut]:
    """Linked grievances the caller may see; the rest are not mentioned at all."""
    return [LinkOut(kind=kind.value, tracking_number=other.tracking_number or "", status=other.status.value)
            for kind, other in related.links(session, grievance) if principal.scope.allows(other)]


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"g:{last_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "g" or not value.isdigit():
            raise ValueError(raw)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not one this API gave out; start again without it", field="cursor") from exc


