"""How a sweep batch writes what it decided: the decisions per kind of row in a temporary table, the rest
in SQL.

Python decides each kind of climb (the ladder, the next deadline in the office's working hours, the
messages in the citizen's language): a batch of 5,000 passed deadlines has a few hundred kinds, the
`KIND` of a row being what its climb depends on. Those decisions go to a temporary table (COPY on
PostgreSQL); the database joins them to the batch's deadlines into one claim per deadline, a
compare-and-set update claims the deadlines whose level and due time are still the ones read, and each
table the climb touches gets one `INSERT … SELECT` from the claims: the `escalated` events (each the step
itself, unique per deadline and level) and the office's and the citizen's messages. No row of the batch
makes a round trip through Python, which is what lets 100,000 escalations fit in seconds
(docs/performance.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from core import grievance_changes
from core.db import UTCDateTime, among, bulk_insert, iso_utc
from core.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from escalation.models import Deadline
from intake.models import ActorType, Citizen, EventKind, Grievance, GrievanceEvent
from intake.services import citizen_channel_sql

JSON_TEXT = Text().with_variant(postgresql.JSON(), "postgresql")  # JSON the sweep wrote itself, stored as is

# What a climb depends on, read from the deadline, its grievance and citizen (`batch_rows`): nulls as 0
# and '', enums as their text, so that the join with the decisions is a plain equality.
KIND = {"deadline_office": func.coalesce(Deadline.office_id, 0),
        "grievance_office": func.coalesce(Grievance.office_id, 0),
        "confidentiality": type_coerce(Grievance.confidentiality, String), "seen": Deadline.level,
        "escalation_hours": Deadline.escalation_hours, "basis": type_coerce(Deadline.basis, String),
        "kind": type_coerce(Deadline.kind, String),
        "language": func.coalesce(func.nullif(Citizen.language, ""), Grievance.language, "")}

RUNGS = Table(
    "sweep_rungs", MetaData(),
    Column("deadline_office", Integer, nullable=False),  # the KIND columns, as KIND reads them
    Column("grievance_office", Integer, nullable=False),
    Column("confidentiality", String(16), nullable=False),
    Column("seen", Integer, nullable=False),  # the level read: the compare-and-set's expected value
    Column("escalation_hours", Float, nullable=False),
    Column("basis", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("language", String(16), nullable=False),
    Column("level", Integer, nullable=False),  # the level after this sweep (the same when the ladder is done)
    Column("following", UTCDateTime()),  # when the next level is due; None at the top
    Column("escalates", Boolean, nullable=False),  # False: the top has had its time, the clock just stops
    Column("office_id", Integer),  # who is responsible at the new level
    Column("moves", Boolean, nullable=False),  # the grievance's office becomes that office
    Column("event_before", Text),  # the event's JSON before and after the due time the climb answers
    Column("event_after", Text),
    Column("staff_recipient", String(64)),
    Column("staff_after", Text),  # the office's alert after the tracking number
    Column("citizen_before", Text),  # the citizen's notice around the tracking number
    Column("citizen_after", Text),
    prefixes=["TEMPORARY"],
)

CLAIMS = Table(
    "sweep_claims", MetaData(),
    Column("deadline_id", Integer, primary_key=True),
    Column("grievance_id", Integer, nullable=False),
    Column("seen", Integer, nullable=False),
    Column("level", Integer, nullable=False),
    Column("following", UTCDateTime()),
    Column("escalates", Boolean, nullable=False),
    Column("office_id", Integer),
    Column("moves", Boolean, nullable=False),
    Column("answers", UTCDateTime()),  # the due time this climb answers
    Column("event_data", JSON_TEXT),
    Column("staff_recipient", String(64)),
    Column("staff_body", Text),
    Column("citizen_id", Integer),
    Column("citizen_channel", String(16)),  # None: no way to reach the citizen
    Column("citizen_recipient", String(64)),
    Column("citizen_body", Text),
    prefixes=["TEMPORARY"],
)


def batch_rows(*columns: Any) -> Any:
    """A select from deadlines joined to what their climbs depend on (`KIND`)."""
    return (select(*columns).select_from(Deadline).join(Grievance, Grievance.id == Deadline.grievance_id)
            .outerjoin(Citizen, Citizen.id == Grievance.citizen_id))


def write(session: Session, ids: list[int], rungs: list[dict[str, Any]], *, now: datetime) -> int:
    """Claim these deadlines (those another sweeper moved first are dropped) and write their climbs, each as
    its kind's rung says; returns how many escalated."""
    if not ids:
        return 0
    connection = session.connection()
    RUNGS.create(connection)  # an error rolls the transaction back, and the tables with it
    CLAIMS.create(connection)
    bulk_insert(session, RUNGS, rungs)
    _fill_claims(session, ids, now=now)
    c = CLAIMS.c
    won = set(session.execute(
        update(Deadline).where(Deadline.id == c.deadline_id, Deadline.level == c.seen, Deadline.next_at == c.answers)
        .values(level=c.level, next_at=c.following, warn_at=None).returning(Deadline.id)
        .execution_options(synchronize_session=False)).scalars())
    lost = [deadline_id for deadline_id in ids if deadline_id not in won]
    if lost:
        session.execute(CLAIMS.delete().where(c.deadline_id.in_(lost)))
    climbs = select(CLAIMS).where(c.escalates).subquery()
    _insert(session, GrievanceEvent.__table__, {
        "grievance_id": climbs.c.grievance_id, "kind": literal(EventKind.ESCALATED.value),
        "at": literal(now, UTCDateTime()), "actor_type": literal(ActorType.SYSTEM.value),
        "actor_name": literal("OpenRedress"), "office_id": climbs.c.office_id, "public": true(),
        "data": climbs.c.event_data, "deadline_id": climbs.c.deadline_id, "level": climbs.c.level}, climbs)
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
    escalated = session.scalar(select(func.count()).select_from(CLAIMS).where(c.escalates))
    CLAIMS.drop(connection)
    RUNGS.drop(connection)
    return escalated


def _fill_claims(session: Session, ids: list[int], *, now: datetime) -> None:
    """One claim per deadline still passed: its own values joined to its kind's rung. A deadline the batch's
    syncing moved to another kind has no rung here: it stays due and the next sweep climbs it."""
    r, g = RUNGS.c, Grievance
    channel, recipient = citizen_channel_sql(phone=Citizen.phone, telegram_chat_id=Citizen.telegram_chat_id,
                                             opted_out_at=Citizen.opted_out_at, channel=g.channel)
    claims = {
        "deadline_id": Deadline.id, "grievance_id": Deadline.grievance_id, "seen": Deadline.level,
        "level": r.level, "following": r.following, "escalates": r.escalates, "office_id": r.office_id,
        "moves": r.moves, "answers": Deadline.next_at,
        "event_data": cast(r.event_before + iso_utc(Deadline.next_at) + r.event_after, JSON_TEXT),
        "staff_recipient": r.staff_recipient, "staff_body": g.tracking_number + r.staff_after,
        "citizen_id": Citizen.id, "citizen_channel": channel, "citizen_recipient": recipient,
        "citizen_body": case((channel.is_not(None), r.citizen_before + g.tracking_number + r.citizen_after))}
    query = batch_rows(*claims.values()).join(RUNGS, and_(*(RUNGS.c[name] == column for name, column in KIND.items())))
    query = query.where(among(session, Deadline.id, ids), Deadline.next_at <= now)
    session.execute(insert(CLAIMS).from_select(list(claims), query))


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
