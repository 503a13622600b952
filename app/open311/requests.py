"""Service requests as Open311 sees them: the grievances it may show, their public fields, and new ones filed.

Public by design, private by default: integrity grievances are never listed; a description and address
are shown only for requests filed through Open311 itself (their senders chose a public 311 system) and
never for anonymous ones; names, phones and e-mail addresses are never shown.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.open311.wire import Open311Error, w3c
from channels.accept import accept
from escalation.queries import current_deadlines
from intake import tracking
from intake.actors import Actor
from intake.models import (
    Category,
    Channel,
    Confidentiality,
    EventKind,
    Grievance,
    GrievanceEvent,
    Status,
)
from intake.schemas import GrievanceDraft
from intake.services import OPEN_STATUSES
from routing.areas import mentioned_area
from routing.registry import ActiveModel
from routing.services import Policy

MAX_DESCRIPTION = 4000
WINDOW = timedelta(days=90)
MAX_ROWS = 1000
NOTE_KINDS = (EventKind.ACKNOWLEDGED, EventKind.RESPONDED, EventKind.INFO_REQUESTED, EventKind.RESOLVED)
LAT_LONG = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?),\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
URL = re.compile(r"^https?://[^\s<>\"]{1,490}$")
ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_.-]{1,64})\](\[\])?$")


def public_status(status: Status) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def shaped(session: Session, grievances: list[Grievance]) -> list[dict[str, Any]]:
    """The specification's fields for each request, in one query per kind of data."""
    ids = [g.id for g in grievances]
    deadlines = current_deadlines(session, ids)
    notes: dict[int, str] = {}
    if ids:
        for gid, note in session.execute(
                select(GrievanceEvent.grievance_id, GrievanceEvent.note)
                .where(GrievanceEvent.grievance_id.in_(ids), GrievanceEvent.public,
                       GrievanceEvent.kind.in_(NOTE_KINDS), GrievanceEvent.note.is_not(None))
                .order_by(GrievanceEvent.id)):
            notes[gid] = note  # the latest wins
    return [_one(g, deadlines.get(g.id, []), notes.get(g.id)) for g in grievances]


def _one(grievance: Grievance, deadlines: list[dict[str, Any]], note: str | None) -> dict[str, Any]:
    shown = grievance.channel is Channel.OPEN311 and grievance.confidentiality is Confidentiality.NORMAL
    submitted = grievance.events[0].data if grievance.events else {}
    place = LAT_LONG.match(grievance.location_text or "") if shown else None
    return {
        "service_request_id": grievance.tracking_number,
        "status": public_status(grievance.status),
        "status_notes": " ".join(note.split()) if note else None,
        "service_name": grievance.category.name if grievance.category else None,
        "service_code": grievance.category.code if grievance.category else None,
        "description": grievance.text if shown else None,
        "agency_responsible": grievance.office.name if grievance.office else None,
        "service_notice": None,
        "requested_datetime": w3c(grievance.received_at),
        "updated_datetime": w3c(grievance.updated_at),
        "expected_datetime": w3c(expected(grievance, deadlines)),
        "address": (grievance.location_text if shown and not place else None),
        "address_id": submitted.get("address_id") if shown else None,
        "zipcode": None,
        "lat": float(place.group(1)) if place else None,
        "long": float(place.group(2)) if place else None,
        "media_url": submitted.get("media_url") if shown else None,
    }


def expected(grievance: Grievance, deadlines: list[dict[str, Any]]) -> datetime | None:
    """When the citizen can expect the next step: the resolution deadline, else the first response's."""
    if grievance.status not in OPEN_STATUSES:
        return None
    running = {d["kind"]: d for d in deadlines if d["met_at"] is None}
    for kind in ("resolution", "first_response"):
        if kind in running:
            return running[kind]["due_at"]
    return None


def find(session: Session, *, ids: str | None, codes: str | None, start: str | None, end: str | None,
         status: str | None, now: datetime) -> list[Grievance]:
    """GET requests: by ids (which overrides every other filter), else by code, dates and status."""
    query = select(Grievance).where(Grievance.confidentiality != Confidentiality.INTEGRITY,
                                    Grievance.tracking_number.is_not(None))
    if ids:
        numbers = []
        for raw in ids.split(",")[:MAX_ROWS]:
            try:
                numbers.append(tracking.parse(raw))
            except tracking.InvalidTrackingNumber:
                continue  # an id that cannot exist matches nothing
        query = query.where(Grievance.tracking_number.in_(numbers))
    else:
        until = _date(end, "end_date") if end else now
        since = _date(start, "start_date") if start else until - WINDOW
        if since > until:
            raise Open311Error(400, "start_date is after end_date")
        if until - since > WINDOW:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
        query = query.where(Grievance.received_at >= since, Grievance.received_at <= until)
        if codes:
            wanted = [code.strip().lower() for code in codes.split(",") if code.strip()][:100]
            query = query.join(Category, Category.id == Grievance.category_id).where(Category.code.in_(wanted))
        if status:
            chosen = {part.strip().lower() for part in status.split(",") if part.strip()}
            if not chosen <= {"open", "closed"}:
                raise Open311Error(400, "status is open, closed, or both (comma separated)")
            if chosen == {"open"}:
                query = query.where(Grievance.status.in_(OPEN_STATUSES))
            elif chosen == {"closed"}:
                query = query.where(Grievance.status.not_in(OPEN_STATUSES))
    return list(session.scalars(query.order_by(Grievance.received_at.desc()).limit(MAX_ROWS)))


def _date(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be a W3C date-time such as 2026-11-01T00:00:00Z") from exc
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} needs a timezone, such as 2026-11-01T00:00:00Z")
    return parsed


def create(session: Session, *, form: dict[str, str], actor: Actor, now: datetime, region: str,
           model: ActiveModel | None, policy: Policy) -> Grievance:
    """POST requests: an ordinary grievance (channel open311), routed and clocked like any other."""
    code = form.get("service_code", "").strip().lower()
    if not code:
        raise Open311Error(400, "service_code is required")
    category = session.scalar(select(Category).where(Category.code == code, Category.active))
    if category is None:
        raise Open311Error(404, f"service_code {code[:64]!r} not found; GET services lists them")
    place = _place(form)
    description = form.get("description", "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is longer than {MAX_DESCRIPTION:,} characters")
    name = " ".join(part.strip() for part in (form.get("first_name", ""), form.get("last_name", ""))
                    if part.strip())[:200] or None
    media = form.get("media_url", "").strip()
    if media and not URL.match(media):
        raise Open311Error(400, "media_url must be an http or https URL")
    attributes = answers(category, {match.group(1): value[:500] for key, value in form.items()
                                    if (match := ATTRIBUTE.match(key))})
    named = mentioned_area(session, place) if place and not LAT_LONG.match(place) else None
    draft = GrievanceDraft(text=description or category.name, category=category.code, channel=Channel.OPEN311,
                           phone=form.get("phone") or None, name=name, location_text=place[:500] if place else None,
                           admin_area=named[0] if named else None)  # "Northbank ward 3" routes to Northbank
    extra = {"media_url": media or None, "address_id": form.get("address_id", "").strip()[:64] or None,
             "attributes": attributes or None}
    return accept(session, draft=draft, actor=actor, now=now, region=region, model=model, policy=policy,
                  evidence={k: v for k, v in extra.items() if v}).grievance


def answers(category: Category, given: dict[str, str]) -> dict[str, str]:
    """The answers to the category's questions: required ones present, list answers among the choices."""
    out = {}
    for question in category.questions or []:
        code, value = question["code"], given.get(question["code"], "").strip()
        if not value:
            if question["required"]:
                raise Open311Error(400, f"attribute[{code}] is required: {question['description']}")
            continue
        keys = {v["key"] for v in question["values"]}
        chosen = [part.strip() for part in value.split(",")] if question["datatype"] == "multivaluelist" else [value]
        if keys and not set(chosen) <= keys:
            raise Open311Error(400, f"attribute[{code}] must be one of {', '.join(sorted(keys))}")
        if question["datatype"] == "number":
            try:
                float(value)
            except ValueError as exc:
                raise Open311Error(400, f"attribute[{code}] must be a number") from exc
        out[code] = value
    return out  # answers to questions the category does not ask are not kept


def _place(form: dict[str, str]) -> str | None:
    """lat/long, address_string or address_id: the specification wants at least one."""
    lat, lon = form.get("lat", "").strip(), form.get("long", "").strip()
    if lat or lon:
        try:
            latitude, longitude = float(lat), float(lon)
        except ValueError as exc:
            raise Open311Error(400, "lat and long must both be decimal degrees") from exc
        if not (math.isfinite(latitude) and math.isfinite(longitude)
                and -90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise Open311Error(400, "lat must be within ±90 and long within ±180")
        return f"{latitude:.6f}, {longitude:.6f}"
    address = " ".join(form.get("address_string", "").split())
    if address:
        return address
    if form.get("address_id", "").strip():
        return None
    raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
