"""The cycle contract that `make test` runs with import-linter finds circles, long and
short, and only those."""

from __future__ import annotations

import grimp
from import_contracts import cycles


def graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    built = grimp.ImportGraph()
    for importer, imported in imports:
        built.add_import(importer=importer, imported=imported)
    return built


def test_a_circle_of_services_is_found() -> None:
    found = cycles(
        graph(
            ("app.interviews.service", "app.followups.service"),
            ("app.followups.service", "app.policy.service"),
            ("app.policy.service", "app.interviews.service"),
            ("app.events.service", "app.interviews.service"),
            ("app.errors", "app.observability"),
            ("app.observability", "app.errors"),
        ),
        "app",
    )
    assert found == [
        ["app.errors", "app.observability"],
        ["app.followups.service", "app.interviews.service", "app.policy.service"],
    ]


def test_layers_without_a_circle_pass() -> None:
    assert not cycles(
        graph(
            ("app.interviews.service", "app.nextaction.refresh"),
            ("app.policy.service", "app.nextaction.refresh"),
            ("app.nextaction.refresh", "app.interviews.repository"),
            ("app.interviews.service", "app.interviews.repository"),
        ),
        "app",
    )


def test_modules_outside_the_package_are_not_judged() -> None:
    assert not cycles(graph(("other.a", "other.b"), ("other.b", "other.a"), ("app.a", "other.a")), "app")
