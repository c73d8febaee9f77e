"""What the events of the mailbox carry: an away notice's return date, a round's length and
calendar invite, a bounce's address and status.

Revision ID: 9b2f4e6a8c13
Revises: 6f97c4ffb154
Create Date: 2026-12-01 23:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b2f4e6a8c13"
down_revision: str | None = "6f97c4ffb154"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("invite_uid", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("returns_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("status")
        batch_op.drop_column("address")
        batch_op.drop_column("returns_on")
        batch_op.drop_column("invite_uid")
        batch_op.drop_column("duration_minutes")
