"""Mail intake: what arrived (headers and facts only), each user"s own addresses and
forwarding token, the message an event was read from, the invite an interview came from.

Revision ID: 4d1c7e9a2f60
Revises: 9b2f4e6a8c13
Create Date: 2026-12-02 01:24:33.427745
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.columns

revision: str = "4d1c7e9a2f60"
down_revision: str | None = "9b2f4e6a8c13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_settings",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.Column("forwarding_token", sa.String(length=64), nullable=False),
        sa.Column("updated_at", app.core.columns.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mail_settings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mail_settings")),
        sa.UniqueConstraint("forwarding_token", name=op.f("uq_mail_settings_forwarding_token")),
    )
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("has_message_id", sa.Boolean(), nullable=False),
        sa.Column("duplicate_of", sa.String(length=36), nullable=True),
        sa.Column("received_at", app.core.columns.UTCDateTime(), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("date", app.core.columns.UTCDateTime(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("sender_name", sa.String(length=200), nullable=True),
        sa.Column("to", sa.JSON(), nullable=False),
        sa.Column("cc", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=True),
        sa.Column("in_reply_to", sa.String(length=998), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("returns_on", sa.Date(), nullable=True),
        sa.Column("bounce", sa.JSON(), nullable=True),
        sa.Column("invite", sa.JSON(), nullable=True),
        sa.Column("invite_uid", sa.String(length=255), nullable=True),
        sa.Column("invite_sequence", sa.Integer(), nullable=True),
        sa.Column("interview_id", sa.String(length=36), nullable=True),
        sa.Column("contact_id", sa.String(length=36), nullable=True),
        sa.Column("matched_by", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("event_ids", sa.JSON(), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_mail_messages_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of"],
            ["mail_messages.id"],
            name=op.f("fk_mail_messages_duplicate_of_mail_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["interviews.id"],
            name=op.f("fk_mail_messages_interview_id_interviews"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mail_messages_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
    )
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.create_index("ix_mail_messages_outcome_received_at", ["outcome", "received_at"], unique=False)
        batch_op.create_index("ix_mail_messages_user_id_invite_uid", ["user_id", "invite_uid"], unique=False)
        batch_op.create_index("ix_mail_messages_user_id_received_at_id", ["user_id", "received_at", "id"], unique=False)
        batch_op.create_index(
            "uq_mail_messages_user_id_message_id",
            ["user_id", "message_id"],
            unique=True,
            sqlite_where=sa.text("duplicate_of IS NULL"),
            postgresql_where=sa.text("duplicate_of IS NULL"),
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=998), nullable=True))

    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invite_uid", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.drop_column("invite_uid")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("message_id")

    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_mail_messages_user_id_message_id",
            sqlite_where=sa.text("duplicate_of IS NULL"),
            postgresql_where=sa.text("duplicate_of IS NULL"),
        )
        batch_op.drop_index("ix_mail_messages_user_id_received_at_id")
        batch_op.drop_index("ix_mail_messages_user_id_invite_uid")
        batch_op.drop_index("ix_mail_messages_outcome_received_at")

    op.drop_table("mail_messages")
    op.drop_table("mail_settings")
