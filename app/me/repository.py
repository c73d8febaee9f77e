"""Every row of one user, found from the schema itself: a table with a `user_id` belongs to
its user, any other table through the foreign key (cascading on delete, never null) that
leads to one. A table added later is covered without a change here; one with no way to a
user (the inbound providers' replay tokens) has no user data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, select
from sqlmodel import Session

from app.models import metadata

USERS = metadata.tables["users"]
# What an export leaves out, and why: the answers kept for Idempotency-Key replays are
# copies of other answers (one of them holds a new API key in clear) and live 24 hours.
NOT_EXPORTED = frozenset({"idempotency_keys"})
# Secrets and what only the service needs; an export shows that they exist, not what they are.
SECRET_COLUMNS: dict[str, frozenset[str]] = {
    "api_keys": frozenset({"key_hash"}),
    "integrations": frozenset({"secret", "previous_secret"}),
    "webhook_endpoints": frozenset({"secret", "previous_secret"}),
    "mailboxes": frozenset({"password_encrypted", "lease_token"}),
    "calendar_feeds": frozenset({"token"}),
    "mail_settings": frozenset({"forwarding_token"}),
    "integration_deliveries": frozenset({"headers"}),
}
PAGE_SIZE = 500


def owned_by(table: Table, user_id: str) -> ColumnElement[bool] | None:
    """The condition on `table`'s rows that belong to the user; None when the table holds
    nobody's rows."""
    if table is USERS:
        return USERS.c.id == user_id
    if "user_id" in table.c:
        return table.c.user_id == user_id
    for key in sorted(table.foreign_keys, key=lambda key: key.parent.name):
        if key.ondelete != "CASCADE" or key.parent.nullable:
            continue
        parent = owned_by(key.column.table, user_id)
        if parent is not None:
            return key.parent.in_(select(key.column).where(parent))
    return None


def user_tables() -> list[Table]:
    """The tables that hold users' rows, parents before children."""
    return [table for table in metadata.sorted_tables if owned_by(table, "") is not None]


def exported_tables() -> list[Table]:
    return [table for table in user_tables() if table.name not in NOT_EXPORTED]


def rows(session: Session, *, table: Table, user_id: str) -> Iterator[dict[str, Any]]:
    """The user's rows of `table`, without its secret columns, in primary key order: one
    query whose rows are fetched `PAGE_SIZE` at a time (a server-side cursor on Postgres;
    SQLite steps through its result as it is read), so only a page is ever held. Unlike
    keyset pages, a query per page, it costs one scan however many rows there are."""
    condition = owned_by(table, user_id)
    assert condition is not None
    hidden = SECRET_COLUMNS.get(table.name, frozenset())
    columns = [column for column in table.c if column.name not in hidden]
    query = select(*columns).where(condition).order_by(*table.primary_key.columns)
    result = session.execute(query.execution_options(yield_per=PAGE_SIZE))
    for partition in result.mappings().partitions():
        for row in partition:
            yield dict(row)


def erase(session: Session, *, user_id: str) -> None:
    """Delete the user; every row of theirs goes with it (the foreign keys cascade, which
    the tests check table by table)."""
    session.execute(delete(USERS).where(USERS.c.id == user_id))


def api_key_prefixes(session: Session, *, user_id: str) -> list[str]:
    keys = metadata.tables["api_keys"]
    query = select(keys.c.prefix).where(keys.c.user_id == user_id).order_by(keys.c.created_at, keys.c.id)
    return list(session.scalars(query))
