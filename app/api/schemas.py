"""JSON shapes of the public API (field names are a contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from intake.access import phone_for
from intake.models import ActorType, Confidentiality, EventKind, Grievance, GrievanceEvent, Office, Role


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["acknowledge", "respond", "note", "request_info", "transfer", "resolve", "reopen", "close",
                    "duplicate"]
    note: str | None = Field(default=None, max_length=10_000)
    office: str | None = Field(default=None, max_length=64, description="Office code, for transfer")
    category: str | None = Field(default=None, max_length=64,
                                 description="Category code, for transfer: the correct category (it teaches the model)")
    duplicate_of: str | None = Field(default=None, max_length=32,
                                     description="Tracking number, for duplicate: the grievance this one repeats")


class Ref(BaseModel):
    code: str
    name: str


class ActorOut(BaseModel):
    type: str
    id: str | None
    role: str | None
    name: str | None


class EventOut(BaseModel):
    id: int
    kind: str
    at: datetime
    actor: ActorOut
    office: Ref | None = Field(description="The office the event is credited to; of a transfer, the one that sent it")
    to_office: Ref | None = Field(default=None, description="Where a routed or transferred grievance went")
    from_status: str | None
    to_status: str | None
    note: str | None
    data: dict[str, Any]
    public: bool

    @classmethod
    def of(cls, event: GrievanceEvent, *, to_office: Office | None = None) -> EventOut:
        return cls(id=event.id, kind=event.kind.value, at=event.at,
                   actor=ActorOut(type=event.actor_type.value, id=event.actor_id, role=event.actor_role,
                                  name=event.actor_name),
                   office=_ref(event.office), to_office=_ref(to_office), from_status=_value(event.from_status),
                   to_status=_value(event.to_status), note=event.note, data=event.data or {}, public=event.public)


class DeadlineOut(BaseModel):
    """A clock on the grievance: first_response ("expected response by"), resolution, or transfer."""

    kind: str
    due_at: datetime
    met_at: datetime | None
    basis: str = Field(description="business_hours (the office's working hours) or calendar_hours")
    level: int = Field(description="Escalation levels climbed so far (0: none)")
    next_escalation_at: datetime | None = Field(description="When it climbs a level if still unmet (null: met, "
                                                            "paused while waiting for the citizen, or at the top)")
    paused: bool


class PredictionOut(BaseModel):
    label: str
    confidence: float
    top: list[tuple[str, float]]
    model_version: str
    why: list[str] = Field(description="The words of the complaint that drove the prediction most")


class RoutingOut(BaseModel):
    """Why the grievance is where it is: the latest automatic routing decision."""

    source: str | None = Field(description="submitted, rule, model or integrity-review")
    rule: str | None
    reasons: list[str]
    prediction: PredictionOut | None

    @classmethod
    def of(cls, grievance: Grievance) -> RoutingOut | None:
        routed = [e for e in grievance.events if e.kind == EventKind.ROUTED and e.actor_type == ActorType.SYSTEM]
        if not routed:
            return None
        data = routed[-1].data or {}
        prediction = data.get("prediction")
        return cls(source=data.get("source"), rule=data.get("rule"), reasons=list(data.get("reasons", [])),
                   prediction=PredictionOut(**prediction) if prediction else None)


class LinkOut(BaseModel):
    kind: str = Field(description="related (the same problem: one case), same_citizen, or duplicate")
    tracking_number: str
    status: str


class CitizenOut(BaseModel):
    name: str | None
    phone: str | None
    language: str | None


class GrievanceOut(BaseModel):
    tracking_number: str
    status: str
    channel: str
    text: str
    language: str | None
    admin_area: str | None
    location_text: str | None
    office: Ref | None
    category: Ref | None
    priority: str
    confidentiality: str
    citizen: CitizenOut | None
    received_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    transfer_count: int
    reopen_count: int
    silence_hours: float | None = Field(description="Received → first public response (null: no answer yet)")
    resolution_hours: float | None = Field(description="Received → resolved (null: not resolved)")
    deadlines: list[DeadlineOut]
    events: list[EventOut] | None = Field(default=None, description="The timeline, oldest first")
    routing: RoutingOut | None = Field(default=None, description="Why it was routed where it is (with the timeline)")
    links: list[LinkOut] | None = Field(default=None, description="Linked grievances you may see (with the timeline)")
    secret: str | None = Field(default=None, description="Citizen secret, shown once, in the creating response")

    @classmethod
    def of(cls, grievance: Grievance, *, role: Role, with_events: bool, deadlines: list[dict[str, Any]],
           links: list[LinkOut] | None = None,
           destinations: dict[GrievanceEvent, Office] | None = None) -> GrievanceOut:
        """`destinations`: intake.queries.destinations of its events, for each event's `to_office`."""
        return cls(
            tracking_number=grievance.tracking_number or "", status=grievance.status.value,
            channel=grievance.channel.value, text=grievance.text, language=grievance.language,
            admin_area=grievance.admin_area, location_text=grievance.location_text,
            office=_ref(grievance.office), category=_ref(grievance.category),
            priority=grievance.priority.value, confidentiality=grievance.confidentiality.value,
            citizen=_citizen(grievance, role), received_at=grievance.received_at,
            first_response_at=grievance.first_response_at, resolved_at=grievance.resolved_at,
            closed_at=grievance.closed_at, updated_at=grievance.updated_at,
            transfer_count=grievance.transfer_count, reopen_count=grievance.reopen_count,
            silence_hours=_hours(grievance.received_at, grievance.first_response_at),
            resolution_hours=_hours(grievance.received_at, grievance.resolved_at),
            deadlines=[DeadlineOut(**d) for d in deadlines],
            events=[EventOut.of(e, to_office=(destinations or {}).get(e)) for e in grievance.events]
            if with_events else None,
            routing=RoutingOut.of(grievance) if with_events else None, links=links,
        )


    def redacted(self) -> GrievanceOut:
        """What the caller may still know after handing it to someone they cannot see behind (the integrity unit)."""
        return self.model_copy(update={"text": "", "location_text": None, "citizen": None, "events": None,
                                       "routing": None, "links": None, "deadlines": []})


class GrievancePage(BaseModel):
    items: list[GrievanceOut]
    next_cursor: str | None


class OfficeOut(BaseModel):
    code: str
    name: str
    level: str
    parent: str | None
    jurisdiction: list[str]
    timezone: str
    oversight: bool
    integrity_unit: bool
    categories: list[str]

    @classmethod
    def of(cls, office: Office) -> OfficeOut:
        return cls(code=office.code, name=office.name, level=office.level.value,
                   parent=office.parent.code if office.parent else None, jurisdiction=list(office.jurisdiction),
                   timezone=office.timezone, oversight=office.is_oversight,
                   integrity_unit=office.is_integrity_unit, categories=sorted(c.code for c in office.categories))


class OfficeList(BaseModel):
    items: list[OfficeOut]


class CategoryOut(BaseModel):
    code: str
    name: str
    description: str
    response_hours: int
    resolution_hours: int
    integrity: bool


class CategoryList(BaseModel):
    items: list[CategoryOut]


def _ref(thing: Any) -> Ref | None:
    return Ref(code=thing.code, name=thing.name) if thing is not None else None


def _value(status: Any) -> str | None:
    return status.value if status is not None else None


def _citizen(grievance: Grievance, role: Role) -> CitizenOut | None:
    """Anonymous complainants stay unknown to offices; phones are shown only to roles that call back."""
    citizen = grievance.citizen
    if citizen is None or grievance.confidentiality == Confidentiality.ANONYMOUS:
        return None
    return CitizenOut(name=citizen.name, phone=phone_for(role, citizen.phone), language=citizen.language)


def _hours(start: datetime, end: datetime | None) -> float | None:
    return round((end - start).total_seconds() / 3600, 2) if end is not None else None
