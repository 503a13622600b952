"""Weekly meeting action items

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:10:18.606398
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('action_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_office_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('owner_office_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', 'dropped', name='actionstatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closing_note', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['meeting_office_id'], ['offices.id'], name=op.f('fk_action_items_meeting_office_id_offices')),
    sa.ForeignKeyConstraint(['owner_office_id'], ['offices.id'], name=op.f('fk_action_items_owner_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_items'))
    )
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_items_meeting_office_id'), ['meeting_office_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_items_meeting_office_id'))

    op.drop_table('action_items')
