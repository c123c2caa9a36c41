"""a reseller's sender identity in mails (display name, Reply-To, contact line)

Revision ID: serve_0001
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "serve_0001"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("mail_sender_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("mail_reply_to", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("mail_signature", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("mail_signature")
        batch.drop_column("mail_reply_to")
        batch.drop_column("mail_sender_name")
