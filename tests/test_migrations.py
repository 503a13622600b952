"""Migrations on this database kind: upgrade to head, down to base, up again, and no drift from the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, column, inspect, select, table
from sqlalchemy.exc import IntegrityError

from app import migrate
from app.schema import metadata
from core.db import UTCDateTime, make_engine
from escalation.models import Basis, Deadline, DeadlineKind
from intake.models import Channel, Confidentiality, EventKind, Grievance, GrievanceEvent, Office, Priority, Status


def test_upgrade_downgrade_upgrade_and_no_drift(new_database_url):
    engine = make_engine(new_database_url())
    try:
        migrate.upgrade(engine)
        assert migrate.current(engine) == migrate.head(engine)
        assert {"grievances", "grievance_events", "offices", "outbox"} <= set(inspect(engine).get_table_names())
        migrate.downgrade(engine, "base")
        assert migrate.current(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            drift = compare_metadata(context, metadata)
        assert drift == [], f"models and migrations differ: {drift}"
    finally:
        engine.dispose()


def test_sqlite_store_runs_with_wal_full_sync_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_escalations_become_their_escalated_events_and_back(new_database_url):
    """0014: each escalation marks its event with the deadline and level (one without an event gets one); the
    pair is unique; going down rebuilds the escalations."""
    at = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
    events = table("grievance_events", column("grievance_id"), column("kind"), column("at", UTCDateTime()),
                   column("actor_type"), column("office_id"), column("data", JSON()), column("public"))
    escalations = table("escalations", column("deadline_id"), column("grievance_id"), column("level"),
                        column("at", UTCDateTime()), column("answers_due_at", UTCDateTime()), column("office_id"),
                        column("requested_by_citizen"), column("data", JSON()))
    engine = make_engine(new_database_url())
    try:
        migrate.upgrade(engine, "0013")
        with engine.begin() as connection:
            connection.execute(Grievance.__table__.insert(), [{
                "id": 1, "tracking_number": "GRV-MIGRATE", "secret_hash": "0" * 64, "channel": Channel.SMS,
                "text": "No water", "language": "en", "status": Status.ASSIGNED, "priority": Priority.NORMAL,
                "confidentiality": Confidentiality.NORMAL, "received_at": at, "updated_at": at,
                "transfer_count": 0, "reopen_count": 0}])
            connection.execute(Deadline.__table__.insert(), [
                {"id": deadline_id, "grievance_id": 1, "kind": kind, "basis": Basis.CALENDAR, "hours": 8.0,
                 "escalation_hours": 8.0, "started_at": at, "due_at": at, "level": 2, "next_at": None}
                for deadline_id, kind in ((1, DeadlineKind.FIRST_RESPONSE), (2, DeadlineKind.TRANSFER))])
            connection.execute(events.insert(), [
                {"grievance_id": 1, "kind": kind, "at": at, "actor_type": "system", "office_id": None,
                 "public": True, "data": data} for kind, data in (
                    ("submitted", {}), ("escalated", {"level": 1, "deadline": "transfer", "due_at": at.isoformat()}),
                    ("escalated", {"level": 1, "deadline": "first_response", "due_at": at.isoformat()}))])
            connection.execute(escalations.insert(), [
                {"deadline_id": deadline_id, "grievance_id": 1, "level": level, "at": when, "answers_due_at": at,
                 "office_id": None, "requested_by_citizen": False, "data": {"kind": kind}}
                for deadline_id, level, when, kind in ((1, 1, at, "first_response"), (2, 1, at, "transfer"),
                                                       (1, 2, at + timedelta(hours=8), "first_response"))])
        migrate.upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(select(GrievanceEvent.kind, GrievanceEvent.deadline_id, GrievanceEvent.level,
                                             GrievanceEvent.data).order_by(GrievanceEvent.id)).all()
        assert [(kind, deadline_id, level) for kind, deadline_id, level, _ in rows] == [
            (EventKind.SUBMITTED, None, None), (EventKind.ESCALATED, 2, 1), (EventKind.ESCALATED, 1, 1),
            (EventKind.ESCALATED, 1, 2)]
        assert rows[3].data == {"level": 2, "deadline": "first_response", "due_at": at.isoformat()}
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(GrievanceEvent.__table__.insert(), [{
                "grievance_id": 1, "kind": "escalated", "at": at, "actor_type": "system", "public": True,
                "data": {}, "deadline_id": 2, "level": 1}])
        migrate.downgrade(engine, "0013")
        with engine.connect() as connection:
            back = connection.execute(select(escalations.c.deadline_id, escalations.c.level, escalations.c.at,
                                             escalations.c.answers_due_at, escalations.c.data)
                                      .order_by(escalations.c.deadline_id, escalations.c.level)).all()
        assert [tuple(row) for row in back] == [
            (1, 1, at, at, {"kind": "first_response"}), (1, 2, at + timedelta(hours=8), at, {"kind": "first_response"}),
            (2, 1, at, at, {"kind": "transfer"})]
    finally:
        engine.dispose()


def test_old_transfer_events_are_credited_to_the_office_they_left(new_database_url):
    """0016: a `transferred` event written with the office that received it takes the one its data names as
    `from_office`, if that office exists; going down gives it back the receiving one."""
    at = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
    engine = make_engine(new_database_url())
    try:
        migrate.upgrade(engine, "0015")
        with engine.begin() as connection:
            connection.execute(Office.__table__.insert(), [
                {"id": office_id, "code": code, "name": code.title(), "level": "office", "timezone": "UTC",
                 "jurisdiction": []} for office_id, code in ((1, "SENDER"), (2, "RECEIVER"))])
            connection.execute(Grievance.__table__.insert(), [{
                "id": 1, "tracking_number": "GRV-MIGRATE", "secret_hash": "0" * 64, "channel": Channel.SMS,
                "text": "No water", "language": "en", "status": Status.ASSIGNED, "priority": Priority.NORMAL,
                "confidentiality": Confidentiality.NORMAL, "received_at": at, "updated_at": at, "office_id": 2,
                "transfer_count": 1, "reopen_count": 0}])
            connection.execute(GrievanceEvent.__table__.insert(), [
                {"grievance_id": 1, "kind": kind, "at": at, "actor_type": "staff", "office_id": 2, "public": True,
                 "data": data} for kind, data in (
                    ("routed", {"office": "RECEIVER"}),
                    ("transferred", {"from_office": "SENDER", "to_office": "RECEIVER"}),
                    ("transferred", {"from_office": "GONE", "to_office": "RECEIVER"}),  # no such office: kept
                    ("transferred", {"from_category": "a", "to_category": "b"}))])  # a category's move: kept

        def credited() -> list[int]:
            with engine.connect() as connection:
                return connection.scalars(select(GrievanceEvent.office_id).order_by(GrievanceEvent.id)).all()

        migrate.upgrade(engine)
        assert credited() == [2, 1, 2, 2]
        migrate.downgrade(engine, "0015")
        assert credited() == [2, 2, 2, 2]
    finally:
        engine.dispose()
