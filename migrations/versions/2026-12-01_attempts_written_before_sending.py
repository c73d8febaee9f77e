"""Webhook attempts are written before sending: their state (sending, settled, unknown).

Revision ID: 6f97c4ffb154
Revises: 3c5e8a1d2b47
Create Date: 2026-12-01 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6f97c4ffb154"
down_revision: str | None = "3c5e8a1d2b47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every attempt stored so far was written once its answer was in: settled.
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=16), server_default="settled", nullable=False))
        batch_op.create_index(batch_op.f("ix_webhook_attempts_state"), ["state"], unique=False)


def downgrade() -> None:
    # Attempts under way or of unknown outcome stay: requests were sent, and the previous
    # release shows them as attempts that got no answer.
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_attempts_state"))
        batch_op.drop_column("state")
