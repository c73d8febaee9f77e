"""The tokens of recent Mailgun deliveries, so that a signed delivery cannot be played twice.

Revision ID: 8e3a5c1f7b24
Revises: 1697daadae65
Create Date: 2026-12-02 01:46:45.625767
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.columns

revision: str = "8e3a5c1f7b24"
down_revision: str | None = "1697daadae65"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_mail_tokens",
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("seen_at", app.core.columns.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_inbound_mail_tokens")),
    )
    with op.batch_alter_table("inbound_mail_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_mail_tokens_seen_at"), ["seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_mail_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_mail_tokens_seen_at"))

    op.drop_table("inbound_mail_tokens")
