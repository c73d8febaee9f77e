"""Message drafts: short, specific and positive; never a word about a missing answer."""

from __future__ import annotations

from datetime import date, datetime

from app.rules.model import Action, Contact, Draft, Interview


def _greeting(contact: Contact | None) -> str:
    if contact is None or not contact.name.strip():
        return "Hello,"
    return f"Hi {contact.name.split()[0]},"


def _sign_off(interview: Interview) -> str:
    return f"Best regards,\n{interview.candidate_name}" if interview.candidate_name else "Best regards,"


def _day(moment: datetime | date) -> str:
    return f"{moment.strftime('%A')}, {moment.strftime('%B')} {moment.day}"


def _compose(interview: Interview, contact: Contact | None, subject: str, *paragraphs: str) -> Draft:
    body = "\n\n".join((_greeting(contact), *paragraphs, _sign_off(interview)))
    return Draft(subject=subject, body=body)


def thank_you(interview: Interview, contact: Contact | None, round_start: datetime, deadline: date | None) -> Draft:
    closing = (
        "Could you tell me what the next steps are and roughly when you expect to decide?"
        if deadline is None
        else "I look forward to the next steps."
    )
    return _compose(
        interview,
        contact,
        f"Thank you: {interview.role_title} interview",
        f"Thank you for your time on {_day(round_start)}. I enjoyed our conversation about the "
        f"{interview.role_title} role at {interview.company}, and it left me even more keen to join the team.",
        closing,
    )


# After an away notice the message arrives among many: a warm first line, not a reproach.
WELCOME_BACK = "Welcome back; I hope your time away went well."


def _status_check(
    interview: Interview, contact: Contact | None, deadline: date | None, later: bool, welcome_back: bool
) -> Draft:
    ask = (
        "Is there any news you can share on the process, and when do you expect to reach a decision?"
        if deadline is None
        else "Is there any news you can share on the process?"
    )
    opening = WELCOME_BACK if welcome_back else "I hope you are well."
    paragraphs = [
        f"{opening} I am writing about the {interview.role_title} role at {interview.company}, "
        "which I remain very enthusiastic about.",
    ]
    if later:
        paragraphs.append(
            f"A few other processes of mine are moving forward, but {interview.company} is still my first choice, "
            "so I would like to keep you informed and understand where things stand."
        )
    paragraphs.append(ask)
    return _compose(interview, contact, f"{interview.role_title} role: checking in", *paragraphs)


def _escalation(
    interview: Interview, contact: Contact | None, round_start: datetime, deadline: date | None, welcome_back: bool
) -> Draft:
    ask = "Could you share where the process stands" + (
        " and when a decision is expected?" if deadline is None else "?"
    )
    opening = f"{WELCOME_BACK} " if welcome_back else ""
    return _compose(
        interview,
        contact,
        f"{interview.role_title} role at {interview.company}",
        f"{opening}I interviewed for the {interview.role_title} role on {_day(round_start)}, "
        f"and I am still very excited about joining {interview.company}.",
        f"Other processes of mine are moving forward, but {interview.company} remains my first choice. {ask}",
    )


def _move_on(interview: Interview, contact: Contact | None) -> Draft:
    return _compose(
        interview,
        contact,
        f"Thank you: {interview.role_title} role",
        f"Thank you again for considering me for the {interview.role_title} role. I enjoyed getting to know "
        f"{interview.company}, and I would be glad to hear from you if anything changes or a future role fits.",
    )


def for_ladder(
    action: Action,
    interview: Interview,
    contact: Contact | None,
    round_start: datetime,
    deadline: date | None,
    *,
    later: bool,
    welcome_back: bool = False,
) -> Draft:
    """The draft for a step of the nudge ladder (R2-R4); `welcome_back` when the contact
    has just returned from time away (R5a)."""
    if action is Action.SEND_STATUS_CHECK:
        return _status_check(interview, contact, deadline, later, welcome_back)
    if action is Action.ESCALATE_TO_HIRING_MANAGER:
        return _escalation(interview, contact, round_start, deadline, welcome_back)
    return _move_on(interview, contact)
