from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.contacts.schemas import CONTACT_PUBLIC_EXAMPLE
from app.core.schemas import TIME_RANGE, Public, Text, Timestamp, UTCTime
from app.interviews.schemas import COMPANY, INTERVIEW_ID, ROLE_TITLE, STATUS
from app.rules import Action, DecisionBasis, Role, Status

# What each action asks of the candidate (README's table, the engine's rules in RULES.md).
ACTION_MEANINGS: dict[Action, str] = {
    Action.SEND_THANK_YOU: "thank the people you met for this round, from the end of the interview until the "
    "window closes (24 hours by default). Optional: once the window has passed, the status checks take over.",
    Action.SEND_STATUS_CHECK: "ask the recruiter (or coordinator, interviewer, other contact; never the hiring "
    "manager) for news: the day after the stated decision date, or a week after the interview or the last reply "
    "when no date was given; a week apart at least, two in a row at most.",
    Action.ESCALATE_TO_HIRING_MANAGER: "the status checks went unanswered: write once to the hiring manager.",
    Action.MOVE_ON: "stop following up with this company and spend the effort on other applications.",
    Action.NONE: "nothing to send: the process has ended (offer, hire, rejection, withdrawal, or closed), or the "
    "interview was cancelled and waits for a new date.",
}
ACTION_VALUES = " ".join(f"`{action}`: {meaning}" for action, meaning in ACTION_MEANINGS.items())
ACTION = "What to do next. " + ACTION_VALUES
DECISION_BASIS = (
    "`stated`: `expected_decision_by` is the date the employer gave; `typical_for_role_family`: no date was "
    "given, so it is `applied_on` (else the interview) plus the role family's typical days."
)
CONTACT_ID = CONTACT_PUBLIC_EXAMPLE["id"]
ANA_REF: dict[str, Any] = {"id": CONTACT_ID, "name": "Ana", "email": "ana@example.com", "role": "recruiter"}
# README step 4: the next action as of Saturday 7 March, after Ana said a decision comes by Friday.
NEXT_ACTION_EXAMPLE: dict[str, Any] = {
    "interview_id": INTERVIEW_ID,
    "as_of": "2026-03-07T12:00:00-05:00",
    "action": "send_status_check",
    "earliest_allowed_date": "2026-03-09",
    "earliest_allowed_at": "2026-03-09T09:00:00-04:00",
    "latest_recommended_at": None,
    "due": False,
    "contact": ANA_REF,
    "rule": "R2",
    "reason": "Send status check 1 of 2: the day after the decision date they gave, Friday, March 6, 2026. "
    "Earliest: Monday, March 9, 2026 at 09:00 your time.",
    "constraints": [
        {
            "rule": "R2",
            "detail": "the day after the decision date they gave, Friday, March 6, 2026",
            "date": "2026-03-07",
        },
        {
            "rule": "R7",
            "detail": "Saturday is a weekend day; Sunday is a weekend day: moved to the next business day",
            "date": "2026-03-09",
        },
    ],
    "expected_decision_by": "2026-03-06",
    "decision_basis": "stated",
    "nudges_sent": 0,
    "nudges_remaining": 2,
    "draft": {
        "subject": "Backend Engineer role: checking in",
        "body": "Hi Ana,\n\nI hope you are well. I am writing about the Backend Engineer role at Acme, which I remain "
        "very enthusiastic about.\n\nIs there any news you can share on the process?\n\nBest regards,",
    },
    "policy_version": "1.1.0+eb06b36c1b08",
}
INTERVIEW_SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": INTERVIEW_ID,
    "company": "Acme",
    "role_title": "Backend Engineer",
    "interview_at": "2026-03-02T15:00:00Z",
    "status": "active",
}


class ContactRef(Public):
    id: str = Field(description="The contact's id.")
    name: str = Field(description="The person's name.")
    email: str | None = Field(description="Where to write; null when unknown.")
    role: Role = Field(description="Their part in the hiring.")


class DraftPublic(Public):
    subject: str = Field(description="A subject line for the message.")
    body: str = Field(description="A message to adapt and send (plain text), in the contact's name.")


class ConstraintPublic(Public):
    rule: str = Field(description="The rule (R1 to R9 of `GET /v1/rules`) that moved the earliest date.")
    detail: str = Field(description="How it moved it, in words.")
    date: Annotated[date, Field(description="The local date it produced.")]


class NextActionPublic(Public):
    model_config = ConfigDict(json_schema_extra={"examples": [NEXT_ACTION_EXAMPLE]})

    interview_id: str = Field(description="The interview.")
    as_of: datetime = Field(description="The time the action was computed for.")
    action: Action = Field(description=ACTION)
    earliest_allowed_date: date | None = Field(
        description="Local date in the interview's time zone; null when `action` is `move_on` or `none`."
    )
    earliest_allowed_at: datetime | None = Field(
        description="The first moment to send it: the earliest date at the send hour, in the interview's time zone."
    )
    latest_recommended_at: datetime | None = Field(
        description="When it stops being timely (the end of the thank-you window); null when there is no end."
    )
    due: bool = Field(description="True when the time of the request (or `due_by`) has reached earliest_allowed_at.")
    contact: ContactRef | None = Field(description="Who to write to; null when there is no one to write to.")
    rule: str = Field(description="The rule (of `GET /v1/rules`) that chose the action.")
    reason: str = Field(description="Why, in words.")
    constraints: list[ConstraintPublic] = Field(description="Each rule that moved the earliest date, in order.")
    expected_decision_by: date = Field(description="When a decision can be expected; it informs, never moves a date.")
    decision_basis: DecisionBasis = Field(description=DECISION_BASIS)
    nudges_sent: int = Field(description="Status checks (escalations included) since the last reply in this round.")
    nudges_remaining: int = Field(description="Status checks to the recruiter left before the escalation or move_on.")
    draft: DraftPublic | None = Field(description="A message to start from; null when there is nothing to send.")
    policy_version: str = Field(description="The policy and rules version the answer was computed with.")


OUTREACH_TYPE = (
    "The message: `thank_you_sent` (a thank-you note), `status_check_sent` (asking for news) or `value_add_sent` "
    "(something useful to the conversation)."
)


class OutreachCheckRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"contact_id": CONTACT_ID, "type": "status_check_sent", "at": "2026-03-09T09:30:00-04:00"}]
        },
    )

    contact_id: Text = Field(max_length=64, description="The contact of this interview you would write to.")
    type: Literal["thank_you_sent", "status_check_sent", "value_add_sent"] = Field(description=OUTREACH_TYPE)
    at: Timestamp | None = Field(default=None, description=f"When you would send it; now when omitted. {TIME_RANGE}")


class ViolationPublic(Public):
    rule: str = Field(description="The rule or policy key it would break.")
    detail: str = Field(description="Why, in words.")
    until: datetime | None = Field(description="When the rule stops applying; null if it never will.")


class OutreachCheckResult(Public):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "allowed": False,
                    "violations": [
                        {
                            "rule": "escalate_to_hiring_manager",
                            "detail": "Try the recruiter first: 0 of 2 status checks sent so far.",
                            "until": None,
                        }
                    ],
                }
            ]
        }
    )

    allowed: bool = Field(description="True when it breaks no rule.")
    violations: list[ViolationPublic] = Field(description="Every rule it would break; empty when allowed.")


class InterviewSummary(Public):
    model_config = ConfigDict(json_schema_extra={"examples": [INTERVIEW_SUMMARY_EXAMPLE]})

    id: str = Field(description="The interview's id.")
    company: str = Field(description=COMPANY)
    role_title: str = Field(description=ROLE_TITLE)
    interview_at: UTCTime = Field(description="Start of the current round (UTC).")
    status: Status = Field(description=STATUS)


class AgendaItem(Public):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"interview": INTERVIEW_SUMMARY_EXAMPLE, "next_action": NEXT_ACTION_EXAMPLE}]}
    )

    interview: InterviewSummary = Field(description="The interview.")
    next_action: NextActionPublic = Field(description="Its next action, as `GET .../next-action` answers it.")
