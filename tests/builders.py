"""Builders: rows with sensible defaults, made through the services like any caller would."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from channels.accept import accept
from intake.accounts import create_api_key
from intake.actors import SYSTEM
from intake.models import Grievance, Role
from intake.queries import office_by_code
from intake.schemas import GrievanceDraft


def api_key(session: Session, *, role: Role = Role.ADMIN, office: str = "RV", now: datetime) -> str:
    """A key's secret, for an `Authorization: Bearer` header."""
    found = office_by_code(session, office)
    assert found is not None, office
    issued = create_api_key(session, name=f"test-{role.value}-{office}", role=role, office=found, now=now)
    session.commit()
    return issued.secret


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def grievance(session: Session, *, now: datetime, text: str = "No water in our street for three days",
              category: str | None = "water", admin_area: str | None = "RV-N", phone: str | None = "+9779812345678",
              commit: bool = True, **fields: object) -> Grievance:
    draft = GrievanceDraft(text=text, category=category, admin_area=admin_area, phone=phone, **fields)
    result = accept(session, draft=draft, actor=SYSTEM, now=now, region="NP")
    if commit:
        session.commit()
    else:
        session.flush()
    return result.grievance


STAFF_PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only


def staff(session: Session, *, username: str, role: Role = Role.OFFICER, office: str = "RV-N-WATER",
          now: datetime, active: bool = True) -> str:
    """A staff account with STAFF_PASSWORD, committed; returns its username."""
    from intake.accounts import hash_password, upsert_staff

    found = office_by_code(session, office)
    assert found is not None, office
    user = upsert_staff(session, username=username, display_name=username.title(), role=role, office=found,
                        password_hash=hash_password(STAFF_PASSWORD), now=now)
    user.active = active
    session.commit()
    return username
