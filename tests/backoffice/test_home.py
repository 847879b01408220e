"""The organization chooser and the dashboard."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from microcred.achievements import services as achievement_services
from microcred.organizations.models import Membership, Organization
from microcred.organizations.roles import Role
from tests.conftest import World, complete_content, issue, publish_achievement

from .helpers import text, url


def test_index_redirects_a_member_of_one_organization_to_its_dashboard(
    world: World, login: Any
) -> None:
    response = login(world.a.issuer.user).get(reverse("backoffice:index"))

    assert response.status_code == 302
    assert response["Location"] == url("dashboard", world.a.slug)


def test_index_lists_only_the_organizations_of_the_user(world: World, login: Any) -> None:
    third = Organization.objects.create(
        slug="org-c", name="Gamma Guild", country="AT", contact_email="info@org-c.test"
    )
    Membership.objects.create(organization=third, user=world.a.owner.user, role=Role.ASSESSOR)

    response = login(world.a.owner.user).get(reverse("backoffice:index"))

    assert response.status_code == 200
    page = text(response)
    assert url("dashboard", world.a.slug) in page
    assert url("dashboard", "org-c") in page
    assert "Gamma Guild" in page
    assert "Assessor" in page
    assert world.b.organization.name not in page
    assert url("dashboard", world.b.slug) not in page


def test_index_tells_a_user_without_membership_how_to_get_one(world: World, login: Any) -> None:
    response = login(world.learner).get(reverse("backoffice:index"))

    assert response.status_code == 200
    assert "You are not a member of any organization yet" in text(response)
    assert world.a.organization.name not in text(response)


def test_index_needs_log_in(world: World) -> None:
    response = Client().get(reverse("backoffice:index"))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={reverse('backoffice:index')}"


def test_dashboard_counts_and_lists_only_the_own_organization(world: World, login: Any) -> None:
    statistics = publish_achievement(world.a.issuer)
    achievement_services.create_achievement(
        member=world.a.issuer, content=complete_content(title="Unfinished draft")
    )
    issue(world.a.issuer, statistics, email="first@example.test")
    issue(world.a.issuer, statistics, email="second@example.test")
    other = publish_achievement(world.b.issuer, title="Beta Only Course")
    issue(world.b.issuer, other, email="beta-holder@example.test")

    response = login(world.a.owner.user).get(url("dashboard", world.a.slug))

    assert response.status_code == 200
    assert response.context["counts"] == {
        "published": 1,
        "drafts": 1,
        "active": 2,
        "this_month": 2,
    }
    page = text(response)
    assert "first@example.test" in page
    assert "second@example.test" in page
    assert "beta-holder@example.test" not in page
    assert "Beta Only Course" not in page
    # Owners see recent activity of their own organization.
    assert "<strong>Credential issued</strong>" in page
    assert {entry.organization_id for entry in response.context["recent_audit"]} == {
        world.a.organization.pk
    }
    assert login(world.b.owner.user).get(url("dashboard", world.a.slug)).status_code == 404


def test_dashboard_of_an_assessor_hides_actions_and_activity(world: World, login: Any) -> None:
    statistics = publish_achievement(world.a.issuer)
    issue(world.a.issuer, statistics, email="first@example.test")

    response = login(world.a.assessor.user).get(url("dashboard", world.a.slug))

    assert response.status_code == 200
    page = text(response)
    assert "first@example.test" in page
    assert "Recent activity" not in page
    assert list(response.context["recent_audit"]) == []
    assert url("credential_issue", world.a.slug) not in page
    assert url("achievement_create", world.a.slug) not in page
    assert url("audit", world.a.slug) not in page
    assert login(world.b.assessor.user).get(url("dashboard", world.a.slug)).status_code == 404
