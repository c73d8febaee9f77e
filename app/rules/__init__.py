"""The rules engine: pure functions from interview facts to the next follow-up action.

Only the standard library, `zoneinfo` and `holidays` are imported here; the service
layer converts rows to these values. Evaluation time is always passed in (`at`).
"""

from app.rules.catalogue import Catalogue, RuleInfo, catalogue
from app.rules.engine import check_outreach, next_action
from app.rules.model import (
    DEFAULT_ROLE_FAMILY_DAYS,
    INBOUND_TYPES,
    OUTBOUND_TYPES,
    REPLY_TYPES,
    TERMINAL_EVENT_STATUS,
    TERMINAL_STATUSES,
    Action,
    Constraint,
    Contact,
    DeadlineGrace,
    DecisionBasis,
    Draft,
    Event,
    EventType,
    Facts,
    Interview,
    NextAction,
    OutreachProposal,
    Policy,
    Role,
    RoleFamily,
    Status,
    Violation,
)
from app.rules.policy import (
    RULES_VERSION,
    PolicyError,
    build_policy,
    is_valid_timezone,
    policy_to_dict,
    policy_version,
)

__all__ = [
    "DEFAULT_ROLE_FAMILY_DAYS",
    "INBOUND_TYPES",
    "OUTBOUND_TYPES",
    "REPLY_TYPES",
    "RULES_VERSION",
    "TERMINAL_EVENT_STATUS",
    "TERMINAL_STATUSES",
    "Action",
    "Catalogue",
    "Constraint",
    "Contact",
    "DeadlineGrace",
    "DecisionBasis",
    "Draft",
    "Event",
    "EventType",
    "Facts",
    "Interview",
    "NextAction",
    "OutreachProposal",
    "Policy",
    "PolicyError",
    "Role",
    "RoleFamily",
    "RuleInfo",
    "Status",
    "Violation",
    "build_policy",
    "catalogue",
    "check_outreach",
    "is_valid_timezone",
    "next_action",
    "policy_to_dict",
    "policy_version",
]
