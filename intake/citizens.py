"""Citizens by phone or Telegram chat: found or created on first contact, linked when a chat shares its phone,
and their SMS opt-out (STOP) and opt-in (START)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.outbox import OutboxMessage
from intake.models import Citizen, Grievance
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


def citizen_by_chat(session: Session, chat_id: int) -> Citizen | None:
    return session.scalar(select(Citizen).where(Citizen.telegram_chat_id == chat_id))


def link_telegram(session: Session, *, chat_id: int, phone: str, now: datetime) -> Citizen:
    """A Telegram user shared their own phone: the chat and the phone are one citizen from now on.

    When both were already known apart (complaints by SMS, then others on Telegram before sharing),
    the chat's grievances and messages move to the phone's citizen and the chat-only record goes.
    """
    by_phone = citizen_by_phone(session, phone)
    by_chat = citizen_by_chat(session, chat_id)
    if by_phone is None:
        if by_chat is not None:
            by_chat.phone = phone
            return by_chat
        return find_or_create_citizen(session, phone=phone, chat_id=chat_id, name=None, language=None, now=now)
    if by_chat is not None and by_chat.id != by_phone.id:
        session.execute(update(Grievance).where(Grievance.citizen_id == by_chat.id)
                        .values(citizen_id=by_phone.id).execution_options(synchronize_session="fetch"))
        session.execute(update(OutboxMessage).where(OutboxMessage.citizen_id == by_chat.id)
                        .values(citizen_id=by_phone.id))
        by_phone.name = by_phone.name or by_chat.name
        by_phone.language = by_chat.language or by_phone.language
        by_phone.admin_area = by_phone.admin_area or by_chat.admin_area
        session.delete(by_chat)
        session.flush()  # the chat id is free before the phone's citizen takes it
    by_phone.telegram_chat_id = chat_id
    return by_phone
