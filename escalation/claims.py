"""How a sweep batch writes what it decided: one row per deadline into a temporary table, the rest in SQL.

Python decides each climb (the ladder, the next deadline in the office's working hours, the messages in
the citizen's language); the database does the writing. The batch's decisions go to a temporary table
in one bulk insert (COPY on PostgreSQL); a compare-and-set update claims the deadlines whose level is
still the one read, and each table the climb touches gets one `INSERT … SELECT` from the claims. No
written row makes a round trip through Python, which is what lets 100,000 escalations fit in seconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from core import grievance_changes
from core.db import UTCDateTime, bulk_insert
from core.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from escalation.models import Deadline, Escalation
from intake.models import ActorType, EventKind, Grievance, GrievanceEvent

JSON_TEXT = Text().with_variant(postgresql.JSON(), "postgresql")  # JSON the sweep wrote itself, stored as is

CLAIMS = Table(
    "sweep_claims", MetaData(),
    Column("deadline_id", Integer, primary_key=True),
    Column("grievance_id", Integer, nullable=False),
    Column("seen", Integer, nullable=False),  # the level read: the compare-and-set's expected value
    Column("level", Integer, nullable=False),  # the level after this sweep (the same when the ladder is done)
    Column("following", UTCDateTime()),  # when the next level is due; None at the top
    Column("escalates", Boolean, nullable=False),  # False: the top has had its time, the clock just stops
    Column("office_id", Integer),  # who is responsible at the new level
    Column("moves", Boolean, nullable=False),  # the grievance's office becomes that office
    Column("answers", UTCDateTime()),  # the deadline this climb answers
    Column("escalation_data", JSON_TEXT),
    Column("event_data", JSON_TEXT),
    Column("staff_recipient", String(64)),
    Column("staff_body", Text),
    Column("citizen_id", Integer),
    Column("citizen_channel", String(16)),  # None: no way to reach the citizen
    Column("citizen_recipient", String(64)),
    Column("citizen_body", Text),
    prefixes=["TEMPORARY"],
)


def write(session: Session, claims: list[dict[str, Any]], *, now: datetime) -> int:
    """Claim the deadlines (those another sweeper moved first are dropped) and write the climbs; returns
    how many escalated."""
    if not claims:
        return 0
    connection = session.connection()
    CLAIMS.create(connection)  # an error rolls the transaction back, and the table with it
    bulk_insert(session, CLAIMS, claims)
    c = CLAIMS.c
    won = set(session.execute(
        update(Deadline).where(Deadline.id == c.deadline_id, Deadline.level == c.seen, Deadline.next_at == c.answers)
        .values(level=c.level, next_at=c.following, warn_at=None).returning(Deadline.id)
        .execution_options(synchronize_session=False)).scalars())
    lost = [claim["deadline_id"] for claim in claims if claim["deadline_id"] not in won]
    if lost:
        session.execute(CLAIMS.delete().where(c.deadline_id.in_(lost)))
    climbs = select(CLAIMS).where(c.escalates).subquery()
    _insert(session, Escalation.__table__, {
        "deadline_id": climbs.c.deadline_id, "grievance_id": climbs.c.grievance_id, "level": climbs.c.level,
        "at": literal(now, UTCDateTime()), "answers_due_at": climbs.c.answers, "office_id": climbs.c.office_id,
        "requested_by_citizen": false(), "data": climbs.c.escalation_data}, climbs)
    _insert(session, GrievanceEvent.__table__, {
        "grievance_id": climbs.c.grievance_id, "kind": literal(EventKind.ESCALATED.value),
        "at": literal(now, UTCDateTime()), "actor_type": literal(ActorType.SYSTEM.value),
        "actor_name": literal("OpenRedress"), "office_id": climbs.c.office_id, "public": true(),
        "data": climbs.c.event_data}, climbs)
    _insert(session, OutboxMessage.__table__, _message(
        climbs, channel=literal(OutboxChannel.STAFF.value), recipient=climbs.c.staff_recipient,
        body=climbs.c.staff_body, purpose="escalation", citizen_id=literal(None, Integer), now=now), climbs)
    _insert(session, OutboxMessage.__table__, _message(
        climbs, channel=climbs.c.citizen_channel, recipient=climbs.c.citizen_recipient,
        body=climbs.c.citizen_body, purpose="escalated", citizen_id=climbs.c.citizen_id, now=now), climbs,
        where=climbs.c.citizen_channel.is_not(None))
    session.execute(update(Grievance).where(Grievance.id == c.grievance_id, c.moves)
                    .values(office_id=c.office_id, updated_at=now).execution_options(synchronize_session=False))
    grievance_changes.mark_from(session, select(c.grievance_id).where(c.moves))  # the dashboards recount them
    CLAIMS.drop(connection)
    return sum(1 for claim in claims if claim["escalates"] and claim["deadline_id"] in won)


def _message(climbs: Any, *, channel: Any, recipient: Any, body: Any, purpose: str, citizen_id: Any,
             now: datetime) -> dict[str, Any]:
    return {"channel": channel, "recipient": recipient, "body": body, "purpose": literal(purpose),
            "grievance_id": climbs.c.grievance_id, "citizen_id": citizen_id,
            "status": literal(OutboxStatus.PENDING.value), "attempts": literal(0),
            "created_at": literal(now, UTCDateTime()), "next_attempt_at": literal(now, UTCDateTime()),
            "urgent": false(), "uncertain": false()}


def _insert(session: Session, table: Table, columns: dict[str, Any], source: Any, *, where: Any = None) -> None:
    query = select(*columns.values()).select_from(source)
    if where is not None:
        query = query.where(where)
    session.execute(insert(table).from_select(list(columns), query))
