"""The audit log: owners and admins see their own organization's entries, written by every change."""

from __future__ import annotations

from typing import Any

import pytest

from microcred.achievements import services as achievement_services
from microcred.core.audit import log_action
from microcred.core.models import AuditEntry
from microcred.issuance.models import IssuedCredential
from tests.conftest import World, complete_content, issue, publish_achievement

from .helpers import text, url


def test_changes_made_in_the_back_office_are_logged_and_shown(world: World, login: Any) -> None:
    draft = achievement_services.create_achievement(
        member=world.a.issuer, content=complete_content(title="Logged Course")
    )
    issuer = login(world.a.issuer.user)
    issuer.post(url("achievement_publish", world.a.slug, draft.pk))
    issuer.post(
        url("credential_issue", world.a.slug),
        {
            "achievement": draft.pk,
            "recipient_name": "Hana Holder",
            "recipient_email": "hana@example.test",
        },
    )
    credential = IssuedCredential.objects.get()
    issuer.post(url("credential_revoke", world.a.slug, credential.pk), {"reason": "Typo in name"})
    login(world.a.owner.user).post(
        url("members", world.a.slug), {"email": "newbie@example.test", "role": "issuer"}
    )
    # Something happens in B as well.
    issue(world.b.issuer, publish_achievement(world.b.issuer), email="beta-holder@example.test")

    expected = {
        "microcred.achievement.published": (
            world.a.issuer.user,
            {"version": 1, "title": "Logged Course", "supersedes": None},
        ),
        "microcred.credential.issued": (
            world.a.issuer.user,
            {"recipient_email": "hana@example.test", "version": 1},
        ),
        "microcred.credential.revoked": (world.a.issuer.user, {"reason": "Typo in name"}),
        "microcred.member.added": (
            world.a.owner.user,
            {"email": "newbie@example.test", "role": "issuer"},
        ),
    }
    for action, (actor, data) in expected.items():
        entry = AuditEntry.objects.get(organization=world.a.organization, action=action)
        assert entry.actor == actor
        assert entry.actor_label == actor.email
        assert data.items() <= entry.data.items()

    response = login(world.a.owner.user).get(url("audit", world.a.slug))

    assert response.status_code == 200
    page = text(response)
    for action in expected:
        assert f'<code class="small muted">{action}</code>' in page
    assert "Typo in name" in page
    assert "issuer@org-a.test" in page
    shown = list(response.context["page"])
    assert {entry.organization_id for entry in shown} == {world.a.organization.pk}
    assert len(shown) == AuditEntry.objects.filter(organization=world.a.organization).count()
    assert "beta-holder@example.test" not in page
    assert "issuer@org-b.test" not in page
    # B's own log has B's entries and none of A's.
    b_page = login(world.b.owner.user).get(url("audit", world.b.slug))
    assert "beta-holder@example.test" in text(b_page)
    assert "Typo in name" not in text(b_page)
    assert login(world.b.owner.user).get(url("audit", world.a.slug)).status_code == 404


def test_admin_sees_the_log(world: World, login: Any) -> None:
    issue(world.a.issuer, publish_achievement(world.a.issuer), email="hana@example.test")

    response = login(world.a.admin.user).get(url("audit", world.a.slug))

    assert response.status_code == 200
    assert "hana@example.test" in text(response)
    assert login(world.b.admin.user).get(url("audit", world.a.slug)).status_code == 404


def test_filter_by_action_prefix(world: World, login: Any) -> None:
    achievement = publish_achievement(world.a.issuer)
    issue(world.a.issuer, achievement, email="hana@example.test")

    response = login(world.a.owner.user).get(
        url("audit", world.a.slug), {"action": "microcred.credential"}
    )

    assert [entry.action for entry in response.context["page"]] == ["microcred.credential.issued"]
    assert 'value="microcred.credential"' in text(response)


def test_pagination_keeps_the_filter(world: World, login: Any) -> None:
    for number in range(51):
        log_action(
            "microcred.test.a+b",
            actor=world.a.owner.user,
            organization=world.a.organization,
            data={"n": number},
        )
    client = login(world.a.owner.user)
    path = url("audit", world.a.slug)

    first = client.get(path, {"action": "microcred.test.a+b"})

    assert len(first.context["page"]) == 50
    assert "?action=microcred.test.a%2Bb&amp;page=2" in text(first)
    second = client.get(path, {"action": "microcred.test.a+b", "page": 2})
    assert [entry.data["n"] for entry in second.context["page"]] == [0]


@pytest.mark.parametrize("role", ["issuer", "assessor"])
def test_issuer_and_assessor_get_403(world: World, login: Any, role: str) -> None:
    response = login(world.a.member(role).user).get(url("audit", world.a.slug))

    assert response.status_code == 403
    assert f"Your role ({role.capitalize()}) does not allow this." in text(response)
