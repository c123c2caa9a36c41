"""Alembic environment: runs on the connection tenantctl hands over (store/migrate.py)."""

from alembic import context
from sqlmodel import SQLModel

import tenantctl.store.models  # noqa: F401  (registers the tables)

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only used from store.migrate
    raise RuntimeError("run migrations through `tenantctl db upgrade`")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
