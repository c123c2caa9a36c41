"""rate limits counted in the store, shared by the worker processes of `tenantctl serve`

Revision ID: serve2_0001
Revises: serve_0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "serve2_0001"
down_revision: str | Sequence[str] | None = "serve_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_limit_hit_bucket_key_at", "rate_limit_hit", ["bucket", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_hit_bucket_key_at", table_name="rate_limit_hit")
    op.drop_table("rate_limit_hit")
