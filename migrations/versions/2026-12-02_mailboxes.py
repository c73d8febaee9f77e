"""Connected IMAP mailboxes: where they are, the password encrypted, how their sync stands
(with the lease of the worker syncing them) and how far each folder was read.

Revision ID: 1697daadae65
Revises: 4d1c7e9a2f60
Create Date: 2026-12-02 01:31:48.992238
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.columns

revision: str = "1697daadae65"
down_revision: str | None = "4d1c7e9a2f60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailboxes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("security", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("password_encrypted", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_synced_at", app.core.columns.UTCDateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_sync_at", app.core.columns.UTCDateTime(), nullable=True),
        sa.Column("locked_until", app.core.columns.UTCDateTime(), nullable=True),
        sa.Column("lease_token", sa.String(length=36), nullable=True),
        sa.Column("created_at", app.core.columns.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.core.columns.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mailboxes_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailboxes")),
    )
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mailboxes_next_sync_at"), ["next_sync_at"], unique=False)
        batch_op.create_index("ix_mailboxes_user_id_created_at", ["user_id", "created_at"], unique=False)

    op.create_table(
        "mailbox_folders",
        sa.Column("mailbox_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", app.core.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["mailboxes.id"],
            name=op.f("fk_mailbox_folders_mailbox_id_mailboxes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("mailbox_id", "role", name=op.f("pk_mailbox_folders")),
    )


def downgrade() -> None:
    op.drop_table("mailbox_folders")
    with op.batch_alter_table("mailboxes", schema=None) as batch_op:
        batch_op.drop_index("ix_mailboxes_user_id_created_at")
        batch_op.drop_index(batch_op.f("ix_mailboxes_next_sync_at"))
    op.drop_table("mailboxes")
