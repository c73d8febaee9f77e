from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlmodel import Session
from starlette.exceptions import HTTPException

from app.auth.dependencies import CurrentUser
from app.core.columns import utcnow
from app.core.config import SettingsDep
from app.core.json_input import JsonInputError, JsonRoute, parse
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from app.core.problems import (
    AUTH_RESPONSES,
    CONFLICT_RESPONSES,
    NOT_FOUND_RESPONSES,
    VALIDATION_RESPONSES,
    InvalidInput,
    UnsupportedMediaType,
)
from app.core.session import SessionDep
from app.mail import inbound, repository, service
from app.mail.models import Outcome, Via
from app.mail.schemas import (
    EXAMPLE_MESSAGE,
    AssignBody,
    InboundResult,
    MailgunForm,
    MailOutcome,
    MailSettingsPublic,
    MailSettingsUpdate,
    MessageRecordId,
    PostmarkInbound,
)
from app.users.models import User

MAIL_MESSAGES_PATH = "/v1/mail/messages"
RFC822 = "message/rfc822"

RAW_MESSAGE_CONTENT = {RFC822: {"schema": {"type": "string"}, "example": EXAMPLE_MESSAGE}}


def documented_body(description: str, content: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads its body itself (not through a model)."""
    return {"requestBody": {"required": True, "description": description, "content": content}}


router = APIRouter(
    route_class=JsonRoute, prefix="/v1/mail", tags=["mail"], responses=AUTH_RESPONSES | VALIDATION_RESPONSES
)


async def raw_message(request: Request) -> bytes:
    """The request's body, which must be one message (RFC 5322) sent as `message/rfc822`."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != RFC822:
        raise UnsupportedMediaType(f"Send the raw message with Content-Type: {RFC822}.")
    return await request.body()


RawMessage = Annotated[bytes, Depends(raw_message)]


@router.post(
    "/messages",
    status_code=status.HTTP_201_CREATED,
    operation_id="postMailMessage",
    responses={
        200: {"description": "A duplicate (the first outcome), or a dry run.", "model": MailOutcome},
        413: {"description": "Larger than `FOLLOWUP_MAIL_MAX_BYTES` (10 MiB by default)."},
        415: {"description": "Not sent as `message/rfc822`."},
    },
    openapi_extra=documented_body(
        "One raw email message (RFC 5322), as your mail client saves it (`.eml`).", RAW_MESSAGE_CONTENT
    ),
)
def post_message(
    session: SessionDep,
    user: CurrentUser,
    raw: RawMessage,
    response: Response,
    dry_run: bool = Query(default=False, description="Classify and match only; store nothing (200)."),
) -> MailOutcome:
    """Read one email message: a reply, an out-of-office, a bounce, an invite or one you
    sent. It is matched to one of your interviews and becomes events there."""
    outcome, new = service.ingest(session, user=user, raw=raw, at=utcnow(), via=Via.API, dry_run=dry_run)
    if dry_run or not new:
        response.status_code = status.HTTP_200_OK
    return outcome


@router.get("/messages", operation_id="listMailMessages")
def list_messages(
    session: SessionDep,
    user: CurrentUser,
    outcome: Outcome | None = Query(default=None, description="Only messages with this outcome."),
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[MailOutcome]:
    """What arrived, newest first."""
    rows, next_cursor = service.list_page(session, user=user, outcome=outcome, limit=limit, cursor=cursor)
    return Page(data=rows, next_cursor=next_cursor)


@router.get("/messages/{message_id}", operation_id="getMailMessage", responses=NOT_FOUND_RESPONSES)
def get_message(session: SessionDep, user: CurrentUser, message_id: MessageRecordId) -> MailOutcome:
    """One message's record (its id in this API, not its Message-ID)."""
    return service.get(session, user=user, record_id=message_id)


@router.post(
    "/messages/{message_id}/assign",
    operation_id="assignMailMessage",
    responses=NOT_FOUND_RESPONSES | CONFLICT_RESPONSES,
)
def assign_message(
    session: SessionDep, user: CurrentUser, message_id: MessageRecordId, body: AssignBody
) -> MailOutcome:
    """Apply an unmatched message to one of your interviews; an unknown sender becomes a
    contact of it."""
    return service.assign(session, user=user, record_id=message_id, interview_id=body.interview_id)


@router.get("/settings", operation_id="getMailSettings")
def get_settings(session: SessionDep, user: CurrentUser, settings: SettingsDep) -> MailSettingsPublic:
    """Your own addresses and your forwarding address."""
    return service.get_settings(session, user=user, mail_domain=settings.mail_domain)


@router.patch("/settings", operation_id="updateMailSettings")
def update_settings(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, body: MailSettingsUpdate
) -> MailSettingsPublic:
    """Set your other addresses: mail from them counts as sent by you."""
    return service.update_settings(session, user=user, body=body, mail_domain=settings.mail_domain)


@router.post("/settings/rotate-forwarding-address", operation_id="rotateForwardingAddress")
def rotate_forwarding_address(session: SessionDep, user: CurrentUser, settings: SettingsDep) -> MailSettingsPublic:
    """A new forwarding address; mail sent to the old one is no longer taken."""
    return service.rotate_forwarding_address(session, user=user, mail_domain=settings.mail_domain)


# -- the inbound-mail providers (no API key: each is verified its own way) -----------------

INBOUND_PATH = "/v1/inbound-mail"
inbound_router = APIRouter(route_class=JsonRoute, prefix=INBOUND_PATH, tags=["mail"])
INBOUND_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not verified (signature, credentials, or a replay): nothing is stored."},
    404: {"description": "This server is not set up for this provider."},
    422: {"description": "The message is not an email message."},
}


async def request_body(request: Request) -> bytes:
    return await request.body()


Body = Annotated[bytes, Depends(request_body)]


async def mailgun_form(request: Request) -> dict[str, str]:
    """Mailgun's form fields (multipart or urlencoded); files are not part of a raw MIME post."""
    try:
        form = await request.form(max_part_size=inbound.INBOUND_MAX_BYTES)
    except HTTPException as error:
        # Starlette answers a form it cannot parse with a bare 400; it is a body of the
        # wrong shape, answered as every other (422).
        raise InvalidInput.at(["body"], f"The form cannot be read: {error.detail}") from None
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


def _accept(session: Session, *, user: User | None, raw: bytes, via: Via) -> InboundResult:
    if user is None:
        # The provider must not retry: the address is not (or no longer) anyone's.
        return InboundResult(accepted=False, reason="No user has this forwarding address.", message=None)
    outcome, _ = service.ingest(session, user=user, raw=raw, at=utcnow(), via=via)
    return InboundResult(accepted=True, reason=None, message=outcome)


@inbound_router.post(
    "/mailgun",
    operation_id="receiveMailgunMessage",
    responses=INBOUND_RESPONSES,
    openapi_extra=documented_body(
        "What Mailgun posts for a route forwarding to a URL ending in `mime`.",
        {"multipart/form-data": {"schema": MailgunForm.model_json_schema(by_alias=True)}},
    ),
)
def receive_mailgun(
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[dict[str, str], Depends(mailgun_form)],
    format: Literal["mime"] | None = Query(
        default=None,
        description="Mailgun posts the raw message only to a URL ending in `mime`: give the route "
        "`https://…/v1/inbound-mail/mailgun?format=mime`.",
    ),
) -> InboundResult:
    """A message from a Mailgun route (`forward("https://…/v1/inbound-mail/mailgun?format=mime")`),
    verified by its signature."""
    if settings.mailgun_signing_key is None:
        raise inbound.not_configured("Mailgun", "FOLLOWUP_MAILGUN_SIGNING_KEY")
    inbound.verify_mailgun(
        signing_key=settings.mailgun_signing_key.get_secret_value(),
        timestamp=form.get("timestamp", ""),
        token=form.get("token", ""),
        signature=form.get("signature", ""),
        now=inbound.now(),
    )
    if not repository.remember_token(session, token=form["token"][:200]):
        raise inbound.Unverified("This delivery was received before: a replay is refused.")
    if "body-mime" not in form:
        raise InvalidInput.at(["body", "body-mime"], "No body-mime: the route's URL must end in `mime`.")
    raw = form["body-mime"].encode("utf-8", "surrogateescape")
    recipients = [part for part in form.get("recipient", "").split(",") if part] + inbound.header_recipients(raw)
    user = inbound.user_of(session, recipients, domain=settings.mail_domain)
    return _accept(session, user=user, raw=raw, via=Via.MAILGUN)


@inbound_router.post(
    "/postmark",
    operation_id="receivePostmarkMessage",
    responses=INBOUND_RESPONSES,
    openapi_extra=documented_body(
        "Postmark's inbound webhook JSON, with `RawEmail` (turn on 'Include raw email content').",
        {"application/json": {"schema": PostmarkInbound.model_json_schema()}},
    ),
)
def receive_postmark(request: Request, session: SessionDep, settings: SettingsDep, body: Body) -> InboundResult:
    """A message from Postmark's inbound stream; the webhook URL carries the credentials
    (`https://USER:PASSWORD@…/v1/inbound-mail/postmark`)."""
    if settings.postmark_inbound_user is None or settings.postmark_inbound_password is None:
        raise inbound.not_configured("Postmark", "FOLLOWUP_POSTMARK_INBOUND_USER and _PASSWORD")
    inbound.verify_basic(
        request.headers.get("authorization"),
        user=settings.postmark_inbound_user,
        password=settings.postmark_inbound_password.get_secret_value(),
    )
    try:
        payload = parse(body)
    except JsonInputError as error:
        raise InvalidInput.at(["body", *error.loc], error.reason) from None
    raw, recipients = inbound.postmark_message(payload)
    user = inbound.user_of(session, [*recipients, *inbound.header_recipients(raw)], domain=settings.mail_domain)
    return _accept(session, user=user, raw=raw, via=Via.POSTMARK)


@inbound_router.post(
    "/raw",
    operation_id="receiveRawMessage",
    responses=INBOUND_RESPONSES,
    openapi_extra=documented_body(
        "One raw message, signed the Standard Webhooks way with FOLLOWUP_INBOUND_MAIL_SECRET.", RAW_MESSAGE_CONTENT
    ),
)
def receive_raw(request: Request, session: SessionDep, settings: SettingsDep, body: Body) -> InboundResult:
    """A message from your own mail server or a Cloudflare Email Worker, signed with the
    `webhook-id`, `webhook-timestamp` and `webhook-signature` headers."""
    if settings.inbound_mail_secret is None:
        raise inbound.not_configured("a mail server of yours", "FOLLOWUP_INBOUND_MAIL_SECRET")
    secret = settings.inbound_mail_secret.get_secret_value()
    inbound.verify_standard(body, request.headers, secret=secret, now=inbound.now())
    user = inbound.user_of(session, inbound.header_recipients(body), domain=settings.mail_domain)
    return _accept(session, user=user, raw=body, via=Via.RAW)
