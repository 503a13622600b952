"""SMS: delivery urgency, uncertain hand-overs, provider delivery status; place names of admin areas

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 15:54:57.963517

Existing rows are neither urgent nor uncertain (server default false).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_areas')),
    sa.UniqueConstraint('code', name=op.f('uq_areas_code'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('uncertain', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('delivery_status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('delivery_status_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('error_code', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('ix_outbox_recipient_sent', ['recipient', 'sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_recipient_sent')
        batch_op.drop_index(batch_op.f('ix_outbox_provider_id'))
        batch_op.drop_column('error_code')
        batch_op.drop_column('delivery_status_at')
        batch_op.drop_column('delivery_status')
        batch_op.drop_column('uncertain')
        batch_op.drop_column('urgent')
    op.drop_table('areas')
