"""worker: when each periodic housekeeping job last ran

Revision ID: ops_0001
Revises: documents_0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tenantctl.store.types

revision: str = 'ops_0001'
down_revision: str | Sequence[str] | None = 'documents_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('periodic_job',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('last_run_at', tenantctl.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('periodic_job')
