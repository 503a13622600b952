"""A transfer's event is credited to the office that sent it (the one it left): existing `transferred` events,
written with the receiving office, take the office their data names as `from_office`

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 23:45:00
"""
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = sa.table('grievance_events', sa.column('id', sa.Integer()), sa.column('kind', sa.String()),
                  sa.column('office_id', sa.Integer()), sa.column('data', sa.JSON()))
OFFICES = sa.table('offices', sa.column('id', sa.Integer()), sa.column('code', sa.String()))
BATCH = 1000


def upgrade() -> None:
    _credit('from_office')


def downgrade() -> None:
    _credit('to_office')  # as before: the office that received it


def _credit(end: str) -> None:
    """Each transfer's event takes the office its data names at `end`, where that office exists. The data is JSON,
    read here rather than in SQL, so one code runs on SQLite and PostgreSQL."""
    bind = op.get_bind()
    offices = dict(bind.execute(sa.select(OFFICES.c.code, OFFICES.c.id)).all())
    changes = []
    for event_id, office_id, data in bind.execute(
            sa.select(EVENTS.c.id, EVENTS.c.office_id, EVENTS.c.data).where(EVENTS.c.kind == 'transferred')
            .order_by(EVENTS.c.id)).all():
        code = _json(data).get(end)
        credited = offices.get(code) if isinstance(code, str) else None
        if credited is not None and credited != office_id:
            changes.append({'event_id': event_id, 'credited': credited})
    update = (EVENTS.update().where(EVENTS.c.id == sa.bindparam('event_id'))
              .values(office_id=sa.bindparam('credited')))
    for start in range(0, len(changes), BATCH):
        bind.execute(update, changes[start:start + BATCH])


def _json(value: object) -> dict:
    found = json.loads(value) if isinstance(value, str) else value
    return found if isinstance(found, dict) else {}
