"""the recipient: a tenant's own time zone for its mails and pages; whether an invitation's
current link went out by mail (only then may a newcomer choose the password on the page)

Revision ID: recipient_0001
Revises: identity_0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'recipient_0001'
down_revision: str | Sequence[str] | None = 'identity_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_mailed', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_column('token_mailed')
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
