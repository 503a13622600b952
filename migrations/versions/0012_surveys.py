"""surveys and service deliveries; outbox buttons

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:14:53.256867
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('service_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('delivered_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_service_deliveries_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_deliveries')),
    sa.UniqueConstraint('reference', name=op.f('uq_service_deliveries_reference'))
    )
    with op.batch_alter_table('service_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_deliveries_phone'), ['phone'], unique=False)

    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.Enum('delivery', 'resolution', name='surveykind', native_enum=False, length=16), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('grievance_id', sa.Integer(), nullable=True),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'skipped', 'sent', 'answered', 'expired', name='surveystatus', native_enum=False, length=16), nullable=False),
    sa.Column('step', sa.Enum('score', 'what_wrong', 'payment', 'done', name='surveystep', native_enum=False, length=16), nullable=False),
    sa.Column('skip_reason', sa.String(length=32), nullable=True),
    sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('paid', sa.Boolean(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('clarified', sa.Boolean(), nullable=False),
    sa.Column('followup_grievance_id', sa.Integer(), nullable=True),
    sa.Column('integrity_grievance_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['service_deliveries.id'], name=op.f('fk_surveys_delivery_id_service_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['followup_grievance_id'], ['grievances.id'], name=op.f('fk_surveys_followup_grievance_id_grievances'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grievance_id'], ['grievances.id'], name=op.f('fk_surveys_grievance_id_grievances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['integrity_grievance_id'], ['grievances.id'], name=op.f('fk_surveys_integrity_grievance_id_grievances'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_surveys_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('key', name=op.f('uq_surveys_key'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_grievance_id'), ['grievance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_surveys_office_id'), ['office_id'], unique=False)
        batch_op.create_index('ix_surveys_recipient_status', ['recipient', 'status'], unique=False)
        batch_op.create_index('ix_surveys_status_due', ['status', 'due_at'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buttons', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('buttons')

    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index('ix_surveys_status_due')
        batch_op.drop_index('ix_surveys_recipient_status')
        batch_op.drop_index(batch_op.f('ix_surveys_office_id'))
        batch_op.drop_index(batch_op.f('ix_surveys_grievance_id'))

    op.drop_table('surveys')
    with op.batch_alter_table('service_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_deliveries_phone'))

    op.drop_table('service_deliveries')
