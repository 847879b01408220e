"""Tenancy and roles across every back-office URL.

Non-members of an organization get 404 (its existence is not confirmed), also when they ask for
another organization's object through their own organization's address; members whose role lacks
the capability get 403; anonymous visitors are sent to the log-in page. Nothing changes on the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from microcred.achievements import services as achievement_services
from microcred.achievements.models import Achievement
from microcred.core.models import AuditEntry
from microcred.issuance.models import IssuedCredential
from microcred.organizations.models import Membership, Organization
from tests.conftest import Org, World, issue, publish_achievement

from .helpers import definition_post, url


@dataclass
class Objects:
    """One of everything a back-office URL can point at, in one organization."""

    achievement: Achievement
    credential: IssuedCredential
    member: Membership


def _objects(org: Org) -> Objects:
    achievement = publish_achievement(org.issuer, title=f"{org.organization.name} Statistics")
    achievement_services.start_new_version(member=org.issuer, achievement=achievement)
    credential = issue(org.issuer, achievement, email=f"holder@{org.slug}.example")
    return Objects(Achievement.objects.get(pk=achievement.pk), credential, org.assessor)


@pytest.fixture
def scene(world: World) -> dict[str, Objects]:
    return {"a": _objects(world.a), "b": _objects(world.b)}


def _args(target: str | None, objects: Objects) -> list[Any]:
    if target == "achievement":
        return [objects.achievement.pk]
    if target == "version":
        return [objects.achievement.pk, 1]
    if target == "member":
        return [objects.member.pk]
    if target == "credential":
        return [objects.credential.pk]
    return []


def _data(name: str, objects: Objects) -> dict[str, Any]:
    """A valid POST for the URL, so that a missing check would show as a change."""
    return {
        "organization": {
            "name": "Hijacked",
            "country": "FR",
            "contact_email": "evil@example.test",
            "primary_color": "#000000",
            "secondary_color": "#000000",
        },
        "members": {"email": "intruder@example.test", "role": "owner"},
        "member_role": {f"m{objects.member.pk}-role": "owner"},
        "achievement_create": definition_post(title="Hijacked"),
        "achievement_edit": definition_post(title="Hijacked"),
        "credential_issue": {
            "achievement": objects.achievement.pk,
            "recipient_name": "Ivy Intruder",
            "recipient_email": "intruder@example.test",
        },
        "credential_revoke": {"reason": "Hijacked"},
    }.get(name, {})


# (URL name, what its id points at, HTTP method)
ROUTES = [
    ("dashboard", None, "get"),
    ("organization", None, "get"),
    ("organization", None, "post"),
    ("members", None, "get"),
    ("members", None, "post"),
    ("member_role", "member", "post"),
    ("member_remove", "member", "post"),
    ("achievements", None, "get"),
    ("achievement_create", None, "get"),
    ("achievement_create", None, "post"),
    ("achievement", "achievement", "get"),
    ("achievement_version", "version", "get"),
    ("achievement_edit", "achievement", "get"),
    ("achievement_edit", "achievement", "post"),
    ("achievement_publish", "achievement", "post"),
    ("achievement_new_version", "achievement", "post"),
    ("achievement_discard_draft", "achievement", "post"),
    ("achievement_archive", "achievement", "post"),
    ("credentials", None, "get"),
    ("credential_issue", None, "get"),
    ("credential_issue", None, "post"),
    ("credential", "credential", "get"),
    ("credential_revoke", "credential", "get"),
    ("credential_revoke", "credential", "post"),
    ("audit", None, "get"),
]
ROUTES_WITH_IDS = [route for route in ROUTES if route[1] is not None]

# Roles lacking the capability a URL needs (organizations.roles).
FORBIDDEN = {
    "organization": {"issuer", "assessor"},
    "members": {"issuer", "assessor"},
    "member_role": {"issuer", "assessor"},
    "member_remove": {"issuer", "assessor"},
    "achievement_create": {"assessor"},
    "achievement_edit": {"assessor"},
    "achievement_publish": {"assessor"},
    "achievement_new_version": {"assessor"},
    "achievement_discard_draft": {"assessor"},
    "achievement_archive": {"assessor"},
    "credential_issue": {"assessor"},
    "credential_revoke": {"assessor"},
    "audit": {"issuer", "assessor"},
}


def _route_id(route: tuple[str, str | None, str]) -> str:
    return f"{route[2].upper()} {route[0]}"


def _request(client: Client, method: str, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data) if method == "post" else client.get(path)


def _snapshot() -> tuple[Any, ...]:
    """Everything these requests could change."""
    return (
        AuditEntry.objects.count(),
        list(Organization.objects.order_by("pk").values_list("name", "contact_email", "country")),
        list(Membership.objects.order_by("pk").values_list("pk", "role")),
        list(Achievement.objects.order_by("pk").values_list("pk", "status")),
        list(IssuedCredential.objects.order_by("pk").values_list("pk", "status")),
    )


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
@pytest.mark.parametrize("role", ["owner", "assessor"])
def test_member_of_the_other_organization_gets_404(
    world: World,
    scene: dict[str, Objects],
    login: Any,
    route: tuple[str, str | None, str],
    role: str,
) -> None:
    name, target, method = route
    path = url(name, world.a.slug, *_args(target, scene["a"]))
    data = _data(name, scene["a"])
    before = _snapshot()

    response = _request(login(world.b.member(role).user), method, path, data)

    assert response.status_code == 404
    assert "There is nothing at this address" in response.content.decode()
    assert _snapshot() == before
    # The same request by A's owner reaches the view: the URL is real, the denial is tenancy.
    own = _request(login(world.a.owner.user), method, path, data)
    assert own.status_code in {200, 302, 400}


@pytest.mark.parametrize("route", ROUTES_WITH_IDS, ids=_route_id)
def test_object_of_the_other_organization_through_own_address_gets_404(
    world: World, scene: dict[str, Objects], login: Any, route: tuple[str, str | None, str]
) -> None:
    name, target, method = route
    b_owner = login(world.b.owner.user)
    before = _snapshot()

    response = _request(
        b_owner,
        method,
        url(name, world.b.slug, *_args(target, scene["a"])),
        _data(name, scene["a"]),
    )

    assert response.status_code == 404
    assert _snapshot() == before
    # B's own object at the same place is found.
    own = _request(
        b_owner,
        method,
        url(name, world.b.slug, *_args(target, scene["b"])),
        _data(name, scene["b"]),
    )
    assert own.status_code in {200, 302, 400}


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
@pytest.mark.parametrize("who", ["stranger", "learner"])
def test_user_without_membership_gets_404(
    world: World,
    scene: dict[str, Objects],
    login: Any,
    route: tuple[str, str | None, str],
    who: str,
) -> None:
    name, target, method = route
    before = _snapshot()

    response = _request(
        login(getattr(world, who)),
        method,
        url(name, world.a.slug, *_args(target, scene["a"])),
        _data(name, scene["a"]),
    )

    assert response.status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_anonymous_visitor_is_sent_to_log_in(
    world: World, scene: dict[str, Objects], route: tuple[str, str | None, str]
) -> None:
    name, target, method = route
    path = url(name, world.a.slug, *_args(target, scene["a"]))
    before = _snapshot()

    response = _request(Client(), method, path, _data(name, scene["a"]))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"
    assert _snapshot() == before


FORBIDDEN_CASES = [
    (route, role) for route in ROUTES for role in sorted(FORBIDDEN.get(route[0], ()))
]


@pytest.mark.parametrize(
    ("route", "role"),
    FORBIDDEN_CASES,
    ids=[f"{_route_id(r)}-{role}" for r, role in FORBIDDEN_CASES],
)
def test_member_whose_role_lacks_the_capability_gets_403(
    world: World,
    scene: dict[str, Objects],
    login: Any,
    route: tuple[str, str | None, str],
    role: str,
) -> None:
    name, target, method = route
    before = _snapshot()

    response = _request(
        login(world.a.member(role).user),
        method,
        url(name, world.a.slug, *_args(target, scene["a"])),
        _data(name, scene["a"]),
    )

    assert response.status_code == 403
    assert f"Your role ({role.capitalize()}) does not allow this." in response.content.decode()
    assert _snapshot() == before


GET_ROUTES = [route for route in ROUTES if route[2] == "get"]
ALLOWED_CASES = [
    (route, role)
    for route in GET_ROUTES
    for role in ("owner", "admin", "issuer", "assessor")
    if role not in FORBIDDEN.get(route[0], ())
]


@pytest.mark.parametrize(
    ("route", "role"), ALLOWED_CASES, ids=[f"{_route_id(r)}-{role}" for r, role in ALLOWED_CASES]
)
def test_member_with_the_capability_sees_the_page(
    world: World,
    scene: dict[str, Objects],
    login: Any,
    route: tuple[str, str | None, str],
    role: str,
) -> None:
    name, target, _ = route
    response = login(world.a.member(role).user).get(
        url(name, world.a.slug, *_args(target, scene["a"]))
    )
    assert response.status_code == 200
    assert world.a.organization.name in response.content.decode()


POST_ONLY = [
    route
    for route in ROUTES
    if route[0]
    in {
        "member_role",
        "member_remove",
        "achievement_publish",
        "achievement_new_version",
        "achievement_discard_draft",
        "achievement_archive",
    }
]


@pytest.mark.parametrize("route", POST_ONLY, ids=_route_id)
def test_actions_refuse_get(
    world: World, scene: dict[str, Objects], login: Any, route: tuple[str, str | None, str]
) -> None:
    name, target, _ = route
    before = _snapshot()
    response = login(world.a.owner.user).get(url(name, world.a.slug, *_args(target, scene["a"])))
    assert response.status_code == 405
    assert _snapshot() == before
