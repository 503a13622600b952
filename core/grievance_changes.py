"""A feed of grievances that changed, so figures kept in advance (the dashboards' daily rollups) know
what to recount.

Every flush that adds, changes or deletes a grievance or one of its deadlines appends the grievance's id
here, once per transaction and in it: the mark commits with the change or not at all. Writers that go
around the ORM (the escalation sweep's set-based updates) call `mark_from`. The feed only ever grows by
appends, so concurrent writers never wait on each other for it; the rollup job deletes the marks it
has consumed, by id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, event, insert
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql import Select

from core.db import Base

WATCHED = {"grievances": "id", "deadlines": "grievance_id"}  # table → the attribute naming the grievance
MARKED = "grievance_changes.marked"  # session.info key: the ids this transaction has marked


class GrievanceChange(Base):
    __tablename__ = "grievance_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    grievance_id: Mapped[int] = mapped_column(Integer)  # no foreign key: a mark must never block a write


def mark_from(session: Session, grievance_ids: Select[Any]) -> None:
    """Mark the grievances a set-based statement changed, given a SELECT of their ids."""
    session.execute(insert(GrievanceChange).from_select(["grievance_id"], grievance_ids))


@event.listens_for(Session, "after_flush")
def _mark(session: Session, _context: Any) -> None:
    """After the flush (new grievances have their ids by now), before the commit. Once per grievance and
    transaction: filing one complaint flushes five times, and one mark says all a recount needs."""
    marked: set[int] = session.info.setdefault(MARKED, set())
    changed = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
    ids = set()
    for obj in changed:
        attribute = WATCHED.get(getattr(getattr(obj, "__table__", None), "name", ""))
        if attribute and getattr(obj, attribute, None) is not None:
            ids.add(getattr(obj, attribute))
    ids -= marked
    if ids:  # session.connection(), not session.execute: no flush from inside a flush
        session.connection().execute(insert(GrievanceChange.__table__), [{"grievance_id": i} for i in sorted(ids)])
        marked |= ids


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_: Any) -> None:
    """A new transaction marks afresh; so does what follows any rollback (a savepoint's takes its marks)."""
    session.info.pop(MARKED, None)
