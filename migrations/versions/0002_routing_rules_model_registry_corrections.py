"""Routing: admin rules, the model registry and its history, corrections; category thresholds, citizen areas.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:28:58.461571
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('model_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('previous_version', sa.String(length=64), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_changes'))
    )
    op.create_table('model_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Enum('candidate', 'active', 'retired', 'rejected', name='modelstatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('activated_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('examples', sa.Integer(), nullable=False),
    sa.Column('corrections', sa.Integer(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_model_versions_version'))
    )
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_versions_status'), ['status'], unique=False)

    op.create_table('routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('pattern', sa.String(length=300), nullable=False),
    sa.Column('is_regex', sa.Boolean(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_routing_rules_category_id_categories')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_routing_rules_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules'))
    )
    op.create_table('routing_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grievance_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('triage', 'transfer', name='correctionkind', native_enum=False, length=16), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('predicted_label', sa.String(length=64), nullable=True),
    sa.Column('predicted_confidence', sa.Float(), nullable=True),
    sa.Column('model_version', sa.String(length=64), nullable=True),
    sa.Column('from_office_id', sa.Integer(), nullable=True),
    sa.Column('to_office_id', sa.Integer(), nullable=False),
    sa.Column('held_seconds', sa.Float(), nullable=True),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_routing_corrections_category_id_categories')),
    sa.ForeignKeyConstraint(['from_office_id'], ['offices.id'], name=op.f('fk_routing_corrections_from_office_id_offices')),
    sa.ForeignKeyConstraint(['grievance_id'], ['grievances.id'], name=op.f('fk_routing_corrections_grievance_id_grievances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_office_id'], ['offices.id'], name=op.f('fk_routing_corrections_to_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_corrections'))
    )
    with op.batch_alter_table('routing_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_corrections_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_corrections_from_office_id'), ['from_office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_corrections_grievance_id'), ['grievance_id'], unique=False)

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('route_threshold', sa.Float(), nullable=True))

    with op.batch_alter_table('citizens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admin_area', sa.String(length=32), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('citizens', schema=None) as batch_op:
        batch_op.drop_column('admin_area')

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('route_threshold')

    with op.batch_alter_table('routing_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_corrections_grievance_id'))
        batch_op.drop_index(batch_op.f('ix_routing_corrections_from_office_id'))
        batch_op.drop_index(batch_op.f('ix_routing_corrections_at'))

    op.drop_table('routing_corrections')
    op.drop_table('routing_rules')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_versions_status'))

    op.drop_table('model_versions')
    op.drop_table('model_changes')
