"""Citizens by phone: found or created on first contact, and their SMS opt-out (STOP) and opt-in (START)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Citizen
from intake.services import find_or_create_citizen


def citizen_by_phone(session: Session, phone: str) -> Citizen | None:
    return session.scalar(select(Citizen).where(Citizen.phone == phone))


def citizen_for_phone(session: Session, *, phone: str, now: datetime) -> Citizen:
    """The citizen with this phone, created on first contact."""
    citizen = find_or_create_citizen(session, phone=phone, chat_id=None, name=None, language=None, now=now)
    assert citizen is not None  # a phone was given
    return citizen


def opt_out(session: Session, *, phone: str, now: datetime) -> Citizen:
    """The number gets nothing more but the confirmation; a number we never saw is remembered too."""
    citizen = citizen_for_phone(session, phone=phone, now=now)
    if citizen.opted_out_at is None:
        citizen.opted_out_at = now
    return citizen


def opt_in(session: Session, *, phone: str, now: datetime) -> Citizen:
    citizen = citizen_for_phone(session, phone=phone, now=now)
    citizen.opted_out_at = None
    return citizen
