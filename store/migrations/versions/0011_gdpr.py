"""personal data: when a mail's body was purged (retention, erasure)

Revision ID: gdpr_0001
Revises: recipient_0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tenantctl.store.types

revision: str = 'gdpr_0001'
down_revision: str | Sequence[str] | None = 'recipient_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_mail') as batch:
        batch.add_column(sa.Column('purged_at', tenantctl.store.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_mail') as batch:
        batch.drop_column('purged_at')
