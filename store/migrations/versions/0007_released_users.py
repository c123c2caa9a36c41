"""users: the tenant that removed a person's last membership (who may bring them back)

Revision ID: documents_0001
Revises: gdpr_0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'documents_0001'
down_revision: str | Sequence[str] | None = 'gdpr_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released_by_tenant_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_user_account_released_by_tenant_id_tenant'), 'tenant',
                                    ['released_by_tenant_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_account_released_by_tenant_id_tenant'), type_='foreignkey')
        batch_op.drop_column('released_by_tenant_id')
