"""A user's own data: what the service knows of them, all of it as one JSON document, and
its erasure."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.columns import utcnow
from app.core.session import unit_of_work
from app.me import repository
from app.me.schemas import MePublic, OidcIdentity
from app.users.models import User

EXPORT_FORMAT = "followup-export/1"
# The export goes out in chunks of about this many bytes.
CHUNK_BYTES = 64 * 1024


def me(session: Session, *, user: User) -> MePublic:
    identity = (
        OidcIdentity(issuer=user.oidc_issuer, subject=user.oidc_subject)
        if user.oidc_issuer is not None and user.oidc_subject is not None
        else None
    )
    return MePublic(
        id=user.id,
        email=user.email,
        created_at=user.created_at,
        oidc=identity,
        api_key_prefixes=repository.api_key_prefixes(session, user_id=user.id),
    )


def _json_value(value: object) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not exported")


def _dumps(value: object) -> str:
    return json.dumps(value, default=_json_value, ensure_ascii=False, separators=(",", ":"))


def export(engine: Engine, *, user_id: str) -> Iterator[bytes]:
    """Everything of the user as one JSON object, `{"format", "exported_at", "tables":
    {table: [row, ...]}}`, produced as it is sent: rows are read a page at a time
    (app.me.repository.rows) and go out in chunks of about `CHUNK_BYTES`, so memory stays
    bounded however much the user has. One read transaction: on SQLite one snapshot; on
    Postgres each page sees what was committed before it."""
    with unit_of_work(engine, writes=False) as session:
        buffer: list[str] = [f'{{"format":{_dumps(EXPORT_FORMAT)},"exported_at":{_dumps(utcnow())},"tables":{{']
        size = 0
        for index, table in enumerate(repository.exported_tables()):
            buffer.append(f"{',' if index else ''}{_dumps(table.name)}:[")
            first = True
            for row in repository.rows(session, table=table, user_id=user_id):
                text = ("" if first else ",") + _dumps(row)
                first = False
                buffer.append(text)
                size += len(text)
                if size >= CHUNK_BYTES:
                    yield "".join(buffer).encode()
                    buffer, size = [], 0
            buffer.append("]")
        buffer.append("}}")
        yield "".join(buffer).encode()


def erase(session: Session, *, user: User) -> None:
    repository.erase(session, user_id=user.id)
