"""Daily and weekly rollups of the dashboard figures, the feed of changed grievances that says what to recount,
and the indexes the dashboards and the inbox count with

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:32:23.588438
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


RUNNING = sa.text('met_at IS NULL AND cancelled_at IS NULL')


def upgrade() -> None:
    op.drop_index('ix_deadlines_running_due', table_name='deadlines')  # with the grievance: overdue counts
    op.create_index('ix_deadlines_running_due', 'deadlines', ['due_at', 'grievance_id'], postgresql_where=RUNNING,
                    sqlite_where=RUNNING)  # read the index alone
    op.create_table('grievance_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grievance_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grievance_changes'))
    )
    op.create_table('kpi_computed',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('computed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_kpi_computed'))
    )
    op.create_table('kpi_rollups',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('integrity', sa.Boolean(), nullable=False),
    sa.Column('facet', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('judged', sa.Integer(), nullable=False),
    sa.Column('within', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('silences', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('resolutions', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('waiting', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('judge_at', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('overdue_at', sa.JSON(none_as_null=True), nullable=True),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_kpi_rollups_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'days', 'office_id', 'integrity', 'facet', 'value', name=op.f('pk_kpi_rollups'))
    )
    with op.batch_alter_table('grievances', schema=None) as batch_op:
        batch_op.create_index('ix_grievances_received_at', ['received_at'], unique=False)
        batch_op.drop_index('ix_grievances_office_status')  # the inbox's counts read the wider one alone
        batch_op.create_index('ix_grievances_office_status_confidentiality', ['office_id', 'status', 'confidentiality'],
                              unique=False)


def downgrade() -> None:
    op.drop_index('ix_deadlines_running_due', table_name='deadlines')
    op.create_index('ix_deadlines_running_due', 'deadlines', ['due_at'], postgresql_where=RUNNING,
                    sqlite_where=RUNNING)
    with op.batch_alter_table('grievances', schema=None) as batch_op:
        batch_op.drop_index('ix_grievances_received_at')
        batch_op.drop_index('ix_grievances_office_status_confidentiality')
        batch_op.create_index('ix_grievances_office_status', ['office_id', 'status'], unique=False)

    op.drop_table('kpi_rollups')
    op.drop_table('kpi_computed')
    op.drop_table('grievance_changes')
