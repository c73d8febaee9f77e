"""An idempotency key is written in the transaction of the work it guards, with its
answer: no in-flight state, so no attempt, lock time or commit time.

Revision ID: 3c5e8a1d2b47
Revises: 7d3b2c9e41f0
Create Date: 2026-12-01 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.columns

revision: str = "3c5e8a1d2b47"
down_revision: str | None = "7d3b2c9e41f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keys of requests that never committed answer nothing useful any more.
    op.execute("DELETE FROM idempotency_keys WHERE status_code IS NULL")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("attempt")
        batch_op.drop_column("locked_at")
        batch_op.drop_column("committed_at")


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.String(length=36), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("locked_at", app.core.columns.UTCDateTime(), nullable=False, server_default="1970-01-01 00:00:00")
        )
        batch_op.add_column(sa.Column("committed_at", app.core.columns.UTCDateTime(), nullable=True))
