"""Each step of the escalation ladder is its `escalated` event: the event carries the deadline and the level,
unique together, and the `escalations` table (the same step written twice) goes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 13:00:00
"""
import json
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STEP = sa.text('level IS NOT NULL')
EVENTS = sa.table('grievance_events', sa.column('id', sa.Integer()), sa.column('grievance_id', sa.Integer()),
                  sa.column('kind', sa.String()), sa.column('at', core.db.UTCDateTime()),
                  sa.column('actor_type', sa.String()), sa.column('actor_name', sa.String()),
                  sa.column('office_id', sa.Integer()), sa.column('data', sa.JSON()),
                  sa.column('public', sa.Boolean()), sa.column('deadline_id', sa.Integer()),
                  sa.column('level', sa.Integer()))
ESCALATIONS = sa.table('escalations', sa.column('deadline_id', sa.Integer()), sa.column('grievance_id', sa.Integer()),
                       sa.column('level', sa.Integer()), sa.column('at', core.db.UTCDateTime()),
                       sa.column('answers_due_at', core.db.UTCDateTime()), sa.column('office_id', sa.Integer()),
                       sa.column('requested_by_citizen', sa.Boolean()), sa.column('data', sa.JSON()))
DEADLINES = sa.table('deadlines', sa.column('id', sa.Integer()), sa.column('kind', sa.String()))


def upgrade() -> None:
    with op.batch_alter_table('grievance_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('level', sa.Integer(), nullable=True))
    bind = op.get_bind()
    # Each escalation's event: the escalated event of the same grievance, time, level and deadline kind.
    events: dict[tuple, list[int]] = {}
    for event_id, grievance_id, at, data in bind.execute(
            sa.select(EVENTS.c.id, EVENTS.c.grievance_id, EVENTS.c.at, EVENTS.c.data)
            .where(EVENTS.c.kind == 'escalated').order_by(EVENTS.c.id)):
        data = _json(data)
        events.setdefault((grievance_id, at, data.get('level'), data.get('deadline')), []).append(event_id)
    matched, missing = [], []
    for step in bind.execute(
            sa.select(ESCALATIONS, DEADLINES.c.kind).join(DEADLINES, DEADLINES.c.id == ESCALATIONS.c.deadline_id)):
        found = events.get((step.grievance_id, step.at, step.level, step.kind))
        if found:
            matched.append({'event_id': found.pop(0), 'deadline_id': step.deadline_id, 'level': step.level})
        else:  # no event was written for it (none is expected): the step keeps its place in the figures
            missing.append({'grievance_id': step.grievance_id, 'kind': 'escalated', 'at': step.at,
                            'actor_type': 'system', 'actor_name': 'OpenRedress', 'office_id': step.office_id,
                            'public': True, 'deadline_id': step.deadline_id, 'level': step.level,
                            'data': {'level': step.level, 'deadline': step.kind,
                                     'due_at': step.answers_due_at.isoformat()}})
    if matched:
        bind.execute(EVENTS.update().where(EVENTS.c.id == sa.bindparam('event_id'))
                     .values(deadline_id=sa.bindparam('deadline_id'), level=sa.bindparam('level')), matched)
    if missing:
        bind.execute(EVENTS.insert(), missing)
    op.create_index('uq_grievance_events_deadline_id_level', 'grievance_events', ['deadline_id', 'level'],
                    unique=True, postgresql_where=STEP, sqlite_where=STEP)
    op.drop_table('escalations')


def downgrade() -> None:
    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('grievance_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answers_due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_citizen', sa.Boolean(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_escalations_deadline_id_deadlines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grievance_id'], ['grievances.id'], name=op.f('fk_escalations_grievance_id_grievances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_escalations_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
    sa.UniqueConstraint('deadline_id', 'level', name=op.f('uq_escalations_deadline_id_level'))
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalations_grievance_id'), ['grievance_id'], unique=False)
    bind = op.get_bind()
    steps = []
    for step in bind.execute(sa.select(EVENTS).where(EVENTS.c.level.is_not(None)).order_by(EVENTS.c.id)):
        data = _json(step.data)
        due = data.get('due_at')
        steps.append({'deadline_id': step.deadline_id, 'grievance_id': step.grievance_id, 'level': step.level,
                      'at': step.at, 'answers_due_at': datetime.fromisoformat(due) if due else step.at,
                      'office_id': step.office_id, 'requested_by_citizen': False,
                      'data': {'kind': data.get('deadline', '')}})
    if steps:
        bind.execute(ESCALATIONS.insert(), steps)
    op.drop_index('uq_grievance_events_deadline_id_level', table_name='grievance_events')
    with op.batch_alter_table('grievance_events', schema=None) as batch_op:
        batch_op.drop_column('level')
        batch_op.drop_column('deadline_id')


def _json(value: object) -> dict:
    return json.loads(value) if isinstance(value, str) else (value or {})
