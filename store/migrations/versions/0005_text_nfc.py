"""names stored in Unicode NFC

Text now enters in NFC on every path (store/nfc.py); names written before, from a Mac's files or
terminal, may be decomposed (NFD) and then differ from their NFC twins in look-ups and searches.
Only names: keys, logins and e-mail keys are ASCII or normalised already (IDN domains by
email-validator). No schema change; downgrade keeps the normalised text.

Revision ID: identity_0001
Revises: api_0001
"""
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'identity_0001'
down_revision: str | Sequence[str] | None = 'api_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = {"tenant": ("name",), "user_account": ("first_name", "last_name")}


def upgrade() -> None:
    conn = op.get_bind()
    for table, columns in _COLUMNS.items():
        t = sa.table(table, sa.column("id"), *(sa.column(c) for c in columns))
        changed = []
        for row in conn.execute(sa.select(t)):
            values = {c: getattr(row, c) for c in columns}
            normal = {c: unicodedata.normalize("NFC", v) for c, v in values.items() if v and not v.isascii()}
            if any(normal[c] != values[c] for c in normal):
                changed.append({"row_id": row.id, **normal})
        for update in changed:
            conn.execute(sa.update(t).where(t.c.id == update.pop("row_id")).values(**update))


def downgrade() -> None:
    pass  # the normalised names are the same text
