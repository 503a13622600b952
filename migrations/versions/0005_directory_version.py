"""The directory's version token (each process caches the directory until it changes); SLA warning share; partial indexes of deadlines' and messages' set timestamps

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 17:00:00
"""
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table('directory_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_version'))
    )
    op.bulk_insert(table, [{'id': 1, 'token': uuid.uuid4().hex}])
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warn_fraction', sa.Float(), nullable=False, server_default='0.2'))


    _index('deadlines', 'ix_deadlines_next_at', ['next_at'], partial=True)
    _index('deadlines', 'ix_deadlines_warn_at', ['warn_at'], partial=True)
    _index('outbox', 'ix_outbox_recipient_sent', ['recipient', 'sent_at'], partial=True)
    _index('outbox', 'ix_outbox_provider_id', ['provider_id'], partial=True)


def _index(table: str, name: str, columns: list[str], *, partial: bool) -> None:
    """Rebuild an index, of only the rows where its last column is set (partial) or of all rows."""
    op.drop_index(name, table_name=table)
    where = sa.text(f'{columns[-1]} IS NOT NULL') if partial else None
    op.create_index(name, table, columns, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    _index('outbox', 'ix_outbox_provider_id', ['provider_id'], partial=False)
    _index('outbox', 'ix_outbox_recipient_sent', ['recipient', 'sent_at'], partial=False)
    _index('deadlines', 'ix_deadlines_warn_at', ['warn_at'], partial=False)
    _index('deadlines', 'ix_deadlines_next_at', ['next_at'], partial=False)
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.drop_column('warn_fraction')
    op.drop_table('directory_version')
