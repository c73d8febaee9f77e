"""ATS integrations: inbound connections, their deliveries, interview links, event source.

Revision ID: 159ac75caa0a
Revises: e0d0bbbf4198
Create Date: 2026-11-27 09:27:06.149331
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.columns

revision: str = "159ac75caa0a"
down_revision: str | None = "e0d0bbbf4198"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("previous_secret", sa.String(length=200), nullable=True),
        sa.Column("previous_secret_expires_at", app.core.columns.UTCDateTime(), nullable=True),
        sa.Column("secret_rotated_at", app.core.columns.UTCDateTime(), nullable=True),
        sa.Column("created_at", app.core.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_integrations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
    )
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.create_index("ix_integrations_user_id_created_at", ["user_id", "created_at"], unique=False)

    op.create_table(
        "integration_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("integration_id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("delivery_key", sa.String(length=255), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=True),
        sa.Column("action", sa.String(length=200), nullable=True),
        sa.Column("application_id", sa.String(length=200), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=2000), nullable=True),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("interview_id", sa.String(length=36), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", app.core.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_integration_deliveries_event_id_events"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_integration_deliveries_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["interviews.id"],
            name=op.f("fk_integration_deliveries_interview_id_interviews"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_deliveries")),
        sa.UniqueConstraint("integration_id", "dedupe_key", name=op.f("uq_integration_deliveries_integration_id")),
    )
    with op.batch_alter_table("integration_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_integration_deliveries_integration_id_application_id",
            ["integration_id", "application_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_integration_deliveries_integration_id_received_at", ["integration_id", "received_at"], unique=False
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), server_default="api", nullable=False))

    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("integration_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("ats_application_id", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_interviews_integration_id"), ["integration_id", "ats_application_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_interviews_integration_id_integrations"),
            "integrations",
            ["integration_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_interviews_integration_id_integrations"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_interviews_integration_id"), type_="unique")
        batch_op.drop_column("ats_application_id")
        batch_op.drop_column("integration_id")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("source")

    with op.batch_alter_table("integration_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_integration_deliveries_integration_id_received_at")
        batch_op.drop_index("ix_integration_deliveries_integration_id_application_id")

    op.drop_table("integration_deliveries")
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_index("ix_integrations_user_id_created_at")

    op.drop_table("integrations")
