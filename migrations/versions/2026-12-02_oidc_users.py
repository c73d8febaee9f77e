"""Users of OpenID Connect access tokens: found by the token's issuer and subject; an email
is no longer unique (two providers' accounts may share one), only indexed.

Revision ID: c6772d803ed0
Revises: 8e3a5c1f7b24
Create Date: 2026-12-02 02:03:02.786354
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c6772d803ed0"
down_revision: str | None = "8e3a5c1f7b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_users_email"), type_="unique")
        batch_op.create_index(batch_op.f("ix_users_email"), ["email"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_users_oidc_issuer"), ["oidc_issuer", "oidc_subject"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_oidc_issuer"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_users_email"))
        batch_op.create_unique_constraint(batch_op.f("uq_users_email"), ["email"])
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("oidc_issuer")
