"""Every table, imported in one place for Alembic and the tests."""

from app.auth.models import ApiKey
from app.calendar.models import CalendarFeed
from app.contacts.models import Contact
from app.core.columns import metadata
from app.events.models import Event
from app.idempotency.models import IdempotencyKey
from app.integrations.models import Delivery, Integration
from app.interviews.models import Interview
from app.mail.models import MailMessage, MailSettings, SeenToken
from app.mailboxes.models import Mailbox, MailboxFolder
from app.policy.models import PolicyOverrides
from app.users.models import User
from app.webhooks_out.models import FollowUpNotice, WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "CalendarFeed",
    "Contact",
    "Delivery",
    "Event",
    "FollowUpNotice",
    "IdempotencyKey",
    "Integration",
    "Interview",
    "MailMessage",
    "MailSettings",
    "Mailbox",
    "MailboxFolder",
    "PolicyOverrides",
    "SeenToken",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
]
