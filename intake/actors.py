"""Who did something: every status change and event names its actor."""

from __future__ import annotations

from dataclasses import dataclass

from intake.models import ActorType, Role


@dataclass(frozen=True)
class Actor:
    type: ActorType
    id: str | None = None
    role: Role | None = None
    office_id: int | None = None
    name: str | None = None


SYSTEM = Actor(type=ActorType.SYSTEM, name="OpenRedress")


def citizen_actor(citizen_id: int | None) -> Actor:
    return Actor(type=ActorType.CITIZEN, id=str(citizen_id) if citizen_id else None)
