"""The rule catalogue, the package's public API, and the engine's purity."""

import ast
import re
import sys
from pathlib import Path

import pytest

import app.rules
from app.rules import RULES_VERSION, Policy, catalogue, policy_to_dict

RULES_DIR = Path(app.rules.__file__).parent
ALLOWED_THIRD_PARTY = {"holidays"}
FORBIDDEN = {"fastapi", "sqlmodel", "sqlalchemy", "pydantic", "starlette", "httpx"}


def test_catalogue_lists_every_rule_with_its_policy_keys() -> None:
    result = catalogue()
    ids = [rule.id for rule in result.rules]
    assert ids[:10] == [f"R{n}" for n in range(10)]
    assert {"R5a", "R5b", "unreachable"} <= set(ids)
    assert {
        "multi_contact_cooldown",
        "min_days_between_nudges",
        "max_status_checks",
        "business_days_only",
        "concluded",
        "escalate_to_hiring_manager",
    } <= set(ids)
    assert len(ids) == len(set(ids))
    known = set(policy_to_dict(Policy()))
    for rule in result.rules:
        assert rule.title and rule.explanation.endswith(".")
        assert set(rule.policy_keys) <= known, rule.id
    every_key_used = {key for rule in result.rules for key in rule.policy_keys}
    assert every_key_used == known
    assert result.version == RULES_VERSION
    assert result.defaults == policy_to_dict(Policy())


SEED_ARTICLE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "seed-article.txt"


def _six_word_runs(text: str) -> set[str]:
    words = re.findall(r"[a-z']+", text.lower().replace("\u2019", "'"))
    return {" ".join(words[i : i + 6]) for i in range(len(words) - 5)}


def test_catalogue_explanations_share_no_sentence_with_the_reference_article() -> None:
    if not SEED_ARTICLE.exists():
        pytest.skip(f"reference article not found at {SEED_ARTICLE}")
    article = _six_word_runs(SEED_ARTICLE.read_text())
    for rule in catalogue().rules:
        assert not _six_word_runs(f"{rule.title}. {rule.explanation}") & article, rule.id


def test_away_bounce_and_cancellation_are_explained() -> None:
    by_id = {rule.id: rule for rule in catalogue().rules}
    assert "return" in by_id["R5a"].explanation
    assert "bounced" in by_id["R5b"].explanation
    assert "cancelled" in by_id["R6"].explanation
    assert "undelivered" in by_id["unreachable"].explanation


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_rules_import_only_the_standard_library_and_holidays() -> None:
    files = sorted(RULES_DIR.glob("*.py"))
    assert len(files) >= 6
    for path in files:
        for name in _imports(path):
            assert name not in FORBIDDEN, f"{path.name} imports {name}"
            assert name in sys.stdlib_module_names or name in ALLOWED_THIRD_PARTY or name == "app", (
                f"{path.name} imports {name}"
            )


def test_rules_never_read_the_clock() -> None:
    for path in sorted(RULES_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute):
                assert node.attr not in {"now", "utcnow", "today", "time_ns", "monotonic"}, f"{path.name}: .{node.attr}"


def test_public_api_is_pinned() -> None:
    assert sorted(app.rules.__all__) == sorted(
        [
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
            "Round",
            "RuleInfo",
            "Status",
            "Violation",
            "build_policy",
            "current_round",
            "catalogue",
            "check_outreach",
            "is_known_timezone",
            "is_valid_timezone",
            "next_action",
            "policy_to_dict",
            "policy_version",
            "timezone_problem",
        ]
    )
    for name in app.rules.__all__:
        assert hasattr(app.rules, name)
