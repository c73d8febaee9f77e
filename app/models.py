"""Every table, imported in one place for Alembic and the tests."""

from app.auth.models import ApiKey
from app.contacts.models import Contact
from app.db import metadata
from app.events.models import Event
from app.idempotency.models import IdempotencyKey
from app.integrations.models import Delivery, Integration
from app.interviews.models import Interview
from app.policy.models import PolicyOverrides
from app.users.models import User

__all__ = [
    "ApiKey",
    "Contact",
    "Delivery",
    "Event",
    "IdempotencyKey",
    "Integration",
    "Interview",
    "PolicyOverrides",
    "User",
    "metadata",
]
