"""Running deadlines by due time, for the staff inbox's nearest-deadline-first order

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNNING = sa.text('met_at IS NULL AND cancelled_at IS NULL')


def upgrade() -> None:
    op.create_index('ix_deadlines_running_due', 'deadlines', ['due_at'], postgresql_where=RUNNING,
                    sqlite_where=RUNNING)


def downgrade() -> None:
    op.drop_index('ix_deadlines_running_due', table_name='deadlines')
