"""A token that changes whenever the directory does, so each process can cache what it reads from it.

The directory (offices, categories, areas, rules, calendars, holidays, SLA policies) changes a few times a
year, but every new grievance needs it to start its deadlines. A flush that adds, changes or deletes a
directory row writes a fresh random token in the same transaction; readers compare one small row with the
token their cache was built under. Random rather than a counter: two databases (a test's, a restored
backup) never share a token, so a cache keyed by it cannot serve one database's directory for another.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base

DIRECTORY_TABLES = frozenset({"offices", "categories", "office_categories", "areas", "routing_rules",
                              "canned_replies", "calendars", "holidays", "office_calendars", "sla_policies"})


class DirectoryVersion(Base):
    __tablename__ = "directory_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # the one row, id 1
    token: Mapped[str] = mapped_column(String(32))


def new_token() -> str:
    return uuid.uuid4().hex


def current(session: Session) -> str | None:
    """The token of the directory this session's transaction sees (None on a database without the row)."""
    return session.scalar(select(DirectoryVersion.token).where(DirectoryVersion.id == 1))


@event.listens_for(Session, "before_flush")
def _bump(session: Session, _context: Any, _instances: Any) -> None:
    """A flush that touches the directory also changes the token, in the same transaction."""
    changed = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
    if not any(getattr(getattr(o, "__table__", None), "name", None) in DIRECTORY_TABLES for o in changed):
        return
    connection = session.connection()  # not session.execute: that would flush again, from inside this flush
    table = DirectoryVersion.__table__
    if connection.execute(table.update().where(table.c.id == 1).values(token=new_token())).rowcount == 0:
        connection.execute(table.insert().values(id=1, token=new_token()))
