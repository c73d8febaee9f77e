"""The agenda's index covers its whole order: (user_id, next_action_at, id).

Revision ID: 7d3b2c9e41f0
Revises: a1f637bedf86
Create Date: 2026-11-27 14:15:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7d3b2c9e41f0"
down_revision: str | None = "a1f637bedf86"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_interviews_user_id_next_action_at_id", ["user_id", "next_action_at", "id"], unique=False
        )
        batch_op.drop_index("ix_interviews_user_id_next_action_at")


def downgrade() -> None:
    with op.batch_alter_table("interviews", schema=None) as batch_op:
        batch_op.create_index("ix_interviews_user_id_next_action_at", ["user_id", "next_action_at"], unique=False)
        batch_op.drop_index("ix_interviews_user_id_next_action_at_id")
