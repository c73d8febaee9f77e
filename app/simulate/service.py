from __future__ import annotations

from sqlmodel import Session

from app import rules
from app.core.columns import utcnow
from app.core.problems import InvalidInput, ProblemError
from app.events import service as event_service
from app.events.models import Event
from app.followups.schemas import NextActionPublic
from app.nextaction import refresh
from app.simulate.schemas import SimulateRequest
from app.users.models import User

SIMULATED_INTERVIEW_ID = "simulated"


def simulate(session: Session, *, user: User, body: SimulateRequest) -> NextActionPublic:
    """The next action for the facts in `body`, over the user's policy; stores nothing."""
    contact_ids = [contact.id for contact in body.contacts]
    if len(set(contact_ids)) != len(contact_ids):
        raise InvalidInput.at(["body", "contacts"], "Contact ids must be unique.")
    for index, event in enumerate(body.events):
        event_service.check(event, contact_ids=contact_ids, loc=("body", "events", index))
    policy = refresh.policy_of(session, user_id=user.id)
    if body.policy:
        defaults = rules.Policy()
        changes = {
            key: getattr(defaults, key) if value is None else value
            for key, value in body.policy.model_dump(exclude_unset=True, mode="json").items()
        }
        try:
            policy = rules.build_policy(changes, base=policy)
        except rules.PolicyError as error:
            raise InvalidInput(
                str(error),
                [ProblemError(loc=["body", "policy", *key.split(".")], msg=msg) for key, msg in error.problems],
            ) from None
    interview = body.interview
    facts = rules.Facts(
        interview=rules.Interview(
            id=SIMULATED_INTERVIEW_ID,
            company=interview.company,
            role_title=interview.role_title,
            role_family=interview.role_family,
            interview_at=interview.interview_at,
            duration_minutes=interview.duration_minutes,
            timezone=interview.timezone,
            decision_expected_by=interview.decision_expected_by,
            applied_on=interview.applied_on,
            status=interview.status,
            snoozed_until=interview.snoozed_until,
        ),
        contacts=tuple(
            rules.Contact(id=c.id, name=c.name, role=c.role, email=c.email, is_primary=c.is_primary)
            for c in body.contacts
        ),
        events=tuple(
            # As a row would hold it: the fields its type does not carry are None there.
            refresh.engine_event(Event(interview_id=SIMULATED_INTERVIEW_ID, seq=seq, **e.model_dump()), seq=seq)
            for seq, e in enumerate(body.events, start=1)
        ),
        policy=policy,
    )
    return refresh.to_public(rules.next_action(facts, body.at or utcnow()))
