"""Escalation: office calendars and holidays, SLA policies, deadlines and the escalations of the ladder

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:51:31.495157
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('week', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendars')),
    sa.UniqueConstraint('code', name=op.f('uq_calendars_code'))
    )
    op.create_table('holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'], name=op.f('fk_holidays_calendar_id_calendars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holidays')),
    sa.UniqueConstraint('calendar_id', 'day', name=op.f('uq_holidays_calendar_id_day'))
    )
    op.create_table('office_calendars',
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'], name=op.f('fk_office_calendars_calendar_id_calendars')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_office_calendars_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('office_id', name=op.f('pk_office_calendars'))
    )
    op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('first_response_hours', sa.Float(), nullable=False),
    sa.Column('resolution_hours', sa.Float(), nullable=False),
    sa.Column('transfer_hours', sa.Float(), nullable=True),
    sa.Column('escalation_hours', sa.Float(), nullable=False),
    sa.Column('basis', sa.Enum('business', 'calendar', name='basis', native_enum=False, length=16), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_sla_policies_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_sla_policies_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies')),
    sa.UniqueConstraint('category_id', 'office_id', name=op.f('uq_sla_policies_category_id_office_id'))
    )
    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grievance_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('first_response', 'resolution', 'transfer', name='deadlinekind', native_enum=False, length=16), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('basis', sa.Enum('business', 'calendar', name='basis', native_enum=False, length=16), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('escalation_hours', sa.Float(), nullable=False),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('warn_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('warned_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('met_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_remaining_seconds', sa.Float(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('next_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['grievance_id'], ['grievances.id'], name=op.f('fk_deadlines_grievance_id_grievances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_deadlines_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadlines_grievance_id'), ['grievance_id'], unique=False)
        batch_op.create_index('ix_deadlines_next_at', ['next_at'], unique=False)
        batch_op.create_index('ix_deadlines_warn_at', ['warn_at'], unique=False)

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



def downgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalations_grievance_id'))

    op.drop_table('escalations')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_warn_at')
        batch_op.drop_index('ix_deadlines_next_at')
        batch_op.drop_index(batch_op.f('ix_deadlines_grievance_id'))

    op.drop_table('deadlines')
    op.drop_table('sla_policies')
    op.drop_table('office_calendars')
    op.drop_table('holidays')
    op.drop_table('calendars')
